/* Two faxgw daemons fax each other over SIP (issue 6): daemon A sends a
 * one-page TIFF with `faxgw send` over its SIP trunk, whose proxy is
 * daemon B; B takes the call from its trunk peer into the inbound
 * pipeline. B forwards general-inbox faxes to its (simulated) office
 * device, which saves them as files: that is how the test reads what B
 * received, through the product's own paths. Each test checks that the
 * page B got equals the one sent, that both audit logs show the call,
 * and that no call is left (status: 0 calls) on either side.
 *
 * Media paths: G.711 (u-law), T.38 from the start, G.711 switched to T.38
 * by B's re-INVITE, that re-INVITE refused by A (488: G.711 goes on), A's
 * T.38 offer refused by B (488: A calls again in G.711), and
 * T.38 with redundancy across two network namespaces joined by a wire
 * that loses 1% of the packets (tests/support/netns.h; root needed).
 *
 * The office device side: daemon B plays a SIP fax machine (its trunk
 * registers to daemon A with the device's name and SIP password), and
 * sends a fax to a number it puts in the Request-URI; A authenticates it,
 * takes the number as the entry (the device's double entry is off), runs
 * the device's policy, receives, stores and queues the fax, and sends it
 * out on its (simulated) trunk, whose far end saves the page. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/str.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/fax_harness.h"
#include "tests/support/ini_edit.h"
#include "tests/support/netns.h"
#include "tests/support/sip_device.h"
#include "tests/support/port_block.h"

#define ONE_PAGE "tiff/asterisk-testsuite__udptl_1page.tif"
#define NUMBER "0312345678"
#define FAX_WAIT_MS 150000

static struct dh *a, *b;
static struct netns_link *wire;
static struct dh_result r;

static void teardown(void)
{
	dh_free(a);
	dh_free(b);
	netns_link_free(wire);
	a = b = NULL;
	wire = NULL;
}

TestSuite(sip_fax, .fini = teardown, .timeout = 300);

/* Ports of this test process: SIP at base and base + 2, media above. */
static unsigned base_port(void)
{
	return port_block();   /* ours alone, below the ephemeral range */
}

struct side {
	const char *addr;         /* where its SIP and media bind */
	unsigned sip, rtp_lo;
	const char *peer;         /* the other daemon */
	unsigned peer_sip;
	const char *t38;          /* trunk_t38 */
};

static void set_hostport(struct dh *h, const char *key, const char *host, unsigned port)
{
	char v[200];

	cr_assert_eq(str_format(v, sizeof v, "%s:%u", host, port), 0);
	ini_set(dh_config_path(h), "sip", key, v);
}

/* [sip] codecs for daemon A (the caller) when a test sets it. */
static const char *codecs_a;

static struct dh *daemon_for(const struct side *s, bool receiver)
{
	struct dh *h = dh_new();
	const char *path = dh_config_path(h);

	ini_set(path, "lines", "trunk_kind", "sip");
	ini_set(path, "web", "enabled", "no");
	char v[64];

	set_hostport(h, "listen", s->addr, s->sip);
	set_hostport(h, "trunk_proxy", s->peer, s->peer_sip);
	cr_assert_eq(str_format(v, sizeof v, "%s/32", s->peer), 0);
	ini_set(path, "sip", "trunk_peers", v);
	cr_assert_eq(str_format(v, sizeof v, "%u-%u", s->rtp_lo, s->rtp_lo + 38), 0);
	ini_set(path, "sip", "rtp_ports", v);
	ini_set(path, "sip", "trunk_t38", s->t38);
	ini_set(path, "queue", "retry_seconds", "1");
	if (!receiver && codecs_a != NULL)
		ini_set(path, "sip", "codecs", codecs_a);
	if (receiver) {
		ini_set(path, "inbound", "forward_inbox_to_device", "yes");
		ini_set(path, "lines", "device_dir", dh_mkdir(h, "device"));
	}
	return h;
}

