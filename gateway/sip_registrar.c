/* The registrar: digest checks against the catalog's per-device HA1,
 * shared lockouts and audit records, in-memory bindings, responses as
 * bytes. Contact/Expires parsing and the binding table are in
 * sip_bindings.c. */
#include "gateway/sip_registrar.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <osipparser2/osip_parser.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/control.h"
#include "gateway/sip_bindings.h"
#include "gateway/sip_digest.h"
#include "gateway/sipmsg.h"
#include "storage/audit.h"
#include "storage/catalog.h"
#include "storage/catalog_sip.h"
#include "storage/lockout.h"
#include "storage/store.h"

#define SCOPE_DEVICE "sip"
#define HEADER_LINES_MAX 1536   /* extra header bytes we add to a response */

struct sip_registrar {
	struct store *store;
	struct sip_digest_server *digest;
	struct sip_bindings *bindings;
	int64_t expires_max_s;
	unsigned max_failures;
	int64_t lock_ms;
	enum sip_digest_alg algs[2];   /* challenges offered, preferred first */
	size_t nalgs;
	sip_registrar_clock_fn *steady, *wall;
	void *clock_arg;
};

/* What one request is being answered with. */
struct reply {
	char *buf;
	size_t size, *len;
	const struct sipmsg *req;
	const char *source;
	char addr[SIP_REGISTRAR_SOURCE_MAX + 1];  /* source without port */
};

/* ---- clocks and settings ------------------------------------------------ */

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t default_steady(void *arg)
{
	(void)arg;
	return clock_ms(CLOCK_MONOTONIC);
}

static int64_t default_wall(void *arg)
{
	(void)arg;
	return clock_ms(CLOCK_REALTIME);
}

static int64_t steady_now(const struct sip_registrar *reg)
{
	return reg->steady(reg->clock_arg);
}

static int64_t wall_now(const struct sip_registrar *reg)
{
	return reg->wall(reg->clock_arg);
}

/* [sip] digest_algorithms: "sha256-md5", "md5-sha256", "sha256", "md5". */
static void read_algorithms(struct sip_registrar *reg, const char *v)
{
	bool md5_first = strncmp(v, "md5", 3) == 0;

	reg->nalgs = 0;
	reg->algs[reg->nalgs++] = md5_first ? SIP_DIGEST_MD5 : SIP_DIGEST_SHA256;
	if (strchr(v, '-'))
		reg->algs[reg->nalgs++] = md5_first ? SIP_DIGEST_SHA256 : SIP_DIGEST_MD5;
}

static bool offered(const struct sip_registrar *reg, enum sip_digest_alg alg)
{
	for (size_t i = 0; i < reg->nalgs; i++)
		if (reg->algs[i] == alg)
			return true;
	return false;
}

static void read_settings(struct sip_registrar *reg, const struct config *cfg)
{
	read_algorithms(reg, config_str(cfg, "sip", "digest_algorithms"));
	reg->expires_max_s = config_int(cfg, "sip", "register_expires_max");
	reg->max_failures = (unsigned)config_int(cfg, "security", "login_max_failures");
	reg->lock_ms = config_int(cfg, "web", "login_lock_minutes") * 60000;
}

int sip_registrar_new(struct store *store, const struct config *cfg,
		      struct sip_registrar **out)
{
	struct sip_registrar *reg = calloc(1, sizeof *reg);
	int rc;

	if (!reg)
		return FGW_ERR_NOMEM;
	reg->store = store;
	reg->steady = default_steady;
	reg->wall = default_wall;
	read_settings(reg, cfg);
	rc = sip_digest_server_new(config_str(cfg, "sip", "realm"), SIP_REGISTRAR_NONCE_MS,
				   &reg->digest);
	if (rc == FGW_OK)
		rc = sip_bindings_new(&reg->bindings);
	if (rc != FGW_OK) {
		sip_registrar_free(reg);
		return rc;
	}
	*out = reg;
	return FGW_OK;
}

void sip_registrar_free(struct sip_registrar *reg)
{
	if (!reg)
		return;
	sip_digest_server_free(reg->digest);
	sip_bindings_free(reg->bindings);
	free(reg);
}

