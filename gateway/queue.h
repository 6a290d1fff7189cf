/* The outbound job queue: faxes waiting to go out to the trunk, kept in the
 * catalog (so they survive a restart), tried with back-off, and audited.
 *
 * A job's life: queued -> sending (queue_next_due hands it out) -> done,
 * or back to queued with a later next_try_ms after a busy / no answer /
 * failed attempt, or failed once max_tries attempts failed; cancelled at
 * any time before it is done or failed. The dial rules run again at
 * enqueue time (defence in depth: whoever collected the number checked it
 * already). The queue has no clock of its own: every call takes now_ms.
 *
 * One struct queue per store connection; not thread-safe. The catalog's
 * transactions keep the CLI and the daemon from tearing a job apart. */
#ifndef FAXGW_GATEWAY_QUEUE_H
#define FAXGW_GATEWAY_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/dialrules.h"
#include "storage/catalog_jobs.h"

struct config;
struct store;
struct queue;

#define QUEUE_ID_LEN 12        /* hex digits of a job id */

#define QUEUE_STATE_QUEUED "queued"
#define QUEUE_STATE_SENDING "sending"
#define QUEUE_STATE_DONE "done"
#define QUEUE_STATE_FAILED "failed"
#define QUEUE_STATE_CANCELLED "cancelled"

enum queue_result {
	QUEUE_OK = 0,
	QUEUE_BUSY,
	QUEUE_NO_ANSWER,
	QUEUE_FAILED
};

struct queue_config {
	unsigned max_tries;         /* 1..20 */
	unsigned retry_seconds;     /* wait before the first retry */
	unsigned backoff_factor;    /* each further wait is this many times longer */
	struct dialrules_policy policy;
};

/* Called once when a job fails for good (job as stored, reason in words).
 * Pointers are valid only during the call. */
typedef void (*queue_notify_fn)(void *arg, const struct catalog_outjob *job,
				const char *reason);

/* Fills c with the defaults of [queue] and a default dial policy. */
void queue_config_init(struct queue_config *c);

/* Fills c from [queue] and [dialing] of cfg. Returns 0 or FGW_ERR_CONFIG
 * (msg names the key and what is wrong). */
int queue_config_load(const struct config *cfg, struct queue_config *c, char *msg,
		      size_t msgsize);

/* Opens the queue over s (not owned; must outlive the queue). notify may
 * be NULL. Returns 0 and *out (queue_close it), FGW_ERR_INVALID for a
 * config out of range, or FGW_ERR_NOMEM. */
int queue_open(struct store *s, const struct queue_config *cfg, queue_notify_fn notify,
	       void *notify_arg, struct queue **out);

/* For the daemon at start-up only (never the CLI, which may run beside a
 * sending daemon): jobs a crash left in "sending" go back to "queued",
 * due at now_ms; *moved (may be NULL) gets how many. Returns 0 or a
 * catalog code. */
int queue_recover(struct queue *q, int64_t now_ms, int *moved);

/* Frees q; NULL is fine. */
void queue_close(struct queue *q);

/* Queues document (an outbound document in the vault) for destination,
 * requested from origin (device names the line or device, may be NULL),
 * due at now_ms. Checks the dial rules first (for origin device with a
 * device name: that device's own policy over the configured one, see
 * gateway/devpolicy.h; a device policy the catalog cannot give refuses
 * with its code, logged): a refusal writes a
 * dial_denied audit record and returns FGW_ERR_DENIED with *d (may be
 * NULL) saying which rule. On success the job id (QUEUE_ID_LEN hex
 * digits) is in id and the document's state is "queued". Returns 0,
 * FGW_ERR_DENIED, FGW_ERR_NOT_FOUND (no such document) or a catalog code. */
int queue_enqueue(struct queue *q, const char *document, const char *destination,
		  enum dialrules_origin origin, const char *device, int64_t now_ms,
		  char id[static QUEUE_ID_LEN + 1], struct dialrules_decision *d);

/* Queues document (an outbound document in the vault) for the office
 * device line (route CATALOG_LINE_DEVICE: a forwarded inbox fax or a
 * printed release), requested from origin/device, due at now_ms. Trunk
 * dial rules do not apply (nothing leaves for the public network); the
 * route is logged. Returns 0 with the job id, FGW_ERR_NOT_FOUND or a
 * catalog code. */
int queue_enqueue_device(struct queue *q, const char *document, enum dialrules_origin origin,
			 const char *device, int64_t now_ms, char id[static QUEUE_ID_LEN + 1]);

/* Puts job id, handed out by queue_next_due, back to "queued" as it was
 * (no attempt counted): e.g. no channel of its line was free. Returns 0,
 * FGW_ERR_STATE (not being sent) or a catalog code. */
int queue_requeue(struct queue *q, const char *id, int64_t now_ms);

/* Takes the job that is due first at now_ms and marks it "sending".
 * Returns 1 with *job filled, 0 when nothing is due, or a negative code. */
int queue_next_due(struct queue *q, int64_t now_ms, struct catalog_outjob *job);

/* Records how the attempt at job id went (detail: words for the audit
 * record, may be NULL). OK: done, the document is marked sent. Otherwise
 * the attempt counts; below max_tries the job waits retry_seconds *
 * backoff_factor^(attempts-1) and *next_try_ms (may be NULL) gets when,
 * else it fails for good: audit record and notification. Every attempt
 * leaves an audit record. Returns 0, FGW_ERR_NOT_FOUND, FGW_ERR_STATE (the
 * job is not being sent: e.g. cancelled meanwhile) or a catalog code. */
int queue_report(struct queue *q, const char *id, enum queue_result result,
		 const char *detail, int64_t now_ms, int64_t *next_try_ms);

/* What a call attempt measured, for the audit record (xferfaxlog fields). */
struct queue_call_stats {
	int64_t duration_ms;        /* line time of the call */
	int64_t bit_rate;           /* image bit rate used, bit/s; 0 unknown */
	int64_t pages_sent;         /* pages the far end confirmed */
	const char *remote_ident;   /* the far end's CSI; may be NULL */
};

/* As queue_report, with the attempt's call statistics (may be NULL). */
int queue_report_call(struct queue *q, const char *id, enum queue_result result,
		      const char *detail, const struct queue_call_stats *stats, int64_t now_ms,
		      int64_t *next_try_ms);

/* Cancels job id unless it is done or failed (FGW_ERR_STATE), with an
 * audit record. Returns 0, FGW_ERR_NOT_FOUND or a catalog code. */
int queue_cancel(struct queue *q, const char *id, int64_t now_ms);

/* Fills *out with job id. Returns 0 or FGW_ERR_NOT_FOUND. */
int queue_get(struct queue *q, const char *id, struct catalog_outjob *out);

/* Calls fn for every job, oldest first (see catalog_jobs_list). */
int queue_list(struct queue *q, catalog_outjob_fn fn, void *arg);

/* Returns the result's name ("busy"); never NULL. */
const char *queue_result_name(enum queue_result r);

#endif
