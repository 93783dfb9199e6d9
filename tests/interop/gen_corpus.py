#!/usr/bin/python3
"""gen_corpus.py -- odd but loadable .torrent files, and hybrids that lie.

    gen_corpus.py OUTDIR

Writes OUTDIR/<case>.torrent for every case below and OUTDIR/cases.json,
a list of {"name", "file", "expect", ...}:

  expect "ok":      btd must add it; "paths" are the exact non-pad paths
                    btd gives its files (relative to the torrent's
                    directory; a single-file torrent: its name), "notes"
                    {index: "sanitised"|"renamed"|...} what btctl files
                    must say, "lt" whether libtorrent loads it too (then
                    info-hash, file count and sizes must agree), "v2"
                    whether it carries a v2 info-hash.
  expect "refused": btd must refuse it with "error" in the message.

The v1 cases are built here with a small bencoder (keys sorted unless a
case says otherwise) and pieces of zeros of the right count: metadata
checks do not look at piece hashes.  The hybrid and v2 cases start from
libtorrent's create_torrent over a small tree of deterministic files
made in OUTDIR/data, then are decoded, changed and re-encoded.
"""
import hashlib
import json
import os
import sys

import libtorrent as lt

PL = 16384


def benc(v, sort=True):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(benc(x, sort) for x in v) + b"e"
    if isinstance(v, dict):
        items = [(k.encode() if isinstance(k, str) else k, x)
                 for k, x in v.items()]
        if sort:
            items.sort()
        return b"d" + b"".join(benc(k) + benc(x, sort) for k, x in items) + b"e"
    raise TypeError(v)


