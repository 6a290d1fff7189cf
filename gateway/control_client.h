/* The CLI's side of the control socket (protocol in gateway/control.h):
 * connect, send one request with optional descriptors, read the data
 * lines and the final status line. Blocking; for commands, not the
 * daemon. */
#ifndef FAXGW_GATEWAY_CONTROL_CLIENT_H
#define FAXGW_GATEWAY_CONTROL_CLIENT_H

#include <stddef.h>

#include "gateway/control.h"

/* Writes the socket path into out: socket when not NULL, else
 * DATA_DIR/control.sock with data (NULL: the default data directory).
 * Returns 0 or FGW_ERR_TOO_LARGE. */
int control_client_path(const char *data, const char *socket, char *out, size_t size);

/* Called for each data line, text without "- " and newline. */
typedef void control_client_line_fn(void *arg, const char *text);

/* Sends req (finished with control_line_finish) and fds (nfds <=
 * CONTROL_FDS_MAX, still the caller's) to the daemon at path, waits up to
 * timeout_ms (-1: no limit) for the answer, calling on_line (may be NULL)
 * per data line. msg (size bytes) gets the status text. Returns 0 for
 * "ok", the daemon's code for "error NAME", or, when the daemon cannot be
 * reached or answers badly, FGW_ERR_NOT_FOUND / FGW_ERR_PERMISSION /
 * FGW_ERR_IO / FGW_ERR_TIMEOUT / FGW_ERR_PARSE with msg saying what to do. */
int control_client_call(const char *path, const struct control_line *req,
			const int *fds, size_t nfds, int timeout_ms,
			control_client_line_fn *on_line, void *arg, char *msg, size_t size);

#endif
