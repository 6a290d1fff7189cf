/* SDP parse/build and offer/answer; see sdp.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/sdp.h"

struct pctx {
	struct sdp_session *s;
	struct sdp_media *m;       /* current m= section; NULL at session level */
	size_t lineno;
	char *err;
	size_t errsize;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct pctx *c, int rc, const char *fmt, ...)
{
	char msg[SDP_ERR_MAX];
	va_list ap;

	if (c->err == NULL || c->errsize == 0)
		return rc;
	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	if (c->lineno > 0)
		(void)str_format(c->err, c->errsize, "line %zu: %s", c->lineno, msg);
	else
		(void)str_copy(c->err, c->errsize, msg);
	return rc;
}

/* Copies the next space-separated token of *p into out; "" at the end. */
static int next_token(const char **p, char *out, size_t size)
{
	const char *q = *p;
	size_t n = 0;

	while (*q == ' ')
		q++;
	while (q[n] != '\0' && q[n] != ' ')
		n++;
	if (n >= size)
		return FGW_ERR_TOO_LARGE;
	memcpy(out, q, n);
	out[n] = '\0';
	*p = q + n;
	return FGW_OK;
}

static int token_num(const char *tok, long long max, unsigned *out)
{
	long long v;
	int rc = str_to_int(tok, 0, max, &v);

	if (rc == FGW_OK)
		*out = (unsigned)v;
	return rc;
}

/* Session ids are up to 64 bits in practice; str_to_int stops at 63. */
static int token_u64(const char *tok, uint64_t *out)
{
	uint64_t v = 0;

	if (*tok == '\0')
		return FGW_ERR_PARSE;
	for (; *tok; tok++) {
		if (*tok < '0' || *tok > '9')
			return FGW_ERR_PARSE;
		if (v > (UINT64_MAX - (uint64_t)(*tok - '0')) / 10)
			return FGW_ERR_RANGE;
		v = v * 10 + (uint64_t)(*tok - '0');
	}
	*out = v;
	return FGW_OK;
}

static bool addr_chars_ok(const char *a)
{
	if (*a == '\0')
		return false;
	for (; *a; a++)
		if (!((*a >= '0' && *a <= '9') || (*a >= 'a' && *a <= 'z') ||
		      (*a >= 'A' && *a <= 'Z') || *a == '.' || *a == ':' || *a == '-'))
			return false;
	return true;
}

/* "IN IP4 addr" (o= tail and c=); a multicast "/ttl" suffix is cut. */
static int parse_conn(struct pctx *c, const char *p, char *addr, const char *what)
{
	char net[8], type[8], a[SDP_ADDR_MAX];
	char *slash;

	if (next_token(&p, net, sizeof net) || next_token(&p, type, sizeof type) ||
	    next_token(&p, a, sizeof a))
		return fail(c, FGW_ERR_PARSE, "%s: field too long", what);
	if (strcmp(net, "IN") != 0)
		return fail(c, FGW_ERR_UNSUPPORTED, "%s: network type \"%s\" is not IN", what, net);
	if (strcmp(type, "IP4") != 0 && strcmp(type, "IP6") != 0)
		return fail(c, FGW_ERR_PARSE, "%s: address type \"%s\" is not IP4 or IP6", what, type);
	while (*p == ' ')
		p++;
	if (*p != '\0')
		return fail(c, FGW_ERR_PARSE, "%s: unexpected \"%.16s\" after the address", what, p);
	if ((slash = strchr(a, '/')) != NULL)
		*slash = '\0';
	if (!addr_chars_ok(a))
		return fail(c, FGW_ERR_PARSE, "%s: bad address \"%s\"", what, a);
	return str_copy(addr, SDP_ADDR_MAX, a);
}

static int parse_origin(struct pctx *c, const char *p)
{
	char id[24], ver[24];

	if (next_token(&p, c->s->origin_user, sizeof c->s->origin_user) ||
	    next_token(&p, id, sizeof id) || next_token(&p, ver, sizeof ver))
		return fail(c, FGW_ERR_PARSE, "o=: field too long");
	if (token_u64(id, &c->s->session_id) || token_u64(ver, &c->s->session_version))
		return fail(c, FGW_ERR_PARSE, "o=: session id \"%s\" or version \"%s\" is not a number", id, ver);
	return parse_conn(c, p, c->s->origin_addr, "o=");
}

