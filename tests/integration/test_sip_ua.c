/* Two SIP user agents on 127.0.0.1 (real UDP and TCP sockets, one
 * libevent loop), and a raw UDP socket of this test playing a peer that
 * misbehaves on purpose: call set-up and BYE, CANCEL, re-INVITE both
 * ways, glare, 488, retransmissions, session timers, TCP, bad input. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <osipparser2/osip_parser.h>

#include "common/err.h"
#include "gateway/sip_digest.h"
#include "gateway/sip_transport.h"
#include "gateway/sipmsg.h"
#include "gateway/sip_ua.h"

#define SDP_A "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
#define SDP_B "v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"
#define SDP_T38 "v=0\r\no=a 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=image 4002 udptl t38\r\n"
#define SDP_A3 "v=0\r\no=a 1 3 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=image 4004 udptl t38\r\n"
#define SDP_T38B "v=0\r\no=b 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=image 5002 udptl t38\r\n"

enum on_invite_do { ANSWER, RING, EARLY_MEDIA, NOTHING };

/* One user agent and what its callbacks saw. */
struct app {
	struct sip_transport *t;
	struct sip_ua *ua;
	enum on_invite_do invite_do;
	int reinvite_reject;          /* 0: accept with reinvite_answer */
	bool reinvite_on_answer;      /* re-INVITE right after answering */
	bool reinvite_ignore;         /* leave the peer's re-INVITE unanswered */
	const char *reinvite_answer;
	int invites, answered, progress, reinvites, results, ended;
	int last_progress, last_result, end_status;
	char end_reason[64];
	char answer_sdp[512], result_sdp[512], reinvite_sdp[512];
	struct sip_dialog *d;
};

static struct event_base *base;
static struct app A, B;

static void copy_sdp(char *dst, size_t size, const char *sdp, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, sdp ? sdp : "", sdp ? len : 0);
	dst[sdp ? len : 0] = '\0';
}

static void cb_invite(void *arg, struct sip_dialog *d, const struct sipmsg *req,
		      const struct sip_source *src)
{
	struct app *a = arg;

	(void)req;
	(void)src;
	a->invites++;
	a->d = d;
	if (a->invite_do == ANSWER)
		cr_assert_eq(sip_dialog_answer(d, SDP_B, strlen(SDP_B)), 0);
	if (a->invite_do == ANSWER && a->reinvite_on_answer)
		cr_assert_eq(sip_dialog_reinvite(d, SDP_T38B, strlen(SDP_T38B)), 0);
	else if (a->invite_do == RING)
		cr_assert_eq(sip_dialog_progress(d, 180, NULL, 0), 0);
	else if (a->invite_do == EARLY_MEDIA)
		cr_assert_eq(sip_dialog_progress(d, 183, SDP_B, strlen(SDP_B)), 0);
}

static void cb_answered(void *arg, struct sip_dialog *d, const char *sdp, size_t len)
{
	struct app *a = arg;

	a->answered++;
	a->d = d;
	copy_sdp(a->answer_sdp, sizeof a->answer_sdp, sdp, len);
}

static void cb_progress(void *arg, struct sip_dialog *d, int status, const char *sdp, size_t len)
{
	struct app *a = arg;

	(void)d;
	a->progress++;
	a->last_progress = status;
	copy_sdp(a->answer_sdp, sizeof a->answer_sdp, sdp, len);
}

static void cb_reinvite(void *arg, struct sip_dialog *d, const char *sdp, size_t len)
{
	struct app *a = arg;

	a->reinvites++;
	copy_sdp(a->reinvite_sdp, sizeof a->reinvite_sdp, sdp, len);
	if (a->reinvite_ignore)
		return;
	if (a->reinvite_reject)
		cr_assert_eq(sip_dialog_reject_reinvite(d, a->reinvite_reject), 0);
	else
		cr_assert_eq(sip_dialog_answer_reinvite(d, a->reinvite_answer,
							strlen(a->reinvite_answer)), 0);
}

static void cb_result(void *arg, struct sip_dialog *d, int status, const char *sdp, size_t len)
{
	struct app *a = arg;

	(void)d;
	a->results++;
	a->last_result = status;
	copy_sdp(a->result_sdp, sizeof a->result_sdp, sdp, len);
}

static void cb_ended(void *arg, struct sip_dialog *d, int status, const char *reason)
{
	struct app *a = arg;

	a->ended++;
	a->end_status = status;
	snprintf(a->end_reason, sizeof a->end_reason, "%s", reason);
	if (a->d == d)
		a->d = NULL;
}

static const struct sip_ua_callbacks callbacks = {
	.on_invite = cb_invite, .on_answered = cb_answered, .on_progress = cb_progress,
	.on_reinvite = cb_reinvite, .on_reinvite_result = cb_result, .on_ended = cb_ended,
};

/* The transport exists before the UA, so it reaches the UA through a. */
static void to_ua(void *arg, struct sipmsg *m, const struct sip_source *src)
{
	struct app *a = arg;

	sip_ua_receive(a->ua, m, src);
}

static void app_start(struct app *a, unsigned max_calls, unsigned se)
{
	struct sip_ua_options o = {
		.max_calls = max_calls, .session_expires = se, .min_se = se && se < 90 ? 1 : 0,
		.t1_ms = 50, .t2_ms = 400, .t4_ms = 500,
	};

	memset(a, 0, sizeof *a);
	a->reinvite_answer = SDP_T38B;
	cr_assert_eq(sip_transport_new(base, "127.0.0.1:0", to_ua, a, &a->t), 0);
	cr_assert_eq(sip_ua_new(base, a->t, &o, &callbacks, a, &a->ua), 0);
}

