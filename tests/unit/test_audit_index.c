/* The audit log's index in the catalog: catch-up after appends of one and
 * of several writers, a cut, replaced or edited log rebuilt, lines that are
 * no records, each filter, keyset pages in both directions, capped counts. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/audit.h"
#include "storage/audit_index.h"
#include "storage/catalog.h"

static char tmpdir[256], logpath[300], dbpath[300];
static const uint8_t key[AUDIT_KEY_LEN] = { 7, 1, 7, 1 };
static struct catalog *cat;
static struct audit *log1;
static int64_t now_ms = 1767225600000;   /* 2026-01-01T00:00:00Z */

static int64_t fake_now(void *arg)
{
	(void)arg;
	return now_ms;
}

static const struct audit_clock clock_fake = { .realtime_ms = fake_now };

static struct audit *open_writer(void)
{
	struct audit_options opts = { .catalog = cat, .clock = &clock_fake };
	struct audit *a = NULL;

	cr_assert_eq(audit_open(logpath, key, &opts, &a), FGW_OK);
	return a;
}

static void setup(void)
{
	log_init("test_audit_index", true, LOG_LEVEL_ERROR);
	cr_assert_eq(str_copy(tmpdir, sizeof tmpdir, "/tmp/fgw-auidx-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(tmpdir));
	cr_assert_eq(str_format(logpath, sizeof logpath, "%s/audit.log", tmpdir), 0);
	cr_assert_eq(str_format(dbpath, sizeof dbpath, "%s/catalog.db", tmpdir), 0);
	cr_assert_eq(catalog_open(dbpath, &cat), FGW_OK);
	now_ms = 1767225600000;
	log1 = open_writer();
}

static void teardown(void)
{
	char cmd[400];

	if (log1 != NULL)
		cr_assert_eq(audit_close(log1), FGW_OK);
	log1 = NULL;
	catalog_close(cat);
	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmpdir), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(audit_index, .init = setup, .fini = teardown);

/* ---- helpers ----------------------------------------------------------- */

static void fax(struct audit *a, enum audit_event ev, const char *dir, const char *number,
		const char *mailbox, const char *result)
{
	struct audit_fax f = { .direction = dir, .remote_number = number, .mailbox = mailbox,
			       .result = result, .pages = 1 };

	cr_assert_eq(audit_fax(a, ev, &f, NULL), FGW_OK);
	cr_assert_eq(audit_sync(a, NULL), FGW_OK);
	now_ms += 1000;
}

static void login(struct audit *a, const char *user)
{
	struct audit_field f[] = { AUDIT_F_STR("user", user), AUDIT_F_STR("source", "192.0.2.7") };

	cr_assert_eq(audit_append_durable(a, AUDIT_LOGIN, f, 2, NULL), FGW_OK);
	now_ms += 1000;
}

static struct audit_index_report update(void)
{
	struct audit_index_report rep;

	cr_assert_eq(audit_index_update(cat, logpath, &rep), FGW_OK);
	return rep;
}

/* What a query passed to its callback. */
struct seen {
	size_t n;
	uint64_t line[64], seq[64];
	char type[64][24], number[64][24];
	bool malformed[64];
};

static int note(const struct audit_index_row *row, void *arg)
{
	struct seen *s = arg;

	cr_assert_lt(s->n, 64);
	s->line[s->n] = row->line;
	s->seq[s->n] = row->seq;
	cr_assert_eq(str_copy(s->type[s->n], sizeof s->type[0], row->type), FGW_OK);
	cr_assert_eq(str_copy(s->number[s->n], sizeof s->number[0], row->number), FGW_OK);
	s->malformed[s->n] = row->rec == NULL;
	if (row->rec != NULL) {
		/* what is shown comes from the log's line */
		cr_assert_eq(row->rec->seq, row->seq);
		cr_assert_str_eq(row->rec->type, row->type);
	}
	s->n++;
	return 0;
}

static struct seen query(struct audit_index_query q)
{
	struct seen s = { .n = 0 };
	size_t shown = 99;

	if (q.limit == 0)
		q.limit = 50;
	cr_assert_eq(audit_index_query(cat, logpath, &q, note, &s, &shown), FGW_OK);
	cr_assert_eq(shown, s.n);
	return s;
}

static uint64_t count(struct audit_index_filter f, uint64_t cap)
{
	uint64_t n = 0;

	cr_assert_eq(audit_index_count(cat, &f, cap, &n), FGW_OK);
	return n;
}

static off_t file_size(void)
{
	struct stat sb;

	cr_assert_eq(stat(logpath, &sb), 0);
	return sb.st_size;
}

/* Byte offset where line n (1-based) starts. */
static off_t line_start(int n)
{
	FILE *fp = fopen(logpath, "rb");
	off_t at = 0;
	int c, line = 1;

	cr_assert_not_null(fp);
	while (line < n && (c = fgetc(fp)) != EOF) {
		at++;
		if (c == '\n')
			line++;
	}
	fclose(fp);
	cr_assert_eq(line, n);
	return at;
}

static void write_at(off_t at, const char *bytes)
{
	int fd = open(logpath, O_WRONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, bytes, strlen(bytes), at), (ssize_t)strlen(bytes));
	cr_assert_eq(close(fd), 0);
}

static void append_raw(const char *bytes)
{
	int fd = open(logpath, O_WRONLY | O_APPEND);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, bytes, strlen(bytes)), (ssize_t)strlen(bytes));
	cr_assert_eq(close(fd), 0);
}

