/* dsp/dtmf: digits made by SpanDSP's DTMF generator, with noise and twist,
 * are collected exactly; terminator, timeouts and length limit end the
 * entry at the right sample. */
#include <criterion/criterion.h>
#include <string.h>

#include <spandsp.h>

#include "dsp/dtmf.h"

#define FRAME 160                   /* 20 ms at 8 kHz */

/* A line: DTMF digits (if any) followed by silence, plus white noise. */
struct line {
	dtmf_tx_state_t *tx;
	awgn_state_t *noise;
	uint64_t tone_samples;          /* samples the generator produced */
};

static void line_init(struct line *l, const char *digits, int level,
		      int twist, float noise_dbm0)
{
	l->tx = dtmf_tx_init(NULL);
	cr_assert_not_null(l->tx);
	dtmf_tx_set_level(l->tx, level, twist);
	/* returns how many digits did not fit: none may be left out */
	cr_assert_eq(dtmf_tx_put(l->tx, digits, -1), 0);
	l->noise = noise_dbm0 > -99 ? awgn_init_dbm0(NULL, 1234, noise_dbm0) : NULL;
	l->tone_samples = 0;
}

static void line_fill(struct line *l, int16_t *buf, int n)
{
	int got = dtmf_tx(l->tx, buf, n);

	l->tone_samples += (uint64_t)got;
	memset(buf + got, 0, (size_t)(n - got) * sizeof(*buf));
	for (int i = 0; l->noise != NULL && i < n; i++) {
		int v = buf[i] + awgn(l->noise);
		buf[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
}

static void line_free(struct line *l)
{
	(void)dtmf_tx_free(l->tx);
	if (l->noise != NULL)
		(void)awgn_free(l->noise);
}

/* Feeds frames until the entry ends (or max_s seconds); returns status. */
static enum dtmf_status run(struct dtmf_collector *c, struct line *l,
			    int max_s)
{
	int16_t buf[FRAME];
	enum dtmf_status st = DTMF_COLLECTING;

	for (int i = 0; st == DTMF_COLLECTING && i < max_s * 50; i++) {
		line_fill(l, buf, FRAME);
		st = dtmf_collector_feed(c, buf, FRAME);
	}
	return st;
}

static struct dtmf_collector *collector(unsigned first_ms, unsigned inter_ms,
					unsigned max, char term)
{
	struct dtmf_config cfg = { first_ms, inter_ms, max, term };
	struct dtmf_collector *c = dtmf_collector_new(&cfg);

	cr_assert_not_null(c);
	return c;
}

Test(dtmf, number_with_noise_is_collected_up_to_the_terminator)
{
	struct dtmf_collector *c = collector(5000, 3000, 20, '#');
	struct line l;

	/* -10 dBm0 tones, noise 30 dB below */
	line_init(&l, "0312345678#", -10, 0, -40.0f);
	cr_assert_eq(run(c, &l, 10), DTMF_TERMINATED);
	cr_assert_str_eq(dtmf_collector_digits(c), "0312345678");
	line_free(&l);
	dtmf_collector_free(c);
}

/* Twist: the high group louder (+3 dB) or quieter (-6 dB) than the low
 * group, within what real phones and lines do; quiet tones, noise 25 dB
 * below the low group. */
static void twisted(int twist)
{
	struct dtmf_collector *c = collector(5000, 3000, 20, '#');
	struct line l;

	line_init(&l, "9876543210*#", -20, twist, -45.0f);
	cr_assert_eq(run(c, &l, 10), DTMF_TERMINATED, "twist %d", twist);
	cr_assert_str_eq(dtmf_collector_digits(c), "9876543210*", "twist %d",
			 twist);
	line_free(&l);
	dtmf_collector_free(c);
}

Test(dtmf, twisted_and_quiet_digits_are_collected)
{
	twisted(3);
	twisted(-6);
}

Test(dtmf, all_sixteen_keys_are_told_apart)
{
	struct dtmf_collector *c = collector(5000, 1000, 20, 0);
	struct line l;

	line_init(&l, "0123456789*#ABCD", -10, 0, -60.0f);
	cr_assert_eq(run(c, &l, 10), DTMF_INTER_DIGIT_TIMEOUT);
	cr_assert_str_eq(dtmf_collector_digits(c), "0123456789*#ABCD");
	line_free(&l);
	dtmf_collector_free(c);
}

Test(dtmf, first_digit_timeout_fires_on_the_sample)
{
	struct dtmf_collector *c = collector(5000, 3000, 20, '#');
	struct line l;

	line_init(&l, "", -10, 0, -40.0f);
	cr_assert_eq(run(c, &l, 10), DTMF_FIRST_DIGIT_TIMEOUT);
	cr_assert_eq(dtmf_collector_samples(c), 5000 * 8);
	cr_assert_str_empty(dtmf_collector_digits(c));
	line_free(&l);
	dtmf_collector_free(c);
}

Test(dtmf, inter_digit_timeout_fires_after_the_last_digit)
{
	struct dtmf_collector *c = collector(5000, 3000, 20, '#');
	struct line l;
	int64_t late;

	line_init(&l, "123", -10, 0, -40.0f);
	cr_assert_eq(run(c, &l, 10), DTMF_INTER_DIGIT_TIMEOUT);
	cr_assert_str_eq(dtmf_collector_digits(c), "123");
	/* the generator's last tone ends 55 ms (its off time) before it
	 * stops producing; the detector notices the end within two of its
	 * 102-sample blocks plus our 40-sample grain */
	late = (int64_t)dtmf_collector_samples(c) -
	       (int64_t)(l.tone_samples - 55 * 8 + 3000 * 8);
	cr_assert(late >= 0 && late <= FRAME * 2, "late by %lld samples",
		  (long long)late);
	line_free(&l);
	dtmf_collector_free(c);
}

Test(dtmf, entry_longer_than_the_maximum_is_too_long)
{
	struct dtmf_collector *c = collector(5000, 3000, 5, '#');
	struct line l;

	line_init(&l, "1234567#", -10, 0, -40.0f);
	cr_assert_eq(run(c, &l, 10), DTMF_TOO_LONG);
	cr_assert_str_eq(dtmf_collector_digits(c), "12345");
	line_free(&l);
	dtmf_collector_free(c);
}

Test(dtmf, terminator_alone_gives_an_empty_entry)
{
	struct dtmf_collector *c = collector(5000, 3000, 20, '#');
	struct line l;

	line_init(&l, "#", -10, 0, -40.0f);
	cr_assert_eq(run(c, &l, 10), DTMF_TERMINATED);
	cr_assert_str_empty(dtmf_collector_digits(c));
	line_free(&l);
	dtmf_collector_free(c);
}

Test(dtmf, reset_starts_a_second_entry)
{
	struct dtmf_collector *c = collector(5000, 3000, 20, '#');
	struct line l;

	line_init(&l, "12#", -10, 0, -40.0f);
	cr_assert_eq(run(c, &l, 10), DTMF_TERMINATED);
	line_free(&l);
	dtmf_collector_reset(c);
	cr_assert_eq(dtmf_collector_samples(c), 0);
	cr_assert_str_empty(dtmf_collector_digits(c));
	line_init(&l, "345#", -10, 0, -40.0f);
	cr_assert_eq(run(c, &l, 10), DTMF_TERMINATED);
	cr_assert_str_eq(dtmf_collector_digits(c), "345");
	line_free(&l);
	dtmf_collector_free(c);
}

Test(dtmf, silence_and_noise_alone_give_no_digits)
{
	struct dtmf_collector *c = collector(8000, 3000, 20, '#');
	struct line l;

	line_init(&l, "", -10, 0, -20.0f);  /* loud hiss */
	cr_assert_eq(run(c, &l, 10), DTMF_FIRST_DIGIT_TIMEOUT);
	cr_assert_str_empty(dtmf_collector_digits(c));
	line_free(&l);
	dtmf_collector_free(c);
}

Test(dtmf, bad_configuration_is_refused)
{
	struct dtmf_config zero_len = { 5000, 3000, 0, '#' };
	struct dtmf_config huge = { 5000, 3000, DTMF_MAX_DIGITS + 1, '#' };
	struct dtmf_config no_timeout = { 0, 3000, 20, '#' };

	cr_assert_null(dtmf_collector_new(&zero_len));
	cr_assert_null(dtmf_collector_new(&huge));
	cr_assert_null(dtmf_collector_new(&no_timeout));
	cr_assert_str_eq(dtmf_status_name(DTMF_TOO_LONG), "too many digits");
}
