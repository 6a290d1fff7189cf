/* SIP over UDP and TCP on libevent; see sip_transport.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/sip_transport.h"
#include "gateway/sipmsg.h"

#define UDP_BURST 64              /* datagrams read per readiness event */

struct conn {
	TAILQ_ENTRY(conn) link;
	struct sip_transport *t;
	uint64_t id;
	struct bufferevent *bev;
	struct sip_source src;       /* the peer, as on_message reports it */
};

TAILQ_HEAD(conn_list, conn);

struct sip_transport {
	struct event_base *base;
	int udp_fd;
	struct event *udp_ev;
	struct evconnlistener *lis;
	sip_transport_msg_fn *on_message;
	void *arg;
	struct conn_list conns;
	unsigned nconns;
	uint64_t next_id;
	unsigned idle_ms;
	time_t refused_logged;       /* last "connection refused" warning */
	char local[SIP_ADDR_MAX];
	unsigned port;
	uint8_t dgram[SIPMSG_MAX_UDP + 1];
};

/* ---- addresses --------------------------------------------------------- */

static int split_host_port(const char *text, char *host, size_t hsize, const char **port)
{
	const char *colon;
	size_t n;

	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (end == NULL || end[1] != ':')
			return FGW_ERR_INVALID;
		n = (size_t)(end - text - 1);
		text++;
		colon = end + 1;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL || memchr(text, ':', (size_t)(colon - text)) != NULL)
			return FGW_ERR_INVALID;
		n = (size_t)(colon - text);
	}
	if (n == 0 || n >= hsize)
		return FGW_ERR_INVALID;
	memcpy(host, text, n);
	host[n] = '\0';
	*port = colon + 1;
	return FGW_OK;
}

int sip_addr_parse(const char *text, bool allow_zero, struct sockaddr_storage *sa,
		   socklen_t *len)
{
	char host[SIP_ADDR_MAX];
	const char *port_s;
	long long port;

	memset(sa, 0, sizeof *sa);
	if (text == NULL || split_host_port(text, host, sizeof host, &port_s) != FGW_OK ||
	    str_to_int(port_s, allow_zero ? 0 : 1, 65535, &port) != FGW_OK)
		return FGW_ERR_INVALID;
	struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof *v4;
		return FGW_OK;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof *v6;
		return FGW_OK;
	}
	return FGW_ERR_INVALID;
}

static int addr_format(const struct sockaddr *sa, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;

		if (inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host) == NULL)
			return FGW_ERR_INVALID;
		return str_format(buf, size, "%s:%u", host, ntohs(v4->sin_port));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;

		if (inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host) == NULL)
			return FGW_ERR_INVALID;
		return str_format(buf, size, "[%s]:%u", host, ntohs(v6->sin6_port));
	}
	return FGW_ERR_INVALID;
}

static bool addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

/* ---- framing ----------------------------------------------------------- */

/* Value of a Content-Length ("l" compact) header line, or -1 when the line
 * is another header. */
static long long content_length_of(const char *line, size_t n, bool *bad)
{
	size_t i = 0, name_end;
	char num[16];
	size_t k = 0;
	long long v;

	while (i < n && line[i] != ':' && line[i] != ' ' && line[i] != '\t')
		i++;
	name_end = i;
	if (!((name_end == 14 && strncasecmp(line, "content-length", 14) == 0) ||
	      (name_end == 1 && (line[0] == 'l' || line[0] == 'L'))))
		return -1;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= n || line[i++] != ':')
		return -1;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (i < n && line[i] != ' ' && line[i] != '\t' && k + 1 < sizeof num)
		num[k++] = line[i++];
	num[k] = '\0';
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i != n || str_to_int(num, 0, SIP_TRANSPORT_MAX_MSG, &v) != FGW_OK) {
		*bad = true;
		return -1;
	}
	return v;
}

/* Finds the blank line ending the headers at or after start; returns the
 * offset just past it, 0 when absent. */
