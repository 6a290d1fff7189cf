/* Process hardening for the daemon: no core dumps (they would hold keys
 * and documents), and, when started as root, dropping to the service user
 * once everything privileged is done. */
#ifndef FAXGW_GATEWAY_PRIVDROP_H
#define FAXGW_GATEWAY_PRIVDROP_H

#include <stdbool.h>
#include <sys/types.h>

/* Turns core dumps off: RLIMIT_CORE 0 and PR_SET_DUMPABLE 0 (which also
 * keeps other processes of the same user from ptrace-attaching). Returns 0
 * or FGW_ERR_IO (logged). */
int privdrop_no_core(void);

/* Where the daemon will run: when we are root, user's uid and gid (user
 * must exist: FGW_ERR_NOT_FOUND, logged with the useradd to run); when we
 * are not root, our own ids. *will_drop says which. Returns 0 or an error
 * code. */
int privdrop_target(const char *user, uid_t *uid, gid_t *gid, bool *will_drop);

/* When will_drop: setgroups to user's single group, setresgid, setresuid,
 * each checked, then verifies root cannot be regained. Always: sets
 * PR_SET_NO_NEW_PRIVS. When not dropping, logs that the daemon runs as
 * the invoking user. Returns 0, FGW_ERR_PERMISSION or FGW_ERR_IO (each
 * logged: the daemon must not go on). */
int privdrop_apply(const char *user, uid_t uid, gid_t gid, bool will_drop);

#endif
