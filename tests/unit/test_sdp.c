/* SDP parse/build, T.38 attributes, offer/answer, re-INVITE failure. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/rtp.h"
#include "gateway/sdp.h"

static const char T38_OFFER[] =
	"v=0\r\n"
	"o=peer 1234567890123 2 IN IP4 198.51.100.7\r\n"
	"s=-\r\n"
	"c=IN IP4 198.51.100.7\r\n"
	"t=0 0\r\n"
	"m=audio 0 RTP/AVP 0\r\n"
	"m=image 30000 udptl t38\r\n"
	"a=T38FaxVersion:1\r\n"
	"a=T38MaxBitRate:9600\r\n"
	"a=T38FaxFillBitRemoval:0\r\n"
	"a=T38FaxTranscodingMMR\r\n"
	"a=t38faxtranscodingjbig:1\r\n"
	"a=T38FaxRateManagement:localTCF\r\n"
	"a=T38FaxMaxBuffer:1800\r\n"
	"a=T38FaxMaxDatagram:512\r\n"
	"a=T38FaxUdpEC:t38UDPFEC\r\n"
	"a=T38VendorInfo:0 0 0\r\n";

static void caps(struct sdp_caps *c)
{
	memset(c, 0, sizeof *c);
	c->pcmu = c->pcma = true;
	c->te_pt = 101;
	c->t38 = true;
	sdp_t38_defaults(&c->t38_local);
	c->t38_local.version = 0;
	c->t38_local.max_bitrate = 14400;
	c->t38_local.max_buffer = 2000;
	c->t38_local.max_datagram = 400;
	c->t38_local.udp_ec = SDP_T38_EC_REDUNDANCY;
	cr_assert_eq(str_copy(c->addr, sizeof c->addr, "192.0.2.10"), FGW_OK);
	c->audio_port = 40000;
	c->image_port = 40002;
	c->session_id = 42;
	c->session_version = 3;
	c->ptime = 20;
}

static int parse(const char *sdp, struct sdp_session *s, char *err)
{
	return sdp_parse(sdp, strlen(sdp), s, err, SDP_ERR_MAX);
}

Test(sdp, parses_t38_attributes)
{
	struct sdp_session s;
	char err[SDP_ERR_MAX];
	const struct sdp_t38 *t;

	cr_assert_eq(parse(T38_OFFER, &s, err), FGW_OK, "%s", err);
	cr_assert_eq(s.session_id, 1234567890123ULL);
	cr_assert_eq(s.session_version, 2);
	cr_assert_str_eq(s.origin_user, "peer");
	cr_assert_eq(s.nmedia, 2);
	cr_assert_eq(s.media[0].kind, SDP_MEDIA_AUDIO);
	cr_assert_eq(s.media[0].port, 0);
	cr_assert_eq(s.media[1].kind, SDP_MEDIA_IMAGE);
	cr_assert_eq(s.media[1].port, 30000);
	t = &s.media[1].t38;
	cr_assert_eq(t->version, 1);
	cr_assert_eq(t->max_bitrate, 9600);
	cr_assert_not(t->fill_bit_removal);
	cr_assert(t->transcoding_mmr);
	cr_assert(t->transcoding_jbig);
	cr_assert_eq(t->rate_management, SDP_T38_LOCAL_TCF);
	cr_assert_eq(t->max_buffer, 1800);
	cr_assert_eq(t->max_datagram, 512);
	cr_assert_eq(t->udp_ec, SDP_T38_EC_FEC);
	cr_assert_str_eq(sdp_media_addr(&s, &s.media[1]), "198.51.100.7");
}

Test(sdp, parses_audio_formats_direction_and_media_address)
{
	const char *sdp = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=x\nt=0 0\n"
			  "m=audio 5004/2 RTP/AVP 8 0 96\nc=IN IP4 10.0.0.2/127\n"
			  "a=rtpmap:96 telephone-event/8000\na=fmtp:96 0-16\n"
			  "a=rtpmap:97 ignored/8000\na=ptime:20\na=recvonly\n";
	struct sdp_session s;
	char err[SDP_ERR_MAX];

	cr_assert_eq(parse(sdp, &s, err), FGW_OK, "%s", err);
	cr_assert_eq(s.media[0].port, 5004);
	cr_assert_eq(s.media[0].nformats, 3);
	cr_assert_eq(s.media[0].formats[0].pt, 8);
	cr_assert_str_eq(s.media[0].formats[2].encoding, "telephone-event");
	cr_assert_eq(s.media[0].formats[2].clock, 8000);
	cr_assert_str_eq(s.media[0].formats[2].fmtp, "0-16");
	cr_assert_eq(s.media[0].ptime, 20);
	cr_assert_eq(s.media[0].dir, SDP_RECVONLY);
	cr_assert_str_eq(s.addr, "");
	cr_assert_str_eq(sdp_media_addr(&s, &s.media[0]), "10.0.0.2");
}

struct bad {
	const char *sdp;
	int rc;
	const char *err;
};

Test(sdp, malformed_input_names_the_line)
{
	static const struct bad cases[] = {
		{ "", FGW_ERR_PARSE, "empty SDP body" },
		{ "o=- 1 1 IN IP4 a\r\n", FGW_ERR_PARSE, "line 1: the body must start with v=0" },
		{ "v=1\r\n", FGW_ERR_UNSUPPORTED, "line 1: v=: version \"1\" is not 0" },
		{ "v=0\r\nhello\r\n", FGW_ERR_PARSE, "line 2: expected <letter>=<value>" },
		{ "v=0\r\nv=0\r\n", FGW_ERR_PARSE, "line 2: a second v= line" },
		{ "v=0\r\no=- x 1 IN IP4 a\r\n", FGW_ERR_PARSE,
		  "line 2: o=: session id \"x\" or version \"1\" is not a number" },
		{ "v=0\r\nc=ATM NSAP x\r\n", FGW_ERR_UNSUPPORTED, "line 2: c=: network type \"ATM\" is not IN" },
		{ "v=0\r\nc=IN IP4 a b\r\n", FGW_ERR_PARSE, "line 2: c=: unexpected \"b\" after the address" },
		{ "v=0\r\nc=IN IP4\r\n", FGW_ERR_PARSE, "line 2: c=: bad address \"\"" },
		{ "v=0\r\nc=IN IP4 1.2.3.4;\r\n", FGW_ERR_PARSE, "line 2: c=: bad address \"1.2.3.4;\"" },
		{ "v=0\r\ns=-\r\nm=audio 70000 RTP/AVP 0\r\n", FGW_ERR_PARSE,
		  "line 3: m=: port \"70000\" is not 0..65535" },
		{ "v=0\r\nm=audio 1 RTP/AVP 128\r\n", FGW_ERR_PARSE,
		  "line 2: m=: payload type \"128\" is not 0..127" },
		{ "v=0\r\nm=audio 1 RTP/AVP\r\n", FGW_ERR_PARSE, "line 2: m=: no format given" },
		{ "v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", FGW_ERR_PARSE,
		  "line 3: a=rtpmap:0: no clock rate" },
		{ "v=0\r\nm=image 1 udptl t38\r\na=T38FaxVersion:9\r\n", FGW_ERR_PARSE,
		  "line 3: a=T38FaxVersion: \"9\" is not a number 0..3" },
		{ "v=0\r\nm=image 1 udptl t38\r\na=T38FaxUdpEC:magic\r\n", FGW_ERR_PARSE,
		  "line 3: a=T38FaxUdpEC: \"magic\" is not t38UDPRedundancy, t38UDPFEC or t38UDPNoEC" },
		{ "v=0\r\nm=image 1 udptl t38\r\na=T38FaxRateManagement\r\n", FGW_ERR_PARSE,
		  "line 3: a=T38FaxRateManagement: \"\" is not transferredTCF or localTCF" },
		{ "v=0\r\nm=image 1 udptl t38\r\na=T38FaxFillBitRemoval:yes\r\n", FGW_ERR_PARSE,
		  "line 3: a=T38FaxFillBitRemoval: \"yes\" is not 0 or 1" },
		{ "v=0\r\ns=a\rb\r\n", FGW_ERR_PARSE, "line 2: a NUL or CR inside the line" },
	};
	struct sdp_session s;
	char err[SDP_ERR_MAX];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert_eq(parse(cases[i].sdp, &s, err), cases[i].rc, "case %zu: %s", i, err);
		cr_assert_str_eq(err, cases[i].err, "case %zu", i);
	}
}

Test(sdp, limits_are_enforced)
{
	char big[SDP_MAX_LEN + 2], err[SDP_ERR_MAX];
	struct sdp_session s;
	size_t off;

	memset(big, 'a', sizeof big);
	big[sizeof big - 1] = '\0';
	cr_assert_eq(parse(big, &s, err), FGW_ERR_TOO_LARGE);
	cr_assert_str_eq(err, "SDP body of 4097 bytes exceeds 4096");
	/* a 600-byte line */
	cr_assert_eq(str_format(big, sizeof big, "v=0\r\ns=%0600d\r\n", 0), FGW_OK);
	cr_assert_eq(parse(big, &s, err), FGW_ERR_TOO_LARGE);
	cr_assert_str_eq(err, "line 2: longer than 512 bytes");
	/* 129 lines */
	off = 0;
	cr_assert_eq(str_copy(big, sizeof big, "v=0\n"), FGW_OK);
	off = 4;
	for (int i = 0; i < 128; i++, off += 4)
		memcpy(big + off, "a=x\n", 4);
	big[off] = '\0';
	cr_assert_eq(parse(big, &s, err), FGW_ERR_TOO_LARGE);
	cr_assert_str_eq(err, "line 129: more than 128 lines");
	cr_assert_eq(parse("v=0\nm=audio 1 RTP/AVP 0\nm=audio 1 RTP/AVP 0\nm=audio 1 RTP/AVP 0\n"
			   "m=audio 1 RTP/AVP 0\nm=audio 1 RTP/AVP 0\n", &s, err), FGW_ERR_TOO_LARGE);
	cr_assert_str_eq(err, "line 6: m=: more than 4 media streams");
	cr_assert_eq(parse("v=0\nm=audio 1 RTP/AVP 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", &s, err),
		     FGW_ERR_TOO_LARGE);
	cr_assert_str_eq(err, "line 2: m=: more than 16 payload types");
}

