/* Per-device outbound policy: the configuration gives the defaults
 * ([outbound] double_entry; [dialing] international_allow, countries,
 * allow_prefixes, deny_prefixes, premium_allow) and a device's catalog row
 * (storage/catalog_devices.h) overrides any of them except premium_allow,
 * which stays appliance-wide. Devices without a row follow the defaults.
 *
 * devpolicy_merge is pure (no I/O) so tests and the queue's re-check run
 * exactly what the device line runs. */
#ifndef FAXGW_GATEWAY_DEVPOLICY_H
#define FAXGW_GATEWAY_DEVPOLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/dialrules.h"
#include "storage/catalog_devices.h"

struct config;

/* The name a device line's caller has when nobody names one: the
 * simulated office machine on the "device" line. */
#define DEVPOLICY_DEFAULT_DEVICE "device"

struct devpolicy {
	bool double_entry;              /* the number must be dialled twice */
	struct dialrules_policy dial;
};

/* Fills out with the safe built-in defaults: double entry on, default
 * dial rules (nothing international or premium, no lists). */
void devpolicy_init(struct devpolicy *out);

/* Fills out from [outbound] double_entry and [dialing] of cfg. Returns 0
 * or FGW_ERR_CONFIG (msg names the key). */
int devpolicy_load_defaults(const struct config *cfg, struct devpolicy *out, char *msg,
			    size_t msgsize);

/* Merges defaults with device e (NULL: a device without a row) into out:
 * every setting e leaves at default comes from defaults. Returns 0,
 * FGW_ERR_PARSE or FGW_ERR_RANGE when a stored list does not parse (msg
 * names the device and the field; out then holds the defaults). */
int devpolicy_merge(const struct devpolicy *defaults, const struct catalog_device_entry *e,
		    struct devpolicy *out, char *msg, size_t msgsize);

/* Reads device name from cat and merges it with defaults into out; a
 * device without a row gets the defaults. Returns 0, the codes of
 * devpolicy_merge, or a catalog code (msg says what failed). */
int devpolicy_for_device(struct catalog *cat, const struct devpolicy *defaults,
			 const char *name, struct devpolicy *out, char *msg, size_t msgsize);

/* True when name is a usable device name: 1 to CATALOG_NAME_MAX bytes of
 * letters, digits and . _ - : @ (SIP users and addresses fit). */
bool devpolicy_name_ok(const char *name);

#endif
