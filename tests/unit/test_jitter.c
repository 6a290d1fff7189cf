/* The adaptive playout buffer: order, duplicates, loss, late packets,
 * wrap-around, restarts and delay adaptation, with samples that encode
 * their own timestamp so every frame out can be checked. */
#include <criterion/criterion.h>

#include "common/err.h"
#include "gateway/jitter.h"

#define SSRC 0x11223344u

/* Sample i of the stream is (int16_t)(ts + i): continuity is checkable. */
static void fill(int16_t *buf, uint32_t ts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (int16_t)(uint16_t)(ts + (uint32_t)i);
}

static int put(struct jitter *j, uint16_t seq, uint32_t ts, size_t n)
{
	int16_t buf[JITTER_MAX_PACKET];

	fill(buf, ts, n);
	return jitter_put(j, seq, ts, SSRC, buf, n);
}

/* Takes a frame and checks it is audio starting at timestamp ts. */
static void expect_audio(struct jitter *j, uint32_t ts)
{
	int16_t out[JITTER_FRAME];

	cr_assert_eq(jitter_get(j, out), JITTER_AUDIO, "frame at ts %u", ts);
	for (size_t i = 0; i < JITTER_FRAME; i++)
		cr_assert_eq(out[i], (int16_t)(uint16_t)(ts + i), "sample %zu of ts %u", i, ts);
}

static enum jitter_frame get(struct jitter *j)
{
	int16_t out[JITTER_FRAME];

	return jitter_get(j, out);
}

static struct jitter *make(unsigned start, unsigned max)
{
	struct jitter *j;

	cr_assert_eq(jitter_new(start, max, &j), FGW_OK);
	return j;
}

Test(jitter, new_refuses_bad_delays)
{
	struct jitter *j;

	cr_assert_eq(jitter_new(10, 100, &j), FGW_ERR_RANGE);
	cr_assert_eq(jitter_new(40, 600, &j), FGW_ERR_RANGE);
	cr_assert_eq(jitter_new(120, 100, &j), FGW_ERR_RANGE);
	cr_assert_null(j);
}

Test(jitter, put_refuses_empty_and_oversize_packets)
{
	struct jitter *j = make(40, 100);
	int16_t buf[1] = {0};

	cr_assert_eq(jitter_put(j, 1, 0, SSRC, buf, 0), FGW_ERR_INVALID);
	cr_assert_eq(jitter_put(j, 1, 0, SSRC, buf, JITTER_MAX_PACKET + 1), FGW_ERR_INVALID);
	jitter_free(j);
}

Test(jitter, idle_silence_before_the_first_packet)
{
	struct jitter *j = make(40, 100);
	int16_t out[JITTER_FRAME];
	struct jitter_stats st;

	out[3] = 77;
	cr_assert_eq(jitter_get(j, out), JITTER_IDLE);
	cr_assert_eq(out[3], 0);
	jitter_stats(j, &st);
	cr_assert_eq(st.frames, 0);
	jitter_free(j);
}

/* A steady stream: two lead-in frames (40 ms), then every packet in order. */
Test(jitter, steady_stream_plays_after_the_start_delay)
{
	struct jitter *j = make(40, 100);
	struct jitter_stats st;

	for (uint32_t k = 0; k < 50; k++) {
		cr_assert_eq(put(j, (uint16_t)(100 + k), 1000 + k * 160, 160), 0);
		if (k < 2)
			cr_assert_eq(get(j), JITTER_IDLE, "lead-in frame %u", k);
		else
			expect_audio(j, 1000 + (k - 2) * 160);
	}
	jitter_stats(j, &st);
	cr_assert_eq(st.packets, 50);
	cr_assert_eq(st.missing, 0);
	cr_assert_eq(st.delay_ms, 40);
	jitter_free(j);
}

