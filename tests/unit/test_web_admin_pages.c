/* web/admin_mailboxes.c, admin_devices.c, admin_dialrules.c: only admins
 * reach them; CSRF on every change; user-controlled strings escaped;
 * refusals name the field; the actions change the catalog (through
 * gateway/admin.h) and leave audit records with the admin and the source
 * address; the dial-rule test shows the decision of the real checks. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/release.h"
#include "storage/catalog_devices.h"
#include "storage/store.h"
#include "storage/store_mailbox.h"
#include "tests/support/web_harness_mb.h"

#define FAX "itu/itutests_mmr.tif"

static struct whm w;
static struct whm_session adm;

static void setup(void)
{
	whm_setup(&w);
	whm_add_user(&w, "ann", "admin");
	whm_login(&w, "ann", &adm);
}

static void teardown(void)
{
	whm_teardown(&w);
}

TestSuite(web_admin_pages, .init = setup, .fini = teardown, .timeout = 120);

static const char *const pages[] = {"/admin/mailboxes", "/admin/devices",
				    "/admin/dialrules"};

static const char *const posts[][2] = {
	{"/admin/mailboxes/create", "number=77&name=x&pin=1234&pin2=1234"},
	{"/admin/mailboxes/update", "number=55&name=changed"},
	{"/admin/mailboxes/pin", "number=55&pin=9999&pin2=9999&erase=yes"},
	{"/admin/mailboxes/unlock", "number=55"},
	{"/admin/mailboxes/delete", "number=55&confirm=yes&erase_held=yes"},
	{"/admin/devices/save", "device=fx1&kind=fax"},
	{"/admin/devices/delete", "device=dv&confirm=yes"},
};

/* GET path as s; returns the status, body in r (clear it). */
static int get(const char *path, const struct whm_session *s, struct web_response *r)
{
	return whm_req(&w, "GET", path, s, NULL, NULL, r);
}

static int post(const char *path, const char *body, struct web_response *r)
{
	return whm_post(&w, path, &adm, body, r);
}

static void assert_post(const char *path, const char *body, int status, const char *needle)
{
	struct web_response r;

	cr_assert_eq(post(path, body, &r), status, "%s %s: %d\n%s", path, body, r.status,
		     whm_body(&r));
	if (needle)
		cr_assert_not_null(strstr(whm_body(&r), needle), "%s: no '%s' in\n%s", path,
				   needle, whm_body(&r));
	web_response_clear(&r);
}

static struct catalog *cat(void)
{
	return store_catalog(w.st);
}

static void add_device(const char *name)
{
	struct catalog_device_entry e;

	catalog_devices_entry_init(&e);
	cr_assert_eq(str_copy(e.dev.address, sizeof e.dev.address, name), 0);
	cr_assert_eq(str_copy(e.dev.name, sizeof e.dev.name, name), 0);
	cr_assert_eq(str_copy(e.dev.kind, sizeof e.dev.kind, "fax"), 0);
	cr_assert_eq(catalog_devices_save(cat(), &e), 0);
}

/* ---- access --------------------------------------------------------------- */

Test(web_admin_pages, other_roles_get_403_and_change_nothing)
{
	const char *roles[] = {"operator", "auditor", "owner"};
	struct catalog_device_entry e;
	struct catalog_mailbox mb;
	struct whm_session s;
	struct web_response r;

	whm_add_mailbox(&w, "55", "Legal", "", "1234", 0);
	add_device("dv");
	for (int i = 0; i < 3; i++) {
		whm_add_user(&w, roles[i], roles[i]);
		whm_login(&w, roles[i], &s);
		for (size_t p = 0; p < sizeof pages / sizeof pages[0]; p++) {
			cr_assert_eq(get(pages[p], &s, &r), 403, "%s %s", roles[i], pages[p]);
			web_response_clear(&r);
		}
		for (size_t p = 0; p < sizeof posts / sizeof posts[0]; p++) {
			cr_assert_eq(whm_post(&w, posts[p][0], &s, posts[p][1], &r), 403, "%s %s",
				     roles[i], posts[p][0]);
			web_response_clear(&r);
		}
	}
	cr_assert_eq(catalog_mailbox_get(cat(), "77", &mb), FGW_ERR_NOT_FOUND);
	cr_assert_eq(catalog_mailbox_get(cat(), "55", &mb), FGW_OK);
	cr_assert_str_eq(mb.name, "Legal");
	cr_assert_eq(catalog_devices_get(cat(), "dv", &e), FGW_OK);
	cr_assert_eq(catalog_devices_get(cat(), "fx1", &e), FGW_ERR_NOT_FOUND);
	cr_assert_eq(whm_audit_count(&w, "config_change", NULL), 0);
}

