/* One RTP audio stream of a SIP call: a UDP socket bound to an even port of
 * [sip] rtp_ports, 20 ms G.711 packets out (sequence, timestamp, SSRC and
 * marker as RFC 3550 wants), packets in through an adaptive jitter buffer
 * (gateway/jitter.h) with SpanDSP's packet-loss concealment, RFC 4733
 * telephone-events both ways.
 *
 * No event of its own: the owner's 20 ms tick calls rtp_session_recv_audio,
 * which first drains the socket, and rtp_session_send_audio. Symmetric RTP:
 * packets are sent to the address the SDP gave until the peer's first
 * packet arrives; from then on only that source address is accepted and
 * answered (others are dropped and counted). RTCP is not sent or read: the
 * port above the RTP port is not bound, and peers cope (RFC 3550 makes
 * RTCP reports advisory, and fax calls are short). */
#ifndef FAXGW_GATEWAY_RTP_SESSION_H
#define FAXGW_GATEWAY_RTP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsp/g711.h"

struct rtp_session;

/* Where to bind: the numeric address ([sip] rtp_address, or the SIP
 * listen host) and the port range ([sip] rtp_ports, see
 * media_port_range_parse). */
struct media_bind {
	const char *address;
	uint16_t port_lo, port_hi;
};

/* Parses "LO-HI" (1024 <= LO <= HI <= 65534, at least one even port) into
 * *lo and *hi. Returns 0 or FGW_ERR_PARSE / FGW_ERR_RANGE. */
int media_port_range_parse(const char *s, uint16_t *lo, uint16_t *hi);

/* What the SDP offer/answer settled for the stream. */
struct rtp_session_media {
	enum dsp_g711_law law;     /* PCMU or PCMA */
	uint8_t pt;                /* its payload type (0 or 8 normally) */
	int te_pt;                 /* telephone-event payload type, -1: none */
	unsigned jitter_max_ms;    /* [sip] jitter_max_ms (40..500) */
};

/* A digit (or other telephone-event) received; called from inside
 * rtp_session_recv_audio, once per event (end packets deduplicated).
 * digit is 0 for events that are not DTMF (then see event). */
typedef void rtp_event_fn(void *arg, char digit, uint8_t event);

struct rtp_session_stats {
	uint64_t sent, received;        /* RTP packets */
	uint64_t foreign;               /* dropped: from another address */
	uint64_t malformed;             /* dropped: not RTP, wrong payload type */
	uint64_t events;                /* telephone-events reported */
	uint64_t concealed;             /* frames filled in by the PLC */
	uint64_t late, duplicates, reordered, restarts;  /* jitter buffer */
	unsigned delay_ms;              /* current playout delay */
};

/* Binds a socket on an even port of b (busy ones skipped, starting at a
 * random one). Returns 0 and *out (rtp_session_free), FGW_ERR_INVALID (bad
 * address), FGW_ERR_BUSY (no free port in the range), FGW_ERR_IO,
 * FGW_ERR_NOMEM. */
int rtp_session_new(const struct media_bind *b, struct rtp_session **out);

/* Returns the bound port (for the SDP). */
uint16_t rtp_session_port(const struct rtp_session *s);

/* Sets where to send (numeric address and port from the SDP) and the
 * codec; may be called again on a re-INVITE (the learned peer is then
 * forgotten). Returns 0, FGW_ERR_INVALID (bad address, port 0, pt > 127,
 * te_pt > 127) or FGW_ERR_RANGE (jitter_max_ms), FGW_ERR_NOMEM. */
int rtp_session_set_peer(struct rtp_session *s, const char *addr, uint16_t port,
			 const struct rtp_session_media *m);

/* Sets the telephone-event callback (NULL: events are counted only). */
void rtp_session_on_event(struct rtp_session *s, rtp_event_fn *fn, void *arg);

/* Sends n samples (a multiple of 160 is usual; the rest waits for the next
 * call) as 20 ms packets. While a digit is being sent, its event packets
 * go out instead. Before set_peer the audio is dropped. Returns 0, or
 * FGW_ERR_IO when the socket refuses (the packet is lost, as on a network). */
int rtp_session_send_audio(struct rtp_session *s, const int16_t *samples, size_t n);

/* Drains the socket into the jitter buffer, then writes one 20 ms frame
 * (received, concealed, or silence before the first packet) into samples.
 * Returns 160, or 0 when max < 160. */
size_t rtp_session_recv_audio(struct rtp_session *s, int16_t *samples, size_t max);

/* Drains the socket and drops what is there (the line is on T.38). */
void rtp_session_discard(struct rtp_session *s);

/* Queues the DTMF digit ('0'-'9', '*', '#', 'A'-'D') to go out as an RFC
 * 4733 event of ms milliseconds (40..1000) in place of audio. Returns 0,
 * FGW_ERR_INVALID (no such digit, bad duration), FGW_ERR_UNSUPPORTED (the
 * peer took no telephone-event), FGW_ERR_BUSY (8 digits queued already). */
int rtp_session_send_digit(struct rtp_session *s, char digit, unsigned ms);

/* Copies the counters to *out. */
void rtp_session_stats(const struct rtp_session *s, struct rtp_session_stats *out);

/* Closes the socket and frees s; NULL allowed. */
void rtp_session_free(struct rtp_session *s);

#endif
