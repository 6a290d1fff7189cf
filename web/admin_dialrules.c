/* /admin/dialrules (admin only, see app.c routes): the dial rules in
 * effect, read-only (they live in faxgw.ini: [dialing] and [outbound];
 * the page says how to change them), and a "test a number" form that runs
 * the very checks of the line and the queue (gateway/dialrules.h over the
 * policy of gateway/devpolicy.h) and shows what they decide and why.
 * Testing changes nothing and is not audited; it is a GET. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/devpolicy.h"
#include "gateway/dialrules.h"
#include "storage/catalog_devices.h"
#include "storage/store.h"
#include "web/web_int.h"

#define PAGE "/admin/dialrules"
#define LOCAL_ORIGIN ""   /* device field value: the web UI / CLI */

/* The configuration in effect: the daemon's; without one (tests) the
 * built-in defaults, then *owned is set and must be config_free'd. */
static const struct config *effective_config(struct web_ctx *c, struct config **owned)
{
	*owned = NULL;
	if (c->app->daemon)
		return daemon_config(c->app->daemon);
	*owned = config_defaults();
	return *owned;
}

int web_devpolicy_defaults(struct web_ctx *c, struct devpolicy *out, char *msg, size_t size)
{
	struct config *owned;
	const struct config *cfg = effective_config(c, &owned);
	int rc;

	devpolicy_init(out);
	if (!cfg) {
		(void)str_copy(msg, size, "out of memory");
		return FGW_ERR_NOMEM;
	}
	rc = devpolicy_load_defaults(cfg, out, msg, size);
	config_free(owned);
	return rc;
}

void web_prefixes_text(const struct dialrules_prefixes *p, char *out, size_t size)
{
	size_t len = 0;

	(void)str_copy(out, size, p->count == 0 ? "none" : "");
	for (size_t i = 0; i < p->count && len < size; i++) {
		if (str_format(out + len, size - len, "%s%s", i > 0 ? ", " : "", p->item[i]) !=
		    FGW_OK)
			return;
		len += strlen(out + len);
	}
}

/* ---- the rules in effect ------------------------------------------------ */

/* The "[dialing] ..." and "[outbound] ..." lines of the configuration. */
static void config_lines(struct web_ctx *c)
{
	struct html *h = c->resp->body;
	struct config *owned;
	const struct config *cfg = effective_config(c, &owned);
	char *text = NULL, *p, *nl;
	size_t len = 0;
	FILE *f = cfg ? open_memstream(&text, &len) : NULL;

	if (f) {
		config_dump(cfg, f);
		if (fclose(f) != 0)
			len = 0;
	}
	html_raw(h, "<pre>");
	for (p = len ? text : NULL; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(p, "[dialing] ", 10) == 0 || strncmp(p, "[outbound] ", 11) == 0) {
			html_text(h, p);
			html_raw(h, "\n");
		}
	}
	html_raw(h, len ? "</pre>" : "(the configuration could not be listed)</pre>");
	free(text);
	config_free(owned);
}

static void rules_html(struct web_ctx *c)
{
	struct html *h = c->resp->body;

	html_raw(h, "<section class=\"card\"><h2>Rules in effect</h2><p>These come from "
		 "faxgw.ini on the appliance: to change them, edit its [dialing] and [outbound] "
		 "sections and reload faxgwd (SIGHUP); <code>faxgwd -n</code> checks a file "
		 "first. A device's own settings (<a href=\"/admin/devices\">Devices</a>) replace "
		 "the configured ones for calls from that device.</p>");
	config_lines(c);
	html_raw(h, "<p>The rules are applied in this order; the first that refuses decides: "
		 "a malformed number; emergency (110, 118, 119) and other three-digit service "
		 "numbers; a call from the trunk back out to it; premium numbers (0990) unless "
		 "allowed; international numbers unless allowed or their country code is listed; "
		 "denied prefixes; and, when an allow list is set, a public number must match "
		 "one of its prefixes. Prefixes are matched against the national form of the "
		 "number (carrier prefix and 184/186 removed, +CC written as 010CC).</p>"
		 "</section>");
}

/* ---- test a number ------------------------------------------------------ */

struct dev_opts {
	struct html *h;
	const char *sel;
	bool seen_default;
};

static void device_option(struct html *h, const char *name, const char *sel)
{
	html_raw(h, sel && strcmp(sel, name) == 0 ? "<option selected value=\"" :
		 "<option value=\"");
	html_text(h, name);
	html_raw(h, "\">device line: ");
	html_text(h, name);
	html_raw(h, "</option>");
}

static int device_opt(const struct catalog_device_entry *e, void *arg)
{
	struct dev_opts *o = arg;

	o->seen_default |= strcmp(e->dev.address, DEVPOLICY_DEFAULT_DEVICE) == 0;
	device_option(o->h, e->dev.address, o->sel);
	return 0;
}

static void test_form(struct web_ctx *c, const char *number, const char *device)
{
	struct html *h = c->resp->body;
	struct dev_opts o = {.h = h, .sel = device};

	html_raw(h, "<section class=\"card\" id=\"test\"><h2>Test a number</h2><form "
		 "class=\"filters\" method=\"get\" action=\"" PAGE "#test\"><label>Number<input "
		 "type=\"text\" name=\"number\" maxlength=\"96\" autocomplete=\"off\" required "
		 "value=\"");
	html_text(h, number ? number : "");
	html_raw(h, "\"></label><label>Dialled from<select name=\"device\"><option value=\""
		 LOCAL_ORIGIN "\">this web interface or the CLI</option>");
	(void)catalog_devices_list(store_catalog(c->app->store), device_opt, &o);
	if (!o.seen_default)
		device_option(h, DEVPOLICY_DEFAULT_DEVICE, device);
	html_raw(h, "</select></label><button type=\"submit\">Test</button></form>");
}

