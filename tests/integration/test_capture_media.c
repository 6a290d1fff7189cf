/* The real G.711 fax captures through our media path: the calling and the
 * answering fax's RTP packets, as captured, are sent over a loopback
 * socket to an rtp_session (source learning, RTP parsing, u-law decoding,
 * jitter buffer, PLC), one 20 ms frame taken per 20 ms of capture time, so
 * the network jitter the capture recorded reaches the jitter buffer. What comes out goes to SpanDSP's tone
 * detectors and to dsp/t38gw's T.30 frame observer, which must see the
 * tones and frames the captures hold: CNG, TSI (20 spaces) and DCS from
 * the caller; CED, NSF, CSI and DIS from the answerer. Once as captured,
 * once with every pair of packets swapped and every tenth sent twice. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <spandsp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "dsp/t38gw.h"
#include "gateway/rtp.h"
#include "gateway/rtp_session.h"
#include "tests/support/pcap.h"

#define MAX_PACKETS 1024

static const uint8_t CARRIER_SRC[4] = {208, 89, 128, 69};   /* calling fax */
static const uint8_t CUSTOMER_SRC[4] = {204, 101, 5, 68};   /* answering fax */

struct packet {
	uint8_t data[RTP_MAX_PACKET];
	size_t len;
	double at;                   /* capture time, seconds */
};

struct heard {
	bool cng, ced;
	char types[256];             /* frame types from the audio side, "TSI DCS " */
	char tsi[T38GW_IDENT_MAX + 1], csi[T38GW_IDENT_MAX + 1];
	bool tsi_seen, csi_seen;
	struct rtp_session_stats st;
};

static struct packet *load(const char *name, const uint8_t src[4], size_t *count)
{
	const char *dir = getenv("FAXGW_TESTDATA");
	char path[1024];
	struct pcap_file *f;
	struct pcap_udp u;
	struct packet *p = calloc(MAX_PACKETS, sizeof *p);
	int rc;

	cr_assert_not_null(dir, "FAXGW_TESTDATA is not set: point it at ../shared/testdata");
	cr_assert_not_null(p);
	cr_assert_eq(str_format(path, sizeof path, "%s/pcap/%s", dir, name), FGW_OK);
	cr_assert_eq(pcap_open(path, &f), FGW_OK, "cannot read %s", path);
	*count = 0;
	while ((rc = pcap_next_udp(f, &u)) == 1) {
		struct rtp_header h;
		const uint8_t *pl;
		size_t n;

		if (memcmp(u.src, src, 4) != 0)
			continue;
		cr_assert_lt(*count, MAX_PACKETS);
		cr_assert_eq(rtp_parse(u.payload, u.len, &h, &pl, &n), FGW_OK);
		memcpy(p[*count].data, u.payload, u.len);
		p[*count].len = u.len;
		p[*count].at = u.ts_sec + u.ts_usec / 1e6;
		(*count)++;
	}
	cr_assert_eq(rc, 0);
	pcap_close(f);
	return p;
}

static void on_tone(void *user, int code, int level, int delay)
{
	struct heard *h = user;

	(void)level, (void)delay;
	if (code == MODEM_CONNECT_TONES_FAX_CNG)
		h->cng = true;
	if (code == MODEM_CONNECT_TONES_ANS)
		h->ced = true;
}

static void on_frame(void *arg, const struct t38gw_frame *f)
{
	struct heard *h = arg;

	if (f->dir != T38GW_FROM_AUDIO)
		return;
	cr_assert_eq(str_format(h->types + strlen(h->types), sizeof h->types - strlen(h->types),
				"%s ", f->type), FGW_OK);
	if (strcmp(f->type, "TSI") == 0) {
		h->tsi_seen = true;
		cr_assert_eq(str_copy(h->tsi, sizeof h->tsi, f->ident), FGW_OK);
	}
	if (strcmp(f->type, "CSI") == 0) {
		h->csi_seen = true;
		cr_assert_eq(str_copy(h->csi, sizeof h->csi, f->ident), FGW_OK);
	}
}

static int no_ifp(void *arg, const uint8_t *ifp, size_t len, int count)
{
	(void)arg, (void)ifp, (void)len, (void)count;
	return 0;
}

/* The listeners on our decoded output. */
struct ears {
	struct t38gw *gw;
	modem_connect_tones_rx_state_t *cng, *ced;
};

static void ears_open(struct ears *e, struct heard *h)
{
	struct t38gw_config cfg = {.ecm = true, .transmit_on_idle = true, .local_tcf = true};

	e->gw = t38gw_new(&cfg, no_ifp, on_frame, h);
	e->cng = modem_connect_tones_rx_init(NULL, MODEM_CONNECT_TONES_FAX_CNG, on_tone, h);
	e->ced = modem_connect_tones_rx_init(NULL, MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE,
					     on_tone, h);
	cr_assert(e->gw && e->cng && e->ced);
}

static void ears_hear(struct ears *e, int16_t *pcm, size_t n)
{
	int16_t down[160];

	t38gw_rx_audio(e->gw, pcm, n);
	(void)t38gw_tx_audio(e->gw, down, 160);
	modem_connect_tones_rx(e->cng, pcm, (int)n);
	modem_connect_tones_rx(e->ced, pcm, (int)n);
}

