/*
 * check_blockpath.c -- stored's block path, driven as peerd and btd
 * would: real chans over socketpairs, real sealed arenas (arena_memfd,
 * arena_map), real files in a temporary download root.
 *
 * The torrent: a (5000 bytes), sub/b (1 byte), sub/empty (0), a pad
 * file up to the piece boundary, c (70000 bytes); 32 KiB pieces of two
 * 16 KiB blocks, the last one short.  Asserted: verdicts and the bytes
 * on disk for blocks in order, out of order, overwritten and corrupt;
 * slots returned; reads of verified pieces only, pad bytes as zeros;
 * PiecesDurable only after a flush; the check of existing data; write
 * errors putting the torrent in error; descriptors, torrents and paths
 * that break the contract refused; a check's hash of mapped bytes that
 * survives the file shrinking under the mapping.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "peer_stored.pb-c.h"
#include "stored.pb-c.h"

#include "arena.h"
#include "chan.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "stored/stored.h"

#define PL		32768		/* piece length */
#define BLK		16384
#define NFILES		5
#define LEN_A		5000
#define LEN_PAD		(PL - LEN_A - 1)
#define LEN_C		70000
#define TOTAL		(PL + LEN_C)
#define NPIECES		((TOTAL + PL - 1) / PL)		/* 4 */
#define LAST		(TOTAL - (NPIECES - 1) * PL)	/* 4464 */
#define DOWN_SLOTS	64
#define UP_SLOTS	16
#define TNUM		7
#define MAXPIECES	64		/* of any torrent here */

static const char *const fpath[NFILES] = {
	"a", "sub/b", "sub/empty", ".pad/27767", "c"
};
static const uint64_t flen[NFILES] = { LEN_A, 1, 0, LEN_PAD, LEN_C };
static const int fpad[NFILES] = { 0, 0, 0, 1, 0 };

/* What the fake peerd and btd saw. */
struct seen {
	int		 verdicts, vok[MAXPIECES], vbad[MAXPIECES];
	int		 freed, freed_slot[DOWN_SLOTS];
	int		 reads, read_ok[UP_SLOTS], read_slot[UP_SLOTS];
	int		 haves;
	uint8_t		 have[MAXPIECES / 8];
	int		 gones;
	char		 gone_error[256];
	int		 pings;
	int		 checked;
	uint8_t		 checked_have[MAXPIECES / 8];
	uint32_t	 hashed;
	uint32_t	 trusted, lost;	/* ... and the rest of it */
	Btd__FileStat	 fstat[NFILES];	/* its stats, to send back */
	size_t		 nfstat;
	uint32_t	 missing[NFILES];
	size_t		 nmissing;
	uint32_t	 progress;	/* the last CheckProgress */
	int		 progress_checks, progresses;
	int		 durable[MAXPIECES];
	int		 ndurable;
	uint64_t	 flushes_at_durable;
	int		 errors;
	char		 error[512];
	int		 peer_gone, peer_violation, btd_violation;
	int		 delete_results, deleted, delete_ok;
	int		 stats;		/* StoredStats seen */
	unsigned	 created;	/* bits: files FilesCreated named */
	int		 created_msgs;
};

static struct event_base	*base;
static struct chan		*st_btd, *st_peer, *fk_btd, *fk_peer;
static struct arena		 down_st, up_st, down_pd, up_pd;
static uint8_t			 data[TOTAL];
static uint8_t			 hashes[NPIECES * SHA1_LEN];
static char			 root[64];
static struct seen		 s;

#define RUN_UNTIL(cond) do {						\
	int _i;								\
	for (_i = 0; _i < 3000 && !(cond); _i++) {			\
		event_base_loop(base, EVLOOP_NONBLOCK);			\
		usleep(1000);						\
	}								\
} while (0)

