/* The SIP call layer: module start, call life, the UA's callbacks and the
 * T.38 switch; see sip_calls.h. Calls that come in are in sip_calls_in.c,
 * jobs sent out in sip_calls_out.c, SDP and streams in sip_calls_media.c. */
#include "gateway/sip_calls.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/call.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/device_call.h"
#include "gateway/inbound_call.h"
#include "gateway/line.h"
#include "gateway/outbound_call.h"
#include "gateway/queue_runner.h"
#include "gateway/send_job.h"
#include "gateway/sip_calls_int.h"
#include "gateway/sip_relay.h"
#include "gateway/sip_service.h"
#include "gateway/udptl_session.h"

#define GRACE_MS 3000        /* after the peer's BYE, for the fax's own end */
#define TICK_MS 20

/* ---- call life ---------------------------------------------------------- */

struct sc_call *sc_new(struct sip_calls *m, enum sc_kind kind, struct sip_dialog *dlg)
{
	struct sc_call *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->m = m;
	c->kind = kind;
	c->dlg = dlg;
	c->cfg = daemon_config_hold(m->d);
	c->next = m->calls;
	m->calls = c;
	if (dlg != NULL)
		sip_dialog_set_arg(dlg, c);
	return c;
}

static void free_module(struct sip_calls *m)
{
	if (m->start != NULL)
		event_free(m->start);
	queue_runner_release(m->r);
	free(m);
}

void sc_free(struct sc_call *c)
{
	struct sip_calls *m = c->m;

	for (struct sc_call **p = &m->calls; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	if (c->dlg != NULL)
		sip_dialog_set_arg(c->dlg, NULL);
	if (c->tick != NULL)
		event_free(c->tick);
	if (c->grace != NULL)
		event_free(c->grace);
	if (!c->in_call)
		line_free(c->line);
	udptl_session_free(c->pending);
	inbound_call_free(c->ic);
	device_call_free(c->dc);
	send_job_free(c->sj[0]);
	send_job_free(c->sj[1]);
	daemon_config_release(m->d, c->cfg);
	free(c);
	if (m->stopping && m->calls == NULL)
		free_module(m);
}

void sc_settle(struct sc_call *c)
{
	if (c->ended && !c->in_call)
		sc_free(c);
}

void sc_hangup(struct sc_call *c, const char *why)
{
	if (c->dlg == NULL)
		return;
	log_info("sip: call %s: hanging up (%s)", c->label, why);
	if (sip_dialog_hangup(c->dlg) != 0)
		log_debug("sip: call %s: already ending", c->label);
}

/* ---- the fax call ------------------------------------------------------- */

static void on_fax_done(void *arg, const struct call_outcome *o)
{
	struct sc_call *c = arg;
	struct device_call_result res;

	if (o->late_frames > 0)
		log_warn("sip: call %s: %llu frame(s) processed late", c->label,
			 (unsigned long long)o->late_frames);
	switch (c->kind) {
	case SC_INBOUND:
		(void)inbound_call_finish(c->ic, &o->local, (int64_t)(o->samples / 8));
		break;
	case SC_DEVICE:
		device_call_finish(c->dc, &o->local, o->aborted || o->timed_out, -1, &res);
		log_info("sip: call %s: %s", c->label, res.text);
		break;
	case SC_OUTBOUND:
		c->reported = true;
		queue_runner_attempt_done(c->att, o, QUEUE_OK, NULL);
		c->att = NULL;
		break;
	}
	c->call = NULL;
	sc_hangup(c, "the fax is over");
}

/* The registry is done with the line: it is ours to free. */
static void on_fax_release(void *arg)
{
	struct sc_call *c = arg;

	c->in_call = false;
	line_free(c->line);
	c->line = NULL;
	sc_settle(c);
}

int sc_start_fax(struct sc_call *c, struct fax_endpoint *ep)
{
	struct call_params p = {
		.label = c->label, .local = ep, .local_line = c->line,
		.max_seconds = (unsigned)config_int(c->cfg, "daemon", "call_limit_seconds"),
		.done = on_fax_done, .done_arg = c,
		.release = on_fax_release, .release_arg = c,
	};
	int rc = call_start_get(daemon_calls(c->m->d), &p, &c->call);

	if (rc != 0) {
		fax_endpoint_free(ep);
		return rc;
	}
	c->in_call = true;
	return 0;
}

int sc_endpoint(struct sc_call *c, enum fax_transport transport, struct fax_endpoint **ep)
{
	struct send_job **sj = &c->sj[transport == FAX_T38];
	int rc;

	switch (c->kind) {
	case SC_INBOUND:
		return inbound_call_endpoint(c->ic, transport, sc_t38_out, c->line, ep);
	case SC_DEVICE:
		return device_call_endpoint(c->dc, transport, sc_t38_out, c->line, ep);
	default:
		/* The endpoint an earlier switch replaced is gone already. */
		send_job_free(*sj);
		*sj = NULL;
		rc = outbound_call_open(daemon_store(c->m->d), c->cfg, &c->job, transport,
					sc_t38_out, c->line, sj);
		if (rc == 0 && (*ep = send_job_take_endpoint(*sj)) == NULL)
			rc = FGW_ERR_STATE;
		return rc;
	}
}

/* The line was re-pointed: the fax goes on with an endpoint for it. */
static void switch_endpoint(struct sc_call *c, enum fax_transport to)
{
	struct fax_endpoint *ep = NULL;
	int rc;

	if (c->relay != NULL)             /* the relay follows its line itself */
		return;
	rc = c->call == NULL ? FGW_ERR_STATE : sc_endpoint(c, to, &ep);
	if (rc == 0 && (rc = call_switch_transport(c->call, ep)) != 0)
		fax_endpoint_free(ep);
	if (rc != 0) {
		log_error("sip: call %s: the fax cannot follow the switch to %s: %s", c->label,
			  to == FAX_T38 ? "T.38" : "G.711", fgw_strerror(rc));
		if (c->call != NULL)
			call_hang_up(c->call);
		return;
	}
	log_info("sip: call %s: the fax goes on in %s", c->label, to == FAX_T38 ? "T.38" : "G.711");
}

/* ---- T.38 by re-INVITE -------------------------------------------------- */

static void ask_t38(struct sc_call *c)
{
	char sdp[SDP_MAX_LEN];
	size_t len;
	int rc;

	if (c->pending != NULL)
		return;
	if ((rc = sc_media_t38_offer(c, sdp, sizeof sdp, &len)) != 0) {
		log_error("sip: call %s: no T.38 offer (%s); the fax goes on in G.711", c->label,
			  fgw_strerror(rc));
		c->switch_asked = true;
		return;
	}
	rc = sip_dialog_reinvite(c->dlg, sdp, len);
	if (rc == FGW_ERR_BUSY) {          /* the peer's re-INVITE first */
		udptl_session_free(c->pending);
		c->pending = NULL;
		return;
	}
	c->switch_asked = true;
	if (rc != 0) {
		udptl_session_free(c->pending);
		c->pending = NULL;
		log_warn("sip: call %s: the T.38 re-INVITE could not be sent: %s", c->label,
			 fgw_strerror(rc));
		return;
	}
	log_info("sip: call %s: asking the peer for T.38", c->label);
}

static void on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct sc_call *c = arg;

	(void)fd, (void)what;
	if (c->dlg == NULL || c->switch_asked || c->on_t38 || !c->in_call) {
		event_del(c->tick);
		return;
	}
	if (sip_dialog_confirmed(c->dlg))
		ask_t38(c);
}

