/* Releasing a confidential mailbox (gateway/release.h) on a real store:
 * the PIN lockout with a moved clock and its audit records, TIFF output
 * pixel-identical to the fax as stored, PDF output that poppler counts and
 * renders, no plaintext for a wrong PIN, erasure with a certificate after
 * release, and what --keep and retention keep. The held faxes are the ITU
 * test pages ($FAXGW_TESTDATA/itu), stored as the inbound path stores
 * them: the whole TIFF as one vault page. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/release.h"
#include "storage/store.h"
#include "tests/support/fax_harness.h"

#define MAILBOX "1234"
#define PIN "482916"
#define T0 1700000000000ll
#define MIN_MS 60000ll

static char tmpdir[256], data[300];
static const struct store_options opts = {.pin_cost = {10, 8, 1}};
static const struct release_policy policy = {.max_failures = 3, .lock_ms = 15 * MIN_MS};
static struct store *s;

static void add_mailbox(const char *number, const char *pin, uint32_t retention_days)
{
	struct catalog_mailbox mb = {.retention_days = retention_days, .created_ms = T0};

	cr_assert_eq(str_copy(mb.number, sizeof mb.number, number), 0);
	cr_assert_eq(str_copy(mb.name, sizeof mb.name, "Legal"), 0);
	cr_assert_eq(store_mailbox_seal(s, &mb, pin), 0);
	cr_assert_eq(catalog_mailbox_create(store_catalog(s), &mb), 0);
}

static void setup(void)
{
	log_init("test_release", true, LOG_LEVEL_ERROR);
	cr_assert_eq(str_copy(tmpdir, sizeof tmpdir, "/tmp/fgw-release-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(tmpdir));
	cr_assert_eq(str_format(data, sizeof data, "%s/data", tmpdir), 0);
	cr_assert_eq(store_init(data), 0);
	cr_assert_eq(store_open(data, &opts, &s), 0);
	add_mailbox(MAILBOX, PIN, 0);
}

static void teardown(void)
{
	char cmd[400];

	cr_assert_eq(store_close(s), 0);
	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmpdir), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(release, .init = setup, .fini = teardown, .timeout = 120);

/* Holds the TIFF at testdata rel in mailbox, as one vault page. */
static void hold(const char *mailbox, const char *rel, char id[static VAULT_ID_LEN + 1])
{
	struct catalog_document meta = {.direction = CATALOG_DIR_IN, .state = CATALOG_DOC_HELD};
	struct store_doc *d;
	int fd = open(testdata(rel), O_RDONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(str_copy(meta.mailbox, sizeof meta.mailbox, mailbox), 0);
	cr_assert_eq(str_copy(meta.remote_number, sizeof meta.remote_number, "0312345678"), 0);
	cr_assert_eq(store_doc_create(s, &meta, &d), 0);
	cr_assert_eq(store_doc_add_page_fd(d, fd), 0);
	cr_assert_eq(store_doc_commit(d, id), 0);
	cr_assert_eq(close(fd), 0);
}

static void out_path(const char *name, char *out, size_t size)
{
	cr_assert_eq(str_format(out, size, "%s/%s", tmpdir, name), 0);
}

static int write_out(const char *id, const char *pin, enum release_format fmt,
		     const char *path, uint32_t *pages)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600), rc;

	cr_assert_geq(fd, 0);
	rc = release_write(s, MAILBOX, id, pin, fmt, fd, pages);
	cr_assert_eq(close(fd), 0);
	return rc;
}

struct counts {
	int pin_failure, lockout, release, locked_attempt;
};

static int count_types(const struct audit_record *rec, void *arg)
{
	struct counts *c = arg;

	c->pin_failure += strcmp(rec->type, "pin_failure") == 0;
	c->lockout += strcmp(rec->type, "lockout") == 0;
	c->release += strcmp(rec->type, "mailbox_release") == 0;
	for (size_t i = 0; i < rec->nfields; i++)
		c->locked_attempt += strcmp(rec->fields[i].value, "pin_attempt_while_locked") == 0;
	return 0;
}

static struct counts audit_counts(void)
{
	struct counts c = {0};
	char path[400];

	cr_assert_eq(str_format(path, sizeof path, "%s/%s", data, STORE_AUDIT_FILE), 0);
	cr_assert_eq(audit_read_file(path, count_types, &c, NULL), 0);
	return c;
}

/* ---- lockout ------------------------------------------------------------ */

