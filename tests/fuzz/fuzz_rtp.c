/* libFuzzer target: RTP packets through rtp_parse; a packet without
 * extension or padding must rebuild to the same bytes. The payload also
 * goes through the telephone-event parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "gateway/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_header h;
	struct rtp_event ev;
	const uint8_t *pl;
	uint8_t buf[RTP_MAX_PACKET], eb[RTP_EVENT_SIZE];
	size_t n, len;

	if (rtp_parse(data, size, &h, &pl, &n) != FGW_OK)
		return 0;
	if (pl < data || pl + n > data + size)
		abort();
	if (!h.extension && !h.padding) {
		if (rtp_build(&h, pl, n, buf, sizeof buf, &len) != FGW_OK)
			abort();
		if (len != size || memcmp(buf, data, size) != 0)
			abort();
	}
	if (rtp_event_parse(pl, n, &ev) == FGW_OK) {
		if (rtp_event_build(&ev, eb) != FGW_OK || eb[0] != pl[0] || eb[2] != pl[2] || eb[3] != pl[3])
			abort();
	}
	return 0;
}
