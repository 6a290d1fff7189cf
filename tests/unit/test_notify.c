/* The owner notification hook: JSON on stdin, no shell, timeout kill. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/notify.h"
#include "tests/support/fax_harness.h"

static const struct notify_event sample = {
	.event = "fax_held",
	.time_ms = 1714555800123LL,   /* 2024-05-01T09:30:00.123Z */
	.mailbox = "1234",
	.remote_number = "0312345678",
	.remote_ident = "+81 3 1111 2222",
	.pages = 2,
	.document = "0123456789abcdef0123456789abcdef",
	.result = "ok",
};

static void write_file(const char *path, const char *body, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	cr_assert_not_null(fp);
	cr_assert_geq(fputs(body, fp), 0);
	cr_assert_eq(fclose(fp), 0);
	cr_assert_eq(chmod(path, mode), 0);
}

static char *read_file(const char *path)
{
	static char buf[4096];
	FILE *fp = fopen(path, "r");
	size_t n;

	cr_assert_not_null(fp, "%s was not written", path);
	n = fread(buf, 1, sizeof buf - 1, fp);
	cr_assert_eq(fclose(fp), 0);
	buf[n] = '\0';
	return buf;
}

/* A hook script in a temp dir that runs body; path gets its path. */
static void hook(char dir[static 64], char path[static 160], const char *body)
{
	make_temp_dir(dir);
	cr_assert_eq(str_format(path, 160, "%s/hook.sh", dir), 0);
	write_file(path, body, 0700);
}

static void cleanup(const char *dir)
{
	remove_temp_dir(dir);
}

Test(notify, format_writes_every_field_as_one_json_line)
{
	char buf[NOTIFY_JSON_MAX];

	cr_assert_eq(notify_format(&sample, buf, sizeof buf), 0);
	cr_expect_str_eq(buf, "{\"event\":\"fax_held\",\"time\":\"2024-05-01T09:30:00.123Z\","
			      "\"mailbox\":\"1234\",\"remote_number\":\"0312345678\","
			      "\"remote_ident\":\"+81 3 1111 2222\",\"pages\":2,"
			      "\"document\":\"0123456789abcdef0123456789abcdef\","
			      "\"result\":\"ok\"}\n");
}

Test(notify, format_escapes_a_hostile_remote_ident)
{
	struct notify_event ev = sample;
	char buf[NOTIFY_JSON_MAX];

	ev.remote_ident = "a\"b\\c\n\x01\xff";
	ev.mailbox = NULL;
	cr_assert_eq(notify_format(&ev, buf, sizeof buf), 0);
	cr_expect_not_null(strstr(buf, "\"remote_ident\":\"a\\\"b\\\\c\\u000a\\u0001\\u00ff\""),
			   "%s", buf);
	cr_expect_not_null(strstr(buf, "\"mailbox\":\"\""), "%s", buf);
	cr_expect_eq(strchr(buf, '\n'), buf + strlen(buf) - 1, "more than one line");
}

Test(notify, format_refuses_a_small_buffer)
{
	char buf[40];

	cr_expect_eq(notify_format(&sample, buf, sizeof buf), FGW_ERR_TOO_LARGE);
}

Test(notify, new_refuses_a_relative_command_and_a_bad_timeout)
{
	struct notify *n = NULL;

	cr_expect_eq(notify_new("hook.sh", 10, &n), FGW_ERR_INVALID);
	cr_expect_eq(notify_new("/bin/true", 0, &n), FGW_ERR_INVALID);
	cr_expect_eq(notify_new("/bin/true", 3601, &n), FGW_ERR_INVALID);
	cr_expect_null(n);
}

Test(notify, empty_command_runs_nothing)
{
	struct notify *n = NULL;

	cr_assert_eq(notify_new("", 10, &n), 0);
	cr_expect_eq(notify_spawn(n, &sample), 0);
	cr_expect_eq(notify_running(n), 0);
	cr_expect_eq(notify_run_sync(n, &sample), 0);
	notify_free(n);
}

Test(notify, hook_gets_the_event_on_stdin_no_arguments_and_no_inherited_fds)
{
	char dir[64], path[160], body[512], out[160], info[160];
	struct notify *n = NULL;
	int leak = open("/dev/null", O_RDONLY); /* deliberately not close-on-exec */
	char *got;

	cr_assert_geq(leak, 0);
	cr_assert_eq(dup2(leak, 40), 40);
	make_temp_dir(dir);
	cr_assert_eq(str_format(out, sizeof out, "%s/event.json", dir), 0);
	cr_assert_eq(str_format(info, sizeof info, "%s/info", dir), 0);
	cr_assert_eq(str_format(path, sizeof path, "%s/hook.sh", dir), 0);
	cr_assert_eq(str_format(body, sizeof body,
				"#!/bin/sh\ncat > '%s'\n"
				"if [ -e /proc/$$/fd/40 ]; then l=leaked; else l=closed; fi\n"
				"echo \"args=$# fd40=$l PATH=$PATH\" > '%s'\n",
				out, info), 0);
	write_file(path, body, 0700);
	cr_assert_eq(notify_new(path, 10, &n), 0);
	cr_expect_eq(notify_run_sync(n, &sample), 0);
	got = read_file(out);
	cr_expect_not_null(strstr(got, "\"event\":\"fax_held\""), "%s", got);
	cr_expect_not_null(strstr(got, "\"document\":\"0123456789abcdef0123456789abcdef\""));
	got = read_file(info);
	cr_expect_str_eq(got, "args=0 fd40=closed PATH=/usr/local/bin:/usr/bin:/bin\n");
	cr_assert_eq(close(40), 0);
	cr_assert_eq(close(leak), 0);
	notify_free(n);
	cleanup(dir);
}

