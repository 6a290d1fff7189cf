/* The sending endpoint of a queued job; see outbound_call.h. */
#include "gateway/outbound_call.h"

#include "gateway/config.h"
#include "gateway/send_job.h"

int outbound_call_open(struct store *st, const struct config *cfg,
		       const struct catalog_outjob *job, enum fax_transport transport,
		       fax_t38_out_fn t38_out, void *t38_user, struct send_job **out)
{
	const char *ident = config_str(cfg, "fax", "local_ident");
	struct fax_options o;

	fax_options_init(&o);
	o.side = FAX_SIDE_CALLING;
	o.transport = transport;
	o.ecm = config_bool(cfg, "fax", "ecm");
	if (ident != NULL && ident[0] != '\0')
		o.local_ident = ident;
	o.t38_out = t38_out;
	o.t38_user = t38_user;
	return send_job_open(st, job, &o, out);
}
