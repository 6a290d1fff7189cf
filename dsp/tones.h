/* Call-progress tones played to a caller as 8 kHz samples, over SpanDSP's
 * cadenced tone generator: the confirmation prompt ("dial the number
 * again"), reject (reorder), busy and dial tone. A plan is plain data; a
 * player turns it into samples and says when it has finished. */
#ifndef FAXGW_DSP_TONES_H
#define FAXGW_DSP_TONES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tones_kind {
	TONES_CONFIRM = 0,          /* 3 x 1400 Hz, 100 ms on / 100 ms off */
	TONES_REJECT,               /* 480+620 Hz, 250 ms on / 250 ms off, 5 s */
	TONES_BUSY,                 /* 480+620 Hz, 500 ms on / 500 ms off, 10 s */
	TONES_DIAL,                 /* 350+440 Hz continuous, 10 s */
	TONES_KINDS
};

/* One cadence cycle is on1, off1, on2, off2 (a zero duration ends the cycle
 * there); the player repeats it cycles times. Frequencies in Hz (f2 0 for a
 * single tone), level per frequency in dBm0. */
struct tones_plan {
	const char *name;
	int f1, f2;
	int level_dbm0;
	unsigned on1_ms, off1_ms, on2_ms, off2_ms;
	unsigned cycles;
};

/* Returns the built-in plan for kind, or NULL for an unknown kind. The plan
 * is static and read-only. */
const struct tones_plan *tones_plan_get(enum tones_kind kind);

struct tones_player;

/* Makes a player for plan (copied; plan need not outlive it). Returns NULL
 * when the plan is invalid (no tone, no duration, no cycles, frequency
 * outside 50..3900 Hz, level above 0 dBm0) or memory is short. Caller frees
 * with tones_player_free. */
struct tones_player *tones_player_new(const struct tones_plan *plan);

/* Frees p; NULL is fine. */
void tones_player_free(struct tones_player *p);

/* Writes up to n samples of the plan into buf; returns how many belong to
 * the plan. When that is less than n the plan has ended and the rest of buf
 * is silence. Returns 0 once done. */
size_t tones_player_fill(struct tones_player *p, int16_t *buf, size_t n);

/* Returns true once every sample of the plan has been played. */
bool tones_player_done(const struct tones_player *p);

/* Returns the plan's total length in samples. */
uint64_t tones_plan_samples(const struct tones_plan *plan);

#endif
