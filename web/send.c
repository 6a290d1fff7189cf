/* The Send page: upload a document, type the destination twice, look at
 * the pages that will go out, confirm. The converted document waits in a
 * memory file, keyed by a random token bound to the session that uploaded
 * it, until it is confirmed (vault + queue), cancelled or expired. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/convert.h"
#include "gateway/daemon.h"
#include "gateway/dialrules.h"
#include "gateway/queue.h"
#include "gateway/send_job.h"
#include "storage/memfile.h"
#include "storage/store.h"
#include "web/convert_async.h"
#include "web/embedded.h"
#include "web/preview.h"
#include "web/web_int.h"

#define SEND_PENDING_MAX 16          /* documents waiting, all sessions */
#define SEND_PER_SESSION_MAX 2       /* documents waiting per session */
#define SEND_PENDING_MS (15 * 60000) /* a preview lives this long unconfirmed */
#define SEND_CONVERT_SECONDS 30u     /* Ghostscript's deadline per upload */
#define SEND_CONVERT_MAX 2           /* conversions running, all sessions */
#define SEND_NAME_MAX 128

struct send_pending {
	bool used;
	char token[AUTH_TOKEN_HEX + 1];
	char session[AUTH_TOKEN_HEX + 1];
	int fd;                          /* the fax-ready TIFF (memory file) */
	unsigned pages;
	char dest[DIALRULES_MAX_DIGITS + 2];
	char cls[24];
	char name[SEND_NAME_MAX];        /* the upload's file name, as given */
	int64_t expires_ms;
};

/* An upload being converted in a child process; the request is answered
 * when it ends (web_later). */
struct send_convert {
	struct send_store *store;
	struct convert_job *job;
	struct web_later later;
	struct dialrules_decision d;
	char name[SEND_NAME_MAX];
};

struct send_store {
	struct send_pending p[SEND_PENDING_MAX];
	struct send_convert *conv[SEND_CONVERT_MAX];
};

/* ---- documents waiting for confirmation -------------------------------- */

static void pending_drop(struct send_pending *p)
{
	if (p->used && memfile_wipe_close(p->fd) != FGW_OK)
		log_warn("web: could not wipe a pending send document");
	OPENSSL_cleanse(p, sizeof *p);
	p->fd = -1;
}

struct send_store *send_store_new(void)
{
	return calloc(1, sizeof(struct send_store));
}

void send_store_free(struct send_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < SEND_PENDING_MAX; i++)
		pending_drop(&s->p[i]);
	/* the daemon stops: the requests go unanswered with their connections */
	for (size_t i = 0; i < SEND_CONVERT_MAX; i++) {
		if (!s->conv[i])
			continue;
		convert_job_cancel(s->conv[i]->job);
		OPENSSL_cleanse(s->conv[i], sizeof *s->conv[i]);
		free(s->conv[i]);
	}
	free(s);
}

static void pending_sweep(struct send_store *s, int64_t now)
{
	for (size_t i = 0; i < SEND_PENDING_MAX; i++)
		if (s->p[i].used && s->p[i].expires_ms <= now)
			pending_drop(&s->p[i]);
}

/* The session's document with token, or NULL (unknown, expired, or another
 * session's: all look the same to the caller). */
static struct send_pending *pending_find(struct web_ctx *c, const char *token)
{
	struct send_store *s = c->app->sends;

	pending_sweep(s, web_now_ms());
	if (!token || strlen(token) != AUTH_TOKEN_HEX)
		return NULL;
	for (size_t i = 0; i < SEND_PENDING_MAX; i++) {
		struct send_pending *p = &s->p[i];

		if (p->used && str_equal_ct(p->token, token, AUTH_TOKEN_HEX) &&
		    str_equal_ct(p->session, c->session_key, AUTH_TOKEN_HEX))
			return p;
	}
	return NULL;
}

/* A free slot for this session: NULL when the session or the appliance
 * already holds as many as allowed. */
static struct send_pending *pending_slot(struct web_ctx *c)
{
	struct send_store *s = c->app->sends;
	struct send_pending *free_slot = NULL;
	unsigned mine = 0;

