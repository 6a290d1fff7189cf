/* gateway/doubleentry over the G.711 loopback: a simulated office fax
 * machine (SpanDSP's DTMF generator, fax-machine dialling speed, line
 * noise) dials into the state machine; what the machine plays back is
 * checked on the device's side of the line. Then, for an accepted number,
 * case 1 end to end without the daemon: the device's SpanDSP sender sends
 * a TIFF into a receiving dsp/fax endpoint writing to a memfd, which is
 * stored in the vault and queued. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <spandsp.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/doubleentry.h"
#include "gateway/line.h"
#include "gateway/line_pump.h"
#include "gateway/queue.h"
#include "gateway/send_job.h"
#include "storage/memfile.h"
#include "storage/store.h"
#include "tests/support/fax_harness.h"

#define FRAME LINE_PUMP_STEP
#define ONE_PAGE "tiff/asterisk-testsuite__udptl_1page.tif"

/* The office fax machine: dials entries at set times, and listens. */
struct device {
	dtmf_tx_state_t *tx;
	awgn_state_t *noise;
	const char *entry[2];
	unsigned at_ms[2];
	bool dialled[2];
};

/* What the device heard, frame by frame. */
struct heard {
	int dial, confirm, reject;
};

/* What the state machine went through. */
struct run {
	bool seen[DE_REFUSED + 1];
	enum doubleentry_state final;
	unsigned ms;
};

static char tmp[64], data[128];

static void setup(void)
{
	log_init("test_doubleentry", true, LOG_LEVEL_ERROR);
	make_temp_dir(tmp);
	cr_assert_eq(str_format(data, sizeof data, "%s/data", tmp), 0);
	cr_assert_eq(store_init(data), 0);
}

static void teardown(void)
{
	char cmd[200];

	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmp), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(doubleentry, .init = setup, .fini = teardown, .timeout = 120);

static void device_init(struct device *d, const char *e1, unsigned t1, const char *e2,
			unsigned t2)
{
	*d = (struct device){ .entry = { e1, e2 }, .at_ms = { t1, t2 } };
	d->tx = dtmf_tx_init(NULL);
	cr_assert_not_null(d->tx);
	dtmf_tx_set_level(d->tx, -10, 0);
	/* a fax machine's tone dialling: 90 ms tone, 110 ms pause */
	dtmf_tx_set_timing(d->tx, 90, 110);
	d->noise = awgn_init_dbm0(NULL, 4711, -50.0f);
	cr_assert_not_null(d->noise);
}

static void device_free(struct device *d)
{
	(void)dtmf_tx_free(d->tx);
	(void)awgn_free(d->noise);
}

