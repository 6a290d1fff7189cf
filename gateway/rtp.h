/* RTP (RFC 3550) fixed header and RFC 4733 telephone-event payloads: pure
 * parse/build over caller-owned buffers, no state, so the media path, the
 * tests and the fuzzer share one decoder. */
#ifndef FAXGW_GATEWAY_RTP_H
#define FAXGW_GATEWAY_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_VERSION 2
#define RTP_HEADER_MIN 12        /* fixed header without CSRCs */
#define RTP_MAX_CSRC 15
#define RTP_MAX_PACKET 1500      /* one Ethernet MTU: larger is refused */
#define RTP_EVENT_SIZE 4         /* one RFC 4733 event block */

#define RTP_PT_PCMU 0
#define RTP_PT_PCMA 8

struct rtp_header {
	bool padding;
	bool extension;
	bool marker;
	uint8_t csrc_count;
	uint8_t pt;                  /* 0..127 */
	uint16_t seq;
	uint32_t timestamp;
	uint32_t ssrc;
	uint32_t csrc[RTP_MAX_CSRC];
	uint16_t ext_profile;        /* when extension: the profile word */
	size_t ext_len;              /* when extension: its data bytes */
	size_t padding_len;          /* when padding: bytes removed at the end */
};

/* Parses the RTP packet pkt (len bytes) into *h and points *payload into
 * pkt at the payload (padding and extension excluded, *payload_len bytes;
 * may be 0). Returns 0, FGW_ERR_TRUNCATED (shorter than its header says),
 * FGW_ERR_VERSION (not version 2), FGW_ERR_PARSE (bad padding count) or
 * FGW_ERR_TOO_LARGE (over RTP_MAX_PACKET). */
int rtp_parse(const uint8_t *pkt, size_t len, struct rtp_header *h,
	      const uint8_t **payload, size_t *payload_len);

/* Writes h (its CSRCs; no extension, no padding: those fields are ignored)
 * followed by the payload into buf (size bytes); *out_len gets the packet
 * length. Returns 0, FGW_ERR_INVALID (pt > 127, csrc_count > 15) or
 * FGW_ERR_TOO_LARGE (buf too small or over RTP_MAX_PACKET). */
int rtp_build(const struct rtp_header *h, const uint8_t *payload,
	      size_t payload_len, uint8_t *buf, size_t size, size_t *out_len);

/* One RFC 4733 event: DTMF 0-9 are events 0-9, '*' 10, '#' 11, A-D 12-15. */
struct rtp_event {
	uint8_t event;
	bool end;
	uint8_t volume;              /* 0..63, -dBm0 */
	uint16_t duration;           /* timestamp units */
};

/* Parses the first event block of a telephone-event payload (len bytes, a
 * non-zero multiple of 4). Returns 0, FGW_ERR_TRUNCATED or FGW_ERR_PARSE
 * (length not a multiple of 4). The reserved bit is ignored as the RFC says. */
int rtp_event_parse(const uint8_t *payload, size_t len, struct rtp_event *ev);

/* Encodes ev into out. Returns 0, or FGW_ERR_INVALID (volume > 63). */
int rtp_event_build(const struct rtp_event *ev, uint8_t out[static RTP_EVENT_SIZE]);

/* Returns the DTMF character of a telephone-event code ("0".."9", '*', '#',
 * 'A'..'D'), or 0 for other events (fax tones, flash). */
char rtp_event_digit(uint8_t event);

#endif