Test(sdp, unknown_lines_and_streams_are_kept_apart)
{
	struct sdp_session s;
	char err[SDP_ERR_MAX];

	cr_assert_eq(parse("v=0\r\nb=AS:64\r\nz=whatever\r\na=tool:x\r\n"
			   "m=video 0 RTP/AVP 31\r\nm=image 9 tcp t38\r\n\r\n", &s, err), FGW_OK, "%s", err);
	cr_assert_eq(s.nmedia, 2);
	cr_assert_eq(s.media[0].kind, SDP_MEDIA_OTHER);
	cr_assert_str_eq(s.media[0].fmt0, "31");
	cr_assert_eq(s.media[1].kind, SDP_MEDIA_OTHER, "T.38 over TCP is not ours");
}

Test(sdp, build_parse_round_trip_of_an_offer)
{
	struct sdp_caps c;
	struct sdp_session offer, back;
	char buf[SDP_MAX_LEN], err[SDP_ERR_MAX];
	size_t len;

	caps(&c);
	c.prefer_pcma = true;
	cr_assert_eq(sdp_offer(&c, false, &offer), FGW_OK);
	cr_assert_eq(sdp_build(&offer, buf, sizeof buf, &len), FGW_OK);
	cr_assert_str_eq(buf, "v=0\r\no=faxgw 42 3 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n"
			      "t=0 0\r\nm=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\n"
			      "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
			      "a=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n");
	cr_assert_eq(len, strlen(buf));
	cr_assert_eq(sdp_parse(buf, len, &back, err, sizeof err), FGW_OK, "%s", err);
	cr_assert_eq(back.media[0].nformats, 3);
	cr_assert_str_eq(back.media[0].formats[2].fmtp, "0-15");
}

