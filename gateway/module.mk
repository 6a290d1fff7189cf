# gateway/: the daemon faxgwd, the CLI faxgw and what they share.
GATEWAY_SRCS += gateway/config.c
GATEWAY_SRCS += gateway/config_keys.c

PROGRAMS += faxgw
PROGRAMS += faxgwd
GATEWAY_SRCS += gateway/line.c
GATEWAY_SRCS += gateway/line_loopback.c
GATEWAY_SRCS += gateway/line_pump.c
GATEWAY_SRCS += gateway/cmd_line_test.c
GATEWAY_SRCS += gateway/cmd_log.c
GATEWAY_SRCS += gateway/cmd_init.c
GATEWAY_SRCS += gateway/cmd_wipe.c
GATEWAY_SRCS += gateway/cmd_cert.c
GATEWAY_SRCS += gateway/notify.c
GATEWAY_SRCS += gateway/dialrules.c
GATEWAY_SRCS += gateway/inbound.c
GATEWAY_SRCS += gateway/pdf.c
