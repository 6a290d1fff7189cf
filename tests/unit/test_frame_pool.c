/* The real-time tick's thread pool: every item runs exactly once, the
 * work really spreads over threads (an item the caller holds up is taken
 * by a worker), jobs asked for by workers run on the caller's thread and
 * the worker waits for them, and a one-thread pool never leaves the
 * caller. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "gateway/frame_pool.h"

#define ITEMS 2000
#define WAIT_NS 5000000000LL   /* a worker not showing up in 5 s: broken */

struct run {
	struct frame_pool *pool;
	pthread_t caller;
	atomic_int ran[ITEMS];
	atomic_int on_caller, on_workers;
	atomic_bool worker_seen;
	/* jobs: run on the caller's thread only, so plain counters */
	int jobs, jobs_elsewhere;
	bool hold_first;         /* the caller's first item waits for a worker */
	atomic_bool held;
};

static long long now_ns(void)
{
	struct timespec ts;

	cr_assert_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void count_item(void *ctx, size_t i)
{
	struct run *r = ctx;
	bool mine = pthread_equal(pthread_self(), r->caller);

	atomic_fetch_add(&r->ran[i], 1);
	atomic_fetch_add(mine ? &r->on_caller : &r->on_workers, 1);
	if (!mine)
		atomic_store(&r->worker_seen, true);
	if (mine && r->hold_first && !atomic_exchange(&r->held, true)) {
		long long until = now_ns() + WAIT_NS;

		while (!atomic_load(&r->worker_seen) && now_ns() < until)
			usleep(100);
	}
}

static void run_init(struct run *r, unsigned threads)
{
	memset(r, 0, sizeof *r);
	cr_assert_eq(frame_pool_new(threads, &r->pool), FGW_OK);
	r->caller = pthread_self();
}

static void expect_each_once(struct run *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(atomic_load(&r->ran[i]), 1, "item %zu ran %d times", i,
			     atomic_load(&r->ran[i]));
}

Test(frame_pool, one_thread_runs_everything_on_the_caller)
{
	struct run r;

	run_init(&r, 1);
	frame_pool_run(r.pool, ITEMS, count_item, &r);
	expect_each_once(&r, ITEMS);
	cr_expect_eq(atomic_load(&r.on_workers), 0);
	cr_expect_eq(frame_pool_threads(r.pool), 1);
	frame_pool_free(r.pool);
}

Test(frame_pool, items_spread_over_threads_each_exactly_once)
{
	struct run r;

	run_init(&r, 3);
	r.hold_first = true;
	for (int round = 0; round < 50; round++) {
		frame_pool_run(r.pool, ITEMS, count_item, &r);
		expect_each_once(&r, ITEMS);
		for (size_t i = 0; i < ITEMS; i++)
			atomic_store(&r.ran[i], 0);
	}
	cr_expect(atomic_load(&r.worker_seen), "no item ran on a worker");
	cr_expect_eq(atomic_load(&r.on_caller) + atomic_load(&r.on_workers), 50 * ITEMS);
	frame_pool_free(r.pool);
}

Test(frame_pool, a_single_item_stays_on_the_caller)
{
	struct run r;

	run_init(&r, 4);
	for (int round = 0; round < 20; round++)
		frame_pool_run(r.pool, 1, count_item, &r);
	cr_expect_eq(atomic_load(&r.ran[0]), 20);
	cr_expect_eq(atomic_load(&r.on_workers), 0);
	frame_pool_run(r.pool, 0, count_item, &r);     /* nothing to do */
	frame_pool_free(r.pool);
}

static void job(void *arg)
{
	struct run *r = arg;

	r->jobs++;
	if (!pthread_equal(pthread_self(), r->caller))
		r->jobs_elsewhere++;
}

/* Every item asks for a job on the caller's thread and checks it ran
 * before the call returned. */
static void item_with_job(void *ctx, size_t i)
{
	struct run *r = ctx;
	bool mine = pthread_equal(pthread_self(), r->caller);

	count_item(ctx, i);
	if (mine) {
		int before = r->jobs;

		frame_pool_on_caller(r->pool, job, r);
		cr_assert_eq(r->jobs, before + 1, "a job on the caller's thread runs at once");
	} else {
		/* no assertion on a worker (Criterion's are the test thread's);
		 * the count after the run tells whether every job ran */
		frame_pool_on_caller(r->pool, job, r);
	}
}

Test(frame_pool, workers_jobs_run_on_the_callers_thread)
{
	struct run r;

	run_init(&r, 3);
	r.hold_first = true;
	frame_pool_run(r.pool, ITEMS, item_with_job, &r);
	expect_each_once(&r, ITEMS);
	cr_expect(atomic_load(&r.worker_seen), "no item ran on a worker");
	cr_expect_eq(r.jobs, ITEMS, "every job ran once before the run returned");
	cr_expect_eq(r.jobs_elsewhere, 0, "a job ran away from the caller's thread");
	/* outside a run, a job runs at once */
	frame_pool_on_caller(r.pool, job, &r);
	cr_expect_eq(r.jobs, ITEMS + 1);
	frame_pool_free(r.pool);
}

Test(frame_pool, thread_count_follows_the_setting)
{
	struct frame_pool *p;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	cr_assert_eq(frame_pool_new(FRAME_POOL_MAX_THREADS + 1, &p), FGW_ERR_INVALID);
	cr_assert_eq(frame_pool_new(0, &p), FGW_OK);
	cr_expect_eq(frame_pool_threads(p), cpus < 1 ? 1 : (unsigned)cpus);
	frame_pool_set_threads(p, 2);
	cr_expect_eq(frame_pool_threads(p), 2);
	frame_pool_set_threads(p, 1000);
	cr_expect_eq(frame_pool_threads(p), FRAME_POOL_MAX_THREADS);
	frame_pool_free(p);
	frame_pool_free(NULL);
}

/* Fewer threads after workers started: the extra ones sleep, items still
 * run once each, and free joins them all. */
Test(frame_pool, shrinking_keeps_every_item)
{
	struct run r;

	run_init(&r, 4);
	frame_pool_run(r.pool, ITEMS, count_item, &r);
	expect_each_once(&r, ITEMS);
	frame_pool_set_threads(r.pool, 2);
	for (size_t i = 0; i < ITEMS; i++)
		atomic_store(&r.ran[i], 0);
	frame_pool_run(r.pool, ITEMS, count_item, &r);
	expect_each_once(&r, ITEMS);
	frame_pool_free(r.pool);
}
