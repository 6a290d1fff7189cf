/* Real captures against the wire formats: the G.711 RTP of two asterisk
 * testsuite fax calls through rtp.c, G.711 and SpanDSP's tone detectors and
 * V.21 HDLC receiver (the T.30 frames must come out), and the SIP of the
 * nDPI Megaco/SIP fax call through sipmsg.c and sdp.c (the T.38 re-INVITE
 * refused with 488, the call staying on PCMA). */
#include <criterion/criterion.h>
#include <spandsp.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "dsp/g711.h"
#include "gateway/rtp.h"
#include "gateway/sdp.h"
#include "gateway/sipmsg.h"
#include "tests/support/pcap.h"

#define MAX_FRAMES 16
#define FRAME_MAX 256

static const uint8_t CARRIER_SRC[4] = { 208, 89, 128, 69 };   /* calling fax */
static const uint8_t CUSTOMER_SRC[4] = { 204, 101, 5, 68 };   /* answering fax */

struct heard {
	uint8_t frame[MAX_FRAMES][FRAME_MAX];
	size_t len[MAX_FRAMES];
	size_t nframes;
	bool cng, ced;
	size_t packets;
};

static char *capture(const char *name)
{
	const char *dir = getenv("FAXGW_TESTDATA");
	char *path = malloc(1024);

	cr_assert_not_null(dir, "FAXGW_TESTDATA is not set: point it at ../shared/testdata");
	cr_assert_not_null(path);
	cr_assert_eq(str_format(path, 1024, "%s/pcap/%s", dir, name), FGW_OK);
	return path;
}

static void on_frame(void *user, const uint8_t *pkt, int len, int ok)
{
	struct heard *h = user;

	if (len <= 0 || !ok || h->nframes == MAX_FRAMES || len > FRAME_MAX)
		return;      /* len < 0: carrier/framing status, not a frame */
	memcpy(h->frame[h->nframes], pkt, (size_t)len);
	h->len[h->nframes++] = (size_t)len;
}

static void on_tone(void *user, int code, int level, int delay)
{
	struct heard *h = user;

	(void)level;
	(void)delay;
	if (code == MODEM_CONNECT_TONES_FAX_CNG)
		h->cng = true;
	if (code == MODEM_CONNECT_TONES_ANS)
		h->ced = true;
}

/* Runs the u-law RTP sent by src through the detectors into *h. */
static void listen(const char *name, const uint8_t src[4], struct heard *h)
{
	char *path = capture(name);
	struct pcap_file *f;
	struct pcap_udp u;
	hdlc_rx_state_t *hdlc = hdlc_rx_init(NULL, false, true, 5, on_frame, h);
	fsk_rx_state_t *fsk = fsk_rx_init(NULL, &preset_fsk_specs[FSK_V21CH2], FSK_FRAME_MODE_SYNC,
					  (put_bit_func_t)hdlc_rx_put_bit, hdlc);
	modem_connect_tones_rx_state_t *cng = modem_connect_tones_rx_init(NULL, MODEM_CONNECT_TONES_FAX_CNG, on_tone, h);
	modem_connect_tones_rx_state_t *ced = modem_connect_tones_rx_init(NULL, MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE, on_tone, h);
	int rc;

	cr_assert(hdlc && fsk && cng && ced);
	cr_assert_eq(pcap_open(path, &f), FGW_OK, "cannot read %s", path);
	while ((rc = pcap_next_udp(f, &u)) == 1) {
		struct rtp_header rh;
		const uint8_t *pl;
		size_t n;
		int16_t pcm[RTP_MAX_PACKET];

		if (memcmp(u.src, src, 4) != 0)
			continue;
		cr_assert_eq(rtp_parse(u.payload, u.len, &rh, &pl, &n), FGW_OK, "frame %zu", u.index);
		cr_assert_eq(rh.pt, RTP_PT_PCMU, "frame %zu", u.index);
		dsp_g711_decode(DSP_G711_ULAW, pcm, pl, n);
		fsk_rx(fsk, pcm, (int)n);
		modem_connect_tones_rx(cng, pcm, (int)n);
		modem_connect_tones_rx(ced, pcm, (int)n);
		h->packets++;
	}
	cr_assert_eq(rc, 0);
	pcap_close(f);
	fsk_rx_free(fsk);
	hdlc_rx_free(hdlc);
	modem_connect_tones_rx_free(cng);
	modem_connect_tones_rx_free(ced);
	free(path);
}

