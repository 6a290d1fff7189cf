/* The outbound queue runner; see queue_runner.h. */
#include "gateway/queue_runner.h"

#include <event2/event.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/call.h"
#include "gateway/config.h"
#include "gateway/control.h"
#include "gateway/daemon.h"
#include "gateway/inbound.h"
#include "gateway/notify.h"
#include "gateway/outbound_call.h"
#include "gateway/send_job.h"
#include "gateway/sim_farend.h"
#include "gateway/sim_outgoing.h"
#include "gateway/sip_calls.h"
#include "gateway/simline.h"
#include "storage/memfile.h"
#include "storage/store.h"

/* A job being sent. */
struct queue_attempt {
	struct queue_runner *r;
	struct catalog_outjob job;
	struct simline_channel *ch;
	struct send_job *sj;
	struct sim_rx *rx;
	struct fax_endpoint *local, *far;   /* owned by the call; valid until done */
	bool external;                      /* placed through queue_line_ops */
	bool cancelled;
	struct queue_attempt *next;
};

/* A folder a `simulate outgoing --out DIR` gave for one job. */
struct out_dir {
	char id[QUEUE_ID_LEN + 1];
	int fd;
	struct out_dir *next;
};

struct queue_runner {
	struct daemon *d;
	struct queue *q;
	struct sim_farend *farend;
	struct event *tick;
	struct queue_attempt *active;
	struct out_dir *dirs;
	const struct queue_line_ops *line_ops;  /* lines that are not simulated */
	void *line_impl;
	bool warned_no_ops;
	unsigned refs;
	bool stopping;
};

/* ---- life ---------------------------------------------------------------- */

void queue_runner_hold(struct queue_runner *r)
{
	r->refs++;
}

void queue_runner_release(struct queue_runner *r)
{
	if (r == NULL || --r->refs > 0)
		return;
	while (r->dirs != NULL) {
		struct out_dir *o = r->dirs;
		r->dirs = o->next;
		close(o->fd);
		free(o);
	}
	if (r->tick != NULL)
		event_free(r->tick);
	queue_close(r->q);
	sim_farend_free(r->farend);
	free(r);
}

static void on_shutdown(void *arg)
{
	struct queue_runner *r = arg;

	r->stopping = true;
	event_del(r->tick);
	queue_runner_release(r);    /* calls in flight keep it until their end */
}

/* ---- per-job folders ---------------------------------------------------- */

static struct out_dir **find_dir(struct queue_runner *r, const char *id)
{
	struct out_dir **p = &r->dirs;

	while (*p != NULL && strcmp((*p)->id, id) != 0)
		p = &(*p)->next;
	return p;
}

static void drop_dir(struct queue_runner *r, const char *id)
{
	struct out_dir **p = find_dir(r, id), *o = *p;

	if (o == NULL)
		return;
	*p = o->next;
	close(o->fd);
	free(o);
}

/* The folder the far end saves job's pages in: the job's own, else the
 * configured one (opened here; *opened says the caller closes it), else
 * -1 (discard). */
static int far_dir(struct queue_runner *r, const struct catalog_outjob *job, bool *opened)
{
	bool device = strcmp(job->line, CATALOG_LINE_DEVICE) == 0;
	const char *path = config_str(daemon_config(r->d), "lines",
				      device ? "device_dir" : "far_end_dir");
	struct out_dir *o = *find_dir(r, job->job.id);
	int fd;

	*opened = false;
	if (o != NULL && !device)
		return o->fd;
	if (path == NULL || path[0] == '\0')
		return -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		log_warn("simulation: [lines] %s = %s cannot be opened; the simulated %s "
			 "discards job %s", device ? "device_dir" : "far_end_dir", path,
			 device ? "office machine" : "far end", job->job.id);
	*opened = fd >= 0;
	return fd;
}

/* ---- results ------------------------------------------------------------ */