/* ---- catch-up ---------------------------------------------------------- */

Test(audit_index, first_update_indexes_every_line)
{
	struct audit_index_report rep;

	fax(log1, AUDIT_FAX_RECEIVED, "in", "0312345678", "", "ok");
	fax(log1, AUDIT_FAX_SENT, "out", "0698765432", "", "ok");
	rep = update();
	/* audit_open's own records are lines too: none so far on a new log */
	cr_assert_eq(rep.added, 2);
	cr_assert_eq(rep.lines, 2);
	cr_assert_not(rep.rebuilt);
}

Test(audit_index, catch_up_reads_only_what_was_appended)
{
	struct audit_index_report rep;

	for (int i = 0; i < 5; i++)
		login(log1, "ann");
	cr_assert_eq(update().added, 5);
	rep = update();
	cr_assert_eq(rep.added, 0);
	cr_assert_eq(rep.lines, 5);
	for (int i = 0; i < 3; i++)
		fax(log1, AUDIT_FAX_FAILED, "out", "0111", "", "busy");
	rep = update();
	cr_assert_eq(rep.added, 3);
	cr_assert_eq(rep.lines, 8);
	cr_assert_not(rep.rebuilt);
}

Test(audit_index, a_query_catches_up_by_itself)
{
	struct seen s;

	login(log1, "ann");
	(void)update();
	login(log1, "bob");
	s = query((struct audit_index_query){ .limit = 10 });
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.seq[0], 2);
}

Test(audit_index, appends_of_several_writers_are_indexed_in_file_order)
{
	struct audit *log2 = open_writer();
	struct seen s;

	for (int i = 0; i < 10; i++) {
		login(i % 2 ? log2 : log1, i % 2 ? "two" : "one");
		if (i == 4)
			(void)update();   /* half way: the rest is caught up later */
	}
	cr_assert_eq(audit_close(log2), FGW_OK);
	cr_assert_eq(update().lines, 10);
	s = query((struct audit_index_query){ .limit = 50, .ascending = true });
	cr_assert_eq(s.n, 10);
	for (size_t i = 0; i < s.n; i++) {
		cr_assert_eq(s.line[i], i + 1);
		cr_assert_eq(s.seq[i], i + 1, "an intact chain: line %zu is seq %zu", i + 1, i + 1);
	}
}

Test(audit_index, two_indexers_on_one_catalog_never_index_a_line_twice)
{
	struct catalog *other;
	struct audit_index_report rep;

	cr_assert_eq(catalog_open(dbpath, &other), FGW_OK);
	login(log1, "ann");
	login(log1, "bob");
	cr_assert_eq(update().added, 2);
	login(log1, "cy");
	cr_assert_eq(audit_index_update(other, logpath, &rep), FGW_OK);
	cr_assert_eq(rep.added, 1, "the other connection starts where the index ends");
	cr_assert_eq(rep.lines, 3);
	cr_assert_eq(update().added, 0);
	cr_assert_eq(count((struct audit_index_filter){ .type = "login" }, 10), 3);
	catalog_close(other);
}

