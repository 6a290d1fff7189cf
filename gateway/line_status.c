/* Line status across kinds; see line_status.h. */
#include <stdbool.h>
#include <string.h>

#include "common/str.h"
#include "gateway/call.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/line_status.h"
#include "gateway/simline.h"
#include "gateway/sip_registrar.h"
#include "gateway/sip_service.h"

struct walk {
	struct daemon *d;
	line_status_fn *fn;
	void *arg;
};

static bool is_sip(const struct config *cfg, const char *line)
{
	return strcmp(config_str(cfg, "lines", strcmp(line, SIMLINE_TRUNK) == 0 ?
				 "trunk_kind" : "device_kind"), "sip") == 0;
}

/* Simulated lines come from the simline set; a line that is SIP still
 * has its simulation (for `faxgw simulate`), which is not shown. */
static void sim_line(void *arg, const char *name, const char *kind, unsigned busy,
		     unsigned channels)
{
	struct walk *w = arg;
	struct line_status st = {name, kind, busy, channels, ""};

	if (!is_sip(daemon_config(w->d), name))
		w->fn(w->arg, &st);
}

struct count {
	const char *prefix;
	unsigned n;
};

/* SIP calls are labelled "trunk/sip ..." and "device/sip ...". */
static void count_call(void *arg, const char *label, double seconds)
{
	struct count *c = arg;

	(void)seconds;
	if (strncmp(label, c->prefix, strlen(c->prefix)) == 0)
		c->n++;
}

static void count_binding(void *arg, const char *device, const char *contact,
			  const char *source, int64_t expires_in_s)
{
	(void)device, (void)contact, (void)source, (void)expires_in_s;
	(*(unsigned *)arg)++;
}

static void sip_line(struct walk *w, const char *name)
{
	const struct config *cfg = daemon_config(w->d);
	struct sip_service *svc = daemon_sip(w->d);
	struct count c = {strcmp(name, SIMLINE_TRUNK) == 0 ? "trunk/sip" : "device/sip", 0};
	struct line_status st = {name, "sip", 0, (unsigned)config_int(cfg, "sip", "max_calls"),
				 "not running"};
	char state[64];
	unsigned devices = 0;

	call_registry_list(daemon_calls(w->d), count_call, &c);
	st.busy = c.n;
	if (svc != NULL && strcmp(name, SIMLINE_TRUNK) == 0) {
		st.state = strcmp(config_str(cfg, "sip", "trunk_mode"), "register") != 0 ?
			   "peer" : sip_service_trunk_ready(svc) ? "registered" :
			   "not registered";
	} else if (svc != NULL) {
		sip_registrar_list(sip_service_registrar(svc), count_binding, &devices);
		st.state = str_format(state, sizeof state, "%u device(s) registered",
				      devices) == 0 ? state : "";
	}
	w->fn(w->arg, &st);
}

void line_status_list(struct daemon *d, line_status_fn *fn, void *arg)
{
	struct walk w = {d, fn, arg};

	simline_list(daemon_lines(d), sim_line, &w);
	if (is_sip(daemon_config(d), SIMLINE_TRUNK))
		sip_line(&w, SIMLINE_TRUNK);
	if (is_sip(daemon_config(d), SIMLINE_DEVICE))
		sip_line(&w, SIMLINE_DEVICE);
}
