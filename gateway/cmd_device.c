/* faxgw device: list, set and delete office devices and their own
 * outbound policy (double entry, international calls, prefix lists) over
 * the configured defaults; see gateway/devpolicy.h. Every change is an
 * audit record. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/admin.h"
#include "gateway/commands.h"
#include "gateway/devpolicy.h"
#include "gateway/dialrules.h"
#include "gateway/release.h"
#include "storage/catalog_devices.h"
#include "storage/store.h"

struct dev_args {
	const char *dir, *name, *kind;
	const char *double_entry, *international, *allow, *deny, *countries;
	bool json;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgw device list [--json]\n"
		"       faxgw device set NAME [--kind fax|mfp|phone]\n"
		"                        [--double-entry yes|no|default]\n"
		"                        [--international yes|no|default]\n"
		"                        [--allow-prefixes LIST|default]\n"
		"                        [--deny-prefixes LIST|default]\n"
		"                        [--countries LIST|default]\n"
		"       faxgw device delete NAME\n"
		"  (each also takes --data DIR)\n\n"
		"An office device (fax machine, MFP, phone) dials out through the gateway\n"
		"under the configured outbound policy: [outbound] double_entry and\n"
		"[dialing] international_allow, countries, allow_prefixes, deny_prefixes.\n"
		"A device can have its own value for any of them; 'default' (and every\n"
		"setting never given) follows the configuration. The simulated office\n"
		"machine on the device line is device 'device' (faxgw simulate outgoing\n"
		"--device NAME names another).\n\n"
		"NAME      1 to 128 of letters, digits and . _ - : @\n"
		"set       creates the device (kind fax unless --kind) or changes only the\n"
		"          settings given.\n"
		"LIST      comma-separated digit prefixes in national form (e.g. 0120,0570;\n"
		"          international numbers as 010CC...); '' for an empty list. A\n"
		"          device's list replaces the configured one. --countries: country\n"
		"          codes reachable even when international calls are off (1,44).\n"
		"delete    forgets the device: it follows the configuration again.\n\n"
		"  --data DIR   data directory (default " STORE_DEFAULT_DIR ")\n"
		"  --json       list as JSON (null = default)\n"
		"  --help       this text\n");
}

static int parse_opt(int c, struct dev_args *a)
{
	switch (c) {
	case 'd': a->dir = optarg; return 0;
	case 'k': a->kind = optarg; return 0;
	case 'e': a->double_entry = optarg; return 0;
	case 'i': a->international = optarg; return 0;
	case 'a': a->allow = optarg; return 0;
	case 'x': a->deny = optarg; return 0;
	case 'c': a->countries = optarg; return 0;
	case 'j': a->json = true; return 0;
	case 'h': usage(stdout); return 1;
	default: usage(stderr); return 2;
	}
}

/* Returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct dev_args *a)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'}, {"kind", required_argument, NULL, 'k'},
		{"double-entry", required_argument, NULL, 'e'},
		{"international", required_argument, NULL, 'i'},
		{"allow-prefixes", required_argument, NULL, 'a'},
		{"deny-prefixes", required_argument, NULL, 'x'},
		{"countries", required_argument, NULL, 'c'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	int c, rc;

	a->dir = STORE_DEFAULT_DIR;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if ((rc = parse_opt(c, a)) != 0)
			return rc == 1 ? 0 : rc;
	if (optind < argc)
		a->name = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "faxgw device: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return -1;
}

/* ---- commands ----------------------------------------------------------- */

static const char *option_name(enum admin_device_field f)
{
	static const char *const names[] = {
		[ADMIN_DEV_NONE] = "NAME", [ADMIN_DEV_KIND] = "--kind",
		[ADMIN_DEV_DOUBLE_ENTRY] = "--double-entry",
		[ADMIN_DEV_INTERNATIONAL] = "--international",
		[ADMIN_DEV_ALLOW] = "--allow-prefixes", [ADMIN_DEV_DENY] = "--deny-prefixes",
		[ADMIN_DEV_COUNTRIES] = "--countries",
	};

	return (size_t)f < sizeof names / sizeof names[0] ? names[f] : "?";
}

static int cmd_set(const struct dev_args *a, struct store *s)
{
	const struct admin_device_change ch = {
		.name = a->name, .kind = a->kind, .double_entry = a->double_entry,
		.international = a->international, .allow = a->allow, .deny = a->deny,
		.countries = a->countries,
	};
	struct admin_device_error err;
	struct catalog_device_entry e;
	char detail[ADMIN_DETAIL_MAX];
	bool created = false;
	int rc = admin_device_set(s, &ch, NULL, &e, &created, &err);

	if (rc == FGW_ERR_INVALID) {
		/* "--kind wants ...", but "--allow-prefixes: entry 2 ..." */
		fprintf(stderr, "faxgw device set: %s%s %s\n", option_name(err.field),
			strncmp(err.why, "wants ", 6) == 0 ? "" : ":", err.why);
		return rc;
	}
	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw device set: cannot store device %s: %s\n", a->name,
			fgw_strerror(rc));
		return rc;
	}
	admin_device_describe(&e, detail, sizeof detail);
	printf("device %s %s: %s\n", a->name, created ? "created" : "changed", detail);
	return FGW_OK;
}

