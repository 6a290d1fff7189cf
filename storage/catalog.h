/* The catalog: one SQLite database (WAL, foreign keys, secure_delete) that
 * records what the appliance holds: mailboxes, documents and their wrapped
 * keys, outbound jobs, users, sessions, lockout counters, devices and the
 * audit log's head. Nothing here is secret by itself except the wrapped
 * document keys (useless without the master key) and the PIN verifiers.
 *
 * One struct catalog is one connection; use it from one thread. Every
 * function returns 0 or a negative FGW_ERR_* code (FGW_ERR_DB for SQLite
 * failures, FGW_ERR_NOT_FOUND for a missing row, FGW_ERR_EXISTS for a
 * duplicate key, FGW_ERR_DENIED for a foreign-key violation, FGW_ERR_RANGE
 * for text or blobs longer than the limits below).
 *
 * Text fields are NUL-terminated and bounded by the *_MAX constants (bytes,
 * not counting the NUL). Times are milliseconds since the Unix epoch, UTC. */
#ifndef FAXGW_STORAGE_CATALOG_H
#define FAXGW_STORAGE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct catalog;

#define CATALOG_ID_MAX       64   /* document / job / session ids */
#define CATALOG_NUMBER_MAX   40   /* phone numbers, F-codes (T.30 SUB: 20) */
#define CATALOG_IDENT_MAX    40   /* T.30 ident (20), PWD, SUB */
#define CATALOG_NAME_MAX    128   /* mailbox, user, device names */
#define CATALOG_BLOBNAME_MAX 128  /* vault blob file name */
#define CATALOG_KEYID_MAX    64   /* which key wraps a document key */
#define CATALOG_STATE_MAX    32   /* free-form short state words */
#define CATALOG_WRAPPED_MAX 256   /* wrapped document key bytes */
#define CATALOG_VERIFIER_MAX 256  /* PIN / password verifier bytes */
#define CATALOG_PARAMS_MAX  128   /* KDF parameters (salt, N, r, p) bytes */
#define CATALOG_MAC_MAX      32   /* audit head MAC bytes */

/* The schema version catalog_open migrates every database to. */
#define CATALOG_SCHEMA_VERSION 4

/* Opens the database at path, creating it (mode 0600) if missing, sets
 * WAL, foreign_keys=ON, secure_delete=ON and a busy timeout, and runs every
 * migration step above the file's PRAGMA user_version in one transaction.
 * Refuses a file whose user_version is newer than this code
 * (FGW_ERR_VERSION) and an existing file readable by group/others
 * (FGW_ERR_PERMISSION). On success *out is owned by the caller: free it
 * with catalog_close(). */
int catalog_open(const char *path, struct catalog **out);

/* Finalises statements and closes. NULL is a no-op. */
void catalog_close(struct catalog *cat);

/* Returns the file's schema version (PRAGMA user_version), or negative. */
int catalog_schema_version(struct catalog *cat);

/* Transactions. begin fails with FGW_ERR_STATE when one is already open.
 * Functions below that change several rows open their own transaction when
 * none is open, and join the caller's otherwise. rollback on no open
 * transaction is a no-op returning 0. */
int catalog_begin(struct catalog *cat);
int catalog_commit(struct catalog *cat);
int catalog_rollback(struct catalog *cat);
/* True while a transaction opened by catalog_begin is open. */
bool catalog_in_transaction(const struct catalog *cat);

/* Runs PRAGMA integrity_check and foreign_key_check. Returns 0 when both
 * say ok, FGW_ERR_DB otherwise (the first problem is logged). */
int catalog_integrity_check(struct catalog *cat);

/* Moves the WAL into the main file and truncates the WAL, so stale page
 * images (e.g. of a deleted key row) do not linger there. Call after
 * erasing keys. Returns 0 or FGW_ERR_DB (FGW_ERR_BUSY if readers block). */
int catalog_checkpoint(struct catalog *cat);

/* ---- mailboxes --------------------------------------------------------- */

struct catalog_mailbox {
	char number[CATALOG_NUMBER_MAX + 1];  /* the F-code (SUB); primary key */
	char name[CATALOG_NAME_MAX + 1];
	char owner[CATALOG_NAME_MAX + 1];     /* user name; "" = none */
	uint8_t pin_verifier[CATALOG_VERIFIER_MAX];
	size_t pin_verifier_len;
	uint8_t pin_params[CATALOG_PARAMS_MAX]; /* KDF salt/params, opaque here */
	size_t pin_params_len;
	/* The T.30 PWD the sender must give; "" = none. Store a verifier or the
	 * value as the gateway decides; the catalog treats it as bytes. */
	uint8_t pwd[CATALOG_VERIFIER_MAX];
	size_t pwd_len;
	uint32_t retention_days;              /* 0 = keep until erased */
	int64_t created_ms;
};

