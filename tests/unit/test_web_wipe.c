/* web/admin_wipe.c and gateway/reset.c: only admins (CSRF, allowlist) may
 * ask for a factory reset; a wrong phrase or password is refused and
 * recorded; a confirmed reset, run as faxgwd runs it once stopped, erases
 * vault, catalog, audit log and keys, leaves a new empty device, and its
 * certificate verifies with the public key saved beside it, is shown on the
 * page and downloads byte for byte. faxgw wipe --all files its
 * certificate where the page finds it. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/commands.h"
#include "gateway/reset.h"
#include "storage/catalog_users.h"
#include "storage/cert.h"
#include "storage/store.h"
#include "tests/support/web_harness_mb.h"
#include "web/html.h"
#include "web/web_int.h"

#define PHRASE "phrase=ERASE+ALL+DATA"
#define GOOD PHRASE "&password=" WHM_PW

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

TestSuite(web_wipe, .init = setup, .fini = teardown, .timeout = 120);

static bool exists(const char *name)
{
	char path[512];
	struct stat st;

	cr_assert_eq(str_format(path, sizeof path, "%s/%s", w.data, name), 0);
	return lstat(path, &st) == 0;
}

/* Closes app and store as faxgwd's stop does. */
static void close_device(void)
{
	web_app_free(w.app);
	w.app = NULL;
	cr_assert_eq(store_close(w.st), FGW_OK);
	w.st = NULL;
}

/* Opens the (new) device and a web app over it, as faxgwd's restart does. */
static void open_device(void)
{
	static const struct store_options opts = {.pin_cost = {10, 8, 1}};
	struct web_settings set = {.idle_minutes = 15, .max_hours = 8, .lock_minutes = 15,
				   .max_failures = 3, .scrypt_log2_n = 14};

	cr_assert_eq(store_open(w.data, &opts, &w.st), FGW_OK);
	cr_assert_eq(str_copy(set.data_dir, sizeof set.data_dir, w.data), 0);
	cr_assert_eq(web_app_new(&set, w.st, NULL, &w.app), FGW_OK);
}

static void read_file(const char *path, char *buf, size_t size, size_t *len)
{
	FILE *f = fopen(path, "rb");

	cr_assert_not_null(f, "%s", path);
	*len = fread(buf, 1, size - 1, f);
	buf[*len] = '\0';
	cr_assert_eq(fclose(f), 0);
}

static void cert_file(const char *name, char *path, size_t size)
{
	cr_assert_eq(str_format(path, size, "%s/%s/%s", w.data, STORE_ERASURE_DIR, name), 0);
}

Test(web_wipe, only_admins_reach_the_reset)
{
	const char *roles[] = {"operator", "auditor", "owner"};
	struct whm_session s;
	struct web_response r;

	for (int i = 0; i < 3; i++) {
		whm_add_user(&w, roles[i], roles[i]);
		whm_login(&w, roles[i], &s);
		cr_assert_eq(whm_req(&w, "GET", "/admin/wipe", &s, NULL, NULL, &r), 403);
		web_response_clear(&r);
		cr_assert_eq(whm_post(&w, "/admin/wipe", &s, GOOD, &r), 403, "%s", roles[i]);
		web_response_clear(&r);
		cr_assert_eq(whm_req(&w, "GET", "/admin/wipe/certificate", &s, NULL, NULL, &r), 403);
		web_response_clear(&r);
	}
	cr_assert_eq(whm_req(&w, "POST", "/admin/wipe", NULL, GOOD, NULL, &r), 403);
	web_response_clear(&r);
	cr_assert(!reset_pending(w.data));
	cr_assert_eq(whm_audit_count(&w, "wipe", NULL), 0);
}

