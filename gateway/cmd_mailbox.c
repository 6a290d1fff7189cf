/* faxgw mailbox: create, list, set-pin and delete confidential mailboxes
 * (F-code mailboxes, seed 000 4.4 case 2). The PIN seals the mailbox's
 * key (storage/store.h): without it nobody, the admin included, can open
 * the faxes held there. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/admin.h"
#include "gateway/commands.h"
#include "gateway/config.h"
#include "gateway/release.h"
#include "storage/store.h"
#include "storage/store_mailbox.h"

#define SECRET_CAP 128

struct mb_args {
	const char *dir, *config, *number, *name, *owner, *password;
	long long retention_days;
	bool pin_stdin, password_stdin, json, force_reset, erase_held;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgw mailbox create NUMBER --name NAME [--owner USER]\n"
		"                            [--password P | --password-stdin]\n"
		"                            [--retention-days N] [--pin-stdin]\n"
		"       faxgw mailbox list [--json]\n"
		"       faxgw mailbox set-pin NUMBER [--pin-stdin] [--force-reset]\n"
		"       faxgw mailbox delete NUMBER [--erase-held]\n"
		"  (each also takes --data DIR and --config FILE)\n\n"
		"A confidential mailbox holds faxes whose F-code (T.30 SUB) is NUMBER\n"
		"(1 to 20 of 0-9 * #) until someone releases them with the mailbox PIN\n"
		"(faxgw release). The PIN (4 to 16 digits) is asked twice on the terminal\n"
		"without echo; --pin-stdin reads it from the first line of stdin instead.\n"
		"The PIN seals the mailbox key: faxes held there cannot be opened without\n"
		"it, by anyone.\n\n"
		"create   --password is the F-code password the sender must give (T.30\n"
		"         SID/PWD, up to 20 printable characters); it is stored only as a\n"
		"         keyed hash. --password-stdin reads it from the next stdin line\n"
		"         (after the PIN line with --pin-stdin). --retention-days N keeps\n"
		"         released faxes N days (0: erase at release, the default).\n"
		"list     number, name, owner, faxes held, password set, locked (after\n"
		"         too many wrong PINs).\n"
		"set-pin  asks the current PIN (wrong ones count toward the lockout),\n"
		"         then the new one twice; with --pin-stdin: current PIN on line 1,\n"
		"         new PIN on line 2. --force-reset sets a new PIN without the old\n"
		"         one: the faxes held are then unreadable, so they are ERASED first\n"
		"         (with erasure certificates in DIR/" STORE_CERT_DIR ").\n"
		"delete   refuses while faxes are held, unless --erase-held erases them\n"
		"         (with certificates).\n\n"
		"  --data DIR      data directory (default " STORE_DEFAULT_DIR ")\n"
		"  --config FILE   configuration (default " RELEASE_DEFAULT_CONFIG
		" if present)\n"
		"  --help          this text\n");
}

static int parse_opt(int c, struct mb_args *a)
{
	switch (c) {
	case 'd': a->dir = optarg; return 0;
	case 'C': a->config = optarg; return 0;
	case 'n': a->name = optarg; return 0;
	case 'o': a->owner = optarg; return 0;
	case 'p': a->password = optarg; return 0;
	case 'P': a->password_stdin = true; return 0;
	case 'r':
		if (str_to_int(optarg, 0, 36500, &a->retention_days) != FGW_OK) {
			fprintf(stderr, "faxgw mailbox: --retention-days wants 0 to 36500 days, "
					"not '%s'\n", optarg);
			return 2;
		}
		return 0;
	case 'i': a->pin_stdin = true; return 0;
	case 'j': a->json = true; return 0;
	case 'f': a->force_reset = true; return 0;
	case 'e': a->erase_held = true; return 0;
	case 'h': usage(stdout); return 1;
	default: usage(stderr); return 2;
	}
}

/* Returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct mb_args *a)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'}, {"config", required_argument, NULL, 'C'},
		{"name", required_argument, NULL, 'n'}, {"owner", required_argument, NULL, 'o'},
		{"password", required_argument, NULL, 'p'},
		{"password-stdin", no_argument, NULL, 'P'},
		{"retention-days", required_argument, NULL, 'r'},
		{"pin-stdin", no_argument, NULL, 'i'}, {"json", no_argument, NULL, 'j'},
		{"force-reset", no_argument, NULL, 'f'}, {"erase-held", no_argument, NULL, 'e'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	int c, rc;

	a->dir = STORE_DEFAULT_DIR;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if ((rc = parse_opt(c, a)) != 0)
			return rc == 1 ? 0 : rc;
	if (optind < argc)
		a->number = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "faxgw mailbox: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (a->password != NULL && a->password_stdin) {
		fprintf(stderr, "faxgw mailbox: give --password or --password-stdin, not both\n");
		return 2;
	}
	return -1;
}

static int need_number(const struct mb_args *a, const char *verb)
{
	if (admin_mailbox_number_ok(a->number))
		return -1;
	fprintf(stderr, "faxgw mailbox %s: give the mailbox NUMBER (its F-code: 1 to %d of "
			"0-9 * #)%s%s\n", verb, ADMIN_MAILBOX_NUMBER_MAX, a->number != NULL ? ", not " : "",
		a->number != NULL ? a->number : "");
	return 2;
}

/* ---- secrets ------------------------------------------------------------ */