static size_t find_blank(const char *buf, size_t start, size_t len)
{
	for (size_t i = start; i + 3 < len; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n')
			return i + 4;
	return 0;
}

static int headers_content_length(const char *buf, size_t start, size_t end, long long *clen)
{
	bool bad = false;

	*clen = -1;
	for (size_t i = start; i < end;) {
		const char *nl = memchr(buf + i, '\n', end - i);
		size_t stop = nl ? (size_t)(nl - buf) : end;
		size_t n = stop - i;

		if (n > 0 && buf[i + n - 1] == '\r')
			n--;
		long long v = content_length_of(buf + i, n, &bad);
		if (bad)
			return FGW_ERR_PARSE;
		if (v >= 0) {
			if (*clen >= 0 && *clen != v)
				return FGW_ERR_PARSE;
			*clen = v;
		}
		i = stop + 1;
	}
	return *clen >= 0 ? FGW_OK : FGW_ERR_PARSE;
}

int sip_transport_frame(const char *buf, size_t len, size_t *skip, size_t *msg_len)
{
	size_t s = 0, hend;
	long long clen;
	int rc;

	while (s < len && (buf[s] == '\r' || buf[s] == '\n'))
		s++;
	*skip = s;
	*msg_len = 0;
	hend = find_blank(buf, s, len);
	if (hend == 0)
		return len - s > SIP_TRANSPORT_MAX_MSG ? FGW_ERR_TOO_LARGE : FGW_ERR_TRUNCATED;
	if (hend - s > SIP_TRANSPORT_MAX_MSG)
		return FGW_ERR_TOO_LARGE;
	if ((rc = headers_content_length(buf, s, hend, &clen)) != FGW_OK)
		return rc;
	if ((size_t)clen > SIP_TRANSPORT_MAX_MSG - (hend - s))
		return FGW_ERR_TOO_LARGE;
	if (len - hend < (size_t)clen)
		return FGW_ERR_TRUNCATED;
	*msg_len = hend - s + (size_t)clen;
	return FGW_OK;
}

/* ---- delivery ---------------------------------------------------------- */

static void deliver(struct sip_transport *t, const uint8_t *buf, size_t len,
		    const struct sip_source *src)
{
	struct sipmsg *m = NULL;
	char err[SIPMSG_ERR_MAX];
	int rc = sipmsg_parse(buf, len, &m, err, sizeof err);

	if (rc != FGW_OK) {
		log_debug("sip: dropped %zu bytes from %s: %s", len, src->addr,
			  rc == FGW_ERR_NOMEM ? "out of memory" : err);
		return;
	}
	t->on_message(t->arg, m, src);
	sipmsg_free(m);
}

/* ---- UDP --------------------------------------------------------------- */

static void udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct sip_transport *t = arg;
	struct sip_source src;

	(void)what;
	for (int i = 0; i < UDP_BURST; i++) {
		memset(&src, 0, sizeof src);
		src.len = sizeof src.sa;
		ssize_t n = recvfrom(fd, t->dgram, sizeof t->dgram, MSG_TRUNC,
				     (struct sockaddr *)&src.sa, &src.len);
		if (n < 0)
			return;      /* EAGAIN: drained; anything else: try next event */
		src.transport = SIP_PROTO_UDP;
		if (addr_format((struct sockaddr *)&src.sa, src.addr, sizeof src.addr) != FGW_OK)
			continue;
		if ((size_t)n > SIPMSG_MAX_UDP) {
			log_debug("sip: dropped a %zd-byte datagram from %s (limit %d)", n,
				  src.addr, SIPMSG_MAX_UDP);
			continue;
		}
		if (n > 0 && t->dgram[0] != '\r' && t->dgram[0] != '\n')
			deliver(t, t->dgram, (size_t)n, &src);
	}
}

/* ---- TCP connections --------------------------------------------------- */

