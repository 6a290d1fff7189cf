/* The vault's format: round trips, and each kind of tampering reported by
 * its own error. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/memfile.h"
#include "storage/vault.h"

#define SLOT (16 + VAULT_CHUNK + 16)

static char tmpdir[256];
static struct vault *vault;
static uint8_t key[KEYS_LEN], key_id[KEYS_KEY_ID_LEN];

static void setup(void)
{
	char vdir[300];

	log_init("test_vault", true, LOG_LEVEL_ERROR);
	cr_assert_eq(str_copy(tmpdir, sizeof tmpdir, "/tmp/fgw-vault-XXXXXX"), 0);
	cr_assert_not_null(mkdtemp(tmpdir));
	cr_assert_eq(str_format(vdir, sizeof vdir, "%s/vault", tmpdir), 0);
	cr_assert_eq(vault_open(vdir, true, &vault), 0);
	cr_assert_eq(keys_new_doc_key(key, key_id), 0);
}

static void teardown(void)
{
	char cmd[400];

	vault_close(vault);
	cr_assert_eq(str_format(cmd, sizeof cmd, "rm -rf '%s'", tmpdir), 0);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(vault, .init = setup, .fini = teardown);

static uint8_t pattern(size_t page, size_t i)
{
	return (uint8_t)(page * 31 + i * 7 + (i >> 9));
}

static size_t page_size(size_t page, size_t base)
{
	return base + page * 1013;
}

/* Writes a document of npages pages of about base bytes each. */
static void write_doc(const char *id, size_t npages, size_t base)
{
	struct vault_writer *w;
	uint64_t size = 0, expect = 0;

	cr_assert_eq(vault_writer_open(vault, id, key, key_id, &w), 0);
	for (size_t p = 0; p < npages; p++) {
		size_t len = page_size(p, base);
		uint8_t *buf = malloc(len + 1);
		cr_assert_not_null(buf);
		for (size_t i = 0; i < len; i++)
			buf[i] = pattern(p, i);
		cr_assert_eq(vault_writer_add_page(w, buf, len), 0);
		expect += len;
		free(buf);
	}
	cr_assert_eq(vault_writer_finish(w, &size), 0);
	cr_assert_eq(size, expect);
}

/* Reads the document back; returns 0 when every byte matched, else the
 * first error. */
static int read_doc(const char *id, size_t npages, size_t base)
{
	struct vault_reader *r;
	static uint8_t buf[10000];
	uint64_t len;
	size_t p = 0, got;
	int rc = vault_reader_open(vault, id, key, key_id, &r);

	if (rc != 0)
		return rc;
	cr_assert_eq(vault_reader_pages(r), npages);
	while ((rc = vault_reader_next_page(r, &len)) == 1) {
		size_t off = 0;
		cr_assert_eq(len, page_size(p, base));
		while ((rc = vault_reader_read(r, buf, sizeof buf, &got)) == 0 && got > 0) {
			for (size_t i = 0; i < got; i++)
				cr_assert_eq(buf[i], pattern(p, off + i), "page %zu byte %zu", p,
					     off + i);
			off += got;
		}
		if (rc != 0)
			break;
		cr_assert_eq(off, len);
		p++;
	}
	vault_reader_close(r);
	if (rc == 0)
		cr_assert_eq(p, npages);
	return rc;
}

static void blob_path(const char *id, char *path, size_t size)
{
	cr_assert_eq(str_format(path, size, "%s/vault/%s%s", tmpdir, id, VAULT_SUFFIX), 0);
}

