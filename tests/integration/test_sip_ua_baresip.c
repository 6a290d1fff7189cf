/* Our user agent against a SIP stack nobody here wrote: Debian's baresip
 * (libre) on 127.0.0.1, driven through its UDP console. baresip calls us
 * and hangs up; we call baresip (auto answer), re-INVITE it and hang up. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/err.h"
#include "gateway/sip_transport.h"
#include "gateway/sip_ua.h"

extern char **environ;

#define SDP_US "v=0\r\no=faxgw 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
	       "m=audio 40000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
#define SDP_US2 "v=0\r\no=faxgw 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
		"m=audio 40002 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"

static struct event_base *base;
static struct sip_transport *T;
static struct sip_ua *UA;
static struct sip_dialog *D;
static int invites, answered, ended, results, last_result;
static char end_reason[64], dir[64], log_path[128];
static pid_t bare = -1;
static unsigned bare_sip, bare_cons;

static void cb_invite(void *arg, struct sip_dialog *d, const struct sipmsg *req,
		      const struct sip_source *src)
{
	(void)arg;
	(void)req;
	(void)src;
	invites++;
	D = d;
	cr_assert_eq(sip_dialog_progress(d, 180, NULL, 0), 0);
	cr_assert_eq(sip_dialog_answer(d, SDP_US, strlen(SDP_US)), 0);
}

static void cb_answered(void *arg, struct sip_dialog *d, const char *sdp, size_t len)
{
	(void)arg;
	(void)sdp;
	(void)len;
	answered++;
	D = d;
}

static void cb_result(void *arg, struct sip_dialog *d, int status, const char *sdp, size_t len)
{
	(void)arg;
	(void)d;
	(void)sdp;
	(void)len;
	results++;
	last_result = status;
}

static void cb_ended(void *arg, struct sip_dialog *d, int status, const char *reason)
{
	(void)arg;
	(void)d;
	(void)status;
	ended++;
	snprintf(end_reason, sizeof end_reason, "%s", reason);
	D = NULL;
}

static const struct sip_ua_callbacks cb = {
	.on_invite = cb_invite, .on_answered = cb_answered, .on_reinvite_result = cb_result,
	.on_ended = cb_ended,
};

static void to_ua(void *arg, struct sipmsg *m, const struct sip_source *src)
{
	(void)arg;
	sip_ua_receive(UA, m, src);
}

static void run_ms(int ms)
{
	struct timeval step = { 0, 10000 };

	for (int i = 0; i < ms; i += 10) {
		event_base_loopexit(base, &step);
		event_base_dispatch(base);
	}
}

static void run_until(const int *flag, int want, int ms)
{
	for (int i = 0; i < ms && *flag < want; i += 10)
		run_ms(10);
}

static unsigned free_udp_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	cr_assert_geq(fputs(text, f), 0);
	cr_assert_eq(fclose(f), 0);
}

/* Pumps our loop until baresip's log holds word (true) or ms pass. */
static bool wait_log(const char *word, int ms)
{
	static char buf[65536];

	for (int i = 0; i < ms; i += 50) {
		FILE *f = fopen(log_path, "r");
		size_t n = 0;

		if (f != NULL) {
			n = fread(buf, 1, sizeof buf - 1, f);
			cr_assert_eq(fclose(f), 0);
		}
		buf[n] = '\0';
		if (strstr(buf, word) != NULL)
			return true;
		run_ms(50);
	}
	return false;
}

static const char *baresip_log(void)
{
	static char buf[65536];
	FILE *f = fopen(log_path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, sizeof buf - 1, f);
		(void)fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static void command(const char *cmd)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)bare_cons) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(sendto(fd, cmd, strlen(cmd), 0, (struct sockaddr *)&a, sizeof a),
		     (ssize_t)strlen(cmd));
	close(fd);
}

