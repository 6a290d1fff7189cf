/* faxgw sip: SIP passwords of office devices (HA1 in the catalog) and the
 * running daemon's registrations. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/pwpolicy.h"
#include "gateway/commands.h"
#include "gateway/config.h"
#include "gateway/control_client.h"
#include "gateway/release.h"
#include "gateway/sip_registrar.h"
#include "storage/audit.h"
#include "storage/catalog_sip.h"
#include "storage/store.h"

struct sip_args {
	const char *verb, *device, *dir, *config, *socket;
	bool from_stdin;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgw sip password DEVICE [--stdin] [--config FILE]\n"
		"       faxgw sip remove DEVICE\n"
		"       faxgw sip bindings [--socket PATH]\n"
		"  (each also takes --data DIR)\n\n"
		"Office SIP devices (MFPs, fax adapters, phones) register to faxgw with\n"
		"digest authentication (SHA-256 or MD5). The digest user name is the\n"
		"device's name in the catalog (faxgw device set NAME creates it).\n\n"
		"password  sets the device's SIP password: typed twice on the terminal, or\n"
		"          read once from standard input with --stdin. At least 8\n"
		"          characters, not a common or factory-default password. Only\n"
		"          digests under [sip] realm are stored: after changing the realm,\n"
		"          set every device's password again.\n"
		"remove    deletes the device's SIP password; a running faxgwd also drops\n"
		"          its registrations.\n"
		"bindings  lists the registrations of the running faxgwd: device, contact,\n"
		"          source address, seconds left.\n\n"
		"  --data DIR      data directory (default " STORE_DEFAULT_DIR ")\n"
		"  --config FILE   configuration (default " RELEASE_DEFAULT_CONFIG
		" when it exists)\n"
		"  --socket PATH   the daemon's control socket (default DIR/control.sock)\n"
		"  --stdin         read the password from standard input\n"
		"  --help          this text\n");
}

/* Returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct sip_args *a)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'}, {"config", required_argument, NULL, 'C'},
		{"socket", required_argument, NULL, 's'}, {"stdin", no_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	int c;

	a->dir = STORE_DEFAULT_DIR;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->dir = optarg; break;
		case 'C': a->config = optarg; break;
		case 's': a->socket = optarg; break;
		case 'i': a->from_stdin = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		a->verb = argv[optind++];
	if (optind < argc)
		a->device = argv[optind++];
	if (!a->verb || optind < argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int audit_change(struct store *s, const char *action, const char *device,
			const char *detail)
{
	struct audit_field f[] = {
		AUDIT_F_STR("action", action), AUDIT_F_STR("device", device),
		AUDIT_F_STR("detail", detail),
	};

	return audit_append_durable(store_audit(s), AUDIT_CONFIG_CHANGE, f, 3, NULL);
}

/* ---- password ----------------------------------------------------------- */

/* Reads the new password (twice on a terminal) and checks the policy. */
static int read_password(const struct sip_args *a, char *pw, size_t cap)
{
	char again[PWPOLICY_MAX + 2], why[160];
	int rc = release_read_secret(a->from_stdin, "New SIP password: ", pw, cap);

	if (rc == FGW_OK && !a->from_stdin) {
		rc = release_read_secret(false, "Same password again: ", again, sizeof again);
		if (rc == FGW_OK && strcmp(pw, again) != 0) {
			fprintf(stderr, "faxgw sip password: the two passwords differ; nothing "
				"changed\n");
			rc = FGW_ERR_MISMATCH;
		}
		OPENSSL_cleanse(again, sizeof again);
	}
	if (rc == FGW_ERR_TOO_LARGE)
		fprintf(stderr, "faxgw sip password: the password must have at most %d "
			"characters\n", PWPOLICY_MAX);
	else if (rc == FGW_ERR_NOT_FOUND || rc == FGW_ERR_IO)
		fprintf(stderr, "faxgw sip password: no password read (%s); type it on a "
			"terminal or give it on standard input with --stdin\n", fgw_strerror(rc));
	if (rc == FGW_OK && pwpolicy_check(a->device, pw, why, sizeof why) != FGW_OK) {
		fprintf(stderr, "faxgw sip password: %s Nothing changed.\n", why);
		rc = FGW_ERR_BAD_PASSWORD;
	}
	return rc;
}

