/* Admin pages without a file of their own: the effective configuration
 * (read-only, no secrets) and the factory reset, which the web refuses.
 *
 * Why the web does not wipe: store_wipe_all needs the data directory
 * closed (it destroys the master key, the catalog and the audit log the
 * running daemon holds open, and the erasure certificate must go outside
 * the data directory, to a place the unprivileged service user cannot be
 * trusted to choose). Wiping from inside the daemon would mean stopping
 * the loop from a request, finishing the wipe after it, and answering a
 * browser whose server is gone; a half-done reset of a security appliance
 * is worse than a reset that needs console access. So /admin/wipe explains
 * the procedure (stop faxgwd, run faxgw wipe --all as root, verify the
 * certificate). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "web/web_int.h"

void page_admin_wipe(struct web_ctx *c)
{
	struct html *h = c->resp->body;

	c->current = "/admin/wipe";
	web_page_begin(c, "Factory reset");
	html_raw(h, "<section class=\"card\"><p>A factory reset destroys the master key (every "
		 "stored fax becomes unreadable at once), overwrites and removes the catalog, the "
		 "vault, the audit log and the certificates, and writes a signed erasure "
		 "certificate. It cannot run from this page: the daemon serving this page holds "
		 "all of that open, and would have nothing left to answer with.</p>"
		 "<p>On the appliance's console, as root:</p><pre>systemctl stop faxgwd\n"
		 "faxgw wipe --all --cert-out /root/erasure\n"
		 "faxgw cert verify /root/erasure/*.json --pubkey /root/erasure/*.pem</pre>"
		 "<p>Keep the certificate with the disposal records. Afterwards, faxgw init "
		 "makes a new, empty device.</p></section>");
	web_page_end(c);
}

/* A key whose value must never be shown, should one be declared later. */
static bool secret_line(const char *line, size_t len)
{
	static const char *const words[] = {"password", "secret", "token", "pwd", "private"};
	char buf[256];

	if (str_format(buf, sizeof buf, "%.*s", (int)(len < 200 ? len : 200), line) != FGW_OK)
		return true;
	buf[strcspn(buf, "=")] = '\0';
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strstr(buf, words[i]))
			return true;
	return false;
}

static void dump_lines(struct html *h, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[1200];

		if (str_format(line, sizeof line, "%.*s", (int)(n < 1100 ? n : 1100), p) == FGW_OK) {
			bool hide = secret_line(line, n);

			if (hide)
				line[strcspn(line, "=")] = '\0';
			html_text(h, line);
			html_raw(h, hide ? "= (hidden)\n" : "\n");
		}
		p += n + (nl != NULL);
	}
}

void page_admin_config(struct web_ctx *c)
{
	struct html *h = c->resp->body;
	struct config *defaults = NULL;
	const struct config *cfg = c->app->daemon ? daemon_config(c->app->daemon) : NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!cfg)
		cfg = defaults = config_defaults();
	c->current = "/admin/config";
	web_page_begin(c, "Configuration");
	f = cfg ? open_memstream(&text, &len) : NULL;
	if (f) {
		config_dump(cfg, f);
		if (fclose(f) != 0)
			len = 0;
	}
	html_raw(h, "<section class=\"card\"><p>The configuration in effect");
	html_raw(h, defaults ? " (no daemon attached: the built-in defaults)" : "");
	html_raw(h, ". Change it in faxgw.ini on the appliance and reload faxgwd (SIGHUP); "
		 "faxgwd -n checks a file first.</p><pre>");
	if (text && len)
		dump_lines(h, text, len);
	else
		html_raw(h, "(the configuration could not be listed)");
	html_raw(h, "</pre></section>");
	web_page_end(c);
	free(text);
	config_free(defaults);
}
