/* bench_fax_rx: what our receiving fax endpoint costs over a bare SpanDSP
 * fax_state doing the same session.
 *
 * Method. A live session is run once between two bare fax_state instances
 * (sender calling, receiver answering) and both directions' audio is
 * recorded in memory. SpanDSP is deterministic, so a fresh receiver that is
 * fed the recorded sender audio, step by step, answers exactly as the
 * recorded receiver did, and the recorded sender audio stays valid for it:
 * the session replays with no live back-channel. The benchmark checks this
 * (every sample the replayed receiver sends must equal the recording, and it
 * must end with all pages) and then times, with CLOCK_PROCESS_CPUTIME_ID,
 * only the receive side: (a) our fax_endpoint (FAX_RECEIVE, audio) and
 * (b) a bare fax_state configured the same way, each consuming the recording
 * and producing (and discarding) its own transmit audio in 20 ms steps.
 * Each is run several times and the fastest run is kept. Nothing else runs
 * in the timed loop.
 *
 * Memory: the malloc'd bytes (mallinfo2) an endpoint holds right after it is
 * made, and in the middle of the call (with SpanDSP's T.4 and TIFF buffers).
 *
 * The figures are printed, not asserted: the target is a ratio <= 1.10. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <tiffio.h>
#include <spandsp.h>

#include "common/log.h"
#include "common/str.h"
#include "dsp/fax.h"

#define STEP 160
#define MAX_SECONDS 1200
#define MAX_SAMPLES ((size_t)MAX_SECONDS * 8000)
#define RUNS 5

struct recording {
	int16_t *tx;        /* sender audio */
	int16_t *rx;        /* receiver audio, for the faithfulness check */
	size_t samples;
};

struct scenario {
	const char *name;
	const char *file;
	bool ecm;
	unsigned modems;    /* FAX_MODEM_* */
};

/* ---- bare SpanDSP endpoints ---------------------------------------- */

static void bare_done(t30_state_t *t, void *user, int code)
{
	(void)t;
	*(int *)user = code;
}

static unsigned t30_modems(unsigned m)
{
	return ((m & FAX_MODEM_V27TER) ? T30_SUPPORT_V27TER : 0) |
	       ((m & FAX_MODEM_V29) ? T30_SUPPORT_V29 : 0) |
	       ((m & FAX_MODEM_V17) ? T30_SUPPORT_V17 : 0);
}

/* The same T.30 settings our endpoint makes (dsp/fax.c configure_t30). */
static fax_state_t *bare_new(const struct scenario *sc, bool sender, const char *file,
			     int *code)
{
	fax_state_t *f = fax_init(NULL, sender);
	if (f == NULL)
		return NULL;
	fax_set_transmit_on_idle(f, 1);
	t30_state_t *t = fax_get_t30_state(f);
	(void)t30_set_tx_ident(t, sender ? "bench sender" : "bench receiver");
	(void)t30_set_ecm_capability(t, sc->ecm);
	(void)t30_set_supported_modems(t, (int)t30_modems(sc->modems));
	(void)t30_set_supported_compressions(t, T30_SUPPORT_T4_1D_COMPRESSION |
					     T30_SUPPORT_T4_2D_COMPRESSION |
					     T30_SUPPORT_T6_COMPRESSION);
	(void)t30_set_supported_t30_features(t, T30_SUPPORT_IDENTIFICATION |
					     T30_SUPPORT_SUB_ADDRESSING);
	if (sender) {
		t30_set_tx_file(t, file, -1, -1);
	} else {
		(void)t30_set_rx_encoding(t, T4_COMPRESSION_ITU_T6);
		t30_set_rx_file(t, file, -1);
	}
	*code = -1;
	t30_set_phase_e_handler(t, bare_done, code);
	return f;
}

/* ---- recording ------------------------------------------------------ */

