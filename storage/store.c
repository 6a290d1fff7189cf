/* The data-directory facade: opening, documents, erase, expiry. The
 * factory reset lives at the end. */
#include "storage/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/cert.h"

#define PATH_CAP 4096
#define DAY_MS (24ll * 3600 * 1000)
#define SWEEP_MAX 100000 /* files looked at by one sweep */

struct store {
	char dir[PATH_CAP];
	struct store_options opts;
	struct keys *keys;
	struct catalog *catalog;
	struct vault *vault;
	struct audit *audit;
	uint64_t swept;
};

struct store_doc {
	struct store *s;
	struct vault_writer *w;
	int held_fd;   /* the finished blob, locked until its row is committed */
	struct catalog_document row;
	uint8_t key[KEYS_LEN];
};

int64_t store_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int join(char *out, const char *dir, const char *name)
{
	return str_format(out, PATH_CAP, "%s/%s", dir, name);
}

static int check_data_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		if (errno == ENOENT) {
			log_error("data directory %s does not exist; create a device with "
				  "faxgw init --data %s", dir, dir);
			return FGW_ERR_NOT_FOUND;
		}
		log_errno("cannot stat %s", dir);
		return FGW_ERR_IO;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_error("%s is not a directory", dir);
		return FGW_ERR_INVALID;
	}
	if ((st.st_mode & 077) != 0) {
		log_error("data directory %s has mode %04o but must be accessible by its "
			  "owner only: run chmod 700 %s", dir, (unsigned)(st.st_mode & 07777), dir);
		return FGW_ERR_PERMISSION;
	}
	return FGW_OK;
}

/* ---- opening ------------------------------------------------------------ */

static int open_audit(struct store *s)
{
	uint8_t key[KEYS_LEN];
	char path[PATH_CAP];
	struct audit_options ao = {.clock = s->opts.clock, .catalog = s->catalog,
				   .forward = s->opts.forward};
	int rc = join(path, s->dir, STORE_AUDIT_FILE);

	if (rc == FGW_OK)
		rc = keys_derive(s->keys, KEYS_PURPOSE_AUDIT_MAC, key);
	if (rc == FGW_OK)
		rc = audit_open(path, key, &ao, &s->audit);
	OPENSSL_cleanse(key, sizeof key);
	if (rc != FGW_OK)
		log_error("cannot open the audit log %s: %s", path, fgw_strerror(rc));
	return rc;
}

static int open_parts(struct store *s, bool create)
{
	char path[PATH_CAP];
	int rc = keys_load(s->dir, &s->keys);

	if (rc != FGW_OK)
		return rc;
	if ((rc = join(path, s->dir, STORE_CATALOG_FILE)) != FGW_OK)
		return rc;
	if ((rc = catalog_open(path, &s->catalog)) != FGW_OK) {
		log_error("cannot open the catalog %s: %s", path, fgw_strerror(rc));
		return rc;
	}
	if ((rc = join(path, s->dir, STORE_VAULT_DIR)) != FGW_OK ||
	    (rc = vault_open(path, create, &s->vault)) != FGW_OK)
		return rc;
	return open_audit(s);
}

/* Names collected first: the sweep must not unlink while reading the
 * directory. */
struct names {
	char (*name)[CATALOG_BLOBNAME_MAX + 1];
	bool *temporary;
	size_t n, cap;
};

static int collect(const char *name, bool temporary, void *arg)
{
	struct names *ns = arg;

	if (ns->n == ns->cap) {
		size_t cap = ns->cap == 0 ? 32 : ns->cap * 2;
		void *a, *b;
		if (cap > SWEEP_MAX)
			return FGW_ERR_TOO_LARGE;
		if ((a = realloc(ns->name, cap * sizeof *ns->name)) == NULL)
			return FGW_ERR_NOMEM;
		ns->name = a;
		if ((b = realloc(ns->temporary, cap * sizeof *ns->temporary)) == NULL)
			return FGW_ERR_NOMEM;
		ns->temporary = b;
		ns->cap = cap;
	}
	if (str_copy(ns->name[ns->n], sizeof ns->name[0], name) != FGW_OK)
		return FGW_OK; /* longer than any name of ours: reported below */
	ns->temporary[ns->n++] = temporary;
	return FGW_OK;
}

