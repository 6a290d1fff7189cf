/* RFC 3261 17 transactions (with RFC 6026's Accepted state for INVITE) on
 * libevent timers. Retransmissions happen over UDP only; over TCP the
 * waiting timers are zero. See sip_ua_int.h. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/sip_ua_int.h"
#include "gateway/sipmsg.h"

int64_t ua_now_ms(void)
{
	return clock_mono_ms();
}

void ua_timer_ms(struct event *ev, int64_t ms)
{
	struct timeval tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	/* evtimer_add only fails on a bad event; ours are all made by us */
	(void)evtimer_add(ev, &tv);
}

void ua_reap_soon(struct sip_ua *ua)
{
	event_active(ua->reaper, EV_TIMEOUT, 0);
}

int ua_send(struct sip_ua *ua, const char *dest, int proto, const struct sip_source *via,
	    const char *buf, size_t len)
{
	if (ua->t == NULL)
		return FGW_OK;    /* the fuzzer's UA: built, not sent */
	if (via != NULL && via->transport == SIP_PROTO_TCP &&
	    sip_transport_send(ua->t, via, buf, len) == FGW_OK)
		return FGW_OK;
	if (via != NULL && via->transport == SIP_PROTO_UDP && dest == NULL)
		return sip_transport_send(ua->t, via, buf, len);
	if (dest == NULL)
		return FGW_ERR_NOT_FOUND;
	return sip_transport_send_to(ua->t, dest, proto, buf, len, NULL);
}

static int copy(char *dst, size_t size, const char *src)
{
	return str_copy(dst, size, src ? src : "");
}

static bool reliable(const struct txn *x)
{
	return x->proto == SIP_PROTO_TCP;
}

static int txn_xmit(struct txn *x, const char *buf, size_t len)
{
	bool server = x->kind == TXN_IS || x->kind == TXN_NIS;

	if (server)
		return ua_send(x->ua, NULL, x->proto, &x->peer, buf, len);
	return ua_send(x->ua, x->dest, x->proto, x->use_peer ? &x->peer : NULL, buf, len);
}

void txn_free(struct txn *x)
{
	if (x->retx)
		event_free(x->retx);
	if (x->timeout)
		event_free(x->timeout);
	free(x->msg);
	free(x->ack);
	free(x->req);
	free(x);
}

void txn_kill(struct txn *x)
{
	struct sip_dialog *d = x->dlg;

	if (x->state == TS_DEAD)
		return;
	x->state = TS_DEAD;
	evtimer_del(x->retx);
	evtimer_del(x->timeout);
	if (d != NULL) {
		if (d->inv == x)
			d->inv = NULL;
		if (d->reinv_out == x)
			d->reinv_out = NULL;
		if (d->reinv_in == x)
			d->reinv_in = NULL;
	}
	x->dlg = NULL;
	ua_reap_soon(x->ua);
}

static void report(struct txn *x, int status, const struct sipmsg *m)
{
	if (x->on_response != NULL)
		x->on_response(x, status, m);
}

/* Timers A, E, G: retransmit and back off (A doubles without limit). */
static void on_retx(evutil_socket_t fd, short what, void *arg)
{
	struct txn *x = arg;

	(void)fd;
	(void)what;
	if (x->state == TS_DEAD || x->msg == NULL)
		return;
	if (txn_xmit(x, x->msg, x->msg_len) != FGW_OK)
		log_debug("sip: retransmission of %s to %s failed", x->method, x->dest);
	x->interval_ms *= 2;
	if (x->kind != TXN_IC && x->interval_ms > x->ua->t2)
		x->interval_ms = x->ua->t2;
	if (x->kind == TXN_NIC && x->state == TS_PROCEEDING)
		x->interval_ms = x->ua->t2;
	ua_timer_ms(x->retx, x->interval_ms);
}

/* Timers B, F (client gives up), D, K, H, I, J, L, M (state ends). */
static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct txn *x = arg;
	bool client = x->kind == TXN_IC || x->kind == TXN_NIC;

	(void)fd;
	(void)what;
	if (x->state == TS_DEAD)
		return;
	if (client && (x->state == TS_TRYING || x->state == TS_PROCEEDING)) {
		x->state = TS_COMPLETED;
		report(x, 408, NULL);
	}
	txn_kill(x);
}

static struct txn *txn_alloc(struct sip_ua *ua, enum txn_kind kind)
{
	struct txn *x = calloc(1, sizeof *x);

	if (x == NULL)
		return NULL;
	x->ua = ua;
	x->kind = kind;
	x->retx = evtimer_new(ua->base, on_retx, x);
	x->timeout = evtimer_new(ua->base, on_timeout, x);
	if (x->retx == NULL || x->timeout == NULL) {
		txn_free(x);
		return NULL;
	}
	return x;
}

static int dup_bytes(char **dst, size_t *dlen, const char *src, size_t len)
{
	char *p = malloc(len + 1);

	if (p == NULL)
		return FGW_ERR_NOMEM;
	memcpy(p, src, len);
	p[len] = '\0';
	free(*dst);
	*dst = p;
	*dlen = len;
	return FGW_OK;
}

