/* tests/mock/dtls_peer.c - DTLS endpoints in memory or over UDP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dtls_peer.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void dtls_peer_on_send(const uint8_t *buf, size_t len, void *arg)
{
	struct dtls_peer *p = arg;
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

static void dtls_peer_on_event(struct media_dtls *d,
			       enum media_dtls_event ev, const char *reason,
			       void *arg)
{
	struct dtls_peer *p = arg;

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

void dtls_peer_init_cfg(struct dtls_peer *p, GMainContext *ctx,
			const struct media_dtls_config *given)
{
	struct media_dtls_config cfg = *given;

	cfg.context = ctx;
	cfg.send_h = dtls_peer_on_send;
	cfg.event_h = dtls_peer_on_event;
	cfg.arg = p;
	memset(p, 0, sizeof(*p));
	p->ctx = ctx;
	p->drop = -1;
	p->fd = -1;
	g_queue_init(&p->out);
	assert_int_equal(media_dtls_new(&p->d, &cfg), 0);
}

void dtls_peer_init(struct dtls_peer *p, GMainContext *ctx,
		    struct media_cert *cert, enum media_dtls_role role,
		    const char *fp, unsigned mtu, const char *profiles)
{
	struct media_dtls_config cfg = {
		.cert = cert,
		.role = role,
		.remote_fingerprint = fp,
		.mtu = mtu,
		.srtp_profiles = profiles,
	};

	dtls_peer_init_cfg(p, ctx, &cfg);
}

void dtls_peer_clear(struct dtls_peer *p)
{
	media_dtls_destroy(p->d);
	media_dtls_unref(p->d);
	g_queue_clear_full(&p->out, (GDestroyNotify)g_bytes_unref);
	g_free(p->reason);
	if (p->fd >= 0)
		close(p->fd);
}

void dtls_peer_pump(struct dtls_peer *a, struct dtls_peer *b)
{
	while (a->out.length || b->out.length) {
		struct dtls_peer *from = a->out.length ? a : b;
		struct dtls_peer *to = from == a ? b : a;
		GBytes *dg = g_queue_pop_head(&from->out);
		gsize len;
		const uint8_t *buf = g_bytes_get_data(dg, &len);

		media_dtls_receive(to->d, buf, len);
		g_bytes_unref(dg);
	}
}

static bool dtls_peer_settled(const struct dtls_peer *p)
{
	return p->connected || p->failed || p->closed;
}

void dtls_peer_run_until_settled(struct dtls_peer *a, struct dtls_peer *b,
				 unsigned ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;

	for (;;) {
		dtls_peer_pump(a, b);
		if (dtls_peer_settled(a) && dtls_peer_settled(b))
			return;
		if (g_get_monotonic_time() > end)
			return;
		g_main_context_iteration(a->ctx, FALSE);
		g_usleep(1000);
	}
}

struct media_cert *dtls_peer_new_cert(void)
{
	struct media_cert *c = NULL;
	g_autofree char *err = NULL;

	assert_int_equal(media_cert_new(&c, &err), 0);
	assert_null(err);
	return c;
}
