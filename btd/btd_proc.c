/*
 * btd_proc.c -- the roles: spawn, confine, handshake, wire, restart.
 *
 * Each role is started by fork and exec of its configured executable,
 * confined in the child before exec (sandbox_exec), with the btd channel
 * on fd 3.  A role is "running" once its Hello was accepted; btd then
 * answers Hello, sends Config, and wires it to every running peer: one
 * fresh socketpair per pair, each end sent to its role in a
 * ChannelAttach.  The block path peerd <-> stored thus never passes
 * through btd.
 *
 * Takes from roles: Hello, Pong, LinkState.  Sends: Hello, Config,
 * ChannelAttach.  Anything else from a role, a frame that does not
 * decode, or no Hello within ROLE_HELLO_TIMEOUT is a protocol violation:
 * the role is killed with SIGKILL and restarted like any dead role.
 *
 * Restart policy: the first restart after a healthy run is quick, then
 * the delay doubles up to restart_backoff_max; a run that lasted
 * ROLE_HEALTHY_MS resets it.  A role whose confinement cannot be applied
 * is not started at all (fail closed) and stays "failed" until
 * `btctl restart`.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common.pb-c.h"
#include "metad.pb-c.h"
#include "arena.h"
#include "peerd.pb-c.h"
#include "rpcd.pb-c.h"
#include "stored.pb-c.h"
#include "trackerd.pb-c.h"

#include "btd.h"
#include "chan.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "role.h"
#include "util.h"

/* Tunables. */
#define ROLE_HELLO_TIMEOUT	10	/* seconds for a new role's Hello */
#define ROLE_HEALTHY_MS		60000	/* a run this long resets the backoff */
#define ROLE_FIRST_DELAY_MS	200	/* the first restart after a good run */
#define ROLE_STOP_GRACE		2	/* seconds between closing and SIGKILL */
/*
 * A role's stdout and stderr are a pipe that btd reads: each line goes
 * to btd's log as "ROLE: LINE", escaped.  A line is cut at
 * ROLE_LOG_LINE_MAX bytes; a role may log ROLE_LOG_RATE lines a second
 * after a burst of ROLE_LOG_BURST, and what is over is dropped and
 * counted; one read takes at most ROLE_LOG_READ bytes, so that a noisy
 * role cannot hold the event loop.
 */
#define ROLE_LOG_LINE_MAX	1024
#define ROLE_LOG_RATE		200
#define ROLE_LOG_BURST		2000
#define ROLE_LOG_READ		65536
#define ROLE_LOG_NOTE_MS	1000	/* between two "lines dropped" */

/* Body numbers shared by every btd <-> role envelope. */

static struct event_base	*base;
static struct conf		*cf;
static struct state		*st;
static struct proc		 procs[ROLE_COUNT + 1];	/* by role, 1-5 */
static int			 stopping;
static char			 peer_id_hex[41];	/* this run's peer id */
static struct event		*stop_timer;
/*
 * Why a role is being restarted in order ("btctl restart", "peer_port
 * changed"), NULL otherwise: its channel is closed, which is a role's
 * stop order, and SIGKILL follows only after ROLE_STOP_GRACE.  Its
 * LAST-EXIT then says so, never "protocol violation".
 */
static const char		*restart_why[ROLE_COUNT + 1];

/* The log pipe of a role's current (or last) run. */
struct role_log {
	int		 fd;		/* read end; -1 if none */
	struct event	*ev;
	char		 line[ROLE_LOG_LINE_MAX + 1];
	size_t		 len;		/* bytes in line */
	int		 cut;		/* skipping to the next '\n' */
	uint64_t	 refill_ms;	/* when tokens were last added */
	uint64_t	 tokens;	/* lines it may log now */
	uint64_t	 dropped;	/* lines over the rate */
	uint64_t	 noted_ms;	/* the last "lines dropped" */
};
static struct role_log		 logs[ROLE_COUNT + 1];

/* The pairs of roles that talk directly. */
static const int pairs[][2] = {
	{ BTD__ROLE__PEERD, BTD__ROLE__STORED },
	{ BTD__ROLE__PEERD, BTD__ROLE__TRACKERD },
	{ BTD__ROLE__PEERD, BTD__ROLE__METAD },
};

static const ProtobufCMessageDescriptor *const envs[ROLE_COUNT + 1] = {
	NULL,
	&btd__trackerd_msg__descriptor,
	&btd__peerd_msg__descriptor,
	&btd__stored_msg__descriptor,
	&btd__metad_msg__descriptor,
	&btd__rpcd_msg__descriptor,
};

static void	proc_spawn(struct proc *);
static void	stop_check(void);
static void	proc_read(struct chan *, const uint8_t *, size_t,
		    const char *, void *);

const char *
proc_state_name(enum proc_state s)
{
	switch (s) {
	case PROC_STARTING:
		return "starting";
	case PROC_RUNNING:
		return "running";
	case PROC_BACKOFF:
		return "backoff";
	case PROC_FAILED:
		return "failed";
	case PROC_STOPPED:
		return "stopped";
	case PROC_STOPPING:
		return "stopping";
	case PROC_OFF:
		return "off";
	}
	return "?";
}

struct chan *
proc_chan(int role)
{
	/* Stopping: nothing more is sent to a role (stored still talks). */
	if (role < 1 || role > ROLE_COUNT ||
	    procs[role].state != PROC_RUNNING || stopping)
		return NULL;
	return procs[role].chan;
}

const struct proc *
proc_get(int role)
{
	if (role < 1 || role > ROLE_COUNT)
		return NULL;
	return &procs[role];
}

