/* Dial rules: is the gateway allowed to place a fax call to this number?
 * Pure functions (no I/O, no clock, no globals) so the daemon, the CLI, the
 * queue and the fuzzer all run exactly the same checks.
 *
 * Numbers are read with the Japanese numbering plan in mind:
 *   international   "+CC...", "010 CC ...", or a carrier prefix (001 KDDI,
 *                   0033 NTT Com, 0041 / 0061 SoftBank) followed by 010.
 *                   A carrier prefix followed by a digit other than 0 is the
 *                   older form where the carrier code itself is the
 *                   international access code ("001 1 212 ..."): also
 *                   international. A carrier prefix followed by "0" and a
 *                   non-zero digit is a domestic call through that carrier
 *                   ("0033 03 1234 5678"): domestic. "+81" is Japan itself,
 *                   so "+81 3 ..." is read as the domestic "03 ...".
 *   premium         0990 (dial Q2), also behind a carrier prefix.
 *   emergency       110 police, 118 coast guard, 119 fire/ambulance.
 *   service         any other three-digit 1XY code (104, 117, 171, 177...).
 *   domestic        "0" and a non-zero digit, 10 or 11 digits in all (area
 *                   codes, 050, 070/080/090, 0120, 0570, 0800); or a local
 *                   subscriber number of 5 to 8 digits starting 2..9.
 *   internal        an extension: 2 to 4 digits starting 2..9, or any entry
 *                   holding '*' or '#' (PBX feature codes). Internal calls
 *                   never reach the trunk.
 * A leading 184 / 186 (withhold / send caller ID) is accepted and set aside
 * before classification.
 *
 * Policy, in the order applied (the first rule that refuses decides):
 *   invalid entry, emergency, service, public_to_public (a call that came in
 *   from the trunk never goes back out to it), premium (unless allowed),
 *   international (unless allowed, or the country code is in countries),
 *   deny_prefixes, allow_prefixes (when set, a public number must match one).
 * Prefix lists are matched against the national form (e.g. "0312345678",
 * "0101212...": the carrier prefix and 184/186 removed, "+CC" written as
 * "010CC"). */
#ifndef FAXGW_GATEWAY_DIALRULES_H
#define FAXGW_GATEWAY_DIALRULES_H

#include <stdbool.h>
#include <stddef.h>

#define DIALRULES_MAX_DIGITS 32      /* digits of an entry, symbols included */
#define DIALRULES_MAX_INPUT 96       /* characters, spaces and hyphens included */
#define DIALRULES_MAX_PREFIXES 32    /* entries in one prefix list */
#define DIALRULES_MAX_COUNTRIES 32   /* entries in the country allowlist */
#define DIALRULES_PREFIX_MAX 16      /* digits of one prefix */
#define DIALRULES_RULE_MAX 24        /* rule name bytes */
#define DIALRULES_REASON_MAX 200     /* explanation bytes */

enum dialrules_class {
	DIAL_INVALID = 0,
	DIAL_INTERNAL,
	DIAL_DOMESTIC,
	DIAL_INTERNATIONAL,
	DIAL_PREMIUM,
	DIAL_EMERGENCY,
	DIAL_SERVICE
};

/* Where the call that asks for this destination came from. */
enum dialrules_origin {
	DIAL_FROM_DEVICE = 0,   /* an office device line */
	DIAL_FROM_LOCAL,        /* the CLI or web UI on the appliance */
	DIAL_FROM_TRUNK         /* the public network */
};

struct dialrules_prefixes {
	char item[DIALRULES_MAX_PREFIXES][DIALRULES_PREFIX_MAX + 1];
	size_t count;
};

struct dialrules_policy {
	bool international_allow;
	bool premium_allow;
	struct dialrules_prefixes countries;   /* country codes, e.g. "1", "44" */
	struct dialrules_prefixes deny;        /* national-form prefixes */
	struct dialrules_prefixes allow;       /* empty: no allowlist */
};

/* What a number is. Strings are NUL-terminated digits (and '*' '#'). */
struct dialrules_number {
	char normal[DIALRULES_MAX_DIGITS + 2];   /* as dialed, spaces removed */
	char national[DIALRULES_MAX_DIGITS + 8]; /* see the prefix lists above */
	char country[4];                         /* international: "44"; else "" */
	char carrier[5];                         /* "0033" etc.; "" for none */
	enum dialrules_class cls;
};

struct dialrules_decision {
	bool allowed;
	struct dialrules_number number;
	char rule[DIALRULES_RULE_MAX];       /* "international", ...; "ok" */
	char reason[DIALRULES_REASON_MAX];   /* in words, for users and audit */
};

/* Fills p with the safe defaults: nothing international or premium, no
 * lists. */
void dialrules_policy_init(struct dialrules_policy *p);

struct config;

/* Fills p from [dialing] of cfg (the same lists for every device for now;
 * per-device lists will come with device records). Returns 0 or
 * FGW_ERR_CONFIG (msg names the key and what is wrong). */
int dialrules_policy_load(const struct config *cfg, struct dialrules_policy *p, char *msg,
			  size_t msgsize);

/* Parses a comma-separated list of digit prefixes ("0120, 0570") into
 * *out (replacing it). Empty text is an empty list. Returns 0,
 * FGW_ERR_PARSE (a non-digit; msg names it and its position) or
 * FGW_ERR_RANGE (too many entries or an entry too long). */
int dialrules_parse_list(const char *text, struct dialrules_prefixes *out,
			 char *msg, size_t msgsize);

/* Normalises an entry: keeps digits, '*', '#' and a leading '+', drops
 * spaces, hyphens, dots and parentheses. Writes at most size bytes to out.
 * Returns 0, FGW_ERR_PARSE (another character: msg names it and its
 * position from 1; or an empty entry; or '+' not first) or FGW_ERR_RANGE
 * (more than DIALRULES_MAX_DIGITS digits or DIALRULES_MAX_INPUT
 * characters). */
int dialrules_normalise(const char *in, char *out, size_t size, char *msg,
			size_t msgsize);

/* Normalises and classifies in into *out. A number that normalises but
 * fits no class gets DIAL_INVALID. Returns 0 or the codes of
 * dialrules_normalise (msg says why). */
int dialrules_classify(const char *in, struct dialrules_number *out, char *msg,
		       size_t msgsize);

/* Decides whether a call from origin to in may be placed under policy.
 * Always fills *d (rule "invalid" when in does not even normalise).
 * Returns 0 when allowed, FGW_ERR_DENIED when refused (d->rule names the
 * rule, d->reason says why and what the admin can change). */
int dialrules_check(const struct dialrules_policy *policy, enum dialrules_origin origin,
		    const char *in, struct dialrules_decision *d);

/* True when a and b are the same number once normalised (so "03-1234-5678"
 * equals "0312345678"); false when either does not normalise. */
bool dialrules_same(const char *a, const char *b);

/* English names ("international", "device"); never NULL. */
const char *dialrules_class_name(enum dialrules_class c);
const char *dialrules_origin_name(enum dialrules_origin o);

#endif
