/* libFuzzer target: the vault reader over arbitrary blob bytes, with a
 * fixed key (the seeds in corpus/fuzz_vault are valid blobs under it, so
 * mutations reach every header and chunk check). */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "storage/vault.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The seeds were written under this key: bytes 0x00..0x1f. */
static const uint8_t fixed_key[KEYS_LEN] = {
	0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz_vault", true, LOG_LEVEL_ERROR); /* tamper notes are warnings */
	return 0;
}

static void read_all(struct vault_reader *r)
{
	static uint8_t buf[4096];
	size_t got;

	while (vault_reader_next_page(r, NULL) == 1)
		while (vault_reader_read(r, buf, sizeof buf, &got) == 0 && got > 0)
			;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vault_reader *r;
	int fd = memfd_create("fuzz.fgv", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size &&
	    vault_reader_open_fd(fd, NULL, fixed_key, NULL, &r) == 0) {
		read_all(r);
		vault_reader_close(r);
	}
	close(fd);
	return 0;
}
