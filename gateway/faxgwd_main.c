/* faxgwd: the faxgw daemon. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "web/web.h"

#define DEFAULT_CONFIG "/etc/faxgw/faxgw.ini"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgwd [-f] [-c FILE]\n"
		"       faxgwd -n [-c FILE]\n"
		"  -c FILE   configuration file (default " DEFAULT_CONFIG ")\n"
		"  -f        log to stderr instead of syslog (for a terminal)\n"
		"  -n        check the configuration, print 'configuration OK' or every\n"
		"            error found, and exit\n"
		"  -h        this help\n\n"
		"faxgwd always stays in the foreground (it never forks: systemd or another\n"
		"supervisor runs it, see config/faxgw.service); without -f it logs to syslog.\n"
		"Started as root it drops to [general] user once its socket is bound.\n"
		"It serves the CLI on DATA_DIR/control.sock. SIGTERM or SIGINT stop it,\n"
		"SIGHUP reloads the configuration (a bad one is refused and the old one stays).\n");
}

static void print_problem(void *arg, const char *msg)
{
	fprintf(arg, "%s\n", msg);
}

/* Loads path and reports; returns the exit status for -n. */
static int check_config(const char *path)
{
	struct config *cfg = NULL;
	int rc = config_load(path, print_problem, stderr, &cfg);

	if (rc != FGW_OK) {
		fprintf(stderr, "faxgwd: %s: configuration refused (%s)\n", path,
			fgw_strerror(rc));
		return 1;
	}
	config_free(cfg);
	printf("configuration OK\n");
	return 0;
}

/* faxgwd is the top of the tree: it starts gateway's daemon and hands it
 * the layers above gateway/ (web -> gateway -> {dsp, storage}). */
static daemon_module_fn *const web_modules[] = {
	web_daemon_init,
};

static int serve(const char *config_path, bool foreground)
{
	struct daemon *d = NULL;
	int rc;

	log_init("faxgwd", foreground, LOG_LEVEL_INFO);
	if ((rc = daemon_new(config_path, foreground, web_modules,
			     sizeof web_modules / sizeof web_modules[0], &d)) != 0) {
		log_error("not started: %s", fgw_strerror(rc));
		return 1;
	}
	rc = daemon_run(d);
	daemon_free(d);
	log_info("stopped");
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *config_path = DEFAULT_CONFIG;
	bool check_only = false, foreground = false;
	int opt;

	log_init("faxgwd", true, LOG_LEVEL_INFO);
	while ((opt = getopt(argc, argv, "c:fnh")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'n':
			check_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return check_only ? check_config(config_path) : serve(config_path, foreground);
}
