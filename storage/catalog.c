/* The catalog over SQLite. Every statement is prepared once (lazily) from
 * the table below and reused; values are always bound, never pasted into
 * SQL text. */
#include "storage/catalog.h"
#include "storage/catalog_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/catalog_schema.h"

enum stmt_id {
	ST_MB_INSERT, ST_MB_GET, ST_MB_UPDATE, ST_MB_LIST, ST_MB_DELETE,
	ST_DOC_INSERT, ST_DOC_GET, ST_DOC_STATE, ST_DOC_KEY, ST_DOC_LIST_ALL,
	ST_DOC_LIST_INBOX, ST_DOC_LIST_MB, ST_DOC_DELETE, ST_DOC_COUNT_ALL,
	ST_DOC_COUNT_INBOX, ST_DOC_COUNT_MB,
	ST_JOB_INSERT, ST_JOB_GET,
	ST_USER_INSERT, ST_USER_GET,
	ST_SES_INSERT, ST_SES_GET, ST_SES_DELETE,
	ST_LOCK_GET, ST_LOCK_SET, ST_LOCK_CLEAR,
	ST_DEV_PUT, ST_DEV_GET,
	ST_HEAD_GET, ST_HEAD_SET, ST_HEAD_RESET,
	ST_COUNT
};

#define DOC_COLS "id, direction, mailbox, pages, remote_number, remote_ident," \
	" sub, created_ms, updated_ms, state, blob, wrapped_key, key_id, size_bytes"
#define MB_COLS "number, name, owner, pin_verifier, pin_params, pwd," \
	" retention_days, created_ms"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_MB_INSERT] = "INSERT INTO mailboxes (" MB_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
	[ST_MB_GET] = "SELECT " MB_COLS " FROM mailboxes WHERE number = ?1",
	[ST_MB_UPDATE] = "UPDATE mailboxes SET name = ?2, owner = ?3, pin_verifier = ?4,"
		" pin_params = ?5, pwd = ?6, retention_days = ?7, created_ms = ?8"
		" WHERE number = ?1",
	[ST_MB_LIST] = "SELECT " MB_COLS " FROM mailboxes ORDER BY number",
	[ST_MB_DELETE] = "DELETE FROM mailboxes WHERE number = ?1",
	[ST_DOC_INSERT] = "INSERT INTO documents (" DOC_COLS ") VALUES"
		" (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
	[ST_DOC_GET] = "SELECT " DOC_COLS " FROM documents WHERE id = ?1",
	[ST_DOC_STATE] = "UPDATE documents SET state = ?2, pages = ?3, updated_ms = ?4"
		" WHERE id = ?1",
	[ST_DOC_KEY] = "UPDATE documents SET wrapped_key = ?2, key_id = ?3 WHERE id = ?1",
	[ST_DOC_LIST_ALL] = "SELECT " DOC_COLS " FROM documents ORDER BY created_ms, rowid",
	[ST_DOC_LIST_INBOX] = "SELECT " DOC_COLS " FROM documents WHERE mailbox IS NULL"
		" ORDER BY created_ms, rowid",
	[ST_DOC_LIST_MB] = "SELECT " DOC_COLS " FROM documents WHERE mailbox = ?1"
		" ORDER BY created_ms, rowid",
	[ST_DOC_DELETE] = "DELETE FROM documents WHERE id = ?1",
	[ST_DOC_COUNT_ALL] = "SELECT count(*) FROM documents",
	[ST_DOC_COUNT_INBOX] = "SELECT count(*) FROM documents WHERE mailbox IS NULL",
	[ST_DOC_COUNT_MB] = "SELECT count(*) FROM documents WHERE mailbox = ?1",
	[ST_JOB_INSERT] = "INSERT INTO jobs (id, document, destination, attempts,"
		" next_try_ms, state, created_ms) VALUES (?1,?2,?3,?4,?5,?6,?7)",
	[ST_JOB_GET] = "SELECT id, document, destination, attempts, next_try_ms, state,"
		" created_ms FROM jobs WHERE id = ?1",
	[ST_USER_INSERT] = "INSERT INTO users (name, role, verifier, must_change,"
		" created_ms) VALUES (?1,?2,?3,?4,?5)",
	[ST_USER_GET] = "SELECT name, role, verifier, must_change, created_ms"
		" FROM users WHERE name = ?1",
	[ST_SES_INSERT] = "INSERT INTO sessions (id, user, created_ms, expires_ms)"
		" VALUES (?1,?2,?3,?4)",
	[ST_SES_GET] = "SELECT id, user, created_ms, expires_ms FROM sessions WHERE id = ?1",
	[ST_SES_DELETE] = "DELETE FROM sessions WHERE id = ?1",
	[ST_LOCK_GET] = "SELECT failures, locked_until_ms FROM lockouts"
		" WHERE scope = ?1 AND key = ?2",
	[ST_LOCK_SET] = "INSERT INTO lockouts (scope, key, failures, locked_until_ms)"
		" VALUES (?1,?2,?3,?4) ON CONFLICT (scope, key) DO UPDATE SET"
		" failures = excluded.failures, locked_until_ms = excluded.locked_until_ms",
	[ST_LOCK_CLEAR] = "DELETE FROM lockouts WHERE scope = ?1 AND key = ?2",
	/* An upsert, not INSERT OR REPLACE: the device's policy columns
	 * (catalog_devices.h) must survive a refresh of name/kind/last seen. */
	[ST_DEV_PUT] = "INSERT INTO devices (address, name, kind, last_seen_ms)"
		" VALUES (?1,?2,?3,?4) ON CONFLICT (address) DO UPDATE SET"
		" name = excluded.name, kind = excluded.kind,"
		" last_seen_ms = excluded.last_seen_ms",
	[ST_DEV_GET] = "SELECT address, name, kind, last_seen_ms FROM devices"
		" WHERE address = ?1",
	[ST_HEAD_GET] = "SELECT seq, mac FROM audit_head WHERE id = 1",
	/* Only forwards: a stale writer must not hide newer records. */
	[ST_HEAD_SET] = "UPDATE audit_head SET seq = ?1, mac = ?2 WHERE id = 1 AND seq <= ?1",
	[ST_HEAD_RESET] = "UPDATE audit_head SET seq = ?1, mac = ?2 WHERE id = 1",
};