void
proc_init(struct event_base *b, struct conf *c, struct state *s)
{
	int i;

	base = b;
	cf = c;
	st = s;
	/* Azureus style: "-BT0100-" and 12 random bytes, new every run. */
	{
		uint8_t id[20];

		memcpy(id, "-BT0100-", 8);
		arc4random_buf(id + 8, 12);
		for (i = 0; i < 20; i++)
			snprintf(peer_id_hex + 2 * i, 3, "%02x", id[i]);
	}
	for (i = 1; i <= ROLE_COUNT; i++) {
		procs[i].role = i;
		procs[i].name = util_role_name(i);
		procs[i].state = PROC_STOPPED;
		logs[i].fd = -1;
		logs[i].tokens = ROLE_LOG_BURST;
		msg_env_check(envs[i]);
	}
}

/*
 * The executable of a role: the btd.conf setting, else the one installed
 * beside this btd (<dir of btd>/../libexec/btd/ROLE, which also finds the
 * build tree), else the compiled-in libexec directory.
 */
static void
proc_exec_path(struct proc *p)
{
	char		 key[32], self[PATH_MAX], *slash;
	const char	*v;
	ssize_t		 n;

	snprintf(key, sizeof(key), "%s_exec", p->name);
	if ((v = conf_get(cf, key)) != NULL && v[0] != '\0') {
		snprintf(p->exec, sizeof(p->exec), "%s", v);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			if (snprintf(p->exec, sizeof(p->exec),
			    "%s/../libexec/btd/%s", self, p->name) <
			    (int)sizeof(p->exec) && realpath(p->exec, self) != NULL &&
			    access(self, X_OK) == 0) {
				snprintf(p->exec, sizeof(p->exec), "%s", self);
				return;
			}
		}
	}
	snprintf(p->exec, sizeof(p->exec), "%s/%s", BTD_LIBEXECDIR, p->name);
}

/*
 * What stored's descriptors SANDBOX_ROOT_FD + i are: the roots of its
 * policy, told in Config ("download_roots"), since they are opened in
 * the child and stored cannot name them itself.
 */
static void
proc_roots(struct proc *p, const struct sandbox_policy *pol)
{
	size_t	 len = 1, off = 0, n;
	int	 i;

	free(p->roots);
	for (i = 0; i < pol->nrw_dirs; i++)
		len += strlen(pol->rw_dirs[i]) + 1;
	if ((p->roots = calloc(1, len)) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < pol->nrw_dirs; i++) {
		if (i > 0)
			p->roots[off++] = '\n';
		n = strlen(pol->rw_dirs[i]);
		memcpy(p->roots + off, pol->rw_dirs[i], n);
		off += n;
	}
}

/*
 * rpcd's web dir: rpc_web_dir when it names a directory, else NULL (the
 * web interface answers 404; the RPC runs all the same).
 */
