/* faxgw simulate outgoing / simulate far-end: the CLI side of the
 * SIMULATED office fax machine and public far end inside faxgwd (see
 * gateway/sim_outgoing.h and gateway/sim_farend.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/commands.h"
#include "gateway/control_client.h"
#include "gateway/queue.h"
#include "gateway/sim_outgoing_cli.h"
#include "storage/store.h"

#define WAIT_POLL_MS 200

struct out_args {
	const char *dial, *confirm, *file, *out, *data, *socket, *device;
	bool wait;
};

static void out_usage(FILE *f)
{
	fprintf(f,
		"usage: faxgw simulate outgoing --dial NUMBER [--confirm NUMBER] --file F.tif\n"
		"                               [--device NAME] [--out DIR] [--wait]\n"
		"                               [--data DIR | --socket PATH]\n\n"
		"SIMULATION: a simulated office fax machine on the device line goes off hook,\n"
		"dials NUMBER as DTMF tones, waits for the gateway's confirmation tone, dials\n"
		"the --confirm number (omit it to simulate a user who never dials again) and\n"
		"sends F.tif (TIFF-F). The gateway checks the dial rules and the double entry\n"
		"as for a real device: accepted -> stored in the vault and queued; refused ->\n"
		"reject tone, nothing stored, security audit record.\n\n"
		"  --device NAME the office machine is device NAME, whose own outbound\n"
		"                policy applies (faxgw device set; default: device)\n"
		"  --out DIR     the simulated public far end saves this job's pages there as\n"
		"                JOBID.tif (default: [lines] far_end_dir)\n"
		"  --wait        after queuing, wait until the job is done or failed\n"
		"  --data DIR    data directory of the daemon (default " STORE_DEFAULT_DIR ")\n"
		"  --socket PATH the daemon's control socket (default DIR/control.sock)\n\n"
		"Exit status 0 when accepted (with --wait: and sent), 1 otherwise.\n");
}

static int out_options(int argc, char **argv, struct out_args *a)
{
	static const struct option opts[] = {
		{"dial", required_argument, NULL, 'n'}, {"confirm", required_argument, NULL, 'c'},
		{"file", required_argument, NULL, 'f'}, {"out", required_argument, NULL, 'o'},
		{"wait", no_argument, NULL, 'w'}, {"data", required_argument, NULL, 'd'},
		{"socket", required_argument, NULL, 'S'}, {"help", no_argument, NULL, 'h'},
		{"device", required_argument, NULL, 'D'}, {NULL, 0, NULL, 0},
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': a->dial = optarg; break;
		case 'c': a->confirm = optarg; break;
		case 'f': a->file = optarg; break;
		case 'o': a->out = optarg; break;
		case 'w': a->wait = true; break;
		case 'd': a->data = optarg; break;
		case 'S': a->socket = optarg; break;
		case 'D': a->device = optarg; break;
		case 'h': out_usage(stdout); return 0;
		default: out_usage(stderr); return 2;
		}
	}
	if (optind < argc || a->file == NULL || a->dial == NULL) {
		fprintf(stderr, "faxgw simulate outgoing: %s\n", optind < argc ?
			"unexpected argument" : "--dial and --file are required");
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

/* Polls the catalog until job id is over; prints the outcome. */
static int wait_job(const char *data, const char *id)
{
	struct store *s = NULL;
	struct queue *q = NULL;
	struct queue_config qc;
	struct catalog_outjob j;
	int rc = store_open(data != NULL ? data : STORE_DEFAULT_DIR, NULL, &s);

	queue_config_init(&qc);
	if (rc == 0)
		rc = queue_open(s, &qc, NULL, NULL, &q);
	while (rc == 0 && (rc = queue_get(q, id, &j)) == 0 &&
	       (strcmp(j.job.state, QUEUE_STATE_QUEUED) == 0 ||
		strcmp(j.job.state, QUEUE_STATE_SENDING) == 0))
		(void)poll(NULL, 0, WAIT_POLL_MS);
	queue_close(q);
	(void)store_close(s);
	if (rc != 0) {
		fprintf(stderr, "faxgw simulate outgoing: cannot follow job %s: %s\n", id,
			fgw_strerror(rc));
		return 1;
	}
	printf("job %s: %s after %u attempt(s)%s%s\n", id, j.job.state, j.job.attempts,
	       j.last_error[0] != '\0' ? "; last error: " : "", j.last_error);
	return strcmp(j.job.state, QUEUE_STATE_DONE) == 0 ? 0 : 1;
}