Test(jitter, reordered_packets_come_out_in_order)
{
	struct jitter *j = make(40, 100);
	struct jitter_stats st;

	cr_assert_eq(put(j, 1, 0, 160), 0);
	cr_assert_eq(put(j, 3, 320, 160), 0);
	cr_assert_eq(put(j, 2, 160, 160), 0);
	cr_assert_eq(get(j), JITTER_IDLE);
	cr_assert_eq(get(j), JITTER_IDLE);
	expect_audio(j, 0);
	expect_audio(j, 160);
	expect_audio(j, 320);
	jitter_stats(j, &st);
	cr_assert_eq(st.reordered, 1);
	jitter_free(j);
}

Test(jitter, duplicates_are_dropped_and_counted)
{
	struct jitter *j = make(40, 100);
	struct jitter_stats st;

	cr_assert_eq(put(j, 1, 0, 160), 0);
	cr_assert_eq(put(j, 1, 0, 160), 1);
	cr_assert_eq(put(j, 2, 160, 160), 0);
	cr_assert_eq(put(j, 1, 0, 160), 1);
	jitter_stats(j, &st);
	cr_assert_eq(st.duplicates, 2);
	cr_assert_eq(st.packets, 2);
	jitter_free(j);
}

Test(jitter, lost_packet_is_a_missing_frame)
{
	struct jitter *j = make(40, 100);
	struct jitter_stats st;

	cr_assert_eq(put(j, 1, 0, 160), 0);
	cr_assert_eq(put(j, 3, 320, 160), 0);
	cr_assert_eq(get(j), JITTER_IDLE);
	cr_assert_eq(get(j), JITTER_IDLE);
	expect_audio(j, 0);
	cr_assert_eq(get(j), JITTER_MISSING);
	expect_audio(j, 320);
	cr_assert_eq(get(j), JITTER_MISSING, "nothing more arrived");
	jitter_stats(j, &st);
	cr_assert_eq(st.missing, 2);
	jitter_free(j);
}

/* A packet after its turn is dropped, and the delay grows by one frame
 * (one concealed frame inserted) up to the maximum. */
Test(jitter, late_packets_grow_the_delay_up_to_the_maximum)
{
	struct jitter *j = make(40, 80);
	struct jitter_stats st;

	cr_assert_eq(put(j, 0, 0, 160), 0);
	cr_assert_eq(get(j), JITTER_IDLE);
	cr_assert_eq(get(j), JITTER_IDLE);
	expect_audio(j, 0);
	for (int round = 0; round < 3; round++) {
		/* a packet whose samples were due 20 ms ago or more */
		cr_assert_eq(get(j), JITTER_MISSING);
		cr_assert_eq(put(j, (uint16_t)(10 + round), 0, 160), 1);
	}
	jitter_stats(j, &st);
	cr_assert_eq(st.late, 3);
	cr_assert_eq(st.delay_ms, 80, "40 ms + 2 frames, capped at the 80 ms maximum");
	jitter_free(j);
}

Test(jitter, grown_delay_holds_playout_then_plays_everything)
{
	struct jitter *j = make(40, 100);
	struct jitter_stats st;

	cr_assert_eq(put(j, 0, 0, 160), 0);
	cr_assert_eq(get(j), JITTER_IDLE);
	cr_assert_eq(get(j), JITTER_IDLE);
	expect_audio(j, 0);
	cr_assert_eq(get(j), JITTER_MISSING);            /* 160 is late */
	cr_assert_eq(put(j, 1, 160, 160), 1);            /* ... and dropped */
	cr_assert_eq(put(j, 2, 320, 160), 0);
	cr_assert_eq(get(j), JITTER_MISSING, "the inserted frame");
	expect_audio(j, 320);
	jitter_stats(j, &st);
	cr_assert_eq(st.delay_ms, 60);
	jitter_free(j);
}

/* After 10 s without a late packet the delay steps back by one frame, and
 * the surplus frame is dropped within a second. */
