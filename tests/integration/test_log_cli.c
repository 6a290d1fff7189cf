/* faxgw log show|export|verify on a real data directory (keys made by
 * keys_create, records written through the audit API). */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/commands.h"
#include "storage/audit.h"
#include "storage/catalog.h"
#include "storage/keys.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static char dir[256], logpath[300], outpath[300];

static void write_records(void)
{
	struct keys *k;
	uint8_t key[AUDIT_KEY_LEN];
	struct catalog *cat;
	struct audit *a;
	struct audit_options opts;
	char db[300];
	struct audit_fax in = { .direction = "in", .remote_number = "+81311112222",
				.remote_ident = "EVIL\x1b[31mRED", .sub = "1234",
				.mailbox = "1234", .pages = 2, .duration_ms = 30000,
				.bit_rate = 9600, .result = "ok" };
	struct audit_fax out = { .direction = "out", .remote_number = "0355556666",
				 .pages = 1, .result = "ok" };
	struct audit_field user = AUDIT_F_STR("user", "admin");

	cr_assert_eq(keys_create(dir), 0);
	cr_assert_eq(keys_load(dir, &k), 0);
	cr_assert_eq(keys_derive(k, KEYS_PURPOSE_AUDIT_MAC, key), 0);
	keys_free(k);
	cr_assert_eq(str_format(db, sizeof db, "%s/catalog.db", dir), 0);
	cr_assert_eq(catalog_open(db, &cat), 0);
	opts = (struct audit_options){ .catalog = cat };
	cr_assert_eq(audit_open(logpath, key, &opts, &a), 0);
	OPENSSL_cleanse(key, sizeof key);
	cr_assert_eq(audit_append(a, AUDIT_START, NULL, 0, NULL), 0);
	cr_assert_eq(audit_fax(a, AUDIT_FAX_RECEIVED, &in, NULL), 0);
	cr_assert_eq(audit_append(a, AUDIT_LOGIN, &user, 1, NULL), 0);
	cr_assert_eq(audit_fax(a, AUDIT_FAX_SENT, &out, NULL), 0);
	cr_assert_eq(audit_close(a), 0);
	catalog_close(cat);
}