/* The frame whose T.30 FCF (X bit ignored) is fcf; NULL when none. */
static const uint8_t *find_fcf(const struct heard *h, uint8_t fcf, size_t *len)
{
	for (size_t i = 0; i < h->nframes; i++)
		if (h->len[i] >= 3 && h->frame[i][0] == 0xff && (h->frame[i][2] & 0xfe) == fcf) {
			*len = h->len[i];
			return h->frame[i];
		}
	return NULL;
}

Test(captures, carrier_rtp_is_pcmu_and_carries_cng)
{
	static struct heard h;

	listen("asterisk-testsuite__CARRIER_G711U.pcap", CARRIER_SRC, &h);
	cr_assert_eq(h.packets, 800);
	cr_assert(h.cng, "no CNG heard from the calling fax");
	cr_assert_not(h.ced);
}

Test(captures, carrier_sends_blank_tsi_then_dcs_v29_9600)
{
	static struct heard h;
	const uint8_t *tsi, *dcs;
	size_t tlen = 0, dlen = 0;

	listen("asterisk-testsuite__CARRIER_G711U.pcap", CARRIER_SRC, &h);
	tsi = find_fcf(&h, 0x42, &tlen);
	dcs = find_fcf(&h, 0x82, &dlen);
	cr_assert_not_null(tsi, "no TSI decoded");
	cr_assert_not_null(dcs, "no DCS decoded");
	cr_assert_eq(tlen, 3 + 20);
	for (size_t i = 3; i < tlen; i++)
		cr_assert_eq(tsi[i], ' ', "TSI byte %zu is 0x%02x: the capture's TSI is 20 spaces", i, tsi[i]);
	cr_assert_eq(tsi[1], 0x03, "TSI is not the last frame of its block");
	cr_assert_eq(dcs[1], 0x13, "DCS must be a final frame");
	cr_assert_geq(dlen, 5);
	/* T.30 table 2, DCS bits 11-14 (FIF octet 2, bits 3-6): 1,0,0,0 = V.29 9600. */
	cr_assert_eq((dcs[4] >> 2) & 0x0f, 0x1, "DCS modem bits are 0x%x", (dcs[4] >> 2) & 0x0f);
	cr_assert(dcs[4] & 0x02, "DCS bit 10 (receive) must be set");
	cr_assert_lt(tsi - &h.frame[0][0], dcs - &h.frame[0][0], "TSI must precede DCS");
}

Test(captures, customer_answers_with_ced)
{
	static struct heard h;

	listen("asterisk-testsuite__CUSTOMER_G711U.pcap", CUSTOMER_SRC, &h);
	cr_assert_eq(h.packets, 399);
	cr_assert(h.ced, "no CED (2100 Hz) heard from the answering fax");
	cr_assert_not(h.cng);
}

Test(captures, customer_sends_nsf_csi_dis)
{
	static struct heard h;
	const uint8_t *nsf, *csi, *dis;
	size_t nlen = 0, clen = 0, dlen = 0;
	char reversed[21];

	listen("asterisk-testsuite__CUSTOMER_G711U.pcap", CUSTOMER_SRC, &h);
	nsf = find_fcf(&h, 0x20, &nlen);
	csi = find_fcf(&h, 0x40, &clen);
	dis = find_fcf(&h, 0x80, &dlen);
	cr_assert(nsf && csi && dis, "NSF %p CSI %p DIS %p", (void *)nsf, (void *)csi, (void *)dis);
	cr_assert_eq(nlen, 40);
	cr_assert(memmem(nsf, nlen, "babyTEL Inc.", 12) != NULL, "NSF vendor text");
	/* The CSI bytes as sent; T.30 sends the number last digit first. */
	cr_assert_eq(clen, 3 + 20);
	cr_assert_eq(memcmp(csi + 3, "+15700884455522180++", 20), 0, "CSI bytes %.20s", csi + 3);
	for (size_t i = 0; i < 20; i++)
		reversed[i] = (char)csi[clen - 1 - i];
	reversed[20] = '\0';
	cr_assert_str_eq(reversed, "++08122555448800751+");
	cr_assert_eq(dis[1], 0x13, "DIS must be the final frame");
	cr_assert_eq(dlen, 9);
	cr_assert(dis[4] & 0x02, "DIS bit 10: the answering fax can receive");
}

/* ---- SIP of the nDPI capture ---- */

#define CALL_ID "SD4909701-9ff11bf72eb4a347c92974d8fbbc2668-ao8o3i1"

struct sip_find {
	const char *method;   /* NULL: a response */
	uint32_t cseq;
	int status;
};

/* Parses every SIP datagram; all must parse. Returns the first message of
 * call CALL_ID matching want (caller frees), and the count in *total. */
