/* A plain UDP socket on 127.0.0.1 playing the far end of a media test:
 * sends raw datagrams and reads what our sessions send. */
#ifndef FAXGW_TESTS_SUPPORT_UDP_PEER_H
#define FAXGW_TESTS_SUPPORT_UDP_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct udp_peer {
	int fd;
	uint16_t port;              /* where it listens */
};

/* Opens p on an ephemeral port; fails the test on error. */
void udp_peer_open(struct udp_peer *p);

/* Sends buf to 127.0.0.1:port; fails the test unless all of it went. */
void udp_peer_send(struct udp_peer *p, uint16_t port, const uint8_t *buf, size_t len);

/* Waits up to 1 s for a datagram and returns its length; fails the test
 * when none comes. */
size_t udp_peer_recv(struct udp_peer *p, uint8_t *buf, size_t size);

/* True when nothing arrives within ms milliseconds. */
bool udp_peer_idle(struct udp_peer *p, int ms);

void udp_peer_close(struct udp_peer *p);

#endif
