/* Writing SIP requests and responses through libosip2; see sipmsg.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/sipmsg.h"

/* Header injection guard: a value we write must stay one header. */
static bool value_ok(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") == NULL;
}

static int via_clone(void *src, void **dst)
{
	return osip_via_clone(src, (osip_via_t **)dst);
}

/* Serialises m into buf and frees m. */
static int finish(osip_message_t *m, char *buf, size_t size, size_t *out_len)
{
	char *s = NULL;
	size_t n = 0;
	int rc = FGW_OK;

	if (osip_message_to_str(m, &s, &n) != 0 || s == NULL)
		rc = FGW_ERR_INVALID;
	else if (n >= size)
		rc = FGW_ERR_TOO_LARGE;
	else {
		memcpy(buf, s, n);
		buf[n] = '\0';
		*out_len = n;
	}
	if (s != NULL)
		osip_free(s);
	osip_message_free(m);
	return rc;
}

static int set_body(osip_message_t *m, const char *ctype, const char *body, size_t len)
{
	char clen[24];

	if (ctype != NULL && osip_message_set_content_type(m, ctype) != 0)
		return FGW_ERR_INVALID;
	if (body != NULL && len > 0 && osip_message_set_body(m, body, len) != 0)
		return FGW_ERR_INVALID;
	if (str_format(clen, sizeof clen, "%zu", body ? len : 0) != FGW_OK ||
	    osip_message_set_content_length(m, clen) != 0)
		return FGW_ERR_INVALID;
	return FGW_OK;
}

static int copy_dialog_headers(const osip_message_t *req, osip_message_t *r, const char *to_tag)
{
	osip_generic_param_t *tag = NULL;

	if (osip_list_clone(&req->vias, &r->vias, via_clone) != 0 ||
	    osip_from_clone(req->from, &r->from) != 0 || osip_to_clone(req->to, &r->to) != 0 ||
	    osip_call_id_clone(req->call_id, &r->call_id) != 0 ||
	    osip_cseq_clone(req->cseq, &r->cseq) != 0)
		return FGW_ERR_NOMEM;
	if (to_tag != NULL && osip_to_get_tag(r->to, &tag) != 0 &&
	    osip_to_set_tag(r->to, osip_strdup(to_tag)) != 0)
		return FGW_ERR_NOMEM;
	return FGW_OK;
}

int sipmsg_build_response(const struct sipmsg *req, int status,
			  const struct sipmsg_reply *extra,
			  char *buf, size_t size, size_t *out_len)
{
	static const struct sipmsg_reply none;
	const struct sipmsg_reply *x = extra ? extra : &none;
	const osip_message_t *q = sipmsg_osip((struct sipmsg *)req);
	const char *reason = osip_message_get_reason(status);
	osip_message_t *r;
	int rc;

	if (!sipmsg_is_request(req) || status < 100 || status > 699 ||
	    !value_ok(x->to_tag) || !value_ok(x->contact) || !value_ok(x->content_type))
		return FGW_ERR_INVALID;
	if (osip_message_init(&r) != 0)
		return FGW_ERR_NOMEM;
	osip_message_set_version(r, osip_strdup("SIP/2.0"));
	osip_message_set_status_code(r, status);
	osip_message_set_reason_phrase(r, osip_strdup(reason ? reason : "Unknown"));
	rc = copy_dialog_headers(q, r, x->to_tag);
	if (rc == FGW_OK && x->contact != NULL && osip_message_set_contact(r, x->contact) != 0)
		rc = FGW_ERR_INVALID;
	if (rc == FGW_OK)
		rc = set_body(r, x->content_type, x->body, x->body_len);
	if (rc != FGW_OK) {
		osip_message_free(r);
		return rc;
	}
	return finish(r, buf, size, out_len);
}

static bool request_ok(const struct sipmsg_request *q)
{
	const char *must[] = { q->method, q->uri, q->via, q->from, q->to, q->call_id };

	for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
		if (must[i] == NULL || must[i][0] == '\0' || !value_ok(must[i]))
			return false;
	if (strpbrk(q->method, " \t") != NULL || strpbrk(q->uri, " \t") != NULL)
		return false;
	return value_ok(q->contact) && value_ok(q->content_type);
}

static int request_headers(osip_message_t *m, const struct sipmsg_request *q)
{
	char num[32];
	osip_uri_t *uri = NULL;

	if (osip_uri_init(&uri) != 0)
		return FGW_ERR_NOMEM;
	if (osip_uri_parse(uri, q->uri) != 0) {
		osip_uri_free(uri);
		return FGW_ERR_INVALID;
	}
	osip_message_set_uri(m, uri);
	osip_message_set_method(m, osip_strdup(q->method));
	osip_message_set_version(m, osip_strdup("SIP/2.0"));
	if (osip_message_set_via(m, q->via) != 0 || osip_message_set_from(m, q->from) != 0 ||
	    osip_message_set_to(m, q->to) != 0 || osip_message_set_call_id(m, q->call_id) != 0)
		return FGW_ERR_INVALID;
	if (str_format(num, sizeof num, "%u %s", q->cseq, q->method) != FGW_OK ||
	    osip_message_set_cseq(m, num) != 0)
		return FGW_ERR_INVALID;
	if (str_format(num, sizeof num, "%u", q->max_forwards ? q->max_forwards : 70) != FGW_OK ||
	    osip_message_set_max_forwards(m, num) != 0)
		return FGW_ERR_INVALID;
	if (q->contact != NULL && osip_message_set_contact(m, q->contact) != 0)
		return FGW_ERR_INVALID;
	return set_body(m, q->content_type, q->body, q->body_len);
}

int sipmsg_build_request(const struct sipmsg_request *q, char *buf, size_t size, size_t *out_len)
{
	osip_message_t *m;
	int rc;

	if (!request_ok(q))
		return FGW_ERR_INVALID;
	if (osip_message_init(&m) != 0)
		return FGW_ERR_NOMEM;
	if ((rc = request_headers(m, q)) != FGW_OK) {
		osip_message_free(m);
		return rc;
	}
	return finish(m, buf, size, out_len);
}
