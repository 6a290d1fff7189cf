/* The audit log writer: open (verify + repair), append, group commit,
 * clock-jump detection. The format lives in audit_format.c, verification
 * in audit_verify.c, syslog forwarding in audit_syslog.c. */
#include "storage/audit_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/catalog.h"

struct audit {
	int fd;
	char path[4096];
	struct audit_mac *mac;
	struct audit_clock clock;
	struct catalog *cat;
	struct audit_syslog *forward;
	uint64_t last_seq, durable_seq;
	uint8_t last_mac[AUDIT_MAC_LEN], durable_mac[AUDIT_MAC_LEN];
	off_t size;                 /* bytes of complete records in the file */
	bool broken;                /* a failed write left bytes we could not undo */
	int64_t clock_real, clock_mono;  /* baseline for audit_check_clock */
	char buf[AUDIT_RECORD_MAX];
};

/* ---- clocks ------------------------------------------------------------ */

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_real(const struct audit *a)
{
	if (a->clock.realtime_ms != NULL)
		return a->clock.realtime_ms(a->clock.arg);
	return clock_ms(CLOCK_REALTIME);
}

static int64_t now_mono(const struct audit *a)
{
	if (a->clock.monotonic_ms != NULL)
		return a->clock.monotonic_ms(a->clock.arg);
	return clock_ms(CLOCK_MONOTONIC);
}

/* ---- writing ----------------------------------------------------------- */

/* Writes len bytes at the end of the file. On failure, cuts any partial
 * record off again so the file stays a sequence of whole lines; if even
 * that fails the log is marked broken. */
