/* The SIP registrar at message level: REGISTER texts in, response bytes
 * out, parsed back. Challenge (SHA-256 then MD5), right and wrong
 * passwords, stale and foreign nonces, replayed nc, expiry and removal,
 * lockout after N failures, the address ban shared with the web login
 * (both ways), audit records, INVITE authorization, catalog credentials. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/err.h"
#include "gateway/config.h"
#include "gateway/sip_digest.h"
#include "gateway/sip_registrar.h"
#include "gateway/sipmsg.h"
#include "storage/audit.h"
#include "storage/catalog.h"
#include "storage/catalog_sip.h"
#include "storage/lockout.h"
#include "storage/store.h"
#include "web/web.h"

#define SRC "192.0.2.7:5070"
#define PASSWORD "right-horse-battery"

static char dir[64], data[128];
static struct store *st;
static struct config *cfg;
static struct sip_registrar *reg;
static int64_t steady_ms = 1000000, wall_ms = 1700000000000;
static unsigned cseq;

static int64_t test_steady(void *arg)
{
	(void)arg;
	return steady_ms;
}

static int64_t test_wall(void *arg)
{
	(void)arg;
	return wall_ms;
}

static void add_device(const char *name, const char *password)
{
	struct catalog_device d = { .last_seen_ms = 0 };

	snprintf(d.address, sizeof d.address, "%s", name);
	snprintf(d.name, sizeof d.name, "%s", name);
	snprintf(d.kind, sizeof d.kind, "mfp");
	cr_assert_eq(catalog_device_put(store_catalog(st), &d), 0);
	cr_assert_eq(sip_registrar_set_password(store_catalog(st), name, "faxgw", password, 5),
		     0);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/test_sipreg.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(data, sizeof data, "%s/d", dir);
	cr_assert_eq(store_init(data), 0);
	cr_assert_eq(store_open(data, NULL, &st), 0);
	cfg = config_defaults();
	cr_assert_not_null(cfg);
	cr_assert_eq(sip_registrar_new(st, cfg, &reg), 0);
	sip_registrar_set_clock(reg, test_steady, test_wall, NULL);
	add_device("mfp1", PASSWORD);
	cseq = 1;
}

static void teardown(void)
{
	char cmd[128];

	sip_registrar_free(reg);
	config_free(cfg);
	cr_assert_eq(store_close(st), 0);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(sip_registrar, .init = setup, .fini = teardown);

/* ---- message helpers ---------------------------------------------------- */

struct resp {
	char buf[SIP_REGISTRAR_RESPONSE_MAX];
	size_t len;
	int status;
};

static struct sipmsg *parse_text(const char *text)
{
	struct sipmsg *m = NULL;
	char err[SIPMSG_ERR_MAX];

	cr_assert_eq(sipmsg_parse((const uint8_t *)text, strlen(text), &m, err, sizeof err), 0,
		     "%s", err);
	return m;
}

/* A REGISTER with an explicit Call-ID and CSeq. */
static struct sipmsg *make_register_id(const char *user, const char *contact_lines,
				       const char *auth, const char *call_id, unsigned num)
{
	char text[4096];
	int n = snprintf(text, sizeof text,
			 "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bK-x%u\r\n"
			 "From: <sip:%s@127.0.0.1>;tag=f1\r\nTo: <sip:%s@127.0.0.1>\r\n"
			 "Call-ID: %s\r\nCSeq: %u REGISTER\r\n%s%s%s%s"
			 "Content-Length: 0\r\n\r\n", num, user, user, call_id, num,
			 contact_lines, auth ? "Authorization: " : "", auth ? auth : "",
			 auth ? "\r\n" : "");

	cr_assert_lt(n, (int)sizeof text);
	return parse_text(text);
}

/* A REGISTER of user with the given Contact/Expires lines and optional
 * Authorization value. */
static struct sipmsg *make_register(const char *user, const char *contact_lines,
				    const char *auth)
{
	char text[4096];
	int n = snprintf(text, sizeof text,
			 "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bK-%u\r\n"
			 "From: <sip:%s@127.0.0.1>;tag=f1\r\n"
			 "To: <sip:%s@127.0.0.1>\r\n"
			 "Call-ID: reg-1@192.0.2.7\r\n"
			 "CSeq: %u REGISTER\r\n"
			 "Max-Forwards: 70\r\n"
			 "%s%s%s%s"
			 "Content-Length: 0\r\n\r\n",
			 cseq, user, user, cseq, contact_lines,
			 auth ? "Authorization: " : "", auth ? auth : "", auth ? "\r\n" : "");

	cseq++;
	cr_assert_lt(n, (int)sizeof text);
	return parse_text(text);
}

