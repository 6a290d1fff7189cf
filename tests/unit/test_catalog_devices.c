/* The devices table with its policy columns (storage/catalog_devices.h):
 * round trips of default / yes / no / lists, list order, delete, bounds,
 * and catalog_device_put leaving the policy alone. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/devpolicy.h"
#include "storage/catalog_devices.h"
#include "storage/catalog_int.h"

static char tmpdir[256], dbpath[300];
static struct catalog *cat;

static void setup(void)
{
	log_init("test_catalog_devices", true, LOG_LEVEL_ERROR);
	cr_assert_eq(str_copy(tmpdir, sizeof tmpdir, "/tmp/fgw-catdev-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(tmpdir));
	cr_assert_eq(str_format(dbpath, sizeof dbpath, "%s/catalog.db", tmpdir), 0);
	cr_assert_eq(catalog_open(dbpath, &cat), 0);
}

static void teardown(void)
{
	char cmd[400];

	catalog_close(cat);
	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmpdir), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(catalog_devices, .init = setup, .fini = teardown);

static struct catalog_device_entry entry(const char *name)
{
	struct catalog_device_entry e;

	catalog_devices_entry_init(&e);
	cr_assert_eq(str_copy(e.dev.address, sizeof e.dev.address, name), 0);
	cr_assert_eq(str_copy(e.dev.name, sizeof e.dev.name, name), 0);
	cr_assert_eq(str_copy(e.dev.kind, sizeof e.dev.kind, "fax"), 0);
	return e;
}

Test(catalog_devices, defaults_round_trip_as_default)
{
	struct catalog_device_entry e = entry("mfp1"), got;

	cr_assert_eq(catalog_devices_save(cat, &e), 0);
	cr_assert_eq(catalog_devices_get(cat, "mfp1", &got), 0);
	cr_assert_str_eq(got.dev.kind, "fax");
	cr_assert_eq(got.double_entry, CATALOG_SET_DEFAULT);
	cr_assert_eq(got.international_allow, CATALOG_SET_DEFAULT);
	cr_assert_not(got.allow_prefixes.set);
	cr_assert_not(got.deny_prefixes.set);
	cr_assert_not(got.countries.set);
}

Test(catalog_devices, settings_and_lists_round_trip)
{
	struct catalog_device_entry e = entry("mfp1"), got;

	e.double_entry = CATALOG_SET_NO;
	e.international_allow = CATALOG_SET_YES;
	e.allow_prefixes.set = true;                       /* set and empty */
	e.deny_prefixes.set = true;
	cr_assert_eq(str_copy(e.deny_prefixes.text, sizeof e.deny_prefixes.text, "03,0120"), 0);
	e.countries.set = true;
	cr_assert_eq(str_copy(e.countries.text, sizeof e.countries.text, "1,44"), 0);
	e.dev.last_seen_ms = 1700000000123;
	cr_assert_eq(catalog_devices_save(cat, &e), 0);
	cr_assert_eq(catalog_devices_get(cat, "mfp1", &got), 0);
	cr_assert_eq(got.double_entry, CATALOG_SET_NO);
	cr_assert_eq(got.international_allow, CATALOG_SET_YES);
	cr_assert(got.allow_prefixes.set);
	cr_assert_str_eq(got.allow_prefixes.text, "");
	cr_assert_str_eq(got.deny_prefixes.text, "03,0120");
	cr_assert_str_eq(got.countries.text, "1,44");
	cr_assert_eq(got.dev.last_seen_ms, 1700000000123);
}

Test(catalog_devices, save_replaces_every_column_back_to_default)
{
	struct catalog_device_entry e = entry("mfp1"), got;

	e.double_entry = CATALOG_SET_YES;
	e.deny_prefixes.set = true;
	cr_assert_eq(catalog_devices_save(cat, &e), 0);
	e = entry("mfp1");
	cr_assert_eq(catalog_devices_save(cat, &e), 0);
	cr_assert_eq(catalog_devices_get(cat, "mfp1", &got), 0);
	cr_assert_eq(got.double_entry, CATALOG_SET_DEFAULT);
	cr_assert_not(got.deny_prefixes.set);
}

Test(catalog_devices, device_put_keeps_the_policy)
{
	struct catalog_device_entry e = entry("192.0.2.7"), got;
	struct catalog_device d = { .address = "192.0.2.7", .name = "MFP 2F", .kind = "mfp",
				    .last_seen_ms = 42 };

	e.double_entry = CATALOG_SET_NO;
	cr_assert_eq(catalog_devices_save(cat, &e), 0);
	cr_assert_eq(catalog_device_put(cat, &d), 0);
	cr_assert_eq(catalog_devices_get(cat, "192.0.2.7", &got), 0);
	cr_assert_str_eq(got.dev.name, "MFP 2F");
	cr_assert_str_eq(got.dev.kind, "mfp");
	cr_assert_eq(got.dev.last_seen_ms, 42);
	cr_assert_eq(got.double_entry, CATALOG_SET_NO);
}