static const char *
proc_web_dir(void)
{
	const char	*dir = conf_get(cf, "rpc_web_dir");
	struct stat	 sb;

	if (*dir == '\0')
		return NULL;
	if (stat(dir, &sb) == -1) {
		log_warnx("rpcd: rpc_web_dir %s: %s; no web interface", dir,
		    strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(sb.st_mode)) {
		log_warnx("rpcd: rpc_web_dir %s: not a directory; no web "
		    "interface", dir);
		return NULL;
	}
	return dir;
}

static void
proc_policy(struct proc *p, struct sandbox_policy *pol)
{
	long long base_uid = conf_get_int(cf, "role_uid_base");

	memset(pol, 0, sizeof(*pol));
	pol->exec = p->exec;
	switch (p->role) {
	case BTD__ROLE__TRACKERD:
		pol->kind = SANDBOX_TRACKERD;
		break;
	case BTD__ROLE__PEERD:
		pol->kind = SANDBOX_PEERD;
		pol->bind_port = (uint16_t)conf_get_int(cf, "peer_port");
		break;
	case BTD__ROLE__RPCD:
		/*
		 * No bind_port: btd binds rpc_bind (proc_listen()) and rpcd
		 * may bind nothing at all.
		 */
		pol->kind = SANDBOX_RPCD;
		pol->ro_dir = proc_web_dir();
		break;
	case BTD__ROLE__STORED:
		pol->kind = SANDBOX_STORED;
		pol->nrw_dirs = torrent_roots(pol->rw_dirs, SANDBOX_MAX_DIRS);
		pol->netns = 1;
		proc_roots(p, pol);
		break;
	default:
		pol->kind = SANDBOX_METAD;
		pol->netns = 1;
		break;
	}
	pol->uid = (uid_t)(base_uid + p->role);
	pol->gid = (gid_t)(base_uid + p->role);
	pol->landlock_abi_max = conf_landlock_abi_max(cf);
	pol->landlock_required = strcmp(conf_get(cf, "without_landlock"),
	    "refuse") == 0;
}

static void
log_dropped(struct proc *p, struct role_log *l)
{
	log_role(p->name, "(%llu lines dropped: over %d a second)",
	    (unsigned long long)l->dropped, ROLE_LOG_RATE);
	l->dropped = 0;
}

/* Write one line of a role's log, escaped, if the rate allows it. */
static void
log_emit(struct proc *p, struct role_log *l, int cut)
{
	char		 esc[ROLE_LOG_LINE_MAX * 4 + 1];
	uint64_t	 now = util_now_ms(), add;

	add = (now - l->refill_ms) * ROLE_LOG_RATE / 1000;
	if (add > 0) {
		l->tokens = l->tokens + add > ROLE_LOG_BURST ? ROLE_LOG_BURST :
		    l->tokens + add;
		l->refill_ms = now;
	}
	if (l->tokens == 0) {
		l->dropped++;
		return;
	}
	l->tokens--;
	if (l->dropped > 0 && now - l->noted_ms >= ROLE_LOG_NOTE_MS) {
		log_dropped(p, l);
		l->noted_ms = now;
	}
	log_escape(esc, sizeof(esc), l->line, l->len);
	log_role(p->name, "%s%s", esc, cut ? " [cut]" : "");
}

static void
log_close(struct role_log *l)
{
	if (l->ev != NULL) {
		event_free(l->ev);
		l->ev = NULL;
	}
	if (l->fd != -1) {
		close(l->fd);
		l->fd = -1;
	}
	l->len = 0;
	l->cut = 0;
}

static void
log_read(evutil_socket_t fd, short ev, void *arg)
{
	struct proc	*p = arg;
	struct role_log	*l = &logs[p->role];
	char		 buf[4096];
	size_t		 total = 0, i;
	ssize_t		 n;

	(void)ev;
	while (total < ROLE_LOG_READ) {
		if ((n = read(fd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			break;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		for (i = 0; i < (size_t)n; i++) {
			if (buf[i] == '\n') {
				if (!l->cut)
					log_emit(p, l, 0);
				l->len = 0;
				l->cut = 0;
			} else if (l->cut)
				continue;
			else if (l->len == ROLE_LOG_LINE_MAX) {
				log_emit(p, l, 1);
				l->len = 0;
				l->cut = 1;
			} else
				l->line[l->len++] = buf[i];
		}
	}
	if (total >= ROLE_LOG_READ)
		return;		/* more next time round the loop */
	/* EOF (every writer gone) or an error: the last partial line. */
	if (l->len > 0 && !l->cut)
		log_emit(p, l, 0);
	if (l->dropped > 0)
		log_dropped(p, l);
	log_close(l);
}

/* A new pipe for a role's stdout and stderr; the write end in *wr. */
static int
log_open(struct proc *p, int *wr)
{
	struct role_log	*l = &logs[p->role];
	int		 fds[2];

	log_close(l);
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	/* The role writes blocking: a full pipe slows it, never loses. */
	if (fcntl(fds[1], F_SETFL, 0) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	l->fd = fds[0];
	l->ev = event_new(base, l->fd, EV_READ | EV_PERSIST, log_read, p);
	if (l->ev == NULL || event_add(l->ev, NULL) == -1) {
		log_close(l);
		close(fds[1]);
		return -1;
	}
	*wr = fds[1];
	return 0;
}

static int
verbose_level(void)
{
	const char *l = conf_get(cf, "log_level");

	if (strcmp(l, "trace") == 0)
		return 2;
	if (strcmp(l, "debug") == 0)
		return 1;
	return 0;
}

static void
restart_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct proc *p = arg;

	(void)fd;
	(void)ev;
	if (!stopping && p->state == PROC_BACKOFF)
		proc_spawn(p);
}

static void
hello_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct proc *p = arg;

	(void)fd;
	(void)ev;
	if (p->state == PROC_STARTING && p->pid > 0) {
		log_warnx("%s: no Hello within %d s; killing pid %d", p->name,
		    ROLE_HELLO_TIMEOUT, (int)p->pid);
		kill(p->pid, SIGKILL);
	}
}

static void
set_timer(struct proc *p, uint64_t ms, event_callback_fn cb)
{
	struct timeval tv;

	if (p->timer != NULL)
		event_free(p->timer);
	p->timer = evtimer_new(base, cb, p);
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (p->timer == NULL || evtimer_add(p->timer, &tv) == -1)
		fatalx("%s: cannot arm a timer", __func__);
}

static void
proc_fail(struct proc *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Once every role runs or failed, a detaching btd lets its parent go. */
static void
proc_settled(void)
{
	int i;

	for (i = 1; i <= ROLE_COUNT; i++)
		if (procs[i].state != PROC_RUNNING &&
		    procs[i].state != PROC_FAILED &&
		    procs[i].state != PROC_OFF)
			return;
	btd_roles_settled();
}

/* The role cannot be started: fail closed, no retry until asked. */
static void
proc_fail(struct proc *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->last_exit, sizeof(p->last_exit), fmt, ap);
	va_end(ap);
	p->state = PROC_FAILED;
	log_warnx("%s: not started: %s", p->name, p->last_exit);
	proc_settled();
}

/* Schedule a restart of a role that died, with backoff. */
static void
proc_backoff(struct proc *p)
{
	uint64_t	delay, cap;

	cap = (uint64_t)conf_get_int(cf, "restart_backoff_max") * 1000;
	if (p->restart_now) {
		delay = 0;
		p->restart_now = 0;
	} else {
		if (p->started_ms != 0 &&
		    util_now_ms() - p->started_ms >= ROLE_HEALTHY_MS)
			p->backoff = 0;
		delay = util_backoff_ms(p->backoff, ROLE_FIRST_DELAY_MS, cap);
		if (p->backoff < 64)
			p->backoff++;
	}
	p->state = PROC_BACKOFF;
	p->next_start_ms = util_now_ms() + delay;
	log_info("%s: restarting in %llu ms", p->name,
	    (unsigned long long)delay);
	set_timer(p, delay, restart_cb);
}

/*
 * The download dir must exist before Landlock can name it.  One that
 * btd creates belongs to stored's uid (as root); one the administrator
 * made is left as it is, and if stored's uid cannot write there, the
 * sandbox says so when the role fails to start.
 */
static int
proc_download_dir(struct proc *p, const struct sandbox_policy *pol)
{
	const char	*dir = pol->rw_dirs[0];
	struct stat	 sb;

	if (stat(dir, &sb) == 0)
		return 0;
	if (errno != ENOENT || util_mkdirs(dir, 0755) == -1) {
		proc_fail(p, "download_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (geteuid() == 0 && chown(dir, pol->uid, pol->gid) == -1) {
		proc_fail(p, "download_dir %s: chown: %s", dir,
		    strerror(errno));
		return -1;
	}
	log_info("created download_dir %s", dir);
	return 0;
}

/* A role's full output queue drained: senders of bulk go on. */
static void
proc_drain(struct chan *c, void *arg)
{
	struct proc *p = arg;

	(void)c;
	if (p->state == PROC_RUNNING && p->role != BTD__ROLE__RPCD)
		torrent_role_drained(p->role);
}

/*
 * rpcd's listening socket on rpc_bind, made by btd at every start of
 * rpcd and handed over at SANDBOX_LISTEN_FD, so that rpcd needs neither
 * bind nor listen and may do neither on any kernel (Landlock's TCP
 * rules need ABI 4, which not every kernel btd runs on has, and seccomp
 * cannot see an address).  Close-on-exec here; the child's dup2() to
 * SANDBOX_LISTEN_FD clears it for the exec of rpcd alone.  An address
 * that cannot be bound (in use, not on this host) fails rpcd closed,
 * with the reason in `btctl status`.  The fd, or -1 after proc_fail().
 */
static int
proc_listen(struct proc *p)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	const char		*value = conf_get(cf, "rpc_bind");
	char			 a[INET6_ADDRSTRLEN];
	socklen_t		 len;
	uint16_t		 port;
	int			 fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (conf_valid_bind(value, a, &port) == -1) {
		proc_fail(p, "rpc_bind %s: not ADDR:PORT or [ADDR6]:PORT",
		    value);
		return -1;
	}
	if (inet_pton(AF_INET, a, &sin->sin_addr) == 1 && value[0] != '[') {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, a, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	} else {
		proc_fail(p, "rpc_bind %s: not a numeric address", value);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		proc_fail(p, "rpc_bind %s: socket: %s", value, strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		proc_fail(p, "rpc_bind %s: %s", value, strerror(errno));
		close(fd);
		return -1;
	}
	if (listen(fd, 64) == -1) {
		proc_fail(p, "rpc_bind %s: listen: %s", value,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void
proc_spawn(struct proc *p)
{
	struct sandbox_policy	 pol;
	char			 err[256], vflag[8], *argv[4];
	char			*envp[] = { NULL };
	int			 sv[2], ep[2], devnull, keep[3], v, i, logw;
	int			 lfd = -1;
	ssize_t			 n;
	pid_t			 pid;

	if (p->state == PROC_BACKOFF)
		p->restarts++;
	memset(p->links, 0, sizeof(p->links));
	p->impl_name[0] = p->impl_version[0] = '\0';
	proc_exec_path(p);
	proc_policy(p, &pol);
	if (access(p->exec, X_OK) == -1) {
		proc_fail(p, "%s: %s", p->exec, strerror(errno));
		return;
	}
	if (geteuid() != 0) {
		pol.uid = getuid();
		pol.gid = getgid();
	} else if (pol.kind == SANDBOX_STORED &&
	    owner_resolve(cf, &pol.uid, &pol.gid, err, sizeof(err)) == -1) {
		/* stored runs as download_user, who owns the files. */
		proc_fail(p, "%s", err);
		return;
	} else if (pol.kind != SANDBOX_STORED && owner_role_ids(cf, p->role,
	    p->name, &pol.uid, &pol.gid, err, sizeof(err)) == -1) {
		proc_fail(p, "%s", err);
		return;
	}
	if (pol.kind == SANDBOX_STORED && proc_download_dir(p, &pol) == -1)
		return;
	sandbox_describe(&pol, &p->sandbox);
	if (pol.kind == SANDBOX_RPCD && (lfd = proc_listen(p)) == -1)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("%s: socketpair", p->name);
		if (lfd != -1)
			close(lfd);
		proc_backoff(p);
		return;
	}
	if (pipe2(ep, O_CLOEXEC) == -1) {
		log_warn("%s: pipe", p->name);
		close(sv[0]);
		close(sv[1]);
		if (lfd != -1)
			close(lfd);
		proc_backoff(p);
		return;
	}
	if (log_open(p, &logw) == -1) {
		log_warn("%s: log pipe", p->name);
		close(sv[0]);
		close(sv[1]);
		close(ep[0]);
		close(ep[1]);
		if (lfd != -1)
			close(lfd);
		proc_backoff(p);
		return;
	}
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	v = verbose_level();
	snprintf(vflag, sizeof(vflag), "-%s", v >= 2 ? "vv" : "v");
	argv[0] = p->exec;
	argv[1] = (char *)(uintptr_t)p->name;
	argv[2] = v > 0 ? vflag : NULL;
	argv[3] = NULL;

	switch ((pid = fork())) {
	case -1:
		log_warn("%s: fork", p->name);
		close(sv[0]);
		close(sv[1]);
		close(ep[0]);
		close(ep[1]);
		close(devnull);
		close(logw);
		if (lfd != -1)
			close(lfd);
		proc_backoff(p);
		return;
	case 0: {
		sigset_t	 none;
		int		 efd, hfd = -1;

		/* Child: no stdio, no allocation that matters. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (i = 1; i < NSIG; i++)
			signal(i, SIG_DFL);
		/*
		 * Above the descriptors of stored's roots, out of the way of
		 * the dup2()s below; the listening socket then goes to
		 * SANDBOX_LISTEN_FD, without close-on-exec.
		 */
		efd = fcntl(ep[1], F_DUPFD_CLOEXEC, SANDBOX_FD_FREE);
		if (lfd != -1)
			hfd = fcntl(lfd, F_DUPFD_CLOEXEC, SANDBOX_FD_FREE);
		if (efd == -1 || (lfd != -1 && hfd == -1) ||
		    dup2(devnull, 0) == -1 ||
		    dup2(logw, 1) == -1 || dup2(logw, 2) == -1 ||
		    dup2(sv[1], ROLE_FD_BTD) == -1 ||
		    (hfd != -1 && dup2(hfd, SANDBOX_LISTEN_FD) == -1))
			_exit(127);
		keep[0] = ROLE_FD_BTD;
		keep[1] = efd;
		pol.nkeep = 2;
		if (hfd != -1)
			keep[pol.nkeep++] = SANDBOX_LISTEN_FD;
		pol.keep_fds = keep;
		(void)sandbox_exec(&pol, argv, envp, err, sizeof(err));
		(void)write(efd, err, strlen(err));
		_exit(127);
	}
	default:
		break;
	}
	close(sv[1]);
	close(ep[1]);
	close(devnull);
	close(logw);
	/* rpcd's now; a new start of rpcd binds again. */
	if (lfd != -1)
		close(lfd);
	/* EOF: exec succeeded; bytes: why confinement or exec failed. */
	do {
		n = read(ep[0], err, sizeof(err) - 1);
	} while (n == -1 && errno == EINTR);
	close(ep[0]);
	p->pid = pid;
	if (n > 0) {
		err[n] = '\0';
		close(sv[0]);
		if (geteuid() == 0)
			proc_fail(p, "%s (as uid %u)", err, (unsigned)pol.uid);
		else
			proc_fail(p, "%s", err);
		/* The child exits 127; reaped in proc_sigchld(). */
		return;
	}
	p->state = PROC_STARTING;
	p->started_ms = util_now_ms();
	p->chan = chan_new(base, sv[0], p->name, p->role == BTD__ROLE__METAD ?
	    FRAME_MAX_METAD : p->role == BTD__ROLE__TRACKERD ?
	    FRAME_MAX_TRACKERD : p->role == BTD__ROLE__RPCD ?
	    FRAME_MAX_RPCCALL : FRAME_MAX_ROLE, proc_read, p);
	if (p->chan == NULL)
		fatal("%s: channel", p->name);
	/* An Answer may hold a long list, as a ctl reply does. */
	if (p->role == BTD__ROLE__RPCD)
		chan_set_maxout(p->chan, FRAME_MAX_CTLREP + CHAN_OUT_SLACK);
	chan_set_drain(p->chan, proc_drain);
	set_timer(p, ROLE_HELLO_TIMEOUT * 1000, hello_timeout);
	log_info("%s: started, pid %d: %s", p->name, (int)pid, p->exec);
}

/* Once at start: what the kernel's (or the capped) Landlock lacks. */
static void
log_landlock(void)
{
	char	 missing[512];
	int	 kabi = sandbox_landlock_abi(), abi = kabi;
	int	 cap = conf_landlock_abi_max(cf);

	if (cap >= 0 && cap < kabi)
		abi = cap;
	sandbox_missing(abi, missing, sizeof(missing));
	if (abi < 1 && strcmp(conf_get(cf, "without_landlock"), "refuse") == 0)
		log_warnx("landlock: none (kernel ABI %d%s): the roles are "
		    "not started (without_landlock refuse)", kabi,
		    cap >= 0 ? ", landlock_abi_max" : "");
	else if (abi < 1)
		log_warnx("landlock: none (kernel ABI %d%s): the roles run "
		    "with seccomp and uids only, without file-system or tcp "
		    "rules", kabi, cap >= 0 ? ", landlock_abi_max" : "");
	else if (missing[0] != '\0')
		log_warnx("landlock: ABI %d (kernel %d%s); not enforced: %s; "
		    "signals, prlimit and exec stay refused by seccomp", abi,
		    kabi, abi < kabi ? ", capped by landlock_abi_max" : "",
		    missing);
	else
		log_info("landlock: ABI %d (kernel %d)", abi, kabi);
}

void
proc_start_all(void)
{
	int i;

	log_landlock();
	for (i = 1; i <= ROLE_COUNT; i++) {
		if (i == BTD__ROLE__RPCD && !conf_rpc_enabled(cf)) {
			procs[i].state = PROC_OFF;
			snprintf(procs[i].last_exit, sizeof(procs[i].last_exit),
			    "rpc_enabled is no");
			continue;
		}
		proc_spawn(&procs[i]);
	}
}

/* Kill a role that broke the protocol; SIGCHLD restarts it. */
static void
proc_violation(struct proc *p, const char *what)
{
	log_warnx("%s: protocol violation: %s; killing pid %d", p->name,
	    what, (int)p->pid);
	snprintf(p->last_exit, sizeof(p->last_exit), "protocol violation: %s",
	    what);
	p->violated = 1;
	if (p->chan != NULL) {
		chan_free(p->chan);
		p->chan = NULL;
	}
	if (p->pid > 0)
		kill(p->pid, SIGKILL);
}

static void
send_config(struct proc *p)
{
	Btd__Config	 c = BTD__CONFIG__INIT;
	Btd__Setting	 s[48], *sp[48];
	const char	*k;
	size_t		 n = 0;
	int		 i;

	for (i = 0; (k = conf_key(i)) != NULL && n < 46; i++) {
		if (strstr(k, "_exec") != NULL)
			continue;
		/* The password's hash is rpcd's business alone. */
		if (strcmp(k, "rpc_password") == 0 &&
		    p->role != BTD__ROLE__RPCD)
			continue;
		btd__setting__init(&s[n]);
		s[n].key = (char *)(uintptr_t)k;
		s[n].value = (char *)(uintptr_t)conf_get(cf, k);
		sp[n] = &s[n];
		n++;
	}
	btd__setting__init(&s[n]);
	s[n].key = (char *)(uintptr_t)"peer_id";
	s[n].value = peer_id_hex;
	sp[n] = &s[n];
	n++;
	if (p->role == BTD__ROLE__STORED && p->roots != NULL) {
		btd__setting__init(&s[n]);
		s[n].key = (char *)(uintptr_t)"download_roots";
		s[n].value = p->roots;
		sp[n] = &s[n];
		n++;
	}
	c.settings = sp;
	c.n_settings = n;
	c.verbose = (uint32_t)verbose_level();
	if (msg_send_common(p->chan, envs[p->role], MSG_CONFIG,
	    &c.base, -1) == -1)
		log_warn("%s: config", p->name);
}

/*
 * The block path's shared memory for a new generation of the peerd <->
 * stored link: both arenas to both roles, before the ChannelAttach.
 * 0, or -1 when they could not be made (the link is then not wired).
 */
static int
send_arenas(struct proc *a, struct proc *b, uint64_t gen)
{
	static const struct {
		Btd__Arena	 which;
		const char	*name;
		uint32_t	 slots;
	} kinds[] = {
		{ BTD__ARENA__ARENA_DOWN, "btd-arena-down", ARENA_DOWN_SLOTS },
		{ BTD__ARENA__ARENA_UP, "btd-arena-up", ARENA_UP_SLOTS },
	};
	Btd__ArenaAttach	 aa = BTD__ARENA_ATTACH__INIT;
	size_t			 i;
	int			 fd, r = 0;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		fd = arena_memfd(kinds[i].name, ARENA_SLOT_SIZE,
		    kinds[i].slots);
		if (fd == -1) {
			log_warn("arena for %s <-> %s", a->name, b->name);
			return -1;
		}
		aa.generation = gen;
		aa.which = kinds[i].which;
		aa.slot_size = ARENA_SLOT_SIZE;
		aa.slots = kinds[i].slots;
		aa.peer = (Btd__Role)b->role;
		if (msg_send_common(a->chan, envs[a->role], MSG_ARENA,
		    &aa.base, fd) == -1)
			r = -1;
		aa.peer = (Btd__Role)a->role;
		if (msg_send_common(b->chan, envs[b->role], MSG_ARENA,
		    &aa.base, fd) == -1)
			r = -1;
		close(fd);	/* the chans sent dups */
	}
	return r;
}

/* Make a fresh socketpair for a and b and hand each its end. */
static void
wire(struct proc *a, struct proc *b)
{
	Btd__ChannelAttach	 at = BTD__CHANNEL_ATTACH__INIT;
	uint64_t		 gen;
	int			 sv[2];

	gen = a->links[b->role].generation;
	if (b->links[a->role].generation > gen)
		gen = b->links[a->role].generation;
	gen++;
	a->links[b->role].generation = b->links[a->role].generation = gen;
	a->links[b->role].up = b->links[a->role].up = 0;
	if (((a->role == BTD__ROLE__PEERD && b->role == BTD__ROLE__STORED) ||
	    (a->role == BTD__ROLE__STORED && b->role == BTD__ROLE__PEERD)) &&
	    send_arenas(a, b, gen) == -1) {
		log_warnx("wire %s <-> %s: no arenas", a->name, b->name);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("wire %s <-> %s", a->name, b->name);
		return;
	}
	at.generation = gen;
	at.peer = (Btd__Role)b->role;
	if (msg_send_common(a->chan, envs[a->role], MSG_ATTACH, &at.base,
	    sv[0]) == -1)
		log_warn("attach %s to %s", b->name, a->name);
	at.peer = (Btd__Role)a->role;
	if (msg_send_common(b->chan, envs[b->role], MSG_ATTACH, &at.base,
	    sv[1]) == -1)
		log_warn("attach %s to %s", a->name, b->name);
	close(sv[0]);	/* the chans sent dups */
	close(sv[1]);
	log_debug("wired %s <-> %s (generation %llu)", a->name, b->name,
	    (unsigned long long)gen);
}

static void
wire_role(struct proc *p)
{
	size_t	i;
	int	other;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (pairs[i][0] == p->role)
			other = pairs[i][1];
		else if (pairs[i][1] == p->role)
			other = pairs[i][0];
		else
			continue;
		if (procs[other].state == PROC_RUNNING)
			wire(p, &procs[other]);
	}
}

/*
 * The number of seccomp filters of pid from /proc (Linux 5.9 on), or -1
 * when that cannot be told.
 */
static int
seccomp_filters(pid_t pid)
{
	char	 path[64], line[256];
	FILE	*fp;
	int	 n = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "Seccomp_filters: %d", &n) == 1)
			break;
	fclose(fp);
	return n;
}

/* Do roles a and b talk directly (a pair btd wires)? */
static int
paired(int a, int b)
{
	size_t	i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if ((pairs[i][0] == a && pairs[i][1] == b) ||
		    (pairs[i][0] == b && pairs[i][1] == a))
			return 1;
	return 0;
}

static int
on_hello(struct proc *p, const Btd__Hello *h)
{
	Btd__Hello	 r = BTD__HELLO__INIT;
	char		 esc[64];
	int		 n;

	if (p->state != PROC_STARTING)
		return -1;
	if (h->role != (Btd__Role)p->role) {
		proc_violation(p, "Hello for another role");
		return 0;
	}
	if (h->proto_major != BTD_PROTO_MAJOR) {
		log_warnx("%s: protocol %u.%u, btd speaks %u.%u: refused",
		    p->name, h->proto_major, h->proto_minor, BTD_PROTO_MAJOR,
		    BTD_PROTO_MINOR);
		proc_violation(p, "wrong protocol major version");
		return 0;
	}
	if (!h->exec_refused) {
		proc_violation(p, "Hello does not state exec_refused (the "
		    "role could execute programs)");
		return 0;
	}
	if ((n = seccomp_filters(p->pid)) != -1 && n < 2) {
		proc_violation(p, "Hello states exec_refused, but the role "
		    "has one seccomp filter");
		return 0;
	}
	p->sandbox.exec_refused = 1;
	log_escape(p->impl_name, sizeof(p->impl_name), h->impl_name,
	    strlen(h->impl_name));
	log_escape(p->impl_version, sizeof(p->impl_version), h->impl_version,
	    strlen(h->impl_version));
	if (p->timer != NULL) {
		event_free(p->timer);
		p->timer = NULL;
	}
	p->state = PROC_RUNNING;
	r.role = (Btd__Role)p->role;
	r.proto_major = BTD_PROTO_MAJOR;
	r.proto_minor = BTD_PROTO_MINOR;
	r.impl_name = (char *)(uintptr_t)"btd";
	r.impl_version = (char *)(uintptr_t)BTD_VERSION;
	r.pid = (int32_t)getpid();
	if (msg_send_common(p->chan, envs[p->role], MSG_HELLO,
	    &r.base, -1) == -1)
		log_warn("%s: hello", p->name);
	send_config(p);
	log_info("%s: running (%s %s, protocol %u.%u)", p->name,
	    log_escape(esc, sizeof(esc), p->impl_name, strlen(p->impl_name)),
	    p->impl_version, h->proto_major, h->proto_minor);
	wire_role(p);
	if (p->role != BTD__ROLE__RPCD)
		torrent_role_started(p->role);
	proc_settled();
	return 0;
}

static int
on_link(struct proc *p, const Btd__LinkState *ls)
{
	struct proc	*peer;
	char		 esc[128];

	if (p->state != PROC_RUNNING)
		return -1;
	/*
	 * Only about a link btd made between the two, at its current
	 * generation or an older one: anything else (a role it has no
	 * link with, a link never wired, a generation not yet made) is
	 * forged, and the sender is the violator.
	 */
	if (util_role_name(ls->peer) == NULL ||
	    ls->peer == (Btd__Role)p->role || !paired(p->role, ls->peer) ||
	    p->links[ls->peer].generation == 0 || ls->generation == 0 ||
	    ls->generation > p->links[ls->peer].generation) {
		proc_violation(p, "LinkState about a link that does not "
		    "exist");
		return 0;
	}
	peer = &procs[ls->peer];
	if (ls->generation != p->links[ls->peer].generation)
		return 0;	/* about a channel already replaced */
	p->links[ls->peer].up = ls->up;
	log_debug("%s: link to %s %s (generation %llu)", p->name, peer->name,
	    ls->up ? "up" : "down", (unsigned long long)ls->generation);
	if (ls->violation && peer->pid > 0 && peer->state == PROC_RUNNING) {
		snprintf(esc, sizeof(esc), "reported by %s: ", p->name);
		log_escape(esc + strlen(esc), sizeof(esc) - strlen(esc),
		    ls->error, strlen(ls->error));
		proc_violation(peer, esc);
	}
	return 0;
}

static void
proc_read(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	struct proc		*p = arg;
	ProtobufCMessage	*env;
	const ProtobufCMessage	*in;
	const char		*name = "?";
	int			 body, r;

	(void)c;
	if (buf == NULL) {
		/* A clean EOF is how a dying role looks; anything else is bad. */
		if (strcmp(why, "eof") != 0)
			proc_violation(p, why);
		else {
			log_debug("%s: channel closed", p->name);
			chan_free(p->chan);
			p->chan = NULL;
			if (stopping)
				stop_check();
		}
		return;
	}
	if ((env = msg_unpack(envs[p->role], buf, len)) == NULL) {
		proc_violation(p, "a message that does not decode");
		return;
	}
	body = msg_body(env, &in, &name);
	log_trace("<- %s: %s", p->name, name);
	switch (body) {
	case MSG_HELLO:
		r = on_hello(p, (const Btd__Hello *)(const void *)in);
		break;
	case MSG_PING:
		r = p->state == PROC_RUNNING ? 0 : -1;
		if (r == 0) {
			Btd__Pong pong = BTD__PONG__INIT;

			pong.nonce = ((const Btd__Ping *)(const void *)in)->nonce;
			(void)msg_send_common(p->chan, envs[p->role], MSG_PONG,
	    &pong.base, -1);
		}
		break;
	case MSG_PONG:
		r = p->state == PROC_RUNNING ? 0 : -1;
		break;
	case MSG_LINK:
		r = on_link(p, (const Btd__LinkState *)(const void *)in);
		break;
	default:
		if (p->state != PROC_RUNNING || body < MSG_ROLE_MIN)
			r = -1;
		else if (p->role == BTD__ROLE__RPCD)
			r = ctl_rpc_msg(env);
		else
			r = torrent_role_msg(p->role, env);
		break;
	}
	if (r == -1) {
		char what[96];

		snprintf(what, sizeof(what), "unexpected message %s", name);
		proc_violation(p, what);
	}
	msg_free(env);
}

static void
describe_exit(char *buf, size_t len, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)%s",
		    WTERMSIG(status), sigabbrev_np(WTERMSIG(status)) ?
		    sigabbrev_np(WTERMSIG(status)) : "?",
		    WTERMSIG(status) == SIGSYS ? ": seccomp" : "");
	else
		snprintf(buf, len, "ended with status %d", status);
}

