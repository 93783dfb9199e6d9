/*
 * netpolicy.c -- the address policy shared by peerd (which peers it
 * dials) and trackerd (which addresses its tracker requests reach); see
 * netpolicy.h for the rules.
 *
 * The rules follow libtorrent's SSRF mitigation: a BitTorrent client
 * takes addresses from strangers (trackers, magnet links, peers), and a
 * web service on the same host or the cloud metadata endpoint at
 * 169.254.169.254 trusts requests from the host itself.  The checks
 * are made on the address actually connected to, after resolution, so
 * that neither a host name nor a redirect can lead around them.
 *
 * Rejected: a list of allowed ranges instead of refused ones.  Private
 * ranges (10/8, 192.168/16, fc00::/7) are where LAN peers live, and
 * loopback is where the tests and a local tracker are; only the ranges
 * that no peer or tracker has a reason to use are refused outright.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <string.h>
#include <strings.h>

#include "netpolicy.h"

static enum netpolicy_class
classify4(const uint8_t *a)
{
	if (a[0] == 127)
		return NETPOLICY_LOOPBACK;
	if (a[0] == 169 && a[1] == 254)
		return NETPOLICY_LINKLOCAL;
	if (a[0] == 0)
		return NETPOLICY_UNSPEC;
	if (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255)
		return NETPOLICY_BROADCAST;
	if ((a[0] & 0xf0) == 224)
		return NETPOLICY_MULTICAST;
	return NETPOLICY_GLOBAL;
}

enum netpolicy_class
netpolicy_classify(int family, const uint8_t *addr)
{
	static const uint8_t	mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t	zero[16];

	if (family == AF_INET)
		return classify4(addr);
	if (family != AF_INET6)
		return NETPOLICY_BAD;
	if (memcmp(addr, mapped, 12) == 0)
		return classify4(addr + 12);
	if (memcmp(addr, zero, 15) == 0)
		return addr[15] == 1 ? NETPOLICY_LOOPBACK : addr[15] == 0 ?
		    NETPOLICY_UNSPEC : NETPOLICY_GLOBAL;
	if (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80)
		return NETPOLICY_LINKLOCAL;
	if (addr[0] == 0xff)
		return NETPOLICY_MULTICAST;
	return NETPOLICY_GLOBAL;
}

enum netpolicy_class
netpolicy_classify_sa(const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in	*s4 = (const void *)sa;
	const struct sockaddr_in6	*s6 = (const void *)sa;

	if (sa == NULL)
		return NETPOLICY_BAD;
	if (sa->sa_family == AF_INET && len >= sizeof(*s4))
		return classify4((const uint8_t *)&s4->sin_addr);
	if (sa->sa_family == AF_INET6 && len >= sizeof(*s6))
		return netpolicy_classify(AF_INET6, s6->sin6_addr.s6_addr);
	return NETPOLICY_BAD;
}

const char *
netpolicy_class_name(enum netpolicy_class c)
{
	switch (c) {
	case NETPOLICY_GLOBAL:
		return "global";
	case NETPOLICY_LOOPBACK:
		return "loopback";
	case NETPOLICY_LINKLOCAL:
		return "link-local";
	case NETPOLICY_UNSPEC:
		return "unspecified";
	case NETPOLICY_MULTICAST:
		return "multicast";
	case NETPOLICY_BROADCAST:
		return "broadcast";
	case NETPOLICY_BAD:
		break;
	}
	return "not an IP address";
}

/* The reason an address of class c is never a peer or tracker, or NULL. */
static const char *
never(enum netpolicy_class c)
{
	switch (c) {
	case NETPOLICY_LINKLOCAL:
		return "link-local address";
	case NETPOLICY_UNSPEC:
		return "unspecified address";
	case NETPOLICY_MULTICAST:
		return "multicast address";
	case NETPOLICY_BROADCAST:
		return "broadcast address";
	case NETPOLICY_BAD:
		return "not an IP address";
	case NETPOLICY_GLOBAL:
	case NETPOLICY_LOOPBACK:
		break;
	}
	return NULL;
}

static unsigned
sa_port(const struct sockaddr *sa)
{
	const struct sockaddr_in	*s4 = (const void *)sa;
	const struct sockaddr_in6	*s6 = (const void *)sa;

	return ntohs(sa->sa_family == AF_INET ? s4->sin_port :
	    s6->sin6_port);
}

const char *
netpolicy_peer(const struct netpolicy *np, const struct sockaddr *sa,
    socklen_t len)
{
	const char	*why;
	unsigned	 port;

	if ((why = never(netpolicy_classify_sa(sa, len))) != NULL)
		return why;
	port = sa_port(sa);
	if (port == 0)
		return "port 0";
	if (port < NETPOLICY_PRIVILEGED && !np->peer_privileged)
		return "privileged port (below 1024; peer_ports_privileged "
		    "is refuse)";
	return NULL;
}

int
netpolicy_url_path(const char *url, char *buf, size_t len)
{
	const char	*p;
	size_t		 n;

	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return -1;
	p += strcspn(p, "/?#");
	if (*p != '/') {
		if (len < 2)
			return -1;
		memcpy(buf, "/", 2);
		return 0;
	}
	n = strcspn(p, "?#");
	if (n >= len)
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

const char *
netpolicy_tracker(const struct netpolicy *np, const struct sockaddr *sa,
    socklen_t len, enum netpolicy_use use, const char *url)
{
	enum netpolicy_class	 c;
	const char		*why;
	char			 path[16];

	c = netpolicy_classify_sa(sa, len);
	if ((why = never(c)) != NULL)
		return why;
	if (c != NETPOLICY_LOOPBACK || use == NETPOLICY_UDP ||
	    use == NETPOLICY_FETCH || np->tracker_any_path)
		return NULL;
	/* Longer than any allowed path: refused without being copied. */
	if (url == NULL || netpolicy_url_path(url, path, sizeof(path)) == -1 ||
	    (strcmp(path, "/announce") != 0 && strcmp(path, "/scrape") != 0))
		return "loopback tracker path must be /announce";
	return NULL;
}

int
netpolicy_config(struct netpolicy *np, const char *key, const char *value)
{
	if (strcmp(key, "peer_ports_privileged") == 0) {
		if (strcmp(value, "allow") == 0)
			np->peer_privileged = 1;
		else if (strcmp(value, "refuse") == 0)
			np->peer_privileged = 0;
		else
			return -1;
		return 1;
	}
	if (strcmp(key, "tracker_loopback_any_path") == 0) {
		if (strcmp(value, "yes") == 0)
			np->tracker_any_path = 1;
		else if (strcmp(value, "no") == 0)
			np->tracker_any_path = 0;
		else
			return -1;
		return 1;
	}
	return 0;
}
