/*
 * bencode.h -- a strict bencode decoder with hard bounds, and an encoder.
 *
 * The decoder turns a buffer into a flat array of nodes (no recursion
 * on the C stack: an explicit stack bounded by max_depth).  Every node
 * keeps the exact byte span of its value in the input, so the info-hash
 * is the SHA-1 of the info dictionary's bytes as received, never of a
 * re-encoding.  Nodes point into the input buffer: it must outlive the
 * document.
 *
 * Strict: integers without leading zeros, "-0" or an empty body, within
 * int64; string lengths without leading zeros and never past the end
 * (checked as len > end - p); dict keys are strings, a duplicate key is
 * an error, keys out of order are accepted but flagged in be_doc; bytes
 * after the top-level value are an error unless BE_ALLOW_TRAILING.
 */
#ifndef BTD_BENCODE_H
#define BTD_BENCODE_H

#include <stddef.h>
#include <stdint.h>

enum be_type {
	BE_INT,
	BE_STR,
	BE_LIST,
	BE_DICT,
};

struct be_node {
	enum be_type	 type;
	const uint8_t	*raw;		/* first byte of the encoded value */
	size_t		 rawlen;	/* bytes of the encoded value */
	int64_t		 i;		/* BE_INT */
	const uint8_t	*s;		/* BE_STR: the string's bytes */
	size_t		 slen;
	uint32_t	 nchild;	/* LIST: elements; DICT: 2 * pairs */
	uint32_t	 next;		/* index just past this subtree */
};

struct be_limits {
	int		max_depth;	/* nesting of lists and dicts */
	size_t		max_nodes;	/* values in the whole document */
};

/* Sensible defaults for .torrent files and peer messages. */
#define BE_DEFAULT_DEPTH	100
#define BE_DEFAULT_NODES	2000000

#define BE_ALLOW_TRAILING	0x1	/* stop after the first value */

struct be_doc {
	struct be_node	*nodes;		/* nodes[0] is the top-level value */
	size_t		 n;
	size_t		 used;		/* input bytes consumed */
	int		 unsorted;	/* some dict had keys out of order */
};

/*
 * Decode buf.  0 on success; -1 with err holding one line saying what
 * was wrong and where ("nesting too deep at byte 101", "string length
 * exceeds the input at byte 7").  limits NULL: the defaults.
 */
int	be_decode(const uint8_t *buf, size_t len, const struct be_limits *,
	    int flags, struct be_doc *, char *err, size_t errlen);
void	be_free(struct be_doc *);	/* the nodes; NULL-safe on a zeroed doc */

/* The value of key in dict node d (index), or NULL. */
const struct be_node *be_dict_get(const struct be_doc *, const struct be_node *d,
	    const char *key);
/* Children: first child of a list/dict, or NULL; the next sibling. */
const struct be_node *be_first(const struct be_doc *, const struct be_node *);
const struct be_node *be_next(const struct be_doc *, const struct be_node *parent,
	    const struct be_node *child);
/* 1 if node is a string equal to s. */
int	be_streq(const struct be_node *, const char *s);

/* Encoder: appends to a growable buffer. */
struct be_buf {
	uint8_t		*p;
	size_t		 len;
	size_t		 cap;
	int		 failed;	/* an allocation failed: p is invalid */
};

void	be_buf_init(struct be_buf *);
void	be_buf_free(struct be_buf *);
void	be_enc_int(struct be_buf *, int64_t);
void	be_enc_str(struct be_buf *, const void *, size_t);
void	be_enc_cstr(struct be_buf *, const char *);
void	be_enc_raw(struct be_buf *, const void *, size_t);	/* verbatim */
void	be_enc_list(struct be_buf *);	/* 'l' */
void	be_enc_dict(struct be_buf *);	/* 'd': the caller adds keys in order */
void	be_enc_end(struct be_buf *);	/* 'e' */

#endif
