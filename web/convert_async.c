/* Conversion in a child process, watched on the loop (see convert_async.h). */
#include "web/convert_async.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/memfile.h"

/* What the child writes to the pipe: one write, below PIPE_BUF, so it
 * arrives whole or not at all. */
struct record {
	int rc;
	unsigned pages;
	char msg[CONVERT_MSG_MAX];
};

struct convert_job {
	pid_t pid;
	int in;                      /* the document (memory file), ours */
	int rfd;                     /* the pipe's read end */
	int out;                     /* the shared memory file for the result */
	struct event *ev_read, *ev_deadline;
	struct record rec;
	size_t got;                  /* bytes of rec read */
	bool killed;                 /* the deadline passed */
	char name[128];
	convert_job_fn done;
	void *arg;
};

/* ---- the child ----------------------------------------------------------- */

/* Copies the converted TIFF in from into the shared memory file to. */
static int copy_out(int from, int to)
{
	char buf[65536];
	off_t off = 0;
	ssize_t n;

	while ((n = pread(from, buf, sizeof buf, off)) > 0) {
		if (write(to, buf, (size_t)n) != n)
			return FGW_ERR_IO;
		off += n;
	}
	OPENSSL_cleanse(buf, sizeof buf);
	return n == 0 ? FGW_OK : FGW_ERR_IO;
}

/* Closes every descriptor above stderr except the three the child needs:
 * a held client socket would keep a closed connection open, a held
 * listening socket would keep the port from a restarted daemon. */
static void close_others(int a, int b, int c)
{
	int keep[3] = { a, b, c }, t;
	unsigned from = 3;

	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (keep[j] < keep[i]) {
				t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	for (int i = 0; i < 3; i++) {
		if (keep[i] < 3 || (unsigned)keep[i] < from)
			continue;
		if ((unsigned)keep[i] > from && close_range(from, (unsigned)keep[i] - 1, 0) != 0)
			_exit(125);
		from = (unsigned)keep[i] + 1;
	}
	if (close_range(from, ~0u, 0) != 0)
		_exit(125);
}

static void child_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2 };
	sigset_t none;

	/* the daemon's handlers write to its loop; this process has none */
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		(void)signal(sigs[i], SIG_DFL);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

static void child_main(int in_fd, int out, int wfd, const char *name, unsigned timeout_s)
{
	struct record rec;
	int fd = -1;

	child_signals();
	close_others(in_fd, out, wfd);
	memset(&rec, 0, sizeof rec);
	rec.rc = convert_to_fax(in_fd, name, timeout_s, &fd, &rec.pages, rec.msg,
				sizeof rec.msg);
	if (rec.rc == FGW_OK) {
		rec.rc = copy_out(fd, out);
		if (rec.rc != FGW_OK)
			(void)str_format(rec.msg, sizeof rec.msg, "%s: the converted pages could "
					 "not be kept (%s); try again", name, fgw_strerror(rec.rc));
	}
	if (fd >= 0)
		(void)memfile_wipe_close(fd);
	_exit(write(wfd, &rec, sizeof rec) == (ssize_t)sizeof rec ? 0 : 1);
}

/* ---- the parent ---------------------------------------------------------- */

static void job_free(struct convert_job *j)
{
	if (j->ev_read)
		event_free(j->ev_read);
	if (j->ev_deadline)
		event_free(j->ev_deadline);
	if (j->rfd >= 0)
		(void)close(j->rfd);
	if (j->out >= 0)
		(void)memfile_wipe_close(j->out);
	if (j->in >= 0)
		(void)memfile_wipe_close(j->in);
	OPENSSL_cleanse(j, sizeof *j);
	free(j);
}

static void reap(struct convert_job *j, int *status)
{
	*status = -1;
	while (j->pid > 0 && waitpid(j->pid, status, 0) < 0 && errno == EINTR)
		;
	j->pid = -1;
}

/* The child has closed the pipe (ended): the result, then done. */
static void job_finish(struct convert_job *j)
{
	struct convert_result res = { .fd = -1 };
	int status;

	reap(j, &status);
	if (j->got == sizeof j->rec && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		res.rc = j->rec.rc;
		res.pages = j->rec.pages;
		memcpy(res.msg, j->rec.msg, sizeof res.msg);
		res.msg[sizeof res.msg - 1] = '\0';
	} else if (j->killed) {
		res.rc = FGW_ERR_TIMEOUT;
		(void)str_format(res.msg, sizeof res.msg, "%s: the conversion did not finish "
				 "in time and was stopped; the document may be hostile or too "
				 "complex", j->name);
	} else {
		res.rc = FGW_ERR_IO;
		log_error("web: the conversion of %s ended without a result (wait status %d)",
			  j->name, status);
		(void)str_format(res.msg, sizeof res.msg, "%s: the conversion stopped "
				 "unexpectedly; try again, or see the system log", j->name);
	}
	if (res.rc == FGW_OK) {
		res.fd = j->out;
		j->out = -1;
	}
	j->done(j->arg, &res);
	OPENSSL_cleanse(&res, sizeof res);
	job_free(j);
}

