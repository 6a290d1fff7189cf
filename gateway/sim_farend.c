/* SIMULATION ONLY: far-end machines of the simulated lines; see
 * sim_farend.h. */
#include "gateway/sim_farend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "dsp/fax.h"
#include "gateway/control.h"
#include "storage/memfile.h"

#define KNOB_MAX 1000

struct sim_farend {
	unsigned busy, noanswer;    /* calls left that meet it */
};

struct sim_rx {
	int fd;                     /* the received TIFF, memory only */
	int pages;
};

int sim_farend_new(struct sim_farend **out)
{
	*out = calloc(1, sizeof **out);
	return *out != NULL ? 0 : FGW_ERR_NOMEM;
}

void sim_farend_free(struct sim_farend *f)
{
	free(f);
}

enum sim_farend_answer sim_farend_dial(struct sim_farend *f)
{
	if (f->busy > 0) {
		f->busy--;
		return SIM_FAREND_BUSY;
	}
	if (f->noanswer > 0) {
		f->noanswer--;
		return SIM_FAREND_NO_ANSWER;
	}
	return SIM_FAREND_ANSWER;
}

/* Reads knob key of req into *n (absent: unchanged). */
static int knob(const struct control_request *req, const char *key, unsigned *n)
{
	const char *v = control_arg(req, key);
	long long x;

	if (v == NULL)
		return 0;
	if (str_to_int(v, 0, KNOB_MAX, &x) != 0)
		return FGW_ERR_INVALID;
	*n = (unsigned)x;
	return 0;
}

static void on_knobs(struct control_conn *c, struct control_request *req, void *arg)
{
	struct sim_farend *f = arg;
	unsigned busy = f->busy, noanswer = f->noanswer;

	if (knob(req, "busy", &busy) != 0 || knob(req, "noanswer", &noanswer) != 0) {
		control_conn_finish(c, FGW_ERR_INVALID, "busy and noanswer take 0 to %d calls",
				    KNOB_MAX);
		return;
	}
	f->busy = busy;
	f->noanswer = noanswer;
	log_info("simulation: the simulated public far end is busy for the next %u call(s), "
		 "then does not answer %u call(s)", busy, noanswer);
	control_conn_finish(c, 0, "simulation: far end busy for the next %u call(s), then no "
			    "answer for %u call(s)", busy, noanswer);
}

int sim_farend_register(struct control *ctl, struct sim_farend *f)
{
	return control_register(ctl, "simulate-far-end", on_knobs, f);
}

static enum fax_decision accept_all(void *user, const struct fax_phase_b *info)
{
	(void)user, (void)info;
	return FAX_ACCEPT;
}

static void count_page(void *user, const struct fax_page *page)
{
	struct sim_rx *rx = user;

	(void)page;
	rx->pages++;
}

static const struct fax_events rx_events = {.decide = accept_all, .page = count_page};

int sim_rx_new(const char *ident, struct sim_rx **out, struct fax_endpoint **ep)
{
	struct sim_rx *rx = calloc(1, sizeof *rx);
	char path[MEMFILE_PATH_MAX];
	struct fax_options o;
	int rc;

	*out = NULL;
	*ep = NULL;
	if (rx == NULL)
		return FGW_ERR_NOMEM;
	if ((rx->fd = memfile_create("faxgw-sim-farend")) < 0) {
		rc = rx->fd;
		free(rx);
		return rc;
	}
	fax_options_init(&o);
	o.role = FAX_RECEIVE;
	o.side = FAX_SIDE_ANSWERING;
	o.local_ident = ident;
	o.events = &rx_events;
	o.user = rx;
	if ((rc = memfile_path(rx->fd, path)) == 0) {
		o.file = path;
		rc = fax_endpoint_new(&o, ep);
	}
	if (rc != 0) {
		sim_rx_free(rx);
		return rc;
	}
	*out = rx;
	return 0;
}

int sim_rx_pages(const struct sim_rx *rx)
{
	return rx->pages;
}

static int copy_all(int from, int to)
{
	char buf[65536];

	if (lseek(from, 0, SEEK_SET) != 0)
		return FGW_ERR_IO;
	for (;;) {
		ssize_t n = read(from, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return FGW_ERR_IO;
		if (n == 0)
			return 0;
		if (write(to, buf, (size_t)n) != n)
			return FGW_ERR_IO;
	}
}

int sim_rx_keep(struct sim_rx *rx, int dirfd, const char *name)
{
	int out, rc;

	if (dirfd < 0 || rx->pages == 0)
		return 0;
	out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0)
		return errno == EEXIST ? FGW_ERR_EXISTS : FGW_ERR_IO;
	rc = copy_all(rx->fd, out);
	if (close(out) != 0 && rc == 0)
		rc = FGW_ERR_IO;
	if (rc != 0)
		(void)unlinkat(dirfd, name, 0);
	return rc;
}

void sim_rx_free(struct sim_rx *rx)
{
	if (rx == NULL)
		return;
	if (rx->fd >= 0 && memfile_wipe_close(rx->fd) != 0)
		log_warn("simulation: could not wipe the far end's received copy");
	free(rx);
}