struct catalog {
	sqlite3 *db;
	sqlite3_stmt *stmts[ST_COUNT];
	bool in_tx;
};

/* ---- helpers (shared with catalog_*.c through catalog_int.h) ----------- */

sqlite3 *catalog_db(struct catalog *cat)
{
	return cat->db;
}

int catalog_prepare(struct catalog *cat, const char *sql, sqlite3_stmt **out)
{
	int rc = sqlite3_prepare_v2(cat->db, sql, -1, out, NULL);

	if (rc != SQLITE_OK) {
		rc = catalog_map_rc(cat, rc);
		return rc == FGW_OK ? FGW_ERR_DB : rc;
	}
	return FGW_OK;
}

int catalog_map_rc(struct catalog *cat, int rc)
{
	switch (rc) {
	case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW:
		return FGW_OK;
	case SQLITE_BUSY: case SQLITE_LOCKED:
		return FGW_ERR_BUSY;
	case SQLITE_FULL:
		return FGW_ERR_NO_SPACE;
	case SQLITE_CONSTRAINT_PRIMARYKEY: case SQLITE_CONSTRAINT_UNIQUE:
		return FGW_ERR_EXISTS;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
	/* ON DELETE RESTRICT reports itself as a trigger constraint; the
	 * schema has no triggers of its own. */
	case SQLITE_CONSTRAINT_TRIGGER:
		return FGW_ERR_DENIED;
	case SQLITE_CONSTRAINT_CHECK: case SQLITE_CONSTRAINT_NOTNULL:
	case SQLITE_TOOBIG:
		return FGW_ERR_RANGE;
	default:
		log_error("catalog: %s (%s)", sqlite3_errstr(rc & 0xff),
			  cat != NULL ? sqlite3_errmsg(cat->db) : "no database");
		return FGW_ERR_DB;
	}
}

/* Returns the reset, cleared statement id (prepared on first use). */
static int stmt(struct catalog *cat, enum stmt_id id, sqlite3_stmt **out)
{
	if (cat->stmts[id] == NULL) {
		int rc = sqlite3_prepare_v3(cat->db, stmt_sql[id], -1,
					    SQLITE_PREPARE_PERSISTENT,
					    &cat->stmts[id], NULL);
		if (rc != SQLITE_OK) {
			rc = catalog_map_rc(cat, rc);
			return rc == FGW_OK ? FGW_ERR_DB : rc;
		}
	}
	*out = cat->stmts[id];
	return FGW_OK;
}

/* Clearing the bindings keeps no bound secret (a wrapped key) lingering in
 * the statement. */
void catalog_stmt_done(sqlite3_stmt *st)
{
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
}

/* Checks that s is at most max bytes; the caller's fixed arrays make any
 * longer string a corrupted struct or a caller mistake. */
bool catalog_text_ok(const char *s, size_t max)
{
	return s != NULL && strnlen(s, max + 1) <= max;
}

int catalog_bind_text(sqlite3_stmt *st, int i, const char *s, size_t max)
{
	if (!catalog_text_ok(s, max))
		return FGW_ERR_RANGE;
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) == SQLITE_OK
		? FGW_OK : FGW_ERR_DB;
}

int catalog_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len, size_t max)
{
	if (len > max)
		return FGW_ERR_RANGE;
	return sqlite3_bind_blob(st, i, len > 0 ? p : "", (int)len, SQLITE_STATIC)
		== SQLITE_OK ? FGW_OK : FGW_ERR_DB;
}

int catalog_bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
	return sqlite3_bind_int64(st, i, v) == SQLITE_OK ? FGW_OK : FGW_ERR_DB;
}

