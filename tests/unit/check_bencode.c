/*
 * check_bencode.c -- the strict decoder and the encoder: values and
 * their exact byte spans, round trips, and every bencode row of
 * HOSTILE.md (deep nesting, huge lengths, malformed integers, unsorted
 * and duplicate keys, trailing bytes, the node bound, truncation).
 *
 * Inputs are copied into buffers of exactly their length so that
 * AddressSanitizer sees any read past the end.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"

/* A string literal and its length, NUL bytes inside included. */
#define LIT(s)	(s), sizeof(s) - 1

static char	errbuf[256];

/* A heap copy of exactly len bytes (reads past it trip ASan). */
static uint8_t *
dup_exact(const void *p, size_t len)
{
	uint8_t	*q = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(q);
	if (len)
		memcpy(q, p, len);
	return q;
}

/*
 * Decode a copy of p.  On success the copy lives on with the document
 * (nodes point into it; nodes[0].raw is its first byte) until undecode().
 */
static int
decode(const void *p, size_t len, const struct be_limits *lim, int flags,
    struct be_doc *doc)
{
	uint8_t	*copy;
	int	 rc;

	copy = dup_exact(p, len);
	errbuf[0] = '\0';
	rc = be_decode(copy, len, lim, flags, doc, errbuf, sizeof(errbuf));
	if (rc == 0) {
		ck_assert_uint_gt(doc->n, 0);
		ck_assert_ptr_eq(doc->nodes[0].raw, copy);
		return 0;
	}
	free(copy);
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_null(doc->nodes);
	ck_assert_uint_eq(doc->n, 0);
	ck_assert_uint_gt(strlen(errbuf), 0);
	return -1;
}

/* Free a document from decode() and its input copy. */
static void
undecode(struct be_doc *doc)
{
	if (doc->n > 0)
		free((void *)(uintptr_t)doc->nodes[0].raw);
	be_free(doc);
}

static void
must_fail(const char *in, size_t len, const char *msg)
{
	struct be_doc	doc;

	ck_assert_msg(decode(in, len, NULL, 0, &doc) == -1,
	    "accepted '%.*s'", (int)(len > 60 ? 60 : len), in);
	ck_assert_msg(strstr(errbuf, msg) != NULL,
	    "'%.*s': error '%s', wanted '%s'", (int)(len > 60 ? 60 : len),
	    in, errbuf, msg);
}

/* Re-encode a decoded value with the encoder. */
static void
reencode(struct be_buf *b, const struct be_doc *doc, const struct be_node *n)
{
	const struct be_node	*c;

	switch (n->type) {
	case BE_INT:
		be_enc_int(b, n->i);
		break;
	case BE_STR:
		be_enc_str(b, n->s, n->slen);
		break;
	case BE_LIST:
	case BE_DICT:
		if (n->type == BE_LIST)
			be_enc_list(b);
		else
			be_enc_dict(b);
		for (c = be_first(doc, n); c != NULL; c = be_next(doc, n, c))
			reencode(b, doc, c);
		be_enc_end(b);
		break;
	}
}

START_TEST(integers)
{
	static const struct {
		const char	*in;
		int64_t		 v;
	} ok[] = {
		{ "i0e", 0 },
		{ "i42e", 42 },
		{ "i-7e", -7 },
		{ "i9223372036854775807e", INT64_MAX },
		{ "i-9223372036854775808e", INT64_MIN },
	};
	struct be_doc	doc;
	size_t		i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(decode(ok[i].in, strlen(ok[i].in), NULL, 0,
		    &doc), 0);
		ck_assert_uint_eq(doc.n, 1);
		ck_assert_int_eq(doc.nodes[0].type, BE_INT);
		ck_assert_int_eq(doc.nodes[0].i, ok[i].v);
		ck_assert_uint_eq(doc.nodes[0].rawlen, strlen(ok[i].in));
		ck_assert_uint_eq(doc.nodes[0].next, 1);
		ck_assert_uint_eq(doc.used, strlen(ok[i].in));
		undecode(&doc);
	}
}
END_TEST