static int read_pin(const struct mb_args *a, const char *prompt, char pin[SECRET_CAP])
{
	int rc = release_read_secret(a->pin_stdin, prompt, pin, SECRET_CAP);

	if (rc == FGW_ERR_IO)
		fprintf(stderr, "faxgw mailbox: no terminal to ask the PIN on; use --pin-stdin\n");
	else if (rc == FGW_ERR_NOT_FOUND)
		fprintf(stderr, "faxgw mailbox: no PIN given (end of input)\n");
	else if (rc != FGW_OK)
		fprintf(stderr, "faxgw mailbox: the PIN is too long\n");
	return rc;
}

/* A new PIN: checked against the rules, asked twice on a terminal. */
static int read_new_pin(const struct mb_args *a, char pin[SECRET_CAP])
{
	char again[SECRET_CAP];
	int rc = read_pin(a, "New mailbox PIN (4-16 digits): ", pin);

	if (rc == FGW_OK && !release_pin_valid(pin)) {
		fprintf(stderr, "faxgw mailbox: a PIN is 4 to %d digits (0-9) and nothing else\n",
			RELEASE_PIN_MAX);
		rc = FGW_ERR_INVALID;
	}
	if (rc == FGW_OK && !a->pin_stdin) {
		rc = read_pin(a, "Repeat the new PIN: ", again);
		if (rc == FGW_OK && strcmp(pin, again) != 0) {
			fprintf(stderr, "faxgw mailbox: the two PINs differ; nothing was changed\n");
			rc = FGW_ERR_MISMATCH;
		}
		OPENSSL_cleanse(again, sizeof again);
	}
	return rc;
}

static int read_password(const struct mb_args *a, char pwd[SECRET_CAP], const char **out)
{
	int rc;

	*out = a->password;
	if (!a->password_stdin)
		return FGW_OK;
	rc = release_read_secret(true, "", pwd, SECRET_CAP);
	if (rc != FGW_OK)
		fprintf(stderr, "faxgw mailbox: --password-stdin: no password line on stdin\n");
	*out = pwd;
	return rc;
}

/* ---- commands ----------------------------------------------------------- */

static int do_create(struct store *s, const struct mb_args *a, const char *pin,
		     const char *password)
{
	const struct admin_mailbox_new n = {
		.number = a->number, .name = a->name, .owner = a->owner, .pin = pin,
		.password = password, .retention_days = (uint32_t)a->retention_days,
	};
	char msg[200];
	int rc = admin_mailbox_create(s, &n, NULL, msg, sizeof msg);

	if (rc == FGW_ERR_EXISTS)
		fprintf(stderr, "faxgw mailbox create: %s (faxgw mailbox list)\n", msg);
	else if (msg[0] != '\0')
		fprintf(stderr, "faxgw mailbox create: %s\n", msg);
	if (rc == FGW_OK)
		printf("mailbox %s created (%s)\n", a->number, a->name);
	return rc;
}

