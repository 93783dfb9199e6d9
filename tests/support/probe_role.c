/*
 * probe_role.c -- a stand-in role for the integration tests.
 *
 * btd executes it as `PATH ROLE [-v ...]` in place of a real role, with
 * fd 3 its channel to btd; it serves the role named by argv[1] with the
 * shared runtime (lib/role.c), says Hello as "btd-probe", takes the
 * real role's peer channels and ignores every role-specific message.
 * What else it does is chosen by the name it was copied to:
 *
 *   probe_confine*  before serving, try what a compromised role would
 *                   (read /etc/passwd, open sockets, reach the ctl
 *                   socket, exec a shell, write to /tmp, signal btd)
 *                   and log one line for each:
 *                   "probe: WHAT: refused (REASON)" or "probe: WHAT:
 *                   ALLOWED", then "probe: done".  When btd's Config
 *                   arrives, it also tries what only some roles may:
 *                   create a file in download_dir, bind peer_port and
 *                   bind another port, bind rpc_bind's port and connect
 *                   to 127.0.0.1 on peer_port; then "probe: config
 *                   done".
 *                   It also tries what would reach another process
 *                   whatever the kernel's Landlock: kill, tgkill, tkill
 *                   and ptrace of btd, prlimit of btd, F_SETOWN,
 *                   F_SETOWN_EX and F_SETSIG, a NETLINK_SOCK_DIAG
 *                   socket, and a second exec through the dynamic loader
 *                   opened at every free descriptor number (the exec
 *                   descriptor's among them); and reports its working
 *                   directory and what its stderr is, tries to
 *                   truncate it, and writes a line that forges btd's.
 *                   As rpcd, with a web dir at SANDBOX_WEB_FD: read
 *                   its index.html, write it, and read web-secret
 *                   beside the dir ("read web dir", "write web dir",
 *                   "read beside web dir"); and with the listening
 *                   socket btd bound at SANDBOX_LISTEN_FD: say what it
 *                   is ("listen fd: inet, listening, port N"), bind it
 *                   again to its own address and listen on it again
 *                   ("bind own socket", "listen own socket": the
 *                   kernel would answer EINVAL and 0, only the sandbox
 *                   refuses with EPERM).
 *   probe_forge*    probe_confine, then, once btd answered its Hello, a
 *                   LinkState blaming a role it has no link with (never
 *                   wired: generation 0); btd must kill the sender, not
 *                   the blamed role.
 *   probe_mayexec*  a plain role that skips the filter refusing exec
 *                   and says so in Hello; btd must refuse it.
 *   probe_garbage*  half a second after starting to serve, write a
 *                   frame header announcing 0xfffffff0 bytes and junk
 *                   on the btd channel; btd must kill and restart it.
 *   probe_crashcheck* as stored: aborts when btd hands it a torrent
 *                   whose directory contains "crashme" (a torrent that
 *                   crashes stored at every check); checks nothing.
 *   anything else   a plain role that does nothing.
 */
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common.pb-c.h"
#include "metad.pb-c.h"
#include "peer_metad.pb-c.h"
#include "peer_stored.pb-c.h"
#include "peer_trackerd.pb-c.h"
#include "peerd.pb-c.h"
#include "rpcd.pb-c.h"
#include "stored.pb-c.h"
#include "trackerd.pb-c.h"

#include "frame.h"
#include "log.h"
#include "msg.h"
#include "role.h"
#include "sandbox.h"
#include "util.h"

#define PROBE_IMPL	"btd-probe"
#define GARBAGE_DELAY_MS 500	/* after role_run(): Hello is out by then */
#define PROBE_FD_MAX	64	/* descriptor numbers tried for the loader */

/* Where a role that kept an AF_UNIX socket would try to connect. */
#define PROBE_ABSTRACT	"btd-probe"
#define PROBE_CTL_PATH	"/tmp/btd-probe-ctl.sock"
#define PROBE_WRITE	"/tmp/btd-probe-write-%d"	/* btd's pid */

