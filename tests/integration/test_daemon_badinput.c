/* Bad input everywhere while faxgwd runs: the CLI with wrong arguments,
 * broken documents, garbage on the control socket, a broken config on
 * SIGHUP, and faxgwd killed mid-call. After each, the daemon still
 * answers (or, after the kill, starts again) and a fax stored before still
 * releases pixel for pixel. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/str.h"
#include "gateway/control.h"
#include "storage/store.h"
#include "storage/vault.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/fax_harness.h"

#define MAILBOX "5501"
#define PIN "730514"
#define PASSWORD "pw-5501"
#define EIGHT_PAGES "itu/itutests_mmr.tif"

static struct dh *h;
static struct dh_result r;
static unsigned released;   /* names the release folders */

/* Every test starts with a mailbox holding the ITU 8-page fax. */
static void setup(void)
{
	h = dh_new();
	dh_start(h);
	cr_assert_eq(dh_cli(h, PIN "\n" PASSWORD "\n", true, &r, "mailbox", "create", MAILBOX,
			    "--name", "Board", "--pin-stdin", "--password-stdin", "--config",
			    dh_config_path(h), NULL),
		     0, "%s%s", r.out, r.err);
	cr_assert_eq(dh_cli(h, NULL, true, &r, "simulate", "incoming", "--file",
			    testdata(EIGHT_PAGES), "--sub", MAILBOX, "--sid", PASSWORD, NULL),
		     0, "%s%s", r.out, r.err);
}

static void teardown(void)
{
	dh_free(h);
	h = NULL;
}

TestSuite(daemon_badinput, .init = setup, .fini = teardown, .timeout = 240);

/* ---- checks ------------------------------------------------------------------ */

static void status_answers(void)
{
	cr_assert_eq(dh_cli(h, NULL, true, &r, "status", NULL), 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "faxgwd running") != NULL, "%s", r.out);
}

/* The faxes held (the one stored in setup, and any received since) still
 * decrypt and equal what was sent; kept, so that the next check can
 * release them again. */
static void stored_fax_intact(void)
{
	char name[32], dir[192], path[512], msg[256];
	struct dirent *e;
	int files = 0;

	cr_assert_eq(str_format(name, sizeof name, "rel%u", released++), 0);
	cr_assert_eq(str_copy(dir, sizeof dir, dh_mkdir(h, name)), 0);
	cr_assert_eq(dh_cli(h, PIN "\n", true, &r, "release", MAILBOX, "--all", "--keep",
			    "--out", dir, "--pin-stdin", "--config", dh_config_path(h), NULL),
		     0, "%s%s", r.out, r.err);
	DIR *d = opendir(dir);
	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		files++;
		cr_assert_eq(str_format(path, sizeof path, "%s/%s", dir, e->d_name), 0);
		cr_assert_eq(tiff_compare(testdata(EIGHT_PAGES), path, msg, sizeof msg), 0,
			     "%s: %s", path, msg);
	}
	closedir(d);
	cr_assert_geq(files, 1, "%s", r.out);
}

static void still_serving(void)
{
	status_answers();
	stored_fax_intact();
}

static int count_documents(void)
{
	cr_assert_eq(dh_cli(h, PIN "\n", true, &r, "release", MAILBOX, "--list", "--json",
			    "--pin-stdin", "--config", dh_config_path(h), NULL),
		     0, "%s%s", r.out, r.err);
	int n = 0;
	for (const char *p = r.out; (p = strstr(p, "\"id\"")) != NULL; p++)
		n++;
	return n;
}

/* ---- the CLI ------------------------------------------------------------------ */

