/*
 * sandbox.c -- confine a role in the child between fork and exec.
 *
 * sandbox_exec() applies the layers listed in sandbox.h and executes the
 * role through execveat() on a descriptor opened before confinement, so
 * that the seccomp filter, installed last, can allow exactly that one
 * exec and refuse every other.  Every step that fails ends the attempt
 * with a "layer: reason" line for btd; nothing is executed half
 * confined.  Where Landlock is absent (or capped to 0 by
 * landlock_abi_max) the role runs with seccomp and uids alone unless
 * the policy requires Landlock; then it is refused, and the supervisor
 * reports why the role is not running.
 *
 * Landlock: each role may read the system libraries and the loader
 * cache, and read and execute its own binary and the dynamic loader (the
 * kernel asks for both on the binary and on its interpreter).  trackerd
 * adds the resolver's files and the CA certificates, stored its download
 * trees with every right, rpcd its web dir to read.  TCP bind and
 * connect are handled per role (rpcd may do neither: btd bound its
 * socket); from ABI 6 on, signals and abstract
 * Unix sockets are scoped to the domain.  Everything else, /etc/passwd
 * and /proc included, is refused.
 *
 * seccomp: an allow-list per role on top of a base that the loader,
 * glibc, libevent and protobuf-c need.  It alone carries what is between
 * processes, on every kernel: signals and prlimit only on the role
 * itself, no F_SETOWN/F_SETSIG, no ptrace, no AF_UNIX socket, and one
 * exec, btd's; the role then adds a filter refusing exec
 * (sandbox_noexec()).  Anything not listed fails with
 * ENOSYS, which glibc treats as "not implemented" and falls back from
 * (clone3 to clone, for one).  What a compromised role would want
 * (execve, fork, ptrace, kill, AF_UNIX sockets, socketpair) fails with
 * EPERM, so that a log line shows a refusal, not a missing feature.
 *
 * Rejected alternative: exec first and let each role confine itself.
 * A replacement binary (or a compromised one) would then choose its own
 * confinement; applying it here binds whatever is executed.
 */
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "sandbox.h"
#include "util.h"

/*
 * Tunables: resource limits of each role.  RLIMIT_CORE is 0 for every
 * role (a core file would hold peers' data).  A limit above the
 * inherited hard limit is lowered to it; an address space limit of 0
 * leaves the inherited one.
 *   trackerd  nofile 1024, as 2 GiB (a resolver thread reserves arenas)
 *   peerd     nofile 8192 (one per peer connection), as inherited
 *   stored    nofile 4096 (open pieces files), as inherited
 *   metad     nofile 64, as 1 GiB (it parses untrusted info dicts)
 *   rpcd      nofile 256 (its HTTP clients are capped below that), as
 *             1 GiB (it parses untrusted JSON)
 */
static const struct {
	const char	*name;		/* the seccomp policy's name */
	rlim_t		 nofile;
	rlim_t		 as;		/* bytes; 0: inherited */
} limits[] = {
	[SANDBOX_TRACKERD] = { "trackerd", 1024, (rlim_t)2 << 30 },
	[SANDBOX_PEERD] = { "peerd", 8192, 0 },
	[SANDBOX_STORED] = { "stored", 4096, 0 },
	[SANDBOX_METAD] = { "metad", 64, (rlim_t)1 << 30 },
	[SANDBOX_RPCD] = { "rpcd", 256, (rlim_t)1 << 30 },
};

/*
 * Landlock definitions newer than Debian 12's <linux/landlock.h>, with
 * the values of the kernel's UAPI.
 */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset	444
#define __NR_landlock_add_rule		445
#define __NR_landlock_restrict_self	446
#endif
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER	(1ULL << 13)	/* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE	(1ULL << 14)	/* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV	(1ULL << 15)	/* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP	(1ULL << 0)	/* ABI 4 */
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP
#define LANDLOCK_ACCESS_NET_CONNECT_TCP	(1ULL << 1)	/* ABI 4 */
#endif
#ifndef LANDLOCK_RULE_NET_PORT
#define LANDLOCK_RULE_NET_PORT		2		/* ABI 4 */
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)	/* ABI 6 */
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL		(1ULL << 1)	/* ABI 6 */
#endif

/* struct landlock_ruleset_attr as of ABI 6; its size tells the ABI. */
struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;	/* ABI 4 */
	uint64_t	scoped;			/* ABI 6 */
};

/* struct landlock_net_port_attr (ABI 4). */
struct ll_net_port_attr {
	uint64_t	allowed_access;
	uint64_t	port;
} __attribute__((packed));

#define LL_RO_FILE	LANDLOCK_ACCESS_FS_READ_FILE
#define LL_RO_DIR	(LANDLOCK_ACCESS_FS_READ_FILE | \
			    LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_EXEC		(LANDLOCK_ACCESS_FS_READ_FILE | \
			    LANDLOCK_ACCESS_FS_EXECUTE)

/* A path a role may read; absent ones are skipped. */
struct ll_path {
	const char	*path;
	uint64_t	 access;
};

static const struct ll_path ll_system[] = {
	{ "/usr",		LL_RO_DIR },
	{ "/lib",		LL_RO_DIR },	/* a link to /usr/lib on Debian */
	{ "/lib64",		LL_RO_DIR },
	{ "/etc/ld.so.cache",	LL_RO_FILE },
};

/* The dynamic loaders, resolved with realpath(). */
static const char *const ll_loaders[] = {
	"/lib64/ld-linux-x86-64.so.2",
	"/lib/ld-linux-aarch64.so.1",
};

