/* Erasure certificates: a valid one verifies; any altered field, another
 * key, or a malformed file is refused with its own reason. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/cert.h"
#include "storage/keys.h"

static char tmpdir[256];
static struct keys *keys;
static char pem[512];
static char *json, *text;
static const struct cert_info info = {
	.scope = "document", .target = "0123456789abcdef0123456789abcdef", .documents = 1,
	.mailboxes = 0, .files = 1, .bytes_overwritten = 4242, .keys_destroyed = 1,
	.started_ms = 1700000000123, .finished_ms = 1700000000456,
};

static void setup(void)
{
	log_init("test_cert", true, LOG_LEVEL_ERROR);
	cr_assert_eq(str_copy(tmpdir, sizeof tmpdir, "/tmp/fgw-cert-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(tmpdir));
	cr_assert_eq(keys_create(tmpdir), 0);
	cr_assert_eq(keys_load(tmpdir, &keys), 0);
	cr_assert_eq(keys_public_pem(keys, pem, sizeof pem), 0);
	cr_assert_eq(cert_make(keys, &info, &json, &text), 0);
}

static void teardown(void)
{
	char cmd[400];

	free(json);
	free(text);
	keys_free(keys);
	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmpdir), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(cert, .init = setup, .fini = teardown);

/* Returns a copy of json with the first `from` replaced by `to`. */
static char *replaced(const char *from, const char *to)
{
	const char *at = strstr(json, from);
	size_t n = strlen(json) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);

	cr_assert_not_null(at, "'%s' not in %s", from, json);
	cr_assert_not_null(out);
	memcpy(out, json, (size_t)(at - json));
	memcpy(out + (at - json), to, strlen(to));
	memcpy(out + (at - json) + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
	return out;
}

static int verify(const char *j, char *why)
{
	return cert_verify(j, strlen(j), pem, why, CERT_WHY_MAX);
}

Test(cert, valid_certificate_verifies)
{
	char why[CERT_WHY_MAX];

	cr_assert_eq(verify(json, why), 0);
	cr_assert_str_eq(why, "valid");
}

Test(cert, holds_the_expected_fields)
{
	cr_assert_not_null(strstr(json, "\"scope\":\"document\""));
	cr_assert_not_null(strstr(json, "\"bytes_overwritten\":4242"));
	cr_assert_not_null(strstr(json, "\"started\":\"2023-11-14T22:13:20.123Z\""));
	cr_assert_not_null(strstr(json, "\"finished\":\"2023-11-14T22:13:20.456Z\""));
	cr_assert_not_null(strstr(json, "NIST SP 800-88"));
	cr_assert_not_null(strstr(json, keys_device_id(keys)));
	cr_assert_not_null(strstr(text, "FAXGW ERASURE CERTIFICATE"));
	cr_assert_not_null(strstr(text, "Documents erased:   1"));
}

Test(cert, reformatted_certificate_still_verifies)
{
	char *spaced = malloc(strlen(json) * 2 + 1), why[CERT_WHY_MAX];
	size_t n = 0;
	bool in_str = false;

	cr_assert_not_null(spaced);
	for (const char *p = json; *p != '\0'; p++) {
		if (*p == '"' && (p == json || p[-1] != '\\'))
			in_str = !in_str;
		spaced[n++] = *p;
		if (!in_str && (*p == ',' || *p == ':' || *p == '{'))
			spaced[n++] = '\n';
	}
	spaced[n] = '\0';
	cr_assert_eq(verify(spaced, why), 0, "%s", why);
	free(spaced);
}

#define TAMPER(test, from, to)                                            \
	Test(cert, test)                                                  \
	{                                                                 \
		char *bad = replaced(from, to), why[CERT_WHY_MAX];        \
		cr_assert_eq(verify(bad, why), FGW_ERR_TAMPERED, "%s", why); \
		cr_assert_not_null(strstr(why, "tampered"));              \
		free(bad);                                                \
	}

TAMPER(altered_scope_fails, "\"scope\":\"document\"", "\"scope\":\"retention\"")
TAMPER(altered_target_fails, "\"target\":\"0123", "\"target\":\"1123")
TAMPER(altered_document_count_fails, "\"documents\":1", "\"documents\":2")
TAMPER(altered_byte_count_fails, "\"bytes_overwritten\":4242", "\"bytes_overwritten\":4243")
TAMPER(altered_file_count_fails, "\"files\":1", "\"files\":0")
TAMPER(altered_key_count_fails, "\"keys_destroyed\":1", "\"keys_destroyed\":3")
TAMPER(altered_start_time_fails, "20.123Z", "20.124Z")
TAMPER(altered_end_time_fails, "20.456Z", "21.456Z")
TAMPER(altered_method_fails, "overwritten once", "overwritten twice")
TAMPER(altered_version_fails, "\"certificate\":\"faxgw erasure certificate\"",
       "\"certificate\":\"faxgw erasure certificate\",\"extra\":\"x\"")

