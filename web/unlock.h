/* Unlocked mailboxes, per web session, in server memory only.
 *
 * After a right PIN the web interface must let that one session view,
 * download, print and erase the mailbox's faxes for a short while without
 * asking for the PIN on every click. The release functions
 * (gateway/release.h) decrypt with the PIN, so the PIN itself is what is
 * kept: here, in this process's memory, tied to the session's catalog key
 * (a hash of the cookie, never the cookie) and the mailbox number, for a
 * fixed time from the unlock (not extended by use). It is never written
 * to the catalog, a cookie, a page or a log; it is wiped (OPENSSL_cleanse)
 * when it expires (every request sweeps), when the user locks the mailbox
 * again or logs out, when the table is full and the oldest entry is
 * evicted, and when the store is freed. A daemon restart forgets all. */
#ifndef FAXGW_WEB_UNLOCK_H
#define FAXGW_WEB_UNLOCK_H

#include <stddef.h>
#include <stdint.h>

#define UNLOCK_TTL_MS     (5 * 60 * 1000)  /* how long an unlock lasts */
#define UNLOCK_MAX        64               /* entries; the oldest is evicted */
#define UNLOCK_PIN_MAX    16
#define UNLOCK_KEY_MAX    64               /* hex of the session key */
#define UNLOCK_NUMBER_MAX 32

struct unlock_store;

/* A new empty table. NULL on ENOMEM. */
struct unlock_store *unlock_store_new(void);

/* Wipes every entry and frees u; NULL is fine. */
void unlock_store_free(struct unlock_store *u);

/* Keeps pin for (session, mailbox) until now_ms + UNLOCK_TTL_MS, replacing
 * an earlier entry of that pair. Returns 0, or FGW_ERR_INVALID (a string
 * too long or empty). */
int unlock_put(struct unlock_store *u, const char *session, const char *mailbox,
	       const char *pin, int64_t now_ms);

/* Copies the PIN of (session, mailbox) into pin (at least
 * UNLOCK_PIN_MAX + 1 bytes; the caller wipes it) and its expiry into
 * *expires_ms (may be NULL). Returns 0 or FGW_ERR_NOT_FOUND (none, or
 * expired: then wiped). */
int unlock_get(struct unlock_store *u, const char *session, const char *mailbox,
	       int64_t now_ms, char *pin, int64_t *expires_ms);

/* Wipes the entry of (session, mailbox); mailbox NULL: every entry of
 * session (logout). */
void unlock_forget(struct unlock_store *u, const char *session, const char *mailbox);

/* Wipes every entry expired at now_ms. */
void unlock_sweep(struct unlock_store *u, int64_t now_ms);

/* Entries held (for tests). */
size_t unlock_count(const struct unlock_store *u);

#endif
