/*
 * check_storedrole.c -- the stored executable under its role runtime,
 * with this test as btd (fd 3) and as peerd: Hello, both arenas and the
 * ChannelAttach as btd sends them, the Ping/Pong that brings the link
 * up, then a torrent from TorrentAdd to a verdict, a durable report and
 * a read; a violation by peerd closes only that link; closing the btd
 * channel ends stored with status 0.  Not confined: btd does that, and
 * the integration tests prove it.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "common.pb-c.h"
#include "peer_stored.pb-c.h"
#include "stored.pb-c.h"

#include "arena.h"
#include "chan.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "role.h"
#include "util.h"

#define PL	32768
#define LEN	50000
#define NP	2

struct seen {
	int	 hello, pongs, link_up, link_down, link_violation;
	int	 checked, durable, have, freed, vok, vbad, reads, read_ok;
	int	 created;	/* files named in FilesCreated */
	int	 progress, peer_eof;
};

static struct event_base	*base;
static struct chan		*btd, *peer;
static struct arena		 down, up;
static struct seen		 s;
static uint8_t			 data[LEN];
static char			 root[64];
static pid_t			 pid;

#define RUN_UNTIL(cond) do {						\
	int _i;								\
	for (_i = 0; _i < 5000 && !(cond); _i++) {			\
		event_base_loop(base, EVLOOP_NONBLOCK);			\
		usleep(1000);						\
	}								\
} while (0)

static void
btd_cb(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	const Btd__StoredMsg	*m;
	ProtobufCMessage	*env;
	const ProtobufCMessage	*in;

	(void)c;
	(void)why;
	(void)arg;
	if (buf == NULL)
		return;
	env = msg_unpack(&btd__stored_msg__descriptor, buf, len);
	ck_assert_ptr_nonnull(env);
	m = (const Btd__StoredMsg *)(const void *)env;
	switch (msg_body(env, &in, NULL)) {
	case MSG_HELLO:
		ck_assert_int_eq(m->hello->role, BTD__ROLE__STORED);
		ck_assert_str_eq(m->hello->impl_name, "btd-stored");
		s.hello++;
		break;
	case MSG_PONG:
		s.pongs++;
		break;
	case MSG_LINK:
		if (m->link->up)
			s.link_up++;
		else
			s.link_down++;
		if (m->link->violation)
			s.link_violation++;
		break;
	default:
		switch (m->body_case) {
		case BTD__STORED_MSG__BODY_CHECKED:
			s.checked++;
			break;
		case BTD__STORED_MSG__BODY_DURABLE:
			s.durable += (int)m->durable->n_pieces;
			break;
		case BTD__STORED_MSG__BODY_CHECK_PROGRESS:
			s.progress = (int)m->check_progress->pieces;
			break;
		case BTD__STORED_MSG__BODY_FILES_CREATED:
			s.created += (int)m->files_created->n_files;
			break;
		default:
			ck_abort_msg("btd got body %d", m->body_case);
		}
	}
	msg_free(env);
}

static void
peer_cb(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	const Btd__PeerStoredMsg	*m;
	ProtobufCMessage		*env;
	size_t				 i;

	(void)why;
	(void)arg;
	if (buf == NULL) {
		s.peer_eof++;
		return;
	}
	env = msg_unpack(&btd__peer_stored_msg__descriptor, buf, len);
	ck_assert_ptr_nonnull(env);
	m = (const Btd__PeerStoredMsg *)(const void *)env;
	switch (m->body_case) {
	case BTD__PEER_STORED_MSG__BODY_PING: {
		Btd__Pong p = BTD__PONG__INIT;

		p.nonce = m->ping->nonce;
		ck_assert_int_eq(msg_send_common(c,
		    &btd__peer_stored_msg__descriptor, MSG_PONG, &p.base, -1),
		    0);
		break;
	}
	case BTD__PEER_STORED_MSG__BODY_HAVE:
		s.have++;
		break;
	case BTD__PEER_STORED_MSG__BODY_SLOTS_FREE:
		s.freed += (int)m->slots_free->n_slots;
		break;
	case BTD__PEER_STORED_MSG__BODY_VERDICTS:
		for (i = 0; i < m->verdicts->n_verdicts; i++)
			if (m->verdicts->verdicts[i]->ok)
				s.vok++;
			else
				s.vbad++;
		break;
	case BTD__PEER_STORED_MSG__BODY_READ_DONE:
		for (i = 0; i < m->read_done->n_results; i++) {
			s.reads++;
			s.read_ok += m->read_done->results[i]->ok;
		}
		break;
	default:
		ck_abort_msg("peerd got body %d", m->body_case);
	}
	msg_free(env);
}

