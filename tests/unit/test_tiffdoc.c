/* dsp/tiffdoc: fax-readiness check, conversion of real-world TIFFs, and
 * clean refusals with the page and field named. Inputs are the shared
 * test data and TIFFs generated here under a mkdtemp folder. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tiffio.h>

#include "common/err.h"
#include "common/str.h"
#include "dsp/tiffdoc.h"

static char tmpdir[PATH_MAX];

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	cr_assert_eq(str_copy(tmpdir, sizeof tmpdir, "/tmp/faxgw-tiffdoc-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
	cr_assert_eq(nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
}

TestSuite(tiffdoc, .init = setup, .fini = teardown);

static void path_in_tmp(char *buf, size_t size, const char *name)
{
	cr_assert_eq(str_format(buf, size, "%s/%s", tmpdir, name), 0);
}

static void testdata_path(char *buf, size_t size, const char *rel)
{
	const char *dir = getenv("FAXGW_TESTDATA");

	cr_assert_not_null(dir, "FAXGW_TESTDATA is not set");
	cr_assert_eq(str_format(buf, size, "%s/%s", dir, rel), 0);
	cr_assert_eq(access(buf, R_OK), 0, "test data missing: %s", buf);
}

/* What a generated page looks like. pixel() returns the sample value of
 * sample s at (x, y). */
struct gen {
	uint32_t w, h;
	uint16_t bps, spp, photometric, compression;
	float xres, yres;           /* 0: no resolution tags */
	unsigned pages;
	bool tiled;
	unsigned (*pixel)(uint32_t x, uint32_t y, unsigned s);
	void (*extra)(TIFF *t);      /* more fields, or NULL */
};

static void set_gen_fields(TIFF *t, const struct gen *g, unsigned page)
{
	cr_assert(TIFFSetField(t, TIFFTAG_IMAGEWIDTH, g->w));
	cr_assert(TIFFSetField(t, TIFFTAG_IMAGELENGTH, g->h));
	cr_assert(TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, g->bps));
	cr_assert(TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, g->spp));
	cr_assert(TIFFSetField(t, TIFFTAG_PHOTOMETRIC, g->photometric));
	cr_assert(TIFFSetField(t, TIFFTAG_COMPRESSION, g->compression));
	cr_assert(TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG));
	cr_assert(TIFFSetField(t, TIFFTAG_PAGENUMBER, page, g->pages));
	if (g->xres > 0) {
		cr_assert(TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH));
		cr_assert(TIFFSetField(t, TIFFTAG_XRESOLUTION, g->xres));
		cr_assert(TIFFSetField(t, TIFFTAG_YRESOLUTION, g->yres));
	}
	if (g->tiled) {
		cr_assert(TIFFSetField(t, TIFFTAG_TILEWIDTH, 16));
		cr_assert(TIFFSetField(t, TIFFTAG_TILELENGTH, 16));
	} else {
		cr_assert(TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 64));
	}
	if (g->extra != NULL)
		g->extra(t);
}

static void pack_row(const struct gen *g, uint32_t y, uint8_t *row, size_t size)
{
	memset(row, 0, size);
	for (uint32_t x = 0; x < g->w; x++)
		for (unsigned s = 0; s < g->spp; s++) {
			unsigned v = g->pixel(x, y, s);
			size_t i = (size_t)x * g->spp + s;
			if (g->bps == 1)
				row[i >> 3] |= (uint8_t)((v & 1) << (7 - (i & 7)));
			else if (g->bps == 8)
				row[i] = (uint8_t)v;
			else
				((uint16_t *)(void *)row)[i] = (uint16_t)v;
		}
}

static void write_tiled(TIFF *t, const struct gen *g)
{
	tmsize_t size = TIFFTileSize(t);
	uint8_t *tile = calloc(1, (size_t)size);

	cr_assert_not_null(tile);
	for (uint32_t y = 0; y < g->h; y += 16)
		for (uint32_t x = 0; x < g->w; x += 16)
			cr_assert(TIFFWriteTile(t, tile, x, y, 0, 0) >= 0);
	free(tile);
}