Test(sdp, build_parse_round_trip_of_t38)
{
	struct sdp_caps c;
	struct sdp_session offer, back;
	char buf[SDP_MAX_LEN], err[SDP_ERR_MAX];
	size_t len;

	caps(&c);
	c.t38_local.fill_bit_removal = true;
	c.t38_local.rate_management = SDP_T38_LOCAL_TCF;
	cr_assert_eq(sdp_offer(&c, true, &offer), FGW_OK);
	cr_assert_eq(sdp_build(&offer, buf, sizeof buf, &len), FGW_OK);
	cr_assert(strstr(buf, "m=image 40002 udptl t38\r\na=T38FaxVersion:0\r\na=T38MaxBitRate:14400\r\n"
			      "a=T38FaxFillBitRemoval\r\na=T38FaxRateManagement:localTCF\r\n"
			      "a=T38FaxMaxBuffer:2000\r\na=T38FaxMaxDatagram:400\r\n"
			      "a=T38FaxUdpEC:t38UDPRedundancy\r\n") != NULL, "%s", buf);
	cr_assert_eq(sdp_parse(buf, len, &back, err, sizeof err), FGW_OK, "%s", err);
	cr_assert_eq(memcmp(&back.media[0].t38, &c.t38_local, sizeof c.t38_local), 0);
}