/* Another process appends and indexes while this one does the same: every
 * line is indexed once, in file order, and the chain is whole. */
static void writer_and_indexer(int rounds)
{
	struct catalog *c = NULL;
	struct audit *a = NULL;
	struct audit_options opts = { .clock = &clock_fake };
	struct audit_field f[] = { AUDIT_F_STR("user", "child") };
	int bad = 0;

	if (catalog_open(dbpath, &c) != FGW_OK)
		_exit(2);
	opts.catalog = c;
	if (audit_open(logpath, key, &opts, &a) != FGW_OK)
		_exit(3);
	for (int i = 0; i < rounds; i++)
		if (audit_append(a, AUDIT_LOGIN, f, 1, NULL) != FGW_OK ||
		    audit_index_update(c, logpath, NULL) != FGW_OK)
			bad++;
	if (audit_close(a) != FGW_OK)
		bad++;
	catalog_close(c);
	_exit(bad == 0 ? 0 : 1);
}

Test(audit_index, concurrent_writers_and_indexers_index_each_line_once)
{
	struct audit_field f[] = { AUDIT_F_STR("user", "parent") };
	struct seen s;
	pid_t child;
	int status = 0;

	cr_assert_eq(audit_close(log1), FGW_OK);   /* no open writer across fork */
	log1 = NULL;
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0)
		writer_and_indexer(150);
	log1 = open_writer();
	for (int i = 0; i < 150; i++) {
		cr_assert_eq(audit_append(log1, AUDIT_LOGIN, f, 1, NULL), FGW_OK);
		cr_assert_eq(audit_index_update(cat, logpath, NULL), FGW_OK);
	}
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	cr_assert_eq(update().lines, 300);
	cr_assert_eq(count((struct audit_index_filter){ .type = "login" }, 1000), 300);
	s = query((struct audit_index_query){ .limit = 64, .below = 64, .ascending = true });
	for (size_t i = 0; i < s.n; i++)
		cr_assert_eq(s.seq[i], s.line[i], "line %llu holds seq %llu",
			     (unsigned long long)s.line[i], (unsigned long long)s.seq[i]);
}

Test(audit_index, an_incomplete_last_line_waits_until_it_is_complete)
{
	login(log1, "ann");
	append_raw("{\"seq\":2,\"time\":");   /* a writer in the middle of a record */
	cr_assert_eq(update().lines, 1);
	append_raw("\"never finished\n");
	cr_assert_eq(update().lines, 2);
}

Test(audit_index, a_line_that_is_no_record_is_indexed_as_malformed)
{
	struct seen s;

	login(log1, "ann");
	append_raw("this is not json\n");
	s = query((struct audit_index_query){ .limit = 10 });
	cr_assert_eq(s.n, 2);
	cr_assert(s.malformed[0]);
	cr_assert_str_eq(s.type[0], AUDIT_INDEX_MALFORMED);
	cr_assert_eq(s.seq[0], 0);
	cr_assert_eq(count((struct audit_index_filter){ .type = AUDIT_INDEX_MALFORMED }, 10), 1);
}

/* ---- a log that changed under the index -------------------------------- */

Test(audit_index, a_cut_log_is_rebuilt_without_the_lost_lines)
{
	struct audit_index_report rep;

	cr_assert_eq(audit_close(log1), FGW_OK);
	log1 = NULL;
	{
		struct audit *a = open_writer();

		for (int i = 0; i < 10; i++)
			fax(a, AUDIT_FAX_SENT, "out", "0222", "", "ok");
		cr_assert_eq(audit_close(a), FGW_OK);
	}
	cr_assert_eq(update().lines, 10);
	cr_assert_eq(truncate(logpath, line_start(7)), 0);
	rep = update();
	cr_assert(rep.rebuilt);
	cr_assert_eq(rep.lines, 6);
	cr_assert_eq(count((struct audit_index_filter){ .type = "fax_sent" }, 100), 6);
	cr_assert_eq(query((struct audit_index_query){ .limit = 1 }).seq[0], 6);
}