Test(web_admin_pages, logged_out_is_sent_to_login_and_posts_refused)
{
	struct web_response r;

	for (size_t p = 0; p < sizeof pages / sizeof pages[0]; p++) {
		cr_assert_eq(get(pages[p], NULL, &r), 303, "%s", pages[p]);
		cr_assert_str_eq(web_response_header(&r, "Location"), "/login");
		web_response_clear(&r);
	}
	cr_assert_eq(whm_req(&w, "POST", posts[0][0], NULL, posts[0][1], NULL, &r), 403);
	web_response_clear(&r);
}

Test(web_admin_pages, admin_sees_each_page_and_the_nav)
{
	struct web_response r;

	for (size_t p = 0; p < sizeof pages / sizeof pages[0]; p++) {
		cr_assert_eq(get(pages[p], &adm, &r), 200, "%s", pages[p]);
		cr_assert_str_eq(web_response_header(&r, "Cache-Control"), "no-store");
		for (size_t q = 0; q < sizeof pages / sizeof pages[0]; q++) {
			char href[64];

			snprintf(href, sizeof href, "href=\"%s\"", pages[q]);
			cr_assert_not_null(strstr(whm_body(&r), href), "%s lacks %s", pages[p],
					   href);
		}
		web_response_clear(&r);
	}
}

Test(web_admin_pages, every_change_needs_the_csrf_token)
{
	struct catalog_device_entry e;
	struct catalog_mailbox mb;
	struct web_response r;

	whm_add_mailbox(&w, "55", "Legal", "", "1234", 0);
	add_device("dv");
	for (size_t p = 0; p < sizeof posts / sizeof posts[0]; p++) {
		cr_assert_eq(whm_req(&w, "POST", posts[p][0], &adm, posts[p][1], NULL, &r), 403,
			     "%s", posts[p][0]);
		web_response_clear(&r);
	}
	cr_assert_eq(catalog_mailbox_get(cat(), "77", &mb), FGW_ERR_NOT_FOUND);
	cr_assert_eq(catalog_mailbox_get(cat(), "55", &mb), FGW_OK);
	cr_assert_str_eq(mb.name, "Legal");
	cr_assert_eq(catalog_devices_get(cat(), "dv", &e), FGW_OK);
	cr_assert_eq(catalog_devices_get(cat(), "fx1", &e), FGW_ERR_NOT_FOUND);
}

/* ---- mailboxes ------------------------------------------------------------ */

Test(web_admin_pages, mailbox_create_stores_a_sealed_mailbox_and_audits)
{
	struct catalog_mailbox mb;

	whm_add_user(&w, "olga", "owner");
	assert_post("/admin/mailboxes/create", "number=12%2A3%23&name=Legal+dept&owner=olga&"
		    "retention=7&password=s3cret&pin=246810&pin2=246810", 200, "Mailbox created");
	cr_assert_eq(catalog_mailbox_get(cat(), "12*3#", &mb), FGW_OK);
	cr_assert_str_eq(mb.name, "Legal dept");
	cr_assert_str_eq(mb.owner, "olga");
	cr_assert_eq(mb.retention_days, 7);
	cr_assert(store_mailbox_has_password(&mb));
	cr_assert_eq(store_mailbox_check_password(w.st, &mb, "s3cret"), FGW_OK);
	cr_assert_eq(store_mailbox_check_pin(w.st, "12*3#", "246810"), FGW_OK);
	cr_assert_eq(store_mailbox_check_pin(w.st, "12*3#", "1111"), FGW_ERR_BAD_PIN);
	/* '#' travels as %23 in the manage link and back */
	struct web_response r;

	cr_assert_eq(get("/admin/mailboxes", &adm, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "href=\"/admin/mailboxes?number=12*3%23#manage"),
			   "%s", whm_body(&r));
	web_response_clear(&r);
	cr_assert_eq(get("/admin/mailboxes?number=12*3%23", &adm, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "<h2>Mailbox 12*3# (Legal dept)</h2>"));
	web_response_clear(&r);
	cr_assert_eq(whm_audit_count(&w, "config_change", "mailbox_create"), 1);
	cr_assert_eq(whm_audit_count(&w, "config_change", "ann"), 1);
	cr_assert_eq(whm_audit_count(&w, "config_change", "127.0.0.1"), 1);
	/* neither the PIN nor the password went into the log */
	cr_assert_eq(whm_audit_count(&w, NULL, "246810"), 0);
	cr_assert_eq(whm_audit_count(&w, NULL, "s3cret"), 0);
}

