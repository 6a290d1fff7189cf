/* faxgw release: the receiving staff's side of a confidential mailbox.
 * The PIN (without echo) unlocks the mailbox, then its held faxes are
 * listed or written out as TIFF or PDF and erased unless kept. The logic
 * is in gateway/release.h. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/commands.h"
#include "gateway/config.h"
#include "gateway/queue.h"
#include "gateway/release.h"
#include "gateway/send_job.h"
#include "storage/memfile.h"
#include "storage/store.h"

#define PIN_CAP 128
#define PATH_CAP 4096

struct rel_args {
	const char *dir, *config, *mailbox, *doc, *out_dir;
	enum release_format format;
	bool pin_stdin, list, all, keep, erase, json, print;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgw release MAILBOX [--list] [--pin-stdin] [--json]\n"
		"       faxgw release MAILBOX (--doc ID | --all) [--format tiff|pdf | --print]\n"
		"                     [--out DIR] [--keep | --erase] [--pin-stdin] [--json]\n\n"
		"Asks the mailbox PIN without echo (--pin-stdin: first line of stdin).\n"
		"After [security] pin_max_failures wrong PINs in a row the mailbox locks\n"
		"for pin_lock_minutes; every wrong PIN and every lock is in the audit log.\n\n"
		"--list (the default) shows the held faxes: id, received, from, pages.\n"
		"--doc ID or --all writes them to DIR/ID.tif or DIR/ID.pdf (mode 0600;\n"
		"an existing file is never overwritten). TIFF holds the pages exactly as\n"
		"received; PDF embeds them losslessly (CCITT G4).\n\n"
		"Afterwards a written fax is erased (signed certificate in DATA/" STORE_CERT_DIR
		"),\n"
		"unless --keep is given (nothing is erased), or the mailbox keeps released\n"
		"faxes (retention-days > 0: erased when that time is up) and --erase is not\n"
		"given. --keep wins over --erase's absence and over retention; --erase wins\n"
		"over retention.\n\n"
		"  --format tiff|pdf  output format (default tiff)\n"
		"  --print            instead of a file: queue the fax to the office device line\n"
		"                     (faxgwd sends it there; in this version the device line is\n"
		"                     a simulation, see [lines] device_dir). The pages are\n"
		"                     decrypted with the PIN here and stored again, encrypted,\n"
		"                     as an outbound document; see faxgw jobs\n"
		"  --out DIR          where files go (default: the current folder)\n"
		"  --data DIR         data directory (default " STORE_DEFAULT_DIR ")\n"
		"  --config FILE      configuration (default " RELEASE_DEFAULT_CONFIG
		" if present)\n"
		"  --json             machine-readable output\n"
		"  --help             this text\n");
}

static int parse_opt(int c, struct rel_args *a)
{
	switch (c) {
	case 'd': a->dir = optarg; return 0;
	case 'C': a->config = optarg; return 0;
	case 'D': a->doc = optarg; return 0;
	case 'o': a->out_dir = optarg; return 0;
	case 'f':
		if (release_format_parse(optarg, &a->format) == FGW_OK)
			return 0;
		fprintf(stderr, "faxgw release: --format is tiff or pdf, not '%s'\n", optarg);
		return 2;
	case 'i': a->pin_stdin = true; return 0;
	case 'l': a->list = true; return 0;
	case 'a': a->all = true; return 0;
	case 'k': a->keep = true; return 0;
	case 'e': a->erase = true; return 0;
	case 'j': a->json = true; return 0;
	case 'p': a->print = true; return 0;
	case 'h': usage(stdout); return 1;
	default: usage(stderr); return 2;
	}
}

static int check_args(const struct rel_args *a)
{
	const char *why = NULL;

	if (a->mailbox == NULL)
		why = "give the MAILBOX number";
	else if (a->doc != NULL && a->all)
		why = "give --doc ID or --all, not both";
	else if (a->list && (a->doc != NULL || a->all))
		why = "--list shows the faxes; leave out --doc/--all";
	else if (a->keep && a->erase)
		why = "--keep and --erase contradict each other";
	if (why == NULL)
		return -1;
	fprintf(stderr, "faxgw release: %s\n", why);
	return 2;
}

static int parse(int argc, char **argv, struct rel_args *a)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'}, {"config", required_argument, NULL, 'C'},
		{"doc", required_argument, NULL, 'D'}, {"out", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, 'f'}, {"pin-stdin", no_argument, NULL, 'i'},
		{"list", no_argument, NULL, 'l'}, {"all", no_argument, NULL, 'a'},
		{"keep", no_argument, NULL, 'k'}, {"erase", no_argument, NULL, 'e'},
		{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
		{"print", no_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	int c, rc;

	a->dir = STORE_DEFAULT_DIR;
	a->out_dir = ".";
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if ((rc = parse_opt(c, a)) != 0)
			return rc == 1 ? 0 : rc;
	if (optind < argc)
		a->mailbox = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "faxgw release: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return check_args(a);
}

/* ---- unlocking ---------------------------------------------------------- */

