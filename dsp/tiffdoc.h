/* TIFF ingestion: tells whether a TIFF can be sent as a fax as it is and,
 * if not, converts it into a fax-ready TIFF-F (1728 pels wide, 204x196 dpi,
 * bilevel, G4 or G3 2-D). Works one row at a time so memory stays bounded
 * whatever the page size; the limits below reject absurd inputs first.
 *
 * Messages written to a caller's msg buffer name the file, the page (from 1)
 * and the TIFF field, and say what to do; they are meant for the user. */
#ifndef FAXGW_DSP_TIFFDOC_H
#define FAXGW_DSP_TIFFDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIFFDOC_MAX_WIDTH  10000u   /* pels per row of an input page */
#define TIFFDOC_MAX_LENGTH 30000u   /* rows of an input or output page */
#define TIFFDOC_MAX_PAGES  500u
#define TIFFDOC_FAX_WIDTH  1728u    /* the width convert writes */

struct tiffdoc;

/* What one page holds, as read from its directory. Resolutions are in
 * dots per inch (converted from centimetres), 0 when the file gives none. */
struct tiffdoc_page_info {
	uint32_t width;
	uint32_t length;
	double xres;
	double yres;
	uint16_t compression;       /* TIFF Compression value */
	uint16_t photometric;       /* TIFF PhotometricInterpretation value */
	uint16_t bits_per_sample;
	uint16_t samples_per_pixel;
	bool tiled;
	bool fax_ready;             /* can be sent without conversion */
	char reason[160];           /* why not fax-ready; "" when it is */
};

enum tiffdoc_coding {
	TIFFDOC_G4 = 0,             /* T.6 (MMR); the smallest files */
	TIFFDOC_G3_2D = 1           /* T.4 2-D (MR), for peers without T.6 */
};

struct tiffdoc_options {
	enum tiffdoc_coding coding;
	/* Grey and colour pages: false thresholds luminance at 50%; true uses
	 * a 4x4 ordered (Bayer) dither, better for photographs, worse for
	 * text. Bilevel pages are always thresholded. */
	bool dither;
};

/* Opens the TIFF file at path for reading and counts its pages. name (may be
 * NULL: path is used) is how messages call the file. Returns 0 and *out
 * (caller frees with tiffdoc_close), or FGW_ERR_NOT_FOUND, FGW_ERR_IO,
 * FGW_ERR_TIFF (empty, not a TIFF, unreadable directory), FGW_ERR_TOO_LARGE
 * (more than TIFFDOC_MAX_PAGES pages) or FGW_ERR_NOMEM; msg says which. */
int tiffdoc_open_file(const char *path, const char *name, struct tiffdoc **out,
		      char *msg, size_t msgsize);

/* As tiffdoc_open_file, over size bytes at data, which the caller keeps
 * unchanged and alive until tiffdoc_close. Used for uploads and fuzzing. */
int tiffdoc_open_mem(const void *data, size_t size, const char *name,
		     struct tiffdoc **out, char *msg, size_t msgsize);

/* Closes doc and frees everything it holds; NULL is fine. */
void tiffdoc_close(struct tiffdoc *doc);

/* Returns the number of pages (1..TIFFDOC_MAX_PAGES). */
unsigned tiffdoc_pages(const struct tiffdoc *doc);

/* Reads page (0-based) into *info. Returns 0 (info->fax_ready and
 * info->reason tell whether it can be sent as it is), FGW_ERR_TOO_LARGE
 * (beyond the limits above), FGW_ERR_TIFF_UNSUPPORTED (a page convert
 * cannot turn into a fax) or FGW_ERR_TIFF; msg says which page and field. */
int tiffdoc_page_info(struct tiffdoc *doc, unsigned page,
		      struct tiffdoc_page_info *info, char *msg, size_t msgsize);

/* Checks every page, decoding all of its rows, so a truncated or corrupt
 * file is found now rather than halfway through a call. Returns 0 when the
 * document can be faxed, as it is or after tiffdoc_convert; *fax_ready says
 * which, and when false msg names the first page and field that needs
 * conversion. Otherwise the codes of tiffdoc_page_info and tiffdoc_read_rows,
 * msg naming the file, page and field. */
int tiffdoc_check(struct tiffdoc *doc, bool *fax_ready, char *msg,
		  size_t msgsize);

/* Called once per row, top to bottom: width luminance values, 0 black to
 * 255 white. The row is only valid during the call. Return 0 to go on,
 * anything else to stop (tiffdoc_read_rows then returns that value). */
typedef int (*tiffdoc_row_fn)(void *arg, uint32_t row, const uint8_t *lum,
			      uint32_t width);

/* Decodes page (0-based) row by row into fn. Returns 0, fn's non-zero
 * value, or the codes of tiffdoc_page_info; FGW_ERR_TIFF when the data is
 * corrupt or truncated (msg names the page and row). */
int tiffdoc_read_rows(struct tiffdoc *doc, unsigned page, tiffdoc_row_fn fn,
		      void *arg, char *msg, size_t msgsize);

/* Writes every page of doc as a fax-ready TIFF-F to out_fd, which must be an
 * empty file (or memfd) open for reading and writing; it stays open and
 * owned by the caller. opt NULL means G4 and thresholding. Pages are scaled
 * to their physical size at 204x196 dpi and centred when narrower than the
 * fax width, or fitted to it (aspect kept) when wider or without a
 * resolution. Returns 0, or the codes above plus FGW_ERR_IO; on error the
 * contents of out_fd are meaningless. */
int tiffdoc_convert(struct tiffdoc *doc, int out_fd,
		    const struct tiffdoc_options *opt, char *msg,
		    size_t msgsize);

#endif
