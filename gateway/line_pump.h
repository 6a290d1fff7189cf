/* A synchronous pump: runs two fax endpoints over two line ends in 20 ms
 * steps of simulated time, for tests, benchmarks and `faxgw line-test`.
 * (The daemon's event loop replaces it for real calls.) */
#ifndef FAXGW_GATEWAY_LINE_PUMP_H
#define FAXGW_GATEWAY_LINE_PUMP_H

#include <stddef.h>
#include <stdint.h>

#include "dsp/fax.h"
#include "gateway/line.h"

/* One step: 20 ms at 8 kHz. */
#define LINE_PUMP_STEP 160

/* A fax_t38_out_fn that sends through the line passed as user. Give it as
 * fax_options.t38_out with the endpoint's own line end as t38_user. */
int line_pump_t38_out(void *line, const uint8_t *ifp, size_t len, uint16_t seq, int count);

/* Moves one step: each endpoint sends into its line end, then takes what
 * arrived from the far end. Both endpoints must use the same transport.
 * Returns 0 or the first line/endpoint error code. */
int line_pump_step(struct fax_endpoint *a, struct line *la,
		   struct fax_endpoint *b, struct line *lb);

/* Steps until both endpoints are done or max_seconds of simulated time have
 * passed. *elapsed (may be NULL) gets the simulated samples. Returns 0 when
 * both finished, FGW_ERR_TIMEOUT at the limit (the endpoints keep running;
 * abort them if wanted), or a step's error. */
int line_pump_run(struct fax_endpoint *a, struct line *la,
		  struct fax_endpoint *b, struct line *lb,
		  unsigned max_seconds, uint64_t *elapsed);

#endif
