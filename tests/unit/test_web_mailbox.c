/* web/mailbox*.c and web/unlock.c: who sees which mailbox, the PIN
 * lockout through the web (audited with the source address), previews
 * only for the session that unlocked, TIFF/PDF downloads equal to the
 * stored fax, printing to the device line, erasure with a certificate. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/queue.h"
#include "storage/store.h"
#include "tests/support/fax_harness.h"
#include "tests/support/web_harness_mb.h"
#include "web/html.h"
#include "web/unlock.h"

#define PIN "482916"
#define FAX "itu/itutests_mmr.tif"

static struct whm w;

static void setup(void)
{
	whm_setup(&w);
	whm_add_user(&w, "own", "owner");
	whm_add_user(&w, "bob", "owner");
	whm_add_user(&w, "ann", "admin");
	whm_add_mailbox(&w, "1001", "<b>Legal</b>", "own", PIN, 0);
	whm_add_mailbox(&w, "1002", "Payroll", "bob", PIN, 0);
}

static void teardown(void)
{
	whm_teardown(&w);
}

TestSuite(web_mailbox, .init = setup, .fini = teardown, .timeout = 120);

static void unlock(const struct whm_session *s, const char *number)
{
	struct web_response r;
	char path[64], body[64];

	cr_assert_eq(str_format(path, sizeof path, "/mailboxes/%s/unlock", number), 0);
	cr_assert_eq(str_format(body, sizeof body, "pin=%s", PIN), 0);
	cr_assert_eq(whm_post(&w, path, s, body, &r), 303);
	web_response_clear(&r);
}

/* Files in DATA/sub whose name ends in suffix ("" any). */
static int count_files(const char *sub, const char *suffix)
{
	char path[256];
	struct dirent *e;
	int n = 0;
	DIR *d;

	cr_assert_eq(str_format(path, sizeof path, "%s/%s", w.data, sub), 0);
	d = opendir(path);
	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.' && strlen(e->d_name) >= strlen(suffix) &&
		     strcmp(e->d_name + strlen(e->d_name) - strlen(suffix), suffix) == 0;
	closedir(d);
	return n;
}

/* Writes the body to DIR/name and returns the path in out. */
static void save_body(const struct web_response *r, const char *name, char *out, size_t size)
{
	int fd;

	cr_assert_eq(str_format(out, size, "%s/%s", w.dir, name), 0);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, html_data(r->body), html_len(r->body)), (ssize_t)html_len(r->body));
	cr_assert_eq(close(fd), 0);
}

static bool doc_exists(const char *id)
{
	struct catalog_document d;

	return catalog_document_get(store_catalog(w.st), id, &d) == FGW_OK;
}

Test(web_mailbox, owner_sees_only_own_mailboxes_escaped)
{
	struct whm_session s;
	struct web_response r;

	whm_login(&w, "own", &s);
	cr_assert_eq(whm_req(&w, "GET", "/mailboxes", &s, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "href=\"/mailboxes/1001\""));
	cr_assert_null(strstr(whm_body(&r), "1002"));
	cr_assert_null(strstr(whm_body(&r), "Payroll"));
	cr_assert_null(strstr(whm_body(&r), "<b>Legal"));
	cr_assert_not_null(strstr(whm_body(&r), "&lt;b&gt;Legal&lt;/b&gt;"));
	cr_assert_not_null(strstr(whm_body(&r), "href=\"/mailboxes\""), "nav entry");
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", "/mailboxes/1002", &s, NULL, NULL, &r), 404);
	web_response_clear(&r);
	cr_assert_eq(whm_post(&w, "/mailboxes/1002/unlock", &s, "pin=" PIN, &r), 404);
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", "/mailboxes/1001", &s, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "type=\"password\" id=\"pin\""));
	cr_assert_not_null(strstr(whm_body(&r), "autocomplete=\"off\""));
	web_response_clear(&r);
}

