/* The audit log: an append-only JSON Lines file, one record per event,
 * chained and authenticated with HMAC-SHA256 under a 32-byte audit key the
 * caller supplies (derived from the master key by the data-dir facade).
 *
 * Record format (one line, fields in exactly this order):
 *
 *   {"seq":N,"time":"YYYY-MM-DDTHH:MM:SS.mmmZ","type":"EVENT",
 *    "fields":{"k":"v"|int,...},"prev":"<64 hex>","mac":"<64 hex>"}\n
 *
 * mac = HMAC-SHA256(key, every byte of the line before `,"mac":"`), i.e.
 * the record serialised without its mac, minus the closing brace. prev is
 * the mac of record N-1 (64 zeros for seq 1). seq starts at 1 and grows by
 * one. Strings are JSON-escaped: quote, backslash and every byte < 0x20 or
 * 0x7f are escaped; a byte that does not start a valid UTF-8 sequence is
 * written as \u00XX (its Latin-1 reading), so every line is valid UTF-8
 * JSON and nothing is dropped.
 *
 * Durability: audit_append() returns once the record has been write()n to
 * the file (it survives the process being killed, not a power loss);
 * audit_sync() fdatasyncs and then stores the head (seq + mac) in the
 * catalog, and reports the highest seq that is on disk. Callers batch:
 * append many, sync once (group commit); audit_append_durable() is both.
 *
 * The catalog head is written after each sync with synchronous=NORMAL (see
 * catalog.c): it may lag the file after a power loss, which never causes a
 * false alarm. Measured (tests/bench/bench_audit.c, ext4 on a shared VM):
 * about 5,000 records/s when every record is synced alone and 50,000+
 * with a sync every 16 records; so batch: append what an event produces,
 * then sync once before acknowledging it.
 *
 * Crash repair: audit_open() reads and verifies the whole file (about
 * 2 M records/s, so a 1 M-record log adds half a second to start-up).
 * Bytes after the last newline (a record torn by a crash mid-write) are
 * cut off, and a "log_repaired" record naming the number of bytes dropped
 * and the line is appended, so the repair is itself in the chain. Any
 * other problem makes audit_open fail with FGW_ERR_TAMPERED unless the
 * caller sets accept_tampered (then the break is recorded as a "security"
 * record and verify keeps reporting the original break).
 *
 * Several writers: faxgwd and the faxgw CLI append to the same file, each
 * with its own struct audit. Every append and sync holds an exclusive
 * flock on the file for its own duration and first reads the records
 * others appended since (checking each one's MAC, seq and link), so the
 * chain goes on from the file's real end. A record of another writer that
 * does not verify is never chained onto silently: the append fails with
 * FGW_ERR_TAMPERED (logged), or with accept_tampered a "security" record
 * names the break; bytes a dead writer left after the last newline are cut
 * off with a "log_repaired" record. The catalog head only moves forward.
 *
 * Every function returns 0 or a negative FGW_ERR_* code. Use one struct
 * audit from one thread. */
#ifndef FAXGW_STORAGE_AUDIT_H
#define FAXGW_STORAGE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct audit;
struct catalog;

#define AUDIT_KEY_LEN      32
#define AUDIT_MAC_LEN      32
#define AUDIT_RECORD_MAX   4096  /* bytes per line, newline included */
#define AUDIT_FIELDS_MAX   32    /* fields per record */
#define AUDIT_FIELD_KEY_MAX 32   /* [a-z0-9_], not empty */
#define AUDIT_VALUE_MAX    1024  /* bytes of one string value, unescaped */

