/* The user agent's core: set-up, the reaper, and the dispatch of every
 * received message to a transaction, a dialog or an out-of-dialog
 * handler. See sip_ua.h. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/sip_ua_int.h"
#include "gateway/sipmsg.h"

#define UA_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE"

/* ---- the reaper: deferred on_ended and frees ------------------------------ */

static void reap(evutil_socket_t fd, short what, void *arg)
{
	struct sip_ua *ua = arg;
	struct sip_dialog *d;
	struct txn *x, *next;

	(void)fd;
	(void)what;
	while ((d = TAILQ_FIRST(&ua->dead_dialogs)) != NULL) {
		TAILQ_REMOVE(&ua->dead_dialogs, d, link);
		if (ua->cb.on_ended != NULL)
			ua->cb.on_ended(ua->arg, d, d->end_status, d->end_reason);
		dlg_free(d);
	}
	for (x = TAILQ_FIRST(&ua->txns); x != NULL; x = next) {
		next = TAILQ_NEXT(x, link);
		if (x->state == TS_DEAD) {
			TAILQ_REMOVE(&ua->txns, x, link);
			ua->ntxns--;
			txn_free(x);
		}
	}
}

/* ---- set-up ---------------------------------------------------------------- */

static unsigned or_default(unsigned v, unsigned def)
{
	return v ? v : def;
}

int sip_ua_new(struct event_base *base, struct sip_transport *t,
	       const struct sip_ua_options *opt, const struct sip_ua_callbacks *cb,
	       void *arg, struct sip_ua **out)
{
	static const struct sip_ua_options none;
	const struct sip_ua_options *o = opt ? opt : &none;
	struct sip_ua *ua;

	*out = NULL;
	if (base == NULL || cb == NULL)
		return FGW_ERR_INVALID;
	if ((ua = calloc(1, sizeof *ua)) == NULL)
		return FGW_ERR_NOMEM;
	ua->base = base;
	ua->t = t;
	ua->cb = *cb;
	ua->arg = arg;
	ua->max_calls = or_default(o->max_calls, 64);
	ua->se_s = or_default(o->session_expires, 1800);
	ua->min_se_s = or_default(o->min_se, 90);
	ua->t1 = or_default(o->t1_ms, 500);
	ua->t2 = or_default(o->t2_ms, 4000);
	ua->t4 = or_default(o->t4_ms, 5000);
	ua->answer_s = or_default(o->answer_timeout_s, 180);
	TAILQ_INIT(&ua->txns);
	TAILQ_INIT(&ua->dialogs);
	TAILQ_INIT(&ua->dead_dialogs);
	if (str_copy(ua->user, sizeof ua->user, o->user ? o->user : "faxgw") != FGW_OK ||
	    strpbrk(ua->user, "@:;<> \r\n") != NULL || ua->min_se_s > ua->se_s ||
	    (t != NULL && sip_transport_local(t, ua->local, sizeof ua->local) != FGW_OK) ||
	    (t == NULL && str_copy(ua->local, sizeof ua->local, "127.0.0.1:5060") != FGW_OK)) {
		free(ua);
		return FGW_ERR_INVALID;
	}
	if ((ua->reaper = event_new(base, -1, 0, reap, ua)) == NULL) {
		free(ua);
		return FGW_ERR_NOMEM;
	}
	*out = ua;
	return FGW_OK;
}

void sip_ua_free(struct sip_ua *ua)
{
	struct sip_dialog *d;
	struct txn *x;

	if (ua == NULL)
		return;
	while ((d = TAILQ_FIRST(&ua->dialogs)) != NULL) {
		(void)sip_dialog_hangup(d);
		if (!d->ended)
			dlg_end(d, 0, "shutdown");
		else
			(void)str_copy(d->end_reason, sizeof d->end_reason, "shutdown");
	}
	reap(-1, 0, ua);
	while ((x = TAILQ_FIRST(&ua->txns)) != NULL) {
		TAILQ_REMOVE(&ua->txns, x, link);
		txn_free(x);
	}
	event_free(ua->reaper);
	free(ua);
}

