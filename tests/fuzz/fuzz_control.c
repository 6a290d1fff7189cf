/* libFuzzer target: the control socket's request parser over raw bytes,
 * and every request it accepts re-encoded and parsed again to the same
 * verb and arguments. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct control_request *req)
{
	static struct control_line l;
	static struct control_request again;

	control_line_init(&l, req->verb);
	for (size_t i = 0; i < req->nargs; i++)
		control_line_add(&l, req->args[i].key, req->args[i].value);
	if (control_line_finish(&l) != 0)
		return;   /* %XX encoding may grow past the limit: fine */
	if (control_parse(l.buf, l.len, &again, NULL, 0) != 0 ||
	    strcmp(again.verb, req->verb) != 0 || again.nargs != req->nargs)
		abort();
	for (size_t i = 0; i < req->nargs; i++)
		if (strcmp(again.args[i].key, req->args[i].key) != 0 ||
		    strcmp(again.args[i].value, req->args[i].value) != 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct control_request req;
	char why[160];

	if (control_parse((const char *)data, size, &req, why, sizeof why) == 0)
		check_round_trip(&req);
	return 0;
}
