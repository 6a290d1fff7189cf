/* Dial rules over the Japanese numbering plan; see dialrules.h. */
#include "gateway/dialrules.h"

#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/config.h"

/* Carrier identification codes that can precede a number. */
static const char *const carriers[] = { "0033", "0041", "0061", "001" };

/* ITU-T E.164 country codes of two digits; every other code starting 2..9
 * (zones 1 and 7 aside) has three. The set is prefix-free, which is what
 * makes extracting the code from a dialed string unambiguous. */
static const char two_digit_cc[] =
	"20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 "
	"51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 "
	"90 91 92 93 94 95 98";

#define E164_MAX 15          /* country code plus national number */
#define INTL_MIN_SUBSCRIBER 4

void dialrules_policy_init(struct dialrules_policy *p)
{
	memset(p, 0, sizeof *p);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool all_digits(const char *s)
{
	for (; *s != '\0'; s++)
		if (!is_digit(*s))
			return false;
	return true;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void bad_char(char c, size_t pos, const char *what, char *msg, size_t msgsize)
{
	unsigned char u = (unsigned char)c;

	if (u >= 0x20 && u < 0x7f)
		(void)str_format(msg, msgsize, "character '%c' at position %zu is not allowed in %s; "
			   "use digits, '*', '#' and a leading '+'", c, pos, what);
	else
		(void)str_format(msg, msgsize, "byte 0x%02x at position %zu is not allowed in %s; "
			   "use digits, '*', '#' and a leading '+'", u, pos, what);
}

int dialrules_normalise(const char *in, char *out, size_t size, char *msg, size_t msgsize)
{
	size_t len = strnlen(in, DIALRULES_MAX_INPUT + 1), n = 0;

	if (len > DIALRULES_MAX_INPUT) {
		(void)str_format(msg, msgsize, "the number is longer than %d characters",
				 DIALRULES_MAX_INPUT);
		return FGW_ERR_RANGE;
	}
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')')
			continue;
		if (!(is_digit(c) || c == '*' || c == '#' || (c == '+' && n == 0))) {
			bad_char(c, i + 1, "a fax number", msg, msgsize);
			return FGW_ERR_PARSE;
		}
		if (n >= DIALRULES_MAX_DIGITS || n + 1 >= size) {
			(void)str_format(msg, msgsize, "the number has more than %d digits",
					 DIALRULES_MAX_DIGITS);
			return FGW_ERR_RANGE;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	if (n == 0 || (n == 1 && out[0] == '+')) {
		(void)str_format(msg, msgsize, "the number is empty");
		return FGW_ERR_PARSE;
	}
	return FGW_OK;
}

/* Length of the country code at the start of d, 0 if there is none. */
static size_t cc_len(const char *d)
{
	size_t n = strnlen(d, 3);
	char two[3];

	if (n < 3 || !is_digit(d[0]) || !is_digit(d[1]) || !is_digit(d[2]) || d[0] == '0')
		return 0;
	if (d[0] == '1' || d[0] == '7')
		return 1;
	two[0] = d[0];
	two[1] = d[1];
	two[2] = '\0';
	return strstr(two_digit_cc, two) != NULL ? 2 : 3;
}

struct classify {
	struct dialrules_number *num;
	char *msg;
	size_t msgsize;
};

static int invalid(struct classify *c, const char *why)
{
	c->num->cls = DIAL_INVALID;
	(void)str_copy(c->msg, c->msgsize, why);
	return FGW_OK;
}

/* d: digits after an international access code (country code first). */
static int international(struct classify *c, const char *d)
{
	size_t n = strlen(d), ccl = cc_len(d);

	if (ccl == 0)
		return invalid(c, "no valid country code follows the international prefix");
	if (n < ccl + INTL_MIN_SUBSCRIBER || n > E164_MAX)
		return invalid(c, "an international number has 4 to 15 digits after the "
				  "international prefix, country code included");
	memcpy(c->num->country, d, ccl);
	c->num->country[ccl] = '\0';
	c->num->cls = DIAL_INTERNATIONAL;
	return str_format(c->num->national, sizeof c->num->national, "010%s", d);
}

/* d: a national number starting with 0 and a non-zero digit. */
static int domestic(struct classify *c, const char *d)
{
	size_t n = strlen(d);

	if (str_copy(c->num->national, sizeof c->num->national, d) != FGW_OK)
		return invalid(c, "the number is too long");
	if (starts(d, "0990")) {
		c->num->cls = DIAL_PREMIUM;
		return FGW_OK;
	}
	if (n < 10 || n > 11)
		return invalid(c, "a Japanese number with its area code has 10 or 11 digits "
				  "(e.g. 03-1234-5678 or 090-1234-5678)");
	c->num->cls = DIAL_DOMESTIC;
	return FGW_OK;
}

/* d: what follows a carrier identification code. */
static int after_carrier(struct classify *c, const char *d)
{
	if (starts(d, "010"))
		return international(c, d + 3);
	if (d[0] == '0' && d[1] >= '1' && d[1] <= '9')
		return domestic(c, d);
	if (d[0] >= '1' && d[0] <= '9')
		return international(c, d);   /* the older "001 CC ..." form */
	return invalid(c, "nothing valid follows the carrier prefix");
}

static int leading_zero(struct classify *c, const char *d)
{
	if (d[1] == '\0')
		return invalid(c, "0 alone is not a number");
	for (size_t i = 0; i < sizeof carriers / sizeof carriers[0]; i++)
		if (starts(d, carriers[i])) {
			(void)str_copy(c->num->carrier, sizeof c->num->carrier, carriers[i]);
			return after_carrier(c, d + strlen(carriers[i]));
		}
	if (starts(d, "010"))
		return international(c, d + 3);
	if (d[1] >= '1' && d[1] <= '9')
		return domestic(c, d);
	return invalid(c, "a number starting 00 needs a known carrier prefix "
			  "(001, 0033, 0041, 0061)");
}

static int short_or_local(struct classify *c, const char *d)
{
	size_t n = strlen(d);

	(void)str_copy(c->num->national, sizeof c->num->national, d);
	if (d[0] == '1') {
		if (n != 3)
			return invalid(c, "numbers starting with 1 are three-digit service codes");
		c->num->cls = strcmp(d, "110") == 0 || strcmp(d, "118") == 0 ||
			      strcmp(d, "119") == 0 ? DIAL_EMERGENCY : DIAL_SERVICE;
		return FGW_OK;
	}
	if (n >= 2 && n <= 4)
		c->num->cls = DIAL_INTERNAL;
	else if (n >= 5 && n <= 8)
		c->num->cls = DIAL_DOMESTIC;
	else
		return invalid(c, "a number without area code has 2 to 4 digits (extension) "
				  "or 5 to 8 digits (local subscriber)");
	return FGW_OK;
}

static int classify_digits(struct classify *c, const char *d)
{
	if (strchr(d, '*') != NULL || strchr(d, '#') != NULL) {
		if (d[0] == '+')
			return invalid(c, "'*' and '#' are for extensions and feature codes only");
		(void)str_copy(c->num->national, sizeof c->num->national, d);
		c->num->cls = DIAL_INTERNAL;
		return FGW_OK;
	}
	/* 184/186 before a public number only choose caller-ID presentation. */
	if ((starts(d, "184") || starts(d, "186")) && (d[3] == '0' || d[3] == '+'))
		d += 3;
	if (d[0] == '+') {
		if (!all_digits(d + 1) || d[1] == '\0')
			return invalid(c, "'+' must be followed by digits only");
		if (starts(d + 1, "81")) {
			char national[DIALRULES_MAX_DIGITS + 2];

			if (d[3] == '0')
				return invalid(c, "after +81 leave out the leading 0 of the area code");
			if (str_format(national, sizeof national, "0%s", d + 3) != FGW_OK)
				return invalid(c, "the number is too long");
			return national[1] == '\0' ? invalid(c, "nothing follows +81")
						   : domestic(c, national);
		}
		return international(c, d + 1);
	}
	return d[0] == '0' ? leading_zero(c, d) : short_or_local(c, d);
}

int dialrules_classify(const char *in, struct dialrules_number *out, char *msg, size_t msgsize)
{
	struct classify c = { out, msg, msgsize };
	int rc;

	memset(out, 0, sizeof *out);
	if (msgsize > 0)
		msg[0] = '\0';
	rc = dialrules_normalise(in, out->normal, sizeof out->normal, msg, msgsize);
	if (rc != FGW_OK)
		return rc;
	rc = classify_digits(&c, out->normal);
	if (rc != FGW_OK)
		return invalid(&c, "the number is too long");
	if (out->cls == DIAL_INVALID) {
		out->national[0] = '\0';
		out->country[0] = '\0';
	}
	return FGW_OK;
}

int dialrules_parse_list(const char *text, struct dialrules_prefixes *out, char *msg,
			 size_t msgsize)
{
	size_t pos = 0, len = 0;

	memset(out, 0, sizeof *out);
	for (;; pos++) {
		char ch = text[pos];

		if (ch == ',' || ch == '\0') {
			out->count += len > 0;
			len = 0;
			if (ch == '\0')
				return FGW_OK;
		} else if (is_digit(ch)) {
			if (out->count >= DIALRULES_MAX_PREFIXES) {
				(void)str_format(msg, msgsize, "more than %d entries in the list",
						 DIALRULES_MAX_PREFIXES);
				return FGW_ERR_RANGE;
			}
			if (len >= DIALRULES_PREFIX_MAX) {
				(void)str_format(msg, msgsize, "entry %zu is longer than %d digits",
						 out->count + 1, DIALRULES_PREFIX_MAX);
				return FGW_ERR_RANGE;
			}
			out->item[out->count][len++] = ch;
		} else if (ch != ' ') {
			bad_char(ch, pos + 1, "a list of digit prefixes", msg, msgsize);
			return FGW_ERR_PARSE;
		}
	}
}

/* Returns the list entry that is a prefix of s, or NULL. */
static const char *list_match(const struct dialrules_prefixes *l, const char *s)
{
	for (size_t i = 0; i < l->count; i++)
		if (starts(s, l->item[i]))
			return l->item[i];
	return NULL;
}

static bool list_has(const struct dialrules_prefixes *l, const char *s)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->item[i], s) == 0)
			return true;
	return false;
}

