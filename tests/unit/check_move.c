/*
 * check_move.c -- stored moving a torrent's data (MoveData), driven as
 * btd would over a socketpair, on real files: two roots under /tmp (one
 * filesystem: renames) and one under /dev/shm (another filesystem, when
 * it is one here: copies, verified).
 *
 * The torrent: a (5000 bytes), sub/b (1 byte), sub/empty (0), a pad
 * file up to the piece boundary, c (70000 bytes); 32 KiB pieces.
 * Asserted: the bytes at the new place, nothing left at the old one
 * (nor a temporary copy), the MoveResult's counts; refusals (a
 * destination that exists, a symlink on the way) that change nothing;
 * a copy whose verified piece does not match, rolled back; a move taken
 * up again (resume) from where an interrupted one left the files; files
 * that are not the torrent's staying where they are.
 */
#include <sys/stat.h>
#include <sys/socket.h>

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

#include "stored.pb-c.h"

#include "chan.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "stored/stored.h"

#define PL		32768		/* piece length */
#define NFILES		5
#define LEN_A		5000
#define LEN_PAD		(PL - LEN_A - 1)
#define LEN_C		70000
#define TOTAL		(PL + LEN_C)
#define NPIECES		((TOTAL + PL - 1) / PL)		/* 4 */
#define LAST		(TOTAL - (NPIECES - 1) * PL)
#define TNUM		7
#define ALL_OWNED	0xe8		/* a, sub/b, sub/empty, c: not the pad */

static const char *const fpath[NFILES] = {
	"a", "sub/b", "sub/empty", ".pad/27767", "c"
};
static const uint64_t flen[NFILES] = { LEN_A, 1, 0, LEN_PAD, LEN_C };
static const int fpad[NFILES] = { 0, 0, 0, 1, 0 };

/* What the fake btd saw. */
static struct {
	int		 results, ok, rolled_back;
	uint32_t	 renamed, copied, hashed;
	char		 error[1024];
	int		 progresses;
	uint64_t	 done, total;
	int		 errors, checked, violation;
} s;

static struct event_base	*base;
static struct chan		*st_btd, *fk_btd;
static uint8_t			 data[TOTAL];
static uint8_t			 hashes[NPIECES * SHA1_LEN];
static char			 oldroot[64], newroot[64], shmroot[64];

#define RUN_UNTIL(cond) do {						\
	int _i;								\
	for (_i = 0; _i < 5000 && !(cond); _i++) {			\
		event_base_loop(base, EVLOOP_NONBLOCK);			\
		usleep(1000);						\
	}								\
} while (0)

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
		s.violation++;
	msg_free(env);
}

static void
fk_btd_cb(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	const Btd__StoredMsg	*m;
	ProtobufCMessage	*env;

	(void)c;
	(void)why;
	(void)arg;
	if (buf == NULL)
		return;
	env = msg_unpack(&btd__stored_msg__descriptor, buf, len);
	ck_assert_ptr_nonnull(env);
	m = (const Btd__StoredMsg *)(const void *)env;
	switch (m->body_case) {
	case BTD__STORED_MSG__BODY_MOVE_RESULT:
		ck_assert_uint_eq(m->move_result->torrent, TNUM);
		s.ok = m->move_result->ok;
		s.rolled_back = m->move_result->rolled_back;
		s.renamed = m->move_result->renamed;
		s.copied = m->move_result->copied;
		s.hashed = m->move_result->hashed;
		snprintf(s.error, sizeof(s.error), "%s", m->move_result->error);
		s.results++;
		break;
	case BTD__STORED_MSG__BODY_MOVE_PROGRESS:
		ck_assert_uint_le(m->move_progress->done,
		    m->move_progress->total);
		ck_assert_uint_ge(m->move_progress->done, s.done);
		s.done = m->move_progress->done;
		s.total = m->move_progress->total;
		s.progresses++;
		break;
	case BTD__STORED_MSG__BODY_TORRENT_ERROR:
		s.errors++;
		break;
	case BTD__STORED_MSG__BODY_CHECKED:
		s.checked++;
		break;
	case BTD__STORED_MSG__BODY_CHECK_PROGRESS:
	case BTD__STORED_MSG__BODY_FILES_CREATED:
		break;
	default:
		ck_abort_msg("btd got body %d", m->body_case);
	}
	msg_free(env);
}

