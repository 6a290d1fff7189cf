/* web/account.c and the must_change rule of app.c's dispatch: after an
 * admin sets or resets a password the user reaches only the password page
 * (and logout) until choosing a new one; the page checks the current
 * password (counted like a failed login), the setup page's policy, ends
 * the old sessions, and leaves an audit record with user and source. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "storage/catalog_users.h"
#include "storage/store.h"
#include "tests/support/web_harness_mb.h"
#include "web/auth.h"

#define NEW_PW "Velvet-Otter-Dune-58"
#define ADMIN_SET_PW "Granite%21Moth%2173"   /* urlencoded Granite!Moth!73 */

static struct whm w;

static void setup(void)
{
	whm_setup(&w);
	whm_add_user(&w, "ann", "admin");
	whm_add_user(&w, "op", "operator");
}

static void teardown(void)
{
	whm_teardown(&w);
}

TestSuite(web_account, .init = setup, .fini = teardown, .timeout = 120);

/* Logs name in with password (urlencoded); returns the status, the
 * session in *s when it worked, and the Location in where. */
static int login(const char *name, const char *password, struct whm_session *s,
		 char *where, size_t size)
{
	struct web_response r;
	char body[256];
	const char *sc, *loc;
	int status;

	cr_assert_eq(str_format(body, sizeof body, "user=%s&password=%s", name, password), 0);
	status = whm_req(&w, "POST", "/login", NULL, body, NULL, &r);
	sc = web_response_header(&r, "Set-Cookie");
	loc = web_response_header(&r, "Location");
	if (where)
		cr_assert_eq(str_copy(where, size, loc ? loc : ""), 0);
	if (status == 303 && sc) {
		cr_assert_eq(str_format(s->cookie, sizeof s->cookie, "%.*s",
					(int)strcspn(sc, ";"), sc), 0);
		cr_assert_eq(auth_token_derive("csrf", strchr(s->cookie, '=') + 1, s->csrf), 0);
	}
	web_response_clear(&r);
	return status;
}

/* The admin resets op's password as on the Users page. */
static void admin_resets_op(void)
{
	struct whm_session a;
	struct web_response r;

	whm_login(&w, "ann", &a);
	cr_assert_eq(whm_post(&w, "/admin/users/reset", &a, "user=op&password=" ADMIN_SET_PW
			      "&password2=" ADMIN_SET_PW, &r), 200, "%s", whm_body(&r));
	web_response_clear(&r);
}

static bool must_change(const char *name)
{
	struct catalog_user u;

	cr_assert_eq(catalog_user_get(store_catalog(w.st), name, &u), FGW_OK);
	return u.must_change;
}

static int change(const struct whm_session *s, const char *current, const char *pw,
		  const char *pw2, struct web_response *r)
{
	char body[400];

	cr_assert_eq(str_format(body, sizeof body, "current=%s&password=%s&password2=%s",
				current, pw, pw2), 0);
	return whm_post(&w, "/account/password", s, body, r);
}

Test(web_account, after_a_reset_the_login_leads_to_the_password_page)
{
	struct whm_session s;
	char where[128];

	admin_resets_op();
	cr_assert(must_change("op"));
	cr_assert_eq(login("op", ADMIN_SET_PW, &s, where, sizeof where), 303);
	cr_assert_str_eq(where, "/account/password");
	cr_assert_eq(whm_audit_count(&w, "login", "must choose a new one"), 1);
}

