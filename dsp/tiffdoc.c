/* TIFF ingestion over libtiff: open (file or memory), per-page facts,
 * row-by-row decoding to luminance, the fax-readiness check, and the
 * converter to TIFF-F. libtiff's messages go to per-handle handlers
 * (TIFFOpenOptions, libtiff >= 4.5), never to stderr or a global. */
#include "dsp/tiffdoc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tiffio.h>

#include "common/err.h"
#include "common/str.h"

/* libtiff may not allocate more than this in one go (strip buffers,
 * tag arrays): a crafted file cannot make us allocate gigabytes. */
#define TIFFDOC_MAX_ALLOC (64 * 1024 * 1024)
/* Largest decoded row we accept: 4 samples of 8 bits, plus slack. */
#define TIFFDOC_MAX_SCANLINE ((size_t)TIFFDOC_MAX_WIDTH * 4 + 64)

/* Resolutions that count as the T.4 grid: 8 pels/mm across, 3.85 or 7.7
 * lines/mm down, with some slack for rounding by other software. */
#define FAX_XRES 204.0
#define FAX_YRES_FINE 196.0
#define FAX_YRES_STD 98.0

/* First libtiff error seen since the last reset; warnings are dropped. */
struct tiff_errbuf {
	char text[200];
};

struct tiffdoc {
	TIFF *tif;
	char name[256];
	unsigned pages;
	const uint8_t *mem;         /* memory input, or NULL */
	size_t mem_size;
	uint64_t mem_pos;
	struct tiff_errbuf err;
};

__attribute__((format(printf, 4, 0)))
static int on_tiff_error(TIFF *tif, void *user, const char *module,
			 const char *fmt, va_list ap)
{
	struct tiff_errbuf *e = user;
	(void)tif;
	(void)module;
	if (e != NULL && e->text[0] == '\0' &&
	    vsnprintf(e->text, sizeof(e->text), fmt, ap) < 0)
		e->text[0] = '\0';
	return 1;  /* handled: libtiff must not print it too */
}

__attribute__((format(printf, 4, 0)))
static int on_tiff_warning(TIFF *tif, void *user, const char *module,
			   const char *fmt, va_list ap)
{
	(void)tif;
	(void)user;
	(void)module;
	(void)fmt;
	(void)ap;
	return 1;
}

/* Writes "name: <text>" into msg and returns code. */
__attribute__((format(printf, 5, 6)))
static int fail(const char *name, char *msg, size_t msgsize, int code,
		const char *fmt, ...)
{
	char text[400];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	if (msg != NULL && msgsize > 0)
		(void)str_format(msg, msgsize, "%s: %s", name, text);
	return code;
}

/* The libtiff reason, for appending to a message. */
static const char *tiff_why(const struct tiff_errbuf *e)
{
	return e->text[0] != '\0' ? e->text : "no detail from libtiff";
}

static TIFFOpenOptions *open_options(struct tiff_errbuf *e)
{
	TIFFOpenOptions *o = TIFFOpenOptionsAlloc();

	if (o == NULL)
		return NULL;
	TIFFOpenOptionsSetMaxSingleMemAlloc(o, TIFFDOC_MAX_ALLOC);
	TIFFOpenOptionsSetErrorHandlerExtR(o, on_tiff_error, e);
	TIFFOpenOptionsSetWarningHandlerExtR(o, on_tiff_warning, e);
	return o;
}

/* ---- memory input: libtiff client procedures over a const buffer ---- */

static tmsize_t mem_read(thandle_t h, void *buf, tmsize_t size)
{
	struct tiffdoc *d = h;
	uint64_t left;

	if (size <= 0 || d->mem_pos >= d->mem_size)
		return 0;
	left = d->mem_size - d->mem_pos;
	if ((uint64_t)size > left)
		size = (tmsize_t)left;
	memcpy(buf, d->mem + d->mem_pos, (size_t)size);
	d->mem_pos += (uint64_t)size;
	return size;
}

static tmsize_t mem_write(thandle_t h, void *buf, tmsize_t size)
{
	(void)h;
	(void)buf;
	(void)size;
	return -1;  /* read-only */
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
	struct tiffdoc *d = h;
	uint64_t base;

	if (whence == SEEK_SET)
		base = 0;
	else if (whence == SEEK_CUR)
		base = d->mem_pos;
	else if (whence == SEEK_END)
		base = d->mem_size;
	else
		return (toff_t)-1;
	/* libtiff passes negative SEEK_CUR offsets as huge unsigned values. */
	if (off > UINT64_MAX - base)
		return (toff_t)-1;
	d->mem_pos = base + off;
	return d->mem_pos;
}