Test(web_admin_pages, mailbox_create_refusals_name_the_field)
{
	struct catalog_mailbox mb;

	whm_add_mailbox(&w, "55", "Legal", "", "1234", 0);
	assert_post("/admin/mailboxes/create", "number=12a&name=x&pin=1234&pin2=1234", 400,
		    "mailbox number (its F-code)");
	assert_post("/admin/mailboxes/create", "number=123456789012345678901&name=x&pin=1234&"
		    "pin2=1234", 400, "1 to 20 of 0-9");
	assert_post("/admin/mailboxes/create", "number=12&name=&pin=1234&pin2=1234", 400,
		    "mailbox name is 1 to 128 bytes");
	assert_post("/admin/mailboxes/create", "number=12&name=x&pin=12a4&pin2=12a4", 400,
		    "a PIN is 4 to 16 digits");
	assert_post("/admin/mailboxes/create", "number=12&name=x&pin=1234&pin2=1235", 400,
		    "PIN: the two entries differ");
	assert_post("/admin/mailboxes/create", "number=12&name=x&pin=1234&pin2=1234&"
		    "retention=99999", 400, "Retention: give 0 to 36500 days");
	assert_post("/admin/mailboxes/create", "number=12&name=x&pin=1234&pin2=1234&"
		    "owner=nobody", 400, "Owner: there is no user");
	assert_post("/admin/mailboxes/create", "number=12&name=x&pin=1234&pin2=1234&"
		    "password=123456789012345678901", 400, "F-code password takes up to 20");
	cr_assert_eq(catalog_mailbox_get(cat(), "12", &mb), FGW_ERR_NOT_FOUND);
	assert_post("/admin/mailboxes/create", "number=55&name=x&pin=1234&pin2=1234", 409,
		    "mailbox 55 exists already");
	cr_assert_eq(whm_audit_count(&w, "config_change", NULL), 0);
}

Test(web_admin_pages, mailbox_list_shows_counts_and_escapes_names)
{
	struct web_response r;
	char id[65];

	whm_add_user(&w, "<b>o", "owner");
	whm_add_mailbox(&w, "55", "<script>x</script>\"'", "<b>o", "1234", 3);
	whm_hold(&w, "55", FAX, id);
	cr_assert_eq(get("/admin/mailboxes?number=55", &adm, &r), 200);
	cr_assert_null(strstr(whm_body(&r), "<script>x"));
	cr_assert_null(strstr(whm_body(&r), "<b>o"));
	cr_assert_not_null(strstr(whm_body(&r), "&lt;script&gt;x&lt;/script&gt;&quot;&#39;"));
	cr_assert_not_null(strstr(whm_body(&r), "&lt;b&gt;o"));
	cr_assert_not_null(strstr(whm_body(&r), "<td class=\"num\">1</td>"), "%s",
			   whm_body(&r));
	cr_assert_not_null(strstr(whm_body(&r), "3 days"));
	/* the manage forms say what a reset without the PIN costs */
	cr_assert_not_null(strstr(whm_body(&r), "erases the 1 fax(es) held"));
	web_response_clear(&r);
}

