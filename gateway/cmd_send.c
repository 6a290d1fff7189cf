/* faxgw send: takes a document (TIFF, PDF or PNG, told apart by content),
 * and a destination typed twice, checks the dial rules, turns the document
 * into a fax-ready TIFF-F in memory, stores it encrypted in the vault and
 * queues it. A mismatch or a refused number stores nothing and leaves a
 * security record. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/commands.h"
#include "gateway/config.h"
#include "gateway/convert.h"
#include "gateway/dialrules.h"
#include "gateway/queue.h"
#include "gateway/send_job.h"
#include "storage/memfile.h"
#include "storage/store.h"

#define SEND_DEFAULT_CONFIG "/etc/faxgw/faxgw.ini"
#define GS_TIMEOUT_DEFAULT CONVERT_TIMEOUT_DEFAULT
#define GS_TIMEOUT_MAX ((int)CONVERT_TIMEOUT_MAX)

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

static int document_to_fax(const char *path, unsigned seconds, int *out, unsigned *pages)
{
	char msg[CONVERT_MSG_MAX];
	int in = open(path, O_RDONLY | O_CLOEXEC), rc;

	*out = -1;
	if (in < 0) {
		fprintf(stderr, "faxgw send: %s: cannot be read: %s\n", path, strerror(errno));
		return FGW_ERR_IO;
	}
	rc = convert_to_fax(in, path, seconds, out, pages, msg, sizeof msg);
	close(in);
	if (rc != FGW_OK)
		fprintf(stderr, "faxgw send: %s%s\n", msg, rc == FGW_ERR_TIMEOUT ?
			" (raise --convert-timeout if you trust it)" : "");
	return rc;
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
