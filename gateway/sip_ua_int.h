/* Internals shared by sip_ua.c (dispatch), sip_txn.c (transactions),
 * sip_dialog.c / sip_dialog_in.c (dialogs) and sip_build.c (message
 * text). Not for other modules: use sip_ua.h. */
#ifndef FAXGW_GATEWAY_SIP_UA_INT_H
#define FAXGW_GATEWAY_SIP_UA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "gateway/sip_transport.h"
#include "gateway/sip_ua.h"

#define UA_TAG_MAX 48
#define UA_URI_MAX 256
#define UA_HDR_MAX 1024       /* a block of extra header lines we add */
#define UA_CALLID_MAX 128
#define UA_METHOD_MAX 16
#define UA_ROUTE_MAX 1024     /* the route set as one header value */

struct event;
struct sipmsg;
struct txn;

enum txn_kind { TXN_IC, TXN_NIC, TXN_IS, TXN_NIS };
enum txn_state { TS_TRYING, TS_PROCEEDING, TS_COMPLETED, TS_ACCEPTED, TS_CONFIRMED, TS_DEAD };

/* A client transaction's report: every provisional and final response
 * (m set), or the timeout (status 408, m NULL) / send failure (503). */
typedef void txn_response_fn(struct txn *x, int status, const struct sipmsg *m);

struct txn {
	TAILQ_ENTRY(txn) link;
	struct sip_ua *ua;
	enum txn_kind kind;
	enum txn_state state;
	char branch[UA_TAG_MAX + 16];
	char method[UA_METHOD_MAX];  /* the CSeq method */
	uint32_t cseq;
	/* client: where the request goes; server: where responses go */
	struct sip_source peer;      /* server side, or a client reusing a connection */
	char dest[SIP_ADDR_MAX];     /* client side */
	int proto;
	bool use_peer;               /* client: send on peer's connection first */
	char *msg;                   /* client: the request; server: the last response */
	size_t msg_len;
	char *ack;                   /* IC: the ACK for a non-2xx final */
	size_t ack_len;
	char *req;                   /* server: the request, for building responses */
	size_t req_len;
	int status;                  /* last status sent or received */
	unsigned interval_ms;
	struct event *retx, *timeout;
	txn_response_fn *on_response;
	struct sip_dialog *dlg;      /* the dialog this serves, or NULL */
	sip_ua_response_fn *app_fn;  /* sip_ua_request's callback */
	void *app_arg;
};

TAILQ_HEAD(txn_list, txn);
TAILQ_HEAD(dialog_list, sip_dialog);

enum dlg_state { DS_EARLY_OUT, DS_EARLY_IN, DS_CONFIRMED, DS_ENDING, DS_DONE };

struct sip_dialog {
	TAILQ_ENTRY(sip_dialog) link;
	struct sip_ua *ua;
	enum dlg_state state;
	bool outbound;
	char call_id[UA_CALLID_MAX];
	char local_tag[UA_TAG_MAX];
	char remote_tag[UA_TAG_MAX * 2];
	char local_uri[UA_URI_MAX];     /* name-addr without tag, e.g. <sip:fax@h> */
	char remote_uri[UA_URI_MAX];
	char request_uri[UA_URI_MAX];   /* our INVITE's Request-URI */
	char remote_target[UA_URI_MAX]; /* the peer's Contact URI */
	char routes[UA_ROUTE_MAX];      /* route set as a Route value, "" for none */
	char dest[SIP_ADDR_MAX];        /* where in-dialog requests go */
	int proto;
	struct sip_source peer_src;     /* the connection the dialog came on */
	bool have_peer_src;
	uint32_t local_cseq, remote_cseq, invite_cseq;
	char *local_sdp, *remote_sdp;   /* malloc'd, NUL-terminated */
	size_t local_sdp_len, remote_sdp_len;
	char peer[SIP_UA_NAME_MAX];
	char dialed[64];
	void *app;
	struct txn *inv;                /* our INVITE (outbound) or theirs (inbound) */
	bool cancel_wanted, cancel_sent, hangup_wanted;
	bool ring_timeout;              /* we cancelled: nobody answered in time */
	/* our 2xx awaiting its ACK */
	char *ok;
	size_t ok_len;
	uint32_t ok_cseq;
	unsigned ok_interval;
	struct event *ok_timer;
	int64_t ok_deadline_ms;
	/* the ACK we sent for a 2xx, resent on retransmitted 2xx */
	char *ack;
	size_t ack_len;
	uint32_t ack_cseq;
	/* re-INVITEs */
	struct txn *reinv_out;          /* ours in progress */
	bool reinv_out_refresh;         /* a session refresh, not the app's */
	char *pending_offer;            /* the app's offer waiting for a glare retry */
	size_t pending_offer_len;
	bool pending_refresh;
	bool reinv_after_ack;           /* the app's offer waits for the ACK of our 2xx */
	struct event *glare_timer;
	struct txn *reinv_in;           /* the peer's, waiting for the app */
	/* session timer (RFC 4028) */
	unsigned se_s;                  /* 0: none */
	bool we_refresh;
	struct event *session_timer;
	struct event *answer_timer;
	/* digest credentials for a 401/407 to our INVITE */
	char *auth_user, *auth_password;
	bool auth_tried;
	char *in_offer;                 /* the peer's offer waiting for the app */
	size_t in_offer_len;
	bool in_update;                 /* that offer came in an UPDATE */
	int end_status;
	char end_reason[40];
	bool ended;
};

