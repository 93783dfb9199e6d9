/*
 * chan.h -- a framed channel over a stream socket, driven by libevent.
 *
 * A chan owns its socket.  Incoming bytes are read with recvmsg() so
 * that descriptors passed with SCM_RIGHTS are collected; whole frames
 * are handed to the read callback one at a time.  Outgoing frames queue
 * in memory (bounded) and are written when the socket is writable; a
 * frame sent with a descriptor carries it on its first byte.
 *
 * Errors: an oversized frame, a read error, EOF, too many queued
 * descriptors or an overfull output queue all end in one call of the
 * read callback with msg == NULL ("the channel is gone"); after that
 * the owner frees the chan.  A chan never calls back after chan_free().
 *
 * Back-pressure: a sender of bulk traffic asks chan_full() before it
 * queues more; once that said yes, the drain callback runs when the
 * queue has fallen below half the mark, and the sender goes on.  A send
 * past the hard bound (chan_set_maxout(), by default the frame bound
 * plus CHAN_OUT_SLACK) is never dropped silently: it fails with
 * ENOBUFS and the channel is reported gone ("output queue full") from
 * the event loop.
 */
#ifndef BTD_CHAN_H
#define BTD_CHAN_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct chan;

/*
 * A frame arrived (msg, len) or the channel is gone (msg NULL, and
 * why set to a short reason such as "eof" or "oversized frame").
 * msg is valid only during the call.
 */
typedef void (*chan_cb)(struct chan *, const uint8_t *msg, size_t len,
    const char *why, void *arg);

#define CHAN_MAX_FDS	8		/* received descriptors not yet taken */
#define CHAN_OUT_HIGH	(1U << 20)	/* chan_full() from here on */
#define CHAN_OUT_SLACK	(4U << 20)	/* hard bound: the frame bound + this */

typedef void (*chan_drain_cb)(struct chan *, void *arg);

struct chan	*chan_new(struct event_base *, int fd, const char *name,
		    size_t maxframe, chan_cb, void *arg);
void		 chan_free(struct chan *);

/*
 * Queue one frame; fd (or -1) is sent with it and stays the caller's.
 * After the other side closed its end for writing (the callback saw
 * "eof"), frames may still be queued and flushed: it may still read.
 */
int		 chan_send(struct chan *, const void *msg, size_t len, int fd);
/*
 * The same, for a large frame, without copying it: msg is the chan's
 * once this succeeds, and done(msg, len, arg) is called when it has
 * been written or the chan is freed.  On failure msg stays the caller's.
 */
int		 chan_send_ref(struct chan *, const void *msg, size_t len,
		    int fd, void (*done)(const void *, size_t, void *),
		    void *arg);

/* Change the hard bound on queued output bytes. */
void		 chan_set_maxout(struct chan *, size_t);
/* Call cb (with the chan's arg) when a full queue has drained. */
void		 chan_set_drain(struct chan *, chan_drain_cb);
/* 1 when the sender should wait for the drain callback. */
int		 chan_full(struct chan *);

/* Take the oldest received descriptor (the caller owns it), or -1. */
int		 chan_take_fd(struct chan *);

/* Stop calling back for a while (and resume). */
void		 chan_pause(struct chan *, int paused);

const char	*chan_name(const struct chan *);
int		 chan_fd(const struct chan *);
size_t		 chan_outq(const struct chan *);	/* bytes queued */

/*
 * Write everything queued, blocking up to timeout_ms; for an orderly
 * exit.  Returns 0 when all was written.
 */
int		 chan_flush(struct chan *, int timeout_ms);

#endif
