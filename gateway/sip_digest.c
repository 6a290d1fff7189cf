/* SIP digest authentication: parser, hashes, nonce server, client. */
#include "gateway/sip_digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/err.h"
#include "common/str.h"

#define SECRET_LEN 32
#define NONCE_MAC_LEN 16
#define NONCE_BYTES (8 + 8 + NONCE_MAC_LEN)
#define CNONCE_BYTES 16
#define CLOCK_SKEW_MS 5000   /* a nonce "from the future" by less is fine */

_Static_assert(NONCE_BYTES * 2 == SIP_DIGEST_NONCE_LEN, "nonce hex length");

/* ---- parser ------------------------------------------------------------- */

/* A bounded cursor over the header value. */
struct cursor {
	const char *p, *end;
};

static void skip_lws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' ||
				 *c->p == '\n'))
		c->p++;
}

static bool is_token_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || strchr("-.!%*_+`'~/:@", ch) != NULL;
}

/* Reads a token into out (size bytes). 0, FGW_ERR_PARSE, FGW_ERR_TOO_LARGE. */
static int read_token(struct cursor *c, char *out, size_t size)
{
	size_t n = 0;

	while (c->p < c->end && *c->p != '\0' && is_token_char(*c->p)) {
		if (n + 1 >= size)
			return FGW_ERR_TOO_LARGE;
		out[n++] = *c->p++;
	}
	out[n] = '\0';
	return n > 0 ? FGW_OK : FGW_ERR_PARSE;
}

static int read_quoted(struct cursor *c, char *out, size_t size)
{
	size_t n = 0;

	c->p++; /* the opening quote */
	while (c->p < c->end && *c->p != '"') {
		if (*c->p == '\\' && c->p + 1 < c->end)
			c->p++;
		if (*c->p == '\0')
			return FGW_ERR_PARSE;
		if (n + 1 >= size)
			return FGW_ERR_TOO_LARGE;
		out[n++] = *c->p++;
	}
	if (c->p >= c->end)
		return FGW_ERR_PARSE;
	c->p++;
	out[n] = '\0';
	return FGW_OK;
}

static int read_value(struct cursor *c, char *out, size_t size)
{
	if (c->p < c->end && *c->p == '"')
		return read_quoted(c, out, size);
	return read_token(c, out, size);
}

static int parse_nc(const char *v, uint32_t *out)
{
	uint32_t n = 0;

	if (strlen(v) != 8)
		return FGW_ERR_PARSE;
	for (size_t i = 0; i < 8; i++) {
		char ch = v[i];
		unsigned d;
		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			d = (unsigned)(ch - 'A' + 10);
		else
			return FGW_ERR_PARSE;
		n = n << 4 | d;
	}
	*out = n;
	return FGW_OK;
}

static void parse_alg(const char *v, struct sip_digest_params *out)
{
	out->alg_known = true;
	if (strcasecmp(v, "MD5") == 0)
		out->alg = SIP_DIGEST_MD5;
	else if (strcasecmp(v, "SHA-256") == 0)
		out->alg = SIP_DIGEST_SHA256;
	else
		out->alg_known = false;
}

/* Where each string parameter goes; "seen" bits catch duplicates. */
static char *string_field(struct sip_digest_params *out, const char *key, unsigned *bit)
{
	static const char *const names[] = {
		"username", "realm", "nonce", "uri", "response", "cnonce", "opaque", "qop",
	};
	char *fields[] = {
		out->username, out->realm, out->nonce, out->uri, out->response,
		out->cnonce, out->opaque, out->qop,
	};

	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(key, names[i]) == 0) {
			*bit = 1u << i;
			return fields[i];
		}
	return NULL;
}

static int store_param(struct sip_digest_params *out, const char *key, const char *val,
		       unsigned *seen)
{
	unsigned bit = 0;
	char *field = string_field(out, key, &bit);

	if (!field) {
		if (strcasecmp(key, "algorithm") == 0)
			bit = 1u << 8;
		else if (strcasecmp(key, "nc") == 0)
			bit = 1u << 9;
		else if (strcasecmp(key, "stale") == 0)
			bit = 1u << 10;
		else
			return FGW_OK; /* unknown parameters are ignored (RFC 7616 3.3) */
	}
	if (*seen & bit)
		return FGW_ERR_PARSE;
	*seen |= bit;
	if (field)
		return str_copy(field, SIP_DIGEST_VALUE_MAX + 1, val);
	if (bit == 1u << 8)
		parse_alg(val, out);
	else if (bit == 1u << 9) {
		out->has_nc = true;
		return parse_nc(val, &out->nc);
	} else
		out->stale = strcasecmp(val, "true") == 0;
	return FGW_OK;
}