/* Is name a file the sweep should wipe? Temporary blobs always; blobs
 * only when the catalog has no row for them. */
static int is_orphan(struct store *s, const char *name, bool temporary, bool *orphan)
{
	struct catalog_document row;
	char id[VAULT_ID_LEN + 1];
	int rc;

	*orphan = temporary;
	if (temporary)
		return FGW_OK;
	if (vault_name_to_id(name, id) != FGW_OK) {
		log_warn("%s/%s is not a vault file; leaving it alone", vault_dir(s->vault), name);
		return FGW_OK;
	}
	rc = catalog_document_get(s->catalog, id, &row);
	OPENSSL_cleanse(row.wrapped_key, sizeof row.wrapped_key);
	if (rc == FGW_ERR_NOT_FOUND)
		*orphan = true;
	return rc == FGW_ERR_NOT_FOUND ? FGW_OK : rc;
}

/* Another process may be writing name right now (faxgwd receiving while
 * the CLI opens the store): its writer holds a lock from the temporary
 * file's creation until the catalog row is committed, so a file we cannot
 * lock is left alone, and the catalog is asked only once we hold the lock. */
static int sweep_one(struct store *s, const char *name, bool temporary)
{
	uint64_t bytes = 0;
	bool orphan = false;
	int fd, rc = vault_lock_file(s->vault, name, &fd);

	if (rc == FGW_ERR_BUSY || rc == FGW_ERR_NOT_FOUND)
		return FGW_OK;
	if (rc == FGW_OK)
		rc = is_orphan(s, name, temporary, &orphan);
	if (rc == FGW_OK && orphan)
		rc = vault_wipe_file(s->vault, name, &bytes);
	if (fd >= 0)
		close(fd);
	if (rc != FGW_OK || !orphan)
		return rc;
	s->swept++;
	log_warn("wiped %s/%s left by an interrupted write", vault_dir(s->vault), name);
	const struct audit_field f[] = {
		AUDIT_F_STR("file", name),
		AUDIT_F_STR("reason", temporary ? "orphan_temporary" : "orphan_no_catalog_row"),
		AUDIT_F_INT("bytes", (int64_t)bytes),
	};
	return audit_append(s->audit, AUDIT_DOCUMENT_ERASED, f, sizeof f / sizeof f[0], NULL);
}

static int sweep(struct store *s)
{
	struct names ns = {0};
	int rc = vault_list(s->vault, collect, &ns), first = rc;

	for (size_t i = 0; i < ns.n; i++) {
		rc = sweep_one(s, ns.name[i], ns.temporary[i]);
		if (rc != FGW_OK && first == FGW_OK)
			first = rc;
	}
	free(ns.name);
	free(ns.temporary);
	if (s->swept > 0 && (rc = audit_sync(s->audit, NULL)) != FGW_OK && first == FGW_OK)
		first = rc;
	return first;
}

int store_open(const char *dir, const struct store_options *opts, struct store **out)
{
	struct store *s;
	int rc;

	*out = NULL;
	if ((rc = check_data_dir(dir)) != FGW_OK)
		return rc;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return FGW_ERR_NOMEM;
	if (opts != NULL)
		s->opts = *opts;
	if (s->opts.pin_cost.log2_n == 0)
		s->opts.pin_cost = KEYS_SCRYPT_DEFAULT;
	rc = str_copy(s->dir, sizeof s->dir, dir);
	if (rc == FGW_OK)
		rc = open_parts(s, false);
	if (rc == FGW_OK)
		rc = sweep(s);
	if (rc != FGW_OK) {
		(void)store_close(s);
		return rc;
	}
	*out = s;
	return FGW_OK;
}

