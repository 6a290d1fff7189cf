/* Relay mode: an office device's call joined to a new trunk call, with
 * G.711 <-> T.38 conversion when the legs differ; see sip_relay.h. */
#include "gateway/sip_relay.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "dsp/t38gw.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/device_call.h"
#include "gateway/devpolicy.h"
#include "gateway/dialrules.h"
#include "gateway/line.h"
#include "gateway/line_sip.h"
#include "gateway/sip_calls_int.h"
#include "storage/audit.h"
#include "storage/catalog_jobs.h"
#include "storage/store.h"

#define FRAME 160                /* 20 ms of 8 kHz audio */
#define TICK_NS 20000000LL
#define CATCH_UP_MAX 25          /* frames one late tick may process */
#define IFP_PER_FRAME 64         /* bound on the datagrams taken per frame */
/* Both legs G.711: the audio passes as it is and no T.30 frame is decoded,
 * so neither the pages nor the outcome are known. */
#define PASSED_THROUGH "relayed in G.711 as it is (pages and outcome not observed)"

struct sip_relay {
	struct sc_call *dev, *trunk;
	struct event *tick;
	struct t38gw *gw;            /* while the trunk leg is T.38 */
	int64_t epoch_ns;            /* monotonic time of frame 0 */
	uint64_t frames;
	uint16_t ifp_seq;
	bool answered, converted;
	char number[DIALRULES_MAX_DIGITS + 2];
	char device[CATALOG_NAME_MAX + 1];
	char tsi[T38GW_IDENT_MAX + 1], sub[T38GW_IDENT_MAX + 1], csi[T38GW_IDENT_MAX + 1];
	int pages, bit_rate;         /* as the gateway counts them */
	bool page_sent;              /* a post-page command awaits its MCF */
	bool dcn;                    /* the sender ended the fax (phase E) */
	char failure[96];            /* why the call failed before any fax */
};

static int call_trunk(struct sip_relay *r, bool audio_only);

bool sip_relay_wanted(const struct config *cfg)
{
	return config_bool(cfg, "sip", "device_relay");
}

/* ---- the record and the end ---------------------------------------------- */

static const char *result_text(const struct sip_relay *r, char *buf, size_t size)
{
	if (r->failure[0] != '\0')
		return r->failure;
	if (!r->converted)
		return PASSED_THROUGH;
	if (r->pages > 0 && r->dcn && !r->page_sent)
		return "ok";
	(void)str_format(buf, size, "relay cut after %d page(s)%s", r->pages,
			 r->answered ? "" : " (the trunk never answered)");
	return buf;
}

static void audit_relay(struct sip_relay *r, int64_t duration_ms)
{
	char why[96];
	const char *result = result_text(r, why, sizeof why);
	const struct audit_field f[] = {
		AUDIT_F_STR("direction", "out"),
		AUDIT_F_STR("mode", "relay"),
		AUDIT_F_STR("device", r->device),
		AUDIT_F_STR("remote_number", r->number),
		AUDIT_F_STR("remote_ident", r->csi),
		AUDIT_F_STR("tsi", r->tsi),
		AUDIT_F_STR("sub", r->sub),
		AUDIT_F_STR("transport", r->converted ? "g711-t38" : "g711"),
		AUDIT_F_INT("pages", r->pages),
		AUDIT_F_INT("duration_ms", duration_ms),
		AUDIT_F_INT("bit_rate", r->bit_rate),
		AUDIT_F_STR("result", result),
	};
	struct audit *a = store_audit(daemon_store(r->dev->m->d));
	enum audit_event ev = strcmp(result, "ok") == 0 || strcmp(result, PASSED_THROUGH) == 0 ?
			      AUDIT_FAX_SENT : AUDIT_FAX_FAILED;
	int rc = audit_append(a, ev, f, sizeof f / sizeof f[0], NULL);

	if (rc == 0)
		rc = audit_sync(a, NULL);
	if (rc != 0)
		log_error("sip: relay %s: the audit record could not be written: %s",
			  r->dev->label, fgw_strerror(rc));
	log_info("sip: relay %s to %s: %s (%d page(s), TSI \"%s\", SUB \"%s\", CSI \"%s\")",
		 r->device, r->number, result, r->pages, r->tsi, r->sub, r->csi);
}

