/* Verifying and reading audit logs. One pass over the bytes, one reused
 * HMAC context, no allocation per record: the fast path only looks at the
 * fixed places of a line (seq at the start, prev and mac at the end). When
 * a line fails, a little look-ahead tells an edit from an insertion,
 * deletion or reordering. */
#include "storage/audit_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/catalog.h"

static const char zero_hex[AUDIT_HEX_LEN + 1] =
	"0000000000000000000000000000000000000000000000000000000000000000";

enum line_check { LINE_OK, LINE_MALFORMED, LINE_BAD_MAC, LINE_CRYPTO };

/* What a well-formed line says about itself. */
struct line_info {
	uint64_t seq;
	const char *prev_hex;  /* 64 hex chars inside the line */
	const char *mac_hex;
	uint8_t mac[AUDIT_MAC_LEN];
};

/* Checks the fixed shape of one line (no newline) and its MAC. */
static enum line_check check_line(struct audit_mac *m, const char *p, size_t n,
				  struct line_info *li)
{
	uint8_t computed[AUDIT_MAC_LEN];
	char hex[AUDIT_HEX_LEN];
	size_t mac_at, prev_at;

	if (n >= AUDIT_RECORD_MAX || n < AUDIT_SEQ_TAG_LEN + 2 + AUDIT_PREV_TAIL + AUDIT_MAC_TAIL)
		return LINE_MALFORMED;
	mac_at = n - AUDIT_MAC_TAIL;
	prev_at = mac_at - AUDIT_PREV_TAIL;
	if (memcmp(p + mac_at, AUDIT_MAC_TAG, AUDIT_MAC_TAG_LEN) != 0 ||
	    memcmp(p + n - 2, "\"}", 2) != 0 ||
	    memcmp(p + prev_at, AUDIT_PREV_TAG, AUDIT_PREV_TAG_LEN) != 0 ||
	    p[mac_at - 1] != '"' || audit_parse_seq(p, n, &li->seq) != FGW_OK)
		return LINE_MALFORMED;
	li->prev_hex = p + prev_at + AUDIT_PREV_TAG_LEN;
	li->mac_hex = p + mac_at + AUDIT_MAC_TAG_LEN;
	if (audit_mac_compute(m, p, mac_at, computed) != FGW_OK)
		return LINE_CRYPTO;
	/* Compare in hex: encoding is a table lookup, while decoding random
	 * hex digits costs a branch misprediction per digit. Only the
	 * canonical lowercase form can match. */
	audit_hex_encode(computed, hex);
	if (CRYPTO_memcmp(hex, li->mac_hex, AUDIT_HEX_LEN) != 0)
		return LINE_BAD_MAC;
	memcpy(li->mac, computed, AUDIT_MAC_LEN);
	return LINE_OK;
}

struct verifier {
	const char *data;
	size_t len;
	struct audit_mac *mac;
	const struct catalog_audit_head *head;
	struct audit_verify_result *res;
	uint64_t expect;        /* next seq */
	const char *prev_hex;   /* mac of the last good record, in hex */
	size_t pos;             /* start of the current line */
	size_t next;            /* start of the line after it */
};

/* Finds the line starting at pos: *n its length without newline. False
 * when no newline follows (a torn tail or the end). */
static bool line_at(const struct verifier *v, size_t pos, size_t *n)
{
	const char *nl;

	if (pos >= v->len)
		return false;
	nl = memchr(v->data + pos, '\n', v->len - pos);
	if (nl == NULL)
		return false;
	*n = (size_t)(nl - (v->data + pos));
	return true;
}

/* True when the line at pos is the record the chain expects next. */
static bool continues_chain(const struct verifier *v, size_t pos)
{
	struct line_info li;
	size_t n;

	return line_at(v, pos, &n) &&
	       check_line(v->mac, v->data + pos, n, &li) == LINE_OK &&
	       li.seq == v->expect && memcmp(li.prev_hex, v->prev_hex, AUDIT_HEX_LEN) == 0;
}

/* True when a later line (from pos on) carries a valid record numbered seq. */
static bool seq_appears_later(const struct verifier *v, size_t pos, uint64_t seq)
{
	struct line_info li;
	size_t n;

	for (; line_at(v, pos, &n); pos += n + 1)
		if (check_line(v->mac, v->data + pos, n, &li) == LINE_OK && li.seq == seq)
			return true;
	return false;
}