struct txn *txn_client_new(struct sip_ua *ua, enum txn_kind kind, const char *branch,
			   const char *method, uint32_t cseq, const char *msg, size_t len,
			   const char *dest, int proto, const struct sip_source *via,
			   txn_response_fn *fn, struct sip_dialog *dlg)
{
	struct txn *x = txn_alloc(ua, kind);

	if (x == NULL)
		return NULL;
	if (copy(x->branch, sizeof x->branch, branch) != FGW_OK ||
	    copy(x->method, sizeof x->method, method) != FGW_OK ||
	    copy(x->dest, sizeof x->dest, dest) != FGW_OK ||
	    dup_bytes(&x->msg, &x->msg_len, msg, len) != FGW_OK) {
		txn_free(x);
		return NULL;
	}
	x->cseq = cseq;
	x->proto = proto ? proto : SIP_PROTO_UDP;
	if (via != NULL) {
		x->peer = *via;
		x->use_peer = true;
	}
	x->on_response = fn;
	x->dlg = dlg;
	x->state = TS_TRYING;
	if (txn_xmit(x, msg, len) != FGW_OK) {
		txn_free(x);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&ua->txns, x, link);
	ua->ntxns++;
	x->interval_ms = ua->t1;
	if (!reliable(x))
		ua_timer_ms(x->retx, x->interval_ms);
	ua_timer_ms(x->timeout, 64LL * ua->t1);
	return x;
}

/* ---- client responses ---------------------------------------------------- */

static struct txn *client_find(struct sip_ua *ua, const char *branch, const char *method)
{
	struct txn *x;

	TAILQ_FOREACH(x, &ua->txns, link)
		if (x->state != TS_DEAD && (x->kind == TXN_IC || x->kind == TXN_NIC) &&
		    strcmp(x->branch, branch) == 0 && strcmp(x->method, method) == 0)
			return x;
	return NULL;
}

/* The ACK of a non-2xx final: our INVITE's Request-URI, top Via, From,
 * Call-ID and CSeq number, the response's To (RFC 3261 17.1.1.3). */
static int build_ack(struct txn *x, const struct sipmsg *resp)
{
	struct sipmsg *inv = NULL;
	char buf[SIPMSG_MAX_UDP];
	size_t len;
	int rc = sipmsg_parse((const uint8_t *)x->msg, x->msg_len, &inv, NULL, 0);

	if (rc != FGW_OK)
		return rc;
	struct sipmsg_request q = { .method = "ACK", .cseq = x->cseq };
	rc = sipb_ack_fields(inv, resp, &q);
	if (rc == FGW_OK)
		rc = sipmsg_build_request(&q, buf, sizeof buf, &len);
	sipb_ack_fields_free(&q);
	sipmsg_free(inv);
	return rc == FGW_OK ? dup_bytes(&x->ack, &x->ack_len, buf, len) : rc;
}

static void ic_response(struct txn *x, int status, const struct sipmsg *m)
{
	bool fresh = x->state == TS_TRYING || x->state == TS_PROCEEDING;

	if (status < 200) {
		if (fresh) {
			/* ringing may last: Timer B only covers the silence before
			 * the first provisional; the dialog's ring limit takes over */
			x->state = TS_PROCEEDING;
			evtimer_del(x->retx);
			evtimer_del(x->timeout);
			/* a re-INVITE has no ring limit: bound it generously (the
			 * peer's own limit on its app is 64*T1) */
			if (x->dlg != NULL && x->dlg->inv != x)
				ua_timer_ms(x->timeout, 128LL * x->ua->t1);
			report(x, status, m);
		}
	} else if (status < 300) {
		if (fresh) {
			x->state = TS_ACCEPTED;
			evtimer_del(x->retx);
			ua_timer_ms(x->timeout, 64LL * x->ua->t1);
		}
		report(x, status, m);     /* retransmitted 2xx: the dialog re-ACKs */
	} else if (fresh) {
		x->state = TS_COMPLETED;
		evtimer_del(x->retx);
		if (build_ack(x, m) == FGW_OK)
			(void)txn_xmit(x, x->ack, x->ack_len);
		ua_timer_ms(x->timeout, reliable(x) ? 0 : 64LL * x->ua->t1);
		report(x, status, m);
	} else if (x->state == TS_COMPLETED && x->ack != NULL) {
		(void)txn_xmit(x, x->ack, x->ack_len);
	}
}

static void nic_response(struct txn *x, int status, const struct sipmsg *m)
{
	if (x->state != TS_TRYING && x->state != TS_PROCEEDING)
		return;
	if (status < 200) {
		x->state = TS_PROCEEDING;
		return;
	}
	x->state = TS_COMPLETED;
	evtimer_del(x->retx);
	ua_timer_ms(x->timeout, reliable(x) ? 0 : x->ua->t4);
	report(x, status, m);
}

bool txn_client_response(struct sip_ua *ua, const struct sipmsg *m)
{
	const char *branch = sipmsg_via_branch(m), *method = NULL;
	uint32_t num;
	struct txn *x;

	if (branch == NULL || sipmsg_cseq(m, &num, &method) != FGW_OK || method == NULL)
		return false;
	if ((x = client_find(ua, branch, method)) == NULL || x->cseq != num)
		return false;
	if (x->kind == TXN_IC)
		ic_response(x, sipmsg_status(m), m);
	else
		nic_response(x, sipmsg_status(m), m);
	return true;
}

