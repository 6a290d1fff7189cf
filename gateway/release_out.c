/* Writing a released document: its vault pages (TIFF files) are decrypted
 * into memory files, and every fax page goes out as TIFF (coded strips
 * copied unchanged) or as PDF (G4 data embedded; other codings are
 * decoded and re-encoded as G4 by libtiff, still without any loss). */
#include "gateway/release.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/pdf.h"
#include "storage/memfile.h"
#include "storage/store.h"

#define MAX_PARTS VAULT_MAX_PAGES

/* The decrypted vault pages of one document, each a TIFF in a memfd. */
struct parts {
	int *fd;
	TIFF **tif;
	size_t n, cap;
	uint32_t fax_pages;
};

/* One fax page's layout, read from its TIFF directory. */
struct page_info {
	uint32_t width, height, rows_per_strip, t4, t6;
	uint16_t compression, photometric, fill, unit;
	float xres, yres;
};

static int parts_add(struct parts *p, int fd)
{
	if (p->n == p->cap) {
		size_t cap = p->cap == 0 ? 4 : p->cap * 2;
		int *fds;
		TIFF **tifs;

		if (cap > MAX_PARTS)
			return FGW_ERR_TOO_LARGE;
		if ((fds = realloc(p->fd, cap * sizeof *fds)) == NULL)
			return FGW_ERR_NOMEM;
		p->fd = fds;
		if ((tifs = realloc(p->tif, cap * sizeof *tifs)) == NULL)
			return FGW_ERR_NOMEM;
		p->tif = tifs;
		p->cap = cap;
	}
	p->fd[p->n] = fd;
	p->tif[p->n++] = NULL;
	return FGW_OK;
}

static void parts_free(struct parts *p)
{
	for (size_t i = 0; i < p->n; i++) {
		if (p->tif[i] != NULL)
			TIFFClose(p->tif[i]);
		if (memfile_wipe_close(p->fd[i]) != FGW_OK)
			log_warn("release: could not wipe a memory file");
	}
	free(p->fd);
	free(p->tif);
}

static int decrypt_parts(struct store *s, const char *id, const char *pin, struct parts *p)
{
	struct vault_reader *r;
	int fd, more, rc = store_doc_open(s, id, pin, &r);

	while (rc == FGW_OK && (more = vault_reader_next_page(r, NULL)) != 0) {
		if (more < 0) {
			rc = more;
			break;
		}
		if ((fd = memfile_create("faxgw-release")) < 0) {
			rc = fd;
			break;
		}
		if ((rc = parts_add(p, fd)) != FGW_OK) {
			(void)memfile_wipe_close(fd);
			break;
		}
		rc = vault_reader_page_to_fd(r, fd);
	}
	vault_reader_close(r);
	return rc;
}

/* Opens each part with libtiff (on a dup: TIFFClose closes its fd). */
static int open_parts(struct parts *p)
{
	for (size_t i = 0; i < p->n; i++) {
		int fd = lseek(p->fd[i], 0, SEEK_SET) == 0 ? dup(p->fd[i]) : -1;

		if (fd < 0)
			return FGW_ERR_IO;
		p->tif[i] = TIFFFdOpen(fd, "held fax", "r");
		if (p->tif[i] == NULL) {
			close(fd);
			log_error("release: a stored page is not a readable TIFF");
			return FGW_ERR_TIFF;
		}
		p->fax_pages += TIFFNumberOfDirectories(p->tif[i]);
	}
	return p->fax_pages > 0 ? FGW_OK : FGW_ERR_TIFF;
}

