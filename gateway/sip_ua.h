/* SIP user agent (RFC 3261) on one libevent loop: transactions (client and
 * server, INVITE and non-INVITE, timers A..K, retransmission over UDP
 * only, retransmitted requests absorbed), dialogs (Call-ID + tags, CSeq,
 * route set, remote target from Contact), INVITE/ACK/BYE/CANCEL, re-INVITE
 * both ways with 491 glare and retry, UPDATE, session timers (RFC 4028),
 * OPTIONS answered, 481 for unknown dialogs, 400 for requests missing what
 * they need, 483 for Max-Forwards 0, 486 above max_calls.
 *
 * The application (the daemon's call layer) sees dialogs only: it answers
 * INVITEs, starts calls, re-INVITEs and hangs up; the UA does every
 * retransmission, ACK and timer. A session-timer refresh (a re-INVITE or
 * UPDATE whose SDP is unchanged, or carries none) is answered by the UA
 * with the current local SDP and never reaches the application.
 *
 * Lifetime: a dialog is created by the UA (on_invite) or by sip_ua_invite,
 * and freed by the UA right after on_ended returns; on_ended is called
 * exactly once per dialog, and the application must not use the dialog
 * after it. Callbacks may call any sip_dialog_* / sip_ua_* function,
 * including sip_dialog_hangup on the same dialog (on_ended then follows
 * later, never from inside the call that asked for it). */
#ifndef FAXGW_GATEWAY_SIP_UA_H
#define FAXGW_GATEWAY_SIP_UA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/sip_transport.h"

#define SIP_UA_SDP_MAX 4096        /* bytes of one SDP body we keep */
#define SIP_UA_RESP_MAX 8192       /* bytes of one response an app builds */
#define SIP_UA_NAME_MAX 64         /* authorised peer name ("trunk", device) */
#define SIP_UA_TXN_MAX 4096        /* open transactions; new requests beyond are dropped */

struct event_base;
struct sipmsg;
struct sip_ua;
struct sip_dialog;

struct sip_ua_callbacks {
	/* A new INVITE passed authorize and the call limit; the UA has sent
	 * 100 Trying. The app answers later with sip_dialog_progress /
	 * sip_dialog_answer / sip_dialog_reject (or the UA ends the call with
	 * 408 when the app says nothing for 3 minutes). req and src are valid
	 * during the call only; the offer is sip_dialog_remote_sdp(d). */
	void (*on_invite)(void *arg, struct sip_dialog *d, const struct sipmsg *req,
			  const struct sip_source *src);
	/* Our INVITE got a 2xx (the UA has sent the ACK). sdp is the answer
	 * (len 0: none). */
	void (*on_answered)(void *arg, struct sip_dialog *d, const char *sdp, size_t len);
	/* A 180/183 to our INVITE (sdp of a 183, len 0 when none). May be NULL. */
	void (*on_progress)(void *arg, struct sip_dialog *d, int status,
			    const char *sdp, size_t len);
	/* The peer sent a re-INVITE (or UPDATE) with a changed offer. The app
	 * calls sip_dialog_answer_reinvite or sip_dialog_reject_reinvite (488)
	 * now or later (after 64*T1 without either, the UA answers 500). */
	void (*on_reinvite)(void *arg, struct sip_dialog *d, const char *sdp, size_t len);
	/* The final answer to our sip_dialog_reinvite: status 200 with the
	 * answer SDP, or a failure status (488, 408, 500...) with len 0; the
	 * dialog stays up on a failure (except 481/408: the UA hangs up). A 491
	 * is not reported: the UA retries after the RFC 3261 14.1 wait. */
	void (*on_reinvite_result)(void *arg, struct sip_dialog *d, int status,
				   const char *sdp, size_t len);
	/* The dialog is over: reason in words ("bye": the peer's BYE;
	 * "hangup": ours; "cancelled"; "rejected 486"; "timeout" (no answer
	 * at all); "timeout: not answered" (rang past answer_timeout_s);
	 * "timeout: no ACK"; "session expired"; "session refresh failed";
	 * "re-INVITE failed"; "shutdown"), status the SIP status that ended
	 * it (0 for a BYE either way). Exactly once, never from inside a
	 * sip_dialog_* call. */
	void (*on_ended)(void *arg, struct sip_dialog *d, int status, const char *reason);
	/* An out-of-dialog request other than INVITE, OPTIONS, ACK and CANCEL
	 * (REGISTER, MESSAGE, ...). The app writes a complete response into
	 * resp (size bytes, e.g. with sipmsg_build_response) and sets *len,
	 * returning 0; or returns FGW_ERR_UNSUPPORTED and the UA answers 405.
	 * May be NULL (405 for all). The UA keeps the response for
	 * retransmitted copies of the request. */
	int (*on_request)(void *arg, const struct sipmsg *req, const struct sip_source *src,
			  char *resp, size_t size, size_t *len);
	/* Decides whether a new INVITE may go on. Returns 0 and the peer's
	 * name in who (who_size bytes: "trunk" or a device name, kept on the
	 * dialog: sip_dialog_peer); or non-zero with a complete response in
	 * resp (*len bytes: the 401/407 challenge, a 403) that the UA sends;
	 * *len 0 means the UA sends 403. May be NULL: everything is allowed as
	 * "anonymous". */
	int (*authorize)(void *arg, const struct sipmsg *req, const struct sip_source *src,
			 char *who, size_t who_size, char *resp, size_t size, size_t *len);
};

