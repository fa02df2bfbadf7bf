/*
 * tests/media/test_dtls.c - DTLS-SRTP endpoints: two wired back to back in
 * memory (both role assignments, both SRTP profiles), fingerprint mismatch,
 * a tiny MTU, a lost datagram recovered by the retransmission timer,
 * garbage, close_notify, settling (the SSL object freed after the
 * handshake), two worker threads at once. Interop with the
 * openssl command line tool is in test_dtls_openssl.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dtls_peer.h"
#include "media/dtls.h"
#include "media/srtp.h"
#include "test_util.h"

/* Each thread drives its own context, as media workers do. */
static __thread GMainContext *ctx;

static int setup(void **state)
{
	ctx = g_main_context_new();
	return 0;
}

static int teardown(void **state)
{
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_main_context_unref(ctx);
	return 0;
}

/* A's outbound session protects, B's inbound one gives the same bytes. */
static void check_srtp_between(const struct media_srtp_key *atx,
			       const struct media_srtp_key *arx,
			       const struct media_srtp_key *btx,
			       const struct media_srtp_key *brx)
{
	struct media_srtp *a = NULL, *b = NULL;
	uint8_t want[12 + 160], pkt[sizeof(want) + MEDIA_SRTP_TRAILER_MAX];
	size_t len;

	assert_int_equal(media_srtp_new(&a, atx, arx, 0), 0);
	assert_int_equal(media_srtp_new(&b, btx, brx, 0), 0);
	for (int dir = 0; dir < 2; dir++) {
		struct media_srtp *from = dir ? b : a, *to = dir ? a : b;

		memset(want, 0x5a + dir, sizeof(want));
		memcpy(want, "\x80\x00\x00\x07\x00\x00\x01\x40\xde\xad\xbe\xef",
		       12);
		memcpy(pkt, want, sizeof(want));
		len = sizeof(want);
		assert_int_equal(media_srtp_protect(from, pkt, &len,
						    sizeof(pkt)), 0);
		assert_memory_not_equal(pkt + 12, want + 12, 16);
		assert_int_equal(media_srtp_unprotect(to, pkt, &len), 0);
		assert_int_equal(len, sizeof(want));
		assert_memory_equal(pkt, want, sizeof(want));
	}
	media_srtp_free(a);
	media_srtp_free(b);
}

static void handshake_case(enum media_dtls_role arole, const char *profiles,
			   enum media_srtp_profile want)
{
	struct media_cert *ca = dtls_peer_new_cert(),
			  *cb = dtls_peer_new_cert();
	struct dtls_peer a, b;
	enum media_dtls_role brole = arole == MEDIA_DTLS_CLIENT
					     ? MEDIA_DTLS_SERVER
					     : MEDIA_DTLS_CLIENT;
	struct media_srtp_key atx, arx, btx, brx;

	dtls_peer_init(&a, ctx, ca, arole, media_cert_fingerprint(cb), 0,
		       profiles);
	dtls_peer_init(&b, ctx, cb, brole, media_cert_fingerprint(ca), 0, NULL);
	assert_int_equal(media_dtls_keys(a.d, &atx, &arx), ENOTCONN);
	media_dtls_start(a.d);
	media_dtls_start(b.d);
	dtls_peer_run_until_settled(&a, &b, 5000);
	assert_int_equal(a.connected, 1);
	assert_int_equal(b.connected, 1);
	assert_int_equal(a.failed + b.failed, 0);
	assert_int_equal(media_dtls_state(a.d), MEDIA_DTLS_CONNECTED);
	assert_int_equal(media_dtls_keys(a.d, &atx, &arx), 0);
	assert_int_equal(media_dtls_keys(b.d, &btx, &brx), 0);
	assert_int_equal(atx.profile, want);
	assert_int_equal(brx.profile, want);
	assert_int_equal(atx.len, media_srtp_master_len(want));
	/* A's tx is B's rx and the other way round; the two differ. */
	assert_int_equal(atx.len, brx.len);
	assert_memory_equal(atx.master, brx.master, atx.len);
	assert_memory_equal(arx.master, btx.master, arx.len);
	assert_memory_not_equal(atx.master, arx.master, atx.len);
	/* With the default 1200-byte MTU nothing was split. */
	assert_true(a.max_len <= MEDIA_DTLS_MTU && b.max_len <= MEDIA_DTLS_MTU);
	check_srtp_between(&atx, &arx, &btx, &brx);
	dtls_peer_clear(&a);
	dtls_peer_clear(&b);
	media_cert_unref(ca);
	media_cert_unref(cb);
}

