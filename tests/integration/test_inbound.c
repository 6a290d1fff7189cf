/* The inbound fax policy end to end: a real SpanDSP sender over the
 * loopback line against a receiving endpoint driven by gateway/inbound.h,
 * into a real data directory (vault, catalog, audit log). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <spandsp.h>
#include <tiffio.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/inbound.h"
#include "gateway/line_pump.h"
#include "gateway/notify.h"
#include "storage/memfile.h"
#include "storage/store.h"
#include "storage/store_mailbox.h"
#include "tests/support/fax_harness.h"

#define MAILBOX "1234"
#define PIN "482916"
/* '#' never occurs in hex MACs, ids or times, so finding it means a leak. */
#define PASSWORD "31#41#59"
#define CALLER "0312345678"
#define SENDER_TSI "+81 3 1111 2222"
#define PAGE_FILE "tiff/asterisk-testsuite__udptl_1page.tif"

static const struct store_options low_cost = {.pin_cost = {10, 8, 1}};

struct fixture {
	char tmp[64];
	char data[128];
	struct store *s;
	struct config *cfg;
	struct notify *notify;
	bool audio;          /* G.711-style audio instead of T.38 */
	int forwards;
	char forwarded_id[CATALOG_ID_MAX + 1];
};

static void add_mailbox(struct fixture *f, const char *number, const char *pin,
			const char *password)
{
	struct catalog_mailbox mb;

	memset(&mb, 0, sizeof mb);
	cr_assert_eq(str_copy(mb.number, sizeof mb.number, number), 0);
	cr_assert_eq(str_copy(mb.name, sizeof mb.name, "legal"), 0);
	cr_assert_eq(store_mailbox_seal(f->s, &mb, pin), 0);
	cr_assert_eq(store_mailbox_set_password(f->s, &mb, password), 0);
	cr_assert_eq(catalog_mailbox_create(store_catalog(f->s), &mb), 0);
}

static void config_problem(void *arg, const char *msg)
{
	(void)arg;
	cr_log_error("%s", msg);
}

/* ini: extra config lines ("" for the defaults). */
static void fx_open(struct fixture *f, const char *ini)
{
	char path[160];
	FILE *fp;

	memset(f, 0, sizeof *f);
	make_temp_dir(f->tmp);
	cr_assert_eq(str_format(f->data, sizeof f->data, "%s/data", f->tmp), 0);
	cr_assert_eq(store_init(f->data), 0);
	cr_assert_eq(store_open(f->data, &low_cost, &f->s), 0);
	cr_assert_eq(str_format(path, sizeof path, "%s/faxgw.ini", f->tmp), 0);
	cr_assert_not_null(fp = fopen(path, "w"));
	cr_assert_geq(fputs(ini, fp), 0);
	cr_assert_eq(fclose(fp), 0);
	cr_assert_eq(config_load(path, config_problem, NULL, &f->cfg), 0, "config %s", ini);
	add_mailbox(f, MAILBOX, PIN, PASSWORD);
}

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];
	struct stat st;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (str_format(path, sizeof path, "%s/%s", dir, e->d_name) != 0)
			continue;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(path);
		else
			(void)unlink(path);
	}
	closedir(d);
	(void)rmdir(dir);
}

static void fx_close(struct fixture *f)
{
	notify_free(f->notify);
	config_free(f->cfg);
	cr_assert_eq(store_close(f->s), 0);
	remove_tree(f->tmp);
}

/* ---- one call ------------------------------------------------------------ */

struct call {
	struct inbound *in;
	int rx_pages;
	struct fax_result rx, tx;
	int finish_rc;
	int finishes;
};

static enum fax_decision on_decide(void *user, const struct fax_phase_b *info)
{
	struct call *c = user;

	return inbound_decide(c->in, info);
}

static void on_page(void *user, const struct fax_page *page)
{
	struct call *c = user;

	(void)page;
	c->rx_pages++;
}

/* As the daemon does: finish from the endpoint's done event (SpanDSP has
 * closed the TIFF by then). */
static void on_done(void *user, const struct fax_result *res)
{
	struct call *c = user;

	c->rx = *res;
	c->finish_rc = inbound_finish(c->in, res);
	c->finishes++;
}