static int out_call(const struct out_args *a, const int *fds, size_t nfds)
{
	struct control_line req;
	char path[4200], msg[CONTROL_LINE_MAX], id[QUEUE_ID_LEN + 1];

	if (control_client_path(a->data, a->socket, path, sizeof path) != 0) {
		fprintf(stderr, "faxgw simulate outgoing: socket path too long\n");
		return 2;
	}
	control_line_init(&req, "simulate-outgoing");
	control_line_add(&req, "dial", a->dial);
	if (a->confirm != NULL)
		control_line_add(&req, "confirm", a->confirm);
	if (a->device != NULL)
		control_line_add(&req, "device", a->device);
	if (control_line_finish(&req) != 0) {
		fprintf(stderr, "faxgw simulate outgoing: numbers too long\n");
		return 2;
	}
	int rc = control_client_call(path, &req, fds, nfds, -1, print_line, NULL, msg, sizeof msg);
	if (rc != 0) {
		printf("result: %s\n", msg);
		return 1;
	}
	printf("result: %s\n", msg);
	/* "accepted: job ID to NUMBER" */
	if (!a->wait)
		return 0;
	if (strncmp(msg, "accepted: job ", 14) != 0 || strlen(msg + 14) < QUEUE_ID_LEN) {
		fprintf(stderr, "faxgw simulate outgoing: unexpected answer; cannot wait\n");
		return 1;
	}
	memcpy(id, msg + 14, QUEUE_ID_LEN);
	id[QUEUE_ID_LEN] = '\0';
	return wait_job(a->data, id);
}

int simulate_outgoing(int argc, char **argv)
{
	struct out_args a = {0};
	int rc = out_options(argc, argv, &a), fds[2] = {-1, -1};
	size_t n = 1;

	if (rc >= 0)
		return rc;
	/* Opened here, as the user: the daemon gets descriptors only. */
	fds[0] = open(a.file, O_RDONLY | O_CLOEXEC);
	if (fds[0] < 0) {
		fprintf(stderr, "faxgw simulate outgoing: cannot open %s: %s\n", a.file,
			strerror(errno));
		return 1;
	}
	if (a.out != NULL) {
		fds[1] = open(a.out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fds[1] < 0) {
			fprintf(stderr, "faxgw simulate outgoing: --out %s: %s\n", a.out,
				strerror(errno));
			close(fds[0]);
			return 1;
		}
		n = 2;
	}
	rc = out_call(&a, fds, n);
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return rc;
}

/* ---- simulate far-end ---------------------------------------------------- */

static void farend_usage(FILE *f)
{
	fprintf(f,
		"usage: faxgw simulate far-end [--busy N] [--noanswer N] [--data DIR | --socket PATH]\n\n"
		"SIMULATION, for testing retries: the simulated public fax machine the gateway\n"
		"calls is busy for the next N calls (--busy), then does not answer the next N\n"
		"(--noanswer). 0 clears. Kept in faxgwd's memory until it stops.\n");
}

int simulate_far_end(int argc, char **argv)
{
	static const struct option opts[] = {
		{"busy", required_argument, NULL, 'b'}, {"noanswer", required_argument, NULL, 'n'},
		{"data", required_argument, NULL, 'd'}, {"socket", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	const char *busy = NULL, *noanswer = NULL, *data = NULL, *sock = NULL;
	char path[4200], msg[CONTROL_LINE_MAX];
	struct control_line req;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b': busy = optarg; break;
		case 'n': noanswer = optarg; break;
		case 'd': data = optarg; break;
		case 'S': sock = optarg; break;
		case 'h': farend_usage(stdout); return 0;
		default: farend_usage(stderr); return 2;
		}
	}
	if (optind < argc || (busy == NULL && noanswer == NULL)) {
		farend_usage(stderr);
		return 2;
	}
	control_line_init(&req, "simulate-far-end");
	if (busy != NULL)
		control_line_add(&req, "busy", busy);
	if (noanswer != NULL)
		control_line_add(&req, "noanswer", noanswer);
	if (control_client_path(data, sock, path, sizeof path) != 0 ||
	    control_line_finish(&req) != 0)
		return 2;
	int rc = control_client_call(path, &req, NULL, 0, 10000, print_line, NULL, msg, sizeof msg);
	printf("%s\n", msg);
	return rc == 0 ? 0 : 1;
}