static void write_gen(const char *path, const struct gen *g)
{
	TIFF *t = TIFFOpen(path, "w");
	size_t size = ((size_t)g->w * g->spp * g->bps + 7) / 8;
	uint8_t *row = malloc(size);

	cr_assert_not_null(t);
	cr_assert_not_null(row);
	for (unsigned p = 0; p < g->pages; p++) {
		set_gen_fields(t, g, p);
		if (g->tiled) {
			write_tiled(t, g);
		} else {
			for (uint32_t y = 0; y < g->h; y++) {
				pack_row(g, y, row, size);
				cr_assert(TIFFWriteScanline(t, row, y, 0) >= 0);
			}
		}
		cr_assert(TIFFWriteDirectory(t));
	}
	free(row);
	TIFFClose(t);
}

/* A bilevel page: 1 = black for min-is-white; a frame and a diagonal. */
static unsigned bilevel_pattern(uint32_t x, uint32_t y, unsigned s)
{
	(void)s;
	return x < 8 || y < 8 || x % 97 == y % 97 || (x / 40 + y / 40) % 7 == 0;
}

static unsigned grey_ramp(uint32_t x, uint32_t y, unsigned s)
{
	(void)s;
	(void)y;
	return x < 500 ? 20 : 235;  /* dark left half, light right half */
}

static unsigned grey_100(uint32_t x, uint32_t y, unsigned s)
{
	(void)x;
	(void)y;
	(void)s;
	return 100;
}

/* Red square on white: red is dark enough (luma 76) to become black. */
static unsigned red_on_white(uint32_t x, uint32_t y, unsigned s)
{
	bool in = x >= 100 && x < 300 && y >= 100 && y < 300;
	return in && s != 0 ? 0 : 255;
}

static unsigned zero(uint32_t x, uint32_t y, unsigned s)
{
	(void)x;
	(void)y;
	(void)s;
	return 0;
}

/* Counts black pels (and rows) of a page via tiffdoc_read_rows. */
struct tally {
	uint32_t rows;
	uint64_t black;
	uint64_t black_left;        /* within the first 100 columns */
	uint64_t hash;              /* FNV-1a over the thresholded pels */
};

static int tally_row(void *arg, uint32_t row, const uint8_t *lum, uint32_t w)
{
	struct tally *t = arg;

	(void)row;
	t->rows++;
	for (uint32_t x = 0; x < w; x++) {
		bool black = lum[x] < 128;
		t->black += black;
		t->black_left += black && x < 100;
		t->hash = (t->hash ^ black) * 1099511628211ull;
	}
	return 0;
}

static struct tally tally_page(struct tiffdoc *d, unsigned page)
{
	struct tally t = { 0, 0, 0, 1469598103934665603ull };
	char msg[512];

	cr_assert_eq(tiffdoc_read_rows(d, page, tally_row, &t, msg, sizeof msg),
		     0, "%s", msg);
	return t;
}

static struct tiffdoc *open_ok(const char *path)
{
	struct tiffdoc *d = NULL;
	char msg[512];

	cr_assert_eq(tiffdoc_open_file(path, NULL, &d, msg, sizeof msg), 0,
		     "%s", msg);
	return d;
}

/* Converts in_path to <tmp>/out.tif, checks the result is fax-ready with
 * pages pages, and returns it opened. */