void
proc_sigchld(void)
{
	struct proc	*p;
	pid_t		 pid;
	int		 status, i;
	char		 how[96];

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		p = NULL;
		for (i = 1; i <= ROLE_COUNT; i++)
			if (procs[i].pid == pid)
				p = &procs[i];
		if (p == NULL)
			continue;
		p->pid = 0;
		/* At a stop, what it said last is read first (its eof). */
		if (p->chan != NULL && !stopping) {
			chan_free(p->chan);
			p->chan = NULL;
		}
		if (p->timer != NULL) {
			event_free(p->timer);
			p->timer = NULL;
		}
		memset(p->links, 0, sizeof(p->links));
		for (i = 1; i <= ROLE_COUNT; i++)
			procs[i].links[p->role].up = 0;
		describe_exit(how, sizeof(how), status);
		/* Neither ordered nor at shutdown: it crashed (or violated). */
		if (p->role == BTD__ROLE__RPCD)
			ctl_rpc_exited();
		else
			torrent_role_exited(p->role, p->state != PROC_FAILED &&
			    !stopping && (restart_why[p->role] == NULL ||
			    p->violated) ? how : NULL);
		if (p->state == PROC_FAILED)
			continue;	/* confinement failed; reason kept */
		if (restart_why[p->role] != NULL && !p->violated) {
			snprintf(p->last_exit, sizeof(p->last_exit),
			    "ordered restart (%s): %s", restart_why[p->role],
			    how);
			restart_why[p->role] = NULL;
			if (!stopping) {
				log_info("%s: pid %d %s", p->name, (int)pid,
				    p->last_exit);
				proc_backoff(p);
				continue;
			}
		}
		restart_why[p->role] = NULL;
		if (p->violated)
			snprintf(p->last_exit + strlen(p->last_exit),
			    sizeof(p->last_exit) - strlen(p->last_exit),
			    "; %s", how);
		else
			snprintf(p->last_exit, sizeof(p->last_exit), "%s", how);
		if (stopping) {
			p->state = PROC_STOPPED;
			log_info("%s: stopped (%s)", p->name, how);
			continue;
		}
		p->violated = 0;
		log_warnx("%s: pid %d %s", p->name, (int)pid, how);
		proc_backoff(p);
	}
	if (stopping)
		stop_check();
}

