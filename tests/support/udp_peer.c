/* See udp_peer.h. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/udp_peer.h"

void udp_peer_open(struct udp_peer *p)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;

	p->fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(p->fd, 0);
	cr_assert_eq(bind(p->fd, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(getsockname(p->fd, (struct sockaddr *)&a, &len), 0);
	p->port = ntohs(a.sin_port);
}

void udp_peer_send(struct udp_peer *p, uint16_t port, const uint8_t *buf, size_t len)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	cr_assert_eq(sendto(p->fd, buf, len, 0, (struct sockaddr *)&a, sizeof a), (ssize_t)len);
}

size_t udp_peer_recv(struct udp_peer *p, uint8_t *buf, size_t size)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
	ssize_t n;

	cr_assert_eq(poll(&pfd, 1, 1000), 1, "nothing arrived");
	n = recv(p->fd, buf, size, 0);
	cr_assert_gt(n, 0);
	return (size_t)n;
}

bool udp_peer_idle(struct udp_peer *p, int ms)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};

	return poll(&pfd, 1, ms) == 0;
}

void udp_peer_close(struct udp_peer *p)
{
	if (p->fd >= 0)
		(void)close(p->fd);
	p->fd = -1;
}
