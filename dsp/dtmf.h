/* DTMF collector over SpanDSP's DTMF receiver: feed it 8 kHz samples and
 * it gathers one entry of digits (e.g. a fax number) until the terminator,
 * a timeout or too many digits. It has no clock of its own: time is the
 * number of samples fed, so a test or a paused line replays exactly. */
#ifndef FAXGW_DSP_DTMF_H
#define FAXGW_DSP_DTMF_H

#include <stddef.h>
#include <stdint.h>

#define DTMF_MAX_DIGITS 64          /* hard cap on max_digits */

struct dtmf_collector;

struct dtmf_config {
	unsigned first_digit_ms;    /* from start (or reset) to the 1st digit */
	unsigned inter_digit_ms;    /* from the start or end of the last digit */
	unsigned max_digits;        /* 1..DTMF_MAX_DIGITS; one more is too long */
	char terminator;            /* ends the entry, not kept; 0 for none */
};

enum dtmf_status {
	DTMF_COLLECTING = 0,
	DTMF_TERMINATED,            /* the terminator was pressed */
	DTMF_INTER_DIGIT_TIMEOUT,   /* digits, then silence */
	DTMF_FIRST_DIGIT_TIMEOUT,   /* nothing at all */
	DTMF_TOO_LONG               /* more than max_digits digits */
};

/* Makes a collector. Returns NULL when cfg is out of range (max_digits 0 or
 * above DTMF_MAX_DIGITS, a zero timeout) or memory is short. Caller frees
 * with dtmf_collector_free. */
struct dtmf_collector *dtmf_collector_new(const struct dtmf_config *cfg);

/* Frees c and its SpanDSP state; NULL is fine. */
void dtmf_collector_free(struct dtmf_collector *c);

/* Starts a new entry: clears digits, restarts the first-digit timer. */
void dtmf_collector_reset(struct dtmf_collector *c);

/* Feeds n samples. Returns DTMF_COLLECTING while the entry goes on, or the
 * reason it ended (in this call or before; later samples are ignored). */
enum dtmf_status dtmf_collector_feed(struct dtmf_collector *c,
				     const int16_t *samples, size_t n);

/* Returns the digits so far (terminator excluded; at most max_digits),
 * NUL-terminated, owned by c and valid until the next feed or reset. */
const char *dtmf_collector_digits(const struct dtmf_collector *c);

/* Returns the sample count (since start or reset) at which the entry ended,
 * or the count fed so far while collecting. */
uint64_t dtmf_collector_samples(const struct dtmf_collector *c);

/* Returns a short English name of status ("terminator", ...); never NULL. */
const char *dtmf_status_name(enum dtmf_status status);

#endif