static int mem_close(thandle_t h)
{
	(void)h;
	return 0;
}

static toff_t mem_size(thandle_t h)
{
	return ((struct tiffdoc *)h)->mem_size;
}

static int mem_map(thandle_t h, void **base, toff_t *size)
{
	(void)h;
	(void)base;
	(void)size;
	return 0;
}

static void mem_unmap(thandle_t h, void *base, toff_t size)
{
	(void)h;
	(void)base;
	(void)size;
}

/* ---- opening ---- */

static struct tiffdoc *doc_new(const char *name)
{
	struct tiffdoc *d = calloc(1, sizeof(*d));

	/* a name too long for messages is shortened, not refused */
	if (d != NULL)
		(void)str_copy(d->name, sizeof(d->name), name);
	return d;
}

/* Counts the directories, stopping past the page limit. */
static int count_pages(struct tiffdoc *d, char *msg, size_t msgsize)
{
	unsigned n = 1;

	d->err.text[0] = '\0';
	while (TIFFReadDirectory(d->tif)) {
		if (++n > TIFFDOC_MAX_PAGES)
			return fail(d->name, msg, msgsize, FGW_ERR_TOO_LARGE,
				    "more than %u pages; split the document",
				    TIFFDOC_MAX_PAGES);
	}
	if (d->err.text[0] != '\0')
		return fail(d->name, msg, msgsize, FGW_ERR_TIFF,
			    "page %u: the directory cannot be read (%s)",
			    n + 1, d->err.text);
	d->pages = n;
	if (!TIFFSetDirectory(d->tif, 0))
		return fail(d->name, msg, msgsize, FGW_ERR_TIFF,
			    "page 1: the directory cannot be re-read (%s)",
			    tiff_why(&d->err));
	return 0;
}

/* Common tail of both opens: d->tif set (or NULL on failure). */
static int finish_open(struct tiffdoc *d, struct tiffdoc **out, char *msg,
		       size_t msgsize)
{
	int rc;

	if (d->tif == NULL) {
		rc = fail(d->name, msg, msgsize, FGW_ERR_TIFF,
			  "not a readable TIFF file (%s)", tiff_why(&d->err));
		tiffdoc_close(d);
		return rc;
	}
	rc = count_pages(d, msg, msgsize);
	if (rc != 0) {
		tiffdoc_close(d);
		return rc;
	}
	*out = d;
	return 0;
}

/* Opens path as a non-empty regular file; returns fd or a negative code. */
static int open_input(const char *path, const char *name, char *msg,
		      size_t msgsize)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return fail(name, msg, msgsize, FGW_ERR_NOT_FOUND,
				    "no such file");
		return fail(name, msg, msgsize, FGW_ERR_IO,
			    "cannot open: %s", strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		(void)close(fd);
		return fail(name, msg, msgsize, FGW_ERR_TIFF,
			    "%s; a TIFF file is expected",
			    S_ISREG(st.st_mode) ? "the file is empty"
						: "not a regular file");
	}
	return fd;
}

int tiffdoc_open_file(const char *path, const char *name, struct tiffdoc **out,
		      char *msg, size_t msgsize)
{
	struct tiffdoc *d;
	TIFFOpenOptions *o;
	int fd;

	*out = NULL;
	if (name == NULL)
		name = path;
	fd = open_input(path, name, msg, msgsize);
	if (fd < 0)
		return fd;
	d = doc_new(name);
	o = d != NULL ? open_options(&d->err) : NULL;
	if (o == NULL) {
		(void)close(fd);
		free(d);
		return fail(name, msg, msgsize, FGW_ERR_NOMEM, "out of memory");
	}
	/* "m": read(2), not mmap, so a file shrinking under us is an error
	 * rather than SIGBUS. On success libtiff owns fd. */
	d->tif = TIFFFdOpenExt(fd, name, "rm", o);
	TIFFOpenOptionsFree(o);
	if (d->tif == NULL)
		(void)close(fd);
	return finish_open(d, out, msg, msgsize);
}

int tiffdoc_open_mem(const void *data, size_t size, const char *name,
		     struct tiffdoc **out, char *msg, size_t msgsize)
{
	struct tiffdoc *d;
	TIFFOpenOptions *o;