static int fail(struct verifier *v, enum audit_problem p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct verifier *v, enum audit_problem p, const char *fmt, ...)
{
	va_list ap;

	v->res->problem = p;
	v->res->seq = v->expect;
	va_start(ap, fmt);
	if (vsnprintf(v->res->detail, sizeof v->res->detail, fmt, ap) < 0)
		v->res->detail[0] = '\0';
	va_end(ap);
	return FGW_ERR_TAMPERED;
}

/* Names what is wrong with the current line (which did not verify). */
static int classify(struct verifier *v, enum line_check rc, const struct line_info *li)
{
	uint64_t line = v->res->line;

	if (rc == LINE_CRYPTO)
		return FGW_ERR_CRYPTO;
	if (rc != LINE_OK && continues_chain(v, v->next))
		return fail(v, AUDIT_PROBLEM_INSERTED, "line %llu does not belong to the "
			    "chain: the next line continues from record %llu",
			    (unsigned long long)line, (unsigned long long)(v->expect - 1));
	if (rc == LINE_MALFORMED)
		return fail(v, AUDIT_PROBLEM_MALFORMED, "line %llu is not an audit record "
			    "of this format", (unsigned long long)line);
	if (rc == LINE_BAD_MAC)
		return fail(v, AUDIT_PROBLEM_EDITED, "line %llu (record %llu): the MAC "
			    "does not match the bytes: the record was altered",
			    (unsigned long long)line, (unsigned long long)li->seq);
	if (li->seq == v->expect)
		return fail(v, AUDIT_PROBLEM_EDITED, "line %llu (record %llu) chains to "
			    "a different previous record", (unsigned long long)line,
			    (unsigned long long)li->seq);
	if (li->seq > v->expect && seq_appears_later(v, v->next, v->expect))
		return fail(v, AUDIT_PROBLEM_REORDERED, "line %llu holds record %llu "
			    "where %llu was expected; record %llu comes later",
			    (unsigned long long)line, (unsigned long long)li->seq,
			    (unsigned long long)v->expect, (unsigned long long)v->expect);
	if (li->seq == v->expect + 1)
		return fail(v, AUDIT_PROBLEM_DELETED, "line %llu holds record %llu where "
			    "%llu was expected: record %llu is missing",
			    (unsigned long long)line, (unsigned long long)li->seq,
			    (unsigned long long)v->expect, (unsigned long long)v->expect);
	if (li->seq > v->expect)
		return fail(v, AUDIT_PROBLEM_DELETED, "line %llu holds record %llu where "
			    "%llu was expected: records %llu..%llu are missing",
			    (unsigned long long)line, (unsigned long long)li->seq,
			    (unsigned long long)v->expect, (unsigned long long)v->expect,
			    (unsigned long long)(li->seq - 1));
	if (continues_chain(v, v->next))
		return fail(v, AUDIT_PROBLEM_INSERTED, "line %llu repeats record %llu; "
			    "the next line continues the chain", (unsigned long long)line,
			    (unsigned long long)li->seq);
	return fail(v, AUDIT_PROBLEM_REORDERED, "line %llu holds record %llu where "
		    "%llu was expected", (unsigned long long)line,
		    (unsigned long long)li->seq, (unsigned long long)v->expect);
}

/* Accepts the current (good) line into the chain. */
static int accept(struct verifier *v, const struct line_info *li)
{
	struct audit_verify_result *r = v->res;

	if (v->head != NULL && li->seq == v->head->seq &&
	    CRYPTO_memcmp(li->mac, v->head->mac, AUDIT_MAC_LEN) != 0)
		return fail(v, AUDIT_PROBLEM_EDITED, "line %llu (record %llu) differs "
			    "from the record the catalog holds as head",
			    (unsigned long long)r->line, (unsigned long long)li->seq);
	r->records++;
	r->last_seq = li->seq;
	memcpy(r->last_mac, li->mac, AUDIT_MAC_LEN);
	v->prev_hex = li->mac_hex;
	v->expect++;
	v->pos = v->next;
	r->good_bytes = v->pos;
	return FGW_OK;
}

/* What remains after the last complete line: truncation, a torn tail. */
static int finish(struct verifier *v)
{
	struct audit_verify_result *r = v->res;

	if (v->head != NULL && v->head->seq > r->last_seq) {
		r->line++;
		return fail(v, AUDIT_PROBLEM_TRUNCATED, "the log ends at record %llu but "
			    "the catalog's head is record %llu: records %llu..%llu were "
			    "cut off", (unsigned long long)r->last_seq,
			    (unsigned long long)v->head->seq,
			    (unsigned long long)(r->last_seq + 1),
			    (unsigned long long)v->head->seq);
	}
	if (v->pos < v->len) {
		r->line++;
		return fail(v, AUDIT_PROBLEM_TORN, "the last line (line %llu, %zu bytes) "
			    "is incomplete: a write was interrupted",
			    (unsigned long long)r->line, v->len - v->pos);
	}
	return FGW_OK;
}

