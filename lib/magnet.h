/*
 * magnet.h -- magnet links (BEP 9): parsed and validated.
 *
 *   magnet:?xt=urn:btih:<40 hex | 32 base32>&dn=<name>&tr=<url>...
 *          &x.pe=<host:port>...&ws=<url>...
 *
 * Parameters are percent-decoded ('+' is a space only in dn).  Exactly
 * one urn:btih is required (two different btih are an error).  A
 * urn:btmh:1220<64 hex> beside it (BEP 52, a hybrid's SHA-256
 * info-hash) is kept; a btmh alone is refused as a v2-only link, not
 * supported yet; another multihash, or two different btmh, are errors.  Unknown parameters are ignored.
 * Bounds: MAGNET_MAX_LEN bytes, MAGNET_MAX_PARAMS parameters; past
 * either, an error.  tr keeps http, https and udp URLs; x.pe must be an
 * IPv4 or [IPv6] literal with a port 1-65535.
 */
#ifndef BTD_MAGNET_H
#define BTD_MAGNET_H

#include <stddef.h>
#include <stdint.h>

#define MAGNET_MAX_LEN		65536	/* bytes of the link */
#define MAGNET_MAX_PARAMS	200	/* parameters of any kind */

struct magnet_peer {
	char		addr[46];	/* numeric, no brackets */
	uint16_t	port;
};

struct magnet {
	uint8_t			 info_hash[20];
	uint8_t			 info_hash_v2[32];	/* if has_v2 */
	int			 has_v2;		/* a urn:btmh */
	char			*dn;		/* display name, UTF-8 sanitised; "" */
	char			**tr;		/* tracker URLs */
	size_t			 ntr;
	struct magnet_peer	*pe;		/* x.pe peers */
	size_t			 npe;
	char			**ws;		/* web seeds, kept for later */
	size_t			 nws;
};

/* 0 and *out (free with magnet_free), or -1 with the reason in err. */
int	magnet_parse(const char *uri, size_t len, struct magnet **out,
	    char *err, size_t errlen);
void	magnet_free(struct magnet *);

#endif
