/* Per-device outbound policy: merging a device's catalog row over the
 * configured defaults (gateway/devpolicy.h), device names, and the
 * decisions the dial rules then take with the merged policy. */
#include <criterion/criterion.h>

#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/devpolicy.h"

static struct devpolicy defaults(void)
{
	struct devpolicy d;
	char msg[200];

	devpolicy_init(&d);
	cr_assert_eq(dialrules_parse_list("0120", &d.dial.deny, msg, sizeof msg), 0);
	cr_assert_eq(dialrules_parse_list("44", &d.dial.countries, msg, sizeof msg), 0);
	return d;
}

static struct catalog_device_entry entry(const char *name)
{
	struct catalog_device_entry e;

	catalog_devices_entry_init(&e);
	cr_assert_eq(str_copy(e.dev.address, sizeof e.dev.address, name), 0);
	return e;
}

static void set_list(struct catalog_device_list *l, const char *text)
{
	l->set = true;
	cr_assert_eq(str_copy(l->text, sizeof l->text, text), 0);
}

static bool allowed(const struct devpolicy *p, const char *number)
{
	struct dialrules_decision d;

	return dialrules_check(&p->dial, DIAL_FROM_DEVICE, number, &d) == FGW_OK;
}

Test(devpolicy, init_is_the_safe_default)
{
	struct devpolicy p;

	devpolicy_init(&p);
	cr_assert(p.double_entry);
	cr_assert_not(p.dial.international_allow);
	cr_assert_not(p.dial.premium_allow);
	cr_assert_eq(p.dial.deny.count + p.dial.allow.count + p.dial.countries.count, 0);
}

Test(devpolicy, no_row_gives_the_defaults)
{
	struct devpolicy d = defaults(), out;
	char msg[200] = "";

	memset(&out, 0x5a, sizeof out);
	cr_assert_eq(devpolicy_merge(&d, NULL, &out, msg, sizeof msg), 0);
	cr_assert_eq(memcmp(&out, &d, sizeof d), 0);
}

Test(devpolicy, row_with_every_setting_default_gives_the_defaults)
{
	struct devpolicy d = defaults(), out;
	struct catalog_device_entry e = entry("mfp1");
	char msg[200] = "";

	cr_assert_eq(devpolicy_merge(&d, &e, &out, msg, sizeof msg), 0);
	cr_assert_eq(memcmp(&out, &d, sizeof d), 0);
}

Test(devpolicy, device_turns_double_entry_off_and_on)
{
	struct devpolicy d = defaults(), out;
	struct catalog_device_entry e = entry("mfp1");
	char msg[200];

	e.double_entry = CATALOG_SET_NO;
	cr_assert_eq(devpolicy_merge(&d, &e, &out, msg, sizeof msg), 0);
	cr_assert_not(out.double_entry);
	d.double_entry = false;
	e.double_entry = CATALOG_SET_YES;
	cr_assert_eq(devpolicy_merge(&d, &e, &out, msg, sizeof msg), 0);
	cr_assert(out.double_entry);
}

Test(devpolicy, device_allows_international_that_the_default_refuses)
{
	struct devpolicy d = defaults(), out;
	struct catalog_device_entry e = entry("intl");
	char msg[200];

	cr_assert_not(allowed(&d, "010 1 212 555 0100"));
	e.international_allow = CATALOG_SET_YES;
	cr_assert_eq(devpolicy_merge(&d, &e, &out, msg, sizeof msg), 0);
	cr_assert(allowed(&out, "010 1 212 555 0100"));
	cr_assert(out.double_entry, "double entry stays as configured");
}

Test(devpolicy, device_can_refuse_international_the_config_allows)
{
	struct devpolicy d = defaults(), out;
	struct catalog_device_entry e = entry("local-only");
	char msg[200];

	d.dial.international_allow = true;
	e.international_allow = CATALOG_SET_NO;
	cr_assert_eq(devpolicy_merge(&d, &e, &out, msg, sizeof msg), 0);
	cr_assert_not(allowed(&out, "+1 212 555 0100"));
	cr_assert(allowed(&out, "+44 20 7946 0000"), "the configured countries still apply");
}

Test(devpolicy, device_deny_list_replaces_the_configured_one)
{
	struct devpolicy d = defaults(), out;
	struct catalog_device_entry e = entry("mfp1");
	char msg[200];

	set_list(&e.deny_prefixes, "03");
	cr_assert_eq(devpolicy_merge(&d, &e, &out, msg, sizeof msg), 0);
	cr_assert_not(allowed(&out, "03-1234-5678"));
	cr_assert(allowed(&out, "0120-123-456"), "the configured 0120 no longer applies");
	cr_assert(allowed(&d, "03-1234-5678"));
}