Test(web_admin_pages, mailbox_update_changes_owner_retention_and_password)
{
	struct catalog_mailbox mb;

	whm_add_user(&w, "olga", "owner");
	whm_add_mailbox(&w, "55", "Legal", "", "1234", 0);
	assert_post("/admin/mailboxes/update", "number=55&name=Legal+2&owner=olga&retention=30&"
		    "pwd_action=set&password=pw12", 200, "saved");
	cr_assert_eq(catalog_mailbox_get(cat(), "55", &mb), FGW_OK);
	cr_assert_str_eq(mb.name, "Legal 2");
	cr_assert_str_eq(mb.owner, "olga");
	cr_assert_eq(mb.retention_days, 30);
	cr_assert_eq(store_mailbox_check_password(w.st, &mb, "pw12"), FGW_OK);
	cr_assert_eq(store_mailbox_check_password(w.st, &mb, "pw13"), FGW_ERR_BAD_PASSWORD);
	/* the PIN seal is untouched */
	cr_assert_eq(store_mailbox_check_pin(w.st, "55", "1234"), FGW_OK);
	assert_post("/admin/mailboxes/update", "number=55&name=Legal+2&owner=&pwd_action=clear",
		    200, "saved");
	cr_assert_eq(catalog_mailbox_get(cat(), "55", &mb), FGW_OK);
	cr_assert_str_eq(mb.owner, "");
	cr_assert_eq(mb.retention_days, 30, "an absent retention field keeps it");
	cr_assert(!store_mailbox_has_password(&mb));
	assert_post("/admin/mailboxes/update", "number=55&name=x&pwd_action=set&password=", 400,
		    "F-code password: type the new one");
	assert_post("/admin/mailboxes/update", "number=56&name=x", 404, "no such mailbox");
	/* an owner without an account (set by the CLI) may stay, not be chosen anew */
	whm_add_mailbox(&w, "57", "Old", "gone", "1234", 0);
	assert_post("/admin/mailboxes/update", "number=57&name=Old2&owner=gone", 200, "saved");
	cr_assert_eq(catalog_mailbox_get(cat(), "57", &mb), FGW_OK);
	cr_assert_str_eq(mb.name, "Old2");
	cr_assert_str_eq(mb.owner, "gone");
	assert_post("/admin/mailboxes/update", "number=55&name=x&owner=gone", 400,
		    "Owner: there is no user");
	cr_assert_eq(whm_audit_count(&w, "config_change", "mailbox_set"), 3);
}

Test(web_admin_pages, pin_change_with_the_old_pin_keeps_the_faxes)
{
	char id[65];

	whm_add_mailbox(&w, "55", "Legal", "", "1234", 0);
	whm_hold(&w, "55", FAX, id);
	assert_post("/admin/mailboxes/pin", "number=55&old_pin=1111&pin=5678&pin2=5678", 403,
		    "Current PIN: wrong (1 wrong in a row)");
	cr_assert_eq(store_mailbox_check_pin(w.st, "55", "1234"), FGW_OK);
	cr_assert_eq(whm_audit_count(&w, "pin_failure", NULL), 1);
	cr_assert_eq(whm_audit_count(&w, "pin_failure", "ann"), 1, "the admin is named");
	assert_post("/admin/mailboxes/pin", "number=55&old_pin=1234&pin=5678&pin2=5678", 200,
		    "PIN changed");
	cr_assert_eq(store_mailbox_check_pin(w.st, "55", "5678"), FGW_OK);
	cr_assert_eq(release_held_count(w.st, "55"), 1);
	/* the held fax opens with the new PIN */
	char path[128];
	int fd;

	cr_assert_eq(str_format(path, sizeof path, "%s/out.tif", w.dir), 0);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(release_write(w.st, "55", id, "5678", RELEASE_TIFF, fd, NULL), FGW_OK);
	cr_assert_eq(close(fd), 0);
	cr_assert_eq(whm_audit_count(&w, "config_change", "mailbox_set_pin"), 1);
}

