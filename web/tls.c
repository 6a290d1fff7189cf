/* Server key and certificate, and the TLS context. */
#include "web/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"

#define CERT_DAYS 730

static int tls_path(const char *dir, const char *file, char *out, size_t size)
{
	return str_format(out, size, "%s/%s/%s", dir, WEB_TLS_DIR, file);
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return FGW_ERR_CRYPTO;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? FGW_OK : FGW_ERR_CRYPTO;
}

static int fill_cert(X509 *x, EVP_PKEY *key)
{
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	X509_NAME *name = X509_get_subject_name(x);
	int rc = FGW_ERR_CRYPTO;

	if (RAND_bytes(serial, sizeof serial) != 1)
		return FGW_ERR_CRYPTO;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof serial, NULL);
	if (bn && X509_set_version(x, X509_VERSION_3) &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), -300) &&
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)CERT_DAYS * 86400) &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				       (const unsigned char *)"faxgw", -1, -1, 0) &&
	    X509_set_issuer_name(x, name) && X509_set_pubkey(x, key))
		rc = FGW_OK;
	BN_free(bn);
	if (rc == FGW_OK)
		rc = add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
	if (rc == FGW_OK)
		rc = add_ext(x, NID_basic_constraints, "critical,CA:FALSE");
	if (rc == FGW_OK)
		rc = add_ext(x, NID_key_usage, "critical,digitalSignature");
	if (rc == FGW_OK)
		rc = add_ext(x, NID_ext_key_usage, "serverAuth");
	if (rc == FGW_OK && X509_sign(x, key, EVP_sha256()) <= 0)
		rc = FGW_ERR_CRYPTO;
	return rc;
}

/* Opens path for writing, new, mode 0600. */
static FILE *open_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fchmod(fd, 0600) != 0 || !(f = fdopen(fd, "w"))) {
		close(fd);
		return NULL;
	}
	return f;
}

static int write_pem(const char *path, EVP_PKEY *key, X509 *x)
{
	FILE *f = open_private(path);
	int ok;

	if (!f) {
		log_errno("cannot create %s", path);
		return FGW_ERR_IO;
	}
	ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
		 : PEM_write_X509(f, x);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		ok = 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		log_error("cannot write %s", path);
		return FGW_ERR_IO;
	}
	return FGW_OK;
}

static int make_self_signed(const char *key_path, const char *cert_path)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	int rc = key && x ? fill_cert(x, key) : FGW_ERR_CRYPTO;

	if (rc == FGW_OK)
		rc = write_pem(key_path, key, NULL);
	if (rc == FGW_OK)
		rc = write_pem(cert_path, NULL, x);
	if (rc == FGW_ERR_CRYPTO)
		log_error("cannot make a self-signed TLS certificate (OpenSSL error %lu)",
			  ERR_get_error());
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

int web_tls_ensure(const char *data_dir, int *created)
{
	char dir[4096], key[4200], cert[4200];
	bool have_key, have_cert;
	int rc = str_format(dir, sizeof dir, "%s/%s", data_dir, WEB_TLS_DIR);

	if (created)
		*created = 0;
	if (rc == FGW_OK)
		rc = tls_path(data_dir, WEB_TLS_KEY, key, sizeof key);
	if (rc == FGW_OK)
		rc = tls_path(data_dir, WEB_TLS_CERT, cert, sizeof cert);
	if (rc != FGW_OK)
		return rc;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_errno("cannot create %s", dir);
		return FGW_ERR_IO;
	}
	have_key = access(key, F_OK) == 0;
	have_cert = access(cert, F_OK) == 0;
	if (have_key && have_cert)
		return FGW_OK;
	if (have_key != have_cert) {
		log_error("%s holds only one of %s and %s: install a pair with 'faxgw tls "
			  "install CERT KEY', or remove the lone file to get a self-signed one",
			  dir, WEB_TLS_KEY, WEB_TLS_CERT);
		return FGW_ERR_STATE;
	}
	rc = make_self_signed(key, cert);
	if (rc == FGW_OK && created)
		*created = 1;
	return rc;
}

/* A sentence for the user; a literal format so the compiler checks it. */
#define set_why(why, size, ...)                                                   \
	do {                                                                      \
		if ((why) != NULL && (size) > 0 &&                                \
		    str_format((why), (size), __VA_ARGS__) != FGW_OK)             \
			(why)[0] = '\0';                                          \
	} while (0)

