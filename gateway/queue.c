/* The outbound job queue over the catalog; see queue.h. */
#include "gateway/queue.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/devpolicy.h"
#include "storage/audit.h"
#include "storage/store.h"

#define MAX_DELAY_MS (7LL * 24 * 3600 * 1000)   /* no wait beyond a week */
#define ID_TRIES 4

struct queue {
	struct store *store;
	struct queue_config cfg;
	queue_notify_fn notify;
	void *notify_arg;
};

void queue_config_init(struct queue_config *c)
{
	c->max_tries = 3;
	c->retry_seconds = 60;
	c->backoff_factor = 2;
	dialrules_policy_init(&c->policy);
}

int queue_config_load(const struct config *cfg, struct queue_config *c, char *msg,
		      size_t msgsize)
{
	queue_config_init(c);
	c->max_tries = (unsigned)config_int(cfg, "queue", "max_tries");
	c->retry_seconds = (unsigned)config_int(cfg, "queue", "retry_seconds");
	c->backoff_factor = (unsigned)config_int(cfg, "queue", "backoff_factor");
	return dialrules_policy_load(cfg, &c->policy, msg, msgsize);
}

int queue_open(struct store *s, const struct queue_config *cfg, queue_notify_fn notify,
	       void *notify_arg, struct queue **out)
{
	struct queue *q;

	*out = NULL;
	if (cfg->max_tries < 1 || cfg->max_tries > 100 || cfg->retry_seconds < 1 ||
	    cfg->backoff_factor < 1)
		return FGW_ERR_INVALID;
	q = calloc(1, sizeof *q);
	if (q == NULL)
		return FGW_ERR_NOMEM;
	*q = (struct queue){ s, *cfg, notify, notify_arg };
	*out = q;
	return FGW_OK;
}

int queue_recover(struct queue *q, int64_t now_ms, int *moved)
{
	int n = 0, rc = catalog_jobs_move_state(store_catalog(q->store), QUEUE_STATE_SENDING,
						QUEUE_STATE_QUEUED, now_ms, &n);

	if (rc == FGW_OK && n > 0)
		log_warn("queue: %d job(s) were being sent when the gateway stopped; "
			 "they are queued again", n);
	if (moved != NULL)
		*moved = n;
	return rc;
}

void queue_close(struct queue *q)
{
	free(q);
}

static int new_job_id(char id[static QUEUE_ID_LEN + 1])
{
	unsigned char raw[QUEUE_ID_LEN / 2];

	if (RAND_bytes(raw, sizeof raw) != 1)
		return FGW_ERR_CRYPTO;
	str_hex(raw, sizeof raw, id);
	return FGW_OK;
}

static int audit_denied(struct queue *q, const char *document, const char *destination,
			enum dialrules_origin origin, const char *device,
			const struct dialrules_decision *d)
{
	const struct audit_field f[] = {
		AUDIT_F_STR("destination", destination),
		AUDIT_F_STR("rule", d->rule),
		AUDIT_F_STR("reason", d->reason),
		AUDIT_F_STR("origin", dialrules_origin_name(origin)),
		AUDIT_F_STR("device", device),
		AUDIT_F_STR("document", document),
	};
	struct audit *a = store_audit(q->store);
	int rc = audit_append(a, AUDIT_DIAL_DENIED, f, sizeof f / sizeof f[0], NULL);

	return rc == FGW_OK ? audit_sync(a, NULL) : rc;
}

/* Inserts the row and marks the document queued, in one transaction. */
static int insert_job(struct queue *q, struct catalog_outjob *j)
{
	struct catalog *cat = store_catalog(q->store);
	struct catalog_document doc;
	int rc = catalog_begin(cat);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_document_get(cat, j->job.document, &doc);
	if (rc == FGW_OK && doc.direction != CATALOG_DIR_OUT)
		rc = FGW_ERR_INVALID;
	if (rc == FGW_OK)
		rc = catalog_jobs_insert(cat, j);
	if (rc == FGW_OK)
		rc = catalog_document_set_state(cat, doc.id, CATALOG_DOC_QUEUED, doc.pages,
						j->job.created_ms);
	rc = rc == FGW_OK ? catalog_commit(cat) : rc;
	if (rc != FGW_OK)
		(void)catalog_rollback(cat);
	OPENSSL_cleanse(&doc, sizeof doc);   /* it carries the wrapped key */
	return rc;
}