static int on_forward(void *arg, const char *doc_id, const struct catalog_document *doc)
{
	struct fixture *f = arg;

	cr_expect_str_eq(doc->id, doc_id);
	cr_expect_str_eq(doc->mailbox, "");
	f->forwards++;
	return str_copy(f->forwarded_id, sizeof f->forwarded_id, doc_id);
}

static void endpoint(struct fax_options *o, enum fax_role role, struct line *l, bool audio)
{
	fax_options_init(o);
	o->role = role;
	o->transport = audio ? FAX_AUDIO : FAX_T38;
	o->t38_out = line_pump_t38_out;
	o->t38_user = l;
}

/* Pumps until both are done; with hang_up_after > 0 the sender hangs up
 * once the receiver has that many pages. */
static void pump(struct fax_endpoint *tx, struct line *la, struct fax_endpoint *rx,
		 struct line *lb, struct call *c, int hang_up_after)
{
	if (hang_up_after > 0) {
		for (int i = 0; i < 600 * 50 && c->rx_pages < hang_up_after; i++)
			cr_assert_eq(line_pump_step(tx, la, rx, lb), 0);
		cr_assert_eq(c->rx_pages, hang_up_after, "pages never arrived");
		fax_endpoint_abort(tx);
	}
	cr_assert_eq(line_pump_run(tx, la, rx, lb, 600, NULL), 0, "call did not end");
}

/* Sends file with sub/sid (may be NULL) into an inbound call; leaves the
 * struct inbound in c->in for the caller to inspect and free. */
static void run_call_opt(struct fixture *f, const char *file, const char *sub,
			 const char *sid, struct call *c, int hang_up_after)
{
	static const struct fax_events rx_ev = {.decide = on_decide, .page = on_page,
						.done = on_done};
	const struct inbound_env env = {.store = f->s, .cfg = f->cfg, .notify = f->notify,
					.forward = on_forward, .forward_arg = f};
	struct line_loopback_options lo;
	struct fax_endpoint *tx, *rx;
	struct line *la, *lb;
	struct fax_options o;

	memset(c, 0, sizeof *c);
	cr_assert_eq(inbound_begin(&env, CALLER, "trunk-1", &c->in), 0);
	line_loopback_options_init(&lo);
	cr_assert_eq(line_loopback_new(&lo, &la, &lb), 0);
	endpoint(&o, FAX_SEND, la, f->audio);
	o.file = file;
	o.local_ident = SENDER_TSI;
	o.sub = sub;
	o.sid = sid;
	cr_assert_eq(fax_endpoint_new(&o, &tx), 0);
	endpoint(&o, FAX_RECEIVE, lb, f->audio);
	o.file = inbound_rx_path(c->in);
	o.local_ident = "+81 6 3333 4444";
	o.events = &rx_ev;
	o.user = c;
	cr_assert_eq(fax_endpoint_new(&o, &rx), 0);
	pump(tx, la, rx, lb, c, hang_up_after);
	cr_assert_eq(fax_endpoint_result(tx, &c->tx), 0);
	fax_endpoint_free(tx);
	fax_endpoint_free(rx);
	line_free(la);
	line_free(lb);
	cr_assert_eq(c->finishes, 1, "inbound_finish ran %d times", c->finishes);
}

static void run_call(struct fixture *f, const char *file, const char *sub, const char *sid,
		     struct call *c)
{
	run_call_opt(f, file, sub, sid, c, 0);
}

/* ---- checking the results ------------------------------------------------ */

