/*
 * arena.c -- creating, checking and mapping the block path's shared
 * memory (arena.h).
 *
 * Invariant: a mapping a role uses has exactly the size it was told, and
 * its memfd carries F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, so no
 * process can make an access within it fault.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "util.h"

#define ARENA_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
#define ARENA_MAX	(1ULL << 30)	/* no arena is larger than 1 GiB */

int
arena_memfd(const char *name, uint32_t slot_size, uint32_t slots)
{
	uint64_t	 size = (uint64_t)slot_size * slots;
	int		 fd;

	if (size == 0 || size > ARENA_MAX) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		return -1;
	if (ftruncate(fd, (off_t)size) == -1 ||
	    fcntl(fd, F_ADD_SEALS, ARENA_SEALS) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
arena_map(int fd, uint32_t slot_size, uint32_t slots, uint64_t generation,
    struct arena *a, char *err, size_t errlen)
{
	struct stat	 st;
	uint64_t	 size = (uint64_t)slot_size * slots;
	void		*p;
	int		 seals;

	memset(a, 0, sizeof(*a));
	if (size == 0 || size > ARENA_MAX) {
		util_seterr(err, errlen, "arena of %u slots of %u bytes",
		    slots, slot_size);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != size) {
		util_seterr(err, errlen, "arena is not %llu bytes",
		    (unsigned long long)size);
		return -1;
	}
	if ((seals = fcntl(fd, F_GET_SEALS)) == -1 ||
	    (seals & ARENA_SEALS) != ARENA_SEALS) {
		util_seterr(err, errlen, "arena is not sealed");
		return -1;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		util_seterr(err, errlen, "mmap arena: %s", strerror(errno));
		return -1;
	}
	a->base = p;
	a->slot_size = slot_size;
	a->slots = slots;
	a->generation = generation;
	return 0;
}

void
arena_unmap(struct arena *a)
{
	if (a->base != NULL)
		munmap(a->base, (size_t)a->slot_size * a->slots);
	memset(a, 0, sizeof(*a));
}
