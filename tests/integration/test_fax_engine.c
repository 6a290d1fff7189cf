/* Endpoint behaviours beyond a plain call: hanging up, many calls in one
 * process, hostile T.38 input, a disorderly packet network. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tiffio.h>

#include "common/err.h"
#include "common/str.h"

#include "gateway/line_pump.h"
#include "tests/support/fax_harness.h"

#define ONE_PAGE "tiff/asterisk-testsuite__udptl_1page.tif"

static enum fax_decision accept_all(void *user, const struct fax_phase_b *info)
{
	(void)user;
	(void)info;
	return FAX_ACCEPT;
}

static const struct fax_events accepting = {.decide = accept_all};

struct call {
	struct line *la, *lb;
	struct fax_endpoint *tx, *rx;
	char out[128];
};

static void call_open(struct call *c, const char *dir, int n, bool t38, const char *file)
{
	struct line_loopback_options lo;
	struct fax_options o;

	line_loopback_options_init(&lo);
	cr_assert_eq(line_loopback_new(&lo, &c->la, &c->lb), 0);
	cr_assert_eq(str_format(c->out, sizeof c->out, "%s/rx%d.tif", dir, n), 0);
	fax_options_init(&o);
	o.transport = t38 ? FAX_T38 : FAX_AUDIO;
	o.file = file;
	o.t38_out = line_pump_t38_out;
	o.t38_user = c->la;
	cr_assert_eq(fax_endpoint_new(&o, &c->tx), 0);
	o.role = FAX_RECEIVE;
	o.file = c->out;
	o.t38_user = c->lb;
	o.events = &accepting;
	cr_assert_eq(fax_endpoint_new(&o, &c->rx), 0);
}

static void call_close(struct call *c)
{
	fax_endpoint_free(c->tx);
	fax_endpoint_free(c->rx);
	line_free(c->la);
	line_free(c->lb);
}

Test(fax_engine, hang_up_mid_call_ends_both_and_keeps_no_empty_file)
{
	char dir[64], in[4096];
	struct call c;
	struct fax_result tx, rx;

	cr_assert_eq(str_copy(in, sizeof in, testdata(ONE_PAGE)), 0);
	make_temp_dir(dir);
	call_open(&c, dir, 0, false, in);
	/* 12 s: past phase B, in the middle of the first page. */
	for (int i = 0; i < 600; i++)
		cr_assert_eq(line_pump_step(c.tx, c.la, c.rx, c.lb), 0);
	cr_assert_not(fax_endpoint_done(c.tx));
	cr_expect_eq(fax_endpoint_result(c.tx, &tx), FGW_ERR_STATE);
	fax_endpoint_abort(c.tx);
	fax_endpoint_abort(c.rx);
	cr_assert(fax_endpoint_done(c.tx) && fax_endpoint_done(c.rx));
	cr_assert_eq(fax_endpoint_result(c.tx, &tx), 0);
	cr_assert_eq(fax_endpoint_result(c.rx, &rx), 0);
	bool left = access(c.out, F_OK) == 0;
	call_close(&c);
	remove_temp_dir(dir);
	cr_expect_eq(tx.err, FGW_ERR_FAX_FAILED, "sender: %s", tx.t30_text);
	cr_expect_eq(rx.err, FGW_ERR_FAX_FAILED, "receiver: %s", rx.t30_text);
	cr_expect_eq(rx.stats.pages_rx, 0);
	cr_expect_not(left, "an aborted call with no page left a file");
}

/* No globals: calls interleaved step by step in one thread do not
 * disturb each other. */
Test(fax_engine, four_calls_interleaved_in_one_process)
{
	char dir[64], in[4096], msg[256];
	struct call c[4];

	cr_assert_eq(str_copy(in, sizeof in, testdata(ONE_PAGE)), 0);
	make_temp_dir(dir);
	for (int i = 0; i < 4; i++)
		call_open(&c[i], dir, i, i % 2 == 1, in);
	for (int step = 0; step < 200 * 50; step++) {
		bool all_done = true;
		for (int i = 0; i < 4; i++) {
			cr_assert_eq(line_pump_step(c[i].tx, c[i].la, c[i].rx, c[i].lb), 0);
			all_done = all_done && fax_endpoint_done(c[i].tx) &&
				   fax_endpoint_done(c[i].rx);
		}
		if (all_done)
			break;
	}
	for (int i = 0; i < 4; i++) {
		struct fax_result r;
		cr_assert_eq(fax_endpoint_result(c[i].rx, &r), 0, "call %d did not end", i);
		cr_expect_eq(r.err, 0, "call %d: %s", i, r.t30_text);
		cr_expect_eq(tiff_compare(in, c[i].out, msg, sizeof msg), 0, "call %d: %s", i, msg);
		call_close(&c[i]);
	}
	remove_temp_dir(dir);
}