static int parse_one(struct cursor *c, struct sip_digest_params *out, unsigned *seen)
{
	char key[32], val[SIP_DIGEST_VALUE_MAX + 1];
	int rc;

	rc = read_token(c, key, sizeof key);
	if (rc != FGW_OK)
		return rc == FGW_ERR_TOO_LARGE ? FGW_ERR_PARSE : rc;
	skip_lws(c);
	if (c->p >= c->end || *c->p != '=')
		return FGW_ERR_PARSE;
	c->p++;
	skip_lws(c);
	rc = read_value(c, val, sizeof val);
	if (rc == FGW_OK)
		rc = store_param(out, key, val, seen);
	OPENSSL_cleanse(val, sizeof val);
	return rc;
}

static int parse_params(struct cursor *c, struct sip_digest_params *out)
{
	unsigned seen = 0;
	int rc;

	for (;;) {
		skip_lws(c);
		rc = parse_one(c, out, &seen);
		if (rc != FGW_OK)
			return rc;
		skip_lws(c);
		if (c->p >= c->end)
			return FGW_OK;
		if (*c->p != ',')
			return FGW_ERR_PARSE;
		c->p++;
	}
}

int sip_digest_parse(const char *value, size_t len, struct sip_digest_params *out)
{
	struct sip_digest_params p;
	struct cursor c = { value, value + len };
	char scheme[16];
	int rc;

	if (len > SIP_DIGEST_HEADER_MAX)
		return FGW_ERR_TOO_LARGE;
	memset(&p, 0, sizeof p);
	p.alg_known = true;
	skip_lws(&c);
	rc = read_token(&c, scheme, sizeof scheme);
	if (rc != FGW_OK)
		return FGW_ERR_PARSE;
	if (strcasecmp(scheme, "Digest") != 0)
		return FGW_ERR_UNSUPPORTED;
	if (c.p >= c.end || (*c.p != ' ' && *c.p != '\t'))
		return FGW_ERR_PARSE;
	rc = parse_params(&c, &p);
	if (rc == FGW_OK)
		*out = p;
	OPENSSL_cleanse(&p, sizeof p);
	return rc;
}

const char *sip_digest_alg_name(enum sip_digest_alg alg)
{
	return alg == SIP_DIGEST_SHA256 ? "SHA-256" : "MD5";
}

/* ---- hashes ------------------------------------------------------------- */

static const EVP_MD *alg_md(enum sip_digest_alg alg)
{
	return alg == SIP_DIGEST_SHA256 ? EVP_sha256() : EVP_md5();
}

/* out = hex(H(parts[0] ":" parts[1] ":" ...)); out has room for 65. */
static int hash_parts(enum sip_digest_alg alg, const char *const *parts, size_t n,
		      char *out, size_t size)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int ok = ctx && EVP_DigestInit_ex(ctx, alg_md(alg), NULL);

	if (size < SIP_DIGEST_HEX_MAX + 1) {
		EVP_MD_CTX_free(ctx);
		return FGW_ERR_INVALID;
	}
	for (size_t i = 0; ok && i < n; i++) {
		ok = (i == 0 || EVP_DigestUpdate(ctx, ":", 1)) &&
		     EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return FGW_ERR_CRYPTO;
	str_hex(md, mdlen, out);
	OPENSSL_cleanse(md, sizeof md);
	return FGW_OK;
}

int sip_digest_ha1(enum sip_digest_alg alg, const char *user, const char *realm,
		   const char *password, char *out, size_t size)
{
	const char *parts[] = { user, realm, password };

	if (!user || !realm || !password)
		return FGW_ERR_INVALID;
	return hash_parts(alg, parts, 3, out, size);
}

