/* Dialogs, inbound side: a new INVITE, its answer, in-dialog requests
 * (BYE, re-INVITE, UPDATE) and the answer to the peer's re-INVITE. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/sip_ua_int.h"
#include "gateway/sipmsg.h"

/* UAS side: the interval from the request, ours when it names none; the
 * peer refreshes when it supports timers, else we do (RFC 4028 9). */
void dlg_session_from_request(struct sip_dialog *d, const struct sipmsg *req)
{
	char who[8];
	unsigned se = sipb_session_expires(req, who, sizeof who);
	bool supported = sipb_header_has(req, "supported", "k", "timer");

	if (se == 0)
		se = d->ua->se_s;
	d->se_s = se;
	if (who[0] == '\0')
		d->we_refresh = !supported;
	else
		d->we_refresh = strcmp(who, "uas") == 0;
}

/* 422 when the asked interval is below our Min-SE. */
static bool session_too_short(struct sip_ua *ua, struct txn *x, const struct sipmsg *req)
{
	char who[8], hdr[64] = "", v[16];
	unsigned se = sipb_session_expires(req, who, sizeof who);

	if (se == 0 || se >= ua->min_se_s)
		return false;
	if (str_format(v, sizeof v, "%u", ua->min_se_s) == FGW_OK &&
	    sipb_add(hdr, sizeof hdr, "Min-SE", v) == FGW_OK)
		(void)txn_respond(x, 422, NULL, NULL, hdr, NULL, 0);
	return true;
}

static bool authorized(struct sip_ua *ua, struct txn *x, const struct sipmsg *req,
		       const struct sip_source *src, char *who, size_t who_size)
{
	char *resp;
	size_t len = 0;
	int rc;

	if (ua->cb.authorize == NULL)
		return str_copy(who, who_size, "anonymous") == FGW_OK;
	if ((resp = malloc(SIP_UA_RESP_MAX)) == NULL)
		return false;
	rc = ua->cb.authorize(ua->arg, req, src, who, who_size, resp, SIP_UA_RESP_MAX, &len);
	if (rc != FGW_OK && (len == 0 || ua_send_app_response(x, resp, len) != FGW_OK))
		(void)txn_respond(x, 403, NULL, NULL, NULL, NULL, 0);
	free(resp);
	return rc == FGW_OK;
}

static int inbound_fields(struct sip_dialog *d, const struct sipmsg *req,
			  const struct sip_source *src)
{
	const char *tag = sipmsg_from_tag(req), *user = sipmsg_request_user(req);
	char *body = NULL;
	size_t blen = 0;
	if (tag == NULL || str_copy(d->remote_tag, sizeof d->remote_tag, tag) != FGW_OK ||
	    sipmsg_call_id(req, d->call_id, sizeof d->call_id) != FGW_OK ||
	    sipb_from_uri(req, d->remote_uri, sizeof d->remote_uri) != FGW_OK ||
	    sipb_to_uri(req, d->local_uri, sizeof d->local_uri) != FGW_OK ||
	    sipmsg_contact_uri(req, d->remote_target, sizeof d->remote_target) != FGW_OK ||
	    sipb_record_routes(req, false, d->routes, sizeof d->routes) != FGW_OK ||
	    sipmsg_cseq(req, &d->remote_cseq, NULL) != FGW_OK)
		return FGW_ERR_PARSE;
	d->invite_cseq = d->remote_cseq;
	(void)str_copy(d->dialed, sizeof d->dialed, user ? user : "");
	d->proto = src->transport;
	d->peer_src = *src;
	d->have_peer_src = true;
	/* requests of ours go back where the INVITE came from (symmetric, as
	 * RFC 3581 peers expect), not to a Contact that may sit behind NAT */
	(void)str_copy(d->dest, sizeof d->dest, src->addr);
	if (sipb_body_copy(req, &body, &blen) != FGW_OK)
		return FGW_ERR_NOMEM;
	int rc = body ? dlg_set_sdp(&d->remote_sdp, &d->remote_sdp_len, body, blen) : FGW_OK;
	free(body);
	return rc;
}