/* Random bytes as IFP packets: refused or ignored, never a crash (this
 * also runs under ASan+UBSan). */
Test(fax_engine, garbage_t38_packets_are_survived)
{
	char dir[64], out[128];
	struct fax_options o;
	struct fax_endpoint *rx;
	uint64_t x = 0x1234567;
	uint8_t pkt[300];
	int refused = 0;

	make_temp_dir(dir);
	cr_assert_eq(str_format(out, sizeof out, "%s/rx.tif", dir), 0);
	fax_options_init(&o);
	o.role = FAX_RECEIVE;
	o.transport = FAX_T38;
	o.file = out;
	o.events = &accepting;
	o.t38_out = line_pump_t38_out;
	struct line *la, *lb;
	struct line_loopback_options lo;
	line_loopback_options_init(&lo);
	cr_assert_eq(line_loopback_new(&lo, &la, &lb), 0);
	o.t38_user = lb;
	cr_assert_eq(fax_endpoint_new(&o, &rx), 0);
	for (int i = 0; i < 5000; i++) {
		size_t len = 1 + (size_t)(x % sizeof pkt);
		for (size_t k = 0; k < len; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			pkt[k] = (uint8_t)x;
		}
		refused += fax_endpoint_rx_t38(rx, pkt, len, (uint16_t)i) != 0;
		cr_assert_eq(fax_endpoint_advance(rx, 160), 0);
	}
	cr_expect_eq(fax_endpoint_rx_t38(rx, pkt, 0, 0), FGW_ERR_PARSE);
	cr_expect_eq(fax_endpoint_rx_audio(rx, (int16_t[1]){0}, 1), FGW_ERR_STATE);
	fax_endpoint_free(rx);
	line_free(la);
	line_free(lb);
	remove_temp_dir(dir);
	cr_expect_gt(refused, 0, "no random packet was refused");
}

Test(fax_engine, t38_survives_loss_duplicates_and_reordering)
{
	struct session_cfg c;
	struct session_out out;
	char msg[256];

	session_cfg_init(&c, testdata("itu/itutests_mmr.tif"));
	c.t38 = true;
	c.line.loss = 0.03;
	c.line.duplicate = 0.05;
	c.line.reorder = 0.05;
	c.line.seed = 1234;
	session_run(&c, &out);
	int diff = tiff_compare(c.file, out.out_path, msg, sizeof msg);
	session_cleanup(&out);
	cr_assert_eq(out.rx.err, 0, "receiver: %s", out.rx.t30_text);
	cr_expect_eq(out.tx.err, 0, "sender: %s", out.tx.t30_text);
	cr_expect_gt(out.sent_by_tx.duplicated, 0);
	cr_expect_gt(out.sent_by_tx.reordered, 0);
	cr_expect_eq(diff, 0, "%s", msg);
}

Test(fax_engine, audio_endpoint_refuses_t38_calls)
{
	struct fax_options o;
	struct fax_endpoint *ep;
	uint8_t pkt[4] = {0};

	fax_options_init(&o);
	o.file = testdata(ONE_PAGE);
	cr_assert_eq(fax_endpoint_new(&o, &ep), 0);
	cr_expect_eq(fax_endpoint_rx_t38(ep, pkt, sizeof pkt, 0), FGW_ERR_STATE);
	cr_expect_eq(fax_endpoint_advance(ep, 160), FGW_ERR_STATE);
	cr_expect_eq(fax_endpoint_role(ep), FAX_SEND);
	cr_expect_eq(fax_endpoint_transport(ep), FAX_AUDIO);
	cr_expect_str_eq(fax_endpoint_remote_ident(ep), "");
	fax_endpoint_free(ep);
}
