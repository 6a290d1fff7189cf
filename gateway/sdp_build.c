/* SDP output and offer/answer; see sdp.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/sdp.h"
#include "gateway/rtp.h"

struct out {
	char *buf;
	size_t size, len;
	int err;
};

__attribute__((format(printf, 2, 3)))
static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->err != FGW_OK)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->err = FGW_ERR_TOO_LARGE;
		return;
	}
	o->len += (size_t)n;
}

/* A field we write must not break the line structure. */
static bool field_ok(const char *s, bool spaces)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n' || (!spaces && *s == ' '))
			return false;
	return true;
}

static const char *addr_type(const char *addr)
{
	return strchr(addr, ':') ? "IP6" : "IP4";
}

static void emit_dir(struct out *o, enum sdp_dir d)
{
	static const char *const names[] = { NULL, "sendrecv", "sendonly", "recvonly", "inactive" };

	if (d > SDP_DIR_UNSET && d <= SDP_INACTIVE)
		emit(o, "a=%s\r\n", names[d]);
}

static void emit_t38(struct out *o, const struct sdp_t38 *t)
{
	static const char *const ec[] = { NULL, "t38UDPRedundancy", "t38UDPFEC" };

	emit(o, "a=T38FaxVersion:%u\r\n", t->version);
	if (t->max_bitrate)
		emit(o, "a=T38MaxBitRate:%u\r\n", t->max_bitrate);
	if (t->fill_bit_removal)
		emit(o, "a=T38FaxFillBitRemoval\r\n");
	if (t->transcoding_mmr)
		emit(o, "a=T38FaxTranscodingMMR\r\n");
	if (t->transcoding_jbig)
		emit(o, "a=T38FaxTranscodingJBIG\r\n");
	emit(o, "a=T38FaxRateManagement:%s\r\n",
	     t->rate_management == SDP_T38_LOCAL_TCF ? "localTCF" : "transferredTCF");
	if (t->max_buffer)
		emit(o, "a=T38FaxMaxBuffer:%u\r\n", t->max_buffer);
	if (t->max_datagram)
		emit(o, "a=T38FaxMaxDatagram:%u\r\n", t->max_datagram);
	if (t->udp_ec == SDP_T38_EC_REDUNDANCY || t->udp_ec == SDP_T38_EC_FEC)
		emit(o, "a=T38FaxUdpEC:%s\r\n", ec[t->udp_ec]);
}

static int emit_audio(struct out *o, const struct sdp_media *m)
{
	emit(o, "m=audio %u %s", m->port, m->proto);
	for (size_t i = 0; i < m->nformats; i++)
		emit(o, " %u", m->formats[i].pt);
	emit(o, "\r\n");
	if (m->addr[0])
		emit(o, "c=IN %s %s\r\n", addr_type(m->addr), m->addr);
	for (size_t i = 0; i < m->nformats; i++) {
		const struct sdp_format *f = &m->formats[i];

		if (!field_ok(f->encoding, false) || !field_ok(f->fmtp, true))
			return FGW_ERR_INVALID;
		if (f->encoding[0] && f->clock)
			emit(o, "a=rtpmap:%u %s/%u\r\n", f->pt, f->encoding, f->clock);
		if (f->fmtp[0])
			emit(o, "a=fmtp:%u %s\r\n", f->pt, f->fmtp);
	}
	if (m->ptime)
		emit(o, "a=ptime:%u\r\n", m->ptime);
	return FGW_OK;
}

static int emit_media(struct out *o, const struct sdp_media *m)
{
	int rc = FGW_OK;

	if (!field_ok(m->name, false) || !field_ok(m->proto, false) ||
	    !field_ok(m->fmt0, false) || !field_ok(m->addr, false) ||
	    m->proto[0] == '\0')
		return FGW_ERR_INVALID;
	if (m->kind == SDP_MEDIA_AUDIO) {
		if (m->nformats == 0)
			return FGW_ERR_INVALID;
		rc = emit_audio(o, m);
	} else {
		emit(o, "m=%s %u %s %s\r\n", m->kind == SDP_MEDIA_IMAGE ? "image" : m->name,
		     m->port, m->proto, m->kind == SDP_MEDIA_IMAGE ? "t38" : m->fmt0);
		if (m->addr[0])
			emit(o, "c=IN %s %s\r\n", addr_type(m->addr), m->addr);
		if (m->kind == SDP_MEDIA_IMAGE && m->port != 0)
			emit_t38(o, &m->t38);
	}
	emit_dir(o, m->dir);
	return rc;
}

