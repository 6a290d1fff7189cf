/* /admin/users (admin only, see app.c routes): list the accounts, create
 * one with a role, reset a password (the user must choose a new one at
 * the next login), delete. Password verifiers are never shown. Every
 * change is a config_change audit record with the admin's name and the
 * source address. */
#include <string.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/release.h"
#include "storage/catalog_users.h"
#include "storage/store.h"
#include "web/web_int.h"

static void admin_change(struct web_ctx *c, const char *what, const char *name)
{
	char reason[256];

	if (str_format(reason, sizeof reason, "%s: %s (web)", what, name) != FGW_OK)
		(void)str_copy(reason, sizeof reason, "user change (web)");
	web_audit(c, AUDIT_CONFIG_CHANGE, c->user.name, reason);
}

static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int user_row(const struct catalog_user *u, void *arg)
{
	struct web_ctx *c = arg;
	struct html *h = c->resp->body;
	char when[32];

	release_time_text(u->created_ms, when);
	html_raw(h, "<tr><td>");
	html_text(h, u->name);
	html_raw(h, "</td><td>");
	html_text(h, u->role);
	html_raw(h, "</td><td>");
	html_raw(h, u->must_change ? "must choose a new one" : "set");
	html_raw(h, "</td><td>");
	html_text(h, when);
	html_raw(h, "</td><td><form class=\"inline\" method=\"post\" action=\"/admin/users/reset\">");
	web_csrf_field(c);
	html_raw(h, "<input type=\"hidden\" name=\"user\" value=\"");
	html_text(h, u->name);
	html_raw(h, "\"><input type=\"password\" name=\"password\" placeholder=\"new password\" "
		 "autocomplete=\"new-password\" required><input type=\"password\" name=\"password2\" "
		 "placeholder=\"again\" autocomplete=\"new-password\" required><button "
		 "type=\"submit\">Reset password</button></form> <form class=\"inline\" "
		 "method=\"post\" action=\"/admin/users/delete\">");
	web_csrf_field(c);
	html_raw(h, "<input type=\"hidden\" name=\"user\" value=\"");
	html_text(h, u->name);
	html_raw(h, "\"><label><input type=\"checkbox\" name=\"confirm\" value=\"yes\" required> "
		 "sure</label> <button class=\"danger\" type=\"submit\">Delete</button></form>"
		 "</td></tr>");
	return 0;
}

static void users_page(struct web_ctx *c, int status, const char *kind, const char *msg)
{
	struct html *h = c->resp->body;

	c->resp->status = status;
	c->current = "/admin/users";
	web_page_begin(c, "Users");
	if (msg) {
		html_raw(h, "<div class=\"msg ");
		html_raw(h, kind);
		html_raw(h, "\" role=\"alert\">");
		html_text(h, msg);
		html_raw(h, "</div>");
	}
	html_raw(h, "<section class=\"card\"><table><thead><tr><th>User</th><th>Role</th>"
		 "<th>Password</th><th>Created (UTC)</th><th></th></tr></thead><tbody>");
	if (catalog_user_list(store_catalog(c->app->store), user_row, c) != FGW_OK)
		html_raw(h, "<tr><td colspan=\"5\">The list could not be read; see the system "
			 "log.</td></tr>");
	html_raw(h, "</tbody></table></section><section class=\"card\"><h2>New user</h2>"
		 "<form class=\"stack\" method=\"post\" action=\"/admin/users/create\">");
	web_csrf_field(c);
	html_raw(h, "<label for=\"user\">User name</label><input type=\"text\" id=\"user\" "
		 "name=\"user\" autocomplete=\"off\" required><label for=\"role\">Role</label>"
		 "<select id=\"role\" name=\"role\"><option value=\"operator\">operator (sends "
		 "faxes)</option><option value=\"owner\">owner (opens own mailboxes)</option>"
		 "<option value=\"auditor\">auditor (reads logs)</option><option value=\"admin\">"
		 "admin</option></select><label for=\"password\">Initial password (the user "
		 "must change it at the first login)</label><input type=\"password\" "
		 "id=\"password\" name=\"password\" autocomplete=\"new-password\" required>"
		 "<label for=\"password2\">Password again</label><input type=\"password\" "
		 "id=\"password2\" name=\"password2\" autocomplete=\"new-password\" required>"
		 "<p><button type=\"submit\">Create user</button></p></form></section>");
	web_page_end(c);
}

void page_admin_users(struct web_ctx *c)
{
	users_page(c, 200, NULL, NULL);
}

/* Checks the two passwords against the policy; answers itself on error. */
static bool new_password_ok(struct web_ctx *c, const char *user, const char **pw)
{
	const char *p1 = http_form_get(&c->form, "password");
	const char *p2 = http_form_get(&c->form, "password2");
	char why[160];

	if (!p1 || !p2 || strcmp(p1, p2) != 0) {
		users_page(c, 400, "error", "The two passwords differ; nothing was changed.");
		return false;
	}
	if (auth_password_policy(user, p1, why, sizeof why) != FGW_OK) {
		users_page(c, 400, "error", why);
		return false;
	}
	*pw = p1;
	return true;
}

