/* Device keys: the master key, its HKDF subkeys, the device's Ed25519
 * signing key, and the wrapping of per-document keys (by the general inbox
 * key, or by a key that needs both the master key and a mailbox PIN).
 * This is the only code that ever holds the master key. */
#ifndef FAXGW_STORAGE_KEYS_H
#define FAXGW_STORAGE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEYS_LEN 32              /* master key, subkeys, document keys */
#define KEYS_DOC_ID_LEN 16       /* a document's id, bound into its wrap */
#define KEYS_KEY_ID_LEN 16       /* names one wrapped document key */
#define KEYS_WRAP_LEN 116        /* bytes of one wrapped document key */
#define KEYS_SIG_LEN 64          /* an Ed25519 signature */
#define KEYS_DEVICE_ID_LEN 33    /* 32 hex digits and a NUL */
#define KEYS_PIN_MAX 64          /* longest PIN accepted, in bytes */

/* File names inside a data directory. */
#define KEYS_MASTER_FILE "master.key"
#define KEYS_SIGNING_FILE "signing.key"
#define KEYS_PUBLIC_FILE "signing.pub.pem"

struct keys;

/* What a subkey is for; each has its own HKDF info label. */
enum keys_purpose { KEYS_PURPOSE_VAULT, KEYS_PURPOSE_AUDIT_MAC, KEYS_PURPOSE_SESSIONS };

/* scrypt cost for PIN-derived keys. Stored with each mailbox's sealed key
 * so that the cost can be raised later (by resealing) while old ones open. */
struct keys_scrypt {
	unsigned log2_n; /* N = 2^log2_n, 10..20 */
	unsigned r;      /* 1..16 */
	unsigned p;      /* 1..4 */
};

/* Production default: N=2^15, r=8, p=1. */
#define KEYS_SCRYPT_DEFAULT ((struct keys_scrypt){15, 8, 1})

/* How a document key is wrapped, read from the wrap's clear header. */
enum keys_wrap_kind { KEYS_WRAP_INBOX = 1, KEYS_WRAP_MAILBOX = 2 };

/* A confidential mailbox has an X25519 key pair. Faxes arrive while nobody
 * types the PIN, so document keys are wrapped to the mailbox's public key
 * (and a master-key HKDF bound to the mailbox); the private key is kept
 * sealed under scrypt(PIN) combined with another master-key HKDF. Opening
 * a document thus needs the master key AND the PIN; a wrong PIN fails the
 * seal's GCM tag before anything is decrypted. Store the sealed key in the
 * mailbox's catalog row (pin_verifier). */
#define KEYS_MAILBOX_SEALED_LEN 116

/* Creates a new master key (0600), Ed25519 signing key (0600, PKCS#8 PEM)
 * and public key (PEM, 0644) in the existing directory dir. Returns 0,
 * FGW_ERR_EXISTS when any of them is already there (nothing is touched),
 * FGW_ERR_IO or FGW_ERR_CRYPTO. */
int keys_create(const char *dir);

/* Checks that path is a regular file (not a link) readable by its owner
 * only. Returns 0, FGW_ERR_NOT_FOUND, or FGW_ERR_PERMISSION after logging
 * the file, its mode and the chmod that fixes it. */
int keys_check_mode(const char *path);

/* Loads the keys of the data directory dir after checking their modes.
 * Returns 0 and *out (caller frees with keys_free), or an error that has
 * been logged naming the file. */
int keys_load(const char *dir, struct keys **out);

/* Wipes and frees k; NULL is fine. */
void keys_free(struct keys *k);

/* Derives the 32-byte subkey for purpose into out (caller wipes it).
 * Returns 0 or FGW_ERR_CRYPTO. */
int keys_derive(const struct keys *k, enum keys_purpose purpose, uint8_t out[static KEYS_LEN]);

/* Returns the device id (hex of the first 16 bytes of the SHA-256 of the
 * raw public key); owned by k. */
const char *keys_device_id(const struct keys *k);

/* Signs len bytes of msg with the device's Ed25519 key. Returns 0 or
 * FGW_ERR_CRYPTO. */
int keys_sign(const struct keys *k, const void *msg, size_t len, uint8_t sig[static KEYS_SIG_LEN]);

/* Writes the public key as PEM into buf (size bytes, NUL-terminated).
 * Returns 0, FGW_ERR_TOO_LARGE or FGW_ERR_CRYPTO. */
int keys_public_pem(const struct keys *k, char *buf, size_t size);

/* Fills key with a fresh random document key (caller wipes it) and key_id
 * with a fresh random key id. Returns 0 or FGW_ERR_CRYPTO. */
int keys_new_doc_key(uint8_t key[static KEYS_LEN], uint8_t key_id[static KEYS_KEY_ID_LEN]);

/* Wraps a document key with the general inbox key, bound to doc_id and
 * key_id. Writes KEYS_WRAP_LEN bytes to wrap. Returns 0 or FGW_ERR_CRYPTO. */
