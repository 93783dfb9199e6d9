/*
 * json.h -- a small streaming JSON writer (RFC 8259), for btctl's
 * --json output.  There is no parser: btd never reads JSON.
 *
 * Values are written as they come, indented by two spaces, one member
 * or element per line.  Every value takes a key: the member name inside
 * an object, NULL inside an array and for the top-level value.  Strings
 * are escaped so that the output is valid JSON whatever the bytes: '"',
 * '\\' and every control character are escaped, and a byte that does
 * not belong to a well-formed UTF-8 sequence becomes \ufffd.
 *
 * Misuse (a key where none belongs or a missing one, closing what is
 * not open, nesting deeper than JSON_MAXDEPTH, a second top-level
 * value) stops the writer: later calls write nothing and json_finish()
 * returns -1.  No call allocates memory.
 */
#ifndef BTD_JSON_H
#define BTD_JSON_H

#include <stddef.h>
#include <stdio.h>

#define JSON_MAXDEPTH	32	/* containers open at once; btctl needs 4 */

#define JSON_BUF	8192

struct json {
	FILE	*fp;
	size_t	 len;			/* bytes in buf, not yet in fp */
	char	 buf[JSON_BUF];		/* what is written goes here first:
					   a stdio call a token was most of
					   a long list's time */
	int	 depth;			/* containers open now */
	int	 bad;			/* misuse seen: writing stopped */
	int	 done;			/* the top-level value is complete */
	char	 kind[JSON_MAXDEPTH];	/* '{' or '[' per open container */
	char	 empty[JSON_MAXDEPTH];	/* nothing written in it yet */
};

void	json_init(struct json *, FILE *);
void	json_obj_open(struct json *, const char *key);
void	json_obj_close(struct json *);
void	json_arr_open(struct json *, const char *key);
void	json_arr_close(struct json *);

/* A NUL-terminated string; val NULL writes null. */
void	json_str(struct json *, const char *key, const char *val);
/* len arbitrary bytes, NUL included. */
void	json_strn(struct json *, const char *key, const void *val,
	    size_t len);
void	json_int(struct json *, const char *key, long long val);
void	json_uint(struct json *, const char *key, unsigned long long val);
void	json_bool(struct json *, const char *key, int val);
/* A finite number with up to 6 decimals (NaN and infinities: null). */
void	json_double(struct json *, const char *key, double val);

/*
 * End the document: a newline after the top-level value, then fflush.
 * Returns 0, or -1 when the writer was misused or a container is still
 * open (errno EINVAL) or the stream failed (errno from stdio).
 */
int	json_finish(struct json *);

#endif
