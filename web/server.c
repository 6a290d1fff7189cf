/* The HTTPS server on faxgwd's loop: evhttp over bufferevent_openssl,
 * limits, and the glue from evhttp requests to web_handle. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
#include "web/gate.h"
#include "web/tls.h"
#include "web/web_int.h"

struct web_server {
	struct web_app *app;
	struct evhttp *http;
	SSL_CTX *ctx;
	int gate_index;            /* SSL ex_data slot of a connection's gate */
};

/* ---- the gate: request bodies judged before they are read --------------
 *
 * Every byte the TLS layer decrypts lands in the bufferevent's input
 * buffer, whose callback runs before evhttp's read callback sees it. The
 * gate takes each request head out of that buffer until it is complete,
 * asks web_body_verdict about its Content-Length, and puts back either a
 * re-written head (then the body passes untouched) or a small request of
 * its own carrying GATE_MARK and "Connection: close" (then everything
 * after is dropped and the connection ends with the answer). So an
 * unauthenticated 20 MiB POST costs a 413 and never sits in memory. */

enum gate_state { GATE_HEAD, GATE_BODY, GATE_REFUSED };

struct gate {
	struct web_server *s;
	struct bufferevent *bev;
	struct evbuffer_cb_entry *cb;
	struct evbuffer *hold;     /* an incomplete head */
	struct evbuffer *tmp;      /* bytes not yet judged */
	enum gate_state state;
	unsigned long long body_left;
	bool busy;                 /* our own changes to the input buffer */
	bool nodelay;
};

static void gate_free(struct gate *g)
{
	if (!g)
		return;
	if (g->bev && g->cb)
		(void)evbuffer_remove_cb_entry(bufferevent_get_input(g->bev), g->cb);
	if (g->hold)
		evbuffer_free(g->hold);
	if (g->tmp)
		evbuffer_free(g->tmp);
	free(g);
}

/* OpenSSL calls this when the connection's SSL is freed with its
 * bufferevent, before the input buffer goes. */
static void gate_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			 void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	gate_free(ptr);
}

/* Replaces what evhttp would read next with a request of our own that
 * on_request answers with status, and closes after the answer. */
static void gate_refuse(struct gate *g, struct evbuffer *in, int status)
{
	g->state = GATE_REFUSED;
	(void)evbuffer_drain(g->hold, evbuffer_get_length(g->hold));
	(void)evbuffer_drain(g->tmp, evbuffer_get_length(g->tmp));
	if (evbuffer_add_printf(in, "GET / HTTP/1.1\r\nConnection: close\r\n" GATE_MARK
				": %d\r\n\r\n", status) < 0)
		log_warn("web: could not refuse a request cleanly");
}

static int emit_line(void *arg, const char *line, size_t len)
{
	struct evbuffer *in = arg;

	return evbuffer_add(in, line, len) == 0 && evbuffer_add(in, "\r\n", 2) == 0 ? 0 : -1;
}

/* A complete head in hold: judged, and passed on or refused. Returns
 * false while the head is incomplete. */
static bool gate_head(struct gate *g, struct evbuffer *in)
{
	size_t n = evbuffer_get_length(g->hold);
	size_t scan = n < GATE_HEAD_MAX ? n : GATE_HEAD_MAX;
	const char *p = (const char *)evbuffer_pullup(g->hold, (ev_ssize_t)scan);
	struct gate_head h;
	int verdict;

	if (!p || gate_parse(p, scan, &h) != FGW_OK)
		return false;
	verdict = h.status ? h.status : web_body_verdict(g->s->app, h.method, h.path,
							 h.cookie[0] ? h.cookie : NULL, h.length);
	if (verdict == 0 && (gate_lines(p, h.end, emit_line, in) != 0 ||
			     evbuffer_add(in, "\r\n", 2) != 0))
		verdict = 500;
	if (verdict == 0 && evbuffer_drain(g->hold, h.end) == 0 &&
	    evbuffer_add_buffer(g->tmp, g->hold) == 0) {
		g->body_left = h.length;
		g->state = h.length ? GATE_BODY : GATE_HEAD;
	} else {
		gate_refuse(g, in, verdict ? verdict : 500);
	}
	OPENSSL_cleanse(h.cookie, sizeof h.cookie);
	return true;
}

/* Judges the bytes in tmp, in order, into in. */
static void gate_feed(struct gate *g, struct evbuffer *in)
{
	while (evbuffer_get_length(g->tmp) > 0) {
		if (g->state == GATE_REFUSED) {
			(void)evbuffer_drain(g->tmp, evbuffer_get_length(g->tmp));
		} else if (g->state == GATE_BODY) {
			size_t n = evbuffer_get_length(g->tmp);

			if (n > g->body_left)
				n = (size_t)g->body_left;
			if (evbuffer_remove_buffer(g->tmp, in, n) != (int)n) {
				gate_refuse(g, in, 500);
				continue;
			}
			g->body_left -= n;
			if (g->body_left == 0)
				g->state = GATE_HEAD;
		} else if (evbuffer_add_buffer(g->hold, g->tmp) != 0) {
			gate_refuse(g, in, 500);
		} else if (!gate_head(g, in)) {
			return;
		}
	}
}

