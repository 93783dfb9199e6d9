/*
 * utmeta.h -- the ut_metadata extension (BEP 9): its message codec and
 * the assembler of an info dictionary from its pieces.  Pure C: no
 * descriptor, no clock, no libevent, so that unit tests and the fuzzer
 * drive it with any bytes.
 *
 * A message is a bencoded dictionary (msg_type, piece, and total_size
 * for data) followed, for data only, by the piece's bytes.  peerd
 * parses what a peer sends with utm_parse() and builds what it sends
 * with utm_build(); metad assembles with the utm_asm functions and
 * knows nothing of the wire.
 *
 * Bounds: an info dictionary of at most UTM_MAX_SIZE bytes (8 MiB, far
 * above any real one, and well inside FRAME_MAX_METAD for the trip to
 * btd), hence at most UTM_MAX_PIECES pieces of UTM_PIECE bytes.  A size
 * outside 1..UTM_MAX_SIZE is refused before anything is allocated.
 */
#ifndef BTD_UTMETA_H
#define BTD_UTMETA_H

#include <stddef.h>
#include <stdint.h>

#define UTM_PIECE	16384		/* bytes of a piece (the last: fewer) */
#define UTM_MAX_SIZE	(8U << 20)	/* the largest metadata_size taken */
#define UTM_MAX_PIECES	(UTM_MAX_SIZE / UTM_PIECE)
#define UTM_MAX_HEAD	128		/* bytes of the dictionary we send */
#define UTM_MAX_MSG	(UTM_MAX_HEAD + UTM_PIECE)	/* a whole message */

enum utm_type {
	UTM_REQUEST = 0,
	UTM_DATA = 1,
	UTM_REJECT = 2,
	UTM_UNKNOWN = 3,	/* another msg_type: ignored (BEP 9) */
};

struct utm_msg {
	int		 type;		/* enum utm_type */
	uint32_t	 piece;
	uint32_t	 total_size;	/* DATA */
	const uint8_t	*data;		/* DATA: the piece's bytes, in the */
	size_t		 len;		/* caller's buffer */
};

/*
 * Parse one ut_metadata payload (after the extended message id).  0 and
 * m filled, or -1 with err: not a dictionary, no msg_type or piece,
 * a piece past UTM_MAX_PIECES, a data message without a total_size in
 * 1..UTM_MAX_SIZE, a piece past that size, or more than UTM_PIECE bytes
 * of data.  A short piece is not an error here: only the assembler
 * knows whether it is the last.
 */
int	utm_parse(const uint8_t *buf, size_t len, struct utm_msg *m,
	    char *err, size_t errlen);

/*
 * Build a payload into out (UTM_MAX_MSG bytes): a request or reject of
 * piece, or data (total_size, and len <= UTM_PIECE bytes).  Returns its
 * length, 0 for arguments out of bounds.
 */
size_t	utm_build(uint8_t *out, int type, uint32_t piece, uint32_t total_size,
	    const uint8_t *data, size_t len);

/* 0 if size (a peer's metadata_size) is within 1..UTM_MAX_SIZE, else -1
   with err. */
int	utm_size_check(int64_t size, char *err, size_t errlen);
/* Pieces of metadata of size bytes; bytes of piece (0 past the end). */
uint32_t utm_npieces(uint32_t size);
uint32_t utm_piece_len(uint32_t size, uint32_t piece);

/*
 * The assembler of one torrent's info dictionary.  utm_asm_init()
 * allocates size bytes only after utm_size_check(); every piece is
 * checked against the size before it is copied; utm_asm_verify()
 * compares the SHA-1 of the whole with the info-hash and, on a
 * mismatch, forgets every piece so that the caller asks again.
 */
struct utm_asm {
	uint8_t		 info_hash[20];
	uint32_t	 size;		/* 0: not started */
	uint32_t	 npieces;
	uint32_t	 ngot;
	uint8_t		*buf;		/* size bytes */
	uint8_t		*got;		/* one byte a piece: 1 received */
};

int	utm_asm_init(struct utm_asm *, const uint8_t info_hash[20],
	    int64_t size, char *err, size_t errlen);
void	utm_asm_free(struct utm_asm *);	/* zeroed after; NULL-safe */
/*
 * Piece bytes from a peer: 1 taken, 0 a duplicate (ignored), -1 with err
 * when they are out of range, of another total size, or not exactly the
 * piece's length (oversized, or short but not the last).
 */
int	utm_asm_put(struct utm_asm *, uint32_t piece, uint32_t total_size,
	    const uint8_t *data, size_t len, char *err, size_t errlen);
int	utm_asm_has(const struct utm_asm *, uint32_t piece);
int	utm_asm_complete(const struct utm_asm *);
/* Every piece in: 1 the SHA-1 is the info-hash; 0 it is not (reset). */
int	utm_asm_verify(struct utm_asm *);
/* Forget every piece received; the size stays. */
void	utm_asm_reset(struct utm_asm *);

#endif
