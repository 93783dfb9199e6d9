/*
 * chan.c -- framed channels with descriptor passing on libevent.
 *
 * bufferevents cannot carry SCM_RIGHTS, so a chan keeps two evbuffers and
 * two events of its own.  Input is read with recvmsg() into the input
 * evbuffer; descriptors that arrive are queued (at most CHAN_MAX_FDS)
 * until the dispatcher takes them with chan_take_fd().  Output frames are
 * appended to the output evbuffer; a frame with a descriptor records a
 * mark at its first byte, and the writer never sends bytes of two marks
 * in one sendmsg(), so each descriptor travels on its frame's first byte.
 *
 * Rejected alternative: a socketpair of SOCK_SEQPACKET would keep frame
 * boundaries for free, but caps a frame at the socket buffer size, and
 * the ctl socket must accept large frames from any client.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "chan.h"
#include "frame.h"
#include "log.h"

#define CHAN_MAX_MARKS	16	/* frames with a descriptor queued for output */
#define CHAN_READ_CHUNK	65536	/* bytes per recvmsg() */
#define CHAN_READ_ROUNDS 16	/* reads per wake-up, to stay fair */

struct mark {
	size_t	off;		/* offset in out of the frame's first byte */
	int	fd;		/* our dup, closed once sent */
};

struct chan {
	struct event_base	*base;
	struct event		*rev, *wev;
	struct evbuffer		*in, *out;
	int			 fd;
	char			 name[32];
	size_t			 maxframe;
	chan_cb			 cb;
	void			*arg;
	int			 rfds[CHAN_MAX_FDS];	/* received, not taken */
	int			 nrfds;
	struct mark		 marks[CHAN_MAX_MARKS];
	int			 nmarks;
	int			 paused;
	size_t			 maxout;	/* hard bound on out */
	chan_drain_cb		 drain;
	int			 want_drain;	/* chan_full() said yes */
	int			 overflow;	/* a send hit maxout */
	int			 incb;		/* inside the callback */
	int			 freed;		/* chan_free() during the callback */
	int			 dead;		/* gone was reported */
	int			 rclosed;	/* ... as an eof: the other
						   side may still read */
};

static void	chan_read(evutil_socket_t, short, void *);
static void	chan_write(evutil_socket_t, short, void *);

struct chan *
chan_new(struct event_base *base, int fd, const char *name, size_t maxframe,
    chan_cb cb, void *arg)
{
	struct chan	*c;
	int		 fl;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->base = base;
	c->fd = fd;
	c->maxframe = maxframe;
	c->maxout = maxframe + CHAN_OUT_SLACK;
	c->cb = cb;
	c->arg = arg;
	snprintf(c->name, sizeof(c->name), "%s", name);
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		goto fail;
	if ((c->in = evbuffer_new()) == NULL ||
	    (c->out = evbuffer_new()) == NULL)
		goto fail;
	c->rev = event_new(base, fd, EV_READ | EV_PERSIST, chan_read, c);
	c->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, chan_write, c);
	if (c->rev == NULL || c->wev == NULL || event_add(c->rev, NULL) == -1)
		goto fail;
	return c;
fail:
	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	if (c->in)
		evbuffer_free(c->in);
	if (c->out)
		evbuffer_free(c->out);
	free(c);
	return NULL;
}

static void
chan_destroy(struct chan *c)
{
	int i;

	event_free(c->rev);
	event_free(c->wev);
	evbuffer_free(c->in);
	evbuffer_free(c->out);
	for (i = 0; i < c->nrfds; i++)
		close(c->rfds[i]);
	for (i = 0; i < c->nmarks; i++)
		close(c->marks[i].fd);
	close(c->fd);
	free(c);
}

void
chan_free(struct chan *c)
{
	if (c == NULL)
		return;
	if (c->incb) {
		/* Finished by the dispatch loop once the callback returns. */
		c->freed = 1;
		event_del(c->rev);
		event_del(c->wev);
		return;
	}
	chan_destroy(c);
}

const char *
chan_name(const struct chan *c)
{
	return c->name;
}

int
chan_fd(const struct chan *c)
{
	return c->fd;
}

size_t
chan_outq(const struct chan *c)
{
	return evbuffer_get_length(c->out);
}

void
chan_set_maxout(struct chan *c, size_t n)
{
	c->maxout = n;
}

void
chan_set_drain(struct chan *c, chan_drain_cb cb)
{
	c->drain = cb;
}

int
chan_full(struct chan *c)
{
	if (evbuffer_get_length(c->out) < CHAN_OUT_HIGH)
		return 0;
	c->want_drain = 1;
	return 1;
}

