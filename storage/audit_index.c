/* The audit log's index in the catalog, kept in step with the log; see
 * audit_index.h. Queries are in audit_index_query.c. Statements are
 * prepared per call: an update runs only a handful. */
#include "storage/audit_index.h"
#include "storage/audit_index_int.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/catalog_int.h"

#define HASH_LEN 32
#define COMMIT_EVERY 100000
#define READ_CHUNK (1024 * 1024)
#define HASH_CHUNK (64 * 1024)

/* The one row of audit_index_state. Lengths are without the newline; the
 * hashes cover the line and its newline. */
struct state {
	int64_t bytes, lines, dev, ino;
	int64_t first_len, last_off, last_len;
	uint8_t first_hash[HASH_LEN], last_hash[HASH_LEN];
	bool stale;
};

/* ---- deriving columns -------------------------------------------------- */

static const char *field(const struct audit_record *r, const char *key)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (strcmp(r->fields[i].key, key) == 0)
			return r->fields[i].value;
	return "";
}

const char *audit_index_number(const struct audit_record *rec)
{
	const char *n = field(rec, "remote_number");

	return *n != '\0' ? n : field(rec, "destination");
}

/* rec NULL: the line is no record of the log's format. */
void audit_index_derive(const struct audit_record *rec, struct audit_index_cols *c)
{
	if (rec == NULL) {
		*c = (struct audit_index_cols){
			.type = AUDIT_INDEX_MALFORMED, .direction = "", .number = "",
			.result = "", .mailbox = "", .user = "", .source = "",
		};
		return;
	}
	c->seq = rec->seq;
	c->time_ms = rec->time_ms;
	c->type = rec->type;
	c->direction = field(rec, "direction");
	c->number = audit_index_number(rec);
	c->result = field(rec, "result");
	c->mailbox = field(rec, "mailbox");
	c->user = field(rec, "user");
	c->source = field(rec, "source");
}

/* ---- hashing the lines that anchor the index --------------------------- */

/* Hashes len bytes of fd at off. FGW_ERR_TRUNCATED when the file ends
 * before. */
