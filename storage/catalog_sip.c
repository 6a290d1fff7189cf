/* SIP credential statements; see catalog_sip.h. Prepared per call: a
 * device authenticates a few times an hour. */
#include "storage/catalog_sip.h"

#include <string.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "storage/catalog_int.h"

#define SIP_COLUMNS "device, user, realm, ha1_md5, ha1_sha256, created_ms, changed_ms"

static int bind_cred(sqlite3_stmt *st, const struct catalog_sip_cred *c)
{
	int rc = catalog_bind_text(st, 1, c->device, CATALOG_NAME_MAX);

	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 2, c->user, CATALOG_NAME_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_text(st, 3, c->realm, CATALOG_SIP_REALM_MAX);
	if (rc == FGW_OK)
		rc = catalog_bind_blob(st, 4, c->ha1_md5, sizeof c->ha1_md5, sizeof c->ha1_md5);
	if (rc == FGW_OK)
		rc = catalog_bind_blob(st, 5, c->ha1_sha256, sizeof c->ha1_sha256,
				       sizeof c->ha1_sha256);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 6, c->created_ms);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(st, 7, c->changed_ms);
	return rc;
}

static int read_fixed_blob(sqlite3_stmt *st, int i, uint8_t *dst, size_t n)
{
	size_t len = 0;
	int rc = catalog_col_blob(st, i, dst, n, &len);

	return rc == FGW_OK && len != n ? FGW_ERR_RANGE : rc;
}

static int read_cred(sqlite3_stmt *st, struct catalog_sip_cred *c)
{
	int rc = catalog_col_text(st, 0, c->device, sizeof c->device);

	if (rc == FGW_OK)
		rc = catalog_col_text(st, 1, c->user, sizeof c->user);
	if (rc == FGW_OK)
		rc = catalog_col_text(st, 2, c->realm, sizeof c->realm);
	if (rc == FGW_OK)
		rc = read_fixed_blob(st, 3, c->ha1_md5, sizeof c->ha1_md5);
	if (rc == FGW_OK)
		rc = read_fixed_blob(st, 4, c->ha1_sha256, sizeof c->ha1_sha256);
	c->created_ms = sqlite3_column_int64(st, 5);
	c->changed_ms = sqlite3_column_int64(st, 6);
	return rc;
}

/* The unique user name and the device reference have the same SQLite
 * code; tell them apart for the caller. */
static int put_error(struct catalog *cat, int step)
{
	int ext = sqlite3_extended_errcode(catalog_db(cat));

	if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		return FGW_ERR_EXISTS;
	if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
		return FGW_ERR_DENIED;
	return catalog_map_rc(cat, step);
}

int catalog_sip_put(struct catalog *cat, const struct catalog_sip_cred *c)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	if (c->device[0] == '\0' || c->user[0] == '\0' || c->realm[0] == '\0')
		return FGW_ERR_INVALID;
	rc = catalog_prepare(cat, "INSERT INTO sip_credentials (" SIP_COLUMNS ")"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			     " ON CONFLICT (device) DO UPDATE SET user = excluded.user,"
			     " realm = excluded.realm, ha1_md5 = excluded.ha1_md5,"
			     " ha1_sha256 = excluded.ha1_sha256,"
			     " changed_ms = excluded.changed_ms", &st);
	if (rc != FGW_OK)
		return rc;
	rc = bind_cred(st, c);
	if (rc == FGW_OK) {
		step = sqlite3_step(st);
		rc = step == SQLITE_DONE ? FGW_OK : put_error(cat, step);
	}
	sqlite3_finalize(st);
	return rc;
}

static int get_where(struct catalog *cat, const char *sql, const char *key,
		     struct catalog_sip_cred *out)
{
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(cat, sql, &st), step;

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, key, CATALOG_NAME_MAX);
	if (rc != FGW_OK) {
		sqlite3_finalize(st);
		/* no row can have a key longer than the column allows */
		return rc == FGW_ERR_RANGE ? FGW_ERR_NOT_FOUND : rc;
	}
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		rc = read_cred(st, out);
	else
		rc = step == SQLITE_DONE ? FGW_ERR_NOT_FOUND : catalog_map_rc(cat, step);
	sqlite3_finalize(st);
	if (rc != FGW_OK)
		OPENSSL_cleanse(out, sizeof *out);
	return rc;
}

int catalog_sip_get(struct catalog *cat, const char *device, struct catalog_sip_cred *out)
{
	return get_where(cat, "SELECT " SIP_COLUMNS " FROM sip_credentials WHERE device = ?1",
			 device, out);
}

int catalog_sip_get_by_user(struct catalog *cat, const char *user,
			    struct catalog_sip_cred *out)
{
	return get_where(cat, "SELECT " SIP_COLUMNS " FROM sip_credentials WHERE user = ?1",
			 user, out);
}

int catalog_sip_delete(struct catalog *cat, const char *device)
{
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(cat, "DELETE FROM sip_credentials WHERE device = ?1", &st);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_bind_text(st, 1, device, CATALOG_NAME_MAX);
	if (rc != FGW_OK) {
		sqlite3_finalize(st);
		return rc == FGW_ERR_RANGE ? FGW_ERR_NOT_FOUND : rc;
	}
	rc = catalog_run(cat, st, true);
	sqlite3_finalize(st);
	return rc;
}
