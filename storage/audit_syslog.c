/* Forwarding audit records to a remote syslog collector as RFC 5424
 * messages (UDP: one datagram each; TCP: octet-counting framing, RFC 6587)
 * so a copy of every record leaves the appliance. Best effort by design: a
 * collector that is down must never stop the appliance from logging
 * locally, so failures are logged, counted and retried on the next record. */
#include "storage/audit_int.h"

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"

#define SYSLOG_PRI (10 * 8 + 5)        /* authpriv.notice */
#define SYSLOG_ENTERPRISE "faxgw@32473" /* 32473: the IANA example number */
#define SYSLOG_HOST_MAX 255
#define SYSLOG_SEND_TIMEOUT_MS 1000

struct audit_syslog {
	int socktype;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int fd;
	char target[300];
	char hostname[SYSLOG_HOST_MAX + 1];
	long pid;
	uint64_t dropped;
	bool warned;
	struct audit_syslog *next;     /* further destinations (open_list) */
	char msg[AUDIT_RECORD_MAX + 512];
};

/* "unix:PATH": a local syslog socket such as /dev/log (datagrams). */
static int set_unix_target(struct audit_syslog *s, const char *path)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&s->addr;

	if (*path != '/' || str_copy(un->sun_path, sizeof un->sun_path, path) != FGW_OK)
		return FGW_ERR_PARSE;
	un->sun_family = AF_UNIX;
	s->addrlen = sizeof *un;
	s->socktype = SOCK_DGRAM;
	return FGW_OK;
}

/* Splits "udp:HOST:PORT" / "tcp:[V6]:PORT" into its parts. */
static int parse_target(const char *target, int *socktype, char *host, size_t hsize,
			char *port, size_t psize)
{
	const char *h, *colon;
	size_t hlen;

	if (strncmp(target, "udp:", 4) == 0)
		*socktype = SOCK_DGRAM;
	else if (strncmp(target, "tcp:", 4) == 0)
		*socktype = SOCK_STREAM;
	else
		return FGW_ERR_PARSE;
	h = target + 4;
	colon = strrchr(h, ':');
	if (colon == NULL || colon == h || colon[1] == '\0')
		return FGW_ERR_PARSE;
	hlen = (size_t)(colon - h);
	if (h[0] == '[') {
		if (hlen < 3 || h[hlen - 1] != ']')
			return FGW_ERR_PARSE;
		h++;
		hlen -= 2;
	}
	if (hlen >= hsize)
		return FGW_ERR_TOO_LARGE;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	return str_copy(port, psize, colon + 1);
}

static int resolve(struct audit_syslog *s, const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = s->socktype,
				  .ai_flags = AI_NUMERICSERV }, *res = NULL;
	long long p;
	int rc;

	if (str_to_int(port, 1, 65535, &p) != FGW_OK)
		return FGW_ERR_PARSE;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0 || res == NULL) {
		log_error("audit syslog: cannot resolve '%s': %s", host, gai_strerror(rc));
		return FGW_ERR_NOT_FOUND;
	}
	memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
	s->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return FGW_OK;
}

/* HOSTNAME in RFC 5424 is printable US-ASCII without spaces. */
static void set_hostname(struct audit_syslog *s, const char *hostname)
{
	char buf[SYSLOG_HOST_MAX + 1] = "";

	if (hostname == NULL && gethostname(buf, sizeof buf - 1) == 0)
		hostname = buf;
	if (hostname == NULL || *hostname == '\0')
		hostname = "-";
	(void)str_copy(s->hostname, sizeof s->hostname, hostname);
	for (char *p = s->hostname; *p != '\0'; p++)
		if (*p < 33 || *p > 126)
			*p = '-';
}

/* (Re)connects; the socket's send timeout bounds how long a stuck
 * collector can hold up an append. */