static int unlock(const struct rel_args *a, struct store *s, const struct config *cfg,
		  char pin[PIN_CAP])
{
	struct release_lock_info info = {0};
	struct release_policy p;
	char prompt[128], until[32];
	int rc;

	release_policy_init(cfg, &p);
	if (str_format(prompt, sizeof prompt, "PIN for mailbox %s: ", a->mailbox) != FGW_OK)
		return FGW_ERR_INVALID;
	rc = release_read_secret(a->pin_stdin, prompt, pin, PIN_CAP);
	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw release: %s\n", rc == FGW_ERR_IO
			? "no terminal to ask the PIN on; use --pin-stdin"
			: "no PIN given");
		return rc;
	}
	rc = release_unlock(s, &p, a->mailbox, pin, store_now_ms(), &info);
	release_time_text(info.locked_until_ms, until);
	if (rc == FGW_ERR_LOCKED || (rc == FGW_ERR_BAD_PIN && info.locked_until_ms != 0))
		fprintf(stderr, "faxgw release: %smailbox %s is locked after %u wrong PINs until "
				"%s (UTC); try again then\n",
			rc == FGW_ERR_BAD_PIN ? "wrong PIN; " : "", a->mailbox, p.max_failures,
			until);
	else if (rc == FGW_ERR_BAD_PIN)
		fprintf(stderr, "faxgw release: wrong PIN for mailbox %s (%u of %u before it "
				"locks)\n", a->mailbox, info.failures, p.max_failures);
	else if (rc == FGW_ERR_NOT_FOUND)
		fprintf(stderr, "faxgw release: no mailbox %s (faxgw mailbox list)\n", a->mailbox);
	else if (rc != FGW_OK)
		fprintf(stderr, "faxgw release: cannot open mailbox %s: %s\n", a->mailbox,
			fgw_strerror(rc));
	return rc;
}

/* ---- listing ------------------------------------------------------------ */

struct doc_list {
	bool json;
	long long n;
	char (*id)[CATALOG_ID_MAX + 1];   /* collected for --all */
	size_t cap;
};

static void print_doc(const struct catalog_document *doc, bool json, bool first)
{
	char when[32];

	release_time_text(doc->created_ms, when);
	if (!json) {
		printf("%-32s  %s  %-20s %-20s %5u  %s\n", doc->id, when,
		       doc->remote_number[0] != '\0' ? doc->remote_number : "-",
		       doc->remote_ident[0] != '\0' ? doc->remote_ident : "-", doc->pages,
		       doc->state == CATALOG_DOC_RELEASED ? "released" : "held");
		return;
	}
	printf("%s\n {\"id\":\"%s\",\"received\":\"%s\",\"from\":", first ? "" : ",", doc->id,
	       when);
	release_json_string(stdout, doc->remote_number);
	printf(",\"ident\":");
	release_json_string(stdout, doc->remote_ident);
	printf(",\"pages\":%u,\"state\":\"%s\"}", doc->pages,
	       doc->state == CATALOG_DOC_RELEASED ? "released" : "held");
}

static int list_one(const struct catalog_document *doc, void *arg)
{
	struct doc_list *l = arg;

	print_doc(doc, l->json, l->n == 0);
	l->n++;
	return FGW_OK;
}

static int do_list(const struct rel_args *a, struct store *s)
{
	struct doc_list l = {.json = a->json};
	int rc;

	if (a->json)
		printf("[");
	else
		printf("%-32s  %-20s  %-20s %-20s %5s  %s\n", "ID", "RECEIVED (UTC)", "FROM",
		       "IDENT", "PAGES", "STATE");
	rc = release_list(s, a->mailbox, list_one, &l);
	if (a->json)
		printf("%s]\n", l.n > 0 ? "\n" : "");
	if (rc == FGW_OK)
		rc = release_audit_list(s, a->mailbox, l.n);
	return rc;
}

/* ---- writing ------------------------------------------------------------ */

static int collect(const struct catalog_document *doc, void *arg)
{
	struct doc_list *l = arg;

	if ((size_t)l->n == l->cap) {
		size_t cap = l->cap == 0 ? 16 : l->cap * 2;
		void *p = realloc(l->id, cap * sizeof *l->id);

		if (p == NULL)
			return FGW_ERR_NOMEM;
		l->id = p;
		l->cap = cap;
	}
	return str_copy(l->id[l->n++], sizeof l->id[0], doc->id);
}

/* Creates the output file: owner-only, never over an existing one. */
static int create_out(const struct rel_args *a, const char *id, char path[PATH_CAP], int *fd)
{
	if (str_format(path, PATH_CAP, "%s/%s.%s", a->out_dir, id,
		       a->format == RELEASE_PDF ? "pdf" : "tif") != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	*fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd >= 0)
		return FGW_OK;
	if (errno == EEXIST)
		fprintf(stderr, "faxgw release: %s exists; not overwriting it (move it away or "
				"give another --out)\n", path);
	else
		fprintf(stderr, "faxgw release: cannot create %s: %s\n", path, strerror(errno));
	return errno == EEXIST ? FGW_ERR_EXISTS : FGW_ERR_IO;
}

