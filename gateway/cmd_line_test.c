/* faxgw line-test: one endpoint sends a TIFF, another receives it, through
 * the simulated loopback line; prints what happened. A quick way to check a
 * document, a modem setting or a line condition without a phone line. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "dsp/fax.h"
#include "dsp/g711.h"
#include "dsp/tiffdoc.h"
#include "gateway/commands.h"
#include "gateway/line.h"
#include "gateway/line_pump.h"

/* Simulated time allowed for the whole call: a long document at 2400 bit/s
 * takes well under this. */
#define MAX_CALL_SECONDS 3600

struct lt_args {
	const char *send, *out, *sub, *pwd, *sid;
	bool t38, ecm, force, trace, atten_set;
	unsigned modems;
	const char *modem_name;
	struct line_loopback_options line;
};

/* What the receiving side saw, for the summary. */
struct lt_seen {
	struct fax_phase_b rx_info;
	bool rx_info_set;
	char tx_remote[FAX_IDENT_MAX + 1];
	long bad_rows;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faxgw line-test --send FILE.tif --out RECEIVED.tif [options]\n\n"
		"Sends FILE.tif from one fax endpoint to another through a simulated\n"
		"line and writes what the receiver got to RECEIVED.tif.\n\n"
		"  --send FILE       TIFF-F document to send (required)\n"
		"  --out FILE        where the received document goes (required)\n"
		"  --force           overwrite --out if it exists\n"
		"  --sub CODE        F-code sub-address (T.30 SUB) to send\n"
		"  --sid ID          sender identification / F-code password (SID)\n"
		"  --pwd PASSWORD    password (T.30 PWD); SpanDSP sends PWD only when\n"
		"                    polling, so a sent fax carries its password in --sid\n"
		"  --t38             T.38 packets instead of audio\n"
		"  --ecm on|off      error correction mode (default on)\n"
		"  --modem M         v17 (default), v29 or v27ter: fastest modem\n"
		"  --law alaw|ulaw   pass audio through G.711 companding\n"
		"  --snr DB          add white noise DB below the received signal (0..70)\n"
		"  --atten DB        line loss (0..40; default 10 with --snr, else 0):\n"
		"                    SpanDSP cannot work with noise above about -48 dBm0\n"
		"  --loss PCT        T.38: lose PCT%% of datagrams (0..100)\n"
		"  --seed N          seed for noise and loss (default 1)\n"
		"  --verbose         SpanDSP protocol trace\n"
		"  --help            this text\n\n"
		"Exit status: 0 when every page arrived, 1 when the call failed,\n"
		"2 for a usage error.\n");
}

static int parse_option(struct lt_args *a, int c, const char *arg)
{
	double d;
	long long n;

	switch (c) {
	case 's': a->send = arg; return 0;
	case 'o': a->out = arg; return 0;
	case 'S': a->sub = arg; return 0;
	case 'P': a->pwd = arg; return 0;
	case 'I': a->sid = arg; return 0;
	case 't': a->t38 = true; return 0;
	case 'f': a->force = true; return 0;
	case 'v': a->trace = true; return 0;
	case 'e':
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0)
			break;
		a->ecm = strcmp(arg, "on") == 0;
		return 0;
	case 'm':
		a->modem_name = arg;
		return fax_modems_parse(arg, &a->modems) == 0 ? 0 : -1;
	case 'l':
		a->line.companding = true;
		return dsp_g711_law_parse(arg, &a->line.law) == 0 ? 0 : -1;
	case 'n':
		if (str_to_double(arg, 0, 70, &d) != 0)
			break;
		a->line.noise = true;
		a->line.snr_db = d;
		return 0;
	case 'a':
		if (str_to_double(arg, 0, 40, &d) != 0)
			break;
		a->line.attenuation_db = d;
		a->atten_set = true;
		return 0;
	case 'L':
		if (str_to_double(arg, 0, 100, &d) != 0)
			break;
		a->line.loss = d / 100.0;
		return 0;
	case 'r':
		if (str_to_int(arg, 0, INT32_MAX, &n) != 0)
			break;
		a->line.seed = (uint64_t)n;
		return 0;
	}
	return -1;
}

static const char *option_name(int c)
{
	switch (c) {
	case 'e': return "--ecm (on or off)";
	case 'm': return "--modem (v17, v29 or v27ter)";
	case 'l': return "--law (alaw or ulaw)";
	case 'n': return "--snr (a number of dB, 0..70)";
	case 'L': return "--loss (a percentage, 0..100)";
	case 'a': return "--atten (a number of dB, 0..40)";
	case 'r': return "--seed (a whole number)";
	default: return "an option";
	}
}

