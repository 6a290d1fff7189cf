/* The web server's limits and speed on real sockets (TLS on loopback, a
 * real faxgwd): bodies judged from the request head before they are read
 * (web/gate.c, web_body_verdict), uploads by a logged-in user still taken,
 * keep-alive, Nagle off, and the Send page's conversion in a child process
 * not holding up other requests. Plus the head parser and the verdict on
 * their own. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "common/err.h"
#include "common/str.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/web_harness_mb.h"
#include "storage/catalog_users.h"
#include "web/auth.h"
#include "web/gate.h"
#include "web/http_parse.h"
#include "web/web.h"

#define ADMIN_PW "Quiet-Lantern-Harbour-7"
#define BOUNDARY "b0undaryW2xq"
#define BIG (20u * 1024 * 1024)
#define END "\r\n--" BOUNDARY "--\r\n"

/* ---- a TLS client -------------------------------------------------------- */

struct tc {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
};

static void tc_open(struct tc *t, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	t->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(t->fd, 0);
	cr_assert_eq(connect(t->fd, (struct sockaddr *)&a, sizeof a), 0, "connect: %s",
		     strerror(errno));
	t->ctx = SSL_CTX_new(TLS_client_method());
	cr_assert_not_null(t->ctx);
	t->ssl = SSL_new(t->ctx);
	cr_assert_not_null(t->ssl);
	cr_assert_eq(SSL_set_fd(t->ssl, t->fd), 1);
	cr_assert_eq(SSL_connect(t->ssl), 1, "TLS handshake with faxgwd failed");
}

static void tc_close(struct tc *t)
{
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	close(t->fd);
}

/* Writes all of p; returns the bytes written before an error. */
static size_t tc_write_try(struct tc *t, const void *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		int w = SSL_write(t->ssl, (const char *)p + done,
				  (int)(n - done > 65536 ? 65536 : n - done));
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	return done;
}

static void tc_write(struct tc *t, const void *p, size_t n)
{
	cr_assert_eq(tc_write_try(t, p, n), n, "the server stopped reading");
}

static void tc_puts(struct tc *t, const char *s)
{
	tc_write(t, s, strlen(s));
}

/* Reads one response (head and Content-Length body) into buf, NUL-ended;
 * returns its status. */
static int tc_response(struct tc *t, char *buf, size_t size)
{
	size_t got = 0, need = 0;
	char *end = NULL;

	for (;;) {
		int n = SSL_read(t->ssl, buf + got, (int)(size - 1 - got));

		cr_assert_gt(n, 0, "the connection ended before a whole response (%zu bytes)",
			     got);
		got += (size_t)n;
		buf[got] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");
			long long len;

			cr_assert_not_null(cl, "no Content-Length in:\n%s", buf);
			len = strtoll(cl + 17, NULL, 10);
			cr_assert_geq(len, 0);
			need = (size_t)(end - buf) + 4 + (size_t)len;
			cr_assert_lt(need, size, "response larger than the test's buffer");
		}
		if (end && got >= need)
			return (int)strtol(buf + 9, NULL, 10);
	}
}

/* Which of two connections has application data first (0 or 1): TLS 1.3
 * session tickets make a socket readable without any answer, so peek
 * through TLS rather than poll the sockets alone. */
static int first_answer(struct tc *a, struct tc *b)
{
	struct tc *t[2] = { a, b };
	int found = -1;
	char c;

	for (int i = 0; i < 2; i++)
		cr_assert_eq(fcntl(t[i]->fd, F_SETFL, O_NONBLOCK), 0);
	for (int round = 0; found < 0 && round < 3000; round++) {
		struct pollfd p[2] = { { .fd = a->fd, .events = POLLIN },
				       { .fd = b->fd, .events = POLLIN } };

		for (int i = 0; i < 2 && found < 0; i++)
			if (SSL_peek(t[i]->ssl, &c, 1) > 0)
				found = i;
		if (found < 0)
			cr_assert_geq(poll(p, 2, 10), 0);
	}
	for (int i = 0; i < 2; i++)
		cr_assert_eq(fcntl(t[i]->fd, F_SETFL, 0), 0);
	cr_assert_geq(found, 0, "no answer within 30 s");
	return found;
}

