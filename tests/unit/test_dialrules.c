/* gateway/dialrules: normalising, classifying Japanese numbers and the
 * policy that decides, with the rule named. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "gateway/dialrules.h"

static struct dialrules_number classify(const char *in)
{
	struct dialrules_number n;
	char msg[200];

	cr_assert_eq(dialrules_classify(in, &n, msg, sizeof msg), 0, "%s: %s", in, msg);
	return n;
}

static void expect_class(const char *in, enum dialrules_class cls, const char *national)
{
	struct dialrules_number n = classify(in);

	cr_expect_eq(n.cls, cls, "%s: %s, expected %s", in, dialrules_class_name(n.cls),
		     dialrules_class_name(cls));
	if (national != NULL)
		cr_expect_str_eq(n.national, national, "%s", in);
}

static int check(const struct dialrules_policy *p, enum dialrules_origin o, const char *in,
		 struct dialrules_decision *d)
{
	return dialrules_check(p, o, in, d);
}

/* ---- normalising --------------------------------------------------------- */

Test(dialrules, spaces_hyphens_dots_and_brackets_are_dropped)
{
	char out[40], msg[200];

	cr_assert_eq(dialrules_normalise("(03) 1234-5678", out, sizeof out, msg, sizeof msg), 0);
	cr_assert_str_eq(out, "0312345678");
	cr_assert_eq(dialrules_normalise("+1.212.555.0100", out, sizeof out, msg, sizeof msg), 0);
	cr_assert_str_eq(out, "+12125550100");
}

Test(dialrules, a_letter_is_refused_with_its_position)
{
	char out[40], msg[200];

	cr_assert_eq(dialrules_normalise("03-1234-56x8", out, sizeof out, msg, sizeof msg),
		     FGW_ERR_PARSE);
	cr_assert_not_null(strstr(msg, "character 'x' at position 11"), "%s", msg);
}

Test(dialrules, a_control_byte_is_named_in_hex)
{
	char out[40], msg[200];

	cr_assert_eq(dialrules_normalise("0312\n345678", out, sizeof out, msg, sizeof msg),
		     FGW_ERR_PARSE);
	cr_assert_not_null(strstr(msg, "byte 0x0a at position 5"), "%s", msg);
}

Test(dialrules, plus_only_first_and_empty_is_refused)
{
	char out[40], msg[200];

	cr_assert_eq(dialrules_normalise("03+1234", out, sizeof out, msg, sizeof msg),
		     FGW_ERR_PARSE);
	cr_assert_not_null(strstr(msg, "'+' at position 3"), "%s", msg);
	cr_assert_eq(dialrules_normalise(" - ", out, sizeof out, msg, sizeof msg), FGW_ERR_PARSE);
	cr_assert_str_eq(msg, "the number is empty");
}

Test(dialrules, too_many_digits_or_characters_are_refused)
{
	char out[40], msg[200], in[200];

	memset(in, '5', 33);
	in[33] = '\0';
	cr_assert_eq(dialrules_normalise(in, out, sizeof out, msg, sizeof msg), FGW_ERR_RANGE);
	cr_assert_not_null(strstr(msg, "more than 32 digits"), "%s", msg);
	memset(in, ' ', 120);
	in[120] = '\0';
	cr_assert_eq(dialrules_normalise(in, out, sizeof out, msg, sizeof msg), FGW_ERR_RANGE);
	cr_assert_not_null(strstr(msg, "longer than 96 characters"), "%s", msg);
}

Test(dialrules, same_compares_after_normalising)
{
	cr_assert(dialrules_same("03-1234-5678", "0312345678"));
	cr_assert(dialrules_same("03 1234 5678#", "0312345678#"));
	cr_assert_not(dialrules_same("03-1234-5678", "03-1234-5679"));
	cr_assert_not(dialrules_same("0312345678", "0312x45678"));
}

/* ---- classes --------------------------------------------------------------- */