int keys_wrap_inbox(const struct keys *k, const uint8_t doc_id[static KEYS_DOC_ID_LEN],
		    const uint8_t key_id[static KEYS_KEY_ID_LEN], const uint8_t key[static KEYS_LEN],
		    uint8_t wrap[static KEYS_WRAP_LEN]);

/* Makes a new mailbox key pair for mailbox_id (any string naming it, at
 * most 200 bytes) and seals it under pin with scrypt cost cost (NULL: the
 * default). Returns 0, FGW_ERR_INVALID (empty or too long PIN or id, bad
 * cost) or FGW_ERR_CRYPTO. */
int keys_mailbox_create(const struct keys *k, const char *mailbox_id, const char *pin,
			const struct keys_scrypt *cost,
			uint8_t sealed[static KEYS_MAILBOX_SEALED_LEN]);

/* Checks pin against a sealed mailbox key. Returns 0, FGW_ERR_BAD_PIN,
 * FGW_ERR_INVALID, FGW_ERR_VERSION or FGW_ERR_PARSE. */
int keys_mailbox_check_pin(const struct keys *k, const char *mailbox_id, const char *pin,
			   const uint8_t *sealed, size_t len);

/* Reseals a mailbox key under new_pin and cost (NULL: default), e.g. on a
 * PIN change or to raise the cost; documents need no re-wrap. Returns 0,
 * FGW_ERR_BAD_PIN (old_pin wrong), FGW_ERR_INVALID or FGW_ERR_CRYPTO. */
int keys_mailbox_reseal(const struct keys *k, const char *mailbox_id, const char *old_pin,
			const char *new_pin, const struct keys_scrypt *cost,
			const uint8_t *sealed, size_t len,
			uint8_t out[static KEYS_MAILBOX_SEALED_LEN]);

/* Reads the scrypt cost of a sealed mailbox key. Returns 0, FGW_ERR_VERSION
 * or FGW_ERR_PARSE. */
int keys_mailbox_cost(const uint8_t *sealed, size_t len, struct keys_scrypt *cost);

/* Wraps a document key for mailbox mailbox_id, whose sealed key is sealed
 * (only its public half is used: no PIN needed). Writes KEYS_WRAP_LEN
 * bytes. Returns 0, FGW_ERR_PARSE / FGW_ERR_VERSION (sealed is not a
 * mailbox key) or FGW_ERR_CRYPTO. */
int keys_wrap_mailbox(const struct keys *k, const char *mailbox_id, const uint8_t *sealed,
		      size_t sealed_len, const uint8_t doc_id[static KEYS_DOC_ID_LEN],
		      const uint8_t key_id[static KEYS_KEY_ID_LEN], const uint8_t key[static KEYS_LEN],
		      uint8_t wrap[static KEYS_WRAP_LEN]);

/* Reads a wrap's clear header: its kind and key id; either output may be
 * NULL. Returns 0, FGW_ERR_VERSION or FGW_ERR_PARSE. */
int keys_wrap_info(const uint8_t *wrap, size_t len, enum keys_wrap_kind *kind,
		   uint8_t key_id[KEYS_KEY_ID_LEN]);

/* Unwraps a document key into key (caller wipes it). For mailbox wraps,
 * mailbox_id, pin and the mailbox's sealed key are needed; for inbox wraps
 * they are ignored (may be NULL). Returns 0, FGW_ERR_BAD_PIN (wrong PIN:
 * nothing is decrypted), FGW_ERR_AUTH (the wrap was altered or belongs to
 * another document or mailbox), FGW_ERR_INVALID (PIN or mailbox missing),
 * FGW_ERR_VERSION or FGW_ERR_PARSE. */
int keys_unwrap(const struct keys *k, const char *mailbox_id, const char *pin,
		const uint8_t *sealed, size_t sealed_len,
		const uint8_t doc_id[static KEYS_DOC_ID_LEN], const uint8_t *wrap, size_t len,
		uint8_t key[static KEYS_LEN]);

/* Lowest-level AEAD used by keys.c and the vault: AES-256-GCM of len bytes
 * in -> out (may alias) with a 12-byte nonce, aad, and a 16-byte tag
 * written (seal) or checked (open). Returns 0, FGW_ERR_AUTH (open: tag
 * mismatch; out must then be discarded) or FGW_ERR_CRYPTO. */
int keys_gcm_seal(const uint8_t key[static KEYS_LEN], const uint8_t nonce[static 12],
		  const void *aad, size_t aad_len, const void *in, size_t len, void *out,
		  uint8_t tag[static 16]);
int keys_gcm_open(const uint8_t key[static KEYS_LEN], const uint8_t nonce[static 12],
		  const void *aad, size_t aad_len, const void *in, size_t len, void *out,
		  const uint8_t tag[static 16]);

#endif