static int walk(struct verifier *v)
{
	struct line_info li;
	enum line_check rc;
	size_t n;
	int err;

	while (line_at(v, v->pos, &n)) {
		v->res->line++;
		v->next = v->pos + n + 1;
		rc = check_line(v->mac, v->data + v->pos, n, &li);
		if (rc != LINE_OK || li.seq != v->expect ||
		    memcmp(li.prev_hex, v->prev_hex, AUDIT_HEX_LEN) != 0)
			return classify(v, rc, &li);
		err = accept(v, &li);
		if (err != FGW_OK)
			return err;
	}
	return finish(v);
}

int audit_verify_buffer(const uint8_t *data, size_t len,
			const uint8_t key[static AUDIT_KEY_LEN],
			const struct catalog_audit_head *head,
			struct audit_verify_result *result)
{
	struct verifier v = {
		.data = (const char *)data, .len = len, .head = head, .res = result,
		.expect = 1, .prev_hex = zero_hex,
	};
	int rc;

	memset(result, 0, sizeof *result);
	rc = audit_mac_new(key, &v.mac);
	if (rc != FGW_OK)
		return rc;
	rc = walk(&v);
	audit_mac_free(v.mac);
	if (rc == FGW_OK)
		(void)str_copy(result->detail, sizeof result->detail, "ok");
	return rc;
}

/* Maps the file at path read-only; *len 0 gives *data NULL. */
static int map_file(const char *path, const uint8_t **data, size_t *len)
{
	struct stat sb;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	*data = NULL;
	*len = 0;
	if (fd < 0) {
		log_errno("audit: cannot open %s", path);
		return errno == ENOENT ? FGW_ERR_NOT_FOUND : FGW_ERR_IO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		log_error("audit: %s is not a readable regular file", path);
		(void)close(fd);
		return FGW_ERR_IO;
	}
	if (sb.st_size > 0) {
		p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			log_errno("audit: cannot map %s", path);
			(void)close(fd);
			return FGW_ERR_IO;
		}
		(void)madvise(p, (size_t)sb.st_size, MADV_SEQUENTIAL);
		*data = p;
		*len = (size_t)sb.st_size;
	}
	(void)close(fd);
	return FGW_OK;
}

static void unmap_file(const uint8_t *data, size_t len)
{
	if (data != NULL)
		(void)munmap((void *)data, len);
}

int audit_verify_file(const char *path, const uint8_t key[static AUDIT_KEY_LEN],
		      const struct catalog_audit_head *head,
		      struct audit_verify_result *result)
{
	const uint8_t *data;
	size_t len;
	int rc;

	memset(result, 0, sizeof *result);
	rc = map_file(path, &data, &len);
	if (rc != FGW_OK)
		return rc;
	rc = audit_verify_buffer(data, len, key, head, result);
	unmap_file(data, len);
	return rc;
}

static int read_lines(const char *data, size_t len, audit_record_fn fn, void *arg,
		      uint64_t *bad_line)
{
	char scratch[AUDIT_RECORD_MAX];
	struct audit_record rec;
	uint64_t line = 0;
	size_t pos = 0;
	const char *nl;
	int rc = FGW_OK;

	while (rc == FGW_OK && pos < len &&
	       (nl = memchr(data + pos, '\n', len - pos)) != NULL) {
		size_t n = (size_t)(nl - (data + pos));

		line++;
		rc = audit_parse_line(data + pos, n, scratch, sizeof scratch, &rec);
		if (rc != FGW_OK) {
			if (bad_line != NULL)
				*bad_line = line;
			return FGW_ERR_PARSE;
		}
		rc = fn(&rec, arg);
		pos += n + 1;
	}
	return rc;
}

int audit_read_file(const char *path, audit_record_fn fn, void *arg,
		    uint64_t *bad_line)
{
	const uint8_t *data;
	size_t len;
	int rc;

	if (bad_line != NULL)
		*bad_line = 0;
	rc = map_file(path, &data, &len);
	if (rc != FGW_OK)
		return rc;
	rc = read_lines((const char *)data, len, fn, arg, bad_line);
	unmap_file(data, len);
	return rc;
}
