/*
 * tests/media/session_fixture.h - what the media session tests share: a
 * worker, a port pool and Ovoz's certificate made by setup(), events
 * counted on the test's context, plain RTP phones as bare UDP sockets, and
 * sessions with a fixed payload-type route table. Include after cmocka.h
 * and browser_peer.h, in one test file per program.
 */
#ifndef OVOZ_TESTS_SESSION_FIXTURE_H
#define OVOZ_TESTS_SESSION_FIXTURE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "test_util.h"
#include "media/rtp.h"
#include "media/session.h"

#define NEV (MEDIA_SESSION_EVENT_MEDIA_FLOWING + 1)

/* Test-wide: the context events land on and the browsers run on. */
static GMainContext *ctx;
static struct media_workers *workers;
static struct media_port_pool *pool;
static struct media_cert *ovoz_cert;

struct events {
	int count[NEV];
	enum media_leg_id leg[NEV];
	char reason[NEV][256];
	gint64 at[NEV];
	int64_t dtls_us, flowing_us; /* of MEDIA_FLOWING */
};

static void on_event(struct media_session *s,
		     const struct media_session_event *ev, void *arg)
{
	struct events *e = arg;

	e->count[ev->kind]++;
	e->leg[ev->kind] = ev->leg;
	e->at[ev->kind] = g_get_monotonic_time();
	if (ev->kind == MEDIA_SESSION_EVENT_MEDIA_FLOWING) {
		e->dtls_us = ev->dtls_us;
		e->flowing_us = ev->flowing_us;
	}
	g_strlcpy(e->reason[ev->kind], ev->reason ? ev->reason : "",
		  sizeof(e->reason[0]));
}

static void pump(unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (g_get_monotonic_time() < end)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
}

static bool wait_event(struct events *e, enum media_session_event_kind k,
		       unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (e->count[k] == 0 && g_get_monotonic_time() < end)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
	return e->count[k] > 0;
}

/* --- plain RTP phones: bare UDP sockets */


static void udp_send_to(int fd, uint16_t port, const uint8_t *buf, size_t n)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(port)};

	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	assert_int_equal(sendto(fd, buf, n, 0, (struct sockaddr *)&to,
				sizeof(to)),
			 (ssize_t)n);
}

/* One datagram waiting on @fd, or 0. */
static size_t udp_poll(int fd, uint8_t *buf, size_t cap)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, 0) != 1)
		return 0;
	n = recv(fd, buf, cap, 0);
	return n > 0 ? (size_t)n : 0;
}

/* --- sessions */

static struct media_session *session(enum media_leg_kind a,
				     enum media_leg_kind b, struct events *ev,
				     const struct media_session_config *over)
{
	struct media_session_config cfg = {0};
	struct media_session *s = NULL;
	const struct media_pt_route routes[] = {
		{111, 0, 8000}, {110, 101, 8000}, {8, 8, 8000}};

	if (over)
		cfg = *over;
	cfg.worker = media_workers_pick(workers);
	cfg.pool = pool;
	cfg.cert = ovoz_cert;
	cfg.kind[0] = a;
	cfg.kind[1] = b;
	cfg.event_context = ctx;
	cfg.event_h = on_event;
	cfg.arg = ev;
	assert_int_equal(media_session_new(&s, &cfg), 0);
	assert_int_equal(media_session_set_routes(s, routes, 3), 0);
	return s;
}

static void set_plain_remote(struct media_session *s, enum media_leg_id leg,
			     uint16_t port, enum media_direction dir)
{
	struct sockaddr_in in = {.sin_family = AF_INET,
				 .sin_port = htons(port)};
	struct media_leg_remote r = {.rtp = (struct sockaddr *)&in,
				     .rtp_len = sizeof(in),
				     .direction = dir};

	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	assert_int_equal(media_session_set_remote(s, leg, &r), 0);
}

static void session_end(struct media_session *s)
{
	media_session_destroy(s);
	media_session_destroy(s); /* idempotent */
	media_session_unref(s);
}

static int setup(void **state)
{
	g_autofree char *err = NULL;
	int base = 16000 + (getpid() % 200) * 20;

	ctx = g_main_context_new();
	assert_int_equal(media_workers_new(&workers, 1), 0);
	/* Enough pairs for the memory test; busy ports are skipped. */
	assert_int_equal(media_port_pool_new(&pool, "127.0.0.1", (uint16_t)base,
					     (uint16_t)(base + 9000)),
			 0);
	assert_int_equal(media_cert_new(&ovoz_cert, &err), 0);
	return 0;
}

static int teardown(void **state)
{
	media_workers_free(workers);
	/* Every session gave its ports back. */
	assert_int_equal(media_port_pool_used(pool), 0);
	media_port_pool_unref(pool);
	media_cert_unref(ovoz_cert);
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_main_context_unref(ctx);
	return 0;
}

/* Pump until the plain socket @fd gets RTP, sending @fn meanwhile. */
struct plain_rx {
	uint8_t pt;
	char payload[128];
	struct sockaddr_in from;
};

static bool plain_recv(int fd, struct plain_rx *rx)
{
	uint8_t buf[2048];
	struct media_rtp_header h;
	size_t n = udp_poll(fd, buf, sizeof(buf));

	if (!n || media_rtp_parse(buf, n, &h) != 0)
		return false;
	rx->pt = h.pt;
	n = MIN(n - h.header_len, sizeof(rx->payload) - 1);
	memcpy(rx->payload, buf + h.header_len, n);
	rx->payload[n] = '\0';
	return true;
}

#endif