Test(web_mailbox, admin_sees_every_mailbox)
{
	struct whm_session s;
	struct web_response r;

	whm_login(&w, "ann", &s);
	cr_assert_eq(whm_req(&w, "GET", "/mailboxes", &s, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "/mailboxes/1001"));
	cr_assert_not_null(strstr(whm_body(&r), "/mailboxes/1002"));
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", "/mailboxes/1002", &s, NULL, NULL, &r), 200);
	web_response_clear(&r);
}

Test(web_mailbox, operator_and_auditor_get_403)
{
	const char *roles[] = {"operator", "auditor"};
	struct whm_session s;
	struct web_response r;

	for (int i = 0; i < 2; i++) {
		whm_add_user(&w, roles[i], roles[i]);
		whm_login(&w, roles[i], &s);
		cr_assert_eq(whm_req(&w, "GET", "/mailboxes", &s, NULL, NULL, &r), 403);
		web_response_clear(&r);
		cr_assert_eq(whm_req(&w, "GET", "/mailboxes/1001", &s, NULL, NULL, &r), 403);
		web_response_clear(&r);
		cr_assert_eq(whm_post(&w, "/mailboxes/1001/unlock", &s, "pin=" PIN, &r), 403);
		web_response_clear(&r);
	}
	cr_assert_eq(whm_audit_count(&w, "pin_failure", NULL), 0);
}

Test(web_mailbox, malformed_addresses_are_404)
{
	const char *bad[] = {"/mailboxes/abc", "/mailboxes/1001/../1002", "/mailboxes/1001/x/y/z",
			     "/mailboxes/1001/nothex/1.png", "/mailboxes/1001//unlock"};
	struct whm_session s;
	struct web_response r;

	whm_login(&w, "ann", &s);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(whm_req(&w, "GET", bad[i], &s, NULL, NULL, &r), 404, "%s", bad[i]);
		web_response_clear(&r);
	}
}

Test(web_mailbox, unlock_needs_csrf_and_is_not_counted_without_it)
{
	struct whm_session s;
	struct web_response r;

	whm_login(&w, "own", &s);
	cr_assert_eq(whm_req(&w, "POST", "/mailboxes/1001/unlock", &s, "pin=0000", NULL, &r), 403);
	web_response_clear(&r);
	cr_assert_eq(whm_audit_count(&w, "pin_failure", NULL), 0);
}

Test(web_mailbox, three_wrong_pins_lock_with_audit_and_source)
{
	struct whm_session s;
	struct web_response r;
	char body[128];

	whm_login(&w, "own", &s);
	cr_assert_eq(str_format(body, sizeof body, "csrf=%s&pin=0000", s.csrf), 0);
	cr_assert_eq(whm_req(&w, "POST", "/mailboxes/1001/unlock", &s, body, "192.0.2.5", &r),
		     401);
	cr_assert_not_null(strstr(whm_body(&r), "Wrong PIN (1 wrong"));
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "POST", "/mailboxes/1001/unlock", &s, body, "192.0.2.5", &r),
		     401);
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "POST", "/mailboxes/1001/unlock", &s, body, "192.0.2.5", &r),
		     403);
	cr_assert_not_null(strstr(whm_body(&r), "locked after too many wrong PINs until 20"));
	web_response_clear(&r);
	/* the right PIN is refused while locked, and the page says until when */
	cr_assert_eq(str_format(body, sizeof body, "csrf=%s&pin=" PIN, s.csrf), 0);
	cr_assert_eq(whm_req(&w, "POST", "/mailboxes/1001/unlock", &s, body, "192.0.2.5", &r),
		     403);
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", "/mailboxes/1001", &s, NULL, NULL, &r), 403);
	cr_assert_not_null(strstr(whm_body(&r), "(UTC)"));
	web_response_clear(&r);
	cr_assert_eq(whm_audit_count(&w, "pin_failure", NULL), 3);
	cr_assert_eq(whm_audit_count(&w, "lockout", NULL), 1);
	/* the release module's own records name the web user's address too;
	 * the attempt while locked is one more security record */
	cr_assert_eq(whm_audit_count(&w, "pin_failure", "192.0.2.5"), 3);
	cr_assert_eq(whm_audit_count(&w, "lockout", "192.0.2.5"), 1);
	cr_assert_eq(whm_audit_count(&w, "security", "192.0.2.5"), 5);
	cr_assert_eq(whm_audit_count(&w, "security", "wrong PIN; mailbox locked"), 1);
	/* the CLI's counter is the same one: the lock shows there too */
	struct catalog_lockout lo;
	cr_assert_eq(catalog_lockout_get(store_catalog(w.st), "mailbox", "1001", &lo), FGW_OK);
	cr_assert_gt(lo.locked_until_ms, 0);
}

