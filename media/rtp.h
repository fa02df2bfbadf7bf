/*
 * media/rtp.h - RTP header facts and per-source receive statistics
 * (RFC 3550): the payload type, sequence number, timestamp and SSRC of a
 * packet, loss from sequence gaps and the interarrival jitter estimate.
 * Pure: no I/O, no globals, safe on any thread; the caller owns the state.
 */
#ifndef OVOZ_MEDIA_RTP_H
#define OVOZ_MEDIA_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct media_rtp_header {
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	size_t header_len; /* fixed part, CSRCs and extension */
};

/**
 * media_rtp_parse() - read the header of the RTP packet @buf[0..@len).
 * Returns 0, or EINVAL when it is not version 2 or the CSRC list or
 * header extension runs past the end.
 */
int media_rtp_parse(const uint8_t *buf, size_t len, struct media_rtp_header *h);

/** Rewrite the payload type of the RTP packet in @buf (len >= 2), keeping
 *  the marker bit. */
void media_rtp_set_pt(uint8_t *buf, uint8_t pt);

/* What one receiver learned about the stream it gets (RFC 3550 A.1, A.8). */
struct media_rtp_rx {
	bool started;
	uint32_t ssrc;
	uint16_t max_seq;
	uint32_t cycles;      /* sequence wraps, shifted by 16 */
	uint32_t base_seq;
	uint64_t received;    /* packets counted in sequence accounting */
	uint32_t last_transit;
	bool rebase;          /* next packet: new transit base, no sample */
	double jitter;        /* in timestamp units */
};

/**
 * media_rtp_rx_update() - account one packet with header @h that arrived at
 * @arrival (the local clock in the same units as the RTP timestamp, i.e.
 * microseconds * clock rate / 1e6). A new SSRC restarts the accounting.
 */
void media_rtp_rx_update(struct media_rtp_rx *rx,
			 const struct media_rtp_header *h, uint32_t arrival);

/**
 * media_rtp_rx_rebase() - the next packet's timestamp is on another clock
 * (a payload type of another rate, or one with no known rate: comfort
 * noise, an unrouted type): it sets a new transit base instead of giving
 * a jitter sample, so RFC 3550's difference never mixes two clocks.
 */
void media_rtp_rx_rebase(struct media_rtp_rx *rx);

/** Packets expected but not received so far (never negative). */
uint64_t media_rtp_rx_lost(const struct media_rtp_rx *rx);

/** The jitter estimate in milliseconds for @clock_rate (Hz). */
double media_rtp_rx_jitter_ms(const struct media_rtp_rx *rx,
			      unsigned clock_rate);

#endif
