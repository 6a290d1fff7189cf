/* Failure counting and locks over the catalog's lockout counters, shared
 * by every login path (web login, SIP digest) so that one source address
 * is banned everywhere at once.
 *
 * Scopes in use: "login" (web account), "sip" (SIP device), and
 * "login-ip" (source address, without port): LOCKOUT_SCOPE_ADDR. */
#ifndef FAXGW_STORAGE_LOCKOUT_H
#define FAXGW_STORAGE_LOCKOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct catalog;

#define LOCKOUT_SCOPE_ADDR "login-ip"
#define LOCKOUT_ADDR_BASE_MS 1000       /* first lock of an address */
#define LOCKOUT_ADDR_MAX_MS 300000      /* an address' lock never grows past */

/* How a counter locks: after max_failures consecutive failures, for
 * lock_ms; with grow, each further failure doubles the lock (capped at
 * max_lock_ms). */
struct lockout_policy {
	unsigned max_failures;
	int64_t lock_ms;
	bool grow;
	int64_t max_lock_ms;
};

/* The policy of a source address: LOCKOUT_ADDR_BASE_MS doubling up to
 * LOCKOUT_ADDR_MAX_MS, after max_failures. */
struct lockout_policy lockout_addr_policy(unsigned max_failures);

/* Counts one failure of (scope, key) at now_ms. Returns 1 when this
 * failure locked it, 0 when counted without locking, or a negative
 * FGW_ERR_* (the catalog failed; logged). */
int lockout_fail(struct catalog *cat, const char *scope, const char *key,
		 const struct lockout_policy *pol, int64_t now_ms);

/* Sets *locked when (scope, key) is locked at now_ms. Returns 0 or the
 * catalog's code (then *locked is true: refusing is the safe side; the
 * caller decides). */
int lockout_check(struct catalog *cat, const char *scope, const char *key, int64_t now_ms,
		  bool *locked);

/* Forgets (scope, key) after a success. Returns 0 or FGW_ERR_DB. */
int lockout_clear(struct catalog *cat, const char *scope, const char *key);

/* Writes the address part of "ip:port", "[v6]:port", "v6" or "ip" into
 * out (the key of LOCKOUT_SCOPE_ADDR, as the web login uses). Returns 0,
 * FGW_ERR_PARSE or FGW_ERR_TOO_LARGE. */
int lockout_addr_key(const char *source, char *out, size_t size);

#endif
