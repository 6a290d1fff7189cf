/* The gateway's side of an office device's call; see device_call.h. */
#include "gateway/device_call.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <spandsp.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/devpolicy.h"
#include "gateway/queue_runner.h"
#include "gateway/send_job.h"
#include "storage/memfile.h"
#include "storage/store.h"

#define DIGITS_MAX 64            /* waiting digits from outside the audio */
#define BLOCK 160                /* 20 ms */

struct device_call {
	struct daemon *d;
	struct queue_runner *r;
	const struct config *cfg;
	struct doubleentry *de;
	dtmf_tx_state_t *dtmf;   /* turns outside digits into tones for de */
	char device[CATALOG_NAME_MAX + 1];
	char who[16];
	int rx_fd;
	char rx_path[MEMFILE_PATH_MAX];
	int rx_pages;
};

/* The double entry as configured, with the device's own policy over it. */
static int device_config(struct device_call *dc, struct doubleentry_config *c)
{
	struct devpolicy dflt, p;
	char msg[200];
	int rc = doubleentry_config_load(dc->cfg, c, msg, sizeof msg);

	if (rc == 0)
		rc = devpolicy_load_defaults(dc->cfg, &dflt, msg, sizeof msg);
	if (rc == 0)
		rc = devpolicy_for_device(store_catalog(daemon_store(dc->d)), &dflt, dc->device,
					  &p, msg, sizeof msg);
	if (rc != 0) {
		log_error("%s: %s", dc->who, msg);
		return rc;
	}
	c->double_entry = p.double_entry;
	c->policy = p.dial;
	log_info("%s: device %s: double entry %s", dc->who, dc->device,
		 p.double_entry ? "required" : "off");
	return 0;
}

int device_call_new(struct daemon *d, struct queue_runner *r, const struct config *cfg,
		    const char *device, const char *who, struct device_call **out)
{
	struct device_call *dc = calloc(1, sizeof *dc);
	struct doubleentry_config c;
	int rc;

	*out = NULL;
	if (dc == NULL)
		return FGW_ERR_NOMEM;
	*dc = (struct device_call){.d = d, .r = r, .cfg = cfg, .rx_fd = -1};
	queue_runner_hold(r);
	(void)str_copy(dc->who, sizeof dc->who, who);
	rc = str_copy(dc->device, sizeof dc->device, device);
	if (rc == 0)
		rc = device_config(dc, &c);
	if (rc == 0)
		rc = doubleentry_new(&c, &dc->de);
	if (rc == 0 && (dc->dtmf = dtmf_tx_init(NULL)) == NULL)
		rc = FGW_ERR_NOMEM;
	if (rc != 0) {
		device_call_free(dc);
		return rc;
	}
	dtmf_tx_set_level(dc->dtmf, -10, 0);
	dtmf_tx_set_timing(dc->dtmf, 90, 110);
	*out = dc;
	return 0;
}

int device_call_dial(struct device_call *dc, const char *digits)
{
	size_t n = strlen(digits);

	if (n > DIGITS_MAX)
		return FGW_ERR_TOO_LARGE;
	if (strspn(digits, "0123456789*#ABCDabcd") != n)
		return FGW_ERR_INVALID;
	return dtmf_tx_put(dc->dtmf, digits, (int)n) == 0 ? 0 : FGW_ERR_TOO_LARGE;
}

/* Outside digits replace what the device sends while they play. */
static enum doubleentry_state process_block(struct device_call *dc, const int16_t *in,
					    int16_t *out, size_t n)
{
	int16_t tones[BLOCK];
	int got = dtmf_tx(dc->dtmf, tones, (int)n);

	if (got > 0 || in == NULL) {
		got = got > 0 ? got : 0;
		memset(tones + got, 0, (n - (size_t)got) * sizeof *tones);
		in = tones;
	}
	return doubleentry_process(dc->de, in, out, n);
}

enum doubleentry_state device_call_process(struct device_call *dc, const int16_t *in,
					   int16_t *out, size_t n)
{
	enum doubleentry_state st = doubleentry_state(dc->de);

	for (size_t done = 0; done < n; done += BLOCK) {
		size_t k = n - done < BLOCK ? n - done : BLOCK;
		st = process_block(dc, in != NULL ? in + done : NULL, out + done, k);
	}
	return st;
}

const char *device_call_number(const struct device_call *dc)
{
	return doubleentry_number(dc->de);
}

const char *device_call_device(const struct device_call *dc)
{
	return dc->device;
}

static int refusal_code(enum doubleentry_refusal r)
{
	switch (r) {
	case DE_MISMATCH: return FGW_ERR_MISMATCH;
	case DE_TIMEOUT: return FGW_ERR_TIMEOUT;
	case DE_TOO_LONG: return FGW_ERR_RANGE;
	default: return FGW_ERR_DENIED;
	}
}