	*out = NULL;
	if (name == NULL)
		name = "(memory)";
	if (size == 0)
		return fail(name, msg, msgsize, FGW_ERR_TIFF,
			    "the file is empty; a TIFF file is expected");
	d = doc_new(name);
	o = d != NULL ? open_options(&d->err) : NULL;
	if (o == NULL) {
		free(d);
		return fail(name, msg, msgsize, FGW_ERR_NOMEM, "out of memory");
	}
	d->mem = data;
	d->mem_size = size;
	d->tif = TIFFClientOpenExt(d->name, "rm", d, mem_read, mem_write,
				   mem_seek, mem_close, mem_size, mem_map,
				   mem_unmap, o);
	TIFFOpenOptionsFree(o);
	return finish_open(d, out, msg, msgsize);
}

void tiffdoc_close(struct tiffdoc *doc)
{
	if (doc == NULL)
		return;
	if (doc->tif != NULL)
		TIFFClose(doc->tif);
	free(doc);
}

unsigned tiffdoc_pages(const struct tiffdoc *doc)
{
	return doc->pages;
}

/* ---- page facts ---- */

/* Resolution in dpi, or 0 when absent, unitless or implausible. */
static double read_res(TIFF *tif, ttag_t tag, uint16_t unit)
{
	float v = 0;
	double dpi;

	if (!TIFFGetField(tif, tag, &v) || unit == RESUNIT_NONE)
		return 0;
	dpi = unit == RESUNIT_CENTIMETER ? (double)v * 2.54 : (double)v;
	if (!isfinite(dpi) || dpi < 10.0 || dpi > 10000.0)
		return 0;
	return dpi;
}

static uint16_t get_u16(TIFF *tif, ttag_t tag, uint16_t dflt)
{
	uint16_t v = 0;

	return TIFFGetFieldDefaulted(tif, tag, &v) ? v : dflt;
}

static void read_fields(TIFF *tif, struct tiffdoc_page_info *p)
{
	uint16_t unit = get_u16(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);

	memset(p, 0, sizeof(*p));
	(void)TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &p->width);
	(void)TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &p->length);
	p->bits_per_sample = get_u16(tif, TIFFTAG_BITSPERSAMPLE, 1);
	p->samples_per_pixel = get_u16(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
	p->compression = get_u16(tif, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
	if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &p->photometric))
		p->photometric = p->samples_per_pixel >= 3 ? PHOTOMETRIC_RGB
			       : p->bits_per_sample == 1 ? PHOTOMETRIC_MINISWHITE
			       : PHOTOMETRIC_MINISBLACK;
	p->xres = read_res(tif, TIFFTAG_XRESOLUTION, unit);
	p->yres = read_res(tif, TIFFTAG_YRESOLUTION, unit);
	p->tiled = TIFFIsTiled(tif) != 0;
}

static bool near(double v, double target)
{
	return fabs(v - target) <= target * 0.04;
}

/* Sets p->fax_ready and p->reason: the first field that is not T.4. */
/* The first field that keeps the page from being sent as it is, in
 * words with its value; NULL when the page is fax-ready. */
static const char *not_ready_field(const struct tiffdoc_page_info *p,
				   char *buf, size_t size)
{
	int rc = 0;

	if (p->bits_per_sample != 1 || p->samples_per_pixel != 1)
		rc = str_format(buf, size, "BitsPerSample is %u with %u "
				"samples per pixel, not black and white (1)",
				p->bits_per_sample, p->samples_per_pixel);
	else if (p->compression != COMPRESSION_CCITTFAX3 &&
		 p->compression != COMPRESSION_CCITTFAX4)
		rc = str_format(buf, size, "Compression is %u, not CCITT G3 "
				"(3) or G4 (4)", p->compression);
	else if (p->photometric != PHOTOMETRIC_MINISWHITE)
		rc = str_format(buf, size, "PhotometricInterpretation is %u, "
				"not min-is-white (0)", p->photometric);
	else if (p->width != 1728 && p->width != 2048 && p->width != 2432)
		rc = str_format(buf, size, "ImageWidth is %u, not 1728, 2048 "
				"or 2432", p->width);
	else if (!near(p->xres, FAX_XRES))
		rc = str_format(buf, size, "XResolution is %.0f dpi, not 204 "
				"(0 means none given)", p->xres);
	else if (!near(p->yres, FAX_YRES_FINE) && !near(p->yres, FAX_YRES_STD))
		rc = str_format(buf, size, "YResolution is %.0f dpi, not 98 "
				"or 196 (0 means none given)", p->yres);
	else if (p->tiled)
		rc = str_format(buf, size, "the page is tiled, not in strips");
	else
		return NULL;
	(void)rc;  /* a shortened reason is still a reason */
	return buf;
}

