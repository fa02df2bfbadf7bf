/*
 * tests/media/browser_peer.h - a browser's media stack for tests: libnice's
 * full ICE agent (controlling, on 127.0.0.1), a media_dtls endpoint in the
 * role opposite to Ovoz's, and media_srtp for what it sends and receives.
 * Runs on the test's GMainContext. Include after cmocka.h (or after
 * definitions of assert_true() and assert_int_equal()).
 */
#ifndef OVOZ_TESTS_BROWSER_PEER_H
#define OVOZ_TESTS_BROWSER_PEER_H

#include <string.h>

#include <glib.h>
#include <nice/agent.h>

#include "media/demux.h"
#include "media/rtp.h"
#include "media/session.h"

/* An RTP packet with a text payload; timestamp 160 per sequence number. */
static size_t make_rtp(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ssrc,
		       const char *payload)
{
	size_t n = strlen(payload);
	uint32_t ts = (uint32_t)seq * 160;

	memset(buf, 0, 12);
	buf[0] = 0x80;
	buf[1] = pt;
	buf[2] = seq >> 8;
	buf[3] = seq & 0xff;
	buf[4] = (uint8_t)(ts >> 24);
	buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8);
	buf[7] = (uint8_t)ts;
	buf[8] = ssrc >> 24;
	buf[9] = (ssrc >> 16) & 0xff;
	buf[10] = (ssrc >> 8) & 0xff;
	buf[11] = ssrc & 0xff;
	memcpy(buf + 12, payload, n);
	return 12 + n;
}

/* --- the browser: libnice full agent + DTLS + SRTP */

struct browser {
	GMainContext *ctx; /* borrowed: the test's */
	NiceAgent *agent;
	guint sid;
	bool gathered;
	guint state;
	struct media_cert *cert;
	struct media_dtls *dtls;
	struct media_srtp *srtp;
	bool failed;
	bool closed; /* Ovoz's close_notify came and authenticated */
	bool no_dtls; /* ICE only: never start DTLS */
	bool defer_remote; /* browser_connect() leaves Ovoz's side alone */
	int dtls_sent;     /* datagrams its DTLS sent */
	int dtls_sent_at_reply; /* ... when Ovoz's first DTLS came */
	/* last RTP received, decrypted */
	int got;
	uint8_t pt;
	char payload[128];
	/* optional: every decrypted RTP payload, in arrival order */
	void (*rtp_h)(struct browser *b, const uint8_t *payload, size_t len);
};

static void b_send(const uint8_t *buf, size_t len, void *arg)
{
	struct browser *b = arg;

	b->dtls_sent++;
	nice_agent_send(b->agent, b->sid, 1, len, (const gchar *)buf);
}

static void b_dtls_event(struct media_dtls *d, enum media_dtls_event ev,
			 const char *reason, void *arg)
{
	struct browser *b = arg;
	struct media_srtp_key tx, rx;

	if (ev == MEDIA_DTLS_EVENT_CLOSED) {
		b->closed = true;
		return;
	}
	if (ev != MEDIA_DTLS_EVENT_CONNECTED) {
		b->failed = true;
		return;
	}
	assert_int_equal(media_dtls_keys(d, &tx, &rx), 0);
	assert_int_equal(media_srtp_new(&b->srtp, &tx, &rx, 0), 0);
}

static void b_recv(NiceAgent *a, guint sid, guint comp, guint len,
		   gchar *data, gpointer arg)
{
	struct browser *b = arg;
	uint8_t buf[2048];
	size_t n = MIN(len, sizeof(buf));
	struct media_rtp_header h;

	memcpy(buf, data, n);
	switch (media_demux_classify(buf, n)) {
	case MEDIA_DEMUX_DTLS:
		if (!b->dtls_sent_at_reply)
			b->dtls_sent_at_reply = b->dtls_sent;
		if (!b->no_dtls)
			media_dtls_receive(b->dtls, buf, n);
		break;
	case MEDIA_DEMUX_RTP:
		if (!b->srtp || media_srtp_unprotect(b->srtp, buf, &n) != 0 ||
		    media_rtp_parse(buf, n, &h) != 0)
			break;
		b->got++;
		b->pt = h.pt;
		n -= h.header_len;
		if (b->rtp_h)
			b->rtp_h(b, buf + h.header_len, n);
		n = MIN(n, sizeof(b->payload) - 1);
		memcpy(b->payload, buf + h.header_len, n);
		b->payload[n] = '\0';
		break;
	default:
		break;
	}
}

static void b_gathered(NiceAgent *a, guint sid, gpointer data)
{
	((struct browser *)data)->gathered = true;
}

static void b_state(NiceAgent *a, guint sid, guint comp, guint state,
		    gpointer data)
{
	struct browser *b = data;

	b->state = state;
	if (state == NICE_COMPONENT_STATE_READY && b->dtls && !b->no_dtls)
		media_dtls_start(b->dtls);
}

