/* Private to storage/audit_index*.c: what the indexer and the queries
 * share, so a row is derived from a line the same way by both. */
#ifndef FAXGW_STORAGE_AUDIT_INDEX_INT_H
#define FAXGW_STORAGE_AUDIT_INDEX_INT_H

#include <stdint.h>

#include "storage/audit.h"

struct catalog;

#define AUDIT_INDEX_TEXT_MAX 4096   /* the schema's bound on text columns */

/* The indexed columns of one line. Strings point into the record. */
struct audit_index_cols {
	uint64_t seq;
	int64_t time_ms;
	const char *type, *direction, *number, *result, *mailbox, *user, *source;
};

/* Fills c from rec; rec NULL: a line that is no record (type
 * AUDIT_INDEX_MALFORMED, seq and time 0, other columns ""). */
void audit_index_derive(const struct audit_record *rec, struct audit_index_cols *c);

/* Opens the log read-only into *fd (logged on failure). Returns 0 or
 * FGW_ERR_IO. */
int audit_index_open_log(const char *path, int *fd);

/* Marks the index as not matching the log: the next update rebuilds it.
 * Returns 0 or an FGW_ERR_* code. */
int audit_index_mark_stale(struct catalog *cat);

#endif
