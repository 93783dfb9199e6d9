/*
 * metad.h -- metad's private header.
 */
#ifndef BTD_METAD_H
#define BTD_METAD_H

#include <protobuf-c/protobuf-c.h>

struct chan;

/* metad_parse.c */
int	metad_dispatch_btd(struct chan *, const ProtobufCMessage *);

#endif