struct sip_ua {
	struct event_base *base;
	struct sip_transport *t;
	struct sip_ua_callbacks cb;
	void *arg;
	char user[64];
	unsigned max_calls, se_s, min_se_s, t1, t2, t4, answer_s;
	struct txn_list txns;
	struct dialog_list dialogs;
	struct dialog_list dead_dialogs;
	unsigned ndialogs;
	unsigned ntxns;
	struct event *reaper;
	uint64_t counter;
	char local[SIP_ADDR_MAX];
};

/* ---- sip_txn.c ---- */
/* New client transaction sending msg (copied) to dest over proto (or on
 * the connection of *via when not NULL). Returns it, NULL on failure (the
 * caller reports). */
struct txn *txn_client_new(struct sip_ua *ua, enum txn_kind kind, const char *branch,
			   const char *method, uint32_t cseq, const char *msg, size_t len,
			   const char *dest, int proto, const struct sip_source *via,
			   txn_response_fn *fn, struct sip_dialog *dlg);
/* New server transaction for req from src. */
struct txn *txn_server_new(struct sip_ua *ua, const struct sipmsg *req,
			   const struct sip_source *src);
/* Finds the server transaction a request belongs to (ACK matches its
 * INVITE), or NULL. */
struct txn *txn_server_find(struct sip_ua *ua, const struct sipmsg *req, bool ack);
/* Finds the server INVITE transaction a CANCEL names. */
struct txn *txn_server_find_invite(struct sip_ua *ua, const struct sipmsg *cancel);
/* Handles a response for a client transaction; false when none matched. */
bool txn_client_response(struct sip_ua *ua, const struct sipmsg *m);
/* Server side: sends a response built by the caller (len bytes) and moves
 * the state machine on. Returns 0 or an error. */
int txn_send_response(struct txn *x, int status, const char *resp, size_t len);
/* Server side: builds and sends status for the transaction's request. */
int txn_respond(struct txn *x, int status, const char *to_tag, const char *contact,
		const char *headers, const char *body, size_t body_len);
/* Retransmitted request on a server transaction: resend the last response,
 * or absorb an ACK. */
void txn_server_again(struct txn *x, bool ack);
/* Marks x dead and detaches it from its dialog; freed by the reaper. */
void txn_kill(struct txn *x);
void txn_free(struct txn *x);
/* Sends bytes for a client transaction or a dialog (no retransmission). */
int ua_send(struct sip_ua *ua, const char *dest, int proto, const struct sip_source *via,
	    const char *buf, size_t len);
void ua_reap_soon(struct sip_ua *ua);
int64_t ua_now_ms(void);
void ua_timer_ms(struct event *ev, int64_t ms);

/* ---- sip_build.c ---- */
/* Inserts block (CRLF-terminated header lines) before the blank line of
 * the message in buf. Returns 0, FGW_ERR_INVALID or FGW_ERR_TOO_LARGE. */
int sipb_insert(char *buf, size_t size, size_t *len, const char *block);
/* Appends "name: value\r\n" to block (size bytes) after checking value
 * holds no CR/LF. */
