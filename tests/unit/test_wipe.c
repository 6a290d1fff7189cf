/* The data directory as a whole: init, mode checks, documents through the
 * store, erase and factory reset that leave no plaintext or key bytes in
 * any file, orphan sweep, retention expiry. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/cert.h"
#include "storage/store.h"

#define MARKER "FAXGW-TEST-PLAINTEXT-MARKER-5e1f"

static char tmpdir[256], data[300], certs[300];
static const struct store_options opts = {.pin_cost = {10, 8, 1}};

static void setup(void)
{
	log_init("test_wipe", true, LOG_LEVEL_ERROR);
	cr_assert_eq(str_copy(tmpdir, sizeof tmpdir, "/tmp/fgw-wipe-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(tmpdir));
	cr_assert_eq(str_format(data, sizeof data, "%s/data", tmpdir), 0);
	cr_assert_eq(str_format(certs, sizeof certs, "%s/certs-out", tmpdir), 0);
	cr_assert_eq(mkdir(certs, 0700), 0);
	cr_assert_eq(store_init(data), 0);
}

static void teardown(void)
{
	char cmd[400];

	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmpdir), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(wipe, .init = setup, .fini = teardown);

static struct store *open_store(void)
{
	struct store *s;

	cr_assert_eq(store_open(data, &opts, &s), 0);
	return s;
}

static void path_in(const char *name, char *out, size_t size)
{
	cr_assert_eq(str_format(out, size, "%s/%s", data, name), 0);
}

/* A page holding the marker many times, so any leak is found. */
static void marker_page(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)MARKER[i % (sizeof MARKER - 1)];
}

static void write_doc(struct store *s, const char *mailbox, size_t pages, char id[VAULT_ID_LEN + 1])
{
	struct catalog_document meta = {.direction = CATALOG_DIR_IN};
	struct store_doc *d;
	static uint8_t page[100000];

	marker_page(page, sizeof page);
	cr_assert_eq(str_copy(meta.mailbox, sizeof meta.mailbox, mailbox), 0);
	cr_assert_eq(store_doc_create(s, &meta, &d), 0);
	for (size_t i = 0; i < pages; i++)
		cr_assert_eq(store_doc_add_page(d, page, sizeof page), 0);
	cr_assert_eq(store_doc_commit(d, id), 0);
}

static void add_mailbox(struct store *s, const char *number, const char *pin, uint32_t days)
{
	struct catalog_mailbox mb = {.retention_days = days};

	cr_assert_eq(str_copy(mb.number, sizeof mb.number, number), 0);
	cr_assert_eq(str_copy(mb.name, sizeof mb.name, "legal"), 0);
	cr_assert_eq(store_mailbox_seal(s, &mb, pin), 0);
	cr_assert_eq(catalog_mailbox_create(store_catalog(s), &mb), 0);
}

/* The document key and wrapped key bytes, as an attacker would look for
 * them (test hook: unwrap with the store's own keys). */
static void capture_keys(struct store *s, const char *id, uint8_t key[KEYS_LEN],
			 uint8_t wrapped[KEYS_WRAP_LEN])
{
	struct catalog_document row;
	uint8_t raw[KEYS_DOC_ID_LEN];

	cr_assert_eq(catalog_document_get(store_catalog(s), id, &row), 0);
	cr_assert_eq(row.wrapped_key_len, KEYS_WRAP_LEN);
	memcpy(wrapped, row.wrapped_key, KEYS_WRAP_LEN);
	cr_assert_eq(vault_parse_id(id, raw), 0);
	cr_assert_eq(keys_unwrap(store_keys(s), NULL, NULL, NULL, 0, raw, row.wrapped_key,
				 row.wrapped_key_len, key), 0);
}

/* ---- scanning every byte of every file ---------------------------------- */

struct needle {
	const void *bytes;
	size_t len;
	int hits;
};
static struct needle *scan_needles;
static size_t scan_count;
static int scan_files;

