/* faxgwd -n: the configuration check as an admin runs it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"

/* Runs faxgwd with args, stdout and stderr into out; returns the exit code. */
static int run_faxgwd(const char *args, char *out, size_t size)
{
	const char *build = getenv("FAXGW_BUILD");
	char cmd[1024];
	FILE *p;
	size_t n;
	int status;

	cr_assert_not_null(build, "FAXGW_BUILD must name the build folder");
	cr_assert_eq(str_format(cmd, sizeof cmd, "%s/faxgwd %s 2>&1", build, args), FGW_OK);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	status = pclose(p);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

Test(faxgwd, check_of_shipped_config_says_ok)
{
	char out[4096];

	cr_assert_eq(run_faxgwd("-n -c config/faxgw.ini", out, sizeof out), 0, "%s", out);
	cr_assert_str_eq(out, "configuration OK\n");
}

Test(faxgwd, check_of_bad_config_lists_every_error_and_fails)
{
	char dir[] = "/tmp/faxgwd-test-XXXXXX", path[128], out[4096];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(str_format(path, sizeof path, "%s/bad.ini", dir), FGW_OK);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("[fax]\nmodems = v90\n[security]\npin_lock_minutes = forever\n", f);
	cr_assert_eq(fclose(f), 0);
	char args[256];
	cr_assert_eq(str_format(args, sizeof args, "-n -c %s", path), FGW_OK);
	cr_assert_eq(run_faxgwd(args, out, sizeof out), 1);
	cr_assert(strstr(out, "bad.ini:2: [fax] modems: bad value 'v90'") != NULL, "%s", out);
	cr_assert(strstr(out, "bad.ini:4: [security] pin_lock_minutes: bad value 'forever'") != NULL,
		  "%s", out);
	cr_assert_null(strstr(out, "configuration OK"));
	unlink(path);
	rmdir(dir);
}
