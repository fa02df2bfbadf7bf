/* tests/sip/test_transport.c - addresses and transport handles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "fake_transport.h"
#include "sip/transport.h"

static void test_addr_roundtrip(void **state)
{
	struct sip_addr a, b;
	char buf[SIP_ADDR_STRLEN];

	assert_int_equal(sip_addr_parse(&a, "203.0.113.5:48355"), 0);
	assert_string_equal(sip_addr_format(&a, buf, sizeof(buf)),
			    "203.0.113.5:48355");
	assert_int_equal(sip_addr_port(&a), 48355);
	assert_int_equal(sip_addr_parse(&b, "[2001:db8::1]:5060"), 0);
	assert_string_equal(sip_addr_format(&b, buf, sizeof(buf)),
			    "[2001:db8::1]:5060");
	assert_string_equal(sip_addr_host(&b, buf, sizeof(buf)), "2001:db8::1");
	assert_false(sip_addr_equal(&a, &b));
	assert_int_equal(sip_addr_parse(&b, "203.0.113.5:48355"), 0);
	assert_true(sip_addr_equal(&a, &b));
}

static void test_addr_rejects(void **state)
{
	static const char *bad[] = {"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:70000",
				    "host:5060", "[::1]5060", "[::1:5060",
				    "1.2.3.4:50x", NULL};
	struct sip_addr a;

	for (size_t i = 0; bad[i]; i++)
		assert_int_equal(sip_addr_parse(&a, bad[i]), EINVAL);
	assert_int_equal(sip_addr_parse(&a, NULL), EINVAL);
}

static void test_unmap(void **state)
{
	struct sip_addr a;
	char buf[SIP_ADDR_STRLEN];

	assert_int_equal(sip_addr_parse(&a, "[::ffff:192.0.2.1]:443"), 0);
	sip_addr_unmap(&a);
	assert_int_equal(a.ss.ss_family, AF_INET);
	assert_string_equal(sip_addr_format(&a, buf, sizeof(buf)),
			    "192.0.2.1:443");
}

static void test_closed_transport(void **state)
{
	struct fake_transport *f;
	struct sip_transport *tp = fake_transport_new(SIP_TRANSPORT_WSS,
						      "wss-1", &f);
	struct sip_addr a;

	sip_addr_parse(&a, "127.0.0.1:1");
	assert_true(sip_transport_is_flow(tp));
	assert_string_equal(sip_transport_kind_name(sip_transport_kind(tp)),
			    "wss");
	assert_int_equal(sip_transport_send(tp, &a, "x", 1), 0);
	sip_transport_ref(tp);
	sip_transport_close(tp);
	assert_int_equal(sip_transport_send(tp, &a, "x", 1), ENOTCONN);
	assert_int_equal(fake_transport_pending(f), 1);
	sip_transport_unref(tp);
	sip_transport_unref(tp);
}

static void test_keepalive(void **state)
{
	assert_true(sip_transport_is_keepalive((const uint8_t *)"\r\n\r\n", 4));
	assert_true(sip_transport_is_keepalive((const uint8_t *)"\r\n", 2));
	assert_false(sip_transport_is_keepalive((const uint8_t *)"\r\nX", 3));
	assert_false(sip_transport_is_keepalive((const uint8_t *)"OPTIONS", 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_roundtrip),
		cmocka_unit_test(test_addr_rejects),
		cmocka_unit_test(test_unmap),
		cmocka_unit_test(test_closed_transport),
		cmocka_unit_test(test_keepalive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
