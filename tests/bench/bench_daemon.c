/* bench_daemon: what the daemon's inbound path costs on top of the DSP,
 * and how many paced calls the machine carries.
 *
 * (a) CPU per received page, end to end as faxgwd does it for a call from
 * the trunk (gateway/sim_incoming.c): inbound_begin (memory file),
 * a receiving fax endpoint whose decide callback is inbound_decide, the
 * received audio, then inbound_finish (TIFF-F into the vault, catalog row,
 * durable audit record) and inbound_free; against the DSP alone: the same
 * receiving endpoint writing into a memory file, fed the same audio.
 * Method as bench_fax_rx: one live call between our sending and receiving
 * endpoints is recorded; SpanDSP being deterministic, a fresh receiver fed
 * the recorded sender audio answers exactly as recorded (checked sample by
 * sample), so both variants do the very same receive. Timed with
 * CLOCK_PROCESS_CPUTIME_ID (user+system, so the encryption and the
 * catalog/audit writes count; time waiting for fsync does not, and the
 * wall time is printed beside it). Fastest of several alternating runs.
 * The general inbox is used (a mailbox adds one key wrap per document).
 *
 * (b) Paced capacity: calls are pumped in real time: every 20 ms tick
 * processes one 160-sample frame of every call, on two worker threads (one
 * per core), each on its own absolute 20 ms clock; a tick whose work ends
 * after its deadline is late. A call is a receiving endpoint fed the
 * recording into a memory file (the per-call DSP work of the daemon's
 * loop). What a frame costs depends on the call's phase (tone detection
 * at the start is far cheaper than V.17 image data), so the calls must be
 * spread over the whole call, not all start together: a pool of POOL
 * endpoints is first advanced (not timed) to offsets spread evenly over
 * the call. K calls are then carried by that pool: for K <= POOL, K of its
 * endpoints at spread offsets, one frame each per tick; for K > POOL,
 * every endpoint takes K/POOL consecutive frames per tick, i.e. it stands
 * for K/POOL calls at neighbouring offsets (the same CPU work; the cache
 * sees fewer distinct states than K real calls would give it, so the
 * figure leans optimistic). An endpoint reaching the end of the call
 * starts a new one. K doubles until ticks run late; each level runs
 * LEVEL_SECONDS. faxgwd today pumps every call on ONE event loop thread,
 * so its own ceiling is about half the two-thread figure.
 *
 * Figures are printed, not asserted (targets: ratio <= 1.15). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "dsp/fax.h"
#include "gateway/inbound.h"
#include "storage/memfile.h"
#include "storage/store.h"

#define STEP 160
#define MAX_SECONDS 600
#define MAX_SAMPLES ((size_t)MAX_SECONDS * 8000)
#define RUNS 5
#define TICK_NS 20000000L
#define LEVEL_SECONDS 4
#define POOL 64
#define MAX_K 4096
#define WORKERS 2

struct recording {
	int16_t *tx;       /* sender audio */
	int16_t *rx;       /* receiver audio, to check replays */
	size_t samples;
	int pages;
};

static enum fax_decision accept_all(void *user, const struct fax_phase_b *info)
{
	(void)user;
	(void)info;
	return FAX_ACCEPT;
}

static const struct fax_events accept_events = {.decide = accept_all};

static void receiver_options(struct fax_options *o, const char *file)
{
	fax_options_init(o);
	o->role = FAX_RECEIVE;
	o->side = FAX_SIDE_ANSWERING;
	o->file = file;
	o->local_ident = "bench gateway";
	o->events = &accept_events;
}

/* ---- recording ------------------------------------------------------------- */

