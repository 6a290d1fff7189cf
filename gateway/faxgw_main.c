/* faxgw: the command-line tool. Dispatches to one subcommand. */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "gateway/commands.h"
#include "web/web.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"line-test", cmd_line_test, "send a TIFF through the simulated line and report"},
	{"log", cmd_log, "show, export (CSV) or verify the audit log"},
	{"init", cmd_init_web, "create a new device: data directory, keys, HTTPS certificate"},
	{"wipe", cmd_wipe, "erase a document, or the whole device, with a signed certificate"},
	{"cert", cmd_cert, "verify an erasure certificate (cert verify FILE --pubkey KEY)"},
	{"simulate", cmd_simulate, "drive the daemon's simulated lines (simulate incoming ...)"},
	{"status", cmd_status, "ask the running faxgwd for pid, uptime, calls and lines"},
	{"send", cmd_send, "queue a TIFF, PDF or PNG as a fax (number typed twice)"},
	{"jobs", cmd_jobs, "list the outbound fax queue (--json), or cancel a job"},
	{"mailbox", cmd_mailbox, "create, list, set-pin or delete confidential (F-code) mailboxes"},
	{"release", cmd_release, "list or release the faxes held in a mailbox (PIN), as TIFF or PDF"},
	{"tls", cmd_tls, "install the HTTPS certificate and key (tls install CERT KEY)"},
	{"device", cmd_device, "list, set or delete office devices and their outbound policy"},
	{"sip", cmd_sip, "set or remove SIP device passwords, list registrations"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: faxgw COMMAND [OPTIONS]   (faxgw COMMAND --help for more)\n\n"
		     "commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	log_init("faxgw", true, LOG_LEVEL_INFO);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "faxgw: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