static int scan_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	FILE *f;
	uint8_t *buf;

	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	scan_files++;
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	buf = malloc((size_t)st->st_size + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)st->st_size, f), (size_t)st->st_size);
	fclose(f);
	for (size_t i = 0; i < scan_count; i++)
		if (memmem(buf, (size_t)st->st_size, scan_needles[i].bytes, scan_needles[i].len))
			scan_needles[i].hits++;
	free(buf);
	return 0;
}

static int scan(const char *dir, struct needle *needles, size_t n)
{
	scan_needles = needles;
	scan_count = n;
	scan_files = 0;
	for (size_t i = 0; i < n; i++)
		needles[i].hits = 0;
	cr_assert_eq(nftw(dir, scan_one, 16, FTW_PHYS), 0);
	return scan_files;
}

/* ---- init and opening --------------------------------------------------- */

Test(wipe, init_makes_owner_only_device)
{
	char path[400];
	struct stat st;

	cr_assert_eq(stat(data, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	path_in(KEYS_MASTER_FILE, path, sizeof path);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	path_in(STORE_CATALOG_FILE, path, sizeof path);
	cr_assert_eq(stat(path, &st), 0);
	path_in(STORE_AUDIT_FILE, path, sizeof path);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(store_init(data), FGW_ERR_EXISTS);
}

Test(wipe, open_refuses_loose_key_mode)
{
	char path[400];
	struct store *s = NULL;

	path_in(KEYS_MASTER_FILE, path, sizeof path);
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_eq(store_open(data, &opts, &s), FGW_ERR_PERMISSION);
	cr_assert_null(s);
}

Test(wipe, open_refuses_loose_directory_mode)
{
	struct store *s = NULL;

	cr_assert_eq(chmod(data, 0750), 0);
	cr_assert_eq(store_open(data, &opts, &s), FGW_ERR_PERMISSION);
}

Test(wipe, open_reports_missing_device)
{
	char path[400];
	struct store *s = NULL;

	cr_assert_eq(str_format(path, sizeof path, "%s/none", tmpdir), 0);
	cr_assert_eq(store_open(path, &opts, &s), FGW_ERR_NOT_FOUND);
}

/* ---- documents ---------------------------------------------------------- */

static void expect_marker_pages(struct vault_reader *r, size_t pages)
{
	static uint8_t page[100000], back[100000];
	uint64_t len;
	size_t got, n = 0;

	marker_page(page, sizeof page);
	while (vault_reader_next_page(r, &len) == 1) {
		cr_assert_eq(len, sizeof page);
		cr_assert_eq(vault_reader_read(r, back, sizeof back, &got), 0);
		cr_assert_eq(got, sizeof back);
		cr_assert_eq(memcmp(back, page, sizeof page), 0);
		n++;
	}
	cr_assert_eq(n, pages);
}

Test(wipe, inbox_document_round_trip)
{
	struct store *s = open_store();
	struct vault_reader *r;
	struct catalog_document row;
	char id[VAULT_ID_LEN + 1];

	write_doc(s, "", 3, id);
	cr_assert_eq(catalog_document_get(store_catalog(s), id, &row), 0);
	cr_assert_eq(row.pages, 3);
	cr_assert_eq(row.size_bytes, 300000);
	cr_assert_eq(row.state, CATALOG_DOC_HELD);
	cr_assert_eq(store_doc_open(s, id, NULL, &r), 0);
	expect_marker_pages(r, 3);
	vault_reader_close(r);
	cr_assert_eq(store_close(s), 0);
}

Test(wipe, mailbox_document_needs_pin)
{
	struct store *s = open_store();
	struct vault_reader *r = NULL;
	char id[VAULT_ID_LEN + 1];

	add_mailbox(s, "1234", "4711", 0);
	write_doc(s, "1234", 1, id);
	cr_assert_eq(store_doc_open(s, id, "0000", &r), FGW_ERR_BAD_PIN);
	cr_assert_null(r);
	cr_assert_eq(store_doc_open(s, id, NULL, &r), FGW_ERR_INVALID);
	cr_assert_eq(store_mailbox_check_pin(s, "1234", "0000"), FGW_ERR_BAD_PIN);
	cr_assert_eq(store_mailbox_check_pin(s, "1234", "4711"), 0);
	cr_assert_eq(store_doc_open(s, id, "4711", &r), 0);
	expect_marker_pages(r, 1);
	vault_reader_close(r);
	cr_assert_eq(store_mailbox_change_pin(s, "1234", "4711", "9876"), 0);
	cr_assert_eq(store_doc_open(s, id, "4711", &r), FGW_ERR_BAD_PIN);
	cr_assert_eq(store_doc_open(s, id, "9876", &r), 0);
	vault_reader_close(r);
	cr_assert_eq(store_close(s), 0);
}

Test(wipe, document_for_unknown_mailbox_is_refused)
{
	struct store *s = open_store();
	struct catalog_document meta = {.direction = CATALOG_DIR_IN};
	struct store_doc *d = NULL;

	cr_assert_eq(str_copy(meta.mailbox, sizeof meta.mailbox, "555"), 0);
	cr_assert_eq(store_doc_create(s, &meta, &d), FGW_ERR_NOT_FOUND);
	cr_assert_null(d);
	cr_assert_eq(store_close(s), 0);
}

/* ---- erase -------------------------------------------------------------- */

Test(wipe, erase_leaves_no_plaintext_or_key_bytes)
{
	struct store *s = open_store();
	struct store_erase_report rep;
	struct vault_reader *r;
	uint8_t key[KEYS_LEN], wrapped[KEYS_WRAP_LEN];
	char id[VAULT_ID_LEN + 1], keep[VAULT_ID_LEN + 1], pub[400], why[CERT_WHY_MAX];
	struct needle n[] = {{MARKER, sizeof MARKER - 1, 0}, {key, sizeof key, 0},
			     {wrapped + 56, KEYS_WRAP_LEN - 56, 0}, {id, VAULT_ID_LEN, 0}};

	write_doc(s, "", 2, id);
	write_doc(s, "", 1, keep);
	capture_keys(s, id, key, wrapped);
	scan(data, n, 3);
	cr_assert_eq(n[0].hits, 0, "plaintext reached the disk");
	cr_assert_eq(n[1].hits, 0, "a document key reached the disk");
	cr_assert_gt(n[2].hits, 0, "the scan should see the wrapped key before the erase");
	cr_assert_eq(store_doc_erase(s, id, certs, &rep), 0);
	cr_assert_eq(rep.documents, 1);
	cr_assert_gt(rep.bytes_overwritten, 200000);
	cr_assert_gt(scan(data, n, 3), 3);
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(n[i].hits, 0, "needle %zu still on disk after erase", i);
	cr_assert_eq(store_doc_open(s, id, NULL, &r), FGW_ERR_NOT_FOUND);
	cr_assert_eq(store_doc_erase(s, id, certs, NULL), FGW_ERR_NOT_FOUND);
	cr_assert_eq(store_doc_open(s, keep, NULL, &r), 0, "other documents stay");
	vault_reader_close(r);
	path_in(KEYS_PUBLIC_FILE, pub, sizeof pub);
	cr_assert_eq(cert_verify_files(rep.cert_path, pub, why, sizeof why), 0, "%s", why);
	cr_assert_eq(store_close(s), 0);
}

Test(wipe, erase_without_cert_dir_writes_into_data_certs)
{
	struct store *s = open_store();
	struct store_erase_report rep;
	char id[VAULT_ID_LEN + 1], prefix[400];

	write_doc(s, "", 1, id);
	cr_assert_eq(store_doc_erase(s, id, NULL, &rep), 0);
	cr_assert_eq(str_format(prefix, sizeof prefix, "%s/%s/erasure-", data, STORE_CERT_DIR), 0);
	cr_assert_eq(strncmp(rep.cert_path, prefix, strlen(prefix)), 0, "%s", rep.cert_path);
	cr_assert_eq(store_close(s), 0);
}

/* ---- factory reset ------------------------------------------------------ */

static void read_master(uint8_t master[KEYS_LEN])
{
	char path[400];
	int fd;

	path_in(KEYS_MASTER_FILE, path, sizeof path);
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(read(fd, master, KEYS_LEN), KEYS_LEN);
	close(fd);
}

static void find_cert(char *json, size_t size, char *pub, size_t pub_size)
{
	DIR *d = opendir(certs);
	struct dirent *e;
	int found = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0) {
			cr_assert_eq(str_format(json, size, "%s/%s", certs, e->d_name), 0);
			cr_assert_eq(str_format(pub, pub_size, "%s/%.*s.pub.pem", certs,
						(int)n - 5, e->d_name), 0);
			found++;
		}
	}
	closedir(d);
	cr_assert_eq(found, 1);
}

