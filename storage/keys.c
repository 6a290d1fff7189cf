/* The master key lives here and nowhere else: it is read from its file,
 * used for HKDF, and wiped when the keys are freed. */
#include "storage/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"

#define PATH_CAP 4096
/* Wraps and sealed mailbox keys share one layout (116 bytes):
 *   0 version  1 kind  2..4 scrypt log2 N, r, p (sealed keys)  5..7 zero
 *   8 key id (wraps) or salt (sealed keys, 16)
 *   24 public key: ephemeral (mailbox wraps) or the mailbox's (sealed)
 *   56 nonce (12)  68 sealed secret (32)  100 GCM tag (16)
 * Bytes 0..67 are clear but authenticated. */
#define BLOB_VERSION 1
#define BLOB_LEN 116
#define KIND_SEALED 3
#define OFF_KEY_ID 8
#define OFF_SALT 8
#define OFF_PUB 24
#define OFF_NONCE 56
#define OFF_CT 68
#define OFF_TAG 100
#define SALT_LEN 16
#define MAILBOX_ID_MAX 200
#define AAD_CAP (OFF_CT + KEYS_DOC_ID_LEN + MAILBOX_ID_MAX)
_Static_assert(BLOB_LEN == KEYS_WRAP_LEN && BLOB_LEN == KEYS_MAILBOX_SEALED_LEN, "layout");
#define SCRYPT_MAXMEM (512ull * 1024 * 1024)

struct keys {
	uint8_t master[KEYS_LEN];
	EVP_PKEY *signing;
	char device_id[KEYS_DEVICE_ID_LEN];
};

static int path_join(char *out, const char *dir, const char *name)
{
	return str_format(out, PATH_CAP, "%s/%s", dir, name);
}

int keys_check_mode(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return FGW_ERR_NOT_FOUND;
		log_errno("cannot stat %s", path);
		return FGW_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s is not a regular file (a link or other); replace it with the "
			  "key file itself", path);
		return FGW_ERR_PERMISSION;
	}
	if ((st.st_mode & 077) != 0) {
		log_error("%s has mode %04o but must be readable by its owner only: "
			  "run chmod 600 %s", path, (unsigned)(st.st_mode & 07777), path);
		return FGW_ERR_PERMISSION;
	}
	return FGW_OK;
}

/* Writes len bytes to a new file (O_EXCL, mode), fsyncs it. */
static int write_new_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	const uint8_t *p = data;

	if (fd < 0) {
		log_errno("cannot create %s", path);
		return errno == EEXIST ? FGW_ERR_EXISTS : FGW_ERR_IO;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_errno("cannot write %s", path);
			close(fd);
			return errno == ENOSPC ? FGW_ERR_NO_SPACE : FGW_ERR_IO;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		log_errno("cannot fsync %s", path);
		close(fd);
		return FGW_ERR_IO;
	}
	return close(fd) == 0 ? FGW_OK : FGW_ERR_IO;
}

/* Serialises a key to PEM in memory; *out is OPENSSL_malloc'd. */
static int pkey_to_pem(EVP_PKEY *pkey, bool private, char **out, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data;
	long n;
	int ok;

	if (bio == NULL)
		return FGW_ERR_CRYPTO;
	ok = private ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)
		     : PEM_write_bio_PUBKEY(bio, pkey);
	n = BIO_get_mem_data(bio, &data);
	if (ok != 1 || n <= 0 || (*out = OPENSSL_malloc((size_t)n)) == NULL) {
		BIO_free(bio);
		return FGW_ERR_CRYPTO;
	}
	memcpy(*out, data, (size_t)n);
	*len = (size_t)n;
	BIO_free(bio);
	return FGW_OK;
}

static int write_pem(const char *path, EVP_PKEY *pkey, bool private)
{
	char *pem = NULL;
	size_t len = 0;
	int rc = pkey_to_pem(pkey, private, &pem, &len);

	if (rc == FGW_OK)
		rc = write_new_file(path, pem, len, private ? 0600 : 0644);
	if (pem != NULL)
		OPENSSL_clear_free(pem, len);
	return rc;
}

