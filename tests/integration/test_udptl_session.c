/* UDPTL sessions over real loopback sockets: what we send (redundancy,
 * FEC, the peer's max datagram, copies without EC) read back with the
 * pure parser, and what we receive from this test's own sender with loss,
 * duplicates and reordering: recovered from redundancy and FEC, handed out
 * in sequence order, gaps skipped after a short wait. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "gateway/udptl.h"
#include "gateway/udptl_session.h"
#include "tests/support/udp_peer.h"

/* Sends from the test's peer and lets loopback deliver. */
static void peer_send(struct udp_peer *p, struct udptl_session *s, const uint8_t *buf, size_t len)
{
	udp_peer_send(p, udptl_session_port(s), buf, len);
	usleep(2000);
}

static struct udptl_session *session(void)
{
	struct media_bind b = {"127.0.0.1", 33000, 33999};
	struct udptl_session *s;

	cr_assert_eq(udptl_session_new(&b, &s), FGW_OK);
	return s;
}

static void connect_to(struct udptl_session *s, uint16_t port, enum udptl_session_ec ec,
		       unsigned red, size_t maxd)
{
	struct udptl_session_params p = {.ec = ec, .redundancy = red, .fec_span = 3,
					 .fec_entries = 1, .max_datagram = maxd};

	cr_assert_eq(udptl_session_set_peer(s, "127.0.0.1", port, &p), FGW_OK);
}

/* IFP number k: k+1 bytes of value k, easy to recognise. */
static size_t ifp_of(uint16_t k, uint8_t *buf)
{
	size_t n = (size_t)(k % 50) + 1;

	memset(buf, (int)(k & 0xff), n);
	return n;
}

static void check_ifp(uint16_t k, const uint8_t *buf, size_t len)
{
	uint8_t want[64];
	size_t n = ifp_of(k, want);

	cr_assert_eq(len, n, "IFP %u length", k);
	cr_assert_eq(memcmp(buf, want, n), 0, "IFP %u bytes", k);
}

/* Builds the redundancy datagram for IFP k carrying depth earlier ones. */
static size_t build_red(uint16_t k, unsigned depth, uint8_t *out)
{
	uint8_t bufs[8][64];
	struct udptl_ifp prim, prev[8];
	size_t len, n = 0;

	prim.len = ifp_of(k, bufs[0]);
	prim.data = bufs[0];
	for (; n < depth && n < k; n++) {
		prev[n].len = ifp_of((uint16_t)(k - 1 - n), bufs[n + 1]);
		prev[n].data = bufs[n + 1];
	}
	cr_assert_eq(udptl_build_redundancy(k, prim, prev, n, 1400, out, 1400, &len, NULL), FGW_OK);
	return len;
}

/* Takes every IFP due now; returns how many, checking each is expect++. */
static int take_all(struct udptl_session *s, uint16_t *expect)
{
	uint8_t buf[1400];
	size_t len;
	uint16_t seq;
	int n = 0, rc;

	while ((rc = udptl_session_recv(s, buf, sizeof buf, &len, &seq)) == 1) {
		cr_assert_eq(seq, *expect, "IFP %u handed out, %u expected", seq, *expect);
		check_ifp(seq, buf, len);
		(*expect)++;
		n++;
	}
	cr_assert_eq(rc, 0);
	return n;
}

Test(udptl_session, parameters_are_checked)
{
	struct udptl_session *s = session();
	struct udptl_session_params p = {.ec = UDPTL_SESSION_EC_FEC, .redundancy = 3,
					 .fec_span = 0, .fec_entries = 1, .max_datagram = 400};
	uint8_t ifp[4] = {1, 2, 3, 4};

	cr_assert_eq(udptl_session_port(s) % 2, 0);
	cr_assert_eq(udptl_session_send(s, ifp, 4, 0, 1), FGW_ERR_STATE, "no peer yet");
	cr_assert_eq(udptl_session_set_peer(s, "127.0.0.1", 4000, &p), FGW_ERR_RANGE);
	p.fec_span = 3;
	p.max_datagram = 50;
	cr_assert_eq(udptl_session_set_peer(s, "127.0.0.1", 4000, &p), FGW_ERR_RANGE);
	p.max_datagram = 400;
	p.redundancy = 9;
	cr_assert_eq(udptl_session_set_peer(s, "127.0.0.1", 4000, &p), FGW_ERR_RANGE);
	p.redundancy = 3;
	cr_assert_eq(udptl_session_set_peer(s, "localhost", 4000, &p), FGW_ERR_INVALID);
	cr_assert_eq(udptl_session_set_peer(s, "127.0.0.1", 4000, &p), FGW_OK);
	udptl_session_free(s);
}

