/* The password policy shared by every front end that sets a password (web
 * accounts, SIP devices): 8 to 256 characters, not on the deny-list of
 * common and vendor-default passwords (config/password-denylist.txt,
 * compiled in by common/module.mk), not the user name. */
#ifndef FAXGW_COMMON_PWPOLICY_H
#define FAXGW_COMMON_PWPOLICY_H

#include <stdbool.h>
#include <stddef.h>

#define PWPOLICY_MIN 8
#define PWPOLICY_MAX 256

/* True when password is on the deny-list (case-insensitive). */
bool pwpolicy_denied(const char *password);

/* Checks a new password of user (NULL: no user name to compare). Returns
 * 0, or FGW_ERR_BAD_PASSWORD with a sentence for the user in why
 * (why_size bytes; why may be NULL). */
int pwpolicy_check(const char *user, const char *password, char *why, size_t why_size);

/* The deny-list's bytes, NUL-terminated (generated from
 * config/password-denylist.txt at build time). */
extern const unsigned char pwpolicy_denylist[];

#endif