/* Turn the loop a few times: for things that must not happen. */
static void
settle(void)
{
	int i;

	for (i = 0; i < 50; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

/* stored's end of the btd channel: role.c's dispatch, in short. */
static void
st_btd_cb(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	ProtobufCMessage *env;

	(void)why;
	(void)arg;
	if (buf == NULL)
		return;
	env = msg_unpack(&btd__stored_msg__descriptor, buf, len);
	ck_assert_ptr_nonnull(env);
	if (stored_dispatch_btd(c, env) == -1)
		s.btd_violation++;
	msg_free(env);
}

/* stored's end of the peerd channel: a violation closes it. */
static void
st_peer_cb(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	ProtobufCMessage *env;

	(void)why;
	(void)arg;
	if (buf == NULL)
		return;
	env = msg_unpack(&btd__peer_stored_msg__descriptor, buf, len);
	ck_assert_ptr_nonnull(env);
	if (stored_dispatch_peerd(c, env) == -1) {
		s.peer_violation++;
		stored_link_down();
		chan_free(c);
		st_peer = NULL;
	}
	msg_free(env);
}

static void
fk_peer_cb(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	const Btd__PeerStoredMsg	*m;
	ProtobufCMessage		*env;
	size_t				 i;

	(void)c;
	(void)why;
	(void)arg;
	if (buf == NULL) {
		s.peer_gone++;
		return;
	}
	env = msg_unpack(&btd__peer_stored_msg__descriptor, buf, len);
	ck_assert_ptr_nonnull(env);
	m = (const Btd__PeerStoredMsg *)(const void *)env;
	switch (m->body_case) {
	case BTD__PEER_STORED_MSG__BODY_SLOTS_FREE:
		for (i = 0; i < m->slots_free->n_slots; i++) {
			ck_assert_uint_lt(m->slots_free->slots[i], DOWN_SLOTS);
			s.freed_slot[m->slots_free->slots[i]]++;
			s.freed++;
		}
		break;
	case BTD__PEER_STORED_MSG__BODY_VERDICTS:
		for (i = 0; i < m->verdicts->n_verdicts; i++) {
			const Btd__PieceVerdict *v = m->verdicts->verdicts[i];

			ck_assert_uint_eq(v->torrent, TNUM);
			ck_assert_uint_lt(v->piece, MAXPIECES);
			if (v->ok)
				s.vok[v->piece]++;
			else
				s.vbad[v->piece]++;
			s.verdicts++;
		}
		break;
	case BTD__PEER_STORED_MSG__BODY_READ_DONE:
		for (i = 0; i < m->read_done->n_results; i++) {
			const Btd__ReadResult *r = m->read_done->results[i];

			ck_assert_uint_lt(r->slot, UP_SLOTS);
			s.read_ok[r->slot] = r->ok;
			s.read_slot[r->slot]++;
			s.reads++;
		}
		break;
	case BTD__PEER_STORED_MSG__BODY_HAVE:
		ck_assert_uint_eq(m->have->torrent, TNUM);
		ck_assert_uint_le(m->have->bitfield.len, sizeof(s.have));
		memcpy(s.have, m->have->bitfield.data, m->have->bitfield.len);
		s.haves++;
		break;
	case BTD__PEER_STORED_MSG__BODY_PING:
		s.pings++;
		break;
	case BTD__PEER_STORED_MSG__BODY_GONE:
		snprintf(s.gone_error, sizeof(s.gone_error), "%s",
		    m->gone->error);
		s.gones++;
		break;
	default:
		ck_abort_msg("peerd got body %d", m->body_case);
	}
	msg_free(env);
}

static void
fk_btd_cb(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	const Btd__StoredMsg	*m;
	ProtobufCMessage	*env;
	size_t			 i;

	(void)c;
	(void)why;
	(void)arg;
	if (buf == NULL)
		return;
	env = msg_unpack(&btd__stored_msg__descriptor, buf, len);
	ck_assert_ptr_nonnull(env);
	m = (const Btd__StoredMsg *)(const void *)env;
	switch (m->body_case) {
	case BTD__STORED_MSG__BODY_CHECKED:
		ck_assert_uint_le(m->checked->have.len,
		    sizeof(s.checked_have));
		memcpy(s.checked_have, m->checked->have.data,
		    m->checked->have.len);
		s.hashed = m->checked->hashed;
		s.trusted = m->checked->trusted;
		s.lost = m->checked->lost;
		/* Kept for the torrents of NFILES files. */
		s.nfstat = m->checked->n_stats <= NFILES ?
		    m->checked->n_stats : 0;
		for (i = 0; i < s.nfstat; i++) {
			btd__file_stat__init(&s.fstat[i]);
			s.fstat[i].file = m->checked->stats[i]->file;
			s.fstat[i].size = m->checked->stats[i]->size;
			s.fstat[i].mtime = m->checked->stats[i]->mtime;
			s.fstat[i].missing = m->checked->stats[i]->missing;
		}
		s.nmissing = m->checked->n_missing <= NFILES ?
		    m->checked->n_missing : 0;
		for (i = 0; i < s.nmissing; i++)
			s.missing[i] = m->checked->missing[i];
		s.checked++;
		break;
	case BTD__STORED_MSG__BODY_DURABLE:
		ck_assert_uint_eq(m->durable->torrent, TNUM);
		for (i = 0; i < m->durable->n_pieces; i++) {
			ck_assert_uint_lt(m->durable->pieces[i], MAXPIECES);
			s.durable[m->durable->pieces[i]]++;
			s.ndurable++;
		}
		s.flushes_at_durable = stored_flush_count();
		break;
	case BTD__STORED_MSG__BODY_TORRENT_ERROR:
		snprintf(s.error, sizeof(s.error), "%s",
		    m->torrent_error->error);
		s.errors++;
		break;
	case BTD__STORED_MSG__BODY_CHECK_PROGRESS:
		/* Pieces looked at: never back, never past the torrent. */
		ck_assert_uint_eq(m->check_progress->torrent, TNUM);
		ck_assert_uint_le(m->check_progress->pieces, MAXPIECES);
		if (s.checked == s.progress_checks)
			ck_assert_uint_ge(m->check_progress->pieces,
			    s.progress);
		s.progress = m->check_progress->pieces;
		s.progress_checks = s.checked;
		s.progresses++;
		break;
	case BTD__STORED_MSG__BODY_FILES_CREATED:
		ck_assert_uint_eq(m->files_created->torrent, TNUM);
		for (i = 0; i < m->files_created->n_files; i++) {
			uint32_t f = m->files_created->files[i];

			if (f >= 32)
				continue;	/* many_files */
			/* Each is reported once: only O_EXCL made it. */
			ck_assert_uint_eq(s.created & (1U << f), 0);
			s.created |= 1U << f;
		}
		s.created_msgs++;
		break;
	case BTD__STORED_MSG__BODY_STATS:
		s.stats++;
		break;
	case BTD__STORED_MSG__BODY_DELETE_RESULT:
		s.deleted = (int)m->delete_result->removed;
		s.delete_ok = m->delete_result->ok;
		s.delete_results++;
		break;
	default:
		ck_abort_msg("btd got body %d", m->body_case);
	}
	msg_free(env);
}

static void
pair(struct chan **st, chan_cb stcb, struct chan **fk, chan_cb fkcb,
    const char *name)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	*st = chan_new(base, sv[0], name, FRAME_MAX_BLOCK, stcb, NULL);
	*fk = chan_new(base, sv[1], name, FRAME_MAX_BLOCK, fkcb, NULL);
	ck_assert_ptr_nonnull(*st);
	ck_assert_ptr_nonnull(*fk);
}

/* Two mappings of one memfd: stored's and peerd's. */
static void
mkarena(uint32_t slots, struct arena *st, struct arena *pd)
{
	char	 err[128];
	int	 fd = arena_memfd("test", ARENA_SLOT_SIZE, slots);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(arena_map(fd, ARENA_SLOT_SIZE, slots, 1, st, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(arena_map(fd, ARENA_SLOT_SIZE, slots, 1, pd, err,
	    sizeof(err)), 0);
	close(fd);
}

/* A new generation of the link: new chans, the same arenas. */
static void
relink(void)
{
	if (st_peer != NULL) {
		stored_link_down();
		chan_free(st_peer);
	}
	if (fk_peer != NULL)
		chan_free(fk_peer);
	pair(&st_peer, st_peer_cb, &fk_peer, fk_peer_cb, "peerd");
	stored_link_up(st_peer, &down_st, &up_st);
}

static void
setup(void)
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	uint32_t	 i, p, seed = 12345;

	memset(&s, 0, sizeof(s));
	log_init("check_blockpath", 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	for (i = 0; i < TOTAL; i++) {
		seed = seed * 1103515245 + 12345;
		data[i] = (uint8_t)(seed >> 16);
	}
	memset(data + LEN_A + 1, 0, LEN_PAD);	/* the pad file's bytes */
	for (p = 0; p < NPIECES; p++) {
		uint32_t n = p == NPIECES - 1 ? LAST : PL;

		EVP_DigestInit_ex(md, EVP_sha1(), NULL);
		EVP_DigestUpdate(md, data + p * PL, n);
		EVP_DigestFinal_ex(md, hashes + p * SHA1_LEN, NULL);
	}
	EVP_MD_CTX_free(md);
	snprintf(root, sizeof(root), "/tmp/check_blockpath.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	base = event_base_new();
	pair(&st_btd, st_btd_cb, &fk_btd, fk_btd_cb, "btd");
	stored_init(base, st_btd);
	mkarena(DOWN_SLOTS, &down_st, &down_pd);
	mkarena(UP_SLOTS, &up_st, &up_pd);
	relink();
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	(void)system(cmd);
}

/*
 * StoredTorrentAdd carries this many files, TorrentFiles one each of
 * the rest (first_skew added to their first); 0: all in the add.
 */
static int	files_in_add, first_skew;
/* The records btd would send back (quick resume), or none. */
static Btd__FileStat	*add_stats[NFILES];
static size_t		 n_add_stats;

/* Send the torrent (files as given) and its hashes. */
static void
send_torrent_files(uint32_t num, const char *const *paths,
    const uint64_t *offsets, const uint8_t *have, int recheck)
{
	Btd__StoredTorrentAdd	 ta = BTD__STORED_TORRENT_ADD__INIT;
	Btd__TorrentHashes	 th = BTD__TORRENT_HASHES__INIT;
	Btd__FileDesc		 f[NFILES], *fp[NFILES];
	uint8_t			 ih[SHA1_LEN] = { 1, 2, 3 };
	uint64_t		 off = 0;
	int			 i;

	for (i = 0; i < NFILES; i++) {
		btd__file_desc__init(&f[i]);
		f[i].path = (char *)(uintptr_t)paths[i];
		f[i].length = flen[i];
		f[i].offset = offsets != NULL ? offsets[i] : off;
		f[i].pad = fpad[i];
		off += flen[i];
		fp[i] = &f[i];
	}
	ta.torrent = num;
	ta.info_hash.data = ih;
	ta.info_hash.len = sizeof(ih);
	ta.root = root;
	ta.dir = (char *)(uintptr_t)"t";
	ta.n_files = NFILES;
	ta.files = fp;
	ta.piece_length = PL;
	ta.piece_count = NPIECES;
	ta.total_size = TOTAL;
	if (have != NULL) {
		ta.have.data = (uint8_t *)(uintptr_t)have;
		ta.have.len = (NPIECES + 7) / 8;
	}
	ta.recheck = recheck;
	ta.stats = add_stats;
	ta.n_stats = n_add_stats;
	if (files_in_add > 0) {
		ta.n_files = (size_t)files_in_add;
		ta.file_count = NFILES;
	}
	ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
	    TORRENT_ADD, torrent_add, &ta, -1), 0);
	for (i = files_in_add; files_in_add > 0 && i < NFILES; i++) {
		Btd__TorrentFiles tf = BTD__TORRENT_FILES__INIT;

		tf.torrent = num;
		tf.first = (uint32_t)(i + first_skew);
		tf.files = &fp[i];
		tf.n_files = 1;
		ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
		    TORRENT_FILES, torrent_files, &tf, -1), 0);
	}
	/* In two messages, the second first. */
	th.torrent = num;
	th.first = 2;
	th.hashes.data = hashes + 2 * SHA1_LEN;
	th.hashes.len = (NPIECES - 2) * SHA1_LEN;
	ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
	    TORRENT_HASHES, torrent_hashes, &th, -1), 0);
	th.first = 0;
	th.hashes.data = hashes;
	th.hashes.len = 2 * SHA1_LEN;
	ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
	    TORRENT_HASHES, torrent_hashes, &th, -1), 0);
}

