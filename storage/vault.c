/* Vault blobs: see vault.h for the format. The writer and reader each keep
 * one cipher context keyed once; per chunk only the nonce changes. */
#include "storage/vault.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/wipe.h"

#define MAGIC "FGWV"
#define CHUNK_SHIFT 16
#define CORE_LEN 48
#define HDR_TAG_OFF 64
#define FRAME_LEN 16
#define TAG_LEN 16
#define PREFIX_LEN 7
#define FLAG_LAST 1
#define HDR_FLAGS 0x48 /* nonce flags byte of the header tag: never a chunk's */
#define REC_PAGE 'P'
#define REC_END 'E'
#define INDEX_ENTRY 16
#define NAME_CAP 64
/* The plaintext may not exceed what fits 2^31 chunks. */
#define MAX_PLAIN ((uint64_t)VAULT_CHUNK * 0x7fffffffull)

struct vault {
	int dirfd;
	char dir[4096];
};

/* One direction of AES-256-GCM under a document key, plus what every
 * chunk's nonce and AAD are made of. */
struct crypt {
	EVP_CIPHER_CTX *ctx;
	uint8_t key[KEYS_LEN];
	uint8_t header[VAULT_HEADER_LEN]; /* the first CORE_LEN bytes go in AAD */
	const char *name;                 /* for messages */
};

struct vault_writer {
	struct vault *v;
	int fd;
	int error;
	char tmp[NAME_CAP], final[NAME_CAP];
	struct crypt c;
	uint32_t counter;
	size_t fill;
	uint64_t stream_len, page_bytes;
	uint32_t npages, index_cap;
	uint64_t *index; /* offset, length per page */
	uint8_t plain[VAULT_CHUNK];
	uint8_t out[FRAME_LEN + VAULT_CHUNK + TAG_LEN];
};

struct vault_reader {
	int fd;
	bool own_fd;
	int error;
	char name[NAME_CAP];
	struct crypt c;
	uint64_t plain_len, stream_pos, page_left;
	uint32_t npages, nchunks, next_chunk, page_no;
	size_t fill, pos;
	bool in_page, done;
	EVP_MD_CTX *index_hash; /* of the (offset, length) pairs seen */
	uint8_t plain[VAULT_CHUNK];
	uint8_t in[FRAME_LEN + VAULT_CHUNK + TAG_LEN];
};

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* ---- ids and names ------------------------------------------------------ */

int vault_new_id(char id[static VAULT_ID_LEN + 1])
{
	uint8_t raw[KEYS_DOC_ID_LEN];

	if (RAND_bytes(raw, sizeof raw) != 1)
		return FGW_ERR_CRYPTO;
	for (size_t i = 0; i < sizeof raw; i++)
		if (str_format(id + 2 * i, 3, "%02x", raw[i]) != FGW_OK)
			return FGW_ERR_RANGE;
	return FGW_OK;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int vault_parse_id(const char *id, uint8_t raw[static KEYS_DOC_ID_LEN])
{
	if (id == NULL || strlen(id) != VAULT_ID_LEN)
		return FGW_ERR_PARSE;
	for (size_t i = 0; i < KEYS_DOC_ID_LEN; i++) {
		int hi = hexval(id[2 * i]), lo = hexval(id[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return FGW_ERR_PARSE;
		raw[i] = (uint8_t)(hi << 4 | lo);
	}
	return FGW_OK;
}

int vault_blob_name(const char *id, char *name, size_t size)
{
	uint8_t raw[KEYS_DOC_ID_LEN];

	if (vault_parse_id(id, raw) != FGW_OK)
		return FGW_ERR_PARSE;
	return str_format(name, size, "%s%s", id, VAULT_SUFFIX);
}

int vault_name_to_id(const char *name, char id[static VAULT_ID_LEN + 1])
{
	uint8_t raw[KEYS_DOC_ID_LEN];

	if (strlen(name) != VAULT_ID_LEN + strlen(VAULT_SUFFIX) ||
	    strcmp(name + VAULT_ID_LEN, VAULT_SUFFIX) != 0)
		return FGW_ERR_PARSE;
	memcpy(id, name, VAULT_ID_LEN);
	id[VAULT_ID_LEN] = '\0';
	return vault_parse_id(id, raw);
}

/* ---- the directory ------------------------------------------------------ */

static int check_dir(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) != 0)
		return errno == ENOENT ? FGW_ERR_NOT_FOUND : FGW_ERR_IO;
	if (!S_ISDIR(st.st_mode)) {
		log_error("%s is not a directory", dir);
		return FGW_ERR_PERMISSION;
	}
	if ((st.st_mode & 077) != 0) {
		log_error("%s has mode %04o but must be accessible by its owner only: "
			  "run chmod 700 %s", dir, (unsigned)(st.st_mode & 07777), dir);
		return FGW_ERR_PERMISSION;
	}
	return FGW_OK;
}

int vault_open(const char *dir, bool create, struct vault **out)
{
	struct vault *v;
	int rc;

	*out = NULL;
	if (create && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_errno("cannot create %s", dir);
		return FGW_ERR_IO;
	}
	if ((rc = check_dir(dir)) != FGW_OK)
		return rc;
	if ((v = calloc(1, sizeof *v)) == NULL)
		return FGW_ERR_NOMEM;
	if (str_copy(v->dir, sizeof v->dir, dir) != FGW_OK) {
		free(v);
		return FGW_ERR_TOO_LARGE;
	}
	v->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v->dirfd < 0) {
		log_errno("cannot open %s", dir);
		free(v);
		return FGW_ERR_IO;
	}
	*out = v;
	return FGW_OK;
}

