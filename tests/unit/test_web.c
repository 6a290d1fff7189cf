/* web/: request handling in process: routing, roles, CSRF, limits,
 * sessions, setup, login lockout, escaping on the logs page. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "storage/catalog_users.h"
#include "storage/store.h"
#include "storage/setupcode.h"
#include "common/str.h"
#include "web/auth.h"
#include "web/html.h"
#include "web/web.h"

static char dir[64];
static struct store *st;
static struct web_app *app;

static void setup(void)
{
	struct web_settings set = { .idle_minutes = 15, .max_hours = 8, .lock_minutes = 15,
				    .max_failures = 3, .scrypt_log2_n = 14 };
	char data[128];

	snprintf(dir, sizeof dir, "/tmp/test_web.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(data, sizeof data, "%s/d", dir);
	cr_assert_eq(store_init(data), FGW_OK);
	cr_assert_eq(store_open(data, NULL, &st), FGW_OK);
	snprintf(set.data_dir, sizeof set.data_dir, "%s", data);
	cr_assert_eq(web_app_new(&set, st, NULL, &app), FGW_OK);
}

static void teardown(void)
{
	char cmd[128];
	web_app_free(app);
	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

static int req(const char *method, const char *path, const char *cookie, const char *body,
	       const char *peer, struct web_response *r)
{
	struct web_request q = {
		.method = method, .path = path, .cookie = cookie, .peer = peer ? peer : "127.0.0.1",
		.content_type = "application/x-www-form-urlencoded",
		.body = (const unsigned char *)body, .body_len = body ? strlen(body) : 0,
	};
	char p[256];
	const char *qm = strchr(path, '?');
	if (qm) {
		snprintf(p, sizeof p, "%.*s", (int)(qm - path), path);
		q.path = p;
		q.query = qm + 1;
	}
	web_handle(app, &q, r);
	return r->status;
}

static void add_user(const char *name, const char *role, const char *pw)
{
	struct catalog_user u = {0};
	snprintf(u.name, sizeof u.name, "%s", name);
	snprintf(u.role, sizeof u.role, "%s", role);
	cr_assert_eq(auth_password_hash(pw, 14, u.verifier, &u.verifier_len), FGW_OK);
	cr_assert_eq(catalog_user_insert(store_catalog(st), &u), FGW_OK);
}

/* Logs in; fills cookie ("__Host-faxgw=...") and csrf. */
static void login(const char *name, const char *pw, char *cookie, size_t size, char *csrf)
{
	struct web_response r;
	char body[256], tok[80];
	snprintf(body, sizeof body, "user=%s&password=%s", name, pw);
	cr_assert_eq(req("POST", "/login", NULL, body, NULL, &r), 303);
	const char *sc = web_response_header(&r, "Set-Cookie");
	cr_assert_not_null(sc);
	cr_assert_not_null(strstr(sc, "Secure; HttpOnly; SameSite=Strict; Path=/"));
	size_t n = strcspn(sc, ";");
	snprintf(cookie, size, "%.*s", (int)n, sc);
	snprintf(tok, sizeof tok, "%s", strchr(cookie, '=') + 1);
	cr_assert_eq(auth_token_derive("csrf", tok, csrf), FGW_OK);
	web_response_clear(&r);
}

TestSuite(web, .init = setup, .fini = teardown, .timeout = 60);

