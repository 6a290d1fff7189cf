/* T.38 gateway wrapper: configures SpanDSP's t38_gateway, adapts its
 * callbacks to ours and decodes the T.30 frames it shows us. */
#include "dsp/t38gw.h"

#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "common/err.h"

/* Audio is copied into this many samples at a time: SpanDSP's rx takes a
 * non-const buffer and we do not hand it the caller's. */
#define CHUNK 320

struct t38gw {
	t38_gateway_state_t *gw;
	t38gw_ifp_fn ifp_tx;
	t38gw_frame_fn on_frame;
	void *arg;
};

/* Identity-bearing FCFs. The first group is fixed, the second carries the
 * X bit (set by the calling side) in bit 0. */
static bool is_ident_fcf(uint8_t fcf)
{
	switch (fcf) {
	case T30_CSI:
	case T30_CIG:
	case T30_PWD:
	case T30_SEP:
	case T30_PSA:
		return true;
	default:
		break;
	}
	switch (fcf & 0xFE) {
	case T30_TSI:
	case T30_SUB:
	case T30_SID:
		return true;
	default:
		return false;
	}
}

/* T.30 sends the identity last character first, padded with spaces. */
static void decode_ident(const uint8_t *fif, size_t len, char *out)
{
	size_t n = 0, start = 0;

	for (size_t i = len; i > 0; i--) {
		uint8_t c = fif[i - 1];
		out[n++] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
	}
	out[n] = '\0';
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
	while (out[start] == ' ')
		start++;
	memmove(out, out + start, n - start + 1);
}

int t38gw_decode_frame(const uint8_t *msg, size_t len, enum t38gw_dir dir,
		       struct t38gw_frame *out)
{
	const char *type;

	memset(out, 0, sizeof(*out));
	if (len < 3)
		return FGW_ERR_PARSE;
	out->dir = dir;
	out->fcf = msg[2];
	type = t30_frametype(msg[2]);
	out->type = type != NULL ? type : "???";
	out->has_ident = is_ident_fcf(msg[2]);
	/* A field longer than 20 octets is malformed: report no identity
	 * rather than a guessed one. */
	if (out->has_ident && len - 3 <= T38GW_IDENT_MAX)
		decode_ident(msg + 3, len - 3, out->ident);
	return 0;
}

/* SpanDSP: direction true = heard from the modem (audio) side. */
static void on_hdlc(t38_gateway_state_t *s, void *user, int direction,
		    const uint8_t *msg, int len)
{
	struct t38gw *g = user;
	struct t38gw_frame f;

	(void)s;
	if (g->on_frame == NULL || len < 0)
		return;
	if (t38gw_decode_frame(msg, (size_t)len, direction ? T38GW_FROM_AUDIO
							   : T38GW_FROM_T38,
			       &f) == 0)
		g->on_frame(g->arg, &f);
}

static int on_ifp(t38_core_state_t *s, void *user, const uint8_t *buf,
		  int len, int count)
{
	struct t38gw *g = user;

	(void)s;
	if (len < 0)
		return -1;
	return g->ifp_tx(g->arg, buf, (size_t)len, count) == 0 ? 0 : -1;
}

static int spandsp_modems(unsigned modems)
{
	int m = 0;

	if (modems == 0)
		modems = T38GW_V27TER | T38GW_V29 | T38GW_V17;
	if (modems & T38GW_V27TER)
		m |= T30_SUPPORT_V27TER;
	if (modems & T38GW_V29)
		m |= T30_SUPPORT_V29;
	if (modems & T38GW_V17)
		m |= T30_SUPPORT_V17;
	return m;
}

static void configure(struct t38gw *g, const struct t38gw_config *cfg)
{
	t38_core_state_t *core = t38_gateway_get_t38_core_state(g->gw);

	t38_gateway_set_ecm_capability(g->gw, cfg->ecm);
	t38_gateway_set_supported_modems(g->gw, spandsp_modems(cfg->modems));
	t38_gateway_set_transmit_on_idle(g->gw, cfg->transmit_on_idle);
	t38_gateway_set_real_time_frame_handler(g->gw, on_hdlc, g);
	t38_set_t38_version(core, (int)cfg->t38_version);
	/* 1 = localTCF, 2 = transferredTCF (T.38 clause 6.2.1) */
	t38_set_data_rate_management_method(core, cfg->local_tcf ? 1 : 2);
}

struct t38gw *t38gw_new(const struct t38gw_config *cfg, t38gw_ifp_fn ifp_tx,
			t38gw_frame_fn on_frame, void *arg)
{
	struct t38gw *g;

	if (ifp_tx == NULL || cfg->t38_version > 3 ||
	    (cfg->modems & ~(unsigned)(T38GW_V27TER | T38GW_V29 | T38GW_V17)))
		return NULL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->ifp_tx = ifp_tx;
	g->on_frame = on_frame;
	g->arg = arg;
	g->gw = t38_gateway_init(NULL, on_ifp, g);
	if (g->gw == NULL) {
		free(g);
		return NULL;
	}
	configure(g, cfg);
	return g;
}

void t38gw_free(struct t38gw *gw)
{
	if (gw == NULL)
		return;
	(void)t38_gateway_free(gw->gw);
	free(gw);
}

void t38gw_rx_audio(struct t38gw *gw, const int16_t *amp, size_t n)
{
	int16_t buf[CHUNK];

	while (n > 0) {
		size_t k = n < CHUNK ? n : CHUNK;
		memcpy(buf, amp, k * sizeof(*buf));
		/* returns the samples it did not use: only after the call
		 * ended, when there is nothing left to do with them */
		(void)t38_gateway_rx(gw->gw, buf, (int)k);
		amp += k;
		n -= k;
	}
}

void t38gw_rx_audio_missing(struct t38gw *gw, size_t n)
{
	while (n > 0) {
		size_t k = n < CHUNK ? n : CHUNK;
		(void)t38_gateway_rx_fillin(gw->gw, (int)k);
		n -= k;
	}
}

size_t t38gw_tx_audio(struct t38gw *gw, int16_t *amp, size_t max)
{
	size_t done = 0;

	while (done < max) {
		size_t k = max - done < CHUNK ? max - done : CHUNK;
		int got = t38_gateway_tx(gw->gw, amp + done, (int)k);
		if (got <= 0)
			break;
		done += (size_t)got;
		if ((size_t)got < k)
			break;
	}
	memset(amp + done, 0, (max - done) * sizeof(*amp));
	return done;
}

int t38gw_rx_ifp(struct t38gw *gw, const uint8_t *ifp, size_t len,
		 uint16_t seq)
{
	t38_core_state_t *core = t38_gateway_get_t38_core_state(gw->gw);

	if (len == 0 || len > 65535)
		return FGW_ERR_PARSE;
	return t38_core_rx_ifp_packet(core, ifp, (int)len, seq) < 0
	       ? FGW_ERR_PARSE : 0;
}

void t38gw_get_stats(struct t38gw *gw, struct t38gw_stats *st)
{
	t38_stats_t t;

	memset(&t, 0, sizeof(t));
	t38_gateway_get_transfer_statistics(gw->gw, &t);
	st->bit_rate = t.bit_rate;
	st->ecm = t.error_correcting_mode != 0;
	st->pages = t.pages_transferred;
}