static int cmd_create(const struct mb_args *a, struct store *s)
{
	char pin[SECRET_CAP] = "", pwd[SECRET_CAP] = "";
	const char *password = NULL;
	int rc;

	if (a->name == NULL || a->name[0] == '\0') {
		fprintf(stderr, "faxgw mailbox create: give the mailbox a --name\n");
		return FGW_ERR_INVALID;
	}
	rc = read_new_pin(a, pin);
	if (rc == FGW_OK)
		rc = read_password(a, pwd, &password);
	if (rc == FGW_OK)
		rc = do_create(s, a, pin, password);
	OPENSSL_cleanse(pin, sizeof pin);
	OPENSSL_cleanse(pwd, sizeof pwd);
	return rc;
}

static void print_rows(const struct admin_mailbox_row *row, size_t n, bool json)
{
	if (!json)
		printf("%-20s %-24s %-16s %5s %-8s %s\n", "NUMBER", "NAME", "OWNER", "HELD",
		       "PASSWORD", "LOCKED");
	else
		printf("[");
	for (size_t i = 0; i < n; i++) {
		const struct admin_mailbox_row *m = &row[i];
		bool pwd = store_mailbox_has_password(&m->mb);

		if (!json) {
			printf("%-20s %-24s %-16s %5lld %-8s %s\n", m->mb.number, m->mb.name,
			       m->mb.owner[0] != '\0' ? m->mb.owner : "-", m->held,
			       pwd ? "yes" : "no", m->locked ? "yes" : "no");
			continue;
		}
		printf("%s\n {\"number\":", i > 0 ? "," : "");
		release_json_string(stdout, m->mb.number);
		printf(",\"name\":");
		release_json_string(stdout, m->mb.name);
		printf(",\"owner\":");
		release_json_string(stdout, m->mb.owner);
		printf(",\"held\":%lld,\"password\":%s,\"locked\":%s,\"retention_days\":%u}",
		       m->held, pwd ? "true" : "false", m->locked ? "true" : "false",
		       m->mb.retention_days);
	}
	if (json)
		printf("%s]\n", n > 0 ? "\n" : "");
}

static int cmd_list(const struct mb_args *a, struct store *s)
{
	struct admin_mailbox_row *rows = NULL;
	size_t n = 0;
	int rc = admin_mailbox_list(s, store_now_ms(), &rows, &n);

	if (rc == FGW_OK)
		print_rows(rows, n, a->json);
	admin_mailbox_rows_free(rows, n);
	return rc;
}

/* Without the old PIN: a new key, so what the old one sealed is lost. */
static int force_reset(const struct mb_args *a, struct store *s, const char *pin)
{
	uint64_t erased = 0;
	char msg[200];
	int rc = admin_mailbox_reset_pin(s, a->number, pin, NULL, &erased, msg, sizeof msg);

	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw mailbox set-pin: %s%sthe PIN was not changed (%s)\n", msg,
			msg[0] != '\0' ? "; " : "", fgw_strerror(rc));
		return rc;
	}
	printf("mailbox %s: PIN reset; %llu held fax(es) erased (certificates in %s/%s)\n",
	       a->number, (unsigned long long)erased, store_dir(s), STORE_CERT_DIR);
	return rc;
}

static int say_unlock_error(const char *number, int rc, const struct release_lock_info *info)
{
	char until[32];

	release_time_text(info->locked_until_ms, until);
	if (rc == FGW_ERR_LOCKED || (rc == FGW_ERR_BAD_PIN && info->locked_until_ms != 0))
		fprintf(stderr, "faxgw: %smailbox %s is locked after too many wrong PINs until "
				"%s; try again then\n", rc == FGW_ERR_BAD_PIN ? "wrong PIN; " : "",
			number, until);
	else if (rc == FGW_ERR_BAD_PIN)
		fprintf(stderr, "faxgw: wrong PIN for mailbox %s (%u wrong in a row)\n", number,
			info->failures);
	else if (rc == FGW_ERR_NOT_FOUND)
		fprintf(stderr, "faxgw: no mailbox %s (faxgw mailbox list)\n", number);
	else
		fprintf(stderr, "faxgw: cannot open mailbox %s: %s\n", number, fgw_strerror(rc));
	return rc;
}