void dlg_on_invite(struct sip_ua *ua, struct txn *x, const struct sipmsg *req,
		   const struct sip_source *src)
{
	char who[SIP_UA_NAME_MAX], contact[UA_URI_MAX];
	struct sip_dialog *d;

	if (sipmsg_contact_uri(req, contact, sizeof contact) != FGW_OK || sipmsg_from_tag(req) == NULL) {
		(void)txn_respond(x, 400, NULL, NULL, NULL, NULL, 0);
		return;
	}
	if (session_too_short(ua, x, req))
		return;
	if (ua->cb.on_invite == NULL) {
		(void)txn_respond(x, 503, NULL, NULL, NULL, NULL, 0);
		return;
	}
	if (ua->ndialogs >= ua->max_calls) {
		(void)txn_respond(x, 486, NULL, NULL, NULL, NULL, 0);
		return;
	}
	if (!authorized(ua, x, req, src, who, sizeof who))
		return;
	if ((d = dlg_new(ua, false)) == NULL || inbound_fields(d, req, src) != FGW_OK) {
		(void)txn_respond(x, d ? 400 : 500, NULL, NULL, NULL, NULL, 0);
		if (d != NULL)
			dlg_end(d, 400, "bad request");
		return;
	}
	(void)str_copy(d->peer, sizeof d->peer, who);
	d->inv = x;
	x->dlg = d;
	dlg_session_from_request(d, req);
	(void)txn_respond(x, 100, NULL, NULL, NULL, NULL, 0);
	ua_timer_ms(d->answer_timer, (int64_t)ua->answer_s * 1000);
	ua->cb.on_invite(ua->arg, d, req, src);
}

void dlg_on_cancel(struct sip_dialog *d, struct txn *inv)
{
	if (d->reinv_in == inv) {
		/* a cancelled re-INVITE: 487, and the session stays as it was */
		d->reinv_in = NULL;
		inv->dlg = NULL;
		(void)txn_respond(inv, 487, NULL, NULL, NULL, NULL, 0);
		return;
	}
	if (d->state != DS_EARLY_IN)
		return;
	if (d->inv != NULL)
		(void)txn_respond(d->inv, 487, d->local_tag, NULL, NULL, NULL, 0);
	dlg_end(d, 487, "cancelled");
}

/* ---- the application's answer ------------------------------------------------ */

int sip_dialog_progress(struct sip_dialog *d, int status, const char *sdp, size_t len)
{
	char contact[UA_URI_MAX], hdr[UA_ROUTE_MAX + 32] = "";

	if (d->state != DS_EARLY_IN || d->inv == NULL)
		return FGW_ERR_STATE;
	if (status != 180 && status != 183)
		return FGW_ERR_INVALID;
	if (sip_ua_contact(d->ua, d->proto, contact, sizeof contact) != FGW_OK ||
	    (d->routes[0] && sipb_add(hdr, sizeof hdr, "Record-Route", d->routes) != FGW_OK))
		return FGW_ERR_TOO_LARGE;
	return txn_respond(d->inv, status, d->local_tag, contact, hdr,
			   status == 183 ? sdp : NULL, status == 183 ? len : 0);
}

int sip_dialog_answer(struct sip_dialog *d, const char *sdp, size_t len)
{
	struct txn *x = d->inv;
	int rc;

	if (d->state != DS_EARLY_IN || x == NULL)
		return FGW_ERR_STATE;
	if ((rc = dlg_set_sdp(&d->local_sdp, &d->local_sdp_len, sdp, len)) != FGW_OK)
		return rc;
	evtimer_del(d->answer_timer);
	d->state = DS_CONFIRMED;
	d->local_cseq = 0;
	dlg_send_ok(d, x, sdp, len);
	if (x->status != 200) {
		dlg_end(d, 500, "cannot answer");
		return FGW_ERR_IO;
	}
	d->inv = NULL;
	dlg_session_start(d);
	return FGW_OK;
}

int sip_dialog_reject(struct sip_dialog *d, int status)
{
	char why[32];

	if (d->state != DS_EARLY_IN || d->inv == NULL)
		return FGW_ERR_STATE;
	if (status < 300 || status > 699)
		return FGW_ERR_INVALID;
	(void)txn_respond(d->inv, status, d->local_tag, NULL, NULL, NULL, 0);
	if (str_format(why, sizeof why, "rejected %d", status) != FGW_OK)
		why[0] = '\0';
	dlg_end(d, status, why);
	return FGW_OK;
}

/* ---- in-dialog requests --------------------------------------------------------- */

static bool same_sdp(const struct sip_dialog *d, const char *b, size_t n)
{
	return d->remote_sdp != NULL && n == d->remote_sdp_len && memcmp(b, d->remote_sdp, n) == 0;
}

static void answer_refresh(struct sip_dialog *d, struct txn *x, bool update, bool had_body)
{
	if (update && !had_body) {
		char hdr[UA_HDR_MAX], contact[UA_URI_MAX];

		if (dlg_session_headers(d, true, hdr, sizeof hdr) == FGW_OK &&
		    sip_ua_contact(d->ua, d->proto, contact, sizeof contact) == FGW_OK)
			(void)txn_respond(x, 200, NULL, contact, hdr, NULL, 0);
	} else {
		dlg_send_ok(d, x, d->local_sdp, d->local_sdp_len);
	}
	dlg_session_start(d);
}