static void judge_fax_ready(struct tiffdoc_page_info *p, unsigned page)
{
	char field[128];
	const char *why = not_ready_field(p, field, sizeof(field));

	p->fax_ready = why == NULL;
	p->reason[0] = '\0';
	if (why != NULL)
		(void)str_format(p->reason, sizeof(p->reason),
				 "page %u: %s; it needs converting", page, why);
}

/* 0 when row decoding below can handle the sample layout. */
static int check_layout(const struct tiffdoc *d, const struct tiffdoc_page_info *p,
			unsigned page, char *msg, size_t msgsize)
{
	uint16_t bps = p->bits_per_sample, spp = p->samples_per_pixel;
	uint16_t ph = p->photometric;
	bool ok;

	if (p->tiled)
		return fail(d->name, msg, msgsize, FGW_ERR_TIFF_UNSUPPORTED,
			    "page %u: TileWidth is set (tiled layout) which is "
			    "not supported; save it with strips", page);
	if (!TIFFIsCODECConfigured(p->compression))
		return fail(d->name, msg, msgsize, FGW_ERR_TIFF_UNSUPPORTED,
			    "page %u: Compression %u cannot be decoded here; "
			    "save it uncompressed, LZW or G4", page,
			    p->compression);
	ok = (bps == 1 && spp == 1 && (ph == PHOTOMETRIC_MINISWHITE ||
					ph == PHOTOMETRIC_MINISBLACK)) ||
	     (bps == 8 && spp == 1 && (ph == PHOTOMETRIC_MINISWHITE ||
					ph == PHOTOMETRIC_MINISBLACK ||
					ph == PHOTOMETRIC_PALETTE)) ||
	     (bps == 8 && (spp == 3 || spp == 4) && ph == PHOTOMETRIC_RGB) ||
	     (bps == 8 && spp == 3 && ph == PHOTOMETRIC_YCBCR &&
	      p->compression == COMPRESSION_JPEG);
	if (!ok)
		return fail(d->name, msg, msgsize, FGW_ERR_TIFF_UNSUPPORTED,
			    "page %u: BitsPerSample %u, SamplesPerPixel %u, "
			    "PhotometricInterpretation %u is not supported; "
			    "save it as 1-bit, 8-bit grey or 8-bit RGB",
			    page, bps, spp, ph);
	if (spp > 1 && get_u16(d->tif, TIFFTAG_PLANARCONFIG,
			       PLANARCONFIG_CONTIG) != PLANARCONFIG_CONTIG)
		return fail(d->name, msg, msgsize, FGW_ERR_TIFF_UNSUPPORTED,
			    "page %u: PlanarConfiguration is separate planes, "
			    "which is not supported; save it interleaved", page);
	return 0;
}

static int check_limits(const struct tiffdoc *d, const struct tiffdoc_page_info *p,
			unsigned page, char *msg, size_t msgsize)
{
	if (p->width == 0 || p->length == 0)
		return fail(d->name, msg, msgsize, FGW_ERR_TIFF,
			    "page %u: ImageWidth or ImageLength is 0 or missing",
			    page);
	if (p->width > TIFFDOC_MAX_WIDTH)
		return fail(d->name, msg, msgsize, FGW_ERR_TOO_LARGE,
			    "page %u: ImageWidth %u exceeds the limit of %u pels",
			    page, p->width, TIFFDOC_MAX_WIDTH);
	if (p->length > TIFFDOC_MAX_LENGTH)
		return fail(d->name, msg, msgsize, FGW_ERR_TOO_LARGE,
			    "page %u: ImageLength %u exceeds the limit of %u rows",
			    page, p->length, TIFFDOC_MAX_LENGTH);
	return 0;
}

int tiffdoc_page_info(struct tiffdoc *doc, unsigned page,
		      struct tiffdoc_page_info *info, char *msg, size_t msgsize)
{
	int rc;

	if (page >= doc->pages)
		return fail(doc->name, msg, msgsize, FGW_ERR_INVALID,
			    "page %u: the document has only %u pages",
			    page + 1, doc->pages);
	doc->err.text[0] = '\0';
	if (!TIFFSetDirectory(doc->tif, (tdir_t)page))
		return fail(doc->name, msg, msgsize, FGW_ERR_TIFF,
			    "page %u: the directory cannot be read (%s)",
			    page + 1, tiff_why(&doc->err));
	read_fields(doc->tif, info);
	judge_fax_ready(info, page + 1);
	rc = check_limits(doc, info, page + 1, msg, msgsize);
	if (rc == 0)
		rc = check_layout(doc, info, page + 1, msg, msgsize);
	return rc;
}

/* ---- decoding rows ---- */

