/* The fax endpoint: SpanDSP's fax_state (audio) or t38_terminal (T.38) plus
 * the T.30 settings, F-code handling and event reporting we want. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <tiffio.h>
#include <spandsp.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "dsp/fax.h"

/* SpanDSP's fax_rx() takes a non-const buffer; we copy into one this big. */
#define RX_CHUNK 160

/* Copies of each T.38 packet asked for when redundancy is on: control
 * messages and indicators often, image data twice. ECM repairs the rest. */
#define T38_REPEAT_CONTROL 3
#define T38_REPEAT_IMAGE 2

struct fax_endpoint {
	struct fax_options opt;
	char file[4096];
	char local_ident[FAX_IDENT_MAX + 1];
	char sub[FAX_IDENT_MAX + 1];
	char sid[FAX_IDENT_MAX + 1];
	char pwd[FAX_IDENT_MAX + 1];

	fax_state_t *fax;            /* audio, or NULL */
	t38_terminal_state_t *t38;   /* T.38, or NULL */
	t30_state_t *t30;            /* belongs to fax or t38 */
	uint16_t t38_tx_seq;

	bool rx_file_existed;        /* don't remove what we did not create */
	bool phase_b_seen;
	bool decided;
	int pages_reported;
	bool done;
	struct fax_result result;

	fax_runner_fn *runner;       /* where events run; NULL: here */
	void *runner_arg;
};

void fax_options_init(struct fax_options *o)
{
	memset(o, 0, sizeof *o);
	o->role = FAX_SEND;
	o->transport = FAX_AUDIO;
	o->side = FAX_SIDE_AUTO;
	o->ecm = true;
	o->modems = FAX_MODEM_ALL;
	o->t38_redundancy = true;
}

int fax_modems_parse(const char *name, unsigned *modems)
{
	if (strcasecmp(name, "v17") == 0)
		*modems = FAX_MODEM_ALL;
	else if (strcasecmp(name, "v29") == 0)
		*modems = FAX_MODEM_V29 | FAX_MODEM_V27TER;
	else if (strcasecmp(name, "v27ter") == 0)
		*modems = FAX_MODEM_V27TER;
	else
		return FGW_ERR_PARSE;
	return 0;
}

/* ---- events --------------------------------------------------------- */

static void copy_ident(char dst[static FAX_IDENT_MAX + 1], const char *src)
{
	/* SpanDSP's strings are bounded by T30_MAX_IDENT_LEN; truncate anyway. */
	(void)str_copy(dst, FAX_IDENT_MAX + 1, src != NULL ? src : "");
}

static void fill_phase_b(struct fax_endpoint *ep, struct fax_phase_b *info)
{
	t30_stats_t st;

	memset(info, 0, sizeof *info);
	copy_ident(info->remote_ident, t30_get_rx_ident(ep->t30));
	if (ep->opt.role == FAX_RECEIVE) {
		copy_ident(info->sub, t30_get_rx_sub_address(ep->t30));
		copy_ident(info->sid, t30_get_rx_sender_ident(ep->t30));
		copy_ident(info->pwd, t30_get_rx_password(ep->t30));
		t30_get_transfer_statistics(ep->t30, &st);
		info->bit_rate = st.bit_rate;
		info->ecm = st.error_correcting_mode != 0;
	}
}

static int decision_to_t30(enum fax_decision d)
{
	switch (d) {
	case FAX_ACCEPT:
		return T30_ERR_OK;
	case FAX_REJECT_SID:
		return T30_ERR_SID_UNACCEPTABLE;
	case FAX_REJECT_PWD:
		return T30_ERR_PWD_UNACCEPTABLE;
	case FAX_REJECT_IDENT:
		return T30_ERR_IDENT_UNACCEPTABLE;
	case FAX_REJECT_SUB:
	default:
		return T30_ERR_SUB_UNACCEPTABLE;
	}
}

/* ---- events, through the runner ---- */

/* One event callback to run: which, its argument, and decide's answer. */
struct event_job {
	struct fax_endpoint *ep;
	enum { EV_PHASE_B, EV_DECIDE, EV_PAGE, EV_DONE } kind;
	const void *info;
	enum fax_decision decision;
};