void dlg_reinvite_in(struct sip_dialog *d, struct txn *x, const struct sipmsg *req, bool update)
{
	const char *b = NULL;
	size_t n = 0;
	char contact[UA_URI_MAX];

	if (d->state != DS_CONFIRMED) {
		(void)txn_respond(x, d->state == DS_ENDING ? 481 : 500, NULL, NULL, NULL, NULL, 0);
		return;
	}
	if (d->reinv_out != NULL) {
		(void)txn_respond(x, 491, NULL, NULL, NULL, NULL, 0);     /* glare */
		return;
	}
	if (d->reinv_in != NULL || (!update && d->ok != NULL)) {
		(void)txn_respond(x, 500, NULL, NULL, "Retry-After: 1\r\n", NULL, 0);
		return;
	}
	if (session_too_short(d->ua, x, req))
		return;
	if (sipmsg_contact_uri(req, contact, sizeof contact) == FGW_OK)
		(void)str_copy(d->remote_target, sizeof d->remote_target, contact);
	dlg_session_from_request(d, req);
	if (sipmsg_body(req, &b, &n) != FGW_OK || n == 0 || same_sdp(d, b, n)) {
		answer_refresh(d, x, update, n > 0);
		return;
	}
	if (dlg_set_sdp(&d->in_offer, &d->in_offer_len, b, n) != FGW_OK ||
	    d->ua->cb.on_reinvite == NULL) {
		(void)txn_respond(x, 488, NULL, NULL, NULL, NULL, 0);
		return;
	}
	d->reinv_in = x;
	x->dlg = d;
	d->in_update = update;
	ua_timer_ms(d->answer_timer, 64LL * d->ua->t1);
	/* the app may take its time: 100 stops the peer's Timer B */
	if (!update)
		(void)txn_respond(x, 100, NULL, NULL, NULL, NULL, 0);
	d->ua->cb.on_reinvite(d->ua->arg, d, d->in_offer, d->in_offer_len);
}

int sip_dialog_answer_reinvite(struct sip_dialog *d, const char *sdp, size_t len)
{
	struct txn *x = d->reinv_in;
	int rc;

	if (x == NULL || d->state != DS_CONFIRMED)
		return FGW_ERR_STATE;
	if ((rc = dlg_set_sdp(&d->local_sdp, &d->local_sdp_len, sdp, len)) != FGW_OK)
		return rc;
	(void)dlg_set_sdp(&d->remote_sdp, &d->remote_sdp_len, d->in_offer, d->in_offer_len);
	d->reinv_in = NULL;
	evtimer_del(d->answer_timer);
	dlg_send_ok(d, x, sdp, len);
	dlg_session_start(d);
	return x->status == 200 ? FGW_OK : FGW_ERR_IO;
}

int sip_dialog_reject_reinvite(struct sip_dialog *d, int status)
{
	struct txn *x = d->reinv_in;

	if (x == NULL)
		return FGW_ERR_STATE;
	if (status < 300 || status > 699)
		return FGW_ERR_INVALID;
	d->reinv_in = NULL;
	x->dlg = NULL;
	evtimer_del(d->answer_timer);
	return txn_respond(x, status, NULL, NULL, NULL, NULL, 0);
}

void dlg_on_request(struct sip_dialog *d, struct txn *x, const struct sipmsg *req)
{
	const char *method = sipmsg_method(req);
	uint32_t num = 0;

	if (sipmsg_cseq(req, &num, NULL) != FGW_OK || (d->remote_cseq && num <= d->remote_cseq)) {
		(void)txn_respond(x, 500, NULL, NULL, NULL, NULL, 0);   /* RFC 3261 12.2.2 */
		return;
	}
	d->remote_cseq = num;
	if (strcmp(method, "BYE") == 0) {
		(void)txn_respond(x, 200, NULL, NULL, NULL, NULL, 0);
		if (d->state == DS_EARLY_IN && d->inv != NULL)
			(void)txn_respond(d->inv, 487, d->local_tag, NULL, NULL, NULL, 0);
		dlg_end(d, 0, "bye");
	} else if (strcmp(method, "INVITE") == 0) {
		dlg_reinvite_in(d, x, req, false);
	} else if (strcmp(method, "UPDATE") == 0) {
		dlg_reinvite_in(d, x, req, true);
	} else if (strcmp(method, "OPTIONS") == 0 || strcmp(method, "INFO") == 0) {
		(void)txn_respond(x, 200, NULL, NULL, NULL, NULL, 0);
	} else {
		(void)txn_respond(x, 405, NULL, NULL,
				  "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE\r\n", NULL, 0);
	}
}
