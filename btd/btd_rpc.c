/*
 * btd_rpc.c -- rpcd's credentials.
 *
 * The Transmission RPC is served with HTTP basic auth only.  The
 * password is never kept in clear: btd.conf's rpc_password is a salted
 * PBKDF2-HMAC-SHA256 hash, "pbkdf2-sha256$ITERATIONS$SALT$HASH" (SALT
 * and HASH in lower-case hex), which rpcd alone receives in its Config
 * and checks each request against.  With rpc_enabled and no
 * rpc_password, btd never falls back to a default credential: at the
 * first start it draws a random password, keeps only its hash (the meta
 * row RPC_META_KEY of state.db, used again at every later start), and
 * writes the password once to <state-dir>/RPC_PASS_FILE, mode 0600,
 * owned by the user btd runs as, logging where it is.  Removing that
 * row (or setting rpc_password) is how the password is changed.
 *
 * Rejected alternative: a plain password in btd.conf, hashed by btd at
 * start as Transmission does with settings.json.  btd cannot rewrite
 * the operator's btd.conf, so the clear password would stay there.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "btd.h"
#include "log.h"
#include "util.h"

/* Tunables. */
#define RPC_PASS_LEN	24		/* characters of a generated password */
#define RPC_SALT_LEN	16		/* bytes of salt */
#define RPC_ITERATIONS	100000		/* PBKDF2 rounds of a generated hash */
#define RPC_META_KEY	"rpc_password"	/* state.db meta row: the hash */
#define RPC_PASS_FILE	"rpc-password"	/* in the state dir */

static void
hex(const unsigned char *b, size_t n, char *out)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* The hash of pass with a fresh salt into out (RPC_HASH_MAX bytes). */
static int
make_hash(const char *pass, char *out, size_t outlen)
{
	unsigned char	 salt[RPC_SALT_LEN], dk[32];
	char		 hsalt[2 * RPC_SALT_LEN + 1], hdk[65];

	arc4random_buf(salt, sizeof(salt));
	if (PKCS5_PBKDF2_HMAC(pass, (int)strlen(pass), salt, sizeof(salt),
	    RPC_ITERATIONS, EVP_sha256(), sizeof(dk), dk) != 1)
		return -1;
	hex(salt, sizeof(salt), hsalt);
	hex(dk, sizeof(dk), hdk);
	snprintf(out, outlen, "pbkdf2-sha256$%d$%s$%s", RPC_ITERATIONS, hsalt,
	    hdk);
	return 0;
}

int
rpc_password_init(struct conf *cf, struct state *st, const char *state_dir,
    char *err, size_t errlen)
{
	static const char	 alpha[] = "abcdefghijkmnopqrstuvwxyz"
	    "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	char			 pass[RPC_PASS_LEN + 1], hash[256], path[4096];
	char			*kept = NULL;
	unsigned char		 r[RPC_PASS_LEN];
	size_t			 i;
	int			 fd, n, rc;

	if (!conf_rpc_enabled(cf) || conf_get(cf, "rpc_password")[0] != '\0')
		return 0;
	if ((rc = state_meta_get(st, RPC_META_KEY, &kept)) == -1) {
		util_seterr(err, errlen, "state.db: cannot read %s",
		    RPC_META_KEY);
		return -1;
	}
	if (rc == 1 && conf_valid_pwhash(kept) == 0 &&
	    conf_set_internal(cf, "rpc_password", kept) == 0) {
		free(kept);
		log_debug("rpc: the password generated at an earlier start");
		return 0;
	}
	if (rc == 1)
		log_warnx("rpc: state.db's password hash is malformed; making "
		    "a new password");
	free(kept);

	arc4random_buf(r, sizeof(r));
	for (i = 0; i < RPC_PASS_LEN; i++)
		pass[i] = alpha[r[i] % (sizeof(alpha) - 1)];
	pass[RPC_PASS_LEN] = '\0';
	if (make_hash(pass, hash, sizeof(hash)) == -1) {
		util_seterr(err, errlen, "rpc: PBKDF2 failed");
		goto fail;
	}
	n = snprintf(path, sizeof(path), "%s/%s", state_dir, RPC_PASS_FILE);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		util_seterr(err, errlen, "rpc: state dir path too long");
		goto fail;
	}
	/* Root and btd's own user only: 0600, no link followed. */
	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1 || fchmod(fd, 0600) == -1 ||
	    dprintf(fd, "username %s\npassword %s\n",
	    conf_get(cf, "rpc_username"), pass) < 0 || fsync(fd) == -1) {
		util_seterr(err, errlen, "rpc: %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		goto fail;
	}
	close(fd);
	if (state_meta_set(st, RPC_META_KEY, hash) == -1 ||
	    conf_set_internal(cf, "rpc_password", hash) == -1) {
		util_seterr(err, errlen, "rpc: cannot keep the password's "
		    "hash");
		(void)unlink(path);
		goto fail;
	}
	explicit_bzero(pass, sizeof(pass));
	log_warnx("rpc: no rpc_password was set: made a random one for user "
	    "'%s', written to %s (mode 0600); delete that file once read",
	    conf_get(cf, "rpc_username"), path);
	return 0;
fail:
	explicit_bzero(pass, sizeof(pass));
	return -1;
}