static int change_pin(const struct mb_args *a, struct store *s, const struct config *cfg)
{
	char old[SECRET_CAP] = "", pin[SECRET_CAP] = "", msg[200] = "";
	struct release_lock_info info = {0};
	struct release_policy p;
	int rc = read_pin(a, "Current mailbox PIN: ", old);

	release_policy_init(cfg, &p);
	if (rc == FGW_OK)
		rc = read_new_pin(a, pin);
	if (rc == FGW_OK)
		rc = admin_mailbox_change_pin(s, &p, a->number, old, pin, NULL, &info, msg,
					      sizeof msg);
	if (rc == FGW_ERR_BAD_PIN || rc == FGW_ERR_LOCKED || rc == FGW_ERR_NOT_FOUND)
		say_unlock_error(a->number, rc, &info);
	else if (rc != FGW_OK && msg[0] != '\0')
		fprintf(stderr, "faxgw mailbox set-pin: %s\n", msg);
	if (rc == FGW_OK)
		printf("mailbox %s: PIN changed\n", a->number);
	OPENSSL_cleanse(old, sizeof old);
	OPENSSL_cleanse(pin, sizeof pin);
	return rc;
}

static int cmd_set_pin(const struct mb_args *a, struct store *s, const struct config *cfg)
{
	char pin[SECRET_CAP] = "";
	struct catalog_mailbox mb;
	int rc = catalog_mailbox_get(store_catalog(s), a->number, &mb);

	OPENSSL_cleanse(&mb, sizeof mb);
	if (rc == FGW_ERR_NOT_FOUND)
		fprintf(stderr, "faxgw mailbox set-pin: no mailbox %s\n", a->number);
	if (rc != FGW_OK)
		return rc;
	if (!a->force_reset)
		return change_pin(a, s, cfg);
	rc = read_new_pin(a, pin);
	if (rc == FGW_OK)
		rc = force_reset(a, s, pin);
	OPENSSL_cleanse(pin, sizeof pin);
	return rc;
}

static int cmd_delete(const struct mb_args *a, struct store *s)
{
	uint64_t erased = 0;
	int rc = admin_mailbox_delete(s, a->number, a->erase_held, NULL, &erased);

	if (rc == FGW_ERR_DENIED)
		fprintf(stderr, "faxgw mailbox delete: mailbox %s holds %lld fax(es); release "
				"them first (faxgw release %s) or add --erase-held to erase them\n",
			a->number, release_held_count(s, a->number), a->number);
	else if (rc == FGW_ERR_NOT_FOUND)
		fprintf(stderr, "faxgw mailbox delete: no mailbox %s\n", a->number);
	if (rc == FGW_OK)
		printf("mailbox %s deleted%s\n", a->number,
		       erased > 0 ? "; its held faxes were erased with certificates" : "");
	return rc;
}

static int run(const char *verb, const struct mb_args *a)
{
	struct config *cfg = NULL;
	struct store *s = NULL;
	int rc = release_config_load(a->config, &cfg);

	if (rc == FGW_OK && (rc = release_store_open(a->dir, cfg, &s)) != FGW_OK)
		fprintf(stderr, "faxgw mailbox: cannot open the device in %s: %s\n", a->dir,
			fgw_strerror(rc));
	if (rc == FGW_OK) {
		if (strcmp(verb, "create") == 0)
			rc = cmd_create(a, s);
		else if (strcmp(verb, "list") == 0)
			rc = cmd_list(a, s);
		else if (strcmp(verb, "set-pin") == 0)
			rc = cmd_set_pin(a, s, cfg);
		else
			rc = cmd_delete(a, s);
	}
	if (store_close(s) != FGW_OK && rc == FGW_OK)
		rc = FGW_ERR_IO;
	config_free(cfg);
	return rc == FGW_OK ? 0 : 1;
}

int cmd_mailbox(int argc, char **argv)
{
	static const char *const verbs[] = {"create", "list", "set-pin", "delete"};
	struct mb_args a = {0};
	const char *verb = argc > 1 ? argv[1] : "";
	int rc;

	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
		if (strcmp(verb, verbs[i]) != 0)
			continue;
		if ((rc = parse(argc - 1, argv + 1, &a)) >= 0)
			return rc;
		if (strcmp(verb, "list") != 0 && (rc = need_number(&a, verb)) >= 0)
			return rc;
		return run(verb, &a);
	}
	fprintf(stderr, "faxgw mailbox: say create, list, set-pin or delete\n");
	usage(stderr);
	return 2;
}
