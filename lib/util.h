/*
 * util.h -- small helpers shared by btd, btctl and the roles.
 */
#ifndef BTD_UTIL_H
#define BTD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define BTD_PROTO_MAJOR	1	/* proto/: incompatible changes */
#define BTD_PROTO_MINOR	3	/* proto/: additions (1: Hello.exec_refused;
				   2: FilesCreated, TorrentFiles, DeleteData
				   in parts, RemoveReply, CheckProgress;
				   ut_metadata, BEP 9; 3: the role rpcd,
				   NumbersRequest) */

#define BTD_SOCK_NAME	"btd.sock"	/* the ctl socket in the state dir */

/*
 * The default state directory: /var/lib/btd for root, else
 * $XDG_STATE_HOME/btd or $HOME/.local/state/btd.  -1 if it cannot be
 * found (no HOME) or does not fit.
 */
int	 util_default_state_dir(char *buf, size_t len);

/* The default ctl socket: <default state dir>/btd.sock. */
int	 util_default_socket(char *buf, size_t len);

/* mkdir -p with mode for the directories it creates. */
int	 util_mkdirs(const char *path, unsigned mode);

/*
 * malloc's thresholds fixed, not raised as blocks are freed: a large
 * buffer that lives for one reply (a list of 10,000 torrents) is mapped
 * and unmapped, not left in the heap; the heap's top is kept up to
 * 8 MiB until a trim.
 */
void	 util_malloc_tune(void);
/* Give the heap's free pages back if more than min_free bytes are free
   (after a burst of work). */
void	 util_malloc_trim_if(size_t min_free);
/*
 * One large, short-lived buffer (a reply of megabytes), mapped on its
 * own: in huge pages where the kernel gives them, and filled in at once
 * rather than a page fault at a time.  *len is rounded up to what was
 * mapped; give that back to util_bigmem_free().  NULL if it cannot be
 * mapped.
 */
void	*util_bigmem(size_t *len);
void	 util_bigmem_free(void *, size_t len);

/* Monotonic clock in milliseconds. */
uint64_t util_now_ms(void);

/*
 * The delay before restart number `attempt` (0 the first after a healthy
 * run): first_ms, then 1 s, 2 s, 4 s ... doubling, never above cap_ms.
 */
uint64_t util_backoff_ms(int attempt, uint64_t first_ms, uint64_t cap_ms);

/*
 * Decode exactly 2 * n hex digits (either case) of s into out; 0, or -1
 * when s is not that.
 */
int	 util_unhex(const char *s, uint8_t *out, size_t n);

/*
 * Format one error line into err (errlen bytes, cut to fit); nothing if
 * err is NULL or errlen is 0, so callers pass on what they were given.
 */
void	 util_seterr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * The per-user runtime directory of btd: $XDG_RUNTIME_DIR/btd, else
 * /run/btd for root; -1 (ENOENT) for a user without XDG_RUNTIME_DIR.
 * A btd serving a state dir other than the default leaves a pointer
 * there, a symlink to its ctl socket, so that btctl without -s finds it.
 */
int	 util_runtime_dir(char *buf, size_t len);
/* The pointer of the ctl socket sock: <runtime dir>/<hash>.sock. */
int	 util_pointer_path(const char *sock, char *buf, size_t len);

/*
 * The candidate nearest to word by edit distance, if it is close enough
 * to be what was meant (at most a third of word's length away), else
 * NULL, and always NULL for a word under 4 bytes; NULL entries are
 * skipped.  For "did you mean" hints.
 */
const char *util_nearest(const char *word, const char *const *cands,
	    size_t n);

/* Role names: index by the proto's Role value (1-4); NULL if invalid. */
const char *util_role_name(int role);
int	 util_role_by_name(const char *name);	/* 0 if unknown */

#endif
