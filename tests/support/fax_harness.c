/* See fax_harness.h. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <tiffio.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/line_pump.h"
#include "tests/support/fax_harness.h"

const char *testdata(const char *rel)
{
	static char path[4096];
	const char *root = getenv("FAXGW_TESTDATA");

	cr_assert_not_null(root, "FAXGW_TESTDATA is not set (point it at shared/testdata)");
	cr_assert_eq(str_format(path, sizeof path, "%s/%s", root, rel), 0);
	cr_assert_eq(access(path, R_OK), 0, "test data %s is missing", path);
	return path;
}

void make_temp_dir(char dir[static 64])
{
	cr_assert_eq(str_copy(dir, 64, "/tmp/faxgw-test-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(dir), "mkdtemp failed");
}

void remove_temp_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (str_format(path, sizeof path, "%s/%s", dir, e->d_name) == 0)
			(void)unlink(path);
	}
	closedir(d);
	(void)rmdir(dir);
}

void session_cfg_init(struct session_cfg *c, const char *file)
{
	memset(c, 0, sizeof *c);
	c->file = file;
	line_loopback_options_init(&c->line);
}

/* ---- event recording ------------------------------------------------ */

struct recorder {
	struct session_out *out;
	const struct session_cfg *cfg;
};

static void rx_phase_b(void *user, const struct fax_phase_b *info)
{
	struct recorder *r = user;

	r->out->rx_info = *info;
	r->out->rx_phase_b_count++;
}

static void tx_phase_b(void *user, const struct fax_phase_b *info)
{
	struct recorder *r = user;

	r->out->tx_info = *info;
}

static enum fax_decision rx_decide(void *user, const struct fax_phase_b *info)
{
	struct recorder *r = user;

	(void)info;
	r->out->decisions++;
	return r->cfg->decision;
}

static void rx_page(void *user, const struct fax_page *p)
{
	struct recorder *r = user;

	if (r->out->rx_pages < HARNESS_MAX_PAGES)
		r->out->rx_page[r->out->rx_pages] = *p;
	r->out->rx_pages++;
}

static void tx_page(void *user, const struct fax_page *p)
{
	struct recorder *r = user;

	(void)p;
	r->out->tx_pages++;
}

static void rx_done(void *user, const struct fax_result *res)
{
	struct recorder *r = user;

	(void)res;
	r->out->rx_done_events++;
}

static void tx_done(void *user, const struct fax_result *res)
{
	struct recorder *r = user;

	(void)res;
	r->out->tx_done_events++;
}

/* ---- running a call ------------------------------------------------- */

static void endpoint_options(const struct session_cfg *c, struct fax_options *o,
			     enum fax_role role, struct line *l)
{
	fax_options_init(o);
	o->role = role;
	o->transport = c->t38 ? FAX_T38 : FAX_AUDIO;
	o->ecm = !c->ecm_off;
	if (c->modems != 0)
		o->modems = c->modems;
	o->t38_out = line_pump_t38_out;
	o->t38_user = l;
}

void session_run(const struct session_cfg *c, struct session_out *out)
{
	static const struct fax_events tx_ev = {
		.phase_b = tx_phase_b, .page = tx_page, .done = tx_done};
	static const struct fax_events rx_ev = {
		.phase_b = rx_phase_b, .decide = rx_decide, .page = rx_page, .done = rx_done};
	static const struct fax_events rx_ev_nodecide = {
		.phase_b = rx_phase_b, .page = rx_page, .done = rx_done};
	struct recorder rec = {.out = out, .cfg = c};
	struct line *la, *lb;
	struct fax_endpoint *tx, *rx;
	struct fax_options o;
	uint64_t samples = 0;

	memset(out, 0, sizeof *out);
	make_temp_dir(out->dir);
	cr_assert_eq(str_format(out->out_path, sizeof out->out_path, "%s/rx.tif", out->dir), 0);
	cr_assert_eq(line_loopback_new(&c->line, &la, &lb), 0);
	if (c->precreate_out) {
		FILE *f = fopen(out->out_path, "w");
		cr_assert_not_null(f);
		cr_assert_eq(fclose(f), 0);
	}

	endpoint_options(c, &o, FAX_SEND, la);
	o.file = c->file;
	o.local_ident = "+81 3 1111 2222";
	o.sub = c->sub;
	o.sid = c->sid;
	o.pwd = c->pwd;
	o.events = &tx_ev;
	o.user = &rec;
	cr_assert_eq(fax_endpoint_new(&o, &tx), 0, "sender for %s", c->file);

	endpoint_options(c, &o, FAX_RECEIVE, lb);
	o.file = out->out_path;
	o.local_ident = "+81 6 3333 4444";
	o.events = c->no_decider ? &rx_ev_nodecide : &rx_ev;
	o.user = &rec;
	cr_assert_eq(fax_endpoint_new(&o, &rx), 0);

	out->pump_rc = line_pump_run(tx, la, rx, lb, c->max_seconds ? c->max_seconds : 1800,
				     &samples);
	out->line_seconds = (double)samples / FAX_SAMPLE_RATE;
	out->tx_done = fax_endpoint_result(tx, &out->tx) == 0;
	out->rx_done = fax_endpoint_result(rx, &out->rx) == 0;
	fax_endpoint_free(tx);
	fax_endpoint_free(rx);
	cr_assert_eq(line_loopback_stats(la, &out->sent_by_tx), 0);
	cr_assert_eq(line_loopback_stats(lb, &out->sent_by_rx), 0);
	line_free(la);
	line_free(lb);
	out->out_exists = access(out->out_path, F_OK) == 0;
}

