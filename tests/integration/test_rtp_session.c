/* RTP sessions over real loopback sockets: ports, the packets we send
 * (sequence, timestamp, SSRC, marker, payload), what we receive through the
 * jitter buffer with loss, duplicates and reordering made by this test's
 * own sender, the symmetric-RTP source check, and RFC 4733 both ways. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "dsp/g711.h"
#include "gateway/rtp.h"
#include "gateway/rtp_session.h"
#include "tests/support/udp_peer.h"

#define LO 31000
#define HI 31999

static struct rtp_session *session(void)
{
	struct media_bind b = {"127.0.0.1", LO, HI};
	struct rtp_session *s;

	cr_assert_eq(rtp_session_new(&b, &s), FGW_OK);
	return s;
}

static void connect_to(struct rtp_session *s, struct udp_peer *p, enum dsp_g711_law law)
{
	struct rtp_session_media m = {.law = law, .pt = law == DSP_G711_ULAW ? 0 : 8,
				      .te_pt = 101, .jitter_max_ms = 100};

	cr_assert_eq(rtp_session_set_peer(s, "127.0.0.1", p->port, &m), FGW_OK);
}

/* Sends an RTP packet of 160 samples of value v from the peer. */
static void send_frame(struct udp_peer *p, struct rtp_session *s, uint16_t seq, uint32_t ts,
		       int16_t v, uint32_t ssrc)
{
	struct rtp_header h = {.pt = 0, .seq = seq, .timestamp = ts, .ssrc = ssrc};
	int16_t pcm[160];
	uint8_t pl[160], pkt[200];
	size_t n;

	for (int i = 0; i < 160; i++)
		pcm[i] = v;
	dsp_g711_encode(DSP_G711_ULAW, pl, pcm, 160);
	cr_assert_eq(rtp_build(&h, pl, sizeof pl, pkt, sizeof pkt, &n), FGW_OK);
	udp_peer_send(p, rtp_session_port(s), pkt, n);
}

/* Lets the kernel deliver what was just sent over loopback. */
static void settle(void)
{
	usleep(5000);
}

Test(rtp_session, port_range_parses_and_refuses_bad_ranges)
{
	uint16_t lo, hi;

	cr_assert_eq(media_port_range_parse("20000-20999", &lo, &hi), FGW_OK);
	cr_assert_eq(lo, 20000);
	cr_assert_eq(hi, 20999);
	cr_assert_eq(media_port_range_parse("20000", &lo, &hi), FGW_ERR_PARSE);
	cr_assert_eq(media_port_range_parse("a-b", &lo, &hi), FGW_ERR_PARSE);
	cr_assert_eq(media_port_range_parse("999-2000", &lo, &hi), FGW_ERR_RANGE);
	cr_assert_eq(media_port_range_parse("3000-2000", &lo, &hi), FGW_ERR_RANGE);
	cr_assert_eq(media_port_range_parse("3001-3001", &lo, &hi), FGW_ERR_RANGE);
}

Test(rtp_session, binds_an_even_port_of_the_range)
{
	struct rtp_session *s = session();

	cr_assert_eq(rtp_session_port(s) % 2, 0);
	cr_assert(rtp_session_port(s) >= LO && rtp_session_port(s) <= HI);
	rtp_session_free(s);
}

/* With two even ports and one taken, the other one is chosen; with both
 * taken, the range is busy. */
Test(rtp_session, busy_ports_are_skipped)
{
	struct media_bind b = {"127.0.0.1", 32100, 32103};
	struct rtp_session *a, *c, *d;

	cr_assert_eq(rtp_session_new(&b, &a), FGW_OK);
	cr_assert_eq(rtp_session_new(&b, &c), FGW_OK);
	cr_assert_neq(rtp_session_port(a), rtp_session_port(c));
	cr_assert_eq(rtp_session_new(&b, &d), FGW_ERR_BUSY);
	cr_assert_null(d);
	rtp_session_free(a);
	rtp_session_free(c);
}

Test(rtp_session, bad_address_and_peer_are_refused)
{
	struct media_bind b = {"not-an-ip", LO, HI};
	struct rtp_session *s;
	struct rtp_session_media m = {.law = DSP_G711_ULAW, .pt = 0, .te_pt = -1,
				      .jitter_max_ms = 100};

	cr_assert_eq(rtp_session_new(&b, &s), FGW_ERR_INVALID);
	s = session();
	cr_assert_eq(rtp_session_set_peer(s, "example.com", 4000, &m), FGW_ERR_INVALID);
	cr_assert_eq(rtp_session_set_peer(s, "127.0.0.1", 0, &m), FGW_ERR_INVALID);
	m.pt = 200;
	cr_assert_eq(rtp_session_set_peer(s, "127.0.0.1", 4000, &m), FGW_ERR_INVALID);
	m.pt = 0;
	m.jitter_max_ms = 900;
	cr_assert_eq(rtp_session_set_peer(s, "127.0.0.1", 4000, &m), FGW_ERR_RANGE);
	rtp_session_free(s);
}

