/* /admin/wipe: the factory reset from the web, and the signed erasure
 * certificates of past resets.
 *
 * The reset cannot run inside a request: store_wipe_all needs the data
 * directory closed, and this daemon holds it open. So a confirmed reset
 * (typed phrase and the admin's password again) is written down as a
 * request (gateway/reset.h), the daemon is stopped a second later (time
 * for this answer to reach the browser; calls in flight are ended and
 * recorded by the shutdown), and faxgwd, with everything closed, wipes,
 * makes a new empty device and starts again on it: first-run state. The
 * certificate goes to DATA/erasure/, which the wipe keeps, and this page
 * shows the newest one to the next admin, with its download. The answer
 * to the confirmation therefore says what will happen, not that it has. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/daemon.h"
#include "gateway/reset.h"
#include "storage/cert.h"
#include "storage/lockout.h"
#include "storage/store.h"
#include "web/web_int.h"

#define WIPE_PHRASE "ERASE ALL DATA"
#define WIPE_STOP_DELAY_MS 1000 /* lets the answer leave before the loop stops */
#define PATH_CAP 4400

/* ---- the certificate files ---------------------------------------------- */

static int cert_path(struct web_ctx *c, const char *name, char *out, size_t size)
{
	return str_format(out, size, "%s/%s/%s", store_dir(c->app->store), STORE_ERASURE_DIR,
			  name);
}

/* Reads a certificate file (at most CERT_MAX_BYTES); *out is malloc'd and
 * NUL-terminated. Returns 0, FGW_ERR_NOT_FOUND, FGW_ERR_TOO_LARGE or
 * FGW_ERR_IO. */
static int read_small(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	ssize_t n;
	char *buf;

	if (fd < 0)
		return errno == ENOENT ? FGW_ERR_NOT_FOUND : FGW_ERR_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > CERT_MAX_BYTES) {
		close(fd);
		return FGW_ERR_TOO_LARGE;
	}
	buf = malloc((size_t)st.st_size + 1);
	n = buf != NULL ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return FGW_ERR_IO;
	}
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
	return FGW_OK;
}

/* The value of member key in certificate JSON as text (a string without
 * its quotes, or a number), for display only: the JSON was verified. */
static void json_member(const char *json, const char *key, char *out, size_t size)
{
	char pat[48];
	const char *p;
	size_t n;

	(void)str_copy(out, size, "?");
	if (str_format(pat, sizeof pat, "\"%s\":", key) != FGW_OK || !(p = strstr(json, pat)))
		return;
	p += strlen(pat);
	p += strspn(p, " \t\r\n");
	if (*p == '"') {
		p++;
		for (n = 0; p[n] != '\0' && p[n] != '"'; n++)
			if (p[n] == '\\' && p[n + 1] != '\0')
				n++;
	} else {
		n = strspn(p, "-0123456789");
	}
	if (n > 0 && n < size)
		(void)str_format(out, size, "%.*s", (int)n, p);
}

static void field_row(struct html *h, const char *label, const char *json, const char *key)
{
	char v[1024];

	json_member(json, key, v, sizeof v);
	html_raw(h, "<tr><th>");
	html_text(h, label);
	html_raw(h, "</th><td><code>");
	html_text(h, v);
	html_raw(h, "</code></td></tr>");
}

static void download_link(struct html *h, const char *base, const char *ext, const char *what)
{
	html_raw(h, "<a href=\"/admin/wipe/certificate?file=");
	html_text(h, base);
	html_text(h, ext);
	html_raw(h, "\" download>");
	html_text(h, what);
	html_raw(h, "</a> ");
}

static void show_fields(struct html *h, const char *json)
{
	static const char *const rows[][2] = {
		{"Certificate id", "id"}, {"Device id", "device_id"}, {"Scope", "scope"},
		{"What was erased", "target"}, {"Started (UTC)", "started"},
		{"Finished (UTC)", "finished"}, {"Documents erased", "documents"},
		{"Mailboxes erased", "mailboxes"}, {"Files overwritten", "files"},
		{"Bytes overwritten", "bytes_overwritten"}, {"Keys destroyed", "keys_destroyed"},
		{"Verification key (SHA-256)", "signer_key_sha256"},
		{"Signature (Ed25519)", "signature"},
	};

	html_raw(h, "<table id=\"certificate\">");
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		field_row(h, rows[i][0], json, rows[i][1]);
	html_raw(h, "</table>");
}