unsigned sip_ua_dialogs(const struct sip_ua *ua)
{
	return ua->ndialogs;
}

void sip_ua_set_limits(struct sip_ua *ua, unsigned max_calls, unsigned session_expires)
{
	if (max_calls)
		ua->max_calls = max_calls;
	if (session_expires >= ua->min_se_s)
		ua->se_s = session_expires;
}

int sip_ua_contact(const struct sip_ua *ua, int proto, char *buf, size_t size)
{
	return str_format(buf, size, "<sip:%s@%s%s>", ua->user, ua->local,
			  proto == SIP_PROTO_TCP ? ";transport=tcp" : "");
}

/* ---- out-of-dialog requests ------------------------------------------------ */

static void options_reply(struct sip_ua *ua, struct txn *x)
{
	char hdr[UA_HDR_MAX] = "";

	(void)ua;
	if (sipb_add(hdr, sizeof hdr, "Allow", UA_ALLOW) == FGW_OK &&
	    sipb_add(hdr, sizeof hdr, "Accept", "application/sdp") == FGW_OK &&
	    sipb_add(hdr, sizeof hdr, "Supported", "timer") == FGW_OK)
		(void)txn_respond(x, 200, NULL, NULL, hdr, NULL, 0);
}

/* Reads the status of a response an application built ("SIP/2.0 401 ..."). */
static int resp_status(const char *resp, size_t len)
{
	char num[4];
	long long v;

	if (len < 12 || memcmp(resp, "SIP/2.0 ", 8) != 0)
		return 0;
	memcpy(num, resp + 8, 3);
	num[3] = '\0';
	return str_to_int(num, 100, 699, &v) == FGW_OK ? (int)v : 0;
}

int ua_send_app_response(struct txn *x, const char *resp, size_t len)
{
	int status = resp_status(resp, len);

	if (status == 0)
		return FGW_ERR_INVALID;
	return txn_send_response(x, status, resp, len);
}

static void app_request(struct sip_ua *ua, struct txn *x, const struct sipmsg *m,
			const struct sip_source *src)
{
	char *resp;
	size_t len = 0;
	int rc = FGW_ERR_UNSUPPORTED;

	if (ua->cb.on_request != NULL && (resp = malloc(SIP_UA_RESP_MAX)) != NULL) {
		rc = ua->cb.on_request(ua->arg, m, src, resp, SIP_UA_RESP_MAX, &len);
		if (rc == FGW_OK && ua_send_app_response(x, resp, len) != FGW_OK)
			rc = FGW_ERR_INVALID;
		free(resp);
	}
	if (rc == FGW_ERR_UNSUPPORTED) {
		char hdr[UA_HDR_MAX] = "";

		if (sipb_add(hdr, sizeof hdr, "Allow", UA_ALLOW) == FGW_OK)
			(void)txn_respond(x, 405, NULL, NULL, hdr, NULL, 0);
	} else if (rc != FGW_OK && x->status < 200) {
		(void)txn_respond(x, 500, NULL, NULL, NULL, NULL, 0);
	}
}

static void on_cancel(struct sip_ua *ua, struct txn *x, const struct sipmsg *m)
{
	struct txn *inv = txn_server_find_invite(ua, m);

	if (inv == NULL) {
		(void)txn_respond(x, 481, NULL, NULL, NULL, NULL, 0);
		return;
	}
	(void)txn_respond(x, 200, NULL, NULL, NULL, NULL, 0);
	if (inv->status < 200 && inv->dlg != NULL)
		dlg_on_cancel(inv->dlg, inv);
}

