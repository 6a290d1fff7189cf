/* Device keys: creation, file modes, subkeys, signing, document key wraps
 * for the inbox and for PIN-protected mailboxes. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/keys.h"

static const struct keys_scrypt fast = {10, 8, 1};
static char tmpdir[256];
static struct keys *keys;
static uint8_t doc_id[KEYS_DOC_ID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void setup(void)
{
	log_init("test_keys", true, LOG_LEVEL_ERROR);
	cr_assert_eq(str_copy(tmpdir, sizeof tmpdir, "/tmp/fgw-keys-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(tmpdir));
	cr_assert_eq(keys_create(tmpdir), 0);
	cr_assert_eq(keys_load(tmpdir, &keys), 0);
}

static void teardown(void)
{
	char cmd[400];

	keys_free(keys);
	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmpdir), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(keys, .init = setup, .fini = teardown);

static void path_of(const char *name, char *out, size_t size)
{
	cr_assert_eq(str_format(out, size, "%s/%s", tmpdir, name), 0);
}

static mode_t mode_of(const char *name)
{
	char path[400];
	struct stat st;

	path_of(name, path, sizeof path);
	cr_assert_eq(stat(path, &st), 0);
	return st.st_mode & 0777;
}

Test(keys, files_created_owner_only)
{
	char path[400];
	struct stat st;

	cr_assert_eq(mode_of(KEYS_MASTER_FILE), 0600);
	cr_assert_eq(mode_of(KEYS_SIGNING_FILE), 0600);
	cr_assert_eq(mode_of(KEYS_PUBLIC_FILE), 0644);
	path_of(KEYS_MASTER_FILE, path, sizeof path);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, KEYS_LEN);
}

Test(keys, create_refuses_to_overwrite)
{
	char path[400];
	uint8_t before[KEYS_LEN], after[KEYS_LEN];
	int fd;

	path_of(KEYS_MASTER_FILE, path, sizeof path);
	fd = open(path, O_RDONLY);
	cr_assert_eq(read(fd, before, sizeof before), KEYS_LEN);
	close(fd);
	cr_assert_eq(keys_create(tmpdir), FGW_ERR_EXISTS);
	fd = open(path, O_RDONLY);
	cr_assert_eq(read(fd, after, sizeof after), KEYS_LEN);
	close(fd);
	cr_assert_eq(memcmp(before, after, KEYS_LEN), 0);
}

Test(keys, load_refuses_group_readable_master_key)
{
	char path[400];
	struct keys *k = NULL;

	path_of(KEYS_MASTER_FILE, path, sizeof path);
	cr_assert_eq(chmod(path, 0640), 0);
	cr_assert_eq(keys_load(tmpdir, &k), FGW_ERR_PERMISSION);
	cr_assert_null(k);
	cr_assert_eq(keys_check_mode(path), FGW_ERR_PERMISSION);
}

Test(keys, load_refuses_world_readable_signing_key)
{
	char path[400];
	struct keys *k = NULL;

	path_of(KEYS_SIGNING_FILE, path, sizeof path);
	cr_assert_eq(chmod(path, 0604), 0);
	cr_assert_eq(keys_load(tmpdir, &k), FGW_ERR_PERMISSION);
}

Test(keys, load_refuses_symlinked_key)
{
	char path[400], moved[400];
	struct keys *k = NULL;

	path_of(KEYS_MASTER_FILE, path, sizeof path);
	path_of("elsewhere.key", moved, sizeof moved);
	cr_assert_eq(rename(path, moved), 0);
	cr_assert_eq(symlink(moved, path), 0);
	cr_assert_eq(keys_load(tmpdir, &k), FGW_ERR_PERMISSION);
}

Test(keys, load_reports_missing_keys)
{
	char path[400];
	struct keys *k = NULL;

	path_of(KEYS_MASTER_FILE, path, sizeof path);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(keys_load(tmpdir, &k), FGW_ERR_NOT_FOUND);
}

Test(keys, load_refuses_short_master_key)
{
	char path[400];
	struct keys *k = NULL;

	path_of(KEYS_MASTER_FILE, path, sizeof path);
	cr_assert_eq(truncate(path, 16), 0);
	cr_assert_eq(keys_load(tmpdir, &k), FGW_ERR_PARSE);
}

Test(keys, subkeys_distinct_and_stable)
{
	uint8_t a[KEYS_LEN], b[KEYS_LEN], c[KEYS_LEN], again[KEYS_LEN];
	struct keys *k2;

	cr_assert_eq(keys_derive(keys, KEYS_PURPOSE_VAULT, a), 0);
	cr_assert_eq(keys_derive(keys, KEYS_PURPOSE_AUDIT_MAC, b), 0);
	cr_assert_eq(keys_derive(keys, KEYS_PURPOSE_SESSIONS, c), 0);
	cr_assert_neq(memcmp(a, b, KEYS_LEN), 0);
	cr_assert_neq(memcmp(b, c, KEYS_LEN), 0);
	cr_assert_neq(memcmp(a, c, KEYS_LEN), 0);
	cr_assert_eq(keys_load(tmpdir, &k2), 0);
	cr_assert_eq(keys_derive(k2, KEYS_PURPOSE_AUDIT_MAC, again), 0);
	cr_assert_eq(memcmp(b, again, KEYS_LEN), 0);
	cr_assert_str_eq(keys_device_id(k2), keys_device_id(keys));
	cr_assert_eq(strlen(keys_device_id(keys)), 32);
	keys_free(k2);
}

Test(keys, signature_verifies_with_exported_public_key)
{
	char path[400];
	uint8_t sig[KEYS_SIG_LEN];
	const char msg[] = "erasure";
	EVP_PKEY *pub;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *f;

	cr_assert_eq(keys_sign(keys, msg, sizeof msg, sig), 0);
	path_of(KEYS_PUBLIC_FILE, path, sizeof path);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	pub = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert_not_null(pub);
	cr_assert_eq(EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub), 1);
	cr_assert_eq(EVP_DigestVerify(ctx, sig, sizeof sig, (const uint8_t *)msg, sizeof msg), 1);
	sig[5] ^= 1;
	cr_assert_eq(EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub), 1);
	cr_assert_neq(EVP_DigestVerify(ctx, sig, sizeof sig, (const uint8_t *)msg, sizeof msg), 1);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pub);
}

Test(keys, inbox_wrap_round_trip_and_binding)
{
	uint8_t key[KEYS_LEN], kid[KEYS_KEY_ID_LEN], wrap[KEYS_WRAP_LEN], out[KEYS_LEN];
	uint8_t other_doc[KEYS_DOC_ID_LEN], info_kid[KEYS_KEY_ID_LEN];
	enum keys_wrap_kind kind;

	cr_assert_eq(keys_new_doc_key(key, kid), 0);
	cr_assert_eq(keys_wrap_inbox(keys, doc_id, kid, key, wrap), 0);
	cr_assert_eq(keys_wrap_info(wrap, sizeof wrap, &kind, info_kid), 0);
	cr_assert_eq(kind, KEYS_WRAP_INBOX);
	cr_assert_eq(memcmp(info_kid, kid, sizeof kid), 0);
	cr_assert_null(memmem(wrap, sizeof wrap, key, 8));
	cr_assert_eq(keys_unwrap(keys, NULL, NULL, NULL, 0, doc_id, wrap, sizeof wrap, out), 0);
	cr_assert_eq(memcmp(out, key, KEYS_LEN), 0);
	memcpy(other_doc, doc_id, sizeof other_doc);
	other_doc[0] ^= 1;
	cr_assert_eq(keys_unwrap(keys, NULL, NULL, NULL, 0, other_doc, wrap, sizeof wrap, out),
		     FGW_ERR_AUTH);
	wrap[10] ^= 1; /* key id is authenticated too */
	cr_assert_eq(keys_unwrap(keys, NULL, NULL, NULL, 0, doc_id, wrap, sizeof wrap, out),
		     FGW_ERR_AUTH);
}

