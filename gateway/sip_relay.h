/* Relay mode of the SIP call layer ([sip] device_relay = yes): an office
 * device's call whose number passed the double entry and the dial rules is
 * not stored and queued but joined at once to a new call to the trunk.
 * The device leg is G.711; when the trunk leg is T.38 (from the start or
 * after a re-INVITE) the DSP core's gateway (dsp/t38gw.h) converts both
 * ways, otherwise the audio passes through. The T.30 frames seen in
 * transit (TSI, SUB, CSI, DCS, ...) are logged, one fax_sent/fax_failed
 * audit record is written when the relay ends, and both legs are hung up
 * when either ends. Paced by its own 20 ms clock (it is not a call of the
 * fax call registry: there is no fax endpoint of ours in it).
 *
 * Inside the SIP call layer only (sip_calls*.c). */
#ifndef FAXGW_GATEWAY_SIP_RELAY_H
#define FAXGW_GATEWAY_SIP_RELAY_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct sc_call;
struct sip_relay;

/* True when cfg asks device calls to be relayed. */
bool sip_relay_wanted(const struct config *cfg);

/* dev's number was accepted: checks the dial rules (a refusal is a
 * dial_denied record and hangs dev up), calls the trunk and starts
 * relaying. dev stays owned by the call layer; the relay marks it busy
 * (in_call) until it ends. Returns 0, or a code after hanging dev up. */
int sip_relay_start(struct sc_call *dev);

/* The trunk leg's INVITE was answered with sdp (len bytes). */
void sip_relay_answered(struct sc_call *leg, const char *sdp, size_t len);

/* leg's dialog ended (status/reason as on_ended): the relay ends (audit
 * record, the other leg hung up, both legs free to settle). */
void sip_relay_leg_ended(struct sc_call *leg, int status, const char *reason);

/* Ends r now (the gateway is stopping): record written, both legs free
 * to be hung up by the caller, r freed; hangs up and settles no call. */
void sip_relay_stop(struct sip_relay *r);

#endif
