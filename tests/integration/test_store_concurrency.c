/* Several processes on one data directory (faxgwd and the faxgw CLI):
 * audit records appended by two processes at once form one chain; a
 * record forged between two appends is not chained onto; the orphan sweep
 * of a store_open leaves alone a document another process is writing. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/store.h"

#define PER_CHILD 500

static char tmpdir[256], data[300];
static const struct store_options opts = {.pin_cost = {10, 8, 1}};

static void setup(void)
{
	log_init("test_store_concurrency", true, LOG_LEVEL_ERROR);
	cr_assert_eq(str_copy(tmpdir, sizeof tmpdir, "/tmp/fgw-conc-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(tmpdir));
	cr_assert_eq(str_format(data, sizeof data, "%s/data", tmpdir), 0);
	cr_assert_eq(store_init(data), 0);
}

static void teardown(void)
{
	char cmd[400];

	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmpdir), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(concurrency, .init = setup, .fini = teardown, .timeout = 120);

/* ---- two writers of the audit log ----------------------------------- */

/* Child body: its own store, PER_CHILD records, a sync every 16. */
static int append_many(const char *who)
{
	struct store *s;
	int rc = store_open(data, &opts, &s);

	for (int i = 0; rc == FGW_OK && i < PER_CHILD; i++) {
		const struct audit_field f[] = {
			AUDIT_F_STR("who", who),
			AUDIT_F_INT("i", i),
		};

		rc = audit_append(store_audit(s), AUDIT_SECURITY, f, 2, NULL);
		if (rc == FGW_OK && i % 16 == 15)
			rc = audit_sync(store_audit(s), NULL);
	}
	if (store_close(s) != FGW_OK && rc == FGW_OK)
		rc = FGW_ERR_IO;
	return rc == FGW_OK ? 0 : 1;
}

static pid_t spawn_appender(const char *who)
{
	pid_t pid = fork();

	cr_assert_neq(pid, -1);
	if (pid == 0)
		_exit(append_many(who));
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed", (int)pid);
}

struct tally {
	uint64_t last_seq, records;
	int count_a, count_b;
	int next_a, next_b;   /* each child's own order must survive */
	bool increasing;
};

static int count_record(const struct audit_record *rec, void *arg)
{
	struct tally *t = arg;
	const char *who = NULL;
	long long i = -1;

	if (rec->seq <= t->last_seq)
		t->increasing = false;
	t->last_seq = rec->seq;
	t->records++;
	for (size_t k = 0; k < rec->nfields; k++) {
		if (strcmp(rec->fields[k].key, "who") == 0)
			who = rec->fields[k].value;
		else if (strcmp(rec->fields[k].key, "i") == 0 &&
			 str_to_int(rec->fields[k].value, 0, PER_CHILD, &i) != FGW_OK)
			i = -1;
	}
	if (who != NULL && strcmp(who, "a") == 0) {
		t->increasing &= i == t->next_a++;
		t->count_a++;
	} else if (who != NULL && strcmp(who, "b") == 0) {
		t->increasing &= i == t->next_b++;
		t->count_b++;
	}
	return 0;
}

static void verify_log(struct store *s, struct audit_verify_result *res)
{
	struct catalog_audit_head head;
	uint8_t key[KEYS_LEN];
	char path[400];

	cr_assert_eq(str_format(path, sizeof path, "%s/%s", data, STORE_AUDIT_FILE), 0);
	cr_assert_eq(keys_derive(store_keys(s), KEYS_PURPOSE_AUDIT_MAC, key), 0);
	cr_assert_eq(catalog_audit_head_get(store_catalog(s), &head), 0);
	cr_assert_eq(audit_verify_file(path, key, &head, res), 0, "%s", res->detail);
	OPENSSL_cleanse(key, sizeof key);
	cr_assert_eq(head.seq, res->last_seq, "the catalog head is the last record");
}

Test(concurrency, two_processes_append_one_chain)
{
	struct audit_verify_result res;
	struct tally t = {.increasing = true};
	struct store *s;
	char path[400];
	pid_t a = spawn_appender("a"), b = spawn_appender("b");

	reap(a);
	reap(b);
	cr_assert_eq(store_open(data, &opts, &s), 0);
	verify_log(s, &res);
	cr_assert_eq(str_format(path, sizeof path, "%s/%s", data, STORE_AUDIT_FILE), 0);
	cr_assert_eq(audit_read_file(path, count_record, &t, NULL), 0);
	cr_assert(t.increasing, "seq strictly increasing, each child's records in order");
	cr_assert_eq(t.count_a, PER_CHILD);
	cr_assert_eq(t.count_b, PER_CHILD);
	cr_assert_eq(t.records, res.records);
	cr_assert_eq(t.last_seq, t.records, "no seq missing or repeated");
	cr_assert_eq(store_close(s), 0);
}

