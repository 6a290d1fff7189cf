/* The owner notification hook; see notify.h. */
#include "gateway/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/config.h"

/* How a hook ended, for notify_run_sync. */
enum hook_end { HOOK_RUNNING, HOOK_OK, HOOK_FAILED, HOOK_KILLED };

struct hook {
	pid_t pid;
	int64_t deadline_ms;   /* monotonic */
	bool killed;
	unsigned serial;
};

struct notify {
	char command[NOTIFY_COMMAND_MAX + 1];
	unsigned timeout_s;
	struct hook hooks[NOTIFY_MAX_RUNNING];
	int nhooks;
	unsigned next_serial;
	unsigned sync_serial;      /* the hook notify_run_sync waits for */
	enum hook_end sync_end;    /* how it ended */
};

int notify_new(const char *command, unsigned timeout_seconds, struct notify **out)
{
	struct notify *n;

	*out = NULL;
	if (command == NULL)
		command = "";
	if ((command[0] != '\0' && command[0] != '/') || timeout_seconds < 1 ||
	    timeout_seconds > 3600)
		return FGW_ERR_INVALID;
	if ((n = calloc(1, sizeof *n)) == NULL)
		return FGW_ERR_NOMEM;
	if (str_copy(n->command, sizeof n->command, command) != FGW_OK) {
		free(n);
		return FGW_ERR_INVALID;
	}
	n->timeout_s = timeout_seconds;
	*out = n;
	return FGW_OK;
}

int notify_from_config(const struct config *cfg, struct notify **out)
{
	const char *cmd = config_str(cfg, "notify", "command");
	int rc = notify_new(cmd, (unsigned)config_int(cfg, "notify", "timeout_seconds"), out);

	if (rc == FGW_ERR_INVALID)
		log_error("[notify] command = %s: give an absolute path to a program, "
			  "or leave it empty for no hook", cmd);
	return rc;
}

/* ---- JSON ---------------------------------------------------------------- */

struct jbuf {
	char *p;
	size_t size, len;
	bool overflow;
};

static void jb_putc(struct jbuf *b, char c)
{
	if (b->len + 1 >= b->size) {
		b->overflow = true;
		return;
	}
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

static void jb_puts(struct jbuf *b, const char *s)
{
	while (*s != '\0')
		jb_putc(b, *s++);
}

static void jb_escaped(struct jbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	jb_putc(b, '"');
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			jb_putc(b, '\\');
			jb_putc(b, (char)c);
		} else if (c < 0x20 || c >= 0x7f) {
			/* Latin-1 reading: always valid JSON and UTF-8 out. */
			jb_puts(b, "\\u00");
			jb_putc(b, hex[c >> 4]);
			jb_putc(b, hex[c & 15]);
		} else {
			jb_putc(b, (char)c);
		}
	}
	jb_putc(b, '"');
}

static void jb_field(struct jbuf *b, const char *key, const char *value, bool first)
{
	if (!first)
		jb_putc(b, ',');
	jb_escaped(b, key);
	jb_putc(b, ':');
	jb_escaped(b, value);
}

static int format_time(int64_t ms, char out[static 32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return FGW_ERR_RANGE;
	return str_format(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			  (int)(ms % 1000));
}

static int64_t now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int notify_format(const struct notify_event *ev, char *buf, size_t size)
{
	struct jbuf b = { buf, size, 0, size == 0 };
	char when[32], pages[32];
	int64_t ms = ev->time_ms != 0 ? ev->time_ms : now_ms();

	if (size == 0 || format_time(ms < 0 ? 0 : ms, when) != FGW_OK ||
	    str_format(pages, sizeof pages, "%lld", (long long)ev->pages) != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	buf[0] = '\0';
	jb_putc(&b, '{');
	jb_field(&b, "event", ev->event, true);
	jb_field(&b, "time", when, false);
	jb_field(&b, "mailbox", ev->mailbox, false);
	jb_field(&b, "remote_number", ev->remote_number, false);
	jb_field(&b, "remote_ident", ev->remote_ident, false);
	jb_puts(&b, ",\"pages\":");
	jb_puts(&b, pages);
	jb_field(&b, "document", ev->document, false);
	jb_field(&b, "result", ev->result, false);
	jb_puts(&b, "}\n");
	return b.overflow ? FGW_ERR_TOO_LARGE : FGW_OK;
}

/* ---- processes ----------------------------------------------------------- */

/* Runs in the child between fork and exec: async-signal-safe calls only. */
static void child_exec(const char *path, int in_fd, int null_fd)
{
	char *const argv[] = { (char *)path, NULL };
	char *const envp[] = { (char *)"PATH=/usr/local/bin:/usr/bin:/bin", NULL };
	sigset_t none;

	(void)setpgid(0, 0);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)signal(SIGPIPE, SIG_DFL);
	if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0)
		_exit(127);
	if (close_range(3, ~0u, 0) != 0)
		for (int fd = 3; fd < 1024; fd++)
			(void)close(fd);
	execve(path, argv, envp);
	_exit(127);
}

/* A pipe whose read end holds the whole event already, so the parent never
 * waits on a hook that does not read. Returns the read end or < 0. */