static void conn_close(struct conn *c, const char *why)
{
	struct sip_transport *t = c->t;

	log_debug("sip: closing TCP %s: %s", c->src.addr, why);
	TAILQ_REMOVE(&t->conns, c, link);
	t->nconns--;
	bufferevent_free(c->bev);
	free(c);
}

/* Takes every whole message off the input. Returns false when c was
 * closed. */
static bool conn_drain(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	for (;;) {
		size_t avail = evbuffer_get_length(in), skip, mlen;
		size_t look = avail < SIP_TRANSPORT_MAX_MSG + 4 ? avail : SIP_TRANSPORT_MAX_MSG + 4;
		const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)look);

		if (avail == 0 || p == NULL)
			return true;
		int rc = sip_transport_frame(p, look, &skip, &mlen);
		if (rc == FGW_ERR_TRUNCATED) {
			evbuffer_drain(in, skip);
			return true;
		}
		if (rc != FGW_OK) {
			conn_close(c, rc == FGW_ERR_TOO_LARGE ? "message over 64 KiB"
							       : "no usable Content-Length");
			return false;
		}
		/* on_message may send on c but never closes it */
		deliver(c->t, (const uint8_t *)p + skip, mlen, &c->src);
		evbuffer_drain(in, skip + mlen);
	}
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	(void)conn_drain(arg);
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT)
		conn_close(c, "idle");
	else if (what & BEV_EVENT_EOF)
		conn_close(c, "closed by peer");
	else if (what & BEV_EVENT_ERROR)
		conn_close(c, strerror(EVUTIL_SOCKET_ERROR()));
}

static struct conn *conn_new(struct sip_transport *t, evutil_socket_t fd,
			     const struct sockaddr_storage *sa, socklen_t len)
{
	struct conn *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->bev = bufferevent_socket_new(t->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL ||
	    addr_format((const struct sockaddr *)sa, c->src.addr, sizeof c->src.addr) != FGW_OK) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		free(c);
		return NULL;
	}
	struct timeval idle = { t->idle_ms / 1000, (t->idle_ms % 1000) * 1000 };
	c->t = t;
	c->id = ++t->next_id;
	c->src.transport = SIP_PROTO_TCP;
	c->src.conn_id = c->id;
	c->src.sa = *sa;
	c->src.len = len;
	bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
	bufferevent_set_timeouts(c->bev, &idle, NULL);
	bufferevent_setwatermark(c->bev, EV_READ, 0, SIP_TRANSPORT_MAX_MSG * 2);
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) != 0) {
		bufferevent_free(c->bev);
		free(c);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&t->conns, c, link);
	t->nconns++;
	return c;
}

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
		      int len, void *arg)
{
	struct sip_transport *t = arg;
	struct sockaddr_storage ss;

	(void)lis;
	if (t->nconns >= SIP_TRANSPORT_MAX_CONNS || len <= 0 || (size_t)len > sizeof ss) {
		/* at most one warning a minute: a flood must not flood the log */
		if (time(NULL) - t->refused_logged >= 60) {
			t->refused_logged = time(NULL);
			log_warn("sip: refusing TCP connections: %u open (limit %d)", t->nconns,
				 SIP_TRANSPORT_MAX_CONNS);
		}
		close(fd);
		return;
	}
	memset(&ss, 0, sizeof ss);
	memcpy(&ss, sa, (size_t)len);
	if (conn_new(t, fd, &ss, (socklen_t)len) == NULL)
		close(fd);
}

static struct conn *conn_by_id(struct sip_transport *t, uint64_t id)
{
	struct conn *c;

	TAILQ_FOREACH(c, &t->conns, link)
		if (c->id == id)
			return c;
	return NULL;
}

static struct conn *conn_by_addr(struct sip_transport *t, const struct sockaddr_storage *sa)
{
	struct conn *c;

	TAILQ_FOREACH(c, &t->conns, link)
		if (addr_equal(&c->src.sa, sa))
			return c;
	return NULL;
}

