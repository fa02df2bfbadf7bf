/*
 * media/session.h - the media relay of one call: two legs (A, the caller's
 * side, and B, the callee's), each a WebRTC peer (ICE-lite, DTLS-SRTP,
 * rtcp-mux), a plain RTP/AVP peer (symmetric RTP, RTCP on port+1 or
 * muxed) or an SDES RTP/SAVP peer; RTP and RTCP cross from one leg to the
 * other with SRTP translated and payload types mapped.
 *
 * SDP is not parsed here: signalling decides the parameters and gives
 * them, in two steps (offer, then answer) and again on re-INVITE.
 *
 * Threads and ownership:
 * - A session is created on the signalling thread and lives on one media
 *   worker (media_workers_pick()). Every function below is for the
 *   signalling thread unless it says otherwise; changes reach the worker
 *   by message passing (media_worker_invoke) and apply in call order.
 * - Reference counted (atomic): media_session_new() returns a reference
 *   for the caller; the worker holds its own while the session runs.
 *   media_session_destroy() (idempotent) stops the relay, closes DTLS and
 *   returns the ports; the memory goes with the last unref.
 * - Events are delivered on the GMainContext given at creation, never
 *   after media_session_destroy() returned on that context's thread. An
 *   event waiting to be delivered holds a reference: keep running that
 *   context until it is idle before exiting, or the session leaks.
 * - Statistics are a snapshot the worker refreshes at each tick (at least
 *   once a second), readable from any thread without touching the packet
 *   path.
 */
#ifndef OVOZ_MEDIA_SESSION_H
#define OVOZ_MEDIA_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <glib.h>

#include "media/cert.h"
#include "media/dtls.h"
#include "media/ice.h"
#include "media/port.h"
#include "media/srtp.h"
#include "media/worker.h"

enum media_leg_id { MEDIA_LEG_A = 0, MEDIA_LEG_B = 1 };

enum media_leg_kind {
	MEDIA_LEG_WEBRTC,    /* UDP/TLS/RTP/SAVPF: ICE-lite + DTLS-SRTP */
	MEDIA_LEG_RTP,       /* RTP/AVP */
	MEDIA_LEG_SRTP_SDES, /* RTP/SAVP with a=crypto keys */
};

/* The direction the leg's endpoint declared in its SDP. */
enum media_direction {
	MEDIA_DIR_SENDRECV = 0,
	MEDIA_DIR_SENDONLY, /* it sends, it does not want to receive */
	MEDIA_DIR_RECVONLY,
	MEDIA_DIR_INACTIVE,
};

enum media_session_event_kind {
	MEDIA_SESSION_EVENT_DTLS_CONNECTED,
	MEDIA_SESSION_EVENT_DTLS_FAILED,    /* reason: e.g. a fingerprint
					       mismatch */
	MEDIA_SESSION_EVENT_CONSENT_EXPIRED,/* the browser stopped checking */
	MEDIA_SESSION_EVENT_RTP_TIMEOUT,    /* nothing either way */
	MEDIA_SESSION_EVENT_ONE_WAY,        /* leg = the silent side */
	MEDIA_SESSION_EVENT_MEDIA_FLOWING,  /* first RTP both ways */
};

struct media_session_event {
	enum media_session_event_kind kind;
	enum media_leg_id leg; /* the leg it concerns */
	const char *reason;    /* plain words for the operator, or NULL */
	/*
	 * MEDIA_FLOWING only, for set-up timing: microseconds from the first
	 * valid ICE check on any WebRTC leg to the last WebRTC leg's DTLS
	 * keying and to the first RTP both ways; -1 when no WebRTC leg was
	 * checked (plain legs only) or, for dtls_us, not keyed. Measured on
	 * the worker's monotonic clock; nothing is read on the packet path.
	 */
	int64_t dtls_us;
	int64_t flowing_us;
};

struct media_session;

/** An event, on the creator's context. @ev and its strings are borrowed. */
typedef void (*media_session_event_h)(struct media_session *s,
				      const struct media_session_event *ev,
				      void *arg);

struct media_session_config {
	struct media_worker *worker;    /* where it runs (borrowed) */
	struct media_port_pool *pool;   /* ports come from here */
	struct media_cert *cert;        /* for WebRTC legs; referenced */
	enum media_leg_kind kind[2];    /* per leg, fixed for the session */
	GMainContext *event_context;    /* NULL: the default context */
	media_session_event_h event_h;  /* may be NULL */
	void *arg;
	/* Timeouts in ms; 0 means the default in brackets. */
	unsigned rtp_timeout_ms;        /* no RTP either way [60000] */
	unsigned hold_timeout_ms;       /* the same on hold [10 x rtp] */
	unsigned one_way_ms;            /* one direction silent [5000] */
	int64_t consent_timeout_us;     /* ICE consent [30 s] */
};