int store_close(struct store *s)
{
	int rc;

	if (s == NULL)
		return FGW_OK;
	rc = audit_close(s->audit);
	vault_close(s->vault);
	catalog_close(s->catalog);
	keys_free(s->keys);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
	return rc;
}

struct catalog *store_catalog(struct store *s)
{
	return s->catalog;
}

struct audit *store_audit(struct store *s)
{
	return s->audit;
}

struct vault *store_vault(struct store *s)
{
	return s->vault;
}

const struct keys *store_keys(const struct store *s)
{
	return s->keys;
}

const char *store_dir(const struct store *s)
{
	return s->dir;
}

uint64_t store_orphans_swept(const struct store *s)
{
	return s->swept;
}

/* ---- init --------------------------------------------------------------- */

static int dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = FGW_OK;

	if (d == NULL)
		return FGW_ERR_IO;
	/* certificates of an earlier reset stay with the new device */
	while (rc == FGW_OK && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    strcmp(e->d_name, STORE_ERASURE_DIR) != 0)
			rc = FGW_ERR_EXISTS;
	closedir(d);
	return rc;
}

static int make_dir(const char *dir)
{
	struct stat st;
	int rc;

	if (mkdir(dir, 0700) == 0)
		return FGW_OK;
	if (errno != EEXIST || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_errno("cannot create the data directory %s", dir);
		return FGW_ERR_IO;
	}
	if ((rc = dir_is_empty(dir)) != FGW_OK) {
		log_error("%s is not empty (a device or other files are there); refusing to "
			  "create a device over it. To start again, run faxgw wipe --all first",
			  dir);
		return rc;
	}
	if (chmod(dir, 0700) != 0) {
		log_errno("cannot chmod 700 %s", dir);
		return FGW_ERR_IO;
	}
	return FGW_OK;
}

int store_init(const char *dir)
{
	char path[PATH_CAP];
	struct store *s;
	int rc = make_dir(dir);

	if (rc == FGW_OK)
		rc = keys_create(dir);
	if (rc == FGW_OK && (rc = join(path, dir, STORE_CERT_DIR)) == FGW_OK &&
	    mkdir(path, 0700) != 0) {
		log_errno("cannot create %s", path);
		rc = FGW_ERR_IO;
	}
	if (rc != FGW_OK)
		return rc;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return FGW_ERR_NOMEM;
	rc = str_copy(s->dir, sizeof s->dir, dir);
	if (rc == FGW_OK)
		rc = open_parts(s, true);
	if (rc == FGW_OK) {
		const struct audit_field f[] = {
			AUDIT_F_STR("action", "device_created"),
			AUDIT_F_STR("device_id", keys_device_id(s->keys)),
		};
		rc = audit_append_durable(s->audit, AUDIT_SECURITY, f, 2, NULL);
	}
	if (store_close(s) != FGW_OK && rc == FGW_OK)
		rc = FGW_ERR_IO;
	return rc;
}

/* ---- mailboxes ---------------------------------------------------------- */

int store_mailbox_seal(struct store *s, struct catalog_mailbox *mb, const char *pin)
{
	int rc = keys_mailbox_create(s->keys, mb->number, pin, &s->opts.pin_cost,
				     mb->pin_verifier);

	mb->pin_verifier_len = rc == FGW_OK ? KEYS_MAILBOX_SEALED_LEN : 0;
	mb->pin_params_len = 0;
	return rc;
}

static int get_mailbox(struct store *s, const char *number, struct catalog_mailbox *mb)
{
	int rc = catalog_mailbox_get(s->catalog, number, mb);

	if (rc == FGW_OK && mb->pin_verifier_len != KEYS_MAILBOX_SEALED_LEN)
		return FGW_ERR_INVALID;
	return rc;
}

