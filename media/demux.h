/*
 * media/demux.h - what a datagram on a media port is, from its first bytes
 * (RFC 7983 for STUN/DTLS/RTP, RFC 5761 to tell RTCP from RTP when they
 * share a port). Pure: no state, no I/O, safe on any thread.
 */
#ifndef OVOZ_MEDIA_DEMUX_H
#define OVOZ_MEDIA_DEMUX_H

#include <stddef.h>
#include <stdint.h>

enum media_demux_kind {
	MEDIA_DEMUX_DROP = 0, /* too short, or a range nobody here speaks */
	MEDIA_DEMUX_STUN,     /* first byte 0..3 */
	MEDIA_DEMUX_DTLS,     /* first byte 20..63 */
	MEDIA_DEMUX_RTP,      /* first byte 128..191, payload type not RTCP */
	MEDIA_DEMUX_RTCP,     /* first byte 128..191, second byte 192..223 */
};

/**
 * media_demux_classify() - classify the datagram @buf of @len bytes.
 * Datagrams shorter than the fixed header of their protocol (STUN 20,
 * DTLS record 13, RTP 12, RTCP 8 bytes) are MEDIA_DEMUX_DROP, as are
 * ZRTP (16..19) and TURN channel data (64..79), which Ovoz never receives.
 */
enum media_demux_kind media_demux_classify(const uint8_t *buf, size_t len);

/** A constant name for @kind ("stun", "dtls", "rtp", "rtcp", "drop"). */
const char *media_demux_kind_name(enum media_demux_kind kind);

#endif
