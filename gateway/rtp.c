/* RTP header and telephone-event codec; see rtp.h. */
#include <string.h>

#include "common/err.h"
#include "gateway/rtp.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Skips the header extension at pkt[*off]; its length is in 32-bit words. */
static int parse_extension(const uint8_t *pkt, size_t len, size_t *off,
			   struct rtp_header *h)
{
	size_t words;

	if (len - *off < 4)
		return FGW_ERR_TRUNCATED;
	h->ext_profile = get16(pkt + *off);
	words = get16(pkt + *off + 2);
	*off += 4;
	if ((len - *off) / 4 < words)
		return FGW_ERR_TRUNCATED;
	h->ext_len = words * 4;
	*off += h->ext_len;
	return FGW_OK;
}

int rtp_parse(const uint8_t *pkt, size_t len, struct rtp_header *h,
	      const uint8_t **payload, size_t *payload_len)
{
	size_t off, end;
	int rc;

	memset(h, 0, sizeof *h);
	if (len > RTP_MAX_PACKET)
		return FGW_ERR_TOO_LARGE;
	if (len < RTP_HEADER_MIN)
		return FGW_ERR_TRUNCATED;
	if ((pkt[0] >> 6) != RTP_VERSION)
		return FGW_ERR_VERSION;
	h->padding = (pkt[0] & 0x20) != 0;
	h->extension = (pkt[0] & 0x10) != 0;
	h->csrc_count = pkt[0] & 0x0f;
	h->marker = (pkt[1] & 0x80) != 0;
	h->pt = pkt[1] & 0x7f;
	h->seq = get16(pkt + 2);
	h->timestamp = get32(pkt + 4);
	h->ssrc = get32(pkt + 8);
	off = RTP_HEADER_MIN;
	if (len - off < (size_t)h->csrc_count * 4)
		return FGW_ERR_TRUNCATED;
	for (size_t i = 0; i < h->csrc_count; i++, off += 4)
		h->csrc[i] = get32(pkt + off);
	if (h->extension && (rc = parse_extension(pkt, len, &off, h)) != FGW_OK)
		return rc;
	end = len;
	if (h->padding) {
		/* The last byte counts itself, so 0 is impossible. */
		h->padding_len = pkt[len - 1];
		if (h->padding_len == 0 || h->padding_len > len - off)
			return FGW_ERR_PARSE;
		end -= h->padding_len;
	}
	*payload = pkt + off;
	*payload_len = end - off;
	return FGW_OK;
}

int rtp_build(const struct rtp_header *h, const uint8_t *payload,
	      size_t payload_len, uint8_t *buf, size_t size, size_t *out_len)
{
	size_t hlen;

	if (h->pt > 127 || h->csrc_count > RTP_MAX_CSRC)
		return FGW_ERR_INVALID;
	hlen = RTP_HEADER_MIN + (size_t)h->csrc_count * 4;
	if (payload_len > RTP_MAX_PACKET - hlen || hlen + payload_len > size)
		return FGW_ERR_TOO_LARGE;
	buf[0] = (uint8_t)((RTP_VERSION << 6) | h->csrc_count);
	buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
	put16(buf + 2, h->seq);
	put32(buf + 4, h->timestamp);
	put32(buf + 8, h->ssrc);
	for (size_t i = 0; i < h->csrc_count; i++)
		put32(buf + RTP_HEADER_MIN + 4 * i, h->csrc[i]);
	if (payload_len > 0)
		memcpy(buf + hlen, payload, payload_len);
	*out_len = hlen + payload_len;
	return FGW_OK;
}

int rtp_event_parse(const uint8_t *payload, size_t len, struct rtp_event *ev)
{
	memset(ev, 0, sizeof *ev);
	if (len < RTP_EVENT_SIZE)
		return FGW_ERR_TRUNCATED;
	if (len % RTP_EVENT_SIZE != 0)
		return FGW_ERR_PARSE;
	ev->event = payload[0];
	ev->end = (payload[1] & 0x80) != 0;
	ev->volume = payload[1] & 0x3f;
	ev->duration = get16(payload + 2);
	return FGW_OK;
}

int rtp_event_build(const struct rtp_event *ev, uint8_t out[static RTP_EVENT_SIZE])
{
	if (ev->volume > 63)
		return FGW_ERR_INVALID;
	out[0] = ev->event;
	out[1] = (uint8_t)((ev->end ? 0x80 : 0) | ev->volume);
	put16(out + 2, ev->duration);
	return FGW_OK;
}

char rtp_event_digit(uint8_t event)
{
	static const char digits[] = "0123456789*#ABCD";

	return event < 16 ? digits[event] : 0;
}
