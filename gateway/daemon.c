/* faxgwd's core: start-up, the loop, signals, timers, reload, shutdown. */
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/auditcopy.h"
#include "gateway/call.h"
#include "gateway/config.h"
#include "gateway/control.h"
#include "gateway/daemon.h"
#include "gateway/daemon_verbs.h"
#include "gateway/notify.h"
#include "gateway/pidfile.h"
#include "gateway/privdrop.h"
#include "gateway/queue_runner.h"
#include "gateway/sim_incoming.h"
#include "gateway/sip_service.h"
#include "gateway/simline.h"
#include "storage/audit_index.h"
#include "storage/store.h"

/* Modules that serve verbs: one line each (see daemon.h). */
static int (*const modules[])(struct daemon *d) = {
	daemon_verbs_init,
	sim_incoming_init,
	queue_runner_init,
	sip_service_daemon_init,
};

/* A configuration and who still uses it; the head is the current one. */
struct cfg_ref {
	struct config *cfg;
	unsigned refs;          /* the daemon's own (while current) + holds */
	struct cfg_ref *next;
};

struct hook {
	void (*fn)(void *arg);
	void *arg;
	struct hook *next;
};

struct daemon {
	char config_path[4096];
	bool foreground;
	struct cfg_ref *configs;
	char data_dir[4096];
	char user[64];
	uid_t uid;
	gid_t gid;
	bool will_drop;
	struct event_base *base;
	struct event *sig_term, *sig_int, *sig_hup, *clock_timer, *expire_timer, *notify_timer;
	struct notify *notify;
	struct pidfile *pid;
	struct control *ctl;
	struct store *store;
	struct audit_syslog *syslog_copy;
	struct simline_set *lines;
	struct call_registry *calls;
	struct hook *hooks;
	struct hook *reload_hooks;    /* run in order after a reload applied */
	inbound_forward_fn forward;
	void *forward_arg;
	struct timespec started;
	char stop_reason[32];
	struct sip_service *sip;      /* NULL when no line is SIP */
};

/* ---- configuration ----------------------------------------------------- */

struct load_report {
	unsigned errors;
};

static void log_problem(void *arg, const char *msg)
{
	struct load_report *r = arg;

	r->errors++;
	log_error("%s", msg);
}

static int load_config(const char *path, struct config **out, unsigned *errors)
{
	struct load_report r = {0};
	int rc = config_load(path, log_problem, &r, out);

	if (rc != 0 && r.errors == 0)
		log_error("%s: cannot read the configuration: %s", path, fgw_strerror(rc));
	*errors = r.errors;
	return rc;
}

const struct config *daemon_config(const struct daemon *d)
{
	return d->configs->cfg;
}

const struct config *daemon_config_hold(struct daemon *d)
{
	d->configs->refs++;
	return d->configs->cfg;
}

void daemon_config_release(struct daemon *d, const struct config *cfg)
{
	for (struct cfg_ref **p = &d->configs; *p != NULL; p = &(*p)->next) {
		struct cfg_ref *r = *p;
		if (r->cfg != cfg)
			continue;
		if (--r->refs == 0) {
			*p = r->next;
			config_free(r->cfg);
			free(r);
		}
		return;
	}
}

static int push_config(struct daemon *d, struct config *cfg)
{
	struct cfg_ref *r = calloc(1, sizeof *r);

	if (r == NULL)
		return FGW_ERR_NOMEM;
	r->cfg = cfg;
	r->refs = 1;
	r->next = d->configs;
	d->configs = r;
	return 0;
}

static void apply_log_level(const struct daemon *d)
{
	int level = log_level_parse(config_str(daemon_config(d), "general", "log_level"));

	log_init("faxgwd", d->foreground, level < 0 ? LOG_LEVEL_INFO : (enum log_level)level);
}

/* ---- audit ------------------------------------------------------------- */

static void audit_event(struct daemon *d, enum audit_event ev,
			const struct audit_field *f, size_t n)
{
	int rc = audit_append_durable(store_audit(d->store), ev, f, n, NULL);

	if (rc != 0)
		log_error("audit: cannot record %s: %s", audit_event_name(ev), fgw_strerror(rc));
}

static void audit_config_change(struct daemon *d, const char *result, unsigned errors)
{
	const struct audit_field f[] = {
		AUDIT_F_STR("config", d->config_path),
		AUDIT_F_STR("result", result),
		AUDIT_F_INT("errors", errors),
	};
	audit_event(d, AUDIT_CONFIG_CHANGE, f, sizeof f / sizeof f[0]);
}

/* ---- reload ------------------------------------------------------------ */