static bool final_state(struct queue_runner *r, const char *id)
{
	struct catalog_outjob j;

	if (queue_get(r->q, id, &j) != 0)
		return true;
	return strcmp(j.job.state, QUEUE_STATE_QUEUED) != 0 &&
	       strcmp(j.job.state, QUEUE_STATE_SENDING) != 0;
}

static void report(struct queue_runner *r, const char *id, enum queue_result res,
		   const char *detail, const struct queue_call_stats *st)
{
	int64_t next = 0;
	int rc = queue_report_call(r->q, id, res, detail, st, store_now_ms(), &next);

	if (rc == FGW_ERR_STATE)
		log_info("job %s: cancelled while it was being sent", id);
	else if (rc != 0)
		log_error("job %s: cannot record the attempt: %s", id, fgw_strerror(rc));
	else if (res == QUEUE_OK)
		log_info("job %s: sent", id);
	else
		log_info("job %s: %s (%s)", id, queue_result_name(res), detail);
	if (final_state(r, id))
		drop_dir(r, id);
}

static void unlink_active(struct queue_attempt *a)
{
	for (struct queue_attempt **p = &a->r->active; *p != NULL; p = &(*p)->next)
		if (*p == a) {
			*p = a->next;
			return;
		}
}

static void keep_pages(struct queue_attempt *a)
{
	bool opened;
	char name[QUEUE_ID_LEN + 8];
	int dirfd = far_dir(a->r, &a->job, &opened), rc;

	(void)str_format(name, sizeof name, "%s.tif", a->job.job.id);
	rc = sim_rx_keep(a->rx, dirfd, name);
	if (rc != 0)
		log_warn("simulation: the far end could not save job %s: %s", a->job.job.id,
			 fgw_strerror(rc));
	else
		log_info("simulation: the %s received %d page(s) of job %s%s",
			 strcmp(a->job.line, CATALOG_LINE_DEVICE) == 0 ?
			 "simulated office machine" : "simulated far end",
			 sim_rx_pages(a->rx), a->job.job.id, dirfd < 0 ? " and discarded them" : "");
	if (opened)
		close(dirfd);
}

static void on_call_done(void *arg, const struct call_outcome *o)
{
	struct queue_attempt *a = arg;
	struct queue_runner *r = a->r;
	enum queue_result res = send_job_outcome(&o->local);

	unlink_active(a);
	if (o->aborted && r->stopping) {
		if (queue_requeue(r->q, a->job.job.id, store_now_ms()) != 0)
			log_warn("job %s: left as sending; it is queued again at the next start",
				 a->job.job.id);
	} else {
		/* Line time, as xferfaxlog keeps it: samples at 8 kHz. */
		struct queue_call_stats st = {
			.duration_ms = (int64_t)(o->samples / 8),
			.bit_rate = o->local.stats.bit_rate,
			.pages_sent = o->local.stats.pages_tx,
			.remote_ident = o->local.remote_ident,
		};
		if (res == QUEUE_OK && a->rx != NULL)
			keep_pages(a);
		report(r, a->job.job.id, o->timed_out && res == QUEUE_OK ? QUEUE_FAILED : res,
		       o->timed_out ? "call time limit" :
		       o->local.t30_text != NULL ? o->local.t30_text : "?", &st);
	}
	send_job_free(a->sj);
	sim_rx_free(a->rx);
	free(a);
	queue_runner_release(r);
}

static void release_channel(void *arg)
{
	simline_release(arg);
}

/* ---- starting a job ----------------------------------------------------- */

static int start_call(struct queue_attempt *a)
{
	const struct config *cfg = daemon_config(a->r->d);
	bool device = strcmp(a->job.line, CATALOG_LINE_DEVICE) == 0;
	int rc;

	if ((rc = outbound_call_open(daemon_store(a->r->d), cfg, &a->job, FAX_AUDIO, NULL, NULL,
				     &a->sj)) != 0 ||
	    (rc = sim_rx_new(device ? "office (simulation)" : "far end (simulation)", &a->rx,
			     &a->far)) != 0)
		return rc;
	a->local = send_job_take_endpoint(a->sj);
	struct call_params p = {
		.label = simline_label(a->ch),
		.local = a->local, .local_line = simline_local(a->ch),
		.far = a->far, .far_line = simline_far(a->ch),
		.max_seconds = (unsigned)config_int(cfg, "daemon", "call_limit_seconds"),
		.done = on_call_done, .done_arg = a,
		.release = release_channel, .release_arg = a->ch,
	};
	if ((rc = call_start(daemon_calls(a->r->d), &p)) != 0) {
		fax_endpoint_free(a->local);
		fax_endpoint_free(a->far);
	}
	return rc;
}

