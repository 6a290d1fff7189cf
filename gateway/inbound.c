/* The inbound fax policy; see inbound.h. */
#include "gateway/inbound.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "dsp/tiffdoc.h"
#include "gateway/config.h"
#include "gateway/notify.h"
#include "storage/memfile.h"
#include "storage/store.h"
#include "storage/store_mailbox.h"

#define INBOUND_LINE_MAX 64
#define INBOUND_RESULT_MAX 160

struct inbound {
	struct inbound_env env;
	int fd;                                 /* the memory file, -1 once wiped */
	char path[MEMFILE_PATH_MAX];
	char from_number[CATALOG_NUMBER_MAX + 1];
	char line[INBOUND_LINE_MAX];
	int64_t start_ms;                       /* monotonic */
	int64_t line_ms;                        /* line time if set, else -1 */
	bool decided, finished, forwarded;
	enum fax_decision decision;
	const char *why;                        /* reject reason; static text */
	char sub[CATALOG_IDENT_MAX + 1];
	char mailbox[CATALOG_NUMBER_MAX + 1];
	char remote_ident[CATALOG_IDENT_MAX + 1];
	char doc_id[VAULT_ID_LEN + 1];
	uint32_t pages;                         /* fax pages stored */
};

/* Copies an outside string into a field; a longer one keeps its prefix,
 * which is enough for routing logs and the audit record. */
static void copy_field(char *dst, size_t size, const char *src, const char *what)
{
	if (str_copy(dst, size, src != NULL ? src : "") != FGW_OK)
		log_warn("inbound: %s longer than %zu bytes, kept its start", what, size - 1);
}

int inbound_begin(const struct inbound_env *env, const char *from_number,
		  const char *line_name, struct inbound **out)
{
	struct inbound *in;

	*out = NULL;
	if (env == NULL || env->store == NULL)
		return FGW_ERR_INVALID;
	if ((in = calloc(1, sizeof *in)) == NULL)
		return FGW_ERR_NOMEM;
	in->env = *env;
	in->decision = FAX_REJECT_SUB;
	in->start_ms = clock_mono_ms();
	in->line_ms = -1;
	copy_field(in->from_number, sizeof in->from_number, from_number, "caller number");
	copy_field(in->line, sizeof in->line, line_name, "line name");
	in->fd = memfile_create("faxgw-inbound");
	if (in->fd < 0 || memfile_path(in->fd, in->path) != FGW_OK) {
		inbound_free(in);
		return FGW_ERR_IO;
	}
	*out = in;
	return FGW_OK;
}

/* ---- phase B ------------------------------------------------------------ */

static bool unknown_sub_to_inbox(const struct inbound *in)
{
	return in->env.cfg != NULL &&
	       strcmp(config_str(in->env.cfg, "inbound", "unknown_sub"), "inbox") == 0;
}

static enum fax_decision unknown_sub(struct inbound *in)
{
	if (unknown_sub_to_inbox(in)) {
		log_info("inbound %s: F-code %s names no mailbox; general inbox", in->line, in->sub);
		return FAX_ACCEPT;
	}
	in->why = "unknown F-code";
	return FAX_REJECT_SUB;
}

/* The mailbox exists: checks that it can hold documents and the password. */
static enum fax_decision to_mailbox(struct inbound *in, struct catalog_mailbox *mb,
				    const struct fax_phase_b *info)
{
	/* SpanDSP senders carry the F-code password in SID; PWD only when a
	 * far end sends a PWD frame (see dsp/fax.h). */
	const char *given = info->pwd[0] != '\0' ? info->pwd : info->sid;
	int rc;

	copy_field(in->mailbox, sizeof in->mailbox, mb->number, "mailbox");
	if (mb->pin_verifier_len == 0) {
		log_error("inbound %s: mailbox %s has no PIN, so it cannot hold faxes; "
			  "set one with faxgw mailbox set-pin %s", in->line, mb->number, mb->number);
		in->why = "mailbox without PIN";
		return FAX_REJECT_SUB;
	}
	rc = store_mailbox_check_password(in->env.store, mb, given);
	if (rc == FGW_OK)
		return FAX_ACCEPT;
	if (rc != FGW_ERR_BAD_PASSWORD)
		log_error("inbound %s: mailbox %s password check failed: %s", in->line,
			  mb->number, fgw_strerror(rc));
	in->why = "wrong F-code password";
	return FAX_REJECT_PWD;
}

static enum fax_decision route(struct inbound *in, const struct fax_phase_b *info)
{
	struct catalog_mailbox mb;
	enum fax_decision d;
	int rc;

