/* The logs page: audit records found through the catalog's index of the
 * log (storage/audit_index.h), filtered, paged newest first by position
 * (keyset: ?before=LINE / ?after=LINE, never an offset), exported as CSV
 * page by page, and the chain verified over the whole file. Every value
 * shown is read back from the log itself and comes from outside (fax
 * idents, numbers, user names): it goes through html_text. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/audit.h"
#include "storage/audit_index.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "web/web_int.h"

#define PAGE_ROWS 50
/* Counting every match of a broad filter over a million records costs
 * more than the page itself: the count stops here ("more than ...") and
 * a link (count=all) asks for the exact number. */
#define COUNT_MAX 1000
#define CSV_ROWS AUDIT_INDEX_QUERY_MAX

static int audit_path(struct web_ctx *c, char *out, size_t size)
{
	return str_format(out, size, "%s/%s", store_dir(c->app->store), STORE_AUDIT_FILE);
}

/* Reads the filter fields of the query string. */
static int parse_filter(struct web_ctx *c, struct audit_index_filter *f)
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

/* A line number from the query string (0 when absent). */
static int parse_line(struct web_ctx *c, const char *name, uint64_t *out)
{
	const char *v = http_form_get(&c->query, name);
	long long n = 0;

	*out = 0;
	if (v == NULL || *v == '\0')
		return FGW_OK;
	if (str_to_int(v, 1, INT64_MAX, &n) != FGW_OK)
		return FGW_ERR_PARSE;
	*out = (uint64_t)n;
	return FGW_OK;
}

