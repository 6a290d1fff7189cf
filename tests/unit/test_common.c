/* common/: error names, bounded strings, number parsing. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/str.h"

Test(err, every_code_has_a_name_and_text)
{
	for (int code = 0; code > FGW_ERR_LAST; code--) {
		cr_assert_str_neq(fgw_errname(code), "FGW_ERR_UNKNOWN", "code %d", code);
		cr_assert_str_neq(fgw_strerror(code), "unknown error", "code %d", code);
	}
	cr_assert_str_eq(fgw_errname(FGW_ERR_AUTH), "FGW_ERR_AUTH");
	cr_assert_str_eq(fgw_errname(5), "FGW_ERR_UNKNOWN");
	cr_assert_str_eq(fgw_errname(FGW_ERR_LAST), "FGW_ERR_UNKNOWN");
}

Test(str, copy_truncates_and_says_so)
{
	char buf[4];

	cr_assert_eq(str_copy(buf, sizeof buf, "abc"), FGW_OK);
	cr_assert_str_eq(buf, "abc");
	cr_assert_eq(str_copy(buf, sizeof buf, "abcd"), FGW_ERR_TOO_LARGE);
	cr_assert_str_eq(buf, "abc");
}

Test(str, format_truncation_is_an_error)
{
	char buf[6];

	cr_assert_eq(str_format(buf, sizeof buf, "%d", 12345), FGW_OK);
	cr_assert_eq(str_format(buf, sizeof buf, "%d", 123456), FGW_ERR_TOO_LARGE);
}

Test(str, integers_are_parsed_whole_and_in_range)
{
	long long v = 0;

	cr_assert_eq(str_to_int("42", 0, 100, &v), FGW_OK);
	cr_assert_eq(v, 42);
	cr_assert_eq(str_to_int("-1", 0, 100, &v), FGW_ERR_RANGE);
	cr_assert_eq(str_to_int("101", 0, 100, &v), FGW_ERR_RANGE);
	cr_assert_eq(str_to_int("4x", 0, 100, &v), FGW_ERR_PARSE);
	cr_assert_eq(str_to_int("", 0, 100, &v), FGW_ERR_PARSE);
	cr_assert_eq(str_to_int("99999999999999999999999", 0, 100, &v), FGW_ERR_RANGE);
}

Test(str, doubles_are_parsed_whole_and_in_range)
{
	double v = 0;

	cr_assert_eq(str_to_double("2.5", 0, 10, &v), FGW_OK);
	cr_assert_float_eq(v, 2.5, 1e-9);
	cr_assert_eq(str_to_double("nan", 0, 10, &v), FGW_ERR_PARSE);
	cr_assert_eq(str_to_double("11", 0, 10, &v), FGW_ERR_RANGE);
	cr_assert_eq(str_to_double("1.0dB", 0, 10, &v), FGW_ERR_PARSE);
}

Test(str, constant_time_compare)
{
	cr_assert(str_equal_ct("secret", "secret", 6));
	cr_assert_not(str_equal_ct("secret", "secreT", 6));
}

Test(str, hex_is_lower_case_two_digits_per_byte_and_terminated)
{
	const uint8_t in[] = {0x00, 0x0f, 0xa5, 0xff};
	char out[2 * sizeof in + 2];

	memset(out, 'x', sizeof out);
	str_hex(in, sizeof in, out);
	cr_assert_str_eq(out, "000fa5ff");
	cr_assert_eq(out[sizeof out - 1], 'x', "nothing written past the terminator");
	str_hex(in, 0, out);
	cr_assert_str_eq(out, "");
}

Test(clock, monotonic_moves_forward_in_both_units)
{
	int64_t ns0 = clock_mono_ns(), ms0 = clock_mono_ms();

	cr_assert_gt(ns0, 0);
	cr_assert_gt(ms0, 0);
	cr_assert_eq(usleep(20000), 0);
	int64_t ns1 = clock_mono_ns(), ms1 = clock_mono_ms();

	cr_assert_geq(ns1 - ns0, 20000000, "20 ms slept, %lld ns seen", (long long)(ns1 - ns0));
	cr_assert_geq(ms1 - ms0, 19, "20 ms slept, %lld ms seen", (long long)(ms1 - ms0));
	/* the same clock: milliseconds are the nanoseconds cut down */
	cr_assert_leq(ms1 - ns1 / 1000000, 1);
	cr_assert_geq(ms1 - ns1 / 1000000, 0);
}