static int record(const char *doc, struct recording *rec)
{
	struct fax_options o;
	struct fax_endpoint *tx = NULL, *rx = NULL;
	char path[MEMFILE_PATH_MAX];
	int16_t a[STEP], b[STEP];
	struct fax_result res;
	int fd = memfile_create("bench-record"), rc = -1;

	rec->tx = malloc(MAX_SAMPLES * sizeof(int16_t));
	rec->rx = malloc(MAX_SAMPLES * sizeof(int16_t));
	if (fd < 0 || rec->tx == NULL || rec->rx == NULL || memfile_path(fd, path) != 0)
		goto out;
	fax_options_init(&o);
	o.role = FAX_SEND;
	o.side = FAX_SIDE_CALLING;
	o.file = doc;
	o.local_ident = "0312345678";
	if (fax_endpoint_new(&o, &tx) != 0)
		goto out;
	receiver_options(&o, path);
	if (fax_endpoint_new(&o, &rx) != 0)
		goto out;
	for (rec->samples = 0; rec->samples + STEP <= MAX_SAMPLES &&
	     !(fax_endpoint_done(tx) && fax_endpoint_done(rx)); rec->samples += STEP) {
		(void)fax_endpoint_tx_audio(tx, a, STEP);
		(void)fax_endpoint_tx_audio(rx, b, STEP);
		memcpy(rec->tx + rec->samples, a, sizeof a);
		memcpy(rec->rx + rec->samples, b, sizeof b);
		(void)fax_endpoint_rx_audio(tx, b, STEP);
		(void)fax_endpoint_rx_audio(rx, a, STEP);
	}
	if (fax_endpoint_result(rx, &res) == 0 && res.err == 0) {
		rec->pages = res.stats.pages_rx;
		rc = 0;
	}
out:
	fax_endpoint_free(tx);
	fax_endpoint_free(rx);
	if (fd >= 0)
		(void)memfile_wipe_close(fd);
	return rc;
}

/* ---- (a) per-page CPU ------------------------------------------------------ */

