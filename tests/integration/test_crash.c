/* Crash safety: a child process stores documents (blob + catalog row via
 * the data-directory facade) and writes audit records in a loop, syncing in
 * groups and reporting each durable seq through a pipe; the parent kills
 * it with SIGKILL at random moments, many times. After every kill:
 *  - the catalog passes PRAGMA integrity_check and foreign_key_check;
 *  - the audit log verifies against the catalog head up to its last
 *    complete line (a torn tail is the only problem allowed), and holds
 *    every record the child was told was durable;
 *  - store_open (the next start) succeeds, repairing a torn tail, and every
 *    document the catalog lists opens and reads back whole;
 *  - afterwards the log verifies completely.
 * Decision (see storage/audit.h): a torn last line is cut off at open and
 * a "log_repaired" record says how many bytes went. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/audit.h"
#include "storage/catalog.h"
#include "storage/keys.h"
#include "storage/store.h"

#define KILLS 20
#define PAGE_BYTES 3000

static char dir[256], path_log[300], path_db[300];

static void setup(void)
{
	log_init("test_crash", true, LOG_LEVEL_ERROR);
	cr_assert_eq(str_copy(dir, sizeof dir, "/tmp/fgw-crash-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(str_format(path_log, sizeof path_log, "%s/%s", dir, STORE_AUDIT_FILE), 0);
	cr_assert_eq(str_format(path_db, sizeof path_db, "%s/%s", dir, STORE_CATALOG_FILE), 0);
}

static void teardown(void)
{
	char cmd[400];

	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", dir), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(crash, .init = setup, .fini = teardown, .timeout = 240);

/* One stored document and its fax record. */
static int store_one(struct store *s, uint64_t n)
{
	static uint8_t page[PAGE_BYTES];
	struct catalog_document meta = { .direction = CATALOG_DIR_IN };
	struct store_doc *d;
	char id[VAULT_ID_LEN + 1];
	struct audit_fax fax = { .direction = "in", .remote_number = "+81312345678",
				 .remote_ident = "CRASH", .pages = 1, .result = "ok",
				 .document = id };
	int rc;

	memset(page, (int)(n & 0xff), sizeof page);
	rc = store_doc_create(s, &meta, &d);
	if (rc != FGW_OK)
		return rc;
	rc = store_doc_add_page(d, page, sizeof page);
	if (rc != FGW_OK) {
		store_doc_abort(d);
		return rc;
	}
	rc = store_doc_commit(d, id);
	if (rc == FGW_OK)
		rc = audit_fax(store_audit(s), AUDIT_FAX_RECEIVED, &fax, NULL);
	return rc;
}

/* The child: runs until killed. Exit codes other than by SIGKILL are
 * failures the parent reports. */
static void child(int wfd)
{
	struct store *s;
	uint64_t durable;
	char num[24];

	if (store_open(dir, NULL, &s) != FGW_OK)
		_exit(3);
	for (uint64_t n = 0;; n++) {
		if (n % 3 == 0 && store_one(s, n) != FGW_OK)
			_exit(4);
		for (int j = 0; j < 8; j++) {
			struct audit_field f[] = { AUDIT_F_INT("n", (int64_t)n),
						   AUDIT_F_STR("remote", num) };

			if (str_format(num, sizeof num, "+8190%08llu", (unsigned long long)n) != 0 ||
			    audit_append(store_audit(s), AUDIT_LOGIN, f, 2, NULL) != FGW_OK)
				_exit(5);
		}
		if (n % 4 == 3) {
			if (audit_sync(store_audit(s), &durable) != FGW_OK ||
			    write(wfd, &durable, sizeof durable) != (ssize_t)sizeof durable)
				_exit(6);
		}
	}
}

/* The highest durable seq the child reported before it died. */
static uint64_t drain(int rfd)
{
	uint64_t v, best = 0;

	while (read(rfd, &v, sizeof v) == (ssize_t)sizeof v)
		if (v > best)
			best = v;
	return best;
}

