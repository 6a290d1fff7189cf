/* SIMULATION ONLY: an office fax machine dials out through the gateway;
 * see sim_outgoing.h. */
#include "gateway/sim_outgoing.h"

#include <errno.h>
#include <event2/event.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <spandsp.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/call.h"
#include "gateway/config.h"
#include "gateway/control.h"
#include "gateway/daemon.h"
#include "gateway/device_call.h"
#include "gateway/devpolicy.h"
#include "gateway/line.h"
#include "gateway/line_pump.h"
#include "gateway/queue_runner.h"
#include "gateway/send_job.h"
#include "gateway/simline.h"
#include "storage/memfile.h"
#include "storage/store.h"

#define FRAME LINE_PUMP_STEP
#define FRAME_MS (FRAME * 1000 / FAX_SAMPLE_RATE)
#define OFF_HOOK_DIAL_MS 1000       /* the user starts dialling after 1 s */
#define CONFIRM_GAP_MS 500          /* ... and again 0.5 s after the beeps */
#define DIAL_PHASE_MAX_MS 60000     /* the double entry ends well before */

struct sim_out_mod;

/* One simulated outgoing call. */
struct session {
	struct sim_out_mod *m;          /* only while dialling */
	struct daemon *d;
	struct queue_runner *r;
	struct control_conn *conn;      /* NULL once the client left */
	struct session *next;           /* in m->dialling */
	const struct config *cfg;       /* held for the session's life */
	struct simline_channel *ch;
	struct device_call *dc;         /* the gateway's side */
	struct event *turn;
	dtmf_tx_state_t *dtmf;
	char dial[DIALRULES_MAX_DIGITS + 2], confirm[DIALRULES_MAX_DIGITS + 2];
	char device[CATALOG_NAME_MAX + 1];  /* whose outbound policy applies */
	bool has_confirm, dialled_first, dialled_second;
	unsigned ms;                    /* time since off hook */
	unsigned beep_frames, quiet_frames, confirm_heard_ms;
	int doc_fd, out_dirfd;
	char doc_path[MEMFILE_PATH_MAX];
};

/* The module: sessions still in the dialling phase. */
struct sim_out_mod {
	struct daemon *d;
	struct queue_runner *r;
	struct session *dialling;
	bool stopping;
};

/* ---- sessions ----------------------------------------------------------- */

static void session_free(struct session *s)
{
	if (s->turn != NULL)
		event_free(s->turn);
	device_call_free(s->dc);
	if (s->dtmf != NULL)
		(void)dtmf_tx_free(s->dtmf);
	simline_release(s->ch);
	if (s->doc_fd >= 0)
		(void)memfile_wipe_close(s->doc_fd);
	if (s->out_dirfd >= 0)
		close(s->out_dirfd);
	if (s->cfg != NULL)
		daemon_config_release(s->d, s->cfg);
	queue_runner_release(s->r);
	free(s);
}

static void unlink_dialling(struct session *s)
{
	for (struct session **p = &s->m->dialling; *p != NULL; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			return;
		}
}

static void client_gone(void *arg)
{
	struct session *s = arg;

	s->conn = NULL;
	log_info("simulation: the client left; the outgoing call goes on and is recorded");
}

static void say(struct session *s, const char *text)
{
	if (s->conn != NULL)
		(void)control_conn_send(s->conn, "%s", text);
}

static void finish(struct session *s, int code, const char *text)
{
	if (s->conn != NULL)
		control_conn_finish(s->conn, code, "%s", text);
	s->conn = NULL;
}

/* ---- the office machine's ear and finger -------------------------------- */

/* Share of the frame's energy at freq (about 1 for a pure tone there). */
static double tone_share(const int16_t *x, size_t n, double freq)
{
	double w = 2.0 * M_PI * freq / FAX_SAMPLE_RATE, k = 2.0 * cos(w);
	double s1 = 0, s2 = 0, energy = 0;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + k * s1 - s2;
		s2 = s1;
		s1 = s0;
		energy += (double)x[i] * x[i];
	}
	if (energy < (double)n * 1e4)        /* quieter than about -40 dBm0 */
		return 0;
	return (s1 * s1 + s2 * s2 - k * s1 * s2) * 2.0 / ((double)n * energy);
}

