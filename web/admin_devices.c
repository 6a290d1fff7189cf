/* /admin/devices (admin only, see app.c routes): the office devices and
 * their own outbound policy over the configured one (gateway/devpolicy.h):
 * double entry, international calls, allowed and denied prefixes,
 * reachable countries, each either the device's own or "default" (the
 * configuration decides). Add, edit, delete through gateway/admin.h, as
 * faxgw device does; each change is a config_change record with the admin
 * and the source address. */
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/admin.h"
#include "gateway/devpolicy.h"
#include "storage/catalog_devices.h"
#include "storage/store.h"
#include "web/web_int.h"

#define PAGE "/admin/devices"

static struct admin_actor actor(const struct web_ctx *c)
{
	return (struct admin_actor){.user = c->user.name, .source = c->req->peer};
}

/* The form's words for a field, in messages. */
static const char *field_label(enum admin_device_field f)
{
	switch (f) {
	case ADMIN_DEV_KIND: return "Kind";
	case ADMIN_DEV_DOUBLE_ENTRY: return "Double entry";
	case ADMIN_DEV_INTERNATIONAL: return "International calls";
	case ADMIN_DEV_ALLOW: return "Allowed prefixes";
	case ADMIN_DEV_DENY: return "Denied prefixes";
	case ADMIN_DEV_COUNTRIES: return "Countries";
	default: return "Name";
	}
}

struct dev_view {
	struct web_ctx *c;
	struct devpolicy dflt;
	bool dflt_ok;
	const char *focus;                 /* device being edited, or NULL */
	struct catalog_device_entry edit;  /* its row when found */
	bool found;
};

/* ---- the list ----------------------------------------------------------- */

static void setting_cell(struct html *h, enum catalog_setting v, bool dflt)
{
	if (v != CATALOG_SET_DEFAULT) {
		html_raw(h, admin_setting_text(v));
		return;
	}
	html_raw(h, "<span class=\"muted\">default (");
	html_raw(h, dflt ? "yes" : "no");
	html_raw(h, ")</span>");
}

static void list_cell(struct html *h, const struct catalog_device_list *l,
		      const struct dialrules_prefixes *dflt)
{
	char text[CATALOG_DEVICE_LIST_MAX + 1];

	if (l->set) {
		html_text(h, admin_list_text(l));
		return;
	}
	web_prefixes_text(dflt, text, sizeof text);
	html_raw(h, "<span class=\"muted\">default (");
	html_text(h, text);
	html_raw(h, ")</span>");
}

static int device_row(const struct catalog_device_entry *e, void *arg)
{
	struct dev_view *v = arg;
	struct html *h = v->c->resp->body;

	if (v->focus && strcmp(v->focus, e->dev.address) == 0) {
		v->edit = *e;
		v->found = true;
	}
	html_raw(h, "<tr><td>");
	html_text(h, e->dev.address);
	html_raw(h, "</td><td>");
	html_text(h, e->dev.kind);
	html_raw(h, "</td><td>");
	setting_cell(h, e->double_entry, v->dflt.double_entry);
	html_raw(h, "</td><td>");
	setting_cell(h, e->international_allow, v->dflt.dial.international_allow);
	html_raw(h, "</td><td>");
	list_cell(h, &e->allow_prefixes, &v->dflt.dial.allow);
	html_raw(h, "</td><td>");
	list_cell(h, &e->deny_prefixes, &v->dflt.dial.deny);
	html_raw(h, "</td><td>");
	list_cell(h, &e->countries, &v->dflt.dial.countries);
	html_raw(h, "</td><td><a href=\"" PAGE "?device=");
	html_text(h, e->dev.address);
	html_raw(h, "#edit\">Edit</a></td></tr>");
	return 0;
}

static void list_html(struct dev_view *v)
{
	struct html *h = v->c->resp->body;

	html_raw(h, "<section class=\"card\"><table><thead><tr><th>Device</th><th>Kind</th>"
		 "<th>Double entry</th><th>International</th><th>Allowed prefixes</th>"
		 "<th>Denied prefixes</th><th>Countries</th><th></th></tr></thead><tbody>");
	if (catalog_devices_list(store_catalog(v->c->app->store), device_row, v) != FGW_OK)
		html_raw(h, "<tr><td colspan=\"8\">The list could not be read; see the system "
			 "log.</td></tr>");
	html_raw(h, "</tbody></table><p class=\"muted\">A device without a row here follows "
		 "the configured policy ([outbound] double_entry and [dialing]); so does every "
		 "setting shown as default. The simulated office machine on the device line is "
		 "device <code>" DEVPOLICY_DEFAULT_DEVICE "</code>.</p></section>");
}

/* ---- the form ----------------------------------------------------------- */