/* True when a line is SIP, so the SIP service runs. */
static bool daemon_kind_is_sip(const struct config *cfg)
{
	return strcmp(config_str(cfg, "lines", "trunk_kind"), "sip") == 0 ||
	       strcmp(config_str(cfg, "lines", "device_kind"), "sip") == 0;
}

/* Keys that bind what start-up did once: changing them needs a restart. */
static const char *restart_key(const struct config *old, const struct config *new)
{
	if (strcmp(config_str(old, "general", "data_dir"), config_str(new, "general", "data_dir")))
		return "[general] data_dir";
	if (strcmp(config_str(old, "general", "user"), config_str(new, "general", "user")))
		return "[general] user";
	/* The lines' kinds decide which services started. The SIP service
	 * binds its sockets before the privilege drop and keeps its trunk
	 * and limits from start-up; what each call reads (T.38 policy,
	 * redundancy, jitter, the trunk's address for calls out) and the
	 * registrar's settings (a reload hook) follow a reload. */
	static const struct { const char *section, *key, *label; } bound[] = {
		{"lines", "trunk_kind", "[lines] trunk_kind"},
		{"lines", "device_kind", "[lines] device_kind"},
		{"sip", "listen", "[sip] listen"},
		{"sip", "rtp_address", "[sip] rtp_address"},
		{"sip", "rtp_ports", "[sip] rtp_ports"},
		{"sip", "trunk_peers", "[sip] trunk_peers"},
		{"sip", "trunk_mode", "[sip] trunk_mode"},
		{"sip", "trunk_proxy", "[sip] trunk_proxy"},
		{"sip", "trunk_user", "[sip] trunk_user"},
		{"sip", "trunk_password", "[sip] trunk_password"},
		{"sip", "trunk_expires", "[sip] trunk_expires"},
		{"sip", "trunk_transport", "[sip] trunk_transport"},
		{"sip", "max_calls", "[sip] max_calls"},
		{"sip", "session_expires", "[sip] session_expires"},
	};
	bool sip_running = daemon_kind_is_sip(old);
	for (size_t i = 0; i < sizeof bound / sizeof bound[0]; i++)
		if ((sip_running || bound[i].section[0] == 'l') &&
		    strcmp(config_str(old, bound[i].section, bound[i].key),
			   config_str(new, bound[i].section, bound[i].key)) != 0)
			return bound[i].label;
	return NULL;
}

static void reload(struct daemon *d)
{
	struct config *cfg = NULL;
	unsigned errors = 0;
	const char *key;

	log_info("SIGHUP: reloading %s", d->config_path);
	if (load_config(d->config_path, &cfg, &errors) != 0) {
		log_error("reload refused: %s has %u error(s); the running configuration stays",
			  d->config_path, errors);
		audit_config_change(d, "refused", errors);
		return;
	}
	if ((key = restart_key(daemon_config(d), cfg)) != NULL) {
		log_error("reload refused: %s changed, which needs a restart of faxgwd; the "
			  "running configuration stays", key);
		config_free(cfg);
		audit_config_change(d, "refused: restart needed", 1);
		return;
	}
	if (push_config(d, cfg) != 0) {
		config_free(cfg);
		log_error("reload refused: out of memory");
		return;
	}
	daemon_config_release(d, d->configs->next->cfg);   /* the daemon's own ref */
	apply_log_level(d);
	simline_set_configure(d->lines, cfg);
	call_registry_set_frames(d->calls, (unsigned)config_int(cfg, "daemon", "frames_per_turn"));
	call_registry_set_threads(d->calls, (unsigned)config_int(cfg, "daemon", "dsp_threads"));
	for (struct hook *h = d->reload_hooks; h != NULL; h = h->next)
		h->fn(h->arg);
	log_info("configuration reloaded from %s", d->config_path);
	audit_config_change(d, "applied", 0);
}

/* ---- events ------------------------------------------------------------ */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (sig == SIGHUP)
		reload(d);
	else
		daemon_stop(d, sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* Keeps the audit log's index (the logs page's) near the log's end, so a
 * page only catches up on the last second. The first run after start
 * indexes what is missing (about 15 s for 1 M records; logged). */
static void index_audit(struct daemon *d)
{
	char path[4200];

	if (str_format(path, sizeof path, "%s/%s", store_dir(d->store), STORE_AUDIT_FILE) == 0)
		(void)audit_index_update(store_catalog(d->store), path, NULL);   /* logs errors */
}

