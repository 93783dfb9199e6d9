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
 * Path policy: a torrent is never refused for its paths (stored resolves
 * every path beneath the save dir anyway); they are sanitised the same
 * way every time and each change is reported per file.  Each component
 * is UTF-8 (name.utf-8 / path.utf-8 win when present) and maps to
 * exactly one component, so no two files merge by losing one: '/' and
 * '\\' inside it, control characters, the line and paragraph
 * separators, bytes of invalid UTF-8 and bidirectional marks and
 * overrides become '_' (utf8_unsafe()); trailing dots and spaces are
 * trimmed; a component longer than 255 bytes is shortened at a
 * character boundary, keeping a short extension; a component that is
 * empty, ".", "..", or left with nothing but replaced characters
 * becomes the placeholder "_".  A file with no usable path list gets
 * the path "_" (a pad file ".pad/LENGTH").  Two files with the same
 * sanitised path, or a file that is also a directory of another, are
 * disambiguated as libtorrent does: the later file (or the file, not
 * the directory) becomes "name.1.ext", "name.2.ext", ... , the first
 * number that is free (mi_disambiguate()).  Pad files are never
 * written and take part in none of this.
 *
 * BEP 52: a v2 info dictionary (meta version 2, a file tree) is parsed
 * and checked in full: piece length a power of two of at least 16 KiB,
 * a pieces root per non-empty file, and in a whole .torrent a piece
 * layer per file longer than a piece, of the right length, whose merkle
 * root is the file's pieces root.  A hybrid (v1 pieces as well) must
 * say the same in both halves: the same files in the same order with
 * the same lengths, pad files exactly where BEP 52 puts them.  A v2-only
 * torrent parses (has_v1 0) so that its caller can say plainly that it
 * is not supported yet.
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
#define MI_MAX_ORIGINAL		1024		/* bytes of a path as given, kept */
#define MI_MAX_WARNINGS		8		/* warnings kept per torrent */
#define MI_V2_MIN_PIECE		16384		/* BEP 52 smallest piece length */

/* BEP 47 attributes of a file (mi_file.attr). */
#define MI_ATTR_PAD		0x1	/* p: padding, never written */
#define MI_ATTR_SYMLINK		0x2	/* l: a symlink, never created */
#define MI_ATTR_EXEC		0x4	/* x: executable */
#define MI_ATTR_HIDDEN		0x8	/* h: hidden */

/* What the sanitiser did to a file's path (mi_file.changed). */
#define MI_CHANGED_SANITISED	0x1	/* some component was cleaned */
#define MI_CHANGED_RENAMED	0x2	/* disambiguated from another file */
#define MI_CHANGED_PLACEHOLDER	0x4	/* no usable path list at all */

struct mi_file {
	char		*path;		/* sanitised, relative, '/'-separated */
	uint64_t	 length;
	uint64_t	 offset;	/* in the torrent's byte stream */
	int		 pad;		/* BEP 47 pad file: never written */
	unsigned	 attr;		/* MI_ATTR_* */
	unsigned	 changed;	/* MI_CHANGED_* */
	char		*original;	/* the path as given, displayable
					   (U+FFFD for what is not), at most
					   MI_MAX_ORIGINAL bytes; NULL if
					   changed is 0 */
	uint8_t		 root[32];	/* BEP 52 pieces root, if has_root */
	int		 has_root;
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
	int		 has_v1;	/* v1 pieces: what btd can download */
	int		 has_v2;	/* BEP 52 file tree (hybrid if has_v1) */
	uint8_t		 info_hash_v2[32];	/* SHA-256 of the info bytes;
					   the first 20 are the wire hash */
	char		*warnings[MI_MAX_WARNINGS];	/* one line each */
	size_t		 nwarnings;
};

/*
 * Parse and validate a whole .torrent.  0 and *out (free with
 * metainfo_free), or -1 with a one-line reason in err that names what
 * was wrong ("info: piece length 0", "hybrid: file 3 is 10 bytes in
 * v1 and 11 in v2").  Bytes after the top-level dictionary are ignored
 * with a warning; a v2-only torrent parses with has_v1 0, pieces NULL
 * and piece_count 0.
 */
int	metainfo_parse(const uint8_t *buf, size_t len, struct metainfo **out,
	    char *err, size_t errlen);

/*
 * Validate an info dictionary alone (from ut_metadata): the same checks
 * but for piece layers, which live outside it; no trackers or comment;
 * no byte may follow it.
 */
int	metainfo_parse_info(const uint8_t *info, size_t len,
	    struct metainfo **out, char *err, size_t errlen);

void	metainfo_free(struct metainfo *);

/*
 * Sanitise one path component of len bytes into out (at least
 * MI_MAX_COMPONENT + 1 bytes).  Returns the length written, at least 1
 * (the placeholder "_" for an empty, ".", ".." or otherwise unusable
 * component); -1 only if out is too small, with the reason in err.
 */
int	mi_sanitize_component(const uint8_t *in, size_t len, char *out,
	    size_t outlen, char *err, size_t errlen);

/*
 * Disambiguate the paths of files[0, n), pad files aside: the first
 * file with a path keeps it; a later file with the same path, and any
 * file whose path is a directory of another, is renamed to the first
 * free "stem.N.ext" (N from 1; ext the last component's extension of at
 * most 16 bytes, if any), never to a path some file has as given, and
 * gets MI_CHANGED_RENAMED.  Deterministic: it depends on the paths and
 * their order only.  0, or -1 with the reason in err (out of memory).
 */
int	mi_disambiguate(struct mi_file *files, size_t n, char *err,
	    size_t errlen);

#endif
