/*
 * tests/media/test_dtls.c - DTLS-SRTP endpoints: two wired back to back in
 * memory (both role assignments, both SRTP profiles), fingerprint mismatch,
 * a tiny MTU, a lost datagram recovered by the retransmission timer,
 * garbage, close_notify, and interop with the openssl command line tool
 * (s_server / s_client) over real loopback UDP.
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

#include "media/dtls.h"
#include "media/srtp.h"
#include "test_util.h"

struct peer {
	struct media_dtls *d;
	struct peer *other;
	GQueue out; /* GBytes datagrams not yet delivered */
	unsigned sent;
	unsigned max_len;
	int drop;   /* index of a datagram to lose, or -1 */
	unsigned connected, failed, closed;
	char *reason;
	/* Real UDP mode (interop): */
	int fd;
	struct sockaddr_in to;
	bool have_to;
};

/* Each thread drives its own context, as media workers do. */
static __thread GMainContext *ctx;

static void on_send(const uint8_t *buf, size_t len, void *arg)
{
	struct peer *p = arg;
	unsigned index = p->sent++;

	p->max_len = MAX(p->max_len, len);
	if ((int)index == p->drop)
		return;
	if (p->fd >= 0) {
		if (p->have_to)
			sendto(p->fd, buf, len, 0, (struct sockaddr *)&p->to,
			       sizeof(p->to));
		return;
	}
	g_queue_push_tail(&p->out, g_bytes_new(buf, len));
}

static void on_event(struct media_dtls *d, enum media_dtls_event ev,
		     const char *reason, void *arg)
{
	struct peer *p = arg;

	if (ev == MEDIA_DTLS_EVENT_CONNECTED)
		p->connected++;
	if (ev == MEDIA_DTLS_EVENT_CLOSED)
		p->closed++;
	if (ev == MEDIA_DTLS_EVENT_FAILED) {
		p->failed++;
		assert_non_null(reason);
		g_free(p->reason);
		p->reason = g_strdup(reason);
	}
}

static void peer_init(struct peer *p, struct media_cert *cert,
		      enum media_dtls_role role, const char *fp, unsigned mtu,
		      const char *profiles)
{
	struct media_dtls_config cfg = {
		.cert = cert,
		.role = role,
		.remote_fingerprint = fp,
		.context = ctx,
		.mtu = mtu,
		.srtp_profiles = profiles,
		.send_h = on_send,
		.event_h = on_event,
		.arg = p,
	};

	memset(p, 0, sizeof(*p));
	p->drop = -1;
	p->fd = -1;
	g_queue_init(&p->out);
	assert_int_equal(media_dtls_new(&p->d, &cfg), 0);
}

static void peer_clear(struct peer *p)
{
	media_dtls_destroy(p->d);
	media_dtls_unref(p->d);
	g_queue_clear_full(&p->out, (GDestroyNotify)g_bytes_unref);
	g_free(p->reason);
	if (p->fd >= 0)
		close(p->fd);
}

/* Deliver queued datagrams both ways until nothing is in flight. */
static void pump(struct peer *a, struct peer *b)
{
	while (a->out.length || b->out.length) {
		struct peer *from = a->out.length ? a : b;
		struct peer *to = from == a ? b : a;
		GBytes *dg = g_queue_pop_head(&from->out);
		gsize len;
		const uint8_t *buf = g_bytes_get_data(dg, &len);

		media_dtls_receive(to->d, buf, len);
		g_bytes_unref(dg);
	}
}

/* Pump and run the timers until both ends settled, or @ms passed. */
static void run_until_settled(struct peer *a, struct peer *b, unsigned ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;

	for (;;) {
		pump(a, b);
		if ((a->connected || a->failed || a->closed) &&
		    (b->connected || b->failed || b->closed))
			return;
		if (g_get_monotonic_time() > end)
			return;
		g_main_context_iteration(ctx, FALSE);
		g_usleep(1000);
	}
}

static struct media_cert *new_cert(void)
{
	struct media_cert *c = NULL;
	g_autofree char *err = NULL;