Test(web_wipe, admin_sees_what_is_erased_and_the_form)
{
	struct whm_session s;
	struct web_response r;

	whm_login(&w, "ann", &s);
	cr_assert_eq(whm_req(&w, "GET", "/admin/wipe", &s, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "method=\"post\" action=\"/admin/wipe\""));
	cr_assert_not_null(strstr(whm_body(&r), "name=\"phrase\""));
	cr_assert_not_null(strstr(whm_body(&r), "id=\"password\" name=\"password\""));
	cr_assert_not_null(strstr(whm_body(&r), "TLS key"));
	cr_assert_not_null(strstr(whm_body(&r), "audit log"));
	cr_assert_not_null(strstr(whm_body(&r), "No factory reset of this appliance"));
	cr_assert_str_eq(web_response_header(&r, "Cache-Control"), "no-store");
	web_response_clear(&r);
}

Test(web_wipe, needs_the_csrf_token)
{
	struct whm_session s;
	struct web_response r;

	whm_login(&w, "ann", &s);
	cr_assert_eq(whm_req(&w, "POST", "/admin/wipe", &s, GOOD, NULL, &r), 403);
	web_response_clear(&r);
	cr_assert(!reset_pending(w.data));
}

Test(web_wipe, admin_outside_the_allowlist_is_refused)
{
	struct whm_session s;
	struct web_response r;
	char body[256];

	cr_assert_eq(str_copy(w.app->set.admin_allow, sizeof w.app->set.admin_allow,
			      "192.0.2.0/24"), 0);
	whm_login(&w, "ann", &s);
	cr_assert_eq(str_format(body, sizeof body, "csrf=%s&" GOOD, s.csrf), 0);
	cr_assert_eq(whm_req(&w, "POST", "/admin/wipe", &s, body, "198.51.100.7", &r), 403);
	web_response_clear(&r);
	cr_assert(!reset_pending(w.data));
}

Test(web_wipe, wrong_phrase_is_refused_and_recorded)
{
	struct whm_session s;
	struct web_response r;

	whm_login(&w, "ann", &s);
	cr_assert_eq(whm_post(&w, "/admin/wipe", &s, "phrase=erase+all+data&password=" WHM_PW,
			      &r), 400);
	cr_assert_not_null(strstr(whm_body(&r), "Nothing was erased: type the phrase"));
	web_response_clear(&r);
	cr_assert_eq(whm_post(&w, "/admin/wipe", &s, "password=" WHM_PW, &r), 400);
	web_response_clear(&r);
	cr_assert(!reset_pending(w.data));
	cr_assert(exists(KEYS_MASTER_FILE));
	cr_assert_eq(whm_audit_count(&w, "security", "wrong confirmation phrase"), 2);
	cr_assert_eq(whm_audit_count(&w, "security", "127.0.0.1"), 2);
	cr_assert_eq(whm_audit_count(&w, "wipe", NULL), 0);
}

Test(web_wipe, wrong_password_is_refused_and_recorded)
{
	struct whm_session s;
	struct web_response r;

	whm_login(&w, "ann", &s);
	cr_assert_eq(whm_post(&w, "/admin/wipe", &s, PHRASE "&password=Tr0ub4dor3y", &r), 400);
	cr_assert_not_null(strstr(whm_body(&r), "that is not your password"));
	web_response_clear(&r);
	cr_assert(!reset_pending(w.data));
	cr_assert_eq(whm_audit_count(&w, "security", "factory reset refused: wrong password"), 1);
	cr_assert_eq(whm_audit_count(&w, "security", "ann"), 1);
}

Test(web_wipe, wrong_passwords_lock_the_account)
{
	struct whm_session s;
	struct web_response r;

	whm_login(&w, "ann", &s);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(whm_post(&w, "/admin/wipe", &s, PHRASE "&password=guess-1234", &r), 400);
		web_response_clear(&r);
	}
	cr_assert_eq(whm_audit_count(&w, "lockout", "ann"), 1);
	cr_assert_eq(whm_post(&w, "/admin/wipe", &s, GOOD, &r), 403);
	cr_assert_not_null(strstr(whm_body(&r), "your account is locked"));
	web_response_clear(&r);
	cr_assert(!reset_pending(w.data));
	cr_assert_eq(whm_audit_count(&w, "security", "account locked"), 1);
}