/* Report the channel gone, once.  Returns 1 if the chan was freed. */
static int
chan_gone(struct chan *c, const char *why)
{
	int freed;

	event_del(c->rev);
	event_del(c->wev);
	if (c->dead)
		return 0;
	c->dead = 1;
	c->rclosed = strcmp(why, "eof") == 0;
	log_trace("chan %s: gone: %s", c->name, why);
	c->incb = 1;
	c->cb(c, NULL, 0, why, c->arg);
	c->incb = 0;
	freed = c->freed;
	if (freed)
		chan_destroy(c);
	return freed;
}

/*
 * Hand every whole frame in the input buffer to the callback.
 * Returns 1 if the chan was freed or is gone.
 */
static int
chan_deliver(struct chan *c)
{
	uint8_t	 hdr[FRAME_HDR], *p;
	size_t	 payload;
	int	 r;

	while (!c->paused && !c->dead) {
		if (evbuffer_copyout(c->in, hdr, sizeof(hdr)) < FRAME_HDR)
			return 0;
		r = frame_check(hdr, sizeof(hdr), c->maxframe, &payload);
		if (r == -1)
			return chan_gone(c, "oversized frame") || 1;
		if (r == 0) {
			/* Header alone: is the payload there yet? */
			uint32_t n = (uint32_t)hdr[0] << 24 |
			    (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 |
			    hdr[3];

			if (evbuffer_get_length(c->in) < FRAME_HDR + (size_t)n)
				return 0;
			payload = n;
		}
		if ((p = evbuffer_pullup(c->in, FRAME_HDR + payload)) == NULL)
			return chan_gone(c, "out of memory") || 1;
		c->incb = 1;
		c->cb(c, p + FRAME_HDR, payload, NULL, c->arg);
		c->incb = 0;
		if (c->freed) {
			chan_destroy(c);
			return 1;
		}
		evbuffer_drain(c->in, FRAME_HDR + payload);
	}
	return c->dead;
}

static void
chan_read(evutil_socket_t fd, short ev, void *arg)
{
	struct chan	*c = arg;
	uint8_t		 buf[CHAN_READ_CHUNK];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * CHAN_MAX_FDS)];
	} cm;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cmh;
	ssize_t		 n;
	int		 round;

	(void)ev;
	if (c->overflow) {
		(void)chan_gone(c, "output queue full");
		return;
	}
	/*
	 * Frames read before a chan_pause() come first: after a resume the
	 * socket may have nothing more to say.
	 */
	if (chan_deliver(c) || c->paused)
		return;
	for (round = 0; round < CHAN_READ_ROUNDS; round++) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			(void)chan_gone(c, "read error");
			return;
		}
		for (cmh = CMSG_FIRSTHDR(&mh); cmh != NULL;
		    cmh = CMSG_NXTHDR(&mh, cmh)) {
			int	*fds, i, nf;

			if (cmh->cmsg_level != SOL_SOCKET ||
			    cmh->cmsg_type != SCM_RIGHTS)
				continue;
			nf = (int)((cmh->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			fds = (int *)CMSG_DATA(cmh);
			for (i = 0; i < nf; i++) {
				int rfd;

				memcpy(&rfd, &fds[i], sizeof(int));
				if (c->nrfds == CHAN_MAX_FDS) {
					close(rfd);
					c->nrfds = -c->nrfds;	/* flag overflow */
					break;
				}
				if (c->nrfds < 0) {
					close(rfd);
					continue;
				}
				c->rfds[c->nrfds++] = rfd;
			}
		}
		if (c->nrfds < 0) {
			c->nrfds = -c->nrfds;
			(void)chan_gone(c, "too many descriptors");
			return;
		}
		if (mh.msg_flags & MSG_CTRUNC) {
			(void)chan_gone(c, "descriptors truncated");
			return;
		}
		if (n == 0) {
			/* Deliver what is whole, then report the close. */
			if (chan_deliver(c))
				return;
			(void)chan_gone(c, evbuffer_get_length(c->in) ?
			    "eof inside a frame" : "eof");
			return;
		}
		if (evbuffer_add(c->in, buf, (size_t)n) == -1) {
			(void)chan_gone(c, "out of memory");
			return;
		}
		if (chan_deliver(c))
			return;
		if (c->paused)
			return;
		if ((size_t)n < sizeof(buf))
			break;
	}
}

int
chan_take_fd(struct chan *c)
{
	int fd;

	if (c->nrfds <= 0)
		return -1;
	fd = c->rfds[0];
	memmove(c->rfds, c->rfds + 1, sizeof(int) * (size_t)(c->nrfds - 1));
	c->nrfds--;
	return fd;
}

void
chan_pause(struct chan *c, int paused)
{
	c->paused = paused;
	if (c->dead || c->freed)
		return;
	if (paused)
		event_del(c->rev);
	else {
		event_add(c->rev, NULL);
		/* Frames may already be buffered. */
		event_active(c->rev, EV_READ, 0);
	}
}

int
chan_send(struct chan *c, const void *msg, size_t len, int fd)
{
	return chan_send_ref(c, msg, len, fd, NULL, NULL);
}

