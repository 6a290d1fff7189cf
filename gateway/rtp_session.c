/* An RTP G.711 stream on one UDP socket, polled by the call's tick. */
#include <errno.h>
#include <spandsp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/jitter.h"
#include "gateway/media_sock.h"
#include "gateway/rtp.h"
#include "gateway/rtp_session.h"

#define FRAME 160                  /* samples per packet we send: 20 ms */
#define JITTER_START_MS 40
#define DRAIN_MAX 64               /* datagrams read per poll: bounds one call's turn */
#define DIGITS_MAX 8
#define END_COPIES 3               /* RFC 4733 2.5.1.4: the end packet thrice */
#define DIGIT_GAP_FRAMES 3         /* audio between two digits we send */
#define EVENT_VOLUME 10            /* -10 dBm0 */

struct digit_tx {
	uint8_t event;
	uint32_t total;                /* duration in samples */
};

struct rtp_session {
	int fd;
	uint16_t port;
	bool have_peer, learned;
	struct media_addr peer;
	struct rtp_session_media m;
	/* sending */
	uint32_t ssrc, ts;
	uint16_t seq;
	bool first_sent;
	int16_t pending[FRAME];
	size_t npending;
	struct digit_tx digits[DIGITS_MAX];
	unsigned ndigits;
	bool ev_active;
	uint32_t ev_ts, ev_dur;
	unsigned ev_ends, gap;
	/* receiving */
	struct jitter *jb;
	plc_state_t *plc;
	int16_t history[PLC_HISTORY_LEN];  /* the last real audio given out */
	bool in_gap;
	rtp_event_fn *on_event;
	void *event_arg;
	bool ev_seen;
	uint32_t ev_seen_ts, ev_seen_ssrc;
	struct rtp_session_stats st;
};

int rtp_session_new(const struct media_bind *b, struct rtp_session **out)
{
	struct rtp_session *s;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return FGW_ERR_NOMEM;
	if ((s->plc = plc_init(NULL)) == NULL) {
		free(s);
		return FGW_ERR_NOMEM;
	}
	if ((rc = media_sock_bind(b, &s->fd, &s->port)) != 0) {
		plc_free(s->plc);
		free(s);
		return rc;
	}
	/* Random SSRC, sequence and timestamp origins (RFC 3550 5.1). */
	s->ssrc = arc4random();
	s->seq = (uint16_t)arc4random();
	s->ts = arc4random();
	*out = s;
	return 0;
}

uint16_t rtp_session_port(const struct rtp_session *s)
{
	return s->port;
}

static bool same_media(const struct rtp_session_media *a, const struct rtp_session_media *b)
{
	return a->law == b->law && a->pt == b->pt && a->te_pt == b->te_pt &&
	       a->jitter_max_ms == b->jitter_max_ms;
}

int rtp_session_set_peer(struct rtp_session *s, const char *addr, uint16_t port,
			 const struct rtp_session_media *m)
{
	struct media_addr a;
	struct jitter *jb = NULL;
	int rc;

	if (m->pt > 127 || m->te_pt > 127 || media_addr_parse(addr, port, &a) != 0)
		return FGW_ERR_INVALID;
	/* A session refresh repeats the same SDP: nothing may change then. */
	if (s->have_peer && media_addr_equal(&a, &s->peer) && same_media(m, &s->m))
		return 0;
	if (s->jb == NULL || m->jitter_max_ms != s->m.jitter_max_ms) {
		if ((rc = jitter_new(JITTER_START_MS, m->jitter_max_ms, &jb)) != 0)
			return rc;
		jitter_free(s->jb);
		s->jb = jb;
	}
	if (!s->have_peer || !media_addr_equal(&a, &s->peer))
		s->learned = false;
	s->peer = a;
	s->m = *m;
	s->have_peer = true;
	return 0;
}

void rtp_session_on_event(struct rtp_session *s, rtp_event_fn *fn, void *arg)
{
	s->on_event = fn;
	s->event_arg = arg;
}

/* ---- sending ---- */

static int send_packet(struct rtp_session *s, uint8_t pt, bool marker, uint32_t ts,
		       const uint8_t *payload, size_t len)
{
	struct rtp_header h = {.marker = marker, .pt = pt, .seq = s->seq++,
			       .timestamp = ts, .ssrc = s->ssrc};
	uint8_t pkt[RTP_HEADER_MIN + FRAME];
	size_t n;
	int rc;

	if ((rc = rtp_build(&h, payload, len, pkt, sizeof pkt, &n)) != 0)
		return rc;
	if (sendto(s->fd, pkt, n, 0, (struct sockaddr *)&s->peer.ss, s->peer.len) < 0) {
		log_debug("rtp %u: send: %s", s->port, strerror(errno));
		return FGW_ERR_IO;
	}
	s->st.sent++;
	return 0;
}

