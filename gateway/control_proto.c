/* The control protocol's request line: a strict parser over a bounded
 * cursor, and the matching encoder for clients. Pure: no daemon state, so
 * the unit tests and the fuzzer use it alone. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/control.h"

/* A cursor over the request bytes (newline excluded). */
struct cursor {
	const char *p, *end;
};

static void say(char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || size == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(why, size, fmt, ap) < 0)
		why[0] = '\0';
	va_end(ap);
}

static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* A literal value byte: printable ASCII but the three with a meaning. */
static bool is_plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '%' && c != '=';
}

static int hex_digit(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads a verb or key: [a-z][a-z0-9_-]{0,31}. */
static int read_name(struct cursor *c, char out[static CONTROL_NAME_MAX + 1])
{
	size_t n = 0;

	if (c->p == c->end || !is_lower(*c->p))
		return FGW_ERR_PARSE;
	while (c->p < c->end && (is_lower(*c->p) || is_digit(*c->p) || *c->p == '_' ||
				 *c->p == '-')) {
		if (n == CONTROL_NAME_MAX)
			return FGW_ERR_PARSE;
		out[n++] = *c->p++;
	}
	out[n] = '\0';
	return 0;
}

/* Decodes a value up to the next space into dst (room bytes left). */
static int read_value(struct cursor *c, char *dst, size_t room, size_t *used)
{
	size_t n = 0;

	if (room == 0)
		return FGW_ERR_TOO_LARGE;
	while (c->p < c->end && *c->p != ' ') {
		int byte = (unsigned char)*c->p;
		if (byte == '%') {
			if (c->end - c->p < 3)
				return FGW_ERR_PARSE;
			int hi = hex_digit(c->p[1]), lo = hex_digit(c->p[2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return FGW_ERR_PARSE;
			byte = hi * 16 + lo;
			c->p += 3;
		} else if (is_plain((unsigned char)byte)) {
			c->p++;
		} else {
			return FGW_ERR_PARSE;
		}
		if (n + 1 >= room)
			return FGW_ERR_TOO_LARGE;
		dst[n++] = (char)byte;
	}
	dst[n] = '\0';
	*used = n + 1;
	return 0;
}

static int parse_arg(struct cursor *c, struct control_request *req, size_t *buf_used,
		     char *why, size_t why_size)
{
	size_t i = req->nargs, used;

	if (i == CONTROL_ARGS_MAX) {
		say(why, why_size, "more than %d arguments", CONTROL_ARGS_MAX);
		return FGW_ERR_PARSE;
	}
	if (read_name(c, req->args[i].key) != 0 || c->p == c->end || *c->p++ != '=') {
		say(why, why_size, "argument %zu is not key=value with a key of [a-z0-9_-]",
		    i + 1);
		return FGW_ERR_PARSE;
	}
	if (control_arg(req, req->args[i].key) != NULL) {
		say(why, why_size, "argument '%s' given twice", req->args[i].key);
		return FGW_ERR_PARSE;
	}
	char *dst = req->buf + *buf_used;
	if (read_value(c, dst, sizeof req->buf - *buf_used, &used) != 0) {
		say(why, why_size, "value of '%s' has a byte that must be %%XX-encoded",
		    req->args[i].key);
		return FGW_ERR_PARSE;
	}
	req->args[i].value = dst;
	*buf_used += used;
	req->nargs++;
	return 0;
}

static int parse_line(struct cursor *c, struct control_request *req, char *why,
		      size_t why_size)
{
	size_t buf_used = 0;
	int rc;

	if (read_name(c, req->verb) != 0) {
		say(why, why_size, "the request does not start with a verb of [a-z0-9_-]");
		return FGW_ERR_PARSE;
	}
	while (c->p < c->end) {
		if (*c->p++ != ' ' || c->p == c->end) {
			say(why, why_size, "words must be separated by single spaces");
			return FGW_ERR_PARSE;
		}
		if ((rc = parse_arg(c, req, &buf_used, why, why_size)) != 0)
			return rc;
	}
	return 0;
}

int control_parse(const char *data, size_t len, struct control_request *req,
		  char *why, size_t why_size)
{
	memset(req, 0, offsetof(struct control_request, buf));
	req->nfds = 0;
	say(why, why_size, "ok");
	if (len > CONTROL_LINE_MAX) {
		say(why, why_size, "request longer than %d bytes", CONTROL_LINE_MAX);
		return FGW_ERR_TOO_LARGE;
	}
	if (len == 0 || data[len - 1] != '\n' || memchr(data, '\n', len - 1) != NULL) {
		say(why, why_size, "a request is exactly one line ending in a newline");
		return FGW_ERR_PARSE;
	}
	struct cursor c = {data, data + len - 1};
	int rc = parse_line(&c, req, why, why_size);
	if (rc != 0)
		memset(req, 0, offsetof(struct control_request, buf));
	return rc;
}

const char *control_arg(const struct control_request *req, const char *key)
{
	for (size_t i = 0; i < req->nargs; i++)
		if (strcmp(req->args[i].key, key) == 0)
			return req->args[i].value;
	return NULL;
}

/* ---- the encoder ------------------------------------------------------- */

static void put(struct control_line *l, const char *s, size_t n)
{
	if (l->err != 0)
		return;
	if (n >= sizeof l->buf - l->len) {   /* keep room for the newline */
		l->err = FGW_ERR_TOO_LARGE;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static bool valid_name(const char *s)
{
	char tmp[CONTROL_NAME_MAX + 1];
	struct cursor c = {s, s + strlen(s)};

	return read_name(&c, tmp) == 0 && c.p == c.end;
}

void control_line_init(struct control_line *l, const char *verb)
{
	l->len = 0;
	l->err = valid_name(verb) ? 0 : FGW_ERR_INVALID;
	put(l, verb, strlen(verb));
}

void control_line_add(struct control_line *l, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

	if (l->err == 0 && !valid_name(key))
		l->err = FGW_ERR_INVALID;
	put(l, " ", 1);
	put(l, key, strlen(key));
	put(l, "=", 1);
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
		char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
		if (is_plain(*p))
			put(l, (const char *)p, 1);
		else
			put(l, enc, 3);
	}
}

int control_line_finish(struct control_line *l)
{
	if (l->err != 0)
		return l->err;
	l->buf[l->len++] = '\n';
	return 0;
}
