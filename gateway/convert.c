/* Document -> fax pages, shared by `faxgw send` and the web Send page. Every
 * intermediate lives in a memory file; plaintext never reaches a disk. */
#include "gateway/convert.h"

#include <fcntl.h>
#include <png.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <tiffio.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "dsp/tiffdoc.h"
#include "storage/memfile.h"

#define PNG_MAX_PIXELS (64u * 1024 * 1024)   /* 8-bit grey in memory: 64 MiB */
#define GS_PATH "gs"
#define GS_MEMORY_MAX (1024ull << 20)         /* address space of gs */

/* Where a conversion reports to. */
struct conv {
	const char *name;
	char *msg;
	size_t msgsize;
};

enum convert_kind convert_sniff(const void *head, size_t len)
{
	static const unsigned char png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	const unsigned char *m = head;

	if (len >= 4 && ((m[0] == 'I' && m[1] == 'I' && m[2] == 42 && m[3] == 0) ||
			 (m[0] == 'M' && m[1] == 'M' && m[2] == 0 && m[3] == 42)))
		return CONVERT_TIFF;
	if (len >= 5 && memcmp(m, "%PDF-", 5) == 0)
		return CONVERT_PDF;
	if (len >= 8 && memcmp(m, png_magic, 8) == 0)
		return CONVERT_PNG;
	return CONVERT_UNKNOWN;
}

const char *convert_kind_name(enum convert_kind kind)
{
	switch (kind) {
	case CONVERT_TIFF: return "TIFF";
	case CONVERT_PDF: return "PDF";
	case CONVERT_PNG: return "PNG";
	case CONVERT_UNKNOWN: break;
	}
	return "unknown";
}

/* Copies the file at path into fd (a memory file), from offset 0. */
static int copy_file(const char *path, int fd)
{
	char buf[65536];
	int in = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;

	if (in < 0)
		return FGW_ERR_IO;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(fd, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	close(in);
	return n == 0 ? FGW_OK : FGW_ERR_IO;
}

/* Makes a fax-ready copy of the TIFF at path in a new memory file *out. */
static int tiff_to_fax(const struct conv *cv, const char *path, int *out,
		       unsigned *pages)
{
	struct tiffdoc *doc = NULL;
	bool ready = false;
	int rc = tiffdoc_open_file(path, cv->name, &doc, cv->msg, cv->msgsize);

	*out = -1;
	if (rc == FGW_OK)
		rc = tiffdoc_check(doc, &ready, cv->msg, cv->msgsize);
	if (rc == FGW_OK) {
		*pages = tiffdoc_pages(doc);
		*out = memfile_create("faxgw-send");
		rc = *out < 0 ? *out : ready ? copy_file(path, *out)
			     : tiffdoc_convert(doc, *out, NULL, cv->msg, cv->msgsize);
	}
	tiffdoc_close(doc);
	if (rc != FGW_OK) {
		if (cv->msg[0] == '\0')
			(void)str_format(cv->msg, cv->msgsize, "%s: %s", cv->name,
					 fgw_strerror(rc));
		if (*out >= 0)
			(void)memfile_wipe_close(*out);
		*out = -1;
	}
	return rc;
}

/* In the child: a hostile PDF must not take the machine down, so gs gets
 * its own process group (killed whole at the deadline), bounded memory
 * and CPU time. */
static void gs_child_limits(unsigned seconds)
{
	const struct rlimit as = { GS_MEMORY_MAX, GS_MEMORY_MAX };
	const struct rlimit cpu = { seconds, seconds + 1 };

	if (setpgid(0, 0) != 0 || setrlimit(RLIMIT_AS, &as) != 0 ||
	    setrlimit(RLIMIT_CPU, &cpu) != 0)
		_exit(126);
}

/* Waits for pid up to seconds; past that kills its group. Returns the wait
 * status in *status, or FGW_ERR_TIMEOUT / FGW_ERR_IO. */
static int gs_wait(pid_t pid, unsigned seconds, int *status)
{
	for (long waited_ms = 0;; waited_ms += 50) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return FGW_OK;
		if (r < 0)
			return FGW_ERR_IO;
		if (waited_ms >= (long)seconds * 1000) {
			(void)kill(-pid, SIGKILL);
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, status, 0);
			return FGW_ERR_TIMEOUT;
		}
		(void)poll(NULL, 0, 50);
	}
}

