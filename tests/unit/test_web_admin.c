/* web/admin*.c: only admins reach the admin pages; CSRF on every change;
 * user create/reset/delete with the password policy, no verifiers shown,
 * names escaped, audit records with the admin and the source address;
 * the configuration view (the factory reset: test_web_wipe.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "storage/catalog_users.h"
#include "storage/store.h"
#include "tests/support/web_harness_mb.h"
#include "web/html.h"

static struct whm w;

static void setup(void)
{
	whm_setup(&w);
	whm_add_user(&w, "ann", "admin");
}

static void teardown(void)
{
	whm_teardown(&w);
}

TestSuite(web_admin, .init = setup, .fini = teardown, .timeout = 120);

static const char *const pages[] = {"/admin/users", "/admin/config", "/admin/wipe"};

Test(web_admin, other_roles_get_403_everywhere)
{
	const char *roles[] = {"operator", "auditor", "owner"};
	struct whm_session s;
	struct web_response r;

	for (int i = 0; i < 3; i++) {
		whm_add_user(&w, roles[i], roles[i]);
		whm_login(&w, roles[i], &s);
		for (size_t p = 0; p < sizeof pages / sizeof pages[0]; p++) {
			cr_assert_eq(whm_req(&w, "GET", pages[p], &s, NULL, NULL, &r), 403, "%s %s",
				     roles[i], pages[p]);
			web_response_clear(&r);
		}
		cr_assert_eq(whm_post(&w, "/admin/users/create", &s, "user=x1&role=admin&"
				      "password=Zq8%21vLm2pR&password2=Zq8%21vLm2pR", &r), 403);
		web_response_clear(&r);
		cr_assert_eq(whm_req(&w, "GET", "/dashboard", &s, NULL, NULL, &r), 200);
		cr_assert_null(strstr(whm_body(&r), "href=\"/admin/"), "no admin nav");
		web_response_clear(&r);
	}
	struct catalog_user u;
	cr_assert_eq(catalog_user_get(store_catalog(w.st), "x1", &u), FGW_ERR_NOT_FOUND);
}

Test(web_admin, admin_sees_every_page)
{
	struct whm_session s;
	struct web_response r;

	whm_login(&w, "ann", &s);
	for (size_t p = 0; p < sizeof pages / sizeof pages[0]; p++) {
		cr_assert_eq(whm_req(&w, "GET", pages[p], &s, NULL, NULL, &r), 200, "%s", pages[p]);
		cr_assert_str_eq(web_response_header(&r, "Cache-Control"), "no-store");
		web_response_clear(&r);
	}
}

Test(web_admin, create_needs_csrf_and_refuses_denylisted_passwords)
{
	struct whm_session s;
	struct web_response r;
	struct catalog_user u;

	whm_login(&w, "ann", &s);
	cr_assert_eq(whm_req(&w, "POST", "/admin/users/create", &s, "user=op1&role=operator&"
			     "password=Zq8vLm2pRt&password2=Zq8vLm2pRt", NULL, &r), 403);
	web_response_clear(&r);
	cr_assert_eq(whm_post(&w, "/admin/users/create", &s, "user=op1&role=operator&"
			      "password=password123&password2=password123", &r), 400);
	cr_assert_not_null(strstr(whm_body(&r), "common and factory-default"));
	web_response_clear(&r);
	cr_assert_eq(whm_post(&w, "/admin/users/create", &s, "user=op1&role=operator&"
			      "password=Zq8vLm2pRt&password2=Zq8vLm2pRx", &r), 400);
	web_response_clear(&r);
	cr_assert_eq(whm_post(&w, "/admin/users/create", &s, "user=op1&role=root&"
			      "password=Zq8vLm2pRt&password2=Zq8vLm2pRt", &r), 400);
	web_response_clear(&r);
	cr_assert_eq(catalog_user_get(store_catalog(w.st), "op1", &u), FGW_ERR_NOT_FOUND);
	cr_assert_eq(whm_post(&w, "/admin/users/create", &s, "user=op1&role=operator&"
			      "password=Zq8vLm2pRt&password2=Zq8vLm2pRt", &r), 200);
	web_response_clear(&r);
	cr_assert_eq(catalog_user_get(store_catalog(w.st), "op1", &u), FGW_OK);
	cr_assert_str_eq(u.role, "operator");
	cr_assert(u.must_change, "an admin-set password must be changed at the first login");
	cr_assert_eq(whm_audit_count(&w, "config_change", "user created (operator): op1"), 1);
	cr_assert_eq(whm_audit_count(&w, "config_change", "ann"), 1);
	cr_assert_eq(whm_post(&w, "/admin/users/create", &s, "user=op1&role=operator&"
			      "password=Zq8vLm2pRt&password2=Zq8vLm2pRt", &r), 409);
	web_response_clear(&r);
}

Test(web_admin, list_escapes_names_and_never_shows_verifiers)
{
	struct whm_session s;
	struct web_response r;
	struct catalog_user u;
	char hex[8];

	whm_add_user(&w, "<i>x'", "owner");
	whm_login(&w, "ann", &s);
	cr_assert_eq(whm_req(&w, "GET", "/admin/users", &s, NULL, NULL, &r), 200);
	cr_assert_null(strstr(whm_body(&r), "<i>x"));
	cr_assert_not_null(strstr(whm_body(&r), "&lt;i&gt;x&#39;"));
	cr_assert_eq(catalog_user_get(store_catalog(w.st), "ann", &u), FGW_OK);
	/* neither the raw verifier nor its hex shows anywhere */
	cr_assert_null(memmem(html_data(r.body), html_len(r.body), u.verifier + 4, 16));
	snprintf(hex, sizeof hex, "%02x%02x%02x", u.verifier[20], u.verifier[21], u.verifier[22]);
	cr_assert_null(strstr(whm_body(&r), hex));
	web_response_clear(&r);
}