static int hash_range(int fd, int64_t off, int64_t len, uint8_t out[static HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[HASH_CHUNK];
	unsigned int n = 0;
	int rc = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1
		? FGW_OK : FGW_ERR_CRYPTO;

	while (rc == FGW_OK && len > 0) {
		size_t want = len > HASH_CHUNK ? HASH_CHUNK : (size_t)len;
		ssize_t got = pread(fd, buf, want, off);

		if (got != (ssize_t)want)
			rc = got < 0 ? FGW_ERR_IO : FGW_ERR_TRUNCATED;
		else if (EVP_DigestUpdate(ctx, buf, want) != 1)
			rc = FGW_ERR_CRYPTO;
		off += (int64_t)want;
		len -= (int64_t)want;
	}
	if (rc == FGW_OK && (EVP_DigestFinal_ex(ctx, out, &n) != 1 || n != HASH_LEN))
		rc = FGW_ERR_CRYPTO;
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* ---- the state row ----------------------------------------------------- */

#define STATE_COLS "bytes, lines, dev, ino, first_length, first_hash, last_offset," \
	" last_length, last_hash, stale"

static int read_state(sqlite3_stmt *q, struct state *st)
{
	size_t n1 = 0, n2 = 0;
	int rc;

	memset(st, 0, sizeof *st);
	st->bytes = sqlite3_column_int64(q, 0);
	st->lines = sqlite3_column_int64(q, 1);
	st->dev = sqlite3_column_int64(q, 2);
	st->ino = sqlite3_column_int64(q, 3);
	st->first_len = sqlite3_column_int64(q, 4);
	rc = catalog_col_blob(q, 5, st->first_hash, HASH_LEN, &n1);
	st->last_off = sqlite3_column_int64(q, 6);
	st->last_len = sqlite3_column_int64(q, 7);
	if (rc == FGW_OK)
		rc = catalog_col_blob(q, 8, st->last_hash, HASH_LEN, &n2);
	st->stale = sqlite3_column_int64(q, 9) != 0;
	/* hashes are missing only while nothing is indexed */
	if (rc == FGW_OK && st->lines > 0 && (n1 != HASH_LEN || n2 != HASH_LEN))
		st->stale = true;
	return rc;
}

static int state_get(struct catalog *cat, struct state *st)
{
	sqlite3_stmt *q = NULL;
	int rc = catalog_prepare(cat, "SELECT " STATE_COLS
				 " FROM audit_index_state WHERE id = 1", &q);
	int step;

	if (rc != FGW_OK)
		return rc;
	step = sqlite3_step(q);
	if (step == SQLITE_ROW)
		rc = read_state(q, st);
	else
		rc = step == SQLITE_DONE ? FGW_ERR_NOT_FOUND : catalog_map_rc(cat, step);
	(void)sqlite3_finalize(q);
	return rc;
}

static int state_put(struct catalog *cat, const struct state *st)
{
	sqlite3_stmt *q = NULL;
	size_t hl = st->lines > 0 ? HASH_LEN : 0;
	int rc = catalog_prepare(cat, "UPDATE audit_index_state SET bytes = ?1, lines = ?2,"
				 " dev = ?3, ino = ?4, first_length = ?5, first_hash = ?6,"
				 " last_offset = ?7, last_length = ?8, last_hash = ?9,"
				 " stale = ?10 WHERE id = 1", &q);

	if (rc != FGW_OK)
		return rc;
	int64_t v[] = { st->bytes, st->lines, st->dev, st->ino, st->first_len };
	for (int i = 0; rc == FGW_OK && i < 5; i++)
		rc = catalog_bind_i64(q, i + 1, v[i]);
	if (rc == FGW_OK)
		rc = catalog_bind_blob(q, 6, st->first_hash, hl, HASH_LEN);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(q, 7, st->last_off);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(q, 8, st->last_len);
	if (rc == FGW_OK)
		rc = catalog_bind_blob(q, 9, st->last_hash, hl, HASH_LEN);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(q, 10, st->stale ? 1 : 0);
	if (rc == FGW_OK)
		rc = catalog_run(cat, q, true);
	(void)sqlite3_finalize(q);
	return rc;
}

int audit_index_mark_stale(struct catalog *cat)
{
	sqlite3_stmt *q = NULL;
	int rc = catalog_prepare(cat, "UPDATE audit_index_state SET stale = 1 WHERE id = 1", &q);

	if (rc == FGW_OK)
		rc = catalog_run(cat, q, false);
	(void)sqlite3_finalize(q);
	return rc;
}

/* ---- checking that the indexed part of the log is unchanged ------------ */

/* True when the line at (off, len) plus its newline still hashes to h. */
static bool line_same(int fd, int64_t off, int64_t len, const uint8_t h[static HASH_LEN])
{
	uint8_t now[HASH_LEN];

	return hash_range(fd, off, len + 1, now) == FGW_OK &&
	       CRYPTO_memcmp(now, h, HASH_LEN) == 0;
}

/* Decides from the file (fd, *size filled) whether the index must be
 * rebuilt; why says why for the log. */
static int plan(int fd, const struct state *st, int64_t *size, const char **why)
{
	struct stat sb;

	if (fstat(fd, &sb) != 0)
		return FGW_ERR_IO;
	*size = sb.st_size;
	*why = NULL;
	if (st->stale)
		*why = "the index was marked for a rebuild (a page read a line that differs "
			"from it, or the catalog was upgraded)";
	else if (st->lines == 0)
		*why = st->bytes != 0 ? "the index state is inconsistent" : NULL;
	else if (st->dev != (int64_t)sb.st_dev || st->ino != (int64_t)sb.st_ino)
		*why = "the log is another file than the one indexed";
	else if (*size < st->bytes)
		*why = "the log is shorter than the part already indexed";
	else if (!line_same(fd, 0, st->first_len, st->first_hash))
		*why = "its first line changed";
	else if (!line_same(fd, st->last_off, st->last_len, st->last_hash))
		*why = "the last indexed line changed or moved";
	return FGW_OK;
}

/* ---- indexing ---------------------------------------------------------- */

struct indexer {
	struct catalog *cat;
	int fd;
	struct state st;
	sqlite3_stmt *insert, *insert_number;
	uint64_t added;
	char scratch[AUDIT_RECORD_MAX];
	struct audit_record rec;
	char chunk[READ_CHUNK];
};

static int bind_cols(sqlite3_stmt *q, const struct audit_index_cols *c)
{
	const char *text[] = { c->type, c->direction, c->number, c->result, c->mailbox,
			       c->user, c->source };
	int rc = catalog_bind_i64(q, 2, (int64_t)c->seq);

	if (rc == FGW_OK)
		rc = catalog_bind_i64(q, 3, c->time_ms);
	for (int i = 0; rc == FGW_OK && i < 7; i++)
		rc = catalog_bind_text(q, 4 + i, text[i], AUDIT_INDEX_TEXT_MAX);
	return rc;
}

/* The number of the line about to be indexed, for the trigram search. */
static int insert_number(struct indexer *ix, const char *number)
{
	int rc = catalog_bind_i64(ix->insert_number, 1, ix->st.lines + 1);

	if (rc == FGW_OK)
		rc = catalog_bind_text(ix->insert_number, 2, number, AUDIT_INDEX_TEXT_MAX);
	if (rc == FGW_OK)
		return catalog_run(ix->cat, ix->insert_number, false);
	catalog_stmt_done(ix->insert_number);
	return rc;
}

/* Inserts the row of the line at the indexed end (n bytes at p, or a
 * malformed line when p is NULL) and advances the state. */
static int insert_line(struct indexer *ix, const char *p, size_t n)
{
	struct audit_index_cols c;
	bool ok = p != NULL &&
		audit_parse_line(p, n, ix->scratch, sizeof ix->scratch, &ix->rec) == FGW_OK;
	int rc;

	audit_index_derive(ok ? &ix->rec : NULL, &c);
	rc = catalog_bind_i64(ix->insert, 1, ix->st.lines + 1);
	if (rc == FGW_OK)
		rc = bind_cols(ix->insert, &c);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(ix->insert, 11, ix->st.bytes);
	if (rc == FGW_OK)
		rc = catalog_bind_i64(ix->insert, 12, (int64_t)n);
	if (rc == FGW_OK)
		rc = catalog_run(ix->cat, ix->insert, false);
	else
		catalog_stmt_done(ix->insert);
	if (rc == FGW_OK && *c.number != '\0')
		rc = insert_number(ix, c.number);
	if (rc != FGW_OK)
		return rc;
	if (ix->st.lines == 0)
		ix->st.first_len = (int64_t)n;
	ix->st.last_off = ix->st.bytes;
	ix->st.last_len = (int64_t)n;
	ix->st.lines++;
	ix->st.bytes += (int64_t)n + 1;
	ix->added++;
	return FGW_OK;
}

/* Fills the anchor hashes for the lines just indexed. */
static int anchor(struct indexer *ix)
{
	int rc = hash_range(ix->fd, ix->st.last_off, ix->st.last_len + 1, ix->st.last_hash);

	if (rc == FGW_OK && ix->st.lines == (int64_t)ix->added)
		rc = hash_range(ix->fd, 0, ix->st.first_len + 1, ix->st.first_hash);
	return rc;
}

/* Stores the state and commits, so a first build over a large log does
 * not hold the catalog's write lock (and its WAL) in one piece. */
static int checkpoint(struct indexer *ix)
{
	int rc = anchor(ix);

	if (rc == FGW_OK)
		rc = state_put(ix->cat, &ix->st);
	if (rc == FGW_OK)
		rc = catalog_commit(ix->cat);
	if (rc == FGW_OK)
		rc = catalog_begin(ix->cat);
	return rc;
}

/* Indexes the complete lines in buf (n bytes read at the indexed end);
 * *used gets the bytes taken. */
static int take_lines(struct indexer *ix, const char *buf, size_t n, size_t *used)
{
	const char *nl;
	int rc = FGW_OK;

	*used = 0;
	while (rc == FGW_OK && (nl = memchr(buf + *used, '\n', n - *used)) != NULL) {
		size_t len = (size_t)(nl - (buf + *used));

		rc = insert_line(ix, buf + *used, len);
		*used += len + 1;
		if (rc == FGW_OK && ix->st.lines % COMMIT_EVERY == 0)
			rc = checkpoint(ix);
	}
	return rc;
}

/* No newline in a whole chunk: a line longer than any record. Finds its
 * end and indexes it as malformed; FGW_ERR_NOT_FOUND when the file ends
 * first (a record still being written, or a torn one). */
static int long_line(struct indexer *ix, int64_t size)
{
	int64_t at = ix->st.bytes + READ_CHUNK;

	while (at < size) {
		size_t want = size - at > READ_CHUNK ? READ_CHUNK : (size_t)(size - at);
		ssize_t got = pread(ix->fd, ix->chunk, want, at);
		const char *nl;

		if (got != (ssize_t)want)
			return FGW_ERR_IO;
		nl = memchr(ix->chunk, '\n', want);
		if (nl != NULL)
			return insert_line(ix, NULL, (size_t)(at + (nl - ix->chunk) - ix->st.bytes));
		at += (int64_t)want;
	}
	return FGW_ERR_NOT_FOUND;
}

/* Indexes every complete line between the indexed end and size. */
static int index_tail(struct indexer *ix, int64_t size)
{
	int rc = FGW_OK;

	while (rc == FGW_OK && ix->st.bytes < size) {
		size_t want = size - ix->st.bytes > READ_CHUNK ? READ_CHUNK
				: (size_t)(size - ix->st.bytes);
		ssize_t got = pread(ix->fd, ix->chunk, want, ix->st.bytes);
		size_t used = 0;

		if (got != (ssize_t)want)
			return FGW_ERR_IO;
		rc = take_lines(ix, ix->chunk, want, &used);
		if (rc != FGW_OK || used > 0)
			continue;
		if (want < READ_CHUNK)
			break;          /* a record still being written */
		rc = long_line(ix, size);
		if (rc == FGW_ERR_NOT_FOUND)
			return FGW_OK;
	}
	return rc;
}

/* Empties the index for a rebuild of the file sb describes. */
static int clear(struct indexer *ix, const struct stat *sb)
{
	static const char *const sql[] = {
		"DELETE FROM audit_index",
		"INSERT INTO audit_number (audit_number) VALUES ('delete-all')",
	};
	int rc = FGW_OK;

	for (size_t i = 0; rc == FGW_OK && i < sizeof sql / sizeof sql[0]; i++) {
		sqlite3_stmt *q = NULL;

		rc = catalog_prepare(ix->cat, sql[i], &q);
		if (rc == FGW_OK)
			rc = catalog_run(ix->cat, q, false);
		(void)sqlite3_finalize(q);
	}
	memset(&ix->st, 0, sizeof ix->st);
	ix->st.dev = (int64_t)sb->st_dev;
	ix->st.ino = (int64_t)sb->st_ino;
	return rc;
}

/* Inside the transaction: checks again (another process may have caught
 * up meanwhile), rebuilds if needed, indexes the tail, stores the state. */
static int update_locked(struct indexer *ix, const char *path, struct audit_index_report *rep)
{
	struct stat sb;
	const char *why = NULL;
	int64_t size = 0;
	int rc = state_get(ix->cat, &ix->st);

	if (rc == FGW_OK)
		rc = plan(ix->fd, &ix->st, &size, &why);
	if (rc == FGW_OK && fstat(ix->fd, &sb) != 0)
		rc = FGW_ERR_IO;
	if (rc == FGW_OK && why != NULL) {
		log_warn("audit index: %s: %s; rebuilding the index from the log", path, why);
		rep->rebuilt = true;
		rc = clear(ix, &sb);
	}
	/* an empty index takes the identity of the file it starts on */
	if (rc == FGW_OK && ix->st.lines == 0 && (ix->st.dev != (int64_t)sb.st_dev ||
						  ix->st.ino != (int64_t)sb.st_ino)) {
		ix->st.dev = (int64_t)sb.st_dev;
		ix->st.ino = (int64_t)sb.st_ino;
		why = "new file";
	}
	if (rc == FGW_OK)
		rc = catalog_prepare(ix->cat, "INSERT INTO audit_index (line, seq, time_ms,"
				     " type, direction, number, result, mailbox, user, source,"
				     " byte_offset, byte_length) VALUES"
				     " (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)", &ix->insert);
	if (rc == FGW_OK)
		rc = catalog_prepare(ix->cat, "INSERT INTO audit_number (rowid, number)"
				     " VALUES (?1, ?2)", &ix->insert_number);
	if (rc == FGW_OK)
		rc = index_tail(ix, size);
	if (rc == FGW_OK && ix->added > 0)
		rc = anchor(ix);
	/* nothing new (only a record still being written): no write at all */
	if (rc == FGW_OK && (ix->added > 0 || why != NULL))
		rc = state_put(ix->cat, &ix->st);
	(void)sqlite3_finalize(ix->insert);
	(void)sqlite3_finalize(ix->insert_number);
	ix->insert = ix->insert_number = NULL;
	return rc;
}

int audit_index_open_log(const char *path, int *fd)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (*fd >= 0)
		return FGW_OK;
	log_errno("audit index: cannot open %s", path);
	return FGW_ERR_IO;
}

/* The cheap check before taking the write lock: is there anything to do? */
static int needs_work(struct catalog *cat, int fd, bool *work, uint64_t *lines)
{
	struct state st;
	const char *why = NULL;
	int64_t size = 0;
	int rc = state_get(cat, &st);

	if (rc == FGW_OK)
		rc = plan(fd, &st, &size, &why);
	*work = why != NULL || size > st.bytes;
	*lines = (uint64_t)st.lines;
	return rc;
}

static double seconds(void)
{
	struct timespec ts;

	return clock_gettime(CLOCK_MONOTONIC, &ts) == 0 ? (double)ts.tv_sec + ts.tv_nsec / 1e9 : 0;
}

/* Large catch-ups (a first build, a rebuild) are worth a line in the log:
 * they hold the caller (the daemon's loop) for seconds. They also leave a
 * WAL file as large as the index: give that space back. */
static void report_big(struct catalog *cat, const char *path,
		       const struct audit_index_report *rep, double t0)
{
	if (!rep->rebuilt && rep->added < 100000)
		return;
	if (catalog_checkpoint(cat) != FGW_OK)
		log_warn("audit index: the catalog's WAL could not be truncated after "
			 "indexing; it shrinks at the next checkpoint");
	log_info("audit index: %llu line(s) of %s indexed%s in %.1f s (%llu in all)",
		 (unsigned long long)rep->added, path, rep->rebuilt ? " (rebuilt)" : "",
		 seconds() - t0, (unsigned long long)rep->lines);
}

static int run_update(struct catalog *cat, int fd, const char *path,
		      struct audit_index_report *rep)
{
	struct indexer *ix = calloc(1, sizeof *ix);
	double t0 = seconds();
	int rc;

	if (ix == NULL)
		return FGW_ERR_NOMEM;
	ix->cat = cat;
	ix->fd = fd;
	rc = catalog_begin(cat);
	if (rc == FGW_OK)
		rc = update_locked(ix, path, rep);
	if (rc == FGW_OK)
		rc = catalog_commit(cat);
	else
		(void)catalog_rollback(cat);
	rep->added = ix->added;
	rep->lines = (uint64_t)ix->st.lines;
	free(ix);
	if (rc == FGW_OK)
		report_big(cat, path, rep, t0);
	return rc;
}

int audit_index_update(struct catalog *cat, const char *log_path,
		       struct audit_index_report *rep)
{
	struct audit_index_report dummy;
	bool work = false;
	int fd, rc;

	if (rep == NULL)
		rep = &dummy;
	memset(rep, 0, sizeof *rep);
	if (catalog_in_transaction(cat))
		return FGW_OK;
	rc = audit_index_open_log(log_path, &fd);
	if (rc != FGW_OK)
		return rc;
	rc = needs_work(cat, fd, &work, &rep->lines);
	if (rc == FGW_OK && work)
		rc = run_update(cat, fd, log_path, rep);
	if (rc != FGW_OK)
		log_error("audit index: cannot bring the index of %s up to date: %s",
			  log_path, fgw_strerror(rc));
	(void)close(fd);
	return rc;
}