/* Makes the pair; B answers at once unless told otherwise. */
static void pair(unsigned max_calls, unsigned se)
{
	base = event_base_new();
	cr_assert_not_null(base);
	app_start(&A, 0, se);
	app_start(&B, max_calls, se);
	B.invite_do = ANSWER;
}

static void teardown_pair(void)
{
	sip_ua_free(A.ua);
	sip_ua_free(B.ua);
	sip_transport_free(A.t);
	sip_transport_free(B.t);
	event_base_free(base);
}

/* Runs the loop for ms milliseconds, or until *flag >= want. */
static void run_until(const int *flag, int want, int ms)
{
	struct timeval step = { 0, 10000 };

	for (int waited = 0; waited < ms; waited += 10) {
		if (flag != NULL && *flag >= want)
			return;
		event_base_loopexit(base, &step);
		event_base_dispatch(base);
	}
}

static void uri_of(struct app *a, char *buf, size_t size, bool tcp)
{
	cr_assert_geq(snprintf(buf, size, "sip:fax@127.0.0.1:%u%s", sip_transport_port(a->t),
			       tcp ? ";transport=tcp" : ""), 0);
}

static struct sip_dialog *call_b(int proto)
{
	char uri[128];
	struct sip_invite_params p = { .sdp = SDP_A, .sdp_len = strlen(SDP_A), .proto = proto };
	struct sip_dialog *d = NULL;

	uri_of(&B, uri, sizeof uri, proto == SIP_PROTO_TCP);
	p.request_uri = uri;
	cr_assert_eq(sip_ua_invite(A.ua, &p, &A, &d), 0);
	cr_assert_not_null(d);
	return d;
}

static void established(void)
{
	call_b(SIP_PROTO_UDP);
	run_until(&A.answered, 1, 3000);
	cr_assert_eq(A.answered, 1);
	cr_assert_eq(B.invites, 1);
	run_until(NULL, 0, 100);       /* the ACK reaches B */
}

TestSuite(sip_ua, .init = NULL, .fini = NULL, .timeout = 60);

Test(sip_ua, call_set_up_and_bye)
{
	pair(0, 0);
	established();
	cr_assert_str_eq(A.answer_sdp, SDP_B);
	size_t n;
	cr_assert_str_eq(sip_dialog_remote_sdp(B.d, &n), SDP_A);
	cr_assert(sip_dialog_confirmed(A.d));
	cr_assert(sip_dialog_confirmed(B.d));
	cr_assert_str_eq(sip_dialog_dialed(B.d), "fax");
	cr_assert_str_eq(sip_dialog_peer(B.d), "anonymous");
	cr_assert_eq(sip_dialog_bye(A.d), 0);
	run_until(&A.ended, 1, 3000);
	cr_assert_eq(B.ended, 1);
	cr_assert_str_eq(B.end_reason, "bye");
	cr_assert_eq(A.ended, 1);
	cr_assert_str_eq(A.end_reason, "hangup");
	cr_assert_eq(sip_ua_dialogs(A.ua), 0);
	cr_assert_eq(sip_ua_dialogs(B.ua), 0);
	teardown_pair();
}

Test(sip_ua, cancel_before_answer_gets_487)
{
	pair(0, 0);
	B.invite_do = RING;
	struct sip_dialog *d = call_b(SIP_PROTO_UDP);
	run_until(&A.progress, 1, 3000);
	cr_assert_eq(A.last_progress, 180);
	cr_assert_eq(sip_dialog_cancel(d), 0);
	run_until(&A.ended, 1, 3000);
	cr_assert_eq(A.ended, 1);
	cr_assert_eq(A.end_status, 487);
	cr_assert_str_eq(A.end_reason, "cancelled");
	run_until(&B.ended, 1, 1000);
	cr_assert_eq(B.ended, 1);
	cr_assert_str_eq(B.end_reason, "cancelled");
	cr_assert_eq(A.answered, 0);
	teardown_pair();
}

Test(sip_ua, reinvite_from_caller)
{
	pair(0, 0);
	established();
	cr_assert_eq(sip_dialog_reinvite(A.d, SDP_T38, strlen(SDP_T38)), 0);
	cr_assert_eq(sip_dialog_reinvite(A.d, SDP_T38, strlen(SDP_T38)), FGW_ERR_BUSY);
	run_until(&A.results, 1, 3000);
	cr_assert_eq(B.reinvites, 1);
	cr_assert_str_eq(B.reinvite_sdp, SDP_T38);
	cr_assert_eq(A.last_result, 200);
	cr_assert_str_eq(A.result_sdp, SDP_T38B);
	size_t n;
	cr_assert_str_eq(sip_dialog_remote_sdp(A.d, &n), SDP_T38B);
	cr_assert(sip_dialog_confirmed(A.d));
	teardown_pair();
}

Test(sip_ua, reinvite_from_callee)
{
	pair(0, 0);
	established();
	A.reinvite_answer = SDP_T38;
	cr_assert_eq(sip_dialog_reinvite(B.d, SDP_T38B, strlen(SDP_T38B)), 0);
	run_until(&B.results, 1, 3000);
	cr_assert_eq(A.reinvites, 1);
	cr_assert_str_eq(A.reinvite_sdp, SDP_T38B);
	cr_assert_eq(B.last_result, 200);
	cr_assert_str_eq(B.result_sdp, SDP_T38);
	/* the call goes on: BYE from the callee side ends both */
	cr_assert_eq(sip_dialog_hangup(B.d), 0);
	run_until(&B.ended, 1, 3000);
	cr_assert_eq(A.ended, 1);
	teardown_pair();
}