Test(sdp, build_refuses_injection_and_small_buffers)
{
	struct sdp_caps c;
	struct sdp_session offer;
	char buf[SDP_MAX_LEN];
	size_t len;

	caps(&c);
	cr_assert_eq(sdp_offer(&c, false, &offer), FGW_OK);
	cr_assert_eq(sdp_build(&offer, buf, 40, &len), FGW_ERR_TOO_LARGE);
	cr_assert_eq(str_copy(offer.media[0].formats[0].fmtp, SDP_FMTP_MAX, "x\r\na=evil"), FGW_OK);
	cr_assert_eq(sdp_build(&offer, buf, sizeof buf, &len), FGW_ERR_INVALID);
	c.pcmu = c.pcma = false;
	cr_assert_eq(sdp_offer(&c, false, &offer), FGW_ERR_INVALID);
	c.pcmu = true;
	c.t38 = false;
	cr_assert_eq(sdp_offer(&c, true, &offer), FGW_ERR_INVALID);
}

Test(sdp, answer_accepts_t38_and_rejects_audio)
{
	struct sdp_caps c;
	struct sdp_session offer, ans;
	char err[SDP_ERR_MAX];

	caps(&c);
	cr_assert_eq(parse(T38_OFFER, &offer, err), FGW_OK);
	cr_assert_eq(sdp_answer(&c, &offer, &ans, err, sizeof err), FGW_OK, "%s", err);
	cr_assert_eq(ans.nmedia, 2);
	cr_assert_eq(ans.media[0].port, 0);
	cr_assert_eq(ans.media[0].nformats, 1, "a rejected stream keeps its formats");
	cr_assert_eq(ans.media[1].port, 40002);
	cr_assert_eq(ans.media[1].t38.version, 0, "lower version");
	cr_assert_eq(ans.media[1].t38.max_bitrate, 9600, "lower rate");
	cr_assert_not(ans.media[1].t38.transcoding_mmr, "we do not transcode");
	cr_assert_eq(ans.media[1].t38.rate_management, SDP_T38_LOCAL_TCF, "offered kept");
	cr_assert_eq(ans.media[1].t38.max_datagram, 400);
	cr_assert_eq(ans.media[1].t38.udp_ec, SDP_T38_EC_REDUNDANCY, "FEC falls back");
}

