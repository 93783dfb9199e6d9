/*
 * fuzz_bencode.c -- libFuzzer target for the bencode decoder.
 *
 * Each input is decoded three ways: strict with the default limits,
 * with BE_ALLOW_TRAILING, and strict with tight limits.  The results
 * must agree with each other, and every document decoded is walked
 * with be_first/be_next/be_dict_get and checked against the input:
 * each node's raw span lies inside the input and inside its parent's,
 * children tile their parent's span exactly, nesting and node counts
 * stay within the limits, and re-encoding the document reproduces the
 * bytes consumed (the decoder is strict, so the encoding is canonical).
 * Errors must be one line of printable text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "fuzz.h"

#define TIGHT_DEPTH	4	/* limits of the third decode */
#define TIGHT_NODES	64
#define DICT_GETS	16	/* keys of a dict looked up by name */

static const uint8_t	*in;	/* the input of this run */
static size_t		 inlen;

static int
inside(const uint8_t *p, size_t len, const uint8_t *base, size_t baselen)
{
	return p >= base && (size_t)(p - base) <= baselen &&
	    len <= baselen - (size_t)(p - base);
}

/* Lookups by name of the first DICT_GETS keys of dict d. */
static void
check_dict_get(const struct be_doc *doc, const struct be_node *d)
{
	const struct be_node	*k, *v;
	char			*key;
	int			 i;

	for (i = 0, k = be_first(doc, d); k != NULL && i < DICT_GETS; i++) {
		v = be_next(doc, d, k);
		CHECK(v != NULL);
		if (memchr(k->s, '\0', k->slen) == NULL) {
			key = malloc(k->slen + 1);
			CHECK(key != NULL);
			memcpy(key, k->s, k->slen);
			key[k->slen] = '\0';
			CHECK(be_dict_get(doc, d, key) == v);
			CHECK(be_streq(k, key));
			free(key);
		}
		k = be_next(doc, d, v);
	}
}

/* Node i: its span, its type's shape, and how its children tile it. */
static void
check_node(const struct be_doc *doc, size_t i)
{
	const struct be_node	*n = &doc->nodes[i], *c, *prevkey = NULL;
	const uint8_t		*pos;
	uint32_t		 count = 0;
	size_t			 cmp;
	int			 r;

	CHECK(inside(n->raw, n->rawlen, in, inlen));
	CHECK(n->rawlen >= 2);
	CHECK(n->next > i && n->next <= doc->n);
	switch (n->type) {
	case BE_INT:
		CHECK(n->raw[0] == 'i' && n->raw[n->rawlen - 1] == 'e');
		CHECK(n->next == i + 1 && n->nchild == 0);
		CHECK(be_first(doc, n) == NULL);
		return;
	case BE_STR:
		CHECK(n->raw[0] >= '0' && n->raw[0] <= '9');
		CHECK(inside(n->s, n->slen, n->raw, n->rawlen));
		CHECK(n->s + n->slen == n->raw + n->rawlen);
		CHECK(n->s > n->raw && n->s[-1] == ':');
		CHECK(n->next == i + 1 && n->nchild == 0);
		CHECK(be_first(doc, n) == NULL);
		return;
	case BE_LIST:
	case BE_DICT:
		break;
	default:
		CHECK(!"node type");
	}
	CHECK(n->raw[0] == (n->type == BE_LIST ? 'l' : 'd'));
	CHECK(n->raw[n->rawlen - 1] == 'e');
	if (n->type == BE_DICT)
		CHECK(n->nchild % 2 == 0);

	/* The children tile the span between the brackets. */
	pos = n->raw + 1;
	for (c = be_first(doc, n); c != NULL; c = be_next(doc, n, c)) {
		CHECK(c > n && c < doc->nodes + doc->n);
		CHECK(count < n->nchild);
		CHECK(c->raw == pos);
		CHECK(inside(c->raw, c->rawlen, n->raw + 1, n->rawlen - 2));
		pos += c->rawlen;
		if (n->type == BE_DICT && count % 2 == 0) {
			CHECK(c->type == BE_STR);
			if (prevkey != NULL) {
				cmp = prevkey->slen < c->slen ? prevkey->slen :
				    c->slen;
				r = memcmp(prevkey->s, c->s, cmp);
				if (r == 0)
					r = (prevkey->slen > c->slen) -
					    (prevkey->slen < c->slen);
				CHECK(r != 0);		/* no duplicate */
				if (!doc->unsorted)
					CHECK(r < 0);
			}
			prevkey = c;
		}
		count++;
		if (count == n->nchild)
			CHECK(c->next == n->next);
	}
	CHECK(count == n->nchild);
	CHECK(pos == n->raw + n->rawlen - 1);
	if (count == 0)
		CHECK(n->next == i + 1);
	if (n->type == BE_DICT)
		check_dict_get(doc, n);
}

