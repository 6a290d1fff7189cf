/* web/send.c and web/jobs.c in process: the Send page (upload, double
 * entry, dial rules, previews, confirm), the Jobs page (list, cancel),
 * roles, CSRF and escaping. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "storage/audit.h"
#include "storage/catalog_jobs.h"
#include "storage/catalog_users.h"
#include "storage/store.h"
#include "web/auth.h"
#include "web/html.h"
#include "web/web.h"

#define BOUNDARY "----faxgwTestBoundary7MA4YWxk"

static char dir[64];
static struct store *st;
static struct web_app *app;

static void setup(void)
{
	struct web_settings set = { .idle_minutes = 15, .max_hours = 8, .lock_minutes = 15,
				    .max_failures = 3, .scrypt_log2_n = 14 };
	char data[128];

	cr_assert_eq(str_copy(dir, sizeof dir, "/tmp/test_web_send.XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(str_format(data, sizeof data, "%s/d", dir), 0);
	cr_assert_eq(store_init(data), FGW_OK);
	cr_assert_eq(store_open(data, NULL, &st), FGW_OK);
	cr_assert_eq(str_copy(set.data_dir, sizeof set.data_dir, data), 0);
	cr_assert_eq(web_app_new(&set, st, NULL, &app), FGW_OK);
}

static void teardown(void)
{
	char cmd[128];

	web_app_free(app);
	cr_assert_eq(store_close(st), FGW_OK);
	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf %s", dir), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(web_send, .init = setup, .fini = teardown, .timeout = 120);

/* ---- requests ------------------------------------------------------------- */

static int request(const char *method, const char *path, const char *cookie,
		   const char *ctype, const void *body, size_t len, struct web_response *r)
{
	struct web_request q = {
		.method = method, .path = path, .cookie = cookie, .peer = "127.0.0.1",
		.content_type = ctype, .body = body, .body_len = len,
	};

	web_handle(app, &q, r);
	return r->status;
}

static int get(const char *path, const char *cookie, struct web_response *r)
{
	return request("GET", path, cookie, NULL, NULL, 0, r);
}

static int post_form(const char *path, const char *cookie, const char *body,
		     struct web_response *r)
{
	return request("POST", path, cookie, "application/x-www-form-urlencoded", body,
		       strlen(body), r);
}

static void add_user(const char *name, const char *role)
{
	struct catalog_user u = {0};

	cr_assert_eq(str_copy(u.name, sizeof u.name, name), 0);
	cr_assert_eq(str_copy(u.role, sizeof u.role, role), 0);
	cr_assert_eq(auth_password_hash("Tr0ub4dor3x", 14, u.verifier, &u.verifier_len), FGW_OK);
	cr_assert_eq(catalog_user_insert(store_catalog(st), &u), FGW_OK);
}

struct who {
	char cookie[160];
	char csrf[AUTH_TOKEN_HEX + 1];
};

static struct who login_as(const char *name, const char *role)
{
	struct web_response r;
	struct who w;
	char body[128];
	const char *sc;

	add_user(name, role);
	cr_assert_eq(str_format(body, sizeof body, "user=%s&password=Tr0ub4dor3x", name), 0);
	cr_assert_eq(post_form("/login", NULL, body, &r), 303);
	sc = web_response_header(&r, "Set-Cookie");
	cr_assert_not_null(sc);
	cr_assert_eq(str_format(w.cookie, sizeof w.cookie, "%.*s", (int)strcspn(sc, ";"), sc), 0);
	cr_assert_eq(auth_token_derive("csrf", strchr(w.cookie, '=') + 1, w.csrf), FGW_OK);
	web_response_clear(&r);
	return w;
}

/* A multipart body growing in a malloc'd buffer. */
struct mp {
	char *buf;
	size_t len;
};

static void mp_add(struct mp *m, const void *p, size_t n)
{
	m->buf = realloc(m->buf, m->len + n + 1);
	cr_assert_not_null(m->buf);
	memcpy(m->buf + m->len, p, n);
	m->len += n;
}

static void mp_text(struct mp *m, const char *name, const char *value)
{
	char head[256];

	cr_assert_eq(str_format(head, sizeof head, "--" BOUNDARY "\r\nContent-Disposition: "
				"form-data; name=\"%s\"\r\n\r\n", name), 0);
	mp_add(m, head, strlen(head));
	mp_add(m, value, strlen(value));
	mp_add(m, "\r\n", 2);
}