static void on_clock(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	long long bound = config_int(daemon_config(d), "audit", "clock_jump_seconds");

	(void)fd, (void)what;
	int rc = audit_check_clock(store_audit(d->store), bound * 1000);
	if (rc == 1) {
		log_warn("the wall clock jumped by more than %lld s; recorded in the audit log",
			 bound);
		rc = audit_sync(store_audit(d->store), NULL);
	}
	if (rc < 0)
		log_error("audit: clock check failed: %s", fgw_strerror(rc));
	index_audit(d);
}

static void on_expire(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct store_erase_report rep;

	(void)fd, (void)what;
	memset(&rep, 0, sizeof rep);
	int rc = store_expire(d->store, store_now_ms(), &rep);
	if (rc != 0)
		log_error("retention expiry failed: %s", fgw_strerror(rc));
	if (rep.documents > 0)
		log_info("retention: erased %llu document(s); certificate %s",
			 (unsigned long long)rep.documents, rep.cert_path);
}

/* Reaps finished notification hooks and kills overdue ones. */
static void on_notify_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd, (void)what;
	if (notify_running(d->notify) > 0)
		(void)notify_poll(d->notify);
}

static int add_events(struct daemon *d)
{
	static const struct timeval second = {1, 0}, minute = {60, 0}, tick = {0, 250000};

	d->sig_term = evsignal_new(d->base, SIGTERM, on_signal, d);
	d->sig_int = evsignal_new(d->base, SIGINT, on_signal, d);
	d->sig_hup = evsignal_new(d->base, SIGHUP, on_signal, d);
	d->clock_timer = event_new(d->base, -1, EV_PERSIST, on_clock, d);
	d->expire_timer = event_new(d->base, -1, EV_PERSIST, on_expire, d);
	d->notify_timer = event_new(d->base, -1, EV_PERSIST, on_notify_tick, d);
	if (d->sig_term == NULL || d->sig_int == NULL || d->sig_hup == NULL ||
	    d->clock_timer == NULL || d->expire_timer == NULL || d->notify_timer == NULL)
		return FGW_ERR_NOMEM;
	if (event_add(d->sig_term, NULL) != 0 || event_add(d->sig_int, NULL) != 0 ||
	    event_add(d->sig_hup, NULL) != 0 || event_add(d->clock_timer, &second) != 0 ||
	    event_add(d->expire_timer, &minute) != 0 || event_add(d->notify_timer, &tick) != 0)
		return FGW_ERR_IO;
	return 0;
}

/* ---- start-up ---------------------------------------------------------- */

