/* A blob written by root into a vault that belongs to the service user is
 * handed to that user, so faxgwd (running as it) can read what an admin's
 * `faxgw send` stored. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "storage/vault.h"

Test(vault_owner, new_blob_belongs_to_the_vault_owner)
{
	char dir[] = "/tmp/fgw-vown-XXXXXX", id[VAULT_ID_LEN + 1], name[128], path[256];
	uint8_t key[KEYS_LEN] = {1}, kid[KEYS_KEY_ID_LEN] = {2};
	uid_t owner = geteuid() == 0 ? 65534 : geteuid();
	struct vault *v = NULL;
	struct vault_writer *w = NULL;
	struct stat st;

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(chown(dir, owner, owner), 0);
	cr_assert_eq(vault_open(dir, false, &v), FGW_OK);
	cr_assert_eq(vault_new_id(id), FGW_OK);
	cr_assert_eq(vault_writer_open(v, id, key, kid, &w), FGW_OK);
	cr_assert_eq(vault_writer_add_page(w, "page", 4), FGW_OK);
	cr_assert_eq(vault_writer_finish(w, NULL), FGW_OK);
	cr_assert_eq(vault_blob_name(id, name, sizeof name), FGW_OK);
	cr_assert_eq(str_format(path, sizeof path, "%s/%s", dir, name), FGW_OK);
	cr_assert_eq(stat(path, &st), 0);
	/* As root this checks the hand-over; as anyone else that nothing
	 * changed (the blob is simply the writer's). */
	cr_expect_eq(st.st_uid, owner);
	cr_expect_eq(st.st_mode & 0777, 0600);
	vault_close(v);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(rmdir(dir), 0);
}
