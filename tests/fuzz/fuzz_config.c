/* libFuzzer target: the configuration loader over arbitrary file contents. */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/str.h"
#include "gateway/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	char path[64];
	int fd = memfd_create("fuzz.ini", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size &&
	    str_format(path, sizeof path, "/proc/self/fd/%d", fd) == 0 &&
	    config_load(path, ignore, NULL, &cfg) == 0) {
		(void)config_str(cfg, "general", "data_dir");
		config_free(cfg);
	}
	close(fd);
	return 0;
}