Test(web_account, must_change_user_reaches_nothing_else)
{
	static const char *const gets[] = {"/dashboard", "/send", "/jobs", "/mailboxes",
					   "/logs", "/admin/users"};
	struct whm_session s;
	struct web_response r;

	admin_resets_op();
	cr_assert_eq(login("op", ADMIN_SET_PW, &s, NULL, 0), 303);
	for (size_t i = 0; i < sizeof gets / sizeof gets[0]; i++) {
		int st = whm_req(&w, "GET", gets[i], &s, NULL, NULL, &r);

		/* pages of other roles stay 403; the rest lead to the password page */
		if (st == 303)
			cr_assert_str_eq(web_response_header(&r, "Location"), "/account/password",
					 "%s", gets[i]);
		else
			cr_assert_eq(st, 403, "%s answered %d", gets[i], st);
		web_response_clear(&r);
	}
	cr_assert_eq(whm_post(&w, "/send/cancel", &s, "token=x", &r), 403);
	cr_assert_not_null(strstr(whm_body(&r), "choose your own on the password page first"));
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", "/account/password", &s, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "An administrator set your password"));
	cr_assert_null(strstr(whm_body(&r), "href=\"/dashboard\""), "no other nav entries");
	cr_assert_not_null(strstr(whm_body(&r), "href=\"/account/password\""));
	web_response_clear(&r);
	cr_assert_eq(whm_post(&w, "/logout", &s, "", &r), 303, "logout stays open");
	web_response_clear(&r);
}

Test(web_account, changing_clears_must_change_ends_old_sessions_and_audits)
{
	struct whm_session s, other, fresh;
	struct web_response r;
	const char *sc;

	admin_resets_op();
	cr_assert_eq(login("op", ADMIN_SET_PW, &s, NULL, 0), 303);
	cr_assert_eq(login("op", ADMIN_SET_PW, &other, NULL, 0), 303);
	cr_assert_eq(change(&s, ADMIN_SET_PW, NEW_PW, NEW_PW, &r), 303, "%s", whm_body(&r));
	cr_assert_str_eq(web_response_header(&r, "Location"), "/dashboard");
	sc = web_response_header(&r, "Set-Cookie");
	cr_assert_not_null(sc, "a fresh session for the user who changed it");
	cr_assert_eq(str_format(fresh.cookie, sizeof fresh.cookie, "%.*s", (int)strcspn(sc, ";"),
				sc), 0);
	web_response_clear(&r);
	cr_assert_not(must_change("op"));
	cr_assert_eq(whm_req(&w, "GET", "/dashboard", &fresh, NULL, NULL, &r), 200);
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", "/dashboard", &s, NULL, NULL, &r), 303);
	cr_assert_str_eq(web_response_header(&r, "Location"), "/login");
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", "/dashboard", &other, NULL, NULL, &r), 303,
		     "the other session ended too");
	web_response_clear(&r);
	cr_assert_eq(whm_audit_count(&w, "security", "password changed (it had been set by an "
				     "administrator)"), 1);
	cr_assert_eq(whm_audit_count(&w, "security", "127.0.0.1"), 1, "source address recorded");
	cr_assert_eq(login("op", ADMIN_SET_PW, &s, NULL, 0), 401, "the old password is gone");
	cr_assert_eq(login("op", NEW_PW, &s, NULL, 0), 303);
}

Test(web_account, new_password_follows_the_setup_policy)
{
	struct whm_session s;
	struct web_response r;
	struct catalog_user before, after;

	whm_login(&w, "op", &s);
	cr_assert_eq(catalog_user_get(store_catalog(w.st), "op", &before), FGW_OK);
	cr_assert_eq(change(&s, WHM_PW, NEW_PW, "Velvet-Otter-Dune-59", &r), 400);
	cr_assert_not_null(strstr(whm_body(&r), "The two new passwords differ"));
	web_response_clear(&r);
	cr_assert_eq(change(&s, WHM_PW, "password123", "password123", &r), 400);
	cr_assert_not_null(strstr(whm_body(&r), "common and factory-default"));
	web_response_clear(&r);
	cr_assert_eq(change(&s, WHM_PW, "short1", "short1", &r), 400);
	cr_assert_not_null(strstr(whm_body(&r), "at least 8 characters"));
	web_response_clear(&r);
	cr_assert_eq(change(&s, WHM_PW, "op", "op", &r), 400);
	web_response_clear(&r);
	cr_assert_eq(change(&s, WHM_PW, WHM_PW, WHM_PW, &r), 400);
	cr_assert_not_null(strstr(whm_body(&r), "must differ from the current one"));
	web_response_clear(&r);
	cr_assert_eq(catalog_user_get(store_catalog(w.st), "op", &after), FGW_OK);
	cr_assert_eq(memcmp(before.verifier, after.verifier, before.verifier_len), 0,
		     "nothing changed");
}

