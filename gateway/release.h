/* Releasing confidential faxes (seed 000 4.4 case 2, the receiving
 * side): a mailbox's PIN unlocks it, with a lockout after repeated wrong
 * PINs; its held faxes are listed and written out as TIFF (the pages as
 * received, coded data copied unchanged: pixel-identical) or PDF (each
 * page's G4 data embedded, see gateway/pdf.h); afterwards they are erased
 * with a certificate unless kept. The logic lives here so the CLI (faxgw
 * release, faxgw mailbox) and a web front end share it.
 *
 * A held document holds TIFF files in its vault pages (the inbound path
 * stores the whole received TIFF-F as one page; each may hold several
 * fax pages); the output has every fax page of every vault page in order.
 *
 * Lockout: counter ("mailbox", NUMBER) in the catalog. An attempt counts
 * as a failure before the PIN is checked (in a catalog transaction), so
 * parallel guesses from several processes cannot exceed the limit; a
 * right PIN clears it. [security] pin_max_failures consecutive failures
 * lock the mailbox for pin_lock_minutes; a lock that has run out starts a
 * fresh count. Audit records: pin_failure per wrong PIN, lockout when the
 * lock starts, mailbox_release per list or document released.
 *
 * Every function returns 0 or a negative FGW_ERR_* code. */
#ifndef FAXGW_GATEWAY_RELEASE_H
#define FAXGW_GATEWAY_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "storage/catalog.h"

struct config;
struct store;
struct store_erase_report;

#define RELEASE_PIN_MIN 4
#define RELEASE_PIN_MAX 16
#define RELEASE_LOCK_SCOPE "mailbox"
#define RELEASE_DEFAULT_CONFIG "/etc/faxgw/faxgw.ini"

struct release_policy {
	uint32_t max_failures;   /* [security] pin_max_failures */
	int64_t lock_ms;         /* [security] pin_lock_minutes, in ms */
};

/* Fills p from cfg (NULL: the declared defaults). */
void release_policy_init(const struct config *cfg, struct release_policy *p);

/* True when pin is 4 to 16 ASCII digits. */
bool release_pin_valid(const char *pin);

/* What the counter says after release_unlock. */
struct release_lock_info {
	uint32_t failures;        /* consecutive failures, this one included */
	int64_t locked_until_ms;  /* 0: not locked */
};

/* Unlocks mailbox with pin at now_ms (the caller's clock, so tests can
 * move time). Returns 0 (right PIN, counter cleared), FGW_ERR_LOCKED
 * (locked: the PIN was not looked at; info says until when),
 * FGW_ERR_BAD_PIN (counted and audited; info->locked_until_ms is set when
 * this failure locked the mailbox), FGW_ERR_NOT_FOUND (no such mailbox:
 * nothing counted), FGW_ERR_INVALID (the mailbox has no PIN), or a
 * catalog/audit code. info may be NULL. */
int release_unlock(struct store *s, const struct release_policy *p, const char *mailbox,
		   const char *pin, int64_t now_ms, struct release_lock_info *info);

/* Who asks, for the audit records of a release from the web (the CLI's
 * records name no one: whoever can run it is root or faxgw on the
 * console). Both strings are copied into the records only. */
struct release_actor {
	const char *user;     /* the web account */
	const char *source;   /* its source address */
};

/* release_unlock with the asker named in every record it writes (PIN
 * failures, lockouts, attempts while locked); who may be NULL. */
int release_unlock_as(struct store *s, const struct release_policy *p, const char *mailbox,
		      const char *pin, int64_t now_ms, const struct release_actor *who,
		      struct release_lock_info *info);

/* Reads the counter without changing it (for listings). *locked is true
 * while a lock runs at now_ms. */
int release_lock_state(struct store *s, const char *mailbox, int64_t now_ms,
		       struct catalog_lockout *out, bool *locked);

/* Clears the counter (after an admin PIN reset). */
int release_lock_clear(struct store *s, const char *mailbox);

/* Calls fn for every document held in mailbox (received, complete), oldest
 * first; doc is valid during the call only. fn returns 0 to go on. */
int release_list(struct store *s, const char *mailbox, catalog_document_fn fn, void *arg);

/* Number of documents in mailbox, or a negative code. */
long long release_held_count(struct store *s, const char *mailbox);

enum release_format { RELEASE_TIFF, RELEASE_PDF };

