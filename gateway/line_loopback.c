/* The loopback line: two ends joined in memory, for tests, benchmarks and
 * the demo. Audio may pass through G.711 and pick up white noise; T.38
 * datagrams may be lost, duplicated or reordered by a seeded generator, so
 * a run can be repeated exactly.
 *
 * Redundancy: SpanDSP asks for `count` copies of each IFP packet. Like a
 * UDPTL sender repeating packets, the loopback sends each copy as its own
 * datagram, each lost or kept on its own; the receiving t38_core drops the
 * extra copies by sequence number. This is simpler than UDPTL's secondary
 * IFP fields but gives the same protection against independent loss. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "dsp/g711.h"
#include "dsp/noise.h"
#include "gateway/line.h"

#define AUDIO_CAP 8000          /* one second of audio in flight */
#define QUEUE_CAP 256           /* datagrams in flight per direction */
#define CHUNK 160

struct datagram {
	uint16_t seq;
	uint16_t len;
	uint8_t data[LINE_T38_MAX_IFP];
};

/* One direction: what one end sent and the other has yet to take. */
struct direction {
	int16_t audio[AUDIO_CAP];
	size_t audio_head, audio_len;
	struct datagram queue[QUEUE_CAP];
	size_t queue_head, queue_len;
	struct dsp_noise *noise;
	struct line_loopback_stats stats;
};

struct loopback {
	struct line_loopback_options opt;
	double gain;             /* from attenuation_db */
	uint64_t rng;
	struct direction dir[2];
	int refs;
};

struct loop_end {
	struct loopback *lb;
	int side;                /* sends into dir[side], takes from dir[!side] */
};

static const struct line_ops loopback_ops;

void line_loopback_options_init(struct line_loopback_options *o)
{
	memset(o, 0, sizeof *o);
	o->law = DSP_G711_ULAW;
	o->seed = 1;
}

/* xorshift64*: small, fast and the same on every platform. */
static double next_uniform(struct loopback *lb)
{
	lb->rng ^= lb->rng >> 12;
	lb->rng ^= lb->rng << 25;
	lb->rng ^= lb->rng >> 27;
	uint64_t x = lb->rng * 0x2545F4914F6CDD1DULL;
	return (double)(x >> 11) * (1.0 / 9007199254740992.0);
}

static bool chance(struct loopback *lb, double p)
{
	return p > 0.0 && next_uniform(lb) < p;
}

/* ---- audio ---------------------------------------------------------- */

static int push_audio(struct direction *d, const int16_t *s, size_t n)
{
	if (n > AUDIO_CAP - d->audio_len)
		return FGW_ERR_TOO_LARGE;
	for (size_t i = 0; i < n; i++)
		d->audio[(d->audio_head + d->audio_len + i) % AUDIO_CAP] = s[i];
	d->audio_len += n;
	d->stats.samples += n;
	return 0;
}

static void attenuate(int16_t *s, size_t n, double gain)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (int16_t)lrint(s[i] * gain);
}

static int lb_send_audio(void *impl, const int16_t *samples, size_t n)
{
	struct loop_end *e = impl;
	struct direction *d = &e->lb->dir[e->side];
	int16_t chunk[CHUNK];

	while (n > 0) {
		size_t k = n < CHUNK ? n : CHUNK;
		memcpy(chunk, samples, k * sizeof chunk[0]);
		if (e->lb->gain < 1.0)
			attenuate(chunk, k, e->lb->gain);
		/* Noise joins on the analog side, before the far end encodes. */
		if (d->noise != NULL)
			dsp_noise_add(d->noise, chunk, k);
		if (e->lb->opt.companding)
			dsp_g711_roundtrip(e->lb->opt.law, chunk, k);
		int rc = push_audio(d, chunk, k);
		if (rc != 0)
			return rc;
		samples += k;
		n -= k;
	}
	return 0;
}

static size_t lb_recv_audio(void *impl, int16_t *samples, size_t max)
{
	struct loop_end *e = impl;
	struct direction *d = &e->lb->dir[!e->side];
	size_t n = d->audio_len < max ? d->audio_len : max;

	for (size_t i = 0; i < n; i++)
		samples[i] = d->audio[(d->audio_head + i) % AUDIO_CAP];
	d->audio_head = (d->audio_head + n) % AUDIO_CAP;
	d->audio_len -= n;
	return n;
}

/* ---- T.38 ----------------------------------------------------------- */

static struct datagram *slot(struct direction *d, size_t i)
{
	return &d->queue[(d->queue_head + i) % QUEUE_CAP];
}

static int push_datagram(struct loopback *lb, struct direction *d,
			 const uint8_t *ifp, size_t len, uint16_t seq)
{
	d->stats.datagrams++;
	if (chance(lb, lb->opt.loss)) {
		d->stats.lost++;
		return 0;
	}
	if (d->queue_len == QUEUE_CAP)
		return FGW_ERR_TOO_LARGE;
	struct datagram *g = slot(d, d->queue_len++);
	g->seq = seq;
	g->len = (uint16_t)len;
	memcpy(g->data, ifp, len);
	if (d->queue_len >= 2 && chance(lb, lb->opt.reorder)) {
		struct datagram tmp = *g;
		*g = *slot(d, d->queue_len - 2);
		*slot(d, d->queue_len - 2) = tmp;
		d->stats.reordered++;
	}
	return 0;
}