static int check_data_dir(const struct daemon *d)
{
	char path[4200];
	struct stat st;

	if (stat(d->data_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_error("data directory %s does not exist: create the device with "
			  "'faxgw init --data %s' (as the user faxgwd runs as)", d->data_dir,
			  d->data_dir);
		return FGW_ERR_NOT_FOUND;
	}
	if (d->will_drop && st.st_uid != d->uid) {
		log_error("data directory %s belongs to uid %u, not to %s: run 'chown -R %s: %s'",
			  d->data_dir, (unsigned)st.st_uid, d->user, d->user, d->data_dir);
		return FGW_ERR_PERMISSION;
	}
	if (str_format(path, sizeof path, "%s/%s", d->data_dir, STORE_CATALOG_FILE) != 0 ||
	    stat(path, &st) != 0) {
		log_error("data directory %s holds no device (no %s): run 'faxgw init --data %s'",
			  d->data_dir, STORE_CATALOG_FILE, d->data_dir);
		return FGW_ERR_NOT_FOUND;
	}
	return 0;
}

static int lock_and_bind(struct daemon *d)
{
	uid_t owner = d->will_drop ? d->uid : (uid_t)-1;
	char path[4200];
	pid_t holder;
	int rc;

	if ((rc = pidfile_acquire(d->data_dir, owner, &d->pid, &holder)) != 0)
		return rc;
	if ((rc = str_format(path, sizeof path, "%s/%s", d->data_dir, CONTROL_SOCKET_FILE)) != 0)
		return rc;
	return control_open(d->base, path, owner, &d->ctl);
}

static int open_store(struct daemon *d)
{
	struct store_options o;
	int rc;

	memset(&o, 0, sizeof o);
	if ((rc = auditcopy_open(daemon_config(d), &d->syslog_copy)) != 0)
		return rc;
	o.forward = d->syslog_copy;
	rc = store_open(d->data_dir, &o, &d->store);
	if (rc != 0)
		log_error("cannot open the device in %s: %s", d->data_dir, fgw_strerror(rc));
	return rc;
}

static int init_modules(struct daemon *d, daemon_module_fn *const *extra, size_t n_extra)
{
	int rc;

	for (size_t i = 0; i < sizeof modules / sizeof modules[0] + n_extra; i++)
		if ((rc = i < sizeof modules / sizeof modules[0]
				  ? modules[i](d)
				  : extra[i - sizeof modules / sizeof modules[0]](d)) != 0) {
			log_error("cannot start a module: %s", fgw_strerror(rc));
			return rc;
		}
	return 0;
}

static void audit_start(struct daemon *d)
{
	const struct audit_field f[] = {
		AUDIT_F_INT("pid", getpid()),
		AUDIT_F_INT("uid", geteuid()),
		AUDIT_F_STR("config", d->config_path),
		AUDIT_F_STR("trunk", config_str(daemon_config(d), "lines", "trunk_kind")),
		AUDIT_F_STR("device", config_str(daemon_config(d), "lines", "device_kind")),
	};
	audit_event(d, AUDIT_START, f, sizeof f / sizeof f[0]);
}

static int start(struct daemon *d, daemon_module_fn *const *extra, size_t n_extra)
{
	const struct config *cfg = daemon_config(d);
	int rc;

	if ((rc = str_copy(d->data_dir, sizeof d->data_dir,
			   config_str(cfg, "general", "data_dir"))) != 0 ||
	    (rc = str_copy(d->user, sizeof d->user, config_str(cfg, "general", "user"))) != 0)
		return rc;
	if ((rc = privdrop_no_core()) != 0 ||
	    (rc = privdrop_target(d->user, &d->uid, &d->gid, &d->will_drop)) != 0 ||
	    (rc = check_data_dir(d)) != 0)
		return rc;
	if ((d->base = event_base_new()) == NULL)
		return FGW_ERR_NOMEM;
	if ((rc = lock_and_bind(d)) != 0 ||
	    (rc = privdrop_apply(d->user, d->uid, d->gid, d->will_drop)) != 0 ||
	    (rc = open_store(d)) != 0)
		return rc;
	if ((rc = notify_from_config(cfg, &d->notify)) != 0) {
		log_error("[notify] command: not usable: %s", fgw_strerror(rc));
		return rc;
	}
	if ((rc = simline_set_new(cfg, &d->lines)) != 0 ||
	    (rc = call_registry_new(d->base,
				    (unsigned)config_int(cfg, "daemon", "frames_per_turn"),
				    &d->calls)) != 0 ||
	    (rc = init_modules(d, extra, n_extra)) != 0 || (rc = add_events(d)) != 0)
		return rc;
	call_registry_set_threads(d->calls, (unsigned)config_int(cfg, "daemon", "dsp_threads"));
	clock_gettime(CLOCK_MONOTONIC, &d->started);
	audit_start(d);
	log_info("faxgwd %ld serving %s/%s; lines: trunk %s, device %s", (long)getpid(),
		 d->data_dir, CONTROL_SOCKET_FILE, config_str(cfg, "lines", "trunk_kind"),
		 config_str(cfg, "lines", "device_kind"));
	return 0;
}

int daemon_new(const char *config_path, bool foreground, daemon_module_fn *const *extra,
	       size_t n_extra, struct daemon **out)
{
	struct daemon *d = calloc(1, sizeof *d);
	struct config *cfg = NULL;
	unsigned errors;
	int rc;

	*out = NULL;
	if (d == NULL)
		return FGW_ERR_NOMEM;
	d->foreground = foreground;
	if ((rc = str_copy(d->config_path, sizeof d->config_path, config_path)) != 0 ||
	    (rc = load_config(config_path, &cfg, &errors)) != 0 ||
	    (rc = push_config(d, cfg)) != 0) {
		if (rc == FGW_ERR_CONFIG)
			log_error("%s: configuration refused (%u error(s)); faxgwd not started",
				  config_path, errors);
		config_free(cfg);
		daemon_free(d);
		return rc;
	}
	apply_log_level(d);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR || (rc = start(d, extra, n_extra)) != 0) {
		daemon_free(d);
		return rc != 0 ? rc : FGW_ERR_IO;
	}
	*out = d;
	return 0;
}

/* ---- running and stopping ---------------------------------------------- */

void daemon_stop(struct daemon *d, const char *reason)
{
	if (d->stop_reason[0] == '\0')
		(void)str_copy(d->stop_reason, sizeof d->stop_reason, reason);
	event_base_loopbreak(d->base);
}

/* Answers to aborted calls are queued but the loop has stopped: give the
 * sockets a moment (at most about 0.1 s) to take them. */
