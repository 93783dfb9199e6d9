/*
 * check_chan.c -- framed channels on libevent: frames split across reads
 * and packed into one, oversized frames, EOF inside a frame, descriptors
 * passed with frames, and freeing a chan from its own callback.
 */
#include <sys/socket.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "chan.h"
#include "frame.h"

struct sink {
	int		 frames;
	size_t		 bytes;
	char		 last[64];
	size_t		 lastlen;
	char		 gone[64];	/* why, once gone */
	int		 fds[4];	/* descriptors taken, per frame */
	int		 nfds;
	int		 free_on_frame;	/* chan_free() from the callback */
	int		 pause_on_frame; /* chan_pause() from the callback */
	struct chan	*self;
};

static void
sink_cb(struct chan *c, const uint8_t *msg, size_t len, const char *why,
    void *arg)
{
	struct sink *s = arg;

	if (msg == NULL) {
		snprintf(s->gone, sizeof(s->gone), "%s", why);
		return;
	}
	s->frames++;
	s->bytes += len;
	s->lastlen = len < sizeof(s->last) ? len : sizeof(s->last);
	memcpy(s->last, msg, s->lastlen);
	if (len > 0 && msg[0] == 'F' && s->nfds < 4)
		s->fds[s->nfds++] = chan_take_fd(c);
	if (s->free_on_frame) {
		chan_free(c);
		s->self = NULL;
	}
	if (s->pause_on_frame)
		chan_pause(c, 1);
}

/* Run the loop until cond or a second passes. */
#define RUN_UNTIL(base, cond) do {					\
	int _i;								\
	for (_i = 0; _i < 1000 && !(cond); _i++) {			\
		event_base_loop((base), EVLOOP_NONBLOCK);		\
		usleep(1000);						\
	}								\
} while (0)

START_TEST(split_and_packed)
{
	struct event_base	*base = event_base_new();
	struct sink		 s = { 0 };
	struct chan		*c;
	uint8_t			 raw[3 * (FRAME_HDR + 5)];
	int			 sv[2], i;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = chan_new(base, sv[1], "test", 1024, sink_cb, &s);
	ck_assert_ptr_nonnull(c);
	for (i = 0; i < 3; i++) {
		frame_header(raw + i * (FRAME_HDR + 5), 5);
		memcpy(raw + i * (FRAME_HDR + 5) + FRAME_HDR, "abcd0", 5);
		raw[i * (FRAME_HDR + 5) + FRAME_HDR + 4] = (uint8_t)('0' + i);
	}
	/* The first frame one byte at a time. */
	for (i = 0; i < FRAME_HDR + 5; i++) {
		ck_assert_int_eq(write(sv[0], raw + i, 1), 1);
		event_base_loop(base, EVLOOP_NONBLOCK);
		ck_assert_int_eq(s.frames, i == FRAME_HDR + 4 ? 1 : 0);
	}
	/* The other two in one write. */
	ck_assert_int_eq(write(sv[0], raw + FRAME_HDR + 5, 2 * (FRAME_HDR + 5)),
	    2 * (FRAME_HDR + 5));
	RUN_UNTIL(base, s.frames == 3);
	ck_assert_int_eq(s.frames, 3);
	ck_assert_mem_eq(s.last, "abcd2", 5);
	ck_assert_str_eq(s.gone, "");
	close(sv[0]);
	RUN_UNTIL(base, s.gone[0] != '\0');
	ck_assert_str_eq(s.gone, "eof");
	chan_free(c);
	event_base_free(base);
}
END_TEST

/*
 * Frames that arrived together, and a pause after the first: a resume
 * delivers the rest although the socket has nothing new (a ctl client
 * whose replies drained has its pipelined requests read this way).
 */
