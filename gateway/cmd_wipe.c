/* faxgw wipe: erases one document, or the whole device (factory reset),
 * and writes a signed erasure certificate. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/commands.h"
#include "gateway/reset.h"
#include "storage/keys.h"
#include "storage/store.h"

struct wipe_args {
	const char *dir, *document, *cert_out;
	bool all, yes;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgw wipe --document ID [--data DIR] [--cert-out DIR]\n"
		"       faxgw wipe --all [--data DIR] [--cert-out DIR] [--yes]\n\n"
		"--document erases one document: its key is deleted from the catalog and\n"
		"its encrypted file is overwritten with random bytes and removed. The\n"
		"certificate goes to --cert-out, or DIR/" STORE_CERT_DIR " by default.\n\n"
		"--all is a factory reset: the master key is destroyed first, then every\n"
		"document, mailbox, user, log and key file is overwritten and removed.\n"
		"The certificate and the device's public key are written to --cert-out\n"
		"(a folder outside DIR), by default DIR/" STORE_ERASURE_DIR ", which the wipe\n"
		"keeps and the web's Factory reset page lists; the signing key is\n"
		"destroyed last. Asks you to type WIPE unless --yes is given.\n"
		"Afterwards only faxgw init makes a new device.\n\n"
		"  --data DIR       data directory (default " STORE_DEFAULT_DIR ")\n"
		"  --cert-out DIR   where the erasure certificate goes\n"
		"  --yes            do not ask for confirmation (--all)\n"
		"  --help           this text\n\n"
		"Check a certificate with: faxgw cert verify FILE.json --pubkey KEY.pem\n");
}

static int parse(int argc, char **argv, struct wipe_args *a)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"document", required_argument, NULL, 'D'},
		{"cert-out", required_argument, NULL, 'c'},
		{"all", no_argument, NULL, 'a'},
		{"yes", no_argument, NULL, 'y'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->dir = optarg; break;
		case 'D': a->document = optarg; break;
		case 'c': a->cert_out = optarg; break;
		case 'a': a->all = true; break;
		case 'y': a->yes = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || a->all == (a->document != NULL)) {
		fprintf(stderr, "faxgw wipe: give exactly one of --all or --document ID\n");
		return 2;
	}
	return -1;
}

/* The user must type WIPE: a factory reset cannot be undone. */
static bool confirmed(const char *dir)
{
	char line[64];

	fprintf(stderr, "This destroys every document, mailbox, user, log and key in %s.\n"
			"It cannot be undone. Type WIPE to go on: ", dir);
	fflush(stderr);
	if (fgets(line, sizeof line, stdin) == NULL)
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, "WIPE") == 0;
}

static int wipe_all(const struct wipe_args *a)
{
	struct store_erase_report rep = {0};
	struct wipe_tally t = {0};
	char cert_dir[4200];
	int rc;

	if (!a->yes && !confirmed(a->dir)) {
		fprintf(stderr, "faxgw wipe: not confirmed; nothing was erased\n");
		return 1;
	}
	if (a->cert_out == NULL &&
	    reset_erasure_dir(a->dir, cert_dir, sizeof cert_dir) != FGW_OK) {
		fprintf(stderr, "faxgw wipe: nothing was erased; give --cert-out DIR\n");
		return 1;
	}
	rc = store_wipe_all(a->dir, a->cert_out != NULL ? a->cert_out : cert_dir, &rep, &t);
	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw wipe: the wipe of %s did not complete: %s\n", a->dir,
			fgw_strerror(rc));
		return 1;
	}
	printf("wiped %s: %llu documents, %llu files, %llu bytes overwritten\n"
	       "certificate: %s (public key beside it, .pub.pem)\n",
	       a->dir, (unsigned long long)rep.documents, (unsigned long long)t.files,
	       (unsigned long long)t.bytes, rep.cert_path);
	return 0;
}

static int wipe_document(const struct wipe_args *a)
{
	struct store_erase_report rep = {0};
	struct store *s;
	int rc = store_open(a->dir, NULL, &s);

	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw wipe: cannot open the device in %s: %s\n", a->dir,
			fgw_strerror(rc));
		return 1;
	}
	rc = store_doc_erase(s, a->document, a->cert_out, &rep);
	if (store_close(s) != FGW_OK && rc == FGW_OK)
		rc = FGW_ERR_IO;
	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw wipe: document %s: %s\n", a->document, fgw_strerror(rc));
		return 1;
	}
	printf("erased document %s (%llu bytes overwritten)\ncertificate: %s\n", a->document,
	       (unsigned long long)rep.bytes_overwritten, rep.cert_path);
	return 0;
}

int cmd_wipe(int argc, char **argv)
{
	struct wipe_args a = {.dir = STORE_DEFAULT_DIR};
	int rc = parse(argc, argv, &a);

	if (rc >= 0)
		return rc;
	return a.all ? wipe_all(&a) : wipe_document(&a);
}
