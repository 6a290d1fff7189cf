/* The audit log: records, escaping, durability bookkeeping, each kind of
 * tampering named with its line, torn-tail repair, clock jumps and the
 * RFC 5424 copy sent to a real socket. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/audit.h"
#include "storage/catalog.h"

static char tmpdir[256], logpath[300], dbpath[300];
static const uint8_t key[AUDIT_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

static void setup(void)
{
	log_init("test_audit", true, LOG_LEVEL_ERROR);
	cr_assert_eq(str_copy(tmpdir, sizeof tmpdir, "/tmp/fgw-audit-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(tmpdir));
	cr_assert_eq(str_format(logpath, sizeof logpath, "%s/audit.log", tmpdir), 0);
	cr_assert_eq(str_format(dbpath, sizeof dbpath, "%s/catalog.db", tmpdir), 0);
}

static void teardown(void)
{
	char cmd[400];

	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmpdir), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(audit, .init = setup, .fini = teardown);

/* ---- helpers ----------------------------------------------------------- */

/* Writes n records (seq 1..n) to a fresh log, with the head in cat. */
static void write_log(struct catalog *cat, int n)
{
	struct audit_options opts = { .catalog = cat };
	struct audit *a;
	char num[32];

	cr_assert_eq(audit_open(logpath, key, &opts, &a), 0);
	for (int i = 1; i <= n; i++) {
		struct audit_field f[] = { AUDIT_F_INT("i", i), AUDIT_F_STR("num", num) };

		cr_assert_eq(str_format(num, sizeof num, "+8130000%04d", i), 0);
		cr_assert_eq(audit_append(a, AUDIT_LOGIN, f, 2, NULL), 0);
	}
	cr_assert_eq(audit_close(a), 0);
}

struct file {
	char *data;
	size_t len;
	size_t off[64], n[64];   /* lines: offset and length with newline */
	size_t lines;
};

static void load(struct file *f)
{
	FILE *fp = fopen(logpath, "rb");
	size_t pos = 0;

	cr_assert_not_null(fp);
	f->data = malloc(1 << 20);
	cr_assert_not_null(f->data);
	f->len = fread(f->data, 1, 1 << 20, fp);
	fclose(fp);
	f->lines = 0;
	while (pos < f->len && f->lines < 64) {
		char *nl = memchr(f->data + pos, '\n', f->len - pos);
		size_t end = nl != NULL ? (size_t)(nl - f->data) + 1 : f->len;

		f->off[f->lines] = pos;
		f->n[f->lines++] = end - pos;
		pos = end;
	}
}

/* Writes the lines of f in the order given by idx (0-based, count k). */
static void store_lines(const struct file *f, const size_t *idx, size_t k)
{
	FILE *fp = fopen(logpath, "wb");

	cr_assert_not_null(fp);
	for (size_t i = 0; i < k; i++)
		cr_assert_eq(fwrite(f->data + f->off[idx[i]], 1, f->n[idx[i]], fp),
			     f->n[idx[i]]);
	cr_assert_eq(fclose(fp), 0);
}

static int verify(struct catalog *cat, struct audit_verify_result *res)
{
	struct catalog_audit_head head;

	if (cat == NULL)
		return audit_verify_file(logpath, key, NULL, res);
	cr_assert_eq(catalog_audit_head_get(cat, &head), 0);
	return audit_verify_file(logpath, key, &head, res);
}

static void expect_problem(struct catalog *cat, enum audit_problem p, uint64_t line)
{
	struct audit_verify_result res;

	cr_assert_eq(verify(cat, &res), FGW_ERR_TAMPERED);
	cr_assert_eq(res.problem, p, "problem %s (%s), want %s",
		     audit_problem_name(res.problem), res.detail, audit_problem_name(p));
	cr_assert_eq(res.line, line, "line %llu (%s), want %llu",
		     (unsigned long long)res.line, res.detail, (unsigned long long)line);
}

/* ---- writing and verifying --------------------------------------------- */

Test(audit, fresh_log_verifies_with_every_record_counted)
{
	struct audit_verify_result res;

	write_log(NULL, 10);
	cr_assert_eq(verify(NULL, &res), 0, "%s", res.detail);
	cr_assert_eq(res.records, 10);
	cr_assert_eq(res.last_seq, 10);
}