/* Fills the common fields of j and inserts it under a fresh id. */
static int add_job(struct queue *q, struct catalog_outjob *j, enum dialrules_origin origin,
		   int64_t now_ms, char id[static QUEUE_ID_LEN + 1])
{
	int rc = FGW_ERR_EXISTS;

	(void)str_copy(j->job.state, sizeof j->job.state, QUEUE_STATE_QUEUED);
	(void)str_copy(j->origin, sizeof j->origin, dialrules_origin_name(origin));
	j->job.next_try_ms = j->job.created_ms = j->updated_ms = now_ms;
	j->max_tries = q->cfg.max_tries;
	for (int i = 0; i < ID_TRIES && rc == FGW_ERR_EXISTS; i++) {
		rc = new_job_id(j->job.id);
		if (rc == FGW_OK)
			rc = insert_job(q, j);
	}
	if (rc == FGW_OK)
		rc = str_copy(id, QUEUE_ID_LEN + 1, j->job.id);
	return rc;
}

/* The dial policy for a request: a named office device's own settings
 * over the configured ones (gateway/devpolicy.h); everyone else gets the
 * configured ones. */
static int request_policy(struct queue *q, enum dialrules_origin origin, const char *device,
			  struct dialrules_policy *out)
{
	struct devpolicy dflt, merged;
	char msg[DIALRULES_REASON_MAX];
	int rc;

	*out = q->cfg.policy;
	if (origin != DIAL_FROM_DEVICE || device == NULL || device[0] == '\0')
		return FGW_OK;
	devpolicy_init(&dflt);
	dflt.dial = q->cfg.policy;
	rc = devpolicy_for_device(store_catalog(q->store), &dflt, device, &merged, msg,
				  sizeof msg);
	if (rc != FGW_OK) {
		log_error("queue: %s", msg);
		return rc;
	}
	*out = merged.dial;
	return FGW_OK;
}

int queue_enqueue(struct queue *q, const char *document, const char *destination,
		  enum dialrules_origin origin, const char *device, int64_t now_ms,
		  char id[static QUEUE_ID_LEN + 1], struct dialrules_decision *d)
{
	struct dialrules_decision local;
	struct dialrules_policy policy;
	struct catalog_outjob j = {0};
	int rc;

	if (d == NULL)
		d = &local;
	memset(d, 0, sizeof *d);
	rc = request_policy(q, origin, device, &policy);
	if (rc != FGW_OK)
		return rc;
	if (dialrules_check(&policy, origin, destination, d) != FGW_OK) {
		rc = audit_denied(q, document, destination, origin, device, d);
		return rc == FGW_OK ? FGW_ERR_DENIED : rc;
	}
	rc = str_copy(j.job.document, sizeof j.job.document, document);
	if (rc == FGW_OK)
		rc = str_copy(j.job.destination, sizeof j.job.destination, d->number.normal);
	if (rc == FGW_OK)
		rc = str_copy(j.device, sizeof j.device, device != NULL ? device : "");
	if (rc != FGW_OK)
		return FGW_ERR_RANGE;
	(void)str_copy(j.line, sizeof j.line, CATALOG_LINE_TRUNK);
	return add_job(q, &j, origin, now_ms, id);
}

int queue_enqueue_device(struct queue *q, const char *document, enum dialrules_origin origin,
			 const char *device, int64_t now_ms, char id[static QUEUE_ID_LEN + 1])
{
	struct catalog_outjob j = {0};
	int rc;

	if (str_copy(j.job.document, sizeof j.job.document, document) != FGW_OK ||
	    str_copy(j.device, sizeof j.device, device != NULL ? device : "") != FGW_OK)
		return FGW_ERR_RANGE;
	(void)str_copy(j.job.destination, sizeof j.job.destination, CATALOG_LINE_DEVICE);
	(void)str_copy(j.line, sizeof j.line, CATALOG_LINE_DEVICE);
	rc = add_job(q, &j, origin, now_ms, id);
	if (rc == FGW_OK)
		log_info("queue: job %s routed to the office device line (origin %s); trunk dial "
			 "rules do not apply", id, dialrules_origin_name(origin));
	return rc;
}