Test(web, security_headers_on_every_response)
{
	struct web_response r;
	cr_assert_eq(req("GET", "/nowhere", NULL, NULL, NULL, &r), 404);
	cr_assert_str_eq(web_response_header(&r, "Content-Security-Policy"),
			 "default-src 'self'; script-src 'self'; style-src 'self'; "
			 "frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
	cr_assert_not_null(web_response_header(&r, "Strict-Transport-Security"));
	cr_assert_str_eq(web_response_header(&r, "X-Content-Type-Options"), "nosniff");
	cr_assert_str_eq(web_response_header(&r, "Referrer-Policy"), "no-referrer");
	cr_assert_str_eq(web_response_header(&r, "Cache-Control"), "no-store");
	web_response_clear(&r);
}

Test(web, first_visit_goes_to_setup_and_refuses_weak_passwords)
{
	struct web_response r;
	cr_assert_eq(req("GET", "/", NULL, NULL, NULL, &r), 303);
	cr_assert_str_eq(web_response_header(&r, "Location"), "/setup");
	web_response_clear(&r);
	cr_assert_eq(req("POST", "/setup", NULL, "user=admin&password=short&password2=short",
			 NULL, &r), 400);
	web_response_clear(&r);
	cr_assert_eq(req("POST", "/setup", NULL,
			 "user=admin&password=password123&password2=password123", NULL, &r), 400);
	cr_assert_not_null(strstr(html_data(r.body), "common and factory-default"));
	web_response_clear(&r);
	cr_assert_eq(catalog_user_count(store_catalog(st)), 0);
	cr_assert_eq(req("POST", "/setup", NULL,
			 "user=admin&password=Tr0ub4dor%263x&password2=Tr0ub4dor%263x", NULL, &r),
		     303);
	cr_assert_eq(catalog_user_count(store_catalog(st)), 1);
	web_response_clear(&r);
}

Test(web, setup_from_remote_needs_the_code)
{
	struct web_response r;
	char code[SETUPCODE_LEN + 1], body[256], data[128];
	snprintf(data, sizeof data, "%s/d", dir);
	cr_assert_eq(setupcode_create(data, code), FGW_OK);
	cr_assert_eq(req("POST", "/setup", NULL, "user=admin&password=Tr0ub4dor3x&"
			 "password2=Tr0ub4dor3x&code=AAAA-AAAA-AAAA", "192.0.2.7", &r), 403);
	web_response_clear(&r);
	snprintf(body, sizeof body, "user=admin&password=Tr0ub4dor3x&password2=Tr0ub4dor3x&"
		 "code=%s", code);
	cr_assert_eq(req("POST", "/setup", NULL, body, "192.0.2.7", &r), 303);
	web_response_clear(&r);
	cr_assert_eq(setupcode_check(data, code), FGW_ERR_NOT_FOUND);
}

/* A session row for ann made the way web_session_start makes one, with
 * chosen times; cookie gets the matching cookie. Returns its id. */
static void planted_session(int64_t created, int64_t expires, char *cookie, size_t size,
			    char id[static AUTH_TOKEN_HEX + 1])
{
	struct catalog_session s = {0};
	char token[AUTH_TOKEN_HEX + 1];

	cr_assert_eq(auth_token_new(token), FGW_OK);
	cr_assert_eq(auth_token_derive("session", token, id), FGW_OK);
	cr_assert_eq(str_copy(s.id, sizeof s.id, id), FGW_OK);
	cr_assert_eq(str_copy(s.user, sizeof s.user, "ann"), FGW_OK);
	s.created_ms = created;
	s.expires_ms = expires;
	cr_assert_eq(catalog_session_insert(store_catalog(st), &s), FGW_OK);
	cr_assert_eq(str_format(cookie, size, "__Host-faxgw=%s", token), FGW_OK);
}

static int dashboard_with(const char *cookie)
{
	struct web_response r;
	int status = req("GET", "/dashboard", cookie, NULL, NULL, &r);

	web_response_clear(&r);
	return status;
}

Test(web, sessions_end_after_idle_and_absolute_timeouts)
{
	const int64_t minute = 60000, now = store_now_ms();
	char cookie[128], id[AUTH_TOKEN_HEX + 1];
	struct catalog_session s;

	add_user("ann", "admin", "Tr0ub4dor3x");
	/* used 5 minutes ago: alive, and the idle expiry moves forward */
	planted_session(now - 5 * minute, now + 10 * minute, cookie, sizeof cookie, id);
	cr_assert_eq(dashboard_with(cookie), 200);
	cr_assert_eq(catalog_session_get(store_catalog(st), id, &s), FGW_OK);
	cr_assert_gt(s.expires_ms, now + 14 * minute, "activity extends the idle timeout");
	/* idle for longer than 15 minutes: gone, and the row with it */
	planted_session(now - 20 * minute, now - 1, cookie, sizeof cookie, id);
	cr_assert_eq(dashboard_with(cookie), 303);
	cr_assert_eq(catalog_session_get(store_catalog(st), id, &s), FGW_ERR_NOT_FOUND);
	/* busy all along, but made more than 8 hours ago: gone all the same */
	planted_session(now - 8 * 60 * minute - 1, now + 10 * minute, cookie, sizeof cookie, id);
	cr_assert_eq(dashboard_with(cookie), 303);
	cr_assert_eq(catalog_session_get(store_catalog(st), id, &s), FGW_ERR_NOT_FOUND);
}

Test(web, protected_pages_redirect_to_login)
{
	struct web_response r;
	add_user("ann", "admin", "Tr0ub4dor3x");
	cr_assert_eq(req("GET", "/dashboard", NULL, NULL, NULL, &r), 303);
	cr_assert_str_eq(web_response_header(&r, "Location"), "/login");
	web_response_clear(&r);
	cr_assert_eq(req("GET", "/dashboard", "__Host-faxgw=00", NULL, NULL, &r), 303);
	web_response_clear(&r);
}

Test(web, roles_get_403_on_what_they_cannot_do)
{
	struct web_response r;
	char cookie[128], csrf[80];
	add_user("op", "operator", "Tr0ub4dor3x");
	add_user("own", "owner", "Tr0ub4dor3x");
	add_user("aud", "auditor", "Tr0ub4dor3x");
	const char *denied[] = {"op", "own"};
	for (int i = 0; i < 2; i++) {
		login(denied[i], "Tr0ub4dor3x", cookie, sizeof cookie, csrf);
		cr_assert_eq(req("GET", "/dashboard", cookie, NULL, NULL, &r), 200);
		cr_assert_null(strstr(html_data(r.body), "href=\"/logs\""));
		web_response_clear(&r);
		cr_assert_eq(req("GET", "/logs", cookie, NULL, NULL, &r), 403);
		web_response_clear(&r);
		cr_assert_eq(req("GET", "/logs.csv", cookie, NULL, NULL, &r), 403);
		web_response_clear(&r);
	}
	login("aud", "Tr0ub4dor3x", cookie, sizeof cookie, csrf);
	cr_assert_eq(req("GET", "/logs", cookie, NULL, NULL, &r), 200);
	web_response_clear(&r);
}

Test(web, csrf_missing_or_wrong_is_403)
{
	struct web_response r;
	char cookie[128], csrf[80], body[200];
	add_user("aud", "auditor", "Tr0ub4dor3x");
	login("aud", "Tr0ub4dor3x", cookie, sizeof cookie, csrf);
	cr_assert_eq(req("POST", "/logs/verify", cookie, "", NULL, &r), 403);
	web_response_clear(&r);
	cr_assert_eq(req("POST", "/logs/verify", cookie,
			 "csrf=0000000000000000000000000000000000000000000000000000000000000000",
			 NULL, &r), 403);
	web_response_clear(&r);
	snprintf(body, sizeof body, "csrf=%s", csrf);
	cr_assert_eq(req("POST", "/logs/verify", cookie, body, NULL, &r), 200);
	cr_assert_not_null(strstr(html_data(r.body), "The log verifies"));
	web_response_clear(&r);
	cr_assert_eq(req("POST", "/logout", cookie, body, NULL, &r), 303);
	web_response_clear(&r);
	cr_assert_eq(req("GET", "/dashboard", cookie, NULL, NULL, &r), 303);
	web_response_clear(&r);
}

Test(web, limits_give_413_and_431)
{
	struct web_response r;
	struct web_request q = { .method = "GET", .path = "/login", .peer = "127.0.0.1",
				 .headers_len = WEB_HEADERS_MAX + 1 };
	web_handle(app, &q, &r);
	cr_assert_eq(r.status, 431);
	web_response_clear(&r);
	static char big[WEB_FORM_BODY_MAX + 2];
	memset(big, 'a', sizeof big - 1);
	cr_assert_eq(req("POST", "/login", NULL, big, NULL, &r), 413);
	web_response_clear(&r);
	cr_assert_eq(req("PUT", "/login", NULL, NULL, NULL, &r), 405);
	web_response_clear(&r);
}

Test(web, lockout_after_three_failures_is_audited)
{
	struct web_response r;
	struct catalog_lockout lo;
	add_user("ann", "admin", "Tr0ub4dor3x");
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(req("POST", "/login", NULL, "user=ann&password=wrongpass",
				 "192.0.2.9", &r), 401);
		web_response_clear(&r);
	}
	cr_assert_eq(catalog_lockout_get(store_catalog(st), "login", "ann", &lo), FGW_OK);
	cr_assert_gt(lo.locked_until_ms, 0);
	/* the right password from another address is refused while locked */
	cr_assert_eq(req("POST", "/login", NULL, "user=ann&password=Tr0ub4dor3x", "192.0.2.10",
			 &r), 403);
	web_response_clear(&r);
	/* the first address is slowed down */
	cr_assert_eq(req("POST", "/login", NULL, "user=bob&password=x12345678", "192.0.2.9",
			 &r), 429);
	web_response_clear(&r);
}

