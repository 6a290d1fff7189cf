/* The data directory: one place that opens everything that persists and
 * ties it together (keys, catalog, vault, audit log), writes and erases
 * documents crash-safely, and wipes the whole device.
 *
 * Layout of DIR (owner-only, 0700):
 *   master.key, signing.key (0600), signing.pub.pem   keys (storage/keys.h)
 *   catalog.db (+ -wal, -shm)                         the catalog
 *   audit.log                                         the audit log
 *   vault/                                            document blobs
 *   certs/                                            erasure certificates
 *   erasure/                                          factory reset certificates:
 *                                                     the one folder a reset keeps
 *
 * A document is written to a temporary blob, made durable and renamed, and
 * only then recorded in the catalog with its wrapped key. store_open
 * wipes whatever a crash left between those steps (temporary blobs, blobs
 * without a catalog row) and records each in the audit log. */
#ifndef FAXGW_STORAGE_STORE_H
#define FAXGW_STORAGE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "storage/audit.h"
#include "storage/catalog.h"
#include "storage/keys.h"
#include "storage/vault.h"
#include "storage/wipe.h"

#define STORE_DEFAULT_DIR "/var/lib/faxgw"
#define STORE_CATALOG_FILE "catalog.db"
#define STORE_AUDIT_FILE "audit.log"
#define STORE_VAULT_DIR "vault"
#define STORE_CERT_DIR "certs"
#define STORE_ERASURE_DIR "erasure" /* survives store_wipe_all and store_init */

struct store;
struct store_doc;

struct store_options {
	/* scrypt cost of new mailbox PIN seals; all zero: KEYS_SCRYPT_DEFAULT */
	struct keys_scrypt pin_cost;
	/* retention of the general inbox for store_expire; 0 = keep */
	uint32_t inbox_retention_days;
	/* clock of the audit log (tests); NULL: the system clocks */
	const struct audit_clock *clock;
	/* syslog copy of every audit record (audit_syslog_open_list); not
	 * owned, must outlive the store; NULL: none */
	struct audit_syslog *forward;
};

/* Creates a new device in dir: the directory (0700; an existing one must
 * be empty), keys, vault and certificate folders, catalog and audit log
 * (with a first record). Returns 0, FGW_ERR_EXISTS (a device or other
 * files are already there; nothing touched), or an error logged naming
 * the file. */
int store_init(const char *dir);

/* Opens the device in dir: checks the directory and key file modes (a
 * group/other-accessible one is refused with FGW_ERR_PERMISSION and a
 * logged message naming the file, its mode and the chmod to run), loads
 * the keys, opens catalog, vault and audit log, then sweeps orphans.
 * opts may be NULL. On success *out is the caller's: store_close() it. */
int store_open(const char *dir, const struct store_options *opts, struct store **out);

/* Syncs the audit log and closes everything, wiping keys. Returns the
 * audit sync result. NULL is fine. */
int store_close(struct store *s);

/* The parts, owned by s, valid until store_close. */
struct catalog *store_catalog(struct store *s);
struct audit *store_audit(struct store *s);
struct vault *store_vault(struct store *s);
const struct keys *store_keys(const struct store *s);
const char *store_dir(const struct store *s);

/* Files wiped by the orphan sweep of store_open. */
uint64_t store_orphans_swept(const struct store *s);

/* Fills mb->pin_verifier with a new mailbox key sealed under pin (and
 * clears pin_params); the caller then inserts mb with
 * catalog_mailbox_create. Returns 0, FGW_ERR_INVALID or FGW_ERR_CRYPTO. */
int store_mailbox_seal(struct store *s, struct catalog_mailbox *mb, const char *pin);

/* Checks pin for mailbox number. Returns 0, FGW_ERR_BAD_PIN (the caller
 * counts failures and locks), FGW_ERR_NOT_FOUND, FGW_ERR_INVALID (the
 * mailbox has no PIN). */
int store_mailbox_check_pin(struct store *s, const char *number, const char *pin);

