/* SIP transport on libevent: one UDP socket and one TCP listener bound to
 * the same address ([sip] listen), outgoing TCP connections made on demand
 * and reused by peer address. Every complete message (one UDP datagram, or
 * one Content-Length-framed message on a TCP stream) is parsed with
 * sipmsg_parse and handed to on_message; what does not parse is dropped
 * with a debug log. No transactions, no retransmissions (sip_ua does those).
 *
 * Limits: SIP_TRANSPORT_MAX_MSG bytes per TCP message (a stream that goes
 * beyond is closed), SIP_TRANSPORT_MAX_CONNS connections in and out
 * together (a new inbound one beyond is closed at once), and a connection
 * with no traffic for idle_ms (default SIP_TRANSPORT_IDLE_MS) is closed. */
#ifndef FAXGW_GATEWAY_SIP_TRANSPORT_H
#define FAXGW_GATEWAY_SIP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SIP_TRANSPORT_MAX_MSG (64 * 1024)
#define SIP_TRANSPORT_MAX_CONNS 256
#define SIP_TRANSPORT_IDLE_MS (5 * 60 * 1000)
#define SIP_ADDR_MAX 64            /* "[v6]:port" text, NUL included */

enum sip_proto {
	SIP_PROTO_UDP = 1,
	SIP_PROTO_TCP = 2,
};

/* Where a message came from, and how to answer it. For TCP, conn_id names
 * the connection (responses go back on it while it is open). */
struct sip_source {
	char addr[SIP_ADDR_MAX];       /* "127.0.0.1:5060" or "[::1]:5060" */
	int transport;                 /* enum sip_proto */
	uint64_t conn_id;              /* 0 for UDP */
	struct sockaddr_storage sa;
	socklen_t len;
};

struct event_base;
struct sipmsg;
struct sip_transport;

/* Called for every message that parsed. m and src are valid during the
 * call only (the transport frees m afterwards). */
typedef void sip_transport_msg_fn(void *arg, struct sipmsg *m, const struct sip_source *src);

/* TCP framing (RFC 3261 18.3): looks at the first len bytes of a stream
 * and sets *msg_len to the size of its first message (headers, blank line
 * and Content-Length body bytes) and *skip to the CRLF keep-alive bytes in
 * front of it. Returns 0 (a whole message is there), FGW_ERR_TRUNCATED
 * (wait for more bytes), FGW_ERR_PARSE (no usable Content-Length: the
 * stream cannot be framed) or FGW_ERR_TOO_LARGE (the message would exceed
 * SIP_TRANSPORT_MAX_MSG). Pure: the fuzzer calls it alone. */
int sip_transport_frame(const char *buf, size_t len, size_t *skip, size_t *msg_len);

/* Parses "ip:port" / "[v6]:port" (numeric, port 1..65535; port 0 only
 * when allow_zero) into sa. Returns 0 or FGW_ERR_INVALID. */
int sip_addr_parse(const char *text, bool allow_zero, struct sockaddr_storage *sa,
		   socklen_t *len);

/* Binds UDP and TCP on listen ("host:port", "[v6]:port"; numeric host;
 * port 0 picks a free port, the same for both) and starts receiving on
 * base. Returns 0 and *out (sip_transport_free), FGW_ERR_INVALID (listen is
 * not a numeric address with a port), FGW_ERR_IO (bind/listen failed; errno
 * kept and logged with the address) or FGW_ERR_NOMEM. */
int sip_transport_new(struct event_base *base, const char *listen,
		      sip_transport_msg_fn *on_message, void *arg,
		      struct sip_transport **out);

/* Closes the sockets and every connection; NULL is fine. */
void sip_transport_free(struct sip_transport *t);

/* Changes the idle timeout of TCP connections (tests use a short one). */
void sip_transport_set_idle_ms(struct sip_transport *t, unsigned idle_ms);

/* Sends len bytes back to dst: over UDP to dst->sa, over TCP on the
 * connection dst->conn_id. Returns 0, FGW_ERR_NOT_FOUND (that TCP
 * connection has closed), FGW_ERR_TOO_LARGE or FGW_ERR_IO. */
int sip_transport_send(struct sip_transport *t, const struct sip_source *dst,
		       const char *buf, size_t len);

/* Sends len bytes to host_port (numeric "ip:port") over proto: UDP from
 * our socket, TCP on an open connection to that address or a new one
 * (queued until connected). *conn_out (may be NULL) gets the connection id
 * (0 for UDP). Returns 0, FGW_ERR_INVALID, FGW_ERR_BUSY (connection limit),
 * FGW_ERR_TOO_LARGE or FGW_ERR_IO. */
int sip_transport_send_to(struct sip_transport *t, const char *host_port, int proto,
			  const char *buf, size_t len, uint64_t *conn_out);

/* Writes our bound address ("127.0.0.1:5060") for Via and Contact into
 * buf. Returns 0 or FGW_ERR_TOO_LARGE. */
int sip_transport_local(const struct sip_transport *t, char *buf, size_t size);

/* Returns the bound port (useful with port 0). */
unsigned sip_transport_port(const struct sip_transport *t);

/* Number of open TCP connections (in and out). */
unsigned sip_transport_conns(const struct sip_transport *t);

#endif
