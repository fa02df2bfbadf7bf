/*
 * media/sdp_translate.c - offers and answers from one side's form to the
 * other's. Ovoz relays RTP without transcoding, so a codec passes only when
 * both sides take it; payload type numbers of side A are kept in the offer
 * to B and mapped back by name, rate and channels in the answer.
 */
#include "media/sdp_private.h"

#include <errno.h>
#include <string.h>

/* The codecs Ovoz relays: what WebRTC browsers and SIP softphones share. */
static const struct {
	const char *name;
	uint32_t rate;
	uint8_t channels;
} relayed[] = {
	{ "opus", 48000, 2 },
	{ "G722", 8000, 1 },
	{ "PCMU", 8000, 1 },
	{ "PCMA", 8000, 1 },
};

/* SDES suites Ovoz accepts: both take 30 bytes of key and salt, so one
 * local key serves either. */
static const char *const sdes_suites[] = {
	"AES_CM_128_HMAC_SHA1_80",
	"AES_CM_128_HMAC_SHA1_32",
};

static bool is_dtmf(const struct media_sdp_codec *c)
{
	return g_ascii_strcasecmp(c->name, "telephone-event") == 0;
}

static bool is_relayed(const struct media_sdp_codec *c)
{
	for (size_t i = 0; i < G_N_ELEMENTS(relayed); i++)
		if (g_ascii_strcasecmp(c->name, relayed[i].name) == 0 &&
		    c->rate == relayed[i].rate &&
		    c->channels == relayed[i].channels)
			return true;
	return false;
}

static bool same_codec(const struct media_sdp_codec *a,
		       const struct media_sdp_codec *b)
{
	return g_ascii_strcasecmp(a->name, b->name) == 0 &&
	       a->rate == b->rate && a->channels == b->channels;
}

static const struct media_sdp_codec *find_codec(
	const struct media_sdp_stream *s, const struct media_sdp_codec *like)
{
	for (unsigned i = 0; i < s->n_codecs; i++)
		if (same_codec(&s->codecs[i], like))
			return &s->codecs[i];
	return NULL;
}

static void add_pt(struct media_sdp_plan *plan, const struct media_sdp_codec *a,
		   const struct media_sdp_codec *b)
{
	struct media_sdp_pt *p;

	if (plan->n_pts >= MEDIA_SDP_MAX_CODECS)
		return;
	p = &plan->pts[plan->n_pts++];
	p->pt_a = a->pt;
	p->pt_b = b->pt;
	p->channels = a->channels;
	p->rate = a->rate;
	g_strlcpy(p->name, a->name, sizeof(p->name));
}

static bool local_ok(const struct media_sdp_local *local,
		     enum media_sdp_profile profile)
{
	if (!local->addr || !*local->addr || !local->port)
		return false;
	if (profile == MEDIA_SDP_WEBRTC)
		return local->ice_ufrag && local->ice_pwd && local->fingerprint &&
		       local->setup != MEDIA_SDP_SETUP_NONE;
	if (profile == MEDIA_SDP_SAVP)
		return local->crypto_key != NULL;
	return profile == MEDIA_SDP_AVP;
}

static void add_candidate(struct media_sdp_stream *o, const char *foundation,
			  const char *addr, uint16_t port, uint16_t pref)
{
	struct media_sdp_candidate *c = &o->candidates[o->n_candidates++];

	g_strlcpy(c->foundation, foundation, sizeof(c->foundation));
	c->component = 1;
	/* RFC 8445 5.1.2.1: type preference 126 (host), local preference,
	 * component 1. */
	c->priority = (126u << 24) | ((uint32_t)pref << 8) | (256 - 1);
	g_strlcpy(c->addr, addr, sizeof(c->addr));
	c->port = port;
	g_strlcpy(c->type, "host", sizeof(c->type));
}