void sc_want_t38(struct sc_call *c)
{
	static const struct timeval every = {0, TICK_MS * 1000};

	if (c->t38 == SC_T38_NO || c->on_t38 || c->switch_asked)
		return;
	if (c->tick != NULL)
		event_free(c->tick);
	c->tick = event_new(daemon_base(c->m->d), -1, EV_PERSIST, on_watch, c);
	if (c->tick == NULL || event_add(c->tick, &every) != 0)
		log_error("sip: call %s: cannot watch for the T.38 switch", c->label);
}

static void on_reinvite_result(void *arg, struct sip_dialog *d, int status,
			       const char *sdp, size_t len)
{
	struct sc_call *c = sip_dialog_arg(d);

	(void)arg;
	if (c == NULL || c->pending == NULL)
		return;
	if (status >= 200 && status < 300) {
		int rc = sc_media_t38_answered(c, sdp, len);
		if (rc == 0)
			switch_endpoint(c, FAX_T38);
		else
			log_warn("sip: call %s: the T.38 answer is unusable (%s); staying in G.711",
				 c->label, fgw_strerror(rc));
		return;
	}
	udptl_session_free(c->pending);
	c->pending = NULL;
	if (sdp_reinvite_failure(status) == SDP_REINVITE_END_CALL) {
		sc_hangup(c, "the dialog is gone");
		return;
	}
	log_info("sip: call %s: the peer refused T.38 (%d); the fax goes on in G.711", c->label,
		 status);
}

static void on_reinvite(void *arg, struct sip_dialog *d, const char *sdp, size_t len)
{
	struct sc_call *c = sip_dialog_arg(d);
	char ans[SDP_MAX_LEN];
	size_t alen;
	bool switched = false;
	enum fax_transport to = FAX_AUDIO;

	(void)arg;
	/* A relayed device stays in G.711: the relay converts. */
	if (c == NULL || !c->in_call || (c->relay != NULL && c->kind == SC_DEVICE) ||
	    sc_media_reoffer(c, sdp, len, ans, sizeof ans, &alen, &switched, &to) != 0) {
		if (c != NULL)
			log_info("sip: call %s: the peer's re-INVITE is refused (488)", c->label);
		(void)sip_dialog_reject_reinvite(d, 488);
		return;
	}
	if (sip_dialog_answer_reinvite(d, ans, alen) != 0)
		log_warn("sip: call %s: the answer to the re-INVITE could not be sent", c->label);
	c->switch_asked = true;       /* the peer chose; we do not ask again */
	if (switched)
		switch_endpoint(c, to);
}

