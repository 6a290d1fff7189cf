/* Users and sessions statements beyond catalog.c's; prepared per call
 * (logins and page views, not per sample). */
#include "storage/catalog_users.h"

#include <string.h>

#include "common/err.h"
#include "storage/catalog_int.h"

/* Steps st (no rows), finalizes it. */
static int run_once(struct catalog *cat, sqlite3_stmt *st, bool need_change)
{
	int rc = catalog_run(cat, st, need_change);

	sqlite3_finalize(st);
	return rc;
}

int catalog_user_list(struct catalog *cat, catalog_user_fn fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	struct catalog_user u;
	int rc = catalog_prepare(cat, "SELECT name, role, verifier, must_change, created_ms"
				 " FROM users ORDER BY name", &st), step;

	if (rc != FGW_OK)
		return rc;
	while (rc == FGW_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		rc = catalog_read_user(st, &u);
		if (rc == FGW_OK)
			rc = fn(&u, arg);
	}
	if (rc == FGW_OK && step != SQLITE_DONE)
		rc = catalog_map_rc(cat, step);
	sqlite3_finalize(st);
	memset(&u, 0, sizeof u);
	return rc;
}

int catalog_user_update(struct catalog *cat, const struct catalog_user *user)
{
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(cat, "UPDATE users SET role = ?2, verifier = ?3,"
				 " must_change = ?4 WHERE name = ?1", &st);

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
	if (rc != FGW_OK) {
		sqlite3_finalize(st);
		return rc;
	}
	return run_once(cat, st, true);
}

/* Runs sql with one text parameter. */
static int run_text(struct catalog *cat, const char *sql, const char *text, size_t max,
		    bool need_change)
{
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(cat, sql, &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, text, max);
	if (rc != FGW_OK) {
		sqlite3_finalize(st);
		return rc;
	}
	return run_once(cat, st, need_change);
}

int catalog_user_delete(struct catalog *cat, const char *name)
{
	return run_text(cat, "DELETE FROM users WHERE name = ?1", name, CATALOG_NAME_MAX, true);
}

long long catalog_user_count(struct catalog *cat)
{
	sqlite3_stmt *st = NULL;
	long long n = 0;
	int rc = catalog_prepare(cat, "SELECT count(*) FROM users", &st), step;

	if (rc != FGW_OK)
		return rc;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		rc = catalog_map_rc(cat, step);
	sqlite3_finalize(st);
	return rc != FGW_OK ? rc : n;
}

int catalog_session_touch(struct catalog *cat, const char *id, int64_t expires_ms)
{
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(cat, "UPDATE sessions SET expires_ms = ?2 WHERE id = ?1", &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, id, CATALOG_ID_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 2, expires_ms);
	if (rc != FGW_OK) {
		sqlite3_finalize(st);
		return rc;
	}
	return run_once(cat, st, true);
}

int catalog_session_delete_user(struct catalog *cat, const char *user)
{
	return run_text(cat, "DELETE FROM sessions WHERE user = ?1", user, CATALOG_NAME_MAX,
			false);
}

int catalog_session_purge(struct catalog *cat, int64_t now_ms)
{
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(cat, "DELETE FROM sessions WHERE expires_ms < ?1", &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_i64(st, 1, now_ms);
	if (rc != FGW_OK) {
		sqlite3_finalize(st);
		return rc;
	}
	return run_once(cat, st, false);
}
