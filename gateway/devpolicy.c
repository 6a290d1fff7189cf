/* Per-device outbound policy; see devpolicy.h. */
#include "gateway/devpolicy.h"

#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/config.h"

void devpolicy_init(struct devpolicy *out)
{
	out->double_entry = true;
	dialrules_policy_init(&out->dial);
}

int devpolicy_load_defaults(const struct config *cfg, struct devpolicy *out, char *msg,
			    size_t msgsize)
{
	devpolicy_init(out);
	out->double_entry = config_bool(cfg, "outbound", "double_entry");
	return dialrules_policy_load(cfg, &out->dial, msg, msgsize);
}

static bool setting(enum catalog_setting s, bool dflt)
{
	return s == CATALOG_SET_DEFAULT ? dflt : s == CATALOG_SET_YES;
}

/* A list the device sets replaces the default list (it does not add to it:
 * a device may need fewer restrictions than the rest, not only more). */
static int merge_list(const char *device, const char *field, const struct catalog_device_list *l,
		      struct dialrules_prefixes *out, char *msg, size_t msgsize)
{
	char why[160];
	int rc;

	if (!l->set)
		return FGW_OK;
	rc = dialrules_parse_list(l->text, out, why, sizeof why);
	if (rc != FGW_OK)
		(void)str_format(msg, msgsize, "device %s: %s: %s; fix it with faxgw device set",
				 device, field, why);
	return rc;
}

int devpolicy_merge(const struct devpolicy *defaults, const struct catalog_device_entry *e,
		    struct devpolicy *out, char *msg, size_t msgsize)
{
	struct devpolicy m = *defaults;
	const char *name;
	int rc;

	*out = *defaults;
	if (e == NULL)
		return FGW_OK;
	name = e->dev.address;
	m.double_entry = setting(e->double_entry, defaults->double_entry);
	m.dial.international_allow = setting(e->international_allow,
					     defaults->dial.international_allow);
	rc = merge_list(name, "allow_prefixes", &e->allow_prefixes, &m.dial.allow, msg, msgsize);
	if (rc == FGW_OK)
		rc = merge_list(name, "deny_prefixes", &e->deny_prefixes, &m.dial.deny, msg,
				msgsize);
	if (rc == FGW_OK)
		rc = merge_list(name, "countries", &e->countries, &m.dial.countries, msg, msgsize);
	if (rc == FGW_OK)
		*out = m;
	return rc;
}

int devpolicy_for_device(struct catalog *cat, const struct devpolicy *defaults,
			 const char *name, struct devpolicy *out, char *msg, size_t msgsize)
{
	struct catalog_device_entry e;
	int rc = catalog_devices_get(cat, name, &e);

	if (rc == FGW_ERR_NOT_FOUND)
		return devpolicy_merge(defaults, NULL, out, msg, msgsize);
	if (rc != FGW_OK) {
		*out = *defaults;
		(void)str_format(msg, msgsize, "device %s: the catalog could not be read: %s",
				 name, fgw_strerror(rc));
		return rc;
	}
	return devpolicy_merge(defaults, &e, out, msg, msgsize);
}

bool devpolicy_name_ok(const char *name)
{
	size_t n = strnlen(name, CATALOG_NAME_MAX + 1);

	if (n == 0 || n > CATALOG_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || strchr("._-:@", c) != NULL;

		if (!ok)
			return false;
	}
	return true;
}