Test(wipe, wipe_all_leaves_nothing_and_signs_certificate)
{
	struct store *s = open_store();
	struct store_erase_report rep;
	struct wipe_tally t;
	uint8_t master[KEYS_LEN], key[KEYS_LEN], wrapped[KEYS_WRAP_LEN];
	char id[VAULT_ID_LEN + 1], mid[VAULT_ID_LEN + 1], json[4300], pub[4300];
	char why[CERT_WHY_MAX];
	struct needle n[] = {{MARKER, sizeof MARKER - 1, 0}, {key, sizeof key, 0},
			     {wrapped + 56, KEYS_WRAP_LEN - 56, 0}, {master, sizeof master, 0}};

	add_mailbox(s, "77", "2468", 0);
	write_doc(s, "", 2, id);
	write_doc(s, "77", 1, mid);
	capture_keys(s, id, key, wrapped);
	cr_assert_eq(store_close(s), 0);
	read_master(master);
	cr_assert_eq(store_wipe_all(data, certs, &rep, &t), 0);
	cr_assert_eq(rep.documents, 2);
	cr_assert_geq(t.files, 7);
	cr_assert_eq(scan(data, n, 4), 0, "no file may remain in the data directory");
	find_cert(json, sizeof json, pub, sizeof pub);
	cr_assert_str_eq(json, rep.cert_path);
	cr_assert_eq(cert_verify_files(json, pub, why, sizeof why), 0, "%s", why);
	cr_assert_eq(store_open(data, &opts, &s), FGW_ERR_NOT_FOUND);
	cr_assert_eq(store_init(data), 0, "a new device is made only by init");
}

