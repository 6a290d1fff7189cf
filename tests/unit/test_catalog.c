/* The catalog: schema migrations, file mode, constraints, transactions,
 * secure deletion and the typed row functions. */
#include <criterion/criterion.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/catalog.h"

static char tmpdir[256], dbpath[300];
static struct catalog *cat;

static void setup(void)
{
	log_init("test_catalog", true, LOG_LEVEL_ERROR);
	cr_assert_eq(str_copy(tmpdir, sizeof tmpdir, "/tmp/fgw-catalog-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(tmpdir));
	cr_assert_eq(str_format(dbpath, sizeof dbpath, "%s/catalog.db", tmpdir), 0);
	cr_assert_eq(catalog_open(dbpath, &cat), 0);
}

static void teardown(void)
{
	char cmd[400];

	catalog_close(cat);
	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmpdir), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(catalog, .init = setup, .fini = teardown);

static struct catalog_mailbox mailbox(const char *number)
{
	struct catalog_mailbox mb = { .retention_days = 30, .created_ms = 1000,
				      .pin_verifier_len = 4, .pin_params_len = 2 };

	cr_assert_eq(str_copy(mb.number, sizeof mb.number, number), 0);
	cr_assert_eq(str_copy(mb.name, sizeof mb.name, "Legal"), 0);
	memcpy(mb.pin_verifier, "\x01\x02\x00\x04", 4);
	memcpy(mb.pin_params, "\x0f\x08", 2);
	return mb;
}

static struct catalog_document document(const char *id, const char *mb, int64_t t)
{
	struct catalog_document d = { .direction = CATALOG_DIR_IN, .pages = 2,
				      .created_ms = t, .updated_ms = t,
				      .state = CATALOG_DOC_HELD, .wrapped_key_len = 40,
				      .size_bytes = 12345 };

	cr_assert_eq(str_copy(d.id, sizeof d.id, id), 0);
	cr_assert_eq(str_copy(d.mailbox, sizeof d.mailbox, mb), 0);
	cr_assert_eq(str_copy(d.remote_number, sizeof d.remote_number, "+81355550000"), 0);
	cr_assert_eq(str_copy(d.remote_ident, sizeof d.remote_ident, "ACME"), 0);
	cr_assert_eq(str_copy(d.blob, sizeof d.blob, "x.fgv"), 0);
	cr_assert_eq(str_copy(d.key_id, sizeof d.key_id, "k1"), 0);
	memset(d.wrapped_key, 0xA5, d.wrapped_key_len);
	return d;
}

/* Runs one SQL statement on the file through a separate connection. */
static void raw_sql(const char *sql)
{
	sqlite3 *db;

	cr_assert_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sql);
	cr_assert_eq(sqlite3_close(db), SQLITE_OK);
}

/* ---- open, schema ------------------------------------------------------ */

Test(catalog, empty_file_is_migrated_to_the_current_schema)
{
	cr_assert_eq(catalog_schema_version(cat), CATALOG_SCHEMA_VERSION);
	catalog_close(cat);
	cr_assert_eq(catalog_open(dbpath, &cat), 0);
	cr_assert_eq(catalog_schema_version(cat), CATALOG_SCHEMA_VERSION);
	cr_assert_eq(catalog_integrity_check(cat), 0);
}

Test(catalog, zero_byte_file_is_migrated)
{
	char path[320];
	struct catalog *c2;
	FILE *fp;

	cr_assert_eq(str_format(path, sizeof path, "%s/empty.db", tmpdir), 0);
	fp = fopen(path, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fclose(fp), 0);
	cr_assert_eq(chmod(path, 0600), 0);
	cr_assert_eq(catalog_open(path, &c2), 0);
	cr_assert_eq(catalog_schema_version(c2), CATALOG_SCHEMA_VERSION);
	catalog_close(c2);
}

Test(catalog, newer_schema_is_refused)
{
	struct catalog *c2;

	catalog_close(cat);
	cat = NULL;
	raw_sql("PRAGMA user_version = 99");
	cr_assert_eq(catalog_open(dbpath, &c2), FGW_ERR_VERSION);
}

Test(catalog, new_file_is_owner_only_and_others_readable_is_refused)
{
	struct stat sb;
	struct catalog *c2;

	cr_assert_eq(stat(dbpath, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600);
	catalog_close(cat);
	cat = NULL;
	cr_assert_eq(chmod(dbpath, 0640), 0);
	cr_assert_eq(catalog_open(dbpath, &c2), FGW_ERR_PERMISSION);
}

Test(catalog, wal_mode_is_on)
{
	char path[320];

	cr_assert_eq(str_format(path, sizeof path, "%s-wal", dbpath), 0);
	cr_assert_eq(access(path, F_OK), 0, "WAL file exists while open");
}

/* Counts runs of eight 0xA5 bytes (the test key's filler) in the file. */
static size_t key_bytes_in_file(void)
{
	uint8_t *buf = malloc(1 << 22);
	size_t n, hits = 0;
	FILE *fp = fopen(dbpath, "rb");

	cr_assert_not_null(buf);
	cr_assert_not_null(fp);
	n = fread(buf, 1, 1 << 22, fp);
	fclose(fp);
	cr_assert_gt(n, 0);
	for (size_t i = 0; i + 8 <= n; i++)
		if (memcmp(buf + i, "\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5", 8) == 0)
			hits++;
	free(buf);
	return hits;
}

Test(catalog, secure_delete_overwrites_an_erased_key)
{
	struct catalog_document d = document("doc1", "", 1), keep = document("doc2", "", 2);

	/* A second row keeps the page alive, so only secure_delete (not the
	 * page being freed) can clear the first row's bytes. */
	memset(keep.wrapped_key, 0x11, keep.wrapped_key_len);
	cr_assert_eq(catalog_document_insert(cat, &d), 0);
	cr_assert_eq(catalog_document_insert(cat, &keep), 0);
	cr_assert_eq(catalog_checkpoint(cat), 0);
	cr_assert_gt(key_bytes_in_file(), 0, "the key must first be in the file");
	cr_assert_eq(catalog_document_delete(cat, "doc1"), 0);
	cr_assert_eq(catalog_checkpoint(cat), 0);
	cr_assert_eq(key_bytes_in_file(), 0, "the wrapped key's bytes are still in the file");
}

/* ---- constraints ------------------------------------------------------- */

Test(catalog, document_for_unknown_mailbox_is_denied)
{
	struct catalog_document d = document("doc1", "9999", 1);

	cr_assert_eq(catalog_document_insert(cat, &d), FGW_ERR_DENIED);
}

Test(catalog, mailbox_with_documents_cannot_be_deleted)
{
	struct catalog_mailbox mb = mailbox("1234");
	struct catalog_document d = document("doc1", "1234", 1);

	cr_assert_eq(catalog_mailbox_create(cat, &mb), 0);
	cr_assert_eq(catalog_document_insert(cat, &d), 0);
	cr_assert_eq(catalog_mailbox_delete(cat, "1234"), FGW_ERR_DENIED);
	cr_assert_eq(catalog_document_delete(cat, "doc1"), 0);
	cr_assert_eq(catalog_mailbox_delete(cat, "1234"), 0);
	cr_assert_eq(catalog_mailbox_delete(cat, "1234"), FGW_ERR_NOT_FOUND);
}

Test(catalog, job_needs_its_document_and_goes_with_it)
{
	struct catalog_document d = document("doc1", "", 1);
	struct catalog_job job = { .id = "j1", .document = "nope",
				   .destination = "0312345678", .state = "queued" };
	struct catalog_job got;

	cr_assert_eq(catalog_job_insert(cat, &job), FGW_ERR_DENIED);
	cr_assert_eq(catalog_document_insert(cat, &d), 0);
	cr_assert_eq(str_copy(job.document, sizeof job.document, "doc1"), 0);
	cr_assert_eq(catalog_job_insert(cat, &job), 0);
	cr_assert_eq(catalog_job_get(cat, "j1", &got), 0);
	cr_assert_str_eq(got.destination, "0312345678");
	cr_assert_eq(catalog_document_delete(cat, "doc1"), 0);
	cr_assert_eq(catalog_job_get(cat, "j1", &got), FGW_ERR_NOT_FOUND);
}

Test(catalog, session_needs_its_user)
{
	struct catalog_user u = { .name = "alice", .role = "admin", .verifier_len = 3,
				  .must_change = true };
	struct catalog_session s = { .id = "s1", .user = "bob", .expires_ms = 5 };
	struct catalog_session got;
	struct catalog_user ug;

	cr_assert_eq(catalog_session_insert(cat, &s), FGW_ERR_DENIED);
	cr_assert_eq(catalog_user_insert(cat, &u), 0);
	cr_assert_eq(catalog_user_insert(cat, &u), FGW_ERR_EXISTS);
	cr_assert_eq(catalog_user_get(cat, "alice", &ug), 0);
	cr_assert(ug.must_change);
	cr_assert_str_eq(ug.role, "admin");
	cr_assert_eq(str_copy(s.user, sizeof s.user, "alice"), 0);
	cr_assert_eq(catalog_session_insert(cat, &s), 0);
	cr_assert_eq(catalog_session_get(cat, "s1", &got), 0);
	cr_assert_eq(got.expires_ms, 5);
	cr_assert_eq(catalog_session_delete(cat, "s1"), 0);
	cr_assert_eq(catalog_session_get(cat, "s1", &got), FGW_ERR_NOT_FOUND);
}

Test(catalog, duplicate_mailbox_is_refused)
{
	struct catalog_mailbox mb = mailbox("1234");

	cr_assert_eq(catalog_mailbox_create(cat, &mb), 0);
	cr_assert_eq(catalog_mailbox_create(cat, &mb), FGW_ERR_EXISTS);
}

Test(catalog, empty_mailbox_number_is_refused)
{
	struct catalog_mailbox mb = mailbox("");

	cr_assert_eq(catalog_mailbox_create(cat, &mb), FGW_ERR_INVALID);
}

Test(catalog, oversized_fields_are_refused)
{
	struct catalog_mailbox mb = mailbox("1234");
	struct catalog_document d = document("doc1", "", 1);

	mb.pin_verifier_len = CATALOG_VERIFIER_MAX + 1;
	cr_assert_eq(catalog_mailbox_create(cat, &mb), FGW_ERR_RANGE);
	d.wrapped_key_len = CATALOG_WRAPPED_MAX + 1;
	cr_assert_eq(catalog_document_insert(cat, &d), FGW_ERR_RANGE);
	cr_assert_eq(catalog_document_count(cat, NULL), 0);
}

Test(catalog, out_of_range_state_is_refused_by_the_schema)
{
	struct catalog_document d = document("doc1", "", 1);

	d.state = (enum catalog_doc_state)9;
	cr_assert_eq(catalog_document_insert(cat, &d), FGW_ERR_RANGE);
}

/* ---- transactions ------------------------------------------------------ */

Test(catalog, rollback_leaves_nothing)
{
	struct catalog_mailbox mb = mailbox("1234"), got;
	struct catalog_document d = document("doc1", "1234", 1), dg;

	cr_assert_eq(catalog_begin(cat), 0);
	cr_assert(catalog_in_transaction(cat));
	cr_assert_eq(catalog_begin(cat), FGW_ERR_STATE);
	cr_assert_eq(catalog_mailbox_create(cat, &mb), 0);
	cr_assert_eq(catalog_document_insert(cat, &d), 0);
	cr_assert_eq(catalog_rollback(cat), 0);
	cr_assert(!catalog_in_transaction(cat));
	cr_assert_eq(catalog_mailbox_get(cat, "1234", &got), FGW_ERR_NOT_FOUND);
	cr_assert_eq(catalog_document_get(cat, "doc1", &dg), FGW_ERR_NOT_FOUND);
}

Test(catalog, commit_keeps_everything_across_reopen)
{
	struct catalog_mailbox mb = mailbox("1234"), got;
	struct catalog_document d = document("doc1", "1234", 1), dg;

	cr_assert_eq(catalog_begin(cat), 0);
	cr_assert_eq(catalog_mailbox_create(cat, &mb), 0);
	cr_assert_eq(catalog_document_insert(cat, &d), 0);
	cr_assert_eq(catalog_commit(cat), 0);
	catalog_close(cat);
	cr_assert_eq(catalog_open(dbpath, &cat), 0);
	cr_assert_eq(catalog_mailbox_get(cat, "1234", &got), 0);
	cr_assert_eq(catalog_document_get(cat, "doc1", &dg), 0);
}

Test(catalog, failed_step_inside_a_transaction_can_be_rolled_back)
{
	struct catalog_mailbox mb = mailbox("1234");
	struct catalog_document bad = document("doc1", "nope", 1);

	cr_assert_eq(catalog_begin(cat), 0);
	cr_assert_eq(catalog_mailbox_create(cat, &mb), 0);
	cr_assert_eq(catalog_document_insert(cat, &bad), FGW_ERR_DENIED);
	cr_assert_eq(catalog_rollback(cat), 0);
	cr_assert_eq(catalog_document_count(cat, NULL), 0);
	cr_assert_eq(catalog_mailbox_get(cat, "1234", &mb), FGW_ERR_NOT_FOUND);
}

/* ---- rows -------------------------------------------------------------- */

Test(catalog, mailbox_round_trip_keeps_blobs_with_zero_bytes)
{
	struct catalog_mailbox mb = mailbox("1234"), got;

	mb.pwd_len = 3;
	memcpy(mb.pwd, "p\0w", 3);
	cr_assert_eq(catalog_mailbox_create(cat, &mb), 0);
	cr_assert_eq(catalog_mailbox_get(cat, "1234", &got), 0);
	cr_assert_str_eq(got.name, "Legal");
	cr_assert_eq(got.pin_verifier_len, 4);
	cr_assert_eq(memcmp(got.pin_verifier, "\x01\x02\x00\x04", 4), 0);
	cr_assert_eq(got.pin_params_len, 2);
	cr_assert_eq(got.pwd_len, 3);
	cr_assert_eq(memcmp(got.pwd, "p\0w", 3), 0);
	cr_assert_eq(got.retention_days, 30);
	mb.retention_days = 7;
	cr_assert_eq(catalog_mailbox_update(cat, &mb), 0);
	cr_assert_eq(catalog_mailbox_get(cat, "1234", &got), 0);
	cr_assert_eq(got.retention_days, 7);
	cr_assert_eq(str_copy(mb.number, sizeof mb.number, "5555"), 0);
	cr_assert_eq(catalog_mailbox_update(cat, &mb), FGW_ERR_NOT_FOUND);
}

static int count_mb(const struct catalog_mailbox *mb, void *arg)
{
	char *order = arg;
	size_t n = strlen(order);

	cr_assert_eq(str_format(order + n, 64 - n, "%s,", mb->number), 0);
	return 0;
}

Test(catalog, mailboxes_list_in_number_order)
{
	struct catalog_mailbox a = mailbox("30"), b = mailbox("10"), c = mailbox("20");
	char order[64] = "";

	cr_assert_eq(catalog_mailbox_create(cat, &a), 0);
	cr_assert_eq(catalog_mailbox_create(cat, &b), 0);
	cr_assert_eq(catalog_mailbox_create(cat, &c), 0);
	cr_assert_eq(catalog_mailbox_list(cat, count_mb, order), 0);
	cr_assert_str_eq(order, "10,20,30,");
}

Test(catalog, document_round_trip_and_updates)
{
	struct catalog_document d = document("doc1", "", 5), got;
	uint8_t wrap[100];

	cr_assert_eq(catalog_document_insert(cat, &d), 0);
	cr_assert_eq(catalog_document_insert(cat, &d), FGW_ERR_EXISTS);
	cr_assert_eq(catalog_document_get(cat, "doc1", &got), 0);
	cr_assert_str_eq(got.mailbox, "");
	cr_assert_str_eq(got.remote_ident, "ACME");
	cr_assert_eq(got.pages, 2);
	cr_assert_eq(got.size_bytes, 12345);
	cr_assert_eq(got.wrapped_key_len, 40);
	cr_assert_eq(memcmp(got.wrapped_key, d.wrapped_key, 40), 0);
	cr_assert_eq(catalog_document_set_state(cat, "doc1", CATALOG_DOC_RELEASED, 4, 9), 0);
	memset(wrap, 7, sizeof wrap);
	cr_assert_eq(catalog_document_set_key(cat, "doc1", wrap, sizeof wrap, "k2"), 0);
	cr_assert_eq(catalog_document_get(cat, "doc1", &got), 0);
	cr_assert_eq(got.state, CATALOG_DOC_RELEASED);
	cr_assert_eq(got.pages, 4);
	cr_assert_eq(got.updated_ms, 9);
	cr_assert_eq(got.wrapped_key_len, 100);
	cr_assert_str_eq(got.key_id, "k2");
	cr_assert_eq(catalog_document_set_state(cat, "zz", CATALOG_DOC_SENT, 1, 1),
		     FGW_ERR_NOT_FOUND);
	cr_assert_eq(catalog_document_delete(cat, "doc1"), 0);
	cr_assert_eq(catalog_document_delete(cat, "doc1"), FGW_ERR_NOT_FOUND);
}

struct seen {
	char ids[8][CATALOG_ID_MAX + 1];
	int n;
};

static int collect(const struct catalog_document *d, void *arg)
{
	struct seen *s = arg;

	cr_assert_lt(s->n, 8);
	cr_assert_eq(str_copy(s->ids[s->n++], sizeof s->ids[0], d->id), 0);
	return 0;
}

static int stop_at_first(const struct catalog_document *d, void *arg)
{
	(void)d;
	(void)arg;
	return 42;
}

Test(catalog, documents_list_by_mailbox_oldest_first)
{
	struct catalog_mailbox mb = mailbox("1234");
	struct catalog_document d1 = document("d1", "", 30), d2 = document("d2", "1234", 20),
				d3 = document("d3", "", 10);
	struct seen all = { 0 }, inbox = { 0 }, box = { 0 };

	cr_assert_eq(catalog_mailbox_create(cat, &mb), 0);
	cr_assert_eq(catalog_document_insert(cat, &d1), 0);
	cr_assert_eq(catalog_document_insert(cat, &d2), 0);
	cr_assert_eq(catalog_document_insert(cat, &d3), 0);
	cr_assert_eq(catalog_document_list(cat, NULL, collect, &all), 0);
	cr_assert_eq(all.n, 3);
	cr_assert_str_eq(all.ids[0], "d3");
	cr_assert_str_eq(all.ids[2], "d1");
	cr_assert_eq(catalog_document_list(cat, "", collect, &inbox), 0);
	cr_assert_eq(inbox.n, 2);
	cr_assert_eq(catalog_document_list(cat, "1234", collect, &box), 0);
	cr_assert_eq(box.n, 1);
	cr_assert_str_eq(box.ids[0], "d2");
	cr_assert_eq(catalog_document_list(cat, NULL, stop_at_first, NULL), 42);
	cr_assert_eq(catalog_document_count(cat, NULL), 3);
	cr_assert_eq(catalog_document_count(cat, ""), 2);
	cr_assert_eq(catalog_document_count(cat, "1234"), 1);
}

Test(catalog, lockout_counters)
{
	struct catalog_lockout l = { .failures = 3, .locked_until_ms = 777 }, got;

	cr_assert_eq(catalog_lockout_get(cat, "user", "alice", &got), 0);
	cr_assert_eq(got.failures, 0);
	cr_assert_eq(catalog_lockout_set(cat, "user", "alice", &l), 0);
	l.failures = 4;
	cr_assert_eq(catalog_lockout_set(cat, "user", "alice", &l), 0);
	cr_assert_eq(catalog_lockout_get(cat, "user", "alice", &got), 0);
	cr_assert_eq(got.failures, 4);
	cr_assert_eq(got.locked_until_ms, 777);
	cr_assert_eq(catalog_lockout_get(cat, "addr", "alice", &got), 0);
	cr_assert_eq(got.failures, 0);
	cr_assert_eq(catalog_lockout_clear(cat, "user", "alice"), 0);
	cr_assert_eq(catalog_lockout_get(cat, "user", "alice", &got), 0);
	cr_assert_eq(got.failures, 0);
}

Test(catalog, devices_put_replaces)
{
	struct catalog_device d = { .address = "192.0.2.7", .name = "MFP", .kind = "mfp",
				    .last_seen_ms = 1 }, got;

	cr_assert_eq(catalog_device_put(cat, &d), 0);
	d.last_seen_ms = 2;
	cr_assert_eq(catalog_device_put(cat, &d), 0);
	cr_assert_eq(catalog_device_get(cat, "192.0.2.7", &got), 0);
	cr_assert_eq(got.last_seen_ms, 2);
	cr_assert_str_eq(got.kind, "mfp");
	cr_assert_eq(catalog_device_get(cat, "192.0.2.8", &got), FGW_ERR_NOT_FOUND);
}

Test(catalog, audit_head_only_moves_forward)
{
	struct catalog_audit_head h = { .seq = 0 }, got;

	cr_assert_eq(catalog_audit_head_get(cat, &got), 0);
	cr_assert_eq(got.seq, 0);
	h.seq = 10;
	memset(h.mac, 0x11, sizeof h.mac);
	cr_assert_eq(catalog_audit_head_set(cat, &h), 0);
	h.seq = 5;
	cr_assert_eq(catalog_audit_head_set(cat, &h), FGW_ERR_STATE);
	cr_assert_eq(catalog_audit_head_get(cat, &got), 0);
	cr_assert_eq(got.seq, 10);
	cr_assert_eq(got.mac[0], 0x11);
	cr_assert_eq(catalog_audit_head_reset(cat, &h), 0);
	cr_assert_eq(catalog_audit_head_get(cat, &got), 0);
	cr_assert_eq(got.seq, 5);
}

Test(catalog, lookups_with_overlong_keys_find_nothing)
{
	char key[CATALOG_ID_MAX + 10];
	struct catalog_document d;

	memset(key, 'x', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	cr_assert_eq(catalog_document_get(cat, key, &d), FGW_ERR_NOT_FOUND);
	cr_assert_eq(catalog_document_delete(cat, key), FGW_ERR_NOT_FOUND);
}
