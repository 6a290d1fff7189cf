/* faxgw send / faxgw jobs on a real data directory: TIFF, PDF (made by
 * Ghostscript here from a tiny PostScript) and PNG (made by libpng here)
 * are stored fax-ready and queued; a mismatch or a refused number stores
 * nothing and is audited; jobs lists (also as JSON) and cancels. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "dsp/tiffdoc.h"
#include "gateway/commands.h"
#include "gateway/queue.h"
#include "storage/memfile.h"
#include "storage/store.h"
#include "tests/support/fax_harness.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)
#define ONE_PAGE "tiff/asterisk-testsuite__udptl_1page.tif"

static char tmp[64], data[128], outpath[128];

static void setup(void)
{
	log_init("test_send_cli", true, LOG_LEVEL_ERROR);
	make_temp_dir(tmp);
	cr_assert_eq(str_format(data, sizeof data, "%s/data", tmp), 0);
	cr_assert_eq(str_format(outpath, sizeof outpath, "%s/stdout.txt", tmp), 0);
	cr_assert_eq(store_init(data), 0);
}

static void teardown(void)
{
	char cmd[200];

	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmp), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(send_cli, .init = setup, .fini = teardown, .timeout = 120);

/* Runs a command with stdout captured into buf; returns its status. */
static int run(int (*cmd)(int, char **), char **argv, int argc, char *buf, size_t size)
{
	int saved, fd, rc;
	ssize_t n;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(outpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(saved, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	rc = cmd(argc, argv);
	fflush(stdout);
	cr_assert_eq(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	n = pread(fd, buf, size - 1, 0);
	close(fd);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
	return rc;
}

static int send_file(const char *to, const char *confirm, const char *file, char *out,
		     size_t size)
{
	char *argv[] = { "send", "--to", (char *)to, "--confirm-to", (char *)confirm, "--data",
			 data, (char *)file, NULL };

	return run(cmd_send, argv, ARGC(argv), out, size);
}

/* Checks out is one job id line; returns the id in id. */
static void expect_job_id(const char *out, char id[static QUEUE_ID_LEN + 1])
{
	cr_assert_eq(strlen(out), QUEUE_ID_LEN + 1, "stdout: %s", out);
	cr_assert_eq(out[QUEUE_ID_LEN], '\n');
	cr_assert_eq(strspn(out, "0123456789abcdef"), QUEUE_ID_LEN, "%s", out);
	memcpy(id, out, QUEUE_ID_LEN);
	id[QUEUE_ID_LEN] = '\0';
}

/* Opens the store, reads job id and decrypts its document into a memfd;
 * returns the fd (caller wipes) and the catalog's page count. */
static int fetch_document(const char *id, uint32_t *pages, char *state, size_t state_size)
{
	struct store *s;
	struct queue *q;
	struct queue_config qc;
	struct catalog_outjob job;
	struct catalog_document doc;
	struct vault_reader *r;
	int fd = memfile_create("back");

	cr_assert_geq(fd, 0);
	cr_assert_eq(store_open(data, NULL, &s), 0);
	queue_config_init(&qc);
	cr_assert_eq(queue_open(s, &qc, NULL, NULL, &q), 0);
	cr_assert_eq(queue_get(q, id, &job), 0);
	cr_assert_str_eq(job.origin, "local");
	cr_assert_eq(str_copy(state, state_size, job.job.state), 0);
	cr_assert_eq(catalog_document_get(store_catalog(s), job.job.document, &doc), 0);
	*pages = doc.pages;
	cr_assert_eq(doc.direction, CATALOG_DIR_OUT);
	cr_assert_eq(store_doc_open(s, job.job.document, NULL, &r), 0);
	cr_assert_eq(vault_reader_next_page(r, NULL), 1);
	cr_assert_eq(vault_reader_page_to_fd(r, fd), 0);
	vault_reader_close(r);
	queue_close(q);
	cr_assert_eq(store_close(s), 0);
	return fd;
}

/* The stored TIFF is fax-ready: every page 1728 wide, bilevel. */
static void expect_fax_ready(int fd, unsigned pages)
{
	char path[MEMFILE_PATH_MAX], msg[300];
	struct tiffdoc *doc;
	struct tiffdoc_page_info info;
	bool ready = false;

	cr_assert_eq(memfile_path(fd, path), 0);
	cr_assert_eq(tiffdoc_open_file(path, "stored", &doc, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(tiffdoc_check(doc, &ready, msg, sizeof msg), 0, "%s", msg);
	cr_assert(ready, "%s", msg);
	cr_assert_eq(tiffdoc_pages(doc), pages);
	cr_assert_eq(tiffdoc_page_info(doc, 0, &info, msg, sizeof msg), 0);
	cr_assert_eq(info.width, TIFFDOC_FAX_WIDTH);
	tiffdoc_close(doc);
}

static long long documents(void)
{
	struct store *s;
	long long n;

	cr_assert_eq(store_open(data, NULL, &s), 0);
	n = catalog_document_count(store_catalog(s), NULL);
	cr_assert_eq(store_close(s), 0);
	return n;
}

static bool audit_has(const char *needle)
{
	char path[200], buf[65536];
	FILE *f;
	size_t n;

	cr_assert_eq(str_format(path, sizeof path, "%s/audit.log", data), 0);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

Test(send_cli, tiff_is_stored_as_sent_and_queued)
{
	char out[256], id[QUEUE_ID_LEN + 1], state[32], path[MEMFILE_PATH_MAX], msg[200];
	uint32_t pages = 0;
	int fd;

	cr_assert_eq(send_file("03-1234-5678", "0312345678", testdata(ONE_PAGE), out, sizeof out),
		     0);
	expect_job_id(out, id);
	fd = fetch_document(id, &pages, state, sizeof state);
	cr_assert_str_eq(state, "queued");
	cr_assert_eq(pages, 1);
	cr_assert_eq(memfile_path(fd, path), 0);
	cr_assert_eq(tiff_compare(path, testdata(ONE_PAGE), msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(memfile_wipe_close(fd), 0);
}

Test(send_cli, pdf_is_rendered_by_ghostscript_into_fax_pages)
{
	char ps[160], pdf[160], cmd[600], out[256], id[QUEUE_ID_LEN + 1], state[32];
	uint32_t pages = 0;
	FILE *f;
	int fd;

	cr_assert_eq(str_format(ps, sizeof ps, "%s/two.ps", tmp), 0);
	cr_assert_eq(str_format(pdf, sizeof pdf, "%s/doc.bin", tmp), 0);  /* name says nothing */
	f = fopen(ps, "w");
	cr_assert_not_null(f);
	fprintf(f, "%%!PS\n/Helvetica findfont 36 scalefont setfont\n"
		   "72 700 moveto (Page one) show showpage\n"
		   "72 700 moveto (Page two) show 72 100 moveto 400 0 rlineto stroke showpage\n");
	fclose(f);
	cr_assert_eq(str_format(cmd, sizeof cmd, "gs -q -dSAFER -dBATCH -dNOPAUSE "
			"-sDEVICE=pdfwrite -sOutputFile='%s' '%s'", pdf, ps), 0);
	cr_assert_eq(system(cmd), 0, "ghostscript makes the test PDF");
	cr_assert_eq(send_file("0312345678", "03-1234-5678", pdf, out, sizeof out), 0);
	expect_job_id(out, id);
	fd = fetch_document(id, &pages, state, sizeof state);
	cr_assert_eq(pages, 2);
	expect_fax_ready(fd, 2);
	cr_assert_eq(memfile_wipe_close(fd), 0);
}

Test(send_cli, png_is_read_by_content_and_converted)
{
	char png[160], out[256], id[QUEUE_ID_LEN + 1], state[32];
	static uint8_t px[300 * 400];
	png_image img;
	uint32_t pages = 0;
	int fd;

	memset(px, 255, sizeof px);
	for (int y = 100; y < 200; y++)
		memset(px + y * 300 + 50, 0, 200);          /* a black bar */
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = 300;
	img.height = 400;
	img.format = PNG_FORMAT_GRAY;
	cr_assert_eq(str_format(png, sizeof png, "%s/scan.tif", tmp), 0);  /* misleading name */
	cr_assert(png_image_write_to_file(&img, png, 0, px, 0, NULL), "%s", img.message);
	cr_assert_eq(send_file("0312345678", "0312345678", png, out, sizeof out), 0);
	expect_job_id(out, id);
	fd = fetch_document(id, &pages, state, sizeof state);
	cr_assert_eq(pages, 1);
	expect_fax_ready(fd, 1);
	cr_assert_eq(memfile_wipe_close(fd), 0);
}

Test(send_cli, different_numbers_are_refused_audited_and_nothing_is_stored)
{
	char out[256];

	cr_assert_eq(send_file("03-1234-5678", "03-1234-5687", testdata(ONE_PAGE), out,
			       sizeof out), 1);
	cr_assert_str_eq(out, "");
	cr_assert_eq(documents(), 0);
	cr_assert(audit_has("\"type\":\"dial_mismatch\""));
	cr_assert(audit_has("\"second\":\"03-1234-5687\""));
}

Test(send_cli, international_is_refused_by_rule_and_audited)
{
	char out[256];

	cr_assert_eq(send_file("001-010-1-212-555-0100", "00101012125550100", testdata(ONE_PAGE),
			       out, sizeof out), 1);
	cr_assert_eq(documents(), 0);
	cr_assert(audit_has("\"type\":\"dial_denied\""));
	cr_assert(audit_has("\"rule\":\"international\""));
}

Test(send_cli, country_allowlist_in_the_config_lets_a_number_through)
{
	char ini[160], out[256], id[QUEUE_ID_LEN + 1];
	char *argv[] = { "send", "--to", "+44 20 7946 0000", "--confirm-to", "+442079460000",
			 "--data", data, "--config", ini, (char *)testdata(ONE_PAGE), NULL };
	FILE *f;

	cr_assert_eq(str_format(ini, sizeof ini, "%s/faxgw.ini", tmp), 0);
	f = fopen(ini, "w");
	cr_assert_not_null(f);
	fprintf(f, "[dialing]\ncountries = 1, 44\n");
	fclose(f);
	cr_assert_eq(run(cmd_send, argv, ARGC(argv), out, sizeof out), 0);
	expect_job_id(out, id);
}

Test(send_cli, a_file_that_is_no_document_is_refused)
{
	char txt[160], out[256];
	FILE *f;

	cr_assert_eq(str_format(txt, sizeof txt, "%s/letter.pdf", tmp), 0);
	f = fopen(txt, "w");
	cr_assert_not_null(f);
	fprintf(f, "Dear customer,\n");
	fclose(f);
	cr_assert_eq(send_file("0312345678", "0312345678", txt, out, sizeof out), 1);
	cr_assert_eq(documents(), 0);
}

Test(send_cli, usage_and_help)
{
	char out[4096];
	char *help[] = { "send", "--help", NULL };
	char *none[] = { "send", "--data", data, (char *)testdata(ONE_PAGE), NULL };
	char *jhelp[] = { "jobs", "--help", NULL };

	cr_assert_eq(run(cmd_send, help, ARGC(help), out, sizeof out), 0);
	cr_assert_not_null(strstr(out, "--confirm-to"));
	cr_assert_eq(run(cmd_send, none, ARGC(none), out, sizeof out), 2, "--to is required");
	cr_assert_eq(run(cmd_jobs, jhelp, ARGC(jhelp), out, sizeof out), 0);
	cr_assert_not_null(strstr(out, "cancel ID"));
}

Test(send_cli, jobs_lists_and_cancels)
{
	char out[4096], a[QUEUE_ID_LEN + 1], b[QUEUE_ID_LEN + 1];
	char *list[] = { "jobs", "--data", data, NULL };
	char *cancel[] = { "jobs", "cancel", a, "--data", data, NULL };
	char *unknown[] = { "jobs", "cancel", "ffffffffffff", "--data", data, NULL };

	cr_assert_eq(run(cmd_jobs, list, ARGC(list), out, sizeof out), 0);
	cr_assert_str_eq(out, "no outbound jobs\n");
	cr_assert_eq(send_file("0312345678", "0312345678", testdata(ONE_PAGE), out, sizeof out), 0);
	expect_job_id(out, a);
	cr_assert_eq(send_file("0661234567", "0661234567", testdata(ONE_PAGE), out, sizeof out), 0);
	expect_job_id(out, b);
	cr_assert_eq(run(cmd_jobs, cancel, ARGC(cancel), out, sizeof out), 0);
	cr_assert_eq(run(cmd_jobs, list, ARGC(list), out, sizeof out), 0);
	cr_assert_not_null(strstr(out, a));
	cr_assert_not_null(strstr(out, "cancelled"), "%s", out);
	cr_assert_not_null(strstr(out, "0661234567"), "%s", out);
	cr_assert_eq(run(cmd_jobs, cancel, ARGC(cancel), out, sizeof out), 1, "only once");
	cr_assert_eq(run(cmd_jobs, unknown, ARGC(unknown), out, sizeof out), 1);
	cr_assert(audit_has("\"result\":\"cancelled\""));
}

/* ---- a small strict JSON checker for the --json output ------------------ */

struct cur {
	const char *p;
	int depth;
};

static bool value(struct cur *c);

static void ws(struct cur *c)
{
	while (*c->p == ' ' || *c->p == '\n' || *c->p == '\t' || *c->p == '\r')
		c->p++;
}

static bool string(struct cur *c)
{
	if (*c->p++ != '"')
		return false;
	while (*c->p != '"') {
		if ((unsigned char)*c->p < 0x20 || *c->p == '\0')
			return false;
		if (*c->p == '\\') {
			c->p++;
			if (*c->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (strchr("0123456789abcdefABCDEF", c->p[i]) == NULL ||
					    c->p[i] == '\0')
						return false;
				c->p += 4;
			} else if (strchr("\"\\/bfnrt", *c->p) == NULL || *c->p == '\0') {
				return false;
			}
		}
		c->p++;
	}
	c->p++;
	return true;
}

static bool members(struct cur *c, char close, bool keyed)
{
	c->p++;
	ws(c);
	if (*c->p == close) {
		c->p++;
		return true;
	}
	for (;;) {
		ws(c);
		if (keyed) {
			if (!string(c))
				return false;
			ws(c);
			if (*c->p++ != ':')
				return false;
		}
		if (!value(c))
			return false;
		ws(c);
		if (*c->p == close) {
			c->p++;
			return true;
		}
		if (*c->p++ != ',')
			return false;
	}
}

static bool value(struct cur *c)
{
	bool ok;

	ws(c);
	if (++c->depth > 16)
		return false;
	if (*c->p == '{')
		ok = members(c, '}', true);
	else if (*c->p == '[')
		ok = members(c, ']', false);
	else if (*c->p == '"')
		ok = string(c);
	else if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9')) {
		c->p += strspn(c->p, "-0123456789.eE+");
		ok = true;
	} else
		ok = false;
	c->depth--;
	return ok;
}

static bool is_json(const char *s)
{
	struct cur c = { s, 0 };

	if (!value(&c))
		return false;
	ws(&c);
	return *c.p == '\0';
}

Test(send_cli, json_checker_refuses_broken_json)
{
	cr_assert(is_json("[{\"a\": 1, \"b\": \"x\\u00e9\"}]"));
	cr_assert_not(is_json("[{\"a\": 1,}]"));
	cr_assert_not(is_json("[{\"a\": \"\x01\"}]"));
	cr_assert_not(is_json("[{\"a\": 1}"));
}

Test(send_cli, jobs_json_parses_and_names_every_job)
{
	char out[8192], a[QUEUE_ID_LEN + 1], b[QUEUE_ID_LEN + 1];
	char *json[] = { "jobs", "--json", "--data", data, NULL };

	cr_assert_eq(run(cmd_jobs, json, ARGC(json), out, sizeof out), 0);
	cr_assert_str_eq(out, "[]\n");
	cr_assert_eq(send_file("0312345678", "0312345678", testdata(ONE_PAGE), out, sizeof out), 0);
	expect_job_id(out, a);
	cr_assert_eq(send_file("0456781234", "0456781234", testdata(ONE_PAGE), out, sizeof out), 0);
	expect_job_id(out, b);
	cr_assert_eq(run(cmd_jobs, json, ARGC(json), out, sizeof out), 0);
	cr_assert(is_json(out), "%s", out);
	cr_assert_not_null(strstr(out, a));
	cr_assert_not_null(strstr(out, b));
	cr_assert_not_null(strstr(out, "\"destination\": \"0456781234\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"state\": \"queued\""), "%s", out);
}
