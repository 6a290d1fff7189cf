/* faxgw send: takes a document (TIFF, PDF or PNG, told apart by content),
 * and a destination typed twice, checks the dial rules, turns the document
 * into a fax-ready TIFF-F in memory, stores it encrypted in the vault and
 * queues it. A mismatch or a refused number stores nothing and leaves a
 * security record. */
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <png.h>
#include <tiffio.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "dsp/tiffdoc.h"
#include "gateway/commands.h"
#include "gateway/config.h"
#include "gateway/dialrules.h"
#include "gateway/queue.h"
#include "gateway/send_job.h"
#include "storage/memfile.h"
#include "storage/store.h"

#define SEND_DEFAULT_CONFIG "/etc/faxgw/faxgw.ini"
#define PNG_MAX_PIXELS (64u * 1024 * 1024)   /* 8-bit grey in memory: 64 MiB */
#define GS_PATH "gs"
#define GS_TIMEOUT_DEFAULT 60                 /* seconds of wall time */
#define GS_TIMEOUT_MAX 3600
#define GS_MEMORY_MAX (1024ull << 20)         /* address space of gs */

enum doc_kind { DOC_UNKNOWN, DOC_TIFF, DOC_PDF, DOC_PNG };

struct send_args {
	const char *dir, *config, *to, *confirm, *file;
	unsigned convert_timeout;   /* seconds Ghostscript may run */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgw send --to NUMBER [--confirm-to NUMBER] [--data DIR]\n"
		"                  [--config FILE] FILE\n\n"
		"Queues FILE as a fax to NUMBER. FILE is a TIFF, PDF or PNG (told apart by\n"
		"its content, not its name); it is converted to a fax page format in memory\n"
		"(PDF through Ghostscript) and stored encrypted in the vault.\n\n"
		"The number must be given twice: --confirm-to, or typed again when asked on\n"
		"the terminal. Different entries, or a number the dial rules refuse\n"
		"([dialing] in the configuration), store nothing and are logged.\n\n"
		"  --to NUMBER          destination, e.g. 03-1234-5678\n"
		"  --confirm-to NUMBER  the same destination again\n"
		"  --data DIR           data directory (default " STORE_DEFAULT_DIR ")\n"
		"  --config FILE        configuration (default " SEND_DEFAULT_CONFIG
		" if present)\n"
		"  --convert-timeout S  seconds a PDF may take to render (default 60); Ghostscript\n"
		"                       also runs with 1 GiB of memory and S seconds of CPU at most\n"
		"  --help               this text\n\n"
		"On success prints the job id; see faxgw jobs.\n");
}