int queue_requeue(struct queue *q, const char *id, int64_t now_ms)
{
	struct catalog_outjob j;
	int rc = catalog_jobs_get(store_catalog(q->store), id, &j);

	if (rc != FGW_OK)
		return rc;
	if (strcmp(j.job.state, QUEUE_STATE_SENDING) != 0)
		return FGW_ERR_STATE;
	(void)str_copy(j.job.state, sizeof j.job.state, QUEUE_STATE_QUEUED);
	j.updated_ms = now_ms;
	return catalog_jobs_update(store_catalog(q->store), &j);
}

int queue_next_due(struct queue *q, int64_t now_ms, struct catalog_outjob *job)
{
	struct catalog *cat = store_catalog(q->store);
	int rc = catalog_begin(cat);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_jobs_next_due(cat, QUEUE_STATE_QUEUED, now_ms, job);
	if (rc == FGW_OK) {
		(void)str_copy(job->job.state, sizeof job->job.state, QUEUE_STATE_SENDING);
		job->updated_ms = now_ms;
		rc = catalog_jobs_update(cat, job);
	}
	if (rc == FGW_OK)
		rc = catalog_commit(cat);
	if (rc != FGW_OK)
		(void)catalog_rollback(cat);
	if (rc == FGW_ERR_NOT_FOUND)
		return 0;
	return rc == FGW_OK ? 1 : rc;
}

/* retry_seconds * backoff_factor^(attempts-1), in ms, at most a week. */
static int64_t backoff_ms(const struct queue_config *c, uint32_t attempts)
{
	int64_t ms = (int64_t)c->retry_seconds * 1000;

	for (uint32_t i = 1; i < attempts && ms < MAX_DELAY_MS; i++)
		ms *= c->backoff_factor;
	return ms < MAX_DELAY_MS ? ms : MAX_DELAY_MS;
}

static int audit_attempt(struct queue *q, const struct catalog_outjob *j, enum audit_event ev,
			 const char *result, const struct queue_call_stats *st)
{
	struct catalog_document doc;
	struct audit_fax fax = {
		.direction = "out", .remote_number = j->job.destination,
		.document = j->job.document, .result = result,
	};
	struct audit *a = store_audit(q->store);
	int rc;

	if (st != NULL) {
		fax.duration_ms = st->duration_ms;
		fax.bit_rate = st->bit_rate;
		fax.remote_ident = st->remote_ident;
		fax.pages = st->pages_sent;
	} else if (catalog_document_get(store_catalog(q->store), j->job.document, &doc) == FGW_OK) {
		fax.pages = doc.pages;
	}
	OPENSSL_cleanse(&doc, sizeof doc);
	rc = audit_fax(a, ev, &fax, NULL);
	return rc == FGW_OK ? audit_sync(a, NULL) : rc;
}

/* Stores j and moves its document to doc_state, in one transaction. */
static int save_job(struct queue *q, const struct catalog_outjob *j, int doc_state)
{
	struct catalog *cat = store_catalog(q->store);
	struct catalog_document doc;
	int rc = catalog_begin(cat);

	if (rc != FGW_OK)
		return rc;
	rc = catalog_jobs_update(cat, j);
	if (rc == FGW_OK && doc_state >= 0 &&
	    catalog_document_get(cat, j->job.document, &doc) == FGW_OK)
		rc = catalog_document_set_state(cat, doc.id, (enum catalog_doc_state)doc_state,
						doc.pages, j->updated_ms);
	rc = rc == FGW_OK ? catalog_commit(cat) : rc;
	if (rc != FGW_OK)
		(void)catalog_rollback(cat);
	OPENSSL_cleanse(&doc, sizeof doc);
	return rc;
}

