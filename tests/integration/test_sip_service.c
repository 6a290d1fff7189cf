/* The SIP service on 127.0.0.1 from a real faxgw.ini: OPTIONS, INVITEs
 * from trunk_peers reach the call layer as "trunk" (503 before it is
 * there), other sources are refused without a registrar, REGISTER gets 405
 * without one, and in register mode the service registers at a test
 * registrar that challenges with our own digest server (right and wrong
 * password). */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <osipparser2/osip_parser.h>

#include "common/err.h"
#include "gateway/config.h"
#include "gateway/sip_digest.h"
#include "gateway/sip_service.h"
#include "gateway/sip_service_int.h"
#include "gateway/sip_transport.h"
#include "gateway/sip_ua.h"
#include "gateway/sipmsg.h"

#define SDP "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"

static struct event_base *base;
static char dir[64];

/* A caller / test registrar: a plain UA of its own. */
struct peer {
	struct sip_transport *t;
	struct sip_ua *ua;
	int ended, end_status, registers, authorized;
	char end_reason[64], auth_user[SIP_DIGEST_VALUE_MAX + 1];
	struct sip_digest_server *srv;
	const char *password;
};

static struct peer P;
static int invites;
static char invite_peer[64];

static void run_ms(int ms)
{
	struct timeval step = { 0, 10000 };

	for (int i = 0; i < ms; i += 10) {
		event_base_loopexit(base, &step);
		event_base_dispatch(base);
	}
}

static void run_until(const int *flag, int want, int ms)
{
	for (int i = 0; i < ms && *flag < want; i += 10)
		run_ms(10);
}

static struct config *load(const char *body)
{
	char path[128];
	struct config *cfg = NULL;
	FILE *f;

