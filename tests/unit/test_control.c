/* The control protocol's request parser and encoder. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "gateway/control.h"

static struct control_request req;

static int parse(const char *s)
{
	return control_parse(s, strlen(s), &req, NULL, 0);
}

Test(control_parse, verb_alone)
{
	cr_assert_eq(parse("ping\n"), 0);
	cr_assert_str_eq(req.verb, "ping");
	cr_assert_eq(req.nargs, 0);
}

Test(control_parse, arguments_decoded)
{
	cr_assert_eq(parse("simulate-incoming sub=1234 sid=a%20b%25 from=\n"), 0);
	cr_assert_str_eq(req.verb, "simulate-incoming");
	cr_assert_eq(req.nargs, 3);
	cr_assert_str_eq(control_arg(&req, "sub"), "1234");
	cr_assert_str_eq(control_arg(&req, "sid"), "a b%");
	cr_assert_str_eq(control_arg(&req, "from"), "");
	cr_assert_null(control_arg(&req, "pwd"));
}

Test(control_parse, missing_newline_refused)
{
	char why[160];

	cr_assert_eq(control_parse("ping", 4, &req, why, sizeof why), FGW_ERR_PARSE);
	cr_assert_str_eq(why, "a request is exactly one line ending in a newline");
}

Test(control_parse, second_line_refused)
{
	cr_assert_eq(parse("ping\nstatus\n"), FGW_ERR_PARSE);
}

Test(control_parse, empty_and_blank_refused)
{
	cr_assert_eq(parse("\n"), FGW_ERR_PARSE);
	cr_assert_eq(parse(" ping\n"), FGW_ERR_PARSE);
	cr_assert_eq(parse("ping \n"), FGW_ERR_PARSE);
	cr_assert_eq(parse("ping  a=1\n"), FGW_ERR_PARSE);
	cr_assert_eq(control_parse("", 0, &req, NULL, 0), FGW_ERR_PARSE);
}

Test(control_parse, bad_verb_and_key_refused)
{
	cr_assert_eq(parse("Ping\n"), FGW_ERR_PARSE);
	cr_assert_eq(parse("9ping\n"), FGW_ERR_PARSE);
	cr_assert_eq(parse("ping A=1\n"), FGW_ERR_PARSE);
	cr_assert_eq(parse("ping a\n"), FGW_ERR_PARSE);
	cr_assert_eq(parse("ping =1\n"), FGW_ERR_PARSE);
	cr_assert_eq(parse("pi.ng\n"), FGW_ERR_PARSE);
}

Test(control_parse, bad_escapes_refused)
{
	cr_assert_eq(parse("v a=%\n"), FGW_ERR_PARSE);
	cr_assert_eq(parse("v a=%4\n"), FGW_ERR_PARSE);
	cr_assert_eq(parse("v a=%zz\n"), FGW_ERR_PARSE);
	cr_assert_eq(parse("v a=%00\n"), FGW_ERR_PARSE, "NUL may not hide in a value");
	cr_assert_eq(parse("v a=b=c\n"), FGW_ERR_PARSE);
	cr_assert_eq(parse("v a=\tb\n"), FGW_ERR_PARSE);
	cr_assert_eq(parse("v a=\xc3\xa9\n"), FGW_ERR_PARSE);
}

Test(control_parse, nul_byte_in_line_refused)
{
	cr_assert_eq(control_parse("ping\0x\n", 7, &req, NULL, 0), FGW_ERR_PARSE);
}

Test(control_parse, duplicate_key_refused)
{
	char why[160];

	cr_assert_eq(control_parse("v a=1 a=2\n", 10, &req, why, sizeof why), FGW_ERR_PARSE);
	cr_assert_str_eq(why, "argument 'a' given twice");
}

Test(control_parse, too_many_arguments_refused)
{
	char line[512] = "v";
	size_t n = 1;

	for (int i = 0; i <= CONTROL_ARGS_MAX; i++)
		n += (size_t)snprintf(line + n, sizeof line - n, " k%d=%d", i, i);
	line[n++] = '\n';
	cr_assert_eq(control_parse(line, n, &req, NULL, 0), FGW_ERR_PARSE);
	/* One fewer is fine. */
	char *last = strrchr(line, ' ');
	*last = '\n';
	cr_assert_eq(control_parse(line, (size_t)(last - line) + 1, &req, NULL, 0), 0);
	cr_assert_eq(req.nargs, CONTROL_ARGS_MAX);
}

Test(control_parse, overlong_name_refused)
{
	char line[64];

	memset(line, 'a', 33);
	line[33] = '\n';
	cr_assert_eq(control_parse(line, 34, &req, NULL, 0), FGW_ERR_PARSE);
	line[32] = '\n';
	cr_assert_eq(control_parse(line, 33, &req, NULL, 0), 0);
}

Test(control_parse, oversize_request_refused)
{
	static char line[CONTROL_LINE_MAX + 2];

	memcpy(line, "v a=", 4);
	memset(line + 4, 'x', sizeof line - 5);
	line[sizeof line - 1] = '\n';
	cr_assert_eq(control_parse(line, sizeof line, &req, NULL, 0), FGW_ERR_TOO_LARGE);
	/* Exactly the limit is accepted. */
	line[CONTROL_LINE_MAX - 1] = '\n';
	cr_assert_eq(control_parse(line, CONTROL_LINE_MAX, &req, NULL, 0), 0);
	cr_assert_eq(strlen(control_arg(&req, "a")), CONTROL_LINE_MAX - 5);
}

Test(control_line, encodes_and_round_trips_every_byte)
{
	struct control_line l;
	char value[256];

	for (int i = 1; i < 256; i++)
		value[i - 1] = (char)i;
	value[255] = '\0';
	control_line_init(&l, "simulate-incoming");
	control_line_add(&l, "sid", value);
	control_line_add(&l, "sub", "12 34");
	cr_assert_eq(control_line_finish(&l), 0);
	cr_assert_eq(control_parse(l.buf, l.len, &req, NULL, 0), 0);
	cr_assert_str_eq(control_arg(&req, "sid"), value);
	cr_assert_str_eq(control_arg(&req, "sub"), "12 34");
}

Test(control_line, bad_key_and_overflow_reported)
{
	static struct control_line l;
	static char big[CONTROL_LINE_MAX];

	control_line_init(&l, "v");
	control_line_add(&l, "Bad", "1");
	cr_assert_eq(control_line_finish(&l), FGW_ERR_INVALID);
	control_line_init(&l, "Verb");
	cr_assert_eq(control_line_finish(&l), FGW_ERR_INVALID);
	memset(big, 'x', sizeof big - 1);
	control_line_init(&l, "v");
	control_line_add(&l, "a", big);
	cr_assert_eq(control_line_finish(&l), FGW_ERR_TOO_LARGE);
}