/* Returns "tiff" / "pdf"; and parses them. */
const char *release_format_name(enum release_format f);
int release_format_parse(const char *name, enum release_format *out);

/* Writes document id of mailbox, decrypted with pin in memory, to out_fd
 * (a regular file or memfd at offset 0, not closed here) as fmt; *pages
 * (may be NULL) gets the fax pages written. Returns 0, FGW_ERR_NOT_FOUND
 * (no such document in that mailbox), FGW_ERR_BAD_PIN (nothing decrypted),
 * FGW_ERR_TIFF / FGW_ERR_TIFF_UNSUPPORTED (a stored page is not a bilevel
 * TIFF), a vault read error (tampered blob), FGW_ERR_IO or
 * FGW_ERR_NO_SPACE. On error out_fd holds partial output: discard it. */
int release_write(struct store *s, const char *mailbox, const char *id, const char *pin,
		  enum release_format fmt, int out_fd, uint32_t *pages);

/* What happens to a document once delivered. --keep wins over
 * everything; otherwise erase_now erases at once; otherwise a mailbox
 * with retention_days > 0 keeps it (state "released") until store_expire
 * erases it; otherwise it is erased now. */
enum release_disposal { RELEASE_ERASED, RELEASE_KEPT, RELEASE_RETAINED };

/* Returns "erased", "kept", "retained". */
const char *release_disposal_name(enum release_disposal d);

/* Records the release of document id (action: "tiff", "pdf", ...) and
 * disposes of it as above; *done gets what happened, rep (may be NULL)
 * the erasure certificate. Returns 0 or the first error. */
int release_finish(struct store *s, const char *mailbox, const char *id, const char *action,
		   bool keep, bool erase_now, enum release_disposal *done,
		   struct store_erase_report *rep);

/* release_finish with the asker named in its mailbox_release record;
 * who may be NULL. */
int release_finish_as(struct store *s, const char *mailbox, const char *id, const char *action,
		      bool keep, bool erase_now, const struct release_actor *who,
		      enum release_disposal *done, struct store_erase_report *rep);

/* Records a listing of mailbox's held faxes (count shown) as
 * mailbox_release with action "list". */
int release_audit_list(struct store *s, const char *mailbox, long long count);

/* Erases every document of mailbox, each with its certificate in
 * DIR/certs (for mailbox delete --erase-held and a forced PIN reset);
 * *erased (may be NULL) gets how many. Returns 0 or the first error. */
int release_erase_held(struct store *s, const char *mailbox, const char *reason,
		       uint64_t *erased);

/* ---- for front ends on a terminal (faxgw) ------------------------------- */

/* Loads the configuration at path; NULL: RELEASE_DEFAULT_CONFIG when it
 * exists, else the defaults. Problems are printed to stderr. Returns 0
 * and *out (config_free it), or FGW_ERR_CONFIG / FGW_ERR_NOT_FOUND. */
int release_config_load(const char *path, struct config **out);

/* Opens the store in dir with the PIN cost of [security] scrypt_log2_n. */
int release_store_open(const char *dir, const struct config *cfg, struct store **out);

/* Reads one secret line: from fd 0 when from_stdin (byte by byte, so
 * nothing stays in a stdio buffer), else from /dev/tty with echo off after
 * printing prompt. The newline is dropped. Returns 0, FGW_ERR_TOO_LARGE
 * (longer than cap - 1), FGW_ERR_NOT_FOUND (end of input) or FGW_ERR_IO
 * (no terminal). The caller wipes buf. */
int release_read_secret(bool from_stdin, const char *prompt, char *buf, size_t cap);

/* Writes s to out as a JSON string (quoted; control bytes, quote and
 * backslash escaped). */
void release_json_string(FILE *out, const char *s);

/* Formats ms since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into out;
 * "-" when it cannot. */
void release_time_text(int64_t ms, char out[static 32]);

/* Print: the pages in fd (a memory file holding the decrypted fax TIFF,
 * pages fax pages) become a new outbound document under the general-inbox
 * key, queued to the office device line; origin says who asked, for the
 * audit record. job gets the job id. Returns 0, or an error (then the new
 * document has been erased again). */
int release_queue_print(struct store *s, int fd, uint32_t pages, const char *origin,
			int64_t now_ms, char job[static 13]);

#endif
