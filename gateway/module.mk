# gateway/: the daemon faxgwd, the CLI faxgw and what they share.
GATEWAY_SRCS += gateway/config.c

PROGRAMS += faxgw
PROGRAMS += faxgwd