/* ---- the device ----------------------------------------------------------- */

static struct dh *h;
static int port;
static char cookie[160], csrf[AUTH_TOKEN_HEX + 1];
static char resp[1 << 20];

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* [web] listen on our port (dh_config's overrides are not per section and
 * [sip] has a listen too). */
static void web_listen(void)
{
	static char text[65536], out[70000];
	char line[64];
	const char *old = "listen = 127.0.0.1:8443\n", *at;
	FILE *f;

	cr_assert_gt(dh_read_file(dh_config_path(h), text, sizeof text), 0);
	at = strstr(text, old);
	cr_assert_not_null(at, "the test config has no [web] %s", old);
	cr_assert_eq(str_format(line, sizeof line, "listen = 127.0.0.1:%d\n", port), 0);
	cr_assert_eq(str_format(out, sizeof out, "%.*s%s%s", (int)(at - text), text, line,
				at + strlen(old)), 0);
	f = fopen(dh_config_path(h), "w");
	cr_assert_not_null(f);
	cr_assert_eq(fputs(out, f) >= 0, 1);
	cr_assert_eq(fclose(f), 0);
}

/* The first admin, from loopback; keeps its cookie and CSRF token. */
static void make_admin(void)
{
	const char *body = "user=admin&password=" ADMIN_PW "&password2=" ADMIN_PW;
	char req[512];
	const char *sc;
	struct tc t;

	tc_open(&t, port);
	cr_assert_eq(str_format(req, sizeof req, "POST /setup HTTP/1.1\r\nHost: x\r\n"
				"Content-Type: application/x-www-form-urlencoded\r\n"
				"Content-Length: %zu\r\n\r\n%s", strlen(body), body), 0);
	tc_puts(&t, req);
	cr_assert_eq(tc_response(&t, resp, sizeof resp), 303, "%s", resp);
	sc = strcasestr(resp, "\r\nSet-Cookie: ");
	cr_assert_not_null(sc);
	sc += 14;
	cr_assert_eq(str_format(cookie, sizeof cookie, "%.*s", (int)strcspn(sc, ";\r"), sc), 0);
	cr_assert_eq(auth_token_derive("csrf", strchr(cookie, '=') + 1, csrf), FGW_OK);
	tc_close(&t);
}

/* The listener comes up with the daemon; a few tries. */
static void wait_web(void)
{
	for (int i = 0; i < 100; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;

		close(fd);
		if (ok)
			return;
		dh_sleep_ms(50);
	}
	cr_assert_fail("faxgwd does not listen on 127.0.0.1:%d", port);
}

static void start(void)
{
	char crt[4200];
	struct stat st;

	signal(SIGPIPE, SIG_IGN);
	h = dh_new();
	/* `faxgw init` made the HTTPS certificate with the device */
	cr_assert_eq(str_format(crt, sizeof crt, "%s/tls/server.crt", dh_data(h)), 0);
	cr_assert_eq(stat(crt, &st), 0, "faxgw init made no %s", crt);
	port = free_port();
	web_listen();
	dh_start(h);
	wait_web();
	make_admin();
}

static void stop(void)
{
	if (h)
		dh_free(h);
	h = NULL;
}

/* Peak resident memory of faxgwd, in KiB. */
static long daemon_hwm_kib(void)
{
	char path[64], text[8192];
	const char *p;

	cr_assert_eq(str_format(path, sizeof path, "/proc/%d/status", (int)dh_pid(h)), 0);
	cr_assert_gt(dh_read_file(path, text, sizeof text), 0);
	p = strstr(text, "VmHWM:");
	cr_assert_not_null(p);
	return strtol(p + 6, NULL, 10);
}

