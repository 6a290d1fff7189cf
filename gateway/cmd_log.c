/* faxgw log: show, export and verify the audit log of a data directory.
 * All three only read: show and export parse the file; verify also needs
 * the audit key (derived from the device's master key) and the head kept
 * in the catalog. They work while faxgwd is running. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/commands.h"
#include "storage/audit.h"
#include "storage/catalog.h"
#include "storage/keys.h"
#include "storage/store.h"

#define DEFAULT_DATA_DIR STORE_DEFAULT_DIR
#define AUDIT_FILE STORE_AUDIT_FILE
#define CATALOG_FILE STORE_CATALOG_FILE

struct log_args {
	const char *data, *file;
	bool json, csv;
	bool have_since, have_until;
	int64_t since, until;
	const char *type, *number, *mailbox;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgw log show   [--data DIR] [filters] [--json]\n"
		"       faxgw log export --csv [--data DIR] [filters]\n"
		"       faxgw log verify [--data DIR]\n\n"
		"show     prints the audit records, oldest first\n"
		"export   writes them as CSV (or --json: JSON Lines) to stdout\n"
		"verify   checks every record's MAC and the chain, and the head kept\n"
		"         in the catalog; names the first bad record and what is wrong\n"
		"         (edited, deleted, inserted, reordered, truncated, torn)\n\n"
		"  --data DIR        data directory (default " DEFAULT_DATA_DIR ")\n"
		"  --file PATH       audit log file (default DIR/" AUDIT_FILE ")\n"
		"  --since TIME      records at or after TIME (UTC: YYYY-MM-DD or\n"
		"                    YYYY-MM-DDTHH:MM[:SS[.mmm]][Z])\n"
		"  --until TIME      records before TIME\n"
		"  --type TYPE       only this event type (e.g. fax_received)\n"
		"  --number N        only records whose remote number or destination is N\n"
		"  --mailbox M       only records for mailbox (F-code) M\n"
		"  --json            JSON Lines output (the records as stored)\n"
		"  --csv             CSV output (export)\n"
		"  --help            this text\n\n"
		"Exit status: 0 ok, 1 failure (verify: the log does not verify),\n"
		"2 usage error.\n");
}

static int parse_time_arg(const char *name, const char *arg, int64_t *out)
{
	if (audit_time_parse(arg, strlen(arg), out) == FGW_OK)
		return 0;
	fprintf(stderr, "faxgw log: bad time '%s' for --%s: use YYYY-MM-DD or "
		"YYYY-MM-DDTHH:MM[:SS] (UTC)\n", arg, name);
	return 2;
}

static int parse_option(struct log_args *a, int c, const char *arg)
{
	enum audit_event ev;

	switch (c) {
	case 'd': a->data = arg; return 0;
	case 'f': a->file = arg; return 0;
	case 'j': a->json = true; return 0;
	case 'c': a->csv = true; return 0;
	case 'n': a->number = arg; return 0;
	case 'm': a->mailbox = arg; return 0;
	case 's': a->have_since = true; return parse_time_arg("since", arg, &a->since);
	case 'u': a->have_until = true; return parse_time_arg("until", arg, &a->until);
	case 't':
		if (audit_event_parse(arg, &ev) != FGW_OK) {
			fprintf(stderr, "faxgw log: unknown event type '%s'; known: ", arg);
			for (int i = 0; i < AUDIT_EVENT_COUNT; i++)
				fprintf(stderr, "%s%s", i ? ", " : "",
					audit_event_name((enum audit_event)i));
			fprintf(stderr, "\n");
			return 2;
		}
		a->type = arg;
		return 0;
	default:
		return 2;
	}
}

static int parse_args(int argc, char **argv, struct log_args *a)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'}, {"file", required_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'}, {"csv", no_argument, NULL, 'c'},
		{"since", required_argument, NULL, 's'}, {"until", required_argument, NULL, 'u'},
		{"type", required_argument, NULL, 't'}, {"number", required_argument, NULL, 'n'},
		{"mailbox", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, rc;

	a->data = DEFAULT_DATA_DIR;
	/* 0, not 1: glibc then forgets state left by an earlier parse. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return -1;
		}
		if (c == '?')
			return 2;
		rc = parse_option(a, c, optarg);
		if (rc != 0)
			return rc;
	}
	if (optind < argc) {
		fprintf(stderr, "faxgw log: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return 0;
}

static int log_path(const struct log_args *a, char *path, size_t size)
{
	if (a->file != NULL)
		return str_copy(path, size, a->file);
	return str_format(path, size, "%s/%s", a->data, AUDIT_FILE);
}

/* ---- show / export ----------------------------------------------------- */

static const char *field(const struct audit_record *r, const char *key)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (strcmp(r->fields[i].key, key) == 0)
			return r->fields[i].value;
	return NULL;
}