/* ---- server -------------------------------------------------------------- */

struct txn *txn_server_new(struct sip_ua *ua, const struct sipmsg *req,
			   const struct sip_source *src)
{
	bool invite = strcmp(sipmsg_method(req), "INVITE") == 0;
	struct txn *x = txn_alloc(ua, invite ? TXN_IS : TXN_NIS);
	const char *branch = sipmsg_via_branch(req);
	uint32_t num = 0;

	if (x == NULL)
		return NULL;
	if (branch == NULL || sipmsg_cseq(req, &num, NULL) != FGW_OK ||
	    copy(x->branch, sizeof x->branch, branch) != FGW_OK ||
	    copy(x->method, sizeof x->method, sipmsg_method(req)) != FGW_OK ||
	    sipb_serialize(req, &x->req, &x->req_len) != FGW_OK) {
		txn_free(x);
		return NULL;
	}
	x->cseq = num;
	x->peer = *src;
	x->proto = src->transport;
	x->state = invite ? TS_PROCEEDING : TS_TRYING;
	TAILQ_INSERT_TAIL(&ua->txns, x, link);
	ua->ntxns++;
	return x;
}

static struct txn *server_find(struct sip_ua *ua, const char *branch, const char *method)
{
	struct txn *x;

	TAILQ_FOREACH(x, &ua->txns, link)
		if (x->state != TS_DEAD && (x->kind == TXN_IS || x->kind == TXN_NIS) &&
		    strcmp(x->branch, branch) == 0 && strcmp(x->method, method) == 0)
			return x;
	return NULL;
}

struct txn *txn_server_find(struct sip_ua *ua, const struct sipmsg *req, bool ack)
{
	const char *branch = sipmsg_via_branch(req);

	if (branch == NULL)
		return NULL;
	return server_find(ua, branch, ack ? "INVITE" : sipmsg_method(req));
}

struct txn *txn_server_find_invite(struct sip_ua *ua, const struct sipmsg *cancel)
{
	return txn_server_find(ua, cancel, true);
}

int txn_send_response(struct txn *x, int status, const char *resp, size_t len)
{
	int rc;

	if (x->state == TS_DEAD || (x->status >= 200))
		return FGW_ERR_STATE;
	if ((rc = dup_bytes(&x->msg, &x->msg_len, resp, len)) != FGW_OK)
		return rc;
	x->status = status;
	rc = txn_xmit(x, resp, len);
	if (status < 200)
		return rc;
	if (x->kind == TXN_NIS) {
		x->state = TS_COMPLETED;
		ua_timer_ms(x->timeout, reliable(x) ? 0 : 64LL * x->ua->t1);
	} else if (status < 300) {
		x->state = TS_ACCEPTED;
		ua_timer_ms(x->timeout, 64LL * x->ua->t1);
	} else {
		x->state = TS_COMPLETED;
		x->interval_ms = x->ua->t1;
		if (!reliable(x))
			ua_timer_ms(x->retx, x->interval_ms);
		ua_timer_ms(x->timeout, 64LL * x->ua->t1);
	}
	return rc;
}

int txn_respond(struct txn *x, int status, const char *to_tag, const char *contact,
		const char *headers, const char *body, size_t body_len)
{
	struct sipmsg *req = NULL;
	struct sipmsg_reply r = {
		.to_tag = to_tag, .contact = contact,
		.content_type = body_len ? "application/sdp" : NULL,
		.body = body, .body_len = body_len,
	};
	char buf[SIPMSG_MAX_UDP];
	size_t len;
	int rc;

	if (x == NULL || x->state == TS_DEAD)
		return FGW_ERR_STATE;
	if ((rc = sipmsg_parse((const uint8_t *)x->req, x->req_len, &req, NULL, 0)) != FGW_OK)
		return rc;
	rc = sipmsg_build_response(req, status, &r, buf, sizeof buf, &len);
	sipmsg_free(req);
	if (rc == FGW_OK && headers != NULL && headers[0] != '\0')
		rc = sipb_insert(buf, sizeof buf, &len, headers);
	if (rc != FGW_OK) {
		log_debug("sip: cannot build a %d to %s: %s", status, x->method, fgw_strerror(rc));
		return rc;
	}
	return txn_send_response(x, status, buf, len);
}

void txn_server_again(struct txn *x, bool ack)
{
	if (ack) {
		if (x->kind == TXN_IS && x->state == TS_COMPLETED) {
			x->state = TS_CONFIRMED;
			evtimer_del(x->retx);
			ua_timer_ms(x->timeout, reliable(x) ? 0 : x->ua->t4);
		}
		return;
	}
	/* RFC 6026: in Accepted the 2xx is the dialog's to resend */
	if (x->msg != NULL && x->state != TS_ACCEPTED && x->state != TS_CONFIRMED)
		(void)txn_xmit(x, x->msg, x->msg_len);
}