	assert_int_equal(media_cert_new(&c, &err), 0);
	assert_null(err);
	return c;
}

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
	struct media_cert *ca = new_cert(), *cb = new_cert();
	struct peer a, b;
	enum media_dtls_role brole = arole == MEDIA_DTLS_CLIENT
					     ? MEDIA_DTLS_SERVER
					     : MEDIA_DTLS_CLIENT;
	struct media_srtp_key atx, arx, btx, brx;

	peer_init(&a, ca, arole, media_cert_fingerprint(cb), 0, profiles);
	peer_init(&b, cb, brole, media_cert_fingerprint(ca), 0, NULL);
	assert_int_equal(media_dtls_keys(a.d, &atx, &arx), ENOTCONN);
	media_dtls_start(a.d);
	media_dtls_start(b.d);
	run_until_settled(&a, &b, 5000);
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
	peer_clear(&a);
	peer_clear(&b);
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
		struct media_cert *ca = new_cert(), *cb = new_cert();
		struct media_cert *other = new_cert();
		struct peer a, b;
		struct media_srtp_key tx, rx;
		g_autofree char *want = g_strdup_printf(
			"DTLS fingerprint mismatch: SDP says %s, peer sent %s",
			media_cert_fingerprint(other),
			media_cert_fingerprint(cb));

		/* A was told the wrong certificate; B the right one. */
		peer_init(&a, ca, r ? MEDIA_DTLS_SERVER : MEDIA_DTLS_CLIENT,
			  media_cert_fingerprint(other), 0, NULL);
		peer_init(&b, cb, r ? MEDIA_DTLS_CLIENT : MEDIA_DTLS_SERVER,
			  media_cert_fingerprint(ca), 0, NULL);
		media_dtls_start(a.d);
		media_dtls_start(b.d);
		run_until_settled(&a, &b, 5000);
		assert_int_equal(a.failed, 1);
		assert_int_equal(a.connected, 0);
		assert_string_equal(a.reason, want);
		assert_string_equal(media_dtls_error(a.d), want);
		assert_int_equal(media_dtls_state(a.d), MEDIA_DTLS_FAILED);
		assert_int_equal(media_dtls_keys(a.d, &tx, &rx), ENOTCONN);
		/* Datagrams after the failure are ignored. */
		media_dtls_receive(a.d, (const uint8_t *)"\x16\xfe\xfd", 3);
		assert_int_equal(a.failed, 1);
		peer_clear(&a);
		peer_clear(&b);
		media_cert_unref(ca);
		media_cert_unref(cb);
		media_cert_unref(other);
	}
}

/* Our offer went out before the answer: the fingerprint comes later. */
static void test_fingerprint_after_handshake(void **state)
{
	struct media_cert *ca = new_cert(), *cb = new_cert();
	struct peer a, b;
	struct media_srtp_key tx, rx;

	peer_init(&a, ca, MEDIA_DTLS_SERVER, NULL, 0, NULL);
	peer_init(&b, cb, MEDIA_DTLS_CLIENT, media_cert_fingerprint(ca), 0,
		  NULL);
	media_dtls_start(b.d);
	pump(&a, &b);
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
	peer_clear(&a);
	peer_clear(&b);
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
		struct media_cert *ca = new_cert(), *cb = new_cert();
		struct peer a, b;
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
		peer_init(&a, ca, MEDIA_DTLS_CLIENT, media_cert_fingerprint(cb),
			  MEDIA_DTLS_MTU_MIN, NULL);
		peer_init(&b, cb, MEDIA_DTLS_SERVER, media_cert_fingerprint(ca),
			  MEDIA_DTLS_MTU_MIN, NULL);
		/* lose 0/1: part of the ClientHello; 2: the server's flight */
		if (lose == 2)
			b.drop = 1;
		else
			a.drop = lose;
		media_dtls_start(a.d);
		first_flight = a.sent;
		assert_true(first_flight >= 2);
		assert_true(a.max_len <= MEDIA_DTLS_MTU_MIN);
		run_until_settled(&a, &b, 5000);
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
		peer_clear(&a);
		peer_clear(&b);
		media_cert_unref(ca);
		media_cert_unref(cb);
	}
}

/* Nobody answers: the client gives up with a reason, no crash, no leak. */
static void test_handshake_timeout_and_destroy(void **state)
{
	struct media_cert *ca = new_cert();
	struct peer a;

	peer_init(&a, ca, MEDIA_DTLS_CLIENT, media_cert_fingerprint(ca), 0,
		  NULL);
	media_dtls_start(a.d);
	/* A few retransmissions, then destroy with the timer armed. */
	for (gint64 end = g_get_monotonic_time() + 900000;
	     g_get_monotonic_time() < end;) {
		g_main_context_iteration(ctx, FALSE);
		g_usleep(2000);
	}
	assert_true(a.sent >= 3);
	assert_int_equal(a.failed, 0);
	peer_clear(&a);
	media_cert_unref(ca);
}