/* Deepest nesting of lists and dicts in doc. */
static int
doc_depth(const struct be_doc *doc)
{
	uint32_t	 ends[BE_DEFAULT_DEPTH + 1];
	size_t		 i;
	int		 sp = 0, max = 0;

	for (i = 0; i < doc->n; i++) {
		while (sp > 0 && ends[sp - 1] <= i)
			sp--;
		if (doc->nodes[i].type == BE_LIST ||
		    doc->nodes[i].type == BE_DICT) {
			CHECK(sp < BE_DEFAULT_DEPTH);
			ends[sp++] = doc->nodes[i].next;
			if (sp > max)
				max = sp;
		}
	}
	return max;
}

static void
encode(const struct be_doc *doc, const struct be_node *n, struct be_buf *b)
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
			encode(doc, c, b);
		be_enc_end(b);
		break;
	}
}

static void
check_doc(const struct be_doc *doc, size_t max_nodes, int max_depth)
{
	struct be_buf	 b;
	size_t		 i;

	CHECK(doc->n >= 1 && doc->n <= max_nodes);
	CHECK(doc->used >= 2 && doc->used <= inlen);
	CHECK(doc->nodes[0].raw == in);
	CHECK(doc->nodes[0].rawlen == doc->used);
	CHECK(doc->nodes[0].next == doc->n);
	for (i = 0; i < doc->n; i++)
		check_node(doc, i);
	CHECK(doc_depth(doc) <= max_depth);

	be_buf_init(&b);
	encode(doc, &doc->nodes[0], &b);
	CHECK(!b.failed);
	CHECK(b.len == doc->used && memcmp(b.p, in, b.len) == 0);
	be_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct be_limits tight = { TIGHT_DEPTH, TIGHT_NODES };
	struct be_doc	 strict, trail, small;
	char		 err[256], tiny[8];
	int		 rs, rt, rl;

	in = data;
	inlen = size;

	rs = be_decode(data, size, NULL, 0, &strict, err, sizeof(err));
	if (rs == 0) {
		CHECK(strict.used == size);
		check_doc(&strict, BE_DEFAULT_NODES, BE_DEFAULT_DEPTH);
	} else {
		CHECK(rs == -1 && fuzz_err_ok(err, sizeof(err)));
		CHECK(strict.nodes == NULL && strict.n == 0);
	}

	rt = be_decode(data, size, NULL, BE_ALLOW_TRAILING, &trail, err,
	    sizeof(err));
	if (rt == 0) {
		check_doc(&trail, BE_DEFAULT_NODES, BE_DEFAULT_DEPTH);
		/* Strict succeeds exactly when nothing trails. */
		CHECK((rs == 0) == (trail.used == size));
		if (rs == 0)
			CHECK(trail.n == strict.n &&
			    trail.unsorted == strict.unsorted);
	} else {
		CHECK(rt == -1 && fuzz_err_ok(err, sizeof(err)));
		CHECK(rs == -1);
	}

	/* Tight limits, and an error buffer too small for any message. */
	rl = be_decode(data, size, &tight, 0, &small, tiny, sizeof(tiny));
	if (rl == 0) {
		CHECK(rs == 0 && small.n == strict.n);
		check_doc(&small, TIGHT_NODES, TIGHT_DEPTH);
	} else {
		CHECK(rl == -1 && tiny[0] != '\0' &&
		    memchr(tiny, '\0', sizeof(tiny)) != NULL);
		if (rs == 0)
			CHECK(strict.n > TIGHT_NODES ||
			    doc_depth(&strict) > TIGHT_DEPTH);
	}

	be_free(&strict);
	be_free(&trail);
	be_free(&small);
	return 0;
}
