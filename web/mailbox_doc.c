/* One held fax of an unlocked mailbox: page previews (PNG rendered here
 * from the pages decrypted into memory, web/preview.h), download as TIFF
 * or PDF (gateway/release.h, as faxgw release writes them), print (queued
 * to the office device line as faxgw release --print does) and erase
 * (with a certificate, after a confirmation page).
 *
 * Plaintext lives in a memory file and heap buffers for one request only;
 * every buffer is wiped before it is freed, and every answer carries
 * Cache-Control: no-store (app.c). Only the session that unlocked the
 * mailbox gets anything (mb_session_pin).
 *
 * After a download or print the CLI's rule applies when "erase after"
 * is ticked (the default): erase, unless the mailbox's retention keeps
 * released faxes. Unticked, the fax is kept as with faxgw release --keep:
 * the server cannot know whether the browser stored the file, so the user
 * decides. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/queue.h"
#include "gateway/release.h"
#include "gateway/send_job.h"
#include "storage/memfile.h"
#include "storage/store.h"
#include "web/mailbox_int.h"
#include "web/preview.h"

#define DOC_MAX_BYTES (HTML_PAGE_MAX - 4096)   /* what one answer can carry */

struct plain {
	uint8_t *buf;
	size_t len;
	uint32_t pages;
};

static void plain_free(struct plain *p)
{
	if (p->buf) {
		OPENSSL_cleanse(p->buf, p->len);
		free(p->buf);
	}
	memset(p, 0, sizeof *p);
}

/* Reads the whole memory file fd into out->buf. */
static int read_all(int fd, struct plain *out)
{
	struct stat st;
	size_t got = 0;

	if (fstat(fd, &st) != 0)
		return FGW_ERR_IO;
	if (st.st_size <= 0 || (uint64_t)st.st_size > DOC_MAX_BYTES)
		return st.st_size <= 0 ? FGW_ERR_IO : FGW_ERR_TOO_LARGE;
	out->len = (size_t)st.st_size;
	out->buf = malloc(out->len);
	if (!out->buf)
		return FGW_ERR_NOMEM;
	while (got < out->len) {
		ssize_t n = pread(fd, out->buf + got, out->len - got, (off_t)got);
		if (n <= 0)
			return FGW_ERR_IO;
		got += (size_t)n;
	}
	return FGW_OK;
}

/* Decrypts document id of mailbox as fmt into out (plain_free it). */
static int decrypt(struct web_ctx *c, const struct mb_path *p, const char *pin,
		   enum release_format fmt, struct plain *out)
{
	int fd = memfile_create("faxgw-web"), rc;

	memset(out, 0, sizeof *out);
	if (fd < 0)
		return fd;
	rc = release_write(c->app->store, p->number, p->doc, pin, fmt, fd, &out->pages);
	if (rc == FGW_OK)
		rc = read_all(fd, out);
	if (memfile_wipe_close(fd) != FGW_OK)
		log_warn("web: could not wipe the memory copy of fax %s", p->doc);
	if (rc != FGW_OK)
		plain_free(out);
	return rc;
}

static void decrypt_error(struct web_ctx *c, const struct mb_path *p, int rc)
{
	if (rc == FGW_ERR_NOT_FOUND) {
		web_error(c, 404, "This mailbox holds no such fax (it may have been erased).");
		return;
	}
	log_error("web: fax %s of mailbox %s: %s", p->doc, p->number, fgw_strerror(rc));
	web_error(c, rc == FGW_ERR_TOO_LARGE ? 413 : 500, rc == FGW_ERR_TOO_LARGE ?
		  "This fax is too large to send through the web interface; use faxgw release "
		  "on the appliance." : "The fax could not be read; see the system log.");
}

/* ---- preview -------------------------------------------------------------- */

void mb_doc_preview(struct web_ctx *c, const struct mb_path *p)
{
	char pin[UNLOCK_PIN_MAX + 1];
	struct plain t;
	uint8_t *png = NULL;
	size_t png_len = 0;
	int rc;

	if (!mb_session_pin(c, p->number, pin))
		return;
	rc = decrypt(c, p, pin, RELEASE_TIFF, &t);
	OPENSSL_cleanse(pin, sizeof pin);
	if (rc != FGW_OK) {
		decrypt_error(c, p, rc);
		return;
	}
	rc = preview_png(t.buf, t.len, p->page - 1, PREVIEW_DEFAULT_WIDTH, &png, &png_len);
	plain_free(&t);
	if (rc != FGW_OK) {
		web_error(c, rc == FGW_ERR_NOT_FOUND ? 404 : 500, rc == FGW_ERR_NOT_FOUND ?
			  "This fax has no such page." : "The page could not be rendered.");
		return;
	}
	web_set_header(c, "Content-Type", "image/png");
	html_bytes(c->resp->body, png, png_len);
	OPENSSL_cleanse(png, png_len);
	free(png);
}

