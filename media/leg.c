/*
 * media/leg.c - the worker side of a session: the relay of RTP and RTCP
 * from one leg to the other (SRTP translated, payload types mapped), DTLS
 * keying, and the checks that turn silence into events.
 */
#define G_LOG_DOMAIN "ovoz-media"

#include "leg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* Room for the largest datagram read plus the SRTP/SRTCP trailer. */
#define LEG_PKT_MAX (MEDIA_WORKER_RX_SIZE + MEDIA_SRTP_TRAILER_MAX)

static struct leg *other(struct leg *l)
{
	return &l->session->legs[!l->id];
}

static bool is_secure(const struct leg *l)
{
	return l->kind != MEDIA_LEG_RTP;
}

static bool dir_sends(enum media_direction d)
{
	return d == MEDIA_DIR_SENDRECV || d == MEDIA_DIR_SENDONLY;
}

static bool dir_receives(enum media_direction d)
{
	return d == MEDIA_DIR_SENDRECV || d == MEDIA_DIR_RECVONLY;
}

/* Does media from @from go to the other leg (hold mutes one way)? */
static bool forwards(struct leg *from)
{
	return dir_sends(from->dir) && dir_receives(other(from)->dir);
}

/*
 * Set-up timing, once per session: from the earliest valid ICE check on a
 * WebRTC leg to the latest DTLS keying and to now (first RTP both ways).
 */
static void post_flowing(struct media_session *s, enum media_leg_id id,
			 int64_t now)
{
	struct media_session_event ev = {
		MEDIA_SESSION_EVENT_MEDIA_FLOWING, id, NULL, -1, -1};
	int64_t check = 0, dtls = 0;
	bool keyed = true;

	for (int i = 0; i < 2; i++) {
		struct leg *l = &s->legs[i];
		struct media_stream_stats st;

		if (l->kind != MEDIA_LEG_WEBRTC)
			continue;
		media_stream_stats(l->stream, &st);
		if (st.first_check_us && (!check || st.first_check_us < check))
			check = st.first_check_us;
		keyed = keyed && l->dtls_us;
		dtls = MAX(dtls, l->dtls_us);
	}
	if (check) {
		ev.flowing_us = MAX(0, now - check);
		if (keyed)
			ev.dtls_us = MAX(0, dtls - check);
	}
	media_session_post_event(s, &ev);
}

static void account_rx(struct media_session *s, struct leg *l,
		       const struct media_rtp_header *h, size_t len,
		       int64_t now)
{
	uint32_t rate = s->clock[l->id][h->pt];
	uint32_t arrival = (uint32_t)((uint64_t)now * rate / 1000000);

	/* Comfort noise or an unrouted type has no clock here, and a type
	 * of another rate counts on another clock: neither is a jitter
	 * sample against the packets before it. */
	if (rate == 0 || rate != l->rx_clock)
		media_rtp_rx_rebase(&l->rx);
	if (rate)
		l->rx_clock = rate;
	l->rx_packets++;
	l->rx_bytes += len;
	if (!l->first_rx_us)
		l->first_rx_us = now;
	l->last_rx_us = now;
	media_rtp_rx_update(&l->rx, h, arrival);
	if (!s->flowing_reported && other(l)->rx_packets) {
		s->flowing_reported = true;
		post_flowing(s, l->id, now);
	}
}

/*
 * Send to a leg's peer. Chromium sends its DTLS ClientHello right after its
 * first check succeeds and nominates only with a later check (about 50 ms
 * on); until then there is no selected pair. Our DTLS flights, and SRTP
 * keyed by them, go meanwhile where the browser's DTLS came from: an
 * address that passed an authenticated check (its consent, RFC 7675).
 * Without that, a server flight waited for OpenSSL's 250 ms retransmission
 * and the first audio for the nomination.
 */
static int leg_send(struct leg *l, const uint8_t *buf, size_t n, bool rtcp)
{
	int rc = rtcp ? media_stream_send_rtcp(l->stream, buf, n)
		      : media_stream_send(l->stream, buf, n);

	if (rc == ENOTCONN && l->dtls_from_len)
		rc = media_stream_send_validated(
			l->stream, buf, n, (struct sockaddr *)&l->dtls_from,
			l->dtls_from_len);
	return rc;
}

/*
 * A packet from the peer authenticated under DTLS-SRTP keys: the peer has
 * finished its handshake, so our DTLS endpoint can drop its SSL object.
 */