static void test_handshake_roles_profiles(void **state)
{
	/* Both offer GCM first: GCM wins. */
	handshake_case(MEDIA_DTLS_CLIENT, NULL, MEDIA_SRTP_AEAD_AES_128_GCM);
	handshake_case(MEDIA_DTLS_SERVER, NULL, MEDIA_SRTP_AEAD_AES_128_GCM);
	/* A peer with AES-CM only, as client and as server. */
	handshake_case(MEDIA_DTLS_CLIENT, "SRTP_AES128_CM_SHA1_80",
		       MEDIA_SRTP_AES128_CM_SHA1_80);
	handshake_case(MEDIA_DTLS_SERVER, "SRTP_AES128_CM_SHA1_80",
		       MEDIA_SRTP_AES128_CM_SHA1_80);
}

static void test_fingerprint_mismatch(void **state)
{
	for (int r = 0; r < 2; r++) {
		struct media_cert *ca = dtls_peer_new_cert(),
				  *cb = dtls_peer_new_cert();
		struct media_cert *other = dtls_peer_new_cert();
		struct dtls_peer a, b;
		struct media_srtp_key tx, rx;
		g_autofree char *want = g_strdup_printf(
			"DTLS fingerprint mismatch: SDP says %s, peer sent %s",
			media_cert_fingerprint(other),
			media_cert_fingerprint(cb));

		/* A was told the wrong certificate; B the right one. */
		dtls_peer_init(&a, ctx, ca,
			       r ? MEDIA_DTLS_SERVER : MEDIA_DTLS_CLIENT,
			       media_cert_fingerprint(other), 0, NULL);
		dtls_peer_init(&b, ctx, cb,
			       r ? MEDIA_DTLS_CLIENT : MEDIA_DTLS_SERVER,
			       media_cert_fingerprint(ca), 0, NULL);
		media_dtls_start(a.d);
		media_dtls_start(b.d);
		dtls_peer_run_until_settled(&a, &b, 5000);
		assert_int_equal(a.failed, 1);
		assert_int_equal(a.connected, 0);
		assert_string_equal(a.reason, want);
		assert_string_equal(media_dtls_error(a.d), want);
		assert_int_equal(media_dtls_state(a.d), MEDIA_DTLS_FAILED);
		assert_int_equal(media_dtls_keys(a.d, &tx, &rx), ENOTCONN);
		/* Datagrams after the failure are ignored. */
		media_dtls_receive(a.d, (const uint8_t *)"\x16\xfe\xfd", 3);
		assert_int_equal(a.failed, 1);
		dtls_peer_clear(&a);
		dtls_peer_clear(&b);
		media_cert_unref(ca);
		media_cert_unref(cb);
		media_cert_unref(other);
	}
}

/* Our offer went out before the answer: the fingerprint comes later. */
static void test_fingerprint_after_handshake(void **state)
{
	struct media_cert *ca = dtls_peer_new_cert(),
			  *cb = dtls_peer_new_cert();
	struct dtls_peer a, b;
	struct media_srtp_key tx, rx;

	dtls_peer_init(&a, ctx, ca, MEDIA_DTLS_SERVER, NULL, 0, NULL);
	dtls_peer_init(&b, ctx, cb, MEDIA_DTLS_CLIENT,
		       media_cert_fingerprint(ca), 0, NULL);
	media_dtls_start(b.d);
	dtls_peer_pump(&a, &b);
	assert_int_equal(b.connected, 1);
	assert_int_equal(a.connected, 0);
	assert_int_equal(media_dtls_state(a.d), MEDIA_DTLS_CONNECTING);
	assert_int_equal(media_dtls_keys(a.d, &tx, &rx), ENOTCONN);
	assert_int_equal(media_dtls_set_remote_fingerprint(a.d, "sha-256 zz"),
			 EINVAL);
	assert_int_equal(media_dtls_set_remote_fingerprint(
				 a.d, media_cert_fingerprint(cb)),
			 0);
	assert_int_equal(a.connected, 1);
	assert_int_equal(media_dtls_keys(a.d, &tx, &rx), 0);
	assert_int_equal(media_dtls_set_remote_fingerprint(
				 a.d, media_cert_fingerprint(ca)),
			 EALREADY);
	assert_int_equal(media_dtls_state(a.d), MEDIA_DTLS_CONNECTED);
	dtls_peer_clear(&a);
	dtls_peer_clear(&b);
	media_cert_unref(ca);
	media_cert_unref(cb);
}

