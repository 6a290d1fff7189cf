/* libFuzzer target: a byte stream cut into messages by the TCP framing
 * (sip_transport_frame) and fed through the user agent's receive path
 * (sip_ua_receive_bytes) without sockets: transactions, dialogs, CANCEL,
 * re-INVITE, session timers. The app answers every INVITE and re-INVITE,
 * so a stream can walk a dialog through its states. The first byte picks
 * the source (UDP or TCP) and whether the app answers or rejects. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <event2/event.h>

#include "common/err.h"
#include "gateway/sip_transport.h"
#include "gateway/sip_ua.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SDP "v=0\r\no=f 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"

static void on_invite(void *arg, struct sip_dialog *d, const struct sipmsg *req,
		      const struct sip_source *src)
{
	const uint8_t *mode = arg;

	(void)req;
	(void)src;
	if (*mode & 1)
		(void)sip_dialog_answer(d, SDP, strlen(SDP));
	else if (*mode & 2)
		(void)sip_dialog_progress(d, 180, NULL, 0);
	else
		(void)sip_dialog_reject(d, 486);
}

static void on_reinvite(void *arg, struct sip_dialog *d, const char *sdp, size_t len)
{
	const uint8_t *mode = arg;

	(void)sdp;
	(void)len;
	if (*mode & 4)
		(void)sip_dialog_reject_reinvite(d, 488);
	else
		(void)sip_dialog_answer_reinvite(d, SDP, strlen(SDP));
}

static void on_answered(void *arg, struct sip_dialog *d, const char *sdp, size_t len)
{
	const uint8_t *mode = arg;

	(void)sdp;
	(void)len;
	if (*mode & 8)
		(void)sip_dialog_reinvite(d, SDP, strlen(SDP));
}

static void on_ended(void *arg, struct sip_dialog *d, int status, const char *reason)
{
	(void)arg;
	(void)d;
	(void)status;
	if (reason == NULL)
		abort();
}

static const struct sip_ua_callbacks cb = {
	.on_invite = on_invite, .on_reinvite = on_reinvite, .on_answered = on_answered,
	.on_ended = on_ended,
};

static void source(struct sip_source *src, uint8_t mode)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&src->sa;

	memset(src, 0, sizeof *src);
	a->sin_family = AF_INET;
	a->sin_port = htons(5062);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	src->len = sizeof *a;
	memcpy(src->addr, "127.0.0.1:5062", sizeof "127.0.0.1:5062");
	src->transport = mode & 16 ? SIP_PROTO_TCP : SIP_PROTO_UDP;
	src->conn_id = mode & 16 ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event_base *base;
	struct sip_ua *ua;
	struct sip_source src;
	struct sip_dialog *d;
	struct sip_invite_params p = { .request_uri = "sip:x@127.0.0.1:5062", .sdp = SDP,
				       .sdp_len = strlen(SDP) };
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	source(&src, mode);
	if ((base = event_base_new()) == NULL)
		return 0;
	if (sip_ua_new(base, NULL, NULL, &cb, &mode, &ua) != FGW_OK) {
		event_base_free(base);
		return 0;
	}
	/* a call of ours too, so responses have a transaction to meet */
	if (mode & 32)
		(void)sip_ua_invite(ua, &p, NULL, &d);
	while (size > 0) {
		size_t skip, len;
		int rc = sip_transport_frame((const char *)data, size, &skip, &len);

		if (rc != FGW_OK) {
			/* not framable: the rest is one datagram */
			(void)sip_ua_receive_bytes(ua, data, size, &src);
			break;
		}
		if (skip + len > size)
			abort();
		(void)sip_ua_receive_bytes(ua, data + skip, len, &src);
		(void)event_base_loop(base, EVLOOP_NONBLOCK);
		data += skip + len;
		size -= skip + len;
	}
	(void)event_base_loop(base, EVLOOP_NONBLOCK);
	sip_ua_free(ua);
	event_base_free(base);
	return 0;
}
