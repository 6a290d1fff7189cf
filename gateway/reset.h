/* Factory reset of a running appliance: the web page asks for it, faxgwd
 * runs it once its loop has stopped and everything is closed, then starts
 * again on a new, empty device (first-run state). Certificates of every
 * reset stay in DIR/STORE_ERASURE_DIR, which the wipe and store_init keep,
 * so the next admin can still download them; faxgw wipe --all puts its
 * certificate there too by default. */
#ifndef FAXGW_GATEWAY_RESET_H
#define FAXGW_GATEWAY_RESET_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "storage/store.h"

#define RESET_REQUEST_FILE "reset-requested" /* DIR/; wiped by the reset itself */
#define RESET_NAME_MAX 200                   /* certificate file names */
#define RESET_STOP_REASON "factory reset"    /* daemon_stop reason of a reset */

/* Makes DIR/STORE_ERASURE_DIR if missing (0700, owned like dir so the
 * service user reads what root wrote) and puts its path in path. Returns
 * 0, FGW_ERR_TOO_LARGE or FGW_ERR_IO (logged with the path). */
int reset_erasure_dir(const char *data_dir, char *path, size_t size);

/* Records that user, from source, confirmed a factory reset of data_dir:
 * the request file (0600, fsynced) names them. Returns 0 or FGW_ERR_IO. */
int reset_request(const char *data_dir, const char *user, const char *source);

/* True when a confirmed reset waits in data_dir. */
bool reset_pending(const char *data_dir);

/* Runs the pending reset of data_dir (nothing may hold it open):
 * store_wipe_all with the certificate in DIR/STORE_ERASURE_DIR, then
 * store_init (new keys, no users) with a first audit record naming who
 * asked and the certificate. report and tally may be NULL. Returns 0 or
 * the first error (logged: what was left and what to do). */
int reset_run(const char *data_dir, struct store_erase_report *report,
	      struct wipe_tally *tally);

#define RESET_LIST_MAX 64 /* certificates the web page lists */

/* One certificate of DIR/STORE_ERASURE_DIR. */
struct reset_cert {
	char name[RESET_NAME_MAX]; /* erasure-....json, no folder */
	struct timespec mtime;
};

/* The newest max certificates (JSON files) of DIR/STORE_ERASURE_DIR,
 * newest first, into out; *n gets how many. Returns 0, FGW_ERR_NOT_FOUND
 * (no folder) or FGW_ERR_TOO_LARGE (there were more: the oldest were left
 * out). max > 0. */
int reset_list(const char *data_dir, struct reset_cert *out, size_t max, size_t *n);

/* The newest certificate: its JSON file's name into name. Returns 0 or
 * FGW_ERR_NOT_FOUND. */
int reset_latest(const char *data_dir, char *name, size_t size);

/* True when name is the plain name of a certificate file of a reset
 * (.json, .txt or .pub.pem; no slash, no dot-dot): what may be served. */
bool reset_cert_name_ok(const char *name);

#endif
