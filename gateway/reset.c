/* Factory reset of a running appliance (see reset.h). The wipe itself is
 * store_wipe_all; this file only places its certificate where the next
 * device keeps it, carries who asked across the wipe, and makes the new
 * device. */
#include "gateway/reset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"

#define PATH_CAP 4096
#define FIELD_MAX 128

static int join(char *out, size_t size, const char *dir, const char *name)
{
	return str_format(out, size, "%s/%s", dir, name);
}

int reset_erasure_dir(const char *data_dir, char *path, size_t size)
{
	struct stat st;

	if (join(path, size, data_dir, STORE_ERASURE_DIR) != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		log_errno("cannot create the certificate folder %s", path);
		return FGW_ERR_IO;
	}
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_error("%s is not a folder; move it away so the certificates can go there", path);
		return FGW_ERR_IO;
	}
	/* root runs faxgw wipe; the service user serves the certificates */
	if (geteuid() == 0 && stat(data_dir, &st) == 0 && chown(path, st.st_uid, st.st_gid) != 0) {
		log_errno("cannot give %s to the owner of %s", path, data_dir);
		return FGW_ERR_IO;
	}
	return FGW_OK;
}

/* Keeps a field value on one line and short. */
static void clean_field(const char *in, char out[static FIELD_MAX])
{
	size_t n = 0;

	for (; in != NULL && *in != '\0' && n + 1 < FIELD_MAX; in++)
		out[n++] = (*in == '\n' || *in == '\r' || *in == '=') ? '_' : *in;
	out[n] = '\0';
}

int reset_request(const char *data_dir, const char *user, const char *source)
{
	char path[PATH_CAP], line[3 * FIELD_MAX], u[FIELD_MAX], s[FIELD_MAX];
	int fd, rc;

	clean_field(user, u);
	clean_field(source, s);
	if (join(path, sizeof path, data_dir, RESET_REQUEST_FILE) != FGW_OK ||
	    str_format(line, sizeof line, "user=%s\nsource=%s\n", u, s) != FGW_OK)
		return FGW_ERR_TOO_LARGE;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_errno("cannot write the reset request %s", path);
		return FGW_ERR_IO;
	}
	rc = write(fd, line, strlen(line)) == (ssize_t)strlen(line) && fsync(fd) == 0 ? FGW_OK
										    : FGW_ERR_IO;
	if (close(fd) != 0 || rc != FGW_OK) {
		log_errno("cannot write the reset request %s", path);
		return FGW_ERR_IO;
	}
	return FGW_OK;
}

bool reset_pending(const char *data_dir)
{
	char path[PATH_CAP];
	struct stat st;

	return join(path, sizeof path, data_dir, RESET_REQUEST_FILE) == FGW_OK &&
	       lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The value of "key=" in the request text, or "" (bounded copy). */
static void request_field(const char *text, const char *key, char out[static FIELD_MAX])
{
	size_t klen = strlen(key);
	const char *p = text;

	out[0] = '\0';
	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, "\n");
			(void)str_format(out, FIELD_MAX, "%.*s", (int)(n < FIELD_MAX - 1 ? n : FIELD_MAX - 1),
					 p + klen + 1);
			return;
		}
		p = strchr(p, '\n');
		p = p != NULL ? p + 1 : NULL;
	}
}

/* Who asked: read before the wipe destroys the request file. */
static void read_request(const char *data_dir, char user[static FIELD_MAX],
			 char source[static FIELD_MAX])
{
	char path[PATH_CAP], text[3 * FIELD_MAX];
	ssize_t n = -1;
	int fd = join(path, sizeof path, data_dir, RESET_REQUEST_FILE) == FGW_OK
			 ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
			 : -1;

	if (fd >= 0) {
		n = read(fd, text, sizeof text - 1);
		close(fd);
	}
	text[n > 0 ? n : 0] = '\0';
	request_field(text, "user", user);
	request_field(text, "source", source);
	if (user[0] == '\0')
		(void)str_copy(user, FIELD_MAX, "(console)");
}

/* The new device's first record: the reset that made it, so the trail
 * goes on across the wipe (the old log is gone; its syslog copy is not). */
static int record_reset(const char *data_dir, const char *user, const char *source,
			const char *cert_path)
{
	const char *slash = strrchr(cert_path, '/');
	const struct audit_field f[] = {
		AUDIT_F_STR("action", "factory_reset"),
		AUDIT_F_STR("user", user),
		AUDIT_F_STR("source", source),
		AUDIT_F_STR("certificate", slash != NULL ? slash + 1 : cert_path),
	};
	struct store *s;
	int rc = store_open(data_dir, NULL, &s);

	if (rc != FGW_OK)
		return rc;
	rc = audit_append_durable(store_audit(s), AUDIT_WIPE, f, sizeof f / sizeof f[0], NULL);
	if (store_close(s) != FGW_OK && rc == FGW_OK)
		rc = FGW_ERR_IO;
	return rc;
}