/* One row of the result table; note (markup of ours, may be NULL) after
 * the value. */
static void row(struct html *h, const char *key, const char *value, const char *note)
{
	html_raw(h, "<tr><th>");
	html_raw(h, key);
	html_raw(h, "</th><td>");
	html_text(h, value && *value ? value : "-");
	html_raw(h, note ? note : "");
	html_raw(h, "</td></tr>");
}

static void kv(struct html *h, const char *key, const char *value)
{
	row(h, key, value, NULL);
}

/* A policy row with where its value comes from. */
static void kv_from(struct html *h, const char *key, const char *value, bool own)
{
	row(h, key, value, own ? " <span class=\"muted\">(this device)</span>"
	    : " <span class=\"muted\">(configured)</span>");
}

/* Which settings the device row sets itself (all false: none). */
struct own {
	bool double_entry, international, countries, deny, allow;
};

static void policy_rows(struct html *h, const struct devpolicy *p, const struct own *o,
			bool device)
{
	char text[DIALRULES_MAX_PREFIXES * (DIALRULES_PREFIX_MAX + 2) + 8];

	if (device)
		kv_from(h, "Double entry", p->double_entry ? "yes: the device must dial the "
			"number twice" : "no", o->double_entry);
	kv_from(h, "International calls", p->dial.international_allow ? "allowed" : "refused",
		o->international);
	kv_from(h, "Premium numbers", p->dial.premium_allow ? "allowed" : "refused", false);
	web_prefixes_text(&p->dial.countries, text, sizeof text);
	kv_from(h, "Countries", text, o->countries);
	web_prefixes_text(&p->dial.deny, text, sizeof text);
	kv_from(h, "Denied prefixes", text, o->deny);
	web_prefixes_text(&p->dial.allow, text, sizeof text);
	kv_from(h, "Allowed prefixes", p->dial.allow.count ? text : "no allow list", o->allow);
}

/* What device's row (if any) sets itself. */
static void own_settings(struct web_ctx *c, const char *device, struct own *o)
{
	struct catalog_device_entry e;

	memset(o, 0, sizeof *o);
	if (catalog_devices_get(store_catalog(c->app->store), device, &e) != FGW_OK)
		return;
	o->double_entry = e.double_entry != CATALOG_SET_DEFAULT;
	o->international = e.international_allow != CATALOG_SET_DEFAULT;
	o->countries = e.countries.set;
	o->deny = e.deny_prefixes.set;
	o->allow = e.allow_prefixes.set;
}

static void decision_html(struct html *h, const struct dialrules_decision *d, int rc)
{
	const struct dialrules_number *n = &d->number;

	html_raw(h, rc == FGW_OK ? "<div class=\"msg ok\" role=\"status\">Allowed: "
		 : "<div class=\"msg error\" role=\"status\">Refused by the rule \"");
	if (rc != FGW_OK) {
		html_text(h, d->rule);
		html_raw(h, "\": ");
	}
	html_text(h, d->reason[0] ? d->reason : rc == FGW_OK ? "every rule lets it through"
		  : "the number fits no class of the numbering plan");
	html_raw(h, "</div><table><tbody>");
	kv(h, "As dialled (normalised)", n->normal);
	kv(h, "National form (for prefixes)", n->national);
	kv(h, "Class", dialrules_class_name(n->cls));
	kv(h, "Country code", n->country);
	kv(h, "Carrier prefix", n->carrier);
}

/* Runs the checks for number from device ("": local) and shows them. */
static void test_result(struct web_ctx *c, const char *number, const char *device)
{
	struct html *h = c->resp->body;
	bool local = strcmp(device, LOCAL_ORIGIN) == 0;
	struct devpolicy dflt, p;
	struct dialrules_decision d;
	struct own o;
	char msg[DIALRULES_REASON_MAX + 100];
	int rc = web_devpolicy_defaults(c, &dflt, msg, sizeof msg);

	if (rc == FGW_OK && !local)
		rc = devpolicy_for_device(store_catalog(c->app->store), &dflt, device, &p, msg,
					  sizeof msg);
	else
		p = dflt;
	if (rc != FGW_OK) {
		html_raw(h, "<div class=\"msg error\">The policy could not be read: ");
		html_text(h, msg);
		html_raw(h, "</div>");
		return;
	}
	memset(&o, 0, sizeof o);
	if (!local)
		own_settings(c, device, &o);
	rc = dialrules_check(&p.dial, local ? DIAL_FROM_LOCAL : DIAL_FROM_DEVICE, number, &d);
	decision_html(h, &d, rc);
	kv(h, "Origin", local ? "this web interface or the CLI (the number is typed twice)"
	   : "an office device line");
	policy_rows(h, &p, &o, !local);
	html_raw(h, "</tbody></table>");
}

void page_admin_dialrules(struct web_ctx *c)
{
	const char *number = http_form_get(&c->query, "number");
	const char *device = http_form_get(&c->query, "device");

	bool bad = device && *device && !devpolicy_name_ok(device);

	c->current = PAGE;
	if (bad)
		c->resp->status = 400;
	web_page_begin(c, "Dial rules");
	rules_html(c);
	test_form(c, number, bad ? NULL : device);
	if (bad)
		html_raw(c->resp->body, "<div class=\"msg error\">Dialled from: that is not a "
			 "device name; choose one from the list.</div>");
	else if (number && *number)
		test_result(c, number, device ? device : LOCAL_ORIGIN);
	html_raw(c->resp->body, "</section>");
	web_page_end(c);
}