Test(keys, wrap_unknown_version_refused)
{
	uint8_t key[KEYS_LEN], kid[KEYS_KEY_ID_LEN], wrap[KEYS_WRAP_LEN], out[KEYS_LEN];

	cr_assert_eq(keys_new_doc_key(key, kid), 0);
	cr_assert_eq(keys_wrap_inbox(keys, doc_id, kid, key, wrap), 0);
	wrap[0] = 9;
	cr_assert_eq(keys_unwrap(keys, NULL, NULL, NULL, 0, doc_id, wrap, sizeof wrap, out),
		     FGW_ERR_VERSION);
	cr_assert_eq(keys_unwrap(keys, NULL, NULL, NULL, 0, doc_id, wrap, 20, out), FGW_ERR_VERSION);
	wrap[0] = 1;
	cr_assert_eq(keys_unwrap(keys, NULL, NULL, NULL, 0, doc_id, wrap, 20, out), FGW_ERR_PARSE);
}

Test(keys, mailbox_wrap_needs_the_pin)
{
	uint8_t sealed[KEYS_MAILBOX_SEALED_LEN], key[KEYS_LEN], kid[KEYS_KEY_ID_LEN];
	uint8_t wrap[KEYS_WRAP_LEN], out[KEYS_LEN], zero[KEYS_LEN] = {0};
	enum keys_wrap_kind kind;

	cr_assert_eq(keys_mailbox_create(keys, "1234", "4711", &fast, sealed), 0);
	cr_assert_eq(keys_new_doc_key(key, kid), 0);
	/* wrapping needs no PIN: a fax arrives with nobody at the keypad */
	cr_assert_eq(keys_wrap_mailbox(keys, "1234", sealed, sizeof sealed, doc_id, kid, key, wrap),
		     0);
	cr_assert_eq(keys_wrap_info(wrap, sizeof wrap, &kind, NULL), 0);
	cr_assert_eq(kind, KEYS_WRAP_MAILBOX);
	cr_assert_eq(keys_unwrap(keys, "1234", "4711", sealed, sizeof sealed, doc_id, wrap,
				 sizeof wrap, out), 0);
	cr_assert_eq(memcmp(out, key, KEYS_LEN), 0);
	memset(out, 0x55, sizeof out);
	cr_assert_eq(keys_unwrap(keys, "1234", "4712", sealed, sizeof sealed, doc_id, wrap,
				 sizeof wrap, out), FGW_ERR_BAD_PIN);
	cr_assert_eq(memcmp(out, zero, KEYS_LEN), 0, "no key bytes after a wrong PIN");
	cr_assert_eq(keys_unwrap(keys, "1234", NULL, sealed, sizeof sealed, doc_id, wrap,
				 sizeof wrap, out), FGW_ERR_INVALID);
}

