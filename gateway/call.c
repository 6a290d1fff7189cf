/* The calls registry and its pump on the event loop. */
#include <event2/event.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/call.h"
#include "gateway/frame_pool.h"
#include "gateway/line_pump.h"

#define DEFAULT_MAX_SECONDS 600
#define FRAME_NS 20000000LL          /* one real-time frame: 20 ms */
#define MAX_CATCHUP 250              /* frames (5 s) one late tick may redo */
#define ENDS_BACKLOG 8               /* ended calls reported per tick: queue / this, at least 1 */

struct call {
	struct call_registry *reg;
	struct call *prev, *next;
	struct call_params p;
	char label[96];
	struct event *turn;           /* simulated calls only */
	uint64_t samples;
	uint64_t limit;               /* samples */
	bool realtime;
	atomic_bool hangup;           /* call_hang_up asked; done at the next frame */
	struct fax_endpoint *pending; /* call_switch_transport's new endpoint */
	uint64_t late_frames;
	bool over;                    /* real time: ended, its report queued */
	bool over_timed_out;
	bool ended, ended_timed_out;  /* set by its frame (maybe on a worker) */
	struct call *next_over;
};

struct call_registry {
	struct event_base *base;
	unsigned frames;
	struct call *calls;
	size_t count;
	size_t realtime;              /* real-time calls: the tick runs while > 0 */
	struct event *tick;
	int64_t epoch_ns;             /* monotonic time of frame 0 */
	uint64_t frames_done;         /* since epoch */
	struct call_clock_stats clock;
	struct event *ends;           /* reports queued ends after a tick */
	struct call *over_head, *over_tail;
	size_t over;
	struct frame_pool *pool;      /* runs one frame of many calls at once */
	struct call **due;            /* this frame's calls, for the pool */
	size_t due_cap;
	bool due_late;
	int64_t tick_end_ns;          /* when the last tick's frames were done */
	int64_t tick_work_ns;         /* how long they took */
	int64_t late_told_ns;         /* last "late tick" warning */
};

static void on_tick(evutil_socket_t fd, short what, void *arg);
static void on_ends(evutil_socket_t fd, short what, void *arg);

int call_registry_new(struct event_base *base, unsigned frames_per_turn,
		      struct call_registry **out)
{
	struct call_registry *r;

	*out = NULL;
	if (frames_per_turn < 1 || frames_per_turn > 1000)
		return FGW_ERR_INVALID;
	if ((r = calloc(1, sizeof *r)) == NULL)
		return FGW_ERR_NOMEM;
	r->tick = evtimer_new(base, on_tick, r);
	r->ends = event_new(base, -1, 0, on_ends, r);
	if (r->tick == NULL || r->ends == NULL || frame_pool_new(1, &r->pool) != 0) {
		if (r->tick != NULL)
			event_free(r->tick);
		if (r->ends != NULL)
			event_free(r->ends);
		free(r);
		return FGW_ERR_NOMEM;
	}
	r->base = base;
	r->frames = frames_per_turn;
	*out = r;
	return 0;
}

void call_registry_set_frames(struct call_registry *r, unsigned frames_per_turn)
{
	if (frames_per_turn >= 1 && frames_per_turn <= 1000)
		r->frames = frames_per_turn;
}

void call_registry_set_threads(struct call_registry *r, unsigned threads)
{
	frame_pool_set_threads(r->pool, threads);
}

unsigned call_registry_threads(const struct call_registry *r)
{
	return frame_pool_threads(r->pool);
}

/* A real-time call's fax events (decide: the inbound policy and the store;
 * pages) run on the loop's thread even when its frame runs on a worker. */
static void run_on_loop(void *arg, void (*job)(void *), void *job_arg)
{
	frame_pool_on_caller(arg, job, job_arg);
}

