/*
 * log.h -- logging for every btd process.
 *
 * One line per message on stderr, prefixed with the process name.  A
 * role's stderr is a pipe that btd reads and copies, escaped and
 * prefixed with the role's name, into its own log (the terminal with
 * -f, else <state-dir>/btd.log): no role holds the log file, and no
 * role needs a syslog socket.
 */
#ifndef BTD_LOG_H
#define BTD_LOG_H

#include <stdarg.h>
#include <stddef.h>

void	log_init(const char *name, int verbose);
void	log_setverbose(int verbose);
int	log_getverbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_trace(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * btd: one line of a role's log, as "ROLE: MESSAGE" (with the time stamp
 * of btd's log); the caller has escaped what came from the role.
 */
void	log_role(const char *role, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Copy src (len bytes of outside text) into dst as printable ASCII:
 * control bytes, backslash, quotes and bytes >= 0x7f become \xNN.
 * Always NUL-terminates; returns dst.
 */
char	*log_escape(char *dst, size_t dstsz, const void *src, size_t len);

#endif
