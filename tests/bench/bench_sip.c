/* SIP benchmark (make bench): how many concurrent real-time fax calls one
 * faxgwd carries on this machine, receiving from a load generator on
 * loopback, with no late frame and every page intact; the same for T.38;
 * CPU per call against the simulated (loopback) call in the same run.
 *
 * Without arguments it runs tests/bench/bench_sip.sh (from the repository
 * root, as make bench does), which starts a faxgwd with a SIP trunk on
 * loopback and calls this program back as the load generator:
 *
 *   bench_sip --load HOST:PORT N g711|t38 FILE
 *
 * The generator first records one fax of FILE between two SpanDSP
 * endpoints in memory (G.711 companded audio, or T.38 IFP packets with
 * their times). A receiver given the same input answers the same way
 * whatever the delay (bench_daemon checks this sample by sample), so the
 * generator replays the sender's side only: N calls over our own SIP user
 * agent (INVITE to sip:0312345678@HOST:PORT, offer G.711 or T.38 from the
 * start), their streams paced by one absolute 20 ms clock. What a frame
 * costs depends on the call's phase (a page's end, with its TIFF and vault
 * writes, costs far more than a tone), so N calls started together would
 * measure their common phase, not a day's traffic: the N "lines" start
 * spread evenly over one call length, and each line dials again as soon
 * as its call ended, until 1.5 call lengths have passed (the middle is the
 * steady state of N calls in all phases). A call hangs up (BYE) when its
 * recording ends, unless faxgwd did so first (it does once its fax is
 * over). faxgwd's receiver does the real work:
 * jitter buffer, DSP, vault, audit. The script counts faxgwd's late
 * frames (its log), intact pages (fax_received records with pages 1),
 * and faxgwd's CPU (/proc). The generator prints how many calls it placed
 * and got answered, and its own late ticks (a late generator would blame
 * faxgwd for its own lateness: such a level is marked).
 *
 * Prints figures; asserts nothing. */
#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "dsp/fax.h"
#include "dsp/g711.h"
#include "gateway/rtp_session.h"
#include "gateway/sdp.h"
#include "gateway/sip_transport.h"
#include "gateway/sip_ua.h"
#include "gateway/udptl_session.h"
#include "storage/memfile.h"

#define STEP 160
#define MAX_SECONDS 300
#define MAX_STEPS ((size_t)MAX_SECONDS * 50)
#define MAX_IFP 512
#define MAX_PACKETS 40000
#define MAX_CALLS 2000
#define SCRIPT "tests/bench/bench_sip.sh"
#define NUMBER "0312345678"

/* ---- the recording ------------------------------------------------------ */

struct packet {
	size_t step;                 /* 20 ms step it was sent in */
	uint16_t seq;
	uint16_t len;
	uint8_t ifp[MAX_IFP];
};

struct recording {
	bool t38;
	int16_t *audio;              /* g711: sender audio, steps * STEP */
	struct packet *pk;           /* t38: sender packets */
	size_t npk, steps;
};

/* Packets in flight inside one step of the T.38 recording. */
struct queue {
	struct packet p[64];
	size_t n;
	struct recording *rec;       /* non-NULL for the sender's queue */
	size_t step;
};

static int t38_collect(void *user, const uint8_t *ifp, size_t len, uint16_t seq, int count)
{
	struct queue *q = user;

	(void)count;
	if (len > MAX_IFP || q->n >= 64)
		return FGW_ERR_TOO_LARGE;
	q->p[q->n] = (struct packet){.step = q->step, .seq = seq, .len = (uint16_t)len};
	memcpy(q->p[q->n].ifp, ifp, len);
	if (q->rec != NULL && q->rec->npk < MAX_PACKETS)
		q->rec->pk[q->rec->npk++] = q->p[q->n];
	q->n++;
	return 0;
}

static enum fax_decision accept_all(void *user, const struct fax_phase_b *info)
{
	(void)user, (void)info;
	return FAX_ACCEPT;
}