struct sip_ua_options {
	const char *user;              /* our user in From/Contact; NULL: "faxgw" */
	unsigned max_calls;            /* dialogs at once; 0: 64; beyond: 486 */
	unsigned session_expires;      /* s; 0: 1800; RFC 4028 interval we ask */
	unsigned min_se;               /* s; 0: 90; shorter asks get 422 */
	unsigned t1_ms;                /* 0: 500 (RFC 3261 T1); tests shorten */
	unsigned t2_ms;                /* 0: 4000 */
	unsigned t4_ms;                /* 0: 5000 */
	unsigned answer_timeout_s;     /* 0: 180: an INVITE the app leaves
					* unanswered gets 408; ours ringing that
					* long is CANCELled (on_ended 408) */
};

/* Makes a UA that sends through t (NULL: messages are built but dropped,
 * for the fuzzer) and runs its timers on base. cb is copied; arg goes to
 * every callback. Returns 0 and *out (sip_ua_free) or FGW_ERR_NOMEM /
 * FGW_ERR_INVALID (a NULL base, or an option out of range). */
int sip_ua_new(struct event_base *base, struct sip_transport *t,
	       const struct sip_ua_options *opt, const struct sip_ua_callbacks *cb,
	       void *arg, struct sip_ua **out);

/* Ends every dialog (BYE or CANCEL sent, best effort; on_ended with
 * "shutdown"), frees everything. NULL is fine. */
void sip_ua_free(struct sip_ua *ua);

/* The transport's on_message: hand every received message here (the
 * service does it; sip_transport_msg_fn compatible with arg = ua). */
void sip_ua_receive(void *ua, struct sipmsg *m, const struct sip_source *src);

/* Parses len bytes as if received from src and processes them. For the
 * fuzzer and tests. Returns 0 or sipmsg_parse's error. */
int sip_ua_receive_bytes(struct sip_ua *ua, const uint8_t *buf, size_t len,
			 const struct sip_source *src);

/* Number of dialogs alive. */
unsigned sip_ua_dialogs(const struct sip_ua *ua);

/* Changes max_calls and session_expires (on reload). */
void sip_ua_set_limits(struct sip_ua *ua, unsigned max_calls, unsigned session_expires);

/* An out-of-dialog request of ours (REGISTER to the trunk, OPTIONS). */
struct sip_request_params {
	const char *method;            /* "REGISTER" */
	const char *request_uri;       /* "sip:provider.example" */
	const char *to;                /* NULL: "<request_uri>" */
	const char *from_user;         /* NULL: the UA's user */
	const char *from;              /* name-addr without tag, e.g. the AOR
					* "<sip:user@provider>"; NULL: from_user@us */
	const char *dest;              /* "ip:port"; NULL: from request_uri */
	int proto;                     /* enum sip_proto; 0: UDP */
	const char *call_id;           /* NULL: a new one (REGISTER keeps one) */
	uint32_t cseq;                 /* 0: 1 */
	const char *extra_headers;     /* "Expires: 600\r\nAuthorization: ...\r\n"
					* or NULL; each line checked, CRLF-ended */
	bool contact;                  /* add our Contact */
};

/* The final response to a request of ours: status and the message (valid
 * during the call only), or status 408 and resp NULL on a timeout, 503
 * and NULL when it could not be sent. */
typedef void sip_ua_response_fn(void *arg, int status, const struct sipmsg *resp);

/* Sends p as a non-INVITE client transaction (retransmitted over UDP,
 * Timer F); fn(arg, ...) is called exactly once unless sip_ua_free comes
 * first (then never). Returns 0, FGW_ERR_INVALID, FGW_ERR_TOO_LARGE or
 * FGW_ERR_IO (and fn is not called). */
int sip_ua_request(struct sip_ua *ua, const struct sip_request_params *p,
		   sip_ua_response_fn *fn, void *arg);

/* Answers the best digest challenge of resp (a 401 or 407: SHA-256 over
 * MD5) for method and uri with user/password and nonce count nc: writes
 * the whole header line ("Authorization: Digest ...\r\n" or
 * "Proxy-Authorization: ...\r\n") into hdr. *stale (may be NULL) tells
 * whether the challenge said stale=true. Returns 0, FGW_ERR_NOT_FOUND (no
 * challenge we can answer) or sip_digest_client_answer's error. The
 * caller wipes hdr. */
int sip_ua_answer_challenge(const struct sipmsg *resp, const char *method, const char *uri,
			    const char *user, const char *password, uint32_t nc,
			    char *hdr, size_t size, bool *stale);

