/* SIMULATION ONLY: the daemon's side of `faxgw simulate outgoing`
 * (seed 000 4.4 case 1). Control verb "simulate-outgoing" with dial=NUMBER,
 * optional confirm=NUMBER (absent: the simulated user never dials again),
 * optional device=NAME (whose outbound policy applies, gateway/devpolicy.h;
 * default "device"),
 * fd 0 the document (TIFF-F) and optional fd 1 a folder for the simulated
 * public far end to save this job's pages into.
 *
 * A simulated office fax machine on a "device" channel goes off hook,
 * dials NUMBER as DTMF tones (SpanDSP dtmf_tx, 90 ms tone / 110 ms pause
 * one second after off-hook), listens for the gateway's confirmation
 * tone, then dials the confirmation. The daemon's end runs
 * gateway/doubleentry on what it hears. ACCEPTED: the same call switches
 * to fax; the daemon receives the document into a memory file, stores it
 * in the vault (one page holding the TIFF) and queues it (origin device)
 * for the queue runner. REFUSED: the reject tone plays, nothing is stored
 * and doubleentry_audit writes the security record.
 *
 * The answer's data lines tell the story; the status line is "ok job ID"
 * or an error (FGW_ERR_DENIED / FGW_ERR_MISMATCH / FGW_ERR_TIMEOUT with
 * the reason, or a fax failure). */
#ifndef FAXGW_GATEWAY_SIM_OUTGOING_H
#define FAXGW_GATEWAY_SIM_OUTGOING_H

struct daemon;
struct queue_runner;

/* Largest document the simulated office machine takes (bytes). */
#define SIM_OUTGOING_DOC_MAX (64u << 20)

/* Registers the verb; jobs go to r. Returns 0 or an FGW_ERR_* code. */
int sim_outgoing_init(struct daemon *d, struct queue_runner *r);

#endif
