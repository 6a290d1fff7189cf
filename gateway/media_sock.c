/* Media sockets. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/media_sock.h"

int media_port_range_parse(const char *s, uint16_t *lo, uint16_t *hi)
{
	const char *dash = strchr(s, '-');
	char a[8], b[8];
	long long x, y;

	if (dash == NULL || (size_t)(dash - s) >= sizeof a || strlen(dash + 1) >= sizeof b)
		return FGW_ERR_PARSE;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	if (str_copy(b, sizeof b, dash + 1) != 0 || str_to_int(a, 0, 65535, &x) != 0 ||
	    str_to_int(b, 0, 65535, &y) != 0)
		return FGW_ERR_PARSE;
	if (x < 1024 || y > 65534 || x > y || (x == y && x % 2 != 0))
		return FGW_ERR_RANGE;
	*lo = (uint16_t)x;
	*hi = (uint16_t)y;
	return 0;
}

int media_addr_parse(const char *addr, uint16_t port, struct media_addr *out)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_DGRAM};
	struct addrinfo *res;

	memset(out, 0, sizeof *out);
	if (port == 0 || addr == NULL || getaddrinfo(addr, NULL, &hints, &res) != 0)
		return FGW_ERR_INVALID;
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	if (out->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&out->ss)->sin_port = htons(port);
	else if (out->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&out->ss)->sin6_port = htons(port);
	else
		return FGW_ERR_INVALID;
	return 0;
}

bool media_addr_equal(const struct media_addr *a, const struct media_addr *b)
{
	if (a->ss.ss_family != b->ss.ss_family)
		return false;
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)&a->ss, *y = (const void *)&b->ss;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)&a->ss, *y = (const void *)&b->ss;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
	}
	return false;
}

/* Tries to bind fd to port; 0, 1 when the port is busy, or FGW_ERR_IO. */
static int try_port(int fd, struct media_addr *a, uint16_t port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
	if (bind(fd, (struct sockaddr *)&a->ss, a->len) == 0)
		return 0;
	if (errno == EADDRINUSE || errno == EACCES)
		return 1;
	log_errno("media: bind to port %u", port);
	return FGW_ERR_IO;
}

int media_sock_bind(const struct media_bind *b, int *fd, uint16_t *port)
{
	struct media_addr a;
	unsigned first = (b->port_lo + 1u) & ~1u, count, start;
	int rc = FGW_ERR_BUSY;

	*fd = -1;
	if (first > b->port_hi || media_addr_parse(b->address, 1, &a) != 0)
		return FGW_ERR_INVALID;
	count = (b->port_hi - first) / 2 + 1;
	start = arc4random_uniform(count);
	if ((*fd = socket(a.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		log_errno("media: socket");
		return FGW_ERR_IO;
	}
	for (unsigned i = 0; i < count && rc == FGW_ERR_BUSY; i++) {
		uint16_t p = (uint16_t)(first + 2 * ((start + i) % count));
		int r = try_port(*fd, &a, p);
		if (r == 0)
			*port = p;
		rc = r == 0 ? 0 : r == 1 ? FGW_ERR_BUSY : r;
	}
	if (rc != 0) {
		if (rc == FGW_ERR_BUSY)
			log_warn("media: every even port %u-%u of %s is busy (widen [sip] rtp_ports)",
				 b->port_lo, b->port_hi, b->address);
		(void)close(*fd);
		*fd = -1;
	}
	return rc;
}

#define DRAIN_BATCH 8              /* datagrams per recvmmsg: one call is 1-2 a tick */

/* Reads one batch into bufs; returns how many (0: empty or an error). */
static unsigned read_batch(int fd, unsigned want, uint8_t bufs[][MEDIA_DGRAM_MAX],
			   struct media_addr *from, struct mmsghdr *msgs, struct iovec *iov)
{
	int n;

	for (unsigned i = 0; i < want; i++) {
		iov[i] = (struct iovec){.iov_base = bufs[i], .iov_len = MEDIA_DGRAM_MAX};
		from[i].len = sizeof from[i].ss;
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &from[i].ss,
						       .msg_namelen = from[i].len,
						       .msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	/* MSG_DONTWAIT: returns what is there (at least one) or EAGAIN, so an
	 * empty socket costs this one call and no second read. */
	n = recvmmsg(fd, msgs, want, MSG_DONTWAIT, NULL);
	return n > 0 ? (unsigned)n : 0;
}

unsigned media_sock_drain(int fd, unsigned max, media_dgram_fn *fn, void *arg)
{
	uint8_t bufs[DRAIN_BATCH][MEDIA_DGRAM_MAX];
	struct media_addr from[DRAIN_BATCH];
	struct mmsghdr msgs[DRAIN_BATCH];
	struct iovec iov[DRAIN_BATCH];
	unsigned total = 0, want, got;

	do {
		want = max - total < DRAIN_BATCH ? max - total : DRAIN_BATCH;
		got = want > 0 ? read_batch(fd, want, bufs, from, msgs, iov) : 0;
		for (unsigned i = 0; i < got; i++) {
			from[i].len = msgs[i].msg_hdr.msg_namelen;
			fn(arg, bufs[i], msgs[i].msg_len, &from[i]);
		}
		total += got;
	} while (got == want && want > 0);   /* a full batch: there may be more */
	return total;
}
