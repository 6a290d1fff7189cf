/* /admin/mailboxes (admin only, see app.c routes): the confidential
 * mailboxes with their F-code, owner, held faxes, retention, F-code
 * password and lockout; create, change, PIN change or reset, unlock,
 * delete. The work is gateway/admin.h's, shared with faxgw mailbox; every
 * change is a config_change record with the admin and the source address.
 *
 * What a PIN "reset" can be: the PIN seals the mailbox key, and nothing
 * else (no admin key, no escrow) can unseal it. So a new PIN keeps the
 * held faxes only when the current PIN is given (it goes through the PIN
 * lockout like a release); without it the held faxes are erased with
 * certificates, as faxgw mailbox set-pin --force-reset does. The page says
 * so before the admin chooses. */
#include <string.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/admin.h"
#include "gateway/daemon.h"
#include "gateway/release.h"
#include "storage/catalog_users.h"
#include "storage/store.h"
#include "storage/store_mailbox.h"
#include "web/mailbox_int.h"
#include "web/web_int.h"

#define PAGE "/admin/mailboxes"

struct mbx_view {
	struct admin_mailbox_row *rows;
	size_t n;
	const char *focus;   /* number whose manage forms are shown, or NULL */
};

static struct admin_actor actor(const struct web_ctx *c)
{
	return (struct admin_actor){.user = c->user.name, .source = c->req->peer};
}

void web_admin_message(struct html *h, const char *kind, const char *msg)
{
	if (!msg)
		return;
	html_raw(h, "<div class=\"msg ");
	html_raw(h, kind);
	html_raw(h, "\" role=\"alert\">");
	html_text(h, msg);
	html_raw(h, "</div>");
}

/* ---- the list ----------------------------------------------------------- */

static void retention_cell(struct html *h, uint32_t days)
{
	if (days == 0) {
		html_raw(h, "erase at release");
		return;
	}
	html_int(h, days);
	html_raw(h, days == 1 ? " day" : " days");
}

static void lock_cell(struct html *h, const struct admin_mailbox_row *m)
{
	char until[32];

	if (m->locked) {
		release_time_text(m->lock.locked_until_ms, until);
		html_raw(h, "<strong>locked</strong> until ");
		html_text(h, until);
	} else if (m->lock.failures > 0) {
		html_int(h, m->lock.failures);
		html_raw(h, " wrong PIN(s)");
	} else {
		html_raw(h, "no");
	}
}

static void row_html(struct html *h, const struct admin_mailbox_row *m)
{
	html_raw(h, "<tr><td>");
	html_text(h, m->mb.number);
	html_raw(h, "</td><td>");
	html_text(h, m->mb.name);
	html_raw(h, "</td><td>");
	html_text(h, m->mb.owner[0] ? m->mb.owner : "-");
	html_raw(h, "</td><td class=\"num\">");
	html_int(h, m->held);
	html_raw(h, "</td><td>");
	retention_cell(h, m->mb.retention_days);
	html_raw(h, "</td><td>");
	html_raw(h, store_mailbox_has_password(&m->mb) ? "set" : "none");
	html_raw(h, "</td><td>");
	lock_cell(h, m);
	html_raw(h, "</td><td><a href=\"" PAGE "?number=");
	mb_url_number(h, m->mb.number);
	html_raw(h, "#manage\">Manage</a></td></tr>");
}

static void list_html(struct html *h, const struct mbx_view *v)
{
	html_raw(h, "<section class=\"card\"><table><thead><tr><th>F-code (SUB)</th>"
		 "<th>Name</th><th>Owner</th><th>Held faxes</th><th>Retention after release"
		 "</th><th>F-code password</th><th>PIN lockout</th><th></th></tr></thead><tbody>");
	for (size_t i = 0; i < v->n; i++)
		row_html(h, &v->rows[i]);
	if (v->n == 0)
		html_raw(h, "<tr><td colspan=\"8\">No mailboxes yet.</td></tr>");
	html_raw(h, "</tbody></table></section>");
}