START_TEST(pause_resume_buffered)
{
	struct event_base	*base = event_base_new();
	struct sink		 s = { 0 };
	struct chan		*c;
	uint8_t			 raw[3 * (FRAME_HDR + 5)];
	int			 sv[2], i;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = chan_new(base, sv[1], "test", 1024, sink_cb, &s);
	ck_assert_ptr_nonnull(c);
	for (i = 0; i < 3; i++) {
		frame_header(raw + i * (FRAME_HDR + 5), 5);
		memcpy(raw + i * (FRAME_HDR + 5) + FRAME_HDR, "abcd0", 5);
		raw[i * (FRAME_HDR + 5) + FRAME_HDR + 4] = (uint8_t)('0' + i);
	}
	s.pause_on_frame = 1;
	ck_assert_int_eq(write(sv[0], raw, sizeof(raw)), (int)sizeof(raw));
	RUN_UNTIL(base, s.frames == 1);
	ck_assert_int_eq(s.frames, 1);
	RUN_UNTIL(base, s.frames > 1);
	ck_assert_int_eq(s.frames, 1);		/* paused: nothing more */
	s.pause_on_frame = 0;
	chan_pause(c, 0);
	RUN_UNTIL(base, s.frames == 3);
	ck_assert_int_eq(s.frames, 3);
	ck_assert_int_eq(s.last[4], '2');
	chan_free(c);
	close(sv[0]);
	event_base_free(base);
}
END_TEST

START_TEST(large_frames)
{
	struct event_base	*base = event_base_new();
	struct sink		 r = { 0 }, w = { 0 };
	struct chan		*rc, *wc;
	uint8_t			*big;
	size_t			 n = 1U << 20;
	int			 sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	rc = chan_new(base, sv[1], "r", n, sink_cb, &r);
	wc = chan_new(base, sv[0], "w", n, sink_cb, &w);
	big = malloc(n);
	memset(big, 'q', n);
	ck_assert_int_eq(chan_send(wc, big, n, -1), 0);
	ck_assert_int_eq(chan_send(wc, big, n, -1), 0);
	ck_assert_uint_gt(chan_outq(wc), n);
	RUN_UNTIL(base, r.frames == 2);
	ck_assert_int_eq(r.frames, 2);
	ck_assert_uint_eq(r.bytes, 2 * n);
	ck_assert_uint_eq(chan_outq(wc), 0);
	free(big);
	chan_free(rc);
	chan_free(wc);
	event_base_free(base);
}
END_TEST

START_TEST(oversized)
{
	struct event_base	*base = event_base_new();
	struct sink		 s = { 0 };
	struct chan		*c;
	uint8_t			 hdr[FRAME_HDR] = { 0xff, 0xff, 0xff, 0xf0 };
	int			 sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = chan_new(base, sv[1], "test", 1024, sink_cb, &s);
	ck_assert_int_eq(write(sv[0], hdr, sizeof(hdr)), FRAME_HDR);
	RUN_UNTIL(base, s.gone[0] != '\0');
	ck_assert_str_eq(s.gone, "oversized frame");
	ck_assert_int_eq(s.frames, 0);
	/* Gone is reported once; sending now fails. */
	errno = 0;
	ck_assert_int_eq(chan_send(c, "x", 1, -1), -1);
	ck_assert_int_eq(errno, EPIPE);
	chan_free(c);
	close(sv[0]);
	event_base_free(base);
}
END_TEST

START_TEST(eof_inside_frame)
{
	struct event_base	*base = event_base_new();
	struct sink		 s = { 0 };
	struct chan		*c;
	uint8_t			 raw[FRAME_HDR + 2];
	int			 sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = chan_new(base, sv[1], "test", 1024, sink_cb, &s);
	frame_header(raw, 10);
	raw[FRAME_HDR] = raw[FRAME_HDR + 1] = 'x';
	ck_assert_int_eq(write(sv[0], raw, sizeof(raw)), (int)sizeof(raw));
	close(sv[0]);
	RUN_UNTIL(base, s.gone[0] != '\0');
	ck_assert_str_eq(s.gone, "eof inside a frame");
	ck_assert_int_eq(s.frames, 0);
	chan_free(c);
	event_base_free(base);
}
END_TEST

