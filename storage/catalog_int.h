/* Private to storage/catalog*.c: the pieces a catalog_<area>.c file needs
 * to add its own statements beside catalog.c. Not a public header. */
#ifndef FAXGW_STORAGE_CATALOG_INT_H
#define FAXGW_STORAGE_CATALOG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "storage/catalog.h"

/* The open database, owned by cat. */
sqlite3 *catalog_db(struct catalog *cat);

/* Prepares sql (not cached: for statements run rarely). Returns 0 or an
 * FGW_ERR_* code; finalize *out with sqlite3_finalize. */
int catalog_prepare(struct catalog *cat, const char *sql, sqlite3_stmt **out);

/* Maps an SQLite result code to the project's codes (logs unexpected ones). */
int catalog_map_rc(struct catalog *cat, int rc);

/* Resets st and clears its bindings. */
void catalog_stmt_done(sqlite3_stmt *st);

/* True when s is non-NULL and at most max bytes. */
bool catalog_text_ok(const char *s, size_t max);

/* Binders: 0, FGW_ERR_RANGE (too long) or FGW_ERR_DB. Values must outlive
 * the statement's use (SQLITE_STATIC). */
int catalog_bind_text(sqlite3_stmt *st, int i, const char *s, size_t max);
int catalog_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len, size_t max);
int catalog_bind_i64(sqlite3_stmt *st, int i, int64_t v);

/* Column readers into fixed buffers: 0 or FGW_ERR_RANGE. */
int catalog_col_text(sqlite3_stmt *st, int i, char *dst, size_t size);
int catalog_col_blob(sqlite3_stmt *st, int i, uint8_t *dst, size_t size, size_t *len);

/* Reads a users row (name, role, verifier, must_change, created_ms, in
 * that column order) into out, a struct catalog_user. Returns 0 or
 * FGW_ERR_RANGE. */
int catalog_read_user(sqlite3_stmt *st, void *out);

/* Steps a statement that returns no rows and ends its use; FGW_ERR_NOT_FOUND
 * when it changed nothing and need_change is set. */
int catalog_run(struct catalog *cat, sqlite3_stmt *st, bool need_change);

#endif
