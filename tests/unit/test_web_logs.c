/* The logs page and the dashboard over the audit index: keyset pages
 * with Newer/Older links, a count that stops, the CSV export over more
 * records than one index page, records appended by another writer seen at
 * once, and the dashboard's last-day counts. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "storage/audit.h"
#include "storage/audit_index.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "tests/support/web_harness_mb.h"

static struct whm w;
static struct whm_session aud;

static void setup(void)
{
	whm_setup(&w);
	whm_add_user(&w, "aud", "auditor");
	whm_login(&w, "aud", &aud);
}

static void teardown(void)
{
	whm_teardown(&w);
}

TestSuite(web_logs, .init = setup, .fini = teardown);

/* n fax_sent records to numbers 0600000000 + i; returns the seq of the
 * last one (the first is that minus n - 1). */
static long long sent(int n)
{
	for (int i = 0; i < n; i++) {
		char num[24];
		struct audit_fax f = { .direction = "out", .remote_number = num, .result = "ok",
				       .pages = 1 };

		cr_assert_eq(str_format(num, sizeof num, "06%08d", i), FGW_OK);
		cr_assert_eq(audit_fax(store_audit(w.st), AUDIT_FAX_SENT, &f, NULL), FGW_OK);
	}
	cr_assert_eq(audit_sync(store_audit(w.st), NULL), FGW_OK);
	return (long long)audit_last_seq(store_audit(w.st));
}

/* The seq of the first and last row of the records table, and their count. */
static int rows(const char *page, long long *first, long long *last)
{
	const char *p = strstr(page, "<table id=\"records\">");
	int n = 0;

	cr_assert_not_null(p);
	while ((p = strstr(p, "<tr><td class=\"num\">")) != NULL) {
		long long v = 0;
		char digits[24];
		size_t k = 0;

		p += strlen("<tr><td class=\"num\">");
		while (p[k] >= '0' && p[k] <= '9' && k + 1 < sizeof digits) {
			digits[k] = p[k];
			k++;
		}
		digits[k] = '\0';
		cr_assert_eq(str_to_int(digits, 0, INT64_MAX, &v), FGW_OK);
		if (n == 0)
			*first = v;
		*last = v;
		n++;
	}
	return n;
}

