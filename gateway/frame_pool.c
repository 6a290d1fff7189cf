/* The real-time tick's thread pool; see frame_pool.h. */
#include "gateway/frame_pool.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"

/* Items per thread before another thread is woken. A wake-up costs some
 * microseconds against a call frame's tens: two calls are worth two
 * threads. */
#define MIN_ITEMS_PER_THREAD 1

/* A worker's request to run something on the caller's thread. */
struct caller_job {
	frame_pool_job_fn *fn;
	void *arg;
	bool done;
	struct caller_job *next;
};

struct frame_pool {
	unsigned want;                /* threads wanted, the caller's included */
	unsigned started;             /* workers running */
	bool start_failed;            /* told once; later runs use what started */
	pthread_t workers[FRAME_POOL_MAX_THREADS];

	pthread_mutex_t mu;
	pthread_cond_t work;          /* workers: a new run, or stop */
	pthread_cond_t caller_wake;   /* caller: workers done, or a job waits */
	pthread_cond_t job_done;      /* workers: their job ran */
	uint64_t generation;          /* runs so far */
	unsigned taking_part;         /* workers in the current run */
	unsigned busy;                /* of those, still running items */
	bool stopping;

	/* the current run */
	bool running;
	pthread_t caller;
	frame_pool_item_fn *fn;
	void *ctx;
	size_t n;
	atomic_size_t next;           /* next item to hand out */

	struct caller_job *jobs;      /* under mu */
	atomic_bool jobs_waiting;     /* a cheap look between items */
};

struct worker_arg {
	struct frame_pool *p;
	unsigned index;
	uint64_t seen;                /* the generation before its first run */
};

/* A default mutex fails only on misuse (EINVAL, EDEADLK): a bug, not a
 * condition the daemon could go on from. */
static void lock(struct frame_pool *p)
{
	if (pthread_mutex_lock(&p->mu) != 0)
		fatal("frame pool: mutex lock failed");
}

static void unlock(struct frame_pool *p)
{
	if (pthread_mutex_unlock(&p->mu) != 0)
		fatal("frame pool: mutex unlock failed");
}

static void wait_on(pthread_cond_t *cv, struct frame_pool *p)
{
	if (pthread_cond_wait(cv, &p->mu) != 0)
		fatal("frame pool: condition wait failed");
}

static void wake(pthread_cond_t *cv, bool all)
{
	if ((all ? pthread_cond_broadcast(cv) : pthread_cond_signal(cv)) != 0)
		fatal("frame pool: condition signal failed");
}

static unsigned resolve(unsigned threads)
{
	long cpus;

	if (threads != 0)
		return threads > FRAME_POOL_MAX_THREADS ? FRAME_POOL_MAX_THREADS : threads;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		return 1;
	return cpus > FRAME_POOL_MAX_THREADS ? FRAME_POOL_MAX_THREADS : (unsigned)cpus;
}

int frame_pool_new(unsigned threads, struct frame_pool **out)
{
	struct frame_pool *p;

	*out = NULL;
	if (threads > FRAME_POOL_MAX_THREADS)
		return FGW_ERR_INVALID;
	if ((p = calloc(1, sizeof *p)) == NULL)
		return FGW_ERR_NOMEM;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return FGW_ERR_NOMEM;
	}
	if (pthread_cond_init(&p->work, NULL) != 0 ||
	    pthread_cond_init(&p->caller_wake, NULL) != 0 ||
	    pthread_cond_init(&p->job_done, NULL) != 0) {
		/* a failed init leaves nothing to destroy; the ones before, nothing
		 * either on Linux (no resources behind a condition variable) */
		(void)pthread_mutex_destroy(&p->mu);
		free(p);
		return FGW_ERR_NOMEM;
	}
	p->want = resolve(threads);
	atomic_init(&p->next, 0);
	atomic_init(&p->jobs_waiting, false);
	*out = p;
	return 0;
}

void frame_pool_set_threads(struct frame_pool *p, unsigned threads)
{
	p->want = resolve(threads);
}

unsigned frame_pool_threads(const struct frame_pool *p)
{
	return p->want;
}

/* Items until none is left; the caller also serves jobs between them. */
static void take_items(struct frame_pool *p, bool is_caller);

static void serve_jobs(struct frame_pool *p)
{
	struct caller_job *list, *j;

	lock(p);
	list = p->jobs;
	p->jobs = NULL;
	atomic_store(&p->jobs_waiting, false);
	unlock(p);
	for (j = list; j != NULL; j = j->next)
		j->fn(j->arg);
	if (list == NULL)
		return;
	lock(p);
	for (j = list; j != NULL;) {
		struct caller_job *next = j->next;   /* j lives on its worker's stack */
		j->done = true;
		j = next;
	}
	wake(&p->job_done, true);
	unlock(p);
}

