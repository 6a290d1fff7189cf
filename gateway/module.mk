# gateway/: the daemon faxgwd, the CLI faxgw and what they share.
GATEWAY_SRCS += gateway/config.c
GATEWAY_SRCS += gateway/config_keys.c

PROGRAMS += faxgw
PROGRAMS += faxgwd
