/* The SIP line: line_ops over the call's RTP or UDPTL session. */
#include <stdlib.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/line.h"
#include "gateway/line_sip.h"
#include "gateway/rtp_session.h"
#include "gateway/udptl_session.h"

struct line_sip {
	struct rtp_session *rtp;
	struct udptl_session *udptl;
	enum fax_transport now;
	uint64_t send_errors;
};

/* A lost datagram is what networks do: the call goes on, the count grows. */
static int soften(struct line_sip *ls, int rc)
{
	if (rc == FGW_ERR_IO) {
		ls->send_errors++;
		return 0;
	}
	return rc;
}

static int sip_send_audio(void *impl, const int16_t *samples, size_t n)
{
	struct line_sip *ls = impl;

	if (ls->now != FAX_AUDIO)
		return FGW_ERR_STATE;
	return soften(ls, rtp_session_send_audio(ls->rtp, samples, n));
}

static size_t sip_recv_audio(void *impl, int16_t *samples, size_t max)
{
	struct line_sip *ls = impl;

	return ls->now == FAX_AUDIO ? rtp_session_recv_audio(ls->rtp, samples, max) : 0;
}

static int sip_send_t38(void *impl, const uint8_t *ifp, size_t len, uint16_t seq, int count)
{
	struct line_sip *ls = impl;

	if (ls->now != FAX_T38)
		return FGW_ERR_STATE;
	return soften(ls, udptl_session_send(ls->udptl, ifp, len, seq, count));
}

static int sip_recv_t38(void *impl, uint8_t *buf, size_t max, size_t *len, uint16_t *seq)
{
	struct line_sip *ls = impl;

	if (ls->now != FAX_T38)
		return 0;
	/* The RTP port stays open for a fallback; keep it from filling up. */
	if (ls->rtp != NULL)
		rtp_session_discard(ls->rtp);
	return udptl_session_recv(ls->udptl, buf, max, len, seq);
}

static void sip_free(void *impl)
{
	struct line_sip *ls = impl;

	rtp_session_free(ls->rtp);
	udptl_session_free(ls->udptl);
	free(ls);
}

static const struct line_ops sip_ops = {
	.name = "sip",
	.send_audio = sip_send_audio,
	.recv_audio = sip_recv_audio,
	.send_t38 = sip_send_t38,
	.recv_t38 = sip_recv_t38,
	.free = sip_free,
};

static int make(struct rtp_session *rtp, struct udptl_session *udptl, struct line **out)
{
	struct line_sip *ls;

	*out = NULL;
	if ((ls = calloc(1, sizeof *ls)) == NULL) {
		rtp_session_free(rtp);
		udptl_session_free(udptl);
		return FGW_ERR_NOMEM;
	}
	ls->rtp = rtp;
	ls->udptl = udptl;
	ls->now = udptl != NULL ? FAX_T38 : FAX_AUDIO;
	if ((*out = line_new(&sip_ops, ls)) == NULL) {
		sip_free(ls);
		return FGW_ERR_NOMEM;
	}
	return 0;
}

int line_sip_new(struct rtp_session *rtp, struct line **out)
{
	*out = NULL;
	if (rtp == NULL)
		return FGW_ERR_INVALID;
	return make(rtp, NULL, out);
}

int line_sip_new_t38(struct rtp_session *rtp, struct udptl_session *udptl,
		     struct line **out)
{
	*out = NULL;
	if (udptl == NULL) {
		rtp_session_free(rtp);
		return FGW_ERR_INVALID;
	}
	return make(rtp, udptl, out);
}

int line_sip_switch_t38(struct line *l, struct udptl_session *udptl)
{
	struct line_sip *ls = line_impl(l, &sip_ops);

	if (ls == NULL || udptl == NULL)
		return FGW_ERR_INVALID;
	if (ls->udptl != udptl)
		udptl_session_free(ls->udptl);
	ls->udptl = udptl;
	ls->now = FAX_T38;
	return 0;
}

int line_sip_switch_audio(struct line *l)
{
	struct line_sip *ls = line_impl(l, &sip_ops);

	if (ls == NULL)
		return FGW_ERR_INVALID;
	if (ls->rtp == NULL)
		return FGW_ERR_STATE;
	udptl_session_free(ls->udptl);
	ls->udptl = NULL;
	ls->now = FAX_AUDIO;
	return 0;
}

enum fax_transport line_sip_transport(const struct line *l)
{
	const struct line_sip *ls = line_impl(l, &sip_ops);

	return ls != NULL ? ls->now : FAX_AUDIO;
}

struct rtp_session *line_sip_rtp(struct line *l)
{
	struct line_sip *ls = line_impl(l, &sip_ops);

	return ls != NULL ? ls->rtp : NULL;
}

struct udptl_session *line_sip_udptl(struct line *l)
{
	struct line_sip *ls = line_impl(l, &sip_ops);

	return ls != NULL ? ls->udptl : NULL;
}