/* Settles a job that never reaches a call; frees a. */
static void settle(struct queue_attempt *a, enum queue_result res, const char *detail)
{
	report(a->r, a->job.job.id, res, detail, NULL);
	simline_release(a->ch);
	send_job_free(a->sj);
	sim_rx_free(a->rx);
	free(a);
}

/* Puts a's job back to wait and frees a; returns false (stop for now). */
static bool put_back(struct queue_attempt *a)
{
	(void)queue_requeue(a->r->q, a->job.job.id, store_now_ms());
	free(a);
	return false;
}

static bool from_trunk_to_trunk(const struct catalog_outjob *job)
{
	return strcmp(job->line, CATALOG_LINE_DEVICE) != 0 && strcmp(job->origin, "trunk") == 0;
}

/* True when [lines] says the job's line is the simulation. */
static bool simulated(const struct queue_runner *r, const struct catalog_outjob *job)
{
	bool device = strcmp(job->line, CATALOG_LINE_DEVICE) == 0;

	return strcmp(config_str(daemon_config(r->d), "lines",
				 device ? "device_kind" : "trunk_kind"), "simulation") == 0;
}

/* A job on a line that is not simulated (SIP): the back-end places it. */
static bool start_external(struct queue_runner *r, struct queue_attempt *a)
{
	int rc;

	if (r->line_ops == NULL) {
		if (!r->warned_no_ops)
			log_error("job %s waits: its line is not a simulation, but no SIP call "
				  "layer runs (see [lines] and [sip])", a->job.job.id);
		r->warned_no_ops = true;
		return put_back(a);
	}
	if (from_trunk_to_trunk(&a->job)) {
		settle(a, QUEUE_FAILED, "refused: a call from the trunk never goes back out");
		return true;
	}
	a->external = true;
	if ((rc = r->line_ops->place(r->line_impl, a, &a->job)) == FGW_ERR_BUSY)
		return put_back(a);
	if (rc != 0) {
		settle(a, QUEUE_FAILED, fgw_strerror(rc));
		return true;
	}
	log_info("job %s: %s to %s over SIP", a->job.job.id, a->job.job.attempts > 0 ?
		 "retrying" : "sending", a->job.job.destination);
	a->next = r->active;
	r->active = a;
	queue_runner_hold(r);
	return true;
}

/* Returns false when the job's line has no free channel (job put back). */
static bool start_job(struct queue_runner *r, const struct catalog_outjob *job)
{
	struct queue_attempt *a = calloc(1, sizeof *a);
	const char *line = strcmp(job->line, CATALOG_LINE_DEVICE) == 0 ? SIMLINE_DEVICE :
			   SIMLINE_TRUNK;
	int rc;

	if (a == NULL) {
		(void)queue_requeue(r->q, job->job.id, store_now_ms());
		return false;
	}
	*a = (struct queue_attempt){ .r = r, .job = *job };
	if (!simulated(r, job))
		return start_external(r, a);
	if ((rc = simline_acquire(daemon_lines(r->d), line, &a->ch)) != 0) {
		(void)queue_requeue(r->q, job->job.id, store_now_ms());
		free(a);
		return false;
	}
	log_info("job %s: %s to %s over %s", job->job.id, job->job.attempts > 0 ? "retrying" :
		 "sending", job->job.destination, simline_label(a->ch));
	if (from_trunk_to_trunk(job)) {
		/* Never public to public, whatever put the job here. */
		settle(a, QUEUE_FAILED, "refused: a call from the trunk never goes back out");
		return true;
	}
	if (strcmp(line, SIMLINE_TRUNK) == 0) {
		enum sim_farend_answer ans = sim_farend_dial(r->farend);
		if (ans != SIM_FAREND_ANSWER) {
			settle(a, ans == SIM_FAREND_BUSY ? QUEUE_BUSY : QUEUE_NO_ANSWER,
			       ans == SIM_FAREND_BUSY ? "far end busy (simulation)" :
			       "no answer (simulation)");
			return true;
		}
	}
	if ((rc = start_call(a)) != 0) {
		settle(a, QUEUE_FAILED, fgw_strerror(rc));
		return true;
	}
	a->next = r->active;
	r->active = a;
	queue_runner_hold(r);
	return true;
}

