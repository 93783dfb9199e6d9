/*
 * util.c -- paths, clocks, error lines and role names used by several
 * binaries.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
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