/* 20 ms packets: seq +1, timestamp +160, one SSRC, marker on the first
 * only, the payload the A-law code of what was given. */
Test(rtp_session, sent_packets_have_the_right_header_and_payload)
{
	struct rtp_session *s = session();
	struct udp_peer p;
	int16_t pcm[400];
	uint8_t want[160];
	struct rtp_header h[2];

	udp_peer_open(&p);
	connect_to(s, &p, DSP_G711_ALAW);
	for (int i = 0; i < 400; i++)
		pcm[i] = (int16_t)(8000 * sin(i * 0.3));
	/* 400 samples: two packets now, 80 samples wait for more */
	cr_assert_eq(rtp_session_send_audio(s, pcm, 400), FGW_OK);
	for (int k = 0; k < 2; k++) {
		uint8_t buf[1500];
		const uint8_t *pl;
		size_t n = udp_peer_recv(&p, buf, sizeof buf), pn;

		cr_assert_eq(rtp_parse(buf, n, &h[k], &pl, &pn), FGW_OK);
		cr_assert_eq(h[k].pt, RTP_PT_PCMA);
		cr_assert_eq(pn, 160);
		dsp_g711_encode(DSP_G711_ALAW, want, pcm + 160 * k, 160);
		cr_assert_eq(memcmp(pl, want, 160), 0, "payload of packet %d", k);
	}
	cr_assert(h[0].marker);
	cr_assert_not(h[1].marker);
	cr_assert_eq((uint16_t)(h[1].seq - h[0].seq), 1);
	cr_assert_eq(h[1].timestamp - h[0].timestamp, 160);
	cr_assert_eq(h[1].ssrc, h[0].ssrc);
	cr_assert(udp_peer_idle(&p, 50), "the 80 samples left must wait");
	udp_peer_close(&p);
	rtp_session_free(s);
}

/* Frames come out 40 ms after the first packet; a lost one is concealed
 * (not silence: the PLC repeats the signal), a duplicate and a reordered
 * packet are counted and do not disturb the order. */
Test(rtp_session, receives_through_the_jitter_buffer_with_concealment)
{
	struct rtp_session *s = session();
	struct udp_peer p;
	struct rtp_session_stats st;
	int16_t out[160];
	int16_t expect[8] = {0, 0, 1000, 2000, 0, 4000, 5000, 6000};

	udp_peer_open(&p);
	connect_to(s, &p, DSP_G711_ULAW);
	/* ticks 0..7: frames of value 1000*(k+1) at ts 160k; the third
	 * (k = 2) lost, the fifth arrives twice, the sixth before the fifth */
	for (int k = 0; k < 8; k++) {
		if (k == 4)
			send_frame(&p, s, 5, 800, 6000, 77);
		if (k != 2 && k != 5)
			send_frame(&p, s, (uint16_t)k, 160u * (uint32_t)k, (int16_t)(1000 * (k + 1)), 77);
		if (k == 4)
			send_frame(&p, s, 4, 640, 5000, 77);
		settle();
		cr_assert_eq(rtp_session_recv_audio(s, out, 160), 160);
		if (k == 4) {
			cr_assert_neq(out[80], 0, "the lost frame is filled in, not silent");
			continue;
		}
		int16_t got = out[80];
		int16_t want = expect[k];
		cr_assert(abs(got - want) <= want / 16 + 8, "tick %d: %d, want about %d", k, got, want);
	}
	rtp_session_stats(s, &st);
	cr_assert_eq(st.received, 8);
	cr_assert_eq(st.concealed, 1);
	cr_assert_eq(st.duplicates, 1);
	cr_assert_eq(st.reordered, 1);
	send_frame(&p, s, 4, 640, 5000, 77);          /* long played: late */
	settle();
	rtp_session_recv_audio(s, out, 160);
	rtp_session_stats(s, &st);
	cr_assert_eq(st.late, 1);
	udp_peer_close(&p);
	rtp_session_free(s);
}

Test(rtp_session, duplicate_packets_are_dropped)
{
	struct rtp_session *s = session();
	struct udp_peer p;
	struct rtp_session_stats st;
	int16_t out[160];

	udp_peer_open(&p);
	connect_to(s, &p, DSP_G711_ULAW);
	send_frame(&p, s, 1, 0, 1000, 5);
	send_frame(&p, s, 1, 0, 1000, 5);
	send_frame(&p, s, 2, 160, 1000, 5);
	send_frame(&p, s, 2, 160, 1000, 5);
	settle();
	rtp_session_recv_audio(s, out, 160);
	rtp_session_stats(s, &st);
	cr_assert_eq(st.duplicates, 2);
	udp_peer_close(&p);
	rtp_session_free(s);
}