static bool any_exists(const char *dir)
{
	static const char *const names[] = {KEYS_MASTER_FILE, KEYS_SIGNING_FILE, KEYS_PUBLIC_FILE};
	char path[PATH_CAP];
	struct stat st;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (path_join(path, dir, names[i]) != FGW_OK || lstat(path, &st) == 0) {
			log_error("%s already exists; refusing to replace device keys", path);
			return true;
		}
	return false;
}

int keys_create(const char *dir)
{
	uint8_t master[KEYS_LEN];
	char path[PATH_CAP];
	EVP_PKEY *pkey = NULL;
	int rc;

	if (any_exists(dir))
		return FGW_ERR_EXISTS;
	if (RAND_priv_bytes(master, sizeof master) != 1 ||
	    (pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL) {
		OPENSSL_cleanse(master, sizeof master);
		return FGW_ERR_CRYPTO;
	}
	rc = path_join(path, dir, KEYS_MASTER_FILE);
	if (rc == FGW_OK)
		rc = write_new_file(path, master, sizeof master, 0600);
	OPENSSL_cleanse(master, sizeof master);
	if (rc == FGW_OK && (rc = path_join(path, dir, KEYS_SIGNING_FILE)) == FGW_OK)
		rc = write_pem(path, pkey, true);
	if (rc == FGW_OK && (rc = path_join(path, dir, KEYS_PUBLIC_FILE)) == FGW_OK)
		rc = write_pem(path, pkey, false);
	EVP_PKEY_free(pkey);
	return rc;
}

static int read_master(const char *path, uint8_t master[static KEYS_LEN])
{
	uint8_t extra;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n, m;

	if (fd < 0) {
		log_errno("cannot open %s", path);
		return FGW_ERR_IO;
	}
	n = read(fd, master, KEYS_LEN);
	m = read(fd, &extra, 1);
	close(fd);
	if (n != KEYS_LEN || m != 0) {
		log_error("%s is not a %d-byte master key; restore it from backup or "
			  "run faxgw init on an empty data directory", path, KEYS_LEN);
		OPENSSL_cleanse(master, KEYS_LEN);
		return FGW_ERR_PARSE;
	}
	return FGW_OK;
}

static int read_signing(const char *path, EVP_PKEY **out)
{
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		log_errno("cannot open %s", path);
		return FGW_ERR_IO;
	}
	*out = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (*out == NULL || EVP_PKEY_get_id(*out) != EVP_PKEY_ED25519) {
		log_error("%s is not an Ed25519 private key in PEM form", path);
		EVP_PKEY_free(*out);
		*out = NULL;
		return FGW_ERR_PARSE;
	}
	return FGW_OK;
}

static int compute_device_id(struct keys *k)
{
	uint8_t raw[32], digest[32];
	size_t len = sizeof raw;
	unsigned dlen = sizeof digest;

	if (EVP_PKEY_get_raw_public_key(k->signing, raw, &len) != 1 || len != sizeof raw ||
	    EVP_Digest(raw, len, digest, &dlen, EVP_sha256(), NULL) != 1)
		return FGW_ERR_CRYPTO;
	for (size_t i = 0; i < 16; i++)
		if (str_format(k->device_id + 2 * i, 3, "%02x", digest[i]) != FGW_OK)
			return FGW_ERR_RANGE;
	return FGW_OK;
}

