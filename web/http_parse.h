/* Pure parsers for what a browser sends: application/x-www-form-urlencoded
 * bodies and query strings, the Cookie header, and multipart/form-data.
 * No daemon state; every input is bounded and every error is exact, so the
 * fuzzer (tests/fuzz/fuzz_http.c) and unit tests link these alone.
 *
 * Errors: FGW_ERR_PARSE (malformed), FGW_ERR_TOO_LARGE (over a limit
 * below), FGW_ERR_NOMEM, FGW_ERR_INVALID (NULL arguments). */
#ifndef FAXGW_WEB_HTTP_PARSE_H
#define FAXGW_WEB_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_FORM_MAX_BYTES   (64 * 1024)  /* urlencoded body or query */
#define HTTP_FORM_MAX_FIELDS  64
#define HTTP_NAME_MAX         64           /* bytes of a field or cookie name */
#define HTTP_COOKIE_MAX_BYTES 8192
#define HTTP_MULTIPART_MAX_PARTS 16
#define HTTP_MULTIPART_MAX_BYTES (25 * 1024 * 1024)
#define HTTP_PART_HEADERS_MAX 2048         /* bytes of one part's headers */
#define HTTP_BOUNDARY_MAX     70           /* RFC 2046 */

struct http_field {
	const char *name;   /* NUL-terminated, decoded */
	const char *value;  /* NUL-terminated, decoded; never holds NUL */
	size_t value_len;
};

/* Decoded fields of a form body or query string; owns its strings. */
struct http_form {
	struct http_field fields[HTTP_FORM_MAX_FIELDS];
	size_t count;
	char *arena;
};

/* Parses len bytes of in ("a=1&b=x%20y", '+' is a space). Strict: '%' must
 * be followed by two hex digits, %00 and raw control bytes are refused,
 * names are 1..HTTP_NAME_MAX bytes, empty pairs ("a=1&&b=2") are skipped.
 * Returns 0 and fills *out (release with http_form_free), or an error with
 * *out left empty. */
int http_form_parse(const char *in, size_t len, struct http_form *out);

/* Frees the arena; the form reads as empty afterwards. NULL is fine. */
void http_form_free(struct http_form *f);

/* The value of the first field called name, or NULL. Owned by f. */
const char *http_form_get(const struct http_form *f, const char *name);

/* Finds cookie name in a Cookie header ("a=1; b=2") and copies its value
 * (quotes removed) to out. Returns 0, FGW_ERR_NOT_FOUND, FGW_ERR_PARSE (a
 * pair without '=' or a value with bytes outside RFC 6265 cookie-octets),
 * or FGW_ERR_TOO_LARGE (header over HTTP_COOKIE_MAX_BYTES or the value
 * does not fit out). */
int http_cookie_get(const char *header, const char *name, char *out, size_t out_size);

/* One part of a multipart/form-data body. data points into the body. */
struct http_part {
	char name[HTTP_NAME_MAX + 1];      /* form field name */
	char filename[256];                /* "" when none was given */
	char content_type[128];            /* "" when none was given */
	const unsigned char *data;
	size_t len;
};

struct http_multipart {
	struct http_part parts[HTTP_MULTIPART_MAX_PARTS];
	size_t count;
};

/* Takes the boundary out of a Content-Type value
 * ("multipart/form-data; boundary=xyz", quoted or not) into out (at least
 * HTTP_BOUNDARY_MAX + 1 bytes). Returns 0, FGW_ERR_UNSUPPORTED (another
 * media type) or FGW_ERR_PARSE. */
int http_multipart_boundary(const char *content_type, char *out, size_t out_size);

/* Splits len bytes of body by boundary (RFC 7578): every part needs a
 * Content-Disposition: form-data with a name; CRLF line ends; the closing
 * delimiter must be present. Parts point into body, which must outlive
 * *out. Returns 0, FGW_ERR_PARSE, or FGW_ERR_TOO_LARGE (body, part count
 * or part headers over their limits). */
int http_multipart_parse(const unsigned char *body, size_t len, const char *boundary,
			 struct http_multipart *out);

#endif