Test(web_admin_pages, pin_reset_without_the_old_pin_erases_only_when_ticked)
{
	char id[65];

	whm_add_mailbox(&w, "55", "Legal", "", "1234", 0);
	whm_hold(&w, "55", FAX, id);
	assert_post("/admin/mailboxes/pin", "number=55&pin=5678&pin2=5678", 400,
		    "tick &quot;erase the held faxes&quot;");
	cr_assert_eq(release_held_count(w.st, "55"), 1);
	cr_assert_eq(store_mailbox_check_pin(w.st, "55", "1234"), FGW_OK);
	assert_post("/admin/mailboxes/pin", "number=55&pin=56a8&pin2=56a8&erase=yes", 400,
		    "a PIN is 4 to 16 digits");
	assert_post("/admin/mailboxes/pin", "number=55&pin=5678&pin2=5678&erase=yes", 200,
		    "PIN reset; 1 held fax(es) erased");
	cr_assert_eq(release_held_count(w.st, "55"), 0);
	cr_assert_eq(store_mailbox_check_pin(w.st, "55", "5678"), FGW_OK);
	cr_assert_eq(store_mailbox_check_pin(w.st, "55", "1234"), FGW_ERR_BAD_PIN);
	cr_assert_eq(whm_audit_count(&w, "config_change", "mailbox_pin_reset"), 1);
	cr_assert_eq(whm_audit_count(&w, "document_erased", NULL), 1);
}

Test(web_admin_pages, unlock_clears_a_lockout)
{
	struct release_policy p;
	struct web_response r;
	bool locked = false;
	struct catalog_lockout l;

	whm_add_mailbox(&w, "55", "Legal", "", "1234", 0);
	release_policy_init(NULL, &p);
	for (uint32_t i = 0; i < p.max_failures; i++)
		(void)release_unlock(w.st, &p, "55", "0000", store_now_ms(), NULL);
	cr_assert_eq(release_lock_state(w.st, "55", store_now_ms(), &l, &locked), 0);
	cr_assert(locked);
	cr_assert_eq(get("/admin/mailboxes?number=55", &adm, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "<strong>locked</strong> until"));
	cr_assert_not_null(strstr(whm_body(&r), "action=\"/admin/mailboxes/unlock\""));
	web_response_clear(&r);
	assert_post("/admin/mailboxes/unlock", "number=55", 200, "Mailbox unlocked");
	cr_assert_eq(release_lock_state(w.st, "55", store_now_ms(), &l, &locked), 0);
	cr_assert(!locked);
	cr_assert_eq(l.failures, 0);
	cr_assert_eq(whm_audit_count(&w, "config_change", "mailbox_unlock"), 1);
	assert_post("/admin/mailboxes/unlock", "number=99", 404, "no such mailbox");
}

Test(web_admin_pages, delete_asks_and_keeps_held_faxes_unless_told)
{
	struct catalog_mailbox mb;
	char id[65];

	whm_add_mailbox(&w, "55", "Legal", "", "1234", 0);
	whm_add_mailbox(&w, "66", "Empty", "", "1234", 0);
	whm_hold(&w, "55", FAX, id);
	assert_post("/admin/mailboxes/delete", "number=66", 400, "Tick &quot;sure&quot;");
	assert_post("/admin/mailboxes/delete", "number=66&confirm=yes", 200, "Mailbox deleted");
	cr_assert_eq(catalog_mailbox_get(cat(), "66", &mb), FGW_ERR_NOT_FOUND);
	assert_post("/admin/mailboxes/delete", "number=55&confirm=yes", 409, "still holds");
	cr_assert_eq(catalog_mailbox_get(cat(), "55", &mb), FGW_OK);
	assert_post("/admin/mailboxes/delete", "number=55&confirm=yes&erase_held=yes", 200,
		    "Mailbox deleted");
	cr_assert_eq(catalog_mailbox_get(cat(), "55", &mb), FGW_ERR_NOT_FOUND);
	cr_assert_eq(whm_audit_count(&w, "config_change", "mailbox_delete"), 2);
}

/* ---- devices -------------------------------------------------------------- */