static struct conn *conn_connect(struct sip_transport *t, const struct sockaddr_storage *sa,
				 socklen_t len)
{
	struct conn *c;

	if (t->nconns >= SIP_TRANSPORT_MAX_CONNS)
		return NULL;
	if ((c = conn_new(t, -1, sa, len)) == NULL)
		return NULL;
	if (bufferevent_socket_connect(c->bev, (const struct sockaddr *)sa, (int)len) != 0) {
		conn_close(c, "connect failed");
		return NULL;
	}
	return c;
}

/* ---- sending ----------------------------------------------------------- */

static int udp_send(struct sip_transport *t, const struct sockaddr_storage *sa, socklen_t len,
		    const char *buf, size_t n)
{
	if (n > SIPMSG_MAX_UDP)
		return FGW_ERR_TOO_LARGE;
	if (sendto(t->udp_fd, buf, n, 0, (const struct sockaddr *)sa, len) != (ssize_t)n) {
		log_debug("sip: UDP send failed: %s", strerror(errno));
		return FGW_ERR_IO;
	}
	return FGW_OK;
}

static int tcp_write(struct conn *c, const char *buf, size_t n)
{
	if (n > SIP_TRANSPORT_MAX_MSG)
		return FGW_ERR_TOO_LARGE;
	return bufferevent_write(c->bev, buf, n) == 0 ? FGW_OK : FGW_ERR_IO;
}

int sip_transport_send(struct sip_transport *t, const struct sip_source *dst, const char *buf,
		       size_t len)
{
	if (dst->transport == SIP_PROTO_TCP) {
		struct conn *c = conn_by_id(t, dst->conn_id);

		return c ? tcp_write(c, buf, len) : FGW_ERR_NOT_FOUND;
	}
	return udp_send(t, &dst->sa, dst->len, buf, len);
}

int sip_transport_send_to(struct sip_transport *t, const char *host_port, int proto,
			  const char *buf, size_t len, uint64_t *conn_out)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	struct conn *c;

	if (conn_out != NULL)
		*conn_out = 0;
	if (sip_addr_parse(host_port, false, &sa, &sl) != FGW_OK)
		return FGW_ERR_INVALID;
	if (proto != SIP_PROTO_TCP)
		return udp_send(t, &sa, sl, buf, len);
	if ((c = conn_by_addr(t, &sa)) == NULL && (c = conn_connect(t, &sa, sl)) == NULL)
		return t->nconns >= SIP_TRANSPORT_MAX_CONNS ? FGW_ERR_BUSY : FGW_ERR_IO;
	if (conn_out != NULL)
		*conn_out = c->id;
	return tcp_write(c, buf, len);
}

/* ---- set-up ------------------------------------------------------------ */

static int udp_bind(struct sip_transport *t, struct sockaddr_storage *sa, socklen_t len)
{
	t->udp_fd = socket(sa->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->udp_fd < 0)
		return FGW_ERR_IO;
	if (bind(t->udp_fd, (struct sockaddr *)sa, len) != 0)
		return FGW_ERR_IO;
	socklen_t got = sizeof *sa;
	if (getsockname(t->udp_fd, (struct sockaddr *)sa, &got) != 0)
		return FGW_ERR_IO;
	t->udp_ev = event_new(t->base, t->udp_fd, EV_READ | EV_PERSIST, udp_read, t);
	if (t->udp_ev == NULL || event_add(t->udp_ev, NULL) != 0)
		return FGW_ERR_NOMEM;
	return FGW_OK;
}

static int tcp_bind(struct sip_transport *t, const struct sockaddr_storage *sa, socklen_t len)
{
	t->lis = evconnlistener_new_bind(t->base, accept_cb, t,
					 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
					 LEV_OPT_CLOSE_ON_EXEC, 64,
					 (const struct sockaddr *)sa, (int)len);
	return t->lis ? FGW_OK : FGW_ERR_IO;
}