Test(wipe, wipe_all_refuses_cert_dir_inside_data)
{
	char inside[400], path[400];
	struct stat st;

	path_in(STORE_CERT_DIR, inside, sizeof inside);
	cr_assert_eq(store_wipe_all(data, inside, NULL, NULL), FGW_ERR_INVALID);
	path_in(KEYS_MASTER_FILE, path, sizeof path);
	cr_assert_eq(stat(path, &st), 0, "nothing destroyed");
}

/* ---- orphan sweep ------------------------------------------------------- */

struct orphan_log {
	int temporary, no_row;
};

static int count_orphans(const struct audit_record *rec, void *arg)
{
	struct orphan_log *o = arg;

	if (strcmp(rec->type, audit_event_name(AUDIT_DOCUMENT_ERASED)) != 0)
		return 0;
	for (size_t i = 0; i < rec->nfields; i++) {
		if (strcmp(rec->fields[i].key, "reason") != 0)
			continue;
		o->temporary += strcmp(rec->fields[i].value, "orphan_temporary") == 0;
		o->no_row += strcmp(rec->fields[i].value, "orphan_no_catalog_row") == 0;
	}
	return 0;
}

Test(wipe, orphan_sweep_wipes_and_records)
{
	struct store *s = open_store();
	struct vault_writer *w;
	struct vault_reader *r;
	struct orphan_log log = {0};
	uint8_t key[KEYS_LEN], kid[KEYS_KEY_ID_LEN];
	char kept[VAULT_ID_LEN + 1], lost[VAULT_ID_LEN + 1], tmp[VAULT_ID_LEN + 1];
	char path[600], audit[400];
	struct stat st;
	int fd;

	write_doc(s, "", 1, kept);
	/* a blob whose catalog commit never happened */
	cr_assert_eq(keys_new_doc_key(key, kid), 0);
	cr_assert_eq(vault_new_id(lost), 0);
	cr_assert_eq(vault_writer_open(store_vault(s), lost, key, kid, &w), 0);
	cr_assert_eq(vault_writer_add_page(w, "x", 1), 0);
	cr_assert_eq(vault_writer_finish(w, NULL), 0);
	/* a temporary blob from a write cut short */
	cr_assert_eq(vault_new_id(tmp), 0);
	cr_assert_eq(str_format(path, sizeof path, "%s/%s/%s%s%s", data, STORE_VAULT_DIR,
				VAULT_TMP_PREFIX, tmp, VAULT_SUFFIX), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "partial", 7), 7);
	close(fd);
	cr_assert_eq(store_close(s), 0);

	s = open_store();
	cr_assert_eq(store_orphans_swept(s), 2);
	cr_assert_neq(stat(path, &st), 0);
	cr_assert_eq(str_format(path, sizeof path, "%s/%s/%s%s", data, STORE_VAULT_DIR, lost,
				VAULT_SUFFIX), 0);
	cr_assert_neq(stat(path, &st), 0);
	cr_assert_eq(store_doc_open(s, kept, NULL, &r), 0);
	vault_reader_close(r);
	cr_assert_eq(store_close(s), 0);
	path_in(STORE_AUDIT_FILE, audit, sizeof audit);
	cr_assert_eq(audit_read_file(audit, count_orphans, &log, NULL), 0);
	cr_assert_eq(log.temporary, 1);
	cr_assert_eq(log.no_row, 1);
}

