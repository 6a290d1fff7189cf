/* The catalog's schema, as an ordered list of migrations. Never edit a
 * step that has shipped: add a new one (ALTER TABLE ..., a data fix-up) and
 * bump CATALOG_SCHEMA_VERSION. Every table is STRICT and bounds its text
 * and blobs, so a row the code would refuse cannot be stored by mistake. */
#include "storage/catalog_schema.h"

#include "storage/catalog.h"

static const char schema_v1[] =
	"CREATE TABLE mailboxes ("
	" number TEXT PRIMARY KEY NOT NULL"
	"  CHECK (length(number) BETWEEN 1 AND 40),"
	" name TEXT NOT NULL CHECK (length(name) <= 128),"
	" owner TEXT NOT NULL DEFAULT '' CHECK (length(owner) <= 128),"
	" pin_verifier BLOB NOT NULL CHECK (length(pin_verifier) <= 256),"
	" pin_params BLOB NOT NULL CHECK (length(pin_params) <= 128),"
	" pwd BLOB NOT NULL CHECK (length(pwd) <= 256),"
	" retention_days INTEGER NOT NULL DEFAULT 0"
	"  CHECK (retention_days BETWEEN 0 AND 4294967295),"
	" created_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE documents ("
	" id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 64),"
	" direction INTEGER NOT NULL CHECK (direction IN (0, 1)),"
	/* NULL: the general inbox. RESTRICT: a mailbox cannot vanish while it
	 * still holds documents (they must be erased, with their keys). */
	" mailbox TEXT REFERENCES mailboxes(number) ON DELETE RESTRICT,"
	" pages INTEGER NOT NULL DEFAULT 0 CHECK (pages >= 0),"
	" remote_number TEXT NOT NULL DEFAULT ''"
	"  CHECK (length(remote_number) <= 40),"
	" remote_ident TEXT NOT NULL DEFAULT ''"
	"  CHECK (length(remote_ident) <= 40),"
	" sub TEXT NOT NULL DEFAULT '' CHECK (length(sub) <= 40),"
	" created_ms INTEGER NOT NULL,"
	" updated_ms INTEGER NOT NULL,"
	" state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 5),"
	" blob TEXT NOT NULL CHECK (length(blob) <= 128),"
	" wrapped_key BLOB NOT NULL CHECK (length(wrapped_key) <= 256),"
	" key_id TEXT NOT NULL CHECK (length(key_id) <= 64),"
	" size_bytes INTEGER NOT NULL DEFAULT 0 CHECK (size_bytes >= 0)"
	") STRICT;"
	"CREATE INDEX documents_by_mailbox ON documents (mailbox, created_ms);"
	"CREATE TABLE jobs ("
	" id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 64),"
	" document TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,"
	" destination TEXT NOT NULL CHECK (length(destination) BETWEEN 1 AND 40),"
	" attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	" next_try_ms INTEGER NOT NULL DEFAULT 0,"
	" state TEXT NOT NULL CHECK (length(state) <= 32),"
	" created_ms INTEGER NOT NULL,"
	/* Where the request came from (dial rules need it again at send time:
	 * "device", "local", "trunk"), which device or line, how it ended. */
	" origin TEXT NOT NULL DEFAULT 'local' CHECK (length(origin) <= 16),"
	" device TEXT NOT NULL DEFAULT '' CHECK (length(device) <= 128),"
	" max_tries INTEGER NOT NULL DEFAULT 3 CHECK (max_tries BETWEEN 1 AND 100),"
	" last_error TEXT NOT NULL DEFAULT '' CHECK (length(last_error) <= 200),"
	" updated_ms INTEGER NOT NULL DEFAULT 0,"
	/* The route: out to the public trunk, or to the office device line
	 * (forwarded inbox faxes, printed releases). */
	" line TEXT NOT NULL DEFAULT 'trunk' CHECK (line IN ('trunk', 'device'))"
	") STRICT;"
	"CREATE INDEX jobs_by_document ON jobs (document);"
	"CREATE INDEX jobs_by_next_try ON jobs (state, next_try_ms);"
	"CREATE TABLE users ("
	" name TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 128),"
	" role TEXT NOT NULL CHECK (length(role) <= 32),"
	" verifier BLOB NOT NULL CHECK (length(verifier) <= 256),"
	" must_change INTEGER NOT NULL DEFAULT 1 CHECK (must_change IN (0, 1)),"
	" created_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE sessions ("
	" id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 64),"
	" user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,"
	" created_ms INTEGER NOT NULL,"
	" expires_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX sessions_by_user ON sessions (user);"
	"CREATE TABLE lockouts ("
	" scope TEXT NOT NULL CHECK (length(scope) BETWEEN 1 AND 32),"
	" key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 128),"
	" failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),"
	" locked_until_ms INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (scope, key)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE devices ("
	" address TEXT PRIMARY KEY NOT NULL"
	"  CHECK (length(address) BETWEEN 1 AND 128),"
	" name TEXT NOT NULL CHECK (length(name) <= 128),"
	" kind TEXT NOT NULL CHECK (length(kind) <= 32),"
	" last_seen_ms INTEGER NOT NULL DEFAULT 0,"
	/* Outbound policy of this device; NULL everywhere means "as the
	 * configuration says" ([outbound] double_entry, [dialing] ...), and
	 * '' in a list means "no entries" (see storage/catalog_devices.h). */
	" double_entry INTEGER CHECK (double_entry IS NULL OR double_entry IN (0, 1)),"
	" international_allow INTEGER"
	"  CHECK (international_allow IS NULL OR international_allow IN (0, 1)),"
	" allow_prefixes TEXT"
	"  CHECK (allow_prefixes IS NULL OR length(allow_prefixes) <= 640),"
	" deny_prefixes TEXT"
	"  CHECK (deny_prefixes IS NULL OR length(deny_prefixes) <= 640),"
	" countries TEXT CHECK (countries IS NULL OR length(countries) <= 640)"
	") STRICT;"
	/* Exactly one row: the audit log's last durable record. */
	"CREATE TABLE audit_head ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" seq INTEGER NOT NULL CHECK (seq >= 0),"
	" mac BLOB NOT NULL CHECK (length(mac) = 32)"
	") STRICT;"
	"INSERT INTO audit_head (id, seq, mac) VALUES (1, 0, zeroblob(32));";

