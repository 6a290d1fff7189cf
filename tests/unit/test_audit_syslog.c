/* Audit records forwarded to several syslog destinations at once: the
 * local syslog socket (as /dev/log) and a remote collector. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "storage/audit.h"

static const char mac[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static int unix_listener(const char *path)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(str_copy(un.sun_path, sizeof un.sun_path, path), FGW_OK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&un, sizeof un), 0);
	return fd;
}

static int udp_listener(int *port)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof in;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&in, sizeof in), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&in, &len), 0);
	*port = ntohs(in.sin_port);
	return fd;
}

static void expect_record(int fd, const char *what)
{
	char buf[2048];
	ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);

	cr_assert_gt(n, 0, "%s got nothing", what);
	buf[n] = '\0';
	cr_assert(strncmp(buf, "<85>1 ", 6) == 0, "%s: %s", what, buf);
	cr_assert(strstr(buf, "[faxgw@32473 seq=\"7\" type=\"login\" mac=\"") != NULL,
		  "%s: %s", what, buf);
	cr_assert(strstr(buf, "{\"seq\":7}") != NULL, "%s: %s", what, buf);
}

Test(audit_syslog, one_record_reaches_local_socket_and_remote_collector)
{
	char dir[] = "/tmp/fgw-syslog-XXXXXX", path[128], targets[256];
	struct audit_syslog *s = NULL;
	int port = 0, ufd, nfd;

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(str_format(path, sizeof path, "%s/log", dir), FGW_OK);
	ufd = unix_listener(path);
	nfd = udp_listener(&port);
	cr_assert_eq(str_format(targets, sizeof targets, "unix:%s udp:127.0.0.1:%d", path, port),
		     FGW_OK);
	cr_assert_eq(audit_syslog_open_list(targets, "gw1", &s), FGW_OK);
	cr_assert_not_null(s);
	cr_assert_eq(audit_syslog_send(s, 7, "login", mac, 1700000000000, "{\"seq\":7}", 9), FGW_OK);
	expect_record(ufd, "local socket");
	expect_record(nfd, "remote collector");
	cr_assert_eq(audit_syslog_dropped(s), 0);
	audit_syslog_close(s);
	close(ufd);
	close(nfd);
	unlink(path);
	rmdir(dir);
}

Test(audit_syslog, empty_list_opens_nothing)
{
	struct audit_syslog *s = (struct audit_syslog *)1;

	cr_assert_eq(audit_syslog_open_list("", NULL, &s), FGW_OK);
	cr_assert_null(s);
}

Test(audit_syslog, a_bad_target_in_the_list_refuses_all)
{
	struct audit_syslog *s = NULL;

	cr_assert_eq(audit_syslog_open_list("udp:127.0.0.1:514 unix:relative", NULL, &s),
		     FGW_ERR_PARSE);
	cr_assert_null(s);
}

Test(audit_syslog, missing_local_socket_counts_a_drop_but_does_not_fail_open)
{
	struct audit_syslog *s = NULL;

	cr_assert_eq(audit_syslog_open_list("unix:/nonexistent/faxgw-log", NULL, &s), FGW_OK);
	cr_assert_eq(audit_syslog_send(s, 7, "login", mac, 1700000000000, "{\"seq\":7}", 9),
		     FGW_ERR_IO);
	cr_assert_eq(audit_syslog_dropped(s), 1);
	audit_syslog_close(s);
}
