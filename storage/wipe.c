#include "storage/wipe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/err.h"
#include "common/log.h"

#define WIPE_BLOCK (64 * 1024)
#define WIPE_MAX_DEPTH 8

static int pwrite_all(int fd, const uint8_t *p, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FGW_ERR_IO;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return FGW_OK;
}

int wipe_fd(int fd, uint64_t *bytes)
{
	uint8_t block[WIPE_BLOCK];
	struct stat st;
	off_t off = 0;
	int rc = FGW_OK;

	if (fstat(fd, &st) != 0)
		return FGW_ERR_IO;
	if (!S_ISREG(st.st_mode))
		return FGW_ERR_INVALID;
	while (rc == FGW_OK && off < st.st_size) {
		size_t n = (size_t)(st.st_size - off) < sizeof block ?
				   (size_t)(st.st_size - off) : sizeof block;
		if (RAND_bytes(block, (int)n) != 1)
			rc = FGW_ERR_CRYPTO;
		else
			rc = pwrite_all(fd, block, n, off);
		off += (off_t)n;
	}
	if (rc == FGW_OK && fsync(fd) != 0)
		rc = FGW_ERR_IO;
	if (bytes != NULL)
		*bytes = rc == FGW_OK ? (uint64_t)st.st_size : 0;
	return rc;
}

/* Overwrites name's content if it is a regular file; links and other
 * kinds have no content of ours and are only unlinked. */
static int overwrite_at(int dirfd, const char *name, uint64_t *bytes)
{
	int fd = openat(dirfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	int rc;

	*bytes = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return FGW_ERR_NOT_FOUND;
		if (errno == ELOOP || errno == ENXIO || errno == EISDIR)
			return FGW_OK;
		log_errno("cannot open %s to wipe it", name);
		return FGW_ERR_IO;
	}
	rc = wipe_fd(fd, bytes);
	if (rc == FGW_ERR_INVALID)
		rc = FGW_OK;
	if (close(fd) != 0 && rc == FGW_OK)
		rc = FGW_ERR_IO;
	if (rc != FGW_OK)
		log_error("cannot overwrite %s: %s", name, fgw_strerror(rc));
	return rc;
}

int wipe_file_at(int dirfd, const char *name, uint64_t *bytes)
{
	uint64_t n = 0;
	int rc = overwrite_at(dirfd, name, &n);

	if (bytes != NULL)
		*bytes = n;
	if (rc != FGW_OK)
		return rc;
	if (unlinkat(dirfd, name, 0) != 0) {
		log_errno("cannot unlink %s", name);
		return errno == ENOENT ? FGW_ERR_NOT_FOUND : FGW_ERR_IO;
	}
	if (fsync(dirfd) != 0) {
		log_errno("cannot fsync the directory of %s", name);
		return FGW_ERR_IO;
	}
	return FGW_OK;
}

int wipe_path(const char *path, uint64_t *bytes)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash == NULL ? 1 : slash == path ? 1 : (size_t)(slash - path);
	char dir[4096];
	int dirfd, rc;

	if (dlen + 1 > sizeof dir)
		return FGW_ERR_TOO_LARGE;
	memcpy(dir, slash == NULL ? "." : slash == path ? "/" : path, dlen);
	dir[dlen] = '\0';
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT ? FGW_ERR_NOT_FOUND : FGW_ERR_IO;
	rc = wipe_file_at(dirfd, slash == NULL ? path : slash + 1, bytes);
	close(dirfd);
	return rc;
}

static bool kept(const char *name, const char *const *keep)
{
	for (; keep != NULL && *keep != NULL; keep++)
		if (strcmp(name, *keep) == 0)
			return true;
	return false;
}

static int wipe_dir_fd(int dirfd, const char *const *keep, struct wipe_tally *t, int depth);

/* Wipes one entry of dirfd: a subdirectory recursively, else a file. */
static int wipe_entry(int dirfd, const char *name, struct wipe_tally *t, int depth)
{
	struct stat st;
	uint64_t bytes = 0;
	int rc, sub;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? FGW_OK : FGW_ERR_IO;
	if (!S_ISDIR(st.st_mode)) {
		rc = wipe_file_at(dirfd, name, &bytes);
		t->files += rc == FGW_OK;
		t->bytes += bytes;
		return rc;
	}
	if (depth >= WIPE_MAX_DEPTH)
		return FGW_ERR_TOO_LARGE;
	sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return FGW_ERR_IO;
	rc = wipe_dir_fd(sub, NULL, t, depth + 1);
	close(sub);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0) {
		log_errno("cannot remove directory %s", name);
		return rc != FGW_OK ? rc : FGW_ERR_IO;
	}
	t->dirs++;
	return rc;
}

static int wipe_dir_fd(int dirfd, const char *const *keep, struct wipe_tally *t, int depth)
{
	int dupfd = dup(dirfd), first = FGW_OK;
	DIR *d = dupfd >= 0 ? fdopendir(dupfd) : NULL;
	struct dirent *e;

	if (d == NULL) {
		if (dupfd >= 0)
			close(dupfd);
		return FGW_ERR_IO;
	}
	while ((e = readdir(d)) != NULL) {
		int rc;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    kept(e->d_name, keep))
			continue;
		rc = wipe_entry(dirfd, e->d_name, t, depth);
		if (rc != FGW_OK && first == FGW_OK)
			first = rc;
	}
	closedir(d);
	if (fsync(dirfd) != 0 && first == FGW_OK)
		first = FGW_ERR_IO;
	return first;
}

int wipe_tree(const char *dir, const char *const *keep, struct wipe_tally *tally)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0) {
		log_errno("cannot open %s", dir);
		return errno == ENOENT ? FGW_ERR_NOT_FOUND : FGW_ERR_IO;
	}
	rc = wipe_dir_fd(fd, keep, tally, 0);
	close(fd);
	return rc;
}