static const struct fax_events accept_events = {.decide = accept_all};

static int endpoints(const char *doc, const char *rx_path, bool t38, struct queue *qs,
		     struct queue *qr, struct fax_endpoint **tx, struct fax_endpoint **rx)
{
	struct fax_options o;
	int rc;

	fax_options_init(&o);
	o.role = FAX_SEND;
	o.side = FAX_SIDE_CALLING;
	o.file = doc;
	o.transport = t38 ? FAX_T38 : FAX_AUDIO;
	o.t38_out = t38_collect;
	o.t38_user = qs;
	if ((rc = fax_endpoint_new(&o, tx)) != 0)
		return rc;
	fax_options_init(&o);
	o.role = FAX_RECEIVE;
	o.side = FAX_SIDE_ANSWERING;
	o.file = rx_path;
	o.transport = t38 ? FAX_T38 : FAX_AUDIO;
	o.t38_out = t38_collect;
	o.t38_user = qr;
	o.events = &accept_events;
	return fax_endpoint_new(&o, rx);
}

static void deliver(struct queue *q, struct fax_endpoint *to)
{
	for (size_t i = 0; i < q->n; i++)
		(void)fax_endpoint_rx_t38(to, q->p[i].ifp, q->p[i].len, q->p[i].seq);
	q->n = 0;
}

static void step(struct recording *rec, struct fax_endpoint *tx, struct fax_endpoint *rx,
		 struct queue *qs, struct queue *qr)
{
	int16_t a[STEP], b[STEP];

	if (rec->t38) {
		qs->step = qr->step = rec->steps;
		(void)fax_endpoint_advance(tx, STEP);
		(void)fax_endpoint_advance(rx, STEP);
		deliver(qs, rx);
		deliver(qr, tx);
		return;
	}
	(void)fax_endpoint_tx_audio(tx, a, STEP);
	(void)fax_endpoint_tx_audio(rx, b, STEP);
	dsp_g711_roundtrip(DSP_G711_ULAW, a, STEP);    /* what the far end hears */
	dsp_g711_roundtrip(DSP_G711_ULAW, b, STEP);
	memcpy(rec->audio + rec->steps * STEP, a, sizeof a);
	(void)fax_endpoint_rx_audio(tx, b, STEP);
	(void)fax_endpoint_rx_audio(rx, a, STEP);
}

static int record(const char *doc, bool t38, struct recording *rec)
{
	static struct queue qs, qr;
	struct fax_endpoint *tx = NULL, *rx = NULL;
	char path[MEMFILE_PATH_MAX];
	struct fax_result res;
	int fd = memfile_create("bench-sip-record"), rc = FGW_ERR_NOMEM;

	memset(rec, 0, sizeof *rec);
	rec->t38 = t38;
	qs = (struct queue){.rec = rec};
	qr = (struct queue){0};
	rec->audio = t38 ? NULL : malloc(MAX_STEPS * STEP * sizeof(int16_t));
	rec->pk = t38 ? malloc(MAX_PACKETS * sizeof *rec->pk) : NULL;
	if (fd < 0 || (rec->audio == NULL && rec->pk == NULL) || memfile_path(fd, path) != 0 ||
	    (rc = endpoints(doc, path, t38, &qs, &qr, &tx, &rx)) != 0)
		goto out;
	while (rec->steps < MAX_STEPS && !(fax_endpoint_done(tx) && fax_endpoint_done(rx))) {
		step(rec, tx, rx, &qs, &qr);
		rec->steps++;
	}
	rc = fax_endpoint_result(rx, &res) == 0 && res.err == 0 && res.stats.pages_rx == 1 ?
	     0 : FGW_ERR_FAX_FAILED;
out:
	fax_endpoint_free(tx);
	fax_endpoint_free(rx);
	if (fd >= 0)
		(void)memfile_wipe_close(fd);
	return rc;
}