/* Copies text column i into dst (size bytes). A longer value means the file
 * was altered behind the CHECK constraints: FGW_ERR_RANGE. */
int catalog_col_text(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if (s == NULL)
		n = 0;
	if (n >= size)
		return FGW_ERR_RANGE;
	if (n > 0)
		memcpy(dst, s, n);
	dst[n] = '\0';
	return FGW_OK;
}

int catalog_col_blob(sqlite3_stmt *st, int i, uint8_t *dst, size_t size, size_t *len)
{
	const void *p = sqlite3_column_blob(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if (n > size)
		return FGW_ERR_RANGE;
	if (n > 0)
		memcpy(dst, p, n);
	*len = n;
	return FGW_OK;
}

/* Runs a statement that returns no rows; FGW_ERR_NOT_FOUND when it changed
 * nothing and need_change is set. Always ends the use of st. */
int catalog_run(struct catalog *cat, sqlite3_stmt *st, bool need_change)
{
	int rc = catalog_map_rc(cat, sqlite3_step(st));

	catalog_stmt_done(st);
	if (rc == FGW_OK && need_change && sqlite3_changes(cat->db) == 0)
		rc = FGW_ERR_NOT_FOUND;
	return rc;
}

static int exec(struct catalog *cat, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(cat->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		log_error("catalog: %s: %s", sql, msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return rc == SQLITE_BUSY ? FGW_ERR_BUSY : FGW_ERR_DB;
	}
	return FGW_OK;
}

/* ---- transactions ------------------------------------------------------ */

int catalog_begin(struct catalog *cat)
{
	int rc;

	if (cat->in_tx)
		return FGW_ERR_STATE;
	/* IMMEDIATE: take the write lock now, so a conflict shows at begin
	 * rather than half-way through a multi-step change. */
	rc = exec(cat, "BEGIN IMMEDIATE");
	if (rc == FGW_OK)
		cat->in_tx = true;
	return rc;
}

int catalog_commit(struct catalog *cat)
{
	int rc;

	if (!cat->in_tx)
		return FGW_ERR_STATE;
	rc = exec(cat, "COMMIT");
	if (rc != FGW_OK) {
		(void)exec(cat, "ROLLBACK");
	}
	cat->in_tx = false;
	return rc;
}

int catalog_rollback(struct catalog *cat)
{
	if (!cat->in_tx)
		return FGW_OK;
	cat->in_tx = false;
	return exec(cat, "ROLLBACK");
}

bool catalog_in_transaction(const struct catalog *cat)
{
	return cat->in_tx;
}

/* ---- open / close / maintenance --------------------------------------- */

/* Creates the file 0600 if missing; refuses one others can read. SQLite
 * gives its -wal and -shm files the same mode as the database. */
static int prepare_file(const char *path)
{
	struct stat sb;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		log_errno("catalog: cannot open %s", path);
		return errno == ENOENT ? FGW_ERR_NOT_FOUND : FGW_ERR_IO;
	}
	if (fstat(fd, &sb) != 0) {
		log_errno("catalog: cannot stat %s", path);
		(void)close(fd);
		return FGW_ERR_IO;
	}
	(void)close(fd);
	if ((sb.st_mode & 077) != 0) {
		log_error("catalog: %s is readable by others (mode %03o); "
			  "run chmod 600 %s", path, (unsigned)(sb.st_mode & 0777), path);
		return FGW_ERR_PERMISSION;
	}
	return FGW_OK;
}

static int pragma_int(struct catalog *cat, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return catalog_map_rc(cat, rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	(void)sqlite3_finalize(st);
	return rc == SQLITE_ROW ? FGW_OK : catalog_map_rc(cat, rc);
}

/* Applies every migration step above the current user_version, all in one
 * transaction together with the new user_version. */
static int migrate(struct catalog *cat, const char *path)
{
	size_t n;
	const struct catalog_migration *steps = catalog_migrations(&n);
	char sql[64];
	int version, rc;

	rc = catalog_begin(cat);
	if (rc == FGW_OK)
		rc = pragma_int(cat, "PRAGMA user_version", &version);
	if (rc == FGW_OK && version > CATALOG_SCHEMA_VERSION) {
		log_error("catalog: %s has schema version %d, newer than this "
			  "program's %d; install the newer faxgw", path, version,
			  CATALOG_SCHEMA_VERSION);
		rc = FGW_ERR_VERSION;
	}
	for (size_t i = 0; rc == FGW_OK && i < n; i++)
		if (steps[i].to_version > version)
			rc = exec(cat, steps[i].sql);
	if (rc == FGW_OK && version < CATALOG_SCHEMA_VERSION) {
		rc = str_format(sql, sizeof sql, "PRAGMA user_version = %d",
				CATALOG_SCHEMA_VERSION);
		if (rc == FGW_OK)
			rc = exec(cat, sql);
	}
	if (rc != FGW_OK) {
		(void)catalog_rollback(cat);
		return rc;
	}
	return catalog_commit(cat);
}

/* Connection settings. secure_delete must never be off: erasing a
 * document's key row has to overwrite the bytes in the file. */
static int configure(struct catalog *cat)
{
	int on = 0, rc;
	static const char settings[] =
		"PRAGMA journal_mode = WAL;"
		"PRAGMA synchronous = FULL;"
		"PRAGMA foreign_keys = ON;"
		"PRAGMA secure_delete = ON;"
		"PRAGMA trusted_schema = OFF;";

	if (sqlite3_busy_timeout(cat->db, 5000) != SQLITE_OK)
		return FGW_ERR_DB;
	rc = exec(cat, settings);
	if (rc == FGW_OK)
		rc = pragma_int(cat, "PRAGMA secure_delete", &on);
	if (rc == FGW_OK && on != 1) {
		log_error("catalog: SQLite refused secure_delete");
		rc = FGW_ERR_DB;
	}
	if (rc == FGW_OK)
		rc = pragma_int(cat, "PRAGMA foreign_keys", &on);
	if (rc == FGW_OK && on != 1) {
		log_error("catalog: SQLite refused foreign_keys");
		rc = FGW_ERR_DB;
	}
	return rc;
}

int catalog_open(const char *path, struct catalog **out)
{
	struct catalog *cat;
	int rc;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return FGW_ERR_INVALID;
	rc = prepare_file(path);
	if (rc != FGW_OK)
		return rc;
	cat = calloc(1, sizeof *cat);
	if (cat == NULL)
		return FGW_ERR_NOMEM;
	rc = sqlite3_open_v2(path, &cat->db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE, NULL);
	if (rc != SQLITE_OK) {
		log_error("catalog: cannot open %s: %s", path, sqlite3_errstr(rc));
		catalog_close(cat);
		return FGW_ERR_DB;
	}
	rc = configure(cat);
	if (rc == FGW_OK)
		rc = migrate(cat, path);
	if (rc != FGW_OK) {
		catalog_close(cat);
		return rc;
	}
	*out = cat;
	return FGW_OK;
}

void catalog_close(struct catalog *cat)
{
	if (cat == NULL)
		return;
	if (cat->in_tx)
		(void)catalog_rollback(cat);
	for (size_t i = 0; i < ST_COUNT; i++)
		(void)sqlite3_finalize(cat->stmts[i]);
	if (sqlite3_close(cat->db) != SQLITE_OK)
		log_error("catalog: close: %s", sqlite3_errmsg(cat->db));
	free(cat);
}

int catalog_schema_version(struct catalog *cat)
{
	int v = 0;
	int rc = pragma_int(cat, "PRAGMA user_version", &v);

	return rc == FGW_OK ? v : rc;
}

/* Runs a check pragma whose single good answer is one row "ok" (or, for
 * foreign_key_check, no row at all). */
static int check_pragma(struct catalog *cat, const char *sql, bool rows_mean_bad)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL), result = FGW_OK;

	if (rc != SQLITE_OK)
		return catalog_map_rc(cat, rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && result == FGW_OK) {
		const char *txt = (const char *)sqlite3_column_text(st, 0);

		if (rows_mean_bad || txt == NULL || strcmp(txt, "ok") != 0) {
			log_error("catalog: %s: %s", sql, txt != NULL ? txt : "(row)");
			result = FGW_ERR_DB;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		result = catalog_map_rc(cat, rc);
	(void)sqlite3_finalize(st);
	return result;
}

int catalog_integrity_check(struct catalog *cat)
{
	int rc = check_pragma(cat, "PRAGMA integrity_check", false);

	if (rc == FGW_OK)
		rc = check_pragma(cat, "PRAGMA foreign_key_check", true);
	return rc;
}

int catalog_checkpoint(struct catalog *cat)
{
	int rc = sqlite3_wal_checkpoint_v2(cat->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
					   NULL, NULL);

	return catalog_map_rc(cat, rc);
}

/* ---- mailboxes --------------------------------------------------------- */

static int bind_mailbox(sqlite3_stmt *st, const struct catalog_mailbox *mb)
{
	int rc = catalog_bind_text(st, 1, mb->number, CATALOG_NUMBER_MAX);

	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 2, mb->name, CATALOG_NAME_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 3, mb->owner, CATALOG_NAME_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_blob(st, 4, mb->pin_verifier, mb->pin_verifier_len,
			       CATALOG_VERIFIER_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_blob(st, 5, mb->pin_params, mb->pin_params_len,
			       CATALOG_PARAMS_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_blob(st, 6, mb->pwd, mb->pwd_len, CATALOG_VERIFIER_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 7, mb->retention_days);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 8, mb->created_ms);
	return rc;
}

static int read_mailbox(sqlite3_stmt *st, struct catalog_mailbox *mb)
{
	int rc;

	memset(mb, 0, sizeof *mb);
	rc = catalog_col_text(st, 0, mb->number, sizeof mb->number);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 1, mb->name, sizeof mb->name);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 2, mb->owner, sizeof mb->owner);
	if (rc == FGW_OK)
		rc = catalog_col_blob(st, 3, mb->pin_verifier, sizeof mb->pin_verifier,
			      &mb->pin_verifier_len);
	if (rc == FGW_OK)
		rc = catalog_col_blob(st, 4, mb->pin_params, sizeof mb->pin_params,
			      &mb->pin_params_len);
	if (rc == FGW_OK)
		rc = catalog_col_blob(st, 5, mb->pwd, sizeof mb->pwd, &mb->pwd_len);
	mb->retention_days = (uint32_t)sqlite3_column_int64(st, 6);
	mb->created_ms = sqlite3_column_int64(st, 7);
	return rc;
}

static int mailbox_write(struct catalog *cat, enum stmt_id id,
			 const struct catalog_mailbox *mb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (mb->number[0] == '\0')
		return FGW_ERR_INVALID;
	rc = stmt(cat, id, &st);
	if (rc != FGW_OK)
		return rc;
	rc = bind_mailbox(st, mb);
	if (rc != FGW_OK) {
		catalog_stmt_done(st);
		return rc;
	}
	return catalog_run(cat, st, id == ST_MB_UPDATE);
}

int catalog_mailbox_create(struct catalog *cat, const struct catalog_mailbox *mb)
{
	return mailbox_write(cat, ST_MB_INSERT, mb);
}

int catalog_mailbox_update(struct catalog *cat, const struct catalog_mailbox *mb)
{
	return mailbox_write(cat, ST_MB_UPDATE, mb);
}

/* Steps st (bound already) for one row and reads it with reader. */
typedef int (*row_reader)(sqlite3_stmt *st, void *out);

static int get_one(struct catalog *cat, sqlite3_stmt *st, row_reader reader, void *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		rc = reader(st, out);
	else if (rc == SQLITE_DONE)
		rc = FGW_ERR_NOT_FOUND;
	else
		rc = catalog_map_rc(cat, rc);
	catalog_stmt_done(st);
	return rc;
}

/* Looks up one row by a text key bound as ?1. */
static int get_by_key(struct catalog *cat, enum stmt_id id, const char *key,
		      size_t key_max, row_reader reader, void *out)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt(cat, id, &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, key, key_max);
	if (rc != FGW_OK) {
		catalog_stmt_done(st);
		/* No row can have a key longer than the column allows. */
		return rc == FGW_ERR_RANGE ? FGW_ERR_NOT_FOUND : rc;
	}
	return get_one(cat, st, reader, out);
}

