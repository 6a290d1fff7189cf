/* The gateway's side of a call from an office fax device, whatever the
 * line (the simulation, SIP): the double entry (gateway/doubleentry.h)
 * under the device's own policy (gateway/devpolicy.h), then the document
 * received from the device, stored in the vault and queued
 * (gateway/queue_runner.h). The line code moves the audio and makes the
 * call; digits that do not come as in-band tones (a SIP Request-URI, RFC
 * 4733 events) are handed over with device_call_dial.
 *
 *   device_call_new        when the device goes off hook / calls
 *   device_call_process    each block of the device's audio, until a
 *                          final state
 *   device_call_refused    REFUSED: the security record and the reason
 *   device_call_endpoint   ACCEPTED: the receiving endpoint
 *   device_call_finish     with the fax's result: store and queue
 *   device_call_free       always, last */
#ifndef FAXGW_GATEWAY_DEVICE_CALL_H
#define FAXGW_GATEWAY_DEVICE_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsp/fax.h"
#include "gateway/doubleentry.h"
#include "gateway/queue.h"
#include "storage/vault.h"

struct config;
struct daemon;
struct queue_runner;
struct device_call;

/* What device_call_finish did; text is a line for the user. */
struct device_call_result {
	int code;                       /* 0: queued */
	char job[QUEUE_ID_LEN + 1];     /* the job, when queued */
	char document[VAULT_ID_LEN + 1];
	uint32_t pages;
	char text[200];                 /* "accepted: job ID to NUMBER" or why not */
};

/* Starts the double entry for device (a catalog device name; its policy
 * over the configured defaults) with cfg (held by the caller for the
 * call's life); jobs go to r (held until device_call_free). who prefixes
 * the logs ("simulation", "sip"). Returns 0 and *out (device_call_free),
 * FGW_ERR_CONFIG / catalog codes (logged with the key or device), or
 * FGW_ERR_NOMEM. */
int device_call_new(struct daemon *d, struct queue_runner *r, const struct config *cfg,
		    const char *device, const char *who, struct device_call **out);

/* Digits that came outside the audio (Request-URI user part, RFC 4733
 * events): they reach the double entry as if the device had dialled them
 * as tones, in order, after any already waiting; '#' ends an entry at
 * once. Returns 0, FGW_ERR_INVALID (a character that is no DTMF key), or
 * FGW_ERR_TOO_LARGE when too many digits are waiting. */
int device_call_dial(struct device_call *dc, const char *digits);

/* Takes n samples heard from the device (in; NULL: silence) and writes n
 * samples to play to it (out). Returns the double entry's state after
 * this block. */
enum doubleentry_state device_call_process(struct device_call *dc, const int16_t *in,
					   int16_t *out, size_t n);

/* The accepted number ("" before). Owned by dc. */
const char *device_call_number(const struct device_call *dc);

/* The device name. Owned by dc. */
const char *device_call_device(const struct device_call *dc);

/* REFUSED: appends and syncs the security record (errors logged), writes
 * "refused: REASON" into text. Returns FGW_ERR_MISMATCH, FGW_ERR_TIMEOUT,
 * FGW_ERR_RANGE (too long) or FGW_ERR_DENIED. */
int device_call_refused(struct device_call *dc, char *text, size_t size);

/* ACCEPTED: makes the answering, receiving endpoint for the document
 * (into a memory file dc owns) with the [fax] ECM setting; for FAX_T38,
 * t38_out/t38_user carry its packets. May be called again (T.38 switch
 * before any page): the memory file is emptied. Returns 0 and *ep (the
 * caller owns it), memfile or fax_endpoint_new codes. */
int device_call_endpoint(struct device_call *dc, enum fax_transport transport,
			 fax_t38_out_fn t38_out, void *t38_user, struct fax_endpoint **ep);

/* After the fax phase: when local succeeded, pages arrived and the call
 * was not cut (cut: aborted or timed out), stores the document and queues
 * it for the accepted number (origin device, dial rules again) with
 * out_dirfd (< 0: none; taken); else reports the failure. Fills *res. */
void device_call_finish(struct device_call *dc, const struct fax_result *local, bool cut,
			int out_dirfd, struct device_call_result *res);

/* Frees dc, wiping the received document's memory copy. NULL is fine. */
void device_call_free(struct device_call *dc);

#endif
