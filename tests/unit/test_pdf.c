/* gateway/pdf: the cross-reference table points at every object, the
 * page count is right, and poppler renders the G4 pages with black where
 * the fax has black. Pages come from $FAXGW_TESTDATA/itu/itutests_mmr.tif
 * (G4, one strip per page). */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/pdf.h"
#include "tests/support/fax_harness.h"

#define MAX_TEST_PAGES 16

static char dir[64], pdf_path[128];

static void setup(void)
{
	log_init("test_pdf", true, LOG_LEVEL_ERROR);
	make_temp_dir(dir);
	cr_assert_eq(str_format(pdf_path, sizeof pdf_path, "%s/out.pdf", dir), 0);
}

static void teardown(void)
{
	remove_temp_dir(dir);
}

TestSuite(pdf, .init = setup, .fini = teardown, .timeout = 60);

struct g4doc {
	struct pdf_page page[MAX_TEST_PAGES];
	uint8_t *data[MAX_TEST_PAGES];
	double black[MAX_TEST_PAGES];   /* share of black pixels */
	int n;
};

static double black_share(TIFF *t, uint32_t w, uint32_t h)
{
	uint8_t *row = malloc((size_t)TIFFScanlineSize(t));
	uint64_t black = 0;

	cr_assert_not_null(row);
	for (uint32_t y = 0; y < h; y++) {
		cr_assert_eq(TIFFReadScanline(t, row, y, 0), 1);
		for (uint32_t x = 0; x < w; x++)
			black += (row[x / 8] >> (7 - x % 8)) & 1;
	}
	free(row);
	return (double)black / ((double)w * h);
}

/* The raw G4 strip of every page, as the PDF carries it. */
static void load_g4(struct g4doc *d)
{
	TIFF *t = TIFFOpen(testdata("itu/itutests_mmr.tif"), "r");

	cr_assert_not_null(t);
	memset(d, 0, sizeof *d);
	do {
		struct pdf_page *p = &d->page[d->n];
		float xr = 0, yr = 0;
		uint16_t comp = 0;
		tmsize_t size;

		cr_assert_lt(d->n, MAX_TEST_PAGES);
		cr_assert(TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &p->width));
		cr_assert(TIFFGetField(t, TIFFTAG_IMAGELENGTH, &p->height));
		cr_assert(TIFFGetField(t, TIFFTAG_XRESOLUTION, &xr));
		cr_assert(TIFFGetField(t, TIFFTAG_YRESOLUTION, &yr));
		cr_assert(TIFFGetField(t, TIFFTAG_COMPRESSION, &comp));
		cr_assert_eq(comp, COMPRESSION_CCITTFAX4);
		cr_assert_eq(TIFFNumberOfStrips(t), 1);
		p->xres = xr;
		p->yres = yr;
		size = TIFFRawStripSize(t, 0);
		cr_assert_gt(size, 0);
		d->data[d->n] = malloc((size_t)size);
		cr_assert_not_null(d->data[d->n]);
		cr_assert_eq(TIFFReadRawStrip(t, 0, d->data[d->n], size), size);
		p->g4 = d->data[d->n];
		p->g4_len = (size_t)size;
		d->black[d->n] = black_share(t, p->width, p->height);
		d->n++;
	} while (TIFFReadDirectory(t));
	TIFFClose(t);
}

static void free_g4(struct g4doc *d)
{
	for (int i = 0; i < d->n; i++)
		free(d->data[i]);
}

