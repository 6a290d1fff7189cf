# common/: the project's error type, logging and small bounded helpers.
# Used by every module; depends on nothing of ours.
COMMON_SRCS += common/err.c
COMMON_SRCS += common/log.c
COMMON_SRCS += common/str.c