START_TEST(strings)
{
	struct be_doc	doc;

	ck_assert_int_eq(decode(LIT("4:spam"), NULL, 0, &doc), 0);
	ck_assert_int_eq(doc.nodes[0].type, BE_STR);
	ck_assert_uint_eq(doc.nodes[0].slen, 4);
	ck_assert_mem_eq(doc.nodes[0].s, "spam", 4);
	ck_assert_ptr_eq(doc.nodes[0].s, doc.nodes[0].raw + 2);
	ck_assert(be_streq(&doc.nodes[0], "spam"));
	ck_assert(!be_streq(&doc.nodes[0], "spa"));
	ck_assert(!be_streq(&doc.nodes[0], "spams"));
	undecode(&doc);

	ck_assert_int_eq(decode(LIT("0:"), NULL, 0, &doc), 0);
	ck_assert_uint_eq(doc.nodes[0].slen, 0);
	ck_assert(be_streq(&doc.nodes[0], ""));
	undecode(&doc);

	/* Any bytes, NUL included. */
	ck_assert_int_eq(decode(LIT("3:a\0b"), NULL, 0, &doc), 0);
	ck_assert_uint_eq(doc.nodes[0].slen, 3);
	ck_assert_mem_eq(doc.nodes[0].s, "a\0b", 3);
	undecode(&doc);
}
END_TEST

START_TEST(containers)
{
	const char		*in = "d3:bar4:spam3:fooli42eli1ei2eeee";
	const struct be_node	*top, *v, *c;
	struct be_doc		 doc;

	ck_assert_int_eq(decode(in, strlen(in), NULL, 0, &doc), 0);
	ck_assert_int_eq(doc.unsorted, 0);
	ck_assert_uint_eq(doc.n, 9);
	top = &doc.nodes[0];
	ck_assert_int_eq(top->type, BE_DICT);
	ck_assert_uint_eq(top->nchild, 4);
	ck_assert_uint_eq(top->next, 9);
	ck_assert_uint_eq(top->rawlen, strlen(in));

	v = be_dict_get(&doc, top, "bar");
	ck_assert(be_streq(v, "spam"));
	v = be_dict_get(&doc, top, "foo");
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(v->type, BE_LIST);
	ck_assert_uint_eq(v->nchild, 2);
	ck_assert_uint_eq(v->rawlen, strlen("li42eli1ei2eee"));
	ck_assert_ptr_null(be_dict_get(&doc, top, "baz"));
	ck_assert_ptr_null(be_dict_get(&doc, top, "spam"));	/* a value */
	ck_assert_ptr_null(be_dict_get(&doc, v, "bar"));	/* a list */

	c = be_first(&doc, v);
	ck_assert_int_eq(c->i, 42);
	c = be_next(&doc, v, c);
	ck_assert_int_eq(c->type, BE_LIST);
	ck_assert_uint_eq(c->nchild, 2);
	ck_assert_int_eq(be_first(&doc, c)->i, 1);
	ck_assert_int_eq(be_next(&doc, c, be_first(&doc, c))->i, 2);
	ck_assert_ptr_null(be_next(&doc, c, be_next(&doc, c,
	    be_first(&doc, c))));
	/* The inner list is skipped in one step. */
	ck_assert_ptr_null(be_next(&doc, v, c));
	ck_assert_ptr_null(be_first(&doc, be_first(&doc, v)));
	undecode(&doc);

	ck_assert_int_eq(decode(LIT("le"), NULL, 0, &doc), 0);
	ck_assert_uint_eq(doc.nodes[0].nchild, 0);
	ck_assert_ptr_null(be_first(&doc, &doc.nodes[0]));
	undecode(&doc);
	ck_assert_int_eq(decode(LIT("de"), NULL, 0, &doc), 0);
	ck_assert_ptr_null(be_dict_get(&doc, &doc.nodes[0], "a"));
	undecode(&doc);
}
END_TEST