Test(audit_index, a_torn_then_regrown_log_is_rebuilt)
{
	login(log1, "ann");
	login(log1, "bob");
	login(log1, "cy");
	cr_assert_eq(update().lines, 3);
	/* cut in the middle of line 3 and grown again past the old end */
	cr_assert_eq(truncate(logpath, line_start(3) + 10), 0);
	append_raw("XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
		   "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
		   "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
		   "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n");
	cr_assert_gt(file_size(), line_start(3) + 200);
	{
		struct audit_index_report rep = update();
		struct seen s = query((struct audit_index_query){ .limit = 10 });

		cr_assert(rep.rebuilt);
		cr_assert_eq(rep.lines, 3);
		cr_assert_eq(s.n, 3);
		cr_assert(s.malformed[0], "the torn line is shown as it is now");
		cr_assert_eq(s.seq[1], 2);
	}
}

Test(audit_index, a_replaced_log_file_is_rebuilt)
{
	char other[320];

	login(log1, "ann");
	login(log1, "bob");
	cr_assert_eq(update().lines, 2);
	cr_assert_eq(audit_close(log1), FGW_OK);
	log1 = NULL;
	cr_assert_eq(str_format(other, sizeof other, "%s/other.log", tmpdir), 0);
	cr_assert_eq(rename(logpath, other), 0);
	/* a new log of the same length at the same path: another file */
	{
		char cmd[700];

		cr_assert_eq(str_format(cmd, sizeof cmd, "cp -p '%s' '%s'", other, logpath), 0);
		cr_assert_eq(system(cmd), 0);
	}
	cr_assert(update().rebuilt);
	cr_assert_eq(update().lines, 2);
}

Test(audit_index, a_line_edited_in_place_is_caught_by_the_query_and_rebuilt)
{
	struct seen s;
	off_t at;

	for (int i = 0; i < 4; i++)
		fax(log1, AUDIT_FAX_SENT, "out", "0333", "", "ok");
	cr_assert_eq(count((struct audit_index_filter){ .type = "fax_sent" }, 100), 0,
		     "nothing indexed before the first update");
	cr_assert_eq(query((struct audit_index_query){ .filter.type = "fax_sent" }).n, 4);
	/* line 2 becomes a fax_sena: same length, first and last line intact */
	at = line_start(2);
	{
		char buf[400];
		FILE *fp = fopen(logpath, "rb");
		char *t;

		cr_assert_not_null(fp);
		cr_assert_eq(fseeko(fp, at, SEEK_SET), 0);
		cr_assert_not_null(fgets(buf, sizeof buf, fp));
		fclose(fp);
		t = strstr(buf, "\"fax_sent\"");
		cr_assert_not_null(t);
		write_at(at + (t - buf) + 8, "a");
	}
	cr_assert_eq(update().added, 0, "the cheap check does not see an edit in the middle");
	s = query((struct audit_index_query){ .filter.type = "fax_sent" });
	cr_assert_eq(s.n, 3, "the page saw the difference and the index was rebuilt");
	cr_assert_eq(count((struct audit_index_filter){ .type = "fax_sena" }, 100), 1);
}

Test(audit_index, update_inside_a_transaction_waits)
{
	struct audit_index_report rep;

	login(log1, "ann");
	cr_assert_eq(catalog_begin(cat), FGW_OK);
	cr_assert_eq(audit_index_update(cat, logpath, &rep), FGW_OK);
	cr_assert_eq(rep.added, 0);
	cr_assert_eq(catalog_rollback(cat), FGW_OK);
	cr_assert_eq(update().added, 1);
}

Test(audit_index, a_missing_log_is_an_error)
{
	cr_assert_eq(unlink(logpath), 0);
	cr_assert_eq(audit_index_update(cat, logpath, NULL), FGW_ERR_IO);
}

/* ---- filters ----------------------------------------------------------- */

/* 1 login, then faxes: in/ok mailbox 55 from 0312345678, out/ok to
 * 0698765432, out/busy to 0698765432, in/ok no mailbox from 0399999999. */
