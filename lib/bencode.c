/*
 * bencode.c -- the strict decoder and the encoder of bencode.h.
 *
 * The decoder walks the input once, left to right, with no recursion:
 * open lists and dicts sit on an explicit stack of at most max_depth
 * entries, and every value becomes one node appended to a flat array
 * that grows geometrically but never past max_nodes.  Nodes are in
 * document order (a container, then its subtree), so a container's
 * children start at its index + 1 and each node's next field, the index
 * just past its subtree, skips a sibling in O(1).
 *
 * Invariants while decoding: nodes[0 .. n) are complete except the
 * containers on the stack, whose rawlen, next and nchild are filled in
 * when their 'e' is read; every read of the input is preceded by a
 * p < end check, and every length is compared as len > end - p so that
 * no pointer is ever formed past the end.
 *
 * Dict keys are compared with their predecessor as they arrive (raw
 * bytes, a shorter prefix first): equal is a duplicate, smaller marks
 * the dict unsorted.  A dict found unsorted is searched for duplicates
 * once more when it closes, by sorting its keys, which keeps a hostile
 * dict of n keys at O(n log n).  Checking each key against every earlier
 * one was rejected: quadratic in a dict of a million keys.
 *
 * Error messages quote at most ERR_QUOTE bytes of the input, escaped
 * here rather than with log_escape() so that the decoder links alone
 * (unit tests, the fuzzer) and stays plain C with no other module.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"

#define NODES_FIRST	64	/* nodes allocated at first */
#define INT_DIGITS	20	/* digits of an integer: > int64 already */
#define LEN_DIGITS	20	/* digits of a string length: UINT64_MAX */
#define ERR_QUOTE	40	/* input bytes quoted in an error message */
#define BUF_FIRST	256	/* encoder buffer allocated at first */

struct frame {
	uint32_t	 node;		/* index of the open list or dict */
	int		 want_value;	/* dict: a key read, its value next */
	int		 unsorted;	/* dict: a key came out of order */
	const uint8_t	*key;		/* dict: the last key read */
	size_t		 keylen;
};

struct decoder {
	const uint8_t	*buf;
	const uint8_t	*end;
	struct be_node	*nodes;
	size_t		 n;
	size_t		 cap;
	size_t		 max_nodes;
	char		*err;
	size_t		 errlen;
};

static int	dec_err(struct decoder *, const uint8_t *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
dec_err(struct decoder *d, const uint8_t *at, const char *fmt, ...)
{
	va_list	ap;
	size_t	off;
	int	w;

	if (d->errlen == 0)
		return -1;
	va_start(ap, fmt);
	w = vsnprintf(d->err, d->errlen, fmt, ap);
	va_end(ap);
	if (w < 0)
		w = 0;
	off = (size_t)w < d->errlen ? (size_t)w : d->errlen - 1;
	snprintf(d->err + off, d->errlen - off, " at byte %zu",
	    (size_t)(at - d->buf));
	return -1;
}

/* Printable ASCII copy of at most ERR_QUOTE bytes of s; \xNN otherwise. */
static char *
quote(char *dst, size_t dstsz, const uint8_t *s, size_t len)
{
	size_t	i, o = 0;

	if (len > ERR_QUOTE)
		len = ERR_QUOTE;
	for (i = 0; i < len && o + 5 < dstsz; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\' &&
		    s[i] != '\'' && s[i] != '"')
			dst[o++] = (char)s[i];
		else {
			snprintf(dst + o, 5, "\\x%02x", s[i]);
			o += 4;
		}
	}
	dst[o] = '\0';
	return dst;
}

/* Raw byte order of two strings, a shorter prefix first. */
static int
keycmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int	c;

	c = memcmp(a, b, alen < blen ? alen : blen);
	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

static int
nodecmp(const void *va, const void *vb)
{
	const struct be_node	*a = *(const struct be_node *const *)va;
	const struct be_node	*b = *(const struct be_node *const *)vb;
	int			 c;

	if ((c = keycmp(a->s, a->slen, b->s, b->slen)) != 0)
		return c;
	return (a->raw > b->raw) - (a->raw < b->raw);
}

