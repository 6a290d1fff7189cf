/* libFuzzer target: one SIP datagram through sipmsg_parse, every accessor,
 * and, for a request, a response built from it that must parse again. */
#include <stdint.h>
#include <stdlib.h>

#include "common/err.h"
#include "gateway/sipmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch(const struct sipmsg *m)
{
	char buf[256];
	const char *s;
	size_t n;
	uint32_t cseq;

	(void)sipmsg_method(m);
	(void)sipmsg_status(m);
	(void)sipmsg_cseq(m, &cseq, &s);
	(void)sipmsg_call_id(m, buf, sizeof buf);
	(void)sipmsg_from_tag(m);
	(void)sipmsg_to_tag(m);
	(void)sipmsg_via_branch(m);
	(void)sipmsg_request_user(m);
	(void)sipmsg_contact_uri(m, buf, sizeof buf);
	(void)sipmsg_content_type(m, buf, sizeof buf);
	if (sipmsg_body(m, &s, &n) == FGW_OK && n > 0 && s == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sipmsg *m, *r;
	struct sipmsg_reply x = { .to_tag = "fz", .contact = "<sip:fz@127.0.0.1>" };
	char out[SIPMSG_MAX_UDP * 2], err[SIPMSG_ERR_MAX];
	size_t len;

	if (sipmsg_parse(data, size, &m, err, sizeof err) != FGW_OK) {
		if (m != NULL)
			abort();
		return 0;
	}
	touch(m);
	if (sipmsg_is_request(m) &&
	    sipmsg_build_response(m, 486, &x, out, sizeof out, &len) == FGW_OK &&
	    len <= SIPMSG_MAX_UDP) {
		if (sipmsg_parse((const uint8_t *)out, len, &r, err, sizeof err) == FGW_OK) {
			touch(r);
			sipmsg_free(r);
		}
	}
	sipmsg_free(m);
	return 0;
}
