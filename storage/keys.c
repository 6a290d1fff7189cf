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
#define WRAP_VERSION 1
#define WRAP_CLEAR_LEN 52   /* version..nonce: authenticated, not secret */
#define WRAP_OFF_KEY_ID 8
#define WRAP_OFF_SALT 24
#define WRAP_OFF_NONCE 40
#define WRAP_OFF_CT 52
#define WRAP_OFF_TAG 84
#define SALT_LEN 16
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

/* The mailbox wrapping key: HKDF over the scrypt of the PIN, salted by a
 * master-key HKDF bound to the mailbox, so it needs both PIN and master. */
static int mailbox_key(const struct keys *k, const char *mailbox_id, const char *pin,
		       const uint8_t salt[static SALT_LEN], const struct keys_scrypt *c,
		       uint8_t out[static KEYS_LEN])
{
	static const char label[] = "faxgw v1 mailbox ";
	char info[sizeof label + 256];
	uint8_t mb[KEYS_LEN], pk[KEYS_LEN];
	int rc;

	if (str_format(info, sizeof info, "%s%s", label, mailbox_id) != FGW_OK)
		return FGW_ERR_INVALID;
	rc = hkdf(k->master, KEYS_LEN, NULL, 0, info, strlen(info), mb);
	if (rc == FGW_OK)
		rc = scrypt_pin(pin, salt, c, pk);
	if (rc == FGW_OK)
		rc = hkdf(pk, sizeof pk, mb, sizeof mb, "faxgw v1 mailbox wrap", 21, out);
	OPENSSL_cleanse(mb, sizeof mb);
	OPENSSL_cleanse(pk, sizeof pk);
	return rc;
}

/* AAD of a wrap: its clear header, the document id and the mailbox id. */
static int wrap_aad(const uint8_t *wrap, const uint8_t doc_id[static KEYS_DOC_ID_LEN],
		    const char *mailbox_id, uint8_t *aad, size_t cap, size_t *len)
{
	size_t mlen = mailbox_id != NULL ? strlen(mailbox_id) : 0;

	if (WRAP_CLEAR_LEN + KEYS_DOC_ID_LEN + mlen > cap)
		return FGW_ERR_INVALID;
	memcpy(aad, wrap, WRAP_CLEAR_LEN);
	memcpy(aad + WRAP_CLEAR_LEN, doc_id, KEYS_DOC_ID_LEN);
	if (mlen > 0)
		memcpy(aad + WRAP_CLEAR_LEN + KEYS_DOC_ID_LEN, mailbox_id, mlen);
	*len = WRAP_CLEAR_LEN + KEYS_DOC_ID_LEN + mlen;
	return FGW_OK;
}

static int seal_wrap(const uint8_t wk[static KEYS_LEN], const char *mailbox_id,
		     const uint8_t doc_id[static KEYS_DOC_ID_LEN],
		     const uint8_t key[static KEYS_LEN], uint8_t wrap[static KEYS_WRAP_LEN])
{
	uint8_t aad[WRAP_CLEAR_LEN + KEYS_DOC_ID_LEN + 256];
	size_t aad_len;
	int rc;

	if (RAND_bytes(wrap + WRAP_OFF_NONCE, 12) != 1)
		return FGW_ERR_CRYPTO;
	rc = wrap_aad(wrap, doc_id, mailbox_id, aad, sizeof aad, &aad_len);
	if (rc != FGW_OK)
		return rc;
	return keys_gcm_seal(wk, wrap + WRAP_OFF_NONCE, aad, aad_len, key, KEYS_LEN,
			     wrap + WRAP_OFF_CT, wrap + WRAP_OFF_TAG);
}

static void wrap_header(uint8_t wrap[static KEYS_WRAP_LEN], enum keys_wrap_kind kind,
			const struct keys_scrypt *c, const uint8_t key_id[static KEYS_KEY_ID_LEN])
{
	memset(wrap, 0, KEYS_WRAP_LEN);
	wrap[0] = WRAP_VERSION;
	wrap[1] = (uint8_t)kind;
	if (c != NULL) {
		wrap[2] = (uint8_t)c->log2_n;
		wrap[3] = (uint8_t)c->r;
		wrap[4] = (uint8_t)c->p;
	}
	memcpy(wrap + WRAP_OFF_KEY_ID, key_id, KEYS_KEY_ID_LEN);
}

int keys_wrap_inbox(const struct keys *k, const uint8_t doc_id[static KEYS_DOC_ID_LEN],
		    const uint8_t key_id[static KEYS_KEY_ID_LEN], const uint8_t key[static KEYS_LEN],
		    uint8_t wrap[static KEYS_WRAP_LEN])
{
	uint8_t wk[KEYS_LEN];
	int rc;

	wrap_header(wrap, KEYS_WRAP_INBOX, NULL, key_id);
	rc = keys_derive(k, KEYS_PURPOSE_VAULT, wk);
	if (rc == FGW_OK)
		rc = seal_wrap(wk, NULL, doc_id, key, wrap);
	OPENSSL_cleanse(wk, sizeof wk);
	return rc;
}