Test(sip_ua, glare_491_then_retry_succeeds)
{
	pair(0, 0);
	established();
	/* A answers B's offer with something else than its own offer, so
	 * A's retry is a real change for B (an unchanged SDP is a refresh) */
	A.reinvite_answer = SDP_A3;
	cr_assert_eq(sip_dialog_reinvite(A.d, SDP_T38, strlen(SDP_T38)), 0);
	cr_assert_eq(sip_dialog_reinvite(B.d, SDP_T38B, strlen(SDP_T38B)), 0);
	run_until(&A.results, 1, 5000);
	run_until(&B.results, 1, 5000);
	cr_assert_eq(A.results, 1, "491 must not reach the app; one final result");
	cr_assert_eq(B.results, 1);
	cr_assert_eq(A.last_result, 200);
	cr_assert_eq(B.last_result, 200);
	cr_assert_eq(A.reinvites, 1);
	cr_assert_eq(B.reinvites, 1);
	cr_assert_eq(A.ended + B.ended, 0);
	teardown_pair();
}

Test(sip_ua, reinvite_refused_488_reported_and_call_stays)
{
	pair(0, 0);
	established();
	B.reinvite_reject = 488;
	cr_assert_eq(sip_dialog_reinvite(A.d, SDP_T38, strlen(SDP_T38)), 0);
	run_until(&A.results, 1, 3000);
	cr_assert_eq(A.last_result, 488);
	cr_assert_eq(A.result_sdp[0], '\0');
	run_until(NULL, 0, 300);
	cr_assert(sip_dialog_confirmed(A.d));
	size_t n;
	cr_assert_str_eq(sip_dialog_remote_sdp(A.d, &n), SDP_B, "a refused offer changes nothing");
	/* a second attempt is allowed after the refusal */
	B.reinvite_reject = 0;
	cr_assert_eq(sip_dialog_reinvite(A.d, SDP_T38, strlen(SDP_T38)), 0);
	run_until(&A.results, 2, 3000);
	cr_assert_eq(A.last_result, 200);
	teardown_pair();
}

Test(sip_ua, max_calls_reached_gets_486)
{
	pair(1, 0);
	established();
	call_b(SIP_PROTO_UDP);
	run_until(&A.ended, 1, 3000);
	cr_assert_eq(A.end_status, 486);
	cr_assert_str_eq(A.end_reason, "rejected 486");
	cr_assert_eq(B.invites, 1);
	teardown_pair();
}

Test(sip_ua, session_refresh_keeps_the_call_without_the_app)
{
	pair(0, 2);     /* Session-Expires 2 s: A refreshes every second */
	established();
	run_until(NULL, 0, 4000);
	cr_assert_eq(A.ended + B.ended, 0, "a missed refresh would have ended it (%s / %s)",
		     A.end_reason, B.end_reason);
	cr_assert_eq(A.reinvites + B.reinvites, 0, "refreshes never reach the app");
	cr_assert_eq(A.results + B.results, 0);
	teardown_pair();
}

Test(sip_ua, tcp_call)
{
	pair(0, 0);
	call_b(SIP_PROTO_TCP);
	run_until(&A.answered, 1, 3000);
	cr_assert_eq(A.answered, 1);
	cr_assert_geq(sip_transport_conns(A.t), 1);
	cr_assert_geq(sip_transport_conns(B.t), 1);
	cr_assert_eq(sip_dialog_reinvite(B.d, SDP_T38B, strlen(SDP_T38B)), 0);
	A.reinvite_answer = SDP_T38;
	run_until(&B.results, 1, 3000);
	cr_assert_eq(B.last_result, 200, "B's re-INVITE goes back on A's connection");
	cr_assert_eq(sip_dialog_bye(A.d), 0);
	run_until(&B.ended, 1, 3000);
	cr_assert_str_eq(B.end_reason, "bye");
	teardown_pair();
}

/* ---- a raw UDP peer ----------------------------------------------------------- */

struct raw {
	int fd;
	unsigned port;
	char buf[8192];
};

static void raw_open(struct raw *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;

	r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	cr_assert_geq(r->fd, 0);
	cr_assert_eq(bind(r->fd, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(getsockname(r->fd, (struct sockaddr *)&a, &len), 0);
	r->port = ntohs(a.sin_port);
}

static void raw_send(struct raw *r, struct app *to, const char *msg)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)sip_transport_port(to->t)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	size_t n = strlen(msg);

	cr_assert_eq(sendto(r->fd, msg, n, 0, (struct sockaddr *)&a, sizeof a), (ssize_t)n);
}

/* Pumps the loop until a datagram starting with prefix arrives (others
 * are skipped); returns true and leaves it in r->buf. */
static bool raw_wait(struct raw *r, const char *prefix, int ms)
{
	for (int waited = 0; waited <= ms; waited += 10) {
		ssize_t n;

		while ((n = recv(r->fd, r->buf, sizeof r->buf - 1, 0)) > 0) {
			r->buf[n] = '\0';
			if (strncmp(r->buf, prefix, strlen(prefix)) == 0)
				return true;
		}
		run_until(NULL, 0, 10);
	}
	return false;
}

/* Copies the value of header name (first match) out of r->buf. */
static void raw_header(struct raw *r, const char *name, char *out, size_t size)
{
	char *p = strstr(r->buf, name);
	size_t n;

	cr_assert_not_null(p, "no %s in %s", name, r->buf);
	p += strlen(name);
	n = strcspn(p, "\r\n");
	cr_assert_lt(n, size);
	memcpy(out, p, n);
	out[n] = '\0';
}