static int parse_formats(struct pctx *c, struct sdp_media *m, const char *p)
{
	char tok[SDP_TOKEN_MAX];
	unsigned pt;

	for (;;) {
		if (next_token(&p, tok, sizeof tok))
			return fail(c, FGW_ERR_PARSE, "m=: format too long");
		if (tok[0] == '\0')
			break;
		if (m->kind != SDP_MEDIA_AUDIO) {
			if (m->fmt0[0] == '\0')
				(void)str_copy(m->fmt0, sizeof m->fmt0, tok);
			continue;
		}
		if (token_num(tok, 127, &pt))
			return fail(c, FGW_ERR_PARSE, "m=: payload type \"%s\" is not 0..127", tok);
		if (m->nformats == SDP_MAX_FORMATS)
			return fail(c, FGW_ERR_TOO_LARGE, "m=: more than %d payload types", SDP_MAX_FORMATS);
		m->formats[m->nformats++].pt = (uint8_t)pt;
	}
	if (m->nformats == 0 && m->fmt0[0] == '\0')
		return fail(c, FGW_ERR_PARSE, "m=: no format given");
	return FGW_OK;
}

static void classify_media(struct sdp_media *m)
{
	if (strcmp(m->name, "audio") == 0 && strncmp(m->proto, "RTP/", 4) == 0)
		m->kind = SDP_MEDIA_AUDIO;
	else if (strcmp(m->name, "image") == 0 && strcasecmp(m->proto, "udptl") == 0)
		m->kind = SDP_MEDIA_IMAGE;   /* confirmed by the t38 format below */
	else
		m->kind = SDP_MEDIA_OTHER;
}

static int parse_media(struct pctx *c, const char *p)
{
	char port[16], *slash;
	struct sdp_media *m;
	unsigned v;
	int rc;

	if (c->s->nmedia == SDP_MAX_MEDIA)
		return fail(c, FGW_ERR_TOO_LARGE, "m=: more than %d media streams", SDP_MAX_MEDIA);
	m = &c->s->media[c->s->nmedia++];
	sdp_t38_defaults(&m->t38);
	c->m = m;
	if (next_token(&p, m->name, sizeof m->name) || next_token(&p, port, sizeof port) ||
	    next_token(&p, m->proto, sizeof m->proto))
		return fail(c, FGW_ERR_PARSE, "m=: field too long");
	if ((slash = strchr(port, '/')) != NULL)
		*slash = '\0';       /* "port/count": we use one port */
	if (token_num(port, 65535, &v))
		return fail(c, FGW_ERR_PARSE, "m=: port \"%s\" is not 0..65535", port);
	m->port = (uint16_t)v;
	if (m->name[0] == '\0' || m->proto[0] == '\0')
		return fail(c, FGW_ERR_PARSE, "m=: expected <media> <port> <proto> <format>...");
	classify_media(m);
	if ((rc = parse_formats(c, m, p)) != FGW_OK)
		return rc;
	if (m->kind == SDP_MEDIA_IMAGE && strcasecmp(m->fmt0, "t38") != 0)
		m->kind = SDP_MEDIA_OTHER;
	return FGW_OK;
}

static struct sdp_format *find_format(struct sdp_media *m, unsigned pt)
{
	for (size_t i = 0; m != NULL && i < m->nformats; i++)
		if (m->formats[i].pt == pt)
			return &m->formats[i];
	return NULL;
}

/* "a=rtpmap:<pt> <encoding>/<clock>[/<channels>]" */
static int parse_rtpmap(struct pctx *c, const char *v)
{
	char pt[8], enc[64], *slash;
	struct sdp_format *f;
	unsigned n, clock;

	if (next_token(&v, pt, sizeof pt) || next_token(&v, enc, sizeof enc) ||
	    token_num(pt, 127, &n))
		return fail(c, FGW_ERR_PARSE, "a=rtpmap: expected <payload type> <encoding>/<clock>");
	if ((slash = strchr(enc, '/')) == NULL)
		return fail(c, FGW_ERR_PARSE, "a=rtpmap:%u: no clock rate", n);
	*slash = '\0';
	if (strchr(slash + 1, '/') != NULL)
		*strchr(slash + 1, '/') = '\0';
	if (token_num(slash + 1, 1000000, &clock) || clock == 0)
		return fail(c, FGW_ERR_PARSE, "a=rtpmap:%u: bad clock rate \"%s\"", n, slash + 1);
	if ((f = find_format(c->m, n)) == NULL)
		return FGW_OK;       /* not on this m= line: ignored (RFC 4566) */
	if (str_copy(f->encoding, sizeof f->encoding, enc))
		return fail(c, FGW_ERR_PARSE, "a=rtpmap:%u: encoding name too long", n);
	f->clock = clock;
	return FGW_OK;
}

