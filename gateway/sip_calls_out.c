/* Queued jobs sent over SIP: INVITE to the trunk or to the office
 * device's registered contact, the fax once answered, and what the queue
 * hears when no fax call came about. */
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/call.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/devpolicy.h"
#include "gateway/queue_runner.h"
#include "gateway/sip_calls_int.h"
#include "gateway/sip_registrar.h"
#include "gateway/sip_service.h"
#include "gateway/sip_ua.h"

#define URI_MAX 300
#define ANSWER_WAIT_S 60          /* ringing longer than this: no answer */

/* The number as a Request-URI user: digits, '+', '*', '#'; the rest (spaces,
 * dashes) dropped. */
static int uri_user(const char *number, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = number; *p != '\0'; p++) {
		if (strchr("0123456789+*#", *p) == NULL)
			continue;
		if (n + 1 >= size)
			return FGW_ERR_TOO_LARGE;
		out[n++] = *p;
	}
	out[n] = '\0';
	return n > 0 ? 0 : FGW_ERR_INVALID;
}

/* Where a trunk job goes: sip:NUMBER@trunk_proxy. */
static int trunk_target(struct sc_call *c, char *uri, size_t size, const char **dest)
{
	const char *proxy = config_str(c->cfg, "sip", "trunk_proxy");
	char user[64];
	int rc;

	if (proxy[0] == '\0') {
		(void)str_copy(c->detail, sizeof c->detail,
			       "no [sip] trunk_proxy: set the provider's host:port");
		return FGW_ERR_CONFIG;
	}
	if ((rc = uri_user(c->job.job.destination, user, sizeof user)) != 0)
		return rc;
	*dest = proxy;
	return str_format(uri, size, "sip:%s@%s", user, proxy);
}

struct any_device {
	char name[CATALOG_NAME_MAX + 1];
};

static void first_device(void *arg, const char *device, const char *contact,
			 const char *source, int64_t expires_in_s)
{
	struct any_device *a = arg;

	(void)contact, (void)source, (void)expires_in_s;
	if (a->name[0] == '\0')
		(void)str_copy(a->name, sizeof a->name, device);
}

/* Where a device job goes: the registered contact of the job's device,
 * else of the default office device ("device"), else of the registered
 * device the registrar lists first (an office with one SIP machine: that
 * one). */
static int device_target(struct sc_call *c, char *uri, size_t size, char *dest, size_t dsize)
{
	struct sip_registrar *reg = sip_service_registrar(c->m->svc);
	const char *tries[2] = {c->job.device, DEVPOLICY_DEFAULT_DEVICE};
	struct any_device any = {{0}};
	int rc = FGW_ERR_NOT_FOUND;

	if (reg == NULL)
		return rc;
	for (size_t i = 0; i < 2 && rc == FGW_ERR_NOT_FOUND; i++)
		if (tries[i][0] != '\0')
			rc = sip_registrar_lookup(reg, tries[i], uri, size, dest, dsize);
	if (rc == FGW_ERR_NOT_FOUND) {
		sip_registrar_list(reg, first_device, &any);
		if (any.name[0] != '\0' &&
		    (rc = sip_registrar_lookup(reg, any.name, uri, size, dest, dsize)) == 0)
			log_info("sip: job %s goes to office device %s (the registered one)",
				 c->job.job.id, any.name);
	}
	if (rc == FGW_ERR_NOT_FOUND)
		(void)str_copy(c->detail, sizeof c->detail,
			       "no office device is registered over SIP");
	return rc;
}

/* t38: the line's policy, or SC_T38_YES for the G.711 retry of a refused
 * T.38 offer. */
static int invite(struct sc_call *c, bool device, enum sc_t38 t38)
{
	char uri[URI_MAX], dest_buf[SIP_REGISTRAR_SOURCE_MAX + 1], sdp[SDP_MAX_LEN];
	const char *dest = dest_buf;
	bool reg = strcmp(config_str(c->cfg, "sip", "trunk_mode"), "register") == 0;
	const char *user = config_str(c->cfg, "sip", "trunk_user");
	struct sip_invite_params p = {0};
	size_t len;
	int rc = device ? device_target(c, uri, sizeof uri, dest_buf, sizeof dest_buf) :
		 trunk_target(c, uri, sizeof uri, &dest);

	if (rc == 0)
		rc = sc_media_init(c, t38);
	if (rc == 0)
		rc = sc_media_offer(c, sdp, sizeof sdp, &len);
	if (rc != 0)
		return rc;
	p.request_uri = uri;
	p.dest = dest[0] != '\0' ? dest : NULL;
	p.proto = !device && strcmp(config_str(c->cfg, "sip", "trunk_transport"), "tcp") == 0 ?
		  SIP_PROTO_TCP : SIP_PROTO_UDP;
	p.from_user = !device && user[0] != '\0' ? user : NULL;
	p.sdp = sdp;
	p.sdp_len = len;
	if (!device && reg) {
		p.auth_user = user;
		p.auth_password = config_str(c->cfg, "sip", "trunk_password");
	}
	return sip_ua_invite(sip_service_ua(c->m->svc), &p, c, &c->dlg);
}

