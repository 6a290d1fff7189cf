/* dsp/t38gw end to end, in memory: a SpanDSP audio fax sender (TSI and SUB
 * set) -> audio -> our gateway -> T.38 IFP -> a SpanDSP T.38 terminal
 * receiver, in synchronous 20 ms steps. The fax must complete on both ends
 * with the right page count, and the frame observer must have seen the TSI
 * and SUB exactly as sent. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <spandsp.h>
#include <tiffio.h>

#include "common/err.h"
#include "common/str.h"
#include "dsp/t38gw.h"
#include "dsp/tiffdoc.h"

#define STEP 160                    /* 20 ms at 8 kHz */
#define MAX_STEPS (50 * 300)        /* 5 minutes of simulated call */
#define QUEUE_LEN 256
#define PKT_MAX 1024

#define SENDER_TSI "+81 3 5555 0143"
#define SENDER_SUB "2201"
#define RECEIVER_CSI "+81 3 5555 0199"

/* IFP packets in flight one way; drained after each step so neither end
 * is re-entered from inside the other's callback. */
struct queue {
	uint8_t pkt[QUEUE_LEN][PKT_MAX];
	size_t len[QUEUE_LEN];
	unsigned head, count;
	uint16_t seq;
};

struct seen {
	char tsi[T38GW_IDENT_MAX + 1];
	char sub[T38GW_IDENT_MAX + 1];
	char csi[T38GW_IDENT_MAX + 1];
	int dcs_from_audio;
	int frames;
};

struct call {
	fax_state_t *sender;
	t38_terminal_state_t *receiver;
	struct t38gw *gw;
	struct queue to_receiver, to_gw;
	struct seen seen;
	int sender_result, receiver_result;   /* -1 until phase E */
};