/* Inserts mb. FGW_ERR_EXISTS if the number is taken; FGW_ERR_INVALID if
 * the number is empty. */
int catalog_mailbox_create(struct catalog *cat, const struct catalog_mailbox *mb);

/* Fills *out with the mailbox whose number is number. FGW_ERR_NOT_FOUND. */
int catalog_mailbox_get(struct catalog *cat, const char *number,
			struct catalog_mailbox *out);

/* Replaces every field of the mailbox mb->number (e.g. a new PIN
 * verifier). FGW_ERR_NOT_FOUND if it does not exist. */
int catalog_mailbox_update(struct catalog *cat, const struct catalog_mailbox *mb);

/* Calls fn for each mailbox in number order; mb is valid only during the
 * call. fn returns 0 to go on, anything else stops the walk and is
 * returned. Do not change the catalog from inside fn. */
typedef int (*catalog_mailbox_fn)(const struct catalog_mailbox *mb, void *arg);
int catalog_mailbox_list(struct catalog *cat, catalog_mailbox_fn fn, void *arg);

/* Deletes the mailbox. FGW_ERR_NOT_FOUND if absent; FGW_ERR_DENIED while
 * documents still reference it (erase them first). */
int catalog_mailbox_delete(struct catalog *cat, const char *number);

/* ---- documents --------------------------------------------------------- */

enum catalog_direction {
	CATALOG_DIR_IN = 0,   /* received from the line */
	CATALOG_DIR_OUT = 1,  /* to be sent / sent */
};

enum catalog_doc_state {
	CATALOG_DOC_RECEIVING = 0, /* blob being written */
	CATALOG_DOC_HELD = 1,      /* complete, waiting (mailbox) or stored */
	CATALOG_DOC_RELEASED = 2,  /* mailbox owner has released it */
	CATALOG_DOC_QUEUED = 3,    /* outbound, waiting for the job queue */
	CATALOG_DOC_SENT = 4,
	CATALOG_DOC_FAILED = 5,
};

struct catalog_document {
	char id[CATALOG_ID_MAX + 1];            /* chosen by the vault; key */
	enum catalog_direction direction;
	char mailbox[CATALOG_NUMBER_MAX + 1];   /* "" = general inbox */
	uint32_t pages;
	char remote_number[CATALOG_NUMBER_MAX + 1];
	char remote_ident[CATALOG_IDENT_MAX + 1];
	char sub[CATALOG_IDENT_MAX + 1];
	int64_t created_ms;
	int64_t updated_ms;
	enum catalog_doc_state state;
	char blob[CATALOG_BLOBNAME_MAX + 1];    /* vault file name */
	uint8_t wrapped_key[CATALOG_WRAPPED_MAX];
	size_t wrapped_key_len;
	char key_id[CATALOG_KEYID_MAX + 1];     /* which key wrapped it */
	uint64_t size_bytes;                    /* plaintext size, 0 unknown */
};

/* Inserts doc. FGW_ERR_EXISTS for a duplicate id; FGW_ERR_DENIED when
 * doc->mailbox names no mailbox. */
int catalog_document_insert(struct catalog *cat, const struct catalog_document *doc);

/* Fills *out. FGW_ERR_NOT_FOUND. The caller should OPENSSL_cleanse
 * out->wrapped_key when done only if it treats it as sensitive. */
int catalog_document_get(struct catalog *cat, const char *id,
			 struct catalog_document *out);

/* Sets state, pages and updated_ms of document id. FGW_ERR_NOT_FOUND. */
int catalog_document_set_state(struct catalog *cat, const char *id,
			       enum catalog_doc_state state, uint32_t pages,
			       int64_t updated_ms);

/* Replaces the wrapped key and key id of document id (re-wrap after a PIN
 * change). FGW_ERR_NOT_FOUND. */
int catalog_document_set_key(struct catalog *cat, const char *id,
			     const uint8_t *wrapped, size_t wrapped_len,
			     const char *key_id);

/* Calls fn for each document, oldest first. mailbox NULL: all documents;
 * "" : the general inbox only; otherwise that mailbox only. doc is valid
 * only during the call; fn returns 0 to go on, anything else stops the
 * walk and is returned. Do not change the catalog from inside fn (collect
 * ids first). */
typedef int (*catalog_document_fn)(const struct catalog_document *doc, void *arg);
int catalog_document_list(struct catalog *cat, const char *mailbox,
			  catalog_document_fn fn, void *arg);

/* Deletes the row (secure_delete overwrites the freed bytes in the file).
 * Outbound jobs for it are deleted with it. FGW_ERR_NOT_FOUND. Call
 * catalog_checkpoint() afterwards to flush stale WAL frames. */
int catalog_document_delete(struct catalog *cat, const char *id);