static void run_event(void *arg)
{
	struct event_job *j = arg;
	const struct fax_events *ev = j->ep->opt.events;
	void *user = j->ep->opt.user;

	switch (j->kind) {
	case EV_PHASE_B:
		ev->phase_b(user, j->info);
		break;
	case EV_DECIDE:
		j->decision = ev->decide(user, j->info);
		break;
	case EV_PAGE:
		ev->page(user, j->info);
		break;
	case EV_DONE:
		ev->done(user, j->info);
		break;
	}
}

/* Runs the event callback of kind (if the endpoint has one) where the
 * runner says; returns decide's answer (FAX_REJECT_SUB without one). */
static enum fax_decision send_event(struct fax_endpoint *ep, int kind, const void *info)
{
	const struct fax_events *ev = ep->opt.events;
	struct event_job j = {.ep = ep, .kind = kind, .info = info,
			      .decision = FAX_REJECT_SUB};
	bool have = ev != NULL &&
		    (kind == EV_PHASE_B ? ev->phase_b != NULL :
		     kind == EV_DECIDE ? ev->decide != NULL :
		     kind == EV_PAGE ? ev->page != NULL : ev->done != NULL);

	if (!have)
		return j.decision;
	if (ep->runner != NULL)
		ep->runner(ep->runner_arg, run_event, &j);
	else
		run_event(&j);
	return j.decision;
}

void fax_endpoint_set_runner(struct fax_endpoint *ep, fax_runner_fn *run, void *runner_arg)
{
	ep->runner = run;
	ep->runner_arg = run != NULL ? runner_arg : NULL;
}

static int decide(struct fax_endpoint *ep, const struct fax_phase_b *info)
{
	enum fax_decision d = send_event(ep, EV_DECIDE, info);

	if (d != FAX_ACCEPT)
		log_info("fax: rejecting call from '%s' (SUB '%s'): %s", info->remote_ident,
			 info->sub, t30_completion_code_to_str(decision_to_t30(d)));
	return decision_to_t30(d);
}

/* SpanDSP calls this when DIS (sender) or DCS (receiver) arrives; fcf has
 * the X bit set or not depending on who called, so it is masked off. The SUB,
 * SID and PWD frames precede DCS, so they are all known here. */
static int on_phase_b(t30_state_t *t30, void *user, int fcf)
{
	struct fax_endpoint *ep = user;
	struct fax_phase_b info;

	(void)t30;
	fill_phase_b(ep, &info);
	copy_ident(ep->result.remote_ident, info.remote_ident);
	if (!ep->phase_b_seen) {
		ep->phase_b_seen = true;
		(void)send_event(ep, EV_PHASE_B, &info);
	}
	if (ep->opt.role != FAX_RECEIVE || (fcf & 0xFE) != T30_DCS || ep->decided) {
		explicit_bzero(&info, sizeof info);
		return T30_ERR_OK;
	}
	int code = decide(ep, &info);
	if (code == T30_ERR_OK)
		ep->decided = true;
	/* SID and PWD carry F-code passwords. */
	explicit_bzero(&info, sizeof info);
	return code;
}

static void report_pages(struct fax_endpoint *ep)
{
	t30_stats_t st;
	struct fax_page page;

	t30_get_transfer_statistics(ep->t30, &st);
	int count = ep->opt.role == FAX_SEND ? st.pages_tx : st.pages_rx;
	while (ep->pages_reported < count) {
		ep->pages_reported++;
		page = (struct fax_page){
			.number = ep->pages_reported,
			.width = st.width,
			.length = st.length,
			.x_resolution = st.x_resolution,
			.y_resolution = st.y_resolution,
			.encoding = t4_encoding_to_str(st.encoding),
			.image_size = st.image_size,
			.bad_rows = st.bad_rows,
			.longest_bad_row_run = st.longest_bad_row_run,
		};
		(void)send_event(ep, EV_PAGE, &page);
	}
}

static int on_phase_d(t30_state_t *t30, void *user, int fcf)
{
	(void)t30;
	(void)fcf;
	report_pages(user);
	return T30_ERR_OK;
}