static int write_record(struct audit *a, const char *p, size_t len)
{
	size_t done = 0;
	int err;

	while (done < len) {
		ssize_t n = write(a->fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done == len)
		return FGW_OK;
	err = errno == ENOSPC || errno == EDQUOT ? FGW_ERR_NO_SPACE : FGW_ERR_IO;
	log_errno("audit: cannot write to %s", a->path);
	if (done > 0 && ftruncate(a->fd, a->size) != 0) {
		log_errno("audit: cannot cut the partial record off %s", a->path);
		a->broken = true;
	}
	return err;
}

int audit_append(struct audit *a, enum audit_event ev,
		 const struct audit_field *fields, size_t nfields,
		 uint64_t *seq_out)
{
	const char *type = audit_event_name(ev);
	uint8_t mac[AUDIT_MAC_LEN];
	int64_t when = now_real(a);
	size_t len = 0;
	int rc;

	if (type == NULL)
		return FGW_ERR_INVALID;
	if (a->broken)
		return FGW_ERR_STATE;
	rc = audit_format_body(a->buf, sizeof a->buf, &len, a->last_seq + 1, when,
			       type, fields, nfields, a->last_mac);
	if (rc == FGW_OK)
		rc = audit_mac_compute(a->mac, a->buf, len, mac);
	if (rc == FGW_OK)
		rc = audit_format_tail(a->buf, sizeof a->buf, &len, mac);
	if (rc == FGW_OK)
		rc = write_record(a, a->buf, len);
	if (rc != FGW_OK)
		return rc;
	a->last_seq++;
	memcpy(a->last_mac, mac, AUDIT_MAC_LEN);
	a->size += (off_t)len;
	if (seq_out != NULL)
		*seq_out = a->last_seq;
	if (a->forward != NULL)
		(void)audit_syslog_send(a->forward, a->last_seq, type,
					a->buf + len - 1 - 2 - AUDIT_HEX_LEN, when,
					a->buf, len - 1);
	return FGW_OK;
}

static int store_head(struct audit *a, bool force)
{
	struct catalog_audit_head head = { .seq = a->durable_seq };
	int rc;

	if (a->cat == NULL)
		return FGW_OK;
	memcpy(head.mac, a->durable_mac, AUDIT_MAC_LEN);
	rc = force ? catalog_audit_head_reset(a->cat, &head)
		   : catalog_audit_head_set(a->cat, &head);
	if (rc != FGW_OK)
		log_warn("audit: cannot store the log head (record %llu) in the "
			 "catalog: %s", (unsigned long long)head.seq, fgw_strerror(rc));
	return rc;
}

int audit_sync(struct audit *a, uint64_t *durable_seq)
{
	int rc = FGW_OK;

	if (a->durable_seq != a->last_seq) {
		if (fdatasync(a->fd) != 0) {
			log_errno("audit: cannot sync %s", a->path);
			rc = FGW_ERR_IO;
		} else {
			a->durable_seq = a->last_seq;
			memcpy(a->durable_mac, a->last_mac, AUDIT_MAC_LEN);
			rc = store_head(a, false);
		}
	}
	if (durable_seq != NULL)
		*durable_seq = a->durable_seq;
	return rc;
}

int audit_append_durable(struct audit *a, enum audit_event ev,
			 const struct audit_field *fields, size_t nfields,
			 uint64_t *seq_out)
{
	int rc = audit_append(a, ev, fields, nfields, seq_out);

	return rc != FGW_OK ? rc : audit_sync(a, NULL);
}

uint64_t audit_last_seq(const struct audit *a)
{
	return a->last_seq;
}

uint64_t audit_durable_seq(const struct audit *a)
{
	return a->durable_seq;
}

/* ---- opening ----------------------------------------------------------- */

static int open_file(struct audit *a)
{
	struct stat sb;

	a->fd = open(a->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (a->fd < 0) {
		log_errno("audit: cannot open %s", a->path);
		return errno == ENOENT ? FGW_ERR_NOT_FOUND : FGW_ERR_IO;
	}
	/* One writer per log, or two chains would interleave. */
	if (flock(a->fd, LOCK_EX | LOCK_NB) != 0) {
		log_error("audit: %s is open for writing by another process "
			  "(is faxgwd running?)", a->path);
		return errno == EWOULDBLOCK ? FGW_ERR_BUSY : FGW_ERR_IO;
	}
	if (fstat(a->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		log_error("audit: %s is not a regular file", a->path);
		return FGW_ERR_IO;
	}
	if ((sb.st_mode & 077) != 0) {
		log_error("audit: %s is accessible by others (mode %03o); run "
			  "chmod 600 %s", a->path, (unsigned)(sb.st_mode & 0777), a->path);
		return FGW_ERR_PERMISSION;
	}
	a->size = sb.st_size;
	return FGW_OK;
}

/* The seq and mac of the last complete line of data, whatever its
 * validity (used to go on after accepting a tampered log); *end gets the
 * length up to and including its newline. */
static void last_line(const char *data, size_t len, uint64_t *seq,
		      uint8_t mac[static AUDIT_MAC_LEN], size_t *end)
{
	const char *nl = len > 0 ? memrchr(data, '\n', len) : NULL;
	const char *start;
	uint8_t m[AUDIT_MAC_LEN];
	uint64_t s;
	size_t n;

	*end = nl == NULL ? 0 : (size_t)(nl - data) + 1;
	if (nl == NULL)
		return;
	start = nl > data ? memrchr(data, '\n', (size_t)(nl - data)) : NULL;
	start = start == NULL ? data : start + 1;
	n = (size_t)(nl - start);
	if (n >= AUDIT_MAC_TAIL && audit_parse_seq(start, n, &s) == FGW_OK &&
	    audit_hex_decode(start + n - 2 - AUDIT_HEX_LEN, m) == FGW_OK) {
		*seq = s;
		memcpy(mac, m, AUDIT_MAC_LEN);
	}
}

/* What audit_open found, to be logged once the log is writable. */
struct open_report {
	size_t torn_bytes;
	uint64_t torn_line;
	struct audit_verify_result tamper;
	bool tampered;
};

/* Decides, from the verification result, where the chain goes on and
 * whether the file must be cut. */
static int adopt(struct audit *a, const char *data, size_t len, int vrc,
		 const struct audit_verify_result *res, bool accept_tampered,
		 struct open_report *rep, size_t *keep)
{
	a->last_seq = res->last_seq;
	memcpy(a->last_mac, res->last_mac, AUDIT_MAC_LEN);
	*keep = len;
	if (vrc == FGW_OK)
		return FGW_OK;
	if (vrc != FGW_ERR_TAMPERED)
		return vrc;
	if (res->problem == AUDIT_PROBLEM_TORN) {
		*keep = (size_t)res->good_bytes;
		rep->torn_bytes = len - *keep;
		rep->torn_line = res->line;
		return FGW_OK;
	}
	log_error("audit: %s: %s at line %llu: %s", a->path,
		  audit_problem_name(res->problem), (unsigned long long)res->line,
		  res->detail);
	if (!accept_tampered)
		return FGW_ERR_TAMPERED;
	rep->tampered = true;
	rep->tamper = *res;
	last_line(data, len, &a->last_seq, a->last_mac, keep);
	if (*keep < len) {
		rep->torn_bytes = len - *keep;
		rep->torn_line = 0;
	}
	return FGW_OK;
}

/* Reads and verifies the existing file; cuts a torn tail. */
static int scan(struct audit *a, const uint8_t key[static AUDIT_KEY_LEN],
		bool accept_tampered, struct open_report *rep)
{
	struct catalog_audit_head head, *hp = NULL;
	struct audit_verify_result res;
	void *data = NULL;
	size_t len = (size_t)a->size, keep = 0;
	int rc;

	if (a->cat != NULL) {
		rc = catalog_audit_head_get(a->cat, &head);
		if (rc != FGW_OK)
			return rc;
		hp = &head;
	}
	if (len > 0) {
		data = mmap(NULL, len, PROT_READ, MAP_PRIVATE, a->fd, 0);
		if (data == MAP_FAILED) {
			log_errno("audit: cannot map %s", a->path);
			return FGW_ERR_IO;
		}
	}
	rc = audit_verify_buffer(data, len, key, hp, &res);
	rc = adopt(a, data, len, rc, &res, accept_tampered, rep, &keep);
	if (data != NULL)
		(void)munmap(data, len);
	if (rc == FGW_OK && keep < len) {
		if (ftruncate(a->fd, (off_t)keep) != 0) {
			log_errno("audit: cannot cut the torn tail off %s", a->path);
			return FGW_ERR_IO;
		}
		a->size = (off_t)keep;
	}
	return rc;
}

/* Appends the records that say what audit_open found and repaired. */
static int report(struct audit *a, const struct open_report *rep)
{
	int rc = FGW_OK;

	if (rep->tampered) {
		struct audit_field f[] = {
			AUDIT_F_STR("event", "log_verification_failed"),
			AUDIT_F_STR("problem", audit_problem_name(rep->tamper.problem)),
			AUDIT_F_INT("line", (int64_t)rep->tamper.line),
			AUDIT_F_STR("detail", rep->tamper.detail),
		};

		rc = audit_append(a, AUDIT_SECURITY, f, 4, NULL);
	}
	if (rc == FGW_OK && rep->torn_bytes > 0) {
		struct audit_field f[] = {
			AUDIT_F_INT("dropped_bytes", (int64_t)rep->torn_bytes),
			AUDIT_F_INT("line", (int64_t)rep->torn_line),
			AUDIT_F_STR("reason", "incomplete last record cut off at open"),
		};

		rc = audit_append(a, AUDIT_LOG_REPAIRED, f, 3, NULL);
	}
	return rc;
}

/* Makes what is in the file durable and records it as the head. */
static int settle(struct audit *a, bool force_head)
{
	int rc;

	if (fdatasync(a->fd) != 0) {
		log_errno("audit: cannot sync %s", a->path);
		return FGW_ERR_IO;
	}
	a->durable_seq = a->last_seq;
	memcpy(a->durable_mac, a->last_mac, AUDIT_MAC_LEN);
	rc = store_head(a, force_head);
	/* A stale head ahead of us only happens when a tampered log was
	 * accepted; that case forces the head. */
	return rc;
}

int audit_open(const char *path, const uint8_t key[static AUDIT_KEY_LEN],
	       const struct audit_options *opts, struct audit **out)
{
	static const struct audit_options defaults;
	struct open_report rep = { 0 };
	struct audit *a;
	int rc;

	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	a = calloc(1, sizeof *a);
	if (a == NULL)
		return FGW_ERR_NOMEM;
	a->fd = -1;
	a->cat = opts->catalog;
	a->forward = opts->forward;
	if (opts->clock != NULL)
		a->clock = *opts->clock;
	rc = str_copy(a->path, sizeof a->path, path);
	if (rc == FGW_OK)
		rc = audit_mac_new(key, &a->mac);
	if (rc == FGW_OK)
		rc = open_file(a);
	if (rc == FGW_OK)
		rc = scan(a, key, opts->accept_tampered, &rep);
	if (rc == FGW_OK)
		rc = settle(a, rep.tampered);
	if (rc == FGW_OK)
		rc = report(a, &rep);
	if (rc == FGW_OK)
		rc = audit_sync(a, NULL);
	if (rc != FGW_OK) {
		a->durable_seq = a->last_seq;   /* nothing to flush on close */
		(void)audit_close(a);
		return rc;
	}
	a->clock_real = now_real(a);
	a->clock_mono = now_mono(a);
	*out = a;
	return FGW_OK;
}

int audit_close(struct audit *a)
{
	int rc;

	if (a == NULL)
		return FGW_OK;
	rc = a->fd >= 0 ? audit_sync(a, NULL) : FGW_OK;
	if (a->fd >= 0 && close(a->fd) != 0 && rc == FGW_OK)
		rc = FGW_ERR_IO;
	audit_mac_free(a->mac);
	OPENSSL_cleanse(a, sizeof *a);
	free(a);
	return rc;
}

/* ---- clock jumps ------------------------------------------------------- */

int audit_check_clock(struct audit *a, int64_t bound_ms)
{
	int64_t real = now_real(a), mono = now_mono(a);
	int64_t jump = (real - a->clock_real) - (mono - a->clock_mono);
	char from[AUDIT_TIME_LEN + 1], to[AUDIT_TIME_LEN + 1];
	int rc;

	if (bound_ms < 0)
		return FGW_ERR_INVALID;
	/* Where the wall clock should be had it kept pace with the monotonic. */
	rc = audit_time_format(a->clock_real + (mono - a->clock_mono), from, sizeof from);
	a->clock_real = real;
	a->clock_mono = mono;
	if (jump <= bound_ms && jump >= -bound_ms)
		return 0;
	if (rc == FGW_OK)
		rc = audit_time_format(real, to, sizeof to);
	if (rc != FGW_OK)
		(void)str_copy(from, sizeof from, "-"), (void)str_copy(to, sizeof to, "-");
	{
		struct audit_field f[] = {
			AUDIT_F_INT("jump_ms", jump),
			AUDIT_F_STR("from", from),
			AUDIT_F_STR("to", to),
			AUDIT_F_INT("bound_ms", bound_ms),
		};

		rc = audit_append(a, AUDIT_CLOCK_JUMP, f, 4, NULL);
	}
	return rc == FGW_OK ? 1 : rc;
}

/* ---- fax records ------------------------------------------------------- */

int audit_fax(struct audit *a, enum audit_event ev, const struct audit_fax *fax,
	      uint64_t *seq_out)
{
	struct audit_field f[] = {
		AUDIT_F_STR("direction", fax->direction),
		AUDIT_F_STR("remote_number", fax->remote_number),
		AUDIT_F_STR("remote_ident", fax->remote_ident),
		AUDIT_F_STR("sub", fax->sub),
		AUDIT_F_STR("mailbox", fax->mailbox),
		AUDIT_F_STR("document", fax->document),
		AUDIT_F_INT("pages", fax->pages),
		AUDIT_F_INT("duration_ms", fax->duration_ms),
		AUDIT_F_INT("bit_rate", fax->bit_rate),
		AUDIT_F_STR("result", fax->result),
	};

	if (ev != AUDIT_FAX_RECEIVED && ev != AUDIT_FAX_SENT && ev != AUDIT_FAX_FAILED)
		return FGW_ERR_INVALID;
	return audit_append(a, ev, f, sizeof f / sizeof f[0], seq_out);
}
