/* SIP message wrapper over libosip2; see sipmsg.h. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/sipmsg.h"

struct sipmsg {
	osip_message_t *m;
};

/* osip's header tables are process-wide: fill them exactly once. */
static pthread_once_t osip_once = PTHREAD_ONCE_INIT;

static void osip_silent(const char *file, int line, osip_trace_level_t level,
			const char *fmt, va_list ap)
{
	(void)file;
	(void)line;
	(void)level;
	(void)fmt;
	(void)ap;
}

static void osip_tables_init(void)
{
	if (parser_init() != 0)
		abort();     /* osip only fails here when out of memory at start */
	/* osip would print a line to stderr for every malformed datagram: a
	 * peer could flood our logs. Callers get our own error text instead. */
	osip_trace_initialize_func(TRACE_LEVEL0, osip_silent);
	for (int l = TRACE_LEVEL0; l < END_TRACE_LEVEL; l++)
		osip_trace_disable_level((osip_trace_level_t)l);
}

static int osip_ready(void)
{
	return pthread_once(&osip_once, osip_tables_init) == 0 ? FGW_OK : FGW_ERR_NOMEM;
}

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errsize, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsize == 0)
		return rc;
	va_start(ap, fmt);
	if (vsnprintf(err, errsize, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
	return rc;
}

/* Offset of the body: just past the first empty line; 0 when none. */
static size_t headers_end(const uint8_t *buf, size_t len, size_t *nlines)
{
	size_t lines = 0;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		*nlines = lines;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
		lines++;
	}
	return 0;
}

static int precheck(const uint8_t *buf, size_t len, size_t *body_off, char *err, size_t errsize)
{
	size_t lines = 0;

	if (len == 0)
		return fail(err, errsize, FGW_ERR_PARSE, "empty datagram");
	if (len > SIPMSG_MAX_UDP)
		return fail(err, errsize, FGW_ERR_TOO_LARGE,
			    "message of %zu bytes exceeds %d", len, SIPMSG_MAX_UDP);
	if ((*body_off = headers_end(buf, len, &lines)) == 0)
		return fail(err, errsize, FGW_ERR_PARSE, "no empty line ends the headers");
	if (memchr(buf, '\0', *body_off) != NULL)
		return fail(err, errsize, FGW_ERR_PARSE, "a NUL byte in the headers");
	if (lines > SIPMSG_MAX_HEADERS)
		return fail(err, errsize, FGW_ERR_TOO_LARGE,
			    "%zu header lines exceed %d", lines, SIPMSG_MAX_HEADERS);
	return FGW_OK;
}

static int postcheck(const osip_message_t *m, size_t body_bytes, char *err, size_t errsize)
{
	long long clen;

	if (osip_list_size(&m->vias) < 1)
		return fail(err, errsize, FGW_ERR_PARSE, "no Via header");
	if (m->from == NULL || m->to == NULL || m->call_id == NULL || m->cseq == NULL)
		return fail(err, errsize, FGW_ERR_PARSE, "missing %s header",
			    !m->from ? "From" : !m->to ? "To" : !m->call_id ? "Call-ID" : "CSeq");
	if (m->cseq->number == NULL || m->cseq->method == NULL)
		return fail(err, errsize, FGW_ERR_PARSE, "CSeq without number or method");
	if (MSG_IS_REQUEST(m) && (m->req_uri == NULL || m->sip_method == NULL))
		return fail(err, errsize, FGW_ERR_PARSE, "request without method or Request-URI");
	if (m->content_length == NULL || m->content_length->value == NULL)
		return FGW_OK;
	if (str_to_int(m->content_length->value, 0, SIPMSG_MAX_UDP, &clen) != FGW_OK)
		return fail(err, errsize, FGW_ERR_PARSE, "Content-Length \"%s\" is not 0..%d",
			    m->content_length->value, SIPMSG_MAX_UDP);
	if ((size_t)clen > body_bytes)
		return fail(err, errsize, FGW_ERR_TRUNCATED,
			    "Content-Length %lld but only %zu body bytes", clen, body_bytes);
	return FGW_OK;
}