int sip_registrar_reconfigure(struct sip_registrar *reg, const struct config *cfg)
{
	const char *realm = config_str(cfg, "sip", "realm");
	struct sip_digest_server *fresh = NULL;
	int rc;

	if (strcmp(realm, sip_digest_server_realm(reg->digest)) != 0) {
		rc = sip_digest_server_new(realm, SIP_REGISTRAR_NONCE_MS, &fresh);
		if (rc != FGW_OK)
			return rc;
		sip_digest_server_free(reg->digest);
		reg->digest = fresh;
	}
	read_settings(reg, cfg);
	return FGW_OK;
}

void sip_registrar_set_clock(struct sip_registrar *reg, sip_registrar_clock_fn *steady,
			     sip_registrar_clock_fn *wall, void *arg)
{
	reg->steady = steady ? steady : default_steady;
	reg->wall = wall ? wall : default_wall;
	reg->clock_arg = arg;
}

/* ---- responses ---------------------------------------------------------- */

static int random_tag(char out[17])
{
	uint8_t raw[8];

	if (RAND_bytes(raw, sizeof raw) != 1)
		return FGW_ERR_CRYPTO;
	str_hex(raw, sizeof raw, out);
	return FGW_OK;
}

/* Puts lines ("Name: value\r\n"...) right before the blank line that ends
 * the headers of the response in r->buf. */
static int splice_headers(struct reply *r, const char *lines)
{
	char *end = strstr(r->buf, "\r\n\r\n");
	size_t add = strlen(lines), at;

	if (!end)
		return FGW_ERR_INVALID;
	if (*r->len + add + 1 > r->size)
		return FGW_ERR_TOO_LARGE;
	at = (size_t)(end - r->buf) + 2;
	memmove(r->buf + at + add, r->buf + at, *r->len - at + 1);
	memcpy(r->buf + at, lines, add);
	*r->len += add;
	return FGW_OK;
}

/* Writes the response with status and extra header lines (may be "");
 * returns status, or a negative code when nothing could be written. */
static int respond(struct reply *r, int status, const char *lines)
{
	char tag[17];
	struct sipmsg_reply extra = { .to_tag = tag };
	int rc = random_tag(tag);

	if (rc == FGW_OK)
		rc = sipmsg_build_response(r->req, status, &extra, r->buf, r->size, r->len);
	if (rc == FGW_OK && lines[0])
		rc = splice_headers(r, lines);
	return rc == FGW_OK ? status : rc;
}

/* 401 with one challenge per offered algorithm, preferred first (RFC 8760
 * 2.4: SHA-256, then MD5 for older devices). */
static int challenge(struct sip_registrar *reg, struct reply *r, bool stale)
{
	char one[512], lines[HEADER_LINES_MAX] = "";
	int64_t now = steady_now(reg);
	int rc = FGW_OK;

	for (size_t i = 0; rc == FGW_OK && i < reg->nalgs; i++) {
		size_t n = strlen(lines);
		rc = sip_digest_server_challenge(reg->digest, reg->algs[i], stale, now, one,
						 sizeof one);
		if (rc == FGW_OK)
			rc = str_format(lines + n, sizeof lines - n, "WWW-Authenticate: %s\r\n",
					one);
	}
	return rc == FGW_OK ? respond(r, 401, lines) : rc;
}

/* ---- audit and lockout -------------------------------------------------- */

static void audit(struct sip_registrar *reg, enum audit_event ev, const char *user,
		  const char *source, const char *reason)
{
	struct audit_field f[] = {
		AUDIT_F_STR("user", user), AUDIT_F_STR("source", source),
		AUDIT_F_STR("service", "sip"), AUDIT_F_STR("reason", reason),
	};
	int rc = audit_append_durable(store_audit(reg->store), ev, f, sizeof f / sizeof f[0],
				      NULL);

	if (rc != FGW_OK)
		log_error("sip: cannot write the audit record: %s", fgw_strerror(rc));
}

/* Records a failed authentication of user from r's source and counts it;
 * returns true when the device or the address is now locked. */
