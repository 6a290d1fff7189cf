/* libFuzzer target: an SDP body through sdp_parse, then our answer to it;
 * whatever sdp_build writes must parse again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void caps(struct sdp_caps *c, uint8_t sw)
{
	memset(c, 0, sizeof *c);
	c->pcmu = sw & 1;
	c->pcma = (sw >> 1) & 1;
	c->prefer_pcma = (sw >> 2) & 1;
	c->t38 = (sw >> 3) & 1;
	c->te_pt = (sw >> 4) & 1 ? 101 : SDP_PT_NONE;
	sdp_t38_defaults(&c->t38_local);
	c->t38_local.max_bitrate = 14400;
	c->t38_local.max_datagram = 400;
	c->t38_local.udp_ec = SDP_T38_EC_REDUNDANCY;
	(void)str_copy(c->addr, sizeof c->addr, "127.0.0.1");
	c->audio_port = 4000;
	c->image_port = 4002;
}

/* Builds s and checks the text parses back. */
static void rebuild(const struct sdp_session *s)
{
	static char buf[SDP_MAX_LEN * 4];
	struct sdp_session back;
	char err[SDP_ERR_MAX];
	size_t len;

	if (sdp_build(s, buf, sizeof buf, &len) != FGW_OK || len > SDP_MAX_LEN)
		return;
	if (sdp_parse(buf, len, &back, err, sizeof err) != FGW_OK)
		abort();
	if (back.nmedia != s->nmedia)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_session offer, answer;
	struct sdp_caps c;
	char err[SDP_ERR_MAX];

	if (size < 1)
		return 0;
	if (sdp_parse((const char *)data + 1, size - 1, &offer, err, sizeof err) != FGW_OK) {
		if (strnlen(err, sizeof err) == sizeof err)
			abort();
		return 0;
	}
	rebuild(&offer);
	caps(&c, data[0]);
	if (sdp_answer(&c, &offer, &answer, err, sizeof err) == FGW_OK)
		rebuild(&answer);
	return 0;
}
