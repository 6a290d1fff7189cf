/* Additive white Gaussian noise for simulated lines, reproducible by seed. */
#ifndef FAXGW_DSP_NOISE_H
#define FAXGW_DSP_NOISE_H

#include <stddef.h>
#include <stdint.h>

/* The level SpanDSP's fax modems transmit at, in dBm0; a line's SNR is
 * measured against it. */
#define DSP_NOISE_SIGNAL_DBM0 (-14.0)

struct dsp_noise;

/* Returns a generator of noise at level_dbm0 (e.g. -44 for 30 dB below the
 * fax signal) seeded with seed, or NULL when out of memory or the level is
 * outside [-150, 0]. The caller owns it; free with dsp_noise_free(). */
struct dsp_noise *dsp_noise_new(uint32_t seed, double level_dbm0);

/* Adds noise to each of n samples in buf, saturating at the int16 range. */
void dsp_noise_add(struct dsp_noise *noise, int16_t *buf, size_t n);

/* Frees noise; NULL is allowed. */
void dsp_noise_free(struct dsp_noise *noise);

#endif
