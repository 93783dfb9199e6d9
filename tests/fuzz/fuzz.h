/*
 * fuzz.h -- what the libFuzzer targets share: the entry point's
 * prototype, CHECK() for invariants, and a UTF-8 validator.
 *
 * CHECK() names the invariant on stderr and aborts, so that libFuzzer
 * records the input as a crash with the line that failed.  The helpers
 * are static inline: each target is one translation unit and uses only
 * some of them.
 */
#ifndef BTD_FUZZ_H
#define BTD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/*
 * Length of the well-formed UTF-8 sequence at s (len > 0 bytes left)
 * and its code point in *cp; 0 if s does not start one.  Unicode 15,
 * table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF.
 */
static inline size_t
fuzz_utf8_seq(const uint8_t *s, size_t len, uint32_t *cp)
{
	uint8_t		 lo = 0x80, hi = 0xbf;
	uint32_t	 c;
	size_t		 n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	c = c << 6 | (s[1] & 0x3f);
	for (i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	*cp = c;
	return n;
}

/* 1 if the NUL-terminated s is valid UTF-8. */
static inline int
fuzz_utf8_valid(const char *s)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 len = 0, n;
	uint32_t	 c;

	while (p[len] != '\0')
		len++;
	while (len > 0) {
		if ((n = fuzz_utf8_seq(p, len, &c)) == 0)
			return 0;
		p += n;
		len -= n;
	}
	return 1;
}

/*
 * 1 if the NUL-terminated s holds a character unfit for a terminal or a
 * file name: C0 and C1 controls, DEL, the line and paragraph separators,
 * bidirectional embeddings, overrides and isolates.  s is valid UTF-8.
 */
static inline int
fuzz_has_unsafe(const char *s)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 len = 0, n;
	uint32_t	 c;

	while (p[len] != '\0')
		len++;
	while (len > 0) {
		if ((n = fuzz_utf8_seq(p, len, &c)) == 0)
			return 1;
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 ||
		    c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069))
			return 1;
		p += n;
		len -= n;
	}
	return 0;
}

/* 1 if err holds one line of printable ASCII, not empty. */
static inline int
fuzz_err_ok(const char *err, size_t errlen)
{
	size_t	 i;

	if (err[0] == '\0')
		return 0;
	for (i = 0; i < errlen && err[i] != '\0'; i++)
		if (err[i] < 0x20 || err[i] > 0x7e)
			return 0;
	return i < errlen;
}

#endif