static void on_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct convert_job *j = arg;
	char *p = (char *)&j->rec;
	ssize_t n;

	(void)what;
	if (j->got < sizeof j->rec)
		n = read(fd, p + j->got, sizeof j->rec - j->got);
	else
		n = read(fd, &(char){0}, 1);   /* a record is all there is: wait for EOF */
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0) {
		if (j->got < sizeof j->rec)
			j->got += (size_t)n;
		return;
	}
	job_finish(j);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct convert_job *j = arg;

	(void)fd, (void)what;
	log_warn("web: the conversion of %s ran past its deadline; stopping it", j->name);
	j->killed = true;
	if (j->pid > 0)
		(void)kill(j->pid, SIGKILL);
	/* the pipe's EOF follows and finishes the job */
}

static int job_spawn(struct convert_job *j, unsigned timeout_s)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) != 0)
		return FGW_ERR_IO;
	j->pid = fork();
	if (j->pid == 0) {
		(void)close(p[0]);
		child_main(j->in, j->out, p[1], j->name, timeout_s);
	}
	(void)close(p[1]);
	if (j->pid < 0) {
		(void)close(p[0]);
		return FGW_ERR_IO;
	}
	j->rfd = p[0];
	if (fcntl(j->rfd, F_SETFL, O_NONBLOCK) != 0)
		log_errno("web: conversion pipe");
	return FGW_OK;
}

int convert_job_start(struct event_base *base, int in_fd, const char *name, unsigned timeout_s,
		      convert_job_fn done, void *arg, struct convert_job **out)
{
	struct timeval deadline = { .tv_sec = (time_t)(timeout_s + CONVERT_JOB_GRACE_S) };
	struct convert_job *j;
	int rc;

	if (!base || !name || !done || timeout_s == 0 || timeout_s > CONVERT_TIMEOUT_MAX) {
		(void)memfile_wipe_close(in_fd);
		return FGW_ERR_INVALID;
	}
	j = calloc(1, sizeof *j);
	if (!j) {
		(void)memfile_wipe_close(in_fd);
		return FGW_ERR_NOMEM;
	}
	j->in = in_fd;
	j->rfd = -1;
	j->pid = -1;
	j->done = done;
	j->arg = arg;
	/* a long name is shortened: it is only shown */
	if (str_copy(j->name, sizeof j->name, name) != FGW_OK)
		j->name[sizeof j->name - 1] = '\0';
	j->out = memfile_create("faxgw-converted");
	rc = j->out < 0 ? j->out : job_spawn(j, timeout_s);
	if (rc == FGW_OK) {
		j->ev_read = event_new(base, j->rfd, EV_READ | EV_PERSIST, on_pipe, j);
		j->ev_deadline = evtimer_new(base, on_deadline, j);
		if (!j->ev_read || !j->ev_deadline || event_add(j->ev_read, NULL) != 0 ||
		    evtimer_add(j->ev_deadline, &deadline) != 0)
			rc = FGW_ERR_NOMEM;
	}
	if (rc != FGW_OK) {
		convert_job_cancel(j);
		return rc;
	}
	*out = j;
	return FGW_OK;
}

void convert_job_cancel(struct convert_job *j)
{
	int status;

	if (!j)
		return;
	if (j->pid > 0)
		(void)kill(j->pid, SIGKILL);
	reap(j, &status);
	job_free(j);
}

struct run_wait {
	struct convert_result *res;
	struct event_base *base;
	bool finished;
};

static void run_done(void *arg, struct convert_result *res)
{
	struct run_wait *w = arg;

	*w->res = *res;
	w->finished = true;
	(void)event_base_loopbreak(w->base);
}

int convert_job_run(int in_fd, const char *name, unsigned timeout_s, struct convert_result *res)
{
	struct run_wait w = { .res = res, .base = event_base_new() };
	struct convert_job *j;
	int rc;

	memset(res, 0, sizeof *res);
	res->fd = -1;
	if (!w.base) {
		(void)memfile_wipe_close(in_fd);
		return res->rc = FGW_ERR_NOMEM;
	}
	rc = convert_job_start(w.base, in_fd, name, timeout_s, run_done, &w, &j);
	if (rc == FGW_OK && (event_base_dispatch(w.base) < 0 || !w.finished)) {
		convert_job_cancel(j);
		rc = FGW_ERR_IO;
	} else if (rc == FGW_OK) {
		rc = res->rc;
	}
	event_base_free(w.base);
	if (rc != FGW_OK && !res->msg[0])
		(void)str_format(res->msg, sizeof res->msg, "%s: the conversion could not be "
				 "started (%s); try again", name, fgw_strerror(rc));
	return res->rc = rc;
}
