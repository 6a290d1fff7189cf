/* The SIP transport: TCP framing by Content-Length (pure, exact results),
 * address parsing, and real sockets on 127.0.0.1: UDP and TCP delivery,
 * several messages in one segment and one message over several, the
 * 64 KiB limit, the connection limit, idle close, connection reuse. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/err.h"
#include "gateway/sip_transport.h"
#include "gateway/sipmsg.h"

#define MSG "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKt\r\n" \
	    "From: <sip:b@127.0.0.1>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: t@x\r\n" \
	    "CSeq: 1 OPTIONS\r\nContent-Length: 3\r\n\r\nabc"

/* ---- framing ------------------------------------------------------------------- */

static int frame(const char *s, size_t *skip, size_t *len)
{
	return sip_transport_frame(s, strlen(s), skip, len);
}

Test(sip_frame, whole_message_with_body)
{
	size_t skip, len;
	char two[1024];

	snprintf(two, sizeof two, "%s%s", MSG, MSG);
	cr_assert_eq(frame(two, &skip, &len), 0);
	cr_assert_eq(skip, 0);
	cr_assert_eq(len, strlen(MSG));
}

Test(sip_frame, compact_l_and_spaces_before_colon)
{
	size_t skip, len;
	const char *m = "BYE sip:a@b SIP/2.0\r\nl  : 2\r\n\r\nxy";

	cr_assert_eq(frame(m, &skip, &len), 0);
	cr_assert_eq(len, strlen(m));
}

Test(sip_frame, crlf_keepalives_are_skipped)
{
	size_t skip, len;
	char m[1024];

	snprintf(m, sizeof m, "\r\n\r\n%s", MSG);
	cr_assert_eq(frame(m, &skip, &len), 0);
	cr_assert_eq(skip, 4);
	cr_assert_eq(len, strlen(MSG));
	cr_assert_eq(frame("\r\n\r\n", &skip, &len), FGW_ERR_TRUNCATED);
	cr_assert_eq(skip, 4);
}

Test(sip_frame, truncated_headers_or_body_wait_for_more)
{
	size_t skip, len;
	char m[1024];

	snprintf(m, sizeof m, "%s", MSG);
	m[strlen(m) - 1] = '\0';                 /* one body byte missing */
	cr_assert_eq(frame(m, &skip, &len), FGW_ERR_TRUNCATED);
	m[40] = '\0';                            /* inside the headers */
	cr_assert_eq(frame(m, &skip, &len), FGW_ERR_TRUNCATED);
}

Test(sip_frame, missing_bad_or_conflicting_content_length_cannot_be_framed)
{
	size_t skip, len;

	cr_assert_eq(frame("BYE sip:a@b SIP/2.0\r\nCSeq: 1 BYE\r\n\r\n", &skip, &len), FGW_ERR_PARSE);
	cr_assert_eq(frame("BYE sip:a@b SIP/2.0\r\nContent-Length: x1\r\n\r\n", &skip, &len),
		     FGW_ERR_PARSE);
	cr_assert_eq(frame("BYE sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n", &skip, &len),
		     FGW_ERR_PARSE);
	cr_assert_eq(frame("BYE sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab", &skip, &len),
		     FGW_ERR_PARSE);
}

Test(sip_frame, over_64_kib_is_refused)
{
	size_t skip, len;
	size_t n = SIP_TRANSPORT_MAX_MSG + 10;
	char *big = malloc(n + 1);

	cr_assert_not_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	cr_assert_eq(frame(big, &skip, &len), FGW_ERR_TOO_LARGE, "headers without end");
	free(big);
	cr_assert_eq(frame("BYE sip:a@b SIP/2.0\r\nContent-Length: 65536\r\n\r\n", &skip, &len),
		     FGW_ERR_TOO_LARGE);
}