static void opt(struct html *h, const char *value, const char *label, bool sel)
{
	html_raw(h, sel ? "<option selected value=\"" : "<option value=\"");
	html_raw(h, value);
	html_raw(h, "\">");
	html_raw(h, label);
	html_raw(h, "</option>");
}

static void setting_select(struct html *h, const char *name, const char *label,
			   enum catalog_setting v, bool dflt)
{
	html_raw(h, "<label for=\"");
	html_raw(h, name);
	html_raw(h, "\">");
	html_raw(h, label);
	html_raw(h, "</label><select id=\"");
	html_raw(h, name);
	html_raw(h, "\" name=\"");
	html_raw(h, name);
	html_raw(h, "\">");
	opt(h, "default", dflt ? "default (configured: yes)" : "default (configured: no)",
	    v == CATALOG_SET_DEFAULT);
	opt(h, "yes", "yes", v == CATALOG_SET_YES);
	opt(h, "no", "no", v == CATALOG_SET_NO);
	html_raw(h, "</select>");
}

static void list_input(struct html *h, const char *name, const char *label,
		       const struct catalog_device_list *l, const struct dialrules_prefixes *dflt)
{
	char text[CATALOG_DEVICE_LIST_MAX + 1];

	web_prefixes_text(dflt, text, sizeof text);
	html_raw(h, "<label for=\"");
	html_raw(h, name);
	html_raw(h, "\">");
	html_raw(h, label);
	html_raw(h, "</label><select name=\"");
	html_raw(h, name);
	html_raw(h, "_mode\" aria-label=\"");
	html_raw(h, label);
	html_raw(h, ": default or own list\"><option value=\"default\"");
	html_raw(h, l->set ? ">" : " selected>");
	html_raw(h, "default (configured: ");
	html_text(h, text);
	html_raw(h, ")</option><option value=\"list\"");
	html_raw(h, l->set ? " selected>" : ">");
	html_raw(h, "this device's list:</option></select> <input type=\"text\" id=\"");
	html_raw(h, name);
	html_raw(h, "\" name=\"");
	html_raw(h, name);
	html_raw(h, "\" maxlength=\"640\" autocomplete=\"off\" value=\"");
	html_text(h, l->set ? l->text : "");
	html_raw(h, "\">");
}

static void name_input(struct html *h, const struct dev_view *v)
{
	if (v->found) {
		html_raw(h, "<input type=\"hidden\" name=\"device\" value=\"");
		html_text(h, v->edit.dev.address);
		html_raw(h, "\">");
		return;
	}
	html_raw(h, "<label for=\"device\">Name (the SIP user or address the device dials "
		 "from: 1 to 128 of letters, digits and . _ - : @)</label><input type=\"text\" "
		 "id=\"device\" name=\"device\" maxlength=\"128\" autocomplete=\"off\" required "
		 "value=\"");
	html_text(h, v->focus ? v->focus : "");
	html_raw(h, "\">");
}

static void kind_select(struct html *h, const char *kind)
{
	html_raw(h, "<label for=\"kind\">Kind</label><select id=\"kind\" name=\"kind\">");
	opt(h, "fax", "fax machine", strcmp(kind, "fax") == 0);
	opt(h, "mfp", "MFP", strcmp(kind, "mfp") == 0);
	opt(h, "phone", "phone", strcmp(kind, "phone") == 0);
	html_raw(h, "</select>");
}

static void form_html(struct dev_view *v)
{
	struct html *h = v->c->resp->body;
	const struct catalog_device_entry *e = &v->edit;

	html_raw(h, "<section class=\"card\" id=\"edit\"><h2>");
	if (v->found) {
		html_raw(h, "Device ");
		html_text(h, e->dev.address);
	} else {
		html_raw(h, "New device");
	}
	html_raw(h, "</h2><form class=\"stack\" method=\"post\" action=\"" PAGE "/save\">");
	web_csrf_field(v->c);
	name_input(h, v);
	kind_select(h, e->dev.kind);
	setting_select(h, "double_entry", "Double entry (the number is dialled twice)",
		       e->double_entry, v->dflt.double_entry);
	setting_select(h, "international", "International calls", e->international_allow,
		       v->dflt.dial.international_allow);
	html_raw(h, "<p class=\"muted\">Lists are comma-separated digit prefixes in national "
		 "form (0120,0570; international numbers as 010CC...); an own list that is empty "
		 "means no entries. Countries are country codes reachable even when "
		 "international calls are off (1,44).</p>");
	list_input(h, "allow", "Allowed prefixes", &e->allow_prefixes, &v->dflt.dial.allow);
	list_input(h, "deny", "Denied prefixes", &e->deny_prefixes, &v->dflt.dial.deny);
	list_input(h, "countries", "Countries", &e->countries, &v->dflt.dial.countries);
	html_raw(h, "<p><button type=\"submit\">Save device</button></p></form>");
	if (v->found) {
		html_raw(h, "<form method=\"post\" action=\"" PAGE "/delete\">");
		web_csrf_field(v->c);
		html_raw(h, "<input type=\"hidden\" name=\"device\" value=\"");
		html_text(h, e->dev.address);
		html_raw(h, "\"><label><input type=\"checkbox\" name=\"confirm\" value=\"yes\" "
			 "required> sure</label> <button class=\"danger\" type=\"submit\">Delete "
			 "(it follows the configuration again)</button></form>");
	}
	html_raw(h, "</section>");
}