/* Changes the PIN of mailbox number (documents stay as they are). Returns
 * 0, FGW_ERR_BAD_PIN, FGW_ERR_NOT_FOUND, FGW_ERR_INVALID or FGW_ERR_DB. */
int store_mailbox_change_pin(struct store *s, const char *number, const char *old_pin,
			     const char *new_pin);

/* Starts a new document described by meta (id, blob, wrapped key, key id,
 * pages and size are filled in here; mailbox "" = general inbox, else a
 * mailbox that must have a PIN seal; created_ms 0 = now). Returns 0 and
 * *out, FGW_ERR_NOT_FOUND (no such mailbox), FGW_ERR_INVALID, or an
 * error of the vault. */
int store_doc_create(struct store *s, const struct catalog_document *meta,
		     struct store_doc **out);

/* The new document's id (32 hex digits); owned by d. */
const char *store_doc_id(const struct store_doc *d);

/* Appends one page (bytes, or the whole content of fd). Return as
 * vault_writer_add_page. */
int store_doc_add_page(struct store_doc *d, const void *data, size_t len);
int store_doc_add_page_fd(struct store_doc *d, int fd);

/* Makes the blob durable, then commits the catalog row. Always frees d;
 * on failure nothing remains (the blob is wiped). id (may be NULL, at
 * least VAULT_ID_LEN + 1 bytes) gets the document id. Returns 0 or an
 * FGW_ERR_* code. */
int store_doc_commit(struct store_doc *d, char *id);

/* Wipes the unfinished blob and frees d. NULL is fine. */
void store_doc_abort(struct store_doc *d);

/* Opens document id for reading: unwraps its key (pin needed for a
 * mailbox document) and opens the blob. Returns 0 and *out (close with
 * vault_reader_close), FGW_ERR_NOT_FOUND, FGW_ERR_BAD_PIN (nothing was
 * decrypted), FGW_ERR_INVALID (PIN missing), or a vault read error. */
int store_doc_open(struct store *s, const char *id, const char *pin,
		   struct vault_reader **out);

/* What an erase destroyed. */
struct store_erase_report {
	uint64_t documents;
	uint64_t bytes_overwritten;
	char cert_path[4200];   /* the JSON certificate written ("" if none) */
};

/* Erases document id: deletes its catalog row (its wrapped key; SQLite
 * secure_delete, then a WAL checkpoint), overwrites and unlinks its blob,
 * records it in the audit log, and writes a signed erasure certificate to
 * cert_dir (NULL: DIR/certs). report may be NULL. Returns 0,
 * FGW_ERR_NOT_FOUND, or the first error (later steps still run). */
int store_doc_erase(struct store *s, const char *id, const char *cert_dir,
		    struct store_erase_report *report);

/* Erases every document older than its mailbox's retention_days (the
 * general inbox: opts.inbox_retention_days) at now_ms, with one
 * certificate for the batch in DIR/certs when any was erased. report may
 * be NULL. Returns 0 or the first error. */
int store_expire(struct store *s, int64_t now_ms, struct store_erase_report *report);

/* Factory reset of the device in dir (not open elsewhere): destroys the
 * master key first (cryptographic erase of every document), then
 * overwrites and removes every other file below dir (blobs, catalog and
 * its WAL, audit log, certificates) except the folder DIR/STORE_ERASURE_DIR
 * (earlier reset certificates), writes a signed certificate and the
 * public key to cert_dir (outside dir, or exactly DIR/STORE_ERASURE_DIR),
 * and destroys the signing key last. dir itself stays, for store_init.
 * report may be NULL. Returns 0 or an FGW_ERR_* code (FGW_ERR_INVALID:
 * cert_dir elsewhere inside dir or not writable; nothing was destroyed
 * then). */
int store_wipe_all(const char *dir, const char *cert_dir, struct store_erase_report *report,
		   struct wipe_tally *tally);

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t store_now_ms(void);

#endif
