/* The registrar for office SIP devices, at message level: it takes a
 * parsed request and its source address and writes the complete response
 * bytes; the transport and transaction layer (gateway/sip_service.c) send
 * them. No sockets here.
 *
 * A device registers as the catalog device named by its digest user name
 * (the To user must be the same). Passwords are set with `faxgw sip
 * password DEVICE` (storage/catalog_sip.h keeps HA1 per algorithm under the
 * realm of that moment: changing [sip] realm needs a new password).
 *
 * REGISTER answers:
 *   401  no or stale credentials: one WWW-Authenticate challenge per
 *        algorithm of [sip] digest_algorithms, preferred first (default
 *        SHA-256 then MD5, RFC 8760 2.4); also after a wrong password or a
 *        replayed nonce count;
 *   403  the source address is banned (lockout scope "login-ip", shared
 *        with the web login) or the device is locked (scope "sip"), or the
 *        To user is not the authenticated device;
 *   400  a malformed request (no To user, bad Contact or Expires, "*"
 *        without Expires: 0 or beside other contacts);
 *   500  a late REGISTER: same Call-ID as the one that set a binding,
 *        CSeq not higher (RFC 3261 10.3 step 7); 503 when the table is full;
 *   200  bindings stored, every current Contact of the device listed with
 *        ;expires= (capped by [sip] register_expires_max); Expires 0
 *        removes one, "*" removes all.
 * Every failed authentication is an AUDIT_LOGIN_FAILURE record (user,
 * source, service "sip", reason) and counts toward the lockouts
 * ([security] login_max_failures, [web] login_lock_minutes; see
 * storage/lockout.h); a lock is an AUDIT_LOCKOUT record; a success is an
 * AUDIT_LOGIN record. A challenge alone is not a failure.
 *
 * Bindings are kept in memory (at most SIP_REGISTRAR_BINDINGS_PER_DEVICE
 * per device, SIP_REGISTRAR_BINDINGS_MAX in all) and expire on their own;
 * a configuration reload goes through sip_registrar_reconfigure and keeps
 * them. Use from the daemon's loop thread only. */
#ifndef FAXGW_GATEWAY_SIP_REGISTRAR_H
#define FAXGW_GATEWAY_SIP_REGISTRAR_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct control;
struct sipmsg;
struct store;
struct sip_registrar;

#define SIP_REGISTRAR_BINDINGS_MAX 1024
#define SIP_REGISTRAR_BINDINGS_PER_DEVICE 4
#define SIP_REGISTRAR_CONTACT_MAX 255     /* bytes of a Contact URI */
#define SIP_REGISTRAR_SOURCE_MAX 63       /* "ip:port" / "[v6]:port" */
#define SIP_REGISTRAR_NONCE_MS 300000     /* a nonce's life (then stale) */
#define SIP_REGISTRAR_RESPONSE_MAX 4096   /* bytes of a response we build */

/* Milliseconds on a steady clock (bindings and nonces age on it). */
typedef int64_t sip_registrar_clock_fn(void *arg);

/* Makes a registrar over store (borrowed; must outlive it) reading [sip]
 * realm, register_expires_max and digest_algorithms, [security]
 * login_max_failures and [web] login_lock_minutes from cfg (read now, not
 * kept). Returns 0 and *out
 * (sip_registrar_free), FGW_ERR_NOMEM, FGW_ERR_INVALID or FGW_ERR_CRYPTO. */
int sip_registrar_new(struct store *store, const struct config *cfg,
		      struct sip_registrar **out);

/* Frees reg and its bindings. NULL is fine. */
void sip_registrar_free(struct sip_registrar *reg);

/* Takes the settings of a reloaded cfg; bindings stay. A new realm starts
 * a new nonce secret (old nonces then draw a fresh challenge). Returns 0,
 * FGW_ERR_NOMEM or FGW_ERR_CRYPTO (the old settings stay). */
int sip_registrar_reconfigure(struct sip_registrar *reg, const struct config *cfg);

/* Replaces the clock (default CLOCK_MONOTONIC) and the wall clock used for
 * lockout times (default CLOCK_REALTIME); for tests. NULL keeps a default. */
void sip_registrar_set_clock(struct sip_registrar *reg, sip_registrar_clock_fn *steady,
			     sip_registrar_clock_fn *wall, void *arg);

/* Handles REGISTER req received from source ("ip:port" or "[v6]:port", as
 * the transport writes it). Writes the whole response into resp (size
 * bytes, NUL-terminated; SIP_REGISTRAR_RESPONSE_MAX is enough), *len its
 * length, and returns its status code (200, 400, 401, 403, 500), or a
 * negative FGW_ERR_* when not even a response could be built (req not a
 * REGISTER: FGW_ERR_INVALID; FGW_ERR_TOO_LARGE): then send nothing. */
int sip_registrar_handle_register(struct sip_registrar *reg, const struct sipmsg *req,
				  const char *source, char *resp, size_t size,
				  size_t *len);

/* Authorizes an INVITE (or other request) from a device the same way.
 * Returns 0 with the device's name in device (device_size bytes;
 * CATALOG_NAME_MAX + 1 is enough) and nothing in resp; or a status code
 * (401 challenge, 403 banned/locked, 400 malformed) with the complete
 * response in resp (length in *len) for the transaction layer to send (for an INVITE
 * it still needs the ACK); or a negative FGW_ERR_* as above. Audit and
 * lockout as for REGISTER. */
int sip_registrar_authorize(struct sip_registrar *reg, const struct sipmsg *req,
			    const char *source, char *device, size_t device_size,
			    char *resp, size_t size, size_t *len);

/* Writes the Contact URI of device's most recent unexpired binding into
 * contact, and the address it registered from into source (either may be
 * NULL). Returns 0, FGW_ERR_NOT_FOUND (no binding) or FGW_ERR_TOO_LARGE. */
int sip_registrar_lookup(struct sip_registrar *reg, const char *device, char *contact,
			 size_t contact_size, char *source, size_t source_size);

/* Drops every binding of device (e.g. its password was removed). Returns
 * how many were dropped. */
size_t sip_registrar_forget(struct sip_registrar *reg, const char *device);

/* Calls fn for each unexpired binding, most recent first per device;
 * strings are valid during the call only. */
typedef void sip_registrar_binding_fn(void *arg, const char *device, const char *contact,
				      const char *source, int64_t expires_in_s);
void sip_registrar_list(struct sip_registrar *reg, sip_registrar_binding_fn *fn, void *arg);

/* Sets device's SIP password under realm: stores HA1 for MD5 and SHA-256
 * (user name = device name) in the catalog (storage/catalog_sip.h), at
 * now_ms. Does not check the password policy (common/pwpolicy.h does).
 * Returns 0, FGW_ERR_NOT_FOUND (no such catalog device), FGW_ERR_INVALID,
 * or the catalog's code. Every copy of the password and HA1 is wiped. */
struct catalog;
int sip_registrar_set_password(struct catalog *cat, const char *device, const char *realm,
			       const char *password, int64_t now_ms);

/* Registers the control verbs "sip-bindings" (one data line per binding:
 * "DEVICE CONTACT SOURCE EXPIRES_IN_S") and "sip-forget device=NAME"
 * (drops its bindings; `faxgw sip remove` sends it) on ctl, served from
 * reg; call once per control socket (sip_service does, at start). Returns 0 or a
 * control_register code. reg must outlive ctl's serving. */
int sip_registrar_register_verbs(struct sip_registrar *reg, struct control *ctl);

#endif
