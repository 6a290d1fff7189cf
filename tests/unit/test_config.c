/* gateway/config: the declared-key table, every error reported with its
 * file, line, section and key, and the shipped default configuration. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/config_keys.h"

#define MAX_PROBLEMS 16

struct problems {
	int count;
	char msg[MAX_PROBLEMS][1400];
};

static void collect(void *arg, const char *msg)
{
	struct problems *p = arg;

	if (p->count < MAX_PROBLEMS)
		cr_assert_eq(str_copy(p->msg[p->count], sizeof p->msg[0], msg), FGW_OK);
	p->count++;
}

static char tmp_path[64];

static const char *write_ini(const char *text)
{
	int fd;

	cr_assert_eq(str_copy(tmp_path, sizeof tmp_path, "/tmp/faxgw-config-XXXXXX"), FGW_OK);
	fd = mkstemp(tmp_path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(close(fd), 0);
	return tmp_path;
}

static void remove_ini(void)
{
	if (tmp_path[0])
		unlink(tmp_path);
	tmp_path[0] = '\0';
}

static int load(const char *text, struct problems *p, struct config **cfg)
{
	const char *path = write_ini(text);

	memset(p, 0, sizeof *p);
	return config_load(path, collect, p, cfg);
}

TestSuite(config, .fini = remove_ini);

Test(config, shipped_default_loads_and_documents_every_key)
{
	struct problems p = {0};
	struct config *cfg = NULL;
	FILE *f;
	char text[16384];
	size_t n;

	cr_assert_eq(config_load("config/faxgw.ini", collect, &p, &cfg), FGW_OK,
		     "first problem: %s", p.msg[0]);
	cr_assert_eq(p.count, 0);
	config_free(cfg);
	f = fopen("config/faxgw.ini", "r");
	cr_assert_not_null(f);
	n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	for (size_t i = 0; i < config_key_count; i++) {
		char needle[80], *at;
		cr_assert_eq(str_format(needle, sizeof needle, "\n%s =", config_keys[i].name), FGW_OK);
		at = strstr(text, needle);
		cr_assert_not_null(at, "key %s missing from faxgw.ini", config_keys[i].name);
		/* The line above the key must be a comment explaining it. */
		cr_assert(at > text && at[-1] != '\n');
		const char *prev = at - 1;
		while (prev > text && prev[-1] != '\n')
			prev--;
		cr_assert_eq(*prev, ';', "key %s has no comment above it", config_keys[i].name);
	}
}

Test(config, values_and_defaults_are_typed)
{
	struct problems p;
	struct config *cfg = NULL;

	cr_assert_eq(load("[fax]\necm = off\nmodems = v29, v27ter\nlocal_ident = +81 3 1234\n"
			  "[security]\npin_max_failures = 5\n", &p, &cfg), FGW_OK);
	cr_assert_not(config_bool(cfg, "fax", "ecm"));
	cr_assert(config_list_has(cfg, "fax", "modems", "v27ter"));
	cr_assert(config_list_has(cfg, "fax", "modems", "v29"));
	cr_assert_not(config_list_has(cfg, "fax", "modems", "v17"));
	cr_assert_str_eq(config_str(cfg, "fax", "local_ident"), "+81 3 1234");
	cr_assert_eq(config_int(cfg, "security", "pin_max_failures"), 5);
	cr_assert_eq(config_int(cfg, "security", "pin_lock_minutes"), 15);
	cr_assert_str_eq(config_str(cfg, "general", "log_level"), "info");
	config_free(cfg);
}

Test(config, unknown_key_names_file_line_section_and_key)
{
	struct problems p;
	struct config *cfg = NULL;
	char expect[128];

	cr_assert_eq(load("[fax]\n\necm = yes\necn = yes\n", &p, &cfg), FGW_ERR_CONFIG);
	cr_assert_null(cfg);
	cr_assert_eq(p.count, 1);
	cr_assert_eq(str_format(expect, sizeof expect, "%s:4: [fax] ecn: unknown key", tmp_path),
		     FGW_OK);
	cr_assert(strstr(p.msg[0], expect) != NULL, "got: %s", p.msg[0]);
}

