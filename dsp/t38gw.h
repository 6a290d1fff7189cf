/* T.38 <-> audio fax gateway over SpanDSP's t38_gateway: 8 kHz audio on one
 * side (a fax machine behind an analog line or G.711 RTP), T.38 IFP packets
 * on the other. It relays the fax without ending it, and reports every T.30
 * control frame it sees in transit (TSI, SUB, CSI, DCS, PWD, SID...) with
 * the identity strings decoded, so calls can be logged and routed. No
 * clock: time advances with the audio samples given to t38gw_rx_audio. */
#ifndef FAXGW_DSP_T38GW_H
#define FAXGW_DSP_T38GW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define T38GW_IDENT_MAX 20          /* T.30 identity fields are 20 chars */

enum t38gw_modems {
	T38GW_V27TER = 0x01,        /* 2400/4800 bit/s */
	T38GW_V29 = 0x02,           /* 7200/9600 bit/s */
	T38GW_V17 = 0x04            /* up to 14400 bit/s */
};

struct t38gw_config {
	bool ecm;                   /* let the ends use error correction */
	unsigned modems;            /* T38GW_* bits; 0 means all three */
	/* true: t38gw_tx_audio always fills its buffer (silence when idle),
	 * as RTP needs; false: it may return fewer samples. */
	bool transmit_on_idle;
	/* true: T38FaxRateManagement localTCF (UDP, the usual);
	 * false: transferredTCF. */
	bool local_tcf;
	unsigned t38_version;       /* 0..3 */
};

enum t38gw_dir {
	T38GW_FROM_AUDIO = 0,       /* sent by the fax machine on the audio side */
	T38GW_FROM_T38 = 1          /* sent by the far end over T.38 */
};

/* One T.30 control frame seen in transit. Valid only during the callback. */
struct t38gw_frame {
	enum t38gw_dir dir;
	uint8_t fcf;                /* the T.30 FCF octet, X bit included */
	const char *type;           /* "TSI", "SUB", "DCS", ... never NULL */
	bool has_ident;             /* an identity frame (CSI, CIG, TSI, SUB,
				     * SID, PWD, SEP, PSA) */
	/* the identity in reading order (T.30 sends it reversed), spaces
	 * trimmed, non-printable octets as '?'; "" when none or malformed */
	char ident[T38GW_IDENT_MAX + 1];
};

/* Sends one IFP packet to the T.38 peer; count is how many times SpanDSP
 * asks it to be sent (redundancy for indicators). Return 0, or -1 when it
 * could not be sent. */
typedef int (*t38gw_ifp_fn)(void *arg, const uint8_t *ifp, size_t len,
			    int count);

/* Told about every control frame; must be quick (called mid-DSP). */
typedef void (*t38gw_frame_fn)(void *arg, const struct t38gw_frame *frame);

struct t38gw;

/* Makes a gateway. ifp_tx is required; on_frame may be NULL; arg is passed
 * to both. Returns NULL on a bad config (unknown modem bits, version > 3)
 * or when memory is short. Caller frees with t38gw_free. */
struct t38gw *t38gw_new(const struct t38gw_config *cfg, t38gw_ifp_fn ifp_tx,
			t38gw_frame_fn on_frame, void *arg);

/* Frees gw and its SpanDSP state; NULL is fine. */
void t38gw_free(struct t38gw *gw);

/* Takes n audio samples from the fax machine's side. */
void t38gw_rx_audio(struct t38gw *gw, const int16_t *amp, size_t n);

/* Stands in for n audio samples lost in transit (e.g. RTP loss). */
void t38gw_rx_audio_missing(struct t38gw *gw, size_t n);

/* Writes up to max samples for the fax machine's side into amp; returns
 * how many were generated, the rest of amp being set to silence. */
size_t t38gw_tx_audio(struct t38gw *gw, int16_t *amp, size_t max);

/* Takes one IFP packet from the T.38 peer with its UDPTL sequence number.
 * Returns 0, or FGW_ERR_PARSE when SpanDSP rejects the packet. */
int t38gw_rx_ifp(struct t38gw *gw, const uint8_t *ifp, size_t len,
		 uint16_t seq);

struct t38gw_stats {
	int bit_rate;               /* of the current or last page */
	bool ecm;
	int pages;                  /* pages relayed so far */
};

/* Fills *st with the transfer statistics so far. */
void t38gw_get_stats(struct t38gw *gw, struct t38gw_stats *st);

/* Decodes one T.30 HDLC frame (address, control, FCF, FIF; no CRC) into
 * *out. Returns 0, or FGW_ERR_PARSE when it is shorter than 3 octets.
 * Exposed for tests and for other places that meet T.30 frames. */
int t38gw_decode_frame(const uint8_t *msg, size_t len, enum t38gw_dir dir,
		       struct t38gw_frame *out);

#endif