static int page_info(TIFF *t, struct page_info *pi)
{
	uint16_t bps = 1, spp = 1;

	memset(pi, 0, sizeof *pi);
	if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &pi->width) ||
	    !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &pi->height) ||
	    !TIFFGetFieldDefaulted(t, TIFFTAG_COMPRESSION, &pi->compression) ||
	    !TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps) ||
	    !TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp) ||
	    !TIFFGetFieldDefaulted(t, TIFFTAG_FILLORDER, &pi->fill) ||
	    !TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &pi->unit) ||
	    !TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &pi->rows_per_strip))
		return FGW_ERR_TIFF;
	if (!TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &pi->photometric))
		pi->photometric = PHOTOMETRIC_MINISWHITE;
	if (!TIFFGetField(t, TIFFTAG_XRESOLUTION, &pi->xres) || pi->xres <= 0)
		pi->xres = 204;
	if (!TIFFGetField(t, TIFFTAG_YRESOLUTION, &pi->yres) || pi->yres <= 0)
		pi->yres = 98;
	if (pi->compression == COMPRESSION_CCITTFAX3)
		(void)TIFFGetField(t, TIFFTAG_T4OPTIONS, &pi->t4);
	if (pi->compression == COMPRESSION_CCITTFAX4)
		(void)TIFFGetField(t, TIFFTAG_T6OPTIONS, &pi->t6);
	if (bps != 1 || spp != 1 || TIFFIsTiled(t) || pi->width == 0 || pi->height == 0 ||
	    (pi->photometric != PHOTOMETRIC_MINISWHITE &&
	     pi->photometric != PHOTOMETRIC_MINISBLACK))
		return FGW_ERR_TIFF_UNSUPPORTED;
	return FGW_OK;
}

/* Calls fn for every fax page of every part, in order. */
typedef int (*page_fn)(TIFF *in, const struct page_info *pi, uint32_t index, void *arg);

static int each_page(struct parts *p, page_fn fn, void *arg)
{
	struct page_info pi;
	uint32_t index = 0;
	int rc = FGW_OK;

	for (size_t i = 0; rc == FGW_OK && i < p->n; i++) {
		tdir_t dirs = TIFFNumberOfDirectories(p->tif[i]);

		for (tdir_t d = 0; rc == FGW_OK && d < dirs; d++) {
			rc = TIFFSetDirectory(p->tif[i], d) ? page_info(p->tif[i], &pi)
							    : FGW_ERR_TIFF;
			if (rc == FGW_OK)
				rc = fn(p->tif[i], &pi, index++, arg);
		}
	}
	return rc;
}

/* Reads raw strip s into *buf (grown as needed; plaintext: wiped by the
 * caller). */
static int raw_strip(TIFF *in, uint32_t s, uint8_t **buf, size_t *cap, size_t *len)
{
	tmsize_t size = TIFFRawStripSize(in, s);

	if (size <= 0 || (uint64_t)size > VAULT_MAX_PAGE)
		return FGW_ERR_TIFF;
	if ((size_t)size > *cap) {
		uint8_t *b = malloc((size_t)size);

		if (b == NULL)
			return FGW_ERR_NOMEM;
		if (*buf != NULL)
			OPENSSL_cleanse(*buf, *cap);
		free(*buf);
		*buf = b;
		*cap = (size_t)size;
	}
	if (TIFFReadRawStrip(in, s, *buf, size) != size)
		return FGW_ERR_TIFF;
	*len = (size_t)size;
	return FGW_OK;
}

static void free_secret(uint8_t *buf, size_t cap)
{
	if (buf != NULL)
		OPENSSL_cleanse(buf, cap);
	free(buf);
}

/* ---- TIFF: coded strips copied as they are ------------------------------ */

struct tiff_out {
	TIFF *out;
	uint32_t total;
};

static bool copyable(uint16_t compression)
{
	return compression == COMPRESSION_NONE || compression == COMPRESSION_CCITTRLE ||
	       compression == COMPRESSION_CCITTFAX3 || compression == COMPRESSION_CCITTFAX4;
}