static void peer_proved(struct leg *l)
{
	if (l->dtls && !l->dtls_settled) {
		media_dtls_settle(l->dtls);
		l->dtls_settled = media_dtls_is_settled(l->dtls);
	}
}

static void relay_rtp(struct leg *l, uint8_t *pkt, size_t n, int64_t now)
{
	struct media_session *s = l->session;
	struct leg *out = other(l);
	struct media_rtp_header h;
	uint8_t pt;

	if (is_secure(l) &&
	    (!l->srtp || media_srtp_unprotect(l->srtp, pkt, &n) != 0))
		goto drop;
	peer_proved(l);
	if (media_rtp_parse(pkt, n, &h) != 0)
		goto drop;
	account_rx(s, l, &h, n, now);
	pt = s->route[l->id][h.pt];
	if (pt == LEG_NO_ROUTE || !forwards(l))
		goto drop;
	media_rtp_set_pt(pkt, pt);
	if (is_secure(out) &&
	    (!out->srtp ||
	     media_srtp_protect(out->srtp, pkt, &n, LEG_PKT_MAX) != 0))
		goto drop;
	if (leg_send(out, pkt, n, false) == 0) {
		out->tx_packets++;
		out->tx_bytes += n;
	}
	return;
drop:
	l->dropped++;
}

/* RTCP (SR/RR and the rest) passes as it is, only its protection changes. */
static void relay_rtcp(struct leg *l, uint8_t *pkt, size_t n)
{
	struct leg *out = other(l);

	if (is_secure(l) &&
	    (!l->srtp || media_srtp_unprotect_rtcp(l->srtp, pkt, &n) != 0))
		goto drop;
	peer_proved(l);
	if (is_secure(out) &&
	    (!out->srtp ||
	     media_srtp_protect_rtcp(out->srtp, pkt, &n, LEG_PKT_MAX) != 0))
		goto drop;
	leg_send(out, pkt, n, true);
	return;
drop:
	l->dropped++;
}

/* Once per call at most, so an allocation here is fine. */
static void early_keep(struct leg *l, const uint8_t *buf, size_t len)
{
	struct leg_early *e;

	if (len > LEG_EARLY_SIZE)
		return;
	if (!l->early)
		l->early = g_new0(struct leg_early, 1);
	e = l->early;
	if (e->n == LEG_EARLY_MAX)
		return; /* retransmissions: the first ones will do */
	memcpy(e->buf[e->n], buf, len);
	e->len[e->n++] = len;
}

/* A new server endpoint gets what the browser sent before it existed. */
static void early_replay(struct leg *l)
{
	struct leg_early *e = l->early;

	l->early = NULL;
	if (!e)
		return;
	for (unsigned i = 0; i < e->n && l->dtls; i++)
		if (l->role == MEDIA_DTLS_SERVER)
			media_dtls_receive(l->dtls, e->buf[i], e->len[i]);
	g_free(e);
}

void media_leg_packet(struct media_stream *st, enum media_demux_kind kind,
		      const uint8_t *buf, size_t len,
		      const struct sockaddr *from, socklen_t from_len,
		      void *arg)
{
	struct leg *l = arg;
	uint8_t pkt[LEG_PKT_MAX];

	if (l->session->stopped || len > MEDIA_WORKER_RX_SIZE)
		return;
	if (kind == MEDIA_DEMUX_DTLS) {
		if (from_len <= sizeof(l->dtls_from)) {
			memcpy(&l->dtls_from, from, from_len);
			l->dtls_from_len = from_len;
		}
		if (l->dtls)
			media_dtls_receive(l->dtls, buf, len);
		else if (l->kind == MEDIA_LEG_WEBRTC && !l->role_set)
			early_keep(l, buf, len);
		return;
	}
	/* The worker's receive buffer is shared and read-only here. */
	memcpy(pkt, buf, len);
	if (kind == MEDIA_DEMUX_RTP)
		relay_rtp(l, pkt, len, g_get_monotonic_time());
	else if (kind == MEDIA_DEMUX_RTCP)
		relay_rtcp(l, pkt, len);
}

void media_leg_addr_text(const struct sockaddr_storage *ss, char *out,
			 size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		out[0] = '\0';
	}
}

static bool peer_text(struct leg *l, char *out, size_t cap, bool *latched)
{
	struct sockaddr_storage ss;
	socklen_t len;

	out[0] = '\0';
	if (!media_stream_peer(l->stream, &ss, &len, latched))
		return false;
	media_leg_addr_text(&ss, out, cap);
	return true;
}

