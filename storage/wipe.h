/* Secure removal of files: overwrite every byte with random data, fsync,
 * unlink, fsync the directory. On flash and copy-on-write file systems an
 * overwrite may land on new blocks; that is why document data is also
 * encrypted under keys that are destroyed first (cryptographic erase), and
 * the overwrite is the second line ("clear"). */
#ifndef FAXGW_STORAGE_WIPE_H
#define FAXGW_STORAGE_WIPE_H

#include <stdint.h>

/* What a wipe destroyed. */
struct wipe_tally {
	uint64_t files; /* files overwritten and unlinked */
	uint64_t bytes; /* bytes overwritten */
	uint64_t dirs;  /* directories removed */
};

/* Overwrites the whole of the open regular file fd with random bytes and
 * fsyncs it (the file stays, same size). *bytes (may be NULL) gets the
 * size. Returns 0, FGW_ERR_INVALID (not a regular file) or FGW_ERR_IO. */
int wipe_fd(int fd, uint64_t *bytes);

/* Overwrites, fsyncs and unlinks the regular file name inside the
 * directory dirfd, then fsyncs that directory. Links are unlinked without
 * following them. *bytes (may be NULL) gets the size overwritten. Returns
 * 0, FGW_ERR_NOT_FOUND or FGW_ERR_IO (logged with the name). */
int wipe_file_at(int dirfd, const char *name, uint64_t *bytes);

/* wipe_file_at for a path. */
int wipe_path(const char *path, uint64_t *bytes);

/* Wipes every file below dir (depth-first, links unlinked, not followed)
 * and removes its subdirectories; dir itself stays. Names listed in keep
 * (NULL-terminated array, may be NULL) are left alone at the top level.
 * Adds to *tally. Goes on after a failure and returns the first error. */
int wipe_tree(const char *dir, const char *const *keep, struct wipe_tally *tally);

#endif