static void test_garbage_then_handshake(void **state)
{
	struct media_cert *ca = new_cert(), *cb = new_cert();
	struct peer a, b;
	uint8_t junk[1500];
	GRand *rnd = g_rand_new_with_seed(42);

	peer_init(&a, ca, MEDIA_DTLS_CLIENT, media_cert_fingerprint(cb), 0,
		  NULL);
	peer_init(&b, cb, MEDIA_DTLS_SERVER, media_cert_fingerprint(ca), 0,
		  NULL);
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
	run_until_settled(&a, &b, 5000);
	assert_int_equal(a.connected, 1);
	assert_int_equal(b.connected, 1);
	peer_clear(&a);
	peer_clear(&b);
	media_cert_unref(ca);
	media_cert_unref(cb);
}

/* Both sides think they are the client: both fail, with a reason. */
static void test_role_conflict(void **state)
{
	struct media_cert *ca = new_cert(), *cb = new_cert();
	struct peer a, b;

	peer_init(&a, ca, MEDIA_DTLS_CLIENT, media_cert_fingerprint(cb), 0,
		  NULL);
	peer_init(&b, cb, MEDIA_DTLS_CLIENT, media_cert_fingerprint(ca), 0,
		  NULL);
	media_dtls_start(a.d);
	media_dtls_start(b.d);
	run_until_settled(&a, &b, 3000);
	assert_int_equal(a.connected + b.connected, 0);
	assert_int_equal(a.failed, 1);
	assert_int_equal(b.failed, 1);
	assert_non_null(strstr(a.reason, "DTLS handshake failed: "));
	peer_clear(&a);
	peer_clear(&b);
	media_cert_unref(ca);
	media_cert_unref(cb);
}

static void test_close_notify(void **state)
{
	struct media_cert *ca = new_cert(), *cb = new_cert();
	struct peer a, b;
	struct media_srtp_key tx, rx;

	peer_init(&a, ca, MEDIA_DTLS_CLIENT, media_cert_fingerprint(cb), 0,
		  NULL);
	peer_init(&b, cb, MEDIA_DTLS_SERVER, media_cert_fingerprint(ca), 0,
		  NULL);
	media_dtls_start(a.d);
	run_until_settled(&a, &b, 5000);
	assert_int_equal(b.connected, 1);
	media_dtls_close(a.d);
	pump(&a, &b);
	assert_int_equal(b.closed, 1);
	assert_int_equal(media_dtls_state(b.d), MEDIA_DTLS_CLOSED);
	assert_int_equal(media_dtls_state(a.d), MEDIA_DTLS_CLOSED);
	assert_int_equal(media_dtls_keys(b.d, &tx, &rx), ENOTCONN);
	assert_int_equal(b.failed + a.failed, 0);
	peer_clear(&a);
	peer_clear(&b);
	media_cert_unref(ca);
	media_cert_unref(cb);
}

static void test_bad_config(void **state)
{
	struct media_cert *c = new_cert();
	struct peer p;
	struct media_dtls *d = NULL;
	struct media_dtls_config cfg = {.cert = c, .context = ctx,
					.send_h = on_send, .event_h = on_event,
					.arg = &p};

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
		struct peer a, b;
		struct media_srtp_key atx, arx, btx, brx;

		peer_init(&a, w->ca, MEDIA_DTLS_CLIENT,
			  media_cert_fingerprint(w->cb), 0, NULL);
		peer_init(&b, w->cb, MEDIA_DTLS_SERVER,
			  media_cert_fingerprint(w->ca), 0, NULL);
		media_dtls_start(a.d);
		run_until_settled(&a, &b, 5000);
		w->connected += a.connected + b.connected;
		if (media_dtls_keys(a.d, &atx, &arx) == 0 &&
		    media_dtls_keys(b.d, &btx, &brx) == 0 &&
		    memcmp(atx.master, brx.master, atx.len) == 0 &&
		    memcmp(arx.master, btx.master, arx.len) == 0)
			w->keys_match++;
		peer_clear(&a);
		peer_clear(&b);
	}
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
	return NULL;
}

