/* Audit log benchmark: durable append rate with group commit (target
 * >= 5,000 records/s) and verify rate (target >= 1 M records/s), each next
 * to a raw baseline measured in the same run on the same bytes:
 *   append  vs  write() + fdatasync() of the same lines in the same groups
 *   verify  vs  HMAC-SHA256 of the same lines with one reused EVP_MAC
 * Prints figures; asserts nothing. Files live in a temporary directory
 * under $TMPDIR (default /tmp), removed at the end. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/audit.h"
#include "storage/audit_int.h"
#include "storage/catalog.h"

#define APPEND_RECORDS 20000
#define VERIFY_RECORDS 500000

static const uint8_t key[AUDIT_KEY_LEN] = "bench-audit-key-0123456789abcde";
static char dir[256];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void path_in(char *out, size_t size, const char *name)
{
	if (str_format(out, size, "%s/%s", dir, name) != FGW_OK)
		fatal("path too long");
}

/* A typical fax record. */
static int append_fax(struct audit *a, int i)
{
	struct audit_fax fax = { .direction = "in", .remote_number = "+81312345678",
				 .remote_ident = "ACME CORP FAX", .sub = "1234",
				 .mailbox = "1234", .document = "0123456789abcdef0123456789abcdef",
				 .pages = i % 7 + 1, .duration_ms = 42000 + i,
				 .bit_rate = 14400, .result = "ok" };

	return audit_fax(a, AUDIT_FAX_RECEIVED, &fax, NULL);
}

/* Appends n records, syncing every group; returns records/s. */
static double durable_appends(const char *name, struct catalog *cat, int group)
{
	char path[300];
	struct audit_options opts = { .catalog = cat };
	struct audit *a;
	double t0, t1;

	path_in(path, sizeof path, name);
	if (catalog_audit_head_reset(cat, &(struct catalog_audit_head){ 0 }) != FGW_OK ||
	    audit_open(path, key, &opts, &a) != FGW_OK)
		fatal("cannot open %s", path);
	t0 = now_s();
	for (int i = 1; i <= APPEND_RECORDS; i++) {
		if (append_fax(a, i) != FGW_OK)
			fatal("append failed");
		if (i % group == 0 && audit_sync(a, NULL) != FGW_OK)
			fatal("sync failed");
	}
	if (audit_sync(a, NULL) != FGW_OK)
		fatal("sync failed");
	t1 = now_s();
	if (audit_close(a) != FGW_OK)
		fatal("close failed");
	return APPEND_RECORDS / (t1 - t0);
}

/* The same bytes written raw, in the same groups; returns lines/s. */
static double raw_appends(const char *src_name, const char *name, int group)
{
	char src[300], path[300];
	struct stat sb;
	const char *data, *p, *nl;
	int in, out, lines = 0;
	double t0, t1;

	path_in(src, sizeof src, src_name);
	path_in(path, sizeof path, name);
	in = open(src, O_RDONLY);
	if (in < 0 || fstat(in, &sb) != 0)
		fatal("cannot read %s", src);
	data = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, in, 0);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (data == MAP_FAILED || out < 0)
		fatal("cannot map or create");
	t0 = now_s();
	for (p = data; p < data + sb.st_size; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(data + sb.st_size - p));
		if (nl == NULL || write(out, p, (size_t)(nl - p) + 1) != nl - p + 1)
			fatal("raw write failed");
		if (++lines % group == 0 && fdatasync(out) != 0)
			fatal("fdatasync failed");
	}
	if (fdatasync(out) != 0)
		fatal("fdatasync failed");
	t1 = now_s();
	munmap((void *)data, (size_t)sb.st_size);
	close(in);
	close(out);
	return lines / (t1 - t0);
}

