/*
 * media/sdp.h - SDP translation between WebRTC (UDP/TLS/RTP/SAVPF with ICE
 * and DTLS-SRTP), SDES (RTP/SAVP with a=crypto) and plain RTP/AVP.
 *
 * Everything here is a pure function: no I/O, no globals, no state kept
 * between calls, so it can be called from any thread and fuzzed. sofia-sip
 * parses and prints the SDP; the model below is what Ovoz needs from it.
 *
 * A call has two sides. Side A sent an offer; Ovoz translates it into an
 * offer for side B (media_sdp_offer()), then translates B's answer back into
 * an answer to A's offer (media_sdp_answer()). Each direction works the same
 * for initial offers and re-offers (hold, resume, ICE restart).
 */
#ifndef OVOZ_MEDIA_SDP_H
#define OVOZ_MEDIA_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

enum {
	MEDIA_SDP_MAX_STREAMS = 8,	/* m-lines kept; more: EINVAL */
	MEDIA_SDP_MAX_CODECS = 16,	/* RTP formats kept per m-line */
	MEDIA_SDP_MAX_CANDIDATES = 16,	/* UDP candidates kept per m-line */
	MEDIA_SDP_MAX_CRYPTO = 4,	/* a=crypto lines kept per m-line */
	MEDIA_SDP_MAX_SSRC = 4,		/* a=ssrc cname lines kept per m-line */
	MEDIA_SDP_MAX_BODY = 65536,	/* larger bodies are refused */
};

/** How a side carries its media. */
enum media_sdp_profile {
	MEDIA_SDP_OTHER = 0,	/* not RTP (data channel, T.38...) */
	MEDIA_SDP_AVP,		/* RTP/AVP: plain RTP */
	MEDIA_SDP_SAVP,		/* RTP/SAVP: SRTP keyed by SDES a=crypto */
	MEDIA_SDP_WEBRTC,	/* UDP/TLS/RTP/SAVPF: ICE + DTLS-SRTP */
};

/** Media direction, as written by the author of the SDP (same values as
 * sofia-sip's sdp_mode_t). */
enum media_sdp_dir {
	MEDIA_SDP_INACTIVE = 0,
	MEDIA_SDP_SENDONLY = 1,
	MEDIA_SDP_RECVONLY = 2,
	MEDIA_SDP_SENDRECV = 3,
};

/** DTLS role (a=setup, RFC 4145 / RFC 5763). */
enum media_sdp_setup {
	MEDIA_SDP_SETUP_NONE = 0,
	MEDIA_SDP_SETUP_ACTPASS,
	MEDIA_SDP_SETUP_ACTIVE,
	MEDIA_SDP_SETUP_PASSIVE,
	MEDIA_SDP_SETUP_HOLDCONN,
};

/** One RTP format of an m-line (telephone-event included). */
struct media_sdp_codec {
	uint8_t pt;
	uint8_t channels;	/* 1 unless the rtpmap says otherwise */
	uint32_t rate;		/* RTP clock rate */
	char name[32];		/* encoding name as written ("opus") */
	char fmtp[256];		/* a=fmtp parameters, "" if none */
};

/** One ICE candidate (UDP only). */
struct media_sdp_candidate {
	char foundation[33];
	uint16_t component;
	uint32_t priority;
	char addr[64];
	uint16_t port;
	char type[8];		/* host, srflx, prflx, relay */
};

/** One SDES key (RFC 4568). */
struct media_sdp_crypto {
	uint32_t tag;
	char suite[48];
	char key[128];		/* the whole key-params, "inline:..." */
};

/** One m-line. */
struct media_sdp_stream {
	char type[16];		/* "audio", "video", "application"... */
	char proto[32];		/* transport protocol as written */
	char formats[128];	/* format list of a non-RTP or rejected line */
	bool audio;		/* an audio m-line Ovoz can relay */
	enum media_sdp_profile profile;
	char addr[64];		/* c= address (media or session level) */
	uint16_t port;		/* 0: rejected or disabled */
	uint16_t rtcp_port;	/* a=rtcp, else 0 (meaning port + 1) */
	bool rtcp_mux;
	enum media_sdp_dir dir;
	char mid[33];
	unsigned n_codecs;
	struct media_sdp_codec codecs[MEDIA_SDP_MAX_CODECS];
	char ice_ufrag[257];	/* media level, else session level */
	char ice_pwd[257];
	bool ice_trickle;	/* a=ice-options:trickle */
	bool end_of_candidates;
	unsigned n_candidates;
	struct media_sdp_candidate candidates[MEDIA_SDP_MAX_CANDIDATES];
	char fingerprint[160];	/* sha-256 value, "AB:CD:..." */
	enum media_sdp_setup setup;
	unsigned n_crypto;
	struct media_sdp_crypto crypto[MEDIA_SDP_MAX_CRYPTO];
	/* a=ssrc "<ssrc> cname:<cname>" lines: the relay keeps SSRCs, so
	 * the other side learns them before the first packet (a browser
	 * then plays the first packet at once). Other ssrc attributes
	 * (msid, label) are not kept. */
	unsigned n_ssrc;
	char ssrc[MEDIA_SDP_MAX_SSRC][128];
	unsigned ptime;		/* a=ptime, 0 if absent */
	unsigned maxptime;	/* a=maxptime, 0 if absent */
};

/** A parsed SDP body. */
struct media_sdp {
	uint64_t sess_id;
	uint64_t sess_version;
	bool ice_lite;		/* session-level a=ice-lite */
	bool bundle;		/* a=group:BUNDLE present */
	char bundle_mids[128];	/* its mids, space separated */
	unsigned n_streams;
	/* n_streams of them: a parsed SDP is sized to its m-lines (one
	 * stream is 8.6 KiB, and a relayed call keeps each side's last SDP). */
	struct media_sdp_stream streams[];
};

