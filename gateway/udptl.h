/* UDPTL (ITU-T T.38 Annex D): the UDP framing of T.38 IFP packets, with its
 * error-recovery field in both forms, redundancy (earlier IFPs repeated) and
 * parity FEC (XOR of groups of earlier IFPs). Pure functions over
 * caller-owned buffers, shared by the media path, the tests and the fuzzer.
 *
 * Lengths are ASN.1 aligned-PER length determinants. The fragmented form
 * (16 KiB and more) cannot occur in a datagram we accept, so it is refused
 * as a parse error. */
#ifndef FAXGW_GATEWAY_UDPTL_H
#define FAXGW_GATEWAY_UDPTL_H

#include <stddef.h>
#include <stdint.h>

#define UDPTL_MAX_DATAGRAM 1400   /* largest UDPTL datagram accepted */
#define UDPTL_MAX_ENTRIES 16      /* secondary IFPs or FEC entries per packet */
#define UDPTL_MAX_FEC_SPAN 16     /* packets covered by one FEC entry */

enum udptl_ec {
	UDPTL_EC_REDUNDANCY = 0,   /* secondary-ifp-packets */
	UDPTL_EC_FEC = 1           /* fec-info */
};

/* A byte range inside a datagram or a caller's buffer; len 0 = absent. */
struct udptl_ifp {
	const uint8_t *data;
	size_t len;
};

/* A parsed UDPTL packet. Pointers point into the parsed datagram. */
struct udptl_packet {
	uint16_t seq;
	struct udptl_ifp primary;
	enum udptl_ec ec;
	/* redundancy: secondary[0] is the IFP of seq-1, [1] of seq-2, ... */
	size_t nsecondary;
	struct udptl_ifp secondary[UDPTL_MAX_ENTRIES];
	/* FEC: entry m covers, of the fec_span * nfec packets before seq, those
	 * at seq - fec_span*nfec + m + k*nfec for k in 0..fec_span-1 */
	unsigned fec_span;
	size_t nfec;
	struct udptl_ifp fec[UDPTL_MAX_ENTRIES];
};

/* Parses the datagram (len bytes) into *p. Returns 0, FGW_ERR_TRUNCATED
 * (a length runs past the end), FGW_ERR_PARSE (an empty IFP, a fragmented
 * length, an FEC span outside 1..UDPTL_MAX_FEC_SPAN, bytes left over),
 * FGW_ERR_TOO_LARGE (over UDPTL_MAX_DATAGRAM, or more than
 * UDPTL_MAX_ENTRIES entries). */
int udptl_parse(const uint8_t *dgram, size_t len, struct udptl_packet *p);

/* Builds a redundancy-mode packet: seq, the primary IFP and up to nprev
 * earlier IFPs (prev[0] = seq-1, prev[1] = seq-2, ...; an absent one ends
 * the list). Older secondaries are dropped until the datagram fits in
 * max_datagram (and in size). Returns 0 with *out_len and, when given,
 * *nsent (secondaries kept); FGW_ERR_INVALID (empty primary, nprev over
 * UDPTL_MAX_ENTRIES) or FGW_ERR_TOO_LARGE (the primary alone does not fit). */
int udptl_build_redundancy(uint16_t seq, struct udptl_ifp primary,
			   const struct udptl_ifp *prev, size_t nprev,
			   size_t max_datagram, uint8_t *buf, size_t size,
			   size_t *out_len, size_t *nsent);

/* Builds an FEC-mode packet: seq, the primary IFP, and nfec parity entries
 * over the span * nfec IFPs before it (hist[0] = seq-1, ...; all must be
 * present: the caller builds redundancy packets until it has that many).
 * Returns 0, FGW_ERR_INVALID (bad span/nfec, missing history) or
 * FGW_ERR_TOO_LARGE (does not fit in max_datagram or size). */
int udptl_build_fec(uint16_t seq, struct udptl_ifp primary,
		    const struct udptl_ifp *hist, unsigned span, size_t nfec,
		    size_t max_datagram, uint8_t *buf, size_t size, size_t *out_len);

/* Recovers the IFP of sequence number lost from FEC packet p, given what
 * arrived before it: known[i] is the IFP of seq p->seq-1-i (len 0 = lost),
 * nknown entries. Writes it to out (size bytes), *out_len its length: the
 * longest IFP of the group, so a shorter lost IFP comes back with trailing
 * zero bytes (the parity carries no length). Returns 0, FGW_ERR_NOT_FOUND
 * (lost is not covered, or another IFP of its group is lost too),
 * FGW_ERR_INVALID (p is not FEC) or FGW_ERR_TOO_LARGE. */
int udptl_fec_recover(const struct udptl_packet *p, uint16_t lost,
		      const struct udptl_ifp *known, size_t nknown,
		      uint8_t *out, size_t size, size_t *out_len);

#endif
