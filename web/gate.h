/* The head of an HTTP request read before its body, so that server.c can
 * refuse a large body without reading it (evhttp in libevent 2.1 has one
 * body limit for the whole server and no hook between the headers and
 * the body). The parser is pure: bytes in, a verdict out.
 *
 * server.c withholds the head from evhttp until it is complete, then
 * hands evhttp a re-written copy (CRLF line ends, our own marker header
 * dropped) so that both read the same framing: the Content-Length the
 * parser found. */
#ifndef FAXGW_WEB_GATE_H
#define FAXGW_WEB_GATE_H

#include <stddef.h>

#include "web/web.h"

#define GATE_HEAD_MAX (2 * WEB_HEADERS_MAX)  /* withheld bytes: 431 beyond */
#define GATE_COOKIE_MAX 4096
#define GATE_MARK "X-Faxgw-Refused"          /* server.c -> on_request */

struct gate_head {
	size_t end;                  /* bytes of the head, blank line included */
	char method[16];
	char path[512];              /* the target up to '?'; "" when longer */
	char cookie[GATE_COOKIE_MAX];/* the first Cookie header; "" when none or longer */
	unsigned long long length;   /* Content-Length; 0 when absent */
	int status;                  /* 0, or the refusal: 400, 411, 431 */
};

/* Reads the request head at the start of p[0..n). Returns 0 and *h when
 * the head is complete (h->status then says whether it is malformed: 400
 * for a bad request line, a header without a colon, a folded line, a
 * bad or repeated Content-Length, or a body on a method other than POST,
 * PUT or PATCH (evhttp would read it as the next request); 411 for any Transfer-Encoding), or
 * FGW_ERR_TRUNCATED when more bytes are needed; with GATE_HEAD_MAX bytes
 * and still no end, 0 with status 431. */
int gate_parse(const char *p, size_t n, struct gate_head *h);

/* Calls emit(arg, line, len) for the request line and each header line of
 * the complete head p[0..end), without line ends, leaving out GATE_MARK
 * headers. Returns the first non-zero emit result, else 0. */
int gate_lines(const char *p, size_t end, int (*emit)(void *arg, const char *line, size_t len),
	       void *arg);

#endif
