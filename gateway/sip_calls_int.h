/* Inside the SIP call layer (sip_calls*.c only). */
#ifndef FAXGW_GATEWAY_SIP_CALLS_INT_H
#define FAXGW_GATEWAY_SIP_CALLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsp/fax.h"
#include "gateway/rtp_session.h"
#include "gateway/sdp.h"
#include "storage/catalog_jobs.h"

struct call;
struct config;
struct daemon;
struct device_call;
struct event;
struct inbound_call;
struct line;
struct queue_attempt;
struct queue_runner;
struct send_job;
struct sip_dialog;
struct sip_service;
struct sip_source;
struct sipmsg;
struct fax_endpoint;
struct queue_line_ops;
struct udptl_session;

enum sc_t38 { SC_T38_NO, SC_T38_YES, SC_T38_INITIAL };
enum sc_kind { SC_INBOUND, SC_DEVICE, SC_OUTBOUND };

struct sip_calls {
	struct daemon *d;
	struct queue_runner *r;
	struct sip_service *svc;
	struct event *start;
	struct sc_call *calls;
	uint64_t sdp_version;
	bool stopping;
};

/* One SIP call. Freed once its dialog ended and its fax call (if any) is
 * done. */
struct sc_call {
	struct sip_calls *m;
	struct sc_call *next;
	enum sc_kind kind;
	struct sip_dialog *dlg;          /* NULL once the dialog ended */
	const struct config *cfg;        /* held */
	char label[96];
	enum sc_t38 t38;
	struct sdp_caps caps;
	struct media_bind bind;
	char bind_addr[SDP_ADDR_MAX];
	struct line *line;               /* ours until a fax call takes it */
	struct udptl_session *pending;   /* our T.38 re-INVITE's stream */
	struct call *call;               /* the running fax call */
	struct event *tick;              /* device dial phase, re-INVITE wait */
	struct event *grace;             /* the peer hung up: let the fax end */
	bool in_call, on_t38, switch_asked, ended, reported;
	char detail[96];                 /* why an outbound call failed */
	unsigned dial_ms;
	struct inbound_call *ic;         /* SC_INBOUND */
	struct device_call *dc;          /* SC_DEVICE */
	struct queue_attempt *att;       /* SC_OUTBOUND */
	struct send_job *sj[2];          /* audio, T.38 */
	struct catalog_outjob job;        /* SC_OUTBOUND */
	struct sip_relay *relay;         /* a leg of a running relay (sip_relay.h) */
	bool relay_leg;                  /* the trunk leg of a relay, even after it */
};

/* ---- sip_calls.c ---- */

/* A new call of kind on dialog dlg (NULL: ours, made later), holding the
 * current configuration, linked into m. Returns it or NULL (no memory). */
struct sc_call *sc_new(struct sip_calls *m, enum sc_kind kind, struct sip_dialog *dlg);

/* Frees c when its dialog ended and no fax call runs. */
void sc_settle(struct sc_call *c);

/* Unlinks and frees c whatever its state (set-up failures). */
void sc_free(struct sc_call *c);

/* Starts the real-time fax call of c over c->line with ep (taken, also on
 * failure). Returns 0 or call_start's code. */
int sc_start_fax(struct sc_call *c, struct fax_endpoint *ep);

/* Makes c's fax endpoint for transport (inbound, device or outbound
 * side). Returns 0 and *ep, or a code. */
int sc_endpoint(struct sc_call *c, enum fax_transport transport, struct fax_endpoint **ep);

/* Hangs c's dialog up (BYE/CANCEL/480) if it is still there. */
void sc_hangup(struct sc_call *c, const char *why);

/* Asks for T.38 by re-INVITE once the dialog is confirmed (policy yes,
 * answering side). */
void sc_want_t38(struct sc_call *c);

/* ---- sip_calls_in.c: calls that come in ---- */

/* on_invite: a call from the trunk or a device. */
void sc_on_invite(void *arg, struct sip_dialog *d, const struct sipmsg *req,
		  const struct sip_source *src);

/* ---- sip_calls_out.c: jobs sent over SIP ---- */

/* The queue's line ops. */
extern const struct queue_line_ops sc_line_ops;

/* on_answered / on_ended of an outbound call. */
void sc_out_answered(struct sc_call *c, const char *sdp, size_t len);
void sc_out_ended(struct sc_call *c, int status, const char *reason);

/* Calls c->job.job.destination on the trunk (a relay's trunk leg) with
 * the trunk's T.38 policy (audio_only: G.711 first, as after a 488 to a
 * T.38 offer) and the no-answer timer. Returns 0 or a code (c->detail
 * may say why). */
int sc_out_place_relay(struct sc_call *c, bool audio_only);

/* ---- sip_calls_media.c ---- */

/* Fills c->caps, c->bind from [sip] for line policy t38. Returns 0 or
 * FGW_ERR_CONFIG (logged). */
int sc_media_init(struct sc_call *c, enum sc_t38 t38);

/* The policy of a line ([sip] trunk_t38 or device_t38). */
enum sc_t38 sc_t38_policy(const struct config *cfg, bool device);

/* Answers a new call's offer (body/len): makes the RTP (and, when the
 * offer's T.38 is taken, UDPTL) stream, the line (c->line), and writes
 * the answer into buf (*len). audio_only refuses T.38 even when allowed.
 * Returns 0, FGW_ERR_UNSUPPORTED (488), or a media code. */
int sc_media_answer(struct sc_call *c, const char *body, size_t blen, bool audio_only,
		    char *buf, size_t size, size_t *len);

/* Makes our offer for a new call (T.38 when initial) with its streams
 * kept in c (c->line made on the answer). Returns 0 or a code. */
int sc_media_offer(struct sc_call *c, char *buf, size_t size, size_t *len);

/* Our INVITE was answered: points the streams at the answer and makes
 * c->line. Returns 0, FGW_ERR_PARSE / FGW_ERR_UNSUPPORTED, or a code. */
int sc_media_answered(struct sc_call *c, const char *body, size_t blen);

/* Offer for our T.38 re-INVITE (c->pending made). Returns 0 or a code. */
int sc_media_t38_offer(struct sc_call *c, char *buf, size_t size, size_t *len);

/* The answer to our T.38 re-INVITE: re-points c->line at c->pending.
 * Returns 0 or a code (c->pending freed either way). */
int sc_media_t38_answered(struct sc_call *c, const char *body, size_t blen);

/* The peer's re-INVITE offer: when it asks for T.38 (and the policy lets
 * it), makes the UDPTL stream, re-points the line, writes the answer;
 * an audio offer while on audio is answered with the current stream;
 * *switched tells whether the transport changed (*to gets it).
 * Returns 0 or FGW_ERR_UNSUPPORTED (reject 488). */
int sc_media_reoffer(struct sc_call *c, const char *body, size_t blen, char *buf,
		     size_t size, size_t *len, bool *switched, enum fax_transport *to);

/* The T.38 endpoint's packet sink: user is the struct line. */
int sc_t38_out(void *user, const uint8_t *ifp, size_t len, uint16_t seq, int count);

#endif
