/* media/demux.c - RFC 7983 first-byte demultiplexing of a media port. */
#include "demux.h"

/* Smallest well-formed datagram of each kind: the fixed header. */
#define STUN_HEADER 20
#define DTLS_RECORD_HEADER 13
#define RTP_HEADER 12
#define RTCP_HEADER 8

static enum media_demux_kind classify_rtp(const uint8_t *buf, size_t len)
{
	/*
	 * RFC 5761 4: with rtcp-mux the second byte of RTCP is its packet
	 * type (192..223, SR is 200); RTP payload types 64..95 would collide
	 * with it once the marker bit is set, so they are never used.
	 */
	if (len >= 2 && buf[1] >= 192 && buf[1] <= 223)
		return len >= RTCP_HEADER ? MEDIA_DEMUX_RTCP : MEDIA_DEMUX_DROP;
	return len >= RTP_HEADER ? MEDIA_DEMUX_RTP : MEDIA_DEMUX_DROP;
}

enum media_demux_kind media_demux_classify(const uint8_t *buf, size_t len)
{
	uint8_t b;

	if (!buf || len == 0)
		return MEDIA_DEMUX_DROP;
	b = buf[0];
	if (b <= 3)
		return len >= STUN_HEADER ? MEDIA_DEMUX_STUN : MEDIA_DEMUX_DROP;
	if (b >= 20 && b <= 63)
		return len >= DTLS_RECORD_HEADER ? MEDIA_DEMUX_DTLS
						 : MEDIA_DEMUX_DROP;
	if (b >= 128 && b <= 191)
		return classify_rtp(buf, len);
	return MEDIA_DEMUX_DROP;
}

const char *media_demux_kind_name(enum media_demux_kind kind)
{
	static const char *const names[] = {
		[MEDIA_DEMUX_DROP] = "drop", [MEDIA_DEMUX_STUN] = "stun",
		[MEDIA_DEMUX_DTLS] = "dtls", [MEDIA_DEMUX_RTP] = "rtp",
		[MEDIA_DEMUX_RTCP] = "rtcp",
	};

	if ((unsigned)kind >= sizeof(names) / sizeof(names[0]))
		return "drop";
	return names[kind];
}
