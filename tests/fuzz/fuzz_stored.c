/*
 * fuzz_stored.c -- libFuzzer target for what btd and peerd send stored.
 *
 * The input is a sequence of records: one byte naming the channel (bit
 * 0 clear: btd, set: peerd), a 2-byte big-endian length, and that many
 * bytes of one frame's payload, decoded as the channel's envelope and
 * handed to stored's dispatch, as role.c does, with the event loop
 * turned after each (checks, flushes and batches run there).  A frame
 * that does not decode is skipped; a violation by peerd closes the link
 * and a new one is made; a violation by btd ends the input (stored
 * would exit).  Each input starts from no torrents and a fresh link.
 *
 * Invariants: stored does not crash, leak or trip a sanitizer, whatever
 * the bytes.  Harness limits, so that fuzzing touches nothing outside
 * its scratch directory: DeleteData is never dispatched, and the root
 * of every StoredTorrentAdd is replaced by the scratch directory
 * (stored itself keeps every path beneath it).
 */
#include <sys/socket.h>

#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "peer_stored.pb-c.h"
#include "stored.pb-c.h"

#include "arena.h"
#include "chan.h"
#include "frame.h"
#include "fuzz.h"
#include "log.h"
#include "msg.h"
#include "stored/stored.h"

#define DOWN_SLOTS	8
#define UP_SLOTS	4
#define TURNS		4	/* event-loop turns after each record */

static struct event_base	*base;
static struct chan		*st_peer, *fk_peer;
static struct arena		 down, up;
static char			 root[64];

static void
discard(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	(void)c;
	(void)buf;
	(void)len;
	(void)why;
	(void)arg;
}

static void
relink(void)
{
	int sv[2];

	stored_link_down();
	chan_free(st_peer);
	chan_free(fk_peer);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	st_peer = chan_new(base, sv[0], "peerd", FRAME_MAX_BLOCK, discard,
	    NULL);
	fk_peer = chan_new(base, sv[1], "fake", FRAME_MAX_BLOCK, discard,
	    NULL);
	CHECK(st_peer != NULL && fk_peer != NULL);
	stored_link_up(st_peer, &down, &up);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* At exit: the scratch directory and what fuzzing wrote in it. */
static void
cleanup(void)
{
	(void)nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
setup(void)
{
	struct chan	*st_btd, *fk_btd;
	char		 err[128];
	int		 sv[2], fd;

	log_init("fuzz_stored", 0);
	snprintf(root, sizeof(root), "/tmp/fuzz_stored.XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	atexit(cleanup);
	base = event_base_new();
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	st_btd = chan_new(base, sv[0], "btd", FRAME_MAX_ROLE, discard, NULL);
	fk_btd = chan_new(base, sv[1], "fake", FRAME_MAX_ROLE, discard, NULL);
	CHECK(st_btd != NULL && fk_btd != NULL);
	stored_init(base, st_btd);
	fd = arena_memfd("fuzz", ARENA_SLOT_SIZE, DOWN_SLOTS);
	CHECK(fd != -1 && arena_map(fd, ARENA_SLOT_SIZE, DOWN_SLOTS, 1,
	    &down, err, sizeof(err)) == 0);
	close(fd);
	fd = arena_memfd("fuzz", ARENA_SLOT_SIZE, UP_SLOTS);
	CHECK(fd != -1 && arena_map(fd, ARENA_SLOT_SIZE, UP_SLOTS, 1,
	    &up, err, sizeof(err)) == 0);
	close(fd);
	relink();
}

static void
turn(void)
{
	int i;

	for (i = 0; i < TURNS; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

/* 0, or -1 for a violation by btd. */
static int
to_btd_side(const uint8_t *p, size_t n)
{
	ProtobufCMessage	*env;
	Btd__StoredMsg		*m;
	char			*saved = NULL;
	int			 rc = 0;

	if ((env = msg_unpack(&btd__stored_msg__descriptor, p, n)) == NULL)
		return 0;
	m = (Btd__StoredMsg *)(void *)env;
	if (m->body_case == BTD__STORED_MSG__BODY_DELETE_DATA)
		goto done;
	if (m->body_case == BTD__STORED_MSG__BODY_TORRENT_ADD) {
		saved = m->torrent_add->root;
		m->torrent_add->root = root;
	}
	rc = stored_dispatch_btd(NULL, env);
	if (saved != NULL)
		m->torrent_add->root = saved;
done:
	msg_free(env);
	return rc;
}

static void
to_peerd_side(const uint8_t *p, size_t n)
{
	ProtobufCMessage *env;

	env = msg_unpack(&btd__peer_stored_msg__descriptor, p, n);
	if (env == NULL)
		return;
	if (stored_dispatch_peerd(st_peer, env) == -1)
		relink();
	msg_free(env);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct torrent	*t;
	size_t		 n;
	uint8_t		 which;

	if (base == NULL)
		setup();
	while (size >= 3) {
		which = data[0];
		n = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (n > size)
			n = size;
		if ((which & 1) == 0) {
			if (to_btd_side(data, n) == -1)
				break;
		} else
			to_peerd_side(data, n);
		turn();
		data += n;
		size -= n;
	}
	while ((t = torrent_first()) != NULL)
		torrent_free(t);
	relink();
	turn();
	return 0;
}
