/* Two SpanDSP fax endpoints fax one page to each other over SIP lines on
 * real loopback sockets, as two real-time calls of one call registry paced
 * by its 20 ms clock: G.711 u-law and A-law over RTP, T.38 over UDPTL with
 * redundancy through a relay that drops 1% of the datagrams, and a call
 * that starts on G.711 and is switched to T.38 while running. The page
 * received must equal the page sent. These faxes run with two DSP threads
 * (the two calls' frames at once), and their fax events must still come
 * on the loop's thread. CPU per real-time call is logged. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/call.h"
#include "gateway/line.h"
#include "gateway/line_pump.h"
#include "gateway/line_sip.h"
#include "gateway/rtp_session.h"
#include "gateway/udptl_session.h"
#include "tests/support/fax_harness.h"

#define PAGE "tiff/asterisk-testsuite__udptl_1page.tif"
#define CALL_LIMIT 150               /* seconds of call time */

static const struct media_bind BIND = {"127.0.0.1", 34000, 34999};

/* ---- a UDP relay that loses datagrams, for the T.38 path ---- */

struct relay {
	int fa, fb;                 /* A sends to fa, B sends to fb */
	struct sockaddr_in a, b;    /* where A and B listen */
	struct event *ea, *eb;
	unsigned loss_per_mille;
	uint64_t rng;
	unsigned forwarded, dropped;
};

static uint16_t open_udp(int *fd)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;

	*fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	cr_assert_geq(*fd, 0);
	cr_assert_eq(bind(*fd, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(getsockname(*fd, (struct sockaddr *)&sa, &len), 0);
	return ntohs(sa.sin_port);
}

static bool lose(struct relay *r)
{
	r->rng = r->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((r->rng >> 33) % 1000) < r->loss_per_mille;
}

static void forward(struct relay *r, int from, int via, const struct sockaddr_in *to)
{
	uint8_t buf[2048];
	ssize_t n;

	while ((n = recv(from, buf, sizeof buf, 0)) > 0) {
		if (lose(r)) {
			r->dropped++;
			continue;
		}
		if (sendto(via, buf, (size_t)n, 0, (const struct sockaddr *)to, sizeof *to) == n)
			r->forwarded++;
	}
}

static void on_a(evutil_socket_t fd, short what, void *arg)
{
	struct relay *r = arg;

	(void)fd, (void)what;
	forward(r, r->fa, r->fb, &r->b);
}

static void on_b(evutil_socket_t fd, short what, void *arg)
{
	struct relay *r = arg;

	(void)fd, (void)what;
	forward(r, r->fb, r->fa, &r->a);
}

/* Relays between ports pa and pb; *ra and *rb get the ports A and B must
 * send to. */
static void relay_start(struct relay *r, struct event_base *base, uint16_t pa, uint16_t pb,
			unsigned loss_per_mille, uint16_t *ra, uint16_t *rb)
{
	memset(r, 0, sizeof *r);
	*ra = open_udp(&r->fa);
	*rb = open_udp(&r->fb);
	r->a = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(pa),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	r->b = r->a;
	r->b.sin_port = htons(pb);
	r->loss_per_mille = loss_per_mille;
	r->rng = 12345;
	r->ea = event_new(base, r->fa, EV_READ | EV_PERSIST, on_a, r);
	r->eb = event_new(base, r->fb, EV_READ | EV_PERSIST, on_b, r);
	cr_assert(r->ea && r->eb);
	cr_assert_eq(event_add(r->ea, NULL), 0);
	cr_assert_eq(event_add(r->eb, NULL), 0);
}

static void relay_stop(struct relay *r)
{
	if (r->ea == NULL)
		return;
	event_free(r->ea);
	event_free(r->eb);
	close(r->fa);
	close(r->fb);
	r->ea = NULL;
}

/* ---- two calls in one registry ---- */

struct side {
	struct line *line;
	struct call *call;
	bool ended;
	struct call_outcome out;
	int pages;
	int events_off_loop;         /* fax events that came on a DSP thread */
};

static pthread_t loop_thread;

static void note_thread(struct side *s)
{
	if (!pthread_equal(pthread_self(), loop_thread))
		s->events_off_loop++;
}

struct rig {
	struct event_base *base;
	struct call_registry *reg;
	struct side tx, rx;
	struct relay relay;
	char dir[64];
	char out_path[128];
	const char *file;
	struct event *guard, *switcher;
	bool switched;
};

static enum fax_decision accept_all(void *user, const struct fax_phase_b *info)
{
	(void)info;
	note_thread(user);
	return FAX_ACCEPT;
}

static void on_page(void *user, const struct fax_page *p)
{
	struct side *s = user;

	(void)p;
	note_thread(s);
	s->pages++;
}

static void on_done(void *arg, const struct call_outcome *o)
{
	struct side *s = arg;

	s->ended = true;
	s->out = *o;
}

static void check_both(evutil_socket_t fd, short what, void *arg)
{
	struct rig *r = arg;
	static const struct timeval again = {0, 100000};

	(void)fd, (void)what;
	if (r->tx.ended && r->rx.ended)
		event_base_loopbreak(r->base);
	else
		cr_assert_eq(event_add(r->guard, &again), 0);
}

static struct fax_endpoint *endpoint(struct rig *r, struct side *s, enum fax_role role,
				     enum fax_transport t)
{
	static const struct fax_events ev = {.decide = accept_all, .page = on_page};
	struct fax_options o;
	struct fax_endpoint *ep;

	fax_options_init(&o);
	o.role = role;
	o.transport = t;
	o.file = role == FAX_SEND ? r->file : r->out_path;
	o.local_ident = role == FAX_SEND ? "+1 555 0100" : "+1 555 0199";
	o.t38_out = line_pump_t38_out;
	o.t38_user = s->line;
	o.events = &ev;
	o.user = s;
	cr_assert_eq(fax_endpoint_new(&o, &ep), FGW_OK);
	return ep;
}

static void start_call(struct rig *r, struct side *s, enum fax_role role, const char *label)
{
	struct call_params p = {
		.label = label,
		.local = endpoint(r, s, role, line_sip_transport(s->line)),
		.local_line = s->line,
		.max_seconds = CALL_LIMIT,
		.done = on_done,
		.done_arg = s,
	};

	cr_assert_eq(call_start_get(r->reg, &p, &s->call), FGW_OK);
}

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof *r);
	r->file = testdata(PAGE);
	make_temp_dir(r->dir);
	cr_assert_eq(str_format(r->out_path, sizeof r->out_path, "%s/rx.tif", r->dir), FGW_OK);
	cr_assert_not_null(r->base = event_base_new());
	cr_assert_eq(call_registry_new(r->base, 1, &r->reg), FGW_OK);
	call_registry_set_threads(r->reg, 2);
	cr_assert_eq(call_registry_threads(r->reg), 2);
	loop_thread = pthread_self();
	cr_assert_not_null(r->guard = evtimer_new(r->base, check_both, r));
}