/* What the SDP needs to say about our side of a leg (copied out). */
struct media_leg_local {
	uint16_t rtp_port;
	uint16_t rtcp_port;                    /* 0 for WebRTC (muxed) */
	char ice_ufrag[MEDIA_ICE_CRED_MAX + 1]; /* "" unless WebRTC */
	char ice_pwd[MEDIA_ICE_CRED_MAX + 1];
	char fingerprint[MEDIA_CERT_FINGERPRINT_MAX]; /* "sha-256 AB:.." */
	struct media_srtp_key sdes_key;        /* our a=crypto key (SDES) */
};

/* The peer's side of a leg, from its SDP (fields of other kinds ignored). */
struct media_leg_remote {
	/* WebRTC */
	const char *ice_ufrag;       /* NULL: not known yet */
	const char *fingerprint;     /* "sha-256 AB:..", NULL: not yet */
	bool dtls_role_set;          /* false: keep the role already set */
	enum media_dtls_role dtls_role; /* the role WE play */
	/* RTP and SDES */
	const struct sockaddr *rtp;  /* signalled address, or NULL */
	socklen_t rtp_len;
	const struct sockaddr *rtcp; /* NULL: rtcp-mux */
	socklen_t rtcp_len;
	/* SDES: the peer's key (profile NONE: not yet) */
	struct media_srtp_key sdes_key;
	enum media_direction direction;
};

/* One payload type's route: what leg A calls it and what leg B calls it. */
struct media_pt_route {
	uint8_t pt_a, pt_b;
	unsigned clock_rate; /* Hz, for jitter (0: 8000) */
};

/* Counters of one leg (what its endpoint sent us / what we sent it). */
struct media_leg_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t rx_lost;          /* from sequence gaps */
	double rx_jitter_ms;       /* RFC 3550 estimate */
	int64_t rx_age_ms;         /* since its last packet, -1: never */
	uint64_t dropped;          /* unknown PT, not keyed, hold, bad SRTP */
	char peer[64];             /* "IP:PORT" where we send, "" if none */
	bool latched;              /* plain: peer learnt from its packets */
	bool dtls_settled;         /* WebRTC: DTLS state freed, keys kept */
};

/**
 * media_session_new() - allocate both legs' ports (and ICE credentials,
 * SDES keys) now, so the SDP can be written at once, and start the
 * session on @cfg->worker. Returns 0, EINVAL, or a port allocation error
 * (ENOSPC, EADDRINUSE: media_port_alloc()). *@out only on success (a new
 * reference).
 */
int media_session_new(struct media_session **out,
		      const struct media_session_config *cfg);

/** New / dropped reference. Any thread. unref(NULL) is fine. */
struct media_session *media_session_ref(struct media_session *s);
void media_session_unref(struct media_session *s);

/**
 * media_session_destroy() - stop relaying, send DTLS close_notify, drop
 * timers and sockets on the worker; no event is delivered after it.
 * Idempotent. Signalling thread.
 */
void media_session_destroy(struct media_session *s);

/** Our side of leg @leg, copied to @out (changes after an ICE restart). */
void media_session_local(struct media_session *s, enum media_leg_id leg,
			 struct media_leg_local *out);

/**
 * media_session_set_remote() - the peer's parameters of @leg (copied).
 * WebRTC: DTLS starts once the role is known (a client sends its
 * ClientHello when ICE has a pair); a new fingerprint on a connected leg
 * restarts DTLS. Returns 0 or EINVAL (bad fingerprint or credentials).
 */
int media_session_set_remote(struct media_session *s, enum media_leg_id leg,
			     const struct media_leg_remote *r);

/**
 * media_session_set_routes() - the payload types that cross (replacing
 * the previous list; copied): RTP with any other payload type is dropped.
 * Returns 0 or EINVAL (a PT above 127).
 */
int media_session_set_routes(struct media_session *s,
			     const struct media_pt_route *routes, size_t n);

/** The direction @leg's endpoint declared (also in set_remote). */
void media_session_set_direction(struct media_session *s,
				 enum media_leg_id leg, enum media_direction d);

/**
 * media_session_answered() - the call was answered: the RTP timeout and
 * the one-way detector count from now, not from the session's creation,
 * so a long ringing without early media is not mistaken for dead media.
 */
void media_session_answered(struct media_session *s);

/**
 * media_session_ice_restart() - new local ICE credentials for a WebRTC
 * leg (read them with media_session_local()); the remote ufrag comes with
 * the next set_remote. Returns 0, EINVAL (not WebRTC) or EIO.
 */
int media_session_ice_restart(struct media_session *s, enum media_leg_id leg);

/** The latest statistics snapshot of @leg. Any thread. */
void media_session_stats(struct media_session *s, enum media_leg_id leg,
			 struct media_leg_stats *out);

/** Constant names for logs ("dtls-connected", "A"). */
const char *media_session_event_name(enum media_session_event_kind k);
const char *media_leg_name(enum media_leg_id leg);

#endif
