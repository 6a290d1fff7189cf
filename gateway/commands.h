/* The faxgw CLI's subcommands. Each lives in gateway/cmd_<name>.c and is
 * listed in faxgw_main.c's table. A command receives argv with argv[0] set
 * to its own name, parses its own options (and --help), prints what a user
 * needs, and returns the process exit status (0 ok, 1 failure, 2 usage). */
#ifndef FAXGW_GATEWAY_COMMANDS_H
#define FAXGW_GATEWAY_COMMANDS_H

int cmd_line_test(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_init(int argc, char **argv);
/* cmd_init with extra(dir) run on the new device before it is handed to
 * faxgwd's account (the web's certificate); extra returns 0 or prints
 * what failed and returns non-zero. */
typedef int cmd_init_extra_fn(const char *dir);
int cmd_init_with(int argc, char **argv, cmd_init_extra_fn *extra);
int cmd_wipe(int argc, char **argv);
int cmd_cert(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_mailbox(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
int cmd_device(int argc, char **argv);
int cmd_sip(int argc, char **argv);

#endif