/* The blob files of the vault, as names. */
static int vault_files(char names[][128], int max)
{
	char path[512];
	DIR *d;
	struct dirent *e;
	int n = 0;

	cr_assert_eq(str_format(path, sizeof path, "%s/%s", w.data, STORE_VAULT_DIR), 0);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < max)
		if (e->d_name[0] != '.')
			cr_assert_eq(str_copy(names[n++], 128, e->d_name), 0);
	closedir(d);
	return n;
}

Test(web_wipe, confirmed_reset_erases_everything_and_the_certificate_verifies)
{
	struct whm_session s;
	struct web_response r;
	struct store_erase_report rep;
	char id[65], old_device[64], name[RESET_NAME_MAX], path[512], pub[512], page[512];
	char blobs[8][128], why[CERT_WHY_MAX], file[CERT_MAX_BYTES], pem[1024];
	size_t len, pem_len;
	int nblobs;

	whm_add_mailbox(&w, "1234", "legal", "", "4711", 30);
	whm_hold(&w, "1234", "itu/itutests_mmr.tif", id);
	nblobs = vault_files(blobs, 8);
	cr_assert_geq(nblobs, 1);
	cr_assert_eq(str_copy(old_device, sizeof old_device, keys_device_id(store_keys(w.st))), 0);
	whm_login(&w, "ann", &s);
	cr_assert_eq(whm_post(&w, "/admin/wipe", &s, GOOD, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "The factory reset is confirmed."));
	web_response_clear(&r);
	cr_assert(reset_pending(w.data));
	cr_assert_eq(whm_audit_count(&w, "wipe", "factory reset confirmed"), 1);
	/* a second confirmation while the first waits changes nothing */
	cr_assert_eq(whm_post(&w, "/admin/wipe", &s, GOOD, &r), 409);
	web_response_clear(&r);

	/* what faxgwd does once its loop has stopped */
	close_device();
	memset(&rep, 0, sizeof rep);
	cr_assert_eq(reset_run(w.data, &rep, NULL), FGW_OK);
	cr_assert(!reset_pending(w.data));
	cr_assert_eq(rep.documents, 1);
	for (int i = 0; i < nblobs; i++) {
		cr_assert_eq(str_format(path, sizeof path, "%s/%s", STORE_VAULT_DIR, blobs[i]), 0);
		cr_assert(!exists(path), "blob %s survived", blobs[i]);
	}

	/* the certificate: in erasure/, valid with its public key, of the old
	 * device, and not signed by the new device's key */
	cr_assert_eq(reset_latest(w.data, name, sizeof name), FGW_OK);
	cr_assert_str_eq(strrchr(rep.cert_path, '/') + 1, name);
	cert_file(name, path, sizeof path);
	cr_assert_eq(str_format(pub, sizeof pub, "%.*s.pub.pem", (int)(strlen(path) - 5), path), 0);
	cr_assert_eq(cert_verify_files(path, pub, why, sizeof why), FGW_OK, "%s", why);
	read_file(path, file, sizeof file, &len);
	cr_assert_not_null(strstr(file, old_device));
	cr_assert_not_null(strstr(file, "\"scope\":\"device\""));
	cr_assert_eq(str_format(page, sizeof page, "%s/%s", w.data, KEYS_PUBLIC_FILE), 0);
	cr_assert_eq(cert_verify_files(path, page, why, sizeof why), FGW_ERR_MISMATCH);

	/* the new device: other keys, no users, no mailbox, no document, and
	 * an audit log that starts with the reset, without the old records */
	open_device();
	cr_assert_str_neq(keys_device_id(store_keys(w.st)), old_device);
	cr_assert_eq(catalog_user_count(store_catalog(w.st)), 0);
	cr_assert_eq(catalog_document_count(store_catalog(w.st), NULL), 0);
	cr_assert_eq(whm_audit_count(&w, "login", NULL), 0);
	cr_assert_eq(whm_audit_count(&w, "security", "wrong"), 0);
	cr_assert_eq(whm_audit_count(&w, "wipe", name), 1);
	cr_assert_eq(whm_audit_count(&w, "wipe", "ann"), 1);

	/* the next admin sees it and downloads the very bytes */
	whm_add_user(&w, "bob", "admin");
	whm_login(&w, "bob", &s);
	cr_assert_eq(whm_req(&w, "GET", "/admin/wipe", &s, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "signature valid"));
	cr_assert_not_null(strstr(whm_body(&r), name));
	cr_assert_not_null(strstr(whm_body(&r), old_device));
	web_response_clear(&r);
	cr_assert_eq(str_format(page, sizeof page, "/admin/wipe/certificate?file=%s", name), 0);
	cr_assert_eq(whm_req(&w, "GET", page, &s, NULL, NULL, &r), 200);
	cr_assert_eq(html_len(r.body), len);
	cr_assert_eq(memcmp(html_data(r.body), file, len), 0);
	cr_assert_str_eq(web_response_header(&r, "Content-Type"), "application/json");
	cr_assert_not_null(strstr(web_response_header(&r, "Content-Disposition"), name));
	web_response_clear(&r);
	read_file(pub, pem, sizeof pem, &pem_len);
	cr_assert_eq(str_format(page, sizeof page, "/admin/wipe/certificate?file=%.*s.pub.pem",
				(int)(strlen(name) - 5), name), 0);
	cr_assert_eq(whm_req(&w, "GET", page, &s, NULL, NULL, &r), 200);
	cr_assert_eq(html_len(r.body), pem_len);
	cr_assert_eq(cert_verify(file, len, html_data(r.body), why, sizeof why), FGW_OK, "%s", why);
	web_response_clear(&r);
}