static void do_register(struct sipmsg *m, const char *source, struct resp *r)
{
	r->status = sip_registrar_handle_register(reg, m, source, r->buf, sizeof r->buf,
						  &r->len);
	cr_assert_eq(strlen(r->buf), r->len);
	sipmsg_free(m);
	if (r->status > 0) {
		struct sipmsg *back = parse_text(r->buf);
		cr_assert_eq(sipmsg_status(back), r->status);
		cr_assert_not_null(sipmsg_to_tag(back));
		sipmsg_free(back);
	}
}

/* The nth (0-based) value of header name in r, into out. */
static bool header_value(const struct resp *r, const char *name, int nth, char *out,
			 size_t size)
{
	const char *p = r->buf;
	size_t nl = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1, *e;
			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			if (nth-- == 0) {
				snprintf(out, size, "%.*s", (int)(e - v), v);
				return true;
			}
		}
	}
	return false;
}

/* Answers the 401 in r with the challenge of algorithm alg. */
static void answer(const struct resp *r, enum sip_digest_alg alg, const char *user,
		   const char *pw, uint32_t nc, char *auth, size_t size)
{
	char v[1024];
	struct sip_digest_params ch;

	for (int i = 0; header_value(r, "WWW-Authenticate", i, v, sizeof v); i++) {
		cr_assert_eq(sip_digest_parse(v, strlen(v), &ch), 0);
		if (ch.alg != alg)
			continue;
		cr_assert_eq(sip_digest_client_answer(&ch, "REGISTER", "sip:127.0.0.1", user, pw,
						      nc, NULL, auth, size), 0);
		return;
	}
	cr_assert_fail("no %s challenge in:\n%s", sip_digest_alg_name(alg), r->buf);
}

#define CONTACT "Contact: <sip:mfp1@192.0.2.7:5070>\r\n"

/* REGISTER without credentials, then with; returns the second answer. */
static void register_with(const char *user, const char *pw, enum sip_digest_alg alg,
			  const char *contacts, const char *source, struct resp *r)
{
	char auth[1024];
	struct resp ch;

	do_register(make_register(user, contacts, NULL), source, &ch);
	cr_assert_eq(ch.status, 401);
	answer(&ch, alg, user, pw, 1, auth, sizeof auth);
	do_register(make_register(user, contacts, auth), source, r);
}

/* ---- audit helpers ------------------------------------------------------ */

struct count {
	const char *type, *user, *source, *reason;
	int n;
};

static const char *field(const struct audit_record *rec, const char *key)
{
	for (size_t i = 0; i < rec->nfields; i++)
		if (strcmp(rec->fields[i].key, key) == 0)
			return rec->fields[i].value;
	return NULL;
}

static int count_fn(const struct audit_record *rec, void *arg)
{
	struct count *c = arg;
	const char *user = field(rec, "user"), *source = field(rec, "source");
	const char *reason = field(rec, "reason");

	if (strcmp(rec->type, c->type) == 0 && (!c->user || (user && !strcmp(user, c->user))) &&
	    (!c->source || (source && !strcmp(source, c->source))) &&
	    (!c->reason || (reason && strstr(reason, c->reason))))
		c->n++;
	return 0;
}

static int audit_count(const char *type, const char *user, const char *source,
		       const char *reason)
{
	char path[256];
	struct count c = { type, user, source, reason, 0 };

	snprintf(path, sizeof path, "%s/%s", data, STORE_AUDIT_FILE);
	cr_assert_eq(audit_read_file(path, count_fn, &c, NULL), 0);
	return c.n;
}

/* ---- challenge and passwords -------------------------------------------- */

Test(sip_registrar, unauthenticated_register_gets_sha256_then_md5_challenge)
{
	struct resp r;
	char v[1024];
	struct sip_digest_params p;

	do_register(make_register("mfp1", CONTACT, NULL), SRC, &r);
	cr_assert_eq(r.status, 401);
	cr_assert(header_value(&r, "WWW-Authenticate", 0, v, sizeof v));
	cr_assert_eq(sip_digest_parse(v, strlen(v), &p), 0);
	cr_assert_eq(p.alg, SIP_DIGEST_SHA256);
	cr_assert_str_eq(p.realm, "faxgw");
	cr_assert_str_eq(p.qop, "auth");
	cr_assert(header_value(&r, "WWW-Authenticate", 1, v, sizeof v));
	cr_assert_eq(sip_digest_parse(v, strlen(v), &p), 0);
	cr_assert_eq(p.alg, SIP_DIGEST_MD5);
	cr_assert_not(header_value(&r, "WWW-Authenticate", 2, v, sizeof v));
	/* a challenge alone is not a failure */
	cr_assert_eq(audit_count("login_failure", NULL, NULL, NULL), 0);
}