/* trackerd: getaddrinfo() and TLS. */
static const struct ll_path ll_trackerd[] = {
	{ "/etc/ssl",		LL_RO_DIR },
	{ "/etc/ca-certificates", LL_RO_DIR },
	{ "/etc/resolv.conf",	LL_RO_FILE },
	{ "/etc/hosts",		LL_RO_FILE },
	{ "/etc/nsswitch.conf",	LL_RO_FILE },
	{ "/etc/gai.conf",	LL_RO_FILE },
	{ "/etc/host.conf",	LL_RO_FILE },
	{ "/etc/services",	LL_RO_FILE },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * seccomp allow-lists.  The base serves the dynamic loader, glibc,
 * libevent (epoll) and protobuf-c in every role.
 */
static const char *const sc_base[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "close",
	"fstat", "newfstatat", "statx", "lseek", "mmap", "mprotect",
	"munmap", "mremap", "madvise", "brk", "openat", "access",
	"faccessat", "faccessat2", "readlink", "readlinkat", "getcwd",
	"arch_prctl", "set_tid_address", "set_robust_list", "rseq",
	"getrandom", "futex", "rt_sigaction", "rt_sigprocmask",
	"rt_sigreturn", "sigaltstack", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll",
	"select", "pselect6", "clock_gettime", "clock_getres",
	"clock_nanosleep", "nanosleep", "gettimeofday", "getpid", "gettid",
	"getppid", "getuid", "geteuid", "getgid", "getegid", "getresuid",
	"getresgid", "uname", "sched_getaffinity", "sched_yield", "sysinfo",
	"dup", "dup2", "dup3", "sendmsg", "recvmsg", "sendto",
	"recvfrom", "shutdown", "getsockopt", "setsockopt", "getsockname",
	"getpeername", "eventfd2", "pipe2", "timerfd_create",
	"timerfd_settime", "exit", "exit_group", "close_range", "membarrier",
	"restart_syscall",
	NULL
};

static const char *const sc_trackerd[] = {
	"connect", "bind", "sendmmsg", "recvmmsg",
	NULL
};

static const char *const sc_peerd[] = {
	"bind", "listen", "accept", "accept4", "connect",
	NULL
};

/*
 * rpcd: an HTTP server on the one listening socket btd bound to
 * rpc_bind and left at SANDBOX_LISTEN_FD.  So no bind and no listen
 * (EPERM through sc_net), and no socket at all (sc_build() names no
 * family): on a kernel whose Landlock cannot restrict TCP ports
 * (ABI < 4) seccomp, which cannot see an address, refuses every bind
 * just the same.  evhttp only accepts on that socket; libevent's own
 * notification uses eventfd or a pipe, never a socket.  No connect: it
 * never dials out, whatever a client asks.
 */
static const char *const sc_rpcd[] = {
	"accept", "accept4",
	/*
	 * openat2: the web interface's files are opened beneath the web
	 * dir's descriptor with RESOLVE_BENEATH, so that neither ".." nor
	 * a symlink leads out of it (rpcd_web.c).
	 */
	"openat2",
	NULL
};

/*
 * stored: file work under its download trees.  mkdir, rmdir, unlink and
 * rename are the forms glibc's functions of those names use on x86_64;
 * Landlock bounds them exactly as their *at twins.
 */
static const char *const sc_stored[] = {
	/*
	 * pwritev and preadv: the block cache writes a piece's blocks in
	 * runs, one call each, and reads a piece for uploads the same way.
	 * fallocate: preallocation full gives a new file its whole size.
	 */
	"pwritev", "preadv",
	"openat2", "fdatasync", "fsync", "fallocate", "ftruncate", "mkdirat",
	"unlinkat", "renameat", "renameat2", "fchmod", "utimensat",
	"getdents64", "statfs", "fstatfs", "sync_file_range",
	"copy_file_range", "readahead", "fadvise64", "mkdir", "rmdir",
	"unlink", "rename",
	NULL
};

/* Refused with EPERM in every role (execveat: see sc_exec()). */
static const char *const sc_deny[] = {
	"execve", "fork", "vfork", "ptrace", "process_vm_readv",
	"process_vm_writev", "socketpair",
	NULL
};

/* Refused with EPERM where the role's list does not allow them. */
static const char *const sc_net[] = {
	"connect", "bind", "listen", "accept", "accept4",
	NULL
};

static const unsigned long sc_ioctls[] = { TCGETS, FIONREAD, FIONBIO };
static const unsigned long sc_seccomp_ops[] = { SECCOMP_SET_MODE_FILTER };
static const unsigned long sc_prctls[] = {
	PR_SET_NAME, PR_GET_NAME, PR_GET_DUMPABLE
};

/*
 * fcntl() commands a role may use.  F_SETOWN, F_SETOWN_EX and F_SETSIG
 * are refused: with O_ASYNC they would aim SIGIO (or any signal) at
 * another process, a path around the signal rules below that Landlock
 * scopes only from ABI 6.
 */
static const unsigned long sc_fcntls[] = {
	F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL,
	F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW,
	F_GETOWN, F_GETSIG, F_GETOWN_EX, F_GETPIPE_SZ, F_ADD_SEALS,
	F_GET_SEALS,
};
static const unsigned long sc_fcntl_deny[] = {
	F_SETOWN, F_SETOWN_EX, F_SETSIG,
};

/*
 * Socket families; anything else, AF_UNIX first, is refused.  trackerd
 * resolves names with glibc, which asks the kernel for the host's
 * addresses over NETLINK_ROUTE (getaddrinfo's AI_ADDRCONFIG); any other
 * netlink protocol (NETLINK_SOCK_DIAG lists every socket on the host)
 * is refused.
 */
static const int sc_inet[] = { AF_INET, AF_INET6, -1 };
static const int sc_resolver[] = { AF_INET, AF_INET6, AF_NETLINK, -1 };

/* Set the error line (util_seterr()) and evaluate to -1. */
#define sbx_err(err, errlen, ...) \
	(util_seterr((err), (errlen), __VA_ARGS__), -1)

static int
kind_valid(enum sandbox_kind kind)
{
	return kind == SANDBOX_TRACKERD || kind == SANDBOX_PEERD ||
	    kind == SANDBOX_STORED || kind == SANDBOX_METAD ||
	    kind == SANDBOX_RPCD;
}

int
sandbox_landlock_abi(void)
{
	long	 abi;

	abi = syscall(__NR_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0)
		return 0;	/* ENOSYS, EOPNOTSUPP: none (or disabled) */
	return (int)abi;
}

/* The filesystem rights a kernel of this ABI knows. */
static uint64_t
ll_fs_rights(int abi)
{
	uint64_t	 r;

	if (abi < 1)
		return 0;
	r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;	/* bits 0-12 */
	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return r;
}

/* The TCP rights a role's ruleset handles (ABI 4 on). */
static uint64_t
ll_net_handled(enum sandbox_kind kind)
{
	switch (kind) {
	case SANDBOX_TRACKERD:
	case SANDBOX_PEERD:
		return LANDLOCK_ACCESS_NET_BIND_TCP;
	case SANDBOX_STORED:
	case SANDBOX_METAD:
	case SANDBOX_RPCD:
		break;
	}
	return LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
}

/* Allow access beneath the file or directory open at fd (O_PATH). */
static int
ll_allow_fd(int rfd, int fd, const char *path, uint64_t access, char *err,
    size_t errlen)
{
	struct landlock_path_beneath_attr	 pb;

	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = access;
	pb.parent_fd = fd;
	if (syscall(__NR_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH,
	    &pb, 0) == -1)
		return sbx_err(err, errlen, "landlock: rule for %s: %s", path,
		    strerror(errno));
	return 0;
}

/*
 * Allow access beneath path.  A missing path is skipped when optional;
 * any other failure fails the ruleset.
 */
static int
ll_allow(int rfd, const char *path, uint64_t access, int optional,
    char *err, size_t errlen)
{
	int	 fd, rc;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1) {
		if (optional && errno == ENOENT)
			return 0;
		return sbx_err(err, errlen, "landlock: %s: %s", path,
		    strerror(errno));
	}
	rc = ll_allow_fd(rfd, fd, path, access, err, errlen);
	close(fd);
	return rc;
}