#define RAW_INVITE \
	"INVITE sip:fax@127.0.0.1:%u SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKraw%s\r\n" \
	"Max-Forwards: 70\r\nFrom: <sip:raw@127.0.0.1>;tag=rawtag\r\n" \
	"To: <sip:fax@127.0.0.1>\r\nCall-ID: raw-%s@test\r\nCSeq: 1 INVITE\r\n" \
	"%sContent-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s"

static void raw_invite(struct raw *r, const char *id, const char *extra)
{
	char msg[4096];

	cr_assert_lt(snprintf(msg, sizeof msg, RAW_INVITE, sip_transport_port(B.t), r->port, id,
			      id, extra, strlen(SDP_A), SDP_A), (int)sizeof msg);
	raw_send(r, &B, msg);
}

/* An in-dialog request of the raw peer, with an SDP body when sdp is set. */
static void raw_in_dialog_body(struct raw *r, const char *method, const char *id, unsigned cseq,
			       const char *to_tag, const char *branch, const char *sdp)
{
	char msg[4096];

	cr_assert_lt(snprintf(msg, sizeof msg,
			      "%s sip:fax@127.0.0.1:%u SIP/2.0\r\n"
			      "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK%s\r\n"
			      "Max-Forwards: 70\r\nFrom: <sip:raw@127.0.0.1>;tag=rawtag\r\n"
			      "To: <sip:fax@127.0.0.1>;tag=%s\r\nCall-ID: raw-%s@test\r\n"
			      "CSeq: %u %s\r\nContact: <sip:raw@127.0.0.1:%u>\r\n%s"
			      "Content-Length: %zu\r\n\r\n%s",
			      method, sip_transport_port(B.t), r->port, branch, to_tag, id, cseq,
			      method, r->port, sdp ? "Content-Type: application/sdp\r\n" : "",
			      sdp ? strlen(sdp) : 0, sdp ? sdp : ""), (int)sizeof msg);
	raw_send(r, &B, msg);
}

static void raw_in_dialog(struct raw *r, const char *method, const char *id, unsigned cseq,
			  const char *to_tag, const char *branch)
{
	raw_in_dialog_body(r, method, id, cseq, to_tag, branch, NULL);
}

Test(sip_ua, udp_200_retransmitted_until_ack_and_invite_retransmission_absorbed)
{
	struct raw r;
	char first[8192], tag[64];

	pair(0, 0);
	raw_open(&r);
	raw_invite(&r, "rtx", "Contact: <sip:raw@127.0.0.1>\r\n");
	raw_invite(&r, "rtx", "Contact: <sip:raw@127.0.0.1>\r\n");   /* a retransmission */
	cr_assert(raw_wait(&r, "SIP/2.0 200", 2000));
	memcpy(first, r.buf, sizeof first);
	/* the first 200 is "lost": no ACK; the UA sends it again after T1 */
	cr_assert(raw_wait(&r, "SIP/2.0 200", 2000), "the 200 was not retransmitted");
	cr_assert_str_eq(r.buf, first);
	cr_assert_eq(B.invites, 1, "the retransmitted INVITE reached the app");
	raw_header(&r, "To: <sip:fax@127.0.0.1>;tag=", tag, sizeof tag);
	raw_in_dialog(&r, "ACK", "rtx", 1, tag, "rawack");
	/* after the ACK the 200 stops */
	run_until(NULL, 0, 200);
	while (recv(r.fd, r.buf, sizeof r.buf, 0) > 0)
		;
	cr_assert_not(raw_wait(&r, "SIP/2.0 200", 600), "200 kept coming after the ACK");
	raw_in_dialog(&r, "BYE", "rtx", 2, tag, "rawbye");
	cr_assert(raw_wait(&r, "SIP/2.0 200", 2000));
	run_until(&B.ended, 1, 1000);
	cr_assert_str_eq(B.end_reason, "bye");
	close(r.fd);
	teardown_pair();
}

Test(sip_ua, invite_retransmitted_over_udp_and_2xx_retransmission_re_acked)
{
	struct raw r;
	char uri[128], via[256], from[256], cid[128], resp[4096];
	struct sip_invite_params p = { .sdp = SDP_A, .sdp_len = strlen(SDP_A) };
	struct sip_dialog *d;

	pair(0, 0);
	raw_open(&r);
	snprintf(uri, sizeof uri, "sip:fax@127.0.0.1:%u", r.port);
	p.request_uri = uri;
	cr_assert_eq(sip_ua_invite(A.ua, &p, &A, &d), 0);
	cr_assert(raw_wait(&r, "INVITE ", 1000));
	char first[8192];
	memcpy(first, r.buf, sizeof first);
	cr_assert(raw_wait(&r, "INVITE ", 1000), "timer A did not retransmit");
	cr_assert_str_eq(r.buf, first);
	raw_header(&r, "Via: ", via, sizeof via);
	raw_header(&r, "From: ", from, sizeof from);
	raw_header(&r, "Call-ID: ", cid, sizeof cid);
	snprintf(resp, sizeof resp,
		 "SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: <%s>;tag=rawuas\r\nCall-ID: %s\r\n"
		 "CSeq: 1 INVITE\r\nContact: <sip:raw@127.0.0.1:%u>\r\n"
		 "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
		 via, from, uri, cid, r.port, strlen(SDP_B), SDP_B);
	raw_send(&r, &A, resp);
	cr_assert(raw_wait(&r, "ACK ", 1000));
	cr_assert_eq(A.answered, 1);
	raw_send(&r, &A, resp);      /* our ACK was "lost": the 200 again */
	cr_assert(raw_wait(&r, "ACK ", 1000), "no ACK for the retransmitted 200");
	cr_assert_eq(A.answered, 1, "a retransmitted 200 is not a second answer");
	close(r.fd);
	teardown_pair();
}

