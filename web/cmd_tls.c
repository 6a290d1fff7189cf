/* faxgw tls install CERT KEY: checks that the certificate and key are a
 * valid, unexpired pair and installs them (0600) as the web server's in
 * DATA/tls/; faxgwd uses them from its next start. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "gateway/commands.h"
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

/* The device's first HTTPS certificate, made with the device (the issue's
 * "made by faxgw init"; faxgwd makes one too if it is ever missing). */
static int init_certificate(const char *dir)
{
	int created = 0, rc = web_tls_ensure(dir, &created);

	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw init: no HTTPS certificate made in %s/%s: %s\n", dir,
			WEB_TLS_DIR, fgw_strerror(rc));
		return 1;
	}
	if (created)
		printf("self-signed HTTPS certificate: %s/%s/%s (replace it with "
		       "'faxgw tls install CERT KEY')\n", dir, WEB_TLS_DIR, WEB_TLS_CERT);
	return 0;
}

int cmd_init_web(int argc, char **argv)
{
	return cmd_init_with(argc, argv, init_certificate);
}
