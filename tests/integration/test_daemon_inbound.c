/* The inbound and release path end to end, with faxgwd really running and
 * only the faxgw CLI used as a user would: a confidential mailbox, a fax
 * sent to its F-code, the PIN lockout, the release as TIFF and PDF, the
 * erasure and the audit trail; and the refusals (wrong F-code password,
 * unknown F-code) and the general inbox. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/str.h"
#include "storage/store.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/fax_harness.h"

#define MAILBOX "1234"
#define PIN "482916"
#define WRONG_PIN "111111"
#define PASSWORD "s3cret-F"
#define EIGHT_PAGES "itu/itutests_mmr.tif"

static struct dh *h;
static struct dh_result r;

static void setup(void)
{
	h = dh_new();
	dh_start(h);
}

static void teardown(void)
{
	dh_free(h);
	h = NULL;
}

TestSuite(daemon_inbound, .init = setup, .fini = teardown, .timeout = 240);

/* ---- helpers --------------------------------------------------------------- */

static void create_mailbox(void)
{
	cr_assert_eq(dh_cli(h, PIN "\n" PASSWORD "\n", true, &r, "mailbox", "create", MAILBOX,
			    "--name", "Legal", "--owner", "alice", "--pin-stdin",
			    "--password-stdin", "--config", dh_config_path(h), NULL),
		     0, "%s%s", r.out, r.err);
}

/* faxgw simulate incoming with the ITU 8-page G4 test fax; extra options
 * (NULL-terminated, at most 6). Returns the exit status. */
static int send_fax(const char *a1, const char *a2, const char *a3, const char *a4)
{
	const char *args[] = {"simulate", "incoming", "--file", testdata(EIGHT_PAGES),
			      a1, a2, a3, a4, NULL};

	return dh_cliv(h, NULL, true, &r, args);
}

/* Runs a SQL query returning one integer on DATA/catalog.db. */
static long long query_int(const char *sql, const char *arg)
{
	char path[256];
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	cr_assert_eq(str_format(path, sizeof path, "%s/%s", dh_data(h), STORE_CATALOG_FILE), 0);
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_busy_timeout(db, 5000), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s",
		     sqlite3_errmsg(db));
	if (arg != NULL)
		cr_assert_eq(sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT), SQLITE_OK);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		cr_assert_eq(rc, SQLITE_DONE, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	cr_assert_eq(sqlite3_close(db), SQLITE_OK);
	return v;
}

static long long documents_in(const char *mailbox)
{
	if (mailbox == NULL)
		return query_int("SELECT count(*) FROM documents WHERE mailbox IS NULL", NULL);
	return query_int("SELECT count(*) FROM documents WHERE mailbox = ?1", mailbox);
}

/* Copies the value of "key":"..." after p into out; NULL when absent. */
static const char *json_str(const char *p, const char *key, char *out, size_t size)
{
	char pat[64];

	cr_assert_eq(str_format(pat, sizeof pat, "\"%s\":\"", key), 0);
	const char *s = strstr(p, pat);
	if (s == NULL)
		return NULL;
	s += strlen(pat);
	size_t n = strcspn(s, "\"");
	cr_assert_lt(n, size);
	memcpy(out, s, n);
	out[n] = '\0';
	return s + n;
}

/* The audit log's record types, space-separated, keeping only those in
 * the space-separated list keep (NULL: all). */
static void audit_types(const char *keep, char *out, size_t size)
{
	static struct dh_result log;
	char type[64], word[70];

	cr_assert_eq(dh_cli(h, NULL, true, &log, "log", "show", "--json", NULL), 0, "%s",
		     log.err);
	out[0] = '\0';
	for (const char *p = log.out; (p = json_str(p, "type", type, sizeof type)) != NULL;) {
		p = strchr(p, '\n');
		cr_assert_eq(str_format(word, sizeof word, " %s ", type), 0);
		if (keep == NULL || strstr(keep, word) != NULL) {
			size_t n = strlen(out);
			cr_assert_eq(str_format(out + n, size - n, "%s ", type), 0);
		}
		if (p == NULL)
			break;
	}
}