int sdp_build(const struct sdp_session *s, char *buf, size_t size, size_t *out_len)
{
	struct out o = { buf, size, 0, FGW_OK };
	int rc;

	if (size == 0)
		return FGW_ERR_TOO_LARGE;
	buf[0] = '\0';
	if (!field_ok(s->origin_user, false) || !field_ok(s->origin_addr, false) ||
	    !field_ok(s->addr, false) || s->origin_addr[0] == '\0' || s->nmedia > SDP_MAX_MEDIA)
		return FGW_ERR_INVALID;
	emit(&o, "v=0\r\no=%s %llu %llu IN %s %s\r\ns=-\r\n",
	     s->origin_user[0] ? s->origin_user : "-", (unsigned long long)s->session_id,
	     (unsigned long long)s->session_version, addr_type(s->origin_addr), s->origin_addr);
	if (s->addr[0])
		emit(&o, "c=IN %s %s\r\n", addr_type(s->addr), s->addr);
	emit(&o, "t=0 0\r\n");
	emit_dir(&o, s->dir);
	for (size_t i = 0; i < s->nmedia; i++)
		if ((rc = emit_media(&o, &s->media[i])) != FGW_OK)
			return rc;
	if (o.err != FGW_OK)
		return o.err;
	*out_len = o.len;
	return FGW_OK;
}

static void session_head(const struct sdp_caps *caps, struct sdp_session *s)
{
	memset(s, 0, sizeof *s);
	(void)str_copy(s->origin_user, sizeof s->origin_user, "faxgw");
	s->session_id = caps->session_id;
	s->session_version = caps->session_version;
	(void)str_copy(s->origin_addr, sizeof s->origin_addr, caps->addr);
	(void)str_copy(s->addr, sizeof s->addr, caps->addr);
}

static void set_format(struct sdp_format *f, uint8_t pt, const char *enc, const char *fmtp)
{
	memset(f, 0, sizeof *f);
	f->pt = pt;
	f->clock = 8000;
	(void)str_copy(f->encoding, sizeof f->encoding, enc);
	(void)str_copy(f->fmtp, sizeof f->fmtp, fmtp);
}

static void image_media(const struct sdp_caps *caps, struct sdp_media *m)
{
	m->kind = SDP_MEDIA_IMAGE;
	(void)str_copy(m->name, sizeof m->name, "image");
	(void)str_copy(m->proto, sizeof m->proto, "udptl");
	(void)str_copy(m->fmt0, sizeof m->fmt0, "t38");
	m->port = caps->image_port;
	m->t38 = caps->t38_local;
}

int sdp_offer(const struct sdp_caps *caps, bool t38, struct sdp_session *offer)
{
	struct sdp_media *m;
	bool a_first = caps->prefer_pcma || !caps->pcmu;

	if ((!caps->pcmu && !caps->pcma && !t38) || (t38 && !caps->t38) || caps->addr[0] == '\0')
		return FGW_ERR_INVALID;
	session_head(caps, offer);
	m = &offer->media[offer->nmedia++];
	if (t38) {
		image_media(caps, m);
		return FGW_OK;
	}
	m->kind = SDP_MEDIA_AUDIO;
	(void)str_copy(m->name, sizeof m->name, "audio");
	(void)str_copy(m->proto, sizeof m->proto, "RTP/AVP");
	m->port = caps->audio_port;
	m->ptime = caps->ptime;
	m->dir = SDP_SENDRECV;
	if (caps->pcma && a_first)
		set_format(&m->formats[m->nformats++], RTP_PT_PCMA, "PCMA", "");
	if (caps->pcmu)
		set_format(&m->formats[m->nformats++], RTP_PT_PCMU, "PCMU", "");
	if (caps->pcma && !a_first)
		set_format(&m->formats[m->nformats++], RTP_PT_PCMA, "PCMA", "");
	if (caps->te_pt != SDP_PT_NONE)
		set_format(&m->formats[m->nformats++], caps->te_pt, "telephone-event", "0-15");
	return FGW_OK;
}

static unsigned min_stated(unsigned ours, unsigned theirs)
{
	if (theirs == 0)
		return ours;
	if (ours == 0)
		return theirs;
	return ours < theirs ? ours : theirs;
}

void sdp_t38_negotiate(const struct sdp_t38 *local, const struct sdp_t38 *offered,
		       struct sdp_t38 *answer)
{
	answer->version = local->version < offered->version ? local->version : offered->version;
	answer->max_bitrate = min_stated(local->max_bitrate, offered->max_bitrate);
	answer->fill_bit_removal = local->fill_bit_removal && offered->fill_bit_removal;
	answer->transcoding_mmr = local->transcoding_mmr && offered->transcoding_mmr;
	answer->transcoding_jbig = local->transcoding_jbig && offered->transcoding_jbig;
	answer->rate_management = offered->rate_management;
	answer->max_buffer = local->max_buffer;
	answer->max_datagram = local->max_datagram;
	/* NONE < REDUNDANCY < FEC: the weaker of the two is what both do. */
	answer->udp_ec = offered->udp_ec < local->udp_ec ? offered->udp_ec : local->udp_ec;
}