/*
 * Add the torrent and wait for its check.  peerd gets the torrent's
 * pieces after it, unless files are missing under recorded pieces: then
 * btd stops the torrent, and peerd must not fetch into it meanwhile.
 */
static void
add_torrent(const uint8_t *have, int recheck)
{
	int checked = s.checked, haves = s.haves;

	send_torrent_files(TNUM, fpath, NULL, have, recheck);
	RUN_UNTIL(s.checked > checked);
	ck_assert_int_eq(s.checked, checked + 1);
	if (s.nmissing == 0) {
		RUN_UNTIL(s.haves > haves);
		ck_assert_int_eq(s.haves, haves + 1);
	} else {
		settle();
		ck_assert_int_eq(s.haves, haves);
	}
	ck_assert_int_eq(s.errors, 0);
}

/* Hand a block to stored in slot, with the torrent's own bytes. */
static struct {
	Btd__BlockRef	 r[64];
	Btd__BlockRef	*rp[64];
	int		 n;
} batch;

static void
block(uint32_t slot, uint32_t piece, uint32_t off, uint32_t len,
    const uint8_t *bytes)
{
	Btd__BlockRef *r = &batch.r[batch.n];

	btd__block_ref__init(r);
	batch.rp[batch.n++] = r;
	r->slot = slot;
	r->torrent = TNUM;
	r->piece = piece;
	r->offset = off;
	r->length = len;
	if (slot >= DOWN_SLOTS || len > ARENA_SLOT_SIZE)
		return;
	if (bytes != NULL)
		memcpy(arena_slot(&down_pd, slot), bytes, len);
	else if ((size_t)piece * PL + off + len <= TOTAL)
		memcpy(arena_slot(&down_pd, slot), data + (size_t)piece * PL +
		    off, len);
}

static void
send_writes(void)
{
	Btd__BlockWrite bw = BTD__BLOCK_WRITE__INIT;

	bw.n_blocks = (size_t)batch.n;
	bw.blocks = batch.rp;
	ck_assert_int_eq(MSG_SEND(fk_peer, Btd__PeerStoredMsg,
	    PEER_STORED_MSG, BLOCK_WRITE, block_write, &bw, -1), 0);
	batch.n = 0;
}

static void
send_reads(void)
{
	Btd__BlockRead br = BTD__BLOCK_READ__INIT;

	br.n_blocks = (size_t)batch.n;
	br.blocks = batch.rp;
	ck_assert_int_eq(MSG_SEND(fk_peer, Btd__PeerStoredMsg,
	    PEER_STORED_MSG, BLOCK_READ, block_read, &br, -1), 0);
	batch.n = 0;
}

/* Write a whole piece in order, in slots from slot0 on. */
static void
write_piece(uint32_t piece, uint32_t slot0)
{
	uint32_t n = piece == NPIECES - 1 ? LAST : PL, off;

	for (off = 0; off < n; off += BLK)
		block(slot0++, piece, off, n - off < BLK ? n - off : BLK, NULL);
	send_writes();
}

/* Bytes [foff, foff + len) of file i on disk are the torrent's. */
static void
assert_range(int i, size_t foff, size_t len)
{
	char		 path[256];
	uint8_t		*buf = malloc(flen[i] + 1);
	uint64_t	 off = 0;
	int		 k, fd;
	ssize_t		 n;

	for (k = 0; k < i; k++)
		off += flen[k];
	snprintf(path, sizeof(path), "%s/t/%s", root, fpath[i]);
	fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	n = pread(fd, buf, flen[i] + 1, 0);
	ck_assert_int_ge(n, (ssize_t)(foff + len));
	ck_assert_int_eq(memcmp(buf + foff, data + off + foff, len), 0);
	close(fd);
	free(buf);
}

static void
assert_file(int i, size_t len)
{
	assert_range(i, 0, len);
}

static void
assert_absent(const char *rel)
{
	char		path[256];
	struct stat	st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	ck_assert_int_eq(stat(path, &st), -1);
}

START_TEST(in_order)
{
	struct stored_block_stats st;

	add_torrent(NULL, 0);
	ck_assert_uint_eq(s.have[0], 0);
	write_piece(0, 0);
	RUN_UNTIL(s.verdicts == 1 && s.freed == 2);
	ck_assert_int_eq(s.vok[0], 1);
	ck_assert_int_eq(s.freed_slot[0], 1);
	ck_assert_int_eq(s.freed_slot[1], 1);
	assert_file(0, LEN_A);
	assert_file(1, 1);
	assert_absent("t/.pad");		/* never written */
	stored_block_stats(&st);
	ck_assert_uint_eq(st.readback, 0);	/* hashed from the copy */
	ck_assert_uint_eq(st.written, PL);
	/* A block for the verified piece is dropped, its slot freed. */
	block(5, 0, 0, BLK, NULL);
	send_writes();
	RUN_UNTIL(s.freed == 3);
	ck_assert_int_eq(s.freed_slot[5], 1);
	settle();
	ck_assert_int_eq(s.verdicts, 1);
	ck_assert_int_eq(s.peer_violation, 0);
}
END_TEST

START_TEST(out_of_order)
{
	struct stored_block_stats st;

	add_torrent(NULL, 0);
	/* Piece 1: second block, then the first, in separate messages. */
	block(3, 1, BLK, BLK, NULL);
	send_writes();
	RUN_UNTIL(s.freed == 1);
	settle();
	ck_assert_int_eq(s.verdicts, 0);
	block(4, 1, 0, BLK, NULL);
	send_writes();
	RUN_UNTIL(s.verdicts == 1);
	ck_assert_int_eq(s.vok[1], 1);
	stored_block_stats(&st);
	/* The early block was kept by the block cache: not read back. */
	ck_assert_uint_eq(st.readback, 0);
	ck_assert_uint_eq(st.frommem, BLK);
	/* The last piece, short, its two blocks in one batch reversed. */
	block(0, 3, 4000, LAST - 4000, NULL);
	block(1, 3, 0, 4000, NULL);
	send_writes();
	RUN_UNTIL(s.verdicts == 2);
	ck_assert_int_eq(s.vok[3], 1);
	/* Piece 2 in three odd-sized blocks: middle, last, first. */
	block(6, 2, 1000, 16000, NULL);
	block(7, 2, 17000, PL - 17000, NULL);
	block(8, 2, 0, 1000, NULL);
	send_writes();
	RUN_UNTIL(s.verdicts == 3);
	ck_assert_int_eq(s.vok[2], 1);
	assert_file(4, LEN_C);
	ck_assert_int_eq(s.freed, 7);
}
END_TEST

