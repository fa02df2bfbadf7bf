/*
 * gateway/media.h - the media relay as the proxy sees it: every SDP body
 * that crosses the proxy comes here (gateway_media_body()), is rewritten
 * so that media flows through Ovoz when it must, and each call leg's
 * media_session lives as long as its branch or dialog.
 *
 * Keys are rtpengine's: the Call-ID, and per callee leg the branch of the
 * INVITE that reached it. Side A of every session is the caller's, side
 * B the callee's, whichever of them sends the next offer.
 *
 * Which calls are relayed: any call with a WebSocket (browser) party;
 * UDP-to-UDP calls per [media] relay_udp: "always", "never", or "auto"
 * (the default), which relays when either phone is behind NAT: the
 * caller's SDP address differs from where its INVITE came from, or the
 * callee's registered contact differs from where Ovoz reaches it.
 *
 * Threads and ownership: signalling thread only. struct gateway_media owns
 * the media workers, the port pool and the DTLS certificate; sessions are
 * destroyed on release, on gateway_media_free(), and never outlive their
 * call. Events (timeouts, DTLS failures, one-way audio) come back on the
 * signalling thread through the callbacks given at creation.
 */
#ifndef OVOZ_GATEWAY_MEDIA_H
#define OVOZ_GATEWAY_MEDIA_H

#include <stdbool.h>
#include <stddef.h>

#include <json-glib/json-glib.h>

#include "sip/proxy.h"

enum gateway_media_relay_udp {
	GATEWAY_MEDIA_RELAY_AUTO = 0,
	GATEWAY_MEDIA_RELAY_ALWAYS,
	GATEWAY_MEDIA_RELAY_NEVER,
};

/** The media's verdict on a call: Ovoz must end it (@status for a call
 * not yet answered) because of @reason, e.g. "media timeout". */
typedef void (*gateway_media_end_h)(void *arg, const char *call_id,
				    int status, const char *reason);
/** One-way audio on a call, with the plain-words hint. */
typedef void (*gateway_media_note_h)(void *arg, const char *call_id,
				     const char *note);

struct gateway_media_config {
	const char *ip;        /* media sockets bind here; SDP shows it */
	const char *public_ip; /* advertised for 1:1 NAT, or NULL */
	unsigned rtp_lo, rtp_hi;
	enum gateway_media_relay_udp relay_udp;
	unsigned workers;        /* 0: one per core */
	unsigned rtp_timeout_ms; /* 0: 60 s */
	unsigned hold_timeout_ms; /* 0: 10 x rtp_timeout */
	gateway_media_end_h end_h;
	gateway_media_note_h note_h;
	/* Whether the UDP phones of extension @ext are offered SRTP (SDES,
	 * RTP/SAVP) rather than plain RTP/AVP; NULL: never. */
	bool (*sdes_h)(void *arg, const char *ext);
	void *arg;
};

struct gateway_media;

/** Start the workers, the port pool and the certificate. 0 or an errno
 *  value with an operator's message in *@err. */
int gateway_media_new(struct gateway_media **out,
		      const struct gateway_media_config *cfg, char **err);
/** Destroy every session, then stop the workers. NULL is fine. */
void gateway_media_free(struct gateway_media *m);

/** The proxy's hooks.media: see sip_proxy_hooks. */
int gateway_media_body(struct gateway_media *m, const struct sip_media_event *ev,
		       const char *body, size_t len, char **out,
		       size_t *out_len, const char **reason);
/** The proxy's hooks.media_release: @branch NULL ends the whole call. */
void gateway_media_release(struct gateway_media *m, const char *call_id,
			   const char *branch, const char *why);

/** Add "media" (an array of one object per relayed leg pair, with each
 *  side's counters) to @obj for call @call_id, if it is relayed. */
void gateway_media_call_json(struct gateway_media *m, const char *call_id,
			     JsonObject *obj);
/** Prometheus lines for the relay (sessions, ports, packets). */
void gateway_media_metrics(struct gateway_media *m, GString *out);
/** Relayed sessions now. */
unsigned gateway_media_sessions(const struct gateway_media *m);

#endif
