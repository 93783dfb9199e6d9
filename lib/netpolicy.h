/*
 * netpolicy.h -- the address policy: which peers peerd may dial and
 * which tracker addresses trackerd may send a request to, so that a
 * magnet's x.pe, a tracker's peer list or a tracker URL cannot make btd
 * talk to a service on this host or to a cloud metadata endpoint.
 *
 * Peers: never a link-local, unspecified, multicast or broadcast
 * address; never a port below 1024 unless peer_ports_privileged is
 * allow.  Loopback and private ranges are dialed (tests and LANs).
 * Trackers (HTTP, HTTPS, UDP): never link-local, unspecified, multicast
 * or broadcast; an HTTP(S) request to loopback only on the path
 * /announce (or /scrape, which BEP 48 derives from it) unless
 * tracker_loopback_any_path is yes.  A .torrent that btctl add names
 * by URL may come from any path of a loopback server when the URL
 * itself leads there, never when a redirect does.  IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d) are judged as the IPv4 address they carry.
 *
 * Pure functions: no I/O, no state beyond the struct the caller owns.
 */
#ifndef BTD_NETPOLICY_H
#define BTD_NETPOLICY_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#define NETPOLICY_PRIVILEGED	1024	/* ports below are privileged */

enum netpolicy_class {
	NETPOLICY_GLOBAL,	/* none of the below (private ranges too) */
	NETPOLICY_LOOPBACK,	/* 127/8, ::1 */
	NETPOLICY_LINKLOCAL,	/* 169.254/16, fe80::/10 */
	NETPOLICY_UNSPEC,	/* 0/8 (Linux: this host), :: */
	NETPOLICY_MULTICAST,	/* 224/4, ff00::/8 */
	NETPOLICY_BROADCAST,	/* 255.255.255.255 */
	NETPOLICY_BAD,		/* not AF_INET or AF_INET6 */
};

/* The settings, as btd's Config gives them; zeroed is the strict default. */
struct netpolicy {
	int	peer_privileged;	/* peer_ports_privileged allow */
	int	tracker_any_path;	/* tracker_loopback_any_path yes */
};

/* What a request to a tracker address is for. */
enum netpolicy_use {
	NETPOLICY_HTTP,		/* an HTTP(S) announce or scrape */
	NETPOLICY_UDP,		/* a UDP tracker (no path) */
	NETPOLICY_FETCH,	/* a .torrent from a loopback server that the
				   administrator named: any path */
};

/* The class of an address: family AF_INET (4 bytes) or AF_INET6 (16). */
enum netpolicy_class netpolicy_classify(int family, const uint8_t *addr);
/* The same for a sockaddr_in or sockaddr_in6; NETPOLICY_BAD otherwise. */
enum netpolicy_class netpolicy_classify_sa(const struct sockaddr *sa,
	    socklen_t len);
/* "loopback", "link-local" ... for messages. */
const char	*netpolicy_class_name(enum netpolicy_class);

/*
 * May a peer at sa be dialed?  NULL if so, else the reason, a static
 * string ("privileged port 22", "link-local address").
 */
const char	*netpolicy_peer(const struct netpolicy *,
		    const struct sockaddr *sa, socklen_t len);

/*
 * May a request go to a tracker at sa for url (the URL of this very
 * request, query included; only its path is looked at)?  NULL if so,
 * else the reason, a static string ("loopback tracker path must be
 * /announce").
 */
const char	*netpolicy_tracker(const struct netpolicy *,
		    const struct sockaddr *sa, socklen_t len,
		    enum netpolicy_use use, const char *url);

/*
 * The path of an http(s) URL into buf: from the first '/' after the
 * authority to the '?' or '#', "/" when the URL has none.  0, or -1
 * for a URL that is not http(s) or a path that does not fit.
 */
int		 netpolicy_url_path(const char *url, char *buf, size_t len);

/*
 * Take a Config setting: 1 if key is one of the policy's (and value
 * valid; an invalid value leaves the policy as it was and is -1), 0 if
 * the key is not the policy's.
 */
int		 netpolicy_config(struct netpolicy *, const char *key,
		    const char *value);

#endif
