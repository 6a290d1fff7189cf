/* F-code mailbox password verifiers (storage/store_mailbox.h). */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "storage/store.h"
#include "storage/store_mailbox.h"
#include "tests/support/fax_harness.h"

static char tmp[64], data[128];
static struct store *s;

static void setup(void)
{
	static const struct store_options opts = {.pin_cost = {10, 8, 1}};

	make_temp_dir(tmp);
	cr_assert_eq(str_format(data, sizeof data, "%s/data", tmp), 0);
	cr_assert_eq(store_init(data), 0);
	cr_assert_eq(store_open(data, &opts, &s), 0);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void teardown(void)
{
	cr_assert_eq(store_close(s), 0);
	/* store_init made subfolders: remove depth first. */
	cr_assert_eq(nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

TestSuite(store_mailbox, .init = setup, .fini = teardown);

static void mailbox(struct catalog_mailbox *mb, const char *number)
{
	memset(mb, 0, sizeof *mb);
	cr_assert_eq(str_copy(mb->number, sizeof mb->number, number), 0);
}

Test(store_mailbox, right_password_matches_wrong_ones_do_not)
{
	struct catalog_mailbox mb;

	mailbox(&mb, "1234");
	cr_assert_eq(store_mailbox_set_password(s, &mb, "31#41#59"), 0);
	cr_expect(store_mailbox_has_password(&mb));
	cr_expect_eq(mb.pwd_len, STORE_MAILBOX_PWD_LEN);
	cr_expect_null(memmem(mb.pwd, mb.pwd_len, "31#41#59", 8), "stored in clear");
	cr_expect_eq(store_mailbox_check_password(s, &mb, "31#41#59"), 0);
	cr_expect_eq(store_mailbox_check_password(s, &mb, "31#41#58"), FGW_ERR_BAD_PASSWORD);
	cr_expect_eq(store_mailbox_check_password(s, &mb, ""), FGW_ERR_BAD_PASSWORD);
	cr_expect_eq(store_mailbox_check_password(s, &mb, NULL), FGW_ERR_BAD_PASSWORD);
	cr_expect_eq(store_mailbox_check_password(s, &mb, "31#41#5"), FGW_ERR_BAD_PASSWORD);
	cr_expect_eq(store_mailbox_check_password(s, &mb, "123456789012345678901"),
		     FGW_ERR_BAD_PASSWORD);
}

Test(store_mailbox, verifier_is_bound_to_its_mailbox)
{
	struct catalog_mailbox a, b;

	mailbox(&a, "1234");
	mailbox(&b, "5678");
	cr_assert_eq(store_mailbox_set_password(s, &a, "0000"), 0);
	cr_assert_eq(store_mailbox_set_password(s, &b, "0000"), 0);
	cr_expect_neq(memcmp(a.pwd, b.pwd, a.pwd_len), 0, "same verifier for two mailboxes");
	memcpy(b.pwd, a.pwd, a.pwd_len);
	cr_expect_eq(store_mailbox_check_password(s, &b, "0000"), FGW_ERR_BAD_PASSWORD);
}

Test(store_mailbox, empty_password_clears_and_any_sender_passes)
{
	struct catalog_mailbox mb;

	mailbox(&mb, "1234");
	cr_assert_eq(store_mailbox_set_password(s, &mb, "7777"), 0);
	cr_assert_eq(store_mailbox_set_password(s, &mb, ""), 0);
	cr_expect_not(store_mailbox_has_password(&mb));
	cr_expect_eq(store_mailbox_check_password(s, &mb, "anything"), 0);
	cr_assert_eq(store_mailbox_set_password(s, &mb, NULL), 0);
	cr_expect_eq(mb.pwd_len, 0);
}

Test(store_mailbox, bad_passwords_and_numbers_are_refused)
{
	struct catalog_mailbox mb;

	mailbox(&mb, "1234");
	cr_expect_eq(store_mailbox_set_password(s, &mb, "123456789012345678901"), FGW_ERR_INVALID);
	cr_expect_eq(store_mailbox_set_password(s, &mb, "12\n34"), FGW_ERR_INVALID);
	cr_expect_eq(store_mailbox_set_password(s, &mb, "12\xe3\x81\x82"), FGW_ERR_INVALID);
	cr_expect_eq(mb.pwd_len, 0);
	mailbox(&mb, "");
	cr_expect_eq(store_mailbox_set_password(s, &mb, "1234"), FGW_ERR_INVALID);
}

Test(store_mailbox, unknown_verifier_version_is_refused)
{
	struct catalog_mailbox mb;

	mailbox(&mb, "1234");
	cr_assert_eq(store_mailbox_set_password(s, &mb, "1234"), 0);
	mb.pwd[0] = 2;
	cr_expect_eq(store_mailbox_check_password(s, &mb, "1234"), FGW_ERR_VERSION);
	mb.pwd[0] = STORE_MAILBOX_PWD_VERSION;
	mb.pwd_len = 8;   /* e.g. a password stored in clear by an old tool */
	cr_expect_eq(store_mailbox_check_password(s, &mb, "1234"), FGW_ERR_VERSION);
}

Test(store_mailbox, verifier_survives_the_catalog_round_trip)
{
	struct catalog_mailbox mb, got;

	mailbox(&mb, "1234");
	cr_assert_eq(store_mailbox_seal(s, &mb, "482916"), 0);
	cr_assert_eq(store_mailbox_set_password(s, &mb, "31#41#59"), 0);
	cr_assert_eq(catalog_mailbox_create(store_catalog(s), &mb), 0);
	cr_assert_eq(catalog_mailbox_get(store_catalog(s), "1234", &got), 0);
	cr_expect_eq(store_mailbox_check_password(s, &got, "31#41#59"), 0);
	cr_expect_eq(store_mailbox_check_password(s, &got, "31#41#50"), FGW_ERR_BAD_PASSWORD);
}