static char tmpdir[PATH_MAX];

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	cr_assert_eq(str_copy(tmpdir, sizeof tmpdir, "/tmp/faxgw-t38gw-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
	cr_assert_eq(nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
}

TestSuite(t38gw, .init = setup, .fini = teardown);

static void push(struct queue *q, const uint8_t *buf, size_t len)
{
	unsigned tail = (q->head + q->count) % QUEUE_LEN;

	cr_assert_lt(q->count, QUEUE_LEN, "IFP queue overflow");
	cr_assert_leq(len, PKT_MAX);
	memcpy(q->pkt[tail], buf, len);
	q->len[tail] = len;
	q->count++;
}

/* The gateway's IFP output: queued for the receiver. */
static int gw_ifp_tx(void *arg, const uint8_t *ifp, size_t len, int count)
{
	struct call *c = arg;

	(void)count;  /* a lossless path: once is enough */
	push(&c->to_receiver, ifp, len);
	return 0;
}

static int receiver_ifp_tx(t38_core_state_t *s, void *arg, const uint8_t *buf,
			   int len, int count)
{
	struct call *c = arg;

	(void)s;
	(void)count;
	push(&c->to_gw, buf, (size_t)len);
	return 0;
}

static void copy_ident(char *dst, const struct t38gw_frame *f)
{
	cr_assert_eq(str_copy(dst, T38GW_IDENT_MAX + 1, f->ident), 0);
}

static void on_frame(void *arg, const struct t38gw_frame *f)
{
	struct seen *s = &((struct call *)arg)->seen;

	s->frames++;
	if (strcmp(f->type, "TSI") == 0 && f->dir == T38GW_FROM_AUDIO)
		copy_ident(s->tsi, f);
	else if (strcmp(f->type, "SUB") == 0 && f->dir == T38GW_FROM_AUDIO)
		copy_ident(s->sub, f);
	else if (strcmp(f->type, "CSI") == 0 && f->dir == T38GW_FROM_T38)
		copy_ident(s->csi, f);
	else if (strcmp(f->type, "DCS") == 0 && f->dir == T38GW_FROM_AUDIO)
		s->dcs_from_audio++;
}

static void sender_done(t30_state_t *s, void *arg, int result)
{
	(void)s;
	((struct call *)arg)->sender_result = result;
}

static void receiver_done(t30_state_t *s, void *arg, int result)
{
	(void)s;
	((struct call *)arg)->receiver_result = result;
}

static void setup_sender(struct call *c, const char *file, int last_page,
			 bool ecm)
{
	t30_state_t *t30;

	c->sender = fax_init(NULL, true);
	cr_assert_not_null(c->sender);
	t30 = fax_get_t30_state(c->sender);
	fax_set_transmit_on_idle(c->sender, true);
	cr_assert_eq(t30_set_tx_ident(t30, SENDER_TSI), 0);
	cr_assert_eq(t30_set_tx_sub_address(t30, SENDER_SUB), 0);
	cr_assert_eq(t30_set_supported_t30_features(t30,
		     T30_SUPPORT_SUB_ADDRESSING | T30_SUPPORT_IDENTIFICATION), 0);
	cr_assert_eq(t30_set_ecm_capability(t30, ecm), 0);
	t30_set_tx_file(t30, file, 0, last_page);
	t30_set_phase_e_handler(t30, sender_done, c);
}

static void setup_receiver(struct call *c, const char *out, bool ecm)
{
	t30_state_t *t30;

	c->receiver = t38_terminal_init(NULL, false, receiver_ifp_tx, c);
	cr_assert_not_null(c->receiver);
	t30 = t38_terminal_get_t30_state(c->receiver);
	cr_assert_eq(t30_set_tx_ident(t30, RECEIVER_CSI), 0);
	cr_assert_eq(t30_set_supported_t30_features(t30,
		     T30_SUPPORT_SUB_ADDRESSING | T30_SUPPORT_IDENTIFICATION), 0);
	cr_assert_eq(t30_set_ecm_capability(t30, ecm), 0);
	if (ecm)
		cr_assert_eq(t30_set_supported_compressions(t30,
			     T30_SUPPORT_T4_1D_COMPRESSION |
			     T30_SUPPORT_T4_2D_COMPRESSION |
			     T30_SUPPORT_T6_COMPRESSION), 0);
	t30_set_rx_file(t30, out, -1);
	t30_set_phase_e_handler(t30, receiver_done, c);
	t38_set_t38_version(t38_terminal_get_t38_core_state(c->receiver), 0);
}

static void drain(struct call *c)
{
	t38_core_state_t *core = t38_terminal_get_t38_core_state(c->receiver);
	struct queue *q;

	for (q = &c->to_receiver; q->count > 0; q->count--) {
		(void)t38_core_rx_ifp_packet(core, q->pkt[q->head],
					     (int)q->len[q->head], q->seq++);
		q->head = (q->head + 1) % QUEUE_LEN;
	}
	for (q = &c->to_gw; q->count > 0; q->count--) {
		cr_assert_eq(t38gw_rx_ifp(c->gw, q->pkt[q->head], q->len[q->head],
					  q->seq++), 0);
		q->head = (q->head + 1) % QUEUE_LEN;
	}
}

/* Runs the call to the end of both phase Es; returns the steps taken. */
static int run_call(struct call *c)
{
	int16_t up[STEP], down[STEP];
	int step;

	for (step = 0; step < MAX_STEPS; step++) {
		int n = fax_tx(c->sender, up, STEP);
		memset(up + n, 0, (size_t)(STEP - n) * sizeof(up[0]));
		t38gw_rx_audio(c->gw, up, STEP);
		(void)t38gw_tx_audio(c->gw, down, STEP);
		(void)fax_rx(c->sender, down, STEP);
		(void)t38_terminal_send_timeout(c->receiver, STEP);
		drain(c);
		if (c->sender_result >= 0 && c->receiver_result >= 0)
			break;
	}
	cr_assert_lt(step, MAX_STEPS, "the call did not end");
	return step;
}

static void testdata_path(char *buf, size_t size, const char *rel)
{
	const char *dir = getenv("FAXGW_TESTDATA");

	cr_assert_not_null(dir, "FAXGW_TESTDATA is not set");
	cr_assert_eq(str_format(buf, size, "%s/%s", dir, rel), 0);
	cr_assert_eq(access(buf, R_OK), 0, "test data missing: %s", buf);
}

static struct call *new_call(const char *rel, int last_page, bool ecm)
{
	struct t38gw_config cfg = { ecm, 0, true, true, 0 };
	struct call *c = calloc(1, sizeof(*c));
	char in[PATH_MAX], out[PATH_MAX];

	cr_assert_not_null(c);
	c->sender_result = c->receiver_result = -1;
	testdata_path(in, sizeof in, rel);
	cr_assert_eq(str_format(out, sizeof out, "%s/rx.tif", tmpdir), 0);
	setup_sender(c, in, last_page, ecm);
	setup_receiver(c, out, ecm);
	c->gw = t38gw_new(&cfg, gw_ifp_tx, on_frame, c);
	cr_assert_not_null(c->gw);
	return c;
}

static void free_call(struct call *c)
{
	t38gw_free(c->gw);
	(void)fax_free(c->sender);
	(void)t38_terminal_free(c->receiver);
	free(c);
}

/* The receiver's TIFF holds the pages, each 1728 pels wide. */
static void expect_rx_file_pages(int pages)
{
	char path[PATH_MAX];
	TIFF *t;
	uint32_t w = 0;

	cr_assert_eq(str_format(path, sizeof path, "%s/rx.tif", tmpdir), 0);
	t = TIFFOpen(path, "r");
	cr_assert_not_null(t, "no received file");
	cr_assert_eq(TIFFNumberOfDirectories(t), pages);
	cr_assert(TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w));
	cr_assert_eq(w, 1728);
	TIFFClose(t);
}

static int hash_row(void *arg, uint32_t row, const uint8_t *lum, uint32_t w)
{
	uint64_t *h = arg;

	(void)row;
	for (uint32_t x = 0; x < w; x++)
		*h = (*h ^ (lum[x] < 128)) * 1099511628211ull;
	return 0;
}

static uint64_t page_hash(const char *path, unsigned page)
{
	struct tiffdoc *d = NULL;
	uint64_t h = 1469598103934665603ull;
	char msg[512];

	cr_assert_eq(tiffdoc_open_file(path, NULL, &d, msg, sizeof msg), 0,
		     "%s", msg);
	cr_assert_eq(tiffdoc_read_rows(d, page, hash_row, &h, msg, sizeof msg),
		     0, "%s", msg);
	tiffdoc_close(d);
	return h;
}

/* Every received page is pixel-identical to the page sent. */
static void expect_same_pages(const char *rel, int pages)
{
	char in[PATH_MAX], out[PATH_MAX];

	testdata_path(in, sizeof in, rel);
	cr_assert_eq(str_format(out, sizeof out, "%s/rx.tif", tmpdir), 0);
	for (int p = 0; p < pages; p++)
		cr_assert_eq(page_hash(in, (unsigned)p), page_hash(out, (unsigned)p),
			     "page %d differs", p + 1);
}

static void expect_complete(struct call *c, int pages)
{
	t30_stats_t st;
	struct t38gw_stats gs;

	cr_assert_eq(c->sender_result, T30_ERR_OK, "sender: %s",
		     t30_completion_code_to_str(c->sender_result));
	cr_assert_eq(c->receiver_result, T30_ERR_OK, "receiver: %s",
		     t30_completion_code_to_str(c->receiver_result));
	t30_get_transfer_statistics(t38_terminal_get_t30_state(c->receiver), &st);
	cr_assert_eq(st.pages_rx, pages);
	t30_get_transfer_statistics(fax_get_t30_state(c->sender), &st);
	cr_assert_eq(st.pages_tx, pages);
	t38gw_get_stats(c->gw, &gs);
	cr_assert_eq(gs.pages, pages);
	cr_assert_str_eq(t30_get_rx_sub_address(
		t38_terminal_get_t30_state(c->receiver)), SENDER_SUB);
	expect_rx_file_pages(pages);
}

static void expect_idents_seen(const struct call *c)
{
	cr_assert_str_eq(c->seen.tsi, SENDER_TSI);
	cr_assert_str_eq(c->seen.sub, SENDER_SUB);
	cr_assert_str_eq(c->seen.csi, RECEIVER_CSI);
	cr_assert_geq(c->seen.dcs_from_audio, 1);
}

Test(t38gw, audio_fax_reaches_t38_terminal_and_idents_are_seen)
{
	struct call *c = new_call("tiff/asterisk-testsuite__send.tiff", -1, false);

	run_call(c);
	expect_complete(c, 1);
	expect_same_pages("tiff/asterisk-testsuite__send.tiff", 1);
	expect_idents_seen(c);
	free_call(c);
}

Test(t38gw, two_pages_with_ecm)
{
	struct call *c = new_call("itu/itutests_mmr.tif", 1, true);
	struct t38gw_stats gs;

	run_call(c);
	expect_complete(c, 2);
	expect_same_pages("itu/itutests_mmr.tif", 2);
	expect_idents_seen(c);
	t38gw_get_stats(c->gw, &gs);
	cr_assert(gs.ecm);
	free_call(c);
}

Test(t38gw, identity_frames_are_decoded_in_reading_order)
{
	/* TSI with X bit, "2201" reversed and space-padded to 20 octets */
	uint8_t tsi[3 + 20], sub[3 + 20], dcs[] = { 0xFF, 0x13, 0x83, 0, 0x46 };
	const char *id = "+81 3 5555 0143";
	struct t38gw_frame f;

	memset(tsi, ' ', sizeof tsi);
	tsi[0] = 0xFF;
	tsi[1] = 0x03;
	tsi[2] = T30_TSI | 0x01;
	for (size_t i = 0; i < strlen(id); i++)
		tsi[3 + 19 - i] = (uint8_t)id[i];
	cr_assert_eq(t38gw_decode_frame(tsi, sizeof tsi, T38GW_FROM_AUDIO, &f), 0);
	cr_assert_str_eq(f.type, "TSI");
	cr_assert(f.has_ident);
	cr_assert_str_eq(f.ident, id);

	memcpy(sub, tsi, 3);
	memset(sub + 3, ' ', 20);
	sub[2] = T30_SUB;
	sub[3 + 19] = '2';
	sub[3 + 18] = '2';
	sub[3 + 17] = 0x07;  /* a control octet is shown as '?' */
	sub[3 + 16] = '1';
	cr_assert_eq(t38gw_decode_frame(sub, sizeof sub, T38GW_FROM_AUDIO, &f), 0);
	cr_assert_str_eq(f.type, "SUB");
	cr_assert_str_eq(f.ident, "22?1");

	cr_assert_eq(t38gw_decode_frame(dcs, sizeof dcs, T38GW_FROM_AUDIO, &f), 0);
	cr_assert_str_eq(f.type, "DCS");
	cr_assert_not(f.has_ident);
	cr_assert_str_empty(f.ident);
}

Test(t38gw, malformed_frames_give_no_identity)
{
	uint8_t long_csi[3 + 24];
	struct t38gw_frame f;

	memset(long_csi, 'A', sizeof long_csi);
	long_csi[0] = 0xFF;
	long_csi[1] = 0x03;
	long_csi[2] = T30_CSI;
	cr_assert_eq(t38gw_decode_frame(long_csi, sizeof long_csi,
					T38GW_FROM_T38, &f), 0);
	cr_assert_str_eq(f.type, "CSI");
	cr_assert_str_empty(f.ident, "over-long field must not be guessed");
	cr_assert_eq(t38gw_decode_frame(long_csi, 2, T38GW_FROM_T38, &f),
		     FGW_ERR_PARSE);
}

Test(t38gw, bad_configuration_is_refused)
{
	struct t38gw_config bad_version = { false, 0, true, true, 4 };
	struct t38gw_config bad_modem = { false, 0x80, true, true, 0 };
	struct t38gw_config ok = { false, T38GW_V29, true, true, 0 };
	struct t38gw *g;

	cr_assert_null(t38gw_new(&bad_version, gw_ifp_tx, NULL, NULL));
	cr_assert_null(t38gw_new(&bad_modem, gw_ifp_tx, NULL, NULL));
	cr_assert_null(t38gw_new(&ok, NULL, NULL, NULL));
	g = t38gw_new(&ok, gw_ifp_tx, NULL, NULL);
	cr_assert_not_null(g);
	t38gw_free(g);
}