/* ---- download and print ----------------------------------------------------- */

static bool erase_after(struct web_ctx *c)
{
	const char *e = http_form_get(&c->form, "erase");

	return e && strcmp(e, "1") == 0;
}

/* The after-release rule; a failure is logged and shown by the caller. */
static int finish(struct web_ctx *c, const struct mb_path *p, const char *action,
		  enum release_disposal *d)
{
	const struct release_actor who = {c->user.name, c->req->peer};
	char what[96];
	int rc = release_finish_as(c->app->store, p->number, p->doc, action, !erase_after(c),
				   false, &who, d, NULL);

	if (rc != FGW_OK) {
		log_error("web: after releasing fax %s: %s", p->doc, fgw_strerror(rc));
		return rc;
	}
	if (str_format(what, sizeof what, "fax %s released (%s), %s", p->doc, action,
		       release_disposal_name(*d)) == FGW_OK)
		mb_audit(c, AUDIT_SECURITY, p->number, what);
	return rc;
}

static void attach(struct web_ctx *c, const struct mb_path *p, enum release_format fmt)
{
	char cd[128];

	web_set_header(c, "Content-Type", fmt == RELEASE_PDF ? "application/pdf" : "image/tiff");
	if (str_format(cd, sizeof cd, "attachment; filename=\"fax-%s.%s\"", p->doc,
		       fmt == RELEASE_PDF ? "pdf" : "tif") == FGW_OK)
		web_set_header(c, "Content-Disposition", cd);
}

void mb_doc_download(struct web_ctx *c, const struct mb_path *p)
{
	const char *f = http_form_get(&c->form, "format");
	char pin[UNLOCK_PIN_MAX + 1];
	enum release_format fmt;
	enum release_disposal d;
	struct plain out;
	int rc;

	if (!f || release_format_parse(f, &fmt) != FGW_OK) {
		web_error(c, 400, "Choose the format: tiff or pdf.");
		return;
	}
	if (!mb_session_pin(c, p->number, pin))
		return;
	rc = decrypt(c, p, pin, fmt, &out);
	OPENSSL_cleanse(pin, sizeof pin);
	if (rc != FGW_OK) {
		decrypt_error(c, p, rc);
		return;
	}
	/* disposal first: if it fails nothing is handed out unrecorded */
	if (finish(c, p, release_format_name(fmt), &d) != FGW_OK) {
		plain_free(&out);
		web_error(c, 500, "The release could not be recorded; nothing was sent. See the "
			  "system log.");
		return;
	}
	attach(c, p, fmt);
	html_bytes(c->resp->body, out.buf, out.len);
	plain_free(&out);
}

/* As faxgw release --print: the decrypted pages become a new outbound
 * document (general-inbox key) queued to the office device line. */
static int queue_print(struct web_ctx *c, const struct plain *t, char job[QUEUE_ID_LEN + 1])
{
	int fd = memfile_create("faxgw-web-print"), rc;

	if (fd < 0)
		return fd;
	rc = write(fd, t->buf, t->len) == (ssize_t)t->len ? FGW_OK : FGW_ERR_IO;
	if (rc == FGW_OK)
		rc = release_queue_print(c->app->store, fd, t->pages, "web release print",
					 web_now_ms(), job);
	if (memfile_wipe_close(fd) != FGW_OK)
		log_warn("web: could not wipe the memory copy of a fax to print");
	return rc;
}

static void printed_page(struct web_ctx *c, const struct mb_path *p, const char *job,
			 enum release_disposal d)
{
	struct html *h = c->resp->body;
	char back[160];

	web_page_begin(c, "Queued for printing");
	html_raw(h, "<section class=\"card\"><p>Fax ");
	html_text(h, p->doc);
	html_raw(h, " is queued to the office device line as job ");
	html_text(h, job);
	html_raw(h, "; the fax in the mailbox was ");
	html_text(h, release_disposal_name(d));
	html_raw(h, ".</p><p><a href=\"");
	mb_url(p->number, "", back, sizeof back);
	html_text(h, back);
	html_raw(h, "\">Back to the mailbox</a></p></section>");
	web_page_end(c);
}