/*
 * A tiny MTU splits the ClientHello and certificates over several
 * datagrams; losing one is repaired by the retransmission timer.
 */
static void test_small_mtu_and_loss(void **state)
{
	unsigned lossless = 0;

	for (int lose = -1; lose < 3; lose++) {
		struct media_cert *ca = dtls_peer_new_cert(),
				  *cb = dtls_peer_new_cert();
		struct dtls_peer a, b;
		struct media_srtp_key atx, arx, btx, brx;
		unsigned first_flight;
		gint64 t0 = g_get_monotonic_time();

		/*
		 * Offer every cipher suite OpenSSL knows, as a browser's long
		 * ClientHello would be: it no longer fits one 256-byte
		 * datagram. (This certificate is the test's own.)
		 */
		assert_int_equal(SSL_CTX_set_cipher_list(media_cert_ssl_ctx(ca),
							 "ECDHE-ECDSA-AES128-"
							 "GCM-SHA256:ALL"),
				 1);
		dtls_peer_init(&a, ctx, ca, MEDIA_DTLS_CLIENT,
			       media_cert_fingerprint(cb), MEDIA_DTLS_MTU_MIN,
			       NULL);
		dtls_peer_init(&b, ctx, cb, MEDIA_DTLS_SERVER,
			       media_cert_fingerprint(ca), MEDIA_DTLS_MTU_MIN,
			       NULL);
		/* lose 0/1: part of the ClientHello; 2: the server's flight */
		if (lose == 2)
			b.drop = 1;
		else
			a.drop = lose;
		media_dtls_start(a.d);
		first_flight = a.sent;
		assert_true(first_flight >= 2);
		assert_true(a.max_len <= MEDIA_DTLS_MTU_MIN);
		dtls_peer_run_until_settled(&a, &b, 5000);
		assert_int_equal(a.connected, 1);
		assert_int_equal(b.connected, 1);
		assert_true(a.max_len <= MEDIA_DTLS_MTU_MIN);
		assert_true(b.max_len <= MEDIA_DTLS_MTU_MIN);
		if (lose < 0)
			lossless = a.sent + b.sent;
		/* The timer (250 ms) fired and a flight went out again. */
		if (lose >= 0) {
			assert_true(g_get_monotonic_time() - t0 >= 200000);
			assert_true(a.sent + b.sent > lossless);
		}
		assert_int_equal(media_dtls_keys(a.d, &atx, &arx), 0);
		assert_int_equal(media_dtls_keys(b.d, &btx, &brx), 0);
		assert_memory_equal(atx.master, brx.master, atx.len);
		check_srtp_between(&atx, &arx, &btx, &brx);
		dtls_peer_clear(&a);
		dtls_peer_clear(&b);
		media_cert_unref(ca);
		media_cert_unref(cb);
	}
}

/* Nobody answers: the client gives up with a reason, no crash, no leak. */
static void test_handshake_timeout_and_destroy(void **state)
{
	struct media_cert *ca = dtls_peer_new_cert();
	struct dtls_peer a;

	dtls_peer_init(&a, ctx, ca, MEDIA_DTLS_CLIENT,
		       media_cert_fingerprint(ca), 0, NULL);
	media_dtls_start(a.d);
	/* A few retransmissions, then destroy with the timer armed. */
	for (gint64 end = g_get_monotonic_time() + 900000;
	     g_get_monotonic_time() < end;) {
		g_main_context_iteration(ctx, FALSE);
		g_usleep(2000);
	}
	assert_true(a.sent >= 3);
	assert_int_equal(a.failed, 0);
	dtls_peer_clear(&a);
	media_cert_unref(ca);
}