enum audit_event {
	AUDIT_FAX_RECEIVED,
	AUDIT_FAX_SENT,
	AUDIT_FAX_FAILED,
	AUDIT_MAILBOX_RELEASE,
	AUDIT_PIN_FAILURE,
	AUDIT_LOCKOUT,
	AUDIT_LOGIN,
	AUDIT_LOGIN_FAILURE,
	AUDIT_CONFIG_CHANGE,
	AUDIT_DOCUMENT_ERASED,
	AUDIT_WIPE,
	AUDIT_CLOCK_JUMP,
	AUDIT_START,
	AUDIT_STOP,
	AUDIT_LOG_REPAIRED,   /* written by audit_open after cutting a torn tail */
	AUDIT_DIAL_MISMATCH,  /* double entry differed: nothing sent */
	AUDIT_DIAL_DENIED,    /* dial rules refused a destination */
	AUDIT_SECURITY,       /* any other security-relevant event */
	AUDIT_EVENT_COUNT
};

/* Returns the event's name as written in "type" ("fax_received"); NULL for
 * an out-of-range value. Static storage. */
const char *audit_event_name(enum audit_event ev);

/* Parses a "type" name. Returns 0 or FGW_ERR_NOT_FOUND. */
int audit_event_parse(const char *name, enum audit_event *out);

/* One field of a record. key: [a-z0-9_]{1,32}. For AUDIT_STR, str may hold
 * any bytes (NUL-terminated, <= AUDIT_VALUE_MAX); NULL is written as "". */
enum audit_field_type { AUDIT_STR, AUDIT_INT };
struct audit_field {
	const char *key;
	enum audit_field_type type;
	const char *str;
	int64_t num;
};
#define AUDIT_F_STR(k, v) ((struct audit_field){ .key = (k), .type = AUDIT_STR, .str = (v) })
#define AUDIT_F_INT(k, v) ((struct audit_field){ .key = (k), .type = AUDIT_INT, .num = (v) })

/* Where time comes from. Both return milliseconds; realtime_ms is Unix
 * epoch UTC, monotonic_ms any steady origin. NULL functions (or a NULL
 * struct in audit_options) mean CLOCK_REALTIME / CLOCK_MONOTONIC. Tests
 * inject their own to provoke clock jumps. */
struct audit_clock {
	int64_t (*realtime_ms)(void *arg);
	int64_t (*monotonic_ms)(void *arg);
	void *arg;
};

struct audit_syslog;

struct audit_options {
	const struct audit_clock *clock;   /* NULL: the system clocks */
	/* Catalog holding the head (may be NULL: no truncation check). The
	 * audit does not own it; it must outlive the audit. */
	struct catalog *catalog;
	/* Remote syslog copy (may be NULL). Not owned; must outlive the audit. */
	struct audit_syslog *forward;
	/* Open even when the existing file fails verification: a "security"
	 * record describing the problem is appended so the break is itself
	 * logged. Default false: audit_open fails with FGW_ERR_TAMPERED. */
	bool accept_tampered;
};

/* Opens (creating, mode 0600) the log at path for appending, with key
 * (copied; wiped at close). Verifies the existing file and the catalog's
 * head; repairs a torn tail (see above). opts may be NULL. On
 * FGW_ERR_TAMPERED the problem has been logged with log_error. Other
 * processes may have the same log open (see "Several writers"). On success
 * *out is owned by the caller: audit_close() it. */
int audit_open(const char *path, const uint8_t key[static AUDIT_KEY_LEN],
	       const struct audit_options *opts, struct audit **out);

/* Syncs (audit_sync), closes and wipes the key. NULL is a no-op. Returns
 * the sync result so a caller can tell that the last records may be lost. */
int audit_close(struct audit *a);

/* Appends one record: serialises, MACs, write()s it, and forwards it to
 * syslog if configured. nfields may be 0 (fields may then be NULL). On
 * success *seq_out (may be NULL) is the record's sequence number.
 * FGW_ERR_INVALID for a bad key name, FGW_ERR_TOO_LARGE for a value or
 * record over its limit; FGW_ERR_IO if the write failed (the log is then
 * unusable: further appends return FGW_ERR_STATE). */