/* Transport of the relayed stream from Ovoz's parameters for one side. */
static void fill_transport(struct media_sdp_stream *o,
			   const struct media_sdp_local *local)
{
	const char *proto = media_sdp_profile_proto(o->profile);

	g_strlcpy(o->type, "audio", sizeof(o->type));
	g_strlcpy(o->proto, proto, sizeof(o->proto));
	o->audio = true;
	g_strlcpy(o->addr, local->addr, sizeof(o->addr));
	o->port = local->port;
	if (o->profile == MEDIA_SDP_WEBRTC) {
		/* Browsers require rtcp-mux; a=rtcp points at the same port. */
		o->rtcp_mux = true;
		o->rtcp_port = local->port;
		g_strlcpy(o->ice_ufrag, local->ice_ufrag, sizeof(o->ice_ufrag));
		g_strlcpy(o->ice_pwd, local->ice_pwd, sizeof(o->ice_pwd));
		add_candidate(o, "1", local->addr, local->port, 65535);
		if (local->public_addr && *local->public_addr)
			add_candidate(o, "2", local->public_addr,
				      local->public_port ? local->public_port :
							   local->port, 65534);
		/* Ovoz knows all its candidates up front. */
		o->end_of_candidates = true;
		g_strlcpy(o->fingerprint, local->fingerprint,
			  sizeof(o->fingerprint));
		o->setup = local->setup;
	} else {
		o->rtcp_port = local->rtcp_port;
	}
}

static void add_sdes(struct media_sdp_stream *o, uint32_t tag,
		     const char *suite, const char *key)
{
	struct media_sdp_crypto *c = &o->crypto[o->n_crypto++];

	c->tag = tag;
	g_strlcpy(c->suite, suite, sizeof(c->suite));
	g_snprintf(c->key, sizeof(c->key), "inline:%s", key);
}

/* A rejected copy of an m-line: same type, protocol, formats and mid. */
static void reject(struct media_sdp_stream *o, const struct media_sdp_stream *s)
{
	memset(o, 0, sizeof(*o));
	g_strlcpy(o->type, s->type, sizeof(o->type));
	g_strlcpy(o->proto, s->proto, sizeof(o->proto));
	g_strlcpy(o->formats, *s->formats ? s->formats : "0",
		  sizeof(o->formats));
	g_strlcpy(o->mid, s->mid, sizeof(o->mid));
}

/* Codecs of A's offer that B may take, telephone-event only at the clock
 * rate of a kept codec. Returns the number of audio (non-DTMF) codecs. */
static unsigned filter_codecs(struct media_sdp_stream *o,
			      const struct media_sdp_stream *s,
			      struct media_sdp_plan *plan)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n_codecs; i++)
		if (is_relayed(&s->codecs[i]) && !find_codec(o, &s->codecs[i]))
			o->codecs[o->n_codecs++] = s->codecs[i];
	n = o->n_codecs;
	for (unsigned i = 0; i < s->n_codecs; i++) {
		const struct media_sdp_codec *c = &s->codecs[i];
		bool rate_used = false, rate_taken = false;

		if (!is_dtmf(c))
			continue;
		for (unsigned j = 0; j < o->n_codecs; j++) {
			rate_used |= j < n && o->codecs[j].rate == c->rate;
			rate_taken |= j >= n && o->codecs[j].rate == c->rate;
		}
		if (rate_used && !rate_taken)
			o->codecs[o->n_codecs++] = *c;
	}
	for (unsigned i = 0; i < o->n_codecs; i++)
		add_pt(plan, &o->codecs[i], &o->codecs[i]);
	return n;
}

/* Where the relayed stream goes in an offer to B: the audio slot of B's
 * last SDP (browsers require a re-offer to keep every m-line), else one
 * m-line of its own. */
static unsigned shape_offer(struct media_sdp *model,
			    const struct media_sdp_local *local)
{
	const struct media_sdp *prev = local->prev_b;
	unsigned slot = 0;

	if (!prev || !prev->n_streams) {
		model->n_streams = 1;
		return 0;
	}
	if (!media_sdp_audio(prev, &slot))
		for (slot = 0; slot + 1 < prev->n_streams; slot++)
			if (strcmp(prev->streams[slot].type, "audio") == 0)
				break;
	for (unsigned i = 0; i < prev->n_streams; i++)
		reject(&model->streams[i], &prev->streams[i]);
	model->n_streams = prev->n_streams;
	return slot;
}

static int build_offer(struct media_sdp *model, const struct media_sdp *offer,
		       const struct media_sdp *prev,
		       const struct media_sdp_local *local,
		       struct media_sdp_plan *plan, char **out)
{
	const struct media_sdp_stream *s;
	struct media_sdp_stream *o;
	unsigned index, slot;
	int rc;