static bool pin_valid(const char *pin)
{
	return pin != NULL && pin[0] != '\0' && strlen(pin) <= KEYS_PIN_MAX;
}

int keys_wrap_mailbox(const struct keys *k, const char *mailbox_id, const char *pin,
		      const struct keys_scrypt *cost, const uint8_t doc_id[static KEYS_DOC_ID_LEN],
		      const uint8_t key_id[static KEYS_KEY_ID_LEN], const uint8_t key[static KEYS_LEN],
		      uint8_t wrap[static KEYS_WRAP_LEN])
{
	struct keys_scrypt c = cost != NULL ? *cost : KEYS_SCRYPT_DEFAULT;
	uint8_t wk[KEYS_LEN];
	int rc;

	if (!pin_valid(pin) || mailbox_id == NULL || !cost_valid(&c))
		return FGW_ERR_INVALID;
	wrap_header(wrap, KEYS_WRAP_MAILBOX, &c, key_id);
	if (RAND_bytes(wrap + WRAP_OFF_SALT, SALT_LEN) != 1)
		return FGW_ERR_CRYPTO;
	rc = mailbox_key(k, mailbox_id, pin, wrap + WRAP_OFF_SALT, &c, wk);
	if (rc == FGW_OK)
		rc = seal_wrap(wk, mailbox_id, doc_id, key, wrap);
	OPENSSL_cleanse(wk, sizeof wk);
	return rc;
}

int keys_wrap_info(const uint8_t *wrap, size_t len, enum keys_wrap_kind *kind,
		   uint8_t key_id[KEYS_KEY_ID_LEN], struct keys_scrypt *cost)
{
	struct keys_scrypt c = {wrap != NULL && len > 4 ? wrap[2] : 0, 0, 0};

	if (wrap == NULL || len < 1)
		return FGW_ERR_PARSE;
	if (wrap[0] != WRAP_VERSION)
		return FGW_ERR_VERSION;
	if (len != KEYS_WRAP_LEN || (wrap[1] != KEYS_WRAP_INBOX && wrap[1] != KEYS_WRAP_MAILBOX))
		return FGW_ERR_PARSE;
	c.r = wrap[3];
	c.p = wrap[4];
	if (wrap[1] == KEYS_WRAP_MAILBOX && !cost_valid(&c))
		return FGW_ERR_PARSE;
	if (kind != NULL)
		*kind = (enum keys_wrap_kind)wrap[1];
	if (key_id != NULL)
		memcpy(key_id, wrap + WRAP_OFF_KEY_ID, KEYS_KEY_ID_LEN);
	if (cost != NULL)
		*cost = c;
	return FGW_OK;
}

static int open_wrap(const uint8_t wk[static KEYS_LEN], const char *mailbox_id,
		     const uint8_t doc_id[static KEYS_DOC_ID_LEN], const uint8_t *wrap,
		     uint8_t key[static KEYS_LEN])
{
	uint8_t aad[WRAP_CLEAR_LEN + KEYS_DOC_ID_LEN + 256];
	size_t aad_len;
	int rc = wrap_aad(wrap, doc_id, mailbox_id, aad, sizeof aad, &aad_len);

	if (rc != FGW_OK)
		return rc;
	rc = keys_gcm_open(wk, wrap + WRAP_OFF_NONCE, aad, aad_len, wrap + WRAP_OFF_CT, KEYS_LEN,
			   key, wrap + WRAP_OFF_TAG);
	if (rc != FGW_OK)
		OPENSSL_cleanse(key, KEYS_LEN);
	return rc;
}

int keys_unwrap(const struct keys *k, const char *mailbox_id, const char *pin,
		const uint8_t doc_id[static KEYS_DOC_ID_LEN], const uint8_t *wrap, size_t len,
		uint8_t key[static KEYS_LEN])
{
	enum keys_wrap_kind kind;
	struct keys_scrypt c;
	uint8_t wk[KEYS_LEN];
	int rc = keys_wrap_info(wrap, len, &kind, NULL, &c);

	if (rc != FGW_OK)
		return rc;
	if (kind == KEYS_WRAP_INBOX) {
		rc = keys_derive(k, KEYS_PURPOSE_VAULT, wk);
		if (rc == FGW_OK)
			rc = open_wrap(wk, NULL, doc_id, wrap, key);
	} else {
		if (!pin_valid(pin) || mailbox_id == NULL)
			return FGW_ERR_INVALID;
		rc = mailbox_key(k, mailbox_id, pin, wrap + WRAP_OFF_SALT, &c, wk);
		if (rc == FGW_OK)
			rc = open_wrap(wk, mailbox_id, doc_id, wrap, key);
		if (rc == FGW_ERR_AUTH)
			rc = FGW_ERR_BAD_PIN;
	}
	OPENSSL_cleanse(wk, sizeof wk);
	return rc;
}
