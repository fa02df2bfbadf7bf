/* tests/sip/test_stack.c - checks, Via stamping and dispatch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "fake_transport.h"
#include "sip/stack.h"

struct fixture {
	struct sip_stack *st;
	struct sip_transport *tp;
	struct fake_transport *f;
	struct sip_addr src;
	unsigned options_seen;
	char *received_via;
};

static void on_options(struct sip_stack *st, const struct sip_request *req,
		       void *arg)
{
	struct fixture *fx = arg;
	sip_t *sip = sip_message_sip(req->msg);

	fx->options_seen++;
	g_free(fx->received_via);
	fx->received_via = g_strdup_printf(
		"%s|%s", sip->sip_via->v_received ? sip->sip_via->v_received : "",
		sip->sip_via->v_rport ? sip->sip_via->v_rport : "");
	sip_stack_reply(st, req, 200, "OK", NULL);
}

static int setup(void **state)
{
	struct fixture *fx = g_new0(struct fixture, 1);
	struct sip_stack_config cfg = {.server_name = "Ovoz/test"};

	sip_stack_new(&fx->st, &cfg);
	fx->tp = fake_transport_new(SIP_TRANSPORT_UDP, "udp", &fx->f);
	sip_addr_parse(&fx->src, "198.51.100.7:40000");
	sip_stack_set_handler(fx->st, "OPTIONS", on_options, fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	sip_stack_free(fx->st);
	sip_transport_unref(fx->tp);
	g_free(fx->received_via);
	g_free(fx);
	return 0;
}

static struct sip_message *feed(struct fixture *fx, const char *text)
{
	sip_stack_receive(fx->st, fx->tp, &fx->src, (const uint8_t *)text,
			  strlen(text));
	return fake_transport_pop(fx->f);
}

#define OPTIONS_HEAD                                                          \
	"OPTIONS sip:ovoz.test SIP/2.0\r\n"                                   \
	"Via: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bKabc;rport\r\n"          \
	"From: <sip:a@ovoz.test>;tag=1\r\n"                                   \
	"To: <sip:ovoz.test>\r\n"                                             \
	"Call-ID: c1\r\n"

static void test_dispatch_and_stamp(void **state)
{
	struct fixture *fx = *state;
	struct sip_message *r = feed(fx, OPTIONS_HEAD "CSeq: 1 OPTIONS\r\n"
						      "Max-Forwards: 70\r\n"
						      "Content-Length: 0\r\n\r\n");
	sip_t *sip;

	assert_int_equal(fx->options_seen, 1);
	/* RFC 3581: received and rport tell the truth about the source. */
	assert_string_equal(fx->received_via, "198.51.100.7|40000");
	assert_non_null(r);
	assert_int_equal(sip_message_status(r), 200);
	sip = sip_message_sip(r);
	assert_string_equal(sip->sip_via->v_received, "198.51.100.7");
	assert_string_equal(sip->sip_via->v_rport, "40000");
	assert_non_null(sip->sip_to->a_tag);
	assert_string_equal(sip->sip_server->g_string, "Ovoz/test");
	sip_message_unref(r);
}

static void test_malformed_gets_400(void **state)
{
	struct fixture *fx = *state;
	struct sip_message *r = feed(fx, OPTIONS_HEAD "CSeq: 1 INVITE\r\n"
						      "Max-Forwards: 70\r\n"
						      "Content-Length: 0\r\n\r\n");

	assert_int_equal(fx->options_seen, 0);
	assert_non_null(r);
	assert_int_equal(sip_message_status(r), 400);
	assert_int_equal(sip_stack_rejected(fx->st), 1);
	sip_message_unref(r);
}

static void test_fallback_and_ack(void **state)
{
	struct fixture *fx = *state;
	struct sip_message *r;

	r = feed(fx, "INFO sip:ovoz.test SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKx\r\n"
		     "From: <sip:a@ovoz.test>;tag=1\r\nTo: <sip:ovoz.test>\r\n"
		     "Call-ID: c2\r\nCSeq: 1 INFO\r\nMax-Forwards: 70\r\n"
		     "Content-Length: 0\r\n\r\n");
	assert_non_null(r);
	assert_int_equal(sip_message_status(r), 501);
	sip_message_unref(r);
	/* ACK is never answered. */
	r = feed(fx, "ACK sip:ovoz.test SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKy\r\n"
		     "From: <sip:a@ovoz.test>;tag=1\r\nTo: <sip:ovoz.test>;tag=2\r\n"
		     "Call-ID: c2\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\n"
		     "Content-Length: 0\r\n\r\n");
	assert_null(r);
}

static void test_junk_and_responses_dropped(void **state)
{
	struct fixture *fx = *state;
	uint8_t junk[300];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	sip_stack_receive(fx->st, fx->tp, &fx->src, junk, sizeof(junk));
	assert_int_equal(fake_transport_pending(fx->f), 0);
	assert_null(feed(fx, "SIP/2.0 200 OK\r\n"
			     "Via: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKz\r\n"
			     "From: <sip:a@ovoz.test>;tag=1\r\nTo: <sip:b@ovoz.test>;tag=2\r\n"
			     "Call-ID: c3\r\nCSeq: 1 OPTIONS\r\n"
			     "Content-Length: 0\r\n\r\n"));
	assert_int_equal(fx->options_seen, 0);
}

static void test_stats(void **state)
{
	struct fixture *fx = *state;
	struct sip_message *r = feed(fx, OPTIONS_HEAD "CSeq: 1 OPTIONS\r\n"
						      "Max-Forwards: 70\r\n"
						      "Content-Length: 0\r\n\r\n");
	uint64_t got[2] = {0, 0};
	void collect(const char *method, const struct sip_stack_method_stats *s,
		     void *arg)
	{
		uint64_t *g = arg;
		if (strcmp(method, "OPTIONS") == 0) {
			g[0] = s->requests_in;
			g[1] = s->responses_out[2];
		}
	}

	sip_message_unref(r);
	sip_stack_stats_foreach(fx->st, collect, got);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[1], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dispatch_and_stamp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_gets_400, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_and_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_junk_and_responses_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
