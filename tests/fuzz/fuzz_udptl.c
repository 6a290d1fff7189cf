/* libFuzzer target: UDPTL datagrams through udptl_parse; what parses is
 * rebuilt (same IFPs, so the same parse) and, in FEC mode, every covered
 * sequence number goes through udptl_fec_recover. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "gateway/udptl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct udptl_ifp *a, const struct udptl_ifp *b)
{
	if (a->len != b->len || memcmp(a->data, b->data, a->len) != 0)
		abort();
}

static void recheck_redundancy(const struct udptl_packet *p)
{
	uint8_t buf[UDPTL_MAX_DATAGRAM * 2];
	struct udptl_packet q;
	size_t len, kept;

	if (udptl_build_redundancy(p->seq, p->primary, p->secondary, p->nsecondary,
				   sizeof buf, buf, sizeof buf, &len, &kept) != FGW_OK)
		abort();
	if (kept != p->nsecondary)
		abort();
	if (len <= UDPTL_MAX_DATAGRAM) {
		if (udptl_parse(buf, len, &q) != FGW_OK || q.seq != p->seq || q.nsecondary != kept)
			abort();
		same(&q.primary, &p->primary);
		for (size_t i = 0; i < kept; i++)
			same(&q.secondary[i], &p->secondary[i]);
	}
}

static void try_recover(const struct udptl_packet *p)
{
	struct udptl_ifp known[UDPTL_MAX_ENTRIES * UDPTL_MAX_FEC_SPAN];
	uint8_t out[UDPTL_MAX_DATAGRAM];
	size_t window = p->fec_span * p->nfec, n;

	/* Pretend every earlier packet was the primary of this one. */
	for (size_t i = 0; i < window; i++)
		known[i] = p->primary;
	for (size_t d = 1; d <= window; d++) {
		int rc = udptl_fec_recover(p, (uint16_t)(p->seq - d), known, window, out, sizeof out, &n);

		if (rc == FGW_OK && n > sizeof out)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct udptl_packet p;

	if (udptl_parse(data, size, &p) != FGW_OK)
		return 0;
	if (p.ec == UDPTL_EC_REDUNDANCY)
		recheck_redundancy(&p);
	else
		try_recover(&p);
	return 0;
}