extern char	**environ;

static struct role_def	 def;

/* A role-specific body: the probe takes it and does nothing. */
static int
probe_ignore(struct chan *c, const ProtobufCMessage *env)
{
	const char	*name = "?";

	(void)msg_body(env, NULL, &name);
	log_debug("probe: ignored %s from %s", name, chan_name(c));
	return 0;
}

/*
 * probe_crashcheck: a torrent named crashme kills stored; any other is
 * "checked" (nothing verified) once its hashes are in.
 */
#define PROBE_TORRENTS	64
static struct {
	uint32_t	num, pieces, got;
} ptor[PROBE_TORRENTS];

static int
probe_crash_btd(struct chan *c, const ProtobufCMessage *env)
{
	const Btd__StoredMsg	*m = MSG_AS(Btd__StoredMsg, stored_msg, env);
	Btd__TorrentChecked	 tc = BTD__TORRENT_CHECKED__INIT;
	static uint8_t		 zeros[4096];
	unsigned		 i;

	switch (m->body_case) {
	case BTD__STORED_MSG__BODY_TORRENT_ADD:
		if (strstr(m->torrent_add->dir, "crashme") != NULL) {
			log_info("probe: torrent %u in %s: crashing",
			    m->torrent_add->torrent, m->torrent_add->dir);
			abort();
		}
		for (i = 0; i < PROBE_TORRENTS && ptor[i].num != 0; i++)
			;
		if (i == PROBE_TORRENTS ||
		    m->torrent_add->piece_count > sizeof(zeros) * 8)
			return 0;
		ptor[i].num = m->torrent_add->torrent;
		ptor[i].pieces = m->torrent_add->piece_count;
		ptor[i].got = 0;
		return 0;
	case BTD__STORED_MSG__BODY_TORRENT_HASHES:
		for (i = 0; i < PROBE_TORRENTS; i++)
			if (ptor[i].num == m->torrent_hashes->torrent)
				break;
		if (i == PROBE_TORRENTS)
			return 0;
		ptor[i].got += (uint32_t)(m->torrent_hashes->hashes.len / 20);
		if (ptor[i].got < ptor[i].pieces)
			return 0;
		tc.torrent = ptor[i].num;
		tc.have.data = zeros;
		tc.have.len = (ptor[i].pieces + 7) / 8;
		ptor[i].num = 0;
		return MSG_SEND(c, Btd__StoredMsg, STORED_MSG, CHECKED, checked,
		    &tc, -1);
	default:
		return probe_ignore(c, env);
	}
}

static void
add_peer(int peer, const ProtobufCMessageDescriptor *env, size_t maxframe)
{
	struct role_peer	*p = &def.peers[def.npeers++];

	p->peer = peer;
	p->env = env;
	p->handler = probe_ignore;
	p->maxframe = maxframe;
}

/* The role_def of the real role named, with the probe's handlers. */
static int
probe_def(const char *name)
{
	memset(&def, 0, sizeof(def));
	def.impl = PROBE_IMPL;
	def.btd_handler = probe_ignore;
	switch (util_role_by_name(name)) {
	case BTD__ROLE__TRACKERD:
		def.role = BTD__ROLE__TRACKERD;
		def.btd_env = &btd__trackerd_msg__descriptor;
		add_peer(BTD__ROLE__PEERD,
		    &btd__peer_trackerd_msg__descriptor, FRAME_MAX_ROLE);
		break;
	case BTD__ROLE__PEERD:
		def.role = BTD__ROLE__PEERD;
		def.btd_env = &btd__peerd_msg__descriptor;
		add_peer(BTD__ROLE__STORED,
		    &btd__peer_stored_msg__descriptor, FRAME_MAX_BLOCK);
		add_peer(BTD__ROLE__TRACKERD,
		    &btd__peer_trackerd_msg__descriptor, FRAME_MAX_ROLE);
		add_peer(BTD__ROLE__METAD,
		    &btd__peer_metad_msg__descriptor, FRAME_MAX_ROLE);
		break;
	case BTD__ROLE__STORED:
		def.role = BTD__ROLE__STORED;
		def.btd_env = &btd__stored_msg__descriptor;
		add_peer(BTD__ROLE__PEERD,
		    &btd__peer_stored_msg__descriptor, FRAME_MAX_BLOCK);
		break;
	case BTD__ROLE__METAD:
		def.role = BTD__ROLE__METAD;
		def.btd_env = &btd__metad_msg__descriptor;
		add_peer(BTD__ROLE__PEERD,
		    &btd__peer_metad_msg__descriptor, FRAME_MAX_ROLE);
		break;
	case BTD__ROLE__RPCD:
		def.role = BTD__ROLE__RPCD;
		def.btd_env = &btd__rpcd_msg__descriptor;
		def.btd_maxframe = FRAME_MAX_CTLREP;
		break;
	default:
		return -1;
	}
	def.name = util_role_name(def.role);
	return 0;
}

