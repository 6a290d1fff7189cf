/* The mailboxes pages: the list of mailboxes a user may open, the PIN
 * form, unlock (the lockout of gateway/release.h, shared with the CLI)
 * and the held faxes of an unlocked mailbox with page previews.
 *
 * Who: an admin opens every mailbox; a mailbox owner only those whose
 * owner field is the account's name. Anyone else, or a mailbox that does
 * not exist, gets the same 404 so numbers cannot be probed.
 *
 * After a right PIN this session (only) keeps the mailbox unlocked for
 * UNLOCK_TTL_MS in server memory (web/unlock.h); nothing about it goes
 * into the catalog or a cookie. "Lock now" and logout forget it at once. */
#include <string.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/daemon.h"
#include "gateway/release.h"
#include "storage/store.h"
#include "web/mailbox_int.h"

/* ---- address and access ------------------------------------------------- */

/* Decodes a mailbox number segment: 0-9 and '*' as they are, '#' as %23. */
static int decode_number(const char *s, size_t len, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (ch == '%' && i + 2 < len && s[i + 1] == '2' && s[i + 2] == '3') {
			ch = '#';
			i += 2;
		} else if (ch == '%' && i + 2 < len && s[i + 1] == '2' &&
			   (s[i + 2] == 'A' || s[i + 2] == 'a')) {
			ch = '*';
			i += 2;
		} else if (!strchr("0123456789*", ch)) {
			return FGW_ERR_PARSE;
		}
		if (n + 1 >= size)
			return FGW_ERR_PARSE;
		out[n++] = ch;
	}
	out[n] = '\0';
	return n > 0 ? FGW_OK : FGW_ERR_PARSE;
}

static bool hex_id(const char *s, size_t len)
{
	return len >= 16 && len <= CATALOG_ID_MAX && strspn(s, "0123456789abcdef") >= len;
}

/* "P.png" with P 1..9999. */
static bool png_name(const char *s, size_t len, unsigned *page)
{
	long long v;
	char num[8];

	if (len < 5 || len - 4 >= sizeof num || strncmp(s + len - 4, ".png", 4) != 0)
		return false;
	memcpy(num, s, len - 4);
	num[len - 4] = '\0';
	if (strspn(num, "0123456789") != len - 4 || str_to_int(num, 1, 9999, &v) != FGW_OK)
		return false;
	*page = (unsigned)v;
	return true;
}

static int set_action(const char *s, size_t len, struct mb_path *out)
{
	if (len == 0 || len >= sizeof out->action || strspn(s, "abcdefghijklmnopqrstuvwxyz") < len)
		return FGW_ERR_PARSE;
	memcpy(out->action, s, len);
	out->action[len] = '\0';
	return FGW_OK;
}

int mb_path_parse(const char *path, struct mb_path *out)
{
	const char *p = path + strlen(MB_PREFIX), *seg[3];
	size_t len[3], n = 0;

	memset(out, 0, sizeof *out);
	if (strncmp(path, MB_PREFIX, strlen(MB_PREFIX)) != 0)
		return FGW_ERR_PARSE;
	while (n < 3) {
		seg[n] = p;
		len[n] = strcspn(p, "/");
		p += len[n++];
		if (*p == '\0')
			break;
		p++;
	}
	if (*p != '\0' || decode_number(seg[0], len[0], out->number, sizeof out->number) != 0)
		return FGW_ERR_PARSE;
	if (n == 1)
		return FGW_OK;
	if (n == 2)
		return set_action(seg[1], len[1], out);
	if (!hex_id(seg[1], len[1]))
		return FGW_ERR_PARSE;
	memcpy(out->doc, seg[1], len[1]);
	out->doc[len[1]] = '\0';
	if (png_name(seg[2], len[2], &out->page))
		return str_copy(out->action, sizeof out->action, "png");
	return set_action(seg[2], len[2], out);
}

void mb_url_number(struct html *h, const char *number)
{
	for (const char *p = number; *p; p++) {
		char one[2] = {*p, '\0'};
		html_raw(h, *p == '#' ? "%23" : strchr("0123456789*", *p) ? one : "");
	}
}