int store_mailbox_check_pin(struct store *s, const char *number, const char *pin)
{
	struct catalog_mailbox mb;
	int rc = get_mailbox(s, number, &mb);

	if (rc == FGW_OK)
		rc = keys_mailbox_check_pin(s->keys, number, pin, mb.pin_verifier,
					    mb.pin_verifier_len);
	return rc;
}

int store_mailbox_change_pin(struct store *s, const char *number, const char *old_pin,
			     const char *new_pin)
{
	struct catalog_mailbox mb;
	uint8_t sealed[KEYS_MAILBOX_SEALED_LEN];
	int rc = get_mailbox(s, number, &mb);

	if (rc == FGW_OK)
		rc = keys_mailbox_reseal(s->keys, number, old_pin, new_pin, &s->opts.pin_cost,
					 mb.pin_verifier, mb.pin_verifier_len, sealed);
	if (rc != FGW_OK)
		return rc;
	memcpy(mb.pin_verifier, sealed, sizeof sealed);
	rc = catalog_mailbox_update(s->catalog, &mb);
	/* the old seal's page must not linger in the WAL */
	if (rc == FGW_OK && catalog_checkpoint(s->catalog) != FGW_OK)
		log_warn("catalog checkpoint after a PIN change failed; retried at the next one");
	return rc;
}

/* ---- writing documents -------------------------------------------------- */

static int wrap_key(struct store_doc *d, const uint8_t key_id[static KEYS_KEY_ID_LEN])
{
	struct catalog_mailbox mb;
	uint8_t raw[KEYS_DOC_ID_LEN];
	int rc = vault_parse_id(d->row.id, raw);

	if (rc != FGW_OK)
		return rc;
	d->row.wrapped_key_len = KEYS_WRAP_LEN;
	if (d->row.mailbox[0] == '\0')
		return keys_wrap_inbox(d->s->keys, raw, key_id, d->key, d->row.wrapped_key);
	if ((rc = get_mailbox(d->s, d->row.mailbox, &mb)) != FGW_OK) {
		log_error("mailbox %s %s", d->row.mailbox,
			  rc == FGW_ERR_INVALID ? "has no PIN key" : "does not exist");
		return rc;
	}
	return keys_wrap_mailbox(d->s->keys, d->row.mailbox, mb.pin_verifier,
				 mb.pin_verifier_len, raw, key_id, d->key, d->row.wrapped_key);
}

static int hex_id(const uint8_t *raw, size_t n, char *out, size_t size)
{
	for (size_t i = 0; i < n; i++)
		if (str_format(out + 2 * i, size - 2 * i, "%02x", raw[i]) != FGW_OK)
			return FGW_ERR_TOO_LARGE;
	return FGW_OK;
}

static int doc_setup(struct store_doc *d)
{
	uint8_t key_id[KEYS_KEY_ID_LEN];
	int rc = vault_new_id(d->row.id);

	if (rc == FGW_OK)
		rc = keys_new_doc_key(d->key, key_id);
	if (rc == FGW_OK)
		rc = vault_blob_name(d->row.id, d->row.blob, sizeof d->row.blob);
	if (rc == FGW_OK)
		rc = hex_id(key_id, sizeof key_id, d->row.key_id, sizeof d->row.key_id);
	if (rc == FGW_OK)
		rc = wrap_key(d, key_id);
	if (rc == FGW_OK)
		rc = vault_writer_open(d->s->vault, d->row.id, d->key, key_id, &d->w);
	return rc;
}

int store_doc_create(struct store *s, const struct catalog_document *meta,
		     struct store_doc **out)
{
	struct store_doc *d = calloc(1, sizeof *d);
	int rc;

	*out = NULL;
	if (d == NULL)
		return FGW_ERR_NOMEM;
	d->s = s;
	d->held_fd = -1;
	d->row = *meta;
	if (d->row.created_ms == 0)
		d->row.created_ms = store_now_ms();
	rc = doc_setup(d);
	if (rc != FGW_OK) {
		store_doc_abort(d);
		return rc;
	}
	*out = d;
	return FGW_OK;
}