START_TEST(corrupt_then_good)
{
	uint8_t bad[BLK];

	add_torrent(NULL, 0);
	memcpy(bad, data + PL, BLK);
	bad[100] ^= 0xff;
	block(0, 1, 0, BLK, bad);
	block(1, 1, BLK, BLK, NULL);
	send_writes();
	RUN_UNTIL(s.verdicts == 1);
	ck_assert_int_eq(s.vbad[1], 1);
	ck_assert_int_eq(s.vok[1], 0);
	/* Forgotten: one good block alone gives no verdict ... */
	block(2, 1, BLK, BLK, NULL);
	send_writes();
	RUN_UNTIL(s.freed == 3);
	settle();
	ck_assert_int_eq(s.verdicts, 1);
	/* ... the whole piece again does. */
	block(3, 1, 0, BLK, NULL);
	send_writes();
	RUN_UNTIL(s.verdicts == 2);
	ck_assert_int_eq(s.vok[1], 1);
	assert_file(4, PL);
}
END_TEST

START_TEST(overwrite)
{
	struct stored_block_stats	 st;
	uint8_t				 bad[BLK];

	add_torrent(NULL, 0);
	/* Garbage first (hashed at once), then the good bytes over it. */
	memset(bad, 0xAA, sizeof(bad));
	block(0, 2, 0, BLK, bad);
	send_writes();
	RUN_UNTIL(s.freed == 1);
	block(1, 2, 0, BLK, NULL);
	send_writes();
	RUN_UNTIL(s.freed == 2);
	/* Overlapping a written, unhashed range: no restart needed. */
	block(2, 2, BLK + 100, 1000, bad);
	block(3, 2, BLK + 50, 2000, NULL);
	send_writes();
	RUN_UNTIL(s.freed == 4);
	settle();
	ck_assert_int_eq(s.verdicts, 0);
	block(4, 2, BLK, BLK, NULL);
	send_writes();
	RUN_UNTIL(s.verdicts == 1);
	ck_assert_int_eq(s.vok[2], 1);
	stored_block_stats(&st);
	ck_assert_uint_eq(st.restarts, 1);	/* the second block 0 */
	assert_range(4, PL, PL);
}
END_TEST

START_TEST(reads)
{
	uint8_t zeros[LEN_PAD];

	add_torrent(NULL, 0);
	write_piece(0, 0);
	RUN_UNTIL(s.vok[0] == 1);
	/* a's tail, b, and the pad's head (zeros). */
	block(0, 0, LEN_A - 10, 100, NULL);
	/* Piece 1 is not verified: not ok. */
	block(1, 1, 0, BLK, NULL);
	/* The whole of piece 0's second block: pad zeros. */
	block(2, 0, BLK, BLK, NULL);
	memset(arena_slot(&up_pd, 0), 0x55, ARENA_SLOT_SIZE);
	memset(arena_slot(&up_pd, 2), 0x55, ARENA_SLOT_SIZE);
	send_reads();
	RUN_UNTIL(s.reads == 3);
	ck_assert_int_eq(s.read_ok[0], 1);
	ck_assert_int_eq(s.read_ok[1], 0);
	ck_assert_int_eq(s.read_ok[2], 1);
	ck_assert_int_eq(memcmp(arena_slot(&up_pd, 0), data + LEN_A - 10, 100),
	    0);
	ck_assert_int_eq(arena_slot(&up_pd, 0)[11], 0);	/* pad */
	memset(zeros, 0, sizeof(zeros));
	ck_assert_int_eq(memcmp(arena_slot(&up_pd, 2), data + BLK, BLK), 0);
	ck_assert_int_eq(memcmp(arena_slot(&up_pd, 2), zeros, BLK), 0);
	/* Slots came back: they can be used again at once. */
	block(0, 0, 0, 10, NULL);
	send_reads();
	RUN_UNTIL(s.reads == 4);
	ck_assert_int_eq(s.read_ok[0], 1);
	ck_assert_int_eq(s.peer_violation, 0);
}
END_TEST

START_TEST(durable_after_flush)
{
	add_torrent(NULL, 0);
	write_piece(0, 0);
	block(2, 3, 0, LAST, NULL);
	send_writes();
	RUN_UNTIL(s.verdicts == 2);
	ck_assert_int_eq(s.vok[0] + s.vok[3], 2);
	/* Verified, not yet flushed: nothing for btd yet. */
	ck_assert_uint_eq(stored_flush_count(), 0);
	ck_assert_int_eq(s.ndurable, 0);
	RUN_UNTIL(s.ndurable == 2);
	ck_assert_int_eq(s.durable[0], 1);
	ck_assert_int_eq(s.durable[3], 1);
	ck_assert_uint_ge(s.flushes_at_durable, 1);
	/* Reported once. */
	write_piece(1, 4);
	RUN_UNTIL(s.ndurable == 3);
	ck_assert_int_eq(s.durable[0], 1);
	ck_assert_int_eq(s.durable[1], 1);
}
END_TEST

START_TEST(check_existing)
{
	uint8_t	have[1] = { 0 };
	char	path[256];
	int	fd, i;

	/* The data is already there, except that c is short by a byte. */
	for (i = 0; i < NFILES; i++) {
		uint64_t off = 0;
		int k;

		if (fpad[i])
			continue;
		for (k = 0; k < i; k++)
			off += flen[k];
		snprintf(path, sizeof(path), "%s/t", root);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/t/sub", root);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/t/%s", root, fpath[i]);
		fd = open(path, O_WRONLY | O_CREAT, 0644);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, data + off, flen[i] - (i == 4)),
		    (ssize_t)(flen[i] - (i == 4)));
		close(fd);
	}
	/* Piece 1 corrupt on disk. */
	snprintf(path, sizeof(path), "%s/t/c", root);
	fd = open(path, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, "X", 1, 10), 1);
	close(fd);
	/*
	 * btd says piece 2 was verified, but has no record of c: hashed
	 * again, as are 0 (good) and 1 (corrupt); 3 is short.
	 */
	have[0] = 0x20;
	add_torrent(have, 0);
	ck_assert_uint_eq(s.checked_have[0], 0xa0);
	ck_assert_uint_eq(s.have[0], 0xa0);
	ck_assert_uint_eq(s.hashed, 3);
	ck_assert_uint_eq(s.trusted, 0);
	/* Before TorrentChecked, a progress of every piece. */
	ck_assert_int_ge(s.progresses, 1);
	ck_assert_uint_eq(s.progress, 4);
	/* Every file's stats; the pad and the empty one as missing. */
	ck_assert_uint_eq(s.nfstat, NFILES);
	ck_assert_uint_eq(s.fstat[0].size, LEN_A);
	ck_assert_uint_eq(s.fstat[4].size, LEN_C - 1);
	ck_assert_int_ne(s.fstat[4].mtime, 0);
	ck_assert_int_eq(s.fstat[3].missing, 1);
	ck_assert_int_eq(s.fstat[2].missing, 1);
	ck_assert_uint_eq(s.nmissing, 0);
}
END_TEST

