/* The adaptive playout buffer. Positions are RTP timestamps (8 kHz
 * samples) taken modulo a ring a little over one second long; all
 * comparisons use signed 32-bit differences, so sequence and timestamp
 * wrap-around need no special case. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "gateway/jitter.h"

#define RING 8192u                  /* power of two, > JITTER_MAX_MS + packet */
#define MASK (RING - 1u)
#define SAMPLES_PER_MS 8u
#define SHRINK_AFTER 500u           /* frames (10 s) without a late packet */
#define SKIP_AFTER 50u              /* frames (1 s) with too much buffered */
#define BEHIND_LIMIT 8000           /* samples: older than this is a jump */

struct jitter {
	int16_t pcm[RING];
	uint8_t have[RING];
	bool started;
	uint32_t ssrc;
	uint32_t play;                  /* timestamp of the next frame out */
	uint32_t top;                   /* end of the newest samples held */
	uint16_t max_seq;
	unsigned start, max, delay;     /* samples */
	unsigned hold;                  /* frames still to insert (delay grew) */
	unsigned lead;                  /* frames before the first packet's */
	unsigned quiet;                 /* frames since the last late packet */
	unsigned over;                  /* frames in a row with too much held */
	struct jitter_stats st;
};

int jitter_new(unsigned start_ms, unsigned max_ms, struct jitter **out)
{
	struct jitter *j;

	*out = NULL;
	if (start_ms < JITTER_MIN_MS || max_ms > JITTER_MAX_MS || start_ms > max_ms)
		return FGW_ERR_RANGE;
	if ((j = calloc(1, sizeof *j)) == NULL)
		return FGW_ERR_NOMEM;
	j->start = j->delay = start_ms * SAMPLES_PER_MS;
	j->max = max_ms * SAMPLES_PER_MS;
	*out = j;
	return 0;
}

void jitter_free(struct jitter *j)
{
	free(j);
}

/* Starts over at the packet ts: a new stream, or one that jumped. */
static void restart(struct jitter *j, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	if (j->started)
		j->st.restarts++;
	memset(j->have, 0, sizeof j->have);
	j->started = true;
	j->ssrc = ssrc;
	j->play = ts - j->delay;
	j->top = ts;
	j->max_seq = seq;
	j->hold = j->over = 0;
	j->lead = j->delay / JITTER_FRAME;
}

/* A packet came after its samples were played: play later from now on. */
static void grow(struct jitter *j)
{
	j->st.late++;
	j->quiet = 0;
	if (j->delay + JITTER_FRAME <= j->max) {
		j->delay += JITTER_FRAME;
		j->hold++;
	}
}

/* True when every sample of [ts, ts+n) is held already. */
static bool all_held(const struct jitter *j, uint32_t ts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!j->have[(ts + (uint32_t)i) & MASK])
			return false;
	return true;
}

static void store(struct jitter *j, uint32_t ts, const int16_t *samples, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t k = (ts + (uint32_t)i) & MASK;
		j->pcm[k] = samples[i];
		j->have[k] = 1;
	}
	if ((int32_t)(ts + (uint32_t)n - j->top) > 0)
		j->top = ts + (uint32_t)n;
}

int jitter_put(struct jitter *j, uint16_t seq, uint32_t ts, uint32_t ssrc,
	       const int16_t *samples, size_t n)
{
	int32_t off;

	if (n == 0 || n > JITTER_MAX_PACKET)
		return FGW_ERR_INVALID;
	if (!j->started || ssrc != j->ssrc)
		restart(j, seq, ts, ssrc);
	off = (int32_t)(ts - j->play);
	/* Far ahead of anything jitter explains, or long gone: a jump. */
	if (off > (int32_t)(j->max + 4 * JITTER_FRAME) || off < -BEHIND_LIMIT) {
		restart(j, seq, ts, ssrc);
		off = (int32_t)(ts - j->play);
	}
	if (off + (int32_t)n <= 0) {
		grow(j);
		return 1;
	}
	if (off < 0) {              /* partly played: keep the rest */
		grow(j);
		samples += -off;
		n -= (size_t)-off;
		ts = j->play;
	}
	if (all_held(j, ts, n)) {
		j->st.duplicates++;
		return 1;
	}
	if ((int16_t)(seq - j->max_seq) < 0)
		j->st.reordered++;
	else
		j->max_seq = seq;
	store(j, ts, samples, n);
	j->st.packets++;
	return 0;
}

/* Too much held for a second: the sender's clock runs faster than ours,
 * or the delay may shrink. Dropping one frame brings it back. */
static bool should_skip(struct jitter *j)
{
	int32_t depth = (int32_t)(j->top - j->play);

	if (j->quiet >= SHRINK_AFTER && j->delay > j->start) {
		j->delay -= JITTER_FRAME;
		j->quiet = 0;
	}
	if (depth > (int32_t)(j->delay + 2 * JITTER_FRAME))
		j->over++;
	else
		j->over = 0;
	if (j->over < SKIP_AFTER)
		return false;
	j->over = 0;
	return true;
}

/* Moves the playout point one frame on, forgetting that frame. */
static bool take_frame(struct jitter *j, int16_t out[static JITTER_FRAME])
{
	bool whole = true;

	for (uint32_t i = 0; i < JITTER_FRAME; i++) {
		uint32_t k = (j->play + i) & MASK;
		whole = whole && j->have[k];
		out[i] = j->pcm[k];
		j->have[k] = 0;
	}
	j->play += JITTER_FRAME;
	return whole;
}

enum jitter_frame jitter_get(struct jitter *j, int16_t out[static JITTER_FRAME])
{
	memset(out, 0, JITTER_FRAME * sizeof *out);
	if (!j->started)
		return JITTER_IDLE;
	if (j->lead > 0) {          /* before the stream's first packet */
		j->lead--;
		if (take_frame(j, out))
			return JITTER_AUDIO;
		memset(out, 0, JITTER_FRAME * sizeof *out);
		return JITTER_IDLE;
	}
	j->st.frames++;
	j->quiet++;
	if (j->hold > 0) {
		j->hold--;
		j->st.missing++;
		return JITTER_MISSING;
	}
	if (should_skip(j))
		(void)take_frame(j, out);
	if (take_frame(j, out))
		return JITTER_AUDIO;
	memset(out, 0, JITTER_FRAME * sizeof *out);
	j->st.missing++;
	return JITTER_MISSING;
}

void jitter_stats(const struct jitter *j, struct jitter_stats *out)
{
	*out = j->st;
	out->delay_ms = j->delay / SAMPLES_PER_MS;
}
