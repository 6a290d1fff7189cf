/* Devices with their outbound policy: the catalog's devices table in full
 * (storage/catalog.h has only the identity columns). Every policy field
 * can say "default": then the configuration decides ([outbound]
 * double_entry, [dialing] international_allow, allow_prefixes,
 * deny_prefixes, countries); gateway/devpolicy.h merges the two.
 *
 * Same conventions as storage/catalog.h: 0 or a negative FGW_ERR_* code,
 * FGW_ERR_NOT_FOUND for a missing row, FGW_ERR_RANGE for text too long. */
#ifndef FAXGW_STORAGE_CATALOG_DEVICES_H
#define FAXGW_STORAGE_CATALOG_DEVICES_H

#include <stdbool.h>

#include "storage/catalog.h"

/* Bytes of one prefix list as stored ("0120,0570,..."): room for the
 * dial rules' 32 entries of 16 digits with separators. */
#define CATALOG_DEVICE_LIST_MAX 640

/* A yes/no setting that may also defer to the configuration. */
enum catalog_setting {
	CATALOG_SET_DEFAULT = -1,  /* NULL in the table */
	CATALOG_SET_NO = 0,
	CATALOG_SET_YES = 1
};

/* A prefix list that may defer to the configuration. set false: default
 * (NULL in the table; text ignored). set true and text "": no entries. */
struct catalog_device_list {
	bool set;
	char text[CATALOG_DEVICE_LIST_MAX + 1];
};

struct catalog_device_entry {
	struct catalog_device dev;               /* address is the key */
	enum catalog_setting double_entry;
	enum catalog_setting international_allow;
	struct catalog_device_list allow_prefixes;
	struct catalog_device_list deny_prefixes;
	struct catalog_device_list countries;
};

/* Fills e with an empty entry: every policy setting "default". */
void catalog_devices_entry_init(struct catalog_device_entry *e);

/* Fills *out with the device whose address is address. FGW_ERR_NOT_FOUND. */
int catalog_devices_get(struct catalog *cat, const char *address,
			struct catalog_device_entry *out);

/* Inserts e, or replaces every column of the row at e->dev.address.
 * FGW_ERR_INVALID for an empty address or a setting out of range. */
int catalog_devices_save(struct catalog *cat, const struct catalog_device_entry *e);

/* Deletes the device at address. FGW_ERR_NOT_FOUND if absent. */
int catalog_devices_delete(struct catalog *cat, const char *address);

/* Calls fn for each device in address order; e is valid only during the
 * call. fn returns 0 to go on, anything else stops the walk and is
 * returned. Do not change the catalog from inside fn. */
typedef int (*catalog_device_fn)(const struct catalog_device_entry *e, void *arg);
int catalog_devices_list(struct catalog *cat, catalog_device_fn fn, void *arg);

#endif
