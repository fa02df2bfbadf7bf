/*
 * media/port.h - the RTP port allocator: even ports of a configured range
 * [lo, hi] on the media IP, each with the next odd port kept for RTCP.
 *
 * Sockets are bound exclusively (no SO_REUSEADDR/SO_REUSEPORT): a port some
 * other program holds is skipped, never shared, so its packets cannot be
 * split between two owners. Thread-safe: signalling allocates, workers use
 * and free.
 */
#ifndef OVOZ_MEDIA_PORT_H
#define OVOZ_MEDIA_PORT_H

#include <stdbool.h>
#include <stdint.h>

struct media_port_pool;

/* One allocation. The fds are non-blocking and close-on-exec. */
struct media_ports {
	struct media_port_pool *pool; /* holds a reference */
	int rtp_fd;
	int rtcp_fd;	    /* -1 unless RTCP was asked for */
	uint16_t rtp_port;  /* even */
	uint16_t rtcp_port; /* rtp_port + 1, or 0 */
};

/**
 * media_port_pool_new() - a pool over [@lo, @hi] on @ip ("192.0.2.10",
 * "::1"). Allocation starts at the first even port >= @lo; a pair needs
 * both its ports inside the range. Returns 0 or EINVAL (bad address, empty
 * range). *@out is set only on success (a new reference).
 */
int media_port_pool_new(struct media_port_pool **out, const char *ip,
			uint16_t lo, uint16_t hi);
/** New / dropped reference (any thread). unref(NULL) is fine. */
struct media_port_pool *media_port_pool_ref(struct media_port_pool *pool);
void media_port_pool_unref(struct media_port_pool *pool);

/** How many pairs the range holds, and how many are allocated now. */
unsigned media_port_pool_size(struct media_port_pool *pool);
unsigned media_port_pool_used(struct media_port_pool *pool);

/**
 * media_port_alloc() - bind the next free even port (and, with @rtcp, the
 * odd one above it). Pairs are handed out round robin, so a port just
 * freed is the last to come back and late packets of an old call do not
 * land in a new one. Returns 0, or when no pair can be bound:
 *  - ENOSPC: every pair of the range is allocated by this pool;
 *  - EADDRINUSE: the rest are held by other sockets;
 *  - another errno from socket()/bind() (EADDRNOTAVAIL: IP not local).
 * *@out is set only on success; release with media_port_free().
 */
int media_port_alloc(struct media_port_pool *pool, bool rtcp,
		     struct media_ports **out);

/** Close the sockets and return the pair to its pool (any thread). */
void media_port_free(struct media_ports *ports);

#endif