static bool set_layout(TIFF *out, const struct page_info *pi, uint32_t index, uint32_t total)
{
	bool ok = TIFFSetField(out, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE) &&
		  TIFFSetField(out, TIFFTAG_IMAGEWIDTH, pi->width) &&
		  TIFFSetField(out, TIFFTAG_IMAGELENGTH, pi->height) &&
		  TIFFSetField(out, TIFFTAG_BITSPERSAMPLE, 1) &&
		  TIFFSetField(out, TIFFTAG_SAMPLESPERPIXEL, 1) &&
		  TIFFSetField(out, TIFFTAG_COMPRESSION, pi->compression) &&
		  TIFFSetField(out, TIFFTAG_PHOTOMETRIC, pi->photometric) &&
		  TIFFSetField(out, TIFFTAG_FILLORDER, pi->fill) &&
		  TIFFSetField(out, TIFFTAG_XRESOLUTION, pi->xres) &&
		  TIFFSetField(out, TIFFTAG_YRESOLUTION, pi->yres) &&
		  TIFFSetField(out, TIFFTAG_RESOLUTIONUNIT, pi->unit) &&
		  TIFFSetField(out, TIFFTAG_ROWSPERSTRIP, pi->rows_per_strip) &&
		  TIFFSetField(out, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
		  TIFFSetField(out, TIFFTAG_PAGENUMBER, (uint16_t)index, (uint16_t)total);

	if (ok && pi->compression == COMPRESSION_CCITTFAX3)
		ok = TIFFSetField(out, TIFFTAG_T4OPTIONS, pi->t4);
	if (ok && pi->compression == COMPRESSION_CCITTFAX4)
		ok = TIFFSetField(out, TIFFTAG_T6OPTIONS, pi->t6);
	return ok;
}

static int copy_page(TIFF *in, const struct page_info *pi, uint32_t index, void *arg)
{
	struct tiff_out *o = arg;
	uint32_t strips = TIFFNumberOfStrips(in);
	uint8_t *buf = NULL;
	size_t cap = 0, len = 0;
	int rc = FGW_OK;

	if (!copyable(pi->compression))
		return FGW_ERR_TIFF_UNSUPPORTED;
	if (!set_layout(o->out, pi, index, o->total))
		return FGW_ERR_IO;
	for (uint32_t s = 0; rc == FGW_OK && s < strips; s++) {
		rc = raw_strip(in, s, &buf, &cap, &len);
		if (rc == FGW_OK && TIFFWriteRawStrip(o->out, s, buf, (tmsize_t)len) != (tmsize_t)len)
			rc = FGW_ERR_IO;
	}
	free_secret(buf, cap);
	if (rc == FGW_OK && !TIFFWriteDirectory(o->out))
		rc = FGW_ERR_IO;
	return rc;
}

static int write_tiff(struct parts *p, int out_fd)
{
	struct tiff_out o = {.total = p->fax_pages};
	int fd = dup(out_fd), rc;

	if (fd < 0)
		return FGW_ERR_IO;
	o.out = TIFFFdOpen(fd, "released fax", "w");
	if (o.out == NULL) {
		close(fd);
		return FGW_ERR_IO;
	}
	rc = each_page(p, copy_page, &o);
	TIFFClose(o.out);
	return rc;
}

/* ---- PDF: G4 data embedded ---------------------------------------------- */

/* Decodes the page with libtiff and encodes it again as one G4 strip in a
 * memory file (lossless: the same pixels), then takes that strip. */
static int reencode_g4(TIFF *in, const struct page_info *pi, uint8_t **buf, size_t *cap,
		       size_t *len)
{
	int mem = memfile_create("faxgw-g4"), fd = mem >= 0 ? dup(mem) : -1, rc = FGW_OK;
	TIFF *t = fd >= 0 ? TIFFFdOpen(fd, "g4", "w") : NULL;
	tmsize_t row_len = TIFFScanlineSize(in);
	uint8_t *row = row_len > 0 ? malloc((size_t)row_len) : NULL;

	if (t == NULL && fd >= 0)
		close(fd);
	if (t == NULL || row == NULL ||
	    !TIFFSetField(t, TIFFTAG_IMAGEWIDTH, pi->width) ||
	    !TIFFSetField(t, TIFFTAG_IMAGELENGTH, pi->height) ||
	    !TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1) ||
	    !TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4) ||
	    !TIFFSetField(t, TIFFTAG_PHOTOMETRIC, pi->photometric) ||
	    !TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB) ||
	    !TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, pi->height))
		rc = mem < 0 ? mem : FGW_ERR_IO;
	for (uint32_t y = 0; rc == FGW_OK && y < pi->height; y++)
		if (TIFFReadScanline(in, row, y, 0) < 0 || TIFFWriteScanline(t, row, y, 0) < 0)
			rc = FGW_ERR_TIFF;
	if (rc == FGW_OK && !TIFFWriteDirectory(t))
		rc = FGW_ERR_IO;
	if (t != NULL)
		TIFFClose(t);
	free_secret(row, row_len > 0 ? (size_t)row_len : 0);
	t = NULL;
	if (rc == FGW_OK && (lseek(mem, 0, SEEK_SET) != 0 || (fd = dup(mem)) < 0))
		rc = FGW_ERR_IO;
	if (rc == FGW_OK && (t = TIFFFdOpen(fd, "g4", "r")) == NULL) {
		close(fd);
		rc = FGW_ERR_TIFF;
	}
	if (rc == FGW_OK)
		rc = TIFFNumberOfStrips(t) == 1 ? raw_strip(t, 0, buf, cap, len) : FGW_ERR_TIFF;
	if (t != NULL)
		TIFFClose(t);
	if (mem >= 0 && memfile_wipe_close(mem) != FGW_OK && rc == FGW_OK)
		rc = FGW_ERR_IO;
	return rc;
}

