/* A SIP fax machine for the tests; see sip_device.h. */
#include "tests/support/sip_device.h"

#include <criterion/criterion.h>
#include <event2/event.h>
#include <spandsp.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "dsp/fax.h"
#include "gateway/rtp_session.h"
#include "gateway/sdp.h"
#include "gateway/sip_transport.h"
#include "gateway/sip_ua.h"

#define FRAME 160
#define TE_PT 101
#define EVENTS_AT_MS 1000        /* after the answer: the first entry */
#define TONES_AFTER_MS 4000      /* after the last event is queued: the
				  * events, the gateway's confirm tone */
#define FAX_AFTER_MS 2500        /* after the tones: the fax machine starts */

struct dev {
	const struct sip_device_opts *o;
	struct sip_device_result *r;
	struct event_base *base;
	struct sip_transport *t;
	struct sip_ua *ua;
	struct sip_dialog *dlg;
	struct rtp_session *rtp;
	struct fax_endpoint *fax;
	dtmf_tx_state_t *dtmf;
	struct event *tick;
	unsigned ms;                /* since the answer */
	size_t next_event;
	unsigned events_done_ms, tones_done_ms;
	bool hung;
};

static void on_answered(void *arg, struct sip_dialog *d, const char *sdp, size_t len)
{
	struct dev *v = arg;
	struct sdp_session s;
	struct rtp_session_media m = {.law = DSP_G711_ULAW, .pt = 0, .te_pt = TE_PT,
				      .jitter_max_ms = 100};

	(void)d;
	cr_assert_eq(sdp_parse(sdp, len, &s, NULL, 0), 0, "the gateway's answer: %.*s",
		     (int)len, sdp);
	for (size_t i = 0; i < s.nmedia; i++)
		if (s.media[i].kind == SDP_MEDIA_AUDIO && s.media[i].port != 0)
			cr_assert_eq(rtp_session_set_peer(v->rtp, sdp_media_addr(&s, &s.media[i]),
							  s.media[i].port, &m), 0);
	v->r->answered = true;
}

static void on_reinvite(void *arg, struct sip_dialog *d, const char *sdp, size_t len)
{
	struct dev *v = arg;

	(void)sdp, (void)len;
	v->r->reinvite_refused = true;
	(void)sip_dialog_reject_reinvite(d, 488);
}

static void take_result(struct dev *v)
{
	struct fax_result res;

	if (v->fax == NULL || !fax_endpoint_done(v->fax) || fax_endpoint_result(v->fax, &res) != 0)
		return;
	v->r->fax_done = true;
	v->r->fax_err = res.err;
	v->r->pages_sent = res.stats.pages_tx;
}

static void on_ended(void *arg, struct sip_dialog *d, int status, const char *reason)
{
	struct dev *v = arg;

	(void)d, (void)status, (void)reason;
	take_result(v);
	v->dlg = NULL;
	v->r->ended = true;
	/* The gateway hangs up once it has the page; the machine's own end
	 * (its DCN sent) follows within frames: the tick lets it come. */
	if (v->fax == NULL || v->r->fax_done)
		(void)event_base_loopbreak(v->base);
}

static void start_fax(struct dev *v)
{
	struct fax_options o;

	fax_options_init(&o);
	o.role = FAX_SEND;
	o.side = FAX_SIDE_CALLING;
	o.file = v->o->file;
	o.local_ident = "sip device (test)";
	o.sub = v->o->sub;
	cr_assert_eq(fax_endpoint_new(&o, &v->fax), 0);
}

/* The dialling steps, by time since the answer. */
static void dial(struct dev *v)
{
	const char *ev = v->o->events != NULL ? v->o->events : "";

	if (v->ms >= EVENTS_AT_MS && ev[v->next_event] != '\0' &&
	    rtp_session_send_digit(v->rtp, ev[v->next_event], 100) == 0)
		v->next_event++;
	if (ev[v->next_event] == '\0' && v->events_done_ms == 0 && v->ms >= EVENTS_AT_MS)
		v->events_done_ms = v->ms;
	if (v->events_done_ms != 0 && v->tones_done_ms == 0 &&
	    v->ms == v->events_done_ms + TONES_AFTER_MS) {
		const char *tones = v->o->tones != NULL ? v->o->tones : "";
		cr_assert_eq(dtmf_tx_put(v->dtmf, tones, -1), 0);
		v->tones_done_ms = v->ms + 200 * (unsigned)strlen(tones);
	}
	if (v->fax == NULL && v->tones_done_ms != 0 && v->ms >= v->tones_done_ms + FAX_AFTER_MS)
		start_fax(v);
}

