/* HTML output: a growable buffer with a hard maximum, and the one escape
 * function every user-controlled string goes through. Pages are written by
 * functions calling html_raw for markup the code owns and html_text for
 * everything else; no inline script anywhere. */
#ifndef FAXGW_WEB_HTML_H
#define FAXGW_WEB_HTML_H

#include <stdbool.h>
#include <stddef.h>

#define HTML_PAGE_MAX (4 * 1024 * 1024)

struct html;

/* A new empty buffer that refuses to grow past max bytes. NULL on ENOMEM. */
struct html *html_new(size_t max);
void html_free(struct html *h);

/* Appends markup the program itself wrote (never user data). */
void html_raw(struct html *h, const char *s);
/* Appends s escaped for element text and quoted attribute values:
 * & < > " ' become entities; control bytes other than tab/newline are
 * dropped. NULL appends nothing. */
void html_text(struct html *h, const char *s);
/* Appends a decimal number. */
void html_int(struct html *h, long long v);
/* Appends len raw bytes (e.g. CSV). */
void html_bytes(struct html *h, const void *p, size_t len);

/* The content so far (NUL-terminated) and its length; owned by h. */
const char *html_data(const struct html *h);
size_t html_len(const struct html *h);
/* True once an append was refused (max reached or no memory): the page is
 * incomplete and must not be sent. */
bool html_failed(const struct html *h);

/* Escapes s into out (a fixed buffer); returns 0 or FGW_ERR_TOO_LARGE. */
int html_escape(const char *s, char *out, size_t out_size);

#endif
