#include "gateway/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <iniparser.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/config_keys.h"

#define CONFIG_LINE_MAX 1024 /* iniparser's own line limit */
#define CONFIG_MSG_MAX 1024

struct config {
	size_t count;
	char *values[]; /* indexed like config_keys[] */
};

/* Where problems go while one file is being loaded. */
struct config_ctx {
	const char *path;
	config_report_fn *report;
	void *arg;
	int errors;
	FILE *file;
};

static void ctx_report(struct config_ctx *ctx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ctx_report(struct config_ctx *ctx, int line, const char *fmt, ...)
{
	char body[CONFIG_MSG_MAX], msg[CONFIG_MSG_MAX + 300];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(body, sizeof body, fmt, ap) < 0)
		body[0] = '\0';
	va_end(ap);
	if (line > 0)
		(void)str_format(msg, sizeof msg, "%s:%d: %s", ctx->path, line, body);
	else
		(void)str_format(msg, sizeof msg, "%s: %s", ctx->path, body);
	ctx->errors++;
	ctx->report(ctx->arg, msg);
}

static int key_index(const char *section, const char *name)
{
	for (size_t i = 0; i < config_key_count; i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool section_declared(const char *section)
{
	for (size_t i = 0; i < config_key_count; i++)
		if (strcmp(config_keys[i].section, section) == 0)
			return true;
	return false;
}

/* Lists the declared sections, in table order, comma-separated. */
static void section_names(char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < config_key_count; i++) {
		const char *name = config_keys[i].section;
		if (i > 0 && strcmp(config_keys[i - 1].section, name) == 0)
			continue;
		if (str_format(buf + used, size - used, "%s%s", used ? ", " : "", name) != FGW_OK)
			return;
		used += strlen(buf + used);
	}
}

/* ---- locating keys in the file (iniparser keeps no line numbers) ---- */

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Splits a "name = value" line; returns the lowercased name or NULL. */
static char *line_key(char *line)
{
	char *eq = strchr(line, '=');

	if (eq == NULL)
		return NULL;
	*eq = '\0';
	line = trim(line);
	lower(line);
	return line;
}

/* Returns the first line where [section] key (key NULL: the section header)
 * appears, or 0. Counts occurrences in *count when not NULL. */
static int locate(FILE *f, const char *section, const char *key, int *count)
{
	char buf[CONFIG_LINE_MAX + 2], current[CONFIG_LINE_MAX + 2] = "";
	int lineno = 0, first = 0, seen = 0;

	rewind(f);
	while (fgets(buf, sizeof buf, f) != NULL) {
		char *s = trim(buf), *name;

		lineno++;
		if (*s == '#' || *s == ';' || *s == '\0')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (end)
				*end = '\0';
			(void)str_copy(current, sizeof current, trim(s + 1));
			lower(current);
			if (key == NULL && strcmp(current, section) == 0 && !seen++)
				first = lineno;
			continue;
		}
		name = line_key(s);
		if (key && name && strcmp(current, section) == 0 && strcmp(name, key) == 0)
			if (!seen++)
				first = lineno;
	}
	if (count)
		*count = seen;
	return first;
}

/* ---- value checks ---- */

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return (*out = true);
		if (strcasecmp(v, no[i]) == 0)
			return !(*out = false);
	}
	return false;
}

static bool choice_ok(const char *choices, const char *word, size_t len)
{
	const char *p = choices;

	while (*p) {
		size_t n = strcspn(p, "|");
		if (n == len && strncmp(p, word, len) == 0)
			return true;
		p += n + (p[n] == '|');
	}
	return false;
}

static bool list_ok(const char *choices, const char *v)
{
	char items[CONFIG_LINE_MAX + 2], *item, *rest;
	int n = 0;

	if (str_copy(items, sizeof items, v) != FGW_OK)
		return false;
	for (item = items; item; item = rest) {
		char *word;
		rest = strchr(item, ',');
		if (rest)
			*rest++ = '\0';
		word = trim(item);
		if (!choice_ok(choices, word, strlen(word)))
			return false;
		n++;
	}
	return n > 0;
}

static bool string_ok(const struct config_key *k, const char *v)
{
	size_t len = strlen(v);

	if ((long long)len < k->min || (long long)len > k->max)
		return false;
	for (const char *p = v; *p; p++) {
		if (k->charset ? strchr(k->charset, *p) == NULL
			       : (*p < 0x20 || *p > 0x7e))
			return false;
	}
	return true;
}

