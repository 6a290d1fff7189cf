/* Bounded string helpers: never overflow, always terminate, report truncation. */
#ifndef FAXGW_COMMON_STR_H
#define FAXGW_COMMON_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies src into dst (size bytes, size > 0), always NUL-terminated.
 * Returns 0, or FGW_ERR_TOO_LARGE when src did not fit (dst holds a prefix). */
int str_copy(char *dst, size_t size, const char *src);

/* snprintf that returns 0, or FGW_ERR_TOO_LARGE on truncation or error. */
int str_format(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parses a whole decimal integer in [min, max]. Returns 0, FGW_ERR_PARSE
 * (not a number, trailing junk) or FGW_ERR_RANGE. */
int str_to_int(const char *s, long long min, long long max, long long *out);

/* Parses a decimal number (e.g. "30", "2.5") in [min, max]. */
int str_to_double(const char *s, double min, double max, double *out);

/* True when a and b (len bytes) are equal; time does not depend on content. */
bool str_equal_ct(const void *a, const void *b, size_t len);

/* Writes the n bytes of in as lower-case hex into out, which holds
 * 2 * n + 1 bytes, NUL-terminated. */
void str_hex(const uint8_t *in, size_t n, char *out);

#endif