static int refuse(struct dialrules_decision *d, const char *rule, const char *reason)
{
	d->allowed = false;
	(void)str_copy(d->rule, sizeof d->rule, rule);
	if (reason != NULL)
		(void)str_copy(d->reason, sizeof d->reason, reason);
	return FGW_ERR_DENIED;
}

static bool is_public(enum dialrules_class c)
{
	return c == DIAL_DOMESTIC || c == DIAL_INTERNATIONAL || c == DIAL_PREMIUM;
}

/* The rules about what kind of number it is; 0 when they let it pass. */
static int check_class(const struct dialrules_policy *p, enum dialrules_origin origin,
		       struct dialrules_decision *d)
{
	const struct dialrules_number *n = &d->number;

	if (n->cls == DIAL_EMERGENCY)
		return refuse(d, "emergency", "110, 118 and 119 are emergency numbers and are "
					      "never called by a fax");
	if (n->cls == DIAL_SERVICE)
		return refuse(d, "service", "three-digit 1XY numbers are telephone services, "
					    "not fax machines");
	if (origin == DIAL_FROM_TRUNK && is_public(n->cls))
		return refuse(d, "public_to_public", "a call that came in from the public "
						     "network is never routed back out to it");
	if (n->cls == DIAL_PREMIUM && !p->premium_allow)
		return refuse(d, "premium", "0990 premium-rate numbers are blocked; "
					    "[dialing] premium_allow enables them");
	if (n->cls == DIAL_INTERNATIONAL && !p->international_allow &&
	    !list_has(&p->countries, n->country)) {
		(void)str_format(d->reason, sizeof d->reason,
				 "international calls are blocked and country code %s is not "
				 "in [dialing] countries", n->country);
		return refuse(d, "international", NULL);
	}
	return FGW_OK;
}