static bool failed(struct sip_registrar *reg, const struct reply *r, const char *user,
		   const char *reason)
{
	struct catalog *cat = store_catalog(reg->store);
	struct lockout_policy dev = { .max_failures = reg->max_failures, .lock_ms = reg->lock_ms };
	struct lockout_policy addr = lockout_addr_policy(reg->max_failures);
	bool locked = false;

	log_info("sip: authentication of %s from %s failed: %s", user, r->source, reason);
	audit(reg, AUDIT_LOGIN_FAILURE, user, r->source, reason);
	if (user[0] && lockout_fail(cat, SCOPE_DEVICE, user, &dev, wall_now(reg)) == 1) {
		audit(reg, AUDIT_LOCKOUT, user, r->source, "SIP device locked after failed "
		      "authentications");
		locked = true;
	}
	if (lockout_fail(cat, LOCKOUT_SCOPE_ADDR, r->addr, &addr, wall_now(reg)) == 1) {
		audit(reg, AUDIT_LOCKOUT, user, r->source, "source address slowed down");
		locked = true;
	}
	return locked;
}

static bool is_locked(struct sip_registrar *reg, const char *scope, const char *key)
{
	bool locked;
	int rc = lockout_check(store_catalog(reg->store), scope, key, wall_now(reg), &locked);

	if (rc != FGW_OK)
		log_error("sip: cannot read the lockout of %s: %s", key, fgw_strerror(rc));
	return locked;
}

/* ---- credentials -------------------------------------------------------- */

/* Finds the Authorization header for our realm and parses it. Returns 0,
 * FGW_ERR_NOT_FOUND (none: challenge) or FGW_ERR_PARSE. */
static int find_credentials(struct sip_registrar *reg, const struct sipmsg *req,
			    struct sip_digest_params *out)
{
	osip_message_t *m = sipmsg_osip((struct sipmsg *)req);
	osip_authorization_t *a = NULL;
	int rc = FGW_ERR_NOT_FOUND;

	for (int i = 0; rc != FGW_OK && osip_message_get_authorization(m, i, &a) >= 0; i++) {
		char *text = NULL;
		int prc;
		if (osip_authorization_to_str(a, &text) != 0 || !text)
			return FGW_ERR_PARSE;
		prc = sip_digest_parse(text, strlen(text), out);
		OPENSSL_cleanse(text, strlen(text));
		osip_free(text);
		if (prc == FGW_OK && strcmp(out->realm, sip_digest_server_realm(reg->digest)) == 0)
			rc = FGW_OK;
		else if (prc != FGW_OK && prc != FGW_ERR_UNSUPPORTED)
			rc = FGW_ERR_PARSE;
	}
	return rc;
}

/* Loads the device of user and its HA1 for alg. An unknown user (or one
 * whose password was made under another realm) gets a random HA1 so the
 * answer is "wrong password" in the same time. */
static void load_ha1(struct sip_registrar *reg, const char *user, enum sip_digest_alg alg,
		     char *device, size_t device_size, char ha1[SIP_DIGEST_HEX_MAX + 1],
		     const char **why)
{
	struct catalog_sip_cred c;
	int rc = catalog_sip_get_by_user(store_catalog(reg->store), user, &c);

	*why = "wrong password";
	if (rc == FGW_OK && strcmp(c.realm, sip_digest_server_realm(reg->digest)) != 0) {
		log_warn("sip: the password of device %s was set for realm '%s', not '%s': "
			 "set it again with `faxgw sip password %s`", c.device, c.realm,
			 sip_digest_server_realm(reg->digest), c.device);
		*why = "password set under another realm";
		rc = FGW_ERR_NOT_FOUND;
	} else if (rc != FGW_OK) {
		*why = rc == FGW_ERR_NOT_FOUND ? "unknown user" : "catalog error";
	}
	if (rc != FGW_OK && RAND_bytes(c.ha1_sha256, sizeof c.ha1_sha256) != 1)
		memset(c.ha1_sha256, 0, sizeof c.ha1_sha256);
	if (rc != FGW_OK)
		memcpy(c.ha1_md5, c.ha1_sha256, sizeof c.ha1_md5);
	if (alg == SIP_DIGEST_SHA256)
		str_hex(c.ha1_sha256, sizeof c.ha1_sha256, ha1);
	else
		str_hex(c.ha1_md5, sizeof c.ha1_md5, ha1);
	if (rc != FGW_OK || str_copy(device, device_size, c.device) != FGW_OK)
		device[0] = '\0';
	OPENSSL_cleanse(&c, sizeof c);
}

