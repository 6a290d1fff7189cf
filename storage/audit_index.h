/* An index of the audit log in the catalog, so the logs page and the
 * dashboard do not read the whole log per request.
 *
 * The log file stays the source of truth: the index holds, per line of
 * the log, the columns the logs page filters on (time, type, direction,
 * number, result, mailbox, user, source), the record's seq and where the
 * line sits in the file. A query finds lines through the index, then reads
 * each line from the log again and checks that it still says what the
 * index says; anything shown comes from the log.
 *
 * Keeping in step without trusting writers: several processes append to
 * the log (storage/audit.h, "Several writers"); none of them updates the
 * index. audit_index_update catches up by reading the complete lines after
 * the last indexed byte. Before that it checks that the indexed part is
 * still what was indexed (same file, not shorter, first and last indexed
 * line byte for byte the same); if not (the log was cut, rewritten or
 * replaced) the index is dropped and rebuilt from the log. A line that is
 * not a record of the log's format is indexed with type "malformed" so it
 * stays visible; `faxgw log verify` says what is wrong with it.
 *
 * Rows are keyed by their line number in the file (1-based), which is the
 * record's seq in an intact log; pages are taken by line (keyset), never
 * by OFFSET. Every function returns 0 or a negative FGW_ERR_* code.
 *
 * Cost, measured on 1 M fax records (tests/bench/bench_web.c, a shared
 * 2-core VM): the first build takes 9 to 15 s and about 245 MB of catalog;
 * then an update with nothing new costs ~0.1 ms, a page of 51 rows 0.2 to
 * 1.3 ms for any single filter (a part of a number goes through a trigram
 * index), a count capped at 1,000 under 1 ms. */
#ifndef FAXGW_STORAGE_AUDIT_INDEX_H
#define FAXGW_STORAGE_AUDIT_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/audit.h"

struct catalog;

#define AUDIT_INDEX_QUERY_MAX 1000   /* rows per audit_index_query call */
#define AUDIT_INDEX_MALFORMED "malformed"   /* type of a line that is no record */

/* What an update did. */
struct audit_index_report {
	uint64_t added;    /* lines indexed by this call */
	uint64_t lines;    /* lines in the index afterwards */
	bool rebuilt;      /* the old index did not match the log: rebuilt */
};

/* Brings the index of the log at log_path up to the log's last complete
 * line, rebuilding it when the indexed part changed (see above). Commits
 * every 100,000 lines, so a first build over a large log holds the write
 * lock in steps; a large catch-up is logged with its time and truncates
 * the catalog's WAL after. Cheap when nothing was appended (a stat, two
 * short reads, one SELECT; no write). Does nothing and returns 0 when cat
 * is inside a caller's transaction. rep may be NULL. FGW_ERR_IO when the
 * log cannot be opened or read, FGW_ERR_DB / FGW_ERR_BUSY from SQLite;
 * failures are logged. */
int audit_index_update(struct catalog *cat, const char *log_path,
		       struct audit_index_report *rep);

/* Which records: all given conditions hold. Strings NULL or "" mean any;
 * number matches when it is contained in the record's remote_number (or
 * destination), case-sensitively; the others must be equal. Times:
 * [from_ms, to_ms), 0 is open. A malformed line has time 0: only
 * filters without a date find it. */
struct audit_index_filter {
	int64_t from_ms, to_ms;
	const char *type, *direction, *number, *result, *mailbox;
};

/* One row as the log says it now. Pointers valid during the callback. */
struct audit_index_row {
	uint64_t line;               /* position in the log (1-based) */
	uint64_t seq;                /* 0 for a malformed line */
	int64_t time_ms;             /* 0 for a malformed line */
	const char *type;            /* AUDIT_INDEX_MALFORMED if no record */
	const char *direction, *number, *result, *mailbox, *user, *source;
	const struct audit_record *rec;   /* NULL for a malformed line */
	const char *raw;             /* the line, no newline */
	size_t raw_len;
};

/* Returns the indexed number of rec: its remote_number, else its
 * destination, else "". Points into rec. */
const char *audit_index_number(const struct audit_record *rec);

/* A page: up to limit (1..AUDIT_INDEX_QUERY_MAX) matching rows with
 * line < below (0: no bound) and line > above (0: none), newest first,
 * or oldest first when ascending. */
struct audit_index_query {
	struct audit_index_filter filter;
	uint64_t below, above;
	size_t limit;
	bool ascending;
};

/* Updates the index (audit_index_update), then calls fn for each row of
 * the page in order. Every row's line is read from the log and compared
 * with the index before any fn call; a difference (the log changed in
 * place) rebuilds the index and runs the query again, once. fn returns 0
 * to go on; anything else stops and is returned. *shown (may be NULL)
 * gets the rows passed to fn. FGW_ERR_INVALID for a bad limit,
 * FGW_ERR_TAMPERED when the log still disagrees after the rebuild. */
typedef int (*audit_index_fn)(const struct audit_index_row *row, void *arg);
int audit_index_query(struct catalog *cat, const char *log_path,
		      const struct audit_index_query *q, audit_index_fn fn,
		      void *arg, size_t *shown);

/* Counts the rows matching f as the index holds them now (call after an
 * update or a query), stopping at cap: *count is min(matches, cap). */
int audit_index_count(struct catalog *cat, const struct audit_index_filter *f,
		      uint64_t cap, uint64_t *count);

#endif