/* ---- foreign bytes between two appends ------------------------------- */

static const uint8_t key[AUDIT_KEY_LEN] = {7, 7, 7};

static void log_path(char *out, size_t size)
{
	cr_assert_eq(str_format(out, size, "%s/plain.log", tmpdir), 0);
}

static void append_raw(const char *path, const char *bytes)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, bytes, strlen(bytes)), (ssize_t)strlen(bytes));
	cr_assert_eq(close(fd), 0);
}

/* A well-formed record with seq 3 but a MAC made without the key. */
static const char forged[] =
	"{\"seq\":3,\"time\":\"2024-01-01T00:00:00.000Z\",\"type\":\"login\",\"fields\":{},"
	"\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\","
	"\"mac\":\"1111111111111111111111111111111111111111111111111111111111111111\"}\n";

Test(concurrency, forged_record_of_another_writer_is_not_chained_onto)
{
	struct audit_verify_result res;
	char path[400];
	struct audit *a;

	log_path(path, sizeof path);
	cr_assert_eq(audit_open(path, key, NULL, &a), 0);
	cr_assert_eq(audit_append(a, AUDIT_LOGIN, NULL, 0, NULL), 0);
	append_raw(path, forged);
	cr_assert_eq(audit_append(a, AUDIT_LOGIN, NULL, 0, NULL), FGW_ERR_TAMPERED);
	cr_assert_eq(audit_sync(a, NULL), FGW_ERR_TAMPERED);
	(void)audit_close(a);
	cr_assert_eq(audit_verify_file(path, key, NULL, &res), FGW_ERR_TAMPERED);
	cr_assert_eq(res.last_seq, 1, "nothing of ours after the forged record");
}

static int find_security(const struct audit_record *rec, void *arg)
{
	if (strcmp(rec->type, "security") == 0)
		*(uint64_t *)arg = rec->seq;
	return 0;
}

Test(concurrency, forged_record_is_logged_when_tampering_is_accepted)
{
	struct audit_options o = {.accept_tampered = true};
	uint64_t security_seq = 0, seq = 0;
	char path[400];
	struct audit *a;

	log_path(path, sizeof path);
	cr_assert_eq(audit_open(path, key, &o, &a), 0);
	append_raw(path, forged);
	cr_assert_eq(audit_append(a, AUDIT_LOGIN, NULL, 0, &seq), 0);
	cr_assert_eq(audit_close(a), 0);
	cr_assert_eq(audit_read_file(path, find_security, &security_seq, NULL), 0);
	cr_assert_eq(security_seq, 3 + 1, "the break is recorded right after it");
	cr_assert_eq(seq, 5);
}

static int find_repair(const struct audit_record *rec, void *arg)
{
	if (strcmp(rec->type, "log_repaired") == 0)
		(*(int *)arg)++;
	return 0;
}

Test(concurrency, torn_record_of_a_dead_writer_is_cut_and_recorded)
{
	struct audit_verify_result res;
	char path[400];
	struct audit *a;
	int repairs = 0;

	log_path(path, sizeof path);
	cr_assert_eq(audit_open(path, key, NULL, &a), 0);
	append_raw(path, "{\"seq\":2,\"time\":\"2024-01");
	cr_assert_eq(audit_append(a, AUDIT_LOGIN, NULL, 0, NULL), 0);
	cr_assert_eq(audit_close(a), 0);
	cr_assert_eq(audit_verify_file(path, key, NULL, &res), 0, "%s", res.detail);
	cr_assert_eq(audit_read_file(path, find_repair, &repairs, NULL), 0);
	cr_assert_eq(repairs, 1);
}

/* ---- the orphan sweep and a writer in another process --------------- */

static void page_of(uint8_t *buf, size_t len, int n)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 31 + (size_t)n);
}

static void say(int fd, char c)
{
	cr_assert_eq(write(fd, &c, 1), 1);
}

static char hear(int fd)
{
	char c = 0;

	return read(fd, &c, 1) == 1 ? c : 0;
}

/* Child: starts a document, says 'w', waits for 'g', finishes it and
 * writes the id back. */