static int parse_fmtp(struct pctx *c, const char *v)
{
	char pt[8];
	struct sdp_format *f;
	unsigned n;

	if (next_token(&v, pt, sizeof pt) || token_num(pt, 127, &n))
		return fail(c, FGW_ERR_PARSE, "a=fmtp: expected <payload type> <parameters>");
	while (*v == ' ')
		v++;
	/* A longer fmtp belongs to a codec we do not use: leave it out. */
	if ((f = find_format(c->m, n)) != NULL && str_copy(f->fmtp, sizeof f->fmtp, v) != FGW_OK)
		f->fmtp[0] = '\0';
	return FGW_OK;
}

static int t38_bool(struct pctx *c, const char *name, const char *v, bool *out)
{
	if (v == NULL || strcmp(v, "1") == 0) {
		*out = true;
		return FGW_OK;
	}
	if (strcmp(v, "0") == 0) {
		*out = false;
		return FGW_OK;
	}
	return fail(c, FGW_ERR_PARSE, "a=%s: \"%s\" is not 0 or 1", name, v);
}

static int t38_num(struct pctx *c, const char *name, const char *v, long long max, unsigned *out)
{
	if (v == NULL || token_num(v, max, out))
		return fail(c, FGW_ERR_PARSE, "a=%s: \"%s\" is not a number 0..%lld",
			    name, v ? v : "", max);
	return FGW_OK;
}

static int t38_rate(struct pctx *c, const char *v, struct sdp_t38 *t)
{
	if (v != NULL && strcasecmp(v, "transferredTCF") == 0)
		t->rate_management = SDP_T38_TRANSFERRED_TCF;
	else if (v != NULL && strcasecmp(v, "localTCF") == 0)
		t->rate_management = SDP_T38_LOCAL_TCF;
	else
		return fail(c, FGW_ERR_PARSE, "a=T38FaxRateManagement: \"%s\" is not transferredTCF or localTCF",
			    v ? v : "");
	return FGW_OK;
}

static int t38_ec(struct pctx *c, const char *v, struct sdp_t38 *t)
{
	if (v != NULL && strcasecmp(v, "t38UDPRedundancy") == 0)
		t->udp_ec = SDP_T38_EC_REDUNDANCY;
	else if (v != NULL && strcasecmp(v, "t38UDPFEC") == 0)
		t->udp_ec = SDP_T38_EC_FEC;
	else if (v != NULL && strcasecmp(v, "t38UDPNoEC") == 0)
		t->udp_ec = SDP_T38_EC_NONE;
	else
		return fail(c, FGW_ERR_PARSE, "a=T38FaxUdpEC: \"%s\" is not t38UDPRedundancy, t38UDPFEC or t38UDPNoEC",
			    v ? v : "");
	return FGW_OK;
}

/* T.38 attributes (names compared without case: peers differ). Returns 1
 * when name is not a T.38 attribute. */
static int parse_t38_attr(struct pctx *c, const char *name, const char *v)
{
	struct sdp_t38 *t = &c->m->t38;

	if (strcasecmp(name, "T38FaxVersion") == 0)
		return t38_num(c, name, v, 3, &t->version);
	if (strcasecmp(name, "T38MaxBitRate") == 0)
		return t38_num(c, name, v, 1000000, &t->max_bitrate);
	if (strcasecmp(name, "T38FaxFillBitRemoval") == 0)
		return t38_bool(c, name, v, &t->fill_bit_removal);
	if (strcasecmp(name, "T38FaxTranscodingMMR") == 0)
		return t38_bool(c, name, v, &t->transcoding_mmr);
	if (strcasecmp(name, "T38FaxTranscodingJBIG") == 0)
		return t38_bool(c, name, v, &t->transcoding_jbig);
	if (strcasecmp(name, "T38FaxRateManagement") == 0)
		return t38_rate(c, v, t);
	if (strcasecmp(name, "T38FaxMaxBuffer") == 0)
		return t38_num(c, name, v, 1000000, &t->max_buffer);
	if (strcasecmp(name, "T38FaxMaxDatagram") == 0)
		return t38_num(c, name, v, 65535, &t->max_datagram);
	if (strcasecmp(name, "T38FaxUdpEC") == 0)
		return t38_ec(c, v, t);
	return 1;
}

static int parse_dir(const char *name, enum sdp_dir *dir)
{
	static const struct { const char *name; enum sdp_dir dir; } dirs[] = {
		{ "sendrecv", SDP_SENDRECV }, { "sendonly", SDP_SENDONLY },
		{ "recvonly", SDP_RECVONLY }, { "inactive", SDP_INACTIVE },
	};

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (strcmp(name, dirs[i].name) == 0) {
			*dir = dirs[i].dir;
			return FGW_OK;
		}
	return 1;
}