struct row_decoder {
	const struct tiffdoc_page_info *p;
	uint8_t *scan;              /* one raw scanline */
	uint8_t *lum;               /* width luminance values */
	uint8_t palette[256];       /* index -> luminance, for palette pages */
};

/* Rec. 601 luma with integer weights summing to 256. */
static uint8_t luma(unsigned r, unsigned g, unsigned b)
{
	return (uint8_t)((77 * r + 150 * g + 29 * b) >> 8);
}

static int load_palette(struct tiffdoc *d, struct row_decoder *rd)
{
	uint16_t *r, *g, *b;

	if (!TIFFGetField(d->tif, TIFFTAG_COLORMAP, &r, &g, &b))
		return -1;
	for (unsigned i = 0; i < 256; i++)
		rd->palette[i] = luma(r[i] >> 8, g[i] >> 8, b[i] >> 8);
	return 0;
}

static void to_luminance(const struct row_decoder *rd)
{
	const struct tiffdoc_page_info *p = rd->p;
	const uint8_t *s = rd->scan;
	uint32_t w = p->width;
	bool white_zero = p->photometric == PHOTOMETRIC_MINISWHITE;

	if (p->bits_per_sample == 1) {
		for (uint32_t x = 0; x < w; x++) {
			bool set = (s[x >> 3] >> (7 - (x & 7))) & 1;
			rd->lum[x] = set != white_zero ? 255 : 0;
		}
	} else if (p->photometric == PHOTOMETRIC_PALETTE) {
		for (uint32_t x = 0; x < w; x++)
			rd->lum[x] = rd->palette[s[x]];
	} else if (p->samples_per_pixel == 1) {
		for (uint32_t x = 0; x < w; x++)
			rd->lum[x] = white_zero ? (uint8_t)(255 - s[x]) : s[x];
	} else {
		unsigned n = p->samples_per_pixel;
		for (uint32_t x = 0; x < w; x++)
			rd->lum[x] = luma(s[x * n], s[x * n + 1], s[x * n + 2]);
	}
}

/* Allocates the decoder's buffers for the current directory. */
static int decoder_init(struct tiffdoc *d, struct row_decoder *rd,
			const struct tiffdoc_page_info *p, unsigned page,
			char *msg, size_t msgsize)
{
	uint64_t need;

	memset(rd, 0, sizeof(*rd));
	rd->p = p;
	if (p->photometric == PHOTOMETRIC_YCBCR &&
	    !TIFFSetField(d->tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB))
		return fail(d->name, msg, msgsize, FGW_ERR_TIFF_UNSUPPORTED,
			    "page %u: JPEG YCbCr cannot be converted to RGB",
			    page);
	if (p->photometric == PHOTOMETRIC_PALETTE && load_palette(d, rd) != 0)
		return fail(d->name, msg, msgsize, FGW_ERR_TIFF,
			    "page %u: ColorMap is missing", page);
	need = TIFFScanlineSize64(d->tif);
	if (need == 0 || need > TIFFDOC_MAX_SCANLINE ||
	    need < ((uint64_t)p->width * p->bits_per_sample *
		    p->samples_per_pixel + 7) / 8)
		return fail(d->name, msg, msgsize, FGW_ERR_TIFF_UNSUPPORTED,
			    "page %u: unexpected scanline size %llu",
			    page, (unsigned long long)need);
	rd->scan = calloc(1, (size_t)need);
	rd->lum = malloc(p->width);
	if (rd->scan == NULL || rd->lum == NULL)
		return fail(d->name, msg, msgsize, FGW_ERR_NOMEM,
			    "page %u: out of memory", page);
	return 0;
}

static void decoder_free(struct row_decoder *rd)
{
	free(rd->scan);
	free(rd->lum);
}

int tiffdoc_read_rows(struct tiffdoc *doc, unsigned page, tiffdoc_row_fn fn,
		      void *arg, char *msg, size_t msgsize)
{
	struct tiffdoc_page_info info;
	struct row_decoder rd;
	int rc = tiffdoc_page_info(doc, page, &info, msg, msgsize);

	if (rc != 0)
		return rc;
	rc = decoder_init(doc, &rd, &info, page + 1, msg, msgsize);
	for (uint32_t row = 0; rc == 0 && row < info.length; row++) {
		doc->err.text[0] = '\0';
		if (TIFFReadScanline(doc->tif, rd.scan, row, 0) < 0) {
			rc = fail(doc->name, msg, msgsize, FGW_ERR_TIFF,
				  "page %u: row %u cannot be decoded, the file "
				  "is truncated or corrupt (%s)", page + 1,
				  row + 1, tiff_why(&doc->err));
			break;
		}
		to_luminance(&rd);
		rc = fn(arg, row, rd.lum, info.width);
	}
	decoder_free(&rd);
	return rc;
}

