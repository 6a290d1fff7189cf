/* The two lines as an operator sees them, whatever their kind: for
 * `faxgw status` and the web dashboard. A simulated line reports its
 * channels; a SIP line its calls against [sip] max_calls and its state
 * (trunk registered or not, devices registered). */
#ifndef FAXGW_GATEWAY_LINE_STATUS_H
#define FAXGW_GATEWAY_LINE_STATUS_H

struct daemon;

struct line_status {
	const char *name;       /* "trunk" or "device" */
	const char *kind;       /* "simulation" or "sip" */
	unsigned busy;          /* calls on it now */
	unsigned channels;      /* calls it may carry */
	const char *state;      /* e.g. "registered", "2 devices registered"; "" */
};

/* Calls fn once per line with its status (valid during the call only). */
typedef void line_status_fn(void *arg, const struct line_status *st);
void line_status_list(struct daemon *d, line_status_fn *fn, void *arg);

#endif
