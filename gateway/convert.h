/* Documents to fax pages: a TIFF, PDF or PNG, told apart by its content
 * (never its name), becomes a fax-ready TIFF-F (G4, 204x196 dpi, 1728 pels)
 * in a memory file. PDFs go through Ghostscript in a child process with a
 * wall-clock deadline and bounded memory/CPU, since a hostile PDF can take
 * hours. Used by `faxgw send` and the web Send page. */
#ifndef FAXGW_GATEWAY_CONVERT_H
#define FAXGW_GATEWAY_CONVERT_H

#include <stddef.h>

#define CONVERT_TIMEOUT_DEFAULT 60u   /* seconds Ghostscript may run */
#define CONVERT_TIMEOUT_MAX 3600u
#define CONVERT_MSG_MAX 400           /* a msg buffer this size is enough */

enum convert_kind { CONVERT_UNKNOWN, CONVERT_TIFF, CONVERT_PDF, CONVERT_PNG };

/* Returns the kind the first len bytes at head announce (8 are enough). */
enum convert_kind convert_sniff(const void *head, size_t len);

/* Returns "TIFF", "PDF", "PNG" or "unknown"; never NULL. */
const char *convert_kind_name(enum convert_kind kind);

/* Converts the document readable at in_fd (a file or memory file; read from
 * offset 0 by its /proc/self/fd path, so the caller keeps it open and owns
 * it) into a new memory file *out holding a fax-ready TIFF-F, which the
 * caller wipes with memfile_wipe_close; *pages gets its page count. name is
 * how messages call the document. timeout_s (1..CONVERT_TIMEOUT_MAX) bounds
 * Ghostscript. Returns 0, or FGW_ERR_UNSUPPORTED (not a TIFF, PDF or PNG),
 * FGW_ERR_TIMEOUT (Ghostscript stopped), FGW_ERR_PARSE (a damaged PDF or
 * PNG), FGW_ERR_TOO_LARGE, FGW_ERR_TIFF, FGW_ERR_TIFF_UNSUPPORTED,
 * FGW_ERR_NOMEM or FGW_ERR_IO, with *out = -1 and a message for the user in
 * msg (naming the document and saying what to do). */
int convert_to_fax(int in_fd, const char *name, unsigned timeout_s, int *out,
		   unsigned *pages, char *msg, size_t msgsize);

#endif