static int read_mailbox_cb(sqlite3_stmt *st, void *out)
{
	return read_mailbox(st, out);
}

int catalog_mailbox_get(struct catalog *cat, const char *number,
			struct catalog_mailbox *out)
{
	return get_by_key(cat, ST_MB_GET, number, CATALOG_NUMBER_MAX,
			  read_mailbox_cb, out);
}

int catalog_mailbox_list(struct catalog *cat, catalog_mailbox_fn fn, void *arg)
{
	struct catalog_mailbox mb;
	sqlite3_stmt *st = NULL;
	int rc = stmt(cat, ST_MB_LIST, &st), step;

	if (rc != FGW_OK)
		return rc;
	while (rc == FGW_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		rc = read_mailbox(st, &mb);
		if (rc == FGW_OK)
			rc = fn(&mb, arg);
	}
	if (rc == FGW_OK && step != SQLITE_DONE)
		rc = catalog_map_rc(cat, step);
	catalog_stmt_done(st);
	return rc;
}

/* Deletes by a text key bound as ?1; FGW_ERR_NOT_FOUND if nothing went. */
static int delete_by_key(struct catalog *cat, enum stmt_id id, const char *key,
			 size_t key_max)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt(cat, id, &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, key, key_max);
	if (rc != FGW_OK) {
		catalog_stmt_done(st);
		/* No row can have a key longer than the column allows. */
		return rc == FGW_ERR_RANGE ? FGW_ERR_NOT_FOUND : rc;
	}
	return catalog_run(cat, st, true);
}

