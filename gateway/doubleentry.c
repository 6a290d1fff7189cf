/* Double entry on a device line; see doubleentry.h. */
#include "gateway/doubleentry.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "dsp/dtmf.h"
#include "dsp/tones.h"
#include "gateway/config.h"
#include "storage/audit.h"

#define ENTRY_MAX (DIALRULES_MAX_DIGITS + 1)

struct doubleentry {
	struct doubleentry_config cfg;
	enum doubleentry_state state;
	struct dtmf_collector *dtmf;
	struct tones_player *tone;          /* the tone playing now, or NULL */
	bool digit_heard;                   /* dial tone stops at the first digit */
	char first[ENTRY_MAX + 1];
	char second[ENTRY_MAX + 1];
	struct dialrules_decision decision;
	enum doubleentry_refusal refusal;
	char reason[DIALRULES_REASON_MAX + 2 * ENTRY_MAX];
};

void doubleentry_config_init(struct doubleentry_config *c)
{
	memset(c, 0, sizeof *c);
	c->double_entry = true;
	c->first_digit_ms = 10000;
	c->inter_digit_ms = 4000;
	c->origin = DIAL_FROM_DEVICE;
	dialrules_policy_init(&c->policy);
}

int doubleentry_config_load(const struct config *cfg, struct doubleentry_config *c,
			    char *msg, size_t msgsize)
{
	doubleentry_config_init(c);
	c->double_entry = config_bool(cfg, "outbound", "double_entry");
	c->first_digit_ms = (unsigned)config_int(cfg, "outbound", "first_digit_seconds") * 1000;
	c->inter_digit_ms = (unsigned)config_int(cfg, "outbound", "inter_digit_seconds") * 1000;
	return dialrules_policy_load(cfg, &c->policy, msg, msgsize);
}

/* Starts tone kind (replacing any); returns 0 or FGW_ERR_NOMEM. */
static int play(struct doubleentry *de, enum tones_kind kind)
{
	tones_player_free(de->tone);
	de->tone = tones_player_new(tones_plan_get(kind));
	return de->tone != NULL ? FGW_OK : FGW_ERR_NOMEM;
}

int doubleentry_new(const struct doubleentry_config *c, struct doubleentry **out)
{
	struct dtmf_config dc = { c->first_digit_ms, c->inter_digit_ms, DIALRULES_MAX_DIGITS, '#' };
	struct doubleentry *de;

	*out = NULL;
	if (c->first_digit_ms == 0 || c->inter_digit_ms == 0)
		return FGW_ERR_INVALID;
	de = calloc(1, sizeof *de);
	if (de == NULL)
		return FGW_ERR_NOMEM;
	de->cfg = *c;
	de->state = DE_FIRST_ENTRY;
	de->dtmf = dtmf_collector_new(&dc);
	if (de->dtmf == NULL || play(de, TONES_DIAL) != FGW_OK) {
		doubleentry_free(de);
		return FGW_ERR_NOMEM;   /* the config was checked above */
	}
	*out = de;
	return FGW_OK;
}

void doubleentry_free(struct doubleentry *de)
{
	if (de == NULL)
		return;
	dtmf_collector_free(de->dtmf);
	tones_player_free(de->tone);
	free(de);
}

/* Refuses: the reject tone plays, then the state becomes DE_REFUSED. */
static void refuse(struct doubleentry *de, enum doubleentry_refusal why, const char *reason)
{
	de->refusal = why;
	(void)str_format(de->reason, sizeof de->reason, "%s: %s",
			 doubleentry_refusal_name(why), reason);
	de->state = play(de, TONES_REJECT) == FGW_OK ? DE_REJECT_TONE : DE_REFUSED;
}

static void check_first(struct doubleentry *de)
{
	char why[DIALRULES_REASON_MAX + DIALRULES_RULE_MAX + 8];

	if (dialrules_check(&de->cfg.policy, de->cfg.origin, de->first, &de->decision) != FGW_OK) {
		(void)str_format(why, sizeof why, "%s (%s)", de->decision.rule,
				 de->decision.reason);
		refuse(de, DE_RULE, why);
	} else if (!de->cfg.double_entry) {
		de->state = DE_ACCEPTED;
	} else {
		de->state = play(de, TONES_CONFIRM) == FGW_OK ? DE_CONFIRM_TONE : DE_REFUSED;
	}
}

static void first_entry_done(struct doubleentry *de, enum dtmf_status st)
{
	(void)str_copy(de->first, sizeof de->first, dtmf_collector_digits(de->dtmf));
	tones_player_free(de->tone);            /* the dial tone, if still on */
	de->tone = NULL;
	if (st == DTMF_FIRST_DIGIT_TIMEOUT)
		refuse(de, DE_TIMEOUT, "no number was dialled");
	else if (st == DTMF_TOO_LONG)
		refuse(de, DE_TOO_LONG, "more digits than any number has");
	else
		check_first(de);
}

