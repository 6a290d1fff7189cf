/* Outbound through a running faxgwd (seed 000 4.4 case 1), all SIMULATED
 * lines: the office fax machine dials with double entry, the queue runner
 * sends over the trunk to the simulated public far end, retries, survives
 * a restart; the device line as a destination (inbox forwarding); and
 * faxgw send stops a Ghostscript that would render forever. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/str.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/fax_harness.h"

#define ONE_PAGE "tiff/asterisk-testsuite__udptl_1page.tif"
#define NUMBER "0312345678"

static struct dh *h;
static struct dh_result r;

static void teardown(void)
{
	dh_free(h);
	h = NULL;
}

TestSuite(daemon_outbound, .fini = teardown, .timeout = 180);

/* A daemon whose far end saves into DIR/far; extra config overrides. */
static const char *start(const char *const *extra)
{
	static char far[4200];
	char line[4300];
	const char *over[12] = {"retry_seconds = 1", "backoff_factor = 1", NULL};
	size_t n = 2;

	h = dh_new();
	cr_assert_eq(str_copy(far, sizeof far, dh_mkdir(h, "far")), 0);
	cr_assert_eq(str_format(line, sizeof line, "far_end_dir = %s", far), 0);
	over[n++] = line;
	for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 11; i++)
		if (strncmp(extra[i], "retry_seconds", 13) == 0)
			over[0] = extra[i];
		else
			over[n++] = extra[i];
	over[n] = NULL;
	dh_config(h, over);
	dh_start(h);
	return far;
}

static int dial(const char *number, const char *confirm, bool wait)
{
	const char *args[12] = {"simulate", "outgoing", "--dial", number, "--file",
				testdata(ONE_PAGE)};
	size_t n = 6;

	if (confirm != NULL) {
		args[n++] = "--confirm";
		args[n++] = confirm;
	}
	if (wait)
		args[n++] = "--wait";
	args[n] = NULL;
	return dh_cliv(h, NULL, true, &r, args);
}

/* The job id of an accepted call, from "accepted: job ID to N". */
static void job_id(char id[13])
{
	const char *p = strstr(r.out, "accepted: job ");

	cr_assert_not_null(p, "%s%s", r.out, r.err);
	memcpy(id, p + 14, 12);
	id[12] = '\0';
}

static void audit(char *buf, size_t size)
{
	char path[4200];

	cr_assert_eq(str_format(path, sizeof path, "%s/audit.log", dh_data(h)), 0);
	cr_assert_gt(dh_read_file(path, buf, size), 0);
}

static void assert_received(const char *dir, const char *id)
{
	char path[4300], msg[200];

	cr_assert_eq(str_format(path, sizeof path, "%s/%s.tif", dir, id), 0);
	cr_assert_eq(tiff_compare(path, testdata(ONE_PAGE), msg, sizeof msg), 0, "%s: %s",
		     path, msg);
}

static void assert_nothing_queued(void)
{
	struct dh_result j;

	cr_assert_eq(dh_cli(h, NULL, true, &j, "jobs", "--json", NULL), 0, "%s", j.err);
	cr_assert_null(strstr(j.out, "\"id\""), "no job: %s", j.out);
}

Test(daemon_outbound, matching_double_entry_is_queued_sent_and_received_by_the_far_end)
{
	const char *far = start(NULL);
	char id[13];

	cr_assert_eq(dial("03-1234-5678", NUMBER, true), 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "heard the confirmation tone") != NULL, "%s", r.out);
	job_id(id);
	cr_assert(strstr(r.out, "done after 1 attempt") != NULL, "%s", r.out);
	assert_received(far, id);
	/* The fax_sent record carries the call's xferfaxlog figures. */
	static char log[65536];
	audit(log, sizeof log);
	const char *sent = strstr(log, "\"type\":\"fax_sent\"");
	cr_assert_not_null(sent, "%s", log);
	cr_assert(strstr(sent, "\"bit_rate\":14400") != NULL, "%.400s", sent);
	cr_assert(strstr(sent, "\"pages\":1") != NULL, "%.400s", sent);
	cr_assert_null(strstr(sent, "\"duration_ms\":0,"), "%.400s", sent);
}

