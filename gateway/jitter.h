/* An adaptive playout (jitter) buffer for 8 kHz audio carried in RTP: pure
 * state, no sockets and no clock of its own. The owner puts decoded packets
 * in as they arrive (with their RTP sequence number, timestamp and SSRC) and
 * takes one 20 ms frame out per tick of its clock.
 *
 * Samples are placed by RTP timestamp in a ring, so packets of any duration,
 * reordered or duplicated, land where they belong. The playout delay starts
 * at start_ms, grows by one frame for each packet that arrives after its
 * samples were due (up to max_ms), and shrinks by one frame after a long
 * quiet stretch. A new SSRC or a timestamp far from the playout point
 * restarts the buffer. */
#ifndef FAXGW_GATEWAY_JITTER_H
#define FAXGW_GATEWAY_JITTER_H

#include <stddef.h>
#include <stdint.h>

/* One playout frame: 20 ms at 8 kHz. */
#define JITTER_FRAME 160
/* Delay bounds in ms accepted by jitter_new. */
#define JITTER_MIN_MS 20
#define JITTER_MAX_MS 500
/* Largest packet (samples) jitter_put takes. */
#define JITTER_MAX_PACKET 1500

struct jitter;

/* What jitter_get produced. */
enum jitter_frame {
	JITTER_IDLE = 0,     /* nothing received yet (or buffering): silence */
	JITTER_AUDIO = 1,    /* a frame of received audio */
	JITTER_MISSING = 2   /* the frame's packet is lost or late: conceal */
};

struct jitter_stats {
	uint64_t packets;        /* accepted by jitter_put */
	uint64_t duplicates;     /* dropped: samples already held */
	uint64_t late;           /* dropped: arrived after their playout */
	uint64_t reordered;      /* arrived with a lower seq than one before */
	uint64_t frames;         /* frames taken by jitter_get */
	uint64_t missing;        /* of which JITTER_MISSING */
	uint64_t restarts;       /* SSRC changes and timestamp jumps */
	unsigned delay_ms;       /* current playout delay */
};

/* Makes a buffer whose delay starts at start_ms and grows up to max_ms
 * (both JITTER_MIN_MS..JITTER_MAX_MS, start_ms <= max_ms). Returns 0 and
 * *out (jitter_free), FGW_ERR_RANGE, FGW_ERR_NOMEM. */
int jitter_new(unsigned start_ms, unsigned max_ms, struct jitter **out);

/* Frees j; NULL allowed. */
void jitter_free(struct jitter *j);

/* Puts n decoded samples (1..JITTER_MAX_PACKET) of the packet seq/ts/ssrc.
 * Returns 0 when kept, 1 when dropped as a duplicate or late (counted),
 * FGW_ERR_INVALID for a bad n. */
int jitter_put(struct jitter *j, uint16_t seq, uint32_t ts, uint32_t ssrc,
	       const int16_t *samples, size_t n);

/* Takes the next 20 ms frame into out (JITTER_FRAME samples; zeros unless
 * JITTER_AUDIO). Returns what the frame is. */
enum jitter_frame jitter_get(struct jitter *j, int16_t out[static JITTER_FRAME]);

/* Copies the counters to *out. */
void jitter_stats(const struct jitter *j, struct jitter_stats *out);

#endif
