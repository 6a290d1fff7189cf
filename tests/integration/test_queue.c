/* gateway/queue + send_job: outbound jobs in a real store, sent from the
 * vault over the G.711 loopback to a SpanDSP receiver; retries with
 * back-off against a far end that does not answer or hangs up; final
 * failure with audit record and notification; cancel; restart. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/line.h"
#include "gateway/line_pump.h"
#include "gateway/queue.h"
#include "gateway/send_job.h"
#include "storage/store.h"
#include "tests/support/fax_harness.h"

#define ONE_PAGE "tiff/asterisk-testsuite__udptl_1page.tif"
#define T0 1700000000000LL          /* a fixed "now" for the queue */

enum far_end { FAR_OK, FAR_SILENT, FAR_HANGS_UP };

static char tmp[64], data[128], rx_path[128];
static struct store *st;
static struct queue *q;
static int notified;
static char notify_reason[256];

static void on_notify(void *arg, const struct catalog_outjob *job, const char *reason)
{
	(void)arg;
	(void)job;
	notified++;
	(void)str_copy(notify_reason, sizeof notify_reason, reason);
}

static void open_queue(unsigned max_tries)
{
	struct queue_config c;

	queue_config_init(&c);
	c.max_tries = max_tries;
	cr_assert_eq(store_open(data, NULL, &st), 0);
	cr_assert_eq(queue_open(st, &c, on_notify, NULL, &q), 0);
}

static void close_queue(void)
{
	queue_close(q);
	q = NULL;
	cr_assert_eq(store_close(st), 0);
	st = NULL;
}

static void setup(void)
{
	log_init("test_queue", true, LOG_LEVEL_ERROR);
	make_temp_dir(tmp);
	cr_assert_eq(str_format(data, sizeof data, "%s/data", tmp), 0);
	cr_assert_eq(str_format(rx_path, sizeof rx_path, "%s/rx.tif", tmp), 0);
	cr_assert_eq(store_init(data), 0);
	notified = 0;
	open_queue(3);
}

static void teardown(void)
{
	char cmd[200];

	if (q != NULL)
		close_queue();
	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmp), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(queue, .init = setup, .fini = teardown, .timeout = 120);

