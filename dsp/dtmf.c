/* DTMF collector: SpanDSP's dtmf_rx reports each tone's start and end
 * through its real-time callback; we time those against the number of
 * samples fed and apply the entry rules (terminator, timeouts, length). */
#include "dsp/dtmf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#define SAMPLES_PER_MS 8
/* Samples handed to dtmf_rx at once: events are timed to this grain. */
#define PIECE 40

struct dtmf_collector {
	dtmf_rx_state_t *rx;
	struct dtmf_config cfg;
	char digits[DTMF_MAX_DIGITS + 1];
	unsigned count;
	bool heard;                 /* any digit began, terminator included */
	uint64_t now;               /* samples fed since reset */
	uint64_t deadline;          /* the running timeout expires here */
	enum dtmf_status status;
};

static void finish(struct dtmf_collector *c, enum dtmf_status why)
{
	if (c->status == DTMF_COLLECTING)
		c->status = why;
}

/* SpanDSP: code is the digit when a tone starts, 0 when it ends. */
static void on_tone(void *user, int code, int level, int delay)
{
	struct dtmf_collector *c = user;

	(void)level;
	(void)delay;
	if (c->status != DTMF_COLLECTING)
		return;
	c->deadline = c->now + (uint64_t)c->cfg.inter_digit_ms * SAMPLES_PER_MS;
	if (code == 0)
		return;
	c->heard = true;
	if (c->cfg.terminator != 0 && code == c->cfg.terminator) {
		finish(c, DTMF_TERMINATED);
	} else if (c->count >= c->cfg.max_digits) {
		finish(c, DTMF_TOO_LONG);
	} else {
		c->digits[c->count++] = (char)code;
		c->digits[c->count] = '\0';
	}
}

struct dtmf_collector *dtmf_collector_new(const struct dtmf_config *cfg)
{
	struct dtmf_collector *c;

	if (cfg->max_digits == 0 || cfg->max_digits > DTMF_MAX_DIGITS ||
	    cfg->first_digit_ms == 0 || cfg->inter_digit_ms == 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->cfg = *cfg;
	dtmf_collector_reset(c);
	if (c->rx == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void dtmf_collector_free(struct dtmf_collector *c)
{
	if (c == NULL)
		return;
	if (c->rx != NULL)
		(void)dtmf_rx_free(c->rx);
	free(c);
}

void dtmf_collector_reset(struct dtmf_collector *c)
{
	/* A fresh receiver forgets any tone half-heard before the reset. */
	if (c->rx != NULL)
		(void)dtmf_rx_free(c->rx);
	c->rx = dtmf_rx_init(NULL, NULL, NULL);
	if (c->rx != NULL)
		dtmf_rx_set_realtime_callback(c->rx, on_tone, c);
	c->digits[0] = '\0';
	c->count = 0;
	c->heard = false;
	c->now = 0;
	c->deadline = (uint64_t)c->cfg.first_digit_ms * SAMPLES_PER_MS;
	c->status = c->rx != NULL ? DTMF_COLLECTING : DTMF_FIRST_DIGIT_TIMEOUT;
}

enum dtmf_status dtmf_collector_feed(struct dtmf_collector *c,
				     const int16_t *samples, size_t n)
{
	size_t done = 0;

	while (c->status == DTMF_COLLECTING && done < n) {
		/* Stop exactly at the deadline so a timeout fires on time. */
		uint64_t step = n - done < PIECE ? n - done : PIECE;
		if (step > c->deadline - c->now)
			step = c->deadline - c->now;
		/* Events in this piece count as heard at its end. */
		c->now += step;
		if (step > 0)
			(void)dtmf_rx(c->rx, samples + done, (int)step);
		done += (size_t)step;
		if (c->status == DTMF_COLLECTING && c->now >= c->deadline)
			finish(c, c->heard ? DTMF_INTER_DIGIT_TIMEOUT
					   : DTMF_FIRST_DIGIT_TIMEOUT);
	}
	return c->status;
}

const char *dtmf_collector_digits(const struct dtmf_collector *c)
{
	return c->digits;
}

uint64_t dtmf_collector_samples(const struct dtmf_collector *c)
{
	return c->now;
}

const char *dtmf_status_name(enum dtmf_status status)
{
	switch (status) {
	case DTMF_COLLECTING:
		return "collecting";
	case DTMF_TERMINATED:
		return "terminator";
	case DTMF_INTER_DIGIT_TIMEOUT:
		return "inter-digit timeout";
	case DTMF_FIRST_DIGIT_TIMEOUT:
		return "first-digit timeout";
	case DTMF_TOO_LONG:
		return "too many digits";
	}
	return "unknown";
}