START_TEST(fd_with_frames)
{
	struct event_base	*base = event_base_new();
	struct sink		 r = { 0 }, w = { 0 };
	struct chan		*rc, *wc;
	int			 sv[2], p1[2], p2[2];
	char			 x;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(pipe(p1), 0);
	ck_assert_int_eq(pipe(p2), 0);
	rc = chan_new(base, sv[1], "r", 1024, sink_cb, &r);
	wc = chan_new(base, sv[0], "w", 1024, sink_cb, &w);
	/* A frame without, one with p1, one without, one with p2. */
	ck_assert_int_eq(chan_send(wc, "plain", 5, -1), 0);
	ck_assert_int_eq(chan_send(wc, "F1", 2, p1[1]), 0);
	ck_assert_int_eq(chan_send(wc, "plain", 5, -1), 0);
	ck_assert_int_eq(chan_send(wc, "F2", 2, p2[1]), 0);
	/* The caller's descriptors stay its own. */
	close(p1[1]);
	close(p2[1]);
	RUN_UNTIL(base, r.frames == 4);
	ck_assert_int_eq(r.frames, 4);
	ck_assert_int_eq(r.nfds, 2);
	ck_assert_int_ge(r.fds[0], 0);
	ck_assert_int_ge(r.fds[1], 0);
	/* Each descriptor came with its own frame, in order. */
	ck_assert_int_eq(write(r.fds[0], "a", 1), 1);
	ck_assert_int_eq(read(p1[0], &x, 1), 1);
	ck_assert_int_eq(x, 'a');
	ck_assert_int_eq(write(r.fds[1], "b", 1), 1);
	ck_assert_int_eq(read(p2[0], &x, 1), 1);
	ck_assert_int_eq(x, 'b');
	ck_assert_int_eq(chan_take_fd(rc), -1);
	close(r.fds[0]);
	close(r.fds[1]);
	close(p1[0]);
	close(p2[0]);
	chan_free(rc);
	chan_free(wc);
	event_base_free(base);
}
END_TEST

START_TEST(too_many_fds)
{
	struct event_base	*base = event_base_new();
	struct sink		 r = { 0 };
	struct chan		*rc;
	int			 sv[2], p[2], i;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(pipe(p), 0);
	rc = chan_new(base, sv[1], "r", 1024, sink_cb, &r);
	/* Frames that carry descriptors nobody takes: bounded. */
	for (i = 0; i < CHAN_MAX_FDS + 2; i++)
		ck_assert_int_eq(frame_write(sv[0], "xx", 2, p[0]), 0);
	RUN_UNTIL(base, r.gone[0] != '\0');
	ck_assert_str_eq(r.gone, "too many descriptors");
	chan_free(rc);
	close(sv[0]);
	close(p[0]);
	close(p[1]);
	event_base_free(base);
}
END_TEST

START_TEST(free_in_callback)
{
	struct event_base	*base = event_base_new();
	struct sink		 s = { 0 };
	int			 sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s.free_on_frame = 1;
	s.self = chan_new(base, sv[1], "test", 1024, sink_cb, &s);
	/* Two frames in one read: the second is never delivered. */
	ck_assert_int_eq(frame_write(sv[0], "one", 3, -1), 0);
	ck_assert_int_eq(frame_write(sv[0], "two", 3, -1), 0);
	usleep(10000);
	RUN_UNTIL(base, s.self == NULL);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(s.frames, 1);
	ck_assert_mem_eq(s.last, "one", 3);
	close(sv[0]);
	event_base_free(base);
}
END_TEST

static Suite *
chan_suite(void)
{
	Suite	*s = suite_create("chan");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_test(core, split_and_packed);
	tcase_add_test(core, large_frames);
	tcase_add_test(core, fd_with_frames);
	tcase_add_test(core, free_in_callback);
	tcase_add_test(core, pause_resume_buffered);
	tcase_add_test(errors, oversized);
	tcase_add_test(errors, eof_inside_frame);
	tcase_add_test(errors, too_many_fds);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(chan_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
