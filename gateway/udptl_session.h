/* One T.38 stream of a SIP call over UDPTL (gateway/udptl.h): a UDP socket
 * bound to an even port of [sip] rtp_ports; each IFP sent with earlier ones
 * as redundancy, or with parity FEC, as negotiated, never over the peer's
 * T38FaxMaxDatagram (redundancy goes first); received datagrams deduplicated,
 * lost IFPs recovered from redundancy or FEC, and handed out in sequence
 * order (a gap is waited for briefly, then skipped).
 *
 * No event of its own: the owner's tick calls udptl_session_recv, which
 * drains the socket. Symmetric like RTP: after the peer's first datagram
 * only its source address is accepted and answered. */
#ifndef FAXGW_GATEWAY_UDPTL_SESSION_H
#define FAXGW_GATEWAY_UDPTL_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/rtp_session.h"   /* struct media_bind */

struct udptl_session;

/* Error correction we send with. Reception understands both forms always. */
enum udptl_session_ec {
	UDPTL_SESSION_EC_NONE,
	UDPTL_SESSION_EC_REDUNDANCY,
	UDPTL_SESSION_EC_FEC
};

struct udptl_session_params {
	enum udptl_session_ec ec;
	unsigned redundancy;       /* [sip] t38_redundancy: earlier IFPs, 0..7 */
	unsigned fec_span;         /* FEC: packets per parity entry (1..4) */
	unsigned fec_entries;      /* FEC: parity entries per packet (1..4) */
	size_t max_datagram;       /* the peer's T38FaxMaxDatagram (100..1400) */
};

struct udptl_session_stats {
	uint64_t sent, received;        /* datagrams */
	uint64_t foreign, malformed;    /* dropped */
	uint64_t duplicates;            /* IFPs already had */
	uint64_t recovered;             /* IFPs rebuilt from redundancy or FEC */
	uint64_t skipped;               /* IFPs given up as lost */
	uint64_t trimmed;               /* datagrams sent with less redundancy
					   than asked, to fit max_datagram */
};

/* Binds a socket on an even port of b. Returns 0 and *out
 * (udptl_session_free), FGW_ERR_INVALID, FGW_ERR_BUSY (no free port),
 * FGW_ERR_IO, FGW_ERR_NOMEM. */
int udptl_session_new(const struct media_bind *b, struct udptl_session **out);

/* Returns the bound port (for the SDP). */
uint16_t udptl_session_port(const struct udptl_session *s);

/* Sets the peer (numeric address and port from the SDP) and the error
 * correction. Returns 0, FGW_ERR_INVALID (bad address or port),
 * FGW_ERR_RANGE (a parameter outside the ranges above). */
int udptl_session_set_peer(struct udptl_session *s, const char *addr, uint16_t port,
			   const struct udptl_session_params *p);

/* Sends the IFP of sequence number seq. count is SpanDSP's copy count: with
 * redundancy or FEC one datagram carries the protection, so it is sent
 * once; without, count copies go out. Returns 0, FGW_ERR_TOO_LARGE (the IFP
 * alone exceeds max_datagram), FGW_ERR_STATE (no peer yet), FGW_ERR_IO. */
int udptl_session_send(struct udptl_session *s, const uint8_t *ifp, size_t len,
		       uint16_t seq, int count);

/* Drains the socket, then takes the next IFP in sequence order into buf
 * (max bytes), its length in *len and sequence number in *seq. Returns 1
 * when one was taken, 0 when none is due, FGW_ERR_TOO_LARGE if it does not
 * fit (it is dropped). */
int udptl_session_recv(struct udptl_session *s, uint8_t *buf, size_t max,
		       size_t *len, uint16_t *seq);

/* Copies the counters to *out. */
void udptl_session_stats(const struct udptl_session *s, struct udptl_session_stats *out);

/* Closes the socket and frees s; NULL allowed. */
void udptl_session_free(struct udptl_session *s);

#endif
