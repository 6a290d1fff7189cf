/* faxgwd's SIP module; see sip_service.h. The trunk registration is in
 * sip_trunk_reg.c. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/sip_registrar.h"
#include "gateway/sip_service.h"
#include "gateway/sip_service_int.h"
#include "gateway/sipmsg.h"

/* ---- trunk_peers: a CIDR list ------------------------------------------- */

static int cidr_one(const char *text, struct sip_cidr *c)
{
	char host[64];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	long long bits;

	if (n == 0 || n >= sizeof host)
		return FGW_ERR_INVALID;
	memcpy(host, text, n);
	host[n] = '\0';
	memset(c, 0, sizeof *c);
	if (inet_pton(AF_INET, host, c->addr) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, host, c->addr) == 1)
		c->family = AF_INET6;
	else
		return FGW_ERR_INVALID;
	int max = c->family == AF_INET ? 32 : 128;
	if (slash == NULL)
		bits = max;
	else if (str_to_int(slash + 1, 0, max, &bits) != FGW_OK)
		return FGW_ERR_INVALID;
	c->bits = (unsigned)bits;
	return FGW_OK;
}

int sip_cidr_parse_list(const char *list, struct sip_cidr *out, size_t max, size_t *count)
{
	char item[80];

	*count = 0;
	while (list != NULL && *list != '\0') {
		while (*list == ' ' || *list == ',')
			list++;
		size_t n = strcspn(list, ", ");
		if (n == 0)
			break;
		if (n >= sizeof item || *count >= max)
			return FGW_ERR_TOO_LARGE;
		memcpy(item, list, n);
		item[n] = '\0';
		if (cidr_one(item, &out[*count]) != FGW_OK)
			return FGW_ERR_INVALID;
		(*count)++;
		list += n;
	}
	return FGW_OK;
}

static bool bits_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool sip_cidr_match(const struct sip_cidr *list, size_t n, const struct sockaddr_storage *sa)
{
	const uint8_t *a;
	int family = sa->ss_family;

	if (family == AF_INET)
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	else if (family == AF_INET6)
		a = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	else
		return false;
	for (size_t i = 0; i < n; i++)
		if (list[i].family == family && bits_match(list[i].addr, a, list[i].bits))
			return true;
	return false;
}

/* ---- the UA's callbacks ------------------------------------------------- */

static bool has_credentials(const struct sipmsg *req)
{
	osip_message_t *o = sipmsg_osip((struct sipmsg *)req);

	return osip_list_size(&o->authorizations) > 0 ||
	       osip_list_size(&o->proxy_authorizations) > 0;
}

struct source_probe {
	const char *addr;
	bool found;
};

static void probe_binding(void *arg, const char *device, const char *contact,
			  const char *source, int64_t expires_in_s)
{
	struct source_probe *p = arg;

	(void)device;
	(void)contact;
	(void)expires_in_s;
	if (strcmp(source, p->addr) == 0)
		p->found = true;
}

/* An INVITE is the trunk's when it comes from trunk_peers (or the
 * registered trunk proxy), carries no credentials, and its source is not
 * where a device registered from (devices and a trunk may share a host,
 * e.g. loopback). */
static bool from_trunk(struct sip_service *s, const struct sipmsg *req,
		       const struct sip_source *src)
{
	struct source_probe p = { .addr = src->addr };
	if (!s->trunk_sip || has_credentials(req))
		return false;
	if (!sip_cidr_match(s->peers, s->npeers, &src->sa) && !sip_trunk_is_proxy(s, src))
		return false;
	if (s->reg != NULL)
		sip_registrar_list(s->reg, probe_binding, &p);
	return !p.found;
}

static int svc_authorize(void *arg, const struct sipmsg *req, const struct sip_source *src,
			 char *who, size_t who_size, char *resp, size_t size, size_t *len)
{
	struct sip_service *s = arg;
	int rc;

	*len = 0;
	if (from_trunk(s, req, src))
		return str_copy(who, who_size, "trunk");
	if (s->reg == NULL || !s->device_sip)
		return FGW_ERR_DENIED;
	rc = sip_registrar_authorize(s->reg, req, src->addr, who, who_size, resp, size, len);
	if (rc < 0)
		*len = 0;
	return rc == 0 ? FGW_OK : FGW_ERR_DENIED;
}