static void flip(const char *id, off_t off)
{
	char path[400];
	uint8_t b;
	int fd;

	blob_path(id, path, sizeof path);
	fd = open(path, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, &b, 1, off), 1);
	b ^= 0x10;
	cr_assert_eq(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static void cut(const char *id, off_t len)
{
	char path[400];

	blob_path(id, path, sizeof path);
	cr_assert_eq(truncate(path, len), 0);
}

static void copy_slot(const char *from, int from_slot, const char *to, int to_slot)
{
	char pf[400], pt[400];
	static uint8_t buf[SLOT];
	int f, t;

	blob_path(from, pf, sizeof pf);
	blob_path(to, pt, sizeof pt);
	f = open(pf, O_RDONLY);
	t = open(pt, O_RDWR);
	cr_assert(f >= 0 && t >= 0);
	cr_assert_eq(pread(f, buf, SLOT, VAULT_HEADER_LEN + (off_t)from_slot * SLOT), SLOT);
	cr_assert_eq(pwrite(t, buf, SLOT, VAULT_HEADER_LEN + (off_t)to_slot * SLOT), SLOT);
	close(f);
	close(t);
}

static void new_id(char id[VAULT_ID_LEN + 1])
{
	cr_assert_eq(vault_new_id(id), 0);
}

Test(vault, round_trip_zero_pages)
{
	char id[VAULT_ID_LEN + 1];

	new_id(id);
	write_doc(id, 0, 0);
	cr_assert_eq(read_doc(id, 0, 0), 0);
}

Test(vault, round_trip_one_page)
{
	char id[VAULT_ID_LEN + 1];

	new_id(id);
	write_doc(id, 1, 5000);
	cr_assert_eq(read_doc(id, 1, 5000), 0);
}

Test(vault, round_trip_forty_pages_spanning_chunks)
{
	char id[VAULT_ID_LEN + 1];

	new_id(id);
	write_doc(id, 40, 30000);
	cr_assert_eq(read_doc(id, 40, 30000), 0);
}

Test(vault, round_trip_empty_page_and_exact_chunk_multiple)
{
	char id[VAULT_ID_LEN + 1];
	struct vault_writer *w;
	struct vault_reader *r;
	static uint8_t big[VAULT_CHUNK - 9 - 5 - 16], out[VAULT_CHUNK];
	uint64_t len;
	size_t got;

	/* 'P'+len (9) + page + 'E'+count (5) + one entry (16) = one full chunk */
	memset(big, 0xab, sizeof big);
	new_id(id);
	cr_assert_eq(vault_writer_open(vault, id, key, key_id, &w), 0);
	cr_assert_eq(vault_writer_add_page(w, big, sizeof big), 0);
	cr_assert_eq(vault_writer_finish(w, NULL), 0);
	cr_assert_eq(vault_reader_open(vault, id, key, key_id, &r), 0);
	cr_assert_eq(vault_reader_next_page(r, &len), 1);
	cr_assert_eq(len, sizeof big);
	cr_assert_eq(vault_reader_read(r, out, sizeof out, &got), 0);
	cr_assert_eq(got, sizeof big);
	cr_assert_eq(memcmp(out, big, got), 0);
	cr_assert_eq(vault_reader_next_page(r, &len), 0);
	vault_reader_close(r);
}

Test(vault, skipping_unread_pages_still_verifies_index)
{
	char id[VAULT_ID_LEN + 1];
	struct vault_reader *r;
	int n = 0, rc;

	new_id(id);
	write_doc(id, 5, 70000);
	cr_assert_eq(vault_reader_open(vault, id, key, key_id, &r), 0);
	while ((rc = vault_reader_next_page(r, NULL)) == 1)
		n++;
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 5);
	vault_reader_close(r);
}

Test(vault, page_from_memfile_and_back_to_memfile)
{
	char id[VAULT_ID_LEN + 1], path[MEMFILE_PATH_MAX];
	struct vault_writer *w;
	struct vault_reader *r;
	static uint8_t data[200000], back[200000];
	int in = memfile_create("test-in"), out = memfile_create("test-out"), fd;

	cr_assert(in >= 0 && out >= 0);
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 13);
	/* write through the /proc path, as SpanDSP would */
	cr_assert_eq(memfile_path(in, path), 0);
	fd = open(path, O_WRONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, sizeof data), (ssize_t)sizeof data);
	close(fd);
	new_id(id);
	cr_assert_eq(vault_writer_open(vault, id, key, key_id, &w), 0);
	cr_assert_eq(vault_writer_add_page_fd(w, in), 0);
	cr_assert_eq(vault_writer_finish(w, NULL), 0);
	cr_assert_eq(memfile_wipe_close(in), 0);
	cr_assert_eq(vault_reader_open(vault, id, key, key_id, &r), 0);
	cr_assert_eq(vault_reader_next_page(r, NULL), 1);
	cr_assert_eq(vault_reader_page_to_fd(r, out), 0);
	vault_reader_close(r);
	cr_assert_eq(pread(out, back, sizeof back, 0), (ssize_t)sizeof back);
	cr_assert_eq(memcmp(back, data, sizeof data), 0);
	cr_assert_eq(memfile_wipe_close(out), 0);
}

Test(vault, memfile_wipe_leaves_nothing)
{
	int fd = memfile_create("wipe"), fd2;
	char path[MEMFILE_PATH_MAX];
	struct stat st;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "secret", 6), 6);
	cr_assert_eq(memfile_path(fd, path), 0);
	fd2 = open(path, O_RDONLY);
	cr_assert_geq(fd2, 0);
	cr_assert_eq(memfile_wipe_close(fd), 0);
	cr_assert_eq(fstat(fd2, &st), 0);
	cr_assert_eq(st.st_size, 0);
	close(fd2);
}

