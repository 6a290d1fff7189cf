/* Bounded HTML buffer and escaping. */
#include "web/html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct html {
	char *data;
	size_t len, cap, max;
	bool failed;
};

struct html *html_new(size_t max)
{
	struct html *h = calloc(1, sizeof *h);

	if (!h)
		return NULL;
	h->cap = 4096 < max + 1 ? 4096 : max + 1;
	h->data = malloc(h->cap);
	if (!h->data) {
		free(h);
		return NULL;
	}
	h->data[0] = '\0';
	h->max = max;
	return h;
}

void html_free(struct html *h)
{
	if (!h)
		return;
	free(h->data);
	free(h);
}

static bool reserve(struct html *h, size_t n)
{
	if (h->failed)
		return false;
	if (n > h->max - h->len) {
		h->failed = true;
		return false;
	}
	if (h->len + n + 1 > h->cap) {
		size_t cap = h->cap;
		while (cap < h->len + n + 1)
			cap *= 2;
		if (cap > h->max + 1)
			cap = h->max + 1;
		char *p = realloc(h->data, cap);
		if (!p) {
			h->failed = true;
			return false;
		}
		h->data = p;
		h->cap = cap;
	}
	return true;
}

void html_bytes(struct html *h, const void *p, size_t len)
{
	if (!h || !reserve(h, len))
		return;
	memcpy(h->data + h->len, p, len);
	h->len += len;
	h->data[h->len] = '\0';
}

void html_raw(struct html *h, const char *s)
{
	if (s)
		html_bytes(h, s, strlen(s));
}

/* The entity for c, or NULL when c is written as is. */
static const char *entity(unsigned char c, bool *drop)
{
	*drop = (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return NULL;
	}
}

void html_text(struct html *h, const char *s)
{
	size_t run = 0;
	bool drop;

	if (!s)
		return;
	for (size_t i = 0;; i++) {
		const char *e = s[i] ? entity((unsigned char)s[i], &drop) : NULL;
		if (s[i] && !e && !drop) {
			run++;
			continue;
		}
		html_bytes(h, s + i - run, run);
		run = 0;
		if (!s[i])
			return;
		if (e)
			html_raw(h, e);
	}
}

void html_int(struct html *h, long long v)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%lld", v);

	if (n > 0 && (size_t)n < sizeof buf)
		html_bytes(h, buf, (size_t)n);
}

const char *html_data(const struct html *h)
{
	return h->data;
}

size_t html_len(const struct html *h)
{
	return h->len;
}

bool html_failed(const struct html *h)
{
	return h->failed;
}

int html_escape(const char *s, char *out, size_t out_size)
{
	struct html *h = html_new(out_size ? out_size - 1 : 0);
	int rc = FGW_ERR_NOMEM;

	if (h) {
		html_text(h, s);
		rc = html_failed(h) ? FGW_ERR_TOO_LARGE : FGW_OK;
		if (rc == FGW_OK)
			memcpy(out, h->data, h->len + 1);
	}
	html_free(h);
	return rc;
}