const char *store_doc_id(const struct store_doc *d)
{
	return d->row.id;
}

int store_doc_add_page(struct store_doc *d, const void *data, size_t len)
{
	int rc = vault_writer_add_page(d->w, data, len);

	if (rc == FGW_OK)
		d->row.pages++;
	return rc;
}

int store_doc_add_page_fd(struct store_doc *d, int fd)
{
	int rc = vault_writer_add_page_fd(d->w, fd);

	if (rc == FGW_OK)
		d->row.pages++;
	return rc;
}

static void doc_free(struct store_doc *d)
{
	OPENSSL_cleanse(d, sizeof *d);
	free(d);
}

int store_doc_commit(struct store_doc *d, char *id)
{
	struct store *s = d->s;
	int rc = vault_writer_finish_held(d->w, &d->row.size_bytes, &d->held_fd);

	d->w = NULL;
	if (rc == FGW_OK) {
		if (d->row.state == CATALOG_DOC_RECEIVING)
			d->row.state = CATALOG_DOC_HELD;
		d->row.updated_ms = store_now_ms();
		rc = catalog_document_insert(s->catalog, &d->row);
		if (rc != FGW_OK && vault_wipe_file(s->vault, d->row.blob, NULL) != FGW_OK)
			log_error("could not wipe %s after a failed commit; the next start will",
				  d->row.blob);
	}
	if (d->held_fd >= 0)
		close(d->held_fd);
	if (rc == FGW_OK && id != NULL)
		rc = str_copy(id, VAULT_ID_LEN + 1, d->row.id);
	doc_free(d);
	return rc;
}

void store_doc_abort(struct store_doc *d)
{
	if (d == NULL)
		return;
	vault_writer_abort(d->w);
	doc_free(d);
}

/* ---- reading documents -------------------------------------------------- */

static int unwrap_row(struct store *s, const struct catalog_document *row, const char *pin,
		      uint8_t key[static KEYS_LEN])
{
	struct catalog_mailbox mb = {0};
	uint8_t raw[KEYS_DOC_ID_LEN];
	int rc = vault_parse_id(row->id, raw);

	if (rc == FGW_OK && row->mailbox[0] != '\0')
		rc = get_mailbox(s, row->mailbox, &mb);
	if (rc == FGW_OK)
		rc = keys_unwrap(s->keys, row->mailbox, pin, mb.pin_verifier, mb.pin_verifier_len,
				 raw, row->wrapped_key, row->wrapped_key_len, key);
	return rc;
}

int store_doc_open(struct store *s, const char *id, const char *pin,
		   struct vault_reader **out)
{
	struct catalog_document row;
	uint8_t key[KEYS_LEN], key_id[KEYS_KEY_ID_LEN];
	int rc = catalog_document_get(s->catalog, id, &row);

	*out = NULL;
	if (rc == FGW_OK)
		rc = keys_wrap_info(row.wrapped_key, row.wrapped_key_len, NULL, key_id);
	if (rc == FGW_OK)
		rc = unwrap_row(s, &row, pin, key);
	if (rc == FGW_OK)
		rc = vault_reader_open(s->vault, id, key, key_id, out);
	OPENSSL_cleanse(key, sizeof key);
	OPENSSL_cleanse(&row, sizeof row);
	return rc;
}

/* ---- erasing documents -------------------------------------------------- */

