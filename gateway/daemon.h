/* faxgwd's core: configuration, data directory lock, store, control
 * socket, simulated lines, calls and the libevent loop.
 *
 * Start-up order (each step refuses to go on with a clear message):
 * config -> data directory exists -> core dumps off -> lock
 * (DATA_DIR/faxgwd.pid) -> control socket bound -> privilege drop (when
 * root) -> store_open -> modules register their verbs -> audit "start".
 *
 * Signals: SIGTERM/SIGINT stop (shutdown hooks run, calls in flight are
 * aborted and recorded through their done callbacks, audit "stop");
 * SIGHUP reloads the configuration (a bad one is refused, every error
 * logged, the old one stays; audit "config_change" either way).
 * Timers: audit_check_clock every second, store_expire every minute.
 *
 * Adding a module: write `int mymod_daemon_init(struct daemon *d)` that
 * registers its verbs (control_register on daemon_control(d)) and its
 * shutdown hook, and add one line to the modules[] table in daemon.c. */
#ifndef FAXGW_GATEWAY_DAEMON_H
#define FAXGW_GATEWAY_DAEMON_H

#include <stdbool.h>

#include "gateway/inbound.h"

struct config;
struct control;
struct call_registry;
struct daemon;
struct event_base;
struct notify;
struct simline_set;
struct store;

/* Starts one module on d (registering verbs, timers, listeners). Returns 0
 * or an error code that stops the daemon from starting. */
typedef int daemon_module_fn(struct daemon *d);

/* Loads config_path and starts everything up to the loop (see above);
 * foreground: log to stderr, else syslog. extra (n_extra entries) are
 * modules of layers above gateway/ (the web interface), started after
 * gateway's own: faxgwd's main passes them, so gateway/ never includes
 * them. Returns 0 and *out
 * (daemon_free), or an FGW_ERR_* code after logging what is wrong and
 * what to do. */
int daemon_new(const char *config_path, bool foreground, daemon_module_fn *const *extra,
	       size_t n_extra, struct daemon **out);

/* Runs the loop until SIGTERM/SIGINT or daemon_stop. Returns 0 after a
 * clean stop (audit "stop" written and synced), or an error code. */
int daemon_run(struct daemon *d);

/* Asks the loop to stop as on SIGTERM (reason is recorded). */
void daemon_stop(struct daemon *d, const char *reason);

/* Closes everything and frees d. NULL is fine. */
void daemon_free(struct daemon *d);

/* The parts, owned by d. daemon_config is the current configuration: it
 * changes on reload, so do not keep the pointer past the current event
 * (a call takes its own reference with daemon_config_hold). */
struct event_base *daemon_base(struct daemon *d);
struct store *daemon_store(struct daemon *d);
struct control *daemon_control(struct daemon *d);
struct call_registry *daemon_calls(struct daemon *d);
struct simline_set *daemon_lines(struct daemon *d);
const struct config *daemon_config(const struct daemon *d);
/* The owner notification hook ([notify], read at start only: a reload
 * keeps it, since calls in flight use it); hooks are reaped by a 250 ms
 * timer. */
struct notify *daemon_notify(struct daemon *d);

/* Keeps the current configuration alive (a reload does not free it) until
 * daemon_config_release. Returns it. */
const struct config *daemon_config_hold(struct daemon *d);
void daemon_config_release(struct daemon *d, const struct config *cfg);

/* Where inbound calls hand general-inbox faxes for the office device line
 * ([inbound] forward_inbox_to_device): set once by the queue runner at
 * start; read by each inbound call into its inbound_env (fn NULL: none). */
void daemon_set_inbox_forward(struct daemon *d, inbound_forward_fn fn, void *arg);
void daemon_inbox_forward(const struct daemon *d, inbound_forward_fn *fn, void **arg);

/* Seconds since the daemon started serving. */
double daemon_uptime(const struct daemon *d);

/* Why the loop stopped: the first reason given to daemon_stop
 * ("SIGTERM", "factory reset", ...), or "" while it runs. Owned by d. */
const char *daemon_stop_reason(const struct daemon *d);

/* Registers fn(arg) to run when the daemon stops, before calls are aborted
 * (e.g. stop accepting jobs, flush a queue); last registered runs first.
 * Returns 0 or FGW_ERR_NOMEM. */
int daemon_on_shutdown(struct daemon *d, void (*fn)(void *arg), void *arg);

/* Registers fn(arg) to run after a SIGHUP reload was applied (daemon_config
 * is then the new configuration), in the order registered; a refused
 * reload runs none. Returns 0 or FGW_ERR_NOMEM. */
int daemon_on_reload(struct daemon *d, void (*fn)(void *arg), void *arg);

struct sip_service;
/* The SIP service (sip_service.h), owned by that module: set once at its
 * start and back to NULL at its shutdown. Returns NULL when no line is SIP. */
void daemon_set_sip(struct daemon *d, struct sip_service *sip);
struct sip_service *daemon_sip(struct daemon *d);

#endif