Test(daemon_outbound, mismatch_stores_and_queues_nothing_and_is_audited)
{
	static char log[1 << 20];

	start(NULL);
	cr_assert_eq(dial(NUMBER, "0312345679", false), 1, "%s", r.out);
	cr_assert(strstr(r.out, "refused: mismatch") != NULL, "%s", r.out);
	assert_nothing_queued();
	audit(log, sizeof log);
	cr_assert(strstr(log, "\"type\":\"dial_mismatch\"") != NULL);
	cr_assert(strstr(log, "\"second\":\"0312345679\"") != NULL);
}

Test(daemon_outbound, no_second_entry_times_out_and_is_audited)
{
	static char log[1 << 20];

	start(NULL);
	cr_assert_eq(dial(NUMBER, NULL, false), 1, "%s", r.out);
	cr_assert(strstr(r.out, "refused: timeout") != NULL, "%s", r.out);
	assert_nothing_queued();
	audit(log, sizeof log);
	cr_assert(strstr(log, "double_entry_timeout") != NULL);
}

static void assert_blocked(const char *number, const char *rule)
{
	static char log[1 << 20];
	char needle[64];

	cr_assert_eq(dial(number, number, false), 1, "%s", r.out);
	cr_assert(strstr(r.out, "refused:") != NULL, "%s", r.out);
	cr_assert_null(strstr(r.out, "confirmation tone"), "blocked before it: %s", r.out);
	audit(log, sizeof log);
	cr_assert_eq(str_format(needle, sizeof needle, "\"rule\":\"%s\"", rule), 0);
	cr_assert(strstr(log, needle) != NULL, "no %s in the audit log", needle);
}

Test(daemon_outbound, international_premium_and_denied_prefixes_are_blocked_before_confirmation)
{
	static const char *const deny[] = {"deny_prefixes = 0120", NULL};

	start(deny);
	assert_blocked("010442079460000", "international");
	assert_blocked("0990123456", "premium");
	assert_blocked("0120123456", "deny_prefixes");
	assert_nothing_queued();
}

