/*
 * fuzz_announce.c -- libFuzzer target for the HTTP tracker codec.
 *
 * The whole input is an announce reply body.  When it has more than 20
 * bytes, the rest after the first 20 is also a scrape reply body for the
 * info-hash made of those 20 bytes.  The input, cut at its first NUL,
 * is also the base of an announce and a scrape URL.
 *
 * A reply parsed must keep the promises of trackerd.h: at most
 * TR_MAX_PEERS peers, each IPv4 or IPv6 with a port other than 0 (and
 * no more than the input has room for), the interval within the clamp,
 * min_interval 0 or within it, counts -1 or more, and failure, warning
 * and tracker id NUL-terminated printable ASCII.  A reply refused
 * leaves no peers and one line of printable text in err.  A URL built
 * is printable ASCII of at most 4095 bytes, starting with its base
 * (announce) or holding "/scrape" (scrape).
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "trackerd/trackerd.h"

#define URL_MAX		4095	/* bytes of a built URL, as in the codec */
#define BASE_MAX	8192	/* input bytes tried as a URL base */

/* NUL-terminated within size bytes, and printable ASCII. */
static void
check_text(const char *s, size_t size)
{
	size_t	 i;

	CHECK(memchr(s, '\0', size) != NULL);
	for (i = 0; s[i] != '\0'; i++)
		CHECK(s[i] >= 0x20 && s[i] <= 0x7e);
}

static void
check_reply(const struct tr_reply *r, size_t inlen, int scrape)
{
	static const uint8_t	 zero[12];
	size_t			 i;

	check_text(r->failure, sizeof(r->failure));
	check_text(r->warning, sizeof(r->warning));
	check_text(r->trackerid, sizeof(r->trackerid));
	CHECK(r->interval >= TR_MIN_INTERVAL &&
	    r->interval <= TR_MAX_INTERVAL);
	CHECK(r->min_interval == 0 || (r->min_interval >= TR_MIN_INTERVAL &&
	    r->min_interval <= TR_MAX_INTERVAL));
	CHECK(r->seeders >= -1 && r->leechers >= -1 && r->completed >= -1);
	if (!scrape)
		CHECK(r->completed == -1);
	CHECK(r->npeers <= TR_MAX_PEERS);
	CHECK((r->npeers == 0) == (r->peers == NULL));
	CHECK(r->npeers <= inlen / 6);
	if (r->failure[0] != '\0' || scrape)
		CHECK(r->npeers == 0);
	for (i = 0; i < r->npeers; i++) {
		CHECK(r->peers[i].port != 0);
		CHECK(r->peers[i].family == AF_INET ||
		    r->peers[i].family == AF_INET6);
		if (r->peers[i].family == AF_INET)
			CHECK(memcmp(r->peers[i].addr + 4, zero, 12) == 0);
	}
}

static void
check_refused(const struct tr_reply *r, const char *err, size_t errlen)
{
	CHECK(fuzz_err_ok(err, errlen));
	CHECK(r->peers == NULL && r->npeers == 0);
	CHECK(r->failure[0] == '\0');
}

static void
check_url(const char *u, const char *base, int scrape)
{
	size_t	 len, i;

	if (u == NULL)
		return;
	len = strlen(u);
	CHECK(len <= URL_MAX);
	for (i = 0; i < len; i++)
		CHECK(u[i] > 0x20 && u[i] < 0x7f);
	CHECK(strstr(u, "info_hash=") != NULL);
	if (scrape)
		CHECK(strstr(u, "/scrape") != NULL);
	else
		CHECK(strncmp(u, base, strlen(base)) == 0);
}

static void
fuzz_urls(const uint8_t *data, size_t size)
{
	struct tr_announce	 a;
	char			*base, *u;
	size_t			 n;

	n = size < BASE_MAX ? size : BASE_MAX;
	base = malloc(n + 1);
	CHECK(base != NULL);
	memcpy(base, data, n);
	base[n] = '\0';

	memset(&a, 0, sizeof(a));
	memcpy(a.info_hash, "\x00\xff/?&=%# ~", 10);
	memcpy(a.peer_id, "-BT0001-123456789012", 20);
	a.port = 6881;
	a.event = (enum tr_event)(size % 4);
	a.numwant = TR_NUMWANT;
	a.key = 0xdeadbeef;
	a.trackerid = base + (n > 0 ? n - 1 : 0) / 2;

	u = tr_announce_url(base, &a);
	check_url(u, base, 0);
	free(u);
	u = tr_scrape_url(base, a.info_hash);
	check_url(u, base, 1);
	free(u);
	free(base);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tr_reply	 r;
	char		 err[256];

	if (tr_announce_parse(data, size, &r, err, sizeof(err)) == 0)
		check_reply(&r, size, 0);
	else
		check_refused(&r, err, sizeof(err));
	tr_reply_free(&r);
	CHECK(r.peers == NULL && r.npeers == 0);

	if (size > 20) {
		if (tr_scrape_parse(data + 20, size - 20, data, &r, err,
		    sizeof(err)) == 0)
			check_reply(&r, size - 20, 1);
		else
			check_refused(&r, err, sizeof(err));
		tr_reply_free(&r);
	}

	fuzz_urls(data, size);
	return 0;
}
