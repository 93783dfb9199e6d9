/*
 * check_rpcd.c -- rpcd without a process: names in snake_case form,
 * torrent-get's fields from a summary and a detail (status mapping,
 * percentDone over the wanted files, file names, omitted and unknown
 * fields), and basic auth against a PBKDF2 hash: the right password,
 * and the headers an attacker would send instead.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include <json-c/json.h>

#include "ctl.pb-c.h"

#include "rpcd/rpcd.h"

/* salt 00..0f, 1000 rounds, password "s3cret pass" */
static char	hash[256];

static void
make_hash(void)
{
	unsigned char	 salt[16], dk[32];
	char		 h[65], s[33];
	int		 i;

	for (i = 0; i < 16; i++)
		salt[i] = (unsigned char)i;
	ck_assert_int_eq(PKCS5_PBKDF2_HMAC("s3cret pass", 11, salt, 16, 1000,
	    EVP_sha256(), 32, dk), 1);
	for (i = 0; i < 32; i++)
		snprintf(h + 2 * i, 3, "%02x", dk[i]);
	for (i = 0; i < 16; i++)
		snprintf(s + 2 * i, 3, "%02x", salt[i]);
	snprintf(hash, sizeof(hash), "pbkdf2-sha256$1000$%s$%s", s, h);
}

/* "Basic " and the base64 of text. */
static void
basic(const char *text, char *out, size_t outlen)
{
	unsigned char	 b[512];
	int		 n;

	n = EVP_EncodeBlock(b, (const unsigned char *)text,
	    (int)strlen(text));
	snprintf(out, outlen, "Basic %.*s", n, b);
}

START_TEST(test_snake)
{
	static const char *const cases[][2] = {
		{ "hashString", "hash_string" },
		{ "torrent-get", "torrent_get" },
		{ "torrent_get", "torrent_get" },
		{ "speed-limit-down-enabled", "speed_limit_down_enabled" },
		{ "seedRatioLimit", "seed_ratio_limit" },
		{ "file-count", "file_count" },
		{ "fileCount", "file_count" },
		{ "id", "id" },
	};
	char	 out[64];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snake_name(cases[i][0], out, sizeof(out));
		ck_assert_str_eq(out, cases[i][1]);
	}
	/* Bounded: a long name is cut, never overflows. */
	snake_name("aVeryLongNameIndeed", out, 8);
	ck_assert_uint_lt(strlen(out), 8);
}
END_TEST

