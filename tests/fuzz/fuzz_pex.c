/*
 * fuzz_pex.c -- libFuzzer target for the ut_pex codec (lib/pex.c):
 * arbitrary bytes as a peer's ut_pex payload.
 *
 * Invariants checked: a parsed message has at most PEX_MAX_ADDED added
 * peers, each of a known family and a port other than 0, and together
 * with those of port 0 no more entries than the input can hold; a
 * message refused as too many keeps none; a message built back from
 * what was parsed parses to the same peers and flags; an error text is
 * one printable line.
 */
#include <sys/socket.h>

#include "fuzz.h"
#include "pex.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	 out[PEX_MAX_MSG];
	static struct pex_msg m, m2;
	char		 err[128];
	size_t		 n, i, alen;
	int		 rc;

	err[0] = '\0';
	rc = pex_parse(data, size, &m, err, sizeof(err));
	if (rc != PEX_OK) {
		CHECK(rc == PEX_BAD || rc == PEX_TOO_MANY);
		CHECK(m.nadded == 0);
		CHECK(fuzz_err_ok(err, sizeof(err)));
		return 0;
	}
	CHECK(m.nadded <= PEX_MAX_ADDED);
	CHECK((size_t)(m.nadded + m.nport0) * 6 <= size);
	for (i = 0; i < m.nadded; i++) {
		CHECK(m.added[i].family == AF_INET ||
		    m.added[i].family == AF_INET6);
		CHECK(m.added[i].port != 0);
	}
	n = pex_build(out, sizeof(out), m.added, m.nadded, NULL, 0);
	CHECK(n > 0);
	CHECK(pex_parse(out, n, &m2, err, sizeof(err)) == PEX_OK);
	CHECK(m2.nadded == m.nadded && m2.nport0 == 0 && m2.ndropped == 0);
	for (i = 0; i < m.nadded; i++) {
		alen = m.added[i].family == AF_INET ? 4 : 16;
		CHECK(m2.added[i].family == m.added[i].family);
		CHECK(memcmp(m2.added[i].addr, m.added[i].addr, alen) == 0);
		CHECK(m2.added[i].port == m.added[i].port);
		CHECK(m2.added[i].flags == m.added[i].flags);
	}
	return 0;
}
