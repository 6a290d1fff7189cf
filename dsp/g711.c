/* G.711 over SpanDSP's inline companders. */
#include <strings.h>
#include <tiffio.h>
#include <spandsp.h>

#include "common/err.h"
#include "dsp/g711.h"

int dsp_g711_law_parse(const char *name, enum dsp_g711_law *law)
{
	if (strcasecmp(name, "alaw") == 0 || strcasecmp(name, "pcma") == 0) {
		*law = DSP_G711_ALAW;
		return 0;
	}
	if (strcasecmp(name, "ulaw") == 0 || strcasecmp(name, "pcmu") == 0) {
		*law = DSP_G711_ULAW;
		return 0;
	}
	return FGW_ERR_PARSE;
}

const char *dsp_g711_law_name(enum dsp_g711_law law)
{
	return law == DSP_G711_ALAW ? "alaw" : "ulaw";
}

void dsp_g711_encode(enum dsp_g711_law law, uint8_t *dst, const int16_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = law == DSP_G711_ALAW ? linear_to_alaw(src[i]) : linear_to_ulaw(src[i]);
}

void dsp_g711_decode(enum dsp_g711_law law, int16_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = law == DSP_G711_ALAW ? alaw_to_linear(src[i]) : ulaw_to_linear(src[i]);
}

void dsp_g711_roundtrip(enum dsp_g711_law law, int16_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (law == DSP_G711_ALAW)
			buf[i] = alaw_to_linear(linear_to_alaw(buf[i]));
		else
			buf[i] = ulaw_to_linear(linear_to_ulaw(buf[i]));
	}
}