int device_call_refused(struct device_call *dc, char *text, size_t size)
{
	struct audit *a = store_audit(daemon_store(dc->d));
	int rc = doubleentry_audit(dc->de, a, dc->device);

	if (rc == 0)
		rc = audit_sync(a, NULL);
	if (rc != 0)
		log_error("%s: the refusal could not be audited: %s", dc->who, fgw_strerror(rc));
	log_info("%s: the office machine's call was refused: %s", dc->who,
		 doubleentry_reason(dc->de));
	(void)str_format(text, size, "refused: %s", doubleentry_reason(dc->de));
	return refusal_code(doubleentry_refusal(dc->de));
}

static void page_rx(void *user, const struct fax_page *page)
{
	struct device_call *dc = user;

	(void)page;
	dc->rx_pages++;
}

static enum fax_decision accept_all(void *user, const struct fax_phase_b *info)
{
	(void)user, (void)info;
	return FAX_ACCEPT;
}

static const struct fax_events rx_events = {.decide = accept_all, .page = page_rx};

/* A fresh, empty memory file for the document (a T.38 switch starts over). */
static int fresh_rx_file(struct device_call *dc)
{
	if (dc->rx_fd >= 0 && memfile_wipe_close(dc->rx_fd) != 0)
		log_warn("%s: could not wipe the received document's memory copy", dc->who);
	dc->rx_pages = 0;
	if ((dc->rx_fd = memfile_create("faxgw-device-rx")) < 0)
		return dc->rx_fd;
	return memfile_path(dc->rx_fd, dc->rx_path);
}

int device_call_endpoint(struct device_call *dc, enum fax_transport transport,
			 fax_t38_out_fn t38_out, void *t38_user, struct fax_endpoint **ep)
{
	struct fax_options o;
	int rc = fresh_rx_file(dc);

	if (rc != 0)
		return rc;
	fax_options_init(&o);
	o.role = FAX_RECEIVE;
	o.transport = transport;
	o.side = FAX_SIDE_ANSWERING;
	o.file = dc->rx_path;
	o.ecm = config_bool(dc->cfg, "fax", "ecm");
	o.t38_out = t38_out;
	o.t38_user = t38_user;
	o.events = &rx_events;
	o.user = dc;
	return fax_endpoint_new(&o, ep);
}

/* The document arrived: vault, then queue. */
static void store_and_queue(struct device_call *dc, int out_dirfd,
			    struct device_call_result *res)
{
	struct store *st = daemon_store(dc->d);
	const char *number = doubleentry_number(dc->de);
	struct dialrules_decision dec;
	int rc = send_job_store_document(st, dc->rx_fd, number, res->pages, res->document);

	if (rc != 0) {
		log_error("%s: the device's fax could not be stored: %s", dc->who, fgw_strerror(rc));
		if (out_dirfd >= 0)
			close(out_dirfd);
		res->code = rc;
		(void)str_copy(res->text, sizeof res->text,
			       "failed: the gateway could not store the document");
		return;
	}
	rc = queue_runner_enqueue(dc->r, res->document, number, DIAL_FROM_DEVICE, dc->device,
				  out_dirfd, res->job, &dec);
	if (rc != 0) {
		(void)store_doc_erase(st, res->document, NULL, NULL);
		res->document[0] = '\0';
		res->code = rc;
		(void)str_format(res->text, sizeof res->text, "refused: %s",
				 rc == FGW_ERR_DENIED ? dec.reason : fgw_strerror(rc));
		return;
	}
	log_info("%s: the office machine's fax to %s is job %s (%u page(s))", dc->who, number,
		 res->job, res->pages);
	(void)str_format(res->text, sizeof res->text, "accepted: job %s to %s", res->job, number);
}

void device_call_finish(struct device_call *dc, const struct fax_result *local, bool cut,
			int out_dirfd, struct device_call_result *res)
{
	const char *why = local->t30_text != NULL ? local->t30_text : "?";

	memset(res, 0, sizeof *res);
	res->pages = dc->rx_pages > 0 ? (uint32_t)dc->rx_pages : 0;
	if (local->err == 0 && dc->rx_pages > 0 && !cut) {
		store_and_queue(dc, out_dirfd, res);
		return;
	}
	if (out_dirfd >= 0)
		close(out_dirfd);
	log_warn("%s: the office machine's fax did not arrive: %s", dc->who, why);
	res->code = FGW_ERR_FAX_FAILED;
	(void)str_format(res->text, sizeof res->text,
			 "failed: the fax from the office machine did not arrive (%s)", why);
}

void device_call_free(struct device_call *dc)
{
	if (dc == NULL)
		return;
	doubleentry_free(dc->de);
	if (dc->dtmf != NULL)
		(void)dtmf_tx_free(dc->dtmf);
	if (dc->rx_fd >= 0 && memfile_wipe_close(dc->rx_fd) != 0)
		log_warn("%s: could not wipe the received document's memory copy", dc->who);
	queue_runner_release(dc->r);
	free(dc);
}
