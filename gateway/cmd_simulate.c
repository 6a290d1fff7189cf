/* faxgw simulate: drive the daemon's simulated lines. Sub-verbs are one
 * line each in the table below (simulate outgoing lives in its own file). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "gateway/commands.h"
#include "gateway/control_client.h"
#include "gateway/sim_outgoing_cli.h"
#include "storage/store.h"

struct simulate_verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static int simulate_incoming(int argc, char **argv);

static const struct simulate_verb verbs[] = {
	{"incoming", simulate_incoming, "a far-end fax machine sends FILE to the gateway"},
	{"outgoing", simulate_outgoing, "the office fax machine dials out and sends FILE"},
	{"far-end", simulate_far_end, "make the simulated public far end busy / not answer"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: faxgw simulate WHAT [OPTIONS]   (faxgw simulate WHAT --help)\n\n"
		     "Drives the simulated lines inside the running faxgwd.\n\n");
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
}

int cmd_simulate(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "faxgw simulate: unknown '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

/* ---- simulate incoming ------------------------------------------------- */

struct incoming_args {
	const char *file, *sub, *pwd, *sid, *from, *data, *socket;
};

static void incoming_usage(FILE *out)
{
	fprintf(out,
		"usage: faxgw simulate incoming --file F.tif [--sub CODE] [--sid S] [--pwd P]\n"
		"                               [--from NUMBER] [--data DIR | --socket PATH]\n\n"
		"A simulated fax machine on the public trunk calls the gateway and sends\n"
		"F.tif (TIFF-F); the gateway answers and applies its inbound policy as for\n"
		"a real call (F-code mailbox, password, vault, audit). Prints what the far\n"
		"end saw. Exit status 0 when the far end's fax succeeded, 1 otherwise.\n\n"
		"  --file F.tif     document the far end sends (opened by this command)\n"
		"  --sub CODE       F-code (T.30 sub-address) to send\n"
		"  --sid S          sender identification: the F-code password for SpanDSP\n"
		"                   senders (see README)\n"
		"  --pwd P          T.30 password frame\n"
		"  --from NUMBER    caller's number, also sent as the far end's TSI\n"
		"  --data DIR       data directory of the daemon (default " STORE_DEFAULT_DIR ")\n"
		"  --socket PATH    the daemon's control socket (default DIR/control.sock)\n"
		"  --help           this text\n");
}

static int incoming_options(int argc, char **argv, struct incoming_args *a)
{
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'}, {"sub", required_argument, NULL, 's'},
		{"pwd", required_argument, NULL, 'p'}, {"sid", required_argument, NULL, 'i'},
		{"from", required_argument, NULL, 'n'}, {"data", required_argument, NULL, 'd'},
		{"socket", required_argument, NULL, 'S'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': a->file = optarg; break;
		case 's': a->sub = optarg; break;
		case 'p': a->pwd = optarg; break;
		case 'i': a->sid = optarg; break;
		case 'n': a->from = optarg; break;
		case 'd': a->data = optarg; break;
		case 'S': a->socket = optarg; break;
		case 'h': incoming_usage(stdout); return 0;
		default: incoming_usage(stderr); return 2;
		}
	}
	if (optind < argc || a->file == NULL) {
		fprintf(stderr, "faxgw simulate incoming: %s\n",
			optind < argc ? "unexpected argument" : "--file is required");
		return 2;
	}
	return -1;
}

static void print_line(void *arg, const char *text)
{
	(void)arg;
	printf("%s\n", text);
	fflush(stdout);
}

static void add_opt(struct control_line *l, const char *key, const char *value)
{
	if (value != NULL)
		control_line_add(l, key, value);
}

static int incoming_call(const struct incoming_args *a, int fd)
{
	struct control_line req;
	char path[4200], msg[CONTROL_LINE_MAX];

	if (control_client_path(a->data, a->socket, path, sizeof path) != 0) {
		fprintf(stderr, "faxgw simulate incoming: socket path too long\n");
		return 2;
	}
	control_line_init(&req, "simulate-incoming");
	add_opt(&req, "sub", a->sub);
	add_opt(&req, "sid", a->sid);
	add_opt(&req, "pwd", a->pwd);
	add_opt(&req, "from", a->from);
	if (control_line_finish(&req) != 0) {
		fprintf(stderr, "faxgw simulate incoming: options too long\n");
		return 2;
	}
	int rc = control_client_call(path, &req, &fd, 1, -1, print_line, NULL, msg, sizeof msg);
	if (rc == 0) {
		printf("result: ok, %s\n", msg);
		return 0;
	}
	fprintf(stderr, "faxgw simulate incoming: %s: %s\n", a->file, msg);
	return 1;
}

static int simulate_incoming(int argc, char **argv)
{
	struct incoming_args a = {0};
	int rc = incoming_options(argc, argv, &a);

	if (rc >= 0)
		return rc;
	/* Opened here, as the user: the daemon gets the descriptor only. */
	int fd = open(a.file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "faxgw simulate incoming: cannot open %s: %s\n", a.file,
			strerror(errno));
		return 1;
	}
	rc = incoming_call(&a, fd);
	close(fd);
	return rc;
}