static bool is_rejection(int code)
{
	return code >= T30_ERR_IDENT_UNACCEPTABLE && code <= T30_ERR_CSA_UNACCEPTABLE;
}

/* A receiver that got no page keeps no file: a rejected or failed call
 * must not leave an empty or partial document behind. */
static void drop_empty_output(struct fax_endpoint *ep)
{
	if (ep->opt.role != FAX_RECEIVE || ep->rx_file_existed ||
	    ep->result.stats.pages_rx > 0)
		return;
	if (unlink(ep->file) != 0 && errno != ENOENT)
		log_errno("fax: cannot remove '%s'", ep->file);
}

static void on_phase_e(t30_state_t *t30, void *user, int code)
{
	struct fax_endpoint *ep = user;
	t30_stats_t st;

	(void)t30;
	if (ep->done)
		return;
	report_pages(ep);
	t30_get_transfer_statistics(ep->t30, &st);
	ep->result.t30_code = code;
	ep->result.t30_text = t30_completion_code_to_str(code);
	ep->result.err = code == T30_ERR_OK ? 0 :
			 is_rejection(code) ? FGW_ERR_FAX_REJECTED : FGW_ERR_FAX_FAILED;
	ep->result.stats = (struct fax_stats){
		.bit_rate = st.bit_rate,
		.ecm = st.error_correcting_mode != 0,
		.ecm_retries = st.error_correcting_mode_retries,
		.pages_tx = st.pages_tx,
		.pages_rx = st.pages_rx,
		.pages_in_file = st.pages_in_file,
	};
	ep->done = true;
	drop_empty_output(ep);
	(void)send_event(ep, EV_DONE, &ep->result);
}

/* ---- set-up --------------------------------------------------------- */

static void span_message(int level, const char *text)
{
	(void)level;
	size_t n = strlen(text);
	/* SpanDSP ends its lines with '\n'; log lines carry their own. */
	log_debug("spandsp: %.*s", (int)(n > 0 && text[n - 1] == '\n' ? n - 1 : n), text);
}

static void set_trace(logging_state_t *logging, bool on)
{
	if (logging == NULL)
		return;
	span_log_set_level(logging, on ? SPAN_LOG_SHOW_TAG | SPAN_LOG_SHOW_PROTOCOL |
					 SPAN_LOG_FLOW : SPAN_LOG_NONE);
	span_log_set_message_handler(logging, span_message);
}

static int check_ident(const char *name, const char *value, char dst[static FAX_IDENT_MAX + 1])
{
	if (value == NULL)
		value = "";
	if (str_copy(dst, FAX_IDENT_MAX + 1, value) != 0) {
		log_error("fax: %s '%s' is longer than %d characters", name, value, FAX_IDENT_MAX);
		return FGW_ERR_INVALID;
	}
	/* T.30 carries these as printable ASCII; anything else cannot be sent. */
	for (const char *p = value; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e) {
			log_error("fax: %s contains a character T.30 cannot carry", name);
			return FGW_ERR_INVALID;
		}
	}
	return 0;
}

/* Every strip must lie inside the file: a truncated file fails here rather
 * than halfway through the call. */
static int check_strips(TIFF *tif, const char *path, int page, uint64_t file_size)
{
	uint64_t *offsets = NULL, *counts = NULL;
	uint32_t strips = TIFFNumberOfStrips(tif);

	if (strips == 0 || TIFFGetField(tif, TIFFTAG_STRIPOFFSETS, &offsets) != 1 ||
	    TIFFGetField(tif, TIFFTAG_STRIPBYTECOUNTS, &counts) != 1 ||
	    offsets == NULL || counts == NULL) {
		log_error("fax: '%s' page %d has no image strips", path, page);
		return FGW_ERR_TIFF;
	}
	for (uint32_t i = 0; i < strips; i++) {
		if (offsets[i] > file_size || counts[i] > file_size - offsets[i]) {
			log_error("fax: '%s' page %d is truncated (strip %u ends past the "
				  "end of the file)", path, page, i);
			return FGW_ERR_TRUNCATED;
		}
	}
	return 0;
}