static struct rtp_session *rtp_new(void)
{
	struct rtp_session *s;

	cr_assert_eq(rtp_session_new(&BIND, &s), FGW_OK);
	return s;
}

static struct udptl_session *udptl_new(void)
{
	struct udptl_session *s;

	cr_assert_eq(udptl_session_new(&BIND, &s), FGW_OK);
	return s;
}

static void audio_lines(struct rig *r, enum dsp_g711_law law)
{
	struct rtp_session *a = rtp_new(), *b = rtp_new();
	struct rtp_session_media m = {.law = law, .pt = law == DSP_G711_ULAW ? 0 : 8,
				      .te_pt = 101, .jitter_max_ms = 100};

	cr_assert_eq(rtp_session_set_peer(a, "127.0.0.1", rtp_session_port(b), &m), FGW_OK);
	cr_assert_eq(rtp_session_set_peer(b, "127.0.0.1", rtp_session_port(a), &m), FGW_OK);
	cr_assert_eq(line_sip_new(a, &r->tx.line), FGW_OK);
	cr_assert_eq(line_sip_new(b, &r->rx.line), FGW_OK);
}

/* UDPTL sessions for both sides, through the lossy relay. */
static void udptl_pair(struct rig *r, unsigned loss_per_mille, struct udptl_session **a,
		       struct udptl_session **b)
{
	struct udptl_session_params p = {.ec = UDPTL_SESSION_EC_REDUNDANCY, .redundancy = 3,
					 .max_datagram = 400};
	uint16_t ra, rb;

	*a = udptl_new();
	*b = udptl_new();
	relay_start(&r->relay, r->base, udptl_session_port(*a), udptl_session_port(*b),
		    loss_per_mille, &ra, &rb);
	cr_assert_eq(udptl_session_set_peer(*a, "127.0.0.1", ra, &p), FGW_OK);
	cr_assert_eq(udptl_session_set_peer(*b, "127.0.0.1", rb, &p), FGW_OK);
}