static void mp_file(struct mp *m, const char *filename, const void *data, size_t len)
{
	char head[512];

	cr_assert_eq(str_format(head, sizeof head, "--" BOUNDARY "\r\nContent-Disposition: "
				"form-data; name=\"file\"; filename=\"%s\"\r\nContent-Type: "
				"application/octet-stream\r\n\r\n", filename), 0);
	mp_add(m, head, strlen(head));
	mp_add(m, data, len);
	mp_add(m, "\r\n", 2);
}

/* POST /send with the fields given (csrf NULL: none). */
static int send_upload(const struct who *w, const char *csrf, const char *to,
		       const char *again, const char *filename, const void *data, size_t len,
		       struct web_response *r)
{
	struct mp m = {0};
	int status;

	if (csrf)
		mp_text(&m, "csrf", csrf);
	mp_text(&m, "to", to);
	mp_text(&m, "confirm", again);
	mp_file(&m, filename, data, len);
	mp_add(&m, "--" BOUNDARY "--\r\n", strlen("--" BOUNDARY "--\r\n"));
	status = request("POST", "/send", w->cookie, "multipart/form-data; boundary=" BOUNDARY,
			 m.buf, m.len, r);
	free(m.buf);
	return status;
}

/* ---- documents ------------------------------------------------------------ */

/* A 400x300 grey PNG: white with a black square in the middle. */
static uint8_t *make_png(size_t *len)
{
	static uint8_t px[300][400];
	png_image im;
	png_alloc_size_t size = 0;
	uint8_t *buf;

	memset(px, 255, sizeof px);
	for (int y = 100; y < 200; y++)
		memset(&px[y][150], 0, 100);
	memset(&im, 0, sizeof im);
	im.version = PNG_IMAGE_VERSION;
	im.width = 400;
	im.height = 300;
	im.format = PNG_FORMAT_GRAY;
	cr_assert(png_image_write_to_memory(&im, NULL, &size, 0, px, 0, NULL));
	buf = malloc(size);
	cr_assert_not_null(buf);
	cr_assert(png_image_write_to_memory(&im, buf, &size, 0, px, 0, NULL));
	*len = size;
	return buf;
}

