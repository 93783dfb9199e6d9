/*
 * sandbox.h -- confinement of a role, applied by btd in the child
 * between fork and exec, so that any executable (a replacement role
 * too) starts confined.  It fails closed: if any layer cannot be
 * applied, the executable is not run.
 *
 * Layers, in the order sandbox_exec() applies them:
 *   setpgid(0, 0)                 a process group of its own
 *   closefrom(3) but keep_fds     no inherited descriptor
 *   rlimits                       RLIMIT_CORE 0, RLIMIT_NOFILE
 *   as root: unshare(CLONE_NEWNET) when netns is set,
 *            setgroups(0), setresgid(gid), setresuid(uid)
 *   PR_SET_PDEATHSIG SIGKILL      (after the uid change, which clears it)
 *   PR_SET_NO_NEW_PRIVS 1
 *   chdir("/")
 *   Landlock (ABI probed at run time, capped by landlock_abi_max; see
 *            sandbox.c for the rules; none at ABI 0 unless required)
 *   seccomp allow-list (libseccomp) for the role
 *   RLIMIT_AS                     (last: the steps before it allocate)
 *   execveat(exec_fd, "", argv, envp, AT_EMPTY_PATH)
 */
#ifndef BTD_SANDBOX_H
#define BTD_SANDBOX_H

#include <sys/types.h>
#include <stdint.h>

/* Which allow-list and rule set: one per role, and a strict default. */
enum sandbox_kind {
	SANDBOX_TRACKERD,	/* outbound inet sockets, DNS, CA certs read-only */
	SANDBOX_PEERD,		/* inet sockets, TCP bind only on bind_port */
	SANDBOX_STORED,		/* files under rw_dirs only; no sockets */
	SANDBOX_METAD,		/* nothing but its channels */
	SANDBOX_RPCD,		/* accept on the socket btd bound; no
				   socket, bind, listen or connect */
};

#define SANDBOX_MAX_DIRS	64	/* download roots of stored */
/*
 * stored's download roots are open at exec, as O_PATH directory
 * descriptors SANDBOX_ROOT_FD, SANDBOX_ROOT_FD + 1, ... in rw_dirs
 * order: opened before the uid change, so a root below a 0700
 * directory such as /root works, and the Landlock rules are built from
 * the same descriptors.  Keep other descriptors of the child above
 * SANDBOX_FD_FREE.
 */
#define SANDBOX_ROOT_FD		4
#define SANDBOX_FD_FREE		(SANDBOX_ROOT_FD + SANDBOX_MAX_DIRS)
/*
 * rpcd's web dir (ro_dir), when it has one, is open at exec as an O_PATH
 * directory descriptor at SANDBOX_WEB_FD, opened the same way and for
 * the same reasons as stored's roots; its Landlock rule (read only) is
 * built from that descriptor.
 */
#define SANDBOX_WEB_FD		SANDBOX_ROOT_FD
/*
 * rpcd's listening socket, bound by btd to rpc_bind and listening,
 * non-blocking, is at exec at SANDBOX_LISTEN_FD, so that rpcd needs no
 * bind or listen (its seccomp list has neither, its Landlock ruleset
 * allows no TCP bind).  Only rpcd has descriptors at 4 and 5, so
 * stored's roots there do not clash.
 */
#define SANDBOX_LISTEN_FD	(SANDBOX_WEB_FD + 1)

struct sandbox_policy {
	enum sandbox_kind	 kind;
	const char		*exec;		/* path of the executable */
	const char		*rw_dirs[SANDBOX_MAX_DIRS]; /* read-write trees */
	int			 nrw_dirs;
	const char		*ro_dir;	/* rpcd: the web dir, read only;
						   NULL: none */
	uint16_t		 bind_port;	/* peerd: the TCP port it may
						   bind */
	uid_t			 uid;		/* as root: switch to it */
	gid_t			 gid;
	int			 netns;		/* as root: own network namespace */
	const int		*keep_fds;	/* besides 0, 1, 2 */
	int			 nkeep;
	int			 landlock_abi_max;	/* -1: no cap */
	int			 landlock_required;	/* or refuse */
};

/* What is (to be) in force, for `btctl status`. */
struct sandbox_report {
	int		no_new_privs;
	int		landlock_abi;		/* 0: none */
	char		landlock[256];		/* what it allows, for a person */
	int		seccomp;
	char		seccomp_policy[32];	/* "trackerd", ... */
	char		seccomp_rules[192];	/* what it refuses */
	int		exec_refused;		/* its Hello said so (btd sets it) */
	uid_t		uid;
	gid_t		gid;
	int		netns;
	char		rlimits[96];
};

/*
 * In a role, as its first act after exec: a second seccomp filter that
 * refuses execve and execveat, so that the role cannot execute anything
 * again.  0, or -1 with errno set.
 */
int	sandbox_noexec(void);

/* The Landlock ABI of the running kernel, 0 if none (or disabled). */
int	sandbox_landlock_abi(void);

/*
 * What a kernel of Landlock ABI abi lacks, for the start-up log: "" when
 * nothing is missing.
 */
void	sandbox_missing(int abi, char *buf, size_t size);

/* Describe what sandbox_exec() will apply for this policy. */
void	sandbox_describe(const struct sandbox_policy *,
	    struct sandbox_report *);

/*
 * In the child after fork: confine and execute policy->exec with argv
 * and envp.  Returns only on failure, with a one-line reason in err
 * naming the layer that failed ("landlock: ...", "seccomp: ...").
 * Async-signal-safe in spirit: no stdio, no locks that the parent may
 * have held at fork (btd is single-threaded).
 */
int	sandbox_exec(const struct sandbox_policy *, char *const argv[],
	    char *const envp[], char *err, size_t errlen);

#endif
