/* Call-progress tones over SpanDSP's tone_gen. The generator repeats the
 * cadence forever (keeping the oscillator's phase across cycles, so a
 * continuous tone has no clicks); we stop it after the plan's samples. */
#include "dsp/tones.h"

#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#define SAMPLES_PER_MS 8

/* Levels: -13 dBm0 for the prompt beeps so they are heard over a poor line,
 * -24 dBm0 per frequency for the North American style progress tones. */
static const struct tones_plan plans[TONES_KINDS] = {
	[TONES_CONFIRM] = { "confirm", 1400, 0, -13, 100, 100, 0, 0, 3 },
	[TONES_REJECT] = { "reject", 480, 620, -24, 250, 250, 0, 0, 10 },
	[TONES_BUSY] = { "busy", 480, 620, -24, 500, 500, 0, 0, 10 },
	[TONES_DIAL] = { "dial", 350, 440, -24, 1000, 0, 0, 0, 10 },
};

struct tones_player {
	tone_gen_state_t *gen;
	uint64_t total;             /* samples in the whole plan */
	uint64_t played;
};

const struct tones_plan *tones_plan_get(enum tones_kind kind)
{
	if ((unsigned)kind >= TONES_KINDS)
		return NULL;
	return &plans[kind];
}

/* Samples in one cycle: tone_gen stops the cycle at the first zero. */
static uint64_t cycle_samples(const struct tones_plan *p)
{
	unsigned d[4] = { p->on1_ms, p->off1_ms, p->on2_ms, p->off2_ms };
	uint64_t ms = 0;

	for (int i = 0; i < 4 && d[i] != 0; i++)
		ms += d[i];
	return ms * SAMPLES_PER_MS;
}

uint64_t tones_plan_samples(const struct tones_plan *plan)
{
	return cycle_samples(plan) * plan->cycles;
}

static bool plan_valid(const struct tones_plan *p)
{
	bool f2_ok = p->f2 == 0 || (p->f2 >= 50 && p->f2 <= 3900);

	return p->f1 >= 50 && p->f1 <= 3900 && f2_ok &&
	       p->level_dbm0 <= 0 && p->level_dbm0 >= -60 &&
	       p->on1_ms > 0 && p->on1_ms <= 60000 && p->off1_ms <= 60000 &&
	       p->on2_ms <= 60000 && p->off2_ms <= 60000 &&
	       p->cycles > 0 && p->cycles <= 10000;
}

struct tones_player *tones_player_new(const struct tones_plan *plan)
{
	tone_gen_descriptor_t *desc;
	struct tones_player *p;

	if (!plan_valid(plan))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	desc = tone_gen_descriptor_init(NULL, plan->f1, plan->level_dbm0,
					plan->f2, plan->level_dbm0,
					(int)plan->on1_ms, (int)plan->off1_ms,
					(int)plan->on2_ms, (int)plan->off2_ms,
					true);
	/* tone_gen_init copies what it needs from the descriptor */
	if (desc != NULL)
		p->gen = tone_gen_init(NULL, desc);
	if (desc != NULL)
		tone_gen_descriptor_free(desc);
	if (p->gen == NULL) {
		free(p);
		return NULL;
	}
	p->total = tones_plan_samples(plan);
	return p;
}

void tones_player_free(struct tones_player *p)
{
	if (p == NULL)
		return;
	(void)tone_gen_free(p->gen);
	free(p);
}

size_t tones_player_fill(struct tones_player *p, int16_t *buf, size_t n)
{
	uint64_t left = p->total - p->played;
	size_t want = n < left ? n : (size_t)left;
	int got = 0;

	/* tone_gen takes an int count: fill in bounded pieces */
	while ((size_t)got < want) {
		size_t piece = want - (size_t)got > 8000 ? 8000 : want - (size_t)got;
		int r = tone_gen(p->gen, buf + got, (int)piece);
		if (r <= 0)
			break;
		got += r;
	}
	p->played += (uint64_t)got;
	if ((size_t)got < want)
		p->played = p->total;  /* generator stopped early: end the plan */
	memset(buf + got, 0, (n - (size_t)got) * sizeof(*buf));
	return (size_t)got;
}

bool tones_player_done(const struct tones_player *p)
{
	return p->played >= p->total;
}
