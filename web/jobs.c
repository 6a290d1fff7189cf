/* The Jobs page: the outbound queue as the CLI's `faxgw jobs` shows it, with
 * a Cancel button on jobs that have not finished. */
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/queue.h"
#include "storage/store.h"
#include "web/web_int.h"

static void time_cell(struct html *h, int64_t ms)
{
	char buf[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !gmtime_r(&t, &tm) ||
	    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
		html_raw(h, "<td>-</td>");
		return;
	}
	html_raw(h, "<td>");
	html_text(h, buf);
	html_raw(h, " UTC</td>");
}

static bool job_open(const struct catalog_outjob *j)
{
	return strcmp(j->job.state, QUEUE_STATE_QUEUED) == 0 ||
	       strcmp(j->job.state, QUEUE_STATE_SENDING) == 0;
}

static void cancel_cell(struct web_ctx *c, const struct catalog_outjob *j)
{
	struct html *h = c->resp->body;

	html_raw(h, "<td>");
	if (job_open(j)) {
		html_raw(h, "<form method=\"post\" action=\"/jobs/cancel\">");
		web_csrf_field(c);
		html_raw(h, "<input type=\"hidden\" name=\"id\" value=\"");
		html_text(h, j->job.id);
		html_raw(h, "\"><button type=\"submit\">Cancel</button></form>");
	}
	html_raw(h, "</td>");
}

static void text_cell(struct html *h, const char *s)
{
	html_raw(h, "<td>");
	html_text(h, s);
	html_raw(h, "</td>");
}

static int job_row(const struct catalog_outjob *j, void *arg)
{
	struct web_ctx *c = arg;
	struct html *h = c->resp->body;

	html_raw(h, "<tr>");
	text_cell(h, j->job.id);
	text_cell(h, j->job.state);
	html_raw(h, "<td class=\"num\">");
	html_int(h, j->job.attempts);
	html_raw(h, " / ");
	html_int(h, j->max_tries);
	html_raw(h, "</td>");
	time_cell(h, job_open(j) ? j->job.next_try_ms : 0);
	/* A device-line job goes to the office machine, not to a number. */
	text_cell(h, strcmp(j->line, CATALOG_LINE_DEVICE) == 0 ? "office device line"
							   : j->job.destination);
	html_raw(h, "<td>");
	html_text(h, j->origin);
	if (j->device[0]) {
		html_raw(h, " (");
		html_text(h, j->device);
		html_raw(h, ")");
	}
	html_raw(h, "</td>");
	text_cell(h, j->last_error);
	time_cell(h, j->job.created_ms);
	cancel_cell(c, j);
	html_raw(h, "</tr>");
	return 0;
}

static void jobs_page(struct web_ctx *c, const char *note, bool error)
{
	struct html *h = c->resp->body;

	c->current = "/jobs";
	web_page_begin(c, "Jobs");
	if (note) {
		html_raw(h, error ? "<div class=\"msg error\">" : "<div class=\"msg ok\">");
		html_text(h, note);
		html_raw(h, "</div>");
	}
	html_raw(h, "<table><tr><th>Job</th><th>Status</th><th>Attempts</th>"
		 "<th>Next try</th><th>Destination</th><th>Origin</th>"
		 "<th>Last error</th><th>Created</th><th></th></tr>");
	if (catalog_jobs_list(store_catalog(c->app->store), job_row, c) != FGW_OK)
		html_raw(h, "</table><div class=\"msg error\">The job queue could not be "
			 "read; see the daemon's log.</div>");
	else
		html_raw(h, "</table>");
	web_page_end(c);
}

void page_jobs(struct web_ctx *c)
{
	jobs_page(c, NULL, false);
}

static bool job_id_ok(const char *id)
{
	if (!id || strlen(id) != QUEUE_ID_LEN)
		return false;
	for (size_t i = 0; i < QUEUE_ID_LEN; i++)
		if (!strchr("0123456789abcdef", id[i]))
			return false;
	return true;
}

static int cancel_job(struct web_ctx *c, const char *id)
{
	struct queue_config qc;
	struct queue *q = NULL;
	int rc = web_queue_config(c, &qc);

	if (rc == FGW_OK)
		rc = queue_open(c->app->store, &qc, NULL, NULL, &q);
	if (rc == FGW_OK)
		rc = queue_cancel(q, id, web_now_ms());
	queue_close(q);
	return rc;
}

void page_jobs_cancel(struct web_ctx *c)
{
	const char *id = http_form_get(&c->form, "id");
	char msg[160];
	int rc;

	if (!job_id_ok(id)) {
		c->resp->status = 400;
		jobs_page(c, "No such job: a job id is 12 hexadecimal digits.", true);
		return;
	}
	rc = cancel_job(c, id);
	if (rc == FGW_OK)
		(void)str_format(msg, sizeof msg, "Job %s is cancelled.", id);
	else if (rc == FGW_ERR_STATE)
		(void)str_format(msg, sizeof msg, "Job %s has already finished; it cannot "
				 "be cancelled.", id);
	else if (rc == FGW_ERR_NOT_FOUND)
		(void)str_format(msg, sizeof msg, "There is no job %s.", id);
	else
		(void)str_format(msg, sizeof msg, "Job %s could not be cancelled: %s.", id,
				 fgw_strerror(rc));
	c->resp->status = rc == FGW_OK ? 200 : rc == FGW_ERR_NOT_FOUND ? 404 : 409;
	jobs_page(c, msg, rc != FGW_OK);
}