/* Write file i of the torrent at root/dir (whole, or its first n bytes). */
static void
put_file(const char *root, const char *dir, int i, size_t n)
{
	char		path[256], cmd[300];
	uint64_t	off = 0;
	int		k, fd;

	for (k = 0; k < i; k++)
		off += flen[k];
	snprintf(path, sizeof(path), "%s/%s/%s", root, dir, fpath[i]);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	ck_assert_int_eq(system(cmd), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, data + off, n), (ssize_t)n);
	close(fd);
}

static void
put_all(const char *root, const char *dir)
{
	int i;

	for (i = 0; i < NFILES; i++)
		if (!fpad[i])
			put_file(root, dir, i, flen[i]);
}

/* File i at root/dir holds exactly the torrent's bytes. */
static void
assert_file(const char *root, const char *dir, int i)
{
	char		 path[256];
	uint8_t		*buf = malloc(flen[i] + 2);
	uint64_t	 off = 0;
	int		 k, fd;

	for (k = 0; k < i; k++)
		off += flen[k];
	snprintf(path, sizeof(path), "%s/%s/%s", root, dir, fpath[i]);
	fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(pread(fd, buf, flen[i] + 1, 0), (ssize_t)flen[i]);
	ck_assert_int_eq(memcmp(buf, data + off, flen[i]), 0);
	close(fd);
	free(buf);
}

static void
assert_all(const char *root, const char *dir)
{
	int i;

	for (i = 0; i < NFILES; i++)
		if (!fpad[i])
			assert_file(root, dir, i);
}

static int
there(const char *root, const char *rel)
{
	char		path[256];
	struct stat	st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return lstat(path, &st) == 0;
}

/* No ".btd-move." file anywhere beneath root. */
static int
no_temp(const char *root)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "! find %s -name '.btd-move.*' | grep -q .",
	    root);
	return system(cmd) == 0;
}

static void
setup(void)
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	uint32_t	 i, p, seed = 54321;
	int		 sv[2];

	memset(&s, 0, sizeof(s));
	log_init("check_move", 0);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < TOTAL; i++) {
		seed = seed * 1103515245 + 12345;
		data[i] = (uint8_t)(seed >> 16);
	}
	memset(data + LEN_A + 1, 0, LEN_PAD);
	for (p = 0; p < NPIECES; p++) {
		EVP_DigestInit_ex(md, EVP_sha1(), NULL);
		EVP_DigestUpdate(md, data + p * PL, p == NPIECES - 1 ? LAST :
		    PL);
		EVP_DigestFinal_ex(md, hashes + p * SHA1_LEN, NULL);
	}
	EVP_MD_CTX_free(md);
	snprintf(oldroot, sizeof(oldroot), "/tmp/check_move.XXXXXX");
	snprintf(newroot, sizeof(newroot), "/tmp/check_move.XXXXXX");
	snprintf(shmroot, sizeof(shmroot), "/dev/shm/check_move.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(oldroot));
	ck_assert_ptr_nonnull(mkdtemp(newroot));
	ck_assert_ptr_nonnull(mkdtemp(shmroot));
	base = event_base_new();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	st_btd = chan_new(base, sv[0], "btd", FRAME_MAX_BLOCK, st_btd_cb,
	    NULL);
	fk_btd = chan_new(base, sv[1], "btd", FRAME_MAX_BLOCK, fk_btd_cb,
	    NULL);
	stored_init(base, st_btd);
}

static void
teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s %s %s", oldroot, newroot,
	    shmroot);
	(void)system(cmd);
}