/* Log the outcome of one attempt: rc -1 with errno set is a refusal. */
static void
report(const char *what, int rc, int error)
{
	if (rc == -1)
		log_info("probe: %s: refused (%s)", what, strerror(error));
	else
		log_info("probe: %s: ALLOWED", what);
}

/*
 * Reach btd's ctl socket the only way a role could: an AF_UNIX socket,
 * connected to an abstract name or to a path.  Allowed if either
 * connect succeeds.
 */
static void
probe_connect_ctl(void)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int			 s, error = 0, ok = 0;

	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		report("connect ctl", -1, errno);
		return;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path + 1, PROBE_ABSTRACT, strlen(PROBE_ABSTRACT));
	len = offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(PROBE_ABSTRACT);
	if (connect(s, (struct sockaddr *)&sun, len) == 0)
		ok = 1;
	else
		error = errno;
	close(s);

	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		if (error == 0)
			error = errno;
	} else {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, PROBE_CTL_PATH, sizeof(PROBE_CTL_PATH));
		if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			ok = 1;
		else if (error == 0)
			error = errno;
		close(s);
	}
	report("connect ctl", ok ? 0 : -1, error);
}

/* What reaches another process: refused on every kernel. */
static void
probe_cross(void)
{
	struct f_owner_ex	 ox;
	struct rlimit		 rl;
	pid_t			 btd = getppid();
	int			 fd, rc;

	rc = (int)syscall(SYS_tgkill, btd, btd, 0);
	report("tgkill btd", rc, errno);
	rc = (int)syscall(SYS_tkill, btd, 0);
	report("tkill btd", rc, errno);
	/* Reading btd's limits is enough to show the call goes through. */
	rc = prlimit(btd, RLIMIT_FSIZE, NULL, &rl);
	report("prlimit btd", rc, errno);
	rc = (int)ptrace(PTRACE_ATTACH, btd, NULL, NULL);
	report("ptrace btd", rc, errno);
	rc = fcntl(STDIN_FILENO, F_SETOWN, btd);
	report("F_SETOWN btd", rc, errno);
	ox.type = F_OWNER_PID;
	ox.pid = btd;
	rc = fcntl(STDIN_FILENO, F_SETOWN_EX, &ox);
	report("F_SETOWN_EX btd", rc, errno);
	rc = fcntl(STDIN_FILENO, F_SETSIG, SIGKILL);
	report("F_SETSIG", rc, errno);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	report("netlink sock_diag", fd, errno);
	if (fd != -1)
		close(fd);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	report("netlink route", fd, errno);
	if (fd != -1)
		close(fd);
}

/*
 * A second exec: the dynamic loader, opened at each free descriptor
 * number in turn (btd's sandbox allowed execveat on one number), runs
 * /bin/sh, which would say ALLOWED itself.
 */