Test(audit, record_has_documented_shape)
{
	struct file f;

	write_log(NULL, 1);
	load(&f);
	cr_assert_eq(f.lines, 1);
	cr_assert_eq(strncmp(f.data, "{\"seq\":1,\"time\":\"", 17), 0);
	cr_assert_not_null(strstr(f.data, "\"type\":\"login\",\"fields\":{\"i\":1,"
				  "\"num\":\"+81300000001\"},\"prev\":\"0000"));
	cr_assert_eq(f.data[f.len - 1], '\n');
	cr_assert_eq(strncmp(f.data + f.len - 1 - 2 - 64 - 8, ",\"mac\":\"", 8), 0);
	free(f.data);
}

Test(audit, reopen_continues_the_chain)
{
	struct audit *a;
	struct audit_verify_result res;
	uint64_t seq = 0;

	write_log(NULL, 3);
	cr_assert_eq(audit_open(logpath, key, NULL, &a), 0);
	cr_assert_eq(audit_last_seq(a), 3);
	cr_assert_eq(audit_append(a, AUDIT_STOP, NULL, 0, &seq), 0);
	cr_assert_eq(seq, 4);
	cr_assert_eq(audit_close(a), 0);
	cr_assert_eq(verify(NULL, &res), 0, "%s", res.detail);
	cr_assert_eq(res.records, 4);
}