Test(catalog_devices, device_put_rows_read_as_default)
{
	struct catalog_device d = { .address = "192.0.2.8", .name = "phone", .kind = "phone" };
	struct catalog_device_entry got;

	cr_assert_eq(catalog_device_put(cat, &d), 0);
	cr_assert_eq(catalog_devices_get(cat, "192.0.2.8", &got), 0);
	cr_assert_eq(got.double_entry, CATALOG_SET_DEFAULT);
	cr_assert_eq(got.international_allow, CATALOG_SET_DEFAULT);
}

static int collect(const struct catalog_device_entry *e, void *arg)
{
	char *names = arg;
	size_t len = strlen(names);

	return str_format(names + len, 256 - len, "%s;", e->dev.address);
}

static int stop_at_first(const struct catalog_device_entry *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 7;
}

Test(catalog_devices, list_in_name_order_and_stops_when_asked)
{
	struct catalog_device_entry a = entry("zeta"), b = entry("alpha"), c = entry("mid");
	char names[256] = "";
	int calls = 0;

	cr_assert_eq(catalog_devices_list(cat, collect, names), 0);
	cr_assert_str_eq(names, "");
	cr_assert_eq(catalog_devices_save(cat, &a), 0);
	cr_assert_eq(catalog_devices_save(cat, &b), 0);
	cr_assert_eq(catalog_devices_save(cat, &c), 0);
	cr_assert_eq(catalog_devices_list(cat, collect, names), 0);
	cr_assert_str_eq(names, "alpha;mid;zeta;");
	cr_assert_eq(catalog_devices_list(cat, stop_at_first, &calls), 7);
	cr_assert_eq(calls, 1);
}

Test(catalog_devices, delete_and_missing)
{
	struct catalog_device_entry e = entry("mfp1"), got;

	cr_assert_eq(catalog_devices_get(cat, "mfp1", &got), FGW_ERR_NOT_FOUND);
	cr_assert_eq(catalog_devices_delete(cat, "mfp1"), FGW_ERR_NOT_FOUND);
	cr_assert_eq(catalog_devices_save(cat, &e), 0);
	cr_assert_eq(catalog_devices_delete(cat, "mfp1"), 0);
	cr_assert_eq(catalog_devices_get(cat, "mfp1", &got), FGW_ERR_NOT_FOUND);
}

Test(catalog_devices, bad_input_is_refused)
{
	struct catalog_device_entry e = entry("mfp1"), got;

	e.double_entry = (enum catalog_setting)5;
	cr_assert_eq(catalog_devices_save(cat, &e), FGW_ERR_INVALID);
	e = entry("");
	cr_assert_eq(catalog_devices_save(cat, &e), FGW_ERR_INVALID);
	e = entry("mfp1");
	e.deny_prefixes.set = true;
	memset(e.deny_prefixes.text, '1', CATALOG_DEVICE_LIST_MAX);
	e.deny_prefixes.text[CATALOG_DEVICE_LIST_MAX] = '\0';
	cr_assert_eq(catalog_devices_save(cat, &e), 0, "the maximum fits");
	cr_assert_eq(catalog_devices_get(cat, "mfp1", &got), 0);
	cr_assert_eq(strlen(got.deny_prefixes.text), CATALOG_DEVICE_LIST_MAX);
}

Test(catalog_devices, schema_checks_refuse_rows_the_code_would_not_write)
{
	char *err = NULL;

	cr_assert_neq(sqlite3_exec(catalog_db(cat), "INSERT INTO devices (address, name, kind,"
				   " double_entry) VALUES ('x', 'x', 'fax', 2)", NULL, NULL, &err),
		      SQLITE_OK);
	sqlite3_free(err);
	err = NULL;
	cr_assert_neq(sqlite3_exec(catalog_db(cat), "INSERT INTO devices (address, name, kind,"
				   " deny_prefixes) VALUES ('x', 'x', 'fax', printf('%.641c', '1'))",
				   NULL, NULL, &err), SQLITE_OK);
	sqlite3_free(err);
}

Test(catalog_devices, lookup_merges_a_stored_device_and_defaults_an_unknown_one)
{
	struct catalog_device_entry e = entry("mfp1");
	struct devpolicy d, out;
	char msg[200];

	devpolicy_init(&d);
	e.double_entry = CATALOG_SET_NO;
	cr_assert_eq(catalog_devices_save(cat, &e), 0);
	cr_assert_eq(devpolicy_for_device(cat, &d, "mfp1", &out, msg, sizeof msg), 0);
	cr_assert_not(out.double_entry);
	cr_assert_eq(devpolicy_for_device(cat, &d, "other", &out, msg, sizeof msg), 0);
	cr_assert(out.double_entry);
}