	if (in->sub[0] == '\0')
		return FAX_ACCEPT;
	rc = catalog_mailbox_get(store_catalog(in->env.store), in->sub, &mb);
	if (rc == FGW_ERR_NOT_FOUND)
		return unknown_sub(in);
	if (rc != FGW_OK) {
		log_error("inbound %s: cannot look up mailbox %s: %s", in->line, in->sub,
			  fgw_strerror(rc));
		in->why = "catalog error";
		return FAX_REJECT_SUB;
	}
	d = to_mailbox(in, &mb, info);
	OPENSSL_cleanse(&mb, sizeof mb);
	return d;
}

enum fax_decision inbound_decide(struct inbound *in, const struct fax_phase_b *info)
{
	if (in->decided)
		return in->decision;
	in->decided = true;
	copy_field(in->sub, sizeof in->sub, info->sub, "SUB");
	copy_field(in->remote_ident, sizeof in->remote_ident, info->remote_ident, "TSI");
	in->decision = route(in, info);
	if (in->decision != FAX_ACCEPT)
		log_info("inbound %s: call from %s rejected: %s", in->line,
			 in->from_number[0] != '\0' ? in->from_number : "(unknown)", in->why);
	return in->decision;
}

const char *inbound_rx_path(const struct inbound *in)
{
	return in->path;
}

/* ---- storing ------------------------------------------------------------ */

/* Counts the pages of the received TIFF in the memory file; also proves it
 * is a readable TIFF before it is kept. */
static int received_pages(struct inbound *in, uint32_t *pages)
{
	struct tiffdoc *td = NULL;
	char msg[256];
	int rc = tiffdoc_open_file(in->path, "received fax", &td, msg, sizeof msg);

	if (rc != FGW_OK) {
		log_error("inbound %s: %s", in->line, msg);
		return rc;
	}
	*pages = tiffdoc_pages(td);
	tiffdoc_close(td);
	return FGW_OK;
}

static void fill_meta(const struct inbound *in, struct catalog_document *meta)
{
	memset(meta, 0, sizeof *meta);
	meta->direction = CATALOG_DIR_IN;
	meta->state = CATALOG_DOC_RECEIVING;
	/* Each field is at least as large as ours; the copies cannot fail. */
	(void)str_copy(meta->mailbox, sizeof meta->mailbox, in->mailbox);
	(void)str_copy(meta->remote_number, sizeof meta->remote_number, in->from_number);
	(void)str_copy(meta->remote_ident, sizeof meta->remote_ident, in->remote_ident);
	(void)str_copy(meta->sub, sizeof meta->sub, in->sub);
}

/* Encrypts the whole received TIFF into the vault as one page, then sets
 * the catalog's page count to the fax pages it holds. */
static int store_received(struct inbound *in)
{
	struct catalog_document meta;
	struct store_doc *d = NULL;
	uint32_t pages = 0;
	int rc = received_pages(in, &pages);

	if (rc != FGW_OK)
		return rc;
	fill_meta(in, &meta);
	if ((rc = store_doc_create(in->env.store, &meta, &d)) != FGW_OK)
		return rc;
	if ((rc = store_doc_add_page_fd(d, in->fd)) != FGW_OK) {
		store_doc_abort(d);
		return rc;
	}
	if ((rc = store_doc_commit(d, in->doc_id)) != FGW_OK) {
		in->doc_id[0] = '\0';
		return rc;
	}
	in->pages = pages;
	return catalog_document_set_state(store_catalog(in->env.store), in->doc_id,
					  CATALOG_DOC_HELD, pages, store_now_ms());
}

/* ---- the record of the call ---------------------------------------------- */

static const char *decision_reason(const struct inbound *in)
{
	return in->why != NULL ? in->why : "refused";
}

/* result: "ok", "partial: <T.30>", "rejected: <why>", "failed: <why>". */
static void result_text(const struct inbound *in, const struct fax_result *res, int store_rc,
			char out[static INBOUND_RESULT_MAX])
{
	const char *t30 = res->t30_text != NULL ? res->t30_text : "unknown";
	int rc;

	if (in->doc_id[0] != '\0')
		rc = res->err == 0 ? str_copy(out, INBOUND_RESULT_MAX, "ok")
				   : str_format(out, INBOUND_RESULT_MAX, "partial: %s", t30);
	else if (in->decided && in->decision != FAX_ACCEPT)
		rc = str_format(out, INBOUND_RESULT_MAX, "rejected: %s", decision_reason(in));
	else if (store_rc != FGW_OK)
		rc = str_format(out, INBOUND_RESULT_MAX, "failed: not stored: %s",
				fgw_strerror(store_rc));
	else
		rc = str_format(out, INBOUND_RESULT_MAX, "failed: %s", t30);
	if (rc != FGW_OK)
		log_debug("inbound: result text shortened");
}

/* Pages stored, or those the endpoint saw when nothing was stored. */
static int64_t call_pages(const struct inbound *in, const struct fax_result *res)
{
	return in->doc_id[0] != '\0' ? (int64_t)in->pages : (int64_t)res->stats.pages_rx;
}

