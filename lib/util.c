/*
 * util.c -- paths, clocks, error lines and role names used by several
 * binaries.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static const char *const role_names[] = {
	NULL, "trackerd", "peerd", "stored", "metad", "rpcd"
};

const char *
util_role_name(int role)
{
	if (role < 1 || role > 5)
		return NULL;
	return role_names[role];
}

int
util_role_by_name(const char *name)
{
	int i;

	for (i = 1; i <= 5; i++)
		if (strcmp(name, role_names[i]) == 0)
			return i;
	return 0;
}

int
util_default_state_dir(char *buf, size_t len)
{
	const char	*x, *home;
	int		 n;

	if (geteuid() == 0)
		n = snprintf(buf, len, "/var/lib/btd");
	else if ((x = getenv("XDG_STATE_HOME")) != NULL && x[0] == '/')
		n = snprintf(buf, len, "%s/btd", x);
	else if ((home = getenv("HOME")) != NULL && home[0] == '/')
		n = snprintf(buf, len, "%s/.local/state/btd", home);
	else {
		errno = ENOENT;
		return -1;
	}
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
util_default_socket(char *buf, size_t len)
{
	char	dir[4096];
	int	n;

	if (util_default_state_dir(dir, sizeof(dir)) == -1)
		return -1;
	n = snprintf(buf, len, "%s/%s", dir, BTD_SOCK_NAME);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
util_mkdirs(const char *path, unsigned mode)
{
	char	 tmp[4096], *p;
	size_t	 n = strlen(path);

	if (n == 0 || n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

uint64_t
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
util_backoff_ms(int attempt, uint64_t first_ms, uint64_t cap_ms)
{
	uint64_t d;

	if (attempt <= 0)
		d = first_ms;
	else if (attempt > 32)
		d = cap_ms;
	else
		d = 1000ULL << (attempt - 1);
	return d < cap_ms ? d : cap_ms;
}

void
util_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
util_runtime_dir(char *buf, size_t len)
{
	const char	*x = getenv("XDG_RUNTIME_DIR");
	int		 n;

	if (x != NULL && x[0] == '/')
		n = snprintf(buf, len, "%s/btd", x);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "/run/btd");
	else {
		errno = ENOENT;
		return -1;
	}
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
util_pointer_path(const char *sock, char *buf, size_t len)
{
	char		 dir[4096];
	uint64_t	 h = 0xcbf29ce484222325ULL;	/* FNV-1a 64 */
	const char	*p;
	int		 n;

	if (util_runtime_dir(dir, sizeof(dir)) == -1)
		return -1;
	for (p = sock; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ULL;
	}
	n = snprintf(buf, len, "%s/%016llx.sock", dir, (unsigned long long)h);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Levenshtein distance of a and b, both shorter than 64 bytes. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b), i, j, prev, cur, t;
	size_t	 row[64];

	if (la >= 64 || lb >= 64)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			t = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < t)
				t = row[j] + 1;
			if (row[j - 1] + 1 < t)
				t = row[j - 1] + 1;
			row[j] = t;
			prev = cur;
		}
	}
	return row[lb];
}

const char *
util_nearest(const char *word, const char *const *cands, size_t n)
{
	const char	*best = NULL;
	size_t		 i, d, bestd = (size_t)-1, limit;

	/* Too short to tell a typo from another option ("-x"). */
	if (strlen(word) < 4)
		return NULL;
	/* A third of the word, at least 1, at most 3 edits away. */
	limit = strlen(word) / 3;
	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	for (i = 0; i < n; i++) {
		if (cands[i] == NULL)
			continue;
		d = edit_distance(word, cands[i]);
		if (d <= limit && d < bestd) {
			best = cands[i];
			bestd = d;
		}
	}
	return best;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
util_unhex(const char *s, uint8_t *out, size_t n)
{
	size_t	 i;
	int	 hi, lo;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((hi = hexval(s[2 * i])) == -1 ||
		    (lo = hexval(s[2 * i + 1])) == -1)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void
util_malloc_tune(void)
{
	/*
	 * Setting either stops glibc's dynamic raising of both.  The top of
	 * the heap is not given back at every free (a start that grows the
	 * heap would give pages back and fault them in again): the caller
	 * trims when a burst is over (util_malloc_trim_if()).
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	(void)mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
}

#define BIGMEM_HUGE	((size_t)2 << 20)	/* a huge page on x86-64 */

void *
util_bigmem(size_t *len)
{
	size_t	 n, map, head;
	char	*m, *p;

	if (*len > SIZE_MAX / 2)
		return NULL;
	n = (*len + BIGMEM_HUGE - 1) & ~(BIGMEM_HUGE - 1);
	if (n == 0)
		n = BIGMEM_HUGE;
	/* Aligned to a huge page: map one more and cut the ends off. */
	map = n + BIGMEM_HUGE;
	m = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)m + BIGMEM_HUGE - 1) & ~(BIGMEM_HUGE - 1));
	head = (size_t)(p - m);
	if (head > 0)
		(void)munmap(m, head);
	if (map - head - n > 0)
		(void)munmap(p + n, map - head - n);
	(void)madvise(p, n, MADV_HUGEPAGE);	/* a hint: may fail */
#ifdef MADV_POPULATE_WRITE
	(void)madvise(p, n, MADV_POPULATE_WRITE); /* Linux 5.14; a hint too */
#endif
	*len = n;
	return p;
}

void
util_bigmem_free(void *p, size_t len)
{
	if (p != NULL)
		(void)munmap(p, len);
}

void
util_malloc_trim_if(size_t min_free)
{
	struct mallinfo2	 mi = mallinfo2();

	if (mi.fordblks > min_free)
		(void)malloc_trim(0);
}