Test(release, three_wrong_pins_lock_the_mailbox_until_the_time_is_up)
{
	struct release_lock_info info;
	struct counts c;

	for (uint32_t i = 1; i <= 3; i++) {
		cr_assert_eq(release_unlock(s, &policy, MAILBOX, "000000", T0 + i, &info),
			     FGW_ERR_BAD_PIN);
		cr_assert_eq(info.failures, i);
		cr_assert_eq(info.locked_until_ms, i < 3 ? 0 : T0 + 3 + 15 * MIN_MS);
	}
	cr_assert_eq(release_unlock(s, &policy, MAILBOX, PIN, T0 + MIN_MS, &info),
		     FGW_ERR_LOCKED, "the right PIN is refused while locked");
	cr_assert_eq(release_unlock(s, &policy, MAILBOX, PIN, T0 + 15 * MIN_MS, &info),
		     FGW_ERR_LOCKED, "still locked just before the end");
	c = audit_counts();
	cr_assert_eq(c.pin_failure, 3);
	cr_assert_eq(c.lockout, 1);
	cr_assert_eq(c.locked_attempt, 2);
	cr_assert_eq(release_unlock(s, &policy, MAILBOX, PIN, T0 + 16 * MIN_MS, &info), 0);
	cr_assert_eq(info.failures, 0);
}

Test(release, right_pin_resets_the_count)
{
	struct catalog_lockout l;
	bool locked = true;

	cr_assert_eq(release_unlock(s, &policy, MAILBOX, "1111", T0, NULL), FGW_ERR_BAD_PIN);
	cr_assert_eq(release_unlock(s, &policy, MAILBOX, "2222", T0, NULL), FGW_ERR_BAD_PIN);
	cr_assert_eq(release_unlock(s, &policy, MAILBOX, PIN, T0, NULL), 0);
	cr_assert_eq(release_lock_state(s, MAILBOX, T0, &l, &locked), 0);
	cr_assert_eq(l.failures, 0);
	cr_assert_not(locked);
	/* two more wrong ones do not lock: the count started again */
	cr_assert_eq(release_unlock(s, &policy, MAILBOX, "1111", T0, NULL), FGW_ERR_BAD_PIN);
	cr_assert_eq(release_unlock(s, &policy, MAILBOX, "2222", T0, NULL), FGW_ERR_BAD_PIN);
	cr_assert_eq(release_unlock(s, &policy, MAILBOX, PIN, T0, NULL), 0);
}

Test(release, expired_lock_gives_a_fresh_count)
{
	struct release_lock_info info;

	for (int i = 0; i < 3; i++)
		cr_assert_eq(release_unlock(s, &policy, MAILBOX, "9999", T0, NULL), FGW_ERR_BAD_PIN);
	cr_assert_eq(release_unlock(s, &policy, MAILBOX, "9999", T0 + 20 * MIN_MS, &info),
		     FGW_ERR_BAD_PIN);
	cr_assert_eq(info.failures, 1);
	cr_assert_eq(info.locked_until_ms, 0);
}

Test(release, unknown_mailbox_counts_nothing)
{
	struct catalog_lockout l;
	bool locked;

	cr_assert_eq(release_unlock(s, &policy, "999", PIN, T0, NULL), FGW_ERR_NOT_FOUND);
	cr_assert_eq(release_lock_state(s, "999", T0, &l, &locked), 0);
	cr_assert_eq(l.failures, 0);
}

/* ---- output ------------------------------------------------------------- */

Test(release, tiff_output_is_pixel_identical_to_the_fax)
{
	char id[VAULT_ID_LEN + 1], path[400], msg[256] = "";
	uint32_t pages = 0;
	struct stat st;

	hold(MAILBOX, "itu/itutests_mmr.tif", id);
	out_path("out.tif", path, sizeof path);
	cr_assert_eq(write_out(id, PIN, RELEASE_TIFF, path, &pages), 0);
	cr_assert_eq(pages, 8, "the ITU test document has 8 pages");
	cr_assert_eq(tiff_pages(path), 8);
	cr_assert_eq(tiff_compare(path, testdata("itu/itutests_mmr.tif"), msg, sizeof msg), 0,
		     "%s", msg);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
}

