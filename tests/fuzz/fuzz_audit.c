/* libFuzzer target: the audit log verifier and line parser.
 *
 * The first byte picks a mode:
 *   even: the rest is a log file, verified as is (with and without a head)
 *         and every line parsed, as faxgw log show/verify would;
 *   odd:  the rest is a list of edits (delete, swap, duplicate, flip a
 *         byte, cut) applied to a valid 8-record log made with the fuzzer's
 *         key, so the verifier's classification paths are reached, not only
 *         its MAC check. With no edit the log must verify.
 * Any crash, sanitizer report or broken invariant (abort) is a finding. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "storage/audit_int.h"
#include "storage/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE_RECORDS 8
#define BASE_CAP (BASE_RECORDS * 512)

static const uint8_t key[AUDIT_KEY_LEN] = "fuzz-audit-key-0123456789abcdef";

/* A valid log: lines kept separately so edits can move them. */
struct base {
	char line[BASE_RECORDS][512];
	size_t len[BASE_RECORDS];
	uint8_t last_mac[AUDIT_MAC_LEN];
};

static void make_base(struct base *b)
{
	uint8_t prev[AUDIT_MAC_LEN] = { 0 };
	struct audit_mac *m;

	if (audit_mac_new(key, &m) != FGW_OK)
		abort();
	for (int i = 0; i < BASE_RECORDS; i++) {
		struct audit_field f[] = { AUDIT_F_INT("i", i), AUDIT_F_STR("s", "x\"\\\x01") };

		if (audit_format_body(b->line[i], sizeof b->line[i], &b->len[i], (uint64_t)i + 1,
				      1700000000000LL + i, "login", f, 2, prev) != FGW_OK ||
		    audit_mac_compute(m, b->line[i], b->len[i], prev) != FGW_OK ||
		    audit_format_tail(b->line[i], sizeof b->line[i], &b->len[i], prev) != FGW_OK)
			abort();
	}
	memcpy(b->last_mac, prev, AUDIT_MAC_LEN);
	audit_mac_free(m);
}

static void check_result(int rc, const struct audit_verify_result *r, size_t len)
{
	if (rc != FGW_OK && rc != FGW_ERR_TAMPERED)
		abort();
	if ((rc == FGW_OK) != (r->problem == AUDIT_PROBLEM_NONE))
		abort();
	if (r->good_bytes > len || memchr(r->detail, '\0', sizeof r->detail) == NULL)
		abort();
	if (rc == FGW_OK && r->records != r->last_seq)
		abort();
}

static void parse_lines(const uint8_t *data, size_t size)
{
	static char scratch[AUDIT_RECORD_MAX];
	struct audit_record rec;
	const uint8_t *nl;
	size_t pos = 0;

	while (pos < size && (nl = memchr(data + pos, '\n', size - pos)) != NULL) {
		size_t n = (size_t)(nl - (data + pos));

		if (audit_parse_line((const char *)data + pos, n, scratch, sizeof scratch,
				     &rec) == FGW_OK && rec.nfields > AUDIT_FIELDS_MAX)
			abort();
		pos += n + 1;
	}
}

static void raw_mode(const uint8_t *data, size_t size)
{
	struct audit_verify_result r;
	struct catalog_audit_head head = { .seq = size > 0 ? data[0] % 16 : 0 };

	check_result(audit_verify_buffer(data, size, key, NULL, &r), &r, size);
	check_result(audit_verify_buffer(data, size, key, &head, &r), &r, size);
	parse_lines(data, size);
}

/* Applies the edits in ops to the base log and verifies the result. */
static void edit_mode(const uint8_t *ops, size_t n)
{
	static struct base b;
	static bool ready;
	static char buf[BASE_CAP * 2];
	int order[BASE_RECORDS * 2], count = BASE_RECORDS;
	size_t len = 0, cut = SIZE_MAX;
	struct catalog_audit_head head = { .seq = BASE_RECORDS };
	struct audit_verify_result r;
	bool edited = false;
	int flip_at = -1;
	uint8_t flip = 0;

	if (!ready) {
		make_base(&b);
		ready = true;
	}
	memcpy(head.mac, b.last_mac, AUDIT_MAC_LEN);
	for (int i = 0; i < BASE_RECORDS; i++)
		order[i] = i;
	for (size_t i = 0; i + 2 < n; i += 3) {
		int x = ops[i + 1] % BASE_RECORDS, y = ops[i + 2] % BASE_RECORDS;

		switch (ops[i] % 5) {
		case 0:   /* delete line x */
			if (count > 0 && x < count) {
				memmove(&order[x], &order[x + 1], sizeof order[0] * (size_t)(count - x - 1));
				count--;
				edited = true;
			}
			break;
		case 1:   /* swap lines x and y */
			if (x < count && y < count && x != y) {
				int t = order[x];

				order[x] = order[y];
				order[y] = t;
				edited = true;
			}
			break;
		case 2:   /* insert a copy of record y before line x */
			if (count < BASE_RECORDS * 2 && x <= count) {
				memmove(&order[x + 1], &order[x], sizeof order[0] * (size_t)(count - x));
				order[x] = y;
				count++;
				edited = true;
			}
			break;
		case 3:   /* flip a byte */
			flip_at = ops[i + 1] * 8 + ops[i + 2] % 8;
			flip = (uint8_t)(ops[i + 2] | 1);
			edited = true;
			break;
		default:  /* cut the file */
			cut = (size_t)ops[i + 1] * 16 + ops[i + 2] % 16;
			edited = true;
			break;
		}
	}
	for (int i = 0; i < count; i++) {
		memcpy(buf + len, b.line[order[i]], b.len[order[i]]);
		len += b.len[order[i]];
	}
	if (flip_at >= 0 && (size_t)flip_at < len)
		buf[flip_at] = (char)(buf[flip_at] ^ flip);
	if (cut < len)
		len = cut;
	{
		int rc = audit_verify_buffer((const uint8_t *)buf, len, key, &head, &r);

		check_result(rc, &r, len);
		if (!edited && rc != FGW_OK)
			abort();
		/* Dropping the last record must be caught by the head. */
		if (edited && count < BASE_RECORDS && flip_at < 0 && cut == SIZE_MAX &&
		    rc == FGW_OK)
			abort();
	}
	parse_lines((const uint8_t *)buf, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		raw_mode(data + 1, size - 1);
	else
		edit_mode(data + 1, size - 1);
	return 0;
}
