/* A minimal PDF writer for fax pages: each page is one bilevel image
 * XObject carrying CCITT Group 4 data as it is (/Filter /CCITTFaxDecode,
 * /K -1), so a fax page goes into the PDF without being decoded or
 * scaled: lossless, and about the size of the fax itself. The page size
 * follows the image's resolution (1728 pixels at 204 dpi = 8.47 in).
 *
 * Pure writer: no daemon state, no libtiff; bytes go to a file
 * descriptor in order (no seeking), so a pipe or memfd works too.
 *
 * Objects: 1 catalog, 2 page tree (written last, once the page count is
 * known), then per page i (from 0): 3+3i page, 4+3i content, 5+3i image.
 * The cross-reference table lists every object's byte offset. */
#ifndef FAXGW_GATEWAY_PDF_H
#define FAXGW_GATEWAY_PDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PDF_MAX_PAGES 10000
#define PDF_MAX_SIDE 65535      /* pixels per side */

struct pdf;

/* One fax page. */
struct pdf_page {
	const uint8_t *g4;        /* CCITT T.6 (G4) data, MSB-first bit order */
	size_t g4_len;
	uint32_t width, height;   /* pixels, 1..PDF_MAX_SIDE */
	double xres, yres;        /* dots per inch, > 0 */
	/* true when a 1 bit of the decoded data is black (the TIFF was
	 * min-is-black); fax pages are min-is-white: false */
	bool black_is_1;
};

/* Starts a PDF written to fd (not owned; not closed). Returns 0 and *out
 * (finish with pdf_finish or pdf_abort), FGW_ERR_NOMEM or FGW_ERR_IO. */
int pdf_begin(int fd, struct pdf **out);

/* Appends one page. Returns 0, FGW_ERR_INVALID (bad size, resolution or
 * empty data), FGW_ERR_TOO_LARGE (over PDF_MAX_PAGES), FGW_ERR_IO. After
 * an error only pdf_abort is useful. */
int pdf_add_page(struct pdf *p, const struct pdf_page *page);

/* Writes the page tree, the cross-reference table and the trailer, and
 * frees p. Returns 0, FGW_ERR_STATE (no page, or an earlier error) or
 * FGW_ERR_IO. */
int pdf_finish(struct pdf *p);

/* Frees p without finishing (what was written stays: the caller removes
 * the file). NULL is fine. */
void pdf_abort(struct pdf *p);

#endif