/* An ordered restart that did not end within its grace: SIGKILL. */
static void
restart_kill(evutil_socket_t fd, short ev, void *arg)
{
	struct proc *p = arg;

	(void)fd;
	(void)ev;
	if (p->pid > 0 && restart_why[p->role] != NULL) {
		log_warnx("%s: still running %d s after its stop order; "
		    "killing pid %d", p->name, ROLE_STOP_GRACE, (int)p->pid);
		kill(p->pid, SIGKILL);
	}
}

/*
 * Restart a role in order: close its channel (the stop order; a role
 * exits when its channel to btd closes), SIGKILL after ROLE_STOP_GRACE,
 * and start it again at once when it has gone (proc_sigchld).
 */
static void
proc_restart_why(int role, const char *why)
{
	struct proc *p = &procs[role];

	if (stopping)
		return;
	log_info("%s: restart: %s", p->name, why);
	if (p->pid > 0 && p->state != PROC_FAILED) {
		if (restart_why[role] != NULL)
			return;		/* one already under way */
		p->restart_now = 1;
		restart_why[role] = why;
		if (p->chan != NULL) {
			chan_flush(p->chan, 100);
			chan_free(p->chan);
			p->chan = NULL;
		}
		/* Not running from now on: nothing is sent to it. */
		p->state = PROC_STOPPING;
		set_timer(p, ROLE_STOP_GRACE * 1000, restart_kill);
		return;
	}
	p->backoff = 0;
	p->state = PROC_BACKOFF;
	proc_spawn(p);
}

