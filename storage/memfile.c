#include "storage/memfile.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"

#define ZERO_BLOCK 8192

int memfile_create(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0) {
		log_errno("memfd_create %s", name);
		return FGW_ERR_IO;
	}
	return fd;
}

int memfile_path(int fd, char path[static MEMFILE_PATH_MAX])
{
	return str_format(path, MEMFILE_PATH_MAX, "/proc/self/fd/%d", fd);
}

/* Zeros first: pages freed by truncation go back to the kernel, which
 * clears them only when they are handed out again. */
static int zero_fill(int fd)
{
	static const unsigned char zeros[ZERO_BLOCK];
	struct stat st;
	off_t off = 0;

	if (fstat(fd, &st) != 0)
		return FGW_ERR_IO;
	while (off < st.st_size) {
		size_t n = (size_t)(st.st_size - off) < sizeof zeros ?
				   (size_t)(st.st_size - off) : sizeof zeros;
		ssize_t w = pwrite(fd, zeros, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return FGW_ERR_IO;
		off += w;
	}
	return FGW_OK;
}

int memfile_wipe_close(int fd)
{
	int rc = zero_fill(fd);

	if (ftruncate(fd, 0) != 0 && rc == FGW_OK)
		rc = FGW_ERR_IO;
	if (close(fd) != 0 && rc == FGW_OK)
		rc = FGW_ERR_IO;
	return rc;
}
