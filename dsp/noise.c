/* White noise over SpanDSP's awgn generator. */
#include <stdlib.h>
#include <tiffio.h>
#include <spandsp.h>

#include "dsp/noise.h"

struct dsp_noise {
	awgn_state_t *awgn;
};

struct dsp_noise *dsp_noise_new(uint32_t seed, double level_dbm0)
{
	if (!(level_dbm0 >= -150.0 && level_dbm0 <= 0.0))
		return NULL;
	struct dsp_noise *noise = calloc(1, sizeof *noise);
	if (noise == NULL)
		return NULL;
	/* awgn wants a non-zero seed that fits an int. */
	int idum = (int)(seed & 0x7fffffff);
	noise->awgn = awgn_init_dbm0(NULL, idum != 0 ? idum : 1, (float)level_dbm0);
	if (noise->awgn == NULL) {
		free(noise);
		return NULL;
	}
	return noise;
}

void dsp_noise_add(struct dsp_noise *noise, int16_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int32_t v = (int32_t)buf[i] + awgn(noise->awgn);
		buf[i] = (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
	}
}

void dsp_noise_free(struct dsp_noise *noise)
{
	if (noise == NULL)
		return;
	awgn_free(noise->awgn);
	free(noise);
}