START_TEST(test_fields)
{
	Btd__TorrentSummary	 s = BTD__TORRENT_SUMMARY__INIT;
	Btd__TorrentDetail	 d = BTD__TORRENT_DETAIL__INIT;
	Btd__SeedLimits		 sl = BTD__SEED_LIMITS__INIT;
	char			*labels[2] = { (char *)(uintptr_t)"tv",
				    (char *)(uintptr_t)"films HD" };
	Btd__FileDesc		 f[2] = { BTD__FILE_DESC__INIT,
				    BTD__FILE_DESC__INIT }, *fp[2];
	uint32_t		 prio[2] = { 2, 0 };	/* normal, skip */
	struct json_object	*fields, *o, *v, *a;
	const char		*bad;
	int			 detail, trk;

	fields = json_tokener_parse("[\"id\", \"hashString\", \"status\", "
	    "\"percentDone\", \"sizeWhenDone\", \"files\", \"wanted\", "
	    "\"activityDate\", \"leftUntilDone\", \"hash_string\", "
	    "\"startDate\", \"labels\", \"secondsSeeding\", \"seedRatioMode\", "
	    "\"seedRatioLimit\", \"isFinished\"]");
	ck_assert_ptr_nonnull(fields);
	ck_assert_int_eq(torrent_fields_valid(fields, &bad), 0);
	torrent_fields_need(fields, &detail, &trk);
	ck_assert_int_eq(detail, 1);
	ck_assert_int_eq(trk, 0);

	s.id = (char *)(uintptr_t)"0123456789abcdef0123456789abcdef01234567";
	s.name = (char *)(uintptr_t)"pay";
	s.state = (char *)(uintptr_t)"downloading";
	s.total_size = 1000;
	s.left = 300;		/* of the 800 wanted */
	s.has_metadata = 1;
	f[0].path = (char *)(uintptr_t)"a.bin";
	f[0].length = 800;
	f[1].path = (char *)(uintptr_t)"sub/b.bin";
	f[1].length = 200;
	fp[0] = &f[0];
	fp[1] = &f[1];
	d.files = fp;
	d.n_files = 2;
	d.file_priority = prio;
	d.n_file_priority = 2;
	d.multi = 1;
	s.labels = labels;
	s.n_labels = 2;
	s.seconds_seeding = 3600;
	s.activity = 1700000000;
	sl.ratio_mode = 1;
	sl.ratio_limit = 1.5;
	s.seed = &sl;
	s.finished = 1;
	o = torrent_object(fields, 7, &s, &d, NULL);
	ck_assert(json_object_object_get_ex(o, "id", &v));
	ck_assert_int_eq(json_object_get_int(v), 7);
	ck_assert(json_object_object_get_ex(o, "status", &v));
	ck_assert_int_eq(json_object_get_int(v), 4);
	ck_assert(json_object_object_get_ex(o, "sizeWhenDone", &v));
	ck_assert_int_eq(json_object_get_int(v), 800);
	ck_assert(json_object_object_get_ex(o, "percentDone", &v));
	ck_assert(json_object_get_double(v) > 0.624 &&
	    json_object_get_double(v) < 0.626);
	/* Asked for by both names: answered under each. */
	ck_assert(json_object_object_get_ex(o, "hash_string", &v));
	ck_assert_str_eq(json_object_get_string(v), s.id);
	/* Known, but not kept by btd: left out. */
	ck_assert(!json_object_object_get_ex(o, "startDate", &v));
	/* Kept by btd (btd_seed.c): labels, times, seed limits. */
	ck_assert(json_object_object_get_ex(o, "labels", &a));
	ck_assert_int_eq(json_object_array_length(a), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(a,
	    1)), "films HD");
	ck_assert(json_object_object_get_ex(o, "secondsSeeding", &v));
	ck_assert_int_eq(json_object_get_int(v), 3600);
	ck_assert(json_object_object_get_ex(o, "activityDate", &v));
	ck_assert_int_eq(json_object_get_int64(v), 1700000000);
	ck_assert(json_object_object_get_ex(o, "seedRatioMode", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	ck_assert(json_object_object_get_ex(o, "seedRatioLimit", &v));
	ck_assert(json_object_get_double(v) == 1.5);
	ck_assert(json_object_object_get_ex(o, "isFinished", &v));
	ck_assert(json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(o, "files", &a));
	ck_assert_int_eq(json_object_array_length(a), 2);
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(a, 1),
	    "name", &v));
	ck_assert_str_eq(json_object_get_string(v), "pay/sub/b.bin");
	ck_assert(json_object_object_get_ex(o, "wanted", &a));
	ck_assert_int_eq(json_object_get_int(json_object_array_get_idx(a, 1)),
	    0);
	json_object_put(o);

	/* Paused is stopped (0), seeding 6. */
	s.state = (char *)(uintptr_t)"paused";
	o = torrent_object(fields, 7, &s, &d, NULL);
	ck_assert(json_object_object_get_ex(o, "status", &v));
	ck_assert_int_eq(json_object_get_int(v), 0);
	json_object_put(o);
	s.state = (char *)(uintptr_t)"seeding";
	o = torrent_object(fields, 7, &s, &d, NULL);
	ck_assert(json_object_object_get_ex(o, "status", &v));
	ck_assert_int_eq(json_object_get_int(v), 6);
	json_object_put(o);
	json_object_put(fields);
}
END_TEST

