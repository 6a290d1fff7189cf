/* faxgwd: the faxgw daemon. */
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/reset.h"
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

/* A reset confirmed before faxgwd stopped some other way (a crash, a
 * restart) is run at the next start, once privileges are dropped. */
static void stop_for_reset(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	daemon_stop(arg, RESET_STOP_REASON);
}

/* One run of the daemon; *reset tells whether a factory reset waits. */
static int serve_once(const char *config_path, bool foreground, bool *reset,
		      char *data_dir, size_t size)
{
	static const struct timeval now = {0, 0};
	struct daemon *d = NULL;
	int rc;

	if ((rc = daemon_new(config_path, foreground, web_modules,
			     sizeof web_modules / sizeof web_modules[0], &d)) != 0) {
		log_error("not started: %s", fgw_strerror(rc));
		return rc;
	}
	rc = str_copy(data_dir, size, config_str(daemon_config(d), "general", "data_dir"));
	if (rc == 0 && reset_pending(data_dir) &&
	    event_base_once(daemon_base(d), -1, EV_TIMEOUT, stop_for_reset, d, &now) != 0)
		rc = FGW_ERR_NOMEM;
	if (rc == 0)
		rc = daemon_run(d);
	/* stopped otherwise (SIGTERM): the reset waits for the next start */
	*reset = rc == 0 && strcmp(daemon_stop_reason(d), RESET_STOP_REASON) == 0 &&
		 reset_pending(data_dir);
	daemon_free(d);
	return rc;
}

/* Runs the reset with SIGTERM/SIGINT held back: a wipe is not cut in the
 * middle. *stop tells whether one came meanwhile (then do not start
 * again; the new device is ready for the next start). */
static int reset_uncut(const char *data_dir, bool *stop)
{
	struct store_erase_report rep;
	sigset_t hold, old, pending;
	int rc;

	*stop = false;
	if (sigemptyset(&hold) != 0 || sigaddset(&hold, SIGTERM) != 0 ||
	    sigaddset(&hold, SIGINT) != 0 || sigprocmask(SIG_BLOCK, &hold, &old) != 0)
		return FGW_ERR_IO;
	log_info("factory reset of %s: wiping", data_dir);
	rc = reset_run(data_dir, &rep, NULL);
	if (rc == 0)
		log_info("factory reset done; certificate %s", rep.cert_path);
	if (sigpending(&pending) == 0 &&
	    (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1)) {
		log_info("a stop was asked for during the reset: not starting again");
		*stop = true;
		return rc;
	}
	return sigprocmask(SIG_SETMASK, &old, NULL) == 0 ? rc : FGW_ERR_IO;
}

/* Runs the daemon; after a factory reset asked for on the web page (the
 * loop stopped, everything closed), wipes, makes the new empty device and
 * starts again on it in the first-run state. */
static int serve(const char *config_path, bool foreground)
{
	char data_dir[4096];
	bool reset = false, stop = false;
	int rc;

	log_init("faxgwd", foreground, LOG_LEVEL_INFO);
	do {
		if ((rc = serve_once(config_path, foreground, &reset, data_dir,
				     sizeof data_dir)) != 0 || !reset)
			break;
		if ((rc = reset_uncut(data_dir, &stop)) != 0 || stop)
			break;
		log_info("starting on the new device");
	} while (reset);
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