/* ---- the load generator ------------------------------------------------- */

struct gen;

struct gcall {
	struct gen *g;
	struct sip_dialog *dlg;
	struct rtp_session *rtp;
	struct udptl_session *udptl;
	size_t pos, pk;              /* steps and packets sent */
	bool answered, hung, ended, redial;
};

struct gen {
	struct event_base *base;
	struct sip_transport *t;
	struct sip_ua *ua;
	const struct recording *rec;
	const char *target;
	struct media_bind bind;
	struct gcall *calls;
	size_t n, started, active;   /* lines, lines started, calls up */
	size_t placed, answered, failed;
	struct event *tick;
	struct timespec t0;
	uint64_t steps_done, late;
	long call_ms, redial_end_ms, deadline_ms;
};

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static int offer(struct gcall *c, char *buf, size_t size, size_t *len)
{
	struct sdp_caps caps = {.pcmu = true, .te_pt = SDP_PT_NONE, .t38 = c->g->rec->t38,
				.session_id = (uint64_t)(c - c->g->calls) + 1,
				.session_version = 1, .ptime = 20};
	struct sdp_session s;
	int rc;

	sdp_t38_defaults(&caps.t38_local);
	caps.t38_local.max_bitrate = 14400;
	caps.t38_local.max_datagram = 400;
	caps.t38_local.udp_ec = SDP_T38_EC_REDUNDANCY;
	(void)str_copy(caps.addr, sizeof caps.addr, c->g->bind.address);
	if (c->g->rec->t38) {
		rc = udptl_session_new(&c->g->bind, &c->udptl);
		caps.image_port = rc == 0 ? udptl_session_port(c->udptl) : 0;
	} else {
		rc = rtp_session_new(&c->g->bind, &c->rtp);
		caps.audio_port = rc == 0 ? rtp_session_port(c->rtp) : 0;
	}
	if (rc == 0)
		rc = sdp_offer(&caps, c->g->rec->t38, &s);
	return rc != 0 ? rc : sdp_build(&s, buf, size, len);
}

static void place(struct gen *g, struct gcall *c)
{
	char uri[128], sdp[SDP_MAX_LEN];
	size_t len = 0;
	struct sip_invite_params p = {.request_uri = uri, .dest = g->target, .sdp = sdp};
	int rc = str_format(uri, sizeof uri, "sip:%s@%s", NUMBER, g->target);

	c->g = g;
	g->placed++;
	g->active++;
	if (rc == 0)
		rc = offer(c, sdp, sizeof sdp, &len);
	p.sdp_len = len;
	if (rc == 0)
		rc = sip_ua_invite(g->ua, &p, c, &c->dlg);
	if (rc != 0) {
		fprintf(stderr, "bench_sip: call %zu not placed: %s\n", (size_t)(c - g->calls),
			fgw_strerror(rc));
		c->ended = true;
		g->failed++;
		g->active--;
	}
}

static const struct sdp_media *stream_of(const struct sdp_session *s, enum sdp_media_kind k)
{
	for (size_t i = 0; i < s->nmedia; i++)
		if (s->media[i].kind == k && s->media[i].port != 0)
			return &s->media[i];
	return NULL;
}

