/* SDP (RFC 4566) for the offer/answer model (RFC 3264), as far as a fax
 * gateway needs it: one connection address, audio streams of PCMU/PCMA with
 * RFC 4733 telephone-event, and "image udptl t38" streams with the T.38
 * attributes of ITU-T T.38 Annex D. Pure functions over plain structs: the
 * call layer, the tests and the fuzzer share them.
 *
 * Parsing is strict about the lines it understands (each error names the
 * line number and what is wrong), tolerant of lines it does not use (RFC
 * 4566 says to ignore unknown attributes), and bounded. */
#ifndef FAXGW_GATEWAY_SDP_H
#define FAXGW_GATEWAY_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_LEN 4096         /* bytes of one body */
#define SDP_MAX_LINES 128
#define SDP_MAX_LINE 512         /* bytes of one line */
#define SDP_MAX_MEDIA 4          /* m= lines */
#define SDP_MAX_FORMATS 16       /* payload types on one m= line */
#define SDP_ADDR_MAX 64
#define SDP_TOKEN_MAX 32         /* encoding names, proto, origin user */
#define SDP_FMTP_MAX 128         /* a longer fmtp is ignored */
#define SDP_ERR_MAX 160          /* room for an error message */

#define SDP_PT_NONE 255          /* no telephone-event payload type */

enum sdp_media_kind { SDP_MEDIA_AUDIO, SDP_MEDIA_IMAGE, SDP_MEDIA_OTHER };

/* Direction attributes; _UNSET means none given (sendrecv is implied). */
enum sdp_dir { SDP_DIR_UNSET = 0, SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };

enum sdp_t38_rate { SDP_T38_TRANSFERRED_TCF = 0, SDP_T38_LOCAL_TCF };
enum sdp_t38_ec { SDP_T38_EC_NONE = 0, SDP_T38_EC_REDUNDANCY, SDP_T38_EC_FEC };

/* T.38 session parameters. Absent attributes keep the defaults of
 * sdp_t38_defaults(): version 0, no stated limits (0), transferredTCF, no
 * error correction, no fill-bit removal or transcoding. */
struct sdp_t38 {
	unsigned version;          /* T38FaxVersion 0..3 */
	unsigned max_bitrate;      /* T38MaxBitRate, bit/s; 0 = not stated */
	bool fill_bit_removal;     /* T38FaxFillBitRemoval */
	bool transcoding_mmr;      /* T38FaxTranscodingMMR */
	bool transcoding_jbig;     /* T38FaxTranscodingJBIG */
	enum sdp_t38_rate rate_management;   /* T38FaxRateManagement */
	unsigned max_buffer;       /* T38FaxMaxBuffer; 0 = not stated */
	unsigned max_datagram;     /* T38FaxMaxDatagram; 0 = not stated */
	enum sdp_t38_ec udp_ec;    /* T38FaxUdpEC */
};

/* A payload type of an audio m= line with its rtpmap/fmtp, when given. */
struct sdp_format {
	uint8_t pt;
	char encoding[SDP_TOKEN_MAX];   /* "PCMU", "telephone-event"; "" = none */
	unsigned clock;                 /* 0 = no rtpmap */
	char fmtp[SDP_FMTP_MAX];        /* "0-15"; "" = none */
};

struct sdp_media {
	enum sdp_media_kind kind;
	char name[SDP_TOKEN_MAX];       /* "audio", "image", "video", ... */
	uint16_t port;                  /* 0: the stream is rejected/disabled */
	char proto[SDP_TOKEN_MAX];      /* "RTP/AVP", "udptl" */
	size_t nformats;                /* audio: payload types in m= order */
	struct sdp_format formats[SDP_MAX_FORMATS];
	char addr[SDP_ADDR_MAX];        /* media-level c=; "" = session's */
	enum sdp_dir dir;
	unsigned ptime;                 /* ms; 0 = not given */
	struct sdp_t38 t38;             /* image streams */
	char fmt0[SDP_TOKEN_MAX];       /* other streams: first format, so a
	                                 * rejection can echo the m= line */
};

struct sdp_session {
	char origin_user[SDP_TOKEN_MAX];
	uint64_t session_id;
	uint64_t session_version;
	char origin_addr[SDP_ADDR_MAX];
	char addr[SDP_ADDR_MAX];        /* session-level c=; "" = none */
	enum sdp_dir dir;               /* session-level direction */
	size_t nmedia;
	struct sdp_media media[SDP_MAX_MEDIA];
};

