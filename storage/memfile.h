/* Memory-only files (memfd) for plaintext that a library insists on
 * reading or writing as a file (SpanDSP writes received pages to a TIFF
 * path: give it memfile_path()). Nothing reaches a disk; when done the
 * content is overwritten and the file truncated before it is closed. */
#ifndef FAXGW_STORAGE_MEMFILE_H
#define FAXGW_STORAGE_MEMFILE_H

#include <stddef.h>

#define MEMFILE_PATH_MAX 32

/* Creates an empty memory file (close-on-exec) named name (for
 * /proc/self/fd listings only). Returns its fd (>= 0) or FGW_ERR_IO. */
int memfile_create(const char *name);

/* Writes "/proc/self/fd/N" for fd into path. Returns 0 or
 * FGW_ERR_TOO_LARGE. */
int memfile_path(int fd, char path[static MEMFILE_PATH_MAX]);

/* Overwrites the whole content with zeros, truncates to 0 and closes fd
 * (always closed). Returns 0 or FGW_ERR_IO. */
int memfile_wipe_close(int fd);

#endif