Test(web_mailbox, right_pin_shows_previews_only_to_that_session)
{
	struct whm_session s, other, admin;
	struct web_response r;
	char id[VAULT_ID_LEN + 1], url[160];

	whm_hold(&w, "1001", FAX, id);
	whm_login(&w, "own", &s);
	whm_login(&w, "own", &other);
	whm_login(&w, "ann", &admin);
	unlock(&s, "1001");
	cr_assert_eq(whm_req(&w, "GET", "/mailboxes/1001", &s, NULL, NULL, &r), 200);
	cr_assert_eq(str_format(url, sizeof url, "/mailboxes/1001/%s/8.png", id), 0);
	cr_assert_not_null(strstr(whm_body(&r), url), "one preview per page");
	cr_assert_not_null(strstr(whm_body(&r), "Unlocked in this session until"));
	web_response_clear(&r);
	cr_assert_eq(whm_audit_count(&w, "mailbox_release", NULL), 1, "listing recorded");
	cr_assert_eq(str_format(url, sizeof url, "/mailboxes/1001/%s/1.png", id), 0);
	cr_assert_eq(whm_req(&w, "GET", url, &s, NULL, NULL, &r), 200);
	cr_assert_str_eq(web_response_header(&r, "Content-Type"), "image/png");
	cr_assert_str_eq(web_response_header(&r, "Cache-Control"), "no-store");
	cr_assert_gt(html_len(r.body), 1000);
	cr_assert_eq(memcmp(html_data(r.body), "\x89PNG\r\n\x1a\n", 8), 0);
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", url, &other, NULL, NULL, &r), 403);
	cr_assert_null(web_response_header(&r, "Content-Disposition"));
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", url, &admin, NULL, NULL, &r), 403);
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", url, NULL, NULL, NULL, &r), 303);
	web_response_clear(&r);
	cr_assert_eq(str_format(url, sizeof url, "/mailboxes/1001/%s/9.png", id), 0);
	cr_assert_eq(whm_req(&w, "GET", url, &s, NULL, NULL, &r), 404, "no page 9");
	web_response_clear(&r);
}

Test(web_mailbox, tiff_download_equals_the_stored_fax_and_erases_it)
{
	struct whm_session s;
	struct web_response r;
	char id[VAULT_ID_LEN + 1], url[160], path[256], msg[256];

	whm_hold(&w, "1001", FAX, id);
	whm_login(&w, "own", &s);
	cr_assert_eq(str_format(url, sizeof url, "/mailboxes/1001/%s/download", id), 0);
	cr_assert_eq(whm_post(&w, url, &s, "format=tiff&erase=1", &r), 403, "not unlocked");
	web_response_clear(&r);
	unlock(&s, "1001");
	cr_assert_eq(whm_req(&w, "POST", url, &s, "format=tiff&erase=1", NULL, &r), 403,
		     "no CSRF token");
	web_response_clear(&r);
	cr_assert(doc_exists(id));
	cr_assert_eq(whm_post(&w, url, &s, "format=tiff&erase=1", &r), 200);
	cr_assert_str_eq(web_response_header(&r, "Content-Type"), "image/tiff");
	cr_assert_str_eq(web_response_header(&r, "Cache-Control"), "no-store");
	cr_assert_not_null(strstr(web_response_header(&r, "Content-Disposition"), "attachment"));
	save_body(&r, "out.tif", path, sizeof path);
	web_response_clear(&r);
	cr_assert_eq(tiff_compare(path, testdata(FAX), msg, sizeof msg), 0, "%s", msg);
	cr_assert_not(doc_exists(id), "erased after the download (no retention)");
	cr_assert_eq(whm_audit_count(&w, "mailbox_release", "tiff"), 1);
	cr_assert_eq(whm_audit_count(&w, "mailbox_release", "own"),
		     whm_audit_count(&w, "mailbox_release", NULL),
		     "every release record names the web user");
	cr_assert_eq(count_files("certs", ".json"), 1);
	cr_assert_eq(whm_post(&w, url, &s, "format=tiff&erase=1", &r), 404, "gone");
	web_response_clear(&r);
}

