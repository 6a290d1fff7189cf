/* Admin pages without a file of their own: the effective configuration
 * (read-only, no secrets). The factory reset is web/admin_wipe.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "web/web_int.h"

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