static void unlink_call(struct call *c)
{
	struct call_registry *r = c->reg;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		r->calls = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	r->count--;
	if (c->realtime && --r->realtime == 0)
		(void)event_del(r->tick);
}

static void get_result(const struct fax_endpoint *ep, struct fax_result *out)
{
	if (ep == NULL) {
		memset(out, 0, sizeof *out);
		out->t30_text = "real line";
	} else if (fax_endpoint_result(ep, out) != 0) {
		memset(out, 0, sizeof *out);
		out->err = FGW_ERR_FAX_FAILED;
		out->t30_text = "call cut before its end";
	}
}

/* Reports the end, then frees the call. Unlinked first: done may start
 * new calls. */
static void finish(struct call *c, bool timed_out, bool aborted)
{
	struct call_outcome o = {.samples = c->samples, .timed_out = timed_out,
				 .aborted = aborted, .late_frames = c->late_frames};

	unlink_call(c);
	get_result(c->p.local, &o.local);
	get_result(c->p.far, &o.far);
	log_info("call %s ended after %.1f s: %s", c->label,
		 (double)c->samples / FAX_SAMPLE_RATE,
		 aborted ? "aborted at shutdown" : timed_out ? "time limit reached" :
		 o.local.t30_text != NULL ? o.local.t30_text : "done");
	c->p.done(c->p.done_arg, &o);
	if (c->turn != NULL)
		event_free(c->turn);
	fax_endpoint_free(c->p.local);
	fax_endpoint_free(c->p.far);
	fax_endpoint_free(c->pending);
	if (c->p.release != NULL)
		c->p.release(c->p.release_arg);
	free(c);
}

static bool both_done(const struct call *c)
{
	return fax_endpoint_done(c->p.local) &&
	       (c->p.far == NULL || fax_endpoint_done(c->p.far));
}

/* Hangs up both ends; fax_endpoint_abort always reports an end. */
static void hang_up(struct call *c)
{
	fax_endpoint_abort(c->p.local);
	if (c->p.far != NULL)
		fax_endpoint_abort(c->p.far);
}

static void on_turn(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;
	static const struct timeval now = {0, 0};

	(void)fd, (void)what;
	if (atomic_load(&c->hangup))
		hang_up(c);
	for (unsigned i = 0; i < c->reg->frames && !both_done(c); i++) {
		int rc = line_pump_step(c->p.local, c->p.local_line, c->p.far, c->p.far_line);
		c->samples += LINE_PUMP_STEP;
		if (rc != 0) {
			log_warn("call %s: line error: %s", c->label, fgw_strerror(rc));
			hang_up(c);
		} else if (c->samples >= c->limit) {
			hang_up(c);
			finish(c, true, false);
			return;
		}
	}
	if (both_done(c))
		finish(c, false, false);
	else if (event_add(c->turn, &now) != 0)
		log_error("call %s: cannot schedule the next turn", c->label);
}

static int check_params(const struct call_params *p)
{
	if (p->local == NULL || p->local_line == NULL || p->done == NULL)
		return FGW_ERR_INVALID;
	if (p->far == NULL)
		return p->far_line == NULL ? 0 : FGW_ERR_INVALID;
	if (p->far_line == NULL ||
	    fax_endpoint_transport(p->local) != fax_endpoint_transport(p->far))
		return FGW_ERR_INVALID;
	return 0;
}

/* ---- the real-time clock ---- */

/* Arms the tick for the start of frame frames_done + 1; a deadline already
 * past fires at once. Absolute deadlines keep the clock from drifting. */
static void arm_tick(struct call_registry *r)
{
	int64_t due = r->epoch_ns + (int64_t)(r->frames_done + 1) * FRAME_NS;
	int64_t wait = due - clock_mono_ns();
	struct timeval tv = {0, 0};

	if (wait > 0) {
		tv.tv_sec = (time_t)(wait / 1000000000LL);
		tv.tv_usec = (suseconds_t)((wait % 1000000000LL + 999) / 1000);
	}
	if (evtimer_add(r->tick, &tv) != 0)
		log_error("calls: cannot arm the 20 ms clock");
}

