/* dsp/g711 and dsp/noise: the pieces the simulated line and, later, RTP use. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "common/err.h"
#include "dsp/g711.h"
#include "dsp/noise.h"

Test(dsp_g711, parses_law_names)
{
	enum dsp_g711_law law;

	cr_expect_eq(dsp_g711_law_parse("alaw", &law), 0);
	cr_expect_eq(law, DSP_G711_ALAW);
	cr_expect_eq(dsp_g711_law_parse("PCMU", &law), 0);
	cr_expect_eq(law, DSP_G711_ULAW);
	cr_expect_eq(dsp_g711_law_parse("g729", &law), FGW_ERR_PARSE);
	cr_expect_str_eq(dsp_g711_law_name(DSP_G711_ALAW), "alaw");
}

Test(dsp_g711, silence_has_the_standard_codes)
{
	int16_t zero = 0;
	uint8_t a, u;

	dsp_g711_encode(DSP_G711_ALAW, &a, &zero, 1);
	dsp_g711_encode(DSP_G711_ULAW, &u, &zero, 1);
	cr_expect_eq(a, 0xD5);
	cr_expect_eq(u, 0xFF);
}

/* Companding keeps every sample within a few percent (plus a small step
 * near zero), and decode(encode(x)) is stable. */
Test(dsp_g711, roundtrip_error_is_bounded)
{
	for (int law = DSP_G711_ALAW; law <= DSP_G711_ULAW; law++) {
		for (int32_t x = -32768; x <= 32767; x += 7) {
			int16_t s = (int16_t)x, once, twice;
			uint8_t code;
			dsp_g711_encode(law, &code, &s, 1);
			dsp_g711_decode(law, &once, &code, 1);
			cr_assert_leq(abs(once - x), abs(x) / 16 + 64, "law %d x %d -> %d", law, x, once);
			twice = once;
			dsp_g711_roundtrip(law, &twice, 1);
			cr_assert_eq(twice, once);
		}
	}
}

static double rms_of_noise(uint32_t seed, double level)
{
	struct dsp_noise *n = dsp_noise_new(seed, level);
	int16_t buf[8000] = {0};

	cr_assert_not_null(n);
	dsp_noise_add(n, buf, 8000);
	dsp_noise_free(n);
	double acc = 0;
	for (int i = 0; i < 8000; i++)
		acc += (double)buf[i] * buf[i];
	return sqrt(acc / 8000);
}

Test(dsp_noise, level_follows_dbm0)
{
	double a = rms_of_noise(5, -30), b = rms_of_noise(5, -50);

	/* 20 dB apart is a factor of 10 in amplitude. */
	cr_expect(a / b > 9.0 && a / b < 11.0, "ratio %f", a / b);
}

Test(dsp_noise, same_seed_same_noise)
{
	cr_expect_eq(rms_of_noise(77, -40), rms_of_noise(77, -40));
	cr_expect_neq(rms_of_noise(77, -40), rms_of_noise(78, -40));
}

Test(dsp_noise, refuses_absurd_level)
{
	cr_expect_null(dsp_noise_new(1, 3.0));
	cr_expect_null(dsp_noise_new(1, NAN));
}
