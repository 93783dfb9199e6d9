/*
 * check_netpolicy.c -- the address policy: classes of IPv4, IPv6 and
 * IPv4-mapped addresses at the edges of each range, peer dials, tracker
 * targets and paths, the settings.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <string.h>

#include "netpolicy.h"

/* addr ("1.2.3.4" or "::1") and port into ss; the length. */
static socklen_t
sa_of(const char *addr, unsigned port, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)(void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return sizeof(*s4);
	}
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons((uint16_t)port);
	return sizeof(*s6);
}

static enum netpolicy_class
class_of(const char *addr)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sa_of(addr, 6881, &ss);

	return netpolicy_classify_sa((struct sockaddr *)&ss, len);
}

START_TEST(classes)
{
	static const struct {
		const char		*addr;
		enum netpolicy_class	 want;
	} cases[] = {
		/* IPv4, at both edges of every range */
		{ "127.0.0.1", NETPOLICY_LOOPBACK },
		{ "127.0.0.0", NETPOLICY_LOOPBACK },
		{ "127.255.255.255", NETPOLICY_LOOPBACK },
		{ "126.255.255.255", NETPOLICY_GLOBAL },
		{ "128.0.0.0", NETPOLICY_GLOBAL },
		{ "169.254.169.254", NETPOLICY_LINKLOCAL },
		{ "169.254.0.0", NETPOLICY_LINKLOCAL },
		{ "169.254.255.255", NETPOLICY_LINKLOCAL },
		{ "169.253.255.255", NETPOLICY_GLOBAL },
		{ "169.255.0.0", NETPOLICY_GLOBAL },
		{ "0.0.0.0", NETPOLICY_UNSPEC },
		{ "0.255.255.255", NETPOLICY_UNSPEC },
		{ "1.0.0.0", NETPOLICY_GLOBAL },
		{ "224.0.0.1", NETPOLICY_MULTICAST },
		{ "239.255.255.255", NETPOLICY_MULTICAST },
		{ "223.255.255.255", NETPOLICY_GLOBAL },
		{ "240.0.0.0", NETPOLICY_GLOBAL },
		{ "255.255.255.255", NETPOLICY_BROADCAST },
		{ "255.255.255.254", NETPOLICY_GLOBAL },
		{ "10.0.0.1", NETPOLICY_GLOBAL },
		{ "192.168.1.1", NETPOLICY_GLOBAL },
		/* IPv6 */
		{ "::1", NETPOLICY_LOOPBACK },
		{ "::", NETPOLICY_UNSPEC },
		{ "::2", NETPOLICY_GLOBAL },
		{ "fe80::1", NETPOLICY_LINKLOCAL },
		{ "febf:ffff::1", NETPOLICY_LINKLOCAL },
		{ "fe7f::1", NETPOLICY_GLOBAL },
		{ "fec0::1", NETPOLICY_GLOBAL },
		{ "ff02::1", NETPOLICY_MULTICAST },
		{ "ff00::", NETPOLICY_MULTICAST },
		{ "fd00::1", NETPOLICY_GLOBAL },
		{ "2001:db8::1", NETPOLICY_GLOBAL },
		{ "1::1", NETPOLICY_GLOBAL },
		/* IPv4-mapped IPv6: the IPv4 address decides */
		{ "::ffff:127.0.0.1", NETPOLICY_LOOPBACK },
		{ "::ffff:169.254.169.254", NETPOLICY_LINKLOCAL },
		{ "::ffff:0.0.0.0", NETPOLICY_UNSPEC },
		{ "::ffff:224.0.0.1", NETPOLICY_MULTICAST },
		{ "::ffff:255.255.255.255", NETPOLICY_BROADCAST },
		{ "::ffff:8.8.8.8", NETPOLICY_GLOBAL },
		/* Not mapped: one bit off the ::ffff: prefix */
		{ "::fffe:169.254.169.254", NETPOLICY_GLOBAL },
		{ "1::ffff:169.254.169.254", NETPOLICY_GLOBAL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(class_of(cases[i].addr) == cases[i].want,
		    "%s: class %d, want %d", cases[i].addr,
		    class_of(cases[i].addr), cases[i].want);
}
END_TEST

START_TEST(classify_raw)
{
	static const uint8_t	lo4[4] = { 127, 0, 0, 1 };
	static const uint8_t	md4[4] = { 169, 254, 169, 254 };
	static const uint8_t	ll6[16] = { 0xfe, 0x80, [15] = 1 };

	ck_assert_int_eq(netpolicy_classify(AF_INET, lo4), NETPOLICY_LOOPBACK);
	ck_assert_int_eq(netpolicy_classify(AF_INET, md4),
	    NETPOLICY_LINKLOCAL);
	ck_assert_int_eq(netpolicy_classify(AF_INET6, ll6),
	    NETPOLICY_LINKLOCAL);
	ck_assert_int_eq(netpolicy_classify(AF_UNIX, lo4), NETPOLICY_BAD);
	ck_assert_str_eq(netpolicy_class_name(NETPOLICY_LINKLOCAL),
	    "link-local");
	ck_assert_str_eq(netpolicy_class_name(NETPOLICY_LOOPBACK), "loopback");
}
END_TEST

static const char *
peer(const struct netpolicy *np, const char *addr, unsigned port)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sa_of(addr, port, &ss);

	return netpolicy_peer(np, (struct sockaddr *)&ss, len);
}

START_TEST(peers)
{
	struct netpolicy	strict = { 0, 0 }, allow = { 1, 0 };
	const char		*why;

	ck_assert_ptr_null(peer(&strict, "127.0.0.1", 6881));
	ck_assert_ptr_null(peer(&strict, "::1", 1024));
	ck_assert_ptr_null(peer(&strict, "10.1.2.3", 65535));
	ck_assert_ptr_null(peer(&strict, "2001:db8::1", 51413));
	/* Privileged ports: refused unless allowed. */
	ck_assert_ptr_nonnull(why = peer(&strict, "127.0.0.1", 22));
	ck_assert_ptr_nonnull(strstr(why, "privileged port"));
	ck_assert_ptr_nonnull(peer(&strict, "8.8.8.8", 1023));
	ck_assert_ptr_nonnull(peer(&strict, "::ffff:127.0.0.1", 80));
	ck_assert_ptr_null(peer(&allow, "127.0.0.1", 22));
	ck_assert_ptr_null(peer(&allow, "8.8.8.8", 80));
	/* Never, whatever the setting. */
	ck_assert_str_eq(peer(&allow, "169.254.169.254", 6881),
	    "link-local address");
	ck_assert_str_eq(peer(&allow, "::ffff:169.254.169.254", 6881),
	    "link-local address");
	ck_assert_str_eq(peer(&allow, "fe80::1", 6881), "link-local address");
	ck_assert_str_eq(peer(&allow, "0.0.0.0", 6881), "unspecified address");
	ck_assert_str_eq(peer(&allow, "::", 6881), "unspecified address");
	ck_assert_str_eq(peer(&allow, "239.1.1.1", 6881), "multicast address");
	ck_assert_str_eq(peer(&allow, "ff02::1", 6881), "multicast address");
	ck_assert_str_eq(peer(&allow, "255.255.255.255", 6881),
	    "broadcast address");
	ck_assert_str_eq(peer(&allow, "1.2.3.4", 0), "port 0");
}
END_TEST

static const char *
tracker(const struct netpolicy *np, const char *addr, enum netpolicy_use use,
    const char *url)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sa_of(addr, 80, &ss);

	return netpolicy_tracker(np, (struct sockaddr *)&ss, len, use, url);
}