static void test_garbage_then_handshake(void **state)
{
	struct media_cert *ca = dtls_peer_new_cert(),
			  *cb = dtls_peer_new_cert();
	struct dtls_peer a, b;
	uint8_t junk[1500];
	GRand *rnd = g_rand_new_with_seed(42);

	dtls_peer_init(&a, ctx, ca, MEDIA_DTLS_CLIENT,
		       media_cert_fingerprint(cb), 0, NULL);
	dtls_peer_init(&b, ctx, cb, MEDIA_DTLS_SERVER,
		       media_cert_fingerprint(ca), 0, NULL);
	/* Random datagrams, some looking like DTLS records (20..23, fe fd). */
	for (int i = 0; i < 300; i++) {
		size_t len = g_rand_int_range(rnd, 0, sizeof(junk));

		for (size_t j = 0; j < len; j++)
			junk[j] = (uint8_t)g_rand_int(rnd);
		if (len > 3 && i % 2) {
			junk[0] = 20 + i % 4;
			junk[1] = 0xfe;
			junk[2] = 0xfd;
		}
		media_dtls_receive(b.d, junk, len);
		media_dtls_receive(a.d, junk, len); /* not started: ignored */
	}
	g_rand_free(rnd);
	assert_int_equal(a.sent, 0);
	assert_int_equal(b.failed, 0);
	media_dtls_start(a.d);
	dtls_peer_run_until_settled(&a, &b, 5000);
	assert_int_equal(a.connected, 1);
	assert_int_equal(b.connected, 1);
	dtls_peer_clear(&a);
	dtls_peer_clear(&b);
	media_cert_unref(ca);
	media_cert_unref(cb);
}

/* Both sides think they are the client: both fail, with a reason. */
static void test_role_conflict(void **state)
{
	struct media_cert *ca = dtls_peer_new_cert(),
			  *cb = dtls_peer_new_cert();
	struct dtls_peer a, b;

	dtls_peer_init(&a, ctx, ca, MEDIA_DTLS_CLIENT,
		       media_cert_fingerprint(cb), 0, NULL);
	dtls_peer_init(&b, ctx, cb, MEDIA_DTLS_CLIENT,
		       media_cert_fingerprint(ca), 0, NULL);
	media_dtls_start(a.d);
	media_dtls_start(b.d);
	dtls_peer_run_until_settled(&a, &b, 3000);
	assert_int_equal(a.connected + b.connected, 0);
	assert_int_equal(a.failed, 1);
	assert_int_equal(b.failed, 1);
	assert_non_null(strstr(a.reason, "DTLS handshake failed: "));
	dtls_peer_clear(&a);
	dtls_peer_clear(&b);
	media_cert_unref(ca);
	media_cert_unref(cb);
}

static void test_close_notify(void **state)
{
	struct media_cert *ca = dtls_peer_new_cert(),
			  *cb = dtls_peer_new_cert();
	struct dtls_peer a, b;
	struct media_srtp_key tx, rx;

	dtls_peer_init(&a, ctx, ca, MEDIA_DTLS_CLIENT,
		       media_cert_fingerprint(cb), 0, NULL);
	dtls_peer_init(&b, ctx, cb, MEDIA_DTLS_SERVER,
		       media_cert_fingerprint(ca), 0, NULL);
	media_dtls_start(a.d);
	dtls_peer_run_until_settled(&a, &b, 5000);
	assert_int_equal(b.connected, 1);
	media_dtls_close(a.d);
	dtls_peer_pump(&a, &b);
	assert_int_equal(b.closed, 1);
	assert_int_equal(media_dtls_state(b.d), MEDIA_DTLS_CLOSED);
	assert_int_equal(media_dtls_state(a.d), MEDIA_DTLS_CLOSED);
	assert_int_equal(media_dtls_keys(b.d, &tx, &rx), ENOTCONN);
	assert_int_equal(b.failed + a.failed, 0);
	dtls_peer_clear(&a);
	dtls_peer_clear(&b);
	media_cert_unref(ca);
	media_cert_unref(cb);
}

/*
 * A settled endpoint (SSL object freed) keeps its keys, ignores later
 * datagrams, and the close_notify it wrote ahead is a record the peer,
 * still holding its own SSL object, authenticates.
 */
