/* Test helper: an office fax machine speaking SIP, in the test process.
 * It calls the gateway (INVITE with digest credentials for 401/407,
 * G.711 u-law with telephone-event), dials through the double entry
 * (first entry as RFC 4733 events, second as in-band DTMF tones, either
 * may be empty), then sends a TIFF as a SpanDSP fax over the RTP stream,
 * and hangs up (BYE) when the fax is over. A T.38 re-INVITE from the
 * gateway is refused with 488 (the machine is G.711 only). Runs its own
 * event loop in the calling thread until the call ended or the time is
 * up. */
#ifndef FAXGW_TESTS_SIP_DEVICE_H
#define FAXGW_TESTS_SIP_DEVICE_H

#include <stdbool.h>

struct sip_device_opts {
	const char *gateway;        /* "127.0.0.1:5060" */
	const char *user;           /* digest user = the device's name */
	const char *password;
	const char *dial_user;      /* Request-URI user ("fax", or the number) */
	const char *events;         /* first entry as RFC 4733 events ("031...#") */
	const char *tones;          /* second entry as tones, after the confirm tone */
	const char *file;           /* TIFF to send */
	const char *sub;            /* F-code sub-address to send (NULL: none) */
	const char *rtp_ports;      /* "LO-HI" for its own stream */
	unsigned timeout_s;
};

struct sip_device_result {
	bool answered;
	bool fax_done;
	int fax_err;                /* the sender's result (0: sent) */
	int pages_sent;
	bool reinvite_refused;      /* the gateway asked for T.38 */
	bool ended;                 /* the dialog ended before the time was up */
};

/* Runs the call (see above). Fails the test only on set-up errors; the
 * caller checks r. */
void sip_device_run(const struct sip_device_opts *o, struct sip_device_result *r);

#endif