/* The href of the link with rel (prev/next), &amp; turned back into &. */
static void link_of(const char *page, const char *rel, char *out, size_t size)
{
	char tag[32];
	const char *p, *end;
	size_t n = 0;

	cr_assert_eq(str_format(tag, sizeof tag, "rel=\"%s\" href=\"", rel), FGW_OK);
	p = strstr(page, tag);
	cr_assert_not_null(p, "no %s link", rel);
	p += strlen(tag);
	end = strchr(p, '"');
	cr_assert_not_null(end);
	while (p < end && n + 1 < size) {
		if (strncmp(p, "&amp;", 5) == 0) {
			out[n++] = '&';
			p += 5;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
}

Test(web_logs, pages_walk_older_and_back_newer_by_keyset)
{
	struct web_response r;
	char older[256], newer[256], want[32];
	long long first = 0, last = 0, top = sent(120);

	cr_assert_eq(whm_req(&w, "GET", "/logs?type=fax_sent", &aud, NULL, NULL, &r), 200);
	cr_assert_eq(rows(whm_body(&r), &first, &last), 50);
	cr_assert_eq(first, top);
	cr_assert_eq(last, top - 49);
	cr_assert_not_null(strstr(whm_body(&r), "120 matching records"));
	cr_assert_null(strstr(whm_body(&r), "rel=\"prev\""), "the newest page has no Newer");
	link_of(whm_body(&r), "next", older, sizeof older);
	cr_assert_eq(str_format(want, sizeof want, "before=%lld", top - 49), FGW_OK);
	cr_assert_not_null(strstr(older, want), "%s", older);
	web_response_clear(&r);

	cr_assert_eq(whm_req(&w, "GET", older, &aud, NULL, NULL, &r), 200);
	cr_assert_eq(rows(whm_body(&r), &first, &last), 50);
	cr_assert_eq(first, top - 50);
	cr_assert_eq(last, top - 99);
	cr_assert_not_null(strstr(whm_body(&r), "120 matching records"), "the filter is kept");
	link_of(whm_body(&r), "prev", newer, sizeof newer);
	cr_assert_eq(str_format(want, sizeof want, "after=%lld", top - 50), FGW_OK);
	cr_assert_not_null(strstr(newer, want), "%s", newer);
	web_response_clear(&r);

	cr_assert_eq(whm_req(&w, "GET", newer, &aud, NULL, NULL, &r), 200);
	cr_assert_eq(rows(whm_body(&r), &first, &last), 50);
	cr_assert_eq(first, top, "back on the newest page, newest first");
	cr_assert_eq(last, top - 49);
	cr_assert_null(strstr(whm_body(&r), "rel=\"prev\""));
	web_response_clear(&r);
}

Test(web_logs, the_last_page_has_no_older_link)
{
	struct web_response r;
	char path[96];
	long long first = 0, last = 0, top = sent(60);

	cr_assert_eq(str_format(path, sizeof path, "/logs?type=fax_sent&before=%lld", top - 49),
		     FGW_OK);
	cr_assert_eq(whm_req(&w, "GET", path, &aud, NULL, NULL, &r), 200);
	cr_assert_eq(rows(whm_body(&r), &first, &last), 10);
	cr_assert_eq(first, top - 50);
	cr_assert_eq(last, top - 59);
	cr_assert_null(strstr(whm_body(&r), "rel=\"next\""));
	cr_assert_not_null(strstr(whm_body(&r), "rel=\"prev\""));
	web_response_clear(&r);
}

Test(web_logs, a_malformed_position_is_refused)
{
	struct web_response r;

	cr_assert_eq(whm_req(&w, "GET", "/logs?before=x1", &aud, NULL, NULL, &r), 400);
	web_response_clear(&r);
	cr_assert_eq(whm_req(&w, "GET", "/logs?after=-3", &aud, NULL, NULL, &r), 400);
	web_response_clear(&r);
}

Test(web_logs, the_count_stops_and_a_link_counts_them_all)
{
	struct web_response r;
	char all[256];

	sent(1002);
	cr_assert_eq(whm_req(&w, "GET", "/logs?type=fax_sent", &aud, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "More than 1000 matching records."));
	{
		const char *a = strstr(whm_body(&r), "id=\"count-all\" href=\"");
		size_t n = 0;

		cr_assert_not_null(a);
		a += strlen("id=\"count-all\" href=\"");
		while (a[n] != '"' && n + 1 < sizeof all)
			n++;
		cr_assert_eq(a[n], '"');
		memcpy(all, a, n);
		all[n] = '\0';
	}
	cr_assert_not_null(strstr(all, "count=all"), "%s", all);
	web_response_clear(&r);
	for (char *amp; (amp = strstr(all, "&amp;")) != NULL;)
		memmove(amp + 1, amp + 5, strlen(amp + 5) + 1);
	cr_assert_eq(whm_req(&w, "GET", all, &aud, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "1002 matching records."), "%s", all);
	cr_assert_null(strstr(whm_body(&r), "count-all"));
	web_response_clear(&r);
}

Test(web_logs, csv_export_goes_past_one_index_page)
{
	struct web_response r;
	const char *body, *p;
	char oldest[32];
	int lines = 0;
	long long top = sent(AUDIT_INDEX_QUERY_MAX + 5);

	cr_assert_eq(whm_req(&w, "GET", "/logs.csv?type=fax_sent", &aud, NULL, NULL, &r), 200);
	body = whm_body(&r);
	for (p = body; (p = strstr(p, "\r\n")) != NULL; p += 2)
		lines++;
	cr_assert_eq(lines, 1 + AUDIT_INDEX_QUERY_MAX + 5);
	cr_assert_eq(str_format(oldest, sizeof oldest, "\"%lld\",", top - AUDIT_INDEX_QUERY_MAX - 4),
		     FGW_OK);
	cr_assert(strncmp(strstr(body, "\r\n") + 2, oldest, strlen(oldest)) == 0, "oldest first");
	cr_assert_not_null(strstr(body, "\"0600001004\""));
	web_response_clear(&r);
}

Test(web_logs, records_of_another_writer_show_at_once)
{
	struct audit_options opts = { .catalog = store_catalog(w.st) };
	struct audit *other;
	struct web_response r;
	char path[300];
	uint8_t key[AUDIT_KEY_LEN];

	sent(3);
	cr_assert_eq(whm_req(&w, "GET", "/logs?type=fax_sent", &aud, NULL, NULL, &r), 200);
	web_response_clear(&r);
	/* the CLI, say: its own struct audit on the same file */
	cr_assert_eq(keys_derive(store_keys(w.st), KEYS_PURPOSE_AUDIT_MAC, key), FGW_OK);
	cr_assert_eq(str_format(path, sizeof path, "%s/%s", w.data, STORE_AUDIT_FILE), FGW_OK);
	cr_assert_eq(audit_open(path, key, &opts, &other), FGW_OK);
	{
		struct audit_fax f = { .direction = "out", .remote_number = "0799999999",
				       .result = "busy" };

		cr_assert_eq(audit_fax(other, AUDIT_FAX_FAILED, &f, NULL), FGW_OK);
	}
	cr_assert_eq(audit_close(other), FGW_OK);
	cr_assert_eq(whm_req(&w, "GET", "/logs?number=0799999999", &aud, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "1 matching records"));
	cr_assert_not_null(strstr(whm_body(&r), "fax_failed"));
	web_response_clear(&r);
}

Test(web_logs, dashboard_counts_the_last_day_from_the_index)
{
	struct web_response r;

	sent(4);
	{
		struct audit_fax f = { .direction = "in", .remote_number = "0311111111",
				       .result = "ok" };

		cr_assert_eq(audit_fax(store_audit(w.st), AUDIT_FAX_RECEIVED, &f, NULL), FGW_OK);
		cr_assert_eq(audit_sync(store_audit(w.st), NULL), FGW_OK);
	}
	cr_assert_eq(whm_req(&w, "GET", "/dashboard", &aud, NULL, NULL, &r), 200);
	cr_assert_not_null(strstr(whm_body(&r), "Last 24 hours: 1 received, 4 sent, 0 failed."),
			   "%s", whm_body(&r));
	cr_assert_not_null(strstr(whm_body(&r), "0311111111"));
	web_response_clear(&r);
}