/*
 * As btd sends a move: the torrent at oldroot/t (have: its verified
 * pieces), the MoveData to root/dir, then the hashes.
 */
static void
send_move(const char *root, const char *dir, uint8_t owned, uint8_t have,
    int resume)
{
	Btd__StoredTorrentAdd	 ta = BTD__STORED_TORRENT_ADD__INIT;
	Btd__TorrentHashes	 th = BTD__TORRENT_HASHES__INIT;
	Btd__MoveData		 md = BTD__MOVE_DATA__INIT;
	Btd__FileDesc		 f[NFILES], *fp[NFILES];
	uint8_t			 ih[SHA1_LEN] = { 0xab, 0xcd, 0xef, 0x01 };
	uint64_t		 off = 0;
	int			 i;

	for (i = 0; i < NFILES; i++) {
		btd__file_desc__init(&f[i]);
		f[i].path = (char *)(uintptr_t)fpath[i];
		f[i].length = flen[i];
		f[i].offset = off;
		f[i].pad = fpad[i];
		off += flen[i];
		fp[i] = &f[i];
	}
	ta.torrent = TNUM;
	ta.info_hash.data = ih;
	ta.info_hash.len = sizeof(ih);
	ta.root = oldroot;
	ta.dir = (char *)(uintptr_t)"t";
	ta.n_files = NFILES;
	ta.files = fp;
	ta.piece_length = PL;
	ta.piece_count = NPIECES;
	ta.total_size = TOTAL;
	ta.have.data = &have;
	ta.have.len = 1;
	ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
	    TORRENT_ADD, torrent_add, &ta, -1), 0);
	md.torrent = TNUM;
	md.root = (char *)(uintptr_t)root;
	md.dir = (char *)(uintptr_t)dir;
	md.owned.data = &owned;
	md.owned.len = 1;
	md.resume = resume;
	md.remove_dir = 1;
	ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
	    MOVE_DATA, move_data, &md, -1), 0);
	th.torrent = TNUM;
	th.hashes.data = hashes;
	th.hashes.len = sizeof(hashes);
	ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
	    TORRENT_HASHES, torrent_hashes, &th, -1), 0);
}

static void
move_and_wait(const char *root, const char *dir, uint8_t owned,
    uint8_t have, int resume)
{
	int n = s.results;

	send_move(root, dir, owned, have, resume);
	RUN_UNTIL(s.results > n);
	ck_assert_int_eq(s.results, n + 1);
	/* Never checked, never in error: moved. */
	ck_assert_int_eq(s.checked, 0);
	ck_assert_int_eq(s.errors, 0);
	ck_assert_int_eq(s.violation, 0);
}

/* Do two paths lie on different filesystems? */
static int
other_fs(const char *a, const char *b)
{
	struct stat sa, sb;

	ck_assert_int_eq(stat(a, &sa), 0);
	ck_assert_int_eq(stat(b, &sb), 0);
	return sa.st_dev != sb.st_dev;
}

START_TEST(rename_same_fs)
{
	put_all(oldroot, "t");
	move_and_wait(newroot, "x/t", ALL_OWNED, 0xf0, 0);
	ck_assert_msg(s.ok, "%s", s.error);
	ck_assert_uint_eq(s.renamed, 4);
	ck_assert_uint_eq(s.copied, 0);
	ck_assert_uint_eq(s.hashed, 0);
	assert_all(newroot, "x/t");
	ck_assert(!there(oldroot, "t"));	/* dir and all */
	ck_assert(no_temp(newroot));
}
END_TEST

