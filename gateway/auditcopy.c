#include "gateway/auditcopy.h"

#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"

int auditcopy_targets(const struct config *cfg, const char *local_socket, char *buf,
		      size_t size)
{
	const char *remote = config_str(cfg, "audit", "remote_target");
	const char *proto = config_str(cfg, "audit", "remote_protocol");
	bool local;
	int rc;

	if (local_socket == NULL)
		local_socket = AUDITCOPY_LOCAL_SOCKET;
	local = config_bool(cfg, "audit", "syslog") && access(local_socket, W_OK) == 0;
	rc = str_format(buf, size, "%s%s%s%s%s%s", local ? "unix:" : "", local ? local_socket : "",
			local && *remote ? " " : "", *remote ? proto : "", *remote ? ":" : "",
			remote);
	return rc;
}

int auditcopy_open(const struct config *cfg, struct audit_syslog **out)
{
	char targets[600];
	int rc;

	*out = NULL;
	if (config_bool(cfg, "audit", "syslog") && access(AUDITCOPY_LOCAL_SOCKET, W_OK) != 0)
		log_warn("[audit] syslog is on but %s cannot be written to (no syslog daemon?); "
			 "audit records are not copied to the local syslog", AUDITCOPY_LOCAL_SOCKET);
	rc = auditcopy_targets(cfg, NULL, targets, sizeof targets);
	if (rc == FGW_OK && targets[0] != '\0')
		rc = audit_syslog_open_list(targets, NULL, out);
	if (rc != FGW_OK)
		log_error("[audit] remote_target: cannot forward audit records to '%s': give "
			  "HOST:PORT (a name, an IPv4 address or [IPv6]:PORT)",
			  config_str(cfg, "audit", "remote_target"));
	return rc;
}
