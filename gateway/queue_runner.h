/* faxgwd's outbound queue runner: every QUEUE_RUNNER_TICK_MS it takes due
 * jobs (gateway/queue.h), a free channel of the job's line ("trunk", or
 * "device" for jobs routed to the office fax machine) and sends the
 * document (gateway/send_job.h) in a call on the daemon's registry, then
 * reports busy / no answer / failed / ok to the queue (retries, audit,
 * notification on final failure). Jobs left "sending" by a stop are queued
 * again at start (queue_recover).
 *
 * Lines are simulations in this version: the far end of the trunk is a
 * simulated public fax machine (gateway/sim_farend.h) that saves what it
 * receives into [lines] far_end_dir (or the folder a `faxgw simulate
 * outgoing --out DIR` passed for that job), the device line's far end a
 * simulated office machine saving into [lines] device_dir.
 *
 * Also starts, with the runner they need: `simulate outgoing`
 * (gateway/sim_outgoing.h), `simulate far-end` (gateway/sim_farend.h) and
 * the forwarding of general-inbox faxes to the device line. */
#ifndef FAXGW_GATEWAY_QUEUE_RUNNER_H
#define FAXGW_GATEWAY_QUEUE_RUNNER_H

#include <stdint.h>

#include "gateway/dialrules.h"
#include "gateway/queue.h"

struct call_outcome;
struct daemon;
struct queue_runner;
struct queue_attempt;

#define QUEUE_RUNNER_TICK_MS 200

/* The modules[] entry: opens the queue over the daemon's store from
 * [queue]/[dialing], recovers interrupted jobs, starts the timer and the
 * verbs above. Returns 0 or an FGW_ERR_* code (logged). */
int queue_runner_init(struct daemon *d);

/* Queues document for destination (queue_enqueue: dial rules again) and
 * remembers out_dirfd (>= 0; taken: the runner closes it) as the folder
 * the simulated far end saves this job's pages into. Returns as
 * queue_enqueue; on failure out_dirfd is closed too. */
int queue_runner_enqueue(struct queue_runner *r, const char *document,
			 const char *destination, enum dialrules_origin origin,
			 const char *device, int out_dirfd, char id[static QUEUE_ID_LEN + 1],
			 struct dialrules_decision *d);

/* A line back-end other than the simulation (SIP): the runner takes jobs
 * for a line whose [lines] *_kind is not "simulation" through it. */
struct queue_line_ops {
	/* Starts calling for job over its line (job->line: CATALOG_LINE_*).
	 * Returns 0 and later calls queue_runner_attempt_done(att, ...)
	 * exactly once (never from inside place); or FGW_ERR_BUSY (no free
	 * channel: the job waits for the next tick), or another code (the
	 * attempt fails with it). */
	int (*place)(void *impl, struct queue_attempt *att, const struct catalog_outjob *job);
	/* The job was cancelled: hang up; the end is still reported. */
	void (*hang_up)(void *impl, struct queue_attempt *att);
};

/* Sets the back-end for lines of a kind other than simulation (ops and
 * impl must outlive the runner's serving; ops NULL: none, and such jobs
 * wait, logged once). */
void queue_runner_set_line_ops(struct queue_runner *r, const struct queue_line_ops *ops,
			       void *impl);

/* An attempt placed through queue_line_ops ended: o is the fax call's
 * outcome, or NULL when no fax call came about; then res (QUEUE_BUSY,
 * QUEUE_NO_ANSWER, QUEUE_FAILED) and detail ("busy (SIP 486)") say why.
 * aborted in o (or res QUEUE_FAILED with stopping) at shutdown requeues.
 * att is freed. */
void queue_runner_attempt_done(struct queue_attempt *att, const struct call_outcome *o,
			       enum queue_result res, const char *detail);

/* The runner's reference counting: sessions that may outlive the
 * daemon's shutdown hooks hold one. */
void queue_runner_hold(struct queue_runner *r);
void queue_runner_release(struct queue_runner *r);

#endif
