/* Relay mode (issue 6, [sip] device_relay = yes): an office fax machine
 * speaking SIP in G.711 (tests/support/sip_device) calls daemon A and
 * enters the number through the double entry (RFC 4733 events, then
 * in-band tones); A does not store the fax but calls the number on its
 * SIP trunk, whose proxy is daemon B, and joins the two calls. A offers
 * T.38 from the start and B takes it, so A converts G.711 <-> T.38 with
 * the DSP core's gateway both ways. B receives the fax from its trunk and
 * forwards it to its (simulated) office device, which saves the page: the
 * test reads what B got there. Checked: the page equals the one sent;
 * A's audit log has the relay's fax_sent record with the TSI and SUB the
 * machine sent; A's vault and queue stay empty; both dialogs end. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/str.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/fax_harness.h"
#include "tests/support/ini_edit.h"
#include "tests/support/sip_device.h"
#include "tests/support/port_block.h"

#define ONE_PAGE "tiff/asterisk-testsuite__udptl_1page.tif"
#define NUMBER "0312345678"
#define SUB "4321"
#define TSI "sip device (test)"  /* what tests/support/sip_device sends */
#define DEVICE "mfp1"
#define DEVICE_PW "Quartz-Meadow-Lantern-47"
#define WAIT_MS 30000

static struct dh *a, *b;
static struct dh_result r;

static void teardown(void)
{
	dh_free(a);
	dh_free(b);
	a = b = NULL;
}

TestSuite(sip_relay, .fini = teardown, .timeout = 300);

/* SIP at base and base + 2, media above (A +10, B +50, the machine +80). */
static unsigned base_port(void)
{
	return port_block();   /* ours alone, below the ephemeral range */
}

/* [section] key = "HOST:PORT" or "LO-HI" (hi != 0). */
static void set(struct dh *h, const char *section, const char *key, const char *host,
		unsigned n1, unsigned n2)
{
	char v[200];

	if (n2 != 0)
		cr_assert_eq(str_format(v, sizeof v, "%u-%u", n1, n2), 0);
	else
		cr_assert_eq(str_format(v, sizeof v, "%s:%u", host, n1), 0);
	ini_set(dh_config_path(h), section, key, v);
}

/* B: takes the trunk call (T.38 when offered) into its general inbox and
 * forwards it to its office device, which saves it in DIR/device. */
static void start_receiver(unsigned p, const char *trunk_t38)
{
	const char *path;

	b = dh_new();
	path = dh_config_path(b);
	ini_set(path, "lines", "trunk_kind", "sip");
	ini_set(path, "web", "enabled", "no");
	ini_set(path, "inbound", "forward_inbox_to_device", "yes");
	ini_set(path, "inbound", "unknown_sub", "inbox");
	ini_set(path, "lines", "device_dir", dh_mkdir(b, "device"));
	set(b, "sip", "listen", "127.0.0.1", p + 2, 0);
	set(b, "sip", "trunk_proxy", "127.0.0.1", p, 0);
	ini_set(path, "sip", "trunk_peers", "127.0.0.1/32");
	set(b, "sip", "rtp_ports", NULL, p + 50, p + 78);
	ini_set(path, "sip", "trunk_t38", trunk_t38);
	dh_start(b);
}

/* A: SIP device line in relay mode, SIP trunk to B offering T.38. */
static void start_relay(unsigned p, const char *trunk_t38)
{
	const char *path;

	a = dh_new();
	path = dh_config_path(a);
	ini_set(path, "lines", "device_kind", "sip");
	ini_set(path, "lines", "trunk_kind", "sip");
	ini_set(path, "web", "enabled", "no");
	set(a, "sip", "listen", "127.0.0.1", p, 0);
	set(a, "sip", "trunk_proxy", "127.0.0.1", p + 2, 0);
	ini_set(path, "sip", "trunk_peers", "192.0.2.1/32");   /* nobody calls A's trunk */
	set(a, "sip", "rtp_ports", NULL, p + 10, p + 48);
	ini_set(path, "sip", "trunk_t38", trunk_t38);
	ini_set(path, "sip", "device_t38", "yes");
	ini_set(path, "sip", "device_relay", "yes");
	dh_start(a);
	cr_assert_eq(dh_cli(a, NULL, true, &r, "device", "set", DEVICE, "--kind", "mfp",
			    "--double-entry", "yes", NULL), 0, "%s%s", r.out, r.err);
	cr_assert_eq(dh_cli(a, DEVICE_PW "\n", true, &r, "sip", "password", DEVICE, "--stdin",
			    "--config", path, NULL), 0, "%s%s", r.out, r.err);
}

