/* faxgw status: asks the running daemon how it is (control verb status). */
#include <getopt.h>
#include <stdio.h>

#include "common/err.h"
#include "gateway/commands.h"
#include "gateway/control_client.h"
#include "storage/store.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgw status [--data DIR | --socket PATH]\n\n"
		"Shows the running faxgwd: pid, uptime, calls in progress and lines.\n"
		"Exit status 0 when the daemon answered, 1 when it is not reachable.\n\n"
		"  --data DIR      data directory of the daemon (default " STORE_DEFAULT_DIR ")\n"
		"  --socket PATH   the daemon's control socket (default DIR/control.sock)\n"
		"  --help          this text\n");
}

static void print_line(void *arg, const char *text)
{
	(void)arg;
	printf("%s\n", text);
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'}, {"socket", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	const char *data = NULL, *sock = NULL;
	char path[4200], msg[CONTROL_LINE_MAX];
	struct control_line req;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd' || c == 's') {
			*(c == 'd' ? &data : &sock) = optarg;
		} else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind < argc || control_client_path(data, sock, path, sizeof path) != 0) {
		usage(stderr);
		return 2;
	}
	control_line_init(&req, "status");
	if (control_line_finish(&req) != 0)
		return 2;
	int rc = control_client_call(path, &req, NULL, 0, 10000, print_line, NULL, msg, sizeof msg);
	if (rc != 0) {
		fprintf(stderr, "faxgw status: %s\n", msg);
		return 1;
	}
	printf("%s\n", msg);
	return 0;
}
