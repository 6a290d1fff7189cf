/* A real faxgwd and the faxgw CLI as child processes; see daemon_harness.h. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/str.h"
#include "gateway/control_client.h"
#include "storage/store.h"
#include "tests/support/daemon_harness.h"

#define MAX_ARGS 40
#define MAX_CHILDREN 16
#define CLI_WAIT_MS 120000

struct dh {
	char dir[64], data[128], ini[128], log[128], sock[192];
	pid_t daemon;
	pid_t children[MAX_CHILDREN];   /* dh_cli_start, killed at dh_free */
	bool drop;                      /* run as run_uid/run_gid */
	uid_t run_uid;
	gid_t run_gid;
	char run_user[64];
	unsigned seq;                   /* names of stdin/stdout files */
};

void dh_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

size_t dh_read_file(const char *path, char *buf, size_t size)
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

static const char *build_dir(void)
{
	const char *b = getenv("FAXGW_BUILD");

	cr_assert_not_null(b, "FAXGW_BUILD must name the build folder (e.g. build)");
	return b;
}

/* ---- children ------------------------------------------------------------ */

/* In the child: become the run user, wire stdin/stdout/stderr, exec. */
static void child_exec(const struct dh *h, const char *prog, char *const argv[],
		       const char *in, const char *out, const char *err)
{
	/* no assertion here: Criterion's reporting would hang a forked child */
	const char *build = getenv("FAXGW_BUILD");
	char path[256];
	int fd;

	if (build == NULL || str_format(path, sizeof path, "%s/%s", build, prog) != 0)
		_exit(126);
	if (h->drop && (setgroups(0, NULL) != 0 || setresgid(h->run_gid, h->run_gid,
							      h->run_gid) != 0 ||
			setresuid(h->run_uid, h->run_uid, h->run_uid) != 0))
		_exit(126);
	fd = in != NULL ? open(in, O_RDONLY) : open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0)
		_exit(126);
	fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0 || dup2(fd, 1) < 0)
		_exit(126);
	fd = err != NULL ? open(err, O_WRONLY | O_CREAT | O_APPEND, 0600) : fd;
	if (fd < 0 || dup2(fd, 2) < 0)
		_exit(126);
	execv(path, argv);
	_exit(127);
}

static int status_of(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int wait_pid(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
	return status_of(st);
}

/* Waits up to ms; kills the child when it overruns (the test fails). */
static int wait_bounded(pid_t pid, int ms, const char *what)
{
	int st;

	for (int t = 0; t <= ms; t += 10) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return status_of(st);
		cr_assert(r == 0 || errno == EINTR, "waitpid: %s", strerror(errno));
		dh_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	(void)wait_pid(pid);
	cr_assert_fail("%s did not finish within %d ms", what, ms);
	return -1;
}

static void build_argv(const struct dh *h, bool add_data, const char *const *args,
		       char *argv[MAX_ARGS])
{
	size_t n = 0;

	argv[n++] = "faxgw";
	for (; args[n - 1] != NULL; n++) {
		cr_assert_lt(n, MAX_ARGS - 3, "too many CLI arguments");
		argv[n] = (char *)args[n - 1];
	}
	if (add_data) {
		argv[n++] = "--data";
		argv[n++] = (char *)h->data;
	}
	argv[n] = NULL;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fputs(text, f) >= 0, 1);
	cr_assert_eq(fclose(f), 0);
}

int dh_cliv(struct dh *h, const char *input, bool add_data, struct dh_result *r,
	    const char *const *args)
{
	char *argv[MAX_ARGS], in[160], out[160], err[160];
	unsigned n = h->seq++;

	build_argv(h, add_data, args, argv);
	cr_assert_eq(str_format(in, sizeof in, "%s/cli%u.in", h->dir, n), 0);
	cr_assert_eq(str_format(out, sizeof out, "%s/cli%u.out", h->dir, n), 0);
	cr_assert_eq(str_format(err, sizeof err, "%s/cli%u.err", h->dir, n), 0);
	write_text(in, input != NULL ? input : "");
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0)
		child_exec(h, "faxgw", argv, in, out, err);
	r->status = wait_bounded(pid, CLI_WAIT_MS, "faxgw");
	dh_read_file(out, r->out, sizeof r->out);
	dh_read_file(err, r->err, sizeof r->err);
	unlink(in);
	unlink(out);
	unlink(err);
	return r->status;
}

int dh_cli(struct dh *h, const char *input, bool add_data, struct dh_result *r, ...)
{
	const char *args[MAX_ARGS];
	size_t n = 0;
	va_list ap;

	va_start(ap, r);
	do {
		cr_assert_lt(n, MAX_ARGS, "too many CLI arguments");
		args[n] = va_arg(ap, const char *);
	} while (args[n++] != NULL);
	va_end(ap);
	return dh_cliv(h, input, add_data, r, args);
}

