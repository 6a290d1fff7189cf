/* Mailbox release: PIN lockout, listing held faxes, what happens to them
 * after delivery, and the terminal helpers of the CLI. Writing TIFF and
 * PDF lives in release_out.c. */
#include "gateway/release.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/dialrules.h"
#include "gateway/queue.h"
#include "gateway/send_job.h"
#include "storage/store.h"

#define MINUTE_MS (60ll * 1000)

void release_policy_init(const struct config *cfg, struct release_policy *p)
{
	struct config *defaults = cfg == NULL ? config_defaults() : NULL;
	const struct config *c = cfg != NULL ? cfg : defaults;

	/* the declared defaults, should even they fail to load */
	p->max_failures = 3;
	p->lock_ms = 15 * MINUTE_MS;
	if (c != NULL) {
		p->max_failures = (uint32_t)config_int(c, "security", "pin_max_failures");
		p->lock_ms = config_int(c, "security", "pin_lock_minutes") * MINUTE_MS;
	}
	config_free(defaults);
}

bool release_pin_valid(const char *pin)
{
	size_t n = strlen(pin);

	if (n < RELEASE_PIN_MIN || n > RELEASE_PIN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (pin[i] < '0' || pin[i] > '9')
			return false;
	return true;
}

/* ---- lockout ------------------------------------------------------------ */

int release_lock_state(struct store *s, const char *mailbox, int64_t now_ms,
		       struct catalog_lockout *out, bool *locked)
{
	int rc = catalog_lockout_get(store_catalog(s), RELEASE_LOCK_SCOPE, mailbox, out);

	*locked = rc == FGW_OK && out->locked_until_ms > now_ms;
	return rc;
}

int release_lock_clear(struct store *s, const char *mailbox)
{
	return catalog_lockout_clear(store_catalog(s), RELEASE_LOCK_SCOPE, mailbox);
}

/* Counts the attempt as a failure before the PIN is even checked, in one
 * transaction: parallel guesses (CLI and web at once) cannot get past the
 * limit. FGW_ERR_LOCKED while a lock runs. */
static int count_attempt(struct store *s, const char *mailbox, int64_t now_ms,
			 struct release_lock_info *info)
{
	struct catalog *cat = store_catalog(s);
	struct catalog_lockout l;
	int rc = catalog_begin(cat);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_lockout_get(cat, RELEASE_LOCK_SCOPE, mailbox, &l);
	if (rc == FGW_OK && l.locked_until_ms > now_ms)
		rc = FGW_ERR_LOCKED;
	if (rc == FGW_OK) {
		if (l.locked_until_ms != 0)   /* a lock that ran out: start afresh */
			l.failures = 0;
		l.failures++;
		l.locked_until_ms = 0;
		rc = catalog_lockout_set(cat, RELEASE_LOCK_SCOPE, mailbox, &l);
	}
	info->failures = l.failures;
	info->locked_until_ms = l.locked_until_ms;
	if (rc == FGW_OK)
		return catalog_commit(cat);
	(void)catalog_rollback(cat);
	return rc;
}

/* Appends the asker's fields (none for NULL) after the n fields of f,
 * which has room for two more. Returns the new count. */
static size_t with_actor(struct audit_field *f, size_t n, const struct release_actor *who)
{
	if (who == NULL)
		return n;
	f[n++] = AUDIT_F_STR("user", who->user != NULL ? who->user : "");
	f[n++] = AUDIT_F_STR("source", who->source != NULL ? who->source : "");
	return n;
}

static int audit_locked_attempt(struct store *s, const char *mailbox,
				const struct release_actor *who,
				const struct release_lock_info *info)
{
	struct audit_field f[5] = {
		AUDIT_F_STR("event", "pin_attempt_while_locked"),
		AUDIT_F_STR("mailbox", mailbox),
		AUDIT_F_INT("locked_until_ms", info->locked_until_ms),
	};
	size_t n = with_actor(f, 3, who);
	int rc = audit_append_durable(store_audit(s), AUDIT_SECURITY, f, n, NULL);

	return rc != FGW_OK ? rc : FGW_ERR_LOCKED;
}

/* A wrong PIN: the count stands; at the limit the lock starts. */
static int record_failure(struct store *s, const struct release_policy *p,
			  const char *mailbox, int64_t now_ms, const struct release_actor *who,
			  struct release_lock_info *info)
{
	struct catalog_lockout l = {.failures = info->failures};
	struct audit_field f[5] = {
		AUDIT_F_STR("mailbox", mailbox),
		AUDIT_F_INT("failures", info->failures),
		AUDIT_F_INT("max_failures", p->max_failures),
	};
	int rc = audit_append(store_audit(s), AUDIT_PIN_FAILURE, f, with_actor(f, 3, who), NULL);
	int more;

	if (info->failures >= p->max_failures) {
		l.locked_until_ms = info->locked_until_ms = now_ms + p->lock_ms;
		more = catalog_lockout_set(store_catalog(s), RELEASE_LOCK_SCOPE, mailbox, &l);
		struct audit_field g[6] = {
			AUDIT_F_STR("mailbox", mailbox),
			AUDIT_F_INT("failures", info->failures),
			AUDIT_F_INT("minutes", p->lock_ms / MINUTE_MS),
			AUDIT_F_INT("locked_until_ms", l.locked_until_ms),
		};
		if (rc == FGW_OK)
			rc = more;
		more = audit_append(store_audit(s), AUDIT_LOCKOUT, g, with_actor(g, 4, who), NULL);
		if (rc == FGW_OK)
			rc = more;
	}
	more = audit_sync(store_audit(s), NULL);
	if (rc == FGW_OK)
		rc = more;
	return rc != FGW_OK ? rc : FGW_ERR_BAD_PIN;
}

int release_unlock(struct store *s, const struct release_policy *p, const char *mailbox,
		   const char *pin, int64_t now_ms, struct release_lock_info *info)
{
	return release_unlock_as(s, p, mailbox, pin, now_ms, NULL, info);
}

int release_unlock_as(struct store *s, const struct release_policy *p, const char *mailbox,
		      const char *pin, int64_t now_ms, const struct release_actor *who,
		      struct release_lock_info *info)
{
	struct release_lock_info spare;
	struct catalog_mailbox mb;
	int rc = catalog_mailbox_get(store_catalog(s), mailbox, &mb);

	OPENSSL_cleanse(&mb, sizeof mb);
	if (info == NULL)
		info = &spare;
	memset(info, 0, sizeof *info);
	if (rc != FGW_OK)
		return rc;
	rc = count_attempt(s, mailbox, now_ms, info);
	if (rc == FGW_ERR_LOCKED)
		return audit_locked_attempt(s, mailbox, who, info);
	if (rc != FGW_OK)
		return rc;
	rc = store_mailbox_check_pin(s, mailbox, pin);
	if (rc == FGW_ERR_BAD_PIN)
		return record_failure(s, p, mailbox, now_ms, who, info);
	if (rc != FGW_OK)
		return rc;
	info->failures = 0;
	return release_lock_clear(s, mailbox);
}

/* ---- listing ------------------------------------------------------------ */

struct held_walk {
	catalog_document_fn fn;
	void *arg;
};

static int held_only(const struct catalog_document *doc, void *arg)
{
	struct held_walk *w = arg;

	if (doc->direction != CATALOG_DIR_IN ||
	    (doc->state != CATALOG_DOC_HELD && doc->state != CATALOG_DOC_RELEASED))
		return FGW_OK;
	return w->fn(doc, w->arg);
}

int release_list(struct store *s, const char *mailbox, catalog_document_fn fn, void *arg)
{
	struct held_walk w = {.fn = fn, .arg = arg};

	if (mailbox[0] == '\0')
		return FGW_ERR_INVALID;
	return catalog_document_list(store_catalog(s), mailbox, held_only, &w);
}

long long release_held_count(struct store *s, const char *mailbox)
{
	return catalog_document_count(store_catalog(s), mailbox);
}

const char *release_format_name(enum release_format f)
{
	return f == RELEASE_PDF ? "pdf" : "tiff";
}

int release_format_parse(const char *name, enum release_format *out)
{
	if (strcmp(name, "tiff") == 0 || strcmp(name, "tif") == 0)
		*out = RELEASE_TIFF;
	else if (strcmp(name, "pdf") == 0)
		*out = RELEASE_PDF;
	else
		return FGW_ERR_INVALID;
	return FGW_OK;
}

/* ---- after delivery ----------------------------------------------------- */

const char *release_disposal_name(enum release_disposal d)
{
	return d == RELEASE_KEPT ? "kept" : d == RELEASE_RETAINED ? "retained" : "erased";
}

static int decide(struct store *s, const char *mailbox, bool keep, bool erase_now,
		  enum release_disposal *d)
{
	struct catalog_mailbox mb;
	int rc = FGW_OK;

	*d = RELEASE_ERASED;
	if (keep) {
		*d = RELEASE_KEPT;
	} else if (!erase_now) {
		rc = catalog_mailbox_get(store_catalog(s), mailbox, &mb);
		if (rc == FGW_OK && mb.retention_days > 0)
			*d = RELEASE_RETAINED;
		OPENSSL_cleanse(&mb, sizeof mb);
	}
	return rc;
}

int release_finish(struct store *s, const char *mailbox, const char *id, const char *action,
		   bool keep, bool erase_now, enum release_disposal *done,
		   struct store_erase_report *rep)
{
	return release_finish_as(s, mailbox, id, action, keep, erase_now, NULL, done, rep);
}

int release_finish_as(struct store *s, const char *mailbox, const char *id, const char *action,
		      bool keep, bool erase_now, const struct release_actor *who,
		      enum release_disposal *done, struct store_erase_report *rep)
{
	struct catalog_document row;
	int rc = decide(s, mailbox, keep, erase_now, done);

	if (rc == FGW_OK)
		rc = catalog_document_get(store_catalog(s), id, &row);
	if (rc == FGW_OK && *done != RELEASE_ERASED)
		rc = catalog_document_set_state(store_catalog(s), id, CATALOG_DOC_RELEASED,
						row.pages, store_now_ms());
	OPENSSL_cleanse(&row, sizeof row);
	if (rc != FGW_OK)
		return rc;
	{
		struct audit_field f[6] = {
			AUDIT_F_STR("mailbox", mailbox),
			AUDIT_F_STR("document", id),
			AUDIT_F_STR("action", action),
			AUDIT_F_STR("disposal", release_disposal_name(*done)),
		};
		/* durable before the erase, so the release is never lost */
		rc = audit_append_durable(store_audit(s), AUDIT_MAILBOX_RELEASE, f,
					  with_actor(f, 4, who), NULL);
	}
	if (rc == FGW_OK && *done == RELEASE_ERASED)
		rc = store_doc_erase(s, id, NULL, rep);
	return rc;
}

int release_audit_list(struct store *s, const char *mailbox, long long count)
{
	const struct audit_field f[] = {
		AUDIT_F_STR("mailbox", mailbox),
		AUDIT_F_STR("action", "list"),
		AUDIT_F_INT("documents", count),
	};

	return audit_append_durable(store_audit(s), AUDIT_MAILBOX_RELEASE, f, 3, NULL);
}

struct ids {
	char (*id)[CATALOG_ID_MAX + 1];
	size_t n, cap;
};

static int collect_id(const struct catalog_document *doc, void *arg)
{
	struct ids *ids = arg;

	if (ids->n == ids->cap) {
		size_t cap = ids->cap == 0 ? 16 : ids->cap * 2;
		void *p = realloc(ids->id, cap * sizeof *ids->id);

		if (p == NULL)
			return FGW_ERR_NOMEM;
		ids->id = p;
		ids->cap = cap;
	}
	return str_copy(ids->id[ids->n++], sizeof ids->id[0], doc->id);
}

int release_erase_held(struct store *s, const char *mailbox, const char *reason,
		       uint64_t *erased)
{
	struct ids ids = {0};
	int rc = catalog_document_list(store_catalog(s), mailbox, collect_id, &ids), one;

	if (erased != NULL)
		*erased = 0;
	for (size_t i = 0; rc == FGW_OK && i < ids.n; i++) {
		one = store_doc_erase(s, ids.id[i], NULL, NULL);
		if (one == FGW_OK && erased != NULL)
			(*erased)++;
		if (one != FGW_OK)
			rc = one;
	}
	free(ids.id);
	if (rc == FGW_OK) {
		const struct audit_field f[] = {
			AUDIT_F_STR("event", "mailbox_documents_erased"),
			AUDIT_F_STR("mailbox", mailbox),
			AUDIT_F_STR("reason", reason),
			AUDIT_F_INT("documents", (int64_t)ids.n),
		};
		rc = audit_append_durable(store_audit(s), AUDIT_SECURITY, f, 4, NULL);
	}
	return rc;
}

/* ---- terminal front ends ------------------------------------------------ */

static void print_problem(void *arg, const char *msg)
{
	fprintf(arg, "%s\n", msg);
}

int release_config_load(const char *path, struct config **out)
{
	*out = NULL;
	if (path == NULL && access(RELEASE_DEFAULT_CONFIG, F_OK) != 0) {
		*out = config_defaults();
		return *out != NULL ? FGW_OK : FGW_ERR_NOMEM;
	}
	return config_load(path != NULL ? path : RELEASE_DEFAULT_CONFIG, print_problem, stderr,
			   out);
}

int release_store_open(const char *dir, const struct config *cfg, struct store **out)
{
	struct store_options o = {0};

	o.pin_cost = KEYS_SCRYPT_DEFAULT;
	o.pin_cost.log2_n = (unsigned)config_int(cfg, "security", "scrypt_log2_n");
	return store_open(dir, &o, out);
}

static int read_line_fd(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	bool too_long = false;
	char c = 0;
	ssize_t r;

	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return FGW_ERR_IO;
		if (r == 0 || c == '\n')
			break;
		if (n + 1 < cap)
			buf[n++] = c;
		else
			too_long = true;
	}
	if (r == 0 && n == 0 && !too_long)
		return FGW_ERR_NOT_FOUND;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	c = 0;
	return too_long ? FGW_ERR_TOO_LARGE : FGW_OK;
}

