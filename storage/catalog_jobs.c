/* Outbound job statements; see catalog_jobs.h. Statements are prepared per
 * call: the queue runs a few of them per fax, not per sample. */
#include "storage/catalog_jobs.h"

#include <string.h>

#include "common/err.h"
#include "storage/catalog_int.h"

#define JOB_COLUMNS "id, document, destination, attempts, next_try_ms, state," \
		    " created_ms, origin, device, max_tries, last_error, updated_ms, line"

static int bind_row(sqlite3_stmt *st, const struct catalog_outjob *j)
{
	const struct catalog_job *b = &j->job;
	int rc = catalog_bind_text(st, 1, b->id, CATALOG_ID_MAX);

	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 2, b->document, CATALOG_ID_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 3, b->destination, CATALOG_NUMBER_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 4, b->attempts);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 5, b->next_try_ms);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 6, b->state, CATALOG_STATE_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 7, b->created_ms);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 8, j->origin, CATALOG_ORIGIN_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 9, j->device, CATALOG_NAME_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 10, j->max_tries);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 11, j->last_error, CATALOG_JOB_ERROR_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 12, j->updated_ms);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 13, j->line[0] != '\0' ? j->line : CATALOG_LINE_TRUNK,
				       CATALOG_LINE_MAX);
	return rc;
}

static int read_row(sqlite3_stmt *st, struct catalog_outjob *j)
{
	struct catalog_job *b = &j->job;
	int rc;

	memset(j, 0, sizeof *j);
	rc = catalog_col_text(st, 0, b->id, sizeof b->id);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 1, b->document, sizeof b->document);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 2, b->destination, sizeof b->destination);
	b->attempts = (uint32_t)sqlite3_column_int64(st, 3);
	b->next_try_ms = sqlite3_column_int64(st, 4);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 5, b->state, sizeof b->state);
	b->created_ms = sqlite3_column_int64(st, 6);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 7, j->origin, sizeof j->origin);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 8, j->device, sizeof j->device);
	j->max_tries = (uint32_t)sqlite3_column_int64(st, 9);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 10, j->last_error, sizeof j->last_error);
	j->updated_ms = sqlite3_column_int64(st, 11);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 12, j->line, sizeof j->line);
	return rc;
}

/* Steps st once: a row fills *out, no row is FGW_ERR_NOT_FOUND. Finalizes. */
static int one_row(struct catalog *cat, sqlite3_stmt *st, struct catalog_outjob *out)
{
	int step = sqlite3_step(st), rc;

	if (step == SQLITE_ROW)
		rc = read_row(st, out);
	else if (step == SQLITE_DONE)
		rc = FGW_ERR_NOT_FOUND;
	else
		rc = catalog_map_rc(cat, step);
	sqlite3_finalize(st);
	return rc;
}

/* Runs a statement without rows and finalizes it. */
static int run_once(struct catalog *cat, sqlite3_stmt *st, bool need_change)
{
	int rc = catalog_run(cat, st, need_change);

	sqlite3_finalize(st);
	return rc;
}

int catalog_jobs_insert(struct catalog *cat, const struct catalog_outjob *j)
{
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(cat, "INSERT INTO jobs (" JOB_COLUMNS ") VALUES"
				 " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", &st);

	if (rc != FGW_OK)
		return rc;
	rc = bind_row(st, j);
	if (rc != FGW_OK) {
		sqlite3_finalize(st);
		return rc;
	}
	return run_once(cat, st, false);
}

int catalog_jobs_get(struct catalog *cat, const char *id, struct catalog_outjob *out)
{
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(cat, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1", &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, id, CATALOG_ID_MAX);
	if (rc != FGW_OK) {
		sqlite3_finalize(st);
		return rc == FGW_ERR_RANGE ? FGW_ERR_NOT_FOUND : rc;
	}
	return one_row(cat, st, out);
}

int catalog_jobs_update(struct catalog *cat, const struct catalog_outjob *j)
{
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(cat, "UPDATE jobs SET attempts = ?2, next_try_ms = ?3,"
				 " state = ?4, last_error = ?5, updated_ms = ?6 WHERE id = ?1", &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, j->job.id, CATALOG_ID_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 2, j->job.attempts);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 3, j->job.next_try_ms);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 4, j->job.state, CATALOG_STATE_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 5, j->last_error, CATALOG_JOB_ERROR_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 6, j->updated_ms);
	if (rc != FGW_OK) {
		sqlite3_finalize(st);
		return rc;
	}
	return run_once(cat, st, true);
}

int catalog_jobs_next_due(struct catalog *cat, const char *state, int64_t now_ms,
			  struct catalog_outjob *out)
{
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(cat, "SELECT " JOB_COLUMNS " FROM jobs WHERE state = ?1"
				 " AND next_try_ms <= ?2 ORDER BY next_try_ms, created_ms, rowid"
				 " LIMIT 1", &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, state, CATALOG_STATE_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 2, now_ms);
	if (rc != FGW_OK) {
		sqlite3_finalize(st);
		return rc;
	}
	return one_row(cat, st, out);
}

int catalog_jobs_move_state(struct catalog *cat, const char *from, const char *to,
			    int64_t now_ms, int *moved)
{
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(cat, "UPDATE jobs SET state = ?2, next_try_ms = ?3,"
				 " updated_ms = ?3 WHERE state = ?1", &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, from, CATALOG_STATE_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 2, to, CATALOG_STATE_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 3, now_ms);
	if (rc != FGW_OK) {
		sqlite3_finalize(st);
		return rc;
	}
	rc = run_once(cat, st, false);
	if (moved != NULL)
		*moved = rc == FGW_OK ? sqlite3_changes(catalog_db(cat)) : 0;
	return rc;
}

int catalog_jobs_list(struct catalog *cat, catalog_outjob_fn fn, void *arg)
{
	struct catalog_outjob j;
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(cat, "SELECT " JOB_COLUMNS " FROM jobs"
				 " ORDER BY created_ms, rowid", &st), step = SQLITE_DONE;

	if (rc != FGW_OK)
		return rc;
	while (rc == FGW_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		rc = read_row(st, &j);
		if (rc == FGW_OK)
			rc = fn(&j, arg);
	}
	if (rc == FGW_OK && step != SQLITE_DONE)
		rc = catalog_map_rc(cat, step);
	sqlite3_finalize(st);
	return rc;
}