static struct sipmsg *sip_scan(const struct sip_find *want, size_t *total)
{
	char *path = capture("nDPI__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap");
	struct sipmsg *found = NULL, *m;
	struct pcap_file *f;
	struct pcap_udp u;
	char err[SIPMSG_ERR_MAX], cid[128];

	*total = 0;
	cr_assert_eq(pcap_open(path, &f), FGW_OK);
	while (pcap_next_udp(f, &u) == 1) {
		uint32_t cseq;
		bool match;

		if (u.sport != 5060 && u.dport != 5060)
			continue;
		cr_assert_eq(sipmsg_parse(u.payload, u.len, &m, err, sizeof err), FGW_OK,
			     "frame %zu: %s", u.index, err);
		(*total)++;
		cr_assert_eq(sipmsg_call_id(m, cid, sizeof cid), FGW_OK);
		cr_assert_eq(sipmsg_cseq(m, &cseq, NULL), FGW_OK);
		match = found == NULL && want && strcmp(cid, CALL_ID) == 0 && cseq == want->cseq &&
			(want->method ? sipmsg_is_request(m) && strcmp(sipmsg_method(m), want->method) == 0
				      : sipmsg_status(m) == want->status);
		if (match)
			found = m;
		else
			sipmsg_free(m);
	}
	pcap_close(f);
	free(path);
	return found;
}

static void sdp_of(struct sipmsg *m, struct sdp_session *s)
{
	const char *body;
	size_t len;
	char ct[64], err[SDP_ERR_MAX];

	cr_assert_eq(sipmsg_content_type(m, ct, sizeof ct), FGW_OK);
	cr_assert_str_eq(ct, "application/sdp");
	cr_assert_eq(sipmsg_body(m, &body, &len), FGW_OK);
	cr_assert_eq(sdp_parse(body, len, s, err, sizeof err), FGW_OK, "%s", err);
}

static void our_caps(struct sdp_caps *c, bool t38)
{
	memset(c, 0, sizeof *c);
	c->pcmu = c->pcma = true;
	c->te_pt = 101;
	c->t38 = t38;
	sdp_t38_defaults(&c->t38_local);
	c->t38_local.version = 0;
	c->t38_local.max_bitrate = 14400;
	c->t38_local.max_buffer = 2000;
	c->t38_local.max_datagram = 400;
	c->t38_local.udp_ec = SDP_T38_EC_REDUNDANCY;
	cr_assert_eq(str_copy(c->addr, sizeof c->addr, "192.0.2.10"), FGW_OK);
	c->audio_port = 40000;
	c->image_port = 40002;
	c->session_id = 7;
	c->session_version = 1;
}

Test(captures, every_sip_message_parses)
{
	size_t total;

	cr_assert_null(sip_scan(NULL, &total));
	cr_assert_eq(total, 92);
}

Test(captures, initial_invite_offers_pcma_and_we_answer_pcma)
{
	struct sip_find want = { "INVITE", 1, 0 };
	size_t total;
	struct sipmsg *m = sip_scan(&want, &total);
	struct sdp_session offer, answer;
	struct sdp_caps caps;
	char err[SDP_ERR_MAX], uri[128];

	cr_assert_not_null(m, "no INVITE CSeq 1 for " CALL_ID);
	cr_assert_str_eq(sipmsg_request_user(m), "061963177");
	cr_assert_str_eq(sipmsg_from_tag(m), "SD4909701-00e9d478");
	cr_assert_null(sipmsg_to_tag(m));
	cr_assert_str_eq(sipmsg_via_branch(m), "z9hG4bKfv2f4010787h3a8q1280.1");
	cr_assert_eq(sipmsg_contact_uri(m, uri, sizeof uri), FGW_OK);
	cr_assert_str_eq(uri, "sip:unavailable@138.132.169.101:5060;transport=udp");
	sdp_of(m, &offer);
	cr_assert_eq(offer.nmedia, 1);
	cr_assert_eq(offer.media[0].kind, SDP_MEDIA_AUDIO);
	cr_assert_eq(offer.media[0].port, 15580);
	cr_assert_eq(offer.media[0].nformats, 3);
	cr_assert_eq(offer.media[0].formats[0].pt, 8);
	cr_assert_str_eq(offer.media[0].formats[1].encoding, "G726-32");
	cr_assert_str_eq(offer.media[0].formats[2].encoding, "telephone-event");
	cr_assert_str_eq(offer.media[0].formats[2].fmtp, "0-15");
	cr_assert_eq(offer.media[0].ptime, 30);
	cr_assert_str_eq(sdp_media_addr(&offer, &offer.media[0]), "138.132.169.101");
	our_caps(&caps, true);
	cr_assert_eq(sdp_answer(&caps, &offer, &answer, err, sizeof err), FGW_OK, "%s", err);
	cr_assert_eq(answer.media[0].port, 40000);
	cr_assert_eq(answer.media[0].nformats, 2);
	cr_assert_eq(answer.media[0].formats[0].pt, RTP_PT_PCMA);
	cr_assert_eq(answer.media[0].formats[1].pt, 102, "telephone-event keeps the offered PT");
	sipmsg_free(m);
}