/* Nobody answered in time: CANCEL; the queue hears "no answer". */
static void on_no_answer(evutil_socket_t fd, short what, void *arg)
{
	struct sc_call *c = arg;

	(void)fd, (void)what;
	if (c->in_call || c->dlg == NULL)
		return;
	(void)str_format(c->detail, sizeof c->detail, "no answer within %d s", ANSWER_WAIT_S);
	sc_hangup(c, c->detail);
}

static void wait_for_answer(struct sc_call *c)
{
	struct timeval t = {ANSWER_WAIT_S, 0};

	c->tick = evtimer_new(daemon_base(c->m->d), on_no_answer, c);
	if (c->tick == NULL || evtimer_add(c->tick, &t) != 0)
		log_warn("sip: call %s: no answer timer; the call waits for the peer", c->label);
}

/* Makes and places the call of att's job with T.38 policy t38. */
static int place_call(struct sip_calls *m, struct queue_attempt *att,
		      const struct catalog_outjob *job, bool force_audio)
{
	bool device = strcmp(job->line, CATALOG_LINE_DEVICE) == 0;
	struct sc_call *c;
	int rc;

	if (m->stopping)
		return FGW_ERR_STATE;
	if ((c = sc_new(m, SC_OUTBOUND, NULL)) == NULL)
		return FGW_ERR_NOMEM;
	c->att = att;
	c->job = *job;
	(void)str_format(c->label, sizeof c->label, "%s/sip job %s", device ? "device" : "trunk",
			 job->job.id);
	rc = invite(c, device, force_audio ? SC_T38_YES : sc_t38_policy(c->cfg, device));
	if (rc != 0) {
		log_warn("sip: job %s: the call cannot be placed: %s%s%s", job->job.id,
			 fgw_strerror(rc), c->detail[0] != '\0' ? ": " : "", c->detail);
		c->dlg = NULL;
		sc_free(c);
		return rc;
	}
	log_info("sip: call %s: calling %s%s", c->label, job->job.destination,
		 c->on_t38 ? " (T.38 offered)" : "");
	wait_for_answer(c);
	return 0;
}

static int place(void *impl, struct queue_attempt *att, const struct catalog_outjob *job)
{
	return place_call(impl, att, job, false);
}

static void hang_up(void *impl, struct queue_attempt *att)
{
	struct sip_calls *m = impl;

	for (struct sc_call *c = m->calls; c != NULL; c = c->next) {
		if (c->att != att)
			continue;
		if (c->call != NULL)
			call_hang_up(c->call);
		else
			sc_hangup(c, "the job was cancelled");
		return;
	}
}

const struct queue_line_ops sc_line_ops = {.place = place, .hang_up = hang_up};

void sc_out_answered(struct sc_call *c, const char *sdp, size_t len)
{
	struct fax_endpoint *ep = NULL;
	int rc = sc_media_answered(c, sdp, len);

	if (c->tick != NULL)
		event_del(c->tick);

	if (rc == 0)
		rc = sc_endpoint(c, c->on_t38 ? FAX_T38 : FAX_AUDIO, &ep);
	if (rc == 0)
		rc = sc_start_fax(c, ep);
	if (rc != 0) {
		(void)str_format(c->detail, sizeof c->detail, "the answered call has no usable "
				 "media: %s", fgw_strerror(rc));
		sc_hangup(c, c->detail);
		return;
	}
	log_info("sip: call %s: answered%s; sending", c->label, c->on_t38 ? " in T.38" : "");
}

void sc_out_ended(struct sc_call *c, int status, const char *reason)
{
	enum queue_result res = QUEUE_FAILED;
	char text[160];

	/* A peer that takes no T.38 at all refuses the offer: the same job
	 * goes again at once in G.711 (T.38 may still come by re-INVITE). */
	if (status == 488 && c->on_t38 && c->detail[0] == '\0' &&
	    place_call(c->m, c->att, &c->job, true) == 0) {
		log_info("sip: call %s: T.38 refused (488); calling again in G.711", c->label);
		c->reported = true;
		c->att = NULL;
		return;
	}

	if (status == 486 || status == 600 || status == 603)
		res = QUEUE_BUSY;
	else if (status == 408 || status == 480 || status == 487 ||
		 strncmp(c->detail, "no answer", 9) == 0)
		res = QUEUE_NO_ANSWER;
	if (c->detail[0] != '\0')
		(void)str_copy(text, sizeof text, c->detail);
	else
		(void)str_format(text, sizeof text, "%s (SIP %d, %s)", res == QUEUE_BUSY ? "busy" :
				 res == QUEUE_NO_ANSWER ? "no answer" : "call failed", status, reason);
	c->reported = true;
	queue_runner_attempt_done(c->att, NULL, res, text);
	c->att = NULL;
}

int sc_out_place_relay(struct sc_call *c, bool audio_only)
{
	int rc = invite(c, false, audio_only ? SC_T38_YES : sc_t38_policy(c->cfg, false));

	if (rc == 0)
		wait_for_answer(c);
	return rc;
}
