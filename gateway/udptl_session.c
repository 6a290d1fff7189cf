/* A UDPTL stream on one UDP socket, polled by the call's tick.
 *
 * Receiving keeps a window of IFPs by sequence number: what arrived as a
 * primary, what came again as redundancy, what FEC rebuilt. IFPs go out in
 * order; a gap is waited for while later IFPs are held, for HOLD_TICKS
 * polls (the next datagram usually repairs it), then skipped: T.30/ECM
 * recovers what T.38 loses. Delivered IFPs stay in the window because FEC
 * parity needs them to rebuild later losses. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/media_sock.h"
#include "gateway/udptl.h"
#include "gateway/udptl_session.h"

#define WINDOW 64u                 /* IFPs held, power of two */
#define TX_HIST 16u                /* IFPs we remember for redundancy/FEC */
#define HOLD_TICKS 2               /* polls a gap is waited for: 40 ms */
#define DRAIN_MAX 64
#define RESTART_GAP 1000           /* a seq this far off: the peer restarted */

struct ifp_slot {
	bool have;
	uint16_t seq;
	size_t len;
	uint8_t data[UDPTL_MAX_DATAGRAM];
};

struct udptl_session {
	int fd;
	uint16_t port;
	bool have_peer, learned;
	struct media_addr peer;
	struct udptl_session_params p;
	struct ifp_slot tx[TX_HIST];
	struct ifp_slot rx[WINDOW];
	bool started;
	uint16_t next;                 /* next seq to hand out */
	unsigned waited;               /* polls spent waiting on a gap */
	struct udptl_session_stats st;
};

