/* Erasure certificates. A tiny JSON model (objects of strings, integers
 * and one level of nested objects) is enough for the certificate and lets
 * maker and verifier share one canonical serialiser. */
#include "storage/cert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/keys.h"

#define JKEY_MAX 32
#define JMEMBERS_MAX 32
#define JOBJS_MAX 4
#define SIG_B64_LEN 88
#define FORMAT_NAME "faxgw erasure certificate"
#define FORMAT_VERSION 1

static const char method_text[] =
	"cryptographic erase, then overwrite. Each document was stored encrypted "
	"under its own random AES-256 key; erasing destroyed those keys (and, for "
	"a whole-device wipe, the master key they all depend on), so the stored "
	"ciphertext can no longer be turned back into the document: this is the "
	"purge level of sanitization by cryptographic erase as described in NIST "
	"SP 800-88 Rev. 1, section 2.6. In addition every file that held the data "
	"was overwritten once with random bytes, flushed to the storage device and "
	"deleted, which is a clear-level overwrite on top of the purge.";

enum jtype { J_STR, J_INT, J_OBJ };

struct jobj;
struct jval {
	char key[JKEY_MAX + 1];
	enum jtype type;
	const char *str;
	int64_t num;
	struct jobj *obj;
};

struct jobj {
	struct jval v[JMEMBERS_MAX];
	size_t n;
};

/* All of a parsed or built document, in one allocation. */
struct jdoc {
	struct jobj objs[JOBJS_MAX];
	size_t nobjs;
	char strings[CERT_MAX_BYTES];
	size_t used;
};

struct buf {
	char *p;
	size_t len, cap;
	bool overflow;
};

/* ---- building ----------------------------------------------------------- */

static struct jobj *jdoc_obj(struct jdoc *d)
{
	return d->nobjs < JOBJS_MAX ? &d->objs[d->nobjs++] : NULL;
}

static const char *jdoc_str(struct jdoc *d, const char *s, size_t len)
{
	char *p;

	if (len + 1 > sizeof d->strings - d->used)
		return NULL;
	p = d->strings + d->used;
	memcpy(p, s, len);
	p[len] = '\0';
	d->used += len + 1;
	return p;
}

static struct jval *jobj_add(struct jobj *o, const char *key)
{
	struct jval *v;

	if (o == NULL || o->n >= JMEMBERS_MAX || str_copy(o->v[o->n].key, JKEY_MAX + 1, key) != 0)
		return NULL;
	v = &o->v[o->n++];
	v->obj = NULL;
	v->str = NULL;
	return v;
}

static int add_str(struct jdoc *d, struct jobj *o, const char *key, const char *s)
{
	struct jval *v = jobj_add(o, key);

	if (v == NULL || (v->str = jdoc_str(d, s, strlen(s))) == NULL)
		return FGW_ERR_TOO_LARGE;
	v->type = J_STR;
	return FGW_OK;
}

static int add_int(struct jobj *o, const char *key, int64_t num)
{
	struct jval *v = jobj_add(o, key);

	if (v == NULL)
		return FGW_ERR_TOO_LARGE;
	v->type = J_INT;
	v->num = num;
	return FGW_OK;
}

static const struct jval *jobj_get(const struct jobj *o, const char *key)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->v[i].key, key) == 0)
			return &o->v[i];
	return NULL;
}

/* ---- canonical serialisation -------------------------------------------- */

static void buf_put(struct buf *b, const char *s, size_t len)
{
	if (b->overflow || len > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
}

static void buf_str(struct buf *b, const char *s)
{
	buf_put(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			buf_put(b, esc, 2);
		} else if (c < 0x20) {
			if (str_format(esc, sizeof esc, "\\u%04x", c) != FGW_OK)
				b->overflow = true;
			buf_put(b, esc, 6);
		} else {
			buf_put(b, (const char *)&c, 1);
		}
	}
	buf_put(b, "\"", 1);
}