Test(daemon_badinput, release_of_unknown_mailbox)
{
	cr_assert_eq(dh_cli(h, PIN "\n", true, &r, "release", "9999", "--list", "--pin-stdin",
			    "--config", dh_config_path(h), NULL),
		     1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "no mailbox 9999") != NULL, "%s", r.err);
	cr_assert_eq(dh_cli(h, PIN "\n", true, &r, "release", "12ab", "--all", "--pin-stdin",
			    "--config", dh_config_path(h), NULL),
		     1, "%s%s", r.out, r.err);
	cr_assert_eq(dh_cli(h, NULL, true, &r, "release", "--pin-stdin", NULL), 2, "%s%s", r.out,
		     r.err);
	cr_assert(strstr(r.err, "give the MAILBOX number") != NULL, "%s", r.err);
	still_serving();
}

Test(daemon_badinput, send_with_malformed_numbers_sends_nothing)
{
	static const char *const bad[][2] = {
		{"03-1234-56x8", "03-1234-56x8"},        /* a letter */
		{"0312345678", "0312345679"},            /* the two entries differ */
		{"", ""},                                /* empty */
		{"0123456789012345678901234567890123456789012", "0123456789012345678901234567890123456789012"},
		{"+81%00312", "+81%00312"},              /* control-ish bytes */
		{"0990123456", "0990123456"},            /* premium: refused by rule */
	};
	const char *file = testdata(EIGHT_PAGES);

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = dh_cli(h, NULL, true, &r, "send", "--to", bad[i][0], "--confirm-to",
				bad[i][1], "--config", dh_config_path(h), file, NULL);
		cr_assert(rc == 1 || rc == 2, "'%s' exit %d: %s%s", bad[i][0], rc, r.out, r.err);
		cr_assert_neq(r.err[0], '\0', "'%s' needs a message", bad[i][0]);
	}
	cr_assert_eq(dh_cli(h, NULL, true, &r, "jobs", "--json", NULL), 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "\"id\"") == NULL, "a job was queued: %s", r.out);
	still_serving();
}

/* ---- broken documents to simulate incoming ------------------------------------ */

static void write_bytes(const char *path, const void *bytes, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, bytes, n), (ssize_t)n);
	cr_assert_eq(close(fd), 0);
}

/* path gets the first n bytes of the test fax. */
static void truncated_copy(const char *path, size_t n)
{
	static char buf[1 << 20];
	int fd = open(testdata(EIGHT_PAGES), O_RDONLY);

	cr_assert_geq(fd, 0);
	ssize_t got = read(fd, buf, sizeof buf);
	cr_assert_eq(close(fd), 0);
	cr_assert_gt(got, (ssize_t)n);
	write_bytes(path, buf, n);
}

Test(daemon_badinput, broken_documents_refused_nothing_stored)
{
	static const unsigned char header_only[] = {'I', 'I', 42, 0, 0xff, 0xff, 0xff, 0x7f};
	char path[256];
	const char *cases[] = {"empty", "header", "garbage", "cut200", "cut4000"};

	cr_assert_eq(str_format(path, sizeof path, "%s/empty.tif", dh_dir(h)), 0);
	write_bytes(path, "", 0);
	cr_assert_eq(str_format(path, sizeof path, "%s/header.tif", dh_dir(h)), 0);
	write_bytes(path, header_only, sizeof header_only);
	cr_assert_eq(str_format(path, sizeof path, "%s/garbage.tif", dh_dir(h)), 0);
	unsigned char junk[5000];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (unsigned char)(i * 131u + 7u);
	junk[0] = 'I', junk[1] = 'I', junk[2] = 42, junk[3] = 0;
	write_bytes(path, junk, sizeof junk);
	cr_assert_eq(str_format(path, sizeof path, "%s/cut200.tif", dh_dir(h)), 0);
	truncated_copy(path, 200);
	cr_assert_eq(str_format(path, sizeof path, "%s/cut4000.tif", dh_dir(h)), 0);
	truncated_copy(path, 4000);

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert_eq(str_format(path, sizeof path, "%s/%s.tif", dh_dir(h), cases[i]), 0);
		cr_assert_eq(dh_cli(h, NULL, true, &r, "simulate", "incoming", "--file", path,
				    "--sub", MAILBOX, "--sid", PASSWORD, NULL),
			     1, "%s: %s%s", cases[i], r.out, r.err);
		cr_assert(strstr(r.err, path) != NULL, "%s: the message names the file: %s",
			  cases[i], r.err);
	}
	cr_assert_eq(count_documents(), 1);
	still_serving();
}

