/*
 * tests/fuzz/fuzz_rtp.c - any datagram through the RTP header parser and
 * the receive statistics, as the relay's packet path uses them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct media_rtp_rx rx;
	static uint32_t arrival;
	struct media_rtp_header h;
	uint8_t copy[2048];

	if (media_rtp_parse(data, size, &h) != 0)
		return 0;
	if (h.header_len < 12 || h.header_len > size || h.pt > 127)
		abort();
	media_rtp_rx_update(&rx, &h, arrival += 160);
	(void)media_rtp_rx_lost(&rx);
	if (media_rtp_rx_jitter_ms(&rx, 8000) < 0)
		abort();
	if (size <= sizeof(copy)) {
		memcpy(copy, data, size);
		media_rtp_set_pt(copy, 101);
		if ((copy[1] & 0x7f) != 101 ||
		    (copy[1] & 0x80) != (data[1] & 0x80))
			abort();
	}
	return 0;
}
