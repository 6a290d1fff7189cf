/* The audit record format: names, MAC, hex, times, JSON escaping on the
 * way out and a strict parser of our own lines on the way in. Free of any
 * writer state so the verifier, the CLI and the fuzzer share it. */
#include "storage/audit_int.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/str.h"

static const char *const event_names[AUDIT_EVENT_COUNT] = {
	[AUDIT_FAX_RECEIVED] = "fax_received",
	[AUDIT_FAX_SENT] = "fax_sent",
	[AUDIT_FAX_FAILED] = "fax_failed",
	[AUDIT_MAILBOX_RELEASE] = "mailbox_release",
	[AUDIT_PIN_FAILURE] = "pin_failure",
	[AUDIT_LOCKOUT] = "lockout",
	[AUDIT_LOGIN] = "login",
	[AUDIT_LOGIN_FAILURE] = "login_failure",
	[AUDIT_CONFIG_CHANGE] = "config_change",
	[AUDIT_DOCUMENT_ERASED] = "document_erased",
	[AUDIT_WIPE] = "wipe",
	[AUDIT_CLOCK_JUMP] = "clock_jump",
	[AUDIT_START] = "start",
	[AUDIT_STOP] = "stop",
	[AUDIT_LOG_REPAIRED] = "log_repaired",
	[AUDIT_DIAL_MISMATCH] = "dial_mismatch",
	[AUDIT_DIAL_DENIED] = "dial_denied",
	[AUDIT_SECURITY] = "security",
};

const char *audit_event_name(enum audit_event ev)
{
	if ((unsigned)ev >= AUDIT_EVENT_COUNT)
		return NULL;
	return event_names[ev];
}

int audit_event_parse(const char *name, enum audit_event *out)
{
	for (unsigned i = 0; i < AUDIT_EVENT_COUNT; i++)
		if (strcmp(name, event_names[i]) == 0) {
			*out = (enum audit_event)i;
			return FGW_OK;
		}
	return FGW_ERR_NOT_FOUND;
}

const char *audit_problem_name(enum audit_problem p)
{
	static const char *const names[] = {
		"ok", "edited", "deleted", "inserted", "reordered", "truncated",
		"torn", "malformed",
	};

	if ((unsigned)p >= sizeof names / sizeof names[0])
		return "unknown";
	return names[p];
}

/* ---- MAC --------------------------------------------------------------- */

struct audit_mac {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
};

int audit_mac_new(const uint8_t key[static AUDIT_KEY_LEN], struct audit_mac **out)
{
	struct audit_mac *m = calloc(1, sizeof *m);
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};

	*out = NULL;
	if (m == NULL)
		return FGW_ERR_NOMEM;
	m->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (m->mac != NULL)
		m->ctx = EVP_MAC_CTX_new(m->mac);
	if (m->ctx == NULL || !EVP_MAC_init(m->ctx, key, AUDIT_KEY_LEN, params)) {
		audit_mac_free(m);
		return FGW_ERR_CRYPTO;
	}
	*out = m;
	return FGW_OK;
}

void audit_mac_free(struct audit_mac *m)
{
	if (m == NULL)
		return;
	EVP_MAC_CTX_free(m->ctx);
	EVP_MAC_free(m->mac);
	free(m);
}