/* One event packet in place of this frame's audio; the end goes out
 * END_COPIES times, then a short gap of audio before the next digit. */
static int send_event_frame(struct rtp_session *s)
{
	struct rtp_event ev = {.event = s->digits[0].event, .volume = EVENT_VOLUME};
	uint8_t pl[RTP_EVENT_SIZE];
	bool start = s->ev_dur == 0;
	int rc;

	if (s->ev_dur < s->digits[0].total)
		s->ev_dur += FRAME;
	ev.duration = (uint16_t)s->ev_dur;
	ev.end = s->ev_dur >= s->digits[0].total;
	if ((rc = rtp_event_build(&ev, pl)) != 0)
		return rc;
	rc = send_packet(s, (uint8_t)s->m.te_pt, start, s->ev_ts, pl, sizeof pl);
	if (ev.end && ++s->ev_ends == END_COPIES) {
		memmove(&s->digits[0], &s->digits[1], (s->ndigits - 1) * sizeof s->digits[0]);
		s->ndigits--;
		s->ev_active = false;
		s->gap = DIGIT_GAP_FRAMES;
	}
	return rc;
}

static int send_frame(struct rtp_session *s, const int16_t *samples)
{
	uint8_t pl[FRAME];
	int rc;

	if (!s->ev_active && s->ndigits > 0 && s->gap == 0) {
		s->ev_active = true;
		s->ev_ts = s->ts;
		s->ev_dur = 0;
		s->ev_ends = 0;
	}
	if (s->ev_active) {
		rc = send_event_frame(s);
	} else {
		if (s->gap > 0)
			s->gap--;
		dsp_g711_encode(s->m.law, pl, samples, FRAME);
		rc = send_packet(s, s->m.pt, !s->first_sent, s->ts, pl, FRAME);
		s->first_sent = true;
	}
	s->ts += FRAME;
	return rc;
}

int rtp_session_send_audio(struct rtp_session *s, const int16_t *samples, size_t n)
{
	int rc = 0;

	while (n > 0) {
		size_t take = FRAME - s->npending < n ? FRAME - s->npending : n;
		memcpy(s->pending + s->npending, samples, take * sizeof *samples);
		s->npending += take;
		samples += take;
		n -= take;
		if (s->npending < FRAME)
			break;
		s->npending = 0;
		if (s->have_peer) {
			int r = send_frame(s, s->pending);
			rc = rc != 0 ? rc : r;
		}
	}
	return rc;
}

int rtp_session_send_digit(struct rtp_session *s, char digit, unsigned ms)
{
	static const char codes[] = "0123456789*#ABCD";
	const char *p = digit != '\0' ? strchr(codes, digit) : NULL;

	if (p == NULL || ms < 40 || ms > 1000)
		return FGW_ERR_INVALID;
	if (!s->have_peer || s->m.te_pt < 0)
		return FGW_ERR_UNSUPPORTED;
	if (s->ndigits == DIGITS_MAX)
		return FGW_ERR_BUSY;
	s->digits[s->ndigits].event = (uint8_t)(p - codes);
	s->digits[s->ndigits].total = ms * 8;
	s->ndigits++;
	return 0;
}

/* ---- receiving ---- */

/* Reports an event once: every packet of one event shares its timestamp,
 * so the start, the updates and the repeated end packets collapse. */
static void take_event(struct rtp_session *s, const struct rtp_header *h,
		       const uint8_t *pl, size_t len)
{
	struct rtp_event ev;

	if (rtp_event_parse(pl, len, &ev) != 0) {
		s->st.malformed++;
		return;
	}
	if (s->ev_seen && s->ev_seen_ts == h->timestamp && s->ev_seen_ssrc == h->ssrc)
		return;
	s->ev_seen = true;
	s->ev_seen_ts = h->timestamp;
	s->ev_seen_ssrc = h->ssrc;
	s->st.events++;
	if (s->on_event != NULL)
		s->on_event(s->event_arg, rtp_event_digit(ev.event), ev.event);
}

/* True when the datagram's source may talk to us; the first valid packet
 * teaches the peer (symmetric RTP: a peer behind NAT sends from where it
 * listens), later ones must come from there. */
static bool source_ok(struct rtp_session *s, const struct media_addr *from)
{
	if (s->learned)
		return media_addr_equal(from, &s->peer);
	s->peer = *from;
	s->learned = true;
	return true;
}