/* Two workers handshake at once with one shared pair of certificates. */
static void test_worker_threads(void **state)
{
	struct media_cert *ca = new_cert(), *cb = new_cert();
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

/* --- interop with the openssl command line tool */

static int udp_socket(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	assert_true(fd >= 0);
	for (unsigned p = 15000 + getpid() % 3000; p < 20000; p++) {
		sa.sin_port = htons(p);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			*port = (uint16_t)p;
			fcntl(fd, F_SETFL, O_NONBLOCK);
			return fd;
		}
	}
	fail_msg("no free UDP port in 15000+");
	return -1;
}

static char *run_openssl(const char *const *argv)
{
	char *out = NULL;
	int status = 0;

	assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
				 G_SPAWN_SEARCH_PATH |
					 G_SPAWN_STDERR_TO_DEV_NULL,
				 NULL, NULL, &out, NULL, &status, NULL));
	assert_true(g_spawn_check_wait_status(status, NULL));
	return out;
}

/* A certificate made by openssl itself, and its fingerprint in SDP form. */
static char *openssl_cert(const char *dir)
{
	g_autofree char *key = g_build_filename(dir, "key.pem", NULL);
	g_autofree char *crt = g_build_filename(dir, "cert.pem", NULL);
	const char *req[] = {"openssl", "req", "-x509", "-newkey", "ec",
			     "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
			     "-keyout", key, "-out", crt, "-subj", "/CN=peer",
			     "-days", "1", NULL};
	const char *fp[] = {"openssl", "x509", "-noout", "-fingerprint",
			    "-sha256", "-in", crt, NULL};
	g_autofree char *r = run_openssl(req);
	g_autofree char *out = run_openssl(fp);
	char *eq = strchr(out, '=');

	/* "sha256 Fingerprint=AB:CD:..." */
	assert_non_null(eq);
	return g_strconcat("sha-256 ", g_strstrip(eq + 1), NULL);
}

struct child {
	GPid pid;
	int in, out;
	GString *text;
};

/* Killed by the test's teardown even when an assertion fails first. */
static struct child *live_child;

static void child_spawn(struct child *c, const char *const *argv)
{
	c->text = g_string_new(NULL);
	assert_true(g_spawn_async_with_pipes(
		NULL, (char **)argv, NULL,
		G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
			G_SPAWN_STDERR_TO_DEV_NULL,
		NULL, NULL, &c->pid, &c->in, &c->out, NULL, NULL));
	fcntl(c->out, F_SETFL, O_NONBLOCK);
	live_child = c;
}

static void child_read(struct child *c)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(c->out, buf, sizeof(buf))) > 0)
		g_string_append_len(c->text, buf, n);
}

static void child_kill(struct child *c)
{
	live_child = NULL;
	kill(c->pid, SIGTERM);
	waitpid(c->pid, NULL, 0);
	g_spawn_close_pid(c->pid);
	close(c->in);
	close(c->out);
	g_string_free(c->text, TRUE);
}

/* The hex after "Keying material: " once printed, else NULL. */
static char *child_keying_material(struct child *c)
{
	const char *p = strstr(c->text->str, "Keying material: ");
	const char *e;

	if (!p)
		return NULL;
	p += strlen("Keying material: ");
	e = strchr(p, '\n');
	return e ? g_strstrip(g_strndup(p, e - p)) : NULL;
}

/* Our client/server over UDP until connected and the tool printed keys. */
static char *udp_run(struct peer *p, struct child *c, bool learn_peer)
{
	uint8_t buf[2048];
	gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	char *km = NULL;

	while (g_get_monotonic_time() < end && !p->failed) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(p->fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);

		if (n > 0) {
			if (learn_peer && !p->have_to) {
				p->to = from;
				p->have_to = true;
			}
			media_dtls_receive(p->d, buf, (size_t)n);
		}
		g_main_context_iteration(ctx, FALSE);
		child_read(c);
		if (!km)
			km = child_keying_material(c);
		if (km && p->connected)
			break;
		if (n <= 0)
			g_usleep(2000);
	}
	return km;
}

static int kill_live_child(void **state)
{
	if (live_child)
		child_kill(live_child);
	return 0;
}

static void check_keying_material(struct peer *p, const char *km,
				  enum media_dtls_role role)
{
	struct media_srtp_key tx, rx;
	const struct media_srtp_key *client, *server;
	GString *mine = g_string_new(NULL);