/* Runs Ghostscript on the PDF at in_fd with its output going to memory file
 * fd, for at most seconds. */
static int run_gs(int in_fd, int fd, unsigned seconds)
{
	char out[64], in[MEMFILE_PATH_MAX];
	pid_t pid;
	int status, rc;

	if (str_format(out, sizeof out, "-sOutputFile=/proc/self/fd/%d", fd) != FGW_OK ||
	    memfile_path(in_fd, in) != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	pid = fork();
	if (pid < 0)
		return FGW_ERR_IO;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		gs_child_limits(seconds);
		/* both files may be close-on-exec; gs must inherit them */
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || fcntl(fd, F_SETFD, 0) < 0 ||
		    fcntl(in_fd, F_SETFD, 0) < 0)
			_exit(127);
		execlp(GS_PATH, GS_PATH, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE",
		       "-sDEVICE=tiffg4", "-r204x196", "-dFIXEDMEDIA", "-sPAPERSIZE=a4", out,
		       "-f", in, (char *)NULL);
		_exit(127);
	}
	if ((rc = gs_wait(pid, seconds, &status)) != FGW_OK)
		return rc;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
		return FGW_ERR_TIMEOUT;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? FGW_OK : FGW_ERR_PARSE;
}

static int pdf_to_fax(const struct conv *cv, int in_fd, unsigned seconds, int *out,
		      unsigned *pages)
{
	char tpath[MEMFILE_PATH_MAX];
	int fd = memfile_create("faxgw-gs"), rc;

	if (fd < 0)
		return fd;
	rc = run_gs(in_fd, fd, seconds);
	if (rc == FGW_ERR_TIMEOUT)
		(void)str_format(cv->msg, cv->msgsize, "%s: Ghostscript did not finish "
				 "rendering this PDF within %u s and was stopped; the PDF "
				 "may be hostile or too complex", cv->name, seconds);
	else if (rc != FGW_OK)
		(void)str_format(cv->msg, cv->msgsize, "%s: Ghostscript could not render "
				 "this PDF (%s); check that it opens in a viewer and that "
				 "gs is installed", cv->name,
				 rc == FGW_ERR_PARSE ? "it failed" : fgw_strerror(rc));
	if (rc == FGW_OK)
		rc = memfile_path(fd, tpath);
	if (rc == FGW_OK)
		rc = tiff_to_fax(cv, tpath, out, pages);
	(void)memfile_wipe_close(fd);
	return rc;
}

/* Writes an 8-bit grey TIFF of the pixels to memory file fd. */
static int grey_tiff(int fd, const uint8_t *px, uint32_t w, uint32_t h)
{
	int dupfd = dup(fd);      /* TIFFClose closes the descriptor it was given */
	TIFF *t = dupfd < 0 ? NULL : TIFFFdOpen(dupfd, "png.tif", "w");
	int ok;

	if (t == NULL) {
		if (dupfd >= 0)
			close(dupfd);
		return FGW_ERR_IO;
	}
	ok = TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w) && TIFFSetField(t, TIFFTAG_IMAGELENGTH, h) &&
	     TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8) &&
	     TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1) &&
	     TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK) &&
	     TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_NONE) &&
	     TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
	     TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 64);
	for (uint32_t y = 0; ok && y < h; y++)
		ok = TIFFWriteScanline(t, (void *)(px + (size_t)y * w), y, 0) == 1;
	TIFFClose(t);
	return ok ? FGW_OK : FGW_ERR_IO;
}

