/* Layout, first-run setup, login/logout and the dashboard. */
#include <string.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/call.h"
#include "gateway/daemon.h"
#include "gateway/simline.h"
#include "storage/catalog_jobs.h"
#include "storage/setupcode.h"
#include "storage/catalog_users.h"
#include "storage/lockout.h"
#include "storage/store.h"
#include "web/embedded.h"
#include "web/unlock.h"
#include "web/web_int.h"

/* ---- layout ------------------------------------------------------------ */

static const struct { const char *path, *label; int roles; } nav[] = {
	{"/dashboard", "Dashboard", ROLE_ANY},
	{"/send", "Send", ROLE_ADMIN | ROLE_OPERATOR},
	{"/jobs", "Jobs", ROLE_ADMIN | ROLE_OPERATOR},
	{"/logs", "Logs", ROLE_ADMIN | ROLE_AUDITOR},
	{"/mailboxes", "Mailboxes", ROLE_ADMIN | ROLE_OWNER},
	{"/admin/users", "Users", ROLE_ADMIN},
	{"/admin/mailboxes", "Mailbox admin", ROLE_ADMIN},
	{"/admin/devices", "Devices", ROLE_ADMIN},
	{"/admin/dialrules", "Dial rules", ROLE_ADMIN},
	{"/admin/config", "Configuration", ROLE_ADMIN},
	{"/admin/wipe", "Factory reset", ROLE_ADMIN},
	{"/account/password", "Password", ROLE_ANY},
};

void web_page_begin(struct web_ctx *c, const char *title)
{
	struct html *h = c->resp->body;

	html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		 "<title>");
	html_text(h, title);
	html_raw(h, " - faxgw</title><link rel=\"stylesheet\" href=\"/static/style.css\">"
		 "</head><body><header><span class=\"brand\">faxgw</span>");
	if (c->logged_in) {
		html_raw(h, "<nav>");
		for (size_t i = 0; i < sizeof nav / sizeof nav[0]; i++) {
			if (!(nav[i].roles & c->role) || (c->user.must_change &&
			    strcmp(nav[i].path, "/account/password") != 0))
				continue;
			html_raw(h, "<a href=\"");
			html_raw(h, nav[i].path);
			html_raw(h, c->current && strcmp(c->current, nav[i].path) == 0
				 ? "\" class=\"current\">" : "\">");
			html_raw(h, nav[i].label);
			html_raw(h, "</a>");
		}
		html_raw(h, "</nav><form method=\"post\" action=\"/logout\"><span class=\"who\">");
		html_text(h, c->user.name);
		html_raw(h, " (");
		html_text(h, c->user.role);
		html_raw(h, ")</span> ");
		web_csrf_field(c);
		html_raw(h, "<button class=\"link\" type=\"submit\">Log out</button></form>");
	}
	html_raw(h, "</header><main><h1>");
	html_text(h, title);
	html_raw(h, "</h1>");
}

void web_page_end(struct web_ctx *c)
{
	html_raw(c->resp->body, "</main></body></html>\n");
}

void web_csrf_field(struct web_ctx *c)
{
	html_raw(c->resp->body, "<input type=\"hidden\" name=\"csrf\" value=\"");
	html_text(c->resp->body, c->csrf);
	html_raw(c->resp->body, "\">");
}

static void message(struct web_ctx *c, const char *kind, const char *msg)
{
	if (!msg)
		return;
	html_raw(c->resp->body, "<div class=\"msg ");
	html_raw(c->resp->body, kind);
	html_raw(c->resp->body, "\" role=\"alert\">");
	html_text(c->resp->body, msg);
	html_raw(c->resp->body, "</div>");
}

static bool no_users(struct web_ctx *c)
{
	return catalog_user_count(store_catalog(c->app->store)) == 0;
}

void page_root(struct web_ctx *c)
{
	if (no_users(c))
		web_redirect(c, "/setup");
	else
		web_redirect(c, c->logged_in ? "/dashboard" : "/login");
}

void page_css(struct web_ctx *c)
{
	web_set_header(c, "Content-Type", "text/css; charset=utf-8");
	html_bytes(c->resp->body, web_embed_style_css, web_embed_style_css_len);
}

/* ---- first-run setup ---------------------------------------------------- */

static bool peer_loopback(const char *peer)
{
	return peer && (strncmp(peer, "127.", 4) == 0 || strcmp(peer, "::1") == 0 ||
			strncmp(peer, "::ffff:127.", 11) == 0);
}