Test(keys, mailbox_key_bound_to_mailbox_and_master)
{
	uint8_t sealed[KEYS_MAILBOX_SEALED_LEN], key[KEYS_LEN], kid[KEYS_KEY_ID_LEN];
	uint8_t wrap[KEYS_WRAP_LEN], out[KEYS_LEN];
	char other[300], cmd[700];
	struct keys *k2;

	cr_assert_eq(keys_mailbox_create(keys, "1234", "4711", &fast, sealed), 0);
	cr_assert_eq(keys_new_doc_key(key, kid), 0);
	cr_assert_eq(keys_wrap_mailbox(keys, "1234", sealed, sizeof sealed, doc_id, kid, key, wrap),
		     0);
	/* the same PIN under another mailbox name does not open it */
	cr_assert_eq(keys_unwrap(keys, "9999", "4711", sealed, sizeof sealed, doc_id, wrap,
				 sizeof wrap, out), FGW_ERR_BAD_PIN);
	/* another device (other master key) with the right PIN cannot either */
	cr_assert_eq(str_format(other, sizeof other, "%s/other", tmpdir), 0);
	cr_assert_eq(mkdir(other, 0700), 0);
	cr_assert_eq(keys_create(other), 0);
	cr_assert_eq(keys_load(other, &k2), 0);
	cr_assert_eq(keys_unwrap(k2, "1234", "4711", sealed, sizeof sealed, doc_id, wrap,
				 sizeof wrap, out), FGW_ERR_BAD_PIN);
	keys_free(k2);
	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", other), 0);
	cr_assert_eq(system(cmd), 0);
}

