/* UDP sockets of the media path (RTP and UDPTL sessions): binding to an
 * even port of a range, numeric peer addresses, and source checks. */
#ifndef FAXGW_GATEWAY_MEDIA_SOCK_H
#define FAXGW_GATEWAY_MEDIA_SOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "gateway/rtp_session.h"   /* struct media_bind */

/* A socket address with its length. */
struct media_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Parses a numeric IPv4/IPv6 address and a port into *out. Returns 0 or
 * FGW_ERR_INVALID (not numeric, port 0). */
int media_addr_parse(const char *addr, uint16_t port, struct media_addr *out);

/* True when a and b are the same address and port. */
bool media_addr_equal(const struct media_addr *a, const struct media_addr *b);

/* Opens a non-blocking UDP socket bound to an even port of b, trying the
 * even ports from a random one on and skipping busy ones. Returns 0 with
 * *fd and *port, FGW_ERR_INVALID (address not numeric, empty range),
 * FGW_ERR_BUSY (every port taken), FGW_ERR_IO. */
int media_sock_bind(const struct media_bind *b, int *fd, uint16_t *port);

/* Largest datagram media_sock_drain hands over; one byte more than any
 * media packet we accept, so an oversized one shows as len > its limit. */
#define MEDIA_DGRAM_MAX 1501

/* Called for each datagram read: len bytes at buf (len may exceed the
 * caller's own limit: then the datagram was larger), sent from *from.
 * buf and from are valid during the call only. */
typedef void media_dgram_fn(void *arg, const uint8_t *buf, size_t len,
			    const struct media_addr *from);

/* Reads up to max datagrams waiting on the non-blocking socket fd, several
 * per system call (recvmmsg), calling fn for each in order. Stops when the
 * socket is empty or on a read error (left for the next poll). Returns how
 * many were read. */
unsigned media_sock_drain(int fd, unsigned max, media_dgram_fn *fn, void *arg);

#endif
