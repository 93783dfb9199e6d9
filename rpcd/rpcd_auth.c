/*
 * rpcd_auth.c -- HTTP basic auth against rpc_password's hash.
 *
 * rpc_password is "pbkdf2-sha256$ITERATIONS$SALT$HASH" (btd_conf.c
 * checks the form; SALT and HASH lower-case hex, HASH 32 bytes).  A
 * request's "Authorization: Basic BASE64(user:password)" passes when
 * the user is rpc_username and PBKDF2-HMAC-SHA256 of the password with
 * that salt and count is HASH, compared in constant time.
 *
 * PBKDF2 is slow on purpose, and every request carries the header: the
 * SHA-256 of the last header that passed is kept, so that a client
 * repeating it costs one hash, not a PBKDF2.  A header that fails is
 * always checked in full.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"
#include "rpcd.h"

#define AUTH_HEADER_MAX	1024	/* longest Authorization value looked at */

static unsigned char	 good[32];	/* SHA-256 of the last good header,
					   user and hash */
static int		 have_good;

static int
unhex(const char *s, size_t n, unsigned char *out)
{
	size_t	 i;
	unsigned int v;

	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* SHA-256 of a, b and c, each followed by a newline. */
static void
sha256(const char *a, const char *b, const char *c, unsigned char out[32])
{
	EVP_MD_CTX	*x = EVP_MD_CTX_new();
	unsigned int	 n = 32;

	memset(out, 0, 32);
	if (x == NULL)
		return;
	if (EVP_DigestInit_ex(x, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(x, a, strlen(a)) != 1 ||
	    EVP_DigestUpdate(x, "\n", 1) != 1 ||
	    EVP_DigestUpdate(x, b, strlen(b)) != 1 ||
	    EVP_DigestUpdate(x, "\n", 1) != 1 ||
	    EVP_DigestUpdate(x, c, strlen(c)) != 1 ||
	    EVP_DigestUpdate(x, "\n", 1) != 1 ||
	    EVP_DigestFinal_ex(x, out, &n) != 1)
		memset(out, 0, 32);
	EVP_MD_CTX_free(x);
}

int
auth_check(const char *header, const char *user, const char *hash)
{
	unsigned char	 dec[AUTH_HEADER_MAX], salt[32], want[32], got[32];
	unsigned char	 h[32];
	const char	*b64, *p, *s, *e;
	char		*colon;
	size_t		 n, saltlen, ulen;
	long		 iter;
	int		 len, ok;

	if (header == NULL || hash == NULL || hash[0] == '\0' ||
	    strlen(header) >= AUTH_HEADER_MAX ||
	    strncasecmp(header, "Basic ", 6) != 0)
		return 0;
	/* The user and the hash are part of what was good. */
	sha256(header, user, hash, h);
	if (have_good && CRYPTO_memcmp(h, good, sizeof(h)) == 0)
		return 1;
	for (b64 = header + 6; *b64 == ' '; b64++)
		;
	n = strlen(b64);
	if (n == 0 || n % 4 != 0 || n / 4 * 3 >= sizeof(dec))
		return 0;
	if ((len = EVP_DecodeBlock(dec, (const unsigned char *)b64,
	    (int)n)) < 0)
		return 0;
	/* EVP_DecodeBlock counts the padding's zero bytes. */
	if (b64[n - 1] == '=')
		len--;
	if (b64[n - 2] == '=')
		len--;
	dec[len] = '\0';
	if (memchr(dec, '\0', (size_t)len) != NULL ||
	    (colon = strchr((char *)dec, ':')) == NULL)
		return 0;
	*colon = '\0';
	ulen = strlen(user);
	ok = strlen((char *)dec) == ulen &&
	    CRYPTO_memcmp(dec, user, ulen) == 0;

	/* pbkdf2-sha256$ITER$SALT$HASH, checked by btd already. */
	p = hash + strlen("pbkdf2-sha256$");
	iter = strtol(p, NULL, 10);
	if ((s = strchr(p, '$')) == NULL || (e = strchr(s + 1, '$')) == NULL)
		return 0;
	saltlen = (size_t)(e - s - 1) / 2;
	if (iter < 1 || saltlen > sizeof(salt) || strlen(e + 1) != 64 ||
	    unhex(s + 1, saltlen, salt) == -1 || unhex(e + 1, 32, want) == -1)
		return 0;
	if (PKCS5_PBKDF2_HMAC(colon + 1, (int)strlen(colon + 1), salt,
	    (int)saltlen, (int)iter, EVP_sha256(), sizeof(got), got) != 1)
		return 0;
	explicit_bzero(dec, sizeof(dec));
	if (CRYPTO_memcmp(got, want, sizeof(got)) != 0 || !ok)
		return 0;
	memcpy(good, h, sizeof(good));
	have_good = 1;
	return 1;
}