Test(sip_registrar, right_password_sha256_binds_and_audits_login)
{
	struct resp r;
	char v[512], contact[256], source[64];

	register_with("mfp1", PASSWORD, SIP_DIGEST_SHA256, CONTACT "Expires: 600\r\n", SRC, &r);
	cr_assert_eq(r.status, 200, "%s", r.buf);
	cr_assert(header_value(&r, "Contact", 0, v, sizeof v));
	cr_assert_str_eq(v, "<sip:mfp1@192.0.2.7:5070>;expires=600");
	cr_assert_eq(sip_registrar_lookup(reg, "mfp1", contact, sizeof contact, source,
					  sizeof source), 0);
	cr_assert_str_eq(contact, "sip:mfp1@192.0.2.7:5070");
	cr_assert_str_eq(source, SRC);
	cr_assert_eq(audit_count("login", "mfp1", SRC, "REGISTER"), 1);
}

Test(sip_registrar, right_password_md5_accepted)
{
	struct resp r;

	register_with("mfp1", PASSWORD, SIP_DIGEST_MD5, CONTACT, SRC, &r);
	cr_assert_eq(r.status, 200, "%s", r.buf);
}

Test(sip_registrar, wrong_password_is_challenged_again_and_audited)
{
	struct resp r;

	register_with("mfp1", "not-the-password", SIP_DIGEST_SHA256, CONTACT, SRC, &r);
	cr_assert_eq(r.status, 401);
	cr_assert_eq(sip_registrar_lookup(reg, "mfp1", NULL, 0, NULL, 0), FGW_ERR_NOT_FOUND);
	cr_assert_eq(audit_count("login_failure", "mfp1", SRC, "wrong password"), 1);
}

Test(sip_registrar, unknown_user_fails_like_wrong_password)
{
	struct resp r;

	register_with("nobody", PASSWORD, SIP_DIGEST_SHA256,
		      "Contact: <sip:nobody@192.0.2.7>\r\n", SRC, &r);
	cr_assert_eq(r.status, 401);
	cr_assert_eq(audit_count("login_failure", "nobody", SRC, "unknown user"), 1);
}

Test(sip_registrar, register_for_another_device_forbidden)
{
	struct resp r;
	char auth[1024];
	struct resp ch;

	add_device("mfp2", "other-device-pass");
	do_register(make_register("mfp2", CONTACT, NULL), SRC, &ch);
	/* authenticates as mfp1 but asks for mfp2's address of record */
	answer(&ch, SIP_DIGEST_SHA256, "mfp1", PASSWORD, 1, auth, sizeof auth);
	do_register(make_register("mfp2", CONTACT, auth), SRC, &r);
	cr_assert_eq(r.status, 403);
	cr_assert_eq(sip_registrar_lookup(reg, "mfp2", NULL, 0, NULL, 0), FGW_ERR_NOT_FOUND);
}

/* ---- nonces ------------------------------------------------------------- */

Test(sip_registrar, stale_nonce_gets_stale_challenge_without_failure)
{
	struct resp ch, r;
	char auth[1024], v[1024];
	struct sip_digest_params p;

	do_register(make_register("mfp1", CONTACT, NULL), SRC, &ch);
	answer(&ch, SIP_DIGEST_SHA256, "mfp1", PASSWORD, 1, auth, sizeof auth);
	steady_ms += SIP_REGISTRAR_NONCE_MS + 1;
	do_register(make_register("mfp1", CONTACT, auth), SRC, &r);
	cr_assert_eq(r.status, 401);
	cr_assert(header_value(&r, "WWW-Authenticate", 0, v, sizeof v));
	cr_assert_eq(sip_digest_parse(v, strlen(v), &p), 0);
	cr_assert(p.stale);
	cr_assert_eq(audit_count("login_failure", NULL, NULL, NULL), 0);
}

Test(sip_registrar, replayed_nc_refused_and_counted)
{
	struct resp ch, r;
	char auth[1024];

	do_register(make_register("mfp1", CONTACT, NULL), SRC, &ch);
	answer(&ch, SIP_DIGEST_SHA256, "mfp1", PASSWORD, 1, auth, sizeof auth);
	do_register(make_register("mfp1", CONTACT, auth), SRC, &r);
	cr_assert_eq(r.status, 200);
	do_register(make_register("mfp1", CONTACT, auth), SRC, &r);
	cr_assert_eq(r.status, 401);
	cr_assert_eq(audit_count("login_failure", "mfp1", SRC, "replayed nonce count"), 1);
	/* the next nc on the same nonce is fine */
	answer(&ch, SIP_DIGEST_SHA256, "mfp1", PASSWORD, 2, auth, sizeof auth);
	do_register(make_register("mfp1", CONTACT, auth), SRC, &r);
	cr_assert_eq(r.status, 200);
}

