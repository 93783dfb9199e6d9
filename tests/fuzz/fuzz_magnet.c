/*
 * fuzz_magnet.c -- libFuzzer target for magnet link parsing.
 *
 * The input is the link's bytes, not NUL-terminated.  A link that
 * parses must keep the promises of magnet.h and magnet.c: within
 * MAGNET_MAX_LEN, each list within MAGNET_MAX_PARAMS (together too,
 * since each entry is one parameter); dn valid UTF-8 of at most 1024
 * bytes with no control or bidirectional formatting character; tr and
 * ws distinct printable-ASCII URLs of an accepted scheme, at most 2048
 * bytes; x.pe distinct numeric addresses with a port.  A link refused
 * leaves *out NULL and one line of printable text in err.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "magnet.h"

#define DN_MAX		1024	/* bytes of dn, as in magnet.c */
#define URL_MAX		2048	/* bytes of a tr or ws URL */

static void
check_urls(char *const *list, size_t n, int udp)
{
	const char	*u;
	size_t		 i, j, len;

	CHECK(n <= MAGNET_MAX_PARAMS);
	CHECK(n == 0 || list != NULL);
	for (i = 0; i < n; i++) {
		u = list[i];
		CHECK(u != NULL);
		len = strlen(u);
		CHECK(len <= URL_MAX);
		for (j = 0; j < len; j++)
			CHECK(u[j] > ' ' && u[j] < 0x7f);
		CHECK((strncasecmp(u, "http://", 7) == 0 && len > 7) ||
		    (strncasecmp(u, "https://", 8) == 0 && len > 8) ||
		    (udp && strncasecmp(u, "udp://", 6) == 0 && len > 6));
		for (j = 0; j < i; j++)
			CHECK(strcmp(list[j], u) != 0);
	}
}

static void
check_peers(const struct magnet *m)
{
	const struct magnet_peer	*pe;
	uint8_t				 a[16];
	size_t				 i, j;

	CHECK(m->npe <= MAGNET_MAX_PARAMS);
	CHECK(m->npe == 0 || m->pe != NULL);
	for (i = 0; i < m->npe; i++) {
		pe = &m->pe[i];
		CHECK(memchr(pe->addr, '\0', sizeof(pe->addr)) != NULL);
		CHECK(inet_pton(AF_INET, pe->addr, a) == 1 ||
		    inet_pton(AF_INET6, pe->addr, a) == 1);
		CHECK(pe->port != 0);
		for (j = 0; j < i; j++)
			CHECK(pe->port != m->pe[j].port ||
			    strcmp(pe->addr, m->pe[j].addr) != 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct magnet	*m = NULL;
	char		 err[256];
	int		 rc;

	rc = magnet_parse((const char *)data, size, &m, err, sizeof(err));
	if (rc != 0) {
		CHECK(rc == -1 && m == NULL);
		CHECK(fuzz_err_ok(err, sizeof(err)));
		CHECK(magnet_parse((const char *)data, size, &m, NULL, 0) ==
		    -1 && m == NULL);
		return 0;
	}
	CHECK(m != NULL);
	CHECK(size <= MAGNET_MAX_LEN);
	CHECK(size >= 8 && strncasecmp((const char *)data, "magnet:?", 8) == 0);
	CHECK(m->dn != NULL);
	CHECK(strlen(m->dn) <= DN_MAX);
	CHECK(utf8_valid(m->dn));
	CHECK(!fuzz_has_unsafe(m->dn));
	check_urls(m->tr, m->ntr, 1);
	check_urls(m->ws, m->nws, 0);
	check_peers(m);
	CHECK(m->ntr + m->nws + m->npe <= MAGNET_MAX_PARAMS - 1);
	magnet_free(m);

	/* Without an error buffer: the same verdict, nothing written. */
	CHECK(magnet_parse((const char *)data, size, &m, NULL, 0) == 0);
	magnet_free(m);
	return 0;
}
