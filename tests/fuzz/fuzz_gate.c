/* libFuzzer: the request-head parser that judges bodies before they are
 * read (web/gate.c), and the line re-writer over every head it accepts:
 * the re-written head must parse to the same verdict and framing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
	char buf[GATE_HEAD_MAX + 4096];
	size_t len;
};

static int emit(void *arg, const char *line, size_t len)
{
	struct out *o = arg;

	if (o->len + len + 2 > sizeof o->buf)
		return -1;
	memcpy(o->buf + o->len, line, len);
	memcpy(o->buf + o->len + len, "\r\n", 2);
	o->len += len + 2;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gate_head h, again;
	static struct out o;

	if (gate_parse((const char *)data, size, &h) != 0 || h.status != 0)
		return 0;
	if (h.end > size)
		abort();
	o.len = 0;
	if (gate_lines((const char *)data, h.end, emit, &o) != 0 || o.len + 2 > sizeof o.buf)
		return 0;
	memcpy(o.buf + o.len, "\r\n", 2);
	o.len += 2;
	/* what evhttp is handed reads the same way */
	if (gate_parse(o.buf, o.len, &again) != 0 || again.status != 0 ||
	    again.end != o.len || again.length != h.length ||
	    strcmp(again.method, h.method) != 0 || strcmp(again.path, h.path) != 0 ||
	    strcmp(again.cookie, h.cookie) != 0)
		abort();
	return 0;
}
