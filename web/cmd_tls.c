/* faxgw tls install CERT KEY: checks that the certificate and key are a
 * valid, unexpired pair and installs them (0600) as the web server's in
 * DATA/tls/; faxgwd uses them from its next start. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "storage/store.h"
#include "web/tls.h"
#include "web/web.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgw tls install [--data DIR] CERT KEY\n\n"
		"Installs CERT (PEM, chain allowed) and KEY (PEM, unencrypted) as the\n"
		"certificate of the HTTPS web interface after checking that they match\n"
		"and have not expired. Restart faxgwd to use them.\n\n"
		"  --data DIR   data directory (default " STORE_DEFAULT_DIR ")\n"
		"  --help       this text\n");
}

int cmd_tls(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = STORE_DEFAULT_DIR;
	char why[512] = "";
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd') {
			dir = optarg;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 3 || strcmp(argv[optind], "install") != 0) {
		usage(stderr);
		return 2;
	}
	if (web_tls_install(dir, argv[optind + 1], argv[optind + 2], why, sizeof why) != FGW_OK) {
		fprintf(stderr, "faxgw tls install: %s\n", why[0] ? why : "failed");
		return 1;
	}
	printf("installed %s and %s into %s/%s; restart faxgwd to use them\n",
	       argv[optind + 1], argv[optind + 2], dir, WEB_TLS_DIR);
	return 0;
}
