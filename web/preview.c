/* Fax page -> screen PNG: tiffdoc decodes rows (0 black .. 255 white), a box
 * filter averages them into the output grid, libpng's simplified API writes
 * the PNG into memory (no setjmp needed). */
#include "web/preview.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "dsp/tiffdoc.h"

/* The output grid and the state of the box filter while rows stream in. */
struct shrink {
	uint32_t src_w, src_h;
	uint32_t out_w, out_h;
	uint32_t *col0;            /* first source column of output column i */
	uint64_t *acc;             /* sums for the output row being built */
	uint32_t rows;             /* source rows added into acc */
	uint32_t cur;              /* output row being built */
	uint8_t *img;              /* out_w * out_h */
};

/* Picks the output size: width capped, height following the page's real
 * proportions (fine and standard fax resolutions differ vertically). */
static void shrink_size(struct shrink *s, const struct tiffdoc_page_info *pi,
			unsigned max_width)
{
	double h;

	s->src_w = pi->width;
	s->src_h = pi->length;
	s->out_w = pi->width < max_width ? pi->width : max_width;
	h = (double)pi->length * s->out_w / pi->width;
	if (pi->xres > 0 && pi->yres > 0)
		h = h * pi->xres / pi->yres;
	if (h < 1)
		h = 1;
	if (h > PREVIEW_MAX_HEIGHT)
		h = PREVIEW_MAX_HEIGHT;
	s->out_h = (uint32_t)(h + 0.5);
}

static int shrink_alloc(struct shrink *s)
{
	s->col0 = calloc((size_t)s->out_w + 1, sizeof *s->col0);
	s->acc = calloc(s->out_w, sizeof *s->acc);
	s->img = malloc((size_t)s->out_w * s->out_h);
	if (!s->col0 || !s->acc || !s->img)
		return FGW_ERR_NOMEM;
	for (uint32_t i = 0; i <= s->out_w; i++)
		s->col0[i] = (uint32_t)((uint64_t)i * s->src_w / s->out_w);
	return 0;
}

static void shrink_free(struct shrink *s)
{
	free(s->col0);
	free(s->acc);
	free(s->img);
}

/* Writes the averaged row into the image and clears the sums. */
static void shrink_flush(struct shrink *s)
{
	uint8_t *dst = s->img + (size_t)s->cur * s->out_w;

	for (uint32_t i = 0; i < s->out_w; i++) {
		uint64_t n = (uint64_t)(s->col0[i + 1] - s->col0[i]) * s->rows;

		dst[i] = n ? (uint8_t)(s->acc[i] / n) : 255;
	}
	memset(s->acc, 0, (size_t)s->out_w * sizeof *s->acc);
	s->rows = 0;
}

static void shrink_add(struct shrink *s, const uint8_t *lum)
{
	for (uint32_t i = 0; i < s->out_w; i++) {
		uint64_t sum = 0;

		for (uint32_t x = s->col0[i]; x < s->col0[i + 1]; x++)
			sum += lum[x];
		s->acc[i] += sum;
	}
	s->rows++;
}

/* One source row covers output rows lo..hi (several when the page is
 * stretched vertically, one when shrunk). */
static int shrink_row(void *arg, uint32_t row, const uint8_t *lum,
		      uint32_t width)
{
	struct shrink *s = arg;
	uint32_t lo = (uint32_t)((uint64_t)row * s->out_h / s->src_h);
	uint32_t hi = (uint32_t)(((uint64_t)row + 1) * s->out_h / s->src_h);

	if (width != s->src_w)
		return FGW_ERR_TIFF;
	if (hi > lo)
		hi--;
	for (uint32_t y = lo; y <= hi && y < s->out_h; y++) {
		if (y != s->cur) {
			shrink_flush(s);
			s->cur = y;
		}
		shrink_add(s, lum);
	}
	return 0;
}

static int encode_png(const struct shrink *s, uint8_t **png, size_t *png_len)
{
	png_image im;
	png_alloc_size_t size = 0;
	uint8_t *buf;

	memset(&im, 0, sizeof im);
	im.version = PNG_IMAGE_VERSION;
	im.width = s->out_w;
	im.height = s->out_h;
	im.format = PNG_FORMAT_GRAY;
	if (!png_image_write_to_memory(&im, NULL, &size, 0, s->img, 0, NULL))
		return FGW_ERR_NOMEM;
	if (size == 0 || size > PREVIEW_MAX_PNG)
		return FGW_ERR_TOO_LARGE;
	buf = malloc(size);
	if (!buf)
		return FGW_ERR_NOMEM;
	if (!png_image_write_to_memory(&im, buf, &size, 0, s->img, 0, NULL)) {
		free(buf);
		return FGW_ERR_NOMEM;
	}
	*png = buf;
	*png_len = size;
	return 0;
}

static int render(struct tiffdoc *doc, unsigned page, unsigned max_width,
		  uint8_t **png, size_t *png_len)
{
	struct tiffdoc_page_info pi;
	struct shrink s;
	char msg[256];
	int rc;

	if (page >= tiffdoc_pages(doc))
		return FGW_ERR_NOT_FOUND;
	rc = tiffdoc_page_info(doc, page, &pi, msg, sizeof msg);
	if (rc != 0)
		return rc;
	memset(&s, 0, sizeof s);
	shrink_size(&s, &pi, max_width);
	rc = shrink_alloc(&s);
	if (rc == 0)
		rc = tiffdoc_read_rows(doc, page, shrink_row, &s, msg, sizeof msg);
	if (rc == 0) {
		shrink_flush(&s);
		/* Rows the filter never reached (rounding) stay white. */
		for (uint32_t y = s.cur + 1; y < s.out_h; y++)
			memset(s.img + (size_t)y * s.out_w, 255, s.out_w);
		rc = encode_png(&s, png, png_len);
	}
	shrink_free(&s);
	return rc;
}

int preview_png(const void *tiff, size_t len, unsigned page,
		unsigned max_width, uint8_t **png, size_t *png_len)
{
	struct tiffdoc *doc = NULL;
	char msg[256];
	int rc;

	if (png)
		*png = NULL;
	if (!tiff || len == 0 || !png || !png_len || max_width == 0 ||
	    max_width > PREVIEW_MAX_WIDTH)
		return FGW_ERR_INVALID;
	rc = tiffdoc_open_mem(tiff, len, "preview", &doc, msg, sizeof msg);
	if (rc != 0)
		return rc;
	rc = render(doc, page, max_width, png, png_len);
	tiffdoc_close(doc);
	return rc;
}

int preview_page_count(const void *tiff, size_t len, unsigned *pages)
{
	struct tiffdoc *doc = NULL;
	char msg[256];
	int rc;

	if (!tiff || len == 0 || !pages)
		return FGW_ERR_INVALID;
	rc = tiffdoc_open_mem(tiff, len, "preview", &doc, msg, sizeof msg);
	if (rc != 0)
		return rc;
	*pages = tiffdoc_pages(doc);
	tiffdoc_close(doc);
	return 0;
}