Test(sip_ua, missed_session_refresh_ends_with_bye)
{
	struct raw r;

	pair(0, 0);
	sip_ua_free(B.ua);
	sip_transport_free(B.t);
	app_start(&B, 0, 2);
	B.invite_do = ANSWER;
	raw_open(&r);
	raw_invite(&r, "se", "Contact: <sip:raw@127.0.0.1>\r\nSupported: timer\r\n"
			     "Session-Expires: 2;refresher=uac\r\n");
	cr_assert(raw_wait(&r, "SIP/2.0 200", 2000));
	cr_assert_not_null(strstr(r.buf, "Session-Expires: 2;refresher=uac"), "%s", r.buf);
	char tag[64];
	raw_header(&r, "To: <sip:fax@127.0.0.1>;tag=", tag, sizeof tag);
	raw_in_dialog(&r, "ACK", "se", 1, tag, "seack");
	/* the raw peer never refreshes: B gives up before 2 s are over */
	cr_assert(raw_wait(&r, "BYE ", 3000), "no BYE after the missed refresh");
	run_until(&B.ended, 1, 3000);
	cr_assert_str_eq(B.end_reason, "session expired");
	close(r.fd);
	teardown_pair();
}

Test(sip_ua, session_interval_below_min_se_gets_422)
{
	struct raw r;

	pair(0, 0);
	raw_open(&r);
	raw_invite(&r, "short", "Contact: <sip:raw@127.0.0.1>\r\nSession-Expires: 30\r\n");
	cr_assert(raw_wait(&r, "SIP/2.0 422", 2000));
	cr_assert_not_null(strstr(r.buf, "Min-SE: 90"), "%s", r.buf);
	cr_assert_eq(B.invites, 0);
	close(r.fd);
	teardown_pair();
}

Test(sip_ua, malformed_requests_get_400_or_are_dropped_and_the_ua_keeps_working)
{
	struct raw r;

	pair(0, 0);
	raw_open(&r);
	raw_send(&r, &B, "INVITE garbage\r\n\r\n");
	raw_send(&r, &B, "\x01\x02\x03 not sip at all");
	raw_invite(&r, "nocontact", "");                     /* no Contact */
	cr_assert(raw_wait(&r, "SIP/2.0 400", 2000));
	char msg[1024];
	snprintf(msg, sizeof msg,
		 "OPTIONS sip:fax@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKm\r\n"
		 "From: <sip:raw@127.0.0.1>;tag=x\r\nTo: <sip:fax@127.0.0.1>\r\nCall-ID: m@test\r\n"
		 "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", r.port);
	raw_send(&r, &B, msg);                               /* CSeq method mismatch */
	cr_assert(raw_wait(&r, "SIP/2.0 400", 2000));
	cr_assert_eq(B.invites, 0);
	established();
	cr_assert_eq(A.answered, 1);
	close(r.fd);
	teardown_pair();
}

Test(sip_ua, options_answered_and_unknown_dialog_481_and_max_forwards_483)
{
	struct raw r;
	char msg[1024];

	pair(0, 0);
	raw_open(&r);
	snprintf(msg, sizeof msg,
		 "OPTIONS sip:fax@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKo\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:raw@127.0.0.1>;tag=x\r\nTo: <sip:fax@127.0.0.1>\r\n"
		 "Call-ID: o@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", r.port);
	raw_send(&r, &B, msg);
	cr_assert(raw_wait(&r, "SIP/2.0 200", 2000));
	cr_assert_not_null(strstr(r.buf, "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE"));
	raw_in_dialog(&r, "BYE", "nosuch", 5, "nosuchtag", "b481");
	cr_assert(raw_wait(&r, "SIP/2.0 481", 2000));
	snprintf(msg, sizeof msg,
		 "OPTIONS sip:fax@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKmf\r\n"
		 "Max-Forwards: 0\r\nFrom: <sip:raw@127.0.0.1>;tag=x\r\nTo: <sip:fax@127.0.0.1>\r\n"
		 "Call-ID: mf@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", r.port);
	raw_send(&r, &B, msg);
	cr_assert(raw_wait(&r, "SIP/2.0 483", 2000));
	snprintf(msg, sizeof msg,
		 "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKr\r\n"
		 "From: <sip:raw@127.0.0.1>;tag=x\r\nTo: <sip:raw@127.0.0.1>\r\n"
		 "Call-ID: r@test\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n", r.port);
	raw_send(&r, &B, msg);
	cr_assert(raw_wait(&r, "SIP/2.0 405", 2000), "no registrar: 405");
	close(r.fd);
	teardown_pair();
}

Test(sip_ua, unanswered_invite_times_out_with_408)
{
	struct raw r;
	char uri[128];
	struct sip_invite_params p = { .sdp = SDP_A, .sdp_len = strlen(SDP_A) };
	struct sip_dialog *d;

	pair(0, 0);
	raw_open(&r);        /* a peer that never answers */
	snprintf(uri, sizeof uri, "sip:fax@127.0.0.1:%u", r.port);
	p.request_uri = uri;
	cr_assert_eq(sip_ua_invite(A.ua, &p, &A, &d), 0);
	run_until(&A.ended, 1, 6000);     /* Timer B = 64 * T1 = 3.2 s */
	cr_assert_eq(A.end_status, 408);
	cr_assert_str_eq(A.end_reason, "timeout");
	close(r.fd);
	teardown_pair();
}