static int
ll_allow_list(int rfd, const struct ll_path *list, size_t n, char *err,
    size_t errlen)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (ll_allow(rfd, list[i].path, list[i].access, 1, err,
		    errlen) == -1)
			return -1;
	return 0;
}

/*
 * The rules of a role.  The binary's rule is added through exec_fd: the
 * very file executed, whatever happens to its path, and opened while
 * the path could still be searched as root.
 */
static int
ll_rules(const struct sandbox_policy *p, int exec_fd, int rfd, int abi,
    char *err, size_t errlen)
{
	struct ll_net_port_attr	 np;
	char			 real[PATH_MAX];
	size_t			 i;
	int			 n;

	if (ll_allow_list(rfd, ll_system, NITEMS(ll_system), err,
	    errlen) == -1)
		return -1;
	for (i = 0; i < NITEMS(ll_loaders); i++) {
		if (realpath(ll_loaders[i], real) == NULL) {
			if (errno == ENOENT)
				continue;
			return sbx_err(err, errlen, "landlock: %s: %s",
			    ll_loaders[i], strerror(errno));
		}
		if (ll_allow(rfd, real, LL_EXEC, 0, err, errlen) == -1)
			return -1;
	}
	if (ll_allow_fd(rfd, exec_fd, p->exec, LL_EXEC, err, errlen) == -1)
		return -1;

	switch (p->kind) {
	case SANDBOX_TRACKERD:
		if (ll_allow_list(rfd, ll_trackerd, NITEMS(ll_trackerd), err,
		    errlen) == -1)
			return -1;
		break;
	case SANDBOX_RPCD:
		/*
		 * The descriptor sandbox_exec() opened (web_open()).  TCP
		 * bind and connect are handled with no rule: from ABI 4 on
		 * Landlock refuses every bind too, a second fence behind
		 * seccomp's.
		 */
		if (p->ro_dir != NULL && ll_allow_fd(rfd, SANDBOX_WEB_FD,
		    p->ro_dir, LL_RO_DIR, err, errlen) == -1)
			return -1;
		break;
	case SANDBOX_PEERD:
		if (abi < 4 || p->bind_port == 0)
			break;
		memset(&np, 0, sizeof(np));
		np.allowed_access = LANDLOCK_ACCESS_NET_BIND_TCP;
		np.port = p->bind_port;
		if (syscall(__NR_landlock_add_rule, rfd,
		    LANDLOCK_RULE_NET_PORT, &np, 0) == -1)
			return sbx_err(err, errlen,
			    "landlock: rule for tcp port %u: %s",
			    (unsigned)p->bind_port, strerror(errno));
		break;
	case SANDBOX_STORED:
		if (p->nrw_dirs < 0 || p->nrw_dirs > SANDBOX_MAX_DIRS)
			return sbx_err(err, errlen,
			    "landlock: %d download dirs", p->nrw_dirs);
		/* The descriptors sandbox_exec() opened (roots_open()). */
		for (n = 0; n < p->nrw_dirs; n++)
			if (ll_allow_fd(rfd, SANDBOX_ROOT_FD + n, p->rw_dirs[n],
			    ll_fs_rights(abi), err, errlen) == -1)
				return -1;
		break;
	case SANDBOX_METAD:
		break;
	}
	return 0;
}

/* The ABI a policy uses: the kernel's, lowered to the policy's cap. */
static int
ll_abi(const struct sandbox_policy *p)
{
	int	 abi = sandbox_landlock_abi();

	if (p->landlock_abi_max >= 0 && abi > p->landlock_abi_max)
		abi = p->landlock_abi_max;
	return abi;
}

