/* The vault: encrypted document blobs in one directory, one file each.
 *
 * A document is a sequence of pages (byte blobs). Its plaintext stream is
 * page records ('P', u64 length, bytes) and an index record ('E', u32
 * count, then count x (u64 offset, u64 length)); the stream is cut into
 * 64 KiB chunks, each sealed with AES-256-GCM under the document's own key.
 *
 * File format, version 1 (all integers big-endian):
 *   header (80 bytes)
 *     0  "FGWV"   4  version (1)   5  chunk shift (16)   6  zero (2)
 *     8  document id (16)   24  key id (16)   40  nonce prefix (7)   47  zero
 *     48 plaintext length (8)   56 page count (4)   60 zero (4)
 *     64 header tag (16): GCM over bytes 0..63, nonce prefix|FFFFFFFF|48
 *   chunks, each: counter (4), flags (1: bit 0 = last), zero (3),
 *     document id prefix (8), ciphertext (<= 64 KiB), tag (16)
 *   A chunk's nonce is prefix|counter|flags, its AAD the header's first 48
 *   bytes plus the chunk's own 16-byte frame as it must be, so a chunk that
 *   is moved, reused in another document, flipped or cut never verifies.
 *   The clear frame only lets the reader say which of these happened.
 *
 * Errors when reading: FGW_ERR_PARSE (not a vault file, or a malformed
 * stream), FGW_ERR_VERSION (unknown version: refused), FGW_ERR_TAMPERED
 * (header altered or data after the end), FGW_ERR_MISMATCH (the file
 * belongs to another document or key), FGW_ERR_SPLICED (a chunk from another
 * document), FGW_ERR_REORDERED (chunks out of order), FGW_ERR_AUTH (a chunk's bytes altered), FGW_ERR_TRUNCATED (the
 * file ends early), FGW_ERR_IO. Details are logged with log_warn.
 *
 * Memory stays flat: a writer or reader holds two chunk buffers and 16
 * bytes per page, whatever the document size. */
#ifndef FAXGW_STORAGE_VAULT_H
#define FAXGW_STORAGE_VAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/keys.h"

#define VAULT_VERSION 1
#define VAULT_CHUNK (64 * 1024)
#define VAULT_HEADER_LEN 80
#define VAULT_CHUNK_OVERHEAD 32       /* frame + tag */
#define VAULT_ID_LEN 32               /* hex digits of a document id */
#define VAULT_MAX_PAGES 10000
#define VAULT_MAX_PAGE (512ull * 1024 * 1024)
#define VAULT_SUFFIX ".fgv"
#define VAULT_TMP_PREFIX ".tmp-"

struct vault;
struct vault_writer;
struct vault_reader;

/* Makes a fresh random document id: 32 lowercase hex digits in id (33
 * bytes with NUL). Returns 0 or FGW_ERR_CRYPTO. */
int vault_new_id(char id[static VAULT_ID_LEN + 1]);

/* Parses a document id into its 16 bytes. Returns 0 or FGW_ERR_PARSE. */
int vault_parse_id(const char *id, uint8_t raw[static KEYS_DOC_ID_LEN]);

/* Writes the blob file name of id ("<id>.fgv") into name (size bytes).
 * Returns 0, FGW_ERR_PARSE or FGW_ERR_TOO_LARGE. */
int vault_blob_name(const char *id, char *name, size_t size);

/* Opens the vault directory dir, creating it (0700) when create is set.
 * Returns 0 and *out (caller frees with vault_close), or FGW_ERR_IO,
 * FGW_ERR_NOT_FOUND, FGW_ERR_PERMISSION (group/other can access it). */
int vault_open(const char *dir, bool create, struct vault **out);
void vault_close(struct vault *v);

/* Returns the vault's directory path; owned by v. */
const char *vault_dir(const struct vault *v);

/* Starts writing document id under key (key_id is stored in the header).
 * Data goes to a temporary file until vault_writer_finish; the writer
 * holds an exclusive flock on it throughout (see vault_lock_file). Returns 0 and
 * *out, FGW_ERR_EXISTS (a blob with this id exists), FGW_ERR_PARSE (bad
 * id), FGW_ERR_IO. The key is copied; the caller keeps and wipes its own. */
int vault_writer_open(struct vault *v, const char *id, const uint8_t key[static KEYS_LEN],
		      const uint8_t key_id[static KEYS_KEY_ID_LEN], struct vault_writer **out);