/* Append a node for the value starting at p; its index, or -1. */
static int64_t
add_node(struct decoder *d, enum be_type type, const uint8_t *p)
{
	struct be_node	*nn;
	size_t		 ncap;

	if (d->n == d->max_nodes)
		return dec_err(d, p, "too many values (the limit is %zu)",
		    d->max_nodes);
	if (d->n == d->cap) {
		ncap = d->cap ? d->cap * 2 : NODES_FIRST;
		if (ncap > d->max_nodes || ncap < d->cap)
			ncap = d->max_nodes;
		if ((nn = reallocarray(d->nodes, ncap, sizeof(*nn))) == NULL)
			return dec_err(d, p, "out of memory");
		d->nodes = nn;
		d->cap = ncap;
	}
	nn = &d->nodes[d->n];
	memset(nn, 0, sizeof(*nn));
	nn->type = type;
	nn->raw = p;
	return (int64_t)d->n++;
}

/* 'i' [-] digits 'e' at *pp, into node. */
static int
dec_int(struct decoder *d, const uint8_t **pp, struct be_node *node)
{
	const uint8_t	*p = *pp, *q = p + 1, *digits;
	uint64_t	 v = 0, limit = INT64_MAX;
	unsigned	 dig;
	int		 neg = 0;

	if (q < d->end && *q == '-') {
		neg = 1;
		limit = (uint64_t)INT64_MAX + 1;
		q++;
	}
	digits = q;
	while (q < d->end && *q >= '0' && *q <= '9') {
		if (q - digits >= INT_DIGITS)
			return dec_err(d, p, "integer has too many digits");
		dig = (unsigned)(*q - '0');
		if (v > (limit - dig) / 10)
			return dec_err(d, p, "integer out of range");
		v = v * 10 + dig;
		q++;
	}
	if (q == d->end)
		return dec_err(d, q, "input ends inside an integer");
	if (*q != 'e')
		return dec_err(d, q, "unexpected byte 0x%02x in an integer",
		    *q);
	if (q == digits)
		return dec_err(d, p, "integer without digits");
	if (*digits == '0' && q - digits > 1)
		return dec_err(d, p, "integer with a leading zero");
	if (neg && v == 0)
		return dec_err(d, p, "integer -0");
	if (neg)
		node->i = v > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)v;
	else
		node->i = (int64_t)v;
	*pp = q + 1;
	return 0;
}

/* digits ':' bytes at *pp, into node. */
static int
dec_str(struct decoder *d, const uint8_t **pp, struct be_node *node)
{
	const uint8_t	*p = *pp, *q = p;
	uint64_t	 len = 0;
	unsigned	 dig;

	while (q < d->end && *q >= '0' && *q <= '9') {
		if (q - p >= LEN_DIGITS)
			return dec_err(d, p,
			    "string length has too many digits");
		dig = (unsigned)(*q - '0');
		if (len > (UINT64_MAX - dig) / 10)
			return dec_err(d, p, "string length out of range");
		len = len * 10 + dig;
		q++;
	}
	if (q == d->end)
		return dec_err(d, q, "input ends inside a string length");
	if (*q != ':')
		return dec_err(d, q,
		    "unexpected byte 0x%02x in a string length", *q);
	if (*p == '0' && q - p > 1)
		return dec_err(d, p, "string length with a leading zero");
	q++;
	if (len > (uint64_t)(d->end - q))
		return dec_err(d, p, "string length %" PRIu64
		    " exceeds the input", len);
	node->s = q;
	node->slen = (size_t)len;
	*pp = q + len;
	return 0;
}

/*
 * A dict closing with keys out of order: *dup is the later of two equal
 * keys, or NULL.  -1 if out of memory.
 */
static int
check_dups(struct decoder *d, uint32_t dict, const struct be_node **dup)
{
	const struct be_node	**keys;
	const struct be_node	 *k;
	size_t			  nk, i;
	uint32_t		  idx;

	*dup = NULL;
	nk = d->nodes[dict].nchild / 2;
	if ((keys = calloc(nk, sizeof(*keys))) == NULL)
		return -1;
	i = 0;
	for (idx = dict + 1; i < nk; i++) {
		k = &d->nodes[idx];
		keys[i] = k;
		idx = d->nodes[k->next].next;	/* past the key's value */
	}
	qsort(keys, nk, sizeof(*keys), nodecmp);
	for (i = 1; i < nk; i++)
		if (keycmp(keys[i - 1]->s, keys[i - 1]->slen,
		    keys[i]->s, keys[i]->slen) == 0) {
			*dup = keys[i];	/* nodecmp: the later of the two */
			break;
		}
	free(keys);
	return 0;
}

