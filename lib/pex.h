/*
 * pex.h -- the ut_pex extension (BEP 11): its message codec.  Pure C:
 * no descriptor, no clock, no libevent, so that unit tests and the
 * fuzzer drive it with any bytes.
 *
 * A message is a bencoded dictionary of compact peer lists: added and
 * dropped (6 bytes a peer: IPv4 address, port), added6 and dropped6 (18
 * bytes: IPv6 address, port), and added.f, added6.f, one flag byte per
 * added peer.  peerd parses what a peer sends with pex_parse() and
 * builds what it sends with pex_build(); how often, and about whom, is
 * peerd's (peerd_pex.c).
 *
 * Bounds: at most PEX_MAX_ADDED added peers in one message, IPv4 and
 * IPv6 together (BEP 11 says 50); as many dropped, in what we build.  A
 * parsed message keeps only the added peers: dropped ones are checked
 * for their shape and counted, never kept (a peer that another dropped
 * may still be reachable; nothing is done with them).
 */
#ifndef BTD_PEX_H
#define BTD_PEX_H

#include <stddef.h>
#include <stdint.h>

#define PEX_MAX_ADDED	50	/* added peers in one message (BEP 11) */
#define PEX_MAX_DROPPED	50	/* dropped peers in one message we build */
#define PEX_MAX_MSG	4096	/* bytes of a message we build: 50 added
				   and 50 dropped of 18 bytes, flags, keys */

/* added.f flags (BEP 11). */
#define PEX_F_CRYPTO	0x01	/* prefers encryption */
#define PEX_F_SEED	0x02	/* seed or upload only */
#define PEX_F_UTP	0x04	/* supports uTP */
#define PEX_F_HOLEPUNCH	0x08	/* supports ut_holepunch */
#define PEX_F_REACHABLE	0x10	/* an outgoing connection reached it */

struct pex_peer {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* 4 or 16 bytes, network order */
	uint16_t	port;		/* host order; never 0 once parsed */
	uint8_t		flags;		/* PEX_F_*; 0 without added.f */
};

struct pex_msg {
	struct pex_peer	added[PEX_MAX_ADDED];
	uint32_t	nadded;		/* in added[], port 0 left out */
	uint32_t	nport0;		/* added entries of port 0, left out */
	uint32_t	ndropped;	/* dropped and dropped6 entries */
};

enum pex_result {
	PEX_OK = 0,
	PEX_BAD = -1,		/* malformed: not a ut_pex message */
	PEX_TOO_MANY = 1,	/* well formed, over PEX_MAX_ADDED added */
};

/*
 * Parse one ut_pex payload (after the extended message id).  PEX_OK and
 * m filled; PEX_BAD with err: not a bencoded dictionary, a list that is
 * not a string or not a multiple of its entry size, a flags string of
 * another length than its list; PEX_TOO_MANY with err: more than
 * PEX_MAX_ADDED added (m->nadded 0: nothing of it is to be used).  Keys
 * other than the six are ignored.
 */
int	pex_parse(const uint8_t *buf, size_t len, struct pex_msg *m,
	    char *err, size_t errlen);

/*
 * Build a payload into out (cap bytes): added (at most PEX_MAX_ADDED,
 * with their flags) and dropped (at most PEX_MAX_DROPPED), each split
 * by family.  Returns its length, 0 for arguments out of bounds (a port
 * 0, a family not AF_INET or AF_INET6, too many) or when it does not
 * fit.
 */
size_t	pex_build(uint8_t *out, size_t cap, const struct pex_peer *added,
	    size_t nadded, const struct pex_peer *dropped, size_t ndropped);

#endif
