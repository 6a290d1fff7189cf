# dsp/: the signal core over SpanDSP.
