/* The logs page: audit records filtered, paged (newest first), exported
 * as CSV, and the chain verified. Every value shown comes from outside
 * (fax idents, numbers, user names) and goes through html_text. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/str.h"
#include "storage/audit.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "web/web_int.h"

#define PAGE_ROWS 50

struct filter {
	int64_t from_ms, to_ms;   /* 0: open */
	const char *direction, *number, *result, *mailbox, *type;
};

struct walk {
	struct web_ctx *c;
	struct filter f;
	long long matched, first, last;   /* rows [first, last) are shown */
	char **rows;                      /* newest-first page */
	bool csv;
};

static const char *field(const struct audit_record *r, const char *key)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (strcmp(r->fields[i].key, key) == 0)
			return r->fields[i].value;
	return "";
}

static bool matches(const struct filter *f, const struct audit_record *r)
{
	if ((f->from_ms && r->time_ms < f->from_ms) || (f->to_ms && r->time_ms >= f->to_ms))
		return false;
	if (f->type && *f->type && strcmp(r->type, f->type) != 0)
		return false;
	if (f->direction && *f->direction && strcmp(field(r, "direction"), f->direction) != 0)
		return false;
	if (f->result && *f->result && strcmp(field(r, "result"), f->result) != 0)
		return false;
	if (f->mailbox && *f->mailbox && strcmp(field(r, "mailbox"), f->mailbox) != 0)
		return false;
	return !(f->number && *f->number && !strstr(field(r, "remote_number"), f->number));
}

static int parse_filter(struct web_ctx *c, struct filter *f)
{
	const char *from = http_form_get(&c->query, "from");
	const char *to = http_form_get(&c->query, "to");

	memset(f, 0, sizeof *f);
	if (from && *from && audit_time_parse(from, strlen(from), &f->from_ms) != FGW_OK)
		return FGW_ERR_PARSE;
	if (to && *to) {
		if (audit_time_parse(to, strlen(to), &f->to_ms) != FGW_OK)
			return FGW_ERR_PARSE;
		if (strlen(to) == 10)
			f->to_ms += 86400000;   /* a date includes that whole day */
	}
	f->direction = http_form_get(&c->query, "direction");
	f->number = http_form_get(&c->query, "number");
	f->result = http_form_get(&c->query, "result");
	f->mailbox = http_form_get(&c->query, "mailbox");
	f->type = http_form_get(&c->query, "type");
	return FGW_OK;
}

static int audit_path(struct web_ctx *c, char *out, size_t size)
{
	return str_format(out, size, "%s/%s", store_dir(c->app->store), STORE_AUDIT_FILE);
}

static int count_fn(const struct audit_record *r, void *arg)
{
	struct walk *w = arg;

	if (matches(&w->f, r))
		w->matched++;
	return 0;
}

static void details(struct html *h, const struct audit_record *r)
{
	for (size_t i = 0; i < r->nfields; i++) {
		const char *k = r->fields[i].key;
		if (!strcmp(k, "direction") || !strcmp(k, "remote_number") ||
		    !strcmp(k, "mailbox") || !strcmp(k, "result"))
			continue;
		html_text(h, k);
		html_raw(h, "=");
		html_text(h, r->fields[i].value);
		html_raw(h, " ");
	}
}

static void row_html(struct html *h, const struct audit_record *r)
{
	html_raw(h, "<tr><td class=\"num\">");
	html_int(h, (long long)r->seq);
	html_raw(h, "</td><td>");
	html_text(h, r->time);
	html_raw(h, "</td><td>");
	html_text(h, r->type);
	html_raw(h, "</td><td>");
	html_text(h, field(r, "direction"));
	html_raw(h, "</td><td>");
	html_text(h, field(r, "remote_number"));
	html_raw(h, "</td><td>");
	html_text(h, field(r, "mailbox"));
	html_raw(h, "</td><td>");
	html_text(h, field(r, "result"));
	html_raw(h, "</td><td>");
	details(h, r);
	html_raw(h, "</td></tr>");
}