int sip_digest_response(enum sip_digest_alg alg, const char *ha1_hex, const char *nonce,
			uint32_t nc, const char *cnonce, const char *method,
			const char *uri, char *out, size_t size)
{
	char ha2[SIP_DIGEST_HEX_MAX + 1], ncs[9];
	const char *a2[] = { method, uri };
	const char *parts[] = { ha1_hex, nonce, ncs, cnonce, "auth", ha2 };
	int rc;

	if (!ha1_hex || !nonce || !cnonce || !method || !uri)
		return FGW_ERR_INVALID;
	rc = str_format(ncs, sizeof ncs, "%08x", nc);
	if (rc == FGW_OK)
		rc = hash_parts(alg, a2, 2, ha2, sizeof ha2);
	if (rc == FGW_OK)
		rc = hash_parts(alg, parts, 6, out, size);
	return rc;
}

/* RFC 2069 form, for challenges that offer no qop: H(HA1:nonce:HA2). */
static int response_2069(enum sip_digest_alg alg, const char *ha1_hex, const char *nonce,
			 const char *method, const char *uri, char *out, size_t size)
{
	char ha2[SIP_DIGEST_HEX_MAX + 1];
	const char *a2[] = { method, uri };
	const char *parts[] = { ha1_hex, nonce, ha2 };
	int rc = hash_parts(alg, a2, 2, ha2, sizeof ha2);

	return rc == FGW_OK ? hash_parts(alg, parts, 3, out, size) : rc;
}

/* ---- server ------------------------------------------------------------- */

struct nonce_slot {
	uint64_t counter;
	uint32_t nc;      /* highest nc accepted */
	bool used;
};

struct sip_digest_server {
	char realm[SIP_DIGEST_VALUE_MAX + 1];
	uint8_t secret[SECRET_LEN];
	int64_t lifetime_ms;
	uint64_t next;    /* counter of the next nonce */
	struct nonce_slot slots[SIP_DIGEST_NONCE_SLOTS];
};

static bool plain_value(const char *s)
{
	return strpbrk(s, "\"\\\r\n") == NULL;
}

int sip_digest_server_new(const char *realm, int64_t lifetime_ms,
			  struct sip_digest_server **out)
{
	struct sip_digest_server *srv;

	if (!realm || !realm[0] || strlen(realm) > SIP_DIGEST_VALUE_MAX || !plain_value(realm) ||
	    lifetime_ms <= 0)
		return FGW_ERR_INVALID;
	srv = calloc(1, sizeof *srv);
	if (!srv)
		return FGW_ERR_NOMEM;
	if (RAND_bytes(srv->secret, sizeof srv->secret) != 1) {
		free(srv);
		return FGW_ERR_CRYPTO;
	}
	(void)str_copy(srv->realm, sizeof srv->realm, realm);
	srv->lifetime_ms = lifetime_ms;
	*out = srv;
	return FGW_OK;
}

void sip_digest_server_free(struct sip_digest_server *srv)
{
	if (!srv)
		return;
	OPENSSL_cleanse(srv->secret, sizeof srv->secret);
	free(srv);
}

const char *sip_digest_server_realm(const struct sip_digest_server *srv)
{
	return srv->realm;
}

static void put_be64(uint8_t *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* mac = HMAC-SHA256(secret, time | counter | alg)[0..16). */
static int nonce_mac(const struct sip_digest_server *srv, const uint8_t head[16],
		     enum sip_digest_alg alg, uint8_t mac[NONCE_MAC_LEN])
{
	uint8_t data[17], full[32];
	size_t len = 0;

	memcpy(data, head, 16);
	data[16] = (uint8_t)alg;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, srv->secret, sizeof srv->secret,
		       data, sizeof data, full, sizeof full, &len) || len != sizeof full)
		return FGW_ERR_CRYPTO;
	memcpy(mac, full, NONCE_MAC_LEN);
	return FGW_OK;
}

static int make_nonce(struct sip_digest_server *srv, enum sip_digest_alg alg, int64_t now_ms,
		      char out[static SIP_DIGEST_NONCE_LEN + 1])
{
	uint8_t raw[NONCE_BYTES];
	uint64_t counter = srv->next++;
	struct nonce_slot *slot = &srv->slots[counter % SIP_DIGEST_NONCE_SLOTS];
	int rc;

	put_be64(raw, (uint64_t)now_ms);
	put_be64(raw + 8, counter);
	rc = nonce_mac(srv, raw, alg, raw + 16);
	if (rc != FGW_OK)
		return rc;
	*slot = (struct nonce_slot){ .counter = counter, .nc = 0, .used = true };
	str_hex(raw, sizeof raw, out);
	return FGW_OK;
}