int catalog_mailbox_delete(struct catalog *cat, const char *number)
{
	return delete_by_key(cat, ST_MB_DELETE, number, CATALOG_NUMBER_MAX);
}

/* ---- documents --------------------------------------------------------- */

static int bind_document(sqlite3_stmt *st, const struct catalog_document *d)
{
	int rc = catalog_bind_text(st, 1, d->id, CATALOG_ID_MAX);

	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 2, d->direction);
	if (rc == FGW_OK && d->mailbox[0] != '\0')
		rc = catalog_bind_text(st, 3, d->mailbox, CATALOG_NUMBER_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 4, d->pages);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 5, d->remote_number, CATALOG_NUMBER_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 6, d->remote_ident, CATALOG_IDENT_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 7, d->sub, CATALOG_IDENT_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 8, d->created_ms);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 9, d->updated_ms);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 10, d->state);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 11, d->blob, CATALOG_BLOBNAME_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_blob(st, 12, d->wrapped_key, d->wrapped_key_len,
			       CATALOG_WRAPPED_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 13, d->key_id, CATALOG_KEYID_MAX);
	if (rc == FGW_OK)
		rc = d->size_bytes > INT64_MAX ? FGW_ERR_RANGE
			: catalog_bind_i64(st, 14, (int64_t)d->size_bytes);
	return rc;
}