static bool same_part(const char *a, const char *b, bool fold)
{
	if (!a || !b)
		return (!a || !a[0]) && (!b || !b[0]);
	return fold ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

static const char *port_or_default(const osip_uri_t *u)
{
	return u->port && u->port[0] ? u->port : "5060";
}

/* True when the credentials' digest uri names the request's own
 * Request-URI (RFC 2617 3.2.2.5): same scheme, user, host and port;
 * parameters may differ in form, so they are not compared. */
static bool uri_matches(const struct sipmsg *req, const char *digest_uri)
{
	osip_uri_t *want = osip_message_get_uri(sipmsg_osip((struct sipmsg *)req));
	osip_uri_t *got = NULL;
	bool same;

	if (!want || osip_uri_init(&got) != 0)
		return false;
	same = osip_uri_parse(got, digest_uri) == 0 &&
	       same_part(want->scheme, got->scheme, true) &&
	       same_part(want->username, got->username, false) &&
	       same_part(want->host, got->host, true) &&
	       strcmp(port_or_default(want), port_or_default(got)) == 0;
	osip_uri_free(got);
	return same;
}

/* Outcome of checking a request's credentials. */
enum verdict { V_OK, V_CHALLENGE, V_STALE, V_FORBIDDEN, V_ERROR };

static enum verdict check_digest(struct sip_registrar *reg, struct reply *r,
				 const struct sip_digest_params *cred, char *device,
				 size_t device_size)
{
	char ha1[SIP_DIGEST_HEX_MAX + 1];
	const char *why;
	int rc;

	if (!offered(reg, cred->alg))
		return failed(reg, r, cred->username, "digest algorithm not offered "
			      "([sip] digest_algorithms)") ? V_FORBIDDEN : V_CHALLENGE;
	if (!uri_matches(r->req, cred->uri))
		return failed(reg, r, cred->username, "digest uri is not the request's")
		       ? V_FORBIDDEN : V_CHALLENGE;
	load_ha1(reg, cred->username, cred->alg, device, device_size, ha1, &why);
	rc = sip_digest_server_verify(reg->digest, cred, sipmsg_method(r->req), ha1,
				      steady_now(reg));
	OPENSSL_cleanse(ha1, sizeof ha1);
	if (rc == FGW_OK && device[0])
		return V_OK;
	if (rc == FGW_ERR_TIMEOUT || rc == FGW_ERR_AUTH)
		return V_STALE;
	if (rc == FGW_ERR_REORDERED)
		why = "replayed nonce count";
	else if (rc == FGW_ERR_PARSE)
		why = "incomplete credentials (qop=auth, nc and cnonce are required)";
	else if (rc != FGW_ERR_BAD_PASSWORD && rc != FGW_OK)
		why = "digest computation failed";
	return failed(reg, r, cred->username, why) ? V_FORBIDDEN : V_CHALLENGE;
}

/* The whole authentication of r's request: bans, credentials, digest,
 * lockout. On V_OK device holds the catalog device. */
static enum verdict authenticate(struct sip_registrar *reg, struct reply *r, char *device,
				 size_t device_size)
{
	struct sip_digest_params cred;
	enum verdict v;
	int rc;

	if (is_locked(reg, LOCKOUT_SCOPE_ADDR, r->addr)) {
		audit(reg, AUDIT_LOGIN_FAILURE, "", r->source, "source address banned");
		return V_FORBIDDEN;
	}
	rc = find_credentials(reg, r->req, &cred);
	if (rc == FGW_ERR_NOT_FOUND)
		return V_CHALLENGE;
	if (rc != FGW_OK)
		return failed(reg, r, "", "malformed credentials") ? V_FORBIDDEN : V_CHALLENGE;
	if (is_locked(reg, SCOPE_DEVICE, cred.username)) {
		audit(reg, AUDIT_LOGIN_FAILURE, cred.username, r->source, "device locked");
		OPENSSL_cleanse(&cred, sizeof cred);
		return V_FORBIDDEN;
	}
	v = check_digest(reg, r, &cred, device, device_size);
	OPENSSL_cleanse(&cred, sizeof cred);
	return v;
}

/* Success: the device's failure count starts again; a login record. */
static void succeeded(struct sip_registrar *reg, const struct reply *r, const char *device)
{
	if (lockout_clear(store_catalog(reg->store), SCOPE_DEVICE, device) != FGW_OK)
		log_warn("sip: cannot reset the failure count of %s", device);
	audit(reg, AUDIT_LOGIN, device, r->source, sipmsg_method(r->req));
}

/* Answers a verdict other than V_OK. */
static int refuse(struct sip_registrar *reg, struct reply *r, enum verdict v)
{
	if (v == V_CHALLENGE || v == V_STALE)
		return challenge(reg, r, v == V_STALE);
	return respond(r, v == V_FORBIDDEN ? 403 : 500, "");
}

static int reply_init(struct reply *r, const struct sipmsg *req, const char *source,
		      char *buf, size_t size, size_t *len)
{
	*r = (struct reply){ .buf = buf, .size = size, .len = len, .req = req,
			     .source = source ? source : "" };
	*len = 0;
	if (size > 0)
		buf[0] = '\0';
	if (!req || !sipmsg_is_request(req))
		return FGW_ERR_INVALID;
	if (lockout_addr_key(r->source, r->addr, sizeof r->addr) != FGW_OK)
		(void)str_copy(r->addr, sizeof r->addr, "unknown");
	return FGW_OK;
}

/* ---- REGISTER ----------------------------------------------------------- */

/* The To user (the address of record's user part) or NULL. */
static const char *to_user(const struct sipmsg *req)
{
	osip_to_t *to = osip_message_get_to(sipmsg_osip((struct sipmsg *)req));

	return to && to->url ? to->url->username : NULL;
}

/* 200 listing the device's bindings with their remaining time. */
static void add_contact_line(void *arg, const char *device, const char *contact,
			     const char *source, int64_t expires_in_s)
{
	char *lines = arg;
	size_t n = strlen(lines);

	(void)device, (void)source;
	/* a line that does not fit is left out; the limits make that rare */
	if (str_format(lines + n, HEADER_LINES_MAX - n, "Contact: <%s>;expires=%lld\r\n",
		       contact, (long long)expires_in_s) != FGW_OK)
		lines[n] = '\0';
}

static int registered(struct sip_registrar *reg, struct reply *r, const char *device)
{
	char lines[HEADER_LINES_MAX] = "";

	sip_bindings_each(reg->bindings, device, steady_now(reg), add_contact_line, lines);
	return respond(r, 200, lines);
}

int sip_registrar_handle_register(struct sip_registrar *reg, const struct sipmsg *req,
				  const char *source, char *resp, size_t size, size_t *len)
{
	char device[CATALOG_NAME_MAX + 1];
	struct reply r;
	const char *aor;
	enum verdict v;
	int rc = reply_init(&r, req, source, resp, size, len);

	if (rc != FGW_OK || strcmp(sipmsg_method(req), "REGISTER") != 0)
		return FGW_ERR_INVALID;
	aor = to_user(req);
	if (!aor || !aor[0])
		return respond(&r, 400, "");
	v = authenticate(reg, &r, device, sizeof device);
	if (v != V_OK)
		return refuse(reg, &r, v);
	succeeded(reg, &r, device);
	if (strcmp(aor, device) != 0) {
		audit(reg, AUDIT_SECURITY, device, r.source, "REGISTER for another device's "
		      "address refused");
		return respond(&r, 403, "");
	}
	rc = sip_bindings_apply(reg->bindings, req, device, r.source, reg->expires_max_s,
				steady_now(reg));
	if (rc == FGW_ERR_PARSE)
		return respond(&r, 400, "");
	/* a REGISTER older than the one that set a binding fails with 500
	 * (RFC 3261 10.3 step 7); a full table is 503 */
	if (rc != FGW_OK)
		return respond(&r, rc == FGW_ERR_TOO_LARGE ? 503 : 500, "");
	return registered(reg, &r, device);
}

/* ---- other requests from devices ---------------------------------------- */

int sip_registrar_authorize(struct sip_registrar *reg, const struct sipmsg *req,
			    const char *source, char *device, size_t device_size,
			    char *resp, size_t size, size_t *len)
{
	char dev[CATALOG_NAME_MAX + 1];
	struct reply r;
	enum verdict v;
	int rc = reply_init(&r, req, source, resp, size, len);

	if (device_size > 0)
		device[0] = '\0';
	if (rc != FGW_OK)
		return rc;
	v = authenticate(reg, &r, dev, sizeof dev);
	if (v != V_OK)
		return refuse(reg, &r, v);
	succeeded(reg, &r, dev);
	rc = str_copy(device, device_size, dev);
	return rc == FGW_OK ? 0 : rc;
}

/* ---- credentials ------------------------------------------------------- */

static int ha1_bytes(enum sip_digest_alg alg, const char *device, const char *realm,
		     const char *password, uint8_t *out, size_t n)
{
	char hex[SIP_DIGEST_HEX_MAX + 1];
	int rc = sip_digest_ha1(alg, device, realm, password, hex, sizeof hex);

	for (size_t i = 0; rc == FGW_OK && i < n; i++) {
		unsigned hi = (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10);
		unsigned lo = (unsigned)(hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0'
					 : hex[2 * i + 1] - 'a' + 10);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	OPENSSL_cleanse(hex, sizeof hex);
	return rc;
}

int sip_registrar_set_password(struct catalog *cat, const char *device, const char *realm,
			       const char *password, int64_t now_ms)
{
	struct catalog_sip_cred c = { .created_ms = now_ms, .changed_ms = now_ms };
	struct catalog_device dev;
	int rc = catalog_device_get(cat, device, &dev);

	if (rc != FGW_OK)
		return rc;
	rc = str_copy(c.device, sizeof c.device, device);
	if (rc == FGW_OK)
		rc = str_copy(c.user, sizeof c.user, device);
	if (rc == FGW_OK)
		rc = str_copy(c.realm, sizeof c.realm, realm);
	if (rc == FGW_OK)
		rc = ha1_bytes(SIP_DIGEST_MD5, device, realm, password, c.ha1_md5,
			       sizeof c.ha1_md5);
	if (rc == FGW_OK)
		rc = ha1_bytes(SIP_DIGEST_SHA256, device, realm, password, c.ha1_sha256,
			       sizeof c.ha1_sha256);
	if (rc == FGW_OK)
		rc = catalog_sip_put(cat, &c);
	OPENSSL_cleanse(&c, sizeof c);
	return rc == FGW_ERR_TOO_LARGE ? FGW_ERR_INVALID : rc;
}

/* ---- lookups and the control verb --------------------------------------- */

int sip_registrar_lookup(struct sip_registrar *reg, const char *device, char *contact,
			 size_t contact_size, char *source, size_t source_size)
{
	return sip_bindings_lookup(reg->bindings, device, steady_now(reg), contact,
				   contact_size, source, source_size);
}

size_t sip_registrar_forget(struct sip_registrar *reg, const char *device)
{
	return sip_bindings_forget(reg->bindings, device);
}

void sip_registrar_list(struct sip_registrar *reg, sip_registrar_binding_fn *fn, void *arg)
{
	sip_bindings_each(reg->bindings, NULL, steady_now(reg), fn, arg);
}

static void send_binding(void *arg, const char *device, const char *contact,
			 const char *source, int64_t expires_in_s)
{
	control_conn_send(arg, "%s %s %s %lld", device, contact, source,
			  (long long)expires_in_s);
}

static void on_bindings(struct control_conn *c, struct control_request *req, void *arg)
{
	struct sip_registrar *reg = arg;

	(void)req;
	sip_registrar_list(reg, send_binding, c);
	control_conn_finish(c, 0, "%zu SIP bindings", sip_bindings_count(reg->bindings,
									  steady_now(reg)));
}

static void on_forget(struct control_conn *c, struct control_request *req, void *arg)
{
	const char *device = control_arg(req, "device");

	if (!device) {
		control_conn_finish(c, FGW_ERR_INVALID, "sip-forget needs device=NAME");
		return;
	}
	control_conn_finish(c, 0, "%zu bindings of %s dropped",
			    sip_registrar_forget(arg, device), device);
}

int sip_registrar_register_verbs(struct sip_registrar *reg, struct control *ctl)
{
	int rc = control_register(ctl, "sip-bindings", on_bindings, reg);

	return rc != FGW_OK ? rc : control_register(ctl, "sip-forget", on_forget, reg);
}