static void settle_case(enum media_dtls_role arole, const char *profiles)
{
	struct media_cert *ca = dtls_peer_new_cert(),
			  *cb = dtls_peer_new_cert();
	struct dtls_peer a, b;
	enum media_dtls_role brole = arole == MEDIA_DTLS_CLIENT
					     ? MEDIA_DTLS_SERVER
					     : MEDIA_DTLS_CLIENT;
	struct media_srtp_key atx, arx, btx, brx, tx2, rx2;
	/* A DTLS 1.2 handshake record header, epoch 0, then junk. */
	static const uint8_t late[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0,
				       0, 9, 0, 5, 1, 2, 3, 4, 5};
	unsigned sent;

	dtls_peer_init(&a, ctx, ca, arole, media_cert_fingerprint(cb), 0,
		       profiles);
	dtls_peer_init(&b, ctx, cb, brole, media_cert_fingerprint(ca), 0, NULL);
	media_dtls_settle(a.d); /* not connected: nothing happens */
	assert_false(media_dtls_is_settled(a.d));
	media_dtls_start(a.d);
	media_dtls_start(b.d);
	dtls_peer_run_until_settled(&a, &b, 5000);
	assert_int_equal(a.connected + b.connected, 2);
	assert_int_equal(media_dtls_keys(a.d, &atx, &arx), 0);
	assert_int_equal(media_dtls_keys(b.d, &btx, &brx), 0);
	assert_false(media_dtls_is_settled(a.d));

	media_dtls_settle(a.d);
	media_dtls_settle(a.d); /* idempotent */
	assert_true(media_dtls_is_settled(a.d));
	assert_int_equal(media_dtls_state(a.d), MEDIA_DTLS_CONNECTED);
	assert_int_equal(media_dtls_keys(a.d, &tx2, &rx2), 0);
	assert_memory_equal(&tx2, &atx, sizeof(atx));
	assert_memory_equal(&rx2, &arx, sizeof(arx));
	check_srtp_between(&tx2, &rx2, &btx, &brx);
	assert_int_equal(media_dtls_set_remote_fingerprint(
				 a.d, media_cert_fingerprint(cb)),
			 EALREADY);

	sent = a.sent;
	media_dtls_receive(a.d, late, sizeof(late));
	assert_int_equal(a.sent, sent);
	assert_int_equal(a.failed + a.closed, 0);

	media_dtls_close(a.d);
	assert_int_equal(a.sent, sent + 1);
	dtls_peer_pump(&a, &b);
	assert_int_equal(b.closed, 1);
	assert_int_equal(b.failed, 0);
	assert_int_equal(media_dtls_state(b.d), MEDIA_DTLS_CLOSED);
	assert_int_equal(media_dtls_state(a.d), MEDIA_DTLS_CLOSED);
	assert_int_equal(media_dtls_keys(a.d, &tx2, &rx2), ENOTCONN);
	media_dtls_close(a.d); /* idempotent: nothing more is sent */
	assert_int_equal(a.sent, sent + 1);
	dtls_peer_clear(&a);
	dtls_peer_clear(&b);
	media_cert_unref(ca);
	media_cert_unref(cb);
}

static void test_settle_keys_and_close(void **state)
{
	settle_case(MEDIA_DTLS_CLIENT, NULL);
	settle_case(MEDIA_DTLS_SERVER, NULL);
	settle_case(MEDIA_DTLS_CLIENT, "SRTP_AES128_CM_SHA1_80");
	settle_case(MEDIA_DTLS_SERVER, "SRTP_AES128_CM_SHA1_80");
}

/* Without any SRTP from the peer, the endpoint settles by its own timer,
 * not before; destroying it after is fine. */
static void test_settle_timer(void **state)
{
	struct media_cert *ca = dtls_peer_new_cert(),
			  *cb = dtls_peer_new_cert();
	struct media_dtls_config cfg = {
		.cert = ca,
		.role = MEDIA_DTLS_SERVER,
		.remote_fingerprint = media_cert_fingerprint(cb),
		.settle_ms = 300,
	};
	struct dtls_peer a, b;
	gint64 connected, settled = 0, end;

	dtls_peer_init_cfg(&a, ctx, &cfg);
	dtls_peer_init(&b, ctx, cb, MEDIA_DTLS_CLIENT,
		       media_cert_fingerprint(ca), 0, NULL);
	media_dtls_start(b.d);
	dtls_peer_run_until_settled(&a, &b, 5000);
	assert_int_equal(a.connected + b.connected, 2);
	connected = g_get_monotonic_time();
	end = connected + 3 * G_USEC_PER_SEC;
	while (!settled && g_get_monotonic_time() < end) {
		g_main_context_iteration(ctx, FALSE);
		if (media_dtls_is_settled(a.d))
			settled = g_get_monotonic_time();
		g_usleep(2000);
	}
	assert_true(settled != 0);
	assert_true(settled - connected >= 250 * 1000);
	media_dtls_close(a.d);
	dtls_peer_pump(&a, &b);
	assert_int_equal(b.closed, 1);
	dtls_peer_clear(&a);
	dtls_peer_clear(&b);
	media_cert_unref(ca);
	media_cert_unref(cb);
}

