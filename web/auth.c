/* Passwords, tokens and the setup code. */
#include "web/auth.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "common/err.h"
#include "common/log.h"
#include "common/pwpolicy.h"
#include "common/str.h"

#define VERIFIER_VERSION 1
#define SALT_LEN 16
#define HASH_LEN 32
#define SCRYPT_R 8
#define SCRYPT_P 1

/* The policy itself lives in common/pwpolicy.c, shared with `faxgw sip
 * password`; these keep the web's names. */
_Static_assert(AUTH_PASSWORD_MIN == PWPOLICY_MIN && AUTH_PASSWORD_MAX == PWPOLICY_MAX,
	       "web and common password limits agree");
bool auth_password_denied(const char *password)
{
	return pwpolicy_denied(password);
}

int auth_password_policy(const char *user, const char *password, char *why, size_t why_size)
{
	return pwpolicy_check(user, password, why, why_size);
}

static int scrypt(const char *password, const uint8_t *salt, unsigned log2_n, uint8_t *out)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	uint64_t n = (uint64_t)1 << log2_n;
	uint32_t r = SCRYPT_R, p = SCRYPT_P;
	uint64_t maxmem = 2 * 128 * (uint64_t)SCRYPT_R * n + (1u << 20);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password,
						  strlen(password)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, SALT_LEN),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
		OSSL_PARAM_construct_end(),
	};
	int ok = ctx && EVP_KDF_derive(ctx, out, HASH_LEN, params) == 1;

	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? FGW_OK : FGW_ERR_CRYPTO;
}

int auth_password_hash(const char *password, unsigned log2_n, uint8_t *out, size_t *out_len)
{
	if (!password || log2_n < 10 || log2_n > 20)
		return FGW_ERR_INVALID;
	out[0] = VERIFIER_VERSION;
	out[1] = (uint8_t)log2_n;
	out[2] = SCRYPT_R;
	out[3] = SCRYPT_P;
	if (RAND_bytes(out + 4, SALT_LEN) != 1)
		return FGW_ERR_CRYPTO;
	*out_len = AUTH_VERIFIER_LEN;
	return scrypt(password, out + 4, log2_n, out + 4 + SALT_LEN);
}

int auth_password_check(const char *password, const uint8_t *verifier, size_t len)
{
	uint8_t hash[HASH_LEN];
	int rc;

	if (len != AUTH_VERIFIER_LEN || verifier[0] != VERIFIER_VERSION ||
	    verifier[2] != SCRYPT_R || verifier[3] != SCRYPT_P ||
	    verifier[1] < 10 || verifier[1] > 20)
		return FGW_ERR_VERSION;
	rc = scrypt(password, verifier + 4, verifier[1], hash);
	if (rc == FGW_OK && !str_equal_ct(hash, verifier + 4 + SALT_LEN, HASH_LEN))
		rc = FGW_ERR_BAD_PASSWORD;
	OPENSSL_cleanse(hash, sizeof hash);
	return rc;
}

int auth_token_new(char out[static AUTH_TOKEN_HEX + 1])
{
	uint8_t raw[32];

	if (RAND_bytes(raw, sizeof raw) != 1)
		return FGW_ERR_CRYPTO;
	str_hex(raw, sizeof raw, out);
	OPENSSL_cleanse(raw, sizeof raw);
	return FGW_OK;
}

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

int auth_token_derive(const char *label, const char *token, char out[static AUTH_TOKEN_HEX + 1])
{
	uint8_t md[32];
	int rc = sha256_two(label, token, strlen(token), md);

	if (rc == FGW_OK)
		str_hex(md, sizeof md, out);
	return rc;
}