/* Each datagram carries the IFP and the three before it (fewer at the
 * start), newest first. */
Test(udptl_session, sends_with_redundancy)
{
	struct udptl_session *s = session();
	struct udp_peer p;

	udp_peer_open(&p);
	connect_to(s, p.port, UDPTL_SESSION_EC_REDUNDANCY, 3, 400);
	for (uint16_t k = 0; k < 6; k++) {
		uint8_t ifp[64], buf[1500];
		struct udptl_packet pk;
		size_t n = ifp_of(k, ifp);

		cr_assert_eq(udptl_session_send(s, ifp, n, k, 3), FGW_OK);
		n = udp_peer_recv(&p, buf, sizeof buf);
		cr_assert_eq(udptl_parse(buf, n, &pk), FGW_OK);
		cr_assert_eq(pk.seq, k);
		check_ifp(k, pk.primary.data, pk.primary.len);
		cr_assert_eq(pk.ec, UDPTL_EC_REDUNDANCY);
		cr_assert_eq(pk.nsecondary, k < 3 ? k : 3);
		for (size_t i = 0; i < pk.nsecondary; i++)
			check_ifp((uint16_t)(k - 1 - i), pk.secondary[i].data, pk.secondary[i].len);
		cr_assert(udp_peer_idle(&p, 20), "one datagram per IFP with redundancy");
	}
	udp_peer_close(&p);
	udptl_session_free(s);
}

/* Big IFPs: the datagram stays within the peer's 100-byte maximum by
 * dropping redundancy; an IFP that cannot fit alone is refused. */
Test(udptl_session, respects_the_peer_max_datagram)
{
	struct udptl_session *s = session();
	struct udptl_session_stats st;
	struct udp_peer p;
	uint8_t ifp[200], buf[1500];
	struct udptl_packet pk;

	udp_peer_open(&p);
	connect_to(s, p.port, UDPTL_SESSION_EC_REDUNDANCY, 3, 100);
	memset(ifp, 0x55, sizeof ifp);
	for (uint16_t k = 0; k < 4; k++) {
		cr_assert_eq(udptl_session_send(s, ifp, 40, k, 1), FGW_OK);
		size_t n = udp_peer_recv(&p, buf, sizeof buf);
		cr_assert_leq(n, 100, "datagram %u is %zu bytes", k, n);
		cr_assert_eq(udptl_parse(buf, n, &pk), FGW_OK);
		cr_assert_leq(pk.nsecondary, 1);
	}
	udptl_session_stats(s, &st);
	cr_assert_geq(st.trimmed, 2);
	cr_assert_eq(udptl_session_send(s, ifp, 150, 4, 1), FGW_ERR_TOO_LARGE);
	udp_peer_close(&p);
	udptl_session_free(s);
}

Test(udptl_session, without_error_correction_sends_the_asked_copies)
{
	struct udptl_session *s = session();
	struct udp_peer p;
	uint8_t ifp[8] = {7}, buf[1500];
	struct udptl_packet pk;

	udp_peer_open(&p);
	connect_to(s, p.port, UDPTL_SESSION_EC_NONE, 3, 400);
	cr_assert_eq(udptl_session_send(s, ifp, 1, 0, 1), FGW_OK);
	cr_assert_eq(udptl_session_send(s, ifp, 1, 1, 3), FGW_OK);
	for (int i = 0; i < 4; i++) {
		size_t n = udp_peer_recv(&p, buf, sizeof buf);
		cr_assert_eq(udptl_parse(buf, n, &pk), FGW_OK);
		cr_assert_eq(pk.seq, i == 0 ? 0 : 1);
		cr_assert_eq(pk.nsecondary, 0);
	}
	cr_assert(udp_peer_idle(&p, 20));
	udp_peer_close(&p);
	udptl_session_free(s);
}

/* FEC with span 3, one entry: the first three datagrams carry redundancy,
 * then parity over the three IFPs before each. */