/* Hands every T.38 datagram waiting on the line to the endpoint; one the
 * endpoint cannot decode costs that packet only. */
static int rt_t38_in(struct call *c)
{
	uint8_t buf[LINE_T38_MAX_IFP];
	size_t len;
	uint16_t seq;
	int rc;

	while ((rc = line_recv_t38(c->p.local_line, buf, sizeof buf, &len, &seq)) != 0) {
		if (rc < 0)
			return rc;
		if (fax_endpoint_rx_t38(c->p.local, buf, len, seq) != 0)
			log_debug("call %s: T.38 packet %u not understood", c->label, seq);
	}
	return 0;
}

/* One 20 ms frame of a real-time call: what the line delivered goes in,
 * 160 samples (or 20 ms of T.38 time) go out. */
static int rt_frame_io(struct call *c)
{
	int16_t buf[LINE_PUMP_STEP];
	size_t n;
	int rc;

	if (fax_endpoint_transport(c->p.local) == FAX_T38) {
		if ((rc = fax_endpoint_advance(c->p.local, LINE_PUMP_STEP)) != 0)
			return rc;
		return rt_t38_in(c);
	}
	n = fax_endpoint_tx_audio(c->p.local, buf, LINE_PUMP_STEP);
	if ((rc = line_send_audio(c->p.local_line, buf, n)) != 0)
		return rc;
	n = line_recv_audio(c->p.local_line, buf, LINE_PUMP_STEP);
	return n > 0 ? fax_endpoint_rx_audio(c->p.local, buf, n) : 0;
}

/* A call's end costs milliseconds on this thread (the done callback
 * stores a received fax: vault, catalog, audit sync; hangs up the SIP
 * dialog). Reported inside the frame, a few ends meeting in one tick
 * would make that tick, and so every call's frame, late. So the end is
 * queued here and reported by on_ends after the tick, a bounded number
 * per tick (see report_ends). */
static void end_later(struct call *c, bool timed_out)
{
	struct call_registry *r = c->reg;

	c->over = true;
	c->over_timed_out = timed_out;
	c->next_over = NULL;
	if (r->over_tail != NULL)
		r->over_tail->next_over = c;
	else
		r->over_head = c;
	r->over_tail = c;
	r->over++;
}

/* Reports the first n queued ends (done callbacks, frees). */
static void report_ends(struct call_registry *r, size_t n)
{
	while (n-- > 0 && r->over_head != NULL) {
		struct call *c = r->over_head;

		if ((r->over_head = c->next_over) == NULL)
			r->over_tail = NULL;
		r->over--;
		finish(c, c->over_timed_out, false);
	}
}

/* One end per tick spreads them over the gaps between ticks; a backlog
 * (many calls ending together) drains an eighth per tick, so an end is
 * reported within about ENDS_BACKLOG ticks. */
static void on_ends(evutil_socket_t fd, short what, void *arg)
{
	struct call_registry *r = arg;

	(void)fd, (void)what;
	report_ends(r, r->over / ENDS_BACKLOG + 1);
}

/* Runs one frame of c; marks it ended when over. Runs on any of the
 * pool's threads: touches c alone (its events go to the loop's thread). */
static void rt_frame(struct call *c, bool late)
{
	int rc;

	if (c->pending != NULL) {
		fax_endpoint_free(c->p.local);
		c->p.local = c->pending;
		c->pending = NULL;
	}
	if (atomic_load(&c->hangup))
		fax_endpoint_abort(c->p.local);
	if (!fax_endpoint_done(c->p.local)) {
		if ((rc = rt_frame_io(c)) != 0) {
			log_warn("call %s: line error: %s", c->label, fgw_strerror(rc));
			fax_endpoint_abort(c->p.local);
		}
		c->samples += LINE_PUMP_STEP;
		c->late_frames += late;
	}
	if (c->samples >= c->limit && !fax_endpoint_done(c->p.local)) {
		fax_endpoint_abort(c->p.local);
		c->ended = c->ended_timed_out = true;
	} else if (fax_endpoint_done(c->p.local)) {
		c->ended = true;
	}
}

