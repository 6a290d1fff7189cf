/* faxgw line-test: options, exit codes and what it prints. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tiffio.h>

#include "common/err.h"
#include "common/str.h"
#include <criterion/redirect.h>

#include "gateway/commands.h"
#include "tests/support/fax_harness.h"

#define ONE_PAGE "tiff/asterisk-testsuite__udptl_1page.tif"
#define ARGC(v) ((int)(sizeof(v) / sizeof((v)[0])) - 1)

/* Reads what the command printed so far (stdout is redirected). */
static void captured(char *buf, size_t size)
{
	fflush(stdout);
	FILE *f = cr_get_redirected_stdout();
	cr_assert_not_null(f);
	size_t n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
}

static void quiet(void)
{
	cr_redirect_stdout();
	cr_redirect_stderr();
}

Test(line_test_cli, help_exits_zero, .init = quiet)
{
	char *argv[] = {"line-test", "--help", NULL};

	cr_expect_eq(cmd_line_test(ARGC(argv), argv), 0);
}

Test(line_test_cli, missing_out_is_usage_error, .init = quiet)
{
	char *argv[] = {"line-test", "--send", "x.tif", NULL};

	cr_expect_eq(cmd_line_test(ARGC(argv), argv), 2);
}

Test(line_test_cli, bad_modem_is_usage_error, .init = quiet)
{
	char *argv[] = {"line-test", "--send", "x.tif", "--out", "y.tif", "--modem", "v34", NULL};

	cr_expect_eq(cmd_line_test(ARGC(argv), argv), 2);
}

Test(line_test_cli, loss_without_t38_is_usage_error, .init = quiet)
{
	char *argv[] = {"line-test", "--send", "x.tif", "--out", "y.tif", "--loss", "3", NULL};

	cr_expect_eq(cmd_line_test(ARGC(argv), argv), 2);
}

Test(line_test_cli, missing_input_fails, .init = quiet)
{
	char dir[64], out[128];

	make_temp_dir(dir);
	cr_assert_eq(str_format(out, sizeof out, "%s/rx.tif", dir), 0);
	char *argv[] = {"line-test", "--send", "/nonexistent/in.tif", "--out", out, NULL};
	int rc = cmd_line_test(ARGC(argv), argv);
	bool left = access(out, F_OK) == 0;
	remove_temp_dir(dir);
	cr_expect_eq(rc, 1);
	cr_expect_not(left);
}

Test(line_test_cli, non_tiff_input_fails, .init = quiet)
{
	char dir[64], in[128], out[128];

	make_temp_dir(dir);
	cr_assert_eq(str_format(in, sizeof in, "%s/in.tif", dir), 0);
	cr_assert_eq(str_format(out, sizeof out, "%s/rx.tif", dir), 0);
	FILE *f = fopen(in, "w");
	cr_assert_not_null(f);
	cr_assert_gt(fputs("%PDF-1.4 not a tiff\n", f), 0);
	cr_assert_eq(fclose(f), 0);
	char *argv[] = {"line-test", "--send", in, "--out", out, NULL};
	int rc = cmd_line_test(ARGC(argv), argv);
	remove_temp_dir(dir);
	cr_expect_eq(rc, 1);
}

static int run_cli(char *extra1, char *extra2, char *extra3, char *out_text, size_t size,
		   bool precreate)
{
	char dir[64], out[128], msg[256], in[4096];

	cr_assert_eq(str_copy(in, sizeof in, testdata(ONE_PAGE)), 0);
	make_temp_dir(dir);
	cr_assert_eq(str_format(out, sizeof out, "%s/rx.tif", dir), 0);
	if (precreate) {
		FILE *f = fopen(out, "w");
		cr_assert_not_null(f);
		cr_assert_eq(fclose(f), 0);
	}
	char *argv[] = {"line-test", "--send", in, "--out", out, extra1, extra2, extra3, NULL};
	int argc = 5;
	while (argc < 8 && argv[argc] != NULL)
		argc++;
	int rc = cmd_line_test(argc, argv);
	captured(out_text, size);
	if (rc == 0)
		cr_expect_eq(tiff_compare(in, out, msg, sizeof msg), 0, "%s", msg);
	remove_temp_dir(dir);
	return rc;
}