static void no_send(const uint8_t *buf, size_t len, void *arg)
{
}

static void no_event(struct media_dtls *d, enum media_dtls_event ev,
		     const char *reason, void *arg)
{
}

/* Each bad setting alone is refused, whatever the callbacks. */
static void test_bad_config(void **state)
{
	struct media_cert *c = dtls_peer_new_cert();
	struct media_dtls *d = NULL;
	struct media_dtls_config cfg = {.cert = c, .context = ctx,
					.send_h = no_send, .event_h = no_event};

	cfg.mtu = MEDIA_DTLS_MTU_MIN - 1;
	assert_int_equal(media_dtls_new(&d, &cfg), EINVAL);
	cfg.mtu = 0;
	cfg.remote_fingerprint = "sha-256 AB:CD";
	assert_int_equal(media_dtls_new(&d, &cfg), EINVAL);
	cfg.remote_fingerprint = "md5 AB:CD:AB:CD:AB:CD:AB:CD:AB:CD:AB:CD:AB:"
				 "CD:AB:CD";
	assert_int_equal(media_dtls_new(&d, &cfg), ENOTSUP);
	cfg.remote_fingerprint = NULL;
	cfg.srtp_profiles = "SRTP_NOPE";
	assert_int_equal(media_dtls_new(&d, &cfg), EINVAL);
	assert_null(d);
	media_cert_unref(c);
}

struct worker {
	struct media_cert *ca, *cb; /* shared by every thread */
	unsigned connected;
	unsigned keys_match;
};

static gpointer worker_main(gpointer data)
{
	struct worker *w = data;

	ctx = g_main_context_new();
	g_main_context_push_thread_default(ctx);
	for (int i = 0; i < 3; i++) {
		struct dtls_peer a, b;
		struct media_srtp_key atx, arx, btx, brx;

		dtls_peer_init(&a, ctx, w->ca, MEDIA_DTLS_CLIENT,
			       media_cert_fingerprint(w->cb), 0, NULL);
		dtls_peer_init(&b, ctx, w->cb, MEDIA_DTLS_SERVER,
			       media_cert_fingerprint(w->ca), 0, NULL);
		media_dtls_start(a.d);
		dtls_peer_run_until_settled(&a, &b, 5000);
		w->connected += a.connected + b.connected;
		if (media_dtls_keys(a.d, &atx, &arx) == 0 &&
		    media_dtls_keys(b.d, &btx, &brx) == 0 &&
		    memcmp(atx.master, brx.master, atx.len) == 0 &&
		    memcmp(arx.master, btx.master, arx.len) == 0)
			w->keys_match++;
		dtls_peer_clear(&a);
		dtls_peer_clear(&b);
	}
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
	return NULL;
}

/* Two workers handshake at once with one shared pair of certificates. */
static void test_worker_threads(void **state)
{
	struct media_cert *ca = dtls_peer_new_cert(),
			  *cb = dtls_peer_new_cert();
	struct worker w[2] = {{ca, cb, 0, 0}, {ca, cb, 0, 0}};
	GThread *t[2];

	for (int i = 0; i < 2; i++)
		t[i] = g_thread_new("media-worker", worker_main, &w[i]);
	for (int i = 0; i < 2; i++) {
		g_thread_join(t[i]);
		assert_int_equal(w[i].connected, 6);
		assert_int_equal(w[i].keys_match, 3);
	}
	media_cert_unref(ca);
	media_cert_unref(cb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_roles_profiles),
		cmocka_unit_test(test_fingerprint_mismatch),
		cmocka_unit_test(test_fingerprint_after_handshake),
		cmocka_unit_test(test_small_mtu_and_loss),
		cmocka_unit_test(test_handshake_timeout_and_destroy),
		cmocka_unit_test(test_garbage_then_handshake),
		cmocka_unit_test(test_role_conflict),
		cmocka_unit_test(test_close_notify),
		cmocka_unit_test(test_settle_keys_and_close),
		cmocka_unit_test(test_settle_timer),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_worker_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