void media_leg_stream_event(struct media_stream *st,
			    enum media_stream_event ev, void *arg)
{
	struct leg *l = arg;
	char peer[64];

	if (l->session->stopped)
		return;
	if (ev == MEDIA_STREAM_EVENT_SELECTED) {
		if (l->dtls)
			media_dtls_start(l->dtls);
		return;
	}
	peer_text(l, peer, sizeof(peer), NULL);
	media_session_post(l->session, MEDIA_SESSION_EVENT_CONSENT_EXPIRED,
			   l->id,
			   "the browser at %s stopped answering ICE consent "
			   "checks (tab closed or network lost)",
			   peer[0] ? peer : "(no pair)");
}

/* --- DTLS-SRTP */

static void dtls_send(const uint8_t *buf, size_t len, void *arg)
{
	leg_send(arg, buf, len, false);
}

static void dtls_event(struct media_dtls *d, enum media_dtls_event ev,
		       const char *reason, void *arg)
{
	struct leg *l = arg;
	struct media_srtp_key tx, rx;
	int rc;

	if (ev == MEDIA_DTLS_EVENT_FAILED) {
		media_session_post(l->session, MEDIA_SESSION_EVENT_DTLS_FAILED,
				   l->id, "%s", reason ? reason : "DTLS failed");
		return;
	}
	if (ev != MEDIA_DTLS_EVENT_CONNECTED)
		return;
	media_srtp_free(l->srtp);
	l->srtp = NULL;
	rc = media_dtls_keys(d, &tx, &rx);
	if (rc == 0)
		rc = media_srtp_new(&l->srtp, &tx, &rx, 0);
	memset(&tx, 0, sizeof(tx));
	memset(&rx, 0, sizeof(rx));
	if (rc != 0) {
		media_session_post(l->session, MEDIA_SESSION_EVENT_DTLS_FAILED,
				   l->id, "SRTP keys from DTLS refused (%s)",
				   g_strerror(rc));
		return;
	}
	if (!l->dtls_us)
		l->dtls_us = g_get_monotonic_time();
	media_session_post(l->session, MEDIA_SESSION_EVENT_DTLS_CONNECTED,
			   l->id, "%s",
			   media_srtp_profile_name(media_srtp_profile(l->srtp)));
}

static void dtls_drop(struct leg *l)
{
	l->dtls_settled = false;
	if (l->dtls) {
		media_dtls_close(l->dtls);
		media_dtls_destroy(l->dtls);
		g_clear_pointer(&l->dtls, media_dtls_unref);
	}
	g_clear_pointer(&l->srtp, media_srtp_free);
}

void media_leg_dtls_reset(struct leg *l)
{
	struct media_session *s = l->session;
	struct media_dtls_config cfg = {
		.cert = s->cert,
		.role = l->role,
		.remote_fingerprint = l->fingerprint[0] ? l->fingerprint : NULL,
		.context = media_worker_context(s->worker),
		.send_h = dtls_send,
		.event_h = dtls_event,
		.arg = l,
	};
	struct sockaddr_storage ss;
	socklen_t len;
	int rc;

	dtls_drop(l);
	if (!l->role_set || s->stopped)
		return;
	rc = media_dtls_new(&l->dtls, &cfg);
	if (rc != 0) {
		media_session_post(s, MEDIA_SESSION_EVENT_DTLS_FAILED, l->id,
				   "cannot make a DTLS endpoint (%s)",
				   g_strerror(rc));
		return;
	}
	early_replay(l);
	if (l->dtls && media_stream_peer(l->stream, &ss, &len, NULL))
		media_dtls_start(l->dtls);
}

void media_leg_sdes_rekey(struct leg *l)
{
	g_clear_pointer(&l->srtp, media_srtp_free);
	if (!l->sdes_tx.len || !l->sdes_rx.len)
		return;
	if (media_srtp_new(&l->srtp, &l->sdes_tx, &l->sdes_rx, 0) != 0)
		g_message("leg %s: SDES keys refused by libsrtp",
			  media_leg_name(l->id));
}

void media_leg_stop(struct leg *l)
{
	g_clear_pointer(&l->early, g_free);
	dtls_drop(l);
	media_stream_destroy(l->stream);
	memset(&l->sdes_tx, 0, sizeof(l->sdes_tx));
	memset(&l->sdes_rx, 0, sizeof(l->sdes_rx));
}