void mb_url(const char *number, const char *rest, char *out, size_t size)
{
	size_t n = strlen(MB_PREFIX);

	if (str_copy(out, size, MB_PREFIX) != FGW_OK)
		return;
	for (const char *p = number; *p && n + 4 < size; p++) {
		if (*p == '#') {
			memcpy(out + n, "%23", 3);
			n += 3;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	if (str_copy(out + n, size - n, rest) != FGW_OK)
		(void)str_copy(out, size, "/mailboxes");
}

bool mb_load(struct web_ctx *c, const char *number, struct catalog_mailbox *mb)
{
	int rc = catalog_mailbox_get(store_catalog(c->app->store), number, mb);

	if (rc == FGW_OK && (c->role == ROLE_ADMIN || strcmp(mb->owner, c->user.name) == 0)) {
		/* the sealed key is not needed by any page */
		OPENSSL_cleanse(mb->pin_verifier, sizeof mb->pin_verifier);
		return true;
	}
	OPENSSL_cleanse(mb, sizeof *mb);
	if (rc != FGW_OK && rc != FGW_ERR_NOT_FOUND)
		log_error("web: reading mailbox %s: %s", number, fgw_strerror(rc));
	web_error(c, rc == FGW_OK || rc == FGW_ERR_NOT_FOUND ? 404 : 500,
		  "There is no such mailbox, or your account may not open it.");
	return false;
}

bool mb_session_pin(struct web_ctx *c, const char *number, char *pin)
{
	if (unlock_get(c->app->unlocks, c->session_key, number, web_now_ms(), pin, NULL) ==
	    FGW_OK)
		return true;
	web_error(c, 403, "This mailbox is not unlocked in this session (or the unlock ran "
		  "out); open the mailbox and enter its PIN again.");
	return false;
}

void mb_audit(struct web_ctx *c, enum audit_event ev, const char *number, const char *what)
{
	char reason[256];

	if (str_format(reason, sizeof reason, "mailbox %s: %s (web)", number, what) != FGW_OK)
		(void)str_copy(reason, sizeof reason, "mailbox action (web)");
	web_audit(c, ev, c->user.name, reason);
}

/* The listing's mailbox_release record as release_audit_list writes it for
 * the CLI, with who asked and from where, as every web record has. */
static int audit_list(struct web_ctx *c, const char *number, long long count)
{
	const struct audit_field f[] = {
		AUDIT_F_STR("mailbox", number), AUDIT_F_STR("action", "list"),
		AUDIT_F_INT("documents", count), AUDIT_F_STR("user", c->user.name),
		AUDIT_F_STR("source", c->req->peer),
	};

	return audit_append_durable(store_audit(c->app->store), AUDIT_MAILBOX_RELEASE, f,
				    sizeof f / sizeof f[0], NULL);
}

/* ---- list of mailboxes -------------------------------------------------- */

struct list_walk {
	struct web_ctx *c;
	int shown;
};

static void list_row(struct web_ctx *c, const struct catalog_mailbox *mb, long long held,
		     bool locked)
{
	struct html *h = c->resp->body;

	html_raw(h, "<tr><td><a href=\"" MB_PREFIX);
	mb_url_number(h, mb->number);
	html_raw(h, "\">");
	html_text(h, mb->number);
	html_raw(h, "</a></td><td>");
	html_text(h, mb->name);
	html_raw(h, "</td><td>");
	html_text(h, mb->owner);
	html_raw(h, "</td><td class=\"num\">");
	html_int(h, held);
	html_raw(h, locked ? "</td><td>locked</td></tr>" : "</td><td></td></tr>");
}

static int list_fn(const struct catalog_mailbox *mb, void *arg)
{
	struct list_walk *w = arg;
	struct catalog_lockout lo;
	bool locked = false;

	if (w->c->role != ROLE_ADMIN && strcmp(mb->owner, w->c->user.name) != 0)
		return 0;
	(void)release_lock_state(w->c->app->store, mb->number, web_now_ms(), &lo, &locked);
	list_row(w->c, mb, release_held_count(w->c->app->store, mb->number), locked);
	w->shown++;
	return 0;
}

void page_mailboxes(struct web_ctx *c)
{
	struct html *h = c->resp->body;
	struct list_walk w = {.c = c};
	int rc;

	c->current = "/mailboxes";
	web_page_begin(c, "Mailboxes");
	html_raw(h, "<section class=\"card\"><table><thead><tr><th>Number (F-code)</th>"
		 "<th>Name</th><th>Owner</th><th>Faxes held</th><th></th></tr></thead><tbody>");
	rc = catalog_mailbox_list(store_catalog(c->app->store), list_fn, &w);
	html_raw(h, "</tbody></table>");
	if (rc != FGW_OK)
		html_raw(h, "<div class=\"msg error\">The list is incomplete: the catalog could "
			 "not be read; see the system log.</div>");
	else if (w.shown == 0)
		html_raw(h, "<p>No mailbox is yours. An administrator creates mailboxes and "
			 "names their owners.</p>");
	html_raw(h, "</section>");
	web_page_end(c);
}

/* ---- PIN form, lock page ------------------------------------------------ */

static void mailbox_head(struct web_ctx *c, const struct catalog_mailbox *mb)
{
	char title[CATALOG_NAME_MAX + CATALOG_NUMBER_MAX + 16];

	c->current = "/mailboxes";
	if (str_format(title, sizeof title, "Mailbox %s (%s)", mb->number, mb->name) != FGW_OK)
		(void)str_copy(title, sizeof title, "Mailbox");
	web_page_begin(c, title);
}

static void pin_form(struct web_ctx *c, const struct catalog_mailbox *mb, int status,
		     const char *err)
{
	struct html *h = c->resp->body;

	c->resp->status = status;
	mailbox_head(c, mb);
	if (err) {
		html_raw(h, "<div class=\"msg error\" role=\"alert\">");
		html_text(h, err);
		html_raw(h, "</div>");
	}
	html_raw(h, "<section class=\"card\"><form class=\"stack\" method=\"post\" action=\""
		 MB_PREFIX);
	mb_url_number(h, mb->number);
	html_raw(h, "/unlock\">");
	web_csrf_field(c);
	html_raw(h, "<label for=\"pin\">Mailbox PIN</label><input type=\"password\" id=\"pin\" "
		 "name=\"pin\" inputmode=\"numeric\" autocomplete=\"off\" required>"
		 "<p><button type=\"submit\">Unlock</button></p></form></section>");
	web_page_end(c);
}

static void locked_page(struct web_ctx *c, const struct catalog_mailbox *mb, int64_t until,
			const char *why)
{
	struct html *h = c->resp->body;
	char when[32];

	release_time_text(until, when);
	c->resp->status = 403;
	mailbox_head(c, mb);
	html_raw(h, "<div class=\"msg error\" role=\"alert\">");
	html_text(h, why);
	html_raw(h, " The mailbox is locked after too many wrong PINs until ");
	html_text(h, when);
	html_raw(h, " (UTC); try again then, or ask an administrator.</div>");
	web_page_end(c);
}

/* ---- unlocked view ------------------------------------------------------- */

struct doc_walk {
	struct web_ctx *c;
	const char *number;
	long long n;
};

static void doc_action(struct web_ctx *c, const char *number, const char *doc,
		       const char *action, const char *inner)
{
	struct html *h = c->resp->body;

	html_raw(h, "<form class=\"inline\" method=\"post\" action=\"" MB_PREFIX);
	mb_url_number(h, number);
	html_raw(h, "/");
	if (*doc) {
		html_raw(h, doc);   /* checked hex */
		html_raw(h, "/");
	}
	html_raw(h, action);
	html_raw(h, "\">");
	web_csrf_field(c);
	html_raw(h, inner);
	html_raw(h, "</form> ");
}

static void doc_previews(struct web_ctx *c, const char *number, const struct catalog_document *d)
{
	struct html *h = c->resp->body;

	html_raw(h, "<div class=\"previews\">");
	for (uint32_t p = 1; p <= d->pages && p <= 50; p++) {
		html_raw(h, "<img alt=\"page ");
		html_int(h, p);
		html_raw(h, "\" width=\"430\" src=\"" MB_PREFIX);
		mb_url_number(h, number);
		html_raw(h, "/");
		html_raw(h, d->id);
		html_raw(h, "/");
		html_int(h, p);
		html_raw(h, ".png\">");
	}
	html_raw(h, "</div>");
}

static int doc_fn(const struct catalog_document *d, void *arg)
{
	struct doc_walk *w = arg;
	struct html *h = w->c->resp->body;
	char when[32];

	if (!hex_id(d->id, strlen(d->id)))
		return 0;
	release_time_text(d->created_ms, when);
	html_raw(h, "<article class=\"card fax\"><h2>Fax received ");
	html_text(h, when);
	html_raw(h, "</h2><p>From ");
	html_text(h, d->remote_number[0] ? d->remote_number : "(unknown number)");
	html_raw(h, " ");
	html_text(h, d->remote_ident);
	html_raw(h, " &middot; ");
	html_int(h, d->pages);
	html_raw(h, " page(s) &middot; id ");
	html_text(h, d->id);
	html_raw(h, "</p>");
	doc_previews(w->c, w->number, d);
	doc_action(w->c, w->number, d->id, "download", "<input type=\"hidden\" name=\"format\" "
		   "value=\"tiff\"><label><input type=\"checkbox\" name=\"erase\" value=\"1\" "
		   "checked> erase after download</label> <button type=\"submit\">Download "
		   "TIFF</button>");
	doc_action(w->c, w->number, d->id, "download", "<input type=\"hidden\" name=\"format\" "
		   "value=\"pdf\"><label><input type=\"checkbox\" name=\"erase\" value=\"1\" "
		   "checked> erase after download</label> <button type=\"submit\">Download "
		   "PDF</button>");
	doc_action(w->c, w->number, d->id, "print", "<label><input type=\"checkbox\" "
		   "name=\"erase\" value=\"1\" checked> erase after printing</label> "
		   "<button type=\"submit\">Print on the office machine</button>");
	html_raw(h, "<a class=\"button danger\" href=\"" MB_PREFIX);
	mb_url_number(h, w->number);
	html_raw(h, "/");
	html_raw(h, d->id);
	html_raw(h, "/erase\">Erase&hellip;</a></article>");
	w->n++;
	return 0;
}

static void unlocked_view(struct web_ctx *c, const struct catalog_mailbox *mb,
			  int64_t expires)
{
	struct html *h = c->resp->body;
	struct doc_walk w = {.c = c, .number = mb->number};
	char when[32];
	int rc;

	release_time_text(expires, when);
	mailbox_head(c, mb);
	html_raw(h, "<p>Unlocked in this session until ");
	html_text(h, when);
	html_raw(h, " (UTC). \"Erase after download\" erases the fax once it has been sent to "
		 "your browser, unless the mailbox keeps released faxes for its retention time; "
		 "untick it if you are not sure the download will arrive.</p>");
	doc_action(c, mb->number, "", "lock", "<button type=\"submit\">Lock now</button>");
	rc = release_list(c->app->store, mb->number, doc_fn, &w);
	if (rc != FGW_OK)
		html_raw(h, "<div class=\"msg error\">The list is incomplete: the catalog could "
			 "not be read; see the system log.</div>");
	else if (w.n == 0)
		html_raw(h, "<p>This mailbox holds no faxes.</p>");
	if (audit_list(c, mb->number, w.n) != FGW_OK)
		log_error("web: cannot record the listing of mailbox %s", mb->number);
	web_page_end(c);
}

static void mailbox_page(struct web_ctx *c, const struct catalog_mailbox *mb)
{
	char pin[UNLOCK_PIN_MAX + 1];
	struct catalog_lockout lo;
	int64_t expires;
	bool locked = false;

	if (unlock_get(c->app->unlocks, c->session_key, mb->number, web_now_ms(), pin,
		       &expires) == FGW_OK) {
		OPENSSL_cleanse(pin, sizeof pin);
		unlocked_view(c, mb, expires);
		return;
	}
	if (release_lock_state(c->app->store, mb->number, web_now_ms(), &lo, &locked) == FGW_OK &&
	    locked)
		locked_page(c, mb, lo.locked_until_ms, "");
	else
		pin_form(c, mb, 200, NULL);
}

/* ---- unlock / lock ------------------------------------------------------- */

static void policy(struct web_ctx *c, struct release_policy *p)
{
	release_policy_init(c->app->daemon ? daemon_config(c->app->daemon) : NULL, p);
}

static void unlock_failed(struct web_ctx *c, const struct catalog_mailbox *mb, int rc,
			  const struct release_lock_info *info)
{
	struct release_policy p;
	char msg[160];

	policy(c, &p);
	if (rc == FGW_ERR_LOCKED) {
		mb_audit(c, AUDIT_SECURITY, mb->number, "PIN attempt while locked");
		locked_page(c, mb, info->locked_until_ms, "");
	} else if (rc == FGW_ERR_BAD_PIN && info->locked_until_ms != 0) {
		mb_audit(c, AUDIT_SECURITY, mb->number, "wrong PIN; mailbox locked");
		locked_page(c, mb, info->locked_until_ms, "Wrong PIN.");
	} else if (rc == FGW_ERR_BAD_PIN) {
		mb_audit(c, AUDIT_SECURITY, mb->number, "wrong PIN");
		if (str_format(msg, sizeof msg, "Wrong PIN (%u wrong in a row; the mailbox locks "
			       "after %u).", info->failures, p.max_failures) != FGW_OK)
			(void)str_copy(msg, sizeof msg, "Wrong PIN.");
		pin_form(c, mb, 401, msg);
	} else if (rc == FGW_ERR_INVALID) {
		web_error(c, 409, "This mailbox has no PIN yet; an administrator sets one.");
	} else {
		log_error("web: unlocking mailbox %s: %s", mb->number, fgw_strerror(rc));
		web_error(c, 500, "The mailbox could not be opened; see the system log.");
	}
}

static void do_unlock(struct web_ctx *c, const struct catalog_mailbox *mb)
{
	const char *pin = http_form_get(&c->form, "pin");
	const struct release_actor who = {c->user.name, c->req->peer};
	struct release_lock_info info = {0};
	struct release_policy p;
	char where[160];
	int rc;

	policy(c, &p);
	if (!pin || !*pin) {
		pin_form(c, mb, 400, "Enter the mailbox PIN.");
		return;
	}
	/* an over-long or non-digit PIN is a wrong PIN: it is counted too */
	rc = release_unlock_as(c->app->store, &p, mb->number,
			       strlen(pin) <= RELEASE_PIN_MAX ? pin : "x", web_now_ms(), &who, &info);
	if (rc == FGW_OK)
		rc = unlock_put(c->app->unlocks, c->session_key, mb->number, pin, web_now_ms());
	if (rc != FGW_OK) {
		unlock_failed(c, mb, rc, &info);
		return;
	}
	mb_audit(c, AUDIT_SECURITY, mb->number, "unlocked");
	mb_url(mb->number, "", where, sizeof where);
	web_redirect(c, where);
}

static void do_lock(struct web_ctx *c, const struct catalog_mailbox *mb)
{
	unlock_forget(c->app->unlocks, c->session_key, mb->number);
	mb_audit(c, AUDIT_SECURITY, mb->number, "locked again by the user");
	web_redirect(c, "/mailboxes");
}

/* ---- dispatch ------------------------------------------------------------ */

void page_mailbox_get(struct web_ctx *c)
{
	struct catalog_mailbox mb;
	struct mb_path p;

	if (mb_path_parse(c->req->path, &p) != FGW_OK) {
		web_error(c, 404, "There is no such page.");
		return;
	}
	if (!mb_load(c, p.number, &mb))
		return;
	if (!p.doc[0] && !p.action[0])
		mailbox_page(c, &mb);
	else if (strcmp(p.action, "png") == 0)
		mb_doc_preview(c, &p);
	else if (strcmp(p.action, "erase") == 0)
		mb_doc_erase_form(c, &p);
	else
		web_error(c, 404, "There is no such page.");
	OPENSSL_cleanse(&mb, sizeof mb);
}

void page_mailbox_post(struct web_ctx *c)
{
	struct catalog_mailbox mb;
	struct mb_path p;

	if (mb_path_parse(c->req->path, &p) != FGW_OK) {
		web_error(c, 404, "There is no such page.");
		return;
	}
	if (!mb_load(c, p.number, &mb))
		return;
	if (!p.doc[0] && strcmp(p.action, "unlock") == 0)
		do_unlock(c, &mb);
	else if (!p.doc[0] && strcmp(p.action, "lock") == 0)
		do_lock(c, &mb);
	else if (p.doc[0] && strcmp(p.action, "download") == 0)
		mb_doc_download(c, &p);
	else if (p.doc[0] && strcmp(p.action, "print") == 0)
		mb_doc_print(c, &p);
	else if (p.doc[0] && strcmp(p.action, "erase") == 0)
		mb_doc_erase(c, &p);
	else
		web_error(c, 404, "There is no such page.");
	OPENSSL_cleanse(&mb, sizeof mb);
}