Test(web, logs_page_escapes_every_field_and_filters)
{
	struct web_response r;
	char cookie[128], csrf[80];
	struct audit_fax fax = { .direction = "in", .remote_number = "<script>0312</script>",
				 .remote_ident = "\"ident'&", .mailbox = "", .result = "<b>ok" };
	cr_assert_eq(audit_fax(store_audit(st), AUDIT_FAX_RECEIVED, &fax, NULL), FGW_OK);
	cr_assert_eq(audit_sync(store_audit(st), NULL), FGW_OK);
	add_user("aud", "auditor", "Tr0ub4dor3x");
	login("aud", "Tr0ub4dor3x", cookie, sizeof cookie, csrf);
	cr_assert_eq(req("GET", "/logs?type=fax_received", cookie, NULL, NULL, &r), 200);
	const char *page = html_data(r.body);
	cr_assert_null(strstr(page, "<script>"));
	cr_assert_null(strstr(page, "<b>ok"));
	cr_assert_not_null(strstr(page, "&lt;script&gt;0312&lt;/script&gt;"));
	cr_assert_not_null(strstr(page, "&quot;ident&#39;&amp;"));
	cr_assert_not_null(strstr(page, "1 matching records"));
	web_response_clear(&r);
	cr_assert_eq(req("GET", "/logs.csv?type=fax_received", cookie, NULL, NULL, &r), 200);
	cr_assert_str_eq(web_response_header(&r, "Content-Type"), "text/csv; charset=utf-8");
	cr_assert_not_null(strstr(html_data(r.body), "\"<script>0312</script>\""));
	web_response_clear(&r);
	cr_assert_eq(req("GET", "/logs?type=login&number=nothing", cookie, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(html_data(r.body), "0 matching records"));
	web_response_clear(&r);
}

Test(web, password_hash_checks_and_denylist)
{
	uint8_t v[AUTH_VERIFIER_LEN];
	size_t n;
	cr_assert_eq(auth_password_hash("Tr0ub4dor3x", 14, v, &n), FGW_OK);
	cr_assert_eq(auth_password_check("Tr0ub4dor3x", v, n), FGW_OK);
	cr_assert_eq(auth_password_check("Tr0ub4dor3y", v, n), FGW_ERR_BAD_PASSWORD);
	v[0] = 9;
	cr_assert_eq(auth_password_check("Tr0ub4dor3x", v, n), FGW_ERR_VERSION);
	cr_assert(auth_password_denied("PASSWORD"));
	cr_assert(auth_password_denied("12345678"));
	cr_assert(!auth_password_denied("Tr0ub4dor3x"));
}