static int pdf_pages(const char *path)
{
	char cmd[400], line[256];
	long long n = -1;
	FILE *f;

	cr_assert_eq(str_format(cmd, sizeof cmd, "pdfinfo '%s' 2>&1", path), 0);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "Pages:", 6) == 0) {
			line[strcspn(line, "\n")] = '\0';
			cr_assert_eq(str_to_int(line + 6 + strspn(line + 6, " "), 0, 9999, &n), 0);
		}
	cr_assert_eq(pclose(f), 0, "pdfinfo failed on %s", path);
	return (int)n;
}

Test(web_mailbox, pdf_download_has_every_page_and_keeps_when_unticked)
{
	struct whm_session s;
	struct web_response r;
	char id[VAULT_ID_LEN + 1], url[160], path[256];

	whm_hold(&w, "1001", FAX, id);
	whm_login(&w, "own", &s);
	unlock(&s, "1001");
	cr_assert_eq(str_format(url, sizeof url, "/mailboxes/1001/%s/download", id), 0);
	cr_assert_eq(whm_post(&w, url, &s, "format=gif", &r), 400);
	web_response_clear(&r);
	cr_assert_eq(whm_post(&w, url, &s, "format=pdf", &r), 200);
	cr_assert_str_eq(web_response_header(&r, "Content-Type"), "application/pdf");
	cr_assert_not_null(strstr(web_response_header(&r, "Content-Disposition"), ".pdf\""));
	cr_assert_eq(memcmp(html_data(r.body), "%PDF", 4), 0);
	save_body(&r, "out.pdf", path, sizeof path);
	web_response_clear(&r);
	cr_assert_eq(pdf_pages(path), tiff_pages(testdata(FAX)));
	cr_assert(doc_exists(id), "kept: erase was not ticked");
	cr_assert_eq(whm_audit_count(&w, "security", "released (pdf), kept"), 1);
}

Test(web_mailbox, erase_asks_first_then_erases_with_a_certificate)
{
	struct whm_session s;
	struct web_response r;
	char id[VAULT_ID_LEN + 1], url[160];

	whm_hold(&w, "1001", FAX, id);
	whm_login(&w, "own", &s);
	unlock(&s, "1001");
	cr_assert_eq(str_format(url, sizeof url, "/mailboxes/1001/%s/erase", id), 0);
	cr_assert_eq(whm_req(&w, "GET", url, &s, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "name=\"confirm\" value=\"yes\""));
	web_response_clear(&r);
	cr_assert(doc_exists(id), "showing the confirmation erases nothing");
	cr_assert_eq(whm_post(&w, url, &s, "", &r), 400);
	web_response_clear(&r);
	cr_assert(doc_exists(id));
	cr_assert_eq(whm_post(&w, url, &s, "confirm=yes", &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "Erasure certificate"));
	web_response_clear(&r);
	cr_assert_not(doc_exists(id));
	cr_assert_eq(count_files("certs", ".json"), 1);
	cr_assert_eq(count_files("vault", ""), 0);
	cr_assert_eq(whm_audit_count(&w, "document_erased", NULL), 1);
}

static int count_job(const struct catalog_outjob *job, void *arg)
{
	(void)job;
	(*(int *)arg)++;
	return 0;
}