static void rt_frame_item(void *ctx, size_t i)
{
	struct call_registry *r = ctx;

	rt_frame(r->due[i], r->due_late);
}

/* This frame's calls, in the registry's order. */
static size_t collect_due(struct call_registry *r)
{
	size_t n = 0;

	if (r->due_cap < r->realtime) {
		size_t cap = r->realtime * 2;
		struct call **due = realloc(r->due, cap * sizeof *due);

		if (due == NULL)
			fatal("calls: out of memory for the frame list (%zu calls)", r->realtime);
		r->due = due;
		r->due_cap = cap;
	}
	for (struct call *c = r->calls; c != NULL && n < r->due_cap; c = c->next)
		if (c->realtime && !c->over)
			r->due[n++] = c;
	return n;
}

/* One frame for every real-time call, on the pool's threads; the ends
 * are queued here, on the loop's thread, in the registry's order. */
static void rt_frame_all(struct call_registry *r, bool late)
{
	size_t n = collect_due(r);

	r->due_late = late;
	frame_pool_run(r->pool, n, rt_frame_item, r);
	for (size_t i = 0; i < n; i++)
		if (r->due[i]->ended)
			end_later(r->due[i], r->due[i]->ended_timed_out);
	r->clock.frames++;
	r->clock.late_frames += late;
}

/* Says why a tick came late, at most every 10 s: its frames' own work
 * (too many calls for the DSP threads), or the time between ticks (the
 * loop busy elsewhere, or the process not scheduled). */
static void tell_late(struct call_registry *r, int64_t now, uint64_t due)
{
	int64_t deadline = r->epoch_ns + (int64_t)(r->frames_done + 1) * FRAME_NS;
	int64_t idle_from = r->tick_end_ns > deadline ? r->tick_end_ns : deadline;

	if (r->late_told_ns != 0 && now - r->late_told_ns < 10 * 1000000000LL)
		return;
	r->late_told_ns = now;
	log_warn("calls: a 20 ms tick came %.1f ms late (%llu frames due, %zu real-time calls): "
		 "the tick before took %.1f ms of frames, then %.1f ms passed outside the "
		 "frames (other work on the event loop, or the process not scheduled)",
		 (double)(now - deadline) / 1e6, (unsigned long long)(due - r->frames_done),
		 r->realtime, (double)r->tick_work_ns / 1e6, (double)(now - idle_from) / 1e6);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct call_registry *r = arg;
	int64_t start = clock_mono_ns(), elapsed = start - r->epoch_ns;
	uint64_t due = elapsed > 0 ? (uint64_t)(elapsed / FRAME_NS) : 0;

	(void)fd, (void)what;
	r->clock.ticks++;
	if (due > r->frames_done + 1 && r->realtime > 0)
		tell_late(r, start, due);
	if (due > r->frames_done + MAX_CATCHUP) {
		log_warn("calls: the clock is %llu frames behind; skipping ahead",
			 (unsigned long long)(due - r->frames_done));
		r->clock.late_frames += due - r->frames_done - MAX_CATCHUP;
		r->frames_done = due - MAX_CATCHUP;
	}
	/* A done callback that ends the last call and starts another restarts
	 * the clock (new epoch): this tick's count is void then. */
	for (int64_t epoch = r->epoch_ns;
	     r->frames_done < due && r->realtime > 0 && r->epoch_ns == epoch;) {
		r->frames_done++;
		rt_frame_all(r, r->frames_done < due);
	}
	r->tick_end_ns = clock_mono_ns();
	r->tick_work_ns = r->tick_end_ns - start;
	if (r->over_head != NULL)
		event_active(r->ends, EV_TIMEOUT, 0);
	if (r->realtime > 0)
		arm_tick(r);
}