/* Stop the torrent, then add it again with the last check's records. */
static void
readd(const uint8_t *have)
{
	Btd__TorrentRemove	tr = BTD__TORRENT_REMOVE__INIT;
	static Btd__FileStat	rec[NFILES];
	int			gones = s.gones;
	size_t			i;

	tr.torrent = TNUM;
	ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
	    TORRENT_REMOVE, torrent_remove, &tr, -1), 0);
	RUN_UNTIL(s.gones > gones);
	memcpy(rec, s.fstat, sizeof(rec));
	for (i = 0; i < s.nfstat; i++)
		add_stats[i] = &rec[i];
	n_add_stats = s.nfstat;
	add_torrent(have, 0);
	n_add_stats = 0;
}

START_TEST(check_records)
{
	struct timespec	ts[2] = { { 1000000, 0 }, { 1000000, 0 } };
	uint8_t		have[1] = { 0 };
	char		path[256];
	int		fd, i;

	/* The data in place, c short by a byte, piece 1 corrupt. */
	snprintf(path, sizeof(path), "%s/t", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/t/sub", root);
	mkdir(path, 0755);
	for (i = 0; i < NFILES; i++) {
		uint64_t off = 0;
		int k;

		if (fpad[i])
			continue;
		for (k = 0; k < i; k++)
			off += flen[k];
		snprintf(path, sizeof(path), "%s/t/%s", root, fpath[i]);
		fd = open(path, O_WRONLY | O_CREAT, 0644);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, data + off, flen[i] - (i == 4)),
		    (ssize_t)(flen[i] - (i == 4)));
		if (i == 4)
			ck_assert_int_eq(pwrite(fd, "X", 1, 10), 1);
		close(fd);
	}
	add_torrent(have, 0);
	ck_assert_uint_eq(s.checked_have[0], 0xa0);
	ck_assert_uint_eq(s.hashed, 3);
	/* As recorded: 0 and 2 trusted, only 1 (not verified) hashed. */
	readd(s.checked_have);
	ck_assert_uint_eq(s.checked_have[0], 0xa0);
	ck_assert_uint_eq(s.trusted, 2);
	ck_assert_uint_eq(s.hashed, 1);
	/* a touched: piece 0 is hashed again, 2 still trusted. */
	snprintf(path, sizeof(path), "%s/t/a", root);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	readd(s.checked_have);
	ck_assert_uint_eq(s.checked_have[0], 0xa0);
	ck_assert_uint_eq(s.trusted, 1);
	ck_assert_uint_eq(s.hashed, 2);
	/* a deleted: piece 0 lost, a named missing. */
	ck_assert_int_eq(unlink(path), 0);
	readd(s.checked_have);
	ck_assert_uint_eq(s.checked_have[0], 0x20);
	ck_assert_uint_eq(s.lost, 1);
	ck_assert_uint_eq(s.trusted, 1);
	ck_assert_uint_eq(s.nmissing, 1);
	ck_assert_uint_eq(s.missing[0], 0);
	ck_assert_int_eq(s.fstat[0].missing, 1);
}
END_TEST

START_TEST(check_recheck)
{
	uint8_t	have[1] = { 0xf0 };
	char	path[256];

	/* Nothing on disk: whatever btd says, nothing is there. */
	add_torrent(have, 0);
	ck_assert_uint_eq(s.checked_have[0], 0);
	ck_assert_uint_eq(s.hashed, 0);
	/* The empty file was made, the pad file not. */
	snprintf(path, sizeof(path), "%s/t/sub/empty", root);
	ck_assert_int_eq(access(path, F_OK), 0);
	assert_absent("t/.pad");
	/* Download everything, then check again with recheck. */
	write_piece(0, 0);
	write_piece(1, 2);
	write_piece(2, 4);
	write_piece(3, 6);
	RUN_UNTIL(s.verdicts == 4);
	ck_assert_int_eq(s.vok[0] + s.vok[1] + s.vok[2] + s.vok[3], 4);
	{
		Btd__TorrentRemove tr = BTD__TORRENT_REMOVE__INIT;

		tr.torrent = TNUM;
		ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
		    TORRENT_REMOVE, torrent_remove, &tr, -1), 0);
		RUN_UNTIL(s.gones == 1);
		ck_assert_str_eq(s.gone_error, "");
	}
	snprintf(path, sizeof(path), "%s/t/c", root);
	{
		int fd = open(path, O_WRONLY);

		ck_assert_int_eq(pwrite(fd, "X", 1, LEN_C - 1), 1);
		close(fd);
	}
	add_torrent(have, 1);
	ck_assert_uint_eq(s.checked_have[0], 0xe0);	/* 3 is corrupt */
	ck_assert_uint_eq(s.hashed, 4);
}
END_TEST

/* TorrentRemove to stored, and its TorrentGone to peerd. */
static void
remove_torrent(void)
{
	Btd__TorrentRemove	tr = BTD__TORRENT_REMOVE__INIT;
	int			gones = s.gones;

	tr.torrent = TNUM;
	ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
	    TORRENT_REMOVE, torrent_remove, &tr, -1), 0);
	RUN_UNTIL(s.gones > gones);
	ck_assert_int_eq(s.gones, gones + 1);
}

/*
 * Removed as its check begins (its run may still be out with the hash
 * workers, then dropped when it comes back; or the check may be over):
 * nothing is reported of that check after the removal, and the torrent
 * added again is checked in full.
 */
START_TEST(check_removed)
{
	uint8_t	have[1] = { 0xf0 };
	int	checked, progresses;

	add_torrent(have, 0);
	write_piece(0, 0);
	write_piece(1, 2);
	write_piece(2, 4);
	write_piece(3, 6);
	RUN_UNTIL(s.verdicts == 4);
	remove_torrent();
	usleep(600 * 1000);	/* a CheckProgress at the first turn */
	progresses = s.progresses;
	send_torrent_files(TNUM, fpath, NULL, have, 1);
	RUN_UNTIL(s.progresses > progresses);
	remove_torrent();
	checked = s.checked;
	settle();
	ck_assert_int_eq(s.checked, checked);
	add_torrent(have, 1);
	ck_assert_uint_eq(s.checked_have[0], 0xf0);
	ck_assert_uint_eq(s.hashed, 4);
}
END_TEST

/* DeleteData still works through the same root as the block path. */
START_TEST(delete_data)
{
	Btd__TorrentRemove	 tr = BTD__TORRENT_REMOVE__INIT;
	Btd__DeleteData		 dd = BTD__DELETE_DATA__INIT;
	char			 path[256];
	struct stat		 st;

	add_torrent(NULL, 0);
	write_piece(0, 0);
	write_piece(1, 2);
	RUN_UNTIL(s.verdicts == 2);
	tr.torrent = TNUM;
	ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
	    TORRENT_REMOVE, torrent_remove, &tr, -1), 0);
	/* stored made every file of the fresh root but the pad. */
	ck_assert_uint_eq(s.created, 0x17);
	dd.id = 1;
	dd.root = root;
	dd.dir = (char *)(uintptr_t)"t";
	dd.n_paths = NFILES;
	dd.paths = (char **)(uintptr_t)fpath;
	dd.remove_dir = 1;
	ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
	    DELETE_DATA, delete_data, &dd, -1), 0);
	RUN_UNTIL(s.delete_results == 1);
	ck_assert_int_eq(s.delete_ok, 1);
	ck_assert_int_eq(s.deleted, 4);		/* a, sub/b, sub/empty, c */
	snprintf(path, sizeof(path), "%s/t", root);
	ck_assert_int_eq(stat(path, &st), -1);	/* emptied and removed */
	ck_assert_int_eq(stat(root, &st), 0);
}
END_TEST