static void
dup_err(struct decoder *d, const struct be_node *key)
{
	char	q[ERR_QUOTE * 4 + 1];

	dec_err(d, key->raw, "duplicate dict key '%s'",
	    quote(q, sizeof(q), key->s, key->slen));
}

int
be_decode(const uint8_t *buf, size_t len, const struct be_limits *lim,
    int flags, struct be_doc *doc, char *err, size_t errlen)
{
	struct decoder	 d;
	struct frame	*stack = NULL, *top;
	struct be_node	*node;
	const uint8_t	*p = buf;
	const struct be_node *dup;
	size_t		 sp = 0, depth = BE_DEFAULT_DEPTH;
	int64_t		 idx;
	uint32_t	 done;
	int		 c;

	memset(doc, 0, sizeof(*doc));
	memset(&d, 0, sizeof(d));
	if (errlen > 0)
		err[0] = '\0';
	d.buf = buf;
	d.end = buf + len;
	d.err = err;
	d.errlen = errlen;
	d.max_nodes = BE_DEFAULT_NODES;
	if (lim != NULL) {
		depth = lim->max_depth > 0 ? (size_t)lim->max_depth : 0;
		d.max_nodes = lim->max_nodes;
	}
	if (d.max_nodes > UINT32_MAX)	/* next and nchild are 32-bit */
		d.max_nodes = UINT32_MAX;
	if (len == 0) {
		dec_err(&d, p, "empty input");
		goto fail;
	}
	if (depth > 0 && (stack = calloc(depth, sizeof(*stack))) == NULL) {
		dec_err(&d, p, "out of memory");
		goto fail;
	}

	for (;;) {
		if (p == d.end) {
			dec_err(&d, p, "input ends inside a %s",
			    d.nodes[stack[sp - 1].node].type == BE_LIST ?
			    "list" : "dict");
			goto fail;
		}
		top = sp > 0 ? &stack[sp - 1] : NULL;
		c = *p;
		if (c == 'e' && top != NULL && !top->want_value) {
			/* The end of the open list or dict. */
			node = &d.nodes[top->node];
			node->rawlen = (size_t)(p + 1 - node->raw);
			node->next = (uint32_t)d.n;
			done = top->node;
			if (top->unsorted) {
				if (check_dups(&d, top->node, &dup) == -1) {
					dec_err(&d, p, "out of memory");
					goto fail;
				}
				if (dup != NULL) {
					dup_err(&d, dup);
					goto fail;
				}
			}
			sp--;
			p++;
		} else if (top != NULL && top->want_value == 0 &&
		    d.nodes[top->node].type == BE_DICT &&
		    (c < '0' || c > '9')) {
			dec_err(&d, p, "dict key is not a string");
			goto fail;
		} else if (c == 'i' || (c >= '0' && c <= '9')) {
			if ((idx = add_node(&d, c == 'i' ? BE_INT : BE_STR,
			    p)) == -1)
				goto fail;
			node = &d.nodes[idx];
			if ((c == 'i' ? dec_int(&d, &p, node) :
			    dec_str(&d, &p, node)) == -1)
				goto fail;
			node->rawlen = (size_t)(p - node->raw);
			node->next = (uint32_t)d.n;
			done = (uint32_t)idx;
		} else if (c == 'l' || c == 'd') {
			if (sp == depth) {
				dec_err(&d, p, "nesting too deep (the limit "
				    "is %zu)", depth);
				goto fail;
			}
			if ((idx = add_node(&d, c == 'l' ? BE_LIST : BE_DICT,
			    p)) == -1)
				goto fail;
			memset(&stack[sp], 0, sizeof(stack[sp]));
			stack[sp++].node = (uint32_t)idx;
			p++;
			continue;
		} else if (c == 'e' && top != NULL) {
			dec_err(&d, p, "dict key without a value");
			goto fail;
		} else {
			dec_err(&d, p, "unexpected byte 0x%02x", c);
			goto fail;
		}

		/* nodes[done] is complete: account for it in its parent. */
		if (sp == 0)
			break;
		top = &stack[sp - 1];
		node = &d.nodes[top->node];
		node->nchild++;
		if (node->type != BE_DICT)
			continue;
		if (top->want_value) {
			top->want_value = 0;
			continue;
		}
		node = &d.nodes[done];
		if (top->key != NULL) {
			c = keycmp(top->key, top->keylen, node->s, node->slen);
			if (c == 0) {
				dup_err(&d, node);
				goto fail;
			}
			if (c > 0)
				top->unsorted = doc->unsorted = 1;
		}
		top->key = node->s;
		top->keylen = node->slen;
		top->want_value = 1;
	}

	doc->used = (size_t)(p - buf);
	if (p != d.end && !(flags & BE_ALLOW_TRAILING)) {
		dec_err(&d, p, "trailing bytes after the value");
		goto fail;
	}
	free(stack);
	doc->nodes = d.nodes;
	doc->n = d.n;
	return 0;

fail:
	free(stack);
	free(d.nodes);
	memset(doc, 0, sizeof(*doc));
	return -1;
}