	snprintf(path, sizeof path, "%s/faxgw.ini", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	cr_assert_geq(fputs(body, f), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(config_load(path, NULL, NULL, &cfg), 0, "config refused:\n%s", body);
	return cfg;
}

static void p_ended(void *arg, struct sip_dialog *d, int status, const char *reason)
{
	struct peer *p = arg;

	(void)d;
	p->ended++;
	p->end_status = status;
	snprintf(p->end_reason, sizeof p->end_reason, "%s", reason);
}

/* The test registrar: 401 with a challenge, then checks the answer. */
static int p_request(void *arg, const struct sipmsg *req, const struct sip_source *src,
		     char *resp, size_t size, size_t *len)
{
	struct peer *p = arg;
	osip_authorization_t *a = NULL;
	char chal[512], hdr[600], ha1[SIP_DIGEST_HEX_MAX + 1];
	char *val = NULL;
	struct sip_digest_params cred;
	int status = 401;

	(void)src;
	p->registers++;
	if (osip_message_get_authorization(sipmsg_osip((struct sipmsg *)req), 0, &a) >= 0 && a &&
	    osip_authorization_to_str(a, &val) == 0 && val &&
	    sip_digest_parse(val, strlen(val), &cred) == 0) {
		snprintf(p->auth_user, sizeof p->auth_user, "%s", cred.username);
		cr_assert_eq(sip_digest_ha1(cred.alg, cred.username, "trunkrealm", p->password, ha1,
					    sizeof ha1), 0);
		if (sip_digest_server_verify(p->srv, &cred, "REGISTER", ha1, 1000) == 0) {
			status = 200;
			p->authorized++;
		}
	}
	osip_free(val);
	cr_assert_eq(sip_digest_server_challenge(p->srv, SIP_DIGEST_SHA256, false, 1000, chal,
						 sizeof chal), 0);
	snprintf(hdr, sizeof hdr, "WWW-Authenticate: %s\r\n", chal);
	struct sipmsg_reply r = { .to_tag = "reg" };
	cr_assert_eq(sipmsg_build_response(req, status, &r, resp, size, len), 0);
	if (status == 401) {
		/* add the challenge before the blank line */
		char *end = strstr(resp, "\r\n\r\n");
		size_t at = (size_t)(end - resp) + 2, n = strlen(hdr);
		cr_assert_lt(*len + n, size);
		memmove(resp + at + n, resp + at, *len - at + 1);
		memcpy(resp + at, hdr, n);
		*len += n;
	}
	return 0;
}

static const struct sip_ua_callbacks peer_cb = { .on_ended = p_ended, .on_request = p_request };

static void to_peer(void *arg, struct sipmsg *m, const struct sip_source *src)
{
	sip_ua_receive(((struct peer *)arg)->ua, m, src);
}

static void peer_start(void)
{
	struct sip_ua_options o = { .t1_ms = 50 };

	memset(&P, 0, sizeof P);
	cr_assert_eq(sip_transport_new(base, "127.0.0.1:0", to_peer, &P, &P.t), 0);
	cr_assert_eq(sip_ua_new(base, P.t, &o, &peer_cb, &P, &P.ua), 0);
	cr_assert_eq(sip_digest_server_new("trunkrealm", 60000, &P.srv), 0);
}

static void peer_stop(void)
{
	sip_ua_free(P.ua);
	sip_transport_free(P.t);
	sip_digest_server_free(P.srv);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/sipsvc.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	base = event_base_new();
	invites = 0;
	peer_start();
}

static void teardown(void)
{
	char path[128];

	peer_stop();
	event_base_free(base);
	snprintf(path, sizeof path, "%s/faxgw.ini", dir);
	unlink(path);
	rmdir(dir);
}

TestSuite(sip_service, .init = setup, .fini = teardown, .timeout = 60);

static void call_invite(void *arg, struct sip_dialog *d, const struct sipmsg *req,
			const struct sip_source *src)
{
	(void)arg;
	(void)req;
	(void)src;
	invites++;
	snprintf(invite_peer, sizeof invite_peer, "%s", sip_dialog_peer(d));
	cr_assert_eq(sip_dialog_reject(d, 486), 0);
}

static void invite_service(struct sip_service *s)
{
	char uri[96];
	struct sip_invite_params p = { .request_uri = uri, .sdp = SDP, .sdp_len = strlen(SDP) };
	struct sip_dialog *d;

	snprintf(uri, sizeof uri, "sip:0612345678@127.0.0.1:%u",
		 sip_transport_port(sip_service_transport(s)));
	cr_assert_eq(sip_ua_invite(P.ua, &p, NULL, &d), 0);
}

Test(sip_service, trunk_peer_invites_reach_the_call_layer_as_trunk)
{
	struct config *cfg = load("[lines]\ntrunk_kind = sip\n[sip]\nlisten = 127.0.0.1:0\n");
	struct sip_service *s;
	const struct sip_ua_callbacks calls = { .on_invite = call_invite };

	cr_assert_eq(sip_service_new(base, cfg, NULL, &s), 0);
	cr_assert(sip_service_trunk_ready(s), "peer mode is always ready");
	invite_service(s);
	run_until(&P.ended, 1, 3000);
	cr_assert_eq(P.end_status, 503, "no call layer yet: %d", P.end_status);
	sip_service_set_calls(s, &calls, NULL);
	invite_service(s);
	run_until(&P.ended, 2, 3000);
	cr_assert_eq(invites, 1);
	cr_assert_str_eq(invite_peer, "trunk");
	cr_assert_eq(P.end_status, 486);
	sip_service_free(s);
	config_free(cfg);
}

Test(sip_service, invite_from_outside_trunk_peers_without_registrar_is_refused)
{
	struct config *cfg = load("[lines]\ntrunk_kind = sip\n[sip]\nlisten = 127.0.0.1:0\n"
				  "trunk_peers = 192.0.2.0/24, 2001:db8::/32\n");
	struct sip_service *s;
	const struct sip_ua_callbacks calls = { .on_invite = call_invite };

	cr_assert_eq(sip_service_new(base, cfg, NULL, &s), 0);
	sip_service_set_calls(s, &calls, NULL);
	invite_service(s);
	run_until(&P.ended, 1, 3000);
	cr_assert_eq(P.end_status, 403);
	cr_assert_eq(invites, 0);
	sip_service_free(s);
	config_free(cfg);
}

Test(sip_service, bad_trunk_peers_refused_naming_the_key)
{
	struct config *cfg = load("[lines]\ntrunk_kind = sip\n[sip]\nlisten = 127.0.0.1:0\n"
				  "trunk_peers = 300.1.1.1/8\n");
	struct sip_service *s = NULL;

	cr_assert_eq(sip_service_new(base, cfg, NULL, &s), FGW_ERR_CONFIG);
	cr_assert_null(s);
	config_free(cfg);
}

Test(sip_service, listen_address_in_use_is_an_io_error)
{
	struct config *cfg = load("[lines]\ntrunk_kind = sip\n[sip]\nlisten = 127.0.0.1:0\n");
	struct sip_service *s;
	char text[600];

	cr_assert_eq(sip_service_new(base, cfg, NULL, &s), 0);
	snprintf(text, sizeof text, "[lines]\ntrunk_kind = sip\n[sip]\nlisten = 127.0.0.1:%u\n",
		 sip_transport_port(sip_service_transport(s)));
	struct config *cfg2 = load(text);
	struct sip_service *s2 = NULL;
	cr_assert_eq(sip_service_new(base, cfg2, NULL, &s2), FGW_ERR_IO);
	sip_service_free(s);
	config_free(cfg);
	config_free(cfg2);
}

static void register_with(const char *password, const char *configured, bool ok)
{
	char text[600];
	struct sip_service *s;

	P.password = password;
	snprintf(text, sizeof text,
		 "[lines]\ntrunk_kind = sip\n[sip]\nlisten = 127.0.0.1:0\ntrunk_mode = register\n"
		 "trunk_proxy = 127.0.0.1:%u\ntrunk_user = acct42\ntrunk_password = %s\n",
		 sip_transport_port(P.t), configured);
	struct config *cfg = load(text);
	cr_assert_eq(sip_service_new(base, cfg, NULL, &s), 0);
	run_until(&P.registers, 2, 3000);
	run_ms(200);
	cr_assert_eq(P.registers, 2, "one challenge, one answer (no loop on a wrong password)");
	cr_assert_str_eq(P.auth_user, "acct42");
	cr_assert_eq(P.authorized, ok ? 1 : 0);
	cr_assert_eq(sip_service_trunk_ready(s), ok);
	sip_service_free(s);
	config_free(cfg);
}

Test(sip_service, registers_at_the_trunk_with_digest)
{
	register_with("s3cret", "s3cret", true);
}

Test(sip_service, wrong_trunk_password_is_not_registered)
{
	register_with("s3cret", "wrong", false);
}

static int statuses[4], nstatus;

static void got_final(void *arg, int status, const struct sipmsg *resp)
{
	(void)arg;
	(void)resp;
	if (nstatus < 4)
		statuses[nstatus++] = status;
}

Test(sip_service, options_answered_and_register_405_without_registrar)
{
	struct config *cfg = load("[lines]\ntrunk_kind = sip\n[sip]\nlisten = 127.0.0.1:0\n");
	struct sip_service *s;
	char uri[96];

	nstatus = 0;
	cr_assert_eq(sip_service_new(base, cfg, NULL, &s), 0);
	snprintf(uri, sizeof uri, "sip:127.0.0.1:%u", sip_transport_port(sip_service_transport(s)));
	struct sip_request_params q = { .method = "OPTIONS", .request_uri = uri };
	cr_assert_eq(sip_ua_request(P.ua, &q, got_final, NULL), 0);
	run_until(&nstatus, 1, 3000);
	q.method = "REGISTER";
	cr_assert_eq(sip_ua_request(P.ua, &q, got_final, NULL), 0);
	run_until(&nstatus, 2, 3000);
	cr_assert_eq(nstatus, 2);
	cr_assert_eq(statuses[0], 200);
	cr_assert_eq(statuses[1], 405);
	sip_service_free(s);
	config_free(cfg);
}

Test(sip_service, a_simulated_trunk_takes_no_sip_trunk_calls)
{
	struct config *cfg = load("[lines]\ndevice_kind = sip\n[sip]\nlisten = 127.0.0.1:0\n");
	struct sip_service *s;
	const struct sip_ua_callbacks calls = { .on_invite = call_invite };

	cr_assert_eq(sip_service_new(base, cfg, NULL, &s), 0);
	sip_service_set_calls(s, &calls, NULL);
	invite_service(s);        /* from 127.0.0.1, inside trunk_peers */
	run_until(&P.ended, 1, 3000);
	cr_assert_eq(P.end_status, 403);
	cr_assert_eq(invites, 0);
	sip_service_free(s);
	config_free(cfg);
}

Test(sip_service, wildcard_listen_address_refused)
{
	struct config *cfg = load("[lines]\ntrunk_kind = sip\n[sip]\nlisten = 0.0.0.0:0\n");
	struct config *cfg6 = load("[lines]\ntrunk_kind = sip\n[sip]\nlisten = [::]:0\n");
	struct sip_service *s = NULL;

	cr_assert_eq(sip_service_new(base, cfg, NULL, &s), FGW_ERR_CONFIG);
	cr_assert_eq(sip_service_new(base, cfg6, NULL, &s), FGW_ERR_CONFIG);
	cr_assert_null(s);
	config_free(cfg);
	config_free(cfg6);
}

static bool in_list(const char *list, const char *ip)
{
	struct sip_cidr nets[SIP_SERVICE_PEERS_MAX];
	struct sockaddr_storage sa;
	socklen_t len;
	size_t n;
	char addr[80];

	snprintf(addr, sizeof addr, strchr(ip, ':') ? "[%s]:5060" : "%s:5060", ip);
	cr_assert_eq(sip_cidr_parse_list(list, nets, SIP_SERVICE_PEERS_MAX, &n), 0, "%s", list);
	cr_assert_eq(sip_addr_parse(addr, false, &sa, &len), 0, "%s", addr);
	return sip_cidr_match(nets, n, &sa);
}

Test(sip_cidr, trunk_peers_networks_match_by_prefix)
{
	struct sip_cidr nets[4];
	size_t n;

	cr_assert(in_list("127.0.0.0/8", "127.1.2.3"));
	cr_assert_not(in_list("10.0.0.0/8", "127.0.0.1"));
	cr_assert(in_list("192.0.2.0/25, 10.0.0.0/8", "10.200.0.1"));
	cr_assert_not(in_list("192.0.2.0/25", "192.0.2.200"));
	cr_assert(in_list("192.0.2.7", "192.0.2.7"));
	cr_assert_not(in_list("192.0.2.7", "192.0.2.8"));
	cr_assert(in_list("2001:db8::/32", "2001:db8:1::5"));
	cr_assert_not(in_list("2001:db8::/32", "2001:db9::5"));
	cr_assert(in_list("::1", "::1"));
	cr_assert_not(in_list("127.0.0.1/32", "::1"), "no v4/v6 mixing");
	cr_assert(in_list("0.0.0.0/0", "198.51.100.1"));
	cr_assert_not(in_list("", "127.0.0.1"), "an empty list takes no one");
	cr_assert_eq(sip_cidr_parse_list("1.2.3.4/33", nets, 4, &n), FGW_ERR_INVALID);
	cr_assert_eq(sip_cidr_parse_list("1.2.3.4/x", nets, 4, &n), FGW_ERR_INVALID);
	cr_assert_eq(sip_cidr_parse_list("example.com", nets, 4, &n), FGW_ERR_INVALID);
	cr_assert_eq(sip_cidr_parse_list("1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5", nets, 4, &n),
		     FGW_ERR_TOO_LARGE);
}