void
proc_restart(int role)
{
	proc_restart_why(role, "btctl restart");
}

/* A restart btd itself orders; why is a string constant. */
void
proc_restart_for(int role, const char *why)
{
	proc_restart_why(role, why);
}

void
proc_config_changed(const char *key)
{
	int i;

	if (strcmp(key, "log_level") == 0)
		log_setverbose(verbose_level());
	/*
	 * Landlock rules cannot widen: peerd restarts under the new port
	 * rule; the others (trackerd announces the port) hear the change.
	 */
	if (strcmp(key, "peer_port") == 0)
		proc_restart_why(BTD__ROLE__PEERD, "peer_port changed");
	if (strcmp(key, "download_dir") == 0) {
		/* The old directory stays a root while torrents live there. */
		torrent_keep_roots();
		proc_restart_why(BTD__ROLE__STORED, "download_dir changed");
		return;
	}
	for (i = 1; i <= ROLE_COUNT; i++)
		if (procs[i].state == PROC_RUNNING && procs[i].chan != NULL)
			send_config(&procs[i]);
}

int
proc_all_stopped(void)
{
	int i;

	for (i = 1; i <= ROLE_COUNT; i++)
		if (procs[i].pid > 0)
			return 0;
	return 1;
}

/* Stopping: every role gone, and what each said last read. */
static int
all_read(void)
{
	int i;

	for (i = 1; i <= ROLE_COUNT; i++)
		if (procs[i].chan != NULL)
			return 0;
	return 1;
}