static int write_one(const struct rel_args *a, struct store *s, const char *pin,
		     const char *id, char path[PATH_CAP], uint32_t *pages)
{
	int fd = -1, rc = create_out(a, id, path, &fd);

	if (rc != FGW_OK)
		return rc;
	rc = release_write(s, a->mailbox, id, pin, a->format, fd, pages);
	if (rc == FGW_OK && fsync(fd) != 0)
		rc = FGW_ERR_IO;
	if (close(fd) != 0 && rc == FGW_OK)
		rc = FGW_ERR_IO;
	if (rc == FGW_OK)
		return rc;
	/* never leave half a fax behind */
	if (unlink(path) != 0)
		log_warn("could not remove the partial file %s", path);
	if (rc == FGW_ERR_NOT_FOUND)
		fprintf(stderr, "faxgw release: no fax %s in mailbox %s (faxgw release %s "
				"--list)\n", id, a->mailbox, a->mailbox);
	else
		fprintf(stderr, "faxgw release: fax %s could not be written: %s\n", id,
			fgw_strerror(rc));
	return rc;
}

static int print_one(const struct rel_args *a, struct store *s, const char *pin,
		     const char *id, char path[PATH_CAP], uint32_t *pages)
{
	char job[QUEUE_ID_LEN + 1];
	int fd = memfile_create("faxgw-print"), rc;

	if (fd < 0)
		return fd;
	rc = release_write(s, a->mailbox, id, pin, RELEASE_TIFF, fd, pages);
	if (rc == FGW_OK)
		rc = release_queue_print(s, fd, *pages, "release --print", store_now_ms(), job);
	if (memfile_wipe_close(fd) != FGW_OK)
		log_warn("could not wipe the memory copy of fax %s", id);
	if (rc == FGW_OK)
		return str_format(path, PATH_CAP, "office device line, job %s", job);
	fprintf(stderr, "faxgw release: fax %s could not be queued for printing: %s\n", id,
		fgw_strerror(rc));
	return rc;
}

static int release_one(const struct rel_args *a, struct store *s, const char *pin,
		       const char *id, bool first)
{
	struct store_erase_report rep = {0};
	enum release_disposal d = RELEASE_KEPT;
	char path[PATH_CAP];
	uint32_t pages = 0;
	int rc = a->print ? print_one(a, s, pin, id, path, &pages) :
		 write_one(a, s, pin, id, path, &pages);

	if (rc == FGW_OK)
		rc = release_finish(s, a->mailbox, id, a->print ? "print" :
				    release_format_name(a->format), a->keep, a->erase, &d, &rep);
	if (rc != FGW_OK)
		return rc;
	if (!a->json) {
		printf("%s: %u page(s) -> %s (%s)\n", id, pages, path, release_disposal_name(d));
		return rc;
	}
	printf("%s\n {\"id\":\"%s\",\"file\":", first ? "" : ",", id);
	release_json_string(stdout, path);
	printf(",\"pages\":%u,\"format\":\"%s\",\"disposal\":\"%s\",\"certificate\":", pages,
	       release_format_name(a->format), release_disposal_name(d));
	release_json_string(stdout, rep.cert_path);
	printf("}");
	return rc;
}

static int do_release(const struct rel_args *a, struct store *s, const char *pin)
{
	struct doc_list l = {0};
	long long done = 0;
	int rc = a->all ? release_list(s, a->mailbox, collect, &l) : FGW_OK;

	if (a->json)
		printf("[");
	if (!a->all && (rc = release_one(a, s, pin, a->doc, true)) == FGW_OK)
		done = 1;
	for (long long i = 0; rc == FGW_OK && i < l.n; i++)
		if ((rc = release_one(a, s, pin, l.id[i], i == 0)) == FGW_OK)
			done++;
	if (a->json)
		printf("%s]\n", done > 0 ? "\n" : "");
	if (rc == FGW_OK && done == 0 && !a->json)
		printf("mailbox %s holds no faxes\n", a->mailbox);
	free(l.id);
	return rc;
}

int cmd_release(int argc, char **argv)
{
	struct rel_args a = {0};
	struct config *cfg = NULL;
	struct store *s = NULL;
	char pin[PIN_CAP] = "";
	int rc = parse(argc, argv, &a);

	if (rc >= 0)
		return rc;
	rc = release_config_load(a.config, &cfg);
	if (rc == FGW_OK && (rc = release_store_open(a.dir, cfg, &s)) != FGW_OK)
		fprintf(stderr, "faxgw release: cannot open the device in %s: %s\n", a.dir,
			fgw_strerror(rc));
	if (rc == FGW_OK)
		rc = unlock(&a, s, cfg, pin);
	if (rc == FGW_OK)
		rc = a.doc != NULL || a.all ? do_release(&a, s, pin) : do_list(&a, s);
	OPENSSL_cleanse(pin, sizeof pin);
	if (store_close(s) != FGW_OK && rc == FGW_OK)
		rc = FGW_ERR_IO;
	config_free(cfg);
	return rc == FGW_OK ? 0 : 1;
}