static void
probe_loader(void)
{
	static const char *const loaders[] = {
		"/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1",
	};
	char	*argv[] = { "ld.so", "/bin/sh", "-c",
	    "echo 'probe: exec via loader: ALLOWED' >&2", NULL };
	size_t	 i;
	int	 lfd = -1, fd, error = ENOENT, tried = 0;

	for (i = 0; i < sizeof(loaders) / sizeof(loaders[0]) && lfd == -1; i++)
		lfd = open(loaders[i], O_PATH | O_CLOEXEC);
	if (lfd == -1) {
		report("exec via loader", -1, errno);
		return;
	}
	for (fd = 0; fd < PROBE_FD_MAX; fd++) {
		if (fd != lfd && fcntl(fd, F_GETFD) != -1)
			continue;	/* in use */
		if (fd != lfd && dup2(lfd, fd) == -1)
			continue;
		tried++;
		syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
		error = errno;
		if (fd != lfd)
			close(fd);
	}
	close(lfd);
	log_info("probe: exec via loader: tried %d descriptor numbers", tried);
	report("exec via loader", -1, error);
}

/*
 * trackerd's probe also floods its log: one line of PROBE_LONG_LINE
 * bytes, then PROBE_FLOOD_LINES short ones at once.  btd must cut the
 * long one and drop what is over its rate.
 */
#define PROBE_LONG_LINE		5000
#define PROBE_FLOOD_LINES	20000

static void
probe_flood(void)
{
	static char	 buf[PROBE_LONG_LINE + 2];
	int		 i;

	memset(buf, 'L', PROBE_LONG_LINE);
	buf[PROBE_LONG_LINE] = '\n';
	(void)write(STDERR_FILENO, buf, PROBE_LONG_LINE + 1);
	for (i = 0; i < PROBE_FLOOD_LINES; i++)
		dprintf(STDERR_FILENO, "flood %d\n", i);
}

/* Where the role's log goes, and its working directory. */
static void
probe_stdio(void)
{
	struct stat	 sb;
	char		 cwd[4096];
	int		 rc;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "unknown (%s)", strerror(errno));
	log_info("probe: cwd: %s", cwd);
	if (fstat(STDERR_FILENO, &sb) == 0)
		log_info("probe: stderr: %s", S_ISFIFO(sb.st_mode) ? "pipe" :
		    S_ISREG(sb.st_mode) ? "regular file" : "other");
	if (fstat(STDOUT_FILENO, &sb) == 0)
		log_info("probe: stdout: %s", S_ISFIFO(sb.st_mode) ? "pipe" :
		    S_ISREG(sb.st_mode) ? "regular file" : "other");
	rc = ftruncate(STDERR_FILENO, 0);
	report("truncate stderr", rc, errno);
	/* A line that would pass for btd's, with a terminal escape. */
	dprintf(STDERR_FILENO, "btd[1]: FORGED \x1b[31mred\n");
}

/* rpcd's web dir, when btd handed one over: read it, nothing more. */
static void
probe_web(void)
{
	struct stat	 st;
	int		 fd;

	if (fstat(SANDBOX_WEB_FD, &st) == -1 || !S_ISDIR(st.st_mode)) {
		log_info("probe: web dir: none");
		return;
	}
	fd = openat(SANDBOX_WEB_FD, "index.html", O_RDONLY | O_CLOEXEC);
	report("read web dir", fd, errno);
	if (fd != -1)
		close(fd);
	fd = openat(SANDBOX_WEB_FD, "index.html", O_WRONLY | O_CLOEXEC);
	report("write web dir", fd, errno);
	if (fd != -1)
		close(fd);
	fd = openat(SANDBOX_WEB_FD, "../web-secret", O_RDONLY | O_CLOEXEC);
	report("read beside web dir", fd, errno);
	if (fd != -1)
		close(fd);
}

