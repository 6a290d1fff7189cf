/* faxgw device list|set|delete on a real data directory, run in-process
 * with stdout and stderr captured into files: settings, defaults, list
 * text and JSON, refusals of bad input, and the audit trail of changes. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/commands.h"
#include "storage/catalog_devices.h"
#include "storage/store.h"

#define ARGV(...) ((char *[]){__VA_ARGS__, "--data", data, NULL})

static char tmpdir[256], data[300], outpath[300], errpath[300];
static char out[16384], err[4096];

static void setup(void)
{
	log_init("test_device_cli", true, LOG_LEVEL_ERROR);
	cr_assert_eq(str_copy(tmpdir, sizeof tmpdir, "/tmp/fgw-devcli-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(tmpdir));
	cr_assert_eq(str_format(data, sizeof data, "%s/data", tmpdir), 0);
	cr_assert_eq(str_format(outpath, sizeof outpath, "%s/stdout", tmpdir), 0);
	cr_assert_eq(str_format(errpath, sizeof errpath, "%s/stderr", tmpdir), 0);
	cr_assert_eq(store_init(data), 0);
}

static void teardown(void)
{
	char cmd[400];

	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmpdir), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(device_cli, .init = setup, .fini = teardown, .timeout = 60);

static void slurp(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	cr_assert_geq(n, 0);
	buf[n] = '\0';
	close(fd);
}

/* Runs faxgw device with argv (NULL-terminated); output in out and err. */
static int run(char **argv)
{
	int argc = 0, saved_out, saved_err, fo, fe, rc;

	while (argv[argc] != NULL)
		argc++;
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	fo = open(outpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	fe = open(errpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert(fo >= 0 && fe >= 0 && saved_out >= 0 && saved_err >= 0);
	cr_assert_eq(dup2(fo, STDOUT_FILENO), STDOUT_FILENO);
	cr_assert_eq(dup2(fe, STDERR_FILENO), STDERR_FILENO);
	rc = cmd_device(argc, argv);
	fflush(stdout);
	fflush(stderr);
	cr_assert_eq(dup2(saved_out, STDOUT_FILENO), STDOUT_FILENO);
	cr_assert_eq(dup2(saved_err, STDERR_FILENO), STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	slurp(fo, out, sizeof out);
	slurp(fe, err, sizeof err);
	return rc;
}

static void get(const char *name, struct catalog_device_entry *e)
{
	struct store *s = NULL;

	cr_assert_eq(store_open(data, NULL, &s), 0);
	cr_assert_eq(catalog_devices_get(store_catalog(s), name, e), 0, "device %s", name);
	cr_assert_eq(store_close(s), 0);
}

static void audit_text(char *buf, size_t size)
{
	char path[400];
	FILE *f;
	size_t n;

	cr_assert_eq(str_format(path, sizeof path, "%s/audit.log", data), 0);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	cr_assert_eq(fclose(f), 0);
}

Test(device_cli, help_lists_every_verb_and_option)
{
	cr_assert_eq(run((char *[]){"device", "--help", NULL}), 0);
	cr_assert(strstr(out, "faxgw device list [--json]") != NULL, "%s", out);
	cr_assert_eq(run((char *[]){"device", "set", "--help", NULL}), 0);
	cr_assert(strstr(out, "--double-entry yes|no|default") != NULL, "%s", out);
	cr_assert(strstr(out, "--deny-prefixes LIST|default") != NULL);
	cr_assert(strstr(out, "faxgw device delete NAME") != NULL);
}

Test(device_cli, set_creates_with_defaults_and_kind_fax)
{
	struct catalog_device_entry e;

	cr_assert_eq(run(ARGV("device", "set", "mfp1")), 0, "%s", err);
	cr_assert(strstr(out, "device mfp1 created") != NULL, "%s", out);
	get("mfp1", &e);
	cr_assert_str_eq(e.dev.kind, "fax");
	cr_assert_eq(e.double_entry, CATALOG_SET_DEFAULT);
	cr_assert_eq(e.international_allow, CATALOG_SET_DEFAULT);
	cr_assert_not(e.allow_prefixes.set || e.deny_prefixes.set || e.countries.set);
}

Test(device_cli, set_changes_only_what_is_given)
{
	struct catalog_device_entry e;

	cr_assert_eq(run(ARGV("device", "set", "mfp1", "--kind", "mfp", "--double-entry", "no",
			      "--deny-prefixes", "03, 0120")), 0, "%s", err);
	cr_assert_eq(run(ARGV("device", "set", "mfp1", "--international", "yes",
			      "--countries", "1,44")), 0, "%s", err);
	cr_assert(strstr(out, "device mfp1 changed") != NULL, "%s", out);
	get("mfp1", &e);
	cr_assert_str_eq(e.dev.kind, "mfp");
	cr_assert_eq(e.double_entry, CATALOG_SET_NO);
	cr_assert_eq(e.international_allow, CATALOG_SET_YES);
	cr_assert_str_eq(e.deny_prefixes.text, "03,0120", "stored in canonical form");
	cr_assert_str_eq(e.countries.text, "1,44");
	cr_assert_not(e.allow_prefixes.set);
}

Test(device_cli, default_and_empty_lists_are_different)
{
	struct catalog_device_entry e;

	cr_assert_eq(run(ARGV("device", "set", "mfp1", "--deny-prefixes", "03",
			      "--allow-prefixes", "", "--double-entry", "yes")), 0, "%s", err);
	get("mfp1", &e);
	cr_assert(e.allow_prefixes.set);
	cr_assert_str_eq(e.allow_prefixes.text, "");
	cr_assert_eq(run(ARGV("device", "set", "mfp1", "--deny-prefixes", "default",
			      "--double-entry", "default")), 0, "%s", err);
	get("mfp1", &e);
	cr_assert_not(e.deny_prefixes.set);
	cr_assert_eq(e.double_entry, CATALOG_SET_DEFAULT);
	cr_assert(e.allow_prefixes.set, "untouched");
}

Test(device_cli, list_text_and_json)
{
	cr_assert_eq(run(ARGV("device", "list")), 0, "%s", err);
	cr_assert(strstr(out, "NAME") != NULL);
	cr_assert_eq(run(ARGV("device", "list", "--json")), 0, "%s", err);
	cr_assert_str_eq(out, "[]\n");
	cr_assert_eq(run(ARGV("device", "set", "b-mfp", "--double-entry", "no",
			      "--deny-prefixes", "03,06", "--allow-prefixes", "")), 0);
	cr_assert_eq(run(ARGV("device", "set", "a-fax", "--kind", "phone",
			      "--international", "yes")), 0);
	cr_assert_eq(run(ARGV("device", "list")), 0, "%s", err);
	cr_assert(strstr(out, "a-fax") < strstr(out, "b-mfp"), "name order: %s", out);
	cr_assert(strstr(out, "03,06") != NULL, "%s", out);
	cr_assert(strstr(out, "default") != NULL, "%s", out);
	cr_assert_eq(run(ARGV("device", "list", "--json")), 0, "%s", err);
	cr_assert(strstr(out, "{\"name\":\"a-fax\",\"kind\":\"phone\",\"double_entry\":null,"
			      "\"international\":true,\"allow_prefixes\":null,"
			      "\"deny_prefixes\":null,\"countries\":null,") != NULL, "%s", out);
	cr_assert(strstr(out, "{\"name\":\"b-mfp\",\"kind\":\"fax\",\"double_entry\":false,"
			      "\"international\":null,\"allow_prefixes\":[],"
			      "\"deny_prefixes\":[\"03\",\"06\"],\"countries\":null,") != NULL,
		  "%s", out);
}

Test(device_cli, delete_forgets_and_missing_is_an_error)
{
	struct store *s = NULL;
	struct catalog_device_entry e;

	cr_assert_eq(run(ARGV("device", "set", "mfp1", "--double-entry", "no")), 0);
	cr_assert_eq(run(ARGV("device", "delete", "mfp1")), 0, "%s", err);
	cr_assert(strstr(out, "device mfp1 deleted") != NULL, "%s", out);
	cr_assert_eq(store_open(data, NULL, &s), 0);
	cr_assert_eq(catalog_devices_get(store_catalog(s), "mfp1", &e), FGW_ERR_NOT_FOUND);
	cr_assert_eq(store_close(s), 0);
	cr_assert_eq(run(ARGV("device", "delete", "mfp1")), 1);
	cr_assert(strstr(err, "no device mfp1") != NULL, "%s", err);
}

Test(device_cli, bad_input_is_refused_with_the_reason)
{
	cr_assert_eq(run(ARGV("device", "set", "mfp1", "--double-entry", "maybe")), 1);
	cr_assert(strstr(err, "--double-entry wants yes, no or default, not 'maybe'") != NULL,
		  "%s", err);
	cr_assert_eq(run(ARGV("device", "set", "mfp1", "--kind", "toaster")), 1);
	cr_assert(strstr(err, "--kind wants fax, mfp or phone") != NULL, "%s", err);
	cr_assert_eq(run(ARGV("device", "set", "mfp1", "--deny-prefixes", "03,0x")), 1);
	cr_assert(strstr(err, "--deny-prefixes: character 'x' at position 5") != NULL, "%s", err);
	cr_assert_eq(run(ARGV("device", "set", "bad name")), 2);
	cr_assert(strstr(err, "'bad name' is not a device name") != NULL, "%s", err);
	cr_assert_eq(run(ARGV("device", "set")), 2);
	cr_assert_eq(run(ARGV("device", "delete", "mfp1", "--kind", "fax")), 2);
	cr_assert_eq(run(ARGV("device", "list", "--json", "extra")), 2);
	cr_assert_eq(run(ARGV("device", "frob")), 2);
	cr_assert_eq(run(ARGV("device", "list", "--json")), 0);
	cr_assert_str_eq(out, "[]\n", "nothing was stored by the refused commands");
}

Test(device_cli, every_change_is_audited)
{
	static char log[1 << 16];

	cr_assert_eq(run(ARGV("device", "set", "mfp1", "--double-entry", "no")), 0);
	cr_assert_eq(run(ARGV("device", "set", "mfp1", "--deny-prefixes", "03")), 0);
	cr_assert_eq(run(ARGV("device", "delete", "mfp1")), 0);
	audit_text(log, sizeof log);
	cr_assert(strstr(log, "device_create") != NULL, "%s", log);
	cr_assert(strstr(log, "double_entry=no") != NULL, "%s", log);
	cr_assert(strstr(log, "device_set") != NULL, "%s", log);
	cr_assert(strstr(log, "deny_prefixes=03") != NULL, "%s", log);
	cr_assert(strstr(log, "device_delete") != NULL, "%s", log);
	cr_assert(strstr(log, "config_change") != NULL, "%s", log);
}