static void start_baresip(void)
{
	char conf[128], path[200], text[1024];
	char *argv[] = { (char *)"stdbuf", (char *)"-oL", (char *)"-eL", (char *)"baresip",
			 (char *)"-f", conf, (char *)"-t", (char *)"60", NULL };
	posix_spawn_file_actions_t fa;

	bare_sip = free_udp_port();
	bare_cons = free_udp_port();
	snprintf(conf, sizeof conf, "%s/baresip", dir);
	cr_assert_eq(mkdir(conf, 0700), 0);
	snprintf(path, sizeof path, "%s/config", conf);
	/* no sound card: the audio bridge stands in for one */
	snprintf(text, sizeof text,
		 "sip_listen 127.0.0.1:%u\naudio_player aubridge,nil\naudio_source aubridge,nil\n"
		 "audio_alert aubridge,nil\nmodule_path /usr/lib/baresip/modules\n"
		 "module g711.so\nmodule aubridge.so\nmodule cons.so\nmodule_app account.so\n"
		 "module_app menu.so\ncons_listen 127.0.0.1:%u\n", bare_sip, bare_cons);
	write_file(path, text);
	snprintf(path, sizeof path, "%s/accounts", conf);
	write_file(path, "<sip:bare@127.0.0.1>;regint=0;answermode=auto\n");
	snprintf(log_path, sizeof log_path, "%s/baresip.out", dir);
	cr_assert_eq(posix_spawn_file_actions_init(&fa), 0);
	cr_assert_eq(posix_spawn_file_actions_addopen(&fa, 1, log_path,
						      O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
	cr_assert_eq(posix_spawn_file_actions_adddup2(&fa, 1, 2), 0);
	cr_assert_eq(posix_spawnp(&bare, "stdbuf", &fa, NULL, argv, environ), 0,
		     "baresip is not installed (mk/deps.sh installs baresip-core)");
	posix_spawn_file_actions_destroy(&fa);
	cr_assert(wait_log("baresip is ready", 10000), "baresip did not start:\n%s", baresip_log());
}

static void setup(void)
{
	struct sip_ua_options o = { .t1_ms = 100 };

	snprintf(dir, sizeof dir, "/tmp/sipbare.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	base = event_base_new();
	cr_assert_not_null(base);
	cr_assert_eq(sip_transport_new(base, "127.0.0.1:0", to_ua, NULL, &T), 0);
	cr_assert_eq(sip_ua_new(base, T, &o, &cb, NULL, &UA), 0);
	invites = answered = ended = results = 0;
	start_baresip();
}

static void teardown(void)
{
	char path[200];
	int status;

	if (bare > 0 && kill(bare, SIGKILL) == 0)
		(void)waitpid(bare, &status, 0);
	bare = -1;
	sip_ua_free(UA);
	sip_transport_free(T);
	event_base_free(base);
	const char *files[] = { "baresip/config", "baresip/accounts", "baresip/contacts",
				"baresip/current_contact", "baresip/uuid", "baresip.out" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		(void)unlink(path);
	}
	snprintf(path, sizeof path, "%s/baresip", dir);
	(void)rmdir(path);
	(void)rmdir(dir);
}

TestSuite(sip_baresip, .init = setup, .fini = teardown, .timeout = 60);

Test(sip_baresip, baresip_calls_us_and_hangs_up)
{
	char dial[128];

	snprintf(dial, sizeof dial, "/dial sip:fax@127.0.0.1:%u\n", sip_transport_port(T));
	command(dial);
	run_until(&invites, 1, 10000);
	cr_assert_eq(invites, 1, "no INVITE from baresip:\n%s", baresip_log());
	cr_assert(wait_log("established", 10000), "baresip saw no answer:\n%s", baresip_log());
	run_ms(200);
	cr_assert(sip_dialog_confirmed(D));
	command("/hangup\n");
	run_until(&ended, 1, 10000);
	cr_assert_eq(ended, 1, "%s", baresip_log());
	cr_assert_str_eq(end_reason, "bye");
}

Test(sip_baresip, we_call_baresip_reinvite_and_hang_up)
{
	char uri[96];
	struct sip_invite_params p = { .request_uri = uri, .sdp = SDP_US, .sdp_len = strlen(SDP_US) };
	struct sip_dialog *d;

	snprintf(uri, sizeof uri, "sip:bare@127.0.0.1:%u", bare_sip);
	cr_assert_eq(sip_ua_invite(UA, &p, NULL, &d), 0);
	run_until(&answered, 1, 10000);
	cr_assert_eq(answered, 1, "baresip did not answer:\n%s", baresip_log());
	cr_assert(wait_log("established", 5000), "%s", baresip_log());
	cr_assert_eq(sip_dialog_reinvite(D, SDP_US2, strlen(SDP_US2)), 0);
	run_until(&results, 1, 10000);
	cr_assert_eq(last_result, 200, "re-INVITE: %d\n%s", last_result, baresip_log());
	cr_assert_eq(sip_dialog_hangup(D), 0);
	run_until(&ended, 1, 10000);
	cr_assert_str_eq(end_reason, "hangup");
	cr_assert(wait_log("terminated", 5000) || wait_log("session closed", 100),
		  "baresip did not see the BYE:\n%s", baresip_log());
}
