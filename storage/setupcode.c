/* The one-time setup code: only its hash is kept, in DATA/web-setup-code,
 * until the first admin account is made with it. */
#include "storage/setupcode.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"

/* SHA-256 of a NUL-terminated label, then blen bytes of b. */
static int sha256_two(const char *a, const char *b, size_t blen, uint8_t md[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(ctx, a, strlen(a) + 1) == 1 &&
		 EVP_DigestUpdate(ctx, b, blen) == 1 &&
		 EVP_DigestFinal_ex(ctx, md, &n) == 1 && n == 32;

	EVP_MD_CTX_free(ctx);
	return ok ? FGW_OK : FGW_ERR_CRYPTO;
}


/* Upper-case letters and digits of code without dashes/spaces. */
static int normalise_code(const char *code, char *out, size_t size)
{
	size_t o = 0;

	for (; *code; code++) {
		if (*code == '-' || *code == ' ')
			continue;
		if (!isalnum((unsigned char)*code) || o + 1 >= size)
			return FGW_ERR_BAD_PASSWORD;
		out[o++] = (char)toupper((unsigned char)*code);
	}
	out[o] = '\0';
	return o == 12 ? FGW_OK : FGW_ERR_BAD_PASSWORD;
}

int setupcode_create(const char *data_dir, char code[static SETUPCODE_LEN + 1])
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; /* 32, no 0/O/1/I */
	uint8_t raw[12], md[32];
	char plain[13], hex[65], path[4200];
	int rc = str_format(path, sizeof path, "%s/%s", data_dir, SETUPCODE_FILE);

	if (rc != FGW_OK || RAND_bytes(raw, sizeof raw) != 1)
		return rc != FGW_OK ? rc : FGW_ERR_CRYPTO;
	for (size_t i = 0, o = 0; i < 12; i++) {
		plain[i] = alphabet[raw[i] & 31];
		code[o++] = plain[i];
		if (i % 4 == 3 && i != 11)
			code[o++] = '-';
	}
	plain[12] = code[SETUPCODE_LEN] = '\0';
	rc = sha256_two("setup", plain, 12, md);
	if (rc == FGW_OK) {
		str_hex(md, sizeof md, hex);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 || write(fd, hex, 64) != 64 || fsync(fd) != 0)
			rc = FGW_ERR_IO;
		if (fd >= 0 && close(fd) != 0)
			rc = FGW_ERR_IO;
	}
	OPENSSL_cleanse(raw, sizeof raw);
	OPENSSL_cleanse(plain, sizeof plain);
	return rc;
}

int setupcode_check(const char *data_dir, const char *code)
{
	char path[4200], stored[65], plain[16], hex[65];
	uint8_t md[32];
	ssize_t n = -1;
	int fd, rc = str_format(path, sizeof path, "%s/%s", data_dir, SETUPCODE_FILE);

	if (rc != FGW_OK)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return FGW_ERR_NOT_FOUND;
	n = read(fd, stored, 64);
	close(fd);
	if (n != 64)
		return FGW_ERR_NOT_FOUND;
	stored[64] = '\0';
	rc = normalise_code(code ? code : "", plain, sizeof plain);
	if (rc == FGW_OK)
		rc = sha256_two("setup", plain, strlen(plain), md);
	if (rc == FGW_OK) {
		str_hex(md, sizeof md, hex);
		rc = str_equal_ct(hex, stored, 64) ? FGW_OK : FGW_ERR_BAD_PASSWORD;
	}
	OPENSSL_cleanse(plain, sizeof plain);
	return rc;
}

void setupcode_remove(const char *data_dir)
{
	char path[4200];

	if (str_format(path, sizeof path, "%s/%s", data_dir, SETUPCODE_FILE) == FGW_OK &&
	    unlink(path) != 0 && errno != ENOENT)
		log_errno("cannot remove %s", path);
}
