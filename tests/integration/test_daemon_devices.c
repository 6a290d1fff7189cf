/* Per-device outbound policy through a running faxgwd (SIMULATED lines):
 * `faxgw device set` changes what the office machine dialling as that
 * device may do, `faxgw simulate outgoing --device NAME` dials as it, and
 * devices without their own settings follow the configuration. Every
 * refusal leaves a security record naming the device. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "common/str.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/fax_harness.h"

#define ONE_PAGE "tiff/asterisk-testsuite__udptl_1page.tif"
#define NUMBER "0312345678"
#define INTL "0101212555010"

static struct dh *h;
static struct dh_result r;
static char far[4200];

static void teardown(void)
{
	dh_free(h);
	h = NULL;
}

TestSuite(daemon_devices, .fini = teardown, .timeout = 240);

static void start(void)
{
	static const char *over[] = {"first_digit_seconds = 3", "inter_digit_seconds = 2",
				     NULL, NULL};
	char line[4300];

	h = dh_new();
	cr_assert_eq(str_copy(far, sizeof far, dh_mkdir(h, "far")), 0);
	cr_assert_eq(str_format(line, sizeof line, "far_end_dir = %s", far), 0);
	over[2] = line;
	dh_config(h, over);
	dh_start(h);
}

/* faxgw device set NAME with the NULL-terminated settings. */
static void device_set(const char *name, const char *opt, const char *value)
{
	const char *args[] = {"device", "set", name, opt, value, NULL};

	cr_assert_eq(dh_cliv(h, NULL, true, &r, args), 0, "%s%s", r.out, r.err);
}

/* The office machine dials as device (NULL: none named); confirm NULL
 * never dials again; wait follows an accepted job to its end. */
static int dial(const char *device, const char *number, const char *confirm, bool wait)
{
	const char *args[14] = {"simulate", "outgoing", "--dial", number, "--file",
				testdata(ONE_PAGE)};
	size_t n = 6;

	if (device != NULL) {
		args[n++] = "--device";
		args[n++] = device;
	}
	if (confirm != NULL) {
		args[n++] = "--confirm";
		args[n++] = confirm;
	}
	if (wait)
		args[n++] = "--wait";
	args[n] = NULL;
	return dh_cliv(h, NULL, true, &r, args);
}

static void assert_sent(void)
{
	char id[13], path[4300], msg[200];
	const char *p = strstr(r.out, "accepted: job ");

	cr_assert_not_null(p, "%s%s", r.out, r.err);
	memcpy(id, p + 14, 12);
	id[12] = '\0';
	cr_assert(strstr(r.out, "done after 1 attempt") != NULL, "%s", r.out);
	cr_assert_eq(str_format(path, sizeof path, "%s/%s.tif", far, id), 0);
	cr_assert_eq(tiff_compare(path, testdata(ONE_PAGE), msg, sizeof msg), 0, "%s: %s",
		     path, msg);
}

/* The audit log has a record of type holding every needle after it. */
static void assert_audited(const char *type, const char *device, const char *extra)
{
	static char log[1 << 20];
	char path[4200], t[80], dev[200];
	const char *p;

	cr_assert_eq(str_format(path, sizeof path, "%s/audit.log", dh_data(h)), 0);
	cr_assert_gt(dh_read_file(path, log, sizeof log), 0);
	cr_assert_eq(str_format(t, sizeof t, "\"type\":\"%s\"", type), 0);
	cr_assert_eq(str_format(dev, sizeof dev, "\"device\":\"%s\"", device), 0);
	for (p = strstr(log, t); p != NULL; p = strstr(p + 1, t)) {
		const char *end = strchr(p, '\n');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		char rec[4096];

		if (len >= sizeof rec)
			continue;
		memcpy(rec, p, len);
		rec[len] = '\0';
		if (strstr(rec, dev) != NULL && (extra == NULL || strstr(rec, extra) != NULL))
			return;
	}
	cr_assert_fail("no %s record for device %s (%s) in:\n%s", type, device,
		       extra != NULL ? extra : "", log);
}

Test(daemon_devices, single_entry_device_sends_while_a_default_device_must_confirm)
{
	start();
	device_set("A", "--double-entry", "no");
	cr_assert_eq(dial("A", NUMBER, NULL, true), 0, "%s%s", r.out, r.err);
	cr_assert_null(strstr(r.out, "heard the confirmation tone"), "%s", r.out);
	assert_sent();

	cr_assert_eq(dial("B", NUMBER, NULL, false), 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "refused: timeout") != NULL, "%s", r.out);
	assert_audited("security", "B", "double_entry_timeout");
}

Test(daemon_devices, device_allowed_international_sends_where_the_default_refuses)
{
	start();
	device_set("C", "--international", "yes");
	cr_assert_eq(dial(NULL, INTL, INTL, false), 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "refused:") != NULL, "%s", r.out);
	assert_audited("dial_denied", "device", "\"rule\":\"international\"");

	cr_assert_eq(dial("C", INTL, INTL, true), 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "heard the confirmation tone") != NULL, "%s", r.out);
	assert_sent();
}

Test(daemon_devices, device_deny_prefix_refuses_what_another_device_sends)
{
	start();
	device_set("D", "--deny-prefixes", "03");
	cr_assert_eq(dial("D", NUMBER, NUMBER, false), 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "refused:") != NULL, "%s", r.out);
	cr_assert_null(strstr(r.out, "confirmation tone"), "blocked before it: %s", r.out);
	assert_audited("dial_denied", "D", "\"rule\":\"deny_prefixes\"");

	cr_assert_eq(dial("E", NUMBER, NUMBER, true), 0, "%s%s", r.out, r.err);
	assert_sent();

	/* Back to the configuration: D sends again. */
	cr_assert_eq(dh_cli(h, NULL, true, &r, "device", "delete", "D", NULL), 0, "%s", r.err);
	cr_assert_eq(dial("D", NUMBER, NUMBER, true), 0, "%s%s", r.out, r.err);
	assert_sent();
}

Test(daemon_devices, bad_device_name_is_refused_before_going_off_hook)
{
	start();
	cr_assert_eq(dial("bad name", NUMBER, NUMBER, false), 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "device takes letters") != NULL, "%s%s", r.out, r.err);
	cr_assert_null(strstr(r.out, "off hook"), "%s", r.out);
}
