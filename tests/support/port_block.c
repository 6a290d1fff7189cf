/* See port_block.h. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/str.h"
#include "tests/support/port_block.h"

#define FIRST 21000u
#define BLOCKS 100u   /* 21000..30999 */

unsigned port_block(void)
{
	static unsigned claimed;          /* per test process: one block */
	char path[64];

	if (claimed != 0)
		return claimed;
	for (unsigned i = 0; i < BLOCKS; i++) {
		unsigned n = ((unsigned)getpid() + i) % BLOCKS;
		int fd;

		cr_assert_eq(str_format(path, sizeof path, "/tmp/faxgw-test-ports.%u", n), 0);
		fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			/* fd stays open: the lock lasts as long as this process */
			claimed = FIRST + n * 100;
			return claimed;
		}
		close(fd);
	}
	cr_assert_fail("no free block of test ports (all %u /tmp/faxgw-test-ports.* locked)",
		       BLOCKS);
	return 0;
}