/* Says what is allowed for k, for error messages. */
static void describe(const struct config_key *k, char *buf, size_t size)
{
	switch (k->type) {
	case CONFIG_BOOL:
		(void)str_copy(buf, size, "yes or no");
		break;
	case CONFIG_INT:
		(void)str_format(buf, size, "a whole number from %lld to %lld", k->min, k->max);
		break;
	case CONFIG_ENUM:
		(void)str_format(buf, size, "one of %s", k->choices);
		break;
	case CONFIG_LIST:
		(void)str_format(buf, size, "a comma-separated list of %s", k->choices);
		break;
	case CONFIG_STRING:
		(void)str_format(buf, size, "%lld to %lld characters%s%s", k->min, k->max,
				 k->charset ? " from " : " of printable ASCII",
				 k->charset ? k->charset : "");
		break;
	}
}

static bool value_ok(const struct config_key *k, const char *v)
{
	long long n;
	bool b;

	switch (k->type) {
	case CONFIG_BOOL:
		return parse_bool(v, &b);
	case CONFIG_INT:
		return str_to_int(v, k->min, k->max, &n) == FGW_OK;
	case CONFIG_ENUM:
		return choice_ok(k->choices, v, strlen(v));
	case CONFIG_LIST:
		return list_ok(k->choices, v);
	case CONFIG_STRING:
		return string_ok(k, v);
	}
	return false;
}

/* Copies v for an error message, replacing what a terminal should not see. */
static void printable(char *dst, size_t size, const char *v)
{
	size_t i = 0;

	for (; *v && i + 1 < size; v++, i++)
		dst[i] = (*v >= 0x20 && *v <= 0x7e) ? *v : '?';
	dst[i] = '\0';
}

/* ---- loading ---- */

static struct config *config_alloc(void)
{
	struct config *cfg = calloc(1, sizeof *cfg + config_key_count * sizeof(char *));

	if (cfg == NULL)
		return NULL;
	cfg->count = config_key_count;
	for (size_t i = 0; i < config_key_count; i++) {
		cfg->values[i] = strdup(config_keys[i].def);
		if (cfg->values[i] == NULL) {
			config_free(cfg);
			return NULL;
		}
	}
	return cfg;
}

struct config *config_defaults(void)
{
	return config_alloc();
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < config_key_count; i++)
		free(cfg->values[i]);
	free(cfg);
}

static void check_key(struct config_ctx *ctx, struct config *cfg, const char *section,
		      const char *name, const char *value)
{
	int idx = key_index(section, name), dup = 0;
	int line = locate(ctx->file, section, name, &dup);
	char allowed[512], shown[256];

	if (idx < 0) {
		ctx_report(ctx, line, "[%s] %s: unknown key; see config/faxgw.ini for the keys of [%s]",
			   section, name, section);
		return;
	}
	if (dup > 1)
		ctx_report(ctx, line, "[%s] %s: given %d times; keep one", section, name, dup);
	if (!value_ok(&config_keys[idx], value)) {
		describe(&config_keys[idx], allowed, sizeof allowed);
		printable(shown, sizeof shown, value);
		ctx_report(ctx, line, "[%s] %s: bad value '%s': must be %s (%s)", section, name,
			   shown, allowed, config_keys[idx].help);
		return;
	}
	char *copy = strdup(value);
	if (copy == NULL) {
		ctx_report(ctx, line, "[%s] %s: out of memory", section, name);
		return;
	}
	free(cfg->values[idx]);
	cfg->values[idx] = copy;
}

static void check_section(struct config_ctx *ctx, struct config *cfg, dictionary *d,
			  const char *section)
{
	int n = iniparser_getsecnkeys(d, section);
	const char **keys;
	size_t plen = strlen(section) + 1;

	if (!section_declared(section)) {
		char allowed[256];
		section_names(allowed, sizeof allowed);
		ctx_report(ctx, locate(ctx->file, section, NULL, NULL),
			   "[%s]: unknown section; allowed: %s", section, allowed);
		return;
	}
	if (n <= 0)
		return;
	keys = calloc((size_t)n, sizeof *keys);
	if (keys == NULL || iniparser_getseckeys(d, section, keys) == NULL) {
		ctx_report(ctx, 0, "[%s]: out of memory", section);
		free(keys);
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *value = iniparser_getstring(d, keys[i], NULL);
		/* A section named "fax:x" shows up as a key of [fax] with no value. */
		if (value == NULL)
			ctx_report(ctx, 0, "[%s] %s: no value; write 'key = value' under [%s]",
				   section, keys[i] + plen, section);
		else
			check_key(ctx, cfg, section, keys[i] + plen, value);
	}
	free(keys);
}

