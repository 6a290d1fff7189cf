/* Logging: stderr in the foreground, syslog otherwise. Keeps errno. */
#ifndef FAXGW_COMMON_LOG_H
#define FAXGW_COMMON_LOG_H

#include <stdbool.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Sets the program name, destination and threshold. Safe to call again
 * (e.g. on reload). Before it is called, logs go to stderr at INFO. */
void log_init(const char *ident, bool foreground, enum log_level level);

/* Parses "error", "warning", "info" or "debug"; returns -1 if none. */
int log_level_parse(const char *name);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As log_error, with ": strerror(errno)" appended. */
void log_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs and exits(1). Only at start-up or for a broken invariant. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