/* ---- form parts --------------------------------------------------------- */

struct owner_opts {
	struct html *h;
	const char *current;
	bool seen;
};

static int owner_option(const struct catalog_user *u, void *arg)
{
	struct owner_opts *o = arg;
	bool sel = o->current && strcmp(o->current, u->name) == 0;

	if (strcmp(u->role, "owner") != 0 && !sel)
		return 0;
	o->seen |= sel;
	html_raw(o->h, sel ? "<option selected value=\"" : "<option value=\"");
	html_text(o->h, u->name);
	html_raw(o->h, "\">");
	html_text(o->h, u->name);
	html_raw(o->h, strcmp(u->role, "owner") == 0 ? "</option>" : " (not an owner)</option>");
	return 0;
}

/* A select of the accounts with role owner (plus the current owner). */
static void owner_select(struct web_ctx *c, const char *id, const char *current)
{
	struct html *h = c->resp->body;
	struct owner_opts o = {.h = h, .current = current && *current ? current : NULL};

	html_raw(h, "<select id=\"");
	html_raw(h, id);
	html_raw(h, "\" name=\"owner\"><option value=\"\">(none: admins only)</option>");
	(void)catalog_user_list(store_catalog(c->app->store), owner_option, &o);
	if (o.current && !o.seen) {
		/* set from the CLI to a name without an account */
		html_raw(h, "<option selected value=\"");
		html_text(h, o.current);
		html_raw(h, "\">");
		html_text(h, o.current);
		html_raw(h, " (no such user)</option>");
	}
	html_raw(h, "</select>");
}

static void hidden_number(struct html *h, const char *number)
{
	html_raw(h, "<input type=\"hidden\" name=\"number\" value=\"");
	html_text(h, number);
	html_raw(h, "\">");
}

static void pin_inputs(struct html *h, const char *prefix)
{
	html_raw(h, "<label for=\"");
	html_raw(h, prefix);
	html_raw(h, "pin\">New PIN (4 to 16 digits)</label><input type=\"password\" id=\"");
	html_raw(h, prefix);
	html_raw(h, "pin\" name=\"pin\" inputmode=\"numeric\" pattern=\"[0-9]{4,16}\" "
		 "autocomplete=\"new-password\" required><label for=\"");
	html_raw(h, prefix);
	html_raw(h, "pin2\">New PIN again</label><input type=\"password\" id=\"");
	html_raw(h, prefix);
	html_raw(h, "pin2\" name=\"pin2\" inputmode=\"numeric\" pattern=\"[0-9]{4,16}\" "
		 "autocomplete=\"new-password\" required>");
}

static void create_html(struct web_ctx *c)
{
	struct html *h = c->resp->body;

	html_raw(h, "<section class=\"card\"><h2>New mailbox</h2><form class=\"stack\" "
		 "method=\"post\" action=\"" PAGE "/create\">");
	web_csrf_field(c);
	html_raw(h, "<label for=\"number\">F-code (the T.30 SUB senders dial: 1 to 20 of 0-9 "
		 "* #)</label><input type=\"text\" id=\"number\" name=\"number\" maxlength=\"20\" "
		 "autocomplete=\"off\" required><label for=\"name\">Name</label><input "
		 "type=\"text\" id=\"name\" name=\"name\" maxlength=\"128\" required><label "
		 "for=\"owner\">Owner (may open it on the Mailboxes page)</label>");
	owner_select(c, "owner", NULL);
	html_raw(h, "<label for=\"retention\">Days to keep a fax after its release (0: erase "
		 "at release)</label><input type=\"number\" id=\"retention\" name=\"retention\" "
		 "min=\"0\" max=\"36500\" value=\"0\"><label for=\"password\">F-code password the "
		 "sender must give (SID/PWD; optional, up to 20 characters)</label><input "
		 "type=\"password\" id=\"password\" name=\"password\" maxlength=\"20\" "
		 "autocomplete=\"new-password\">");
	pin_inputs(h, "new");
	html_raw(h, "<p class=\"muted\">Give the PIN to the mailbox's owner. It seals the "
		 "mailbox key: it is not stored and cannot be shown again, and without it nobody, "
		 "administrators included, can open the faxes held there.</p><p><button "
		 "type=\"submit\">Create mailbox</button></p></form></section>");
}