static int
ll_apply(const struct sandbox_policy *p, int exec_fd, char *err,
    size_t errlen)
{
	struct ll_ruleset_attr	 attr;
	size_t			 size;
	int			 abi, rfd, saved;

	if ((abi = ll_abi(p)) < 1) {
		if (p->landlock_required)
			return sbx_err(err, errlen, "landlock: %s, and "
			    "without_landlock is refuse",
			    sandbox_landlock_abi() < 1 ?
			    "not supported by this kernel" :
			    "capped to 0 by landlock_abi_max");
		return 0;	/* seccomp and uids only, as configured */
	}

	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = ll_fs_rights(abi);
	size = sizeof(attr.handled_access_fs);
	if (abi >= 4) {
		attr.handled_access_net = ll_net_handled(p->kind);
		size += sizeof(attr.handled_access_net);
	}
	if (abi >= 6) {
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET |
		    LANDLOCK_SCOPE_SIGNAL;
		size += sizeof(attr.scoped);
	}
	rfd = (int)syscall(__NR_landlock_create_ruleset, &attr, size, 0);
	if (rfd == -1)
		return sbx_err(err, errlen, "landlock: create ruleset: %s",
		    strerror(errno));
	if (ll_rules(p, exec_fd, rfd, abi, err, errlen) == -1) {
		close(rfd);
		return -1;
	}
	if (syscall(__NR_landlock_restrict_self, rfd, 0) == -1) {
		saved = errno;
		close(rfd);
		return sbx_err(err, errlen, "landlock: restrict: %s",
		    strerror(saved));
	}
	close(rfd);
	return 0;
}

/*
 * Add one rule for the syscall named.  A name this libseccomp does not
 * know, or a syscall this architecture lacks, keeps the default action.
 */
static int
sc_rule(scmp_filter_ctx ctx, uint32_t action, const char *name,
    unsigned int ncmp, const struct scmp_arg_cmp *cmp, char *err,
    size_t errlen)
{
	int	 nr, rc;

	if ((nr = seccomp_syscall_resolve_name(name)) < 0)
		return 0;
	if ((rc = seccomp_rule_add_array(ctx, action, nr, ncmp, cmp)) < 0)
		return sbx_err(err, errlen, "seccomp: rule for %s: %s", name,
		    strerror(-rc));
	return 0;
}

static int
sc_rules(scmp_filter_ctx ctx, uint32_t action, const char *const *names,
    char *err, size_t errlen)
{
	for (; *names != NULL; names++)
		if (sc_rule(ctx, action, *names, 0, NULL, err, errlen) == -1)
			return -1;
	return 0;
}

static int
sc_listed(const char *const *names, const char *name)
{
	for (; names != NULL && *names != NULL; names++)
		if (strcmp(*names, name) == 0)
			return 1;
	return 0;
}

/* AF_NETLINK with NETLINK_ROUTE only; every other protocol EPERM. */
static int
sc_netlink(scmp_filter_ctx ctx, char *err, size_t errlen)
{
	struct scmp_arg_cmp	 cmp[2];

	cmp[0] = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)AF_NETLINK);
	cmp[1] = SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)NETLINK_ROUTE);
	if (sc_rule(ctx, SCMP_ACT_ALLOW, "socket", 2, cmp, err, errlen) == -1)
		return -1;
	cmp[1] = SCMP_A2(SCMP_CMP_NE, (scmp_datum_t)NETLINK_ROUTE);
	return sc_rule(ctx, SCMP_ACT_ERRNO(EPERM), "socket", 2, cmp, err,
	    errlen);
}

/*
 * Signals and resource limits only on the caller itself, whatever the
 * kernel's Landlock ABI: kill(), tgkill() and tkill() with the role's
 * own pid (its tgid: sandbox_exec() runs in the process that becomes
 * the role), prlimit64() with pid 0.  Everything aimed elsewhere is
 * EPERM.  Without this, a role sharing btd's uid (non-root mode) could
 * stop btd, or set its RLIMIT_FSIZE to 0.
 */
static int
sc_self(scmp_filter_ctx ctx, pid_t self, char *err, size_t errlen)
{
	static const char *const sig[] = { "kill", "tgkill", "tkill" };
	struct scmp_arg_cmp	 cmp;
	size_t			 i;

	for (i = 0; i < NITEMS(sig); i++) {
		cmp = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self);
		if (sc_rule(ctx, SCMP_ACT_ALLOW, sig[i], 1, &cmp, err,
		    errlen) == -1)
			return -1;
		cmp = SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)self);
		if (sc_rule(ctx, SCMP_ACT_ERRNO(EPERM), sig[i], 1, &cmp, err,
		    errlen) == -1)
			return -1;
	}
	cmp = SCMP_A0(SCMP_CMP_EQ, 0);
	if (sc_rule(ctx, SCMP_ACT_ALLOW, "prlimit64", 1, &cmp, err,
	    errlen) == -1)
		return -1;
	cmp = SCMP_A0(SCMP_CMP_NE, 0);
	return sc_rule(ctx, SCMP_ACT_ERRNO(EPERM), "prlimit64", 1, &cmp, err,
	    errlen);
}

/*
 * socket(): the families listed (-1 ends the list), EPERM for every
 * other one, AF_UNIX included; a NULL list refuses them all.
 */
static int
sc_socket(scmp_filter_ctx ctx, const int *families, char *err,
    size_t errlen)
{
	struct scmp_arg_cmp	 cmp;
	const int		*f;
	int			 af, ok;

	if (families == NULL)
		return sc_rule(ctx, SCMP_ACT_ERRNO(EPERM), "socket", 0, NULL,
		    err, errlen);
	for (af = 0; af < AF_MAX; af++) {
		for (ok = 0, f = families; *f != -1; f++)
			if (*f == af)
				ok = 1;
		if (ok && af == AF_NETLINK) {
			if (sc_netlink(ctx, err, errlen) == -1)
				return -1;
			continue;
		}
		cmp = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)af);
		if (sc_rule(ctx, ok ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EPERM),
		    "socket", 1, &cmp, err, errlen) == -1)
			return -1;
	}
	cmp = SCMP_A0(SCMP_CMP_GE, (scmp_datum_t)AF_MAX);
	return sc_rule(ctx, SCMP_ACT_ERRNO(EPERM), "socket", 1, &cmp, err,
	    errlen);
}