static bool field_is(const struct audit_record *r, const char *key, const char *want)
{
	const char *v = field(r, key);

	return v != NULL && strcmp(v, want) == 0;
}

static bool wanted(const struct log_args *a, const struct audit_record *r)
{
	if (a->have_since && r->time_ms < a->since)
		return false;
	if (a->have_until && r->time_ms >= a->until)
		return false;
	if (a->type != NULL && strcmp(r->type, a->type) != 0)
		return false;
	if (a->number != NULL && !field_is(r, "remote_number", a->number) &&
	    !field_is(r, "destination", a->number) && !field_is(r, "number", a->number))
		return false;
	if (a->mailbox != NULL && !field_is(r, "mailbox", a->mailbox) &&
	    !field_is(r, "sub", a->mailbox))
		return false;
	return true;
}

/* Prints s for a terminal: a remote fax's ident is attacker-chosen, so
 * control bytes (escape sequences) are shown as \xHH, never sent raw. */
static void put_safe(FILE *out, const char *s)
{
	bool quote = *s == '\0' || strpbrk(s, " \"=") != NULL;

	if (quote)
		fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\' || (*p == '"' && quote))
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	if (quote)
		fputc('"', out);
}

static int show_record(const struct audit_record *r, void *arg)
{
	const struct log_args *a = arg;

	if (!wanted(a, r))
		return 0;
	if (a->json) {
		fwrite(r->line, 1, r->line_len, stdout);
		fputc('\n', stdout);
		return 0;
	}
	printf("%6llu  %s  %-16s", (unsigned long long)r->seq, r->time, r->type);
	for (size_t i = 0; i < r->nfields; i++) {
		printf(" %s=", r->fields[i].key);
		put_safe(stdout, r->fields[i].value);
	}
	fputc('\n', stdout);
	return 0;
}

/* Columns of the CSV export: xferfaxlog's, then everything else. */
static const char *const csv_columns[] = {
	"direction", "remote_number", "remote_ident", "sub", "mailbox", "document",
	"pages", "duration_ms", "bit_rate", "result",
};
#define CSV_NCOLS (sizeof csv_columns / sizeof csv_columns[0])

/* One CSV cell, RFC 4180 quoted. A leading = + - @ or tab would make a
 * spreadsheet run it as a formula, so such a cell is prefixed with '.
 * Control bytes become \xHH (and a backslash \x5c) as in show, so an
 * export viewed in a terminal cannot carry escape sequences. */
static void put_csv(FILE *out, const char *s)
{
	fputc('"', out);
	if (strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0')
		fputc('\'', out);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			fprintf(out, "\\x%02x", *p);
		else if (*p == '"')
			fputs("\"\"", out);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static bool is_column(const char *key)
{
	for (size_t i = 0; i < CSV_NCOLS; i++)
		if (strcmp(key, csv_columns[i]) == 0)
			return true;
	return false;
}

/* The fields that have no column of their own, as "k=v; k=v". */
static void csv_details(FILE *out, const struct audit_record *r)
{
	char details[AUDIT_RECORD_MAX] = "";
	size_t len = 0;

	for (size_t i = 0; i < r->nfields; i++) {
		if (is_column(r->fields[i].key))
			continue;
		if (str_format(details + len, sizeof details - len, "%s%s=%s",
			       len > 0 ? "; " : "", r->fields[i].key,
			       r->fields[i].value) != FGW_OK)
			break;
		len += strlen(details + len);
	}
	put_csv(out, details);
}

static int csv_record(const struct audit_record *r, void *arg)
{
	const struct log_args *a = arg;
	char seq[24];

	if (!wanted(a, r))
		return 0;
	if (a->json)
		return show_record(r, arg);
	(void)str_format(seq, sizeof seq, "%llu", (unsigned long long)r->seq);
	put_csv(stdout, seq);
	fputc(',', stdout);
	put_csv(stdout, r->time);
	fputc(',', stdout);
	put_csv(stdout, r->type);
	for (size_t i = 0; i < CSV_NCOLS; i++) {
		const char *v = field(r, csv_columns[i]);

		fputc(',', stdout);
		put_csv(stdout, v != NULL ? v : "");
	}
	fputc(',', stdout);
	csv_details(stdout, r);
	fputs("\r\n", stdout);
	return 0;
}

static int finish_output(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_errno("faxgw log: cannot write the output");
		return 1;
	}
	return 0;
}

static int read_records(const struct log_args *a, audit_record_fn fn)
{
	char path[4096];
	uint64_t bad = 0;
	int rc = log_path(a, path, sizeof path);

	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw log: path too long\n");
		return 1;
	}
	rc = audit_read_file(path, fn, (void *)a, &bad);
	if (rc == FGW_ERR_PARSE) {
		(void)finish_output();
		fprintf(stderr, "faxgw log: %s line %llu is not an audit record; run "
			"'faxgw log verify' to see what happened to the log\n", path,
			(unsigned long long)bad);
		return 1;
	}
	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw log: cannot read %s: %s\n", path, fgw_strerror(rc));
		return 1;
	}
	return finish_output();
}

