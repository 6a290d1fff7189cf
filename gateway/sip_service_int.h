/* Internals of the SIP service shared by sip_service.c and
 * sip_trunk_reg.c (the registration at the trunk). */
#ifndef FAXGW_GATEWAY_SIP_SERVICE_INT_H
#define FAXGW_GATEWAY_SIP_SERVICE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "gateway/sip_transport.h"
#include "gateway/sip_ua.h"

#define SIP_SERVICE_PEERS_MAX 32

struct config;
struct event;
struct sip_registrar;

struct sip_cidr {
	int family;
	uint8_t addr[16];
	unsigned bits;
};

struct sip_trunk_reg {
	bool on;                        /* trunk_mode = register */
	char proxy[SIP_ADDR_MAX];
	char uri[SIP_ADDR_MAX + 8];     /* "sip:" proxy */
	char user[65];
	char *password;                 /* wiped at stop */
	unsigned expires;
	int proto;
	char call_id[64];
	uint32_t cseq;
	bool ready;
	bool waiting;                   /* a REGISTER is out */
	bool auth_sent;                 /* the last REGISTER carried credentials */
	struct event *timer;
	struct sockaddr_storage proxy_sa;
	socklen_t proxy_len;
};

struct sip_service {
	struct event_base *base;
	struct sip_transport *t;
	struct sip_ua *ua;
	struct sip_registrar *reg;
	struct sip_ua_callbacks calls;
	void *calls_arg;
	bool trunk_sip, device_sip;     /* [lines] trunk_kind / device_kind = sip */
	struct sip_cidr peers[SIP_SERVICE_PEERS_MAX];
	size_t npeers;
	struct sip_trunk_reg trunk;
};

/* Parses a comma/space separated CIDR list ("127.0.0.1/32, ::1") into out
 * (max entries), *count filled. Returns 0, FGW_ERR_INVALID or
 * FGW_ERR_TOO_LARGE. */
int sip_cidr_parse_list(const char *list, struct sip_cidr *out, size_t max, size_t *count);

/* True when sa's address falls in one of the n networks. */
bool sip_cidr_match(const struct sip_cidr *list, size_t n, const struct sockaddr_storage *sa);

/* Reads [sip] trunk_* and, in register mode, sends the first REGISTER.
 * Returns 0 or FGW_ERR_CONFIG (logged: what to fix). */
int sip_trunk_start(struct sip_service *s, const struct config *cfg);

/* Unregisters (Expires: 0, not waited for), wipes the password. */
void sip_trunk_stop(struct sip_service *s);

/* True when src is the trunk proxy's address (register mode). */
bool sip_trunk_is_proxy(const struct sip_service *s, const struct sip_source *src);

#endif
