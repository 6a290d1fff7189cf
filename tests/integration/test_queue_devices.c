/* queue_enqueue re-checks a device's request with that device's own
 * policy (defence in depth behind the double entry): a device's deny list
 * and international setting apply, devices without a row and requests
 * that are not from a device get the configured policy. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/queue.h"
#include "gateway/send_job.h"
#include "storage/catalog_devices.h"
#include "storage/store.h"
#include "tests/support/fax_harness.h"

#define ONE_PAGE "tiff/asterisk-testsuite__udptl_1page.tif"
#define T0 1700000000000LL

static char tmp[64], data[128];
static struct store *st;
static struct queue *q;

static void setup(void)
{
	struct queue_config c;

	log_init("test_queue_devices", true, LOG_LEVEL_ERROR);
	make_temp_dir(tmp);
	cr_assert_eq(str_format(data, sizeof data, "%s/data", tmp), 0);
	cr_assert_eq(store_init(data), 0);
	queue_config_init(&c);
	cr_assert_eq(store_open(data, NULL, &st), 0);
	cr_assert_eq(queue_open(st, &c, NULL, NULL, &q), 0);
}

static void teardown(void)
{
	char cmd[200];

	queue_close(q);
	cr_assert_eq(store_close(st), 0);
	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmp), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(queue_devices, .init = setup, .fini = teardown, .timeout = 60);

static void store_doc(char id[static 33])
{
	int fd = open(testdata(ONE_PAGE), O_RDONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(send_job_store_document(st, fd, "0312345678", 1, id), 0);
	close(fd);
}

static void save(const char *name, enum catalog_setting intl, const char *deny)
{
	struct catalog_device_entry e;

	catalog_devices_entry_init(&e);
	cr_assert_eq(str_copy(e.dev.address, sizeof e.dev.address, name), 0);
	cr_assert_eq(str_copy(e.dev.kind, sizeof e.dev.kind, "fax"), 0);
	e.international_allow = intl;
	if (deny != NULL) {
		e.deny_prefixes.set = true;
		cr_assert_eq(str_copy(e.deny_prefixes.text, sizeof e.deny_prefixes.text, deny), 0);
	}
	cr_assert_eq(catalog_devices_save(store_catalog(st), &e), 0);
}

static int enqueue(enum dialrules_origin origin, const char *device, const char *number,
		   struct dialrules_decision *d)
{
	char doc[33], job[QUEUE_ID_LEN + 1];

	store_doc(doc);
	return queue_enqueue(q, doc, number, origin, device, T0, job, d);
}

Test(queue_devices, device_deny_list_refuses_at_enqueue_and_is_audited)
{
	struct dialrules_decision d;
	char path[200], log[1 << 16] = "";
	FILE *f;

	save("D", CATALOG_SET_DEFAULT, "03");
	cr_assert_eq(enqueue(DIAL_FROM_DEVICE, "D", "0312345678", &d), FGW_ERR_DENIED);
	cr_assert_str_eq(d.rule, "deny_prefixes");
	cr_assert_eq(enqueue(DIAL_FROM_DEVICE, "E", "0312345678", &d), 0, "%s", d.reason);
	cr_assert_eq(enqueue(DIAL_FROM_LOCAL, "D", "0312345678", &d), 0,
		     "not a device request: the configured policy");
	cr_assert_eq(str_format(path, sizeof path, "%s/audit.log", data), 0);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_gt(fread(log, 1, sizeof log - 1, f), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert(strstr(log, "\"device\":\"D\"") != NULL, "%s", log);
	cr_assert(strstr(log, "\"rule\":\"deny_prefixes\"") != NULL, "%s", log);
}

Test(queue_devices, device_international_setting_applies_at_enqueue)
{
	struct dialrules_decision d;

	save("C", CATALOG_SET_YES, NULL);
	cr_assert_eq(enqueue(DIAL_FROM_DEVICE, "C", "+1 212 555 0100", &d), 0, "%s", d.reason);
	cr_assert_eq(enqueue(DIAL_FROM_DEVICE, "other", "+1 212 555 0100", &d), FGW_ERR_DENIED);
	cr_assert_str_eq(d.rule, "international");
}

Test(queue_devices, job_records_the_device)
{
	struct dialrules_decision d;
	struct catalog_outjob j;
	char doc[33], job[QUEUE_ID_LEN + 1];

	store_doc(doc);
	cr_assert_eq(queue_enqueue(q, doc, "0312345678", DIAL_FROM_DEVICE, "mfp-2F", T0, job, &d),
		     0, "%s", d.reason);
	cr_assert_eq(queue_get(q, job, &j), 0);
	cr_assert_str_eq(j.device, "mfp-2F");
	cr_assert_str_eq(j.origin, "device");
}