static int audit_call(struct inbound *in, const struct fax_result *res, const char *result)
{
	const char *ident = in->remote_ident[0] != '\0' ? in->remote_ident : res->remote_ident;
	struct audit_fax fax = {
		.direction = "in",
		.remote_number = in->from_number,
		.remote_ident = ident,
		.sub = in->sub,
		.mailbox = in->mailbox,
		.document = in->doc_id,
		.pages = call_pages(in, res),
		.duration_ms = in->line_ms >= 0 ? in->line_ms : clock_mono_ms() - in->start_ms,
		.bit_rate = res->stats.bit_rate,
		.result = result,
	};
	struct audit *a = store_audit(in->env.store);
	int rc = audit_fax(a, in->doc_id[0] != '\0' ? AUDIT_FAX_RECEIVED : AUDIT_FAX_FAILED,
			   &fax, NULL);

	if (rc == FGW_OK)
		rc = audit_sync(a, NULL);
	if (rc != FGW_OK)
		log_error("inbound %s: audit record not written: %s", in->line, fgw_strerror(rc));
	return rc;
}

static const char *event_name(const struct inbound *in)
{
	if (in->doc_id[0] != '\0')
		return in->mailbox[0] != '\0' ? "fax_held" : "fax_received";
	return in->decided && in->decision != FAX_ACCEPT ? "fax_rejected" : "fax_failed";
}

static void notify_call(struct inbound *in, const struct fax_result *res, const char *result)
{
	struct notify_event ev = {
		.event = event_name(in),
		.mailbox = in->mailbox,
		.remote_number = in->from_number,
		.remote_ident = in->remote_ident[0] != '\0' ? in->remote_ident : res->remote_ident,
		.pages = call_pages(in, res),
		.document = in->doc_id,
		.result = result,
	};
	int rc;

	if (in->env.notify == NULL)
		return;
	if ((rc = notify_spawn(in->env.notify, &ev)) != FGW_OK)
		log_warn("inbound %s: notification not started: %s", in->line, fgw_strerror(rc));
}

static void forward_doc(struct inbound *in)
{
	struct catalog_document doc;
	int rc;

	if (in->doc_id[0] == '\0' || in->mailbox[0] != '\0' || in->env.cfg == NULL ||
	    !config_bool(in->env.cfg, "inbound", "forward_inbox_to_device"))
		return;
	if (in->env.forward == NULL) {
		log_warn("inbound %s: forward_inbox_to_device is set but nothing forwards; "
			 "document %s stays in the inbox", in->line, in->doc_id);
		return;
	}
	rc = catalog_document_get(store_catalog(in->env.store), in->doc_id, &doc);
	if (rc == FGW_OK)
		rc = in->env.forward(in->env.forward_arg, in->doc_id, &doc);
	OPENSSL_cleanse(&doc, sizeof doc);
	if (rc == FGW_OK)
		in->forwarded = true;
	else
		log_warn("inbound %s: document %s not forwarded to the device: %s", in->line,
			 in->doc_id, fgw_strerror(rc));
}

void inbound_set_line_time(struct inbound *in, int64_t ms)
{
	in->line_ms = ms;
}

int inbound_finish(struct inbound *in, const struct fax_result *res)
{
	char result[INBOUND_RESULT_MAX] = "";
	int store_rc = FGW_OK, rc;

	if (in->finished)
		return FGW_ERR_STATE;
	in->finished = true;
	if (in->decided && in->decision == FAX_ACCEPT && res->stats.pages_rx > 0)
		store_rc = store_received(in);
	if (store_rc != FGW_OK)
		log_error("inbound %s: received fax not stored: %s", in->line,
			  fgw_strerror(store_rc));
	if (in->fd >= 0 && memfile_wipe_close(in->fd) != FGW_OK)
		log_error("inbound %s: could not wipe the received pages in memory", in->line);
	in->fd = -1;
	result_text(in, res, store_rc, result);
	rc = audit_call(in, res, result);
	notify_call(in, res, result);
	forward_doc(in);
	return store_rc != FGW_OK ? store_rc : rc;
}

const char *inbound_document_id(const struct inbound *in)
{
	return in->doc_id;
}

enum fax_decision inbound_decision(const struct inbound *in)
{
	return in->decision;
}

const char *inbound_mailbox(const struct inbound *in)
{
	return in->mailbox;
}

bool inbound_forwarded(const struct inbound *in)
{
	return in->forwarded;
}

void inbound_free(struct inbound *in)
{
	if (in == NULL)
		return;
	if (in->fd >= 0 && memfile_wipe_close(in->fd) != FGW_OK)
		log_error("inbound: could not wipe the received pages in memory");
	OPENSSL_cleanse(in, sizeof *in);
	free(in);
}
