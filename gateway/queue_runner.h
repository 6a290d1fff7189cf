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

struct daemon;
struct queue_runner;

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

/* The runner's reference counting: sessions that may outlive the
 * daemon's shutdown hooks hold one. */
void queue_runner_hold(struct queue_runner *r);
void queue_runner_release(struct queue_runner *r);

#endif
