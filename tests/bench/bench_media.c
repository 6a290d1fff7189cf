/* bench_media: what a real-time fax call costs on the media path.
 *
 * Method. N pairs of SpanDSP fax endpoints (a sender and a receiver of the
 * same one-page TIFF) run as 2N real-time calls of ONE call registry on one
 * event loop, each call over its own RTP u-law session on loopback (SIP
 * lines, jitter buffer, PLC), for WINDOW seconds of wall time: the first
 * seconds of every fax (tones, V.21 phase B, training, page data), all
 * calls paced by the registry's 20 ms clock. Measured: process CPU time
 * (getrusage) over the window per call, as a share of one core, and the
 * clock's late frames (frames a tick had to catch up).
 *
 * For comparison, the same N pairs run over the in-memory loopback line
 * pumped as fast as possible (gateway/line_pump.h) for the same call time:
 * that is the DSP alone. The difference is what the media path and the
 * clock add per call. Printed, not asserted. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/call.h"
#include "gateway/line.h"
#include "gateway/line_pump.h"
#include "gateway/line_sip.h"
#include "gateway/rtp_session.h"

#define WINDOW 15                   /* seconds of call time measured */
#define MAX_PAIRS 200
#define PAGE "tiff/asterisk-testsuite__udptl_1page.tif"

static const struct media_bind BIND = {"127.0.0.1", 36000, 39999};

struct bench {
	char file[1024];
	char dir[64];
	unsigned ended;
};

static double cpu_now(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		fatal("getrusage failed");
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static enum fax_decision accept_all(void *user, const struct fax_phase_b *info)
{
	(void)user, (void)info;
	return FAX_ACCEPT;
}

static struct fax_endpoint *endpoint(struct bench *b, enum fax_role role, struct line *l,
				     unsigned i)
{
	static const struct fax_events ev = {.decide = accept_all};
	struct fax_options o;
	struct fax_endpoint *ep;
	char out[128];

	if (str_format(out, sizeof out, "%s/rx%u.tif", b->dir, i) != 0)
		fatal("path too long");
	fax_options_init(&o);
	o.role = role;
	o.file = role == FAX_SEND ? b->file : out;
	o.t38_out = line_pump_t38_out;
	o.t38_user = l;
	o.events = &ev;
	if (fax_endpoint_new(&o, &ep) != 0)
		fatal("cannot make a fax endpoint");
	return ep;
}

static void on_done(void *arg, const struct call_outcome *o)
{
	struct bench *b = arg;

	(void)o;
	b->ended++;
}

static void stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	event_base_loopbreak(arg);
}

static void rtp_pair(struct line **a, struct line **b)
{
	struct rtp_session *x, *y;
	struct rtp_session_media m = {.law = DSP_G711_ULAW, .pt = 0, .te_pt = -1,
				      .jitter_max_ms = 100};

	if (rtp_session_new(&BIND, &x) != 0 || rtp_session_new(&BIND, &y) != 0)
		fatal("no RTP port free in %u-%u", BIND.port_lo, BIND.port_hi);
	if (rtp_session_set_peer(x, "127.0.0.1", rtp_session_port(y), &m) != 0 ||
	    rtp_session_set_peer(y, "127.0.0.1", rtp_session_port(x), &m) != 0 ||
	    line_sip_new(x, a) != 0 || line_sip_new(y, b) != 0)
		fatal("cannot make SIP lines");
}

static void start(struct bench *b, struct call_registry *reg, struct line *l,
		  enum fax_role role, unsigned i)
{
	struct call_params p = {.label = role == FAX_SEND ? "tx" : "rx",
				.local = endpoint(b, role, l, i), .local_line = l,
				.max_seconds = WINDOW + 30, .done = on_done, .done_arg = b};

	if (call_start(reg, &p) != 0)
		fatal("call_start failed");
}

