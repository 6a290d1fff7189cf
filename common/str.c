#include "common/str.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

int str_copy(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (size == 0)
		return FGW_ERR_TOO_LARGE;
	if (len >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return FGW_ERR_TOO_LARGE;
	}
	memcpy(dst, src, len + 1);
	return FGW_OK;
}

int str_format(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return FGW_ERR_TOO_LARGE;
	return FGW_OK;
}

int str_to_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return FGW_ERR_PARSE;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || end == s)
		return FGW_ERR_PARSE;
	if (errno == ERANGE || v < min || v > max)
		return FGW_ERR_RANGE;
	*out = v;
	return FGW_OK;
}

int str_to_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return FGW_ERR_PARSE;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || end == s || isnan(v))
		return FGW_ERR_PARSE;
	if (errno == ERANGE || v < min || v > max)
		return FGW_ERR_RANGE;
	*out = v;
	return FGW_OK;
}

void str_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

bool str_equal_ct(const void *a, const void *b, size_t len)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}