static double clock_s(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct run {
	double cpu, wall;
	size_t mismatches;
	bool ok;
};

/* Feeds the recording to ep; counts transmitted frames that differ. */
static size_t replay(struct fax_endpoint *ep, const struct recording *rec)
{
	int16_t in[STEP], out[STEP];
	size_t bad = 0;

	for (size_t pos = 0; pos < rec->samples; pos += STEP) {
		(void)fax_endpoint_tx_audio(ep, out, STEP);
		bad += memcmp(out, rec->rx + pos, sizeof out) != 0;
		memcpy(in, rec->tx + pos, sizeof in);
		(void)fax_endpoint_rx_audio(ep, in, STEP);
	}
	return bad;
}

static void run_dsp_only(const struct recording *rec, struct run *r)
{
	struct fax_options o;
	struct fax_endpoint *ep = NULL;
	char path[MEMFILE_PATH_MAX];
	struct fax_result res;

	memset(r, 0, sizeof *r);
	double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
	int fd = memfile_create("bench-rx");
	if (fd < 0 || memfile_path(fd, path) != 0)
		return;
	receiver_options(&o, path);
	if (fax_endpoint_new(&o, &ep) != 0)
		return;
	r->mismatches = replay(ep, rec);
	r->ok = fax_endpoint_result(ep, &res) == 0 && res.err == 0 &&
		res.stats.pages_rx == rec->pages;
	fax_endpoint_free(ep);
	(void)memfile_wipe_close(fd);
	r->cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	r->wall = clock_s(CLOCK_MONOTONIC) - w0;
}

static enum fax_decision policy_decide(void *user, const struct fax_phase_b *info)
{
	return inbound_decide(user, info);
}

static const struct fax_events policy_events = {.decide = policy_decide};

static void run_daemon_path(struct store *s, const struct recording *rec, struct run *r)
{
	struct inbound_env env = {.store = s};
	struct inbound *in = NULL;
	struct fax_options o;
	struct fax_endpoint *ep = NULL;
	struct fax_result res;

	memset(r, 0, sizeof *r);
	double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
	if (inbound_begin(&env, "0312345678", "trunk/1", &in) != 0)
		return;
	receiver_options(&o, inbound_rx_path(in));
	o.events = &policy_events;
	o.user = in;
	if (fax_endpoint_new(&o, &ep) == 0) {
		r->mismatches = replay(ep, rec);
		r->ok = fax_endpoint_result(ep, &res) == 0 && res.err == 0 &&
			res.stats.pages_rx == rec->pages && inbound_finish(in, &res) == 0 &&
			inbound_document_id(in)[0] != '\0';
	}
	fax_endpoint_free(ep);
	inbound_free(in);
	r->cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	r->wall = clock_s(CLOCK_MONOTONIC) - w0;
}

static int per_page(const char *name, const char *data, const struct recording *rec)
{
	struct run best_dsp = {.cpu = 1e9}, best_gw = {.cpu = 1e9}, r;
	struct store *s;

	if (store_open(data, NULL, &s) != 0)
		return -1;
	for (int i = 0; i < RUNS; i++) {
		run_daemon_path(s, rec, &r);
		if (!r.ok || r.mismatches != 0) {
			fprintf(stderr, "bench_daemon: daemon-path replay failed (%zu frames differ)\n",
				r.mismatches);
			(void)store_close(s);
			return -1;
		}
		if (r.cpu < best_gw.cpu)
			best_gw = r;
		run_dsp_only(rec, &r);
		if (!r.ok || r.mismatches != 0) {
			fprintf(stderr, "bench_daemon: DSP replay failed (%zu frames differ)\n",
				r.mismatches);
			(void)store_close(s);
			return -1;
		}
		if (r.cpu < best_dsp.cpu)
			best_dsp = r;
	}
	(void)store_close(s);
	double audio = (double)rec->samples / 8000.0;
	printf("(a) %s: %d pages, %.1f s of line audio, best of %d runs\n", name, rec->pages,
	       audio, RUNS);
	printf("    DSP alone      %7.2f ms CPU/page  (%6.2f ms wall/page)\n",
	       best_dsp.cpu * 1e3 / rec->pages, best_dsp.wall * 1e3 / rec->pages);
	printf("    daemon path    %7.2f ms CPU/page  (%6.2f ms wall/page, incl. fsync)\n",
	       best_gw.cpu * 1e3 / rec->pages, best_gw.wall * 1e3 / rec->pages);
	printf("    ratio          %7.3f  (target <= 1.15)\n", best_gw.cpu / best_dsp.cpu);
	return 0;
}

/* ---- (b) paced capacity ---------------------------------------------------- */

struct session {
	struct fax_endpoint *ep;
	int fd;
	size_t pos;          /* samples fed so far */
};

struct worker {
	const struct recording *rec;
	struct session **s;
	size_t n;
	unsigned frames;     /* per session per tick */
	long ticks;
	long late;
	double worst_ms, sum_ms;
	int errors;
	long restarts;
};

static int session_start(struct session *s)
{
	struct fax_options o;
	char path[MEMFILE_PATH_MAX];

	s->pos = 0;
	s->fd = memfile_create("bench-paced");
	if (s->fd < 0 || memfile_path(s->fd, path) != 0)
		return -1;
	receiver_options(&o, path);
	return fax_endpoint_new(&o, &s->ep);
}

static void session_end(struct session *s)
{
	fax_endpoint_free(s->ep);
	s->ep = NULL;
	if (s->fd >= 0)
		(void)memfile_wipe_close(s->fd);
	s->fd = -1;
}

static void session_frame(struct worker *w, struct session *s)
{
	int16_t out[STEP];

	if (s->pos + STEP > w->rec->samples || fax_endpoint_done(s->ep)) {
		session_end(s);
		w->restarts++;
		if (session_start(s) != 0) {
			w->errors++;
			return;
		}
	}
	(void)fax_endpoint_tx_audio(s->ep, out, STEP);
	if (fax_endpoint_rx_audio(s->ep, w->rec->tx + s->pos, STEP) != 0)
		w->errors++;
	s->pos += STEP;
}

static void add_ns(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) * 1e-6;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct timespec deadline, now, tick_start;

	if (clock_gettime(CLOCK_MONOTONIC, &deadline) != 0)
		return NULL;
	for (long t = 0; t < w->ticks; t++) {
		tick_start = deadline;
		add_ns(&deadline, TICK_NS);
		for (size_t i = 0; i < w->n; i++)
			for (unsigned f = 0; f < w->frames; f++)
				session_frame(w, w->s[i]);
		if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
			return NULL;
		double ms = ms_between(&tick_start, &now);
		w->sum_ms += ms;
		if (ms > w->worst_ms)
			w->worst_ms = ms;
		if (ms_between(&deadline, &now) > 0) {
			w->late++;
			/* Behind: the next tick starts now, as a paced line would
			 * have to catch up; keep counting from here. */
			deadline = now;
		} else {
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) ==
			       EINTR)
				;
		}
	}
	return NULL;
}

/* Carries k calls on the pool for LEVEL_SECONDS; returns the late ticks
 * (or -1). */