/* Whether format f of an audio stream is PCMU (law 0) or PCMA (law 8). */
static bool is_codec(const struct sdp_format *f, uint8_t pt, const char *name)
{
	if (f->encoding[0])
		return strcasecmp(f->encoding, name) == 0 && f->clock == 8000;
	return f->pt == pt;
}

static const struct sdp_format *pick_codec(const struct sdp_caps *caps, const struct sdp_media *m)
{
	const struct sdp_format *first = NULL, *pcma = NULL;

	for (size_t i = 0; i < m->nformats; i++) {
		const struct sdp_format *f = &m->formats[i];
		bool u = caps->pcmu && is_codec(f, RTP_PT_PCMU, "PCMU");
		bool a = caps->pcma && is_codec(f, RTP_PT_PCMA, "PCMA");

		if ((u || a) && first == NULL)
			first = f;
		if (a && pcma == NULL)
			pcma = f;
	}
	return caps->prefer_pcma && pcma ? pcma : first;
}

static const struct sdp_format *pick_te(const struct sdp_media *m)
{
	for (size_t i = 0; i < m->nformats; i++)
		if (strcasecmp(m->formats[i].encoding, "telephone-event") == 0 &&
		    m->formats[i].clock == 8000)
			return &m->formats[i];
	return NULL;
}

static enum sdp_dir mirror(enum sdp_dir d)
{
	if (d == SDP_SENDONLY)
		return SDP_RECVONLY;
	if (d == SDP_RECVONLY)
		return SDP_SENDONLY;
	return d == SDP_INACTIVE ? SDP_INACTIVE : SDP_SENDRECV;
}

static bool accept_audio(const struct sdp_caps *caps, const struct sdp_session *offer,
			 const struct sdp_media *om, struct sdp_media *am)
{
	const struct sdp_format *codec = pick_codec(caps, om), *te = pick_te(om);
	enum sdp_dir d = om->dir != SDP_DIR_UNSET ? om->dir : offer->dir;

	if (codec == NULL || om->port == 0)
		return false;
	am->nformats = 0;
	set_format(&am->formats[am->nformats++], codec->pt, codec->pt == RTP_PT_PCMA ||
		   strcasecmp(codec->encoding, "PCMA") == 0 ? "PCMA" : "PCMU", "");
	if (te != NULL && caps->te_pt != SDP_PT_NONE)
		set_format(&am->formats[am->nformats++], te->pt, "telephone-event", "0-15");
	am->port = caps->audio_port;
	am->ptime = caps->ptime;
	am->dir = mirror(d);
	return true;
}

/* The rejected form of om: port 0, same media, proto and formats. */
static void reject(const struct sdp_media *om, struct sdp_media *am)
{
	*am = *om;
	am->port = 0;
	am->addr[0] = '\0';
	am->dir = SDP_DIR_UNSET;
	am->ptime = 0;
	for (size_t i = 0; i < am->nformats; i++)
		am->formats[i].fmtp[0] = '\0';
}

static const struct sdp_media *usable_image(const struct sdp_caps *caps, const struct sdp_session *o)
{
	for (size_t i = 0; caps->t38 && i < o->nmedia; i++)
		if (o->media[i].kind == SDP_MEDIA_IMAGE && o->media[i].port != 0)
			return &o->media[i];
	return NULL;
}

int sdp_answer(const struct sdp_caps *caps, const struct sdp_session *offer,
	       struct sdp_session *answer, char *err, size_t errsize)
{
	const struct sdp_media *image = usable_image(caps, offer);
	bool accepted = false;

	session_head(caps, answer);
	answer->nmedia = offer->nmedia;
	for (size_t i = 0; i < offer->nmedia; i++) {
		const struct sdp_media *om = &offer->media[i];
		struct sdp_media *am = &answer->media[i];

		reject(om, am);
		if (om == image) {
			image_media(caps, am);
			sdp_t38_negotiate(&caps->t38_local, &om->t38, &am->t38);
			accepted = true;
		} else if (image == NULL && !accepted && om->kind == SDP_MEDIA_AUDIO) {
			accepted = accept_audio(caps, offer, om, am);
		}
	}
	if (accepted)
		return FGW_OK;
	if (err != NULL && errsize > 0)
		(void)str_copy(err, errsize, caps->t38 ?
			       "no stream offers PCMU, PCMA or image udptl t38" :
			       "no stream offers PCMU or PCMA (T.38 is off on this line)");
	return FGW_ERR_UNSUPPORTED;
}

enum sdp_reinvite_action sdp_reinvite_failure(int status)
{
	switch (status) {
	case 491:
		return SDP_REINVITE_RETRY;
	/* RFC 5057 5.1: these end the dialog (481, 408) or the usage itself. */
	case 404: case 408: case 410: case 416: case 481: case 482:
	case 483: case 484: case 485: case 502: case 604:
		return SDP_REINVITE_END_CALL;
	default:
		return SDP_REINVITE_KEEP_MEDIA;
	}
}