static void dev_page(struct web_ctx *c, int status, const char *kind, const char *msg,
		     const char *focus)
{
	struct html *h = c->resp->body;
	struct dev_view v = {.c = c, .focus = focus};
	char why[300];

	v.dflt_ok = web_devpolicy_defaults(c, &v.dflt, why, sizeof why) == FGW_OK;
	catalog_devices_entry_init(&v.edit);
	(void)str_copy(v.edit.dev.kind, sizeof v.edit.dev.kind, "fax");
	c->resp->status = status;
	c->current = PAGE;
	web_page_begin(c, "Devices");
	web_admin_message(h, kind, msg);
	if (!v.dflt_ok) {
		html_raw(h, "<div class=\"msg error\">The configured policy could not be read: ");
		html_text(h, why);
		html_raw(h, "</div>");
	}
	list_html(&v);
	form_html(&v);
	web_page_end(c);
}

void page_admin_devices(struct web_ctx *c)
{
	const char *d = http_form_get(&c->query, "device");

	dev_page(c, 200, NULL, NULL, d && devpolicy_name_ok(d) ? d : NULL);
}

/* ---- actions ------------------------------------------------------------ */

/* A list field: "default", or the text (an own list, maybe empty). */
static const char *list_field(struct web_ctx *c, const char *name, const char *mode)
{
	const char *m = http_form_get(&c->form, mode);
	const char *v = http_form_get(&c->form, name);

	if (!m)
		return NULL;   /* not sent: unchanged */
	return strcmp(m, "list") == 0 ? (v ? v : "") : "default";
}

void page_admin_device_save(struct web_ctx *c)
{
	struct admin_device_change ch = {
		.name = http_form_get(&c->form, "device"),
		.kind = http_form_get(&c->form, "kind"),
		.double_entry = http_form_get(&c->form, "double_entry"),
		.international = http_form_get(&c->form, "international"),
		.allow = list_field(c, "allow", "allow_mode"),
		.deny = list_field(c, "deny", "deny_mode"),
		.countries = list_field(c, "countries", "countries_mode"),
	};
	struct admin_actor who = actor(c);
	struct admin_device_error err;
	bool created = false;
	char msg[400];
	int rc = admin_device_set(c->app->store, &ch, &who, NULL, &created, &err);

	if (rc == FGW_ERR_INVALID) {
		(void)str_format(msg, sizeof msg, "%s: %s. Nothing was changed.",
				 field_label(err.field), err.why);
		dev_page(c, 400, "error", msg,
			 ch.name && devpolicy_name_ok(ch.name) ? ch.name : NULL);
		return;
	}
	if (rc != FGW_OK) {
		(void)str_format(msg, sizeof msg, "The device could not be stored: %s; see the "
				 "system log.", fgw_strerror(rc));
		dev_page(c, 500, "error", msg, NULL);
		return;
	}
	dev_page(c, 200, "ok", created ? "Device added." : "Device saved.", ch.name);
}

void page_admin_device_delete(struct web_ctx *c)
{
	const char *name = http_form_get(&c->form, "device");
	const char *confirm = http_form_get(&c->form, "confirm");
	struct admin_actor who = actor(c);
	int rc;

	if (!confirm || strcmp(confirm, "yes") != 0) {
		dev_page(c, 400, "error", "Tick \"sure\" to delete a device.",
			 name && devpolicy_name_ok(name) ? name : NULL);
		return;
	}
	rc = name && devpolicy_name_ok(name) ? admin_device_delete(c->app->store, name, &who)
					     : FGW_ERR_NOT_FOUND;
	if (rc == FGW_ERR_NOT_FOUND)
		dev_page(c, 404, "error", "There is no such device.", NULL);
	else if (rc != FGW_OK)
		dev_page(c, 500, "error", "The device could not be deleted; see the system log.",
			 NULL);
	else
		dev_page(c, 200, "ok", "Device deleted; it follows the configured policy again.",
			 NULL);
}
