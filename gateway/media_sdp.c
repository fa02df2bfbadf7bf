/*
 * gateway/media_sdp.c - one offer or answer of a relayed leg: translate
 * the SDP with media/sdp.c, and tell the leg's session what the peer said
 * (ICE credentials, fingerprint, DTLS role, RTP address, SDES key,
 * direction, payload types). Side 0 is the caller's, side 1 the callee's;
 * either may offer (re-INVITE, UPDATE, late offer in a 2xx).
 */
#define G_LOG_DOMAIN "ovoz-media"

#include "gateway/media_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "media/srtp.h"

static enum media_leg_kind gm_kind_of_profile(enum media_sdp_profile p)
{
	switch (p) {
	case MEDIA_SDP_WEBRTC:
		return MEDIA_LEG_WEBRTC;
	case MEDIA_SDP_SAVP:
		return MEDIA_LEG_SRTP_SDES;
	default:
		return MEDIA_LEG_RTP;
	}
}

static enum media_sdp_profile gm_profile_of_kind(enum media_leg_kind k)
{
	static const enum media_sdp_profile p[] = {
		[MEDIA_LEG_WEBRTC] = MEDIA_SDP_WEBRTC,
		[MEDIA_LEG_RTP] = MEDIA_SDP_AVP,
		[MEDIA_LEG_SRTP_SDES] = MEDIA_SDP_SAVP,
	};

	return p[k];
}

static enum media_direction gm_direction(enum media_sdp_dir d)
{
	switch (d) {
	case MEDIA_SDP_SENDONLY:
		return MEDIA_DIR_SENDONLY;
	case MEDIA_SDP_RECVONLY:
		return MEDIA_DIR_RECVONLY;
	case MEDIA_SDP_INACTIVE:
		return MEDIA_DIR_INACTIVE;
	default:
		return MEDIA_DIR_SENDRECV;
	}
}

/* A peer whose SDP names another address than where its SIP comes from,
 * or a callee reached elsewhere than its contact says: behind NAT. */
static bool gm_natted(const struct sip_addr *a, const char *host)
{
	char text[SIP_ADDR_STRLEN];
	struct in6_addr any6;

	if (!a || !host || !*host)
		return false;
	if (strcmp(host, "0.0.0.0") == 0 ||
	    (inet_pton(AF_INET6, host, &any6) == 1 &&
	     IN6_IS_ADDR_UNSPECIFIED(&any6)))
		return false; /* a hold, not an address */
	sip_addr_host(a, text, sizeof(text));
	return g_ascii_strcasecmp(text, host) != 0;
}

/* The party this offer travels toward is a UDP phone that must be
 * offered SRTP (SDES), by its extension's setting. */
static bool gm_toward_wants_sdes(struct gateway_media *m,
				 const struct sip_media_event *ev)
{
	return ev->to_kind == SIP_TRANSPORT_UDP && m->cfg.sdes_h &&
	       ev->toward_user && m->cfg.sdes_h(m->cfg.arg, ev->toward_user);
}

bool gm_sdp_wants_relay(struct gateway_media *m,
			const struct sip_media_event *ev,
			const struct media_sdp *sdp)
{
	const struct media_sdp_stream *st = media_sdp_audio(sdp, NULL);
	char dest_host[SIP_ADDR_STRLEN] = "";

	if (ev->from_kind != SIP_TRANSPORT_UDP ||
	    ev->to_kind != SIP_TRANSPORT_UDP)
		return true; /* a browser: only ICE + DTLS-SRTP reaches it */
	if (!st)
		return false;
	if (st->profile == MEDIA_SDP_WEBRTC)
		return true;
	/* A plain offer to a phone that requires SRTP: Ovoz keys it. */
	if (st->profile == MEDIA_SDP_AVP && gm_toward_wants_sdes(m, ev))
		return true;
	switch (m->cfg.relay_udp) {
	case GATEWAY_MEDIA_RELAY_ALWAYS:
		return true;
	case GATEWAY_MEDIA_RELAY_NEVER:
		return false;
	default:
		break;
	}
	if (ev->dest && ev->dest_host) {
		/* The Request-URI host may be bracketed IPv6. */
		g_strlcpy(dest_host, ev->dest_host[0] == '[' ? ev->dest_host + 1
							     : ev->dest_host,
			  sizeof(dest_host));
		dest_host[strcspn(dest_host, "]")] = '\0';
	}
	return gm_natted(ev->source, st->addr) ||
	       gm_natted(ev->dest, dest_host);
}