Test(config, unknown_section_is_an_error)
{
	struct problems p;
	struct config *cfg = NULL;

	cr_assert_eq(load("[general]\nlog_level = info\n[faxx]\necm = yes\n", &p, &cfg),
		     FGW_ERR_CONFIG);
	cr_assert_eq(p.count, 1);
	cr_assert(strstr(p.msg[0], ":3: [faxx]: unknown section") != NULL, "got: %s", p.msg[0]);
}

Test(config, out_of_range_number_says_what_is_allowed)
{
	struct problems p;
	struct config *cfg = NULL;

	cr_assert_eq(load("[security]\npin_max_failures = 0\n", &p, &cfg), FGW_ERR_CONFIG);
	cr_assert_eq(p.count, 1);
	cr_assert(strstr(p.msg[0], ":2: [security] pin_max_failures: bad value '0': must be "
				   "a whole number from 1 to 20") != NULL, "got: %s", p.msg[0]);
}

Test(config, every_bad_value_kind_is_refused)
{
	static const char *const bad[] = {
		"[fax]\necm = maybe\n",
		"[fax]\nmodems = v17,v34\n",
		"[fax]\nmodems = ,\n",
		"[fax]\nlocal_ident = abc\n",
		"[fax]\nlocal_ident = 123456789012345678901\n",
		"[general]\nlog_level = loud\n",
		"[security]\nscrypt_log2_n = 15x\n",
		"[audit]\nremote_protocol = sctp\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct problems p;
		struct config *cfg = NULL;
		cr_assert_eq(load(bad[i], &p, &cfg), FGW_ERR_CONFIG, "accepted: %s", bad[i]);
		cr_assert_eq(p.count, 1, "%s", bad[i]);
		cr_assert(strstr(p.msg[0], ":2: [") != NULL, "got: %s", p.msg[0]);
		cr_assert(strstr(p.msg[0], "must be") != NULL, "got: %s", p.msg[0]);
		remove_ini();
	}
}

Test(config, all_errors_are_reported_not_just_the_first)
{
	struct problems p;
	struct config *cfg = NULL;

	cr_assert_eq(load("stray = 1\n[fax]\necm = 2\nfoo = 1\n[security]\npin_lock_minutes = 0\n",
			  &p, &cfg), FGW_ERR_CONFIG);
	cr_assert_eq(p.count, 4);
	cr_assert(strstr(p.msg[0], ":1: stray: key outside any [section]") != NULL, "%s", p.msg[0]);
}

Test(config, duplicate_key_is_an_error)
{
	struct problems p;
	struct config *cfg = NULL;

	cr_assert_eq(load("[fax]\necm = yes\necm = no\n", &p, &cfg), FGW_ERR_CONFIG);
	cr_assert_eq(p.count, 1);
	cr_assert(strstr(p.msg[0], ":2: [fax] ecm: given 2 times") != NULL, "%s", p.msg[0]);
}

Test(config, syntax_error_is_reported)
{
	struct problems p;
	struct config *cfg = NULL;

	cr_assert_neq(load("[fax\necm yes\n", &p, &cfg), FGW_OK);
	cr_assert_null(cfg);
	cr_assert_geq(p.count, 1);
	cr_assert(strstr(p.msg[0], tmp_path) != NULL, "%s", p.msg[0]);
}

Test(config, missing_file_is_not_found)
{
	struct problems p = {0};
	struct config *cfg = NULL;

	cr_assert_eq(config_load("/nonexistent/faxgw.ini", collect, &p, &cfg), FGW_ERR_NOT_FOUND);
	cr_assert_eq(p.count, 1);
	cr_assert(strstr(p.msg[0], "/nonexistent/faxgw.ini: cannot open") != NULL, "%s", p.msg[0]);
}

Test(config, control_characters_in_values_are_not_echoed)
{
	struct problems p;
	struct config *cfg = NULL;

	cr_assert_eq(load("[fax]\nheader_info = a\x1b[2Jb\n", &p, &cfg), FGW_ERR_CONFIG);
	cr_assert_eq(p.count, 1);
	cr_assert_null(strchr(p.msg[0], '\x1b'));
}

Test(config, section_with_colon_is_refused_not_crashed)
{
	struct problems p;
	struct config *cfg = NULL;

	/* Found by fuzz_config: iniparser stores this section as a key of
	 * [fax] without a value. */
	cr_assert_eq(load("[fax]\necm = yes\n[fax:ecm]\n", &p, &cfg), FGW_ERR_CONFIG);
	cr_assert_null(cfg);
	cr_assert_geq(p.count, 1);
}
