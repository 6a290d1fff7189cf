/* The SIP call layer's media: SDP offers and answers, RTP and UDPTL
 * streams, the line and its T.38 switch; see sip_calls_int.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/line.h"
#include "gateway/line_sip.h"
#include "gateway/sip_calls_int.h"
#include "gateway/udptl_session.h"

#define TE_PT 101                 /* our telephone-event payload type */
#define FEC_SPAN 3
#define FEC_ENTRIES 3

enum sc_t38 sc_t38_policy(const struct config *cfg, bool device)
{
	const char *v = config_str(cfg, "sip", device ? "device_t38" : "trunk_t38");

	return strcmp(v, "no") == 0 ? SC_T38_NO : strcmp(v, "initial") == 0 ?
	       SC_T38_INITIAL : SC_T38_YES;
}

/* The host of "host:port" or "[v6]:port" into out. */
static int host_part(const char *hp, char *out, size_t size)
{
	const char *end;

	if (hp[0] == '[') {
		end = strchr(hp, ']');
		hp++;
	} else {
		end = strrchr(hp, ':');
	}
	if (end == NULL || (size_t)(end - hp) >= size)
		return FGW_ERR_CONFIG;
	memcpy(out, hp, (size_t)(end - hp));
	out[end - hp] = '\0';
	return 0;
}

static void t38_caps(const struct config *cfg, struct sdp_t38 *t)
{
	const char *ec = config_str(cfg, "sip", "t38_ec");

	sdp_t38_defaults(t);
	t->version = 0;
	t->max_bitrate = 14400;
	t->rate_management = SDP_T38_TRANSFERRED_TCF;
	t->max_datagram = (unsigned)config_int(cfg, "sip", "t38_max_datagram");
	t->udp_ec = strcmp(ec, "fec") == 0 ? SDP_T38_EC_FEC : strcmp(ec, "none") == 0 ?
		    SDP_T38_EC_NONE : SDP_T38_EC_REDUNDANCY;
}

int sc_media_init(struct sc_call *c, enum sc_t38 t38)
{
	const char *addr = config_str(c->cfg, "sip", "rtp_address");
	int rc = 0;

	c->t38 = t38;
	if (addr[0] != '\0')
		rc = str_copy(c->bind_addr, sizeof c->bind_addr, addr);
	else
		rc = host_part(config_str(c->cfg, "sip", "listen"), c->bind_addr,
			       sizeof c->bind_addr);
	if (rc == 0)
		rc = media_port_range_parse(config_str(c->cfg, "sip", "rtp_ports"),
					    &c->bind.port_lo, &c->bind.port_hi);
	if (rc != 0) {
		log_error("sip: [sip] rtp_address/listen or rtp_ports is unusable for media; "
			  "fix it and reload");
		return FGW_ERR_CONFIG;
	}
	c->bind.address = c->bind_addr;
	memset(&c->caps, 0, sizeof c->caps);
	c->caps.pcmu = config_list_has(c->cfg, "sip", "codecs", "pcmu");
	c->caps.pcma = config_list_has(c->cfg, "sip", "codecs", "pcma");
	c->caps.prefer_pcma = c->caps.pcma &&
			      strncmp(config_str(c->cfg, "sip", "codecs"), "pcma", 4) == 0;
	c->caps.te_pt = TE_PT;
	c->caps.t38 = t38 != SC_T38_NO;
	t38_caps(c->cfg, &c->caps.t38_local);
	(void)str_copy(c->caps.addr, sizeof c->caps.addr, c->bind_addr);
	c->caps.session_id = (uint64_t)time(NULL) * 1000 + ++c->m->sdp_version % 1000;
	c->caps.session_version = 1;
	c->caps.ptime = 20;
	return 0;
}

/* The first stream of kind with a port (not rejected), or NULL. */
static const struct sdp_media *stream(const struct sdp_session *s, enum sdp_media_kind kind)
{
	for (size_t i = 0; i < s->nmedia; i++)
		if (s->media[i].kind == kind && s->media[i].port != 0)
			return &s->media[i];
	return NULL;
}