static int check_tx_pages(TIFF *tif, const char *path, uint64_t file_size)
{
	int page = 1;
	int rc;

	do {
		uint16_t bps = 0;
		if (TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps) != 1 || bps != 1) {
			log_error("fax: '%s' page %d is not black-and-white (1 bit per pixel)",
				  path, page);
			return FGW_ERR_TIFF_UNSUPPORTED;
		}
		if ((rc = check_strips(tif, path, page, file_size)) != 0)
			return rc;
		page++;
	} while (TIFFReadDirectory(tif) == 1);
	return 0;
}

/* A quick look so a missing or non-TIFF file fails here with a clear code,
 * not later as a T.30 file error. Deep validation is dsp/tiffdoc's job. */
static int check_tx_file(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) != 0) {
		log_errno("fax: cannot read '%s'", path);
		return errno == ENOENT ? FGW_ERR_NOT_FOUND : FGW_ERR_IO;
	}
	if (!S_ISREG(sb.st_mode)) {
		log_error("fax: '%s' is not a regular file", path);
		return FGW_ERR_TIFF;
	}
	TIFF *tif = TIFFOpen(path, "r");
	if (tif == NULL) {
		log_error("fax: '%s' is not a readable TIFF file", path);
		return FGW_ERR_TIFF;
	}
	int rc = check_tx_pages(tif, path, (uint64_t)sb.st_size);
	TIFFClose(tif);
	return rc;
}

static int copy_options(struct fax_endpoint *ep, const struct fax_options *o)
{
	int rc;

	ep->opt = *o;
	if (o->file == NULL || o->file[0] == '\0' ||
	    str_copy(ep->file, sizeof ep->file, o->file) != 0) {
		log_error("fax: a TIFF file name (under %zu bytes) is required", sizeof ep->file);
		return FGW_ERR_INVALID;
	}
	if ((rc = check_ident("local ident", o->local_ident, ep->local_ident)) != 0 ||
	    (rc = check_ident("SUB", o->sub, ep->sub)) != 0 ||
	    (rc = check_ident("SID", o->sid, ep->sid)) != 0 ||
	    (rc = check_ident("PWD", o->pwd, ep->pwd)) != 0)
		return rc;
	if ((o->modems & FAX_MODEM_ALL) == 0 || (o->modems & ~(unsigned)FAX_MODEM_ALL) != 0) {
		log_error("fax: modem set 0x%x names no known modem", o->modems);
		return FGW_ERR_INVALID;
	}
	if (o->transport == FAX_T38 && o->t38_out == NULL) {
		log_error("fax: a T.38 endpoint needs a packet output");
		return FGW_ERR_INVALID;
	}
	/* Our copies outlive the caller's strings. */
	ep->opt.file = ep->file;
	ep->opt.local_ident = ep->local_ident;
	ep->opt.sub = ep->sub;
	ep->opt.sid = ep->sid;
	ep->opt.pwd = ep->pwd;
	return 0;
}

static int t38_tx(t38_core_state_t *core, void *user, const uint8_t *buf, int len, int count)
{
	struct fax_endpoint *ep = user;

	(void)core;
	/* t38_core numbers its packets one by one per call of this handler;
	 * counting here keeps the same numbers without its private state. */
	uint16_t seq = ep->t38_tx_seq++;
	if (len <= 0 || count <= 0)
		return 0;
	int rc = ep->opt.t38_out(ep->opt.t38_user, buf, (size_t)len, seq, count);
	if (rc != 0)
		log_warn("fax: T.38 packet %u not sent: %s", seq, fgw_strerror(rc));
	return 0;
}

static void set_t38_redundancy(t38_core_state_t *core)
{
	t38_set_redundancy_control(core, T38_PACKET_CATEGORY_INDICATOR, T38_REPEAT_CONTROL);
	t38_set_redundancy_control(core, T38_PACKET_CATEGORY_CONTROL_DATA, T38_REPEAT_CONTROL);
	t38_set_redundancy_control(core, T38_PACKET_CATEGORY_CONTROL_DATA_END, T38_REPEAT_CONTROL);
	t38_set_redundancy_control(core, T38_PACKET_CATEGORY_IMAGE_DATA, T38_REPEAT_IMAGE);
	t38_set_redundancy_control(core, T38_PACKET_CATEGORY_IMAGE_DATA_END, T38_REPEAT_CONTROL);
}

