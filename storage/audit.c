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
	bool accept_tampered;       /* go on after a tail that does not verify */
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

/* Appends one record after the chain's end as this writer knows it; the
 * caller holds the file lock and has caught up with other writers. */
static int append_locked(struct audit *a, enum audit_event ev,
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

/* ---- sharing the file with other writers --------------------------------
 * faxgwd and the faxgw CLI append to the same log. Each append or sync
 * holds an exclusive flock for its own few microseconds and first reads
 * what other processes appended since this writer last looked, checking
 * every such record's MAC and link before chaining onto it. */

static int lock_log(struct audit *a)
{
	while (flock(a->fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			log_errno("audit: cannot lock %s", a->path);
			return FGW_ERR_IO;
		}
	}
	return FGW_OK;
}

static void unlock_log(struct audit *a)
{
	if (flock(a->fd, LOCK_UN) != 0)
		log_errno("audit: cannot unlock %s", a->path);
}

/* Checks that the line p (n bytes, no newline) is the record that follows
 * this writer's last one; *mac gets its MAC. */
static bool tail_line_ok(struct audit *a, const char *p, size_t n,
			 uint8_t mac[static AUDIT_MAC_LEN])
{
	char hex[AUDIT_HEX_LEN], prev[AUDIT_HEX_LEN];
	size_t mac_at, prev_at;
	uint64_t seq;

	if (n >= AUDIT_RECORD_MAX ||
	    n < AUDIT_SEQ_TAG_LEN + 2 + AUDIT_PREV_TAIL + AUDIT_MAC_TAIL)
		return false;
	mac_at = n - AUDIT_MAC_TAIL;
	prev_at = mac_at - AUDIT_PREV_TAIL;
	if (memcmp(p + mac_at, AUDIT_MAC_TAG, AUDIT_MAC_TAG_LEN) != 0 ||
	    memcmp(p + prev_at, AUDIT_PREV_TAG, AUDIT_PREV_TAG_LEN) != 0 ||
	    memcmp(p + n - 2, "\"}", 2) != 0 ||
	    audit_parse_seq(p, n, &seq) != FGW_OK || seq != a->last_seq + 1)
		return false;
	audit_hex_encode(a->last_mac, prev);
	if (memcmp(p + prev_at + AUDIT_PREV_TAG_LEN, prev, AUDIT_HEX_LEN) != 0 ||
	    audit_mac_compute(a->mac, p, mac_at, mac) != FGW_OK)
		return false;
	audit_hex_encode(mac, hex);
	return CRYPTO_memcmp(hex, p + mac_at + AUDIT_MAC_TAG_LEN, AUDIT_HEX_LEN) == 0;
}

/* After a record of another writer failed to verify and the caller
 * accepts that: goes on from the file's last complete line (as
 * audit_open does), cuts bytes after it, and logs the break. */
static int adopt_forged_tail(struct audit *a, off_t end, off_t bad_at)
{
	char buf[2 * AUDIT_RECORD_MAX];
	off_t from = end - bad_at > (off_t)sizeof buf ? end - (off_t)sizeof buf : bad_at;
	ssize_t n = pread(a->fd, buf, (size_t)(end - from), from);
	size_t keep = 0;
	char detail[96];

	if (n != end - from)
		return FGW_ERR_IO;
	last_line(buf, (size_t)n, &a->last_seq, a->last_mac, &keep);
	if (from + (off_t)keep < end && ftruncate(a->fd, from + (off_t)keep) != 0)
		return FGW_ERR_IO;
	a->size = from + (off_t)keep;
	if (str_format(detail, sizeof detail, "a record appended by another process at "
		       "byte %lld does not verify", (long long)bad_at) != FGW_OK)
		detail[0] = '\0';
	{
		struct audit_field f[] = {
			AUDIT_F_STR("event", "log_verification_failed"),
			AUDIT_F_STR("problem", "edited"),
			AUDIT_F_INT("offset", (int64_t)bad_at),
			AUDIT_F_STR("detail", detail),
		};

		return append_locked(a, AUDIT_SECURITY, f, 4, NULL);
	}
}

/* A record of another writer does not verify: never chained onto
 * silently. Refused (FGW_ERR_TAMPERED) unless the log was opened with
 * accept_tampered. */
static int forged_tail(struct audit *a, off_t end)
{
	log_error("audit: %s: the record at byte %lld, appended by another process "
		  "after record %llu, does not verify (MAC, sequence or link): the log "
		  "was altered; run faxgw log verify", a->path, (long long)a->size,
		  (unsigned long long)a->last_seq);
	if (!a->accept_tampered)
		return FGW_ERR_TAMPERED;
	return adopt_forged_tail(a, end, a->size);
}

/* Bytes after the last newline at the end of the file, while we hold the
 * lock: a writer died mid-record. Cut them off and say so in the chain. */
static int torn_tail(struct audit *a, off_t end)
{
	struct audit_field f[] = {
		AUDIT_F_INT("dropped_bytes", (int64_t)(end - a->size)),
		AUDIT_F_INT("line", 0),
		AUDIT_F_STR("reason", "incomplete record of another writer cut off"),
	};

	if (ftruncate(a->fd, a->size) != 0) {
		log_errno("audit: cannot cut the torn tail off %s", a->path);
		return FGW_ERR_IO;
	}
	log_warn("audit: %s: cut off %lld bytes of an incomplete record", a->path,
		 (long long)(end - a->size));
	return append_locked(a, AUDIT_LOG_REPAIRED, f, 3, NULL);
}

/* Verifies the complete lines in buf (fill bytes, starting at file
 * offset a->size) and advances past them; *used gets the bytes taken. */
static bool take_lines(struct audit *a, const char *buf, size_t fill, size_t *used)
{
	const char *nl;
	uint8_t mac[AUDIT_MAC_LEN];

	*used = 0;
	while ((nl = memchr(buf + *used, '\n', fill - *used)) != NULL) {
		size_t n = (size_t)(nl - (buf + *used));

		if (!tail_line_ok(a, buf + *used, n, mac))
			return false;
		a->last_seq++;
		memcpy(a->last_mac, mac, AUDIT_MAC_LEN);
		a->size += (off_t)n + 1;
		*used += n + 1;
	}
	return true;
}

/* Reads the records other writers appended between a->size and end. */
static int read_tail(struct audit *a, off_t end)
{
	char buf[2 * AUDIT_RECORD_MAX];
	size_t fill = 0, used;
	ssize_t n;

	while (a->size + (off_t)fill < end) {
		size_t want = sizeof buf - fill;

		if ((off_t)want > end - a->size - (off_t)fill)
			want = (size_t)(end - a->size - (off_t)fill);
		n = pread(a->fd, buf + fill, want, a->size + (off_t)fill);
		if (n <= 0) {
			log_errno("audit: cannot read %s", a->path);
			return FGW_ERR_IO;
		}
		fill += (size_t)n;
		if (!take_lines(a, buf, fill, &used))
			return forged_tail(a, end);
		memmove(buf, buf + used, fill - used);
		fill -= used;
		if (fill == sizeof buf)   /* no newline in two records' worth */
			return forged_tail(a, end);
	}
	return fill > 0 ? torn_tail(a, end) : FGW_OK;
}

/* Brings this writer to the file's real end (caller holds the lock). */
static int catch_up(struct audit *a)
{
	struct stat sb;

	if (fstat(a->fd, &sb) != 0) {
		log_errno("audit: cannot stat %s", a->path);
		return FGW_ERR_IO;
	}
	if (sb.st_size == a->size)
		return FGW_OK;
	if (sb.st_size < a->size) {
		log_error("audit: %s shrank from %lld to %lld bytes while open: records "
			  "were cut off; run faxgw log verify", a->path, (long long)a->size,
			  (long long)sb.st_size);
		return FGW_ERR_TAMPERED;
	}
	return read_tail(a, sb.st_size);
}

int audit_append(struct audit *a, enum audit_event ev,
		 const struct audit_field *fields, size_t nfields,
		 uint64_t *seq_out)
{
	int rc;

	if (a->broken)
		return FGW_ERR_STATE;
	if ((rc = lock_log(a)) != FGW_OK)
		return rc;
	rc = catch_up(a);
	if (rc == FGW_OK)
		rc = append_locked(a, ev, fields, nfields, seq_out);
	unlock_log(a);
	return rc;
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
	/* Another writer already stored a later head, which covers ours. */
	if (rc == FGW_ERR_STATE && !force)
		return FGW_OK;
	if (rc != FGW_OK)
		log_warn("audit: cannot store the log head (record %llu) in the "
			 "catalog: %s", (unsigned long long)head.seq, fgw_strerror(rc));
	return rc;
}

/* fdatasync; the caller holds the lock, so the durable end it records is
 * the file's end (other writers' records included). */
static int flush_locked(struct audit *a)
{
	if (fdatasync(a->fd) != 0) {
		log_errno("audit: cannot sync %s", a->path);
		return FGW_ERR_IO;
	}
	a->durable_seq = a->last_seq;
	memcpy(a->durable_mac, a->last_mac, AUDIT_MAC_LEN);
	return FGW_OK;
}

/* The head goes to the catalog after the lock is released: a writer
 * waiting for the catalog while holding the log lock could stall one that
 * holds a catalog transaction and waits for the log. */
int audit_sync(struct audit *a, uint64_t *durable_seq)
{
	int rc = FGW_OK, more;

	if (a->durable_seq != a->last_seq && (rc = lock_log(a)) == FGW_OK) {
		rc = catch_up(a);
		more = flush_locked(a);   /* our own records in any case */
		unlock_log(a);
		if (more == FGW_OK)
			more = store_head(a, false);
		if (rc == FGW_OK)
			rc = more;
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
	if (fstat(a->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		log_error("audit: %s is not a regular file", a->path);
		return FGW_ERR_IO;
	}
	if ((sb.st_mode & 077) != 0) {
		log_error("audit: %s is accessible by others (mode %03o); run "
			  "chmod 600 %s", a->path, (unsigned)(sb.st_mode & 0777), a->path);
		return FGW_ERR_PERMISSION;
	}
	return FGW_OK;
}

/* The file's size, read under the lock: other writers may have appended. */
static int locked_size(struct audit *a)
{
	struct stat sb;

	if (fstat(a->fd, &sb) != 0) {
		log_errno("audit: cannot stat %s", a->path);
		return FGW_ERR_IO;
	}
	a->size = sb.st_size;
	return FGW_OK;
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

		rc = append_locked(a, AUDIT_SECURITY, f, 4, NULL);
	}
	if (rc == FGW_OK && rep->torn_bytes > 0) {
		struct audit_field f[] = {
			AUDIT_F_INT("dropped_bytes", (int64_t)rep->torn_bytes),
			AUDIT_F_INT("line", (int64_t)rep->torn_line),
			AUDIT_F_STR("reason", "incomplete last record cut off at open"),
		};

		rc = append_locked(a, AUDIT_LOG_REPAIRED, f, 3, NULL);
	}
	return rc;
}

/* Verifies, repairs and reports with the file locked, so no other
 * writer appends meanwhile; the head is stored after the lock is gone. */
static int open_locked(struct audit *a, const uint8_t key[static AUDIT_KEY_LEN],
		       bool accept_tampered, struct open_report *rep)
{
	int rc = lock_log(a);

	if (rc != FGW_OK)
		return rc;
	rc = locked_size(a);
	if (rc == FGW_OK)
		rc = scan(a, key, accept_tampered, rep);
	if (rc == FGW_OK)
		rc = flush_locked(a);
	if (rc == FGW_OK)
		rc = report(a, rep);
	if (rc == FGW_OK)
		rc = flush_locked(a);
	unlock_log(a);
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
	a->accept_tampered = opts->accept_tampered;
	if (opts->clock != NULL)
		a->clock = *opts->clock;
	rc = str_copy(a->path, sizeof a->path, path);
	if (rc == FGW_OK)
		rc = audit_mac_new(key, &a->mac);
	if (rc == FGW_OK)
		rc = open_file(a);
	if (rc == FGW_OK)
		rc = open_locked(a, key, opts->accept_tampered, &rep);
	/* A stale head ahead of the file only happens when a tampered log was
	 * accepted; that case forces the head. */
	if (rc == FGW_OK)
		rc = store_head(a, rep.tampered);
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
