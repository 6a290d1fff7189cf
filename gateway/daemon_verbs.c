/* ping and status. */
#include <unistd.h>

#include "gateway/call.h"
#include "gateway/control.h"
#include "gateway/daemon.h"
#include "gateway/daemon_verbs.h"
#include "gateway/line_status.h"
#include "gateway/simline.h"

static void on_ping(struct control_conn *c, struct control_request *req, void *arg)
{
	(void)req, (void)arg;
	control_conn_finish(c, 0, "pong");
}

static void list_call(void *arg, const char *label, double seconds)
{
	control_conn_send(arg, "call %s %.1fs", label, seconds);
}

static void list_line(void *arg, const struct line_status *st)
{
	control_conn_send(arg, "line %s %s %u/%u busy%s%s%s", st->name, st->kind, st->busy,
			  st->channels, st->state[0] ? " (" : "", st->state,
			  st->state[0] ? ")" : "");
}

static void on_status(struct control_conn *c, struct control_request *req, void *arg)
{
	struct daemon *d = arg;

	(void)req;
	control_conn_send(c, "pid %ld", (long)getpid());
	control_conn_send(c, "uptime %.0fs", daemon_uptime(d));
	control_conn_send(c, "calls %zu in progress", call_registry_count(daemon_calls(d)));
	call_registry_list(daemon_calls(d), list_call, c);
	line_status_list(d, list_line, c);
	control_conn_finish(c, 0, "faxgwd running");
}

int daemon_verbs_init(struct daemon *d)
{
	int rc = control_register(daemon_control(d), "ping", on_ping, d);

	return rc != 0 ? rc : control_register(daemon_control(d), "status", on_status, d);
}