int release_read_secret(bool from_stdin, const char *prompt, char *buf, size_t cap)
{
	struct termios old, quiet;
	int fd, rc;

	if (cap == 0)
		return FGW_ERR_INVALID;
	if (from_stdin)
		return read_line_fd(STDIN_FILENO, buf, cap);
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || tcgetattr(fd, &old) != 0) {
		if (fd >= 0)
			close(fd);
		return FGW_ERR_IO;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
	rc = tcsetattr(fd, TCSAFLUSH, &quiet) == 0 &&
	     write(fd, prompt, strlen(prompt)) == (ssize_t)strlen(prompt) ? FGW_OK : FGW_ERR_IO;
	if (rc == FGW_OK)
		rc = read_line_fd(fd, buf, cap);
	if (tcsetattr(fd, TCSAFLUSH, &old) != 0 || write(fd, "\n", 1) != 1)
		log_warn("could not restore the terminal; run stty sane");
	close(fd);
	return rc;
}

void release_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void release_time_text(int64_t ms, char out[static 32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)str_copy(out, 32, "-");
}

_Static_assert(QUEUE_ID_LEN + 1 == 13, "release_queue_print's job buffer");

int release_queue_print(struct store *s, int fd, uint32_t pages, const char *origin,
			int64_t now_ms, char job[static 13])
{
	char doc[VAULT_ID_LEN + 1];
	struct queue_config qc;
	struct queue *q = NULL;
	int rc;

	queue_config_init(&qc);
	rc = send_job_store_document(s, fd, CATALOG_LINE_DEVICE, pages, doc);
	if (rc == FGW_OK && (rc = queue_open(s, &qc, NULL, NULL, &q)) == FGW_OK &&
	    (rc = queue_enqueue_device(q, doc, DIAL_FROM_LOCAL, origin, now_ms, job)) != FGW_OK)
		(void)store_doc_erase(s, doc, NULL, NULL);
	queue_close(q);
	return rc;
}