int udptl_session_new(const struct media_bind *b, struct udptl_session **out)
{
	struct udptl_session *s;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return FGW_ERR_NOMEM;
	if ((rc = media_sock_bind(b, &s->fd, &s->port)) != 0) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

uint16_t udptl_session_port(const struct udptl_session *s)
{
	return s->port;
}

static bool params_ok(const struct udptl_session_params *p)
{
	if (p->max_datagram < 100 || p->max_datagram > UDPTL_MAX_DATAGRAM || p->redundancy > 7)
		return false;
	if (p->ec == UDPTL_SESSION_EC_FEC)
		return p->fec_span >= 1 && p->fec_span <= 4 && p->fec_entries >= 1 &&
		       p->fec_entries <= 4;
	return p->ec == UDPTL_SESSION_EC_NONE || p->ec == UDPTL_SESSION_EC_REDUNDANCY;
}

int udptl_session_set_peer(struct udptl_session *s, const char *addr, uint16_t port,
			   const struct udptl_session_params *p)
{
	struct media_addr a;

	if (media_addr_parse(addr, port, &a) != 0)
		return FGW_ERR_INVALID;
	if (!params_ok(p))
		return FGW_ERR_RANGE;
	if (!s->have_peer || !media_addr_equal(&a, &s->peer))
		s->learned = false;
	s->peer = a;
	s->p = *p;
	s->have_peer = true;
	return 0;
}

/* ---- sending ---- */

static void remember(struct udptl_session *s, const uint8_t *ifp, size_t len, uint16_t seq)
{
	struct ifp_slot *t = &s->tx[seq % TX_HIST];

	t->have = len <= sizeof t->data;
	t->seq = seq;
	t->len = len;
	if (t->have)
		memcpy(t->data, ifp, len);
}

/* The IFP we sent as seq, or an absent one. */
static struct udptl_ifp sent_ifp(const struct udptl_session *s, uint16_t seq)
{
	const struct ifp_slot *t = &s->tx[seq % TX_HIST];
	struct udptl_ifp r = {NULL, 0};

	if (t->have && t->seq == seq) {
		r.data = t->data;
		r.len = t->len;
	}
	return r;
}

/* Redundancy (or none when depth is 0): as many earlier IFPs as we have
 * in a row, dropped oldest first when the datagram would be too big. */
static int build_red(struct udptl_session *s, struct udptl_ifp prim, uint16_t seq,
		     unsigned depth, uint8_t *buf, size_t *len)
{
	struct udptl_ifp prev[UDPTL_MAX_ENTRIES] = {{NULL, 0}};
	size_t n = 0, kept = 0;
	int rc;

	while (n < depth && (prev[n] = sent_ifp(s, (uint16_t)(seq - 1 - n))).len > 0)
		n++;
	rc = udptl_build_redundancy(seq, prim, prev, n, s->p.max_datagram, buf,
				    UDPTL_MAX_DATAGRAM, len, &kept);
	if (rc == 0 && kept < n)
		s->st.trimmed++;
	return rc;
}

/* FEC once span * entries earlier IFPs exist; redundancy before that (and
 * when parity would not fit). */
static int build_fec(struct udptl_session *s, struct udptl_ifp prim, uint16_t seq,
		     uint8_t *buf, size_t *len)
{
	struct udptl_ifp hist[UDPTL_MAX_ENTRIES] = {{NULL, 0}};
	size_t need = (size_t)s->p.fec_span * s->p.fec_entries;

	for (size_t i = 0; i < need; i++)
		if ((hist[i] = sent_ifp(s, (uint16_t)(seq - 1 - i))).len == 0)
			return build_red(s, prim, seq, s->p.redundancy, buf, len);
	if (udptl_build_fec(seq, prim, hist, s->p.fec_span, s->p.fec_entries,
			    s->p.max_datagram, buf, UDPTL_MAX_DATAGRAM, len) == 0)
		return 0;
	s->st.trimmed++;
	return build_red(s, prim, seq, 0, buf, len);
}

static int send_dgram(struct udptl_session *s, const uint8_t *buf, size_t len)
{
	if (sendto(s->fd, buf, len, 0, (struct sockaddr *)&s->peer.ss, s->peer.len) < 0) {
		log_debug("udptl %u: send: %s", s->port, strerror(errno));
		return FGW_ERR_IO;
	}
	s->st.sent++;
	return 0;
}

int udptl_session_send(struct udptl_session *s, const uint8_t *ifp, size_t len,
		       uint16_t seq, int count)
{
	struct udptl_ifp prim = {ifp, len};
	uint8_t buf[UDPTL_MAX_DATAGRAM];
	size_t n;
	int rc, copies = 1;

	if (!s->have_peer)
		return FGW_ERR_STATE;
	if (len == 0)
		return FGW_ERR_INVALID;
	if (s->p.ec == UDPTL_SESSION_EC_FEC)
		rc = build_fec(s, prim, seq, buf, &n);
	else if (s->p.ec == UDPTL_SESSION_EC_REDUNDANCY)
		rc = build_red(s, prim, seq, s->p.redundancy, buf, &n);
	else {
		rc = build_red(s, prim, seq, 0, buf, &n);
		copies = count > 0 && count <= 4 ? count : 1;
	}
	if (rc != 0)
		return rc;
	remember(s, ifp, len, seq);
	for (int i = 0; i < copies && rc == 0; i++)
		rc = send_dgram(s, buf, n);
	return rc;
}

/* ---- receiving ---- */

static struct ifp_slot *slot_of(struct udptl_session *s, uint16_t seq)
{
	return &s->rx[seq % WINDOW];
}

/* Keeps the IFP of seq unless it is old, held already, or beyond the
 * window. Returns true when it was new. */
static bool keep(struct udptl_session *s, uint16_t seq, struct udptl_ifp ifp)
{
	int16_t d = (int16_t)(seq - s->next);
	struct ifp_slot *t = slot_of(s, seq);

	if (d < 0 || (t->have && t->seq == seq)) {
		s->st.duplicates++;
		return false;
	}
	if (d >= (int16_t)WINDOW || ifp.len > sizeof t->data) {
		log_debug("udptl %u: IFP %u beyond the window, dropped", s->port, seq);
		return false;
	}
	t->have = true;
	t->seq = seq;
	t->len = ifp.len;
	memcpy(t->data, ifp.data, ifp.len);
	return true;
}

/* Rebuilds what the FEC packet p covers and we lack. */
static void fec_repair(struct udptl_session *s, const struct udptl_packet *p)
{
	struct udptl_ifp known[UDPTL_MAX_FEC_SPAN * UDPTL_MAX_ENTRIES];
	size_t span = (size_t)p->fec_span * p->nfec;
	uint8_t out[UDPTL_MAX_DATAGRAM];
	size_t len;

	if (span > sizeof known / sizeof known[0] || span >= WINDOW)
		return;
	for (size_t i = 0; i < span; i++) {
		uint16_t seq = (uint16_t)(p->seq - 1 - i);
		struct ifp_slot *t = slot_of(s, seq);
		known[i].data = t->data;
		known[i].len = t->have && t->seq == seq ? t->len : 0;
	}
	for (size_t i = 0; i < span; i++) {
		uint16_t seq = (uint16_t)(p->seq - 1 - i);
		if (known[i].len != 0 || (int16_t)(seq - s->next) < 0)
			continue;
		if (udptl_fec_recover(p, seq, known, span, out, sizeof out, &len) == 0 &&
		    keep(s, seq, (struct udptl_ifp){out, len}))
			s->st.recovered++;
	}
}

static void take_packet(struct udptl_session *s, const struct udptl_packet *p)
{
	if (!s->started || (uint16_t)(p->seq - s->next + RESTART_GAP) > 2 * RESTART_GAP) {
		if (s->started)
			log_debug("udptl %u: sequence jumped to %u; restarting", s->port, p->seq);
		memset(s->rx, 0, sizeof s->rx);
		s->started = true;
		s->next = (uint16_t)(p->seq - (p->ec == UDPTL_EC_REDUNDANCY ? p->nsecondary : 0));
		s->waited = 0;
	}
	(void)keep(s, p->seq, p->primary);
	if (p->ec == UDPTL_EC_REDUNDANCY) {
		for (size_t i = 0; i < p->nsecondary; i++) {
			uint16_t seq = (uint16_t)(p->seq - 1 - i);
			struct ifp_slot *t = slot_of(s, seq);
			bool had = t->have && t->seq == seq;
			if ((int16_t)(seq - s->next) >= 0 && !had &&
			    keep(s, seq, p->secondary[i]))
				s->st.recovered++;
		}
	} else {
		fec_repair(s, p);
	}
}

static bool source_ok(struct udptl_session *s, const struct media_addr *from)
{
	if (s->learned)
		return media_addr_equal(from, &s->peer);
	s->peer = *from;
	s->learned = true;
	return true;
}

static void take_dgram(void *arg, const uint8_t *buf, size_t len, const struct media_addr *from)
{
	struct udptl_session *s = arg;
	struct udptl_packet p;

	if (!s->have_peer)
		return;
	if (udptl_parse(buf, len, &p) != 0) {
		s->st.malformed++;
		return;
	}
	if (!source_ok(s, from)) {
		s->st.foreign++;
		return;
	}
	s->st.received++;
	take_packet(s, &p);
}

_Static_assert(MEDIA_DGRAM_MAX > UDPTL_MAX_DATAGRAM, "an oversized datagram must show as longer");

static void drain(struct udptl_session *s)
{
	(void)media_sock_drain(s->fd, DRAIN_MAX, take_dgram, s);
}

/* True when an IFP after the gap at s->next is held. */
static bool later_held(struct udptl_session *s)
{
	for (uint16_t d = 1; d < WINDOW; d++) {
		const struct ifp_slot *t = slot_of(s, (uint16_t)(s->next + d));
		if (t->have && t->seq == (uint16_t)(s->next + d))
			return true;
	}
	return false;
}

int udptl_session_recv(struct udptl_session *s, uint8_t *buf, size_t max,
		       size_t *len, uint16_t *seq)
{
	drain(s);
	while (s->started) {
		struct ifp_slot *t = slot_of(s, s->next);
		if (t->have && t->seq == s->next) {
			*seq = s->next++;
			s->waited = 0;
			if (t->len > max)
				return FGW_ERR_TOO_LARGE;
			memcpy(buf, t->data, t->len);
			*len = t->len;
			return 1;
		}
		if (!later_held(s) || s->waited++ < HOLD_TICKS)
			return 0;
		s->next++;                 /* give the gap up */
		s->st.skipped++;
	}
	return 0;
}

void udptl_session_stats(const struct udptl_session *s, struct udptl_session_stats *out)
{
	*out = s->st;
}

void udptl_session_free(struct udptl_session *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		(void)close(s->fd);
	free(s);
}
