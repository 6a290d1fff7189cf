/* The monotonic clock, as the real-time paths and timers read it. */
#ifndef FAXGW_COMMON_CLOCK_H
#define FAXGW_COMMON_CLOCK_H

#include <stdint.h>

/* Nanoseconds on CLOCK_MONOTONIC. The 20 ms pacing cannot go on without
 * it, so a failure (which Linux does not have for this clock) is fatal. */
int64_t clock_mono_ns(void);

/* Milliseconds on CLOCK_MONOTONIC; 0 if the clock cannot be read. */
int64_t clock_mono_ms(void);

#endif