/* The whole JSON record (one line) of the last record of type. */
static void last_record(const char *type, char *out, size_t size)
{
	static struct dh_result log;
	char pat[64];
	const char *hit = NULL;

	cr_assert_eq(dh_cli(h, NULL, true, &log, "log", "show", "--json", "--type", type, NULL),
		     0, "%s", log.err);
	cr_assert_eq(str_format(pat, sizeof pat, "\"type\":\"%s\"", type), 0);
	for (const char *p = log.out; (p = strstr(p, pat)) != NULL; p++)
		hit = p;
	cr_assert_not_null(hit, "no %s record in:\n%s", type, log.out);
	while (hit > log.out && hit[-1] != '\n')
		hit--;
	size_t n = strcspn(hit, "\n");
	cr_assert_lt(n, size);
	memcpy(out, hit, n);
	out[n] = '\0';
}

static int release_list(const char *pin)
{
	char in[32];

	cr_assert_eq(str_format(in, sizeof in, "%s\n", pin), 0);
	return dh_cli(h, in, true, &r, "release", MAILBOX, "--list", "--pin-stdin", "--json",
		      "--config", dh_config_path(h), NULL);
}

/* Releases every held fax as format into a fresh folder; *id gets the
 * (single) document's id and path its file. */
static void release_all(const char *format, const char *outname, char id[64], char path[512])
{
	const char *out = dh_mkdir(h, outname);
	char dirbuf[192];

	cr_assert_eq(str_copy(dirbuf, sizeof dirbuf, out), 0);
	cr_assert_eq(dh_cli(h, PIN "\n", true, &r, "release", MAILBOX, "--all", "--format",
			    format, "--out", dirbuf, "--pin-stdin", "--json", "--config",
			    dh_config_path(h), NULL),
		     0, "%s%s", r.out, r.err);
	cr_assert_not_null(json_str(r.out, "id", id, 64), "%s", r.out);
	cr_assert_not_null(json_str(r.out, "file", path, 512), "%s", r.out);
}

/* ---- the confidential path ------------------------------------------------- */

