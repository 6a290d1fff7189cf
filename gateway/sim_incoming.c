/* A simulated incoming fax, end to end through the inbound policy. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/call.h"
#include "gateway/config.h"
#include "gateway/control.h"
#include "gateway/daemon.h"
#include "gateway/inbound.h"
#include "gateway/inbound_call.h"
#include "gateway/sim_incoming.h"
#include "gateway/simline.h"
#include "storage/memfile.h"

struct sim_in {
	struct daemon *d;
	struct control_conn *conn;     /* NULL once the client left */
	const struct config *cfg;      /* held for the call's life */
	struct inbound_call *ic;       /* the gateway's side */
	struct simline_channel *ch;
	int doc_fd;                    /* the far end's document (memfd) */
	char doc_path[MEMFILE_PATH_MAX];
};

static void sim_free(struct sim_in *s)
{
	inbound_call_free(s->ic);
	if (s->doc_fd >= 0 && memfile_wipe_close(s->doc_fd) != 0)
		log_warn("simulation: could not wipe the far end's document copy");
	if (s->cfg != NULL)
		daemon_config_release(s->d, s->cfg);
	free(s);
}

static void client_gone(void *arg)
{
	struct sim_in *s = arg;

	s->conn = NULL;
	log_info("simulation: the client left; the call goes on and is recorded");
}

/* The daemon keeps its own copy: the user's file may change or vanish
 * mid-call, and the service user may not be able to reopen it by path. */
static int copy_document(int src, int *out)
{
	char buf[65536];
	size_t total = 0;
	int dst = memfile_create("faxgw-sim-document");

	if (dst < 0)
		return dst;
	for (;;) {
		ssize_t n = read(src, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (total += (size_t)n) > SIM_INCOMING_DOC_MAX ||
		    write(dst, buf, (size_t)n) != n) {
			int rc = n < 0 ? FGW_ERR_IO : n == 0 ? 0 : total > SIM_INCOMING_DOC_MAX ?
				 FGW_ERR_TOO_LARGE : FGW_ERR_IO;
			if (rc == 0 && lseek(dst, 0, SEEK_SET) == 0) {
				*out = dst;
				return 0;
			}
			(void)memfile_wipe_close(dst);
			return rc != 0 ? rc : FGW_ERR_IO;
		}
	}
}

static void far_page(void *user, const struct fax_page *page)
{
	struct sim_in *s = user;

	if (s->conn != NULL)
		control_conn_send(s->conn, "far end: page %d sent", page->number);
}

static const struct fax_events far_events = {.page = far_page};

static const char *nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

static int make_far(struct sim_in *s, const struct control_request *req,
		    struct fax_endpoint **out)
{
	struct fax_options o;

	fax_options_init(&o);
	o.role = FAX_SEND;
	o.side = FAX_SIDE_CALLING;
	o.file = s->doc_path;
	o.local_ident = nonempty(control_arg(req, "from"));
	o.sub = nonempty(control_arg(req, "sub"));
	o.sid = nonempty(control_arg(req, "sid"));
	o.pwd = nonempty(control_arg(req, "pwd"));
	o.events = &far_events;
	o.user = s;
	return fax_endpoint_new(&o, out);
}

/* Says in words why the far end could not start with the document. */
static const char *document_problem(int rc)
{
	switch (rc) {
	case FGW_ERR_TIFF:
		return "the file is not a TIFF; send a TIFF-F fax document";
	case FGW_ERR_TIFF_UNSUPPORTED:
		return "the TIFF is not bilevel (1 bit per pixel); convert it to TIFF-F first";
	case FGW_ERR_TRUNCATED:
		return "the TIFF is cut short";
	case FGW_ERR_TOO_LARGE:
		return "the file is larger than 64 MiB";
	case FGW_ERR_INVALID:
		return "sub, sid, pwd and from take at most 20 characters";
	default:
		return fgw_strerror(rc);
	}
}