static void run_and_kill(unsigned *seed, uint64_t *durable)
{
	int fds[2], status;
	struct timespec delay = { 0, (long)(10 + rand_r(seed) % 70) * 1000000L };
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		child(fds[1]);
	}
	close(fds[1]);
	while (nanosleep(&delay, &delay) != 0 && errno == EINTR)
		;
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "the child failed on its own (exit %d)",
		  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	*durable = drain(fds[0]);
	close(fds[0]);
}

/* The state exactly as the crash left it. */
static void check_as_crashed(uint64_t durable)
{
	struct catalog *cat;
	struct catalog_audit_head head;
	uint8_t key[AUDIT_KEY_LEN];
	struct keys *k;
	struct audit_verify_result res;
	int rc;

	cr_assert_eq(catalog_open(path_db, &cat), 0);
	cr_assert_eq(catalog_integrity_check(cat), 0);
	cr_assert_eq(catalog_audit_head_get(cat, &head), 0);
	catalog_close(cat);
	cr_assert_eq(keys_load(dir, &k), 0);
	cr_assert_eq(keys_derive(k, KEYS_PURPOSE_AUDIT_MAC, key), 0);
	keys_free(k);
	rc = audit_verify_file(path_log, key, &head, &res);
	cr_assert(rc == FGW_OK || res.problem == AUDIT_PROBLEM_TORN,
		  "after a kill: %s at line %llu: %s", audit_problem_name(res.problem),
		  (unsigned long long)res.line, res.detail);
	cr_assert_geq(res.last_seq, durable, "durable record %llu lost (log ends at %llu)",
		      (unsigned long long)durable, (unsigned long long)res.last_seq);
	cr_assert_geq(res.last_seq, head.seq);
}

struct read_ctx {
	struct store *s;
	uint64_t docs;
};

static int read_back(const struct catalog_document *doc, void *arg)
{
	struct read_ctx *c = arg;
	struct vault_reader *r;
	uint8_t buf[PAGE_BYTES + 1];
	uint64_t len = 0;
	size_t got = 0;

	cr_assert_eq(store_doc_open(c->s, doc->id, NULL, &r), 0, "document %s", doc->id);
	cr_assert_eq(vault_reader_next_page(r, &len), 1);
	cr_assert_eq(len, PAGE_BYTES);
	cr_assert_eq(vault_reader_read(r, buf, sizeof buf, &got), 0);
	cr_assert_eq(got, PAGE_BYTES);
	cr_assert_eq(vault_reader_next_page(r, &len), 0);
	vault_reader_close(r);
	c->docs++;
	return 0;
}

/* The next start: opens (repairing), reads every document back. */
static uint64_t check_restart(uint64_t durable)
{
	struct read_ctx c = { 0 };

	cr_assert_eq(store_open(dir, NULL, &c.s), 0);
	cr_assert_geq(audit_last_seq(store_audit(c.s)), durable);
	cr_assert_eq(catalog_document_list(store_catalog(c.s), NULL, read_back, &c), 0);
	cr_assert_eq(store_close(c.s), 0);
	return c.docs;
}

Test(crash, kills_at_random_points_lose_nothing_durable)
{
	unsigned seed = 20240601;
	uint64_t durable = 0, docs = 0, last_durable = 0;
	uint8_t key[AUDIT_KEY_LEN];
	struct keys *k;
	struct catalog *cat;
	struct catalog_audit_head head;
	struct audit_verify_result res;

	cr_assert_eq(store_init(dir), 0);
	for (int i = 0; i < KILLS; i++) {
		run_and_kill(&seed, &durable);
		check_as_crashed(durable);
		docs = check_restart(durable);
		if (durable > last_durable)
			last_durable = durable;
	}
	cr_assert_gt(last_durable, 0, "the child never reached a group commit");
	cr_assert_gt(docs, 0, "no document was ever stored");
	cr_assert_eq(catalog_open(path_db, &cat), 0);
	cr_assert_eq(catalog_audit_head_get(cat, &head), 0);
	catalog_close(cat);
	cr_assert_eq(keys_load(dir, &k), 0);
	cr_assert_eq(keys_derive(k, KEYS_PURPOSE_AUDIT_MAC, key), 0);
	keys_free(k);
	cr_assert_eq(audit_verify_file(path_log, key, &head, &res), 0, "%s", res.detail);
	cr_assert_geq(res.last_seq, last_durable);
}