static void mixed(void)
{
	login(log1, "ann");
	fax(log1, AUDIT_FAX_RECEIVED, "in", "0312345678", "55", "ok");
	fax(log1, AUDIT_FAX_SENT, "out", "0698765432", "", "ok");
	fax(log1, AUDIT_FAX_FAILED, "out", "0698765432", "", "busy");
	fax(log1, AUDIT_FAX_RECEIVED, "in", "0399999999", "", "ok");
}

Test(audit_index, filter_by_type)
{
	mixed();
	struct seen s = query((struct audit_index_query){ .filter.type = "fax_received" });

	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.seq[0], 5);
	cr_assert_eq(s.seq[1], 2);
}

Test(audit_index, filter_by_direction_and_result)
{
	mixed();
	cr_assert_eq(query((struct audit_index_query){ .filter.direction = "out" }).n, 2);
	struct seen s = query((struct audit_index_query){ .filter.direction = "out",
							 .filter.result = "busy" });
	cr_assert_eq(s.n, 1);
	cr_assert_str_eq(s.type[0], "fax_failed");
}

Test(audit_index, filter_by_number_matches_a_part_of_it)
{
	mixed();
	cr_assert_eq(query((struct audit_index_query){ .filter.number = "0698765432" }).n, 2);
	struct seen s = query((struct audit_index_query){ .filter.number = "9999" });
	cr_assert_eq(s.n, 1);
	cr_assert_str_eq(s.number[0], "0399999999");
	cr_assert_eq(query((struct audit_index_query){ .filter.number = "777" }).n, 0);
}

Test(audit_index, filter_by_mailbox)
{
	mixed();
	struct seen s = query((struct audit_index_query){ .filter.mailbox = "55" });
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.seq[0], 2);
}

Test(audit_index, filter_by_date_range_is_half_open)
{
	int64_t t0 = now_ms;

	mixed();   /* seconds t0 .. t0 + 4 */
	struct seen s = query((struct audit_index_query){ .filter.from_ms = t0 + 1000,
							 .filter.to_ms = t0 + 3000 });
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.seq[0], 3);
	cr_assert_eq(s.seq[1], 2);
	cr_assert_eq(query((struct audit_index_query){ .filter.from_ms = t0 + 4000 }).n, 1);
	cr_assert_eq(query((struct audit_index_query){ .filter.to_ms = t0 }).n, 0);
}

Test(audit_index, a_filter_value_is_bound_not_pasted)
{
	mixed();
	cr_assert_eq(query((struct audit_index_query){ .filter.type = "x' OR '1'='1" }).n, 0);
	cr_assert_eq(query((struct audit_index_query){ .filter.number = "%" }).n, 0);
}

/* ---- pages and counts -------------------------------------------------- */

Test(audit_index, pages_go_newest_first_by_line)
{
	struct seen s;

	for (int i = 0; i < 25; i++)
		login(log1, "ann");
	s = query((struct audit_index_query){ .limit = 10 });
	cr_assert_eq(s.n, 10);
	for (size_t i = 0; i < 10; i++)
		cr_assert_eq(s.line[i], 25 - i);
	s = query((struct audit_index_query){ .limit = 10, .below = 16 });
	cr_assert_eq(s.line[0], 15);
	cr_assert_eq(s.line[9], 6);
	s = query((struct audit_index_query){ .limit = 10, .below = 6 });
	cr_assert_eq(s.n, 5);
	cr_assert_eq(s.line[4], 1);
}

Test(audit_index, pages_back_towards_newer_records_go_oldest_first)
{
	struct seen s;

	for (int i = 0; i < 25; i++)
		login(log1, "ann");
	s = query((struct audit_index_query){ .limit = 10, .above = 5, .ascending = true });
	cr_assert_eq(s.n, 10);
	cr_assert_eq(s.line[0], 6);
	cr_assert_eq(s.line[9], 15);
	s = query((struct audit_index_query){ .limit = 10, .above = 20, .below = 24 });
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.line[0], 23);
}

Test(audit_index, a_page_size_out_of_bounds_is_refused)
{
	struct audit_index_query q = { .limit = AUDIT_INDEX_QUERY_MAX + 1 };
	struct seen s = { .n = 0 };

	cr_assert_eq(audit_index_query(cat, logpath, &q, note, &s, NULL), FGW_ERR_INVALID);
	q.limit = 0;
	cr_assert_eq(audit_index_query(cat, logpath, &q, note, &s, NULL), FGW_ERR_INVALID);
}