static void on_answered(void *arg, struct sip_dialog *d, const char *sdp, size_t len)
{
	struct gcall *c = sip_dialog_arg(d);
	struct sdp_session s;
	const struct sdp_media *m;
	int rc = sdp_parse(sdp, len, &s, NULL, 0);

	(void)arg;
	m = rc == 0 ? stream_of(&s, c->udptl != NULL ? SDP_MEDIA_IMAGE : SDP_MEDIA_AUDIO) : NULL;
	if (m == NULL) {
		rc = FGW_ERR_UNSUPPORTED;
	} else if (c->udptl != NULL) {
		struct udptl_session_params up = {.ec = UDPTL_SESSION_EC_REDUNDANCY, .redundancy = 3,
						  .fec_span = 3, .fec_entries = 3,
						  .max_datagram = m->t38.max_datagram != 0 ?
						  m->t38.max_datagram : 400};
		rc = udptl_session_set_peer(c->udptl, sdp_media_addr(&s, m), m->port, &up);
	} else {
		struct rtp_session_media rm = {.law = DSP_G711_ULAW, .pt = 0, .te_pt = -1,
					       .jitter_max_ms = 100};
		rc = rtp_session_set_peer(c->rtp, sdp_media_addr(&s, m), m->port, &rm);
	}
	if (rc != 0) {
		fprintf(stderr, "bench_sip: unusable answer: %s\n", fgw_strerror(rc));
		(void)sip_dialog_hangup(d);
		return;
	}
	c->answered = true;
	c->g->answered++;
}

static void on_reinvite(void *arg, struct sip_dialog *d, const char *sdp, size_t len)
{
	(void)arg, (void)sdp, (void)len;
	(void)sip_dialog_reject_reinvite(d, 488);   /* the generator keeps its media */
}

static void on_ended(void *arg, struct sip_dialog *d, int status, const char *reason)
{
	struct gcall *c = sip_dialog_arg(d);
	struct gen *g = arg;

	if (c == NULL)
		return;
	/* faxgwd hangs up once its fax is over, before the recording's tail. */
	if (!c->answered) {
		fprintf(stderr, "bench_sip: a call on line %zu was not answered: %s (%d)\n",
			(size_t)(c - g->calls), reason, status);
		g->failed++;
	}
	c->ended = true;
	c->dlg = NULL;
	c->redial = ms_since(&g->t0) < g->redial_end_ms;
	g->active--;
}

/* The line of c dials again: fresh streams, from the recording's start. */
static void redial(struct gen *g, struct gcall *c)
{
	rtp_session_free(c->rtp);
	udptl_session_free(c->udptl);
	*c = (struct gcall){0};
	place(g, c);
}

/* One 20 ms step of call c: its recorded stream out, whatever came in
 * drained. */