/* build/libexec/btd/stored, beside this test's build/tests/. */
static void
stored_path(char *buf, size_t len)
{
	char	 self[PATH_MAX];
	ssize_t	 n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	ck_assert_int_gt(n, 0);
	self[n] = '\0';
	snprintf(buf, len, "%s/../libexec/btd/stored", dirname(self));
}

static void
send_arena(int which, uint32_t slots, struct arena *mine)
{
	Btd__ArenaAttach	 aa = BTD__ARENA_ATTACH__INIT;
	char			 err[128];
	int			 fd;

	fd = arena_memfd("test", ARENA_SLOT_SIZE, slots);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(arena_map(fd, ARENA_SLOT_SIZE, slots, 1, mine, err,
	    sizeof(err)), 0);
	aa.peer = BTD__ROLE__PEERD;
	aa.generation = 1;
	aa.which = (Btd__Arena)which;
	aa.slot_size = ARENA_SLOT_SIZE;
	aa.slots = slots;
	ck_assert_int_eq(msg_send_common(btd, &btd__stored_msg__descriptor,
	    MSG_ARENA, &aa.base, fd), 0);
	close(fd);
}

static void
send_blocks(int write, uint32_t slot, uint32_t piece, uint32_t off,
    uint32_t len)
{
	Btd__BlockRef	 r = BTD__BLOCK_REF__INIT, *rp = &r;
	Btd__BlockWrite	 bw = BTD__BLOCK_WRITE__INIT;
	Btd__BlockRead	 br = BTD__BLOCK_READ__INIT;

	r.slot = slot;
	r.torrent = 3;
	r.piece = piece;
	r.offset = off;
	r.length = len;
	if (write) {
		memcpy(arena_slot(&down, slot), data + piece * PL + off, len);
		bw.n_blocks = 1;
		bw.blocks = &rp;
		ck_assert_int_eq(MSG_SEND(peer, Btd__PeerStoredMsg,
		    PEER_STORED_MSG, BLOCK_WRITE, block_write, &bw, -1), 0);
	} else {
		br.n_blocks = 1;
		br.blocks = &rp;
		ck_assert_int_eq(MSG_SEND(peer, Btd__PeerStoredMsg,
		    PEER_STORED_MSG, BLOCK_READ, block_read, &br, -1), 0);
	}
}