/* Both daemons on addr_a / addr_b; B started first (it answers). */
static void start_pair(const char *addr_a, const char *addr_b, const char *t38_a,
		       const char *t38_b)
{
	unsigned p = base_port();
	struct side sa = {addr_a, p, p + 10, addr_b, p + 2, t38_a};
	struct side sb = {addr_b, p + 2, p + 50, addr_a, p, t38_b};

	a = daemon_for(&sa, false);
	b = daemon_for(&sb, true);
	if (wire != NULL)
		netns_enter(wire, 1);
	dh_start(b);
	if (wire != NULL)
		netns_enter(wire, 0);
	dh_start(a);
	if (wire != NULL)
		netns_leave(wire);
}

/* `faxgw send` of the page to NUMBER on daemon h. */
static void send_fax(struct dh *h)
{
	cr_assert_eq(dh_cli(h, NULL, true, &r, "send", "--to", NUMBER, "--confirm-to", NUMBER,
			    testdata(ONE_PAGE), NULL), 0, "%s%s", r.out, r.err);
}

/* The page B's office device saved. */
static void received_file(char *path, size_t size)
{
	char dir[4200];

	cr_assert_eq(str_format(dir, sizeof dir, "%s/device", dh_dir(b)), 0);
	cr_assert(dh_wait_tif(dir, FAX_WAIT_MS, path, size),
		  "B received nothing in %d s\n--- A:\n%s\n--- B:\n%s",
		  FAX_WAIT_MS / 1000, dh_log_tail(a), dh_log_tail(b));
}

static void audit_has(struct dh *h, const char *needle, int wait_ms)
{
	char path[4200];

	cr_assert_eq(str_format(path, sizeof path, "%s/audit.log", dh_data(h)), 0);
	cr_assert(dh_file_has(path, needle, wait_ms), "%s: no %s", path, needle);
}

static void no_call_left(struct dh *h)
{
	for (int t = 0; t < 10000; t += 200) {
		cr_assert_eq(dh_cli(h, NULL, true, &r, "status", NULL), 0, "%s%s", r.out, r.err);
		if (strstr(r.out, "calls 0 in progress") != NULL)
			return;
		dh_sleep_ms(200);
	}
	cr_assert_fail("a call is left: %s", r.out);
}

/* SIGTERM: a clean stop (exit 0; under ASan also nothing leaked or
 * misused on the way down). */
static void stops_cleanly(struct dh *h)
{
	int st = dh_stop(h);

	cr_assert_eq(st, 0, "faxgwd exited %d:\n%s", st, dh_log_tail(h));
}

