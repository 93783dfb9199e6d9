/*
 * util.c -- paths, clocks and role names used by several binaries.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static const char *const role_names[] = {
	NULL, "trackerd", "peerd", "stored", "metad"
};

const char *
util_role_name(int role)
{
	if (role < 1 || role > 4)
		return NULL;
	return role_names[role];
}

int
util_role_by_name(const char *name)
{
	int i;

	for (i = 1; i <= 4; i++)
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

/* Strict UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. */
int
util_utf8_valid(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned		 c, n, i, min;

	while (*p) {
		c = *p++;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			c &= 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			c &= 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			c &= 0x07;
			min = 0x10000;
		} else
			return 0;
		for (i = 0; i < n; i++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (*p++ & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
	}
	return 1;
}
