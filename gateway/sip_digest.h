/* SIP digest authentication (RFC 3261 22, RFC 7616 with RFC 8760's
 * SHA-256 for SIP): qop=auth only, MD5 and SHA-256.
 *
 * Three parts, all free of daemon state so tests and the fuzzer link them
 * alone:
 *  - a bounded parser of one challenge or credentials header value
 *    ("Digest realm=\"x\", nonce=\"...\", ...");
 *  - the hash arithmetic (HA1, response) over OpenSSL EVP, hex strings;
 *  - a server (nonce issuer and checker) and a client (answer to a
 *    challenge, for the trunk registration).
 *
 * Server nonces are stateless to check and bounded to remember: a nonce is
 * hex(issue time ms, 8 bytes | issue counter, 8 bytes | HMAC-SHA256(secret,
 * time | counter | algorithm), first 16 bytes); the secret is random per
 * server. A nonce older than its lifetime is "stale" (the client retries
 * with the same password, RFC 7616 3.3 stale=true). The server keeps the
 * highest nonce count (nc) seen for its last SIP_DIGEST_NONCE_SLOTS nonces in
 * a ring indexed by the counter; a nonce whose slot was reused is treated
 * as stale, so a replayed nc can never be accepted. */
#ifndef FAXGW_GATEWAY_SIP_DIGEST_H
#define FAXGW_GATEWAY_SIP_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIP_DIGEST_VALUE_MAX 255      /* bytes of one parameter value */
#define SIP_DIGEST_HEADER_MAX 2048    /* bytes of one header value */
#define SIP_DIGEST_HEX_MAX 64         /* hex digits of a SHA-256 digest */
#define SIP_DIGEST_NONCE_LEN 64       /* hex digits of our nonces */
#define SIP_DIGEST_NONCE_SLOTS 4096   /* nonces whose nc the server tracks */

enum sip_digest_alg {
	SIP_DIGEST_MD5 = 0,
	SIP_DIGEST_SHA256 = 1,
};

/* One parsed WWW-Authenticate / Proxy-Authenticate challenge or
 * Authorization / Proxy-Authorization credentials. Values are unquoted and
 * unescaped; an absent parameter is "". */
struct sip_digest_params {
	char username[SIP_DIGEST_VALUE_MAX + 1];
	char realm[SIP_DIGEST_VALUE_MAX + 1];
	char nonce[SIP_DIGEST_VALUE_MAX + 1];
	char uri[SIP_DIGEST_VALUE_MAX + 1];
	char response[SIP_DIGEST_VALUE_MAX + 1];
	char cnonce[SIP_DIGEST_VALUE_MAX + 1];
	char opaque[SIP_DIGEST_VALUE_MAX + 1];
	char qop[SIP_DIGEST_VALUE_MAX + 1];    /* challenge: a list, "auth,auth-int" */
	enum sip_digest_alg alg;               /* MD5 when the parameter is absent */
	bool alg_known;                        /* false: algorithm we do not do */
	bool stale;
	bool has_nc;
	uint32_t nc;                           /* nc=00000001 -> 1 */
};

/* Parses one header value of scheme Digest. Returns 0, FGW_ERR_UNSUPPORTED
 * (another scheme, e.g. Basic), FGW_ERR_TOO_LARGE (value over
 * SIP_DIGEST_HEADER_MAX or a parameter over SIP_DIGEST_VALUE_MAX) or
 * FGW_ERR_PARSE (syntax, a parameter twice, nc not 8 hex digits). *out is
 * filled only on success. */
int sip_digest_parse(const char *value, size_t len, struct sip_digest_params *out);

/* Returns the algorithm's name as written on the wire ("MD5", "SHA-256"). */
const char *sip_digest_alg_name(enum sip_digest_alg alg);

/* Writes HA1 = H(user:realm:password) as lower-case hex into out
 * (33 or 65 bytes with the NUL; size >= SIP_DIGEST_HEX_MAX + 1). Returns 0,
 * FGW_ERR_INVALID or FGW_ERR_CRYPTO. The caller wipes password and out. */