static long paced_level(struct session *pool, const struct recording *rec, size_t k)
{
	struct worker w[WORKERS];
	pthread_t th[WORKERS];
	struct session *use[POOL];
	size_t n = k < POOL ? k : POOL;
	long late = 0, ticks = LEVEL_SECONDS * 50L;
	double worst = 0, mean = 0;
	int errors = 0, created = 0;

	for (size_t i = 0; i < n; i++)
		use[i] = &pool[i * POOL / n];
	double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < WORKERS; i++) {
		size_t from = n * (size_t)i / WORKERS, to = n * (size_t)(i + 1) / WORKERS;
		w[i] = (struct worker){.rec = rec, .s = use + from, .n = to - from,
				       .frames = (unsigned)(k / n), .ticks = ticks};
		created += pthread_create(&th[i], NULL, worker_run, &w[i]) == 0;
	}
	for (int i = 0; i < created; i++) {
		(void)pthread_join(th[i], NULL);
		late += w[i].late;
		errors += w[i].errors;
		mean += w[i].sum_ms / (double)ticks / WORKERS;
		if (w[i].worst_ms > worst)
			worst = w[i].worst_ms;
	}
	double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	if (created != WORKERS || errors != 0) {
		fprintf(stderr, "bench_daemon: %d session errors at K=%zu\n", errors, k);
		return -1;
	}
	printf("    K=%5zu  late ticks %4ld of %ld  tick work mean %6.2f ms, worst %6.2f ms  "
	       "CPU %5.1f%% of 2 cores\n", k, late, ticks * WORKERS, mean, worst,
	       cpu * 100.0 / (LEVEL_SECONDS * WORKERS));
	return late;
}

/* Makes the pool, each endpoint advanced to its share of the call. */
static int make_pool(struct session *pool, const struct recording *rec)
{
	struct worker w = {.rec = rec};
	size_t frames = rec->samples / STEP;

	for (size_t i = 0; i < POOL; i++) {
		pool[i].fd = -1;
		if (session_start(&pool[i]) != 0)
			return -1;
		for (size_t f = 0; f < frames * i / POOL; f++)
			session_frame(&w, &pool[i]);
	}
	return w.errors == 0 ? 0 : -1;
}

static void capacity(const struct recording *rec)
{
	static struct session pool[POOL];
	size_t sustained = 0;

	printf("(b) paced receive calls, %d threads, 20 ms ticks, %d s per level, spread over "
	       "the call by a pool of %d endpoints (see the comment at the top)\n", WORKERS,
	       LEVEL_SECONDS, POOL);
	if (make_pool(pool, rec) == 0) {
		for (size_t k = 16; k <= MAX_K; k *= 2) {
			long late = paced_level(pool, rec, k);
			if (late != 0)
				break;
			sustained = k;
		}
		printf("    sustained with no late tick: %zu calls (%zu per core)%s\n",
		       sustained, sustained / WORKERS,
		       sustained == MAX_K ? " (the bench's ceiling)" : "");
	} else {
		fprintf(stderr, "bench_daemon: could not set up the paced calls\n");
	}
	for (size_t i = 0; i < POOL; i++)
		session_end(&pool[i]);
}

/* ---- main ------------------------------------------------------------------ */

int main(void)
{
	const char *root = getenv("FAXGW_TESTDATA");
	char doc[4096], dir[] = "/tmp/faxgw-bench-daemon-XXXXXX", data[128], cmd[200];
	struct recording rec = {0};
	int rc = 1;

	if (root == NULL) {
		fprintf(stderr, "bench_daemon: set FAXGW_TESTDATA to the shared test data folder\n");
		return 1;
	}
	log_init("bench_daemon", true, LOG_LEVEL_WARNING);
	if (str_format(doc, sizeof doc, "%s/itu/itutests_mmr.tif", root) != 0 ||
	    mkdtemp(dir) == NULL || str_format(data, sizeof data, "%s/data", dir) != 0 ||
	    str_format(cmd, sizeof cmd, "rm -rf '%s'", dir) != 0)
		return 1;
	if (store_init(data) != 0 || record(doc, &rec) != 0) {
		fprintf(stderr, "bench_daemon: set-up failed (store or recording)\n");
		goto out;
	}
	printf("daemon inbound path (8-page ITU G4 fax, V.17 ECM, general inbox)\n");
	if (per_page("one call", data, &rec) == 0) {
		capacity(&rec);
		rc = 0;
	}
out:
	free(rec.tx);
	free(rec.rx);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_daemon: could not remove %s\n", dir);
	return rc;
}