/* Appends one page of len bytes. Returns 0, FGW_ERR_TOO_LARGE (page or
 * page count over the limits), FGW_ERR_IO, FGW_ERR_NO_SPACE. */
int vault_writer_add_page(struct vault_writer *w, const void *data, size_t len);

/* Appends one page holding the whole content of fd (read from offset 0 by
 * pread, in chunks: memory stays flat). Returns as vault_writer_add_page. */
int vault_writer_add_page_fd(struct vault_writer *w, int fd);

/* Seals the last chunk and the header, fsyncs, renames the temporary file
 * to its blob name and fsyncs the directory. Always frees w; on failure
 * the temporary file has been wiped. *size (may be NULL) gets the total
 * bytes of pages written. Returns 0 or an FGW_ERR_* code. */
int vault_writer_finish(struct vault_writer *w, uint64_t *size);

/* As vault_writer_finish, but the blob's descriptor stays open and
 * locked (flock LOCK_EX, held since vault_writer_open) in *held_fd: the
 * orphan sweep of another process skips locked files, so the caller
 * records the blob in the catalog and only then close()s *held_fd.
 * *held_fd is -1 on failure. */
int vault_writer_finish_held(struct vault_writer *w, uint64_t *size, int *held_fd);

/* Wipes the temporary file and frees w. NULL is fine. */
void vault_writer_abort(struct vault_writer *w);

/* Opens document id for reading with key; key_id must match the header.
 * Checks header, size and (when the file is not truncated) nothing else
 * yet: chunks are verified as they are read. Returns 0 and *out (caller
 * closes), FGW_ERR_NOT_FOUND, or a read error above. */
int vault_reader_open(struct vault *v, const char *id, const uint8_t key[static KEYS_LEN],
		      const uint8_t key_id[static KEYS_KEY_ID_LEN], struct vault_reader **out);

/* As vault_reader_open on an already open file descriptor (not owned: the
 * caller closes it after vault_reader_close). doc_id and key_id NULL mean
 * "accept what the header says" (for the fuzzer). */
int vault_reader_open_fd(int fd, const uint8_t *doc_id, const uint8_t key[static KEYS_LEN],
			 const uint8_t *key_id, struct vault_reader **out);

/* The page count and the total page bytes stated in the verified header. */
uint32_t vault_reader_pages(const struct vault_reader *r);

/* Advances to the next page. Returns 1 and *len (may be NULL) when a page
 * starts, 0 at the end of the document (after checking the index and that
 * nothing follows), or a negative read error. Unread bytes of the current
 * page are skipped (still authenticated). */
int vault_reader_next_page(struct vault_reader *r, uint64_t *len);

/* Reads up to cap bytes of the current page into buf; *got = 0 means the
 * page is done. Returns 0 or a negative read error. */
int vault_reader_read(struct vault_reader *r, void *buf, size_t cap, size_t *got);

/* Copies the rest of the current page to fd (written at its current
 * offset). Returns 0, FGW_ERR_IO or a read error. */
int vault_reader_page_to_fd(struct vault_reader *r, int fd);

/* Wipes buffers and the key, frees r. NULL is fine. */
void vault_reader_close(struct vault_reader *r);

/* Calls fn for every file in the vault directory other than "." and "..":
 * name, and whether it is an unfinished temporary file. fn returns 0 to go
 * on; anything else stops and is returned. */
typedef int (*vault_file_fn)(const char *name, bool temporary, void *arg);
int vault_list(struct vault *v, vault_file_fn fn, void *arg);

/* Returns the document id of a blob name ("<id>.fgv") in id, or
 * FGW_ERR_PARSE when name is not a blob name. */
int vault_name_to_id(const char *name, char id[static VAULT_ID_LEN + 1]);

/* Locks the vault file name against writers (flock LOCK_EX, not waiting),
 * so that it can be wiped without racing the process writing it. Returns
 * 0 and *fd (close it to unlock, after the wipe), FGW_ERR_BUSY (a writer
 * holds it: leave it alone), FGW_ERR_NOT_FOUND (gone meanwhile),
 * FGW_ERR_INVALID or FGW_ERR_IO. */
int vault_lock_file(struct vault *v, const char *name, int *fd);

/* Overwrites a vault file (by name) with random bytes, fsyncs, unlinks and
 * fsyncs the directory; *bytes (may be NULL) gets its size. Returns 0,
 * FGW_ERR_NOT_FOUND or FGW_ERR_IO. */
int vault_wipe_file(struct vault *v, const char *name, uint64_t *bytes);

#endif
