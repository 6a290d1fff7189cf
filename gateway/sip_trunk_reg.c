/* Registration at the SIP trunk ([sip] trunk_mode = register): REGISTER
 * to trunk_proxy with digest credentials, refreshed at half the granted
 * time, retried after a failure. See sip_service.h. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <osipparser2/osip_parser.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/sip_digest.h"
#include "gateway/sip_service.h"
#include "gateway/sip_service_int.h"
#include "gateway/sipmsg.h"

#define RETRY_S 30                /* after a failure or a timeout */

static void send_register(struct sip_service *s, const char *auth, unsigned expires);

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sip_service *s = arg;

	(void)fd;
	(void)what;
	if (!s->trunk.waiting)
		send_register(s, NULL, s->trunk.expires);
}

static void again_in(struct sip_trunk_reg *r, unsigned seconds)
{
	struct timeval tv = { (time_t)seconds, 0 };

	(void)evtimer_add(r->timer, &tv);
}

/* The time the registrar granted: Expires, else ours. */
static unsigned granted(const struct sip_trunk_reg *r, const struct sipmsg *m)
{
	osip_header_t *h = NULL;
	long long v;

	if (osip_message_get_expires(sipmsg_osip((struct sipmsg *)m), 0, &h) >= 0 && h &&
	    h->hvalue && str_to_int(h->hvalue, 1, 86400 * 7, &v) == FGW_OK)
		return (unsigned)v;
	return r->expires;
}

static void on_response(void *arg, int status, const struct sipmsg *m)
{
	struct sip_service *s = arg;
	struct sip_trunk_reg *r = &s->trunk;
	char hdr[SIP_DIGEST_HEADER_MAX + 32];
	bool stale = false;

	r->waiting = false;
	if (status >= 200 && status < 300) {
		if (!r->ready)
			log_info("registered at the SIP trunk %s as %s", r->proxy, r->user);
		r->ready = true;
		again_in(r, granted(r, m) / 2 ? granted(r, m) / 2 : 1);
		return;
	}
	if ((status == 401 || status == 407) && m != NULL &&
	    sip_ua_answer_challenge(m, "REGISTER", r->uri, r->user, r->password, 1, hdr,
				    sizeof hdr, &stale) == FGW_OK && (!r->auth_sent || stale)) {
		send_register(s, hdr, r->expires);
		OPENSSL_cleanse(hdr, sizeof hdr);
		return;
	}
	OPENSSL_cleanse(hdr, sizeof hdr);
	r->ready = false;
	log_warn("the SIP trunk %s refused the registration of %s (%d%s); check [sip] "
		 "trunk_user and trunk_password; trying again in %d s", r->proxy, r->user, status,
		 status == 408 ? ": no answer" : "", RETRY_S);
	again_in(r, RETRY_S);
}

static void send_register(struct sip_service *s, const char *auth, unsigned expires)
{
	struct sip_trunk_reg *r = &s->trunk;
	char aor[SIP_ADDR_MAX + 80], extra[SIP_DIGEST_HEADER_MAX + 64];
	struct sip_request_params p = {
		.method = "REGISTER", .request_uri = r->uri, .to = aor, .from = aor,
		.dest = r->proxy, .proto = r->proto, .call_id = r->call_id, .cseq = ++r->cseq,
		.extra_headers = extra, .contact = true,
	};

	if (str_format(aor, sizeof aor, "<sip:%s@%s>", r->user, r->proxy) != FGW_OK ||
	    str_format(extra, sizeof extra, "Expires: %u\r\n%s", expires, auth ? auth : "") != FGW_OK) {
		again_in(r, RETRY_S);
		return;
	}
	r->auth_sent = auth != NULL;
	r->waiting = expires > 0;
	if (sip_ua_request(s->ua, &p, expires ? on_response : NULL, s) != FGW_OK) {
		r->waiting = false;
		log_warn("cannot send REGISTER to the SIP trunk %s; trying again in %d s", r->proxy,
			 RETRY_S);
		again_in(r, RETRY_S);
	}
	OPENSSL_cleanse(extra, sizeof extra);
}

static int read_trunk(struct sip_trunk_reg *r, const struct config *cfg)
{
	const char *proxy = config_str(cfg, "sip", "trunk_proxy");
	const char *user = config_str(cfg, "sip", "trunk_user");

	if (sip_addr_parse(proxy, false, &r->proxy_sa, &r->proxy_len) != FGW_OK) {
		log_error("[sip] trunk_proxy = \"%s\": register mode needs the provider as a numeric "
			  "address:port (e.g. 192.0.2.10:5060; names are not resolved)", proxy);
		return FGW_ERR_CONFIG;
	}
	if (user[0] == '\0' || strpbrk(user, "@:;<> ") != NULL) {
		log_error("[sip] trunk_user = \"%s\": register mode needs the account name the "
			  "provider gave (no @ : ; < > or spaces)", user);
		return FGW_ERR_CONFIG;
	}
	if (str_copy(r->proxy, sizeof r->proxy, proxy) != FGW_OK ||
	    str_format(r->uri, sizeof r->uri, "sip:%s", proxy) != FGW_OK ||
	    str_copy(r->user, sizeof r->user, user) != FGW_OK)
		return FGW_ERR_CONFIG;
	if ((r->password = strdup(config_str(cfg, "sip", "trunk_password"))) == NULL)
		return FGW_ERR_NOMEM;
	r->expires = (unsigned)config_int(cfg, "sip", "trunk_expires");
	r->proto = strcmp(config_str(cfg, "sip", "trunk_transport"), "tcp") == 0 ? SIP_PROTO_TCP
										 : SIP_PROTO_UDP;
	return FGW_OK;
}

int sip_trunk_start(struct sip_service *s, const struct config *cfg)
{
	struct sip_trunk_reg *r = &s->trunk;
	int rc;

	if (strcmp(config_str(cfg, "sip", "trunk_mode"), "register") != 0)
		return FGW_OK;
	if ((rc = read_trunk(r, cfg)) != FGW_OK)
		return rc;
	if ((r->timer = evtimer_new(s->base, on_timer, s)) == NULL)
		return FGW_ERR_NOMEM;
	/* one Call-ID for all REGISTERs of this run (RFC 3261 10.2) */
	if (str_format(r->call_id, sizeof r->call_id, "reg-%p-%ld@faxgw", (void *)s,
		       (long)time(NULL)) != FGW_OK)
		return FGW_ERR_INVALID;
	r->on = true;
	send_register(s, NULL, r->expires);
	return FGW_OK;
}

void sip_trunk_stop(struct sip_service *s)
{
	struct sip_trunk_reg *r = &s->trunk;

	if (r->on && r->ready && s->ua != NULL)
		send_register(s, NULL, 0);    /* best effort: not waited for */
	if (r->timer != NULL)
		event_free(r->timer);
	r->timer = NULL;
	if (r->password != NULL) {
		OPENSSL_cleanse(r->password, strlen(r->password));
		free(r->password);
		r->password = NULL;
	}
	r->on = false;
}

bool sip_trunk_is_proxy(const struct sip_service *s, const struct sip_source *src)
{
	const struct sip_trunk_reg *r = &s->trunk;

	if (!r->on || src->sa.ss_family != r->proxy_sa.ss_family)
		return false;
	if (src->sa.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&src->sa)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)&r->proxy_sa)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)&src->sa)->sin6_addr,
		      &((const struct sockaddr_in6 *)&r->proxy_sa)->sin6_addr, 16) == 0;
}

bool sip_service_trunk_ready(const struct sip_service *s)
{
	return !s->trunk.on || s->trunk.ready;
}