/* ---- the control socket ------------------------------------------------------- */

static int connect_socket(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(str_copy(sa.sun_path, sizeof sa.sun_path, dh_socket(h)), 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "%s", strerror(errno));
	return fd;
}

/* Sends bytes (ignoring a peer that hangs up early), then reads what comes
 * back until the daemon closes; the answer in out. */
static void raw(const void *bytes, size_t len, bool half_close, char *out, size_t size)
{
	int fd = connect_socket();
	size_t got = 0;
	ssize_t n;

	struct timeval tv = {10, 0};
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
	for (size_t off = 0; off < len; off += (size_t)n)
		if ((n = send(fd, (const char *)bytes + off, len - off, MSG_NOSIGNAL)) <= 0)
			break;
	if (half_close)
		cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	while (got < size - 1 && (n = recv(fd, out + got, size - 1 - got, 0)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fd);
}

Test(daemon_badinput, garbage_on_the_control_socket)
{
	static char big[CONTROL_LINE_MAX * 16];
	unsigned char bin[3000];
	char out[1024];

	for (size_t i = 0; i < sizeof bin; i++)
		bin[i] = (unsigned char)(i * 197u + 3u);
	bin[sizeof bin - 1] = '\n';
	raw(bin, sizeof bin, false, out, sizeof out);
	cr_assert(strncmp(out, "error ", 6) == 0, "%s", out);

	/* A line far longer than allowed, with no newline at all. */
	memset(big, 'x', sizeof big);
	raw(big, sizeof big, true, out, sizeof out);
	cr_assert(strncmp(out, "error FGW_ERR_TOO_LARGE", 23) == 0, "%s", out);

	/* NUL bytes, bad %-escapes, a verb with arguments it does not take. */
	raw("status\0evil\n", 12, false, out, sizeof out);
	cr_assert(strncmp(out, "error ", 6) == 0, "%s", out);
	raw("simulate-incoming sub=%zz%\n", 27, false, out, sizeof out);
	cr_assert(strncmp(out, "error ", 6) == 0, "%s", out);
	/* The verb that wants a descriptor, without one. */
	raw("simulate-incoming sub=1\n", 24, false, out, sizeof out);
	cr_assert(strncmp(out, "error ", 6) == 0, "%s", out);
	/* Half a request, then the client goes away. */
	raw("stat", 4, true, out, sizeof out);

	/* Many clients that connect and say nothing, while a real one asks. */
	int idle[32];
	for (size_t i = 0; i < sizeof idle / sizeof idle[0]; i++)
		idle[i] = connect_socket();
	status_answers();
	for (size_t i = 0; i < sizeof idle / sizeof idle[0]; i++)
		close(idle[i]);
	still_serving();
}

/* ---- configuration ------------------------------------------------------------ */

Test(daemon_badinput, broken_config_on_sighup_keeps_the_old_one)
{
	const char *bad[] = {"trunk_channels = lots", "pin_max_failures = 0", NULL};

	dh_config(h, bad);
	cr_assert_eq(kill(dh_pid(h), SIGHUP), 0);
	cr_assert(dh_log_has(h, "reload refused", 5000));
	cr_assert(dh_log_has(h, "trunk_channels", 0));
	status_answers();
	cr_assert(strstr(r.out, "line trunk simulation 0/4 busy") != NULL, "%s", r.out);
	/* Still receiving with the old configuration. */
	dh_config(h, NULL);
	cr_assert_eq(dh_cli(h, NULL, true, &r, "simulate", "incoming", "--file",
			    testdata(EIGHT_PAGES), "--sub", MAILBOX, "--sid", PASSWORD, NULL),
		     0, "%s%s", r.out, r.err);
	cr_assert_eq(count_documents(), 2);
	still_serving();
}

/* ---- a crash ------------------------------------------------------------------- */

/* Number of files in the vault folder; *tmp gets the unfinished ones. */
static int vault_files(int *tmp)
{
	char dir[256];
	struct dirent *e;
	int n = 0;

	*tmp = 0;
	cr_assert_eq(str_format(dir, sizeof dir, "%s/%s", dh_data(h), STORE_VAULT_DIR), 0);
	DIR *d = opendir(dir);
	cr_assert_not_null(d, "%s", dir);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n++;
		*tmp += strncmp(e->d_name, VAULT_TMP_PREFIX, strlen(VAULT_TMP_PREFIX)) == 0;
	}
	closedir(d);
	return n;
}