	pending_sweep(s, web_now_ms());
	for (size_t i = 0; i < SEND_PENDING_MAX; i++) {
		if (!s->p[i].used && !free_slot)
			free_slot = &s->p[i];
		else if (s->p[i].used && strcmp(s->p[i].session, c->session_key) == 0)
			mine++;
	}
	return mine < SEND_PER_SESSION_MAX ? free_slot : NULL;
}

/* ---- shared with the jobs page ------------------------------------------- */

int web_queue_config(struct web_ctx *c, struct queue_config *qc)
{
	char msg[300];
	int rc;

	queue_config_init(qc);
	if (!c->app->daemon)
		return FGW_OK;
	rc = queue_config_load(daemon_config(c->app->daemon), qc, msg, sizeof msg);
	if (rc != FGW_OK)
		log_error("web: %s", msg);
	return rc;
}

/* ---- the form ------------------------------------------------------------ */

static void send_form(struct web_ctx *c, const char *first, const char *error)
{
	struct html *h = c->resp->body;

	c->current = "/send";
	web_page_begin(c, "Send a fax");
	html_raw(h, "<script src=\"/static/send.js\" defer></script>");
	if (error) {
		html_raw(h, "<div class=\"msg error\">");
		html_text(h, error);
		html_raw(h, "</div>");
	}
	html_raw(h, "<form method=\"post\" action=\"/send\" enctype=\"multipart/form-data\">");
	web_csrf_field(c);
	html_raw(h, "<label>Document (PDF, TIFF or PNG, up to 25 MiB) "
		 "<input type=\"file\" name=\"file\" required "
		 "accept=\".pdf,.tif,.tiff,.png,application/pdf,image/tiff,image/png\">"
		 "</label><label>Destination number <input type=\"text\" name=\"to\" "
		 "inputmode=\"tel\" maxlength=\"96\" required autocomplete=\"off\" value=\"");
	html_text(h, first ? first : "");
	html_raw(h, "\"></label><label>Type the number again (not pasted) "
		 "<input type=\"text\" name=\"confirm\" id=\"confirm\" inputmode=\"tel\" "
		 "maxlength=\"96\" required autocomplete=\"off\" value=\"\"></label>"
		 "<button type=\"submit\">Check and preview</button></form>"
		 "<p>Nothing is sent before you have seen the pages and confirmed.</p>");
	web_page_end(c);
}

void page_send_form(struct web_ctx *c)
{
	send_form(c, NULL, NULL);
}

/* ---- the upload ---------------------------------------------------------- */

static const struct http_part *upload_part(const struct web_ctx *c, const char *name)
{
	if (!c->has_upload)
		return NULL;
	for (size_t i = 0; i < c->upload.count; i++)
		if (strcmp(c->upload.parts[i].name, name) == 0)
			return &c->upload.parts[i];
	return NULL;
}

/* Copies text field name into out; "" when absent. FGW_ERR_PARSE for a NUL
 * byte or a control character, FGW_ERR_TOO_LARGE when it does not fit. */
static int upload_text(const struct web_ctx *c, const char *name, char *out, size_t size)
{
	const struct http_part *p = upload_part(c, name);

	out[0] = '\0';
	if (!p)
		return FGW_OK;
	if (p->len >= size)
		return FGW_ERR_TOO_LARGE;
	for (size_t i = 0; i < p->len; i++)
		if (p->data[i] < 0x20 || p->data[i] == 0x7f)
			return FGW_ERR_PARSE;
	memcpy(out, p->data, p->len);
	out[p->len] = '\0';
	return FGW_OK;
}

static void refusal_audit(struct web_ctx *c, enum audit_event ev, const char *first,
			  const char *second, const char *rule, const char *reason)
{
	const struct audit_field f[] = {
		AUDIT_F_STR("event", "double_entry"), AUDIT_F_STR("origin", "local"),
		AUDIT_F_STR("device", "web"), AUDIT_F_STR("user", c->user.name),
		AUDIT_F_STR("source", c->req->peer), AUDIT_F_STR("first", first),
		AUDIT_F_STR("second", second), AUDIT_F_STR("rule", rule),
		AUDIT_F_STR("reason", reason),
	};
	int rc = audit_append_durable(store_audit(c->app->store), ev, f,
				      sizeof f / sizeof f[0], NULL);

	if (rc != FGW_OK)
		log_error("web: cannot write the audit record: %s", fgw_strerror(rc));
}

