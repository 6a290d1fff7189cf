/* The CLI's side of the control socket. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/control_client.h"
#include "storage/store.h"

int control_client_path(const char *data, const char *socket, char *out, size_t size)
{
	if (socket != NULL)
		return str_copy(out, size, socket);
	return str_format(out, size, "%s/%s", data != NULL ? data : STORE_DEFAULT_DIR,
			  CONTROL_SOCKET_FILE);
}

static int connect_to(const char *path, char *msg, size_t size, int *out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, rc = FGW_ERR_IO;

	if (str_copy(sa.sun_path, sizeof sa.sun_path, path) != 0) {
		(void)str_format(msg, size, "socket path %s is too long", path);
		return FGW_ERR_TOO_LARGE;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		(void)str_format(msg, size, "socket: %s", strerror(errno));
		return FGW_ERR_IO;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		*out = fd;
		return 0;
	}
	if (errno == ENOENT || errno == ECONNREFUSED)
		rc = FGW_ERR_NOT_FOUND;
	else if (errno == EACCES || errno == EPERM)
		rc = FGW_ERR_PERMISSION;
	(void)str_format(msg, size, "cannot reach the daemon at %s: %s (is faxgwd running%s?)",
			 path, strerror(errno),
			 rc == FGW_ERR_PERMISSION ? ", and are you its user or root" : "");
	close(fd);
	return rc;
}

static int send_request(int fd, const struct control_line *req, const int *fds, size_t nfds)
{
	union { char buf[CMSG_SPACE(CONTROL_FDS_MAX * sizeof(int))]; struct cmsghdr align; } cbuf;
	struct iovec iov = {(void *)req->buf, req->len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (nfds > CONTROL_FDS_MAX)
		return FGW_ERR_INVALID;
	if (nfds > 0) {
		memset(&cbuf, 0, sizeof cbuf);
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	/* The descriptors go with the first byte; the rest follows plainly. */
	ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	if (n <= 0)
		return FGW_ERR_IO;
	for (size_t off = (size_t)n; off < req->len; off += (size_t)n)
		if ((n = send(fd, req->buf + off, req->len - off, MSG_NOSIGNAL)) <= 0)
			return FGW_ERR_IO;
	return 0;
}

/* Maps "FGW_ERR_BUSY" back to its code. */
static int code_of(const char *name, size_t len)
{
	for (int code = -1; code > FGW_ERR_LAST; code--) {
		const char *n = fgw_errname(code);
		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return code;
	}
	return FGW_ERR_PARSE;
}

/* Handles one complete line (without newline). Returns 1 to go on, or the
 * final status. */
static int take_line(const char *line, control_client_line_fn *on_line, void *arg,
		     char *msg, size_t size)
{
	if (strncmp(line, "- ", 2) == 0) {
		if (on_line != NULL)
			on_line(arg, line + 2);
		return 1;
	}
	if (strncmp(line, "ok", 2) == 0 && (line[2] == ' ' || line[2] == '\0')) {
		(void)str_copy(msg, size, line[2] == ' ' ? line + 3 : "");
		return 0;
	}
	if (strncmp(line, "error ", 6) == 0) {
		const char *name = line + 6, *sp = strchr(name, ' ');
		size_t len = sp != NULL ? (size_t)(sp - name) : strlen(name);
		(void)str_copy(msg, size, sp != NULL ? sp + 1 : "");
		int code = code_of(name, len);
		return code == 0 ? FGW_ERR_PARSE : code;
	}
	(void)str_format(msg, size, "the daemon answered a line this client does not know");
	return FGW_ERR_PARSE;
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int n;

	while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	return n > 0 ? 0 : n == 0 ? FGW_ERR_TIMEOUT : FGW_ERR_IO;
}

static int read_answer(int fd, int timeout_ms, control_client_line_fn *on_line, void *arg,
		       char *msg, size_t size)
{
	char buf[CONTROL_LINE_MAX + 1];
	size_t len = 0;
	int rc;

	for (;;) {
		char *nl;
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			*nl = '\0';
			if ((rc = take_line(buf, on_line, arg, msg, size)) != 1)
				return rc;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
		if (len == sizeof buf - 1 || (rc = wait_readable(fd, timeout_ms)) != 0) {
			(void)str_format(msg, size, len == sizeof buf - 1 ?
					 "the daemon sent an overlong line" :
					 "no answer from the daemon in time");
			return len == sizeof buf - 1 ? FGW_ERR_PARSE : rc;
		}
		ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			(void)str_format(msg, size, "the daemon closed the connection without "
					 "an answer (see its log)");
			return FGW_ERR_IO;
		}
		len += (size_t)n;
	}
}

int control_client_call(const char *path, const struct control_line *req,
			const int *fds, size_t nfds, int timeout_ms,
			control_client_line_fn *on_line, void *arg, char *msg, size_t size)
{
	int fd, rc;

	msg[0] = '\0';
	if (req->err != 0 || req->len == 0 || req->buf[req->len - 1] != '\n') {
		(void)str_format(msg, size, "request not built: %s", fgw_strerror(req->err));
		return FGW_ERR_INVALID;
	}
	if ((rc = connect_to(path, msg, size, &fd)) != 0)
		return rc;
	rc = send_request(fd, req, fds, nfds);
	if (rc != 0)
		(void)str_format(msg, size, "cannot send to the daemon at %s: %s", path,
				 strerror(errno));
	else
		rc = read_answer(fd, timeout_ms, on_line, arg, msg, size);
	close(fd);
	return rc;
}