/* One CSV cell: quoted, quotes doubled, a leading = + - @ defused. */
static void csv_cell(struct html *h, const char *s, bool last)
{
	html_raw(h, "\"");
	if (strchr("=+-@\t\r", s[0]) && s[0])
		html_raw(h, "'");
	for (; *s; s++)
		html_bytes(h, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
	html_raw(h, last ? "\"\r\n" : "\",");
}

static void row_csv(struct html *h, const struct audit_record *r)
{
	char seq[24];
	struct html *d = html_new(AUDIT_RECORD_MAX * 2);

	if (str_format(seq, sizeof seq, "%llu", (unsigned long long)r->seq) != FGW_OK || !d) {
		html_free(d);
		return;
	}
	for (size_t i = 0; i < r->nfields; i++) {
		html_raw(d, r->fields[i].key);
		html_raw(d, "=");
		html_raw(d, r->fields[i].value);
		html_raw(d, i + 1 < r->nfields ? "; " : "");
	}
	csv_cell(h, seq, false);
	csv_cell(h, r->time, false);
	csv_cell(h, r->type, false);
	csv_cell(h, field(r, "direction"), false);
	csv_cell(h, field(r, "remote_number"), false);
	csv_cell(h, field(r, "mailbox"), false);
	csv_cell(h, field(r, "result"), false);
	csv_cell(h, html_data(d), true);
	html_free(d);
}

static int show_fn(const struct audit_record *r, void *arg)
{
	struct walk *w = arg;
	long long i;

	if (!matches(&w->f, r))
		return 0;
	i = w->matched++;
	if (w->csv) {
		row_csv(w->c->resp->body, r);
		return html_failed(w->c->resp->body) ? FGW_ERR_TOO_LARGE : 0;
	}
	if (i < w->first || i >= w->last)
		return 0;
	struct html *h = html_new(AUDIT_RECORD_MAX * 6);
	if (!h)
		return FGW_ERR_NOMEM;
	row_html(h, r);
	w->rows[w->last - 1 - i] = strdup(html_data(h));
	html_free(h);
	return w->rows[w->last - 1 - i] ? 0 : FGW_ERR_NOMEM;
}

static void filter_input(struct html *h, const char *label, const char *name,
			 const char *value, const char *type)
{
	html_raw(h, "<label>");
	html_raw(h, label);
	html_raw(h, "<input type=\"");
	html_raw(h, type);
	html_raw(h, "\" name=\"");
	html_raw(h, name);
	html_raw(h, "\" value=\"");
	html_text(h, value ? value : "");
	html_raw(h, "\"></label>");
}

static void filter_form(struct web_ctx *c)
{
	struct html *h = c->resp->body;
	const char *names[][3] = {
		{"From", "from", "date"}, {"To", "to", "date"}, {"Direction (in/out)", "direction", "text"},
		{"Number", "number", "text"}, {"Result", "result", "text"},
		{"Mailbox", "mailbox", "text"}, {"Type", "type", "text"},
	};

	html_raw(h, "<form class=\"filters\" method=\"get\" action=\"/logs\">");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		filter_input(h, names[i][0], names[i][1],
			     http_form_get(&c->query, names[i][1]), names[i][2]);
	html_raw(h, "<button type=\"submit\">Filter</button></form>"
		 "<form method=\"post\" action=\"/logs/verify\">");
	web_csrf_field(c);
	html_raw(h, "<button type=\"submit\" id=\"verify\">Verify the log chain</button></form>");
}

/* The query string again without page (for links). */
static void query_link(struct web_ctx *c, const char *base, long long page)
{
	struct html *h = c->resp->body;

	html_raw(h, base);
	html_raw(h, "?");
	for (size_t i = 0; i < c->query.count; i++) {
		if (!strcmp(c->query.fields[i].name, "page"))
			continue;
		html_text(h, c->query.fields[i].name);   /* names are form words */
		html_raw(h, "=");
		for (const char *v = c->query.fields[i].value; *v; v++) {
			char enc[4] = {'%', "0123456789ABCDEF"[(unsigned char)*v >> 4],
				       "0123456789ABCDEF"[*v & 15], 0};
			html_raw(h, enc);
		}
		html_raw(h, "&amp;");
	}
	if (page >= 0) {
		html_raw(h, "page=");
		html_int(h, page);
	}
}

static void pager(struct web_ctx *c, long long page, long long pages)
{
	struct html *h = c->resp->body;

	html_raw(h, "<div class=\"pager\">");
	if (page > 1) {
		html_raw(h, "<a rel=\"prev\" href=\"");
		query_link(c, "/logs", page - 1);
		html_raw(h, "\">Newer</a>");
	}
	html_raw(h, "<span>Page ");
	html_int(h, page);
	html_raw(h, " of ");
	html_int(h, pages);
	html_raw(h, "</span>");
	if (page < pages) {
		html_raw(h, "<a rel=\"next\" href=\"");
		query_link(c, "/logs", page + 1);
		html_raw(h, "\">Older</a>");
	}
	html_raw(h, "<a href=\"");
	query_link(c, "/logs.csv", -1);
	html_raw(h, "\" id=\"csv\">Export CSV</a></div>");
}

static void table(struct web_ctx *c, struct walk *w, long long page)
{
	struct html *h = c->resp->body;

	html_raw(h, "<p class=\"muted\">");
	html_int(h, w->matched);
	html_raw(h, " matching records.</p><table id=\"records\"><tr><th>Seq</th><th>Time (UTC)"
		 "</th><th>Type</th><th>Dir.</th><th>Number</th><th>Mailbox</th><th>Result"
		 "</th><th>Details</th></tr>");
	for (long long i = 0; i < w->last - w->first; i++)
		if (w->rows[i])
			html_raw(h, w->rows[i]);
	html_raw(h, "</table>");
	pager(c, page, w->matched ? (w->matched + PAGE_ROWS - 1) / PAGE_ROWS : 1);
}

void page_logs(struct web_ctx *c)
{
	struct walk w = { .c = c };
	char path[4200];
	long long page = 1, pages;
	const char *p = http_form_get(&c->query, "page");

	c->current = "/logs";
	if (parse_filter(c, &w.f) != FGW_OK || (p && str_to_int(p, 1, 1000000000, &page))) {
		web_error(c, 400, "A filter value is malformed (dates as YYYY-MM-DD).");
		return;
	}
	if (audit_path(c, path, sizeof path) != FGW_OK ||
	    audit_read_file(path, count_fn, &w, NULL) != FGW_OK) {
		web_error(c, 500, "The audit log could not be read.");
		return;
	}
	pages = w.matched ? (w.matched + PAGE_ROWS - 1) / PAGE_ROWS : 1;
	if (page > pages)
		page = pages;
	/* newest first: page 1 holds the last PAGE_ROWS matches */
	w.last = w.matched - (page - 1) * PAGE_ROWS;
	w.first = w.last > PAGE_ROWS ? w.last - PAGE_ROWS : 0;
	w.rows = calloc(PAGE_ROWS, sizeof *w.rows);
	w.matched = 0;
	if (!w.rows || audit_read_file(path, show_fn, &w, NULL) != FGW_OK) {
		web_error(c, 500, "The audit log could not be read.");
	} else {
		web_page_begin(c, "Logs");
		filter_form(c);
		table(c, &w, page);
		web_page_end(c);
	}
	for (size_t i = 0; w.rows && i < PAGE_ROWS; i++)
		free(w.rows[i]);
	free(w.rows);
}

void page_logs_csv(struct web_ctx *c)
{
	struct walk w = { .c = c, .csv = true };
	char path[4200];

	if (parse_filter(c, &w.f) != FGW_OK) {
		web_error(c, 400, "A filter value is malformed (dates as YYYY-MM-DD).");
		return;
	}
	html_raw(c->resp->body, "seq,time,type,direction,number,mailbox,result,details\r\n");
	if (audit_path(c, path, sizeof path) != FGW_OK ||
	    audit_read_file(path, show_fn, &w, NULL) != FGW_OK) {
		html_free(c->resp->body);
		c->resp->body = html_new(HTML_PAGE_MAX);
		web_error(c, 500, "The audit log could not be read (or the export is too large; "
			  "narrow the filter or use faxgw log export).");
		return;
	}
	web_set_header(c, "Content-Type", "text/csv; charset=utf-8");
	web_set_header(c, "Content-Disposition", "attachment; filename=\"faxgw-audit.csv\"");
}

void page_logs_verify(struct web_ctx *c)
{
	struct audit_verify_result res;
	struct catalog_audit_head head;
	uint8_t key[AUDIT_KEY_LEN];
	char path[4200];
	struct html *h = c->resp->body;
	int rc = audit_path(c, path, sizeof path);

	if (rc == FGW_OK)
		rc = keys_derive(store_keys(c->app->store), KEYS_PURPOSE_AUDIT_MAC, key);
	if (rc == FGW_OK)
		rc = catalog_audit_head_get(store_catalog(c->app->store), &head);
	if (rc == FGW_OK || rc == FGW_ERR_TAMPERED)
		rc = audit_verify_file(path, key, &head, &res);
	OPENSSL_cleanse(key, sizeof key);
	c->current = "/logs";
	web_page_begin(c, "Log verification");
	if (rc == FGW_OK) {
		html_raw(h, "<div class=\"msg ok\" id=\"verify-result\">The log verifies: ");
		html_int(h, (long long)res.records);
		html_raw(h, " records, last record ");
		html_int(h, (long long)res.last_seq);
		html_raw(h, ".</div>");
	} else if (rc == FGW_ERR_TAMPERED) {
		html_raw(h, "<div class=\"msg error\" id=\"verify-result\">The log does NOT "
			 "verify: ");
		html_text(h, audit_problem_name(res.problem));
		html_raw(h, " at line ");
		html_int(h, (long long)res.line);
		html_raw(h, " (record ");
		html_int(h, (long long)res.seq);
		html_raw(h, " expected): ");
		html_text(h, res.detail);
		html_raw(h, "</div>");
	} else {
		html_raw(h, "<div class=\"msg error\" id=\"verify-result\">The log could not be "
			 "checked: ");
		html_text(h, fgw_strerror(rc));
		html_raw(h, "</div>");
	}
	html_raw(h, "<p><a href=\"/logs\">Back to the logs</a></p>");
	web_page_end(c);
}
