/* Accounts and secrets of the web interface: scrypt password verifiers
 * (parameters stored with the hash), the password policy (8+ characters,
 * not on the built-in deny-list, not the user name), session ids and CSRF
 * tokens. (The one-time setup code is storage/setupcode.h.) */
#ifndef FAXGW_WEB_AUTH_H
#define FAXGW_WEB_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_PASSWORD_MIN 8
#define AUTH_PASSWORD_MAX 256
#define AUTH_VERIFIER_LEN 52     /* version, log2 N, r, p, salt 16, hash 32 */
#define AUTH_TOKEN_HEX 64        /* session cookie, session key, CSRF token */

/* Checks the policy for a new password of user. Returns 0, or
 * FGW_ERR_BAD_PASSWORD with a sentence for the user in why. */
int auth_password_policy(const char *user, const char *password, char *why, size_t why_size);

/* True when password is on the deny-list (case-insensitive). */
bool auth_password_denied(const char *password);

/* Makes a verifier of password with cost 2^log2_n (14..20) into
 * out[AUTH_VERIFIER_LEN]. Returns 0 or FGW_ERR_CRYPTO / FGW_ERR_INVALID. */
int auth_password_hash(const char *password, unsigned log2_n, uint8_t *out, size_t *out_len);

/* Checks password against a verifier in constant time. Returns 0,
 * FGW_ERR_BAD_PASSWORD, FGW_ERR_VERSION (unknown format) or
 * FGW_ERR_CRYPTO. */
int auth_password_check(const char *password, const uint8_t *verifier, size_t len);

/* A new random 32-byte token as 64 hex digits + NUL. */
int auth_token_new(char out[static AUTH_TOKEN_HEX + 1]);

/* SHA-256 of label and token, as hex: the session's catalog key
 * (label "session") or its CSRF token (label "csrf"). */
int auth_token_derive(const char *label, const char *token, char out[static AUTH_TOKEN_HEX + 1]);


#endif