Test(vault, no_temporary_file_left_after_write)
{
	char id[VAULT_ID_LEN + 1], path[400];
	struct stat st;

	new_id(id);
	write_doc(id, 2, 100);
	cr_assert_eq(str_format(path, sizeof path, "%s/vault/%s%s%s", tmpdir, VAULT_TMP_PREFIX, id,
				VAULT_SUFFIX), 0);
	cr_assert_neq(stat(path, &st), 0);
	blob_path(id, path, sizeof path);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
}

Test(vault, abort_wipes_temporary_file)
{
	char id[VAULT_ID_LEN + 1], path[400];
	struct vault_writer *w;
	struct stat st;

	new_id(id);
	cr_assert_eq(vault_writer_open(vault, id, key, key_id, &w), 0);
	cr_assert_eq(vault_writer_add_page(w, "abc", 3), 0);
	vault_writer_abort(w);
	cr_assert_eq(str_format(path, sizeof path, "%s/vault/%s%s%s", tmpdir, VAULT_TMP_PREFIX, id,
				VAULT_SUFFIX), 0);
	cr_assert_neq(stat(path, &st), 0);
}

Test(vault, refuses_to_overwrite_existing_blob)
{
	char id[VAULT_ID_LEN + 1];
	struct vault_writer *w;

	new_id(id);
	write_doc(id, 1, 10);
	cr_assert_eq(vault_writer_open(vault, id, key, key_id, &w), FGW_ERR_EXISTS);
}

Test(vault, header_bit_flip_is_tampered)
{
	char id[VAULT_ID_LEN + 1];

	new_id(id);
	write_doc(id, 3, 1000);
	flip(id, 42); /* nonce prefix */
	cr_assert_eq(read_doc(id, 3, 1000), FGW_ERR_TAMPERED);
}

Test(vault, header_length_flip_is_tampered)
{
	char id[VAULT_ID_LEN + 1];

	new_id(id);
	write_doc(id, 3, 1000);
	flip(id, 55); /* plaintext length */
	cr_assert_eq(read_doc(id, 3, 1000), FGW_ERR_TAMPERED);
}

Test(vault, unknown_version_is_refused)
{
	char id[VAULT_ID_LEN + 1];

	new_id(id);
	write_doc(id, 1, 1000);
	flip(id, 4);
	cr_assert_eq(read_doc(id, 1, 1000), FGW_ERR_VERSION);
}

Test(vault, bad_magic_is_not_a_vault_file)
{
	char id[VAULT_ID_LEN + 1];

	new_id(id);
	write_doc(id, 1, 1000);
	flip(id, 0);
	cr_assert_eq(read_doc(id, 1, 1000), FGW_ERR_PARSE);
}

Test(vault, chunk_bit_flip_fails_authentication)
{
	char id[VAULT_ID_LEN + 1];

	new_id(id);
	write_doc(id, 4, 60000);
	flip(id, VAULT_HEADER_LEN + SLOT + 16 + 500);
	cr_assert_eq(read_doc(id, 4, 60000), FGW_ERR_AUTH);
}

Test(vault, tag_bit_flip_fails_authentication)
{
	char id[VAULT_ID_LEN + 1];

	new_id(id);
	write_doc(id, 4, 60000);
	flip(id, VAULT_HEADER_LEN + 2 * SLOT - 1);
	cr_assert_eq(read_doc(id, 4, 60000), FGW_ERR_AUTH);
}

Test(vault, last_chunk_bit_flip_fails_authentication)
{
	char id[VAULT_ID_LEN + 1];

	new_id(id);
	write_doc(id, 1, 100);
	flip(id, VAULT_HEADER_LEN + 16 + 3);
	cr_assert_eq(read_doc(id, 1, 100), FGW_ERR_AUTH);
}

Test(vault, truncation_at_chunk_boundary)
{
	char id[VAULT_ID_LEN + 1];

	new_id(id);
	write_doc(id, 4, 60000);
	cut(id, VAULT_HEADER_LEN + 2 * SLOT);
	cr_assert_eq(read_doc(id, 4, 60000), FGW_ERR_TRUNCATED);
}