/* Reads the certificate name and the public key saved beside it. */
static int load_cert(struct web_ctx *c, const char *name, char **json, size_t *len, char **pem)
{
	char path[PATH_CAP], pub[PATH_CAP];
	size_t pem_len;
	int rc = cert_path(c, name, path, sizeof path);

	*json = *pem = NULL;
	if (rc == FGW_OK)
		rc = str_format(pub, sizeof pub, "%.*s.pub.pem", (int)(strlen(path) - 5), path);
	if (rc == FGW_OK)
		rc = read_small(path, json, len);
	if (rc == FGW_OK && read_small(pub, pem, &pem_len) != FGW_OK)
		*pem = NULL; /* shown as not verifiable */
	return rc;
}

/* Whether json verifies with pem: the same bytes as those shown. */
static void show_state(struct html *h, const char *name, const char *json, size_t len,
		       const char *pem)
{
	char why[CERT_WHY_MAX] = "the public key saved beside it is missing";
	int rc = pem != NULL ? cert_verify(json, len, pem, why, sizeof why) : FGW_ERR_NOT_FOUND;

	html_raw(h, rc == FGW_OK ? "<div class=\"msg ok\" id=\"cert-state\">"
				 : "<div class=\"msg error\" id=\"cert-state\">");
	html_text(h, name);
	if (rc == FGW_OK) {
		html_raw(h, ": signature valid against the public key saved with it. Compare the "
			 "verification key below with the signing.pub.pem you kept from faxgw "
			 "init.</div>");
		return;
	}
	html_raw(h, ": NOT valid: ");
	html_text(h, why);
	html_raw(h, "</div>");
}

static void show_downloads(struct html *h, const char *name)
{
	char base[RESET_NAME_MAX];

	(void)str_format(base, sizeof base, "%.*s", (int)(strlen(name) - 5), name);
	html_raw(h, "<p>");
	download_link(h, base, ".json", "Download certificate (JSON, signed)");
	download_link(h, base, ".pub.pem", "Download public key");
	download_link(h, base, ".txt", "Download readable text");
	html_raw(h, "</p><p>Check it anywhere: <code>faxgw cert verify ");
	html_text(h, name);
	html_raw(h, " --pubkey ");
	html_text(h, base);
	html_raw(h, ".pub.pem</code></p>");
}

/* The newest certificate: whether it verifies against the public key
 * saved beside it, its fields, and the downloads. */
static void show_latest(struct web_ctx *c)
{
	struct html *h = c->resp->body;
	char name[RESET_NAME_MAX];
	char *json = NULL, *pem = NULL;
	size_t len = 0;

	html_raw(h, "<section class=\"card\"><h2>Erasure certificate of the last reset</h2>");
	if (reset_latest(store_dir(c->app->store), name, sizeof name) != FGW_OK) {
		html_raw(h, "<p>No factory reset of this appliance has left a certificate yet.</p>"
			 "</section>");
		return;
	}
	if (load_cert(c, name, &json, &len, &pem) != FGW_OK) {
		html_raw(h, "<div class=\"msg error\">The certificate file cannot be read.</div>"
			 "</section>");
		return;
	}
	show_state(h, name, json, len, pem);
	show_fields(h, json);
	show_downloads(h, name);
	html_raw(h, "</section>");
	free(json);
	free(pem);
}

/* Every other certificate of DATA/erasure/, newest first, for download. */
static void show_earlier(struct web_ctx *c)
{
	struct html *h = c->resp->body;
	struct reset_cert *all = calloc(RESET_LIST_MAX, sizeof *all);
	size_t n = 0;
	int rc = all != NULL ? reset_list(store_dir(c->app->store), all, RESET_LIST_MAX, &n)
			     : FGW_ERR_NOMEM;

	if (n > 1) {
		html_raw(h, "<section class=\"card\"><h2>Earlier certificates</h2>"
			 "<table id=\"earlier\">");
		for (size_t i = 1; i < n; i++) {
			char base[RESET_NAME_MAX];

			(void)str_format(base, sizeof base, "%.*s",
					 (int)(strlen(all[i].name) - 5), all[i].name);
			html_raw(h, "<tr><td><code>");
			html_text(h, all[i].name);
			html_raw(h, "</code></td><td>");
			download_link(h, base, ".json", "certificate");
			download_link(h, base, ".pub.pem", "public key");
			download_link(h, base, ".txt", "text");
			html_raw(h, "</td></tr>");
		}
		html_raw(h, "</table>");
		if (rc == FGW_ERR_TOO_LARGE)
			html_raw(h, "<p class=\"muted\">Only the newest are listed; all of them are "
				 "in the folder erasure/ of the data directory.</p>");
		html_raw(h, "</section>");
	}
	free(all);
}

/* ---- the page ------------------------------------------------------------ */