void session_cleanup(struct session_out *out)
{
	if (out->dir[0] != '\0')
		remove_temp_dir(out->dir);
}

/* ---- comparing documents -------------------------------------------- */

int tiff_pages(const char *path)
{
	TIFF *t = TIFFOpen(path, "r");

	if (t == NULL)
		return -1;
	int n = TIFFNumberOfDirectories(t);
	TIFFClose(t);
	return n;
}

/* Reads row into buf as 1 = black, whatever the file's photometric. */
static int read_row(TIFF *t, uint32_t row, uint8_t *buf, tmsize_t len, bool invert)
{
	if (TIFFReadScanline(t, buf, row, 0) < 0)
		return -1;
	if (invert)
		for (tmsize_t i = 0; i < len; i++)
			buf[i] = (uint8_t)~buf[i];
	return 0;
}

struct page_shape {
	uint32_t width, length;
	bool invert;
};

static int page_shape(TIFF *t, struct page_shape *s)
{
	uint16_t photo = PHOTOMETRIC_MINISWHITE;

	if (TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &s->width) != 1 ||
	    TIFFGetField(t, TIFFTAG_IMAGELENGTH, &s->length) != 1)
		return -1;
	(void)TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photo);
	s->invert = photo == PHOTOMETRIC_MINISBLACK;
	return 0;
}

/* Pad bits past the width are not image; mask them off the last byte. */
static void mask_tail(uint8_t *row, uint32_t width)
{
	if (width % 8 != 0)
		row[width / 8] &= (uint8_t)(0xFF << (8 - width % 8));
}

/* Writes the difference into msg; returns -1 for the caller to pass on. */
__attribute__((format(printf, 3, 4)))
static int differ(char *msg, size_t msgsize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, msgsize, fmt, ap);
	va_end(ap);
	return -1;
}

static int compare_page(TIFF *a, TIFF *b, int page, char *msg, size_t msgsize)
{
	struct page_shape sa, sb;

	if (page_shape(a, &sa) != 0 || page_shape(b, &sb) != 0)
		return differ(msg, msgsize, "page %d: no size", page);
	if (sa.width != sb.width || sa.length != sb.length)
		return differ(msg, msgsize, "page %d: %ux%u vs %ux%u", page, sa.width,
			      sa.length, sb.width, sb.length);
	tmsize_t len = (tmsize_t)(sa.width + 7) / 8;
	uint8_t *ra = malloc((size_t)TIFFScanlineSize(a) + 8);
	uint8_t *rb = malloc((size_t)TIFFScanlineSize(b) + 8);
	int rc = ra != NULL && rb != NULL ? 0 : -1;
	for (uint32_t row = 0; rc == 0 && row < sa.length; row++) {
		if (read_row(a, row, ra, len, sa.invert) != 0 ||
		    read_row(b, row, rb, len, sb.invert) != 0) {
			rc = differ(msg, msgsize, "page %d row %u: unreadable", page, row);
			break;
		}
		mask_tail(ra, sa.width);
		mask_tail(rb, sb.width);
		if (memcmp(ra, rb, (size_t)len) != 0)
			rc = differ(msg, msgsize, "page %d row %u differs", page, row);
	}
	free(ra);
	free(rb);
	return rc;
}

int tiff_compare(const char *pa, const char *pb, char *msg, size_t msgsize)
{
	TIFF *a = TIFFOpen(pa, "r");
	TIFF *b = TIFFOpen(pb, "r");
	int rc = 0;

	(void)str_copy(msg, msgsize, "");
	if (a == NULL || b == NULL) {
		rc = -1;
		(void)str_format(msg, msgsize, "cannot open %s", a == NULL ? pa : pb);
	} else if (TIFFNumberOfDirectories(a) != TIFFNumberOfDirectories(b)) {
		rc = -1;
		(void)str_format(msg, msgsize, "%d pages vs %d", TIFFNumberOfDirectories(a),
				 TIFFNumberOfDirectories(b));
	}
	for (int page = 1; rc == 0; page++) {
		rc = compare_page(a, b, page, msg, msgsize);
		int more_a = TIFFReadDirectory(a), more_b = TIFFReadDirectory(b);
		if (more_a != more_b)
			rc = -1;
		if (!more_a)
			break;
	}
	if (a != NULL)
		TIFFClose(a);
	if (b != NULL)
		TIFFClose(b);
	return rc;
}