static void take_packet(struct rtp_session *s, const uint8_t *pkt, size_t len,
			const struct media_addr *from)
{
	struct rtp_header h;
	const uint8_t *pl;
	size_t n;
	int16_t pcm[RTP_MAX_PACKET];
	bool audio, event;

	if (rtp_parse(pkt, len, &h, &pl, &n) != 0) {
		s->st.malformed++;
		return;
	}
	audio = h.pt == s->m.pt && n > 0 && n <= JITTER_MAX_PACKET;
	event = s->m.te_pt >= 0 && h.pt == s->m.te_pt;
	if (!audio && !event) {
		s->st.malformed++;      /* comfort noise, another codec: not ours */
		return;
	}
	if (!source_ok(s, from)) {
		s->st.foreign++;
		return;
	}
	s->st.received++;
	if (event) {
		take_event(s, &h, pl, n);
		return;
	}
	dsp_g711_decode(s->m.law, pcm, pl, n);
	(void)jitter_put(s->jb, h.seq, h.timestamp, h.ssrc, pcm, n);
}

struct drain_ctx {
	struct rtp_session *s;
	bool keep;
};

static void take_dgram(void *arg, const uint8_t *buf, size_t len, const struct media_addr *from)
{
	struct drain_ctx *d = arg;

	if (!d->keep || !d->s->have_peer)
		return;
	if (len > RTP_MAX_PACKET) {
		d->s->st.malformed++;
		return;
	}
	take_packet(d->s, buf, len, from);
}

_Static_assert(MEDIA_DGRAM_MAX > RTP_MAX_PACKET, "an oversized datagram must show as longer");

static void drain(struct rtp_session *s, bool keep)
{
	struct drain_ctx d = {.s = s, .keep = keep};

	(void)media_sock_drain(s->fd, DRAIN_MAX, take_dgram, &d);
}

void rtp_session_discard(struct rtp_session *s)
{
	drain(s, false);
}

/* Keeps the last PLC_HISTORY_LEN samples of real audio given out. */
static void remember(struct rtp_session *s, const int16_t *frame)
{
	memmove(s->history, s->history + FRAME, (PLC_HISTORY_LEN - FRAME) * sizeof *frame);
	memcpy(s->history + PLC_HISTORY_LEN - FRAME, frame, FRAME * sizeof *frame);
}

/* Fills a lost frame in. SpanDSP 0.0.6 rotates its history with an
 * overlapping memcpy when a gap starts while its ring is mid-way (ASan
 * reports it, and it is undefined behaviour); handing it one whole
 * history's worth first leaves the ring at its start, with the same
 * samples, so that copy never happens. */
static void conceal(struct rtp_session *s, int16_t *samples)
{
	int16_t copy[PLC_HISTORY_LEN];

	if (!s->in_gap) {
		memcpy(copy, s->history, sizeof copy);
		(void)plc_rx(s->plc, copy, PLC_HISTORY_LEN);
		s->in_gap = true;
	}
	(void)plc_fillin(s->plc, samples, FRAME);
	s->st.concealed++;
}

/* Lost or late frames are filled in by SpanDSP's PLC (pitch-period
 * repetition fading to silence). For speech that hides the gap; a fax
 * modem's data in it is lost all the same (ECM resends the frame, or the
 * page gets a bad row), but the receiver keeps its sample clock and
 * carrier instead of seeing a hole, which is what keeps a modem trained. */
size_t rtp_session_recv_audio(struct rtp_session *s, int16_t *samples, size_t max)
{
	if (max < FRAME)
		return 0;
	drain(s, true);
	if (s->jb == NULL) {
		memset(samples, 0, FRAME * sizeof *samples);
		return FRAME;
	}
	switch (jitter_get(s->jb, samples)) {
	case JITTER_AUDIO:
		(void)plc_rx(s->plc, samples, FRAME);
		remember(s, samples);
		s->in_gap = false;
		break;
	case JITTER_MISSING:
		conceal(s, samples);
		break;
	case JITTER_IDLE:
		break;
	}
	return FRAME;
}

void rtp_session_stats(const struct rtp_session *s, struct rtp_session_stats *out)
{
	struct jitter_stats js = {0};

	*out = s->st;
	if (s->jb != NULL)
		jitter_stats(s->jb, &js);
	out->late = js.late;
	out->duplicates = js.duplicates;
	out->reordered = js.reordered;
	out->restarts = js.restarts;
	out->delay_ms = js.delay_ms;
}

void rtp_session_free(struct rtp_session *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		(void)close(s->fd);
	jitter_free(s->jb);
	plc_free(s->plc);
	free(s);
}
