/* The `faxgw simulate` sub-verbs of the outbound simulation (listed in
 * cmd_simulate.c's table). Each returns the exit status: 0, 1 or 2. */
#ifndef FAXGW_GATEWAY_SIM_OUTGOING_CLI_H
#define FAXGW_GATEWAY_SIM_OUTGOING_CLI_H

/* faxgw simulate outgoing ... (argv[0] is "outgoing"). */
int simulate_outgoing(int argc, char **argv);

/* faxgw simulate far-end ... (argv[0] is "far-end"). */
int simulate_far_end(int argc, char **argv);

#endif