int reset_run(const char *data_dir, struct store_erase_report *report,
	      struct wipe_tally *tally)
{
	struct store_erase_report rep;
	struct wipe_tally t = {0};
	char user[FIELD_MAX], source[FIELD_MAX], cert_dir[PATH_CAP];
	int rc;

	memset(&rep, 0, sizeof rep);
	read_request(data_dir, user, source);
	rc = reset_erasure_dir(data_dir, cert_dir, sizeof cert_dir);
	if (rc == FGW_OK)
		rc = store_wipe_all(data_dir, cert_dir, &rep, &t);
	if (rc != FGW_OK) {
		log_error("the factory reset of %s did not complete (%s); as root, run "
			  "faxgw wipe --all --data %s, then faxgw init --data %s", data_dir,
			  fgw_strerror(rc), data_dir, data_dir);
	} else if ((rc = store_init(data_dir)) != FGW_OK ||
		   (rc = record_reset(data_dir, user, source, rep.cert_path)) != FGW_OK) {
		log_error("%s was wiped, but no new device could be made there (%s): run "
			  "faxgw init --data %s", data_dir, fgw_strerror(rc), data_dir);
	}
	if (report != NULL)
		*report = rep;
	if (tally != NULL)
		*tally = t;
	return rc;
}

bool reset_cert_name_ok(const char *name)
{
	static const char *const ends[] = {".json", ".txt", ".pub.pem"};
	size_t n = strlen(name);

	if (n < 9 || n >= RESET_NAME_MAX || strncmp(name, "erasure-", 8) != 0 ||
	    strstr(name, "..") != NULL)
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
			return false;
	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
		size_t e = strlen(ends[i]);
		if (n > e && strcmp(name + n - e, ends[i]) == 0)
			return true;
	}
	return false;
}

/* Newer first: by modification time, the name breaking ties. */
static int by_age(const void *pa, const void *pb)
{
	const struct reset_cert *a = pa, *b = pb;

	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return a->mtime.tv_sec < b->mtime.tv_sec ? 1 : -1;
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return a->mtime.tv_nsec < b->mtime.tv_nsec ? 1 : -1;
	return strcmp(b->name, a->name);
}

/* A certificate's JSON file, as reset_list lists it. */
static bool cert_json(int dfd, const char *name, struct stat *st)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".json") == 0 && reset_cert_name_ok(name) &&
	       fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st->st_mode);
}

/* Adds c to out while there is room, else in place of the oldest one
 * when c is newer: out ends with the newest max. */
static void keep_newest(struct reset_cert *out, size_t max, size_t *n,
			const struct reset_cert *c)
{
	size_t oldest = 0;

	if (*n < max) {
		out[(*n)++] = *c;
		return;
	}
	for (size_t i = 1; i < *n; i++)
		if (by_age(&out[i], &out[oldest]) > 0)
			oldest = i;
	if (*n > 0 && by_age(c, &out[oldest]) < 0)
		out[oldest] = *c;
}

int reset_list(const char *data_dir, struct reset_cert *out, size_t max, size_t *n)
{
	char dir[PATH_CAP];
	struct dirent *e;
	struct stat st;
	size_t seen = 0;
	DIR *d;

	*n = 0;
	if (join(dir, sizeof dir, data_dir, STORE_ERASURE_DIR) != FGW_OK ||
	    (d = opendir(dir)) == NULL)
		return FGW_ERR_NOT_FOUND;
	while ((e = readdir(d)) != NULL) {
		struct reset_cert c;
		if (!cert_json(dirfd(d), e->d_name, &st) ||
		    str_copy(c.name, sizeof c.name, e->d_name) != FGW_OK)
			continue;
		c.mtime = st.st_mtim;
		seen++;
		keep_newest(out, max, n, &c);
	}
	closedir(d);
	qsort(out, *n, sizeof *out, by_age);
	return seen > max ? FGW_ERR_TOO_LARGE : FGW_OK;
}

int reset_latest(const char *data_dir, char *name, size_t size)
{
	struct reset_cert newest;
	size_t n;

	name[0] = '\0';
	(void)reset_list(data_dir, &newest, 1, &n);
	if (n == 0 || str_copy(name, size, newest.name) != FGW_OK)
		return FGW_ERR_NOT_FOUND;
	return FGW_OK;
}