/* Says which field and where the two entries part, in words. */
static void mismatch_message(const char *a, const char *b, char *msg, size_t size)
{
	char na[DIALRULES_MAX_INPUT + 2], nb[DIALRULES_MAX_INPUT + 2], e[8];
	size_t i = 0;

	if (dialrules_normalise(b, nb, sizeof nb, e, sizeof e) != FGW_OK) {
		(void)str_format(msg, size, "The second number field (typed again) is not a "
				 "phone number. Nothing was stored; type the destination in "
				 "both fields again.");
		return;
	}
	if (dialrules_normalise(a, na, sizeof na, e, sizeof e) != FGW_OK) {
		(void)str_format(msg, size, "The first number field is not a phone number. "
				 "Nothing was stored; type the destination in both fields "
				 "again.");
		return;
	}
	while (na[i] && na[i] == nb[i])
		i++;
	(void)str_format(msg, size, "The two numbers differ: the first field gives %s, the "
			 "second (typed again) gives %s; they part at digit %zu. Nothing "
			 "was stored; type the destination in both fields again.",
			 na, nb, i + 1);
}

/* Both entries equal and allowed: 0 and *d; otherwise an error page, an
 * audit record and FGW_ERR_MISMATCH / FGW_ERR_DENIED. */
static int check_numbers(struct web_ctx *c, const char *to, const char *again,
			 const struct queue_config *qc, struct dialrules_decision *d)
{
	char msg[400], norm[DIALRULES_MAX_INPUT + 2], why[160];

	/* a typo in an otherwise identical pair is not a double-entry mismatch */
	if (strcmp(to, again) == 0 &&
	    dialrules_normalise(to, norm, sizeof norm, why, sizeof why) != FGW_OK) {
		(void)str_format(msg, sizeof msg, "The destination \"%s\" is not a phone "
				 "number: %s. Nothing was stored.", to, why);
		c->resp->status = 400;
		send_form(c, NULL, msg);
		return FGW_ERR_PARSE;
	}
	if (!dialrules_same(to, again)) {
		mismatch_message(to, again, msg, sizeof msg);
		refusal_audit(c, AUDIT_DIAL_MISMATCH, to, again, "",
			      "mismatch: the two entries differ");
		c->resp->status = 400;
		send_form(c, NULL, msg);
		return FGW_ERR_MISMATCH;
	}
	if (dialrules_check(&qc->policy, DIAL_FROM_LOCAL, to, d) != FGW_OK) {
		(void)str_format(msg, sizeof msg, "%s: refused by the dial rule \"%s\": %s. "
				 "Nothing was stored.", to, d->rule, d->reason);
		refusal_audit(c, AUDIT_DIAL_DENIED, to, again, d->rule, d->reason);
		c->resp->status = 403;
		send_form(c, to, msg);
		return FGW_ERR_DENIED;
	}
	return FGW_OK;
}

static void preview_page(struct web_ctx *c, const struct send_pending *p)
{
	struct html *h = c->resp->body;

	c->current = "/send";
	web_page_begin(c, "Check before sending");
	html_raw(h, "<p>");
	html_int(h, p->pages);
	html_raw(h, " page(s) of <strong>");
	html_text(h, p->name);
	html_raw(h, "</strong> will be sent to <strong>");
	html_text(h, p->dest);
	html_raw(h, "</strong> (");
	html_text(h, p->cls);
	html_raw(h, "). Nothing is stored until you confirm.</p>");
	html_raw(h, "<form method=\"post\" action=\"/send/confirm\">");
	web_csrf_field(c);
	html_raw(h, "<input type=\"hidden\" name=\"token\" value=\"");
	html_text(h, p->token);
	html_raw(h, "\"><button type=\"submit\">Confirm and send</button></form>"
		 "<form method=\"post\" action=\"/send/cancel\">");
	web_csrf_field(c);
	html_raw(h, "<input type=\"hidden\" name=\"token\" value=\"");
	html_text(h, p->token);
	html_raw(h, "\"><button type=\"submit\">Cancel</button></form><div class=\"pages\">");
	for (unsigned i = 1; i <= p->pages; i++) {
		html_raw(h, "<img class=\"page\" alt=\"page ");
		html_int(h, i);
		html_raw(h, "\" src=\"/send/preview/");
		html_text(h, p->token);
		html_raw(h, "/");
		html_int(h, i);
		html_raw(h, "\">");
	}
	html_raw(h, "</div>");
	web_page_end(c);
}