/* A request head with a body of len bytes to come. */
static void big_head(struct tc *t, const char *path, const char *with_cookie, size_t len)
{
	char req[1024];

	cr_assert_eq(str_format(req, sizeof req, "POST %s HTTP/1.1\r\nHost: x\r\n%s%s%s"
				"Content-Type: multipart/form-data; boundary=" BOUNDARY "\r\n"
				"Content-Length: %zu\r\n\r\n", path,
				with_cookie ? "Cookie: " : "", with_cookie ? with_cookie : "",
				with_cookie ? "\r\n" : "", len), 0);
	tc_puts(t, req);
}

/* Sends the rest of a BIG body after a refusal: the daemon must have
 * closed the connection long before it is all through. */
static void assert_body_not_taken(struct tc *t)
{
	char *junk = calloc(1, BIG);

	cr_assert_not_null(junk);
	cr_assert_lt(tc_write_try(t, junk, BIG), BIG,
		     "the daemon took the whole 20 MiB body it had refused");
	free(junk);
}

TestSuite(web_limits, .init = start, .fini = stop, .timeout = 120);

Test(web_limits, unauthenticated_20mib_upload_refused_before_reading)
{
	long before = daemon_hwm_kib();
	struct tc t;

	tc_open(&t, port);
	big_head(&t, "/send", NULL, BIG);
	cr_assert_eq(tc_response(&t, resp, sizeof resp), 403, "%s", resp);
	cr_assert_not_null(strstr(resp, "The upload was not read."));
	cr_assert_not_null(strcasestr(resp, "\r\nConnection: close"));
	cr_assert_not_null(strstr(resp, "Content-Security-Policy"), "security headers too");
	assert_body_not_taken(&t);
	tc_close(&t);
	cr_assert_lt(daemon_hwm_kib() - before, 8 * 1024, "faxgwd's peak memory grew by %ld KiB",
		     daemon_hwm_kib() - before);
}

Test(web_limits, large_body_on_a_form_route_refused_with_413)
{
	struct tc t;

	tc_open(&t, port);
	big_head(&t, "/login", NULL, BIG);
	cr_assert_eq(tc_response(&t, resp, sizeof resp), 413, "%s", resp);
	cr_assert_not_null(strstr(resp, "forms take at most 64 KiB"));
	assert_body_not_taken(&t);
	tc_close(&t);
	/* the same from a logged-in admin: only the upload route takes more */
	tc_open(&t, port);
	big_head(&t, "/logs/verify", cookie, 100000);
	cr_assert_eq(tc_response(&t, resp, sizeof resp), 413, "%s", resp);
	tc_close(&t);
}

Test(web_limits, upload_over_25mib_refused_even_when_logged_in)
{
	struct tc t;

	tc_open(&t, port);
	big_head(&t, "/send", cookie, 26u * 1024 * 1024);
	cr_assert_eq(tc_response(&t, resp, sizeof resp), 413, "%s", resp);
	tc_close(&t);
}

Test(web_limits, chunked_bodies_refused_with_411)
{
	struct tc t;

	tc_open(&t, port);
	tc_puts(&t, "POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5\r\nuser=\r\n0\r\n\r\n");
	cr_assert_eq(tc_response(&t, resp, sizeof resp), 411, "%s", resp);
	tc_close(&t);
}

Test(web_limits, forged_refusal_header_is_dropped)
{
	struct tc t;

	tc_open(&t, port);
	tc_puts(&t, "GET /login HTTP/1.1\r\nHost: x\r\n" GATE_MARK ": 413\r\n\r\n");
	cr_assert_eq(tc_response(&t, resp, sizeof resp), 200, "%s", resp);
	tc_close(&t);
}

/* The page's message box, for failure reports. */
static const char *message(const char *page)
{
	const char *m = strstr(page, "<div class=\"msg");

	return m ? m : page;
}

