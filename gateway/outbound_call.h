/* The gateway's side of an outbound fax call, whatever the line (the
 * simulation, SIP): a queued job's document opened as the calling, sending
 * endpoint with the [fax] options. Opened again with FAX_T38 when a line
 * switches to T.38 before the first page. */
#ifndef FAXGW_GATEWAY_OUTBOUND_CALL_H
#define FAXGW_GATEWAY_OUTBOUND_CALL_H

#include "dsp/fax.h"
#include "storage/catalog_jobs.h"

struct config;
struct send_job;
struct store;

/* Decrypts job's document into a memory file and makes the calling,
 * sending endpoint for it: ECM and local_ident from cfg's [fax], transport
 * as given (FAX_T38: t38_out/t38_user carry its packets). Returns 0 and
 * *out (send_job_free; send_job_take_endpoint hands the endpoint to a
 * call), or send_job_open's codes. */
int outbound_call_open(struct store *st, const struct config *cfg,
		       const struct catalog_outjob *job, enum fax_transport transport,
		       fax_t38_out_fn t38_out, void *t38_user, struct send_job **out);

#endif