START_TEST(raw_spans)
{
	const char		*in = "d8:announce9:http://x/4:infod6:lengthi5e"
	    "4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaa"
	    "e3:zzzi1ee";
	const char		*info = strstr(in, "d6:length");
	const size_t		 infolen = strlen(info) - strlen("3:zzzi1ee");
	const struct be_node	*top, *n;
	struct be_doc		 doc;

	ck_assert_int_eq(decode(in, strlen(in), NULL, 0, &doc), 0);
	top = &doc.nodes[0];
	n = be_dict_get(&doc, top, "info");
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(n->type, BE_DICT);
	ck_assert_uint_eq(n->raw - top->raw, info - in);
	ck_assert_uint_eq(n->rawlen, infolen);
	ck_assert_mem_eq(n->raw, info, infolen);
	ck_assert_int_eq(be_dict_get(&doc, n, "piece length")->i, 16384);
	n = be_dict_get(&doc, n, "pieces");
	ck_assert_uint_eq(n->rawlen, 23);
	ck_assert_mem_eq(n->raw, "20:aaaa", 7);
	ck_assert_int_eq(be_dict_get(&doc, top, "zzz")->i, 1);
	undecode(&doc);
}
END_TEST

START_TEST(round_trips)
{
	static const char *const docs[] = {
		"i0e", "i-12345e", "0:", "5:hello", "le", "de",
		"l4:spami42ee",
		"d3:bar4:spam3:fooi42ee",
		"d1:ad1:bl1:cd1:di-1eeeee",
		"lllleeee",
		"d4:infod5:filesld6:lengthi3e4:pathl1:a1:beeeee",
	};
	struct be_doc	doc;
	struct be_buf	b;
	size_t		i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		ck_assert_int_eq(decode(docs[i], strlen(docs[i]), NULL, 0,
		    &doc), 0);
		be_buf_init(&b);
		reencode(&b, &doc, &doc.nodes[0]);
		ck_assert_int_eq(b.failed, 0);
		ck_assert_uint_eq(b.len, strlen(docs[i]));
		ck_assert_mem_eq(b.p, docs[i], b.len);
		be_buf_free(&b);
		undecode(&doc);
	}
}
END_TEST

START_TEST(encoder)
{
	static const char	 want[] = "d3:bini-9223372036854775808e"
	    "5:bytes3:a\0b4:listli0ei9223372036854775807e0:lee3:raw4:spame";
	struct be_buf		 b;
	size_t			 i;

	be_buf_init(&b);
	be_enc_dict(&b);
	be_enc_cstr(&b, "bin");
	be_enc_int(&b, INT64_MIN);
	be_enc_cstr(&b, "bytes");
	be_enc_str(&b, "a\0b", 3);
	be_enc_cstr(&b, "list");
	be_enc_list(&b);
	be_enc_int(&b, 0);
	be_enc_int(&b, INT64_MAX);
	be_enc_str(&b, NULL, 0);
	be_enc_list(&b);
	be_enc_end(&b);
	be_enc_end(&b);
	be_enc_cstr(&b, "raw");
	be_enc_raw(&b, "4:spam", 6);
	be_enc_end(&b);
	ck_assert_int_eq(b.failed, 0);
	ck_assert_uint_eq(b.len, sizeof(want) - 1);
	ck_assert_mem_eq(b.p, want, b.len);
	be_buf_free(&b);
	ck_assert_ptr_null(b.p);
	ck_assert_uint_eq(b.len, 0);

	/* Growth past the first allocation keeps every byte. */
	be_buf_init(&b);
	for (i = 0; i < 10000; i++)
		be_enc_int(&b, (int64_t)i);
	ck_assert_int_eq(b.failed, 0);
	ck_assert_mem_eq(b.p, "i0ei1ei2e", 9);
	ck_assert_mem_eq(b.p + b.len - 6, "i9999e", 6);
	be_buf_free(&b);

	/* A failed buffer ignores further calls. */
	be_buf_init(&b);
	b.failed = 1;
	be_enc_cstr(&b, "x");
	ck_assert_ptr_null(b.p);
	ck_assert_uint_eq(b.len, 0);
	be_buf_free(&b);
}
END_TEST

