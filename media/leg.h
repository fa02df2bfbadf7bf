/*
 * media/leg.h - private to media/: the worker side of a session (struct
 * layout shared by session.c, the signalling-side API, and leg.c, the
 * packet path, DTLS/SRTP keying and the timeout checks).
 */
#ifndef OVOZ_MEDIA_LEG_H
#define OVOZ_MEDIA_LEG_H

#include "media/rtp.h"
#include "media/session.h"
#include "media/stream.h"

#define LEG_NO_ROUTE 0xff

struct media_session;

/* DTLS datagrams that came before the role was known: the browser's
 * ClientHello (two datagrams from Chromium) can beat the SIP answer. */
#define LEG_EARLY_MAX 4
#define LEG_EARLY_SIZE 1500
struct leg_early {
	unsigned n;
	size_t len[LEG_EARLY_MAX];
	uint8_t buf[LEG_EARLY_MAX][LEG_EARLY_SIZE];
};

/* One side of the call. Everything here belongs to the worker thread. */
struct leg {
	/* What every packet reads comes first. */
	struct media_session *session; /* borrowed: the leg is inside it */
	enum media_leg_id id;
	enum media_leg_kind kind;
	struct media_stream *stream;
	struct media_srtp *srtp;
	struct media_dtls *dtls;
	bool dtls_settled; /* its SSL object freed (media_dtls_settle) */
	bool role_set;
	bool one_way_reported;
	enum media_direction dir;
	/* statistics */
	uint32_t rx_clock; /* Hz of the last packet's payload type */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, dropped;
	int64_t first_rx_us, last_rx_us;
	struct media_rtp_rx rx;
	/* Cold: set-up and hints. */
	int64_t dtls_us; /* monotonic time DTLS first keyed SRTP, 0: not yet */
	struct leg_early *early; /* NULL unless DTLS came early */
	/* Where the browser's last DTLS datagram came from (a validated
	 * address): our flights go there until ICE has a selected pair. */
	struct sockaddr_storage dtls_from;
	socklen_t dtls_from_len;
	enum media_dtls_role role;
	char fingerprint[MEDIA_CERT_FINGERPRINT_MAX]; /* "" if not known */
	struct media_srtp_key sdes_tx, sdes_rx;
	char signalled[64]; /* "IP:PORT" from SDP, for hints */
};

struct media_session {
	/* fixed at creation */
	struct media_worker *worker;
	struct media_cert *cert;
	GMainContext *event_ctx;
	media_session_event_h event_h;
	void *arg;
	unsigned rtp_timeout_ms, hold_timeout_ms, one_way_ms;
	int64_t consent_us;
	/* signalling thread */
	gint destroyed;
	struct media_leg_local local[2];
	/* worker thread; the flags every packet reads sit next to legs[0] */
	bool stopped, flowing_reported, timeout_reported;
	struct leg legs[2];
	uint8_t route[2][128];   /* [from leg][pt] -> pt on the other leg */
	uint32_t clock[2][128];  /* [leg][pt] -> clock rate */
	struct media_worker_timer tick;
	int64_t started_us;
	/* any thread, under stats_lock (never taken on the packet path) */
	GMutex stats_lock;
	struct media_leg_stats stats[2];
};

/** Post an event to the signalling context (worker thread; @fmt may be
 *  NULL). The text is formatted once, off the packet path. */
void media_session_post(struct media_session *s,
			enum media_session_event_kind kind,
			enum media_leg_id leg, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

/** Post @ev as it is (its reason must be NULL). Worker thread. */
void media_session_post_event(struct media_session *s,
			      const struct media_session_event *ev);

/* The stream handlers of a leg (packet path, ICE events); arg: the leg. */
void media_leg_packet(struct media_stream *st, enum media_demux_kind kind,
		      const uint8_t *buf, size_t len,
		      const struct sockaddr *from, socklen_t from_len,
		      void *arg);
void media_leg_stream_event(struct media_stream *st,
			    enum media_stream_event ev, void *arg);

/** (Re)make the DTLS endpoint of a WebRTC leg with its role and
 *  fingerprint; starts it when ICE already has a pair. Worker thread. */
void media_leg_dtls_reset(struct leg *l);
/** (Re)key SDES from the leg's keys when both are known. Worker thread. */
void media_leg_sdes_rekey(struct leg *l);
/** Stop the leg: close DTLS, stop the stream, wipe keys. Worker thread. */
void media_leg_stop(struct leg *l);
/** "IP:PORT" ("[IPv6]:PORT") of @ss, "" if not IP. Pure. */
void media_leg_addr_text(const struct sockaddr_storage *ss, char *out,
			 size_t cap);
/** Timeout and one-way checks plus the stats snapshot. Worker thread. */
void media_leg_tick(struct media_session *s, int64_t now);

#endif