START_TEST(role_end_to_end)
{
	Btd__Hello		 h = BTD__HELLO__INIT;
	Btd__ChannelAttach	 ca = BTD__CHANNEL_ATTACH__INIT;
	Btd__StoredTorrentAdd	 ta = BTD__STORED_TORRENT_ADD__INIT;
	Btd__TorrentHashes	 th = BTD__TORRENT_HASHES__INIT;
	Btd__FileDesc		 f = BTD__FILE_DESC__INIT, *fp = &f;
	Btd__Ping		 ping = BTD__PING__INIT;
	uint8_t			 ih[20] = { 0 }, hashes[NP * 20];
	char			 exe[PATH_MAX + 32], cmd[128];
	int			 sv[2], pv[2], st = 0, i, off;
	pid_t			 w = 0;

	signal(SIGPIPE, SIG_IGN);
	log_init("check_storedrole", 0);
	for (i = 0; i < LEN; i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
	for (i = 0; i < NP; i++)
		EVP_Digest(data + i * PL, i == NP - 1 ? LEN - PL : PL,
		    hashes + 20 * i, NULL, EVP_sha1(), NULL);
	snprintf(root, sizeof(root), "/tmp/check_storedrole.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	stored_path(exe, sizeof(exe));
	ck_assert_int_eq(access(exe, X_OK), 0);
	base = event_base_new();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	if ((pid = fork()) == 0) {
		dup2(sv[1], ROLE_FD_BTD);
		execl(exe, "stored", "stored", (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	close(sv[1]);
	btd = chan_new(base, sv[0], "btd", FRAME_MAX_ROLE, btd_cb, NULL);
	RUN_UNTIL(s.hello == 1);
	ck_assert_int_eq(s.hello, 1);
	h.role = BTD__ROLE__NONE;
	h.proto_major = BTD_PROTO_MAJOR;
	h.proto_minor = BTD_PROTO_MINOR;
	h.impl_name = (char *)(uintptr_t)"btd";
	h.impl_version = (char *)(uintptr_t)"test";
	ck_assert_int_eq(msg_send_common(btd, &btd__stored_msg__descriptor,
	    MSG_HELLO, &h.base, -1), 0);
	/* The link as btd wires it: both arenas, then the channel. */
	send_arena(BTD__ARENA__ARENA_DOWN, 64, &down);
	send_arena(BTD__ARENA__ARENA_UP, 16, &up);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    pv), 0);
	peer = chan_new(base, pv[0], "peerd", FRAME_MAX_BLOCK, peer_cb, NULL);
	ca.peer = BTD__ROLE__PEERD;
	ca.generation = 1;
	ck_assert_int_eq(msg_send_common(btd, &btd__stored_msg__descriptor,
	    MSG_ATTACH, &ca.base, pv[1]), 0);
	close(pv[1]);
	RUN_UNTIL(s.link_up == 1);
	ck_assert_int_eq(s.link_up, 1);

	f.path = (char *)(uintptr_t)"file.bin";
	f.length = LEN;
	ta.torrent = 3;
	ta.info_hash.data = ih;
	ta.info_hash.len = sizeof(ih);
	ta.root = root;
	ta.dir = (char *)(uintptr_t)"";
	ta.n_files = 1;
	ta.files = &fp;
	ta.piece_length = PL;
	ta.piece_count = NP;
	ta.total_size = LEN;
	ck_assert_int_eq(MSG_SEND(btd, Btd__StoredMsg, STORED_MSG,
	    TORRENT_ADD, torrent_add, &ta, -1), 0);
	th.torrent = 3;
	th.hashes.data = hashes;
	th.hashes.len = sizeof(hashes);
	ck_assert_int_eq(MSG_SEND(btd, Btd__StoredMsg, STORED_MSG,
	    TORRENT_HASHES, torrent_hashes, &th, -1), 0);
	RUN_UNTIL(s.checked == 1 && s.have == 1);
	ck_assert_int_eq(s.checked, 1);
	ck_assert_int_eq(s.have, 1);

	/* Both pieces, in blocks of 16 KiB, the second piece first. */
	for (i = 0, off = PL; off < LEN; off += ARENA_SLOT_SIZE, i++)
		send_blocks(1, (uint32_t)i, 1, (uint32_t)(off - PL),
		    (uint32_t)(LEN - off < ARENA_SLOT_SIZE ? LEN - off :
		    ARENA_SLOT_SIZE));
	for (off = 0; off < PL; off += ARENA_SLOT_SIZE, i++)
		send_blocks(1, (uint32_t)i, 0, (uint32_t)off, ARENA_SLOT_SIZE);
	RUN_UNTIL(s.vok == 2 && s.freed == i);
	ck_assert_int_eq(s.vok, 2);
	ck_assert_int_eq(s.vbad, 0);
	ck_assert_int_eq(s.freed, i);
	RUN_UNTIL(s.durable == 2);
	ck_assert_int_eq(s.durable, 2);
	ck_assert_int_eq(s.created, 1);	/* file.bin, made by the write */
	send_blocks(0, 3, 1, 100, 1000);
	RUN_UNTIL(s.reads == 1);
	ck_assert_int_eq(s.read_ok, 1);
	ck_assert_int_eq(memcmp(arena_slot(&up, 3), data + PL + 100, 1000), 0);

	/* A slot out of range: that link closes, stored stays. */
	send_blocks(0, 99, 0, 0, 10);
	RUN_UNTIL(s.peer_eof == 1 && s.link_violation == 1);
	ck_assert_int_eq(s.peer_eof, 1);
	ck_assert_int_eq(s.link_violation, 1);
	ping.nonce = 42;
	ck_assert_int_eq(msg_send_common(btd, &btd__stored_msg__descriptor,
	    MSG_PING, &ping.base, -1), 0);
	RUN_UNTIL(s.pongs == 1);
	ck_assert_int_eq(s.pongs, 1);

	/* btd goes: stored exits 0. */
	chan_free(btd);
	for (i = 0; i < 5000 && (w = waitpid(pid, &st, WNOHANG)) == 0; i++)
		usleep(1000);
	ck_assert_int_eq(w, pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	(void)system(cmd);
}
END_TEST

static Suite *
storedrole_suite(void)
{
	Suite	*su = suite_create("storedrole");
	TCase	*core = tcase_create("core");

	tcase_set_timeout(core, 30);
	tcase_add_test(core, role_end_to_end);
	suite_add_tcase(su, core);
	return su;
}

int
main(void)
{
	SRunner	*sr = srunner_create(storedrole_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
