/* faxgw mailbox create|list|set-pin|delete and faxgw release on a real
 * data directory, run in-process with stdin (the PIN lines, --pin-stdin)
 * and stdout redirected to files. A config with the lowest scrypt cost
 * keeps it fast. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/commands.h"
#include "gateway/release.h"
#include "storage/store.h"
#include "storage/store_mailbox.h"
#include "tests/support/fax_harness.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)
#define PIN "482916"

static char tmpdir[256], data[300], conf[300], inpath[300], outpath[300], outdir[300];

static void setup(void)
{
	FILE *f;

	log_init("test_mailbox_cli", true, LOG_LEVEL_ERROR);
	cr_assert_eq(str_copy(tmpdir, sizeof tmpdir, "/tmp/fgw-mbcli-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(tmpdir));
	cr_assert_eq(str_format(data, sizeof data, "%s/data", tmpdir), 0);
	cr_assert_eq(str_format(conf, sizeof conf, "%s/faxgw.ini", tmpdir), 0);
	cr_assert_eq(str_format(inpath, sizeof inpath, "%s/stdin", tmpdir), 0);
	cr_assert_eq(str_format(outpath, sizeof outpath, "%s/stdout", tmpdir), 0);
	cr_assert_eq(str_format(outdir, sizeof outdir, "%s/out", tmpdir), 0);
	cr_assert_eq(mkdir(outdir, 0700), 0);
	cr_assert_eq(store_init(data), 0);
	f = fopen(conf, "w");
	cr_assert_not_null(f);
	fprintf(f, "[security]\nscrypt_log2_n = 14\npin_max_failures = 3\n"
		   "pin_lock_minutes = 15\n");
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(conf, 0600), 0);
}

static void teardown(void)
{
	char cmd[400];

	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmpdir), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(mailbox_cli, .init = setup, .fini = teardown, .timeout = 120);

/* Runs a command with stdin from input and stdout captured into out. */
static int run(int (*cmd)(int, char **), char **argv, int argc, const char *input,
	       char *out, size_t size)
{
	int saved_in, saved_out, in, fd, rc;
	ssize_t n;

	in = open(inpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(in, 0);
	cr_assert_eq(write(in, input, strlen(input)), (ssize_t)strlen(input));
	cr_assert_eq(lseek(in, 0, SEEK_SET), 0);
	fflush(stdout);
	saved_in = dup(STDIN_FILENO);
	saved_out = dup(STDOUT_FILENO);
	fd = open(outpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(dup2(in, STDIN_FILENO), STDIN_FILENO);
	cr_assert_eq(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	rc = cmd(argc, argv);
	fflush(stdout);
	cr_assert_eq(dup2(saved_out, STDOUT_FILENO), STDOUT_FILENO);
	cr_assert_eq(dup2(saved_in, STDIN_FILENO), STDIN_FILENO);
	close(saved_in);
	close(saved_out);
	close(in);
	n = pread(fd, out, size - 1, 0);
	close(fd);
	cr_assert_geq(n, 0);
	out[n] = '\0';
	return rc;
}

static int create(const char *number, const char *extra, const char *input)
{
	char *argv[] = {"mailbox", "create", (char *)number, "--name", "Legal dept",
			"--owner", "alice", "--pin-stdin", "--data", data, "--config", conf,
			(char *)extra, NULL};
	char out[1024];

	return run(cmd_mailbox, argv, ARGC(argv) - (extra == NULL), input, out, sizeof out);
}

static void list_json(char *out, size_t size)
{
	char *argv[] = {"mailbox", "list", "--json", "--data", data, "--config", conf, NULL};

	cr_assert_eq(run(cmd_mailbox, argv, ARGC(argv), "", out, size), 0);
}

static struct store *open_store(void)
{
	static const struct store_options o = {.pin_cost = {10, 8, 1}};
	struct store *s;

	cr_assert_eq(store_open(data, &o, &s), 0);
	return s;
}

/* Holds the ITU G4 test fax in mailbox number; id gets its id. */
static void hold(const char *number, char id[static VAULT_ID_LEN + 1])
{
	struct catalog_document meta = {.direction = CATALOG_DIR_IN};
	struct store *s = open_store();
	struct store_doc *d;
	int fd = open(testdata("itu/itutests_mmr.tif"), O_RDONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(str_copy(meta.mailbox, sizeof meta.mailbox, number), 0);
	cr_assert_eq(store_doc_create(s, &meta, &d), 0);
	cr_assert_eq(store_doc_add_page_fd(d, fd), 0);
	cr_assert_eq(store_doc_commit(d, id), 0);
	cr_assert_eq(close(fd), 0);
	cr_assert_eq(store_close(s), 0);
}

static long long held(const char *number)
{
	struct store *s = open_store();
	long long n = release_held_count(s, number);

	cr_assert_eq(store_close(s), 0);
	return n;
}

/* ---- mailbox ------------------------------------------------------------ */

Test(mailbox_cli, create_then_list_json)
{
	char out[2048];

	cr_assert_eq(create("1234", "--password=s3cret", PIN "\n"), 0);
	list_json(out, sizeof out);
	cr_assert_not_null(strstr(out, "{\"number\":\"1234\",\"name\":\"Legal dept\","
				       "\"owner\":\"alice\",\"held\":0,\"password\":true,"
				       "\"locked\":false,\"retention_days\":0}"), "%s", out);
}

Test(mailbox_cli, list_text_shows_held_count)
{
	char *argv[] = {"mailbox", "list", "--data", data, "--config", conf, NULL};
	char out[2048], id[VAULT_ID_LEN + 1];

	cr_assert_eq(create("55", NULL, PIN "\n"), 0);
	hold("55", id);
	cr_assert_eq(run(cmd_mailbox, argv, ARGC(argv), "", out, sizeof out), 0);
	cr_assert_not_null(strstr(out, "NUMBER"), "%s", out);
	cr_assert_not_null(strstr(out, "55 "), "%s", out);
	cr_assert_not_null(strstr(out, "Legal dept"), "%s", out);
	cr_assert_not_null(strstr(out, "    1 no       no"), "%s", out);
}

Test(mailbox_cli, password_from_stdin_is_stored_as_a_verifier)
{
	struct catalog_mailbox mb;
	struct store *s;

	cr_assert_eq(create("1234", "--password-stdin", PIN "\nfcodepw\n"), 0);
	s = open_store();
	cr_assert_eq(catalog_mailbox_get(store_catalog(s), "1234", &mb), 0);
	cr_assert_null(memmem(mb.pwd, mb.pwd_len, "fcodepw", 7), "never in clear");
	cr_assert_eq(store_mailbox_check_password(s, &mb, "fcodepw"), 0);
	cr_assert_eq(store_mailbox_check_password(s, &mb, "other"), FGW_ERR_BAD_PASSWORD);
	cr_assert_eq(store_close(s), 0);
}

Test(mailbox_cli, bad_pins_and_numbers_are_refused)
{
	char out[1024];

	cr_assert_eq(create("1234", NULL, "12a4\n"), 1);
	cr_assert_eq(create("1234", NULL, "123\n"), 1);
	cr_assert_eq(create("1234", NULL, "12345678901234567\n"), 1);
	cr_assert_eq(create("12-34", NULL, PIN "\n"), 2);
	list_json(out, sizeof out);
	cr_assert_str_eq(out, "[]\n");
}

Test(mailbox_cli, second_create_of_a_number_is_refused)
{
	cr_assert_eq(create("1234", NULL, PIN "\n"), 0);
	cr_assert_eq(create("1234", NULL, PIN "\n"), 1);
}

static int set_pin(const char *number, const char *extra, const char *input)
{
	char *argv[] = {"mailbox", "set-pin", (char *)number, "--pin-stdin", "--data", data,
			"--config", conf, (char *)extra, NULL};
	char out[1024];

	return run(cmd_mailbox, argv, ARGC(argv) - (extra == NULL), input, out, sizeof out);
}

static int release_list_with(const char *number, const char *pin, char *out, size_t size)
{
	char *argv[] = {"release", (char *)number, "--pin-stdin", "--json", "--data", data,
			"--config", conf, NULL};
	char input[64];

	cr_assert_eq(str_format(input, sizeof input, "%s\n", pin), 0);
	return run(cmd_release, argv, ARGC(argv), input, out, size);
}

Test(mailbox_cli, set_pin_with_the_old_pin_keeps_the_faxes)
{
	char out[2048], id[VAULT_ID_LEN + 1];

	cr_assert_eq(create("1234", NULL, PIN "\n"), 0);
	hold("1234", id);
	cr_assert_eq(set_pin("1234", NULL, PIN "\n135790\n"), 0);
	cr_assert_eq(release_list_with("1234", PIN, out, sizeof out), 1, "old PIN refused");
	cr_assert_eq(release_list_with("1234", "135790", out, sizeof out), 0);
	cr_assert_not_null(strstr(out, id), "%s", out);
}

Test(mailbox_cli, set_pin_with_a_wrong_old_pin_counts_toward_the_lockout)
{
	struct catalog_lockout l;
	struct store *s;
	bool locked;

	cr_assert_eq(create("1234", NULL, PIN "\n"), 0);
	cr_assert_eq(set_pin("1234", NULL, "000000\n135790\n"), 1);
	s = open_store();
	cr_assert_eq(release_lock_state(s, "1234", store_now_ms(), &l, &locked), 0);
	cr_assert_eq(l.failures, 1);
	cr_assert_eq(store_close(s), 0);
}

static int count_files(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

Test(mailbox_cli, force_reset_erases_the_held_faxes_with_certificates)
{
	char out[2048], id[VAULT_ID_LEN + 1], certs[400];

	cr_assert_eq(str_format(certs, sizeof certs, "%s/%s", data, STORE_CERT_DIR), 0);
	cr_assert_eq(create("1234", NULL, PIN "\n"), 0);
	hold("1234", id);
	cr_assert_eq(set_pin("1234", "--force-reset", "246802\n"), 0);
	cr_assert_eq(held("1234"), 0);
	cr_assert_geq(count_files(certs), 1, "an erasure certificate");
	cr_assert_eq(release_list_with("1234", "246802", out, sizeof out), 0);
	cr_assert_str_eq(out, "[]\n");
}

static int delete(const char *number, const char *extra)
{
	char *argv[] = {"mailbox", "delete", (char *)number, "--data", data, "--config", conf,
			(char *)extra, NULL};
	char out[1024];

	return run(cmd_mailbox, argv, ARGC(argv) - (extra == NULL), "", out, sizeof out);
}

Test(mailbox_cli, delete_refuses_while_faxes_are_held)
{
	char out[1024], id[VAULT_ID_LEN + 1];

	cr_assert_eq(create("1234", NULL, PIN "\n"), 0);
	hold("1234", id);
	cr_assert_eq(delete("1234", NULL), 1);
	cr_assert_eq(held("1234"), 1);
	cr_assert_eq(delete("1234", "--erase-held"), 0);
	list_json(out, sizeof out);
	cr_assert_str_eq(out, "[]\n");
	cr_assert_eq(delete("1234", NULL), 1, "gone");
}

Test(mailbox_cli, help_and_unknown_verbs)
{
	char *help[] = {"mailbox", "--help", NULL}, *bad[] = {"mailbox", "frob", NULL};
	char *rhelp[] = {"release", "--help", NULL}, out[8192];

	cr_assert_eq(run(cmd_mailbox, help, ARGC(help), "", out, sizeof out), 0);
	cr_assert_not_null(strstr(out, "--force-reset"), "%s", out);
	cr_assert_eq(run(cmd_mailbox, bad, ARGC(bad), "", out, sizeof out), 2);
	cr_assert_eq(run(cmd_release, rhelp, ARGC(rhelp), "", out, sizeof out), 0);
	cr_assert_not_null(strstr(out, "--keep"), "%s", out);
}

/* ---- release ------------------------------------------------------------ */

static int release_doc(const char *pin, const char *format, const char *extra, char *out,
		       size_t size)
{
	char *argv[] = {"release", "1234", "--all", "--format", (char *)format, "--out", outdir,
			"--pin-stdin", "--json", "--data", data, "--config", conf,
			(char *)extra, NULL};
	char input[64];

	cr_assert_eq(str_format(input, sizeof input, "%s\n", pin), 0);
	return run(cmd_release, argv, ARGC(argv) - (extra == NULL), input, out, size);
}

Test(mailbox_cli, release_writes_a_pdf_and_erases_the_fax)
{
	char out[2048], id[VAULT_ID_LEN + 1], path[500];
	struct stat st;

	cr_assert_eq(create("1234", NULL, PIN "\n"), 0);
	hold("1234", id);
	cr_assert_eq(release_doc(PIN, "pdf", NULL, out, sizeof out), 0, "%s", out);
	cr_assert_eq(str_format(path, sizeof path, "%s/%s.pdf", outdir, id), 0);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_not_null(strstr(out, "\"pages\":8,\"format\":\"pdf\",\"disposal\":\"erased\""),
			   "%s", out);
	cr_assert_eq(held("1234"), 0);
}

Test(mailbox_cli, release_keep_keeps_and_never_overwrites)
{
	char out[2048], id[VAULT_ID_LEN + 1], path[500], msg[256] = "";

	cr_assert_eq(create("1234", NULL, PIN "\n"), 0);
	hold("1234", id);
	cr_assert_eq(release_doc(PIN, "tiff", "--keep", out, sizeof out), 0, "%s", out);
	cr_assert_not_null(strstr(out, "\"disposal\":\"kept\""), "%s", out);
	cr_assert_eq(held("1234"), 1);
	cr_assert_eq(str_format(path, sizeof path, "%s/%s.tif", outdir, id), 0);
	cr_assert_eq(tiff_compare(path, testdata("itu/itutests_mmr.tif"), msg, sizeof msg), 0,
		     "%s", msg);
	cr_assert_eq(release_doc(PIN, "tiff", "--keep", out, sizeof out), 1,
		     "the file exists: refused");
	cr_assert_eq(tiff_compare(path, testdata("itu/itutests_mmr.tif"), msg, sizeof msg), 0,
		     "and left as it was: %s", msg);
}

Test(mailbox_cli, three_wrong_pins_lock_release)
{
	char out[2048], id[VAULT_ID_LEN + 1];

	cr_assert_eq(create("1234", NULL, PIN "\n"), 0);
	hold("1234", id);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(release_doc("111111", "tiff", NULL, out, sizeof out), 1);
	cr_assert_eq(release_doc(PIN, "tiff", NULL, out, sizeof out), 1, "locked");
	cr_assert_eq(count_files(outdir), 0, "nothing written");
	cr_assert_eq(held("1234"), 1);
}