START_TEST(unsorted_keys)
{
	struct be_doc	doc;

	ck_assert_int_eq(decode(LIT("d1:bi1e1:ai2ee"), NULL, 0, &doc), 0);
	ck_assert_int_eq(doc.unsorted, 1);
	ck_assert_int_eq(be_dict_get(&doc, &doc.nodes[0], "a")->i, 2);
	ck_assert_int_eq(be_dict_get(&doc, &doc.nodes[0], "b")->i, 1);
	undecode(&doc);

	/* A shorter prefix sorts first. */
	ck_assert_int_eq(decode(LIT("d1:a0:2:ab0:e"), NULL, 0, &doc), 0);
	ck_assert_int_eq(doc.unsorted, 0);
	undecode(&doc);
	ck_assert_int_eq(decode(LIT("d2:ab0:1:a0:e"), NULL, 0, &doc), 0);
	ck_assert_int_eq(doc.unsorted, 1);
	undecode(&doc);

	/* Raw bytes, unsigned: 0x80 after 'z'. */
	ck_assert_int_eq(decode(LIT("d1:z0:1:\x80" "0:e"), NULL, 0, &doc), 0);
	ck_assert_int_eq(doc.unsorted, 0);
	undecode(&doc);

	/* Flagged from a nested dict too. */
	ck_assert_int_eq(decode(LIT("d1:ad1:c0:1:b0:ee"), NULL, 0, &doc), 0);
	ck_assert_int_eq(doc.unsorted, 1);
	undecode(&doc);
}
END_TEST

START_TEST(trailing_allowed)
{
	struct be_doc	doc;

	ck_assert_int_eq(decode(LIT("i1ei2e"), NULL, BE_ALLOW_TRAILING, &doc),
	    0);
	ck_assert_uint_eq(doc.used, 3);
	ck_assert_uint_eq(doc.n, 1);
	ck_assert_int_eq(doc.nodes[0].i, 1);
	undecode(&doc);

	ck_assert_int_eq(decode(LIT("d1:ai1eeGARBAGE"), NULL,
	    BE_ALLOW_TRAILING, &doc), 0);
	ck_assert_uint_eq(doc.used, 8);
	undecode(&doc);

	ck_assert_int_eq(decode(LIT("le"), NULL, BE_ALLOW_TRAILING, &doc), 0);
	ck_assert_uint_eq(doc.used, 2);
	undecode(&doc);
}
END_TEST

START_TEST(limits_exact)
{
	struct be_limits	lim = { 3, 4 };
	struct be_doc		doc;
	char			in[2 * BE_DEFAULT_DEPTH];

	/* Exactly at both bounds. */
	ck_assert_int_eq(decode(LIT("llleee"), &lim, 0, &doc), 0);
	undecode(&doc);
	ck_assert_int_eq(decode(LIT("li1ei2ei3ee"), &lim, 0, &doc), 0);
	ck_assert_uint_eq(doc.n, 4);
	undecode(&doc);

	/* The default depth, exactly. */
	memset(in, 'l', BE_DEFAULT_DEPTH);
	memset(in + BE_DEFAULT_DEPTH, 'e', BE_DEFAULT_DEPTH);
	ck_assert_int_eq(decode(in, sizeof(in), NULL, 0, &doc), 0);
	ck_assert_uint_eq(doc.n, BE_DEFAULT_DEPTH);
	ck_assert_uint_eq(doc.nodes[0].next, BE_DEFAULT_DEPTH);
	ck_assert_uint_eq(doc.nodes[BE_DEFAULT_DEPTH - 1].rawlen, 2);
	undecode(&doc);
}
END_TEST

START_TEST(zeroed_free)
{
	struct be_doc	doc;

	memset(&doc, 0, sizeof(doc));
	be_free(&doc);
	be_free(NULL);
	ck_assert_ptr_null(be_dict_get(&doc, NULL, "a"));
	ck_assert_ptr_null(be_first(&doc, NULL));
}
END_TEST

START_TEST(deep_nesting)
{
	const size_t	 depth = 25000;
	char		*in = malloc(2 * depth);

	ck_assert_ptr_nonnull(in);
	memset(in, 'l', depth);
	memset(in + depth, 'e', depth);
	must_fail(in, 2 * depth, "nesting too deep");
	ck_assert_ptr_nonnull(strstr(errbuf, "at byte 100"));
	memset(in, 'd', depth);
	must_fail(in, 2 * depth, "dict key is not a string at byte 1");
	/* Dicts nest through their values. */
	in[0] = 'l';
	must_fail(in, 2 * depth, "dict key is not a string at byte 2");
	free(in);

	must_fail(LIT("lll"), "input ends inside a list at byte 3");
	{
		struct be_limits	lim = { 3, 100 };
		struct be_doc		doc;

		ck_assert_int_eq(decode(LIT("lllleeee"), &lim, 0, &doc), -1);
		ck_assert_str_eq(errbuf,
		    "nesting too deep (the limit is 3) at byte 3");
	}
}
END_TEST