Test(notify, failing_hook_is_reported_not_fatal)
{
	char dir[64], path[160];
	struct notify *n = NULL;

	hook(dir, path, "#!/bin/sh\nexit 3\n");
	cr_assert_eq(notify_new(path, 10, &n), 0);
	cr_expect_eq(notify_run_sync(n, &sample), FGW_ERR_IO);
	notify_free(n);
	cleanup(dir);
}

Test(notify, missing_program_is_reported)
{
	struct notify *n = NULL;

	cr_assert_eq(notify_new("/nonexistent/faxgw-hook", 10, &n), 0);
	cr_expect_eq(notify_run_sync(n, &sample), FGW_ERR_IO);
	notify_free(n);
}

static double now_s(void)
{
	struct timespec ts;

	cr_assert_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* True while pid runs (a zombie waiting for init to reap it is dead). */
static bool alive(pid_t pid)
{
	char path[64], stat[256];
	FILE *fp;
	size_t n;
	const char *close_paren;

	cr_assert_eq(str_format(path, sizeof path, "/proc/%d/stat", (int)pid), 0);
	if ((fp = fopen(path, "r")) == NULL)
		return false;
	n = fread(stat, 1, sizeof stat - 1, fp);
	cr_assert_eq(fclose(fp), 0);
	stat[n] = '\0';
	close_paren = strrchr(stat, ')');
	return close_paren != NULL && close_paren[1] == ' ' && close_paren[2] != 'Z' &&
	       close_paren[2] != 'X';
}

Test(notify, hanging_hook_and_its_children_are_killed_at_the_timeout)
{
	char dir[64], path[160], body[256], pidfile[160];
	struct notify *n = NULL;
	long long child = 0;
	char *got;
	double t0;

	make_temp_dir(dir);
	cr_assert_eq(str_format(pidfile, sizeof pidfile, "%s/pid", dir), 0);
	cr_assert_eq(str_format(path, sizeof path, "%s/hook.sh", dir), 0);
	/* A grandchild sleeping in the same process group. */
	cr_assert_eq(str_format(body, sizeof body,
				"#!/bin/sh\nsleep 60 &\necho $! > '%s'\nwait\n", pidfile), 0);
	write_file(path, body, 0700);
	cr_assert_eq(notify_new(path, 1, &n), 0);
	t0 = now_s();
	cr_expect_eq(notify_run_sync(n, &sample), FGW_ERR_TIMEOUT);
	cr_expect_lt(now_s() - t0, 3.0, "killed late");
	cr_expect_geq(now_s() - t0, 0.9, "killed early");
	got = read_file(pidfile);
	got[strcspn(got, "\n")] = '\0';
	cr_assert_eq(str_to_int(got, 1, 1 << 22, &child), 0, "pid file: %s", got);
	usleep(100 * 1000);
	cr_expect_not(alive((pid_t)child), "the hook's child %lld survived", child);
	notify_free(n);
	cleanup(dir);
}

Test(notify, spawn_does_not_wait_and_poll_reaps)
{
	char dir[64], path[160];
	struct notify *n = NULL;
	double t0;

	hook(dir, path, "#!/bin/sh\nsleep 0.3\n");
	cr_assert_eq(notify_new(path, 10, &n), 0);
	t0 = now_s();
	cr_assert_eq(notify_spawn(n, &sample), 0);
	cr_assert_eq(notify_spawn(n, &sample), 0);
	cr_expect_lt(now_s() - t0, 0.2, "spawn waited for the hook");
	cr_expect_eq(notify_poll(n), 2);
	for (int i = 0; i < 300 && notify_poll(n) > 0; i++)
		usleep(10 * 1000);
	cr_expect_eq(notify_running(n), 0);
	notify_free(n);
	cleanup(dir);
}

Test(notify, too_many_running_hooks_drop_the_event)
{
	char dir[64], path[160];
	struct notify *n = NULL;

	hook(dir, path, "#!/bin/sh\nexec sleep 60\n");
	cr_assert_eq(notify_new(path, 60, &n), 0);
	for (int i = 0; i < NOTIFY_MAX_RUNNING; i++)
		cr_assert_eq(notify_spawn(n, &sample), 0);
	cr_expect_eq(notify_spawn(n, &sample), FGW_ERR_BUSY);
	cr_expect_eq(notify_running(n), NOTIFY_MAX_RUNNING);
	notify_free(n);   /* kills and reaps them all */
	cleanup(dir);
}
