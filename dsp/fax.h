/* A fax endpoint over SpanDSP: sends or receives one TIFF-F document, either
 * over 8 kHz audio (T.30 over V.27ter/V.29/V.17, as on a G.711 call) or as a
 * T.38 terminal (IFP packets in and out).
 *
 * The endpoint has no clock and no sockets: time advances by the samples fed
 * to fax_endpoint_rx_audio() (audio) or by fax_endpoint_advance() (T.38).
 * It touches no files other than the TIFF it sends or receives, keeps no
 * global state, and any number of endpoints may run in one process (one
 * thread per endpoint at a time). Events come out through callbacks, called
 * from inside the rx/advance calls. */
#ifndef FAXGW_DSP_FAX_H
#define FAXGW_DSP_FAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fax_endpoint;

/* T.30 identities (TSI/CSI, SUB, SID, PWD) are at most 20 characters. */
#define FAX_IDENT_MAX 20

/* 8 kHz audio: the pump and line code move audio in 20 ms blocks. */
#define FAX_SAMPLE_RATE 8000

enum fax_role { FAX_SEND, FAX_RECEIVE };

enum fax_transport { FAX_AUDIO, FAX_T38 };

/* Which side places the call; AUTO makes the sender the caller. */
enum fax_side { FAX_SIDE_AUTO, FAX_SIDE_CALLING, FAX_SIDE_ANSWERING };

/* Image modems, combinable. */
enum {
	FAX_MODEM_V27TER = 0x1,  /* 2400, 4800 bit/s */
	FAX_MODEM_V29 = 0x2,     /* 7200, 9600 bit/s */
	FAX_MODEM_V17 = 0x4,     /* 7200 .. 14400 bit/s */
	FAX_MODEM_ALL = 0x7
};

/* A receiver's answer to what the sender presented in phase B. A reject
 * ends the call with DCN and the matching T.30 cause. */
enum fax_decision {
	FAX_ACCEPT,
	FAX_REJECT_SUB,   /* sub-address (F-code) unknown: T30_ERR_SUB_UNACCEPTABLE */
	FAX_REJECT_SID,   /* sender identification / F-code password refused */
	FAX_REJECT_PWD,   /* password refused: T30_ERR_PWD_UNACCEPTABLE */
	FAX_REJECT_IDENT  /* the sender's TSI is refused */
};

/* What the far end presented in phase B (strings empty when not sent). For a
 * receiver: TSI, SUB, SID, PWD; for a sender: the receiver's CSI.
 *
 * F-code note: SpanDSP 0.0.6 sends PWD only with DTC (polling), never with
 * DCS; a sending terminal's F-code password travels as SID. Other fax
 * machines may send PWD with DCS; it then appears in pwd. */
struct fax_phase_b {
	char remote_ident[FAX_IDENT_MAX + 1];
	char sub[FAX_IDENT_MAX + 1];
	char sid[FAX_IDENT_MAX + 1];
	char pwd[FAX_IDENT_MAX + 1];
	int bit_rate;  /* negotiated image rate (receiver), 0 if not yet known */
	bool ecm;      /* negotiated error correction mode (receiver) */
};

/* One page sent or received. */
struct fax_page {
	int number;               /* 1 for the first page of the call */
	int width;                /* pixels */
	int length;               /* rows */
	int x_resolution;         /* pixels per metre (8031 = 204 dpi) */
	int y_resolution;         /* rows per metre (3850 standard, 7700 fine) */
	const char *encoding;     /* line coding, e.g. "T.6"; static text */
	int image_size;           /* bytes of coded image */
	int bad_rows;             /* rows lost to line errors (non-ECM) */
	int longest_bad_row_run;
};

/* Transfer statistics, from SpanDSP's t30_get_transfer_statistics(). */
struct fax_stats {
	int bit_rate;             /* image bit rate last used */
	bool ecm;                 /* error correction mode was used */
	int ecm_retries;          /* HDLC frames resent under ECM */
	int pages_tx;
	int pages_rx;
	int pages_in_file;        /* sender: pages in the document, -1 unknown */
};

/* How the call ended. */
struct fax_result {
	int err;                  /* 0, FGW_ERR_FAX_REJECTED or FGW_ERR_FAX_FAILED */
	int t30_code;             /* SpanDSP's completion code (T30_ERR_*) */
	const char *t30_text;     /* that code in words; static text */
	struct fax_stats stats;
	char remote_ident[FAX_IDENT_MAX + 1];
};

/* Callbacks; each may be NULL. user is fax_options.user. Pointers passed
 * in are valid only during the call; a struct fax_phase_b is wiped right
 * after, since sid and pwd hold passwords (never log them). */
struct fax_events {
	/* Phase B reached: the far end's identities (both roles). */
	void (*phase_b)(void *user, const struct fax_phase_b *info);
	/* Receiver only: accept or reject the call. NULL rejects every call
	 * with FAX_REJECT_SUB, so a receiver nobody told to accept holds
	 * nothing. Asked once per call. */
	enum fax_decision (*decide)(void *user, const struct fax_phase_b *info);
	/* A page was sent (and confirmed) or received. */
	void (*page)(void *user, const struct fax_page *page);
	/* The call is over; called once. */
	void (*done)(void *user, const struct fax_result *result);
};

