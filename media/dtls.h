/*
 * media/dtls.h - one DTLS-SRTP endpoint per media stream (RFC 5764), over
 * memory: datagrams come in through media_dtls_receive() (the caller's
 * ICE socket demultiplexes them) and go out through a send callback.
 *
 * The role is decided by SDP (`a=setup`, RFC 5763) and given by the caller:
 * a client sends the ClientHello when media_dtls_start() is called, a
 * server waits for one. The role never changes: an endpoint that answered
 * setup:passive must never have started a ClientHello.
 *
 * After the handshake the peer's certificate must match the SDP fingerprint
 * (compared in constant time), then the SRTP master keys are exported
 * ("EXTRACTOR-dtls_srtp") and split per RFC 5764 §4.2 into the local (tx)
 * and remote (rx) keys for the negotiated profile.
 *
 * Settling: once connected, the SSL object is needed only to answer a
 * retransmitted final flight (ours was lost, so the peer repeats its own)
 * and to write close_notify. media_dtls_settle() - called when an SRTP
 * packet from the peer authenticates, which proves the peer finished, or
 * by the endpoint itself MEDIA_DTLS_SETTLE_MS after connecting - writes
 * the close_notify record ahead, then frees the SSL object (buffers, the
 * last flight, the session, the peer certificate): about 70 KiB less per
 * leg. Keys, state and the verified fingerprint stay; DTLS datagrams that
 * come after are dropped (a close_notify from the peer is not reported).
 *
 * Threading: an endpoint belongs to one GMainContext (a media worker's);
 * every call, and every callback, happens on the thread that runs it. The
 * retransmission timer is a GSource attached to that context.
 * Ownership: reference-counted; media_dtls_destroy() unlinks (stops the
 * timer and callbacks, idempotent), the last unref frees. Callbacks may
 * destroy and unref the endpoint.
 */
#ifndef OVOZ_MEDIA_DTLS_H
#define OVOZ_MEDIA_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "media/cert.h"
#include "media/srtp.h"

/* Default largest datagram: fits inside any path MTU with ICE/IPv6 room. */
#define MEDIA_DTLS_MTU 1200
/* Smallest MTU OpenSSL accepts for DTLS. */
#define MEDIA_DTLS_MTU_MIN 256
/* Connected to settled at the latest: twice the longest retransmission
 * interval (2.5 s), so a peer that lost our last flight has asked again. */
#define MEDIA_DTLS_SETTLE_MS 5000

enum media_dtls_role {
	MEDIA_DTLS_CLIENT, /* a=setup:active: we send the ClientHello */
	MEDIA_DTLS_SERVER, /* a=setup:passive: we wait for one */
};

enum media_dtls_state {
	MEDIA_DTLS_NEW,
	MEDIA_DTLS_CONNECTING, /* handshake, or waiting for the fingerprint */
	MEDIA_DTLS_CONNECTED,  /* keys available */
	MEDIA_DTLS_FAILED,     /* media_dtls_error() says why */
	MEDIA_DTLS_CLOSED,     /* close_notify sent or received */
};

enum media_dtls_event {
	MEDIA_DTLS_EVENT_CONNECTED,
	MEDIA_DTLS_EVENT_FAILED, /* @reason set */
	MEDIA_DTLS_EVENT_CLOSED, /* the peer sent close_notify */
};

struct media_dtls;

/** Send one datagram to the peer (borrowed buffer, copy if kept). */
typedef void (*media_dtls_send_h)(const uint8_t *buf, size_t len, void *arg);
/** A state change. @reason is borrowed, NULL unless failed. */
typedef void (*media_dtls_event_h)(struct media_dtls *d,
				   enum media_dtls_event ev,
				   const char *reason, void *arg);

struct media_dtls_config {
	struct media_cert *cert;        /* referenced by the endpoint */
	enum media_dtls_role role;
	const char *remote_fingerprint; /* SDP value, or NULL: set later */
	GMainContext *context;          /* timers; NULL = the default one */
	unsigned mtu;                   /* 0 = MEDIA_DTLS_MTU */
	unsigned settle_ms;             /* 0 = MEDIA_DTLS_SETTLE_MS */
	/* OpenSSL use_srtp list to offer/accept instead of the certificate
	 * context's ("SRTP_AES128_CM_SHA1_80" for peers without GCM). */
	const char *srtp_profiles;
	media_dtls_send_h send_h;
	media_dtls_event_h event_h;
	void *arg;
};

/**
 * media_dtls_new() - an endpoint in state NEW. Nothing is sent yet.
 * Returns 0; EINVAL (MTU below MEDIA_DTLS_MTU_MIN, missing callbacks,
 * unknown SRTP profiles or a malformed fingerprint), ENOTSUP (unknown
 * fingerprint hash) or EIO.
 */
int media_dtls_new(struct media_dtls **out,
		   const struct media_dtls_config *cfg);
struct media_dtls *media_dtls_ref(struct media_dtls *d);
void media_dtls_unref(struct media_dtls *d);
/** Stop the timer and all callbacks; the endpoint stays valid but inert. */
void media_dtls_destroy(struct media_dtls *d);

/**
 * media_dtls_start() - begin: a client sends its ClientHello now (call it
 * once ICE has a working pair); a server only starts its clock. A server
 * also starts by itself on its first datagram. Idempotent.
 */
void media_dtls_start(struct media_dtls *d);
/**
 * media_dtls_receive() - one datagram from the peer (the whole UDP
 * payload). Anything is accepted: garbage is dropped by DTLS or fails the
 * endpoint, never more. Datagrams for a client that has not started, or
 * for an endpoint that failed or closed, are ignored.
 */
void media_dtls_receive(struct media_dtls *d, const uint8_t *buf, size_t len);
/**
 * media_dtls_set_remote_fingerprint() - the peer's SDP fingerprint when it
 * was not known at creation (our offer went out before the answer came);
 * if the handshake already finished it is verified now, and the event
 * callback runs from inside this call. Returns 0, EINVAL, ENOTSUP, or
 * EALREADY once connected, failed or closed (a new fingerprint in SDP
 * needs a new endpoint).
 */
int media_dtls_set_remote_fingerprint(struct media_dtls *d, const char *fp);
/** Send close_notify (if connected) and stop. Idempotent. */
void media_dtls_close(struct media_dtls *d);
/**
 * media_dtls_settle() - the peer has proved it finished the handshake (an
 * SRTP or SRTCP packet from it authenticated under our keys): free the
 * handshake state now instead of at the settle timer. Only a connected
 * endpoint settles; otherwise nothing happens. Idempotent.
 */
void media_dtls_settle(struct media_dtls *d);
/** True once the SSL object is gone (see "Settling" above). */
bool media_dtls_is_settled(const struct media_dtls *d);

enum media_dtls_state media_dtls_state(const struct media_dtls *d);
enum media_dtls_role media_dtls_role(const struct media_dtls *d);
/** Why the endpoint failed (borrowed), or NULL. */
const char *media_dtls_error(const struct media_dtls *d);
/**
 * media_dtls_keys() - the SRTP master keys: @tx protects what we send, @rx
 * what we receive. Returns 0, or ENOTCONN unless the endpoint is connected
 * (a failed fingerprint check yields no keys).
 */
int media_dtls_keys(const struct media_dtls *d, struct media_srtp_key *tx,
		    struct media_srtp_key *rx);

#endif
