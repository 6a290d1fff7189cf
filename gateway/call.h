/* Calls on the daemon's event loop: a call is the daemon's fax endpoint
 * on its line end plus, on a simulated line, the simulated far end's
 * endpoint on the other end. Any number run at once.
 *
 * Pacing: a simulated call has no clock of its own, so it is pumped as
 * fast as possible, in 20 ms frames, up to frames_per_turn frames per
 * loop turn, and then yields through a zero-timeout event so other calls
 * and the control socket stay served. A real-time call (far endpoint
 * NULL: a SIP line whose far end is the network) is paced by the clock:
 * one 20 ms tick per registry, on the monotonic clock, gives every
 * real-time call one frame (the line's 160 received samples in, 160 sent
 * out, or 20 ms of T.38 time); a tick that fires late processes the frames
 * it missed (catch-up, never drifting) and counts them as late frames.
 *
 * Every call ends exactly once through its done callback (finished,
 * timed out, or aborted at shutdown), after which the registry frees the
 * endpoints and gives the line back. A real-time call's done callback
 * runs after the tick in which it ended, not inside it, and a tick
 * reports one end (more when ends pile up), so the work ends cost
 * (storing a received fax) never makes a tick late for every call. */
#ifndef FAXGW_GATEWAY_CALL_H
#define FAXGW_GATEWAY_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsp/fax.h"

struct event_base;
struct line;
struct call;
struct call_registry;

/* How a call ended. */
struct call_outcome {
	struct fax_result local;  /* the daemon's endpoint */
	struct fax_result far;    /* the simulated far end's endpoint (zero,
				     with t30_text "real line", in real time) */
	uint64_t samples;         /* call time in 8 kHz samples */
	uint64_t late_frames;     /* real time: frames processed late */
	bool timed_out;           /* the call ran past its limit and was cut */
	bool aborted;             /* cut by call_registry_abort_all (shutdown) */
};

/* Called once when the call is over; o is valid during the call only.
 * May start new calls. The endpoints are freed after it returns. */
typedef void call_done_fn(void *arg, const struct call_outcome *o);

struct call_params {
	const char *label;            /* for logs and status; copied */
	struct fax_endpoint *local;   /* required */
	struct line *local_line;
	struct fax_endpoint *far;     /* simulated line; NULL: real time */
	struct line *far_line;        /* with far; NULL in real time */
	unsigned max_seconds;         /* call time limit; 0: 600 */
	call_done_fn *done;           /* required */
	void *done_arg;
	/* Gives the line back after done (may be NULL). */
	void (*release)(void *arg);
	void *release_arg;
};

/* Makes an empty registry on base. frames_per_turn: 1..1000. Returns 0
 * and *out (call_registry_free), FGW_ERR_INVALID, FGW_ERR_NOMEM. */
int call_registry_new(struct event_base *base, unsigned frames_per_turn,
		      struct call_registry **out);

/* Changes the frames per turn (reload). Out-of-range values are ignored. */
void call_registry_set_frames(struct call_registry *r, unsigned frames_per_turn);

/* Threads that run the real-time calls' frames each tick, the loop's own
 * included (1, the default: all on the loop; 0: one per processor; see
 * frame_pool.h). A call's fax events (policy, pages, end) still run on
 * the loop's thread, as does everything outside the frames. */
void call_registry_set_threads(struct call_registry *r, unsigned threads);
unsigned call_registry_threads(const struct call_registry *r);

/* Starts a call. On success the registry owns the endpoints and calls
 * release at the end; returns 0. With far NULL the call runs in real time
 * (see above). On failure (FGW_ERR_INVALID: a required part missing,
 * transports differ, or far without far_line; FGW_ERR_NOMEM) the caller
 * still owns everything. */
int call_start(struct call_registry *r, const struct call_params *p);

/* As call_start, and *out gets the call (valid until its done callback
 * returns; do not use it after) for call_switch_transport and
 * call_hang_up. */
int call_start_get(struct call_registry *r, const struct call_params *p,
		   struct call **out);

/* Replaces a real-time call's local endpoint by ep (a T.38 one after the
 * line was re-pointed with line_sip_switch_t38, or an audio one on
 * fallback), from the next tick on; the old endpoint is freed then,
 * without its done event. Safe to call from inside the call's own
 * callbacks. Returns 0 (the registry owns ep), FGW_ERR_INVALID (ep NULL,
 * or c is a simulated call: the caller keeps ep). */
int call_switch_transport(struct call *c, struct fax_endpoint *ep);

/* Hangs the call up (the peer sent BYE, a SIP error): the endpoint is
 * aborted and the done callback follows on the next tick. */
void call_hang_up(struct call *c);

/* Real-time clock counters of the registry. */
struct call_clock_stats {
	uint64_t ticks;           /* timer firings */
	uint64_t frames;          /* 20 ms frames processed (all calls share) */
	uint64_t late_frames;     /* of which processed a tick late */
};
void call_registry_clock_stats(const struct call_registry *r, struct call_clock_stats *out);

/* Ends every call now (local hang-up on both ends): each done callback
 * runs, with aborted set, before this returns. */
void call_registry_abort_all(struct call_registry *r);

/* Calls in progress. */
size_t call_registry_count(const struct call_registry *r);

/* Calls fn for each call in progress: its label and call time so far. */
typedef void call_visit_fn(void *arg, const char *label, double seconds);
void call_registry_list(const struct call_registry *r, call_visit_fn *fn, void *arg);

/* Aborts every call (see above) and frees r. NULL is fine. */
void call_registry_free(struct call_registry *r);

#endif
