/* A tiny reader of classic pcap files (not pcapng), for tests only: the
 * UDP datagrams over IPv4 of Ethernet (optionally one VLAN tag) or Linux
 * "cooked" captures. Fragments and everything else are skipped. */
#ifndef FAXGW_TESTS_SUPPORT_PCAP_H
#define FAXGW_TESTS_SUPPORT_PCAP_H

#include <stddef.h>
#include <stdint.h>

#define PCAP_MAX_FILE (64u << 20)   /* bytes of a capture we load */

struct pcap_file;

struct pcap_udp {
	size_t index;              /* 1-based frame number, as Wireshark shows */
	uint32_t ts_sec, ts_usec;
	uint8_t src[4], dst[4];    /* IPv4 addresses */
	uint16_t sport, dport;
	const uint8_t *payload;    /* owned by the pcap_file */
	size_t len;
};

/* Loads the capture at path into a new reader in *out (free with
 * pcap_close). Returns 0, FGW_ERR_IO, FGW_ERR_TOO_LARGE, FGW_ERR_PARSE (not
 * a classic pcap) or FGW_ERR_UNSUPPORTED (a link type other than Ethernet
 * or Linux cooked). */
int pcap_open(const char *path, struct pcap_file **out);

/* Returns 1 with the next UDP datagram in *u, 0 at the end, or
 * FGW_ERR_TRUNCATED when a record runs past the end of the file. */
int pcap_next_udp(struct pcap_file *f, struct pcap_udp *u);

/* Frees f; NULL is fine. */
void pcap_close(struct pcap_file *f);

#endif
