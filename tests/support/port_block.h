/* Blocks of 100 loopback ports for tests that configure fixed ports (two
 * faxgwd daemons pointing at each other). Blocks lie in 21000..30999,
 * below Linux's ephemeral range (32768 up), so no client socket of
 * another test can sit on them, and each is claimed with an flock on
 * /tmp/faxgw-test-ports.N held until the test process exits, so tests
 * running at once (Criterion jobs, programs run side by side) never
 * share one. Blocks end at 30999: the media session tests bind in
 * 31000..35999 (skipping busy ports, but a daemon's fixed SIP port
 * cannot skip). */
#ifndef FAXGW_TESTS_PORT_BLOCK_H
#define FAXGW_TESTS_PORT_BLOCK_H

/* Returns the first port of a block of 100 claimed for this process (the
 * same block on every call); fails the test when none is free. */
unsigned port_block(void);

#endif