Test(dialrules, domestic_area_codes_mobiles_and_free_dial)
{
	expect_class("03-1234-5678", DIAL_DOMESTIC, "0312345678");
	expect_class("06-6123-4567", DIAL_DOMESTIC, "0661234567");
	expect_class("0466-12-3456", DIAL_DOMESTIC, "0466123456");
	expect_class("090-1234-5678", DIAL_DOMESTIC, "09012345678");
	expect_class("050-3123-4567", DIAL_DOMESTIC, "05031234567");
	expect_class("0120-123-456", DIAL_DOMESTIC, "0120123456");
}

Test(dialrules, local_subscriber_numbers_without_area_code_are_domestic)
{
	expect_class("2345-6789", DIAL_DOMESTIC, "23456789");
	expect_class("23456", DIAL_DOMESTIC, "23456");
}

Test(dialrules, domestic_of_wrong_length_is_invalid)
{
	struct dialrules_number n;
	char msg[200];

	cr_assert_eq(dialrules_classify("03-1234-567", &n, msg, sizeof msg), 0);
	cr_assert_eq(n.cls, DIAL_INVALID);
	cr_assert_not_null(strstr(msg, "10 or 11 digits"), "%s", msg);
}

Test(dialrules, international_direct_010)
{
	struct dialrules_number n = classify("010-1-212-555-0100");

	cr_assert_eq(n.cls, DIAL_INTERNATIONAL);
	cr_assert_str_eq(n.country, "1");
	cr_assert_str_eq(n.national, "01012125550100");
	cr_assert_str_eq(n.carrier, "");
}

Test(dialrules, international_with_plus_extracts_two_and_three_digit_codes)
{
	struct dialrules_number n = classify("+44 20 7946 0000");

	cr_assert_eq(n.cls, DIAL_INTERNATIONAL);
	cr_assert_str_eq(n.country, "44");
	cr_assert_str_eq(n.national, "010442079460000");
	n = classify("+852 2123 4567");
	cr_assert_str_eq(n.country, "852");
	n = classify("+82-2-123-4567");
	cr_assert_str_eq(n.country, "82");
	n = classify("+7 495 123 4567");
	cr_assert_str_eq(n.country, "7");
}

Test(dialrules, carrier_prefixes_before_010_are_international)
{
	static const char *const in[] = {
		"001-010-1-212-555-0100", "0033-010-1-212-555-0100",
		"0041-010-1-212-555-0100", "0061-010-1-212-555-0100",
	};
	static const char *const carrier[] = { "001", "0033", "0041", "0061" };

	for (size_t i = 0; i < 4; i++) {
		struct dialrules_number n = classify(in[i]);

		cr_expect_eq(n.cls, DIAL_INTERNATIONAL, "%s", in[i]);
		cr_expect_str_eq(n.country, "1", "%s", in[i]);
		cr_expect_str_eq(n.carrier, carrier[i], "%s", in[i]);
		cr_expect_str_eq(n.national, "01012125550100", "%s", in[i]);
	}
}

Test(dialrules, legacy_carrier_form_without_010_is_international)
{
	struct dialrules_number n = classify("001-82-2-123-4567");

	cr_assert_eq(n.cls, DIAL_INTERNATIONAL);
	cr_assert_str_eq(n.country, "82");
}

Test(dialrules, carrier_prefix_before_a_domestic_number_is_domestic)
{
	struct dialrules_number n = classify("0033-03-1234-5678");

	cr_assert_eq(n.cls, DIAL_DOMESTIC);
	cr_assert_str_eq(n.national, "0312345678");
	cr_assert_str_eq(n.carrier, "0033");
}

Test(dialrules, unknown_carrier_and_bad_country_code_are_invalid)
{
	expect_class("0099-010-1-212-555-0100", DIAL_INVALID, "");
	expect_class("010-0-123-4567", DIAL_INVALID, "");
	expect_class("010-44-12", DIAL_INVALID, "");
	expect_class("+1234567890123456", DIAL_INVALID, "");
}

Test(dialrules, plus_81_is_japan_itself)
{
	struct dialrules_number n = classify("+81-3-1234-5678");

	cr_assert_eq(n.cls, DIAL_DOMESTIC);
	cr_assert_str_eq(n.national, "0312345678");
	expect_class("+81-03-1234-5678", DIAL_INVALID, "");
	expect_class("+81-990-123-456", DIAL_PREMIUM, "0990123456");
}

