/* UDPTL (T.38 Annex D) codec: exact bytes, limits, redundancy, FEC. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "gateway/udptl.h"

static struct udptl_ifp ifp(const void *p, size_t n)
{
	return (struct udptl_ifp){ p, n };
}

Test(udptl, builds_exact_redundancy_bytes)
{
	const uint8_t p0[] = { 0x06, 0x00 }, p1[] = { 0x04, 0x01, 0x02 }, p2[] = { 0x00 };
	struct udptl_ifp prev[] = { ifp(p1, 3), ifp(p2, 1) };
	const uint8_t want[] = { 0x01, 0x02, 0x02, 0x06, 0x00, 0x00, 0x02,
				 0x03, 0x04, 0x01, 0x02, 0x01, 0x00 };
	uint8_t buf[64];
	size_t len, kept;

	cr_assert_eq(udptl_build_redundancy(0x0102, ifp(p0, 2), prev, 2, 400, buf, sizeof buf,
					    &len, &kept), FGW_OK);
	cr_assert_eq(kept, 2);
	cr_assert_eq(len, sizeof want);
	cr_assert_eq(memcmp(buf, want, len), 0);
}

Test(udptl, parses_redundancy_packet)
{
	const uint8_t pkt[] = { 0x01, 0x02, 0x02, 0x06, 0x00, 0x00, 0x02,
				0x03, 0x04, 0x01, 0x02, 0x01, 0x00 };
	struct udptl_packet p;

	cr_assert_eq(udptl_parse(pkt, sizeof pkt, &p), FGW_OK);
	cr_assert_eq(p.seq, 0x0102);
	cr_assert_eq(p.ec, UDPTL_EC_REDUNDANCY);
	cr_assert_eq(p.primary.len, 2);
	cr_assert_eq(p.primary.data, pkt + 3);
	cr_assert_eq(p.nsecondary, 2);
	cr_assert_eq(p.secondary[0].len, 3);
	cr_assert_eq(p.secondary[0].data[2], 0x02);
	cr_assert_eq(p.secondary[1].len, 1);
}

Test(udptl, long_ifp_uses_two_byte_length)
{
	uint8_t big[200], buf[300];
	struct udptl_packet p;
	size_t len;

	memset(big, 0x5a, sizeof big);
	cr_assert_eq(udptl_build_redundancy(7, ifp(big, 200), NULL, 0, 300, buf, sizeof buf,
					    &len, NULL), FGW_OK);
	cr_assert_eq(buf[2], 0x80);
	cr_assert_eq(buf[3], 200);
	cr_assert_eq(len, 2 + 2 + 200 + 1 + 1);
	cr_assert_eq(udptl_parse(buf, len, &p), FGW_OK);
	cr_assert_eq(p.primary.len, 200);
	cr_assert_eq(p.nsecondary, 0);
}

Test(udptl, max_datagram_drops_oldest_secondaries)
{
	uint8_t a[40], buf[400];
	struct udptl_ifp prev[4] = { ifp(a, 40), ifp(a, 40), ifp(a, 40), ifp(a, 40) };
	struct udptl_packet p;
	size_t len, kept;

	memset(a, 1, sizeof a);
	/* 2 + 41 + 1 + 1 = 45 bytes, each secondary 41 more: 127 bytes fit two. */
	cr_assert_eq(udptl_build_redundancy(1, ifp(a, 40), prev, 4, 127, buf, sizeof buf,
					    &len, &kept), FGW_OK);
	cr_assert_eq(kept, 2);
	cr_assert_eq(len, 127);
	cr_assert_eq(udptl_parse(buf, len, &p), FGW_OK);
	cr_assert_eq(p.nsecondary, 2);
	cr_assert_eq(udptl_build_redundancy(1, ifp(a, 40), prev, 4, 44, buf, sizeof buf,
					    &len, &kept), FGW_ERR_TOO_LARGE);
	cr_assert_eq(udptl_build_redundancy(1, ifp(a, 0), prev, 4, 400, buf, sizeof buf,
					    &len, &kept), FGW_ERR_INVALID);
}

Test(udptl, absent_history_ends_the_redundancy)
{
	const uint8_t a[] = { 9 };
	struct udptl_ifp prev[3] = { ifp(a, 1), ifp(NULL, 0), ifp(a, 1) };
	uint8_t buf[64];
	size_t len, kept;

	cr_assert_eq(udptl_build_redundancy(1, ifp(a, 1), prev, 3, 400, buf, sizeof buf,
					    &len, &kept), FGW_OK);
	cr_assert_eq(kept, 1);
}