static void bench_append(struct catalog *cat)
{
	static const int groups[] = { 1, 16, 64, 256 };

	printf("durable append, %d records of a typical fax_received record:\n",
	       APPEND_RECORDS);
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		char name[64], raw[64];
		double rate, base;

		(void)str_format(name, sizeof name, "append-%d.log", groups[i]);
		(void)str_format(raw, sizeof raw, "raw-%d.log", groups[i]);
		rate = durable_appends(name, cat, groups[i]);
		base = raw_appends(name, raw, groups[i]);
		printf("  fsync every %4d: audit %9.0f records/s   raw write+fdatasync "
		       "%9.0f lines/s   (%.0f%% of raw)\n", groups[i], rate, base,
		       100.0 * rate / base);
	}
}

/* Raw HMAC of every line (the MAC'd part), one reused context. */
static double raw_hmac(const char *data, size_t len, size_t *lines)
{
	struct audit_mac *m;
	uint8_t mac[AUDIT_MAC_LEN];
	const char *p, *nl;
	double t0, t1;

	if (audit_mac_new(key, &m) != FGW_OK)
		fatal("mac");
	*lines = 0;
	t0 = now_s();
	for (p = data; p < data + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(data + len - p));
		if (nl == NULL || audit_mac_compute(m, p, (size_t)(nl - p) - AUDIT_MAC_TAIL,
						    mac) != FGW_OK)
			fatal("hmac");
		(*lines)++;
	}
	t1 = now_s();
	audit_mac_free(m);
	return *lines / (t1 - t0);
}

static void bench_verify(void)
{
	char path[300];
	struct audit *a;
	struct audit_verify_result res;
	struct stat sb;
	const char *data;
	size_t lines;
	double t0, t1, base;
	int fd, rc;

	path_in(path, sizeof path, "verify.log");
	if (audit_open(path, key, NULL, &a) != FGW_OK)
		fatal("open");
	for (int i = 1; i <= VERIFY_RECORDS; i++)
		if (append_fax(a, i) != FGW_OK)
			fatal("append");
	if (audit_close(a) != FGW_OK)
		fatal("close");
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &sb) != 0)
		fatal("reopen");
	data = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (data == MAP_FAILED)
		fatal("mmap");
	t0 = now_s();
	rc = audit_verify_buffer((const uint8_t *)data, (size_t)sb.st_size, key, NULL, &res);
	t1 = now_s();
	if (rc != FGW_OK || res.records != VERIFY_RECORDS)
		fatal("verify failed: %s", res.detail);
	base = raw_hmac(data, (size_t)sb.st_size, &lines);
	printf("verify, %d records (%.1f MB, in memory):\n", VERIFY_RECORDS,
	       (double)sb.st_size / 1e6);
	printf("  audit_verify_buffer %10.0f records/s   raw HMAC-SHA256 %10.0f lines/s"
	       "   (%.0f%% of raw)\n", VERIFY_RECORDS / (t1 - t0), base,
	       100.0 * (VERIFY_RECORDS / (t1 - t0)) / base);
	munmap((void *)data, (size_t)sb.st_size);
	close(fd);
	t0 = now_s();
	rc = audit_verify_file(path, key, NULL, &res);
	t1 = now_s();
	printf("  audit_verify_file   %10.0f records/s   (from the page cache, mmap)\n",
	       rc == FGW_OK ? VERIFY_RECORDS / (t1 - t0) : 0.0);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char db[300], cmd[400];
	struct catalog *cat;

	log_init("bench_audit", true, LOG_LEVEL_WARNING);
	if (str_format(dir, sizeof dir, "%s/fgw-bench-audit-XXXXXX",
		       tmp != NULL ? tmp : "/tmp") != FGW_OK || mkdtemp(dir) == NULL)
		fatal("cannot make a temporary directory");
	path_in(db, sizeof db, "catalog.db");
	if (catalog_open(db, &cat) != FGW_OK)
		fatal("catalog");
	bench_append(cat);
	catalog_close(cat);
	bench_verify();
	if (str_format(cmd, sizeof cmd, "rm -rf '%s'", dir) != FGW_OK || system(cmd) != 0)
		fatal("cannot remove %s", dir);
	return 0;
}
