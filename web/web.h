/* The HTTPS web interface. web_daemon_init starts it on faxgwd's loop
 * (one line in daemon.c's modules[]); web_app_* is the same request
 * handling without sockets, for tests: build a web_request, call
 * web_handle, read the web_response. */
#ifndef FAXGW_WEB_WEB_H
#define FAXGW_WEB_WEB_H

#include <stdbool.h>
#include <stddef.h>

struct daemon;
struct store;
struct html;
struct web_app;

#define WEB_HEADERS_MAX   (16 * 1024)  /* request headers: 431 above */
#define WEB_FORM_BODY_MAX (64 * 1024)  /* urlencoded bodies: 413 above */
#define WEB_HEADERS_OUT    16

/* Reads [web] and starts the server when enabled: TLS key/cert (made if
 * missing), bind, handlers; stops it through daemon_on_shutdown. Returns 0
 * or an error after logging what to fix. */
int web_daemon_init(struct daemon *d);

/* `faxgw tls install CERT KEY`: the CLI command (see faxgw_main.c). */
int cmd_tls(int argc, char **argv);

/* `faxgw init` with the web's self-signed certificate made at once. */
int cmd_init_web(int argc, char **argv);

struct web_settings {
	char data_dir[4096];
	unsigned idle_minutes, max_hours, lock_minutes;
	unsigned max_failures;      /* [security] login_max_failures */
	unsigned scrypt_log2_n;
	char admin_allow[1024];     /* CIDR list, "" = any */
};

/* A handler set over store (not owned) with settings copied. d may be
 * NULL (no lines or calls shown). Returns 0 and *out or FGW_ERR_NOMEM. */
int web_app_new(const struct web_settings *settings, struct store *store, struct daemon *d,
		struct web_app **out);
void web_app_free(struct web_app *app);

struct web_response;

struct web_request {
	const char *method;        /* "GET", "POST", ... */
	const char *path;          /* raw path, no query */
	const char *query;         /* NULL: none */
	const char *cookie;        /* Cookie header or NULL */
	const char *content_type;  /* or NULL */
	const unsigned char *body;
	size_t body_len;
	size_t headers_len;        /* bytes of all request headers */
	const char *peer;          /* source address as text */
	/* Nonzero: server.c refused the body from the headers alone, with
	 * this HTTP status (413, 403, 411, 400, 431); the handler only says
	 * why. */
	int refused;
	/* Set by a server with an event loop: a handler may then answer
	 * later (web_int.h web_later_*), which calls reply(reply_arg, resp)
	 * once; resp is the caller's. NULL: every answer is made at once. */
	void (*reply)(void *reply_arg, struct web_response *resp);
	void *reply_arg;
};

struct web_response {
	int status;
	size_t nheaders;
	struct {
		char name[32];
		char value[512];
	} headers[WEB_HEADERS_OUT];
	struct html *body;         /* owned: web_response_clear */
	bool later;                /* not an answer: req->reply brings it */
};

/* Handles one request into *resp (always filled; clear it after use).
 * When resp->later is set the answer comes through req->reply instead:
 * do not send resp. */
void web_handle(struct web_app *app, const struct web_request *req, struct web_response *resp);

/* The value of response header name, or NULL. */
const char *web_response_header(const struct web_response *resp, const char *name);

void web_response_clear(struct web_response *resp);

/* Early verdict on a request body of len bytes from its request line and
 * headers alone, before it is read: 0 to read it, or the HTTP status to
 * refuse it with: 413 beyond WEB_FORM_BODY_MAX unless it is an upload by
 * a logged-in user allowed to upload (then up to HTTP_MULTIPART_MAX_BYTES),
 * 403 for an upload without such a session. cookie may be NULL. */
int web_body_verdict(struct web_app *app, const char *method, const char *path,
		     const char *cookie, unsigned long long len);

#endif