static int slow_writer(int to_parent, int from_parent)
{
	struct catalog_document meta = {.direction = CATALOG_DIR_IN};
	char id[VAULT_ID_LEN + 1];
	uint8_t page[70000];
	struct store_doc *d;
	struct store *s;
	int rc = store_open(data, &opts, &s);

	if (rc == FGW_OK)
		rc = store_doc_create(s, &meta, &d);
	page_of(page, sizeof page, 1);
	if (rc == FGW_OK)
		rc = store_doc_add_page(d, page, sizeof page);
	if (rc != FGW_OK || write(to_parent, "w", 1) != 1 || hear(from_parent) != 'g')
		return 1;
	page_of(page, sizeof page, 2);
	rc = store_doc_add_page(d, page, sizeof page);
	rc = rc == FGW_OK ? store_doc_commit(d, id) : (store_doc_abort(d), rc);
	if (rc == FGW_OK && write(to_parent, id, VAULT_ID_LEN) != VAULT_ID_LEN)
		rc = FGW_ERR_IO;
	return store_close(s) == FGW_OK && rc == FGW_OK ? 0 : 1;
}

static void check_document(struct store *s, const char *id)
{
	uint8_t want[70000], got[70000];
	struct vault_reader *r;
	uint64_t len;
	size_t n;

	cr_assert_eq(store_doc_open(s, id, NULL, &r), 0);
	for (int p = 1; p <= 2; p++) {
		cr_assert_eq(vault_reader_next_page(r, &len), 1);
		cr_assert_eq(len, sizeof want);
		cr_assert_eq(vault_reader_read(r, got, sizeof got, &n), 0);
		cr_assert_eq(n, sizeof got);
		page_of(want, sizeof want, p);
		cr_assert_arr_eq(got, want, sizeof want);
	}
	cr_assert_eq(vault_reader_next_page(r, NULL), 0);
	vault_reader_close(r);
}

static int count_vault_files(void)
{
	char path[400];
	struct dirent *e;
	DIR *d;
	int n = 0;

	cr_assert_eq(str_format(path, sizeof path, "%s/%s", data, STORE_VAULT_DIR), 0);
	d = opendir(path);
	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

Test(concurrency, sweep_spares_a_document_being_written)
{
	int up[2], down[2];
	char id[VAULT_ID_LEN + 1] = "";
	struct store *s;
	pid_t pid;

	cr_assert_eq(pipe(up), 0);
	cr_assert_eq(pipe(down), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0)
		_exit(slow_writer(up[1], down[0]));
	cr_assert_eq(hear(up[0]), 'w');
	cr_assert_eq(count_vault_files(), 1, "the child's temporary blob");
	cr_assert_eq(store_open(data, &opts, &s), 0);
	cr_assert_eq(store_orphans_swept(s), 0);
	cr_assert_eq(count_vault_files(), 1, "still there after the sweep");
	say(down[1], 'g');
	cr_assert_eq(read(up[0], id, VAULT_ID_LEN), VAULT_ID_LEN);
	reap(pid);
	check_document(s, id);
	cr_assert_eq(store_close(s), 0);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(close(up[i]) | close(down[i]), 0);
}

Test(concurrency, sweep_spares_a_finished_blob_until_its_row_is_committed)
{
	uint8_t doc_key[KEYS_LEN] = {1}, key_id[KEYS_KEY_ID_LEN] = {2}, page[100] = {3};
	char id[VAULT_ID_LEN + 1];
	struct vault_writer *w;
	struct store *s, *other;
	int held = -1;

	cr_assert_eq(store_open(data, &opts, &s), 0);
	cr_assert_eq(vault_new_id(id), 0);
	cr_assert_eq(vault_writer_open(store_vault(s), id, doc_key, key_id, &w), 0);
	cr_assert_eq(vault_writer_add_page(w, page, sizeof page), 0);
	cr_assert_eq(vault_writer_finish_held(w, NULL, &held), 0);
	cr_assert_geq(held, 0);
	cr_assert_eq(store_open(data, &opts, &other), 0);
	cr_assert_eq(store_orphans_swept(other), 0, "locked blob without a row is left");
	cr_assert_eq(store_close(other), 0);
	cr_assert_eq(count_vault_files(), 1);
	cr_assert_eq(close(held), 0);
	/* Never committed: once unlocked it is a true orphan. */
	cr_assert_eq(store_open(data, &opts, &other), 0);
	cr_assert_eq(store_orphans_swept(other), 1);
	cr_assert_eq(store_close(other), 0);
	cr_assert_eq(count_vault_files(), 0);
	cr_assert_eq(store_close(s), 0);
}
