/* media/stream.c - a stream's UDP socket loop on its worker. */
#define _GNU_SOURCE /* recvmmsg */
#include "stream.h"

#include <errno.h>
#include <string.h>

#include <glib-unix.h>

struct media_stream {
	struct media_worker *worker;
	struct media_ports *ports;
	struct media_ice *ice;
	struct media_stream_handlers h;
	GSource *io;	  /* reads the RTP socket */
	GSource *consent; /* checks consent freshness */
	bool destroyed;
	bool consent_expired;
	struct media_stream_stats stats;
};

static void stream_clear(gpointer data)
{
	struct media_stream *s = data;

	/* Only reached once both sources dropped their references. */
	g_clear_pointer(&s->io, g_source_unref);
	g_clear_pointer(&s->consent, g_source_unref);
	media_ice_free(s->ice);
	media_port_free(s->ports);
	media_worker_load_add(s->worker, -1);
}

struct media_stream *media_stream_ref(struct media_stream *s)
{
	return g_atomic_rc_box_acquire(s);
}

void media_stream_unref(struct media_stream *s)
{
	if (s)
		g_atomic_rc_box_release_full(s, stream_clear);
}

static void source_unref(gpointer data)
{
	media_stream_unref(data);
}

static void emit(struct media_stream *s, enum media_stream_event ev)
{
	if (s->h.event && !s->destroyed)
		s->h.event(s, ev, s->h.arg);
}

