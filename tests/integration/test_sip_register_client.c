/* A real SIP client nobody here wrote (Debian's sipsak) registers with
 * digest authentication: right password (200, the binding is there, a
 * login record), wrong password (refused, failure records, the device
 * locked after [security] login_max_failures). First to a real faxgwd
 * (tests/support/daemon_harness.h, [lines] device_kind = sip, [sip] listen
 * on a free loopback port), seen through `faxgw sip bindings` and the
 * audit log; then, for the exact responses, to the registrar alone.
 *
 * sipsak only reads the first challenge and only knows MD5 (Debian builds
 * it without SHA support), so [sip] digest_algorithms = md5-sha256 here:
 * the setting for such legacy devices.
 *
 * The registrar is served here on a loopback UDP socket by a small loop
 * that hands each datagram to sip_registrar_handle_register, the same call
 * faxgwd's SIP service makes. */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "common/err.h"
#include "gateway/config.h"
#include "gateway/sip_registrar.h"
#include "gateway/sipmsg.h"
#include "storage/audit.h"
#include "storage/catalog.h"
#include "storage/store.h"
#include "tests/support/daemon_harness.h"

extern char **environ;

#define PASSWORD "Fax-machine-2F-pass"

static char dir[64], data[128];
static struct store *st;
static struct config *cfg;
static struct sip_registrar *reg;
static int sock = -1;
static unsigned port;
static int statuses[64];
static size_t nstatuses;

static void report(void *arg, const char *msg)
{
	(void)arg;
	cr_log_error("%s", msg);
}

/* Debian's sipsak reads only the first challenge and knows only MD5 (it
 * is built without OpenSSL's SHA): the setting for such devices. */
static struct config *load_config(const char *in)
{
	char path[128];
	struct config *c = NULL;
	FILE *f;

