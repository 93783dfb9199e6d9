/*
 * arena.h -- the shared memory of the block path (proto/peer_stored.proto).
 *
 * btd creates two sealed memfds for every generation of the peerd <->
 * stored link and hands them to both roles (ArenaAttach); a role maps
 * them through role.c and finds them with role_peer_arena().  The sizes
 * are fixed here so that both ends and btd agree; a role checks what it
 * is given against the ArenaAttach that came with it.
 */
#ifndef BTD_ARENA_H
#define BTD_ARENA_H

#include <stddef.h>
#include <stdint.h>

#define ARENA_SLOT_SIZE	16384	/* one block: the largest request we make
				   or serve */
#define ARENA_DOWN_SLOTS 2048	/* 32 MiB of received blocks in flight to
				   stored: about 50 ms at 600 MiB/s */
#define ARENA_UP_SLOTS	512	/* 8 MiB of blocks read for uploads */

struct arena {
	uint8_t		*base;		/* mapping, slots * slot_size bytes */
	uint32_t	 slot_size;
	uint32_t	 slots;
	uint64_t	 generation;	/* of the link it belongs to */
};

/* The bytes of slot i; i < a->slots. */
static inline uint8_t *
arena_slot(const struct arena *a, uint32_t i)
{
	return a->base + (size_t)i * a->slot_size;
}

/*
 * btd: a memfd of slots * slot_size bytes, sealed so that neither role
 * can shrink or grow it (and SIGBUS the other) or change the seals.
 * Returns the descriptor or -1.
 */
int	arena_memfd(const char *name, uint32_t slot_size, uint32_t slots);

/*
 * A role: check that fd is such a memfd of exactly that size and map it
 * shared.  0 and *a filled, or -1 with a reason in err.
 */
int	arena_map(int fd, uint32_t slot_size, uint32_t slots,
	    uint64_t generation, struct arena *a, char *err, size_t errlen);
void	arena_unmap(struct arena *);

#endif