Test(captures, t38_reinvite_parses_and_gets_a_valid_t38_answer)
{
	struct sip_find want = { "INVITE", 3, 0 };
	size_t total, len;
	struct sipmsg *m = sip_scan(&want, &total);
	struct sdp_session offer, answer, back;
	struct sdp_caps caps;
	char err[SDP_ERR_MAX], body[SDP_MAX_LEN];
	const struct sdp_t38 *t;

	cr_assert_not_null(m, "no re-INVITE CSeq 3");
	cr_assert_str_eq(sipmsg_to_tag(m), "617263616479616E-331715520-5336f785-187410205");
	sdp_of(m, &offer);
	cr_assert_eq(offer.nmedia, 1);
	cr_assert_eq(offer.media[0].kind, SDP_MEDIA_IMAGE);
	cr_assert_eq(offer.media[0].port, 15580);
	cr_assert_str_eq(offer.media[0].proto, "udptl");
	/* This peer states no T.38 attribute at all: every one is the default. */
	t = &offer.media[0].t38;
	cr_assert_eq(t->version, 0);
	cr_assert_eq(t->max_bitrate, 0);
	cr_assert_eq(t->rate_management, SDP_T38_TRANSFERRED_TCF);
	cr_assert_eq(t->udp_ec, SDP_T38_EC_NONE);
	our_caps(&caps, true);
	cr_assert_eq(sdp_answer(&caps, &offer, &answer, err, sizeof err), FGW_OK, "%s", err);
	cr_assert_eq(sdp_build(&answer, body, sizeof body, &len), FGW_OK);
	cr_assert_eq(sdp_parse(body, len, &back, err, sizeof err), FGW_OK, "%s\n%s", err, body);
	cr_assert_eq(back.nmedia, 1);
	cr_assert_eq(back.media[0].kind, SDP_MEDIA_IMAGE);
	cr_assert_eq(back.media[0].port, 40002);
	cr_assert_eq(back.media[0].t38.version, 0);
	cr_assert_eq(back.media[0].t38.max_bitrate, 14400, "an unstated rate takes ours");
	cr_assert_eq(back.media[0].t38.rate_management, SDP_T38_TRANSFERRED_TCF);
	cr_assert_eq(back.media[0].t38.max_datagram, 400);
	cr_assert_eq(back.media[0].t38.udp_ec, SDP_T38_EC_NONE, "no EC offered, none answered");
	/* With T.38 off on the line the same offer is a 488. */
	our_caps(&caps, false);
	cr_assert_eq(sdp_answer(&caps, &offer, &answer, err, sizeof err), FGW_ERR_UNSUPPORTED);
	cr_assert_str_eq(err, "no stream offers PCMU or PCMA (T.38 is off on this line)");
	sipmsg_free(m);
}

Test(captures, reinvite_refused_488_keeps_pcma)
{
	struct sip_find refused = { NULL, 3, 488 }, next = { "INVITE", 4, 0 };
	size_t total;
	struct sipmsg *r = sip_scan(&refused, &total), *m;
	struct sdp_session offer;
	const char *body;
	size_t len;

	cr_assert_not_null(r, "no 488 to the re-INVITE");
	cr_assert_str_eq(sipmsg_method(r), "INVITE");
	cr_assert_eq(sipmsg_body(r, &body, &len), FGW_ERR_NOT_FOUND);
	cr_assert_eq(sdp_reinvite_failure(sipmsg_status(r)), SDP_REINVITE_KEEP_MEDIA);
	sipmsg_free(r);
	/* What the capture's caller did next: offer PCMA audio again. */
	m = sip_scan(&next, &total);
	cr_assert_not_null(m);
	sdp_of(m, &offer);
	cr_assert_eq(offer.media[0].kind, SDP_MEDIA_AUDIO);
	cr_assert_eq(offer.media[0].formats[0].pt, RTP_PT_PCMA);
	sipmsg_free(m);
}