	snprintf(path, sizeof path, "%s/faxgw.ini", in);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_gt(fprintf(f, "[sip]\ndigest_algorithms = md5-sha256\n"), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(config_load(path, report, NULL, &c), 0);
	return c;
}

static void setup(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	struct catalog_device d = { .last_seen_ms = 0 };

	snprintf(dir, sizeof dir, "/tmp/test_sipclient.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(data, sizeof data, "%s/d", dir);
	cr_assert_eq(store_init(data), 0);
	cr_assert_eq(store_open(data, NULL, &st), 0);
	cfg = load_config(dir);
	cr_assert_eq(sip_registrar_new(st, cfg, &reg), 0);
	snprintf(d.address, sizeof d.address, "mfp1");
	snprintf(d.name, sizeof d.name, "mfp1");
	snprintf(d.kind, sizeof d.kind, "mfp");
	cr_assert_eq(catalog_device_put(store_catalog(st), &d), 0);
	cr_assert_eq(sip_registrar_set_password(store_catalog(st), "mfp1", "faxgw", PASSWORD, 1),
		     0);
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(sock, 0);
	cr_assert_eq(bind(sock, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(getsockname(sock, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	nstatuses = 0;
}

static void teardown(void)
{
	char cmd[128];

	close(sock);
	sip_registrar_free(reg);
	config_free(cfg);
	cr_assert_eq(store_close(st), 0);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(sip_client, .init = setup, .fini = teardown, .timeout = 120);

/* Answers one datagram as faxgwd would: REGISTER to the registrar,
 * anything else 405 from here (not what is tested). */
static void serve_one(void)
{
	uint8_t buf[SIPMSG_MAX_UDP];
	char resp[SIP_REGISTRAR_RESPONSE_MAX], src[64], host[INET_ADDRSTRLEN];
	struct sockaddr_in from;
	socklen_t flen = sizeof from;
	ssize_t n = recvfrom(sock, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
	struct sipmsg *m = NULL;
	size_t len = 0;
	int status;

	if (n <= 0 || sipmsg_parse(buf, (size_t)n, &m, NULL, 0) != FGW_OK)
		return;
	cr_assert_not_null(inet_ntop(AF_INET, &from.sin_addr, host, sizeof host));
	snprintf(src, sizeof src, "%s:%u", host, ntohs(from.sin_port));
	if (sipmsg_is_request(m) && strcmp(sipmsg_method(m), "REGISTER") == 0)
		status = sip_registrar_handle_register(reg, m, src, resp, sizeof resp, &len);
	else if (sipmsg_is_request(m) && strcmp(sipmsg_method(m), "ACK") != 0)
		status = sipmsg_build_response(m, 405, NULL, resp, sizeof resp, &len) == 0 ? 405
											  : -1;
	else
		status = -1;
	sipmsg_free(m);
	if (status <= 0)
		return;
	if (nstatuses < sizeof statuses / sizeof statuses[0])
		statuses[nstatuses++] = status;
	cr_assert_eq(sendto(sock, resp, len, 0, (struct sockaddr *)&from, flen), (ssize_t)len);
}

/* Runs sipsak with args (after the program name) while serving; returns
 * its exit status. */
static int run_sipsak(const char *const *args)
{
	char *argv[32];
	size_t i = 0;
	pid_t pid;
	int status = 0;
	time_t until = time(NULL) + 30;

	argv[i++] = (char *)"sipsak";
	for (; *args && i < 31; args++)
		argv[i++] = (char *)*args;
	argv[i] = NULL;
	cr_assert_eq(posix_spawnp(&pid, "sipsak", NULL, NULL, argv, environ), 0,
		     "sipsak is not installed (mk/deps.sh installs it)");
	for (;;) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		cr_assert_lt(time(NULL), until, "sipsak did not finish");
		if (poll(&p, 1, 50) > 0)
			serve_one();
	}
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void sipsak_register(const char *password, int *exit_status)
{
	char uri[128], contact[128];
	const char *args[] = { "-U", "-s", uri, "-C", contact, "-u", "mfp1", "-a", password,
			       "-x", "300",
			       "-H", "127.0.0.1", NULL };

	snprintf(uri, sizeof uri, "sip:mfp1@127.0.0.1:%u", port);
	snprintf(contact, sizeof contact, "sip:mfp1@127.0.0.1:5999");
	*exit_status = run_sipsak(args);
}

struct count {
	const char *type, *user, *reason;
	int n;
};

static int count_fn(const struct audit_record *rec, void *arg)
{
	struct count *c = arg;
	const char *user = NULL, *reason = NULL, *service = NULL;

	for (size_t i = 0; i < rec->nfields; i++) {
		if (strcmp(rec->fields[i].key, "user") == 0)
			user = rec->fields[i].value;
		if (strcmp(rec->fields[i].key, "reason") == 0)
			reason = rec->fields[i].value;
		if (strcmp(rec->fields[i].key, "service") == 0)
			service = rec->fields[i].value;
	}
	if (strcmp(rec->type, c->type) == 0 && service && strcmp(service, "sip") == 0 &&
	    user && strcmp(user, c->user) == 0 && (!c->reason || (reason && strstr(reason,
										   c->reason))))
		c->n++;
	return 0;
}

static int audit_count(const char *type, const char *user, const char *reason)
{
	char path[256];
	struct count c = { type, user, reason, 0 };

	snprintf(path, sizeof path, "%s/%s", data, STORE_AUDIT_FILE);
	cr_assert_eq(audit_read_file(path, count_fn, &c, NULL), 0);
	return c.n;
}

static bool saw(int status)
{
	for (size_t i = 0; i < nstatuses; i++)
		if (statuses[i] == status)
			return true;
	return false;
}

Test(sip_client, sipsak_registers_with_the_right_password)
{
	char contact[256], source[64];
	int rc;

	sipsak_register(PASSWORD, &rc);
	cr_assert_eq(rc, 0, "sipsak exit %d", rc);
	cr_assert(saw(401));
	cr_assert(saw(200));
	cr_assert_eq(sip_registrar_lookup(reg, "mfp1", contact, sizeof contact, source,
					  sizeof source), 0);
	cr_assert_str_eq(contact, "sip:mfp1@127.0.0.1:5999");
	cr_assert_eq(strncmp(source, "127.0.0.1:", 10), 0);
	cr_assert_geq(audit_count("login", "mfp1", "REGISTER"), 1);
	cr_assert_eq(audit_count("login_failure", "mfp1", NULL), 0);
}

Test(sip_client, sipsak_wrong_password_refused_then_device_locked)
{
	int rc;

	for (int i = 0; i < 3; i++) {
		sipsak_register("wrong-password-here", &rc);
		cr_assert_neq(rc, 0);
	}
	cr_assert_not(saw(200));
	cr_assert(saw(403));
	cr_assert_eq(sip_registrar_lookup(reg, "mfp1", NULL, 0, NULL, 0), FGW_ERR_NOT_FOUND);
	cr_assert_geq(audit_count("login_failure", "mfp1", "wrong password"), 3);
	cr_assert_eq(audit_count("lockout", "mfp1", "SIP device locked"), 1);
	/* locked: now the right password is refused too */
	nstatuses = 0;
	sipsak_register(PASSWORD, &rc);
	cr_assert_neq(rc, 0);
	cr_assert(saw(403));
	cr_assert_not(saw(200));
}

/* ---- against a real faxgwd ---------------------------------------------- */

/* What a daemon test started, stopped by the suite's fini even when an
 * assertion ends the test early. */
static struct dh *running;
static struct dh_result *result;
static pid_t baresip_pid = -1;

static void daemon_fini(void)
{
	int status;

	if (baresip_pid > 0 && kill(baresip_pid, SIGKILL) == 0)
		(void)waitpid(baresip_pid, &status, 0);
	baresip_pid = -1;
	dh_free(running);
	running = NULL;
	free(result);
	result = NULL;
}

TestSuite(sip_daemon, .fini = daemon_fini, .timeout = 120);

static unsigned free_udp_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned p;

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	p = ntohs(a.sin_port);
	close(fd);
	return p;
}

/* Runs sipsak (no serving here: faxgwd answers), its output into
 * DIR/sipsak.out; returns the exit status. */
static int sipsak_to_daemon(struct dh *h, unsigned sip_port, const char *password,
			    char *out, size_t out_size)
{
	char uri[128], path[512];
	char *argv[] = { (char *)"sipsak", (char *)"-U", (char *)"-s", uri, (char *)"-C",
			 (char *)"sip:mfp1@127.0.0.1:5999", (char *)"-u", (char *)"mfp1",
			 (char *)"-a", (char *)password, (char *)"-x", (char *)"300",
			 (char *)"-H", (char *)"127.0.0.1", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0;
	FILE *f;
	size_t n;

	snprintf(uri, sizeof uri, "sip:mfp1@127.0.0.1:%u", sip_port);
	snprintf(path, sizeof path, "%s/sipsak.out", dh_dir(h));
	cr_assert_eq(posix_spawn_file_actions_init(&fa), 0);
	cr_assert_eq(posix_spawn_file_actions_addopen(&fa, 1, path, O_WRONLY | O_CREAT | O_TRUNC,
						      0600), 0);
	cr_assert_eq(posix_spawn_file_actions_adddup2(&fa, 1, 2), 0);
	cr_assert_eq(posix_spawnp(&pid, "sipsak", &fa, NULL, argv, environ), 0,
		     "sipsak is not installed (mk/deps.sh installs it)");
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = fread(out, 1, out_size - 1, f);
	out[n] = '\0';
	cr_assert_eq(fclose(f), 0);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int daemon_audit_count(struct dh *h, const char *type, const char *user,
			      const char *reason)
{
	char path[512];
	struct count c = { type, user, reason, 0 };

	snprintf(path, sizeof path, "%s/%s", dh_data(h), STORE_AUDIT_FILE);
	cr_assert_eq(audit_read_file(path, count_fn, &c, NULL), 0);
	return c.n;
}

/* A faxgwd with a SIP device line on a free loopback port, device mfp1
 * with PASSWORD, offering the digest algorithms algs. */
static struct dh *sip_daemon(unsigned *sip_port, const char *algs)
{
	struct dh *h = dh_new();
	struct dh_result *r = malloc(sizeof *r);
	char listen_line[64], algs_line[64];
	const char *ov[] = { "enabled = no", "device_kind = sip", listen_line, algs_line, NULL };

	cr_assert_not_null(r);
	*sip_port = free_udp_port();
	snprintf(listen_line, sizeof listen_line, "listen = 127.0.0.1:%u", *sip_port);
	snprintf(algs_line, sizeof algs_line, "digest_algorithms = %s", algs);
	dh_config(h, ov);
	cr_assert_eq(dh_cli(h, NULL, true, r, "device", "set", "mfp1", "--kind", "mfp", NULL), 0,
		     "%s", r->err);
	cr_assert_eq(dh_cli(h, PASSWORD "\n", true, r, "sip", "password", "mfp1", "--stdin",
			    "--config", dh_config_path(h), NULL), 0, "%s", r->err);
	free(r);
	dh_start(h);
	running = h;
	return h;
}

Test(sip_daemon, sipsak_registers_to_faxgwd_and_wrong_passwords_lock)
{
	struct dh_result *r = malloc(sizeof *r);
	char out[16384];
	unsigned sip_port;
	struct dh *h;
	int rc;

	cr_assert_not_null(r);
	h = sip_daemon(&sip_port, "md5-sha256");
	rc = sipsak_to_daemon(h, sip_port, PASSWORD, out, sizeof out);
	cr_assert_eq(rc, 0, "sipsak exit %d:\n%s", rc, out);
	cr_assert_eq(dh_cli(h, NULL, true, r, "sip", "bindings", NULL), 0, "%s", r->err);
	cr_assert(strstr(r->out, "mfp1 sip:mfp1@127.0.0.1:5999 127.0.0.1:") != NULL, "%s",
		  r->out);
	/* the status (and the web dashboard) show the SIP device line with it */
	cr_assert_eq(dh_cli(h, NULL, true, r, "status", NULL), 0, "%s", r->err);
	cr_assert(strstr(r->out, "line device sip 0/") != NULL &&
		  strstr(r->out, "(1 device(s) registered)") != NULL, "%s", r->out);
	cr_assert_null(strstr(r->out, "line device simulation"), "%s", r->out);
	cr_assert_geq(daemon_audit_count(h, "login", "mfp1", "REGISTER"), 1);
	/* three wrong passwords: refused, audited, the device locked */
	for (int i = 0; i < 3; i++) {
		rc = sipsak_to_daemon(h, sip_port, "wrong-password-here", out, sizeof out);
		cr_assert_neq(rc, 0, "%s", out);
	}
	cr_assert(strstr(out, "403 Forbidden") != NULL, "%s", out);
	cr_assert_eq(daemon_audit_count(h, "login_failure", "mfp1", "wrong password"), 3);
	cr_assert_eq(daemon_audit_count(h, "lockout", "mfp1", "SIP device locked"), 1);
	/* locked: the right password is refused until login_lock_minutes pass */
	rc = sipsak_to_daemon(h, sip_port, PASSWORD, out, sizeof out);
	cr_assert_neq(rc, 0, "%s", out);
	cr_assert(strstr(out, "403 Forbidden") != NULL, "%s", out);
	cr_assert_eq(dh_stop(h), 0);
	free(r);
}

/* ---- baresip calls an extension and hangs up ---------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	cr_assert_geq(fputs(text, f), 0);
	cr_assert_eq(fclose(f), 0);
}

/* The whole of baresip's output so far into buf. */
static void read_log(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, size - 1, f);
		cr_assert_eq(fclose(f), 0);
	}
	buf[n] = '\0';
}

/* Waits up to seconds for any of the words in baresip's log. */
static const char *wait_log(const char *path, const char *const *words, int seconds,
			    char *buf, size_t size)
{
	for (int i = 0; i < seconds * 10; i++) {
		read_log(path, buf, size);
		for (size_t w = 0; words[w]; w++)
			if (strstr(buf, words[w]))
				return words[w];
		usleep(100000);
	}
	return NULL;
}

/* One console command to baresip's cons module (UDP). */
static void baresip_command(unsigned cons_port, const char *cmd)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)cons_port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(sendto(fd, cmd, strlen(cmd), 0, (struct sockaddr *)&a, sizeof a),
		     (ssize_t)strlen(cmd));
	close(fd);
}

static pid_t start_baresip(struct dh *h, unsigned sip_port, unsigned cons_port,
			   char *log_path, size_t log_size)
{
	char conf_dir[512], path[600], text[1024];
	/* line-buffered: the test waits for its lines */
	char *argv[] = { (char *)"stdbuf", (char *)"-oL", (char *)"-eL", (char *)"baresip",
			 (char *)"-f", conf_dir, (char *)"-t", (char *)"60", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;

	snprintf(conf_dir, sizeof conf_dir, "%s/baresip", dh_dir(h));
	cr_assert_eq(mkdir(conf_dir, 0700), 0);
	snprintf(path, sizeof path, "%s/config", conf_dir);
	/* no sound card: the audio bridge module stands in for one */
	snprintf(text, sizeof text,
		 "sip_listen 127.0.0.1:%u\naudio_player aubridge,nil\n"
		 "audio_source aubridge,nil\naudio_alert aubridge,nil\n"
		 "module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aubridge.so\n"
		 "module cons.so\nmodule_app account.so\nmodule_app menu.so\n"
		 "cons_listen 127.0.0.1:%u\n", free_udp_port(), cons_port);
	write_file(path, text);
	snprintf(path, sizeof path, "%s/accounts", conf_dir);
	snprintf(text, sizeof text, "<sip:mfp1@127.0.0.1:%u>;auth_pass=%s;regint=300\n",
		 sip_port, PASSWORD);
	write_file(path, text);
	snprintf(log_path, log_size, "%s/baresip.out", dh_dir(h));
	cr_assert_eq(posix_spawn_file_actions_init(&fa), 0);
	cr_assert_eq(posix_spawn_file_actions_addopen(&fa, 1, log_path,
						      O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
	cr_assert_eq(posix_spawn_file_actions_adddup2(&fa, 1, 2), 0);
	cr_assert_eq(posix_spawnp(&pid, "stdbuf", &fa, NULL, argv, environ), 0,
		     "baresip is not installed (mk/deps.sh installs baresip-core)");
	posix_spawn_file_actions_destroy(&fa);
	baresip_pid = pid;
	return pid;
}

/* Starts a SIP faxgwd (MD5 only: baresip 1.0's libre gives up on any
 * challenge that is not MD5, even beside an MD5 one) and a registered
 * baresip; returns baresip's pid. */
static pid_t baresip_registered(struct dh **h, unsigned *sip_port, unsigned *cons_port,
				char *log_path, size_t log_size, char *log, size_t size)
{
	const char *const registered[] = { "200 OK", "401 Unauthorized", "403 Forbidden", NULL };
	struct dh_result *r = malloc(sizeof *r);
	const char *seen;
	pid_t pid;

	cr_assert_not_null(r);
	*h = sip_daemon(sip_port, "md5");
	*cons_port = free_udp_port();
	pid = start_baresip(*h, *sip_port, *cons_port, log_path, log_size);
	seen = wait_log(log_path, registered, 15, log, size);
	cr_assert(seen && strcmp(seen, "200 OK") == 0, "baresip did not register:\n%s", log);
	cr_assert_eq(dh_cli(*h, NULL, true, r, "sip", "bindings", NULL), 0, "%s", r->err);
	/* baresip's contact user is its own: "sip:mfp1-0x...@127.0.0.1:PORT" */
	cr_assert(strstr(r->out, "mfp1 sip:mfp1") != NULL && strstr(r->out, "@127.0.0.1:"),
		  "%s", r->out);
	free(r);
	return pid;
}

static void baresip_quit(unsigned cons_port, pid_t pid)
{
	int status;

	baresip_command(cons_port, "/quit\n");
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	baresip_pid = -1;
}

Test(sip_daemon, baresip_registers_and_its_invite_is_authenticated)
{
	static char log[65536];
	const char *const answered[] = { "session closed", "established", "terminated", NULL };
	char log_path[600], dial[128];
	unsigned sip_port, cons_port;
	struct dh *h;
	pid_t pid = baresip_registered(&h, &sip_port, &cons_port, log_path, sizeof log_path, log,
				       sizeof log);

	snprintf(dial, sizeof dial, "/dial sip:fax@127.0.0.1:%u\n", sip_port);
	baresip_command(cons_port, dial);
	cr_assert_not_null(wait_log(log_path, answered, 15, log, sizeof log), "%s", log);
	/* baresip answered the INVITE's challenge: authorized as the device */
	cr_assert_eq(daemon_audit_count(h, "login", "mfp1", "INVITE"), 1, "%s", log);
	cr_assert_eq(daemon_audit_count(h, "login_failure", "mfp1", NULL), 0);
	cr_assert_geq(daemon_audit_count(h, "login", "mfp1", "REGISTER"), 1);
	baresip_command(cons_port, "/hangup\n");
	baresip_quit(cons_port, pid);
	cr_assert_eq(dh_stop(h), 0);
}

Test(sip_daemon, baresip_calls_the_fax_extension_and_hangs_up)
{
	static char log[65536];
	const char *const up[] = { "established", "session closed", "terminated", NULL };
	/* baresip says "terminate call" when it hangs up (and "terminated"
	 * only later, sometimes at exit) */
	const char *const down[] = { "terminate call", "terminated", NULL };
	const char *const answered[] = { "mfp1: answered", NULL };
	const char *const ended[] = { "dialog ended (bye)", NULL };
	char log_path[600], dial[128];
	unsigned sip_port, cons_port;
	const char *seen;
	struct dh *h;
	pid_t pid;

	pid = baresip_registered(&h, &sip_port, &cons_port, log_path, sizeof log_path, log,
				 sizeof log);
	snprintf(dial, sizeof dial, "/dial sip:fax@127.0.0.1:%u\n", sip_port);
	baresip_command(cons_port, dial);
	seen = wait_log(log_path, up, 15, log, sizeof log);
	cr_assert(seen && strcmp(seen, "established") == 0, "the call was not answered:\n%s",
		  log);
	/* faxgwd answered it as a call from device mfp1 (then waits for the
	 * number by DTMF: double entry) */
	cr_assert_not_null(wait_log(dh_log_path(h), answered, 5, log, sizeof log), "%s", log);
	cr_assert_eq(daemon_audit_count(h, "login", "mfp1", "INVITE"), 1);
	baresip_command(cons_port, "/hangup\n");
	if (!wait_log(log_path, down, 10, log, sizeof log)) {
		read_log(dh_log_path(h), log, sizeof log);
		cr_assert_fail("baresip did not hang up; faxgwd:\n%s", log);
	}
	/* baresip's BYE ended the call on faxgwd's side too */
	cr_assert_not_null(wait_log(dh_log_path(h), ended, 10, log, sizeof log), "%s", log);
	baresip_quit(cons_port, pid);
	cr_assert_eq(dh_stop(h), 0);
}
