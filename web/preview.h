/* Page previews for the web UI: one page of a fax TIFF held in memory,
 * rendered as an 8-bit grey PNG in memory, scaled down for a screen. Nothing
 * touches the disk; the caller decides how long the PNG lives. */
#ifndef FAXGW_WEB_PREVIEW_H
#define FAXGW_WEB_PREVIEW_H

#include <stddef.h>
#include <stdint.h>

#define PREVIEW_DEFAULT_WIDTH 860u      /* pixels; what the pages show */
#define PREVIEW_MAX_WIDTH     2000u     /* largest max_width accepted */
#define PREVIEW_MAX_HEIGHT    4000u     /* rows of a preview, whatever the page */
#define PREVIEW_MAX_PNG       (2u * 1024 * 1024)   /* bytes of one PNG */

/* Counts the pages of the TIFF in tiff[0..len). Returns 0 and *pages, or the
 * codes of tiffdoc_open_mem (FGW_ERR_TIFF for a corrupt or non-TIFF input,
 * FGW_ERR_TOO_LARGE, FGW_ERR_NOMEM). */
int preview_page_count(const void *tiff, size_t len, unsigned *pages);

/* Renders page (0-based) of the TIFF in tiff[0..len) as a grey PNG no wider
 * than max_width (1..PREVIEW_MAX_WIDTH; narrower pages keep their width),
 * with the page's aspect ratio corrected for its resolution (a 204x98 dpi
 * page is not squashed). Returns 0 and *png (caller frees with free()) and
 * *png_len; FGW_ERR_INVALID (bad arguments), FGW_ERR_NOT_FOUND (no such
 * page), FGW_ERR_TIFF (corrupt data), FGW_ERR_TIFF_UNSUPPORTED,
 * FGW_ERR_TOO_LARGE (page beyond tiffdoc's limits or PNG beyond
 * PREVIEW_MAX_PNG) or FGW_ERR_NOMEM. On error *png is NULL. */
int preview_png(const void *tiff, size_t len, unsigned page,
		unsigned max_width, uint8_t **png, size_t *png_len);

#endif