/* --- timeouts, one-way audio, statistics */

/* Plain words for why leg @l sends nothing. */
static void silent_hint(struct leg *l, char *out, size_t cap)
{
	char peer[64];
	bool have = peer_text(l, peer, sizeof(peer), NULL);

	if (l->kind != MEDIA_LEG_WEBRTC) {
		const char *where = l->signalled[0] ? l->signalled : peer;

		if (l->kind == MEDIA_LEG_SRTP_SDES && !l->srtp)
			snprintf(out, cap, "the phone at %s has no SDES keys "
				 "agreed yet", where);
		else if (l->rx_packets)
			snprintf(out, cap, "the phone at %s stopped sending",
				 where);
		else
			snprintf(out, cap, "the phone at %s sends nothing: "
				 "check its firewall or NAT", where);
	} else if (!have) {
		snprintf(out, cap, "the browser never completed ICE (no "
			 "connectivity check reached port %u)",
			 media_stream_ports(l->stream)->rtp_port);
	} else if (!l->srtp) {
		snprintf(out, cap, "the browser at %s never completed DTLS",
			 peer);
	} else {
		snprintf(out, cap, "the browser at %s sends no audio: is its "
			 "microphone muted or blocked?", peer);
	}
}

static void check_one_way(struct media_session *s, struct leg *l, int64_t now)
{
	struct leg *o = other(l);
	int64_t win = (int64_t)s->one_way_ms * 1000;
	int64_t since = l->last_rx_us ? l->last_rx_us : s->started_us;
	bool other_active = o->last_rx_us && now - o->last_rx_us < win &&
			    now - o->first_rx_us >= win;
	char hint[192];

	if (now - since < win) {
		l->one_way_reported = false;
		return;
	}
	if (l->one_way_reported || !other_active || !forwards(l))
		return;
	l->one_way_reported = true;
	silent_hint(l, hint, sizeof(hint));
	media_session_post(s, MEDIA_SESSION_EVENT_ONE_WAY, l->id,
			   "leg %s is silent while leg %s sends: %s",
			   media_leg_name(l->id), media_leg_name(o->id), hint);
}

static void check_timeout(struct media_session *s, int64_t now)
{
	int64_t last = MAX(s->started_us,
			   MAX(s->legs[0].last_rx_us, s->legs[1].last_rx_us));
	bool held = s->legs[0].dir != MEDIA_DIR_SENDRECV ||
		    s->legs[1].dir != MEDIA_DIR_SENDRECV;
	int64_t limit = (int64_t)(held ? s->hold_timeout_ms
				       : s->rtp_timeout_ms) * 1000;

	if (now - last < limit) {
		s->timeout_reported = false;
		return;
	}
	if (s->timeout_reported)
		return;
	s->timeout_reported = true;
	media_session_post(s, MEDIA_SESSION_EVENT_RTP_TIMEOUT, MEDIA_LEG_A,
			   "no RTP either way for %" G_GINT64_FORMAT " s%s",
			   (now - last) / G_USEC_PER_SEC,
			   held ? " (on hold)" : "");
}

static void snapshot(struct leg *l, struct media_leg_stats *st, int64_t now)
{
	st->rx_packets = l->rx_packets;
	st->rx_bytes = l->rx_bytes;
	st->tx_packets = l->tx_packets;
	st->tx_bytes = l->tx_bytes;
	st->rx_lost = media_rtp_rx_lost(&l->rx);
	st->rx_jitter_ms = media_rtp_rx_jitter_ms(&l->rx, l->rx_clock);
	st->rx_age_ms = l->last_rx_us ? (now - l->last_rx_us) / 1000 : -1;
	st->dropped = l->dropped;
	st->dtls_settled = l->dtls && media_dtls_is_settled(l->dtls);
	peer_text(l, st->peer, sizeof(st->peer), &st->latched);
}

void media_leg_tick(struct media_session *s, int64_t now)
{
	struct media_leg_stats st[2] = {0};

	if (!s->stopped) {
		check_one_way(s, &s->legs[0], now);
		check_one_way(s, &s->legs[1], now);
		check_timeout(s, now);
	}
	snapshot(&s->legs[0], &st[0], now);
	snapshot(&s->legs[1], &st[1], now);
	g_mutex_lock(&s->stats_lock);
	memcpy(s->stats, st, sizeof(st));
	g_mutex_unlock(&s->stats_lock);
}
