/* web/preview: fax pages rendered to PNG in memory, decoded back with
 * libpng to check size and where the black is; broken input refused. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tiffio.h>

#include "common/err.h"
#include "common/str.h"
#include "web/preview.h"

static char tmpdir[PATH_MAX];

static void setup(void)
{
	cr_assert_eq(str_copy(tmpdir, sizeof tmpdir, "/tmp/faxgw-preview-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char p[PATH_MAX];

	cr_assert_eq(str_format(p, sizeof p, "%s/page.tif", tmpdir), 0);
	(void)unlink(p);
	cr_assert_eq(rmdir(tmpdir), 0);
}

TestSuite(preview, .init = setup, .fini = teardown);

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert(fd >= 0, "cannot open %s", path);
	cr_assert_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	cr_assert_not_null(buf);
	cr_assert_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* A fax page, 1728 x rows at 204 x yres dpi, G4, white with a black box
 * from column 400 to 800 and row rows/4 to rows/2. */
static uint8_t *make_fax(uint32_t rows, float yres, size_t *len)
{
	char path[PATH_MAX];
	uint8_t line[1728 / 8];
	TIFF *t;

	cr_assert_eq(str_format(path, sizeof path, "%s/page.tif", tmpdir), 0);
	t = TIFFOpen(path, "w");
	cr_assert_not_null(t);
	cr_assert(TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 1728));
	cr_assert(TIFFSetField(t, TIFFTAG_IMAGELENGTH, rows));
	cr_assert(TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1));
	cr_assert(TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1));
	cr_assert(TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE));
	cr_assert(TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4));
	cr_assert(TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB));
	cr_assert(TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0f));
	cr_assert(TIFFSetField(t, TIFFTAG_YRESOLUTION, yres));
	cr_assert(TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH));
	cr_assert(TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rows));
	for (uint32_t y = 0; y < rows; y++) {
		memset(line, 0, sizeof line);
		if (y >= rows / 4 && y < rows / 2)
			memset(line + 400 / 8, 0xff, 400 / 8);
		cr_assert(TIFFWriteScanline(t, line, y, 0) == 1);
	}
	TIFFClose(t);
	return slurp(path, len);
}

struct decoded {
	uint32_t w, h;
	uint8_t *px;
};

static struct decoded decode(const uint8_t *png, size_t len)
{
	png_image im;
	struct decoded d;

	memset(&im, 0, sizeof im);
	im.version = PNG_IMAGE_VERSION;
	cr_assert(png_image_begin_read_from_memory(&im, png, len), "%s", im.message);
	im.format = PNG_FORMAT_GRAY;
	d.w = im.width;
	d.h = im.height;
	d.px = malloc(PNG_IMAGE_SIZE(im));
	cr_assert_not_null(d.px);
	cr_assert(png_image_finish_read(&im, NULL, d.px, 0, NULL), "%s", im.message);
	return d;
}

static uint8_t at(const struct decoded *d, uint32_t x, uint32_t y)
{
	cr_assert(x < d->w && y < d->h);
	return d->px[(size_t)y * d->w + x];
}

Test(preview, fine_page_scaled_to_width_with_black_box_in_place)
{
	size_t len, png_len;
	uint8_t *tiff = make_fax(2200, 196.0f, &len), *png;
	struct decoded d;

	cr_assert_eq(preview_png(tiff, len, 0, 860, &png, &png_len), 0);
	cr_assert_lt(png_len, PREVIEW_MAX_PNG);
	d = decode(png, png_len);
	cr_assert_eq(d.w, 860);
	/* 2200 rows * 860/1728 * 204/196 = 1139.6 */
	cr_assert_eq(d.h, 1140);
	/* box: x 400..800 -> 199..398, y 550..1100 -> ~285..570 */
	cr_assert_eq(at(&d, 300, 430), 0);
	cr_assert_eq(at(&d, 201, 290), 0);
	cr_assert_eq(at(&d, 100, 430), 255);
	cr_assert_eq(at(&d, 300, 100), 255);
	cr_assert_eq(at(&d, 600, 800), 255);
	free(d.px);
	free(png);
	free(tiff);
}