Test(jitter, delay_shrinks_slowly_when_the_network_calms_down)
{
	struct jitter *j = make(40, 100);
	struct jitter_stats st;
	uint32_t k, skipped = 0, expect = 0;

	cr_assert_eq(put(j, 0, 0, 160), 0);
	get(j);
	get(j);
	expect_audio(j, 0);
	get(j);                                   /* frame 1 missed ... */
	cr_assert_eq(put(j, 1, 160, 160), 1);     /* ... late: delay 60 ms */
	/* from now on every packet is on time, 3 frames ahead of playout */
	for (k = 2; k < 2 + 800; k++) {
		int16_t out[JITTER_FRAME];
		enum jitter_frame f;

		cr_assert_eq(put(j, (uint16_t)k, k * 160, 160), 0);
		f = jitter_get(j, out);
		if (f == JITTER_AUDIO) {
			uint32_t ts = (uint32_t)(uint16_t)out[0];
			if (expect != 0 && ts != expect)
				skipped++;
			expect = ts + 160;
		}
	}
	jitter_stats(j, &st);
	cr_assert_eq(st.delay_ms, 40);
	cr_assert_eq(skipped, 1, "one frame dropped to shrink");
	jitter_free(j);
}

Test(jitter, sequence_and_timestamp_wrap_around)
{
	struct jitter *j = make(40, 100);
	struct jitter_stats st;
	uint32_t ts0 = 0xFFFFFFFFu - 3 * 160 + 1;

	for (uint32_t k = 0; k < 10; k++) {
		cr_assert_eq(put(j, (uint16_t)(65533 + k), ts0 + k * 160, 160), 0, "packet %u", k);
		if (k >= 2)
			expect_audio(j, ts0 + (k - 2) * 160);
		else
			cr_assert_eq(get(j), JITTER_IDLE);
	}
	jitter_stats(j, &st);
	cr_assert_eq(st.reordered, 0);
	cr_assert_eq(st.restarts, 0);
	jitter_free(j);
}

Test(jitter, new_ssrc_restarts_the_stream)
{
	struct jitter *j = make(40, 100);
	int16_t buf[160];
	struct jitter_stats st;

	cr_assert_eq(put(j, 1, 0, 160), 0);
	fill(buf, 90000, 160);
	cr_assert_eq(jitter_put(j, 500, 90000, SSRC + 1, buf, 160), 0);
	cr_assert_eq(get(j), JITTER_IDLE);
	cr_assert_eq(get(j), JITTER_IDLE);
	expect_audio(j, 90000);
	jitter_stats(j, &st);
	cr_assert_eq(st.restarts, 1);
	jitter_free(j);
}

Test(jitter, timestamp_jump_restarts_the_stream)
{
	struct jitter *j = make(40, 100);
	struct jitter_stats st;

	for (uint32_t k = 0; k < 4; k++) {
		cr_assert_eq(put(j, (uint16_t)k, k * 160, 160), 0);
		get(j);
	}
	cr_assert_eq(put(j, 4, 5000000, 160), 0);
	cr_assert_eq(get(j), JITTER_IDLE);
	cr_assert_eq(get(j), JITTER_IDLE);
	expect_audio(j, 5000000);
	jitter_stats(j, &st);
	cr_assert_eq(st.restarts, 1);
	jitter_free(j);
}

/* 30 ms packets (the nDPI capture's ptime) come out as 20 ms frames. */
Test(jitter, thirty_ms_packets_are_reframed)
{
	struct jitter *j = make(40, 100);
	uint32_t played = 0, k = 0;

	for (int tick = 0; tick < 30; tick++) {
		/* a 240-sample packet every 1.5 ticks, as a 30 ms sender */
		while (k * 240 < (uint32_t)(tick + 1) * 160) {
			cr_assert_eq(put(j, (uint16_t)k, k * 240, 240), 0);
			k++;
		}
		if (tick >= 2) {
			expect_audio(j, played);
			played += 160;
		} else {
			cr_assert_eq(get(j), JITTER_IDLE);
		}
	}
	jitter_free(j);
}