/* rpcd's listening socket from btd: there, and nothing more to do. */
static void
probe_listen(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin), olen;
	int			 on = 0, rc;

	olen = sizeof(on);
	if (getsockname(SANDBOX_LISTEN_FD, (struct sockaddr *)&sin,
	    &len) == -1 || sin.sin_family != AF_INET ||
	    getsockopt(SANDBOX_LISTEN_FD, SOL_SOCKET, SO_ACCEPTCONN, &on,
	    &olen) == -1 || !on) {
		log_info("probe: listen fd: none");
		return;
	}
	log_info("probe: listen fd: inet, listening, port %u",
	    (unsigned)ntohs(sin.sin_port));
	rc = bind(SANDBOX_LISTEN_FD, (struct sockaddr *)&sin, len);
	report("bind own socket", rc, errno);
	rc = listen(SANDBOX_LISTEN_FD, 64);
	report("listen own socket", rc, errno);
}

static void
probe_confine(void)
{
	char	*sh_argv[] = {
		"sh", "-c", "echo 'probe: execve /bin/sh: ALLOWED' >&2", NULL
	};
	char	 wpath[64];
	int	 fd, rc;

	fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	report("open /etc/passwd", fd, errno);
	if (fd != -1)
		close(fd);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	report("socket inet", fd, errno);
	if (fd != -1)
		close(fd);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	report("socket unix", fd, errno);
	if (fd != -1)
		close(fd);

	probe_connect_ctl();

	/* Returns only when refused; a shell would say ALLOWED itself. */
	execve("/bin/sh", sh_argv, environ);
	report("execve /bin/sh", -1, errno);

	snprintf(wpath, sizeof(wpath), PROBE_WRITE, (int)getppid());
	fd = open(wpath, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	report("write /tmp", fd, errno);
	if (fd != -1)
		close(fd);

	rc = kill(getppid(), 0);
	report("signal btd", rc, errno);
	if (def.role == BTD__ROLE__RPCD) {
		probe_web();
		probe_listen();
	}
	probe_cross();
	probe_loader();
	probe_stdio();
	log_info("probe: done");
}

/* Bind a TCP socket on 127.0.0.1:port; 0 or -1 with errno. */
static int
try_bind(long port)
{
	struct sockaddr_in	 sin;
	int			 s, rc, saved, one = 1;

	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/*
	 * Three probes try the same port at once; none listens, so with
	 * SO_REUSEADDR on each they do not refuse one another and only
	 * the sandbox can.
	 */
	(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = bind(s, (struct sockaddr *)&sin, sizeof(sin));
	saved = errno;
	close(s);
	errno = saved;
	return rc;
}

/* Connect to 127.0.0.1:port; 0 or -1 with errno. */
static int
try_connect(long port)
{
	struct sockaddr_in	 sin;
	int			 s, rc, saved;

	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(s, (struct sockaddr *)&sin, sizeof(sin));
	saved = errno;
	close(s);
	errno = saved;
	return rc;
}

/* The checks that depend on settings, once, from the first Config. */
static void
probe_config(const char *key, const char *value)
{
	static int	 have_dir, have_port, have_rpc;
	static long	 peer_port;
	const char	*colon;
	char		 path[4096];
	long		 port;
	int		 fd, rc;

	if (strcmp(key, "download_dir") == 0 && !have_dir) {
		have_dir = 1;
		snprintf(path, sizeof(path), "%s/probe-%d", value,
		    (int)getpid());
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		report("write download_dir", fd, errno);
		if (fd != -1) {
			close(fd);
			(void)unlink(path);
		}
	}
	if (strcmp(key, "peer_port") == 0 && !have_port) {
		have_port = 1;
		port = strtol(value, NULL, 10);
		peer_port = port;
		/* The call first: the order of arguments is unspecified. */
		rc = try_bind(port);
		report("bind peer_port", rc, errno);
		rc = try_bind(port + 1);
		report("bind other port", rc, errno);
	}
	/* After peer_port in every Config: the order of btd's keys. */
	if (strcmp(key, "rpc_bind") == 0 && !have_rpc && have_port &&
	    (colon = strrchr(value, ':')) != NULL) {
		have_rpc = 1;
		/* The call first: the order of arguments is unspecified. */
		rc = try_bind(strtol(colon + 1, NULL, 10));
		report("bind rpc_port", rc, errno);
		rc = try_connect(peer_port);
		report("connect out", rc, errno);
	}
	if (have_dir && have_port && have_rpc &&
	    strcmp(key, "rpc_bind") == 0) {
		log_info("probe: config done");
		/* Last: what follows may be dropped by btd's rate limit. */
		if (def.role == BTD__ROLE__TRACKERD)
			probe_flood();
	}
}

/* A frame header for 0xfffffff0 bytes, then junk: btd must give up. */
static void
garbage_cb(evutil_socket_t fd, short ev, void *arg)
{
	static const char	 junk[] = "\xff\xff\xff\xf0garbage";
	ssize_t			 n;

	(void)fd;
	(void)ev;
	(void)arg;
	n = write(ROLE_FD_BTD, junk, sizeof(junk) - 1);
	log_info("probe: wrote %zd bytes of garbage to btd", n);
}

/* Blame stored for a violation on a link that was never made. */
static void
forge_cb(evutil_socket_t fd, short ev, void *arg)
{
	Btd__LinkState	 ls = BTD__LINK_STATE__INIT;
	int		 victim;

	(void)fd;
	(void)ev;
	(void)arg;
	victim = def.role == BTD__ROLE__STORED ? BTD__ROLE__METAD :
	    BTD__ROLE__STORED;
	ls.peer = (Btd__Role)victim;
	ls.generation = 0;
	ls.up = 0;
	ls.violation = 1;
	ls.error = (char *)(uintptr_t)"forged";
	if (msg_send_common(role_btd_chan(), def.btd_env, MSG_LINK, &ls.base,
	    -1) == -1)
		log_warn("probe: forged LinkState");
	else
		log_info("probe: sent a forged LinkState blaming %s",
		    util_role_name(victim));
}

static void
probe_forge(void)
{
	static struct timeval	 tv = {
		GARBAGE_DELAY_MS / 1000, (GARBAGE_DELAY_MS % 1000) * 1000
	};

	if (event_base_once(role_base(), -1, EV_TIMEOUT, forge_cb, NULL,
	    &tv) == -1)
		fatalx("probe: cannot schedule the forgery");
}

static void
probe_garbage(void)
{
	static struct timeval	 tv = {
		GARBAGE_DELAY_MS / 1000, (GARBAGE_DELAY_MS % 1000) * 1000
	};

	if (event_base_once(role_base(), -1, EV_TIMEOUT, garbage_cb, NULL,
	    &tv) == -1)
		fatalx("probe: cannot schedule the garbage");
}

int
main(int argc, char **argv)
{
	const char	*base;

	if (argc < 2 || probe_def(argv[1]) == -1) {
		dprintf(STDERR_FILENO, "usage: %s trackerd|peerd|stored|metad|"
		    "rpcd [-v ...]\n", argc > 0 ? argv[0] : "probe_role");
		return 2;
	}
	base = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 :
	    argv[0];
	def.keep_exec = strncmp(base, "probe_mayexec",
	    strlen("probe_mayexec")) == 0;
	role_init(&def, argc, argv);
	if (strncmp(base, "probe_confine", strlen("probe_confine")) == 0) {
		def.config = probe_config;
		probe_confine();
	} else if (strncmp(base, "probe_forge", strlen("probe_forge")) == 0) {
		def.config = probe_config;
		probe_confine();
		probe_forge();
	}
	else if (strncmp(base, "probe_garbage", strlen("probe_garbage")) == 0)
		probe_garbage();
	else if (strncmp(base, "probe_crashcheck",
	    strlen("probe_crashcheck")) == 0 && def.role == BTD__ROLE__STORED)
		def.btd_handler = probe_crash_btd;
	role_run();
}