/* Fills *t with the defaults that apply when an attribute is absent. */
void sdp_t38_defaults(struct sdp_t38 *t);

/* Parses an SDP body (len bytes; CRLF or LF line ends) into *s. Returns 0,
 * or FGW_ERR_TOO_LARGE / FGW_ERR_PARSE / FGW_ERR_UNSUPPORTED (a version
 * other than v=0, a network type other than IN) with a message such as
 * "line 6: m=: port 70000 is out of range 0..65535" in err (errsize bytes;
 * may be NULL). */
int sdp_parse(const char *body, size_t len, struct sdp_session *s,
	      char *err, size_t errsize);

/* Writes s as an SDP body (CRLF line ends) into buf (size bytes, NUL-
 * terminated); *out_len gets its length without the NUL. Returns 0,
 * FGW_ERR_TOO_LARGE, or FGW_ERR_INVALID (a field holding CR/LF/NUL). */
int sdp_build(const struct sdp_session *s, char *buf, size_t size, size_t *out_len);

/* Returns the connection address that applies to stream m of s (its own c=
 * or the session's); "" when neither was given. Never NULL. */
const char *sdp_media_addr(const struct sdp_session *s, const struct sdp_media *m);

/* What we can do, for building offers and answers. */
struct sdp_caps {
	bool pcmu, pcma;
	bool prefer_pcma;               /* when both are offered */
	uint8_t te_pt;                  /* our telephone-event PT (96..127), or SDP_PT_NONE */
	bool t38;                       /* T.38 allowed on this line/route */
	struct sdp_t38 t38_local;       /* what our T.38 terminal supports */
	char addr[SDP_ADDR_MAX];        /* our media address (IPv4) */
	uint16_t audio_port, image_port;
	uint64_t session_id, session_version;
	unsigned ptime;                 /* ms, 0 = do not state */
};

/* Builds our offer into *offer: one audio stream (PCMA/PCMU, telephone-
 * event) or, with t38, one image stream. Returns 0 or FGW_ERR_INVALID (no
 * codec, or T.38 asked while caps->t38 is off). */
int sdp_offer(const struct sdp_caps *caps, bool t38, struct sdp_session *offer);

/* RFC 3264 answer to offer: one stream per offered stream, in order, each
 * accepted (our port) or rejected (port 0). One media path per call: with
 * caps->t38 the first image udptl t38 stream is accepted with the
 * negotiated parameters (sdp_t38_negotiate) and every audio stream is
 * rejected; otherwise the first audio stream with PCMU or PCMA is accepted
 * with that codec (caps->prefer_pcma breaks a tie, else the offerer's
 * order) and the offered telephone-event type when we have one. Returns 0, or
 * FGW_ERR_UNSUPPORTED with a reason in err when nothing is acceptable:
 * the caller answers 488 Not Acceptable Here. */
int sdp_answer(const struct sdp_caps *caps, const struct sdp_session *offer,
	       struct sdp_session *answer, char *err, size_t errsize);

/* The T.38 parameters to answer: version and bit rate the lower of both
 * (an unstated offer value takes ours), fill-bit removal and transcoding
 * only when both sides do them, the offered rate management kept, our own
 * buffer and datagram limits, and the error correction the offer asks for
 * unless we lack it (FEC falls back to redundancy). */
void sdp_t38_negotiate(const struct sdp_t38 *local, const struct sdp_t38 *offered,
		       struct sdp_t38 *answer);

/* What to do when our re-INVITE (e.g. the switch to T.38) fails with final
 * status code status (>= 300). */
enum sdp_reinvite_action {
	SDP_REINVITE_KEEP_MEDIA,   /* 488, 415, 606 and the like: the old session
	                            * (G.711) stays; the fax goes on in audio */
	SDP_REINVITE_RETRY,        /* 491 Request Pending: glare; retry after a
	                            * random delay (RFC 3261 14.1) */
	SDP_REINVITE_END_CALL      /* 481 or 408: the dialog is gone (RFC 5057) */
};

/* Returns the action for a failed re-INVITE with final status status. */
enum sdp_reinvite_action sdp_reinvite_failure(int status);

#endif
