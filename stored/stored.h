/*
 * stored.h -- stored's private header.
 */
#ifndef BTD_STORED_H
#define BTD_STORED_H

#include <protobuf-c/protobuf-c.h>

struct chan;

/* stored_files.c */
int	stored_dispatch_btd(struct chan *, const ProtobufCMessage *);
/* Open path beneath dirfd, never through a symlink or "..". */
int	stored_open_beneath(int dirfd, const char *path, int flags,
	    int mode);

#endif
