/* SIP calls that come in: from the trunk to the inbound pipeline, from an
 * office device through the double entry to the queue. */
#include <event2/event.h>
#include <osipparser2/osip_message.h>
#include <stdio.h>
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
#include "gateway/line_sip.h"
#include "gateway/sip_calls_int.h"
#include "gateway/sip_relay.h"
#include "gateway/sip_ua.h"
#include "gateway/sipmsg.h"

#define TICK_MS 20
#define FRAME 160
#define DIAL_MAX_MS 60000        /* the double entry ends well before */

/* The caller's number: the From URI's user part ("" when none). */
static void caller(const struct sipmsg *req, char *out, size_t size)
{
	/* osip's accessors take a non-const message; nothing is changed. */
	osip_message_t *m = sipmsg_osip((struct sipmsg *)req);
	const char *user = NULL;

	if (m != NULL && m->from != NULL && m->from->url != NULL)
		user = m->from->url->username;
	if (user == NULL || str_copy(out, size, user) != 0 ||
	    strspn(out, "0123456789+*#-") != strlen(out))
		out[0] = '\0';
}

static bool line_is_sip(const struct config *cfg, bool device)
{
	return strcmp(config_str(cfg, "lines", device ? "device_kind" : "trunk_kind"), "sip") == 0;
}

/* ---- from the trunk ----------------------------------------------------- */

static int start_inbound(struct sc_call *c, const char *from)
{
	struct fax_endpoint *ep = NULL;
	int rc = inbound_call_new(c->m->d, c->cfg, from, c->label, &c->ic);

	if (rc == 0)
		rc = sc_endpoint(c, c->on_t38 ? FAX_T38 : FAX_AUDIO, &ep);
	if (rc == 0)
		rc = sc_start_fax(c, ep);
	return rc;
}

/* ---- from an office device: the dialling phase --------------------------- */

static void on_digit(void *arg, char digit, uint8_t event)
{
	struct sc_call *c = arg;
	char d[2] = {digit, '\0'};

	(void)event;
	if (digit != '\0' && c->dc != NULL && device_call_dial(c->dc, d) != 0)
		log_info("sip: call %s: digit %c dropped", c->label, digit);
}

static void dial_accepted(struct sc_call *c)
{
	struct fax_endpoint *ep = NULL;
	int rc;

	/* The double entry is over; digits from now on are nobody's, and the
	 * fax phase's frames may run on a DSP thread, away from device_call. */
	if (line_sip_rtp(c->line) != NULL)
		rtp_session_on_event(line_sip_rtp(c->line), NULL, NULL);
	if (sip_relay_wanted(c->cfg)) {
		(void)sip_relay_start(c);
		return;
	}
	rc = sc_endpoint(c, FAX_AUDIO, &ep);
	if (rc == 0)
		rc = sc_start_fax(c, ep);
	if (rc != 0) {
		log_error("sip: call %s: the fax phase cannot start: %s", c->label, fgw_strerror(rc));
		sc_hangup(c, "the fax phase cannot start");
		return;
	}
	log_info("sip: call %s: number %s accepted; receiving the document", c->label,
		 device_call_number(c->dc));
	sc_want_t38(c);
}

static void dial_ended(struct sc_call *c, enum doubleentry_state st)
{
	char text[300];

	event_del(c->tick);
	if (st == DE_ACCEPTED) {
		dial_accepted(c);
		return;
	}
	if (st == DE_REFUSED)
		(void)device_call_refused(c->dc, text, sizeof text);
	sc_hangup(c, st == DE_REFUSED ? "number refused" : "the double entry did not end");
}

/* One 20 ms frame of the double entry over the line. */
static void on_dial_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sc_call *c = arg;
	int16_t in[FRAME], out[FRAME];
	size_t n = line_recv_audio(c->line, in, FRAME);
	enum doubleentry_state st;

	(void)fd, (void)what;
	if (n < FRAME)
		memset(in + n, 0, (FRAME - n) * sizeof *in);
	st = device_call_process(c->dc, in, out, FRAME);
	if (line_send_audio(c->line, out, FRAME) != 0)
		log_debug("sip: call %s: a dial-phase frame was not sent", c->label);
	c->dial_ms += TICK_MS;
	if (st == DE_ACCEPTED || st == DE_REFUSED || c->dial_ms >= DIAL_MAX_MS)
		dial_ended(c, st);
}

