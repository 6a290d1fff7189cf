/* UDPTL packet codec; see udptl.h. Every read goes through a bounded cursor
 * so a hostile length can only end the parse, never read past the datagram. */
#include <string.h>

#include "common/err.h"
#include "gateway/udptl.h"

#define PER_LEN_MAX 16383        /* longest non-fragmented length */
#define EC_FEC_BIT 0x80

struct rd {
	const uint8_t *p;
	size_t len, off;
};

struct wr {
	uint8_t *p;
	size_t cap, off;
	int err;
};

static int rd_byte(struct rd *r, uint8_t *v)
{
	if (r->off >= r->len)
		return FGW_ERR_TRUNCATED;
	*v = r->p[r->off++];
	return FGW_OK;
}

/* Reads an aligned-PER length determinant (X.691 10.9); refuses the
 * fragmented form (11xxxxxx), which no datagram we accept can need. */
static int rd_length(struct rd *r, size_t *n)
{
	uint8_t b, b2;
	int rc;

	if ((rc = rd_byte(r, &b)) != FGW_OK)
		return rc;
	if ((b & 0x80) == 0) {
		*n = b;
		return FGW_OK;
	}
	if ((b & 0xc0) == 0xc0)
		return FGW_ERR_PARSE;
	if ((rc = rd_byte(r, &b2)) != FGW_OK)
		return rc;
	*n = ((size_t)(b & 0x3f) << 8) | b2;
	return FGW_OK;
}

/* Reads an open type or octet string: a length then that many bytes. */
static int rd_octets(struct rd *r, struct udptl_ifp *out, int allow_empty)
{
	size_t n;
	int rc;

	if ((rc = rd_length(r, &n)) != FGW_OK)
		return rc;
	if (n == 0 && !allow_empty)
		return FGW_ERR_PARSE;
	if (n > r->len - r->off)
		return FGW_ERR_TRUNCATED;
	out->data = r->p + r->off;
	out->len = n;
	r->off += n;
	return FGW_OK;
}

static int rd_list(struct rd *r, struct udptl_ifp *items, size_t *count, int allow_empty)
{
	size_t n;
	int rc;

	if ((rc = rd_length(r, &n)) != FGW_OK)
		return rc;
	if (n > UDPTL_MAX_ENTRIES)
		return FGW_ERR_TOO_LARGE;
	for (size_t i = 0; i < n; i++)
		if ((rc = rd_octets(r, &items[i], allow_empty)) != FGW_OK)
			return rc;
	*count = n;
	return FGW_OK;
}

/* fec-npackets is an unconstrained INTEGER: a length (1) and one byte. */
static int rd_fec_span(struct rd *r, unsigned *span)
{
	uint8_t n, v;
	int rc;

	if ((rc = rd_byte(r, &n)) != FGW_OK || (rc = rd_byte(r, &v)) != FGW_OK)
		return rc;
	if (n != 1 || v == 0 || v > UDPTL_MAX_FEC_SPAN)
		return FGW_ERR_PARSE;
	*span = v;
	return FGW_OK;
}

int udptl_parse(const uint8_t *dgram, size_t len, struct udptl_packet *p)
{
	struct rd r = { dgram, len, 0 };
	uint8_t hi, lo, choice;
	int rc;

	memset(p, 0, sizeof *p);
	if (len > UDPTL_MAX_DATAGRAM)
		return FGW_ERR_TOO_LARGE;
	if ((rc = rd_byte(&r, &hi)) != FGW_OK || (rc = rd_byte(&r, &lo)) != FGW_OK)
		return rc;
	p->seq = (uint16_t)((hi << 8) | lo);
	if ((rc = rd_octets(&r, &p->primary, 0)) != FGW_OK)
		return rc;
	/* The CHOICE index is one bit, padded to the octet. */
	if ((rc = rd_byte(&r, &choice)) != FGW_OK)
		return rc;
	if (choice & EC_FEC_BIT) {
		p->ec = UDPTL_EC_FEC;
		if ((rc = rd_fec_span(&r, &p->fec_span)) != FGW_OK ||
		    (rc = rd_list(&r, p->fec, &p->nfec, 0)) != FGW_OK)
			return rc;
	} else {
		p->ec = UDPTL_EC_REDUNDANCY;
		if ((rc = rd_list(&r, p->secondary, &p->nsecondary, 0)) != FGW_OK)
			return rc;
	}
	return r.off == len ? FGW_OK : FGW_ERR_PARSE;
}

static void wr_byte(struct wr *w, uint8_t v)
{
	if (w->off >= w->cap) {
		w->err = FGW_ERR_TOO_LARGE;
		return;
	}
	w->p[w->off++] = v;
}

static void wr_length(struct wr *w, size_t n)
{
	if (n > PER_LEN_MAX) {
		w->err = FGW_ERR_TOO_LARGE;
		return;
	}
	if (n >= 0x80)
		wr_byte(w, (uint8_t)(0x80 | (n >> 8)));
	wr_byte(w, (uint8_t)n);
}

static void wr_octets(struct wr *w, const uint8_t *data, size_t n)
{
	wr_length(w, n);
	if (w->err == FGW_OK && n > w->cap - w->off)
		w->err = FGW_ERR_TOO_LARGE;
	if (w->err != FGW_OK)
		return;
	memcpy(w->p + w->off, data, n);
	w->off += n;
}

