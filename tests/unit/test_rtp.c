/* RTP header and RFC 4733 event codec. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "gateway/rtp.h"

/* A real PCMU packet header from the asterisk testsuite capture. */
static const uint8_t PCMU_HDR[12] = { 0x80, 0x00, 0x0d, 0x45, 0x00, 0x00, 0x36, 0x10,
				      0x17, 0xcb, 0x30, 0x8c };

Test(rtp, parses_fixed_header)
{
	uint8_t pkt[12 + 160];
	struct rtp_header h;
	const uint8_t *pl;
	size_t n;

	memcpy(pkt, PCMU_HDR, 12);
	memset(pkt + 12, 0xff, 160);
	cr_assert_eq(rtp_parse(pkt, sizeof pkt, &h, &pl, &n), FGW_OK);
	cr_assert_eq(h.pt, 0);
	cr_assert_eq(h.seq, 3397);
	cr_assert_eq(h.timestamp, 13840);
	cr_assert_eq(h.ssrc, 0x17cb308c);
	cr_assert_not(h.marker);
	cr_assert_eq(pl, pkt + 12);
	cr_assert_eq(n, 160);
}

Test(rtp, parses_csrc_extension_and_padding)
{
	uint8_t pkt[] = { 0xb1, 0xe5, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,
			  0xaa, 0xbb, 0xcc, 0xdd,                  /* CSRC */
			  0xbe, 0xde, 0x00, 0x01, 1, 2, 3, 4,      /* extension, 1 word */
			  'x', 'y', 0, 0, 3 };                     /* payload + 3 padding */
	struct rtp_header h;
	const uint8_t *pl;
	size_t n;

	cr_assert_eq(rtp_parse(pkt, sizeof pkt, &h, &pl, &n), FGW_OK);
	cr_assert(h.padding && h.extension && h.marker);
	cr_assert_eq(h.pt, 101);
	cr_assert_eq(h.csrc_count, 1);
	cr_assert_eq(h.csrc[0], 0xaabbccdd);
	cr_assert_eq(h.ext_profile, 0xbede);
	cr_assert_eq(h.ext_len, 4);
	cr_assert_eq(h.padding_len, 3);
	cr_assert_eq(n, 2);
	cr_assert_eq(memcmp(pl, "xy", 2), 0);
}

Test(rtp, refuses_malformed)
{
	uint8_t pkt[16];
	uint8_t big[RTP_MAX_PACKET + 1];
	struct rtp_header h;
	const uint8_t *pl;
	size_t n;

	memcpy(pkt, PCMU_HDR, 12);
	cr_assert_eq(rtp_parse(pkt, 11, &h, &pl, &n), FGW_ERR_TRUNCATED);
	pkt[0] = 0x40;
	cr_assert_eq(rtp_parse(pkt, 12, &h, &pl, &n), FGW_ERR_VERSION);
	pkt[0] = 0x82;                         /* two CSRCs, none there */
	cr_assert_eq(rtp_parse(pkt, 16, &h, &pl, &n), FGW_ERR_TRUNCATED);
	pkt[0] = 0x90;                         /* extension header cut */
	cr_assert_eq(rtp_parse(pkt, 14, &h, &pl, &n), FGW_ERR_TRUNCATED);
	pkt[0] = 0x90;                         /* extension claims 0xffff words */
	pkt[12] = 0; pkt[13] = 0; pkt[14] = 0xff; pkt[15] = 0xff;
	cr_assert_eq(rtp_parse(pkt, 16, &h, &pl, &n), FGW_ERR_TRUNCATED);
	pkt[0] = 0xa0;                         /* padding count 0 */
	pkt[15] = 0;
	cr_assert_eq(rtp_parse(pkt, 16, &h, &pl, &n), FGW_ERR_PARSE);
	pkt[15] = 5;                           /* more padding than payload */
	cr_assert_eq(rtp_parse(pkt, 16, &h, &pl, &n), FGW_ERR_PARSE);
	memset(big, 0, sizeof big);
	big[0] = 0x80;
	cr_assert_eq(rtp_parse(big, sizeof big, &h, &pl, &n), FGW_ERR_TOO_LARGE);
}

