/* Erasure certificates: what was wiped, when, and how, signed with the
 * device's Ed25519 key so that anyone holding the exported public key can
 * check it after the device is gone.
 *
 * The JSON form is one object with these members: certificate, version,
 * id, device_id, scope, target, counts {documents, mailboxes, files,
 * bytes_overwritten, keys_destroyed}, method, started, finished,
 * signer_key_sha256, signature. The signature (Ed25519, base64) is over
 * the canonical bytes of the object without "signature": members sorted
 * by name (bytewise), no whitespace, strings escaping only '"', '\\' and
 * bytes below 0x20 (as \u00XX), integers in plain decimal. The file is
 * written in that canonical form (with the signature member) plus a
 * newline; a verifier re-canonicalises, so reformatting keeps it valid. */
#ifndef FAXGW_STORAGE_CERT_H
#define FAXGW_STORAGE_CERT_H

#include <stddef.h>
#include <stdint.h>

struct keys;

#define CERT_MAX_BYTES (64 * 1024) /* larger files are refused */
#define CERT_WHY_MAX 256

struct cert_info {
	const char *scope;   /* "document", "retention" or "device" */
	const char *target;  /* document id(s), "expired documents", "all data" */
	uint64_t documents, mailboxes, files, bytes_overwritten, keys_destroyed;
	int64_t started_ms, finished_ms; /* Unix epoch, UTC */
};

/* Builds and signs a certificate. *json and *text (NUL-terminated,
 * malloc'd, caller frees) get the JSON and the readable forms. Returns 0,
 * FGW_ERR_INVALID, FGW_ERR_NOMEM or FGW_ERR_CRYPTO. */
int cert_make(const struct keys *k, const struct cert_info *info, char **json, char **text);

/* cert_make, then writes DIR/erasure-<device>-<time>.json and .txt (mode
 * 0644, fsynced). json_path (may be NULL) gets the JSON file's path.
 * Returns 0 or an FGW_ERR_* code (FGW_ERR_EXISTS if the name is taken). */
int cert_write(const struct keys *k, const struct cert_info *info, const char *dir,
	       char *json_path, size_t json_path_size);

/* Verifies len bytes of certificate JSON against an Ed25519 public key in
 * PEM. Returns 0 (valid), FGW_ERR_PARSE (malformed certificate or key),
 * FGW_ERR_MISMATCH (signed by another key than pubkey_pem), or
 * FGW_ERR_TAMPERED (a field was changed after signing). why (why_size
 * bytes, may be NULL) gets one sentence for a person. */
int cert_verify(const char *json, size_t len, const char *pubkey_pem, char *why,
		size_t why_size);

/* cert_verify on files. Also FGW_ERR_NOT_FOUND / FGW_ERR_IO /
 * FGW_ERR_TOO_LARGE for files that cannot be read. */
int cert_verify_files(const char *cert_path, const char *pubkey_path, char *why,
		      size_t why_size);

/* Formats ms since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" (25 bytes
 * with NUL). Returns 0 or FGW_ERR_RANGE. */
int cert_time(int64_t ms, char out[static 25]);

#endif