int audit_append(struct audit *a, enum audit_event ev,
		 const struct audit_field *fields, size_t nfields,
		 uint64_t *seq_out);

/* fdatasyncs the file, then stores the head in the catalog (if any).
 * durable_seq (may be NULL) gets the highest seq now on disk. Cheap when
 * nothing was appended since the last sync. */
int audit_sync(struct audit *a, uint64_t *durable_seq);

/* audit_append then audit_sync. */
int audit_append_durable(struct audit *a, enum audit_event ev,
			 const struct audit_field *fields, size_t nfields,
			 uint64_t *seq_out);

/* The last appended seq, and the last seq known durable (0 = none). */
uint64_t audit_last_seq(const struct audit *a);
uint64_t audit_durable_seq(const struct audit *a);

/* Compares how far the wall clock moved with how far the monotonic clock
 * moved since the previous call (or audit_open). If they differ by more
 * than bound_ms, appends a "clock_jump" record (fields: jump_ms, from,
 * to) and returns 1; returns 0 when within bound; negative on error. */
int audit_check_clock(struct audit *a, int64_t bound_ms);

/* The fields HylaFAX's xferfaxlog keeps for one fax. Strings may be NULL. */
struct audit_fax {
	const char *direction;      /* "in" or "out" */
	const char *remote_number;
	const char *remote_ident;   /* T.30 TSI/CSI */
	const char *sub;            /* F-code, if any */
	const char *mailbox;
	const char *document;       /* document id */
	int64_t pages;
	int64_t duration_ms;
	int64_t bit_rate;           /* bit/s */
	const char *result;         /* "ok" or the failure reason */
};

/* Appends fax_received / fax_sent / fax_failed (ev) with the fields of fax
 * (not durable: call audit_sync). Returns as audit_append. */
int audit_fax(struct audit *a, enum audit_event ev, const struct audit_fax *fax,
	      uint64_t *seq_out);

/* ---- verification (no struct audit needed) ----------------------------- */

enum audit_problem {
	AUDIT_PROBLEM_NONE = 0,
	AUDIT_PROBLEM_EDITED,     /* a record's MAC does not match its bytes */
	AUDIT_PROBLEM_DELETED,    /* seq jumps forward: records are missing */
	AUDIT_PROBLEM_INSERTED,   /* a record that does not belong to the chain */
	AUDIT_PROBLEM_REORDERED,  /* records are out of order */
	AUDIT_PROBLEM_TRUNCATED,  /* records after the last line are missing */
	AUDIT_PROBLEM_TORN,       /* the last line is incomplete (crash) */
	AUDIT_PROBLEM_MALFORMED,  /* not a record of this format */
};

/* Returns "edited", "deleted", ...; "ok" for NONE. Static storage. */
const char *audit_problem_name(enum audit_problem p);

struct audit_verify_result {
	enum audit_problem problem;
	uint64_t line;       /* 1-based line of the first bad record (0: none) */
	uint64_t seq;        /* the seq expected at that point */
	uint64_t records;    /* records that verified before the problem */
	uint64_t last_seq;   /* seq of the last good record (0: none) */
	uint8_t last_mac[AUDIT_MAC_LEN]; /* its mac */
	uint64_t good_bytes; /* length of the verified prefix */
	char detail[192];    /* one sentence for a person */
};

/* Verifies len bytes of log at data. head (may be NULL) is the head the
 * catalog keeps: a log ending before head->seq is TRUNCATED, and the record
 * at head->seq must carry head->mac. Returns 0 when the whole log verifies,
 * FGW_ERR_TAMPERED (result says what and where) otherwise, FGW_ERR_NOMEM /
 * FGW_ERR_CRYPTO on internal failure. *result is always filled. */
struct catalog_audit_head;
int audit_verify_buffer(const uint8_t *data, size_t len,
			const uint8_t key[static AUDIT_KEY_LEN],
			const struct catalog_audit_head *head,
			struct audit_verify_result *result);