/* Destroys one document: key first, then the blob. */
static int erase_one(struct store *s, const char *id, const char *reason, uint64_t *bytes)
{
	char name[CATALOG_BLOBNAME_MAX + 1];
	int rc = vault_blob_name(id, name, sizeof name), blob_rc;

	*bytes = 0;
	if (rc != FGW_OK)
		return rc;
	rc = catalog_document_delete(s->catalog, id);
	if (rc != FGW_OK && rc != FGW_ERR_NOT_FOUND)
		return rc;
	blob_rc = vault_wipe_file(s->vault, name, bytes);
	if (rc == FGW_ERR_NOT_FOUND && blob_rc == FGW_ERR_NOT_FOUND)
		return FGW_ERR_NOT_FOUND;
	const struct audit_field f[] = {
		AUDIT_F_STR("document", id),
		AUDIT_F_STR("reason", reason),
		AUDIT_F_INT("bytes", (int64_t)*bytes),
	};
	rc = audit_append(s->audit, AUDIT_DOCUMENT_ERASED, f, sizeof f / sizeof f[0], NULL);
	return blob_rc != FGW_OK && blob_rc != FGW_ERR_NOT_FOUND ? blob_rc : rc;
}

/* After keys are deleted: push the WAL into the main file and truncate it,
 * sync the audit log, and sign a certificate. */
static int erase_finish(struct store *s, const struct cert_info *info, const char *cert_dir,
			struct store_erase_report *report)
{
	char dir[PATH_CAP];
	int rc = catalog_checkpoint(s->catalog), more;

	if (rc != FGW_OK)
		log_warn("catalog checkpoint failed (%s): old key pages may stay in the WAL "
			 "until the next one", fgw_strerror(rc));
	rc = audit_sync(s->audit, NULL);
	if (cert_dir == NULL) {
		if ((more = join(dir, s->dir, STORE_CERT_DIR)) != FGW_OK)
			return more;
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return FGW_ERR_IO;
		cert_dir = dir;
	}
	more = cert_write(s->keys, info, cert_dir, report != NULL ? report->cert_path : NULL,
			  report != NULL ? sizeof report->cert_path : 0);
	return rc != FGW_OK ? rc : more;
}

int store_doc_erase(struct store *s, const char *id, const char *cert_dir,
		    struct store_erase_report *report)
{
	struct cert_info info = {.scope = "document", .target = id, .documents = 1, .files = 1,
				 .keys_destroyed = 1, .started_ms = store_now_ms()};
	int rc = erase_one(s, id, "erase", &info.bytes_overwritten);

	if (rc == FGW_ERR_NOT_FOUND)
		return rc;
	info.finished_ms = store_now_ms();
	if (report != NULL) {
		report->documents = 1;
		report->bytes_overwritten = info.bytes_overwritten;
	}
	{
		int more = erase_finish(s, &info, cert_dir, report);
		return rc != FGW_OK ? rc : more;
	}
}

/* ---- retention ---------------------------------------------------------- */

struct expiry {
	struct store *s;
	int64_t now_ms;
	char (*ids)[CATALOG_ID_MAX + 1];
	size_t n, cap;
};

static int retention_of(struct store *s, const char *mailbox, uint32_t *days)
{
	struct catalog_mailbox mb;
	int rc;

	if (mailbox[0] == '\0') {
		*days = s->opts.inbox_retention_days;
		return FGW_OK;
	}
	rc = catalog_mailbox_get(s->catalog, mailbox, &mb);
	*days = rc == FGW_OK ? mb.retention_days : 0;
	return rc;
}

static int pick_expired(const struct catalog_document *doc, void *arg)
{
	struct expiry *e = arg;
	uint32_t days;
	int rc = retention_of(e->s, doc->mailbox, &days);

	if (rc != FGW_OK || days == 0 || doc->created_ms + (int64_t)days * DAY_MS > e->now_ms)
		return rc;
	if (e->n == e->cap) {
		size_t cap = e->cap == 0 ? 16 : e->cap * 2;
		void *p = realloc(e->ids, cap * sizeof *e->ids);
		if (p == NULL)
			return FGW_ERR_NOMEM;
		e->ids = p;
		e->cap = cap;
	}
	return str_copy(e->ids[e->n++], sizeof e->ids[0], doc->id);
}

