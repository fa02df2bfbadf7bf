/* tests/sip/test_keepalive.c - OPTIONS pings to UDP contacts, and the drop
 * of a contact that stops answering them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/url.h>

#include "fake_transport.h"
#include "sip_util.h"
#include "sip/keepalive.h"
#include "sip/registrar.h"
#include "sip/stack.h"
#include "test_util.h"

#define DOMAIN "ovoz.test"
#define CONTACT_URI "sip:1001@192.0.2.10:5062;transport=udp"
#define CONTACT_SRC "192.0.2.10:5062"

struct fixture {
	struct test_registrar r;
	struct sip_keepalive *ka;
};

static int no_creds(void *ctx, const char *user, char *md5, char *sha)
{
	return ENOENT;
}

static struct sip_keepalive *ka_make(struct fixture *f, unsigned interval,
				     unsigned max_missed)
{
	struct sip_keepalive_config cfg = {
		.interval = interval, .max_missed = max_missed,
		.domain = DOMAIN, .host = "192.0.2.1", .port = 15060};
	struct sip_keepalive *ka = NULL;

	assert_int_equal(sip_keepalive_new(&ka, &cfg, f->r.reg, f->r.udp), 0);
	return ka;
}

static void bind_contact(struct fixture *f, const char *user,
			 const char *contact, const char *source)
{
	int64_t expires = test_now + 3600;

	assert_int_equal(sip_registrar_restore(f->r.reg, user, contact, source,
					       "MicroSIP/3.21.3", "cid-ka", 1,
					       expires, NULL),
			 0);
}

static int setup(void **state)
{
	static const char *const domains[] = {DOMAIN, NULL};
	struct sip_auth_config acfg = test_auth_config(DOMAIN, 3);
	struct fixture *f = g_new0(struct fixture, 1);

	test_registrar_open(&f->r, &acfg, domains, no_creds, NULL, NULL);
	bind_contact(f, "1001", "<" CONTACT_URI ">", CONTACT_SRC);
	test_log_clear();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sip_keepalive_free(f->ka);
	test_registrar_close(&f->r);
	g_free(f);
	return 0;
}

/* The phone's answer to the oldest ping sent (any status counts). */
static bool answer_ping(struct fixture *f, int status)
{
	struct sip_message *ping = fake_transport_pop(f->r.udp_f);
	struct sip_message *reply = NULL;
	bool consumed;

	assert_non_null(ping);
	assert_int_equal(sip_message_new_reply(&reply, ping, status, NULL,
					       NULL),
			 0);
	consumed = sip_keepalive_handle_response(f->ka, reply);
	sip_message_unref(reply);
	sip_message_unref(ping);
	return consumed;
}

static void test_options_built(void **state)
{
	struct fixture *f = *state;
	struct sip_message *m;
	struct sip_verdict v;
	const struct sip_addr *dst;
	struct sip_addr want;
	su_home_t home[1] = {SU_HOME_INIT(home)};
	sip_t *sip;

	f->ka = ka_make(f, 0, 3);
	sip_keepalive_run(f->ka);
	assert_int_equal(fake_transport_pending(f->r.udp_f), 1);
	dst = g_ptr_array_index(f->r.udp_f->dst, 0);
	sip_addr_parse(&want, CONTACT_SRC);
	assert_true(sip_addr_equal(dst, &want));
	m = fake_transport_pop(f->r.udp_f);
	assert_non_null(m);
	assert_true(sip_message_check(m, &v));
	sip = sip_message_sip(m);
	assert_string_equal(sip_message_method(m), "OPTIONS");
	assert_string_equal(url_as_string(home, sip->sip_request->rq_url),
			    CONTACT_URI);
	/* One Via of ours, over UDP, with rport and a branch to match. */
	assert_null(sip->sip_via->v_next);
	assert_string_equal(sip->sip_via->v_protocol, "SIP/2.0/UDP");
	assert_string_equal(sip->sip_via->v_host, "192.0.2.1");
	assert_string_equal(sip->sip_via->v_port, "15060");
	assert_non_null(sip->sip_via->v_rport);
	assert_true(g_str_has_prefix(sip->sip_via->v_branch, "z9hG4bK"));
	assert_int_equal(sip->sip_max_forwards->mf_count, 70);
	assert_string_equal(sip->sip_from->a_url->url_user, "ovoz");
	assert_string_equal(sip->sip_from->a_url->url_host, DOMAIN);
	assert_non_null(sip->sip_from->a_tag);
	assert_string_equal(sip->sip_to->a_url->url_user, "1001");
	assert_string_equal(sip->sip_to->a_url->url_host, "192.0.2.10");
	assert_null(sip->sip_to->a_tag);
	g_autofree char *call_id = g_strconcat(sip->sip_via->v_branch,
					       "@192.0.2.1", NULL);
	assert_string_equal(sip->sip_call_id->i_id, call_id);
	assert_int_equal(sip->sip_cseq->cs_seq, 1);
	assert_int_equal(sip->sip_cseq->cs_method, sip_method_options);
	assert_int_equal(sip->sip_content_length->l_length, 0);
	su_home_deinit(home);
	sip_message_unref(m);
}

/* Every round pings every UDP contact once, each with a branch of its own. */
static void test_one_ping_per_contact_per_round(void **state)
{
	struct fixture *f = *state;
	struct sip_message *a, *b;

	bind_contact(f, "1002", "<sip:1002@192.0.2.11:5070>", "192.0.2.11:5070");
	f->ka = ka_make(f, 0, 3);
	sip_keepalive_run(f->ka);
	assert_int_equal(fake_transport_pending(f->r.udp_f), 2);
	sip_keepalive_run(f->ka);
	assert_int_equal(fake_transport_pending(f->r.udp_f), 4);
	a = fake_transport_pop(f->r.udp_f);
	b = fake_transport_pop(f->r.udp_f);
	assert_string_not_equal(sip_message_sip(a)->sip_via->v_branch,
				sip_message_sip(b)->sip_via->v_branch);
	sip_message_unref(a);
	sip_message_unref(b);
}