Test(vault, truncation_mid_chunk)
{
	char id[VAULT_ID_LEN + 1];

	new_id(id);
	write_doc(id, 4, 60000);
	cut(id, VAULT_HEADER_LEN + SLOT + 777);
	cr_assert_eq(read_doc(id, 4, 60000), FGW_ERR_TRUNCATED);
}

Test(vault, truncation_inside_header)
{
	char id[VAULT_ID_LEN + 1];

	new_id(id);
	write_doc(id, 1, 10);
	cut(id, 40);
	cr_assert_eq(read_doc(id, 1, 10), FGW_ERR_TRUNCATED);
}

Test(vault, appended_bytes_are_tampering)
{
	char id[VAULT_ID_LEN + 1], path[400];
	FILE *f;

	new_id(id);
	write_doc(id, 1, 10);
	blob_path(id, path, sizeof path);
	f = fopen(path, "ab");
	cr_assert_not_null(f);
	cr_assert_eq(fputc('x', f), 'x');
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(read_doc(id, 1, 10), FGW_ERR_TAMPERED);
}

Test(vault, reordered_chunks_are_reported_as_such)
{
	char id[VAULT_ID_LEN + 1], other[VAULT_ID_LEN + 1];

	new_id(id);
	new_id(other);
	write_doc(id, 4, 60000);
	write_doc(other, 4, 60000); /* scratch copy holder */
	copy_slot(id, 1, other, 0);
	copy_slot(id, 2, id, 1);
	copy_slot(other, 0, id, 2);
	cr_assert_eq(read_doc(id, 4, 60000), FGW_ERR_REORDERED);
}

Test(vault, chunk_spliced_from_another_document)
{
	char id[VAULT_ID_LEN + 1], other[VAULT_ID_LEN + 1];

	new_id(id);
	new_id(other);
	write_doc(id, 4, 60000);
	write_doc(other, 4, 60000); /* same key even: the id still differs */
	copy_slot(other, 1, id, 1);
	cr_assert_eq(read_doc(id, 4, 60000), FGW_ERR_SPLICED);
}

Test(vault, wrong_key_never_yields_plaintext)
{
	char id[VAULT_ID_LEN + 1];
	struct vault_reader *r;
	uint8_t other[KEYS_LEN];

	new_id(id);
	write_doc(id, 1, 100);
	memcpy(other, key, sizeof other);
	other[0] ^= 1;
	cr_assert_eq(vault_reader_open(vault, id, other, key_id, &r), FGW_ERR_TAMPERED);
	cr_assert_null(r);
}

Test(vault, wrong_key_id_is_mismatch)
{
	char id[VAULT_ID_LEN + 1];
	struct vault_reader *r;
	uint8_t kid[KEYS_KEY_ID_LEN];

	new_id(id);
	write_doc(id, 1, 100);
	memcpy(kid, key_id, sizeof kid);
	kid[3] ^= 1;
	cr_assert_eq(vault_reader_open(vault, id, key, kid, &r), FGW_ERR_MISMATCH);
}

Test(vault, blob_renamed_to_another_id_is_mismatch)
{
	char id[VAULT_ID_LEN + 1], other[VAULT_ID_LEN + 1], a[400], b[400];

	new_id(id);
	new_id(other);
	write_doc(id, 1, 100);
	blob_path(id, a, sizeof a);
	blob_path(other, b, sizeof b);
	cr_assert_eq(rename(a, b), 0);
	cr_assert_eq(read_doc(other, 1, 100), FGW_ERR_MISMATCH);
}

Test(vault, ids_parse_and_name)
{
	char id[VAULT_ID_LEN + 1], name[64], back[VAULT_ID_LEN + 1];
	uint8_t raw[KEYS_DOC_ID_LEN];

	new_id(id);
	cr_assert_eq(vault_blob_name(id, name, sizeof name), 0);
	cr_assert_eq(vault_name_to_id(name, back), 0);
	cr_assert_str_eq(back, id);
	cr_assert_eq(vault_parse_id("xyz", raw), FGW_ERR_PARSE);
	cr_assert_eq(vault_parse_id("0123456789abcdef0123456789abcdeG", raw), FGW_ERR_PARSE);
	cr_assert_eq(vault_name_to_id("catalog.db", back), FGW_ERR_PARSE);
}

Test(vault, open_refuses_group_readable_directory)
{
	char dir[300];
	struct vault *v;

	cr_assert_eq(str_format(dir, sizeof dir, "%s/open", tmpdir), 0);
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_eq(chmod(dir, 0755), 0);
	cr_assert_eq(vault_open(dir, false, &v), FGW_ERR_PERMISSION);
}