int sip_digest_ha1(enum sip_digest_alg alg, const char *user, const char *realm,
		   const char *password, char *out, size_t size);

/* Writes the qop=auth response H(HA1:nonce:nc:cnonce:auth:H(method:uri))
 * as hex into out (size >= SIP_DIGEST_HEX_MAX + 1); nc is the 8-digit
 * form. Returns 0, FGW_ERR_INVALID or FGW_ERR_CRYPTO. */
int sip_digest_response(enum sip_digest_alg alg, const char *ha1_hex, const char *nonce,
			uint32_t nc, const char *cnonce, const char *method,
			const char *uri, char *out, size_t size);

/* ---- server ---------------------------------------------------------- */

struct sip_digest_server;

/* Makes a server for realm with a fresh random secret; nonces live
 * lifetime_ms. Returns 0 and *out (sip_digest_server_free), FGW_ERR_INVALID
 * (realm empty, over SIP_DIGEST_VALUE_MAX or holding '"' or '\\'),
 * FGW_ERR_NOMEM or FGW_ERR_CRYPTO. */
int sip_digest_server_new(const char *realm, int64_t lifetime_ms,
			  struct sip_digest_server **out);

/* Wipes the secret and frees. NULL is fine. */
void sip_digest_server_free(struct sip_digest_server *srv);

/* Returns the realm, owned by srv. */
const char *sip_digest_server_realm(const struct sip_digest_server *srv);

/* Writes one challenge header value (after "WWW-Authenticate: ") for alg
 * with a new nonce issued at now_ms: Digest realm, nonce, algorithm,
 * qop="auth", and stale=true when stale. Returns 0 or FGW_ERR_TOO_LARGE /
 * FGW_ERR_CRYPTO. */
int sip_digest_server_challenge(struct sip_digest_server *srv, enum sip_digest_alg alg,
				bool stale, int64_t now_ms, char *buf, size_t size);

/* Checks credentials cred for method at now_ms against ha1_hex, the stored
 * HA1 of cred->username under this realm for cred->alg. Checks, in order:
 * realm, qop=auth with nc and cnonce, the response (constant time), our
 * nonce (MAC, bound to the algorithm), then the nonce's age and the nc
 * (must grow; recorded only on success). Returns:
 *   0                    authenticated;
 *   FGW_ERR_PARSE        credentials incomplete or for another realm/qop;
 *   FGW_ERR_BAD_PASSWORD the response is wrong;
 *   FGW_ERR_AUTH         right response, but a nonce we did not issue (or
 *                        altered, or from before a restart): challenge
 *                        again, stale=true;
 *   FGW_ERR_TIMEOUT      right response, stale nonce: challenge stale=true;
 *   FGW_ERR_REORDERED    right response, nc not above the last one (replay). */
int sip_digest_server_verify(struct sip_digest_server *srv,
			     const struct sip_digest_params *cred, const char *method,
			     const char *ha1_hex, int64_t now_ms);

/* ---- client ---------------------------------------------------------- */

/* Ranks a parsed challenge for a client: 2 for SHA-256, 1 for MD5, 0 when
 * we cannot answer it (unknown algorithm, or qop offered without auth). A
 * client answers the highest-ranked challenge. */
int sip_digest_client_rank(const struct sip_digest_params *challenge);

/* Writes the credentials header value answering challenge for method and
 * uri as user/password, with nonce count nc and client nonce cnonce (NULL:
 * a random one). Uses qop=auth when the challenge offers it, the RFC 2069
 * form when it offers none. Returns 0, FGW_ERR_UNSUPPORTED (rank 0),
 * FGW_ERR_INVALID (a value holding '"' or '\\', or CR/LF), FGW_ERR_TOO_LARGE
 * or FGW_ERR_CRYPTO. The password's copies are wiped. */
int sip_digest_client_answer(const struct sip_digest_params *challenge, const char *method,
			     const char *uri, const char *user, const char *password,
			     uint32_t nc, const char *cnonce, char *buf, size_t size);

#endif