static int make_engine(struct fax_endpoint *ep)
{
	int calling = ep->opt.side == FAX_SIDE_CALLING ||
		      (ep->opt.side == FAX_SIDE_AUTO && ep->opt.role == FAX_SEND);

	if (ep->opt.transport == FAX_AUDIO) {
		if ((ep->fax = fax_init(NULL, calling)) == NULL)
			return FGW_ERR_NOMEM;
		fax_set_transmit_on_idle(ep->fax, 1);
		ep->t30 = fax_get_t30_state(ep->fax);
		set_trace(fax_get_logging_state(ep->fax), ep->opt.trace);
	} else {
		if ((ep->t38 = t38_terminal_init(NULL, calling, t38_tx, ep)) == NULL)
			return FGW_ERR_NOMEM;
		ep->t30 = t38_terminal_get_t30_state(ep->t38);
		t38_core_state_t *core = t38_terminal_get_t38_core_state(ep->t38);
		if (ep->opt.t38_redundancy)
			set_t38_redundancy(core);
		set_trace(t38_terminal_get_logging_state(ep->t38), ep->opt.trace);
		set_trace(t38_core_get_logging_state(core), ep->opt.trace);
	}
	set_trace(t30_get_logging_state(ep->t30), ep->opt.trace);
	return 0;
}

static unsigned t30_modems(unsigned modems)
{
	return ((modems & FAX_MODEM_V27TER) ? T30_SUPPORT_V27TER : 0) |
	       ((modems & FAX_MODEM_V29) ? T30_SUPPORT_V29 : 0) |
	       ((modems & FAX_MODEM_V17) ? T30_SUPPORT_V17 : 0);
}

static int configure_t30(struct fax_endpoint *ep)
{
	t30_state_t *t = ep->t30;

	if (ep->local_ident[0] != '\0' && t30_set_tx_ident(t, ep->local_ident) != 0)
		return FGW_ERR_INVALID;
	if (t30_set_ecm_capability(t, ep->opt.ecm) != 0 ||
	    t30_set_supported_modems(t, (int)t30_modems(ep->opt.modems)) != 0 ||
	    t30_set_supported_compressions(t, T30_SUPPORT_T4_1D_COMPRESSION |
					      T30_SUPPORT_T4_2D_COMPRESSION |
					      T30_SUPPORT_T6_COMPRESSION) != 0 ||
	    t30_set_supported_t30_features(t, T30_SUPPORT_IDENTIFICATION |
					      T30_SUPPORT_SUB_ADDRESSING) != 0)
		return FGW_ERR_INVALID;
	if (ep->opt.role == FAX_SEND) {
		if ((ep->sub[0] != '\0' && t30_set_tx_sub_address(t, ep->sub) != 0) ||
		    (ep->sid[0] != '\0' && t30_set_tx_sender_ident(t, ep->sid) != 0) ||
		    (ep->pwd[0] != '\0' && t30_set_tx_password(t, ep->pwd) != 0))
			return FGW_ERR_INVALID;
		t30_set_tx_file(t, ep->file, -1, -1);
	} else {
		/* T.6 keeps the stored document small whatever the line used. */
		if (t30_set_rx_encoding(t, T4_COMPRESSION_ITU_T6) != 0)
			return FGW_ERR_INVALID;
		t30_set_rx_file(t, ep->file, -1);
	}
	t30_set_phase_b_handler(t, on_phase_b, ep);
	t30_set_phase_d_handler(t, on_phase_d, ep);
	t30_set_phase_e_handler(t, on_phase_e, ep);
	return 0;
}

int fax_endpoint_new(const struct fax_options *o, struct fax_endpoint **out)
{
	struct fax_endpoint *ep;
	int rc;

	*out = NULL;
	if ((ep = calloc(1, sizeof *ep)) == NULL)
		return FGW_ERR_NOMEM;
	if ((rc = copy_options(ep, o)) != 0)
		goto fail;
	if (o->role == FAX_SEND && (rc = check_tx_file(ep->file)) != 0)
		goto fail;
	if (o->role == FAX_RECEIVE)
		ep->rx_file_existed = access(ep->file, F_OK) == 0;
	if ((rc = make_engine(ep)) != 0 || (rc = configure_t30(ep)) != 0)
		goto fail;
	*out = ep;
	return 0;
fail:
	fax_endpoint_free(ep);
	return rc;
}