Test(sip_registrar, nonce_from_before_a_restart_is_stale)
{
	struct resp ch, r;
	char auth[1024], v[1024];
	struct sip_digest_params p;

	do_register(make_register("mfp1", CONTACT, NULL), SRC, &ch);
	answer(&ch, SIP_DIGEST_MD5, "mfp1", PASSWORD, 1, auth, sizeof auth);
	sip_registrar_free(reg);
	cr_assert_eq(sip_registrar_new(st, cfg, &reg), 0);
	sip_registrar_set_clock(reg, test_steady, test_wall, NULL);
	do_register(make_register("mfp1", CONTACT, auth), SRC, &r);
	cr_assert_eq(r.status, 401);
	cr_assert(header_value(&r, "WWW-Authenticate", 0, v, sizeof v));
	cr_assert_eq(sip_digest_parse(v, strlen(v), &p), 0);
	cr_assert(p.stale);
	cr_assert_eq(audit_count("login_failure", NULL, NULL, NULL), 0);
}

/* ---- bindings ----------------------------------------------------------- */

static void count_binding(void *arg, const char *device, const char *contact,
			  const char *source, int64_t expires_in_s)
{
	(void)device, (void)contact, (void)source, (void)expires_in_s;
	(*(int *)arg)++;
}

static int bindings(void)
{
	int n = 0;

	sip_registrar_list(reg, count_binding, &n);
	return n;
}

