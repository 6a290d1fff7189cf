/* SIP message text helpers for the user agent: extra header lines next to
 * what sipmsg builds, and the header values sipmsg has no accessor for. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/sip_digest.h"
#include "gateway/sip_ua_int.h"
#include "gateway/sipmsg.h"

int sipb_insert(char *buf, size_t size, size_t *len, const char *block)
{
	size_t n = strlen(block);
	char *end = strstr(buf, "\r\n\r\n");

	if (end == NULL)
		return FGW_ERR_INVALID;
	if (*len + n + 1 > size)
		return FGW_ERR_TOO_LARGE;
	size_t at = (size_t)(end - buf) + 2;
	memmove(buf + at + n, buf + at, *len - at + 1);
	memcpy(buf + at, block, n);
	*len += n;
	return FGW_OK;
}

int sipb_add(char *block, size_t size, const char *name, const char *value)
{
	size_t used = strlen(block);

	if (value == NULL || strpbrk(value, "\r\n") != NULL)
		return FGW_ERR_INVALID;
	return str_format(block + used, size - used, "%s: %s\r\n", name, value);
}

void sipb_token(struct sip_ua *ua, char *buf, size_t size)
{
	uint8_t rnd[8] = { 0 };

	/* a token only has to be unique: on a RAND failure the counter still is */
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		memset(rnd, 0, sizeof rnd);
	ua->counter++;
	if (str_format(buf, size, "%02x%02x%02x%02x%02x%02x%02x%02x%llx", rnd[0], rnd[1],
		       rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7],
		       (unsigned long long)ua->counter) != FGW_OK && size > 0)
		buf[size - 1] = '\0';
}

const char *sipb_header(const struct sipmsg *m, const char *name, const char *compact)
{
	osip_message_t *o = sipmsg_osip((struct sipmsg *)m);
	osip_header_t *h = NULL;

	if (osip_message_header_get_byname(o, name, 0, &h) >= 0 && h != NULL && h->hvalue)
		return h->hvalue;
	if (compact != NULL && osip_message_header_get_byname(o, compact, 0, &h) >= 0 &&
	    h != NULL && h->hvalue)
		return h->hvalue;
	return NULL;
}

static bool list_has(const char *v, const char *tok)
{
	size_t tl = strlen(tok);

	while (v != NULL && *v != '\0') {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		size_t n = strcspn(v, ", \t");
		if (n == tl && strncasecmp(v, tok, tl) == 0)
			return true;
		v += n;
	}
	return false;
}

bool sipb_header_has(const struct sipmsg *m, const char *name, const char *compact,
		     const char *tok)
{
	osip_message_t *o = sipmsg_osip((struct sipmsg *)m);
	osip_header_t *h = NULL;

	for (int i = 0; (i = osip_message_header_get_byname(o, name, i, &h)) >= 0 && h; i++)
		if (list_has(h->hvalue, tok))
			return true;
	return compact != NULL && list_has(sipb_header(m, compact, NULL), tok);
}

int sipb_max_forwards(const struct sipmsg *m)
{
	osip_message_t *o = sipmsg_osip((struct sipmsg *)m);
	osip_header_t *h = NULL;
	long long v;

	if (osip_message_get_max_forwards(o, 0, &h) < 0 || h == NULL || h->hvalue == NULL)
		return -1;
	if (str_to_int(h->hvalue, 0, 255, &v) != FGW_OK)
		return 0;     /* malformed: treat as exhausted rather than loop */
	return (int)v;
}

int sipb_uri_dest(const char *text, char *dest, size_t size, int *proto)
{
	osip_uri_t *u = NULL;
	osip_uri_param_t *tp = NULL;
	int rc = FGW_ERR_INVALID;

	*proto = SIP_PROTO_UDP;
	if (osip_uri_init(&u) != 0)
		return FGW_ERR_NOMEM;
	if (osip_uri_parse(u, text) == 0 && u->host != NULL && u->host[0] != '\0') {
		const char *port = u->port && u->port[0] ? u->port : "5060";
		bool v6 = strchr(u->host, ':') != NULL;

		rc = str_format(dest, size, v6 ? "[%s]:%s" : "%s:%s", u->host, port);
		if (osip_uri_uparam_get_byname(u, "transport", &tp) == 0 && tp && tp->gvalue &&
		    strcasecmp(tp->gvalue, "tcp") == 0)
			*proto = SIP_PROTO_TCP;
	}
	osip_uri_free(u);
	return rc;
}

int sipb_record_routes(const struct sipmsg *m, bool reverse, char *buf, size_t size)
{
	osip_message_t *o = sipmsg_osip((struct sipmsg *)m);
	int n = osip_list_size(&o->record_routes);
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		osip_record_route_t *rr = osip_list_get(&o->record_routes, reverse ? n - 1 - i : i);
		char *s = NULL;

		if (rr == NULL || osip_record_route_to_str(rr, &s) != 0 || s == NULL)
			return FGW_ERR_PARSE;
		int rc = str_format(buf + used, size - used, "%s%s", used ? ", " : "", s);
		osip_free(s);
		if (rc != FGW_OK)
			return rc;
		used = strlen(buf);
	}
	return FGW_OK;
}

/* name-addr of a From/To without its tag. */
static int addr_no_tag(osip_from_t *f, char *buf, size_t size)
{
	char *s = NULL;

	if (f == NULL || f->url == NULL || osip_uri_to_str(f->url, &s) != 0 || s == NULL)
		return FGW_ERR_PARSE;
	int rc = str_format(buf, size, "<%s>", s);
	osip_free(s);
	return rc;
}