	memset(plan, 0, sizeof(*plan));
	if (!local_ok(local, local->profile))
		return EINVAL;
	s = media_sdp_audio(offer, &index);
	if (!s)
		return ENOTSUP;
	slot = shape_offer(model, local);
	o = &model->streams[slot];
	if (filter_codecs(o, s, plan) == 0)
		return ENOTSUP;
	o->profile = local->profile;
	fill_transport(o, local);
	o->dir = s->dir;
	o->ptime = s->ptime;
	o->maxptime = s->maxptime;
	o->n_ssrc = s->n_ssrc;
	memcpy(o->ssrc, s->ssrc, sizeof(o->ssrc));
	if (local->profile == MEDIA_SDP_WEBRTC) {
		/* Keep B's mid on a re-offer, else A's, else "0". */
		if (!*o->mid)
			g_strlcpy(o->mid, *s->mid ? s->mid : "0", sizeof(o->mid));
		model->bundle = true;
		g_strlcpy(model->bundle_mids, o->mid, sizeof(model->bundle_mids));
		model->ice_lite = local->ice_lite;
	} else {
		o->mid[0] = '\0';
	}
	if (local->profile == MEDIA_SDP_SAVP)
		for (size_t i = 0; i < G_N_ELEMENTS(sdes_suites); i++)
			add_sdes(o, i + 1, sdes_suites[i], local->crypto_key);
	model->sess_id = local->sess_id;
	model->sess_version = local->sess_version;
	rc = media_sdp_print(model, local->addr, out);
	if (rc)
		return rc;
	plan->stream_a = index;
	plan->stream_b = slot;
	plan->dir = s->dir;
	plan->ice_restart = prev && media_sdp_is_ice_restart(prev, offer);
	plan->rtcp_mux_a = s->rtcp_mux;
	plan->rtcp_mux_b = o->rtcp_mux;
	return 0;
}

/* Codecs B accepted, with A's payload types and B's fmtp (what B wants to
 * receive, which is what Ovoz forwards); telephone-event only at the rate
 * of the first (chosen) codec. */
static void answer_codecs(struct media_sdp_stream *o,
			  const struct media_sdp_stream *sa,
			  const struct media_sdp_stream *sb,
			  struct media_sdp_plan *plan)
{
	for (unsigned i = 0; i < sb->n_codecs; i++) {
		const struct media_sdp_codec *b = &sb->codecs[i];
		const struct media_sdp_codec *a = find_codec(sa, b);

		if (!a || !is_relayed(b) || find_codec(o, b))
			continue;
		o->codecs[o->n_codecs] = *b;
		o->codecs[o->n_codecs++].pt = a->pt;
		add_pt(plan, a, b);
	}
	for (unsigned i = 0; o->n_codecs && i < sb->n_codecs; i++) {
		const struct media_sdp_codec *b = &sb->codecs[i];
		const struct media_sdp_codec *a = find_codec(sa, b);

		if (!a || !is_dtmf(b) || b->rate != o->codecs[0].rate)
			continue;
		o->codecs[o->n_codecs] = *b;
		o->codecs[o->n_codecs++].pt = a->pt;
		add_pt(plan, a, b);
		break;
	}
}

/* RFC 3264 6.1: an answer to sendonly is recvonly or inactive, and so on.
 * Some phones answer sendrecv to anything; Ovoz's answer to A stays valid
 * by keeping only what A's offer allows. */
static enum media_sdp_dir answer_dir(enum media_sdp_dir offered,
				     enum media_sdp_dir answered)
{
	unsigned allowed = 0;

	if (offered & MEDIA_SDP_SENDONLY)
		allowed |= MEDIA_SDP_RECVONLY;
	if (offered & MEDIA_SDP_RECVONLY)
		allowed |= MEDIA_SDP_SENDONLY;

	return answered & allowed;
}

/* The first SDES line of A's offer with a suite Ovoz takes. */
static const struct media_sdp_crypto *
pick_sdes(const struct media_sdp_stream *s)
{
	for (unsigned i = 0; i < s->n_crypto; i++)
		for (size_t j = 0; j < G_N_ELEMENTS(sdes_suites); j++)
			if (strcmp(s->crypto[i].suite, sdes_suites[j]) == 0 &&
			    g_str_has_prefix(s->crypto[i].key, "inline:"))
				return &s->crypto[i];
	return NULL;
}

