/* Vault throughput against raw AES-256-GCM on the same bytes, and peak
 * memory of writing and reading a 1-page and a 200-page document. Prints
 * figures; asserts nothing. The vault lives in /dev/shm when there is one
 * (so the figures measure the code, not the disk), else in $TMPDIR/tmp. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/log.h"
#include "common/str.h"
#include "storage/vault.h"

#define PAGE_BYTES (1024 * 1024)
#define THROUGHPUT_PAGES 64
#define ROUNDS 3

static char dir[256];
static uint8_t key[KEYS_LEN], key_id[KEYS_KEY_ID_LEN];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_doc(struct vault *v, const char *id, const uint8_t *page, int pages)
{
	struct vault_writer *w;

	if (vault_writer_open(v, id, key, key_id, &w) != 0)
		return -1;
	for (int i = 0; i < pages; i++)
		if (vault_writer_add_page(w, page, PAGE_BYTES) != 0) {
			vault_writer_abort(w);
			return -1;
		}
	return vault_writer_finish(w, NULL);
}

static int read_doc(struct vault *v, const char *id, uint8_t *buf)
{
	struct vault_reader *r;
	size_t got;
	int rc;

	if (vault_reader_open(v, id, key, key_id, &r) != 0)
		return -1;
	while ((rc = vault_reader_next_page(r, NULL)) == 1)
		while (vault_reader_read(r, buf, PAGE_BYTES, &got) == 0 && got > 0)
			;
	vault_reader_close(r);
	return rc;
}

/* Raw EVP over the same bytes in 64 KiB calls, one context, one tag. */
static double raw_gcm(const uint8_t *in, uint8_t *out, size_t len, int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t iv[12] = {0}, tag[16] = {0};
	double t0 = now_s();
	int n;

	EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv, enc);
	for (size_t off = 0; off < len; off += VAULT_CHUNK)
		EVP_CipherUpdate(ctx, out + off, &n, in + off, VAULT_CHUNK);
	if (!enc)
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag);
	(void)EVP_CipherFinal_ex(ctx, tag, &n); /* decrypt: tag mismatch is fine here */
	EVP_CIPHER_CTX_free(ctx);
	return now_s() - t0;
}

/* The least any encrypted store must do: raw GCM plus writing (or
 * reading) the ciphertext to a file in the same folder. */
static double raw_file(uint8_t *plain, uint8_t *cipher, size_t len, int enc)
{
	char path[300];
	double t0 = now_s(), gcm = 0;
	int fd;
	ssize_t n = 0;

	if (str_format(path, sizeof path, "%s/raw.bin", dir) != 0)
		return 1e9;
	fd = open(path, enc ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY, 0600);
	if (fd < 0)
		return 1e9;
	if (enc)
		gcm = raw_gcm(plain, cipher, len, 1);
	for (size_t off = 0; off < len && n >= 0; off += VAULT_CHUNK)
		n = enc ? pwrite(fd, cipher + off, VAULT_CHUNK, (off_t)off)
			: pread(fd, cipher + off, VAULT_CHUNK, (off_t)off);
	if (enc && fsync(fd) != 0)
		n = -1;
	if (!enc)
		gcm = raw_gcm(cipher, plain, len, 0);
	close(fd);
	if (!enc)
		(void)unlink(path);
	(void)gcm;
	return n < 0 ? 1e9 : now_s() - t0;
}

