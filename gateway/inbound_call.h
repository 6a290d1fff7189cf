/* The gateway's side of a fax call coming in from the trunk, whatever the
 * line (the simulation, SIP): the inbound policy (gateway/inbound.h:
 * decide, vault, audit) around a receiving fax endpoint. The line code
 * makes the call (channel, media, far end) and hands its outcome here.
 *
 *   inbound_call_new        when the call is answered
 *   inbound_call_endpoint   the receiving endpoint (again with FAX_T38 when
 *                           the line switches to T.38 before phase B)
 *   inbound_call_finish     with the call's outcome
 *   inbound_call_free       always, last */
#ifndef FAXGW_GATEWAY_INBOUND_CALL_H
#define FAXGW_GATEWAY_INBOUND_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "dsp/fax.h"

struct config;
struct daemon;
struct inbound;
struct inbound_call;

/* Starts the inbound policy for a call from from_number (caller id; NULL
 * or "" unknown) on the line labelled label, with the daemon's store,
 * notification hook and inbox forwarding and cfg (held by the caller for
 * the call's life). Returns 0 and *out (inbound_call_free), or the codes
 * of inbound_begin, FGW_ERR_NOMEM. */
int inbound_call_new(struct daemon *d, const struct config *cfg, const char *from_number,
		     const char *label, struct inbound_call **out);

/* Makes the answering, receiving endpoint with the [fax] options (ECM,
 * modems, local_ident), asking the policy in phase B. For FAX_T38, t38_out
 * and t38_user carry its packets. Returns 0 and *ep (the caller owns it:
 * usually call_start takes it), or fax_endpoint_new's codes. */
int inbound_call_endpoint(struct inbound_call *ic, enum fax_transport transport,
			  fax_t38_out_fn t38_out, void *t38_user, struct fax_endpoint **ep);

/* True once phase B reached the policy (the far end presented itself). */
bool inbound_call_decided(const struct inbound_call *ic);

/* Records the call: local is the receiving endpoint's result, line_ms the
 * call's line time (negative: the wall time since inbound_call_new).
 * Returns 0 or inbound_finish's code (logged here). */
int inbound_call_finish(struct inbound_call *ic, const struct fax_result *local,
			int64_t line_ms);

/* The policy state (document id, mailbox, decision); owned by ic. */
const struct inbound *inbound_call_inbound(const struct inbound_call *ic);

/* The refusal in words ("SUB unacceptable"), NULL when the call was
 * accepted. Static text. */
const char *inbound_call_refusal(const struct inbound_call *ic);

/* Frees ic (wipes what inbound_free wipes). NULL is fine. */
void inbound_call_free(struct inbound_call *ic);

#endif
