/* Registrar bindings: REGISTER's Contact/Expires rules (RFC 3261 10.3
 * steps 6-8, with the Call-ID/CSeq ordering check) over a fixed table. */
#include "gateway/sip_bindings.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/sipmsg.h"
#include "storage/catalog.h"

struct binding {
	bool used;
	char device[CATALOG_NAME_MAX + 1];
	char contact[SIP_REGISTRAR_CONTACT_MAX + 1];
	char source[SIP_REGISTRAR_SOURCE_MAX + 1];
	char call_id[SIP_BINDINGS_CALL_ID_MAX + 1];
	uint32_t cseq;     /* of the REGISTER that last set it */
	int64_t expires_ms;
	int64_t updated_ms;
	uint64_t order;    /* breaks ties between updates in the same ms */
};

struct sip_bindings {
	uint64_t next_order;
	struct binding slot[SIP_REGISTRAR_BINDINGS_MAX];
};

/* Which REGISTER changes a binding: a late copy of an older one (same
 * Call-ID, CSeq not higher) must not undo a newer one. */
struct origin {
	const char *device, *source;
	char call_id[SIP_BINDINGS_CALL_ID_MAX + 1];
	uint32_t cseq;
};

/* One Contact of the request, checked. */
struct wanted {
	char uri[SIP_REGISTRAR_CONTACT_MAX + 1];
	int64_t expires_s;
};

int sip_bindings_new(struct sip_bindings **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? FGW_OK : FGW_ERR_NOMEM;
}

void sip_bindings_free(struct sip_bindings *b)
{
	free(b);
}

static bool live(const struct binding *s, int64_t now_ms)
{
	return s->used && s->expires_ms > now_ms;
}

static bool is_device(const struct binding *s, const char *device, int64_t now_ms)
{
	return live(s, now_ms) && (!device || strcmp(s->device, device) == 0);
}

/* ---- parsing the request ------------------------------------------------ */

static int parse_seconds(const char *s, int64_t *out)
{
	long long v;

	if (!s || str_to_int(s, 0, 0xffffffffLL, &v) != FGW_OK)
		return FGW_ERR_PARSE;
	*out = v;
	return FGW_OK;
}

/* The Expires header's value, or the default. */
static int header_expires(osip_message_t *m, int64_t *out)
{
	osip_header_t *h = NULL;

	if (osip_message_get_expires(m, 0, &h) < 0 || !h) {
		*out = SIP_BINDINGS_DEFAULT_EXPIRES;
		return FGW_OK;
	}
	return parse_seconds(h->hvalue, out);
}

static bool uri_ok(const char *s)
{
	return (strncasecmp(s, "sip:", 4) == 0 || strncasecmp(s, "sips:", 5) == 0) &&
	       strpbrk(s, "<>\"\\ \t\r\n") == NULL;
}

static int read_contact(osip_contact_t *c, int64_t dflt, int64_t max_s, struct wanted *w)
{
	osip_generic_param_t *p = NULL;
	char *text = NULL;
	int rc;

	if (!c->url || osip_uri_to_str(c->url, &text) != 0 || !text)
		return FGW_ERR_PARSE;
	rc = str_copy(w->uri, sizeof w->uri, text);
	osip_free(text);
	if (rc != FGW_OK || !uri_ok(w->uri))
		return FGW_ERR_PARSE;
	w->expires_s = dflt;
	if (osip_contact_param_get_byname(c, "expires", &p) >= 0 && p &&
	    parse_seconds(p->gvalue, &w->expires_s) != FGW_OK)
		return FGW_ERR_PARSE;
	if (w->expires_s > max_s)
		w->expires_s = max_s;
	return FGW_OK;
}

static bool is_star(const osip_contact_t *c)
{
	return !c->url && c->displayname && strcmp(c->displayname, "*") == 0;
}