Test(dialrules, dial_q2_is_premium_also_behind_a_carrier)
{
	expect_class("0990-123-456", DIAL_PREMIUM, "0990123456");
	expect_class("0033-0990-123-456", DIAL_PREMIUM, "0990123456");
}

Test(dialrules, emergency_and_service_codes)
{
	expect_class("110", DIAL_EMERGENCY, "110");
	expect_class("118", DIAL_EMERGENCY, "118");
	expect_class("119", DIAL_EMERGENCY, "119");
	expect_class("117", DIAL_SERVICE, "117");
	expect_class("104", DIAL_SERVICE, "104");
	expect_class("1100", DIAL_INVALID, "");
}

Test(dialrules, extensions_and_feature_codes_are_internal)
{
	expect_class("201", DIAL_INTERNAL, "201");
	expect_class("4711", DIAL_INTERNAL, "4711");
	expect_class("*72", DIAL_INTERNAL, "*72");
	expect_class("+44*1", DIAL_INVALID, "");
}

Test(dialrules, caller_id_prefix_184_186_is_set_aside)
{
	expect_class("184-03-1234-5678", DIAL_DOMESTIC, "0312345678");
	expect_class("186-010-44-20-7946-0000", DIAL_INTERNATIONAL, "010442079460000");
}

/* ---- policy ---------------------------------------------------------------- */

Test(dialrules, domestic_is_allowed_by_default)
{
	struct dialrules_policy p;
	struct dialrules_decision d;

	dialrules_policy_init(&p);
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "03-1234-5678", &d), 0, "%s", d.reason);
	cr_assert(d.allowed);
	cr_assert_str_eq(d.rule, "ok");
	cr_assert_str_eq(d.reason, "domestic number allowed");
}

Test(dialrules, international_is_blocked_by_default)
{
	struct dialrules_policy p;
	struct dialrules_decision d;

	dialrules_policy_init(&p);
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "0033-010-44-20-7946-0000", &d), FGW_ERR_DENIED);
	cr_assert_not(d.allowed);
	cr_assert_str_eq(d.rule, "international");
	cr_assert_not_null(strstr(d.reason, "country code 44 is not in [dialing] countries"),
			   "%s", d.reason);
}

Test(dialrules, country_allowlist_lets_only_those_countries_through)
{
	struct dialrules_policy p;
	struct dialrules_decision d;
	char msg[200];

	dialrules_policy_init(&p);
	cr_assert_eq(dialrules_parse_list("1, 44,82", &p.countries, msg, sizeof msg), 0);
	cr_assert_eq(p.countries.count, 3);
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "010-44-20-7946-0000", &d), 0, "%s", d.reason);
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "+1 212 555 0100", &d), 0, "%s", d.reason);
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "010-86-10-1234-5678", &d), FGW_ERR_DENIED);
	cr_assert_str_eq(d.rule, "international");
	/* 852 must not match the entry 82 by prefix */
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "+852 2123 4567", &d), FGW_ERR_DENIED);
}

Test(dialrules, international_allow_opens_every_country)
{
	struct dialrules_policy p;
	struct dialrules_decision d;

	dialrules_policy_init(&p);
	p.international_allow = true;
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "001-010-86-10-1234-5678", &d), 0);
	cr_assert_str_eq(d.reason, "international number allowed");
}

Test(dialrules, premium_is_blocked_unless_allowed)
{
	struct dialrules_policy p;
	struct dialrules_decision d;

	dialrules_policy_init(&p);
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "0990-123-456", &d), FGW_ERR_DENIED);
	cr_assert_str_eq(d.rule, "premium");
	p.premium_allow = true;
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "0990-123-456", &d), 0);
}

Test(dialrules, emergency_is_never_dialled_even_when_everything_is_allowed)
{
	struct dialrules_policy p;
	struct dialrules_decision d;

	dialrules_policy_init(&p);
	p.international_allow = p.premium_allow = true;
	cr_assert_eq(check(&p, DIAL_FROM_LOCAL, "119", &d), FGW_ERR_DENIED);
	cr_assert_str_eq(d.rule, "emergency");
	cr_assert_eq(check(&p, DIAL_FROM_LOCAL, "110", &d), FGW_ERR_DENIED);
	cr_assert_eq(check(&p, DIAL_FROM_LOCAL, "177", &d), FGW_ERR_DENIED);
	cr_assert_str_eq(d.rule, "service");
}

