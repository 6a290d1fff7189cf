/* F-code password verifiers; see store_mailbox.h. */
#include "storage/store_mailbox.h"

#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/err.h"
#include "storage/keys.h"
#include "storage/store.h"

/* Separates this key from every other use of the vault subkey. */
static const char pwd_label[] = "faxgw mailbox F-code password key v1";

static int password_key(struct store *s, uint8_t out[static KEYS_LEN])
{
	uint8_t sub[KEYS_LEN];
	unsigned int len = 0;
	int rc = keys_derive(store_keys(s), KEYS_PURPOSE_VAULT, sub);

	if (rc == FGW_OK && HMAC(EVP_sha256(), sub, sizeof sub, (const uint8_t *)pwd_label,
				 sizeof pwd_label - 1, out, &len) == NULL)
		rc = FGW_ERR_CRYPTO;
	OPENSSL_cleanse(sub, sizeof sub);
	return rc;
}

/* HMAC(key, number || 0 || password) into mac (32 bytes). A password
 * longer than a T.30 field cannot match: FGW_ERR_BAD_PASSWORD. */
static int password_mac(struct store *s, const char *number, const char *password,
			uint8_t mac[static 32])
{
	uint8_t key[KEYS_LEN];
	uint8_t msg[CATALOG_NUMBER_MAX + 1 + STORE_MAILBOX_PASSWORD_MAX];
	size_t nlen = strlen(number), plen = strlen(password);
	unsigned int len = 0;
	int rc;

	if (nlen > CATALOG_NUMBER_MAX)
		return FGW_ERR_INVALID;
	if (plen > STORE_MAILBOX_PASSWORD_MAX)
		return FGW_ERR_BAD_PASSWORD;
	memcpy(msg, number, nlen + 1);
	memcpy(msg + nlen + 1, password, plen);
	rc = password_key(s, key);
	if (rc == FGW_OK && (HMAC(EVP_sha256(), key, sizeof key, msg, nlen + 1 + plen,
				  mac, &len) == NULL || len != 32))
		rc = FGW_ERR_CRYPTO;
	OPENSSL_cleanse(key, sizeof key);
	OPENSSL_cleanse(msg, sizeof msg);
	return rc;
}

static bool password_ok(const char *p)
{
	size_t n = strlen(p);

	if (n > STORE_MAILBOX_PASSWORD_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			return false;
	return true;
}

int store_mailbox_set_password(struct store *s, struct catalog_mailbox *mb,
			       const char *password)
{
	int rc;

	if (mb->number[0] == '\0')
		return FGW_ERR_INVALID;
	OPENSSL_cleanse(mb->pwd, sizeof mb->pwd);
	mb->pwd_len = 0;
	if (password == NULL || password[0] == '\0')
		return FGW_OK;
	if (!password_ok(password))
		return FGW_ERR_INVALID;
	rc = password_mac(s, mb->number, password, mb->pwd + 1);
	if (rc != FGW_OK)
		return rc;
	mb->pwd[0] = STORE_MAILBOX_PWD_VERSION;
	mb->pwd_len = STORE_MAILBOX_PWD_LEN;
	return FGW_OK;
}

bool store_mailbox_has_password(const struct catalog_mailbox *mb)
{
	return mb->pwd_len != 0;
}

int store_mailbox_check_password(struct store *s, const struct catalog_mailbox *mb,
				 const char *candidate)
{
	uint8_t mac[32];
	int rc;

	if (mb->pwd_len == 0)
		return FGW_OK;
	if (mb->pwd_len != STORE_MAILBOX_PWD_LEN || mb->pwd[0] != STORE_MAILBOX_PWD_VERSION)
		return FGW_ERR_VERSION;
	rc = password_mac(s, mb->number, candidate != NULL ? candidate : "", mac);
	if (rc == FGW_OK && CRYPTO_memcmp(mac, mb->pwd + 1, sizeof mac) != 0)
		rc = FGW_ERR_BAD_PASSWORD;
	OPENSSL_cleanse(mac, sizeof mac);
	return rc;
}