static int svc_request(void *arg, const struct sipmsg *req, const struct sip_source *src,
		       char *resp, size_t size, size_t *len)
{
	struct sip_service *s = arg;

	if (s->reg == NULL || !s->device_sip || strcmp(sipmsg_method(req), "REGISTER") != 0)
		return FGW_ERR_UNSUPPORTED;
	int rc = sip_registrar_handle_register(s->reg, req, src->addr, resp, size, len);
	return rc > 0 ? FGW_OK : FGW_ERR_INVALID;
}

static void svc_invite(void *arg, struct sip_dialog *d, const struct sipmsg *req,
		       const struct sip_source *src)
{
	struct sip_service *s = arg;

	if (s->calls.on_invite == NULL)
		(void)sip_dialog_reject(d, 503);
	else
		s->calls.on_invite(s->calls_arg, d, req, src);
}

static void svc_answered(void *arg, struct sip_dialog *d, const char *sdp, size_t len)
{
	struct sip_service *s = arg;

	if (s->calls.on_answered != NULL)
		s->calls.on_answered(s->calls_arg, d, sdp, len);
}

static void svc_progress(void *arg, struct sip_dialog *d, int status, const char *sdp, size_t len)
{
	struct sip_service *s = arg;

	if (s->calls.on_progress != NULL)
		s->calls.on_progress(s->calls_arg, d, status, sdp, len);
}

static void svc_reinvite(void *arg, struct sip_dialog *d, const char *sdp, size_t len)
{
	struct sip_service *s = arg;

	if (s->calls.on_reinvite == NULL)
		(void)sip_dialog_reject_reinvite(d, 488);
	else
		s->calls.on_reinvite(s->calls_arg, d, sdp, len);
}

static void svc_result(void *arg, struct sip_dialog *d, int status, const char *sdp, size_t len)
{
	struct sip_service *s = arg;

	if (s->calls.on_reinvite_result != NULL)
		s->calls.on_reinvite_result(s->calls_arg, d, status, sdp, len);
}

static void svc_ended(void *arg, struct sip_dialog *d, int status, const char *reason)
{
	struct sip_service *s = arg;

	if (s->calls.on_ended != NULL)
		s->calls.on_ended(s->calls_arg, d, status, reason);
}

static const struct sip_ua_callbacks svc_callbacks = {
	.on_invite = svc_invite, .on_answered = svc_answered, .on_progress = svc_progress,
	.on_reinvite = svc_reinvite, .on_reinvite_result = svc_result, .on_ended = svc_ended,
	.on_request = svc_request, .authorize = svc_authorize,
};

static void svc_receive(void *arg, struct sipmsg *m, const struct sip_source *src)
{
	struct sip_service *s = arg;

	sip_ua_receive(s->ua, m, src);
}

/* ---- set-up -------------------------------------------------------------- */

static int read_peers(struct sip_service *s, const struct config *cfg)
{
	const char *peers = config_str(cfg, "sip", "trunk_peers");

	if (sip_cidr_parse_list(peers, s->peers, SIP_SERVICE_PEERS_MAX, &s->npeers) != FGW_OK) {
		log_error("[sip] trunk_peers = %s: not a list of networks like 192.0.2.0/24, "
			  "2001:db8::/32 (at most %d)", peers, SIP_SERVICE_PEERS_MAX);
		return FGW_ERR_CONFIG;
	}
	return FGW_OK;
}

/* Our address goes into every Via and Contact: it must be one a peer can
 * reach, so the wildcard addresses are refused. */
static int check_listen(const char *listen)
{
	struct sockaddr_storage sa;
	socklen_t len;

	if (sip_addr_parse(listen, true, &sa, &len) != FGW_OK)
		return FGW_OK;   /* the transport says what is wrong */
	bool any = sa.ss_family == AF_INET
		   ? ((struct sockaddr_in *)&sa)->sin_addr.s_addr == htonl(INADDR_ANY)
		   : IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&sa)->sin6_addr);
	if (!any)
		return FGW_OK;
	log_error("[sip] listen = %s: give the address peers reach faxgw at (e.g. "
		  "192.168.10.2:5060), not a wildcard: it is written into every Via and Contact",
		  listen);
	return FGW_ERR_CONFIG;
}