static int cmp_key(const void *a, const void *b)
{
	const struct jval *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

/* Writes o canonically, leaving out the member named skip (may be NULL). */
static void buf_obj(struct buf *b, const struct jobj *o, const char *skip)
{
	const struct jval *sorted[JMEMBERS_MAX];
	size_t n = 0;
	bool first = true;

	for (size_t i = 0; i < o->n; i++)
		if (skip == NULL || strcmp(o->v[i].key, skip) != 0)
			sorted[n++] = &o->v[i];
	qsort(sorted, n, sizeof sorted[0], cmp_key);
	buf_put(b, "{", 1);
	for (size_t i = 0; i < n; i++) {
		char num[24];
		if (!first)
			buf_put(b, ",", 1);
		first = false;
		buf_str(b, sorted[i]->key);
		buf_put(b, ":", 1);
		if (sorted[i]->type == J_STR) {
			buf_str(b, sorted[i]->str);
		} else if (sorted[i]->type == J_OBJ) {
			buf_obj(b, sorted[i]->obj, NULL);
		} else {
			if (str_format(num, sizeof num, "%lld", (long long)sorted[i]->num) != FGW_OK)
				b->overflow = true;
			buf_put(b, num, strlen(num));
		}
	}
	buf_put(b, "}", 1);
}

/* ---- parsing ------------------------------------------------------------ */

struct cursor {
	const char *p, *end;
	struct jdoc *doc;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool expect(struct cursor *c, char ch)
{
	skip_ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

static int hex4(const char *p, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++) {
		char ch = p[i];
		unsigned d = ch >= '0' && ch <= '9' ? (unsigned)(ch - '0') :
			     ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10) :
			     ch >= 'A' && ch <= 'F' ? (unsigned)(ch - 'A' + 10) : 16;
		if (d > 15)
			return FGW_ERR_PARSE;
		*out = *out << 4 | d;
	}
	return FGW_OK;
}

/* One escape after the backslash; appends its UTF-8 bytes to out. */
static int parse_escape(struct cursor *c, char *out, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	unsigned u;

	if (c->p >= c->end)
		return FGW_ERR_PARSE;
	if ((hit = strchr(from, *c->p)) != NULL && *c->p != '\0') {
		out[(*n)++] = to[hit - from];
		c->p++;
		return FGW_OK;
	}
	if (*c->p != 'u' || c->end - c->p < 5 || hex4(c->p + 1, &u) != FGW_OK ||
	    (u >= 0xd800 && u <= 0xdfff) || u == 0)
		return FGW_ERR_PARSE;
	c->p += 5;
	if (u < 0x80) {
		out[(*n)++] = (char)u;
	} else if (u < 0x800) {
		out[(*n)++] = (char)(0xc0 | u >> 6);
		out[(*n)++] = (char)(0x80 | (u & 0x3f));
	} else {
		out[(*n)++] = (char)(0xe0 | u >> 12);
		out[(*n)++] = (char)(0x80 | (u >> 6 & 0x3f));
		out[(*n)++] = (char)(0x80 | (u & 0x3f));
	}
	return FGW_OK;
}

/* Parses a string into the document's string arena. */
static int parse_string(struct cursor *c, const char **out)
{
	struct jdoc *d = c->doc;
	char *dst = d->strings + d->used;
	size_t n = 0, room = sizeof d->strings - d->used;

	if (!expect(c, '"'))
		return FGW_ERR_PARSE;
	while (c->p < c->end && *c->p != '"') {
		if (n + 4 >= room)
			return FGW_ERR_TOO_LARGE;
		if ((unsigned char)*c->p < 0x20)
			return FGW_ERR_PARSE;
		if (*c->p == '\\') {
			c->p++;
			if (parse_escape(c, dst, &n) != FGW_OK)
				return FGW_ERR_PARSE;
		} else {
			dst[n++] = *c->p++;
		}
	}
	if (c->p >= c->end)
		return FGW_ERR_PARSE;
	c->p++;
	dst[n] = '\0';
	d->used += n + 1;
	*out = dst;
	return FGW_OK;
}

static int parse_int(struct cursor *c, int64_t *out)
{
	bool neg = c->p < c->end && *c->p == '-';
	const char *start;
	uint64_t v = 0;

	if (neg)
		c->p++;
	start = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (v > (UINT64_C(1) << 62) / 5)
			return FGW_ERR_PARSE;
		v = v * 10 + (uint64_t)(*c->p++ - '0');
	}
	if (c->p == start || (c->p - start > 1 && *start == '0') || v > INT64_MAX)
		return FGW_ERR_PARSE;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return FGW_OK;
}

static int parse_object(struct cursor *c, struct jobj **out, int depth);

static int parse_value(struct cursor *c, struct jval *v, int depth)
{
	skip_ws(c);
	if (c->p >= c->end)
		return FGW_ERR_PARSE;
	if (*c->p == '"') {
		v->type = J_STR;
		return parse_string(c, &v->str);
	}
	if (*c->p == '{') {
		v->type = J_OBJ;
		return depth >= 1 ? FGW_ERR_PARSE : parse_object(c, &v->obj, depth + 1);
	}
	v->type = J_INT;
	return parse_int(c, &v->num);
}

