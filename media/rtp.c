/* media/rtp.c - RTP header parsing and RFC 3550 receive statistics. */
#include "rtp.h"

#include <errno.h>

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int media_rtp_parse(const uint8_t *buf, size_t len, struct media_rtp_header *h)
{
	size_t n;

	if (len < 12 || (buf[0] >> 6) != 2)
		return EINVAL;
	n = 12 + 4 * (size_t)(buf[0] & 0x0f);
	if (n > len)
		return EINVAL;
	if (buf[0] & 0x10) {
		if (n + 4 > len)
			return EINVAL;
		n += 4 + 4 * (size_t)rd16(buf + n + 2);
		if (n > len)
			return EINVAL;
	}
	h->marker = buf[1] & 0x80;
	h->pt = buf[1] & 0x7f;
	h->seq = rd16(buf + 2);
	h->ts = rd32(buf + 4);
	h->ssrc = rd32(buf + 8);
	h->header_len = n;
	return 0;
}

void media_rtp_set_pt(uint8_t *buf, uint8_t pt)
{
	buf[1] = (uint8_t)((buf[1] & 0x80) | (pt & 0x7f));
}

void media_rtp_rx_update(struct media_rtp_rx *rx,
			 const struct media_rtp_header *h, uint32_t arrival)
{
	uint32_t transit = arrival - h->ts;
	uint16_t delta;

	if (!rx->started || rx->ssrc != h->ssrc) {
		*rx = (struct media_rtp_rx){.started = true,
					    .ssrc = h->ssrc,
					    .max_seq = h->seq,
					    .base_seq = h->seq,
					    .received = 1,
					    .last_transit = transit};
		return;
	}
	delta = (uint16_t)(h->seq - rx->max_seq);
	if (delta == 0)
		return; /* a duplicate */
	if (delta < 0x8000) {
		if (h->seq < rx->max_seq)
			rx->cycles += 0x10000;
		rx->max_seq = h->seq;
	}
	/* A late packet (delta >= 0x8000) still fills a gap counted as lost. */
	rx->received++;
	if (rx->rebase) {
		rx->rebase = false;
		rx->last_transit = transit;
		return;
	}
	{
		int32_t d = (int32_t)(transit - rx->last_transit);

		if (d < 0)
			d = -d;
		rx->last_transit = transit;
		/* J += (|D| - J) / 16 (RFC 3550 6.4.1) */
		rx->jitter += ((double)d - rx->jitter) / 16.0;
	}
}

void media_rtp_rx_rebase(struct media_rtp_rx *rx)
{
	rx->rebase = true;
}

uint64_t media_rtp_rx_lost(const struct media_rtp_rx *rx)
{
	uint64_t expected;

	if (!rx->started)
		return 0;
	expected = (uint64_t)rx->cycles + rx->max_seq - rx->base_seq + 1;
	return expected > rx->received ? expected - rx->received : 0;
}

double media_rtp_rx_jitter_ms(const struct media_rtp_rx *rx,
			      unsigned clock_rate)
{
	return clock_rate ? rx->jitter * 1000.0 / clock_rate : 0;
}
