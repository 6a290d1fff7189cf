/* Web benchmark. Without arguments it runs tests/bench/bench_web.sh (from
 * the repository root, as make bench does), which measures with wrk over
 * HTTPS on loopback:
 *   - p50/p99 latency of the logs page with a filter, 16 connections,
 *     on a device whose audit log holds 1 M transmission records
 *     (target p99 < 50 ms), after the catalog's index of the log has
 *     caught up (the time that first catch-up takes is printed too);
 *   - requests/s of the login page next to nginx serving a static page
 *     of the same size with the same certificate in the same run.
 * The script calls this program back as
 *   bench_web --generate DATA_DIR COUNT
 * to fill the audit log of a device made by faxgw init: COUNT fax records
 * appended through the storage API with group commit (one fdatasync per
 * 1000 records). Prints figures; asserts nothing. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/audit.h"
#include "storage/store.h"

#define GROUP 1000
#define SCRIPT "tests/bench/bench_web.sh"

/* Record i: mostly received and sent faxes; every 100th a failed send
 * (the page's filter picks those: 1 % of the log). */
static int append_one(struct audit *a, long long i)
{
	char number[24];
	bool failed = i % 100 == 0;
	bool in = !failed && i % 2 == 0;
	struct audit_fax fax = { .direction = in ? "in" : "out", .remote_number = number,
				 .remote_ident = "ACME CORP FAX", .sub = in ? "1234" : NULL,
				 .mailbox = in ? "1234" : NULL,
				 .document = "0123456789abcdef0123456789abcdef",
				 .pages = i % 7 + 1, .duration_ms = 42000 + i % 1000,
				 .bit_rate = 14400, .result = failed ? "busy" : "ok" };
	int rc = str_format(number, sizeof number, "+8131%07lld", i % 10000000);

	if (rc != FGW_OK)
		return rc;
	return audit_fax(a, failed ? AUDIT_FAX_FAILED : in ? AUDIT_FAX_RECEIVED : AUDIT_FAX_SENT,
			 &fax, NULL);
}

static int generate(const char *dir, const char *count_text)
{
	long long count;
	struct store *s;
	int rc = str_to_int(count_text, 1, 100000000, &count);

	if (rc != FGW_OK) {
		fprintf(stderr, "bench_web: COUNT must be 1 to 100000000, not '%s'\n", count_text);
		return 2;
	}
	rc = store_open(dir, NULL, &s);
	if (rc != FGW_OK) {
		fprintf(stderr, "bench_web: cannot open the device in %s: %s\n", dir,
			fgw_strerror(rc));
		return 1;
	}
	for (long long i = 1; rc == FGW_OK && i <= count; i++) {
		rc = append_one(store_audit(s), i);
		if (rc == FGW_OK && i % GROUP == 0)
			rc = audit_sync(store_audit(s), NULL);
	}
	if (store_close(s) != FGW_OK && rc == FGW_OK)
		rc = FGW_ERR_IO;
	if (rc != FGW_OK) {
		fprintf(stderr, "bench_web: appending to %s/%s failed: %s\n", dir,
			STORE_AUDIT_FILE, fgw_strerror(rc));
		return 1;
	}
	return 0;
}

/* Hands over to the script, telling it where this program is. */
static int run_script(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	char *const argv[] = {"bash", SCRIPT, self, NULL};

	if (n <= 0) {
		perror("bench_web: /proc/self/exe");
		return 1;
	}
	self[n] = '\0';
	execv("/bin/bash", argv);
	fprintf(stderr, "bench_web: cannot run %s (run from the repository root): ", SCRIPT);
	perror("");
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--generate") == 0)
		return generate(argv[2], argv[3]);
	if (argc != 1) {
		fprintf(stderr, "usage: bench_web   |   bench_web --generate DATA_DIR COUNT\n");
		return 2;
	}
	return run_script();
}