Test(web_admin, reset_forces_a_change_and_ends_sessions)
{
	struct whm_session s, victim;
	struct web_response r;
	struct catalog_user u;

	whm_add_user(&w, "op", "operator");
	whm_login(&w, "op", &victim);
	whm_login(&w, "ann", &s);
	cr_assert_eq(whm_post(&w, "/admin/users/reset", &s, "user=op&password=qwerty123&"
			      "password2=qwerty123", &r), 400);
	web_response_clear(&r);
	cr_assert_eq(whm_post(&w, "/admin/users/reset", &s, "user=op&password=Zq8vLm2pRt&"
			      "password2=Zq8vLm2pRt", &r), 200);
	web_response_clear(&r);
	cr_assert_eq(catalog_user_get(store_catalog(w.st), "op", &u), FGW_OK);
	cr_assert(u.must_change);
	cr_assert_eq(whm_req(&w, "GET", "/dashboard", &victim, NULL, NULL, &r), 303,
		     "the old session ended");
	web_response_clear(&r);
	cr_assert_eq(whm_audit_count(&w, "config_change", "password reset: op"), 1);
}

Test(web_admin, delete_asks_and_keeps_the_last_admin)
{
	struct whm_session s;
	struct web_response r;
	struct catalog_user u;

	whm_add_user(&w, "op", "operator");
	whm_login(&w, "ann", &s);
	cr_assert_eq(whm_post(&w, "/admin/users/delete", &s, "user=op", &r), 400);
	web_response_clear(&r);
	cr_assert_eq(whm_post(&w, "/admin/users/delete", &s, "user=ann&confirm=yes", &r), 409);
	web_response_clear(&r);
	cr_assert_eq(whm_post(&w, "/admin/users/delete", &s, "user=op&confirm=yes", &r), 200);
	web_response_clear(&r);
	cr_assert_eq(catalog_user_get(store_catalog(w.st), "op", &u), FGW_ERR_NOT_FOUND);
	cr_assert_eq(catalog_user_get(store_catalog(w.st), "ann", &u), FGW_OK);
	cr_assert_eq(whm_audit_count(&w, "config_change", "user deleted: op"), 1);
	cr_assert_eq(whm_audit_count(&w, "config_change", "127.0.0.1"), 1);
}

/* The factory reset page has its own suite: test_web_wipe.c. */
Test(web_admin, config_view_lists_keys)
{
	struct whm_session s;
	struct web_response r;

	whm_login(&w, "ann", &s);
	cr_assert_eq(whm_req(&w, "GET", "/admin/config", &s, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "[security] scrypt_log2_n = "));
	web_response_clear(&r);
}
