/* Private to storage/audit*.c: the record format's pieces shared by the
 * writer, the verifier and the reader. */
#ifndef FAXGW_STORAGE_AUDIT_INT_H
#define FAXGW_STORAGE_AUDIT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "storage/audit.h"

#define AUDIT_HEX_LEN (2 * AUDIT_MAC_LEN)
/* Every line ends with PREV_TAG hex '"' MAC_TAG hex '"}' (then '\n'). */
#define AUDIT_PREV_TAG ",\"prev\":\""
#define AUDIT_MAC_TAG ",\"mac\":\""
#define AUDIT_PREV_TAG_LEN 9
#define AUDIT_MAC_TAG_LEN 8
/* Bytes from the start of the mac tag to the end of the line (no '\n'). */
#define AUDIT_MAC_TAIL (AUDIT_MAC_TAG_LEN + AUDIT_HEX_LEN + 2)
/* Bytes from the start of the prev tag to the start of the mac tag. */
#define AUDIT_PREV_TAIL (AUDIT_PREV_TAG_LEN + AUDIT_HEX_LEN + 1)
#define AUDIT_SEQ_TAG "{\"seq\":"
#define AUDIT_SEQ_TAG_LEN 7
#define AUDIT_TIME_LEN 24   /* YYYY-MM-DDTHH:MM:SS.mmmZ */

/* An HMAC-SHA256 context keyed once and reused for every record. */
struct audit_mac;

/* Returns 0 and *out keyed with key (the key is copied by OpenSSL), or
 * FGW_ERR_CRYPTO / FGW_ERR_NOMEM. */
int audit_mac_new(const uint8_t key[static AUDIT_KEY_LEN], struct audit_mac **out);
void audit_mac_free(struct audit_mac *m);
/* MACs len bytes of data into out. Returns 0 or FGW_ERR_CRYPTO. */
int audit_mac_compute(struct audit_mac *m, const void *data, size_t len,
		      uint8_t out[static AUDIT_MAC_LEN]);

/* Lowercase hex of 32 bytes into out (64 chars, no NUL). */
void audit_hex_encode(const uint8_t in[static AUDIT_MAC_LEN], char *out);
/* Decodes 64 hex chars; returns 0 or FGW_ERR_PARSE. */
int audit_hex_decode(const char *in, uint8_t out[static AUDIT_MAC_LEN]);

/* Formats ms since the epoch as YYYY-MM-DDTHH:MM:SS.mmmZ into out (at
 * least AUDIT_TIME_LEN + 1 bytes). Returns 0 or FGW_ERR_RANGE. */
int audit_time_format(int64_t ms, char *out, size_t size);

/* Serialises a record up to and including its prev field (the bytes the
 * MAC covers) into buf (cap bytes); *len gets the length. Returns 0,
 * FGW_ERR_INVALID (bad key name, too many fields) or FGW_ERR_TOO_LARGE. */
int audit_format_body(char *buf, size_t cap, size_t *len, uint64_t seq,
		      int64_t time_ms, const char *type,
		      const struct audit_field *fields, size_t nfields,
		      const uint8_t prev[static AUDIT_MAC_LEN]);

/* Appends ,"mac":"hex"}\n to the body in buf (cap bytes, body *len long)
 * and updates *len. Returns 0 or FGW_ERR_TOO_LARGE. */
int audit_format_tail(char *buf, size_t cap, size_t *len,
		      const uint8_t mac[static AUDIT_MAC_LEN]);

/* Parses the leading {"seq":N of a line. Returns 0 or FGW_ERR_PARSE. */
int audit_parse_seq(const char *line, size_t len, uint64_t *seq);

#endif