Test(preview, standard_resolution_page_is_stretched_not_squashed)
{
	size_t len, png_len;
	uint8_t *tiff = make_fax(1100, 98.0f, &len), *png;
	struct decoded d;

	cr_assert_eq(preview_png(tiff, len, 0, 860, &png, &png_len), 0);
	d = decode(png, png_len);
	cr_assert_eq(d.w, 860);
	/* 1100 * 860/1728 * 204/98 = 1139.6: the same sheet as the fine one */
	cr_assert_eq(d.h, 1140);
	cr_assert_eq(at(&d, 300, 430), 0);
	cr_assert_eq(at(&d, 300, 100), 255);
	free(d.px);
	free(png);
	free(tiff);
}

Test(preview, box_edge_averages_to_grey)
{
	size_t len, png_len;
	uint8_t *tiff = make_fax(2200, 196.0f, &len), *png;
	struct decoded d;

	/* At 860 wide, output column 199 covers source columns 399 (white)
	 * and 400 (the box's first black column): half grey. */
	cr_assert_eq(preview_png(tiff, len, 0, 860, &png, &png_len), 0);
	d = decode(png, png_len);
	cr_assert_eq(at(&d, 199, 430), 127);
	cr_assert_eq(at(&d, 198, 430), 255);
	free(d.px);
	free(png);
	free(tiff);
}

Test(preview, narrow_max_width_keeps_page_width_when_smaller)
{
	size_t len, png_len;
	uint8_t *tiff = make_fax(200, 196.0f, &len), *png;
	struct decoded d;

	cr_assert_eq(preview_png(tiff, len, 0, PREVIEW_MAX_WIDTH, &png, &png_len), 0);
	d = decode(png, png_len);
	cr_assert_eq(d.w, 1728);
	free(d.px);
	free(png);
	free(tiff);
}

Test(preview, testdata_fax_every_page_renders)
{
	const char *dir = getenv("FAXGW_TESTDATA");
	char path[PATH_MAX];
	size_t len;
	unsigned pages = 0;
	uint8_t *tiff;

	cr_assert_not_null(dir, "FAXGW_TESTDATA is not set");
	cr_assert_eq(str_format(path, sizeof path,
				"%s/tiff/asterisk-testsuite__send.tiff", dir), 0);
	tiff = slurp(path, &len);
	cr_assert_eq(preview_page_count(tiff, len, &pages), 0);
	cr_assert_geq(pages, 1);
	for (unsigned p = 0; p < pages; p++) {
		uint8_t *png;
		size_t png_len;
		struct decoded d;
		size_t black = 0;

		cr_assert_eq(preview_png(tiff, len, p, 860, &png, &png_len), 0);
		d = decode(png, png_len);
		cr_assert_eq(d.w, 860);
		for (size_t i = 0; i < (size_t)d.w * d.h; i++)
			black += d.px[i] < 128;
		cr_assert_gt(black, 0, "page %u has no ink", p + 1);
		free(d.px);
		free(png);
	}
	cr_assert_eq(preview_png(tiff, len, pages, 860, &(uint8_t *){NULL},
				 &(size_t){0}), FGW_ERR_NOT_FOUND);
	free(tiff);
}

Test(preview, corrupt_tiff_is_refused)
{
	static const uint8_t junk[] = "II*\0\x08\0\0\0garbage garbage garbage";
	uint8_t *png = (uint8_t *)1;
	size_t png_len;
	unsigned pages;

	cr_assert_eq(preview_png(junk, sizeof junk, 0, 860, &png, &png_len),
		     FGW_ERR_TIFF);
	cr_assert_null(png);
	cr_assert_eq(preview_page_count("hello", 5, &pages), FGW_ERR_TIFF);
}

Test(preview, truncated_tiff_is_refused)
{
	size_t len, png_len;
	uint8_t *tiff = make_fax(2200, 196.0f, &len), *png;
	int rc;

	/* Keep the header and directory offset but cut the data short. */
	rc = preview_png(tiff, len / 3, 0, 860, &png, &png_len);
	cr_assert(rc == FGW_ERR_TIFF, "got %s", fgw_errname(rc));
	cr_assert_null(png);
	free(tiff);
}

Test(preview, bad_arguments)
{
	size_t len, png_len;
	uint8_t *tiff = make_fax(100, 196.0f, &len), *png;

	cr_assert_eq(preview_png(tiff, len, 0, 0, &png, &png_len), FGW_ERR_INVALID);
	cr_assert_eq(preview_png(tiff, len, 0, PREVIEW_MAX_WIDTH + 1, &png,
				 &png_len), FGW_ERR_INVALID);
	cr_assert_eq(preview_png(NULL, 0, 0, 860, &png, &png_len), FGW_ERR_INVALID);
	free(tiff);
}
