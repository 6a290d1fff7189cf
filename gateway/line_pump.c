/* The synchronous pump. */
#include "common/err.h"
#include "common/log.h"
#include "gateway/line_pump.h"

int line_pump_t38_out(void *line, const uint8_t *ifp, size_t len, uint16_t seq, int count)
{
	return line_send_t38(line, ifp, len, seq, count);
}

static int audio_out(struct fax_endpoint *ep, struct line *l)
{
	int16_t buf[LINE_PUMP_STEP];

	size_t n = fax_endpoint_tx_audio(ep, buf, LINE_PUMP_STEP);
	return line_send_audio(l, buf, n);
}

static int audio_in(struct fax_endpoint *ep, struct line *l)
{
	int16_t buf[LINE_PUMP_STEP];

	size_t n = line_recv_audio(l, buf, LINE_PUMP_STEP);
	return n > 0 ? fax_endpoint_rx_audio(ep, buf, n) : 0;
}

/* Hands every datagram waiting on l to ep. A packet the endpoint cannot
 * decode costs only that packet, as on a real network. */
static int t38_in(struct fax_endpoint *ep, struct line *l)
{
	uint8_t buf[LINE_T38_MAX_IFP];
	size_t len;
	uint16_t seq;
	int rc;

	while ((rc = line_recv_t38(l, buf, sizeof buf, &len, &seq)) != 0) {
		if (rc < 0)
			return rc;
		if (fax_endpoint_rx_t38(ep, buf, len, seq) != 0)
			log_debug("pump: T.38 packet %u not understood", seq);
	}
	return 0;
}

int line_pump_step(struct fax_endpoint *a, struct line *la,
		   struct fax_endpoint *b, struct line *lb)
{
	int rc;

	if (fax_endpoint_transport(a) != fax_endpoint_transport(b))
		return FGW_ERR_INVALID;
	if (fax_endpoint_transport(a) == FAX_AUDIO) {
		if ((rc = audio_out(a, la)) != 0 || (rc = audio_out(b, lb)) != 0 ||
		    (rc = audio_in(a, la)) != 0 || (rc = audio_in(b, lb)) != 0)
			return rc;
		return 0;
	}
	if ((rc = fax_endpoint_advance(a, LINE_PUMP_STEP)) != 0 ||
	    (rc = fax_endpoint_advance(b, LINE_PUMP_STEP)) != 0 ||
	    (rc = t38_in(a, la)) != 0 || (rc = t38_in(b, lb)) != 0)
		return rc;
	return 0;
}

int line_pump_run(struct fax_endpoint *a, struct line *la,
		  struct fax_endpoint *b, struct line *lb,
		  unsigned max_seconds, uint64_t *elapsed)
{
	uint64_t limit = (uint64_t)max_seconds * FAX_SAMPLE_RATE;
	uint64_t t = 0;
	int rc = FGW_ERR_TIMEOUT;

	while (t < limit) {
		if (fax_endpoint_done(a) && fax_endpoint_done(b)) {
			rc = 0;
			break;
		}
		if ((rc = line_pump_step(a, la, b, lb)) != 0)
			break;
		rc = FGW_ERR_TIMEOUT;
		t += LINE_PUMP_STEP;
	}
	if (rc == FGW_ERR_TIMEOUT && fax_endpoint_done(a) && fax_endpoint_done(b))
		rc = 0;
	if (elapsed != NULL)
		*elapsed = t;
	return rc;
}