/* ---- manage one --------------------------------------------------------- */

static void details_form(struct web_ctx *c, const struct admin_mailbox_row *m)
{
	struct html *h = c->resp->body;

	html_raw(h, "<h3>Details</h3><form class=\"stack\" method=\"post\" action=\"" PAGE
		 "/update\">");
	web_csrf_field(c);
	hidden_number(h, m->mb.number);
	html_raw(h, "<label for=\"ename\">Name</label><input type=\"text\" id=\"ename\" "
		 "name=\"name\" maxlength=\"128\" required value=\"");
	html_text(h, m->mb.name);
	html_raw(h, "\"><label for=\"eowner\">Owner</label>");
	owner_select(c, "eowner", m->mb.owner);
	html_raw(h, "<label for=\"eretention\">Days to keep a fax after its release</label>"
		 "<input type=\"number\" id=\"eretention\" name=\"retention\" min=\"0\" "
		 "max=\"36500\" value=\"");
	html_int(h, m->mb.retention_days);
	html_raw(h, "\"><label for=\"epwd\">F-code password (now ");
	html_raw(h, store_mailbox_has_password(&m->mb) ? "set" : "none");
	html_raw(h, ")</label><select id=\"epwd\" name=\"pwd_action\"><option value=\"keep\">"
		 "keep as it is</option><option value=\"set\">set to the one below</option>"
		 "<option value=\"clear\">remove (any sender may deliver)</option></select>"
		 "<input type=\"password\" name=\"password\" maxlength=\"20\" "
		 "autocomplete=\"new-password\" aria-label=\"new F-code password\">"
		 "<p><button type=\"submit\">Save details</button></p></form>");
}

static void pin_form(struct web_ctx *c, const struct admin_mailbox_row *m)
{
	struct html *h = c->resp->body;

	html_raw(h, "<h3>PIN</h3><p>The PIN seals this mailbox's key. With the current PIN "
		 "the held faxes stay readable under the new one (a wrong current PIN counts "
		 "toward the lockout, as on release). Without it the old key cannot be "
		 "recovered by anyone, so a reset <strong>erases the ");
	html_int(h, m->held);
	html_raw(h, " fax(es) held</strong> (each with an erasure certificate) before the new "
		 "PIN applies.</p><form class=\"stack\" method=\"post\" action=\"" PAGE "/pin\">");
	web_csrf_field(c);
	hidden_number(h, m->mb.number);
	html_raw(h, "<label for=\"oldpin\">Current PIN (leave empty to reset without it)"
		 "</label><input type=\"password\" id=\"oldpin\" name=\"old_pin\" "
		 "inputmode=\"numeric\" autocomplete=\"off\">");
	pin_inputs(h, "e");
	if (m->held > 0)
		html_raw(h, "<label><input type=\"checkbox\" name=\"erase\" value=\"yes\"> "
			 "Without the current PIN: erase the held faxes</label>");
	html_raw(h, "<p><button type=\"submit\">Set PIN</button></p></form>");
}

static void unlock_delete_forms(struct web_ctx *c, const struct admin_mailbox_row *m)
{
	struct html *h = c->resp->body;

	if (m->locked || m->lock.failures > 0) {
		html_raw(h, "<h3>Lockout</h3><form method=\"post\" action=\"" PAGE "/unlock\">");
		web_csrf_field(c);
		hidden_number(h, m->mb.number);
		html_raw(h, "<button type=\"submit\">Unlock (clear the wrong-PIN count)</button>"
			 "</form>");
	}
	html_raw(h, "<h3>Delete</h3><form method=\"post\" action=\"" PAGE "/delete\">");
	web_csrf_field(c);
	hidden_number(h, m->mb.number);
	if (m->held > 0)
		html_raw(h, "<label><input type=\"checkbox\" name=\"erase_held\" value=\"yes\"> "
			 "erase the held faxes too</label> ");
	html_raw(h, "<label><input type=\"checkbox\" name=\"confirm\" value=\"yes\" required> "
		 "sure</label> <button class=\"danger\" type=\"submit\">Delete mailbox</button>"
		 "</form>");
}