START_TEST(string_lengths)
{
	static const char	 huge[] = "18446744073709551615:abc";
	static const char	 over[] = "18446744073709551616:abc";
	char			*digits;

	must_fail(huge, strlen(huge),
	    "string length 18446744073709551615 exceeds the input at byte 0");
	must_fail(over, strlen(over), "string length out of range");
	must_fail(LIT("5:abc"), "string length 5 exceeds the input at byte 0");
	must_fail(LIT("l5:abce"),
	    "string length 5 exceeds the input at byte 1");
	must_fail(LIT("03:abc"), "leading zero");
	must_fail(LIT("00:"), "leading zero");
	must_fail(LIT("3abc"), "unexpected byte 0x61 in a string length");
	must_fail(LIT("3"), "input ends inside a string length at byte 1");
	must_fail(LIT("123456789012345678901:"), "too many digits");

	/* 1,000 digits of length. */
	digits = malloc(1001);
	ck_assert_ptr_nonnull(digits);
	memset(digits, '1', 1000);
	digits[1000] = ':';
	must_fail(digits, 1001, "string length");
	memset(digits, '0', 1000);
	must_fail(digits, 1001, "string length");
	free(digits);
}
END_TEST

START_TEST(bad_integers)
{
	static const struct {
		const char	*in;
		const char	*msg;
	} bad[] = {
		{ "ie", "integer without digits at byte 0" },
		{ "i-e", "integer without digits" },
		{ "i-0e", "integer -0" },
		{ "i03e", "leading zero" },
		{ "i-03e", "leading zero" },
		{ "i00e", "leading zero" },
		{ "i9223372036854775808e", "integer out of range" },
		{ "i-9223372036854775809e", "integer out of range" },
		{ "i99999999999999999999e", "integer out of range" },
		{ "i1.5e", "unexpected byte 0x2e in an integer at byte 2" },
		{ "i+1e", "unexpected byte 0x2b" },
		{ "i 1e", "unexpected byte 0x20" },
		{ "i--1e", "unexpected byte 0x2d" },
		{ "i12", "input ends inside an integer at byte 3" },
		{ "i", "input ends inside an integer at byte 1" },
		{ "i-", "input ends inside an integer" },
	};
	char	*in;
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		must_fail(bad[i].in, strlen(bad[i].in), bad[i].msg);

	/* 1,000 digits, of zeros and of nines, then no 'e' at all. */
	in = malloc(1002);
	ck_assert_ptr_nonnull(in);
	in[0] = 'i';
	memset(in + 1, '9', 1000);
	in[1001] = 'e';
	must_fail(in, 1002, "integer out of range");
	memset(in + 1, '0', 1000);
	must_fail(in, 1002, "integer has too many digits");
	must_fail(in, 1001, "integer has too many digits");
	free(in);
}
END_TEST

START_TEST(duplicate_keys)
{
	must_fail(LIT("d1:ai1e1:ai2ee"), "duplicate dict key 'a' at byte 7");
	/* Found when the dict closes, having been out of order. */
	must_fail(LIT("d1:b0:1:a0:1:b0:e"),
	    "duplicate dict key 'b' at byte 11");
	must_fail(LIT("d1:c0:1:a0:1:b0:1:a0:e"), "duplicate dict key 'a'");
	/* Nested, and with an escaped key. */
	must_fail(LIT("ld2:\x01'0:2:\x01'0:ee"),
	    "duplicate dict key '\\x01\\x27' at byte 8");
}
END_TEST

START_TEST(trailing_rejected)
{
	must_fail(LIT("i1ei2e"), "trailing bytes after the value at byte 3");
	must_fail(LIT("lee"), "trailing bytes after the value at byte 2");
	must_fail(LIT("0:\n"), "trailing bytes");
}
END_TEST

