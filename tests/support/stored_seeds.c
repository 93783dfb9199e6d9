/*
 * stored_seeds.c -- writes the seed corpus of fuzz_stored
 * (tests/fuzz/corpus/stored/): sequences of records, each a channel
 * byte (0 btd, 1 peerd), a 2-byte big-endian length and one packed
 * envelope, as tests/fuzz/fuzz_stored.c reads them.
 *
 *   stored_seeds DIR
 *
 * Pieces are all zeros (the hashes are of zeros), so the blocks of a
 * fresh arena verify.  See tests/fuzz/corpus/README for the build line.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "peer_stored.pb-c.h"
#include "stored.pb-c.h"

#define MAXFILES	8
#define MAXPIECES	64
#define MAXBLOCKS	16

static FILE *out;

static void
rec(int which, const ProtobufCMessage *m)
{
	size_t	 n = protobuf_c_message_get_packed_size(m);
	uint8_t	*b;

	if (n > 0xffff || (b = malloc(n)) == NULL)
		errx(1, "record of %zu bytes", n);
	protobuf_c_message_pack(m, b);
	fputc(which, out);
	fputc((int)(n >> 8), out);
	fputc((int)(n & 0xff), out);
	fwrite(b, 1, n, out);
	free(b);
}

static void
add(uint32_t num, int nf, const char *const *paths, const uint64_t *lens,
    const int *pads, uint64_t pl, const char *dir)
{
	Btd__StoredMsg		 env = BTD__STORED_MSG__INIT;
	Btd__StoredTorrentAdd	 ta = BTD__STORED_TORRENT_ADD__INIT;
	Btd__TorrentHashes	 th = BTD__TORRENT_HASHES__INIT;
	Btd__FileDesc		 f[MAXFILES], *fp[MAXFILES];
	uint8_t			 ih[20] = { 0 }, *zero, hs[20 * MAXPIECES];
	uint64_t		 off = 0, total, n;
	uint32_t		 i, np;

	for (i = 0; i < (uint32_t)nf; i++) {
		btd__file_desc__init(&f[i]);
		f[i].path = (char *)(uintptr_t)paths[i];
		f[i].length = lens[i];
		f[i].offset = off;
		f[i].pad = pads[i];
		off += lens[i];
		fp[i] = &f[i];
	}
	total = off;
	np = (uint32_t)((total + pl - 1) / pl);
	if (np > MAXPIECES || (zero = calloc(1, pl)) == NULL)
		errx(1, "%u pieces", np);
	ta.torrent = num;
	ta.info_hash.data = ih;
	ta.info_hash.len = sizeof(ih);
	ta.root = (char *)(uintptr_t)"/tmp";	/* fuzz_stored replaces it */
	ta.dir = (char *)(uintptr_t)dir;
	ta.n_files = (size_t)nf;
	ta.files = fp;
	ta.piece_length = pl;
	ta.piece_count = np;
	ta.total_size = total;
	env.body_case = BTD__STORED_MSG__BODY_TORRENT_ADD;
	env.torrent_add = &ta;
	rec(0, &env.base);
	for (i = 0; i < np; i++) {
		n = i == np - 1 ? total - (uint64_t)i * pl : pl;
		EVP_Digest(zero, n, hs + 20 * i, NULL, EVP_sha1(), NULL);
	}
	free(zero);
	th.torrent = num;
	th.hashes.data = hs;
	th.hashes.len = 20 * (size_t)np;
	env.body_case = BTD__STORED_MSG__BODY_TORRENT_HASHES;
	env.torrent_hashes = &th;
	rec(0, &env.base);
}

static void
blocks(int write, uint32_t num, uint32_t n, const uint32_t *slot,
    const uint32_t *piece, const uint32_t *off, const uint32_t *len)
{
	Btd__PeerStoredMsg	 env = BTD__PEER_STORED_MSG__INIT;
	Btd__BlockWrite		 bw = BTD__BLOCK_WRITE__INIT;
	Btd__BlockRead		 br = BTD__BLOCK_READ__INIT;
	Btd__BlockRef		 r[MAXBLOCKS], *rp[MAXBLOCKS];
	uint32_t		 i;

	for (i = 0; i < n && i < MAXBLOCKS; i++) {
		btd__block_ref__init(&r[i]);
		r[i].slot = slot[i];
		r[i].torrent = num;
		r[i].piece = piece[i];
		r[i].offset = off[i];
		r[i].length = len[i];
		rp[i] = &r[i];
	}
	if (write) {
		bw.n_blocks = i;
		bw.blocks = rp;
		env.body_case = BTD__PEER_STORED_MSG__BODY_BLOCK_WRITE;
		env.block_write = &bw;
	} else {
		br.n_blocks = i;
		br.blocks = rp;
		env.body_case = BTD__PEER_STORED_MSG__BODY_BLOCK_READ;
		env.block_read = &br;
	}
	rec(1, &env.base);
}

static void
remove_torrent(uint32_t num)
{
	Btd__StoredMsg		 env = BTD__STORED_MSG__INIT;
	Btd__TorrentRemove	 tr = BTD__TORRENT_REMOVE__INIT;

	tr.torrent = num;
	env.body_case = BTD__STORED_MSG__BODY_TORRENT_REMOVE;
	env.torrent_remove = &tr;
	rec(0, &env.base);
}

static void
open_seed(const char *dir, const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((out = fopen(path, "w")) == NULL)
		err(1, "%s", path);
}

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: stored_seeds DIR");
	{
		static const char *const paths[] = { "f" };
		static const uint64_t lens[] = { 40000 };
		static const int pads[] = { 0 };
		static const uint32_t s[] = { 0, 1, 2 }, p[] = { 0, 0, 2 },
		    o[] = { 0, 8192, 0 }, l[] = { 8192, 8192, 7232 };

		open_seed(argv[1], "single");
		add(1, 1, paths, lens, pads, 16384, "");
		blocks(1, 1, 3, s, p, o, l);
		blocks(0, 1, 2, s, p, o, l);
		remove_torrent(1);
		fclose(out);
	}
	{
		static const char *const paths[] = {
			"a", "sub/b", "sub/e", ".pad/1", "c"
		};
		static const uint64_t lens[] = { 5000, 1, 0, 11383, 30000 };
		static const int pads[] = { 0, 0, 0, 1, 0 };
		static const uint32_t s[] = { 3, 1, 0, 2 },
		    p[] = { 0, 0, 1, 2 }, o[] = { 16284, 0, 0, 100 },
		    l[] = { 100, 16284, 16384, 13416 };

		open_seed(argv[1], "multi");
		add(2, 5, paths, lens, pads, 16384, "t");
		blocks(1, 2, 4, s, p, o, l);
		blocks(1, 2, 1, s + 1, p + 1, o + 1, l + 1);
		blocks(0, 2, 2, s, p, o, l);
		fclose(out);
	}
	{
		static const uint32_t s[] = { 9, 0 }, p[] = { 0, 0 },
		    o[] = { 0, 0 }, l[] = { 1, 20000 };

		open_seed(argv[1], "violations");
		blocks(1, 5, 1, s, p, o, l);
		blocks(1, 5, 1, s + 1, p + 1, o + 1, l + 1);
		fclose(out);
	}
	return 0;
}