int sipb_add(char *block, size_t size, const char *name, const char *value);
/* A new random token (tags, branches, Call-IDs) of hex digits. */
void sipb_token(struct sip_ua *ua, char *buf, size_t size);
/* Header value by long or compact name (NULL when absent). */
const char *sipb_header(const struct sipmsg *m, const char *name, const char *compact);
/* True when the comma-separated header name holds option tok. */
bool sipb_header_has(const struct sipmsg *m, const char *name, const char *compact,
		     const char *tok);
/* Max-Forwards value, -1 when absent. */
int sipb_max_forwards(const struct sipmsg *m);
/* Writes "host:port" and the transport of uri (a SIP URI). */
int sipb_uri_dest(const char *uri, char *dest, size_t size, int *proto);
/* Writes the Record-Route set of m as one Route value, reversed when
 * reverse (a UAC's route set). */
int sipb_record_routes(const struct sipmsg *m, bool reverse, char *buf, size_t size);
/* The From and To name-addr without the tag. */
int sipb_from_uri(const struct sipmsg *m, char *buf, size_t size);
int sipb_to_uri(const struct sipmsg *m, char *buf, size_t size);
/* Session-Expires: seconds (0 absent) and the refresher ("uac", "uas", ""). */
unsigned sipb_session_expires(const struct sipmsg *m, char *refresher, size_t size);
/* Fills q's uri, via, from, call_id from our INVITE inv and to from its
 * response resp (osip-allocated; sipb_ack_fields_free releases them). */
struct sipmsg_request;
int sipb_ack_fields(const struct sipmsg *inv, const struct sipmsg *resp,
		    struct sipmsg_request *q);
void sipb_ack_fields_free(struct sipmsg_request *q);
/* The challenge of a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate)
 * we answer best (SHA-256 over MD5). Returns 0 or FGW_ERR_NOT_FOUND. */
struct sip_digest_params;
int sipb_best_challenge(const struct sipmsg *m, int status, struct sip_digest_params *best);
/* Body as a malloc'd NUL-terminated copy (NULL, 0 when none). */
int sipb_body_copy(const struct sipmsg *m, char **out, size_t *len);
/* Serialises m into a malloc'd buffer. */
int sipb_serialize(const struct sipmsg *m, char **out, size_t *len);

/* ---- sip_ua.c ---- */
/* Sends a response an application built (status read from its first
 * line) on server transaction x. */
int ua_send_app_response(struct txn *x, const char *resp, size_t len);

/* ---- sip_dialog*.c ---- */
void dlg_on_invite(struct sip_ua *ua, struct txn *x, const struct sipmsg *req,
		   const struct sip_source *src);
void dlg_on_request(struct sip_dialog *d, struct txn *x, const struct sipmsg *req);
void dlg_on_ack(struct sip_dialog *d, const struct sipmsg *ack);
void dlg_on_cancel(struct sip_dialog *d, struct txn *inv);
struct sip_dialog *dlg_find(struct sip_ua *ua, const struct sipmsg *m, bool as_uas);
/* Ends d once: on_ended, then freed by the reaper. */
void dlg_end(struct sip_dialog *d, int status, const char *reason);
void dlg_free(struct sip_dialog *d);
struct sip_dialog *dlg_new(struct sip_ua *ua, bool outbound);
/* Builds an in-dialog request (method, cseq) with extra headers and body,
 * sends it as a client transaction. */
struct txn *dlg_request(struct sip_dialog *d, const char *method, uint32_t cseq,
			const char *headers, const char *body, size_t len,
			txn_response_fn *fn);
/* Session timer (re)start after a 2xx or a refresh. */
void dlg_session_start(struct sip_dialog *d);
/* The Session-Expires/Supported/Require block for a 2xx. */
int dlg_session_headers(struct sip_dialog *d, bool require, char *block, size_t size);
void dlg_send_ok(struct sip_dialog *d, struct txn *x, const char *sdp, size_t len);
int dlg_set_sdp(char **dst, size_t *dlen, const char *sdp, size_t len);
void dlg_session_from_request(struct sip_dialog *d, const struct sipmsg *req);
void dlg_reinvite_in(struct sip_dialog *d, struct txn *x, const struct sipmsg *req,
		     bool update);

#endif