static void call_step(struct gcall *c)
{
	const struct recording *rec = c->g->rec;
	uint8_t buf[MAX_IFP];
	size_t len;
	uint16_t seq;

	if (!c->answered || c->hung)
		return;
	if (rec->t38) {
		for (; c->pk < rec->npk && rec->pk[c->pk].step <= c->pos; c->pk++)
			(void)udptl_session_send(c->udptl, rec->pk[c->pk].ifp, rec->pk[c->pk].len,
						 rec->pk[c->pk].seq, 1);
		while (udptl_session_recv(c->udptl, buf, sizeof buf, &len, &seq) != 0)
			;
	} else {
		(void)rtp_session_send_audio(c->rtp, rec->audio + c->pos * STEP, STEP);
		rtp_session_discard(c->rtp);
	}
	if (++c->pos >= rec->steps) {
		c->hung = true;
		if (c->dlg != NULL)
			(void)sip_dialog_bye(c->dlg);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct gen *g = arg;
	long now = ms_since(&g->t0);

	(void)fd, (void)what;
	while (g->started < g->n && now >= (long)g->started * g->call_ms / (long)g->n)
		place(g, &g->calls[g->started++]);
	for (size_t i = 0; i < g->started; i++)
		if (g->calls[i].redial)
			redial(g, &g->calls[i]);
	while ((long)(g->steps_done + 1) * 20 <= now) {
		g->late += now > (long)(g->steps_done + 2) * 20;
		for (size_t i = 0; i < g->started; i++)
			call_step(&g->calls[i]);
		g->steps_done++;
	}
	if ((g->started == g->n && g->active == 0 && now >= g->redial_end_ms) ||
	    now > g->deadline_ms)
		(void)event_base_loopbreak(g->base);
}

static void gen_receive(void *arg, struct sipmsg *m, const struct sip_source *src)
{
	struct gen *g = arg;

	sip_ua_receive(g->ua, m, src);
}

static int gen_start(struct gen *g)
{
	static const struct timeval every = {0, 2000};
	struct sip_ua_callbacks cb = {.on_answered = on_answered, .on_reinvite = on_reinvite,
				      .on_ended = on_ended};
	struct sip_ua_options o = {.user = "bench", .max_calls = MAX_CALLS};
	int rc;

	if ((g->base = event_base_new()) == NULL)
		return FGW_ERR_NOMEM;
	if ((rc = sip_transport_new(g->base, "127.0.0.1:0", gen_receive, g, &g->t)) != 0 ||
	    (rc = sip_ua_new(g->base, g->t, &o, &cb, g, &g->ua)) != 0)
		return rc;
	g->tick = event_new(g->base, -1, EV_PERSIST, on_tick, g);
	if (g->tick == NULL || event_add(g->tick, &every) != 0)
		return FGW_ERR_NOMEM;
	(void)clock_gettime(CLOCK_MONOTONIC, &g->t0);
	g->call_ms = (long)g->rec->steps * 20;
	g->redial_end_ms = g->call_ms * 3 / 2;
	g->deadline_ms = g->redial_end_ms + g->call_ms + 60000;
	return 0;
}

static void gen_free(struct gen *g)
{
	sip_ua_free(g->ua);
	sip_transport_free(g->t);
	for (size_t i = 0; i < g->n; i++) {
		rtp_session_free(g->calls[i].rtp);
		udptl_session_free(g->calls[i].udptl);
	}
	if (g->tick != NULL)
		event_free(g->tick);
	if (g->base != NULL)
		event_base_free(g->base);
	free(g->calls);
}

static int load(const char *target, size_t n, bool t38, const char *doc)
{
	static struct recording rec;
	struct gen g = {.rec = &rec, .target = target, .n = n,
			.bind = {.address = "127.0.0.1", .port_lo = 40000, .port_hi = 59998}};
	int rc = record(doc, t38, &rec);

	if (rc != 0) {
		fprintf(stderr, "bench_sip: the recording failed: %s\n", fgw_strerror(rc));
		return 1;
	}
	if (n == 0 || n > MAX_CALLS || (g.calls = calloc(n, sizeof *g.calls)) == NULL)
		return 1;
	if ((rc = gen_start(&g)) != 0) {
		fprintf(stderr, "bench_sip: generator: %s\n", fgw_strerror(rc));
		gen_free(&g);
		return 1;
	}
	(void)event_base_dispatch(g.base);
	printf("generator: %zu placed, %zu answered, %zu failed; %.1f s of fax per call; "
	       "%llu of %llu ticks late\n", g.placed, g.answered, g.failed,
	       (double)rec.steps / 50, (unsigned long long)g.late,
	       (unsigned long long)g.steps_done);
	gen_free(&g);
	free(rec.audio);
	free(rec.pk);
	return g.failed == 0 && g.answered == g.placed ? 0 : 1;
}

int main(int argc, char **argv)
{
	long long n;

	log_init("bench_sip", true, LOG_LEVEL_WARNING);
	if (argc == 1) {
		char *args[] = {"bash", SCRIPT, argv[0], NULL};
		execvp(args[0], args);
		perror("bench_sip: bash");
		return 1;
	}
	if (argc != 6 || strcmp(argv[1], "--load") != 0 || str_to_int(argv[3], 1, MAX_CALLS, &n) != 0 ||
	    (strcmp(argv[4], "g711") != 0 && strcmp(argv[4], "t38") != 0)) {
		fprintf(stderr, "usage: bench_sip [--load HOST:PORT N g711|t38 FILE]\n");
		return 2;
	}
	return load(argv[2], (size_t)n, strcmp(argv[4], "t38") == 0, argv[5]);
}