static int load_into(struct keys *k, const char *dir)
{
	char master_path[PATH_CAP], signing_path[PATH_CAP];
	int rc;

	if ((rc = path_join(master_path, dir, KEYS_MASTER_FILE)) != FGW_OK ||
	    (rc = path_join(signing_path, dir, KEYS_SIGNING_FILE)) != FGW_OK)
		return rc;
	if ((rc = keys_check_mode(master_path)) != FGW_OK ||
	    (rc = keys_check_mode(signing_path)) != FGW_OK) {
		if (rc == FGW_ERR_NOT_FOUND)
			log_error("%s has no device keys; run faxgw init --data %s", dir, dir);
		return rc;
	}
	if ((rc = read_master(master_path, k->master)) != FGW_OK ||
	    (rc = read_signing(signing_path, &k->signing)) != FGW_OK)
		return rc;
	return compute_device_id(k);
}

int keys_load(const char *dir, struct keys **out)
{
	struct keys *k = OPENSSL_zalloc(sizeof *k);
	int rc;

	*out = NULL;
	if (k == NULL)
		return FGW_ERR_NOMEM;
	rc = load_into(k, dir);
	if (rc != FGW_OK) {
		keys_free(k);
		return rc;
	}
	*out = k;
	return FGW_OK;
}

void keys_free(struct keys *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->signing);
	OPENSSL_clear_free(k, sizeof *k);
}

const char *keys_device_id(const struct keys *k)
{
	return k->device_id;
}

/* HKDF-SHA256(ikm, salt, info) -> out[KEYS_LEN]. */
static int hkdf(const uint8_t *ikm, size_t ikm_len, const void *salt, size_t salt_len,
		const void *info, size_t info_len, uint8_t out[static KEYS_LEN])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[5], *p = params;
	int ok;

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	if (salt_len > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
							 salt_len);
	*p = OSSL_PARAM_construct_end();
	ok = ctx != NULL && EVP_KDF_derive(ctx, out, KEYS_LEN, params) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? FGW_OK : FGW_ERR_CRYPTO;
}

int keys_derive(const struct keys *k, enum keys_purpose purpose, uint8_t out[static KEYS_LEN])
{
	static const char *const labels[] = {
		[KEYS_PURPOSE_VAULT] = "faxgw v1 vault inbox key",
		[KEYS_PURPOSE_AUDIT_MAC] = "faxgw v1 audit mac key",
		[KEYS_PURPOSE_SESSIONS] = "faxgw v1 session key",
	};

	if ((unsigned)purpose >= sizeof labels / sizeof labels[0])
		return FGW_ERR_INVALID;
	return hkdf(k->master, KEYS_LEN, NULL, 0, labels[purpose], strlen(labels[purpose]), out);
}

int keys_sign(const struct keys *k, const void *msg, size_t len, uint8_t sig[static KEYS_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = KEYS_SIG_LEN;
	int ok;

	ok = ctx != NULL && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->signing) == 1 &&
	     EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 && siglen == KEYS_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? FGW_OK : FGW_ERR_CRYPTO;
}

int keys_public_pem(const struct keys *k, char *buf, size_t size)
{
	char *pem = NULL;
	size_t len = 0;
	int rc = pkey_to_pem(k->signing, false, &pem, &len);

	if (rc != FGW_OK)
		return rc;
	if (len >= size) {
		OPENSSL_free(pem);
		return FGW_ERR_TOO_LARGE;
	}
	memcpy(buf, pem, len);
	buf[len] = '\0';
	OPENSSL_free(pem);
	return FGW_OK;
}

int keys_new_doc_key(uint8_t key[static KEYS_LEN], uint8_t key_id[static KEYS_KEY_ID_LEN])
{
	if (RAND_priv_bytes(key, KEYS_LEN) != 1 || RAND_bytes(key_id, KEYS_KEY_ID_LEN) != 1)
		return FGW_ERR_CRYPTO;
	return FGW_OK;
}