/* Symmetric RTP: the first packet's source is the peer; another source
 * is dropped, and what we send goes to the learned address. */
Test(rtp_session, learns_the_peer_and_drops_other_sources)
{
	struct rtp_session *s = session();
	struct udp_peer sdp, real, intruder;
	struct rtp_session_stats st;
	int16_t out[160] = {0};
	uint8_t buf[1500];

	udp_peer_open(&sdp);
	udp_peer_open(&real);
	udp_peer_open(&intruder);
	connect_to(s, &sdp, DSP_G711_ULAW);
	send_frame(&real, s, 1, 0, 1000, 5);
	settle();
	rtp_session_recv_audio(s, out, 160);
	send_frame(&intruder, s, 2, 160, 1000, 6);
	settle();
	rtp_session_recv_audio(s, out, 160);
	rtp_session_stats(s, &st);
	cr_assert_eq(st.received, 1);
	cr_assert_eq(st.foreign, 1);
	cr_assert_eq(rtp_session_send_audio(s, out, 160), FGW_OK);
	cr_assert_eq(udp_peer_recv(&real, buf, sizeof buf), 172, "sent to the learned source");
	cr_assert(udp_peer_idle(&sdp, 20), "nothing to the SDP address any more");
	udp_peer_close(&sdp);
	udp_peer_close(&real);
	udp_peer_close(&intruder);
	rtp_session_free(s);
}

Test(rtp_session, malformed_and_foreign_payload_types_are_dropped)
{
	struct rtp_session *s = session();
	struct udp_peer p;
	struct rtp_session_stats st;
	int16_t out[160];
	uint8_t junk[20] = {0x40, 1, 2, 3};        /* version 1 */
	struct rtp_header h = {.pt = 13, .seq = 1, .ssrc = 9};   /* comfort noise */
	uint8_t pkt[64], cn = 40;
	size_t n;

	udp_peer_open(&p);
	connect_to(s, &p, DSP_G711_ULAW);
	udp_peer_send(&p, rtp_session_port(s), junk, sizeof junk);
	cr_assert_eq(rtp_build(&h, &cn, 1, pkt, sizeof pkt, &n), FGW_OK);
	udp_peer_send(&p, rtp_session_port(s), pkt, n);
	settle();
	cr_assert_eq(rtp_session_recv_audio(s, out, 160), 160);
	rtp_session_stats(s, &st);
	cr_assert_eq(st.malformed, 2);
	cr_assert_eq(st.received, 0);
	udp_peer_close(&p);
	rtp_session_free(s);
}

struct digits {
	char got[16];
	size_t n;
};

static void on_digit(void *arg, char digit, uint8_t event)
{
	struct digits *d = arg;

	(void)event;
	if (d->n < sizeof d->got - 1)
		d->got[d->n++] = digit;
}

static void send_event(struct udp_peer *p, struct rtp_session *s, uint16_t seq, uint32_t ts,
		       uint8_t code, uint16_t dur, bool end)
{
	struct rtp_header h = {.pt = 101, .seq = seq, .timestamp = ts, .ssrc = 42,
			       .marker = dur == 160};
	struct rtp_event ev = {.event = code, .end = end, .volume = 10, .duration = dur};
	uint8_t pl[4], pkt[64];
	size_t n;

	cr_assert_eq(rtp_event_build(&ev, pl), FGW_OK);
	cr_assert_eq(rtp_build(&h, pl, 4, pkt, sizeof pkt, &n), FGW_OK);
	udp_peer_send(p, rtp_session_port(s), pkt, n);
}

/* One callback per event: start, updates and three end packets of "4",
 * then "#" (all of it, end packets deduplicated). */
Test(rtp_session, telephone_events_are_reported_once_each)
{
	struct rtp_session *s = session();
	struct udp_peer p;
	struct digits d = {{0}, 0};
	int16_t out[160];

	udp_peer_open(&p);
	connect_to(s, &p, DSP_G711_ULAW);
	rtp_session_on_event(s, on_digit, &d);
	send_event(&p, s, 1, 1000, 4, 160, false);
	send_event(&p, s, 2, 1000, 4, 320, false);
	send_event(&p, s, 3, 1000, 4, 480, true);
	send_event(&p, s, 4, 1000, 4, 480, true);
	send_event(&p, s, 5, 1000, 4, 480, true);
	send_event(&p, s, 6, 2000, 11, 160, false);
	send_event(&p, s, 7, 2000, 11, 320, true);
	send_event(&p, s, 8, 2000, 11, 320, true);
	settle();
	rtp_session_recv_audio(s, out, 160);
	cr_assert_str_eq(d.got, "4#");
	udp_peer_close(&p);
	rtp_session_free(s);
}