static void device_fill(struct device *d, unsigned now_ms, int16_t *buf)
{
	int got;

	for (int i = 0; i < 2; i++)
		if (d->entry[i] != NULL && !d->dialled[i] && now_ms >= d->at_ms[i]) {
			cr_assert_eq(dtmf_tx_put(d->tx, d->entry[i], -1), 0);
			d->dialled[i] = true;
		}
	got = dtmf_tx(d->tx, buf, FRAME);
	memset(buf + got, 0, (size_t)(FRAME - got) * sizeof *buf);
	for (int i = 0; i < FRAME; i++) {
		int v = buf[i] + awgn(d->noise);

		buf[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
}

/* Share of the frame's energy at freq (about 1 for a pure tone there). */
static double share(const int16_t *x, size_t n, double freq)
{
	double w = 2.0 * M_PI * freq / 8000.0, c = 2.0 * cos(w), s1 = 0, s2 = 0, e = 0;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;

		s2 = s1;
		s1 = s0;
		e += (double)x[i] * x[i];
	}
	if (e < n * 100.0 * 100.0)      /* silence or noise only */
		return 0;
	return (s1 * s1 + s2 * s2 - c * s1 * s2) * 2.0 / ((double)n * e);
}

static void listen(const int16_t *x, struct heard *h)
{
	if (share(x, FRAME, 1400) > 0.6)
		h->confirm++;
	if (share(x, FRAME, 480) > 0.25 && share(x, FRAME, 620) > 0.25)
		h->reject++;
	if (share(x, FRAME, 350) > 0.25 && share(x, FRAME, 440) > 0.25)
		h->dial++;
}

static void make_line(struct line **dev, struct line **gw)
{
	struct line_loopback_options o;

	line_loopback_options_init(&o);
	o.companding = true;
	o.law = DSP_G711_ULAW;
	o.attenuation_db = 6;
	o.seed = 99;
	cr_assert_eq(line_loopback_new(&o, dev, gw), 0);
}

/* Runs the device against the machine until a final state or max_ms. */
static void run_entries(struct doubleentry *de, struct device *d, struct line *dev,
			struct line *gw, struct heard *h, struct run *r, unsigned max_ms)
{
	int16_t buf[FRAME], in[FRAME], out[FRAME];
	enum doubleentry_state s = doubleentry_state(de);

	memset(r, 0, sizeof *r);
	for (r->ms = 0; r->ms < max_ms && s != DE_ACCEPTED && s != DE_REFUSED; r->ms += 20) {
		device_fill(d, r->ms, buf);
		cr_assert_eq(line_send_audio(dev, buf, FRAME), 0);
		cr_assert_eq(line_recv_audio(gw, in, FRAME), FRAME);
		s = doubleentry_process(de, in, out, FRAME);
		r->seen[s] = true;
		cr_assert_eq(line_send_audio(gw, out, FRAME), 0);
		cr_assert_eq(line_recv_audio(dev, buf, FRAME), FRAME);
		listen(buf, h);
	}
	r->final = s;
}

static struct doubleentry *machine(bool double_entry)
{
	struct doubleentry_config c;
	struct doubleentry *de;

	doubleentry_config_init(&c);
	c.double_entry = double_entry;
	cr_assert_eq(doubleentry_new(&c, &de), 0);
	return de;
}

/* Dials e1 at 1 s and e2 (may be NULL) at 6 s. */
static struct doubleentry *dial(const char *e1, const char *e2, struct heard *h, struct run *r,
				struct line **dev, struct line **gw)
{
	struct doubleentry *de = machine(true);
	struct device d;

	memset(h, 0, sizeof *h);
	make_line(dev, gw);
	device_init(&d, e1, 1000, e2, 6000);
	run_entries(de, &d, *dev, *gw, h, r, 40000);
	device_free(&d);
	return de;
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

static void write_audit(const struct doubleentry *de)
{
	struct store *s;

	cr_assert_eq(store_open(data, NULL, &s), 0);
	cr_assert_eq(doubleentry_audit(de, store_audit(s), "mfp-2f"), 0);
	cr_assert_eq(store_close(s), 0);
}

Test(doubleentry, matching_entries_are_accepted)
{
	struct line *dev, *gw;
	struct heard h;
	struct run r;
	struct doubleentry *de = dial("03-1234-5678#", "0312345678#", &h, &r, &dev, &gw);

	cr_assert_eq(r.final, DE_ACCEPTED, "%s: %s", doubleentry_state_name(r.final),
		     doubleentry_reason(de));
	cr_assert_str_eq(doubleentry_number(de), "0312345678");
	cr_assert(r.seen[DE_CONFIRM_TONE] && r.seen[DE_SECOND_ENTRY]);
	cr_assert_geq(h.dial, 10, "dial tone before the first digit (%d frames)", h.dial);
	cr_assert_geq(h.confirm, 10, "three 100 ms beeps heard (%d frames)", h.confirm);
	cr_assert_eq(h.reject, 0);
	cr_assert_eq(doubleentry_audit(de, NULL, NULL), FGW_ERR_STATE, "nothing to audit");
	doubleentry_free(de);
	line_free(dev);
	line_free(gw);
}

Test(doubleentry, different_entries_are_refused_with_the_reject_tone_and_audited)
{
	struct line *dev, *gw;
	struct heard h;
	struct run r;
	struct doubleentry *de = dial("0312345678#", "0312345679#", &h, &r, &dev, &gw);

	cr_assert_eq(r.final, DE_REFUSED);
	cr_assert_eq(doubleentry_refusal(de), DE_MISMATCH);
	cr_assert_str_eq(doubleentry_reason(de), "mismatch: 0312345678 then 0312345679");
	cr_assert_str_eq(doubleentry_number(de), "");
	cr_assert_geq(h.reject, 100, "the reject tone is audible (%d frames)", h.reject);
	write_audit(de);
	cr_assert(audit_has("\"type\":\"dial_mismatch\""));
	cr_assert(audit_has("\"device\":\"mfp-2f\""));
	cr_assert(audit_has("\"second\":\"0312345679\""));
	doubleentry_free(de);
	line_free(dev);
	line_free(gw);
}

Test(doubleentry, no_second_entry_is_refused_as_timeout)
{
	struct line *dev, *gw;
	struct heard h;
	struct run r;
	struct doubleentry *de = dial("0312345678#", NULL, &h, &r, &dev, &gw);

	cr_assert_eq(r.final, DE_REFUSED);
	cr_assert_eq(doubleentry_refusal(de), DE_TIMEOUT);
	cr_assert_str_eq(doubleentry_reason(de), "timeout: the number was not dialled again");
	cr_assert_geq(h.confirm, 10);
	cr_assert_geq(h.reject, 100);
	write_audit(de);
	cr_assert(audit_has("\"event\":\"double_entry_timeout\""));
	doubleentry_free(de);
	line_free(dev);
	line_free(gw);
}

Test(doubleentry, international_is_refused_by_rule_before_the_confirmation)
{
	struct line *dev, *gw;
	struct heard h;
	struct run r;
	struct doubleentry *de = dial("0033010442079460000#", "0033010442079460000#", &h, &r,
				      &dev, &gw);

	cr_assert_eq(r.final, DE_REFUSED);
	cr_assert_eq(doubleentry_refusal(de), DE_RULE);
	cr_assert_str_eq(doubleentry_decision(de)->rule, "international");
	cr_assert_not(r.seen[DE_CONFIRM_TONE], "no confirmation tone for a refused number");
	cr_assert_eq(h.confirm, 0);
	cr_assert_geq(h.reject, 100);
	write_audit(de);
	cr_assert(audit_has("\"type\":\"dial_denied\""));
	cr_assert(audit_has("\"rule\":\"international\""));
	doubleentry_free(de);
	line_free(dev);
	line_free(gw);
}

Test(doubleentry, inter_digit_pause_ends_an_entry_and_single_entry_devices_skip_the_second)
{
	struct doubleentry *de = machine(false);
	struct line *dev, *gw;
	struct device d;
	struct heard h = {0};
	struct run r;

	make_line(&dev, &gw);
	device_init(&d, "0661234567", 500, NULL, 0);   /* no '#': the pause ends it */
	run_entries(de, &d, dev, gw, &h, &r, 20000);
	cr_assert_eq(r.final, DE_ACCEPTED, "%s", doubleentry_reason(de));
	cr_assert_str_eq(doubleentry_number(de), "0661234567");
	cr_assert_not(r.seen[DE_CONFIRM_TONE]);
	/* 500 ms + 10 digits of 200 ms + the 4 s pause, give or take a frame */
	cr_assert(r.ms >= 6400 && r.ms <= 6700, "ended at %u ms", r.ms);
	device_free(&d);
	doubleentry_free(de);
	line_free(dev);
	line_free(gw);
}

Test(doubleentry, nothing_dialled_is_a_timeout)
{
	struct doubleentry *de = machine(true);
	struct line *dev, *gw;
	struct device d;
	struct heard h = {0};
	struct run r;

	make_line(&dev, &gw);
	device_init(&d, NULL, 0, NULL, 0);
	run_entries(de, &d, dev, gw, &h, &r, 30000);
	cr_assert_eq(r.final, DE_REFUSED);
	cr_assert_str_eq(doubleentry_reason(de), "timeout: no number was dialled");
	cr_assert_geq(h.dial, 400, "dial tone for the whole wait (%d frames)", h.dial);
	device_free(&d);
	doubleentry_free(de);
	line_free(dev);
	line_free(gw);
}

/* ---- case 1 end to end ---------------------------------------------------- */

struct rx_ctx {
	int pages;
};

static enum fax_decision accept_all(void *user, const struct fax_phase_b *info)
{
	(void)user;
	(void)info;
	return FAX_ACCEPT;
}

static void count_page(void *user, const struct fax_page *page)
{
	struct rx_ctx *c = user;

	(void)page;
	c->pages++;
}

/* The device sends ONE_PAGE; the gateway's endpoint receives into fd. */
static void receive_document(struct line *dev, struct line *gw, int fd, struct rx_ctx *ctx)
{
	static const struct fax_events ev = { .decide = accept_all, .page = count_page };
	struct fax_endpoint *tx, *rx;
	struct fax_options o;
	struct fax_result res;
	char path[MEMFILE_PATH_MAX];

	fax_options_init(&o);
	o.file = testdata(ONE_PAGE);
	o.side = FAX_SIDE_CALLING;
	o.local_ident = "+81 3 1234 0000";
	cr_assert_eq(fax_endpoint_new(&o, &tx), 0);
	cr_assert_eq(memfile_path(fd, path), 0);
	fax_options_init(&o);
	o.role = FAX_RECEIVE;
	o.side = FAX_SIDE_ANSWERING;
	o.file = path;
	o.events = &ev;
	o.user = ctx;
	cr_assert_eq(fax_endpoint_new(&o, &rx), 0);
	cr_assert_eq(line_pump_run(tx, dev, rx, gw, 300, NULL), 0);
	cr_assert_eq(fax_endpoint_result(rx, &res), 0);
	cr_assert_eq(res.err, 0, "%s", res.t30_text);
	fax_endpoint_free(tx);
	fax_endpoint_free(rx);
}

Test(doubleentry, accepted_number_then_document_is_received_stored_and_queued)
{
	struct line *dev, *gw;
	struct heard h;
	struct run r;
	struct doubleentry *de = dial("0312345678#", "03 1234 5678#", &h, &r, &dev, &gw);
	struct rx_ctx ctx = {0};
	struct store *s;
	struct queue *q;
	struct queue_config qc;
	struct catalog_outjob job;
	struct vault_reader *vr;
	char doc[33], id[QUEUE_ID_LEN + 1], path[MEMFILE_PATH_MAX], msg[200];
	int fd = memfile_create("rx"), back;

	cr_assert_eq(r.final, DE_ACCEPTED, "%s", doubleentry_reason(de));
	cr_assert_geq(fd, 0);
	receive_document(dev, gw, fd, &ctx);
	cr_assert_eq(ctx.pages, 1);

	cr_assert_eq(store_open(data, NULL, &s), 0);
	queue_config_init(&qc);
	cr_assert_eq(queue_open(s, &qc, NULL, NULL, &q), 0);
	cr_assert_eq(send_job_store_document(s, fd, doubleentry_number(de), 1, doc), 0);
	cr_assert_eq(memfile_wipe_close(fd), 0, "the plaintext copy is wiped");
	cr_assert_eq(queue_enqueue(q, doc, doubleentry_number(de), DIAL_FROM_DEVICE, "mfp-2f",
				   1000, id, NULL), 0);
	cr_assert_eq(queue_next_due(q, 1000, &job), 1);
	cr_assert_str_eq(job.job.destination, "0312345678");
	cr_assert_str_eq(job.origin, "device");
	cr_assert_str_eq(job.device, "mfp-2f");

	/* what the vault holds is the page the device sent */
	cr_assert_eq(store_doc_open(s, doc, NULL, &vr), 0);
	cr_assert_eq(vault_reader_next_page(vr, NULL), 1);
	back = memfile_create("back");
	cr_assert_geq(back, 0);
	cr_assert_eq(vault_reader_page_to_fd(vr, back), 0);
	vault_reader_close(vr);
	cr_assert_eq(memfile_path(back, path), 0);
	cr_assert_eq(tiff_compare(path, testdata(ONE_PAGE), msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(memfile_wipe_close(back), 0);

	queue_close(q);
	cr_assert_eq(store_close(s), 0);
	doubleentry_free(de);
	line_free(dev);
	line_free(gw);
}
