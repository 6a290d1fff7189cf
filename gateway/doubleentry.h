/* Double entry on an office device line (CIAJ guideline 4.4 case 1): the
 * gateway plays dial tone and collects the destination by DTMF ('#' or an
 * inter-digit pause ends it), checks the dial rules, plays the
 * confirmation tone, collects the number again and compares the two after
 * normalising. Equal: ACCEPTED with the number (the caller then receives
 * the document from the device and queues it). Different, timed out,
 * too long or refused by a rule: the reject tone plays, then REFUSED with
 * the reason; nothing is sent.
 *
 * Sample-driven, no clock of its own: feed the device's audio in, send
 * the samples it writes back to the device. Any block size works; the
 * line moves 160-sample (20 ms) frames and decisions fall on block ends.
 * One machine per call; no globals. */
#ifndef FAXGW_GATEWAY_DOUBLEENTRY_H
#define FAXGW_GATEWAY_DOUBLEENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/dialrules.h"

struct audit;
struct config;
struct doubleentry;

struct doubleentry_config {
	bool double_entry;          /* false: one entry is enough */
	unsigned first_digit_ms;    /* wait for the first digit of an entry */
	unsigned inter_digit_ms;    /* silence after a digit that ends an entry */
	enum dialrules_origin origin;
	struct dialrules_policy policy;
};

enum doubleentry_state {
	DE_FIRST_ENTRY = 0,         /* dial tone until the first digit */
	DE_CONFIRM_TONE,            /* "dial it again" beeps */
	DE_SECOND_ENTRY,
	DE_REJECT_TONE,             /* refused; the tone is still playing */
	DE_ACCEPTED,                /* final */
	DE_REFUSED                  /* final */
};

enum doubleentry_refusal {
	DE_NOT_REFUSED = 0,
	DE_MISMATCH,                /* the two entries differ */
	DE_TIMEOUT,                 /* an entry never came */
	DE_TOO_LONG,                /* more digits than any number has */
	DE_RULE                     /* the dial rules refused the number */
};

/* Fills c with the defaults: double entry on, 10 s for the first digit,
 * 4 s between digits, origin device, default dial policy. */
void doubleentry_config_init(struct doubleentry_config *c);

/* Fills c from [outbound] and [dialing] of cfg. Returns 0 or
 * FGW_ERR_CONFIG (msg says which key). */
int doubleentry_config_load(const struct config *cfg, struct doubleentry_config *c,
			    char *msg, size_t msgsize);

/* Makes a machine in DE_FIRST_ENTRY (c is copied). Returns 0 and *out
 * (doubleentry_free it), FGW_ERR_INVALID for a zero timeout, or
 * FGW_ERR_NOMEM. */
int doubleentry_new(const struct doubleentry_config *c, struct doubleentry **out);

/* Frees de; NULL is fine. */
void doubleentry_free(struct doubleentry *de);

/* Takes n samples from the device (in) and writes n samples to play to it
 * (out: tones or silence). Returns the state after this block. In a final
 * state the input is ignored and out is silence. */
enum doubleentry_state doubleentry_process(struct doubleentry *de, const int16_t *in,
					   int16_t *out, size_t n);

/* The current state. */
enum doubleentry_state doubleentry_state(const struct doubleentry *de);

/* The accepted number, normalised ("0312345678"), or "" unless ACCEPTED.
 * Owned by de. */
const char *doubleentry_number(const struct doubleentry *de);

/* Why it was refused (DE_NOT_REFUSED before a refusal) and in words
 * ("mismatch: 0312345678 then 0312345679"); "" before. Owned by de. */
enum doubleentry_refusal doubleentry_refusal(const struct doubleentry *de);
const char *doubleentry_reason(const struct doubleentry *de);

/* The dial rules' decision on the first entry (rule and reason); valid
 * once the first entry ended. Owned by de. */
const struct dialrules_decision *doubleentry_decision(const struct doubleentry *de);

/* Appends the security record of a refusal to a (dial_mismatch,
 * dial_denied, or security with event double_entry_timeout /
 * double_entry_too_long), naming device (may be NULL), both entries, the
 * rule and the reason. Not durable until audit_sync. Returns 0,
 * FGW_ERR_STATE when de was not refused, or the codes of audit_append. */
int doubleentry_audit(const struct doubleentry *de, struct audit *a, const char *device);

/* English names; never NULL. */
const char *doubleentry_state_name(enum doubleentry_state s);
const char *doubleentry_refusal_name(enum doubleentry_refusal r);

#endif
