/* The control socket's server side, on the daemon's libevent loop. A
 * connection first reads its one request line (with recvmsg, to collect
 * passed descriptors), then answers through a bufferevent, which also
 * tells us when the client goes away. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/control.h"

struct verb {
	char name[CONTROL_NAME_MAX + 1];
	control_handler_fn *fn;
	void *arg;
	struct verb *next;
};

struct control {
	struct event_base *base;
	struct evconnlistener *listener;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct verb *verbs;
	struct control_conn *conns;
	size_t nconns;
};

struct control_conn {
	struct control *ctl;
	struct control_conn *prev, *next;
	int fd;
	struct event *rd;             /* reading the request */
	struct bufferevent *bev;      /* answering */
	char in[CONTROL_LINE_MAX + 1];
	size_t in_len;
	int fds[CONTROL_FDS_MAX];
	size_t nfds;
	bool finished;
	void (*on_close)(void *arg);
	void *on_close_arg;
};

/* ---- connection life --------------------------------------------------- */

static void conn_free(struct control_conn *c)
{
	struct control *ctl = c->ctl;

	if (!c->finished && c->on_close != NULL)
		c->on_close(c->on_close_arg);
	for (size_t i = 0; i < c->nfds; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	if (c->rd != NULL)
		event_free(c->rd);
	if (c->bev != NULL)
		bufferevent_free(c->bev);   /* closes fd */
	else if (c->fd >= 0)
		close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ctl->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ctl->nconns--;
	free(c);
}

static void on_written(struct bufferevent *bev, void *arg)
{
	struct control_conn *c = arg;

	if (c->finished && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(c);
}

/* The client sends nothing after its request: more bytes are dropped. */
static void on_more_input(struct bufferevent *bev, void *arg)
{
	(void)arg;
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
}

static void on_bev_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_free(arg);
}

static int start_answer(struct control_conn *c)
{
	event_free(c->rd);
	c->rd = NULL;
	c->bev = bufferevent_socket_new(c->ctl->base, c->fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		return FGW_ERR_NOMEM;
	bufferevent_setcb(c->bev, on_more_input, on_written, on_bev_event, c);
	return bufferevent_enable(c->bev, EV_READ | EV_WRITE) == 0 ? 0 : FGW_ERR_IO;
}

/* ---- answering --------------------------------------------------------- */

static int put_line(struct control_conn *c, const char *prefix, const char *text)
{
	char line[CONTROL_LINE_MAX];
	size_t n = 0;

	if (str_format(line, sizeof line - 1, "%s%s", prefix, text) != 0)
		n = sizeof line - 2;    /* cut: still one line */
	else
		n = strlen(line);
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	return evbuffer_add(bufferevent_get_output(c->bev), line, n) == 0 ? 0 : FGW_ERR_NOMEM;
}

int control_conn_send(struct control_conn *c, const char *fmt, ...)
{
	char text[CONTROL_LINE_MAX];
	va_list ap;

	if (c->finished)
		return FGW_ERR_STATE;
	va_start(ap, fmt);
	if (vsnprintf(text, sizeof text, fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	return put_line(c, "- ", text);
}

void control_conn_finish(struct control_conn *c, int code, const char *fmt, ...)
{
	char text[CONTROL_LINE_MAX], prefix[64];
	va_list ap;

	if (c->finished)
		return;
	va_start(ap, fmt);
	if (vsnprintf(text, sizeof text, fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	if (code == 0)
		(void)str_copy(prefix, sizeof prefix, "ok ");
	else
		(void)str_format(prefix, sizeof prefix, "error %s ", fgw_errname(code));
	if (put_line(c, prefix, text) != 0)
		log_warn("control: could not queue an answer");
	c->finished = true;
	c->on_close = NULL;
	/* Nothing may be pending (e.g. the write already drained): close now
	 * through the write callback's rule, from the loop. */
	bufferevent_trigger(c->bev, EV_WRITE, BEV_TRIG_DEFER_CALLBACKS);
}

void control_conn_on_close(struct control_conn *c, void (*fn)(void *arg), void *arg)
{
	c->on_close = fn;
	c->on_close_arg = arg;
}

int control_take_fd(struct control_request *req, size_t i)
{
	if (i >= req->nfds || req->fds[i] < 0)
		return -1;
	int fd = req->fds[i];
	req->fds[i] = -1;
	return fd;
}

/* ---- reading the request ----------------------------------------------- */

static const struct verb *find_verb(const struct control *ctl, const char *name)
{
	for (const struct verb *v = ctl->verbs; v != NULL; v = v->next)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

/* Moves passed descriptors out of msg; any beyond the limit is closed and
 * makes the request fail. */
static int collect_fds(struct control_conn *c, struct msghdr *msg)
{
	int rc = 0;

	if (msg->msg_flags & MSG_CTRUNC)
		rc = FGW_ERR_TOO_LARGE;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof fd, sizeof fd);
			if (c->nfds < CONTROL_FDS_MAX) {
				c->fds[c->nfds++] = fd;
			} else {
				close(fd);
				rc = FGW_ERR_TOO_LARGE;
			}
		}
	}
	return rc;
}

static void dispatch(struct control_conn *c)
{
	struct control_request *req = malloc(sizeof *req);
	char why[160];
	int rc;

	if (req == NULL) {
		control_conn_finish(c, FGW_ERR_NOMEM, "out of memory");
		return;
	}
	rc = control_parse(c->in, c->in_len, req, why, sizeof why);
	if (rc != 0) {
		control_conn_finish(c, rc, "bad request: %s", why);
		free(req);
		return;
	}
	memcpy(req->fds, c->fds, sizeof req->fds);
	req->nfds = c->nfds;
	c->nfds = 0;
	const struct verb *v = find_verb(c->ctl, req->verb);
	if (v == NULL)
		control_conn_finish(c, FGW_ERR_NOT_FOUND, "unknown verb '%s'", req->verb);
	else
		v->fn(c, req, v->arg);
	for (size_t i = 0; i < req->nfds; i++)
		if (req->fds[i] >= 0)
			close(req->fds[i]);
	free(req);
}

/* The request is complete (or broken): switch to answering. */
static void request_done(struct control_conn *c, int err, const char *why)
{
	if (start_answer(c) != 0) {
		conn_free(c);
		return;
	}
	if (err != 0)
		control_conn_finish(c, err, "%s", why);
	else
		dispatch(c);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct control_conn *c = arg;
	union { char buf[CMSG_SPACE(CONTROL_FDS_MAX * sizeof(int))]; struct cmsghdr align; } cbuf;
	struct iovec iov = {c->in + c->in_len, sizeof c->in - c->in_len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf.buf, .msg_controllen = sizeof cbuf.buf};

	if (what & EV_TIMEOUT) {
		log_info("control: no request within %d s; closing", CONTROL_REQUEST_SECONDS);
		conn_free(c);
		return;
	}
	ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(c);   /* gone before asking anything */
		return;
	}
	int rc = collect_fds(c, &msg);
	c->in_len += (size_t)n;
	if (rc != 0)
		request_done(c, rc, "too many file descriptors passed");
	else if (memchr(c->in, '\n', c->in_len) != NULL)
		request_done(c, 0, NULL);
	else if (c->in_len > CONTROL_LINE_MAX)
		request_done(c, FGW_ERR_TOO_LARGE, "request longer than 4096 bytes");
}

/* ---- accepting --------------------------------------------------------- */

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		log_errno("control: SO_PEERCRED");
		return false;
	}
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	log_warn("control: refused a client running as uid %u (pid %d)", (unsigned)cred.uid,
		 (int)cred.pid);
	return false;
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, void *arg)
{
	struct control *ctl = arg;
	struct control_conn *c;
	struct timeval tv = {CONTROL_REQUEST_SECONDS, 0};

	(void)l, (void)sa, (void)socklen;
	if (!peer_allowed(fd) || (c = calloc(1, sizeof *c)) == NULL) {
		close(fd);
		return;
	}
	c->ctl = ctl;
	c->fd = fd;
	c->next = ctl->conns;
	if (ctl->conns != NULL)
		ctl->conns->prev = c;
	ctl->conns = c;
	ctl->nconns++;
	c->rd = event_new(ctl->base, fd, EV_READ | EV_PERSIST, on_readable, c);
	if (c->rd == NULL || event_add(c->rd, &tv) != 0)
		conn_free(c);
}

static int bind_socket(const char *path, uid_t owner, int *out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (str_copy(sa.sun_path, sizeof sa.sun_path, path) != 0)
		return FGW_ERR_TOO_LARGE;
	if (unlink(path) != 0 && errno != ENOENT)
		log_errno("control: cannot remove the old socket %s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return FGW_ERR_IO;
	mode_t old = umask(0177);   /* born owner-only: no window for others */
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc != 0 || chmod(path, 0600) != 0 ||
	    (owner != (uid_t)-1 && chown(path, owner, (gid_t)-1) != 0) || listen(fd, 16) != 0) {
		log_errno("control: cannot serve %s", path);
		close(fd);
		return FGW_ERR_IO;
	}
	*out = fd;
	return 0;
}

int control_open(struct event_base *base, const char *path, uid_t owner,
		 struct control **out)
{
	struct control *ctl;
	int fd, rc;

	*out = NULL;
	if ((ctl = calloc(1, sizeof *ctl)) == NULL)
		return FGW_ERR_NOMEM;
	ctl->base = base;
	if ((rc = str_copy(ctl->path, sizeof ctl->path, path)) != 0 ||
	    (rc = bind_socket(path, owner, &fd)) != 0) {
		free(ctl);
		return rc;
	}
	ctl->listener = evconnlistener_new(base, on_accept, ctl, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (ctl->listener == NULL) {
		close(fd);
		free(ctl);
		return FGW_ERR_NOMEM;
	}
	*out = ctl;
	return 0;
}

int control_register(struct control *ctl, const char *verb, control_handler_fn *fn,
		     void *arg)
{
	struct control_line probe;
	struct verb *v;

	control_line_init(&probe, verb);
	if (probe.err != 0 || fn == NULL)
		return FGW_ERR_INVALID;
	if (find_verb(ctl, verb) != NULL)
		return FGW_ERR_EXISTS;
	if ((v = calloc(1, sizeof *v)) == NULL)
		return FGW_ERR_NOMEM;
	(void)str_copy(v->name, sizeof v->name, verb);
	v->fn = fn;
	v->arg = arg;
	v->next = ctl->verbs;
	ctl->verbs = v;
	return 0;
}

size_t control_connections(const struct control *ctl)
{
	return ctl->nconns;
}

void control_close(struct control *ctl)
{
	if (ctl == NULL)
		return;
	evconnlistener_free(ctl->listener);
	while (ctl->conns != NULL)
		conn_free(ctl->conns);
	if (unlink(ctl->path) != 0 && errno != ENOENT)
		log_errno("control: cannot remove %s", ctl->path);
	while (ctl->verbs != NULL) {
		struct verb *v = ctl->verbs;
		ctl->verbs = v->next;
		free(v);
	}
	free(ctl);
}
