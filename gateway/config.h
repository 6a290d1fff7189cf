/* Configuration: faxgw.ini read with iniparser through one table of declared
 * keys (gateway/config_keys.c). Unknown sections and keys and bad values are
 * all reported as "FILE:LINE: [section] key: what is wrong; what is allowed",
 * and a config with any error is refused as a whole. */
#ifndef FAXGW_GATEWAY_CONFIG_H
#define FAXGW_GATEWAY_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

struct config;

/* Called once per problem found; msg is a complete line without newline. */
typedef void config_report_fn(void *arg, const char *msg);

/* Loads and checks path. On success returns 0 and *out (free with
 * config_free). On failure returns FGW_ERR_CONFIG (or FGW_ERR_NOT_FOUND /
 * FGW_ERR_IO when the file cannot be read) after calling report for every
 * problem found; *out is left NULL. */
int config_load(const char *path, config_report_fn *report, void *arg,
		struct config **out);

/* A config made of the declared defaults only; NULL when out of memory. */
struct config *config_defaults(void);

void config_free(struct config *cfg);

/* Typed accessors. The key must be declared in the table with that type;
 * asking for an undeclared key is a programming error and aborts. Strings
 * are owned by cfg. */
const char *config_str(const struct config *cfg, const char *section, const char *key);
long long config_int(const struct config *cfg, const char *section, const char *key);
bool config_bool(const struct config *cfg, const char *section, const char *key);
/* True when the comma-separated list key contains item. */
bool config_list_has(const struct config *cfg, const char *section, const char *key,
		     const char *item);

/* Writes the effective configuration, one "[section] key = value" per line. */
void config_dump(const struct config *cfg, FILE *out);

#endif