/* As audit_verify_buffer on the file at path (read via mmap). FGW_ERR_IO /
 * FGW_ERR_NOT_FOUND when it cannot be read. */
int audit_verify_file(const char *path, const uint8_t key[static AUDIT_KEY_LEN],
		      const struct catalog_audit_head *head,
		      struct audit_verify_result *result);

/* ---- reading records (for show / export) -------------------------------- */

/* One parsed record. Pointers point into storage owned by the reader and
 * stay valid only until the callback returns. */
struct audit_record {
	uint64_t seq;
	int64_t time_ms;
	const char *time;         /* as written, "YYYY-MM-DDTHH:MM:SS.mmmZ" */
	const char *type;
	size_t nfields;
	struct {
		const char *key;
		const char *value;    /* unescaped; numbers as their text */
		bool is_number;
	} fields[AUDIT_FIELDS_MAX];
	const char *line;         /* the raw line, without newline */
	size_t line_len;
};

/* Parses one line (without its newline) into *rec, unescaping strings into
 * scratch (scratch_len >= len + 1 always suffices). Checks the shape, not
 * the MAC. Returns 0 or FGW_ERR_PARSE / FGW_ERR_TOO_LARGE. */
int audit_parse_line(const char *line, size_t len, char *scratch, size_t scratch_len,
		     struct audit_record *rec);

/* Parses len bytes of s: "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS[.mmm]]"
 * with an optional trailing 'Z' (always UTC), into ms since the epoch.
 * Returns 0 or FGW_ERR_PARSE. */
int audit_time_parse(const char *s, size_t len, int64_t *ms);

/* Calls fn for each complete line of the file at path, parsed. A line that
 * does not parse stops the walk with FGW_ERR_PARSE (its line number in
 * *bad_line, may be NULL). fn returns 0 to go on, anything else stops
 * and is returned. */
typedef int (*audit_record_fn)(const struct audit_record *rec, void *arg);
int audit_read_file(const char *path, audit_record_fn fn, void *arg,
		    uint64_t *bad_line);

/* ---- syslog forwarding (RFC 5424) --------------------------------------- */

/* Opens a forwarder to target: "udp:HOST:PORT" or "tcp:HOST:PORT" (HOST a
 * name, IPv4 or [IPv6]), or "unix:/PATH" (a local syslog socket). hostname is the HOSTNAME field (NULL: gethostname).
 * Each record becomes one RFC 5424 message, facility authpriv (10),
 * severity notice, APP-NAME faxgw, MSGID the event type, structured data
 * [faxgw@32473 seq="N" type="T" mac="HEX"] and the JSON line as MSG; over
 * TCP framed by octet counting (RFC 6587). Sending is best effort: failure
 * is logged and counted (a TCP link is reconnected on the next record), it
 * never fails an append. *out owned by the caller: audit_syslog_close(). */
int audit_syslog_open(const char *target, const char *hostname,
		      struct audit_syslog **out);
/* Opens one forwarder per space-separated target (e.g. "unix:/dev/log
 * udp:192.0.2.10:514"): each record goes to all of them. "unix:PATH" is a
 * local syslog datagram socket. Empty targets: *out NULL and 0. Returns as
 * audit_syslog_open; on error nothing stays open. */
int audit_syslog_open_list(const char *targets, const char *hostname,
			   struct audit_syslog **out);
/* Closes s and every further destination opened with it. NULL is fine. */
void audit_syslog_close(struct audit_syslog *s);

/* Sends one record line (without newline) now. Returns 0 or FGW_ERR_IO. */
int audit_syslog_send(struct audit_syslog *s, uint64_t seq, const char *type,
		      const char *mac_hex, int64_t time_ms,
		      const char *line, size_t line_len);

/* Messages that could not be sent so far, over all destinations. */
uint64_t audit_syslog_dropped(const struct audit_syslog *s);

#endif