int store_expire(struct store *s, int64_t now_ms, struct store_erase_report *report)
{
	struct expiry e = {.s = s, .now_ms = now_ms};
	struct cert_info info = {.scope = "retention", .target = "documents past retention",
				 .started_ms = store_now_ms()};
	int rc = catalog_document_list(s->catalog, NULL, pick_expired, &e), first = rc;

	if (report != NULL)
		memset(report, 0, sizeof *report);
	for (size_t i = 0; rc == FGW_OK && i < e.n; i++) {
		uint64_t bytes = 0;
		int one = erase_one(s, e.ids[i], "retention", &bytes);
		info.documents += one == FGW_OK;
		info.bytes_overwritten += bytes;
		if (one != FGW_OK && first == FGW_OK)
			first = one;
	}
	free(e.ids);
	info.files = info.keys_destroyed = info.documents;
	info.finished_ms = store_now_ms();
	if (report != NULL) {
		report->documents = info.documents;
		report->bytes_overwritten = info.bytes_overwritten;
	}
	if (info.documents > 0 && (rc = erase_finish(s, &info, NULL, report)) != FGW_OK &&
	    first == FGW_OK)
		first = rc;
	return first;
}

/* ---- factory reset ------------------------------------------------------ */

/* cert_dir must exist, be writable, and not lie inside dir (it would be
 * wiped with the rest), except DIR/STORE_ERASURE_DIR, which the wipe
 * keeps. */
static int check_cert_dir(const char *dir, const char *cert_dir)
{
	char *d = realpath(dir, NULL), *c = realpath(cert_dir, NULL);
	size_t n = d != NULL ? strlen(d) : 0;
	int rc = FGW_OK;

	if (d == NULL || c == NULL) {
		log_errno("cannot resolve %s", d == NULL ? dir : cert_dir);
		rc = FGW_ERR_INVALID;
	} else if (strncmp(c, d, n) == 0 && (c[n] == '\0' || c[n] == '/') &&
		   strcmp(c + n, "/" STORE_ERASURE_DIR) != 0) {
		log_error("the certificate folder %s lies inside the data directory %s and would "
			  "be wiped; give --cert-out a folder outside it or %s/" STORE_ERASURE_DIR,
			  cert_dir, dir, dir);
		rc = FGW_ERR_INVALID;
	} else if (access(c, W_OK) != 0) {
		log_errno("cannot write to the certificate folder %s", cert_dir);
		rc = FGW_ERR_INVALID;
	}
	free(d);
	free(c);
	return rc;
}

static int count_mailbox(const struct catalog_mailbox *mb, void *arg)
{
	(void)mb;
	(*(uint64_t *)arg)++;
	return FGW_OK;
}

/* Counts what is about to go, from the catalog when it opens. */
static void count_contents(const char *dir, struct cert_info *info)
{
	char path[PATH_CAP];
	struct catalog *cat;
	long long docs;

	if (join(path, dir, STORE_CATALOG_FILE) != FGW_OK || catalog_open(path, &cat) != FGW_OK) {
		log_warn("the catalog does not open; the certificate counts files only");
		return;
	}
	docs = catalog_document_count(cat, NULL);
	info->documents = docs > 0 ? (uint64_t)docs : 0;
	if (catalog_mailbox_list(cat, count_mailbox, &info->mailboxes) != FGW_OK)
		info->mailboxes = 0;
	catalog_close(cat);
}

static int export_public_key(const struct keys *k, const char *json_path)
{
	char pem[512], path[PATH_CAP];
	size_t n = strlen(json_path);
	int fd, rc;

	if (n < 5 || str_format(path, sizeof path, "%.*s.pub.pem", (int)(n - 5), json_path) != 0)
		return FGW_ERR_TOO_LARGE;
	if ((rc = keys_public_pem(k, pem, sizeof pem)) != FGW_OK)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_errno("cannot create %s", path);
		return FGW_ERR_IO;
	}
	rc = write(fd, pem, strlen(pem)) == (ssize_t)strlen(pem) && fsync(fd) == 0 ? FGW_OK
										 : FGW_ERR_IO;
	if (close(fd) != 0)
		rc = FGW_ERR_IO;
	return rc;
}