/* ---- what the peer said ---- */

static int gm_sockaddr(struct sockaddr_storage *ss, socklen_t *len,
		       const char *host, unsigned port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (port == 0 || port > 65535)
		return EINVAL;
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		if (in->sin_addr.s_addr == INADDR_ANY)
			return EINVAL;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1 &&
	    !IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr)) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
	return EINVAL;
}

static int gm_remote_set(struct gm_leg *l, int side,
			 const struct media_sdp_stream *st,
			 const struct media_sdp_crypto *crypto)
{
	struct media_leg_remote r = {.direction = gm_direction(st->dir)};
	struct sockaddr_storage rtp, rtcp;
	socklen_t rtp_len = 0, rtcp_len = 0;
	char fp[200];
	int rc;

	if (l->kind[side] == MEDIA_LEG_WEBRTC) {
		r.ice_ufrag = st->ice_ufrag[0] ? st->ice_ufrag : NULL;
		if (st->fingerprint[0]) {
			g_snprintf(fp, sizeof(fp), "sha-256 %s", st->fingerprint);
			r.fingerprint = fp;
		}
		r.dtls_role_set = true;
		r.dtls_role = l->role[side];
	} else if (gm_sockaddr(&rtp, &rtp_len, st->addr, st->port) == 0) {
		r.rtp = (struct sockaddr *)&rtp;
		r.rtp_len = rtp_len;
		if (!st->rtcp_mux &&
		    gm_sockaddr(&rtcp, &rtcp_len, st->addr,
				st->rtcp_port ? st->rtcp_port
					      : (unsigned)st->port + 1) == 0) {
			r.rtcp = (struct sockaddr *)&rtcp;
			r.rtcp_len = rtcp_len;
		}
	}
	if (l->kind[side] == MEDIA_LEG_SRTP_SDES && crypto && crypto->key[0]) {
		enum media_srtp_profile p = media_srtp_profile_from_name(
			crypto->suite, strlen(crypto->suite));

		rc = media_srtp_inline_parse(crypto->key, strlen(crypto->key),
					     p, &r.sdes_key);
		if (rc)
			return rc;
	}
	rc = media_session_set_remote(l->s, side, &r);
	if (rc)
		g_warning("call %s: leg %s: the peer's media parameters are "
			  "refused (%s)", l->call->call_id,
			  media_leg_name(side), g_strerror(rc));
	return rc;
}

/* The payload types that cross, as leg A and leg B call them. */
static void gm_routes_set(struct gm_leg *l, int offerer,
			  const struct media_sdp_plan *plan)
{
	struct media_pt_route routes[MEDIA_SDP_MAX_CODECS];

	for (unsigned i = 0; i < plan->n_pts; i++) {
		const struct media_sdp_pt *p = &plan->pts[i];

		routes[i] = (struct media_pt_route){
			.pt_a = offerer == 0 ? p->pt_a : p->pt_b,
			.pt_b = offerer == 0 ? p->pt_b : p->pt_a,
			.clock_rate = p->rate,
		};
	}
	media_session_set_routes(l->s, routes, plan->n_pts);
}

/* ---- what we say ---- */

struct gm_local {
	struct media_leg_local loc;
	struct media_sdp_local sdp;
	char *inline_key;
};

static void gm_local_fill(struct gm_local *g, struct gm_leg *l, int toward,
			  enum media_sdp_setup setup)
{
	struct gateway_media *m = l->call->m;
	bool webrtc = l->kind[toward] == MEDIA_LEG_WEBRTC;
	const char *fp;