/* Reads every Contact into w; *n their count, *star for "Contact: *". */
static int read_contacts(osip_message_t *m, int64_t max_s, struct wanted *w, size_t *n,
			 bool *star)
{
	osip_contact_t *c = NULL;
	int64_t dflt = SIP_BINDINGS_DEFAULT_EXPIRES;
	int rc = header_expires(m, &dflt);
	int count = osip_list_size(&m->contacts);

	*n = 0;
	*star = false;
	if (rc != FGW_OK || count < 0 || count > SIP_BINDINGS_CONTACTS_MAX)
		return FGW_ERR_PARSE;
	for (int i = 0; i < count; i++) {
		if (osip_message_get_contact(m, i, &c) < 0 || !c)
			return FGW_ERR_PARSE;
		if (is_star(c)) {
			*star = true;
			continue;
		}
		rc = read_contact(c, dflt, max_s, &w[(*n)++]);
		if (rc != FGW_OK)
			return rc;
	}
	/* "*" only alone and only with Expires: 0 (RFC 3261 10.3 step 6) */
	if (*star && (count != 1 || dflt != 0))
		return FGW_ERR_PARSE;
	return FGW_OK;
}

/* ---- the table ---------------------------------------------------------- */

static struct binding *find(struct sip_bindings *b, const char *device, const char *uri,
			    int64_t now_ms)
{
	for (size_t i = 0; i < SIP_REGISTRAR_BINDINGS_MAX; i++)
		if (is_device(&b->slot[i], device, now_ms) &&
		    strcmp(b->slot[i].contact, uri) == 0)
			return &b->slot[i];
	return NULL;
}

/* A free slot for device: its oldest when it has its maximum, else any
 * unused or expired one; NULL when the table is full. */
static struct binding *free_slot(struct sip_bindings *b, const char *device, int64_t now_ms)
{
	struct binding *oldest = NULL, *empty = NULL;
	size_t mine = 0;

	for (size_t i = 0; i < SIP_REGISTRAR_BINDINGS_MAX; i++) {
		struct binding *s = &b->slot[i];
		if (!live(s, now_ms)) {
			if (!empty)
				empty = s;
			continue;
		}
		if (strcmp(s->device, device) != 0)
			continue;
		mine++;
		if (!oldest || s->order < oldest->order)
			oldest = s;
	}
	return mine >= SIP_REGISTRAR_BINDINGS_PER_DEVICE ? oldest : empty;
}

static bool stale_request(const struct binding *s, const struct origin *o)
{
	return strcmp(s->call_id, o->call_id) == 0 && o->cseq <= s->cseq;
}

static int put(struct sip_bindings *b, const struct origin *o, const struct wanted *w,
	       int64_t now_ms)
{
	struct binding *s = find(b, o->device, w->uri, now_ms);

	if (w->expires_s == 0) {
		if (s)
			s->used = false;
		return FGW_OK;
	}
	if (!s)
		s = free_slot(b, o->device, now_ms);
	if (!s)
		return FGW_ERR_TOO_LARGE;
	*s = (struct binding){ .used = true, .expires_ms = now_ms + w->expires_s * 1000,
			       .updated_ms = now_ms, .order = b->next_order++, .cseq = o->cseq };
	if (str_copy(s->device, sizeof s->device, o->device) != FGW_OK ||
	    str_copy(s->contact, sizeof s->contact, w->uri) != FGW_OK ||
	    str_copy(s->source, sizeof s->source, o->source) != FGW_OK ||
	    str_copy(s->call_id, sizeof s->call_id, o->call_id) != FGW_OK) {
		s->used = false;
		return FGW_ERR_TOO_LARGE;
	}
	return FGW_OK;
}

/* FGW_ERR_REORDERED when any Contact (or, for "*", any binding of the
 * device) was last set by this Call-ID with a CSeq not below this one. */
static int check_order(struct sip_bindings *b, const struct origin *o, const struct wanted *w,
		       size_t n, bool star, int64_t now_ms)
{
	for (size_t i = 0; i < SIP_REGISTRAR_BINDINGS_MAX && star; i++)
		if (is_device(&b->slot[i], o->device, now_ms) && stale_request(&b->slot[i], o))
			return FGW_ERR_REORDERED;
	for (size_t i = 0; i < n; i++) {
		const struct binding *s = find(b, o->device, w[i].uri, now_ms);
		if (s && stale_request(s, o))
			return FGW_ERR_REORDERED;
	}
	return FGW_OK;
}