static void manage_html(struct web_ctx *c, const struct mbx_view *v)
{
	struct html *h = c->resp->body;

	for (size_t i = 0; v->focus && i < v->n; i++) {
		const struct admin_mailbox_row *m = &v->rows[i];

		if (strcmp(m->mb.number, v->focus) != 0)
			continue;
		html_raw(h, "<section class=\"card\" id=\"manage\"><h2>Mailbox ");
		html_text(h, m->mb.number);
		html_raw(h, " (");
		html_text(h, m->mb.name);
		html_raw(h, ")</h2>");
		details_form(c, m);
		pin_form(c, m);
		unlock_delete_forms(c, m);
		html_raw(h, "</section>");
	}
}

/* The page, with a message (kind "ok"/"error", msg NULL: none) and the
 * manage forms of focus (NULL: none). */
static void mbx_page(struct web_ctx *c, int status, const char *kind, const char *msg,
		     const char *focus)
{
	struct html *h = c->resp->body;
	struct mbx_view v = {.focus = focus};
	int rc = admin_mailbox_list(c->app->store, web_now_ms(), &v.rows, &v.n);

	c->resp->status = status;
	c->current = PAGE;
	web_page_begin(c, "Mailboxes (admin)");
	web_admin_message(h, kind, msg);
	if (rc != FGW_OK)
		web_admin_message(h, "error", "The mailboxes could not be read; see the "
				  "system log.");
	html_raw(h, "<p>Confidential (F-code) mailboxes. Faxes held in them are opened with "
		 "the PIN on the <a href=\"/mailboxes\">Mailboxes</a> page.</p>");
	list_html(h, &v);
	manage_html(c, &v);
	create_html(c);
	web_page_end(c);
	admin_mailbox_rows_free(v.rows, v.n);
}

void page_admin_mailboxes(struct web_ctx *c)
{
	const char *n = http_form_get(&c->query, "number");

	mbx_page(c, 200, NULL, NULL, n && admin_mailbox_number_ok(n) ? n : NULL);
}

/* ---- actions ------------------------------------------------------------ */

/* The number field of a form, when it names a mailbox; else answers 404.
 * owner (may be NULL, CATALOG_NAME_MAX + 1 bytes) gets its owner. */
static const char *form_mailbox(struct web_ctx *c, char *owner)
{
	const char *n = http_form_get(&c->form, "number");
	struct catalog_mailbox mb;
	int rc = n && admin_mailbox_number_ok(n)
		 ? catalog_mailbox_get(store_catalog(c->app->store), n, &mb) : FGW_ERR_NOT_FOUND;

	if (rc == FGW_OK && owner)
		memcpy(owner, mb.owner, sizeof mb.owner);
	OPENSSL_cleanse(&mb, sizeof mb);
	if (rc == FGW_OK)
		return n;
	mbx_page(c, 404, "error", "There is no such mailbox.", NULL);
	return NULL;
}

/* The owner field: "" or an existing account; answers 400 otherwise. */
static bool owner_ok(struct web_ctx *c, const char *owner, const char *focus)
{
	struct catalog_user u;
	int rc;

	if (!owner || !*owner)
		return true;
	rc = catalog_user_get(store_catalog(c->app->store), owner, &u);
	OPENSSL_cleanse(&u, sizeof u);
	if (rc == FGW_OK)
		return true;
	mbx_page(c, 400, "error", "Owner: there is no user of that name (create the account "
		 "on the Users page first).", focus);
	return false;
}