void fax_endpoint_free(struct fax_endpoint *ep)
{
	if (ep == NULL)
		return;
	/* SpanDSP keeps its own copies of what we gave it; blank them. (What it
	 * received from the far end cannot be reached through its API.) */
	if (ep->t30 != NULL) {
		(void)t30_set_tx_sender_ident(ep->t30, "");
		(void)t30_set_tx_password(ep->t30, "");
	}
	/* Freeing the engine closes the TIFF it may still hold open. */
	if (ep->fax != NULL)
		fax_free(ep->fax);
	if (ep->t38 != NULL)
		t38_terminal_free(ep->t38);
	explicit_bzero(ep, sizeof *ep);
	free(ep);
}

/* ---- running -------------------------------------------------------- */

int fax_endpoint_rx_audio(struct fax_endpoint *ep, const int16_t *samples, size_t n)
{
	int16_t chunk[RX_CHUNK];

	if (ep->fax == NULL)
		return FGW_ERR_STATE;
	while (n > 0) {
		size_t k = n < RX_CHUNK ? n : RX_CHUNK;
		memcpy(chunk, samples, k * sizeof chunk[0]);
		/* What is left over after the call ended is of no interest. */
		(void)fax_rx(ep->fax, chunk, (int)k);
		samples += k;
		n -= k;
	}
	return 0;
}

size_t fax_endpoint_tx_audio(struct fax_endpoint *ep, int16_t *buf, size_t max)
{
	if (ep->fax == NULL)
		return 0;
	size_t done = 0;
	while (done < max) {
		int chunk = max - done > INT16_MAX ? INT16_MAX : (int)(max - done);
		int got = fax_tx(ep->fax, buf + done, chunk);
		if (got <= 0)
			break;
		done += (size_t)got;
	}
	/* Transmit-on-idle fills the block; this only guards the promise. */
	memset(buf + done, 0, (max - done) * sizeof buf[0]);
	return max;
}

int fax_endpoint_rx_t38(struct fax_endpoint *ep, const uint8_t *ifp, size_t len, uint16_t seq)
{
	if (ep->t38 == NULL)
		return FGW_ERR_STATE;
	if (len == 0 || len > INT16_MAX)
		return FGW_ERR_PARSE;
	t38_core_state_t *core = t38_terminal_get_t38_core_state(ep->t38);
	return t38_core_rx_ifp_packet(core, ifp, (int)len, seq) < 0 ? FGW_ERR_PARSE : 0;
}

int fax_endpoint_advance(struct fax_endpoint *ep, size_t samples)
{
	if (ep->t38 == NULL)
		return FGW_ERR_STATE;
	while (samples > 0) {
		int k = samples > 8000 ? 8000 : (int)samples;
		/* The return value says whether T.30 finished; on_phase_e tells us. */
		(void)t38_terminal_send_timeout(ep->t38, k);
		samples -= (size_t)k;
	}
	return 0;
}

void fax_endpoint_abort(struct fax_endpoint *ep)
{
	if (ep->done)
		return;
	t30_terminate(ep->t30);
	/* t30_terminate reports phase E itself unless the call never started;
	 * make sure the caller always sees an end. */
	if (!ep->done)
		on_phase_e(ep->t30, ep, T30_ERR_CALLDROPPED);
}

bool fax_endpoint_done(const struct fax_endpoint *ep)
{
	return ep->done;
}

int fax_endpoint_result(const struct fax_endpoint *ep, struct fax_result *out)
{
	if (!ep->done)
		return FGW_ERR_STATE;
	*out = ep->result;
	return 0;
}

const char *fax_endpoint_remote_ident(const struct fax_endpoint *ep)
{
	return ep->result.remote_ident;
}

enum fax_transport fax_endpoint_transport(const struct fax_endpoint *ep)
{
	return ep->opt.transport;
}

enum fax_role fax_endpoint_role(const struct fax_endpoint *ep)
{
	return ep->opt.role;
}