	memset(g, 0, sizeof(*g));
	media_session_local(l->s, toward, &g->loc);
	fp = strchr(g->loc.fingerprint, ' ');
	g->sdp = (struct media_sdp_local){
		.profile = gm_profile_of_kind(l->kind[toward]),
		.addr = webrtc || !m->public_ip ? m->ip : m->public_ip,
		.port = g->loc.rtp_port,
		.rtcp_port = g->loc.rtcp_port &&
					     g->loc.rtcp_port != g->loc.rtp_port + 1
				     ? g->loc.rtcp_port : 0,
		.public_addr = webrtc ? m->public_ip : NULL,
		.ice_ufrag = webrtc ? g->loc.ice_ufrag : NULL,
		.ice_pwd = webrtc ? g->loc.ice_pwd : NULL,
		.ice_lite = webrtc,
		.fingerprint = webrtc && fp ? fp + 1 : NULL,
		.setup = webrtc ? setup : MEDIA_SDP_SETUP_NONE,
		.sess_id = l->call->sess_id,
		.sess_version = ++l->version[toward],
		.prev_b = l->sdp[toward],
	};
	if (l->kind[toward] == MEDIA_LEG_SRTP_SDES) {
		g->inline_key = media_srtp_inline_format(&g->loc.sdes_key);
		if (g->inline_key && g_str_has_prefix(g->inline_key, "inline:"))
			g->sdp.crypto_key = g->inline_key + strlen("inline:");
	}
}

static void gm_local_clear(struct gm_local *g)
{
	g_free(g->inline_key);
	memset(g, 0, sizeof(*g));
}

static int gm_refuse_codec(struct gm_leg *l, const char **reason)
{
	l->call->m->refused_codec++;
	*reason = "No common codec";
	return 488;
}

/* Start the leg's session for the first offer, from side @side. */
static int gm_leg_open(struct gm_leg *l, const struct sip_media_event *ev,
		       int side, const struct media_sdp_stream *st,
		       const char **reason)
{
	int rc;

	l->kind[side] = gm_kind_of_profile(st->profile);
	l->kind[1 - side] = ev->to_kind != SIP_TRANSPORT_UDP
				    ? MEDIA_LEG_WEBRTC
			    : gm_toward_wants_sdes(l->call->m, ev)
				    ? MEDIA_LEG_SRTP_SDES
				    : MEDIA_LEG_RTP;
	rc = gm_leg_start(l);
	if (rc == ENOSPC || rc == EADDRINUSE) {
		g_warning("call %s: no free media port in the range: 503",
			  l->call->call_id);
		*reason = "No Media Ports Available";
		return 503;
	}
	if (rc) {
		g_warning("call %s: media session failed: %s",
			  l->call->call_id, g_strerror(rc));
		*reason = "Media Relay Failure";
		return 500;
	}
	return 0;
}

int gm_sdp_offer(struct gm_leg *l, const struct sip_media_event *ev,
		 struct media_sdp *sdp, char **out, const char **reason)
{
	int side = ev->from_caller ? 0 : 1, other = 1 - side;
	const struct media_sdp_stream *st = media_sdp_audio(sdp, NULL);
	struct media_sdp *prev = l->sdp[side];
	struct media_sdp_plan plan = {0};
	struct gm_local g;
	int rc;