START_TEST(node_bound)
{
	struct be_limits	 lim = { 10, 3 };
	struct be_doc		 doc;
	char			*in;
	size_t			 i, n = 5000;

	ck_assert_int_eq(decode(LIT("li1ei2ei3ee"), &lim, 0, &doc), -1);
	ck_assert_str_eq(errbuf, "too many values (the limit is 3) at byte 7");

	/* Past several reallocations. */
	lim.max_nodes = n;
	in = malloc(2 + 3 * n);
	ck_assert_ptr_nonnull(in);
	in[0] = 'l';
	for (i = 0; i < n; i++)
		memcpy(in + 1 + 3 * i, "i1e", 3);
	in[1 + 3 * n] = 'e';
	ck_assert_int_eq(decode(in, 2 + 3 * n, &lim, 0, &doc), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "too many values"));
	lim.max_nodes = n + 1;
	ck_assert_int_eq(decode(in, 2 + 3 * n, &lim, 0, &doc), 0);
	ck_assert_uint_eq(doc.nodes[0].nchild, n);
	undecode(&doc);
	free(in);
}
END_TEST

START_TEST(truncated)
{
	static const char *const docs[] = {
		"d8:announce9:http://x/4:infod5:filesld6:lengthi-12e4:pathl"
		"1:a2:bceed6:lengthi0e4:pathl0:eee4:name1:n12:piece length"
		"i16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee",
		"li9223372036854775807ei-9223372036854775808e0:lelldeeee",
		"d1:b0:1:a0:e",
	};
	struct be_doc	doc;
	size_t		i, k, len;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		len = strlen(docs[i]);
		ck_assert_msg(decode(docs[i], len, NULL, 0, &doc) == 0,
		    "doc %zu: %s", i, errbuf);
		undecode(&doc);
		for (k = 0; k < len; k++) {
			ck_assert_msg(decode(docs[i], k, NULL, 0, &doc) == -1,
			    "doc %zu accepted at %zu bytes", i, k);
			ck_assert_msg(decode(docs[i], k, NULL,
			    BE_ALLOW_TRAILING, &doc) == -1,
			    "doc %zu accepted at %zu bytes", i, k);
		}
	}
}
END_TEST

START_TEST(misc_errors)
{
	struct be_doc	doc;

	ck_assert_int_eq(decode(LIT(""), NULL, 0, &doc), -1);
	ck_assert_str_eq(errbuf, "empty input at byte 0");
	must_fail(LIT("e"), "unexpected byte 0x65 at byte 0");
	must_fail(LIT("x"), "unexpected byte 0x78 at byte 0");
	must_fail(LIT("di1e0:e"), "dict key is not a string at byte 1");
	must_fail(LIT("dlee0:e"), "dict key is not a string at byte 1");
	must_fail(LIT("d1:ae"), "dict key without a value at byte 4");
	must_fail(LIT("d1:a"), "input ends inside a dict at byte 4");
	must_fail(LIT("l-1e"), "unexpected byte 0x2d at byte 1");
	must_fail(LIT("\0"), "unexpected byte 0x00");
	/* A tiny error buffer still holds a terminated prefix. */
	{
		char	small[8];

		ck_assert_int_eq(be_decode((const uint8_t *)"ie", 2, NULL, 0,
		    &doc, small, sizeof(small)), -1);
		ck_assert_str_eq(small, "integer");
		ck_assert_int_eq(be_decode((const uint8_t *)"ie", 2, NULL, 0,
		    &doc, small, 0), -1);
	}
}
END_TEST

static Suite *
bencode_suite(void)
{
	Suite	*s = suite_create("bencode");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_test(core, integers);
	tcase_add_test(core, strings);
	tcase_add_test(core, containers);
	tcase_add_test(core, raw_spans);
	tcase_add_test(core, round_trips);
	tcase_add_test(core, encoder);
	tcase_add_test(core, unsorted_keys);
	tcase_add_test(core, trailing_allowed);
	tcase_add_test(core, limits_exact);
	tcase_add_test(core, zeroed_free);
	tcase_add_test(errors, deep_nesting);
	tcase_add_test(errors, string_lengths);
	tcase_add_test(errors, bad_integers);
	tcase_add_test(errors, duplicate_keys);
	tcase_add_test(errors, trailing_rejected);
	tcase_add_test(errors, node_bound);
	tcase_add_test(errors, truncated);
	tcase_add_test(errors, misc_errors);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(bencode_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