/* The Request-URI's user is the number unless it is the extension that
 * asks for both entries by DTMF. */
static int dialed_digits(struct sc_call *c)
{
	const char *user = sip_dialog_dialed(c->dlg);
	const char *ext = config_str(c->cfg, "sip", "device_extension");
	int rc;

	if (user[0] == '\0' || strcmp(user, ext) == 0)
		return 0;
	if ((rc = device_call_dial(c->dc, user)) != 0 || (rc = device_call_dial(c->dc, "#")) != 0)
		log_info("sip: call %s: the dialled number %s is refused: %s", c->label, user,
			 fgw_strerror(rc));
	return rc;
}

static int start_device(struct sc_call *c, const char *device)
{
	static const struct timeval every = {0, TICK_MS * 1000};
	int rc = device_call_new(c->m->d, c->m->r, c->cfg, device, "sip", &c->dc);

	if (rc != 0 || (rc = dialed_digits(c)) != 0)
		return rc;
	if (line_sip_rtp(c->line) != NULL)
		rtp_session_on_event(line_sip_rtp(c->line), on_digit, c);
	c->tick = event_new(daemon_base(c->m->d), -1, EV_PERSIST, on_dial_tick, c);
	if (c->tick == NULL || event_add(c->tick, &every) != 0)
		return FGW_ERR_NOMEM;
	return 0;
}

/* ---- the INVITE --------------------------------------------------------- */

static int status_for(int rc)
{
	switch (rc) {
	case FGW_ERR_UNSUPPORTED: return 488;
	case FGW_ERR_INVALID: return 484;      /* a dialled number we cannot use */
	case FGW_ERR_BUSY: return 486;
	default: return 500;
	}
}

static int answer(struct sc_call *c, bool device, const char *from)
{
	char sdp[SDP_MAX_LEN];
	size_t len = 0, blen = 0;
	const char *body = sip_dialog_remote_sdp(c->dlg, &blen);
	int rc = sc_media_init(c, sc_t38_policy(c->cfg, device));

	/* A device dials in audio first: the double entry needs its tones. */
	if (rc == 0)
		rc = sc_media_answer(c, body, blen, device, sdp, sizeof sdp, &len);
	if (rc == 0)
		rc = device ? start_device(c, sip_dialog_peer(c->dlg)) : start_inbound(c, from);
	if (rc == 0 && (rc = sip_dialog_answer(c->dlg, sdp, len)) == 0 && !device)
		sc_want_t38(c);
	return rc;
}

void sc_on_invite(void *arg, struct sip_dialog *d, const struct sipmsg *req,
		  const struct sip_source *src)
{
	struct sip_calls *m = arg;
	const char *peer = sip_dialog_peer(d);
	bool device = strcmp(peer, "trunk") != 0;
	char from[64];
	struct sc_call *c;
	int rc;

	(void)src;
	if (m->stopping || strcmp(peer, "anonymous") == 0 ||
	    !line_is_sip(daemon_config(m->d), device)) {
		log_info("sip: an INVITE from %s is refused (403): no SIP line takes it", peer);
		(void)sip_dialog_reject(d, 403);
		return;
	}
	if ((c = sc_new(m, device ? SC_DEVICE : SC_INBOUND, d)) == NULL) {
		(void)sip_dialog_reject(d, 500);
		return;
	}
	caller(req, from, sizeof from);
	(void)str_format(c->label, sizeof c->label, "%s/sip %s", device ? "device" : "trunk",
			 device ? peer : from[0] != '\0' ? from : "(no caller id)");
	if ((rc = answer(c, device, from)) != 0) {
		log_info("sip: call %s: refused: %s", c->label, fgw_strerror(rc));
		(void)sip_dialog_reject(d, status_for(rc));
		if (c->in_call && c->call != NULL)
			call_hang_up(c->call);
		return;
	}
	log_info("sip: call %s: answered%s", c->label, c->on_t38 ? " in T.38" : "");
}
