#!/usr/bin/python3
"""check_corpus.py -- add every case of gen_corpus.py to a running btd and
compare what btd says with what the case expects and with libtorrent.

    check_corpus.py BTCTL SOCKET CASES_JSON

Prints "ok - ..." / "not ok - ..." lines (tests/run.sh counts them).
For a case that loads: the exact non-pad paths, the per-file notes of
`btctl files` (plain and --json), warnings, the v2 info-hash in
`btctl show`, and, where libtorrent loads the file too, the same
info-hash (v1 and v2), the same number of files and the same sizes in
order.  For a refused case: exit status 1 and one line naming the
reason.
"""
import json
import subprocess
import sys

import libtorrent as lt

btctl, sock, cases = sys.argv[1], sys.argv[2], sys.argv[3]


def ctl(*args):
    p = subprocess.run([btctl, "-s", sock] + list(args), capture_output=True,
                       timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def report(good, what):
    print("%s - %s" % ("ok" if good else "not ok", what))


def check_ok(c):
    n = c["name"]
    rc, out, err = ctl("add", c["file"], "--json")
    report(rc == 0, "%s: added (%s)" % (n, err.strip()))
    if rc != 0:
        return
    tid = json.loads(out)["id"]
    rc, out, err = ctl("show", tid, "--json")
    show = json.loads(out)
    files = show["files"]
    paths = [f["path"] for f in files if not f["pad"]]
    report(paths == c["paths"], "%s: paths %s" % (n, paths if paths !=
                                                  c["paths"] else "as expected"))
    rc, plain, err = ctl("files", tid)
    rows = plain.splitlines()[1:]
    for idx, note in c["notes"].items():
        i = int(idx)
        row = rows[i] if i < len(rows) else ""
        report(note in row, "%s: btctl files says '%s' for file %d (%s)" %
               (n, note, i, row.strip()))
        f = files[i]
        want_s = "sanitised" in note
        want_r = "renamed" in note
        report(f["sanitised"] == want_s and f["renamed"] == want_r and
               (bool(f["original"]) or not (want_s or want_r) or
                f["sanitised"]),
               "%s: --json flags of file %d (%s)" % (n, i, f))
    for i, f in enumerate(files):
        if str(i) not in c["notes"] and not f["pad"]:
            report(not f["sanitised"] and not f["renamed"] and
                   f["original"] == "", "%s: file %d unchanged" % (n, i))
    if "warning" in c:
        report(any(c["warning"] in w for w in show["warnings"]),
               "%s: warning '%s' shown (%s)" % (n, c["warning"],
                                               show["warnings"]))
    rc, plain, err = ctl("show", tid)
    if c["v2"]:
        report(len(show["info_hash_v2"]) == 64 and
               show["info_hash_v2_wire"] == show["info_hash_v2"][:40] and
               "info-hash v2: " + show["info_hash_v2"] in plain and
               "id:           " + tid in plain,
               "%s: btctl show gives both info-hashes" % n)
    else:
        report(show["info_hash_v2"] == "" and "info-hash v2" not in plain,
               "%s: no v2 info-hash" % n)
    if c["notes"]:
        report("file notes:" in plain, "%s: btctl show lists the file notes"
               % n)
    if not c["lt"]:
        return
    ti = lt.torrent_info(c["file"])
    fs = ti.files()
    lt_sizes = [fs.file_size(i) for i in range(fs.num_files())]
    our = [f["length"] for f in files]
    report(str(ti.info_hashes().v1) == show["info_hash"],
           "%s: info-hash agrees with libtorrent" % n)
    if c["v2"]:
        report(str(ti.info_hashes().v2) == show["info_hash_v2"],
               "%s: v2 info-hash agrees with libtorrent" % n)
    report(fs.num_files() == len(files),
           "%s: file count agrees with libtorrent (%d, %d)" %
           (n, fs.num_files(), len(files)))
    report(lt_sizes == our, "%s: file sizes agree with libtorrent" % n)
    report(ti.total_size() == show["total_size"],
           "%s: total size agrees with libtorrent" % n)


def check_refused(c):
    rc, out, err = ctl("add", c["file"])
    lines = err.strip().splitlines()
    report(rc == 1 and len(lines) == 1 and lines[0].startswith("btctl: ") and
           c["error"] in lines[0],
           "%s: refused with '%s' (rc %d: %s)" % (c["name"], c["error"], rc,
                                                 err.strip()))


for c in json.load(open(cases)):
    if c["expect"] == "ok":
        check_ok(c)
    else:
        check_refused(c)