/* Number of documents (all when mailbox is NULL). Returns >= 0 or negative. */
long long catalog_document_count(struct catalog *cat, const char *mailbox);

/* ---- outbound jobs ----------------------------------------------------- */

struct catalog_job {
	char id[CATALOG_ID_MAX + 1];
	char document[CATALOG_ID_MAX + 1];      /* references documents.id */
	char destination[CATALOG_NUMBER_MAX + 1];
	uint32_t attempts;
	int64_t next_try_ms;
	char state[CATALOG_STATE_MAX + 1];      /* e.g. "queued", "done" */
	int64_t created_ms;
};

/* Inserts job. FGW_ERR_EXISTS; FGW_ERR_DENIED if the document is unknown. */
int catalog_job_insert(struct catalog *cat, const struct catalog_job *job);
/* Fills *out. FGW_ERR_NOT_FOUND. */
int catalog_job_get(struct catalog *cat, const char *id, struct catalog_job *out);

/* ---- users, sessions --------------------------------------------------- */

struct catalog_user {
	char name[CATALOG_NAME_MAX + 1];        /* primary key */
	char role[CATALOG_STATE_MAX + 1];       /* admin, operator, auditor, owner */
	uint8_t verifier[CATALOG_VERIFIER_MAX]; /* password hash, opaque here */
	size_t verifier_len;
	bool must_change;                       /* first login forces a new one */
	int64_t created_ms;
};

/* Inserts user. FGW_ERR_EXISTS. */
int catalog_user_insert(struct catalog *cat, const struct catalog_user *user);
/* Fills *out. FGW_ERR_NOT_FOUND. */
int catalog_user_get(struct catalog *cat, const char *name, struct catalog_user *out);

struct catalog_session {
	char id[CATALOG_ID_MAX + 1];            /* e.g. hash of the cookie */
	char user[CATALOG_NAME_MAX + 1];        /* references users.name */
	int64_t created_ms;
	int64_t expires_ms;
};

/* Inserts session. FGW_ERR_EXISTS; FGW_ERR_DENIED if the user is unknown. */
int catalog_session_insert(struct catalog *cat, const struct catalog_session *s);
/* Fills *out. FGW_ERR_NOT_FOUND. */
int catalog_session_get(struct catalog *cat, const char *id, struct catalog_session *out);
/* Deletes session id. FGW_ERR_NOT_FOUND. */
int catalog_session_delete(struct catalog *cat, const char *id);

/* ---- lockout counters -------------------------------------------------- */

/* A counter is named by (scope, key): e.g. ("user", "alice"),
 * ("addr", "192.0.2.1"), ("mailbox", "1234"). */
struct catalog_lockout {
	uint32_t failures;       /* consecutive failures */
	int64_t locked_until_ms; /* 0 = not locked */
};

/* Fills *out; a counter never written reads as zeros (returns 0). */
int catalog_lockout_get(struct catalog *cat, const char *scope, const char *key,
			struct catalog_lockout *out);
/* Stores *value for (scope, key). */
int catalog_lockout_set(struct catalog *cat, const char *scope, const char *key,
			const struct catalog_lockout *value);
/* Forgets (scope, key) (after a success). Absent is not an error. */
int catalog_lockout_clear(struct catalog *cat, const char *scope, const char *key);

/* ---- devices ----------------------------------------------------------- */

struct catalog_device {
	char address[CATALOG_NAME_MAX + 1];     /* primary key: IP or MAC */
	char name[CATALOG_NAME_MAX + 1];
	char kind[CATALOG_STATE_MAX + 1];       /* "mfp", "phone", "camera" */
	int64_t last_seen_ms;
};

/* Inserts the device at device->address, or replaces its name, kind and
 * last_seen_ms (its outbound policy, storage/catalog_devices.h, stays). */
int catalog_device_put(struct catalog *cat, const struct catalog_device *device);
/* Fills *out. FGW_ERR_NOT_FOUND. */
int catalog_device_get(struct catalog *cat, const char *address,
		       struct catalog_device *out);

/* ---- audit head -------------------------------------------------------- */

/* The last durable audit record, kept here so that cutting records off the
 * end of the log file is detected. */
struct catalog_audit_head {
	uint64_t seq;                  /* 0 = no record yet */
	uint8_t mac[CATALOG_MAC_MAX];  /* HMAC of record seq */
};

/* Fills *out; a fresh catalog reads seq 0 and a zero MAC (returns 0). */
int catalog_audit_head_get(struct catalog *cat, struct catalog_audit_head *out);
/* Stores *head. Refuses to move the head backwards (FGW_ERR_STATE) so a
 * stale writer cannot hide records. */
int catalog_audit_head_set(struct catalog *cat, const struct catalog_audit_head *head);
/* Sets the head unconditionally (wipe / tests only). */
int catalog_audit_head_reset(struct catalog *cat, const struct catalog_audit_head *head);

#endif
