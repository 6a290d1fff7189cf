/* faxgwd really running: a child process on a fresh data directory,
 * driven over its control socket and by the faxgw CLI. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/control_client.h"
#include "storage/audit.h"
#include "storage/catalog.h"
#include "storage/store.h"

#define ONE_PAGE "tiff/asterisk-testsuite__udptl_1page.tif"

static char dir[64], data[128], ini[128], logpath[128], sock[160];
static pid_t daemon_pid = -1;
static uid_t run_uid = (uid_t)-1;

/* ---- files ------------------------------------------------------------- */

/* Appends s to buf (size bytes), cutting at the end. */
static void append(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);

	(void)str_copy(buf + n, size - n, s);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int chown_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return lchown(path, run_uid, (gid_t)-1);
}

static size_t read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return n;
}

/* Writes config/faxgw.ini with data_dir (and, as root, user) replaced and
 * extra appended to the matching section's end by plain replacement. */
static void write_config(const char *from, const char *to)
{
	static char text[65536], out[70000];
	char line[512];
	struct passwd *pw = run_uid != (uid_t)-1 ? getpwuid(run_uid) : NULL;

	cr_assert_gt(read_file("config/faxgw.ini", text, sizeof text), 0);
	out[0] = '\0';
	for (char *p = text, *nl; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		cr_assert_not_null(nl);
		*nl = '\0';
		if (strncmp(p, "data_dir =", 10) == 0)
			cr_assert_eq(str_format(line, sizeof line, "data_dir = %s", data), 0);
		else if (strncmp(p, "user =", 6) == 0 && pw != NULL)
			cr_assert_eq(str_format(line, sizeof line, "user = %s", pw->pw_name), 0);
		else if (from != NULL && strcmp(p, from) == 0)
			cr_assert_eq(str_copy(line, sizeof line, to), 0);
		else
			cr_assert_eq(str_copy(line, sizeof line, p), 0);
		append(out, sizeof out, line);
		append(out, sizeof out, "\n");
	}
	FILE *f = fopen(ini, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fputs(out, f) >= 0, 1);
	cr_assert_eq(fclose(f), 0);
}

/* ---- processes ------------------------------------------------------------ */

static const char *build(void)
{
	const char *b = getenv("FAXGW_BUILD");

	cr_assert_not_null(b, "FAXGW_BUILD must name the build folder");
	return b;
}

static const char *testdata(const char *rel)
{
	static char path[512];
	const char *t = getenv("FAXGW_TESTDATA");

	cr_assert_not_null(t, "FAXGW_TESTDATA must name the shared test data");
	cr_assert_eq(str_format(path, sizeof path, "%s/%s", t, rel), 0);
	cr_assert_eq(access(path, R_OK), 0, "missing test data %s", path);
	return path;
}

/* Starts prog with argv, stdout+stderr into out_path (appended). */
static pid_t spawn(const char *prog, char *const argv[], const char *out_path)
{
	char path[256];
	pid_t pid;

	cr_assert_eq(str_format(path, sizeof path, "%s/%s", build(), prog), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execv(path, argv);
		_exit(127);
	}
	return pid;
}