pid_t dh_cli_start(struct dh *h, bool add_data, const char *out_path, const char *const *args)
{
	char *argv[MAX_ARGS];
	size_t slot = 0;

	while (slot < MAX_CHILDREN && h->children[slot] > 0)
		slot++;
	cr_assert_lt(slot, MAX_CHILDREN, "too many background CLI commands");
	build_argv(h, add_data, args, argv);
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0)
		child_exec(h, "faxgw", argv, NULL, out_path, NULL);
	h->children[slot] = pid;
	return pid;
}

int dh_wait(struct dh *h, pid_t pid)
{
	for (size_t i = 0; i < MAX_CHILDREN; i++)
		if (h->children[i] == pid)
			h->children[i] = 0;
	return wait_pid(pid);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* Kills every child and removes the temp dir. Also called right before a
 * set-up failure is reported, since Criterion skips .fini when .init
 * fails. */
static void cleanup(struct dh *h)
{
	if (h->daemon > 0) {
		kill(h->daemon, SIGKILL);
		waitpid(h->daemon, NULL, 0);
		h->daemon = -1;
	}
	for (size_t i = 0; i < MAX_CHILDREN; i++)
		if (h->children[i] > 0) {
			kill(h->children[i], SIGKILL);
			waitpid(h->children[i], NULL, 0);
			h->children[i] = 0;
		}
	if (h->dir[0] != '\0')
		nftw(h->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	h->dir[0] = '\0';
}

/* ---- the daemon ----------------------------------------------------------- */

static int ping(const struct dh *h)
{
	struct control_line req;
	char msg[256];

	control_line_init(&req, "ping");
	cr_assert_eq(control_line_finish(&req), 0);
	return control_client_call(h->sock, &req, NULL, 0, 2000, NULL, NULL, msg, sizeof msg);
}

void dh_start(struct dh *h)
{
	char *argv[] = {"faxgwd", "-f", "-c", h->ini, NULL};
	struct dh copy;
	static char text[65536];

	cr_assert_eq(h->daemon, -1, "faxgwd runs already");
	h->daemon = fork();
	cr_assert_geq(h->daemon, 0, "fork: %s", strerror(errno));
	if (h->daemon == 0) {
		/* As root the daemon itself drops to [general] user. */
		copy = *h;
		copy.drop = false;
		child_exec(&copy, "faxgwd", argv, NULL, h->log, NULL);
	}
	for (int i = 0; i < 500; i++) {
		if (ping(h) == 0)
			return;
		if (waitpid(h->daemon, NULL, WNOHANG) == h->daemon) {
			h->daemon = -1;
			break;
		}
		dh_sleep_ms(20);
	}
	dh_read_file(h->log, text, sizeof text);
	cleanup(h);
	cr_assert_fail("faxgwd did not answer within 10 s; its output:\n%s", text);
}

int dh_stop(struct dh *h)
{
	cr_assert_gt(h->daemon, 0, "faxgwd is not running");
	cr_assert_eq(kill(h->daemon, SIGTERM), 0);
	int rc = wait_bounded(h->daemon, 30000, "faxgwd after SIGTERM");
	h->daemon = -1;
	return rc;
}

void dh_kill(struct dh *h)
{
	cr_assert_gt(h->daemon, 0, "faxgwd is not running");
	cr_assert_eq(kill(h->daemon, SIGKILL), 0);
	(void)wait_pid(h->daemon);
	h->daemon = -1;
}

pid_t dh_pid(const struct dh *h)
{
	return h->daemon;
}

bool dh_file_has(const char *path, const char *needle, int wait_ms)
{
	static char text[262144];

	for (int t = 0; t <= wait_ms; t += 10) {
		dh_read_file(path, text, sizeof text);
		if (strstr(text, needle) != NULL)
			return true;
		if (t < wait_ms)
			dh_sleep_ms(10);
	}
	return false;
}

bool dh_log_has(const struct dh *h, const char *needle, int wait_ms)
{
	return dh_file_has(h->log, needle, wait_ms);
}

/* ---- config --------------------------------------------------------------- */

static void append(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);

	cr_assert_eq(str_copy(buf + n, size - n, s), 0, "config text too long");
}

/* True when line p sets the key of override ov ("key = value"). */
static bool same_key(const char *p, const char *ov)
{
	size_t k = strcspn(ov, " =");

	return strncmp(p, ov, k) == 0 && strncmp(p + k, " =", 2) == 0;
}

void dh_config(struct dh *h, const char *const *overrides)
{
	static char text[65536], out[70000];
	char data_line[200], user_line[100];
	const char *ov[MAX_ARGS];
	bool used[MAX_ARGS];
	size_t n = 0;

	cr_assert_eq(str_format(data_line, sizeof data_line, "data_dir = %s", h->data), 0);
	cr_assert_eq(str_format(user_line, sizeof user_line, "user = %s", h->run_user), 0);
	ov[n++] = data_line;
	ov[n++] = "scrypt_log2_n = 14";
	ov[n++] = "pin_lock_minutes = 1";
	if (h->drop)
		ov[n++] = user_line;
	for (size_t i = 0; overrides != NULL && overrides[i] != NULL; i++) {
		cr_assert_lt(n, MAX_ARGS - 1);
		ov[n++] = overrides[i];
	}
	ov[n] = NULL;
	memset(used, 0, sizeof used);
	/* The test runs from the repository root (as make check does). */
	cr_assert_gt(dh_read_file("config/faxgw.ini", text, sizeof text), 0,
		     "config/faxgw.ini not found: run the test from the repository root");
	out[0] = '\0';
	for (char *p = text, *nl; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		cr_assert_not_null(nl);
		*nl = '\0';
		const char *o = NULL;
		/* Later overrides win. */
		for (size_t i = n; i-- > 0 && o == NULL;)
			if (same_key(p, ov[i])) {
				o = ov[i];
				used[i] = true;
			}
		append(out, sizeof out, o != NULL ? o : p);
		append(out, sizeof out, "\n");
	}
	for (size_t i = 0; i < n; i++)
		cr_assert(used[i], "config override '%s' names no key of config/faxgw.ini", ov[i]);
	write_text(h->ini, out);
	/* The CLI (as the run user) and the daemon after its privilege drop
	 * (SIGHUP) read it. */
	cr_assert_eq(chmod(h->ini, 0600), 0);
	cr_assert_eq(chown(h->ini, h->run_uid, h->run_gid), 0);
}

/* ---- set-up --------------------------------------------------------------- */

static void pick_user(struct dh *h)
{
	struct passwd *pw;

	h->drop = geteuid() == 0;
	pw = h->drop ? getpwnam("nobody") : getpwuid(geteuid());
	cr_assert_not_null(pw, "no passwd entry for the test user");
	h->run_uid = pw->pw_uid;
	h->run_gid = pw->pw_gid;
	cr_assert_eq(str_copy(h->run_user, sizeof h->run_user, pw->pw_name), 0);
}

const char *dh_mkdir(struct dh *h, const char *name)
{
	static char path[192];

	cr_assert_eq(str_format(path, sizeof path, "%s/%s", h->dir, name), 0);
	cr_assert_eq(mkdir(path, 0700), 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(chown(path, h->run_uid, h->run_gid), 0);
	return path;
}

struct dh *dh_new(void)
{
	struct dh *h = calloc(1, sizeof *h);
	struct dh_result *r = malloc(sizeof *r);

	cr_assert_not_null(h);
	cr_assert_not_null(r);
	(void)build_dir();   /* asserted here, in the test; children only read it */
	h->daemon = -1;
	pick_user(h);
	cr_assert_eq(str_copy(h->dir, sizeof h->dir, "/tmp/faxgw-e2e-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(h->dir));
	cr_assert_eq(chmod(h->dir, 0755), 0);
	cr_assert_eq(chown(h->dir, h->run_uid, h->run_gid), 0);
	cr_assert_eq(str_format(h->data, sizeof h->data, "%s/data", h->dir), 0);
	cr_assert_eq(str_format(h->ini, sizeof h->ini, "%s/faxgw.ini", h->dir), 0);
	cr_assert_eq(str_format(h->log, sizeof h->log, "%s/daemon.log", h->dir), 0);
	cr_assert_eq(str_format(h->sock, sizeof h->sock, "%s/%s", h->data, CONTROL_SOCKET_FILE),
		     0);
	if (dh_cli(h, NULL, true, r, "init", NULL) != 0) {
		cleanup(h);
		cr_assert_fail("faxgw init: %s%s", r->out, r->err);
	}
	free(r);
	dh_config(h, NULL);
	return h;
}

const char *dh_dir(const struct dh *h) { return h->dir; }
const char *dh_data(const struct dh *h) { return h->data; }
const char *dh_config_path(const struct dh *h) { return h->ini; }
const char *dh_log_path(const struct dh *h) { return h->log; }
const char *dh_socket(const struct dh *h) { return h->sock; }

void dh_free(struct dh *h)
{
	if (h == NULL)
		return;
	cleanup(h);
	free(h);
}

const char *dh_log_tail(const struct dh *h)
{
	static char text[2][262144];
	static int which;
	char *t = text[which++ % 2];
	size_t n = dh_read_file(dh_log_path(h), t, sizeof text[0]);

	return n > 4000 ? t + n - 4000 : t;
}

bool dh_wait_tif(const char *dir, int wait_ms, char *path, size_t size)
{
	for (int t = 0; t < wait_ms; t += 250) {
		DIR *d = opendir(dir);
		struct dirent *e;

		cr_assert_not_null(d, "%s", dir);
		while ((e = readdir(d)) != NULL) {
			size_t n = strlen(e->d_name);
			if (n > 4 && strcmp(e->d_name + n - 4, ".tif") == 0) {
				cr_assert_eq(str_format(path, size, "%s/%s", dir, e->d_name), 0);
				closedir(d);
				dh_sleep_ms(300);        /* written in one go; let it close */
				return true;
			}
		}
		closedir(d);
		dh_sleep_ms(250);
	}
	return false;
}