/* v2: the audit log's index (storage/audit_index.h). One row per line of
 * the log, keyed by its line number; the file stays the source of truth.
 * Text columns are bounded by the longest line a record may have. */
static const char schema_v2[] =
	"CREATE TABLE audit_index ("
	" line INTEGER PRIMARY KEY NOT NULL CHECK (line >= 1),"
	" seq INTEGER NOT NULL CHECK (seq >= 0),"
	" time_ms INTEGER NOT NULL,"
	" type TEXT NOT NULL CHECK (length(type) <= 4096),"
	" direction TEXT NOT NULL CHECK (length(direction) <= 4096),"
	" number TEXT NOT NULL CHECK (length(number) <= 4096),"
	" result TEXT NOT NULL CHECK (length(result) <= 4096),"
	" mailbox TEXT NOT NULL CHECK (length(mailbox) <= 4096),"
	" user TEXT NOT NULL CHECK (length(user) <= 4096),"
	" source TEXT NOT NULL CHECK (length(source) <= 4096),"
	" byte_offset INTEGER NOT NULL CHECK (byte_offset >= 0),"
	" byte_length INTEGER NOT NULL CHECK (byte_length >= 0)"
	") STRICT;"
	/* SQLite keeps the rowid (line) at the end of each index: an equality
	 * on the column gives its rows in line order, for pages. The query
	 * code names the index a page uses (audit_index.c). */
	"CREATE INDEX audit_index_by_type ON audit_index (type);"
	"CREATE INDEX audit_index_by_result ON audit_index (result);"
	"CREATE INDEX audit_index_by_mailbox ON audit_index (mailbox);"
	"CREATE INDEX audit_index_by_time ON audit_index (time_ms);"
	/* counts of one type over the last hours (the dashboard) */
	"CREATE INDEX audit_index_by_type_time ON audit_index (type, time_ms);"
	/* counts of a filter with a type, without reading the table */
	"CREATE INDEX audit_index_cover ON audit_index"
	" (type, direction, result, mailbox, time_ms, number);"
	/* Exactly one row: how far the index reaches and what it saw there. */
	"CREATE TABLE audit_index_state ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" bytes INTEGER NOT NULL CHECK (bytes >= 0),"
	" lines INTEGER NOT NULL CHECK (lines >= 0),"
	" dev INTEGER NOT NULL,"
	" ino INTEGER NOT NULL,"
	" first_length INTEGER NOT NULL CHECK (first_length >= 0),"
	" first_hash BLOB NOT NULL CHECK (length(first_hash) IN (0, 32)),"
	" last_offset INTEGER NOT NULL CHECK (last_offset >= 0),"
	" last_length INTEGER NOT NULL CHECK (last_length >= 0),"
	" last_hash BLOB NOT NULL CHECK (length(last_hash) IN (0, 32)),"
	" stale INTEGER NOT NULL CHECK (stale IN (0, 1))"
	") STRICT;"
	"INSERT INTO audit_index_state VALUES (1, 0, 0, 0, 0, 0, x'', 0, 0, x'', 0);";