/* The user dials again once the confirmation beeps (1400 Hz) stopped. */
static void ear(struct session *s, const int16_t *heard)
{
	if (tone_share(heard, FRAME, 1400) > 0.6) {
		s->beep_frames++;
		s->quiet_frames = 0;
	} else if (s->beep_frames >= 3 && s->confirm_heard_ms == 0 &&
		   ++s->quiet_frames >= 15) {
		s->confirm_heard_ms = s->ms;
		say(s, "office machine: heard the confirmation tone");
	}
}

static void press(struct session *s, const char *digits, const char *what)
{
	char line[128];

	if (dtmf_tx_put(s->dtmf, digits, -1) != 0)
		log_warn("simulation: the DTMF buffer refused %s", digits);
	(void)str_format(line, sizeof line, "office machine: dials %s %s", what, digits);
	say(s, line);
}

static void finger(struct session *s, int16_t *buf)
{
	int got;

	if (!s->dialled_first && s->ms >= OFF_HOOK_DIAL_MS) {
		s->dialled_first = true;
		press(s, s->dial, "the number");
	}
	if (s->has_confirm && !s->dialled_second && s->confirm_heard_ms != 0 &&
	    s->ms >= s->confirm_heard_ms + CONFIRM_GAP_MS) {
		s->dialled_second = true;
		press(s, s->confirm, "it again");
	}
	got = dtmf_tx(s->dtmf, buf, FRAME);
	if (got < 0)
		got = 0;
	memset(buf + got, 0, (size_t)(FRAME - got) * sizeof *buf);
}

/* ---- the fax phase ------------------------------------------------------ */

static int make_far(struct session *s, struct fax_endpoint **far)
{
	struct fax_options o;

	fax_options_init(&o);
	o.role = FAX_SEND;
	o.side = FAX_SIDE_CALLING;
	o.file = s->doc_path;
	o.local_ident = "office (simulation)";
	return fax_endpoint_new(&o, far);
}

static void on_fax_done(void *arg, const struct call_outcome *o)
{
	struct session *s = arg;
	struct device_call_result res;
	char text[160];

	device_call_finish(s->dc, &o->local, o->aborted || o->timed_out, s->out_dirfd, &res);
	s->out_dirfd = -1;
	if (res.code == 0) {
		(void)str_format(text, sizeof text, "gateway: stored document %s, %u page(s)",
				 res.document, res.pages);
		say(s, text);
		finish(s, 0, res.text);
	} else if (res.code == FGW_ERR_FAX_FAILED) {
		(void)str_format(text, sizeof text, "%s%s", res.text,
				 o->aborted ? " (gateway stopping)" : "");
		finish(s, res.code, text);
	} else {
		finish(s, res.code, res.text);
	}
	s->ch = NULL;       /* the registry gives the channel back */
	session_free(s);
}

static void release_channel(void *arg)
{
	simline_release(arg);
}

/* ACCEPTED: the same call goes on as a fax from the device. */
static void start_fax(struct session *s)
{
	struct fax_endpoint *local = NULL, *far = NULL;
	int rc = make_far(s, &far);
	struct call_params p = {
		.label = simline_label(s->ch),
		.local = local, .local_line = simline_local(s->ch),
		.far = far, .far_line = simline_far(s->ch),
		.max_seconds = (unsigned)config_int(s->cfg, "daemon", "call_limit_seconds"),
		.done = on_fax_done, .done_arg = s,
		.release = release_channel, .release_arg = s->ch,
	};

	if (rc == 0)
		rc = device_call_endpoint(s->dc, FAX_AUDIO, NULL, NULL, &local);
	p.local = local;
	if (rc == 0)
		rc = call_start(daemon_calls(s->d), &p);
	if (rc != 0) {
		fax_endpoint_free(local);
		fax_endpoint_free(far);
		finish(s, rc, "failed: the fax phase could not start");
		session_free(s);
		return;
	}
	say(s, "gateway: number accepted; receiving the document from the office machine");
}

