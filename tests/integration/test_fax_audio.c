/* Fax over audio through the loopback line, real SpanDSP on both ends:
 * every page received must equal the page sent, pixel for pixel. A covering
 * set of modem / ECM / G.711 / noise combinations, not the full product. */
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

static void expect_identical(const struct session_cfg *c, int pages)
{
	struct session_out out;
	char msg[256];

	session_run(c, &out);
	cr_assert_eq(out.pump_rc, 0, "call did not end within the time limit");
	cr_assert(out.tx_done && out.rx_done);
	cr_expect_eq(out.tx.err, 0, "sender: %s", out.tx.t30_text);
	cr_expect_eq(out.rx.err, 0, "receiver: %s", out.rx.t30_text);
	cr_expect_eq(out.rx.stats.pages_rx, pages);
	cr_expect_eq(out.tx.stats.pages_tx, pages);
	cr_expect_eq(out.rx_pages, pages, "page events");
	cr_expect_eq(out.tx_pages, pages, "sender page events");
	cr_expect_eq(out.tx.stats.ecm, !c->ecm_off);
	cr_log_info("%s: %.0f s of line time", c->file, out.line_seconds);
	int diff = tiff_compare(c->file, out.out_path, msg, sizeof msg);
	session_cleanup(&out);
	cr_assert_eq(diff, 0, "%s: %s", c->file, msg);
}

static void ulaw_v17(struct session_cfg *c, const char *file)
{
	session_cfg_init(c, file);
	c->line.companding = true;
	c->line.law = DSP_G711_ULAW;
}

Test(fax_audio, mh_v17_ecm_ulaw)
{
	struct session_cfg c;

	ulaw_v17(&c, testdata("itu/itutests_mh.tif"));
	expect_identical(&c, ITU_PAGES);
}

Test(fax_audio, mr_v17_ecm_ulaw)
{
	struct session_cfg c;

	ulaw_v17(&c, testdata("itu/itutests_mr.tif"));
	expect_identical(&c, ITU_PAGES);
}

Test(fax_audio, mmr_v17_ecm_ulaw)
{
	struct session_cfg c;

	ulaw_v17(&c, testdata("itu/itutests_mmr.tif"));
	expect_identical(&c, ITU_PAGES);
}

Test(fax_audio, asterisk_send_v17_ecm_ulaw)
{
	struct session_cfg c;

	ulaw_v17(&c, testdata("tiff/asterisk-testsuite__send.tiff"));
	expect_identical(&c, 1);
}

Test(fax_audio, asterisk_1page_v17_ecm_ulaw)
{
	struct session_cfg c;

	ulaw_v17(&c, testdata("tiff/asterisk-testsuite__udptl_1page.tif"));
	expect_identical(&c, 1);
}

Test(fax_audio, mh_v29_no_ecm_alaw)
{
	struct session_cfg c;

	session_cfg_init(&c, testdata("itu/itutests_mh.tif"));
	c.modems = FAX_MODEM_V29 | FAX_MODEM_V27TER;
	c.ecm_off = true;
	c.line.companding = true;
	c.line.law = DSP_G711_ALAW;
	expect_identical(&c, ITU_PAGES);
}

Test(fax_audio, mr_v27ter_ecm_alaw)
{
	struct session_cfg c;

	session_cfg_init(&c, testdata("itu/itutests_mr.tif"));
	c.modems = FAX_MODEM_V27TER;
	c.line.companding = true;
	c.line.law = DSP_G711_ALAW;
	c.max_seconds = 3600;
	expect_identical(&c, ITU_PAGES);
}

Test(fax_audio, mmr_v17_ecm_ulaw_snr30)
{
	struct session_cfg c;

	ulaw_v17(&c, testdata("itu/itutests_mmr.tif"));
	/* 10 dB of line loss keeps the noise (-54 dBm0) below SpanDSP's
	 * carrier detectors; see gateway/line.h. */
	c.line.attenuation_db = 10;
	c.line.noise = true;
	c.line.snr_db = 30;
	c.line.seed = 7;
	expect_identical(&c, ITU_PAGES);
}