Test(release, g3_fax_stays_g3_and_identical_in_tiff)
{
	char id[VAULT_ID_LEN + 1], path[400], msg[256] = "";
	uint16_t comp = 0;
	TIFF *t;

	hold(MAILBOX, "itu/itutests_mh.tif", id);
	out_path("mh.tif", path, sizeof path);
	cr_assert_eq(write_out(id, PIN, RELEASE_TIFF, path, NULL), 0);
	cr_assert_eq(tiff_compare(path, testdata("itu/itutests_mh.tif"), msg, sizeof msg), 0,
		     "%s", msg);
	t = TIFFOpen(path, "r");
	cr_assert_not_null(t);
	cr_assert(TIFFGetField(t, TIFFTAG_COMPRESSION, &comp));
	cr_assert_eq(comp, COMPRESSION_CCITTFAX3, "coded data copied, not re-encoded");
	TIFFClose(t);
}

/* Runs cmd; returns the number after "Pages:" in its output (or -1). */
static long long pdf_pages(const char *path)
{
	char cmd[500], line[256];
	long long n = -1;
	FILE *f;

	cr_assert_eq(str_format(cmd, sizeof cmd, "pdfinfo '%s' 2>&1", path), 0);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "Pages:", 6) == 0) {
			const char *p = line + 6;
			while (*p == ' ')
				p++;
			line[strcspn(line, "\n")] = '\0';
			cr_assert_eq(str_to_int(p, 0, 100000, &n), 0, "%s", line);
		}
	cr_assert_eq(pclose(f), 0, "pdfinfo failed on %s (mk/deps.sh installs poppler-utils)",
		     path);
	return n;
}

/* Renders page 1 with pdftoppm and counts its black pixels. */
static long long rendered_black(const char *pdf, double xres, double yres)
{
	char cmd[600], pbm[400];
	long long black = 0;
	struct stat st;
	uint8_t *buf;
	int fd;

	cr_assert_eq(str_format(cmd, sizeof cmd, "pdftoppm -mono -f 1 -l 1 -rx %.0f -ry %.0f "
				"-singlefile '%s' '%s/render'", xres, yres, pdf, tmpdir), 0);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	out_path("render.pbm", pbm, sizeof pbm);
	fd = open(pbm, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	cr_assert_not_null(buf);
	cr_assert_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	/* past the "P4\nW H\n" header; the padding bits of rows are zero */
	for (off_t i = 0, nl = 0; i < st.st_size; i++) {
		if (nl >= 2) {
			for (int b = 0; b < 8; b++)
				black += (buf[i] >> b) & 1;
		} else if (buf[i] == '\n') {
			nl++;
		}
	}
	free(buf);
	return black;
}

static long long tiff_black(const char *path)
{
	TIFF *t = TIFFOpen(path, "r");
	uint32_t w = 0, h = 0;
	long long black = 0;
	uint8_t *row;

	cr_assert_not_null(t);
	cr_assert(TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w));
	cr_assert(TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h));
	row = malloc((size_t)TIFFScanlineSize(t));
	cr_assert_not_null(row);
	for (uint32_t y = 0; y < h; y++) {
		cr_assert_eq(TIFFReadScanline(t, row, y, 0), 1);
		for (uint32_t x = 0; x < w; x++)
			black += (row[x / 8] >> (7 - x % 8)) & 1;
	}
	free(row);
	TIFFClose(t);
	return black;
}

static void check_pdf_of(const char *rel, const char *name)
{
	char id[VAULT_ID_LEN + 1], path[400];
	long long want, got;
	float xres = 0, yres = 0;
	TIFF *t;

	hold(MAILBOX, rel, id);
	out_path(name, path, sizeof path);
	cr_assert_eq(write_out(id, PIN, RELEASE_PDF, path, NULL), 0);
	cr_assert_eq(pdf_pages(path), tiff_pages(testdata(rel)));
	t = TIFFOpen(testdata(rel), "r");
	cr_assert_not_null(t);
	cr_assert(TIFFGetField(t, TIFFTAG_XRESOLUTION, &xres));
	cr_assert(TIFFGetField(t, TIFFTAG_YRESOLUTION, &yres));
	TIFFClose(t);
	want = tiff_black(testdata(rel));
	got = rendered_black(path, xres, yres);
	cr_assert_gt(want, 1000);
	cr_assert_lt(llabs(got - want), want / 50 + 200, "rendered %lld black pixels, fax %lld",
		     got, want);
}

Test(release, pdf_of_a_g4_fax_has_every_page_and_renders)
{
	check_pdf_of("itu/itutests_mmr.tif", "mmr.pdf");
}

Test(release, pdf_of_a_g3_fax_is_reencoded_and_renders)
{
	check_pdf_of("itu/itutests_mh.tif", "mh.pdf");
}