static void out_of_dialog(struct sip_ua *ua, struct txn *x, const struct sipmsg *m,
			  const struct sip_source *src)
{
	const char *method = sipmsg_method(m);

	if (strcmp(method, "INVITE") == 0)
		dlg_on_invite(ua, x, m, src);
	else if (strcmp(method, "OPTIONS") == 0)
		options_reply(ua, x);
	else if (strcmp(method, "BYE") == 0 || strcmp(method, "UPDATE") == 0 ||
		 strcmp(method, "INFO") == 0 || strcmp(method, "PRACK") == 0)
		(void)txn_respond(x, 481, NULL, NULL, NULL, NULL, 0);
	else
		app_request(ua, x, m, src);
}

/* Checks what every request needs beyond sipmsg's parse. Returns the
 * status to refuse with, 0 when fine. */
static int request_check(const struct sipmsg *m)
{
	const char *cm = NULL;
	uint32_t num;

	if (sipmsg_cseq(m, &num, &cm) != FGW_OK || cm == NULL)
		return 400;
	if (strcmp(cm, sipmsg_method(m)) != 0)
		return 400;
	if (sipb_max_forwards(m) == 0)
		return 483;
	return 0;
}

static void on_request(struct sip_ua *ua, const struct sipmsg *m, const struct sip_source *src)
{
	const char *method = sipmsg_method(m);
	struct txn *x;
	int refuse;

	if (sipmsg_via_branch(m) == NULL) {
		log_debug("sip: dropped a %s from %s without a Via branch", method, src->addr);
		return;
	}
	if (strcmp(method, "ACK") == 0) {
		struct sip_dialog *d;

		if ((x = txn_server_find(ua, m, true)) != NULL && x->status >= 300)
			txn_server_again(x, true);
		else if ((d = dlg_find(ua, m, true)) != NULL)
			dlg_on_ack(d, m);
		return;
	}
	if ((x = txn_server_find(ua, m, false)) != NULL) {
		txn_server_again(x, false);
		return;
	}
	/* a flood of distinct requests must not grow memory without bound:
	 * each server transaction lives up to 64*T1 */
	if (ua->ntxns >= SIP_UA_TXN_MAX) {
		log_debug("sip: dropped a %s from %s: %u transactions open", method, src->addr,
			  ua->ntxns);
		return;
	}
	if ((x = txn_server_new(ua, m, src)) == NULL)
		return;
	if ((refuse = request_check(m)) != 0) {
		(void)txn_respond(x, refuse, NULL, NULL, NULL, NULL, 0);
		return;
	}
	if (strcmp(method, "CANCEL") == 0) {
		on_cancel(ua, x, m);
	} else if (sipmsg_to_tag(m) != NULL) {
		struct sip_dialog *d = dlg_find(ua, m, true);

		if (d == NULL)
			(void)txn_respond(x, 481, NULL, NULL, NULL, NULL, 0);
		else
			dlg_on_request(d, x, m);
	} else {
		out_of_dialog(ua, x, m, src);
	}
}

void sip_ua_receive(void *arg, struct sipmsg *m, const struct sip_source *src)
{
	struct sip_ua *ua = arg;

	if (sipmsg_is_request(m))
		on_request(ua, m, src);
	else if (!txn_client_response(ua, m))
		log_debug("sip: a %d to %s from %s matches no transaction", sipmsg_status(m),
			  sipmsg_method(m), src->addr);
}

int sip_ua_receive_bytes(struct sip_ua *ua, const uint8_t *buf, size_t len,
			 const struct sip_source *src)
{
	struct sipmsg *m = NULL;
	int rc = sipmsg_parse(buf, len, &m, NULL, 0);

	if (rc != FGW_OK)
		return rc;
	sip_ua_receive(ua, m, src);
	sipmsg_free(m);
	return FGW_OK;
}

/* ---- sip_ua_request: our own out-of-dialog requests ------------------------ */

static void request_done(struct txn *x, int status, const struct sipmsg *m)
{
	sip_ua_response_fn *fn = x->app_fn;

	if (status < 200 || fn == NULL)
		return;
	x->app_fn = NULL;
	fn(x->app_arg, status, m);
}