static void explain(struct html *h)
{
	html_raw(h, "<section class=\"card\"><h2>What a factory reset erases</h2><ul>"
		 "<li>the master key, first: every stored fax becomes unreadable at once "
		 "(cryptographic erase); then every file below is overwritten with random "
		 "bytes, flushed and deleted;</li>"
		 "<li>the vault: held, sent and queued faxes of every mailbox and the general inbox;"
		 "</li><li>the catalog: mailboxes and their PINs, users and sessions, jobs, devices;"
		 "</li><li>the audit log (its syslog copy, where one is configured, stays);</li>"
		 "<li>the web interface's TLS key and certificate;</li>"
		 "<li>the device's signing key, right after it signed the erasure certificate.</li>"
		 "</ul><p>What stays: the configuration file (faxgw.ini) and the folder "
		 "<code>erasure/</code> of the data directory with the certificates of resets.</p>"
		 "<p>When you confirm, faxgwd stops taking calls and jobs (calls in progress are "
		 "ended and recorded; of those last records only the syslog copy outlives the "
		 "reset), erases, and starts again as a new, empty appliance with new "
		 "keys and a new TLS certificate. The first admin is then set up from the "
		 "appliance itself (a browser on its loopback address), since a reset leaves "
		 "no setup code. That admin finds the signed certificate here.</p>"
		 "<p>From the console instead: <code>systemctl stop faxgwd; faxgw wipe --all</code> "
		 "(its certificate lands in the same folder).</p></section>");
}

static void confirm_form(struct web_ctx *c, const char *error)
{
	struct html *h = c->resp->body;

	html_raw(h, "<section class=\"card\"><h2>Reset this appliance</h2>");
	if (error) {
		html_raw(h, "<div class=\"msg error\" role=\"alert\">");
		html_text(h, error);
		html_raw(h, "</div>");
	}
	html_raw(h, "<form class=\"stack\" method=\"post\" action=\"/admin/wipe\" autocomplete=\"off\">");
	web_csrf_field(c);
	html_raw(h, "<label for=\"phrase\">Type " WIPE_PHRASE " to confirm</label><input "
		 "type=\"text\" id=\"phrase\" name=\"phrase\" autocomplete=\"off\" "
		 "spellcheck=\"false\" required><label for=\"password\">Your password</label>"
		 "<input type=\"password\" id=\"password\" name=\"password\" "
		 "autocomplete=\"current-password\" required>"
		 "<p><button type=\"submit\">Erase everything</button></p></form></section>");
}

static void wipe_page(struct web_ctx *c, const char *error)
{
	c->current = "/admin/wipe";
	web_page_begin(c, "Factory reset");
	if (reset_pending(store_dir(c->app->store)))
		html_raw(c->resp->body, "<div class=\"msg error\" role=\"status\">A factory reset "
			 "has been confirmed and starts when faxgwd stops, in a moment.</div>");
	else
		confirm_form(c, error);
	explain(c->resp->body);
	show_latest(c);
	show_earlier(c);
	web_page_end(c);
}

void page_admin_wipe(struct web_ctx *c)
{
	wipe_page(c, NULL);
}

/* ---- the confirmation ----------------------------------------------------- */

static void refuse(struct web_ctx *c, const char *reason, const char *msg)
{
	web_audit(c, AUDIT_SECURITY, c->user.name, reason);
	c->resp->status = 400;
	wipe_page(c, msg);
}

/* A wrong password here counts as a failed login of the account (a
 * stolen session must not become a password oracle). */
static void wrong_password(struct web_ctx *c)
{
	struct lockout_policy pol = {
		.max_failures = c->app->set.max_failures,
		.lock_ms = (int64_t)c->app->set.lock_minutes * 60000,
	};

	refuse(c, "factory reset refused: wrong password",
	       "Nothing was erased: that is not your password. Type the password you log in "
	       "with.");
	if (lockout_fail(store_catalog(c->app->store), "login", c->user.name, &pol,
			 web_now_ms()) == 1)
		web_audit(c, AUDIT_LOCKOUT, c->user.name, "account locked after failed logins");
}

static bool account_locked(struct web_ctx *c)
{
	bool locked = true;

	(void)lockout_check(store_catalog(c->app->store), "login", c->user.name, web_now_ms(),
			    &locked);
	return locked;
}

static void stop_daemon(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	daemon_stop(arg, RESET_STOP_REASON);
}

/* Stops the daemon once this answer had time to leave; without a daemon
 * (tests) the request stays for whoever runs reset_run. */