static int record(const struct scenario *sc, const char *rx_file, struct recording *rec)
{
	int tx_code, rx_code;
	fax_state_t *tx = bare_new(sc, true, sc->file, &tx_code);
	fax_state_t *rx = bare_new(sc, false, rx_file, &rx_code);
	int16_t a[STEP], b[STEP];

	rec->tx = malloc(MAX_SAMPLES * sizeof(int16_t));
	rec->rx = malloc(MAX_SAMPLES * sizeof(int16_t));
	if (tx == NULL || rx == NULL || rec->tx == NULL || rec->rx == NULL)
		return -1;
	rec->samples = 0;
	while (rec->samples + STEP <= MAX_SAMPLES && (tx_code < 0 || rx_code < 0)) {
		(void)fax_tx(tx, a, STEP);
		(void)fax_tx(rx, b, STEP);
		memcpy(rec->tx + rec->samples, a, sizeof a);
		memcpy(rec->rx + rec->samples, b, sizeof b);
		(void)fax_rx(tx, b, STEP);
		(void)fax_rx(rx, a, STEP);
		rec->samples += STEP;
	}
	fax_free(tx);
	fax_free(rx);
	if (tx_code != T30_ERR_OK || rx_code != T30_ERR_OK) {
		fprintf(stderr, "bench: recording session failed: %s / %s\n",
			t30_completion_code_to_str(tx_code), t30_completion_code_to_str(rx_code));
		return -1;
	}
	return 0;
}

/* ---- timed replays -------------------------------------------------- */

static double cpu_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t heap_in_use(void)
{
	return mallinfo2().uordblks;
}

struct replay_result {
	double cpu;           /* seconds */
	size_t mismatches;    /* transmitted samples differing from the recording */
	bool ok;              /* ended well with every page */
	size_t mem_created;   /* heap bytes after creation */
	size_t mem_peak;      /* heap bytes mid-call */
};

static enum fax_decision accept_all(void *user, const struct fax_phase_b *info)
{
	(void)user;
	(void)info;
	return FAX_ACCEPT;
}

static void replay_ours(const struct scenario *sc, const char *file,
			const struct recording *rec, struct replay_result *r)
{
	static const struct fax_events ev = {.decide = accept_all};
	struct fax_options o;
	struct fax_endpoint *ep;
	int16_t in[STEP], out[STEP];

	memset(r, 0, sizeof *r);
	fax_options_init(&o);
	o.role = FAX_RECEIVE;
	o.file = file;
	o.ecm = sc->ecm;
	o.modems = sc->modems;
	o.local_ident = "bench receiver";
	o.events = &ev;
	size_t before = heap_in_use();
	if (fax_endpoint_new(&o, &ep) != 0)
		return;
	r->mem_created = heap_in_use() - before;
	double t0 = cpu_now();
	for (size_t pos = 0; pos < rec->samples; pos += STEP) {
		(void)fax_endpoint_tx_audio(ep, out, STEP);
		r->mismatches += memcmp(out, rec->rx + pos, sizeof out) != 0;
		memcpy(in, rec->tx + pos, sizeof in);
		(void)fax_endpoint_rx_audio(ep, in, STEP);
		if (pos / STEP == rec->samples / STEP / 2)
			r->mem_peak = heap_in_use() - before;
	}
	r->cpu = cpu_now() - t0;
	struct fax_result res;
	r->ok = fax_endpoint_result(ep, &res) == 0 && res.err == 0 && res.stats.pages_rx > 0;
	fax_endpoint_free(ep);
}

