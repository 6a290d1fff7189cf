/* The audit log's index in the catalog; see audit_index.h. Statements are
 * prepared per call: an update or a page runs only a handful. */
#include "storage/audit_index.h"

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
#define TEXT_MAX 4096             /* the schema's bound on text columns */
#define HASH_CHUNK (64 * 1024)

/* The one row of audit_index_state. Lengths are without the newline; the
 * hashes cover the line and its newline. */
struct state {
	int64_t bytes, lines, dev, ino;
	int64_t first_len, last_off, last_len;
	uint8_t first_hash[HASH_LEN], last_hash[HASH_LEN];
	bool stale;
};

/* The indexed columns of one line, derived the same way by the indexer
 * and by the query that checks a row against the log. */
struct cols {
	uint64_t seq;
	int64_t time_ms;
	const char *type, *direction, *number, *result, *mailbox, *user, *source;
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
static void derive(const struct audit_record *rec, struct cols *c)
{
	if (rec == NULL) {
		*c = (struct cols){ .type = AUDIT_INDEX_MALFORMED, .direction = "",
				    .number = "", .result = "", .mailbox = "",
				    .user = "", .source = "" };
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

/* Marks the index as not matching the log: the next update rebuilds it. */
static int mark_stale(struct catalog *cat)
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
		*why = "a page read a line that differs from the index";
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
	sqlite3_stmt *insert;
	uint64_t added;
	char scratch[AUDIT_RECORD_MAX];
	struct audit_record rec;
	char chunk[READ_CHUNK];
};

static int bind_cols(sqlite3_stmt *q, const struct cols *c)
{
	const char *text[] = { c->type, c->direction, c->number, c->result, c->mailbox,
			       c->user, c->source };
	int rc = catalog_bind_i64(q, 2, (int64_t)c->seq);

	if (rc == FGW_OK)
		rc = catalog_bind_i64(q, 3, c->time_ms);
	for (int i = 0; rc == FGW_OK && i < 7; i++)
		rc = catalog_bind_text(q, 4 + i, text[i], TEXT_MAX);
	return rc;
}

/* Inserts the row of the line at the indexed end (n bytes at p, or a
 * malformed line when p is NULL) and advances the state. */
static int insert_line(struct indexer *ix, const char *p, size_t n)
{
	struct cols c;
	bool ok = p != NULL &&
		audit_parse_line(p, n, ix->scratch, sizeof ix->scratch, &ix->rec) == FGW_OK;
	int rc;

	derive(ok ? &ix->rec : NULL, &c);
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

/* Empties the index for a rebuild of the file fd. */
static int clear(struct indexer *ix, const struct stat *sb)
{
	sqlite3_stmt *q = NULL;
	int rc = catalog_prepare(ix->cat, "DELETE FROM audit_index", &q);

	if (rc == FGW_OK)
		rc = catalog_run(ix->cat, q, false);
	(void)sqlite3_finalize(q);
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
	if (rc == FGW_OK && (why != NULL || ix->st.lines == 0)) {
		if (why != NULL)
			log_warn("audit index: %s: %s; rebuilding the index from the log",
				 path, why);
		rep->rebuilt = why != NULL;
		rc = clear(ix, &sb);
	}
	if (rc == FGW_OK)
		rc = catalog_prepare(ix->cat, "INSERT INTO audit_index (line, seq, time_ms,"
				     " type, direction, number, result, mailbox, user, source,"
				     " byte_offset, byte_length) VALUES"
				     " (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)", &ix->insert);
	if (rc == FGW_OK)
		rc = index_tail(ix, size);
	if (rc == FGW_OK && ix->added > 0)
		rc = anchor(ix);
	if (rc == FGW_OK)
		rc = state_put(ix->cat, &ix->st);
	(void)sqlite3_finalize(ix->insert);
	ix->insert = NULL;
	return rc;
}

static int open_log(const char *path, int *fd)
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
 * they hold the caller (the daemon's loop) for seconds. */
static void report_big(const char *path, const struct audit_index_report *rep, double t0)
{
	if (rep->rebuilt || rep->added >= 100000)
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
		report_big(path, rep, t0);
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
	rc = open_log(log_path, &fd);
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

/* ---- queries ----------------------------------------------------------- */

/* A WHERE clause built from fixed fragments; values are bound, never
 * pasted into the SQL. */
struct where {
	char sql[1024];
	size_t len;
	int n;
	struct { const char *s; int64_t v; } arg[12];
	bool overflow;
};

static void sql_add(struct where *w, const char *frag)
{
	size_t n = strlen(frag);

	if (w->len + n >= sizeof w->sql) {
		w->overflow = true;
		return;
	}
	memcpy(w->sql + w->len, frag, n + 1);
	w->len += n;
}

/* Adds frag (one '?') with a text value s, or the number v when s is NULL. */
static void cond(struct where *w, const char *frag, const char *s, int64_t v)
{
	if (w->n >= (int)(sizeof w->arg / sizeof w->arg[0])) {
		w->overflow = true;
		return;
	}
	sql_add(w, frag);
	w->arg[w->n].s = s;
	w->arg[w->n].v = v;
	w->n++;
}

static bool given(const char *s)
{
	return s != NULL && *s != '\0';
}

static void text_cond(struct where *w, const char *frag, const char *s)
{
	if (given(s))
		cond(w, frag, s, 0);
}

/* The index a query reads, named so its cost does not depend on the
 * planner's guesses over a million rows. A page wants rows in line order:
 * an index on one column compared for equality gives that (its entries end
 * with the line). A count wants to touch no table row: the covering index
 * when there is a type. Without any: SQLite chooses (the line order or the
 * time index). */
static const char *index_for(const struct audit_index_filter *f, bool count)
{
	bool others = given(f->direction) || given(f->result) || given(f->mailbox) ||
		given(f->number);

	if (given(f->type) && count)
		return others ? " INDEXED BY audit_index_cover"
			      : " INDEXED BY audit_index_by_type_time";
	if (given(f->type))
		return " INDEXED BY audit_index_by_type";
	if (given(f->mailbox))
		return " INDEXED BY audit_index_by_mailbox";
	if (given(f->result))
		return " INDEXED BY audit_index_by_result";
	return "";
}

static void filter_conds(struct where *w, const struct audit_index_filter *f, bool count)
{
	sql_add(w, " FROM audit_index");
	sql_add(w, index_for(f, count));
	sql_add(w, " WHERE 1");
	if (f->from_ms != 0)
		cond(w, " AND time_ms >= ?", NULL, f->from_ms);
	if (f->to_ms != 0)
		cond(w, " AND time_ms < ?", NULL, f->to_ms);
	text_cond(w, " AND type = ?", f->type);
	text_cond(w, " AND direction = ?", f->direction);
	text_cond(w, " AND result = ?", f->result);
	text_cond(w, " AND mailbox = ?", f->mailbox);
	text_cond(w, " AND instr(number, ?) > 0", f->number);
}

static int prepare_where(struct catalog *cat, const struct where *w, sqlite3_stmt **q)
{
	int rc;

	if (w->overflow)
		return FGW_ERR_TOO_LARGE;
	rc = catalog_prepare(cat, w->sql, q);
	for (int i = 0; rc == FGW_OK && i < w->n; i++)
		rc = w->arg[i].s != NULL ? catalog_bind_text(*q, i + 1, w->arg[i].s, TEXT_MAX)
					 : catalog_bind_i64(*q, i + 1, w->arg[i].v);
	return rc;
}

int audit_index_count(struct catalog *cat, const struct audit_index_filter *f,
		      uint64_t cap, uint64_t *count)
{
	struct where w = { .len = 0 };
	sqlite3_stmt *q = NULL;
	int rc, step;

	*count = 0;
	if (cap > INT64_MAX)
		return FGW_ERR_RANGE;
	sql_add(&w, "SELECT count(*) FROM (SELECT 1");
	filter_conds(&w, f, true);
	cond(&w, " LIMIT ?)", NULL, (int64_t)cap);
	rc = prepare_where(cat, &w, &q);
	if (rc == FGW_OK) {
		step = sqlite3_step(q);
		if (step == SQLITE_ROW)
			*count = (uint64_t)sqlite3_column_int64(q, 0);
		else
			rc = catalog_map_rc(cat, step);
	}
	(void)sqlite3_finalize(q);
	return rc;
}

/* Reads lines of the log back for a page. */
struct reader {
	int fd;
	char line[AUDIT_RECORD_MAX + 1];
	char scratch[AUDIT_RECORD_MAX];
	struct audit_record rec;
	struct cols cols;
	struct audit_index_row row;
};

/* Reads the line at (off, len), derives its columns and fills r->row.
 * FGW_ERR_STATE when no line ends there any more (the log changed). */
static int read_row(struct reader *r, uint64_t line, int64_t off, int64_t len)
{
	size_t want = len + 1 < (int64_t)sizeof r->line ? (size_t)len + 1 : sizeof r->line;
	size_t shown = want - 1;
	bool ok;
	char nl = '\0';

	if (off < 0 || len < 0 || pread(r->fd, r->line, want, off) != (ssize_t)want)
		return FGW_ERR_STATE;
	if ((int64_t)want == len + 1)
		nl = r->line[len];
	else if (pread(r->fd, &nl, 1, off + len) != 1)
		return FGW_ERR_STATE;
	if (nl != '\n')
		return FGW_ERR_STATE;
	ok = len < AUDIT_RECORD_MAX &&
		audit_parse_line(r->line, (size_t)len, r->scratch, sizeof r->scratch,
				 &r->rec) == FGW_OK;
	r->line[shown] = '\0';
	derive(ok ? &r->rec : NULL, &r->cols);
	r->row = (struct audit_index_row){
		.line = line, .seq = r->cols.seq, .time_ms = r->cols.time_ms,
		.type = r->cols.type, .direction = r->cols.direction,
		.number = r->cols.number, .result = r->cols.result,
		.mailbox = r->cols.mailbox, .user = r->cols.user, .source = r->cols.source,
		.rec = ok ? &r->rec : NULL, .raw = r->line, .raw_len = shown,
	};
	return FGW_OK;
}

static bool text_eq(sqlite3_stmt *q, int i, const char *s)
{
	const unsigned char *t = sqlite3_column_text(q, i);

	return t != NULL && strcmp((const char *)t, s) == 0;
}

/* True when the index row q (columns as selected below) says what the
 * log's line says now. */
static bool row_matches(sqlite3_stmt *q, const struct cols *c)
{
	return (uint64_t)sqlite3_column_int64(q, 3) == c->seq &&
	       sqlite3_column_int64(q, 4) == c->time_ms &&
	       text_eq(q, 5, c->type) && text_eq(q, 6, c->direction) &&
	       text_eq(q, 7, c->number) && text_eq(q, 8, c->result) &&
	       text_eq(q, 9, c->mailbox) && text_eq(q, 10, c->user) &&
	       text_eq(q, 11, c->source);
}

struct hit {
	uint64_t line;
	int64_t off, len;
};

static int prepare_page(struct catalog *cat, const struct audit_index_query *pq,
			sqlite3_stmt **q)
{
	struct where w = { .len = 0 };

	sql_add(&w, "SELECT line, byte_offset, byte_length, seq, time_ms, type, direction,"
		" number, result, mailbox, user, source");
	filter_conds(&w, &pq->filter, false);
	if (pq->below != 0)
		cond(&w, " AND line < ?", NULL, (int64_t)pq->below);
	if (pq->above != 0)
		cond(&w, " AND line > ?", NULL, (int64_t)pq->above);
	cond(&w, pq->ascending ? " ORDER BY line ASC LIMIT ?" : " ORDER BY line DESC LIMIT ?",
	     NULL, (int64_t)pq->limit);
	return prepare_where(cat, &w, q);
}

/* Runs the page query and checks every row against the log. Returns 0
 * with hits[0..*n), FGW_ERR_STATE when a row disagrees with the log. */
static int collect(struct catalog *cat, struct reader *r, const struct audit_index_query *pq,
		   struct hit *hits, size_t *n)
{
	sqlite3_stmt *q = NULL;
	int rc = prepare_page(cat, pq, &q), step = SQLITE_DONE;

	*n = 0;
	while (rc == FGW_OK && (step = sqlite3_step(q)) == SQLITE_ROW && *n < pq->limit) {
		struct hit *h = &hits[*n];

		h->line = (uint64_t)sqlite3_column_int64(q, 0);
		h->off = sqlite3_column_int64(q, 1);
		h->len = sqlite3_column_int64(q, 2);
		rc = read_row(r, h->line, h->off, h->len);
		if (rc == FGW_OK && !row_matches(q, &r->cols))
			rc = FGW_ERR_STATE;
		if (rc == FGW_OK)
			(*n)++;
	}
	if (rc == FGW_OK && step != SQLITE_DONE && step != SQLITE_ROW)
		rc = catalog_map_rc(cat, step);
	(void)sqlite3_finalize(q);
	return rc;
}

/* Finds and checks the page's rows, rebuilding the index once if the log
 * changed in place. */
static int find_page(struct catalog *cat, const char *path, struct reader *r,
		     const struct audit_index_query *q, struct hit *hits, size_t *n)
{
	int rc = audit_index_update(cat, path, NULL);

	if (rc == FGW_OK)
		rc = collect(cat, r, q, hits, n);
	if (rc != FGW_ERR_STATE)
		return rc;
	log_warn("audit index: %s differs from its index at a line already indexed; "
		 "rebuilding the index (run faxgw log verify)", path);
	rc = mark_stale(cat);
	if (rc == FGW_OK)
		rc = audit_index_update(cat, path, NULL);
	if (rc == FGW_OK)
		rc = collect(cat, r, q, hits, n);
	return rc == FGW_ERR_STATE ? FGW_ERR_TAMPERED : rc;
}

int audit_index_query(struct catalog *cat, const char *log_path,
		      const struct audit_index_query *q, audit_index_fn fn,
		      void *arg, size_t *shown)
{
	struct reader *r;
	struct hit *hits;
	size_t n = 0, i;
	int rc;

	if (shown != NULL)
		*shown = 0;
	if (q->limit < 1 || q->limit > AUDIT_INDEX_QUERY_MAX)
		return FGW_ERR_INVALID;
	r = calloc(1, sizeof *r);
	hits = calloc(q->limit, sizeof *hits);
	rc = r != NULL && hits != NULL ? open_log(log_path, &r->fd) : FGW_ERR_NOMEM;
	if (rc == FGW_OK) {
		rc = find_page(cat, log_path, r, q, hits, &n);
		/* the rows shown are read again: what the page says is the log */
		for (i = 0; rc == FGW_OK && i < n; i++) {
			rc = read_row(r, hits[i].line, hits[i].off, hits[i].len);
			if (rc == FGW_OK)
				rc = fn(&r->row, arg);
		}
		if (shown != NULL)
			*shown = i;
		(void)close(r->fd);
	}
	free(hits);
	free(r);
	return rc;
}
