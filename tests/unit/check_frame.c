/*
 * check_frame.c -- the pure frame codec and the blocking helpers:
 * fragmented input, oversized headers, EOF inside a frame, timeouts,
 * and a descriptor passed with SCM_RIGHTS.
 */
#include <sys/socket.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"

START_TEST(header_roundtrip)
{
	uint8_t	buf[FRAME_HDR + 3];
	size_t	n = 99;

	frame_header(buf, 3);
	memcpy(buf + FRAME_HDR, "abc", 3);
	ck_assert_int_eq(buf[0], 0);
	ck_assert_int_eq(buf[3], 3);
	ck_assert_int_eq(frame_check(buf, sizeof(buf), 16, &n), 1);
	ck_assert_uint_eq(n, 3);
}
END_TEST

START_TEST(fragmented)
{
	uint8_t	buf[FRAME_HDR + 300];
	size_t	i, n;

	frame_header(buf, 300);
	memset(buf + FRAME_HDR, 'x', 300);
	/* Every prefix shorter than the frame asks for more. */
	for (i = 0; i < sizeof(buf); i++)
		ck_assert_int_eq(frame_check(buf, i, 1024, &n), 0);
	ck_assert_int_eq(frame_check(buf, sizeof(buf), 1024, &n), 1);
	ck_assert_uint_eq(n, 300);
}
END_TEST

START_TEST(empty_payload)
{
	uint8_t	buf[FRAME_HDR];
	size_t	n = 7;

	frame_header(buf, 0);
	ck_assert_int_eq(frame_check(buf, sizeof(buf), 10, &n), 1);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(oversized)
{
	uint8_t	buf[FRAME_HDR] = { 0xff, 0xff, 0xff, 0xff };
	size_t	n;

	errno = 0;
	ck_assert_int_eq(frame_check(buf, sizeof(buf), FRAME_MAX_ROLE, &n), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	/* One past the bound is refused, the bound itself is not. */
	frame_header(buf, 1025);
	ck_assert_int_eq(frame_check(buf, sizeof(buf), 1024, &n), -1);
	frame_header(buf, 1024);
	ck_assert_int_eq(frame_check(buf, sizeof(buf), 1024, &n), 0);
}
END_TEST

START_TEST(blocking_roundtrip)
{
	int	 sv[2];
	uint8_t	*buf;
	size_t	 len;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(frame_write(sv[0], "hello", 5, -1), 0);
	ck_assert_int_eq(frame_write(sv[0], "", 0, -1), 0);
	ck_assert_int_eq(frame_read(sv[1], 64, 1000, &buf, &len), 1);
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(buf, "hello", 5);
	free(buf);
	ck_assert_int_eq(frame_read(sv[1], 64, 1000, &buf, &len), 1);
	ck_assert_uint_eq(len, 0);
	free(buf);
	close(sv[0]);
	ck_assert_int_eq(frame_read(sv[1], 64, 1000, &buf, &len), 0);
	close(sv[1]);
}
END_TEST

START_TEST(blocking_dribble)
{
	int	 sv[2];
	uint8_t	 raw[FRAME_HDR + 4], *buf;
	size_t	 len, i;
	pid_t	 pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	frame_header(raw, 4);
	memcpy(raw + FRAME_HDR, "abcd", 4);
	if ((pid = fork()) == 0) {
		/* One byte at a time, with pauses. */
		for (i = 0; i < sizeof(raw); i++) {
			(void)write(sv[0], raw + i, 1);
			usleep(2000);
		}
		_exit(0);
	}
	ck_assert_int_eq(frame_read(sv[1], 64, 5000, &buf, &len), 1);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(buf, "abcd", 4);
	free(buf);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(blocking_errors)
{
	int	 sv[2];
	uint8_t	 raw[FRAME_HDR + 2], *buf = NULL;
	size_t	 len;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* Oversized header: refused before reading the payload. */
	frame_header(raw, 100);
	ck_assert_int_eq(write(sv[0], raw, FRAME_HDR), FRAME_HDR);
	errno = 0;
	ck_assert_int_eq(frame_read(sv[1], 99, 1000, &buf, &len), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	/* Nothing arrives: a timeout, not a hang. */
	errno = 0;
	ck_assert_int_eq(frame_read(sv[1], 99, 100, &buf, &len), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	/* EOF inside a frame. */
	frame_header(raw, 10);
	raw[FRAME_HDR] = 'a';
	raw[FRAME_HDR + 1] = 'b';
	ck_assert_int_eq(write(sv[0], raw, sizeof(raw)), (int)sizeof(raw));
	close(sv[0]);
	errno = 0;
	ck_assert_int_eq(frame_read(sv[1], 99, 1000, &buf, &len), -1);
	ck_assert_int_eq(errno, EPROTO);
	close(sv[1]);
}
END_TEST

START_TEST(fd_passing)
{
	int		 sv[2], p[2], got;
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(sizeof(int))];
	} cm;
	uint8_t		 buf[64];
	struct cmsghdr	*c;
	char		 x;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(frame_write(sv[0], "fd", 2, p[1]), 0);
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.b;
	mh.msg_controllen = sizeof(cm.b);
	ck_assert_int_eq(recvmsg(sv[1], &mh, 0), FRAME_HDR + 2);
	c = CMSG_FIRSTHDR(&mh);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->cmsg_type, SCM_RIGHTS);
	memcpy(&got, CMSG_DATA(c), sizeof(int));
	/* The passed descriptor is the pipe's write end. */
	ck_assert_int_eq(write(got, "z", 1), 1);
	ck_assert_int_eq(read(p[0], &x, 1), 1);
	ck_assert_int_eq(x, 'z');
	close(got);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

static Suite *
frame_suite(void)
{
	Suite	*s = suite_create("frame");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_test(core, header_roundtrip);
	tcase_add_test(core, fragmented);
	tcase_add_test(core, empty_payload);
	tcase_add_test(core, blocking_roundtrip);
	tcase_add_test(core, blocking_dribble);
	tcase_add_test(core, fd_passing);
	tcase_add_test(errors, oversized);
	tcase_add_test(errors, blocking_errors);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(frame_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
