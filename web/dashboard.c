/* The dashboard: lines, calls, queue, held faxes per mailbox (counts),
 * and the recent transmissions with the last day's counts, found through
 * the audit log's index (storage/audit_index.h), never by reading the
 * whole log. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/call.h"
#include "gateway/daemon.h"
#include "gateway/line_status.h"
#include "storage/audit_index.h"
#include "storage/catalog_jobs.h"
#include "storage/store.h"
#include "web/web_int.h"

static void line_row(void *arg, const struct line_status *st)
{
	struct html *h = arg;

	html_raw(h, "<tr><td>");
	html_text(h, st->name);
	html_raw(h, "</td><td>");
	html_text(h, st->kind);
	html_raw(h, "</td><td class=\"num\">");
	html_int(h, st->busy);
	html_raw(h, " / ");
	html_int(h, st->channels);
	html_raw(h, "</td><td>");
	html_text(h, st->state);
	html_raw(h, "</td></tr>");
}

static void call_row(void *arg, const char *label, double seconds)
{
	struct html *h = arg;

	html_raw(h, "<tr><td>");
	html_text(h, label);
	html_raw(h, "</td><td class=\"num\">");
	html_int(h, (long long)seconds);
	html_raw(h, " s</td></tr>");
}

static void lines_and_calls(struct web_ctx *c)
{
	struct html *h = c->resp->body;
	struct daemon *d = c->app->daemon;

	html_raw(h, "<h2>Lines</h2><table><tr><th>Line</th><th>Kind</th>"
		 "<th>Busy / channels</th><th>State</th></tr>");
	if (d && daemon_lines(d))
		line_status_list(d, line_row, h);
	html_raw(h, "</table><h2>Calls in progress</h2><table><tr><th>Call</th>"
		 "<th>Duration</th></tr>");
	if (d && daemon_calls(d))
		call_registry_list(daemon_calls(d), call_row, h);
	html_raw(h, "</table>");
}

struct job_counts {
	long long queued, sending, other;
};

static int count_job(const struct catalog_outjob *j, void *arg)
{
	struct job_counts *n = arg;

	if (strcmp(j->job.state, "queued") == 0)
		n->queued++;
	else if (strcmp(j->job.state, "sending") == 0)
		n->sending++;
	else
		n->other++;
	return 0;
}

struct held {
	struct web_ctx *c;
};

static int count_doc(const struct catalog_document *doc, void *arg)
{
	long long *n = arg;

	if (doc->state == CATALOG_DOC_HELD)
		(*n)++;
	return 0;
}

static int mailbox_row(const struct catalog_mailbox *mb, void *arg)
{
	struct held *hd = arg;
	struct html *h = hd->c->resp->body;
	long long n = 0;
	int rc = catalog_document_list(store_catalog(hd->c->app->store), mb->number,
				       count_doc, &n);

	html_raw(h, "<tr><td>");
	html_text(h, mb->number);
	html_raw(h, "</td><td>");
	html_text(h, mb->name);
	html_raw(h, "</td><td class=\"num\">");
	if (rc == FGW_OK)
		html_int(h, n);
	else
		html_raw(h, "?");
	html_raw(h, "</td></tr>");
	return 0;
}

/* ---- recent transmissions --------------------------------------------- */

#define RECENT_MAX 10
#define DAY_MS (24 * 3600 * 1000LL)
#define DAY_COUNT_MAX 10000   /* beyond: "more than"; keeps the count cheap */

static const char *const fax_types[] = { "fax_received", "fax_sent", "fax_failed" };
#define FAX_TYPES (sizeof fax_types / sizeof fax_types[0])

struct recent_row {
	uint64_t line;
	char time[32], direction[8], number[41], pages[12], result[81];
};

/* The newest RECENT_MAX of each fax type; the newest RECENT_MAX of all
 * are shown. */
struct recent {
	struct recent_row row[FAX_TYPES * RECENT_MAX];
	size_t n;
};

/* Long values are cut, not refused: the dashboard only shows them. */
static void copy_cut(char *dst, size_t size, const char *src)
{
	if (str_copy(dst, size, src ? src : "") != FGW_OK)
		dst[size - 1] = '\0';
}

static const char *rec_field(const struct audit_record *r, const char *key)
{
	for (size_t i = 0; r != NULL && i < r->nfields; i++)
		if (strcmp(r->fields[i].key, key) == 0)
			return r->fields[i].value;
	return "";
}

static int recent_fn(const struct audit_index_row *row, void *arg)
{
	struct recent *w = arg;
	struct recent_row *out;

	if (w->n >= sizeof w->row / sizeof w->row[0])
		return FGW_ERR_RANGE;
	out = &w->row[w->n++];
	out->line = row->line;
	copy_cut(out->time, sizeof out->time, row->rec ? row->rec->time : "");
	copy_cut(out->direction, sizeof out->direction, row->direction);
	copy_cut(out->number, sizeof out->number, row->number);
	copy_cut(out->pages, sizeof out->pages, rec_field(row->rec, "pages"));
	copy_cut(out->result, sizeof out->result, row->result);
	return 0;
}

