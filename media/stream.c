/* media/stream.c - a stream's UDP socket loop on its worker. */
#define _GNU_SOURCE /* recvmmsg */
#include "stream.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

/* An IPv4 or IPv6 address: 28 bytes, not a 128-byte sockaddr_storage
 * (four per stream: 0.8 KiB less per call). */
struct stream_addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len; /* 0: none */
};

/* What every packet reads comes first; set-up and RTCP-port state last. */
struct media_stream {
	struct media_worker *worker;
	bool plain;
	bool destroyed;
	bool consent_expired;
	struct media_stream_handlers h;
	struct media_ice *ice;
	/* Plain RTP (no ICE): where signalling says the peer is, and where
	 * its packets really come from (symmetric RTP latching). */
	struct stream_addr latched, remote;
	struct media_stream_stats stats;
	/* Cold: RTCP on its own port, the sockets' owner, the watches. */
	struct stream_addr latched_rtcp, remote_rtcp;
	struct media_ports *ports;
	/* The RTP socket, and RTCP's when a plain stream has its own port,
	 * in the worker's epoll set; each holds a reference until removed. */
	struct media_worker_fd io, rtcp_io;
	struct media_worker_timer consent; /* consent freshness */
};

static void stream_clear(gpointer data)
{
	struct media_stream *s = data;

	/* Only reached once the watches and the timer dropped theirs. */
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
	if (r == MEDIA_ICE_CHECK || r == MEDIA_ICE_NOMINATED) {
		if (!s->stats.checks++)
			s->stats.first_check_us = now;
	} else {
		s->stats.bad_checks++;
	}
	if (r != MEDIA_ICE_NOMINATED)
		return;
	media_ice_selected(s->ice, &after, &alen);
	if (!same_addr(&before, blen, &after, alen))
		emit(s, MEDIA_STREAM_EVENT_SELECTED);
}

static bool addr_is(const struct stream_addr *a, const struct sockaddr *sa,
		    socklen_t len)
{
	return sa && a->len == len && memcmp(&a->u, sa, len) == 0;
}

static void addr_set(struct stream_addr *a, const struct sockaddr *sa,
		     socklen_t len)
{
	if (!sa || len == 0 || len > sizeof(a->u)) {
		a->len = 0;
		return;
	}
	memcpy(&a->u, sa, len);
	a->len = len;
}

/*
 * Symmetric RTP: the first source latches (a phone behind NAT advertises
 * an address its packets never come from); after that only the latched
 * source, or the signalled address itself, is accepted, so a stranger
 * cannot take the stream over.
 */
static bool plain_accept(struct media_stream *s, bool rtcp_port,
			 const struct sockaddr *from, socklen_t from_len)
{
	struct stream_addr *latched = rtcp_port ? &s->latched_rtcp : &s->latched;
	const struct stream_addr *remote = rtcp_port ? &s->remote_rtcp
						     : &s->remote;

	if (addr_is(latched, from, from_len))
		return true;
	if (latched->len && !addr_is(remote, from, from_len))
		return false;
	addr_set(latched, from, from_len);
	return true;
}

static void handle_datagram(struct media_stream *s, const uint8_t *buf,
			    size_t len, const struct sockaddr *from,
			    socklen_t from_len, int64_t now, bool rtcp_port)
{
	enum media_demux_kind kind = media_demux_classify(buf, len);

	if (rtcp_port && kind == MEDIA_DEMUX_RTP)
		kind = MEDIA_DEMUX_RTCP; /* its own port: all of it is RTCP */
	s->stats.packets[kind]++;
	if (kind == MEDIA_DEMUX_DROP)
		return;
	if (s->plain) {
		if ((kind != MEDIA_DEMUX_RTP && kind != MEDIA_DEMUX_RTCP) ||
		    !plain_accept(s, rtcp_port, from, from_len)) {
			s->stats.unvalidated++;
			return;
		}
		if (s->h.packet)
			s->h.packet(s, kind, buf, len, from, from_len,
				    s->h.arg);
		return;
	}
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

static void stream_read(int fd, struct media_stream *s, bool rtcp_port)
{
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
					msgs[i].msg_hdr.msg_namelen, now,
					rtcp_port);
		}
		if (n < MEDIA_WORKER_RX_BATCH)
			break;
	}
}