/* 2n real-time calls over RTP for WINDOW s; prints the cost per call. */
static double run_realtime(struct bench *b, unsigned n)
{
	static struct line *la[MAX_PAIRS], *lb[MAX_PAIRS];
	struct event_base *base = event_base_new();
	struct call_registry *reg;
	struct timeval window = {WINDOW, 0};
	struct call_clock_stats cs;
	struct event *ev;
	double cpu;

	if (base == NULL || call_registry_new(base, 1, &reg) != 0)
		fatal("no event base");
	b->ended = 0;
	for (unsigned i = 0; i < n; i++) {
		rtp_pair(&la[i], &lb[i]);
		start(b, reg, la[i], FAX_SEND, i);
		start(b, reg, lb[i], FAX_RECEIVE, i);
	}
	if ((ev = evtimer_new(base, stop, base)) == NULL || event_add(ev, &window) != 0)
		fatal("no timer");
	cpu = cpu_now();
	if (event_base_dispatch(base) < 0)
		fatal("event loop failed");
	cpu = cpu_now() - cpu;
	call_registry_clock_stats(reg, &cs);
	printf("real time, RTP u-law: %4u calls  CPU %5.1f%% of a core  per call %.3f%%  "
	       "late frames %llu of %llu  calls over before the end %u\n", 2 * n, 100 * cpu / WINDOW,
	       100 * cpu / WINDOW / (2 * n), (unsigned long long)cs.late_frames,
	       (unsigned long long)cs.frames, b->ended);
	call_registry_free(reg);
	event_free(ev);
	for (unsigned i = 0; i < n; i++) {
		line_free(la[i]);
		line_free(lb[i]);
	}
	event_base_free(base);
	return 100 * cpu / WINDOW / (2 * n);
}

/* The same faxes over the in-memory loopback, pumped flat out. */
static double run_loopback(struct bench *b, unsigned n)
{
	struct line_loopback_options o;
	double cpu = cpu_now();

	line_loopback_options_init(&o);
	for (unsigned i = 0; i < n; i++) {
		struct line *x, *y;
		struct fax_endpoint *tx, *rx;
		if (line_loopback_new(&o, &x, &y) != 0)
			fatal("no loopback line");
		tx = endpoint(b, FAX_SEND, x, i);
		rx = endpoint(b, FAX_RECEIVE, y, i);
		(void)line_pump_run(tx, x, rx, y, WINDOW, NULL);
		fax_endpoint_free(tx);
		fax_endpoint_free(rx);
		line_free(x);
		line_free(y);
	}
	cpu = cpu_now() - cpu;
	printf("loopback, DSP only:   %4u calls  per call %.3f%% of a core (same call time)\n",
	       2 * n, 100 * cpu / WINDOW / (2 * n));
	return 100 * cpu / WINDOW / (2 * n);
}

static void clean_dir(const char *dir)
{
	char path[128];

	for (unsigned i = 0; i < MAX_PAIRS; i++)
		if (str_format(path, sizeof path, "%s/rx%u.tif", dir, i) == 0)
			(void)unlink(path);
	(void)rmdir(dir);
}

int main(int argc, char **argv)
{
	static const unsigned steps[] = {10, 50, 150};
	const char *data = getenv("FAXGW_TESTDATA");
	struct bench b;

	(void)argc, (void)argv;
	memset(&b, 0, sizeof b);
	if (data == NULL || str_format(b.file, sizeof b.file, "%s/%s", data, PAGE) != 0)
		fatal("FAXGW_TESTDATA must name the shared test data");
	if (str_copy(b.dir, sizeof b.dir, "/tmp/faxgw-bench-media-XXXXXX") != 0 ||
	    mkdtemp(b.dir) == NULL)
		fatal("mkdtemp failed");
	log_init("bench_media", true, LOG_LEVEL_WARNING);
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		double rt = run_realtime(&b, steps[k]);
		double lo = run_loopback(&b, steps[k] < 20 ? steps[k] : 20);
		printf("  media path and clock add %.3f%% of a core per call (x%.2f)\n",
		       rt - lo, lo > 0 ? rt / lo : 0);
	}
	clean_dir(b.dir);
	return 0;
}
