/* Device statements with the policy columns; see catalog_devices.h.
 * Prepared per call: devices change by hand and are read once per call. */
#include "storage/catalog_devices.h"

#include <string.h>

#include "common/err.h"
#include "storage/catalog_int.h"

#define DEVICE_COLUMNS "address, name, kind, last_seen_ms, double_entry," \
		       " international_allow, allow_prefixes, deny_prefixes, countries"

void catalog_devices_entry_init(struct catalog_device_entry *e)
{
	memset(e, 0, sizeof *e);
	e->double_entry = CATALOG_SET_DEFAULT;
	e->international_allow = CATALOG_SET_DEFAULT;
}

static bool setting_ok(enum catalog_setting s)
{
	return s == CATALOG_SET_DEFAULT || s == CATALOG_SET_NO || s == CATALOG_SET_YES;
}

static int bind_setting(sqlite3_stmt *st, int i, enum catalog_setting s)
{
	if (s == CATALOG_SET_DEFAULT)
		return sqlite3_bind_null(st, i) == SQLITE_OK ? FGW_OK : FGW_ERR_DB;
	return catalog_bind_i64(st, i, s == CATALOG_SET_YES);
}

static int bind_list(sqlite3_stmt *st, int i, const struct catalog_device_list *l)
{
	if (!l->set)
		return sqlite3_bind_null(st, i) == SQLITE_OK ? FGW_OK : FGW_ERR_DB;
	return catalog_bind_text(st, i, l->text, CATALOG_DEVICE_LIST_MAX);
}

static int bind_entry(sqlite3_stmt *st, const struct catalog_device_entry *e)
{
	int rc = catalog_bind_text(st, 1, e->dev.address, CATALOG_NAME_MAX);

	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 2, e->dev.name, CATALOG_NAME_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 3, e->dev.kind, CATALOG_STATE_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 4, e->dev.last_seen_ms);
	if (rc == FGW_OK)
		rc = bind_setting(st, 5, e->double_entry);
	if (rc == FGW_OK)
		rc = bind_setting(st, 6, e->international_allow);
	if (rc == FGW_OK)
		rc = bind_list(st, 7, &e->allow_prefixes);
	if (rc == FGW_OK)
		rc = bind_list(st, 8, &e->deny_prefixes);
	if (rc == FGW_OK)
		rc = bind_list(st, 9, &e->countries);
	return rc;
}

static enum catalog_setting col_setting(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return CATALOG_SET_DEFAULT;
	return sqlite3_column_int64(st, i) != 0 ? CATALOG_SET_YES : CATALOG_SET_NO;
}

static int col_list(sqlite3_stmt *st, int i, struct catalog_device_list *l)
{
	l->set = sqlite3_column_type(st, i) != SQLITE_NULL;
	if (!l->set)
		return FGW_OK;
	return catalog_col_text(st, i, l->text, sizeof l->text);
}

static int read_entry(sqlite3_stmt *st, struct catalog_device_entry *e)
{
	int rc;

	catalog_devices_entry_init(e);
	rc = catalog_col_text(st, 0, e->dev.address, sizeof e->dev.address);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 1, e->dev.name, sizeof e->dev.name);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 2, e->dev.kind, sizeof e->dev.kind);
	e->dev.last_seen_ms = sqlite3_column_int64(st, 3);
	e->double_entry = col_setting(st, 4);
	e->international_allow = col_setting(st, 5);
	if (rc == FGW_OK)
		rc = col_list(st, 6, &e->allow_prefixes);
	if (rc == FGW_OK)
		rc = col_list(st, 7, &e->deny_prefixes);
	if (rc == FGW_OK)
		rc = col_list(st, 8, &e->countries);
	return rc;
}

/* Runs a statement without rows and finalizes it. */
static int run_once(struct catalog *cat, sqlite3_stmt *st, bool need_change)
{
	int rc = catalog_run(cat, st, need_change);

	sqlite3_finalize(st);
	return rc;
}

int catalog_devices_get(struct catalog *cat, const char *address,
			struct catalog_device_entry *out)
{
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(cat, "SELECT " DEVICE_COLUMNS " FROM devices"
				 " WHERE address = ?1", &st), step;

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, address, CATALOG_NAME_MAX);
	if (rc != FGW_OK) {
		sqlite3_finalize(st);
		/* No row can have a key longer than the column allows. */
		return rc == FGW_ERR_RANGE ? FGW_ERR_NOT_FOUND : rc;
	}
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		rc = read_entry(st, out);
	else
		rc = step == SQLITE_DONE ? FGW_ERR_NOT_FOUND : catalog_map_rc(cat, step);
	sqlite3_finalize(st);
	return rc;
}

int catalog_devices_save(struct catalog *cat, const struct catalog_device_entry *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (e->dev.address[0] == '\0' || !setting_ok(e->double_entry) ||
	    !setting_ok(e->international_allow))
		return FGW_ERR_INVALID;
	rc = catalog_prepare(cat, "INSERT OR REPLACE INTO devices (" DEVICE_COLUMNS ")"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &st);
	if (rc != FGW_OK)
		return rc;
	rc = bind_entry(st, e);
	if (rc != FGW_OK) {
		sqlite3_finalize(st);
		return rc;
	}
	return run_once(cat, st, false);
}

int catalog_devices_delete(struct catalog *cat, const char *address)
{
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(cat, "DELETE FROM devices WHERE address = ?1", &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, address, CATALOG_NAME_MAX);
	if (rc != FGW_OK) {
		sqlite3_finalize(st);
		return rc == FGW_ERR_RANGE ? FGW_ERR_NOT_FOUND : rc;
	}
	return run_once(cat, st, true);
}

int catalog_devices_list(struct catalog *cat, catalog_device_fn fn, void *arg)
{
	struct catalog_device_entry e;
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(cat, "SELECT " DEVICE_COLUMNS " FROM devices"
				 " ORDER BY address", &st), step = SQLITE_DONE;

	if (rc != FGW_OK)
		return rc;
	while (rc == FGW_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		rc = read_entry(st, &e);
		if (rc == FGW_OK)
			rc = fn(&e, arg);
	}
	if (rc == FGW_OK && step != SQLITE_DONE)
		rc = catalog_map_rc(cat, step);
	sqlite3_finalize(st);
	return rc;
}