static int stop_after_two(const struct audit_index_row *row, void *arg)
{
	int *n = arg;

	(void)row;
	return ++*n == 2 ? FGW_ERR_STATE : 0;
}

Test(audit_index, the_callback_stops_a_page)
{
	struct audit_index_query q = { .limit = 10 };
	int n = 0;
	size_t shown = 0;

	for (int i = 0; i < 5; i++)
		login(log1, "ann");
	cr_assert_eq(audit_index_query(cat, logpath, &q, stop_after_two, &n, &shown),
		     FGW_ERR_STATE);
	cr_assert_eq(n, 2);
	cr_assert_eq(shown, 2);
}

Test(audit_index, counts_stop_at_the_cap)
{
	for (int i = 0; i < 12; i++)
		login(log1, i < 9 ? "ann" : "bob");
	(void)update();
	cr_assert_eq(count((struct audit_index_filter){ .type = "login" }, 100), 12);
	cr_assert_eq(count((struct audit_index_filter){ .type = "login" }, 5), 5);
	cr_assert_eq(count((struct audit_index_filter){ .type = "fax_sent" }, 5), 0);
}

/* ---- the number's trigram index and the time plans --------------------- */

Test(audit_index, a_short_number_or_one_with_quotes_is_still_found)
{
	mixed();
	login(log1, "x");
	fax(log1, AUDIT_FAX_SENT, "out", "12\"34\"56", "", "ok");
	cr_assert_eq(query((struct audit_index_query){ .filter.number = "99" }).n, 1,
		     "two characters: no trigram, still a substring match");
	cr_assert_eq(query((struct audit_index_query){ .filter.number = "\"34\"" }).n, 1);
	cr_assert_eq(query((struct audit_index_query){ .filter.number = "2\"3" }).n, 1);
	cr_assert_eq(count((struct audit_index_filter){ .number = "\"34\"" }, 10), 1);
	cr_assert_eq(query((struct audit_index_query){ .filter.number = "\"" }).n, 1);
}

Test(audit_index, the_number_search_follows_a_rebuild)
{
	for (int i = 0; i < 6; i++)
		fax(log1, AUDIT_FAX_SENT, "out", i < 3 ? "0311111111" : "0322222222", "", "ok");
	cr_assert_eq(query((struct audit_index_query){ .filter.number = "22222" }).n, 3);
	cr_assert_eq(truncate(logpath, line_start(5)), 0);
	cr_assert(update().rebuilt);
	cr_assert_eq(query((struct audit_index_query){ .filter.number = "22222" }).n, 1);
	cr_assert_eq(count((struct audit_index_filter){ .number = "11111" }, 10), 3);
}

/* A range holding more rows than the time index is worth sorting (read in
 * line order) and one holding a few (read through the time index) give
 * the same kind of page: newest first, all in range. */
Test(audit_index, wide_and_narrow_date_ranges_page_newest_first)
{
	int64_t t0 = now_ms;
	struct seen s;

	for (int i = 0; i < 5200; i++) {
		struct audit_field f[] = { AUDIT_F_STR("user", "u") };

		cr_assert_eq(audit_append(log1, AUDIT_LOGIN, f, 1, NULL), FGW_OK);
		now_ms += 10;
	}
	cr_assert_eq(audit_sync(log1, NULL), FGW_OK);
	s = query((struct audit_index_query){ .filter.from_ms = t0 + 10,
					     .filter.to_ms = t0 + 10 * 5150 });
	cr_assert_eq(s.n, 50);
	cr_assert_eq(s.seq[0], 5150);
	cr_assert_eq(s.seq[49], 5101);
	cr_assert_eq(count((struct audit_index_filter){ .from_ms = t0 + 10,
							 .to_ms = t0 + 10 * 5150 }, 10000), 5149);
	s = query((struct audit_index_query){ .filter.from_ms = t0 + 10 * 100,
					     .filter.to_ms = t0 + 10 * 103 });
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.seq[0], 103);
	cr_assert_eq(s.seq[2], 101);
}