Test(web_wipe, tampered_certificate_is_shown_as_not_valid)
{
	struct whm_session s;
	struct web_response r;
	char name[RESET_NAME_MAX], path[512], file[CERT_MAX_BYTES];
	size_t len;
	char *p;
	FILE *f;

	close_device();
	cr_assert_eq(reset_request(w.data, "ann", "127.0.0.1"), FGW_OK);
	cr_assert_eq(reset_run(w.data, NULL, NULL), FGW_OK);
	open_device();
	cr_assert_eq(reset_latest(w.data, name, sizeof name), FGW_OK);
	cert_file(name, path, sizeof path);
	read_file(path, file, sizeof file, &len);
	p = strstr(file, "\"documents\":0");
	cr_assert_not_null(p);
	p[12] = '7';
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(file, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	whm_add_user(&w, "bob", "admin");
	whm_login(&w, "bob", &s);
	cr_assert_eq(whm_req(&w, "GET", "/admin/wipe", &s, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "NOT valid"));
	cr_assert_null(strstr(whm_body(&r), "signature valid"));
	web_response_clear(&r);
}

Test(web_wipe, download_refuses_other_files)
{
	struct whm_session s;
	struct web_response r;
	const char *bad[] = {"/admin/wipe/certificate?file=../master.key",
			     "/admin/wipe/certificate?file=erasure-..%2F..%2Fmaster.key",
			     "/admin/wipe/certificate?file=catalog.db",
			     "/admin/wipe/certificate?file=erasure-x.key"};

	whm_login(&w, "ann", &s);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(whm_req(&w, "GET", bad[i], &s, NULL, NULL, &r), 400, "%s", bad[i]);
		web_response_clear(&r);
	}
	cr_assert_eq(whm_req(&w, "GET", "/admin/wipe/certificate?file=erasure-x.json", &s, NULL,
			     NULL, &r), 404);
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", "/admin/wipe/certificate", &s, NULL, NULL, &r), 404);
	web_response_clear(&r);
}

