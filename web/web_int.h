/* Private to the web module: the per-request context, roles, page helpers. */
#ifndef FAXGW_WEB_WEB_INT_H
#define FAXGW_WEB_WEB_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/audit.h"
#include "storage/catalog.h"
#include "web/auth.h"
#include "web/html.h"
#include "web/http_parse.h"
#include "web/web.h"

enum {
	ROLE_ADMIN = 1,
	ROLE_OPERATOR = 2,
	ROLE_AUDITOR = 4,
	ROLE_OWNER = 8,
	ROLE_ANY = 15,
};

struct web_app {
	struct web_settings set;
	struct store *store;
	struct daemon *daemon;
	struct send_store *sends;    /* documents waiting for Confirm (send.c) */
	struct unlock_store *unlocks;  /* web/unlock.h: unlocked mailboxes */
};

struct web_ctx {
	struct web_app *app;
	const struct web_request *req;
	struct web_response *resp;
	struct http_form form;     /* POST body (urlencoded) */
	struct http_form query;
	bool logged_in;
	struct catalog_user user;
	int role;                  /* ROLE_* of user */
	char session_key[AUTH_TOKEN_HEX + 1];
	char csrf[AUTH_TOKEN_HEX + 1];
	const char *current;       /* nav entry to highlight */
	bool has_upload;           /* multipart body of an upload route */
	struct http_multipart upload;
	char upload_csrf[AUTH_TOKEN_HEX + 1];
};

/* ROLE_* for a role name, 0 when unknown. */
int web_role_bit(const char *role);

void web_set_header(struct web_ctx *c, const char *name, const char *value);
void web_redirect(struct web_ctx *c, const char *where);
/* An error page with status and a message (escaped). */
void web_error(struct web_ctx *c, int status, const char *msg);
/* Page frame with the nav the role may see; end closes it. */
void web_page_begin(struct web_ctx *c, const char *title);
void web_page_end(struct web_ctx *c);
/* The hidden CSRF field of a form. */
void web_csrf_field(struct web_ctx *c);
/* Appends an audit record (durable) with the source address. */
void web_audit(struct web_ctx *c, enum audit_event event, const char *user, const char *reason);
int64_t web_now_ms(void);

/* Pages (pages.c, logs.c). */
void page_root(struct web_ctx *c);
void page_css(struct web_ctx *c);
void page_setup_form(struct web_ctx *c);
void page_setup_post(struct web_ctx *c);
void page_login_form(struct web_ctx *c);
void page_login_post(struct web_ctx *c);
void page_logout(struct web_ctx *c);
void page_dashboard(struct web_ctx *c);
void page_logs(struct web_ctx *c);
void page_logs_csv(struct web_ctx *c);
void page_logs_verify(struct web_ctx *c);

/* Mailboxes (mailbox.c, mailbox_doc.c): list, PIN, unlocked view. */
void page_mailboxes(struct web_ctx *c);
void page_mailbox_get(struct web_ctx *c);
void page_mailbox_post(struct web_ctx *c);

/* Send and jobs (send.c, jobs.c). The send store holds converted
 * documents until Confirm; web_queue_config reads [queue]/[dialing]. */
struct send_store;
struct queue_config;
struct send_store *send_store_new(void);
void send_store_free(struct send_store *s);
/* Wipes what session (its key) left waiting: at logout. */
void send_store_forget(struct send_store *s, const char *session);
int web_queue_config(struct web_ctx *c, struct queue_config *qc);
void page_send_js(struct web_ctx *c);
void page_send_form(struct web_ctx *c);
void page_send_post(struct web_ctx *c);
void page_send_preview(struct web_ctx *c);
void page_send_confirm(struct web_ctx *c);
void page_send_cancel(struct web_ctx *c);
void page_jobs(struct web_ctx *c);
void page_jobs_cancel(struct web_ctx *c);

/* Admin pages (admin.c, admin_users.c). */
void page_admin_users(struct web_ctx *c);
void page_admin_user_create(struct web_ctx *c);
void page_admin_user_reset(struct web_ctx *c);
void page_admin_user_delete(struct web_ctx *c);
void page_admin_config(struct web_ctx *c);
void page_admin_wipe(struct web_ctx *c);

/* Admin: mailboxes, devices, dial rules (admin_mailboxes.c,
 * admin_devices.c, admin_dialrules.c; the work is gateway/admin.h's). */
void page_admin_mailboxes(struct web_ctx *c);
void page_admin_mailbox_create(struct web_ctx *c);
void page_admin_mailbox_update(struct web_ctx *c);
void page_admin_mailbox_pin(struct web_ctx *c);
void page_admin_mailbox_unlock(struct web_ctx *c);
void page_admin_mailbox_delete(struct web_ctx *c);
void page_admin_devices(struct web_ctx *c);
void page_admin_device_save(struct web_ctx *c);
void page_admin_device_delete(struct web_ctx *c);
void page_admin_dialrules(struct web_ctx *c);
struct devpolicy;
struct dialrules_prefixes;
/* The configured outbound defaults ([outbound], [dialing]) of the daemon's
 * configuration, or of the built-in one without a daemon. Returns 0 or
 * FGW_ERR_CONFIG / FGW_ERR_NOMEM (msg says why). */
int web_devpolicy_defaults(struct web_ctx *c, struct devpolicy *out, char *msg, size_t size);
/* A prefix list as "0120, 0570", or "none". */
void web_prefixes_text(const struct dialrules_prefixes *p, char *out, size_t size);
/* A message box of kind "ok" or "error" holding msg (escaped); NULL: none. */
void web_admin_message(struct html *h, const char *kind, const char *msg);

/* Session start after a login (sets the cookie). Returns 0 or an error. */
int web_session_start(struct web_ctx *c, const char *user);

/* Factory reset (admin_wipe.c; page_admin_wipe above): the confirmation
 * and the download of erasure certificates. */
void page_admin_wipe_post(struct web_ctx *c);
void page_admin_wipe_certificate(struct web_ctx *c);

/* The password page (account.c): /account/password for every logged-in
 * user; the only page besides logout while must_change is set. */
void page_account_password_form(struct web_ctx *c);
void page_account_password_post(struct web_ctx *c);

/* A request answered later (the Send page's conversion runs in a child
 * process): what the page frame needs, copied out of the request. */
struct web_later {
	struct web_app *app;
	struct web_request req;      /* peer and path point below */
	char peer[64];
	char path[256];
	struct catalog_user user;
	int role;
	char session_key[AUTH_TOKEN_HEX + 1];
	char csrf[AUTH_TOKEN_HEX + 1];
};

/* Takes c's request over to answer it later into *l (the caller's, kept
 * until web_later_answer). Returns false when the server cannot wait
 * (no event loop, as in web_handle tests): answer now then. */
bool web_later_begin(struct web_ctx *c, struct web_later *l);
/* True while the session that asked still exists (no logout since). */
bool web_later_session_alive(struct web_later *l);
/* Renders the answer with page(c, arg) in a context like the request's,
 * sends it and wipes *l. Call once per web_later_begin. */
void web_later_answer(struct web_later *l, void (*page)(struct web_ctx *c, void *arg),
		      void *arg);

#endif
