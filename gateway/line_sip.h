/* The SIP line back-end: line_ops (gateway/line.h) over a call's RTP
 * session (G.711 audio) or, after a switch, its UDPTL session (T.38). The
 * line owns the sessions it is given.
 *
 * Switching a running call to T.38: the call layer (CALL) gets the peer's
 * image port from the re-INVITE, makes a udptl_session, calls
 * line_sip_switch_t38, then call_switch_transport (gateway/call.h) with a
 * T.38 endpoint whose t38_user is this line. Falling back (the switch
 * refused after it was started) is line_sip_switch_audio plus
 * call_switch_transport with an audio endpoint. Both switches take effect
 * on the next 20 ms tick. While on T.38 the RTP socket is drained and its
 * packets dropped, so a late audio packet cannot pile up. */
#ifndef FAXGW_GATEWAY_LINE_SIP_H
#define FAXGW_GATEWAY_LINE_SIP_H

#include "dsp/fax.h"

struct line;
struct rtp_session;
struct udptl_session;

/* Makes an audio line over rtp (the line owns it from now on, even when
 * this fails). Returns 0 and *out (line_free), FGW_ERR_INVALID (rtp NULL),
 * FGW_ERR_NOMEM. */
int line_sip_new(struct rtp_session *rtp, struct line **out);

/* Makes a line that is T.38 from the start ("initial"): the line owns udptl
 * (even on failure). rtp may be NULL. Returns 0 and *out, FGW_ERR_INVALID,
 * FGW_ERR_NOMEM. */
int line_sip_new_t38(struct rtp_session *rtp, struct udptl_session *udptl,
		     struct line **out);

/* Re-points l at udptl (owned by l from now on; a previous one is freed).
 * Returns 0, FGW_ERR_INVALID (l is not a SIP line, udptl NULL). */
int line_sip_switch_t38(struct line *l, struct udptl_session *udptl);

/* Re-points l back at its RTP session; the UDPTL session is freed.
 * Returns 0, FGW_ERR_INVALID (not a SIP line), FGW_ERR_STATE (no RTP
 * session). */
int line_sip_switch_audio(struct line *l);

/* Returns FAX_AUDIO or FAX_T38: what l carries now (FAX_AUDIO for a line
 * that is not a SIP line). */
enum fax_transport line_sip_transport(const struct line *l);

/* The sessions of l (owned by l; NULL when absent or l is not a SIP line),
 * for set_peer, ports, digits and stats. */
struct rtp_session *line_sip_rtp(struct line *l);
struct udptl_session *line_sip_udptl(struct line *l);

#endif