static int read_origin(const struct sipmsg *req, const char *device, const char *source,
		       struct origin *o)
{
	o->device = device;
	o->source = source;
	if (sipmsg_call_id(req, o->call_id, sizeof o->call_id) != FGW_OK ||
	    sipmsg_cseq(req, &o->cseq, NULL) != FGW_OK)
		return FGW_ERR_PARSE;
	return FGW_OK;
}

int sip_bindings_apply(struct sip_bindings *b, const struct sipmsg *req, const char *device,
		       const char *source, int64_t expires_max_s, int64_t now_ms)
{
	struct wanted w[SIP_BINDINGS_CONTACTS_MAX];
	struct origin o;
	size_t n = 0;
	bool star;
	int rc = read_contacts(sipmsg_osip((struct sipmsg *)req), expires_max_s, w, &n, &star);

	if (rc == FGW_OK)
		rc = read_origin(req, device, source, &o);
	if (rc == FGW_OK)
		rc = check_order(b, &o, w, n, star, now_ms);
	if (rc != FGW_OK)
		return rc;
	if (star) {
		(void)sip_bindings_forget(b, device);
		return FGW_OK;
	}
	for (size_t i = 0; i < n && rc == FGW_OK; i++)
		rc = put(b, &o, &w[i], now_ms);
	return rc;
}

/* ---- reading ------------------------------------------------------------ */

static int by_device_then_newest(const void *pa, const void *pb)
{
	const struct binding *a = *(const struct binding *const *)pa;
	const struct binding *b = *(const struct binding *const *)pb;
	int c = strcmp(a->device, b->device);

	if (c != 0)
		return c;
	return a->order < b->order ? 1 : a->order > b->order ? -1 : 0;
}

void sip_bindings_each(struct sip_bindings *b, const char *device, int64_t now_ms,
		       sip_registrar_binding_fn *fn, void *arg)
{
	const struct binding *pick[SIP_REGISTRAR_BINDINGS_MAX];
	size_t n = 0;

	for (size_t i = 0; i < SIP_REGISTRAR_BINDINGS_MAX; i++)
		if (is_device(&b->slot[i], device, now_ms))
			pick[n++] = &b->slot[i];
	qsort(pick, n, sizeof pick[0], by_device_then_newest);
	for (size_t i = 0; i < n; i++)
		fn(arg, pick[i]->device, pick[i]->contact, pick[i]->source,
		   (pick[i]->expires_ms - now_ms + 999) / 1000);
}

int sip_bindings_lookup(struct sip_bindings *b, const char *device, int64_t now_ms,
			char *contact, size_t contact_size, char *source, size_t source_size)
{
	const struct binding *best = NULL;
	int rc = FGW_OK;

	for (size_t i = 0; i < SIP_REGISTRAR_BINDINGS_MAX; i++)
		if (is_device(&b->slot[i], device, now_ms) &&
		    (!best || b->slot[i].order > best->order))
			best = &b->slot[i];
	if (!best || !device)
		return FGW_ERR_NOT_FOUND;
	if (contact)
		rc = str_copy(contact, contact_size, best->contact);
	if (rc == FGW_OK && source)
		rc = str_copy(source, source_size, best->source);
	return rc;
}

size_t sip_bindings_forget(struct sip_bindings *b, const char *device)
{
	size_t n = 0;

	for (size_t i = 0; i < SIP_REGISTRAR_BINDINGS_MAX; i++)
		if (b->slot[i].used && strcmp(b->slot[i].device, device) == 0) {
			b->slot[i].used = false;
			n++;
		}
	return n;
}

size_t sip_bindings_count(struct sip_bindings *b, int64_t now_ms)
{
	size_t n = 0;

	for (size_t i = 0; i < SIP_REGISTRAR_BINDINGS_MAX; i++)
		n += live(&b->slot[i], now_ms);
	return n;
}