START_TEST(trackers)
{
	struct netpolicy	strict = { 0, 0 }, any = { 0, 1 };
	const char		*path = "loopback tracker path must be /announce";

	/* Loopback: /announce and /scrape only, query as it may be. */
	ck_assert_ptr_null(tracker(&strict, "127.0.0.1", NETPOLICY_HTTP,
	    "http://127.0.0.1:6969/announce"));
	ck_assert_ptr_null(tracker(&strict, "127.0.0.1", NETPOLICY_HTTP,
	    "http://localhost:6969/announce?info_hash=%00&port=1"));
	ck_assert_ptr_null(tracker(&strict, "::1", NETPOLICY_HTTP,
	    "https://[::1]:6969/scrape?info_hash=x"));
	ck_assert_str_eq(tracker(&strict, "127.0.0.1", NETPOLICY_HTTP,
	    "http://127.0.0.1:8080/admin?x=1"), path);
	ck_assert_str_eq(tracker(&strict, "127.0.0.1", NETPOLICY_HTTP,
	    "http://127.0.0.1:8080/"), path);
	ck_assert_str_eq(tracker(&strict, "127.0.0.1", NETPOLICY_HTTP,
	    "http://127.0.0.1:8080"), path);
	ck_assert_str_eq(tracker(&strict, "127.0.0.1", NETPOLICY_HTTP,
	    "http://127.0.0.1/announce/../admin"), path);
	ck_assert_str_eq(tracker(&strict, "127.0.0.1", NETPOLICY_HTTP,
	    "http://127.0.0.1/ok/announce"), path);
	ck_assert_str_eq(tracker(&strict, "127.0.0.1", NETPOLICY_HTTP,
	    "http://127.0.0.1/announce.php"), path);
	ck_assert_str_eq(tracker(&strict, "127.0.0.1", NETPOLICY_HTTP,
	    "http://127.0.0.1/ANNOUNCE"), path);
	ck_assert_str_eq(tracker(&strict, "::ffff:127.0.0.1", NETPOLICY_HTTP,
	    "http://evil.example/admin"), path);
	ck_assert_str_eq(tracker(&strict, "127.0.0.1", NETPOLICY_HTTP, NULL),
	    path);
	ck_assert_str_eq(tracker(&strict, "127.0.0.1", NETPOLICY_HTTP,
	    "ftp://127.0.0.1/announce"), path);
	/* The host name in the URL does not matter: the address does. */
	ck_assert_ptr_null(tracker(&strict, "8.8.8.8", NETPOLICY_HTTP,
	    "http://127.0.0.1/admin"));
	ck_assert_ptr_null(tracker(&strict, "10.0.0.1", NETPOLICY_HTTP,
	    "http://tracker.lan/a/b?c"));
	/* The setting and the other uses lift the path rule ... */
	ck_assert_ptr_null(tracker(&any, "127.0.0.1", NETPOLICY_HTTP,
	    "http://127.0.0.1/admin?x=1"));
	ck_assert_ptr_null(tracker(&strict, "127.0.0.1", NETPOLICY_UDP, NULL));
	ck_assert_ptr_null(tracker(&strict, "127.0.0.1", NETPOLICY_FETCH,
	    "http://127.0.0.1/x.torrent"));
	/* ... never the refused ranges. */
	ck_assert_str_eq(tracker(&any, "169.254.169.254", NETPOLICY_HTTP,
	    "http://169.254.169.254/announce"), "link-local address");
	ck_assert_str_eq(tracker(&any, "169.254.169.254", NETPOLICY_UDP,
	    NULL), "link-local address");
	ck_assert_str_eq(tracker(&any, "::ffff:169.254.169.254",
	    NETPOLICY_FETCH, "http://x/y.torrent"), "link-local address");
	ck_assert_str_eq(tracker(&any, "fe80::1", NETPOLICY_UDP, NULL),
	    "link-local address");
	ck_assert_str_eq(tracker(&any, "0.0.0.0", NETPOLICY_HTTP,
	    "http://0.0.0.0/announce"), "unspecified address");
	ck_assert_str_eq(tracker(&any, "224.0.0.1", NETPOLICY_UDP, NULL),
	    "multicast address");
}
END_TEST