static int hold_document(struct web_ctx *c, int fd, unsigned pages, const char *name,
			 const struct dialrules_decision *d)
{
	struct send_pending *p = pending_slot(c);

	if (!p)
		return FGW_ERR_BUSY;
	if (auth_token_new(p->token) != FGW_OK)
		return FGW_ERR_CRYPTO;
	if (str_copy(p->session, sizeof p->session, c->session_key) != FGW_OK ||
	    str_copy(p->dest, sizeof p->dest, d->number.normal) != FGW_OK ||
	    str_copy(p->cls, sizeof p->cls, dialrules_class_name(d->number.cls)) != FGW_OK) {
		OPENSSL_cleanse(p, sizeof *p);
		return FGW_ERR_TOO_LARGE;
	}
	/* a long name is shortened, not refused: it is only shown */
	if (str_copy(p->name, sizeof p->name, name) != FGW_OK)
		p->name[sizeof p->name - 1] = '\0';
	p->fd = fd;
	p->pages = pages;
	p->expires_ms = web_now_ms() + SEND_PENDING_MS;
	p->used = true;
	preview_page(c, p);
	return FGW_OK;
}

/* ---- conversion (web/convert_async.h) -------------------------------------- */

struct converted {
	struct convert_result *res;
	const struct dialrules_decision *d;
	const char *name;
	bool session_gone;
};

/* The answer to an upload once converted: the preview, or the form with
 * the reason. Takes res->fd. */
static void converted_page(struct web_ctx *c, void *arg)
{
	struct converted *cv = arg;
	struct convert_result *res = cv->res;

	if (cv->session_gone) {
		c->logged_in = false;
		web_error(c, 403, "Your session ended while the document was being converted; "
			  "nothing was kept. Log in and upload it again.");
	} else if (res->rc != FGW_OK) {
		if (res->rc == FGW_ERR_IO || res->rc == FGW_ERR_NOMEM || !res->msg[0])
			(void)str_format(res->msg, sizeof res->msg, "The document could not be "
					 "converted: %s. Try again.", fgw_strerror(res->rc));
		c->resp->status = 400;
		send_form(c, NULL, res->msg);
	} else if (hold_document(c, res->fd, res->pages, cv->name, cv->d) == FGW_OK) {
		res->fd = -1;
	} else {
		c->resp->status = 429;
		send_form(c, NULL, "Too many documents are waiting for confirmation; confirm "
			  "or cancel one first, or wait 15 minutes.");
	}
	if (res->fd >= 0)
		(void)memfile_wipe_close(res->fd);
	res->fd = -1;
}

static void conversion_done(void *arg, struct convert_result *res)
{
	struct send_convert *sc = arg;
	struct converted cv = { res, &sc->d, sc->name, !web_later_session_alive(&sc->later) };

	for (size_t i = 0; i < SEND_CONVERT_MAX; i++)
		if (sc->store->conv[i] == sc)
			sc->store->conv[i] = NULL;
	web_later_answer(&sc->later, converted_page, &cv);
	OPENSSL_cleanse(sc, sizeof *sc);
	free(sc);
}

/* A free conversion slot, or NULL when SEND_CONVERT_MAX run or this
 * session has one running. */
static struct send_convert **convert_slot(struct web_ctx *c)
{
	struct send_store *s = c->app->sends;
	struct send_convert **free_slot = NULL;

	for (size_t i = 0; i < SEND_CONVERT_MAX; i++) {
		if (!s->conv[i])
			free_slot = free_slot ? free_slot : &s->conv[i];
		else if (strcmp(s->conv[i]->later.session_key, c->session_key) == 0)
			return NULL;
	}
	return free_slot;
}

/* Converts in a child process and answers when it ends. Returns false,
 * with in untouched, when this server cannot wait; true when in was taken
 * (a failure to start is then in res). */
static bool convert_later(struct web_ctx *c, int in, struct send_convert **slot,
			  const char *name, const struct dialrules_decision *d,
			  struct convert_result *res)
{
	struct send_convert *sc;

