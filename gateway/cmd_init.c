/* faxgw init: creates a new device (data directory, keys, catalog, audit
 * log). Refuses to touch an existing one. */
#include <getopt.h>
#include <stdio.h>

#include "common/err.h"
#include "gateway/commands.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "storage/setupcode.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgw init [--data DIR]\n\n"
		"Creates a new device in DIR (default " STORE_DEFAULT_DIR "): the folder\n"
		"(mode 700), a random master key and the device's Ed25519 signing key\n"
		"(mode 600), the public key (" KEYS_PUBLIC_FILE "), the catalog and the\n"
		"audit log. Refuses when DIR already holds a device or other files.\n\n"
		"  --data DIR   data directory\n"
		"  --help       this text\n");
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = STORE_DEFAULT_DIR;
	char code[SETUPCODE_LEN + 1];
	int c, rc;

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
	if (optind < argc) {
		fprintf(stderr, "faxgw init: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	rc = store_init(dir);
	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw init: no device created in %s: %s\n", dir, fgw_strerror(rc));
		return 1;
	}
	printf("created a new device in %s\npublic key for erasure certificates: %s/%s\n", dir,
	       dir, KEYS_PUBLIC_FILE);
	/* the web interface has no factory password: the first admin is made
	 * from loopback, or remotely with this one-time code */
	rc = setupcode_create(dir, code);
	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw init: cannot write the web setup code: %s\n",
			fgw_strerror(rc));
		return 1;
	}
	printf("web setup code (needed to create the first admin from another host): %s\n",
	       code);
	return 0;
}