/* Hangs up calls whose job was cancelled meanwhile (faxgw jobs cancel). */
static void check_cancelled(struct queue_runner *r)
{
	for (struct queue_attempt *a = r->active; a != NULL; a = a->next) {
		struct catalog_outjob j;
		if (a->cancelled || queue_get(r->q, a->job.job.id, &j) != 0 ||
		    strcmp(j.job.state, QUEUE_STATE_CANCELLED) != 0)
			continue;
		log_info("job %s: cancelled; hanging up", a->job.job.id);
		a->cancelled = true;
		if (a->external) {
			r->line_ops->hang_up(r->line_impl, a);
			continue;
		}
		fax_endpoint_abort(a->local);
		fax_endpoint_abort(a->far);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct queue_runner *r = arg;
	struct catalog_outjob job;
	int rc;

	(void)fd, (void)what;
	check_cancelled(r);
	while (!r->stopping && (rc = queue_next_due(r->q, store_now_ms(), &job)) == 1)
		if (!start_job(r, &job))
			break;
	if (!r->stopping && rc < 0)
		log_error("queue: cannot read the next job: %s", fgw_strerror(rc));
}

/* ---- entry points ------------------------------------------------------- */

void queue_runner_set_line_ops(struct queue_runner *r, const struct queue_line_ops *ops,
			       void *impl)
{
	r->line_ops = ops;
	r->line_impl = impl;
	r->warned_no_ops = false;
}

void queue_runner_attempt_done(struct queue_attempt *a, const struct call_outcome *o,
			       enum queue_result res, const char *detail)
{
	struct queue_runner *r = a->r;
	/* A line's own shutdown may come before ours: the daemon's reason
	 * tells that it is stopping all the same. */
	bool stopping = r->stopping || daemon_stop_reason(r->d)[0] != '\0';

	if (o != NULL) {
		on_call_done(a, o);
		return;
	}
	unlink_active(a);
	if (stopping && queue_requeue(r->q, a->job.job.id, store_now_ms()) == 0)
		log_info("job %s: queued again (the gateway is stopping)", a->job.job.id);
	else if (!stopping)
		report(r, a->job.job.id, res, detail, NULL);
	send_job_free(a->sj);
	free(a);
	queue_runner_release(r);
}

int queue_runner_enqueue(struct queue_runner *r, const char *document,
			 const char *destination, enum dialrules_origin origin,
			 const char *device, int out_dirfd, char id[static QUEUE_ID_LEN + 1],
			 struct dialrules_decision *d)
{
	struct out_dir *o = calloc(1, sizeof *o);
	int rc = o == NULL ? FGW_ERR_NOMEM :
		 queue_enqueue(r->q, document, destination, origin, device, store_now_ms(), id, d);

	if (rc != 0 || out_dirfd < 0) {
		free(o);
		if (out_dirfd >= 0)
			close(out_dirfd);
		return rc;
	}
	(void)str_copy(o->id, sizeof o->id, id);
	o->fd = out_dirfd;
	o->next = r->dirs;
	r->dirs = o;
	return 0;
}

static void on_final_failure(void *arg, const struct catalog_outjob *job, const char *reason)
{
	struct queue_runner *r = arg;
	const struct notify_event ev = {
		.event = "fax_send_failed", .remote_number = job->job.destination,
		.document = job->job.document, .result = reason,
	};

	if (notify_spawn(daemon_notify(r->d), &ev) != 0)
		log_warn("job %s: the owner notification could not be started", job->job.id);
}

/* Decrypts inbox document doc_id (one vault page: the TIFF) into a new
 * outbound document for the device line; out_id gets its id. */
static int copy_as_outbound(struct store *s, const char *doc_id, uint32_t pages,
			    char out_id[static VAULT_ID_LEN + 1])
{
	struct vault_reader *vr = NULL;
	int fd = -1, rc = store_doc_open(s, doc_id, NULL, &vr);

	if (rc == 0) {
		rc = vault_reader_next_page(vr, NULL);
		rc = rc == 1 ? 0 : rc == 0 ? FGW_ERR_TRUNCATED : rc;
	}
	if (rc == 0)
		rc = (fd = memfile_create("faxgw-forward")) < 0 ? fd : vault_reader_page_to_fd(vr, fd);
	vault_reader_close(vr);
	if (rc == 0)
		rc = send_job_store_document(s, fd, CATALOG_LINE_DEVICE, pages, out_id);
	if (fd >= 0 && memfile_wipe_close(fd) != 0)
		log_warn("could not wipe the memory copy of a forwarded fax");
	return rc;
}

/* inbound_env.forward: a general-inbox fax goes to the office device as a
 * job of its own (origin trunk: it can never go back out to the trunk). */
static int forward_to_device(void *arg, const char *doc_id, const struct catalog_document *doc)
{
	struct queue_runner *r = arg;
	char copy[VAULT_ID_LEN + 1], id[QUEUE_ID_LEN + 1];
	int rc = copy_as_outbound(daemon_store(r->d), doc_id, doc->pages, copy);

	if (rc == 0 && (rc = queue_enqueue_device(r->q, copy, DIAL_FROM_TRUNK, "inbox",
						  store_now_ms(), id)) != 0)
		(void)store_doc_erase(daemon_store(r->d), copy, NULL, NULL);
	if (rc == 0)
		log_info("inbox fax %s forwarded to the office device line as job %s", doc_id, id);
	return rc;
}

static int open_queue(struct queue_runner *r)
{
	struct queue_config qc;
	char msg[300];
	int rc = queue_config_load(daemon_config(r->d), &qc, msg, sizeof msg);

	if (rc != 0) {
		log_error("queue: %s", msg);
		return rc;
	}
	if ((rc = queue_open(daemon_store(r->d), &qc, on_final_failure, r, &r->q)) != 0 ||
	    (rc = queue_recover(r->q, store_now_ms(), NULL)) != 0)
		log_error("queue: cannot start: %s", fgw_strerror(rc));
	return rc;
}

int queue_runner_init(struct daemon *d)
{
	static const struct timeval every = {0, QUEUE_RUNNER_TICK_MS * 1000};
	struct queue_runner *r = calloc(1, sizeof *r);
	int rc;

	if (r == NULL)
		return FGW_ERR_NOMEM;
	r->d = d;
	r->refs = 1;
	if ((rc = open_queue(r)) != 0 || (rc = sim_farend_new(&r->farend)) != 0 ||
	    (rc = daemon_on_shutdown(d, on_shutdown, r)) != 0) {
		queue_runner_release(r);
		return rc;
	}
	r->tick = event_new(daemon_base(d), -1, EV_PERSIST, on_tick, r);
	if (r->tick == NULL || event_add(r->tick, &every) != 0)
		return FGW_ERR_NOMEM;   /* freed by the shutdown hook */
	daemon_set_inbox_forward(d, forward_to_device, r);
	if ((rc = sim_farend_register(daemon_control(d), r->farend)) != 0)
		return rc;
	if ((rc = sip_calls_init(d, r)) != 0)
		return rc;
	return sim_outgoing_init(d, r);
}
