/* F-code transmission passwords of confidential mailboxes (T.30 SID/PWD).
 *
 * A mailbox's password is never stored in clear: catalog_mailbox.pwd holds
 * a verifier, version byte 1 followed by HMAC-SHA256 over the mailbox
 * number, a zero byte and the password, keyed by a key derived from the
 * device's master key (via the vault subkey and a label of its own). F-code
 * passwords are short (often 4 digits), so a plain hash could be brute
 * forced from a stolen catalog; this one needs the master key as well.
 *
 * Whoever creates or changes a mailbox (faxgw mailbox create --password)
 * calls store_mailbox_set_password before catalog_mailbox_create/update;
 * the inbound policy (gateway/inbound.c) calls store_mailbox_check_password
 * with what the far end sent. */
#ifndef FAXGW_STORAGE_STORE_MAILBOX_H
#define FAXGW_STORAGE_STORE_MAILBOX_H

#include <stdbool.h>

#include "storage/catalog.h"

struct store;

/* T.30 identities carry at most 20 characters. */
#define STORE_MAILBOX_PASSWORD_MAX 20
#define STORE_MAILBOX_PWD_VERSION 1
#define STORE_MAILBOX_PWD_LEN 33   /* version byte + HMAC-SHA256 */

/* Fills mb->pwd/pwd_len with the verifier of password for mailbox
 * mb->number (which must be set: the verifier is bound to it). NULL or ""
 * clears the password (pwd_len 0: any sender may deliver). The caller then
 * stores mb with catalog_mailbox_create or catalog_mailbox_update.
 * Returns 0, FGW_ERR_INVALID (no number; password over 20 characters or
 * holding bytes outside printable ASCII) or FGW_ERR_CRYPTO. */
int store_mailbox_set_password(struct store *s, struct catalog_mailbox *mb,
			       const char *password);

/* True when mb requires a password. */
bool store_mailbox_has_password(const struct catalog_mailbox *mb);

/* Checks candidate (what the far end sent; NULL reads as "") against mb's
 * verifier in constant time. A mailbox without a password accepts anything.
 * Returns 0, FGW_ERR_BAD_PASSWORD, FGW_ERR_VERSION (a verifier of an
 * unknown format: refused) or FGW_ERR_CRYPTO. */
int store_mailbox_check_password(struct store *s, const struct catalog_mailbox *mb,
				 const char *candidate);

#endif
