/* Queries of the audit index: pages (keyset by line) and capped counts;
 * see audit_index.h. Each query names the index it reads, so its cost
 * does not hang on SQLite's guesses over a million rows; the rows found
 * are read back from the log and checked before anyone sees them. */
#include "storage/audit_index.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "storage/audit_index_int.h"
#include "storage/catalog_int.h"

/* A time range with fewer rows than this is read through the time index
 * and sorted by line; a larger one is read in line order. */
#define SMALL_RANGE 5000

/* SQL built from fixed fragments; values are bound, never pasted in. */
struct where {
	char sql[1024];
	size_t len;
	int n;
	struct { const char *s; int64_t v; } arg[12];
	bool overflow;
	const char *line;                           /* the line column's name */
	char phrase[2 * AUDIT_INDEX_TEXT_MAX + 3];  /* a quoted trigram phrase */
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

static void line_cond(struct where *w, const char *frag, uint64_t line)
{
	sql_add(w, " AND ");
	sql_add(w, w->line);
	cond(w, frag, NULL, (int64_t)line);
}

/* True when the number filter can use the trigram index: at least three
 * characters, all ASCII (trigrams are counted in characters). */
static bool trigram_number(const char *s)
{
	size_t n = 0;

	if (!given(s))
		return false;
	for (; s[n] != '\0'; n++)
		if ((unsigned char)s[n] >= 0x80)
			return false;
	return n >= 3 && n <= AUDIT_INDEX_TEXT_MAX;
}

/* s as one FTS5 phrase: in double quotes, quotes doubled. */
static void phrase(struct where *w, const char *s)
{
	size_t n = 0;

	w->phrase[n++] = '"';
	for (; *s != '\0'; s++) {
		if (*s == '"')
			w->phrase[n++] = '"';
		w->phrase[n++] = *s;
	}
	w->phrase[n++] = '"';
	w->phrase[n] = '\0';
}

/* FROM and WHERE for f. With a number of three characters or more the
 * trigram index drives (in line order, so a page stops early); else the
 * table through the index hint names. */
static void filter_conds(struct where *w, const struct audit_index_filter *f,
			 const char *hint)
{
	bool fts = trigram_number(f->number);

	if (fts) {
		phrase(w, f->number);
		sql_add(w, " FROM audit_number CROSS JOIN audit_index"
			" ON audit_index.line = audit_number.rowid");
		cond(w, " WHERE audit_number MATCH ?", w->phrase, 0);
		w->line = "audit_number.rowid";
	} else {
		sql_add(w, " FROM audit_index");
		sql_add(w, hint);
		sql_add(w, " WHERE 1");
		w->line = "line";
	}
	if (f->from_ms != 0)
		cond(w, " AND time_ms >= ?", NULL, f->from_ms);
	if (f->to_ms != 0)
		cond(w, " AND time_ms < ?", NULL, f->to_ms);
	text_cond(w, " AND type = ?", f->type);
	text_cond(w, " AND direction = ?", f->direction);
	text_cond(w, " AND result = ?", f->result);
	text_cond(w, " AND mailbox = ?", f->mailbox);
	if (!fts)
		text_cond(w, " AND instr(audit_index.number, ?) > 0", f->number);
}

static int prepare_where(struct catalog *cat, const struct where *w, sqlite3_stmt **q)
{
	int rc;

	if (w->overflow)
		return FGW_ERR_TOO_LARGE;
	rc = catalog_prepare(cat, w->sql, q);
	for (int i = 0; rc == FGW_OK && i < w->n; i++)
		rc = w->arg[i].s != NULL
			? catalog_bind_text(*q, i + 1, w->arg[i].s, sizeof w->phrase)
			: catalog_bind_i64(*q, i + 1, w->arg[i].v);
	return rc;
}

/* Runs a count built in w (its LIMIT bound last). */
static int run_count(struct catalog *cat, struct where *w, uint64_t *count)
{
	sqlite3_stmt *q = NULL;
	int rc = prepare_where(cat, w, &q), step;

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

/* A count wants to read no table row: the covering index when there is a
 * type (the type-and-time one when nothing else is asked); else the one
 * column index that narrows most, or SQLite's choice. */
static const char *count_hint(const struct audit_index_filter *f)
{
	bool others = given(f->direction) || given(f->result) || given(f->mailbox) ||
		given(f->number);

	if (given(f->type))
		return others ? " INDEXED BY audit_index_cover"
			      : " INDEXED BY audit_index_by_type_time";
	if (given(f->mailbox))
		return " INDEXED BY audit_index_by_mailbox";
	if (given(f->result))
		return " INDEXED BY audit_index_by_result";
	return "";
}

int audit_index_count(struct catalog *cat, const struct audit_index_filter *f,
		      uint64_t cap, uint64_t *count)
{
	struct where w = { .len = 0 };

	*count = 0;
	if (cap > INT64_MAX)
		return FGW_ERR_RANGE;
	sql_add(&w, "SELECT count(*) FROM (SELECT 1");
	filter_conds(&w, f, count_hint(f));
	cond(&w, " LIMIT ?)", NULL, (int64_t)cap);
	return run_count(cat, &w, count);
}

/* A page wants rows in line order: an index on one column compared for
 * equality gives that (its entries end with the line). A time range alone
 * is read through the time index when it holds few rows, in line order
 * otherwise (a recent range then ends the page early). */
static int page_hint(struct catalog *cat, const struct audit_index_filter *f,
		     const char **hint)
{
	struct where w = { .len = 0 };
	uint64_t n = 0;
	int rc;

	*hint = given(f->type) ? " INDEXED BY audit_index_by_type"
		: given(f->mailbox) ? " INDEXED BY audit_index_by_mailbox"
		: given(f->result) ? " INDEXED BY audit_index_by_result" : "";
	if (**hint != '\0' || (f->from_ms == 0 && f->to_ms == 0) || trigram_number(f->number))
		return FGW_OK;
	sql_add(&w, "SELECT count(*) FROM (SELECT 1 FROM audit_index"
		" INDEXED BY audit_index_by_time WHERE 1");
	if (f->from_ms != 0)
		cond(&w, " AND time_ms >= ?", NULL, f->from_ms);
	if (f->to_ms != 0)
		cond(&w, " AND time_ms < ?", NULL, f->to_ms);
	cond(&w, " LIMIT ?)", NULL, SMALL_RANGE);
	rc = run_count(cat, &w, &n);
	*hint = n < SMALL_RANGE ? " INDEXED BY audit_index_by_time" : " NOT INDEXED";
	return rc;
}

/* Reads lines of the log back for a page. */
struct reader {
	int fd;
	char line[AUDIT_RECORD_MAX + 1];
	char scratch[AUDIT_RECORD_MAX];
	struct audit_record rec;
	struct audit_index_cols cols;
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
	audit_index_derive(ok ? &r->rec : NULL, &r->cols);
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
static bool row_matches(sqlite3_stmt *q, const struct audit_index_cols *c)
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
	const char *hint = "";
	int rc = page_hint(cat, &pq->filter, &hint);

	if (rc != FGW_OK)
		return rc;
	sql_add(&w, "SELECT line, byte_offset, byte_length, seq, time_ms, type, direction,"
		" audit_index.number, result, mailbox, user, source");
	filter_conds(&w, &pq->filter, hint);
	if (pq->below != 0)
		line_cond(&w, " < ?", pq->below);
	if (pq->above != 0)
		line_cond(&w, " > ?", pq->above);
	sql_add(&w, " ORDER BY ");
	sql_add(&w, w.line);
	cond(&w, pq->ascending ? " ASC LIMIT ?" : " DESC LIMIT ?", NULL, (int64_t)pq->limit);
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
	rc = audit_index_mark_stale(cat);
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
	rc = r != NULL && hits != NULL ? audit_index_open_log(log_path, &r->fd) : FGW_ERR_NOMEM;
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