static int gcm(bool seal, const uint8_t key[static KEYS_LEN], const uint8_t nonce[static 12],
	       const void *aad, size_t aad_len, const void *in, size_t len, void *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t rest[16]; /* GCM's final step outputs nothing */
	int n = 0, ok, final;

	if (ctx == NULL || len > INT32_MAX || aad_len > INT32_MAX) {
		EVP_CIPHER_CTX_free(ctx);
		return FGW_ERR_CRYPTO;
	}
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce, seal ? 1 : 0) == 1 &&
	     (aad_len == 0 || EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1) &&
	     (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1) &&
	     (seal || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1);
	final = ok ? EVP_CipherFinal_ex(ctx, rest, &n) : 0;
	if (ok && final == 1 && seal)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return FGW_ERR_CRYPTO;
	return final == 1 ? FGW_OK : FGW_ERR_AUTH;
}

int keys_gcm_seal(const uint8_t key[static KEYS_LEN], const uint8_t nonce[static 12],
		  const void *aad, size_t aad_len, const void *in, size_t len, void *out,
		  uint8_t tag[static 16])
{
	return gcm(true, key, nonce, aad, aad_len, in, len, out, tag);
}

int keys_gcm_open(const uint8_t key[static KEYS_LEN], const uint8_t nonce[static 12],
		  const void *aad, size_t aad_len, const void *in, size_t len, void *out,
		  const uint8_t tag[static 16])
{
	uint8_t t[16];

	memcpy(t, tag, sizeof t);
	return gcm(false, key, nonce, aad, aad_len, in, len, out, t);
}

static bool cost_valid(const struct keys_scrypt *c)
{
	return c->log2_n >= 10 && c->log2_n <= 20 && c->r >= 1 && c->r <= 16 && c->p >= 1 &&
	       c->p <= 4;
}

static bool pin_valid(const char *pin)
{
	return pin != NULL && pin[0] != '\0' && strlen(pin) <= KEYS_PIN_MAX;
}

static bool mailbox_id_valid(const char *id)
{
	return id != NULL && id[0] != '\0' && strlen(id) <= MAILBOX_ID_MAX;
}

/* scrypt(PIN, salt, cost) -> out. */
static int scrypt_pin(const char *pin, const uint8_t salt[static SALT_LEN],
		      const struct keys_scrypt *c, uint8_t out[static KEYS_LEN])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	uint64_t n = 1ull << c->log2_n, maxmem = SCRYPT_MAXMEM;
	uint32_t r = c->r, p = c->p;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pin, strlen(pin)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, SALT_LEN),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
		OSSL_PARAM_construct_end(),
	};
	int ok = ctx != NULL && EVP_KDF_derive(ctx, out, KEYS_LEN, params) == 1;

	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? FGW_OK : FGW_ERR_CRYPTO;
}

/* HKDF(master, "mailbox" + id): binds a mailbox's keys to this device. */
static int mailbox_binding(const struct keys *k, const char *mailbox_id,
			   uint8_t out[static KEYS_LEN])
{
	char info[MAILBOX_ID_MAX + 32];

	if (str_format(info, sizeof info, "faxgw v1 mailbox %s", mailbox_id) != FGW_OK)
		return FGW_ERR_INVALID;
	return hkdf(k->master, KEYS_LEN, NULL, 0, info, strlen(info), out);
}

/* The key sealing a mailbox's private key: HKDF over scrypt(PIN), salted
 * with the mailbox binding, so it needs both the PIN and the master key. */
static int seal_key(const struct keys *k, const char *mailbox_id, const char *pin,
		    const uint8_t salt[static SALT_LEN], const struct keys_scrypt *c,
		    uint8_t out[static KEYS_LEN])
{
	static const char label[] = "faxgw v1 mailbox seal";
	uint8_t mb[KEYS_LEN], pk[KEYS_LEN];
	int rc = mailbox_binding(k, mailbox_id, mb);

	if (rc == FGW_OK)
		rc = scrypt_pin(pin, salt, c, pk);
	if (rc == FGW_OK)
		rc = hkdf(pk, sizeof pk, mb, sizeof mb, label, sizeof label - 1, out);
	OPENSSL_cleanse(mb, sizeof mb);
	OPENSSL_cleanse(pk, sizeof pk);
	return rc;
}