Test(release, wrong_pin_yields_no_plaintext)
{
	char id[VAULT_ID_LEN + 1], path[400];
	struct stat st;

	hold(MAILBOX, "itu/itutests_mmr.tif", id);
	out_path("nope.tif", path, sizeof path);
	cr_assert_eq(write_out(id, "000000", RELEASE_TIFF, path, NULL), FGW_ERR_BAD_PIN);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, 0);
}

Test(release, document_of_another_mailbox_is_not_released)
{
	char id[VAULT_ID_LEN + 1], path[400];

	add_mailbox("5678", PIN, 0);
	hold("5678", "itu/itutests_mmr.tif", id);
	out_path("other.tif", path, sizeof path);
	cr_assert_eq(write_out(id, PIN, RELEASE_TIFF, path, NULL), FGW_ERR_NOT_FOUND);
}

/* ---- after delivery ----------------------------------------------------- */

static bool blob_exists(const char *id)
{
	char name[CATALOG_BLOBNAME_MAX + 1], path[500];

	cr_assert_eq(vault_blob_name(id, name, sizeof name), 0);
	cr_assert_eq(str_format(path, sizeof path, "%s/%s/%s", data, STORE_VAULT_DIR, name), 0);
	return access(path, F_OK) == 0;
}

Test(release, released_document_is_erased_with_a_certificate)
{
	struct store_erase_report rep = {0};
	struct catalog_document row;
	enum release_disposal d;
	char id[VAULT_ID_LEN + 1];

	hold(MAILBOX, "itu/itutests_mmr.tif", id);
	cr_assert_eq(release_finish(s, MAILBOX, id, "tiff", false, false, &d, &rep), 0);
	cr_assert_eq(d, RELEASE_ERASED);
	cr_assert_eq(catalog_document_get(store_catalog(s), id, &row), FGW_ERR_NOT_FOUND);
	cr_assert_not(blob_exists(id));
	cr_assert_neq(rep.cert_path[0], '\0');
	cr_assert_eq(access(rep.cert_path, R_OK), 0, "certificate %s", rep.cert_path);
	cr_assert_eq(audit_counts().release, 1);
}

Test(release, keep_keeps_the_document)
{
	struct catalog_document row;
	enum release_disposal d;
	char id[VAULT_ID_LEN + 1];

	hold(MAILBOX, "itu/itutests_mmr.tif", id);
	cr_assert_eq(release_finish(s, MAILBOX, id, "pdf", true, false, &d, NULL), 0);
	cr_assert_eq(d, RELEASE_KEPT);
	cr_assert_eq(catalog_document_get(store_catalog(s), id, &row), 0);
	cr_assert_eq(row.state, CATALOG_DOC_RELEASED);
	cr_assert(blob_exists(id));
}

Test(release, retention_keeps_unless_erase_now)
{
	char id[VAULT_ID_LEN + 1], id2[VAULT_ID_LEN + 1];
	struct catalog_document row;
	enum release_disposal d;

	add_mailbox("777", PIN, 30);
	hold("777", "itu/itutests_mmr.tif", id);
	hold("777", "itu/itutests_mmr.tif", id2);
	cr_assert_eq(release_finish(s, "777", id, "tiff", false, false, &d, NULL), 0);
	cr_assert_eq(d, RELEASE_RETAINED);
	cr_assert_eq(catalog_document_get(store_catalog(s), id, &row), 0);
	cr_assert_eq(release_finish(s, "777", id2, "tiff", false, true, &d, NULL), 0);
	cr_assert_eq(d, RELEASE_ERASED);
	cr_assert_not(blob_exists(id2));
}

static int count_doc(const struct catalog_document *doc, void *arg)
{
	(void)doc;
	(*(int *)arg)++;
	return 0;
}

Test(release, erase_held_empties_the_mailbox)
{
	char id[VAULT_ID_LEN + 1];
	uint64_t erased = 0;
	int listed = 0;

	hold(MAILBOX, "itu/itutests_mmr.tif", id);
	hold(MAILBOX, "itu/itutests_mh.tif", id);
	cr_assert_eq(release_list(s, MAILBOX, count_doc, &listed), 0);
	cr_assert_eq(listed, 2);
	cr_assert_eq(release_erase_held(s, MAILBOX, "test", &erased), 0);
	cr_assert_eq(erased, 2);
	cr_assert_eq(release_held_count(s, MAILBOX), 0);
}