static int parse_member(struct cursor *c, struct jobj *o, int depth)
{
	const char *key;
	struct jval *v;
	int rc = parse_string(c, &key);

	if (rc != FGW_OK)
		return rc;
	if (jobj_get(o, key) != NULL || !expect(c, ':') || (v = jobj_add(o, key)) == NULL)
		return FGW_ERR_PARSE;
	return parse_value(c, v, depth);
}

static int parse_object(struct cursor *c, struct jobj **out, int depth)
{
	struct jobj *o = jdoc_obj(c->doc);
	int rc;

	if (o == NULL || !expect(c, '{'))
		return FGW_ERR_PARSE;
	*out = o;
	if (expect(c, '}'))
		return FGW_OK;
	do {
		skip_ws(c);
		if ((rc = parse_member(c, o, depth)) != FGW_OK)
			return rc;
	} while (expect(c, ','));
	return expect(c, '}') ? FGW_OK : FGW_ERR_PARSE;
}

static int parse_doc(const char *json, size_t len, struct jdoc *d, struct jobj **root)
{
	struct cursor c = {json, json + len, d};
	int rc = parse_object(&c, root, 0);

	if (rc != FGW_OK)
		return rc;
	skip_ws(&c);
	return c.p == c.end ? FGW_OK : FGW_ERR_PARSE;
}

/* ---- making ------------------------------------------------------------- */

int cert_time(int64_t ms, char out[static 25])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || gmtime_r(&secs, &tm) == NULL)
		return FGW_ERR_RANGE;
	return str_format(out, 25, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			  (int)(ms % 1000));
}

static int hex(const uint8_t *p, size_t n, char *out, size_t size)
{
	if (size < 2 * n + 1)
		return FGW_ERR_TOO_LARGE;
	for (size_t i = 0; i < n; i++)
		if (str_format(out + 2 * i, 3, "%02x", p[i]) != FGW_OK)
			return FGW_ERR_RANGE;
	return FGW_OK;
}

/* SHA-256 of a public key's raw bytes, as 64 hex digits. */
static int key_fingerprint(EVP_PKEY *pkey, char out[65])
{
	uint8_t raw[32], digest[32];
	size_t len = sizeof raw;
	unsigned dlen = sizeof digest;

	if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != sizeof raw ||
	    EVP_Digest(raw, len, digest, &dlen, EVP_sha256(), NULL) != 1)
		return FGW_ERR_CRYPTO;
	return hex(digest, sizeof digest, out, 65);
}

