/* Shared by the end-to-end tests: a real faxgwd on a fresh device, driven
 * only through the faxgw CLI (and, where a test needs it, raw bytes on its
 * control socket). Set-up and tear-down failures fail the test (Criterion).
 *
 *   struct dh *h = dh_new();         temp dir, `faxgw init`, test config
 *   dh_start(h);                     faxgwd -f -c CONFIG, waits for the socket
 *   dh_cli(h, NULL, &r, "mailbox", "create", ..., NULL);
 *   dh_stop(h);                      SIGTERM, its exit status
 *   dh_free(h);                      kills what still runs, removes the dir
 *
 * As root the daemon drops to "nobody" ([general] user), so the data
 * directory and every CLI command run as nobody too: the files the CLI
 * writes into the data directory then belong to the daemon's user, as on
 * an installed appliance where the admin runs faxgw as the service user.
 * As an ordinary user everything runs as that user. */
#ifndef FAXGW_TESTS_DAEMON_HARNESS_H
#define FAXGW_TESTS_DAEMON_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct dh;

/* What a CLI command did. */
struct dh_result {
	int status;        /* exit status; 128+N when killed by signal N */
	char out[65536];   /* its stdout (cut at the size) */
	char err[16384];   /* its stderr */
};

/* Makes the temp dir, runs `faxgw init --data DIR/data` from $FAXGW_BUILD
 * and writes the test config (see dh_config). Owned by the caller
 * (dh_free). */
struct dh *dh_new(void);

/* Rewrites the config: config/faxgw.ini with data_dir, user (as root),
 * [security] scrypt_log2_n = 14 and pin_lock_minutes = 1, then each
 * "key = value" of overrides (NULL-terminated; may be NULL) replacing the
 * line of that key (the test fails if no such key). The daemon reads it at
 * start and on SIGHUP. */
void dh_config(struct dh *h, const char *const *overrides);

/* Starts faxgwd -f -c CONFIG (its stdout/stderr into dh_log_path) and
 * waits up to 10 s for it to answer ping on its socket. */
void dh_start(struct dh *h);

/* SIGTERM, waits; returns the exit status (128+N if killed by N). */
int dh_stop(struct dh *h);

/* SIGKILL, waits (a crash). */
void dh_kill(struct dh *h);

/* The daemon's pid, -1 when not running. */
pid_t dh_pid(const struct dh *h);

/* Runs $FAXGW_BUILD/faxgw with the NULL-terminated arguments (after the
 * program name), stdin from the text input (NULL: empty), and
 * "--data DIR" appended when add_data. Waits at most 120 s. Fills *r and
 * returns r->status. */
int dh_cli(struct dh *h, const char *input, bool add_data, struct dh_result *r, ...);

/* Same with an argument vector (NULL-terminated). */
int dh_cliv(struct dh *h, const char *input, bool add_data, struct dh_result *r,
	    const char *const *args);

/* Starts the CLI without waiting; output goes to out_path. Returns its
 * pid (dh_wait). */
pid_t dh_cli_start(struct dh *h, bool add_data, const char *out_path, const char *const *args);

/* Waits for a pid started by dh_cli_start; its exit status. */
int dh_wait(struct dh *h, pid_t pid);

/* Paths inside the temp dir; owned by h. */
const char *dh_dir(const struct dh *h);        /* the temp dir */
const char *dh_data(const struct dh *h);       /* DIR/data */
const char *dh_config_path(const struct dh *h);
const char *dh_log_path(const struct dh *h);   /* the daemon's output */
const char *dh_socket(const struct dh *h);     /* DIR/data/control.sock */

/* Makes DIR/name, writable by the user the CLI runs as; returns its path
 * in a static buffer that the next call overwrites. */
const char *dh_mkdir(struct dh *h, const char *name);

/* True once the daemon's output contains needle, polling up to wait_ms. */
bool dh_log_has(const struct dh *h, const char *needle, int wait_ms);

/* True once file path contains needle, polling up to wait_ms. */
bool dh_file_has(const char *path, const char *needle, int wait_ms);

/* Reads a whole file (up to size-1 bytes) into buf, NUL-terminated;
 * returns the length (0 when it cannot be read). */
size_t dh_read_file(const char *path, char *buf, size_t size);

/* Sleeps ms milliseconds. */
void dh_sleep_ms(long ms);

/* The last 4000 bytes of h's daemon log, for failure messages (the folder
 * is gone after the test); the two most recent answers stay valid. */
const char *dh_log_tail(const struct dh *h);

/* Waits up to wait_ms for a *.tif in dir (then 300 ms more, so the file
 * written in one go is closed). Returns true with its path in path. */
bool dh_wait_tif(const char *dir, int wait_ms, char *path, size_t size);

/* Kills the daemon if it still runs, removes the temp dir, frees h. NULL
 * is fine. */
void dh_free(struct dh *h);

#endif
