/* libFuzzer target: dial rules over arbitrary entries. The first byte picks
 * the origin and policy switches; the rest is the number as dialed (and, up
 * to a comma, also a prefix list). Invariants that must hold for any input
 * are checked with abort() so the fuzzer reports them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "gateway/dialrules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX 256

static void check_invariants(const struct dialrules_decision *d, int rc)
{
	enum dialrules_class c = d->number.cls;

	if ((rc == FGW_OK) != d->allowed)
		abort();
	if (d->allowed && (c == DIAL_EMERGENCY || c == DIAL_SERVICE || c == DIAL_INVALID))
		abort();
	if (strnlen(d->rule, sizeof d->rule) == sizeof d->rule ||
	    strnlen(d->reason, sizeof d->reason) == sizeof d->reason)
		abort();
	if (c == DIAL_INTERNATIONAL && d->number.country[0] == '\0')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dialrules_policy p;
	struct dialrules_decision d;
	char in[FUZZ_MAX + 1], msg[DIALRULES_REASON_MAX];
	uint8_t sw;
	int rc;

	if (size == 0 || size > FUZZ_MAX)
		return 0;
	sw = data[0];
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';
	dialrules_policy_init(&p);
	p.international_allow = sw & 1;
	p.premium_allow = (sw >> 1) & 1;
	if ((sw >> 2) & 1)
		(void)dialrules_parse_list(in, &p.deny, msg, sizeof msg);
	if ((sw >> 3) & 1)
		(void)dialrules_parse_list(in, &p.allow, msg, sizeof msg);
	if ((sw >> 4) & 1)
		(void)dialrules_parse_list(in, &p.countries, msg, sizeof msg);
	rc = dialrules_check(&p, (enum dialrules_origin)((sw >> 5) % 3), in, &d);
	check_invariants(&d, rc);
	if (!dialrules_same(in, in) && dialrules_normalise(in, msg, sizeof msg, msg, sizeof msg) == 0)
		abort();
	return 0;
}
