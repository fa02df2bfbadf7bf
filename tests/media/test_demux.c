/* tests/media/test_demux.c - RFC 7983 / RFC 5761 classification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "media/demux.h"

static enum media_demux_kind first(uint8_t b0, uint8_t b1, size_t len)
{
	uint8_t buf[64] = {0};

	buf[0] = b0;
	buf[1] = b1;
	return media_demux_classify(buf, len);
}

static void test_ranges(void **state)
{
	/* Every first byte lands in exactly the RFC 7983 bucket. */
	for (unsigned b = 0; b < 256; b++) {
		enum media_demux_kind want = MEDIA_DEMUX_DROP;

		if (b <= 3)
			want = MEDIA_DEMUX_STUN;
		else if (b >= 20 && b <= 63)
			want = MEDIA_DEMUX_DTLS;
		else if (b >= 128 && b <= 191)
			want = MEDIA_DEMUX_RTP;
		assert_int_equal(first((uint8_t)b, 0, 64), want);
	}
}

static void test_rtcp_by_payload_type(void **state)
{
	assert_int_equal(first(0x80, 0, 64), MEDIA_DEMUX_RTP);        /* PCMU */
	assert_int_equal(first(0x80, 0x80 | 111, 64), MEDIA_DEMUX_RTP); /* M+Opus */
	assert_int_equal(first(0x80, 200, 64), MEDIA_DEMUX_RTCP);      /* SR */
	assert_int_equal(first(0x81, 201, 64), MEDIA_DEMUX_RTCP);      /* RR */
	assert_int_equal(first(0x80, 192, 64), MEDIA_DEMUX_RTCP);
	assert_int_equal(first(0x80, 223, 64), MEDIA_DEMUX_RTCP);
	assert_int_equal(first(0x80, 224, 64), MEDIA_DEMUX_RTP);
	assert_int_equal(first(0x80, 191, 64), MEDIA_DEMUX_RTP);
}

static void test_short_datagrams_drop(void **state)
{
	assert_int_equal(media_demux_classify(NULL, 0), MEDIA_DEMUX_DROP);
	assert_int_equal(first(0x00, 1, 19), MEDIA_DEMUX_DROP);
	assert_int_equal(first(0x00, 1, 20), MEDIA_DEMUX_STUN);
	assert_int_equal(first(22, 0xfe, 12), MEDIA_DEMUX_DROP);
	assert_int_equal(first(22, 0xfe, 13), MEDIA_DEMUX_DTLS);
	assert_int_equal(first(0x80, 0, 11), MEDIA_DEMUX_DROP);
	assert_int_equal(first(0x80, 0, 12), MEDIA_DEMUX_RTP);
	assert_int_equal(first(0x80, 200, 7), MEDIA_DEMUX_DROP);
	assert_int_equal(first(0x80, 200, 8), MEDIA_DEMUX_RTCP);
	assert_int_equal(first(0x80, 0, 1), MEDIA_DEMUX_DROP);
}

static void test_names(void **state)
{
	assert_string_equal(media_demux_kind_name(MEDIA_DEMUX_STUN), "stun");
	assert_string_equal(media_demux_kind_name(MEDIA_DEMUX_RTCP), "rtcp");
	assert_string_equal(media_demux_kind_name((enum media_demux_kind)99),
			    "drop");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_rtcp_by_payload_type),
		cmocka_unit_test(test_short_datagrams_drop),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