Test(daemon_inbound, fcode_fax_lockout_release_tiff_and_erase)
{
	char id[64], path[512], listed[64], cert[512], types[2048];

	create_mailbox();
	cr_assert_eq(send_fax("--sub", MAILBOX, "--sid", PASSWORD), 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "in mailbox " MAILBOX) != NULL, "%s", r.out);
	cr_assert_eq(documents_in(MAILBOX), 1);
	cr_assert_eq(documents_in(NULL), 0);

	/* Three wrong PINs lock the mailbox... */
	for (int i = 1; i <= 3; i++) {
		cr_assert_eq(release_list(WRONG_PIN), 1, "attempt %d: %s%s", i, r.out, r.err);
		cr_assert(strstr(r.err, "wrong PIN") != NULL, "%s", r.err);
	}
	cr_assert(strstr(r.err, "is locked after 3 wrong PINs") != NULL, "%s", r.err);
	/* ...so that even the right one is refused now. */
	cr_assert_eq(release_list(PIN), 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "is locked") != NULL, "%s", r.err);
	cr_assert(strstr(r.out, "\"id\"") == NULL, "%s", r.out);

	/* Time passing, without waiting: the test owns this data directory, so
	 * it moves the lock's end into the past in its own catalog. This
	 * stands in for the lock time (15 minutes in the embedded config)
	 * running out; the gateway offers no way to do it. */
	cr_assert_eq(query_int("UPDATE lockouts SET locked_until_ms = 1 WHERE scope = 'mailbox' "
			       "AND key = ?1 RETURNING failures", MAILBOX), 3);

	cr_assert_eq(release_list(PIN), 0, "%s%s", r.out, r.err);
	cr_assert_not_null(json_str(r.out, "id", listed, sizeof listed), "%s", r.out);
	cr_assert(strstr(r.out, "\"pages\":8") != NULL, "%s", r.out);

	release_all("tiff", "out", id, path);
	cr_assert_str_eq(id, listed);
	cr_assert(strstr(r.out, "\"disposal\":\"erased\"") != NULL, "%s", r.out);
	char msg[256];
	cr_assert_eq(tiff_compare(testdata(EIGHT_PAGES), path, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(tiff_pages(path), 8);

	/* Erased: no catalog row, a certificate, the log still verifies. */
	cr_assert_eq(query_int("SELECT count(*) FROM documents WHERE id = ?1", id), 0);
	cr_assert_not_null(json_str(r.out, "certificate", cert, sizeof cert), "%s", r.out);
	cr_assert_eq(access(cert, R_OK), 0, "certificate %s", cert);
	cr_assert_eq(dh_cli(h, NULL, true, &r, "log", "verify", NULL), 0, "%s%s", r.out, r.err);

	audit_types(" fax_received fax_failed pin_failure lockout mailbox_release "
		    "document_erased ", types, sizeof types);
	cr_assert_str_eq(types, "fax_received pin_failure pin_failure pin_failure lockout "
				"mailbox_release mailbox_release document_erased ");

	/* The record keeps the line time of the call (8 charts at 14400 bit/s
	 * take well over a minute of line), not how fast the simulation ran. */
	static char rec[4096];
	const char *d;
	long long ms = 0;
	last_record("fax_received", rec, sizeof rec);
	d = strstr(rec, "\"duration_ms\":");
	cr_assert_not_null(d, "%s", rec);
	ms = strtoll(d + 14, NULL, 10);
	cr_assert_gt(ms, 60000, "%s", rec);
	cr_assert(strstr(rec, "\"bit_rate\":14400") != NULL, "%s", rec);
	cr_assert_eq(dh_stop(h), 0);
}

Test(daemon_inbound, pdf_release_renders_eight_pages)
{
	char id[64], path[512], cmd[700], out[4096];

	create_mailbox();
	cr_assert_eq(send_fax("--sub", MAILBOX, "--sid", PASSWORD), 0, "%s%s", r.out, r.err);
	release_all("pdf", "pdf", id, path);
	cr_assert(strstr(path, ".pdf") != NULL, "%s", path);
	cr_assert_eq(str_format(cmd, sizeof cmd, "pdfinfo '%s' 2>&1", path), 0);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	cr_assert_eq(pclose(p), 0, "%s", out);
	cr_assert(strstr(out, "Pages:           8\n") != NULL, "%s", out);
	cr_assert_eq(documents_in(MAILBOX), 0);
}

/* ---- refusals and the general inbox ---------------------------------------- */

Test(daemon_inbound, wrong_fcode_password_rejected_nothing_stored)
{
	char rec[4096];

	create_mailbox();
	cr_assert_eq(send_fax("--sub", MAILBOX, "--sid", "not-it"), 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "rejected: password unacceptable") != NULL, "%s", r.err);
	cr_assert_eq(query_int("SELECT count(*) FROM documents", NULL), 0);
	last_record("fax_failed", rec, sizeof rec);
	cr_assert(strstr(rec, "\"result\":\"rejected") != NULL, "%s", rec);
	cr_assert(strstr(rec, "not-it") == NULL, "the password must not be logged: %s", rec);
	/* No password at all is refused the same way. */
	cr_assert_eq(send_fax("--sub", MAILBOX, NULL, NULL), 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "rejected: password unacceptable") != NULL, "%s", r.err);
	cr_assert_eq(query_int("SELECT count(*) FROM documents", NULL), 0);
}

Test(daemon_inbound, unknown_fcode_rejected)
{
	char rec[4096];

	create_mailbox();
	cr_assert_eq(send_fax("--sub", "9876", "--sid", PASSWORD), 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "rejected: SUB unacceptable") != NULL, "%s", r.err);
	cr_assert_eq(query_int("SELECT count(*) FROM documents", NULL), 0);
	last_record("fax_failed", rec, sizeof rec);
	cr_assert(strstr(rec, "\"result\":\"rejected") != NULL, "%s", rec);
}

Test(daemon_inbound, no_fcode_goes_to_general_inbox)
{
	create_mailbox();
	cr_assert_eq(send_fax("--from", "0312345678", NULL, NULL), 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "in the general inbox") != NULL, "%s", r.out);
	cr_assert_eq(documents_in(NULL), 1);
	cr_assert_eq(documents_in(MAILBOX), 0);
	cr_assert_eq(query_int("SELECT pages FROM documents WHERE mailbox IS NULL", NULL), 8);
	/* The mailbox shows nothing held. */
	cr_assert_eq(release_list(PIN), 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "\"id\"") == NULL, "%s", r.out);
}