Test(web_wipe, console_wipe_files_its_certificate_for_the_page)
{
	char *wipe[] = {"wipe", "--all", "--yes", "--data", w.data, NULL};
	char name[RESET_NAME_MAX], path[512], pub[512], why[CERT_WHY_MAX];
	struct whm_session s;
	struct web_response r;

	close_device();
	cr_assert_eq(cmd_wipe(5, wipe), 0);
	cr_assert(!exists(KEYS_MASTER_FILE));
	cr_assert_eq(reset_latest(w.data, name, sizeof name), FGW_OK);
	cert_file(name, path, sizeof path);
	cr_assert_eq(str_format(pub, sizeof pub, "%.*s.pub.pem", (int)(strlen(path) - 5), path), 0);
	cr_assert_eq(cert_verify_files(path, pub, why, sizeof why), FGW_OK, "%s", why);
	/* faxgw init makes a new device beside the kept certificates */
	cr_assert_eq(store_init(w.data), FGW_OK);
	open_device();
	whm_add_user(&w, "ann", "admin");
	whm_login(&w, "ann", &s);
	cr_assert_eq(whm_req(&w, "GET", "/admin/wipe", &s, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), name));
	cr_assert_not_null(strstr(whm_body(&r), "signature valid"));
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", "/admin/wipe/certificate", &s, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(web_response_header(&r, "Content-Disposition"), name));
	web_response_clear(&r);
}

Test(web_wipe, a_second_reset_keeps_and_lists_the_first_certificate)
{
	char first[RESET_NAME_MAX], second[RESET_NAME_MAX], path[512];
	struct whm_session s;
	struct web_response r;
	const char *latest, *earlier;
	struct stat st;

	close_device();
	cr_assert_eq(reset_request(w.data, "ann", "127.0.0.1"), FGW_OK);
	cr_assert_eq(reset_run(w.data, NULL, NULL), FGW_OK);
	cr_assert_eq(reset_latest(w.data, first, sizeof first), FGW_OK);
	usleep(20000);
	cr_assert_eq(reset_request(w.data, "bob", "127.0.0.1"), FGW_OK);
	cr_assert_eq(reset_run(w.data, NULL, NULL), FGW_OK);
	cr_assert_eq(reset_latest(w.data, second, sizeof second), FGW_OK);
	cr_assert_str_neq(first, second);
	cert_file(first, path, sizeof path);
	cr_assert_eq(stat(path, &st), 0, "the first certificate is gone");
	open_device();
	/* the page shows the newest and lists the first for download */
	whm_add_user(&w, "cy", "admin");
	whm_login(&w, "cy", &s);
	cr_assert_eq(whm_req(&w, "GET", "/admin/wipe", &s, NULL, NULL, &r), 200);
	latest = strstr(whm_body(&r), "id=\"cert-state\"");
	earlier = strstr(whm_body(&r), "id=\"earlier\"");
	cr_assert(latest && earlier);
	cr_assert_not_null(strstr(latest, second));
	cr_assert(strstr(earlier, second) == NULL, "the newest is not repeated");
	cr_assert_not_null(strstr(earlier, first));
	web_response_clear(&r);
}

/* Makes an (empty) certificate file name in erasure/ with mtime sec. */
static void fake_cert(const char *name, time_t sec)
{
	char path[512];
	struct timespec t[2] = {{sec, 0}, {sec, 0}};
	FILE *f;

	cert_file(name, path, sizeof path);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(utimensat(AT_FDCWD, path, t, 0), 0);
}

Test(web_wipe, list_keeps_the_newest_and_ignores_other_files)
{
	char dir[512], name[RESET_NAME_MAX];
	struct reset_cert got[2];
	size_t n;

	cr_assert_eq(reset_erasure_dir(w.data, dir, sizeof dir), FGW_OK);
	fake_cert("erasure-b.json", 3000);
	fake_cert("erasure-a.json", 1000);
	fake_cert("erasure-c.json", 2000);
	fake_cert("erasure-d.txt", 9000);
	fake_cert("other.json", 9000);
	cr_assert_eq(reset_list(w.data, got, 2, &n), FGW_ERR_TOO_LARGE);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(got[0].name, "erasure-b.json");
	cr_assert_str_eq(got[1].name, "erasure-c.json");
	cr_assert_eq(reset_latest(w.data, name, sizeof name), FGW_OK);
	cr_assert_str_eq(name, "erasure-b.json");
}
