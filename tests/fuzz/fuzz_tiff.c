/* libFuzzer target: untrusted bytes through the TIFF ingestion path exactly
 * as an upload takes it: open from memory, check every page, and when that
 * succeeds convert to TIFF-F into a memfd, then check the result. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/str.h"
#include "dsp/tiffdoc.h"

/* Pels decoded per input at most: keeps each run fast so the fuzzer
 * explores; the limits themselves are tested in test_tiffdoc. */
#define FUZZ_MAX_PELS (16u * 1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The converter's output must itself pass the check: anything else is a
 * converter bug, so abort and let libFuzzer keep the input. */
static void check_output(int fd)
{
	struct tiffdoc *out = NULL;
	char path[64], msg[512];
	bool ready = false;

	if (str_format(path, sizeof path, "/proc/self/fd/%d", fd) != 0)
		abort();
	if (tiffdoc_open_file(path, "out", &out, msg, sizeof msg) != 0 ||
	    tiffdoc_check(out, &ready, msg, sizeof msg) != 0 || !ready)
		abort();
	tiffdoc_close(out);
}

static bool small_enough(struct tiffdoc *doc)
{
	struct tiffdoc_page_info info;
	char msg[256];
	uint64_t pels = 0;

	for (unsigned i = 0; i < tiffdoc_pages(doc); i++) {
		if (tiffdoc_page_info(doc, i, &info, msg, sizeof msg) != 0)
			return true;  /* check will refuse it quickly */
		pels += (uint64_t)info.width * info.length;
	}
	return pels <= FUZZ_MAX_PELS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tiffdoc *doc = NULL;
	char msg[512];
	bool ready;
	int fd;

	if (tiffdoc_open_mem(data, size, "fuzz.tif", &doc, msg, sizeof msg) != 0)
		return 0;
	if (small_enough(doc) &&
	    tiffdoc_check(doc, &ready, msg, sizeof msg) == 0) {
		fd = memfd_create("fuzz-out", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		if (tiffdoc_convert(doc, fd, NULL, msg, sizeof msg) == 0)
			check_output(fd);
		(void)close(fd);
	}
	tiffdoc_close(doc);
	return 0;
}