/* ---- check ---- */

static int ignore_row(void *arg, uint32_t row, const uint8_t *lum,
		      uint32_t width)
{
	(void)arg;
	(void)row;
	(void)lum;
	(void)width;
	return 0;
}

int tiffdoc_check(struct tiffdoc *doc, bool *fax_ready, char *msg,
		  size_t msgsize)
{
	struct tiffdoc_page_info info;
	char first[sizeof(info.reason)] = "";
	int rc;

	*fax_ready = true;
	for (unsigned i = 0; i < doc->pages; i++) {
		rc = tiffdoc_page_info(doc, i, &info, msg, msgsize);
		if (rc == 0)
			rc = tiffdoc_read_rows(doc, i, ignore_row, NULL, msg,
					       msgsize);
		if (rc != 0) {
			*fax_ready = false;
			return rc;
		}
		if (!info.fax_ready && *fax_ready) {
			*fax_ready = false;
			(void)str_copy(first, sizeof(first), info.reason);
		}
	}
	if (*fax_ready)
		(void)fail(doc->name, msg, msgsize, 0, "fax-ready, %u page%s",
			   doc->pages, doc->pages == 1 ? "" : "s");
	else
		(void)fail(doc->name, msg, msgsize, 0, "%s", first);
	return 0;
}

/* ---- convert ---- */

/* How one page maps onto the fax grid. */
struct geometry {
	double sx, sy;              /* output pels per input pel */
	uint32_t out_w;             /* scaled width of the content */
	uint32_t pad;               /* white pels left of the content */
	uint32_t out_len;
};

static double snap(double v)
{
	return fabs(v - 1.0) < 0.02 ? 1.0 : v;
}

/* Physical size when it fits the fax width, else fit to it. */
static void plan_geometry(const struct tiffdoc_page_info *p, struct geometry *g)
{
	bool has_res = p->xres > 0 && p->yres > 0;
	double w = (double)TIFFDOC_FAX_WIDTH;

	if (has_res && p->width * FAX_XRES / p->xres <= w + 0.5) {
		g->sx = snap(FAX_XRES / p->xres);
		g->sy = snap(FAX_YRES_FINE / p->yres);
	} else {
		g->sx = snap(w / p->width);
		g->sy = g->sx * (FAX_YRES_FINE / FAX_XRES);
		if (has_res)
			g->sy *= p->xres / p->yres;
		g->sy = snap(g->sy);
	}
	g->out_w = (uint32_t)lround(p->width * g->sx);
	if (g->out_w < 1)
		g->out_w = 1;
	if (g->out_w > TIFFDOC_FAX_WIDTH)
		g->out_w = TIFFDOC_FAX_WIDTH;
	g->pad = (TIFFDOC_FAX_WIDTH - g->out_w) / 2;
	g->out_len = (uint32_t)fmin(lround(p->length * g->sy),
				    (double)TIFFDOC_MAX_LENGTH + 1);
	if (g->out_len < 1)
		g->out_len = 1;
}

struct scaler {
	const struct geometry *g;
	bool dither;
	TIFF *out;
	struct tiff_errbuf *out_err;
	uint32_t in_w;
	uint32_t *x0;               /* source column ranges, 2 per output */
	uint32_t *psum;             /* prefix sums of one source row */
	uint32_t *acc;              /* summed rows for the pending output row */
	uint8_t *hrow;              /* one horizontally scaled row */
	uint8_t bits[TIFFDOC_FAX_WIDTH / 8];
	uint32_t acc_rows;
	uint32_t acc_out;           /* output row acc belongs to */
	uint32_t next_out;          /* rows written so far */
	int rc;
};

static const uint8_t bayer4[4][4] = {
	{ 0, 8, 2, 10 }, { 12, 4, 14, 6 }, { 3, 11, 1, 9 }, { 15, 7, 13, 5 }
};

/* Packs out_w luminance values (centred) into bits and writes one row. */
static int emit_row(struct scaler *s, const uint8_t *lum)
{
	uint32_t y = s->next_out;

	memset(s->bits, 0, sizeof(s->bits));
	for (uint32_t x = 0; lum != NULL && x < s->g->out_w; x++) {
		uint32_t ox = x + s->g->pad;
		unsigned t = s->dither ? bayer4[y & 3][ox & 3] * 16u + 8u : 128u;
		if (lum[x] < t)
			s->bits[ox >> 3] |= (uint8_t)(0x80 >> (ox & 7));
	}
	if (TIFFWriteScanline(s->out, s->bits, y, 0) < 0)
		return FGW_ERR_IO;
	s->next_out++;
	return 0;
}

