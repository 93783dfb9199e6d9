/*
 * fuzz.h -- what the libFuzzer targets share: the entry point's
 * prototype, CHECK() for invariants, and checks of text and error
 * lines.  Well-formed UTF-8 is utf8_valid() of lib/utf8.c, which the
 * targets that use it link.
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
#include <string.h>

#include "utf8.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/*
 * 1 if the NUL-terminated s holds a character unfit for a terminal or a
 * file name: C0 and C1 controls, DEL, the line and paragraph separators,
 * bidirectional embeddings, overrides and isolates.  s is valid UTF-8.
 */
static inline int
fuzz_has_unsafe(const char *s)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 len = strlen(s);
	uint32_t	 c;
	int		 n;

	while (len > 0) {
		if ((n = utf8_decode(p, len, &c)) == 0)
			return 1;
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 ||
		    c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069))
			return 1;
		p += n;
		len -= (size_t)n;
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
