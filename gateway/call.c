/* The calls registry and its pump on the event loop. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/call.h"
#include "gateway/line_pump.h"

#define DEFAULT_MAX_SECONDS 600

struct call {
	struct call_registry *reg;
	struct call *prev, *next;
	struct call_params p;
	char label[96];
	struct event *turn;
	uint64_t samples;
	uint64_t limit;               /* samples */
};

struct call_registry {
	struct event_base *base;
	unsigned frames;
	struct call *calls;
	size_t count;
};

int call_registry_new(struct event_base *base, unsigned frames_per_turn,
		      struct call_registry **out)
{
	struct call_registry *r;

	*out = NULL;
	if (frames_per_turn < 1 || frames_per_turn > 1000)
		return FGW_ERR_INVALID;
	if ((r = calloc(1, sizeof *r)) == NULL)
		return FGW_ERR_NOMEM;
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
}

static void get_result(const struct fax_endpoint *ep, struct fax_result *out)
{
	if (fax_endpoint_result(ep, out) != 0) {
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
				 .aborted = aborted};

	unlink_call(c);
	get_result(c->p.local, &o.local);
	get_result(c->p.far, &o.far);
	log_info("call %s ended after %.1f s: %s", c->label,
		 (double)c->samples / FAX_SAMPLE_RATE,
		 aborted ? "aborted at shutdown" : timed_out ? "time limit reached" :
		 o.local.t30_text != NULL ? o.local.t30_text : "done");
	c->p.done(c->p.done_arg, &o);
	event_free(c->turn);
	fax_endpoint_free(c->p.local);
	fax_endpoint_free(c->p.far);
	if (c->p.release != NULL)
		c->p.release(c->p.release_arg);
	free(c);
}

static bool both_done(const struct call *c)
{
	return fax_endpoint_done(c->p.local) && fax_endpoint_done(c->p.far);
}

/* Hangs up both ends; fax_endpoint_abort always reports an end. */
static void hang_up(struct call *c)
{
	fax_endpoint_abort(c->p.local);
	fax_endpoint_abort(c->p.far);
}

static void on_turn(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;
	static const struct timeval now = {0, 0};

	(void)fd, (void)what;
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
	if (p->far == NULL || p->far_line == NULL)
		return FGW_ERR_UNSUPPORTED;
	if (fax_endpoint_transport(p->local) != fax_endpoint_transport(p->far))
		return FGW_ERR_INVALID;
	return 0;
}

int call_start(struct call_registry *r, const struct call_params *p)
{
	static const struct timeval now = {0, 0};
	struct call *c;
	int rc;

	if ((rc = check_params(p)) != 0)
		return rc;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return FGW_ERR_NOMEM;
	c->reg = r;
	c->p = *p;
	(void)str_copy(c->label, sizeof c->label, p->label != NULL ? p->label : "call");
	c->p.label = c->label;
	c->limit = (uint64_t)(p->max_seconds != 0 ? p->max_seconds : DEFAULT_MAX_SECONDS) *
		   FAX_SAMPLE_RATE;
	c->turn = event_new(r->base, -1, 0, on_turn, c);
	if (c->turn == NULL || event_add(c->turn, &now) != 0) {
		if (c->turn != NULL)
			event_free(c->turn);
		free(c);
		return FGW_ERR_NOMEM;
	}
	c->next = r->calls;
	if (r->calls != NULL)
		r->calls->prev = c;
	r->calls = c;
	r->count++;
	log_info("call %s started", c->label);
	return 0;
}

void call_registry_abort_all(struct call_registry *r)
{
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
	free(r);
}
