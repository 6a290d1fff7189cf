/* Bounded, strict parsers for form bodies, cookies and multipart bodies. */
#include "web/http_parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/str.h"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes in[0..len) into dst (room for len + 1), NUL-terminated. */
static int form_decode(const char *in, size_t len, char *dst, size_t *out_len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '%') {
			int hi = i + 2 < len ? hex_value(in[i + 1]) : -1;
			int lo = hi >= 0 ? hex_value(in[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return FGW_ERR_PARSE;
			c = (unsigned char)(hi * 16 + lo);
			if (c == 0)
				return FGW_ERR_PARSE;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		} else if (c < 0x20 || c == 0x7f) {
			return FGW_ERR_PARSE;
		}
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	*out_len = o;
	return FGW_OK;
}

/* Decodes one "name=value" pair into the arena at *pos. */
static int form_pair(const char *p, size_t n, struct http_form *f, size_t *pos)
{
	const char *eq = memchr(p, '=', n);
	size_t nlen = eq ? (size_t)(eq - p) : n;
	const char *v = eq ? eq + 1 : p + n;
	size_t vlen = eq ? n - nlen - 1 : 0;
	size_t name_len, value_len;
	int rc;

	if (f->count == HTTP_FORM_MAX_FIELDS)
		return FGW_ERR_TOO_LARGE;
	char *name = f->arena + *pos;
	rc = form_decode(p, nlen, name, &name_len);
	if (rc != FGW_OK)
		return rc;
	if (name_len == 0 || name_len > HTTP_NAME_MAX)
		return FGW_ERR_PARSE;
	*pos += name_len + 1;
	char *value = f->arena + *pos;
	rc = form_decode(v, vlen, value, &value_len);
	if (rc != FGW_OK)
		return rc;
	*pos += value_len + 1;
	f->fields[f->count++] = (struct http_field){ name, value, value_len };
	return FGW_OK;
}

int http_form_parse(const char *in, size_t len, struct http_form *out)
{
	size_t pos = 0, start = 0;
	int rc = FGW_OK;

	if (!out || (!in && len))
		return FGW_ERR_INVALID;
	memset(out, 0, sizeof *out);
	if (len > HTTP_FORM_MAX_BYTES)
		return FGW_ERR_TOO_LARGE;
	/* decoded text never grows; +2 NULs per pair at most len+1 pairs */
	out->arena = malloc(2 * len + 2);
	if (!out->arena)
		return FGW_ERR_NOMEM;
	for (size_t i = 0; i <= len && rc == FGW_OK; i++) {
		if (i < len && in[i] != '&')
			continue;
		if (i > start)
			rc = form_pair(in + start, i - start, out, &pos);
		start = i + 1;
	}
	if (rc != FGW_OK)
		http_form_free(out);
	return rc;
}

void http_form_free(struct http_form *f)
{
	if (!f)
		return;
	free(f->arena);
	memset(f, 0, sizeof *f);
}

const char *http_form_get(const struct http_form *f, const char *name)
{
	if (!f || !name)
		return NULL;
	for (size_t i = 0; i < f->count; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return f->fields[i].value;
	return NULL;
}

/* ---- cookies ------------------------------------------------------------ */

/* RFC 6265 cookie-octet. */
static bool cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
	       (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

static int cookie_value(const char *v, size_t n, char *out, size_t out_size)
{
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	for (size_t i = 0; i < n; i++)
		if (!cookie_octet((unsigned char)v[i]))
			return FGW_ERR_PARSE;
	if (n + 1 > out_size)
		return FGW_ERR_TOO_LARGE;
	memcpy(out, v, n);
	out[n] = '\0';
	return FGW_OK;
}

int http_cookie_get(const char *header, const char *name, char *out, size_t out_size)
{
	size_t hlen, nlen;
	const char *p;

	if (!header || !name || !out || out_size == 0)
		return FGW_ERR_INVALID;
	hlen = strnlen(header, HTTP_COOKIE_MAX_BYTES + 1);
	if (hlen > HTTP_COOKIE_MAX_BYTES)
		return FGW_ERR_TOO_LARGE;
	nlen = strlen(name);
	p = header;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t plen = strcspn(p, ";");
		const char *eq = memchr(p, '=', plen);
		if (plen > 0 && !eq)
			return FGW_ERR_PARSE;
		size_t vlen = plen;
		while (vlen > 0 && (p[vlen - 1] == ' ' || p[vlen - 1] == '\t'))
			vlen--;
		if (eq && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0)
			return cookie_value(eq + 1, vlen - nlen - 1, out, out_size);
		p += plen;
		if (*p == ';')
			p++;
	}
	return FGW_ERR_NOT_FOUND;
}

/* ---- multipart ---------------------------------------------------------- */

int http_multipart_boundary(const char *content_type, char *out, size_t out_size)
{
	static const char media[] = "multipart/form-data";
	const char *p;
	size_t n;

	if (!content_type || !out || out_size < HTTP_BOUNDARY_MAX + 1)
		return FGW_ERR_INVALID;
	if (strncasecmp(content_type, media, sizeof media - 1) != 0)
		return FGW_ERR_UNSUPPORTED;
	p = strcasestr(content_type + sizeof media - 1, "boundary=");
	if (!p)
		return FGW_ERR_PARSE;
	p += 9;
	if (*p == '"') {
		p++;
		n = strcspn(p, "\"");
		if (p[n] != '"')
			return FGW_ERR_PARSE;
	} else {
		n = strcspn(p, "; \t");
	}
	if (n == 0 || n > HTTP_BOUNDARY_MAX)
		return FGW_ERR_PARSE;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			return FGW_ERR_PARSE;
	memcpy(out, p, n);
	out[n] = '\0';
	return FGW_OK;
}

static const unsigned char *find_bytes(const unsigned char *hay, size_t hlen,
				       const char *needle, size_t nlen)
{
	return memmem(hay, hlen, needle, nlen);
}

/* Copies a parameter (name="x" or filename="x") of a Content-Disposition
 * value; absent leaves out empty. */
static int disposition_param(const char *v, const char *param, char *out, size_t out_size)
{
	size_t plen = strlen(param);
	const char *p = v;

	out[0] = '\0';
	while ((p = strstr(p, param)) != NULL) {
		bool starts = p == v || p[-1] == ';' || p[-1] == ' ';
		if (starts && p[plen] == '=') {
			p += plen + 1;
			size_t n;
			if (*p == '"') {
				p++;
				n = strcspn(p, "\"");
				if (p[n] != '"')
					return FGW_ERR_PARSE;
			} else {
				n = strcspn(p, "; ");
			}
			if (n + 1 > out_size)
				return FGW_ERR_TOO_LARGE;
			memcpy(out, p, n);
			out[n] = '\0';
			return FGW_OK;
		}
		p += plen;
	}
	return FGW_OK;
}

/* One header line of a part (no CRLF), NUL-terminated. */
static int part_header(char *line, struct http_part *part, bool *seen_disp)
{
	char *colon = strchr(line, ':');
	int rc;

	if (!colon || colon == line)
		return FGW_ERR_PARSE;
	*colon = '\0';
	char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (strcasecmp(line, "Content-Disposition") == 0) {
		if (strncasecmp(v, "form-data", 9) != 0)
			return FGW_ERR_PARSE;
		rc = disposition_param(v, "name", part->name, sizeof part->name);
		if (rc == FGW_OK)
			rc = disposition_param(v, "filename", part->filename,
					       sizeof part->filename);
		if (rc == FGW_OK && part->name[0] == '\0')
			rc = FGW_ERR_PARSE;
		*seen_disp = true;
		return rc;
	}
	if (strcasecmp(line, "Content-Type") == 0)
		return str_copy(part->content_type, sizeof part->content_type, v) == FGW_OK
			       ? FGW_OK : FGW_ERR_TOO_LARGE;
	return FGW_OK;   /* other part headers are ignored */
}

/* Parses the header block hdr[0..n) (lines separated by CRLF). */
static int part_headers(const unsigned char *hdr, size_t n, struct http_part *part)
{
	char buf[HTTP_PART_HEADERS_MAX + 1];
	bool seen = false;
	char *line;
	int rc = FGW_OK;

	if (n > HTTP_PART_HEADERS_MAX)
		return FGW_ERR_TOO_LARGE;
	memcpy(buf, hdr, n);
	buf[n] = '\0';
	if (memchr(buf, '\0', n))
		return FGW_ERR_PARSE;
	line = buf;
	while (rc == FGW_OK && line) {
		char *end = strstr(line, "\r\n");
		if (end)
			*end = '\0';
		if (strchr(line, '\r') || strchr(line, '\n'))
			return FGW_ERR_PARSE;
		rc = part_header(line, part, &seen);
		line = end ? end + 2 : NULL;
	}
	if (rc == FGW_OK && !seen)
		rc = FGW_ERR_PARSE;
	return rc;
}

/* Parses one part starting right after its delimiter line's CRLF and ending
 * before the next "\r\n--boundary". */
static int one_part(const unsigned char *p, size_t n, struct http_part *part)
{
	const unsigned char *sep = find_bytes(p, n, "\r\n\r\n", 4);
	int rc;

	memset(part, 0, sizeof *part);
	if (n >= 2 && p[0] == '\r' && p[1] == '\n')
		return FGW_ERR_PARSE;   /* no Content-Disposition at all */
	if (!sep)
		return (n > HTTP_PART_HEADERS_MAX) ? FGW_ERR_TOO_LARGE : FGW_ERR_PARSE;
	rc = part_headers(p, (size_t)(sep - p), part);
	if (rc != FGW_OK)
		return rc;
	part->data = sep + 4;
	part->len = n - (size_t)(sep + 4 - p);
	return FGW_OK;
}

int http_multipart_parse(const unsigned char *body, size_t len, const char *boundary,
			 struct http_multipart *out)
{
	char delim[HTTP_BOUNDARY_MAX + 5];
	size_t dlen;
	const unsigned char *p, *end = body + len;

	if (!out || !boundary || (!body && len))
		return FGW_ERR_INVALID;
	memset(out, 0, sizeof *out);
	if (len > HTTP_MULTIPART_MAX_BYTES)
		return FGW_ERR_TOO_LARGE;
	if (str_format(delim, sizeof delim, "\r\n--%s", boundary) != FGW_OK || !boundary[0])
		return FGW_ERR_PARSE;
	dlen = strlen(delim);
	/* the body starts with the first delimiter (no preamble accepted) */
	if (len < dlen - 2 || memcmp(body, delim + 2, dlen - 2) != 0)
		return FGW_ERR_PARSE;
	p = body + dlen - 2;
	for (;;) {
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return out->count ? FGW_OK : FGW_ERR_PARSE;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return FGW_ERR_PARSE;
		p += 2;
		const unsigned char *next = find_bytes(p, (size_t)(end - p), delim, dlen);
		if (!next)
			return FGW_ERR_PARSE;
		if (out->count == HTTP_MULTIPART_MAX_PARTS)
			return FGW_ERR_TOO_LARGE;
		int rc = one_part(p, (size_t)(next - p), &out->parts[out->count]);
		if (rc != FGW_OK)
			return rc;
		out->count++;
		p = next + dlen;
	}
}