/* Writes our Contact ("<sip:faxgw@127.0.0.1:5060>", with
 * ";transport=tcp" for proto TCP) into buf. Returns 0 or FGW_ERR_TOO_LARGE. */
int sip_ua_contact(const struct sip_ua *ua, int proto, char *buf, size_t size);

/* A new call out. */
struct sip_invite_params {
	const char *request_uri;       /* "sip:0312345678@192.0.2.1:5060" */
	const char *to;                /* NULL: "<request_uri>" */
	const char *from_user;         /* NULL: the UA's user */
	const char *dest;              /* "ip:port" to send to (outbound proxy);
					* NULL: the Request-URI's host:port */
	int proto;                     /* enum sip_proto; 0: UDP */
	const char *sdp;               /* the offer */
	size_t sdp_len;
	const char *auth_user;         /* digest credentials for a 401/407 */
	const char *auth_password;     /* copied; wiped when the dialog ends */
};

/* Sends an INVITE with the offer; the UA reports on_progress,
 * on_answered or on_ended. call_arg is the dialog's app pointer
 * (sip_dialog_arg). Returns 0 and *out (owned by the UA, valid until
 * on_ended), FGW_ERR_INVALID (bad URI or dest), FGW_ERR_BUSY (max_calls),
 * FGW_ERR_TOO_LARGE, FGW_ERR_IO (could not send) or FGW_ERR_NOMEM. */
int sip_ua_invite(struct sip_ua *ua, const struct sip_invite_params *p, void *call_arg,
		  struct sip_dialog **out);

/* The app's pointer for d (NULL until set; sip_ua_invite sets it). */
void *sip_dialog_arg(const struct sip_dialog *d);
void sip_dialog_set_arg(struct sip_dialog *d, void *arg);

/* Who the peer is: what authorize returned for an inbound call
 * ("anonymous" without authorize), "" for a call we made. Owned by d. */
const char *sip_dialog_peer(const struct sip_dialog *d);

/* The Request-URI user of the INVITE that made an inbound dialog (the
 * dialed number), "" when none. Owned by d. */
const char *sip_dialog_dialed(const struct sip_dialog *d);

/* The Call-ID. Owned by d. */
const char *sip_dialog_call_id(const struct sip_dialog *d);

/* The peer's last offer or answer (len 0: none yet). Owned by d; valid
 * until the next message of the dialog. */
const char *sip_dialog_remote_sdp(const struct sip_dialog *d, size_t *len);

/* True once the dialog is confirmed (2xx sent or received). */
bool sip_dialog_confirmed(const struct sip_dialog *d);

/* Inbound call, before the answer: sends status (180 or 183; 183 carries
 * sdp when len > 0). Returns 0, FGW_ERR_STATE (already answered or not an
 * inbound call), FGW_ERR_INVALID or FGW_ERR_IO. */
int sip_dialog_progress(struct sip_dialog *d, int status, const char *sdp, size_t len);

/* Inbound call: sends 200 with the answer, retransmitted until the ACK
 * (no ACK in 64*T1: BYE, on_ended "timeout"). Returns 0, FGW_ERR_STATE,
 * FGW_ERR_TOO_LARGE or FGW_ERR_IO. */
int sip_dialog_answer(struct sip_dialog *d, const char *sdp, size_t len);

/* Inbound call: refuses with status (300..699); on_ended follows.
 * Returns 0, FGW_ERR_STATE or FGW_ERR_INVALID. */
int sip_dialog_reject(struct sip_dialog *d, int status);

/* Confirmed call: sends a re-INVITE with a new offer (held until the ACK
 * when our 2xx has not been ACKed yet); the result comes in
 * on_reinvite_result. Returns 0, FGW_ERR_BUSY (a re-INVITE of ours or the
 * peer's is in progress), FGW_ERR_STATE, FGW_ERR_TOO_LARGE or FGW_ERR_IO. */
int sip_dialog_reinvite(struct sip_dialog *d, const char *sdp, size_t len);

/* Answers the peer's re-INVITE reported by on_reinvite: 200 with sdp
 * (which becomes the current local SDP), or status (488 etc.).
 * Returns 0, FGW_ERR_STATE (none pending) or FGW_ERR_IO. */
int sip_dialog_answer_reinvite(struct sip_dialog *d, const char *sdp, size_t len);
int sip_dialog_reject_reinvite(struct sip_dialog *d, int status);

/* Ends the call whatever its state: CANCEL (our INVITE, unanswered), 480
 * (inbound, unanswered) or BYE (confirmed). on_ended follows once the
 * transaction finishes (or at once when nothing is to be sent). Returns 0
 * or FGW_ERR_STATE when it is already ending. */
int sip_dialog_hangup(struct sip_dialog *d);

/* Aliases of sip_dialog_hangup for the matching state: BYE on a
 * confirmed dialog, CANCEL on our unanswered INVITE. Return FGW_ERR_STATE
 * in any other state. */
int sip_dialog_bye(struct sip_dialog *d);
int sip_dialog_cancel(struct sip_dialog *d);

#endif