/* A handler may destroy the stream: it is kept until the batch ends. */
static void stream_readable_rtp(int fd, void *data)
{
	struct media_stream *s = media_stream_ref(data);

	stream_read(fd, s, false);
	media_stream_unref(s);
}

/* A plain stream's RTCP on its own port: all of it is RTCP. */
static void stream_readable_rtcp(int fd, void *data)
{
	struct media_stream *s = media_stream_ref(data);

	stream_read(fd, s, true);
	media_stream_unref(s);
}

static gboolean consent_tick(gpointer data)
{
	struct media_stream *s = data;

	if (s->destroyed || s->consent_expired || !s->ice)
		return G_SOURCE_REMOVE;
	if (!media_ice_consent_expired(s->ice, g_get_monotonic_time()))
		return G_SOURCE_CONTINUE;
	s->consent_expired = true;
	emit(s, MEDIA_STREAM_EVENT_CONSENT_EXPIRED);
	return G_SOURCE_REMOVE;
}

static int watch(struct media_stream *s, struct media_worker_fd *wf, int fd,
		 media_worker_fd_h readable)
{
	int rc = media_worker_fd_add(s->worker, wf, fd, readable,
				     media_stream_ref(s), source_unref);

	if (rc != 0)
		media_stream_unref(s);
	return rc;
}

static void consent_start(struct media_stream *s)
{
	/* A quarter of the timeout, so expiry is reported at most 25% late. */
	int64_t tick_ms = CLAMP(media_ice_consent_timeout(s->ice) / 4000, 20,
				1000);

	if (media_worker_timer_add(s->worker, &s->consent, (guint)tick_ms,
				   consent_tick, media_stream_ref(s),
				   source_unref) != 0)
		media_stream_unref(s);
}

static struct media_stream *stream_alloc(struct media_worker *w,
					 struct media_ports *ports,
					 struct media_ice *ice,
					 const struct media_stream_handlers *h)
{
	struct media_stream *s = g_atomic_rc_box_new0(struct media_stream);

	s->worker = w;
	s->ports = ports;
	s->ice = ice;
	s->plain = !ice;
	if (h)
		s->h = *h;
	media_worker_load_add(w, 1);
	return s;
}

int media_stream_new(struct media_stream **out, struct media_worker *w,
		     struct media_ports *ports, struct media_ice *ice,
		     const struct media_stream_handlers *h)
{
	struct media_stream *s;
	int rc;

	if (!w || !ports || ports->rtp_fd < 0 || !ice)
		return EINVAL;
	s = stream_alloc(w, ports, ice, h);
	rc = watch(s, &s->io, ports->rtp_fd, stream_readable_rtp);
	if (rc != 0) {
		media_stream_unref(s); /* frees @ports and @ice */
		return rc;
	}
	consent_start(s);
	*out = s;
	return 0;
}

int media_stream_new_plain(struct media_stream **out, struct media_worker *w,
			   struct media_ports *ports,
			   const struct media_stream_handlers *h)
{
	struct media_stream *s;
	int rc;

	if (!w || !ports || ports->rtp_fd < 0)
		return EINVAL;
	s = stream_alloc(w, ports, NULL, h);
	rc = watch(s, &s->io, ports->rtp_fd, stream_readable_rtp);
	if (rc == 0 && ports->rtcp_fd >= 0)
		rc = watch(s, &s->rtcp_io, ports->rtcp_fd,
			   stream_readable_rtcp);
	if (rc != 0) {
		/* The RTP watch goes on the worker; @ports with the stream. */
		media_stream_destroy(s);
		media_stream_unref(s);
		return rc;
	}
	*out = s;
	return 0;
}