static int parse(const char *body, size_t blen, struct sdp_session *s)
{
	char err[SDP_ERR_MAX];
	int rc = sdp_parse(body, blen, s, err, sizeof err);

	if (rc != 0)
		log_info("sip: the peer's SDP is refused: %s", err);
	return rc;
}

/* The codec settled on stream m (an answer's, ours or the peer's). */
static int audio_media(const struct sc_call *c, const struct sdp_media *m,
		       struct rtp_session_media *out)
{
	bool found = false;

	out->te_pt = -1;
	out->jitter_max_ms = (unsigned)config_int(c->cfg, "sip", "jitter_max_ms");
	for (size_t i = 0; i < m->nformats; i++) {
		const struct sdp_format *f = &m->formats[i];
		bool pcmu = f->pt == 0 || strcmp(f->encoding, "PCMU") == 0;
		bool pcma = f->pt == 8 || strcmp(f->encoding, "PCMA") == 0;
		if (strcmp(f->encoding, "telephone-event") == 0)
			out->te_pt = f->pt;
		else if (!found && (pcmu || pcma)) {
			out->law = pcma ? DSP_G711_ALAW : DSP_G711_ULAW;
			out->pt = f->pt;
			found = true;
		}
	}
	return found ? 0 : FGW_ERR_UNSUPPORTED;
}

static int set_rtp_peer(const struct sc_call *c, struct rtp_session *rtp,
			const struct sdp_session *peer, const struct sdp_media *codec)
{
	const struct sdp_media *pm = stream(peer, SDP_MEDIA_AUDIO);
	struct rtp_session_media media;
	int rc;

	if (pm == NULL)
		return FGW_ERR_UNSUPPORTED;
	if ((rc = audio_media(c, codec, &media)) != 0)
		return rc;
	log_info("sip: call %s: G.711 %s with %s:%u", c->label,
		 media.law == DSP_G711_ALAW ? "A-law" : "u-law", sdp_media_addr(peer, pm),
		 (unsigned)pm->port);
	return rtp_session_set_peer(rtp, sdp_media_addr(peer, pm), pm->port, &media);
}

