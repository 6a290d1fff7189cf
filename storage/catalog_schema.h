/* Private to storage/catalog.c: the ordered list of schema migrations. */
#ifndef FAXGW_STORAGE_CATALOG_SCHEMA_H
#define FAXGW_STORAGE_CATALOG_SCHEMA_H

#include <stddef.h>

/* Step i (0-based) takes a database from user_version i to i + 1. */
struct catalog_migration {
	int to_version;
	const char *sql;   /* one or more statements, no parameters */
};

/* Returns the migration steps in order; *count gets their number, which
 * equals CATALOG_SCHEMA_VERSION. Static storage. */
const struct catalog_migration *catalog_migrations(size_t *count);

#endif