int audit_mac_compute(struct audit_mac *m, const void *data, size_t len,
		      uint8_t out[static AUDIT_MAC_LEN])
{
	size_t outl = 0;

	/* A NULL key re-initialises HMAC from its stored key state: no
	 * re-keying cost per record. */
	if (!EVP_MAC_init(m->ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(m->ctx, data, len) ||
	    !EVP_MAC_final(m->ctx, out, &outl, AUDIT_MAC_LEN) || outl != AUDIT_MAC_LEN)
		return FGW_ERR_CRYPTO;
	return FGW_OK;
}

/* ---- hex --------------------------------------------------------------- */

void audit_hex_encode(const uint8_t in[static AUDIT_MAC_LEN], char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < AUDIT_MAC_LEN; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;   /* uppercase is not canonical: refuse it */
}

int audit_hex_decode(const char *in, uint8_t out[static AUDIT_MAC_LEN])
{
	for (size_t i = 0; i < AUDIT_MAC_LEN; i++) {
		int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return FGW_ERR_PARSE;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return FGW_OK;
}

/* ---- time -------------------------------------------------------------- */

int audit_time_format(int64_t ms, char *out, size_t size)
{
	int64_t sec = ms / 1000, frac = ms % 1000;
	struct tm tm;
	time_t t;

	if (frac < 0) {
		frac += 1000;
		sec -= 1;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 9999)
		return FGW_ERR_RANGE;
	return str_format(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
			  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			  tm.tm_min, tm.tm_sec, (int)frac);
}

/* Reads exactly n digits at *p (within end) as a number in [min, max]. */
static bool digits(const char **p, const char *end, int n, int min, int max, int *out)
{
	int v = 0;

	if (end - *p < n)
		return false;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return v >= min && v <= max;
}

static bool lit(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool parse_clock(const char **p, const char *end, int *h, int *mi, int *s, int *f)
{
	*s = 0;
	*f = 0;
	if (!digits(p, end, 2, 0, 23, h) || !lit(p, end, ':') ||
	    !digits(p, end, 2, 0, 59, mi))
		return false;
	if (*p < end && **p == ':') {
		(*p)++;
		if (!digits(p, end, 2, 0, 60, s))
			return false;
		if (*p < end && **p == '.') {
			(*p)++;
			if (!digits(p, end, 3, 0, 999, f))
				return false;
		}
	}
	return true;
}

int audit_time_parse(const char *s, size_t len, int64_t *ms)
{
	const char *p = s, *end = s + len;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;

	if (!digits(&p, end, 4, 1970, 9999, &y) || !lit(&p, end, '-') ||
	    !digits(&p, end, 2, 1, 12, &mo) || !lit(&p, end, '-') ||
	    !digits(&p, end, 2, 1, 31, &d))
		return FGW_ERR_PARSE;
	if (p < end && (*p == 'T' || *p == ' ')) {
		p++;
		if (!parse_clock(&p, end, &h, &mi, &sec, &frac))
			return FGW_ERR_PARSE;
	}
	if (p < end && *p == 'Z')
		p++;
	if (p != end)
		return FGW_ERR_PARSE;
	*ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL +
	      sec * 1000LL + frac;
	return FGW_OK;
}

/* ---- output ------------------------------------------------------------ */

/* A bounded output cursor: once full it stays full and says so. */
struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->cap - o->len < n) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void puts_lit(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_u64(struct out *o, uint64_t v)
{
	char tmp[24];
	size_t n = sizeof tmp;

	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(o, tmp + n, sizeof tmp - n);
}

static void put_i64(struct out *o, int64_t v)
{
	if (v < 0) {
		put(o, "-", 1);
		put_u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(o, (uint64_t)v);
	}
}

static void put_escape_byte(struct out *o, unsigned char c)
{
	static const char digits16[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', '0', '0', digits16[c >> 4], digits16[c & 15] };

	put(o, esc, sizeof esc);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid:
 * overlong forms, surrogates and code points above U+10FFFF are invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t need;
	uint32_t cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need;
}

/* Writes s as a JSON string: see audit.h for the escaping rules. */
static void put_string(struct out *o, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	put(o, "\"", 1);
	while (i < n && !o->full) {
		unsigned char c = u[i];
		size_t run = 0;

		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };

			put(o, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			put_escape_byte(o, c);
			i++;
		} else if (c < 0x80) {
			while (i + run < n && u[i + run] >= 0x20 && u[i + run] < 0x7f &&
			       u[i + run] != '"' && u[i + run] != '\\')
				run++;
			put(o, s + i, run);
			i += run;
		} else if ((run = utf8_len(u + i, n - i)) > 0) {
			put(o, s + i, run);
			i += run;
		} else {
			put_escape_byte(o, c);
			i++;
		}
	}
	put(o, "\"", 1);
}

static bool key_ok(const char *k)
{
	size_t n = 0;

	if (k == NULL)
		return false;
	for (; k[n] != '\0'; n++) {
		char c = k[n];

		if (n >= AUDIT_FIELD_KEY_MAX ||
		    !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return n > 0;
}

static int put_fields(struct out *o, const struct audit_field *fields, size_t nfields)
{
	for (size_t i = 0; i < nfields; i++) {
		const struct audit_field *f = &fields[i];
		const char *v = f->str != NULL ? f->str : "";
		size_t vlen;

		if (!key_ok(f->key))
			return FGW_ERR_INVALID;
		if (i > 0)
			put(o, ",", 1);
		put_string(o, f->key, strlen(f->key));
		put(o, ":", 1);
		if (f->type == AUDIT_INT) {
			put_i64(o, f->num);
			continue;
		}
		if (f->type != AUDIT_STR)
			return FGW_ERR_INVALID;
		vlen = strnlen(v, AUDIT_VALUE_MAX + 1);
		if (vlen > AUDIT_VALUE_MAX)
			return FGW_ERR_TOO_LARGE;
		put_string(o, v, vlen);
	}
	return FGW_OK;
}

int audit_format_body(char *buf, size_t cap, size_t *len, uint64_t seq,
		      int64_t time_ms, const char *type,
		      const struct audit_field *fields, size_t nfields,
		      const uint8_t prev[static AUDIT_MAC_LEN])
{
	struct out o = { .buf = buf, .cap = cap };
	char when[AUDIT_TIME_LEN + 1], hex[AUDIT_HEX_LEN];
	int rc;

	if (nfields > AUDIT_FIELDS_MAX || (nfields > 0 && fields == NULL) ||
	    type == NULL)
		return FGW_ERR_INVALID;
	rc = audit_time_format(time_ms, when, sizeof when);
	if (rc != FGW_OK)
		return rc;
	puts_lit(&o, AUDIT_SEQ_TAG);
	put_u64(&o, seq);
	puts_lit(&o, ",\"time\":\"");
	puts_lit(&o, when);
	puts_lit(&o, "\",\"type\":");
	put_string(&o, type, strlen(type));
	puts_lit(&o, ",\"fields\":{");
	rc = put_fields(&o, fields, nfields);
	if (rc != FGW_OK)
		return rc;
	puts_lit(&o, "}" AUDIT_PREV_TAG);
	audit_hex_encode(prev, hex);
	put(&o, hex, sizeof hex);
	put(&o, "\"", 1);
	if (o.full)
		return FGW_ERR_TOO_LARGE;
	*len = o.len;
	return FGW_OK;
}

int audit_format_tail(char *buf, size_t cap, size_t *len,
		      const uint8_t mac[static AUDIT_MAC_LEN])
{
	struct out o = { .buf = buf, .cap = cap, .len = *len };
	char hex[AUDIT_HEX_LEN];

	audit_hex_encode(mac, hex);
	puts_lit(&o, AUDIT_MAC_TAG);
	put(&o, hex, sizeof hex);
	puts_lit(&o, "\"}\n");
	if (o.full)
		return FGW_ERR_TOO_LARGE;
	*len = o.len;
	return FGW_OK;
}

int audit_parse_seq(const char *line, size_t len, uint64_t *seq)
{
	uint64_t v = 0;
	size_t i = AUDIT_SEQ_TAG_LEN;

	if (len < AUDIT_SEQ_TAG_LEN || memcmp(line, AUDIT_SEQ_TAG, AUDIT_SEQ_TAG_LEN) != 0)
		return FGW_ERR_PARSE;
	/* Canonical: no leading zeros, at most 19 digits (fits int64). */
	if (i >= len || line[i] < '1' || line[i] > '9')
		return FGW_ERR_PARSE;
	for (; i < len && line[i] >= '0' && line[i] <= '9'; i++) {
		if (i - AUDIT_SEQ_TAG_LEN >= 19)
			return FGW_ERR_PARSE;
		v = v * 10 + (uint64_t)(line[i] - '0');
	}
	if (i >= len || line[i] != ',')
		return FGW_ERR_PARSE;
	*seq = v;
	return FGW_OK;
}

/* ---- strict parser of our own lines ------------------------------------ */

struct cursor {
	const char *p, *end;
	char *out, *out_end;
};

static bool expect(struct cursor *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

static bool emit(struct cursor *c, const char *s, size_t n)
{
	if ((size_t)(c->out_end - c->out) < n)
		return false;
	memcpy(c->out, s, n);
	c->out += n;
	return true;
}

static bool hex4(struct cursor *c, uint32_t *v)
{
	*v = 0;
	if (c->end - c->p < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		char ch = c->p[i];
		int d = (ch >= '0' && ch <= '9') ? ch - '0'
			: (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10
			: (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10 : -1;

		if (d < 0)
			return false;
		*v = *v << 4 | (uint32_t)d;
	}
	c->p += 4;
	return true;
}

static bool emit_utf8(struct cursor *c, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80)
		b[0] = (char)cp, n = 1;
	else if (cp < 0x800)
		b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	else if (cp < 0x10000)
		b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
		b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	else
		b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)),
		n = 4;
	return emit(c, b, n);
}

/* \uXXXX (after the backslash and 'u'), with surrogate pairs. NUL is
 * refused: values are C strings. */
static bool unicode_escape(struct cursor *c)
{
	uint32_t cp, lo;

	if (!hex4(c, &cp) || cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
		return false;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (!expect(c, "\\u") || !hex4(c, &lo) || lo < 0xdc00 || lo > 0xdfff)
			return false;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return emit_utf8(c, cp);
}

static bool escape(struct cursor *c)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;

	if (c->p >= c->end)
		return false;
	if (*c->p == 'u') {
		c->p++;
		return unicode_escape(c);
	}
	hit = memchr(from, *c->p, sizeof from - 1);
	if (hit == NULL)
		return false;
	c->p++;
	return emit(c, &to[hit - from], 1);
}

/* Parses a JSON string into the scratch area; *s points at its copy. */
static bool string(struct cursor *c, const char **s)
{
	*s = c->out;
	if (!expect(c, "\""))
		return false;
	while (c->p < c->end && *c->p != '"') {
		unsigned char ch = (unsigned char)*c->p;

		if (ch < 0x20)
			return false;
		if (ch == '\\') {
			c->p++;
			if (!escape(c))
				return false;
		} else {
			if (!emit(c, c->p, 1))
				return false;
			c->p++;
		}
	}
	return expect(c, "\"") && emit(c, "", 1);
}

/* A JSON integer (what the writer produces): -?[0-9]+, at most 19 digits. */
static bool number(struct cursor *c, const char **s)
{
	const char *start = c->p;
	size_t nd = 0;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && nd < 20)
		c->p++, nd++;
	if (nd == 0 || nd > 19)
		return false;
	*s = c->out;
	return emit(c, start, (size_t)(c->p - start)) && emit(c, "", 1);
}

static bool field(struct cursor *c, struct audit_record *rec)
{
	size_t i = rec->nfields;

	if (i >= AUDIT_FIELDS_MAX || !string(c, &rec->fields[i].key) || !expect(c, ":"))
		return false;
	if (c->p < c->end && *c->p == '"') {
		rec->fields[i].is_number = false;
		if (!string(c, &rec->fields[i].value))
			return false;
	} else {
		rec->fields[i].is_number = true;
		if (!number(c, &rec->fields[i].value))
			return false;
	}
	rec->nfields++;
	return true;
}

static bool fields(struct cursor *c, struct audit_record *rec)
{
	if (!expect(c, ",\"fields\":{"))
		return false;
	if (expect(c, "}"))
		return true;
	do {
		if (!field(c, rec))
			return false;
	} while (expect(c, ","));
	return expect(c, "}");
}

static bool hex_string(struct cursor *c, const char *tag)
{
	const char *s;
	uint8_t raw[AUDIT_MAC_LEN];

	return expect(c, tag) && string(c, &s) && strlen(s) == AUDIT_HEX_LEN &&
	       audit_hex_decode(s, raw) == FGW_OK;
}

int audit_parse_line(const char *line, size_t len, char *scratch, size_t scratch_len,
		     struct audit_record *rec)
{
	struct cursor c = { line, line + len, scratch, scratch + scratch_len };
	const char *seq;
	long long v;

	memset(rec, 0, sizeof *rec);
	if (len >= AUDIT_RECORD_MAX)
		return FGW_ERR_TOO_LARGE;
	if (!expect(&c, "{\"seq\":") || !number(&c, &seq) ||
	    str_to_int(seq, 1, INT64_MAX, &v) != FGW_OK ||
	    !expect(&c, ",\"time\":") || !string(&c, &rec->time) ||
	    audit_time_parse(rec->time, strlen(rec->time), &rec->time_ms) != FGW_OK ||
	    !expect(&c, ",\"type\":") || !string(&c, &rec->type) ||
	    !fields(&c, rec) || !hex_string(&c, ",\"prev\":") ||
	    !hex_string(&c, ",\"mac\":") || !expect(&c, "}") || c.p != c.end)
		return FGW_ERR_PARSE;
	rec->seq = (uint64_t)v;
	rec->line = line;
	rec->line_len = len;
	return FGW_OK;
}
