/* Request handling: limits, routing table with the role of every route,
 * sessions, CSRF, security headers. No sockets here (see server.c). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/catalog_users.h"
#include "storage/store.h"
#include "web/unlock.h"
#include "web/web_int.h"

#define COOKIE_NAME "__Host-faxgw"

struct route {
	const char *method;
	const char *path;
	int roles;                 /* 0: no login needed */
	void (*fn)(struct web_ctx *c);
};

/* Every page and action, with who may use it. */
static const struct route routes[] = {
	{"GET", "/", 0, page_root},
	{"GET", "/static/style.css", 0, page_css},
	{"GET", "/setup", 0, page_setup_form},
	{"POST", "/setup", 0, page_setup_post},
	{"GET", "/login", 0, page_login_form},
	{"POST", "/login", 0, page_login_post},
	{"POST", "/logout", ROLE_ANY, page_logout},
	{"GET", "/dashboard", ROLE_ANY, page_dashboard},
	{"GET", "/logs", ROLE_ADMIN | ROLE_AUDITOR, page_logs},
	{"GET", "/logs.csv", ROLE_ADMIN | ROLE_AUDITOR, page_logs_csv},
	{"POST", "/logs/verify", ROLE_ADMIN | ROLE_AUDITOR, page_logs_verify},
	{"GET", "/mailboxes", ROLE_ADMIN | ROLE_OWNER, page_mailboxes},
	{"GET", "/mailboxes/*", ROLE_ADMIN | ROLE_OWNER, page_mailbox_get},
	{"POST", "/mailboxes/*", ROLE_ADMIN | ROLE_OWNER, page_mailbox_post},
	{"GET", "/static/send.js", 0, page_send_js},
	{"GET", "/send", ROLE_ADMIN | ROLE_OPERATOR, page_send_form},
	{"POST", "/send", ROLE_ADMIN | ROLE_OPERATOR, page_send_post},
	{"GET", "/send/preview/*", ROLE_ADMIN | ROLE_OPERATOR, page_send_preview},
	{"POST", "/send/confirm", ROLE_ADMIN | ROLE_OPERATOR, page_send_confirm},
	{"POST", "/send/cancel", ROLE_ADMIN | ROLE_OPERATOR, page_send_cancel},
	{"GET", "/jobs", ROLE_ADMIN | ROLE_OPERATOR, page_jobs},
	{"POST", "/jobs/cancel", ROLE_ADMIN | ROLE_OPERATOR, page_jobs_cancel},
	{"GET", "/admin/users", ROLE_ADMIN, page_admin_users},
	{"POST", "/admin/users/create", ROLE_ADMIN, page_admin_user_create},
	{"POST", "/admin/users/reset", ROLE_ADMIN, page_admin_user_reset},
	{"POST", "/admin/users/delete", ROLE_ADMIN, page_admin_user_delete},
	{"GET", "/admin/config", ROLE_ADMIN, page_admin_config},
	{"GET", "/admin/wipe", ROLE_ADMIN, page_admin_wipe},
	{"POST", "/admin/wipe", ROLE_ADMIN, page_admin_wipe_post},
	{"GET", "/admin/wipe/certificate", ROLE_ADMIN, page_admin_wipe_certificate},
	{"GET", "/admin/mailboxes", ROLE_ADMIN, page_admin_mailboxes},
	{"POST", "/admin/mailboxes/create", ROLE_ADMIN, page_admin_mailbox_create},
	{"POST", "/admin/mailboxes/update", ROLE_ADMIN, page_admin_mailbox_update},
	{"POST", "/admin/mailboxes/pin", ROLE_ADMIN, page_admin_mailbox_pin},
	{"POST", "/admin/mailboxes/unlock", ROLE_ADMIN, page_admin_mailbox_unlock},
	{"POST", "/admin/mailboxes/delete", ROLE_ADMIN, page_admin_mailbox_delete},
	{"GET", "/admin/devices", ROLE_ADMIN, page_admin_devices},
	{"POST", "/admin/devices/save", ROLE_ADMIN, page_admin_device_save},
	{"POST", "/admin/devices/delete", ROLE_ADMIN, page_admin_device_delete},
	{"GET", "/admin/dialrules", ROLE_ADMIN, page_admin_dialrules},
	{"GET", "/account/password", ROLE_ANY, page_account_password_form},
	{"POST", "/account/password", ROLE_ANY, page_account_password_post},
};

