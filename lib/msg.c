/*
 * msg.c -- packing, unpacking and envelope bodies by reflection.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.pb-c.h"
#include "log.h"
#include "msg.h"
#include "util.h"

#define MSG_BIG	(1U << 20)	/* a frame this large is packed into a
				   mapping of its own and queued as it is */

static void
big_done(const void *buf, size_t len, void *arg)
{
	(void)len;
	util_bigmem_free((void *)(uintptr_t)buf, (size_t)(uintptr_t)arg);
}

int
msg_send(struct chan *c, const ProtobufCMessage *env, int fd)
{
	uint8_t	 stackbuf[512], *buf = stackbuf;
	size_t	 len, map = 0;
	int	 r;

	if (log_getverbose() >= 2) {
		const char *name = "?";

		(void)msg_body(env, NULL, &name);
		log_trace("-> %s: %s.%s", chan_name(c),
		    env->descriptor->short_name, name);
	}
	len = protobuf_c_message_get_packed_size(env);
	/* A list of 10,000 torrents: not faulted in a page at a time, and
	   not copied again into the queue. */
	if (len >= MSG_BIG) {
		map = len;
		buf = util_bigmem(&map);
	}
	if (buf == NULL || (len > sizeof(stackbuf) && map == 0)) {
		map = 0;
		if ((buf = malloc(len)) == NULL)
			return -1;
	}
	protobuf_c_message_pack(env, buf);
	if (map > 0) {
		r = chan_send_ref(c, buf, len, fd, big_done,
		    (void *)(uintptr_t)map);
		if (r == -1)
			util_bigmem_free(buf, map);
		return r;
	}
	r = chan_send(c, buf, len, fd);
	if (buf != stackbuf)
		free(buf);
	return r;
}

/* The message type of each common body (index: enum msg_common). */
static const ProtobufCMessageDescriptor *const common_types[] = {
	[MSG_HELLO] = &btd__hello__descriptor,
	[MSG_PING] = &btd__ping__descriptor,
	[MSG_PONG] = &btd__pong__descriptor,
	[MSG_ATTACH] = &btd__channel_attach__descriptor,
	[MSG_LINK] = &btd__link_state__descriptor,
	[MSG_CONFIG] = &btd__config__descriptor,
	[MSG_ARENA] = &btd__arena_attach__descriptor,
};
#define NCOMMON	(sizeof(common_types) / sizeof(common_types[0]))

void
msg_env_check(const ProtobufCMessageDescriptor *desc)
{
	const ProtobufCFieldDescriptor	*f;
	unsigned			 id;

	for (id = 1; id < NCOMMON; id++) {
		f = protobuf_c_message_descriptor_get_field(desc, id);
		if (f == NULL) {
			if (id == MSG_PING || id == MSG_PONG)
				fatalx("%s: no body %u", desc->name, id);
			continue;
		}
		if (f->type != PROTOBUF_C_TYPE_MESSAGE ||
		    !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
		    f->descriptor != common_types[id])
			fatalx("%s: body %u is not %s", desc->name, id,
			    common_types[id]->name);
	}
}

int
msg_send_common(struct chan *c, const ProtobufCMessageDescriptor *desc,
    enum msg_common body, const ProtobufCMessage *inner, int fd)
{
	const ProtobufCFieldDescriptor	*f;
	ProtobufCMessage		*env;
	int				 r;

	f = protobuf_c_message_descriptor_get_field(desc, (unsigned)body);
	if ((unsigned)body >= NCOMMON || f == NULL ||
	    f->descriptor != common_types[body] ||
	    inner->descriptor != common_types[body])
		fatalx("%s: %s has no common body %d of type %s", __func__,
		    desc->name, body, inner->descriptor->name);
	if ((env = calloc(1, desc->sizeof_message)) == NULL)
		return -1;
	desc->message_init(env);
	*(uint32_t *)(void *)((char *)env + f->quantifier_offset) = f->id;
	*(const ProtobufCMessage **)(void *)((char *)env + f->offset) = inner;
	r = msg_send(c, env, fd);
	free(env);	/* inner stays the caller's */
	return r;
}

ProtobufCMessage *
msg_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
    size_t len)
{
	ProtobufCMessage *m;

	m = protobuf_c_message_unpack(desc, NULL, len, buf);
	if (m == NULL)
		return NULL;
	if (msg_body(m, NULL, NULL) == 0) {
		protobuf_c_message_free_unpacked(m, NULL);
		return NULL;
	}
	return m;
}

void
msg_free(ProtobufCMessage *m)
{
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
}

int
msg_body(const ProtobufCMessage *env, const ProtobufCMessage **inner,
    const char **name)
{
	const ProtobufCMessageDescriptor	*d = env->descriptor;
	const ProtobufCFieldDescriptor		*f;
	uint32_t				 id;
	unsigned				 i;

	for (i = 0; i < d->n_fields; i++) {
		f = &d->fields[i];
		if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
		    f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		id = *(const uint32_t *)(const void *)
		    ((const char *)env + f->quantifier_offset);
		if (id != f->id)
			continue;
		if (inner != NULL)
			*inner = *(ProtobufCMessage *const *)(const void *)
			    ((const char *)env + f->offset);
		if (name != NULL)
			*name = f->name;
		return (int)f->id;
	}
	return 0;
}
