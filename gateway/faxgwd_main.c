/* faxgwd: the faxgw daemon. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/config.h"

#define DEFAULT_CONFIG "/etc/faxgw/faxgw.ini"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgwd [-n] [-c FILE]\n"
		"  -c FILE   configuration file (default " DEFAULT_CONFIG ")\n"
		"  -n        check the configuration, print 'configuration OK' or every\n"
		"            error found, and exit\n"
		"  -h        this help\n");
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

int main(int argc, char **argv)
{
	const char *config_path = DEFAULT_CONFIG;
	int check_only = 0, opt;

	log_init("faxgwd", true, LOG_LEVEL_INFO);
	while ((opt = getopt(argc, argv, "c:nh")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'n':
			check_only = 1;
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
	if (check_only)
		return check_config(config_path);
	fprintf(stderr, "faxgwd: this build only checks configurations (-n); "
			"the call-handling daemon is not part of it yet\n");
	return 2;
}