static int read_document(sqlite3_stmt *st, void *out)
{
	struct catalog_document *d = out;
	int rc;

	memset(d, 0, sizeof *d);
	rc = catalog_col_text(st, 0, d->id, sizeof d->id);
	d->direction = (enum catalog_direction)sqlite3_column_int(st, 1);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 2, d->mailbox, sizeof d->mailbox);
	d->pages = (uint32_t)sqlite3_column_int64(st, 3);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 4, d->remote_number, sizeof d->remote_number);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 5, d->remote_ident, sizeof d->remote_ident);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 6, d->sub, sizeof d->sub);
	d->created_ms = sqlite3_column_int64(st, 7);
	d->updated_ms = sqlite3_column_int64(st, 8);
	d->state = (enum catalog_doc_state)sqlite3_column_int(st, 9);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 10, d->blob, sizeof d->blob);
	if (rc == FGW_OK)
		rc = catalog_col_blob(st, 11, d->wrapped_key, sizeof d->wrapped_key,
			      &d->wrapped_key_len);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 12, d->key_id, sizeof d->key_id);
	d->size_bytes = (uint64_t)sqlite3_column_int64(st, 13);
	return rc;
}

int catalog_document_insert(struct catalog *cat, const struct catalog_document *doc)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (doc->id[0] == '\0')
		return FGW_ERR_INVALID;
	rc = stmt(cat, ST_DOC_INSERT, &st);
	if (rc != FGW_OK)
		return rc;
	rc = bind_document(st, doc);
	if (rc != FGW_OK) {
		catalog_stmt_done(st);
		return rc;
	}
	return catalog_run(cat, st, false);
}

int catalog_document_get(struct catalog *cat, const char *id,
			 struct catalog_document *out)
{
	return get_by_key(cat, ST_DOC_GET, id, CATALOG_ID_MAX, read_document, out);
}

int catalog_document_set_state(struct catalog *cat, const char *id,
			       enum catalog_doc_state state, uint32_t pages,
			       int64_t updated_ms)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt(cat, ST_DOC_STATE, &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, id, CATALOG_ID_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 2, state);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 3, pages);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 4, updated_ms);
	if (rc != FGW_OK) {
		catalog_stmt_done(st);
		return rc;
	}
	return catalog_run(cat, st, true);
}

int catalog_document_set_key(struct catalog *cat, const char *id,
			     const uint8_t *wrapped, size_t wrapped_len,
			     const char *key_id)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt(cat, ST_DOC_KEY, &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, id, CATALOG_ID_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_blob(st, 2, wrapped, wrapped_len, CATALOG_WRAPPED_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 3, key_id, CATALOG_KEYID_MAX);
	if (rc != FGW_OK) {
		catalog_stmt_done(st);
		return rc;
	}
	return catalog_run(cat, st, true);
}

/* Chooses the list/count statement for a mailbox filter and binds it. */
static int doc_filter(struct catalog *cat, const char *mailbox, enum stmt_id all,
		      enum stmt_id inbox, enum stmt_id one, sqlite3_stmt **out)
{
	enum stmt_id id = mailbox == NULL ? all : mailbox[0] == '\0' ? inbox : one;
	int rc = stmt(cat, id, out);

	if (rc == FGW_OK && id == one) {
		rc = catalog_bind_text(*out, 1, mailbox, CATALOG_NUMBER_MAX);
		if (rc != FGW_OK)
			catalog_stmt_done(*out);
	}
	return rc;
}

int catalog_document_list(struct catalog *cat, const char *mailbox,
			  catalog_document_fn fn, void *arg)
{
	struct catalog_document doc;
	sqlite3_stmt *st = NULL;
	int rc, step = SQLITE_DONE;

	rc = doc_filter(cat, mailbox, ST_DOC_LIST_ALL, ST_DOC_LIST_INBOX,
			ST_DOC_LIST_MB, &st);
	if (rc != FGW_OK)
		return rc;
	while (rc == FGW_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		rc = read_document(st, &doc);
		if (rc == FGW_OK)
			rc = fn(&doc, arg);
	}
	if (rc == FGW_OK && step != SQLITE_DONE)
		rc = catalog_map_rc(cat, step);
	catalog_stmt_done(st);
	memset(doc.wrapped_key, 0, sizeof doc.wrapped_key);
	return rc;
}

int catalog_document_delete(struct catalog *cat, const char *id)
{
	return delete_by_key(cat, ST_DOC_DELETE, id, CATALOG_ID_MAX);
}

