/*
 * btd.c -- the supervisor: start-up, the state directory, signals.
 *
 * Start-up is all or nothing: the configuration, the state directory
 * (locked, so one btd per state dir), state.db and the ctl socket are
 * checked and set up before anything is started, and any failure is one
 * line on stderr and exit status 1.  Without -f, btd detaches only after
 * that, so the command that started it still sees the error; from then
 * on it logs to <state-dir>/btd.log.  The roles log through pipes that
 * btd copies into its log (btd_proc.c); none holds the log file.  btd
 * and every role run in "/".
 *
 * btd never touches the network and never parses outside bytes: the
 * roles do, confined (btd_proc.c).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "btd.h"
#include "log.h"
#include "util.h"

static char			 state_dir[PATH_MAX];
static uint64_t			 started_ms;
static struct event_base	*base;
static struct event		*shutdown_ev;
static int			 ready_fd = -1;	/* to the waiting parent */
static const char		*shutdown_why;
static char			 pointer[PATH_MAX];	/* util_pointer_path() */
static struct event		*ready_timer;
#define BTD_READY_WAIT	10	/* seconds the detaching parent waits */
static const struct timeval	 ready_wait = { BTD_READY_WAIT, 0 };
static const struct timeval	 now = { 0, 0 };
static const struct timeval	 trim_every = { 2, 0 };	/* trim_tick() */
static struct event		*trim_ev;

static const char usage_line[] = "usage: btd [-fv] [-c file] "
    "[-S state-dir] [-p peer-port] [-D download-dir]\n"
    "       btd --version | --help\n";

static void	startup_fail(const char *, ...)
		    __attribute__((noreturn, format(printf, 1, 2)));

static void __attribute__((noreturn))
usage(void)
{
	fputs(usage_line, stderr);
	exit(2);
}

static void __attribute__((noreturn))
help(void)
{
	printf("%s\n", usage_line);
	printf("  -f              stay in the foreground, log to stderr\n"
	    "  -v              log at debug level; -vv: trace\n"
	    "  -c file         btd.conf, the configuration (default "
	    "/etc/btd/btd.conf as root,\n"
	    "                  else ~/.config/btd/btd.conf)\n"
	    "  -S state-dir    state.db, btd.sock, btd.log (default "
	    "/var/lib/btd as root,\n"
	    "                  else ~/.local/state/btd)\n"
	    "  -p peer-port    the TCP port peerd listens on\n"
	    "  -D download-dir where new torrents are saved\n"
	    "  --version       print the version and exit\n"
	    "  --help          this help\n"
	    "\nbtctl(8) drives a running btd; see btd(8), btd.conf(5).\n");
	exit(0);
}

/*
 * A path from the command line made absolute against the current
 * directory, with "." and ".." resolved by name, as btctl add -d does:
 * btd.conf and btctl set take absolute paths only, and a relative one
 * would change meaning once btd runs elsewhere.
 */
static void
abs_path(const char *flag, const char *in, char *out, size_t len)
{
	char	 cwd[PATH_MAX], joined[2 * PATH_MAX], *tok, *save, *p;
	size_t	 n;

	if (in[0] == '\0')
		startup_fail("%s: an empty path", flag);
	if (in[0] == '/')
		snprintf(joined, sizeof(joined), "%s", in);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		startup_fail("%s %s: %s", flag, in, strerror(errno));
	else
		snprintf(joined, sizeof(joined), "%s/%s", cwd, in);
	out[0] = '\0';
	for (tok = strtok_r(joined, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			if ((p = strrchr(out, '/')) != NULL)
				*p = '\0';
			continue;
		}
		n = strlen(out);
		if (n + 1 + strlen(tok) + 1 > len)
			startup_fail("%s %s: path too long", flag, in);
		out[n] = '/';
		strcpy(out + n + 1, tok);
	}
	if (out[0] == '\0')
		snprintf(out, len, "/");
}