START_TEST(copy_other_fs)
{
	if (!other_fs("/tmp", "/dev/shm")) {
		fprintf(stderr, "check_move: /dev/shm is on /tmp's "
		    "filesystem: copy_other_fs renames\n");
		return;
	}
	put_all(oldroot, "t");
	move_and_wait(shmroot, "t", ALL_OWNED, 0xf0, 0);
	ck_assert_msg(s.ok, "%s", s.error);
	ck_assert_uint_eq(s.renamed, 0);
	ck_assert_uint_eq(s.copied, 4);
	ck_assert_uint_eq(s.hashed, NPIECES);
	assert_all(shmroot, "t");
	ck_assert(!there(oldroot, "t"));
	ck_assert(no_temp(shmroot));
	ck_assert_int_ge(s.progresses, 1);
	ck_assert_uint_eq(s.done, s.total);
	ck_assert_uint_eq(s.total, (uint64_t)(LEN_A + 1 + LEN_C) + TOTAL);
}
END_TEST

/* A verified piece that does not match at the new place: rolled back. */
START_TEST(copy_bad_piece)
{
	char	path[256];
	int	fd;

	if (!other_fs("/tmp", "/dev/shm"))
		return;
	put_all(oldroot, "t");
	snprintf(path, sizeof(path), "%s/t/c", oldroot);
	fd = open(path, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, "X", 1, 40000), 1);	/* piece 2 */
	close(fd);
	move_and_wait(shmroot, "t", ALL_OWNED, 0xf0, 0);
	ck_assert(!s.ok);
	ck_assert(s.rolled_back);
	ck_assert_str_eq(s.error, "piece 2 does not match its hash at the "
	    "new place");
	/* Everything where it was; nothing at the new place. */
	assert_file(oldroot, "t", 0);
	assert_file(oldroot, "t", 1);
	ck_assert(there(oldroot, "t/c"));
	ck_assert(!there(shmroot, "t"));
}
END_TEST

START_TEST(refuse_existing)
{
	char	path[256];
	int	fd;

	put_all(oldroot, "t");
	put_file(newroot, "t", 1, 1);		/* sub/b, an admin's */
	snprintf(path, sizeof(path), "%s/t/sub/b", newroot);
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "mine", 4), 4);
	close(fd);
	move_and_wait(newroot, "t", ALL_OWNED, 0xf0, 0);
	ck_assert(!s.ok);
	ck_assert(s.rolled_back);
	ck_assert_str_eq(s.error, "destination t/sub/b exists already; "
	    "refused");
	assert_all(oldroot, "t");
	ck_assert(!there(newroot, "t/a"));
	ck_assert(!there(newroot, "t/c"));
	/* The admin's file as it was. */
	{
		char buf[8] = "";

		fd = open(path, O_RDONLY);
		ck_assert_int_eq(read(fd, buf, sizeof(buf)), 4);
		close(fd);
		ck_assert_int_eq(memcmp(buf, "mine", 4), 0);
	}
}
END_TEST

START_TEST(refuse_symlink)
{
	char path[256], target[256];

	put_all(oldroot, "t");
	snprintf(path, sizeof(path), "%s/t", newroot);
	snprintf(target, sizeof(target), "%s/elsewhere", oldroot);
	ck_assert_int_eq(mkdir(target, 0755), 0);
	ck_assert_int_eq(symlink(target, path), 0);
	move_and_wait(newroot, "t", ALL_OWNED, 0xf0, 0);
	ck_assert(!s.ok);
	ck_assert(s.rolled_back);
	ck_assert_str_eq(s.error, "destination t/a: a symlink (or one on "
	    "the way); refused");
	assert_all(oldroot, "t");
	ck_assert(!there(oldroot, "elsewhere/a"));
}
END_TEST

/*
 * Taken up again after a crash: a renamed (new place only), c copied
 * and placed but its old file still there (both), sub/b half copied
 * (a stale temporary copy), sub/empty not begun.
 */