/* AAD: a blob's clear part, then the document id (if any) and mailbox id
 * (if any), so a wrap or seal cannot be moved to another row. */
static int make_aad(const uint8_t *blob, const uint8_t *doc_id, const char *mailbox_id,
		    uint8_t aad[static AAD_CAP], size_t *len)
{
	size_t mlen = mailbox_id != NULL ? strlen(mailbox_id) : 0;

	if (mlen > MAILBOX_ID_MAX)
		return FGW_ERR_INVALID;
	memcpy(aad, blob, OFF_CT);
	*len = OFF_CT;
	if (doc_id != NULL) {
		memcpy(aad + *len, doc_id, KEYS_DOC_ID_LEN);
		*len += KEYS_DOC_ID_LEN;
	}
	if (mlen > 0)
		memcpy(aad + *len, mailbox_id, mlen);
	*len += mlen;
	return FGW_OK;
}

/* Seals 32 secret bytes into blob (whose clear part is filled in). */
static int blob_seal(const uint8_t kek[static KEYS_LEN], const uint8_t *doc_id,
		     const char *mailbox_id, const uint8_t secret[static KEYS_LEN],
		     uint8_t blob[static BLOB_LEN])
{
	uint8_t aad[AAD_CAP];
	size_t aad_len;
	int rc;

	if (RAND_bytes(blob + OFF_NONCE, 12) != 1)
		return FGW_ERR_CRYPTO;
	if ((rc = make_aad(blob, doc_id, mailbox_id, aad, &aad_len)) != FGW_OK)
		return rc;
	return keys_gcm_seal(kek, blob + OFF_NONCE, aad, aad_len, secret, KEYS_LEN,
			     blob + OFF_CT, blob + OFF_TAG);
}

static int blob_open(const uint8_t kek[static KEYS_LEN], const uint8_t *doc_id,
		     const char *mailbox_id, const uint8_t *blob, uint8_t secret[static KEYS_LEN])
{
	uint8_t aad[AAD_CAP];
	size_t aad_len;
	int rc = make_aad(blob, doc_id, mailbox_id, aad, &aad_len);

	if (rc == FGW_OK)
		rc = keys_gcm_open(kek, blob + OFF_NONCE, aad, aad_len, blob + OFF_CT, KEYS_LEN,
				   secret, blob + OFF_TAG);
	if (rc != FGW_OK)
		OPENSSL_cleanse(secret, KEYS_LEN);
	return rc;
}

static void blob_header(uint8_t blob[static BLOB_LEN], uint8_t kind, const struct keys_scrypt *c)
{
	memset(blob, 0, BLOB_LEN);
	blob[0] = BLOB_VERSION;
	blob[1] = kind;
	if (c != NULL) {
		blob[2] = (uint8_t)c->log2_n;
		blob[3] = (uint8_t)c->r;
		blob[4] = (uint8_t)c->p;
	}
}

/* ---- mailbox key pairs -------------------------------------------------- */

static int x25519_raw(EVP_PKEY *pkey, uint8_t *priv, uint8_t pub[static 32])
{
	size_t plen = KEYS_LEN, qlen = 32;

	if ((priv != NULL && (EVP_PKEY_get_raw_private_key(pkey, priv, &plen) != 1 ||
			      plen != KEYS_LEN)) ||
	    EVP_PKEY_get_raw_public_key(pkey, pub, &qlen) != 1 || qlen != 32)
		return FGW_ERR_CRYPTO;
	return FGW_OK;
}

static int seal_private(const struct keys *k, const char *mailbox_id, const char *pin,
			const struct keys_scrypt *c, const uint8_t priv[static KEYS_LEN],
			const uint8_t pub[static 32], uint8_t sealed[static BLOB_LEN])
{
	uint8_t kek[KEYS_LEN];
	int rc;

	blob_header(sealed, KIND_SEALED, c);
	memcpy(sealed + OFF_PUB, pub, 32);
	if (RAND_bytes(sealed + OFF_SALT, SALT_LEN) != 1)
		return FGW_ERR_CRYPTO;
	rc = seal_key(k, mailbox_id, pin, sealed + OFF_SALT, c, kek);
	if (rc == FGW_OK)
		rc = blob_seal(kek, NULL, mailbox_id, priv, sealed);
	OPENSSL_cleanse(kek, sizeof kek);
	return rc;
}