Test(sip_addr, numeric_addresses_only)
{
	struct sockaddr_storage sa;
	socklen_t len;

	cr_assert_eq(sip_addr_parse("127.0.0.1:5060", false, &sa, &len), 0);
	cr_assert_eq(sa.ss_family, AF_INET);
	cr_assert_eq(ntohs(((struct sockaddr_in *)&sa)->sin_port), 5060);
	cr_assert_eq(sip_addr_parse("[::1]:5061", false, &sa, &len), 0);
	cr_assert_eq(sa.ss_family, AF_INET6);
	cr_assert_eq(sip_addr_parse("127.0.0.1:0", false, &sa, &len), FGW_ERR_INVALID);
	cr_assert_eq(sip_addr_parse("127.0.0.1:0", true, &sa, &len), 0);
	cr_assert_eq(sip_addr_parse("example.com:5060", false, &sa, &len), FGW_ERR_INVALID);
	cr_assert_eq(sip_addr_parse("::1:5060", false, &sa, &len), FGW_ERR_INVALID);
	cr_assert_eq(sip_addr_parse("127.0.0.1", false, &sa, &len), FGW_ERR_INVALID);
	cr_assert_eq(sip_addr_parse("127.0.0.1:65536", false, &sa, &len), FGW_ERR_INVALID);
}

/* ---- sockets ------------------------------------------------------------------- */

static struct event_base *base;
static struct sip_transport *T;
static int got;
static char last_method[16];
static struct sip_source last_src;

static void on_msg(void *arg, struct sipmsg *m, const struct sip_source *src)
{
	(void)arg;
	got++;
	snprintf(last_method, sizeof last_method, "%s", sipmsg_method(m));
	last_src = *src;
}

static void run_ms(int ms)
{
	struct timeval step = { 0, 10000 };

	for (int i = 0; i < ms; i += 10) {
		event_base_loopexit(base, &step);
		event_base_dispatch(base);
	}
}

static void run_until_got(int want, int ms)
{
	for (int i = 0; i < ms && got < want; i += 10)
		run_ms(10);
}

static void setup(void)
{
	got = 0;
	base = event_base_new();
	cr_assert_not_null(base);
	cr_assert_eq(sip_transport_new(base, "127.0.0.1:0", on_msg, NULL, &T), 0);
}

static void teardown(void)
{
	sip_transport_free(T);
	event_base_free(base);
}

static int tcp_connect(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)sip_transport_port(T)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "%s", strerror(errno));
	return fd;
}

static void send_all(int fd, const char *buf, size_t n)
{
	cr_assert_eq(send(fd, buf, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* True when the peer closed fd (EOF or reset) within ms while the loop runs. */
static bool closed_by_transport(int fd, int ms)
{
	char c;

	for (int i = 0; i < ms; i += 10) {
		run_ms(10);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 0) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) <= 0)
			return true;
	}
	return false;
}

TestSuite(sip_transport, .init = setup, .fini = teardown, .timeout = 60);

Test(sip_transport, udp_datagram_delivered_with_its_source)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)sip_transport_port(T)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char local[64];

	cr_assert_eq(sendto(fd, MSG, strlen(MSG), 0, (struct sockaddr *)&a, sizeof a), (ssize_t)strlen(MSG));
	run_until_got(1, 2000);
	cr_assert_eq(got, 1);
	cr_assert_str_eq(last_method, "OPTIONS");
	cr_assert_eq(last_src.transport, SIP_PROTO_UDP);
	cr_assert_eq(strncmp(last_src.addr, "127.0.0.1:", 10), 0);
	cr_assert_eq(sip_transport_local(T, local, sizeof local), 0);
	cr_assert_eq(strncmp(local, "127.0.0.1:", 10), 0);
	close(fd);
}

Test(sip_transport, udp_over_8_kib_dropped)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)sip_transport_port(T)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static char big[SIPMSG_MAX_UDP + 100];

	memset(big, 'a', sizeof big);
	memcpy(big, MSG, strlen(MSG));
	cr_assert_eq(sendto(fd, big, sizeof big, 0, (struct sockaddr *)&a, sizeof a), (ssize_t)sizeof big);
	cr_assert_eq(sendto(fd, MSG, strlen(MSG), 0, (struct sockaddr *)&a, sizeof a), (ssize_t)strlen(MSG));
	run_until_got(1, 2000);
	run_ms(100);
	cr_assert_eq(got, 1, "only the small one");
	close(fd);
}