/*
 * A btd on a state dir other than the default leaves a pointer to its
 * socket in the runtime dir (util_pointer_path()), so that btctl finds
 * it without -s when it is the only one.  Best effort: without it btctl
 * says how to name the socket.  Pointers whose socket is gone are
 * pruned; one of a btd that was killed stays until its socket is
 * reused or the runtime dir is cleared at boot, and btctl skips it
 * since nobody answers there.
 */
static void
pointer_create(const char *sock)
{
	char		 dflt[PATH_MAX], dir[PATH_MAX], p[PATH_MAX + 300];
	char		 target[PATH_MAX];
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	size_t		 n;

	if (util_default_socket(dflt, sizeof(dflt)) == 0 &&
	    strcmp(dflt, sock) == 0)
		return;
	if (util_runtime_dir(dir, sizeof(dir)) == -1 ||
	    util_pointer_path(sock, pointer, sizeof(pointer)) == -1) {
		pointer[0] = '\0';
		return;
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_debug("pointer: %s: %s", dir, strerror(errno));
		pointer[0] = '\0';
		return;
	}
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			n = strlen(de->d_name);
			if (n < 6 || strcmp(de->d_name + n - 5, ".sock") != 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			if (lstat(p, &sb) == 0 && S_ISLNK(sb.st_mode) &&
			    sb.st_uid == geteuid() &&
			    readlink(p, target, sizeof(target)) > 0 &&
			    stat(p, &sb) == -1 && errno == ENOENT)
				(void)unlink(p);
		}
		closedir(d);
	}
	(void)unlink(pointer);
	if (symlink(sock, pointer) == -1) {
		log_debug("pointer: %s: %s", pointer, strerror(errno));
		pointer[0] = '\0';
	}
}

static void
pointer_remove(void)
{
	if (pointer[0] != '\0')
		(void)unlink(pointer);
}

/* A start-up failure: say it where the administrator looks, exit 1. */
static void
startup_fail(const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ready_fd != -1)
		(void)write(ready_fd, msg, strlen(msg));
	else
		fprintf(stderr, "btd: %s\n", msg);
	exit(1);
}

/* Every role has started or failed: the detaching parent may exit 0. */
void
btd_roles_settled(void)
{
	if (ready_fd == -1)
		return;
	close(ready_fd);
	ready_fd = -1;
	if (ready_timer != NULL)
		evtimer_del(ready_timer);
}

static void
ready_timeout(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	log_warnx("roles not all running after %d s; detaching anyway",
	    BTD_READY_WAIT);
	btd_roles_settled();
}

const char *
btd_state_dir(void)
{
	return state_dir;
}

uint64_t
btd_uptime(void)
{
	return (util_now_ms() - started_ms) / 1000;
}

static void
do_shutdown(evutil_socket_t fd, short ev, void *arg)
{
	static int	 once;

	(void)fd;
	(void)ev;
	if (once++)
		return;
	(void)arg;
	log_info("shutting down: %s", shutdown_why);
	ctl_close();
	/* Trackers hear event=stopped first (bounded), then the roles go. */
	torrent_stop_all(proc_stop_all);
}

void
btd_shutdown(const char *why)
{
	/* From the loop, not from inside a ctl or channel callback. */
	if (shutdown_why == NULL)
		shutdown_why = why;
	event_active(shutdown_ev, 0, 0);
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	(void)ev;
	(void)arg;
	switch (sig) {
	case SIGCHLD:
		proc_sigchld();
		break;
	case SIGTERM:
		btd_shutdown("SIGTERM");
		break;
	case SIGINT:
		btd_shutdown("SIGINT");
		break;
	case SIGHUP:
		log_info("SIGHUP ignored: use btctl set, or restart btd to "
		    "read btd.conf again");
		break;
	}
}