/** A zeroed model with room for @n streams (n_streams still 0); free with
 *  media_sdp_free(). Any thread. */
struct media_sdp *media_sdp_alloc(unsigned n);

/** Ovoz's own parameters for the side an SDP is rendered for. Strings are
 * borrowed for the duration of the call; NULL means absent. */
struct media_sdp_local {
	enum media_sdp_profile profile;	/* for offers; answers follow the offer */
	const char *addr;		/* media address (c=, host candidate) */
	uint16_t port;			/* RTP port */
	uint16_t rtcp_port;		/* 0: RTP port + 1, not written */
	const char *public_addr;	/* advertised extra host candidate */
	uint16_t public_port;		/* 0: same as port */
	const char *ice_ufrag;		/* WebRTC */
	const char *ice_pwd;
	bool ice_lite;			/* write a=ice-lite */
	const char *fingerprint;	/* sha-256 "AB:CD:..." */
	enum media_sdp_setup setup;	/* role to write, decided by DTLS */
	const char *crypto_key;		/* SDES: base64 of 30 bytes */
	uint64_t sess_id;		/* o= id: the same for a whole call */
	uint64_t sess_version;		/* o= version: one more per new SDP */
	const struct media_sdp *prev_b;	/* offers: B's last SDP, whose m-lines
					   a re-offer keeps; NULL at first */
};

/** A payload type as known on both sides. */
struct media_sdp_pt {
	uint8_t pt_a;		/* number used towards side A */
	uint8_t pt_b;		/* number used towards side B */
	uint8_t channels;
	uint32_t rate;
	char name[32];
};

/** What the relay needs from one translation. */
struct media_sdp_plan {
	unsigned stream_a;	/* index of the relayed m-line in A's SDP */
	unsigned stream_b;	/* index of the relayed m-line in B's SDP */
	enum media_sdp_dir dir;	/* direction of the translated SDP */
	bool ice_restart;	/* A's re-offer changed ICE ufrag/pwd */
	bool rtcp_mux_a;	/* RTCP multiplexed towards A */
	bool rtcp_mux_b;	/* RTCP multiplexed towards B */
	unsigned n_pts;		/* first entry: preferred codec */
	struct media_sdp_pt pts[MEDIA_SDP_MAX_CODECS];
	struct media_sdp_crypto crypto_a; /* answers: A's SDES line chosen */
	struct media_sdp_crypto crypto_b; /* answers: B's SDES line */
};

/**
 * Parse an SDP body. Any thread. Returns 0 and a new model in *out (free
 * with media_sdp_free()), EINVAL when sofia-sip rejects the body, it has
 * more than MEDIA_SDP_MAX_STREAMS m-lines, a NUL byte or an m= line that is
 * not tokens (inputs that make sofia-sip 1.12.11 loop or exhaust memory),
 * E2BIG above MEDIA_SDP_MAX_BODY.
 * Extra codecs, candidates and crypto lines beyond the limits are ignored;
 * TCP and mDNS (".local") candidates are dropped.
 */
int media_sdp_parse(struct media_sdp **out, const uint8_t *buf, size_t len);

/** Free a model from media_sdp_parse(). NULL is fine. */
void media_sdp_free(struct media_sdp *sdp);

/**
 * The m-line Ovoz relays: the first audio m-line with a non-zero port and
 * an RTP profile. Returns a borrowed pointer into @sdp and its index in
 * *index (if not NULL), or NULL when there is none.
 */
const struct media_sdp_stream *media_sdp_audio(const struct media_sdp *sdp,
					       unsigned *index);

/**
 * Whether @now changes the ICE credentials of the relayed stream compared
 * with @before (an ICE restart, RFC 8839). False when either has no ICE.
 */
bool media_sdp_is_ice_restart(const struct media_sdp *before,
			      const struct media_sdp *now);

/**
 * Translate side A's offer @offer into an offer for side B in the form
 * @local->profile. Codecs are filtered to PCMU, PCMA, G722, opus and
 * telephone-event (at rates of the kept codecs), payload types kept.
 * @prev: A's previous SDP in this dialog or NULL; sets plan->ice_restart.
 * Returns 0 with a new string in *out (g_free) and @plan filled; ENOTSUP
 * when there is no audio m-line or no common codec (answer 488); EINVAL
 * when @local lacks what the profile needs.
 */
int media_sdp_offer(const struct media_sdp *offer, const struct media_sdp *prev,
		    const struct media_sdp_local *local,
		    struct media_sdp_plan *plan, char **out);

/**
 * Translate side B's answer @answer (to the offer media_sdp_offer() made
 * from @offer) into Ovoz's answer to side A's @offer, in A's profile: same
 * m-lines in the same order, other m-lines rejected with port 0, mid and
 * BUNDLE echoed, a=setup from @local->setup, codecs those B accepted with
 * A's payload type numbers. Returns 0 with *out (g_free) and @plan; ENOTSUP
 * when B accepted no codec A offered or rejected the stream; EINVAL when
 * @local lacks what A's profile needs.
 */
int media_sdp_answer(const struct media_sdp *offer,
		     const struct media_sdp *answer,
		     const struct media_sdp_local *local,
		     struct media_sdp_plan *plan, char **out);

/** Name of a direction or DTLS setup role as written in SDP ("" if
 * unknown). Any thread; static strings. */
const char *media_sdp_dir_name(enum media_sdp_dir dir);
const char *media_sdp_setup_name(enum media_sdp_setup setup);

#endif
