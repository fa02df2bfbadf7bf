/*
 * tests/mock/dtls_peer.h - a media_dtls endpoint for tests: datagrams it
 * sends are queued (two peers wired back to back in memory) or written to
 * a real UDP socket, and its events are counted.
 *
 * Threading: a peer and its context belong to one thread.
 */
#ifndef OVOZ_TESTS_DTLS_PEER_H
#define OVOZ_TESTS_DTLS_PEER_H

#include <glib.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "media/dtls.h"

struct dtls_peer {
	struct media_dtls *d;
	GMainContext *ctx; /* borrowed; drives the retransmission timers */
	GQueue out;        /* GBytes datagrams not yet delivered */
	unsigned sent;
	unsigned max_len;
	int drop; /* index of a datagram to lose, or -1 */
	unsigned connected, failed, closed;
	char *reason; /* of the last failure */
	/* Real UDP mode: datagrams go from @fd to @to once @have_to. */
	int fd;
	struct sockaddr_in to;
	bool have_to;
};

/** Start @p with @cert (borrowed) in @role, expecting the peer's
 *  fingerprint @fp; @mtu and @profiles as media_dtls_config (0/NULL:
 *  defaults). Asserts success. */
void dtls_peer_init(struct dtls_peer *p, GMainContext *ctx,
		    struct media_cert *cert, enum media_dtls_role role,
		    const char *fp, unsigned mtu, const char *profiles);
/** The same with every setting of @cfg (copied) apart from the context
 *  and the callbacks, which are @ctx and the peer's. */
void dtls_peer_init_cfg(struct dtls_peer *p, GMainContext *ctx,
			const struct media_dtls_config *cfg);
/** Destroy the endpoint, drop queued datagrams, close the socket. */
void dtls_peer_clear(struct dtls_peer *p);
/** Deliver queued datagrams both ways until nothing is in flight. */
void dtls_peer_pump(struct dtls_peer *a, struct dtls_peer *b);
/** Pump and run @a's context until both ends connected, failed or
 *  closed, or @ms passed. */
void dtls_peer_run_until_settled(struct dtls_peer *a, struct dtls_peer *b,
				 unsigned ms);
/** A fresh self-signed certificate (asserts success). New reference. */
struct media_cert *dtls_peer_new_cert(void);

#endif