/* Decrypts document id (pin may be NULL) and compares it with sent. */
static void expect_same_pages(struct fixture *f, const char *id, const char *pin,
			      const char *sent)
{
	struct vault_reader *r = NULL;
	char path[MEMFILE_PATH_MAX], msg[256] = "";
	int fd = memfile_create("test-decrypted");

	cr_assert_geq(fd, 0);
	cr_assert_eq(memfile_path(fd, path), 0);
	cr_assert_eq(store_doc_open(f->s, id, pin, &r), 0);
	cr_assert_eq(vault_reader_next_page(r, NULL), 1);
	cr_assert_eq(vault_reader_page_to_fd(r, fd), 0);
	cr_assert_eq(vault_reader_next_page(r, NULL), 0, "one vault page per document");
	vault_reader_close(r);
	cr_expect_eq(tiff_compare(sent, path, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(memfile_wipe_close(fd), 0);
}

struct audit_count {
	int fax_records;
	char type[32];
	char field[16][2][128];
	int nfield;
};

static int count_record(const struct audit_record *rec, void *arg)
{
	struct audit_count *ac = arg;

	if (strncmp(rec->type, "fax_", 4) != 0)
		return 0;
	ac->fax_records++;
	cr_assert_eq(str_copy(ac->type, sizeof ac->type, rec->type), 0);
	ac->nfield = 0;
	for (size_t i = 0; i < rec->nfields && i < 16; i++, ac->nfield++) {
		cr_assert_eq(str_copy(ac->field[i][0], 128, rec->fields[i].key), 0);
		cr_assert_eq(str_copy(ac->field[i][1], 128, rec->fields[i].value), 0);
	}
	return 0;
}

static const char *field(const struct audit_count *ac, const char *key)
{
	for (int i = 0; i < ac->nfield; i++)
		if (strcmp(ac->field[i][0], key) == 0)
			return ac->field[i][1];
	cr_assert_fail("audit record has no field %s", key);
	return NULL;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(fp, "%s", path);
	cr_assert_eq(fseek(fp, 0, SEEK_END), 0);
	cr_assert_geq(n = ftell(fp), 0);
	cr_assert_eq(fseek(fp, 0, SEEK_SET), 0);
	cr_assert_not_null(buf = malloc((size_t)n + 1));
	cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	cr_assert_eq(fclose(fp), 0);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* Exactly one fax record since the fixture opened (fx_open writes none),
 * the log verifies against the catalog head, and no password is in it. */
static void expect_one_audit(struct fixture *f, const char *type, const char *result_prefix,
			     const char *mailbox, const char *doc_id, const char *sub,
			     struct audit_count *ac)
{
	char path[192];
	uint8_t key[KEYS_LEN];
	struct catalog_audit_head head;
	struct audit_verify_result vr;
	size_t len;
	char *log;

	memset(ac, 0, sizeof *ac);
	cr_assert_eq(str_format(path, sizeof path, "%s/%s", f->data, STORE_AUDIT_FILE), 0);
	cr_assert_eq(audit_read_file(path, count_record, ac, NULL), 0);
	cr_assert_eq(ac->fax_records, 1);
	cr_expect_str_eq(ac->type, type);
	cr_expect_str_eq(field(ac, "direction"), "in");
	cr_expect_str_eq(field(ac, "remote_number"), CALLER);
	cr_expect_str_eq(field(ac, "remote_ident"), SENDER_TSI);
	cr_expect_str_eq(field(ac, "mailbox"), mailbox);
	cr_expect_str_eq(field(ac, "document"), doc_id);
	cr_expect_str_eq(field(ac, "sub"), sub);
	cr_expect(strncmp(field(ac, "result"), result_prefix, strlen(result_prefix)) == 0,
		  "result %s", field(ac, "result"));
	(void)field(ac, "duration_ms");
	(void)field(ac, "bit_rate");
	(void)field(ac, "pages");
	cr_assert_eq(keys_derive(store_keys(f->s), KEYS_PURPOSE_AUDIT_MAC, key), 0);
	cr_assert_eq(catalog_audit_head_get(store_catalog(f->s), &head), 0);
	cr_expect_eq(audit_verify_file(path, key, &head, &vr), 0, "%s", vr.detail);
	log = read_all(path, &len);
	cr_expect_null(strstr(log, PASSWORD), "the password is in the audit log");
	cr_expect_null(strstr(log, PIN), "the PIN is in the audit log");
	free(log);
}

static void get_doc(struct fixture *f, const char *id, struct catalog_document *doc)
{
	cr_assert_eq(catalog_document_get(store_catalog(f->s), id, doc), 0);
}

/* Takes 48 bytes from the middle of the first strip of the received TIFF
 * (as decrypted) as a marker of the page's plaintext. */
static void plaintext_marker(struct fixture *f, const char *id, uint8_t marker[48])
{
	struct vault_reader *r = NULL;
	char path[MEMFILE_PATH_MAX];
	int fd = memfile_create("test-marker");
	uint8_t *strip;
	tmsize_t n;
	TIFF *t;

	cr_assert_geq(fd, 0);
	cr_assert_eq(memfile_path(fd, path), 0);
	cr_assert_eq(store_doc_open(f->s, id, PIN, &r), 0);
	cr_assert_eq(vault_reader_next_page(r, NULL), 1);
	cr_assert_eq(vault_reader_page_to_fd(r, fd), 0);
	vault_reader_close(r);
	cr_assert_not_null(t = TIFFOpen(path, "r"));
	n = TIFFRawStripSize(t, 0);
	cr_assert_gt(n, 1000);
	cr_assert_not_null(strip = malloc((size_t)n));
	cr_assert_eq(TIFFReadRawStrip(t, 0, strip, n), n);
	memcpy(marker, strip + n / 2, 48);
	free(strip);
	TIFFClose(t);
	cr_assert_eq(memfile_wipe_close(fd), 0);
}

/* Fails when any file below dir holds the marker. */
static void expect_not_in_files(const char *dir, const uint8_t marker[48])
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];
	struct stat st;

	cr_assert_not_null(d, "%s", dir);
	while ((e = readdir(d)) != NULL) {
		size_t len;
		char *buf;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		cr_assert_eq(str_format(path, sizeof path, "%s/%s", dir, e->d_name), 0);
		cr_assert_eq(lstat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			expect_not_in_files(path, marker);
			continue;
		}
		buf = read_all(path, &len);
		cr_expect_null(memmem(buf, len, marker, 48), "page plaintext found in %s", path);
		free(buf);
	}
	closedir(d);
}

static long long doc_count(struct fixture *f)
{
	return catalog_document_count(store_catalog(f->s), NULL);
}

/* ---- (1) confidential fax -------------------------------------------------- */

Test(inbound, confidential_fax_with_right_password_is_held_under_the_mailbox_key)
{
	const char *file = testdata(PAGE_FILE);
	struct catalog_document doc;
	struct vault_reader *r = NULL;
	struct audit_count ac;
	uint8_t marker[48];
	struct fixture f;
	struct call c;

	fx_open(&f, "");
	run_call(&f, file, MAILBOX, PASSWORD, &c);
	cr_assert_eq(c.rx.err, 0, "receiver: %s", c.rx.t30_text);
	cr_assert_eq(c.tx.err, 0, "sender: %s", c.tx.t30_text);
	cr_assert_eq(c.finish_rc, 0);
	cr_expect_eq(inbound_decision(c.in), FAX_ACCEPT);
	cr_expect_str_eq(inbound_mailbox(c.in), MAILBOX);
	cr_assert_eq(strlen(inbound_document_id(c.in)), VAULT_ID_LEN);
	get_doc(&f, inbound_document_id(c.in), &doc);
	cr_expect_str_eq(doc.mailbox, MAILBOX);
	cr_expect_eq(doc.direction, CATALOG_DIR_IN);
	cr_expect_eq(doc.state, CATALOG_DOC_HELD);
	cr_expect_eq(doc.pages, 1);
	cr_expect_str_eq(doc.remote_number, CALLER);
	cr_expect_str_eq(doc.remote_ident, SENDER_TSI);
	cr_expect_str_eq(doc.sub, MAILBOX);
	cr_expect_eq(store_doc_open(f.s, doc.id, NULL, &r), FGW_ERR_INVALID);
	cr_expect_eq(store_doc_open(f.s, doc.id, "000000", &r), FGW_ERR_BAD_PIN);
	expect_same_pages(&f, doc.id, PIN, file);
	cr_expect_not(inbound_forwarded(c.in), "a confidential fax was forwarded");
	expect_one_audit(&f, "fax_received", "ok", MAILBOX, doc.id, MAILBOX, &ac);
	cr_expect_str_eq(field(&ac, "pages"), "1");
	plaintext_marker(&f, doc.id, marker);
	expect_not_in_files(f.data, marker);
	inbound_free(c.in);
	fx_close(&f);
}

Test(inbound, confidential_fax_over_audio_is_held_and_decrypts_with_the_pin)
{
	const char *file = testdata(PAGE_FILE);
	struct catalog_document doc;
	struct fixture f;
	struct call c;

	fx_open(&f, "");
	f.audio = true;
	run_call(&f, file, MAILBOX, PASSWORD, &c);
	cr_assert_eq(c.rx.err, 0, "receiver: %s", c.rx.t30_text);
	get_doc(&f, inbound_document_id(c.in), &doc);
	cr_expect_str_eq(doc.mailbox, MAILBOX);
	expect_same_pages(&f, doc.id, PIN, file);
	inbound_free(c.in);
	fx_close(&f);
}

/* ---- (2) wrong password ------------------------------------------------------ */

Test(inbound, wrong_password_is_rejected_with_the_pwd_cause_and_nothing_stored)
{
	struct audit_count ac;
	struct fixture f;
	struct call c;

	fx_open(&f, "");
	run_call(&f, testdata(PAGE_FILE), MAILBOX, "31#41#58", &c);
	cr_expect_eq(c.rx.err, FGW_ERR_FAX_REJECTED);
	cr_expect_eq(c.rx.t30_code, T30_ERR_PWD_UNACCEPTABLE, "receiver: %s", c.rx.t30_text);
	cr_expect_neq(c.tx.err, 0, "the sender's call succeeded");
	cr_expect_eq(c.tx.stats.pages_tx, 0);
	cr_expect_eq(c.finish_rc, 0);
	cr_expect_eq(inbound_decision(c.in), FAX_REJECT_PWD);
	cr_expect_str_eq(inbound_document_id(c.in), "");
	cr_expect_eq(doc_count(&f), 0);
	expect_one_audit(&f, "fax_failed", "rejected: wrong F-code password", MAILBOX, "",
			 MAILBOX, &ac);
	inbound_free(c.in);
	fx_close(&f);
}

Test(inbound, missing_password_is_rejected)
{
	struct fixture f;
	struct call c;

	fx_open(&f, "");
	run_call(&f, testdata(PAGE_FILE), MAILBOX, NULL, &c);
	cr_expect_eq(c.rx.t30_code, T30_ERR_PWD_UNACCEPTABLE, "receiver: %s", c.rx.t30_text);
	cr_expect_eq(doc_count(&f), 0);
	inbound_free(c.in);
	fx_close(&f);
}

Test(inbound, mailbox_without_password_takes_any_sender)
{
	struct catalog_document doc;
	struct fixture f;
	struct call c;

	fx_open(&f, "");
	add_mailbox(&f, "5678", "135790", NULL);
	run_call(&f, testdata(PAGE_FILE), "5678", NULL, &c);
	cr_assert_eq(c.rx.err, 0, "receiver: %s", c.rx.t30_text);
	get_doc(&f, inbound_document_id(c.in), &doc);
	cr_expect_str_eq(doc.mailbox, "5678");
	inbound_free(c.in);
	fx_close(&f);
}

/* ---- (3) unknown SUB ------------------------------------------------------- */

Test(inbound, unknown_sub_is_rejected_by_default)
{
	struct audit_count ac;
	struct fixture f;
	struct call c;

	fx_open(&f, "");
	run_call(&f, testdata(PAGE_FILE), "9999", PASSWORD, &c);
	cr_expect_eq(c.rx.t30_code, T30_ERR_SUB_UNACCEPTABLE, "receiver: %s", c.rx.t30_text);
	cr_expect_neq(c.tx.err, 0);
	cr_expect_eq(inbound_decision(c.in), FAX_REJECT_SUB);
	cr_expect_eq(doc_count(&f), 0);
	expect_one_audit(&f, "fax_failed", "rejected: unknown F-code", "", "", "9999", &ac);
	inbound_free(c.in);
	fx_close(&f);
}

Test(inbound, unknown_sub_goes_to_the_general_inbox_when_configured)
{
	struct catalog_document doc;
	struct audit_count ac;
	struct fixture f;
	struct call c;

	fx_open(&f, "[inbound]\nunknown_sub = inbox\n");
	run_call(&f, testdata(PAGE_FILE), "9999", NULL, &c);
	cr_assert_eq(c.rx.err, 0, "receiver: %s", c.rx.t30_text);
	get_doc(&f, inbound_document_id(c.in), &doc);
	cr_expect_str_eq(doc.mailbox, "");
	cr_expect_str_eq(doc.sub, "9999");
	expect_same_pages(&f, doc.id, NULL, testdata(PAGE_FILE));
	expect_one_audit(&f, "fax_received", "ok", "", doc.id, "9999", &ac);
	inbound_free(c.in);
	fx_close(&f);
}

/* ---- (4) no SUB ---------------------------------------------------------------- */

Test(inbound, no_sub_goes_to_the_general_inbox_readable_without_pin)
{
	const char *file = testdata(PAGE_FILE);
	struct catalog_document doc;
	struct audit_count ac;
	struct fixture f;
	struct call c;

	fx_open(&f, "");
	run_call(&f, file, NULL, NULL, &c);
	cr_assert_eq(c.rx.err, 0, "receiver: %s", c.rx.t30_text);
	cr_assert_eq(c.finish_rc, 0);
	get_doc(&f, inbound_document_id(c.in), &doc);
	cr_expect_str_eq(doc.mailbox, "");
	cr_expect_str_eq(doc.sub, "");
	cr_expect_eq(doc.pages, 1);
	expect_same_pages(&f, doc.id, NULL, file);
	cr_expect_not(inbound_forwarded(c.in), "forwarded while forwarding is off");
	cr_expect_eq(f.forwards, 0);
	expect_one_audit(&f, "fax_received", "ok", "", doc.id, "", &ac);
	inbound_free(c.in);
	fx_close(&f);
}

Test(inbound, general_inbox_fax_is_forwarded_when_configured)
{
	struct fixture f;
	struct call c;

	fx_open(&f, "[inbound]\nforward_inbox_to_device = yes\n");
	run_call(&f, testdata(PAGE_FILE), NULL, NULL, &c);
	cr_assert_eq(c.rx.err, 0, "receiver: %s", c.rx.t30_text);
	cr_expect(inbound_forwarded(c.in));
	cr_expect_eq(f.forwards, 1);
	cr_expect_str_eq(f.forwarded_id, inbound_document_id(c.in));
	inbound_free(c.in);
	/* A confidential one is not. */
	run_call(&f, testdata(PAGE_FILE), MAILBOX, PASSWORD, &c);
	cr_assert_eq(c.rx.err, 0, "receiver: %s", c.rx.t30_text);
	cr_expect_not(inbound_forwarded(c.in));
	cr_expect_eq(f.forwards, 1);
	inbound_free(c.in);
	fx_close(&f);
}

/* ---- partial reception ---------------------------------------------------- */

Test(inbound, partial_reception_keeps_the_pages_that_arrived_and_says_partial)
{
	struct catalog_document doc;
	struct vault_reader *r = NULL;
	struct audit_count ac;
	struct fixture f;
	struct call c;
	char path[MEMFILE_PATH_MAX];
	int fd;

	fx_open(&f, "");
	run_call_opt(&f, testdata("itu/itutests_mmr.tif"), MAILBOX, PASSWORD, &c, 2);
	cr_expect_neq(c.rx.err, 0, "the call was cut, yet: %s", c.rx.t30_text);
	cr_assert_eq(c.finish_rc, 0);
	cr_assert_eq(strlen(inbound_document_id(c.in)), VAULT_ID_LEN, "nothing kept");
	get_doc(&f, inbound_document_id(c.in), &doc);
	cr_expect_eq(doc.pages, 2);
	cr_expect_eq(doc.state, CATALOG_DOC_HELD);
	expect_one_audit(&f, "fax_received", "partial: ", MAILBOX, doc.id, MAILBOX, &ac);
	cr_expect_str_eq(field(&ac, "pages"), "2");
	/* What arrived opens as a 2-page TIFF. */
	cr_assert_geq(fd = memfile_create("test-partial"), 0);
	cr_assert_eq(memfile_path(fd, path), 0);
	cr_assert_eq(store_doc_open(f.s, doc.id, PIN, &r), 0);
	cr_assert_eq(vault_reader_next_page(r, NULL), 1);
	cr_assert_eq(vault_reader_page_to_fd(r, fd), 0);
	vault_reader_close(r);
	cr_expect_eq(tiff_pages(path), 2);
	cr_assert_eq(memfile_wipe_close(fd), 0);
	inbound_free(c.in);
	fx_close(&f);
}

/* ---- API edges ------------------------------------------------------------------- */

Test(inbound, finish_twice_is_a_state_error_and_free_wipes_an_unfinished_call)
{
	struct fixture f;
	struct inbound *in = NULL;
	struct fax_result res;

	fx_open(&f, "");
	const struct inbound_env env2 = {.store = f.s, .cfg = f.cfg};
	memset(&res, 0, sizeof res);
	res.err = FGW_ERR_FAX_FAILED;
	res.t30_text = "no answer";
	cr_assert_eq(inbound_begin(&env2, NULL, NULL, &in), 0);
	cr_expect_eq(strncmp(inbound_rx_path(in), "/proc/self/fd/", 14), 0);
	cr_expect_eq(inbound_finish(in, &res), 0);
	cr_expect_eq(inbound_finish(in, &res), FGW_ERR_STATE);
	inbound_free(in);
	cr_assert_eq(inbound_begin(&env2, CALLER, "trunk-1", &in), 0);
	inbound_free(in);
	fx_close(&f);
}

/* ---- (6) the notification hook ------------------------------------------------------ */

static void write_script(const char *path, const char *body)
{
	FILE *fp = fopen(path, "w");

	cr_assert_not_null(fp);
	cr_assert_geq(fputs(body, fp), 0);
	cr_assert_eq(fclose(fp), 0);
	cr_assert_eq(chmod(path, 0700), 0);
}

static void wait_hooks(struct notify *n)
{
	const struct timespec tick = {0, 20 * 1000 * 1000};

	for (int i = 0; i < 500 && notify_poll(n) > 0; i++)
		(void)nanosleep(&tick, NULL);
	cr_assert_eq(notify_running(n), 0, "the hook is still running");
}

Test(inbound, held_fax_notifies_the_owner_without_content_or_password)
{
	char script[160], out[160], body[400];
	uint8_t marker[48];
	struct fixture f;
	struct call c;
	size_t len;
	char *json;

	fx_open(&f, "");
	cr_assert_eq(str_format(script, sizeof script, "%s/hook.sh", f.tmp), 0);
	cr_assert_eq(str_format(out, sizeof out, "%s/event.json", f.tmp), 0);
	cr_assert_eq(str_format(body, sizeof body, "#!/bin/sh\ncat > '%s'\n", out), 0);
	write_script(script, body);
	cr_assert_eq(notify_new(script, 10, &f.notify), 0);
	run_call(&f, testdata(PAGE_FILE), MAILBOX, PASSWORD, &c);
	cr_assert_eq(c.rx.err, 0, "receiver: %s", c.rx.t30_text);
	wait_hooks(f.notify);
	json = read_all(out, &len);
	cr_expect_not_null(strstr(json, "\"event\":\"fax_held\""), "%s", json);
	cr_expect_not_null(strstr(json, "\"mailbox\":\"" MAILBOX "\""), "%s", json);
	cr_expect_not_null(strstr(json, "\"remote_number\":\"" CALLER "\""), "%s", json);
	cr_expect_not_null(strstr(json, "\"remote_ident\":\"" SENDER_TSI "\""), "%s", json);
	cr_expect_not_null(strstr(json, "\"pages\":1"), "%s", json);
	cr_expect_not_null(strstr(json, inbound_document_id(c.in)), "%s", json);
	cr_expect_not_null(strstr(json, "\"result\":\"ok\""), "%s", json);
	cr_expect_not_null(strstr(json, "\"time\":\""), "%s", json);
	cr_expect_null(strstr(json, PASSWORD), "password in the notification");
	cr_expect_null(strstr(json, PIN), "PIN in the notification");
	plaintext_marker(&f, inbound_document_id(c.in), marker);
	cr_expect_null(memmem(json, len, marker, sizeof marker), "page bytes in the notification");
	cr_expect_lt(len, 600, "notification unexpectedly large: %zu bytes", len);
	free(json);
	inbound_free(c.in);
	fx_close(&f);
}

Test(inbound, rejected_fax_notifies_and_a_hanging_hook_never_holds_the_fax)
{
	char script[160];
	struct fixture f;
	struct call c;
	struct timespec t0, t1;

	fx_open(&f, "");
	cr_assert_eq(str_format(script, sizeof script, "%s/hang.sh", f.tmp), 0);
	write_script(script, "#!/bin/sh\nexec sleep 60\n");
	cr_assert_eq(notify_new(script, 1, &f.notify), 0);
	run_call(&f, testdata(PAGE_FILE), MAILBOX, "wrong", &c);
	cr_expect_eq(c.finish_rc, 0);
	cr_expect_eq(notify_running(f.notify), 1, "the hook was not started");
	cr_assert_eq(clock_gettime(CLOCK_MONOTONIC, &t0), 0);
	wait_hooks(f.notify);
	cr_assert_eq(clock_gettime(CLOCK_MONOTONIC, &t1), 0);
	cr_expect_lt(t1.tv_sec - t0.tv_sec, 5, "the hanging hook was not killed at 1 s");
	inbound_free(c.in);
	fx_close(&f);
}