Test(line_test_cli, audio_with_fcode_prints_what_arrived, .init = quiet)
{
	static char text[16384];

	cr_assert_eq(run_cli("--sub=0123", "--sid=4567", "--law=alaw", text, sizeof text,
			     false), 0);
	cr_expect_not_null(strstr(text, "SUB \"0123\""), "%s", text);
	cr_expect_not_null(strstr(text, "SID \"4567\""), "%s", text);
	cr_expect_not_null(strstr(text, "page 1: 1728x2156"), "%s", text);
	cr_expect_not_null(strstr(text, "14400 bit/s, ECM on"), "%s", text);
	cr_expect_not_null(strstr(text, "result: OK"), "%s", text);
}

Test(line_test_cli, t38_with_loss_over_v29, .init = quiet)
{
	static char text[16384];

	cr_assert_eq(run_cli("--t38", "--loss=3", "--modem=v29", text, sizeof text, false), 0);
	cr_expect_not_null(strstr(text, "line: T.38, 3.0% datagram loss"), "%s", text);
	cr_expect_not_null(strstr(text, "9600 bit/s"), "%s", text);
}

Test(line_test_cli, noisy_line_gets_line_loss, .init = quiet)
{
	static char text[16384];

	cr_assert_eq(run_cli("--snr=30", "--ecm=off", NULL, text, sizeof text, false), 0);
	cr_expect_not_null(strstr(text, "10.0 dB loss, SNR 30.0 dB"), "%s", text);
	cr_expect_not_null(strstr(text, "ECM off"), "%s", text);
}

Test(line_test_cli, refuses_to_overwrite_without_force, .init = quiet)
{
	static char text[16384];

	cr_expect_eq(run_cli(NULL, NULL, NULL, text, sizeof text, true), 1);
	cr_expect_eq(run_cli("--force", NULL, NULL, text, sizeof text, true), 0);
}

/* An 8-bit grey LZW TIFF, 400x300 at 100 dpi: what a scanner might give. */
static void write_grey_tiff(const char *path)
{
	TIFF *t = TIFFOpen(path, "w");
	uint8_t row[400];

	cr_assert_not_null(t);
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 400);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, 300);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
	TIFFSetField(t, TIFFTAG_XRESOLUTION, 100.0);
	TIFFSetField(t, TIFFTAG_YRESOLUTION, 100.0);
	TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 300);
	for (uint32_t y = 0; y < 300; y++) {
		for (uint32_t x = 0; x < 400; x++)
			row[x] = x < 200 ? 0 : 255;
		cr_assert_eq(TIFFWriteScanline(t, row, y, 0), 1);
	}
	TIFFClose(t);
}

Test(line_test_cli, grey_lzw_input_is_converted_and_sent, .init = quiet)
{
	char dir[64], in[128], out[128], text[4096];

	make_temp_dir(dir);
	cr_assert_eq(str_format(in, sizeof in, "%s/grey.tif", dir), 0);
	cr_assert_eq(str_format(out, sizeof out, "%s/rx.tif", dir), 0);
	write_grey_tiff(in);
	char *argv[] = {"line-test", "--send", in, "--out", out, NULL};
	int rc = cmd_line_test(ARGC(argv), argv);
	int pages = tiff_pages(out);
	uint32_t width = 0;
	TIFF *t = TIFFOpen(out, "r");
	if (t) {
		TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &width);
		TIFFClose(t);
	}
	remove_temp_dir(dir);
	captured(text, sizeof text);
	cr_expect_eq(rc, 0);
	cr_expect_eq(pages, 1);
	cr_expect_eq(width, 1728);
	cr_expect(strstr(text, "converted for faxing: ") != NULL, "%s", text);
	cr_expect(strstr(text, "BitsPerSample is 8") != NULL, "%s", text);
}
