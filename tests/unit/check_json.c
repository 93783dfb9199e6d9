/*
 * check_json.c -- the JSON writer of lib/json.c: exact output for every
 * kind of value and nesting, escaping of every control character,
 * replacement of every kind of invalid UTF-8, and the refusal of
 * misuse and of a failing stream.
 *
 * Output goes to an open_memstream() buffer and is compared byte for
 * byte with what RFC 8259 and the two-space layout require.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "json.h"

static char		*out;
static size_t		 outlen;
static FILE		*fp;
static struct json	 j;

static void
setup(void)
{
	out = NULL;
	outlen = 0;
	fp = open_memstream(&out, &outlen);
	ck_assert_ptr_nonnull(fp);
	json_init(&j, fp);
}

static void
teardown(void)
{
	if (fp != NULL)
		fclose(fp);
	free(out);
}

/* End the document, check json_finish()'s result, return the text. */
static const char *
finish(int want)
{
	ck_assert_int_eq(json_finish(&j), want);
	ck_assert_int_eq(fclose(fp), 0);
	fp = NULL;
	return out;
}

/* core */

START_TEST(scalars_at_top)
{
	json_int(&j, NULL, LLONG_MIN);
	ck_assert_str_eq(finish(0), "-9223372036854775808\n");
}
END_TEST

START_TEST(uint_max)
{
	json_uint(&j, NULL, ULLONG_MAX);
	ck_assert_str_eq(finish(0), "18446744073709551615\n");
}
END_TEST

/* Numbers are written as "%.6g" writes them, whole ones without it. */
START_TEST(doubles)
{
	static const double v[] = { 0.0, -0.0, 1.0, -1.0, 0.5, 100.0,
	    999999.0, 1e6, -1e6, 123456789.0, 0.1234567, 1e-7, -2.5,
	    4294967296.0, 1e300 };
	char	want[1024], *w = want;
	size_t	i;

	json_arr_open(&j, NULL);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		json_double(&j, NULL, v[i]);
		w += snprintf(w, sizeof(want) - (size_t)(w - want),
		    "%s\n  %.6g", i == 0 ? "[" : ",", v[i]);
	}
	json_double(&j, NULL, NAN);
	json_arr_close(&j);
	snprintf(w, sizeof(want) - (size_t)(w - want), ",\n  null\n]\n");
	ck_assert_str_eq(finish(0), want);
}
END_TEST

/* A value longer than the writer's buffer, after a short one. */
START_TEST(longer_than_buffer)
{
	static char	 big[3 * JSON_BUF + 1];
	const char	*o;

	memset(big, 'x', sizeof(big) - 1);
	json_arr_open(&j, NULL);
	json_str(&j, NULL, "a");
	json_str(&j, NULL, big);
	json_arr_close(&j);
	o = finish(0);
	ck_assert_uint_eq(strlen(o), 3 * JSON_BUF + 16);
	ck_assert(strncmp(o, "[\n  \"a\",\n  \"xxx", 14) == 0);
	ck_assert_str_eq(o + strlen(o) - 4, "x\"\n]\n" + 1);
}
END_TEST

START_TEST(null_string)
{
	json_str(&j, NULL, NULL);
	ck_assert_str_eq(finish(0), "null\n");
}
END_TEST

START_TEST(empty_containers)
{
	json_obj_open(&j, NULL);
	json_obj_open(&j, "o");
	json_obj_close(&j);
	json_arr_open(&j, "a");
	json_arr_close(&j);
	json_obj_close(&j);
	ck_assert_str_eq(finish(0),
	    "{\n"
	    "  \"o\": {},\n"
	    "  \"a\": []\n"
	    "}\n");
}
END_TEST

START_TEST(nesting)
{
	json_obj_open(&j, NULL);
	json_int(&j, "pid", 1234);
	json_str(&j, "version", "0.1.0");
	json_arr_open(&j, "roles");
	json_obj_open(&j, NULL);
	json_str(&j, "name", "stored");
	json_bool(&j, "up", 1);
	json_bool(&j, "netns", 0);
	json_str(&j, "last_exit", NULL);
	json_arr_open(&j, "links");
	json_uint(&j, NULL, 1);
	json_int(&j, NULL, -2);
	json_arr_close(&j);
	json_obj_close(&j);
	json_obj_open(&j, NULL);
	json_obj_close(&j);
	json_arr_close(&j);
	json_obj_close(&j);
	ck_assert_str_eq(finish(0),
	    "{\n"
	    "  \"pid\": 1234,\n"
	    "  \"version\": \"0.1.0\",\n"
	    "  \"roles\": [\n"
	    "    {\n"
	    "      \"name\": \"stored\",\n"
	    "      \"up\": true,\n"
	    "      \"netns\": false,\n"
	    "      \"last_exit\": null,\n"
	    "      \"links\": [\n"
	    "        1,\n"
	    "        -2\n"
	    "      ]\n"
	    "    },\n"
	    "    {}\n"
	    "  ]\n"
	    "}\n");
}
END_TEST

