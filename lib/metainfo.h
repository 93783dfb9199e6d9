/*
 * metainfo.h -- .torrent files (BEP 3, 12, 27, 47) validated into a
 * normalised description: what btd records and the roles act on.
 *
 * Everything in a struct metainfo has been checked: sizes with checked
 * 64-bit arithmetic, piece hashes against the total size, file paths
 * through the one sanitiser (mi_sanitize_component), so that no path can
 * leave the save directory.  It is plain C with no I/O: metad runs it,
 * unit tests and the fuzzer drive it directly.
 *
 * Path policy: each component is UTF-8 (name.utf-8 / path.utf-8 win when
 * present); "." and empty components are dropped; ".." is an error; '/'
 * and '\\' inside a component, control characters, the line and
 * paragraph separators, bytes of invalid UTF-8 and bidirectional marks
 * and overrides become '_' (utf8_unsafe()); trailing dots and
 * spaces are trimmed; a component longer than 255 bytes is shortened at
 * a character boundary, keeping a short extension.  Two files with the
 * same sanitised path, or a file that is also a directory of another,
 * are an error (pad files excepted: they are never written).
 */
#ifndef BTD_METAINFO_H
#define BTD_METAINFO_H

#include <stddef.h>
#include <stdint.h>

/* Bounds (a .torrent is outside input). */
#define MI_MAX_TORRENT		(10U << 20)	/* bytes of a .torrent file */
#define MI_MAX_FILES		100000		/* files in a torrent */
#define MI_MAX_DEPTH		64		/* components in a file path */
#define MI_MAX_PATH		4096		/* bytes of a sanitised path */
#define MI_MAX_COMPONENT	255		/* bytes of a path component */
#define MI_MAX_TRACKERS		200		/* announce URLs kept */
#define MI_MAX_PIECE_LENGTH	(256U << 20)	/* bytes */
#define MI_MAX_TOTAL		((uint64_t)1 << 62)	/* total size */

struct mi_file {
	char		*path;		/* sanitised, relative, '/'-separated */
	uint64_t	 length;
	uint64_t	 offset;	/* in the torrent's byte stream */
	int		 pad;		/* BEP 47 pad file: never written */
};

struct mi_tracker {
	char		*url;		/* http, https or udp */
	int		 tier;		/* 0 first */
};

struct metainfo {
	uint8_t		 info_hash[20];	/* SHA-1 of the info bytes as received */
	char		*name;		/* sanitised, one component */
	uint64_t	 piece_length;
	uint32_t	 piece_count;
	uint8_t		*pieces;	/* 20 * piece_count bytes */
	uint64_t	 total_size;
	int		 multi;		/* multi-file (files list) torrent */
	struct mi_file	*files;		/* single-file: one, path = name */
	size_t		 nfiles;
	struct mi_tracker *trackers;	/* in tier order, tiers as given */
	size_t		 ntrackers;
	int		 private;	/* BEP 27 */
	char		*comment;	/* "" if none; valid UTF-8 */
	char		*created_by;
	int64_t		 creation_date;	/* 0 if none */
	char		**url_list;	/* BEP 19 web seeds, kept for later */
	size_t		 nurl_list;
	uint8_t		*info;		/* copy of the info dict's bytes */
	size_t		 info_len;
	int		 unsorted_keys;	/* the info dict had keys out of order */
};

/*
 * Parse and validate a whole .torrent.  0 and *out (free with
 * metainfo_free), or -1 with a one-line reason in err that names what
 * was wrong ("info: piece length 0", "file 3: path component '..'").
 */
int	metainfo_parse(const uint8_t *buf, size_t len, struct metainfo **out,
	    char *err, size_t errlen);

/*
 * Validate an info dictionary alone (from ut_metadata): the same checks;
 * no trackers or comment.
 */
int	metainfo_parse_info(const uint8_t *info, size_t len,
	    struct metainfo **out, char *err, size_t errlen);

void	metainfo_free(struct metainfo *);

/*
 * Sanitise one path component of len bytes into out (at least
 * MI_MAX_COMPONENT + 1 bytes).  Returns the length written, 0 if the
 * component is to be dropped ("." or empty), or -1 if it is refused
 * (".."), with the reason in err.
 */
int	mi_sanitize_component(const uint8_t *in, size_t len, char *out,
	    size_t outlen, char *err, size_t errlen);

#endif