int sipb_from_uri(const struct sipmsg *m, char *buf, size_t size)
{
	return addr_no_tag(sipmsg_osip((struct sipmsg *)m)->from, buf, size);
}

int sipb_to_uri(const struct sipmsg *m, char *buf, size_t size)
{
	return addr_no_tag(sipmsg_osip((struct sipmsg *)m)->to, buf, size);
}

unsigned sipb_session_expires(const struct sipmsg *m, char *refresher, size_t size)
{
	const char *v = sipb_header(m, "session-expires", "x");
	char num[16];
	long long s;
	size_t n;

	refresher[0] = '\0';
	if (v == NULL)
		return 0;
	n = strspn(v, "0123456789");
	if (n == 0 || n >= sizeof num)
		return 0;
	memcpy(num, v, n);
	num[n] = '\0';
	if (str_to_int(num, 1, 86400 * 7, &s) != FGW_OK)
		return 0;
	const char *r = strcasestr(v + n, "refresher=");
	if (r != NULL) {
		r += 10;
		if (strncasecmp(r, "uac", 3) == 0)
			(void)str_copy(refresher, size, "uac");
		else if (strncasecmp(r, "uas", 3) == 0)
			(void)str_copy(refresher, size, "uas");
	}
	return (unsigned)s;
}

int sipb_body_copy(const struct sipmsg *m, char **out, size_t *len)
{
	const char *b;
	size_t n;

	*out = NULL;
	*len = 0;
	if (sipmsg_body(m, &b, &n) != FGW_OK || n == 0)
		return FGW_OK;
	if ((*out = malloc(n + 1)) == NULL)
		return FGW_ERR_NOMEM;
	memcpy(*out, b, n);
	(*out)[n] = '\0';
	*len = n;
	return FGW_OK;
}

int sipb_serialize(const struct sipmsg *m, char **out, size_t *len)
{
	char *s = NULL;
	size_t n = 0;

	*out = NULL;
	if (osip_message_to_str(sipmsg_osip((struct sipmsg *)m), &s, &n) != 0 || s == NULL)
		return FGW_ERR_PARSE;
	*out = malloc(n + 1);
	if (*out != NULL) {
		memcpy(*out, s, n);
		(*out)[n] = '\0';
		*len = n;
	}
	osip_free(s);
	return *out ? FGW_OK : FGW_ERR_NOMEM;
}

int sipb_ack_fields(const struct sipmsg *inv, const struct sipmsg *resp,
		    struct sipmsg_request *q)
{
	osip_message_t *i = sipmsg_osip((struct sipmsg *)inv);
	osip_message_t *r = sipmsg_osip((struct sipmsg *)resp);
	osip_via_t *via = osip_list_get(&i->vias, 0);
	char *uri = NULL, *v = NULL, *from = NULL, *to = NULL, *cid = NULL;

	if (i->req_uri)
		(void)osip_uri_to_str(i->req_uri, &uri);
	if (via)
		(void)osip_via_to_str(via, &v);
	(void)osip_from_to_str(i->from, &from);
	(void)osip_to_to_str(r->to, &to);
	(void)osip_call_id_to_str(i->call_id, &cid);
	q->uri = uri;
	q->via = v;
	q->from = from;
	q->to = to;
	q->call_id = cid;
	if (uri && v && from && to && cid)
		return FGW_OK;
	sipb_ack_fields_free(q);
	return FGW_ERR_PARSE;
}

void sipb_ack_fields_free(struct sipmsg_request *q)
{
	const char **f[] = { &q->uri, &q->via, &q->from, &q->to, &q->call_id };

	for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
		if (*f[k] != NULL)
			osip_free((char *)*f[k]);
		*f[k] = NULL;
	}
}

int sipb_best_challenge(const struct sipmsg *m, int status, struct sip_digest_params *best)
{
	osip_message_t *o = sipmsg_osip((struct sipmsg *)m);
	osip_list_t *l = status == 407 ? &o->proxy_authenticates : &o->www_authenticates;
	struct sip_digest_params *p = calloc(1, sizeof *p);
	int top = 0;

	if (p == NULL)
		return FGW_ERR_NOMEM;
	for (int i = 0; i < osip_list_size(l); i++) {
		osip_www_authenticate_t *wa = osip_list_get(l, i);
		char *s = NULL;

		if (wa == NULL || osip_www_authenticate_to_str(wa, &s) != 0 || s == NULL)
			continue;
		int rank = sip_digest_parse(s, strlen(s), p) == FGW_OK ? sip_digest_client_rank(p) : 0;
		osip_free(s);
		if (rank > top) {
			top = rank;
			*best = *p;
		}
	}
	free(p);
	return top > 0 ? FGW_OK : FGW_ERR_NOT_FOUND;
}

int sip_ua_answer_challenge(const struct sipmsg *resp, const char *method, const char *uri,
			    const char *user, const char *password, uint32_t nc,
			    char *hdr, size_t size, bool *stale)
{
	int status = sipmsg_status(resp);
	struct sip_digest_params cp;
	char val[SIP_DIGEST_HEADER_MAX];
	int rc;

	if ((rc = sipb_best_challenge(resp, status, &cp)) != FGW_OK)
		return rc;
	if (stale != NULL)
		*stale = cp.stale;
	rc = sip_digest_client_answer(&cp, method, uri, user, password, nc, NULL, val, sizeof val);
	if (rc == FGW_OK)
		rc = str_format(hdr, size, "%s: %s\r\n",
				status == 407 ? "Proxy-Authorization" : "Authorization", val);
	OPENSSL_cleanse(val, sizeof val);
	return rc;
}
