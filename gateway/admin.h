/* Administration of confidential mailboxes and office devices, shared by
 * the CLI (faxgw mailbox, faxgw device) and the web admin pages, so both
 * check, store and audit a change the same way.
 *
 * Every change writes one durable config_change audit record with the
 * fields action, mailbox or device, detail, and, when an actor is given
 * (the web), user and source (the browser's address). The CLI passes a
 * NULL actor.
 *
 * Functions return 0 or a negative FGW_ERR_* code; where they take
 * msg/msgsize, a refusal a user can meet is explained there in words that
 * name the field ("the PIN is 4 to 16 digits"), without front-end
 * specifics (no option names, no URLs). msg is "" on success. */
#ifndef FAXGW_GATEWAY_ADMIN_H
#define FAXGW_GATEWAY_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/catalog.h"
#include "storage/catalog_devices.h"

struct store;
struct release_policy;
struct release_lock_info;

#define ADMIN_MAILBOX_NUMBER_MAX 20   /* T.30 SUB */
#define ADMIN_RETENTION_MAX 36500     /* days */
#define ADMIN_DETAIL_MAX 2400         /* bytes of an audit detail */

/* Who asked, for the audit record; both strings are the caller's. */
struct admin_actor {
	const char *user;     /* account name */
	const char *source;   /* source address as text */
};

/* ---- mailboxes ---------------------------------------------------------- */

/* True when n is a mailbox number (F-code): 1 to 20 of 0-9 * #. */
bool admin_mailbox_number_ok(const char *n);

struct admin_mailbox_new {
	const char *number, *name;
	const char *owner;       /* NULL or "": none */
	const char *pin;         /* 4 to 16 digits; seals the mailbox key */
	const char *password;    /* F-code password (SID/PWD); NULL or "": none */
	uint32_t retention_days; /* 0: erase at release */
};

/* Creates the mailbox. Returns 0, FGW_ERR_INVALID (a field is wrong: msg
 * says which), FGW_ERR_EXISTS, or a catalog, crypto or audit code. */
int admin_mailbox_create(struct store *s, const struct admin_mailbox_new *n,
			 const struct admin_actor *who, char *msg, size_t msgsize);

/* Changes what is not the PIN; NULL fields (and retention_days < 0) stay.
 * password "" removes the F-code password. */
struct admin_mailbox_change {
	const char *number;
	const char *name, *owner, *password;
	long long retention_days;
};

/* Applies ch in one transaction. Returns 0, FGW_ERR_NOT_FOUND,
 * FGW_ERR_INVALID (msg says which field), or a catalog/crypto/audit code. */
int admin_mailbox_update(struct store *s, const struct admin_mailbox_change *ch,
			 const struct admin_actor *who, char *msg, size_t msgsize);

/* Changes the PIN knowing the current one: old_pin goes through the PIN
 * lockout of gateway/release.h (a wrong one counts, as on release), then
 * the mailbox key is re-sealed under new_pin; held faxes stay readable.
 * info (may be NULL) gets the counter. Returns 0, FGW_ERR_INVALID (new
 * PIN malformed), the codes of release_unlock (FGW_ERR_BAD_PIN,
 * FGW_ERR_LOCKED, FGW_ERR_NOT_FOUND), or a catalog/audit code. */
int admin_mailbox_change_pin(struct store *s, const struct release_policy *p,
			     const char *number, const char *old_pin, const char *new_pin,
			     const struct admin_actor *who, struct release_lock_info *info,
			     char *msg, size_t msgsize);

/* Sets a new PIN without the current one. The old key is gone with the
 * old PIN, so the faxes held are erased first (each with its erasure
 * certificate); *erased (may be NULL) gets how many. Clears the lockout.
 * Returns 0, FGW_ERR_INVALID, FGW_ERR_NOT_FOUND, or the first error (if
 * erasing failed, the PIN is unchanged). */
int admin_mailbox_reset_pin(struct store *s, const char *number, const char *new_pin,
			    const struct admin_actor *who, uint64_t *erased, char *msg,
			    size_t msgsize);

/* Ends a PIN lockout early (the failure counter is cleared). Returns 0,
 * FGW_ERR_NOT_FOUND or a catalog/audit code. */
int admin_mailbox_unlock(struct store *s, const char *number, const struct admin_actor *who);

/* Deletes the mailbox. While faxes are held: FGW_ERR_DENIED unless
 * erase_held, which erases them first with certificates (*erased, may be
 * NULL, gets how many). Returns 0, FGW_ERR_DENIED, FGW_ERR_NOT_FOUND or
 * the first error. */
int admin_mailbox_delete(struct store *s, const char *number, bool erase_held,
			 const struct admin_actor *who, uint64_t *erased);

/* One mailbox as listed: the PIN seal is wiped from mb. */
struct admin_mailbox_row {
	struct catalog_mailbox mb;
	long long held;                 /* documents in the mailbox */
	bool locked;                    /* a PIN lockout runs at now_ms */
	struct catalog_lockout lock;
};

/* Every mailbox in number order with its held count and lock state at
 * now_ms. *rows (free with admin_mailbox_rows_free; NULL when *n is 0)
 * and *n are the caller's. Returns 0 or a catalog code. */
int admin_mailbox_list(struct store *s, int64_t now_ms, struct admin_mailbox_row **rows,
		       size_t *n);
void admin_mailbox_rows_free(struct admin_mailbox_row *rows, size_t n);

/* ---- devices ------------------------------------------------------------ */

/* The policy fields of a device, for messages that name one. */
enum admin_device_field {
	ADMIN_DEV_NONE = 0,
	ADMIN_DEV_KIND,
	ADMIN_DEV_DOUBLE_ENTRY,
	ADMIN_DEV_INTERNATIONAL,
	ADMIN_DEV_ALLOW,
	ADMIN_DEV_DENY,
	ADMIN_DEV_COUNTRIES
};

/* A change of a device: NULL leaves a field as it is. Settings take yes,
 * no or default; lists a comma-separated list of digit prefixes, "" for
 * an empty list, or default; kind fax, mfp or phone. */
struct admin_device_change {
	const char *name;
	const char *kind, *double_entry, *international;
	const char *allow, *deny, *countries;
};

/* Why a change was refused: the field and the reason in words. */
struct admin_device_error {
	enum admin_device_field field;   /* ADMIN_DEV_NONE: not one field */
	char why[200];
};

/* Creates the device (kind fax unless given) or changes the fields given,
 * reading and writing the row in one transaction; prefix lists are
 * checked as the dial rules read them and stored in one canonical form.
 * *out (may be NULL) gets the row as stored, *created (may be NULL)
 * whether it is new. Returns 0, FGW_ERR_INVALID (err says which field
 * and why; nothing stored), or a catalog/audit code. */
int admin_device_set(struct store *s, const struct admin_device_change *ch,
		     const struct admin_actor *who, struct catalog_device_entry *out,
		     bool *created, struct admin_device_error *err);

/* Forgets the device: it follows the configuration again. Returns 0,
 * FGW_ERR_NOT_FOUND or a catalog/audit code. */
int admin_device_delete(struct store *s, const char *name, const struct admin_actor *who);

/* "yes", "no", "default"; and a list as "default", "none" or its text.
 * Static or e's storage. */
const char *admin_setting_text(enum catalog_setting v);
const char *admin_list_text(const struct catalog_device_list *l);

/* The device's settings in one line ("kind=fax double_entry=default ..."). */
void admin_device_describe(const struct catalog_device_entry *e, char *out, size_t size);

#endif