/* Detaches both legs (free to settle), frees r, then (hang_up) hangs up
 * the legs still there: a hang-up may end a dialog at once, so nothing of
 * r is used after. */
static void relay_end(struct sip_relay *r, const char *why, bool hang_up)
{
	struct sc_call *legs[2] = {r->dev, r->trunk};
	char text[96];

	(void)str_copy(text, sizeof text, why);
	if (r->tick != NULL)
		event_free(r->tick);
	audit_relay(r, (int64_t)(r->frames * 20));
	t38gw_free(r->gw);
	for (int i = 0; i < 2; i++)
		if (legs[i] != NULL) {
			legs[i]->relay = NULL;
			legs[i]->in_call = false;
		}
	free(r);
	for (int i = 0; i < 2 && hang_up; i++)
		if (legs[i] != NULL)
			sc_hangup(legs[i], text);
}

void sip_relay_stop(struct sip_relay *r)
{
	if (r->failure[0] == '\0' && !(r->pages > 0 && r->dcn))
		(void)str_copy(r->failure, sizeof r->failure, "cut: the gateway is stopping");
	relay_end(r, "the gateway is stopping", false);
}

void sip_relay_leg_ended(struct sc_call *leg, int status, const char *reason)
{
	struct sip_relay *r = leg->relay;

	if (r == NULL)
		return;
	/* A trunk that takes no T.38 refuses the offer: call again in G.711
	 * (T.38 may still come by re-INVITE), as queued jobs do. */
	if (leg == r->trunk && !r->answered && status == 488 && leg->on_t38) {
		leg->relay = NULL;
		r->trunk = NULL;
		log_info("sip: relay %s: T.38 refused (488); calling again in G.711", r->dev->label);
		if (call_trunk(r, true) == 0)
			return;
		(void)str_copy(r->failure, sizeof r->failure,
			       "the trunk refused T.38 (488) and no G.711 call could be placed");
	}
	if (leg == r->trunk && !r->answered && r->failure[0] == '\0')
		(void)str_format(r->failure, sizeof r->failure, "the trunk call failed (SIP %d, %s)",
				 status, reason);
	relay_end(r, leg == r->dev ? "the device hung up" : "the trunk hung up", true);
}

/* ---- T.30 frames in transit --------------------------------------------- */

static void keep_ident(char *dst, const struct t38gw_frame *f)
{
	(void)str_copy(dst, T38GW_IDENT_MAX + 1, f->ident);
}

static void on_frame(void *arg, const struct t38gw_frame *f)
{
	struct sip_relay *r = arg;
	const char *t = f->type;

	log_info("sip: relay %s: %s %s%s%s%s", r->dev->label,
		 f->dir == T38GW_FROM_AUDIO ? "device ->" : "trunk ->", t,
		 f->has_ident ? " \"" : "", f->has_ident ? f->ident : "", f->has_ident ? "\"" : "");
	if (strcmp(t, "TSI") == 0)
		keep_ident(r->tsi, f);
	else if (strcmp(t, "SUB") == 0)
		keep_ident(r->sub, f);
	else if (strcmp(t, "CSI") == 0)
		keep_ident(r->csi, f);
	else if (strcmp(t, "DCN") == 0)
		r->dcn = true;
	else if (f->dir == T38GW_FROM_AUDIO &&
		 (strcmp(t, "MPS") == 0 || strcmp(t, "EOP") == 0 || strcmp(t, "EOM") == 0 ||
		  strcmp(t, "PPS") == 0))
		r->page_sent = true;
	else if (f->dir == T38GW_FROM_T38 && strcmp(t, "MCF") == 0)
		r->page_sent = false;   /* confirmed (RTN/PIN leave it open) */
}

static int ifp_out(void *arg, const uint8_t *ifp, size_t len, int count)
{
	struct sip_relay *r = arg;

	return line_send_t38(r->trunk->line, ifp, len, r->ifp_seq++, count) == 0 ? 0 : -1;
}

