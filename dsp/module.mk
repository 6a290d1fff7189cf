# dsp/: the signal core over SpanDSP.
DSP_SRCS += dsp/tiffdoc.c
DSP_SRCS += dsp/fax.c
DSP_SRCS += dsp/g711.c
DSP_SRCS += dsp/noise.c
DSP_SRCS += dsp/dtmf.c
DSP_SRCS += dsp/tones.c
DSP_SRCS += dsp/t38gw.c