START_TEST(control_chars)
{
	unsigned char	buf[33];
	int		i;

	for (i = 0; i < 32; i++)
		buf[i] = (unsigned char)i;
	buf[32] = 0x7f;
	json_strn(&j, NULL, buf, sizeof(buf));
	ck_assert_str_eq(finish(0), "\""
	    "\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
	    "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
	    "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
	    "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"
	    "\\u007f\"\n");
}
END_TEST

START_TEST(quote_backslash)
{
	json_str(&j, NULL, "say \"hi\" \\ / ok");
	ck_assert_str_eq(finish(0), "\"say \\\"hi\\\" \\\\ / ok\"\n");
}
END_TEST

START_TEST(keys_escaped)
{
	json_obj_open(&j, NULL);
	json_str(&j, "a\"b\n\xff", "v");
	json_obj_close(&j);
	ck_assert_str_eq(finish(0), "{\n  \"a\\\"b\\n\\ufffd\": \"v\"\n}\n");
}
END_TEST

START_TEST(strn_nul)
{
	json_strn(&j, NULL, "a\0b", 3);
	ck_assert_str_eq(finish(0), "\"a\\u0000b\"\n");
}
END_TEST

/* Well-formed UTF-8 at the edges of each range passes unchanged. */
static const char *const valid_utf8[] = {
	"\xc2\x80",		/* U+0080 */
	"\xdf\xbf",		/* U+07FF */
	"\xe0\xa0\x80",		/* U+0800 */
	"\xe2\x82\xac",		/* U+20AC euro sign */
	"\xed\x9f\xbf",		/* U+D7FF, last before the surrogates */
	"\xee\x80\x80",		/* U+E000, first after them */
	"\xef\xbf\xbf",		/* U+FFFF */
	"\xf0\x90\x80\x80",	/* U+10000 */
	"\xf0\x9f\x98\x80",	/* U+1F600 */
	"\xf4\x8f\xbf\xbf",	/* U+10FFFF, the last code point */
	"caf\xc3\xa9 \xe2\x80\xae",	/* mixed with ASCII; U+202E */
};

START_TEST(utf8_valid)
{
	const char	*s = valid_utf8[_i];
	char		 want[64];

	json_str(&j, NULL, s);
	snprintf(want, sizeof(want), "\"%s\"\n", s);
	ck_assert_str_eq(finish(0), want);
}
END_TEST

START_TEST(depth_limit_reached)
{
	int i;

	for (i = 0; i < JSON_MAXDEPTH; i++)
		json_arr_open(&j, NULL);
	for (i = 0; i < JSON_MAXDEPTH; i++)
		json_arr_close(&j);
	ck_assert_int_eq(json_finish(&j), 0);
}
END_TEST

/* errors */

/* Each invalid byte becomes one \ufffd; what follows is kept. */
static const struct {
	const char	*in;
	const char	*want;
} invalid_utf8[] = {
	{ "\x80", "\\ufffd" },				/* lone continuation */
	{ "a\xbf" "b", "a\\ufffdb" },
	{ "\xc0\xaf", "\\ufffd\\ufffd" },		/* overlong '/' */
	{ "\xc1\xbf", "\\ufffd\\ufffd" },		/* overlong U+007F */
	{ "\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd" },	/* overlong, 3 bytes */
	{ "\xe0\x9f\xbf", "\\ufffd\\ufffd\\ufffd" },	/* overlong U+07FF */
	{ "\xf0\x80\x80\xaf", "\\ufffd\\ufffd\\ufffd\\ufffd" },
	{ "\xf0\x8f\xbf\xbf", "\\ufffd\\ufffd\\ufffd\\ufffd" },
	{ "\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd" },	/* U+D800 */
	{ "\xed\xbf\xbf", "\\ufffd\\ufffd\\ufffd" },	/* U+DFFF */
	{ "\xed\xa0\xbd\xed\xb8\x80",			/* CESU-8 pair */
	    "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd" },
	{ "\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd" },	/* U+110000 */
	{ "\xf5\x80\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd" },
	{ "\xf8\x88\x80\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd" },
	{ "\xfe\xff", "\\ufffd\\ufffd" },
	{ "\xe2\x82", "\\ufffd\\ufffd" },	/* truncated at the end */
	{ "\xe2\x82" "A", "\\ufffd\\ufffdA" },		/* cut by ASCII */
	{ "\xf0\x9f\x98", "\\ufffd\\ufffd\\ufffd" },
	{ "\xc3", "\\ufffd" },
	{ "\xe2\x82\xe2\x82\xac", "\\ufffd\\ufffd\xe2\x82\xac" },
	{ "\xc3\xc3\xa9", "\\ufffd\xc3\xa9" },
};

