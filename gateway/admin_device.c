/* Office devices and their own outbound policy: set and delete (see
 * admin.h); the merge with the configuration is gateway/devpolicy.h. */
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/admin_int.h"
#include "gateway/devpolicy.h"
#include "gateway/dialrules.h"
#include "storage/store.h"

static int refuse(struct admin_device_error *err, enum admin_device_field field,
		  const char *why)
{
	err->field = field;
	(void)str_copy(err->why, sizeof err->why, why);
	return FGW_ERR_INVALID;
}

static int parse_setting(enum admin_device_field field, const char *v,
			 enum catalog_setting *out, struct admin_device_error *err)
{
	char why[200];

	if (strcmp(v, "yes") == 0)
		*out = CATALOG_SET_YES;
	else if (strcmp(v, "no") == 0)
		*out = CATALOG_SET_NO;
	else if (strcmp(v, "default") == 0)
		*out = CATALOG_SET_DEFAULT;
	else {
		(void)str_format(why, sizeof why, "wants yes, no or default, not '%.40s'", v);
		return refuse(err, field, why);
	}
	return FGW_OK;
}

/* Stores the list in one canonical form ("0120,0570"), checked as the
 * dial rules will read it. */
static int parse_list(enum admin_device_field field, const char *v,
		      struct catalog_device_list *out, struct admin_device_error *err)
{
	struct dialrules_prefixes p;
	char why[160];
	size_t len = 0;

	if (strcmp(v, "default") == 0) {
		*out = (struct catalog_device_list){0};
		return FGW_OK;
	}
	if (dialrules_parse_list(v, &p, why, sizeof why) != FGW_OK)
		return refuse(err, field, why);
	out->set = true;
	out->text[0] = '\0';
	for (size_t i = 0; i < p.count; i++) {
		if (str_format(out->text + len, sizeof out->text - len, "%s%s", i > 0 ? "," : "",
			       p.item[i]) != FGW_OK)
			return refuse(err, field, "the list is too long");
		len += strlen(out->text + len);
	}
	return FGW_OK;
}

static bool kind_ok(const char *k)
{
	return strcmp(k, "fax") == 0 || strcmp(k, "mfp") == 0 || strcmp(k, "phone") == 0;
}

static int apply(const struct admin_device_change *ch, struct catalog_device_entry *e,
		 struct admin_device_error *err)
{
	int rc = FGW_OK;

	char why[200];

	if (ch->kind != NULL) {
		if (!kind_ok(ch->kind)) {
			(void)str_format(why, sizeof why, "wants fax, mfp or phone, not '%.40s'",
					 ch->kind);
			return refuse(err, ADMIN_DEV_KIND, why);
		}
		(void)str_copy(e->dev.kind, sizeof e->dev.kind, ch->kind);
	}
	if (ch->double_entry != NULL)
		rc = parse_setting(ADMIN_DEV_DOUBLE_ENTRY, ch->double_entry, &e->double_entry, err);
	if (rc == FGW_OK && ch->international != NULL)
		rc = parse_setting(ADMIN_DEV_INTERNATIONAL, ch->international,
				   &e->international_allow, err);
	if (rc == FGW_OK && ch->allow != NULL)
		rc = parse_list(ADMIN_DEV_ALLOW, ch->allow, &e->allow_prefixes, err);
	if (rc == FGW_OK && ch->deny != NULL)
		rc = parse_list(ADMIN_DEV_DENY, ch->deny, &e->deny_prefixes, err);
	if (rc == FGW_OK && ch->countries != NULL)
		rc = parse_list(ADMIN_DEV_COUNTRIES, ch->countries, &e->countries, err);
	return rc;
}

const char *admin_setting_text(enum catalog_setting v)
{
	return v == CATALOG_SET_DEFAULT ? "default" : v == CATALOG_SET_YES ? "yes" : "no";
}

const char *admin_list_text(const struct catalog_device_list *l)
{
	return !l->set ? "default" : l->text[0] == '\0' ? "none" : l->text;
}

void admin_device_describe(const struct catalog_device_entry *e, char *out, size_t size)
{
	(void)str_format(out, size, "kind=%s double_entry=%s international=%s "
			 "allow_prefixes=%s deny_prefixes=%s countries=%s", e->dev.kind,
			 admin_setting_text(e->double_entry),
			 admin_setting_text(e->international_allow),
			 admin_list_text(&e->allow_prefixes), admin_list_text(&e->deny_prefixes),
			 admin_list_text(&e->countries));
}

/* Reads, changes and writes the row in one transaction so two admins
 * changing different settings do not undo each other. */
static int save(struct catalog *cat, const struct admin_device_change *ch,
		struct catalog_device_entry *e, bool *created, struct admin_device_error *err)
{
	int rc = catalog_begin(cat);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_devices_get(cat, ch->name, e);
	*created = rc == FGW_ERR_NOT_FOUND;
	if (*created) {
		catalog_devices_entry_init(e);
		(void)str_copy(e->dev.address, sizeof e->dev.address, ch->name);
		(void)str_copy(e->dev.name, sizeof e->dev.name, ch->name);
		(void)str_copy(e->dev.kind, sizeof e->dev.kind, "fax");
		rc = FGW_OK;
	}
	if (rc == FGW_OK)
		rc = apply(ch, e, err);
	if (rc == FGW_OK)
		rc = catalog_devices_save(cat, e);
	if (rc == FGW_OK)
		rc = catalog_commit(cat);
	if (rc != FGW_OK)
		(void)catalog_rollback(cat);
	return rc;
}

int admin_device_set(struct store *s, const struct admin_device_change *ch,
		     const struct admin_actor *who, struct catalog_device_entry *out,
		     bool *created, struct admin_device_error *err)
{
	struct catalog_device_entry e;
	char detail[ADMIN_DETAIL_MAX];
	bool made = false;
	int rc;

	*err = (struct admin_device_error){0};
	if (ch->name == NULL || !devpolicy_name_ok(ch->name))
		return refuse(err, ADMIN_DEV_NONE, "a device name is 1 to 128 of letters, digits "
			      "and . _ - : @");
	rc = save(store_catalog(s), ch, &e, &made, err);
	if (rc != FGW_OK)
		return rc;
	if (out != NULL)
		*out = e;
	if (created != NULL)
		*created = made;
	admin_device_describe(&e, detail, sizeof detail);
	return admin_audit(s, who, made ? "device_create" : "device_set", "device", ch->name,
			   detail);
}

int admin_device_delete(struct store *s, const char *name, const struct admin_actor *who)
{
	int rc = catalog_devices_delete(store_catalog(s), name);

	if (rc == FGW_OK)
		rc = admin_audit(s, who, "device_delete", "device", name, "");
	return rc;
}