static void setup_form(struct web_ctx *c, int status, const char *err)
{
	struct html *h = c->resp->body;

	c->resp->status = status;
	web_page_begin(c, "Create the administrator account");
	message(c, "error", err);
	html_raw(h, "<section class=\"card\"><p>This device has no accounts yet. Choose the "
		 "administrator's name and password (at least 8 characters, not a common or "
		 "factory-default password).</p><form class=\"stack\" method=\"post\" "
		 "action=\"/setup\"><label for=\"user\">User name</label>"
		 "<input type=\"text\" id=\"user\" name=\"user\" value=\"admin\" "
		 "autocomplete=\"username\" required>"
		 "<label for=\"password\">Password</label><input type=\"password\" "
		 "id=\"password\" name=\"password\" autocomplete=\"new-password\" required>"
		 "<label for=\"password2\">Password again</label><input type=\"password\" "
		 "id=\"password2\" name=\"password2\" autocomplete=\"new-password\" required>");
	if (!peer_loopback(c->req->peer))
		html_raw(h, "<label for=\"code\">Setup code (printed by faxgw init)</label>"
			 "<input type=\"text\" id=\"code\" name=\"code\" autocomplete=\"off\" "
			 "required>");
	html_raw(h, "<p><button type=\"submit\">Create account</button></p></form></section>");
	web_page_end(c);
}

void page_setup_form(struct web_ctx *c)
{
	if (!no_users(c)) {
		web_redirect(c, "/login");
		return;
	}
	setup_form(c, 200, NULL);
}

static bool valid_user_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int create_admin(struct web_ctx *c, const char *name, const char *password)
{
	struct catalog_user u = { .must_change = false, .created_ms = web_now_ms() };
	int rc = str_copy(u.name, sizeof u.name, name);

	if (rc == FGW_OK)
		rc = str_copy(u.role, sizeof u.role, "admin");
	if (rc == FGW_OK)
		rc = auth_password_hash(password, c->app->set.scrypt_log2_n, u.verifier,
					&u.verifier_len);
	if (rc == FGW_OK)
		rc = catalog_user_insert(store_catalog(c->app->store), &u);
	OPENSSL_cleanse(&u, sizeof u);
	return rc;
}

void page_setup_post(struct web_ctx *c)
{
	const char *user = http_form_get(&c->form, "user");
	const char *pw = http_form_get(&c->form, "password");
	const char *pw2 = http_form_get(&c->form, "password2");
	char why[160];
	int rc;

	if (!no_users(c)) {
		web_error(c, 403, "The administrator account exists already.");
		return;
	}
	if (!peer_loopback(c->req->peer) &&
	    setupcode_check(c->app->set.data_dir, http_form_get(&c->form, "code")) != FGW_OK) {
		web_audit(c, AUDIT_SECURITY, user ? user : "", "setup code wrong");
		setup_form(c, 403, "The setup code is wrong. Use the code faxgw init printed, "
			   "or open this page on the device itself (https://127.0.0.1).");
		return;
	}
	if (!user || !valid_user_name(user)) {
		setup_form(c, 400, "The user name must be 1 to 64 letters, digits, '.', '_' or '-'.");
		return;
	}
	if (!pw || !pw2 || strcmp(pw, pw2) != 0) {
		setup_form(c, 400, "The two passwords differ.");
		return;
	}
	if (auth_password_policy(user, pw, why, sizeof why) != FGW_OK) {
		setup_form(c, 400, why);
		return;
	}
	rc = create_admin(c, user, pw);
	if (rc == FGW_OK)
		rc = web_session_start(c, user);
	if (rc != FGW_OK) {
		web_error(c, 500, "The account could not be created; see the system log.");
		log_error("web: creating the first admin failed: %s", fgw_strerror(rc));
		return;
	}
	setupcode_remove(c->app->set.data_dir);
	web_audit(c, AUDIT_CONFIG_CHANGE, user, "first admin account created");
	web_redirect(c, "/dashboard");
}

/* ---- login -------------------------------------------------------------- */

static void login_form(struct web_ctx *c, int status, const char *err)
{
	c->resp->status = status;
	web_page_begin(c, "Log in");
	message(c, "error", err);
	html_raw(c->resp->body, "<section class=\"card login\"><form class=\"stack\" "
		 "method=\"post\" action=\"/login\"><label for=\"user\">User name</label>"
		 "<input type=\"text\" id=\"user\" name=\"user\" autocomplete=\"username\" "
		 "required><label for=\"password\">Password</label><input type=\"password\" "
		 "id=\"password\" name=\"password\" autocomplete=\"current-password\" required>"
		 "<p><button type=\"submit\">Log in</button></p></form></section>");
	web_page_end(c);
}