int
chan_send_ref(struct chan *c, const void *msg, size_t len, int fd,
    void (*done)(const void *, size_t, void *), void *arg)
{
	uint8_t	hdr[FRAME_HDR];
	int	dupfd = -1, r;

	if ((c->dead && !c->rclosed) || c->freed) {
		errno = EPIPE;
		return -1;
	}
	if (len > c->maxframe && len > FRAME_MAX_CTLREP) {
		errno = EMSGSIZE;
		return -1;
	}
	if (evbuffer_get_length(c->out) + FRAME_HDR + len > c->maxout) {
		log_warnx("chan %s: output queue full (%zu bytes)", c->name,
		    evbuffer_get_length(c->out));
		c->overflow = 1;
		event_active(c->rev, EV_READ, 0);
		errno = ENOBUFS;
		return -1;
	}
	if (fd != -1) {
		if (c->nmarks == CHAN_MAX_MARKS) {
			errno = ENOBUFS;
			return -1;
		}
		if ((dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
			return -1;
		c->marks[c->nmarks].off = evbuffer_get_length(c->out);
		c->marks[c->nmarks].fd = dupfd;
	}
	frame_header(hdr, (uint32_t)len);
	if (evbuffer_add(c->out, hdr, sizeof(hdr)) == -1)
		r = -1;
	else if (len == 0)
		r = 0;
	else if (done != NULL)
		r = evbuffer_add_reference(c->out, msg, len, done, arg);
	else
		r = evbuffer_add(c->out, msg, len);
	if (r == -1) {
		if (dupfd != -1)
			close(dupfd);
		errno = ENOMEM;
		return -1;
	}
	if (dupfd != -1)
		c->nmarks++;
	event_add(c->wev, NULL);
	return 0;
}

/* One sendmsg(); returns bytes written, 0 on EAGAIN, -1 on error. */
static ssize_t
chan_write1(struct chan *c)
{
	struct evbuffer_iovec	 v[16];
	struct iovec		 iov[16];
	struct msghdr		 mh;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	size_t			 limit = evbuffer_get_length(c->out);
	ssize_t			 n;
	int			 i, nv, withfd = 0;

	if (c->nmarks > 0) {
		if (c->marks[0].off == 0) {
			withfd = 1;
			if (c->nmarks > 1)
				limit = c->marks[1].off;
		} else
			limit = c->marks[0].off;
	}
	nv = evbuffer_peek(c->out, (ev_ssize_t)limit, NULL, v, 16);
	if (nv > 16)
		nv = 16;
	memset(&mh, 0, sizeof(mh));
	for (i = 0; i < nv; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len;
		if (iov[i].iov_len > limit)
			iov[i].iov_len = limit;
		limit -= iov[i].iov_len;
	}
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)nv;
	if (withfd) {
		struct cmsghdr *cmh;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		cmh = CMSG_FIRSTHDR(&mh);
		cmh->cmsg_level = SOL_SOCKET;
		cmh->cmsg_type = SCM_RIGHTS;
		cmh->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmh), &c->marks[0].fd, sizeof(int));
	}
	n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n == -1)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	evbuffer_drain(c->out, (size_t)n);
	if (withfd && n > 0) {
		close(c->marks[0].fd);
		memmove(c->marks, c->marks + 1,
		    sizeof(struct mark) * (size_t)(c->nmarks - 1));
		c->nmarks--;
	}
	for (i = 0; i < c->nmarks; i++)
		c->marks[i].off -= (size_t)n;
	return n;
}

static void
chan_write(evutil_socket_t fd, short ev, void *arg)
{
	struct chan	*c = arg;
	ssize_t		 n;

	(void)fd;
	(void)ev;
	while (evbuffer_get_length(c->out) > 0) {
		if ((n = chan_write1(c)) == -1) {
			event_del(c->wev);
			(void)chan_gone(c, "write error");
			return;
		}
		if (n == 0)
			break;
	}
	if (evbuffer_get_length(c->out) == 0)
		event_del(c->wev);
	if (c->want_drain && c->drain != NULL &&
	    evbuffer_get_length(c->out) < CHAN_OUT_HIGH / 2) {
		c->want_drain = 0;
		c->incb = 1;
		c->drain(c, c->arg);
		c->incb = 0;
		if (c->freed)
			chan_destroy(c);
	}
}

int
chan_flush(struct chan *c, int timeout_ms)
{
	int waited = 0;

	while ((!c->dead || c->rclosed) && evbuffer_get_length(c->out) > 0) {
		ssize_t n = chan_write1(c);

		if (n == -1)
			return -1;
		if (n == 0) {
			if (waited >= timeout_ms)
				return -1;
			usleep(10000);
			waited += 10;
		}
	}
	return evbuffer_get_length(c->out) > 0 ? -1 : 0;
}
