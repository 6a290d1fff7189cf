/* Dialogs: life cycle, in-dialog requests, our INVITE and re-INVITE,
 * session timers, hang-up. The inbound side is in sip_dialog_in.c. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/sip_digest.h"
#include "gateway/sip_ua_int.h"
#include "gateway/sipmsg.h"

static void inv_response(struct txn *x, int status, const struct sipmsg *m);
static int send_reinvite(struct sip_dialog *d, const char *sdp, size_t len, bool refresh);
static void reinv_result(struct sip_dialog *d, int status, const char *sdp, size_t len);
static void reinv_response(struct txn *x, int status, const struct sipmsg *m);

/* ---- life cycle ------------------------------------------------------------ */

static void on_ok_timer(evutil_socket_t fd, short what, void *arg);
static void on_session_timer(evutil_socket_t fd, short what, void *arg);
static void on_glare_timer(evutil_socket_t fd, short what, void *arg);
static void on_answer_timer(evutil_socket_t fd, short what, void *arg);

struct sip_dialog *dlg_new(struct sip_ua *ua, bool outbound)
{
	struct sip_dialog *d = calloc(1, sizeof *d);

	if (d == NULL)
		return NULL;
	d->ua = ua;
	d->outbound = outbound;
	d->state = outbound ? DS_EARLY_OUT : DS_EARLY_IN;
	d->ok_timer = evtimer_new(ua->base, on_ok_timer, d);
	d->session_timer = evtimer_new(ua->base, on_session_timer, d);
	d->glare_timer = evtimer_new(ua->base, on_glare_timer, d);
	d->answer_timer = evtimer_new(ua->base, on_answer_timer, d);
	if (!d->ok_timer || !d->session_timer || !d->glare_timer || !d->answer_timer) {
		dlg_free(d);
		return NULL;
	}
	sipb_token(ua, d->local_tag, sizeof d->local_tag);
	TAILQ_INSERT_TAIL(&ua->dialogs, d, link);
	ua->ndialogs++;
	return d;
}

