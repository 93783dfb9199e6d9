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
 * What is written is gathered in the writer's own buffer and goes to
 * its FILE 8 KiB at a time, and at json_finish(): a stdio call a token
 * (a lock each, even unlocked a function call and a check each) was
 * most of the time of a list of 10,000 torrents.  A writer's FILE is
 * its own and one thread's while the document is written.
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
	j->len = 0;
	j->depth = 0;
	j->bad = 0;
	j->done = 0;
}

static void
flush(struct json *j)
{
	if (j->len > 0)
		(void)fwrite_unlocked(j->buf, 1, j->len, j->fp);
	j->len = 0;
}

static void
out(struct json *j, const void *p, size_t n)
{
	if (JSON_BUF - j->len < n) {
		flush(j);
		if (n > JSON_BUF) {
			(void)fwrite_unlocked(p, 1, n, j->fp);
			return;
		}
	}
	memcpy(j->buf + j->len, p, n);
	j->len += n;
}

static void
outc(struct json *j, char c)
{
	if (j->len == JSON_BUF)
		flush(j);
	j->buf[j->len++] = c;
}

static void
outs(struct json *j, const char *s)
{
	out(j, s, strlen(s));
}

/* The bytes written as they are: printable ASCII but '"' and '\\'. */
static const unsigned char plain[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x30] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x40] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	[0x60] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x70] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
};

static void
put_string(struct json *j, const unsigned char *s, size_t len)
{
	uint32_t	cp;
	size_t		i;
	int		n;

	outc(j, '"');
	for (i = 0; i < len; i += n) {
		unsigned char	c = s[i];
		size_t		run;

		/* A run of plain ASCII goes in one write (10,000 torrents
		   listed are millions of characters). */
		for (run = i; run < len && plain[s[run]]; run++)
			;
		if (run > i) {
			out(j, s + i, run - i);
			n = (int)(run - i);
			continue;
		}
		n = 1;
		switch (c) {
		case '"':
			outs(j, "\\\"");
			continue;
		case '\\':
			outs(j, "\\\\");
			continue;
		case '\b':
			outs(j, "\\b");
			continue;
		case '\f':
			outs(j, "\\f");
			continue;
		case '\n':
			outs(j, "\\n");
			continue;
		case '\r':
			outs(j, "\\r");
			continue;
		case '\t':
			outs(j, "\\t");
			continue;
		}
		if (c < 0x20 || c == 0x7f) {	/* DEL is legal but unkind */
			char	u[8];

			snprintf(u, sizeof(u), "\\u%04x", c);
			outs(j, u);
		} else if (c < 0x80)
			outc(j, (char)c);
		else if ((n = utf8_decode(s + i, len - i, &cp)) > 0)
			out(j, s + i, (size_t)n);
		else {
			outs(j, "\\ufffd");
			n = 1;
		}
	}
	outc(j, '"');
}

static void
newline(struct json *j)
{
	/* The line break and two spaces a level (JSON_MAXDEPTH). */
	static const char	sp[] = "\n"
	    "                                "
	    "                                ";

	_Static_assert(sizeof(sp) > 2 * JSON_MAXDEPTH + 1, "indent");
	out(j, sp, 1 + 2 * (size_t)j->depth);
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
		outc(j, ',');
	j->empty[j->depth - 1] = 0;
	newline(j);
	if (key != NULL) {
		put_string(j, (const unsigned char *)key, strlen(key));
		out(j, ": ", 2);
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
	outc(j, kind);
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
	outc(j, kind == '{' ? '}' : ']');
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
	put_string(j, val, len);
	end(j);
}

void
json_str(struct json *j, const char *key, const char *val)
{
	if (begin(j, key) == -1)
		return;
	if (val == NULL)
		out(j, "null", 4);
	else
		put_string(j, (const unsigned char *)val, strlen(val));
	end(j);
}

/* The decimal digits of v, with a '-' if neg, in one write. */
static void
put_uint(struct json *j, unsigned long long v, int neg)
{
	char	buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (neg)
		*--p = '-';
	out(j, p, (size_t)(buf + sizeof(buf) - p));
}

void
json_int(struct json *j, const char *key, long long val)
{
	if (begin(j, key) == -1)
		return;
	put_uint(j, val < 0 ? 0ULL - (unsigned long long)val :
	    (unsigned long long)val, val < 0);
	end(j);
}

void
json_uint(struct json *j, const char *key, unsigned long long val)
{
	if (begin(j, key) == -1)
		return;
	put_uint(j, val, 0);
	end(j);
}

void
json_double(struct json *j, const char *key, double val)
{
	if (begin(j, key) == -1)
		return;
	if (!isfinite(val))
		out(j, "null", 4);
	else if (val == (double)(long long)val && val > -1e6 && val < 1e6 &&
	    (val != 0 || !signbit(val)))
		/* What %.6g writes for a small whole number, without it. */
		put_uint(j, val < 0 ? (unsigned long long)-(long long)val :
		    (unsigned long long)val, val < 0);
	else {
		char	b[32];
		int	n = snprintf(b, sizeof(b), "%.6g", val);

		out(j, b, (size_t)n);
	}
	end(j);
}

void
json_bool(struct json *j, const char *key, int val)
{
	if (begin(j, key) == -1)
		return;
	outs(j, val ? "true" : "false");
	end(j);
}

int
json_finish(struct json *j)
{
	if (!j->bad && j->done)
		outc(j, '\n');
	flush(j);
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