static void
stop_check(void)
{
	if (proc_all_stopped() && all_read()) {
		if (stop_timer != NULL) {
			event_free(stop_timer);
			stop_timer = NULL;
		}
		event_base_loopexit(base, NULL);
	}
}

static void
stop_timeout(evutil_socket_t fd, short ev, void *arg)
{
	int i;

	(void)fd;
	(void)ev;
	(void)arg;
	for (i = 1; i <= ROLE_COUNT; i++) {
		if (procs[i].pid > 0) {
			log_warnx("%s: still running after %d s; killing",
			    procs[i].name, ROLE_STOP_GRACE);
			kill(procs[i].pid, SIGKILL);
		} else if (procs[i].chan != NULL) {
			/* Gone, its channel held open by no one we know. */
			chan_free(procs[i].chan);
			procs[i].chan = NULL;
		}
	}
	stop_check();
}

void
proc_stop_all(void)
{
	struct timeval	tv = { ROLE_STOP_GRACE, 0 };
	int		i;

	stopping = 1;
	for (i = 1; i <= ROLE_COUNT; i++) {
		struct proc *p = &procs[i];

		if (p->timer != NULL) {
			event_free(p->timer);
			p->timer = NULL;
		}
		/*
		 * Closing the channel is the stop order for a role.  stored
		 * gets half of it (shutdown for writing): its last
		 * PiecesDurable, after its final flush, still come in and
		 * are recorded (xfer_shutdown()); the channel goes at its
		 * eof or when it exits.
		 */
		if (p->chan != NULL && p->role == BTD__ROLE__STORED &&
		    p->state == PROC_RUNNING && p->pid > 0) {
			chan_flush(p->chan, 100);
			if (shutdown(chan_fd(p->chan), SHUT_WR) == 0)
				continue;
			log_warn("%s: shutdown", p->name);
		}
		if (p->chan != NULL) {
			chan_flush(p->chan, 100);
			chan_free(p->chan);
			p->chan = NULL;
		}
		if (p->pid == 0)
			p->state = PROC_STOPPED;
	}
	stop_timer = evtimer_new(base, stop_timeout, NULL);
	if (stop_timer != NULL)
		evtimer_add(stop_timer, &tv);
	stop_check();
}