static int parse_attr(struct pctx *c, char *p)
{
	char *colon = strchr(p, ':'), *v = NULL;
	unsigned ptime;
	int rc;

	if (colon != NULL) {
		*colon = '\0';
		v = colon + 1;
	}
	if (parse_dir(p, c->m ? &c->m->dir : &c->s->dir) == FGW_OK)
		return FGW_OK;
	if (c->m == NULL)
		return FGW_OK;       /* other session-level attributes: unused */
	if (strcmp(p, "rtpmap") == 0)
		return v ? parse_rtpmap(c, v) : fail(c, FGW_ERR_PARSE, "a=rtpmap: no value");
	if (strcmp(p, "fmtp") == 0)
		return v ? parse_fmtp(c, v) : fail(c, FGW_ERR_PARSE, "a=fmtp: no value");
	if (strcmp(p, "ptime") == 0) {
		if ((rc = t38_num(c, p, v, 1000, &ptime)) == FGW_OK)
			c->m->ptime = ptime;
		return rc;
	}
	rc = parse_t38_attr(c, p, v);
	return rc == 1 ? FGW_OK : rc;
}

/* One line, NUL-terminated, without its line end. */
static int parse_line(struct pctx *c, char *line, bool first)
{
	char type;

	if (line[0] < 'a' || line[0] > 'z' || line[1] != '=')
		return fail(c, FGW_ERR_PARSE, "expected <letter>=<value>");
	type = line[0];
	if (first != (type == 'v'))
		return fail(c, FGW_ERR_PARSE, first ? "the body must start with v=0" : "a second v= line");
	switch (type) {
	case 'v':
		return strcmp(line + 2, "0") == 0 ? FGW_OK :
		       fail(c, FGW_ERR_UNSUPPORTED, "v=: version \"%s\" is not 0", line + 2);
	case 'o':
		return parse_origin(c, line + 2);
	case 'c':
		return parse_conn(c, line + 2, c->m ? c->m->addr : c->s->addr, "c=");
	case 'm':
		return parse_media(c, line + 2);
	case 'a':
		return parse_attr(c, line + 2);
	default:
		return FGW_OK;       /* s=, t=, b=, i=, ...: not needed */
	}
}

/* Cuts the next line out of body into line; *consumed gets its length
 * with the line end. */
static int take_line(struct pctx *c, const char *body, size_t len, char *line, size_t *consumed)
{
	const char *nl = memchr(body, '\n', len);
	size_t n = nl ? (size_t)(nl - body) : len;

	*consumed = nl ? n + 1 : n;
	if (n > 0 && body[n - 1] == '\r')
		n--;
	if (n > SDP_MAX_LINE)
		return fail(c, FGW_ERR_TOO_LARGE, "longer than %d bytes", SDP_MAX_LINE);
	if (memchr(body, '\0', n) != NULL || memchr(body, '\r', n) != NULL)
		return fail(c, FGW_ERR_PARSE, "a NUL or CR inside the line");
	memcpy(line, body, n);
	line[n] = '\0';
	return FGW_OK;
}

int sdp_parse(const char *body, size_t len, struct sdp_session *s, char *err, size_t errsize)
{
	struct pctx c = { s, NULL, 0, err, errsize };
	char line[SDP_MAX_LINE + 1];
	size_t off = 0, used;
	bool first = true;
	int rc;

	memset(s, 0, sizeof *s);
	if (err && errsize)
		err[0] = '\0';
	if (len > SDP_MAX_LEN)
		return fail(&c, FGW_ERR_TOO_LARGE, "SDP body of %zu bytes exceeds %d", len, SDP_MAX_LEN);
	while (off < len) {
		if (++c.lineno > SDP_MAX_LINES)
			return fail(&c, FGW_ERR_TOO_LARGE, "more than %d lines", SDP_MAX_LINES);
		if ((rc = take_line(&c, body + off, len - off, line, &used)) != FGW_OK)
			return rc;
		off += used;
		if (line[0] == '\0')
			continue;    /* blank lines (a trailing CRLF) are harmless */
		if ((rc = parse_line(&c, line, first)) != FGW_OK)
			return rc;
		first = false;
	}
	c.lineno = 0;
	if (first)
		return fail(&c, FGW_ERR_PARSE, "empty SDP body");
	return FGW_OK;
}

void sdp_t38_defaults(struct sdp_t38 *t)
{
	memset(t, 0, sizeof *t);
	t->rate_management = SDP_T38_TRANSFERRED_TCF;
	t->udp_ec = SDP_T38_EC_NONE;
}

const char *sdp_media_addr(const struct sdp_session *s, const struct sdp_media *m)
{
	return m->addr[0] ? m->addr : s->addr;
}