	if (!c->app->daemon || !c->req->reply)
		return false;
	sc = calloc(1, sizeof *sc);
	if (!sc || !web_later_begin(c, &sc->later)) {
		free(sc);
		return false;
	}
	sc->store = c->app->sends;
	sc->d = *d;
	if (str_copy(sc->name, sizeof sc->name, name) != FGW_OK)
		sc->name[sizeof sc->name - 1] = '\0';
	res->rc = convert_job_start(daemon_base(c->app->daemon), in, name, SEND_CONVERT_SECONDS,
				    conversion_done, sc, &sc->job);
	if (res->rc != FGW_OK) {
		c->resp->later = false;
		OPENSSL_cleanse(sc, sizeof *sc);
		free(sc);
		return true;
	}
	*slot = sc;
	return true;
}

/* The upload, judged by its content, into a memory file and converted:
 * later when the server can wait, else here (still in a child process). */
static void convert_upload(struct web_ctx *c, const struct http_part *file,
			   const struct dialrules_decision *d)
{
	const char *name = file->filename[0] ? file->filename : "the upload";
	struct send_convert **slot = convert_slot(c);
	struct convert_result res = { .fd = -1 };
	struct converted cv = { &res, d, name, false };
	char msg[CONVERT_MSG_MAX];
	int in;

	if (convert_sniff(file->data, file->len) == CONVERT_UNKNOWN) {
		(void)str_format(msg, sizeof msg, "%s is not a PDF, TIFF or PNG document "
				 "(judged by its content, not its name). Choose another "
				 "file.", name);
		c->resp->status = 400;
		send_form(c, NULL, msg);
		return;
	}
	if (!slot) {
		c->resp->status = 429;
		send_form(c, NULL, "Another document is being converted (yours, or the "
			  "appliance is busy); wait for it and send the form again.");
		return;
	}
	in = memfile_create("faxgw-upload");
	res.rc = in < 0 ? in : write(in, file->data, file->len) == (ssize_t)file->len
		 ? FGW_OK : FGW_ERR_IO;
	if (res.rc != FGW_OK && in >= 0)
		(void)memfile_wipe_close(in);
	else if (res.rc == FGW_OK && !convert_later(c, in, slot, name, d, &res))
		(void)convert_job_run(in, name, SEND_CONVERT_SECONDS, &res);
	if (!c->resp->later)
		converted_page(c, &cv);
}

void page_send_post(struct web_ctx *c)
{
	char to[DIALRULES_MAX_INPUT + 2], again[DIALRULES_MAX_INPUT + 2];
	const struct http_part *file = upload_part(c, "file");
	struct dialrules_decision d;
	struct queue_config qc;

	if (!c->has_upload || !file || file->len == 0) {
		c->resp->status = 400;
		send_form(c, NULL, "Choose a document to send (the form must be sent "
				 "as multipart/form-data).");
		return;
	}
	if (upload_text(c, "to", to, sizeof to) != FGW_OK ||
	    upload_text(c, "confirm", again, sizeof again) != FGW_OK || !to[0] || !again[0]) {
		c->resp->status = 400;
		send_form(c, NULL, "Type the destination number in both fields (at "
				 "most 96 characters: digits, spaces, hyphens).");
		return;
	}
	if (web_queue_config(c, &qc) != FGW_OK) {
		web_error(c, 500, "The dialing configuration could not be read; see "
				 "the daemon's log.");
		return;
	}
	if (check_numbers(c, to, again, &qc, &d) == FGW_OK)
		convert_upload(c, file, &d);
}

/* ---- previews, confirm, cancel ------------------------------------------- */

/* "TOKEN/PAGE" after /send/preview/. */
static int parse_preview_path(const char *rest, char *token, unsigned *page)
{
	const char *slash = strchr(rest, '/');
	long long n;

	if (!slash || slash - rest != AUTH_TOKEN_HEX)
		return FGW_ERR_PARSE;
	memcpy(token, rest, AUTH_TOKEN_HEX);
	token[AUTH_TOKEN_HEX] = '\0';
	if (str_to_int(slash + 1, 1, 1000, &n) != FGW_OK)
		return FGW_ERR_PARSE;
	*page = (unsigned)n;
	return FGW_OK;
}