	assert_non_null(km);
	assert_int_equal(p->connected, 1);
	assert_int_equal(media_dtls_keys(p->d, &tx, &rx), 0);
	assert_int_equal(tx.profile, MEDIA_SRTP_AES128_CM_SHA1_80);
	client = role == MEDIA_DTLS_CLIENT ? &tx : &rx;
	server = role == MEDIA_DTLS_CLIENT ? &rx : &tx;
	/* RFC 5764 §4.2 order: client key, server key, client salt, server
	 * salt. */
	for (int i = 0; i < 16; i++)
		g_string_append_printf(mine, "%02X", client->master[i]);
	for (int i = 0; i < 16; i++)
		g_string_append_printf(mine, "%02X", server->master[i]);
	for (int i = 16; i < 30; i++)
		g_string_append_printf(mine, "%02X", client->master[i]);
	for (int i = 16; i < 30; i++)
		g_string_append_printf(mine, "%02X", server->master[i]);
	assert_string_equal(mine->str, km);
	g_string_free(mine, TRUE);
}

static void test_interop_openssl_s_server(void **state)
{
	g_autofree char *dir = g_dir_make_tmp("ovoz-dtls-XXXXXX", NULL);
	g_autofree char *fp = openssl_cert(dir);
	g_autofree char *key = g_build_filename(dir, "key.pem", NULL);
	g_autofree char *crt = g_build_filename(dir, "cert.pem", NULL);
	g_autofree char *km = NULL;
	g_autofree char *accept = NULL;
	struct media_cert *mine = new_cert();
	struct peer p;
	struct child c;
	uint16_t port = 0, me = 0;
	int probe = udp_socket(&port);

	/* Free the port for s_server, keep our own socket elsewhere. */
	close(probe);
	accept = g_strdup_printf("127.0.0.1:%u", port);
	const char *argv[] = {"openssl", "s_server", "-dtls1_2", "-accept",
			      accept, "-cert", crt, "-key", key, "-use_srtp",
			      "SRTP_AES128_CM_SHA1_80", "-keymatexport",
			      "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60",
			      "-naccept", "1", NULL};
	child_spawn(&c, argv);
	for (gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	     !strstr(c.text->str, "ACCEPT") && g_get_monotonic_time() < end;)
		g_usleep(10000), child_read(&c);
	assert_non_null(strstr(c.text->str, "ACCEPT"));

	peer_init(&p, mine, MEDIA_DTLS_CLIENT, fp, 0, NULL);
	p.fd = udp_socket(&me);
	p.to = (struct sockaddr_in){.sin_family = AF_INET,
				    .sin_port = htons(port),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	p.have_to = true;
	media_dtls_start(p.d);
	km = udp_run(&p, &c, false);
	assert_null(p.reason);
	check_keying_material(&p, km, MEDIA_DTLS_CLIENT);
	assert_non_null(strstr(c.text->str, "SRTP Extension negotiated, "
					    "profile=SRTP_AES128_CM_SHA1_80"));
	child_kill(&c);
	peer_clear(&p);
	media_cert_unref(mine);
	test_remove_dir(dir);
}

static void test_interop_openssl_s_client(void **state)
{
	g_autofree char *dir = g_dir_make_tmp("ovoz-dtls-XXXXXX", NULL);
	g_autofree char *fp = openssl_cert(dir);
	g_autofree char *key = g_build_filename(dir, "key.pem", NULL);
	g_autofree char *crt = g_build_filename(dir, "cert.pem", NULL);
	g_autofree char *km = NULL;
	g_autofree char *connect = NULL;
	struct media_cert *mine = new_cert();
	struct peer p;
	struct child c;
	uint16_t port = 0;

	peer_init(&p, mine, MEDIA_DTLS_SERVER, fp, 0, NULL);
	p.fd = udp_socket(&port);
	connect = g_strdup_printf("127.0.0.1:%u", port);
	const char *argv[] = {"openssl", "s_client", "-dtls1_2", "-connect",
			      connect, "-cert", crt, "-key", key, "-use_srtp",
			      "SRTP_AES128_CM_SHA1_80", "-keymatexport",
			      "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60",
			      NULL};
	child_spawn(&c, argv);
	km = udp_run(&p, &c, true);
	assert_null(p.reason);
	check_keying_material(&p, km, MEDIA_DTLS_SERVER);
	child_kill(&c);
	peer_clear(&p);
	media_cert_unref(mine);
	test_remove_dir(dir);
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
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_worker_threads),
		cmocka_unit_test_teardown(test_interop_openssl_s_server,
					  kill_live_child),
		cmocka_unit_test_teardown(test_interop_openssl_s_client,
					  kill_live_child),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
