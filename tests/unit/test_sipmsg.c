/* SIP message wrapper: accessors, limits, malformed input, builders. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/sipmsg.h"

#include <osipparser2/osip_parser.h>

static const char INVITE[] =
	"INVITE sip:0312345678@192.0.2.1;user=phone SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bK-abc;rport\r\n"
	"Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK-older\r\n"
	"From: \"Office MFP\" <sip:mfp@192.0.2.2>;tag=from1\r\n"
	"To: <sip:0312345678@192.0.2.1>\r\n"
	"Call-ID: a84b4c76e66710@pc33\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:mfp@192.0.2.2:5060;transport=udp>\r\n"
	"Max-Forwards: 70\r\n"
	"Content-Type: Application/SDP\r\n"
	"Content-Length: 10\r\n"
	"\r\n"
	"v=0\r\ns=-\r\n";

static struct sipmsg *parse_ok(const char *text)
{
	struct sipmsg *m = NULL;
	char err[SIPMSG_ERR_MAX];

	cr_assert_eq(sipmsg_parse((const uint8_t *)text, strlen(text), &m, err, sizeof err), FGW_OK, "%s", err);
	return m;
}

static int parse_err(const char *text, size_t len, char *err)
{
	struct sipmsg *m = (struct sipmsg *)1;
	int rc = sipmsg_parse((const uint8_t *)text, len, &m, err, SIPMSG_ERR_MAX);

	cr_assert_null(m, "no message on failure");
	return rc;
}

Test(sipmsg, request_accessors)
{
	struct sipmsg *m = parse_ok(INVITE);
	char buf[128];
	const char *method, *body;
	uint32_t cseq;
	size_t len;

	cr_assert(sipmsg_is_request(m));
	cr_assert_str_eq(sipmsg_method(m), "INVITE");
	cr_assert_eq(sipmsg_status(m), 0);
	cr_assert_str_eq(sipmsg_request_user(m), "0312345678");
	cr_assert_eq(sipmsg_cseq(m, &cseq, &method), FGW_OK);
	cr_assert_eq(cseq, 314159);
	cr_assert_str_eq(method, "INVITE");
	cr_assert_eq(sipmsg_call_id(m, buf, sizeof buf), FGW_OK);
	cr_assert_str_eq(buf, "a84b4c76e66710@pc33");
	cr_assert_eq(sipmsg_call_id(m, buf, 5), FGW_ERR_TOO_LARGE);
	cr_assert_str_eq(sipmsg_from_tag(m), "from1");
	cr_assert_null(sipmsg_to_tag(m));
	cr_assert_str_eq(sipmsg_via_branch(m), "z9hG4bK-abc");
	cr_assert_eq(sipmsg_contact_uri(m, buf, sizeof buf), FGW_OK);
	cr_assert_str_eq(buf, "sip:mfp@192.0.2.2:5060;transport=udp");
	cr_assert_eq(sipmsg_content_type(m, buf, sizeof buf), FGW_OK);
	cr_assert_str_eq(buf, "application/sdp");
	cr_assert_eq(sipmsg_body(m, &body, &len), FGW_OK);
	cr_assert_eq(len, 10);
	cr_assert_eq(memcmp(body, "v=0\r\ns=-\r\n", 10), 0);
	cr_assert_not_null(sipmsg_osip(m));
	sipmsg_free(m);
}

Test(sipmsg, response_accessors)
{
	const char *text = "SIP/2.0 488 Not Acceptable Here\r\n"
			   "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx\r\n"
			   "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"
			   "Call-ID: xyz\r\nCSeq: 3 INVITE\r\nContent-Length: 0\r\n\r\n";
	struct sipmsg *m = parse_ok(text);
	char buf[64];
	const char *body;
	size_t len;

	cr_assert_not(sipmsg_is_request(m));
	cr_assert_eq(sipmsg_status(m), 488);
	cr_assert_str_eq(sipmsg_method(m), "INVITE");
	cr_assert_null(sipmsg_request_user(m));
	cr_assert_str_eq(sipmsg_to_tag(m), "2");
	cr_assert_eq(sipmsg_call_id(m, buf, sizeof buf), FGW_OK);
	cr_assert_str_eq(buf, "xyz");
	cr_assert_eq(sipmsg_contact_uri(m, buf, sizeof buf), FGW_ERR_NOT_FOUND);
	cr_assert_eq(sipmsg_content_type(m, buf, sizeof buf), FGW_ERR_NOT_FOUND);
	cr_assert_eq(sipmsg_body(m, &body, &len), FGW_ERR_NOT_FOUND);
	sipmsg_free(m);
}

Test(sipmsg, malformed_input_gives_clear_errors)
{
	char err[SIPMSG_ERR_MAX], big[SIPMSG_MAX_UDP + 1];
	const char *no_end = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP x\r\n";
	const char *garbage = "\x01\x02 not sip at all\r\n\r\n";
	const char *no_callid = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\n"
				"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCSeq: 1 OPTIONS\r\n\r\n";
	const char *no_via = "OPTIONS sip:a@b SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
			     "Call-ID: 1\r\nCSeq: 1 OPTIONS\r\n\r\n";
	const char *short_body = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\n"
				 "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n"
				 "Content-Length: 50\r\n\r\nv=0\r\n";
	const char nul_hdr[] = "OPTIONS sip:a@b SIP/2.0\r\nX: a\0b\r\n\r\n";

	cr_assert_eq(parse_err("", 0, err), FGW_ERR_PARSE);
	cr_assert_str_eq(err, "empty datagram");
	memset(big, 'A', sizeof big);
	cr_assert_eq(parse_err(big, sizeof big, err), FGW_ERR_TOO_LARGE);
	cr_assert_str_eq(err, "message of 8193 bytes exceeds 8192");
	cr_assert_eq(parse_err(no_end, strlen(no_end), err), FGW_ERR_PARSE);
	cr_assert_str_eq(err, "no empty line ends the headers");
	cr_assert_eq(parse_err(garbage, strlen(garbage), err), FGW_ERR_PARSE);
	cr_assert_str_eq(err, "not a well-formed SIP message");
	cr_assert_eq(parse_err(no_callid, strlen(no_callid), err), FGW_ERR_PARSE);
	cr_assert_str_eq(err, "missing Call-ID header");
	cr_assert_eq(parse_err(no_via, strlen(no_via), err), FGW_ERR_PARSE);
	cr_assert_str_eq(err, "no Via header");
	cr_assert_eq(parse_err(short_body, strlen(short_body), err), FGW_ERR_TRUNCATED);
	cr_assert_str_eq(err, "Content-Length 50 but only 5 body bytes");
	cr_assert_eq(parse_err(nul_hdr, sizeof nul_hdr - 1, err), FGW_ERR_PARSE);
	cr_assert_str_eq(err, "a NUL byte in the headers");
}

Test(sipmsg, header_count_is_bounded)
{
	char text[SIPMSG_MAX_UDP], err[SIPMSG_ERR_MAX];
	size_t off;

	cr_assert_eq(str_copy(text, sizeof text, "OPTIONS sip:a@b SIP/2.0\r\n"), FGW_OK);
	off = strlen(text);
	for (int i = 0; i < SIPMSG_MAX_HEADERS + 1; i++) {
		memcpy(text + off, "X-A: b\r\n", 8);
		off += 8;
	}
	memcpy(text + off, "\r\n", 3);
	cr_assert_eq(parse_err(text, strlen(text), err), FGW_ERR_TOO_LARGE);
	cr_assert_str_eq(err, "65 header lines exceed 64");
}

Test(sipmsg, response_copies_dialog_headers)
{
	struct sipmsg *req = parse_ok(INVITE), *back;
	struct sipmsg_reply x = { .to_tag = "gw77", .contact = "<sip:fax@192.0.2.1>",
				  .content_type = "application/sdp", .body = "v=0\r\n", .body_len = 5 };
	char buf[2048], id[64];
	const char *body;
	size_t len, blen;
	uint32_t cseq;

	cr_assert_eq(sipmsg_build_response(req, 200, &x, buf, sizeof buf, &len), FGW_OK);
	cr_assert_eq(strncmp(buf, "SIP/2.0 200 OK\r\n", 16), 0, "%s", buf);
	cr_assert_eq(len, strlen(buf));
	back = parse_ok(buf);
	cr_assert_eq(sipmsg_status(back), 200);
	cr_assert_str_eq(sipmsg_via_branch(back), "z9hG4bK-abc");
	cr_assert_eq(osip_list_size(&sipmsg_osip(back)->vias), 2);
	cr_assert_str_eq(sipmsg_from_tag(back), "from1");
	cr_assert_str_eq(sipmsg_to_tag(back), "gw77");
	cr_assert_eq(sipmsg_call_id(back, id, sizeof id), FGW_OK);
	cr_assert_str_eq(id, "a84b4c76e66710@pc33");
	cr_assert_eq(sipmsg_cseq(back, &cseq, NULL), FGW_OK);
	cr_assert_eq(cseq, 314159);
	cr_assert_eq(sipmsg_body(back, &body, &blen), FGW_OK);
	cr_assert_eq(blen, 5);
	sipmsg_free(back);
	cr_assert_eq(sipmsg_build_response(req, 488, NULL, buf, sizeof buf, &len), FGW_OK);
	cr_assert_eq(strncmp(buf, "SIP/2.0 488 Not Acceptable Here\r\n", 33), 0, "%s", buf);
	cr_assert(strstr(buf, "Content-Length: 0\r\n") != NULL, "%s", buf);
	cr_assert_eq(sipmsg_build_response(req, 99, NULL, buf, sizeof buf, &len), FGW_ERR_INVALID);
	x.contact = "<sip:a@b>\r\nX-Evil: 1";
	cr_assert_eq(sipmsg_build_response(req, 200, &x, buf, sizeof buf, &len), FGW_ERR_INVALID);
	cr_assert_eq(sipmsg_build_response(req, 100, NULL, buf, 20, &len), FGW_ERR_TOO_LARGE);
	sipmsg_free(req);
}

Test(sipmsg, request_build_parse_round_trip)
{
	struct sipmsg_request q = {
		.method = "INVITE", .uri = "sip:0312345678@192.0.2.1",
		.via = "SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKgw1",
		.from = "<sip:faxgw@192.0.2.2>;tag=t1", .to = "<sip:0312345678@192.0.2.1>",
		.call_id = "c1@192.0.2.2", .cseq = 2, .contact = "<sip:faxgw@192.0.2.2>",
		.content_type = "application/sdp", .body = "v=0\r\n", .body_len = 5,
	};
	struct sipmsg *m;
	char buf[2048];
	const char *method;
	size_t len;
	uint32_t cseq;

	cr_assert_eq(sipmsg_build_request(&q, buf, sizeof buf, &len), FGW_OK);
	cr_assert_eq(strncmp(buf, "INVITE sip:0312345678@192.0.2.1 SIP/2.0\r\n", 41), 0, "%s", buf);
	m = parse_ok(buf);
	cr_assert_str_eq(sipmsg_request_user(m), "0312345678");
	cr_assert_str_eq(sipmsg_via_branch(m), "z9hG4bKgw1");
	cr_assert_str_eq(sipmsg_from_tag(m), "t1");
	cr_assert_eq(sipmsg_cseq(m, &cseq, &method), FGW_OK);
	cr_assert_eq(cseq, 2);
	cr_assert_str_eq(method, "INVITE");
	cr_assert(strstr(buf, "Max-Forwards: 70\r\n") != NULL);
	sipmsg_free(m);
	q.to = "<sip:x@y>\r\nX-Evil: 1";
	cr_assert_eq(sipmsg_build_request(&q, buf, sizeof buf, &len), FGW_ERR_INVALID);
	q.to = "<sip:x@y>";
	q.uri = "not a uri";
	cr_assert_eq(sipmsg_build_request(&q, buf, sizeof buf, &len), FGW_ERR_INVALID);
	q.uri = "sip:x@y";
	q.call_id = NULL;
	cr_assert_eq(sipmsg_build_request(&q, buf, sizeof buf, &len), FGW_ERR_INVALID);
}