static int wait_exit(pid_t pid)
{
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "killed by signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

/* Runs the CLI to the end; its output in out. */
static int cli(char *out, size_t size, char *const argv[])
{
	char path[160];

	cr_assert_eq(str_format(path, sizeof path, "%s/cli.out", dir), 0);
	unlink(path);
	int rc = wait_exit(spawn("faxgw", argv, path));
	read_file(path, out, size);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Sends verb; lines go to out (appended, one per line). */
struct collected {
	char text[8192];
};

static void collect(void *arg, const char *line)
{
	struct collected *c = arg;

	append(c->text, sizeof c->text, line);
	append(c->text, sizeof c->text, "\n");
}

static int ask(const char *verb, struct collected *c, char *msg, size_t size)
{
	struct control_line req;

	memset(c, 0, sizeof *c);
	control_line_init(&req, verb);
	cr_assert_eq(control_line_finish(&req), 0);
	return control_client_call(sock, &req, NULL, 0, 5000, collect, c, msg, size);
}

static void start_daemon(void)
{
	char *const argv[] = {"faxgwd", "-f", "-c", ini, NULL};
	struct collected c;
	char msg[256];

	daemon_pid = spawn("faxgwd", argv, logpath);
	for (int i = 0; i < 500; i++) {
		if (ask("ping", &c, msg, sizeof msg) == 0)
			return;
		sleep_ms(20);
	}
	read_file(logpath, c.text, sizeof c.text);
	cr_assert_fail("faxgwd did not answer within 10 s; its log:\n%s", c.text);
}

/* SIGTERM and the exit status. */
static int stop_daemon(void)
{
	cr_assert_eq(kill(daemon_pid, SIGTERM), 0);
	int rc = wait_exit(daemon_pid);
	daemon_pid = -1;
	return rc;
}

static bool log_contains(const char *needle, int wait_ms)
{
	static char text[65536];

	for (int t = 0; t <= wait_ms; t += 20) {
		read_file(logpath, text, sizeof text);
		if (strstr(text, needle) != NULL)
			return true;
		sleep_ms(20);
	}
	return false;
}

/* ---- fixture ------------------------------------------------------------- */

static void setup(void)
{
	cr_assert_eq(str_copy(dir, sizeof dir, "/tmp/faxgwd-daemon-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(str_format(data, sizeof data, "%s/data", dir), 0);
	cr_assert_eq(str_format(ini, sizeof ini, "%s/faxgw.ini", dir), 0);
	cr_assert_eq(str_format(logpath, sizeof logpath, "%s/daemon.log", dir), 0);
	cr_assert_eq(str_format(sock, sizeof sock, "%s/%s", data, CONTROL_SOCKET_FILE), 0);
	cr_assert_eq(store_init(data), 0);
	if (geteuid() == 0) {
		/* As root the daemon drops to [general] user: use nobody. */
		struct passwd *pw = getpwnam("nobody");
		cr_assert_not_null(pw);
		run_uid = pw->pw_uid;
		cr_assert_eq(chmod(dir, 0755), 0);
		cr_assert_eq(nftw(data, chown_one, 16, FTW_PHYS), 0);
	}
	write_config(NULL, NULL);
}

static void teardown(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
		daemon_pid = -1;
	}
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(daemon, .init = setup, .fini = teardown, .timeout = 60);

/* ---- audit helpers ------------------------------------------------------- */

struct types {
	char list[8192];
	int fax_received_pages;
};

static int note_type(const struct audit_record *rec, void *arg)
{
	struct types *t = arg;

	append(t->list, sizeof t->list, rec->type);
	append(t->list, sizeof t->list, " ");
	for (size_t i = 0; strcmp(rec->type, "fax_received") == 0 && i < rec->nfields; i++)
		if (strcmp(rec->fields[i].key, "pages") == 0) {
			long long pages = 0;
			cr_assert_eq(str_to_int(rec->fields[i].value, 0, 1000, &pages), 0);
			t->fax_received_pages += (int)pages;
		}
	for (size_t i = 0; strcmp(rec->type, "config_change") == 0 && i < rec->nfields; i++)
		if (strcmp(rec->fields[i].key, "result") == 0) {
			append(t->list, sizeof t->list, rec->fields[i].value);
			append(t->list, sizeof t->list, " ");
		}
	return 0;
}

static void audit_types(struct types *t)
{
	char path[160];

	memset(t, 0, sizeof *t);
	cr_assert_eq(str_format(path, sizeof path, "%s/%s", data, STORE_AUDIT_FILE), 0);
	cr_assert_eq(audit_read_file(path, note_type, t, NULL), 0);
}

static long long inbox_documents(void)
{
	char path[160];
	struct catalog *cat;

	cr_assert_eq(str_format(path, sizeof path, "%s/%s", data, STORE_CATALOG_FILE), 0);
	cr_assert_eq(catalog_open(path, &cat), 0);
	long long n = catalog_document_count(cat, "");
	catalog_close(cat);
	return n;
}

/* ---- tests --------------------------------------------------------------- */

#define EIGHT_PAGES "itu/itutests_mh.tif"

static bool file_contains(const char *path, const char *needle, int wait_ms)
{
	static char text[16384];

	for (int t = 0; t <= wait_ms; t += 5) {
		read_file(path, text, sizeof text);
		if (strstr(text, needle) != NULL)
			return true;
		sleep_ms(5);
	}
	return false;
}


Test(daemon, ping_and_status_over_the_socket)
{
	struct collected c;
	char msg[256];

	start_daemon();
	cr_assert_eq(ask("ping", &c, msg, sizeof msg), 0);
	cr_assert_str_eq(msg, "pong");
	cr_assert_eq(ask("status", &c, msg, sizeof msg), 0);
	cr_assert_str_eq(msg, "faxgwd running");
	cr_assert(strstr(c.text, "calls 0 in progress\n") != NULL, "%s", c.text);
	cr_assert(strstr(c.text, "line trunk simulation 0/4 busy\n") != NULL, "%s", c.text);
	cr_assert(strstr(c.text, "line device simulation 0/1 busy\n") != NULL, "%s", c.text);
	cr_assert_eq(ask("no-such-verb", &c, msg, sizeof msg), FGW_ERR_NOT_FOUND);
	cr_assert_str_eq(msg, "unknown verb 'no-such-verb'");
}

Test(daemon, socket_is_owner_only)
{
	struct stat st;

	start_daemon();
	cr_assert_eq(stat(sock, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0600);
}

/* Sends raw bytes as a request; the whole answer in out. */
static void raw_request(const char *bytes, size_t len, char *out, size_t size)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	size_t got = 0;
	ssize_t n;

	cr_assert_geq(fd, 0);
	cr_assert_eq(str_copy(sa.sun_path, sizeof sa.sun_path, sock), 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	for (size_t off = 0; off < len; off += (size_t)n)
		cr_assert_gt(n = send(fd, bytes + off, len - off, MSG_NOSIGNAL), 0);
	while (got < size - 1 && (n = recv(fd, out + got, size - 1 - got, 0)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fd);
}

Test(daemon, malformed_and_oversize_requests_get_errors)
{
	static char big[CONTROL_LINE_MAX + 100];
	struct collected c;
	char out[512], msg[256];

	start_daemon();
	memset(big, 'a', sizeof big);
	big[sizeof big - 1] = '\n';
	raw_request(big, sizeof big, out, sizeof out);
	cr_assert_str_eq(out, "error FGW_ERR_TOO_LARGE request longer than 4096 bytes\n");
	raw_request("ping x\n", 7, out, sizeof out);
	cr_assert(strncmp(out, "error FGW_ERR_PARSE bad request: ", 33) == 0, "%s", out);
	raw_request("ping\nping\n", 10, out, sizeof out);
	cr_assert(strncmp(out, "error FGW_ERR_PARSE bad request: a request is exactly one line",
			  62) == 0, "%s", out);
	raw_request("ping\n", 5, out, sizeof out);
	cr_assert_str_eq(out, "ok pong\n");
	cr_assert_eq(ask("ping", &c, msg, sizeof msg), 0);
}

Test(daemon, second_daemon_on_same_data_dir_refused_naming_pid)
{
	char *const argv[] = {"faxgwd", "-f", "-c", ini, NULL};
	char out_path[160], out[4096], want[64];

	start_daemon();
	cr_assert_eq(str_format(out_path, sizeof out_path, "%s/second.log", dir), 0);
	cr_assert_eq(wait_exit(spawn("faxgwd", argv, out_path)), 1);
	read_file(out_path, out, sizeof out);
	cr_assert_eq(str_format(want, sizeof want, "another faxgwd (pid %ld", (long)daemon_pid), 0);
	cr_assert(strstr(out, want) != NULL, "%s", out);
}

Test(daemon, missing_data_dir_refused_with_init_hint)
{
	char *const argv[] = {"faxgwd", "-f", "-c", ini, NULL};
	char out_path[160], out[4096];

	nftw(data, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	cr_assert_eq(str_format(out_path, sizeof out_path, "%s/start.log", dir), 0);
	cr_assert_eq(wait_exit(spawn("faxgwd", argv, out_path)), 1);
	read_file(out_path, out, sizeof out);
	cr_assert(strstr(out, "does not exist: create the device with 'faxgw init --data") != NULL,
		  "%s", out);
}

Test(daemon, sighup_refuses_bad_config_and_applies_good_one)
{
	struct collected c;
	char msg[256];
	struct types t;

	start_daemon();
	write_config("trunk_channels = 4", "trunk_channels = many");
	cr_assert_eq(kill(daemon_pid, SIGHUP), 0);
	cr_assert(log_contains("reload refused", 5000));
	cr_assert(log_contains("[lines] trunk_channels: bad value 'many'", 0));
	cr_assert_eq(ask("status", &c, msg, sizeof msg), 0);
	cr_assert(strstr(c.text, "line trunk simulation 0/4 busy") != NULL, "%s", c.text);

	write_config("trunk_channels = 4", "trunk_channels = 2");
	cr_assert_eq(kill(daemon_pid, SIGHUP), 0);
	cr_assert(log_contains("configuration reloaded", 5000));
	cr_assert_eq(ask("status", &c, msg, sizeof msg), 0);
	cr_assert(strstr(c.text, "line trunk simulation 0/2 busy") != NULL, "%s", c.text);
	cr_assert_eq(stop_daemon(), 0);
	audit_types(&t);
	cr_assert(strstr(t.list, "config_change refused config_change applied") != NULL, "%s",
		  t.list);
}

Test(daemon, sighup_refuses_changes_that_need_a_restart)
{
	start_daemon();
	/* no line is SIP: the SIP service is not running, [sip] may change */
	write_config("max_calls = 64", "max_calls = 8");
	cr_assert_eq(kill(daemon_pid, SIGHUP), 0);
	cr_assert(log_contains("configuration reloaded", 5000));
	/* a line's kind decides what started: that needs a restart */
	write_config("trunk_kind = simulation", "trunk_kind = sip");
	cr_assert_eq(kill(daemon_pid, SIGHUP), 0);
	cr_assert(log_contains("reload refused: [lines] trunk_kind changed, which needs a "
			       "restart of faxgwd", 5000));
	cr_assert_eq(stop_daemon(), 0);
}

Test(daemon, simulate_incoming_stores_in_general_inbox)
{
	char out[8192];
	char *const argv[] = {"faxgw", "simulate", "incoming", "--data", data, "--file",
			      (char *)testdata(ONE_PAGE), "--from", "0312345678", NULL};
	struct types t;

	start_daemon();
	cr_assert_eq(cli(out, sizeof out, argv), 0, "%s", out);
	cr_assert(strstr(out, "far end: page 1 sent") != NULL, "%s", out);
	cr_assert(strstr(out, "in the general inbox") != NULL, "%s", out);
	cr_assert(strstr(out, "result: ok, sent 1 page(s)") != NULL, "%s", out);
	cr_assert_eq(stop_daemon(), 0);
	cr_assert_eq(inbox_documents(), 1);
	audit_types(&t);
	cr_assert(strstr(t.list, "start fax_received stop") != NULL, "%s", t.list);
	cr_assert_eq(t.fax_received_pages, 1);
}

Test(daemon, simulate_incoming_unknown_sub_rejected)
{
	char out[8192];
	char *const argv[] = {"faxgw", "simulate", "incoming", "--data", data, "--file",
			      (char *)testdata(ONE_PAGE), "--sub", "9999", NULL};

	start_daemon();
	cr_assert_eq(cli(out, sizeof out, argv), 1, "%s", out);
	cr_assert(strstr(out, "rejected: SUB unacceptable") != NULL, "%s", out);
	cr_assert_eq(stop_daemon(), 0);
	cr_assert_eq(inbox_documents(), 0);
}

Test(daemon, non_tiff_file_clear_error_and_daemon_keeps_serving)
{
	char out[8192], msg[256];
	char *const argv[] = {"faxgw", "simulate", "incoming", "--data", data, "--file", ini, NULL};
	struct collected c;

	start_daemon();
	cr_assert_eq(cli(out, sizeof out, argv), 1, "%s", out);
	cr_assert(strstr(out, "faxgw.ini: the file is not a TIFF; send a TIFF-F fax document") !=
		  NULL, "%s", out);
	cr_assert_eq(ask("ping", &c, msg, sizeof msg), 0);
}

Test(daemon, killed_cli_mid_call_does_not_hurt_the_daemon)
{
	char out_path[160], msg[256];
	char *const argv[] = {"faxgw", "simulate", "incoming", "--data", data, "--file",
			      (char *)testdata(EIGHT_PAGES), NULL};
	struct collected c;
	struct types t;

	start_daemon();
	cr_assert_eq(str_format(out_path, sizeof out_path, "%s/killed.out", dir), 0);
	pid_t cli_pid = spawn("faxgw", argv, out_path);
	cr_assert(file_contains(out_path, "far end: page 1 sent", 10000));
	cr_assert_eq(kill(cli_pid, SIGKILL), 0);
	waitpid(cli_pid, NULL, 0);
	cr_assert_eq(ask("ping", &c, msg, sizeof msg), 0);
	/* The call itself goes on to its end and is recorded. */
	cr_assert(log_contains("ended after", 10000));
	cr_assert_eq(ask("status", &c, msg, sizeof msg), 0);
	cr_assert(strstr(c.text, "calls 0 in progress") != NULL, "%s", c.text);
	cr_assert_eq(stop_daemon(), 0);
	audit_types(&t);
	cr_assert_eq(t.fax_received_pages, 8, "%s", t.list);
}

Test(daemon, sigterm_exits_zero_with_stop_record_and_log_verifies)
{
	char out[4096];
	char *const argv[] = {"faxgw", "log", "verify", "--data", data, NULL};
	struct types t;

	start_daemon();
	cr_assert_eq(stop_daemon(), 0);
	audit_types(&t);
	size_t n = strlen(t.list);
	cr_assert(n > 5 && strcmp(t.list + n - 5, "stop ") == 0, "%s", t.list);
	cr_assert_eq(access(sock, F_OK), -1, "the socket file is removed at exit");
	cr_assert_eq(cli(out, sizeof out, argv), 0, "%s", out);
	cr_assert(strstr(out, "ok") != NULL, "%s", out);
}

Test(daemon, sigterm_mid_call_fails_it_cleanly_and_records_it)
{
	char out_path[160], out[8192];
	char *const argv[] = {"faxgw", "simulate", "incoming", "--data", data, "--file",
			      (char *)testdata(EIGHT_PAGES), NULL};
	struct types t;

	start_daemon();
	cr_assert_eq(str_format(out_path, sizeof out_path, "%s/aborted.out", dir), 0);
	pid_t cli_pid = spawn("faxgw", argv, out_path);
	cr_assert(file_contains(out_path, "far end: page 1 sent", 10000));
	cr_assert_eq(stop_daemon(), 0);
	cr_assert_eq(wait_exit(cli_pid), 1);
	read_file(out_path, out, sizeof out);
	cr_assert(strstr(out, "(gateway shutting down)") != NULL, "%s", out);
	cr_assert(log_contains("1 call(s) in progress are ended", 0));
	audit_types(&t);
	/* Pages that arrived are kept (partial), or the call is a failure. */
	cr_assert(strstr(t.list, "fax_received stop") != NULL ||
		  strstr(t.list, "fax_failed stop") != NULL, "%s", t.list);
}

Test(daemon, call_over_time_limit_is_cut)
{
	char out[8192];
	char *const argv[] = {"faxgw", "simulate", "incoming", "--data", data, "--file",
			      (char *)testdata(EIGHT_PAGES), NULL};

	write_config("call_limit_seconds = 600", "call_limit_seconds = 10");
	start_daemon();
	cr_assert_eq(cli(out, sizeof out, argv), 1, "%s", out);
	cr_assert(strstr(out, "(call time limit)") != NULL, "%s", out);
	cr_assert(log_contains("time limit reached", 0));
}

Test(daemon, notification_hook_gets_the_received_fax_event)
{
	char hook[160], outdir[160], event[160], line[512], out[8192], json[4096];
	char *const argv[] = {"faxgw", "simulate", "incoming", "--data", data, "--file",
			      (char *)testdata(ONE_PAGE), NULL};

	cr_assert_eq(str_format(outdir, sizeof outdir, "%s/hook", dir), 0);
	cr_assert_eq(str_format(event, sizeof event, "%s/event.json", outdir), 0);
	cr_assert_eq(str_format(hook, sizeof hook, "%s/hook.sh", dir), 0);
	cr_assert_eq(mkdir(outdir, 0700), 0);
	if (run_uid != (uid_t)-1)
		cr_assert_eq(chown(outdir, run_uid, (gid_t)-1), 0);
	FILE *f = fopen(hook, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\ncat > %s\n", event);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(hook, 0755), 0);
	cr_assert_eq(str_format(line, sizeof line, "command = %s", hook), 0);
	write_config("command =", line);
	start_daemon();
	cr_assert_eq(cli(out, sizeof out, argv), 0, "%s", out);
	cr_assert(file_contains(event, "\"event\":\"fax_received\"", 5000));
	read_file(event, json, sizeof json);
	cr_assert(strstr(json, "\"pages\":1") != NULL, "%s", json);
}