int sipmsg_parse(const uint8_t *buf, size_t len, struct sipmsg **out, char *err, size_t errsize)
{
	struct sipmsg *s;
	size_t body_off = 0;
	int rc;

	*out = NULL;
	if (err && errsize)
		err[0] = '\0';
	if ((rc = precheck(buf, len, &body_off, err, errsize)) != FGW_OK)
		return rc;
	if (osip_ready() != FGW_OK || (s = calloc(1, sizeof *s)) == NULL)
		return fail(err, errsize, FGW_ERR_NOMEM, "out of memory");
	if (osip_message_init(&s->m) != 0) {
		free(s);
		return fail(err, errsize, FGW_ERR_NOMEM, "out of memory");
	}
	if (osip_message_parse(s->m, (const char *)buf, len) != 0) {
		sipmsg_free(s);
		return fail(err, errsize, FGW_ERR_PARSE, "not a well-formed SIP message");
	}
	if ((rc = postcheck(s->m, len - body_off, err, errsize)) != FGW_OK) {
		sipmsg_free(s);
		return rc;
	}
	*out = s;
	return FGW_OK;
}

void sipmsg_free(struct sipmsg *m)
{
	if (m == NULL)
		return;
	osip_message_free(m->m);
	free(m);
}

struct osip_message *sipmsg_osip(struct sipmsg *m)
{
	return m->m;
}

bool sipmsg_is_request(const struct sipmsg *m)
{
	return MSG_IS_REQUEST(m->m);
}

const char *sipmsg_method(const struct sipmsg *m)
{
	return MSG_IS_REQUEST(m->m) ? m->m->sip_method : m->m->cseq->method;
}

int sipmsg_status(const struct sipmsg *m)
{
	return MSG_IS_REQUEST(m->m) ? 0 : m->m->status_code;
}

int sipmsg_cseq(const struct sipmsg *m, uint32_t *num, const char **method)
{
	long long v;

	if (str_to_int(m->m->cseq->number, 0, 0x7fffffff, &v) != FGW_OK)
		return FGW_ERR_PARSE;
	*num = (uint32_t)v;
	if (method)
		*method = m->m->cseq->method;
	return FGW_OK;
}

int sipmsg_call_id(const struct sipmsg *m, char *buf, size_t size)
{
	const osip_call_id_t *c = m->m->call_id;

	if (c->number == NULL)
		return FGW_ERR_PARSE;
	if (c->host != NULL)
		return str_format(buf, size, "%s@%s", c->number, c->host);
	return str_copy(buf, size, c->number);
}

static const char *tag_of(osip_from_t *h)
{
	osip_generic_param_t *p = NULL;

	if (h == NULL || osip_from_get_tag(h, &p) != 0 || p == NULL)
		return NULL;
	return p->gvalue;
}

const char *sipmsg_from_tag(const struct sipmsg *m)
{
	return tag_of(m->m->from);
}

const char *sipmsg_to_tag(const struct sipmsg *m)
{
	return tag_of(m->m->to);
}

const char *sipmsg_via_branch(const struct sipmsg *m)
{
	osip_via_t *via = NULL;
	osip_generic_param_t *p = NULL;

	if (osip_message_get_via(m->m, 0, &via) < 0 || via == NULL)
		return NULL;
	if (osip_via_param_get_byname(via, "branch", &p) != 0 || p == NULL)
		return NULL;
	return p->gvalue;
}

const char *sipmsg_request_user(const struct sipmsg *m)
{
	if (!MSG_IS_REQUEST(m->m) || m->m->req_uri == NULL)
		return NULL;
	return m->m->req_uri->username;
}

/* Copies an osip-allocated string into buf and frees it. */
static int take_osip_string(char *s, char *buf, size_t size)
{
	int rc = str_copy(buf, size, s);

	osip_free(s);
	return rc;
}

int sipmsg_contact_uri(const struct sipmsg *m, char *buf, size_t size)
{
	osip_contact_t *c = NULL;
	char *s = NULL;

	if (osip_message_get_contact(m->m, 0, &c) < 0 || c == NULL || c->url == NULL)
		return FGW_ERR_NOT_FOUND;
	if (osip_uri_to_str(c->url, &s) != 0 || s == NULL)
		return FGW_ERR_NOMEM;
	return take_osip_string(s, buf, size);
}

int sipmsg_content_type(const struct sipmsg *m, char *buf, size_t size)
{
	const osip_content_type_t *ct = m->m->content_type;
	int rc;

	if (ct == NULL || ct->type == NULL || ct->subtype == NULL)
		return FGW_ERR_NOT_FOUND;
	if ((rc = str_format(buf, size, "%s/%s", ct->type, ct->subtype)) != FGW_OK)
		return rc;
	for (char *p = buf; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return FGW_OK;
}

int sipmsg_body(const struct sipmsg *m, const char **body, size_t *len)
{
	osip_body_t *b = NULL;

	if (osip_message_get_body(m->m, 0, &b) < 0 || b == NULL || b->body == NULL)
		return FGW_ERR_NOT_FOUND;
	*body = b->body;
	*len = b->length;
	return FGW_OK;
}
