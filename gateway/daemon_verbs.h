/* The daemon's own control verbs: `ping` (answers "ok pong") and `status`
 * (data lines: pid, uptime, calls in progress with their line and time,
 * and each line with its kind and channels in use). */
#ifndef FAXGW_GATEWAY_DAEMON_VERBS_H
#define FAXGW_GATEWAY_DAEMON_VERBS_H

struct daemon;

/* Registers ping and status. Returns 0 or a control_register code. */
int daemon_verbs_init(struct daemon *d);

#endif