/* Returns 0 to go on, 1 after --help, 2 on a usage error. */
static int parse_args(struct lt_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"send", required_argument, NULL, 's'}, {"out", required_argument, NULL, 'o'},
		{"sub", required_argument, NULL, 'S'}, {"pwd", required_argument, NULL, 'P'},
		{"sid", required_argument, NULL, 'I'}, {"t38", no_argument, NULL, 't'},
		{"ecm", required_argument, NULL, 'e'}, {"modem", required_argument, NULL, 'm'},
		{"snr", required_argument, NULL, 'n'}, {"loss", required_argument, NULL, 'L'},
		{"law", required_argument, NULL, 'l'}, {"seed", required_argument, NULL, 'r'},
		{"atten", required_argument, NULL, 'a'}, {"force", no_argument, NULL, 'f'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	int c;

	/* 0, not 1: glibc then forgets state left by an earlier parse. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == '?' || parse_option(a, c, optarg) != 0) {
			if (c != '?')
				fprintf(stderr, "faxgw line-test: bad value '%s' for %s\n",
					optarg, option_name(c));
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "faxgw line-test: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (a->send == NULL || a->out == NULL) {
		fprintf(stderr, "faxgw line-test: --send FILE and --out FILE are required "
				"(see faxgw line-test --help)\n");
		return 2;
	}
	/* A realistic line loss keeps the noise below SpanDSP's carrier
	 * detectors (see gateway/line.h). */
	if (a->line.noise && !a->atten_set)
		a->line.attenuation_db = 10;
	if (!a->t38 && a->line.loss > 0) {
		fprintf(stderr, "faxgw line-test: --loss applies to T.38 only; add --t38\n");
		return 2;
	}
	return 0;
}

/* SpanDSP sends a TIFF-F as it is. A TIFF that is not fax-ready (colour,
 * grey, LZW, another width) is converted into a private memory file whose
 * /proc path then stands in for it; *conv_fd is that file, or -1. */
static int prepare_document(const char *path, int *conv_fd, char conv_path[static 64])
{
	char msg[512] = "", why[512] = "";
	struct tiffdoc *doc = NULL;
	bool ready = false;
	int rc = tiffdoc_open_file(path, NULL, &doc, msg, sizeof msg);

	*conv_fd = -1;
	if (rc == 0)
		rc = tiffdoc_check(doc, &ready, why, sizeof why);
	if (rc == 0 && !ready) {
		*conv_fd = memfd_create("faxgw-converted", MFD_CLOEXEC);
		rc = *conv_fd < 0 ? FGW_ERR_IO : tiffdoc_convert(doc, *conv_fd, NULL, msg, sizeof msg);
		if (rc == 0)
			rc = str_format(conv_path, 64, "/proc/self/fd/%d", *conv_fd);
		if (rc == 0)
			printf("converted for faxing: %s\n", why);
	} else if (rc != 0) {
		(void)str_copy(msg, sizeof msg, why[0] ? why : msg);
	}
	tiffdoc_close(doc);
	if (rc != 0)
		fprintf(stderr, "faxgw line-test: %s\n", msg[0] ? msg : fgw_strerror(rc));
	return rc;
}

static void on_tx_phase_b(void *user, const struct fax_phase_b *info)
{
	struct lt_seen *seen = user;

	(void)str_copy(seen->tx_remote, sizeof seen->tx_remote, info->remote_ident);
}

static void on_rx_phase_b(void *user, const struct fax_phase_b *info)
{
	struct lt_seen *seen = user;

	seen->rx_info = *info;
	seen->rx_info_set = true;
	printf("phase B: TSI \"%s\"  SUB \"%s\"  SID \"%s\"  PWD \"%s\"\n",
	       info->remote_ident, info->sub, info->sid, info->pwd);
}

/* The line test's receiver takes every call: it is there to show what
 * arrives, not to police it. */
static enum fax_decision accept_all(void *user, const struct fax_phase_b *info)
{
	(void)user;
	(void)info;
	return FAX_ACCEPT;
}

static void on_rx_page(void *user, const struct fax_page *p)
{
	struct lt_seen *seen = user;

	seen->bad_rows += p->bad_rows;
	printf("page %d: %dx%d pels, %.0fx%.0f dpi, %s, %d bytes, %d bad rows\n",
	       p->number, p->width, p->length, p->x_resolution * 0.0254,
	       p->y_resolution * 0.0254, p->encoding, p->image_size, p->bad_rows);
}

static void describe_line(const struct lt_args *a)
{
	if (a->t38) {
		printf("line: T.38, %.1f%% datagram loss, seed %llu\n", a->line.loss * 100,
		       (unsigned long long)a->line.seed);
		return;
	}
	printf("line: audio, %s, %.1f dB loss, ", a->line.companding ?
	       dsp_g711_law_name(a->line.law) : "linear", a->line.attenuation_db);
	if (a->line.noise)
		printf("SNR %.1f dB\n", a->line.snr_db);
	else
		printf("no noise\n");
}

static int make_endpoint(const struct lt_args *a, enum fax_role role, struct line *l,
			 const struct fax_events *ev, struct lt_seen *seen,
			 struct fax_endpoint **ep)
{
	struct fax_options o;