Test(web_admin_pages, device_add_and_edit_store_the_policy)
{
	struct catalog_device_entry e;

	assert_post("/admin/devices/save", "device=mfp-2f&kind=mfp&double_entry=no&"
		    "international=default&allow_mode=list&allow=0120%2C+0570&deny_mode=default&"
		    "deny=&countries_mode=list&countries=", 200, "Device added");
	cr_assert_eq(catalog_devices_get(cat(), "mfp-2f", &e), FGW_OK);
	cr_assert_str_eq(e.dev.kind, "mfp");
	cr_assert_eq(e.double_entry, CATALOG_SET_NO);
	cr_assert_eq(e.international_allow, CATALOG_SET_DEFAULT);
	cr_assert(e.allow_prefixes.set);
	cr_assert_str_eq(e.allow_prefixes.text, "0120,0570");
	cr_assert(!e.deny_prefixes.set);
	cr_assert(e.countries.set, "an own empty list");
	cr_assert_str_eq(e.countries.text, "");
	assert_post("/admin/devices/save", "device=mfp-2f&kind=mfp&double_entry=default&"
		    "international=yes&allow_mode=default&allow=0120&deny_mode=list&deny=0990&"
		    "countries_mode=default", 200, "Device saved");
	cr_assert_eq(catalog_devices_get(cat(), "mfp-2f", &e), FGW_OK);
	cr_assert_eq(e.double_entry, CATALOG_SET_DEFAULT);
	cr_assert_eq(e.international_allow, CATALOG_SET_YES);
	cr_assert(!e.allow_prefixes.set);
	cr_assert_str_eq(e.deny_prefixes.text, "0990");
	cr_assert(!e.countries.set);
	cr_assert_eq(whm_audit_count(&w, "config_change", "device_create"), 1);
	cr_assert_eq(whm_audit_count(&w, "config_change", "device_set"), 1);
	cr_assert_eq(whm_audit_count(&w, "config_change", "deny_prefixes=0990"), 1);
}

Test(web_admin_pages, device_refusals_name_the_field_and_store_nothing)
{
	struct catalog_device_entry e;

	assert_post("/admin/devices/save", "device=fx&allow_mode=list&allow=0120%2Cabc", 400,
		    "Allowed prefixes: ");
	assert_post("/admin/devices/save", "device=fx&deny_mode=list&deny=12-", 400,
		    "Denied prefixes: ");
	assert_post("/admin/devices/save", "device=fx&countries_mode=list&countries=1%2Cx", 400,
		    "Countries: ");
	assert_post("/admin/devices/save", "device=fx&double_entry=maybe", 400,
		    "Double entry: wants yes, no or default");
	assert_post("/admin/devices/save", "device=fx&international=sure", 400,
		    "International calls: wants yes, no or default");
	assert_post("/admin/devices/save", "device=fx&kind=toaster", 400,
		    "Kind: wants fax, mfp or phone");
	assert_post("/admin/devices/save", "device=a+b&kind=fax", 400,
		    "Name: a device name is 1 to 128");
	cr_assert_eq(catalog_devices_get(cat(), "fx", &e), FGW_ERR_NOT_FOUND);
	cr_assert_eq(whm_audit_count(&w, "config_change", NULL), 0);
}

Test(web_admin_pages, device_list_shows_defaults_and_escapes)
{
	struct web_response r;

	add_device("dv");
	cr_assert_eq(post("/admin/devices/save", "device=dv&deny_mode=list&deny=0990", &r), 200);
	web_response_clear(&r);
	/* a name that is not a device name is never echoed back raw */
	cr_assert_eq(get("/admin/devices?device=%3Cscript%3E", &adm, &r), 200);
	cr_assert_null(strstr(whm_body(&r), "<script>"));
	web_response_clear(&r);
	cr_assert_eq(get("/admin/devices?device=dv", &adm, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "<td>dv</td>"));
	cr_assert_not_null(strstr(whm_body(&r), "default (yes)"), "double entry default");
	cr_assert_not_null(strstr(whm_body(&r), "<td>0990</td>"));
	cr_assert_not_null(strstr(whm_body(&r), "<h2>Device dv</h2>"));
	cr_assert_not_null(strstr(whm_body(&r), "action=\"/admin/devices/delete\""));
	web_response_clear(&r);
}

Test(web_admin_pages, device_delete_asks_first)
{
	struct catalog_device_entry e;

	add_device("dv");
	assert_post("/admin/devices/delete", "device=dv", 400, "Tick &quot;sure&quot;");
	cr_assert_eq(catalog_devices_get(cat(), "dv", &e), FGW_OK);
	assert_post("/admin/devices/delete", "device=dv&confirm=yes", 200, "Device deleted");
	cr_assert_eq(catalog_devices_get(cat(), "dv", &e), FGW_ERR_NOT_FOUND);
	assert_post("/admin/devices/delete", "device=dv&confirm=yes", 404, "no such device");
	cr_assert_eq(whm_audit_count(&w, "config_change", "device_delete"), 1);
}