static struct tiffdoc *convert_ok(const char *in_path, unsigned pages,
				  const struct tiffdoc_options *opt)
{
	char out_path[PATH_MAX], msg[512];
	struct tiffdoc *in = open_ok(in_path), *out;
	bool ready = false;
	int fd;

	path_in_tmp(out_path, sizeof out_path, "out.tif");
	fd = open(out_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(tiffdoc_convert(in, fd, opt, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(close(fd), 0);
	tiffdoc_close(in);
	out = open_ok(out_path);
	cr_assert_eq(tiffdoc_check(out, &ready, msg, sizeof msg), 0, "%s", msg);
	cr_assert(ready, "converted file not fax-ready: %s", msg);
	cr_assert_eq(tiffdoc_pages(out), pages);
	for (unsigned i = 0; i < pages; i++) {
		struct tiffdoc_page_info info;
		cr_assert_eq(tiffdoc_page_info(out, i, &info, msg, sizeof msg), 0);
		cr_assert_eq(info.width, TIFFDOC_FAX_WIDTH);
		cr_assert_float_eq(info.xres, 204.0, 0.5);
		cr_assert_float_eq(info.yres, 196.0, 0.5);
	}
	return out;
}

static void expect_open_error(const char *path, int code, const char *part)
{
	struct tiffdoc *d = NULL;
	char msg[512] = "";

	cr_assert_eq(tiffdoc_open_file(path, "upload.tif", &d, msg, sizeof msg),
		     code, "got: %s", msg);
	cr_assert_null(d);
	cr_assert_not_null(strstr(msg, "upload.tif: "), "msg: %s", msg);
	cr_assert_not_null(strstr(msg, part), "msg: %s", msg);
}

/* Opens path fine, then check fails with code and a message holding part. */
static void expect_check_error(const char *path, int code, const char *part)
{
	struct tiffdoc *d = open_ok(path);
	char msg[512] = "";
	bool ready = true;

	cr_assert_eq(tiffdoc_check(d, &ready, msg, sizeof msg), code,
		     "got: %s", msg);
	cr_assert_not_null(strstr(msg, part), "msg: %s", msg);
	tiffdoc_close(d);
}

static void expect_fax_ready(const char *rel, unsigned pages)
{
	char path[PATH_MAX], msg[512];
	struct tiffdoc *d;
	bool ready = false;

	testdata_path(path, sizeof path, rel);
	d = open_ok(path);
	cr_assert_eq(tiffdoc_pages(d), pages);
	cr_assert_eq(tiffdoc_check(d, &ready, msg, sizeof msg), 0, "%s", msg);
	cr_assert(ready, "%s: %s", rel, msg);
	tiffdoc_close(d);
}

Test(tiffdoc, itu_test_charts_in_mh_mr_mmr_are_fax_ready)
{
	expect_fax_ready("itu/itutests_mh.tif", 8);
	expect_fax_ready("itu/itutests_mr.tif", 8);
	expect_fax_ready("itu/itutests_mmr.tif", 8);
}

Test(tiffdoc, ghostscript_fax_server_files_are_fax_ready)
{
	expect_fax_ready("tiff/asterisk-testsuite__send.tiff", 1);
	expect_fax_ready("tiff/asterisk-testsuite__udptl_1page.tif", 1);
}

Test(tiffdoc, page_info_reports_the_fields)
{
	char path[PATH_MAX], msg[512];
	struct tiffdoc_page_info info;
	struct tiffdoc *d;

	testdata_path(path, sizeof path, "itu/itutests_mr.tif");
	d = open_ok(path);
	cr_assert_eq(tiffdoc_page_info(d, 7, &info, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(info.width, 1728);
	cr_assert_eq(info.length, 2376);
	cr_assert_float_eq(info.xres, 204.0, 0.01);
	cr_assert_float_eq(info.yres, 196.0, 0.01);
	cr_assert_eq(info.compression, COMPRESSION_CCITTFAX3);
	cr_assert_eq(info.photometric, PHOTOMETRIC_MINISWHITE);
	cr_assert_eq(info.bits_per_sample, 1);
	cr_assert(info.fax_ready);
	cr_assert_str_empty(info.reason);
	cr_assert_eq(tiffdoc_page_info(d, 8, &info, msg, sizeof msg),
		     FGW_ERR_INVALID);
	tiffdoc_close(d);
}

Test(tiffdoc, fax_ready_file_converts_pixel_for_pixel)
{
	char path[PATH_MAX];
	struct tiffdoc *in, *out;
	struct tiffdoc_options g3 = { TIFFDOC_G3_2D, false };
	struct tiffdoc_page_info info;
	char msg[512];

	testdata_path(path, sizeof path, "itu/itutests_mmr.tif");
	in = open_ok(path);
	out = convert_ok(path, 8, &g3);
	for (unsigned p = 0; p < 8; p += 3) {
		struct tally a = tally_page(in, p), b = tally_page(out, p);
		cr_assert_eq(a.rows, b.rows, "page %u", p + 1);
		cr_assert_eq(a.hash, b.hash, "page %u differs", p + 1);
	}
	cr_assert_eq(tiffdoc_page_info(out, 0, &info, msg, sizeof msg), 0);
	cr_assert_eq(info.compression, COMPRESSION_CCITTFAX3);
	tiffdoc_close(in);
	tiffdoc_close(out);
}

Test(tiffdoc, lzw_bilevel_is_not_ready_and_converts_exactly)
{
	struct gen g = { 1728, 300, 1, 1, PHOTOMETRIC_MINISWHITE,
			 COMPRESSION_LZW, 204, 196, 2, false, bilevel_pattern, NULL };
	char path[PATH_MAX], msg[512];
	struct tiffdoc *in, *out;
	bool ready = true;

	path_in_tmp(path, sizeof path, "lzw.tif");
	write_gen(path, &g);
	in = open_ok(path);
	cr_assert_eq(tiffdoc_check(in, &ready, msg, sizeof msg), 0, "%s", msg);
	cr_assert_not(ready);
	cr_assert_not_null(strstr(msg, "page 1: Compression"), "msg: %s", msg);
	out = convert_ok(path, 2, NULL);
	for (unsigned p = 0; p < 2; p++) {
		struct tally a = tally_page(in, p), b = tally_page(out, p);
		cr_assert_eq(b.rows, 300);
		cr_assert_gt(a.black, 0);
		cr_assert_eq(a.hash, b.hash, "page %u differs", p + 1);
	}
	tiffdoc_close(in);
	tiffdoc_close(out);
}

Test(tiffdoc, grey_without_resolution_is_fitted_to_the_width)
{
	struct gen g = { 1000, 800, 8, 1, PHOTOMETRIC_MINISBLACK,
			 COMPRESSION_NONE, 0, 0, 1, false, grey_ramp, NULL };
	char path[PATH_MAX];
	struct tiffdoc *out;
	struct tally t;

	path_in_tmp(path, sizeof path, "grey.tif");
	write_gen(path, &g);
	out = convert_ok(path, 1, NULL);
	t = tally_page(out, 0);
	/* 800 rows * 1.728 * 196/204 */
	cr_assert_eq(t.rows, 1328);
	/* dark half black, light half white: 864 of 1728 columns per row */
	cr_assert_eq(t.black, (uint64_t)864 * 1328);
	tiffdoc_close(out);
}

Test(tiffdoc, rgb_at_100dpi_keeps_its_size_and_is_centred)
{
	struct gen g = { 600, 400, 8, 3, PHOTOMETRIC_RGB, COMPRESSION_LZW,
			 100, 100, 1, false, red_on_white, NULL };
	char path[PATH_MAX];
	struct tiffdoc *out;
	struct tally t;

	path_in_tmp(path, sizeof path, "rgb.tif");
	write_gen(path, &g);
	out = convert_ok(path, 1, NULL);
	t = tally_page(out, 0);
	cr_assert_eq(t.rows, 784);  /* 400 rows at 100 dpi -> 196 dpi */
	/* 200x200 source pels -> 408x392 fax pels, give or take an edge */
	cr_assert_float_eq((double)t.black, 408.0 * 392, 408.0 * 392 * 0.02);
	cr_assert_eq(t.black_left, 0, "left margin (padding) must be white");
	tiffdoc_close(out);
}

/* JPEG-in-TIFF as cameras and scanners write it: YCbCr, fed as RGB. */
static void jpeg_fields(TIFF *t)
{
	cr_assert(TIFFSetField(t, TIFFTAG_JPEGQUALITY, 90));
	cr_assert(TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB));
}

Test(tiffdoc, jpeg_colour_is_converted)
{
	struct gen g = { 608, 400, 8, 3, PHOTOMETRIC_YCBCR, COMPRESSION_JPEG,
			 100, 100, 1, false, red_on_white, jpeg_fields };
	char path[PATH_MAX];
	struct tiffdoc *out;
	struct tally t;

	path_in_tmp(path, sizeof path, "jpeg.tif");
	write_gen(path, &g);
	out = convert_ok(path, 1, NULL);
	t = tally_page(out, 0);
	cr_assert_eq(t.rows, 784);
	cr_assert_float_eq((double)t.black, 408.0 * 392, 408.0 * 392 * 0.03);
	tiffdoc_close(out);
}

/* A 4-entry palette: index 1 is dark blue, the rest light. */
static void palette_fields(TIFF *t)
{
	static uint16_t r[256], g[256], b[256];

	for (int i = 0; i < 256; i++)
		r[i] = g[i] = b[i] = 0xF000;
	r[1] = g[1] = 0x1000;
	b[1] = 0x8000;
	cr_assert(TIFFSetField(t, TIFFTAG_COLORMAP, r, g, b));
}

static unsigned stripes(uint32_t x, uint32_t y, unsigned s)
{
	(void)y;
	(void)s;
	return x < 864 ? 1 : 2;
}

Test(tiffdoc, palette_colour_is_converted)
{
	struct gen g = { 1728, 50, 8, 1, PHOTOMETRIC_PALETTE, COMPRESSION_LZW,
			 204, 196, 1, false, stripes, palette_fields };
	char path[PATH_MAX];
	struct tiffdoc *out;
	struct tally t;

	path_in_tmp(path, sizeof path, "palette.tif");
	write_gen(path, &g);
	out = convert_ok(path, 1, NULL);
	t = tally_page(out, 0);
	cr_assert_eq(t.black, (uint64_t)864 * 50);
	tiffdoc_close(out);
}

Test(tiffdoc, a4_scan_at_300dpi_becomes_1728_wide)
{
	struct gen g = { 2480, 3508, 1, 1, PHOTOMETRIC_MINISWHITE,
			 COMPRESSION_PACKBITS, 300, 300, 1, false,
			 bilevel_pattern, NULL };
	char path[PATH_MAX];
	struct tiffdoc *out;
	struct tally t;

	path_in_tmp(path, sizeof path, "a4.tif");
	write_gen(path, &g);
	out = convert_ok(path, 1, NULL);
	t = tally_page(out, 0);
	cr_assert_eq(t.rows, 2292);  /* 3508 * 196 / 300 */
	cr_assert_gt(t.black, 0);
	tiffdoc_close(out);
}

Test(tiffdoc, dither_option_renders_mid_grey_as_a_pattern)
{
	struct gen g = { 1728, 100, 8, 1, PHOTOMETRIC_MINISBLACK,
			 COMPRESSION_NONE, 204, 196, 1, false, grey_100, NULL };
	struct tiffdoc_options dither = { TIFFDOC_G4, true };
	char path[PATH_MAX];
	struct tiffdoc *out;
	struct tally t;

	path_in_tmp(path, sizeof path, "grey100.tif");
	write_gen(path, &g);
	out = convert_ok(path, 1, NULL);
	t = tally_page(out, 0);
	cr_assert_eq(t.black, (uint64_t)1728 * 100, "threshold: all black");
	tiffdoc_close(out);
	out = convert_ok(path, 1, &dither);
	t = tally_page(out, 0);
	/* grey 100 of 255: about 61% of the pels black */
	cr_assert_float_eq((double)t.black / (1728.0 * 100), 0.62, 0.04);
	tiffdoc_close(out);
}

Test(tiffdoc, memory_input_reads_like_the_file)
{
	char path[PATH_MAX], msg[512];
	struct tiffdoc *d = NULL;
	uint8_t *buf;
	FILE *f;
	long n;
	bool ready = false;

	testdata_path(path, sizeof path, "tiff/asterisk-testsuite__send.tiff");
	f = fopen(path, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	cr_assert_gt(n, 0);
	rewind(f);
	buf = malloc((size_t)n);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(tiffdoc_open_mem(buf, (size_t)n, "send.tiff", &d, msg,
				      sizeof msg), 0, "%s", msg);
	cr_assert_eq(tiffdoc_check(d, &ready, msg, sizeof msg), 0, "%s", msg);
	cr_assert(ready);
	tiffdoc_close(d);
	/* the same bytes cut at 60%: the directory survives, the data not */
	cr_assert_eq(tiffdoc_open_mem(buf, (size_t)n * 6 / 10, "cut.tiff", &d,
				      msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(tiffdoc_check(d, &ready, msg, sizeof msg), FGW_ERR_TIFF);
	cr_assert_not_null(strstr(msg, "cut.tiff: page 1: row "), "msg: %s", msg);
	tiffdoc_close(d);
	free(buf);
}

Test(tiffdoc, truncated_file_is_rejected)
{
	struct gen g = { 800, 600, 8, 1, PHOTOMETRIC_MINISBLACK,
			 COMPRESSION_NONE, 200, 200, 2, false, grey_ramp, NULL };
	char path[PATH_MAX];
	struct stat st;

	path_in_tmp(path, sizeof path, "cut.tif");
	write_gen(path, &g);
	cr_assert_eq(stat(path, &st), 0);
	/* libtiff writes each directory after its page: cutting inside page
	 * 2 leaves page 1 whole and page 2's directory gone. */
	cr_assert_eq(truncate(path, st.st_size * 3 / 4), 0);
	expect_open_error(path, FGW_ERR_TIFF, "page 2: the directory");
}

Test(tiffdoc, text_file_is_not_a_tiff)
{
	char path[PATH_MAX];
	FILE *f;

	path_in_tmp(path, sizeof path, "letter.txt");
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_gt(fputs("Dear Dr. Tanaka,\nplease find attached...\n", f), 0);
	cr_assert_eq(fclose(f), 0);
	expect_open_error(path, FGW_ERR_TIFF, "not a readable TIFF");
}

Test(tiffdoc, missing_file_is_not_found)
{
	char path[PATH_MAX];

	path_in_tmp(path, sizeof path, "nothing-here.tif");
	expect_open_error(path, FGW_ERR_NOT_FOUND, "no such file");
}

Test(tiffdoc, empty_file_is_rejected)
{
	char path[PATH_MAX];
	int fd;

	path_in_tmp(path, sizeof path, "empty.tif");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(close(fd), 0);
	expect_open_error(path, FGW_ERR_TIFF, "empty");
}

Test(tiffdoc, sixteen_bit_grey_is_unsupported)
{
	struct gen g = { 64, 64, 16, 1, PHOTOMETRIC_MINISBLACK,
			 COMPRESSION_NONE, 200, 200, 2, false, zero, NULL };
	char path[PATH_MAX];

	path_in_tmp(path, sizeof path, "grey16.tif");
	write_gen(path, &g);
	expect_check_error(path, FGW_ERR_TIFF_UNSUPPORTED,
			   "page 1: BitsPerSample 16");
}

Test(tiffdoc, tiled_page_is_unsupported)
{
	struct gen g = { 64, 64, 8, 1, PHOTOMETRIC_MINISBLACK,
			 COMPRESSION_NONE, 200, 200, 1, true, zero, NULL };
	char path[PATH_MAX];

	path_in_tmp(path, sizeof path, "tiled.tif");
	write_gen(path, &g);
	expect_check_error(path, FGW_ERR_TIFF_UNSUPPORTED, "page 1: TileWidth");
}

Test(tiffdoc, absurd_width_is_too_large)
{
	struct gen g = { 12000, 2, 1, 1, PHOTOMETRIC_MINISWHITE,
			 COMPRESSION_NONE, 200, 200, 1, false, zero, NULL };
	char path[PATH_MAX];

	path_in_tmp(path, sizeof path, "wide.tif");
	write_gen(path, &g);
	expect_check_error(path, FGW_ERR_TOO_LARGE, "page 1: ImageWidth 12000");
}

Test(tiffdoc, too_many_pages_is_too_large)
{
	struct gen g = { 8, 1, 1, 1, PHOTOMETRIC_MINISWHITE,
			 COMPRESSION_NONE, 200, 200, TIFFDOC_MAX_PAGES + 1,
			 false, zero, NULL };
	char path[PATH_MAX];

	path_in_tmp(path, sizeof path, "many.tif");
	write_gen(path, &g);
	expect_open_error(path, FGW_ERR_TOO_LARGE, "more than 500 pages");
}

Test(tiffdoc, sample_letter_built_by_the_project_is_fax_ready)
{
	const char *build = getenv("FAXGW_BUILD");
	char path[PATH_MAX], msg[512];
	struct tiffdoc_page_info info;
	struct tiffdoc *d;
	bool ready = false;

	cr_assert_not_null(build, "FAXGW_BUILD is not set");
	cr_assert_eq(str_format(path, sizeof path, "%s/samples/letter.tif",
				build), 0);
	cr_assert_eq(access(path, R_OK), 0, "%s missing: run make build", path);
	d = open_ok(path);
	cr_assert_eq(tiffdoc_pages(d), 2);
	cr_assert_eq(tiffdoc_check(d, &ready, msg, sizeof msg), 0, "%s", msg);
	cr_assert(ready, "%s", msg);
	cr_assert_eq(tiffdoc_page_info(d, 1, &info, msg, sizeof msg), 0);
	cr_assert_eq(info.width, 1728);
	cr_assert_float_eq(info.yres, 196.0, 0.5);
	cr_assert_gt(tally_page(d, 1).black, 1000, "page 2 has text");
	tiffdoc_close(d);
}