static int png_size_ok(const struct conv *cv, const png_image *img)
{
	if (img->width == 0 || img->height == 0 || img->width > TIFFDOC_MAX_WIDTH ||
	    img->height > TIFFDOC_MAX_LENGTH ||
	    (uint64_t)img->width * img->height > PNG_MAX_PIXELS) {
		(void)str_format(cv->msg, cv->msgsize, "%s: %ux%u pixels is beyond what "
				 "a fax page can hold; scale it down first", cv->name,
				 img->width, img->height);
		return FGW_ERR_TOO_LARGE;
	}
	return FGW_OK;
}

/* Reads the PNG as 8-bit grey composited on white. *px is the caller's. */
static int read_png(const struct conv *cv, const char *path, uint8_t **px, uint32_t *w,
		    uint32_t *h)
{
	png_image img;
	png_color white = { 255, 255, 255 };
	int rc;

	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	*px = NULL;
	if (!png_image_begin_read_from_file(&img, path)) {
		(void)str_format(cv->msg, cv->msgsize, "%s: not a readable PNG: %s",
				 cv->name, img.message);
		return FGW_ERR_PARSE;
	}
	if ((rc = png_size_ok(cv, &img)) != FGW_OK) {
		png_image_free(&img);
		return rc;
	}
	img.format = PNG_FORMAT_GRAY;
	*px = malloc(PNG_IMAGE_SIZE(img));
	if (*px == NULL) {
		png_image_free(&img);
		return FGW_ERR_NOMEM;
	}
	if (!png_image_finish_read(&img, &white, *px, 0, NULL)) {
		(void)str_format(cv->msg, cv->msgsize, "%s: damaged PNG: %s", cv->name,
				 img.message);
		free(*px);
		*px = NULL;
		return FGW_ERR_PARSE;
	}
	*w = img.width;
	*h = img.height;
	return FGW_OK;
}

static int png_to_fax(const struct conv *cv, const char *path, int *out, unsigned *pages)
{
	char tpath[MEMFILE_PATH_MAX];
	uint8_t *px = NULL;
	uint32_t w = 0, h = 0;
	int fd = -1, rc = read_png(cv, path, &px, &w, &h);

	if (rc == FGW_OK) {
		fd = memfile_create("faxgw-png");
		rc = fd < 0 ? fd : grey_tiff(fd, px, w, h);
	}
	free(px);
	if (rc == FGW_OK)
		rc = memfile_path(fd, tpath);
	if (rc == FGW_OK)
		rc = tiff_to_fax(cv, tpath, out, pages);
	if (fd >= 0)
		(void)memfile_wipe_close(fd);
	return rc;
}

int convert_to_fax(int in_fd, const char *name, unsigned timeout_s, int *out,
		   unsigned *pages, char *msg, size_t msgsize)
{
	const struct conv cv = { name, msg, msgsize };
	char path[MEMFILE_PATH_MAX];
	unsigned char head[8];
	ssize_t n;

	*out = -1;
	if (msg == NULL || msgsize == 0 || name == NULL || pages == NULL ||
	    timeout_s == 0 || timeout_s > CONVERT_TIMEOUT_MAX)
		return FGW_ERR_INVALID;
	msg[0] = '\0';
	n = pread(in_fd, head, sizeof head, 0);
	if (n < 0 || memfile_path(in_fd, path) != FGW_OK) {
		(void)str_format(msg, msgsize, "%s: cannot be read", name);
		return FGW_ERR_IO;
	}
	switch (convert_sniff(head, (size_t)n)) {
	case CONVERT_TIFF: return tiff_to_fax(&cv, path, out, pages);
	case CONVERT_PDF: return pdf_to_fax(&cv, in_fd, timeout_s, out, pages);
	case CONVERT_PNG: return png_to_fax(&cv, path, out, pages);
	case CONVERT_UNKNOWN: break;
	}
	(void)str_format(msg, msgsize, "%s: not a TIFF, PDF or PNG (judged by its "
			 "content, not its name)", name);
	return FGW_ERR_UNSUPPORTED;
}