static void browser_init(struct browser *b, GMainContext *ctx)
{
	NiceAddress local;
	g_autofree char *err = NULL;
	gint64 end = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;

	b->ctx = ctx;
	assert_int_equal(media_cert_new(&b->cert, &err), 0);
	b->agent = nice_agent_new_full(ctx, NICE_COMPATIBILITY_RFC5245,
				       NICE_AGENT_OPTION_REGULAR_NOMINATION);
	g_object_set(b->agent, "controlling-mode", TRUE, "upnp", FALSE,
		     "ice-tcp", FALSE, NULL);
	nice_address_init(&local);
	assert_true(nice_address_set_from_string(&local, "127.0.0.1"));
	assert_true(nice_agent_add_local_address(b->agent, &local));
	b->sid = nice_agent_add_stream(b->agent, 1);
	g_signal_connect(b->agent, "candidate-gathering-done",
			 G_CALLBACK(b_gathered), b);
	g_signal_connect(b->agent, "component-state-changed",
			 G_CALLBACK(b_state), b);
	nice_agent_attach_recv(b->agent, b->sid, 1, ctx, b_recv, b);
	assert_true(nice_agent_gather_candidates(b->agent, b->sid));
	while (!b->gathered && g_get_monotonic_time() < end)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
	assert_true(b->gathered);
}

/*
 * What SDP would carry both ways: Ovoz plays @ovoz_role on @leg, the
 * browser the other; @fp is the fingerprint signalling gives Ovoz (NULL:
 * the browser's real one).
 */
G_GNUC_UNUSED static void browser_connect(struct browser *b,
					  struct media_session *s,
					  enum media_leg_id leg,
					  enum media_dtls_role ovoz_role,
					  const char *fp)
{
	struct media_leg_local loc;
	g_autofree char *ufrag = NULL, *pwd = NULL;
	NiceCandidate *c = nice_candidate_new(NICE_CANDIDATE_TYPE_HOST);
	GSList *list;
	struct media_leg_remote r = {0};
	struct media_dtls_config dc = {
		.cert = b->cert,
		.role = ovoz_role == MEDIA_DTLS_CLIENT ? MEDIA_DTLS_SERVER
						       : MEDIA_DTLS_CLIENT,
		.context = b->ctx,
		.send_h = b_send,
		.event_h = b_dtls_event,
		.arg = b,
	};

	media_session_local(s, leg, &loc);
	assert_true(loc.ice_ufrag[0] && loc.fingerprint[0]);
	assert_int_equal(loc.rtcp_port, 0);
	dc.remote_fingerprint = loc.fingerprint;
	assert_int_equal(media_dtls_new(&b->dtls, &dc), 0);
	assert_true(nice_agent_get_local_credentials(b->agent, b->sid, &ufrag,
						     &pwd));
	r.ice_ufrag = ufrag;
	r.fingerprint = fp ? fp : media_cert_fingerprint(b->cert);
	r.dtls_role_set = true;
	r.dtls_role = ovoz_role;
	if (!b->defer_remote)
		assert_int_equal(media_session_set_remote(s, leg, &r), 0);

	assert_true(nice_agent_set_remote_credentials(b->agent, b->sid,
						      loc.ice_ufrag,
						      loc.ice_pwd));
	c->stream_id = b->sid;
	c->component_id = 1;
	c->transport = NICE_CANDIDATE_TRANSPORT_UDP;
	c->priority = 2130706431;
	g_strlcpy(c->foundation, "1", sizeof(c->foundation));
	assert_true(nice_address_set_from_string(&c->addr, "127.0.0.1"));
	nice_address_set_port(&c->addr, loc.rtp_port);
	list = g_slist_append(NULL, c);
	assert_int_equal(nice_agent_set_remote_candidates(b->agent, b->sid, 1,
							  list),
			 1);
	g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
}

static void browser_stop(struct browser *b)
{
	if (b->dtls) {
		media_dtls_destroy(b->dtls);
		g_clear_pointer(&b->dtls, media_dtls_unref);
	}
	if (b->agent) {
		nice_agent_remove_stream(b->agent, b->sid);
		g_clear_object(&b->agent);
	}
	while (g_main_context_iteration(b->ctx, FALSE))
		;
}

static void browser_free(struct browser *b)
{
	browser_stop(b);
	g_clear_pointer(&b->srtp, media_srtp_free);
	media_cert_unref(b->cert);
}

static void browser_rtp(struct browser *b, uint8_t pt, uint16_t seq,
			const char *payload)
{
	uint8_t buf[256];
	size_t n = make_rtp(buf, pt, seq, 0xb0b0b0b0, payload);

	if (!b->srtp)
		return;
	assert_int_equal(media_srtp_protect(b->srtp, buf, &n, sizeof(buf)),
			 0);
	nice_agent_send(b->agent, b->sid, 1, n, (const gchar *)buf);
}

#endif