static void wipe_str(char **s)
{
	if (*s != NULL) {
		OPENSSL_cleanse(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

void dlg_free(struct sip_dialog *d)
{
	struct event *evs[] = { d->ok_timer, d->session_timer, d->glare_timer, d->answer_timer };

	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	free(d->local_sdp);
	free(d->remote_sdp);
	free(d->ok);
	free(d->ack);
	free(d->pending_offer);
	free(d->in_offer);
	wipe_str(&d->auth_user);
	wipe_str(&d->auth_password);
	free(d);
}

void dlg_end(struct sip_dialog *d, int status, const char *reason)
{
	struct sip_ua *ua = d->ua;
	struct txn *x;

	if (d->ended)
		return;
	d->ended = true;
	d->state = DS_DONE;
	d->end_status = status;
	if (str_copy(d->end_reason, sizeof d->end_reason, reason) != FGW_OK)
		d->end_reason[sizeof d->end_reason - 1] = '\0';
	evtimer_del(d->ok_timer);
	evtimer_del(d->session_timer);
	evtimer_del(d->glare_timer);
	evtimer_del(d->answer_timer);
	TAILQ_FOREACH(x, &ua->txns, link)
		if (x->dlg == d)
			x->dlg = NULL;     /* the transactions finish on their own */
	d->inv = d->reinv_out = d->reinv_in = NULL;
	TAILQ_REMOVE(&ua->dialogs, d, link);
	ua->ndialogs--;
	TAILQ_INSERT_TAIL(&ua->dead_dialogs, d, link);
	ua_reap_soon(ua);
}

struct sip_dialog *dlg_find(struct sip_ua *ua, const struct sipmsg *m, bool as_uas)
{
	const char *ft = sipmsg_from_tag(m), *tt = sipmsg_to_tag(m);
	const char *local = as_uas ? tt : ft, *remote = as_uas ? ft : tt;
	char cid[UA_CALLID_MAX];
	struct sip_dialog *d;

	if (local == NULL || remote == NULL || sipmsg_call_id(m, cid, sizeof cid) != FGW_OK)
		return NULL;
	TAILQ_FOREACH(d, &ua->dialogs, link)
		if (strcmp(d->call_id, cid) == 0 && strcmp(d->local_tag, local) == 0 &&
		    strcmp(d->remote_tag, remote) == 0)
			return d;
	return NULL;
}

int dlg_set_sdp(char **dst, size_t *dlen, const char *sdp, size_t len)
{
	char *p;

	if (len > SIP_UA_SDP_MAX)
		return FGW_ERR_TOO_LARGE;
	if ((p = malloc(len + 1)) == NULL)
		return FGW_ERR_NOMEM;
	if (len)
		memcpy(p, sdp, len);
	p[len] = '\0';
	free(*dst);
	*dst = p;
	*dlen = len;
	return FGW_OK;
}

/* ---- building in-dialog requests -------------------------------------------- */

static int dlg_build(struct sip_dialog *d, const char *method, uint32_t cseq, const char *branch,
		     const char *uri, bool remote_tag, const char *headers, const char *body,
		     size_t blen, char *buf, size_t size, size_t *len)
{
	struct sip_ua *ua = d->ua;
	char via[SIP_ADDR_MAX + 96], from[UA_URI_MAX + UA_TAG_MAX + 8];
	char to[UA_URI_MAX + UA_TAG_MAX * 2 + 8], contact[UA_URI_MAX], hdr[UA_HDR_MAX + UA_ROUTE_MAX] = "";
	int rc;

	if (str_format(via, sizeof via, "SIP/2.0/%s %s;branch=%s;rport",
		       d->proto == SIP_PROTO_TCP ? "TCP" : "UDP", ua->local, branch) != FGW_OK ||
	    str_format(from, sizeof from, "%s;tag=%s", d->local_uri, d->local_tag) != FGW_OK ||
	    (remote_tag && d->remote_tag[0]
		 ? str_format(to, sizeof to, "%s;tag=%s", d->remote_uri, d->remote_tag)
		 : str_copy(to, sizeof to, d->remote_uri)) != FGW_OK ||
	    sip_ua_contact(ua, d->proto, contact, sizeof contact) != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	struct sipmsg_request q = {
		.method = method, .uri = uri, .via = via, .from = from, .to = to,
		.call_id = d->call_id, .cseq = cseq,
		.contact = strcmp(method, "INVITE") == 0 || strcmp(method, "UPDATE") == 0 ? contact : NULL,
		.content_type = blen ? "application/sdp" : NULL, .body = body, .body_len = blen,
	};
	if (remote_tag && d->routes[0] != '\0' && sipb_add(hdr, sizeof hdr, "Route", d->routes) != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	if (headers != NULL && str_format(hdr + strlen(hdr), sizeof hdr - strlen(hdr), "%s", headers) != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	if ((rc = sipmsg_build_request(&q, buf, size, len)) == FGW_OK && hdr[0] != '\0')
		rc = sipb_insert(buf, size, len, hdr);
	return rc;
}

static void new_branch(struct sip_ua *ua, char *buf, size_t size)
{
	char tok[UA_TAG_MAX];

	sipb_token(ua, tok, sizeof tok);
	if (str_format(buf, size, "z9hG4bK%s", tok) != FGW_OK)
		buf[0] = '\0';
}

struct txn *dlg_request(struct sip_dialog *d, const char *method, uint32_t cseq,
			const char *headers, const char *body, size_t len, txn_response_fn *fn)
{
	char branch[UA_TAG_MAX + 8], buf[SIPMSG_MAX_UDP];
	size_t n;
	bool inv = strcmp(method, "INVITE") == 0;

	new_branch(d->ua, branch, sizeof branch);
	if (dlg_build(d, method, cseq, branch, d->remote_target, true, headers, body, len, buf,
		      sizeof buf, &n) != FGW_OK)
		return NULL;
	return txn_client_new(d->ua, inv ? TXN_IC : TXN_NIC, branch, method, cseq, buf, n, d->dest,
			      d->proto, d->have_peer_src ? &d->peer_src : NULL, fn, d);
}

/* ACK for a 2xx: a transaction of its own, sent by the dialog and kept for
 * retransmitted 2xx (RFC 3261 13.2.2.4). */
static void send_ack(struct sip_dialog *d, uint32_t cseq)
{
	char branch[UA_TAG_MAX + 8], buf[SIPMSG_MAX_UDP];
	size_t n;

	if (d->ack != NULL && d->ack_cseq == cseq) {
		(void)ua_send(d->ua, d->dest, d->proto, d->have_peer_src ? &d->peer_src : NULL,
			      d->ack, d->ack_len);
		return;
	}
	new_branch(d->ua, branch, sizeof branch);
	if (dlg_build(d, "ACK", cseq, branch, d->remote_target, true, NULL, NULL, 0, buf,
		      sizeof buf, &n) != FGW_OK)
		return;
	free(d->ack);
	d->ack = NULL;
	if ((d->ack = malloc(n)) != NULL) {
		memcpy(d->ack, buf, n);
		d->ack_len = n;
		d->ack_cseq = cseq;
	}
	(void)ua_send(d->ua, d->dest, d->proto, d->have_peer_src ? &d->peer_src : NULL, buf, n);
}

/* ---- BYE and hang-up ---------------------------------------------------------- */

static void bye_response(struct txn *x, int status, const struct sipmsg *m)
{
	struct sip_dialog *d = x->dlg;

	(void)m;
	if (d != NULL && status >= 200)
		dlg_end(d, d->end_status, d->end_reason[0] ? d->end_reason : "hangup");
}

/* Sends BYE; on_ended(status, reason) follows its final response. */
static int send_bye(struct sip_dialog *d, int status, const char *reason)
{
	d->state = DS_ENDING;
	d->end_status = status;
	(void)str_copy(d->end_reason, sizeof d->end_reason, reason);
	evtimer_del(d->session_timer);
	evtimer_del(d->ok_timer);
	evtimer_del(d->glare_timer);
	if (dlg_request(d, "BYE", ++d->local_cseq, NULL, NULL, 0, bye_response) == NULL) {
		dlg_end(d, status, reason);
		return FGW_ERR_IO;
	}
	return FGW_OK;
}

static int send_cancel(struct sip_dialog *d)
{
	char buf[SIPMSG_MAX_UDP];
	size_t n;
	struct txn *inv = d->inv;

	if (inv == NULL)
		return FGW_ERR_STATE;
	d->cancel_sent = true;
	/* a peer that never answers the CANCEL: the INVITE ends 64*T1 later */
	ua_timer_ms(inv->timeout, 64LL * d->ua->t1);
	if (dlg_build(d, "CANCEL", d->invite_cseq, inv->branch, d->request_uri, false, NULL, NULL, 0,
		      buf, sizeof buf, &n) != FGW_OK)
		return FGW_ERR_INVALID;
	/* the CANCEL's own response matters little: the INVITE's 487 ends it */
	return txn_client_new(d->ua, TXN_NIC, inv->branch, "CANCEL", d->invite_cseq, buf, n, d->dest,
			      d->proto, NULL, NULL, NULL) ? FGW_OK : FGW_ERR_IO;
}

int sip_dialog_hangup(struct sip_dialog *d)
{
	switch (d->state) {
	case DS_EARLY_OUT:
		if (d->cancel_wanted)
			return FGW_ERR_STATE;
		d->cancel_wanted = true;
		if (d->inv != NULL && d->inv->state == TS_PROCEEDING)
			return send_cancel(d);
		if (d->inv == NULL)
			dlg_end(d, 0, "hangup");
		return FGW_OK;
	case DS_EARLY_IN:
		if (d->inv != NULL)
			(void)txn_respond(d->inv, 480, d->local_tag, NULL, NULL, NULL, 0);
		dlg_end(d, 480, "hangup");
		return FGW_OK;
	case DS_CONFIRMED:
		return send_bye(d, 0, "hangup");
	default:
		return FGW_ERR_STATE;
	}
}

int sip_dialog_bye(struct sip_dialog *d)
{
	return d->state == DS_CONFIRMED ? send_bye(d, 0, "hangup") : FGW_ERR_STATE;
}

int sip_dialog_cancel(struct sip_dialog *d)
{
	return d->state == DS_EARLY_OUT ? sip_dialog_hangup(d) : FGW_ERR_STATE;
}

/* ---- timers -------------------------------------------------------------------- */

/* Our 2xx again until its ACK; no ACK in 64*T1 ends the call. */
static void on_ok_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sip_dialog *d = arg;

	(void)fd;
	(void)what;
	if (d->ok == NULL)
		return;
	if (ua_now_ms() >= d->ok_deadline_ms) {
		free(d->ok);
		d->ok = NULL;
		(void)send_bye(d, 408, "timeout: no ACK");
		return;
	}
	(void)ua_send(d->ua, NULL, d->proto, &d->peer_src, d->ok, d->ok_len);
	d->ok_interval = d->ok_interval * 2 > d->ua->t2 ? d->ua->t2 : d->ok_interval * 2;
	int64_t left = d->ok_deadline_ms - ua_now_ms();
	ua_timer_ms(d->ok_timer, d->proto == SIP_PROTO_TCP || left < d->ok_interval
				 ? left : d->ok_interval);
}

void dlg_send_ok(struct sip_dialog *d, struct txn *x, const char *sdp, size_t len)
{
	char hdr[UA_HDR_MAX + UA_ROUTE_MAX] = "", contact[UA_URI_MAX];

	if (x->kind == TXN_IS && d->inv == x && d->routes[0] &&
	    sipb_add(hdr, sizeof hdr, "Record-Route", d->routes) != FGW_OK)
		return;
	if (dlg_session_headers(d, true, hdr + strlen(hdr), sizeof hdr - strlen(hdr)) != FGW_OK ||
	    sip_ua_contact(d->ua, d->proto, contact, sizeof contact) != FGW_OK)
		return;
	if (txn_respond(x, 200, d->local_tag, contact, hdr, sdp, len) != FGW_OK || x->kind != TXN_IS)
		return;
	free(d->ok);
	if ((d->ok = malloc(x->msg_len)) == NULL)
		return;
	memcpy(d->ok, x->msg, x->msg_len);
	d->ok_len = x->msg_len;
	d->ok_cseq = x->cseq;
	d->ok_interval = d->ua->t1;
	d->ok_deadline_ms = ua_now_ms() + 64LL * d->ua->t1;
	ua_timer_ms(d->ok_timer, d->proto == SIP_PROTO_TCP ? 64LL * d->ua->t1 : d->ok_interval);
}

void dlg_on_ack(struct sip_dialog *d, const struct sipmsg *ack)
{
	uint32_t num;

	if (d->ok == NULL || sipmsg_cseq(ack, &num, NULL) != FGW_OK || num != d->ok_cseq)
		return;
	evtimer_del(d->ok_timer);
	free(d->ok);
	d->ok = NULL;
	if (d->reinv_after_ack && d->state == DS_CONFIRMED) {
		d->reinv_after_ack = false;
		if (send_reinvite(d, d->pending_offer, d->pending_offer_len, false) != FGW_OK)
			reinv_result(d, 500, NULL, 0);
	}
}

void dlg_session_start(struct sip_dialog *d)
{
	int64_t se = (int64_t)d->se_s * 1000;

	evtimer_del(d->session_timer);
	if (d->se_s == 0 || d->state != DS_CONFIRMED)
		return;
	/* RFC 4028 10: refresh at half; the other side gives up a little
	 * before the end (min(32 s, SE/3) early) */
	ua_timer_ms(d->session_timer, d->we_refresh ? se / 2 : se - (se / 3 < 32000 ? se / 3 : 32000));
}

int dlg_session_headers(struct sip_dialog *d, bool response, char *block, size_t size)
{
	char v[48];
	/* in a response we are the UAS; in a request, the UAC */
	const char *who = d->we_refresh == response ? "uas" : "uac";

	block[0] = '\0';
	if (sipb_add(block, size, "Supported", "timer") != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	if (d->se_s == 0)
		return FGW_OK;
	if (str_format(v, sizeof v, "%u;refresher=%s", d->se_s, who) != FGW_OK ||
	    sipb_add(block, size, "Session-Expires", v) != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	if (response && strcmp(who, "uac") == 0 && sipb_add(block, size, "Require", "timer") != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	return FGW_OK;
}

/* UAC side: the 2xx says the interval and who refreshes. */
static void session_from_response(struct sip_dialog *d, const struct sipmsg *m)
{
	char who[8];
	unsigned se = sipb_session_expires(m, who, sizeof who);

	d->se_s = se;
	d->we_refresh = strcmp(who, "uas") != 0;
	dlg_session_start(d);
}

static int send_reinvite(struct sip_dialog *d, const char *sdp, size_t len, bool refresh)
{
	char hdr[UA_HDR_MAX];
	uint32_t cseq = ++d->local_cseq;

	if (dlg_session_headers(d, false, hdr, sizeof hdr) != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	d->reinv_out = dlg_request(d, "INVITE", cseq, hdr, sdp, len, reinv_response);
	if (d->reinv_out == NULL)
		return FGW_ERR_IO;
	d->reinv_out_refresh = refresh;
	return FGW_OK;
}

static void on_session_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sip_dialog *d = arg;

	(void)fd;
	(void)what;
	if (d->state != DS_CONFIRMED)
		return;
	if (!d->we_refresh) {
		(void)send_bye(d, 408, "session expired");
		return;
	}
	if (d->reinv_out != NULL || d->reinv_in != NULL || d->ok != NULL ||
	    evtimer_pending(d->glare_timer, NULL)) {
		ua_timer_ms(d->session_timer, d->ua->t1);  /* busy: try again shortly */
		return;
	}
	if (send_reinvite(d, d->local_sdp, d->local_sdp_len, true) != FGW_OK)
		(void)send_bye(d, 500, "session refresh failed");
}

/* RFC 3261 14.1: after a 491 the Call-ID's owner waits 2.1-4 s, the other
 * side 0-2 s (scaled with T1 so tests with a short T1 stay short). */
static void glare_wait(struct sip_dialog *d)
{
	uint16_t r = 0;
	int64_t ms;

	if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
		r = (uint16_t)d->ua->counter;
	ms = d->outbound ? 2100 + r % 1900 : r % 2000;
	ua_timer_ms(d->glare_timer, ms * d->ua->t1 / 500);
}

static void on_glare_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sip_dialog *d = arg;

	(void)fd;
	(void)what;
	if (d->state != DS_CONFIRMED)
		return;
	if (d->reinv_in != NULL || d->reinv_out != NULL || d->ok != NULL) {
		glare_wait(d);
		return;
	}
	if (d->pending_refresh) {
		d->pending_refresh = false;
		(void)send_reinvite(d, d->local_sdp, d->local_sdp_len, true);
	} else if (d->pending_offer != NULL &&
		   send_reinvite(d, d->pending_offer, d->pending_offer_len, false) != FGW_OK &&
		   d->ua->cb.on_reinvite_result != NULL) {
		d->ua->cb.on_reinvite_result(d->ua->arg, d, 500, NULL, 0);
	}
}

static void on_answer_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sip_dialog *d = arg;

	(void)fd;
	(void)what;
	if (d->state == DS_EARLY_IN) {
		if (d->inv != NULL)
			(void)txn_respond(d->inv, 408, d->local_tag, NULL, NULL, NULL, 0);
		dlg_end(d, 408, "timeout: not answered");
	} else if (d->state == DS_EARLY_OUT && !d->cancel_wanted) {
		d->ring_timeout = true;
		(void)sip_dialog_hangup(d);
	} else if (d->state == DS_CONFIRMED && d->reinv_in != NULL) {
		/* the app left the peer's offer unanswered: refuse it so that
		 * neither side's re-INVITEs stay blocked */
		(void)sip_dialog_reject_reinvite(d, 500);
	}
}

/* ---- our re-INVITE ----------------------------------------------------------- */

int sip_dialog_reinvite(struct sip_dialog *d, const char *sdp, size_t len)
{
	int rc;

	if (d->state != DS_CONFIRMED)
		return FGW_ERR_STATE;
	if (d->reinv_out != NULL || d->reinv_in != NULL || d->pending_offer != NULL)
		return FGW_ERR_BUSY;
	if ((rc = dlg_set_sdp(&d->pending_offer, &d->pending_offer_len, sdp, len)) != FGW_OK)
		return rc;
	/* RFC 3261 14.1: not while our INVITE transaction (2xx, no ACK yet)
	 * is open; the ACK sends it (an answering side asking for T.38 at
	 * once lands here) */
	if (d->ok != NULL) {
		d->reinv_after_ack = true;
		return FGW_OK;
	}
	if ((rc = send_reinvite(d, sdp, len, false)) != FGW_OK) {
		free(d->pending_offer);
		d->pending_offer = NULL;
	}
	return rc;
}

static void reinv_result(struct sip_dialog *d, int status, const char *sdp, size_t len)
{
	free(d->pending_offer);
	d->pending_offer = NULL;
	if (d->ua->cb.on_reinvite_result != NULL)
		d->ua->cb.on_reinvite_result(d->ua->arg, d, status, sdp, len);
}

static void reinv_ok(struct sip_dialog *d, bool refresh, const struct sipmsg *m)
{
	char *body = NULL;
	size_t blen = 0;

	session_from_response(d, m);
	if (refresh)
		return;
	if (sipb_body_copy(m, &body, &blen) == FGW_OK && body != NULL) {
		(void)dlg_set_sdp(&d->remote_sdp, &d->remote_sdp_len, body, blen);
		(void)dlg_set_sdp(&d->local_sdp, &d->local_sdp_len, d->pending_offer,
				  d->pending_offer_len);
	}
	reinv_result(d, 200, body, blen);
	free(body);
}

static void reinv_response(struct txn *x, int status, const struct sipmsg *m)
{
	struct sip_dialog *d = x->dlg;
	bool refresh;

	if (d == NULL || status < 200)
		return;
	refresh = d->reinv_out_refresh;
	if (status < 300) {
		send_ack(d, x->cseq);
		if (d->reinv_out == x) {
			d->reinv_out = NULL;
			reinv_ok(d, refresh, m);
		}
		return;
	}
	d->reinv_out = NULL;
	if (status == 491) {
		d->pending_refresh = refresh;
		glare_wait(d);
	} else if (status == 408 || status == 481) {
		if (!refresh)
			reinv_result(d, status, NULL, 0);
		if (d->state == DS_CONFIRMED)
			(void)send_bye(d, status, refresh ? "session refresh failed" : "re-INVITE failed");
	} else if (!refresh) {
		reinv_result(d, status, NULL, 0);
	}
}

/* ---- our INVITE ---------------------------------------------------------------- */

static int send_invite(struct sip_dialog *d, const char *auth_header)
{
	char hdr[UA_HDR_MAX + SIP_DIGEST_HEADER_MAX] = "", branch[UA_TAG_MAX + 8], buf[SIPMSG_MAX_UDP];
	char v[32];
	size_t n;

	if (str_format(v, sizeof v, "%u", d->ua->se_s) != FGW_OK ||
	    sipb_add(hdr, sizeof hdr, "Supported", "timer") != FGW_OK ||
	    sipb_add(hdr, sizeof hdr, "Session-Expires", v) != FGW_OK ||
	    str_format(v, sizeof v, "%u", d->ua->min_se_s) != FGW_OK ||
	    sipb_add(hdr, sizeof hdr, "Min-SE", v) != FGW_OK ||
	    sipb_add(hdr, sizeof hdr, "Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE") != FGW_OK ||
	    (auth_header && str_format(hdr + strlen(hdr), sizeof hdr - strlen(hdr), "%s",
				       auth_header) != FGW_OK))
		return FGW_ERR_TOO_LARGE;
	new_branch(d->ua, branch, sizeof branch);
	int rc = dlg_build(d, "INVITE", d->invite_cseq, branch, d->request_uri, false, hdr,
			   d->local_sdp, d->local_sdp_len, buf, sizeof buf, &n);
	if (rc != FGW_OK)
		return rc;
	d->inv = txn_client_new(d->ua, TXN_IC, branch, "INVITE", d->invite_cseq, buf, n, d->dest,
				d->proto, NULL, inv_response, d);
	return d->inv ? FGW_OK : FGW_ERR_IO;
}

static int set_str(char **dst, const char *src)
{
	if (src == NULL)
		return FGW_OK;
	*dst = strdup(src);
	return *dst ? FGW_OK : FGW_ERR_NOMEM;
}

static int invite_fields(struct sip_ua *ua, struct sip_dialog *d, const struct sip_invite_params *p)
{
	char tok[UA_TAG_MAX];
	int proto;

	sipb_token(ua, tok, sizeof tok);
	d->proto = p->proto ? p->proto : SIP_PROTO_UDP;
	if (str_format(d->call_id, sizeof d->call_id, "%s@faxgw", tok) != FGW_OK ||
	    str_format(d->local_uri, sizeof d->local_uri, "<sip:%s@%s>",
		       p->from_user ? p->from_user : ua->user, ua->local) != FGW_OK ||
	    (p->to ? str_copy(d->remote_uri, sizeof d->remote_uri, p->to)
		   : str_format(d->remote_uri, sizeof d->remote_uri, "<%s>", p->request_uri)) != FGW_OK ||
	    str_copy(d->request_uri, sizeof d->request_uri, p->request_uri) != FGW_OK ||
	    str_copy(d->remote_target, sizeof d->remote_target, p->request_uri) != FGW_OK)
		return FGW_ERR_INVALID;
	if (p->dest ? str_copy(d->dest, sizeof d->dest, p->dest) != FGW_OK
		    : sipb_uri_dest(p->request_uri, d->dest, sizeof d->dest, &proto) != FGW_OK)
		return FGW_ERR_INVALID;
	if (strpbrk(d->remote_uri, "\r\n") || (p->from_user && strpbrk(p->from_user, "\r\n<>@;")))
		return FGW_ERR_INVALID;
	d->local_cseq = d->invite_cseq = 1;
	if (set_str(&d->auth_user, p->auth_user) != FGW_OK ||
	    set_str(&d->auth_password, p->auth_password) != FGW_OK)
		return FGW_ERR_NOMEM;
	return dlg_set_sdp(&d->local_sdp, &d->local_sdp_len, p->sdp, p->sdp_len);
}

int sip_ua_invite(struct sip_ua *ua, const struct sip_invite_params *p, void *call_arg,
		  struct sip_dialog **out)
{
	struct sip_dialog *d;
	int rc;

	*out = NULL;
	if (p == NULL || p->request_uri == NULL)
		return FGW_ERR_INVALID;
	if (ua->ndialogs >= ua->max_calls)
		return FGW_ERR_BUSY;
	if ((d = dlg_new(ua, true)) == NULL)
		return FGW_ERR_NOMEM;
	d->app = call_arg;
	if ((rc = invite_fields(ua, d, p)) == FGW_OK)
		rc = send_invite(d, NULL);
	if (rc != FGW_OK) {
		TAILQ_REMOVE(&ua->dialogs, d, link);
		ua->ndialogs--;
		dlg_free(d);
		return rc;
	}
	*out = d;
	return FGW_OK;
}

/* A 401/407 to our INVITE: answer the challenge once with the credentials. */
static bool retry_with_auth(struct sip_dialog *d, const struct sipmsg *m)
{
	char hdr[SIP_DIGEST_HEADER_MAX + 32];
	bool ok;

	if (d->auth_tried || d->auth_user == NULL || d->auth_password == NULL)
		return false;
	d->auth_tried = true;
	if (sip_ua_answer_challenge(m, "INVITE", d->request_uri, d->auth_user, d->auth_password, 1,
				    hdr, sizeof hdr, NULL) != FGW_OK)
		return false;
	d->local_cseq = ++d->invite_cseq;
	ok = send_invite(d, hdr) == FGW_OK;
	OPENSSL_cleanse(hdr, sizeof hdr);
	return ok;
}

static void inv_confirm(struct sip_dialog *d, const struct sipmsg *m)
{
	char contact[UA_URI_MAX];
	const char *tag = sipmsg_to_tag(m);
	char *body = NULL;
	size_t blen = 0;
	int proto;

	if (tag != NULL)
		(void)str_copy(d->remote_tag, sizeof d->remote_tag, tag);
	if (sipmsg_contact_uri(m, contact, sizeof contact) == FGW_OK)
		(void)str_copy(d->remote_target, sizeof d->remote_target, contact);
	if (sipb_record_routes(m, true, d->routes, sizeof d->routes) != FGW_OK)
		d->routes[0] = '\0';
	/* in-dialog requests go to the first route or else the remote target */
	char first[UA_URI_MAX];
	size_t n = strcspn(d->routes, ",");
	if (d->routes[0] && n < sizeof first && n > 2) {
		memcpy(first, d->routes + 1, n - 2);
		first[n - 2] = '\0';
		(void)sipb_uri_dest(first, d->dest, sizeof d->dest, &proto);
	} else {
		(void)sipb_uri_dest(d->remote_target, d->dest, sizeof d->dest, &proto);
	}
	d->state = DS_CONFIRMED;
	evtimer_del(d->answer_timer);
	send_ack(d, d->invite_cseq);
	if (sipb_body_copy(m, &body, &blen) == FGW_OK && body != NULL)
		(void)dlg_set_sdp(&d->remote_sdp, &d->remote_sdp_len, body, blen);
	free(body);
	session_from_response(d, m);
}

static void inv_response(struct txn *x, int status, const struct sipmsg *m)
{
	struct sip_dialog *d = x->dlg;
	char why[32];

	if (d == NULL)
		return;
	if (status < 200) {
		const char *tag = sipmsg_to_tag(m);
		const char *b = NULL;
		size_t bl = 0;

		if (tag != NULL && d->remote_tag[0] == '\0')
			(void)str_copy(d->remote_tag, sizeof d->remote_tag, tag);
		if (!evtimer_pending(d->answer_timer, NULL))
			ua_timer_ms(d->answer_timer, (int64_t)d->ua->answer_s * 1000);
		if (d->cancel_wanted && !d->cancel_sent)
			(void)send_cancel(d);
		else if (status > 100 && d->ua->cb.on_progress != NULL) {
			if (sipmsg_body(m, &b, &bl) != FGW_OK)
				b = NULL;
			d->ua->cb.on_progress(d->ua->arg, d, status, b, b ? bl : 0);
		}
		return;
	}
	if (status < 300) {
		if (d->state != DS_EARLY_OUT) {
			send_ack(d, x->cseq);     /* a retransmitted 2xx */
			return;
		}
		d->inv = NULL;
		inv_confirm(d, m);
		if (d->cancel_wanted)
			(void)send_bye(d, 0, "hangup");
		else if (d->ua->cb.on_answered != NULL)
			d->ua->cb.on_answered(d->ua->arg, d, d->remote_sdp ? d->remote_sdp : "",
					      d->remote_sdp_len);
		return;
	}
	if (d->state != DS_EARLY_OUT || d->inv != x)
		return;
	d->inv = NULL;
	if ((status == 401 || status == 407) && !d->cancel_wanted && retry_with_auth(d, m))
		return;
	if (d->ring_timeout) {
		dlg_end(d, 408, "timeout: not answered");
		return;
	}
	if (status == 487 && d->cancel_wanted) {
		dlg_end(d, 487, "cancelled");
		return;
	}
	if (status == 408 && m == NULL)
		dlg_end(d, 408, "timeout");
	else if (str_format(why, sizeof why, "rejected %d", status) == FGW_OK)
		dlg_end(d, status, why);
	else
		dlg_end(d, status, "rejected");
}

/* ---- accessors ------------------------------------------------------------------ */

void *sip_dialog_arg(const struct sip_dialog *d) { return d->app; }
void sip_dialog_set_arg(struct sip_dialog *d, void *arg) { d->app = arg; }
const char *sip_dialog_peer(const struct sip_dialog *d) { return d->peer; }
const char *sip_dialog_dialed(const struct sip_dialog *d) { return d->dialed; }
const char *sip_dialog_call_id(const struct sip_dialog *d) { return d->call_id; }
bool sip_dialog_confirmed(const struct sip_dialog *d) { return d->state == DS_CONFIRMED; }

const char *sip_dialog_remote_sdp(const struct sip_dialog *d, size_t *len)
{
	*len = d->remote_sdp_len;
	return d->remote_sdp ? d->remote_sdp : "";
}