/*
 * execveat() only as sandbox_exec() calls it: on exec_fd, with an empty
 * path.  exec_fd is close-on-exec, so after the exec the role cannot
 * repeat it unless it opens a file at that number, and Landlock lets it
 * execute nothing but its own binary.
 */
static int
sc_exec(scmp_filter_ctx ctx, int exec_fd, char *err, size_t errlen)
{
	struct scmp_arg_cmp	 cmp[2];

	cmp[0] = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)exec_fd);
	cmp[1] = SCMP_A4(SCMP_CMP_EQ, (scmp_datum_t)AT_EMPTY_PATH);
	if (sc_rule(ctx, SCMP_ACT_ALLOW, "execveat", 2, cmp, err,
	    errlen) == -1)
		return -1;
	cmp[0] = SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)exec_fd);
	if (sc_rule(ctx, SCMP_ACT_ERRNO(EPERM), "execveat", 1, &cmp[0], err,
	    errlen) == -1)
		return -1;
	cmp[1] = SCMP_A4(SCMP_CMP_NE, (scmp_datum_t)AT_EMPTY_PATH);
	return sc_rule(ctx, SCMP_ACT_ERRNO(EPERM), "execveat", 1, &cmp[1],
	    err, errlen);
}

/*
 * clone(): threads only (trackerd's resolver; stored's flusher and
 * hasher, which run fdatasync() and SHA-1 off the event loop), no new
 * process.  clone3
 * keeps the default ENOSYS, so glibc falls back to clone, whose flags a
 * filter can see.
 */
static int
sc_clone(scmp_filter_ctx ctx, int threads, char *err, size_t errlen)
{
	struct scmp_arg_cmp	 cmp;

	if (!threads)
		return sc_rule(ctx, SCMP_ACT_ERRNO(EPERM), "clone", 0, NULL,
		    err, errlen);
	cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
	if (sc_rule(ctx, SCMP_ACT_ALLOW, "clone", 1, &cmp, err, errlen) == -1)
		return -1;
	cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0);
	return sc_rule(ctx, SCMP_ACT_ERRNO(EPERM), "clone", 1, &cmp, err,
	    errlen);
}

/* Take action for syscall name when argument arg is one of vals. */
static int
sc_args_act(scmp_filter_ctx ctx, uint32_t action, const char *name,
    unsigned int arg, const unsigned long *vals, size_t n, char *err,
    size_t errlen)
{
	struct scmp_arg_cmp	 cmp;
	size_t			 i;

	for (i = 0; i < n; i++) {
		memset(&cmp, 0, sizeof(cmp));
		cmp.arg = arg;
		cmp.op = SCMP_CMP_EQ;
		cmp.datum_a = vals[i];
		if (sc_rule(ctx, action, name, 1, &cmp, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* Allow syscall name when argument arg is one of vals. */
static int
sc_args(scmp_filter_ctx ctx, const char *name, unsigned int arg,
    const unsigned long *vals, size_t n, char *err, size_t errlen)
{
	return sc_args_act(ctx, SCMP_ACT_ALLOW, name, arg, vals, n, err,
	    errlen);
}

static int
sc_build(scmp_filter_ctx ctx, const struct sandbox_policy *p, int exec_fd,
    char *err, size_t errlen)
{
	const char *const	*extra = NULL, *const *n;
	const int		*families = NULL;

	switch (p->kind) {
	case SANDBOX_TRACKERD:
		extra = sc_trackerd;
		families = sc_resolver;
		break;
	case SANDBOX_PEERD:
		extra = sc_peerd;
		families = sc_inet;
		break;
	case SANDBOX_STORED:
		extra = sc_stored;
		break;
	case SANDBOX_RPCD:
		/* No family: no socket() (see sc_rpcd). */
		extra = sc_rpcd;
		break;
	case SANDBOX_METAD:
		break;
	}
	if (sc_rules(ctx, SCMP_ACT_ALLOW, sc_base, err, errlen) == -1)
		return -1;
	if (extra != NULL &&
	    sc_rules(ctx, SCMP_ACT_ALLOW, extra, err, errlen) == -1)
		return -1;
	if (sc_rules(ctx, SCMP_ACT_ERRNO(EPERM), sc_deny, err, errlen) == -1)
		return -1;
	for (n = sc_net; *n != NULL; n++)
		if (!sc_listed(extra, *n) && sc_rule(ctx,
		    SCMP_ACT_ERRNO(EPERM), *n, 0, NULL, err, errlen) == -1)
			return -1;
	if (sc_args(ctx, "ioctl", 1, sc_ioctls, NITEMS(sc_ioctls), err,
	    errlen) == -1)
		return -1;
	if (sc_args(ctx, "prctl", 0, sc_prctls, NITEMS(sc_prctls), err,
	    errlen) == -1)
		return -1;
	if (sc_args(ctx, "fcntl", 1, sc_fcntls, NITEMS(sc_fcntls), err,
	    errlen) == -1 || sc_args_act(ctx, SCMP_ACT_ERRNO(EPERM), "fcntl",
	    1, sc_fcntl_deny, NITEMS(sc_fcntl_deny), err, errlen) == -1)
		return -1;
	/* The role's own second filter (sandbox_noexec()). */
	if (sc_args(ctx, "seccomp", 0, sc_seccomp_ops, NITEMS(sc_seccomp_ops),
	    err, errlen) == -1)
		return -1;
	if (sc_self(ctx, getpid(), err, errlen) == -1)
		return -1;
	if (sc_socket(ctx, families, err, errlen) == -1)
		return -1;
	if (sc_clone(ctx, p->kind == SANDBOX_TRACKERD ||
	    p->kind == SANDBOX_STORED, err, errlen) == -1)
		return -1;
	return sc_exec(ctx, exec_fd, err, errlen);
}

static int
sc_apply(const struct sandbox_policy *p, int exec_fd, char *err,
    size_t errlen)
{
	scmp_filter_ctx	 ctx;
	int		 rc;

	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS))) == NULL)
		return sbx_err(err, errlen, "seccomp: init failed");
	if (sc_build(ctx, p, exec_fd, err, errlen) == -1) {
		seccomp_release(ctx);
		return -1;
	}
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0)
		return sbx_err(err, errlen, "seccomp: load: %s",
		    strerror(-rc));
	return 0;
}