Test(devpolicy, empty_device_list_clears_the_configured_one)
{
	struct devpolicy d = defaults(), out;
	struct catalog_device_entry e = entry("mfp1");
	char msg[200];

	cr_assert_eq(dialrules_parse_list("06", &d.dial.allow, msg, sizeof msg), 0);
	set_list(&e.deny_prefixes, "");
	set_list(&e.allow_prefixes, "");
	cr_assert_eq(devpolicy_merge(&d, &e, &out, msg, sizeof msg), 0);
	cr_assert_eq(out.dial.deny.count, 0);
	cr_assert_eq(out.dial.allow.count, 0);
	cr_assert(allowed(&out, "03-1234-5678"));
	cr_assert_not(allowed(&d, "03-1234-5678"), "the configured allowlist is 06 only");
}

Test(devpolicy, device_allow_list_limits_public_numbers)
{
	struct devpolicy d = defaults(), out;
	struct catalog_device_entry e = entry("branch");
	char msg[200];

	set_list(&e.allow_prefixes, "06,075");
	cr_assert_eq(devpolicy_merge(&d, &e, &out, msg, sizeof msg), 0);
	cr_assert(allowed(&out, "06-1234-5678"));
	cr_assert(allowed(&out, "075-123-4567"));
	cr_assert_not(allowed(&out, "03-1234-5678"));
	cr_assert(allowed(&out, "2345"), "extensions are not limited");
}

Test(devpolicy, device_countries_replace_the_configured_ones)
{
	struct devpolicy d = defaults(), out;
	struct catalog_device_entry e = entry("mfp1");
	char msg[200];

	set_list(&e.countries, "1");
	cr_assert_eq(devpolicy_merge(&d, &e, &out, msg, sizeof msg), 0);
	cr_assert(allowed(&out, "+1 212 555 0100"));
	cr_assert_not(allowed(&out, "+44 20 7946 0000"));
}

Test(devpolicy, premium_stays_appliance_wide)
{
	struct devpolicy d = defaults(), out;
	struct catalog_device_entry e = entry("mfp1");
	char msg[200];

	e.international_allow = CATALOG_SET_YES;
	cr_assert_eq(devpolicy_merge(&d, &e, &out, msg, sizeof msg), 0);
	cr_assert_not(allowed(&out, "0990-123-456"));
	d.dial.premium_allow = true;
	cr_assert_eq(devpolicy_merge(&d, &e, &out, msg, sizeof msg), 0);
	cr_assert(allowed(&out, "0990-123-456"));
}

Test(devpolicy, bad_stored_list_is_refused_naming_device_and_field)
{
	struct devpolicy d = defaults(), out;
	struct catalog_device_entry e = entry("mfp7");
	char msg[200] = "";

	e.double_entry = CATALOG_SET_NO;
	set_list(&e.deny_prefixes, "03,x6");
	cr_assert_eq(devpolicy_merge(&d, &e, &out, msg, sizeof msg), FGW_ERR_PARSE);
	cr_assert(strstr(msg, "device mfp7") != NULL, "%s", msg);
	cr_assert(strstr(msg, "deny_prefixes") != NULL, "%s", msg);
	cr_assert(out.double_entry, "a broken row yields the defaults, not half of it");
	cr_assert_eq(out.dial.deny.count, 1);
}

Test(devpolicy, too_long_stored_list_is_a_range_error)
{
	struct devpolicy d = defaults(), out;
	struct catalog_device_entry e = entry("mfp1");
	char msg[200] = "";

	set_list(&e.allow_prefixes, "01234567890123456789");
	cr_assert_eq(devpolicy_merge(&d, &e, &out, msg, sizeof msg), FGW_ERR_RANGE);
	cr_assert(strstr(msg, "allow_prefixes") != NULL, "%s", msg);
}

Test(devpolicy, device_names)
{
	char longname[CATALOG_NAME_MAX + 2];

	cr_assert(devpolicy_name_ok("device"));
	cr_assert(devpolicy_name_ok("mfp-2F.east_1"));
	cr_assert(devpolicy_name_ok("sip:2001@192.0.2.7"));
	cr_assert_not(devpolicy_name_ok(""));
	cr_assert_not(devpolicy_name_ok("a b"));
	cr_assert_not(devpolicy_name_ok("a/b"));
	cr_assert_not(devpolicy_name_ok("a\nb"));
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	cr_assert_not(devpolicy_name_ok(longname));
	longname[CATALOG_NAME_MAX] = '\0';
	cr_assert(devpolicy_name_ok(longname));
}