static int check_lists(const struct dialrules_policy *p, struct dialrules_decision *d)
{
	const char *hit = list_match(&p->deny, d->number.national);

	if (hit != NULL) {
		(void)str_format(d->reason, sizeof d->reason,
				 "numbers starting %s are in [dialing] deny_prefixes", hit);
		return refuse(d, "deny_prefixes", NULL);
	}
	if (p->allow.count > 0 && is_public(d->number.cls) &&
	    list_match(&p->allow, d->number.national) == NULL)
		return refuse(d, "allow_prefixes", "the number matches no entry of "
						   "[dialing] allow_prefixes");
	return FGW_OK;
}

int dialrules_check(const struct dialrules_policy *policy, enum dialrules_origin origin,
		    const char *in, struct dialrules_decision *d)
{
	char msg[DIALRULES_REASON_MAX];
	int rc;

	memset(d, 0, sizeof *d);
	rc = dialrules_classify(in, &d->number, msg, sizeof msg);
	if (rc != FGW_OK || d->number.cls == DIAL_INVALID)
		return refuse(d, "invalid", msg);
	rc = check_class(policy, origin, d);
	if (rc == FGW_OK)
		rc = check_lists(policy, d);
	if (rc != FGW_OK)
		return rc;
	d->allowed = true;
	(void)str_copy(d->rule, sizeof d->rule, "ok");
	(void)str_format(d->reason, sizeof d->reason, "%s number allowed",
			 dialrules_class_name(d->number.cls));
	return FGW_OK;
}