void page_login_form(struct web_ctx *c)
{
	if (no_users(c))
		web_redirect(c, "/setup");
	else if (c->logged_in)
		web_redirect(c, "/dashboard");
	else
		login_form(c, 200, NULL);
}

/* Counts a failure under (scope, key) through the lockout shared with the
 * SIP registrar (storage/lockout.h). Returns true when this failure
 * locked it. */
static bool count_failure(struct web_ctx *c, const char *scope, const char *key,
			  int64_t lock_ms, bool grow)
{
	struct lockout_policy pol = grow ? lockout_addr_policy(c->app->set.max_failures)
		: (struct lockout_policy){ .max_failures = c->app->set.max_failures,
					   .lock_ms = lock_ms };

	return lockout_fail(store_catalog(c->app->store), scope, key, &pol, web_now_ms()) == 1;
}

static bool locked(struct web_ctx *c, const char *scope, const char *key)
{
	bool is_locked;

	/* an unreadable counter lets the password check decide, as before */
	return lockout_check(store_catalog(c->app->store), scope, key, web_now_ms(),
			     &is_locked) == FGW_OK && is_locked;
}

static void login_failed(struct web_ctx *c, const char *user, const char *reason)
{
	int64_t lock_ms = (int64_t)c->app->set.lock_minutes * 60000;

	web_audit(c, AUDIT_LOGIN_FAILURE, user, reason);
	if (count_failure(c, "login", user, lock_ms, false))
		web_audit(c, AUDIT_LOCKOUT, user, "account locked after failed logins");
	if (count_failure(c, LOCKOUT_SCOPE_ADDR, c->req->peer, 0, true))
		web_audit(c, AUDIT_LOCKOUT, user, "source address slowed down");
	login_form(c, 401, "Wrong user name or password.");
}

/* Verifies the password; an unknown user costs the same scrypt time. */
static int check_password(struct web_ctx *c, const char *user, const char *pw,
			  struct catalog_user *u)
{
	static const uint8_t dummy[AUTH_VERIFIER_LEN] = {1, 14, 8, 1};
	int rc = catalog_user_get(store_catalog(c->app->store), user, u);

	if (rc != FGW_OK) {
		(void)auth_password_check(pw, dummy, sizeof dummy);
		return FGW_ERR_BAD_PASSWORD;
	}
	return auth_password_check(pw, u->verifier, u->verifier_len);
}

void page_login_post(struct web_ctx *c)
{
	const char *user = http_form_get(&c->form, "user");
	const char *pw = http_form_get(&c->form, "password");
	struct catalog_user u;
	bool must_change;
	int rc;

	if (!user || !pw || !user[0] || strlen(user) > CATALOG_NAME_MAX) {
		login_form(c, 400, "Enter a user name and a password.");
		return;
	}
	if (locked(c, LOCKOUT_SCOPE_ADDR, c->req->peer)) {
		web_audit(c, AUDIT_LOGIN_FAILURE, user, "source address slowed down");
		login_form(c, 429, "Too many failed logins from your address; wait a moment "
			   "and try again.");
		return;
	}
	if (locked(c, "login", user)) {
		web_audit(c, AUDIT_LOGIN_FAILURE, user, "account locked");
		login_form(c, 403, "This account is locked after too many failed logins; "
			   "try again later or ask an administrator.");
		return;
	}
	rc = check_password(c, user, pw, &u);
	must_change = rc == FGW_OK && u.must_change;
	OPENSSL_cleanse(&u, sizeof u);
	if (rc != FGW_OK) {
		login_failed(c, user, "wrong user name or password");
		return;
	}
	if (catalog_lockout_clear(store_catalog(c->app->store), "login", user) != FGW_OK ||
	    web_session_start(c, user) != FGW_OK) {
		web_error(c, 500, "The login could not be completed; see the system log.");
		return;
	}
	web_audit(c, AUDIT_LOGIN, user, must_change ? "password set by an administrator: "
		  "must choose a new one" : NULL);
	web_redirect(c, must_change ? "/account/password" : "/dashboard");
}

void page_logout(struct web_ctx *c)
{
	unlock_forget(c->app->unlocks, c->session_key, NULL);
	send_store_forget(c->app->sends, c->session_key);
	if (catalog_session_delete(store_catalog(c->app->store), c->session_key) != FGW_OK)
		log_warn("web: logout of an unknown session");
	web_set_header(c, "Set-Cookie", "__Host-faxgw=; Secure; HttpOnly; SameSite=Strict; "
		       "Path=/; Max-Age=0");
	web_audit(c, AUDIT_SECURITY, c->user.name, "logout");
	web_redirect(c, "/login");
}