static int request_text(struct sip_ua *ua, const struct sip_request_params *p,
			const char *branch, char *buf, size_t size, size_t *len)
{
	char via[SIP_ADDR_MAX + 96], from[UA_URI_MAX], to[UA_URI_MAX], cid[UA_CALLID_MAX];
	char tag[UA_TAG_MAX], contact[UA_URI_MAX];
	bool tcp = p->proto == SIP_PROTO_TCP;

	sipb_token(ua, tag, sizeof tag);
	if (p->call_id == NULL) {
		sipb_token(ua, cid, sizeof cid);
	} else if (str_copy(cid, sizeof cid, p->call_id) != FGW_OK) {
		return FGW_ERR_INVALID;
	}
	if (str_format(via, sizeof via, "SIP/2.0/%s %s;branch=%s;rport", tcp ? "TCP" : "UDP",
		       ua->local, branch) != FGW_OK ||
	    (p->from ? str_format(from, sizeof from, "%s;tag=%s", p->from, tag)
		     : str_format(from, sizeof from, "<sip:%s@%s>;tag=%s",
				  p->from_user ? p->from_user : ua->user, ua->local, tag)) != FGW_OK ||
	    (p->to ? str_copy(to, sizeof to, p->to)
		   : str_format(to, sizeof to, "<%s>", p->request_uri)) != FGW_OK ||
	    sip_ua_contact(ua, p->proto, contact, sizeof contact) != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	struct sipmsg_request q = {
		.method = p->method, .uri = p->request_uri, .via = via, .from = from,
		.to = to, .call_id = cid, .cseq = p->cseq ? p->cseq : 1,
		.contact = p->contact ? contact : NULL,
	};
	int rc = sipmsg_build_request(&q, buf, size, len);
	if (rc == FGW_OK && p->extra_headers != NULL && p->extra_headers[0] != '\0')
		rc = sipb_insert(buf, size, len, p->extra_headers);
	return rc;
}

static bool headers_ok(const char *h)
{
	size_t n;

	if (h == NULL)
		return true;
	n = strlen(h);
	if (n > 0 && (n < 2 || memcmp(h + n - 2, "\r\n", 2) != 0))
		return false;
	/* every line must be "Name: value": a blank line would end the headers */
	return strstr(h, "\r\n\r\n") == NULL && h[0] != '\r' && strchr(h, '\0') == h + n;
}

int sip_ua_request(struct sip_ua *ua, const struct sip_request_params *p,
		   sip_ua_response_fn *fn, void *arg)
{
	char dest[SIP_ADDR_MAX], branch[UA_TAG_MAX + 8], tok[UA_TAG_MAX], buf[SIPMSG_MAX_UDP];
	size_t len;
	int proto, rc;
	struct txn *x;

	if (p == NULL || p->method == NULL || p->request_uri == NULL || !headers_ok(p->extra_headers) ||
	    (p->from && strpbrk(p->from, "\r\n")) || (p->to && strpbrk(p->to, "\r\n")) ||
	    strcmp(p->method, "INVITE") == 0 || strcmp(p->method, "ACK") == 0)
		return FGW_ERR_INVALID;
	if (p->dest ? str_copy(dest, sizeof dest, p->dest) != FGW_OK
		    : sipb_uri_dest(p->request_uri, dest, sizeof dest, &proto) != FGW_OK)
		return FGW_ERR_INVALID;
	sipb_token(ua, tok, sizeof tok);
	if (str_format(branch, sizeof branch, "z9hG4bK%s", tok) != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	if ((rc = request_text(ua, p, branch, buf, sizeof buf, &len)) != FGW_OK)
		return rc;
	x = txn_client_new(ua, TXN_NIC, branch, p->method, p->cseq ? p->cseq : 1, buf, len, dest,
			   p->proto ? p->proto : SIP_PROTO_UDP, NULL, request_done, NULL);
	if (x == NULL)
		return FGW_ERR_IO;
	x->app_fn = fn;
	x->app_arg = arg;
	return FGW_OK;
}