static void report(struct sim_in *s, const struct call_outcome *o)
{
	const struct fax_result *far = &o->far;
	const struct inbound *in = inbound_call_inbound(s->ic);
	const char *doc = inbound_document_id(in), *mb = inbound_mailbox(in);
	const char *why = far->err != 0 && inbound_call_decided(s->ic) ?
			  inbound_call_refusal(s->ic) : NULL;

	control_conn_send(s->conn, "far end: pages sent %d", far->stats.pages_tx);
	control_conn_send(s->conn, "far end: result %s", far->t30_text != NULL ? far->t30_text : "?");
	if (doc[0] != '\0')
		control_conn_send(s->conn, "gateway: stored document %s in %s%s", doc,
				  mb[0] != '\0' ? "mailbox " : "the general inbox", mb);
	if (far->err == 0)
		control_conn_finish(s->conn, 0, "sent %d page(s)", far->stats.pages_tx);
	else if (why != NULL)
		control_conn_finish(s->conn, FGW_ERR_FAX_REJECTED, "rejected: %s (far end saw: %s)",
				    why, far->t30_text != NULL ? far->t30_text : "?");
	else
		control_conn_finish(s->conn, far->err, "failed: %s%s",
				    far->t30_text != NULL ? far->t30_text : "?",
				    o->aborted ? " (gateway shutting down)" :
				    o->timed_out ? " (call time limit)" : "");
}

static void on_done(void *arg, const struct call_outcome *o)
{
	struct sim_in *s = arg;
	int rc = inbound_call_finish(s->ic, &o->local, (int64_t)(o->samples / 8)); /* 8 kHz */

	if (s->conn != NULL) {
		if (rc != 0)
			control_conn_send(s->conn, "gateway: recording failed: %s", fgw_strerror(rc));
		report(s, o);
	}
	sim_free(s);
}

static void release_channel(void *arg)
{
	simline_release(arg);
}

static int start_call(struct sim_in *s, struct fax_endpoint *local, struct fax_endpoint *far)
{
	struct call_params p = {
		.label = simline_label(s->ch),
		.local = local, .local_line = simline_local(s->ch),
		.far = far, .far_line = simline_far(s->ch),
		.max_seconds = (unsigned)config_int(s->cfg, "daemon", "call_limit_seconds"),
		.done = on_done, .done_arg = s,
		.release = release_channel, .release_arg = s->ch,
	};
	return call_start(daemon_calls(s->d), &p);
}

/* Sets everything up; on failure the caller answers and frees. */
static int prepare(struct sim_in *s, struct control_request *req,
		   struct fax_endpoint **local, struct fax_endpoint **far)
{
	int fd = control_take_fd(req, 0), rc;
	const char *from = control_arg(req, "from");

	if (fd < 0)
		return FGW_ERR_INVALID;
	rc = copy_document(fd, &s->doc_fd);
	close(fd);
	if (rc != 0 || (rc = memfile_path(s->doc_fd, s->doc_path)) != 0 ||
	    (rc = make_far(s, req, far)) != 0)
		return rc;
	if ((rc = simline_acquire(daemon_lines(s->d), SIMLINE_TRUNK, &s->ch)) != 0)
		return rc;
	if ((rc = inbound_call_new(s->d, s->cfg, from, simline_label(s->ch), &s->ic)) != 0)
		return rc;
	return inbound_call_endpoint(s->ic, FAX_AUDIO, NULL, NULL, local);
}

static void on_request(struct control_conn *c, struct control_request *req, void *arg)
{
	struct sim_in *s = calloc(1, sizeof *s);
	struct fax_endpoint *local = NULL, *far = NULL;
	int rc;

	if (s == NULL) {
		control_conn_finish(c, FGW_ERR_NOMEM, "out of memory");
		return;
	}
	s->d = arg;
	s->doc_fd = -1;
	s->cfg = daemon_config_hold(s->d);
	rc = prepare(s, req, &local, &far);
	if (rc == 0 && (rc = start_call(s, local, far)) == 0) {
		s->conn = c;
		control_conn_on_close(c, client_gone, s);
		control_conn_send(c, "simulation: far end calling on %s", simline_label(s->ch));
		return;
	}
	if (rc == FGW_ERR_INVALID && req->nfds == 0)
		control_conn_finish(c, rc, "no document descriptor was passed");
	else if (rc == FGW_ERR_BUSY)
		control_conn_finish(c, rc, "all trunk channels are busy; try again later");
	else
		control_conn_finish(c, rc, "%s", document_problem(rc));
	fax_endpoint_free(local);
	fax_endpoint_free(far);
	simline_release(s->ch);
	sim_free(s);
}

int sim_incoming_init(struct daemon *d)
{
	return control_register(daemon_control(d), "simulate-incoming", on_request, d);
}