Test(cert, altered_device_id_fails)
{
	char *bad = replaced(keys_device_id(keys), "00000000000000000000000000000000");
	char why[CERT_WHY_MAX];

	cr_assert_eq(verify(bad, why), FGW_ERR_TAMPERED);
	free(bad);
}

Test(cert, altered_signature_fails)
{
	const char *sig = strstr(json, "\"signature\":\"") + 13;
	char *bad = strdup(json), why[CERT_WHY_MAX];

	cr_assert_not_null(bad);
	bad[sig - json + 3] = bad[sig - json + 3] == 'A' ? 'B' : 'A';
	cr_assert_eq(verify(bad, why), FGW_ERR_TAMPERED);
	free(bad);
}

Test(cert, wrong_key_is_named)
{
	char other[300], cmd[700], other_pem[512], why[CERT_WHY_MAX];
	struct keys *k2;

	cr_assert_eq(str_format(other, sizeof other, "%s/other", tmpdir), 0);
	cr_assert_eq(mkdir(other, 0700), 0);
	cr_assert_eq(keys_create(other), 0);
	cr_assert_eq(keys_load(other, &k2), 0);
	cr_assert_eq(keys_public_pem(k2, other_pem, sizeof other_pem), 0);
	keys_free(k2);
	cr_assert_eq(cert_verify(json, strlen(json), other_pem, why, sizeof why), FGW_ERR_MISMATCH);
	cr_assert_not_null(strstr(why, "wrong key"));
	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", other), 0);
	cr_assert_eq(system(cmd), 0);
}

Test(cert, forged_signer_fingerprint_still_fails)
{
	const char *fp = strstr(json, "\"signer_key_sha256\":\"") + 21;
	char *bad = strdup(json), why[CERT_WHY_MAX];

	cr_assert_not_null(bad);
	bad[fp - json] = bad[fp - json] == '0' ? '1' : '0';
	cr_assert_eq(verify(bad, why), FGW_ERR_MISMATCH);
	free(bad);
}

Test(cert, malformed_inputs_are_refused)
{
	char why[CERT_WHY_MAX];
	char *cut = strdup(json), *missing = replaced("\"scope\":\"document\",", "");

	cr_assert_not_null(cut);
	cut[strlen(cut) / 2] = '\0';
	cr_assert_eq(verify(cut, why), FGW_ERR_PARSE);
	cr_assert_not_null(strstr(why, "malformed"));
	cr_assert_eq(verify(missing, why), FGW_ERR_PARSE);
	cr_assert_eq(verify("[1,2]", why), FGW_ERR_PARSE);
	cr_assert_eq(verify("", why), FGW_ERR_PARSE);
	cr_assert_eq(verify("{\"a\":{\"b\":{\"c\":1}}}", why), FGW_ERR_PARSE);
	cr_assert_eq(verify("{\"a\":1,\"a\":1}", why), FGW_ERR_PARSE);
	cr_assert_eq(verify("{\"a\":01}", why), FGW_ERR_PARSE);
	cr_assert_eq(cert_verify(json, strlen(json), "not a key", why, sizeof why), FGW_ERR_PARSE);
	free(cut);
	free(missing);
}

Test(cert, written_files_verify)
{
	char path[4200], pub[400], txt[4200], why[CERT_WHY_MAX];
	struct stat st;

	cr_assert_eq(cert_write(keys, &info, tmpdir, path, sizeof path), 0);
	cr_assert_eq(str_format(pub, sizeof pub, "%s/%s", tmpdir, KEYS_PUBLIC_FILE), 0);
	cr_assert_eq(cert_verify_files(path, pub, why, sizeof why), 0, "%s", why);
	cr_assert_eq(str_format(txt, sizeof txt, "%.*s.txt", (int)strlen(path) - 5, path), 0);
	cr_assert_eq(stat(txt, &st), 0);
	cr_assert_gt(st.st_size, 200);
	cr_assert_eq(cert_verify_files("/nonexistent/cert.json", pub, why, sizeof why),
		     FGW_ERR_NOT_FOUND);
	cr_assert_not_null(strstr(why, "cannot read"));
}