/* The smallest descriptor >= from that the child keeps, or -1. */
static int
next_kept(const struct sandbox_policy *p, int exec_fd, int from)
{
	int	 i, best = -1;

	if (exec_fd >= from)
		best = exec_fd;
	for (i = 0; i < p->nkeep; i++)
		if (p->keep_fds[i] >= from &&
		    (best == -1 || p->keep_fds[i] < best))
			best = p->keep_fds[i];
	return best;
}

static void
close_gap(unsigned int lo, unsigned int hi)
{
	struct rlimit	 rl;
	unsigned int	 fd;

	if (close_range(lo, hi, 0) == 0)
		return;
	/* No close_range (before Linux 5.9): close them one by one. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < hi)
		hi = rl.rlim_cur == 0 ? 0 : (unsigned int)rl.rlim_cur - 1;
	for (fd = lo; fd <= hi && fd >= lo; fd++)
		close((int)fd);
}

/* Close every descriptor but 0, 1, 2, exec_fd and keep_fds. */
static void
close_others(const struct sandbox_policy *p, int exec_fd)
{
	int	 lo = 3, k;

	while ((k = next_kept(p, exec_fd, lo)) != -1) {
		if (k > lo)
			close_gap((unsigned int)lo, (unsigned int)k - 1);
		lo = k + 1;
	}
	close_gap((unsigned int)lo, ~0U);
}

/* want, or the hard limit of resource when that is lower. */
static rlim_t
lim_value(int resource, rlim_t want)
{
	struct rlimit	 rl;

	if (getrlimit(resource, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    rl.rlim_max < want)
		return rl.rlim_max;
	return want;
}

static int
lim_set(int resource, const char *name, rlim_t v, char *err, size_t errlen)
{
	struct rlimit	 rl;

	rl.rlim_cur = rl.rlim_max = v;
	if (setrlimit(resource, &rl) == -1)
		return sbx_err(err, errlen, "rlimit: %s: %s", name,
		    strerror(errno));
	return 0;
}

static int
lim_apply(enum sandbox_kind kind, char *err, size_t errlen)
{
	if (lim_set(RLIMIT_CORE, "RLIMIT_CORE", 0, err, errlen) == -1)
		return -1;
	if (lim_set(RLIMIT_NOFILE, "RLIMIT_NOFILE",
	    lim_value(RLIMIT_NOFILE, limits[kind].nofile), err, errlen) == -1)
		return -1;
	return 0;
}

/*
 * The address space limit comes last, just before the exec: the steps
 * before it allocate (libseccomp, and a sanitizer's runtime reserves
 * more address space than a role may have).
 */
static int
lim_apply_as(enum sandbox_kind kind, char *err, size_t errlen)
{
	if (limits[kind].as != 0 && lim_set(RLIMIT_AS, "RLIMIT_AS",
	    lim_value(RLIMIT_AS, limits[kind].as), err, errlen) == -1)
		return -1;
	return 0;
}

/* As root: the network namespace, then the role's uid and gid. */
static int
drop_root(const struct sandbox_policy *p, char *err, size_t errlen)
{
	uid_t	 ru, eu, su;
	gid_t	 rg, eg, sg;

	if (p->netns && unshare(CLONE_NEWNET) == -1)
		return sbx_err(err, errlen, "netns: %s", strerror(errno));
	if (setgroups(0, NULL) == -1)
		return sbx_err(err, errlen, "uid: setgroups: %s",
		    strerror(errno));
	if (setresgid(p->gid, p->gid, p->gid) == -1)
		return sbx_err(err, errlen, "uid: setresgid %u: %s",
		    (unsigned)p->gid, strerror(errno));
	if (setresuid(p->uid, p->uid, p->uid) == -1)
		return sbx_err(err, errlen, "uid: setresuid %u: %s",
		    (unsigned)p->uid, strerror(errno));
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return sbx_err(err, errlen, "uid: %s", strerror(errno));
	if (ru != p->uid || eu != p->uid || su != p->uid ||
	    rg != p->gid || eg != p->gid || sg != p->gid)
		return sbx_err(err, errlen, "uid: still %u/%u", (unsigned)eu,
		    (unsigned)eg);
	return 0;
}


/*
 * The exec descriptor moved above the fixed ones (SANDBOX_FD_FREE), so
 * that no descriptor handed to a role at a fixed number overwrites it.
 */
static int
exec_fd_up(int *exec_fd, char *err, size_t errlen)
{
	int fd;

	if (*exec_fd >= SANDBOX_FD_FREE)
		return 0;
	if ((fd = fcntl(*exec_fd, F_DUPFD_CLOEXEC, SANDBOX_FD_FREE)) == -1)
		return sbx_err(err, errlen, "exec: dup: %s", strerror(errno));
	close(*exec_fd);
	*exec_fd = fd;
	return 0;
}
/*
 * stored: open every download root, still with btd's rights, at
 * SANDBOX_ROOT_FD + i, inherited across the exec.  A root that is not a
 * directory of its own name (a symlink, a file, missing) fails the
 * start.  *exec_fd moves above the roots first.
 */
static int
roots_open(const struct sandbox_policy *p, int *exec_fd, char *err,
    size_t errlen)
{
	int	 fd, i;

	if (p->kind != SANDBOX_STORED)
		return 0;
	if (p->nrw_dirs < 0 || p->nrw_dirs > SANDBOX_MAX_DIRS)
		return sbx_err(err, errlen, "roots: %d download dirs",
		    p->nrw_dirs);
	if (exec_fd_up(exec_fd, err, errlen) == -1)
		return -1;
	for (i = 0; i < p->nrw_dirs; i++) {
		fd = open(p->rw_dirs[i], O_PATH | O_NOFOLLOW | O_DIRECTORY);
		if (fd == -1)
			return sbx_err(err, errlen, "download dir %s: %s",
			    p->rw_dirs[i], errno == ENOTDIR ?
			    "not a directory (or a symlink)" :
			    strerror(errno));
		if (fd != SANDBOX_ROOT_FD + i) {
			if (dup2(fd, SANDBOX_ROOT_FD + i) == -1)
				return sbx_err(err, errlen, "roots: dup2: %s",
				    strerror(errno));
			close(fd);
		}
	}
	return 0;
}

/*
 * rpcd: open its web dir, still with btd's rights, at SANDBOX_WEB_FD,
 * inherited across the exec.  btd names it only when it is a directory;
 * one that went away since fails the start, and btd tries again later.
 */
static int
web_open(const struct sandbox_policy *p, int *exec_fd, char *err,
    size_t errlen)
{
	int	 fd;

	if (p->kind != SANDBOX_RPCD || p->ro_dir == NULL)
		return 0;
	if (exec_fd_up(exec_fd, err, errlen) == -1)
		return -1;
	if ((fd = open(p->ro_dir, O_PATH | O_DIRECTORY)) == -1)
		return sbx_err(err, errlen, "web dir %s: %s", p->ro_dir,
		    strerror(errno));
	if (fd != SANDBOX_WEB_FD) {
		if (dup2(fd, SANDBOX_WEB_FD) == -1)
			return sbx_err(err, errlen, "web dir: dup2: %s",
			    strerror(errno));
		close(fd);
	}
	return 0;
}

int
sandbox_exec(const struct sandbox_policy *p, char *const argv[],
    char *const envp[], char *err, size_t errlen)
{
	pid_t	 parent = getppid();
	int	 exec_fd;

	if (!kind_valid(p->kind))
		return sbx_err(err, errlen, "policy: unknown role kind %d",
		    (int)p->kind);
	if (setpgid(0, 0) == -1)
		return sbx_err(err, errlen, "setpgid: %s", strerror(errno));
	if ((exec_fd = open(p->exec, O_PATH | O_CLOEXEC)) == -1)
		return sbx_err(err, errlen, "exec: %s: %s", p->exec,
		    strerror(errno));
	close_others(p, exec_fd);
	if (roots_open(p, &exec_fd, err, errlen) == -1 ||
	    web_open(p, &exec_fd, err, errlen) == -1)
		return -1;
	if (lim_apply(p->kind, err, errlen) == -1)
		return -1;
	if (geteuid() == 0 && drop_root(p, err, errlen) == -1)
		return -1;
	/* The uid change cleared the death signal: set it now. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return sbx_err(err, errlen, "pdeathsig: %s", strerror(errno));
	if (getppid() != parent)
		_exit(1);	/* btd died before the signal was set */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return sbx_err(err, errlen, "no_new_privs: %s",
		    strerror(errno));
	/* Nothing of btd's working directory is inherited. */
	if (chdir("/") == -1)
		return sbx_err(err, errlen, "chdir /: %s", strerror(errno));
	if (ll_apply(p, exec_fd, err, errlen) == -1)
		return -1;
	if (sc_apply(p, exec_fd, err, errlen) == -1)
		return -1;
	if (lim_apply_as(p->kind, err, errlen) == -1)
		return -1;
	execveat(exec_fd, "", argv, envp, AT_EMPTY_PATH);
	return sbx_err(err, errlen, "exec: %s: %s", p->exec, strerror(errno));
}

/*
 * The role's own second filter: execve and execveat fail with EPERM
 * from now on, so that nothing (the dynamic loader opened at the number
 * of the exec descriptor included) can be executed after the role's
 * exec.  A raw filter rather than libseccomp's: the first filter lets a
 * role call seccomp() only to add a filter, which is all this needs.
 */
int
sandbox_noexec(void)
{
#if defined(__x86_64__)
#define NOEXEC_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NOEXEC_ARCH	AUDIT_ARCH_AARCH64
#else
#error "sandbox_noexec: unknown architecture"
#endif
	struct sock_filter	 prog[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NOEXEC_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
		/* x32 numbers: none of them is needed. */
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 2, 0),
#else
		BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0),
#endif
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog	 fp = {
		.len = (unsigned short)NITEMS(prog),
		.filter = prog,
	};

	long			 rc;

	/*
	 * no_new_privs is set already: sandbox_exec() did it.  TSYNC: every
	 * thread, should a library have started one before main().
	 */
	rc = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_TSYNC, &fp);
	if (rc > 0) {
		errno = EBUSY;	/* a thread that could not be synchronised */
		return -1;
	}
	return (int)rc;
}