static void replay_bare(const struct scenario *sc, const char *file,
			const struct recording *rec, struct replay_result *r)
{
	int code;
	int16_t in[STEP], out[STEP];

	memset(r, 0, sizeof *r);
	size_t before = heap_in_use();
	fax_state_t *f = bare_new(sc, false, file, &code);
	if (f == NULL)
		return;
	r->mem_created = heap_in_use() - before;
	double t0 = cpu_now();
	for (size_t pos = 0; pos < rec->samples; pos += STEP) {
		(void)fax_tx(f, out, STEP);
		r->mismatches += memcmp(out, rec->rx + pos, sizeof out) != 0;
		memcpy(in, rec->tx + pos, sizeof in);
		(void)fax_rx(f, in, STEP);
		if (pos / STEP == rec->samples / STEP / 2)
			r->mem_peak = heap_in_use() - before;
	}
	r->cpu = cpu_now() - t0;
	r->ok = code == T30_ERR_OK;
	fax_free(f);
}

/* Alternates the two so drift in machine load hits both alike; keeps the
 * fastest run of each. */
static int measure(const struct scenario *sc, const char *file, const struct recording *rec)
{
	struct replay_result best_ours = {.cpu = 1e9}, best_bare = {.cpu = 1e9}, r;

	for (int i = 0; i < RUNS; i++) {
		replay_ours(sc, file, rec, &r);
		if (!r.ok || r.mismatches != 0) {
			fprintf(stderr, "bench: our replay diverged (%zu steps differ)\n", r.mismatches);
			return -1;
		}
		if (r.cpu < best_ours.cpu)
			best_ours = r;
		replay_bare(sc, file, rec, &r);
		if (!r.ok || r.mismatches != 0) {
			fprintf(stderr, "bench: bare replay diverged (%zu steps differ)\n", r.mismatches);
			return -1;
		}
		if (r.cpu < best_bare.cpu)
			best_bare = r;
	}
	double audio = (double)rec->samples / 8000.0;
	printf("%-28s %7.1f s audio | ours %8.1f | bare %8.1f audio-s/CPU-s | ratio %.3f "
	       "(target <= 1.10)\n", sc->name, audio, audio / best_ours.cpu,
	       audio / best_bare.cpu, best_ours.cpu / best_bare.cpu);
	printf("%-28s memory: ours %zu B at creation, %zu B mid-call; bare %zu B, %zu B\n",
	       "", best_ours.mem_created, best_ours.mem_peak, best_bare.mem_created,
	       best_bare.mem_peak);
	return 0;
}

static int run_scenario(const struct scenario *sc, const char *dir)
{
	struct recording rec = {0};
	char file[256];
	int rc = -1;

	if (str_format(file, sizeof file, "%s/rx.tif", dir) != 0)
		return -1;
	if (record(sc, file, &rec) == 0)
		rc = measure(sc, file, &rec);
	free(rec.tx);
	free(rec.rx);
	(void)unlink(file);
	return rc;
}

int main(void)
{
	const char *root = getenv("FAXGW_TESTDATA");
	char mh[4096], mmr[4096], dir[] = "/tmp/faxgw-bench-XXXXXX";

	if (root == NULL) {
		fprintf(stderr, "bench_fax_rx: set FAXGW_TESTDATA to the shared test data folder\n");
		return 1;
	}
	if (str_format(mh, sizeof mh, "%s/itu/itutests_mh.tif", root) != 0 ||
	    str_format(mmr, sizeof mmr, "%s/itu/itutests_mmr.tif", root) != 0 ||
	    mkdtemp(dir) == NULL)
		return 1;
	log_init("bench_fax_rx", true, LOG_LEVEL_WARNING);
	const struct scenario scenarios[] = {
		{"8 pages V.17 ECM", mmr, true, FAX_MODEM_ALL},
		{"8 pages V.29 no ECM", mh, false, FAX_MODEM_V29 | FAX_MODEM_V27TER},
		{"8 pages V.27ter ECM", mmr, true, FAX_MODEM_V27TER},
	};
	int rc = 0;
	printf("fax receive path, best of %d runs, CPU time (CLOCK_PROCESS_CPUTIME_ID)\n", RUNS);
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
		if (run_scenario(&scenarios[i], dir) != 0)
			rc = 1;
	(void)rmdir(dir);
	return rc;
}