static int store_password(const struct sip_args *a, const struct config *cfg,
			  const char *pw)
{
	const char *realm = config_str(cfg, "sip", "realm");
	struct store *s = NULL;
	int rc = release_store_open(a->dir, cfg, &s);

	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw sip password: cannot open the data directory %s: %s\n",
			a->dir, fgw_strerror(rc));
		return 1;
	}
	rc = sip_registrar_set_password(store_catalog(s), a->device, realm, pw, now_ms());
	if (rc == FGW_ERR_NOT_FOUND)
		fprintf(stderr, "faxgw sip password: no device '%s' in the catalog; add it "
			"first with: faxgw device set %s\n", a->device, a->device);
	else if (rc != FGW_OK)
		fprintf(stderr, "faxgw sip password: cannot store the password of %s: %s\n",
			a->device, fgw_strerror(rc));
	if (rc == FGW_OK && audit_change(s, "sip_password_set", a->device, realm) != FGW_OK)
		fprintf(stderr, "faxgw sip password: the password is set but the audit record "
			"could not be written\n");
	if (store_close(s) != FGW_OK && rc == FGW_OK)
		rc = FGW_ERR_IO;
	if (rc == FGW_OK)
		printf("SIP password of %s set (realm %s)\n", a->device, realm);
	return rc == FGW_OK ? 0 : 1;
}

static int cmd_password(const struct sip_args *a)
{
	char pw[PWPOLICY_MAX + 2];
	struct config *cfg = NULL;
	int rc, status;

	if (release_config_load(a->config, &cfg) != FGW_OK)
		return 1;
	rc = read_password(a, pw, sizeof pw);
	status = rc == FGW_OK ? store_password(a, cfg, pw) : 1;
	OPENSSL_cleanse(pw, sizeof pw);
	config_free(cfg);
	return status;
}

/* ---- remove ------------------------------------------------------------- */

static int call_daemon(const struct sip_args *a, const char *verb, const char *device,
		       control_client_line_fn *on_line, char *msg, size_t size)
{
	char path[4200];
	struct control_line req;
	int rc = control_client_path(a->socket ? NULL : a->dir, a->socket, path, sizeof path);

	if (rc != FGW_OK)
		return rc;
	control_line_init(&req, verb);
	if (device)
		control_line_add(&req, "device", device);
	rc = control_line_finish(&req);
	return rc == FGW_OK ? control_client_call(path, &req, NULL, 0, 10000, on_line, NULL,
						  msg, size) : rc;
}

static int cmd_remove(const struct sip_args *a)
{
	char msg[CONTROL_LINE_MAX];
	struct store *s = NULL;
	int rc = store_open(a->dir, NULL, &s);

	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw sip remove: cannot open the data directory %s: %s\n",
			a->dir, fgw_strerror(rc));
		return 1;
	}
	rc = catalog_sip_delete(store_catalog(s), a->device);
	if (rc == FGW_OK)
		rc = audit_change(s, "sip_password_removed", a->device, "");
	if (store_close(s) != FGW_OK && rc == FGW_OK)
		rc = FGW_ERR_IO;
	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw sip remove: %s: %s\n", a->device,
			rc == FGW_ERR_NOT_FOUND ? "no SIP password is set for this device"
						: fgw_strerror(rc));
		return 1;
	}
	printf("SIP password of %s removed\n", a->device);
	/* a daemon that is not running has no bindings to drop */
	if (call_daemon(a, "sip-forget", a->device, NULL, msg, sizeof msg) == FGW_OK)
		printf("%s\n", msg);
	return 0;
}

/* ---- bindings ----------------------------------------------------------- */

static void print_binding(void *arg, const char *text)
{
	(void)arg;
	printf("%s\n", text);
}

static int cmd_bindings(const struct sip_args *a)
{
	char msg[CONTROL_LINE_MAX];
	int rc = call_daemon(a, "sip-bindings", NULL, print_binding, msg, sizeof msg);

	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw sip bindings: %s%s\n", msg,
			strstr(msg, "unknown verb") != NULL
			? " (faxgwd runs no SIP service: set [lines] device_kind = sip)" : "");
		return 1;
	}
	printf("%s\n", msg);
	return 0;
}

int cmd_sip(int argc, char **argv)
{
	struct sip_args a = {0};
	int rc = parse(argc, argv, &a);
	bool needs_device;

	if (rc >= 0)
		return rc;
	needs_device = strcmp(a.verb, "bindings") != 0;
	if (needs_device != (a.device != NULL)) {
		usage(stderr);
		return 2;
	}
	if (strcmp(a.verb, "password") == 0)
		return cmd_password(&a);
	if (strcmp(a.verb, "remove") == 0)
		return cmd_remove(&a);
	if (strcmp(a.verb, "bindings") == 0)
		return cmd_bindings(&a);
	fprintf(stderr, "faxgw sip: unknown command '%s' (password, remove, bindings)\n",
		a.verb);
	return 2;
}