int web_role_bit(const char *role)
{
	static const struct { const char *name; int bit; } names[] = {
		{"admin", ROLE_ADMIN}, {"operator", ROLE_OPERATOR},
		{"auditor", ROLE_AUDITOR}, {"owner", ROLE_OWNER},
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(role, names[i].name) == 0)
			return names[i].bit;
	return 0;
}

int64_t web_now_ms(void)
{
	return store_now_ms();
}

int web_app_new(const struct web_settings *settings, struct store *store, struct daemon *d,
		struct web_app **out)
{
	struct web_app *app = calloc(1, sizeof *app);

	if (!app)
		return FGW_ERR_NOMEM;
	app->set = *settings;
	app->store = store;
	app->daemon = d;
	app->unlocks = unlock_store_new();
	if (!app->unlocks) {
		free(app);
		return FGW_ERR_NOMEM;
	}
	app->sends = send_store_new();
	if (!app->sends) {
		web_app_free(app);
		return FGW_ERR_NOMEM;
	}
	*out = app;
	return FGW_OK;
}

void web_app_free(struct web_app *app)
{
	if (app)
		send_store_free(app->sends);
	if (app)
		unlock_store_free(app->unlocks);
	free(app);
}

void web_set_header(struct web_ctx *c, const char *name, const char *value)
{
	struct web_response *r = c->resp;

	for (size_t i = 0; i < r->nheaders; i++)
		if (strcmp(r->headers[i].name, name) == 0)
			return (void)str_copy(r->headers[i].value, sizeof r->headers[i].value, value);
	if (r->nheaders == WEB_HEADERS_OUT ||
	    str_copy(r->headers[r->nheaders].name, sizeof r->headers[0].name, name) != FGW_OK ||
	    str_copy(r->headers[r->nheaders].value, sizeof r->headers[0].value, value) != FGW_OK) {
		log_error("web: response header %s dropped", name);
		return;
	}
	r->nheaders++;
}

