/* tiffsame A B: exit 0 when the two TIFF fax documents hold the same pages
 * (count, sizes, every row black/white after photometric), 1 with the
 * first difference on stderr otherwise, 2 on a usage error. The browser
 * tests use it to compare a fax downloaded from the web interface with the
 * document the simulated far end sent; the comparison itself is the test
 * suite's (tests/support/fax_harness.c), so both suites judge alike.
 * Built by mk/e2e.sh against the build's libraries. */
#include <stdio.h>

#include "tests/support/fax_harness.h"

int main(int argc, char **argv)
{
	char msg[256];

	if (argc != 3) {
		fprintf(stderr, "usage: tiffsame A.tif B.tif\n");
		return 2;
	}
	if (tiff_compare(argv[1], argv[2], msg, sizeof msg) != 0) {
		fprintf(stderr, "tiffsame: %s and %s differ: %s\n", argv[1], argv[2], msg);
		return 1;
	}
	return 0;
}
