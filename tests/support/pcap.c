/* Classic pcap reader for tests; see pcap.h. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "tests/support/pcap.h"

#define LINKTYPE_ETHERNET 1
#define LINKTYPE_LINUX_SLL 113

struct pcap_file {
	uint8_t *data;
	size_t len, off, frames;
	bool swapped;
	uint32_t linktype;
};

static uint32_t rd32(const struct pcap_file *f, const uint8_t *p)
{
	if (f->swapped)
		return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
	return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static int load(const char *path, struct pcap_file *f)
{
	FILE *fp = fopen(path, "rb");
	long size;

	if (fp == NULL)
		return FGW_ERR_IO;
	if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		return FGW_ERR_IO;
	}
	if ((unsigned long)size > PCAP_MAX_FILE) {
		fclose(fp);
		return FGW_ERR_TOO_LARGE;
	}
	f->len = (size_t)size;
	if ((f->data = malloc(f->len ? f->len : 1)) == NULL ||
	    fread(f->data, 1, f->len, fp) != f->len) {
		fclose(fp);
		return FGW_ERR_IO;
	}
	return fclose(fp) == 0 ? FGW_OK : FGW_ERR_IO;
}

int pcap_open(const char *path, struct pcap_file **out)
{
	struct pcap_file *f = calloc(1, sizeof *f);
	uint32_t magic;
	int rc;

	*out = NULL;
	if (f == NULL)
		return FGW_ERR_NOMEM;
	if ((rc = load(path, f)) != FGW_OK || (rc = f->len < 24 ? FGW_ERR_PARSE : FGW_OK) != FGW_OK) {
		pcap_close(f);
		return rc;
	}
	magic = rd32(f, f->data);
	if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		f->swapped = true;
	else if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
		pcap_close(f);
		return FGW_ERR_PARSE;
	}
	f->linktype = rd32(f, f->data + 20);
	if (f->linktype != LINKTYPE_ETHERNET && f->linktype != LINKTYPE_LINUX_SLL) {
		pcap_close(f);
		return FGW_ERR_UNSUPPORTED;
	}
	f->off = 24;
	*out = f;
	return FGW_OK;
}

/* Finds the IPv4 packet in a link-layer frame; NULL when it is not one. */
static const uint8_t *ipv4_of(const struct pcap_file *f, const uint8_t *p, size_t len, size_t *iplen)
{
	size_t hdr = f->linktype == LINKTYPE_ETHERNET ? 14 : 16;
	uint16_t type;

	if (len < hdr)
		return NULL;
	type = be16(p + hdr - 2);
	if (type == 0x8100 && len >= hdr + 4) {
		type = be16(p + hdr + 2);
		hdr += 4;
	}
	if (type != 0x0800)
		return NULL;
	*iplen = len - hdr;
	return p + hdr;
}

/* Fills u from an IPv4 packet when it carries a whole UDP datagram. */
static bool udp_of(const uint8_t *ip, size_t len, struct pcap_udp *u)
{
	size_t ihl, total, ulen;

	if (len < 20 || (ip[0] >> 4) != 4 || ip[9] != 17)
		return false;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	total = be16(ip + 2);
	if (ihl < 20 || total < ihl + 8 || total > len || (be16(ip + 6) & 0x3fff) != 0)
		return false;    /* short, or a fragment */
	ulen = be16(ip + ihl + 4);
	if (ulen < 8 || ulen > total - ihl)
		return false;
	memcpy(u->src, ip + 12, 4);
	memcpy(u->dst, ip + 16, 4);
	u->sport = be16(ip + ihl);
	u->dport = be16(ip + ihl + 2);
	u->payload = ip + ihl + 8;
	u->len = ulen - 8;
	return true;
}

int pcap_next_udp(struct pcap_file *f, struct pcap_udp *u)
{
	while (f->off < f->len) {
		const uint8_t *rec = f->data + f->off, *ip;
		size_t incl, iplen;

		if (f->len - f->off < 16)
			return FGW_ERR_TRUNCATED;
		incl = rd32(f, rec + 8);
		if (incl > f->len - f->off - 16)
			return FGW_ERR_TRUNCATED;
		f->off += 16 + incl;
		f->frames++;
		memset(u, 0, sizeof *u);
		u->index = f->frames;
		u->ts_sec = rd32(f, rec);
		u->ts_usec = rd32(f, rec + 4);
		if ((ip = ipv4_of(f, rec + 16, incl, &iplen)) != NULL && udp_of(ip, iplen, u))
			return 1;
	}
	return 0;
}

void pcap_close(struct pcap_file *f)
{
	if (f == NULL)
		return;
	free(f->data);
	free(f);
}