static int connect_socket(struct audit_syslog *s)
{
	struct timeval tv = { .tv_sec = SYSLOG_SEND_TIMEOUT_MS / 1000,
			      .tv_usec = (SYSLOG_SEND_TIMEOUT_MS % 1000) * 1000 };

	s->fd = socket(s->addr.ss_family, s->socktype | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return FGW_ERR_IO;
	if (setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
	    connect(s->fd, (struct sockaddr *)&s->addr, s->addrlen) != 0) {
		if (!s->warned)
			log_errno("audit syslog: cannot connect to %s", s->target);
		s->warned = true;
		(void)close(s->fd);
		s->fd = -1;
		return FGW_ERR_IO;
	}
	s->warned = false;
	return FGW_OK;
}

int audit_syslog_open(const char *target, const char *hostname,
		      struct audit_syslog **out)
{
	struct audit_syslog *s;
	char host[256], port[16];
	int rc;

	*out = NULL;
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return FGW_ERR_NOMEM;
	s->fd = -1;
	s->pid = (long)getpid();
	rc = str_copy(s->target, sizeof s->target, target);
	if (rc == FGW_OK && strncmp(target, "unix:", 5) == 0)
		rc = set_unix_target(s, target + 5);
	else if (rc == FGW_OK)
		rc = parse_target(target, &s->socktype, host, sizeof host, port, sizeof port);
	if (rc != FGW_OK)
		log_error("audit syslog: bad target '%s': expected udp:HOST:PORT, "
			  "tcp:HOST:PORT or unix:/PATH", target);
	if (rc == FGW_OK && s->addr.ss_family != AF_UNIX)
		rc = resolve(s, host, port);
	if (rc != FGW_OK) {
		free(s);
		return rc;
	}
	set_hostname(s, hostname);
	(void)connect_socket(s);   /* failure is retried on the first record */
	*out = s;
	return FGW_OK;
}

int audit_syslog_open_list(const char *targets, const char *hostname,
			   struct audit_syslog **out)
{
	char list[1024], *item, *rest;
	struct audit_syslog **tail = out;
	int rc = str_copy(list, sizeof list, targets);

	*out = NULL;
	for (item = list; rc == FGW_OK && item != NULL; item = rest) {
		rest = strchr(item, ' ');
		if (rest != NULL)
			*rest++ = '\0';
		if (*item == '\0')
			continue;
		rc = audit_syslog_open(item, hostname, tail);
		if (rc == FGW_OK)
			tail = &(*tail)->next;
	}
	if (rc != FGW_OK) {
		audit_syslog_close(*out);
		*out = NULL;
	}
	return rc;
}

void audit_syslog_close(struct audit_syslog *s)
{
	while (s != NULL) {
		struct audit_syslog *next = s->next;
		if (s->fd >= 0)
			(void)close(s->fd);
		free(s);
		s = next;
	}
}

uint64_t audit_syslog_dropped(const struct audit_syslog *s)
{
	uint64_t n = 0;

	for (; s != NULL; s = s->next)
		n += s->dropped;
	return n;
}

/* Formats the RFC 5424 message into s->msg; *len gets its length. The SD
 * parameter values (digits, [a-z_], hex) never need escaping; anything
 * else in type is refused. */
static int format(struct audit_syslog *s, uint64_t seq, const char *type,
		  const char *mac_hex, int64_t time_ms, const char *line,
		  size_t line_len, size_t *len)
{
	char when[AUDIT_TIME_LEN + 1];
	size_t n;
	int rc;

	if (strspn(type, "abcdefghijklmnopqrstuvwxyz_") != strlen(type) || *type == '\0' ||
	    strlen(type) > 32)
		return FGW_ERR_INVALID;
	rc = audit_time_format(time_ms, when, sizeof when);
	if (rc == FGW_OK)
		rc = str_format(s->msg, sizeof s->msg, "<%d>1 %s %s faxgw %ld %s ["
				SYSLOG_ENTERPRISE " seq=\"%llu\" type=\"%s\" mac=\"%.*s\"] ",
				SYSLOG_PRI, when, s->hostname, s->pid, type,
				(unsigned long long)seq, type, AUDIT_HEX_LEN, mac_hex);
	if (rc != FGW_OK)
		return rc;
	n = strlen(s->msg);
	if (sizeof s->msg - n < line_len)
		return FGW_ERR_TOO_LARGE;
	memcpy(s->msg + n, line, line_len);
	*len = n + line_len;
	return FGW_OK;
}

static bool send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Sends the formatted message, with RFC 6587 octet counting over TCP. */
static bool transmit(struct audit_syslog *s, size_t len)
{
	char frame[24];

	if (s->socktype == SOCK_DGRAM)
		return send(s->fd, s->msg, len, MSG_NOSIGNAL) == (ssize_t)len;
	if (str_format(frame, sizeof frame, "%zu ", len) != FGW_OK)
		return false;
	return send_all(s->fd, frame, strlen(frame)) && send_all(s->fd, s->msg, len);
}

static int send_one(struct audit_syslog *s, uint64_t seq, const char *type,
		    const char *mac_hex, int64_t time_ms, const char *line, size_t line_len)
{
	size_t len = 0;
	int rc = format(s, seq, type, mac_hex, time_ms, line, line_len, &len);

	if (rc == FGW_OK && s->fd < 0)
		rc = connect_socket(s);
	if (rc == FGW_OK && !transmit(s, len)) {
		if (!s->warned)
			log_errno("audit syslog: cannot send record %llu to %s",
				  (unsigned long long)seq, s->target);
		s->warned = true;
		/* A half-sent TCP frame desynchronises the stream: start over. */
		(void)close(s->fd);
		s->fd = -1;
		rc = FGW_ERR_IO;
	}
	if (rc != FGW_OK)
		s->dropped++;
	else
		s->warned = false;
	return rc == FGW_OK ? FGW_OK : FGW_ERR_IO;
}

int audit_syslog_send(struct audit_syslog *s, uint64_t seq, const char *type,
		      const char *mac_hex, int64_t time_ms,
		      const char *line, size_t line_len)
{
	int rc = FGW_OK;

	for (; s != NULL; s = s->next)
		if (send_one(s, seq, type, mac_hex, time_ms, line, line_len) != FGW_OK)
			rc = FGW_ERR_IO;
	return rc;
}