static void audio_out(struct dev *v, int16_t *out)
{
	int got = dtmf_tx(v->dtmf, out, FRAME);

	if (got > 0)
		memset(out + got, 0, (size_t)(FRAME - got) * sizeof *out);
	else if (v->fax != NULL)
		(void)fax_endpoint_tx_audio(v->fax, out, FRAME);
	else
		memset(out, 0, FRAME * sizeof *out);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct dev *v = arg;
	int16_t in[FRAME], out[FRAME];

	(void)fd, (void)what;
	if (!v->r->answered || v->hung)
		return;
	v->ms += 20;
	dial(v);
	if (v->r->ended)                  /* the line is gone: silence */
		memset(in, 0, sizeof in);
	else if (rtp_session_recv_audio(v->rtp, in, FRAME) != FRAME)
		memset(in, 0, sizeof in);
	if (v->fax != NULL)
		(void)fax_endpoint_rx_audio(v->fax, in, FRAME);
	audio_out(v, out);
	if (!v->r->ended)
		(void)rtp_session_send_audio(v->rtp, out, FRAME);
	take_result(v);
	if (v->r->fax_done) {
		v->hung = true;
		if (v->dlg != NULL)
			(void)sip_dialog_hangup(v->dlg);
		else
			(void)event_base_loopbreak(v->base);
	}
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct dev *v = arg;

	(void)fd, (void)what;
	(void)event_base_loopbreak(v->base);
}

static void receive(void *arg, struct sipmsg *m, const struct sip_source *src)
{
	struct dev *v = arg;

	sip_ua_receive(v->ua, m, src);
}

static void offer(struct dev *v, char *buf, size_t size, size_t *len)
{
	struct sdp_caps caps = {.pcmu = true, .te_pt = TE_PT, .session_id = 7,
				.session_version = 1, .ptime = 20};
	struct sdp_session s;

	cr_assert_eq(str_copy(caps.addr, sizeof caps.addr, "127.0.0.1"), 0);
	caps.audio_port = rtp_session_port(v->rtp);
	cr_assert_eq(sdp_offer(&caps, false, &s), 0);
	cr_assert_eq(sdp_build(&s, buf, size, len), 0);
}

static void call(struct dev *v)
{
	char uri[128], sdp[SDP_MAX_LEN];
	size_t len;
	struct sip_invite_params p = {.request_uri = uri, .dest = v->o->gateway,
				      .from_user = v->o->user, .auth_user = v->o->user,
				      .auth_password = v->o->password, .sdp = sdp};

	cr_assert_eq(str_format(uri, sizeof uri, "sip:%s@%s", v->o->dial_user, v->o->gateway), 0);
	offer(v, sdp, sizeof sdp, &len);
	p.sdp_len = len;
	cr_assert_eq(sip_ua_invite(v->ua, &p, v, &v->dlg), 0);
}

static void setup(struct dev *v)
{
	static const struct timeval every = {0, 20000};
	struct sip_ua_callbacks cb = {.on_answered = on_answered, .on_reinvite = on_reinvite,
				      .on_ended = on_ended};
	struct sip_ua_options uo = {.user = v->o->user};
	struct media_bind b = {.address = "127.0.0.1"};

	cr_assert_eq(media_port_range_parse(v->o->rtp_ports, &b.port_lo, &b.port_hi), 0);
	cr_assert_not_null(v->base = event_base_new());
	cr_assert_eq(sip_transport_new(v->base, "127.0.0.1:0", receive, v, &v->t), 0);
	cr_assert_eq(sip_ua_new(v->base, v->t, &uo, &cb, v, &v->ua), 0);
	cr_assert_eq(rtp_session_new(&b, &v->rtp), 0);
	cr_assert_not_null(v->dtmf = dtmf_tx_init(NULL));
	dtmf_tx_set_level(v->dtmf, -10, 0);
	dtmf_tx_set_timing(v->dtmf, 90, 110);
	v->tick = event_new(v->base, -1, EV_PERSIST, on_tick, v);
	cr_assert(v->tick != NULL && event_add(v->tick, &every) == 0);
}

void sip_device_run(const struct sip_device_opts *o, struct sip_device_result *r)
{
	struct dev v = {.o = o, .r = r};
	struct timeval limit = {o->timeout_s, 0};
	struct event *timeout;

	memset(r, 0, sizeof *r);
	setup(&v);
	timeout = evtimer_new(v.base, on_timeout, &v);
	cr_assert(timeout != NULL && evtimer_add(timeout, &limit) == 0);
	call(&v);
	(void)event_base_dispatch(v.base);
	event_free(timeout);
	event_free(v.tick);
	sip_ua_free(v.ua);            /* ends the dialog if it is still up */
	sip_transport_free(v.t);
	rtp_session_free(v.rtp);
	fax_endpoint_free(v.fax);
	(void)dtmf_tx_free(v.dtmf);
	event_base_free(v.base);
}