void mb_doc_print(struct web_ctx *c, const struct mb_path *p)
{
	char pin[UNLOCK_PIN_MAX + 1], job[QUEUE_ID_LEN + 1];
	enum release_disposal d;
	struct plain t;
	int rc;

	if (!mb_session_pin(c, p->number, pin))
		return;
	rc = decrypt(c, p, pin, RELEASE_TIFF, &t);
	OPENSSL_cleanse(pin, sizeof pin);
	if (rc != FGW_OK) {
		decrypt_error(c, p, rc);
		return;
	}
	rc = queue_print(c, &t, job);
	plain_free(&t);
	if (rc != FGW_OK) {
		log_error("web: queueing fax %s for printing: %s", p->doc, fgw_strerror(rc));
		web_error(c, 500, "The fax could not be queued for printing; see the system log.");
		return;
	}
	if (finish(c, p, "print", &d) != FGW_OK) {
		web_error(c, 500, "The fax was queued, but its release could not be recorded; "
			  "see the system log.");
		return;
	}
	printed_page(c, p, job, d);
}

/* ---- erase ------------------------------------------------------------------ */

/* True when id is a held fax of the mailbox (answers 404 itself). */
static bool held_here(struct web_ctx *c, const struct mb_path *p)
{
	struct catalog_document d;
	bool ok = catalog_document_get(store_catalog(c->app->store), p->doc, &d) == FGW_OK &&
		  strcmp(d.mailbox, p->number) == 0 && d.direction == CATALOG_DIR_IN;

	OPENSSL_cleanse(d.wrapped_key, sizeof d.wrapped_key);
	if (!ok)
		web_error(c, 404, "This mailbox holds no such fax (it may have been erased).");
	return ok;
}

void mb_doc_erase_form(struct web_ctx *c, const struct mb_path *p)
{
	struct html *h = c->resp->body;
	char pin[UNLOCK_PIN_MAX + 1], url[160];

	if (!mb_session_pin(c, p->number, pin))
		return;
	OPENSSL_cleanse(pin, sizeof pin);
	if (!held_here(c, p))
		return;
	web_page_begin(c, "Erase a fax");
	html_raw(h, "<section class=\"card\"><p>Erase fax ");
	html_text(h, p->doc);
	html_raw(h, " for good? Its key is destroyed and its file overwritten; a signed "
		 "erasure certificate is written. This cannot be undone.</p>"
		 "<form method=\"post\" action=\"");
	mb_url(p->number, "/", url, sizeof url);
	html_text(h, url);
	html_text(h, p->doc);
	html_raw(h, "/erase\">");
	web_csrf_field(c);
	html_raw(h, "<input type=\"hidden\" name=\"confirm\" value=\"yes\">"
		 "<button class=\"danger\" type=\"submit\">Erase</button> <a href=\"");
	mb_url(p->number, "", url, sizeof url);
	html_text(h, url);
	html_raw(h, "\">Cancel</a></form></section>");
	web_page_end(c);
}

static void erased_page(struct web_ctx *c, const struct mb_path *p,
			const struct store_erase_report *rep)
{
	struct html *h = c->resp->body;
	const char *slash = strrchr(rep->cert_path, '/');
	char back[160];

	web_page_begin(c, "Fax erased");
	html_raw(h, "<section class=\"card\"><p>Fax ");
	html_text(h, p->doc);
	html_raw(h, " is erased. Erasure certificate: ");
	html_text(h, slash ? slash + 1 : rep->cert_path);
	html_raw(h, " (on the appliance in the certificates folder; check it with faxgw cert "
		 "verify).</p><p><a href=\"");
	mb_url(p->number, "", back, sizeof back);
	html_text(h, back);
	html_raw(h, "\">Back to the mailbox</a></p></section>");
	web_page_end(c);
}

void mb_doc_erase(struct web_ctx *c, const struct mb_path *p)
{
	const char *confirm = http_form_get(&c->form, "confirm");
	struct store_erase_report rep = {0};
	char pin[UNLOCK_PIN_MAX + 1], what[96];
	int rc;

	if (!mb_session_pin(c, p->number, pin))
		return;
	OPENSSL_cleanse(pin, sizeof pin);
	if (!confirm || strcmp(confirm, "yes") != 0) {
		web_error(c, 400, "Confirm the erasure on the erase page first.");
		return;
	}
	if (!held_here(c, p))
		return;
	rc = store_doc_erase(c->app->store, p->doc, NULL, &rep);
	if (rc != FGW_OK) {
		log_error("web: erasing fax %s: %s", p->doc, fgw_strerror(rc));
		web_error(c, 500, "The fax could not be erased completely; see the system log.");
		return;
	}
	if (str_format(what, sizeof what, "fax %s erased", p->doc) == FGW_OK)
		mb_audit(c, AUDIT_SECURITY, p->number, what);
	erased_page(c, p, &rep);
}