const char *web_response_header(const struct web_response *resp, const char *name)
{
	for (size_t i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

void web_response_clear(struct web_response *resp)
{
	html_free(resp->body);
	memset(resp, 0, sizeof *resp);
}

void web_redirect(struct web_ctx *c, const char *where)
{
	c->resp->status = 303;
	web_set_header(c, "Location", where);
}

void web_error(struct web_ctx *c, int status, const char *msg)
{
	c->resp->status = status;
	web_page_begin(c, "Error");
	html_raw(c->resp->body, "<div class=\"msg error\">");
	html_text(c->resp->body, msg);
	html_raw(c->resp->body, "</div>");
	web_page_end(c);
}

void web_audit(struct web_ctx *c, enum audit_event event, const char *user, const char *reason)
{
	struct audit_field f[3] = {
		AUDIT_F_STR("user", user), AUDIT_F_STR("source", c->req->peer),
		AUDIT_F_STR("reason", reason),
	};
	int rc = audit_append_durable(store_audit(c->app->store), event, f, reason ? 3 : 2,
				      NULL);

	if (rc != FGW_OK)
		log_error("web: cannot write the audit record: %s", fgw_strerror(rc));
}

/* ---- sessions ---------------------------------------------------------- */

static int64_t session_expiry(const struct web_app *app, int64_t created, int64_t now)
{
	int64_t idle = now + (int64_t)app->set.idle_minutes * 60000;
	int64_t hard = created + (int64_t)app->set.max_hours * 3600000;

	return idle < hard ? idle : hard;
}

int web_session_start(struct web_ctx *c, const char *user)
{
	char token[AUTH_TOKEN_HEX + 1], cookie[256];
	struct catalog_session s = {0};
	int64_t now = web_now_ms();
	int rc = auth_token_new(token);

	if (rc == FGW_OK)
		rc = auth_token_derive("session", token, s.id);
	if (rc == FGW_OK)
		rc = str_copy(s.user, sizeof s.user, user);
	s.created_ms = now;
	s.expires_ms = session_expiry(c->app, now, now);
	if (rc == FGW_OK)
		rc = catalog_session_insert(store_catalog(c->app->store), &s);
	if (rc == FGW_OK)
		rc = str_format(cookie, sizeof cookie, COOKIE_NAME "=%s; Secure; HttpOnly; "
				"SameSite=Strict; Path=/", token);
	if (rc == FGW_OK)
		web_set_header(c, "Set-Cookie", cookie);
	OPENSSL_cleanse(token, sizeof token);
	OPENSSL_cleanse(cookie, sizeof cookie);
	return rc;
}

/* The session named by cookie into *s and its user into *u, the
 * derived keys into key and csrf (either may be NULL); expired sessions
 * are deleted. Returns 0 or an error (no such live session). */
static int session_find(struct web_app *app, const char *cookie, struct catalog_session *s,
			struct catalog_user *u, char *key, char *csrf)
{
	struct catalog *cat = store_catalog(app->store);
	char token[AUTH_TOKEN_HEX + 1], id[AUTH_TOKEN_HEX + 1];
	int64_t now = web_now_ms();
	int rc = FGW_ERR_NOT_FOUND;

	if (!cookie || http_cookie_get(cookie, COOKIE_NAME, token, sizeof token) != FGW_OK ||
	    strlen(token) != AUTH_TOKEN_HEX)
		goto out;
	rc = auth_token_derive("session", token, id);
	if (rc == FGW_OK && csrf)
		rc = auth_token_derive("csrf", token, csrf);
	if (rc == FGW_OK)
		rc = catalog_session_get(cat, id, s);
	if (rc != FGW_OK)
		goto out;
	if (s->expires_ms <= now || s->created_ms + (int64_t)app->set.max_hours * 3600000 <= now) {
		if (catalog_session_delete(cat, s->id) != FGW_OK)
			log_warn("web: cannot delete an expired session");
		rc = FGW_ERR_NOT_FOUND;
		goto out;
	}
	rc = catalog_user_get(cat, s->user, u);
	if (rc == FGW_OK && key)
		rc = str_copy(key, AUTH_TOKEN_HEX + 1, id);
out:
	OPENSSL_cleanse(token, sizeof token);
	return rc;
}

/* A session's idle expiry is moved only when it would move by more than
 * this: one catalog write per minute of activity instead of one per
 * request (a synced SQLite write set the logs page's tail latency). The
 * idle timeout is thereby up to a minute shorter, never longer. */
#define SESSION_TOUCH_STEP_MS 60000

/* Finds the session named by the cookie and extends it. */
static void session_load(struct web_ctx *c)
{
	struct catalog_session s;
	int64_t expiry;

	if (session_find(c->app, c->req->cookie, &s, &c->user, c->session_key, c->csrf) !=
	    FGW_OK)
		return;
	expiry = session_expiry(c->app, s.created_ms, web_now_ms());
	if (expiry - s.expires_ms > SESSION_TOUCH_STEP_MS &&
	    catalog_session_touch(store_catalog(c->app->store), s.id, expiry) != FGW_OK)
		log_warn("web: cannot extend a session");
	c->role = web_role_bit(c->user.role);
	c->logged_in = c->role != 0;
}

/* ---- access checks ------------------------------------------------------ */

/* True when addr lies in the CIDR net ("192.0.2.0/24", "::1/128", or a
 * bare address). */
static bool cidr_match(const char *net, const char *addr)
{
	char host[64];
	unsigned char a[16], n[16];
	long long bits;
	const char *slash = strchr(net, '/');
	size_t hlen = slash ? (size_t)(slash - net) : strlen(net);
	int fam = strchr(net, ':') ? AF_INET6 : AF_INET;
	int size = fam == AF_INET6 ? 16 : 4;

	if (hlen >= sizeof host)
		return false;
	memcpy(host, net, hlen);
	host[hlen] = '\0';
	if (inet_pton(fam, host, n) != 1 || inet_pton(fam, addr, a) != 1)
		return false;
	bits = size * 8;
	if (slash && str_to_int(slash + 1, 0, size * 8, &bits) != FGW_OK)
		return false;
	for (int i = 0; i < size; i++) {
		int b = bits >= 8 ? 8 : (bits > 0 ? (int)bits : 0);
		unsigned char mask = (unsigned char)(b ? 0xff << (8 - b) : 0);
		if ((a[i] & mask) != (n[i] & mask))
			return false;
		bits -= b;
	}
	return true;
}

static bool admin_allowed(const struct web_app *app, const char *peer)
{
	const char *p = app->set.admin_allow;
	char net[64];

	if (*p == '\0')
		return true;
	while (*p) {
		size_t n = strcspn(p, ", ");
		if (n > 0 && n < sizeof net) {
			memcpy(net, p, n);
			net[n] = '\0';
			if (cidr_match(net, peer))
				return true;
		}
		p += n;
		p += strspn(p, ", ");
	}
	return false;
}

static bool csrf_ok(struct web_ctx *c)
{
	const char *t = c->has_upload ? c->upload_csrf : http_form_get(&c->form, "csrf");

	return c->logged_in && t && strlen(t) == AUTH_TOKEN_HEX &&
	       str_equal_ct(t, c->csrf, AUTH_TOKEN_HEX);
}

/* A route path ending in a slash and star takes any non-empty rest (the handler
 * parses and checks it, e.g. /mailboxes/NUMBER/...); others are exact. */
static bool route_path_match(const char *pattern, const char *path)
{
	size_t n = strlen(pattern);

	if (n >= 2 && strcmp(pattern + n - 2, "/*") == 0)
		return strncmp(pattern, path, n - 1) == 0 && path[n - 1] != '\0';
	return strcmp(pattern, path) == 0;
}

static const struct route *find_route(const char *method, const char *path, bool *path_known)
{
	*path_known = false;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (!route_path_match(routes[i].path, path))
			continue;
		*path_known = true;
		if (strcmp(routes[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0))
			return &routes[i];
	}
	return NULL;
}

/* Routes that take a file (multipart/form-data up to
 * HTTP_MULTIPART_MAX_BYTES); every other body stays within
 * WEB_FORM_BODY_MAX. evhttp's own cap is the larger one (it has no
 * per-route limit), so this is where the form limit holds. */
static bool upload_route(const struct route *rt)
{
	return rt->fn == page_send_post;
}

/* Splits an upload; its csrf part is kept for the CSRF check. */
static bool parse_upload(struct web_ctx *c)
{
	char boundary[HTTP_BOUNDARY_MAX + 1];

	if (http_multipart_boundary(c->req->content_type, boundary, sizeof boundary) != FGW_OK ||
	    http_multipart_parse(c->req->body, c->req->body_len, boundary, &c->upload) != FGW_OK) {
		web_error(c, 400, "The upload is malformed; send the form again.");
		return false;
	}
	c->has_upload = true;
	for (size_t i = 0; i < c->upload.count; i++) {
		const struct http_part *p = &c->upload.parts[i];

		if (strcmp(p->name, "csrf") == 0 && p->len == AUTH_TOKEN_HEX) {
			memcpy(c->upload_csrf, p->data, AUTH_TOKEN_HEX);
			c->upload_csrf[AUTH_TOKEN_HEX] = '\0';
		}
	}
	return true;
}

/* Parses query and body; answers 4xx itself and returns false on error. */
static bool parse_input(struct web_ctx *c, const struct route *rt)
{
	const struct web_request *r = c->req;
	const char *q = r->query ? r->query : "";

	if (http_form_parse(q, strlen(q), &c->query) != FGW_OK) {
		web_error(c, 400, "The address holds a malformed query.");
		return false;
	}
	if (strcmp(r->method, "POST") != 0)
		return true;
	if (r->body_len > (upload_route(rt) ? HTTP_MULTIPART_MAX_BYTES : WEB_FORM_BODY_MAX)) {
		web_error(c, 413, "The form is too large.");
		return false;
	}
	if (upload_route(rt) && r->content_type &&
	    strncasecmp(r->content_type, "multipart/form-data", 19) == 0)
		return parse_upload(c);
	if (!r->content_type ||
	    strncasecmp(r->content_type, "application/x-www-form-urlencoded", 33) != 0) {
		web_error(c, 415, "Forms must be sent as application/x-www-form-urlencoded.");
		return false;
	}
	if (http_form_parse((const char *)r->body, r->body_len, &c->form) != FGW_OK) {
		web_error(c, 400, "The form is malformed.");
		return false;
	}
	return true;
}

/* The checks every protected route goes through. */
static bool authorise(struct web_ctx *c, const struct route *rt)
{
	if (rt->roles == 0)
		return true;
	if (!c->logged_in) {
		if (strcmp(c->req->method, "POST") == 0)
			web_error(c, 403, "Your session has ended; log in again.");
		else
			web_redirect(c, "/login");
		return false;
	}
	if (!(rt->roles & c->role) ||
	    (c->role == ROLE_ADMIN && !admin_allowed(c->app, c->req->peer))) {
		web_error(c, 403, "Your account may not use this page.");
		return false;
	}
	if (strcmp(c->req->method, "POST") == 0 && !csrf_ok(c)) {
		web_error(c, 403, "The form is out of date or was not sent by this site; "
			  "reload the page and try again.");
		return false;
	}
	return true;
}

static void security_headers(struct web_ctx *c, bool cacheable)
{
	web_set_header(c, "Content-Security-Policy",
		       "default-src 'self'; script-src 'self'; style-src 'self'; "
		       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
	web_set_header(c, "Strict-Transport-Security", "max-age=31536000");
	web_set_header(c, "X-Content-Type-Options", "nosniff");
	web_set_header(c, "Referrer-Policy", "no-referrer");
	web_set_header(c, "X-Frame-Options", "DENY");
	web_set_header(c, "Cache-Control", cacheable ? "public, max-age=3600" : "no-store");
	if (!web_response_header(c->resp, "Content-Type"))
		web_set_header(c, "Content-Type", "text/html; charset=utf-8");
}

/* A user whose password an administrator set may change it and log out,
 * nothing else, until it is changed. */
static bool password_chosen(struct web_ctx *c, const struct route *rt)
{
	if (!c->logged_in || !c->user.must_change || rt->roles == 0 || rt->fn == page_logout ||
	    rt->fn == page_account_password_form || rt->fn == page_account_password_post)
		return true;
	if (strcmp(c->req->method, "POST") == 0)
		web_error(c, 403, "An administrator set your password: choose your own on the "
			  "password page first; nothing was done.");
	else
		web_redirect(c, "/account/password");
	return false;
}

/* What server.c's early refusal means, in words. */
static void refused(struct web_ctx *c, int status)
{
	switch (status) {
	case 403:
		web_error(c, 403, "Your session has ended or may not upload documents; log in "
			  "again. The upload was not read.");
		break;
	case 411:
		web_error(c, 411, "Send the form with a Content-Length (chunked bodies are not "
			  "taken).");
		break;
	case 431:
		web_error(c, 431, "The request headers are too large.");
		break;
	case 413:
		web_error(c, 413, "The request is too large: forms take at most 64 KiB, "
			  "documents on the Send page 25 MiB. It was not read.");
		break;
	default:
		web_error(c, 400, "The request headers are malformed.");
		break;
	}
}

static void dispatch(struct web_ctx *c)
{
	const struct route *rt;
	bool known;

	if (c->req->refused) {
		refused(c, c->req->refused);
		return;
	}
	if (c->req->headers_len > WEB_HEADERS_MAX) {
		web_error(c, 431, "The request headers are too large.");
		return;
	}
	rt = find_route(c->req->method, c->req->path, &known);
	if (!rt) {
		web_error(c, known ? 405 : 404, known ? "This page does not take that method."
			  : "There is no such page.");
		return;
	}
	if (!parse_input(c, rt))
		return;
	unlock_sweep(c->app->unlocks, web_now_ms());
	session_load(c);
	if (authorise(c, rt) && password_chosen(c, rt))
		rt->fn(c);
}

int web_body_verdict(struct web_app *app, const char *method, const char *path,
		     const char *cookie, unsigned long long len)
{
	struct catalog_session s;
	struct catalog_user u;
	bool known, may;
	const struct route *rt;

	if (len <= WEB_FORM_BODY_MAX)
		return 0;
	rt = find_route(method, path, &known);
	if (!rt || !upload_route(rt) || len > HTTP_MULTIPART_MAX_BYTES)
		return 413;
	may = session_find(app, cookie, &s, &u, NULL, NULL) == FGW_OK && !u.must_change &&
	      (web_role_bit(u.role) & rt->roles) != 0;
	OPENSSL_cleanse(&u, sizeof u);
	return may ? 0 : 403;
}

static bool response_start(struct web_response *resp)
{
	memset(resp, 0, sizeof *resp);
	resp->status = 200;
	resp->body = html_new(HTML_PAGE_MAX);
	if (!resp->body)
		resp->status = 503;
	return resp->body != NULL;
}

/* The page-size check and the headers every answer carries. */
static void response_finish(struct web_ctx *c)
{
	struct web_response *resp = c->resp;

	if (html_failed(resp->body)) {
		html_free(resp->body);
		resp->body = html_new(256);
		resp->status = 500;
		html_raw(resp->body, "The page is too large.");
	}
	security_headers(c, strcmp(c->req->path, "/static/style.css") == 0 &&
		resp->status == 200);
}

void web_handle(struct web_app *app, const struct web_request *req, struct web_response *resp)
{
	struct web_ctx c = { .app = app, .req = req, .resp = resp };

	if (!response_start(resp))
		return;
	dispatch(&c);
	if (resp->later) {
		html_free(resp->body);
		resp->body = NULL;
	} else {
		response_finish(&c);
	}
	http_form_free(&c.form);
	http_form_free(&c.query);
	OPENSSL_cleanse(&c.user, sizeof c.user);
	OPENSSL_cleanse(c.csrf, sizeof c.csrf);
}

/* ---- answers given later ------------------------------------------------ */

bool web_later_begin(struct web_ctx *c, struct web_later *l)
{
	if (!c->req->reply)
		return false;
	memset(l, 0, sizeof *l);
	l->app = c->app;
	l->req = *c->req;
	if (str_copy(l->peer, sizeof l->peer, c->req->peer) != FGW_OK ||
	    str_copy(l->path, sizeof l->path, c->req->path) != FGW_OK) {
		OPENSSL_cleanse(l, sizeof *l);
		return false;
	}
	l->req.peer = l->peer;
	l->req.path = l->path;
	l->req.method = "POST";
	l->req.query = l->req.cookie = l->req.content_type = NULL;
	l->req.body = NULL;
	l->req.body_len = 0;
	l->user = c->user;
	l->role = c->role;
	memcpy(l->session_key, c->session_key, sizeof l->session_key);
	memcpy(l->csrf, c->csrf, sizeof l->csrf);
	c->resp->later = true;
	return true;
}

bool web_later_session_alive(struct web_later *l)
{
	struct catalog_session s;

	return catalog_session_get(store_catalog(l->app->store), l->session_key, &s) == FGW_OK;
}

void web_later_answer(struct web_later *l, void (*page)(struct web_ctx *c, void *arg),
		      void *arg)
{
	struct web_response resp;
	struct web_ctx c = { .app = l->app, .req = &l->req, .resp = &resp, .logged_in = true,
			     .user = l->user, .role = l->role };

	memcpy(c.session_key, l->session_key, sizeof c.session_key);
	memcpy(c.csrf, l->csrf, sizeof c.csrf);
	if (response_start(&resp)) {
		page(&c, arg);
		response_finish(&c);
	}
	l->req.reply(l->req.reply_arg, &resp);
	web_response_clear(&resp);
	OPENSSL_cleanse(&c.user, sizeof c.user);
	OPENSSL_cleanse(c.csrf, sizeof c.csrf);
	OPENSSL_cleanse(c.session_key, sizeof c.session_key);
	OPENSSL_cleanse(l, sizeof *l);
}