Test(sip_ua, refreshes_by_update_or_same_sdp_reinvite_stay_out_of_the_app)
{
	struct raw r;
	char tag[64];

	pair(0, 0);
	raw_open(&r);
	raw_invite(&r, "upd", "Contact: <sip:raw@127.0.0.1>\r\nSupported: timer\r\n");
	cr_assert(raw_wait(&r, "SIP/2.0 200", 2000));
	cr_assert_not_null(strstr(r.buf, "Session-Expires: 1800;refresher=uac"), "%s", r.buf);
	cr_assert_not_null(strstr(r.buf, "Require: timer"), "%s", r.buf);
	raw_header(&r, "To: <sip:fax@127.0.0.1>;tag=", tag, sizeof tag);
	raw_in_dialog(&r, "ACK", "upd", 1, tag, "uack");
	raw_in_dialog(&r, "UPDATE", "upd", 2, tag, "u2");
	cr_assert(raw_wait(&r, "SIP/2.0 200", 2000));
	cr_assert_not_null(strstr(r.buf, "CSeq: 2 UPDATE"), "%s", r.buf);
	cr_assert_not_null(strstr(r.buf, "Session-Expires: 1800"), "%s", r.buf);
	raw_in_dialog_body(&r, "INVITE", "upd", 3, tag, "ri3", SDP_A);     /* unchanged offer */
	cr_assert(raw_wait(&r, "SIP/2.0 200", 2000));
	cr_assert_not_null(strstr(r.buf, "m=audio 5000"), "answered with the current SDP: %s", r.buf);
	raw_in_dialog(&r, "ACK", "upd", 3, tag, "ra3");
	cr_assert_eq(B.reinvites, 0, "a refresh reached the app");
	raw_in_dialog_body(&r, "INVITE", "upd", 4, tag, "ri4", SDP_T38);   /* a real change */
	cr_assert(raw_wait(&r, "SIP/2.0 200", 2000));
	cr_assert_eq(B.reinvites, 1);
	cr_assert_not_null(strstr(r.buf, "m=image 5002 udptl t38"), "%s", r.buf);
	raw_in_dialog(&r, "ACK", "upd", 4, tag, "ra4");
	raw_in_dialog(&r, "BYE", "upd", 3, tag, "oldcseq");               /* CSeq went back */
	cr_assert(raw_wait(&r, "SIP/2.0 500", 2000));
	cr_assert_eq(B.ended, 0);
	close(r.fd);
	teardown_pair();
}

/* B's authorize: a 401 challenge from our digest server until the INVITE
 * carries right credentials for user "dev1". */
static struct sip_digest_server *auth_srv;

static int authorize(void *arg, const struct sipmsg *req, const struct sip_source *src,
		     char *who, size_t who_size, char *resp, size_t size, size_t *len)
{
	osip_authorization_t *a = NULL;
	char *val = NULL, chal[512], ha1[SIP_DIGEST_HEX_MAX + 1];
	struct sip_digest_params cred;
	bool ok = false;

	(void)arg;
	(void)src;
	if (osip_message_get_authorization(sipmsg_osip((struct sipmsg *)req), 0, &a) >= 0 && a &&
	    osip_authorization_to_str(a, &val) == 0 && val &&
	    sip_digest_parse(val, strlen(val), &cred) == 0 &&
	    sip_digest_ha1(cred.alg, cred.username, "uatest", "pw-dev1", ha1, sizeof ha1) == 0)
		ok = sip_digest_server_verify(auth_srv, &cred, "INVITE", ha1, 1000) == 0;
	osip_free(val);
	if (ok) {
		snprintf(who, who_size, "%s", cred.username);
		return 0;
	}
	struct sipmsg_reply r = { .to_tag = "auth" };
	cr_assert_eq(sipmsg_build_response(req, 401, &r, resp, size, len), 0);
	cr_assert_eq(sip_digest_server_challenge(auth_srv, SIP_DIGEST_MD5, false, 1000, chal,
						 sizeof chal), 0);
	char *end = strstr(resp, "\r\n\r\n");
	char hdr[600];
	snprintf(hdr, sizeof hdr, "WWW-Authenticate: %s\r\n", chal);
	size_t at = (size_t)(end - resp) + 2, n = strlen(hdr);
	memmove(resp + at + n, resp + at, *len - at + 1);
	memcpy(resp + at, hdr, n);
	*len += n;
	return 401;
}

static void auth_pair(void)
{
	struct sip_ua_callbacks cb = callbacks;
	struct sip_ua_options o = { .t1_ms = 50, .t2_ms = 400, .t4_ms = 500 };

	pair(0, 0);
	cr_assert_eq(sip_digest_server_new("uatest", 60000, &auth_srv), 0);
	sip_ua_free(B.ua);
	cb.authorize = authorize;
	cr_assert_eq(sip_ua_new(base, B.t, &o, &cb, &B, &B.ua), 0);
}

static void call_with(const char *password)
{
	char uri[128];
	struct sip_invite_params p = { .sdp = SDP_A, .sdp_len = strlen(SDP_A),
				       .auth_user = "dev1", .auth_password = password };
	struct sip_dialog *d;

	uri_of(&B, uri, sizeof uri, false);
	p.request_uri = uri;
	cr_assert_eq(sip_ua_invite(A.ua, &p, &A, &d), 0);
}

Test(sip_ua, invite_challenged_401_answered_with_digest)
{
	auth_pair();
	call_with("pw-dev1");
	run_until(&A.answered, 1, 3000);
	cr_assert_eq(A.answered, 1);
	cr_assert_eq(B.invites, 1);
	cr_assert_str_eq(sip_dialog_peer(B.d), "dev1");
	sip_digest_server_free(auth_srv);
	teardown_pair();
}