/* A digit goes out in place of audio: marker on the first event packet,
 * one timestamp, growing durations, the end three times, then audio. */
Test(rtp_session, digits_are_sent_as_rfc4733_events)
{
	struct rtp_session *s = session();
	struct udp_peer p;
	int16_t pcm[160] = {0};
	uint32_t ts0 = 0;
	int ends = 0, updates = 0;

	udp_peer_open(&p);
	connect_to(s, &p, DSP_G711_ULAW);
	cr_assert_eq(rtp_session_send_digit(s, 'X', 100), FGW_ERR_INVALID);
	cr_assert_eq(rtp_session_send_digit(s, '7', 10), FGW_ERR_INVALID);
	cr_assert_eq(rtp_session_send_digit(s, '7', 100), FGW_OK);
	for (int k = 0; k < 8; k++) {
		uint8_t buf[1500];
		struct rtp_header h;
		struct rtp_event ev;
		const uint8_t *pl;
		size_t pn, n;

		cr_assert_eq(rtp_session_send_audio(s, pcm, 160), FGW_OK);
		n = udp_peer_recv(&p, buf, sizeof buf);
		cr_assert_eq(rtp_parse(buf, n, &h, &pl, &pn), FGW_OK);
		if (k == 7) {
			cr_assert_eq(h.pt, 0, "audio again after the digit");
			cr_assert_eq(h.timestamp - ts0, 7 * 160);
			break;
		}
		cr_assert_eq(h.pt, 101, "packet %d", k);
		cr_assert_eq(rtp_event_parse(pl, pn, &ev), FGW_OK);
		cr_assert_eq(ev.event, 7);
		if (k == 0) {
			ts0 = h.timestamp;
			cr_assert(h.marker);
		} else {
			cr_assert_eq(h.timestamp, ts0, "one timestamp for the event");
			cr_assert_not(h.marker);
		}
		if (ev.end) {
			ends++;
			cr_assert_eq(ev.duration, 800);
		} else {
			updates++;
			cr_assert_eq(ev.duration, 160 * (k + 1));
		}
	}
	cr_assert_eq(ends, 3);
	cr_assert_eq(updates, 4);
	udp_peer_close(&p);
	rtp_session_free(s);
}

Test(rtp_session, digits_need_a_telephone_event_payload_type)
{
	struct rtp_session *s = session();
	struct rtp_session_media m = {.law = DSP_G711_ULAW, .pt = 0, .te_pt = -1,
				      .jitter_max_ms = 100};

	cr_assert_eq(rtp_session_send_digit(s, '1', 100), FGW_ERR_UNSUPPORTED);
	cr_assert_eq(rtp_session_set_peer(s, "127.0.0.1", 4000, &m), FGW_OK);
	cr_assert_eq(rtp_session_send_digit(s, '1', 100), FGW_ERR_UNSUPPORTED);
	rtp_session_free(s);
}

/* Two sessions facing each other: a tone crosses in both laws. */
static void tone_between_sessions(enum dsp_g711_law law)
{
	struct rtp_session *a = session(), *b = session();
	struct rtp_session_media m = {.law = law, .pt = law == DSP_G711_ULAW ? 0 : 8,
				      .te_pt = -1, .jitter_max_ms = 100};
	double energy = 0;

	cr_assert_eq(rtp_session_set_peer(a, "127.0.0.1", rtp_session_port(b), &m), FGW_OK);
	cr_assert_eq(rtp_session_set_peer(b, "127.0.0.1", rtp_session_port(a), &m), FGW_OK);
	for (int k = 0; k < 20; k++) {
		int16_t pcm[160], out[160];
		for (int i = 0; i < 160; i++)
			pcm[i] = (int16_t)(5000 * sin((k * 160 + i) * 2 * M_PI * 1000 / 8000));
		cr_assert_eq(rtp_session_send_audio(a, pcm, 160), FGW_OK);
		settle();
		cr_assert_eq(rtp_session_recv_audio(b, out, 160), 160);
		if (k >= 4)
			for (int i = 0; i < 160; i++)
				energy += (double)out[i] * out[i];
	}
	/* 16 frames of a 5000-peak sine: mean square 12.5e6 */
	cr_assert_gt(energy / (16 * 160), 11e6, "mean square %.0f", energy / (16 * 160));
	rtp_session_free(a);
	rtp_session_free(b);
}

Test(rtp_session, tone_crosses_between_sessions_ulaw) { tone_between_sessions(DSP_G711_ULAW); }
Test(rtp_session, tone_crosses_between_sessions_alaw) { tone_between_sessions(DSP_G711_ALAW); }