Test(daemon_badinput, sigkill_mid_call_then_restart)
{
	const char *args[] = {"simulate", "incoming", "--file", testdata(EIGHT_PAGES), "--sub",
			      MAILBOX, "--sid", PASSWORD, NULL};
	char out_path[256], tmp_blob[300], audit[65536], vault[256];
	int tmp;

	int before = vault_files(&tmp);
	cr_assert_eq(tmp, 0);
	cr_assert_eq(str_format(out_path, sizeof out_path, "%s/call.out", dh_dir(h)), 0);
	pid_t cli = dh_cli_start(h, true, out_path, args);
	cr_assert(dh_file_has(out_path, "far end: page 1 sent", 20000));
	dh_kill(h);
	cr_assert_eq(dh_wait(h, cli), 1);

	/* A vault write cut short by the kill leaves a temporary file: the
	 * received pages themselves sit in memory until the call ends, so the
	 * kill above can only hit that write in a short window. Leave one as
	 * such a write would (part of a real blob, under a temporary name)
	 * so that the restart must find and wipe it. */
	cr_assert_eq(str_format(vault, sizeof vault, "%s/%s", dh_data(h), STORE_VAULT_DIR), 0);
	cr_assert_eq(str_format(tmp_blob, sizeof tmp_blob, "%s/%sinterrupted", vault,
				VAULT_TMP_PREFIX), 0);
	write_bytes(tmp_blob, "FGV partial blob from a killed write", 36);
	struct stat st;
	cr_assert_eq(stat(vault, &st), 0);
	cr_assert_eq(chown(tmp_blob, st.st_uid, st.st_gid), 0);
	cr_assert_eq(vault_files(&tmp), before + 1);

	/* The pid file and socket of the dead daemon are still there. */
	cr_assert_eq(access(dh_socket(h), F_OK), 0);
	dh_start(h);
	cr_assert_eq(vault_files(&tmp), before, "the half-written file is wiped");
	cr_assert_eq(tmp, 0);
	cr_assert(dh_log_has(h, "left by an interrupted write", 0));
	cr_assert_eq(dh_cli(h, NULL, true, &r, "log", "show", "--json", "--type",
			    "document_erased", NULL),
		     0, "%s", r.err);
	cr_assert_eq(str_copy(audit, sizeof audit, r.out), 0);
	cr_assert(strstr(audit, "\"reason\":\"orphan_temporary\"") != NULL, "%s", audit);
	cr_assert_eq(dh_cli(h, NULL, true, &r, "log", "verify", NULL), 0, "%s%s", r.out, r.err);
	/* Only the fax from before the kill is held. */
	cr_assert_eq(count_documents(), 1);
	still_serving();
	/* And the restarted daemon receives again. */
	cr_assert_eq(dh_cli(h, NULL, true, &r, "simulate", "incoming", "--file",
			    testdata(EIGHT_PAGES), "--sub", MAILBOX, "--sid", PASSWORD, NULL),
		     0, "%s%s", r.out, r.err);
	cr_assert_eq(count_documents(), 2);
	cr_assert_eq(dh_stop(h), 0);
}