Test(sip_registrar, expires_capped_by_config)
{
	struct resp r;
	char v[512];

	register_with("mfp1", PASSWORD, SIP_DIGEST_SHA256,
		      "Contact: <sip:mfp1@192.0.2.7:5070>;expires=99999\r\n", SRC, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(header_value(&r, "Contact", 0, v, sizeof v));
	cr_assert_str_eq(v, "<sip:mfp1@192.0.2.7:5070>;expires=3600");
}

Test(sip_registrar, binding_expires)
{
	struct resp r;

	register_with("mfp1", PASSWORD, SIP_DIGEST_SHA256, CONTACT "Expires: 120\r\n", SRC, &r);
	cr_assert_eq(r.status, 200);
	steady_ms += 119000;
	cr_assert_eq(sip_registrar_lookup(reg, "mfp1", NULL, 0, NULL, 0), 0);
	steady_ms += 1001;
	cr_assert_eq(sip_registrar_lookup(reg, "mfp1", NULL, 0, NULL, 0), FGW_ERR_NOT_FOUND);
	cr_assert_eq(bindings(), 0);
}

Test(sip_registrar, expires_zero_removes_one_star_removes_all)
{
	struct resp r;
	char v[512];

	register_with("mfp1", PASSWORD, SIP_DIGEST_SHA256,
		      CONTACT "Contact: <sip:mfp1@192.0.2.8:5060>\r\n", SRC, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(bindings(), 2);
	register_with("mfp1", PASSWORD, SIP_DIGEST_SHA256,
		      "Contact: <sip:mfp1@192.0.2.8:5060>;expires=0\r\n", SRC, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(bindings(), 1);
	cr_assert(header_value(&r, "Contact", 0, v, sizeof v));
	cr_assert(strstr(v, "192.0.2.7:5070") != NULL);
	register_with("mfp1", PASSWORD, SIP_DIGEST_SHA256, "Contact: *\r\nExpires: 0\r\n", SRC,
		      &r);
	cr_assert_eq(r.status, 200, "%s", r.buf);
	cr_assert_eq(bindings(), 0);
	cr_assert_not(header_value(&r, "Contact", 0, v, sizeof v));
}

Test(sip_registrar, star_without_expires_zero_is_400)
{
	struct resp r;

	register_with("mfp1", PASSWORD, SIP_DIGEST_SHA256, "Contact: *\r\n", SRC, &r);
	cr_assert_eq(r.status, 400);
}

Test(sip_registrar, malformed_expires_is_400)
{
	struct resp r;

	register_with("mfp1", PASSWORD, SIP_DIGEST_SHA256, CONTACT "Expires: soon\r\n", SRC, &r);
	cr_assert_eq(r.status, 400);
}

Test(sip_registrar, missing_to_user_is_400)
{
	struct resp r;
	struct sipmsg *m = parse_text("REGISTER sip:127.0.0.1 SIP/2.0\r\n"
				      "Via: SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bK-x\r\n"
				      "From: <sip:127.0.0.1>;tag=f1\r\nTo: <sip:127.0.0.1>\r\n"
				      "Call-ID: x@y\r\nCSeq: 1 REGISTER\r\n"
				      "Content-Length: 0\r\n\r\n");

	do_register(m, SRC, &r);
	cr_assert_eq(r.status, 400);
}

Test(sip_registrar, not_a_register_is_refused_without_response)
{
	char buf[SIP_REGISTRAR_RESPONSE_MAX];
	size_t len = 1;
	struct sipmsg *m = parse_text("OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
				      "Via: SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bK-x\r\n"
				      "From: <sip:a@b>;tag=f1\r\nTo: <sip:a@b>\r\n"
				      "Call-ID: x@y\r\nCSeq: 1 OPTIONS\r\n"
				      "Content-Length: 0\r\n\r\n");

	cr_assert_eq(sip_registrar_handle_register(reg, m, SRC, buf, sizeof buf, &len),
		     FGW_ERR_INVALID);
	cr_assert_eq(len, 0);
	sipmsg_free(m);
}

Test(sip_registrar, bindings_survive_reconfigure_and_forget_drops_them)
{
	struct resp r;

	register_with("mfp1", PASSWORD, SIP_DIGEST_SHA256, CONTACT, SRC, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(sip_registrar_reconfigure(reg, cfg), 0);
	cr_assert_eq(bindings(), 1);
	cr_assert_eq(sip_registrar_forget(reg, "mfp1"), 1);
	cr_assert_eq(bindings(), 0);
}

Test(sip_registrar, per_device_limit_replaces_oldest)
{
	struct resp r;
	char line[128], contact[256];

	for (int i = 0; i < SIP_REGISTRAR_BINDINGS_PER_DEVICE + 1; i++) {
		snprintf(line, sizeof line, "Contact: <sip:mfp1@192.0.2.%d>\r\n", 10 + i);
		register_with("mfp1", PASSWORD, SIP_DIGEST_SHA256, line, SRC, &r);
		cr_assert_eq(r.status, 200);
		steady_ms += 10;
	}
	cr_assert_eq(bindings(), SIP_REGISTRAR_BINDINGS_PER_DEVICE);
	cr_assert_eq(sip_registrar_lookup(reg, "mfp1", contact, sizeof contact, NULL, 0), 0);
	cr_assert_str_eq(contact, "sip:mfp1@192.0.2.14");
}

/* ---- lockout and bans --------------------------------------------------- */

Test(sip_registrar, device_locks_after_max_failures)
{
	struct resp r;
	int i;

	for (i = 0; i < 2; i++) {
		register_with("mfp1", "wrong-password-x", SIP_DIGEST_SHA256, CONTACT,
			      "192.0.2.20:5060", &r);
		cr_assert_eq(r.status, 401);
		/* let the address' own short lock (from another address each time) pass */
	}
	/* the third failure (from another address) locks the device */
	register_with("mfp1", "wrong-password-x", SIP_DIGEST_SHA256, CONTACT, "192.0.2.21:5060",
		      &r);
	cr_assert_eq(r.status, 403);
	cr_assert_eq(audit_count("lockout", "mfp1", NULL, "SIP device locked"), 1);
	/* now even the right password from a clean address is refused */
	register_with("mfp1", PASSWORD, SIP_DIGEST_SHA256, CONTACT, "192.0.2.22:5060", &r);
	cr_assert_eq(r.status, 403);
	cr_assert_eq(audit_count("login_failure", "mfp1", "192.0.2.22:5060", "device locked"),
		     1);
	/* after [web] login_lock_minutes it works again */
	wall_ms += 15 * 60000 + 1;
	register_with("mfp1", PASSWORD, SIP_DIGEST_SHA256, CONTACT, "192.0.2.22:5060", &r);
	cr_assert_eq(r.status, 200);
}

Test(sip_registrar, success_resets_the_device_count)
{
	struct resp r;

	register_with("mfp1", "wrong-password-x", SIP_DIGEST_SHA256, CONTACT, "192.0.2.30:1", &r);
	register_with("mfp1", "wrong-password-x", SIP_DIGEST_SHA256, CONTACT, "192.0.2.31:1", &r);
	register_with("mfp1", PASSWORD, SIP_DIGEST_SHA256, CONTACT, "192.0.2.32:1", &r);
	cr_assert_eq(r.status, 200);
	register_with("mfp1", "wrong-password-x", SIP_DIGEST_SHA256, CONTACT, "192.0.2.33:1", &r);
	cr_assert_eq(r.status, 401);
}

Test(sip_registrar, address_banned_after_failures_across_devices)
{
	struct resp r;
	bool locked;

	add_device("mfp2", "second-device-pass");
	register_with("mfp1", "wrong-password-x", SIP_DIGEST_SHA256, CONTACT, SRC, &r);
	register_with("mfp2", "wrong-password-x", SIP_DIGEST_SHA256, CONTACT, SRC, &r);
	register_with("mfp1", "wrong-password-y", SIP_DIGEST_MD5, CONTACT, "192.0.2.7:6000", &r);
	cr_assert_eq(r.status, 403);
	cr_assert_eq(audit_count("lockout", NULL, NULL, "source address"), 1);
	cr_assert_eq(lockout_check(store_catalog(st), LOCKOUT_SCOPE_ADDR, "192.0.2.7", wall_ms,
				   &locked), 0);
	cr_assert(locked);
	/* banned: refused before any password check, and audited */
	do_register(make_register("mfp2", CONTACT, NULL), SRC, &r);
	cr_assert_eq(r.status, 403);
	cr_assert_eq(audit_count("login_failure", "", SRC, "source address banned"), 1);
}

/* The web login's own failures ban the address for SIP too. */
Test(sip_registrar, address_banned_by_web_login_is_banned_for_sip)
{
	struct web_settings set = { .idle_minutes = 15, .max_hours = 8, .lock_minutes = 15,
				    .max_failures = 3, .scrypt_log2_n = 14 };
	struct web_app *app;
	struct resp r;

	snprintf(set.data_dir, sizeof set.data_dir, "%s", data);
	cr_assert_eq(web_app_new(&set, st, NULL, &app), 0);
	for (int i = 0; i < 3; i++) {
		struct web_request q = {
			.method = "POST", .path = "/login", .peer = "192.0.2.99",
			.content_type = "application/x-www-form-urlencoded",
			.body = (const unsigned char *)"user=admin&password=guess-guess",
		};
		struct web_response resp;
		q.body_len = strlen((const char *)q.body);
		web_handle(app, &q, &resp);
		cr_assert_eq(resp.status, 401);
		web_response_clear(&resp);
	}
	web_app_free(app);
	do_register(make_register("mfp1", CONTACT, NULL), "192.0.2.99:5060", &r);
	cr_assert_eq(r.status, 403);
}

/* And SIP failures ban the address for the web login. */
Test(sip_registrar, address_banned_by_sip_is_banned_for_web)
{
	struct web_settings set = { .idle_minutes = 15, .max_hours = 8, .lock_minutes = 15,
				    .max_failures = 3, .scrypt_log2_n = 14 };
	struct web_app *app;
	struct resp r;
	struct web_request q = {
		.method = "POST", .path = "/login", .peer = "192.0.2.98",
		.content_type = "application/x-www-form-urlencoded",
		.body = (const unsigned char *)"user=admin&password=guess-guess",
	};
	struct web_response resp;

	for (int i = 0; i < 3; i++)
		register_with("mfp1", "wrong-password-x", SIP_DIGEST_SHA256, CONTACT,
			      "192.0.2.98:5060", &r);
	cr_assert_eq(r.status, 403);
	/* the web compares with its own wall clock: make the lock current */
	{
		struct catalog_lockout lo;
		cr_assert_eq(catalog_lockout_get(store_catalog(st), LOCKOUT_SCOPE_ADDR,
						 "192.0.2.98", &lo), 0);
		lo.locked_until_ms = INT64_MAX / 2;
		cr_assert_eq(catalog_lockout_set(store_catalog(st), LOCKOUT_SCOPE_ADDR,
						 "192.0.2.98", &lo), 0);
	}
	snprintf(set.data_dir, sizeof set.data_dir, "%s", data);
	cr_assert_eq(web_app_new(&set, st, NULL, &app), 0);
	q.body_len = strlen((const char *)q.body);
	web_handle(app, &q, &resp);
	cr_assert_eq(resp.status, 429);
	web_response_clear(&resp);
	web_app_free(app);
}

/* ---- INVITE from a device ----------------------------------------------- */

static struct sipmsg *make_invite(const char *auth)
{
	char text[4096];
	int n = snprintf(text, sizeof text,
			 "INVITE sip:0312345678@127.0.0.1 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bK-i%u\r\n"
			 "From: <sip:mfp1@127.0.0.1>;tag=f2\r\n"
			 "To: <sip:0312345678@127.0.0.1>\r\n"
			 "Call-ID: inv-1@192.0.2.7\r\nCSeq: %u INVITE\r\n"
			 "Contact: <sip:mfp1@192.0.2.7:5070>\r\n%s%s%s"
			 "Content-Length: 0\r\n\r\n", cseq, cseq,
			 auth ? "Authorization: " : "", auth ? auth : "", auth ? "\r\n" : "");

	cseq++;
	cr_assert_lt(n, (int)sizeof text);
	return parse_text(text);
}

Test(sip_registrar, invite_challenged_then_allowed_with_device_name)
{
	char buf[SIP_REGISTRAR_RESPONSE_MAX], device[CATALOG_NAME_MAX + 1], v[1024];
	char auth[1024];
	struct resp ch;
	struct sip_digest_params p;
	struct sipmsg *m = make_invite(NULL);
	int rc = sip_registrar_authorize(reg, m, SRC, device, sizeof device, ch.buf,
					 sizeof ch.buf, &ch.len);

	sipmsg_free(m);
	cr_assert_eq(rc, 401);
	cr_assert(header_value(&ch, "WWW-Authenticate", 0, v, sizeof v));
	cr_assert_eq(sip_digest_parse(v, strlen(v), &p), 0);
	cr_assert_eq(sip_digest_client_answer(&p, "INVITE", "sip:0312345678@127.0.0.1", "mfp1",
					      PASSWORD, 1, NULL, auth, sizeof auth), 0);
	m = make_invite(auth);
	size_t len = 99;
	rc = sip_registrar_authorize(reg, m, SRC, device, sizeof device, buf, sizeof buf, &len);
	sipmsg_free(m);
	cr_assert_eq(rc, 0);
	cr_assert_eq(len, 0);
	cr_assert_str_eq(device, "mfp1");
	cr_assert_eq(audit_count("login", "mfp1", SRC, "INVITE"), 1);
}

/* ---- catalog credentials ------------------------------------------------ */

Test(sip_registrar, credentials_stored_as_ha1_only)
{
	struct catalog_sip_cred c;

	cr_assert_eq(catalog_sip_get(store_catalog(st), "mfp1", &c), 0);
	cr_assert_str_eq(c.user, "mfp1");
	cr_assert_str_eq(c.realm, "faxgw");
	cr_assert_eq(c.created_ms, 5);
	cr_assert(memmem(&c, sizeof c, PASSWORD, strlen(PASSWORD)) == NULL);
	cr_assert_eq(catalog_sip_get_by_user(store_catalog(st), "mfp1", &c), 0);
	cr_assert_eq(sip_registrar_set_password(store_catalog(st), "ghost", "faxgw", PASSWORD,
						6), FGW_ERR_NOT_FOUND);
	cr_assert_eq(catalog_sip_delete(store_catalog(st), "mfp1"), 0);
	cr_assert_eq(catalog_sip_get(store_catalog(st), "mfp1", &c), FGW_ERR_NOT_FOUND);
	cr_assert_eq(catalog_sip_delete(store_catalog(st), "mfp1"), FGW_ERR_NOT_FOUND);
}

Test(sip_registrar, device_refresh_keeps_credentials)
{
	struct catalog_device d = { .last_seen_ms = 42 };
	struct catalog_sip_cred c;

	snprintf(d.address, sizeof d.address, "mfp1");
	snprintf(d.name, sizeof d.name, "renamed");
	snprintf(d.kind, sizeof d.kind, "mfp");
	cr_assert_eq(catalog_device_put(store_catalog(st), &d), 0);
	cr_assert_eq(catalog_sip_get(store_catalog(st), "mfp1", &c), 0);
}

Test(sip_registrar, realm_change_needs_a_new_password)
{
	struct catalog_sip_cred c;
	struct resp r;

	cr_assert_eq(catalog_sip_get(store_catalog(st), "mfp1", &c), 0);
	snprintf(c.realm, sizeof c.realm, "old-realm");
	cr_assert_eq(catalog_sip_put(store_catalog(st), &c), 0);
	register_with("mfp1", PASSWORD, SIP_DIGEST_SHA256, CONTACT, SRC, &r);
	cr_assert_eq(r.status, 401);
	cr_assert_eq(audit_count("login_failure", "mfp1", SRC, "another realm"), 1);
}

/* ---- [sip] digest_algorithms -------------------------------------------- */

static void report_problem(void *arg, const char *msg)
{
	(void)arg;
	cr_log_error("%s", msg);
}

static void use_algorithms(const char *value)
{
	char path[160];
	struct config *c = NULL;
	FILE *f;

	snprintf(path, sizeof path, "%s/algs.ini", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_gt(fprintf(f, "[sip]\ndigest_algorithms = %s\n", value), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(config_load(path, report_problem, NULL, &c), 0);
	cr_assert_eq(sip_registrar_reconfigure(reg, c), 0);
	config_free(c);
}

Test(sip_registrar, md5_first_for_legacy_devices)
{
	struct resp r;
	char v[1024];
	struct sip_digest_params p;

	use_algorithms("md5-sha256");
	do_register(make_register("mfp1", CONTACT, NULL), SRC, &r);
	cr_assert(header_value(&r, "WWW-Authenticate", 0, v, sizeof v));
	cr_assert_eq(sip_digest_parse(v, strlen(v), &p), 0);
	cr_assert_eq(p.alg, SIP_DIGEST_MD5);
	cr_assert(header_value(&r, "WWW-Authenticate", 1, v, sizeof v));
	cr_assert_eq(sip_digest_parse(v, strlen(v), &p), 0);
	cr_assert_eq(p.alg, SIP_DIGEST_SHA256);
}

Test(sip_registrar, sha256_only_refuses_md5)
{
	struct resp r, ch;
	char v[1024], auth[1024];

	do_register(make_register("mfp1", CONTACT, NULL), SRC, &ch);
	answer(&ch, SIP_DIGEST_MD5, "mfp1", PASSWORD, 1, auth, sizeof auth);
	use_algorithms("sha256");
	do_register(make_register("mfp1", CONTACT, NULL), SRC, &r);
	cr_assert(header_value(&r, "WWW-Authenticate", 0, v, sizeof v));
	cr_assert(strstr(v, "algorithm=SHA-256") != NULL);
	cr_assert_not(header_value(&r, "WWW-Authenticate", 1, v, sizeof v));
	/* an MD5 answer (to a nonce issued before) is no longer accepted */
	do_register(make_register("mfp1", CONTACT, auth), SRC, &r);
	cr_assert_eq(r.status, 401);
	cr_assert_eq(audit_count("login_failure", "mfp1", SRC, "not offered"), 1);
}

/* ---- request order (RFC 3261 10.3 step 7) ------------------------------- */

Test(sip_registrar, late_register_of_the_same_call_id_fails_and_changes_nothing)
{
	struct resp ch, r;
	char auth[1024];

	do_register(make_register("mfp1", CONTACT, NULL), SRC, &ch);
	answer(&ch, SIP_DIGEST_SHA256, "mfp1", PASSWORD, 1, auth, sizeof auth);
	do_register(make_register_id("mfp1", CONTACT, auth, "late@x", 20), SRC, &r);
	cr_assert_eq(r.status, 200);
	/* an older removal arriving late must not undo the newer binding */
	answer(&ch, SIP_DIGEST_SHA256, "mfp1", PASSWORD, 2, auth, sizeof auth);
	do_register(make_register_id("mfp1", CONTACT "Expires: 0\r\n", auth, "late@x", 19),
		    SRC, &r);
	cr_assert_eq(r.status, 500);
	cr_assert_eq(bindings(), 1);
	/* the same CSeq again (a retransmission) does not change it either */
	answer(&ch, SIP_DIGEST_SHA256, "mfp1", PASSWORD, 3, auth, sizeof auth);
	do_register(make_register_id("mfp1", "Contact: *\r\nExpires: 0\r\n", auth, "late@x",
				     20), SRC, &r);
	cr_assert_eq(r.status, 500);
	cr_assert_eq(bindings(), 1);
	/* a higher CSeq, or another Call-ID, does */
	answer(&ch, SIP_DIGEST_SHA256, "mfp1", PASSWORD, 4, auth, sizeof auth);
	do_register(make_register_id("mfp1", CONTACT "Expires: 0\r\n", auth, "other@x", 1),
		    SRC, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(bindings(), 0);
}

Test(sip_registrar, digest_uri_must_be_the_request_uri)
{
	struct resp ch, r;
	char v[1024], auth[1024];
	struct sip_digest_params p;

	do_register(make_register("mfp1", CONTACT, NULL), SRC, &ch);
	cr_assert(header_value(&ch, "WWW-Authenticate", 0, v, sizeof v));
	cr_assert_eq(sip_digest_parse(v, strlen(v), &p), 0);
	/* right password, but computed for another target */
	cr_assert_eq(sip_digest_client_answer(&p, "REGISTER", "sip:192.0.2.99", "mfp1", PASSWORD,
					      1, NULL, auth, sizeof auth), 0);
	do_register(make_register("mfp1", CONTACT, auth), SRC, &r);
	cr_assert_eq(r.status, 401);
	cr_assert_eq(audit_count("login_failure", "mfp1", SRC, "digest uri"), 1);
	/* the same target written with the default port and a parameter is fine */
	cr_assert_eq(sip_digest_client_answer(&p, "REGISTER", "sip:127.0.0.1:5060;transport=udp",
					      "mfp1", PASSWORD, 2, NULL, auth, sizeof auth), 0);
	do_register(make_register("mfp1", CONTACT, auth), SRC, &r);
	cr_assert_eq(r.status, 200);
}