static int run_show(struct log_args *a)
{
	return read_records(a, show_record);
}

static int run_export(struct log_args *a)
{
	if (!a->csv && !a->json) {
		fprintf(stderr, "faxgw log export: choose --csv (or --json)\n");
		return 2;
	}
	if (a->csv) {
		fputs("\"seq\",\"time\",\"type\"", stdout);
		for (size_t i = 0; i < CSV_NCOLS; i++)
			fprintf(stdout, ",\"%s\"", csv_columns[i]);
		fputs(",\"details\"\r\n", stdout);
	}
	return read_records(a, csv_record);
}

/* ---- verify ------------------------------------------------------------ */

/* Loads the audit MAC key of the data directory, as store_open derives
 * it. Not store_open itself: that opens the log for writing (refused while
 * faxgwd runs), refuses a tampered log instead of describing it, and
 * sweeps orphans; verify must only read. */
static int load_audit_key(const char *dir, uint8_t key[static AUDIT_KEY_LEN])
{
	struct keys *k = NULL;
	int rc = keys_load(dir, &k);

	if (rc == FGW_OK)
		rc = keys_derive(k, KEYS_PURPOSE_AUDIT_MAC, key);
	keys_free(k);
	return rc;
}

/* Reads the head the catalog keeps. A missing catalog is an error: without
 * it a truncated log cannot be told from a whole one. */
static int load_head(const char *dir, struct catalog_audit_head *head)
{
	char path[4096];
	struct catalog *cat = NULL;
	struct stat sb;
	int rc = str_format(path, sizeof path, "%s/%s", dir, CATALOG_FILE);

	if (rc != FGW_OK)
		return rc;
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "faxgw log: no catalog at %s: is %s a faxgw data "
			"directory (see faxgw init)?\n", path, dir);
		return FGW_ERR_NOT_FOUND;
	}
	rc = catalog_open(path, &cat);
	if (rc == FGW_OK)
		rc = catalog_audit_head_get(cat, head);
	catalog_close(cat);
	return rc;
}

static void print_result(const char *path, int rc, const struct audit_verify_result *r,
			 bool json)
{
	if (json) {
		printf("{\"ok\":%s,\"problem\":\"%s\",\"line\":%llu,"
		       "\"seq\":%llu,\"records\":%llu,\"last_seq\":%llu}\n",
		       rc == FGW_OK ? "true" : "false", audit_problem_name(r->problem),
		       (unsigned long long)r->line, (unsigned long long)r->seq,
		       (unsigned long long)r->records, (unsigned long long)r->last_seq);
		return;
	}
	if (rc == FGW_OK) {
		printf("%s: ok, %llu records, last record %llu\n", path,
		       (unsigned long long)r->records, (unsigned long long)r->last_seq);
		return;
	}
	printf("%s: FAILED: %s at line %llu (record %llu expected): %s\n"
	       "%llu records before it verified.\n", path,
	       audit_problem_name(r->problem), (unsigned long long)r->line,
	       (unsigned long long)r->seq, r->detail, (unsigned long long)r->records);
}

static int run_verify(struct log_args *a)
{
	uint8_t key[AUDIT_KEY_LEN];
	struct catalog_audit_head head;
	struct audit_verify_result res;
	char path[4096];
	int rc = log_path(a, path, sizeof path);

	if (rc == FGW_OK)
		rc = load_head(a->data, &head);
	if (rc == FGW_OK)
		rc = load_audit_key(a->data, key);
	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw log verify: cannot load the keys and catalog of "
			"%s: %s\n", a->data, fgw_strerror(rc));
		return 1;
	}
	rc = audit_verify_file(path, key, &head, &res);
	OPENSSL_cleanse(key, sizeof key);
	if (rc != FGW_OK && rc != FGW_ERR_TAMPERED) {
		fprintf(stderr, "faxgw log verify: cannot read %s: %s\n", path,
			fgw_strerror(rc));
		return 1;
	}
	print_result(path, rc, &res, a->json);
	if (finish_output() != 0)
		return 1;
	return rc == FGW_OK ? 0 : 1;
}

int cmd_log(int argc, char **argv)
{
	struct log_args a = { 0 };
	const char *sub;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
		usage(stdout);
		return 0;
	}
	rc = parse_args(argc - 1, argv + 1, &a);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (strcmp(sub, "show") == 0)
		return run_show(&a);
	if (strcmp(sub, "export") == 0)
		return run_export(&a);
	if (strcmp(sub, "verify") == 0)
		return run_verify(&a);
	fprintf(stderr, "faxgw log: unknown subcommand '%s' (show, export, verify)\n", sub);
	return 2;
}