static int make_gateway(struct sip_relay *r)
{
	struct t38gw_config c = {
		.ecm = config_bool(r->dev->cfg, "fax", "ecm"),
		.transmit_on_idle = true,
		.local_tcf = false,           /* as our SDP offers (transferredTCF) */
		.t38_version = 0,
	};

	if ((r->gw = t38gw_new(&c, ifp_out, on_frame, r)) == NULL)
		return FGW_ERR_NOMEM;
	r->converted = true;
	log_info("sip: relay %s: converting G.711 <-> T.38", r->dev->label);
	return 0;
}

/* ---- one 20 ms frame ----------------------------------------------------- */

static void frame_t38(struct sip_relay *r, const int16_t *in, size_t n, int16_t *out)
{
	uint8_t buf[LINE_T38_MAX_IFP];
	size_t len;
	uint16_t seq;
	int got;

	for (int i = 0; i < IFP_PER_FRAME &&
	     (got = line_recv_t38(r->trunk->line, buf, sizeof buf, &len, &seq)) != 0; i++)
		if (got == 1 && t38gw_rx_ifp(r->gw, buf, len, seq) != 0)
			log_debug("sip: relay %s: IFP %u refused", r->dev->label, seq);
	t38gw_rx_audio(r->gw, in, n);
	if (n < FRAME)
		t38gw_rx_audio_missing(r->gw, FRAME - n);
	(void)t38gw_tx_audio(r->gw, out, FRAME);
}

static void one_frame(struct sip_relay *r)
{
	int16_t in[FRAME], out[FRAME];
	size_t n = line_recv_audio(r->dev->line, in, FRAME);
	bool t38 = r->answered && line_sip_transport(r->trunk->line) == FAX_T38;

	memset(out, 0, sizeof out);
	if (n < FRAME)
		memset(in + n, 0, (FRAME - n) * sizeof *in);
	if (t38 && r->gw == NULL && make_gateway(r) != 0) {
		log_error("sip: relay %s: no T.38 gateway (out of memory)", r->dev->label);
		t38 = false;
	}
	if (!t38 && r->gw != NULL) {         /* the trunk fell back to G.711 */
		t38gw_free(r->gw);
		r->gw = NULL;
	}
	if (t38) {
		frame_t38(r, in, n, out);
	} else if (r->answered) {
		if (line_send_audio(r->trunk->line, in, FRAME) != 0)
			log_debug("sip: relay %s: a frame to the trunk was not sent", r->dev->label);
		(void)line_recv_audio(r->trunk->line, out, FRAME);
	}
	if (line_send_audio(r->dev->line, out, FRAME) != 0)
		log_debug("sip: relay %s: a frame to the device was not sent", r->dev->label);
	if (r->gw != NULL) {
		struct t38gw_stats st;
		t38gw_get_stats(r->gw, &st);
		if (st.bit_rate > 0)
			r->bit_rate = st.bit_rate;
		r->pages = st.pages;
	}
	r->frames++;
}

/* The frames due by the monotonic clock (a late tick catches up). */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sip_relay *r = arg;
	int64_t due = (clock_mono_ns() - r->epoch_ns) / TICK_NS + 1;

	(void)fd, (void)what;
	for (int i = 0; i < CATCH_UP_MAX && (int64_t)r->frames < due; i++)
		one_frame(r);
	if ((int64_t)r->frames < due)            /* too far behind: drop the rest */
		r->frames = (uint64_t)due;
}

/* ---- start --------------------------------------------------------------- */

/* The dial rules for the device, as the queue would apply them; a refusal
 * is audited. Returns 0 with the number to dial, or FGW_ERR_DENIED. */
