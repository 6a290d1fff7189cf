/* SIP digest: RFC 7616 3.9.1 and RFC 2617 3.5 test vectors, answers
 * recomputed here with plain OpenSSL EVP one-shots, the parser (exact
 * errors), the nonce server (stale, replay, foreign nonce) and the client. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "common/err.h"
#include "gateway/sip_digest.h"

/* RFC 7616 3.9.1 */
#define R_USER "Mufasa"
#define R_REALM "http-auth@example.org"
#define R_PASS "Circle of Life"
#define R_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define R_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define R_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define R_URI "/dir/index.html"

/* hex(H(s)) with a single EVP_Digest call: independent of the module's
 * streaming code. */
static void evp_hex(const EVP_MD *md, const char *s, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	cr_assert_eq(EVP_Digest(s, strlen(s), d, &n, md, NULL), 1);
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(snprintf(out + 2 * i, 3, "%02x", d[i]), 2);
}

/* The qop=auth response computed from scratch. */
static void expected_response(const EVP_MD *md, const char *user, const char *realm,
			      const char *pw, const char *nonce, const char *nc,
			      const char *cnonce, const char *method, const char *uri,
			      char out[65])
{
	char a1[512], ha1[65], a2[512], ha2[65], all[1024];

	cr_assert_lt(snprintf(a1, sizeof a1, "%s:%s:%s", user, realm, pw), (int)sizeof a1);
	evp_hex(md, a1, ha1);
	cr_assert_lt(snprintf(a2, sizeof a2, "%s:%s", method, uri), (int)sizeof a2);
	evp_hex(md, a2, ha2);
	cr_assert_lt(snprintf(all, sizeof all, "%s:%s:%s:%s:auth:%s", ha1, nonce, nc, cnonce,
			      ha2), (int)sizeof all);
	evp_hex(md, all, out);
}

Test(sip_digest, rfc7616_md5_vector)
{
	char ha1[65], resp[65];

	cr_assert_eq(sip_digest_ha1(SIP_DIGEST_MD5, R_USER, R_REALM, R_PASS, ha1, sizeof ha1), 0);
	cr_assert_eq(sip_digest_response(SIP_DIGEST_MD5, ha1, R_NONCE, 1, R_CNONCE, "GET", R_URI,
					 resp, sizeof resp), 0);
	cr_assert_str_eq(resp, "8ca523f5e9506fed4657c9700eebdbec");
}