Test(web_account, wrong_current_password_counts_as_a_failed_login)
{
	struct whm_session s;
	struct web_response r;
	char where[128];

	whm_login(&w, "op", &s);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(change(&s, "Not-The-Password-1", NEW_PW, NEW_PW, &r), 403);
		cr_assert_not_null(strstr(whm_body(&r), "The current password is wrong"));
		web_response_clear(&r);
	}
	cr_assert_eq(whm_audit_count(&w, "login_failure", "wrong current password"), 3);
	cr_assert_eq(whm_audit_count(&w, "lockout", "account locked"), 1);
	/* locked: even the right current password is not looked at */
	cr_assert_eq(change(&s, WHM_PW, NEW_PW, NEW_PW, &r), 403);
	cr_assert_not_null(strstr(whm_body(&r), "This account is locked"));
	web_response_clear(&r);
	cr_assert_eq(whm_audit_count(&w, "login_failure", "password page while locked"), 1);
	/* and for the login page too */
	cr_assert_eq(login("op", WHM_PW, &s, where, sizeof where), 403);
}

Test(web_account, change_needs_csrf_and_a_session)
{
	struct whm_session s;
	struct web_response r;

	whm_login(&w, "op", &s);
	cr_assert_eq(whm_req(&w, "POST", "/account/password", &s, "current=" WHM_PW
			     "&password=" NEW_PW "&password2=" NEW_PW, NULL, &r), 403);
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", "/account/password", NULL, NULL, NULL, &r), 303);
	cr_assert_str_eq(web_response_header(&r, "Location"), "/login");
	web_response_clear(&r);
	cr_assert_eq(login("op", WHM_PW, &s, NULL, 0), 303, "the password is unchanged");
}

Test(web_account, every_role_has_the_password_page_in_the_nav)
{
	static const char *const roles[] = {"admin", "operator", "auditor", "owner"};
	struct whm_session s;
	struct web_response r;
	char name[16];

	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(str_format(name, sizeof name, "u%zu", i), 0);
		whm_add_user(&w, name, roles[i]);
		whm_login(&w, name, &s);
		cr_assert_eq(whm_req(&w, "GET", "/dashboard", &s, NULL, NULL, &r), 200);
		cr_assert_not_null(strstr(whm_body(&r), "<a href=\"/account/password\">Password"),
				   "%s", roles[i]);
		web_response_clear(&r);
		cr_assert_eq(whm_req(&w, "GET", "/account/password", &s, NULL, NULL, &r), 200);
		cr_assert_null(strstr(whm_body(&r), "An administrator set your password"));
		web_response_clear(&r);
	}
}

/* ---- the web release records carry user and source ------------------------- */

Test(web_account, mailbox_listing_record_names_user_and_source)
{
	struct whm_session s;
	struct web_response r;

	whm_add_user(&w, "own", "owner");
	whm_add_mailbox(&w, "1001", "Legal", "own", "4321", 0);
	whm_login(&w, "own", &s);
	cr_assert_eq(whm_post(&w, "/mailboxes/1001/unlock", &s, "pin=4321", &r), 303);
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", "/mailboxes/1001", &s, NULL, "192.0.2.9", &r), 200);
	web_response_clear(&r);
	cr_assert_eq(whm_audit_count(&w, "mailbox_release", NULL), 1);
	cr_assert_eq(whm_audit_count(&w, "mailbox_release", "own"), 1, "the user");
	cr_assert_eq(whm_audit_count(&w, "mailbox_release", "192.0.2.9"), 1, "the source");
}
