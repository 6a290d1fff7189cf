/* The dashboard: lines, calls, queue, held faxes per mailbox (counts). */
#include <string.h>

#include "common/err.h"
#include "gateway/call.h"
#include "gateway/daemon.h"
#include "gateway/simline.h"
#include "storage/catalog_jobs.h"
#include "storage/store.h"
#include "web/web_int.h"

static void line_row(void *arg, const char *name, const char *kind, unsigned busy,
		     unsigned channels)
{
	struct html *h = arg;

	html_raw(h, "<tr><td>");
	html_text(h, name);
	html_raw(h, "</td><td>");
	html_text(h, kind);
	html_raw(h, "</td><td class=\"num\">");
	html_int(h, busy);
	html_raw(h, " / ");
	html_int(h, channels);
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
		 "<th>Busy / channels</th></tr>");
	if (d && daemon_lines(d))
		simline_list(daemon_lines(d), line_row, h);
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
	web_recent_faxes(c);
	web_page_end(c);
}
