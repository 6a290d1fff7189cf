/* SIP messages (RFC 3261) over libosip2's parser: a bounded parse of one
 * datagram into an opaque message, the accessors the call layer needs, and
 * requests/responses written back to bytes. No transport, no transactions.
 *
 * libosip2 keeps its header tables process-wide and fills them in
 * parser_init(); sipmsg runs that once per process behind pthread_once, the
 * one piece of process-wide state here (it only ever holds constants). The
 * same once also switches off osip's own trace output (process-wide too),
 * so a malformed datagram never writes to stderr. */
#ifndef FAXGW_GATEWAY_SIPMSG_H
#define FAXGW_GATEWAY_SIPMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIPMSG_MAX_UDP 8192       /* bytes of one datagram we accept */
#define SIPMSG_MAX_HEADERS 64     /* header lines, continuation lines included */
#define SIPMSG_ERR_MAX 160

struct sipmsg;

/* libosip2's message type, for the transaction layer that will need it. */
struct osip_message;

/* Parses one datagram (len bytes) into a new message in *out (the caller
 * frees it with sipmsg_free). Besides osip's own checks, refuses: an empty
 * or over-SIPMSG_MAX_UDP datagram (FGW_ERR_TOO_LARGE), no blank line after
 * the headers, a NUL in the headers, more than SIPMSG_MAX_HEADERS header
 * lines (FGW_ERR_TOO_LARGE), a missing Via, From, To, Call-ID or CSeq, a
 * body shorter than Content-Length (FGW_ERR_TRUNCATED). Returns 0,
 * FGW_ERR_PARSE, FGW_ERR_TOO_LARGE, FGW_ERR_TRUNCATED or FGW_ERR_NOMEM with
 * the reason in err (errsize bytes; may be NULL). */
int sipmsg_parse(const uint8_t *buf, size_t len, struct sipmsg **out,
		 char *err, size_t errsize);

/* Frees m; NULL is fine. */
void sipmsg_free(struct sipmsg *m);

/* Returns the underlying osip message, owned by m. */
struct osip_message *sipmsg_osip(struct sipmsg *m);

/* Returns true for a request, false for a response. */
bool sipmsg_is_request(const struct sipmsg *m);

/* Returns the method: the request's, or for a response its CSeq's. Owned by m. */
const char *sipmsg_method(const struct sipmsg *m);

/* Returns a response's status code, 0 for a request. */
int sipmsg_status(const struct sipmsg *m);

/* Returns the CSeq number and, via *method when not NULL, its method (owned
 * by m). Returns 0 or FGW_ERR_PARSE (not a number 0..2^31-1). */
int sipmsg_cseq(const struct sipmsg *m, uint32_t *num, const char **method);

/* Writes the Call-ID ("number@host" or "number") into buf. Returns 0 or
 * FGW_ERR_TOO_LARGE. */
int sipmsg_call_id(const struct sipmsg *m, char *buf, size_t size);

/* Return the tag parameter of From / To and the branch of the top Via, or
 * NULL when absent. Owned by m. */
const char *sipmsg_from_tag(const struct sipmsg *m);
const char *sipmsg_to_tag(const struct sipmsg *m);
const char *sipmsg_via_branch(const struct sipmsg *m);

/* Returns the user part of the Request-URI (the dialed number, e.g.
 * "061963177"), or NULL for a response or a URI without one. Owned by m. */
const char *sipmsg_request_user(const struct sipmsg *m);

/* Writes the first Contact's URI ("sip:user@host:port;transport=udp") into
 * buf. Returns 0, FGW_ERR_NOT_FOUND (no Contact, or "*") or
 * FGW_ERR_TOO_LARGE. */
int sipmsg_contact_uri(const struct sipmsg *m, char *buf, size_t size);

/* Writes the Content-Type as "type/subtype" (no parameters), lower case,
 * into buf. Returns 0, FGW_ERR_NOT_FOUND or FGW_ERR_TOO_LARGE. */
int sipmsg_content_type(const struct sipmsg *m, char *buf, size_t size);

/* Points *body at the first body (owned by m) and sets *len. Returns 0 or
 * FGW_ERR_NOT_FOUND (no body). */
int sipmsg_body(const struct sipmsg *m, const char **body, size_t *len);

/* What a response adds to what it copies from its request (Via, From, To,
 * Call-ID, CSeq). Any field may be NULL/0. */
struct sipmsg_reply {
	const char *to_tag;        /* added to To when the request had none */
	const char *contact;       /* "<sip:...>" */
	const char *content_type;  /* "application/sdp" */
	const char *body;
	size_t body_len;
};

/* Writes the response to req with status (100..699; the standard reason
 * phrase) into buf (size bytes, NUL-terminated), *out_len its length.
 * Returns 0, FGW_ERR_INVALID (req is a response, bad status, a field
 * holding CR/LF/NUL, osip refused a value), FGW_ERR_TOO_LARGE or
 * FGW_ERR_NOMEM. */
int sipmsg_build_response(const struct sipmsg *req, int status,
			  const struct sipmsg_reply *extra,
			  char *buf, size_t size, size_t *out_len);

/* A request to write. Header values are written as given after checks. */
struct sipmsg_request {
	const char *method;        /* "INVITE" */
	const char *uri;           /* "sip:0312345678@192.0.2.1" */
	const char *via;           /* "SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bK..." */
	const char *from;          /* "<sip:fax@192.0.2.2>;tag=..." */
	const char *to;
	const char *call_id;
	uint32_t cseq;
	const char *contact;       /* may be NULL */
	unsigned max_forwards;     /* 0 means 70 */
	const char *content_type;  /* may be NULL */
	const char *body;          /* may be NULL */
	size_t body_len;
};

/* Writes r into buf (size bytes, NUL-terminated), *out_len its length.
 * Returns 0, FGW_ERR_INVALID (a missing field, CR/LF/NUL inside one, or
 * osip refused a value), FGW_ERR_TOO_LARGE or FGW_ERR_NOMEM. */
int sipmsg_build_request(const struct sipmsg_request *r, char *buf, size_t size,
			 size_t *out_len);

#endif
