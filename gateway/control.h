/* The control socket: how the CLI talks to the running daemon.
 *
 * Transport: a UNIX stream socket DATA_DIR/control.sock, mode 0600 (the
 * data directory is 0700 too), and only peers whose uid is the daemon's or
 * root are served (SO_PEERCRED). One request per connection.
 *
 * Request: one line of at most CONTROL_LINE_MAX bytes, newline included:
 *
 *     verb key=value key=value ...\n
 *
 * verb and keys are [a-z][a-z0-9_-]{0,31}, separated by single spaces, at
 * most CONTROL_ARGS_MAX arguments, each key once. A value is any bytes but
 * NUL: printable ASCII other than '%', '=' and space stand for themselves,
 * everything else is written %XX (hex). Up to CONTROL_FDS_MAX file
 * descriptors may ride along (SCM_RIGHTS) with the request bytes, so the
 * CLI opens user files as the user and the daemon never opens user paths.
 *
 * Response: any number of data lines "- text\n", then exactly one status
 * line, "ok text\n" or "error NAME text\n" (NAME as fgw_errname, e.g.
 * FGW_ERR_BUSY), after which the daemon closes the connection.
 *
 * Adding a verb (other modules): write a handler and register it once at
 * start-up, from your module's daemon hook (see gateway/daemon.h):
 *
 *     static void on_hello(struct control_conn *c,
 *                          struct control_request *req, void *arg)
 *     {
 *             control_conn_send(c, "hello %s", control_arg(req, "name"));
 *             control_conn_finish(c, 0, "greeted");
 *     }
 *     control_register(ctl, "hello", on_hello, my_state);
 *
 * A handler must call control_conn_finish exactly once, there or later
 * (e.g. when a call ends). If it finishes later it must also call
 * control_conn_on_close: the client may go away first, after which the
 * conn must not be touched. */
#ifndef FAXGW_GATEWAY_CONTROL_H
#define FAXGW_GATEWAY_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CONTROL_SOCKET_FILE "control.sock"
#define CONTROL_LINE_MAX 4096   /* request bytes, newline included */
#define CONTROL_ARGS_MAX 16
#define CONTROL_NAME_MAX 32     /* verb and key length */
#define CONTROL_FDS_MAX 4
#define CONTROL_REQUEST_SECONDS 5 /* a request must arrive within this */

struct event_base;
struct control;
struct control_conn;

/* ---- requests (pure; no daemon state) ---------------------------------- */

struct control_request {
	char verb[CONTROL_NAME_MAX + 1];
	size_t nargs;
	struct {
		char key[CONTROL_NAME_MAX + 1];
		const char *value;      /* decoded, NUL-terminated, in buf */
	} args[CONTROL_ARGS_MAX];
	char buf[CONTROL_LINE_MAX]; /* decoded values */
	int fds[CONTROL_FDS_MAX];   /* passed descriptors; -1 when taken */
	size_t nfds;
};

/* Parses len bytes at data, which must be exactly one request line ending
 * in '\n', into *req (nfds set to 0). Returns 0, FGW_ERR_TOO_LARGE (over
 * CONTROL_LINE_MAX) or FGW_ERR_PARSE; on failure why (why_size bytes, may
 * be NULL) says what is wrong in one sentence. */
int control_parse(const char *data, size_t len, struct control_request *req,
		  char *why, size_t why_size);

/* Returns the value of key in req, or NULL when absent. Owned by req. */
const char *control_arg(const struct control_request *req, const char *key);

/* A request being built by a client. */
struct control_line {
	char buf[CONTROL_LINE_MAX];
	size_t len;
	int err;                    /* first error; later adds are ignored */
};

/* Starts a request with verb. Errors are kept in l->err. */
void control_line_init(struct control_line *l, const char *verb);

/* Appends " key=value", encoding value. Errors are kept in l->err:
 * FGW_ERR_INVALID for a bad key, FGW_ERR_TOO_LARGE when over the limit. */
void control_line_add(struct control_line *l, const char *key, const char *value);

/* Ends the line with '\n'. Returns 0 or the first error met. */
int control_line_finish(struct control_line *l);

/* ---- the server (in the daemon) ---------------------------------------- */

/* Called for a request naming the verb it was registered for. req (and
 * its fds not taken) is valid only during the call. */
typedef void control_handler_fn(struct control_conn *conn,
				struct control_request *req, void *arg);

/* Binds path (an existing socket file is replaced: the caller holds the
 * data directory's pid lock), mode 0600, chowned to owner unless owner is
 * (uid_t)-1, and serves it on base. Returns 0 and *out (control_close),
 * FGW_ERR_TOO_LARGE (path too long for a socket), FGW_ERR_IO (logged). */
int control_open(struct event_base *base, const char *path, uid_t owner,
		 struct control **out);

/* Adds verb (a request word, see above) served by fn(conn, req, arg).
 * Returns 0, FGW_ERR_EXISTS (already registered), FGW_ERR_INVALID (bad
 * verb), FGW_ERR_NOMEM. */
int control_register(struct control *ctl, const char *verb,
		     control_handler_fn *fn, void *arg);

/* Open connections (requests being served). */
size_t control_connections(const struct control *ctl);

/* Stops listening, drops every connection (calling their close hooks),
 * unlinks the socket file, frees ctl. NULL is fine. */
void control_close(struct control *ctl);

/* Takes the i-th passed descriptor: the caller owns it from now (close
 * it). Returns it, or -1 when there is none. */
int control_take_fd(struct control_request *req, size_t i);

/* Sends one data line ("- " + text). Returns 0, FGW_ERR_STATE after
 * finish, FGW_ERR_NOMEM. Text is cut at CONTROL_LINE_MAX bytes, newlines
 * in it become spaces. */
int control_conn_send(struct control_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sends the status line: "ok text" when code is 0, else "error NAME
 * text", then closes once written. Call once; the conn must not be used
 * afterwards. */
void control_conn_finish(struct control_conn *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* fn(arg) is called if the client disconnects (or the server closes)
 * before control_conn_finish; the conn is freed right after. */
void control_conn_on_close(struct control_conn *c, void (*fn)(void *arg), void *arg);

#endif