/* Keys before the first [section] are stored by iniparser without one. */
static void check_orphans(struct config_ctx *ctx, dictionary *d)
{
	char buf[CONFIG_LINE_MAX + 2];
	int lineno = 0;

	(void)d;
	rewind(ctx->file);
	while (fgets(buf, sizeof buf, ctx->file) != NULL) {
		char *s = trim(buf), *name;
		lineno++;
		if (*s == '[')
			return;
		if (*s == '#' || *s == ';' || *s == '\0')
			continue;
		name = line_key(s);
		ctx_report(ctx, lineno, "%s: key outside any [section]; put it under its section",
			   name ? name : s);
	}
}

/* iniparser reports syntax errors through a process-wide printf-like hook
 * with no user pointer; this thread's load in progress receives them. */
static _Thread_local struct config_ctx *parsing_ctx;

static int iniparser_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int iniparser_error(const char *fmt, ...)
{
	char msg[CONFIG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (parsing_ctx)
		ctx_report(parsing_ctx, 0, "%s", trim(msg));
	return 0;
}

static dictionary *parse_file(struct config_ctx *ctx)
{
	dictionary *d;

	parsing_ctx = ctx;
	iniparser_set_error_callback(iniparser_error);
	d = iniparser_load(ctx->path);
	iniparser_set_error_callback(NULL);
	parsing_ctx = NULL;
	if (d == NULL && ctx->errors == 0)
		ctx_report(ctx, 0, "cannot be parsed as an INI file");
	return d;
}

int config_load(const char *path, config_report_fn *report, void *arg,
		struct config **out)
{
	struct config_ctx ctx = {.path = path, .report = report, .arg = arg};
	struct config *cfg;
	dictionary *d;

	*out = NULL;
	ctx.file = fopen(path, "r");
	if (ctx.file == NULL) {
		int saved = errno;
		ctx_report(&ctx, 0, "cannot open: %s", strerror(saved));
		return saved == ENOENT ? FGW_ERR_NOT_FOUND : FGW_ERR_IO;
	}
	cfg = config_alloc();
	d = cfg ? parse_file(&ctx) : NULL;
	if (d) {
		check_orphans(&ctx, d);
		for (int i = 0; i < iniparser_getnsec(d); i++)
			check_section(&ctx, cfg, d, iniparser_getsecname(d, i));
		iniparser_freedict(d);
	}
	fclose(ctx.file);
	if (cfg == NULL)
		return FGW_ERR_NOMEM;
	if (ctx.errors > 0) {
		config_free(cfg);
		return FGW_ERR_CONFIG;
	}
	*out = cfg;
	return FGW_OK;
}

/* ---- accessors ---- */

static const char *lookup(const struct config *cfg, const char *section, const char *key,
			  enum config_type type)
{
	int idx = key_index(section, key);

	if (idx < 0 || config_keys[idx].type != type)
		fatal("internal error: configuration key [%s] %s is not declared as used",
		      section, key);
	return cfg->values[idx];
}

const char *config_str(const struct config *cfg, const char *section, const char *key)
{
	int idx = key_index(section, key);

	if (idx < 0 || config_keys[idx].type == CONFIG_BOOL || config_keys[idx].type == CONFIG_INT)
		fatal("internal error: configuration key [%s] %s is not a string", section, key);
	return cfg->values[idx];
}

long long config_int(const struct config *cfg, const char *section, const char *key)
{
	long long n = 0;

	if (str_to_int(lookup(cfg, section, key, CONFIG_INT), LLONG_MIN, LLONG_MAX, &n) != FGW_OK)
		fatal("internal error: [%s] %s holds no number", section, key);
	return n;
}

bool config_bool(const struct config *cfg, const char *section, const char *key)
{
	bool b = false;

	if (!parse_bool(lookup(cfg, section, key, CONFIG_BOOL), &b))
		fatal("internal error: [%s] %s holds no yes/no", section, key);
	return b;
}

bool config_list_has(const struct config *cfg, const char *section, const char *key,
		     const char *item)
{
	const char *p = lookup(cfg, section, key, CONFIG_LIST);
	size_t len = strlen(item);

	while (*p) {
		size_t n;
		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, ",");
		size_t m = n;
		while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t'))
			m--;
		if (m == len && strncmp(p, item, len) == 0)
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

void config_dump(const struct config *cfg, FILE *out)
{
	for (size_t i = 0; i < config_key_count; i++)
		fprintf(out, "[%s] %s = %s\n", config_keys[i].section, config_keys[i].name,
			cfg->values[i]);
}