/* Append to a report string, truncating quietly. */
static void
sbx_cat(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
sbx_cat(char *buf, size_t size, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 len = strlen(buf);

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

static void
lim_format(char *buf, size_t size, const char *name, rlim_t v)
{
	if (v == RLIM_INFINITY)
		sbx_cat(buf, size, " %s=unlimited", name);
	else if (v != 0 && v % ((rlim_t)1 << 30) == 0)
		sbx_cat(buf, size, " %s=%lluG", name,
		    (unsigned long long)(v >> 30));
	else if (v != 0 && v % ((rlim_t)1 << 20) == 0)
		sbx_cat(buf, size, " %s=%lluM", name,
		    (unsigned long long)(v >> 20));
	else
		sbx_cat(buf, size, " %s=%llu", name, (unsigned long long)v);
}

void
sandbox_describe(const struct sandbox_policy *p, struct sandbox_report *r)
{
	const char	*net = "";
	int		 root = geteuid() == 0, abi;

	memset(r, 0, sizeof(*r));
	r->no_new_privs = 1;
	r->seccomp = 1;
	r->landlock_abi = abi = ll_abi(p);
	r->uid = root ? p->uid : getuid();
	r->gid = root ? p->gid : getgid();
	r->netns = p->netns && root;
	if (!kind_valid(p->kind)) {
		snprintf(r->seccomp_policy, sizeof(r->seccomp_policy), "none");
		snprintf(r->landlock, sizeof(r->landlock), "none");
		return;
	}
	snprintf(r->seccomp_policy, sizeof(r->seccomp_policy), "%s",
	    limits[p->kind].name);
	snprintf(r->seccomp_rules, sizeof(r->seccomp_rules),
	    "signals and prlimit on itself only; no F_SETOWN/F_SETSIG; "
	    "no ptrace, process_vm, fork, AF_UNIX socket%s; exec: %s",
	    p->kind == SANDBOX_TRACKERD ? "; netlink: route only" :
	    p->kind == SANDBOX_PEERD ? "" :
	    p->kind == SANDBOX_RPCD ? ", inet socket; no bind, listen, "
	    "connect: accept on btd's socket" : ", inet socket",
	    "its own binary once");

	snprintf(r->rlimits, sizeof(r->rlimits), "core=0");
	lim_format(r->rlimits, sizeof(r->rlimits), "nofile",
	    lim_value(RLIMIT_NOFILE, limits[p->kind].nofile));
	if (limits[p->kind].as != 0)
		lim_format(r->rlimits, sizeof(r->rlimits), "as",
		    lim_value(RLIMIT_AS, limits[p->kind].as));

	if (abi < 1) {
		snprintf(r->landlock, sizeof(r->landlock), "none: %s; %s",
		    sandbox_landlock_abi() < 1 ? "the kernel has no Landlock" :
		    "capped to 0 by landlock_abi_max", p->landlock_required ?
		    "the role is refused (without_landlock refuse)" :
		    "no file-system or tcp rules (seccomp and uids only)");
		return;
	}
	snprintf(r->landlock, sizeof(r->landlock), "abi %d", abi);
	if (abi < sandbox_landlock_abi())
		sbx_cat(r->landlock, sizeof(r->landlock),
		    " (kernel %d, capped)", sandbox_landlock_abi());
	sbx_cat(r->landlock, sizeof(r->landlock), "; ro: system libs");
	switch (p->kind) {
	case SANDBOX_TRACKERD:
		sbx_cat(r->landlock, sizeof(r->landlock),
		    ", resolver files, ca certs");
		net = "no tcp bind";
		break;
	case SANDBOX_PEERD:
		net = p->bind_port != 0 ? "tcp bind only on port" :
		    "no tcp bind";
		break;
	case SANDBOX_STORED:
		sbx_cat(r->landlock, sizeof(r->landlock), "; rw: %d dir%s",
		    p->nrw_dirs, p->nrw_dirs == 1 ? "" : "s");
		net = "no tcp bind/connect";
		break;
	case SANDBOX_METAD:
		net = "no tcp bind/connect";
		break;
	case SANDBOX_RPCD:
		if (p->ro_dir != NULL)
			sbx_cat(r->landlock, sizeof(r->landlock),
			    ", web dir");
		net = "no tcp bind/connect";
		break;
	}
	if (abi < 4)
		sbx_cat(r->landlock, sizeof(r->landlock),
		    "; net: not enforced (abi < 4)");
	else if (p->kind == SANDBOX_PEERD && p->bind_port != 0)
		sbx_cat(r->landlock, sizeof(r->landlock), "; net: %s %u", net,
		    (unsigned)p->bind_port);
	else
		sbx_cat(r->landlock, sizeof(r->landlock), "; net: %s", net);
	if (abi < 3 && p->kind == SANDBOX_STORED)
		sbx_cat(r->landlock, sizeof(r->landlock),
		    "; truncate: not enforced (abi < 3)");
	if (abi >= 6)
		sbx_cat(r->landlock, sizeof(r->landlock),
		    "; scope: signal, abstract unix");
	else
		sbx_cat(r->landlock, sizeof(r->landlock),
		    "; scope: none (abi < 6)");
	sbx_cat(r->landlock, sizeof(r->landlock), "; exec: %s", p->exec);
}

void
sandbox_missing(int abi, char *buf, size_t size)
{
	buf[0] = '\0';
	if (abi < 1) {
		snprintf(buf, size, "no Landlock: no file-system or tcp rules");
		return;
	}
	if (abi < 2)
		sbx_cat(buf, size, "%srenames across dirs (abi 2)",
		    buf[0] ? ", " : "");
	if (abi < 3)
		sbx_cat(buf, size, "%struncate (abi 3)", buf[0] ? ", " : "");
	if (abi < 4)
		sbx_cat(buf, size, "%stcp bind/connect rules (abi 4)",
		    buf[0] ? ", " : "");
	if (abi < 5)
		sbx_cat(buf, size, "%sdevice ioctls (abi 5)",
		    buf[0] ? ", " : "");
	if (abi < 6)
		sbx_cat(buf, size, "%ssignal and abstract unix scoping (abi 6)",
		    buf[0] ? ", " : "");
}