/* A multipart upload of the file at rel (testdata) with the form fields. */
static char *upload_body(const char *rel, const char *name, size_t *len)
{
	char path[512], head[1024];
	const char *td = getenv("FAXGW_TESTDATA");
	FILE *f;
	struct stat st;
	char *body;
	int n;

	cr_assert_not_null(td, "FAXGW_TESTDATA must name the test data folder");
	cr_assert_eq(str_format(path, sizeof path, "%s/%s", td, rel), 0);
	cr_assert_eq(stat(path, &st), 0, "%s is missing", path);
	n = snprintf(head, sizeof head, "--" BOUNDARY "\r\nContent-Disposition: form-data; "
		     "name=\"csrf\"\r\n\r\n%s\r\n--" BOUNDARY "\r\nContent-Disposition: "
		     "form-data; name=\"to\"\r\n\r\n0312345678\r\n--" BOUNDARY "\r\n"
		     "Content-Disposition: form-data; name=\"confirm\"\r\n\r\n0312345678\r\n--"
		     BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; "
		     "filename=\"%s\"\r\nContent-Type: application/octet-stream\r\n\r\n", csrf,
		     name);
	cr_assert(n > 0 && (size_t)n < sizeof head);
	body = malloc((size_t)n + (size_t)st.st_size + 64);
	cr_assert_not_null(body);
	memcpy(body, head, (size_t)n);
	f = fopen(path, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(body + n, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	*len = (size_t)n + (size_t)st.st_size;
	memcpy(body + *len, END, strlen(END));
	*len += strlen(END);
	return body;
}

static void send_upload(struct tc *t, const char *body, size_t len)
{
	big_head(t, "/send", cookie, len);
	tc_write(t, body, len);
}

Test(web_limits, logged_in_upload_over_64kib_is_taken_and_the_connection_kept)
{
	size_t len;
	char *body = upload_body("tiff/asterisk-testsuite__send.tiff", "scan.tif", &len);
	struct tc t;

	cr_assert_gt(len, WEB_FORM_BODY_MAX, "the test needs a body above the form limit");
	tc_open(&t, port);
	send_upload(&t, body, len);
	cr_assert_eq(tc_response(&t, resp, sizeof resp), 200, "%s", message(resp));
	cr_assert_not_null(strstr(resp, "page(s) of <strong>scan.tif</strong> will be sent to"),
			   "%s", message(resp));
	/* the next request on the same connection is read as a new head */
	tc_puts(&t, "GET /login HTTP/1.1\r\nHost: x\r\n\r\n");
	cr_assert_eq(tc_response(&t, resp, sizeof resp), 200, "%s", resp);
	tc_close(&t);
	free(body);
}

Test(web_limits, keep_alive_answers_in_a_row_without_nagle_delays)
{
	struct timespec a, b;
	struct tc t;
	long ms;

	tc_open(&t, port);
	tc_puts(&t, "GET /login HTTP/1.1\r\nHost: x\r\n\r\n");
	cr_assert_eq(tc_response(&t, resp, sizeof resp), 200);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 10; i++) {
		tc_puts(&t, "GET /static/style.css HTTP/1.1\r\nHost: x\r\n\r\n");
		cr_assert_eq(tc_response(&t, resp, sizeof resp), 200);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	/* with Nagle on, each answer's last TLS record waits ~40 ms for the
	 * delayed ACK: 10 answers would take 400 ms or more */
	cr_assert_lt(ms, 400, "10 answers on one connection took %ld ms", ms);
	tc_close(&t);
}

/* A gs in front of the real one that says it started, then dawdles. */
static void slow_gs(void)
{
	static char path_env[4096];
	const char *bin = dh_mkdir(h, "bin");
	char script[256];
	FILE *f;

	cr_assert_eq(access("/usr/bin/gs", X_OK), 0, "Ghostscript (/usr/bin/gs) is needed");
	cr_assert_eq(str_format(script, sizeof script, "%s/gs", bin), 0);
	f = fopen(script, "w");
	cr_assert_not_null(f);
	cr_assert_geq(fprintf(f, "#!/bin/sh\n: > \"$0.started\"\nsleep 2\n"
			      "exec /usr/bin/gs \"$@\"\n"), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(script, 0755), 0);
	cr_assert_eq(str_format(path_env, sizeof path_env, "%s:%s", bin, getenv("PATH")), 0);
	cr_assert_eq(setenv("PATH", path_env, 1), 0);
}

/* A one-page PDF with correct cross-references. */
static size_t make_pdf(char *out, size_t size)
{
	static const char content[] = "100 100 300 500 re f";
	char stream[128];
	const char *const obj[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
		stream,
	};
	size_t off[4], n = 0;

	cr_assert_eq(str_format(stream, sizeof stream, "<< /Length %zu >>\nstream\n%s\n"
				"endstream", strlen(content), content), 0);

	n += (size_t)snprintf(out + n, size - n, "%%PDF-1.4\n");
	for (int i = 0; i < 4; i++) {
		off[i] = n;
		n += (size_t)snprintf(out + n, size - n, "%d 0 obj\n%s\nendobj\n", i + 1, obj[i]);
	}
	size_t xref = n;
	n += (size_t)snprintf(out + n, size - n, "xref\n0 5\n0000000000 65535 f \n");
	for (int i = 0; i < 4; i++)
		n += (size_t)snprintf(out + n, size - n, "%010zu 00000 n \n", off[i]);
	n += (size_t)snprintf(out + n, size - n, "trailer\n<< /Size 5 /Root 1 0 R >>\n"
			      "startxref\n%zu\n%%%%EOF\n", xref);
	cr_assert_lt(n, size);
	return n;
}

/* Connections still open when faxgwd stops are freed with it: under the
 * sanitizers a leaked per-connection gate made faxgwd exit non-zero. */
Test(web_limits, stop_with_connections_open_exits_cleanly)
{
	struct tc idle, half;

	tc_open(&idle, port);                     /* TLS done, no request */
	tc_open(&half, port);
	tc_puts(&half, "GET /login HTTP/1.1\r\nHost: x\r\n");   /* head not finished */
	dh_sleep_ms(200);
	cr_assert_eq(dh_stop(h), 0, "faxgwd did not exit cleanly with connections open");
	tc_close(&idle);
	tc_close(&half);
	dh_start(h);                              /* for the suite's other tests */
	wait_web();
}

Test(web_limits, slow_conversion_does_not_hold_up_other_requests)
{
	char pdf[2048], head[1024], marker[256];
	size_t plen, hlen;
	struct tc slow, quick;
	struct stat st;
	int i;

	/* a daemon started with the dawdling gs first in its PATH */
	cr_assert_eq(dh_stop(h), 0);
	slow_gs();
	dh_start(h);
	wait_web();
	plen = make_pdf(pdf, sizeof pdf);
	hlen = (size_t)snprintf(head, sizeof head, "--" BOUNDARY "\r\nContent-Disposition: "
				"form-data; name=\"csrf\"\r\n\r\n%s\r\n--" BOUNDARY "\r\n"
				"Content-Disposition: form-data; name=\"to\"\r\n\r\n0312345678\r\n--"
				BOUNDARY "\r\nContent-Disposition: form-data; name=\"confirm\"\r\n\r\n"
				"0312345678\r\n--" BOUNDARY "\r\nContent-Disposition: form-data; "
				"name=\"file\"; filename=\"memo.pdf\"\r\n\r\n", csrf);
	tc_open(&slow, port);
	tc_open(&quick, port);
	big_head(&slow, "/send", cookie, hlen + plen + strlen(END));
	tc_write(&slow, head, hlen);
	tc_write(&slow, pdf, plen);
	tc_puts(&slow, END);
	/* wait until Ghostscript runs for this upload, then ask for another page */
	cr_assert_eq(str_format(marker, sizeof marker, "%s/bin/gs.started", dh_dir(h)), 0);
	for (i = 0; i < 200 && stat(marker, &st) != 0; i++)
		dh_sleep_ms(25);
	cr_assert_lt(i, 200, "Ghostscript did not start for the upload");
	tc_puts(&quick, "GET /login HTTP/1.1\r\nHost: x\r\n\r\n");
	cr_assert_eq(first_answer(&slow, &quick), 1, "the upload was answered before the "
		     "login page: the conversion held up the loop");
	cr_assert_eq(tc_response(&quick, resp, sizeof resp), 200);
	/* one conversion at a time per session: a second upload meanwhile waits its turn */
	big_head(&quick, "/send", cookie, hlen + plen + strlen(END));
	tc_write(&quick, head, hlen);
	tc_write(&quick, pdf, plen);
	tc_puts(&quick, END);
	cr_assert_eq(first_answer(&slow, &quick), 1);
	cr_assert_eq(tc_response(&quick, resp, sizeof resp), 429, "%s", message(resp));
	cr_assert_not_null(strstr(resp, "Another document is being converted"));
	/* and the upload's answer follows, converted */
	cr_assert_eq(tc_response(&slow, resp, sizeof resp), 200, "%s", message(resp));
	cr_assert_not_null(strstr(resp, "1 page(s) of <strong>memo.pdf</strong> will be sent"),
			   "%s", message(resp));
	tc_close(&slow);
	tc_close(&quick);
}

/* ---- the head parser on its own ------------------------------------------- */

TestSuite(web_gate, .timeout = 120);

Test(web_gate, complete_head_with_length_and_cookie)
{
	const char *in = "POST /send?x=1 HTTP/1.1\r\nHost: a\r\nCookie: k=v; j=w\r\n"
			 "Cookie: second=1\r\ncontent-length:  \t123 \r\n\r\nBODY";
	struct gate_head g;

	cr_assert_eq(gate_parse(in, strlen(in), &g), FGW_OK);
	cr_assert_eq(g.status, 0);
	cr_assert_str_eq(g.method, "POST");
	cr_assert_str_eq(g.path, "/send");
	cr_assert_str_eq(g.cookie, "k=v; j=w", "the first Cookie header, as evhttp reads it");
	cr_assert_eq(g.length, 123);
	cr_assert_eq(g.end, strlen(in) - 4);
}

Test(web_gate, only_the_first_cookie_header_counts_even_when_too_long)
{
	static char in[GATE_COOKIE_MAX + 200];
	struct gate_head g;
	size_t n = 0;

	n += (size_t)snprintf(in, sizeof in, "POST /send HTTP/1.1\r\nCookie: ");
	memset(in + n, 'k', GATE_COOKIE_MAX);
	n += GATE_COOKIE_MAX;
	n += (size_t)snprintf(in + n, sizeof in - n, "\r\nCookie: __Host-faxgw=1\r\n\r\n");
	cr_assert_eq(gate_parse(in, n, &g), FGW_OK);
	cr_assert_eq(g.status, 0);
	cr_assert_str_eq(g.cookie, "", "not the second header: the app reads the first");
}

Test(web_gate, incomplete_head_waits_then_431)
{
	static char big[GATE_HEAD_MAX + 10];
	struct gate_head g;

	cr_assert_eq(gate_parse("GET / HTTP/1.1\r\nHost: a\r\n", 26, &g), FGW_ERR_TRUNCATED);
	memset(big, 'a', sizeof big);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	cr_assert_eq(gate_parse(big, sizeof big, &g), FGW_OK);
	cr_assert_eq(g.status, 431);
}

Test(web_gate, lf_only_line_ends_end_the_head_as_in_evhttp)
{
	const char *in = "GET /login HTTP/1.1\nHost: a\n\nGET";
	struct gate_head g;

	cr_assert_eq(gate_parse(in, strlen(in), &g), FGW_OK);
	cr_assert_eq(g.end, strlen(in) - 3);
	cr_assert_eq(g.length, 0);
}

Test(web_gate, framing_that_could_desync_is_refused)
{
	static const struct { const char *head; int status; } cases[] = {
		{"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nContent-Length: 1234567890123456789\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nContent-Length: 5\r\n 6\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nNoColonHere\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411},
		{"POST / HTTP/1.1\r\ntransfer-encoding: identity\r\n\r\n", 411},
		{"GARBAGE\r\n\r\n", 400},
		{"GET /login HTTP/1.1\r\nContent-Length: 40\r\n\r\n", 400},
		{"post /send HTTP/1.1\r\nContent-Length: 40\r\n\r\n", 400},
		{"\r\n\r\n", 400},
	};
	struct gate_head g;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert_eq(gate_parse(cases[i].head, strlen(cases[i].head), &g), FGW_OK, "%zu", i);
		cr_assert_eq(g.status, cases[i].status, "case %zu: %d", i, g.status);
	}
}

static int collect(void *arg, const char *line, size_t len)
{
	char *out = arg;
	size_t n = strlen(out);

	memcpy(out + n, line, len);
	memcpy(out + n + len, "|", 2);
	return 0;
}

Test(web_gate, lines_are_passed_on_without_the_refusal_marker)
{
	const char *in = "GET / HTTP/1.1\nHost: a\r\nx-faxgw-refused: 413\r\nB: c\r\n\r\n";
	char out[256] = "";
	struct gate_head g;

	cr_assert_eq(gate_parse(in, strlen(in), &g), FGW_OK);
	cr_assert_eq(gate_lines(in, g.end, collect, out), 0);
	cr_assert_str_eq(out, "GET / HTTP/1.1|Host: a|B: c|");
}

/* ---- the verdict --------------------------------------------------------- */

static struct whm w;

static void verdict_setup(void)
{
	whm_setup(&w);
}

static void verdict_teardown(void)
{
	whm_teardown(&w);
}

TestSuite(web_verdict, .init = verdict_setup, .fini = verdict_teardown, .timeout = 120);

Test(web_verdict, small_bodies_pass_large_ones_only_as_uploads_of_senders)
{
	struct whm_session op, aud;
	struct catalog_user u;

	whm_add_user(&w, "op", "operator");
	whm_add_user(&w, "aud", "auditor");
	whm_login(&w, "op", &op);
	whm_login(&w, "aud", &aud);
	cr_assert_eq(web_body_verdict(w.app, "POST", "/login", NULL, WEB_FORM_BODY_MAX), 0);
	cr_assert_eq(web_body_verdict(w.app, "POST", "/login", NULL, WEB_FORM_BODY_MAX + 1), 413);
	cr_assert_eq(web_body_verdict(w.app, "POST", "/logs/verify", op.cookie, 100000), 413);
	cr_assert_eq(web_body_verdict(w.app, "POST", "/send", NULL, 100000), 403);
	cr_assert_eq(web_body_verdict(w.app, "POST", "/send", "__Host-faxgw=00", 100000), 403);
	cr_assert_eq(web_body_verdict(w.app, "POST", "/send", aud.cookie, 100000), 403);
	cr_assert_eq(web_body_verdict(w.app, "POST", "/send", op.cookie, 100000), 0);
	cr_assert_eq(web_body_verdict(w.app, "POST", "/send", op.cookie,
				      HTTP_MULTIPART_MAX_BYTES + 1ull), 413);
	cr_assert_eq(web_body_verdict(w.app, "GET", "/send", op.cookie, 100000), 413);
	/* a user who must choose a new password uploads nothing */
	cr_assert_eq(catalog_user_get(store_catalog(w.st), "op", &u), FGW_OK);
	u.must_change = true;
	cr_assert_eq(catalog_user_update(store_catalog(w.st), &u), FGW_OK);
	cr_assert_eq(web_body_verdict(w.app, "POST", "/send", op.cookie, 100000), 403);
}