/* The file list in parts: the torrent is the same as in one add. */
START_TEST(files_in_parts)
{
	char		path[256];
	struct stat	st;

	files_in_add = 1;
	add_torrent(NULL, 0);
	files_in_add = 0;
	write_piece(0, 0);
	write_piece(1, 2);
	RUN_UNTIL(s.verdicts == 2);
	ck_assert_int_eq(s.vok[0] + s.vok[1], 2);
	snprintf(path, sizeof(path), "%s/t/c", root);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(s.created, 0x17);
}
END_TEST

/* A part out of order: the torrent is refused with the reason. */
START_TEST(files_part_out_of_order)
{
	files_in_add = 2;
	first_skew = 1;
	send_torrent_files(TNUM, fpath, NULL, NULL, 0);
	files_in_add = first_skew = 0;
	RUN_UNTIL(s.errors == 1);
	ck_assert_str_eq(s.error, "bad files part");
	settle();
	ck_assert_int_eq(s.checked, 0);
}
END_TEST

/*
 * A DeleteData in parts: one answer, after the last part, with the
 * files of every part counted; the directory goes at the end.
 */
START_TEST(delete_data_parts)
{
	Btd__TorrentRemove	 tr = BTD__TORRENT_REMOVE__INIT;
	Btd__DeleteData		 dd = BTD__DELETE_DATA__INIT;
	char			 path[256];
	struct stat		 st;
	size_t			 i;

	add_torrent(NULL, 0);
	write_piece(0, 0);
	write_piece(1, 2);
	RUN_UNTIL(s.verdicts == 2);
	tr.torrent = TNUM;
	ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
	    TORRENT_REMOVE, torrent_remove, &tr, -1), 0);
	dd.id = 7;
	dd.root = root;
	dd.dir = (char *)(uintptr_t)"t";
	dd.remove_dir = 1;
	for (i = 0; i < NFILES; i++) {
		dd.paths = (char **)(uintptr_t)&fpath[i];
		dd.n_paths = 1;
		dd.more = i + 1 < NFILES;
		ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
		    DELETE_DATA, delete_data, &dd, -1), 0);
		if (dd.more) {
			settle();	/* the part is done: no answer yet */
			ck_assert_int_eq(s.delete_results, 0);
		}
	}
	RUN_UNTIL(s.delete_results == 1);
	ck_assert_int_eq(s.delete_ok, 1);
	ck_assert_int_eq(s.deleted, 4);
	snprintf(path, sizeof(path), "%s/t", root);
	ck_assert_int_eq(stat(path, &st), -1);
	settle();
	ck_assert_int_eq(s.delete_results, 1);	/* once */
}
END_TEST

/* A block whose file cannot be written: the torrent goes to error. */
START_TEST(write_error)
{
	struct rlimit	rl = { 40000, 40000 };

	add_torrent(NULL, 0);
	write_piece(0, 0);
	RUN_UNTIL(s.verdicts == 1);
	/* c may not grow past 40000 bytes: EFBIG, as ENOSPC would. */
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	/* Cached until the piece is complete, then written: refused. */
	block(2, 2, 0, BLK, NULL);
	send_writes();
	RUN_UNTIL(s.freed == 3);
	settle();
	ck_assert_int_eq(s.errors, 0);
	block(3, 2, BLK, BLK, NULL);
	send_writes();
	RUN_UNTIL(s.errors == 1 && s.gones == 1);
	ck_assert_str_eq(s.error, "write t/c: File too large");
	ck_assert_str_eq(s.gone_error, "write t/c: File too large");
	ck_assert_int_eq(s.vok[2], 0);
	/* Forgotten: a block for it now is dropped, its slot freed. */
	block(4, 2, BLK, BLK, NULL);
	send_writes();
	RUN_UNTIL(s.freed == 5);
	ck_assert_int_eq(s.peer_violation, 0);
	/* Nothing of the failed torrent is reported durable any more. */
	RUN_UNTIL(stored_flush_count() > 0);
	settle();
	ck_assert_int_eq(s.ndurable, 0);
}
END_TEST

/* Verified bytes gone from disk: the read fails, the torrent errs. */
START_TEST(read_error)
{
	char path[256];

	/* Without the block cache, which would serve it from memory. */
	stored_block_config("cache_size", "0");
	add_torrent(NULL, 0);
	write_piece(0, 0);
	RUN_UNTIL(s.vok[0] == 1);
	snprintf(path, sizeof(path), "%s/t/a", root);
	ck_assert_int_eq(truncate(path, 100), 0);
	block(0, 0, 0, 200, NULL);
	send_reads();
	RUN_UNTIL(s.reads == 1 && s.errors == 1);
	ck_assert_int_eq(s.read_ok[0], 0);
	ck_assert_str_eq(s.error, "read t/a: file is short");
	ck_assert_int_eq(s.gones, 1);
	ck_assert_int_eq(s.peer_violation, 0);
}
END_TEST