def pieces(total, pl=PL):
    return b"\0" * (20 * ((total + pl - 1) // pl))


def multi(files, name="t", extra=None):
    """files: (path list, length[, attr]) or a dict used as is."""
    fl, total = [], 0
    for f in files:
        if isinstance(f, dict):
            d = f
        else:
            d = {"path": f[0], "length": f[1]}
            if len(f) > 2:
                d["attr"] = f[2]
        fl.append(d)
        total += d.get("length", 0)
    info = {"name": name, "piece length": PL, "files": fl,
            "pieces": pieces(total)}
    info.update(extra or {})
    return {"announce": "http://127.0.0.1:6969/announce", "info": info}


def single(name, length=1000):
    return {"announce": "http://127.0.0.1:6969/announce",
            "info": {"name": name, "length": length, "piece length": PL,
                     "pieces": pieces(length)}}


CASES = []


def case(name, data, expect="ok", **kw):
    if not isinstance(data, bytes):
        data = benc(data)
    kw.update({"name": name, "expect": expect, "data": data})
    kw.setdefault("lt", True)
    kw.setdefault("v2", False)
    CASES.append(kw)


def v1_cases():
    case("dotdot", multi([
        (["..", "..", "etc", "passwd"], 10),
        (["a", ".", "b"], 11),
        (["", "c"], 12),
        (["d", ".."], 13),
    ]), paths=["_/_/etc/passwd", "a/_/b", "_/c", "d/_"],
        notes={0: "sanitised", 1: "sanitised", 2: "sanitised", 3: "sanitised"})
    case("duplicates", multi([
        (["x.txt"], 10), (["x.txt"], 11), (["x.txt"], 12), (["x.1.txt"], 13),
    ]), paths=["x.txt", "x.2.txt", "x.3.txt", "x.1.txt"],
        notes={1: "renamed", 2: "renamed"})
    case("file_and_dir", multi([
        (["a"], 10), (["a", "b"], 11), (["c", "d"], 12), (["c"], 13),
    ]), paths=["a.1", "a/b", "c/d", "c.1"], notes={0: "renamed", 3: "renamed"})
    case("same_after_sanitising", multi([
        (["a/b"], 10), (["a\\b"], 11), (["a_b"], 12), (["dir. ", "f"], 13),
        (["dir", "f"], 14),
    ]), paths=["a_b", "a_b.1", "a_b.2", "dir/f", "dir/f.1"],
        notes={0: "sanitised", 1: "sanitised, renamed", 2: "renamed",
               3: "sanitised", 4: "renamed"})
    case("controls_bidi_utf8", multi([
        ([b"evil\xe2\x80\xaegpj.exe"], 10),
        ([b"\x1b[31mred"], 11),
        ([b"\xff\xfe"], 12),
        ([b"caf\xc3\xa9", b"ok"], 13),
        ([b"nul\x00byte"], 14),
    ]), paths=["evil_gpj.exe", "_[31mred", "_", "caf\u00e9/ok", "nul_byte"],
        notes={0: "sanitised", 1: "sanitised", 2: "sanitised", 4: "sanitised"})
    case("trailing_dots_spaces", multi([
        (["dir. ", "file. . "], 10), (["...", "x"], 11),
    ]), paths=["dir/file", "_/x"], notes={0: "sanitised", 1: "sanitised"})
    case("long_component", multi([
        (["e" * 296 + ".txt"], 10), (["p" * 300], 11),
    ]), paths=["e" * 251 + ".txt", "p" * 255],
        notes={0: "sanitised", 1: "sanitised"})
    case("no_usable_path", multi([
        (["ok"], 10),
        {"length": 11, "path": []},
        {"length": 12},
        {"length": 13, "path": [5]},
    ]), paths=["ok", "_", "_.1", "_.2"], lt=False,
        notes={1: "sanitised", 2: "sanitised, renamed",
               3: "sanitised, renamed"})
    case("symlink", multi([
        (["target"], 10),
        {"attr": "l", "path": ["link"], "symlink path": ["target"]},
        {"attr": "l", "length": 0, "path": ["link0"],
         "symlink path": ["target"]},
    ]), paths=["target", "link", "link0"],
        notes={1: "symlink, not created", 2: "symlink, not created"})
    case("pad_odd_paths", multi([
        (["a"], 100),
        {"attr": "p", "length": PL - 100, "path": ["..", "..", "pad"]},
        (["b"], 100),
        {"attr": "p", "length": PL - 100},
        (["c"], 100),
    ]), paths=["a", "b", "c"])
    case("attributes", multi([
        (["run.sh"], 10, "x"), ([".secret"], 11, "h"), (["both"], 12, "xh"),
    ]), paths=["run.sh", ".secret", "both"],
        notes={0: "executable", 1: "hidden", 2: "executable; hidden"})
    case("trailing_bytes", benc(single("tb.bin")) + b"garbage after",
         paths=["tb.bin"], warning="bytes after the top-level dictionary")
    unsorted = single("us.bin")
    case("unsorted_keys", b"d8:announce30:http://127.0.0.1:6969/announce"
         b"4:infod6:pieces20:" + b"\0" * 20 + b"4:name6:us.bin"
         b"12:piece lengthi16384e6:lengthi1000eee",
         paths=["us.bin"], warning="keys out of order")
    del unsorted
    case("single_dotdot_name", single("../x"), paths=[".._x"])
    case("single_slash_name", single("a/b"), paths=["a_b"])
    case("single_unusable_name", single(".."), paths=["_"], lt=False)
    case("utf8_fields", multi([
        {"length": 10, "path": [b"\xff"], "path.utf-8": ["\u00fcber"]},
    ], name=b"\xfe", extra={"name.utf-8": "na\u00efve"}),
        paths=["\u00fcber"])


def tree(root):
    os.makedirs(os.path.join(root, "sub"), exist_ok=True)

    def fill(path, n, seed):
        with open(os.path.join(root, path), "wb") as f:
            f.write(hashlib.shake_256(seed).digest(n))
    fill("a.bin", 40000, b"a")
    fill("sub/b.txt", 5000, b"b")
    fill("z.bin", 70000, b"z")


def make(root, flags):
    fs = lt.file_storage()
    lt.add_files(fs, root)
    ct = lt.create_torrent(fs, PL, flags=flags)
    ct.add_tracker("http://127.0.0.1:6969/announce", 0)
    lt.set_piece_hashes(ct, os.path.dirname(root))
    return lt.bdecode(lt.bencode(ct.generate()))


def leaf(info, *path):
    d = info[b"file tree"]
    for c in path:
        d = d[c]
    return d[b""]


def v2_cases(out):
    root = os.path.join(out, "data", "tree")
    tree(root)
    hy = make(root, 0)
    case("lt_hybrid", lt.bencode(hy), paths=["a.bin", "sub/b.txt", "z.bin"],
         v2=True)

    t = lt.bdecode(lt.bencode(hy))
    leaf(t[b"info"], b"sub", b"b.txt")[b"length"] = 5001
    case("hybrid_v2_length", lt.bencode(t), "refused",
         error="hybrid: file 2 'sub/b.txt' is 5000 bytes in v1 and 5001 "
         "in the file tree", lt=None)

    t = lt.bdecode(lt.bencode(hy))
    del t[b"piece layers"][leaf(t[b"info"], b"z.bin")[b"pieces root"]]
    case("hybrid_missing_layer", lt.bencode(t), "refused",
         error="piece layers: no layer for file 4 'z.bin'", lt=None)

    t = lt.bdecode(lt.bencode(hy))
    leaf(t[b"info"], b"sub", b"b.txt")[b"pieces root"] = b"\0" * 32
    case("hybrid_zero_root", lt.bencode(t), "refused",
         error="file tree: 'sub/b.txt': pieces root is all zeros", lt=None)

    t = lt.bdecode(lt.bencode(hy))
    fl = t[b"info"][b"files"]
    t[b"info"][b"files"] = fl[2:4] + fl[0:2] + fl[4:]
    case("hybrid_reordered", lt.bencode(t), "refused",
         error="hybrid: file 0 is 'sub/b.txt' in v1 and 'a.bin' in the "
         "file tree", lt=None)

    t = lt.bdecode(lt.bencode(hy))
    t[b"piece layers"][leaf(t[b"info"], b"a.bin")[b"pieces root"]] += b"\1" * 32
    case("hybrid_layer_length", lt.bencode(t), "refused",
         error="piece layers: the layer of file 0 'a.bin' has 4 hashes",
         lt=None)

    t = lt.bdecode(lt.bencode(hy))
    k = leaf(t[b"info"], b"a.bin")[b"pieces root"]
    t[b"piece layers"][k] = t[b"piece layers"][k][::-1]
    case("hybrid_layer_hash", lt.bencode(t), "refused",
         error="piece layers: the layer of file 0 'a.bin' does not hash "
         "to its pieces root", lt=None)

    v2 = make(root, lt.create_torrent.v2_only)
    v2hash = str(lt.torrent_info(v2).info_hashes().v2)  # libtorrent's
    case("lt_v2_only", lt.bencode(v2), "refused",
         error="v2-only torrents are not supported yet (BEP 52 without v1 "
         "pieces): 'tree', 3 files, 115000 bytes, v2 info-hash " + v2hash,
         lt=None)

    t = lt.bdecode(lt.bencode(v2))
    t[b"info"][b"piece length"] = 3 * PL
    case("v2_piece_length", lt.bencode(t), "refused",
         error="info: piece length 49152 is not a power of two", lt=None)

    t = lt.bdecode(lt.bencode(v2))
    k = leaf(t[b"info"], b"a.bin")[b"pieces root"]
    t[b"piece layers"][k] = t[b"piece layers"][k][:-1]
    case("v2_layer_not_32", lt.bencode(t), "refused",
         error="not a multiple of 32", lt=None)

    # A file tree 1,000 directories deep: past the decoder's nesting bound.
    deep = b"d1:a" * 999 + b"d0:d6:lengthi1e11:pieces root32:" + \
        b"\1" * 32 + b"ee" + b"e" * 999
    info = b"d9:file tree" + deep + b"12:meta versioni2e4:name4:deep" + \
        b"12:piece lengthi16384ee"
    case("v2_deep_tree", b"d4:info" + info + b"e", "refused",
         error="bencode: nesting too deep", lt=None)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    v1_cases()
    v2_cases(out)
    manifest = []
    for c in CASES:
        f = os.path.join(out, c["name"] + ".torrent")
        with open(f, "wb") as fp:
            fp.write(c.pop("data"))
        c["file"] = f
        c["notes"] = {str(k): v for k, v in c.get("notes", {}).items()}
        manifest.append(c)
    with open(os.path.join(out, "cases.json"), "w") as fp:
        json.dump(manifest, fp, indent=1)


if __name__ == "__main__":
    main()