/* ---- the UA's other callbacks ------------------------------------------ */

static void on_answered(void *arg, struct sip_dialog *d, const char *sdp, size_t len)
{
	struct sc_call *c = sip_dialog_arg(d);

	(void)arg;
	if (c != NULL && c->relay_leg) {
		if (c->relay != NULL)
			sip_relay_answered(c, sdp, len);
		else
			sc_hangup(c, "the relay is over");
	} else if (c != NULL && c->kind == SC_OUTBOUND) {
		sc_out_answered(c, sdp, len);
	}
}

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
	struct sc_call *c = arg;

	(void)fd, (void)what;
	if (c->call != NULL) {
		log_info("sip: call %s: the fax did not end after the peer hung up", c->label);
		call_hang_up(c->call);
	}
}

/* The peer hung up mid-fax: the fax usually ended already at its side, so
 * ours gets a moment to take in the last frames before it is cut. */
static void cut_later(struct sc_call *c)
{
	struct timeval t = {GRACE_MS / 1000, (GRACE_MS % 1000) * 1000};

	c->grace = evtimer_new(daemon_base(c->m->d), on_grace, c);
	if (c->grace == NULL || evtimer_add(c->grace, &t) != 0)
		call_hang_up(c->call);
}

static void on_ended(void *arg, struct sip_dialog *d, int status, const char *reason)
{
	struct sc_call *c = sip_dialog_arg(d);

	(void)arg;
	if (c == NULL)
		return;
	c->dlg = NULL;
	c->ended = true;
	if (status != 0)
		log_info("sip: call %s: dialog ended (%s, SIP %d)", c->label, reason, status);
	else
		log_info("sip: call %s: dialog ended (%s)", c->label, reason);
	if (c->relay != NULL)
		sip_relay_leg_ended(c, status, reason);
	if (c->call != NULL)
		cut_later(c);
	else if (c->kind == SC_OUTBOUND && !c->reported && !c->in_call)
		sc_out_ended(c, status, reason);
	sc_settle(c);
}

static const struct sip_ua_callbacks callbacks = {
	.on_invite = sc_on_invite,
	.on_answered = on_answered,
	.on_reinvite = on_reinvite,
	.on_reinvite_result = on_reinvite_result,
	.on_ended = on_ended,
};

/* ---- the module --------------------------------------------------------- */

static void on_start(evutil_socket_t fd, short what, void *arg)
{
	struct sip_calls *m = arg;

	(void)fd, (void)what;
	if (m->stopping)
		return;
	if ((m->svc = daemon_sip(m->d)) == NULL) {
		log_error("sip: [lines] names a SIP line but the SIP service is not running; "
			  "SIP lines take no calls (see the log above for [sip])");
		return;
	}
	sip_service_set_calls(m->svc, &callbacks, m);
	queue_runner_set_line_ops(m->r, &sc_line_ops, m);
	log_info("sip: fax calls served on the SIP line(s)");
}

/* Calls still dialling end now; calls with a fax end with the registry. */
static void on_shutdown(void *arg)
{
	struct sip_calls *m = arg;

	m->stopping = true;
	queue_runner_set_line_ops(m->r, NULL, NULL);
	for (struct sc_call *c = m->calls; c != NULL; c = c->next) {
		if (c->relay != NULL)
			sip_relay_stop(c->relay);
		if (!c->in_call)
			sc_hangup(c, "the gateway is stopping");
	}
	if (m->calls == NULL)
		free_module(m);
}

int sip_calls_init(struct daemon *d, struct queue_runner *r)
{
	static const struct timeval now = {0, 0};
	const struct config *cfg = daemon_config(d);
	struct sip_calls *m;
	int rc;

	if (strcmp(config_str(cfg, "lines", "trunk_kind"), "sip") != 0 &&
	    strcmp(config_str(cfg, "lines", "device_kind"), "sip") != 0)
		return 0;
	if ((m = calloc(1, sizeof *m)) == NULL)
		return FGW_ERR_NOMEM;
	m->d = d;
	m->r = r;
	queue_runner_hold(r);
	m->start = event_new(daemon_base(d), -1, 0, on_start, m);
	if (m->start == NULL || event_add(m->start, &now) != 0) {
		free_module(m);
		return FGW_ERR_NOMEM;
	}
	if ((rc = daemon_on_shutdown(d, on_shutdown, m)) != 0)
		free_module(m);
	return rc;
}
