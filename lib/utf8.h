/*
 * utf8.h -- the one strict UTF-8 decoder, for every module that checks
 * or sanitises outside text (json.c, magnet.c, metainfo.c, btd's ctl
 * requests, btctl create, the fuzz targets' invariants).
 *
 * Well-formed is Unicode 15, table 3-7: no overlong forms, no
 * surrogates (U+D800-DFFF), nothing above U+10FFFF, no sequence cut
 * short by the end of the input.  A NUL byte is the character U+0000
 * to utf8_decode(); utf8_valid() stops at it.
 */
#ifndef BTD_UTF8_H
#define BTD_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD, 3 bytes */

/*
 * Decode the character at p (len bytes available) into *cp: the length
 * of its well-formed sequence, 1 to 4, or 0 if p does not start one
 * (an invalid byte, or len is 0); *cp is left alone then.  A caller
 * replacing invalid input skips one byte on 0.
 */
int	utf8_decode(const uint8_t *p, size_t len, uint32_t *cp);

/* 1 if the NUL-terminated s is well-formed UTF-8, else 0. */
int	utf8_valid(const char *s);

/*
 * Characters never let into names and display text: C0 and C1 controls,
 * DEL, the line and paragraph separators, and the bidirectional marks,
 * embeddings, overrides and isolates (which reorder what is shown).
 */
int	utf8_unsafe(uint32_t cp);

#endif