/* ---- the dialling phase ------------------------------------------------- */

static void refused(struct session *s)
{
	char text[300];
	int code = device_call_refused(s->dc, text, sizeof text);

	finish(s, code, text);
	session_free(s);
}

/* One 20 ms frame both ways; returns the machine's state after it. */
static enum doubleentry_state frame(struct session *s)
{
	int16_t buf[FRAME], in[FRAME], out[FRAME];

	finger(s, buf);
	if (line_send_audio(simline_far(s->ch), buf, FRAME) != 0 ||
	    line_recv_audio(simline_local(s->ch), in, FRAME) != FRAME)
		memset(in, 0, sizeof in);
	enum doubleentry_state st = device_call_process(s->dc, in, out, FRAME);
	if (line_send_audio(simline_local(s->ch), out, FRAME) != 0 ||
	    line_recv_audio(simline_far(s->ch), buf, FRAME) != FRAME)
		memset(buf, 0, sizeof buf);
	ear(s, buf);
	s->ms += FRAME_MS;
	return st;
}

static void on_turn(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval now = {0, 0};
	struct session *s = arg;
	unsigned frames = (unsigned)config_int(s->cfg, "daemon", "frames_per_turn");
	enum doubleentry_state st = DE_FIRST_ENTRY;

	(void)fd, (void)what;
	for (unsigned i = 0; i < frames && st != DE_ACCEPTED && st != DE_REFUSED; i++)
		st = frame(s);
	if (st == DE_ACCEPTED || st == DE_REFUSED || s->ms >= DIAL_PHASE_MAX_MS) {
		unlink_dialling(s);
		if (st == DE_ACCEPTED)
			start_fax(s);
		else if (st == DE_REFUSED)
			refused(s);
		else {
			finish(s, FGW_ERR_TIMEOUT, "failed: the double entry did not end");
			session_free(s);
		}
		return;
	}
	if (event_add(s->turn, &now) != 0)
		log_error("simulation: cannot schedule the outgoing call's next turn");
}

/* ---- the request -------------------------------------------------------- */

static int copy_document(int src, int *out)
{
	char buf[65536];
	size_t total = 0;
	int dst = memfile_create("faxgw-sim-office-doc");

	if (dst < 0)
		return dst;
	for (;;) {
		ssize_t n = read(src, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && lseek(dst, 0, SEEK_SET) == 0) {
			*out = dst;
			return 0;
		}
		int rc = n < 0 ? FGW_ERR_IO : (total += (size_t)n) > SIM_OUTGOING_DOC_MAX ?
			 FGW_ERR_TOO_LARGE : write(dst, buf, (size_t)n) != n ? FGW_ERR_IO : 0;
		if (n == 0 || rc != 0) {
			(void)memfile_wipe_close(dst);
			return rc != 0 ? rc : FGW_ERR_IO;
		}
	}
}

static int take_number(const char *v, char *out, size_t size)
{
	if (v == NULL || v[0] == '\0' || strspn(v, "0123456789*#-+ ") != strlen(v))
		return FGW_ERR_INVALID;
	return str_copy(out, size, v);
}

