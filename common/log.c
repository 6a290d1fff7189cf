#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* One process-wide sink: logging is configured once per program, so this
 * is the one piece of global state common/ keeps. */
static struct {
	const char *ident;
	bool foreground;
	enum log_level level;
} log_sink = {"faxgw", true, LOG_LEVEL_INFO};

static const char *const level_names[] = {"error", "warning", "info", "debug"};
static const int level_priority[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

void log_init(const char *ident, bool foreground, enum log_level level)
{
	log_sink.ident = ident;
	log_sink.foreground = foreground;
	log_sink.level = level;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int log_level_parse(const char *name)
{
	for (int i = 0; i <= LOG_LEVEL_DEBUG; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

static void log_emit(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void log_emit(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	int saved = errno;

	if (level > log_sink.level)
		return;
	if (vsnprintf(line, sizeof line, fmt, ap) < 0)
		line[0] = '\0';
	if (log_sink.foreground)
		fprintf(stderr, "%s: %s%s%s\n", log_sink.ident,
			level <= LOG_LEVEL_WARNING ? level_names[level] : "",
			level <= LOG_LEVEL_WARNING ? ": " : "", line);
	else
		syslog(level_priority[level], "%s", line);
	errno = saved;
}

#define LOG_FORWARD(level)                       \
	do {                                     \
		va_list ap;                      \
		va_start(ap, fmt);               \
		log_emit(level, fmt, ap);        \
		va_end(ap);                      \
	} while (0)

void log_error(const char *fmt, ...) { LOG_FORWARD(LOG_LEVEL_ERROR); }
void log_warn(const char *fmt, ...) { LOG_FORWARD(LOG_LEVEL_WARNING); }
void log_info(const char *fmt, ...) { LOG_FORWARD(LOG_LEVEL_INFO); }
void log_debug(const char *fmt, ...) { LOG_FORWARD(LOG_LEVEL_DEBUG); }

void log_errno(const char *fmt, ...)
{
	char msg[1536];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	log_error("%s: %s", msg, strerror(saved));
	errno = saved;
}

void fatal(const char *fmt, ...)
{
	LOG_FORWARD(LOG_LEVEL_ERROR);
	exit(1);
}