START_TEST(test_fields_bad)
{
	struct json_object	*f;
	const char		*bad;

	f = json_tokener_parse("[\"id\", \"bogus\"]");
	ck_assert_int_eq(torrent_fields_valid(f, &bad), -1);
	ck_assert_str_eq(bad, "bogus");
	json_object_put(f);
	f = json_tokener_parse("[\"id\", 3]");
	ck_assert_int_eq(torrent_fields_valid(f, &bad), -1);
	json_object_put(f);
	f = json_tokener_parse("{\"id\": 1}");
	ck_assert_int_eq(torrent_fields_valid(f, &bad), -1);
	ck_assert_ptr_null(bad);
	json_object_put(f);
	ck_assert_int_eq(torrent_fields_valid(NULL, &bad), -1);
}
END_TEST

START_TEST(test_auth)
{
	char	 h[512];

	make_hash();
	basic("btd:s3cret pass", h, sizeof(h));
	ck_assert_int_eq(auth_check(h, "btd", hash), 1);
	/* Again: from the cache of the last good header. */
	ck_assert_int_eq(auth_check(h, "btd", hash), 1);
	ck_assert_int_eq(auth_check(h, "admin", hash), 0);
	/* A colon in the password is part of it. */
	basic("btd:s3cret pass:", h, sizeof(h));
	ck_assert_int_eq(auth_check(h, "btd", hash), 0);
}
END_TEST

START_TEST(test_auth_bad)
{
	char	 h[512], longer[2048];

	make_hash();
	basic("btd:wrong", h, sizeof(h));
	ck_assert_int_eq(auth_check(h, "btd", hash), 0);
	basic("btds3cret pass", h, sizeof(h));
	ck_assert_int_eq(auth_check(h, "btd", hash), 0);
	basic("bt:s3cret pass", h, sizeof(h));
	ck_assert_int_eq(auth_check(h, "btd", hash), 0);
	ck_assert_int_eq(auth_check(NULL, "btd", hash), 0);
	ck_assert_int_eq(auth_check("Bearer abc", "btd", hash), 0);
	ck_assert_int_eq(auth_check("Basic !!!!", "btd", hash), 0);
	ck_assert_int_eq(auth_check("Basic abc", "btd", hash), 0);
	ck_assert_int_eq(auth_check("Basic ", "btd", hash), 0);
	/* A NUL inside the credentials. */
	ck_assert_int_eq(auth_check("Basic YnRkAHM6eA==", "btd", hash), 0);
	memset(longer, 'A', sizeof(longer) - 1);
	memcpy(longer, "Basic ", 6);
	longer[sizeof(longer) - 1] = '\0';
	ck_assert_int_eq(auth_check(longer, "btd", hash), 0);
	/* No hash, no entry. */
	basic("btd:s3cret pass", h, sizeof(h));
	ck_assert_int_eq(auth_check(h, "btd", ""), 0);
}
END_TEST