static int start_clock(struct call_registry *r)
{
	static const struct timeval first = {0, FRAME_NS / 1000};

	if (r->realtime > 0)
		return 0;
	r->epoch_ns = clock_mono_ns();
	r->frames_done = 0;
	return event_add(r->tick, &first) == 0 ? 0 : FGW_ERR_NOMEM;
}

static int schedule(struct call_registry *r, struct call *c)
{
	static const struct timeval now = {0, 0};

	if (c->realtime)
		return start_clock(r);
	c->turn = event_new(r->base, -1, 0, on_turn, c);
	if (c->turn == NULL || event_add(c->turn, &now) != 0) {
		if (c->turn != NULL)
			event_free(c->turn);
		return FGW_ERR_NOMEM;
	}
	return 0;
}

int call_start(struct call_registry *r, const struct call_params *p)
{
	return call_start_get(r, p, NULL);
}

int call_start_get(struct call_registry *r, const struct call_params *p,
		   struct call **out)
{
	struct call *c;
	int rc;

	if ((rc = check_params(p)) != 0)
		return rc;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return FGW_ERR_NOMEM;
	c->reg = r;
	c->p = *p;
	c->realtime = p->far == NULL;
	(void)str_copy(c->label, sizeof c->label, p->label != NULL ? p->label : "call");
	c->p.label = c->label;
	c->limit = (uint64_t)(p->max_seconds != 0 ? p->max_seconds : DEFAULT_MAX_SECONDS) *
		   FAX_SAMPLE_RATE;
	atomic_init(&c->hangup, false);
	if (c->realtime)
		fax_endpoint_set_runner(c->p.local, run_on_loop, r->pool);
	if (schedule(r, c) != 0) {
		free(c);
		return FGW_ERR_NOMEM;
	}
	r->realtime += c->realtime;
	if (out != NULL)
		*out = c;
	c->next = r->calls;
	if (r->calls != NULL)
		r->calls->prev = c;
	r->calls = c;
	r->count++;
	log_info("call %s started%s", c->label, c->realtime ? " (real time)" : "");
	return 0;
}

int call_switch_transport(struct call *c, struct fax_endpoint *ep)
{
	if (ep == NULL || !c->realtime)
		return FGW_ERR_INVALID;
	fax_endpoint_free(c->pending);
	c->pending = ep;
	fax_endpoint_set_runner(ep, run_on_loop, c->reg->pool);
	log_info("call %s: fax endpoint switches to %s", c->label,
		 fax_endpoint_transport(ep) == FAX_T38 ? "T.38" : "audio");
	return 0;
}

void call_hang_up(struct call *c)
{
	atomic_store(&c->hangup, true);
}

void call_registry_clock_stats(const struct call_registry *r, struct call_clock_stats *out)
{
	*out = r->clock;
}

void call_registry_abort_all(struct call_registry *r)
{
	report_ends(r, r->over);       /* these ended on their own: not aborted */
	while (r->calls != NULL) {
		struct call *c = r->calls;
		hang_up(c);
		finish(c, false, true);
	}
}

size_t call_registry_count(const struct call_registry *r)
{
	return r->count;
}

void call_registry_list(const struct call_registry *r, call_visit_fn *fn, void *arg)
{
	for (const struct call *c = r->calls; c != NULL; c = c->next)
		fn(arg, c->label, (double)c->samples / FAX_SAMPLE_RATE);
}

void call_registry_free(struct call_registry *r)
{
	if (r == NULL)
		return;
	call_registry_abort_all(r);
	event_free(r->ends);
	event_free(r->tick);
	frame_pool_free(r->pool);
	free(r->due);
	free(r);
}