void vault_close(struct vault *v)
{
	if (v == NULL)
		return;
	close(v->dirfd);
	free(v);
}

const char *vault_dir(const struct vault *v)
{
	return v->dir;
}

int vault_list(struct vault *v, vault_file_fn fn, void *arg)
{
	int fd = dup(v->dirfd), rc = FGW_OK;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return FGW_ERR_IO;
	}
	rewinddir(d);
	while (rc == FGW_OK && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		rc = fn(e->d_name, strncmp(e->d_name, VAULT_TMP_PREFIX,
					   strlen(VAULT_TMP_PREFIX)) == 0, arg);
	}
	closedir(d);
	return rc;
}

int vault_lock_file(struct vault *v, const char *name, int *fd)
{
	struct stat st;

	*fd = -1;
	if (strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return FGW_ERR_INVALID;
	*fd = openat(v->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (*fd < 0)
		return errno == ENOENT ? FGW_ERR_NOT_FOUND : FGW_ERR_IO;
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0 || fstat(*fd, &st) != 0 || st.st_nlink == 0) {
		int rc = errno == EWOULDBLOCK ? FGW_ERR_BUSY : FGW_ERR_NOT_FOUND;

		close(*fd);
		*fd = -1;
		return rc;
	}
	return FGW_OK;
}

int vault_wipe_file(struct vault *v, const char *name, uint64_t *bytes)
{
	if (strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return FGW_ERR_INVALID;
	return wipe_file_at(v->dirfd, name, bytes);
}

/* ---- chunk crypto ------------------------------------------------------- */

static int crypt_init(struct crypt *c, bool seal, const uint8_t key[static KEYS_LEN])
{
	memcpy(c->key, key, KEYS_LEN);
	c->ctx = EVP_CIPHER_CTX_new();
	if (c->ctx == NULL ||
	    EVP_CipherInit_ex(c->ctx, EVP_aes_256_gcm(), NULL, c->key, NULL, seal) != 1)
		return FGW_ERR_CRYPTO;
	return FGW_OK;
}

static void crypt_free(struct crypt *c)
{
	EVP_CIPHER_CTX_free(c->ctx);
	c->ctx = NULL;
	OPENSSL_cleanse(c->key, sizeof c->key);
}

static void make_frame(const struct crypt *c, uint32_t counter, bool last, uint8_t frame[FRAME_LEN])
{
	memset(frame, 0, FRAME_LEN);
	put_be(frame, counter, 4);
	frame[4] = last ? FLAG_LAST : 0;
	memcpy(frame + 8, c->header + 8, 8);
}

/* Seals or opens one chunk of len bytes from in to out (distinct
 * buffers: no extra copy), tag written (seal) or checked (open). The
 * frame used for nonce and AAD is the expected one, not the stored one. */
static int crypt_chunk(struct crypt *c, const uint8_t frame[FRAME_LEN], const uint8_t *in,
		       uint8_t *out, size_t len, uint8_t tag[TAG_LEN], bool seal)
{
	uint8_t nonce[12], rest[16];
	int n, ok;

	memcpy(nonce, c->header + 40, PREFIX_LEN);
	memcpy(nonce + PREFIX_LEN, frame, 5);
	ok = EVP_CipherInit_ex(c->ctx, NULL, NULL, NULL, nonce, seal) == 1 &&
	     EVP_CipherUpdate(c->ctx, NULL, &n, c->header, CORE_LEN) == 1 &&
	     EVP_CipherUpdate(c->ctx, NULL, &n, frame, FRAME_LEN) == 1 &&
	     (len == 0 || EVP_CipherUpdate(c->ctx, out, &n, in, (int)len) == 1);
	if (ok && !seal)
		ok = EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
	if (!ok)
		return FGW_ERR_CRYPTO;
	if (EVP_CipherFinal_ex(c->ctx, rest, &n) != 1)
		return seal ? FGW_ERR_CRYPTO : FGW_ERR_AUTH;
	if (seal && EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
		return FGW_ERR_CRYPTO;
	return FGW_OK;
}

/* The header tag authenticates every header byte, the length and page
 * count included, which are only known at the end of writing. */
static int header_tag(const struct crypt *c, uint8_t tag[TAG_LEN], bool seal)
{
	uint8_t nonce[12];

	memcpy(nonce, c->header + 40, PREFIX_LEN);
	put_be(nonce + PREFIX_LEN, 0xffffffffu, 4);
	nonce[11] = HDR_FLAGS;
	if (seal)
		return keys_gcm_seal(c->key, nonce, c->header, HDR_TAG_OFF, NULL, 0, NULL, tag);
	return keys_gcm_open(c->key, nonce, c->header, HDR_TAG_OFF, NULL, 0, NULL, tag);
}

/* ---- writing ------------------------------------------------------------ */

static int pwrite_all(int fd, const uint8_t *p, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return errno == ENOSPC ? FGW_ERR_NO_SPACE : FGW_ERR_IO;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return FGW_OK;
}

static off_t chunk_offset(uint32_t counter)
{
	return VAULT_HEADER_LEN + (off_t)counter * (FRAME_LEN + VAULT_CHUNK + TAG_LEN);
}

/* Seals len bytes at src as the next chunk and writes it. */
static int emit_from(struct vault_writer *w, const uint8_t *src, size_t len, bool last)
{
	uint8_t *out = w->out;
	int rc;

	if (w->counter == 0x7fffffffu)
		return FGW_ERR_TOO_LARGE;
	make_frame(&w->c, w->counter, last, out);
	rc = crypt_chunk(&w->c, out, src, out + FRAME_LEN, len, out + FRAME_LEN + len, true);
	if (rc == FGW_OK)
		rc = pwrite_all(w->fd, out, FRAME_LEN + len + TAG_LEN, chunk_offset(w->counter));
	w->counter++;
	return rc;
}

/* The buffer is not wiped per chunk (the next one overwrites it); it is
 * wiped when the writer is freed. */
static int emit_chunk(struct vault_writer *w, bool last)
{
	int rc = emit_from(w, w->plain, w->fill, last);

	w->fill = 0;
	return rc;
}

/* Adds bytes to the stream; a full buffer is sealed only once more bytes
 * come, so the final chunk is never empty and carries the last flag.
 * Whole chunks of a large page are sealed straight from the caller's
 * memory, saving a copy. */
static int stream_put(struct vault_writer *w, const void *data, size_t len)
{
	const uint8_t *p = data;
	int rc;

	while (len > 0) {
		size_t n = VAULT_CHUNK - w->fill;
		if (w->fill == 0 && len > VAULT_CHUNK) {
			if ((rc = emit_from(w, p, VAULT_CHUNK, false)) != FGW_OK)
				return rc;
			w->stream_len += VAULT_CHUNK;
			p += VAULT_CHUNK;
			len -= VAULT_CHUNK;
			continue;
		}
		if (n == 0) {
			if ((rc = emit_chunk(w, false)) != FGW_OK)
				return rc;
			n = VAULT_CHUNK;
		}
		if (n > len)
			n = len;
		memcpy(w->plain + w->fill, p, n);
		w->fill += n;
		w->stream_len += n;
		p += n;
		len -= n;
	}
	return FGW_OK;
}

static int writer_setup(struct vault_writer *w, const uint8_t doc_id[static KEYS_DOC_ID_LEN],
			const uint8_t key[static KEYS_LEN],
			const uint8_t key_id[static KEYS_KEY_ID_LEN])
{
	uint8_t *h = w->c.header;

	memcpy(h, MAGIC, 4);
	h[4] = VAULT_VERSION;
	h[5] = CHUNK_SHIFT;
	memcpy(h + 8, doc_id, KEYS_DOC_ID_LEN);
	memcpy(h + 24, key_id, KEYS_KEY_ID_LEN);
	if (RAND_bytes(h + 40, PREFIX_LEN) != 1)
		return FGW_ERR_CRYPTO;
	w->c.name = w->final;
	return crypt_init(&w->c, true, key);
}

/* Takes the writer's lock on its new file. The orphan sweep of another
 * process may have locked and wiped it between our open and this lock;
 * then the file is gone (no links) and the caller makes it again. */
static int lock_new_file(struct vault_writer *w, bool *gone)
{
	struct stat st;

	*gone = false;
	while (flock(w->fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			log_errno("cannot lock %s/%s", w->v->dir, w->tmp);
			return FGW_ERR_IO;
		}
	if (fstat(w->fd, &st) != 0)
		return FGW_ERR_IO;
	*gone = st.st_nlink == 0;
	return FGW_OK;
}

/* A blob made by root (an admin's faxgw command) must stay usable by the
 * service user that owns the vault, who runs faxgwd. */
static int match_dir_owner(struct vault *v, int fd)
{
	struct stat dir;

	if (geteuid() != 0 || fstat(v->dirfd, &dir) != 0 || dir.st_uid == 0)
		return FGW_OK;
	if (fchown(fd, dir.st_uid, dir.st_gid) != 0) {
		log_errno("cannot give a new blob in %s to uid %u", v->dir, (unsigned)dir.st_uid);
		return FGW_ERR_IO;
	}
	return FGW_OK;
}

static int writer_create(struct vault_writer *w, const char *id)
{
	struct stat st;
	bool gone = true;
	int rc = FGW_OK;

	if (vault_blob_name(id, w->final, sizeof w->final) != FGW_OK ||
	    str_format(w->tmp, sizeof w->tmp, "%s%s", VAULT_TMP_PREFIX, w->final) != FGW_OK)
		return FGW_ERR_PARSE;
	if (fstatat(w->v->dirfd, w->final, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return FGW_ERR_EXISTS;
	for (int tries = 0; rc == FGW_OK && gone && tries < 3; tries++) {
		if (w->fd >= 0)
			close(w->fd);
		w->fd = openat(w->v->dirfd, w->tmp,
			       O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (w->fd < 0) {
			log_errno("cannot create %s/%s", w->v->dir, w->tmp);
			return errno == EEXIST ? FGW_ERR_EXISTS : FGW_ERR_IO;
		}
		if ((rc = match_dir_owner(w->v, w->fd)) != FGW_OK)
			return rc;
		rc = lock_new_file(w, &gone);
	}
	return rc == FGW_OK && gone ? FGW_ERR_IO : rc;
}

int vault_writer_open(struct vault *v, const char *id, const uint8_t key[static KEYS_LEN],
		      const uint8_t key_id[static KEYS_KEY_ID_LEN], struct vault_writer **out)
{
	uint8_t raw[KEYS_DOC_ID_LEN];
	struct vault_writer *w;
	int rc;

	*out = NULL;
	if (vault_parse_id(id, raw) != FGW_OK)
		return FGW_ERR_PARSE;
	if ((w = calloc(1, sizeof *w)) == NULL)
		return FGW_ERR_NOMEM;
	w->v = v;
	w->fd = -1;
	rc = writer_create(w, id);
	if (rc == FGW_OK)
		rc = writer_setup(w, raw, key, key_id);
	if (rc != FGW_OK) {
		if (w->fd >= 0)
			vault_writer_abort(w);
		else
			free(w);
		return rc;
	}
	*out = w;
	return FGW_OK;
}

static int index_add(struct vault_writer *w, uint64_t len)
{
	if (w->npages >= VAULT_MAX_PAGES || len > VAULT_MAX_PAGE ||
	    w->page_bytes + len > MAX_PLAIN / 2)
		return FGW_ERR_TOO_LARGE;
	if (w->npages == w->index_cap) {
		uint32_t cap = w->index_cap == 0 ? 16 : w->index_cap * 2;
		uint64_t *p = realloc(w->index, (size_t)cap * 2 * sizeof *p);
		if (p == NULL)
			return FGW_ERR_NOMEM;
		w->index = p;
		w->index_cap = cap;
	}
	w->index[2 * w->npages] = w->stream_len;
	w->index[2 * w->npages + 1] = len;
	w->npages++;
	w->page_bytes += len;
	return FGW_OK;
}

static int page_begin(struct vault_writer *w, uint64_t len)
{
	uint8_t rec[9];
	int rc;

	if (w->error != FGW_OK)
		return w->error;
	if ((rc = index_add(w, len)) != FGW_OK)
		return rc;
	rec[0] = REC_PAGE;
	put_be(rec + 1, len, 8);
	return stream_put(w, rec, sizeof rec);
}

int vault_writer_add_page(struct vault_writer *w, const void *data, size_t len)
{
	int rc = page_begin(w, len);

	if (rc == FGW_OK)
		rc = stream_put(w, data, len);
	if (rc != FGW_OK && rc != FGW_ERR_TOO_LARGE)
		w->error = rc;
	return rc;
}

/* Reads fd straight into the chunk buffer: no second copy of the page. */
static int stream_put_fd(struct vault_writer *w, int fd, uint64_t len)
{
	off_t off = 0;
	int rc;

	while (len > 0) {
		size_t n = VAULT_CHUNK - w->fill;
		ssize_t got;
		if (n == 0) {
			if ((rc = emit_chunk(w, false)) != FGW_OK)
				return rc;
			n = VAULT_CHUNK;
		}
		if (n > len)
			n = (size_t)len;
		got = pread(fd, w->plain + w->fill, n, off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return FGW_ERR_IO; /* read error, or the file shrank */
		w->fill += (size_t)got;
		w->stream_len += (uint64_t)got;
		off += got;
		len -= (uint64_t)got;
	}
	return FGW_OK;
}

int vault_writer_add_page_fd(struct vault_writer *w, int fd)
{
	struct stat st;
	int rc;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return FGW_ERR_INVALID;
	rc = page_begin(w, (uint64_t)st.st_size);
	if (rc == FGW_OK)
		rc = stream_put_fd(w, fd, (uint64_t)st.st_size);
	if (rc != FGW_OK && rc != FGW_ERR_TOO_LARGE)
		w->error = rc;
	return rc;
}

static int write_index(struct vault_writer *w)
{
	uint8_t rec[5], entry[INDEX_ENTRY];
	int rc;

	rec[0] = REC_END;
	put_be(rec + 1, w->npages, 4);
	rc = stream_put(w, rec, sizeof rec);
	for (uint32_t i = 0; rc == FGW_OK && i < w->npages; i++) {
		put_be(entry, w->index[2 * i], 8);
		put_be(entry + 8, w->index[2 * i + 1], 8);
		rc = stream_put(w, entry, sizeof entry);
	}
	return rc;
}

static int write_header(struct vault_writer *w)
{
	uint8_t *h = w->c.header;
	int rc;

	put_be(h + 48, w->stream_len, 8);
	put_be(h + 56, w->npages, 4);
	rc = header_tag(&w->c, h + HDR_TAG_OFF, true);
	if (rc == FGW_OK)
		rc = pwrite_all(w->fd, h, VAULT_HEADER_LEN, 0);
	return rc;
}

/* Makes the finished file durable under its final name. */
static int commit_file(struct vault_writer *w)
{
	if (fsync(w->fd) != 0) {
		log_errno("cannot fsync %s/%s", w->v->dir, w->tmp);
		return FGW_ERR_IO;
	}
	if (renameat2(w->v->dirfd, w->tmp, w->v->dirfd, w->final, RENAME_NOREPLACE) != 0) {
		log_errno("cannot rename %s to %s in %s", w->tmp, w->final, w->v->dir);
		return errno == EEXIST ? FGW_ERR_EXISTS : FGW_ERR_IO;
	}
	if (fsync(w->v->dirfd) != 0) {
		log_errno("cannot fsync %s", w->v->dir);
		return FGW_ERR_IO;
	}
	return FGW_OK;
}

static void writer_free(struct vault_writer *w)
{
	crypt_free(&w->c);
	free(w->index);
	OPENSSL_cleanse(w->plain, sizeof w->plain);
	free(w);
}

int vault_writer_finish(struct vault_writer *w, uint64_t *size)
{
	int fd = -1, rc = vault_writer_finish_held(w, size, &fd);

	if (fd >= 0)
		close(fd);
	return rc;
}

int vault_writer_finish_held(struct vault_writer *w, uint64_t *size, int *held_fd)
{
	int rc = w->error;

	*held_fd = -1;
	if (rc == FGW_OK)
		rc = write_index(w);
	if (rc == FGW_OK)
		rc = emit_chunk(w, true);
	if (rc == FGW_OK)
		rc = write_header(w);
	if (rc == FGW_OK)
		rc = commit_file(w);
	if (rc != FGW_OK) {
		vault_writer_abort(w);
		return rc;
	}
	if (size != NULL)
		*size = w->page_bytes;
	*held_fd = w->fd;
	writer_free(w);
	return FGW_OK;
}

void vault_writer_abort(struct vault_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0) {
		/* wiped while still locked, so no sweep races us to it */
		if (wipe_file_at(w->v->dirfd, w->tmp, NULL) != FGW_OK)
			log_error("could not wipe %s/%s; it is removed at the next start",
				  w->v->dir, w->tmp);
		close(w->fd);
	}
	writer_free(w);
}

/* ---- reading ------------------------------------------------------------ */

static int fail(struct vault_reader *r, int rc, const char *what)
{
	log_warn("vault blob %s: %s (%s)", r->name, what, fgw_errname(rc));
	r->error = rc;
	return rc;
}

static int pread_full(int fd, uint8_t *p, size_t len, off_t off, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t n = pread(fd, p + *got, len - *got, off + (off_t)*got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return FGW_ERR_IO;
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return FGW_OK;
}

static int check_ids(struct vault_reader *r, const uint8_t *doc_id, const uint8_t *key_id)
{
	if (doc_id != NULL && CRYPTO_memcmp(r->c.header + 8, doc_id, KEYS_DOC_ID_LEN) != 0)
		return fail(r, FGW_ERR_MISMATCH, "the file holds another document");
	if (key_id != NULL && CRYPTO_memcmp(r->c.header + 24, key_id, KEYS_KEY_ID_LEN) != 0)
		return fail(r, FGW_ERR_MISMATCH, "the file was written under another key");
	return FGW_OK;
}

/* Reads and verifies the header, and checks that the file has exactly
 * the size the header implies. */
static int read_header(struct vault_reader *r, const uint8_t *doc_id, const uint8_t *key_id)
{
	uint8_t *h = r->c.header;
	struct stat st;
	uint64_t expect;
	size_t got;

	if (pread_full(r->fd, h, VAULT_HEADER_LEN, 0, &got) != FGW_OK)
		return fail(r, FGW_ERR_IO, "cannot read");
	if (got >= 4 && memcmp(h, MAGIC, 4) != 0)
		return fail(r, FGW_ERR_PARSE, "not a vault file");
	if (got >= 5 && h[4] != VAULT_VERSION)
		return fail(r, FGW_ERR_VERSION, "unknown format version; refused");
	if (got < VAULT_HEADER_LEN)
		return fail(r, FGW_ERR_TRUNCATED, "the header is cut short");
	if (header_tag(&r->c, h + HDR_TAG_OFF, false) != FGW_OK)
		return fail(r, FGW_ERR_TAMPERED, "the header does not verify under this key");
	if (check_ids(r, doc_id, key_id) != FGW_OK)
		return r->error;
	r->plain_len = get_be(h + 48, 8);
	r->npages = (uint32_t)get_be(h + 56, 4);
	if (h[5] != CHUNK_SHIFT || r->plain_len < 5 || r->plain_len > MAX_PLAIN ||
	    r->npages > VAULT_MAX_PAGES)
		return fail(r, FGW_ERR_PARSE, "header values out of range");
	r->nchunks = (uint32_t)((r->plain_len + VAULT_CHUNK - 1) / VAULT_CHUNK);
	expect = VAULT_HEADER_LEN + r->plain_len + (uint64_t)r->nchunks * (FRAME_LEN + TAG_LEN);
	if (fstat(r->fd, &st) != 0)
		return fail(r, FGW_ERR_IO, "cannot stat");
	if ((uint64_t)st.st_size < expect)
		return fail(r, FGW_ERR_TRUNCATED, "the file ends before its last chunk");
	if ((uint64_t)st.st_size > expect)
		return fail(r, FGW_ERR_TAMPERED, "bytes follow the last chunk");
	return FGW_OK;
}

static int reader_new(int fd, const uint8_t key[static KEYS_LEN], struct vault_reader **out)
{
	struct vault_reader *r = calloc(1, sizeof *r);

	*out = NULL;
	if (r == NULL)
		return FGW_ERR_NOMEM;
	r->fd = fd;
	r->c.name = r->name;
	r->index_hash = EVP_MD_CTX_new();
	if (crypt_init(&r->c, false, key) != FGW_OK || r->index_hash == NULL ||
	    EVP_DigestInit_ex(r->index_hash, EVP_sha256(), NULL) != 1) {
		vault_reader_close(r);
		return FGW_ERR_CRYPTO;
	}
	*out = r;
	return FGW_OK;
}

int vault_reader_open_fd(int fd, const uint8_t *doc_id, const uint8_t key[static KEYS_LEN],
			 const uint8_t *key_id, struct vault_reader **out)
{
	struct vault_reader *r;
	int rc = reader_new(fd, key, &r);

	if (rc != FGW_OK)
		return rc;
	if (str_format(r->name, sizeof r->name, "fd %d", fd) != FGW_OK)
		r->name[0] = '\0';
	rc = read_header(r, doc_id, key_id);
	if (rc != FGW_OK) {
		vault_reader_close(r);
		return rc;
	}
	*out = r;
	return FGW_OK;
}

int vault_reader_open(struct vault *v, const char *id, const uint8_t key[static KEYS_LEN],
		      const uint8_t key_id[static KEYS_KEY_ID_LEN], struct vault_reader **out)
{
	uint8_t raw[KEYS_DOC_ID_LEN];
	char name[NAME_CAP];
	int fd, rc;

	*out = NULL;
	if (vault_parse_id(id, raw) != FGW_OK ||
	    vault_blob_name(id, name, sizeof name) != FGW_OK)
		return FGW_ERR_PARSE;
	fd = openat(v->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return FGW_ERR_NOT_FOUND;
		log_errno("cannot open %s/%s", v->dir, name);
		return FGW_ERR_IO;
	}
	rc = vault_reader_open_fd(fd, raw, key, key_id, out);
	if (rc != FGW_OK) {
		close(fd);
		return rc;
	}
	(*out)->own_fd = true;
	if (str_copy((*out)->name, sizeof (*out)->name, name) != FGW_OK)
		(*out)->name[0] = '\0';
	return FGW_OK;
}

uint32_t vault_reader_pages(const struct vault_reader *r)
{
	return r->npages;
}

/* Says why chunk i failed, from its clear frame, before trusting nothing
 * of it: another document's chunk, a moved chunk, or altered bytes. */
static int chunk_fault(struct vault_reader *r, uint32_t i, const uint8_t stored[FRAME_LEN],
		       int crypt_rc)
{
	char msg[96];
	uint32_t found = (uint32_t)get_be(stored, 4);

	if (memcmp(stored + 8, r->c.header + 8, 8) != 0)
		return fail(r, FGW_ERR_SPLICED, "a chunk from another document was spliced in");
	if (found != i) {
		if (str_format(msg, sizeof msg, "chunk %u holds chunk %u: chunks were reordered",
			       i, found) != FGW_OK)
			msg[0] = '\0';
		return fail(r, FGW_ERR_REORDERED, msg);
	}
	if (crypt_rc == FGW_ERR_AUTH) {
		if (str_format(msg, sizeof msg, "chunk %u was altered (authentication failed)",
			       i) != FGW_OK)
			msg[0] = '\0';
		return fail(r, FGW_ERR_AUTH, msg);
	}
	return fail(r, crypt_rc, "cannot decrypt");
}

static int load_chunk(struct vault_reader *r)
{
	uint32_t i = r->next_chunk;
	bool last = i + 1 == r->nchunks;
	size_t len = last ? (size_t)(r->plain_len - (uint64_t)i * VAULT_CHUNK) : VAULT_CHUNK;
	uint8_t frame[FRAME_LEN];
	size_t got;
	int rc;

	if (i >= r->nchunks)
		return fail(r, FGW_ERR_PARSE, "the stream ends inside a record");
	if (pread_full(r->fd, r->in, FRAME_LEN + len + TAG_LEN, chunk_offset(i), &got) != FGW_OK)
		return fail(r, FGW_ERR_IO, "cannot read");
	if (got < FRAME_LEN + len + TAG_LEN)
		return fail(r, FGW_ERR_TRUNCATED, "the file ends inside a chunk");
	make_frame(&r->c, i, last, frame);
	/* decrypts straight into the plaintext buffer; on failure it is wiped
	 * before anyone can read it */
	rc = crypt_chunk(&r->c, frame, r->in + FRAME_LEN, r->plain, len, r->in + FRAME_LEN + len,
			 false);
	if (rc != FGW_OK || memcmp(r->in, frame, FRAME_LEN) != 0) {
		OPENSSL_cleanse(r->plain, sizeof r->plain);
		r->fill = r->pos = 0;
		return chunk_fault(r, i, r->in, rc != FGW_OK ? rc : FGW_ERR_AUTH);
	}
	r->fill = len;
	r->pos = 0;
	r->next_chunk++;
	return FGW_OK;
}

/* Points *p at up to want bytes of verified plaintext; *n gets how many. */
static int stream_peek(struct vault_reader *r, size_t want, const uint8_t **p, size_t *n)
{
	int rc;

	if (r->error != FGW_OK)
		return r->error;
	if (r->pos == r->fill && (rc = load_chunk(r)) != FGW_OK)
		return rc;
	*n = r->fill - r->pos < want ? r->fill - r->pos : want;
	*p = r->plain + r->pos;
	r->pos += *n;
	r->stream_pos += *n;
	return FGW_OK;
}

static int stream_get(struct vault_reader *r, uint8_t *buf, size_t len)
{
	while (len > 0) {
		const uint8_t *p;
		size_t n;
		int rc = stream_peek(r, len, &p, &n);
		if (rc != FGW_OK)
			return rc;
		memcpy(buf, p, n);
		buf += n;
		len -= n;
	}
	return FGW_OK;
}

static int skip_page(struct vault_reader *r)
{
	while (r->page_left > 0) {
		const uint8_t *p;
		size_t n;
		int rc = stream_peek(r, r->page_left > VAULT_CHUNK ? VAULT_CHUNK : (size_t)r->page_left,
				     &p, &n);
		if (rc != FGW_OK)
			return rc;
		r->page_left -= n;
	}
	r->in_page = false;
	return FGW_OK;
}

/* Checks the index against the pages seen, and that nothing follows. */
static int read_index(struct vault_reader *r)
{
	uint8_t count[4], entry[INDEX_ENTRY], seen[32], stated[32];
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int rc = stream_get(r, count, sizeof count);
	bool ok;

	if (h == NULL || EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1)
		rc = rc != FGW_OK ? rc : FGW_ERR_CRYPTO;
	if (rc == FGW_OK && (get_be(count, 4) != r->page_no || r->page_no != r->npages))
		rc = fail(r, FGW_ERR_PARSE, "page count differs from the pages stored");
	for (uint32_t i = 0; rc == FGW_OK && i < r->page_no; i++)
		if ((rc = stream_get(r, entry, sizeof entry)) == FGW_OK &&
		    EVP_DigestUpdate(h, entry, sizeof entry) != 1)
			rc = FGW_ERR_CRYPTO;
	ok = rc == FGW_OK && EVP_DigestFinal_ex(h, stated, NULL) == 1 &&
	     EVP_DigestFinal_ex(r->index_hash, seen, NULL) == 1;
	EVP_MD_CTX_free(h);
	if (rc != FGW_OK)
		return rc;
	if (!ok || memcmp(seen, stated, sizeof seen) != 0)
		return fail(r, FGW_ERR_PARSE, "the page index differs from the pages stored");
	if (r->stream_pos != r->plain_len || r->next_chunk != r->nchunks)
		return fail(r, FGW_ERR_PARSE, "data follows the page index");
	r->done = true;
	return FGW_OK;
}

static int begin_page(struct vault_reader *r, uint64_t *len)
{
	uint8_t rec[8], entry[INDEX_ENTRY];
	uint64_t offset = r->stream_pos - 1;
	int rc = stream_get(r, rec, sizeof rec);

	if (rc != FGW_OK)
		return rc;
	if (r->page_no >= r->npages || get_be(rec, 8) > VAULT_MAX_PAGE)
		return fail(r, FGW_ERR_PARSE, "more pages, or a larger page, than allowed");
	put_be(entry, offset, 8);
	memcpy(entry + 8, rec, 8);
	if (EVP_DigestUpdate(r->index_hash, entry, sizeof entry) != 1)
		return FGW_ERR_CRYPTO;
	r->page_left = get_be(rec, 8);
	r->page_no++;
	r->in_page = true;
	if (len != NULL)
		*len = r->page_left;
	return 1;
}

int vault_reader_next_page(struct vault_reader *r, uint64_t *len)
{
	uint8_t type;
	int rc;

	if (r->error != FGW_OK)
		return r->error;
	if (r->done)
		return 0;
	if (r->in_page && (rc = skip_page(r)) != FGW_OK)
		return rc;
	if ((rc = stream_get(r, &type, 1)) != FGW_OK)
		return rc;
	if (type == REC_PAGE)
		return begin_page(r, len);
	if (type == REC_END)
		return read_index(r);
	return fail(r, FGW_ERR_PARSE, "unknown record in the stream");
}

int vault_reader_read(struct vault_reader *r, void *buf, size_t cap, size_t *got)
{
	uint8_t *out = buf;

	*got = 0;
	if (r->error != FGW_OK)
		return r->error;
	while (r->in_page && r->page_left > 0 && *got < cap) {
		const uint8_t *p;
		size_t n, want = cap - *got;
		int rc;
		if (want > r->page_left)
			want = (size_t)r->page_left;
		if ((rc = stream_peek(r, want, &p, &n)) != FGW_OK)
			return rc;
		memcpy(out + *got, p, n);
		*got += n;
		r->page_left -= n;
	}
	return FGW_OK;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FGW_ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return FGW_OK;
}

int vault_reader_page_to_fd(struct vault_reader *r, int fd)
{
	if (r->error != FGW_OK)
		return r->error;
	while (r->in_page && r->page_left > 0) {
		const uint8_t *p;
		size_t n;
		int rc = stream_peek(r, r->page_left > VAULT_CHUNK ? VAULT_CHUNK : (size_t)r->page_left,
				     &p, &n);
		if (rc == FGW_OK)
			rc = write_all(fd, p, n);
		if (rc != FGW_OK)
			return rc;
		r->page_left -= n;
	}
	return FGW_OK;
}

void vault_reader_close(struct vault_reader *r)
{
	if (r == NULL)
		return;
	if (r->own_fd)
		close(r->fd);
	crypt_free(&r->c);
	EVP_MD_CTX_free(r->index_hash);
	OPENSSL_cleanse(r->plain, sizeof r->plain);
	OPENSSL_cleanse(r->in, sizeof r->in);
	free(r);
}