int sip_digest_server_challenge(struct sip_digest_server *srv, enum sip_digest_alg alg,
				bool stale, int64_t now_ms, char *buf, size_t size)
{
	char nonce[SIP_DIGEST_NONCE_LEN + 1];
	int rc = make_nonce(srv, alg, now_ms, nonce);

	if (rc != FGW_OK)
		return rc;
	return str_format(buf, size, "Digest realm=\"%s\", nonce=\"%s\", algorithm=%s, "
			  "qop=\"auth\"%s", srv->realm, nonce, sip_digest_alg_name(alg),
			  stale ? ", stale=true" : "");
}

static int hex_nibble(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static bool from_hex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_nibble(s[2 * i]), lo = hex_nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* Decodes and authenticates one of our nonces. 0 or FGW_ERR_AUTH. */
static int open_nonce(const struct sip_digest_server *srv, const char *nonce,
		      enum sip_digest_alg alg, int64_t *issued, uint64_t *counter)
{
	uint8_t raw[NONCE_BYTES], mac[NONCE_MAC_LEN];

	if (!from_hex(nonce, raw, sizeof raw) || nonce_mac(srv, raw, alg, mac) != FGW_OK ||
	    !str_equal_ct(mac, raw + 16, sizeof mac))
		return FGW_ERR_AUTH;
	*issued = (int64_t)get_be64(raw);
	*counter = get_be64(raw + 8);
	return FGW_OK;
}

static bool cred_complete(const struct sip_digest_server *srv,
			  const struct sip_digest_params *c)
{
	return c->alg_known && c->username[0] && c->uri[0] && c->response[0] &&
	       c->cnonce[0] && c->has_nc && strcmp(c->realm, srv->realm) == 0 &&
	       strcasecmp(c->qop, "auth") == 0;
}

/* Constant-time comparison of two hex digests, case-insensitively. */
static bool same_hex(const char *expected, const char *given)
{
	char low[SIP_DIGEST_HEX_MAX + 1];
	size_t n = strlen(expected);
	bool same;

	if (strlen(given) != n || n > SIP_DIGEST_HEX_MAX)
		return false;
	for (size_t i = 0; i <= n; i++)
		low[i] = (given[i] >= 'A' && given[i] <= 'F') ? (char)(given[i] + 32) : given[i];
	same = str_equal_ct(expected, low, n);
	return same;
}

static int check_fresh(struct sip_digest_server *srv, int64_t issued, uint64_t counter,
		       uint32_t nc, int64_t now_ms)
{
	struct nonce_slot *slot = &srv->slots[counter % SIP_DIGEST_NONCE_SLOTS];

	if (now_ms - issued > srv->lifetime_ms || issued - now_ms > CLOCK_SKEW_MS ||
	    !slot->used || slot->counter != counter)
		return FGW_ERR_TIMEOUT;
	if (nc <= slot->nc)
		return FGW_ERR_REORDERED;
	slot->nc = nc;
	return FGW_OK;
}

int sip_digest_server_verify(struct sip_digest_server *srv,
			     const struct sip_digest_params *cred, const char *method,
			     const char *ha1_hex, int64_t now_ms)
{
	char expect[SIP_DIGEST_HEX_MAX + 1];
	int64_t issued;
	uint64_t counter;
	int rc;

	if (!cred_complete(srv, cred))
		return FGW_ERR_PARSE;
	/* The response first: a right password with a nonce we no longer
	 * know (e.g. issued before a restart) is then told apart from a
	 * guess, and draws a stale challenge instead of a failure. */
	rc = sip_digest_response(cred->alg, ha1_hex, cred->nonce, cred->nc, cred->cnonce,
				 method, cred->uri, expect, sizeof expect);
	if (rc != FGW_OK)
		return rc;
	rc = same_hex(expect, cred->response) ? FGW_OK : FGW_ERR_BAD_PASSWORD;
	OPENSSL_cleanse(expect, sizeof expect);
	if (rc == FGW_OK)
		rc = open_nonce(srv, cred->nonce, cred->alg, &issued, &counter);
	if (rc != FGW_OK)
		return rc;
	return check_fresh(srv, issued, counter, cred->nc, now_ms);
}

/* ---- client ------------------------------------------------------------- */

/* True when the comma-separated qop list holds "auth". */
static bool offers_auth(const char *list)
{
	const char *p = list;

	while (*p) {
		size_t n;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		n = strcspn(p, ", \t");
		if (n == 4 && strncasecmp(p, "auth", 4) == 0)
			return true;
		p += n;
	}
	return false;
}

int sip_digest_client_rank(const struct sip_digest_params *ch)
{
	if (!ch->alg_known || !ch->nonce[0] || (ch->qop[0] && !offers_auth(ch->qop)))
		return 0;
	return ch->alg == SIP_DIGEST_SHA256 ? 2 : 1;
}

static int new_cnonce(char out[static 2 * CNONCE_BYTES + 1])
{
	uint8_t raw[CNONCE_BYTES];

	if (RAND_bytes(raw, sizeof raw) != 1)
		return FGW_ERR_CRYPTO;
	str_hex(raw, sizeof raw, out);
	return FGW_OK;
}

struct answer {
	const struct sip_digest_params *ch;
	const char *method, *uri, *user, *cnonce;
	uint32_t nc;
	bool qop;
	char ha1[SIP_DIGEST_HEX_MAX + 1];
	char response[SIP_DIGEST_HEX_MAX + 1];
};

static int write_answer(const struct answer *a, char *buf, size_t size)
{
	const struct sip_digest_params *ch = a->ch;
	char opaque[SIP_DIGEST_VALUE_MAX + 16] = "", qop[SIP_DIGEST_VALUE_MAX + 48] = "";
	int rc = FGW_OK;

	if (ch->opaque[0])
		rc = str_format(opaque, sizeof opaque, ", opaque=\"%s\"", ch->opaque);
	if (rc == FGW_OK && a->qop)
		rc = str_format(qop, sizeof qop, ", cnonce=\"%s\", qop=auth, nc=%08x",
				a->cnonce, a->nc);
	if (rc != FGW_OK)
		return rc;
	return str_format(buf, size, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
			  "uri=\"%s\", response=\"%s\", algorithm=%s%s%s", a->user, ch->realm,
			  ch->nonce, a->uri, a->response, sip_digest_alg_name(ch->alg), qop,
			  opaque);
}

static int compute_answer(struct answer *a, const char *password)
{
	const struct sip_digest_params *ch = a->ch;
	int rc = sip_digest_ha1(ch->alg, a->user, ch->realm, password, a->ha1, sizeof a->ha1);

	if (rc != FGW_OK)
		return rc;
	if (a->qop)
		return sip_digest_response(ch->alg, a->ha1, ch->nonce, a->nc, a->cnonce,
					   a->method, a->uri, a->response, sizeof a->response);
	return response_2069(ch->alg, a->ha1, ch->nonce, a->method, a->uri, a->response,
			     sizeof a->response);
}

int sip_digest_client_answer(const struct sip_digest_params *challenge, const char *method,
			     const char *uri, const char *user, const char *password,
			     uint32_t nc, const char *cnonce, char *buf, size_t size)
{
	char own[2 * CNONCE_BYTES + 1];
	struct answer a = { .ch = challenge, .method = method, .uri = uri, .user = user,
			    .cnonce = cnonce, .nc = nc, .qop = challenge->qop[0] != '\0' };
	int rc;

	if (sip_digest_client_rank(challenge) == 0)
		return FGW_ERR_UNSUPPORTED;
	if (!method || !uri || !user || !password || !plain_value(uri) || !plain_value(user) ||
	    !plain_value(challenge->realm) || !plain_value(challenge->nonce) ||
	    !plain_value(challenge->opaque) || (cnonce && !plain_value(cnonce)) ||
	    strpbrk(method, " \r\n") != NULL)
		return FGW_ERR_INVALID;
	rc = cnonce ? FGW_OK : new_cnonce(own);
	if (!cnonce)
		a.cnonce = own;
	if (rc == FGW_OK)
		rc = compute_answer(&a, password);
	if (rc == FGW_OK)
		rc = write_answer(&a, buf, size);
	OPENSSL_cleanse(&a, sizeof a);
	return rc;
}