bool dialrules_same(const char *a, const char *b)
{
	char na[DIALRULES_MAX_DIGITS + 2], nb[DIALRULES_MAX_DIGITS + 2], msg[8];

	if (dialrules_normalise(a, na, sizeof na, msg, sizeof msg) != FGW_OK ||
	    dialrules_normalise(b, nb, sizeof nb, msg, sizeof msg) != FGW_OK)
		return false;
	return strcmp(na, nb) == 0;
}

const char *dialrules_class_name(enum dialrules_class c)
{
	static const char *const names[] = {
		[DIAL_INVALID] = "invalid",     [DIAL_INTERNAL] = "internal",
		[DIAL_DOMESTIC] = "domestic",   [DIAL_INTERNATIONAL] = "international",
		[DIAL_PREMIUM] = "premium",     [DIAL_EMERGENCY] = "emergency",
		[DIAL_SERVICE] = "service",
	};

	return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "unknown";
}

const char *dialrules_origin_name(enum dialrules_origin o)
{
	switch (o) {
	case DIAL_FROM_DEVICE: return "device";
	case DIAL_FROM_LOCAL: return "local";
	case DIAL_FROM_TRUNK: return "trunk";
	}
	return "unknown";
}

static int load_list(const struct config *cfg, const char *key, struct dialrules_prefixes *l,
		     char *msg, size_t msgsize)
{
	char why[160];

	if (dialrules_parse_list(config_str(cfg, "dialing", key), l, why, sizeof why) == FGW_OK)
		return FGW_OK;
	(void)str_format(msg, msgsize, "[dialing] %s: %s", key, why);
	return FGW_ERR_CONFIG;
}

int dialrules_policy_load(const struct config *cfg, struct dialrules_policy *p, char *msg,
			  size_t msgsize)
{
	int rc;

	dialrules_policy_init(p);
	p->international_allow = config_bool(cfg, "dialing", "international_allow");
	p->premium_allow = config_bool(cfg, "dialing", "premium_allow");
	rc = load_list(cfg, "countries", &p->countries, msg, msgsize);
	if (rc == FGW_OK)
		rc = load_list(cfg, "deny_prefixes", &p->deny, msg, msgsize);
	if (rc == FGW_OK)
		rc = load_list(cfg, "allow_prefixes", &p->allow, msg, msgsize);
	return rc;
}