static int parse(int argc, char **argv, struct send_args *a)
{
	static const struct option opts[] = {
		{"to", required_argument, NULL, 't'},
		{"confirm-to", required_argument, NULL, 'C'},
		{"data", required_argument, NULL, 'd'},
		{"config", required_argument, NULL, 'c'},
		{"convert-timeout", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long long n;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': a->to = optarg; break;
		case 'C': a->confirm = optarg; break;
		case 'd': a->dir = optarg; break;
		case 'c': a->config = optarg; break;
		case 'T':
			if (str_to_int(optarg, 1, GS_TIMEOUT_MAX, &n) != FGW_OK) {
				fprintf(stderr, "faxgw send: --convert-timeout takes 1 to %d "
						"seconds, not '%s'\n", GS_TIMEOUT_MAX, optarg);
				return 2;
			}
			a->convert_timeout = (unsigned)n;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (a->to == NULL || optind != argc - 1) {
		fprintf(stderr, "faxgw send: give --to NUMBER and exactly one FILE\n");
		usage(stderr);
		return 2;
	}
	a->file = argv[optind];
	return -1;
}

static void print_problem(void *arg, const char *msg)
{
	fprintf(arg, "%s\n", msg);
}

static int load_config(const char *path, struct queue_config *qc)
{
	struct config *cfg = NULL;
	char msg[300];
	int rc;

	if (path == NULL && access(SEND_DEFAULT_CONFIG, F_OK) != 0)
		cfg = config_defaults();
	else if (config_load(path != NULL ? path : SEND_DEFAULT_CONFIG, print_problem, stderr,
			     &cfg) != FGW_OK)
		return FGW_ERR_CONFIG;
	if (cfg == NULL)
		return FGW_ERR_NOMEM;
	rc = queue_config_load(cfg, qc, msg, sizeof msg);
	if (rc != FGW_OK)
		fprintf(stderr, "faxgw send: %s\n", msg);
	config_free(cfg);
	return rc;
}

/* ---- the number, twice ------------------------------------------------- */

/* Asks for the number again on the terminal (never pre-filled). */
static int ask_again(char *buf, size_t size)
{
	FILE *tty = fopen("/dev/tty", "r+");

	if (tty == NULL) {
		fprintf(stderr, "faxgw send: no terminal to ask for the number again; "
				"give it with --confirm-to\n");
		return FGW_ERR_INVALID;
	}
	fprintf(tty, "Type the destination number again to confirm: ");
	fflush(tty);
	if (fgets(buf, (int)size, tty) == NULL)
		buf[0] = '\0';
	fclose(tty);
	buf[strcspn(buf, "\r\n")] = '\0';
	return FGW_OK;
}

static int audit_refusal(struct store *s, enum audit_event ev, const char *first,
			 const char *second, const char *rule, const char *reason)
{
	const struct audit_field f[] = {
		AUDIT_F_STR("event", "double_entry"),
		AUDIT_F_STR("origin", "local"),
		AUDIT_F_STR("device", "cli"),
		AUDIT_F_STR("first", first),
		AUDIT_F_STR("second", second),
		AUDIT_F_STR("rule", rule),
		AUDIT_F_STR("reason", reason),
	};

	return audit_append_durable(store_audit(s), ev, f, sizeof f / sizeof f[0], NULL);
}

/* Both entries equal and allowed: 0; otherwise a message, an audit record
 * and FGW_ERR_MISMATCH / FGW_ERR_DENIED. */
static int check_number(struct store *s, const struct send_args *a,
			const struct dialrules_policy *p, struct dialrules_decision *d)
{
	char again[DIALRULES_MAX_INPUT + 2];
	const char *second = a->confirm;

	if (second == NULL) {
		if (ask_again(again, sizeof again) != FGW_OK)
			return FGW_ERR_INVALID;
		second = again;
	}
	if (!dialrules_same(a->to, second)) {
		fprintf(stderr, "faxgw send: the two numbers differ (%s / %s); nothing was "
				"sent. Type the same number twice.\n", a->to, second);
		(void)audit_refusal(s, AUDIT_DIAL_MISMATCH, a->to, second, "",
				    "mismatch: the two entries differ");
		return FGW_ERR_MISMATCH;
	}
	if (dialrules_check(p, DIAL_FROM_LOCAL, a->to, d) != FGW_OK) {
		fprintf(stderr, "faxgw send: %s: refused by dial rule %s: %s\n", a->to, d->rule,
			d->reason);
		(void)audit_refusal(s, AUDIT_DIAL_DENIED, a->to, second, d->rule, d->reason);
		return FGW_ERR_DENIED;
	}
	return FGW_OK;
}

/* ---- the document ------------------------------------------------------ */

static enum doc_kind sniff(const char *path)
{
	static const unsigned char png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char m[8] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return DOC_UNKNOWN;
	n = read(fd, m, sizeof m);
	close(fd);
	if (n >= 4 && ((m[0] == 'I' && m[1] == 'I' && m[2] == 42 && m[3] == 0) ||
		       (m[0] == 'M' && m[1] == 'M' && m[2] == 0 && m[3] == 42)))
		return DOC_TIFF;
	if (n >= 5 && memcmp(m, "%PDF-", 5) == 0)
		return DOC_PDF;
	if (n == 8 && memcmp(m, png_magic, 8) == 0)
		return DOC_PNG;
	return DOC_UNKNOWN;
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

/* Makes a fax-ready copy of the TIFF at path in a new memory file *out
 * (the caller wipes it); *pages gets its page count. */
static int tiff_to_fax(const char *path, const char *name, int *out, unsigned *pages)
{
	struct tiffdoc *doc = NULL;
	char msg[300] = "";
	bool ready = false;
	int rc = tiffdoc_open_file(path, name, &doc, msg, sizeof msg);

	*out = -1;
	if (rc == FGW_OK)
		rc = tiffdoc_check(doc, &ready, msg, sizeof msg);
	if (rc == FGW_OK) {
		*pages = tiffdoc_pages(doc);
		*out = memfile_create("faxgw-send");
		rc = *out < 0 ? *out : ready ? copy_file(path, *out)
			     : tiffdoc_convert(doc, *out, NULL, msg, sizeof msg);
	}
	tiffdoc_close(doc);
	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw send: %s\n", msg[0] != '\0' ? msg : fgw_strerror(rc));
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

/* Runs Ghostscript on the PDF with its output going to memory file fd,
 * for at most seconds. */
static int run_gs(const char *pdf, int fd, unsigned seconds)
{
	char out[64];
	pid_t pid;
	int status, rc;

	if (str_format(out, sizeof out, "-sOutputFile=/proc/self/fd/%d", fd) != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	pid = fork();
	if (pid < 0)
		return FGW_ERR_IO;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		gs_child_limits(seconds);
		/* the memory file is close-on-exec; gs must inherit it */
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || fcntl(fd, F_SETFD, 0) < 0)
			_exit(127);
		execlp(GS_PATH, GS_PATH, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE",
		       "-sDEVICE=tiffg4", "-r204x196", "-dFIXEDMEDIA", "-sPAPERSIZE=a4", out,
		       "-f", pdf, (char *)NULL);
		_exit(127);
	}
	if ((rc = gs_wait(pid, seconds, &status)) != FGW_OK)
		return rc;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
		return FGW_ERR_TIMEOUT;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? FGW_OK : FGW_ERR_PARSE;
}

static int pdf_to_fax(const char *path, unsigned seconds, int *out, unsigned *pages)
{
	char tpath[MEMFILE_PATH_MAX];
	int fd = memfile_create("faxgw-gs"), rc;

	if (fd < 0)
		return fd;
	rc = run_gs(path, fd, seconds);
	if (rc == FGW_ERR_TIMEOUT)
		fprintf(stderr, "faxgw send: %s: Ghostscript did not finish rendering this PDF "
				"within %u s and was stopped; the PDF may be hostile or too "
				"complex (raise --convert-timeout if you trust it)\n", path,
			seconds);
	else if (rc != FGW_OK)
		fprintf(stderr, "faxgw send: %s: Ghostscript could not render this PDF (%s); "
				"check that it opens in a viewer and that gs is installed\n",
			path, rc == FGW_ERR_PARSE ? "it failed" : fgw_strerror(rc));
	if (rc == FGW_OK)
		rc = memfile_path(fd, tpath);
	if (rc == FGW_OK)
		rc = tiff_to_fax(tpath, path, out, pages);
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

/* Reads the PNG as 8-bit grey composited on white. *px is the caller's. */
static int read_png(const char *path, uint8_t **px, uint32_t *w, uint32_t *h)
{
	png_image img;
	png_color white = { 255, 255, 255 };

	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	*px = NULL;
	if (!png_image_begin_read_from_file(&img, path)) {
		fprintf(stderr, "faxgw send: %s: not a readable PNG: %s\n", path, img.message);
		return FGW_ERR_PARSE;
	}
	if (img.width == 0 || img.height == 0 || img.width > TIFFDOC_MAX_WIDTH ||
	    img.height > TIFFDOC_MAX_LENGTH || (uint64_t)img.width * img.height > PNG_MAX_PIXELS) {
		fprintf(stderr, "faxgw send: %s: %ux%u pixels is beyond what a fax page can "
				"hold; scale it down first\n", path, img.width, img.height);
		png_image_free(&img);
		return FGW_ERR_TOO_LARGE;
	}
	img.format = PNG_FORMAT_GRAY;
	*px = malloc(PNG_IMAGE_SIZE(img));
	if (*px == NULL) {
		png_image_free(&img);
		return FGW_ERR_NOMEM;
	}
	if (!png_image_finish_read(&img, &white, *px, 0, NULL)) {
		fprintf(stderr, "faxgw send: %s: damaged PNG: %s\n", path, img.message);
		free(*px);
		*px = NULL;
		return FGW_ERR_PARSE;
	}
	*w = img.width;
	*h = img.height;
	return FGW_OK;
}

static int png_to_fax(const char *path, int *out, unsigned *pages)
{
	char tpath[MEMFILE_PATH_MAX];
	uint8_t *px = NULL;
	uint32_t w = 0, h = 0;
	int fd = -1, rc = read_png(path, &px, &w, &h);

	if (rc == FGW_OK) {
		fd = memfile_create("faxgw-png");
		rc = fd < 0 ? fd : grey_tiff(fd, px, w, h);
	}
	free(px);
	if (rc == FGW_OK)
		rc = memfile_path(fd, tpath);
	if (rc == FGW_OK)
		rc = tiff_to_fax(tpath, path, out, pages);
	if (fd >= 0)
		(void)memfile_wipe_close(fd);
	return rc;
}

static int document_to_fax(const char *path, unsigned seconds, int *out, unsigned *pages)
{
	switch (sniff(path)) {
	case DOC_TIFF: return tiff_to_fax(path, path, out, pages);
	case DOC_PDF: return pdf_to_fax(path, seconds, out, pages);
	case DOC_PNG: return png_to_fax(path, out, pages);
	case DOC_UNKNOWN: break;
	}
	fprintf(stderr, "faxgw send: %s: cannot be read, or is not a TIFF, PDF or PNG "
			"(judged by its content)\n", path);
	return FGW_ERR_UNSUPPORTED;
}

/* ---- store and queue ---------------------------------------------------- */

static int store_and_queue(struct store *s, const struct queue_config *qc, int fd,
			   unsigned pages, const struct dialrules_decision *d)
{
	char doc[VAULT_ID_LEN + 1], id[QUEUE_ID_LEN + 1];
	struct queue *q = NULL;
	int64_t now = store_now_ms();
	int rc = queue_open(s, qc, NULL, NULL, &q);

	if (rc == FGW_OK)
		rc = send_job_store_document(s, fd, d->number.normal, pages, doc);
	if (rc == FGW_OK) {
		rc = queue_enqueue(q, doc, d->number.normal, DIAL_FROM_LOCAL, "cli", now, id, NULL);
		if (rc != FGW_OK)
			(void)store_doc_erase(s, doc, NULL, NULL);
	}
	queue_close(q);
	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw send: could not queue the fax: %s\n", fgw_strerror(rc));
		return rc;
	}
	printf("%s\n", id);
	fprintf(stderr, "queued job %s: %u page(s) to %s (%s)\n", id, pages, d->number.normal,
		dialrules_class_name(d->number.cls));
	return FGW_OK;
}

static int send_document(const struct send_args *a, const struct queue_config *qc)
{
	struct dialrules_decision d;
	struct store *s = NULL;
	unsigned pages = 0;
	int fd = -1, rc = store_open(a->dir, NULL, &s);

	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw send: cannot open the device in %s: %s%s\n", a->dir,
			fgw_strerror(rc), rc == FGW_ERR_BUSY ? " (is faxgwd holding the audit "
			"log? try again, or stop it)" : "");
		return 1;
	}
	rc = check_number(s, a, &qc->policy, &d);
	if (rc == FGW_OK)
		rc = document_to_fax(a->file, a->convert_timeout, &fd, &pages);
	if (rc == FGW_OK)
		rc = store_and_queue(s, qc, fd, pages, &d);
	if (fd >= 0)
		(void)memfile_wipe_close(fd);
	if (store_close(s) != FGW_OK && rc == FGW_OK)
		rc = FGW_ERR_IO;
	return rc == FGW_OK ? 0 : 1;
}

int cmd_send(int argc, char **argv)
{
	struct send_args a = { .dir = STORE_DEFAULT_DIR, .convert_timeout = GS_TIMEOUT_DEFAULT };
	struct queue_config qc;
	int rc = parse(argc, argv, &a);

	if (rc >= 0)
		return rc;
	if (load_config(a.config, &qc) != FGW_OK)
		return 1;
	return send_document(&a, &qc);
}