/* A contact that answers, even 405, is alive and never dropped. */
static void test_answering_contact_kept(void **state)
{
	struct fixture *f = *state;

	f->ka = ka_make(f, 0, 2);
	for (int i = 0; i < 6; i++) {
		sip_keepalive_run(f->ka);
		assert_true(answer_ping(f, i % 2 ? 405 : 200));
	}
	sip_keepalive_run(f->ka);
	assert_int_equal(sip_registrar_count(f->r.reg), 1);
	assert_int_equal(sip_keepalive_dropped(f->ka), 0);
	assert_int_equal(fake_transport_pending(f->r.udp_f), 1);
}

/* max_missed unanswered pings, then the binding goes, with a log line. */
static void test_silent_contact_dropped(void **state)
{
	struct fixture *f = *state;

	f->ka = ka_make(f, 0, 3);
	for (int i = 0; i < 3; i++)
		sip_keepalive_run(f->ka);
	assert_int_equal(fake_transport_pending(f->r.udp_f), 3);
	assert_int_equal(sip_registrar_count(f->r.reg), 1);
	sip_keepalive_run(f->ka);
	assert_int_equal(sip_registrar_count(f->r.reg), 0);
	assert_int_equal(sip_keepalive_dropped(f->ka), 1);
	assert_int_equal(fake_transport_pending(f->r.udp_f), 3); /* no 4th */
	assert_true(test_logged("ovoz-keepalive: 1001: contact " CONTACT_URI
				" stopped answering 3 pings, dropped"));
}

/* One answer after two misses starts the count again. */
static void test_answer_resets_count(void **state)
{
	struct fixture *f = *state;

	f->ka = ka_make(f, 0, 3);
	sip_keepalive_run(f->ka);
	sip_keepalive_run(f->ka);
	sip_keepalive_run(f->ka);
	/* Only the last round's ping still matches. */
	while (fake_transport_pending(f->r.udp_f) > 1)
		sip_message_unref(fake_transport_pop(f->r.udp_f));
	assert_true(answer_ping(f, 200));
	sip_keepalive_run(f->ka);
	sip_keepalive_run(f->ka);
	assert_int_equal(sip_registrar_count(f->r.reg), 1);
	sip_keepalive_run(f->ka);
	sip_keepalive_run(f->ka);
	assert_int_equal(sip_registrar_count(f->r.reg), 0);
}

/* A response that is not to a ping is left to the proxy. */
static void test_other_responses_not_consumed(void **state)
{
	struct fixture *f = *state;
	static const char other[] =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1:15060;branch=z9hG4bKpx1234\r\n"
		"From: <sip:1001@ovoz.test>;tag=a\r\n"
		"To: <sip:1002@ovoz.test>;tag=b\r\n"
		"Call-ID: x@y\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
	struct sip_message *m = NULL;

	f->ka = ka_make(f, 0, 3);
	assert_int_equal(sip_message_parse(&m, (const uint8_t *)other,
					   strlen(other)),
			 0);
	assert_false(sip_keepalive_handle_response(f->ka, m));
	sip_message_unref(m);
}

/* WebSocket flows and contacts without an address are not pinged. */
static void test_contact_without_address_skipped(void **state)
{
	struct fixture *f = *state;

	sip_registrar_remove_user(f->r.reg, "1001");
	bind_contact(f, "1001", "<" CONTACT_URI ">", NULL);
	f->ka = ka_make(f, 0, 1);
	sip_keepalive_run(f->ka);
	sip_keepalive_run(f->ka);
	assert_int_equal(fake_transport_pending(f->r.udp_f), 0);
	assert_int_equal(sip_registrar_count(f->r.reg), 1);
}

/* The timer sends a round every interval, none at start. */
static void test_interval_timer(void **state)
{
	struct fixture *f = *state;
	gint64 start = g_get_monotonic_time(), elapsed;

	f->ka = ka_make(f, 1, 3);
	assert_int_equal(fake_transport_pending(f->r.udp_f), 0);
	/* Two rounds of a 1 s interval: not before ~1.5 s (seconds-timers
	 * may be aligned), and surely within 10 s even on a loaded machine. */
	while (fake_transport_pending(f->r.udp_f) < 2 &&
	       g_get_monotonic_time() - start < 10 * G_USEC_PER_SEC)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(10000);
	elapsed = g_get_monotonic_time() - start;
	assert_int_equal(fake_transport_pending(f->r.udp_f), 2);
	assert_true(elapsed >= G_USEC_PER_SEC);
	sip_keepalive_free(g_steal_pointer(&f->ka));
}

static void test_new_rejects_bad_config(void **state)
{
	struct fixture *f = *state;
	struct sip_keepalive_config cfg = {.interval = 0, .host = "192.0.2.1"};
	struct sip_keepalive *ka = NULL;

	assert_int_equal(sip_keepalive_new(&ka, &cfg, f->r.reg, f->r.udp), EINVAL);
	cfg.domain = DOMAIN;
	assert_int_equal(sip_keepalive_new(&ka, &cfg, f->r.reg, NULL), EINVAL);
	assert_null(ka);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_options_built, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_one_ping_per_contact_per_round, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answering_contact_kept,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_contact_dropped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_resets_count,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_other_responses_not_consumed, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_contact_without_address_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interval_timer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_new_rejects_bad_config,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, test_log_group_setup,
				      test_log_group_teardown);
}