Test(sip_digest, rfc7616_sha256_vector)
{
	char ha1[65], resp[65];

	cr_assert_eq(sip_digest_ha1(SIP_DIGEST_SHA256, R_USER, R_REALM, R_PASS, ha1, sizeof ha1),
		     0);
	cr_assert_eq(sip_digest_response(SIP_DIGEST_SHA256, ha1, R_NONCE, 1, R_CNONCE, "GET",
					 R_URI, resp, sizeof resp), 0);
	cr_assert_str_eq(resp, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

Test(sip_digest, rfc2617_md5_vector)
{
	char ha1[65], resp[65];

	cr_assert_eq(sip_digest_ha1(SIP_DIGEST_MD5, "Mufasa", "testrealm@host.com",
				    "Circle Of Life", ha1, sizeof ha1), 0);
	cr_assert_eq(sip_digest_response(SIP_DIGEST_MD5, ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093",
					 1, "0a4f113b", "GET", R_URI, resp, sizeof resp), 0);
	cr_assert_str_eq(resp, "6629fae49393a05397450978507c4ef1");
}

Test(sip_digest, response_matches_independent_evp_for_sip_values)
{
	char ha1[65], resp[65], want[65];

	cr_assert_eq(sip_digest_ha1(SIP_DIGEST_SHA256, "mfp1", "faxgw", "s3cret-pass", ha1,
				    sizeof ha1), 0);
	cr_assert_eq(sip_digest_response(SIP_DIGEST_SHA256, ha1, "abc", 0x1a, "xyz", "REGISTER",
					 "sip:127.0.0.1:5060", resp, sizeof resp), 0);
	expected_response(EVP_sha256(), "mfp1", "faxgw", "s3cret-pass", "abc", "0000001a", "xyz",
			  "REGISTER", "sip:127.0.0.1:5060", want);
	cr_assert_str_eq(resp, want);
}

Test(sip_digest, ha1_refuses_small_buffer)
{
	char small[33];

	cr_assert_eq(sip_digest_ha1(SIP_DIGEST_MD5, "a", "b", "c", small, sizeof small),
		     FGW_ERR_INVALID);
}

/* ---- parser ------------------------------------------------------------- */

static int parse(const char *s, struct sip_digest_params *p)
{
	return sip_digest_parse(s, strlen(s), p);
}

Test(sip_digest, parses_rfc7616_authorization)
{
	struct sip_digest_params p;
	const char *h = "Digest username=\"Mufasa\",\r\n realm=\"http-auth@example.org\", "
			"uri=\"/dir/index.html\", algorithm=SHA-256, nonce=\"" R_NONCE "\", "
			"nc=00000001, cnonce=\"" R_CNONCE "\", qop=auth, "
			"response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\", "
			"opaque=\"" R_OPAQUE "\"";

	cr_assert_eq(parse(h, &p), 0);
	cr_assert_str_eq(p.username, "Mufasa");
	cr_assert_str_eq(p.realm, R_REALM);
	cr_assert_str_eq(p.uri, R_URI);
	cr_assert_eq(p.alg, SIP_DIGEST_SHA256);
	cr_assert(p.alg_known);
	cr_assert(p.has_nc);
	cr_assert_eq(p.nc, 1);
	cr_assert_str_eq(p.cnonce, R_CNONCE);
	cr_assert_str_eq(p.qop, "auth");
	cr_assert_str_eq(p.opaque, R_OPAQUE);
}

Test(sip_digest, parses_challenge_with_stale_and_qop_list)
{
	struct sip_digest_params p;

	cr_assert_eq(parse("digest realm=\"a\\\"b\", nonce=\"n\", qop=\"auth,auth-int\", "
			   "stale=TRUE, extra=whatever", &p), 0);
	cr_assert_str_eq(p.realm, "a\"b");
	cr_assert(p.stale);
	cr_assert_eq(p.alg, SIP_DIGEST_MD5);
	cr_assert_str_eq(p.qop, "auth,auth-int");
	cr_assert(!p.has_nc);
}

Test(sip_digest, parse_errors_are_exact)
{
	struct sip_digest_params p;
	char big[SIP_DIGEST_HEADER_MAX + 2];
	char longval[400];

	cr_assert_eq(parse("Basic realm=\"x\"", &p), FGW_ERR_UNSUPPORTED);
	cr_assert_eq(parse("", &p), FGW_ERR_PARSE);
	cr_assert_eq(parse("Digest", &p), FGW_ERR_PARSE);
	cr_assert_eq(parse("Digest realm", &p), FGW_ERR_PARSE);
	cr_assert_eq(parse("Digest realm=\"open", &p), FGW_ERR_PARSE);
	cr_assert_eq(parse("Digest realm=\"a\" nonce=\"b\"", &p), FGW_ERR_PARSE);
	cr_assert_eq(parse("Digest realm=\"a\", realm=\"b\"", &p), FGW_ERR_PARSE);
	cr_assert_eq(parse("Digest nc=1", &p), FGW_ERR_PARSE);
	cr_assert_eq(parse("Digest nc=0000000g", &p), FGW_ERR_PARSE);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	cr_assert_eq(parse(big, &p), FGW_ERR_TOO_LARGE);
	memset(longval, 'x', sizeof longval);
	memcpy(longval, "Digest nonce=", 13);
	longval[sizeof longval - 1] = '\0';
	cr_assert_eq(parse(longval, &p), FGW_ERR_TOO_LARGE);
}

Test(sip_digest, unknown_algorithm_is_marked)
{
	struct sip_digest_params p;

	cr_assert_eq(parse("Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess", &p), 0);
	cr_assert(!p.alg_known);
	cr_assert_eq(sip_digest_client_rank(&p), 0);
}

/* ---- server ------------------------------------------------------------- */

struct fixture {
	struct sip_digest_server *srv;
	char ha1[2][65];
};

static void setup_server(struct fixture *f)
{
	cr_assert_eq(sip_digest_server_new("faxgw", 300000, &f->srv), 0);
	cr_assert_eq(sip_digest_ha1(SIP_DIGEST_MD5, "mfp1", "faxgw", "right-password",
				    f->ha1[SIP_DIGEST_MD5], 65), 0);
	cr_assert_eq(sip_digest_ha1(SIP_DIGEST_SHA256, "mfp1", "faxgw", "right-password",
				    f->ha1[SIP_DIGEST_SHA256], 65), 0);
}

/* Challenge -> parse -> client answer -> parse: credentials as sent. */
static void answer(struct fixture *f, enum sip_digest_alg alg, int64_t now, const char *pw,
		   uint32_t nc, struct sip_digest_params *cred)
{
	char ch[512], auth[1024];
	struct sip_digest_params chp;

	cr_assert_eq(sip_digest_server_challenge(f->srv, alg, false, now, ch, sizeof ch), 0);
	cr_assert_eq(parse(ch, &chp), 0);
	cr_assert_eq(chp.alg, alg);
	cr_assert_eq(sip_digest_client_answer(&chp, "REGISTER", "sip:127.0.0.1", "mfp1", pw,
					      nc, NULL, auth, sizeof auth), 0);
	cr_assert_eq(parse(auth, cred), 0);
}

Test(sip_digest, challenge_has_realm_nonce_algorithm_qop)
{
	struct fixture f;
	char ch[512];
	struct sip_digest_params p;

	setup_server(&f);
	cr_assert_eq(sip_digest_server_challenge(f.srv, SIP_DIGEST_SHA256, true, 1000, ch,
						 sizeof ch), 0);
	cr_assert_eq(parse(ch, &p), 0);
	cr_assert_str_eq(p.realm, "faxgw");
	cr_assert_eq(strlen(p.nonce), SIP_DIGEST_NONCE_LEN);
	cr_assert_str_eq(p.qop, "auth");
	cr_assert(p.stale);
	cr_assert_eq(sip_digest_client_rank(&p), 2);
	sip_digest_server_free(f.srv);
}

Test(sip_digest, right_password_accepted_both_algorithms)
{
	struct fixture f;
	struct sip_digest_params c;

	setup_server(&f);
	answer(&f, SIP_DIGEST_MD5, 1000, "right-password", 1, &c);
	cr_assert_eq(sip_digest_server_verify(f.srv, &c, "REGISTER", f.ha1[0], 2000), 0);
	answer(&f, SIP_DIGEST_SHA256, 1000, "right-password", 1, &c);
	cr_assert_eq(sip_digest_server_verify(f.srv, &c, "REGISTER", f.ha1[1], 2000), 0);
	sip_digest_server_free(f.srv);
}

Test(sip_digest, wrong_password_refused)
{
	struct fixture f;
	struct sip_digest_params c;

	setup_server(&f);
	answer(&f, SIP_DIGEST_SHA256, 1000, "wrong-password", 1, &c);
	cr_assert_eq(sip_digest_server_verify(f.srv, &c, "REGISTER", f.ha1[1], 2000),
		     FGW_ERR_BAD_PASSWORD);
	sip_digest_server_free(f.srv);
}

Test(sip_digest, method_is_bound)
{
	struct fixture f;
	struct sip_digest_params c;

	setup_server(&f);
	answer(&f, SIP_DIGEST_MD5, 1000, "right-password", 1, &c);
	cr_assert_eq(sip_digest_server_verify(f.srv, &c, "INVITE", f.ha1[0], 2000),
		     FGW_ERR_BAD_PASSWORD);
	sip_digest_server_free(f.srv);
}

Test(sip_digest, old_nonce_is_stale)
{
	struct fixture f;
	struct sip_digest_params c;

	setup_server(&f);
	answer(&f, SIP_DIGEST_MD5, 1000, "right-password", 1, &c);
	cr_assert_eq(sip_digest_server_verify(f.srv, &c, "REGISTER", f.ha1[0], 1000 + 300001),
		     FGW_ERR_TIMEOUT);
	sip_digest_server_free(f.srv);
}

Test(sip_digest, replayed_nc_refused_growing_nc_accepted)
{
	struct fixture f;
	struct sip_digest_params c;
	char resp[65];

	setup_server(&f);
	answer(&f, SIP_DIGEST_SHA256, 1000, "right-password", 1, &c);
	cr_assert_eq(sip_digest_server_verify(f.srv, &c, "REGISTER", f.ha1[1], 1500), 0);
	cr_assert_eq(sip_digest_server_verify(f.srv, &c, "REGISTER", f.ha1[1], 1600),
		     FGW_ERR_REORDERED);
	c.nc = 2;
	cr_assert_eq(sip_digest_response(SIP_DIGEST_SHA256, f.ha1[1], c.nonce, 2, c.cnonce,
					 "REGISTER", c.uri, resp, sizeof resp), 0);
	memcpy(c.response, resp, sizeof resp);
	cr_assert_eq(sip_digest_server_verify(f.srv, &c, "REGISTER", f.ha1[1], 1700), 0);
	sip_digest_server_free(f.srv);
}

/* Recomputes c's response for its current fields with the right HA1. */
static void resign(struct fixture *f, struct sip_digest_params *c)
{
	cr_assert_eq(sip_digest_response(c->alg, f->ha1[c->alg], c->nonce, c->nc, c->cnonce,
					 "REGISTER", c->uri, c->response, sizeof c->response), 0);
}

Test(sip_digest, altered_or_foreign_nonce_refused)
{
	struct fixture f, g;
	struct sip_digest_params c, d;

	setup_server(&f);
	setup_server(&g);
	answer(&f, SIP_DIGEST_MD5, 1000, "right-password", 1, &c);
	/* another server's secret (e.g. before a restart) */
	cr_assert_eq(sip_digest_server_verify(g.srv, &c, "REGISTER", g.ha1[0], 1100),
		     FGW_ERR_AUTH);
	/* algorithm switched: the nonce was issued for MD5 */
	d = c;
	d.alg = SIP_DIGEST_SHA256;
	resign(&f, &d);
	cr_assert_eq(sip_digest_server_verify(f.srv, &d, "REGISTER", f.ha1[1], 1100),
		     FGW_ERR_AUTH);
	d = c;
	d.nonce[3] = d.nonce[3] == '0' ? '1' : '0';
	resign(&f, &d);
	cr_assert_eq(sip_digest_server_verify(f.srv, &d, "REGISTER", f.ha1[0], 1100),
		     FGW_ERR_AUTH);
	/* altered without the password: the response no longer matches */
	d = c;
	d.nonce[3] = d.nonce[3] == '0' ? '1' : '0';
	cr_assert_eq(sip_digest_server_verify(f.srv, &d, "REGISTER", f.ha1[0], 1100),
		     FGW_ERR_BAD_PASSWORD);
	/* the untouched one still works */
	cr_assert_eq(sip_digest_server_verify(f.srv, &c, "REGISTER", f.ha1[0], 1100), 0);
	sip_digest_server_free(f.srv);
	sip_digest_server_free(g.srv);
}

Test(sip_digest, incomplete_or_other_realm_is_parse_error)
{
	struct fixture f;
	struct sip_digest_params c, d;

	setup_server(&f);
	answer(&f, SIP_DIGEST_MD5, 1000, "right-password", 1, &c);
	d = c;
	cr_assert_eq(parse("Digest realm=\"other\"", &d), 0);
	memcpy(d.username, c.username, sizeof d.username);
	cr_assert_eq(sip_digest_server_verify(f.srv, &d, "REGISTER", f.ha1[0], 1100),
		     FGW_ERR_PARSE);
	d = c;
	d.has_nc = false;
	cr_assert_eq(sip_digest_server_verify(f.srv, &d, "REGISTER", f.ha1[0], 1100),
		     FGW_ERR_PARSE);
	d = c;
	d.qop[0] = '\0';
	cr_assert_eq(sip_digest_server_verify(f.srv, &d, "REGISTER", f.ha1[0], 1100),
		     FGW_ERR_PARSE);
	sip_digest_server_free(f.srv);
}

Test(sip_digest, evicted_nonce_is_stale)
{
	struct fixture f;
	struct sip_digest_params c;
	char ch[512];

	setup_server(&f);
	answer(&f, SIP_DIGEST_MD5, 1000, "right-password", 1, &c);
	for (int i = 0; i < SIP_DIGEST_NONCE_SLOTS; i++)
		cr_assert_eq(sip_digest_server_challenge(f.srv, SIP_DIGEST_MD5, false, 1000, ch,
							 sizeof ch), 0);
	cr_assert_eq(sip_digest_server_verify(f.srv, &c, "REGISTER", f.ha1[0], 1100),
		     FGW_ERR_TIMEOUT);
	sip_digest_server_free(f.srv);
}

Test(sip_digest, server_refuses_bad_realm)
{
	struct sip_digest_server *s = NULL;

	cr_assert_eq(sip_digest_server_new("", 1000, &s), FGW_ERR_INVALID);
	cr_assert_eq(sip_digest_server_new("a\"b", 1000, &s), FGW_ERR_INVALID);
	cr_assert_null(s);
}

/* ---- client ------------------------------------------------------------- */

Test(sip_digest, client_answer_matches_rfc7616_vector)
{
	struct sip_digest_params ch, cred;
	char auth[1024];

	cr_assert_eq(parse("Digest realm=\"" R_REALM "\", qop=\"auth, auth-int\", "
			   "algorithm=SHA-256, nonce=\"" R_NONCE "\", opaque=\"" R_OPAQUE "\"",
			   &ch), 0);
	cr_assert_eq(sip_digest_client_answer(&ch, "GET", R_URI, R_USER, R_PASS, 1, R_CNONCE,
					      auth, sizeof auth), 0);
	cr_assert_eq(parse(auth, &cred), 0);
	cr_assert_str_eq(cred.response,
			 "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
	cr_assert_str_eq(cred.opaque, R_OPAQUE);
	cr_assert_str_eq(cred.qop, "auth");
	cr_assert_eq(cred.nc, 1);
	cr_assert_str_eq(cred.username, R_USER);
}

Test(sip_digest, client_without_qop_uses_rfc2069)
{
	struct sip_digest_params ch, cred;
	char auth[1024], a1[65], a2[65], all[256], want[65];

	cr_assert_eq(parse("Digest realm=\"r\", nonce=\"n1\"", &ch), 0);
	cr_assert_eq(sip_digest_client_answer(&ch, "REGISTER", "sip:x", "u", "pw", 1, NULL,
					      auth, sizeof auth), 0);
	cr_assert_eq(parse(auth, &cred), 0);
	cr_assert_eq(cred.qop[0], '\0');
	cr_assert(!cred.has_nc);
	evp_hex(EVP_md5(), "u:r:pw", a1);
	evp_hex(EVP_md5(), "REGISTER:sip:x", a2);
	cr_assert_lt(snprintf(all, sizeof all, "%s:n1:%s", a1, a2), (int)sizeof all);
	evp_hex(EVP_md5(), all, want);
	cr_assert_str_eq(cred.response, want);
}

Test(sip_digest, client_refuses_unanswerable)
{
	struct sip_digest_params ch;
	char auth[1024];

	cr_assert_eq(parse("Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"", &ch), 0);
	cr_assert_eq(sip_digest_client_answer(&ch, "REGISTER", "sip:x", "u", "pw", 1, NULL,
					      auth, sizeof auth), FGW_ERR_UNSUPPORTED);
	cr_assert_eq(parse("Digest realm=\"r\", nonce=\"n\"", &ch), 0);
	cr_assert_eq(sip_digest_client_answer(&ch, "REGISTER", "sip:x", "u\"", "pw", 1, NULL,
					      auth, sizeof auth), FGW_ERR_INVALID);
	cr_assert_eq(sip_digest_client_answer(&ch, "REGISTER", "sip:x", "u", "pw", 1, NULL,
					      auth, 40), FGW_ERR_TOO_LARGE);
}