/* ---- dial rules ----------------------------------------------------------- */

Test(web_admin_pages, dialrules_shows_the_config_read_only)
{
	struct web_response r;

	cr_assert_eq(get("/admin/dialrules", &adm, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "[dialing] international_allow = "));
	cr_assert_not_null(strstr(whm_body(&r), "[outbound] double_entry = "));
	cr_assert_null(strstr(whm_body(&r), "[security]"));
	cr_assert_not_null(strstr(whm_body(&r), "edit its [dialing] and [outbound]"));
	cr_assert_null(strstr(whm_body(&r), "method=\"post\" action=\"/admin/dialrules"));
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "POST", "/admin/dialrules", &adm, NULL, NULL, &r), 405);
	web_response_clear(&r);
}

Test(web_admin_pages, dialrules_test_explains_the_decision)
{
	struct web_response r;

	cr_assert_eq(get("/admin/dialrules?number=03-1234-5678&device=", &adm, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "Allowed: "), "%s", whm_body(&r));
	cr_assert_not_null(strstr(whm_body(&r), "<td>0312345678</td>"));
	cr_assert_not_null(strstr(whm_body(&r), "<td>domestic</td>"));
	web_response_clear(&r);
	cr_assert_eq(get("/admin/dialrules?number=%2B44+20+7946+0000&device=", &adm, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "Refused by the rule \"international\""), "%s",
			   whm_body(&r));
	cr_assert_not_null(strstr(whm_body(&r), "<td>44</td>"));
	web_response_clear(&r);
	cr_assert_eq(get("/admin/dialrules?number=110", &adm, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "Refused by the rule \"emergency"));
	web_response_clear(&r);
}

Test(web_admin_pages, dialrules_test_uses_the_devices_policy)
{
	struct web_response r;

	cr_assert_eq(post("/admin/devices/save", "device=intl&international=yes&deny_mode=list&"
			  "deny=0120", &r), 200);
	web_response_clear(&r);
	cr_assert_eq(get("/admin/dialrules?number=%2B44+20+7946+0000&device=intl", &adm, &r),
		     200);
	cr_assert_not_null(strstr(whm_body(&r), "Allowed: "), "%s", whm_body(&r));
	cr_assert_not_null(strstr(whm_body(&r), "an office device line"));
	cr_assert_not_null(strstr(whm_body(&r), "<option selected value=\"intl\">"));
	/* which settings are the device's own and which the configuration's */
	cr_assert_not_null(strstr(whm_body(&r), "<th>International calls</th><td>allowed "
				  "<span class=\"muted\">(this device)</span>"), "%s", whm_body(&r));
	cr_assert_not_null(strstr(whm_body(&r), "<th>Countries</th><td>none <span "
				  "class=\"muted\">(configured)</span>"));
	web_response_clear(&r);
	cr_assert_eq(get("/admin/dialrules?number=0120-123-456&device=intl", &adm, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "Refused by the rule \"deny_prefixes"),
			   "%s", whm_body(&r));
	web_response_clear(&r);
	/* the same number from the web interface follows the configuration */
	cr_assert_eq(get("/admin/dialrules?number=0120-123-456&device=", &adm, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "Allowed: "));
	web_response_clear(&r);
}

Test(web_admin_pages, dialrules_escapes_the_number_and_refuses_bad_devices)
{
	struct web_response r;

	cr_assert_eq(get("/admin/dialrules?number=%3Cimg+src%3Dx%3E&device=", &adm, &r), 200);
	cr_assert_null(strstr(whm_body(&r), "<img"));
	cr_assert_not_null(strstr(whm_body(&r), "&lt;img src=x&gt;"));
	cr_assert_not_null(strstr(whm_body(&r), "Refused by the rule \"invalid"));
	web_response_clear(&r);
	cr_assert_eq(get("/admin/dialrules?number=0312345678&device=%3Cb%3E", &adm, &r), 400);
	cr_assert_null(strstr(whm_body(&r), "<b>"));
	cr_assert_not_null(strstr(whm_body(&r), "Dialled from: that is not a device name"));
	web_response_clear(&r);
}