Test(dialrules, trunk_calls_never_go_back_out_to_the_trunk)
{
	struct dialrules_policy p;
	struct dialrules_decision d;

	dialrules_policy_init(&p);
	p.international_allow = true;
	cr_assert_eq(check(&p, DIAL_FROM_TRUNK, "03-1234-5678", &d), FGW_ERR_DENIED);
	cr_assert_str_eq(d.rule, "public_to_public");
	cr_assert_eq(check(&p, DIAL_FROM_TRUNK, "+44 20 7946 0000", &d), FGW_ERR_DENIED);
	cr_assert_str_eq(d.rule, "public_to_public");
	cr_assert_eq(check(&p, DIAL_FROM_TRUNK, "201", &d), 0, "an extension is inside");
}

Test(dialrules, deny_prefixes_match_the_national_form)
{
	struct dialrules_policy p;
	struct dialrules_decision d;
	char msg[200];

	dialrules_policy_init(&p);
	cr_assert_eq(dialrules_parse_list("0120,0570", &p.deny, msg, sizeof msg), 0);
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "0570-000-123", &d), FGW_ERR_DENIED);
	cr_assert_str_eq(d.rule, "deny_prefixes");
	cr_assert_not_null(strstr(d.reason, "starting 0570"), "%s", d.reason);
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "0033-0120-123-456", &d), FGW_ERR_DENIED,
		     "the carrier prefix does not hide it");
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "184-0120-123-456", &d), FGW_ERR_DENIED);
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "03-1234-5678", &d), 0);
}

Test(dialrules, allow_prefixes_limit_public_numbers_only)
{
	struct dialrules_policy p;
	struct dialrules_decision d;
	char msg[200];

	dialrules_policy_init(&p);
	cr_assert_eq(dialrules_parse_list("03,06", &p.allow, msg, sizeof msg), 0);
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "06-6123-4567", &d), 0);
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "045-123-4567", &d), FGW_ERR_DENIED);
	cr_assert_str_eq(d.rule, "allow_prefixes");
	cr_assert_eq(check(&p, DIAL_FROM_DEVICE, "201", &d), 0, "extensions are not limited");
}

Test(dialrules, invalid_input_is_refused_with_the_reason)
{
	struct dialrules_policy p;
	struct dialrules_decision d;

	dialrules_policy_init(&p);
	cr_assert_eq(check(&p, DIAL_FROM_LOCAL, "03-1234-ABCD", &d), FGW_ERR_DENIED);
	cr_assert_str_eq(d.rule, "invalid");
	cr_assert_not_null(strstr(d.reason, "'A' at position 9"), "%s", d.reason);
	cr_assert_eq(check(&p, DIAL_FROM_LOCAL, "03-1234", &d), FGW_ERR_DENIED);
	cr_assert_str_eq(d.rule, "invalid");
}

Test(dialrules, lists_reject_junk_and_too_many_entries)
{
	struct dialrules_prefixes l;
	char msg[200], big[200] = "";

	cr_assert_eq(dialrules_parse_list("0120;0570", &l, msg, sizeof msg), FGW_ERR_PARSE);
	cr_assert_not_null(strstr(msg, "';' at position 5"), "%s", msg);
	cr_assert_eq(dialrules_parse_list("01234567890123456", &l, msg, sizeof msg),
		     FGW_ERR_RANGE);
	for (int i = 0; i < 33; i++) {
		big[2 * i] = '7';
		big[2 * i + 1] = ',';
	}
	cr_assert_eq(dialrules_parse_list(big, &l, msg, sizeof msg), FGW_ERR_RANGE);
	cr_assert_not_null(strstr(msg, "more than 32 entries"), "%s", msg);
	big[64] = '\0';                 /* exactly 32 entries */
	cr_assert_eq(dialrules_parse_list(big, &l, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(l.count, 32);
	cr_assert_eq(dialrules_parse_list(" , ,", &l, msg, sizeof msg), 0);
	cr_assert_eq(l.count, 0);
}