int keys_mailbox_create(const struct keys *k, const char *mailbox_id, const char *pin,
			const struct keys_scrypt *cost,
			uint8_t sealed[static KEYS_MAILBOX_SEALED_LEN])
{
	struct keys_scrypt c = cost != NULL ? *cost : KEYS_SCRYPT_DEFAULT;
	uint8_t priv[KEYS_LEN], pub[32];
	EVP_PKEY *pkey;
	int rc;

	if (!pin_valid(pin) || !mailbox_id_valid(mailbox_id) || !cost_valid(&c))
		return FGW_ERR_INVALID;
	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "X25519")) == NULL)
		return FGW_ERR_CRYPTO;
	rc = x25519_raw(pkey, priv, pub);
	EVP_PKEY_free(pkey);
	if (rc == FGW_OK)
		rc = seal_private(k, mailbox_id, pin, &c, priv, pub, sealed);
	OPENSSL_cleanse(priv, sizeof priv);
	return rc;
}

int keys_mailbox_cost(const uint8_t *sealed, size_t len, struct keys_scrypt *cost)
{
	struct keys_scrypt c;

	if (sealed == NULL || len < 1)
		return FGW_ERR_PARSE;
	if (sealed[0] != BLOB_VERSION)
		return FGW_ERR_VERSION;
	if (len != BLOB_LEN || sealed[1] != KIND_SEALED)
		return FGW_ERR_PARSE;
	c = (struct keys_scrypt){sealed[2], sealed[3], sealed[4]};
	if (!cost_valid(&c))
		return FGW_ERR_PARSE;
	if (cost != NULL)
		*cost = c;
	return FGW_OK;
}

/* Opens a sealed mailbox key with the PIN: the private key into priv. */
static int unseal_private(const struct keys *k, const char *mailbox_id, const char *pin,
			  const uint8_t *sealed, size_t len, uint8_t priv[static KEYS_LEN])
{
	struct keys_scrypt c;
	uint8_t kek[KEYS_LEN];
	int rc = keys_mailbox_cost(sealed, len, &c);

	if (rc != FGW_OK)
		return rc;
	if (!pin_valid(pin) || !mailbox_id_valid(mailbox_id))
		return FGW_ERR_INVALID;
	rc = seal_key(k, mailbox_id, pin, sealed + OFF_SALT, &c, kek);
	if (rc == FGW_OK)
		rc = blob_open(kek, NULL, mailbox_id, sealed, priv);
	OPENSSL_cleanse(kek, sizeof kek);
	return rc == FGW_ERR_AUTH ? FGW_ERR_BAD_PIN : rc;
}

int keys_mailbox_check_pin(const struct keys *k, const char *mailbox_id, const char *pin,
			   const uint8_t *sealed, size_t len)
{
	uint8_t priv[KEYS_LEN];
	int rc = unseal_private(k, mailbox_id, pin, sealed, len, priv);

	OPENSSL_cleanse(priv, sizeof priv);
	return rc;
}

int keys_mailbox_reseal(const struct keys *k, const char *mailbox_id, const char *old_pin,
			const char *new_pin, const struct keys_scrypt *cost,
			const uint8_t *sealed, size_t len,
			uint8_t out[static KEYS_MAILBOX_SEALED_LEN])
{
	struct keys_scrypt c = cost != NULL ? *cost : KEYS_SCRYPT_DEFAULT;
	uint8_t priv[KEYS_LEN];
	int rc;

	if (!pin_valid(new_pin) || !cost_valid(&c))
		return FGW_ERR_INVALID;
	rc = unseal_private(k, mailbox_id, old_pin, sealed, len, priv);
	if (rc == FGW_OK)
		rc = seal_private(k, mailbox_id, new_pin, &c, priv, sealed + OFF_PUB, out);
	OPENSSL_cleanse(priv, sizeof priv);
	return rc;
}