/* ---- retention ---------------------------------------------------------- */

Test(wipe, expire_erases_only_documents_past_retention)
{
	struct store *s = open_store();
	struct store_erase_report rep;
	struct catalog_document meta = {.direction = CATALOG_DIR_IN};
	struct store_doc *d;
	struct vault_reader *r;
	char old[VAULT_ID_LEN + 1], fresh[VAULT_ID_LEN + 1], forever[VAULT_ID_LEN + 1];
	int64_t now = store_now_ms();

	add_mailbox(s, "10", "1357", 7);
	cr_assert_eq(str_copy(meta.mailbox, sizeof meta.mailbox, "10"), 0);
	meta.created_ms = now - 8 * 24 * 3600 * 1000ll;
	cr_assert_eq(store_doc_create(s, &meta, &d), 0);
	cr_assert_eq(store_doc_add_page(d, "old", 3), 0);
	cr_assert_eq(store_doc_commit(d, old), 0);
	write_doc(s, "10", 1, fresh);
	meta.mailbox[0] = '\0'; /* inbox: retention 0 = keep */
	cr_assert_eq(store_doc_create(s, &meta, &d), 0);
	cr_assert_eq(store_doc_commit(d, forever), 0);
	cr_assert_eq(store_expire(s, now, &rep), 0);
	cr_assert_eq(rep.documents, 1);
	cr_assert_neq(rep.cert_path[0], '\0');
	cr_assert_eq(store_doc_open(s, old, "1357", &r), FGW_ERR_NOT_FOUND);
	cr_assert_eq(store_doc_open(s, fresh, "1357", &r), 0);
	vault_reader_close(r);
	cr_assert_eq(store_doc_open(s, forever, NULL, &r), 0);
	vault_reader_close(r);
	cr_assert_eq(store_expire(s, now, &rep), 0);
	cr_assert_eq(rep.documents, 0);
	cr_assert_eq(store_close(s), 0);
}
