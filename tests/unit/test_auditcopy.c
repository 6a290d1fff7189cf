/* gateway/auditcopy: which syslog destinations the configuration asks for. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/auditcopy.h"

static void ignore(void *arg, const char *msg)
{
	(void)arg;
	cr_log_info("%s", msg);
}

static struct config *load(const char *text)
{
	char path[] = "/tmp/fgw-auditcopy-XXXXXX";
	int fd = mkstemp(path);
	struct config *cfg = NULL;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cr_assert_eq(config_load(path, ignore, NULL, &cfg), FGW_OK);
	unlink(path);
	return cfg;
}

Test(auditcopy, local_and_remote_when_both_configured)
{
	struct config *cfg = load("[audit]\nsyslog = yes\nremote_target = 192.0.2.10:514\n"
				  "remote_protocol = tcp\n");
	char buf[256];

	/* Any writable path stands in for /dev/log. */
	cr_assert_eq(auditcopy_targets(cfg, "/dev/null", buf, sizeof buf), FGW_OK);
	cr_assert_str_eq(buf, "unix:/dev/null tcp:192.0.2.10:514");
	config_free(cfg);
}

Test(auditcopy, no_local_copy_without_a_syslog_socket)
{
	struct config *cfg = load("[audit]\nremote_target = [2001:db8::1]:514\n");
	char buf[256];

	cr_assert_eq(auditcopy_targets(cfg, "/nonexistent/log", buf, sizeof buf), FGW_OK);
	cr_assert_str_eq(buf, "udp:[2001:db8::1]:514");
	config_free(cfg);
}

Test(auditcopy, nothing_when_switched_off)
{
	struct config *cfg = load("[audit]\nsyslog = no\n");
	char buf[256];

	cr_assert_eq(auditcopy_targets(cfg, "/dev/null", buf, sizeof buf), FGW_OK);
	cr_assert_str_eq(buf, "");
	config_free(cfg);
}

Test(auditcopy, a_remote_target_without_port_is_refused_at_open)
{
	struct config *cfg = load("[audit]\nsyslog = no\nremote_target = collector\n");
	struct audit_syslog *s = NULL;

	cr_assert_neq(auditcopy_open(cfg, &s), FGW_OK);
	cr_assert_null(s);
	config_free(cfg);
}
