/* The table of declared configuration keys. Private to gateway/config.c
 * and its tests. */
#ifndef FAXGW_GATEWAY_CONFIG_KEYS_H
#define FAXGW_GATEWAY_CONFIG_KEYS_H

#include <stddef.h>

enum config_type {
	CONFIG_BOOL,   /* yes/no, true/false, on/off, 1/0 */
	CONFIG_INT,    /* whole number in [min, max] */
	CONFIG_STRING, /* text up to max bytes, optionally checked by charset */
	CONFIG_ENUM,   /* one word of choices ("a|b|c") */
	CONFIG_LIST    /* comma-separated words of choices, at least one */
};

struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	const char *def;
	long long min, max;  /* CONFIG_INT range; CONFIG_STRING max length */
	const char *choices; /* CONFIG_ENUM and CONFIG_LIST: "a|b|c" */
	const char *charset; /* CONFIG_STRING: allowed bytes, NULL for printable */
	const char *help;    /* what the key means, for messages */
};

extern const struct config_key config_keys[];
extern const size_t config_key_count;

#endif