static int set_verifier(struct web_ctx *c, struct catalog_user *u, const char *pw)
{
	u->must_change = true;
	return auth_password_hash(pw, c->app->set.scrypt_log2_n, u->verifier, &u->verifier_len);
}

void page_admin_user_create(struct web_ctx *c)
{
	const char *name = http_form_get(&c->form, "user");
	const char *role = http_form_get(&c->form, "role");
	struct catalog_user u = {.created_ms = web_now_ms()};
	const char *pw;
	int rc;

	if (!name_ok(name)) {
		users_page(c, 400, "error", "The user name must be 1 to 64 letters, digits, '.', "
			   "'_' or '-'.");
		return;
	}
	if (!role || web_role_bit(role) == 0) {
		users_page(c, 400, "error", "Choose a role: admin, operator, auditor or owner.");
		return;
	}
	if (!new_password_ok(c, name, &pw))
		return;
	rc = str_copy(u.name, sizeof u.name, name);
	if (rc == FGW_OK)
		rc = str_copy(u.role, sizeof u.role, role);
	if (rc == FGW_OK)
		rc = set_verifier(c, &u, pw);
	if (rc == FGW_OK)
		rc = catalog_user_insert(store_catalog(c->app->store), &u);
	OPENSSL_cleanse(&u, sizeof u);
	if (rc != FGW_OK) {
		users_page(c, rc == FGW_ERR_EXISTS ? 409 : 500, "error", rc == FGW_ERR_EXISTS ?
			   "A user of that name exists already." : "The user could not be created; "
			   "see the system log.");
		return;
	}
	admin_change(c, strcmp(role, "admin") == 0 ? "user created (admin)" :
		     strcmp(role, "operator") == 0 ? "user created (operator)" :
		     strcmp(role, "auditor") == 0 ? "user created (auditor)" :
		     "user created (owner)", name);
	users_page(c, 200, "ok", "User created; they choose their own password at the first "
		   "login.");
}

void page_admin_user_reset(struct web_ctx *c)
{
	const char *name = http_form_get(&c->form, "user");
	struct catalog *cat = store_catalog(c->app->store);
	struct catalog_user u;
	const char *pw;
	int rc;

	if (!name || catalog_user_get(cat, name, &u) != FGW_OK) {
		users_page(c, 404, "error", "There is no such user.");
		return;
	}
	if (!new_password_ok(c, name, &pw)) {
		OPENSSL_cleanse(&u, sizeof u);
		return;
	}
	rc = set_verifier(c, &u, pw);
	if (rc == FGW_OK)
		rc = catalog_user_update(cat, &u);
	/* whoever knew the old password is logged out */
	if (rc == FGW_OK)
		rc = catalog_session_delete_user(cat, name);
	OPENSSL_cleanse(&u, sizeof u);
	if (rc != FGW_OK) {
		users_page(c, 500, "error", "The password could not be reset; see the system log.");
		return;
	}
	admin_change(c, "password reset", name);
	users_page(c, 200, "ok", "Password reset; the user must choose a new one at the next "
		   "login.");
}

static int count_admin(const struct catalog_user *u, void *arg)
{
	*(int *)arg += strcmp(u->role, "admin") == 0;
	return 0;
}

/* True when name is the only admin left. */
static bool last_admin(struct catalog *cat, const char *name)
{
	struct catalog_user u;
	int admins = 0;
	bool is_admin = catalog_user_get(cat, name, &u) == FGW_OK && strcmp(u.role, "admin") == 0;

	OPENSSL_cleanse(&u, sizeof u);
	return is_admin && (catalog_user_list(cat, count_admin, &admins) != FGW_OK || admins <= 1);
}

void page_admin_user_delete(struct web_ctx *c)
{
	const char *name = http_form_get(&c->form, "user");
	const char *confirm = http_form_get(&c->form, "confirm");
	struct catalog *cat = store_catalog(c->app->store);
	int rc;

	if (!confirm || strcmp(confirm, "yes") != 0) {
		users_page(c, 400, "error", "Tick \"sure\" to delete a user.");
		return;
	}
	if (!name || strcmp(name, c->user.name) == 0 || last_admin(cat, name)) {
		users_page(c, 409, "error", "You cannot delete your own account or the last "
			   "administrator.");
		return;
	}
	rc = catalog_user_delete(cat, name);
	if (rc != FGW_OK) {
		users_page(c, rc == FGW_ERR_NOT_FOUND ? 404 : 500, "error",
			   rc == FGW_ERR_NOT_FOUND ? "There is no such user." :
			   "The user could not be deleted; see the system log.");
		return;
	}
	admin_change(c, "user deleted", name);
	users_page(c, 200, "ok", "User deleted; their sessions have ended.");
}