static uint8_t *testdata_tiff(size_t *len)
{
	const char *d = getenv("FAXGW_TESTDATA");
	char path[512];
	struct stat sb;
	uint8_t *buf;
	int fd;

	cr_assert_not_null(d, "FAXGW_TESTDATA is not set");
	cr_assert_eq(str_format(path, sizeof path, "%s/tiff/asterisk-testsuite__send.tiff", d), 0);
	fd = open(path, O_RDONLY);
	cr_assert(fd >= 0, "test data missing: %s", path);
	cr_assert_eq(fstat(fd, &sb), 0);
	buf = malloc((size_t)sb.st_size);
	cr_assert_not_null(buf);
	cr_assert_eq(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

static const char *body_of(const struct web_response *r)
{
	return html_data(r->body);
}

/* The 64-hex token of the preview page's confirm form. */
static void token_of(const struct web_response *r, char out[static AUTH_TOKEN_HEX + 1])
{
	const char *p = strstr(body_of(r), "name=\"token\" value=\"");

	cr_assert_not_null(p, "%s", body_of(r));
	p += strlen("name=\"token\" value=\"");
	memcpy(out, p, AUTH_TOKEN_HEX);
	out[AUTH_TOKEN_HEX] = '\0';
}

static int count_jobs_fn(const struct catalog_outjob *j, void *arg)
{
	(void)j;
	(*(int *)arg)++;
	return 0;
}

static int job_count(void)
{
	int n = 0;

	cr_assert_eq(catalog_jobs_list(store_catalog(st), count_jobs_fn, &n), FGW_OK);
	return n;
}

static char *audit_text(void)
{
	char path[256];
	static char buf[1 << 16];
	int fd;
	ssize_t n;

	cr_assert_eq(str_format(path, sizeof path, "%s/%s", store_dir(st), STORE_AUDIT_FILE), 0);
	fd = open(path, O_RDONLY);
	cr_assert(fd >= 0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	cr_assert(n >= 0);
	buf[n] = '\0';
	return buf;
}

/* ---- tests ---------------------------------------------------------------- */

Test(web_send, operator_gets_the_form_with_an_empty_unfilled_second_field)
{
	struct who op = login_as("olive", "operator");
	struct web_response r;

	cr_assert_eq(get("/send", op.cookie, &r), 200);
	cr_assert_not_null(strstr(body_of(&r), "enctype=\"multipart/form-data\""));
	cr_assert_not_null(strstr(body_of(&r), "name=\"confirm\" id=\"confirm\" "
				  "inputmode=\"tel\" maxlength=\"96\" required "
				  "autocomplete=\"off\" value=\"\""));
	cr_assert_not_null(strstr(body_of(&r), "<script src=\"/static/send.js\""));
	web_response_clear(&r);
	cr_assert_eq(get("/static/send.js", NULL, &r), 200);
	cr_assert_str_eq(web_response_header(&r, "Content-Type"), "text/javascript; charset=utf-8");
	cr_assert_not_null(strstr(body_of(&r), "\"paste\""));
	web_response_clear(&r);
}

Test(web_send, auditor_and_owner_get_403)
{
	struct who au = login_as("audrey", "auditor");
	struct who ow = login_as("owen", "owner");
	const struct who *who[] = { &au, &ow };
	struct web_response r;
	size_t len;
	uint8_t *png = make_png(&len);

	for (size_t i = 0; i < 2; i++) {
		cr_assert_eq(get("/send", who[i]->cookie, &r), 403);
		web_response_clear(&r);
		cr_assert_eq(get("/jobs", who[i]->cookie, &r), 403);
		web_response_clear(&r);
		cr_assert_eq(send_upload(who[i], who[i]->csrf, "0312345678", "0312345678",
					 "a.png", png, len, &r), 403);
		web_response_clear(&r);
	}
	cr_assert_eq(job_count(), 0);
	free(png);
}

Test(web_send, missing_or_wrong_csrf_is_403)
{
	struct who op = login_as("olive", "operator");
	struct web_response r;
	size_t len;
	uint8_t *png = make_png(&len);

	cr_assert_eq(send_upload(&op, NULL, "0312345678", "0312345678", "a.png", png, len,
				 &r), 403);
	web_response_clear(&r);
	cr_assert_eq(send_upload(&op, "00000000000000000000000000000000000000000000000000000"
				 "00000000000", "0312345678", "0312345678", "a.png", png, len,
				 &r), 403);
	web_response_clear(&r);
	cr_assert_eq(post_form("/jobs/cancel", op.cookie, "id=0123456789ab", &r), 403);
	web_response_clear(&r);
	free(png);
}

Test(web_send, mismatch_is_refused_nothing_stored_and_audited)
{
	struct who op = login_as("olive", "operator");
	struct web_response r;
	size_t len;
	uint8_t *png = make_png(&len);

	cr_assert_eq(send_upload(&op, op.csrf, "03-1234-5678", "0312345679", "a.png", png, len,
				 &r), 400);
	cr_assert_not_null(strstr(body_of(&r), "The two numbers differ: the first field gives "
				  "0312345678, the second (typed again) gives 0312345679; they "
				  "part at digit 10. Nothing was stored"), "%s", body_of(&r));
	/* neither number is put back in the form */
	cr_assert_null(strstr(body_of(&r), "value=\"03-1234-5678\""));
	cr_assert_not_null(strstr(body_of(&r), "autocomplete=\"off\" value=\"\"></label>"));
	cr_assert_null(strstr(body_of(&r), "name=\"token\""));
	web_response_clear(&r);
	cr_assert_eq(job_count(), 0);
	cr_assert_not_null(strstr(audit_text(), "\"type\":\"dial_mismatch\""));
	cr_assert_not_null(strstr(audit_text(), "\"device\":\"web\""));
	cr_assert_not_null(strstr(audit_text(), "\"second\":\"0312345679\""));
	free(png);
}

Test(web_send, international_number_refused_by_the_dial_rule)
{
	struct who op = login_as("olive", "operator");
	struct web_response r;
	size_t len;
	uint8_t *png = make_png(&len);

	cr_assert_eq(send_upload(&op, op.csrf, "+44 20 7946 0000", "+442079460000", "a.png",
				 png, len, &r), 403);
	cr_assert_not_null(strstr(body_of(&r), "refused by the dial rule &quot;international"
				  "&quot;"), "%s", body_of(&r));
	web_response_clear(&r);
	cr_assert_eq(job_count(), 0);
	cr_assert_not_null(strstr(audit_text(), "\"type\":\"dial_denied\""));
	free(png);
}

Test(web_send, png_named_pdf_is_read_by_content)
{
	struct who op = login_as("olive", "operator");
	struct web_response r;
	size_t len;
	uint8_t *png = make_png(&len);

	cr_assert_eq(send_upload(&op, op.csrf, "0312345678", "03 1234 5678", "report.pdf", png,
				 len, &r), 200, "%s", body_of(&r));
	cr_assert_not_null(strstr(body_of(&r), "1 page(s) of <strong>report.pdf</strong> will "
				  "be sent to <strong>0312345678</strong>"), "%s", body_of(&r));
	cr_assert_not_null(strstr(body_of(&r), "/send/preview/"));
	web_response_clear(&r);
	cr_assert_eq(job_count(), 0, "nothing queued before Confirm");
	free(png);
}

Test(web_send, non_image_upload_is_a_clear_400)
{
	struct who op = login_as("olive", "operator");
	struct web_response r;
	const char *text = "just some words, not a document";

	cr_assert_eq(send_upload(&op, op.csrf, "0312345678", "0312345678", "letter.pdf", text,
				 strlen(text), &r), 400);
	cr_assert_not_null(strstr(body_of(&r), "letter.pdf is not a PDF, TIFF or PNG document "
				  "(judged by its content, not its name)"), "%s", body_of(&r));
	web_response_clear(&r);
	cr_assert_eq(job_count(), 0);
}

Test(web_send, form_without_file_is_400)
{
	struct who op = login_as("olive", "operator");
	struct web_response r;
	char body[160];

	cr_assert_eq(str_format(body, sizeof body, "csrf=%s&to=0312345678&confirm=0312345678",
				op.csrf), 0);
	cr_assert_eq(post_form("/send", op.cookie, body, &r), 400);
	cr_assert_not_null(strstr(body_of(&r), "Choose a document to send"));
	web_response_clear(&r);
}

Test(web_send, previews_are_no_store_png_for_the_uploading_session_only)
{
	struct who op = login_as("olive", "operator");
	struct who other = login_as("oscar", "operator");
	struct web_response r;
	char token[AUTH_TOKEN_HEX + 1], path[160];
	size_t len;
	uint8_t *tiff = testdata_tiff(&len);
	png_image im;

	cr_assert_eq(send_upload(&op, op.csrf, "0312345678", "0312345678", "fax.tif", tiff,
				 len, &r), 200, "%s", body_of(&r));
	token_of(&r, token);
	web_response_clear(&r);
	cr_assert_eq(str_format(path, sizeof path, "/send/preview/%s/1", token), 0);
	cr_assert_eq(get(path, op.cookie, &r), 200);
	cr_assert_str_eq(web_response_header(&r, "Content-Type"), "image/png");
	cr_assert_str_eq(web_response_header(&r, "Cache-Control"), "no-store");
	memset(&im, 0, sizeof im);
	im.version = PNG_IMAGE_VERSION;
	cr_assert(png_image_begin_read_from_memory(&im, body_of(&r), html_len(r.body)));
	cr_assert_eq(im.width, 860);
	png_image_free(&im);
	web_response_clear(&r);
	cr_assert_eq(get(path, other.cookie, &r), 404, "another session sees nothing");
	web_response_clear(&r);
	cr_assert_eq(get(path, NULL, &r), 303, "no session: to the login");
	web_response_clear(&r);
	cr_assert_eq(str_format(path, sizeof path, "/send/preview/%s/99", token), 0);
	cr_assert_eq(get(path, op.cookie, &r), 404);
	web_response_clear(&r);
	free(tiff);
}

/* Uploads the PNG and confirms; returns the job id in id. */
static void send_and_confirm(const struct who *op, char id[static 13])
{
	struct web_response r;
	char token[AUTH_TOKEN_HEX + 1], body[256];
	const char *p;
	size_t len;
	uint8_t *png = make_png(&len);

	cr_assert_eq(send_upload(op, op->csrf, "0312345678", "0312345678", "a.png", png, len,
				 &r), 200);
	token_of(&r, token);
	web_response_clear(&r);
	free(png);
	cr_assert_eq(str_format(body, sizeof body, "csrf=%s&token=%s", op->csrf, token), 0);
	cr_assert_eq(post_form("/send/confirm", op->cookie, body, &r), 200, "%s", body_of(&r));
	p = strstr(body_of(&r), "Queued as job <strong>");
	cr_assert_not_null(p, "%s", body_of(&r));
	memcpy(id, p + strlen("Queued as job <strong>"), 12);
	id[12] = '\0';
	web_response_clear(&r);
	/* the token is spent */
	cr_assert_eq(post_form("/send/confirm", op->cookie, body, &r), 404);
	web_response_clear(&r);
}

Test(web_send, confirm_queues_a_job_visible_on_jobs)
{
	struct who op = login_as("olive", "operator");
	struct web_response r;
	char id[13];
	struct catalog_outjob j;

	send_and_confirm(&op, id);
	cr_assert_eq(job_count(), 1);
	cr_assert_eq(catalog_jobs_get(store_catalog(st), id, &j), FGW_OK);
	cr_assert_str_eq(j.job.destination, "0312345678");
	cr_assert_str_eq(j.job.state, "queued");
	cr_assert_str_eq(j.device, "web");
	cr_assert_eq(get("/jobs", op.cookie, &r), 200);
	cr_assert_not_null(strstr(body_of(&r), id));
	cr_assert_not_null(strstr(body_of(&r), "<td>queued</td>"), "%s", body_of(&r));
	/* Staff see where it goes: the number, not the line. */
	cr_assert_not_null(strstr(body_of(&r), "<td>0312345678</td>"), "%s", body_of(&r));
	cr_assert_not_null(strstr(body_of(&r), "action=\"/jobs/cancel\""));
	web_response_clear(&r);
}

Test(web_send, cancel_before_confirm_discards)
{
	struct who op = login_as("olive", "operator");
	struct web_response r;
	char token[AUTH_TOKEN_HEX + 1], body[256], path[160];
	size_t len;
	uint8_t *png = make_png(&len);

	cr_assert_eq(send_upload(&op, op.csrf, "0312345678", "0312345678", "a.png", png, len,
				 &r), 200);
	token_of(&r, token);
	web_response_clear(&r);
	cr_assert_eq(str_format(body, sizeof body, "csrf=%s&token=%s", op.csrf, token), 0);
	cr_assert_eq(post_form("/send/cancel", op.cookie, body, &r), 303);
	web_response_clear(&r);
	cr_assert_eq(str_format(path, sizeof path, "/send/preview/%s/1", token), 0);
	cr_assert_eq(get(path, op.cookie, &r), 404);
	web_response_clear(&r);
	cr_assert_eq(post_form("/send/confirm", op.cookie, body, &r), 404);
	web_response_clear(&r);
	cr_assert_eq(job_count(), 0);
	free(png);
}

Test(web_send, at_most_two_documents_wait_per_session)
{
	struct who op = login_as("olive", "operator");
	struct web_response r;
	size_t len;
	uint8_t *png = make_png(&len);

	for (int i = 0; i < 2; i++) {
		cr_assert_eq(send_upload(&op, op.csrf, "0312345678", "0312345678", "a.png", png,
					 len, &r), 200);
		web_response_clear(&r);
	}
	cr_assert_eq(send_upload(&op, op.csrf, "0312345678", "0312345678", "a.png", png, len,
				 &r), 429);
	cr_assert_not_null(strstr(body_of(&r), "Too many documents are waiting"));
	web_response_clear(&r);
	free(png);
}

Test(web_send, jobs_cancel_cancels_and_is_audited)
{
	struct who op = login_as("olive", "operator");
	struct web_response r;
	char id[13], body[160];
	struct catalog_outjob j;

	send_and_confirm(&op, id);
	cr_assert_eq(str_format(body, sizeof body, "csrf=%s&id=%s", op.csrf, id), 0);
	cr_assert_eq(post_form("/jobs/cancel", op.cookie, body, &r), 200, "%s", body_of(&r));
	cr_assert_not_null(strstr(body_of(&r), "is cancelled"));
	web_response_clear(&r);
	cr_assert_eq(catalog_jobs_get(store_catalog(st), id, &j), FGW_OK);
	cr_assert_str_eq(j.job.state, "cancelled");
	cr_assert_not_null(strstr(audit_text(), "cancel"));
	/* twice: already finished */
	cr_assert_eq(post_form("/jobs/cancel", op.cookie, body, &r), 409);
	web_response_clear(&r);
	cr_assert_eq(str_format(body, sizeof body, "csrf=%s&id=%s", op.csrf, "<b>x</b>"), 0);
	cr_assert_eq(post_form("/jobs/cancel", op.cookie, body, &r), 400);
	cr_assert_null(strstr(body_of(&r), "<b>x"));
	web_response_clear(&r);
}

Test(web_send, user_strings_are_escaped)
{
	struct who op = login_as("olive", "operator");
	struct web_response r;
	size_t len;
	uint8_t *png = make_png(&len);

	cr_assert_eq(send_upload(&op, op.csrf, "0312345678", "0312345678",
				 "<img src=x onerror=alert(1)>.png", png, len, &r), 200);
	cr_assert_null(strstr(body_of(&r), "<img src=x"));
	cr_assert_not_null(strstr(body_of(&r), "&lt;img src=x onerror=alert(1)&gt;.png"));
	web_response_clear(&r);
	cr_assert_eq(send_upload(&op, op.csrf, "<b>03</b>", "<b>03</b>", "a.png", png, len,
				 &r), 400);
	cr_assert_null(strstr(body_of(&r), "<b>03"));
	cr_assert_not_null(strstr(body_of(&r), "&quot;&lt;b&gt;03&lt;/b&gt;&quot; is not a "
				  "phone number"), "%s", body_of(&r));
	web_response_clear(&r);
	cr_assert_eq(send_upload(&op, op.csrf, "<b>03</b>", "0312345678", "a.png", png, len,
				 &r), 400);
	cr_assert_null(strstr(body_of(&r), "<b>03"));
	web_response_clear(&r);
	free(png);
}

Test(web_send, dashboard_lists_recent_transmissions_newest_first_escaped)
{
	struct who op = login_as("olive", "operator");
	struct who ow = login_as("owen", "owner");
	struct web_response r;
	const char *first, *last;

	for (int i = 0; i < 12; i++) {
		char num[32];
		struct audit_fax fax = { .direction = i % 2 ? "in" : "out", .pages = i + 1,
					 .remote_number = num, .result = "ok" };

		cr_assert_eq(str_format(num, sizeof num, i == 11 ? "<i>%d" : "0312345%03d", i), 0);
		cr_assert_eq(audit_fax(store_audit(st), i == 5 ? AUDIT_FAX_FAILED : AUDIT_FAX_SENT,
				       &fax, NULL), FGW_OK);
	}
	cr_assert_eq(audit_sync(store_audit(st), NULL), FGW_OK);
	cr_assert_eq(get("/dashboard", op.cookie, &r), 200);
	cr_assert_not_null(strstr(body_of(&r), "<h2>Recent transmissions</h2>"));
	cr_assert_null(strstr(body_of(&r), "<i>11"));
	first = strstr(body_of(&r), "&lt;i&gt;11");
	last = strstr(body_of(&r), "0312345002");
	cr_assert_not_null(first, "%s", body_of(&r));
	cr_assert_not_null(last);
	cr_assert_lt(first, last, "newest first");
	cr_assert_null(strstr(body_of(&r), "0312345001"), "only the last 10");
	web_response_clear(&r);
	cr_assert_eq(get("/dashboard", ow.cookie, &r), 200);
	cr_assert_null(strstr(body_of(&r), "Recent transmissions"));
	web_response_clear(&r);
}

Test(web_send, logout_discards_what_the_session_left_waiting)
{
	struct who w[9];
	struct web_response r;
	char body[128];
	size_t len;
	uint8_t *png = make_png(&len);

	/* eight sessions fill the appliance's sixteen waiting slots */
	for (int i = 0; i < 9; i++) {
		char name[16];

		cr_assert_eq(str_format(name, sizeof name, "op%d", i), 0);
		w[i] = login_as(name, "operator");
	}
	for (int i = 0; i < 16; i++) {
		cr_assert_eq(send_upload(&w[i / 2], w[i / 2].csrf, "0312345678", "0312345678",
					 "a.png", png, len, &r), 200);
		web_response_clear(&r);
	}
	cr_assert_eq(send_upload(&w[8], w[8].csrf, "0312345678", "0312345678", "a.png", png,
				 len, &r), 429);
	web_response_clear(&r);
	cr_assert_eq(str_format(body, sizeof body, "csrf=%s", w[0].csrf), 0);
	cr_assert_eq(post_form("/logout", w[0].cookie, body, &r), 303);
	web_response_clear(&r);
	cr_assert_eq(send_upload(&w[8], w[8].csrf, "0312345678", "0312345678", "a.png", png,
				 len, &r), 200, "the logged-out session's slots are free again");
	web_response_clear(&r);
	free(png);
	cr_assert_eq(job_count(), 0);
}
