/* The password page of the logged-in user (/account/password): current
 * password, the new one twice, the setup page's policy. After an admin
 * has set or reset a password (must_change) app.c's dispatch lets that
 * user reach nothing else until this page has been used. */
#include <string.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/catalog_users.h"
#include "storage/lockout.h"
#include "storage/store.h"
#include "web/unlock.h"
#include "web/web_int.h"

static void password_form(struct web_ctx *c, int status, const char *err)
{
	struct html *h = c->resp->body;

	c->resp->status = status;
	c->current = "/account/password";
	web_page_begin(c, "Change your password");
	if (err) {
		html_raw(h, "<div class=\"msg error\" role=\"alert\">");
		html_text(h, err);
		html_raw(h, "</div>");
	}
	if (c->user.must_change)
		html_raw(h, "<div class=\"msg\">An administrator set your password. Choose "
			 "your own before going on: until then this is the only page open to "
			 "you.</div>");
	html_raw(h, "<section class=\"card\"><form class=\"stack\" method=\"post\" "
		 "action=\"/account/password\">");
	web_csrf_field(c);
	html_raw(h, "<label for=\"current\">Current password</label><input type=\"password\" "
		 "id=\"current\" name=\"current\" autocomplete=\"current-password\" required>"
		 "<label for=\"password\">New password (at least 8 characters, not a common or "
		 "factory-default password)</label><input type=\"password\" id=\"password\" "
		 "name=\"password\" autocomplete=\"new-password\" required>"
		 "<label for=\"password2\">New password again</label><input type=\"password\" "
		 "id=\"password2\" name=\"password2\" autocomplete=\"new-password\" required>"
		 "<p><button type=\"submit\">Change password</button></p></form></section>");
	web_page_end(c);
}

void page_account_password_form(struct web_ctx *c)
{
	password_form(c, 200, NULL);
}

/* A wrong current password counts as a failed login of the account (the
 * page must not be a way round the login lockout). */
static void wrong_current(struct web_ctx *c)
{
	struct lockout_policy pol = {
		.max_failures = c->app->set.max_failures,
		.lock_ms = (int64_t)c->app->set.lock_minutes * 60000,
	};

	web_audit(c, AUDIT_LOGIN_FAILURE, c->user.name,
		  "wrong current password on the password page");
	if (lockout_fail(store_catalog(c->app->store), "login", c->user.name, &pol,
			 web_now_ms()) == 1)
		web_audit(c, AUDIT_LOCKOUT, c->user.name, "account locked after failed logins");
	password_form(c, 403, "The current password is wrong; nothing was changed.");
}

/* The login lock counts here too: no guessing of the current password
 * from a session once the account is locked. */
static bool account_locked(struct web_ctx *c)
{
	bool locked;

	return lockout_check(store_catalog(c->app->store), "login", c->user.name, web_now_ms(),
			     &locked) != FGW_OK || locked;
}

/* The new password checked: both entries equal, the policy, not the old
 * one. Shows the form with the reason and returns false otherwise. */
static bool new_password_ok(struct web_ctx *c, const char *cur, const char *p1,
			    const char *p2)
{
	char why[160];

	if (strcmp(p1, p2) != 0) {
		password_form(c, 400, "The two new passwords differ; nothing was changed.");
		return false;
	}
	if (auth_password_policy(c->user.name, p1, why, sizeof why) != FGW_OK) {
		password_form(c, 400, why);
		return false;
	}
	if (strcmp(p1, cur) == 0) {
		password_form(c, 400, "The new password must differ from the current one.");
		return false;
	}
	return true;
}

/* Stores the verifier of pw and ends every session of the user: whoever
 * held the old password is logged out everywhere. */
static int store_password(struct web_ctx *c, const char *pw)
{
	struct catalog *cat = store_catalog(c->app->store);
	struct catalog_user u = c->user;
	int rc = auth_password_hash(pw, c->app->set.scrypt_log2_n, u.verifier, &u.verifier_len);

	u.must_change = false;
	if (rc == FGW_OK)
		rc = catalog_user_update(cat, &u);
	OPENSSL_cleanse(&u, sizeof u);
	if (rc == FGW_OK)
		rc = catalog_session_delete_user(cat, c->user.name);
	return rc;
}

void page_account_password_post(struct web_ctx *c)
{
	const char *cur = http_form_get(&c->form, "current");
	const char *p1 = http_form_get(&c->form, "password");
	const char *p2 = http_form_get(&c->form, "password2");
	bool was_forced = c->user.must_change;
	int rc;

	if (!cur || !p1 || !p2) {
		password_form(c, 400, "Fill in the current password and the new one twice.");
		return;
	}
	if (account_locked(c)) {
		web_audit(c, AUDIT_LOGIN_FAILURE, c->user.name, "password page while locked");
		password_form(c, 403, "This account is locked after too many failed attempts; "
			      "try again later or ask an administrator.");
		return;
	}
	if (auth_password_check(cur, c->user.verifier, c->user.verifier_len) != FGW_OK) {
		wrong_current(c);
		return;
	}
	if (!new_password_ok(c, cur, p1, p2))
		return;
	rc = store_password(c, p1);
	if (rc != FGW_OK) {
		log_error("web: changing the password of %s: %s", c->user.name, fgw_strerror(rc));
		web_error(c, 500, "The password could not be changed; see the system log.");
		return;
	}
	unlock_forget(c->app->unlocks, c->session_key, NULL);
	send_store_forget(c->app->sends, c->session_key);
	web_audit(c, AUDIT_SECURITY, c->user.name, was_forced ?
		  "password changed (it had been set by an administrator)" : "password changed");
	if (web_session_start(c, c->user.name) != FGW_OK) {
		web_redirect(c, "/login");
		return;
	}
	web_redirect(c, "/dashboard");
}