static bool same_addr(const struct sockaddr_storage *a, socklen_t alen,
		      const struct sockaddr_storage *b, socklen_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static void handle_stun(struct media_stream *s, const uint8_t *buf,
			size_t len, const struct sockaddr *from,
			socklen_t from_len, int64_t now)
{
	uint8_t reply[MEDIA_ICE_REPLY_MAX];
	size_t reply_len = sizeof(reply);
	struct sockaddr_storage before = {0}, after = {0};
	socklen_t blen = 0, alen = 0;
	enum media_ice_result r;

	media_ice_selected(s->ice, &before, &blen);
	r = media_ice_receive(s->ice, buf, len, from, from_len, now, reply,
			      &reply_len);
	if (reply_len > 0)
		sendto(s->ports->rtp_fd, reply, reply_len, MSG_DONTWAIT, from,
		       from_len);
	if (r == MEDIA_ICE_CHECK || r == MEDIA_ICE_NOMINATED)
		s->stats.checks++;
	else
		s->stats.bad_checks++;
	if (r != MEDIA_ICE_NOMINATED)
		return;
	media_ice_selected(s->ice, &after, &alen);
	if (!same_addr(&before, blen, &after, alen))
		emit(s, MEDIA_STREAM_EVENT_SELECTED);
}

static void handle_datagram(struct media_stream *s, const uint8_t *buf,
			    size_t len, const struct sockaddr *from,
			    socklen_t from_len, int64_t now)
{
	enum media_demux_kind kind = media_demux_classify(buf, len);

	s->stats.packets[kind]++;
	if (kind == MEDIA_DEMUX_DROP)
		return;
	if (kind == MEDIA_DEMUX_STUN) {
		handle_stun(s, buf, len, from, from_len, now);
		return;
	}
	/* Media only from where an authenticated check came from. */
	if (!media_ice_is_validated(s->ice, from, from_len)) {
		s->stats.unvalidated++;
		return;
	}
	if (s->h.packet)
		s->h.packet(s, kind, buf, len, from, from_len, s->h.arg);
}

static gboolean stream_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct media_stream *s = data;
	uint8_t (*rx)[MEDIA_WORKER_RX_SIZE] = media_worker_rx_buffers(s->worker);
	struct sockaddr_storage from[MEDIA_WORKER_RX_BATCH];
	struct iovec iov[MEDIA_WORKER_RX_BATCH];
	struct mmsghdr msgs[MEDIA_WORKER_RX_BATCH];
	int64_t now = g_get_monotonic_time();

	/* A few batches per wakeup: one busy stream must not starve others. */
	for (int round = 0; round < 4 && !s->destroyed; round++) {
		int n;

		for (int i = 0; i < MEDIA_WORKER_RX_BATCH; i++) {
			iov[i] = (struct iovec){rx[i], MEDIA_WORKER_RX_SIZE};
			msgs[i] = (struct mmsghdr){
				.msg_hdr = {.msg_name = &from[i],
					    .msg_namelen = sizeof(from[i]),
					    .msg_iov = &iov[i],
					    .msg_iovlen = 1}};
		}
		n = recvmmsg(fd, msgs, MEDIA_WORKER_RX_BATCH, MSG_DONTWAIT,
			     NULL);
		if (n <= 0)
			break;
		for (int i = 0; i < n && !s->destroyed; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				s->stats.truncated++;
				continue;
			}
			handle_datagram(s, rx[i], msgs[i].msg_len,
					(struct sockaddr *)&from[i],
					msgs[i].msg_hdr.msg_namelen, now);
		}
		if (n < MEDIA_WORKER_RX_BATCH)
			break;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean consent_tick(gpointer data)
{
	struct media_stream *s = data;

	if (s->destroyed || s->consent_expired)
		return G_SOURCE_REMOVE;
	if (!media_ice_consent_expired(s->ice, g_get_monotonic_time()))
		return G_SOURCE_CONTINUE;
	s->consent_expired = true;
	emit(s, MEDIA_STREAM_EVENT_CONSENT_EXPIRED);
	return G_SOURCE_REMOVE;
}

int media_stream_new(struct media_stream **out, struct media_worker *w,
		     struct media_ports *ports, struct media_ice *ice,
		     const struct media_stream_handlers *h)
{
	struct media_stream *s;
	int64_t tick_ms;

	if (!w || !ports || ports->rtp_fd < 0 || !ice)
		return EINVAL;
	s = g_atomic_rc_box_new0(struct media_stream);
	s->worker = w;
	s->ports = ports;
	s->ice = ice;
	if (h)
		s->h = *h;
	media_worker_load_add(w, 1);
	/* A quarter of the timeout, so expiry is reported at most 25% late. */
	tick_ms = CLAMP(media_ice_consent_timeout(ice) / 4000, 20, 1000);
	s->io = g_unix_fd_source_new(ports->rtp_fd, G_IO_IN);
	g_source_set_callback(s->io, G_SOURCE_FUNC(stream_readable),
			      media_stream_ref(s), source_unref);
	/* Whole-second ticks share wakeups across every stream of a worker. */
	s->consent = tick_ms >= 1000 ? g_timeout_source_new_seconds(1)
				     : g_timeout_source_new((guint)tick_ms);
	g_source_set_callback(s->consent, consent_tick, media_stream_ref(s),
			      source_unref);
	g_source_attach(s->io, media_worker_context(w));
	g_source_attach(s->consent, media_worker_context(w));
	*out = s;
	return 0;
}

static gboolean stream_stop(gpointer data)
{
	struct media_stream *s = data;

	s->destroyed = true;
	if (s->io) {
		g_source_destroy(s->io);
		g_clear_pointer(&s->io, g_source_unref);
	}
	if (s->consent) {
		g_source_destroy(s->consent);
		g_clear_pointer(&s->consent, g_source_unref);
	}
	return G_SOURCE_REMOVE;
}

void media_stream_destroy(struct media_stream *s)
{
	if (!s)
		return;
	media_worker_invoke(s->worker, stream_stop, media_stream_ref(s),
			    source_unref);
}

struct media_worker *media_stream_worker(struct media_stream *s)
{
	return s->worker;
}

const struct media_ports *media_stream_ports(struct media_stream *s)
{
	return s->ports;
}

struct media_ice *media_stream_ice(struct media_stream *s)
{
	return s->ice;
}

int media_stream_send(struct media_stream *s, const uint8_t *buf, size_t len)
{
	struct sockaddr_storage to;
	socklen_t to_len;

	if (s->consent_expired)
		return ETIMEDOUT;
	if (!media_ice_selected(s->ice, &to, &to_len))
		return ENOTCONN;
	if (sendto(s->ports->rtp_fd, buf, len, MSG_DONTWAIT,
		   (struct sockaddr *)&to, to_len) < 0)
		return errno;
	return 0;
}

void media_stream_stats(struct media_stream *s, struct media_stream_stats *out)
{
	*out = s->stats;
}