/* Latency: a response is two or more TLS records; with Nagle's algorithm
 * the last one waits for the client's delayed ACK (about 40 ms on Linux).
 * Accepted sockets inherit this from the listener on Linux; set anyway. */
static void gate_nodelay(struct gate *g)
{
	int one = 1, fd = (int)bufferevent_getfd(g->bev);

	g->nodelay = true;
	if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
		log_errno("web: TCP_NODELAY on a connection");
}

static void gate_cb(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
	struct gate *g = arg;
	size_t len = evbuffer_get_length(in), keep;

	if (g->busy || info->n_added == 0 || info->n_added > len)
		return;
	if (!g->nodelay)
		gate_nodelay(g);
	if (g->state == GATE_BODY && info->n_added <= g->body_left) {
		g->body_left -= info->n_added;
		if (g->body_left == 0)
			g->state = GATE_HEAD;
		return;
	}
	g->busy = true;
	/* the new bytes are the tail of in: move them to tmp */
	keep = len - info->n_added;
	if (evbuffer_remove_buffer(in, g->tmp, len) != (int)len ||
	    evbuffer_remove_buffer(g->tmp, in, keep) != (int)keep)
		gate_refuse(g, in, 500);
	else
		gate_feed(g, in);
	g->busy = false;
}

static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
	struct web_server *s = arg;
	SSL *ssl = SSL_new(s->ctx);
	struct gate *g = calloc(1, sizeof *g);
	struct bufferevent *bev;

	if (g) {
		g->s = s;
		g->hold = evbuffer_new();
		g->tmp = evbuffer_new();
	}
	if (!ssl || !g || !g->hold || !g->tmp || !SSL_set_ex_data(ssl, s->gate_index, g)) {
		gate_free(g);
		SSL_free(ssl);
		return NULL;
	}
	/* from here the SSL owns g (gate_ex_free) */
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		return NULL;
	g->bev = bev;
	g->cb = evbuffer_add_cb(bufferevent_get_input(bev), gate_cb, g);
	if (!g->cb) {
		bufferevent_free(bev);
		return NULL;
	}
	return bev;
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

/* An answer a handler gave later (web_later_answer). */
static void reply_later(void *arg, struct web_response *resp)
{
	send_response(arg, resp);
}

/* The status the gate refused the request with, or 0. */
static int gate_status(struct evkeyvalq *in)
{
	const char *v = evhttp_find_header(in, GATE_MARK);
	long long n;

	return v && str_to_int(v, 400, 599, &n) == FGW_OK ? (int)n : 0;
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
		.refused = gate_status(in),
		.reply = reply_later,
		.reply_arg = r,
	};

	evhttp_connection_get_peer(evhttp_request_get_connection(r), &peer, &port);
	req.peer = peer ? peer : "";
	if (!req.path[0])
		req.path = "/";
	web_handle(s->app, &req, &resp);
	if (!resp.later)
		send_response(r, &resp);
	else if (evbuffer_drain(buf, len) != 0)  /* the handler copied what it needs */
		log_warn("web: could not release a request body early");
	web_response_clear(&resp);
}

static void server_free(void *arg)
{
	struct web_server *s = arg;

	if (!s)
		return;
	/* the app first: it stops conversions whose answers would go to
	 * requests that evhttp_free releases */
	web_app_free(s->app);
	s->app = NULL;
	if (s->http)
		evhttp_free(s->http);
	SSL_CTX_free(s->ctx);
	/* The ex-data index stays: connections still open are freed only
	 * when the event base goes (libevent finalizes bufferevents there),
	 * and their gates are freed by gate_ex_free through this index; a
	 * freed index would leak them. */
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
	struct evhttp_bound_socket *handle;
	char host[80];
	long long port;
	int one = 1, rc = split_listen(listen, host, sizeof host, &port);

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
	handle = evhttp_bind_socket_with_handle(s->http, host, (ev_uint16_t)port);
	if (!handle) {
		log_error("web: cannot listen on %s ([web] listen): is the port in use?", listen);
		return FGW_ERR_IO;
	}
	/* inherited by accepted sockets on Linux (see gate_nodelay) */
	if (setsockopt(evhttp_bound_socket_get_fd(handle), IPPROTO_TCP, TCP_NODELAY, &one,
		       sizeof one) != 0)
		log_errno("web: TCP_NODELAY on %s", listen);
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
	s->gate_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, gate_ex_free);
	if (s->gate_index < 0) {
		free(s);
		return FGW_ERR_CRYPTO;
	}
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