static int report_failure(struct queue *q, struct catalog_outjob *j, enum queue_result result,
			  const char *detail, const struct queue_call_stats *st, int64_t now_ms,
			  int64_t *next_try_ms)
{
	char words[CATALOG_JOB_ERROR_MAX + 1];
	bool final;
	int rc;

	j->job.attempts++;
	final = j->job.attempts >= j->max_tries;
	(void)str_format(words, sizeof words, "%s%s%s", queue_result_name(result),
			 detail != NULL ? ": " : "", detail != NULL ? detail : "");
	(void)str_copy(j->last_error, sizeof j->last_error, words);
	if (final) {
		(void)str_copy(j->job.state, sizeof j->job.state, QUEUE_STATE_FAILED);
	} else {
		(void)str_copy(j->job.state, sizeof j->job.state, QUEUE_STATE_QUEUED);
		j->job.next_try_ms = now_ms + backoff_ms(&q->cfg, j->job.attempts);
		if (next_try_ms != NULL)
			*next_try_ms = j->job.next_try_ms;
	}
	rc = save_job(q, j, final ? CATALOG_DOC_FAILED : -1);
	if (rc != FGW_OK)
		return rc;
	(void)str_format(words, sizeof words, "attempt %u of %u: %s%s", j->job.attempts,
			 j->max_tries, j->last_error, final ? "; given up" : "; will retry");
	rc = audit_attempt(q, j, AUDIT_FAX_FAILED, words, st);
	if (final && q->notify != NULL)
		q->notify(q->notify_arg, j, words);
	return rc;
}

int queue_report(struct queue *q, const char *id, enum queue_result result,
		 const char *detail, int64_t now_ms, int64_t *next_try_ms)
{
	return queue_report_call(q, id, result, detail, NULL, now_ms, next_try_ms);
}

int queue_report_call(struct queue *q, const char *id, enum queue_result result,
		      const char *detail, const struct queue_call_stats *st, int64_t now_ms,
		      int64_t *next_try_ms)
{
	struct catalog_outjob j;
	int rc = catalog_jobs_get(store_catalog(q->store), id, &j);

	if (rc != FGW_OK)
		return rc;
	if (strcmp(j.job.state, QUEUE_STATE_SENDING) != 0)
		return FGW_ERR_STATE;
	j.updated_ms = now_ms;
	if (result != QUEUE_OK)
		return report_failure(q, &j, result, detail, st, now_ms, next_try_ms);
	j.job.attempts++;
	j.last_error[0] = '\0';
	(void)str_copy(j.job.state, sizeof j.job.state, QUEUE_STATE_DONE);
	rc = save_job(q, &j, CATALOG_DOC_SENT);
	return rc == FGW_OK ? audit_attempt(q, &j, AUDIT_FAX_SENT, "ok", st) : rc;
}

int queue_cancel(struct queue *q, const char *id, int64_t now_ms)
{
	struct catalog_outjob j;
	int rc = catalog_jobs_get(store_catalog(q->store), id, &j);

	if (rc != FGW_OK)
		return rc;
	if (strcmp(j.job.state, QUEUE_STATE_QUEUED) != 0 &&
	    strcmp(j.job.state, QUEUE_STATE_SENDING) != 0)
		return FGW_ERR_STATE;
	(void)str_copy(j.job.state, sizeof j.job.state, QUEUE_STATE_CANCELLED);
	(void)str_copy(j.last_error, sizeof j.last_error, "cancelled");
	j.updated_ms = now_ms;
	rc = save_job(q, &j, CATALOG_DOC_FAILED);
	return rc == FGW_OK ? audit_attempt(q, &j, AUDIT_FAX_FAILED, "cancelled", NULL) : rc;
}

int queue_get(struct queue *q, const char *id, struct catalog_outjob *out)
{
	return catalog_jobs_get(store_catalog(q->store), id, out);
}

int queue_list(struct queue *q, catalog_outjob_fn fn, void *arg)
{
	return catalog_jobs_list(store_catalog(q->store), fn, arg);
}

const char *queue_result_name(enum queue_result r)
{
	switch (r) {
	case QUEUE_OK: return "ok";
	case QUEUE_BUSY: return "busy";
	case QUEUE_NO_ANSWER: return "no answer";
	case QUEUE_FAILED: return "failed";
	}
	return "unknown";
}