static int load_pair(const char *cert_path, const char *key_path, X509 **x, EVP_PKEY **k,
		     char *why, size_t why_size)
{
	FILE *f = fopen(cert_path, "re");

	*x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (!*x) {
		set_why(why, why_size, "%s is not a readable PEM certificate", cert_path);
		return FGW_ERR_PARSE;
	}
	f = fopen(key_path, "re");
	*k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (!*k) {
		set_why(why, why_size, "%s is not a readable, unencrypted PEM private key",
			key_path);
		return FGW_ERR_PARSE;
	}
	return FGW_OK;
}

int web_tls_check_pair(const char *cert_path, const char *key_path, char *why,
		       size_t why_size)
{
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int rc = load_pair(cert_path, key_path, &x, &k, why, why_size);

	if (rc == FGW_OK && X509_check_private_key(x, k) != 1) {
		set_why(why, why_size, "the key does not belong to the certificate %s",
			cert_path);
		rc = FGW_ERR_MISMATCH;
	}
	if (rc == FGW_OK && X509_cmp_current_time(X509_get0_notAfter(x)) <= 0) {
		set_why(why, why_size, "the certificate %s has expired", cert_path);
		rc = FGW_ERR_RANGE;
	}
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

/* Copies src to dst through dst.new, 0600, then renames. */
static int copy_private(const char *src, const char *dst)
{
	char tmp[4300], buf[8192];
	FILE *in = fopen(src, "re"), *out;
	size_t n;
	int rc = str_format(tmp, sizeof tmp, "%s.new", dst);

	if (!in)
		return FGW_ERR_IO;
	out = rc == FGW_OK ? open_private(tmp) : NULL;
	if (!out) {
		fclose(in);
		return FGW_ERR_IO;
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = FGW_ERR_IO;
	if (ferror(in) || fflush(out) != 0 || fsync(fileno(out)) != 0)
		rc = FGW_ERR_IO;
	fclose(in);
	if (fclose(out) != 0)
		rc = FGW_ERR_IO;
	if (rc == FGW_OK && rename(tmp, dst) != 0)
		rc = FGW_ERR_IO;
	if (rc != FGW_OK && unlink(tmp) != 0)
		log_debug("no %s to remove", tmp);
	OPENSSL_cleanse(buf, sizeof buf);
	return rc;
}

int web_tls_install(const char *data_dir, const char *cert_path, const char *key_path,
		    char *why, size_t why_size)
{
	char dir[4096], key[4200], cert[4200];
	int rc = web_tls_check_pair(cert_path, key_path, why, why_size);

	if (rc == FGW_OK)
		rc = str_format(dir, sizeof dir, "%s/%s", data_dir, WEB_TLS_DIR);
	if (rc == FGW_OK)
		rc = tls_path(data_dir, WEB_TLS_KEY, key, sizeof key);
	if (rc == FGW_OK)
		rc = tls_path(data_dir, WEB_TLS_CERT, cert, sizeof cert);
	if (rc != FGW_OK)
		return rc;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		set_why(why, why_size, "cannot create %s", dir);
		return FGW_ERR_IO;
	}
	rc = copy_private(key_path, key);
	if (rc == FGW_OK)
		rc = copy_private(cert_path, cert);
	if (rc != FGW_OK)
		set_why(why, why_size, "cannot write the pair into %s", dir);
	return rc;
}

int web_tls_ctx_new(const char *data_dir, SSL_CTX **out)
{
	char key[4200], cert[4200];
	SSL_CTX *ctx;
	int rc = tls_path(data_dir, WEB_TLS_KEY, key, sizeof key);

	if (rc == FGW_OK)
		rc = tls_path(data_dir, WEB_TLS_CERT, cert, sizeof cert);
	if (rc != FGW_OK)
		return rc;
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") ||
	    !SSL_CTX_set_ciphersuites(ctx, "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:"
				      "TLS_CHACHA20_POLY1305_SHA256") ||
	    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		log_error("cannot set up TLS from %s and %s (OpenSSL error %lu); "
			  "install a valid pair with 'faxgw tls install CERT KEY'", cert, key,
			  ERR_get_error());
		SSL_CTX_free(ctx);
		return FGW_ERR_CRYPTO;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
			    SSL_OP_NO_COMPRESSION);
	*out = ctx;
	return FGW_OK;
}