Test(audit, sync_reports_durable_seq_and_stores_head)
{
	struct catalog *cat;
	struct audit_options opts;
	struct catalog_audit_head head;
	struct audit *a;
	uint64_t durable = 99;

	cr_assert_eq(catalog_open(dbpath, &cat), 0);
	opts = (struct audit_options){ .catalog = cat };
	cr_assert_eq(audit_open(logpath, key, &opts, &a), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(audit_append(a, AUDIT_START, NULL, 0, NULL), 0);
	cr_assert_eq(audit_durable_seq(a), 0);
	cr_assert_eq(audit_last_seq(a), 3);
	cr_assert_eq(audit_sync(a, &durable), 0);
	cr_assert_eq(durable, 3);
	cr_assert_eq(catalog_audit_head_get(cat, &head), 0);
	cr_assert_eq(head.seq, 3);
	cr_assert_eq(audit_append_durable(a, AUDIT_STOP, NULL, 0, NULL), 0);
	cr_assert_eq(audit_durable_seq(a), 4);
	cr_assert_eq(audit_close(a), 0);
	catalog_close(cat);
}

Test(audit, fax_record_carries_xferfaxlog_fields)
{
	struct audit *a;
	struct file f;
	struct audit_fax fax = {
		.direction = "in", .remote_number = "+81312345678",
		.remote_ident = "ACME FAX", .sub = "1234", .mailbox = "1234",
		.document = "abcd", .pages = 3, .duration_ms = 45000,
		.bit_rate = 14400, .result = "ok",
	};

	cr_assert_eq(audit_open(logpath, key, NULL, &a), 0);
	cr_assert_eq(audit_fax(a, AUDIT_FAX_RECEIVED, &fax, NULL), 0);
	cr_assert_eq(audit_fax(a, AUDIT_LOGIN, &fax, NULL), FGW_ERR_INVALID);
	cr_assert_eq(audit_close(a), 0);
	load(&f);
	cr_assert_not_null(strstr(f.data, "\"type\":\"fax_received\",\"fields\":{"
		"\"direction\":\"in\",\"remote_number\":\"+81312345678\","
		"\"remote_ident\":\"ACME FAX\",\"sub\":\"1234\",\"mailbox\":\"1234\","
		"\"document\":\"abcd\",\"pages\":3,\"duration_ms\":45000,"
		"\"bit_rate\":14400,\"result\":\"ok\"}"));
	free(f.data);
}

Test(audit, strings_are_escaped_and_parse_back)
{
	static const char nasty[] = "q\"b\\s/\n\t\x01\x7f caf\xc3\xa9 \xff\xc0\xaf end";
	struct audit *a;
	struct file f;
	struct audit_record rec;
	struct audit_verify_result res;
	char scratch[AUDIT_RECORD_MAX];
	struct audit_field fld = AUDIT_F_STR("remote_ident", nasty);

	cr_assert_eq(audit_open(logpath, key, NULL, &a), 0);
	cr_assert_eq(audit_append(a, AUDIT_FAX_FAILED, &fld, 1, NULL), 0);
	cr_assert_eq(audit_close(a), 0);
	load(&f);
	cr_assert_not_null(strstr(f.data, "\"q\\\"b\\\\s/\\u000a\\u0009\\u0001\\u007f "
				  "caf\xc3\xa9 \\u00ff\\u00c0\\u00af end\""), "%s", f.data);
	cr_assert_eq(audit_parse_line(f.data, f.len - 1, scratch, sizeof scratch, &rec), 0);
	cr_assert_eq(rec.nfields, 1);
	/* Invalid bytes come back as their Latin-1 reading, UTF-8 encoded. */
	cr_assert_str_eq(rec.fields[0].value,
			 "q\"b\\s/\n\t\x01\x7f caf\xc3\xa9 \xc3\xbf\xc3\x80\xc2\xaf end");
	cr_assert_eq(verify(NULL, &res), 0, "%s", res.detail);
	free(f.data);
}

Test(audit, bad_field_key_and_oversized_value_are_refused)
{
	struct audit *a;
	char *big = malloc(AUDIT_VALUE_MAX + 2);
	struct audit_field bad_key = AUDIT_F_STR("Bad-Key", "x");
	struct audit_field too_big;

	cr_assert_not_null(big);
	memset(big, 'a', AUDIT_VALUE_MAX + 1);
	big[AUDIT_VALUE_MAX + 1] = '\0';
	too_big = AUDIT_F_STR("v", big);
	cr_assert_eq(audit_open(logpath, key, NULL, &a), 0);
	cr_assert_eq(audit_append(a, AUDIT_LOGIN, &bad_key, 1, NULL), FGW_ERR_INVALID);
	cr_assert_eq(audit_append(a, AUDIT_LOGIN, &too_big, 1, NULL), FGW_ERR_TOO_LARGE);
	cr_assert_eq(audit_append(a, AUDIT_EVENT_COUNT, NULL, 0, NULL), FGW_ERR_INVALID);
	cr_assert_eq(audit_last_seq(a), 0);
	cr_assert_eq(audit_close(a), 0);
	free(big);
}

Test(audit, record_over_the_line_limit_is_refused)
{
	struct audit *a;
	struct audit_field f[8];
	char *v = malloc(AUDIT_VALUE_MAX + 1);

	cr_assert_not_null(v);
	memset(v, '"', AUDIT_VALUE_MAX);   /* each becomes two bytes */
	v[AUDIT_VALUE_MAX] = '\0';
	for (int i = 0; i < 8; i++)
		f[i] = AUDIT_F_STR("v", v);
	cr_assert_eq(audit_open(logpath, key, NULL, &a), 0);
	cr_assert_eq(audit_append(a, AUDIT_LOGIN, f, 8, NULL), FGW_ERR_TOO_LARGE);
	cr_assert_eq(audit_close(a), 0);
	free(v);
}

Test(audit, second_writer_continues_the_chain)
{
	struct audit_verify_result res;
	struct audit *a, *b;
	uint64_t sa = 0, sb = 0;

	cr_assert_eq(audit_open(logpath, key, NULL, &a), 0);
	cr_assert_eq(audit_open(logpath, key, NULL, &b), 0);
	cr_assert_eq(audit_append(a, AUDIT_LOGIN, NULL, 0, &sa), 0);
	cr_assert_eq(audit_append(b, AUDIT_LOGIN, NULL, 0, &sb), 0);
	cr_assert_eq(sb, sa + 1);
	cr_assert_eq(audit_append(a, AUDIT_LOGIN, NULL, 0, &sa), 0);
	cr_assert_eq(sa, sb + 1);
	cr_assert_eq(audit_close(b), 0);
	cr_assert_eq(audit_close(a), 0);
	cr_assert_eq(audit_verify_file(logpath, key, NULL, &res), 0, "%s", res.detail);
}

Test(audit, log_readable_by_others_is_refused)
{
	struct audit *a;

	write_log(NULL, 1);
	cr_assert_eq(chmod(logpath, 0644), 0);
	cr_assert_eq(audit_open(logpath, key, NULL, &a), FGW_ERR_PERMISSION);
}

Test(audit, new_log_file_is_owner_only)
{
	struct stat sb;

	write_log(NULL, 1);
	cr_assert_eq(stat(logpath, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600);
}

/* ---- tampering --------------------------------------------------------- */

Test(audit, wrong_key_fails_at_line_one)
{
	struct audit_verify_result res;
	uint8_t other[AUDIT_KEY_LEN] = { 9 };

	write_log(NULL, 2);
	cr_assert_eq(audit_verify_file(logpath, other, NULL, &res), FGW_ERR_TAMPERED);
	cr_assert_eq(res.problem, AUDIT_PROBLEM_EDITED);
	cr_assert_eq(res.line, 1);
}

Test(audit, edited_record_is_named)
{
	struct file f;
	char *p;

	write_log(NULL, 10);
	load(&f);
	p = strstr(f.data + f.off[4], "+81300000005");
	cr_assert_not_null(p);
	p[11] = '9';
	{
		size_t all[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

		store_lines(&f, all, 10);
	}
	expect_problem(NULL, AUDIT_PROBLEM_EDITED, 5);
	free(f.data);
}

Test(audit, deleted_record_is_named)
{
	struct file f;
	size_t keep[] = { 0, 1, 2, 3, 5, 6, 7, 8, 9 };
	struct audit_verify_result res;

	write_log(NULL, 10);
	load(&f);
	store_lines(&f, keep, 9);
	expect_problem(NULL, AUDIT_PROBLEM_DELETED, 5);
	cr_assert_eq(verify(NULL, &res), FGW_ERR_TAMPERED);
	cr_assert_eq(res.seq, 5);
	cr_assert_eq(res.records, 4);
	free(f.data);
}

Test(audit, deleted_first_record_is_named)
{
	struct file f;
	size_t keep[] = { 1, 2, 3 };

	write_log(NULL, 4);
	load(&f);
	store_lines(&f, keep, 3);
	expect_problem(NULL, AUDIT_PROBLEM_DELETED, 1);
	free(f.data);
}

Test(audit, inserted_forged_record_is_named)
{
	struct file f;
	FILE *fp;
	static const char forged[] = "{\"seq\":5,\"time\":\"2024-01-01T00:00:00.000Z\","
		"\"type\":\"login\",\"fields\":{},\"prev\":\"00000000000000000000000000"
		"00000000000000000000000000000000000000\",\"mac\":\"0000000000000000000"
		"000000000000000000000000000000000000000000000\"}\n";

	write_log(NULL, 10);
	load(&f);
	fp = fopen(logpath, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(f.data, 1, f.off[4], fp), f.off[4]);
	cr_assert_geq(fputs(forged, fp), 0);
	cr_assert_eq(fwrite(f.data + f.off[4], 1, f.len - f.off[4], fp), f.len - f.off[4]);
	cr_assert_eq(fclose(fp), 0);
	expect_problem(NULL, AUDIT_PROBLEM_INSERTED, 5);
	free(f.data);
}

Test(audit, inserted_copy_of_old_record_is_named)
{
	struct file f;
	size_t order[] = { 0, 1, 2, 3, 1, 4, 5 };

	write_log(NULL, 6);
	load(&f);
	store_lines(&f, order, 7);
	expect_problem(NULL, AUDIT_PROBLEM_INSERTED, 5);
	free(f.data);
}

Test(audit, swapped_records_are_named)
{
	struct file f;
	size_t order[] = { 0, 1, 2, 3, 5, 4, 6, 7 };

	write_log(NULL, 8);
	load(&f);
	store_lines(&f, order, 8);
	expect_problem(NULL, AUDIT_PROBLEM_REORDERED, 5);
	free(f.data);
}

Test(audit, truncated_log_is_caught_by_the_catalog_head)
{
	struct catalog *cat;
	struct file f;
	size_t keep[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	struct audit_verify_result res;

	cr_assert_eq(catalog_open(dbpath, &cat), 0);
	write_log(cat, 10);
	load(&f);
	store_lines(&f, keep, 8);
	cr_assert_eq(verify(NULL, &res), 0, "without the head it looks whole");
	expect_problem(cat, AUDIT_PROBLEM_TRUNCATED, 9);
	cr_assert_eq(verify(cat, &res), FGW_ERR_TAMPERED);
	cr_assert_eq(res.seq, 9);
	cr_assert_not_null(strstr(res.detail, "9..10"), "%s", res.detail);
	catalog_close(cat);
	free(f.data);
}

Test(audit, emptied_log_is_caught_by_the_catalog_head)
{
	struct catalog *cat;
	FILE *fp;

	cr_assert_eq(catalog_open(dbpath, &cat), 0);
	write_log(cat, 3);
	fp = fopen(logpath, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fclose(fp), 0);
	expect_problem(cat, AUDIT_PROBLEM_TRUNCATED, 1);
	catalog_close(cat);
}

Test(audit, garbage_line_is_malformed)
{
	struct file f;
	FILE *fp;

	write_log(NULL, 3);
	load(&f);
	fp = fopen(logpath, "ab");
	cr_assert_not_null(fp);
	cr_assert_gt(fputs("hello world\n", fp), -1);
	cr_assert_eq(fclose(fp), 0);
	expect_problem(NULL, AUDIT_PROBLEM_MALFORMED, 4);
	free(f.data);
}

Test(audit, open_refuses_a_tampered_log)
{
	struct file f;
	size_t keep[] = { 0, 2 };
	struct audit *a;

	write_log(NULL, 3);
	load(&f);
	store_lines(&f, keep, 2);
	cr_assert_eq(audit_open(logpath, key, NULL, &a), FGW_ERR_TAMPERED);
	free(f.data);
}

Test(audit, accepted_tampered_log_records_the_break)
{
	struct file f, g;
	size_t keep[] = { 0, 2 };
	struct audit_options opts = { .accept_tampered = true };
	struct audit *a;

	write_log(NULL, 3);
	load(&f);
	store_lines(&f, keep, 2);
	cr_assert_eq(audit_open(logpath, key, &opts, &a), 0);
	cr_assert_eq(audit_last_seq(a), 4);
	cr_assert_eq(audit_close(a), 0);
	load(&g);
	cr_assert_eq(g.lines, 3);
	cr_assert_not_null(strstr(g.data + g.off[2], "\"type\":\"security\""));
	cr_assert_not_null(strstr(g.data + g.off[2], "\"problem\":\"deleted\""));
	/* The original break is still reported first. */
	expect_problem(NULL, AUDIT_PROBLEM_DELETED, 2);
	free(f.data);
	free(g.data);
}

/* ---- torn tail --------------------------------------------------------- */

Test(audit, torn_tail_is_reported_then_repaired_and_logged)
{
	struct file f, g;
	struct audit *a;
	struct audit_verify_result res;
	FILE *fp;

	write_log(NULL, 4);
	load(&f);
	fp = fopen(logpath, "wb");
	cr_assert_not_null(fp);
	/* Records 1-3 whole, record 4 cut in the middle. */
	cr_assert_eq(fwrite(f.data, 1, f.off[3] + 40, fp), f.off[3] + 40);
	cr_assert_eq(fclose(fp), 0);
	cr_assert_eq(verify(NULL, &res), FGW_ERR_TAMPERED);
	cr_assert_eq(res.problem, AUDIT_PROBLEM_TORN);
	cr_assert_eq(res.line, 4);
	cr_assert_eq(res.records, 3);
	cr_assert_eq(res.good_bytes, f.off[3]);

	cr_assert_eq(audit_open(logpath, key, NULL, &a), 0);
	cr_assert_eq(audit_last_seq(a), 4);   /* the repair record */
	cr_assert_eq(audit_close(a), 0);
	cr_assert_eq(verify(NULL, &res), 0, "%s", res.detail);
	load(&g);
	cr_assert_eq(g.lines, 4);
	cr_assert_not_null(strstr(g.data + g.off[3], "\"type\":\"log_repaired\","
				  "\"fields\":{\"dropped_bytes\":40,\"line\":4,"));
	free(f.data);
	free(g.data);
}

/* ---- clock ------------------------------------------------------------- */

struct fake_clock {
	int64_t real, mono;
};

static int64_t fake_real(void *arg)
{
	return ((struct fake_clock *)arg)->real;
}

static int64_t fake_mono(void *arg)
{
	return ((struct fake_clock *)arg)->mono;
}

Test(audit, clock_jump_beyond_bound_is_recorded)
{
	struct fake_clock fc = { .real = 1700000000000, .mono = 5000 };
	struct audit_clock clk = { fake_real, fake_mono, &fc };
	struct audit_options opts = { .clock = &clk };
	struct audit *a;
	struct file f;

	cr_assert_eq(audit_open(logpath, key, &opts, &a), 0);
	fc.real += 1000, fc.mono += 1000;
	cr_assert_eq(audit_check_clock(a, 2000), 0);
	fc.real += 1500, fc.mono += 0;          /* 1.5 s drift: within bound */
	cr_assert_eq(audit_check_clock(a, 2000), 0);
	fc.real -= 3600000, fc.mono += 1000;    /* set back by an hour */
	cr_assert_eq(audit_check_clock(a, 2000), 1);
	cr_assert_eq(audit_last_seq(a), 1);
	cr_assert_eq(audit_close(a), 0);
	load(&f);
	cr_assert_not_null(strstr(f.data, "\"type\":\"clock_jump\",\"fields\":{"
		"\"jump_ms\":-3601000,\"from\":\"2023-11-14T22:13:23.500Z\","
		"\"to\":\"2023-11-14T21:13:22.500Z\",\"bound_ms\":2000}"), "%s", f.data);
	free(f.data);
}

Test(audit, record_time_comes_from_the_clock)
{
	struct fake_clock fc = { .real = 86400000LL * 365 + 1234, .mono = 0 };
	struct audit_clock clk = { fake_real, fake_mono, &fc };
	struct audit_options opts = { .clock = &clk };
	struct audit *a;
	struct file f;
	struct audit_record rec;
	char scratch[AUDIT_RECORD_MAX];

	cr_assert_eq(audit_open(logpath, key, &opts, &a), 0);
	cr_assert_eq(audit_append(a, AUDIT_START, NULL, 0, NULL), 0);
	cr_assert_eq(audit_close(a), 0);
	load(&f);
	cr_assert_eq(audit_parse_line(f.data, f.len - 1, scratch, sizeof scratch, &rec), 0);
	cr_assert_str_eq(rec.time, "1971-01-01T00:00:01.234Z");
	cr_assert_eq(rec.time_ms, fc.real);
	free(f.data);
}

/* ---- syslog ------------------------------------------------------------ */

static int listener(int type, uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, type, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	if (type == SOCK_STREAM)
		cr_assert_eq(listen(fd, 4), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Checks an RFC 5424 message against the record line in the log. */
static void check_5424(const char *msg, size_t len, const char *line, size_t line_len)
{
	char want[200];
	const char *sd, *mac = line + line_len - 2 - 64;

	cr_assert_eq(strncmp(msg, "<85>1 ", 6), 0, "%.*s", (int)len, msg);
	/* TIMESTAMP HOSTNAME APP-NAME PROCID MSGID */
	cr_assert_not_null(strstr(msg, " testhost faxgw "));
	cr_assert_eq(str_format(want, sizeof want, " login [faxgw@32473 seq=\"1\" "
				"type=\"login\" mac=\"%.64s\"] ", mac), 0);
	sd = strstr(msg, want);
	cr_assert_not_null(sd, "%.*s", (int)len, msg);
	cr_assert_eq(len, (size_t)(sd - msg) + strlen(want) + line_len);
	cr_assert_eq(memcmp(sd + strlen(want), line, line_len), 0);
}

static void forward_one(const char *target, struct file *f)
{
	struct audit_syslog *s;
	struct audit_options opts;
	struct audit *a;
	struct audit_field fld = AUDIT_F_STR("user", "admin");

	cr_assert_eq(audit_syslog_open(target, "testhost", &s), 0);
	opts = (struct audit_options){ .forward = s };
	cr_assert_eq(audit_open(logpath, key, &opts, &a), 0);
	cr_assert_eq(audit_append(a, AUDIT_LOGIN, &fld, 1, NULL), 0);
	cr_assert_eq(audit_close(a), 0);
	cr_assert_eq(audit_syslog_dropped(s), 0);
	audit_syslog_close(s);
	load(f);
}

Test(audit, records_reach_a_udp_syslog_collector)
{
	uint16_t port;
	int fd = listener(SOCK_DGRAM, &port);
	char target[64], msg[8192];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct file f;
	ssize_t n;

	cr_assert_eq(str_format(target, sizeof target, "udp:127.0.0.1:%u", port), 0);
	forward_one(target, &f);
	cr_assert_eq(poll(&pfd, 1, 2000), 1);
	n = recv(fd, msg, sizeof msg - 1, 0);
	cr_assert_gt(n, 0);
	msg[n] = '\0';
	check_5424(msg, (size_t)n, f.data, f.len - 1);
	close(fd);
	free(f.data);
}

Test(audit, records_reach_a_tcp_syslog_collector_octet_counted)
{
	uint16_t port;
	int lfd = listener(SOCK_STREAM, &port), cfd;
	char target[64], msg[8192], *sp;
	struct file f;
	size_t got = 0;
	long long framed;
	ssize_t n;

	cr_assert_eq(str_format(target, sizeof target, "tcp:127.0.0.1:%u", port), 0);
	forward_one(target, &f);
	cfd = accept(lfd, NULL, NULL);
	cr_assert_geq(cfd, 0);
	while ((n = recv(cfd, msg + got, sizeof msg - 1 - got, 0)) > 0)
		got += (size_t)n;
	msg[got] = '\0';
	sp = strchr(msg, ' ');
	cr_assert_not_null(sp);
	*sp = '\0';
	cr_assert_eq(str_to_int(msg, 1, 8192, &framed), 0);
	cr_assert_eq((size_t)framed, got - (size_t)(sp + 1 - msg));
	check_5424(sp + 1, (size_t)framed, f.data, f.len - 1);
	close(cfd);
	close(lfd);
	free(f.data);
}

Test(audit, unreachable_collector_never_fails_an_append)
{
	uint16_t port;
	int lfd = listener(SOCK_STREAM, &port);
	char target[64];
	struct audit_syslog *s;
	struct audit_options opts;
	struct audit *a;

	close(lfd);   /* nobody listens there any more */
	cr_assert_eq(str_format(target, sizeof target, "tcp:127.0.0.1:%u", port), 0);
	cr_assert_eq(audit_syslog_open(target, NULL, &s), 0);
	opts = (struct audit_options){ .forward = s };
	cr_assert_eq(audit_open(logpath, key, &opts, &a), 0);
	cr_assert_eq(audit_append(a, AUDIT_START, NULL, 0, NULL), 0);
	cr_assert_eq(audit_close(a), 0);
	cr_assert_eq(audit_syslog_dropped(s), 1);
	audit_syslog_close(s);
}

Test(audit, bad_syslog_target_is_refused)
{
	struct audit_syslog *s;

	cr_assert_eq(audit_syslog_open("127.0.0.1:514", NULL, &s), FGW_ERR_PARSE);
	cr_assert_eq(audit_syslog_open("udp:127.0.0.1:0", NULL, &s), FGW_ERR_PARSE);
	cr_assert_eq(audit_syslog_open("udp:127.0.0.1", NULL, &s), FGW_ERR_PARSE);
	cr_assert_eq(audit_syslog_open("udp:[::1]:514", NULL, &s), 0);
	audit_syslog_close(s);
}

/* ---- parsing ----------------------------------------------------------- */

Test(audit, event_names_round_trip)
{
	enum audit_event ev;

	for (int i = 0; i < AUDIT_EVENT_COUNT; i++) {
		cr_assert_not_null(audit_event_name((enum audit_event)i));
		cr_assert_eq(audit_event_parse(audit_event_name((enum audit_event)i), &ev), 0);
		cr_assert_eq((int)ev, i);
	}
	cr_assert_eq(audit_event_parse("nope", &ev), FGW_ERR_NOT_FOUND);
	cr_assert_null(audit_event_name(AUDIT_EVENT_COUNT));
}

Test(audit, parser_rejects_trailing_junk_and_bad_escapes)
{
	struct audit_record rec;
	char scratch[AUDIT_RECORD_MAX];
	static const char good[] = "{\"seq\":1,\"time\":\"2024-01-01T00:00:00.000Z\","
		"\"type\":\"x\",\"fields\":{\"a\":\"\\u00e9\\ud83d\\ude00\",\"b\":-5},"
		"\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"mac\":\"0000000000000000000000000000000000000000000000000000000000000000\"}";
	char bad[sizeof good + 4];

	cr_assert_eq(audit_parse_line(good, strlen(good), scratch, sizeof scratch, &rec), 0);
	cr_assert_str_eq(rec.fields[0].value, "\xc3\xa9\xf0\x9f\x98\x80");
	cr_assert_str_eq(rec.fields[1].value, "-5");
	cr_assert(rec.fields[1].is_number);
	cr_assert_eq(str_format(bad, sizeof bad, "%s}", good), 0);
	cr_assert_eq(audit_parse_line(bad, strlen(bad), scratch, sizeof scratch, &rec),
		     FGW_ERR_PARSE);
	cr_assert_eq(str_copy(bad, sizeof bad, good), 0);
	memcpy(strstr(bad, "\\ude00"), "\\u0000", 6);
	cr_assert_eq(audit_parse_line(bad, strlen(bad), scratch, sizeof scratch, &rec),
		     FGW_ERR_PARSE);
}