/* Everything but the signing key: master key first. */
static int destroy_data(const char *dir, struct wipe_tally *t, struct cert_info *info)
{
	static const char *const keep[] = {KEYS_SIGNING_FILE, KEYS_PUBLIC_FILE,
					   STORE_ERASURE_DIR, NULL};
	char path[PATH_CAP];
	uint64_t bytes = 0;
	int rc = join(path, dir, KEYS_MASTER_FILE);

	if (rc == FGW_OK)
		rc = wipe_path(path, &bytes);
	if (rc == FGW_OK) {
		t->files++;
		t->bytes += bytes;
		info->keys_destroyed++;
	} else {
		log_error("cannot destroy the master key %s: %s", path, fgw_strerror(rc));
	}
	{
		int more = wipe_tree(dir, keep, t);
		return rc != FGW_OK ? rc : more;
	}
}

static int destroy_signing(const char *dir, struct wipe_tally *t)
{
	char path[PATH_CAP];
	uint64_t bytes = 0;
	int rc = join(path, dir, KEYS_SIGNING_FILE), pub;

	if (rc == FGW_OK && (rc = wipe_path(path, &bytes)) == FGW_OK) {
		t->files++;
		t->bytes += bytes;
	}
	if ((pub = join(path, dir, KEYS_PUBLIC_FILE)) == FGW_OK &&
	    (pub = wipe_path(path, &bytes)) == FGW_OK)
		t->files++;
	return rc != FGW_OK ? rc : pub;
}

/* Signs and exports the certificate, then destroys the signing key; if
 * the certificate cannot be written the key is kept for a retry. */
static int certify_and_finish(const char *dir, const char *cert_dir, struct keys *k,
			      const struct cert_info *info, struct wipe_tally *t,
			      struct store_erase_report *report)
{
	char path[PATH_CAP] = "";
	int rc = cert_write(k, info, cert_dir, path, sizeof path);

	if (rc == FGW_OK)
		rc = export_public_key(k, path);
	if (rc == FGW_OK)
		rc = destroy_signing(dir, t);
	else
		log_error("the certificate could not be written to %s; the signing key was kept",
			  cert_dir);
	if (report != NULL) {
		report->documents = info->documents;
		report->bytes_overwritten = t->bytes;
		if (str_copy(report->cert_path, sizeof report->cert_path, path) != FGW_OK)
			report->cert_path[0] = '\0';
	}
	return rc;
}

int store_wipe_all(const char *dir, const char *cert_dir, struct store_erase_report *report,
		   struct wipe_tally *tally)
{
	struct cert_info info = {.scope = "device",
				 .target = "all data: documents, mailboxes, users, logs, keys "
					   "(the signing key is destroyed right after signing)",
				 .started_ms = store_now_ms()};
	struct wipe_tally t = {0};
	struct keys *k;
	int rc = check_data_dir(dir), more;

	if (rc == FGW_OK)
		rc = check_cert_dir(dir, cert_dir);
	if (rc == FGW_OK)
		rc = keys_load(dir, &k);
	if (rc != FGW_OK)
		return rc;
	count_contents(dir, &info);
	rc = destroy_data(dir, &t, &info);
	info.files = t.files;
	info.bytes_overwritten = t.bytes;
	info.keys_destroyed += 1; /* the signing key, right after signing */
	info.finished_ms = store_now_ms();
	more = certify_and_finish(dir, cert_dir, k, &info, &t, report);
	keys_free(k);
	if (tally != NULL)
		*tally = t;
	return rc != FGW_OK ? rc : more;
}