/* Stores the one-page test TIFF as an outbound document. */
static void store_doc(char id[static 33])
{
	int fd = open(testdata(ONE_PAGE), O_RDONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(send_job_store_document(st, fd, "0312345678", 1, id), 0);
	close(fd);
}

static void enqueue(const char *doc, char job[static QUEUE_ID_LEN + 1])
{
	struct dialrules_decision d;

	cr_assert_eq(queue_enqueue(q, doc, "03-1234-5678", DIAL_FROM_LOCAL, "cli", T0, job, &d),
		     0, "%s", d.reason);
}

struct rx_state {
	enum far_end mode;
	bool hang_up;
};

static void rx_phase_b(void *user, const struct fax_phase_b *info)
{
	struct rx_state *r = user;

	(void)info;
	r->hang_up = r->mode == FAR_HANGS_UP;
}

static enum fax_decision rx_decide(void *user, const struct fax_phase_b *info)
{
	(void)user;
	(void)info;
	return FAX_ACCEPT;
}

/* Steps the sender alone against a line nobody answers. */
static void pump_silent(struct fax_endpoint *tx, struct line *la, struct line *lb)
{
	int16_t buf[LINE_PUMP_STEP];
	static const int16_t quiet[LINE_PUMP_STEP];

	for (int i = 0; i < 300 * 50 && !fax_endpoint_done(tx); i++) {
		cr_assert_eq(fax_endpoint_tx_audio(tx, buf, LINE_PUMP_STEP), LINE_PUMP_STEP);
		cr_assert_eq(line_send_audio(la, buf, LINE_PUMP_STEP), 0);
		while (line_recv_audio(lb, buf, LINE_PUMP_STEP) > 0)
			;
		cr_assert_eq(fax_endpoint_rx_audio(tx, quiet, LINE_PUMP_STEP), 0);
	}
}

static void pump_pair(struct fax_endpoint *tx, struct line *la, struct fax_endpoint *rx,
		      struct line *lb, struct rx_state *r)
{
	for (int i = 0; i < 300 * 50 && !(fax_endpoint_done(tx) && fax_endpoint_done(rx)); i++) {
		cr_assert_eq(line_pump_step(tx, la, rx, lb), 0);
		if (r->hang_up) {
			r->hang_up = false;
			fax_endpoint_abort(rx);
		}
	}
}

/* Sends the job over a G.711 A-law loopback to a far end that behaves as
 * mode says; returns what the queue should be told. */
static enum queue_result attempt(const struct catalog_outjob *job, enum far_end mode)
{
	static const struct fax_events ev = { .phase_b = rx_phase_b, .decide = rx_decide };
	struct line_loopback_options lo;
	struct line *la, *lb;
	struct send_job *sj;
	struct fax_endpoint *rx = NULL;
	struct fax_options o;
	struct fax_result res;
	struct rx_state r = { mode, false };

	line_loopback_options_init(&lo);
	lo.companding = true;
	lo.law = DSP_G711_ALAW;
	cr_assert_eq(line_loopback_new(&lo, &la, &lb), 0);
	cr_assert_eq(send_job_open(st, job, NULL, &sj), 0);
	fax_options_init(&o);
	o.role = FAX_RECEIVE;
	o.file = rx_path;
	o.events = &ev;
	o.user = &r;
	if (mode == FAR_SILENT) {
		pump_silent(send_job_endpoint(sj), la, lb);
	} else {
		cr_assert_eq(fax_endpoint_new(&o, &rx), 0);
		pump_pair(send_job_endpoint(sj), la, rx, lb, &r);
	}
	cr_assert(fax_endpoint_done(send_job_endpoint(sj)), "the sender finished");
	cr_assert_eq(fax_endpoint_result(send_job_endpoint(sj), &res), 0);
	fax_endpoint_free(rx);
	send_job_free(sj);
	line_free(la);
	line_free(lb);
	return send_job_outcome(&res);
}

static bool audit_has(const char *needle)
{
	char path[200], buf[65536];
	FILE *f;
	size_t n;

	cr_assert_eq(str_format(path, sizeof path, "%s/audit.log", data), 0);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void expect_doc_state(const char *doc, enum catalog_doc_state state)
{
	struct catalog_document d;

	cr_assert_eq(catalog_document_get(store_catalog(st), doc, &d), 0);
	cr_expect_eq(d.state, state, "document state %d, expected %d", d.state, state);
	cr_expect_eq(d.pages, 1);
}

Test(queue, enqueued_job_is_sent_and_the_far_end_gets_the_stored_page)
{
	char doc[33], id[QUEUE_ID_LEN + 1], msg[200];
	struct catalog_outjob job;

	store_doc(doc);
	enqueue(doc, id);
	expect_doc_state(doc, CATALOG_DOC_QUEUED);
	cr_assert_eq(queue_next_due(q, T0, &job), 1);
	cr_assert_str_eq(job.job.id, id);
	cr_assert_str_eq(job.job.state, "sending");
	cr_assert_str_eq(job.job.destination, "0312345678", "stored normalised");
	cr_assert_eq(queue_next_due(q, T0, &job), 0, "a job being sent is not handed out twice");
	cr_assert_eq(attempt(&job, FAR_OK), QUEUE_OK);
	cr_assert_eq(tiff_compare(rx_path, testdata(ONE_PAGE), msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(queue_report(q, id, QUEUE_OK, NULL, T0 + 1000, NULL), 0);
	cr_assert_eq(queue_get(q, id, &job), 0);
	cr_assert_str_eq(job.job.state, "done");
	cr_assert_eq(job.job.attempts, 1);
	expect_doc_state(doc, CATALOG_DOC_SENT);
	cr_assert(audit_has("\"type\":\"fax_sent\""));
}

Test(queue, failing_far_end_is_retried_with_backoff_then_succeeds)
{
	char doc[33], id[QUEUE_ID_LEN + 1], msg[200];
	struct catalog_outjob job;
	int64_t next = 0, t1 = T0 + 70000;

	store_doc(doc);
	enqueue(doc, id);
	cr_assert_eq(queue_next_due(q, T0, &job), 1);
	cr_assert_eq(attempt(&job, FAR_SILENT), QUEUE_NO_ANSWER);
	cr_assert_eq(queue_report(q, id, QUEUE_NO_ANSWER, "T0 expired", t1, &next), 0);
	cr_assert_eq(next, t1 + 60000, "first retry after retry_seconds");
	cr_assert_eq(queue_next_due(q, t1 + 59999, &job), 0);
	cr_assert_eq(queue_next_due(q, t1 + 60000, &job), 1);
	cr_assert_eq(job.job.attempts, 1);
	cr_assert_str_eq(job.last_error, "no answer: T0 expired");

	cr_assert_eq(attempt(&job, FAR_HANGS_UP), QUEUE_FAILED);
	cr_assert_eq(queue_report(q, id, QUEUE_FAILED, "far end hung up", t1 + 70000, &next), 0);
	cr_assert_eq(next, t1 + 70000 + 120000, "second retry waits backoff_factor times longer");
	cr_assert_eq(queue_next_due(q, t1 + 70000 + 119999, &job), 0);
	cr_assert_eq(queue_next_due(q, t1 + 70000 + 120000, &job), 1);

	cr_assert_eq(attempt(&job, FAR_OK), QUEUE_OK);
	cr_assert_eq(tiff_compare(rx_path, testdata(ONE_PAGE), msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(queue_report(q, id, QUEUE_OK, NULL, t1 + 200000, NULL), 0);
	cr_assert_eq(queue_get(q, id, &job), 0);
	cr_assert_str_eq(job.job.state, "done");
	cr_assert_eq(job.job.attempts, 3);
	cr_assert_eq(notified, 0);
	cr_assert(audit_has("attempt 1 of 3: no answer: T0 expired; will retry"));
}

Test(queue, max_tries_fails_the_job_with_audit_record_and_notification)
{
	char doc[33], id[QUEUE_ID_LEN + 1];
	struct catalog_outjob job;
	int64_t now = T0;

	close_queue();
	open_queue(2);
	store_doc(doc);
	enqueue(doc, id);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(queue_next_due(q, now, &job), 1, "try %d", i + 1);
		cr_assert_eq(queue_report(q, id, QUEUE_BUSY, NULL, now, &now), 0);
	}
	cr_assert_eq(queue_get(q, id, &job), 0);
	cr_assert_str_eq(job.job.state, "failed");
	cr_assert_eq(queue_next_due(q, INT64_MAX, &job), 0, "a failed job is not retried");
	cr_assert_eq(notified, 1);
	cr_assert_str_eq(notify_reason, "attempt 2 of 2: busy; given up");
	cr_assert(audit_has("attempt 2 of 2: busy; given up"));
	expect_doc_state(doc, CATALOG_DOC_FAILED);
}

Test(queue, cancel_stops_a_job_and_is_audited)
{
	char doc[33], id[QUEUE_ID_LEN + 1], id2[QUEUE_ID_LEN + 1];
	struct catalog_outjob job;

	store_doc(doc);
	enqueue(doc, id);
	cr_assert_eq(queue_cancel(q, id, T0 + 1), 0);
	cr_assert_eq(queue_get(q, id, &job), 0);
	cr_assert_str_eq(job.job.state, "cancelled");
	cr_assert_eq(queue_next_due(q, INT64_MAX, &job), 0);
	cr_assert_eq(queue_cancel(q, id, T0 + 2), FGW_ERR_STATE, "only once");
	cr_assert_eq(queue_cancel(q, "000000000000", T0), FGW_ERR_NOT_FOUND);
	cr_assert(audit_has("\"result\":\"cancelled\""));

	/* cancelled while being sent: the sender's report is refused */
	store_doc(doc);
	enqueue(doc, id2);
	cr_assert_eq(queue_next_due(q, T0, &job), 1);
	cr_assert_eq(queue_cancel(q, id2, T0 + 1), 0);
	cr_assert_eq(queue_report(q, id2, QUEUE_OK, NULL, T0 + 2, NULL), FGW_ERR_STATE);
}

Test(queue, jobs_survive_a_restart_and_an_interrupted_send_is_queued_again)
{
	char doc[33], a[QUEUE_ID_LEN + 1], b[QUEUE_ID_LEN + 1];
	struct catalog_outjob job;
	int moved = -1;

	store_doc(doc);
	enqueue(doc, a);
	store_doc(doc);
	enqueue(doc, b);
	cr_assert_eq(queue_next_due(q, T0, &job), 1);
	cr_assert_str_eq(job.job.id, a);
	close_queue();                  /* the gateway stops mid-send */
	open_queue(3);
	cr_assert_eq(queue_get(q, a, &job), 0);
	cr_assert_str_eq(job.job.state, "sending", "opening alone changes nothing");
	cr_assert_eq(queue_recover(q, T0, &moved), 0);
	cr_assert_eq(moved, 1);
	cr_assert_eq(queue_get(q, a, &job), 0);
	cr_assert_str_eq(job.job.state, "queued");
	cr_assert_eq(queue_get(q, b, &job), 0);
	cr_assert_str_eq(job.job.state, "queued");
	cr_assert_eq(queue_next_due(q, T0, &job), 1);
	cr_assert_eq(queue_next_due(q, T0, &job), 1);
	cr_assert_eq(queue_next_due(q, T0, &job), 0);
}

Test(queue, enqueue_runs_the_dial_rules_again)
{
	char doc[33], id[QUEUE_ID_LEN + 1];
	struct dialrules_decision d;
	struct catalog_outjob job;

	store_doc(doc);
	cr_assert_eq(queue_enqueue(q, doc, "010-44-20-7946-0000", DIAL_FROM_DEVICE, "mfp-1", T0,
				   id, &d), FGW_ERR_DENIED);
	cr_assert_str_eq(d.rule, "international");
	cr_assert_eq(queue_enqueue(q, doc, "03-1234-5678", DIAL_FROM_TRUNK, "trunk", T0, id, &d),
		     FGW_ERR_DENIED);
	cr_assert_str_eq(d.rule, "public_to_public");
	cr_assert_eq(queue_next_due(q, INT64_MAX, &job), 0, "nothing was queued");
	cr_assert(audit_has("\"type\":\"dial_denied\""));
	cr_assert(audit_has("\"rule\":\"international\""));
	cr_assert_eq(queue_enqueue(q, "0123456789abcdef0123456789abcdef", "0312345678",
				   DIAL_FROM_LOCAL, NULL, T0, id, &d), FGW_ERR_NOT_FOUND);
}

Test(queue, config_is_read_from_the_queue_and_dialing_sections)
{
	struct config *cfg = config_defaults();
	struct queue_config c;
	char msg[200];

	cr_assert_not_null(cfg);
	cr_assert_eq(queue_config_load(cfg, &c, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(c.max_tries, 3);
	cr_assert_eq(c.retry_seconds, 60);
	cr_assert_eq(c.backoff_factor, 2);
	cr_assert_not(c.policy.international_allow);
	cr_assert_eq(c.policy.countries.count, 0);
	config_free(cfg);
}
