/* The owner notification hook: a program the administrator names in
 * [notify] command, run once per event (a fax held in a mailbox, a fax
 * rejected, a job that finally failed) with the event as one JSON object
 * on its stdin, e.g.
 *
 *   {"event":"fax_received","time":"2024-05-01T09:30:00.000Z",
 *    "mailbox":"1234","remote_number":"0312345678","remote_ident":"+81 3",
 *    "pages":2,"document":"<32 hex>","result":"ok"}
 *
 * Never document content, PINs or passwords. The program runs without a
 * shell: argv is just its path, the environment only PATH, every fd above
 * 2 is closed, stdout goes to /dev/null, stderr is inherited (so it lands
 * in the daemon's log in the foreground), and it gets a process group of
 * its own. A hook that runs longer than [notify] timeout_seconds is killed
 * (the whole group) and logged; a failing hook is logged; neither ever
 * affects the fax.
 *
 * notify_spawn does not wait: the event loop calls notify_poll, e.g. from
 * a timer every 100-500 ms while notify_running() > 0, or on SIGCHLD (a
 * libevent signal event). notify_run_sync is the waiting form for tests and
 * the CLI. One struct notify per process is typical; no globals. */
#ifndef FAXGW_GATEWAY_NOTIFY_H
#define FAXGW_GATEWAY_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct notify;

#define NOTIFY_MAX_RUNNING 16    /* hooks alive at once; more are dropped */
#define NOTIFY_JSON_MAX 2048     /* one event, newline included */
#define NOTIFY_COMMAND_MAX 4095

/* One event. NULL strings are written as "". */
struct notify_event {
	const char *event;          /* "fax_received", "fax_rejected", ... */
	int64_t time_ms;            /* Unix ms UTC; 0 = now */
	const char *mailbox;        /* "" = general inbox */
	const char *remote_number;
	const char *remote_ident;
	int64_t pages;
	const char *document;       /* document id, "" when none */
	const char *result;         /* "ok" or the reason */
};

/* Makes a notifier for command (an absolute path; NULL or "" = no hook:
 * spawns then do nothing) with a timeout of timeout_seconds (1..3600).
 * Returns 0 and *out (free with notify_free), FGW_ERR_INVALID (relative
 * path, bad timeout) or FGW_ERR_NOMEM. */
int notify_new(const char *command, unsigned timeout_seconds, struct notify **out);

/* As notify_new with [notify] command and timeout_seconds of cfg. */
int notify_from_config(const struct config *cfg, struct notify **out);

/* Kills (SIGKILL to the process group) and reaps every hook still running,
 * then frees n. NULL is fine. */
void notify_free(struct notify *n);

/* Writes ev as one JSON line (with newline) into buf (size bytes). Strings
 * are escaped (quote, backslash, control bytes, and bytes >= 0x7f as
 * \u00XX) so a remote ident cannot break the object. Returns 0 or
 * FGW_ERR_TOO_LARGE. */
int notify_format(const struct notify_event *ev, char *buf, size_t size);

/* Starts the hook for ev without waiting for it. Returns 0 (also when no
 * command is configured), FGW_ERR_BUSY (NOTIFY_MAX_RUNNING hooks still
 * running: this event is dropped and logged), FGW_ERR_TOO_LARGE or
 * FGW_ERR_IO (pipe/fork failed; logged). */
int notify_spawn(struct notify *n, const struct notify_event *ev);

/* Reaps hooks that ended (logging a non-zero exit or a signal) and kills
 * those past their timeout. Never blocks. Returns the number still
 * running. */
int notify_poll(struct notify *n);

/* Hooks started and not yet reaped. */
int notify_running(const struct notify *n);

/* Runs the hook for ev and waits for it (at most the timeout plus a
 * moment to reap). Returns 0 when it exited with status 0 or no command
 * is configured, FGW_ERR_TIMEOUT when it was killed at the timeout,
 * FGW_ERR_IO when it failed (non-zero exit, killed by a signal, could not
 * be executed: exit 127) or could not start, FGW_ERR_BUSY as notify_spawn. */
int notify_run_sync(struct notify *n, const struct notify_event *ev);

#endif