void
be_free(struct be_doc *doc)
{
	if (doc == NULL)
		return;
	free(doc->nodes);
	memset(doc, 0, sizeof(*doc));
}

const struct be_node *
be_first(const struct be_doc *doc, const struct be_node *n)
{
	if (n == NULL || (n->type != BE_LIST && n->type != BE_DICT) ||
	    n->nchild == 0)
		return NULL;
	return n + 1 < doc->nodes + doc->n ? n + 1 : NULL;
}

const struct be_node *
be_next(const struct be_doc *doc, const struct be_node *parent,
    const struct be_node *child)
{
	if (parent == NULL || child == NULL || child->next >= parent->next ||
	    child->next >= doc->n)
		return NULL;
	return &doc->nodes[child->next];
}

const struct be_node *
be_dict_get(const struct be_doc *doc, const struct be_node *d,
    const char *key)
{
	const struct be_node	*k, *v;

	if (d == NULL || d->type != BE_DICT)
		return NULL;
	for (k = be_first(doc, d); k != NULL; k = be_next(doc, d, v)) {
		if ((v = be_next(doc, d, k)) == NULL)
			return NULL;
		if (be_streq(k, key))
			return v;
	}
	return NULL;
}

int
be_streq(const struct be_node *n, const char *s)
{
	size_t	len = strlen(s);

	return n != NULL && n->type == BE_STR && n->slen == len &&
	    memcmp(n->s, s, len) == 0;
}

void
be_buf_init(struct be_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
be_buf_free(struct be_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Room for n more bytes; 0, or -1 with b failed and empty. */
static int
reserve(struct be_buf *b, size_t n)
{
	uint8_t	*np;
	size_t	 ncap;

	if (b->failed)
		return -1;
	if (n <= b->cap - b->len)
		return 0;
	if (n > SIZE_MAX / 2 - b->len)
		goto fail;
	ncap = b->cap ? b->cap : BUF_FIRST;
	while (ncap - b->len < n)
		ncap *= 2;
	if ((np = realloc(b->p, ncap)) == NULL)
		goto fail;
	b->p = np;
	b->cap = ncap;
	return 0;
fail:
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->failed = 1;
	return -1;
}

void
be_enc_raw(struct be_buf *b, const void *p, size_t n)
{
	if (reserve(b, n) == -1 || n == 0)
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void
be_enc_int(struct be_buf *b, int64_t v)
{
	char	tmp[INT_DIGITS + 4];
	int	w;

	w = snprintf(tmp, sizeof(tmp), "i%" PRId64 "e", v);
	be_enc_raw(b, tmp, (size_t)w);
}

void
be_enc_str(struct be_buf *b, const void *p, size_t n)
{
	char	tmp[LEN_DIGITS + 2];
	int	w;

	w = snprintf(tmp, sizeof(tmp), "%zu:", n);
	be_enc_raw(b, tmp, (size_t)w);
	be_enc_raw(b, p, n);
}

void
be_enc_cstr(struct be_buf *b, const char *s)
{
	be_enc_str(b, s, strlen(s));
}

void
be_enc_list(struct be_buf *b)
{
	be_enc_raw(b, "l", 1);
}

void
be_enc_dict(struct be_buf *b)
{
	be_enc_raw(b, "d", 1);
}

void
be_enc_end(struct be_buf *b)
{
	be_enc_raw(b, "e", 1);
}