/* ---- document key wraps ------------------------------------------------- */

int keys_wrap_inbox(const struct keys *k, const uint8_t doc_id[static KEYS_DOC_ID_LEN],
		    const uint8_t key_id[static KEYS_KEY_ID_LEN], const uint8_t key[static KEYS_LEN],
		    uint8_t wrap[static KEYS_WRAP_LEN])
{
	uint8_t kek[KEYS_LEN];
	int rc;

	blob_header(wrap, KEYS_WRAP_INBOX, NULL);
	memcpy(wrap + OFF_KEY_ID, key_id, KEYS_KEY_ID_LEN);
	rc = keys_derive(k, KEYS_PURPOSE_VAULT, kek);
	if (rc == FGW_OK)
		rc = blob_seal(kek, doc_id, NULL, key, wrap);
	OPENSSL_cleanse(kek, sizeof kek);
	return rc;
}

/* X25519(own, peer_pub) -> shared. */
static int x25519_shared(EVP_PKEY *own, const uint8_t peer_pub[static 32],
			 uint8_t shared[static KEYS_LEN])
{
	EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer_pub, 32);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(own, NULL);
	size_t len = KEYS_LEN;
	int ok = peer != NULL && ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
		 EVP_PKEY_derive_set_peer(ctx, peer) == 1 &&
		 EVP_PKEY_derive(ctx, shared, &len) == 1 && len == KEYS_LEN;

	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return ok ? FGW_OK : FGW_ERR_CRYPTO;
}

/* The document-wrapping key of a mailbox wrap: HKDF over the X25519
 * secret, salted with the mailbox binding (master key), labelled with
 * both public keys. */
static int mailbox_kek(const struct keys *k, const char *mailbox_id,
		       const uint8_t shared[static KEYS_LEN], const uint8_t eph_pub[static 32],
		       const uint8_t mbox_pub[static 32], uint8_t kek[static KEYS_LEN])
{
	static const char label[] = "faxgw v1 mailbox document wrap";
	uint8_t info[sizeof label - 1 + 64], mb[KEYS_LEN];
	int rc = mailbox_binding(k, mailbox_id, mb);

	memcpy(info, label, sizeof label - 1);
	memcpy(info + sizeof label - 1, eph_pub, 32);
	memcpy(info + sizeof label - 1 + 32, mbox_pub, 32);
	if (rc == FGW_OK)
		rc = hkdf(shared, KEYS_LEN, mb, sizeof mb, info, sizeof info, kek);
	OPENSSL_cleanse(mb, sizeof mb);
	return rc;
}

int keys_wrap_mailbox(const struct keys *k, const char *mailbox_id, const uint8_t *sealed,
		      size_t sealed_len, const uint8_t doc_id[static KEYS_DOC_ID_LEN],
		      const uint8_t key_id[static KEYS_KEY_ID_LEN], const uint8_t key[static KEYS_LEN],
		      uint8_t wrap[static KEYS_WRAP_LEN])
{
	uint8_t shared[KEYS_LEN], kek[KEYS_LEN];
	EVP_PKEY *eph = NULL;
	int rc = keys_mailbox_cost(sealed, sealed_len, NULL);

	if (rc != FGW_OK)
		return rc;
	if (!mailbox_id_valid(mailbox_id))
		return FGW_ERR_INVALID;
	blob_header(wrap, KEYS_WRAP_MAILBOX, NULL);
	memcpy(wrap + OFF_KEY_ID, key_id, KEYS_KEY_ID_LEN);
	if ((eph = EVP_PKEY_Q_keygen(NULL, NULL, "X25519")) == NULL)
		return FGW_ERR_CRYPTO;
	rc = x25519_raw(eph, NULL, wrap + OFF_PUB);
	if (rc == FGW_OK)
		rc = x25519_shared(eph, sealed + OFF_PUB, shared);
	EVP_PKEY_free(eph);
	if (rc == FGW_OK)
		rc = mailbox_kek(k, mailbox_id, shared, wrap + OFF_PUB, sealed + OFF_PUB, kek);
	if (rc == FGW_OK)
		rc = blob_seal(kek, doc_id, mailbox_id, key, wrap);
	OPENSSL_cleanse(shared, sizeof shared);
	OPENSSL_cleanse(kek, sizeof kek);
	return rc;
}