START_TEST(resume_half_done)
{
	char	path[256];
	int	fd;

	put_all(oldroot, "t");
	put_file(newroot, "t", 0, flen[0]);
	snprintf(path, sizeof(path), "%s/t/a", oldroot);
	ck_assert_int_eq(unlink(path), 0);
	put_file(newroot, "t", 4, flen[4]);
	put_file(newroot, "t", 2, 0);		/* makes t/sub */
	snprintf(path, sizeof(path), "%s/t/sub/empty", newroot);
	ck_assert_int_eq(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/t/sub/.btd-move.abcdef01.1", newroot);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	move_and_wait(newroot, "t", ALL_OWNED, 0xf0, 1);
	ck_assert_msg(s.ok, "%s", s.error);
	/* sub/b and sub/empty renamed; a and c found; all hashed. */
	ck_assert_uint_eq(s.renamed, 2);
	ck_assert_uint_eq(s.hashed, NPIECES);
	assert_all(newroot, "t");
	ck_assert(!there(oldroot, "t"));
	ck_assert(no_temp(newroot));
}
END_TEST

/* Without resume, a stale temporary copy is somebody's: refused. */
START_TEST(refuse_temp_without_resume)
{
	char	path[256];
	int	fd;

	put_all(oldroot, "t");
	put_file(newroot, "t", 2, 0);
	snprintf(path, sizeof(path), "%s/t/sub/.btd-move.abcdef01.1", newroot);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	close(fd);
	move_and_wait(newroot, "t", ALL_OWNED, 0xf0, 0);
	ck_assert(!s.ok);
	ck_assert(s.rolled_back);
	ck_assert_msg(strstr(s.error, "exists already") != NULL, "%s",
	    s.error);
	assert_all(oldroot, "t");
}
END_TEST

/* Files that are not the torrent's stay where they are. */
START_TEST(owned_only)
{
	put_all(oldroot, "t");
	move_and_wait(newroot, "t", 0xc0, 0x00, 0);	/* a and sub/b */
	ck_assert_msg(s.ok, "%s", s.error);
	ck_assert_uint_eq(s.renamed, 2);
	assert_file(newroot, "t", 0);
	assert_file(newroot, "t", 1);
	ck_assert(!there(newroot, "t/c"));
	ck_assert(!there(newroot, "t/sub/empty"));
	assert_file(oldroot, "t", 4);
	ck_assert(there(oldroot, "t/sub/empty"));
	ck_assert(!there(oldroot, "t/a"));
}
END_TEST

START_TEST(err_requests)
{
	Btd__MoveData	md = BTD__MOVE_DATA__INIT;
	uint8_t		owned = ALL_OWNED;

	/* A torrent stored does not hold. */
	md.torrent = TNUM;
	md.root = newroot;
	md.dir = (char *)(uintptr_t)"t";
	md.owned.data = &owned;
	md.owned.len = 1;
	ck_assert_int_eq(MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG,
	    MOVE_DATA, move_data, &md, -1), 0);
	RUN_UNTIL(s.results == 1);
	ck_assert(!s.ok);
	ck_assert(s.rolled_back);
	ck_assert_str_eq(s.error, "stored does not hold it (refused)");
	/* A dir with "..": refused, nothing moves. */
	put_all(oldroot, "t");
	move_and_wait(newroot, "../t", ALL_OWNED, 0xf0, 0);
	ck_assert(!s.ok);
	ck_assert_str_eq(s.error, "bad move request: dir is not a relative "
	    "path");
	assert_all(oldroot, "t");
}
END_TEST

static Suite *
move_suite(void)
{
	Suite	*su = suite_create("move");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_set_timeout(core, 30);
	tcase_set_timeout(errors, 30);
	tcase_add_test(core, rename_same_fs);
	tcase_add_test(core, copy_other_fs);
	tcase_add_test(core, resume_half_done);
	tcase_add_test(core, owned_only);
	tcase_add_test(errors, copy_bad_piece);
	tcase_add_test(errors, refuse_existing);
	tcase_add_test(errors, refuse_symlink);
	tcase_add_test(errors, refuse_temp_without_resume);
	tcase_add_test(errors, err_requests);
	suite_add_tcase(su, core);
	suite_add_tcase(su, errors);
	return su;
}

int
main(void)
{
	SRunner	*sr = srunner_create(move_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