/* A symlink planted in the download dir is never followed. */
START_TEST(symlink_refused)
{
	char path[256], target[256];

	snprintf(path, sizeof(path), "%s/t", root);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(target, sizeof(target), "%s/outside", root);
	ck_assert_int_eq(mkdir(target, 0755), 0);
	snprintf(path, sizeof(path), "%s/t/sub", root);
	ck_assert_int_eq(symlink(target, path), 0);
	send_torrent_files(TNUM, fpath, NULL, NULL, 0);
	RUN_UNTIL(s.errors == 1);
	ck_assert_str_eq(s.error, "create t/sub/empty: Too many levels of "
	    "symbolic links");
	snprintf(path, sizeof(path), "%s/outside/empty", root);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

/*
 * A new generation of the link: TorrentHave again for every checked
 * torrent; a piece half received before it completes after it.
 */
START_TEST(relink_have)
{
	add_torrent(NULL, 0);
	write_piece(0, 0);
	block(2, 1, 0, BLK, NULL);
	send_writes();
	RUN_UNTIL(s.vok[0] == 1 && s.freed == 3);
	relink();
	RUN_UNTIL(s.haves == 2);
	ck_assert_uint_eq(s.have[0], 0x80);
	/* The slots are peerd's again: slot 2 may be handed over anew. */
	block(2, 1, BLK, BLK, NULL);
	send_writes();
	RUN_UNTIL(s.vok[1] == 1);
	ck_assert_int_eq(s.vbad[1], 0);
	ck_assert_int_eq(s.peer_violation, 0);
}
END_TEST

static size_t
varint(uint8_t *p, uint32_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/*
 * peerd stops reading: once stored's queue to it passes the mark, stored
 * stops reading peerd's blocks, and goes on when the queue has drained.
 * Nothing is dropped.
 */
START_TEST(backpressure)
{
	static uint8_t			 frame[70000];
	struct stored_block_stats	 st;
	size_t				 n = 0, inner = 65000;
	int				 i;

	add_torrent(NULL, 0);
	chan_pause(fk_peer, 1);
	/* Ping{unknown field 15: 65000 bytes}, as a PeerStoredMsg. */
	frame[n++] = 0x12;
	n += varint(frame + n, (uint32_t)(1 + 3 + inner));
	frame[n++] = 0x7a;
	n += varint(frame + n, (uint32_t)inner);
	n += inner;
	for (i = 0; i < 24; i++)
		ck_assert_int_eq(chan_send(st_peer, frame, n, -1), 0);
	settle();
	ck_assert_uint_ge(chan_outq(st_peer), CHAN_OUT_HIGH);
	block(0, 0, 0, BLK, NULL);
	send_writes();
	settle();
	block(1, 0, BLK, BLK, NULL);
	send_writes();
	settle();
	stored_block_stats(&st);
	ck_assert_uint_eq(st.written, BLK);	/* the second one waits */
	ck_assert_int_eq(s.freed, 0);
	chan_pause(fk_peer, 0);
	RUN_UNTIL(s.vok[0] == 1 && s.freed == 2);
	ck_assert_int_eq(s.pings, 24);
	ck_assert_int_eq(s.vok[0], 1);
	ck_assert_int_eq(s.freed, 2);
	stored_block_stats(&st);
	ck_assert_uint_eq(st.written, 2 * BLK);
}
END_TEST

/*
 * More files than the open-file cache holds (STORED_OPEN_FILES), each
 * piece across many: every file is evicted dirty at least once, and
 * every piece is still reported durable, after its flush, with the bytes
 * on disk right.
 */
#define MANY		(3 * STORED_OPEN_FILES)
#define MANY_LEN	250
#define MANY_PL		16384
#define MANY_PIECES	((MANY * MANY_LEN + MANY_PL - 1) / MANY_PL)

START_TEST(many_files)
{
	static Btd__FileDesc	 f[MANY], *fp[MANY];
	static char		 names[MANY][16];
	static uint8_t		 h[MANY_PIECES * SHA1_LEN];
	Btd__StoredTorrentAdd	 ta = BTD__STORED_TORRENT_ADD__INIT;
	Btd__TorrentHashes	 th = BTD__TORRENT_HASHES__INIT;
	uint8_t			 ih[SHA1_LEN] = { 9 }, buf[MANY_LEN];
	uint32_t		 i, p, n, slot = 0;
	int			 sent = 0;
	char			 path[256];
	int			 fd;

	ck_assert_uint_le(MANY * MANY_LEN, TOTAL);
	for (p = 0; p < MANY_PIECES; p++) {
		n = p == MANY_PIECES - 1 ? MANY * MANY_LEN - p * MANY_PL :
		    MANY_PL;
		EVP_Digest(data + p * MANY_PL, n, h + p * SHA1_LEN, NULL,
		    EVP_sha1(), NULL);
	}
	for (i = 0; i < MANY; i++) {
		btd__file_desc__init(&f[i]);
		snprintf(names[i], sizeof(names[i]), "d%u/f%u", i % 7, i);
		f[i].path = names[i];
		f[i].length = MANY_LEN;
		f[i].offset = (uint64_t)i * MANY_LEN;
		fp[i] = &f[i];
	}
	ta.torrent = TNUM;
	ta.info_hash.data = ih;
	ta.info_hash.len = SHA1_LEN;
	ta.root = root;
	ta.dir = (char *)(uintptr_t)"many";
	ta.n_files = MANY;
	ta.files = fp;
	ta.piece_length = MANY_PL;
	ta.piece_count = MANY_PIECES;
	ta.total_size = MANY * MANY_LEN;
	ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
	    TORRENT_ADD, torrent_add, &ta, -1), 0);
	th.torrent = TNUM;
	th.hashes.data = h;
	th.hashes.len = sizeof(h);
	ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
	    TORRENT_HASHES, torrent_hashes, &th, -1), 0);
	RUN_UNTIL(s.checked == 1 && s.haves == 1);
	ck_assert_int_eq(s.errors, 0);
	/* Pieces from the last to the first, blocks of 4000 bytes. */
	for (p = MANY_PIECES; p-- > 0;) {
		uint32_t off;

		n = p == MANY_PIECES - 1 ? MANY * MANY_LEN - p * MANY_PL :
		    MANY_PL;
		for (off = 0; off < n; off += 4000) {
			block(slot++, p, off, n - off < 4000 ? n - off : 4000,
			    data + p * MANY_PL + off);
			sent++;
			if (slot == 16 || (p == 0 && off + 4000 >= n)) {
				send_writes();
				RUN_UNTIL(s.freed == sent);
				slot = 0;
			}
		}
	}
	RUN_UNTIL(s.verdicts == MANY_PIECES);	/* hashing may lag the slots */
	ck_assert_int_eq(s.verdicts, MANY_PIECES);
	for (p = 0; p < MANY_PIECES; p++)
		ck_assert_int_eq(s.vok[p], 1);
	RUN_UNTIL(s.ndurable == MANY_PIECES);
	ck_assert_int_eq(s.ndurable, MANY_PIECES);
	ck_assert_uint_ge(s.flushes_at_durable, 1);
	ck_assert_int_eq(s.errors, 0);
	for (i = 0; i < MANY; i++) {
		snprintf(path, sizeof(path), "%s/many/%s", root, names[i]);
		fd = open(path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(read(fd, buf, sizeof(buf)), MANY_LEN);
		ck_assert_int_eq(memcmp(buf, data + i * MANY_LEN, MANY_LEN), 0);
		close(fd);
	}
}
END_TEST

/* A FIFO where the empty file belongs: refused, never waited on. */
START_TEST(fifo_refused)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/t", root);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/t/sub", root);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/t/sub/empty", root);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	send_torrent_files(TNUM, fpath, NULL, NULL, 0);
	RUN_UNTIL(s.errors == 1);
	ck_assert_str_eq(s.error, "create t/sub/empty: No such device or "
	    "address");
}
END_TEST

/* Descriptors that break the contract close the channel. */
static void
expect_violation(void)
{
	int v = s.peer_violation;

	send_writes();
	RUN_UNTIL(s.peer_violation > v);
	ck_assert_int_eq(s.peer_violation, v + 1);
	relink();
}

START_TEST(err_descriptors)
{
	add_torrent(NULL, 0);
	block(DOWN_SLOTS, 0, 0, 10, NULL);	/* slot out of range */
	expect_violation();
	block(0, 0, 0, BLK + 1, NULL);		/* longer than a slot */
	expect_violation();
	block(0, 0, 0, 0, NULL);		/* empty */
	expect_violation();
	block(0, NPIECES, 0, 10, NULL);		/* no such piece */
	expect_violation();
	block(0, 3, LAST - 10, 11, NULL);	/* past the piece's end */
	expect_violation();
	block(0, 0, PL, 1, NULL);		/* past the piece's end */
	expect_violation();
	block(0, 0, 0, 10, NULL);		/* the same slot twice */
	block(0, 0, 10, 10, NULL);
	expect_violation();
	/* An unknown torrent is not a violation: dropped, slot freed. */
	block(9, 0, 0, 10, NULL);
	batch.r[0].torrent = TNUM + 1;
	send_writes();
	RUN_UNTIL(s.freed_slot[9] == 1);
	ck_assert_int_eq(s.peer_violation, 7);
	/* The link works after all that. */
	write_piece(0, 0);
	RUN_UNTIL(s.vok[0] == 1);
	/* A read into an out-of-range up slot. */
	block(UP_SLOTS, 0, 0, 10, NULL);
	send_reads();
	RUN_UNTIL(s.peer_violation == 8);
	ck_assert_int_eq(s.peer_violation, 8);
}
END_TEST