static int newest_first(const void *a, const void *b)
{
	const struct recent_row *x = a, *y = b;

	return x->line < y->line ? 1 : x->line > y->line ? -1 : 0;
}

static int recent_read(struct web_ctx *c, const char *path, struct recent *w)
{
	int rc = FGW_OK;

	for (size_t i = 0; rc == FGW_OK && i < FAX_TYPES; i++) {
		struct audit_index_query q = { .filter.type = fax_types[i], .limit = RECENT_MAX };

		rc = audit_index_query(store_catalog(c->app->store), path, &q, recent_fn, w, NULL);
	}
	qsort(w->row, w->n, sizeof w->row[0], newest_first);
	if (w->n > RECENT_MAX)
		w->n = RECENT_MAX;
	return rc;
}

static void text_cell(struct html *h, const char *s)
{
	html_raw(h, "<td>");
	html_text(h, s);
	html_raw(h, "</td>");
}

static void recent_table(struct html *h, const struct recent *w)
{
	html_raw(h, "<table><tr><th>Time</th><th>Direction</th><th>Number</th>"
		 "<th>Pages</th><th>Result</th></tr>");
	for (size_t i = 0; i < w->n; i++) {
		const struct recent_row *row = &w->row[i];

		html_raw(h, "<tr>");
		text_cell(h, row->time);
		text_cell(h, strcmp(row->direction, "in") == 0 ? "received" : "sent");
		text_cell(h, row->number);
		text_cell(h, row->pages);
		text_cell(h, row->result);
		html_raw(h, "</tr>");
	}
	html_raw(h, "</table>");
}

/* "Last 24 hours: N received, N sent, N failed." */
static int day_counts(struct web_ctx *c)
{
	static const char *const words[FAX_TYPES] = { " received, ", " sent, ", " failed." };
	struct html *h = c->resp->body;
	struct audit_index_filter f = { .from_ms = web_now_ms() - DAY_MS };
	uint64_t n[FAX_TYPES];
	int rc = FGW_OK;

	for (size_t i = 0; rc == FGW_OK && i < FAX_TYPES; i++) {
		f.type = fax_types[i];
		rc = audit_index_count(store_catalog(c->app->store), &f, DAY_COUNT_MAX + 1, &n[i]);
	}
	if (rc != FGW_OK)
		return rc;
	html_raw(h, "<p class=\"muted\" id=\"fax-counts\">Last 24 hours: ");
	for (size_t i = 0; i < FAX_TYPES; i++) {
		if (n[i] > DAY_COUNT_MAX)
			html_raw(h, "more than ");
		html_int(h, n[i] > DAY_COUNT_MAX ? DAY_COUNT_MAX : (long long)n[i]);
		html_raw(h, words[i]);
	}
	html_raw(h, "</p>");
	return FGW_OK;
}

static void recent_faxes(struct web_ctx *c)
{
	struct html *h = c->resp->body;
	struct recent *w;
	char path[4200];
	int rc;

	/* remote numbers are not a mailbox owner's business */
	if (!(c->role & (ROLE_ADMIN | ROLE_OPERATOR | ROLE_AUDITOR)))
		return;
	html_raw(h, "<h2>Recent transmissions</h2>");
	w = calloc(1, sizeof *w);
	rc = w == NULL ? FGW_ERR_NOMEM
		: str_format(path, sizeof path, "%s/%s", store_dir(c->app->store),
			     STORE_AUDIT_FILE);
	if (rc == FGW_OK)
		rc = recent_read(c, path, w);
	if (rc == FGW_OK)
		rc = day_counts(c);
	if (rc == FGW_OK) {
		recent_table(h, w);
	} else {
		log_error("web: dashboard: recent transmissions: %s", fgw_strerror(rc));
		html_raw(h, "<div class=\"msg error\">The log could not be read; see "
			 "Logs &gt; Verify.</div>");
	}
	free(w);
}

void page_dashboard(struct web_ctx *c)
{
	struct html *h = c->resp->body;
	struct catalog *cat = store_catalog(c->app->store);
	struct job_counts jobs = {0};
	struct held hd = { c };

	c->current = "/dashboard";
	web_page_begin(c, "Dashboard");
	lines_and_calls(c);
	if (catalog_jobs_list(cat, count_job, &jobs) != FGW_OK)
		html_raw(h, "<div class=\"msg error\">The job queue could not be read.</div>");
	html_raw(h, "<h2>Outbound queue</h2><table><tr><th>Queued</th><th>Sending</th>"
		 "<th>Finished or failed</th></tr><tr><td class=\"num\">");
	html_int(h, jobs.queued);
	html_raw(h, "</td><td class=\"num\">");
	html_int(h, jobs.sending);
	html_raw(h, "</td><td class=\"num\">");
	html_int(h, jobs.other);
	html_raw(h, "</td></tr></table><h2>Held confidential faxes</h2><table><tr>"
		 "<th>Mailbox (F-code)</th><th>Name</th><th>Held</th></tr>");
	if (catalog_mailbox_list(cat, mailbox_row, &hd) != FGW_OK)
		html_raw(h, "<tr><td colspan=\"3\">The mailboxes could not be read.</td></tr>");
	html_raw(h, "</table>");
	recent_faxes(c);
	web_page_end(c);
}