static void throughput(struct vault *v, const uint8_t *page)
{
	size_t total = (size_t)THROUGHPUT_PAGES * PAGE_BYTES;
	uint8_t *big = malloc(total), *out = malloc(total), *buf = malloc(PAGE_BYTES);
	double best_w = 1e9, best_r = 1e9, best_e = 1e9, best_d = 1e9, best_fw = 1e9,
	       best_fr = 1e9;
	double mb = (double)total / (1024.0 * 1024.0);

	if (big == NULL || out == NULL || buf == NULL)
		return;
	for (int i = 0; i < THROUGHPUT_PAGES; i++)
		memcpy(big + (size_t)i * PAGE_BYTES, page, PAGE_BYTES);
	for (int round = 0; round < ROUNDS; round++) {
		char id[VAULT_ID_LEN + 1], name[64];
		double t0, t1, t2;
		if (vault_new_id(id) != 0)
			break;
		t0 = now_s();
		if (write_doc(v, id, page, THROUGHPUT_PAGES) != 0)
			break;
		t1 = now_s();
		if (read_doc(v, id, buf) != 0)
			break;
		t2 = now_s();
		best_w = t1 - t0 < best_w ? t1 - t0 : best_w;
		best_r = t2 - t1 < best_r ? t2 - t1 : best_r;
		t0 = raw_gcm(big, out, total, 1);
		t1 = raw_gcm(out, big, total, 0);
		best_e = t0 < best_e ? t0 : best_e;
		best_d = t1 < best_d ? t1 : best_d;
		t0 = raw_file(big, out, total, 1);
		t1 = raw_file(big, out, total, 0);
		best_fw = t0 < best_fw ? t0 : best_fw;
		best_fr = t1 < best_fr ? t1 : best_fr;
		if (vault_blob_name(id, name, sizeof name) == 0)
			(void)vault_wipe_file(v, name, NULL);
	}
	printf("throughput, %d MiB document in %d pages (best of %d):\n", THROUGHPUT_PAGES,
	       THROUGHPUT_PAGES, ROUNDS);
	printf("  raw EVP AES-256-GCM encrypt, in memory     %8.1f MiB/s\n", mb / best_e);
	printf("  raw EVP encrypt + write file + fsync       %8.1f MiB/s\n", mb / best_fw);
	printf("  vault write (incl. fsync, rename)          %8.1f MiB/s   "
	       "ratio %.2f vs memory, %.2f vs file\n", mb / best_w, best_e / best_w,
	       best_fw / best_w);
	printf("  raw EVP AES-256-GCM decrypt, in memory     %8.1f MiB/s\n", mb / best_d);
	printf("  raw read file + EVP decrypt                %8.1f MiB/s\n", mb / best_fr);
	printf("  vault read                                 %8.1f MiB/s   "
	       "ratio %.2f vs memory, %.2f vs file\n", mb / best_r, best_d / best_r,
	       best_fr / best_r);
	free(big);
	free(out);
	free(buf);
}

/* In a fresh child: allocate the page buffer, then (pages > 0) write and
 * read a document of that many 1 MiB pages. Returns the child's peak RSS
 * in KiB. */
static long peak_rss(struct vault *v, int pages)
{
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		uint8_t *page = malloc(PAGE_BYTES), *buf = malloc(PAGE_BYTES);
		char id[VAULT_ID_LEN + 1], name[64];
		int rc = page == NULL || buf == NULL || vault_new_id(id) != 0;
		if (rc == 0) {
			memset(page, 0x5a, PAGE_BYTES);
			memset(buf, 0, PAGE_BYTES);
		}
		if (rc == 0 && pages > 0) {
			rc = write_doc(v, id, page, pages) != 0 || read_doc(v, id, buf) != 0;
			if (vault_blob_name(id, name, sizeof name) == 0)
				(void)vault_wipe_file(v, name, NULL);
		}
		_exit(rc);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	return ru.ru_maxrss;
}

static void memory(struct vault *v)
{
	long base = peak_rss(v, 0), one = peak_rss(v, 1), many = peak_rss(v, 200);

	printf("peak memory (max RSS of a child; 1 MiB pages written then read):\n");
	printf("  baseline (buffers only)       %6ld KiB\n", base);
	printf("  1-page document               %6ld KiB   (+%ld)\n", one, one - base);
	printf("  200-page document             %6ld KiB   (+%ld)\n", many, many - base);
}

int main(void)
{
	struct stat st;
	struct vault *v;
	static uint8_t page[PAGE_BYTES];
	const char *tmp = getenv("TMPDIR");
	int rc;

	log_init("bench_vault", true, LOG_LEVEL_ERROR);
	rc = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ?
		     str_copy(dir, sizeof dir, "/dev/shm/fgw-bench-XXXXXX") :
		     str_format(dir, sizeof dir, "%s/fgw-bench-XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (rc != 0 || mkdtemp(dir) == NULL || keys_new_doc_key(key, key_id) != 0 ||
	    vault_open(dir, false, &v) != 0) {
		fprintf(stderr, "bench_vault: cannot set up %s\n", dir);
		return 1;
	}
	for (size_t i = 0; i < sizeof page; i++)
		page[i] = (uint8_t)(i * 131 + (i >> 12));
	printf("vault in %s\n", dir);
	throughput(v, page);
	memory(v);
	vault_close(v);
	if (rmdir(dir) != 0)
		fprintf(stderr, "bench_vault: %s not removed\n", dir);
	return 0;
}