/* Security of the answer to A: SDES key or DTLS role. */
static int answer_security(struct media_sdp_stream *o,
			   const struct media_sdp_stream *sa,
			   const struct media_sdp_local *local,
			   struct media_sdp_plan *plan)
{
	const struct media_sdp_crypto *c;

	if (sa->profile == MEDIA_SDP_SAVP) {
		c = pick_sdes(sa);
		if (!c)
			return ENOTSUP;
		add_sdes(o, c->tag, c->suite, local->crypto_key);
		plan->crypto_a = *c;
	}
	/* An answerer never says actpass (RFC 5763 5). */
	if (sa->profile == MEDIA_SDP_WEBRTC &&
	    local->setup == MEDIA_SDP_SETUP_ACTPASS)
		return EINVAL;
	return 0;
}

static int build_answer(struct media_sdp *model,
			const struct media_sdp *offer,
			const struct media_sdp *answer,
			const struct media_sdp_local *local,
			struct media_sdp_plan *plan, char **out)
{
	const struct media_sdp_stream *sa, *sb;
	struct media_sdp_stream *o;
	unsigned ia, ib;
	int rc;

	memset(plan, 0, sizeof(*plan));
	sa = media_sdp_audio(offer, &ia);
	sb = media_sdp_audio(answer, &ib);
	if (!sa || !sb)
		return ENOTSUP;
	if (!local_ok(local, sa->profile))
		return EINVAL;
	for (unsigned i = 0; i < offer->n_streams; i++)
		reject(&model->streams[i], &offer->streams[i]);
	model->n_streams = offer->n_streams;
	o = &model->streams[ia];
	answer_codecs(o, sa, sb, plan);
	if (o->n_codecs == 0)
		return ENOTSUP;
	o->profile = sa->profile;
	fill_transport(o, local);
	/* Answer in A's own protocol name (RTP/AVPF stays RTP/AVPF). */
	g_strlcpy(o->proto, sa->proto, sizeof(o->proto));
	o->rtcp_mux = sa->rtcp_mux;
	rc = answer_security(o, sa, local, plan);
	if (rc)
		return rc;
	o->dir = answer_dir(sa->dir, sb->dir);
	o->ptime = sb->ptime;
	o->maxptime = sb->maxptime;
	o->n_ssrc = sb->n_ssrc;
	memcpy(o->ssrc, sb->ssrc, sizeof(o->ssrc));
	/* Chromium refuses an answer without BUNDLE to a max-bundle offer;
	 * only the accepted mid belongs in the group. */
	if (offer->bundle && *o->mid) {
		model->bundle = true;
		g_strlcpy(model->bundle_mids, o->mid, sizeof(model->bundle_mids));
	}
	model->ice_lite = sa->profile == MEDIA_SDP_WEBRTC && local->ice_lite;
	model->sess_id = local->sess_id;
	model->sess_version = local->sess_version;
	rc = media_sdp_print(model, local->addr, out);
	if (rc)
		return rc;
	plan->stream_a = ia;
	plan->stream_b = ib;
	plan->dir = o->dir;
	plan->rtcp_mux_a = o->rtcp_mux;
	plan->rtcp_mux_b = sb->rtcp_mux;
	if (sb->profile == MEDIA_SDP_SAVP && sb->n_crypto)
		plan->crypto_b = sb->crypto[0];
	return 0;
}

/* The output model (room for every m-line, ~70 KiB) is on the heap. */
int media_sdp_offer(const struct media_sdp *offer, const struct media_sdp *prev,
		    const struct media_sdp_local *local,
		    struct media_sdp_plan *plan, char **out)
{
	struct media_sdp *model = media_sdp_alloc(MEDIA_SDP_MAX_STREAMS);
	int rc = build_offer(model, offer, prev, local, plan, out);

	if (rc)
		memset(plan, 0, sizeof(*plan));
	g_free(model);
	return rc;
}

int media_sdp_answer(const struct media_sdp *offer,
		     const struct media_sdp *answer,
		     const struct media_sdp_local *local,
		     struct media_sdp_plan *plan, char **out)
{
	struct media_sdp *model = media_sdp_alloc(MEDIA_SDP_MAX_STREAMS);
	int rc = build_answer(model, offer, answer, local, plan, out);

	if (rc)
		memset(plan, 0, sizeof(*plan));
	g_free(model);
	return rc;
}