static double cpu_seconds(void)
{
	struct rusage ru;

	cr_assert_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs both calls to their end and checks the page. */
static void run_and_check(struct rig *r, const char *what)
{
	static const struct timeval tick = {0, 100000};
	struct call_clock_stats cs;
	char msg[256];
	double cpu0 = cpu_seconds(), wall0 = wall_seconds(), cpu, wall;

	start_call(r, &r->tx, FAX_SEND, "sender");
	start_call(r, &r->rx, FAX_RECEIVE, "receiver");
	cr_assert_eq(event_add(r->guard, &tick), 0);
	cr_assert_eq(event_base_dispatch(r->base), 0);
	cpu = cpu_seconds() - cpu0;
	wall = wall_seconds() - wall0;
	call_registry_clock_stats(r->reg, &cs);
	cr_log_info("%s: %.1f s of call, %.2f%% of a core per real-time call, "
		    "%llu of %llu frames late", what, wall, 100 * cpu / wall / 2,
		    (unsigned long long)cs.late_frames, (unsigned long long)cs.frames);
	fprintf(stderr, "line_sip %s: %.1f s, CPU per real-time call %.2f%% of a core, "
		"late frames %llu/%llu\n", what, wall, 100 * cpu / wall / 2,
		(unsigned long long)cs.late_frames, (unsigned long long)cs.frames);
	cr_assert(r->tx.ended && r->rx.ended);
	cr_expect_not(r->tx.out.timed_out || r->rx.out.timed_out, "time limit reached");
	cr_expect_eq(r->tx.out.local.err, 0, "sender: %s", r->tx.out.local.t30_text);
	cr_expect_eq(r->rx.out.local.err, 0, "receiver: %s", r->rx.out.local.t30_text);
	cr_expect_eq(r->rx.pages, 1, "page events at the receiver");
	cr_expect_eq(r->rx.out.local.stats.pages_rx, 1);
	cr_expect_str_eq(r->rx.out.local.remote_ident, "+1 555 0100");
	cr_expect_eq(r->tx.events_off_loop + r->rx.events_off_loop, 0,
		     "fax events ran on a DSP thread");
	/* real time: the clock kept up (a loaded machine may slip a little) */
	cr_expect_leq(cs.late_frames * 20, cs.frames, "%llu of %llu frames late",
		      (unsigned long long)cs.late_frames, (unsigned long long)cs.frames);
	cr_expect_geq(wall, (double)r->rx.out.samples / 8000 * 0.95,
		      "%.1f s of call time in %.1f s: not paced by the clock",
		      (double)r->rx.out.samples / 8000, wall);
	cr_assert_eq(tiff_compare(r->file, r->out_path, msg, sizeof msg), 0, "%s", msg);
}

static void rig_free(struct rig *r)
{
	call_registry_free(r->reg);
	relay_stop(&r->relay);
	if (r->switcher != NULL)
		event_free(r->switcher);
	event_free(r->guard);
	line_free(r->tx.line);
	line_free(r->rx.line);
	event_base_free(r->base);
	remove_temp_dir(r->dir);
}

static void audio_fax(enum dsp_g711_law law)
{
	struct rig r;
	struct rtp_session_stats st;

	rig_init(&r);
	audio_lines(&r, law);
	run_and_check(&r, dsp_g711_law_name(law));
	rtp_session_stats(line_sip_rtp(r.rx.line), &st);
	cr_expect_gt(st.received, 500);
	cr_expect_eq(st.foreign + st.malformed, 0);
	/* one loop paces both ends: even a late tick loses no packet */
	cr_expect_eq(st.concealed + st.late, 0, "concealed %llu, late %llu",
		     (unsigned long long)st.concealed, (unsigned long long)st.late);
	rig_free(&r);
}

Test(line_sip, fax_over_g711_ulaw, .timeout = 200) { audio_fax(DSP_G711_ULAW); }
Test(line_sip, fax_over_g711_alaw, .timeout = 200) { audio_fax(DSP_G711_ALAW); }

Test(line_sip, fax_over_t38_with_one_percent_loss_and_redundancy, .timeout = 200)
{
	struct rig r;
	struct udptl_session *a, *b;
	struct udptl_session_stats sa, sb;

	rig_init(&r);
	udptl_pair(&r, 10, &a, &b);
	cr_assert_eq(line_sip_new_t38(NULL, a, &r.tx.line), FGW_OK);
	cr_assert_eq(line_sip_new_t38(NULL, b, &r.rx.line), FGW_OK);
	run_and_check(&r, "T.38, 1% loss");
	udptl_session_stats(a, &sa);
	udptl_session_stats(b, &sb);
	cr_log_info("relay dropped %u of %u; recovered %llu + %llu, skipped %llu + %llu",
		    r.relay.dropped, r.relay.forwarded + r.relay.dropped,
		    (unsigned long long)sa.recovered, (unsigned long long)sb.recovered,
		    (unsigned long long)sa.skipped, (unsigned long long)sb.skipped);
	cr_expect_gt(r.relay.dropped, 0, "the relay lost nothing");
	cr_expect_gt(sa.recovered + sb.recovered, 0, "nothing recovered from redundancy");
	rig_free(&r);
}

/* 600 ms into a G.711 call both lines move to UDPTL and both calls get a
 * T.38 endpoint, as CALL does after a re-INVITE. */
static void switch_to_t38(evutil_socket_t fd, short what, void *arg)
{
	struct rig *r = arg;
	struct udptl_session *a, *b;

	(void)fd, (void)what;
	udptl_pair(r, 0, &a, &b);
	cr_assert_eq(line_sip_switch_t38(r->tx.line, a), FGW_OK);
	cr_assert_eq(line_sip_switch_t38(r->rx.line, b), FGW_OK);
	cr_assert_eq(call_switch_transport(r->tx.call, endpoint(r, &r->tx, FAX_SEND, FAX_T38)),
		     FGW_OK);
	cr_assert_eq(call_switch_transport(r->rx.call,
					   endpoint(r, &r->rx, FAX_RECEIVE, FAX_T38)), FGW_OK);
	r->switched = true;
}

Test(line_sip, g711_call_switched_to_t38_mid_call, .timeout = 200)
{
	static const struct timeval at = {0, 600000};
	struct rig r;
	struct udptl_session_stats st;

	rig_init(&r);
	audio_lines(&r, DSP_G711_ALAW);
	cr_assert_not_null(r.switcher = evtimer_new(r.base, switch_to_t38, &r));
	cr_assert_eq(event_add(r.switcher, &at), 0);
	run_and_check(&r, "G.711 then T.38");
	cr_assert(r.switched);
	cr_assert_eq(line_sip_transport(r.rx.line), FAX_T38);
	udptl_session_stats(line_sip_udptl(r.rx.line), &st);
	cr_expect_gt(st.received, 20, "the page came over UDPTL");
	rig_free(&r);
}

/* ---- the line verbs without a call ---- */

Test(line_sip, switches_between_audio_and_t38)
{
	struct line *l;
	uint8_t buf[16];
	size_t len;
	uint16_t seq;
	int16_t pcm[160] = {0};

	cr_assert_eq(line_sip_new(rtp_new(), &l), FGW_OK);
	cr_assert_str_eq(line_name(l), "sip");
	cr_assert_eq(line_sip_transport(l), FAX_AUDIO);
	cr_assert_null(line_sip_udptl(l));
	cr_assert_eq(line_send_t38(l, buf, 1, 0, 1), FGW_ERR_STATE);
	cr_assert_eq(line_sip_switch_t38(l, udptl_new()), FGW_OK);
	cr_assert_eq(line_sip_transport(l), FAX_T38);
	cr_assert_not_null(line_sip_udptl(l));
	cr_assert_eq(line_send_audio(l, pcm, 160), FGW_ERR_STATE);
	cr_assert_eq(line_recv_audio(l, pcm, 160), 0);
	cr_assert_eq(line_recv_t38(l, buf, sizeof buf, &len, &seq), 0);
	cr_assert_eq(line_sip_switch_audio(l), FGW_OK);
	cr_assert_eq(line_sip_transport(l), FAX_AUDIO);
	cr_assert_null(line_sip_udptl(l));
	cr_assert_eq(line_recv_audio(l, pcm, 160), 160, "silence before any packet");
	line_free(l);
}

Test(line_sip, refuses_what_is_not_a_sip_line)
{
	struct line *a, *b, *l;
	struct line_loopback_options o;

	line_loopback_options_init(&o);
	cr_assert_eq(line_loopback_new(&o, &a, &b), FGW_OK);
	cr_assert_eq(line_sip_switch_audio(a), FGW_ERR_INVALID);
	cr_assert_null(line_sip_rtp(a));
	cr_assert_eq(line_sip_transport(a), FAX_AUDIO);
	cr_assert_eq(line_sip_new(NULL, &l), FGW_ERR_INVALID);
	cr_assert_eq(line_sip_new_t38(rtp_new(), NULL, &l), FGW_ERR_INVALID);
	cr_assert_eq(line_sip_new_t38(NULL, udptl_new(), &l), FGW_OK);
	cr_assert_eq(line_sip_switch_audio(l), FGW_ERR_STATE, "no RTP to fall back to");
	line_free(l);
	line_free(a);
	line_free(b);
}

/* A simulated call still needs both far parts; a real-time one none. */
Test(line_sip, real_time_call_parameters)
{
	struct event_base *base = event_base_new();
	struct call_registry *reg;
	struct line *l;
	struct call_params p = {.label = "x", .done = on_done};
	struct side s = {0};
	struct fax_endpoint *ep;
	struct fax_options o;
	char dir[64], path[128];

	make_temp_dir(dir);
	cr_assert_eq(str_format(path, sizeof path, "%s/rx.tif", dir), FGW_OK);
	cr_assert_eq(call_registry_new(base, 1, &reg), FGW_OK);
	cr_assert_eq(line_sip_new(rtp_new(), &l), FGW_OK);
	fax_options_init(&o);
	o.role = FAX_RECEIVE;
	o.file = path;
	cr_assert_eq(fax_endpoint_new(&o, &ep), FGW_OK);
	p.local = ep;
	p.local_line = l;
	p.far_line = l;
	p.done_arg = &s;
	cr_assert_eq(call_start(reg, &p), FGW_ERR_INVALID, "far line without far endpoint");
	p.far_line = NULL;
	cr_assert_eq(call_start(reg, &p), FGW_OK);
	cr_assert_eq(call_registry_count(reg), 1);
	call_registry_free(reg);
	cr_assert(s.ended);
	cr_assert(s.out.aborted);
	cr_assert_str_eq(s.out.far.t30_text, "real line");
	line_free(l);
	event_base_free(base);
	remove_temp_dir(dir);
}

static void stop_loop(void *arg, const struct call_outcome *o)
{
	struct side *s = arg;

	s->ended = true;
	s->out = *o;
}

static void hang_up_now(evutil_socket_t fd, short what, void *arg)
{
	struct side *s = arg;

	(void)fd, (void)what;
	call_hang_up(s->call);
}

/* call_hang_up (a BYE): the call ends at its next frame, through done,
 * and the clock stops with the last real-time call. */
Test(line_sip, hang_up_ends_a_real_time_call_at_the_next_tick)
{
	static const struct timeval at = {0, 200000};
	struct event_base *base = event_base_new();
	struct call_registry *reg;
	struct line *l;
	struct side s = {0};
	struct fax_endpoint *ep;
	struct fax_options o;
	struct call_clock_stats cs;
	struct event *ev;
	char dir[64], path[128];

	make_temp_dir(dir);
	cr_assert_eq(str_format(path, sizeof path, "%s/rx.tif", dir), FGW_OK);
	cr_assert_eq(call_registry_new(base, 1, &reg), FGW_OK);
	cr_assert_eq(line_sip_new(rtp_new(), &l), FGW_OK);
	fax_options_init(&o);
	o.role = FAX_RECEIVE;
	o.file = path;
	cr_assert_eq(fax_endpoint_new(&o, &ep), FGW_OK);
	struct call_params p = {.label = "bye", .local = ep, .local_line = l,
				.done = stop_loop, .done_arg = &s};
	cr_assert_eq(call_start_get(reg, &p, &s.call), FGW_OK);
	cr_assert_not_null(ev = evtimer_new(base, hang_up_now, &s));
	cr_assert_eq(event_add(ev, &at), 0);
	cr_assert_eq(event_base_dispatch(base), 1, "1: no event left, the clock stopped");
	cr_assert(s.ended);
	cr_assert_not(s.out.aborted);
	cr_assert_not(s.out.timed_out);
	cr_assert_neq(s.out.local.err, 0, "hung up before any page");
	/* 200 ms: about ten frames of call time, then nothing more */
	cr_assert(s.out.samples >= 8 * 160 && s.out.samples <= 12 * 160, "%llu samples",
		  (unsigned long long)s.out.samples);
	call_registry_clock_stats(reg, &cs);
	cr_assert_geq(cs.ticks, 8);
	cr_assert_eq(call_registry_count(reg), 0);
	event_free(ev);
	call_registry_free(reg);
	line_free(l);
	event_base_free(base);
	remove_temp_dir(dir);
}

/* The last real-time call ends and its done callback starts the next one:
 * the clock restarts for it without replaying the old clock's frames. */
struct chain {
	struct call_registry *reg;
	struct line *line;
	char path[128];
	struct side first, second;
	struct event *bye1, *bye2;
};

static struct fax_endpoint *idle_receiver(const char *path)
{
	struct fax_options o;
	struct fax_endpoint *ep;

	fax_options_init(&o);
	o.role = FAX_RECEIVE;
	o.file = path;
	cr_assert_eq(fax_endpoint_new(&o, &ep), FGW_OK);
	return ep;
}

static void first_done(void *arg, const struct call_outcome *o)
{
	static const struct timeval later = {0, 200000};
	struct chain *ch = arg;
	struct call_params p = {.label = "second", .local = idle_receiver(ch->path),
				.local_line = ch->line, .done = stop_loop, .done_arg = &ch->second};

	ch->first.ended = true;
	ch->first.out = *o;
	cr_assert_eq(call_start_get(ch->reg, &p, &ch->second.call), FGW_OK);
	cr_assert_eq(event_add(ch->bye2, &later), 0);
}

Test(line_sip, call_started_by_a_done_callback_gets_a_fresh_clock)
{
	static const struct timeval at = {0, 100000};
	struct event_base *base = event_base_new();
	struct chain ch;
	char dir[64];

	memset(&ch, 0, sizeof ch);
	make_temp_dir(dir);
	cr_assert_eq(str_format(ch.path, sizeof ch.path, "%s/rx.tif", dir), FGW_OK);
	cr_assert_eq(call_registry_new(base, 1, &ch.reg), FGW_OK);
	cr_assert_eq(line_sip_new(rtp_new(), &ch.line), FGW_OK);
	struct call_params p = {.label = "first", .local = idle_receiver(ch.path),
				.local_line = ch.line, .done = first_done, .done_arg = &ch};
	cr_assert_eq(call_start_get(ch.reg, &p, &ch.first.call), FGW_OK);
	cr_assert_not_null(ch.bye1 = evtimer_new(base, hang_up_now, &ch.first));
	cr_assert_not_null(ch.bye2 = evtimer_new(base, hang_up_now, &ch.second));
	cr_assert_eq(event_add(ch.bye1, &at), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert(ch.first.ended && ch.second.ended);
	/* 200 ms of the second call: about ten frames, none of them a burst
	 * replaying the old clock's count (those would be late frames) */
	cr_assert(ch.second.out.samples >= 8 * 160 && ch.second.out.samples <= 12 * 160,
		  "%llu samples", (unsigned long long)ch.second.out.samples);
	cr_assert_leq(ch.second.out.late_frames, 1, "%llu late frames",
		      (unsigned long long)ch.second.out.late_frames);
	event_free(ch.bye1);
	event_free(ch.bye2);
	call_registry_free(ch.reg);
	line_free(ch.line);
	event_base_free(base);
	remove_temp_dir(dir);
}

/* Calls that end in the same tick: each done callback notes the tick
 * count it ran at. */
#define SAME_TICK_CALLS 3

struct ends {
	struct call_registry *reg;
	struct side side[SAME_TICK_CALLS];
	uint64_t done_tick[SAME_TICK_CALLS];
	int done;
};

struct end_slot {
	struct ends *e;
	int i;
};

static void note_end(void *arg, const struct call_outcome *o)
{
	struct end_slot *slot = arg;
	struct call_clock_stats cs;

	call_registry_clock_stats(slot->e->reg, &cs);
	slot->e->side[slot->i].ended = true;
	slot->e->side[slot->i].out = *o;
	slot->e->done_tick[slot->i] = cs.ticks;
	slot->e->done++;
}

static void hang_up_all(evutil_socket_t fd, short what, void *arg)
{
	struct ends *e = arg;

	(void)fd, (void)what;
	for (int i = 0; i < SAME_TICK_CALLS; i++)
		call_hang_up(e->side[i].call);
}

/* Ends cost time on the loop (storing a fax), so calls ending together
 * are reported one per tick, after the tick, not all inside one. */
Test(line_sip, calls_ending_in_one_tick_are_reported_one_per_tick)
{
	static const struct timeval at = {0, 100000};
	struct event_base *base = event_base_new();
	struct ends e;
	struct end_slot slot[SAME_TICK_CALLS];
	struct event *ev;
	char dir[64], path[SAME_TICK_CALLS][128];

	memset(&e, 0, sizeof e);
	make_temp_dir(dir);
	cr_assert_eq(call_registry_new(base, 1, &e.reg), FGW_OK);
	for (int i = 0; i < SAME_TICK_CALLS; i++) {
		cr_assert_eq(str_format(path[i], sizeof path[i], "%s/rx%d.tif", dir, i), FGW_OK);
		cr_assert_eq(line_sip_new(rtp_new(), &e.side[i].line), FGW_OK);
		slot[i] = (struct end_slot){.e = &e, .i = i};
		struct call_params p = {.label = "together", .local = idle_receiver(path[i]),
					.local_line = e.side[i].line, .done = note_end,
					.done_arg = &slot[i]};
		cr_assert_eq(call_start_get(e.reg, &p, &e.side[i].call), FGW_OK);
	}
	cr_assert_not_null(ev = evtimer_new(base, hang_up_all, &e));
	cr_assert_eq(event_add(ev, &at), 0);
	cr_assert_eq(event_base_dispatch(base), 1, "the clock stops after the last end");
	cr_assert_eq(e.done, SAME_TICK_CALLS);
	for (int i = 0; i < SAME_TICK_CALLS; i++) {
		cr_assert(e.side[i].ended);
		cr_assert_not(e.side[i].out.aborted);
		/* they ended at the same frame ... */
		cr_assert_eq(e.side[i].out.samples, e.side[0].out.samples);
	}
	/* ... and were reported in order, each after a tick of its own (the
	 * newest call is first in the registry, so it ended first) */
	cr_assert_lt(e.done_tick[2], e.done_tick[1]);
	cr_assert_lt(e.done_tick[1], e.done_tick[0]);
	cr_assert_eq(call_registry_count(e.reg), 0);
	event_free(ev);
	call_registry_free(e.reg);
	for (int i = 0; i < SAME_TICK_CALLS; i++)
		line_free(e.side[i].line);
	event_base_free(base);
	remove_temp_dir(dir);
}

static void block_loop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	usleep(200000);
}

/* The loop is blocked for 200 ms: the next tick processes the frames it
 * missed (counted late), so call time still follows the clock. */
Test(line_sip, late_ticks_catch_up_and_count_late_frames)
{
	static const struct timeval at_block = {0, 100000}, at_bye = {0, 500000};
	struct event_base *base = event_base_new();
	struct call_registry *reg;
	struct line *l;
	struct side s = {0};
	struct event *blocker, *bye;
	struct call_clock_stats cs;
	char dir[64], path[128];

	make_temp_dir(dir);
	cr_assert_eq(str_format(path, sizeof path, "%s/rx.tif", dir), FGW_OK);
	cr_assert_eq(call_registry_new(base, 1, &reg), FGW_OK);
	cr_assert_eq(line_sip_new(rtp_new(), &l), FGW_OK);
	struct call_params p = {.label = "slow", .local = idle_receiver(path), .local_line = l,
				.done = stop_loop, .done_arg = &s};
	cr_assert_eq(call_start_get(reg, &p, &s.call), FGW_OK);
	cr_assert_not_null(blocker = evtimer_new(base, block_loop, NULL));
	cr_assert_not_null(bye = evtimer_new(base, hang_up_now, &s));
	cr_assert_eq(event_add(blocker, &at_block), 0);
	cr_assert_eq(event_add(bye, &at_bye), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert(s.ended);
	cr_assert(s.out.samples >= 23 * 160 && s.out.samples <= 27 * 160,
		  "%llu samples in 500 ms", (unsigned long long)s.out.samples);
	cr_assert(s.out.late_frames >= 8 && s.out.late_frames <= 12, "%llu late frames",
		  (unsigned long long)s.out.late_frames);
	call_registry_clock_stats(reg, &cs);
	cr_assert_eq(cs.late_frames, s.out.late_frames);
	event_free(blocker);
	event_free(bye);
	call_registry_free(reg);
	line_free(l);
	event_base_free(base);
	remove_temp_dir(dir);
}
