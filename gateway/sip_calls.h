/* faxgwd's fax calls over SIP lines: the call layer between the user agent
 * (gateway/sip_service.h, sip_ua.h), the media (rtp_session, udptl_session,
 * line_sip), the real-time call registry (gateway/call.h) and the gateway's
 * call sides shared with the simulation:
 *
 *   INVITE from the trunk ([sip] trunk_peers or the registered provider)
 *     -> gateway/inbound_call.h: inbound policy, vault, audit;
 *   INVITE from a registered office device (authorised by the registrar)
 *     -> gateway/device_call.h: the number from the Request-URI user part
 *        (unless it is [sip] device_extension) and/or DTMF (in-band, RFC
 *        4733), double entry, device policy and dial rules, then the
 *        document received, stored and queued;
 *   queued jobs on a line whose [lines] *_kind is sip (queue_line_ops)
 *     -> INVITE to [sip] trunk_proxy, or to the device's registered
 *        contact for the device line; the queue hears busy / no answer /
 *        failed from the SIP status.
 *
 * T.38 per line ([sip] trunk_t38 / device_t38): "no" offers and accepts
 * G.711 only (a T.38 re-INVITE gets 488); "initial" offers T.38 from the
 * start (a 488 to that offer: the job is called again at once in G.711);
 * "yes" starts in G.711; with yes or initial the ANSWERING side of a G.711
 * call asks for T.38 by re-INVITE as soon as the call is up (for a device: once the double entry
 * accepted the number), while either side accepts the peer's T.38
 * re-INVITE. A refused re-INVITE keeps G.711 (sdp_reinvite_failure) and
 * the fax goes on. On a switch the fax endpoint is replaced by a T.38 one
 * with the same options.
 *
 * Every call ends with BYE when the fax is over (phase E) or on any error;
 * a BYE from the peer hangs the fax up. [sip] max_calls bounds dialogs
 * (the UA answers 486 beyond). */
#ifndef FAXGW_GATEWAY_SIP_CALLS_H
#define FAXGW_GATEWAY_SIP_CALLS_H

struct daemon;
struct queue_runner;

/* Starts the call layer for d with jobs going to r: at the first turn of
 * the loop (after every module started) it finds the SIP service
 * (daemon_sip), registers its dialog callbacks there and its line ops
 * with r. Does nothing when no line is SIP. Returns 0, FGW_ERR_NOMEM or
 * FGW_ERR_CONFIG ([sip] rtp_ports or listen unusable; logged). */
int sip_calls_init(struct daemon *d, struct queue_runner *r);

#endif
