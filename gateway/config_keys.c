/* Every configuration key, declared once: section, name, type, default,
 * range. config/faxgw.ini documents each of them for the admin. */
#include "gateway/config_keys.h"

#define DIGITS_PLUS_SPACE "0123456789+ "

const struct config_key config_keys[] = {
	{"general", "data_dir", CONFIG_STRING, "/var/lib/faxgw", 0, 4095, NULL, NULL,
	 "folder holding keys, vault, catalog and audit log"},
	{"general", "log_level", CONFIG_ENUM, "info", 0, 0, "error|warning|info|debug", NULL,
	 "least important messages logged"},
	{"general", "user", CONFIG_STRING, "faxgw", 1, 32, NULL,
	 "abcdefghijklmnopqrstuvwxyz0123456789_-",
	 "unprivileged account the daemon runs as after binding its ports"},

	{"fax", "local_ident", CONFIG_STRING, "", 0, 20, NULL, DIGITS_PLUS_SPACE,
	 "our fax number as sent in TSI/CSI (digits, '+' and spaces)"},
	{"fax", "header_info", CONFIG_STRING, "faxgw", 0, 50, NULL, NULL,
	 "text printed in the header line of pages we send"},
	{"fax", "ecm", CONFIG_BOOL, "yes", 0, 0, NULL, NULL,
	 "use error correction mode when the far end supports it"},
	{"fax", "modems", CONFIG_LIST, "v17,v29,v27ter", 0, 0, "v17|v29|v27ter", NULL,
	 "modems offered for image data"},

	{"audit", "clock_jump_seconds", CONFIG_INT, "60", 1, 86400, NULL, NULL,
	 "wall-clock jump against the monotonic clock that is recorded as an event"},
	{"audit", "syslog", CONFIG_BOOL, "yes", 0, 0, NULL, NULL,
	 "copy every audit record to the local syslog (RFC 5424)"},
	{"audit", "remote_target", CONFIG_STRING, "", 0, 255, NULL,
	 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]",
	 "central syslog collector as host:port, empty for none"},
	{"audit", "remote_protocol", CONFIG_ENUM, "udp", 0, 0, "udp|tcp", NULL,
	 "transport to the central collector"},

	{"security", "pin_max_failures", CONFIG_INT, "3", 1, 20, NULL, NULL,
	 "consecutive wrong mailbox PINs before the mailbox locks"},
	{"security", "pin_lock_minutes", CONFIG_INT, "15", 1, 1440, NULL, NULL,
	 "how long a mailbox stays locked"},
	{"security", "login_max_failures", CONFIG_INT, "3", 1, 20, NULL, NULL,
	 "consecutive failed logins before the account locks"},
	{"security", "scrypt_log2_n", CONFIG_INT, "15", 14, 20, NULL, NULL,
	 "scrypt cost (log2 N) for PIN and password hashing"},

	{"inbound", "unknown_sub", CONFIG_ENUM, "reject", 0, 0, "reject|inbox", NULL,
	 "what happens to a fax whose F-code (SUB) names no mailbox"},
	{"inbound", "forward_inbox_to_device", CONFIG_BOOL, "no", 0, 0, NULL, NULL,
	 "send every general-inbox fax on to the office device line"},

	{"notify", "command", CONFIG_STRING, "", 0, 4095, NULL, NULL,
	 "program run with each owner notification as JSON on stdin, empty for none"},
	{"notify", "timeout_seconds", CONFIG_INT, "10", 1, 3600, NULL, NULL,
	 "seconds a notification program may run before it is killed"},

	{"outbound", "double_entry", CONFIG_BOOL, "yes", 0, 0, NULL, NULL,
	 "an office device must dial the destination twice (confirmation tone between)"},
	{"outbound", "first_digit_seconds", CONFIG_INT, "10", 1, 60, NULL, NULL,
	 "seconds the device line waits for the first digit of an entry"},
	{"outbound", "inter_digit_seconds", CONFIG_INT, "4", 1, 30, NULL, NULL,
	 "seconds of silence after a digit that end an entry"},

	{"dialing", "international_allow", CONFIG_BOOL, "no", 0, 0, NULL, NULL,
	 "allow international numbers to every country"},
	{"dialing", "countries", CONFIG_STRING, "", 0, 255, NULL, "0123456789, ",
	 "country codes reachable even when international_allow is no (e.g. 1,44,82)"},
	{"dialing", "premium_allow", CONFIG_BOOL, "no", 0, 0, NULL, NULL,
	 "allow 0990 premium-rate (dial Q2) numbers"},
	{"dialing", "deny_prefixes", CONFIG_STRING, "", 0, 1023, NULL, "0123456789, ",
	 "number prefixes never dialled (national form, e.g. 0120,0570)"},
	{"dialing", "allow_prefixes", CONFIG_STRING, "", 0, 1023, NULL, "0123456789, ",
	 "when set, the only prefixes public numbers may start with"},

	{"queue", "max_tries", CONFIG_INT, "3", 1, 20, NULL, NULL,
	 "attempts per outbound fax before it fails for good"},
	{"queue", "retry_seconds", CONFIG_INT, "60", 1, 86400, NULL, NULL,
	 "wait before the first retry"},
	{"queue", "backoff_factor", CONFIG_INT, "2", 1, 10, NULL, NULL,
	 "each further retry waits this many times longer than the one before"},
	{"daemon", "frames_per_turn", CONFIG_INT, "50", 1, 1000, NULL, NULL,
	 "20 ms frames a simulated call is pumped per event-loop turn before yielding"},
	{"daemon", "call_limit_seconds", CONFIG_INT, "600", 10, 7200, NULL, NULL,
	 "call time after which a call is cut and recorded as failed"},

	{"lines", "trunk_channels", CONFIG_INT, "4", 1, 64, NULL, NULL,
	 "simultaneous calls on the (simulated) public trunk"},
	{"lines", "device_channels", CONFIG_INT, "1", 1, 64, NULL, NULL,
	 "simultaneous calls on the (simulated) office device line"},
};

const size_t config_key_count = sizeof config_keys / sizeof config_keys[0];