static void second_entry_done(struct doubleentry *de, enum dtmf_status st)
{
	char why[2 * ENTRY_MAX + 16];

	(void)str_copy(de->second, sizeof de->second, dtmf_collector_digits(de->dtmf));
	if (st == DTMF_FIRST_DIGIT_TIMEOUT) {
		refuse(de, DE_TIMEOUT, "the number was not dialled again");
	} else if (st == DTMF_TOO_LONG) {
		refuse(de, DE_TOO_LONG, "more digits than any number has");
	} else if (!dialrules_same(de->first, de->second)) {
		(void)str_format(why, sizeof why, "%s then %s", de->first, de->second);
		refuse(de, DE_MISMATCH, why);
	} else {
		de->state = DE_ACCEPTED;
	}
}

static void write_output(struct doubleentry *de, int16_t *out, size_t n)
{
	size_t got = 0;

	if (de->tone != NULL && !(de->state == DE_FIRST_ENTRY && de->digit_heard))
		got = tones_player_fill(de->tone, out, n);
	memset(out + got, 0, (n - got) * sizeof *out);
}

static void take_input(struct doubleentry *de, const int16_t *in, size_t n)
{
	enum dtmf_status st = dtmf_collector_feed(de->dtmf, in, n);

	if (dtmf_collector_digits(de->dtmf)[0] != '\0')
		de->digit_heard = true;
	if (st == DTMF_COLLECTING)
		return;
	if (de->state == DE_FIRST_ENTRY)
		first_entry_done(de, st);
	else
		second_entry_done(de, st);
}

enum doubleentry_state doubleentry_process(struct doubleentry *de, const int16_t *in,
					   int16_t *out, size_t n)
{
	write_output(de, out, n);
	switch (de->state) {
	case DE_FIRST_ENTRY:
	case DE_SECOND_ENTRY:
		take_input(de, in, n);
		break;
	case DE_CONFIRM_TONE:
		/* The second entry is timed from the end of the prompt. */
		if (tones_player_done(de->tone)) {
			dtmf_collector_reset(de->dtmf);
			de->state = DE_SECOND_ENTRY;
		}
		break;
	case DE_REJECT_TONE:
		if (tones_player_done(de->tone))
			de->state = DE_REFUSED;
		break;
	case DE_ACCEPTED:
	case DE_REFUSED:
		break;
	}
	return de->state;
}

enum doubleentry_state doubleentry_state(const struct doubleentry *de)
{
	return de->state;
}

const char *doubleentry_number(const struct doubleentry *de)
{
	return de->state == DE_ACCEPTED ? de->decision.number.normal : "";
}

enum doubleentry_refusal doubleentry_refusal(const struct doubleentry *de)
{
	return de->refusal;
}

const char *doubleentry_reason(const struct doubleentry *de)
{
	return de->reason;
}

const struct dialrules_decision *doubleentry_decision(const struct doubleentry *de)
{
	return &de->decision;
}

int doubleentry_audit(const struct doubleentry *de, struct audit *a, const char *device)
{
	enum audit_event ev = de->refusal == DE_MISMATCH ? AUDIT_DIAL_MISMATCH
			    : de->refusal == DE_RULE ? AUDIT_DIAL_DENIED : AUDIT_SECURITY;
	const char *event = de->refusal == DE_TIMEOUT ? "double_entry_timeout"
			  : de->refusal == DE_TOO_LONG ? "double_entry_too_long" : "double_entry";
	const struct audit_field f[] = {
		AUDIT_F_STR("event", event),
		AUDIT_F_STR("device", device),
		AUDIT_F_STR("origin", dialrules_origin_name(de->cfg.origin)),
		AUDIT_F_STR("first", de->first),
		AUDIT_F_STR("second", de->second),
		AUDIT_F_STR("rule", de->refusal == DE_RULE ? de->decision.rule : ""),
		AUDIT_F_STR("reason", de->reason),
	};

	if (de->refusal == DE_NOT_REFUSED)
		return FGW_ERR_STATE;
	return audit_append(a, ev, f, sizeof f / sizeof f[0], NULL);
}

const char *doubleentry_state_name(enum doubleentry_state s)
{
	static const char *const names[] = {
		[DE_FIRST_ENTRY] = "first entry", [DE_CONFIRM_TONE] = "confirmation tone",
		[DE_SECOND_ENTRY] = "second entry", [DE_REJECT_TONE] = "reject tone",
		[DE_ACCEPTED] = "accepted", [DE_REFUSED] = "refused",
	};

	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

const char *doubleentry_refusal_name(enum doubleentry_refusal r)
{
	static const char *const names[] = {
		[DE_NOT_REFUSED] = "not refused", [DE_MISMATCH] = "mismatch",
		[DE_TIMEOUT] = "timeout", [DE_TOO_LONG] = "too long", [DE_RULE] = "rule",
	};

	return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "unknown";
}