static int prepare(struct session *s, struct control_request *req)
{
	int fd = control_take_fd(req, 0), rc;

	s->out_dirfd = control_take_fd(req, 1);
	if (fd < 0)
		return FGW_ERR_INVALID;
	/* The CLI opened --out as its user; the far end writes there as ours. */
	if (s->out_dirfd >= 0 && faccessat(s->out_dirfd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
		close(fd);
		return FGW_ERR_PERMISSION;
	}
	rc = copy_document(fd, &s->doc_fd);
	close(fd);
	if (rc != 0 || (rc = memfile_path(s->doc_fd, s->doc_path)) != 0)
		return rc;
	if ((rc = device_call_new(s->d, s->r, s->cfg, s->device, "simulation", &s->dc)) != 0)
		return rc;
	if ((s->dtmf = dtmf_tx_init(NULL)) == NULL)
		return FGW_ERR_NOMEM;
	dtmf_tx_set_level(s->dtmf, -10, 0);
	dtmf_tx_set_timing(s->dtmf, 90, 110);   /* a fax machine's tone dialling */
	if ((s->turn = event_new(daemon_base(s->d), -1, 0, on_turn, s)) == NULL)
		return FGW_ERR_NOMEM;
	return simline_acquire(daemon_lines(s->d), SIMLINE_DEVICE, &s->ch);
}

static const char *request_problem(int rc, const struct control_request *req)
{
	switch (rc) {
	case FGW_ERR_INVALID:
		return req->nfds == 0 ? "no document descriptor was passed" :
		       "dial (and confirm) take digits, '*', '#', '-', '+' and spaces; "
		       "device takes letters, digits and . _ - : @";
	case FGW_ERR_BUSY:
		return "the device line is busy; try again later";
	case FGW_ERR_TOO_LARGE:
		return "the document is larger than 64 MiB";
	case FGW_ERR_PERMISSION:
		return "faxgwd's user cannot write into the --out folder; give it a folder "
		       "it owns (chown that user FOLDER) or leave out --out";
	default:
		return fgw_strerror(rc);
	}
}

static void on_request(struct control_conn *c, struct control_request *req, void *arg)
{
	static const struct timeval now = {0, 0};
	struct sim_out_mod *m = arg;
	struct session *s = calloc(1, sizeof *s);
	const char *confirm = control_arg(req, "confirm"), *device = control_arg(req, "device");
	int rc;

	if (s == NULL || m->stopping) {
		free(s);
		control_conn_finish(c, FGW_ERR_STATE, "the gateway is stopping");
		return;
	}
	*s = (struct session){ .m = m, .d = m->d, .r = m->r, .doc_fd = -1, .out_dirfd = -1 };
	queue_runner_hold(s->r);
	s->cfg = daemon_config_hold(s->d);
	s->has_confirm = confirm != NULL;
	if (device == NULL)
		device = DEVPOLICY_DEFAULT_DEVICE;
	rc = devpolicy_name_ok(device) ? str_copy(s->device, sizeof s->device, device) :
	     FGW_ERR_INVALID;
	if (rc == 0)
		rc = take_number(control_arg(req, "dial"), s->dial, sizeof s->dial);
	if (rc == 0 && s->has_confirm)
		rc = take_number(confirm, s->confirm, sizeof s->confirm);
	if (rc == 0)
		rc = prepare(s, req);
	if (rc == 0 && (rc = event_add(s->turn, &now)) != 0)
		rc = FGW_ERR_NOMEM;
	if (rc != 0) {
		control_conn_finish(c, rc, "%s", request_problem(rc, req));
		session_free(s);
		return;
	}
	s->conn = c;
	control_conn_on_close(c, client_gone, s);
	s->next = m->dialling;
	m->dialling = s;
	(void)control_conn_send(c, "simulation: office fax machine (device %s) off hook on %s",
				s->device, simline_label(s->ch));
}

/* Stops sessions still dialling (those in a call end with the call). */
static void on_shutdown(void *arg)
{
	struct sim_out_mod *m = arg;

	m->stopping = true;
	while (m->dialling != NULL) {
		struct session *s = m->dialling;
		m->dialling = s->next;
		finish(s, FGW_ERR_STATE, "failed: the gateway is stopping");
		session_free(s);
	}
	free(m);
}

int sim_outgoing_init(struct daemon *d, struct queue_runner *r)
{
	struct sim_out_mod *m = calloc(1, sizeof *m);
	int rc;

	if (m == NULL)
		return FGW_ERR_NOMEM;
	m->d = d;
	m->r = r;
	if ((rc = daemon_on_shutdown(d, on_shutdown, m)) != 0) {
		free(m);
		return rc;
	}
	return control_register(daemon_control(d), "simulate-outgoing", on_request, m);
}