static int lb_send_t38(void *impl, const uint8_t *ifp, size_t len, uint16_t seq, int count)
{
	struct loop_end *e = impl;
	struct direction *d = &e->lb->dir[e->side];
	int rc;

	if (len == 0 || len > LINE_T38_MAX_IFP)
		return FGW_ERR_TOO_LARGE;
	for (int i = 0; i < count; i++) {
		if ((rc = push_datagram(e->lb, d, ifp, len, seq)) != 0)
			return rc;
		if (chance(e->lb, e->lb->opt.duplicate)) {
			d->stats.duplicated++;
			if ((rc = push_datagram(e->lb, d, ifp, len, seq)) != 0)
				return rc;
		}
	}
	return 0;
}

static int lb_recv_t38(void *impl, uint8_t *buf, size_t max, size_t *len, uint16_t *seq)
{
	struct loop_end *e = impl;
	struct direction *d = &e->lb->dir[!e->side];

	if (d->queue_len == 0)
		return 0;
	struct datagram *g = slot(d, 0);
	d->queue_head = (d->queue_head + 1) % QUEUE_CAP;
	d->queue_len--;
	if (g->len > max)
		return FGW_ERR_TOO_LARGE;
	memcpy(buf, g->data, g->len);
	*len = g->len;
	*seq = g->seq;
	return 1;
}

/* ---- life ----------------------------------------------------------- */

static void loopback_release(struct loopback *lb)
{
	if (--lb->refs > 0)
		return;
	for (int i = 0; i < 2; i++)
		dsp_noise_free(lb->dir[i].noise);
	free(lb);
}

static void lb_free(void *impl)
{
	struct loop_end *e = impl;

	loopback_release(e->lb);
	free(e);
}

static const struct line_ops loopback_ops = {
	.name = "loopback",
	.send_audio = lb_send_audio,
	.recv_audio = lb_recv_audio,
	.send_t38 = lb_send_t38,
	.recv_t38 = lb_recv_t38,
	.free = lb_free,
};

static bool is_probability(double p)
{
	return p >= 0.0 && p <= 1.0;
}

static int check_options(const struct line_loopback_options *o)
{
	if (!is_probability(o->loss) || !is_probability(o->duplicate) ||
	    !is_probability(o->reorder))
		return FGW_ERR_RANGE;
	if (o->noise && !(o->snr_db >= 0.0 && o->snr_db <= 70.0))
		return FGW_ERR_RANGE;
	if (!(o->attenuation_db >= 0.0 && o->attenuation_db <= 40.0))
		return FGW_ERR_RANGE;
	return 0;
}

static struct line *make_end(struct loopback *lb, int side)
{
	struct loop_end *e = calloc(1, sizeof *e);

	if (e == NULL)
		return NULL;
	e->lb = lb;
	e->side = side;
	struct line *l = line_new(&loopback_ops, e);
	if (l == NULL) {
		free(e);
		return NULL;
	}
	lb->refs++;
	return l;
}

int line_loopback_new(const struct line_loopback_options *o, struct line **a, struct line **b)
{
	int rc;

	*a = *b = NULL;
	if ((rc = check_options(o)) != 0)
		return rc;
	struct loopback *lb = calloc(1, sizeof *lb);
	if (lb == NULL)
		return FGW_ERR_NOMEM;
	lb->opt = *o;
	/* A zero state would stay zero forever. */
	lb->rng = o->seed != 0 ? o->seed : 0x9E3779B97F4A7C15ULL;
	lb->refs = 1;   /* held until both ends exist */
	lb->gain = pow(10.0, -o->attenuation_db / 20.0);
	for (int i = 0; o->noise && i < 2; i++) {
		uint32_t seed = (uint32_t)(o->seed * 2 + (uint64_t)i + 1);
		lb->dir[i].noise = dsp_noise_new(seed, DSP_NOISE_SIGNAL_DBM0 -
						  o->attenuation_db - o->snr_db);
		if (lb->dir[i].noise == NULL)
			goto nomem;
	}
	if ((*a = make_end(lb, 0)) == NULL || (*b = make_end(lb, 1)) == NULL)
		goto nomem;
	loopback_release(lb);
	return 0;
nomem:
	line_free(*a);
	*a = NULL;
	loopback_release(lb);
	return FGW_ERR_NOMEM;
}

int line_loopback_stats(const struct line *l, struct line_loopback_stats *out)
{
	const struct loop_end *e = line_impl(l, &loopback_ops);

	if (e == NULL)
		return FGW_ERR_INVALID;
	*out = e->lb->dir[e->side].stats;
	return 0;
}
