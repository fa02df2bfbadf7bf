/*
 * tests/media/test_rtp.c - RTP header parsing and the RFC 3550 receive
 * statistics a call's stats report: loss from sequence gaps (across the
 * 16-bit wrap) and the interarrival jitter estimate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "media/rtp.h"

static size_t rtp(uint8_t *b, uint8_t pt, uint16_t seq, uint32_t ts)
{
	memset(b, 0, 20);
	b[0] = 0x80;
	b[1] = pt;
	b[2] = seq >> 8;
	b[3] = seq & 0xff;
	b[4] = ts >> 24;
	b[5] = (ts >> 16) & 0xff;
	b[6] = (ts >> 8) & 0xff;
	b[7] = ts & 0xff;
	b[11] = 0x42;
	return 20;
}

static void test_parse_header(void **state)
{
	uint8_t b[64] = {0};
	struct media_rtp_header h;

	rtp(b, 0x80 | 111, 0xbeef, 123456);
	assert_int_equal(media_rtp_parse(b, 20, &h), 0);
	assert_true(h.marker);
	assert_int_equal(h.pt, 111);
	assert_int_equal(h.seq, 0xbeef);
	assert_int_equal(h.ts, 123456);
	assert_int_equal(h.ssrc, 0x42);
	assert_int_equal(h.header_len, 12);
	/* Rewriting the PT keeps the marker bit. */
	media_rtp_set_pt(b, 0);
	assert_int_equal(b[1], 0x80);
	/* Two CSRCs and a one-word extension. */
	b[0] = 0x80 | 0x10 | 2;
	b[20] = 0xbe;
	b[21] = 0xde;
	b[23] = 1;
	assert_int_equal(media_rtp_parse(b, 32, &h), 0);
	assert_int_equal(h.header_len, 12 + 8 + 4 + 4);
	/* ... which must fit. */
	assert_int_equal(media_rtp_parse(b, 27, &h), EINVAL);
	assert_int_equal(media_rtp_parse(b, 22, &h), EINVAL);
	b[0] = 0x40; /* version 1 */
	assert_int_equal(media_rtp_parse(b, 20, &h), EINVAL);
	assert_int_equal(media_rtp_parse(b, 11, &h), EINVAL);
}

static void feed(struct media_rtp_rx *rx, uint16_t seq, uint32_t ts,
		 uint32_t arrival)
{
	uint8_t b[20];
	struct media_rtp_header h;

	rtp(b, 0, seq, ts);
	assert_int_equal(media_rtp_parse(b, 20, &h), 0);
	media_rtp_rx_update(rx, &h, arrival);
}

static void test_loss_across_wrap(void **state)
{
	struct media_rtp_rx rx = {0};
	uint16_t seq = 65530;

	assert_int_equal(media_rtp_rx_lost(&rx), 0);
	/* 20 packets over the wrap, 3 of them lost, one duplicated. */
	for (int i = 0; i < 20; i++, seq++) {
		if (i == 4 || i == 7 || i == 15)
			continue;
		feed(&rx, seq, (uint32_t)i * 160, (uint32_t)i * 160);
		if (i == 9)
			feed(&rx, seq, (uint32_t)i * 160, (uint32_t)i * 160);
	}
	assert_int_equal(media_rtp_rx_lost(&rx), 3);
	/* A late one fills a gap. */
	feed(&rx, (uint16_t)(65530 + 7), 7 * 160, 20 * 160);
	assert_int_equal(media_rtp_rx_lost(&rx), 2);
	/* Evenly spaced packets: no jitter. */
	assert_true(media_rtp_rx_jitter_ms(&rx, 8000) < 20.0);
}

static void test_jitter(void **state)
{
	struct media_rtp_rx rx = {0};

	/* Every packet 20 ms apart in RTP time: a steady stream. */
	for (uint16_t i = 0; i < 50; i++)
		feed(&rx, i, i * 160u, i * 160u);
	assert_true(media_rtp_rx_jitter_ms(&rx, 8000) < 0.001);
	/* Arrivals alternate 10 ms early and late: J tends to 20 ms. */
	for (uint16_t i = 50; i < 400; i++)
		feed(&rx, i, i * 160u, i * 160u + (i % 2 ? 80u : 0u));
	assert_true(media_rtp_rx_jitter_ms(&rx, 8000) > 8.0);
	assert_true(media_rtp_rx_jitter_ms(&rx, 8000) < 10.5);
	/* A new SSRC starts afresh. */
	{
		uint8_t b[20];
		struct media_rtp_header h;

		rtp(b, 0, 1000, 0);
		b[11] = 0x43;
		media_rtp_parse(b, 20, &h);
		media_rtp_rx_update(&rx, &h, 0);
		assert_int_equal(media_rtp_rx_lost(&rx), 0);
		assert_true(media_rtp_rx_jitter_ms(&rx, 8000) == 0);
	}
}

/* A packet on no known clock (comfort noise) between steady PCMU does not
 * throw the estimate off: without the rebase, its "arrival" of 0 made the
 * next difference about 2^31 timestamp units, seconds of jitter. */
static void test_jitter_rebase(void **state)
{
	struct media_rtp_rx rx = {0};

	for (uint16_t i = 0; i < 50; i++)
		feed(&rx, i, i * 160u, 1000000u + i * 160u);
	media_rtp_rx_rebase(&rx);
	feed(&rx, 50, 50 * 160u, 0); /* a CN packet: rate unknown */
	media_rtp_rx_rebase(&rx);
	for (uint16_t i = 51; i < 100; i++)
		feed(&rx, i, i * 160u, 1000000u + i * 160u);
	assert_true(media_rtp_rx_jitter_ms(&rx, 8000) < 0.001);
	assert_int_equal(media_rtp_rx_lost(&rx), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_header),
		cmocka_unit_test(test_loss_across_wrap),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_jitter_rebase),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
