/* storage/lockout: failure counting shared by the web login and SIP. */
#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "common/err.h"
#include "storage/catalog.h"
#include "storage/lockout.h"

static char dir[64];
static struct catalog *cat;

static void setup(void)
{
	char path[128];

	snprintf(dir, sizeof dir, "/tmp/test_lockout.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	cr_assert_eq(catalog_open(path, &cat), 0);
}

static void teardown(void)
{
	char cmd[128];

	catalog_close(cat);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(lockout, .init = setup, .fini = teardown);

Test(lockout, locks_after_max_then_expires)
{
	struct lockout_policy pol = { .max_failures = 3, .lock_ms = 60000 };
	bool locked;

	cr_assert_eq(lockout_fail(cat, "sip", "mfp1", &pol, 1000), 0);
	cr_assert_eq(lockout_fail(cat, "sip", "mfp1", &pol, 1000), 0);
	cr_assert_eq(lockout_check(cat, "sip", "mfp1", 1000, &locked), 0);
	cr_assert_not(locked);
	cr_assert_eq(lockout_fail(cat, "sip", "mfp1", &pol, 1000), 1);
	cr_assert_eq(lockout_check(cat, "sip", "mfp1", 60999, &locked), 0);
	cr_assert(locked);
	cr_assert_eq(lockout_check(cat, "sip", "mfp1", 61000, &locked), 0);
	cr_assert_not(locked);
	/* another scope or key is its own counter */
	cr_assert_eq(lockout_check(cat, "login", "mfp1", 1000, &locked), 0);
	cr_assert_not(locked);
}

Test(lockout, clear_starts_again)
{
	struct lockout_policy pol = { .max_failures = 2, .lock_ms = 1000 };

	cr_assert_eq(lockout_fail(cat, "sip", "a", &pol, 0), 0);
	cr_assert_eq(lockout_clear(cat, "sip", "a"), 0);
	cr_assert_eq(lockout_fail(cat, "sip", "a", &pol, 0), 0);
	cr_assert_eq(lockout_fail(cat, "sip", "a", &pol, 0), 1);
}

Test(lockout, address_lock_doubles_up_to_its_cap)
{
	struct lockout_policy pol = lockout_addr_policy(3);
	struct catalog_lockout lo;

	for (int i = 0; i < 2; i++)
		cr_assert_eq(lockout_fail(cat, LOCKOUT_SCOPE_ADDR, "192.0.2.1", &pol, 0), 0);
	for (int i = 0; i < 12; i++) {
		cr_assert_eq(lockout_fail(cat, LOCKOUT_SCOPE_ADDR, "192.0.2.1", &pol, 0), 1);
		cr_assert_eq(catalog_lockout_get(cat, LOCKOUT_SCOPE_ADDR, "192.0.2.1", &lo), 0);
		/* doubles per further failure, at most 2^8 times, within the cap */
		int64_t expect = (int64_t)LOCKOUT_ADDR_BASE_MS << (i > 8 ? 8 : i);
		if (expect > LOCKOUT_ADDR_MAX_MS)
			expect = LOCKOUT_ADDR_MAX_MS;
		cr_assert_eq(lo.locked_until_ms, expect, "failure %d", i + 3);
	}
}

Test(lockout, address_key_drops_the_port)
{
	char k[64];

	cr_assert_eq(lockout_addr_key("192.0.2.7:5060", k, sizeof k), 0);
	cr_assert_str_eq(k, "192.0.2.7");
	cr_assert_eq(lockout_addr_key("[2001:db8::1]:5060", k, sizeof k), 0);
	cr_assert_str_eq(k, "2001:db8::1");
	cr_assert_eq(lockout_addr_key("::1", k, sizeof k), 0);
	cr_assert_str_eq(k, "::1");
	cr_assert_eq(lockout_addr_key("192.0.2.7", k, sizeof k), 0);
	cr_assert_str_eq(k, "192.0.2.7");
	cr_assert_eq(lockout_addr_key("[::1", k, sizeof k), FGW_ERR_PARSE);
	cr_assert_eq(lockout_addr_key(":5060", k, sizeof k), FGW_ERR_PARSE);
	cr_assert_eq(lockout_addr_key("192.0.2.7:5060", k, 5), FGW_ERR_TOO_LARGE);
}
