/* The registrar's binding table (private to gateway/sip_registrar.c and
 * its tests): device -> Contact URIs with expiry, bounded by
 * SIP_REGISTRAR_BINDINGS_MAX in all and SIP_REGISTRAR_BINDINGS_PER_DEVICE
 * per device (a new one replaces the device's oldest). Times are the
 * registrar's steady clock in ms. */
#ifndef FAXGW_GATEWAY_SIP_BINDINGS_H
#define FAXGW_GATEWAY_SIP_BINDINGS_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/sip_registrar.h"

struct sip_bindings;
struct sipmsg;

#define SIP_BINDINGS_DEFAULT_EXPIRES 3600 /* no Expires anywhere (RFC 3261 10.2.1.1) */
#define SIP_BINDINGS_CONTACTS_MAX 8       /* Contacts in one REGISTER */
#define SIP_BINDINGS_CALL_ID_MAX 127      /* bytes of a Call-ID we keep */

/* Returns 0 and *out (sip_bindings_free) or FGW_ERR_NOMEM. */
int sip_bindings_new(struct sip_bindings **out);
void sip_bindings_free(struct sip_bindings *b);

/* Applies the Contacts of REGISTER req for device from source: each one's
 * ;expires= or else the Expires header or else the default, capped at
 * expires_max_s; 0 removes that Contact; "*" (alone, with Expires: 0)
 * removes all of device's. All Contacts are checked before any change.
 * Returns 0, FGW_ERR_PARSE (a malformed Contact or Expires, "*" misused,
 * more than SIP_BINDINGS_CONTACTS_MAX, Call-ID over
 * SIP_BINDINGS_CALL_ID_MAX), FGW_ERR_REORDERED (a binding was last set by
 * the same Call-ID with a CSeq not below this one: a late or repeated
 * request, RFC 3261 10.3 step 7; nothing changed) or FGW_ERR_TOO_LARGE
 * (table full). */
int sip_bindings_apply(struct sip_bindings *b, const struct sipmsg *req, const char *device,
		       const char *source, int64_t expires_max_s, int64_t now_ms);

/* Calls fn for each unexpired binding of device (NULL: all), grouped by
 * device, most recent first. */
void sip_bindings_each(struct sip_bindings *b, const char *device, int64_t now_ms,
		       sip_registrar_binding_fn *fn, void *arg);

/* The most recent unexpired binding of device into contact / source (each
 * may be NULL). Returns 0, FGW_ERR_NOT_FOUND or FGW_ERR_TOO_LARGE. */
int sip_bindings_lookup(struct sip_bindings *b, const char *device, int64_t now_ms,
			char *contact, size_t contact_size, char *source, size_t source_size);

/* Drops device's bindings; returns how many. */
size_t sip_bindings_forget(struct sip_bindings *b, const char *device);

/* Unexpired bindings in all. */
size_t sip_bindings_count(struct sip_bindings *b, int64_t now_ms);

#endif