START_TEST(url_paths)
{
	static const struct {
		const char	*url, *want;	/* want NULL: -1 */
	} cases[] = {
		{ "http://h/announce", "/announce" },
		{ "HTTPS://h:1/announce?a=/b", "/announce" },
		{ "http://h/a/b#frag", "/a/b" },
		{ "http://h", "/" },
		{ "http://h?q=/x", "/" },
		{ "http://h#/x", "/" },
		{ "http://u:p@h:80/announce", "/announce" },
		{ "http://[::1]:80/scrape", "/scrape" },
		{ "udp://h:80/announce", NULL },
		{ "file:///etc/passwd", NULL },
		{ "", NULL },
	};
	char	buf[64], small[4];
	size_t	i;
	int	rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = netpolicy_url_path(cases[i].url, buf, sizeof(buf));
		if (cases[i].want == NULL) {
			ck_assert_msg(rc == -1, "%s accepted", cases[i].url);
			continue;
		}
		ck_assert_msg(rc == 0, "%s refused", cases[i].url);
		ck_assert_str_eq(buf, cases[i].want);
	}
	/* A path that does not fit is an error, never cut to fit. */
	ck_assert_int_eq(netpolicy_url_path("http://h/announce", small,
	    sizeof(small)), -1);
	ck_assert_int_eq(netpolicy_url_path("http://h", small, 1), -1);
}
END_TEST