Test(sip_ua, invite_with_wrong_password_ends_with_401_once)
{
	auth_pair();
	call_with("wrong");
	run_until(&A.ended, 1, 3000);
	cr_assert_eq(A.end_status, 401);
	cr_assert_str_eq(A.end_reason, "rejected 401");
	cr_assert_eq(B.invites, 0);
	sip_digest_server_free(auth_srv);
	teardown_pair();
}

Test(sip_ua, answering_side_reinvite_at_once_waits_for_the_ack)
{
	pair(0, 0);
	B.reinvite_on_answer = true;
	A.reinvite_answer = SDP_T38;
	call_b(SIP_PROTO_UDP);
	run_until(&B.results, 1, 3000);
	cr_assert_eq(A.answered, 1);
	cr_assert_eq(A.reinvites, 1);
	cr_assert_eq(B.last_result, 200, "the re-INVITE crossed our own INVITE transaction");
	cr_assert_str_eq(B.result_sdp, SDP_T38);
	cr_assert_eq(A.ended + B.ended, 0);
	teardown_pair();
}

Test(sip_ua, reinvite_before_the_ack_is_held_until_the_ack)
{
	struct raw r;
	char tag[64];

	pair(0, 0);
	B.reinvite_on_answer = true;
	raw_open(&r);
	raw_invite(&r, "hold", "Contact: <sip:raw@127.0.0.1>\r\n");
	cr_assert(raw_wait(&r, "SIP/2.0 200", 2000));
	raw_header(&r, "To: <sip:fax@127.0.0.1>;tag=", tag, sizeof tag);
	cr_assert_not(raw_wait(&r, "INVITE ", 300), "re-INVITE sent before the ACK");
	raw_in_dialog(&r, "ACK", "hold", 1, tag, "hack");
	cr_assert(raw_wait(&r, "INVITE ", 2000), "re-INVITE never sent after the ACK");
	cr_assert_not_null(strstr(r.buf, "m=image 5002 udptl t38"), "%s", r.buf);
	cr_assert_not_null(strstr(r.buf, "CSeq: 1 INVITE"), "B's own first CSeq: %s", r.buf);
	close(r.fd);
	teardown_pair();
}

Test(sip_ua, a_200_never_acked_ends_the_call_with_bye)
{
	struct raw r;

	pair(0, 0);
	raw_open(&r);
	raw_invite(&r, "noack", "Contact: <sip:raw@127.0.0.1>\r\n");
	cr_assert(raw_wait(&r, "SIP/2.0 200", 2000));
	/* 64 * T1 = 3.2 s of 200s, then a BYE */
	cr_assert(raw_wait(&r, "BYE ", 6000), "no BYE after the unacknowledged 200");
	run_until(&B.ended, 1, 3000);
	cr_assert_eq(B.end_status, 408);
	cr_assert_str_eq(B.end_reason, "timeout: no ACK");
	close(r.fd);
	teardown_pair();
}

Test(sip_ua, a_refusal_is_retransmitted_until_its_ack)
{
	struct raw r;
	char tag[64];

	pair(0, 0);
	B.invite_do = NOTHING;
	raw_open(&r);
	raw_invite(&r, "rej", "Contact: <sip:raw@127.0.0.1>\r\n");
	run_until(&B.invites, 1, 2000);
	cr_assert_eq(sip_dialog_reject(B.d, 603), 0);
	cr_assert(raw_wait(&r, "SIP/2.0 603", 2000));
	cr_assert(raw_wait(&r, "SIP/2.0 603", 2000), "Timer G did not retransmit the 603");
	raw_header(&r, "To: <sip:fax@127.0.0.1>;tag=", tag, sizeof tag);
	/* the ACK of a non-2xx reuses the INVITE's branch (RFC 3261 17.1.1.3) */
	raw_in_dialog(&r, "ACK", "rej", 1, tag, "rawrej");
	run_until(NULL, 0, 200);
	while (recv(r.fd, r.buf, sizeof r.buf, 0) > 0)
		;
	cr_assert_not(raw_wait(&r, "SIP/2.0 603", 800), "603 kept coming after the ACK");
	cr_assert_eq(B.ended, 1);
	cr_assert_str_eq(B.end_reason, "rejected 603");
	close(r.fd);
	teardown_pair();
}

static int drain_count(struct raw *r, const char *prefix)
{
	int n = 0;
	ssize_t got;

	while ((got = recv(r->fd, r->buf, sizeof r->buf - 1, 0)) > 0) {
		r->buf[got] = '\0';
		n += strncmp(r->buf, prefix, strlen(prefix)) == 0;
	}
	return n;
}

Test(sip_ua, open_transactions_are_bounded)
{
	struct raw r;
	struct sip_ua_options o = { .t1_ms = 500 };     /* transactions outlive the test */
	char msg[512];
	int answered = 0;

	pair(0, 0);
	sip_ua_free(B.ua);
	cr_assert_eq(sip_ua_new(base, B.t, &o, &callbacks, &B, &B.ua), 0);
	raw_open(&r);
	for (int i = 0; i < SIP_UA_TXN_MAX + 50; i++) {
		snprintf(msg, sizeof msg,
			 "OPTIONS sip:fax@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKf%d\r\n"
			 "From: <sip:raw@127.0.0.1>;tag=x\r\nTo: <sip:fax@127.0.0.1>\r\n"
			 "Call-ID: f%d@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", r.port, i, i);
		raw_send(&r, &B, msg);
		if (i % 16 == 15) {
			event_base_loop(base, EVLOOP_NONBLOCK);
			answered += drain_count(&r, "SIP/2.0 200");
		}
	}
	for (int i = 0; i < 50; i++) {
		run_until(NULL, 0, 10);
		answered += drain_count(&r, "SIP/2.0 200");
	}
	cr_assert_eq(answered, SIP_UA_TXN_MAX, "%d answered", answered);
	close(r.fd);
	teardown_pair();
}

