/*
 * msg.h -- protobuf messages over chans.
 *
 * Every channel has one envelope message with a oneof `body`.  The
 * lifecycle bodies every envelope shares (hello, ping, pong, attach,
 * link, config: field numbers 1-6, see proto/common.proto) are set and
 * read here through protobuf-c's descriptors, so that code common to all
 * roles does not need to know which envelope a channel uses.
 */
#ifndef BTD_MSG_H
#define BTD_MSG_H

#include <protobuf-c/protobuf-c.h>

#include "chan.h"

/* Pack env and queue it on c, with fd (or -1). */
int	msg_send(struct chan *, const ProtobufCMessage *env, int fd);

/*
 * Wrap inner as the body named field ("ping", ...) of a fresh envelope
 * of type desc, and send it.
 */
int	msg_send_body(struct chan *, const ProtobufCMessageDescriptor *desc,
	    const char *field, const ProtobufCMessage *inner, int fd);

/*
 * Decode a frame as envelope desc.  NULL if it does not decode or has no
 * body set.  Free with msg_free().
 */
ProtobufCMessage *msg_unpack(const ProtobufCMessageDescriptor *desc,
	    const uint8_t *buf, size_t len);
void	msg_free(ProtobufCMessage *);

/*
 * The body of an envelope: its field number (0 if none), and through
 * the optional out-parameters the inner message and the field's name.
 */
int	msg_body(const ProtobufCMessage *env, const ProtobufCMessage **inner,
	    const char **name);

#endif