/* T.38: hands one IFP packet (without UDPTL framing) to the transport, with
 * its sequence number and the number of copies SpanDSP asks to be sent
 * (redundancy). Returns 0, or a negative FGW_ERR_* code that is logged. */
typedef int (*fax_t38_out_fn)(void *user, const uint8_t *ifp, size_t len,
			      uint16_t seq, int count);

struct fax_options {
	enum fax_role role;
	enum fax_transport transport;
	enum fax_side side;
	const char *file;         /* TIFF to send, or to write when receiving */
	bool ecm;                 /* default on */
	unsigned modems;          /* FAX_MODEM_* bits; default all */
	const char *local_ident;  /* our TSI (send) or CSI (receive); may be NULL */
	const char *sub;          /* sender: F-code sub-address; may be NULL */
	const char *sid;          /* sender: sender identification / F-code password */
	const char *pwd;          /* sender: PWD (see struct fax_phase_b) */
	bool t38_redundancy;      /* T.38: ask for repeated packets; default on */
	fax_t38_out_fn t38_out;   /* T.38: required */
	void *t38_user;
	const struct fax_events *events;
	void *user;
	bool trace;               /* SpanDSP protocol trace through log_debug;
				     for debugging only: it shows SID/PWD */
};

/* Fills o with the defaults: send, audio, ECM on, all modems, T.38
 * redundancy on, everything else empty. */
void fax_options_init(struct fax_options *o);

/* Creates an endpoint from o (copied; strings too). A sender's file must
 * exist and open as a bilevel TIFF whose strips all lie inside the file
 * (a quick check; dsp/tiffdoc.h validates deeply). Returns 0 and *out (the
 * caller owns it; fax_endpoint_free), or FGW_ERR_INVALID (bad option, e.g.
 * an identity over 20 characters or no t38_out for T.38), for the sender's
 * file FGW_ERR_NOT_FOUND, FGW_ERR_IO, FGW_ERR_TIFF (not a TIFF),
 * FGW_ERR_TIFF_UNSUPPORTED (not 1 bit per pixel) or FGW_ERR_TRUNCATED; or
 * FGW_ERR_NOMEM. A receiver's file is created only once the call is
 * accepted, and removed again if the call ends without a page. */
int fax_endpoint_new(const struct fax_options *o, struct fax_endpoint **out);

/* Frees ep; NULL allowed. A call still running is abandoned without a
 * done event. */
void fax_endpoint_free(struct fax_endpoint *ep);

/* Where ep's event callbacks (struct fax_events) run. A runner calls
 * job(job_arg) wherever the callbacks must run (the event loop's thread
 * while the endpoint's DSP work runs on another) and returns after it
 * ran. Without one (run NULL) they run at once, inside the DSP call. */
typedef void fax_runner_fn(void *runner_arg, void (*job)(void *job_arg), void *job_arg);
void fax_endpoint_set_runner(struct fax_endpoint *ep, fax_runner_fn *run, void *runner_arg);

/* Audio: processes n received samples; time advances by n samples.
 * Returns 0, FGW_ERR_STATE on a T.38 endpoint. */
int fax_endpoint_rx_audio(struct fax_endpoint *ep, const int16_t *samples, size_t n);

/* Audio: writes exactly max samples to send into buf (silence when there is
 * nothing to send). Returns max, or 0 on a T.38 endpoint. */
size_t fax_endpoint_tx_audio(struct fax_endpoint *ep, int16_t *buf, size_t max);

/* T.38: processes one received IFP packet with its sequence number.
 * Duplicates and late packets are dropped by sequence number. Returns 0,
 * FGW_ERR_PARSE for an undecodable packet, FGW_ERR_STATE on audio. */
int fax_endpoint_rx_t38(struct fax_endpoint *ep, const uint8_t *ifp, size_t len, uint16_t seq);

/* T.38: lets samples (8 kHz) of time pass; packets due go out through
 * t38_out. Returns 0, FGW_ERR_STATE on audio. */
int fax_endpoint_advance(struct fax_endpoint *ep, size_t samples);

/* Ends the call now (local hang-up); the done event follows. */
void fax_endpoint_abort(struct fax_endpoint *ep);

/* Returns true once the call is over (the done event has been sent). */
bool fax_endpoint_done(const struct fax_endpoint *ep);

/* Copies the result to *out. Returns 0, or FGW_ERR_STATE before the end. */
int fax_endpoint_result(const struct fax_endpoint *ep, struct fax_result *out);

/* Returns the far end's TSI/CSI seen so far ("" if none); owned by ep. */
const char *fax_endpoint_remote_ident(const struct fax_endpoint *ep);

/* Returns the transport, role of ep. */
enum fax_transport fax_endpoint_transport(const struct fax_endpoint *ep);
enum fax_role fax_endpoint_role(const struct fax_endpoint *ep);

/* Parses "v17", "v29" or "v27ter" into the modem set allowing that modem
 * and the slower ones a fax falls back to (v17 -> all, v29 -> V.29 and
 * V.27ter). Returns 0 or FGW_ERR_PARSE. */
int fax_modems_parse(const char *name, unsigned *modems);

#endif