Test(fax_audio, reports_rate_and_page_details)
{
	struct session_cfg c;
	struct session_out out;

	ulaw_v17(&c, testdata("tiff/asterisk-testsuite__udptl_1page.tif"));
	session_run(&c, &out);
	session_cleanup(&out);
	cr_assert_eq(out.rx.err, 0);
	cr_expect_eq(out.rx.stats.bit_rate, 14400);
	cr_expect_eq(out.tx.stats.bit_rate, 14400);
	cr_expect_str_eq(out.rx.remote_ident, "+81 3 1111 2222");
	cr_expect_str_eq(out.tx.remote_ident, "+81 6 3333 4444");
	cr_expect_str_eq(out.tx_info.remote_ident, "+81 6 3333 4444");
	cr_expect_eq(out.rx_done_events, 1);
	cr_expect_eq(out.tx_done_events, 1);
	cr_assert_eq(out.rx_pages, 1);
	cr_expect_eq(out.rx_page[0].number, 1);
	cr_expect_eq(out.rx_page[0].width, 1728);
	cr_expect_eq(out.rx_page[0].length, 2156);
	cr_expect_eq(out.rx_page[0].x_resolution, 8031);
	cr_expect_eq(out.rx_page[0].y_resolution, 7700);
	cr_expect_eq(out.rx_page[0].bad_rows, 0);
	cr_expect_gt(out.rx_page[0].image_size, 0);
	cr_expect_not_null(out.rx_page[0].encoding);
	cr_expect_str_eq(out.rx.t30_text, "OK");
}

/* ---- the comparison itself must be able to fail --------------------- */

static void write_page(const char *path, int flip_row, int flip_col)
{
	TIFF *t = TIFFOpen(path, "w");
	uint8_t row[1728 / 8];

	cr_assert_not_null(t);
	cr_assert(TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 1728) == 1 &&
		  TIFFSetField(t, TIFFTAG_IMAGELENGTH, 64) == 1 &&
		  TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1) == 1 &&
		  TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1) == 1 &&
		  TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4) == 1 &&
		  TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE) == 1 &&
		  TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 64) == 1);
	for (int r = 0; r < 64; r++) {
		memset(row, r % 8 == 0 ? 0xF0 : 0x00, sizeof row);
		if (r == flip_row)
			row[flip_col / 8] ^= (uint8_t)(0x80 >> (flip_col % 8));
		cr_assert_eq(TIFFWriteScanline(t, row, (uint32_t)r, 0), 1);
	}
	TIFFClose(t);
}

Test(fax_harness, tiff_compare_finds_one_pixel)
{
	char dir[64], a[128], b[128], c[128], msg[256];

	make_temp_dir(dir);
	cr_assert_eq(str_format(a, sizeof a, "%s/a.tif", dir), 0);
	cr_assert_eq(str_format(b, sizeof b, "%s/b.tif", dir), 0);
	cr_assert_eq(str_format(c, sizeof c, "%s/c.tif", dir), 0);
	write_page(a, -1, 0);
	write_page(b, -1, 0);
	write_page(c, 37, 1000);
	int same = tiff_compare(a, b, msg, sizeof msg);
	int differ_rc = tiff_compare(a, c, msg, sizeof msg);
	remove_temp_dir(dir);
	cr_expect_eq(same, 0);
	cr_expect_eq(differ_rc, -1);
	cr_expect_str_eq(msg, "page 1 row 37 differs");
}

Test(fax_harness, tiff_compare_finds_page_count)
{
	char msg[256], mh[4096];

	cr_assert_eq(str_copy(mh, sizeof mh, testdata("itu/itutests_mh.tif")), 0);
	cr_expect_eq(tiff_compare(mh, testdata("tiff/asterisk-testsuite__send.tiff"),
				  msg, sizeof msg), -1);
	cr_expect_str_eq(msg, "8 pages vs 1");
	cr_expect_eq(tiff_pages(testdata("itu/itutests_mh.tif")), 8);
}