int keys_wrap_info(const uint8_t *wrap, size_t len, enum keys_wrap_kind *kind,
		   uint8_t key_id[KEYS_KEY_ID_LEN])
{
	if (wrap == NULL || len < 1)
		return FGW_ERR_PARSE;
	if (wrap[0] != BLOB_VERSION)
		return FGW_ERR_VERSION;
	if (len != KEYS_WRAP_LEN || (wrap[1] != KEYS_WRAP_INBOX && wrap[1] != KEYS_WRAP_MAILBOX))
		return FGW_ERR_PARSE;
	if (kind != NULL)
		*kind = (enum keys_wrap_kind)wrap[1];
	if (key_id != NULL)
		memcpy(key_id, wrap + OFF_KEY_ID, KEYS_KEY_ID_LEN);
	return FGW_OK;
}

static int unwrap_mailbox(const struct keys *k, const char *mailbox_id, const char *pin,
			  const uint8_t *sealed, size_t sealed_len,
			  const uint8_t doc_id[static KEYS_DOC_ID_LEN], const uint8_t *wrap,
			  uint8_t key[static KEYS_LEN])
{
	uint8_t priv[KEYS_LEN], shared[KEYS_LEN], kek[KEYS_LEN];
	EVP_PKEY *own = NULL;
	int rc = unseal_private(k, mailbox_id, pin, sealed, sealed_len, priv);

	if (rc == FGW_OK &&
	    (own = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, KEYS_LEN)) == NULL)
		rc = FGW_ERR_CRYPTO;
	OPENSSL_cleanse(priv, sizeof priv);
	if (rc == FGW_OK)
		rc = x25519_shared(own, wrap + OFF_PUB, shared);
	EVP_PKEY_free(own);
	if (rc == FGW_OK)
		rc = mailbox_kek(k, mailbox_id, shared, wrap + OFF_PUB, sealed + OFF_PUB, kek);
	if (rc == FGW_OK)
		rc = blob_open(kek, doc_id, mailbox_id, wrap, key);
	OPENSSL_cleanse(shared, sizeof shared);
	OPENSSL_cleanse(kek, sizeof kek);
	return rc;
}

int keys_unwrap(const struct keys *k, const char *mailbox_id, const char *pin,
		const uint8_t *sealed, size_t sealed_len,
		const uint8_t doc_id[static KEYS_DOC_ID_LEN], const uint8_t *wrap, size_t len,
		uint8_t key[static KEYS_LEN])
{
	enum keys_wrap_kind kind;
	uint8_t kek[KEYS_LEN];
	int rc = keys_wrap_info(wrap, len, &kind, NULL);

	if (rc == FGW_OK && kind == KEYS_WRAP_MAILBOX) {
		rc = unwrap_mailbox(k, mailbox_id, pin, sealed, sealed_len, doc_id, wrap, key);
	} else if (rc == FGW_OK) {
		rc = keys_derive(k, KEYS_PURPOSE_VAULT, kek);
		if (rc == FGW_OK)
			rc = blob_open(kek, doc_id, NULL, wrap, key);
		OPENSSL_cleanse(kek, sizeof kek);
	}
	/* a caller that ignores the code still finds no key bytes */
	if (rc != FGW_OK)
		OPENSSL_cleanse(key, KEYS_LEN);
	return rc;
}
