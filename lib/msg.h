/*
 * msg.h -- protobuf messages over chans.
 *
 * Every channel has one envelope message with a oneof `body`.  A role's
 * own bodies (field numbers 16 and up) are sent with MSG_SEND(), which
 * the compiler checks: the envelope type, the body case and the field
 * are named by identifiers, and the inner message must have the field's
 * type.  The lifecycle bodies every envelope shares (hello ... arena,
 * field numbers 1-7, proto/common.proto) are numbered once here, in
 * enum msg_common; code common to all roles sends them with
 * msg_send_common(), which finds the field by number, and every envelope
 * is checked against that numbering once, by msg_env_check(), before
 * its first use.
 */
#ifndef BTD_MSG_H
#define BTD_MSG_H

#include <protobuf-c/protobuf-c.h>

#include "chan.h"

/* Body numbers shared by every envelope (proto/common.proto). */
enum msg_common {
	MSG_HELLO = 1,
	MSG_PING = 2,
	MSG_PONG = 3,
	MSG_ATTACH = 4,		/* carries one fd */
	MSG_LINK = 5,
	MSG_CONFIG = 6,
	MSG_ARENA = 7,		/* carries one fd; peerd and stored only */
	MSG_ROLE_MIN = 16,	/* from here on: a channel's own bodies */
};

/* Pack env and queue it on c, with fd (or -1). */
int	msg_send(struct chan *, const ProtobufCMessage *env, int fd);

/*
 * Send inner as body BODY (its field `field`) of a fresh envelope of type
 * T (generated names BTD__ENV__...), e.g.
 * MSG_SEND(c, Btd__StoredMsg, STORED_MSG, TORRENT_ADD, torrent_add, &ta, -1).
 * Evaluates to msg_send()'s result.
 */
#define MSG_SEND(c, T, ENV, BODY, field, inner, fd) __extension__ ({	\
	T msg_env_ = BTD__##ENV##__INIT;				\
	msg_env_.body_case = BTD__##ENV##__BODY_##BODY;			\
	msg_env_.field = (inner);					\
	msg_send((c), &msg_env_.base, (fd));				\
})

/*
 * Send a lifecycle body (enum msg_common) in a fresh envelope of type
 * desc; inner must be of the message type common.proto gives that body.
 */
int	msg_send_common(struct chan *, const ProtobufCMessageDescriptor *desc,
	    enum msg_common body, const ProtobufCMessage *inner, int fd);

/*
 * Check that envelope desc has, at each common body number it has, the
 * message type common.proto gives it (hello, ping and pong at least).
 * fatalx() otherwise: a build that mixes up the contract never runs.
 */
void	msg_env_check(const ProtobufCMessageDescriptor *desc);

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

/*
 * An envelope as its own type, checked against its descriptor:
 * const Btd__StoredMsg *m = MSG_AS(Btd__StoredMsg, stored_msg, env);
 */
#define MSG_AS(T, env_lc, e) __extension__ ({				\
	const ProtobufCMessage *msg_as_ = (e);				\
	if (msg_as_->descriptor != &btd__##env_lc##__descriptor)	\
		fatalx("%s: %s is not %s", __func__,			\
		    msg_as_->descriptor->name,				\
		    btd__##env_lc##__descriptor.name);			\
	(const T *)(const void *)msg_as_;				\
})

#endif
