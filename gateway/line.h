/* A line: one end of a call's media path, carrying 8 kHz audio or T.38 IFP
 * packets. Back-ends (the in-memory loopback here, SIP/RTP/UDPTL later) sit
 * behind struct line_ops; everything else uses the line_* verbs. */
#ifndef FAXGW_GATEWAY_LINE_H
#define FAXGW_GATEWAY_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsp/g711.h"

/* Largest T.38 IFP packet a line carries (SpanDSP's own limit is lower). */
#define LINE_T38_MAX_IFP 1000

struct line;

/* What a back-end implements; impl is its own state. */
struct line_ops {
	const char *name;
	int (*send_audio)(void *impl, const int16_t *samples, size_t n);
	size_t (*recv_audio)(void *impl, int16_t *samples, size_t max);
	int (*send_t38)(void *impl, const uint8_t *ifp, size_t len, uint16_t seq, int count);
	int (*recv_t38)(void *impl, uint8_t *buf, size_t max, size_t *len, uint16_t *seq);
	void (*free)(void *impl);
};

/* For back-ends: wraps impl. Returns the line (the caller owns it; on
 * line_free, ops->free(impl) is called) or NULL when out of memory. */
struct line *line_new(const struct line_ops *ops, void *impl);

/* Returns the back-end's impl pointer if l is of kind ops, else NULL. */
void *line_impl(const struct line *l, const struct line_ops *ops);

/* Returns the back-end's name ("loopback"); never NULL. */
const char *line_name(const struct line *l);

/* Sends n samples toward the far end. Returns 0, FGW_ERR_TOO_LARGE when the
 * line cannot hold them, or another back-end code. */
int line_send_audio(struct line *l, const int16_t *samples, size_t n);

/* Takes up to max samples that arrived from the far end into samples.
 * Returns how many (0 when none). */
size_t line_recv_audio(struct line *l, int16_t *samples, size_t max);

/* Sends one IFP packet with its sequence number, count copies as
 * independent datagrams (SpanDSP's redundancy). Returns 0 or a code. */
int line_send_t38(struct line *l, const uint8_t *ifp, size_t len, uint16_t seq, int count);

/* Takes the next datagram that arrived into buf (max bytes), its length in
 * *len and sequence number in *seq. Returns 1 when one was taken, 0 when
 * none is waiting, FGW_ERR_TOO_LARGE if it does not fit (it is dropped). */
int line_recv_t38(struct line *l, uint8_t *buf, size_t max, size_t *len, uint16_t *seq);

/* Frees l and its back-end; NULL allowed. */
void line_free(struct line *l);

/* ---- the loopback: two ends joined in memory ------------------------ */

struct line_loopback_options {
	bool companding;            /* pass audio through G.711 */
	enum dsp_g711_law law;
	double attenuation_db;      /* line loss, 0..40 dB, as on a real line */
	bool noise;                 /* add white noise ... */
	double snr_db;              /* ... this far below the received fax signal */
	double loss;                /* T.38: probability a datagram is lost, 0..1 */
	double duplicate;           /* T.38: probability of an extra copy */
	double reorder;             /* T.38: probability it overtakes the one before */
	uint64_t seed;              /* same seed, same run */
};

struct line_loopback_stats {
	uint64_t datagrams;         /* T.38 datagrams offered (copies included) */
	uint64_t lost;
	uint64_t duplicated;
	uint64_t reordered;
	uint64_t samples;           /* audio samples carried */
};

/* Fills o with a clean line: linear audio, no attenuation, no noise, no
 * loss, seed 1.
 *
 * Noise note: SpanDSP's modems send at -14 dBm0 and keep their carrier
 * detectors on while the input stays above about -48 dBm0, so continuous
 * noise louder than that stalls T.30 whatever the SNR. A line with some loss
 * (attenuation_db 10: signal -24 dBm0, noise at 30 dB SNR -54 dBm0) is both
 * realistic and usable. */
void line_loopback_options_init(struct line_loopback_options *o);

/* Makes a pair of joined ends: what a sends, b receives and back. Returns 0
 * with *a and *b (the caller frees both, in any order), FGW_ERR_RANGE for a
 * probability outside 0..1, an attenuation outside 0..40 dB or an SNR
 * outside 0..70 dB, FGW_ERR_NOMEM. */
int line_loopback_new(const struct line_loopback_options *o, struct line **a, struct line **b);

/* Copies the counters of what was sent from end l (a loopback end) to
 * *out. Returns 0, or FGW_ERR_INVALID if l is not a loopback end. */
int line_loopback_stats(const struct line *l, struct line_loopback_stats *out);

#endif
