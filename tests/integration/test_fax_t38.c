/* Fax as T.38 terminals through the loopback line, real SpanDSP on both
 * ends, without loss and with 3% datagram loss (redundancy on, ECM on):
 * every page received must equal the page sent, pixel for pixel. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tiffio.h>

#include "common/err.h"
#include "common/str.h"

#include "tests/support/fax_harness.h"

#define ITU_PAGES 8

static void expect_identical(const char *rel, int pages, double loss)
{
	struct session_cfg c;
	struct session_out out;
	char msg[256];

	session_cfg_init(&c, testdata(rel));
	c.t38 = true;
	c.line.loss = loss;
	c.line.seed = 42;
	session_run(&c, &out);
	cr_assert_eq(out.pump_rc, 0, "call did not end within the time limit");
	cr_expect_eq(out.tx.err, 0, "sender: %s", out.tx.t30_text);
	cr_expect_eq(out.rx.err, 0, "receiver: %s", out.rx.t30_text);
	cr_expect_eq(out.rx.stats.pages_rx, pages);
	cr_expect_eq(out.rx_pages, pages, "page events");
	cr_expect(out.rx.stats.ecm);
	if (loss > 0)
		cr_expect_gt(out.sent_by_tx.lost + out.sent_by_rx.lost, 0, "nothing was lost");
	cr_log_info("%s, %.0f%% loss: %.0f s of line time", rel, loss * 100, out.line_seconds);
	int diff = tiff_compare(c.file, out.out_path, msg, sizeof msg);
	session_cleanup(&out);
	cr_assert_eq(diff, 0, "%s: %s", rel, msg);
}

Test(fax_t38, mh_clean) { expect_identical("itu/itutests_mh.tif", ITU_PAGES, 0); }
Test(fax_t38, mr_clean) { expect_identical("itu/itutests_mr.tif", ITU_PAGES, 0); }
Test(fax_t38, mmr_clean) { expect_identical("itu/itutests_mmr.tif", ITU_PAGES, 0); }
Test(fax_t38, asterisk_send_clean)
{
	expect_identical("tiff/asterisk-testsuite__send.tiff", 1, 0);
}
Test(fax_t38, asterisk_1page_clean)
{
	expect_identical("tiff/asterisk-testsuite__udptl_1page.tif", 1, 0);
}

Test(fax_t38, mh_loss3) { expect_identical("itu/itutests_mh.tif", ITU_PAGES, 0.03); }
Test(fax_t38, mr_loss3) { expect_identical("itu/itutests_mr.tif", ITU_PAGES, 0.03); }
Test(fax_t38, mmr_loss3) { expect_identical("itu/itutests_mmr.tif", ITU_PAGES, 0.03); }
Test(fax_t38, asterisk_send_loss3)
{
	expect_identical("tiff/asterisk-testsuite__send.tiff", 1, 0.03);
}
Test(fax_t38, asterisk_1page_loss3)
{
	expect_identical("tiff/asterisk-testsuite__udptl_1page.tif", 1, 0.03);
}

/* The loss knob does what it says, so the 3% tests really lose packets. */
Test(fax_t38, loopback_drops_about_the_asked_share)
{
	struct line_loopback_options o;
	struct line *a, *b;
	struct line_loopback_stats st;
	uint8_t pkt[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	line_loopback_options_init(&o);
	o.loss = 0.03;
	o.seed = 9;
	cr_assert_eq(line_loopback_new(&o, &a, &b), 0);
	for (int i = 0; i < 10000; i++) {
		uint8_t buf[16];
		size_t len;
		uint16_t seq;
		cr_assert_eq(line_send_t38(a, pkt, sizeof pkt, (uint16_t)i, 1), 0);
		while (line_recv_t38(b, buf, sizeof buf, &len, &seq) == 1)
			cr_assert_eq(seq, (uint16_t)i);
	}
	cr_assert_eq(line_loopback_stats(a, &st), 0);
	line_free(a);
	line_free(b);
	cr_expect_eq(st.datagrams, 10000);
	cr_expect(st.lost > 200 && st.lost < 400, "lost %llu of 10000",
		  (unsigned long long)st.lost);
}