Test(rtp, build_parse_round_trip)
{
	struct rtp_header h = { .marker = true, .pt = 8, .seq = 65535, .timestamp = 0xfffffff0,
				.ssrc = 0x01020304, .csrc_count = 2, .csrc = { 7, 9 } };
	struct rtp_header back;
	uint8_t payload[160], buf[RTP_MAX_PACKET];
	const uint8_t *pl;
	size_t len, n;

	memset(payload, 0xd5, sizeof payload);
	cr_assert_eq(rtp_build(&h, payload, sizeof payload, buf, sizeof buf, &len), FGW_OK);
	cr_assert_eq(len, 12 + 8 + 160);
	cr_assert_eq(buf[0], 0x82);
	cr_assert_eq(buf[1], 0x88);
	cr_assert_eq(rtp_parse(buf, len, &back, &pl, &n), FGW_OK);
	cr_assert(back.marker);
	cr_assert_eq(back.pt, 8);
	cr_assert_eq(back.seq, 65535);
	cr_assert_eq(back.timestamp, 0xfffffff0);
	cr_assert_eq(back.ssrc, 0x01020304);
	cr_assert_eq(back.csrc[1], 9);
	cr_assert_eq(n, 160);
	cr_assert_eq(memcmp(pl, payload, n), 0);
}

Test(rtp, build_refuses_bad_fields_and_small_buffers)
{
	struct rtp_header h = { .pt = 128 };
	uint8_t buf[20];
	size_t len;

	cr_assert_eq(rtp_build(&h, NULL, 0, buf, sizeof buf, &len), FGW_ERR_INVALID);
	h.pt = 0;
	h.csrc_count = 16;
	cr_assert_eq(rtp_build(&h, NULL, 0, buf, sizeof buf, &len), FGW_ERR_INVALID);
	h.csrc_count = 0;
	cr_assert_eq(rtp_build(&h, buf, 9, buf, sizeof buf, &len), FGW_ERR_TOO_LARGE);
	cr_assert_eq(rtp_build(&h, buf, 8, buf, sizeof buf, &len), FGW_OK);
	cr_assert_eq(len, 20);
}

Test(rtp, telephone_event_round_trip)
{
	struct rtp_event ev = { .event = 11, .end = true, .volume = 10, .duration = 1280 }, back;
	uint8_t b[RTP_EVENT_SIZE];

	cr_assert_eq(rtp_event_build(&ev, b), FGW_OK);
	cr_assert_eq(b[0], 11);
	cr_assert_eq(b[1], 0x8a);
	cr_assert_eq(b[2], 0x05);
	cr_assert_eq(b[3], 0x00);
	cr_assert_eq(rtp_event_parse(b, sizeof b, &back), FGW_OK);
	cr_assert_eq(back.event, 11);
	cr_assert(back.end);
	cr_assert_eq(back.volume, 10);
	cr_assert_eq(back.duration, 1280);
	cr_assert_eq(rtp_event_digit(back.event), '#');
	cr_assert_eq(rtp_event_digit(10), '*');
	cr_assert_eq(rtp_event_digit(15), 'D');
	cr_assert_eq(rtp_event_digit(32), 0);
}

Test(rtp, telephone_event_refuses_malformed)
{
	struct rtp_event ev = { .volume = 64 };
	uint8_t b[8] = { 0 };

	cr_assert_eq(rtp_event_build(&ev, b), FGW_ERR_INVALID);
	cr_assert_eq(rtp_event_parse(b, 3, &ev), FGW_ERR_TRUNCATED);
	cr_assert_eq(rtp_event_parse(b, 6, &ev), FGW_ERR_PARSE);
	cr_assert_eq(rtp_event_parse(b, 8, &ev), FGW_OK);
}