/* v3: per-device SIP credentials (storage/catalog_sip.h). The device
 * reference has no ON DELETE action: the devices table is written with
 * INSERT OR REPLACE, which would cascade; a device with SIP credentials is
 * therefore deleted only after `faxgw sip remove`. */
static const char schema_v3[] =
	"CREATE TABLE sip_credentials ("
	" device TEXT PRIMARY KEY NOT NULL REFERENCES devices(address)"
	"  CHECK (length(device) BETWEEN 1 AND 128),"
	" user TEXT NOT NULL UNIQUE CHECK (length(user) BETWEEN 1 AND 128),"
	" realm TEXT NOT NULL CHECK (length(realm) BETWEEN 1 AND 64),"
	" ha1_md5 BLOB NOT NULL CHECK (length(ha1_md5) = 16),"
	" ha1_sha256 BLOB NOT NULL CHECK (length(ha1_sha256) = 32),"
	" created_ms INTEGER NOT NULL,"
	" changed_ms INTEGER NOT NULL"
	") STRICT;";

/* v4: the audit index finds a part of a number without reading every row:
 * a trigram full-text index of the numbers (rowid = line; contentless:
 * the numbers stay in audit_index). A catalog that got v2 before its
 * indexes were settled gets them here. The index is marked stale, so the
 * next update rebuilds it and fills the new table. */
static const char schema_v4[] =
	"CREATE VIRTUAL TABLE audit_number USING fts5(number, content='', columnsize=0,"
	" tokenize='trigram case_sensitive 1');"
	"DROP INDEX IF EXISTS audit_index_by_direction;"
	"DROP INDEX IF EXISTS audit_index_by_number;"
	"CREATE INDEX IF NOT EXISTS audit_index_by_type_time ON audit_index (type, time_ms);"
	"CREATE INDEX IF NOT EXISTS audit_index_cover ON audit_index"
	" (type, direction, result, mailbox, time_ms, number);"
	"UPDATE audit_index_state SET stale = 1 WHERE lines > 0;";

static const struct catalog_migration migrations[] = {
	{ 1, schema_v1 },
	{ 2, schema_v2 },
	{ 3, schema_v3 },
	{ 4, schema_v4 },
};

_Static_assert(sizeof migrations / sizeof migrations[0] == CATALOG_SCHEMA_VERSION,
	       "one migration step per schema version");

const struct catalog_migration *catalog_migrations(size_t *count)
{
	*count = sizeof migrations / sizeof migrations[0];
	return migrations;
}
