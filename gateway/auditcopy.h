/* Where copies of the audit records go, from [audit] syslog,
 * remote_target and remote_protocol. */
#ifndef FAXGW_GATEWAY_AUDITCOPY_H
#define FAXGW_GATEWAY_AUDITCOPY_H

#include <stddef.h>

#include "gateway/config.h"
#include "storage/audit.h"

/* The local syslog socket audit records are copied to. */
#define AUDITCOPY_LOCAL_SOCKET "/dev/log"

/* Writes the space-separated forwarding targets for audit_syslog_open_list
 * into buf: "unix:/dev/log" when [audit] syslog is on and local_socket
 * exists (NULL: AUDITCOPY_LOCAL_SOCKET), then "udp:HOST:PORT" or
 * "tcp:HOST:PORT" for a remote target. Returns 0 or FGW_ERR_TOO_LARGE. */
int auditcopy_targets(const struct config *cfg, const char *local_socket, char *buf,
		      size_t size);

/* Opens the forwarders cfg asks for; *out NULL when none. Logs a warning
 * when syslog is on but there is no local syslog socket. Returns 0 or the
 * error of audit_syslog_open_list (a bad remote target, named in the log). */
int auditcopy_open(const struct config *cfg, struct audit_syslog **out);

#endif