static int render_page(const struct send_pending *p, unsigned page, uint8_t **png,
		       size_t *len)
{
	struct stat st;
	void *map;
	int rc;

	if (fstat(p->fd, &st) != 0 || st.st_size <= 0)
		return FGW_ERR_IO;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, p->fd, 0);
	if (map == MAP_FAILED)
		return FGW_ERR_IO;
	rc = preview_png(map, (size_t)st.st_size, page - 1, PREVIEW_DEFAULT_WIDTH, png, len);
	(void)munmap(map, (size_t)st.st_size);
	return rc;
}

void page_send_preview(struct web_ctx *c)
{
	char token[AUTH_TOKEN_HEX + 1];
	struct send_pending *p;
	unsigned page = 0;
	uint8_t *png = NULL;
	size_t len = 0;

	if (parse_preview_path(c->req->path + strlen("/send/preview/"), token, &page) != FGW_OK) {
		web_error(c, 404, "There is no such preview.");
		return;
	}
	p = pending_find(c, token);
	if (!p || page > p->pages) {
		web_error(c, 404, "There is no such preview (it may have expired: "
				 "upload the document again).");
		return;
	}
	if (render_page(p, page, &png, &len) != FGW_OK) {
		web_error(c, 500, "This page could not be rendered.");
		return;
	}
	web_set_header(c, "Content-Type", "image/png");
	html_bytes(c->resp->body, png, len);
	OPENSSL_cleanse(png, len);
	free(png);
}

static int store_and_queue(struct web_ctx *c, const struct send_pending *p,
			   char id[static QUEUE_ID_LEN + 1], struct dialrules_decision *d)
{
	char doc[VAULT_ID_LEN + 1];
	struct queue_config qc;
	struct queue *q = NULL;
	int rc = web_queue_config(c, &qc);

	if (rc == FGW_OK)
		rc = queue_open(c->app->store, &qc, NULL, NULL, &q);
	if (rc == FGW_OK)
		rc = send_job_store_document(c->app->store, p->fd, p->dest, p->pages, doc);
	if (rc == FGW_OK) {
		rc = queue_enqueue(q, doc, p->dest, DIAL_FROM_LOCAL, "web", web_now_ms(), id, d);
		if (rc != FGW_OK && store_doc_erase(c->app->store, doc, NULL, NULL) != FGW_OK)
			log_error("web: could not erase document %s after a failed enqueue", doc);
	}
	queue_close(q);
	return rc;
}

void page_send_confirm(struct web_ctx *c)
{
	struct send_pending *p = pending_find(c, http_form_get(&c->form, "token"));
	struct html *h = c->resp->body;
	char id[QUEUE_ID_LEN + 1];
	struct dialrules_decision d;
	int rc;

	if (!p) {
		web_error(c, 404, "This document is no longer waiting (it expired or "
				 "was cancelled); upload it again.");
		return;
	}
	memset(&d, 0, sizeof d);
	rc = store_and_queue(c, p, id, &d);
	if (rc == FGW_ERR_DENIED) {
		pending_drop(p);
		web_error(c, 403, d.reason[0] ? d.reason :
				 "The dial rules refused this number; nothing was sent.");
		return;
	}
	if (rc != FGW_OK) {
		web_error(c, 500, "The fax could not be stored and queued; the "
				 "document is still waiting: try again, or see the log.");
		return;
	}
	c->current = "/send";
	web_page_begin(c, "Fax queued");
	html_raw(h, "<div class=\"msg ok\">Queued as job <strong>");
	html_text(h, id);
	html_raw(h, "</strong>: ");
	html_int(h, p->pages);
	html_raw(h, " page(s) to ");
	html_text(h, p->dest);
	html_raw(h, ".</div><p><a href=\"/jobs\">See the jobs</a> or "
		 "<a href=\"/send\">send another</a>.</p>");
	web_page_end(c);
	pending_drop(p);
}

void page_send_cancel(struct web_ctx *c)
{
	struct send_pending *p = pending_find(c, http_form_get(&c->form, "token"));

	if (p)
		pending_drop(p);
	web_redirect(c, "/send");
}

void page_send_js(struct web_ctx *c)
{
	web_set_header(c, "Content-Type", "text/javascript; charset=utf-8");
	html_bytes(c->resp->body, web_embed_send_js, web_embed_send_js_len);
}

void send_store_forget(struct send_store *s, const char *session)
{
	for (size_t i = 0; i < SEND_PENDING_MAX; i++)
		if (s->p[i].used && strcmp(s->p[i].session, session) == 0)
			pending_drop(&s->p[i]);
}