Test(udptl, refuses_malformed_packets)
{
	struct udptl_packet p;
	const uint8_t truncated[] = { 0, 1, 5, 1, 2 };
	const uint8_t fragmented[] = { 0, 1, 0xc1, 1 };
	const uint8_t empty_primary[] = { 0, 1, 0, 0, 0 };
	const uint8_t trailing[] = { 0, 1, 1, 6, 0, 0, 0xee };
	const uint8_t no_ec[] = { 0, 1, 1, 6 };
	const uint8_t cut_secondary[] = { 0, 1, 1, 6, 0, 1, 4, 1 };
	const uint8_t fec_span0[] = { 0, 1, 1, 6, 0x80, 1, 0, 0 };
	const uint8_t fec_len2[] = { 0, 1, 1, 6, 0x80, 2, 0, 1, 0 };
	uint8_t many[64] = { 0, 1, 1, 6, 0, 17 };
	uint8_t big[UDPTL_MAX_DATAGRAM + 1] = { 0 };

	cr_assert_eq(udptl_parse(truncated, 1, &p), FGW_ERR_TRUNCATED);
	cr_assert_eq(udptl_parse(truncated, sizeof truncated, &p), FGW_ERR_TRUNCATED);
	cr_assert_eq(udptl_parse(fragmented, sizeof fragmented, &p), FGW_ERR_PARSE);
	cr_assert_eq(udptl_parse(empty_primary, sizeof empty_primary, &p), FGW_ERR_PARSE);
	cr_assert_eq(udptl_parse(trailing, sizeof trailing, &p), FGW_ERR_PARSE);
	cr_assert_eq(udptl_parse(no_ec, sizeof no_ec, &p), FGW_ERR_TRUNCATED);
	cr_assert_eq(udptl_parse(cut_secondary, sizeof cut_secondary, &p), FGW_ERR_TRUNCATED);
	cr_assert_eq(udptl_parse(fec_span0, sizeof fec_span0, &p), FGW_ERR_PARSE);
	cr_assert_eq(udptl_parse(fec_len2, sizeof fec_len2, &p), FGW_ERR_PARSE);
	cr_assert_eq(udptl_parse(many, sizeof many, &p), FGW_ERR_TOO_LARGE);
	cr_assert_eq(udptl_parse(big, sizeof big, &p), FGW_ERR_TOO_LARGE);
}

/* Six earlier IFPs of equal length, FEC span 3 over 2 entries. */
static void fec_fixture(uint8_t hist_data[6][4], struct udptl_ifp hist[6])
{
	for (int i = 0; i < 6; i++) {
		for (int j = 0; j < 4; j++)
			hist_data[i][j] = (uint8_t)(0x10 * (i + 1) + j);
		hist[i] = ifp(hist_data[i], 4);
	}
}

Test(udptl, fec_packet_round_trip_and_exact_header)
{
	uint8_t hd[6][4], buf[128];
	struct udptl_ifp hist[6];
	const uint8_t prim[] = { 0x02, 0x40 };
	struct udptl_packet p;
	size_t len;

	fec_fixture(hd, hist);
	cr_assert_eq(udptl_build_fec(100, ifp(prim, 2), hist, 3, 2, 400, buf, sizeof buf, &len), FGW_OK);
	/* seq, primary, choice 0x80, span as INTEGER (len 1, value 3), 2 entries */
	cr_assert_eq(buf[5], 0x80);
	cr_assert_eq(buf[6], 1);
	cr_assert_eq(buf[7], 3);
	cr_assert_eq(buf[8], 2);
	cr_assert_eq(len, 2 + 3 + 1 + 2 + 1 + 2 * 5);
	cr_assert_eq(udptl_parse(buf, len, &p), FGW_OK);
	cr_assert_eq(p.ec, UDPTL_EC_FEC);
	cr_assert_eq(p.fec_span, 3);
	cr_assert_eq(p.nfec, 2);
	/* entry 0 covers seq 94, 96, 98 = hist[5], hist[3], hist[1] */
	cr_assert_eq(p.fec[0].data[0], 0x60 ^ 0x40 ^ 0x20);
	cr_assert_eq(p.fec[1].data[0], 0x50 ^ 0x30 ^ 0x10);
}