static int cmd_delete(const struct dev_args *a, struct store *s)
{
	int rc = admin_device_delete(s, a->name, NULL);

	if (rc == FGW_ERR_NOT_FOUND) {
		fprintf(stderr, "faxgw device delete: no device %s (faxgw device list)\n",
			a->name);
		return rc;
	}
	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw device delete: %s: %s\n", a->name, fgw_strerror(rc));
		return rc;
	}
	printf("device %s deleted; it follows the configured policy again\n", a->name);
	return FGW_OK;
}

static void json_setting(enum catalog_setting s)
{
	printf("%s", s == CATALOG_SET_DEFAULT ? "null" : s == CATALOG_SET_YES ? "true" : "false");
}

/* A list as a JSON array of strings, or null for default. */
static void json_list(const struct catalog_device_list *l)
{
	struct dialrules_prefixes p;
	char why[160];

	if (!l->set || dialrules_parse_list(l->text, &p, why, sizeof why) != FGW_OK) {
		printf("null");
		return;
	}
	printf("[");
	for (size_t i = 0; i < p.count; i++)
		printf("%s\"%s\"", i > 0 ? "," : "", p.item[i]);   /* digits only */
	printf("]");
}

static int print_json(const struct catalog_device_entry *e, void *arg)
{
	unsigned *n = arg;

	printf("%s\n {\"name\":", (*n)++ > 0 ? "," : "");
	release_json_string(stdout, e->dev.address);
	printf(",\"kind\":");
	release_json_string(stdout, e->dev.kind);
	printf(",\"double_entry\":");
	json_setting(e->double_entry);
	printf(",\"international\":");
	json_setting(e->international_allow);
	printf(",\"allow_prefixes\":");
	json_list(&e->allow_prefixes);
	printf(",\"deny_prefixes\":");
	json_list(&e->deny_prefixes);
	printf(",\"countries\":");
	json_list(&e->countries);
	printf(",\"last_seen_ms\":%lld}", (long long)e->dev.last_seen_ms);
	return FGW_OK;
}

static int print_text(const struct catalog_device_entry *e, void *arg)
{
	(void)arg;
	printf("%-20s %-6s %-12s %-13s %-16s %-16s %s\n", e->dev.address, e->dev.kind,
	       admin_setting_text(e->double_entry), admin_setting_text(e->international_allow),
	       admin_list_text(&e->allow_prefixes), admin_list_text(&e->deny_prefixes),
	       admin_list_text(&e->countries));
	return FGW_OK;
}

static int cmd_list(const struct dev_args *a, struct store *s)
{
	unsigned n = 0;
	int rc;

	if (a->json)
		printf("[");
	else
		printf("%-20s %-6s %-12s %-13s %-16s %-16s %s\n", "NAME", "KIND", "DOUBLE-ENTRY",
		       "INTERNATIONAL", "ALLOW", "DENY", "COUNTRIES");
	rc = catalog_devices_list(store_catalog(s), a->json ? print_json : print_text, &n);
	if (a->json)
		printf("%s]\n", n > 0 ? "\n" : "");
	if (rc != FGW_OK)
		fprintf(stderr, "faxgw device list: %s\n", fgw_strerror(rc));
	return rc;
}

static int run(const char *verb, const struct dev_args *a)
{
	struct store *s = NULL;
	int rc = store_open(a->dir, NULL, &s);

	if (rc != FGW_OK)
		fprintf(stderr, "faxgw device: cannot open the device in %s: %s\n", a->dir,
			fgw_strerror(rc));
	else if (strcmp(verb, "list") == 0)
		rc = cmd_list(a, s);
	else if (strcmp(verb, "set") == 0)
		rc = cmd_set(a, s);
	else
		rc = cmd_delete(a, s);
	if (store_close(s) != FGW_OK && rc == FGW_OK)
		rc = FGW_ERR_IO;
	return rc == FGW_OK ? 0 : 1;
}

/* Returns -1 when the arguments fit verb, else the exit status. */
static int check_args(const char *verb, const struct dev_args *a)
{
	bool list = strcmp(verb, "list") == 0, set = strcmp(verb, "set") == 0;
	bool policy = a->kind != NULL || a->double_entry != NULL || a->international != NULL ||
		      a->allow != NULL || a->deny != NULL || a->countries != NULL;

	if (list && a->name != NULL) {
		fprintf(stderr, "faxgw device list: unexpected argument '%s'\n", a->name);
		return 2;
	}
	if (!list && a->name == NULL) {
		fprintf(stderr, "faxgw device %s: say which device (NAME)\n", verb);
		return 2;
	}
	if (!list && !devpolicy_name_ok(a->name)) {
		fprintf(stderr, "faxgw device %s: '%s' is not a device name: use 1 to %d of "
				"letters, digits and . _ - : @\n", verb, a->name, CATALOG_NAME_MAX);
		return 2;
	}
	if (!set && policy) {
		fprintf(stderr, "faxgw device %s: settings are given with faxgw device set\n",
			verb);
		return 2;
	}
	if (!list && a->json) {
		fprintf(stderr, "faxgw device %s: --json is for list\n", verb);
		return 2;
	}
	return -1;
}

int cmd_device(int argc, char **argv)
{
	static const char *const verbs[] = {"list", "set", "delete"};
	struct dev_args a = {0};
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
		if ((rc = check_args(verb, &a)) >= 0)
			return rc;
		return run(verb, &a);
	}
	fprintf(stderr, "faxgw device: say list, set or delete\n");
	usage(stderr);
	return 2;
}