static int schedule_stop(struct web_ctx *c)
{
	static const struct timeval delay = {WIPE_STOP_DELAY_MS / 1000,
					     (WIPE_STOP_DELAY_MS % 1000) * 1000};
	struct daemon *d = c->app->daemon;

	if (d == NULL)
		return FGW_OK;
	return event_base_once(daemon_base(d), -1, EV_TIMEOUT, stop_daemon, d, &delay) == 0
		       ? FGW_OK
		       : FGW_ERR_NOMEM;
}

static void started_page(struct web_ctx *c)
{
	struct html *h = c->resp->body;

	c->current = "/admin/wipe";
	web_page_begin(c, "Factory reset started");
	html_raw(h, "<section class=\"card\" id=\"reset-started\"><p><strong>The factory reset "
		 "is confirmed.</strong> In about a second faxgwd stops taking calls and jobs "
		 "(calls in progress are ended and recorded), then erases everything listed "
		 "below and writes the signed erasure certificate. This page cannot follow the "
		 "erasure: this connection ends with the daemon, and nothing of this session "
		 "survives it.</p><p>Erasing takes from seconds to minutes, by the amount of "
		 "stored faxes. Then the appliance answers again as a new one: open "
		 "<a href=\"/\">the start page</a> from the appliance itself to set up the first "
		 "admin, who finds the certificate on this page (Admin, Factory reset).</p>"
		 "<p>If it does not come back, faxgwd's log says why (e.g. <code>journalctl -u "
		 "faxgwd</code>).</p></section>");
	explain(h);
	web_page_end(c);
}

void page_admin_wipe_post(struct web_ctx *c)
{
	const char *phrase = http_form_get(&c->form, "phrase");
	const char *password = http_form_get(&c->form, "password");
	const char *dir = store_dir(c->app->store);

	if (reset_pending(dir)) {
		c->resp->status = 409;
		wipe_page(c, NULL);
		return;
	}
	if (!phrase || strcmp(phrase, WIPE_PHRASE) != 0) {
		refuse(c, "factory reset refused: wrong confirmation phrase",
		       "Nothing was erased: type the phrase " WIPE_PHRASE " exactly, in capitals.");
		return;
	}
	if (account_locked(c)) {
		refuse(c, "factory reset refused: account locked",
		       "Nothing was erased: your account is locked after too many wrong "
		       "passwords; wait, then log in again.");
		c->resp->status = 403;
		return;
	}
	if (!password || auth_password_check(password, c->user.verifier,
					     c->user.verifier_len) != FGW_OK) {
		wrong_password(c);
		return;
	}
	web_audit(c, AUDIT_WIPE, c->user.name,
		  "factory reset confirmed (web): faxgwd stops, wipes and starts empty");
	if (reset_request(dir, c->user.name, c->req->peer) != FGW_OK ||
	    schedule_stop(c) != FGW_OK) {
		web_error(c, 500, "The reset could not be started; nothing was erased. The log of "
			  "faxgwd says why.");
		return;
	}
	log_warn("web: factory reset confirmed by %s from %s; stopping to wipe", c->user.name,
		 c->req->peer);
	started_page(c);
}

/* ---- downloads ------------------------------------------------------------- */

static const char *content_type(const char *name)
{
	size_t n = strlen(name);

	if (n > 5 && strcmp(name + n - 5, ".json") == 0)
		return "application/json";
	if (n > 8 && strcmp(name + n - 8, ".pub.pem") == 0)
		return "application/x-pem-file";
	return "text/plain; charset=utf-8";
}

void page_admin_wipe_certificate(struct web_ctx *c)
{
	const char *file = http_form_get(&c->query, "file");
	char name[RESET_NAME_MAX], path[PATH_CAP], disp[RESET_NAME_MAX + 48];
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (file == NULL || file[0] == '\0')
		rc = reset_latest(store_dir(c->app->store), name, sizeof name);
	else
		rc = reset_cert_name_ok(file) ? str_copy(name, sizeof name, file) : FGW_ERR_INVALID;
	if (rc == FGW_OK && (rc = cert_path(c, name, path, sizeof path)) == FGW_OK)
		rc = read_small(path, &data, &len);
	if (rc != FGW_OK) {
		web_error(c, rc == FGW_ERR_INVALID ? 400 : 404,
			  rc == FGW_ERR_INVALID ? "That is not the name of a certificate file."
						: "There is no such certificate.");
		return;
	}
	html_bytes(c->resp->body, data, len);
	free(data);
	web_set_header(c, "Content-Type", content_type(name));
	if (str_format(disp, sizeof disp, "attachment; filename=\"%s\"", name) == FGW_OK)
		web_set_header(c, "Content-Disposition", disp);
}