Test(udptl_session, sends_fec_once_there_is_history)
{
	struct udptl_session *s = session();
	struct udp_peer p;

	udp_peer_open(&p);
	connect_to(s, p.port, UDPTL_SESSION_EC_FEC, 2, 400);
	for (uint16_t k = 0; k < 5; k++) {
		uint8_t ifp[64], buf[1500];
		struct udptl_packet pk;
		size_t n = ifp_of(k, ifp);

		cr_assert_eq(udptl_session_send(s, ifp, n, k, 1), FGW_OK);
		n = udp_peer_recv(&p, buf, sizeof buf);
		cr_assert_eq(udptl_parse(buf, n, &pk), FGW_OK);
		cr_assert_eq(pk.ec, k < 3 ? UDPTL_EC_REDUNDANCY : UDPTL_EC_FEC, "packet %u", k);
		if (k >= 3) {
			cr_assert_eq(pk.fec_span, 3);
			cr_assert_eq(pk.nfec, 1);
		}
	}
	udp_peer_close(&p);
	udptl_session_free(s);
}

/* 0, 2, 1, 1 (again), 3: handed out 0, 1, 2, 3 with the duplicate counted. */
Test(udptl_session, reordered_and_duplicated_ifps_come_out_in_order_once)
{
	struct udptl_session *s = session();
	struct udptl_session_stats st;
	struct udp_peer p;
	uint8_t d[1500];
	uint16_t expect = 0;

	udp_peer_open(&p);
	connect_to(s, p.port, UDPTL_SESSION_EC_NONE, 0, 400);
	peer_send(&p, s, d, build_red(0, 0, d));
	cr_assert_eq(take_all(s, &expect), 1);
	peer_send(&p, s, d, build_red(2, 0, d));
	cr_assert_eq(take_all(s, &expect), 0, "2 waits for 1");
	peer_send(&p, s, d, build_red(1, 0, d));
	peer_send(&p, s, d, build_red(1, 0, d));
	cr_assert_eq(take_all(s, &expect), 2);
	peer_send(&p, s, d, build_red(3, 0, d));
	cr_assert_eq(take_all(s, &expect), 1);
	udptl_session_stats(s, &st);
	cr_assert_eq(st.duplicates, 1);
	cr_assert_eq(st.received, 5);
	udp_peer_close(&p);
	udptl_session_free(s);
}

/* Datagrams 2 and 3 lost: 4's redundancy brings both back. */
Test(udptl_session, lost_ifps_are_recovered_from_redundancy)
{
	struct udptl_session *s = session();
	struct udptl_session_stats st;
	struct udp_peer p;
	uint8_t d[1500];
	uint16_t expect = 0;

	udp_peer_open(&p);
	connect_to(s, p.port, UDPTL_SESSION_EC_REDUNDANCY, 3, 400);
	for (uint16_t k = 0; k < 8; k++)
		if (k != 2 && k != 3)
			peer_send(&p, s, d, build_red(k, 3, d));
	cr_assert_eq(take_all(s, &expect), 8);
	udptl_session_stats(s, &st);
	cr_assert_eq(st.recovered, 2);
	cr_assert_eq(st.skipped, 0);
	udp_peer_close(&p);
	udptl_session_free(s);
}

/* FEC span 3: datagram 4 lost; datagram 5's parity over 2, 3, 4 rebuilds it. */
Test(udptl_session, lost_ifp_is_recovered_from_fec)
{
	struct udptl_session *s = session();
	struct udptl_session_stats st;
	struct udp_peer p;
	uint8_t d[1500], bufs[4][64];
	uint16_t expect = 0;
	struct udptl_ifp prim, hist[3];
	size_t len;

	udp_peer_open(&p);
	connect_to(s, p.port, UDPTL_SESSION_EC_NONE, 0, 400);
	for (uint16_t k = 0; k < 4; k++)
		peer_send(&p, s, d, build_red(k, 0, d));
	cr_assert_eq(take_all(s, &expect), 4);
	/* parity over 2, 3 and 4 (lengths 3, 4, 5) */
	prim.len = ifp_of(5, bufs[0]);
	prim.data = bufs[0];
	for (int i = 0; i < 3; i++) {
		hist[i].len = ifp_of((uint16_t)(4 - i), bufs[i + 1]);
		hist[i].data = bufs[i + 1];
	}
	cr_assert_eq(udptl_build_fec(5, prim, hist, 3, 1, 400, d, sizeof d, &len), FGW_OK);
	peer_send(&p, s, d, len);
	uint8_t buf[1400];
	size_t n;
	uint16_t seq;
	cr_assert_eq(udptl_session_recv(s, buf, sizeof buf, &n, &seq), 1);
	cr_assert_eq(seq, 4);
	/* the parity carries no length: the longest of the group comes back */
	cr_assert_geq(n, hist[0].len);
	cr_assert_eq(memcmp(buf, hist[0].data, hist[0].len), 0);
	for (size_t i = hist[0].len; i < n; i++)
		cr_assert_eq(buf[i], 0);
	cr_assert_eq(udptl_session_recv(s, buf, sizeof buf, &n, &seq), 1);
	cr_assert_eq(seq, 5);
	udptl_session_stats(s, &st);
	cr_assert_eq(st.recovered, 1);
	udp_peer_close(&p);
	udptl_session_free(s);
}

