/* The inbound policy around a receiving endpoint; see inbound_call.h. */
#include "gateway/inbound_call.h"

#include <stdlib.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/inbound.h"

struct inbound_call {
	const struct config *cfg;
	struct inbound_env env;
	struct inbound *in;
	bool decided;
};

int inbound_call_new(struct daemon *d, const struct config *cfg, const char *from_number,
		     const char *label, struct inbound_call **out)
{
	struct inbound_call *ic = calloc(1, sizeof *ic);
	int rc;

	*out = NULL;
	if (ic == NULL)
		return FGW_ERR_NOMEM;
	ic->cfg = cfg;
	ic->env.store = daemon_store(d);
	ic->env.cfg = cfg;
	ic->env.notify = daemon_notify(d);
	daemon_inbox_forward(d, &ic->env.forward, &ic->env.forward_arg);
	if ((rc = inbound_begin(&ic->env, from_number, label, &ic->in)) != 0) {
		free(ic);
		return rc;
	}
	*out = ic;
	return 0;
}

static enum fax_decision decide(void *user, const struct fax_phase_b *info)
{
	struct inbound_call *ic = user;

	ic->decided = true;
	return inbound_decide(ic->in, info);
}

static const struct fax_events events = {.decide = decide};

static unsigned configured_modems(const struct config *cfg)
{
	unsigned m = 0;

	if (config_list_has(cfg, "fax", "modems", "v17"))
		m |= FAX_MODEM_V17;
	if (config_list_has(cfg, "fax", "modems", "v29"))
		m |= FAX_MODEM_V29;
	if (config_list_has(cfg, "fax", "modems", "v27ter"))
		m |= FAX_MODEM_V27TER;
	return m != 0 ? m : FAX_MODEM_ALL;
}

int inbound_call_endpoint(struct inbound_call *ic, enum fax_transport transport,
			  fax_t38_out_fn t38_out, void *t38_user, struct fax_endpoint **ep)
{
	const char *ident = config_str(ic->cfg, "fax", "local_ident");
	struct fax_options o;

	fax_options_init(&o);
	o.role = FAX_RECEIVE;
	o.transport = transport;
	o.side = FAX_SIDE_ANSWERING;
	o.file = inbound_rx_path(ic->in);
	o.ecm = config_bool(ic->cfg, "fax", "ecm");
	o.modems = configured_modems(ic->cfg);
	o.local_ident = ident != NULL && ident[0] != '\0' ? ident : NULL;
	o.t38_out = t38_out;
	o.t38_user = t38_user;
	o.events = &events;
	o.user = ic;
	return fax_endpoint_new(&o, ep);
}

bool inbound_call_decided(const struct inbound_call *ic)
{
	return ic->decided;
}

int inbound_call_finish(struct inbound_call *ic, const struct fax_result *local,
			int64_t line_ms)
{
	int rc;

	if (line_ms >= 0)
		inbound_set_line_time(ic->in, line_ms);
	rc = inbound_finish(ic->in, local);
	if (rc != 0)
		log_error("inbound call: the received fax could not be recorded: %s",
			  fgw_strerror(rc));
	return rc;
}

const struct inbound *inbound_call_inbound(const struct inbound_call *ic)
{
	return ic->in;
}

const char *inbound_call_refusal(const struct inbound_call *ic)
{
	switch (inbound_decision(ic->in)) {
	case FAX_ACCEPT:
		return NULL;
	case FAX_REJECT_SUB:
		return "SUB unacceptable";
	case FAX_REJECT_SID:
	case FAX_REJECT_PWD:
		return "password unacceptable";
	default:
		return "sender refused";
	}
}

void inbound_call_free(struct inbound_call *ic)
{
	if (ic == NULL)
		return;
	inbound_free(ic->in);
	free(ic);
}
