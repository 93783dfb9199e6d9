/*
 * utf8.c -- the strict UTF-8 decoder of utf8.h.
 *
 * The lead byte gives the length and the range of the first
 * continuation byte (table 3-7); narrowing that one range is what
 * rejects overlong forms (E0, F0), surrogates (ED) and code points
 * above U+10FFFF (F4), so no decoded value has to be checked again.
 * C0, C1 and F5-FF never lead a well-formed sequence.  Decoding first
 * and checking the value after was rejected: it needs a minimum per
 * length, a surrogate test and a maximum, three checks where narrowing
 * one byte's range does the same.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"

int
utf8_decode(const uint8_t *p, size_t len, uint32_t *cp)
{
	uint8_t		lo = 0x80, hi = 0xbf;	/* range of p[1] */
	uint32_t	c;
	size_t		n, i;

	if (len == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
		if (p[0] == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (p[0] == 0xed)
			hi = 0x9f;	/* surrogates U+D800-DFFF */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
		if (p[0] == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (p[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	if (len < n || p[1] < lo || p[1] > hi)
		return 0;
	c = c << 6 | (p[1] & 0x3f);
	for (i = 2; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	*cp = c;
	return (int)n;
}

int
utf8_valid(const char *s)
{
	const uint8_t	*p = (const uint8_t *)s;
	uint32_t	 cp;
	size_t		 len = strlen(s);
	int		 n;

	while (len > 0) {
		if ((n = utf8_decode(p, len, &cp)) == 0)
			return 0;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

int
utf8_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	    cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}