static void flush_answers(struct daemon *d)
{
	for (int i = 0; i < 50 && control_connections(d->ctl) > 0; i++) {
		if (event_base_loop(d->base, EVLOOP_NONBLOCK) < 0)
			return;
		if (control_connections(d->ctl) > 0)
			usleep(2000);
	}
}

static void shut_down(struct daemon *d)
{
	size_t calls = call_registry_count(d->calls);

	log_info("stopping (%s); %zu call(s) in progress are ended", d->stop_reason, calls);
	while (d->hooks != NULL) {
		struct hook *h = d->hooks;
		d->hooks = h->next;
		h->fn(h->arg);
		free(h);
	}
	call_registry_abort_all(d->calls);
	const struct audit_field f[] = {
		AUDIT_F_STR("reason", d->stop_reason),
		AUDIT_F_INT("calls_aborted", (int64_t)calls),
	};
	audit_event(d, AUDIT_STOP, f, sizeof f / sizeof f[0]);
	flush_answers(d);
}

int daemon_run(struct daemon *d)
{
	if (event_base_dispatch(d->base) < 0) {
		log_error("the event loop failed");
		daemon_stop(d, "loop failure");
		shut_down(d);
		return FGW_ERR_IO;
	}
	if (d->stop_reason[0] == '\0')
		(void)str_copy(d->stop_reason, sizeof d->stop_reason, "no more events");
	shut_down(d);
	return 0;
}

int daemon_on_shutdown(struct daemon *d, void (*fn)(void *arg), void *arg)
{
	struct hook *h = calloc(1, sizeof *h);

	if (h == NULL)
		return FGW_ERR_NOMEM;
	h->fn = fn;
	h->arg = arg;
	h->next = d->hooks;
	d->hooks = h;
	return 0;
}

int daemon_on_reload(struct daemon *d, void (*fn)(void *arg), void *arg)
{
	struct hook *h = calloc(1, sizeof *h), **tail = &d->reload_hooks;

	if (h == NULL)
		return FGW_ERR_NOMEM;
	h->fn = fn;
	h->arg = arg;
	while (*tail != NULL)
		tail = &(*tail)->next;
	*tail = h;
	return 0;
}

static void free_event(struct event *ev)
{
	if (ev != NULL)
		event_free(ev);
}

void daemon_free(struct daemon *d)
{
	if (d == NULL)
		return;
	control_close(d->ctl);
	call_registry_free(d->calls);
	simline_set_free(d->lines);
	notify_free(d->notify);
	while (d->hooks != NULL) {
		struct hook *h = d->hooks;
		d->hooks = h->next;
		free(h);
	}
	while (d->reload_hooks != NULL) {
		struct hook *h = d->reload_hooks;
		d->reload_hooks = h->next;
		free(h);
	}
	if (d->store != NULL && store_close(d->store) != 0)
		log_error("the audit log could not be synced at close");
	audit_syslog_close(d->syslog_copy);
	pidfile_release(d->pid);
	free_event(d->sig_term);
	free_event(d->sig_int);
	free_event(d->sig_hup);
	free_event(d->clock_timer);
	free_event(d->expire_timer);
	free_event(d->notify_timer);
	if (d->base != NULL)
		event_base_free(d->base);
	while (d->configs != NULL) {
		struct cfg_ref *r = d->configs;
		d->configs = r->next;
		config_free(r->cfg);
		free(r);
	}
	free(d);
}

/* ---- accessors --------------------------------------------------------- */

void daemon_set_inbox_forward(struct daemon *d, inbound_forward_fn fn, void *arg)
{
	d->forward = fn;
	d->forward_arg = arg;
}

void daemon_inbox_forward(const struct daemon *d, inbound_forward_fn *fn, void **arg)
{
	*fn = d->forward;
	*arg = d->forward_arg;
}

struct event_base *daemon_base(struct daemon *d) { return d->base; }
struct store *daemon_store(struct daemon *d) { return d->store; }
struct control *daemon_control(struct daemon *d) { return d->ctl; }
struct call_registry *daemon_calls(struct daemon *d) { return d->calls; }
struct simline_set *daemon_lines(struct daemon *d) { return d->lines; }
struct notify *daemon_notify(struct daemon *d) { return d->notify; }

void daemon_set_sip(struct daemon *d, struct sip_service *sip) { d->sip = sip; }
struct sip_service *daemon_sip(struct daemon *d) { return d->sip; }

double daemon_uptime(const struct daemon *d)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - d->started.tv_sec) +
	       (double)(now.tv_nsec - d->started.tv_nsec) / 1e9;
}

const char *daemon_stop_reason(const struct daemon *d)
{
	return d->stop_reason;
}