static unsigned clamp(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* peer: the peer's SDP (its T38FaxMaxDatagram); ec: the settled one. */
static int set_udptl_peer(const struct sc_call *c, struct udptl_session *u,
			  const struct sdp_session *peer, enum sdp_t38_ec ec)
{
	const struct sdp_media *pm = stream(peer, SDP_MEDIA_IMAGE);
	struct udptl_session_params p = {
		.ec = ec == SDP_T38_EC_FEC ? UDPTL_SESSION_EC_FEC :
		      ec == SDP_T38_EC_REDUNDANCY ? UDPTL_SESSION_EC_REDUNDANCY :
		      UDPTL_SESSION_EC_NONE,
		.redundancy = (unsigned)config_int(c->cfg, "sip", "t38_redundancy"),
		.fec_span = FEC_SPAN, .fec_entries = FEC_ENTRIES,
	};

	if (pm == NULL)
		return FGW_ERR_UNSUPPORTED;
	p.max_datagram = clamp(pm->t38.max_datagram != 0 ? pm->t38.max_datagram : 400, 100, 1400);
	log_info("sip: call %s: T.38 with %s:%u (%s, datagrams up to %zu bytes)", c->label,
		 sdp_media_addr(peer, pm), (unsigned)pm->port,
		 p.ec == UDPTL_SESSION_EC_FEC ? "FEC" : p.ec == UDPTL_SESSION_EC_REDUNDANCY ?
		 "redundancy" : "no error correction", p.max_datagram);
	return udptl_session_set_peer(u, sdp_media_addr(peer, pm), pm->port, &p);
}

static int build(const struct sdp_session *s, char *buf, size_t size, size_t *len)
{
	return sdp_build(s, buf, size, len);
}

/* Answers offer with T.38: a UDPTL stream of its own. */
static int answer_t38(struct sc_call *c, const struct sdp_session *offer,
		      struct sdp_session *ans, struct udptl_session **out)
{
	char err[SDP_ERR_MAX];
	int rc = udptl_session_new(&c->bind, out);

	if (rc != 0)
		return rc;
	c->caps.t38 = true;
	c->caps.image_port = udptl_session_port(*out);
	rc = sdp_answer(&c->caps, offer, ans, err, sizeof err);
	if (rc == 0)
		rc = set_udptl_peer(c, *out, offer, stream(ans, SDP_MEDIA_IMAGE) != NULL ?
				    stream(ans, SDP_MEDIA_IMAGE)->t38.udp_ec : SDP_T38_EC_NONE);
	if (rc != 0) {
		udptl_session_free(*out);
		*out = NULL;
	}
	return rc;
}

/* Answers offer with G.711 on rtp. */
static int answer_audio(struct sc_call *c, struct rtp_session *rtp,
			const struct sdp_session *offer, struct sdp_session *ans)
{
	char err[SDP_ERR_MAX];
	bool t38 = c->caps.t38;
	int rc;

	c->caps.t38 = false;
	c->caps.audio_port = rtp_session_port(rtp);
	rc = sdp_answer(&c->caps, offer, ans, err, sizeof err);
	c->caps.t38 = t38;
	if (rc != 0) {
		log_info("sip: call %s: nothing acceptable offered: %s", c->label, err);
		return rc;
	}
	return set_rtp_peer(c, rtp, offer, stream(ans, SDP_MEDIA_AUDIO));
}

int sc_media_answer(struct sc_call *c, const char *body, size_t blen, bool audio_only,
		    char *buf, size_t size, size_t *len)
{
	struct sdp_session offer, ans;
	struct rtp_session *rtp = NULL;
	struct udptl_session *u = NULL;
	int rc = parse(body, blen, &offer);

	if (rc != 0)
		return FGW_ERR_UNSUPPORTED;
	if (c->t38 != SC_T38_NO && !audio_only && stream(&offer, SDP_MEDIA_IMAGE) != NULL) {
		if ((rc = answer_t38(c, &offer, &ans, &u)) == 0 &&
		    (rc = line_sip_new_t38(NULL, u, &c->line)) == 0)
			c->on_t38 = true;
	} else if ((rc = rtp_session_new(&c->bind, &rtp)) == 0) {
		if ((rc = answer_audio(c, rtp, &offer, &ans)) == 0)
			rc = line_sip_new(rtp, &c->line);
		else
			rtp_session_free(rtp);
	}
	return rc != 0 ? rc : build(&ans, buf, size, len);
}

int sc_media_offer(struct sc_call *c, char *buf, size_t size, size_t *len)
{
	struct sdp_session offer;
	struct rtp_session *rtp = NULL;
	struct udptl_session *u = NULL;
	bool t38 = c->t38 == SC_T38_INITIAL;
	int rc;

	if (t38) {
		if ((rc = udptl_session_new(&c->bind, &u)) != 0)
			return rc;
		c->caps.image_port = udptl_session_port(u);
		if ((rc = line_sip_new_t38(NULL, u, &c->line)) != 0)
			return rc;
		c->on_t38 = true;
	} else {
		if ((rc = rtp_session_new(&c->bind, &rtp)) != 0)
			return rc;
		c->caps.audio_port = rtp_session_port(rtp);
		if ((rc = line_sip_new(rtp, &c->line)) != 0)
			return rc;
	}
	if ((rc = sdp_offer(&c->caps, t38, &offer)) != 0)
		return rc;
	return build(&offer, buf, size, len);
}

int sc_media_answered(struct sc_call *c, const char *body, size_t blen)
{
	struct sdp_session ans;
	const struct sdp_media *img;

	if (parse(body, blen, &ans) != 0)
		return FGW_ERR_PARSE;
	if (!c->on_t38)
		return set_rtp_peer(c, line_sip_rtp(c->line), &ans, stream(&ans, SDP_MEDIA_AUDIO) != NULL ?
				    stream(&ans, SDP_MEDIA_AUDIO) : &ans.media[0]);
	img = stream(&ans, SDP_MEDIA_IMAGE);
	if (img == NULL)
		return FGW_ERR_UNSUPPORTED;
	return set_udptl_peer(c, line_sip_udptl(c->line), &ans, img->t38.udp_ec);
}

int sc_media_t38_offer(struct sc_call *c, char *buf, size_t size, size_t *len)
{
	struct sdp_session offer;
	int rc = udptl_session_new(&c->bind, &c->pending);

	if (rc != 0)
		return rc;
	c->caps.t38 = true;
	c->caps.image_port = udptl_session_port(c->pending);
	c->caps.session_version++;
	if ((rc = sdp_offer(&c->caps, true, &offer)) == 0)
		rc = build(&offer, buf, size, len);
	if (rc != 0) {
		udptl_session_free(c->pending);
		c->pending = NULL;
	}
	return rc;
}

int sc_media_t38_answered(struct sc_call *c, const char *body, size_t blen)
{
	struct sdp_session ans;
	const struct sdp_media *img;
	struct udptl_session *u = c->pending;
	int rc = parse(body, blen, &ans);

	c->pending = NULL;
	img = rc == 0 ? stream(&ans, SDP_MEDIA_IMAGE) : NULL;
	rc = img == NULL ? FGW_ERR_UNSUPPORTED : set_udptl_peer(c, u, &ans, img->t38.udp_ec);
	if (rc == 0 && (rc = line_sip_switch_t38(c->line, u)) == 0) {
		c->on_t38 = true;
		return 0;
	}
	udptl_session_free(u);
	return rc;
}

/* The peer asks for T.38 while we are on audio, or again while on T.38. */
static int reoffer_t38(struct sc_call *c, const struct sdp_session *offer,
		       struct sdp_session *ans, bool *switched)
{
	struct udptl_session *u = NULL;
	int rc;

	if (c->on_t38) {
		char err[SDP_ERR_MAX];
		const struct sdp_media *img;
		c->caps.image_port = udptl_session_port(line_sip_udptl(c->line));
		if ((rc = sdp_answer(&c->caps, offer, ans, err, sizeof err)) != 0)
			return rc;
		if ((img = stream(ans, SDP_MEDIA_IMAGE)) == NULL)
			return FGW_ERR_UNSUPPORTED;
		return set_udptl_peer(c, line_sip_udptl(c->line), offer, img->t38.udp_ec);
	}
	if ((rc = answer_t38(c, offer, ans, &u)) != 0)
		return rc;
	if ((rc = line_sip_switch_t38(c->line, u)) != 0)
		return rc;
	c->on_t38 = *switched = true;
	return 0;
}

int sc_media_reoffer(struct sc_call *c, const char *body, size_t blen, char *buf,
		     size_t size, size_t *len, bool *switched, enum fax_transport *to)
{
	struct sdp_session offer, ans;
	struct rtp_session *rtp = c->line != NULL ? line_sip_rtp(c->line) : NULL;
	int rc;

	*switched = false;
	if (c->line == NULL || parse(body, blen, &offer) != 0)
		return FGW_ERR_UNSUPPORTED;
	c->caps.session_version++;
	if (stream(&offer, SDP_MEDIA_IMAGE) != NULL) {
		if (c->t38 == SC_T38_NO)
			return FGW_ERR_UNSUPPORTED;
		rc = reoffer_t38(c, &offer, &ans, switched);
		*to = FAX_T38;
	} else {
		if (rtp == NULL || (rc = answer_audio(c, rtp, &offer, &ans)) != 0)
			return FGW_ERR_UNSUPPORTED;
		if (c->on_t38 && (rc = line_sip_switch_audio(c->line)) == 0) {
			c->on_t38 = false;
			*switched = true;
		}
		*to = FAX_AUDIO;
	}
	return rc != 0 ? FGW_ERR_UNSUPPORTED : build(&ans, buf, size, len);
}

int sc_t38_out(void *user, const uint8_t *ifp, size_t len, uint16_t seq, int count)
{
	return line_send_t38(user, ifp, len, seq, count);
}