/* The fields without a column of their own (a malformed line: itself). */
static void details(struct html *h, const struct audit_index_row *row)
{
	const struct audit_record *r = row->rec;

	if (r == NULL) {
		html_text(h, row->raw);
		return;
	}
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

static void cell(struct html *h, const char *s)
{
	html_raw(h, "<td>");
	html_text(h, s);
	html_raw(h, "</td>");
}

static void row_html(struct html *h, const struct audit_index_row *row)
{
	html_raw(h, "<tr><td class=\"num\">");
	if (row->rec != NULL)
		html_int(h, (long long)row->seq);
	else
		html_raw(h, "?");
	html_raw(h, "</td>");
	cell(h, row->rec != NULL ? row->rec->time : "");
	cell(h, row->type);
	cell(h, row->direction);
	cell(h, row->number);
	cell(h, row->mailbox);
	cell(h, row->result);
	html_raw(h, "<td>");
	details(h, row);
	html_raw(h, "</td></tr>");
}

/* ---- the page ------------------------------------------------------------ */

/* The rows of one page rendered into one buffer, each row's place kept,
 * so a page read oldest first (towards newer records) is still shown
 * newest first. */
struct page {
	struct html *buf;
	size_t start[PAGE_ROWS + 1], end[PAGE_ROWS + 1];
	uint64_t line[PAGE_ROWS + 1];
	size_t n;
};

static int page_row(const struct audit_index_row *row, void *arg)
{
	struct page *p = arg;

	if (p->n > PAGE_ROWS)
		return FGW_ERR_RANGE;
	p->line[p->n] = row->line;
	p->start[p->n] = html_len(p->buf);
	if (p->n < PAGE_ROWS)   /* the extra row only says there is more */
		row_html(p->buf, row);
	p->end[p->n] = html_len(p->buf);
	p->n++;
	return html_failed(p->buf) ? FGW_ERR_TOO_LARGE : 0;
}

/* Shows the page's row i of n, newest first. */
static void page_emit(struct html *h, const struct page *p, size_t i)
{
	html_bytes(h, html_data(p->buf) + p->start[i], p->end[i] - p->start[i]);
}

static int skip_row(const struct audit_index_row *row, void *arg)
{
	(void)row, (void)arg;
	return 0;
}

/* Whether a matching record lies beyond line, newer (above) or older. */
static int exists_beyond(struct web_ctx *c, const char *path, const struct audit_index_filter *f,
			 uint64_t line, bool newer, bool *yes)
{
	struct audit_index_query q = { .filter = *f, .limit = 1, .ascending = newer };
	size_t n = 0;
	int rc;

	if (newer)
		q.above = line;
	else
		q.below = line;
	rc = audit_index_query(store_catalog(c->app->store), path, &q, skip_row, NULL, &n);
	*yes = n > 0;
	return rc;
}

/* Where the page is, for the pager. */
struct where_am_i {
	uint64_t newest, oldest;   /* lines of the first and last row shown */
	bool newer, older;         /* more records that way */
	bool at_start;             /* no before/after: the newest page */
};

/* Reads the page (newest first below `before`, or the PAGE_ROWS records
 * just above `after`) into p and works out the pager. */
static int load_page(struct web_ctx *c, const char *path, const struct audit_index_filter *f,
		     uint64_t before, uint64_t after, struct page *p, struct where_am_i *w)
{
	struct audit_index_query q = { .filter = *f, .limit = PAGE_ROWS + 1,
				       .below = before, .above = after, .ascending = after != 0 };
	struct catalog *cat = store_catalog(c->app->store);
	int rc = audit_index_query(cat, path, &q, page_row, p, NULL);
	size_t shown = p->n > PAGE_ROWS ? PAGE_ROWS : p->n;

	memset(w, 0, sizeof *w);
	w->at_start = before == 0 && after == 0;
	if (rc != FGW_OK || shown == 0)
		return rc;
	if (after != 0) {
		/* read oldest first: turn it around */
		for (size_t i = 0; i < shown / 2; i++) {
			size_t j = shown - 1 - i, s0 = p->start[i], e0 = p->end[i];
			uint64_t l = p->line[i];

			p->start[i] = p->start[j];
			p->end[i] = p->end[j];
			p->line[i] = p->line[j];
			p->start[j] = s0;
			p->end[j] = e0;
			p->line[j] = l;
		}
	}
	w->newest = p->line[0];
	w->oldest = p->line[shown - 1];
	if (after != 0) {
		w->newer = p->n > PAGE_ROWS;
		return exists_beyond(c, path, f, w->oldest, false, &w->older);
	}
	w->older = p->n > PAGE_ROWS;
	if (before == 0)
		return FGW_OK;
	return exists_beyond(c, path, f, w->newest, true, &w->newer);
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

/* The query string again without the position (before/after/page), then
 * extra (form words and digits only), if any. */
static void query_link(struct web_ctx *c, const char *base, const char *extra)
{
	struct html *h = c->resp->body;

	html_raw(h, base);
	html_raw(h, "?");
	for (size_t i = 0; i < c->query.count; i++) {
		const char *name = c->query.fields[i].name;

		if (!strcmp(name, "page") || !strcmp(name, "before") || !strcmp(name, "after"))
			continue;
		html_text(h, name);   /* names are form words */
		html_raw(h, "=");
		for (const char *v = c->query.fields[i].value; *v; v++) {
			char enc[4] = {'%', "0123456789ABCDEF"[(unsigned char)*v >> 4],
				       "0123456789ABCDEF"[*v & 15], 0};
			html_raw(h, enc);
		}
		html_raw(h, "&amp;");
	}
	if (extra != NULL)
		html_raw(h, extra);
}

/* A pager link to the records before/after line. */
static void position_link(struct web_ctx *c, const char *rel, const char *pos, uint64_t line,
			  const char *label)
{
	struct html *h = c->resp->body;
	char extra[48];

	if (str_format(extra, sizeof extra, "%s=%llu", pos, (unsigned long long)line) != FGW_OK)
		return;
	html_raw(h, "<a rel=\"");
	html_raw(h, rel);
	html_raw(h, "\" href=\"");
	query_link(c, "/logs", extra);
	html_raw(h, "\">");
	html_raw(h, label);
	html_raw(h, "</a>");
}

static void pager(struct web_ctx *c, const struct where_am_i *w)
{
	struct html *h = c->resp->body;

	html_raw(h, "<div class=\"pager\">");
	if (!w->at_start) {
		html_raw(h, "<a href=\"");
		query_link(c, "/logs", NULL);
		html_raw(h, "\">Newest</a>");
	}
	if (w->newer)
		position_link(c, "prev", "after", w->newest, "Newer");
	if (w->older)
		position_link(c, "next", "before", w->oldest, "Older");
	html_raw(h, "<a href=\"");
	query_link(c, "/logs.csv", NULL);
	html_raw(h, "\" id=\"csv\">Export CSV</a></div>");
}

/* "N matching records.", or "More than N" with a link to the exact count. */
static void match_count(struct web_ctx *c, uint64_t matched, uint64_t cap)
{
	struct html *h = c->resp->body;

	html_raw(h, "<p class=\"muted\">");
	if (matched > cap) {
		html_raw(h, "More than ");
		html_int(h, (long long)cap);
	} else {
		html_int(h, (long long)matched);
	}
	html_raw(h, " matching records.");
	if (matched > cap) {
		html_raw(h, " <a id=\"count-all\" href=\"");
		query_link(c, "/logs", "count=all");
		html_raw(h, "\">Count them all</a>");
	}
	html_raw(h, "</p>");
}

static void table(struct web_ctx *c, const struct page *p, uint64_t matched, uint64_t cap,
		  const struct where_am_i *w)
{
	struct html *h = c->resp->body;
	size_t shown = p->n > PAGE_ROWS ? PAGE_ROWS : p->n;

	match_count(c, matched, cap);
	html_raw(h, "<table id=\"records\"><tr><th>Seq</th><th>Time (UTC)"
		 "</th><th>Type</th><th>Dir.</th><th>Number</th><th>Mailbox</th><th>Result"
		 "</th><th>Details</th></tr>");
	for (size_t i = 0; i < shown; i++)
		page_emit(h, p, i);
	html_raw(h, "</table>");
	pager(c, w);
}

static void read_failed(struct web_ctx *c, int rc)
{
	log_error("web: logs page: %s", fgw_strerror(rc));
	web_error(c, 500, rc == FGW_ERR_TAMPERED
		  ? "The audit log changed while it was read and does not match its index; "
		    "use Verify the log chain, or faxgw log verify."
		  : "The audit log could not be read; see the system log.");
}

void page_logs(struct web_ctx *c)
{
	struct audit_index_filter f;
	struct page p = { .n = 0 };
	struct where_am_i w;
	uint64_t before, after, matched = 0, cap = COUNT_MAX;
	const char *count = http_form_get(&c->query, "count");
	char path[4200];
	int rc;

	c->current = "/logs";
	if (parse_filter(c, &f) != FGW_OK || parse_line(c, "before", &before) != FGW_OK ||
	    parse_line(c, "after", &after) != FGW_OK) {
		web_error(c, 400, "A filter value is malformed (dates as YYYY-MM-DD).");
		return;
	}
	if (count != NULL && strcmp(count, "all") == 0)
		cap = INT64_MAX - 1;
	p.buf = html_new(HTML_PAGE_MAX);
	rc = p.buf != NULL ? audit_path(c, path, sizeof path) : FGW_ERR_NOMEM;
	if (rc == FGW_OK)
		rc = load_page(c, path, &f, before, after, &p, &w);
	if (rc == FGW_OK)
		rc = audit_index_count(store_catalog(c->app->store), &f, cap + 1, &matched);
	if (rc != FGW_OK) {
		read_failed(c, rc);
	} else {
		web_page_begin(c, "Logs");
		filter_form(c);
		table(c, &p, matched, cap, &w);
		web_page_end(c);
	}
	html_free(p.buf);
}

/* ---- CSV ------------------------------------------------------------------ */

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

/* The details cell: every field as key=value; a malformed line itself. */
static void csv_details(struct html *h, const struct audit_index_row *row)
{
	struct html *d = html_new(AUDIT_RECORD_MAX * 2);
	const struct audit_record *r = row->rec;

	for (size_t i = 0; d != NULL && r != NULL && i < r->nfields; i++) {
		html_raw(d, r->fields[i].key);
		html_raw(d, "=");
		html_raw(d, r->fields[i].value);
		html_raw(d, i + 1 < r->nfields ? "; " : "");
	}
	csv_cell(h, d == NULL || html_failed(d) ? "?" : r == NULL ? row->raw : html_data(d),
		 true);
	html_free(d);
}

struct csv {
	struct html *h;
	uint64_t last;   /* line of the last row written */
	size_t n;        /* rows of this batch */
};

static int csv_row(const struct audit_index_row *row, void *arg)
{
	struct csv *w = arg;
	char seq[24];

	if (str_format(seq, sizeof seq, "%llu", (unsigned long long)row->seq) != FGW_OK)
		return FGW_ERR_RANGE;
	csv_cell(w->h, row->rec != NULL ? seq : "?", false);
	csv_cell(w->h, row->rec != NULL ? row->rec->time : "", false);
	csv_cell(w->h, row->type, false);
	csv_cell(w->h, row->direction, false);
	csv_cell(w->h, row->number, false);
	csv_cell(w->h, row->mailbox, false);
	csv_cell(w->h, row->result, false);
	csv_details(w->h, row);
	w->last = row->line;
	w->n++;
	return html_failed(w->h) ? FGW_ERR_TOO_LARGE : 0;
}

/* Writes every matching record, oldest first, one index page at a time:
 * only the response itself grows (up to its limit). */
static int csv_body(struct web_ctx *c, const char *path, const struct audit_index_filter *f)
{
	struct csv w = { .h = c->resp->body };
	struct audit_index_query q = { .filter = *f, .limit = CSV_ROWS, .ascending = true };
	int rc;

	html_raw(w.h, "seq,time,type,direction,number,mailbox,result,details\r\n");
	do {
		w.n = 0;
		q.above = w.last;
		rc = audit_index_query(store_catalog(c->app->store), path, &q, csv_row, &w, NULL);
	} while (rc == FGW_OK && w.n == CSV_ROWS);
	return rc;
}

void page_logs_csv(struct web_ctx *c)
{
	struct audit_index_filter f;
	char path[4200];
	int rc;

	if (parse_filter(c, &f) != FGW_OK) {
		web_error(c, 400, "A filter value is malformed (dates as YYYY-MM-DD).");
		return;
	}
	rc = audit_path(c, path, sizeof path);
	if (rc == FGW_OK)
		rc = csv_body(c, path, &f);
	if (rc != FGW_OK) {
		html_free(c->resp->body);
		c->resp->body = html_new(HTML_PAGE_MAX);
		if (rc == FGW_ERR_TOO_LARGE)
			web_error(c, 413, "The export is larger than one download may be "
				  "(4 MiB); narrow the filter (e.g. a date range) or use "
				  "faxgw log export on the device.");
		else
			read_failed(c, rc);
		return;
	}
	web_set_header(c, "Content-Type", "text/csv; charset=utf-8");
	web_set_header(c, "Content-Disposition", "attachment; filename=\"faxgw-audit.csv\"");
}

/* ---- verify ----------------------------------------------------------------- */

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
