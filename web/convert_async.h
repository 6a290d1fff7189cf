/* Document conversion (gateway/convert.h) in a child process watched on
 * an event loop: Ghostscript may take its whole deadline on a hostile PDF,
 * and faxgwd's loop (fax lines, other web requests) must not wait for it.
 * The child runs convert_to_fax and writes the fax TIFF into a memory
 * file the parent made before the fork (shared, never on disk), then a
 * fixed-size result record into a pipe; the loop reads the pipe. */
#ifndef FAXGW_WEB_CONVERT_ASYNC_H
#define FAXGW_WEB_CONVERT_ASYNC_H

#include "gateway/convert.h"

struct event_base;
struct convert_job;

#define CONVERT_JOB_GRACE_S 15u   /* past Ghostscript's deadline: the child is killed */

struct convert_result {
	int rc;                     /* 0, or convert_to_fax's codes; FGW_ERR_IO when
				       the child died; FGW_ERR_TIMEOUT when killed */
	int fd;                     /* rc == 0: the fax TIFF (memory file), owned by
				       whoever takes it; -1 otherwise */
	unsigned pages;
	char msg[CONVERT_MSG_MAX];  /* rc != 0: for the user, names the document */
};

/* Called once on the loop when the job ends; res->fd is the callee's
 * (memfile_wipe_close it). The job is freed after it returns. */
typedef void (*convert_job_fn)(void *arg, struct convert_result *res);

/* Starts converting the document in the memory file in_fd, which the job
 * takes over in every case (it is wiped and closed when the job ends or
 * cannot start: the child reads the same file), called name in messages, Ghostscript bounded by timeout_s
 * (1..CONVERT_TIMEOUT_MAX), in a child process holding no other
 * descriptor of the daemon. Returns 0 and *out (for convert_job_cancel;
 * invalid once done has run), FGW_ERR_INVALID, FGW_ERR_IO or
 * FGW_ERR_NOMEM (then done is never called). */
int convert_job_start(struct event_base *base, int in_fd, const char *name, unsigned timeout_s,
		      convert_job_fn done, void *arg, struct convert_job **out);

/* Stops a job whose done has not run: kills and reaps the child, wipes
 * what it made, frees the job; done is not called. NULL is a no-op. */
void convert_job_cancel(struct convert_job *j);

/* The same child, waited for here on a loop of its own (for callers
 * without one); in_fd is taken over as above. Returns res->rc; res->fd is
 * the caller's on success. */
int convert_job_run(int in_fd, const char *name, unsigned timeout_s, struct convert_result *res);

#endif