static void scale_horizontally(struct scaler *s, const uint8_t *lum)
{
	s->psum[0] = 0;
	for (uint32_t i = 0; i < s->in_w; i++)
		s->psum[i + 1] = s->psum[i] + lum[i];
	for (uint32_t x = 0; x < s->g->out_w; x++) {
		uint32_t a = s->x0[2 * x], b = s->x0[2 * x + 1];
		s->hrow[x] = (uint8_t)((s->psum[b] - s->psum[a]) / (b - a));
	}
}

/* Flushes the averaged pending rows (down-scaling). */
static int flush_acc(struct scaler *s)
{
	int rc = 0;

	if (s->acc_rows == 0)
		return 0;
	for (uint32_t x = 0; x < s->g->out_w; x++)
		s->hrow[x] = (uint8_t)(s->acc[x] / s->acc_rows);
	while (rc == 0 && s->next_out < s->acc_out)
		rc = emit_row(s, s->hrow);  /* defensive: rows never skip */
	if (rc == 0 && s->next_out == s->acc_out && s->next_out < s->g->out_len)
		rc = emit_row(s, s->hrow);
	memset(s->acc, 0, s->g->out_w * sizeof(*s->acc));
	s->acc_rows = 0;
	return rc;
}

static int scale_row(void *arg, uint32_t row, const uint8_t *lum,
		     uint32_t width)
{
	struct scaler *s = arg;
	const struct geometry *g = s->g;
	int rc = 0;

	(void)width;
	scale_horizontally(s, lum);
	if (g->sy < 1.0) {
		uint32_t o = (uint32_t)floor((row + 0.5) * g->sy);
		if (o != s->acc_out)
			rc = flush_acc(s);
		s->acc_out = o;
		for (uint32_t x = 0; x < g->out_w; x++)
			s->acc[x] += s->hrow[x];
		s->acc_rows++;
	} else {
		while (rc == 0 && s->next_out < g->out_len &&
		       floor((s->next_out + 0.5) / g->sy) <= row)
			rc = emit_row(s, s->hrow);
	}
	return rc;
}

static int scaler_init(struct scaler *s, const struct geometry *g,
		       uint32_t in_w)
{
	memset(s, 0, sizeof(*s));
	s->g = g;
	s->in_w = in_w;
	s->x0 = calloc((size_t)g->out_w * 2, sizeof(*s->x0));
	s->psum = calloc((size_t)in_w + 1, sizeof(*s->psum));
	s->acc = calloc(g->out_w, sizeof(*s->acc));
	s->hrow = calloc(g->out_w, 1);
	if (!s->x0 || !s->psum || !s->acc || !s->hrow)
		return FGW_ERR_NOMEM;
	/* Output column x averages source columns [x0[2x], x0[2x+1]):
	 * a box when shrinking, the nearest pel when enlarging. */
	for (uint32_t x = 0; x < g->out_w; x++) {
		double a = fmin(floor(x / g->sx), in_w - 1.0);
		double b = fmin(fmax(floor((x + 1) / g->sx), a + 1), in_w);
		s->x0[2 * x] = (uint32_t)a;
		s->x0[2 * x + 1] = (uint32_t)b;
	}
	return 0;
}

static void scaler_free(struct scaler *s)
{
	free(s->x0);
	free(s->psum);
	free(s->acc);
	free(s->hrow);
}

