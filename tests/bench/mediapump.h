/*
 * tests/bench/mediapump.h - the media benchmark generator's packet pump:
 * a few shared caller (SRTP) and callee (RTP) sockets for all calls,
 * sendmmsg() batches per 1 ms slot, recvmmsg() with kernel receive
 * timestamps, demultiplexing by the relay's source port, and the
 * generator's own drops and lateness counted apart from the relay's loss.
 * Bench code, one thread, not the product: failures exit(1).
 */
#ifndef OVOZ_BENCH_MEDIAPUMP_H
#define OVOZ_BENCH_MEDIAPUMP_H

#include <netinet/in.h>
#include <srtp2/srtp.h>
#include <stdint.h>

/* One call: the caller sends SRTP to @ra, the callee RTP to @rb. */
struct call {
	int pa, pb;                  /* generator ports in its SDP (shared) */
	struct sockaddr_in ra, rb;   /* relay ports for A and B */
	srtp_t tx_a, rx_a;           /* caller's SRTP contexts */
	uint8_t key_a[30], key_r[30];/* caller's key, relay's key toward A */
	uint16_t seq_a, seq_b;
	uint32_t ssrc_a, ssrc_b;
	int ready;
};

/* What the pump counted; "window" = packets stamped inside the window. */
struct pump_stats {
	uint64_t tx_meas, rx_meas;   /* sent / received of the window */
	uint64_t rx_total;           /* every packet received, any phase */
	uint64_t bad_srtp;           /* caller packets failing unprotect */
	uint64_t stray;              /* from no relay port of a call/side */
	uint64_t misrouted;          /* payload says another call */
	uint64_t behind;             /* window packets sent late or never */
	uint64_t gen_drops;          /* SO_RXQ_OVFL total, all sockets */
	uint64_t late_max_ns;        /* worst send delay after a slot, window */
	uint64_t late_slots;         /* window slots sent more than LATE_NS late */
};

/**
 * Bind @k caller sockets (ports @base..) and @k callee sockets (next @k
 * ports; a port another program holds is replaced by a free one), with
 * big buffers, SO_TIMESTAMPNS and SO_RXQ_OVFL, for @n calls in @c
 * (borrowed, kept). Sets every call's pa/pb to its shared sockets' ports.
 */
void pump_open(struct call *c, int n, int k, int base);
/** After setup: index the relay ports of the ready calls (exit(1) if two
 *  calls or sides got the same relay port). */
void pump_map(void);
/** Send and receive for @secs; packets are stamped with @phase (0 warm-up,
 *  1 window, 2 drain); only phase 1 packets count in tx/rx_meas. */
void pump_run(double secs, int phase);
/** Counters so far. */
void pump_stats(struct pump_stats *s);
/** Latency percentile (0..1) in ms of window packets; -1 if none. */
double pump_lat_pct(double p);
/** Close the sockets. */
void pump_close(void);

#endif