Test(daemon_outbound, busy_far_end_is_retried_after_the_backoff_then_sent)
{
	static char log[1 << 20];
	const char *far = start(NULL);
	char id[13];
	struct timespec t0, t1;

	cr_assert_eq(dh_cli(h, NULL, true, &r, "simulate", "far-end", "--busy", "1", NULL), 0,
		     "%s%s", r.out, r.err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(dial(NUMBER, NUMBER, true), 0, "%s%s", r.out, r.err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	job_id(id);
	cr_assert(strstr(r.out, "done after 2 attempt") != NULL, "%s", r.out);
	cr_assert_geq(t1.tv_sec - t0.tv_sec, 1, "the retry waited retry_seconds");
	assert_received(far, id);
	audit(log, sizeof log);
	const char *busy = strstr(log, "attempt 1 of 3: busy");
	cr_assert_not_null(busy, "the failed attempt is audited");
	cr_assert_not_null(strstr(busy, "\"type\":\"fax_sent\""), "then the success");
}

static bool job_done(const char *id, int wait_ms)
{
	struct dh_result j;
	char needle[64];

	(void)str_format(needle, sizeof needle, "\"id\": \"%s\", \"state\": \"done\"", id);
	for (int t = 0; t < wait_ms; t += 200) {
		cr_assert_eq(dh_cli(h, NULL, true, &j, "jobs", "--json", NULL), 0, "%s", j.err);
		if (strstr(j.out, needle) != NULL)
			return true;
		dh_sleep_ms(200);
	}
	fprintf(stderr, "%s\n", j.out);
	return false;
}

Test(daemon_outbound, queued_job_survives_a_restart_and_is_sent_after_it)
{
	static const char *const slow[] = {"retry_seconds = 3", NULL};
	const char *far = start(slow);
	char id[13];

	cr_assert_eq(dh_cli(h, NULL, true, &r, "simulate", "far-end", "--noanswer", "5", NULL),
		     0);
	cr_assert_eq(dial(NUMBER, NUMBER, false), 0, "%s%s", r.out, r.err);
	job_id(id);
	cr_assert(dh_log_has(h, "no answer (simulation)", 5000));
	cr_assert_eq(dh_stop(h), 0);
	dh_start(h);                    /* the knob is gone: the far end answers */
	cr_assert(job_done(id, 15000), "job %s sent after the restart", id);
	assert_received(far, id);
}

/* The id of the one job in `faxgw jobs --json` once it is done. */
static void done_job(char id[13])
{
	static struct dh_result j;

	j.out[0] = '\0';

	for (int t = 0; t < 15000 && strstr(j.out, "\"state\": \"done\"") == NULL; t += 200) {
		cr_assert_eq(dh_cli(h, NULL, true, &j, "jobs", "--json", NULL), 0);
		if (strstr(j.out, "\"state\": \"done\"") == NULL)
			dh_sleep_ms(200);
	}
	const char *q = strstr(j.out, "\"id\": \"");
	cr_assert_not_null(q, "%s", j.out);
	cr_assert(strstr(j.out, "\"state\": \"done\"") != NULL, "%s", j.out);
	memcpy(id, q + 7, 12);
	id[12] = '\0';
}

Test(daemon_outbound, general_inbox_fax_is_forwarded_to_the_device_line)
{
	static char devdir[4200], line[4300];
	const char *over[3] = {"forward_inbox_to_device = yes", line, NULL};

	h = dh_new();
	cr_assert_eq(str_copy(devdir, sizeof devdir, dh_mkdir(h, "device")), 0);
	cr_assert_eq(str_format(line, sizeof line, "device_dir = %s", devdir), 0);
	dh_config(h, over);
	dh_start(h);
	cr_assert_eq(dh_cli(h, NULL, true, &r, "simulate", "incoming", "--file",
			    testdata(ONE_PAGE), NULL), 0, "%s%s", r.out, r.err);
	char id[13];

	cr_assert(dh_log_has(h, "forwarded to the office device line as job", 5000));
	done_job(id);
	assert_received(devdir, id);
}

/* A PDF whose one page draws a form that draws the next ten times, nine
 * levels deep: 10^8 fills, hours of Ghostscript for a few hundred bytes. */
#define DRAW "q 1 0 0 1 0.1 0.1 cm /X Do Q "
static void write_bomb(const char *path)
{
	FILE *f = fopen(path, "w");
	long off[16];
	int n = 0;

	cr_assert_not_null(f);
	fprintf(f, "%%PDF-1.4\n");
	off[n++] = ftell(f);
	fprintf(f, "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
	off[n++] = ftell(f);
	fprintf(f, "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n");
	off[n++] = ftell(f);
	fprintf(f, "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
		   " /Resources << /XObject << /X 5 0 R >> >> >> endobj\n");
	off[n++] = ftell(f);
	fprintf(f, "4 0 obj << /Length 5 >> stream\n/X Do\nendstream endobj\n");
	for (int i = 0; i < 9; i++) {
		char body[512] = "0 0 1 1 re f";
		if (i < 8)
			cr_assert_eq(str_format(body, sizeof body, "%s%s%s%s%s%s%s%s%s%s",
						DRAW, DRAW, DRAW, DRAW, DRAW, DRAW, DRAW, DRAW,
						DRAW, DRAW), 0);
		off[n++] = ftell(f);
		fprintf(f, "%d 0 obj << /Type /XObject /Subtype /Form /BBox [0 0 600 850]", 5 + i);
		if (i < 8)
			fprintf(f, " /Resources << /XObject << /X %d 0 R >> >>", 6 + i);
		fprintf(f, " /Length %zu >> stream\n%s\nendstream endobj\n", strlen(body), body);
	}
	long xref = ftell(f);
	fprintf(f, "xref\n0 %d\n0000000000 65535 f \n", n + 1);
	for (int i = 0; i < n; i++)
		fprintf(f, "%010ld 00000 n \n", off[i]);
	fprintf(f, "trailer << /Size %d /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", n + 1, xref);
	cr_assert_eq(fclose(f), 0);
}

Test(daemon_outbound, send_stops_a_pdf_that_ghostscript_would_render_forever)
{
	char pdf[4300];
	struct timespec t0, t1;

	h = dh_new();
	cr_assert_eq(str_format(pdf, sizeof pdf, "%s/bomb.pdf", dh_mkdir(h, "in")), 0);
	write_bomb(pdf);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(dh_cli(h, NULL, true, &r, "send", "--to", NUMBER, "--confirm-to", NUMBER,
			    "--convert-timeout", "2", pdf, NULL), 1, "%s%s", r.out, r.err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert(strstr(r.err, "did not finish rendering this PDF within 2 s") != NULL, "%s",
		  r.err);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 10, "stopped at the limit");
	assert_nothing_queued();
}

Test(daemon_outbound, release_print_sends_the_fax_to_the_device_line_and_erases_it)
{
	static char devdir[4200], line[4300];
	const char *over[2] = {line, NULL};
	char id[13];

	h = dh_new();
	cr_assert_eq(str_copy(devdir, sizeof devdir, dh_mkdir(h, "device")), 0);
	cr_assert_eq(str_format(line, sizeof line, "device_dir = %s", devdir), 0);
	dh_config(h, over);
	dh_start(h);
	cr_assert_eq(dh_cli(h, "4711\n", true, &r, "mailbox", "create", "55", "--name", "Legal",
			    "--pin-stdin", "--config", dh_config_path(h), NULL), 0, "%s%s",
		     r.out, r.err);
	cr_assert_eq(dh_cli(h, NULL, true, &r, "simulate", "incoming", "--file",
			    testdata(ONE_PAGE), "--sub", "55", NULL), 0, "%s%s", r.out, r.err);
	cr_assert_eq(dh_cli(h, "4711\n", true, &r, "release", "55", "--all", "--print",
			    "--pin-stdin", "--config", dh_config_path(h), NULL), 0, "%s%s",
		     r.out, r.err);
	cr_assert(strstr(r.out, "office device line, job") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "(erased)") != NULL, "%s", r.out);
	done_job(id);
	assert_received(devdir, id);
}

Test(daemon_outbound, out_folder_the_daemon_cannot_write_is_refused_up_front)
{
	char locked[200], open_dir[200], id[13];
	const char *args[12] = {"simulate", "outgoing", "--dial", NUMBER, "--confirm", NUMBER,
				"--file", testdata(ONE_PAGE), "--out", locked, "--wait", NULL};

	start(NULL);
	cr_assert_eq(str_copy(locked, sizeof locked, dh_mkdir(h, "locked")), 0);
	cr_assert_eq(str_copy(open_dir, sizeof open_dir, dh_mkdir(h, "out")), 0);
	/* Readable (the CLI opens it) but not writable by faxgwd's user. */
	cr_assert_eq(chmod(locked, 0500), 0);
	cr_assert_eq(dh_cliv(h, NULL, true, &r, args), 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "cannot write into the --out folder") != NULL, "%s%s", r.out,
		  r.err);
	assert_nothing_queued();
	args[9] = open_dir;
	cr_assert_eq(dh_cliv(h, NULL, true, &r, args), 0, "%s%s", r.out, r.err);
	job_id(id);
	assert_received(open_dir, id);
}