static void take_items(struct frame_pool *p, bool is_caller)
{
	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);

		if (i >= p->n)
			return;
		p->fn(p->ctx, i);
		if (is_caller && atomic_load_explicit(&p->jobs_waiting, memory_order_relaxed))
			serve_jobs(p);
	}
}

static void *worker_main(void *arg)
{
	struct worker_arg wa = *(struct worker_arg *)arg;
	struct frame_pool *p = wa.p;
	uint64_t seen;

	/* A worker may first get the lock after its first run began: the
	 * generation it has seen is the one from before, not today's. */
	seen = wa.seen;
	free(arg);
	lock(p);
	for (;;) {
		while (!p->stopping && p->generation == seen)
			wait_on(&p->work, p);
		if (p->stopping)
			break;
		seen = p->generation;
		if (wa.index >= p->taking_part)
			continue;             /* this run does without us */
		unlock(p);
		take_items(p, false);
		lock(p);
		if (--p->busy == 0)
			wake(&p->caller_wake, false);
	}
	unlock(p);
	return NULL;
}

/* Starts workers up to want - 1; signals stay with the loop thread. */
static void start_workers(struct frame_pool *p)
{
	sigset_t all, old;
	int rc = 0;

	if (p->start_failed || p->started + 1 >= p->want)
		return;
	sigfillset(&all);
	if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
		return;
	while (p->started + 1 < p->want) {
		struct worker_arg *wa = malloc(sizeof *wa);

		if (wa == NULL) {
			rc = ENOMEM;
			break;
		}
		*wa = (struct worker_arg){p, p->started, p->generation};
		if ((rc = pthread_create(&p->workers[p->started], NULL, worker_main, wa)) != 0) {
			free(wa);
			break;
		}
		p->started++;
	}
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		p->start_failed = true;
		log_warn("calls: only %u of %u DSP threads could be started (%s); "
			 "the rest of the calls' work stays on the event loop",
			 p->started + 1, p->want, strerror(rc));
	}
}

static unsigned workers_for(struct frame_pool *p, size_t n)
{
	size_t useful = n / MIN_ITEMS_PER_THREAD;   /* threads worth waking */
	unsigned w = p->want - 1;

	if (w > p->started)
		w = p->started;
	if (useful < 2)
		return 0;
	return useful - 1 < w ? (unsigned)(useful - 1) : w;
}

void frame_pool_run(struct frame_pool *p, size_t n, frame_pool_item_fn *fn, void *ctx)
{
	unsigned w;

	if (n / MIN_ITEMS_PER_THREAD >= 2)
		start_workers(p);
	w = workers_for(p, n);
	if (w == 0) {
		for (size_t i = 0; i < n; i++)
			fn(ctx, i);
		return;
	}
	lock(p);
	p->running = true;
	p->caller = pthread_self();
	p->fn = fn;
	p->ctx = ctx;
	p->n = n;
	atomic_store(&p->next, 0);
	p->taking_part = w;
	p->busy = w;
	p->generation++;
	wake(&p->work, true);
	unlock(p);

	take_items(p, true);

	lock(p);
	while (p->busy > 0 || p->jobs != NULL) {
		if (p->jobs != NULL) {
			unlock(p);
			serve_jobs(p);
			lock(p);
		} else {
			wait_on(&p->caller_wake, p);
		}
	}
	p->running = false;
	unlock(p);
}

void frame_pool_on_caller(struct frame_pool *p, frame_pool_job_fn *job, void *arg)
{
	struct caller_job j = {.fn = job, .arg = arg};

	lock(p);
	if (!p->running || pthread_equal(p->caller, pthread_self())) {
		unlock(p);
		job(arg);
		return;
	}
	j.next = p->jobs;
	p->jobs = &j;
	atomic_store(&p->jobs_waiting, true);
	wake(&p->caller_wake, false);
	while (!j.done)
		wait_on(&p->job_done, p);
	unlock(p);
}

void frame_pool_free(struct frame_pool *p)
{
	if (p == NULL)
		return;
	lock(p);
	p->stopping = true;
	wake(&p->work, true);
	unlock(p);
	for (unsigned i = 0; i < p->started; i++)
		(void)pthread_join(p->workers[i], NULL);
	(void)pthread_cond_destroy(&p->job_done);
	(void)pthread_cond_destroy(&p->caller_wake);
	(void)pthread_cond_destroy(&p->work);
	(void)pthread_mutex_destroy(&p->mu);
	free(p);
}
