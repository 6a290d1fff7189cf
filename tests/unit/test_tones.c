/* dsp/tones: the generated audio is analysed with a Goertzel filter (our
 * own, in double precision) for the right frequencies, cadence and silence,
 * and each plan ends when it should. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/tones.h"

#define RATE 8000
#define BLOCK 40                    /* 5 ms: every cadence is a multiple */

/* Plays kind to the end in 160-sample frames; returns the samples (caller
 * frees) and their count in *n. */
static int16_t *play(enum tones_kind kind, size_t *n)
{
	const struct tones_plan *plan = tones_plan_get(kind);
	struct tones_player *p;
	size_t cap, used = 0, got;
	int16_t *buf;

	cr_assert_not_null(plan);
	p = tones_player_new(plan);
	cr_assert_not_null(p);
	cap = (size_t)tones_plan_samples(plan) + 320;
	buf = calloc(cap, sizeof(*buf));
	cr_assert_not_null(buf);
	do {
		cr_assert_leq(used + 160, cap, "plan does not end");
		got = tones_player_fill(p, buf + used, 160);
		used += got;
	} while (got == 160);
	cr_assert(tones_player_done(p));
	cr_assert_eq(tones_player_fill(p, buf + used, 160), 0);
	tones_player_free(p);
	*n = used;
	return buf;
}

/* Share of the energy of x[0..n) at freq: 1 for a pure tone at freq. */
static double share_at(const int16_t *x, size_t n, double freq)
{
	double w = 2 * M_PI * freq / RATE, c = 2 * cos(w);
	double s1 = 0, s2 = 0, energy = 0, power;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
		energy += (double)x[i] * x[i];
	}
	power = s1 * s1 + s2 * s2 - c * s1 * s2;
	return energy > 0 ? 2 * power / (n * energy) : 0;
}

static double rms(const int16_t *x, size_t n)
{
	double e = 0;

	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return sqrt(e / n);
}

/* Run lengths in ms of tone (positive) and silence (negative) by 5 ms
 * block; returns how many runs. */
static int cadence(const int16_t *x, size_t n, int *runs, int max)
{
	int count = 0;

	for (size_t b = 0; b + BLOCK <= n; b += BLOCK) {
		bool on = rms(x + b, BLOCK) > 100;
		int ms = BLOCK * 1000 / RATE;
		if (count > 0 && (runs[count - 1] > 0) == on)
			runs[count - 1] += on ? ms : -ms;
		else if (count < max)
			runs[count++] = on ? ms : -ms;
	}
	return count;
}

/* Checks the cadence is on_ms/off_ms repeated cycles times. */
static void expect_cadence(const int16_t *x, size_t n, int on_ms, int off_ms,
			   int cycles)
{
	int runs[64], count = cadence(x, n, runs, 64);

	cr_assert_eq(count, off_ms ? 2 * cycles : 1, "runs: %d", count);
	for (int i = 0; i < count; i++)
		cr_assert_eq(runs[i], i % 2 ? -off_ms : (off_ms ? on_ms : on_ms * cycles),
			     "run %d is %d ms", i, runs[i]);
}

/* Checks a burst holds f1 and f2 (0: single tone) and nothing at other. */
static void expect_freqs(const int16_t *x, size_t n, double f1, double f2,
			 double other)
{
	double want = f2 > 0 ? 0.5 : 1.0;

	cr_assert_float_eq(share_at(x, n, f1), want, 0.08, "%.0f Hz", f1);
	if (f2 > 0)
		cr_assert_float_eq(share_at(x, n, f2), want, 0.08, "%.0f Hz", f2);
	cr_assert_lt(share_at(x, n, other), 0.02, "%.0f Hz", other);
}

Test(tones, confirm_is_three_1400hz_beeps)
{
	size_t n;
	int16_t *x = play(TONES_CONFIRM, &n);

	cr_assert_eq(n, 3 * 200 * 8);
	expect_cadence(x, n, 100, 100, 3);
	expect_freqs(x, 800, 1400, 0, 1000);
	expect_freqs(x + 1600, 800, 1400, 0, 1800);
	free(x);
}

Test(tones, reject_is_480_620_at_a_quarter_second)
{
	size_t n;
	int16_t *x = play(TONES_REJECT, &n);

	cr_assert_eq(n, 10 * 500 * 8);
	expect_cadence(x, n, 250, 250, 10);
	expect_freqs(x, 2000, 480, 620, 1400);
	free(x);
}

Test(tones, busy_is_480_620_at_half_a_second)
{
	size_t n;
	int16_t *x = play(TONES_BUSY, &n);

	cr_assert_eq(n, 10 * 1000 * 8);
	expect_cadence(x, n, 500, 500, 10);
	expect_freqs(x + 8000, 4000, 480, 620, 350);
	free(x);
}

Test(tones, dial_tone_is_continuous_350_440)
{
	size_t n;
	int16_t *x = play(TONES_DIAL, &n);

	cr_assert_eq(n, 10 * 1000 * 8);
	expect_cadence(x, n, 1000, 0, 10);
	/* across a cycle boundary: still one clean tone pair */
	expect_freqs(x + 7600, 800, 350, 440, 620);
	free(x);
}

Test(tones, levels_follow_the_plan)
{
	size_t n;
	int16_t *beep = play(TONES_CONFIRM, &n);
	int16_t *busy = play(TONES_BUSY, &n);
	/* two tones at -24 dBm0 each against one at -13: 11 dB less per
	 * tone, 3 dB back for the pair, so 8 dB lower in total */
	double diff = 20 * log10(rms(beep, 800) / rms(busy, 4000));

	cr_assert_float_eq(diff, 8.0, 0.5, "difference %.2f dB", diff);
	free(beep);
	free(busy);
}

Test(tones, end_falls_inside_a_buffer)
{
	const struct tones_plan *plan = tones_plan_get(TONES_CONFIRM);
	struct tones_player *p = tones_player_new(plan);
	int16_t buf[1000];
	size_t total = 0, got;

	cr_assert_not_null(p);
	for (int i = 0; i < 6; i++) {  /* 4800 samples: ends in the 5th */
		memset(buf, 0x55, sizeof buf);
		got = tones_player_fill(p, buf, 1000);
		total += got;
		for (size_t j = got; j < 1000; j++)
			cr_assert_eq(buf[j], 0, "tail must be silence");
	}
	cr_assert_eq(total, 4800);
	cr_assert(tones_player_done(p));
	tones_player_free(p);
}

Test(tones, invalid_plans_are_refused)
{
	struct tones_plan no_cycles = { "x", 1000, 0, -10, 100, 100, 0, 0, 0 };
	struct tones_plan too_high = { "x", 5000, 0, -10, 100, 100, 0, 0, 1 };
	struct tones_plan too_loud = { "x", 1000, 0, 3, 100, 100, 0, 0, 1 };
	struct tones_plan no_tone = { "x", 1000, 0, -10, 0, 100, 0, 0, 1 };

	cr_assert_null(tones_player_new(&no_cycles));
	cr_assert_null(tones_player_new(&too_high));
	cr_assert_null(tones_player_new(&too_loud));
	cr_assert_null(tones_player_new(&no_tone));
	cr_assert_null(tones_plan_get(TONES_KINDS));
}