/* The web interface's fields: from a PeersReport, and the constants. */
START_TEST(test_web_fields)
{
	Btd__TorrentSummary	 s = BTD__TORRENT_SUMMARY__INIT;
	Btd__PeerInfo		 p[2] = { BTD__PEER_INFO__INIT,
				    BTD__PEER_INFO__INIT }, *pp[2];
	Btd__PeersReport	 r = BTD__PEERS_REPORT__INIT;
	struct json_object	*fields, *o, *v, *a, *e;
	const char		*bad;

	fields = json_tokener_parse("[\"peers\", \"peersSendingToUs\", "
	    "\"peersGettingFromUs\", \"isStalled\", \"queuePosition\", "
	    "\"webseedsSendingToUs\", \"desiredAvailable\", \"name\"]");
	ck_assert_ptr_nonnull(fields);
	ck_assert_int_eq(torrent_fields_valid(fields, &bad), 0);
	ck_assert_int_eq(torrent_fields_peers(fields), 1);
	s.name = (char *)(uintptr_t)"pay";
	s.left = 300;
	s.seeds = 1;
	/* One sends to us (a seed, unchoked us), one gets from us. */
	p[0].addr = (char *)(uintptr_t)"127.0.0.1";
	p[0].port = 7001;
	p[0].client = (char *)(uintptr_t)"libtorrent 2.0.8";
	p[0].flags = (char *)(uintptr_t)"ciS";
	p[0].source = (char *)(uintptr_t)"tracker";
	p[0].rate_down = 5000;
	p[0].progress = 1.0;
	p[1].addr = (char *)(uintptr_t)"::1";
	p[1].port = 7002;
	p[1].client = (char *)(uintptr_t)"";
	p[1].flags = (char *)(uintptr_t)"ICn";
	p[1].source = (char *)(uintptr_t)"pex";
	p[1].rate_up = 700;
	pp[0] = &p[0];
	pp[1] = &p[1];
	r.peers = pp;
	r.n_peers = 2;
	o = torrent_object(fields, 1, &s, NULL, NULL);
	/* torrent_object() leaves them out; torrent_web_fields() adds. */
	ck_assert(!json_object_object_get_ex(o, "peers", &v));
	torrent_web_fields(o, fields, &s, &r);
	ck_assert(json_object_object_get_ex(o, "peersSendingToUs", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	ck_assert(json_object_object_get_ex(o, "peersGettingFromUs", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	ck_assert(json_object_object_get_ex(o, "isStalled", &v));
	ck_assert(!json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(o, "queuePosition", &v));
	ck_assert_int_eq(json_object_get_int(v), 0);
	ck_assert(json_object_object_get_ex(o, "desiredAvailable", &v));
	ck_assert_int_eq(json_object_get_int(v), 300);
	ck_assert(json_object_object_get_ex(o, "peers", &a));
	ck_assert_int_eq(json_object_array_length(a), 2);
	e = json_object_array_get_idx(a, 0);
	ck_assert(json_object_object_get_ex(e, "address", &v));
	ck_assert_str_eq(json_object_get_string(v), "127.0.0.1");
	ck_assert(json_object_object_get_ex(e, "isDownloadingFrom", &v));
	ck_assert(json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(e, "peerIsChoked", &v));
	ck_assert(json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(e, "clientIsChoked", &v));
	ck_assert(!json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(e, "rateToClient", &v));
	ck_assert_int_eq(json_object_get_int(v), 5000);
	ck_assert(json_object_object_get_ex(e, "flagStr", &v));
	ck_assert_str_eq(json_object_get_string(v), "D");
	e = json_object_array_get_idx(a, 1);
	ck_assert(json_object_object_get_ex(e, "isIncoming", &v));
	ck_assert(json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(e, "flagStr", &v));
	ck_assert_str_eq(json_object_get_string(v), "UXI");
	json_object_put(o);

	/* No seed and no report: the lower bound 0, no peers. */
	s.seeds = 0;
	o = json_object_new_object();
	torrent_web_fields(o, fields, &s, NULL);
	ck_assert(json_object_object_get_ex(o, "desiredAvailable", &v));
	ck_assert_int_eq(json_object_get_int(v), 0);
	ck_assert(json_object_object_get_ex(o, "peers", &a));
	ck_assert_int_eq(json_object_array_length(a), 0);
	ck_assert(json_object_object_get_ex(o, "peersSendingToUs", &v));
	ck_assert_int_eq(json_object_get_int(v), 0);
	/* Only what was asked for. */
	ck_assert(!json_object_object_get_ex(o, "name", &v));
	json_object_put(o);
	json_object_put(fields);

	fields = json_tokener_parse("[\"peersConnected\", \"id\"]");
	ck_assert_int_eq(torrent_fields_peers(fields), 0);
	json_object_put(fields);
}
END_TEST

static Suite *
rpcd_suite(void)
{
	Suite	*s = suite_create("rpcd");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_test(tc, test_snake);
	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_auth);
	tcase_add_test(tc, test_web_fields);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, test_fields_bad);
	tcase_add_test(tc, test_auth_bad);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(rpcd_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
