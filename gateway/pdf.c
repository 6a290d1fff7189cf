/* The PDF writer: objects in order, offsets remembered for the xref. */
#include "gateway/pdf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/err.h"

#define LINE_MAX_PDF 512

struct pdf {
	int fd;
	int error;
	uint64_t off;          /* bytes written so far */
	uint64_t *xref;        /* offset of object i at [i]; [0] unused */
	uint32_t nobj, cap;
	uint32_t npages;
};

static int write_all(struct pdf *p, const void *data, size_t len)
{
	const uint8_t *b = data;

	while (p->error == FGW_OK && len > 0) {
		ssize_t n = write(p->fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			p->error = errno == ENOSPC ? FGW_ERR_NO_SPACE : FGW_ERR_IO;
			break;
		}
		b += n;
		len -= (size_t)n;
		p->off += (uint64_t)n;
	}
	return p->error;
}

static int put(struct pdf *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int put(struct pdf *p, const char *fmt, ...)
{
	char line[LINE_MAX_PDF];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line)
		return p->error = FGW_ERR_TOO_LARGE;
	return write_all(p, line, (size_t)n);
}

/* Records that object num starts here and writes its header. */
static int obj_begin(struct pdf *p, uint32_t num)
{
	if (num >= p->cap) {
		uint32_t cap = p->cap * 2 > num + 1 ? p->cap * 2 : num + 16;
		uint64_t *x = realloc(p->xref, cap * sizeof *x);

		if (x == NULL)
			return p->error = FGW_ERR_NOMEM;
		for (uint32_t i = p->cap; i < cap; i++)
			x[i] = 0;
		p->xref = x;
		p->cap = cap;
	}
	p->xref[num] = p->off;
	if (num >= p->nobj)
		p->nobj = num + 1;
	return put(p, "%u 0 obj\n", num);
}

int pdf_begin(int fd, struct pdf **out)
{
	struct pdf *p = calloc(1, sizeof *p);

	*out = NULL;
	if (p == NULL)
		return FGW_ERR_NOMEM;
	p->fd = fd;
	/* The binary comment line tells transfer tools the file is binary. */
	put(p, "%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n");
	obj_begin(p, 1);
	put(p, "<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	if (p->error != FGW_OK) {
		int rc = p->error;

		pdf_abort(p);
		return rc;
	}
	*out = p;
	return FGW_OK;
}

static bool page_ok(const struct pdf_page *pg)
{
	return pg->g4 != NULL && pg->g4_len > 0 && pg->width > 0 && pg->height > 0 &&
	       pg->width <= PDF_MAX_SIDE && pg->height <= PDF_MAX_SIDE &&
	       pg->xres > 0 && pg->yres > 0 && pg->xres < 10000 && pg->yres < 10000;
}

static int put_image(struct pdf *p, uint32_t num, const struct pdf_page *pg)
{
	obj_begin(p, num);
	put(p, "<< /Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace /DeviceGray"
	       " /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1"
	       " /Columns %u /Rows %u /BlackIs1 %s >> /Length %zu >>\nstream\n",
	    pg->width, pg->height, pg->width, pg->height, pg->black_is_1 ? "true" : "false",
	    pg->g4_len);
	write_all(p, pg->g4, pg->g4_len);
	return put(p, "\nendstream\nendobj\n");
}

int pdf_add_page(struct pdf *p, const struct pdf_page *pg)
{
	uint32_t first = 3 + 3 * p->npages;
	double w = pg->width * 72.0 / pg->xres, h = pg->height * 72.0 / pg->yres;
	char content[128];
	int n;

	if (p->error != FGW_OK)
		return p->error;
	if (!page_ok(pg))
		return FGW_ERR_INVALID;
	if (p->npages >= PDF_MAX_PAGES)
		return FGW_ERR_TOO_LARGE;
	n = snprintf(content, sizeof content, "q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q\n", w, h);
	if (n < 0 || (size_t)n >= sizeof content)
		return p->error = FGW_ERR_TOO_LARGE;
	obj_begin(p, first);
	put(p, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.4f %.4f] /Resources"
	       " << /XObject << /Im0 %u 0 R >> >> /Contents %u 0 R >>\nendobj\n",
	    w, h, first + 2, first + 1);
	obj_begin(p, first + 1);
	put(p, "<< /Length %d >>\nstream\n%s\nendstream\nendobj\n", n, content);
	put_image(p, first + 2, pg);
	if (p->error == FGW_OK)
		p->npages++;
	return p->error;
}

static int put_page_tree(struct pdf *p)
{
	obj_begin(p, 2);
	put(p, "<< /Type /Pages /Count %u /Kids [", p->npages);
	for (uint32_t i = 0; i < p->npages; i++)
		put(p, "%s%u 0 R", i % 8 == 0 ? "\n" : " ", 3 + 3 * i);
	return put(p, " ] >>\nendobj\n");
}

/* Each xref entry is exactly 20 bytes, as the format requires. */
static int put_xref(struct pdf *p)
{
	uint64_t at = p->off;

	put(p, "xref\n0 %u\n0000000000 65535 f \n", p->nobj);
	for (uint32_t i = 1; i < p->nobj; i++)
		put(p, "%010llu 00000 n \n", (unsigned long long)p->xref[i]);
	return put(p, "trailer\n<< /Size %u /Root 1 0 R >>\nstartxref\n%llu\n%%%%EOF\n",
		   p->nobj, (unsigned long long)at);
}

int pdf_finish(struct pdf *p)
{
	int rc;

	if (p->error != FGW_OK || p->npages == 0) {
		pdf_abort(p);
		return FGW_ERR_STATE;
	}
	put_page_tree(p);
	rc = put_xref(p);
	pdf_abort(p);
	return rc;
}

void pdf_abort(struct pdf *p)
{
	if (p == NULL)
		return;
	free(p->xref);
	free(p);
}
