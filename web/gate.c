/* Request heads read before the body (see gate.h). Lines end in LF with an
 * optional CR before it, as evhttp reads them. */
#include "web/gate.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"

#define LENGTH_DIGITS_MAX 18   /* below 2^63: evhttp's ntoread is signed */

/* The line at *pos of p[0..n): its start and length without the line end;
 * *pos moves past it. False when no complete line is left. */
static bool next_line(const char *p, size_t n, size_t *pos, const char **line, size_t *len)
{
	const char *nl = *pos < n ? memchr(p + *pos, '\n', n - *pos) : NULL;

	if (!nl)
		return false;
	*line = p + *pos;
	*len = (size_t)(nl - *line);
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	*pos = (size_t)(nl - p) + 1;
	return true;
}

static bool key_is(const char *line, size_t klen, const char *key)
{
	return klen == strlen(key) && strncasecmp(line, key, klen) == 0;
}

/* The value after the colon, trimmed of blanks on both sides. */
static void header_value(const char *line, size_t len, size_t klen, const char **v,
			 size_t *vlen)
{
	size_t a = klen + 1, b = len;

	while (a < b && (line[a] == ' ' || line[a] == '\t'))
		a++;
	while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
		b--;
	*v = line + a;
	*vlen = b - a;
}

/* Digits only, at most LENGTH_DIGITS_MAX of them. */
static bool parse_length(const char *v, size_t n, unsigned long long *out)
{
	unsigned long long x = 0;

	if (n == 0 || n > LENGTH_DIGITS_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (unsigned long long)(v[i] - '0');
	}
	*out = x;
	return true;
}

/* METHOD SP TARGET SP VERSION. */
static int request_line(const char *line, size_t len, struct gate_head *h)
{
	const char *sp1 = memchr(line, ' ', len), *sp2, *q;
	size_t mlen, tlen;

	if (!sp1)
		return 400;
	mlen = (size_t)(sp1 - line);
	sp2 = memchr(sp1 + 1, ' ', len - mlen - 1);
	if (!sp2 || mlen == 0 || mlen >= sizeof h->method)
		return 400;
	memcpy(h->method, line, mlen);
	h->method[mlen] = '\0';
	tlen = (size_t)(sp2 - sp1 - 1);
	q = memchr(sp1 + 1, '?', tlen);
	if (q)
		tlen = (size_t)(q - sp1 - 1);
	if (tlen < sizeof h->path) {
		memcpy(h->path, sp1 + 1, tlen);
		h->path[tlen] = '\0';
	}
	return 0;
}

static int header_line(const char *line, size_t len, struct gate_head *h, bool *have_length,
		       bool *have_cookie)
{
	const char *colon = memchr(line, ':', len), *v;
	size_t klen, vlen;

	if (line[0] == ' ' || line[0] == '\t' || !colon)
		return 400;
	klen = (size_t)(colon - line);
	header_value(line, len, klen, &v, &vlen);
	if (key_is(line, klen, "Transfer-Encoding"))
		return 411;
	if (key_is(line, klen, "Content-Length")) {
		if (*have_length || !parse_length(v, vlen, &h->length))
			return 400;
		*have_length = true;
	}
	/* the first one only, as evhttp_find_header and so web_handle read it */
	if (key_is(line, klen, "Cookie") && !*have_cookie) {
		*have_cookie = true;
		if (vlen < sizeof h->cookie) {
			memcpy(h->cookie, v, vlen);
			h->cookie[vlen] = '\0';
		}
	}
	return 0;
}

/* evhttp reads a body for these methods only; for any other it would read
 * the "body" as the next request, past this gate. */
static bool takes_body(const char *method)
{
	return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	       strcmp(method, "PATCH") == 0;
}

int gate_parse(const char *p, size_t n, struct gate_head *h)
{
	size_t pos = 0, len;
	const char *line;
	bool have_length = false, have_cookie = false;
	int status = 0;

	memset(h, 0, sizeof *h);
	if (!next_line(p, n, &pos, &line, &len))
		goto incomplete;
	status = len == 0 ? 400 : request_line(line, len, h);
	while (next_line(p, n, &pos, &line, &len)) {
		if (len == 0) {
			h->end = pos;
			if (status == 0 && h->length > 0 && !takes_body(h->method))
				status = 400;
			h->status = status;
			return FGW_OK;
		}
		if (status == 0)
			status = header_line(line, len, h, &have_length, &have_cookie);
	}
incomplete:
	if (n < GATE_HEAD_MAX)
		return FGW_ERR_TRUNCATED;
	h->status = 431;
	return FGW_OK;
}

int gate_lines(const char *p, size_t end, int (*emit)(void *arg, const char *line, size_t len),
	       void *arg)
{
	size_t pos = 0, len, klen;
	const char *line, *colon;
	int rc;

	while (next_line(p, end, &pos, &line, &len) && len > 0) {
		colon = memchr(line, ':', len);
		klen = colon ? (size_t)(colon - line) : 0;
		if (colon && key_is(line, klen, GATE_MARK))
			continue;
		if ((rc = emit(arg, line, len)) != 0)
			return rc;
	}
	return 0;
}
