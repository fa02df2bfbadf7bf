/*
 * tests/media/test_session_dtls.c - what a WebRTC leg's DTLS costs and
 * keeps: the browser's first SRTP settles Ovoz's endpoint (SSL object
 * freed) while media and close_notify still work, and the heap per session,
 * per DTLS endpoint before and after settling, and per SRTP pair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>

#include "media/dtls.h"
#include "media/srtp.h"
#include "browser_peer.h"
#include "session_fixture.h"

#if defined(__SANITIZE_ADDRESS__)
/* libasan's, declared by hand: GCC 12 ships no header for it. */
size_t __sanitizer_get_current_allocated_bytes(void);
static size_t heap_in_use(void)
{
	return __sanitizer_get_current_allocated_bytes();
}
#else
#include <malloc.h>
static size_t heap_in_use(void)
{
	return mallinfo2().uordblks;
}
#endif
/*
 * The browser's first SRTP settles Ovoz's DTLS endpoint (its SSL object is
 * freed): media still flows both ways under the same keys, and the
 * close_notify sent when the session ends is one the browser accepts.
 */
static void test_dtls_settled_keys_and_close(void **state)
{
	struct events ev = {0};
	struct browser b = {0};
	struct sockaddr_in phone_addr;
	int phone = test_udp_socket(&phone_addr);
	struct media_session *s =
		session(MEDIA_LEG_WEBRTC, MEDIA_LEG_RTP, &ev, NULL);
	struct media_leg_local loc_b;
	struct media_leg_stats st;
	struct plain_rx rx = {0};
	uint8_t pkt[256];
	uint16_t seq = 1, bseq = 1;
	bool got = false;
	gint64 end;

	media_session_local(s, MEDIA_LEG_B, &loc_b);
	set_plain_remote(s, MEDIA_LEG_B, ntohs(phone_addr.sin_port),
			 MEDIA_DIR_SENDRECV);
	browser_init(&b, ctx);
	browser_connect(&b, s, MEDIA_LEG_A, MEDIA_DTLS_SERVER, NULL);
	assert_true(wait_event(&ev, MEDIA_SESSION_EVENT_DTLS_CONNECTED, 8000));
	end = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
	while (!b.srtp && g_get_monotonic_time() < end)
		pump(5);
	assert_non_null(b.srtp);
	pump(1100); /* a stats tick: keyed, nothing from the browser yet */
	media_session_stats(s, MEDIA_LEG_A, &st);
	assert_false(st.dtls_settled);

	end = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
	while (!got && g_get_monotonic_time() < end) {
		browser_rtp(&b, 111, bseq++, "settles-it");
		pump(20);
		got = plain_recv(phone, &rx);
	}
	assert_true(got);
	assert_string_equal(rx.payload, "settles-it");
	pump(1100);
	media_session_stats(s, MEDIA_LEG_A, &st);
	assert_true(st.dtls_settled);

	/* Both ways after the SSL object is gone. */
	end = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
	while (!b.got && g_get_monotonic_time() < end) {
		udp_send_to(phone, loc_b.rtp_port, pkt,
			    make_rtp(pkt, 0, seq++, 0x11, "after-settle"));
		pump(20);
	}
	assert_string_equal(b.payload, "after-settle");
	browser_rtp(&b, 111, bseq++, "still-keyed");
	pump(100);
	assert_true(plain_recv(phone, &rx));
	assert_string_equal(rx.payload, "still-keyed");

	session_end(s);
	end = g_get_monotonic_time() + 2 * G_TIME_SPAN_SECOND;
	while (!b.closed && g_get_monotonic_time() < end)
		pump(10);
	assert_true(b.closed);
	assert_false(b.failed);
	browser_free(&b);
	close(phone);
}

/* Two DTLS endpoints wired back to back, for measuring one. */
struct dtls_end {
	struct media_dtls *d;
	GQueue in;
};

static void end_send(const uint8_t *buf, size_t len, void *arg)
{
	g_queue_push_tail(&((struct dtls_end *)arg)->in, g_bytes_new(buf, len));
}

static void end_event(struct media_dtls *d, enum media_dtls_event ev,
		      const char *reason, void *arg)
{
}

static void end_deliver(struct dtls_end *e)
{
	GBytes *g;

	while ((g = g_queue_pop_head(&e->in))) {
		gsize n;
		const uint8_t *p = g_bytes_get_data(g, &n);

		media_dtls_receive(e->d, p, n);
		g_bytes_unref(g);
	}
}

