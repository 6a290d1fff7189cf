/* The web server's TLS: the server key and certificate in DATA/tls/
 * (server.key 0600, server.crt), a self-signed one made on first start when
 * none exists, an admin's own pair installed by `faxgw tls install`, and
 * the SSL_CTX (TLS 1.2 and 1.3 only, ECDHE with AES-GCM or ChaCha20). */
#ifndef FAXGW_WEB_TLS_H
#define FAXGW_WEB_TLS_H

#include <stddef.h>

typedef struct ssl_ctx_st SSL_CTX;

#define WEB_TLS_DIR  "tls"
#define WEB_TLS_CERT "server.crt"
#define WEB_TLS_KEY  "server.key"

/* Makes sure data_dir/tls holds a key and certificate: when neither
 * exists, creates a self-signed one (ECDSA P-256, SAN localhost,
 * 127.0.0.1, ::1, valid two years). Returns 0 (created says whether one was
 * made; may be NULL) or an FGW_ERR_* code after logging what failed. */
int web_tls_ensure(const char *data_dir, int *created);

/* Checks that cert_path holds a PEM certificate (chain allowed), key_path a
 * PEM private key, that they match and the certificate has not expired.
 * Returns 0, or FGW_ERR_PARSE / FGW_ERR_MISMATCH / FGW_ERR_RANGE with a
 * sentence for the user in why. */
int web_tls_check_pair(const char *cert_path, const char *key_path, char *why,
		       size_t why_size);

/* Checks the pair, then copies it into data_dir/tls (0600 each, replaced
 * atomically). Returns 0 or an error with why filled. */
int web_tls_install(const char *data_dir, const char *cert_path, const char *key_path,
		    char *why, size_t why_size);

/* A server context from data_dir/tls. Returns 0 and *out (SSL_CTX_free)
 * or an error after logging it. */
int web_tls_ctx_new(const char *data_dir, SSL_CTX **out);

#endif
