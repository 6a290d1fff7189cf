/* faxgw sip password|remove|bindings from the command line, on a fresh
 * device made by `faxgw init` (tests/support/daemon_harness.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "storage/audit.h"
#include "storage/store.h"
#include "tests/support/daemon_harness.h"

static struct dh *h;
static struct dh_result *r;

static void setup(void)
{
	h = dh_new();
	r = malloc(sizeof *r);
	cr_assert_not_null(r);
	cr_assert_eq(dh_cli(h, NULL, true, r, "device", "set", "mfp1", NULL), 0, "%s", r->err);
}

static void teardown(void)
{
	free(r);
	dh_free(h);
}

TestSuite(sip_cli, .init = setup, .fini = teardown, .timeout = 60);

static int set_password(const char *device, const char *input)
{
	return dh_cli(h, input, true, r, "sip", "password", device, "--stdin", "--config",
		      dh_config_path(h), NULL);
}

struct action_count {
	const char *action;
	long n;
};

static int count_fn(const struct audit_record *rec, void *arg)
{
	struct action_count *c = arg;

	for (size_t i = 0; i < rec->nfields; i++)
		if (strcmp(rec->type, "config_change") == 0 &&
		    strcmp(rec->fields[i].key, "action") == 0 &&
		    strcmp(rec->fields[i].value, c->action) == 0)
			c->n++;
	return 0;
}

static long audit_actions(const char *action)
{
	char path[512];
	struct action_count c = { action, 0 };

	snprintf(path, sizeof path, "%s/%s", dh_data(h), STORE_AUDIT_FILE);
	cr_assert_eq(audit_read_file(path, count_fn, &c, NULL), 0);
	return c.n;
}

Test(sip_cli, password_set_and_removed_with_audit_records)
{
	cr_assert_eq(set_password("mfp1", "Long-enough-pass\n"), 0, "%s", r->err);
	cr_assert(strstr(r->out, "SIP password of mfp1 set (realm faxgw)") != NULL, "%s", r->out);
	cr_assert_eq(audit_actions("sip_password_set"), 1);
	/* a device with a SIP password is not deleted behind its back */
	cr_assert_neq(dh_cli(h, NULL, true, r, "device", "delete", "mfp1", NULL), 0);
	cr_assert_eq(dh_cli(h, NULL, true, r, "sip", "remove", "mfp1", NULL), 0, "%s", r->err);
	cr_assert(strstr(r->out, "SIP password of mfp1 removed") != NULL, "%s", r->out);
	cr_assert_eq(audit_actions("sip_password_removed"), 1);
	cr_assert_eq(dh_cli(h, NULL, true, r, "sip", "remove", "mfp1", NULL), 1);
	cr_assert(strstr(r->err, "no SIP password is set for this device") != NULL, "%s", r->err);
	cr_assert_eq(dh_cli(h, NULL, true, r, "device", "delete", "mfp1", NULL), 0, "%s", r->err);
}

Test(sip_cli, password_policy_refusals_change_nothing)
{
	cr_assert_eq(set_password("mfp1", "short\n"), 1);
	cr_assert(strstr(r->err, "at least 8 characters") != NULL, "%s", r->err);
	cr_assert_eq(set_password("mfp1", "password123\n"), 1);
	cr_assert(strstr(r->err, "common and factory-default") != NULL, "%s", r->err);
	cr_assert_eq(set_password("mfp1", "MFP1\n"), 1);
	cr_assert_eq(set_password("mfp1", ""), 1);
	cr_assert(strstr(r->err, "no password read") != NULL, "%s", r->err);
	cr_assert_eq(audit_actions("sip_password_set"), 0);
	cr_assert_eq(dh_cli(h, NULL, true, r, "sip", "remove", "mfp1", NULL), 1);
}

Test(sip_cli, password_for_unknown_device_says_how_to_add_it)
{
	cr_assert_eq(set_password("mfp9", "Long-enough-pass\n"), 1);
	cr_assert(strstr(r->err, "faxgw device set mfp9") != NULL, "%s", r->err);
}

Test(sip_cli, usage_errors_and_no_daemon)
{
	cr_assert_eq(dh_cli(h, NULL, true, r, "sip", NULL), 2);
	cr_assert_eq(dh_cli(h, NULL, true, r, "sip", "password", NULL), 2);
	cr_assert_eq(dh_cli(h, NULL, true, r, "sip", "bindings", "extra", NULL), 2);
	cr_assert_eq(dh_cli(h, NULL, true, r, "sip", "frobnicate", "x", NULL), 2);
	cr_assert_eq(dh_cli(h, NULL, false, r, "sip", "--help", NULL), 0);
	cr_assert(strstr(r->out, "faxgw sip password DEVICE") != NULL, "%s", r->out);
	cr_assert_eq(dh_cli(h, NULL, true, r, "sip", "bindings", NULL), 1);
	cr_assert(strstr(r->err, "faxgw sip bindings:") != NULL, "%s", r->err);
}