/* Undoes a half-made bind so bind_both can try another port. */
static void unbind(struct sip_transport *t)
{
	if (t->lis != NULL)
		evconnlistener_free(t->lis);
	if (t->udp_ev != NULL)
		event_free(t->udp_ev);
	if (t->udp_fd >= 0)
		close(t->udp_fd);
	t->lis = NULL;
	t->udp_ev = NULL;
	t->udp_fd = -1;
}

/* Port 0: the port the kernel gave UDP may be taken for TCP; try again
 * with another one a few times. */
static int bind_pair(struct sip_transport *t, const struct sockaddr_storage *want, socklen_t len,
		     bool any_port, struct sockaddr_storage *got)
{
	int rc = FGW_ERR_IO;

	for (int attempt = 0; attempt < (any_port ? 16 : 1); attempt++) {
		*got = *want;
		if ((rc = udp_bind(t, got, len)) == FGW_OK && (rc = tcp_bind(t, got, len)) == FGW_OK)
			return FGW_OK;
		unbind(t);
		if (rc != FGW_ERR_IO)
			break;
	}
	return rc;
}

static int bind_both(struct sip_transport *t, const char *listen)
{
	struct sockaddr_storage want, sa;
	socklen_t len;
	int rc;

	if (sip_addr_parse(listen, true, &want, &len) != FGW_OK) {
		log_error("[sip] listen = %s: not a numeric address with a port "
			  "(e.g. 127.0.0.1:5060 or [::1]:5060)", listen);
		return FGW_ERR_INVALID;
	}
	bool any = want.ss_family == AF_INET ? ((struct sockaddr_in *)&want)->sin_port == 0
					     : ((struct sockaddr_in6 *)&want)->sin6_port == 0;
	rc = bind_pair(t, &want, len, any, &sa);
	if (rc == FGW_ERR_IO)
		log_errno("[sip] listen = %s: cannot bind UDP and TCP there; free the port "
			  "or choose another address", listen);
	if (rc == FGW_OK) {
		rc = addr_format((struct sockaddr *)&sa, t->local, sizeof t->local);
		t->port = sa.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&sa)->sin_port)
						  : ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
	}
	return rc;
}

int sip_transport_new(struct event_base *base, const char *listen,
		      sip_transport_msg_fn *on_message, void *arg, struct sip_transport **out)
{
	struct sip_transport *t;
	int rc;

	*out = NULL;
	if (base == NULL || listen == NULL || on_message == NULL)
		return FGW_ERR_INVALID;
	if ((t = calloc(1, sizeof *t)) == NULL)
		return FGW_ERR_NOMEM;
	t->base = base;
	t->udp_fd = -1;
	t->on_message = on_message;
	t->arg = arg;
	t->idle_ms = SIP_TRANSPORT_IDLE_MS;
	TAILQ_INIT(&t->conns);
	if ((rc = bind_both(t, listen)) != FGW_OK) {
		sip_transport_free(t);
		return rc;
	}
	*out = t;
	return FGW_OK;
}

void sip_transport_free(struct sip_transport *t)
{
	if (t == NULL)
		return;
	while (!TAILQ_EMPTY(&t->conns))
		conn_close(TAILQ_FIRST(&t->conns), "shutdown");
	if (t->lis != NULL)
		evconnlistener_free(t->lis);
	if (t->udp_ev != NULL)
		event_free(t->udp_ev);
	if (t->udp_fd >= 0)
		close(t->udp_fd);
	free(t);
}

void sip_transport_set_idle_ms(struct sip_transport *t, unsigned idle_ms)
{
	t->idle_ms = idle_ms ? idle_ms : SIP_TRANSPORT_IDLE_MS;
}

int sip_transport_local(const struct sip_transport *t, char *buf, size_t size)
{
	return str_copy(buf, size, t->local);
}

unsigned sip_transport_port(const struct sip_transport *t) { return t->port; }
unsigned sip_transport_conns(const struct sip_transport *t) { return t->nconns; }