START_TEST(err_torrent_add)
{
	static const char *const bad1[NFILES] = {
		"a", "../b", "sub/empty", ".pad/x", "c"
	};
	static const char *const bad2[NFILES] = {
		"a", "sub//b", "sub/empty", ".pad/x", "c"
	};
	static const char *const bad3[NFILES] = {
		"/a", "b", "sub/empty", ".pad/x", "c"
	};
	uint64_t offsets[NFILES] = { 0, LEN_A, LEN_A + 1, LEN_A + 2, PL };

	send_torrent_files(1, bad1, NULL, NULL, 0);
	RUN_UNTIL(s.errors == 1);
	ck_assert_str_eq(s.error, "file 1: not a relative path");
	send_torrent_files(2, bad2, NULL, NULL, 0);
	RUN_UNTIL(s.errors == 2);
	ck_assert_str_eq(s.error, "file 1: not a relative path");
	send_torrent_files(3, bad3, NULL, NULL, 0);
	RUN_UNTIL(s.errors == 3);
	ck_assert_str_eq(s.error, "file 0: not a relative path");
	send_torrent_files(4, fpath, offsets, NULL, 0);
	RUN_UNTIL(s.errors == 4);
	ck_assert_str_eq(s.error, "file 3 at offset 5002, not 5001");
	/* Hashes past the last piece. */
	{
		Btd__TorrentHashes	th = BTD__TORRENT_HASHES__INIT;
		Btd__StoredTorrentAdd	ta = BTD__STORED_TORRENT_ADD__INIT;
		Btd__FileDesc		f = BTD__FILE_DESC__INIT, *fp = &f;
		uint8_t			ih[SHA1_LEN] = { 0 };

		f.path = (char *)(uintptr_t)"x";
		f.length = 100;
		ta.torrent = 5;
		ta.info_hash.data = ih;
		ta.info_hash.len = SHA1_LEN;
		ta.root = root;
		ta.dir = (char *)(uintptr_t)"";
		ta.n_files = 1;
		ta.files = &fp;
		ta.piece_length = 64;
		ta.piece_count = 2;
		ta.total_size = 100;
		ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
		    TORRENT_ADD, torrent_add, &ta, -1), 0);
		th.torrent = 5;
		th.first = 1;
		th.hashes.data = hashes;
		th.hashes.len = 2 * SHA1_LEN;
		ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
		    TORRENT_HASHES, torrent_hashes, &th, -1), 0);
		RUN_UNTIL(s.errors == 5);
		ck_assert_str_eq(s.error, "bad hashes: pieces 1 + 2 of 2");
		/* A total that does not match the pieces. */
		ta.torrent = 6;
		ta.piece_count = 3;
		ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
		    TORRENT_ADD, torrent_add, &ta, -1), 0);
		RUN_UNTIL(s.errors == 6);
		ck_assert_str_eq(s.error, "3 pieces, the sizes make 2");
		ta.torrent = 7;
		ta.piece_count = 2;
		ta.root = (char *)(uintptr_t)"relative";
		ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
		    TORRENT_ADD, torrent_add, &ta, -1), 0);
		RUN_UNTIL(s.errors == 7);
		ck_assert_str_eq(s.error, "root is not an absolute path");
	}
	ck_assert_int_eq(s.btd_violation, 0);
	ck_assert_int_eq(s.checked, 0);
}
END_TEST

/* A file of n pages of pattern bytes under the root, open read-write. */
static int
mapped_file(size_t n, size_t *pg)
{
	char	 path[300];
	uint8_t	*b;
	size_t	 i;
	int	 fd;

	*pg = (size_t)sysconf(_SC_PAGESIZE);
	snprintf(path, sizeof(path), "%s/mapped", root);
	ck_assert_int_ne(fd = open(path, O_RDWR | O_CREAT, 0644), -1);
	ck_assert_ptr_nonnull(b = malloc(n * *pg));
	for (i = 0; i < n * *pg; i++)
		b[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(pwrite(fd, b, n * *pg, 0), (ssize_t)(n * *pg));
	free(b);
	return fd;
}

/*
 * Mapped bytes hash as read ones; once the file shrinks under the
 * mapping, the hash of bytes past its end fails instead of killing
 * stored, and the next one works again.
 */
START_TEST(mapped_shrunk)
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new(), *ref = EVP_MD_CTX_new();
	uint8_t		 a[SHA1_LEN], b[SHA1_LEN], *p;
	size_t		 pg;
	int		 fd = mapped_file(3, &pg);

	p = mmap(NULL, 3 * pg, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	EVP_DigestInit_ex(md, EVP_sha1(), NULL);
	ck_assert_int_eq(stored_hash_mapped(md, p, 3 * pg), 0);
	EVP_DigestFinal_ex(md, a, NULL);
	EVP_DigestInit_ex(ref, EVP_sha1(), NULL);
	EVP_DigestUpdate(ref, p, 3 * pg);
	EVP_DigestFinal_ex(ref, b, NULL);
	ck_assert_mem_eq(a, b, SHA1_LEN);
	ck_assert_int_eq(ftruncate(fd, (off_t)pg), 0);
	EVP_DigestInit_ex(md, EVP_sha1(), NULL);
	ck_assert_int_eq(stored_hash_mapped(md, p, 3 * pg), -1);
	EVP_DigestInit_ex(md, EVP_sha1(), NULL);
	ck_assert_int_eq(stored_hash_mapped(md, p + 2 * pg, pg), -1);
	EVP_DigestInit_ex(md, EVP_sha1(), NULL);
	ck_assert_int_eq(stored_hash_mapped(md, p, pg), 0);
	munmap(p, 3 * pg);
	close(fd);
	EVP_MD_CTX_free(md);
	EVP_MD_CTX_free(ref);
}
END_TEST

/* Any other SIGBUS still kills: the guard covers only what is hashed. */
START_TEST(mapped_unguarded)
{
	volatile uint8_t	*p;
	size_t			 pg;
	int			 fd = mapped_file(2, &pg);

	p = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne((void *)(uintptr_t)p, MAP_FAILED);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	(void)p[pg];		/* SIGBUS */
	ck_abort_msg("read past the end of a shrunk file");
}
END_TEST

static Suite *
blockpath_suite(void)
{
	Suite	*su = suite_create("blockpath");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_set_timeout(core, 30);
	tcase_set_timeout(errors, 30);
	tcase_add_test(core, in_order);
	tcase_add_test(core, out_of_order);
	tcase_add_test(core, corrupt_then_good);
	tcase_add_test(core, overwrite);
	tcase_add_test(core, reads);
	tcase_add_test(core, durable_after_flush);
	tcase_add_test(core, check_existing);
	tcase_add_test(core, check_records);
	tcase_add_test(core, check_recheck);
	tcase_add_test(core, check_removed);
	tcase_add_test(core, relink_have);
	tcase_add_test(core, backpressure);
	tcase_add_test(core, many_files);
	tcase_add_test(core, delete_data);
	tcase_add_test(core, delete_data_parts);
	tcase_add_test(core, files_in_parts);
	tcase_add_test(core, files_part_out_of_order);
	tcase_add_test(errors, write_error);
	tcase_add_test(errors, symlink_refused);
	tcase_add_test(errors, fifo_refused);
	tcase_add_test(errors, read_error);
	tcase_add_test(errors, err_descriptors);
	tcase_add_test(errors, err_torrent_add);
	tcase_add_test(errors, mapped_shrunk);
	tcase_add_test_raise_signal(errors, mapped_unguarded, SIGBUS);
	suite_add_tcase(su, core);
	suite_add_tcase(su, errors);
	return su;
}

int
main(void)
{
	SRunner	*sr = srunner_create(blockpath_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