static void
default_conf_path(char *buf, size_t len)
{
	const char *x, *home;

	if (geteuid() == 0)
		snprintf(buf, len, "/etc/btd/btd.conf");
	else if ((x = getenv("XDG_CONFIG_HOME")) != NULL && x[0] == '/')
		snprintf(buf, len, "%s/btd/btd.conf", x);
	else if ((home = getenv("HOME")) != NULL)
		snprintf(buf, len, "%s/.config/btd/btd.conf", home);
	else
		buf[0] = '\0';
}

/* Take the state dir's lock, or say who holds it. */
static int
lock_state_dir(void)
{
	char	path[PATH_MAX + 16], pid[32] = "";
	int	fd;
	ssize_t	n;

	snprintf(path, sizeof(path), "%s/btd.lock", state_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		startup_fail("%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			n = read(fd, pid, sizeof(pid) - 1);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			startup_fail("another btd is running on %s%s%s%s",
			    state_dir, pid[0] ? " (pid " : "", pid,
			    pid[0] ? ")" : "");
		}
		startup_fail("%s: %s", path, strerror(errno));
	}
	return fd;
}

static void
write_pid(int fd)
{
	char	buf[32];
	int	n;

	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n)
		log_warn("btd.lock: pid");
}

/*
 * Every trim_every, a heap with more than BTD_TRIM_FREE free (after
 * state.db was read, the roles fed, a long list sent) gives its free
 * pages back; not while the roles are being fed.
 */
#define BTD_TRIM_FREE		(1024 * 1024)

static void
trim_tick(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (!xfer_feeding())
		util_malloc_trim_if(BTD_TRIM_FREE);
}

static void
start_roles(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (shutdown_why == NULL)	/* a stop asked on the first turn */
		proc_start_all();
}

static void
replay_setting(const char *key, const char *value, void *arg)
{
	char err[256];

	if (conf_set_runtime(arg, key, value, err, sizeof(err)) == -1)
		log_warnx("state.db setting ignored: %s", err);
}

/*
 * Detach: the parent waits for the child to say "ready" (EOF on the
 * pipe with nothing written) or why it failed, and exits accordingly.
 */
static void
daemonize(void)
{
	char	msg[1024];
	int	p[2];
	ssize_t	n;
	pid_t	pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		startup_fail("pipe: %s", strerror(errno));
	switch ((pid = fork())) {
	case -1:
		startup_fail("fork: %s", strerror(errno));
	case 0:
		close(p[0]);
		ready_fd = p[1];
		if (setsid() == -1)
			startup_fail("setsid: %s", strerror(errno));
		return;
	default:
		close(p[1]);
		do {
			n = read(p[0], msg, sizeof(msg) - 1);
		} while (n == -1 && errno == EINTR);
		if (n > 0) {
			msg[n] = '\0';
			fprintf(stderr, "btd: %s\n", msg);
			exit(1);
		}
		exit(0);
	}
}

