/*
 * frame.h -- the framing of every btd channel: a 4-byte big-endian
 * length, then that many bytes of one protobuf message.
 *
 * The pure codec (frame_header, frame_check) touches no descriptor, so
 * unit tests drive it with any byte sequence.  The blocking helpers are
 * for btctl and tests; daemons use chan.h.
 */
#ifndef BTD_FRAME_H
#define BTD_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR	4	/* the length prefix */

/* Per-channel bounds on a frame's payload. */
#define FRAME_MAX_ROLE	(1U << 20)	/* btd <-> role, role <-> role: 1 MiB */
#define FRAME_MAX_BLOCK	(1U << 20)	/* peerd <-> stored: a block is 16 KiB */
#define FRAME_MAX_METAD	(32U << 20)	/* btd <-> metad: a 10 MiB .torrent and
					   its description */
#define FRAME_MAX_TRACKERD (16U << 20)	/* btd <-> trackerd: a fetched 10 MiB
					   .torrent */
#define FRAME_MAX_CTLREQ (16U << 20)	/* btctl -> btd: a .torrent fits */
#define FRAME_MAX_CTLREP (64U << 20)	/* btd -> btctl: a long list */
#define FRAME_MAX_RPCCALL (4U << 20)	/* rpcd -> btd: a Call; an HTTP body
					   is at most 1 MiB */

/* Write the header for a payload of len bytes into hdr. */
void	frame_header(uint8_t hdr[FRAME_HDR], uint32_t len);

/*
 * Look at the len bytes buffered so far.  Returns 1 and sets *payload to
 * the payload size when a whole frame is there, 0 when more bytes are
 * needed, -1 (errno EMSGSIZE) when the announced payload exceeds max.
 * The bound is checked on the header alone, before anything is
 * allocated.
 */
int	frame_check(const uint8_t *buf, size_t len, size_t max,
	    size_t *payload);

/*
 * Blocking: write one frame (header and payload, retrying short writes
 * and EINTR), optionally with fd attached by SCM_RIGHTS (fd -1: none).
 */
int	frame_write(int sock, const void *payload, size_t len, int fd);

/*
 * Blocking: read one frame of at most max payload bytes into a buffer
 * from malloc (freed by the caller), waiting at most timeout_ms in all
 * (-1: forever).  Returns 1 with *buf and *len set, 0 at a clean EOF
 * before any byte, -1 on error (errno: EMSGSIZE oversized, EPROTO EOF
 * inside a frame, ETIMEDOUT, or the read's own).
 */
int	frame_read(int sock, size_t max, int timeout_ms, uint8_t **buf,
	    size_t *len);

#endif