Test(web_mailbox, print_queues_to_the_device_line)
{
	struct whm_session s;
	struct web_response r;
	struct queue_config qc;
	struct queue *q;
	char id[VAULT_ID_LEN + 1], url[160];
	int jobs = 0;

	whm_hold(&w, "1001", FAX, id);
	whm_login(&w, "own", &s);
	unlock(&s, "1001");
	cr_assert_eq(str_format(url, sizeof url, "/mailboxes/1001/%s/print", id), 0);
	cr_assert_eq(whm_post(&w, url, &s, "erase=1", &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "queued to the office device line as job"));
	web_response_clear(&r);
	queue_config_init(&qc);
	cr_assert_eq(queue_open(w.st, &qc, NULL, NULL, &q), FGW_OK);
	cr_assert_eq(queue_list(q, count_job, &jobs), FGW_OK);
	queue_close(q);
	cr_assert_eq(jobs, 1);
	cr_assert_not(doc_exists(id), "the held fax is erased after printing");
}

Test(web_mailbox, lock_now_and_a_new_session_need_the_pin_again)
{
	struct whm_session s, again;
	struct web_response r;
	char id[VAULT_ID_LEN + 1], url[160];

	whm_hold(&w, "1001", FAX, id);
	whm_login(&w, "own", &s);
	unlock(&s, "1001");
	cr_assert_eq(str_format(url, sizeof url, "/mailboxes/1001/%s/1.png", id), 0);
	cr_assert_eq(whm_req(&w, "GET", url, &s, NULL, NULL, &r), 200);
	web_response_clear(&r);
	cr_assert_eq(whm_post(&w, "/mailboxes/1001/lock", &s, "", &r), 303);
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", url, &s, NULL, NULL, &r), 403);
	web_response_clear(&r);
	unlock(&s, "1001");
	cr_assert_eq(whm_post(&w, "/logout", &s, "", &r), 303);
	web_response_clear(&r);
	whm_login(&w, "own", &again);
	cr_assert_eq(whm_req(&w, "GET", url, &again, NULL, NULL, &r), 403);
	web_response_clear(&r);
}

/* ---- the in-memory table -------------------------------------------------- */

Test(web_mailbox, unlock_table_expires_forgets_and_evicts)
{
	struct unlock_store *u = unlock_store_new();
	char pin[UNLOCK_PIN_MAX + 1], key[8];
	int64_t exp;

	cr_assert_not_null(u);
	cr_assert_eq(unlock_put(u, "s1", "1001", "1234", 1000), FGW_OK);
	cr_assert_eq(unlock_get(u, "s1", "1001", 1000 + UNLOCK_TTL_MS - 1, pin, &exp), FGW_OK);
	cr_assert_str_eq(pin, "1234");
	cr_assert_eq(exp, 1000 + UNLOCK_TTL_MS);
	cr_assert_eq(unlock_get(u, "s2", "1001", 1000, pin, NULL), FGW_ERR_NOT_FOUND);
	cr_assert_eq(unlock_get(u, "s1", "1002", 1000, pin, NULL), FGW_ERR_NOT_FOUND);
	cr_assert_eq(unlock_get(u, "s1", "1001", 1000 + UNLOCK_TTL_MS, pin, NULL),
		     FGW_ERR_NOT_FOUND, "expired");
	cr_assert_eq(unlock_count(u), 0, "an expired entry is wiped when met");
	cr_assert_eq(unlock_put(u, "s1", "1001", "1234", 0), FGW_OK);
	cr_assert_eq(unlock_put(u, "s1", "1002", "5678", 0), FGW_OK);
	cr_assert_eq(unlock_put(u, "s2", "1001", "1234", 0), FGW_OK);
	unlock_forget(u, "s1", NULL);
	cr_assert_eq(unlock_count(u), 1, "logout forgets every mailbox of that session");
	unlock_sweep(u, UNLOCK_TTL_MS);
	cr_assert_eq(unlock_count(u), 0);
	for (int i = 0; i < UNLOCK_MAX + 5; i++) {
		cr_assert_eq(str_format(key, sizeof key, "k%d", i), 0);
		cr_assert_eq(unlock_put(u, key, "1001", "1234", i), FGW_OK);
	}
	cr_assert_eq(unlock_count(u), UNLOCK_MAX);
	cr_assert_eq(unlock_get(u, "k0", "1001", 10, pin, NULL), FGW_ERR_NOT_FOUND, "evicted");
	cr_assert_eq(unlock_put(u, "s", "1001", "12345678901234567", 0), FGW_ERR_INVALID);
	unlock_store_free(u);
}