/* Without redundancy a loss cannot be repaired: after two polls of
 * waiting the gap is skipped and the rest flows. */
Test(udptl_session, unrecoverable_gap_is_skipped_after_a_short_wait)
{
	struct udptl_session *s = session();
	struct udptl_session_stats st;
	struct udp_peer p;
	uint8_t d[1500];
	uint16_t expect = 0;

	udp_peer_open(&p);
	connect_to(s, p.port, UDPTL_SESSION_EC_NONE, 0, 400);
	peer_send(&p, s, d, build_red(0, 0, d));
	peer_send(&p, s, d, build_red(2, 0, d));
	cr_assert_eq(take_all(s, &expect), 1);
	cr_assert_eq(take_all(s, &expect), 0);
	expect = 2;
	cr_assert_eq(take_all(s, &expect), 1, "skipped after the wait");
	udptl_session_stats(s, &st);
	cr_assert_eq(st.skipped, 1);
	udp_peer_close(&p);
	udptl_session_free(s);
}

Test(udptl_session, malformed_and_foreign_datagrams_are_dropped)
{
	struct udptl_session *s = session();
	struct udptl_session_stats st;
	struct udp_peer p, other;
	uint8_t d[1500], junk[3] = {0, 1, 0x80};
	uint16_t expect = 0;

	udp_peer_open(&p);
	udp_peer_open(&other);
	connect_to(s, p.port, UDPTL_SESSION_EC_NONE, 0, 400);
	peer_send(&p, s, junk, sizeof junk);
	peer_send(&p, s, d, build_red(0, 0, d));
	peer_send(&other, s, d, build_red(1, 0, d));
	cr_assert_eq(take_all(s, &expect), 1);
	udptl_session_stats(s, &st);
	cr_assert_eq(st.malformed, 1);
	cr_assert_eq(st.foreign, 1);
	cr_assert_eq(st.received, 1);
	udp_peer_close(&p);
	udp_peer_close(&other);
	udptl_session_free(s);
}

/* Two sessions with redundancy: 200 IFPs, every fifth datagram dropped by
 * sending it to nowhere... the sender is ours, so the loss is made by
 * re-pointing the sender at a dead port for that datagram. */
Test(udptl_session, sessions_recover_periodic_loss_end_to_end)
{
	struct udptl_session *a = session(), *b = session();
	struct udptl_session_stats st;
	struct udp_peer sink;
	uint16_t expect = 0;
	int got = 0;

	udp_peer_open(&sink);
	connect_to(b, udptl_session_port(a), UDPTL_SESSION_EC_REDUNDANCY, 3, 400);
	for (uint16_t k = 0; k < 200; k++) {
		uint8_t ifp[64];
		size_t n = ifp_of(k, ifp);
		connect_to(a, k % 5 == 4 ? sink.port : udptl_session_port(b),
			   UDPTL_SESSION_EC_REDUNDANCY, 3, 400);
		cr_assert_eq(udptl_session_send(a, ifp, n, k, 1), FGW_OK);
		if (k % 10 == 9) {
			usleep(2000);
			got += take_all(b, &expect);
		}
	}
	cr_assert_eq(got, 199, "the last IFP is lost with nothing after it");
	udptl_session_stats(b, &st);
	cr_assert_eq(st.recovered, 39);
	cr_assert_eq(st.skipped, 0);
	udp_peer_close(&sink);
	udptl_session_free(a);
	udptl_session_free(b);
}