Test(sdp, answer_picks_codec_and_mirrors_direction)
{
	struct sdp_caps c;
	struct sdp_session offer, ans;
	char err[SDP_ERR_MAX];

	caps(&c);
	cr_assert_eq(parse("v=0\no=- 1 1 IN IP4 10.0.0.1\nc=IN IP4 10.0.0.1\nm=audio 4000 RTP/AVP 18 0 8 101\n"
			   "a=rtpmap:101 telephone-event/8000\na=sendonly\n", &offer, err), FGW_OK);
	cr_assert_eq(sdp_answer(&c, &offer, &ans, err, sizeof err), FGW_OK);
	cr_assert_eq(ans.media[0].formats[0].pt, RTP_PT_PCMU, "the offerer's order");
	cr_assert_eq(ans.media[0].formats[1].pt, 101);
	cr_assert_eq(ans.media[0].dir, SDP_RECVONLY);
	c.prefer_pcma = true;
	cr_assert_eq(sdp_answer(&c, &offer, &ans, err, sizeof err), FGW_OK);
	cr_assert_eq(ans.media[0].formats[0].pt, RTP_PT_PCMA);
	c.te_pt = SDP_PT_NONE;
	cr_assert_eq(sdp_answer(&c, &offer, &ans, err, sizeof err), FGW_OK);
	cr_assert_eq(ans.media[0].nformats, 1);
}

Test(sdp, answer_refuses_what_we_cannot_do)
{
	struct sdp_caps c;
	struct sdp_session offer, ans;
	char err[SDP_ERR_MAX];

	caps(&c);
	cr_assert_eq(parse("v=0\nm=audio 4000 RTP/AVP 18 9\nm=image 0 udptl t38\n", &offer, err), FGW_OK);
	cr_assert_eq(sdp_answer(&c, &offer, &ans, err, sizeof err), FGW_ERR_UNSUPPORTED);
	cr_assert_str_eq(err, "no stream offers PCMU, PCMA or image udptl t38");
	cr_assert_eq(parse("v=0\nm=audio 4000 RTP/AVP 0\na=rtpmap:0 G729/8000\n", &offer, err), FGW_OK);
	cr_assert_eq(sdp_answer(&c, &offer, &ans, err, sizeof err), FGW_ERR_UNSUPPORTED,
		     "the rtpmap says PT 0 is not PCMU here");
}

Test(sdp, t38_negotiation_rules)
{
	struct sdp_t38 ours, theirs, ans;

	sdp_t38_defaults(&ours);
	sdp_t38_defaults(&theirs);
	ours.version = 3;
	ours.max_bitrate = 14400;
	ours.fill_bit_removal = true;
	ours.udp_ec = SDP_T38_EC_FEC;
	theirs.version = 2;
	theirs.fill_bit_removal = true;
	theirs.udp_ec = SDP_T38_EC_REDUNDANCY;
	sdp_t38_negotiate(&ours, &theirs, &ans);
	cr_assert_eq(ans.version, 2);
	cr_assert_eq(ans.max_bitrate, 14400);
	cr_assert(ans.fill_bit_removal);
	cr_assert_eq(ans.udp_ec, SDP_T38_EC_REDUNDANCY);
	theirs.udp_ec = SDP_T38_EC_FEC;
	sdp_t38_negotiate(&ours, &theirs, &ans);
	cr_assert_eq(ans.udp_ec, SDP_T38_EC_FEC);
}

Test(sdp, reinvite_failure_actions)
{
	cr_assert_eq(sdp_reinvite_failure(488), SDP_REINVITE_KEEP_MEDIA);
	cr_assert_eq(sdp_reinvite_failure(415), SDP_REINVITE_KEEP_MEDIA);
	cr_assert_eq(sdp_reinvite_failure(606), SDP_REINVITE_KEEP_MEDIA);
	cr_assert_eq(sdp_reinvite_failure(500), SDP_REINVITE_KEEP_MEDIA);
	cr_assert_eq(sdp_reinvite_failure(491), SDP_REINVITE_RETRY);
	cr_assert_eq(sdp_reinvite_failure(481), SDP_REINVITE_END_CALL);
	cr_assert_eq(sdp_reinvite_failure(408), SDP_REINVITE_END_CALL);
}
