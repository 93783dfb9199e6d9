/*
 * json.c -- the streaming JSON writer of json.h.
 *
 * State is a stack of open containers (their kind, and whether anything
 * was written in them yet, which decides the comma and whether the
 * close goes on a line of its own).  Invariant while not bad: depth is
 * between 0 and JSON_MAXDEPTH, and done is set only at depth 0.
 *
 * Invalid UTF-8 is replaced one byte at a time: each byte that does not
 * start a well-formed sequence (utf8_decode(): no overlong forms, no
 * surrogates, nothing above U+10FFFF) becomes one \ufffd and the scan
 * resumes at the next byte.  The "maximal subpart" rule of Unicode
 * section 3.9 would fold a truncated sequence into a single U+FFFD; it
 * was rejected as more code for no gain here, where the replacement
 * only has to keep the output valid and show that bytes were lost.
 *
 * A writer's FILE is its own and one thread's: the *_unlocked stdio
 * calls skip a lock taken per call (most of the time of a list of
 * 10,000 torrents otherwise).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

void
json_init(struct json *j, FILE *fp)
{
	j->fp = fp;
	j->depth = 0;
	j->bad = 0;
	j->done = 0;
}

static void
put_string(FILE *fp, const unsigned char *s, size_t len)
{
	uint32_t	cp;
	size_t		i;
	int		n;

	putc_unlocked('"', fp);
	for (i = 0; i < len; i += n) {
		unsigned char	c = s[i];
		size_t		run;

		/* A run of plain ASCII goes in one write (10,000 torrents
		   listed are millions of characters). */
		for (run = i; run < len && s[run] >= 0x20 && s[run] < 0x7f &&
		    s[run] != '"' && s[run] != '\\'; run++)
			;
		if (run > i) {
			fwrite_unlocked(s + i, 1, run - i, fp);
			n = (int)(run - i);
			continue;
		}
		n = 1;
		switch (c) {
		case '"':
			fputs_unlocked("\\\"", fp);
			continue;
		case '\\':
			fputs_unlocked("\\\\", fp);
			continue;
		case '\b':
			fputs_unlocked("\\b", fp);
			continue;
		case '\f':
			fputs_unlocked("\\f", fp);
			continue;
		case '\n':
			fputs_unlocked("\\n", fp);
			continue;
		case '\r':
			fputs_unlocked("\\r", fp);
			continue;
		case '\t':
			fputs_unlocked("\\t", fp);
			continue;
		}
		if (c < 0x20 || c == 0x7f)	/* DEL is legal but unkind */
			fprintf(fp, "\\u%04x", c);
		else if (c < 0x80)
			putc_unlocked(c, fp);
		else if ((n = utf8_decode(s + i, len - i, &cp)) > 0)
			fwrite_unlocked(s + i, 1, n, fp);
		else {
			fputs_unlocked("\\ufffd", fp);
			n = 1;
		}
	}
	putc_unlocked('"', fp);
}

static void
newline(struct json *j)
{
	/* The line break and two spaces a level (JSON_MAXDEPTH). */
	static const char	sp[] = "\n"
	    "                                "
	    "                                ";

	_Static_assert(sizeof(sp) > 2 * JSON_MAXDEPTH + 1, "indent");
	fwrite_unlocked(sp, 1, 1 + 2 * (size_t)j->depth, j->fp);
}

/*
 * Start a value: check that key fits where we are, write the comma,
 * the line break and the member name.  -1 if the writer is stopped.
 */
static int
begin(struct json *j, const char *key)
{
	if (j->bad)
		return -1;
	if (j->depth == 0) {
		if (j->done || key != NULL)
			goto misuse;
		return 0;
	}
	if ((j->kind[j->depth - 1] == '{') != (key != NULL))
		goto misuse;
	if (!j->empty[j->depth - 1])
		putc_unlocked(',', j->fp);
	j->empty[j->depth - 1] = 0;
	newline(j);
	if (key != NULL) {
		put_string(j->fp, (const unsigned char *)key, strlen(key));
		fputs_unlocked(": ", j->fp);
	}
	return 0;
 misuse:
	j->bad = 1;
	return -1;
}

/* After a scalar or a close: at depth 0 the document is complete. */
static void
end(struct json *j)
{
	if (j->depth == 0)
		j->done = 1;
}

static void
open_container(struct json *j, const char *key, char kind)
{
	if (begin(j, key) == -1)
		return;
	if (j->depth == JSON_MAXDEPTH) {
		j->bad = 1;
		return;
	}
	putc_unlocked(kind, j->fp);
	j->kind[j->depth] = kind;
	j->empty[j->depth] = 1;
	j->depth++;
}

static void
close_container(struct json *j, char kind)
{
	if (j->bad)
		return;
	if (j->depth == 0 || j->kind[j->depth - 1] != kind) {
		j->bad = 1;
		return;
	}
	j->depth--;
	if (!j->empty[j->depth])
		newline(j);
	putc_unlocked(kind == '{' ? '}' : ']', j->fp);
	end(j);
}

void
json_obj_open(struct json *j, const char *key)
{
	open_container(j, key, '{');
}

void
json_obj_close(struct json *j)
{
	close_container(j, '{');
}

void
json_arr_open(struct json *j, const char *key)
{
	open_container(j, key, '[');
}

void
json_arr_close(struct json *j)
{
	close_container(j, '[');
}

void
json_strn(struct json *j, const char *key, const void *val, size_t len)
{
	if (begin(j, key) == -1)
		return;
	put_string(j->fp, val, len);
	end(j);
}

void
json_str(struct json *j, const char *key, const char *val)
{
	if (begin(j, key) == -1)
		return;
	if (val == NULL)
		fputs_unlocked("null", j->fp);
	else
		put_string(j->fp, (const unsigned char *)val, strlen(val));
	end(j);
}

/* The decimal digits of v, with a '-' if neg, in one write. */
static void
put_uint(FILE *fp, unsigned long long v, int neg)
{
	char	buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (neg)
		*--p = '-';
	fwrite_unlocked(p, 1, (size_t)(buf + sizeof(buf) - p), fp);
}

void
json_int(struct json *j, const char *key, long long val)
{
	if (begin(j, key) == -1)
		return;
	put_uint(j->fp, val < 0 ? 0ULL - (unsigned long long)val :
	    (unsigned long long)val, val < 0);
	end(j);
}

void
json_uint(struct json *j, const char *key, unsigned long long val)
{
	if (begin(j, key) == -1)
		return;
	put_uint(j->fp, val, 0);
	end(j);
}

void
json_double(struct json *j, const char *key, double val)
{
	if (begin(j, key) == -1)
		return;
	if (isfinite(val))
		fprintf(j->fp, "%.6g", val);
	else
		fputs_unlocked("null", j->fp);
	end(j);
}

void
json_bool(struct json *j, const char *key, int val)
{
	if (begin(j, key) == -1)
		return;
	fputs_unlocked(val ? "true" : "false", j->fp);
	end(j);
}

int
json_finish(struct json *j)
{
	if (!j->bad && j->done)
		putc_unlocked('\n', j->fp);
	errno = 0;
	if (fflush(j->fp) == EOF || ferror(j->fp)) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	if (j->bad || !j->done) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}