static void setup(void)
{
	log_init("test_log_cli", true, LOG_LEVEL_ERROR);
	cr_assert_eq(str_copy(dir, sizeof dir, "/tmp/fgw-logcli-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(str_format(logpath, sizeof logpath, "%s/audit.log", dir), 0);
	cr_assert_eq(str_format(outpath, sizeof outpath, "%s/out.txt", dir), 0);
	write_records();
}

static void teardown(void)
{
	char cmd[400];

	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", dir), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(log_cli, .init = setup, .fini = teardown);

/* Runs cmd_log with stdout captured; returns its status, output in buf. */
static int run(char **argv, int argc, char *buf, size_t size)
{
	int saved, fd, rc;
	ssize_t n;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(outpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(saved, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	rc = cmd_log(argc, argv);
	fflush(stdout);
	cr_assert_eq(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	n = pread(fd, buf, size - 1, 0);
	close(fd);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
	return rc;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

Test(log_cli, verify_passes_on_an_intact_log)
{
	char *argv[] = { "log", "verify", "--data", dir, NULL }, out[4096];

	cr_assert_eq(run(argv, ARGC(argv), out, sizeof out), 0, "%s", out);
	cr_assert_not_null(strstr(out, "ok, 4 records, last record 4"), "%s", out);
}

Test(log_cli, verify_names_a_deleted_record)
{
	char *argv[] = { "log", "verify", "--data", dir, NULL }, out[4096];
	char cmd[600];

	cr_assert_eq(str_format(cmd, sizeof cmd, "sed -i 2d '%s'", logpath), 0);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(run(argv, ARGC(argv), out, sizeof out), 1);
	cr_assert_not_null(strstr(out, "FAILED: deleted at line 2 (record 2 expected)"),
			   "%s", out);
}

Test(log_cli, verify_names_a_truncated_log_and_json_says_so)
{
	char *argv[] = { "log", "verify", "--data", dir, "--json", NULL }, out[4096];
	char cmd[600];

	cr_assert_eq(str_format(cmd, sizeof cmd, "sed -i '$d' '%s'", logpath), 0);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(run(argv, ARGC(argv), out, sizeof out), 1);
	cr_assert_not_null(strstr(out, "{\"ok\":false,\"problem\":\"truncated\",\"line\":4,"),
			   "%s", out);
}

Test(log_cli, show_filters_by_type_and_prints_json_lines)
{
	char *argv[] = { "log", "show", "--data", dir, "--type", "fax_received", "--json",
			 NULL }, out[8192];

	cr_assert_eq(run(argv, ARGC(argv), out, sizeof out), 0);
	cr_assert_eq(count_lines(out), 1, "%s", out);
	cr_assert_eq(strncmp(out, "{\"seq\":2,", 9), 0, "%s", out);
}

Test(log_cli, show_filters_by_number_and_mailbox)
{
	char *a1[] = { "log", "show", "--data", dir, "--number", "0355556666", NULL };
	char *a2[] = { "log", "show", "--data", dir, "--mailbox", "1234", NULL };
	char out[8192];

	cr_assert_eq(run(a1, ARGC(a1), out, sizeof out), 0);
	cr_assert_eq(count_lines(out), 1, "%s", out);
	cr_assert_not_null(strstr(out, "fax_sent"));
	cr_assert_eq(run(a2, ARGC(a2), out, sizeof out), 0);
	cr_assert_eq(count_lines(out), 1, "%s", out);
	cr_assert_not_null(strstr(out, "fax_received"));
}

Test(log_cli, show_filters_by_time)
{
	char *past[] = { "log", "show", "--data", dir, "--until", "2000-01-01", NULL };
	char *now[] = { "log", "show", "--data", dir, "--since", "2000-01-01T00:00Z", NULL };
	char out[8192];

	cr_assert_eq(run(past, ARGC(past), out, sizeof out), 0);
	cr_assert_eq(count_lines(out), 0, "%s", out);
	cr_assert_eq(run(now, ARGC(now), out, sizeof out), 0);
	cr_assert_eq(count_lines(out), 4, "%s", out);
}

Test(log_cli, show_never_prints_raw_control_bytes)
{
	char *argv[] = { "log", "show", "--data", dir, NULL }, out[8192];

	cr_assert_eq(run(argv, ARGC(argv), out, sizeof out), 0);
	cr_assert_null(strchr(out, '\x1b'), "%s", out);
	cr_assert_not_null(strstr(out, "remote_ident=EVIL\\x1b[31mRED"), "%s", out);
}

Test(log_cli, export_csv_has_columns_and_guards_formulas)
{
	char *argv[] = { "log", "export", "--csv", "--data", dir, NULL }, out[8192];
	static const char head[] = "\"seq\",\"time\",\"type\",\"direction\",\"remote_number\",";

	cr_assert_eq(run(argv, ARGC(argv), out, sizeof out), 0);
	cr_assert_eq(strncmp(out, head, strlen(head)), 0, "%s", out);
	cr_assert_null(strchr(out, '\x1b'), "%s", out);
	cr_assert_not_null(strstr(out, "\"EVIL\\x1b[31mRED\""), "%s", out);
	cr_assert_eq(count_lines(out), 5, "%s", out);
	cr_assert_not_null(strstr(out, ",\"in\",\"'+81311112222\","), "%s", out);
	cr_assert_not_null(strstr(out, "\"login\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\","
				  "\"\",\"\",\"user=admin\"\r\n"), "%s", out);
}

Test(log_cli, usage_errors_exit_2)
{
	char *a1[] = { "log", NULL };
	char *a2[] = { "log", "frobnicate", "--data", dir, NULL };
	char *a3[] = { "log", "show", "--type", "nonsense", NULL };
	char *a4[] = { "log", "show", "--since", "yesterday", NULL };
	char *a5[] = { "log", "export", "--data", dir, NULL };
	char out[4096];

	cr_assert_eq(run(a1, ARGC(a1), out, sizeof out), 2);
	cr_assert_eq(run(a2, ARGC(a2), out, sizeof out), 2);
	cr_assert_eq(run(a3, ARGC(a3), out, sizeof out), 2);
	cr_assert_eq(run(a4, ARGC(a4), out, sizeof out), 2);
	cr_assert_eq(run(a5, ARGC(a5), out, sizeof out), 2);
}

Test(log_cli, verify_without_a_data_directory_fails_clearly)
{
	char missing[320], *argv[] = { "log", "verify", "--data", missing, NULL };
	char out[4096];

	cr_assert_eq(str_format(missing, sizeof missing, "%s/nope", dir), 0);
	cr_assert_eq(run(argv, ARGC(argv), out, sizeof out), 1);
}

Test(log_cli, help_exits_0)
{
	char *argv[] = { "log", "--help", NULL }, out[4096];

	cr_assert_eq(run(argv, ARGC(argv), out, sizeof out), 0);
	cr_assert_not_null(strstr(out, "faxgw log verify"));
}