Test(sip_transport, tcp_two_messages_in_one_segment_and_one_in_pieces)
{
	int fd = tcp_connect();
	char two[1024];
	size_t n = strlen(MSG);

	snprintf(two, sizeof two, "%s%s", MSG, MSG);
	send_all(fd, two, strlen(two));
	run_until_got(2, 2000);
	cr_assert_eq(got, 2);
	cr_assert_eq(last_src.transport, SIP_PROTO_TCP);
	cr_assert_neq(last_src.conn_id, 0);
	send_all(fd, MSG, 50);
	run_ms(100);
	cr_assert_eq(got, 2, "half a message is not a message");
	send_all(fd, MSG + 50, n - 50);
	run_until_got(3, 2000);
	cr_assert_eq(got, 3);
	/* the answer goes back on the same connection */
	cr_assert_eq(sip_transport_send(T, &last_src, "SIP/2.0 200 OK\r\n\r\n", 18), 0);
	run_ms(50);
	char buf[64];
	cr_assert_eq(recv(fd, buf, sizeof buf, MSG_DONTWAIT), 18);
	close(fd);
}

Test(sip_transport, tcp_message_over_64_kib_closes_the_connection)
{
	int fd = tcp_connect();
	char hdr[128];
	static char body[SIP_TRANSPORT_MAX_MSG];

	snprintf(hdr, sizeof hdr, "BYE sip:a@b SIP/2.0\r\nContent-Length: %d\r\n\r\n",
		 SIP_TRANSPORT_MAX_MSG);
	send_all(fd, hdr, strlen(hdr));
	memset(body, 'a', sizeof body);
	(void)send(fd, body, sizeof body, MSG_NOSIGNAL | MSG_DONTWAIT);
	cr_assert(closed_by_transport(fd, 2000));
	cr_assert_eq(sip_transport_conns(T), 0);
	cr_assert_eq(got, 0);
	close(fd);
}

Test(sip_transport, tcp_without_content_length_closes_the_connection)
{
	int fd = tcp_connect();
	const char *m = "BYE sip:a@b SIP/2.0\r\nCSeq: 1 BYE\r\n\r\n";

	send_all(fd, m, strlen(m));
	cr_assert(closed_by_transport(fd, 2000));
	close(fd);
}

Test(sip_transport, idle_tcp_connection_closed)
{
	sip_transport_set_idle_ms(T, 200);
	int fd = tcp_connect();

	run_ms(50);
	cr_assert_eq(sip_transport_conns(T), 1);
	cr_assert(closed_by_transport(fd, 2000));
	cr_assert_eq(sip_transport_conns(T), 0);
	close(fd);
}

Test(sip_transport, connections_beyond_the_limit_are_closed)
{
	static int fds[SIP_TRANSPORT_MAX_CONNS + 1];

	for (int i = 0; i < SIP_TRANSPORT_MAX_CONNS; i++) {
		fds[i] = tcp_connect();
		if (i % 32 == 31)
			run_ms(10);
	}
	run_ms(200);
	cr_assert_eq(sip_transport_conns(T), SIP_TRANSPORT_MAX_CONNS);
	fds[SIP_TRANSPORT_MAX_CONNS] = tcp_connect();
	cr_assert(closed_by_transport(fds[SIP_TRANSPORT_MAX_CONNS], 2000));
	cr_assert_eq(sip_transport_conns(T), SIP_TRANSPORT_MAX_CONNS);
	for (int i = 0; i <= SIP_TRANSPORT_MAX_CONNS; i++)
		close(fds[i]);
}

Test(sip_transport, outgoing_tcp_connection_reused)
{
	struct sip_transport *U;
	char to[64];
	uint64_t c1, c2;

	cr_assert_eq(sip_transport_new(base, "127.0.0.1:0", on_msg, NULL, &U), 0);
	snprintf(to, sizeof to, "127.0.0.1:%u", sip_transport_port(T));
	cr_assert_eq(sip_transport_send_to(U, to, SIP_PROTO_TCP, MSG, strlen(MSG), &c1), 0);
	cr_assert_eq(sip_transport_send_to(U, to, SIP_PROTO_TCP, MSG, strlen(MSG), &c2), 0);
	cr_assert_eq(c1, c2);
	run_until_got(2, 2000);
	cr_assert_eq(got, 2);
	cr_assert_eq(sip_transport_conns(U), 1);
	cr_assert_eq(sip_transport_send_to(U, "nonsense", SIP_PROTO_TCP, MSG, 3, NULL), FGW_ERR_INVALID);
	sip_transport_free(U);
}
