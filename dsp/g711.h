/* G.711 companding (A-law, u-law) over blocks of 8 kHz samples: what an RTP
 * PCMA/PCMU stream carries and what the simulated line applies. Stateless. */
#ifndef FAXGW_DSP_G711_H
#define FAXGW_DSP_G711_H

#include <stddef.h>
#include <stdint.h>

enum dsp_g711_law {
	DSP_G711_ALAW,  /* PCMA, RTP payload type 8 */
	DSP_G711_ULAW   /* PCMU, RTP payload type 0 */
};

/* Parses "alaw"/"pcma" or "ulaw"/"pcmu" (any case) into *law.
 * Returns 0, or FGW_ERR_PARSE for anything else. */
int dsp_g711_law_parse(const char *name, enum dsp_g711_law *law);

/* Returns "alaw" or "ulaw"; never NULL. */
const char *dsp_g711_law_name(enum dsp_g711_law law);

/* Encodes n linear samples from src into n code bytes in dst. */
void dsp_g711_encode(enum dsp_g711_law law, uint8_t *dst, const int16_t *src, size_t n);

/* Decodes n code bytes from src into n linear samples in dst. */
void dsp_g711_decode(enum dsp_g711_law law, int16_t *dst, const uint8_t *src, size_t n);

/* Replaces each of n samples in buf by its value after an encode/decode
 * round trip, i.e. what the far end of a G.711 channel would hear. */
void dsp_g711_roundtrip(enum dsp_g711_law law, int16_t *buf, size_t n);

#endif