/* The whole check after a send: page equal, both records, nothing left. */
static void fax_goes_through(void)
{
	char path[4400], msg[256];

	send_fax(a);
	received_file(path, sizeof path);
	cr_assert_eq(tiff_compare(testdata(ONE_PAGE), path, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(tiff_pages(path), 1);
	audit_has(a, "\"type\":\"fax_sent\"", 10000);
	audit_has(b, "\"type\":\"fax_received\"", 10000);
	cr_assert(dh_log_has(a, "dialog ended", 10000), "A never ended its dialog:\n%s",
		  dh_log_tail(a));
	cr_assert(dh_log_has(b, "dialog ended", 10000), "B never ended its dialog:\n%s",
		  dh_log_tail(b));
	no_call_left(a);
	no_call_left(b);
	stops_cleanly(a);
	stops_cleanly(b);
}

Test(sip_fax, g711_ulaw)
{
	start_pair("127.0.0.1", "127.0.0.1", "no", "no");
	fax_goes_through();
	cr_assert(dh_log_has(b, "G.711 u-law", 0));
	cr_assert_not(dh_log_has(b, "T.38 with", 0));
}

/* A prefers A-law; B takes both and answers in the offerer's order. */
Test(sip_fax, g711_alaw)
{
	codecs_a = "pcma,pcmu";
	start_pair("127.0.0.1", "127.0.0.1", "no", "no");
	fax_goes_through();
	cr_assert(dh_log_has(a, "G.711 A-law", 0), "%s", dh_log_tail(a));
	cr_assert(dh_log_has(b, "G.711 A-law", 0), "%s", dh_log_tail(b));
}

Test(sip_fax, t38_from_the_start)
{
	start_pair("127.0.0.1", "127.0.0.1", "initial", "yes");
	fax_goes_through();
	cr_assert(dh_log_has(b, "answered in T.38", 0));
	cr_assert(dh_log_has(a, "answered in T.38", 0));
}

Test(sip_fax, g711_switched_to_t38_by_reinvite)
{
	start_pair("127.0.0.1", "127.0.0.1", "yes", "yes");
	fax_goes_through();
	cr_assert(dh_log_has(b, "asking the peer for T.38", 0));
	cr_assert(dh_log_has(b, "the fax goes on in T.38", 0));
	cr_assert(dh_log_has(a, "the fax goes on in T.38", 0));
}

Test(sip_fax, t38_reinvite_refused_keeps_g711)
{
	start_pair("127.0.0.1", "127.0.0.1", "no", "yes");
	fax_goes_through();
	cr_assert(dh_log_has(b, "asking the peer for T.38", 0));
	cr_assert(dh_log_has(a, "the peer's re-INVITE is refused (488)", 0));
	cr_assert(dh_log_has(b, "the peer refused T.38 (488); the fax goes on in G.711", 0));
	cr_assert_not(dh_log_has(b, "the fax goes on in T.38", 0));
}

Test(sip_fax, t38_offer_refused_then_called_again_in_g711)
{
	start_pair("127.0.0.1", "127.0.0.1", "initial", "no");
	fax_goes_through();
	cr_assert(dh_log_has(a, "T.38 refused (488); calling again in G.711", 0), "%s",
		  dh_log_tail(a));
	cr_assert(dh_log_has(b, "G.711 u-law", 0));
	cr_assert_not(dh_log_has(b, "T.38 with", 0));
}

/* A stop while our INVITE goes unanswered (nobody at trunk_proxy): the
 * call is cancelled, the job waits for the next start, the daemon exits
 * cleanly. */
Test(sip_fax, stop_while_calling_requeues_the_job)
{
	unsigned p = base_port();
	struct side sa = {"127.0.0.1", p, p + 10, "127.0.0.1", p + 4, "yes"};
	char path[4200];

	a = daemon_for(&sa, false);
	dh_start(a);
	send_fax(a);
	cr_assert(dh_log_has(a, "calling " NUMBER, 10000), "%s", dh_log_tail(a));
	stops_cleanly(a);
	cr_assert(dh_log_has(a, "queued again (the gateway is stopping)", 0), "%s", dh_log_tail(a));
	cr_assert_eq(str_format(path, sizeof path, "%s/audit.log", dh_data(a)), 0);
	cr_assert_not(dh_file_has(path, "\"type\":\"fax_failed\"", 0));
}

/* ---- an office device over SIP ---------------------------------------- */

#define DEVICE "mfp1"
#define DEVICE_PW "Quartz-Meadow-Lantern-47"

/* A: the gateway, with a SIP device line and a simulated trunk whose far
 * end saves into DIR/far. */
static void start_gateway_for_device(unsigned p, const char *double_entry, bool forward)
{
	const char *path;
	char v[64];

	a = dh_new();
	path = dh_config_path(a);
	ini_set(path, "inbound", "forward_inbox_to_device", forward ? "yes" : "no");
	ini_set(path, "lines", "device_kind", "sip");
	ini_set(path, "lines", "far_end_dir", dh_mkdir(a, "far"));
	ini_set(path, "web", "enabled", "no");
	set_hostport(a, "listen", "127.0.0.1", p);
	ini_set(path, "sip", "trunk_peers", "192.0.2.1/32");   /* nobody here */
	cr_assert_eq(str_format(v, sizeof v, "%u-%u", p + 10, p + 48), 0);
	ini_set(path, "sip", "rtp_ports", v);
	ini_set(path, "sip", "device_t38", "yes");
	dh_start(a);
	cr_assert_eq(dh_cli(a, NULL, true, &r, "device", "set", DEVICE, "--kind", "mfp",
			    "--double-entry", double_entry, NULL), 0, "%s%s", r.out, r.err);
	cr_assert_eq(dh_cli(a, DEVICE_PW "\n", true, &r, "sip", "password", DEVICE, "--stdin",
			    "--config", path, NULL), 0, "%s%s", r.out, r.err);
}

/* B: the "fax machine": its SIP trunk registers to A as the device; as a
 * receiver it prints (forwards to its simulated office machine) what A
 * calls it with. */
static void start_device_daemon(unsigned p, bool receiver)
{
	const char *path;
	char v[64];

	b = dh_new();
	path = dh_config_path(b);
	if (receiver) {
		ini_set(path, "inbound", "forward_inbox_to_device", "yes");
		ini_set(path, "lines", "device_dir", dh_mkdir(b, "device"));
	}
	ini_set(path, "lines", "trunk_kind", "sip");
	ini_set(path, "web", "enabled", "no");
	set_hostport(b, "listen", "127.0.0.1", p + 2);
	set_hostport(b, "trunk_proxy", "127.0.0.1", p);
	ini_set(path, "sip", "trunk_mode", "register");
	ini_set(path, "sip", "trunk_user", DEVICE);
	ini_set(path, "sip", "trunk_password", DEVICE_PW);
	ini_set(path, "sip", "trunk_t38", "yes");
	cr_assert_eq(str_format(v, sizeof v, "%u-%u", p + 50, p + 88), 0);
	ini_set(path, "sip", "rtp_ports", v);
	dh_start(b);
}

static void device_registered(void)
{
	for (int t = 0; t < 10000; t += 200) {
		cr_assert_eq(dh_cli(a, NULL, true, &r, "sip", "bindings", NULL), 0, "%s%s", r.out,
			     r.err);
		if (strstr(r.out, DEVICE) != NULL)
			return;
		dh_sleep_ms(200);
	}
	cr_assert_fail("the device never registered: %s\n--- A:\n%s\n--- B:\n%s", r.out,
		       dh_log_tail(a), dh_log_tail(b));
}

/* The page A's simulated far end saved. */
static void far_end_file(char *path, size_t size)
{
	char dir[4200];

	cr_assert_eq(str_format(dir, sizeof dir, "%s/far", dh_dir(a)), 0);
	cr_assert(dh_wait_tif(dir, FAX_WAIT_MS, path, size), "nothing reached A's far end\n--- A:\n%s\n--- B:\n%s",
		  dh_log_tail(a), dh_log_tail(b));
}

Test(sip_fax, office_device_registers_dials_by_request_uri_and_is_queued)
{
	unsigned p = base_port();
	char path[4400], msg[256];

	start_gateway_for_device(p, "no", false);
	start_device_daemon(p, false);
	device_registered();
	send_fax(b);
	far_end_file(path, sizeof path);
	cr_assert_eq(tiff_compare(testdata(ONE_PAGE), path, msg, sizeof msg), 0, "%s", msg);
	cr_assert(dh_log_has(a, "number " NUMBER " accepted", 0), "%s", dh_log_tail(a));
	cr_assert(dh_log_has(a, "device/sip " DEVICE, 0), "%s", dh_log_tail(a));
	/* device_t38 = yes: A (answering) asked for T.38 once the number was in. */
	cr_assert(dh_log_has(a, "asking the peer for T.38", 0), "%s", dh_log_tail(a));
	cr_assert(dh_log_has(a, "the fax goes on in T.38", 0), "%s", dh_log_tail(a));
	cr_assert(dh_log_has(b, "registered at the SIP trunk", 0), "%s", dh_log_tail(b));
	audit_has(a, "\"type\":\"fax_sent\"", 10000);
	audit_has(b, "\"type\":\"fax_sent\"", 10000);
	cr_assert(dh_log_has(b, "dialog ended", 10000), "%s", dh_log_tail(b));
	no_call_left(a);
	no_call_left(b);
	stops_cleanly(a);
	stops_cleanly(b);
}

/* An analog-style machine: dials the extension, then both entries by DTMF
 * (RFC 4733 events, then in-band tones) through the double entry. */
Test(sip_fax, office_device_double_entry_by_rfc4733_and_inband_dtmf)
{
	unsigned p = base_port();
	char path[4400], msg[256], ports[32];
	struct sip_device_result res;
	struct sip_device_opts o = {.user = DEVICE, .password = DEVICE_PW, .dial_user = "fax",
				    .events = NUMBER "#", .tones = NUMBER "#",
				    .file = testdata(ONE_PAGE), .rtp_ports = ports,
				    .timeout_s = 150};
	char gw[64];

	start_gateway_for_device(p, "yes", false);
	cr_assert_eq(str_format(gw, sizeof gw, "127.0.0.1:%u", p), 0);
	cr_assert_eq(str_format(ports, sizeof ports, "%u-%u", p + 60, p + 98), 0);
	o.gateway = gw;
	sip_device_run(&o, &res);
	cr_assert(res.answered, "%s", dh_log_tail(a));
	cr_assert(res.fax_done && res.fax_err == 0 && res.pages_sent == 1,
		  "done %d err %d pages %d\n%s", res.fax_done, res.fax_err, res.pages_sent,
		  dh_log_tail(a));
	cr_assert(res.reinvite_refused, "device_t38 = yes: the gateway asks for T.38");
	far_end_file(path, sizeof path);
	cr_assert_eq(tiff_compare(testdata(ONE_PAGE), path, msg, sizeof msg), 0, "%s", msg);
	cr_assert(dh_log_has(a, "double entry required", 0), "%s", dh_log_tail(a));
	cr_assert(dh_log_has(a, "number " NUMBER " accepted", 0), "%s", dh_log_tail(a));
	cr_assert(dh_log_has(a, "the peer refused T.38 (488); the fax goes on in G.711", 0),
		  "%s", dh_log_tail(a));
	no_call_left(a);
	stops_cleanly(a);
}

/* The other way: a fax from the (simulated) trunk lands in A's general
 * inbox, which A forwards to the office device line: A calls the device
 * at the address it registered from. */
Test(sip_fax, inbox_fax_is_called_to_the_registered_device)
{
	unsigned p = base_port();
	char path[4400], msg[256];

	start_gateway_for_device(p, "no", true);
	start_device_daemon(p, true);
	device_registered();
	cr_assert_eq(dh_cli(a, NULL, true, &r, "simulate", "incoming", "--file",
			    testdata(ONE_PAGE), NULL), 0, "%s%s", r.out, r.err);
	received_file(path, sizeof path);
	cr_assert_eq(tiff_compare(testdata(ONE_PAGE), path, msg, sizeof msg), 0, "%s", msg);
	cr_assert(dh_log_has(a, "forwarded to the office device line", 0), "%s", dh_log_tail(a));
	cr_assert(dh_log_has(a, "device/sip job", 0), "%s", dh_log_tail(a));
	audit_has(a, "\"type\":\"fax_sent\"", 10000);
	audit_has(b, "\"type\":\"fax_received\"", 10000);
	no_call_left(a);
	no_call_left(b);
	stops_cleanly(a);
	stops_cleanly(b);
}

Test(sip_fax, t38_with_one_percent_loss_between_namespaces)
{
	wire = netns_link_new("fgwsip", 0.01, 42);
	start_pair(NETNS_ADDR_A, NETNS_ADDR_B, "initial", "yes");
	fax_goes_through();
	cr_assert(dh_log_has(b, "answered in T.38", 0));
	cr_assert_gt(netns_dropped(wire), 0, "the wire lost nothing (%llu carried)",
		     (unsigned long long)netns_carried(wire));
}