static EVP_PKEY *pem_to_pubkey(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pkey = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (pkey != NULL && EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

static int signer_fingerprint(const struct keys *k, char out[65])
{
	char pem[512];
	EVP_PKEY *pkey;
	int rc = keys_public_pem(k, pem, sizeof pem);

	if (rc != FGW_OK)
		return rc;
	if ((pkey = pem_to_pubkey(pem)) == NULL)
		return FGW_ERR_CRYPTO;
	rc = key_fingerprint(pkey, out);
	EVP_PKEY_free(pkey);
	return rc;
}

static int add_counts(struct jdoc *d, struct jobj *root, const struct cert_info *in)
{
	struct jval *v = jobj_add(root, "counts");
	struct jobj *o = jdoc_obj(d);

	if (v == NULL || o == NULL)
		return FGW_ERR_TOO_LARGE;
	v->type = J_OBJ;
	v->obj = o;
	if (in->documents > INT64_MAX || in->mailboxes > INT64_MAX || in->files > INT64_MAX ||
	    in->bytes_overwritten > INT64_MAX || in->keys_destroyed > INT64_MAX)
		return FGW_ERR_RANGE;
	if (add_int(o, "documents", (int64_t)in->documents) != FGW_OK ||
	    add_int(o, "mailboxes", (int64_t)in->mailboxes) != FGW_OK ||
	    add_int(o, "files", (int64_t)in->files) != FGW_OK ||
	    add_int(o, "bytes_overwritten", (int64_t)in->bytes_overwritten) != FGW_OK ||
	    add_int(o, "keys_destroyed", (int64_t)in->keys_destroyed) != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	return FGW_OK;
}

static int build(const struct keys *k, const struct cert_info *in, struct jdoc *d,
		 struct jobj **out)
{
	struct jobj *root = jdoc_obj(d);
	char started[25], finished[25], fp[65], id[33];
	uint8_t rnd[16];
	int rc;

	if (in->scope == NULL || in->target == NULL)
		return FGW_ERR_INVALID;
	if ((rc = cert_time(in->started_ms, started)) != FGW_OK ||
	    (rc = cert_time(in->finished_ms, finished)) != FGW_OK ||
	    (rc = signer_fingerprint(k, fp)) != FGW_OK)
		return rc;
	if (RAND_bytes(rnd, sizeof rnd) != 1 || hex(rnd, sizeof rnd, id, sizeof id) != FGW_OK)
		return FGW_ERR_CRYPTO;
	if (add_str(d, root, "certificate", FORMAT_NAME) != FGW_OK ||
	    add_int(root, "version", FORMAT_VERSION) != FGW_OK ||
	    add_str(d, root, "id", id) != FGW_OK ||
	    add_str(d, root, "device_id", keys_device_id(k)) != FGW_OK ||
	    add_str(d, root, "scope", in->scope) != FGW_OK ||
	    add_str(d, root, "target", in->target) != FGW_OK ||
	    add_str(d, root, "method", method_text) != FGW_OK ||
	    add_str(d, root, "started", started) != FGW_OK ||
	    add_str(d, root, "finished", finished) != FGW_OK ||
	    add_str(d, root, "signer_key_sha256", fp) != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	*out = root;
	return add_counts(d, root, in);
}

/* Serialises root canonically into a new malloc'd string. */
static int serialise(const struct jobj *root, const char *skip, char **out, size_t *len)
{
	struct buf b = {malloc(CERT_MAX_BYTES), 0, CERT_MAX_BYTES - 1, false};

	if (b.p == NULL)
		return FGW_ERR_NOMEM;
	buf_obj(&b, root, skip);
	if (b.overflow) {
		free(b.p);
		return FGW_ERR_TOO_LARGE;
	}
	b.p[b.len] = '\0';
	*out = b.p;
	*len = b.len;
	return FGW_OK;
}

static int sign_root(const struct keys *k, struct jdoc *d, struct jobj *root)
{
	uint8_t sig[KEYS_SIG_LEN];
	char b64[SIG_B64_LEN + 1];
	char *canon;
	size_t len;
	int rc = serialise(root, NULL, &canon, &len);

	if (rc != FGW_OK)
		return rc;
	rc = keys_sign(k, canon, len, sig);
	free(canon);
	if (rc != FGW_OK)
		return rc;
	if (EVP_EncodeBlock((unsigned char *)b64, sig, sizeof sig) != SIG_B64_LEN)
		return FGW_ERR_CRYPTO;
	return add_str(d, root, "signature", b64);
}

static const char *field_str(const struct jobj *o, const char *key)
{
	const struct jval *v = jobj_get(o, key);

	return v != NULL && v->type == J_STR ? v->str : "?";
}

static long long count(const struct jobj *root, const char *key)
{
	const struct jval *c = jobj_get(root, "counts"), *v;

	v = c != NULL && c->type == J_OBJ ? jobj_get(c->obj, key) : NULL;
	return v != NULL && v->type == J_INT ? (long long)v->num : -1;
}

static int text_form(const struct jobj *root, char **out)
{
	size_t cap = 4096;
	char *t = malloc(cap);

	if (t == NULL)
		return FGW_ERR_NOMEM;
	if (str_format(t, cap,
		       "FAXGW ERASURE CERTIFICATE\n\n"
		       "Certificate id:     %s\nDevice id:          %s\n"
		       "Scope:              %s\nWhat was erased:    %s\n"
		       "Started (UTC):      %s\nFinished (UTC):     %s\n\n"
		       "Documents erased:   %lld\nMailboxes erased:   %lld\n"
		       "Files overwritten:  %lld (%lld bytes)\nKeys destroyed:     %lld\n\n"
		       "Method: %s\n\n"
		       "Signed with the device's Ed25519 key, SHA-256 %s.\n"
		       "Signature: %s\n\n"
		       "To check it: faxgw cert verify CERTIFICATE.json --pubkey PUBLIC-KEY.pem\n",
		       field_str(root, "id"), field_str(root, "device_id"),
		       field_str(root, "scope"), field_str(root, "target"),
		       field_str(root, "started"), field_str(root, "finished"),
		       count(root, "documents"), count(root, "mailboxes"), count(root, "files"),
		       count(root, "bytes_overwritten"), count(root, "keys_destroyed"),
		       field_str(root, "method"), field_str(root, "signer_key_sha256"),
		       field_str(root, "signature")) != FGW_OK) {
		free(t);
		return FGW_ERR_TOO_LARGE;
	}
	*out = t;
	return FGW_OK;
}

int cert_make(const struct keys *k, const struct cert_info *info, char **json, char **text)
{
	struct jdoc *d = calloc(1, sizeof *d);
	struct jobj *root = NULL;
	size_t len;
	int rc;

	*json = *text = NULL;
	if (d == NULL)
		return FGW_ERR_NOMEM;
	rc = build(k, info, d, &root);
	if (rc == FGW_OK)
		rc = sign_root(k, d, root);
	if (rc == FGW_OK)
		rc = serialise(root, NULL, json, &len);
	if (rc == FGW_OK && (rc = text_form(root, text)) != FGW_OK) {
		free(*json);
		*json = NULL;
	}
	free(d);
	return rc;
}

static int write_file(const char *path, const char *data)
{
	size_t len = strlen(data);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	ssize_t n;

	if (fd < 0) {
		log_errno("cannot create %s", path);
		return errno == EEXIST ? FGW_ERR_EXISTS : FGW_ERR_IO;
	}
	n = write(fd, data, len);
	if (n != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		log_errno("cannot write %s", path);
		close(fd);
		return FGW_ERR_IO;
	}
	return close(fd) == 0 ? FGW_OK : FGW_ERR_IO;
}

int cert_write(const struct keys *k, const struct cert_info *info, const char *dir,
	       char *json_path, size_t json_path_size)
{
	char *json, *text, base[4096], path[4200], stamp[25], tag[9];
	uint8_t rnd[4];
	int rc = cert_time(info->finished_ms, stamp);

	if (rc != FGW_OK)
		return rc;
	for (char *p = stamp; *p != '\0'; p++)
		if (*p == ':' || *p == '.')
			*p = '-';
	/* a random tag keeps two erasures in the same millisecond apart */
	if (RAND_bytes(rnd, sizeof rnd) != 1 || hex(rnd, sizeof rnd, tag, sizeof tag) != FGW_OK)
		return FGW_ERR_CRYPTO;
	if (str_format(base, sizeof base, "%s/erasure-%s-%s-%s", dir, keys_device_id(k), stamp,
		       tag) != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	if ((rc = cert_make(k, info, &json, &text)) != FGW_OK)
		return rc;
	rc = str_format(path, sizeof path, "%s.json", base);
	if (rc == FGW_OK && (rc = write_file(path, json)) == FGW_OK && json_path != NULL)
		rc = str_copy(json_path, json_path_size, path);
	if (rc == FGW_OK && (rc = str_format(path, sizeof path, "%s.txt", base)) == FGW_OK)
		rc = write_file(path, text);
	free(json);
	free(text);
	return rc;
}

/* ---- verifying ---------------------------------------------------------- */

static void say(char *why, size_t size, const char *msg)
{
	if (why != NULL && size > 0 && str_copy(why, size, msg) != FGW_OK)
		why[size - 1] = '\0';
}

/* Checks that every member a certificate must have is there. */
static bool well_formed(const struct jobj *root)
{
	static const char *const strs[] = {"certificate", "id", "device_id", "scope", "target",
					   "method", "started", "finished",
					   "signer_key_sha256", "signature"};
	static const char *const counts[] = {"documents", "mailboxes", "files",
					     "bytes_overwritten", "keys_destroyed"};
	const struct jval *v = jobj_get(root, "version");

	if (v == NULL || v->type != J_INT || v->num != FORMAT_VERSION)
		return false;
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		if ((v = jobj_get(root, strs[i])) == NULL || v->type != J_STR)
			return false;
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
		if (count(root, counts[i]) < 0)
			return false;
	return strcmp(field_str(root, "certificate"), FORMAT_NAME) == 0;
}

static int decode_sig(const char *b64, uint8_t sig[static KEYS_SIG_LEN])
{
	uint8_t raw[SIG_B64_LEN];
	char again[SIG_B64_LEN + 1];

	if (strlen(b64) != SIG_B64_LEN ||
	    EVP_DecodeBlock(raw, (const unsigned char *)b64, SIG_B64_LEN) != 66)
		return FGW_ERR_PARSE;
	memcpy(sig, raw, KEYS_SIG_LEN);
	/* only the canonical encoding is accepted */
	if (EVP_EncodeBlock((unsigned char *)again, sig, KEYS_SIG_LEN) != SIG_B64_LEN ||
	    strcmp(again, b64) != 0)
		return FGW_ERR_PARSE;
	return FGW_OK;
}

static int check_signature(const struct jobj *root, EVP_PKEY *pkey, const uint8_t *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *canon;
	size_t len;
	int rc = serialise(root, "signature", &canon, &len), ok;

	if (rc != FGW_OK) {
		EVP_MD_CTX_free(ctx);
		return rc;
	}
	ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, KEYS_SIG_LEN, (const uint8_t *)canon, len) == 1;
	EVP_MD_CTX_free(ctx);
	free(canon);
	return ok ? FGW_OK : FGW_ERR_TAMPERED;
}

static int verify_root(const struct jobj *root, EVP_PKEY *pkey, char *why, size_t size)
{
	uint8_t sig[KEYS_SIG_LEN];
	char fp[65], msg[CERT_WHY_MAX];

	if (!well_formed(root) || decode_sig(field_str(root, "signature"), sig) != FGW_OK) {
		say(why, size, "malformed: not a faxgw erasure certificate (a member is missing "
			       "or has the wrong type)");
		return FGW_ERR_PARSE;
	}
	if (key_fingerprint(pkey, fp) != FGW_OK)
		return FGW_ERR_CRYPTO;
	if (strcmp(fp, field_str(root, "signer_key_sha256")) != 0) {
		if (str_format(msg, sizeof msg, "wrong key: the certificate names signing key "
			       "%.16s..., the key given is %.16s...",
			       field_str(root, "signer_key_sha256"), fp) != FGW_OK)
			msg[0] = '\0';
		say(why, size, msg);
		return FGW_ERR_MISMATCH;
	}
	if (check_signature(root, pkey, sig) != FGW_OK) {
		say(why, size, "tampered: the signature does not match the certificate's "
			       "contents (a field was changed after signing)");
		return FGW_ERR_TAMPERED;
	}
	say(why, size, "valid");
	return FGW_OK;
}

int cert_verify(const char *json, size_t len, const char *pubkey_pem, char *why,
		size_t why_size)
{
	struct jdoc *d;
	struct jobj *root;
	EVP_PKEY *pkey;
	int rc;

	if (len > CERT_MAX_BYTES) {
		say(why, why_size, "malformed: larger than any certificate");
		return FGW_ERR_PARSE;
	}
	if ((pkey = pem_to_pubkey(pubkey_pem)) == NULL) {
		say(why, why_size, "the public key is not an Ed25519 public key in PEM form");
		return FGW_ERR_PARSE;
	}
	if ((d = calloc(1, sizeof *d)) == NULL) {
		EVP_PKEY_free(pkey);
		return FGW_ERR_NOMEM;
	}
	rc = parse_doc(json, len, d, &root);
	if (rc != FGW_OK) {
		say(why, why_size, "malformed: not valid certificate JSON");
		rc = FGW_ERR_PARSE;
	} else {
		rc = verify_root(root, pkey, why, why_size);
	}
	free(d);
	EVP_PKEY_free(pkey);
	return rc;
}

/* Reads a whole small file into a NUL-terminated malloc'd buffer. */
static int slurp(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? FGW_ERR_NOT_FOUND : FGW_ERR_IO;
	if (fstat(fd, &st) != 0 || st.st_size > CERT_MAX_BYTES) {
		close(fd);
		return FGW_ERR_TOO_LARGE;
	}
	*out = malloc((size_t)st.st_size + 1);
	if (*out == NULL) {
		close(fd);
		return FGW_ERR_NOMEM;
	}
	n = read(fd, *out, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(*out);
		return FGW_ERR_IO;
	}
	(*out)[n] = '\0';
	*len = (size_t)n;
	return FGW_OK;
}

int cert_verify_files(const char *cert_path, const char *pubkey_path, char *why,
		      size_t why_size)
{
	char *json = NULL, *pem = NULL, msg[CERT_WHY_MAX];
	size_t jlen = 0, plen = 0;
	int rc = slurp(cert_path, &json, &jlen);
	const char *bad = cert_path;

	if (rc == FGW_OK && (rc = slurp(pubkey_path, &pem, &plen)) != FGW_OK)
		bad = pubkey_path;
	if (rc == FGW_OK)
		rc = cert_verify(json, jlen, pem, why, why_size);
	else if (str_format(msg, sizeof msg, "cannot read %s: %s", bad, fgw_strerror(rc)) ==
		 FGW_OK)
		say(why, why_size, msg);
	free(json);
	free(pem);
	return rc;
}