	fax_options_init(&o);
	o.role = role;
	o.transport = a->t38 ? FAX_T38 : FAX_AUDIO;
	o.file = role == FAX_SEND ? a->send : a->out;
	o.ecm = a->ecm;
	o.modems = a->modems;
	o.local_ident = role == FAX_SEND ? "faxgw line-test tx" : "faxgw line-test rx";
	if (role == FAX_SEND) {
		o.sub = a->sub;
		o.sid = a->sid;
		o.pwd = a->pwd;
	}
	o.t38_out = line_pump_t38_out;
	o.t38_user = l;
	o.events = ev;
	o.user = seen;
	o.trace = a->trace;
	return fax_endpoint_new(&o, ep);
}

static void print_side(const char *who, const struct fax_endpoint *ep)
{
	struct fax_result r;

	if (fax_endpoint_result(ep, &r) != 0) {
		printf("%s: did not finish\n", who);
		return;
	}
	printf("%s: %s (T.30: %s); remote \"%s\"; pages sent %d, received %d; "
	       "%d bit/s, ECM %s\n", who, r.err == 0 ? "OK" : fgw_strerror(r.err),
	       r.t30_text, r.remote_ident, r.stats.pages_tx, r.stats.pages_rx,
	       r.stats.bit_rate, r.stats.ecm ? "on" : "off");
}

/* Returns 0 when both sides ended well and every page arrived. */
static int judge(struct fax_endpoint *tx, struct fax_endpoint *rx)
{
	struct fax_result t, r;

	if (fax_endpoint_result(tx, &t) != 0 || fax_endpoint_result(rx, &r) != 0)
		return FGW_ERR_TIMEOUT;
	if (t.err != 0)
		return t.err;
	if (r.err != 0)
		return r.err;
	return r.stats.pages_rx == t.stats.pages_tx ? 0 : FGW_ERR_FAX_FAILED;
}

static int run_call(const struct lt_args *a)
{
	static const struct fax_events tx_ev = {.phase_b = on_tx_phase_b};
	static const struct fax_events rx_ev = {.phase_b = on_rx_phase_b,
						.decide = accept_all,
						.page = on_rx_page};
	struct lt_seen seen;
	struct line *la = NULL, *lb = NULL;
	struct fax_endpoint *tx = NULL, *rx = NULL;
	uint64_t samples = 0;
	int rc;

	memset(&seen, 0, sizeof seen);
	if ((rc = line_loopback_new(&a->line, &la, &lb)) != 0 ||
	    (rc = make_endpoint(a, FAX_SEND, la, &tx_ev, &seen, &tx)) != 0 ||
	    (rc = make_endpoint(a, FAX_RECEIVE, lb, &rx_ev, &seen, &rx)) != 0)
		goto out;
	describe_line(a);
	rc = line_pump_run(tx, la, rx, lb, MAX_CALL_SECONDS, &samples);
	if (rc == FGW_ERR_TIMEOUT) {
		fprintf(stderr, "faxgw line-test: no end after %d s of line time; hanging up\n",
			MAX_CALL_SECONDS);
		fax_endpoint_abort(tx);
		fax_endpoint_abort(rx);
	}
	print_side("sender", tx);
	print_side("receiver", rx);
	printf("line time: %.1f s\n", (double)samples / FAX_SAMPLE_RATE);
	if (seen.bad_rows > 0)
		printf("warning: %ld rows arrived damaged (T.30 accepts some without ECM)\n",
		       seen.bad_rows);
	if (rc == 0)
		rc = judge(tx, rx);
out:
	fax_endpoint_free(tx);
	fax_endpoint_free(rx);
	line_free(la);
	line_free(lb);
	return rc;
}

int cmd_line_test(int argc, char **argv)
{
	struct lt_args a = {.ecm = true, .modems = FAX_MODEM_ALL};
	char conv_path[64];
	int rc, conv_fd = -1;

	line_loopback_options_init(&a.line);
	if ((rc = parse_args(&a, argc, argv)) != 0)
		return rc == 1 ? 0 : 2;
	if (a.trace)
		log_init("faxgw", true, LOG_LEVEL_DEBUG);
	if (!a.force && access(a.out, F_OK) == 0) {
		fprintf(stderr, "faxgw line-test: '%s' exists; choose another --out or add --force\n",
			a.out);
		return 1;
	}
	if (prepare_document(a.send, &conv_fd, conv_path) != 0) {
		if (conv_fd >= 0)
			close(conv_fd);
		return 1;
	}
	if (conv_fd >= 0)
		a.send = conv_path;
	rc = run_call(&a);
	if (conv_fd >= 0)
		close(conv_fd);
	if (rc != 0) {
		fprintf(stderr, "faxgw line-test: %s\n", fgw_strerror(rc));
		return 1;
	}
	printf("result: OK\n");
	return 0;
}