long long catalog_document_count(struct catalog *cat, const char *mailbox)
{
	sqlite3_stmt *st = NULL;
	long long n = 0;
	int rc = doc_filter(cat, mailbox, ST_DOC_COUNT_ALL, ST_DOC_COUNT_INBOX,
			    ST_DOC_COUNT_MB, &st), step;

	if (rc != FGW_OK)
		return rc;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		rc = catalog_map_rc(cat, step);
	catalog_stmt_done(st);
	return rc != FGW_OK ? rc : n;
}

/* ---- jobs -------------------------------------------------------------- */

int catalog_job_insert(struct catalog *cat, const struct catalog_job *job)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt(cat, ST_JOB_INSERT, &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, job->id, CATALOG_ID_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 2, job->document, CATALOG_ID_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 3, job->destination, CATALOG_NUMBER_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 4, job->attempts);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 5, job->next_try_ms);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 6, job->state, CATALOG_STATE_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 7, job->created_ms);
	if (rc != FGW_OK) {
		catalog_stmt_done(st);
		return rc;
	}
	return catalog_run(cat, st, false);
}

static int read_job(sqlite3_stmt *st, void *out)
{
	struct catalog_job *j = out;
	int rc;

	memset(j, 0, sizeof *j);
	rc = catalog_col_text(st, 0, j->id, sizeof j->id);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 1, j->document, sizeof j->document);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 2, j->destination, sizeof j->destination);
	j->attempts = (uint32_t)sqlite3_column_int64(st, 3);
	j->next_try_ms = sqlite3_column_int64(st, 4);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 5, j->state, sizeof j->state);
	j->created_ms = sqlite3_column_int64(st, 6);
	return rc;
}

int catalog_job_get(struct catalog *cat, const char *id, struct catalog_job *out)
{
	return get_by_key(cat, ST_JOB_GET, id, CATALOG_ID_MAX, read_job, out);
}

/* ---- users, sessions --------------------------------------------------- */

int catalog_user_insert(struct catalog *cat, const struct catalog_user *user)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt(cat, ST_USER_INSERT, &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, user->name, CATALOG_NAME_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 2, user->role, CATALOG_STATE_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_blob(st, 3, user->verifier, user->verifier_len,
			       CATALOG_VERIFIER_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 4, user->must_change ? 1 : 0);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 5, user->created_ms);
	if (rc != FGW_OK) {
		catalog_stmt_done(st);
		return rc;
	}
	return catalog_run(cat, st, false);
}

int catalog_read_user(sqlite3_stmt *st, void *out)
{
	struct catalog_user *u = out;
	int rc;

	memset(u, 0, sizeof *u);
	rc = catalog_col_text(st, 0, u->name, sizeof u->name);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 1, u->role, sizeof u->role);
	if (rc == FGW_OK)
		rc = catalog_col_blob(st, 2, u->verifier, sizeof u->verifier, &u->verifier_len);
	u->must_change = sqlite3_column_int(st, 3) != 0;
	u->created_ms = sqlite3_column_int64(st, 4);
	return rc;
}

int catalog_user_get(struct catalog *cat, const char *name, struct catalog_user *out)
{
	return get_by_key(cat, ST_USER_GET, name, CATALOG_NAME_MAX, catalog_read_user, out);
}

int catalog_session_insert(struct catalog *cat, const struct catalog_session *s)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt(cat, ST_SES_INSERT, &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, s->id, CATALOG_ID_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 2, s->user, CATALOG_NAME_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 3, s->created_ms);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 4, s->expires_ms);
	if (rc != FGW_OK) {
		catalog_stmt_done(st);
		return rc;
	}
	return catalog_run(cat, st, false);
}

static int read_session(sqlite3_stmt *st, void *out)
{
	struct catalog_session *s = out;
	int rc;

	memset(s, 0, sizeof *s);
	rc = catalog_col_text(st, 0, s->id, sizeof s->id);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 1, s->user, sizeof s->user);
	s->created_ms = sqlite3_column_int64(st, 2);
	s->expires_ms = sqlite3_column_int64(st, 3);
	return rc;
}

int catalog_session_get(struct catalog *cat, const char *id, struct catalog_session *out)
{
	return get_by_key(cat, ST_SES_GET, id, CATALOG_ID_MAX, read_session, out);
}

int catalog_session_delete(struct catalog *cat, const char *id)
{
	return delete_by_key(cat, ST_SES_DELETE, id, CATALOG_ID_MAX);
}

/* ---- lockouts ---------------------------------------------------------- */

static int bind_lock_key(sqlite3_stmt *st, const char *scope, const char *key)
{
	int rc = catalog_bind_text(st, 1, scope, CATALOG_STATE_MAX);

	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 2, key, CATALOG_NAME_MAX);
	return rc;
}

static int read_lockout(sqlite3_stmt *st, void *out)
{
	struct catalog_lockout *l = out;

	l->failures = (uint32_t)sqlite3_column_int64(st, 0);
	l->locked_until_ms = sqlite3_column_int64(st, 1);
	return FGW_OK;
}