Test(udptl, fec_recovers_any_single_loss_in_a_group)
{
	uint8_t hd[6][4], buf[128], out[64];
	struct udptl_ifp hist[6], known[6];
	const uint8_t prim[] = { 0x02 };
	struct udptl_packet p;
	size_t len, n;

	fec_fixture(hd, hist);
	cr_assert_eq(udptl_build_fec(100, ifp(prim, 1), hist, 3, 2, 400, buf, sizeof buf, &len), FGW_OK);
	cr_assert_eq(udptl_parse(buf, len, &p), FGW_OK);
	for (int lost = 0; lost < 6; lost++) {
		memcpy(known, hist, sizeof known);
		known[lost] = ifp(NULL, 0);
		cr_assert_eq(udptl_fec_recover(&p, (uint16_t)(99 - lost), known, 6, out, sizeof out, &n),
			     FGW_OK, "seq %d", 99 - lost);
		cr_assert_eq(n, 4);
		cr_assert_eq(memcmp(out, hd[lost], 4), 0, "seq %d", 99 - lost);
	}
}

Test(udptl, fec_cannot_recover_two_losses_in_a_group_or_outside_it)
{
	uint8_t hd[6][4], buf[128], out[64];
	struct udptl_ifp hist[6], known[6];
	const uint8_t prim[] = { 0x02 };
	struct udptl_packet p, red;
	size_t len, n;

	fec_fixture(hd, hist);
	cr_assert_eq(udptl_build_fec(100, ifp(prim, 1), hist, 3, 2, 400, buf, sizeof buf, &len), FGW_OK);
	cr_assert_eq(udptl_parse(buf, len, &p), FGW_OK);
	memcpy(known, hist, sizeof known);
	known[1] = known[3] = ifp(NULL, 0);             /* seq 98 and 96: same group */
	cr_assert_eq(udptl_fec_recover(&p, 98, known, 6, out, sizeof out, &n), FGW_ERR_NOT_FOUND);
	cr_assert_eq(udptl_fec_recover(&p, 97, known, 6, out, sizeof out, &n), FGW_OK, "other group");
	cr_assert_eq(udptl_fec_recover(&p, 93, hist, 6, out, sizeof out, &n), FGW_ERR_NOT_FOUND);
	cr_assert_eq(udptl_fec_recover(&p, 100, hist, 6, out, sizeof out, &n), FGW_ERR_NOT_FOUND);
	cr_assert_eq(udptl_fec_recover(&p, 99, hist, 6, out, 3, &n), FGW_ERR_TOO_LARGE);
	memset(&red, 0, sizeof red);
	cr_assert_eq(udptl_fec_recover(&red, 99, hist, 6, out, sizeof out, &n), FGW_ERR_INVALID);
}

Test(udptl, fec_recovery_of_shorter_ifp_is_zero_padded)
{
	const uint8_t a[] = { 1, 2, 3, 4 }, b[] = { 9 };
	struct udptl_ifp hist[2] = { ifp(a, 4), ifp(b, 1) }, known[2];
	const uint8_t prim[] = { 0x02 };
	uint8_t buf[64], out[8];
	struct udptl_packet p;
	size_t len, n;

	cr_assert_eq(udptl_build_fec(10, ifp(prim, 1), hist, 2, 1, 400, buf, sizeof buf, &len), FGW_OK);
	cr_assert_eq(udptl_parse(buf, len, &p), FGW_OK);
	known[0] = hist[0];
	known[1] = ifp(NULL, 0);
	cr_assert_eq(udptl_fec_recover(&p, 8, known, 2, out, sizeof out, &n), FGW_OK);
	cr_assert_eq(n, 4);
	cr_assert_eq(out[0], 9);
	cr_assert_eq(out[1] | out[2] | out[3], 0);
}

Test(udptl, fec_build_refuses_bad_arguments)
{
	const uint8_t a[] = { 1 };
	struct udptl_ifp hist[2] = { ifp(a, 1), ifp(NULL, 0) };
	uint8_t buf[64];
	size_t len;

	cr_assert_eq(udptl_build_fec(1, ifp(a, 1), hist, 2, 1, 400, buf, sizeof buf, &len), FGW_ERR_INVALID);
	cr_assert_eq(udptl_build_fec(1, ifp(a, 1), hist, 0, 1, 400, buf, sizeof buf, &len), FGW_ERR_INVALID);
	cr_assert_eq(udptl_build_fec(1, ifp(a, 1), hist, 1, 0, 400, buf, sizeof buf, &len), FGW_ERR_INVALID);
	cr_assert_eq(udptl_build_fec(1, ifp(a, 1), hist, 1, 1, 9, buf, sizeof buf, &len), FGW_ERR_TOO_LARGE);
	cr_assert_eq(udptl_build_fec(1, ifp(a, 1), hist, 1, 1, 10, buf, sizeof buf, &len), FGW_OK);
}
