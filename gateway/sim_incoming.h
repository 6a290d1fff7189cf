/* The daemon's side of `faxgw simulate incoming`: control verb
 * "simulate-incoming" with the document's descriptor passed and optional
 * arguments sub, sid, pwd, from. A simulated far-end sender (SpanDSP)
 * calls in on a trunk channel; the daemon answers with a receiving fax
 * endpoint driven by the inbound policy (gateway/inbound.h: decide,
 * vault, audit). The answer streams the far end's view: pages sent,
 * result and cause; the status line is "ok" when the far end's fax
 * succeeded. */
#ifndef FAXGW_GATEWAY_SIM_INCOMING_H
#define FAXGW_GATEWAY_SIM_INCOMING_H

struct daemon;

/* Largest document a simulated far end takes (bytes). */
#define SIM_INCOMING_DOC_MAX (64u << 20)

/* Registers the verb. Returns 0 or a control_register code. */
int sim_incoming_init(struct daemon *d);

#endif