static int dial_check(struct sc_call *dev, const char *number, char *out, size_t size)
{
	struct devpolicy dflt, p;
	struct dialrules_decision d;
	char msg[200];
	const char *device = device_call_device(dev->dc);
	int rc = devpolicy_load_defaults(dev->cfg, &dflt, msg, sizeof msg);

	if (rc == 0)
		rc = devpolicy_for_device(store_catalog(daemon_store(dev->m->d)), &dflt, device, &p,
					  msg, sizeof msg);
	if (rc != 0) {
		log_error("sip: relay: %s", msg);
		return rc;
	}
	if (dialrules_check(&p.dial, DIAL_FROM_DEVICE, number, &d) != 0 || !d.allowed) {
		const struct audit_field f[] = {
			AUDIT_F_STR("destination", number), AUDIT_F_STR("rule", d.rule),
			AUDIT_F_STR("reason", d.reason),
			AUDIT_F_STR("origin", dialrules_origin_name(DIAL_FROM_DEVICE)),
			AUDIT_F_STR("device", device), AUDIT_F_STR("mode", "relay"),
		};
		struct audit *a = store_audit(daemon_store(dev->m->d));
		if (audit_append_durable(a, AUDIT_DIAL_DENIED, f, sizeof f / sizeof f[0], NULL) != 0)
			log_error("sip: relay: the dial_denied record could not be written");
		log_info("sip: relay %s: %s refused by the dial rules: %s", dev->label, number,
			 d.reason);
		return FGW_ERR_DENIED;
	}
	return str_copy(out, size, d.number.normal);
}

static int start_tick(struct sip_relay *r)
{
	static const struct timeval every = {0, TICK_NS / 1000};

	r->epoch_ns = clock_mono_ns();
	r->tick = event_new(daemon_base(r->dev->m->d), -1, EV_PERSIST, on_tick, r);
	if (r->tick == NULL || event_add(r->tick, &every) != 0)
		return FGW_ERR_NOMEM;
	return 0;
}

/* The trunk leg: an outbound call of no job (its end reports to nobody).
 * audio_only: the G.711 call after a 488 to our T.38 offer. */
static int call_trunk(struct sip_relay *r, bool audio_only)
{
	struct sc_call *t;
	int rc;

	if (r->dev->m->stopping)
		return FGW_ERR_STATE;
	if ((t = sc_new(r->dev->m, SC_OUTBOUND, NULL)) == NULL)
		return FGW_ERR_NOMEM;
	t->relay = r;
	t->relay_leg = true;
	t->reported = true;
	(void)str_copy(t->job.line, sizeof t->job.line, CATALOG_LINE_TRUNK);
	(void)str_copy(t->job.job.destination, sizeof t->job.job.destination, r->number);
	(void)str_format(t->label, sizeof t->label, "relay/sip %s -> %s", r->device, r->number);
	if ((rc = sc_out_place_relay(t, audio_only)) != 0) {
		t->dlg = NULL;
		t->relay = NULL;
		sc_free(t);
		return rc;
	}
	r->trunk = t;
	log_info("sip: relay %s: calling %s on the trunk%s", r->dev->label, r->number,
		 t->on_t38 ? " (T.38 offered)" : "");
	return 0;
}

int sip_relay_start(struct sc_call *dev)
{
	struct sip_relay *r = calloc(1, sizeof *r);
	int rc = r == NULL ? FGW_ERR_NOMEM : 0;

	if (rc == 0)
		rc = dial_check(dev, device_call_number(dev->dc), r->number, sizeof r->number);
	if (rc == 0)
		rc = str_copy(r->device, sizeof r->device, device_call_device(dev->dc));
	if (rc != 0) {
		free(r);
		sc_hangup(dev, rc == FGW_ERR_DENIED ? "refused by the dial rules" :
			  "the relay cannot start");
		return rc;
	}
	r->dev = dev;
	dev->relay = r;
	dev->in_call = true;             /* the relay uses its line */
	if ((rc = call_trunk(r, false)) != 0 || (rc = start_tick(r)) != 0) {
		(void)str_format(r->failure, sizeof r->failure, "the trunk call cannot be placed: %s",
				 fgw_strerror(rc));
		relay_end(r, "the relay cannot start", true);
		return rc;
	}
	return 0;
}

void sip_relay_answered(struct sc_call *leg, const char *sdp, size_t len)
{
	struct sip_relay *r = leg->relay;
	int rc;

	if (leg->tick != NULL)
		event_del(leg->tick);
	if ((rc = sc_media_answered(leg, sdp, len)) != 0) {
		(void)str_format(r->failure, sizeof r->failure,
				 "the trunk's answer has no usable media: %s", fgw_strerror(rc));
		relay_end(r, r->failure, true);
		return;
	}
	leg->in_call = true;             /* the relay uses its line */
	r->answered = true;
	log_info("sip: relay %s: the trunk answered%s", r->dev->label,
		 leg->on_t38 ? " in T.38" : " in G.711");
}