static int set_fax_fields(TIFF *out, const struct geometry *g, unsigned page,
			  unsigned pages, enum tiffdoc_coding coding)
{
	int ok = 1;

	ok &= TIFFSetField(out, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
	ok &= TIFFSetField(out, TIFFTAG_IMAGEWIDTH, TIFFDOC_FAX_WIDTH);
	ok &= TIFFSetField(out, TIFFTAG_IMAGELENGTH, g->out_len);
	ok &= TIFFSetField(out, TIFFTAG_BITSPERSAMPLE, 1);
	ok &= TIFFSetField(out, TIFFTAG_SAMPLESPERPIXEL, 1);
	ok &= TIFFSetField(out, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	ok &= TIFFSetField(out, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
	ok &= TIFFSetField(out, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	ok &= TIFFSetField(out, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
	ok &= TIFFSetField(out, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	ok &= TIFFSetField(out, TIFFTAG_XRESOLUTION, (float)FAX_XRES);
	ok &= TIFFSetField(out, TIFFTAG_YRESOLUTION, (float)FAX_YRES_FINE);
	ok &= TIFFSetField(out, TIFFTAG_PAGENUMBER, (uint16_t)page,
			   (uint16_t)pages);
	ok &= TIFFSetField(out, TIFFTAG_SOFTWARE, "faxgw");
	if (coding == TIFFDOC_G3_2D) {
		ok &= TIFFSetField(out, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
		ok &= TIFFSetField(out, TIFFTAG_GROUP3OPTIONS,
				   GROUP3OPT_2DENCODING);
	} else {
		ok &= TIFFSetField(out, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
	}
	ok &= TIFFSetField(out, TIFFTAG_ROWSPERSTRIP, g->out_len);
	return ok ? 0 : FGW_ERR_TIFF;
}

struct convert_ctx {
	struct tiffdoc *doc;
	TIFF *out;
	struct tiff_errbuf out_err;
	const struct tiffdoc_options *opt;
	char *msg;
	size_t msgsize;
};

static int convert_page(struct convert_ctx *c, unsigned page)
{
	struct tiffdoc *d = c->doc;
	struct tiffdoc_page_info info;
	struct geometry g;
	struct scaler s;
	int rc = tiffdoc_page_info(d, page, &info, c->msg, c->msgsize);

	if (rc != 0)
		return rc;
	plan_geometry(&info, &g);
	if (g.out_len > TIFFDOC_MAX_LENGTH)
		return fail(d->name, c->msg, c->msgsize, FGW_ERR_TOO_LARGE,
			    "page %u: ImageLength %u at %.0f dpi would be more "
			    "than %u fax rows", page + 1, info.length,
			    info.yres, TIFFDOC_MAX_LENGTH);
	c->out_err.text[0] = '\0';
	if (set_fax_fields(c->out, &g, page, d->pages, c->opt->coding) != 0)
		return fail(d->name, c->msg, c->msgsize, FGW_ERR_TIFF,
			    "page %u: cannot set output fields (%s)", page + 1,
			    tiff_why(&c->out_err));
	rc = scaler_init(&s, &g, info.width);
	s.out = c->out;
	s.dither = c->opt->dither && info.bits_per_sample > 1;
	if (rc == 0)
		rc = tiffdoc_read_rows(d, page, scale_row, &s, c->msg,
				       c->msgsize);
	if (rc == 0)
		rc = flush_acc(&s);
	while (rc == 0 && s.next_out < g.out_len)
		rc = emit_row(&s, NULL);
	scaler_free(&s);
	if (rc == FGW_ERR_NOMEM)
		return fail(d->name, c->msg, c->msgsize, rc, "out of memory");
	if (rc == FGW_ERR_IO || (rc == 0 && !TIFFWriteDirectory(c->out)))
		return fail(d->name, c->msg, c->msgsize, FGW_ERR_IO,
			    "page %u: writing the fax TIFF failed (%s)",
			    page + 1, tiff_why(&c->out_err));
	return rc;
}

int tiffdoc_convert(struct tiffdoc *doc, int out_fd,
		    const struct tiffdoc_options *opt, char *msg,
		    size_t msgsize)
{
	static const struct tiffdoc_options defaults = { TIFFDOC_G4, false };
	struct convert_ctx c = { doc, NULL, { "" }, opt ? opt : &defaults,
				 msg, msgsize };
	TIFFOpenOptions *o = open_options(&c.out_err);
	int fd = fcntl(out_fd, F_DUPFD_CLOEXEC, 0);
	int rc = 0;

	if (o == NULL || fd < 0) {
		rc = fail(doc->name, msg, msgsize, o ? FGW_ERR_IO : FGW_ERR_NOMEM,
			  "cannot start the output: %s", strerror(errno));
		goto out;
	}
	c.out = TIFFFdOpenExt(fd, "fax.tif", "w", o);
	if (c.out == NULL) {
		rc = fail(doc->name, msg, msgsize, FGW_ERR_IO,
			  "cannot write the output (%s)", tiff_why(&c.out_err));
		(void)close(fd);
		goto out;
	}
	for (unsigned i = 0; rc == 0 && i < doc->pages; i++)
		rc = convert_page(&c, i);
	TIFFClose(c.out);  /* closes fd */
out:
	if (o != NULL)
		TIFFOpenOptionsFree(o);
	if (rc == 0)
		(void)fail(doc->name, msg, msgsize, 0,
			   "converted to fax format, %u page%s", doc->pages,
			   doc->pages == 1 ? "" : "s");
	return rc;
}