static void ears_close(struct ears *e)
{
	t38gw_free(e->gw);
	modem_connect_tones_rx_free(e->cng);
	modem_connect_tones_rx_free(e->ced);
}

/* The order to send in: as captured, or pairs swapped. */
static size_t order(size_t i, size_t count, bool shuffle)
{
	if (!shuffle)
		return i;
	size_t j = i ^ 1;
	return j < count ? j : i;
}

static void replay(const char *name, const uint8_t src[4], bool impair, struct heard *h)
{
	struct media_bind b = {"127.0.0.1", 35000, 35999};
	struct rtp_session_media m = {.law = DSP_G711_ULAW, .pt = RTP_PT_PCMU, .te_pt = -1,
				      .jitter_max_ms = 100};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct rtp_session *s;
	struct ears e;
	size_t count, taken = 0;
	struct packet *p = load(name, src, &count);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(h, 0, sizeof *h);
	cr_assert_geq(fd, 0);
	cr_assert_eq(rtp_session_new(&b, &s), FGW_OK);
	/* the SDP address is a placeholder: the session learns our socket */
	cr_assert_eq(rtp_session_set_peer(s, "127.0.0.1", 9, &m), FGW_OK);
	to.sin_port = htons(rtp_session_port(s));
	ears_open(&e, h);
	for (size_t i = 0; i < count; i++) {
		const struct packet *k = &p[order(i, count, impair)];
		int copies = impair && i % 10 == 0 ? 2 : 1;

		/* the ticks that came before this packet arrived, one per 20 ms
		 * of capture time */
		size_t due = (size_t)((p[i].at - p[0].at) * 8000);
		while (taken + 160 <= due) {
			int16_t pcm[160];
			cr_assert_eq(rtp_session_recv_audio(s, pcm, 160), 160);
			ears_hear(&e, pcm, 160);
			taken += 160;
		}
		for (int c = 0; c < copies; c++)
			cr_assert_eq(sendto(fd, k->data, k->len, 0, (struct sockaddr *)&to, sizeof to),
				     (ssize_t)k->len);
	}
	for (int i = 0; i < 2; i++) {           /* play out the 40 ms buffered */
		int16_t pcm[160];
		rtp_session_recv_audio(s, pcm, 160);
		ears_hear(&e, pcm, 160);
	}
	rtp_session_stats(s, &h->st);
	ears_close(&e);
	rtp_session_free(s);
	close(fd);
	free(p);
}

static void expect_caller(bool impair)
{
	struct heard h;

	replay("asterisk-testsuite__CARRIER_G711U.pcap", CARRIER_SRC, impair, &h);
	cr_assert_eq(h.st.received, impair ? 880 : 800);
	cr_assert_eq(h.st.foreign + h.st.malformed, 0);
	/* swapped around the capture's own gap (below), 4019 comes 60 ms
	 * after 4022: the one late packet, and the delay grows */
	cr_assert_eq(h.st.late, impair ? 1 : 0);
	cr_assert(h.cng, "no CNG heard from the calling fax");
	cr_assert_not(h.ced);
	cr_assert(h.tsi_seen, "no TSI; frames seen: %s", h.types);
	cr_assert_str_eq(h.tsi, "", "the capture's TSI is 20 spaces");
	cr_assert(strstr(h.types, "TSI DCS") != NULL, "TSI then DCS expected: %s", h.types);
	if (impair) {
		cr_assert_gt(h.st.reordered, 300);
		cr_assert_eq(h.st.duplicates, 80);
	} else {
		cr_assert_eq(h.st.reordered + h.st.duplicates, 0);
		/* the capture itself lacks seq 4007-4018 and 4020-4021 */
		cr_assert_eq(h.st.concealed, 14, "concealed %llu", (unsigned long long)h.st.concealed);
	}
}

static void expect_answerer(bool impair)
{
	struct heard h;

	replay("asterisk-testsuite__CUSTOMER_G711U.pcap", CUSTOMER_SRC, impair, &h);
	cr_assert_eq(h.st.received, impair ? 439 : 399);
	cr_assert_eq(h.st.foreign + h.st.malformed, 0);
	cr_assert(h.ced, "no CED heard from the answering fax");
	cr_assert_not(h.cng);
	cr_assert(h.csi_seen, "no CSI; frames seen: %s", h.types);
	cr_assert_str_eq(h.csi, "++08122555448800751+");
	cr_assert(strstr(h.types, "NSF CSI DIS") != NULL, "NSF, CSI, DIS expected: %s", h.types);
}

Test(capture_media, caller_cng_tsi_dcs_through_the_media_path) { expect_caller(false); }
Test(capture_media, caller_survives_reordering_and_duplicates) { expect_caller(true); }
Test(capture_media, answerer_ced_nsf_csi_dis_through_the_media_path) { expect_answerer(false); }
Test(capture_media, answerer_survives_reordering_and_duplicates) { expect_answerer(true); }
