/* Simulated lines: the embedded default has two, "trunk" (the public
 * network) and "device" (the office fax machine's line). Each call on one
 * gets a channel: a loopback pair (gateway/line.h) whose one end the
 * daemon's call uses and whose other end a simulated far-end machine
 * drives. A line has a fixed number of channels ([lines] *_channels);
 * logs and status call it "simulation" so nobody takes it for a real
 * line. A real (SIP) line will give the daemon's end only; its far end is
 * the network. */
#ifndef FAXGW_GATEWAY_SIMLINE_H
#define FAXGW_GATEWAY_SIMLINE_H

#include <stddef.h>

struct config;
struct line;
struct simline_set;
struct simline_channel;

#define SIMLINE_TRUNK "trunk"
#define SIMLINE_DEVICE "device"

/* Makes the lines [lines] configures. Returns 0 and *out
 * (simline_set_free), FGW_ERR_NOMEM. */
int simline_set_new(const struct config *cfg, struct simline_set **out);

/* Applies new channel counts (on reload); busy channels stay. */
void simline_set_configure(struct simline_set *s, const struct config *cfg);

/* Frees s. Every channel must have been released. NULL is fine. */
void simline_set_free(struct simline_set *s);

/* Takes a free channel of line name. Returns 0 and *out, FGW_ERR_NOT_FOUND
 * (no such line), FGW_ERR_BUSY (all channels in use), FGW_ERR_NOMEM. */
int simline_acquire(struct simline_set *s, const char *name, struct simline_channel **out);

/* The daemon's end, the simulated far end's end, and a label such as
 * "trunk/1 (simulation)". Owned by ch. */
struct line *simline_local(struct simline_channel *ch);
struct line *simline_far(struct simline_channel *ch);
const char *simline_label(const struct simline_channel *ch);
/* The line's name ("trunk"). */
const char *simline_name(const struct simline_channel *ch);

/* Gives the channel back (frees both ends). NULL is fine. */
void simline_release(struct simline_channel *ch);

/* Calls fn once per line: its name, kind ("simulation"), channels in use
 * and channels configured. */
typedef void simline_visit_fn(void *arg, const char *name, const char *kind,
			      unsigned busy, unsigned channels);
void simline_list(const struct simline_set *s, simline_visit_fn *fn, void *arg);

#endif
