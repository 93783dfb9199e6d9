/*
 * log.c -- the one logger of every btd process.
 *
 * Lines go to stderr as "NAME: message"; with a time stamp when stderr is
 * not a terminal (the log file), bare on a terminal.  Levels: warnings
 * and info always, debug with -v, trace (every internal message) with
 * -vv.  fatal() and fatalx() log and exit 1; they are for start-up
 * failures and broken invariants only, never for outside input.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char	*log_name = "btd";
static int		 log_verbose;
static int		 log_stamp;

/* A role's stderr is btd's pipe: btd adds the time stamp. */
static int
log_is_pipe(void)
{
	struct stat	 sb;

	return fstat(STDERR_FILENO, &sb) == 0 && S_ISFIFO(sb.st_mode);
}

void
log_init(const char *name, int verbose)
{
	log_name = name;
	log_verbose = verbose;
	log_stamp = !isatty(STDERR_FILENO) && !log_is_pipe();
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

static void
log_stamp_now(char *stamp, size_t size)
{
	struct timespec	 ts;
	struct tm	 tm;

	stamp[0] = '\0';
	if (!log_stamp)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(stamp, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

void
log_role(const char *role, const char *fmt, ...)
{
	char		 msg[8192], stamp[64];
	va_list		 ap;
	int		 saved = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_stamp_now(stamp, sizeof(stamp));
	dprintf(STDERR_FILENO, "%s%s: %s\n", stamp, role, msg);
	errno = saved;
}

static void vlog(const char *, const char *, va_list, const char *)
    __attribute__((format(printf, 2, 0)));

static void
vlog(const char *level, const char *fmt, va_list ap, const char *err)
{
	char		 msg[2048], stamp[64] = "";
	struct timespec	 ts;
	struct tm	 tm;
	int		 saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_stamp) {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	}
	if (err != NULL)
		dprintf(STDERR_FILENO, "%s%s[%d]: %s%s: %s\n", stamp, log_name,
		    (int)getpid(), level, msg, err);
	else
		dprintf(STDERR_FILENO, "%s%s[%d]: %s%s\n", stamp, log_name,
		    (int)getpid(), level, msg);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[256];
	/* GNU strerror_r: the text may be a static string, not buf. */
	const char *err = strerror_r(errno, buf, sizeof(buf));

	va_start(ap, fmt);
	vlog("", fmt, ap, err);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog("", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog("", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap, NULL);
	va_end(ap);
}

void
log_trace(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	vlog("trace: ", fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[256];
	const char *err = strerror_r(errno, buf, sizeof(buf));

	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap, err);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

char *
log_escape(char *dst, size_t dstsz, const void *src, size_t len)
{
	const unsigned char	*s = src;
	size_t			 i, o = 0;

	if (dstsz == 0)
		return dst;
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
			if (o + 1 >= dstsz)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dstsz)
				break;
			snprintf(dst + o, 5, "\\x%02x", c);
			o += 4;
		}
	}
	dst[o] = '\0';
	return dst;
}