	if (!st) {
		media_sdp_free(sdp);
		return gm_refuse_codec(l, reason);
	}
	if (!l->s && (rc = gm_leg_open(l, ev, side, st, reason))) {
		media_sdp_free(sdp);
		return rc;
	}
	if (prev && l->kind[side] == MEDIA_LEG_WEBRTC &&
	    media_sdp_is_ice_restart(prev, sdp))
		media_session_ice_restart(l->s, side);
	gm_local_fill(&g, l, other, MEDIA_SDP_SETUP_ACTPASS);
	rc = media_sdp_offer(sdp, prev, &g.sdp, &plan, out);
	gm_local_clear(&g);
	if (rc) {
		media_sdp_free(sdp);
		if (rc == ENOTSUP)
			return gm_refuse_codec(l, reason);
		*reason = "Media Relay Failure";
		return 500;
	}
	st = &sdp->streams[plan.stream_a];
	/* Our DTLS role towards an offerer: passive unless it is. A
	 * re-offer with actpass keeps the role the leg has (RFC 8842 5.5):
	 * changing it would restart a DTLS session that works. */
	if (st->setup == MEDIA_SDP_SETUP_PASSIVE)
		l->role[side] = MEDIA_DTLS_CLIENT;
	else if (st->setup == MEDIA_SDP_SETUP_ACTIVE || !l->role_known[side])
		l->role[side] = MEDIA_DTLS_SERVER;
	l->role_known[side] = true;
	gm_remote_set(l, side, st, NULL);
	gm_routes_set(l, side, &plan);
	media_sdp_free(prev);
	l->sdp[side] = sdp;
	l->offerer = side;
	l->offer_plan = plan;
	gm_leg_answered(l, ev); /* a late offer in the 2xx */
	return 0;
}

int gm_sdp_answer(struct gm_leg *l, const struct sip_media_event *ev,
		  struct media_sdp *sdp, char **out, const char **reason)
{
	int side = ev->from_caller ? 0 : 1, offerer = 1 - side;
	const struct media_sdp_stream *st;
	struct media_sdp_plan plan = {0};
	struct gm_local g;
	bool final2xx = !ev->is_request && ev->status >= 200 &&
			ev->status < 300;
	int rc;

	if (!l->s || l->offerer != offerer || !l->sdp[offerer]) {
		g_message("call %s: an answer without a relayed offer passes "
			  "unchanged", l->call->call_id);
		media_sdp_free(sdp);
		return 0;
	}
	st = l->offer_plan.stream_b < sdp->n_streams
		     ? &sdp->streams[l->offer_plan.stream_b] : NULL;
	if (st) {
		l->role[side] = st->setup == MEDIA_SDP_SETUP_ACTIVE
					? MEDIA_DTLS_SERVER : MEDIA_DTLS_CLIENT;
		l->role_known[side] = true;
	}
	gm_local_fill(&g, l, offerer,
		      l->role[offerer] == MEDIA_DTLS_SERVER
			      ? MEDIA_SDP_SETUP_PASSIVE : MEDIA_SDP_SETUP_ACTIVE);
	rc = media_sdp_answer(l->sdp[offerer], sdp, &g.sdp, &plan, out);
	gm_local_clear(&g);
	if (rc || !st) {
		g_free(*out);
		*out = NULL;
		media_sdp_free(sdp);
		if (final2xx) {
			/* The call is answered but cannot carry audio. */
			gm_leg_answered(l, ev);
			g_warning("call %s: the answer has no codec the offer "
				  "had: ending the call", l->call->call_id);
			gm_leg_end(l, 488, "no common codec");
		}
		return gm_refuse_codec(l, reason);
	}
	/* An SDES phone that answered our RTP/SAVP offer keys its side with
	 * the one a=crypto line of its answer. */
	gm_remote_set(l, side, st,
		      l->kind[side] == MEDIA_LEG_SRTP_SDES && st->n_crypto
			      ? &st->crypto[0] : NULL);
	if (l->kind[offerer] == MEDIA_LEG_SRTP_SDES)
		gm_remote_set(l, offerer,
			      &l->sdp[offerer]->streams[l->offer_plan.stream_a],
			      &plan.crypto_a);
	gm_routes_set(l, offerer, &plan);
	media_sdp_free(l->sdp[side]);
	l->sdp[side] = sdp;
	/* Early media (a 1xx answer) leaves the offer open: the 2xx may
	 * carry the answer again, or a different one (RFC 3261 13.2.1). */
	if (ev->is_request || ev->status >= 200)
		l->offerer = -1;
	gm_leg_answered(l, ev);
	return 0;
}