/* The retention field (absent or empty: dflt); answers 400 otherwise. */
static bool retention_ok(struct web_ctx *c, const char *focus, long long dflt,
			 long long *days)
{
	const char *v = http_form_get(&c->form, "retention");

	*days = dflt;
	if (!v || !*v || str_to_int(v, 0, ADMIN_RETENTION_MAX, days) == FGW_OK)
		return true;
	mbx_page(c, 400, "error", "Retention: give 0 to 36500 days.", focus);
	return false;
}

/* pin and pin2 equal; answers 400 otherwise. */
static bool pins_ok(struct web_ctx *c, const char *focus, const char **pin)
{
	const char *p1 = http_form_get(&c->form, "pin");
	const char *p2 = http_form_get(&c->form, "pin2");

	if (!p1 || !p2 || strcmp(p1, p2) != 0) {
		mbx_page(c, 400, "error", "PIN: the two entries differ; nothing was changed.",
			 focus);
		return false;
	}
	*pin = p1;
	return true;
}

static void said(struct web_ctx *c, int rc, const char *msg, const char *focus,
		 const char *ok)
{
	char text[300];

	if (rc == FGW_OK) {
		mbx_page(c, 200, "ok", ok, focus);
		return;
	}
	if (msg && *msg)
		(void)str_format(text, sizeof text, "Nothing was changed: %s.", msg);
	else
		(void)str_format(text, sizeof text, "Nothing was changed: %s; see the system "
				 "log.", fgw_strerror(rc));
	mbx_page(c, rc == FGW_ERR_INVALID ? 400 : rc == FGW_ERR_EXISTS ? 409 : 500, "error",
		 text, focus);
}

void page_admin_mailbox_create(struct web_ctx *c)
{
	struct admin_actor who = actor(c);
	struct admin_mailbox_new n = {
		.number = http_form_get(&c->form, "number"),
		.name = http_form_get(&c->form, "name"),
		.owner = http_form_get(&c->form, "owner"),
		.password = http_form_get(&c->form, "password"),
	};
	long long days;
	char msg[200];
	int rc;

	if (!owner_ok(c, n.owner, NULL) || !retention_ok(c, NULL, 0, &days) ||
	    !pins_ok(c, NULL, &n.pin))
		return;
	n.retention_days = (uint32_t)days;
	rc = admin_mailbox_create(c->app->store, &n, &who, msg, sizeof msg);
	said(c, rc, msg, rc == FGW_OK ? n.number : NULL, "Mailbox created. Give its PIN to the "
	     "owner; it cannot be shown again.");
}

void page_admin_mailbox_update(struct web_ctx *c)
{
	char owner[CATALOG_NAME_MAX + 1];
	const char *number = form_mailbox(c, owner);
	const char *act = http_form_get(&c->form, "pwd_action");
	struct admin_actor who = actor(c);
	struct admin_mailbox_change ch = {.number = number};
	char msg[200];

	if (!number)
		return;
	ch.name = http_form_get(&c->form, "name");
	ch.owner = http_form_get(&c->form, "owner");
	/* an owner the CLI set without an account may stay as it is */
	if (ch.owner && strcmp(ch.owner, owner) == 0)
		ch.owner = NULL;
	if (!owner_ok(c, ch.owner, number) || !retention_ok(c, number, -1, &ch.retention_days))
		return;
	if (act && strcmp(act, "set") == 0) {
		ch.password = http_form_get(&c->form, "password");
		if (!ch.password || !*ch.password) {
			mbx_page(c, 400, "error", "F-code password: type the new one, or choose "
				 "\"remove\".", number);
			return;
		}
	} else if (act && strcmp(act, "clear") == 0) {
		ch.password = "";
	}
	said(c, admin_mailbox_update(c->app->store, &ch, &who, msg, sizeof msg), msg, number,
	     "Mailbox details saved.");
}