/* Heap one DTLS endpoint keeps once settled (half of a pair), and
 * *@handshaken right after its handshake. */
static size_t dtls_connected_cost(size_t *handshaken)
{
	struct dtls_end c = {0}, sv = {0};
	struct media_dtls_config cc = {.cert = ovoz_cert,
				       .role = MEDIA_DTLS_CLIENT,
				       .remote_fingerprint =
					       media_cert_fingerprint(ovoz_cert),
				       .context = ctx,
				       .send_h = end_send,
				       .event_h = end_event,
				       .arg = &sv};
	struct media_dtls_config sc = cc;
	size_t before = heap_in_use(), cost;

	sc.role = MEDIA_DTLS_SERVER;
	sc.arg = &c;
	assert_int_equal(media_dtls_new(&c.d, &cc), 0);
	assert_int_equal(media_dtls_new(&sv.d, &sc), 0);
	media_dtls_start(c.d);
	for (int i = 0; i < 20; i++) {
		end_deliver(&sv);
		end_deliver(&c);
	}
	assert_int_equal(media_dtls_state(c.d), MEDIA_DTLS_CONNECTED);
	assert_int_equal(media_dtls_state(sv.d), MEDIA_DTLS_CONNECTED);
	*handshaken = (heap_in_use() - before) / 2;
	media_dtls_settle(c.d);
	media_dtls_settle(sv.d);
	cost = (heap_in_use() - before) / 2;
	media_dtls_destroy(c.d);
	media_dtls_destroy(sv.d);
	media_dtls_unref(c.d);
	media_dtls_unref(sv.d);
	return cost;
}

/* Live heap per call: 200 browser<->phone sessions with DTLS set up. */
static void test_memory_per_session(void **state)
{
	enum { N = 200 };
	struct media_session **s = g_new0(struct media_session *, N);
	struct events ev = {0};
	struct browser fake = {0};
	g_autofree char *err = NULL;
	size_t before, after, per, srtp_cost;

	assert_int_equal(media_cert_new(&fake.cert, &err), 0);
	pump(100);
	before = heap_in_use();
	for (int i = 0; i < N; i++) {
		struct media_leg_remote r = {
			.ice_ufrag = "abcd",
			.fingerprint = media_cert_fingerprint(fake.cert),
			.dtls_role_set = true,
			.dtls_role = MEDIA_DTLS_SERVER,
		};

		s[i] = session(MEDIA_LEG_WEBRTC, MEDIA_LEG_RTP, &ev, NULL);
		assert_int_equal(media_session_set_remote(s[i], MEDIA_LEG_A,
							  &r),
				 0);
		set_plain_remote(s[i], MEDIA_LEG_B, 9, MEDIA_DIR_SENDRECV);
	}
	pump(500); /* the worker applies the parameters */
	after = heap_in_use();
	per = (after - before) / N;
	print_message("memory: %zu bytes of heap per session (%d sessions)\n",
		      per, N);
	assert_true(per <= 64 * 1024);
	/* What keying adds to a leg: one SRTP pair (libsrtp over NSS). */
	{
		struct media_srtp_key k;
		struct media_srtp *srtp = NULL;

		assert_int_equal(media_srtp_key_random(
					 &k, MEDIA_SRTP_AES128_CM_SHA1_80),
				 0);
		before = heap_in_use();
		assert_int_equal(media_srtp_new(&srtp, &k, &k, 0), 0);
		srtp_cost = heap_in_use() - before;
		print_message("memory: %zu bytes per keyed SRTP leg\n",
			      srtp_cost);
		media_srtp_free(srtp);
	}
	{
		size_t handshaken, settled = dtls_connected_cost(&handshaken);

		print_message("memory: %zu bytes per DTLS endpoint after its "
			      "handshake, %zu once settled\n",
			      handshaken, settled);
		assert_true(settled <= 2048);
		/* Browser to phone: one WebRTC leg keyed, one plain. */
		print_message("memory: a connected browser-to-phone call holds "
			      "about %zu bytes (session + settled DTLS + "
			      "SRTP)\n",
			      per + settled + srtp_cost);
	}
	for (int i = 0; i < N; i++)
		session_end(s[i]);
	pump(300);
	g_free(s);
	media_cert_unref(fake.cert);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dtls_settled_keys_and_close),
		cmocka_unit_test(test_memory_per_session),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