static size_t length_size(size_t n)
{
	return n >= 0x80 ? 2 : 1;
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Bytes of a redundancy packet carrying the first k secondaries. */
static size_t redundancy_size(struct udptl_ifp primary, const struct udptl_ifp *prev, size_t k)
{
	size_t n = 2 + length_size(primary.len) + primary.len + 1 + length_size(k);

	for (size_t i = 0; i < k; i++)
		n += length_size(prev[i].len) + prev[i].len;
	return n;
}

static void wr_head(struct wr *w, uint16_t seq, struct udptl_ifp primary, uint8_t choice)
{
	wr_byte(w, (uint8_t)(seq >> 8));
	wr_byte(w, (uint8_t)seq);
	wr_octets(w, primary.data, primary.len);
	wr_byte(w, choice);
}

int udptl_build_redundancy(uint16_t seq, struct udptl_ifp primary,
			   const struct udptl_ifp *prev, size_t nprev,
			   size_t max_datagram, uint8_t *buf, size_t size,
			   size_t *out_len, size_t *nsent)
{
	struct wr w = { buf, min_size(size, max_datagram), 0, FGW_OK };
	size_t k = 0;

	if (primary.len == 0 || primary.len > PER_LEN_MAX || nprev > UDPTL_MAX_ENTRIES)
		return FGW_ERR_INVALID;
	while (k < nprev && prev[k].len > 0 && prev[k].len <= PER_LEN_MAX)
		k++;
	while (k > 0 && redundancy_size(primary, prev, k) > w.cap)
		k--;
	if (redundancy_size(primary, prev, 0) > w.cap)
		return FGW_ERR_TOO_LARGE;
	wr_head(&w, seq, primary, 0);
	wr_length(&w, k);
	for (size_t i = 0; i < k; i++)
		wr_octets(&w, prev[i].data, prev[i].len);
	if (w.err != FGW_OK)
		return w.err;
	*out_len = w.off;
	if (nsent)
		*nsent = k;
	return FGW_OK;
}

/* History index (0 = seq-1) of member k of FEC entry m. */
static size_t fec_member(unsigned span, size_t nfec, size_t m, size_t k)
{
	return span * nfec - m - k * nfec - 1;
}

/* XORs member IFPs of entry m into out, zero-padded to the longest. */
static size_t fec_parity(const struct udptl_ifp *hist, unsigned span, size_t nfec,
			 size_t m, uint8_t *out)
{
	size_t longest = 0;

	for (unsigned k = 0; k < span; k++) {
		const struct udptl_ifp *h = &hist[fec_member(span, nfec, m, k)];

		for (size_t j = 0; j < h->len; j++)
			out[j] = (uint8_t)((j < longest ? out[j] : 0) ^ h->data[j]);
		if (h->len > longest)
			longest = h->len;
	}
	return longest;
}

int udptl_build_fec(uint16_t seq, struct udptl_ifp primary,
		    const struct udptl_ifp *hist, unsigned span, size_t nfec,
		    size_t max_datagram, uint8_t *buf, size_t size, size_t *out_len)
{
	struct wr w = { buf, min_size(size, max_datagram), 0, FGW_OK };
	uint8_t parity[UDPTL_MAX_DATAGRAM];

	if (primary.len == 0 || primary.len > PER_LEN_MAX || span == 0 ||
	    span > UDPTL_MAX_FEC_SPAN || nfec == 0 || nfec > UDPTL_MAX_ENTRIES)
		return FGW_ERR_INVALID;
	for (size_t i = 0; i < span * nfec; i++)
		if (hist[i].len == 0 || hist[i].len > UDPTL_MAX_DATAGRAM)
			return FGW_ERR_INVALID;
	wr_head(&w, seq, primary, EC_FEC_BIT);
	wr_byte(&w, 1);
	wr_byte(&w, (uint8_t)span);
	wr_length(&w, nfec);
	for (size_t m = 0; m < nfec && w.err == FGW_OK; m++) {
		size_t n = fec_parity(hist, span, nfec, m, parity);

		wr_octets(&w, parity, n);
	}
	if (w.err != FGW_OK)
		return w.err;
	*out_len = w.off;
	return FGW_OK;
}

int udptl_fec_recover(const struct udptl_packet *p, uint16_t lost,
		      const struct udptl_ifp *known, size_t nknown,
		      uint8_t *out, size_t size, size_t *out_len)
{
	size_t window, pos, m, k, d = (uint16_t)(p->seq - lost);
	const struct udptl_ifp *fec;

	if (p->ec != UDPTL_EC_FEC || p->nfec == 0 || p->fec_span == 0)
		return FGW_ERR_INVALID;
	window = p->fec_span * p->nfec;
	if (d == 0 || d > window)
		return FGW_ERR_NOT_FOUND;
	pos = window - d;
	m = pos % p->nfec;
	k = pos / p->nfec;
	fec = &p->fec[m];
	if (fec->len > size)
		return FGW_ERR_TOO_LARGE;
	memcpy(out, fec->data, fec->len);
	for (unsigned j = 0; j < p->fec_span; j++) {
		size_t idx = fec_member(p->fec_span, p->nfec, m, j);

		if (j == k)
			continue;
		if (idx >= nknown || known[idx].len == 0)
			return FGW_ERR_NOT_FOUND;
		if (known[idx].len > fec->len)
			return FGW_ERR_PARSE;
		for (size_t b = 0; b < known[idx].len; b++)
			out[b] ^= known[idx].data[b];
	}
	*out_len = fec->len;
	return FGW_OK;
}
