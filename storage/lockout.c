/* Failure counters shared by the web login and the SIP registrar. */
#include "storage/lockout.h"

#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/catalog.h"

struct lockout_policy lockout_addr_policy(unsigned max_failures)
{
	return (struct lockout_policy){
		.max_failures = max_failures, .lock_ms = LOCKOUT_ADDR_BASE_MS,
		.grow = true, .max_lock_ms = LOCKOUT_ADDR_MAX_MS,
	};
}

static int64_t lock_length(const struct lockout_policy *pol, uint32_t failures)
{
	int64_t ms = pol->lock_ms;
	unsigned extra;

	if (!pol->grow)
		return ms;
	extra = failures - pol->max_failures;
	ms <<= extra > 8 ? 8 : extra;
	return ms > pol->max_lock_ms ? pol->max_lock_ms : ms;
}

int lockout_fail(struct catalog *cat, const char *scope, const char *key,
		 const struct lockout_policy *pol, int64_t now_ms)
{
	struct catalog_lockout lo;
	int rc = catalog_lockout_get(cat, scope, key, &lo);
	bool lock;

	if (rc != FGW_OK) {
		log_warn("lockout: cannot read the %s counter: %s", scope, fgw_strerror(rc));
		return rc;
	}
	if (lo.failures < UINT32_MAX)
		lo.failures++;
	lock = lo.failures >= pol->max_failures;
	if (lock)
		lo.locked_until_ms = now_ms + lock_length(pol, lo.failures);
	rc = catalog_lockout_set(cat, scope, key, &lo);
	if (rc != FGW_OK) {
		log_warn("lockout: cannot count a failure under %s: %s", scope, fgw_strerror(rc));
		return rc;
	}
	return lock ? 1 : 0;
}

int lockout_check(struct catalog *cat, const char *scope, const char *key, int64_t now_ms,
		  bool *locked)
{
	struct catalog_lockout lo;
	int rc = catalog_lockout_get(cat, scope, key, &lo);

	*locked = rc != FGW_OK || lo.locked_until_ms > now_ms;
	return rc;
}

int lockout_clear(struct catalog *cat, const char *scope, const char *key)
{
	return catalog_lockout_clear(cat, scope, key);
}

static int copy_span(char *out, size_t size, const char *s, size_t n)
{
	if (n == 0)
		return FGW_ERR_PARSE;
	if (n >= size)
		return FGW_ERR_TOO_LARGE;
	memcpy(out, s, n);
	out[n] = '\0';
	return FGW_OK;
}

int lockout_addr_key(const char *source, char *out, size_t size)
{
	const char *colon;

	if (!source || size == 0)
		return FGW_ERR_INVALID;
	if (source[0] == '[') {
		const char *end = strchr(source, ']');
		return end ? copy_span(out, size, source + 1, (size_t)(end - source - 1))
			   : FGW_ERR_PARSE;
	}
	colon = strchr(source, ':');
	/* two or more colons and no brackets: a bare IPv6 address */
	if (!colon || strchr(colon + 1, ':'))
		return copy_span(out, size, source, strlen(source));
	return copy_span(out, size, source, (size_t)(colon - source));
}
