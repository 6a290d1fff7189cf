/* A small pool of threads for the real-time tick: runs one function over
 * a set of items (the calls due a frame) on the calling thread and the
 * pool's workers at once, and returns when every item ran.
 *
 * Why: every 20 ms each real-time call needs its frame of DSP work, and a
 * call's page end costs milliseconds. On one thread a few page ends in
 * the same tick make that tick, and so every call's frame, late; spread
 * over the processors the same work fits. Items are handed out one at a
 * time from a shared counter, so a thread held up by a costly item leaves
 * the rest to the others.
 *
 * The rest of the daemon (store, audit, SIP, policy) lives on the event
 * loop's thread and is not thread-safe. An item that must reach it (a fax
 * endpoint's event callbacks) asks with frame_pool_on_caller: the job runs
 * on the thread that called frame_pool_run, between two of its own items
 * or while it waits, and the worker continues after it. Between runs the
 * workers sleep and touch nothing.
 *
 * Workers block every signal (the loop thread handles them) and are
 * started on the first run that uses them, so a daemon that drops its
 * privileges before its first call starts them as the unprivileged user. */
#ifndef FAXGW_GATEWAY_FRAME_POOL_H
#define FAXGW_GATEWAY_FRAME_POOL_H

#include <stddef.h>

struct frame_pool;

typedef void frame_pool_item_fn(void *ctx, size_t i);
typedef void frame_pool_job_fn(void *arg);

/* threads: how many threads run items, the caller's included (1: all on
 * the caller, no workers), up to FRAME_POOL_MAX_THREADS; 0 picks one per
 * online processor. Returns 0 or FGW_ERR_INVALID / FGW_ERR_NOMEM. */
#define FRAME_POOL_MAX_THREADS 64
int frame_pool_new(unsigned threads, struct frame_pool **out);

/* Changes the thread count for later runs (0: one per processor). Workers
 * already started stay asleep when fewer are wanted. */
void frame_pool_set_threads(struct frame_pool *p, unsigned threads);

/* The thread count in use (after 0 was resolved). */
unsigned frame_pool_threads(const struct frame_pool *p);

/* Runs fn(ctx, i) once for each i in [0, n). Few items run on the caller
 * alone (waking a worker costs more than they do). Not reentrant: fn must
 * not call frame_pool_run. */
void frame_pool_run(struct frame_pool *p, size_t n, frame_pool_item_fn *fn, void *ctx);

/* Runs job(arg) on frame_pool_run's caller thread and returns when it
 * ran; called from that thread, or outside a run, it runs at once. */
void frame_pool_on_caller(struct frame_pool *p, frame_pool_job_fn *job, void *arg);

/* Stops and joins the workers. NULL is allowed. */
void frame_pool_free(struct frame_pool *p);

#endif