int
main(int argc, char *argv[])
{
	struct conf	*cf;
	struct state	*st;
	struct event	*sigs[5];
	struct stat	 sb;
	char		 conf_path[PATH_MAX], path[PATH_MAX + 32], err[512];
	const char	*conf_arg = NULL, *sdir = NULL, *port = NULL;
	const char	*ddir = NULL;
	int		 ch, foreground = 0, verbose = 0, lockfd, was_unclean;
	int		 logfd, i;
	const int	 signos[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
	static const struct option longopts[] = {
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL,		0,		NULL, 0 },
	};
	static const char *const optnames[] = { "-c", "-D", "-f", "-p",
	    "-S", "-v", "--help", "--version" };
	const char	*near;
	char		 ddir_abs[PATH_MAX];

	started_ms = util_now_ms();
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:D:fhp:S:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			help();
		case 'V':
			printf("btd %s\n", BTD_VERSION);
			exit(0);
		case ':':
			fprintf(stderr, "btd: option %s needs a value\n",
			    argv[optind - 1]);
			usage();
		case '?': {
			char		 bad[64];
			const char	*a = argv[optind - 1];

			/* "-x" in a cluster, or the whole "--word". */
			if (optopt != 0)
				snprintf(bad, sizeof(bad), "-%c", optopt);
			else
				log_escape(bad, sizeof(bad), a, strlen(a));
			near = util_nearest(bad, optnames,
			    sizeof(optnames) / sizeof(optnames[0]));
			fprintf(stderr, "btd: unknown option %s%s%s%s\n", bad,
			    near != NULL ? " (did you mean " : "",
			    near != NULL ? near : "", near != NULL ? "?)" : "");
			usage();
		}
		case 'c':
			conf_arg = optarg;
			break;
		case 'D':
			ddir = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'p':
			port = optarg;
			break;
		case 'S':
			sdir = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc) {
		fprintf(stderr, "btd: unexpected argument '%s'\n",
		    argv[optind]);
		usage();
	}
	log_init("btd", verbose);
	util_malloc_tune();
	signal(SIGPIPE, SIG_IGN);

	/* -S and -D alike: relative to where btd was started. */
	if (sdir != NULL)
		abs_path("-S", sdir, state_dir, sizeof(state_dir));
	else if (util_default_state_dir(state_dir, sizeof(state_dir)) == -1)
		startup_fail("no state directory: give -S (HOME is not set)");

	/* The configuration first: nothing is touched if it is wrong. */
	cf = conf_new(state_dir);
	if (cf == NULL)
		startup_fail("out of memory");
	if (conf_arg != NULL)
		snprintf(conf_path, sizeof(conf_path), "%s", conf_arg);
	else
		default_conf_path(conf_path, sizeof(conf_path));
	if (conf_path[0] != '\0' &&
	    conf_load(cf, conf_path, conf_arg != NULL, err, sizeof(err)) == -1)
		startup_fail("%s", err);
	if (port != NULL &&
	    conf_set_flag(cf, "peer_port", port, err, sizeof(err)) == -1)
		startup_fail("-p: %s", err);
	if (ddir != NULL)
		abs_path("-D", ddir, ddir_abs, sizeof(ddir_abs));
	if (ddir != NULL &&
	    conf_set_flag(cf, "download_dir", ddir_abs, err, sizeof(err)) == -1)
		startup_fail("-D: %s", err);
	if (verbose > 0 && conf_set_flag(cf, "log_level",
	    verbose > 1 ? "trace" : "debug", err, sizeof(err)) == -1)
		startup_fail("-v: %s", err);
	{
		uid_t	u;
		gid_t	g;

		/* As root: the account that will own the downloads. */
		if (owner_resolve(cf, &u, &g, err, sizeof(err)) == -1)
			startup_fail("%s", err);
	}

	/*
	 * The state directory: ours alone.  As root the roles run under
	 * their own uids: they may pass through it (0711, not list it) to
	 * reach a download dir inside; everything in it is mode 0600.
	 */
	if (util_mkdirs(state_dir, 0755) == -1 ||
	    chmod(state_dir, geteuid() == 0 ? 0711 : 0700) == -1)
		startup_fail("state dir %s: %s", state_dir, strerror(errno));
	if (stat(state_dir, &sb) == -1 || !S_ISDIR(sb.st_mode))
		startup_fail("state dir %s: not a directory", state_dir);
	if (access(state_dir, W_OK | X_OK) == -1)
		startup_fail("state dir %s: %s", state_dir, strerror(errno));
	/* Every path from here on is absolute; hold no directory busy. */
	if (chdir("/") == -1)
		startup_fail("chdir /: %s", strerror(errno));


	if (!foreground)
		daemonize();
	lockfd = lock_state_dir();
	write_pid(lockfd);

	snprintf(path, sizeof(path), "%s/state.db", state_dir);
	if ((st = state_open(path, err, sizeof(err))) == NULL)
		startup_fail("%s", err);
	if (state_setting_foreach(st, replay_setting, cf) == -1)
		startup_fail("state.db: cannot read settings");
	log_setverbose(strcmp(conf_get(cf, "log_level"), "trace") == 0 ? 2 :
	    strcmp(conf_get(cf, "log_level"), "debug") == 0 ? 1 : 0);
	if (state_mark_running(st, &was_unclean) == -1)
		startup_fail("state.db: cannot record the start");

	if ((base = event_base_new()) == NULL)
		startup_fail("event_base_new failed");
	shutdown_ev = event_new(base, -1, 0, do_shutdown, NULL);
	for (i = 0; i < 4; i++) {
		sigs[i] = evsignal_new(base, signos[i], on_signal, NULL);
		if (sigs[i] == NULL || evsignal_add(sigs[i], NULL) == -1)
			startup_fail("signal setup failed");
	}
	snprintf(path, sizeof(path), "%s/%s", state_dir, BTD_SOCK_NAME);
	if (ctl_init(base, cf, st, path, err, sizeof(err)) == -1)
		startup_fail("%s", err);

	if (!foreground) {
		snprintf(path, sizeof(path), "%s/btd.log", state_dir);
		logfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0600);
		if (logfd == -1)
			startup_fail("%s: %s", path, strerror(errno));
		if (dup2(logfd, STDOUT_FILENO) == -1 ||
		    dup2(logfd, STDERR_FILENO) == -1)
			startup_fail("log: %s", strerror(errno));
		close(logfd);
		if ((i = open("/dev/null", O_RDONLY)) != -1) {
			dup2(i, STDIN_FILENO);
			close(i);
		}
		log_init("btd", log_getverbose());
		/*
		 * The waiting parent exits 0 once every role runs (or could
		 * not be started: btctl status says why), so that a btctl
		 * right after `btd` finds metad there; at most
		 * BTD_READY_WAIT seconds.
		 */
		ready_timer = evtimer_new(base, ready_timeout, NULL);
		if (ready_timer == NULL ||
		    evtimer_add(ready_timer, &ready_wait) == -1)
			btd_roles_settled();
	}
	snprintf(path, sizeof(path), "%s/%s", state_dir, BTD_SOCK_NAME);
	pointer_create(path);
	log_info("btd %s started, pid %d, state %s%s", BTD_VERSION,
	    (int)getpid(), state_dir,
	    was_unclean ? " (the previous run did not stop cleanly)" : "");

	limits_init(st);
	known_init(st);
	wants_init(st);
	torrent_init(base, cf, st);
	seed_init(base, cf, st);
	if (was_unclean)
		xfer_recheck_all();
	if (rpc_password_init(cf, st, state_dir, err, sizeof(err)) == -1)
		startup_fail("%s", err);
	proc_init(base, cf, st);
	/*
	 * The roles start on the first turn of the loop, after a btctl
	 * that connected while state.db was read has been heard: what it
	 * asks is answered from btd's own memory.
	 */
	if (event_base_once(base, -1, EV_TIMEOUT, start_roles, NULL,
	    &now) == -1)
		proc_start_all();
	if ((trim_ev = event_new(base, -1, EV_PERSIST, trim_tick,
	    NULL)) == NULL || event_add(trim_ev, &trim_every) == -1)
		log_warnx("no timer to trim the heap");
	event_base_dispatch(base);

	xfer_shutdown();	/* the last second of progress */
	seed_shutdown();	/* and of the time counted */
	btd_roles_settled();
	if (ready_timer != NULL)
		event_free(ready_timer);
	if (trim_ev != NULL)
		event_free(trim_ev);
	pointer_remove();
	state_mark_clean(st);
	state_close(st);
	for (i = 0; i < 4; i++)
		event_free(sigs[i]);
	event_free(shutdown_ev);
	event_base_free(base);
	conf_free(cf);
	log_info("stopped");
	close(lockfd);
	return 0;
}