START_TEST(utf8_invalid)
{
	char	want[128];

	json_str(&j, NULL, invalid_utf8[_i].in);
	snprintf(want, sizeof(want), "\"%s\"\n", invalid_utf8[_i].want);
	ck_assert_str_eq(finish(0), want);
}
END_TEST

/* A sequence cut by the end of the buffer is not read past it. */
START_TEST(utf8_truncated_buffer)
{
	unsigned char	*buf;

	buf = malloc(4);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, "x\xf0\x9f\x98", 4);
	json_strn(&j, NULL, buf, 4);
	free(buf);
	ck_assert_str_eq(finish(0), "\"x\\ufffd\\ufffd\\ufffd\"\n");
}
END_TEST

START_TEST(no_key_in_object)
{
	json_obj_open(&j, NULL);
	json_str(&j, NULL, "x");
	json_int(&j, "n", 1);		/* ignored: the writer has stopped */
	json_obj_close(&j);
	ck_assert_str_eq(finish(-1), "{");
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(key_in_array)
{
	json_arr_open(&j, NULL);
	json_int(&j, "n", 1);
	json_arr_close(&j);
	ck_assert_str_eq(finish(-1), "[");
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(key_at_top)
{
	json_int(&j, "n", 1);
	ck_assert_str_eq(finish(-1), "");
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(close_unopened)
{
	json_obj_close(&j);
	json_int(&j, NULL, 1);
	ck_assert_str_eq(finish(-1), "");
}
END_TEST

START_TEST(close_mismatched)
{
	json_arr_open(&j, NULL);
	json_obj_close(&j);
	ck_assert_str_eq(finish(-1), "[");
}
END_TEST

START_TEST(left_open)
{
	json_obj_open(&j, NULL);
	json_int(&j, "n", 1);
	ck_assert_str_eq(finish(-1), "{\n  \"n\": 1");
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(empty_document)
{
	ck_assert_str_eq(finish(-1), "");
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(second_top_value)
{
	json_int(&j, NULL, 1);
	json_int(&j, NULL, 2);
	ck_assert_str_eq(finish(-1), "1");
}
END_TEST

START_TEST(too_deep)
{
	int i;

	for (i = 0; i <= JSON_MAXDEPTH; i++)
		json_arr_open(&j, NULL);
	for (i = 0; i <= JSON_MAXDEPTH; i++)
		json_arr_close(&j);
	ck_assert_int_eq(json_finish(&j), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(j.depth, JSON_MAXDEPTH);
}
END_TEST

START_TEST(stream_fails)
{
	FILE	*full;

	full = fopen("/dev/full", "w");
	ck_assert_ptr_nonnull(full);
	json_init(&j, full);
	json_str(&j, NULL, "no room");
	ck_assert_int_eq(json_finish(&j), -1);
	ck_assert_int_eq(errno, ENOSPC);
	fclose(full);
}
END_TEST

static Suite *
json_suite(void)
{
	Suite	*s = suite_create("json");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, scalars_at_top);
	tcase_add_test(tc, uint_max);
	tcase_add_test(tc, null_string);
	tcase_add_test(tc, doubles);
	tcase_add_test(tc, longer_than_buffer);
	tcase_add_test(tc, empty_containers);
	tcase_add_test(tc, nesting);
	tcase_add_test(tc, control_chars);
	tcase_add_test(tc, quote_backslash);
	tcase_add_test(tc, keys_escaped);
	tcase_add_test(tc, strn_nul);
	tcase_add_loop_test(tc, utf8_valid, 0,
	    sizeof(valid_utf8) / sizeof(valid_utf8[0]));
	tcase_add_test(tc, depth_limit_reached);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, utf8_invalid, 0,
	    sizeof(invalid_utf8) / sizeof(invalid_utf8[0]));
	tcase_add_test(tc, utf8_truncated_buffer);
	tcase_add_test(tc, no_key_in_object);
	tcase_add_test(tc, key_in_array);
	tcase_add_test(tc, key_at_top);
	tcase_add_test(tc, close_unopened);
	tcase_add_test(tc, close_mismatched);
	tcase_add_test(tc, left_open);
	tcase_add_test(tc, empty_document);
	tcase_add_test(tc, second_top_value);
	tcase_add_test(tc, too_deep);
	tcase_add_test(tc, stream_fails);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(json_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
