/*
 * media/stream.h - one media stream's socket on a worker: reads datagrams in
 * batches (recvmmsg), sorts them (media/demux.h), answers ICE checks
 * (media/ice.h) and hands DTLS, RTP and RTCP from validated addresses to a
 * callback. Plain RTP streams run without ICE and latch onto their peer's
 * real source (symmetric RTP). The packet path allocates nothing and logs
 * nothing.
 *
 * Threads: created on any thread; everything after runs on its worker.
 * Handlers are called on the worker thread; they must not block, and reach
 * other threads by message passing.
 */
#ifndef OVOZ_MEDIA_STREAM_H
#define OVOZ_MEDIA_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "media/demux.h"
#include "media/ice.h"
#include "media/port.h"
#include "media/worker.h"

struct media_stream;

enum media_stream_event {
	/* A nomination chose a (new) remote address: see media_stream_ice(). */
	MEDIA_STREAM_EVENT_SELECTED,
	/* No valid check within the consent timeout (RFC 7675): stop sending.
	 * Reported once; media_stream_send() fails from then on. */
	MEDIA_STREAM_EVENT_CONSENT_EXPIRED,
};

/** A DTLS, RTP or RTCP datagram from a validated address (all borrowed,
 *  valid during the call only). */
typedef void (*media_stream_packet_h)(struct media_stream *s,
				      enum media_demux_kind kind,
				      const uint8_t *buf, size_t len,
				      const struct sockaddr *from,
				      socklen_t from_len, void *arg);
typedef void (*media_stream_event_h)(struct media_stream *s,
				     enum media_stream_event event, void *arg);

struct media_stream_handlers {
	media_stream_packet_h packet; /* NULL: drop them */
	media_stream_event_h event;   /* NULL: ignore */
	void *arg;
};

struct media_stream_stats {
	uint64_t packets[MEDIA_DEMUX_RTCP + 1]; /* indexed by kind; [DROP] */
	uint64_t unvalidated; /* non-STUN from an address no check came from */
	uint64_t truncated;   /* larger than MEDIA_WORKER_RX_SIZE */
	uint64_t checks;      /* valid checks answered */
	uint64_t bad_checks;  /* ignored or answered with an error */
	int64_t first_check_us; /* monotonic time of the first valid check,
				   0: none yet (set-up timing) */
};

/**
 * media_stream_new() - start a stream on @w reading @ports->rtp_fd. Takes
 * @ports and @ice on success (freed with the stream); the consent timer
 * ticks on @w's context. Returns 0; EINVAL for bad arguments (nothing
 * taken); or the errno of adding the socket to @w's epoll set (ENOMEM,
 * ENOSPC), after which @ports and @ice are taken and freed. *@out (a new
 * reference) only on success. Any thread.
 */
int media_stream_new(struct media_stream **out, struct media_worker *w,
		     struct media_ports *ports, struct media_ice *ice,
		     const struct media_stream_handlers *h);

/**
 * media_stream_new_plain() - a stream without ICE, for plain RTP/AVP and
 * SDES peers, reading @ports->rtp_fd and, when allocated, @ports->rtcp_fd
 * (RTCP on its own port). STUN is dropped. The first RTP source seen is
 * latched (symmetric RTP: a phone behind NAT advertises an address its
 * packets do not come from); from then on only that source, or the
 * signalled address, is accepted, and sends go to the latched source, else
 * to the signalled one. RTCP latches the same way on its own port. Takes
 * @ports on success. Returns 0, or EINVAL and the epoll errors as
 * media_stream_new(). Any thread.
 */
int media_stream_new_plain(struct media_stream **out, struct media_worker *w,
			   struct media_ports *ports,
			   const struct media_stream_handlers *h);

/**
 * media_stream_set_remote() - the signalled RTP address of a plain stream
 * and its RTCP address (NULL: RTCP is muxed on the RTP port). A changed
 * address forgets the latched source. Copied. Worker thread.
 */
void media_stream_set_remote(struct media_stream *s,
			     const struct sockaddr *rtp, socklen_t rtp_len,
			     const struct sockaddr *rtcp, socklen_t rtcp_len);

/**
 * media_stream_peer() - where media goes: the ICE selected pair, or for a
 * plain stream the latched source (*@latched true) else the signalled
 * address. False when there is none yet. Worker thread.
 */
bool media_stream_peer(struct media_stream *s, struct sockaddr_storage *out,
		       socklen_t *out_len, bool *latched);

/**
 * media_stream_set_ice() - an ICE restart: replace the responder with @ice
 * (taken; the old one is freed), which has no selected pair yet, and
 * restart the consent clock. EINVAL for a plain stream. Worker thread.
 */
int media_stream_set_ice(struct media_stream *s, struct media_ice *ice);

/**
 * media_stream_destroy() - stop reading and timers (idempotent, any
 * thread). The stop runs on the worker: called there, no handler runs after
 * it returns; from elsewhere, a handler already running may finish.
 */
void media_stream_destroy(struct media_stream *s);

/** New / dropped reference (any thread); the last one frees the ICE state
 *  and returns the ports to their pool. unref(NULL) is fine. */
struct media_stream *media_stream_ref(struct media_stream *s);
void media_stream_unref(struct media_stream *s);

/** The stream's worker, ports and ICE responder (borrowed; the ICE state
 *  only on the worker thread, apart from its local credentials; NULL for a
 *  plain stream). */
struct media_worker *media_stream_worker(struct media_stream *s);
const struct media_ports *media_stream_ports(struct media_stream *s);
struct media_ice *media_stream_ice(struct media_stream *s);

/**
 * media_stream_send() - send @buf to the selected pair. Worker thread.
 * Returns 0, ENOTCONN before a nomination, ETIMEDOUT after consent
 * expired, or sendto()'s errno.
 */
int media_stream_send(struct media_stream *s, const uint8_t *buf, size_t len);

/**
 * media_stream_send_validated() - before a nomination, send @buf to @to
 * when @to sent an authenticated check lately: the answer to a datagram
 * the browser sent on a pair it already uses (its DTLS ClientHello comes
 * with its first successful check, its nomination a check later; RFC
 * 7675: a valid check is its consent). With a selected pair this is
 * media_stream_send(). Worker thread. Returns 0, EINVAL (plain stream),
 * ENOTCONN (@to not validated), ETIMEDOUT, or sendto()'s errno.
 */
int media_stream_send_validated(struct media_stream *s, const uint8_t *buf,
				size_t len, const struct sockaddr *to,
				socklen_t to_len);

/**
 * media_stream_send_rtcp() - send RTCP: on the RTCP port to its latched or
 * signalled address when a plain stream has one, otherwise muxed like
 * media_stream_send(). Worker thread.
 */
int media_stream_send_rtcp(struct media_stream *s, const uint8_t *buf,
			   size_t len);

/** Counters so far (copied). Worker thread. */
void media_stream_stats(struct media_stream *s, struct media_stream_stats *out);

#endif
