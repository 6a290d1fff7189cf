/* Section-aware edits of a test's config file; see ini_edit.h. */
#include "tests/support/ini_edit.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/str.h"

#define INI_MAX 131072

static size_t read_all(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t got;

	cr_assert_geq(fd, 0, "cannot open %s", path);
	while (n + 1 < size && (got = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)got;
	close(fd);
	cr_assert_lt(n + 1, size, "%s is too large", path);
	buf[n] = '\0';
	return n;
}

static void write_all(const char *path, const char *buf, size_t len)
{
	/* In place: the harness gave the file its owner and mode. */
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	cr_assert_geq(fd, 0, "cannot write %s", path);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len, "short write to %s", path);
	close(fd);
}

/* True when line (length n) is "[section]". */
static bool is_section(const char *line, size_t n, const char *section)
{
	size_t k = strlen(section);

	return n >= k + 2 && line[0] == '[' && strncmp(line + 1, section, k) == 0 &&
	       line[k + 1] == ']';
}

static bool is_key(const char *line, size_t n, const char *key)
{
	size_t k = strlen(key);

	return n > k && strncmp(line, key, k) == 0 && (line[k] == ' ' || line[k] == '=');
}

void ini_set(const char *path, const char *section, const char *key, const char *value)
{
	static char in[INI_MAX], out[INI_MAX + 512];
	size_t len = read_all(path, in, sizeof in), o = 0;
	bool inside = false, done = false;

	for (size_t p = 0; p < len;) {
		const char *nl = memchr(in + p, '\n', len - p);
		size_t n = nl != NULL ? (size_t)(nl - (in + p)) : len - p;
		if (in[p] == '[')
			inside = is_section(in + p, n, section);
		if (inside && !done && is_key(in + p, n, key)) {
			cr_assert_eq(str_format(out + o, sizeof out - o, "%s = %s\n", key, value), 0);
			done = true;
		} else {
			cr_assert_lt(o + n + 1, sizeof out);
			memcpy(out + o, in + p, n);
			out[o + n] = '\n';
			out[o + n + 1] = '\0';
		}
		o += strlen(out + o);
		p += n + 1;
	}
	cr_assert(done, "%s: no key %s in [%s]", path, key, section);
	write_all(path, out, o);
}