struct pdf_out {
	struct pdf *pdf;
	uint8_t *buf;
	size_t cap;
};

static double dpi(float res, uint16_t unit)
{
	return unit == RESUNIT_CENTIMETER ? res * 2.54 : res;
}

static int pdf_page_of(TIFF *in, const struct page_info *pi, uint32_t index, void *arg)
{
	struct pdf_out *o = arg;
	struct pdf_page pg = {.width = pi->width, .height = pi->height,
			      .xres = dpi(pi->xres, pi->unit), .yres = dpi(pi->yres, pi->unit),
			      .black_is_1 = pi->photometric == PHOTOMETRIC_MINISBLACK};
	size_t len = 0;
	int rc;

	(void)index;
	/* G4 in one strip, MSB first: exactly what CCITTFaxDecode K -1 reads */
	if (pi->compression == COMPRESSION_CCITTFAX4 && pi->fill == FILLORDER_MSB2LSB &&
	    TIFFNumberOfStrips(in) == 1)
		rc = raw_strip(in, 0, &o->buf, &o->cap, &len);
	else
		rc = reencode_g4(in, pi, &o->buf, &o->cap, &len);
	pg.g4 = o->buf;
	pg.g4_len = len;
	return rc == FGW_OK ? pdf_add_page(o->pdf, &pg) : rc;
}

static int write_pdf(struct parts *p, int out_fd)
{
	struct pdf_out o = {0};
	int rc = pdf_begin(out_fd, &o.pdf);

	if (rc == FGW_OK)
		rc = each_page(p, pdf_page_of, &o);
	if (rc == FGW_OK)
		rc = pdf_finish(o.pdf);
	else
		pdf_abort(o.pdf);
	free_secret(o.buf, o.cap);
	return rc;
}

/* ---- entry -------------------------------------------------------------- */

static int check_owner(struct store *s, const char *mailbox, const char *id)
{
	struct catalog_document row;
	int rc = catalog_document_get(store_catalog(s), id, &row);

	if (rc == FGW_OK && (strcmp(row.mailbox, mailbox) != 0 || mailbox[0] == '\0'))
		rc = FGW_ERR_NOT_FOUND;
	OPENSSL_cleanse(&row, sizeof row);
	return rc;
}

int release_write(struct store *s, const char *mailbox, const char *id, const char *pin,
		  enum release_format fmt, int out_fd, uint32_t *pages)
{
	struct parts p = {0};
	int rc = check_owner(s, mailbox, id);

	if (rc == FGW_OK)
		rc = decrypt_parts(s, id, pin, &p);
	if (rc == FGW_OK)
		rc = open_parts(&p);
	if (rc == FGW_OK)
		rc = fmt == RELEASE_PDF ? write_pdf(&p, out_fd) : write_tiff(&p, out_fd);
	if (rc == FGW_OK && pages != NULL)
		*pages = p.fax_pages;
	parts_free(&p);
	return rc;
}