START_TEST(settings)
{
	struct netpolicy np;

	memset(&np, 0, sizeof(np));
	ck_assert_int_eq(netpolicy_config(&np, "peer_ports_privileged",
	    "allow"), 1);
	ck_assert_int_eq(np.peer_privileged, 1);
	ck_assert_int_eq(netpolicy_config(&np, "tracker_loopback_any_path",
	    "yes"), 1);
	ck_assert_int_eq(np.tracker_any_path, 1);
	ck_assert_int_eq(netpolicy_config(&np, "peer_ports_privileged",
	    "refuse"), 1);
	ck_assert_int_eq(np.peer_privileged, 0);
	ck_assert_int_eq(netpolicy_config(&np, "tracker_loopback_any_path",
	    "no"), 1);
	ck_assert_int_eq(np.tracker_any_path, 0);
	ck_assert_int_eq(netpolicy_config(&np, "peer_port", "22"), 0);
}
END_TEST

START_TEST(settings_bad)
{
	struct netpolicy np = { 0, 1 };

	/* A bad value leaves the policy as it was. */
	ck_assert_int_eq(netpolicy_config(&np, "peer_ports_privileged",
	    "yes"), -1);
	ck_assert_int_eq(np.peer_privileged, 0);
	ck_assert_int_eq(netpolicy_config(&np, "tracker_loopback_any_path",
	    "allow"), -1);
	ck_assert_int_eq(np.tracker_any_path, 1);
	ck_assert_int_eq(netpolicy_config(&np, "tracker_loopback_any_path",
	    ""), -1);
}
END_TEST

START_TEST(bad_addresses)
{
	struct netpolicy	np = { 1, 1 };
	struct sockaddr_storage	ss;
	socklen_t		len;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	ck_assert_int_eq(netpolicy_classify_sa((struct sockaddr *)&ss,
	    sizeof(ss)), NETPOLICY_BAD);
	ck_assert_str_eq(netpolicy_peer(&np, (struct sockaddr *)&ss,
	    sizeof(ss)), "not an IP address");
	ck_assert_int_eq(netpolicy_classify_sa(NULL, 0), NETPOLICY_BAD);
	/* A length too short for its family is not an address. */
	len = sa_of("::1", 6881, &ss);
	ck_assert_int_eq(netpolicy_classify_sa((struct sockaddr *)&ss,
	    len - 1), NETPOLICY_BAD);
	ck_assert_str_eq(netpolicy_tracker(&np, (struct sockaddr *)&ss,
	    sizeof(struct sockaddr_in), NETPOLICY_UDP, NULL),
	    "not an IP address");
}
END_TEST

static Suite *
netpolicy_suite(void)
{
	Suite	*s = suite_create("netpolicy");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_test(core, classes);
	tcase_add_test(core, classify_raw);
	tcase_add_test(core, peers);
	tcase_add_test(core, trackers);
	tcase_add_test(core, url_paths);
	tcase_add_test(core, settings);
	tcase_add_test(errors, settings_bad);
	tcase_add_test(errors, bad_addresses);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(netpolicy_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
