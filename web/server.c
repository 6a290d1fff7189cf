/* The HTTPS server on faxgwd's loop: evhttp over bufferevent_openssl,
 * limits, and the glue from evhttp requests to web_handle. */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ssl.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "storage/store.h"
#include "web/tls.h"
#include "web/web_int.h"

struct web_server {
	struct web_app *app;
	struct evhttp *http;
	SSL_CTX *ctx;
};

static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
	struct web_server *s = arg;
	SSL *ssl = SSL_new(s->ctx);

	if (!ssl)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					      BEV_OPT_CLOSE_ON_FREE);
}

static size_t headers_size(struct evkeyvalq *hdrs)
{
	size_t n = 0;

	for (struct evkeyval *kv = hdrs->tqh_first; kv; kv = kv->next.tqe_next)
		n += strlen(kv->key) + strlen(kv->value) + 4;
	return n;
}

static const char *method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	default: return "OTHER";
	}
}

static void send_response(struct evhttp_request *r, struct web_response *resp)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(r);
	struct evbuffer *body = evbuffer_new();

	for (size_t i = 0; i < resp->nheaders; i++)
		if (evhttp_add_header(out, resp->headers[i].name, resp->headers[i].value) != 0)
			log_warn("web: header %s not sent", resp->headers[i].name);
	if (body && resp->body && evbuffer_add(body, html_data(resp->body),
					       html_len(resp->body)) != 0)
		log_warn("web: response body not sent");
	evhttp_send_reply(r, resp->status, NULL, body);
	if (body)
		evbuffer_free(body);
}

static void on_request(struct evhttp_request *r, void *arg)
{
	struct web_server *s = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r);
	struct evkeyvalq *in = evhttp_request_get_input_headers(r);
	struct evbuffer *buf = evhttp_request_get_input_buffer(r);
	char *peer = NULL;
	ev_uint16_t port = 0;
	struct web_response resp;
	size_t len = evbuffer_get_length(buf);
	struct web_request req = {
		.method = method_name(evhttp_request_get_command(r)),
		.path = uri && evhttp_uri_get_path(uri) ? evhttp_uri_get_path(uri) : "/",
		.query = uri ? evhttp_uri_get_query(uri) : NULL,
		.cookie = evhttp_find_header(in, "Cookie"),
		.content_type = evhttp_find_header(in, "Content-Type"),
		.body = len ? evbuffer_pullup(buf, -1) : NULL,
		.body_len = len,
		.headers_len = headers_size(in),
	};

	evhttp_connection_get_peer(evhttp_request_get_connection(r), &peer, &port);
	req.peer = peer ? peer : "";
	if (!req.path[0])
		req.path = "/";
	web_handle(s->app, &req, &resp);
	send_response(r, &resp);
	web_response_clear(&resp);
}

static void server_free(void *arg)
{
	struct web_server *s = arg;

	if (!s)
		return;
	if (s->http)
		evhttp_free(s->http);
	SSL_CTX_free(s->ctx);
	web_app_free(s->app);
	free(s);
}

/* Splits "host:port" / "[v6]:port". */
static int split_listen(const char *listen, char *host, size_t size, long long *port)
{
	const char *colon = strrchr(listen, ':');
	size_t n;

	if (!colon || str_to_int(colon + 1, 1, 65535, port) != FGW_OK)
		return FGW_ERR_CONFIG;
	n = (size_t)(colon - listen);
	if (n >= 2 && listen[0] == '[' && listen[n - 1] == ']') {
		listen++;
		n -= 2;
	}
	if (n == 0 || n >= size)
		return FGW_ERR_CONFIG;
	memcpy(host, listen, n);
	host[n] = '\0';
	return FGW_OK;
}

static void settings_from(const struct config *cfg, struct store *st, struct web_settings *w)
{
	memset(w, 0, sizeof *w);
	if (str_copy(w->data_dir, sizeof w->data_dir, store_dir(st)) != FGW_OK)
		w->data_dir[0] = '\0';
	w->idle_minutes = (unsigned)config_int(cfg, "web", "session_idle_minutes");
	w->max_hours = (unsigned)config_int(cfg, "web", "session_max_hours");
	w->lock_minutes = (unsigned)config_int(cfg, "web", "login_lock_minutes");
	w->max_failures = (unsigned)config_int(cfg, "security", "login_max_failures");
	w->scrypt_log2_n = (unsigned)config_int(cfg, "security", "scrypt_log2_n");
	if (str_copy(w->admin_allow, sizeof w->admin_allow,
		     config_str(cfg, "web", "admin_allow")) != FGW_OK)
		w->admin_allow[0] = '\0';
}

static int server_start(struct daemon *d, struct web_server *s, const char *listen)
{
	char host[80];
	long long port;
	int rc = split_listen(listen, host, sizeof host, &port);

	if (rc != FGW_OK) {
		log_error("[web] listen = %s: expected ADDRESS:PORT, e.g. 127.0.0.1:8443", listen);
		return rc;
	}
	s->http = evhttp_new(daemon_base(d));
	if (!s->http)
		return FGW_ERR_NOMEM;
	evhttp_set_bevcb(s->http, make_bev, s);
	evhttp_set_gencb(s->http, on_request, s);
	/* libevent's own caps are backstops above ours (431/413 from web_handle) */
	evhttp_set_max_headers_size(s->http, 2 * WEB_HEADERS_MAX);
	/* uploads (the Send page) are the largest bodies; app.c holds
	 * every other route to WEB_FORM_BODY_MAX */
	evhttp_set_max_body_size(s->http, HTTP_MULTIPART_MAX_BYTES);
	evhttp_set_timeout(s->http, 30);
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	if (!evhttp_bind_socket_with_handle(s->http, host, (ev_uint16_t)port)) {
		log_error("web: cannot listen on %s ([web] listen): is the port in use?", listen);
		return FGW_ERR_IO;
	}
	log_info("web interface on https://%s (TLS only)", listen);
	return FGW_OK;
}

int web_daemon_init(struct daemon *d)
{
	const struct config *cfg = daemon_config(d);
	struct store *st = daemon_store(d);
	struct web_settings set;
	struct web_server *s;
	int created = 0, rc;

	if (!config_bool(cfg, "web", "enabled"))
		return FGW_OK;
	s = calloc(1, sizeof *s);
	if (!s)
		return FGW_ERR_NOMEM;
	settings_from(cfg, st, &set);
	rc = web_tls_ensure(store_dir(st), &created);
	if (rc == FGW_OK && created)
		log_info("web: made a self-signed certificate in %s/%s", store_dir(st), WEB_TLS_DIR);
	if (rc == FGW_OK)
		rc = web_tls_ctx_new(store_dir(st), &s->ctx);
	if (rc == FGW_OK)
		rc = web_app_new(&set, st, d, &s->app);
	if (rc == FGW_OK)
		rc = server_start(d, s, config_str(cfg, "web", "listen"));
	if (rc == FGW_OK)
		rc = daemon_on_shutdown(d, server_free, s);
	if (rc != FGW_OK)
		server_free(s);
	/* a port in use costs the web interface, not the fax service */
	if (rc == FGW_ERR_IO) {
		log_error("web: the web interface is off until the port is free and faxgwd "
			  "restarts");
		return FGW_OK;
	}
	return rc;
}
