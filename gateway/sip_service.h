/* faxgwd's SIP module: reads [sip], binds the transport on [sip] listen
 * (UDP and TCP), runs the user agent, answers OPTIONS, hands REGISTER and
 * the authorisation of INVITEs to the registrar (sip_registrar.h), accepts
 * INVITEs from [sip] trunk_peers as "trunk", and in trunk_mode = register
 * keeps a registration at [sip] trunk_proxy (digest auth, refreshed before
 * it expires, retried after a failure).
 *
 * It starts only when [lines] trunk_kind or device_kind is sip: a daemon
 * of simulated lines opens no SIP port. A simulated side takes no SIP
 * calls: with trunk_kind = simulation no INVITE counts as the trunk's, with
 * device_kind = simulation REGISTER gets 405 and devices are refused. The call layer (sip_calls) finds
 * the service with daemon_sip() and registers its dialog callbacks with
 * sip_service_set_calls. */
#ifndef FAXGW_GATEWAY_SIP_SERVICE_H
#define FAXGW_GATEWAY_SIP_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/sip_ua.h"

struct config;
struct daemon;
struct event_base;
struct sip_service;
struct sip_registrar;

/* The daemon module (one line in daemon.c's modules[]): when [lines] asks
 * for SIP, makes the service, stores it with daemon_set_sip and frees it
 * at shutdown. Returns 0 (also when SIP is not used) or the error that
 * stops the daemon (the [sip] listen address cannot be bound: the message
 * names it). */
int sip_service_daemon_init(struct daemon *d);

/* Makes a service on base from cfg's [sip] (the registrar reg may be NULL:
 * REGISTER then gets 405 and devices cannot call). Returns 0 and *out
 * (sip_service_free) or FGW_ERR_IO / FGW_ERR_CONFIG / FGW_ERR_NOMEM. */
int sip_service_new(struct event_base *base, const struct config *cfg,
		    struct sip_registrar *reg, struct sip_service **out);

/* Ends every dialog, unregisters from the trunk (best effort), frees
 * everything. NULL is fine. */
void sip_service_free(struct sip_service *s);

/* The call layer's callbacks: on_invite, on_answered, on_progress,
 * on_reinvite, on_reinvite_result and on_ended of cb are used (on_request
 * and authorize stay the service's). cb is copied. Until this is called
 * INVITEs get 503. */
void sip_service_set_calls(struct sip_service *s, const struct sip_ua_callbacks *cb,
			   void *arg);

/* The user agent, the transport, the registrar (may be NULL), owned by s. */
struct sip_ua *sip_service_ua(struct sip_service *s);
struct sip_transport *sip_service_transport(struct sip_service *s);
struct sip_registrar *sip_service_registrar(struct sip_service *s);

/* True while the trunk registration is valid (always true in peer mode). */
bool sip_service_trunk_ready(const struct sip_service *s);

#endif
