/* faxgw cert verify: checks an erasure certificate against a public key. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "gateway/commands.h"
#include "storage/cert.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgw cert verify CERTIFICATE.json --pubkey KEY.pem\n\n"
		"Checks that an erasure certificate was signed by the device whose public\n"
		"key is KEY.pem and has not been changed since. Prints \"valid\", or why\n"
		"not: malformed, wrong key, or tampered.\n\n"
		"  --pubkey FILE   the device's Ed25519 public key (PEM), as exported by\n"
		"                  faxgw init or next to the certificate by faxgw wipe --all\n"
		"  --help          this text\n\n"
		"Exit status: 0 valid, 1 not valid, 2 usage error.\n");
}

int cmd_cert(int argc, char **argv)
{
	static const struct option opts[] = {
		{"pubkey", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *pubkey = NULL;
	char why[CERT_WHY_MAX];
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'k') {
			pubkey = optarg;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "verify") != 0 || pubkey == NULL) {
		usage(stderr);
		return 2;
	}
	rc = cert_verify_files(argv[optind + 1], pubkey, why, sizeof why);
	if (rc == FGW_OK) {
		printf("%s: valid\n", argv[optind + 1]);
		return 0;
	}
	printf("%s: NOT valid: %s\n", argv[optind + 1], why);
	return 1;
}
