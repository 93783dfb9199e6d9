/*
 * frame.c -- length-prefixed framing, the pure codec and the blocking
 * helpers used by btctl and tests.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"

void
frame_header(uint8_t hdr[FRAME_HDR], uint32_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}

int
frame_check(const uint8_t *buf, size_t len, size_t max, size_t *payload)
{
	uint32_t n;

	if (len < FRAME_HDR)
		return 0;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | buf[3];
	if (n > max) {
		errno = EMSGSIZE;
		return -1;
	}
	if (len - FRAME_HDR < n)
		return 0;
	*payload = n;
	return 1;
}

int
frame_write(int sock, const void *payload, size_t len, int fd)
{
	uint8_t		 hdr[FRAME_HDR];
	struct iovec	 iov[2];
	struct msghdr	 mh;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	size_t		 done = 0, total;
	ssize_t		 n;

	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	frame_header(hdr, (uint32_t)len);
	total = FRAME_HDR + len;
	while (done < total) {
		memset(&mh, 0, sizeof(mh));
		if (done < FRAME_HDR) {
			iov[0].iov_base = hdr + done;
			iov[0].iov_len = FRAME_HDR - done;
			iov[1].iov_base = (void *)(uintptr_t)payload;
			iov[1].iov_len = len;
			mh.msg_iovlen = len ? 2 : 1;
		} else {
			iov[0].iov_base = (uint8_t *)(uintptr_t)payload +
			    (done - FRAME_HDR);
			iov[0].iov_len = total - done;
			mh.msg_iovlen = 1;
		}
		mh.msg_iov = iov;
		if (done == 0 && fd != -1) {
			struct cmsghdr *c;

			memset(&cm, 0, sizeof(cm));
			mh.msg_control = cm.buf;
			mh.msg_controllen = sizeof(cm.buf);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &fd, sizeof(int));
		}
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { sock, POLLOUT, 0 };

				(void)poll(&pfd, 1, 1000);
				continue;
			}
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static int
elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int)((t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000);
}

/* Read exactly len bytes; 1 done, 0 EOF at offset 0, -1 error. */
static int
read_full(int sock, void *buf, size_t len, int timeout_ms,
    const struct timespec *t0)
{
	size_t	 done = 0;
	ssize_t	 n;

	while (done < len) {
		if (timeout_ms >= 0) {
			struct pollfd	pfd = { sock, POLLIN, 0 };
			int		left = timeout_ms - elapsed_ms(t0), r;

			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			r = poll(&pfd, 1, left);
			if (r == -1 && errno == EINTR)
				continue;
			if (r == -1)
				return -1;
			if (r == 0) {
				errno = ETIMEDOUT;
				return -1;
			}
		}
		n = read(sock, (uint8_t *)buf + done, len - done);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (n == 0) {
			if (done == 0)
				return 0;
			errno = EPROTO;
			return -1;
		}
		done += (size_t)n;
	}
	return 1;
}

int
frame_read(int sock, size_t max, int timeout_ms, uint8_t **bufp,
    size_t *lenp)
{
	struct timespec	 t0;
	uint8_t		 hdr[FRAME_HDR], *buf;
	size_t		 n;
	int		 r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((r = read_full(sock, hdr, sizeof(hdr), timeout_ms, &t0)) <= 0)
		return r;
	n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	    (size_t)hdr[2] << 8 | hdr[3];
	if (n > max) {
		errno = EMSGSIZE;
		return -1;
	}
	if ((buf = malloc(n ? n : 1)) == NULL)
		return -1;
	if (n > 0 && (r = read_full(sock, buf, n, timeout_ms, &t0)) <= 0) {
		if (r == 0)
			errno = EPROTO;
		free(buf);
		return -1;
	}
	*bufp = buf;
	*lenp = n;
	return 1;
}