void media_stream_set_remote(struct media_stream *s,
			     const struct sockaddr *rtp, socklen_t rtp_len,
			     const struct sockaddr *rtcp, socklen_t rtcp_len)
{
	/* A new address (a re-INVITE to another phone) latches afresh. */
	if (!addr_is(&s->remote, rtp, rtp_len))
		s->latched.len = 0;
	if (!addr_is(&s->remote_rtcp, rtcp, rtcp_len))
		s->latched_rtcp.len = 0;
	if (!rtp)
		rtp_len = 0;
	addr_set(&s->remote, rtp, rtp_len);
	addr_set(&s->remote_rtcp, rtcp, rtcp_len);
}

bool media_stream_peer(struct media_stream *s, struct sockaddr_storage *out,
		       socklen_t *out_len, bool *latched)
{
	const struct stream_addr *a = s->latched.len ? &s->latched : &s->remote;

	if (latched)
		*latched = s->latched.len > 0;
	if (!s->plain)
		return media_ice_selected(s->ice, out, out_len);
	if (!a->len)
		return false;
	memset(out, 0, sizeof(*out));
	memcpy(out, &a->u, a->len);
	*out_len = a->len;
	return true;
}

int media_stream_set_ice(struct media_stream *s, struct media_ice *ice)
{
	if (s->plain || !ice)
		return EINVAL;
	media_ice_free(s->ice);
	s->ice = ice;
	s->consent_expired = false;
	media_worker_timer_remove(&s->consent);
	if (!s->destroyed)
		consent_start(s);
	return 0;
}

int media_stream_send_rtcp(struct media_stream *s, const uint8_t *buf,
			   size_t len)
{
	const struct stream_addr *a;

	if (!s->plain || s->ports->rtcp_fd < 0 || !s->remote_rtcp.len)
		return media_stream_send(s, buf, len); /* muxed */
	a = s->latched_rtcp.len ? &s->latched_rtcp : &s->remote_rtcp;
	if (sendto(s->ports->rtcp_fd, buf, len, MSG_DONTWAIT,
		   &a->u.sa, a->len) < 0)
		return errno;
	return 0;
}

static gboolean stream_stop(gpointer data)
{
	struct media_stream *s = data;

	s->destroyed = true;
	media_worker_fd_remove(&s->io); /* each drops its reference */
	media_worker_fd_remove(&s->rtcp_io);
	media_worker_timer_remove(&s->consent);
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
	struct sockaddr_storage sel;
	const struct sockaddr *to = (const struct sockaddr *)&sel;
	socklen_t to_len;

	if (s->plain) {
		const struct stream_addr *a =
			s->latched.len ? &s->latched : &s->remote;

		if (!a->len)
			return ENOTCONN;
		to = &a->u.sa;
		to_len = a->len;
	} else if (s->consent_expired) {
		return ETIMEDOUT;
	} else if (!media_ice_selected(s->ice, &sel, &to_len)) {
		return ENOTCONN;
	}
	if (sendto(s->ports->rtp_fd, buf, len, MSG_DONTWAIT, to, to_len) < 0)
		return errno;
	return 0;
}

int media_stream_send_validated(struct media_stream *s, const uint8_t *buf,
				size_t len, const struct sockaddr *to,
				socklen_t to_len)
{
	struct sockaddr_storage sel;
	socklen_t sel_len;

	if (s->plain)
		return EINVAL;
	if (s->consent_expired)
		return ETIMEDOUT;
	if (media_ice_selected(s->ice, &sel, &sel_len))
		return media_stream_send(s, buf, len);
	if (!to || !media_ice_is_validated(s->ice, to, to_len))
		return ENOTCONN;
	if (sendto(s->ports->rtp_fd, buf, len, MSG_DONTWAIT, to, to_len) < 0)
		return errno;
	return 0;
}

void media_stream_stats(struct media_stream *s, struct media_stream_stats *out)
{
	*out = s->stats;
}
