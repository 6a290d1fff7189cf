/* faxgw jobs: lists the outbound fax queue, or cancels a job. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/commands.h"
#include "gateway/queue.h"
#include "storage/store.h"

struct jobs_args {
	const char *dir, *cancel;
	bool json;
};

struct list_state {
	bool json;
	size_t count;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgw jobs [--json] [--data DIR]\n"
		"       faxgw jobs cancel ID [--data DIR]\n\n"
		"Lists the outbound faxes: id, state (queued, sending, done, failed,\n"
		"cancelled), attempts made of those allowed, when the next attempt is due\n"
		"(UTC), destination, where the request came from and the last error.\n"
		"cancel stops a job that is not done yet; it is logged.\n\n"
		"  --json       one JSON array of objects, for scripts\n"
		"  --data DIR   data directory (default " STORE_DEFAULT_DIR ")\n"
		"  --help       this text\n");
}

static int parse(int argc, char **argv, struct jobs_args *a)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"data", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': a->json = true; break;
		case 'd': a->dir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind == argc)
		return -1;
	if (strcmp(argv[optind], "cancel") == 0 && optind + 2 == argc && !a->json) {
		a->cancel = argv[optind + 1];
		return -1;
	}
	fprintf(stderr, "faxgw jobs: expected no argument, or cancel ID\n");
	usage(stderr);
	return 2;
}

/* Writes ms since the epoch as "YYYY-MM-DDTHH:MM:SSZ". */
static void utc(int64_t ms, char out[static 24])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)str_copy(out, 24, "?");
}

/* Prints s as a JSON string: quote, backslash and control bytes escaped;
 * bytes >= 0x80 escaped as \u00XX so the output is valid whatever s is. */
static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void print_json(const struct catalog_outjob *j, bool first)
{
	char next[24], created[24];

	utc(j->job.next_try_ms, next);
	utc(j->job.created_ms, created);
	printf("%s\n  {\"id\": ", first ? "" : ",");
	json_str(j->job.id);
	printf(", \"state\": ");
	json_str(j->job.state);
	printf(", \"destination\": ");
	json_str(j->job.destination);
	printf(", \"attempts\": %u, \"max_tries\": %u, \"next_try\": \"%s\", \"created\": \"%s\","
	       " \"origin\": ", j->job.attempts, j->max_tries, next, created);
	json_str(j->origin);
	printf(", \"device\": ");
	json_str(j->device);
	printf(", \"document\": ");
	json_str(j->job.document);
	printf(", \"last_error\": ");
	json_str(j->last_error);
	putchar('}');
}

static int print_job(const struct catalog_outjob *j, void *arg)
{
	struct list_state *st = arg;
	char next[24];

	if (st->json) {
		print_json(j, st->count == 0);
	} else {
		if (st->count == 0)
			printf("%-12s  %-9s  %5s  %-20s  %-16s  %-6s  %s\n", "ID", "STATE", "TRIES",
			       "NEXT TRY (UTC)", "DESTINATION", "ORIGIN", "LAST ERROR");
		utc(j->job.next_try_ms, next);
		printf("%-12s  %-9s  %2u/%-2u  %-20s  %-16s  %-6s  %s\n", j->job.id, j->job.state,
		       j->job.attempts, j->max_tries,
		       strcmp(j->job.state, QUEUE_STATE_QUEUED) == 0 ? next : "-",
		       j->job.destination, j->origin, j->last_error);
	}
	st->count++;
	return 0;
}

static int list_jobs(struct queue *q, bool json)
{
	struct list_state st = { json, 0 };
	int rc;

	if (json)
		putchar('[');
	rc = queue_list(q, print_job, &st);
	if (json)
		printf("%s]\n", st.count > 0 ? "\n" : "");
	else if (rc == FGW_OK && st.count == 0)
		printf("no outbound jobs\n");
	if (rc != FGW_OK)
		fprintf(stderr, "faxgw jobs: cannot read the queue: %s\n", fgw_strerror(rc));
	return rc;
}

static int cancel_job(struct queue *q, const char *id)
{
	int rc = queue_cancel(q, id, store_now_ms());

	if (rc == FGW_OK)
		printf("cancelled job %s\n", id);
	else if (rc == FGW_ERR_NOT_FOUND)
		fprintf(stderr, "faxgw jobs: no job %s (see faxgw jobs for the ids)\n", id);
	else if (rc == FGW_ERR_STATE)
		fprintf(stderr, "faxgw jobs: job %s is already done, failed or cancelled\n", id);
	else
		fprintf(stderr, "faxgw jobs: cannot cancel job %s: %s\n", id, fgw_strerror(rc));
	return rc;
}

int cmd_jobs(int argc, char **argv)
{
	struct jobs_args a = { .dir = STORE_DEFAULT_DIR };
	struct queue_config qc;
	struct store *s = NULL;
	struct queue *q = NULL;
	int rc = parse(argc, argv, &a);

	if (rc >= 0)
		return rc;
	queue_config_init(&qc);
	rc = store_open(a.dir, NULL, &s);
	if (rc != FGW_OK) {
		fprintf(stderr, "faxgw jobs: cannot open the device in %s: %s\n", a.dir,
			fgw_strerror(rc));
		return 1;
	}
	rc = queue_open(s, &qc, NULL, NULL, &q);
	if (rc == FGW_OK)
		rc = a.cancel != NULL ? cancel_job(q, a.cancel) : list_jobs(q, a.json);
	queue_close(q);
	if (store_close(s) != FGW_OK && rc == FGW_OK)
		rc = FGW_ERR_IO;
	return rc == FGW_OK ? 0 : 1;
}
