# web/: the HTTPS interface (later issue).
WEB_SRCS += web/http_parse.c
WEB_SRCS += web/html.c

# The stylesheet and the scripts are compiled into the binary:
# nothing to install beside it, no CDN.
WEB_EMBED := web/static/style.css
$(BUILD)/web/embedded.c: $(WEB_EMBED) web/embed.sh
	@mkdir -p $(@D)
	$(if $(Q),@echo "  GEN     $@")
	$(Q)web/embed.sh $(WEB_EMBED) > $@.tmp && mv $@.tmp $@
$(BUILD)/web/embedded.o: $(BUILD)/web/embedded.c
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(BUILD)/libweb.a: $(BUILD)/web/embedded.o
WEB_SRCS += web/tls.c
WEB_SRCS += web/auth.c
WEB_SRCS += web/app.c
WEB_SRCS += web/pages.c
WEB_SRCS += web/dashboard.c
WEB_SRCS += web/logs.c
WEB_SRCS += web/server.c
WEB_SRCS += web/cmd_tls.c
WEB_SRCS += web/unlock.c
WEB_SRCS += web/preview.c
WEB_SRCS += web/mailbox.c
WEB_SRCS += web/mailbox_doc.c
# the Send page's script (paste blocker) is embedded like the stylesheet
WEB_EMBED += web/static/send.js
$(BUILD)/web/embedded.c: web/static/send.js
WEB_SRCS += web/send.c
WEB_SRCS += web/jobs.c
WEB_SRCS += web/admin.c
WEB_SRCS += web/admin_users.c
WEB_SRCS += web/admin_mailboxes.c
WEB_SRCS += web/admin_devices.c
WEB_SRCS += web/admin_dialrules.c
WEB_SRCS += web/admin_wipe.c
WEB_SRCS += web/account.c
WEB_SRCS += web/gate.c
WEB_SRCS += web/convert_async.c