static void write_pdf(const struct g4doc *d, int pages)
{
	int fd = open(pdf_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	struct pdf *p;

	cr_assert_geq(fd, 0);
	cr_assert_eq(pdf_begin(fd, &p), 0);
	for (int i = 0; i < pages; i++)
		cr_assert_eq(pdf_add_page(p, &d->page[i]), 0);
	cr_assert_eq(pdf_finish(p), 0);
	cr_assert_eq(close(fd), 0);
}

static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Reads the decimal number at *p and moves past it. */
static long long number_at(const char **p)
{
	long long v = 0;

	cr_assert((**p >= '0' && **p <= '9'), "digit expected at '%.10s'", *p);
	while (**p >= '0' && **p <= '9')
		v = v * 10 + (*(*p)++ - '0');
	return v;
}

/* Follows startxref to the table and checks every in-use entry. */
static void check_xref(const char *buf, size_t len, long long want_objects)
{
	const char *sx = NULL, *p;
	long long at, count;

	for (const char *q = buf; (q = memmem(q, len - (size_t)(q - buf), "startxref\n", 10));
	     q++)
		sx = q;
	cr_assert_not_null(sx);
	p = sx + strlen("startxref\n");
	at = number_at(&p);
	cr_assert_lt((size_t)at, len);
	cr_assert_eq(strncmp(buf + at, "xref\n0 ", 7), 0);
	p = buf + at + 7;
	count = number_at(&p);
	cr_assert_eq(count, want_objects);
	cr_assert_eq(*p++, '\n');
	cr_assert_eq(strncmp(p, "0000000000 65535 f \n", 20), 0);
	for (long long i = 1; i < count; i++) {
		const char *e = p + 20 * i, *q = e;
		long long off = number_at(&q);
		char head[32];

		cr_assert_eq(strncmp(e + 10, " 00000 n \n", 10), 0, "entry %lld is 20 bytes", i);
		cr_assert_lt((size_t)off, len);
		cr_assert_eq(str_format(head, sizeof head, "%lld 0 obj\n", i), 0);
		cr_assert_eq(strncmp(buf + off, head, strlen(head)), 0, "object %lld at %lld", i,
			     off);
	}
	cr_assert_eq(strncmp(p + 20 * count, "trailer\n", 8), 0);
}

Test(pdf, xref_offsets_point_at_their_objects)
{
	struct g4doc d;
	size_t len;
	char *buf;

	load_g4(&d);
	write_pdf(&d, 3);
	buf = slurp(pdf_path, &len);
	cr_assert_eq(strncmp(buf, "%PDF-1.4\n", 9), 0);
	check_xref(buf, len, 1 + 2 + 3 * 3);   /* entry 0, catalog, tree, 3 per page */
	cr_assert_eq(strcmp(buf + len - 6, "%%EOF\n"), 0);
	free(buf);
	free_g4(&d);
}

Test(pdf, g4_data_is_carried_unchanged)
{
	struct g4doc d;
	size_t len;
	char *buf;

	load_g4(&d);
	write_pdf(&d, 1);
	buf = slurp(pdf_path, &len);
	cr_assert_not_null(memmem(buf, len, d.page[0].g4, d.page[0].g4_len));
	cr_assert_lt(len, d.page[0].g4_len + 2000, "no more than the fax plus a little");
	free(buf);
	free_g4(&d);
}

/* Runs cmd and returns its first output line in out. */
static void run_line(const char *cmd, char *out, size_t size)
{
	FILE *f = popen(cmd, "r");

	cr_assert_not_null(f, "%s", cmd);
	out[0] = '\0';
	while (fgets(out, (int)size, f) != NULL && strncmp(out, "Pages:", 6) != 0)
		;
	cr_assert_eq(pclose(f), 0, "%s failed (poppler-utils: mk/deps.sh installs it)", cmd);
}

Test(pdf, pdfinfo_counts_every_page)
{
	char cmd[300], line[256];
	struct g4doc d;
	const char *p;

	load_g4(&d);
	write_pdf(&d, d.n);
	cr_assert_eq(str_format(cmd, sizeof cmd, "pdfinfo '%s' 2>&1", pdf_path), 0);
	run_line(cmd, line, sizeof line);
	cr_assert_eq(strncmp(line, "Pages:", 6), 0, "pdfinfo said: %s", line);
	p = line + 6;
	while (*p == ' ')
		p++;
	cr_assert_eq(number_at(&p), d.n);
	free_g4(&d);
}

/* Share of black pixels of a P4 PBM. */
static double pbm_black(const char *path, long long *w, long long *h)
{
	size_t len, row;
	char *buf = slurp(path, &len);
	const char *p = buf;
	uint64_t black = 0;

	cr_assert_eq(strncmp(p, "P4\n", 3), 0);
	p += 3;
	*w = number_at(&p);
	cr_assert_eq(*p++, ' ');
	*h = number_at(&p);
	cr_assert_eq(*p++, '\n');
	row = (size_t)(*w + 7) / 8;
	cr_assert_eq((size_t)(p - buf) + row * (size_t)*h, len);
	for (long long y = 0; y < *h; y++)
		for (long long x = 0; x < *w; x++)
			black += ((uint8_t)p[(size_t)y * row + (size_t)x / 8] >> (7 - x % 8)) & 1;
	free(buf);
	return (double)black / ((double)*w * (double)*h);
}

Test(pdf, pdftoppm_renders_black_where_the_fax_is_black)
{
	char cmd[400], out[160], line[256];
	long long w, h;
	struct g4doc d;
	double share;

	load_g4(&d);
	write_pdf(&d, 2);
	cr_assert_eq(str_format(cmd, sizeof cmd, "pdftoppm -mono -f 2 -l 2 -rx %.0f -ry %.0f "
				"-singlefile '%s' '%s/p' 2>&1", d.page[1].xres, d.page[1].yres,
				pdf_path, dir), 0);
	run_line(cmd, line, sizeof line);
	cr_assert_eq(str_format(out, sizeof out, "%s/p.pbm", dir), 0);
	share = pbm_black(out, &w, &h);
	/* the page size in points is rounded: a pixel more or less */
	cr_assert_leq(llabs(w - (long long)d.page[1].width), 1);
	cr_assert_leq(llabs(h - (long long)d.page[1].height), 1);
	cr_assert_gt(d.black[1], 0.001, "the test page has some black");
	cr_assert_lt(share > d.black[1] ? share - d.black[1] : d.black[1] - share, 0.002,
		     "rendered %.4f black, the fax %.4f", share, d.black[1]);
	free_g4(&d);
}

Test(pdf, bad_pages_and_empty_documents_are_refused)
{
	struct pdf_page bad = {.g4 = (const uint8_t *)"x", .g4_len = 1, .width = 1728,
			       .height = 0, .xres = 204, .yres = 196};
	int fd = open(pdf_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	struct pdf *p;

	cr_assert_geq(fd, 0);
	cr_assert_eq(pdf_begin(fd, &p), 0);
	cr_assert_eq(pdf_add_page(p, &bad), FGW_ERR_INVALID);
	bad.height = 10;
	bad.xres = 0;
	cr_assert_eq(pdf_add_page(p, &bad), FGW_ERR_INVALID);
	cr_assert_eq(pdf_finish(p), FGW_ERR_STATE, "a PDF without pages is not written");
	cr_assert_eq(close(fd), 0);
}