/* The machine dials NUMBER (both entries) and sends the page with SUB. */
static void machine_sends(unsigned p, struct sip_device_result *res)
{
	char gw[64], ports[32];
	struct sip_device_opts o = {.user = DEVICE, .password = DEVICE_PW, .dial_user = "fax",
				    .events = NUMBER "#", .tones = NUMBER "#",
				    .file = testdata(ONE_PAGE), .sub = SUB, .timeout_s = 150};

	cr_assert_eq(str_format(gw, sizeof gw, "127.0.0.1:%u", p), 0);
	cr_assert_eq(str_format(ports, sizeof ports, "%u-%u", p + 80, p + 98), 0);
	o.gateway = gw;
	o.rtp_ports = ports;
	sip_device_run(&o, res);
}

/* Entries in DIR/data/vault (documents at rest). */
static int vault_entries(struct dh *h)
{
	char dir[4200];
	DIR *d;
	struct dirent *e;
	int n = 0;

	cr_assert_eq(str_format(dir, sizeof dir, "%s/vault", dh_data(h)), 0);
	d = opendir(dir);
	cr_assert_not_null(d, "%s", dir);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void audit_has(struct dh *h, const char *needle)
{
	char path[4200];

	cr_assert_eq(str_format(path, sizeof path, "%s/audit.log", dh_data(h)), 0);
	cr_assert(dh_file_has(path, needle, WAIT_MS), "%s: no %s\n%s", path, needle,
		  dh_log_tail(h));
}

static void audit_lacks(struct dh *h, const char *needle)
{
	char path[4200];

	cr_assert_eq(str_format(path, sizeof path, "%s/audit.log", dh_data(h)), 0);
	cr_assert_not(dh_file_has(path, needle, 0), "%s: %s", path, needle);
}

static void stops_cleanly(struct dh *h)
{
	int st = dh_stop(h);

	cr_assert_eq(st, 0, "faxgwd exited %d:\n%s", st, dh_log_tail(h));
}

/* Page equal at B, nothing stored at A or left hanging. */
static void relayed_fax_checks(const struct sip_device_result *res)
{
	char dir[4200], path[4400], msg[256];

	cr_assert(res->answered, "%s", dh_log_tail(a));
	cr_assert(res->fax_done && res->fax_err == 0 && res->pages_sent == 1,
		  "done %d err %d pages %d\n--- A:\n%s\n--- B:\n%s", res->fax_done, res->fax_err,
		  res->pages_sent, dh_log_tail(a), dh_log_tail(b));
	cr_assert_not(res->reinvite_refused, "a relayed machine is not asked for T.38");
	cr_assert_eq(str_format(dir, sizeof dir, "%s/device", dh_dir(b)), 0);
	cr_assert(dh_wait_tif(dir, WAIT_MS, path, sizeof path),
		  "B received nothing\n--- A:\n%s\n--- B:\n%s",
		  dh_log_tail(a), dh_log_tail(b));
	cr_assert_eq(tiff_compare(testdata(ONE_PAGE), path, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(tiff_pages(path), 1);
	audit_has(a, "\"type\":\"fax_sent\"");
	audit_has(a, "\"mode\":\"relay\"");
	audit_has(a, "\"remote_number\":\"" NUMBER "\"");
	audit_has(b, "\"type\":\"fax_received\"");
	audit_has(b, "\"sub\":\"" SUB "\"");
	audit_lacks(a, "\"type\":\"fax_failed\"");
	cr_assert_eq(vault_entries(a), 0, "A stored something in its vault");
	cr_assert_eq(dh_cli(a, NULL, true, &r, "jobs", NULL), 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "no outbound jobs") != NULL, "%s", r.out);
	cr_assert(dh_log_has(a, "relay/sip " DEVICE " -> " NUMBER ": dialog ended", WAIT_MS),
		  "the trunk leg never ended:\n%s", dh_log_tail(a));
	cr_assert(dh_log_has(a, "device/sip " DEVICE ": dialog ended", WAIT_MS),
		  "the device leg never ended:\n%s", dh_log_tail(a));
	cr_assert(dh_log_has(b, "dialog ended", WAIT_MS), "%s", dh_log_tail(b));
}

/* The converted relay's record and log: TSI and SUB as the machine sent
 * them, the page counted, MCF seen. */
static void conversion_checks(void)
{
	audit_has(a, "\"transport\":\"g711-t38\"");
	audit_has(a, "\"tsi\":\"" TSI "\"");
	audit_has(a, "\"sub\":\"" SUB "\"");
	audit_has(a, "\"pages\":1");
	audit_has(a, "\"result\":\"ok\"");
	cr_assert(dh_log_has(a, "converting G.711 <-> T.38", 0), "%s", dh_log_tail(a));
	cr_assert(dh_log_has(a, "device -> TSI \"" TSI "\"", 0), "%s", dh_log_tail(a));
	cr_assert(dh_log_has(a, "device -> SUB \"" SUB "\"", 0), "%s", dh_log_tail(a));
	cr_assert(dh_log_has(a, "trunk -> MCF", 0), "%s", dh_log_tail(a));
}

/* B with trunk_t38 b_t38, A with a_t38: the machine's fax relayed. */
static void relay_fax(const char *b_t38, const char *a_t38)
{
	unsigned p = base_port();
	struct sip_device_result res;

	start_receiver(p, b_t38);
	start_relay(p, a_t38);
	machine_sends(p, &res);
	relayed_fax_checks(&res);
}

/* A relay that converted: A's trunk policy a_t38, and what A's and B's
 * logs must say of how the trunk leg got to T.38. */
static void converted_relay(const char *a_t38, const char *a_says, const char *b_says)
{
	relay_fax("yes", a_t38);
	conversion_checks();
	cr_assert(dh_log_has(a, a_says, 0), "%s", dh_log_tail(a));
	cr_assert(dh_log_has(b, b_says, 0), "%s", dh_log_tail(b));
	stops_cleanly(a);
	stops_cleanly(b);
}

Test(sip_relay, g711_device_to_t38_trunk_from_the_start)
{
	converted_relay("initial", "the trunk answered in T.38", "answered in T.38");
}

/* The trunk answers in G.711 and B switches it to T.38 by re-INVITE: the
 * relay passes audio first, then converts. */
Test(sip_relay, trunk_switched_to_t38_by_reinvite_mid_call)
{
	converted_relay("yes", "the trunk answered in G.711", "asking the peer for T.38");
}

/* B takes no T.38 and refuses A's T.38 offer (488): A calls again in
 * G.711, and both legs stay G.711 (passed through). */
Test(sip_relay, t38_offer_refused_then_called_again_in_g711)
{
	relay_fax("no", "initial");
	audit_has(a, "\"transport\":\"g711\"");
	cr_assert(dh_log_has(a, "T.38 refused (488); calling again in G.711", 0), "%s",
		  dh_log_tail(a));
	cr_assert(dh_log_has(a, "the trunk answered in G.711", 0), "%s", dh_log_tail(a));
	stops_cleanly(a);
	stops_cleanly(b);
}

/* No T.38 on A's trunk (B's re-INVITE refused): both legs G.711, the audio
 * passes as it is; the record says the outcome was not observed. */
Test(sip_relay, both_legs_g711_pass_through)
{
	relay_fax("yes", "no");
	audit_has(a, "\"transport\":\"g711\"");
	audit_has(a, "\"result\":\"relayed in G.711 as it is");
	cr_assert_not(dh_log_has(a, "converting G.711 <-> T.38", 0), "%s", dh_log_tail(a));
	cr_assert(dh_log_has(a, "the peer's re-INVITE is refused (488)", 0), "%s", dh_log_tail(a));
	stops_cleanly(a);
	stops_cleanly(b);
}