int sip_service_new(struct event_base *base, const struct config *cfg,
		    struct sip_registrar *reg, struct sip_service **out)
{
	struct sip_service *s;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return FGW_ERR_NOMEM;
	s->base = base;
	s->reg = reg;
	/* a simulated line takes no SIP calls: its side is refused here */
	s->trunk_sip = strcmp(config_str(cfg, "lines", "trunk_kind"), "sip") == 0;
	s->device_sip = strcmp(config_str(cfg, "lines", "device_kind"), "sip") == 0;
	struct sip_ua_options o = {
		.user = "faxgw",
		.max_calls = (unsigned)config_int(cfg, "sip", "max_calls"),
		.session_expires = (unsigned)config_int(cfg, "sip", "session_expires"),
	};
	if ((rc = check_listen(config_str(cfg, "sip", "listen"))) != FGW_OK ||
	    (rc = read_peers(s, cfg)) != FGW_OK ||
	    (rc = sip_transport_new(base, config_str(cfg, "sip", "listen"), svc_receive, s,
				    &s->t)) != FGW_OK ||
	    (rc = sip_ua_new(base, s->t, &o, &svc_callbacks, s, &s->ua)) != FGW_OK ||
	    (rc = sip_trunk_start(s, cfg)) != FGW_OK) {
		sip_service_free(s);
		return rc;
	}
	*out = s;
	return FGW_OK;
}

void sip_service_free(struct sip_service *s)
{
	if (s == NULL)
		return;
	sip_trunk_stop(s);
	sip_ua_free(s->ua);
	sip_transport_free(s->t);
	free(s);
}

void sip_service_set_calls(struct sip_service *s, const struct sip_ua_callbacks *cb, void *arg)
{
	s->calls = *cb;
	s->calls.on_request = NULL;
	s->calls.authorize = NULL;
	s->calls_arg = arg;
}

struct sip_ua *sip_service_ua(struct sip_service *s) { return s->ua; }
struct sip_transport *sip_service_transport(struct sip_service *s) { return s->t; }
struct sip_registrar *sip_service_registrar(struct sip_service *s) { return s->reg; }

/* ---- the daemon module ---------------------------------------------------- */

struct sip_module {
	struct daemon *d;
	struct sip_service *svc;
	struct sip_registrar *reg;
};

static void module_stop(void *arg)
{
	struct sip_module *m = arg;

	daemon_set_sip(m->d, NULL);
	sip_service_free(m->svc);
	sip_registrar_free(m->reg);
	free(m);
}

/* SIGHUP: the registrar takes the new realm, expiry cap, digest
 * algorithms and lockout settings; bindings stay. (The daemon refuses a
 * reload that changes what the service bound at start.) */
static void module_reload(void *arg)
{
	struct sip_module *m = arg;
	int rc = sip_registrar_reconfigure(m->reg, daemon_config(m->d));

	if (rc != FGW_OK)
		log_error("SIP registrar kept its old settings after the reload: %s",
			  fgw_strerror(rc));
}

static bool sip_wanted(const struct config *cfg)
{
	return strcmp(config_str(cfg, "lines", "trunk_kind"), "sip") == 0 ||
	       strcmp(config_str(cfg, "lines", "device_kind"), "sip") == 0;
}

int sip_service_daemon_init(struct daemon *d)
{
	const struct config *cfg = daemon_config(d);
	struct sip_module *m;
	int rc;

	if (!sip_wanted(cfg))
		return FGW_OK;
	if ((m = calloc(1, sizeof *m)) == NULL)
		return FGW_ERR_NOMEM;
	m->d = d;
	if ((rc = sip_registrar_new(daemon_store(d), cfg, &m->reg)) != FGW_OK ||
	    (rc = sip_registrar_register_verbs(m->reg, daemon_control(d))) != FGW_OK ||
	    (rc = sip_service_new(daemon_base(d), cfg, m->reg, &m->svc)) != FGW_OK) {
		log_error("SIP could not start: %s", fgw_strerror(rc));
		sip_service_free(m->svc);
		sip_registrar_free(m->reg);
		free(m);
		return rc;
	}
	if ((rc = daemon_on_shutdown(d, module_stop, m)) != FGW_OK) {
		module_stop(m);
		return rc;
	}
	if ((rc = daemon_on_reload(d, module_reload, m)) != FGW_OK)
		return rc;   /* module_stop runs at shutdown */
	daemon_set_sip(d, m->svc);
	log_info("SIP on %s (UDP and TCP)", config_str(cfg, "sip", "listen"));
	return FGW_OK;
}