Test(keys, mailbox_pin_check_and_reseal)
{
	uint8_t sealed[KEYS_MAILBOX_SEALED_LEN], resealed[KEYS_MAILBOX_SEALED_LEN];
	uint8_t key[KEYS_LEN], kid[KEYS_KEY_ID_LEN], wrap[KEYS_WRAP_LEN], out[KEYS_LEN];
	struct keys_scrypt cost, higher = {11, 8, 1};

	cr_assert_eq(keys_mailbox_create(keys, "77", "1111", &fast, sealed), 0);
	cr_assert_eq(keys_mailbox_check_pin(keys, "77", "1111", sealed, sizeof sealed), 0);
	cr_assert_eq(keys_mailbox_check_pin(keys, "77", "2222", sealed, sizeof sealed),
		     FGW_ERR_BAD_PIN);
	cr_assert_eq(keys_new_doc_key(key, kid), 0);
	cr_assert_eq(keys_wrap_mailbox(keys, "77", sealed, sizeof sealed, doc_id, kid, key, wrap), 0);
	cr_assert_eq(keys_mailbox_reseal(keys, "77", "2222", "3333", &higher, sealed, sizeof sealed,
					 resealed), FGW_ERR_BAD_PIN);
	cr_assert_eq(keys_mailbox_reseal(keys, "77", "1111", "3333", &higher, sealed, sizeof sealed,
					 resealed), 0);
	cr_assert_eq(keys_mailbox_cost(resealed, sizeof resealed, &cost), 0);
	cr_assert_eq(cost.log2_n, 11);
	cr_assert_eq(cost.r, 8);
	cr_assert_eq(cost.p, 1);
	/* old documents open with the new PIN, not the old one */
	cr_assert_eq(keys_unwrap(keys, "77", "3333", resealed, sizeof resealed, doc_id, wrap,
				 sizeof wrap, out), 0);
	cr_assert_eq(memcmp(out, key, KEYS_LEN), 0);
	cr_assert_eq(keys_unwrap(keys, "77", "1111", resealed, sizeof resealed, doc_id, wrap,
				 sizeof wrap, out), FGW_ERR_BAD_PIN);
}

Test(keys, mailbox_rejects_bad_pins_and_costs)
{
	uint8_t sealed[KEYS_MAILBOX_SEALED_LEN];
	struct keys_scrypt tiny = {4, 1, 1};
	char long_pin[KEYS_PIN_MAX + 2];

	memset(long_pin, '1', sizeof long_pin - 1);
	long_pin[sizeof long_pin - 1] = '\0';
	cr_assert_eq(keys_mailbox_create(keys, "1", "", &fast, sealed), FGW_ERR_INVALID);
	cr_assert_eq(keys_mailbox_create(keys, "1", long_pin, &fast, sealed), FGW_ERR_INVALID);
	cr_assert_eq(keys_mailbox_create(keys, "1", "1234", &tiny, sealed), FGW_ERR_INVALID);
	cr_assert_eq(keys_mailbox_create(keys, "", "1234", &fast, sealed), FGW_ERR_INVALID);
}

Test(keys, default_cost_is_production_strength)
{
	struct keys_scrypt d = KEYS_SCRYPT_DEFAULT;

	cr_assert_eq(d.log2_n, 15);
	cr_assert_eq(d.r, 8);
	cr_assert_eq(d.p, 1);
}

Test(keys, gcm_detects_modified_ciphertext)
{
	uint8_t k[KEYS_LEN] = {7}, nonce[12] = {1}, tag[16], buf[5] = "hello", out[5];

	cr_assert_eq(keys_gcm_seal(k, nonce, "ad", 2, buf, 5, buf, tag), 0);
	cr_assert_eq(keys_gcm_open(k, nonce, "ad", 2, buf, 5, out, tag), 0);
	cr_assert_eq(memcmp(out, "hello", 5), 0);
	buf[1] ^= 1;
	cr_assert_eq(keys_gcm_open(k, nonce, "ad", 2, buf, 5, out, tag), FGW_ERR_AUTH);
}