/* A response of the raw peer to the request in r->buf. */
static void raw_reply(struct raw *r, struct app *to, int status, const char *reason,
		      const char *to_tag)
{
	char via[256], from[256], cid[128], cseq[64], tov[256], resp[2048];

	raw_header(r, "Via: ", via, sizeof via);
	raw_header(r, "From: ", from, sizeof from);
	raw_header(r, "Call-ID: ", cid, sizeof cid);
	raw_header(r, "CSeq: ", cseq, sizeof cseq);
	raw_header(r, "To: ", tov, sizeof tov);
	snprintf(resp, sizeof resp,
		 "SIP/2.0 %d %s\r\nVia: %s\r\nFrom: %s\r\nTo: %s;tag=%s\r\nCall-ID: %s\r\n"
		 "CSeq: %s\r\nContent-Length: 0\r\n\r\n", status, reason, via, from, tov, to_tag,
		 cid, cseq);
	raw_send(r, to, resp);
}

Test(sip_ua, ringing_outlives_timer_b_until_the_ring_limit_then_cancel)
{
	struct raw r;
	char uri[128], invite[8192];
	struct sip_ua_options o = { .t1_ms = 50, .t2_ms = 400, .t4_ms = 500, .answer_timeout_s = 5 };
	struct sip_invite_params p = { .sdp = SDP_A, .sdp_len = strlen(SDP_A) };
	struct sip_dialog *d;

	pair(0, 0);
	sip_ua_free(A.ua);
	cr_assert_eq(sip_ua_new(base, A.t, &o, &callbacks, &A, &A.ua), 0);
	raw_open(&r);
	snprintf(uri, sizeof uri, "sip:fax@127.0.0.1:%u", r.port);
	p.request_uri = uri;
	cr_assert_eq(sip_ua_invite(A.ua, &p, &A, &d), 0);
	cr_assert(raw_wait(&r, "INVITE ", 1000));
	memcpy(invite, r.buf, sizeof invite);
	raw_reply(&r, &A, 180, "Ringing", "ring");
	run_until(&A.ended, 1, 4000);          /* past Timer B (3.2 s) */
	cr_assert_eq(A.ended, 0, "a ringing call ended early: %s", A.end_reason);
	cr_assert_eq(A.last_progress, 180);
	cr_assert(raw_wait(&r, "CANCEL ", 3000), "no CANCEL at the ring limit");
	raw_reply(&r, &A, 200, "OK", "ring");
	memcpy(r.buf, invite, sizeof invite);
	raw_reply(&r, &A, 487, "Request Terminated", "ring");
	run_until(&A.ended, 1, 2000);
	cr_assert_eq(A.end_status, 408);
	cr_assert_str_eq(A.end_reason, "timeout: not answered");
	close(r.fd);
	teardown_pair();
}

Test(sip_ua, early_media_183_then_answer_then_a_rejection_status_reported)
{
	pair(0, 0);
	B.invite_do = EARLY_MEDIA;
	call_b(SIP_PROTO_UDP);
	run_until(&A.progress, 1, 3000);
	cr_assert_eq(A.last_progress, 183);
	cr_assert_str_eq(A.answer_sdp, SDP_B, "183 carries the early SDP");
	cr_assert_eq(sip_dialog_progress(B.d, 200, NULL, 0), FGW_ERR_INVALID);
	cr_assert_eq(sip_dialog_answer(B.d, SDP_B, strlen(SDP_B)), 0);
	cr_assert_eq(sip_dialog_answer(B.d, SDP_B, strlen(SDP_B)), FGW_ERR_STATE);
	run_until(&A.answered, 1, 3000);
	cr_assert_eq(A.answered, 1);
	/* a second call refused with 503: the status reaches on_ended */
	B.invite_do = NOTHING;
	call_b(SIP_PROTO_UDP);
	run_until(&B.invites, 2, 3000);
	cr_assert_eq(sip_dialog_reject(B.d, 503), 0);
	run_until(&A.ended, 1, 3000);
	cr_assert_eq(A.end_status, 503);
	cr_assert_str_eq(A.end_reason, "rejected 503");
	teardown_pair();
}

Test(sip_ua, reinvite_the_app_never_answers_gets_500_and_the_dialog_moves_on)
{
	pair(0, 0);
	established();
	B.reinvite_ignore = true;
	cr_assert_eq(sip_dialog_reinvite(A.d, SDP_T38, strlen(SDP_T38)), 0);
	run_until(&A.results, 1, 6000);      /* 64 * T1 = 3.2 s */
	cr_assert_eq(A.last_result, 500);
	cr_assert_eq(sip_dialog_answer_reinvite(B.d, SDP_T38B, strlen(SDP_T38B)), FGW_ERR_STATE);
	B.reinvite_ignore = false;
	cr_assert_eq(sip_dialog_reinvite(B.d, SDP_T38B, strlen(SDP_T38B)), 0, "B not blocked");
	A.reinvite_answer = SDP_T38;
	run_until(&B.results, 1, 3000);
	cr_assert_eq(B.last_result, 200);
	teardown_pair();
}