int catalog_lockout_get(struct catalog *cat, const char *scope, const char *key,
			struct catalog_lockout *out)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt(cat, ST_LOCK_GET, &st);

	memset(out, 0, sizeof *out);
	if (rc != FGW_OK)
		return rc;
	rc = bind_lock_key(st, scope, key);
	if (rc != FGW_OK) {
		catalog_stmt_done(st);
		return rc;
	}
	rc = get_one(cat, st, read_lockout, out);
	return rc == FGW_ERR_NOT_FOUND ? FGW_OK : rc;
}

int catalog_lockout_set(struct catalog *cat, const char *scope, const char *key,
			const struct catalog_lockout *value)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt(cat, ST_LOCK_SET, &st);

	if (rc != FGW_OK)
		return rc;
	rc = bind_lock_key(st, scope, key);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 3, value->failures);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 4, value->locked_until_ms);
	if (rc != FGW_OK) {
		catalog_stmt_done(st);
		return rc;
	}
	return catalog_run(cat, st, false);
}

int catalog_lockout_clear(struct catalog *cat, const char *scope, const char *key)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt(cat, ST_LOCK_CLEAR, &st);

	if (rc != FGW_OK)
		return rc;
	rc = bind_lock_key(st, scope, key);
	if (rc != FGW_OK) {
		catalog_stmt_done(st);
		return rc;
	}
	return catalog_run(cat, st, false);
}

/* ---- devices ----------------------------------------------------------- */

int catalog_device_put(struct catalog *cat, const struct catalog_device *device)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt(cat, ST_DEV_PUT, &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, device->address, CATALOG_NAME_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 2, device->name, CATALOG_NAME_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 3, device->kind, CATALOG_STATE_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 4, device->last_seen_ms);
	if (rc != FGW_OK) {
		catalog_stmt_done(st);
		return rc;
	}
	return catalog_run(cat, st, false);
}

static int read_device(sqlite3_stmt *st, void *out)
{
	struct catalog_device *d = out;
	int rc;

	memset(d, 0, sizeof *d);
	rc = catalog_col_text(st, 0, d->address, sizeof d->address);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 1, d->name, sizeof d->name);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 2, d->kind, sizeof d->kind);
	d->last_seen_ms = sqlite3_column_int64(st, 3);
	return rc;
}

int catalog_device_get(struct catalog *cat, const char *address,
		       struct catalog_device *out)
{
	return get_by_key(cat, ST_DEV_GET, address, CATALOG_NAME_MAX, read_device, out);
}

/* ---- audit head -------------------------------------------------------- */

static int read_head(sqlite3_stmt *st, void *out)
{
	struct catalog_audit_head *h = out;
	size_t len = 0;
	int rc;

	h->seq = (uint64_t)sqlite3_column_int64(st, 0);
	rc = catalog_col_blob(st, 1, h->mac, sizeof h->mac, &len);
	if (rc == FGW_OK && len != sizeof h->mac)
		rc = FGW_ERR_DB;
	return rc;
}

int catalog_audit_head_get(struct catalog *cat, struct catalog_audit_head *out)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt(cat, ST_HEAD_GET, &st);

	memset(out, 0, sizeof *out);
	if (rc != FGW_OK)
		return rc;
	return get_one(cat, st, read_head, out);
}

/* The head is written after every audit group commit. Outside a caller's
 * transaction it is committed with synchronous=NORMAL (no WAL fsync): after
 * a power loss the head may lag the log file, which only weakens the
 * truncation check for the last few records and never causes a false alarm,
 * while an fsync here would halve the audit log's durable rate. */
static int head_write(struct catalog *cat, enum stmt_id id,
		      const struct catalog_audit_head *head)
{
	sqlite3_stmt *st = NULL;
	bool relax = !cat->in_tx;
	int rc;

	if (head->seq > INT64_MAX)
		return FGW_ERR_RANGE;
	rc = stmt(cat, id, &st);
	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_i64(st, 1, (int64_t)head->seq);
	if (rc == FGW_OK)
		rc = catalog_bind_blob(st, 2, head->mac, sizeof head->mac, sizeof head->mac);
	if (rc != FGW_OK) {
		catalog_stmt_done(st);
		return rc;
	}
	if (relax && exec(cat, "PRAGMA synchronous = NORMAL") != FGW_OK)
		relax = false;
	rc = catalog_run(cat, st, true);
	if (relax && exec(cat, "PRAGMA synchronous = FULL") != FGW_OK)
		rc = FGW_ERR_DB;
	return rc == FGW_ERR_NOT_FOUND ? FGW_ERR_STATE : rc;
}

int catalog_audit_head_set(struct catalog *cat, const struct catalog_audit_head *head)
{
	return head_write(cat, ST_HEAD_SET, head);
}

int catalog_audit_head_reset(struct catalog *cat, const struct catalog_audit_head *head)
{
	return head_write(cat, ST_HEAD_RESET, head);
}