static void pin_refused(struct web_ctx *c, int rc, const struct release_lock_info *info,
			const char *number)
{
	char text[300], until[32];

	release_time_text(info->locked_until_ms, until);
	if (rc == FGW_ERR_LOCKED || (rc == FGW_ERR_BAD_PIN && info->locked_until_ms != 0))
		(void)str_format(text, sizeof text, "Current PIN: %sthe mailbox is locked after "
				 "too many wrong PINs until %s. Unlock it, or reset without the "
				 "current PIN.", rc == FGW_ERR_BAD_PIN ? "wrong; " : "", until);
	else
		(void)str_format(text, sizeof text, "Current PIN: wrong (%u wrong in a row). "
				 "Nothing was changed.", info->failures);
	mbx_page(c, 403, "error", text, number);
}

static void change_pin(struct web_ctx *c, const char *number, const char *old,
		       const char *pin)
{
	const struct config *cfg = c->app->daemon ? daemon_config(c->app->daemon) : NULL;
	struct release_lock_info info = {0};
	struct admin_actor who = actor(c);
	struct release_policy p;
	char msg[200];
	int rc;

	release_policy_init(cfg, &p);
	rc = admin_mailbox_change_pin(c->app->store, &p, number, old, pin, &who, &info, msg,
				      sizeof msg);
	if (rc == FGW_ERR_BAD_PIN || rc == FGW_ERR_LOCKED)
		pin_refused(c, rc, &info, number);
	else
		said(c, rc, msg, number, "PIN changed; the held faxes stay readable with the "
		     "new PIN.");
}

static void reset_pin(struct web_ctx *c, const char *number, const char *pin)
{
	const char *erase = http_form_get(&c->form, "erase");
	long long held = release_held_count(c->app->store, number);
	struct admin_actor who = actor(c);
	uint64_t erased = 0;
	char msg[200], ok[200];
	int rc;

	if (held != 0 && (!erase || strcmp(erase, "yes") != 0)) {
		mbx_page(c, 400, "error", "Without the current PIN the held faxes cannot be kept: "
			 "tick \"erase the held faxes\", or give the current PIN.", number);
		return;
	}
	rc = admin_mailbox_reset_pin(c->app->store, number, pin, &who, &erased, msg,
				     sizeof msg);
	(void)str_format(ok, sizeof ok, "PIN reset; %llu held fax(es) erased with "
			 "certificates.", (unsigned long long)erased);
	said(c, rc, msg, number, ok);
}

void page_admin_mailbox_pin(struct web_ctx *c)
{
	const char *number = form_mailbox(c, NULL);
	const char *old = number ? http_form_get(&c->form, "old_pin") : NULL;
	const char *pin;

	if (!number || !pins_ok(c, number, &pin))
		return;
	if (old && *old)
		change_pin(c, number, old, pin);
	else
		reset_pin(c, number, pin);
}

void page_admin_mailbox_unlock(struct web_ctx *c)
{
	const char *number = form_mailbox(c, NULL);
	struct admin_actor who = actor(c);

	if (number)
		said(c, admin_mailbox_unlock(c->app->store, number, &who), NULL, number,
		     "Mailbox unlocked; the wrong-PIN count starts again from zero.");
}

void page_admin_mailbox_delete(struct web_ctx *c)
{
	const char *number = form_mailbox(c, NULL);
	const char *confirm = http_form_get(&c->form, "confirm");
	const char *erase = http_form_get(&c->form, "erase_held");
	struct admin_actor who = actor(c);
	int rc;

	if (!number)
		return;
	if (!confirm || strcmp(confirm, "yes") != 0) {
		mbx_page(c, 400, "error", "Tick \"sure\" to delete a mailbox.", number);
		return;
	}
	rc = admin_mailbox_delete(c->app->store, number, erase && strcmp(erase, "yes") == 0,
				  &who, NULL);
	if (rc == FGW_ERR_DENIED)
		mbx_page(c, 409, "error", "The mailbox still holds faxes: release them first, or "
			 "tick \"erase the held faxes too\".", number);
	else
		said(c, rc, NULL, NULL, "Mailbox deleted.");
}