static int event_pipe(const char *json)
{
	int fds[2];
	size_t len = strlen(json);

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
		log_errno("notification hook: pipe");
		return -1;
	}
	/* NOTIFY_JSON_MAX is below the smallest pipe capacity (one page). */
	if (write(fds[1], json, len) != (ssize_t)len) {
		log_errno("notification hook: write to pipe");
		(void)close(fds[0]);
		(void)close(fds[1]);
		return -1;
	}
	(void)close(fds[1]);
	/* The hook's stdin should block as a normal pipe does. */
	if (fcntl(fds[0], F_SETFL, 0) != 0)
		log_errno("notification hook: fcntl");
	return fds[0];
}

static pid_t start_hook(const char *path, const char *json)
{
	int in_fd = event_pipe(json);
	int null_fd = in_fd < 0 ? -1 : open("/dev/null", O_WRONLY | O_CLOEXEC);
	pid_t pid = -1;

	if (in_fd >= 0 && null_fd < 0)
		log_errno("notification hook: /dev/null");
	if (in_fd >= 0 && null_fd >= 0) {
		pid = fork();
		if (pid == 0)
			child_exec(path, in_fd, null_fd);
		if (pid < 0)
			log_errno("notification hook %s: fork", path);
		else
			(void)setpgid(pid, pid); /* also here: no race with kill */
	}
	if (in_fd >= 0)
		(void)close(in_fd);
	if (null_fd >= 0)
		(void)close(null_fd);
	return pid;
}

int notify_spawn(struct notify *n, const struct notify_event *ev)
{
	char json[NOTIFY_JSON_MAX];
	pid_t pid;
	int rc;

	if (n->command[0] == '\0')
		return FGW_OK;
	if ((rc = notify_format(ev, json, sizeof json)) != FGW_OK)
		return rc;
	if (notify_poll(n) >= NOTIFY_MAX_RUNNING) {
		log_warn("notification hook %s: %d still running; event %s dropped",
			 n->command, NOTIFY_MAX_RUNNING, ev->event != NULL ? ev->event : "");
		return FGW_ERR_BUSY;
	}
	if ((pid = start_hook(n->command, json)) < 0)
		return FGW_ERR_IO;
	n->hooks[n->nhooks++] = (struct hook){
		.pid = pid,
		.deadline_ms = clock_mono_ms() + (int64_t)n->timeout_s * 1000,
		.serial = ++n->next_serial,
	};
	return FGW_OK;
}

static enum hook_end report_end(const struct notify *n, const struct hook *h, int status)
{
	if (h->killed)
		return HOOK_KILLED;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return HOOK_OK;
	if (WIFEXITED(status))
		log_warn("notification hook %s exited with status %d%s", n->command,
			 WEXITSTATUS(status),
			 WEXITSTATUS(status) == 127 ? " (could it be executed?)" : "");
	else
		log_warn("notification hook %s died of signal %d", n->command,
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return HOOK_FAILED;
}

/* Returns true when hook h is gone (reaped, or not our child any more). */
static bool check_hook(struct notify *n, struct hook *h, int64_t now)
{
	int status = 0;
	pid_t r = waitpid(h->pid, &status, WNOHANG);

	if (r == h->pid || (r < 0 && errno == ECHILD)) {
		enum hook_end end = r == h->pid ? report_end(n, h, status)
						: (h->killed ? HOOK_KILLED : HOOK_OK);

		if (h->serial == n->sync_serial)
			n->sync_end = end;
		return true;
	}
	if (!h->killed && now >= h->deadline_ms) {
		log_warn("notification hook %s ran longer than %u s; killed", n->command,
			 n->timeout_s);
		(void)kill(-h->pid, SIGKILL);
		(void)kill(h->pid, SIGKILL);
		h->killed = true;
	}
	return false;
}

int notify_poll(struct notify *n)
{
	int64_t now = clock_mono_ms();

	for (int i = 0; i < n->nhooks;) {
		if (check_hook(n, &n->hooks[i], now))
			n->hooks[i] = n->hooks[--n->nhooks];
		else
			i++;
	}
	return n->nhooks;
}

int notify_running(const struct notify *n)
{
	return n->nhooks;
}

static bool serial_running(const struct notify *n, unsigned serial)
{
	for (int i = 0; i < n->nhooks; i++)
		if (n->hooks[i].serial == serial)
			return true;
	return false;
}

int notify_run_sync(struct notify *n, const struct notify_event *ev)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	unsigned serial;
	int rc;

	if (n->command[0] == '\0')
		return FGW_OK;
	if ((rc = notify_spawn(n, ev)) != FGW_OK)
		return rc;
	serial = n->next_serial;
	n->sync_serial = serial;
	n->sync_end = HOOK_RUNNING;
	for (;;) {
		(void)notify_poll(n);
		if (!serial_running(n, serial))
			break;
		(void)nanosleep(&tick, NULL);
	}
	n->sync_serial = 0;
	return n->sync_end == HOOK_OK ? FGW_OK
	       : n->sync_end == HOOK_KILLED ? FGW_ERR_TIMEOUT : FGW_ERR_IO;
}

void notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	for (int i = 0; i < n->nhooks; i++) {
		(void)kill(-n->hooks[i].pid, SIGKILL);
		(void)kill(n->hooks[i].pid, SIGKILL);
		while (waitpid(n->hooks[i].pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(n);
}
