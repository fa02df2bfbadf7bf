/*
 * tests/media/test_session.c - the relay of one call through a media
 * session on a worker, against real peers over loopback: a "browser" made
 * of libnice's full ICE agent (controlling), a media_dtls endpoint in the
 * opposite role and media_srtp; and plain RTP phones that are bare UDP
 * sockets. Payloads are compared byte for byte after decryption.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nice/agent.h>
#include <glib.h>

#include "media/demux.h"
#include "media/rtp.h"
#include "media/session.h"
#include "browser_peer.h"
#include "session_fixture.h"

/*
 * The set-up timings of MEDIA_FLOWING fit what the test saw: the first
 * check came after @connect_at, DTLS keyed before its event was
 * delivered, and media flowed after DTLS and before its own event.
 */
static void assert_setup_timing(const struct events *e, gint64 connect_at)
{
	int64_t window = e->at[MEDIA_SESSION_EVENT_MEDIA_FLOWING] - connect_at;

	assert_true(e->dtls_us >= 0);
	assert_true(e->dtls_us <=
		    e->at[MEDIA_SESSION_EVENT_DTLS_CONNECTED] - connect_at);
	assert_true(e->flowing_us >= e->dtls_us);
	assert_true(e->flowing_us <= window);
}


/* --- tests */

/*
 * A browser on leg A, a plain phone on leg B that signals a port nobody
 * listens on and sends from another (a phone behind NAT): Ovoz latches.
 */
static void browser_to_phone(enum media_dtls_role ovoz_role)
{
	struct events ev = {0};
	struct browser b = {0};
	struct sockaddr_in phone_addr, dead_addr, stranger_addr;
	int phone = test_udp_socket(&phone_addr);
	int dead = test_udp_socket(&dead_addr);
	int stranger = test_udp_socket(&stranger_addr);
	struct media_session *s =
		session(MEDIA_LEG_WEBRTC, MEDIA_LEG_RTP, &ev, NULL);
	struct media_leg_local loc_b;
	struct media_leg_stats st;
	struct plain_rx rx = {0};
	uint8_t pkt[256];
	uint16_t seq = 1;
	bool got = false;
	gint64 end, connect_at;

	media_session_local(s, MEDIA_LEG_B, &loc_b);
	assert_int_equal(loc_b.rtcp_port, loc_b.rtp_port + 1);
	set_plain_remote(s, MEDIA_LEG_B, ntohs(dead_addr.sin_port),
			 MEDIA_DIR_SENDRECV);
	browser_init(&b, ctx);
	connect_at = g_get_monotonic_time();
	browser_connect(&b, s, MEDIA_LEG_A, ovoz_role, NULL);
	assert_true(wait_event(&ev, MEDIA_SESSION_EVENT_DTLS_CONNECTED, 8000));
	assert_int_equal(ev.leg[MEDIA_SESSION_EVENT_DTLS_CONNECTED],
			 MEDIA_LEG_A);
	end = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
	while (!b.srtp && g_get_monotonic_time() < end)
		pump(5);
	assert_non_null(b.srtp);

	/* Phone -> browser first: it latches the phone's real source. */
	end = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
	while (!b.got && g_get_monotonic_time() < end) {
		udp_send_to(phone, loc_b.rtp_port, pkt,
			    make_rtp(pkt, 0, seq++, 0x11, "from-the-phone"));
		pump(20);
	}
	assert_int_equal(b.got > 0, 1);
	assert_int_equal(b.pt, 111);
	assert_string_equal(b.payload, "from-the-phone");
	udp_send_to(phone, loc_b.rtp_port, pkt,
		    make_rtp(pkt, 101, seq++, 0x11, "dtmf-5"));
	end = g_get_monotonic_time() + 2 * G_TIME_SPAN_SECOND;
	while (b.pt != 110 && g_get_monotonic_time() < end)
		pump(5);
	assert_int_equal(b.pt, 110);
	assert_string_equal(b.payload, "dtmf-5");

	/* Browser -> phone: decrypted, PT 111 -> 0, to the real source. */
	end = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
	for (uint16_t bseq = 1; !got && g_get_monotonic_time() < end;) {
		browser_rtp(&b, 111, bseq++, "from-the-browser");
		pump(20);
		got = plain_recv(phone, &rx);
	}
	assert_true(got);
	assert_int_equal(rx.pt, 0);
	assert_string_equal(rx.payload, "from-the-browser");
	assert_false(plain_recv(dead, &rx)); /* never the signalled port */
	assert_true(wait_event(&ev, MEDIA_SESSION_EVENT_MEDIA_FLOWING, 2000));
	assert_setup_timing(&ev, connect_at);

	/* A stranger's packets never reach the browser. */
	b.got = 0;
	for (int i = 0; i < 5; i++) {
		udp_send_to(stranger, loc_b.rtp_port, pkt,
			    make_rtp(pkt, 0, seq++, 0x66, "hijack"));
		pump(20);
	}
	pump(200);
	assert_int_equal(b.got, 0);

	pump(1100); /* one stats tick */
	media_session_stats(s, MEDIA_LEG_B, &st);
	assert_true(st.latched);
	g_autofree char *want = g_strdup_printf(
		"127.0.0.1:%u", ntohs(phone_addr.sin_port));
	assert_string_equal(st.peer, want);
	assert_true(st.rx_packets >= 2);
	assert_int_equal(st.rx_lost, 0);
	media_session_stats(s, MEDIA_LEG_A, &st);
	assert_true(st.rx_packets >= 1 && st.tx_packets >= 2);
	assert_true(st.peer[0] != '\0');
	/* An ICE restart gives leg A new credentials for the next SDP. */
	{
		struct media_leg_local before, after;

		media_session_local(s, MEDIA_LEG_A, &before);
		assert_int_equal(media_session_ice_restart(s, MEDIA_LEG_A), 0);
		media_session_local(s, MEDIA_LEG_A, &after);
		assert_string_not_equal(before.ice_ufrag, after.ice_ufrag);
		assert_string_not_equal(before.ice_pwd, after.ice_pwd);
		assert_string_equal(before.fingerprint, after.fingerprint);
		/* Media waits for the browser's checks on the new ones. */
		pump(1100);
		media_session_stats(s, MEDIA_LEG_A, &st);
		assert_string_equal(st.peer, "");
	}

	session_end(s);
	browser_free(&b);
	close(phone);
	close(dead);
	close(stranger);
}

static void test_browser_phone_ovoz_client(void **state)
{
	browser_to_phone(MEDIA_DTLS_CLIENT);
}

static void test_browser_phone_ovoz_server(void **state)
{
	browser_to_phone(MEDIA_DTLS_SERVER);
}

static void test_fingerprint_mismatch(void **state)
{
	struct events ev = {0};
	struct browser b = {0};
	struct sockaddr_in phone_addr;
	int phone = test_udp_socket(&phone_addr);
	struct media_session *s =
		session(MEDIA_LEG_WEBRTC, MEDIA_LEG_RTP, &ev, NULL);
	struct plain_rx rx;
	struct media_leg_stats st;

	set_plain_remote(s, MEDIA_LEG_B, ntohs(phone_addr.sin_port),
			 MEDIA_DIR_SENDRECV);
	browser_init(&b, ctx);
	/* Signalling hands Ovoz someone else's fingerprint. */
	browser_connect(&b, s, MEDIA_LEG_A, MEDIA_DTLS_SERVER,
			media_cert_fingerprint(ovoz_cert));
	assert_true(wait_event(&ev, MEDIA_SESSION_EVENT_DTLS_FAILED, 8000));
	assert_int_equal(ev.leg[MEDIA_SESSION_EVENT_DTLS_FAILED], MEDIA_LEG_A);
	assert_non_null(strstr(ev.reason[MEDIA_SESSION_EVENT_DTLS_FAILED],
			       "fingerprint mismatch"));
	assert_int_equal(ev.count[MEDIA_SESSION_EVENT_DTLS_CONNECTED], 0);
	/* Whatever the browser sends is not relayed. */
	for (uint16_t seq = 1; seq < 20; seq++) {
		browser_rtp(&b, 111, seq, "must-not-pass");
		pump(10);
	}
	pump(300);
	assert_false(plain_recv(phone, &rx));
	pump(1000);
	media_session_stats(s, MEDIA_LEG_B, &st);
	assert_int_equal(st.tx_packets, 0);
	session_end(s);
	browser_free(&b);
	close(phone);
}

static void test_consent_then_timeout(void **state)
{
	struct events ev = {0};
	struct browser b = {0};
	struct sockaddr_in phone_addr;
	int phone = test_udp_socket(&phone_addr);
	struct media_session_config over = {
		.consent_timeout_us = 2500 * 1000,
		.rtp_timeout_ms = 3500,
	};
	struct media_session *s =
		session(MEDIA_LEG_WEBRTC, MEDIA_LEG_RTP, &ev, &over);
	gint64 stopped;

	set_plain_remote(s, MEDIA_LEG_B, ntohs(phone_addr.sin_port),
			 MEDIA_DIR_SENDRECV);
	browser_init(&b, ctx);
	browser_connect(&b, s, MEDIA_LEG_A, MEDIA_DTLS_SERVER, NULL);
	assert_true(wait_event(&ev, MEDIA_SESSION_EVENT_DTLS_CONNECTED, 8000));
	for (uint16_t seq = 1; seq < 5; seq++) {
		browser_rtp(&b, 111, seq, "last-words");
		pump(20);
	}
	/* The tab closes: no checks, no media. */
	browser_stop(&b);
	stopped = g_get_monotonic_time();
	assert_int_equal(ev.count[MEDIA_SESSION_EVENT_CONSENT_EXPIRED], 0);
	assert_true(wait_event(&ev, MEDIA_SESSION_EVENT_CONSENT_EXPIRED, 5000));
	assert_int_equal(ev.leg[MEDIA_SESSION_EVENT_CONSENT_EXPIRED],
			 MEDIA_LEG_A);
	assert_non_null(strstr(ev.reason[MEDIA_SESSION_EVENT_CONSENT_EXPIRED],
			       "stopped answering"));
	assert_true(wait_event(&ev, MEDIA_SESSION_EVENT_RTP_TIMEOUT, 5000));
	assert_true(ev.at[MEDIA_SESSION_EVENT_RTP_TIMEOUT] >=
		    ev.at[MEDIA_SESSION_EVENT_CONSENT_EXPIRED]);
	assert_true(ev.at[MEDIA_SESSION_EVENT_RTP_TIMEOUT] - stopped >=
		    3000 * 1000);
	assert_int_equal(ev.count[MEDIA_SESSION_EVENT_RTP_TIMEOUT], 1);
	session_end(s);
	browser_free(&b);
	close(phone);
}

static void test_browser_to_browser(void **state)
{
	struct events ev = {0};
	struct browser a = {0}, b = {0};
	struct media_session *s =
		session(MEDIA_LEG_WEBRTC, MEDIA_LEG_WEBRTC, &ev, NULL);
	const struct media_pt_route opus[] = {{111, 109, 48000}};
	gint64 end, connect_at;

	assert_int_equal(media_session_set_routes(s, opus, 1), 0);
	browser_init(&a, ctx);
	browser_init(&b, ctx);
	connect_at = g_get_monotonic_time();
	browser_connect(&a, s, MEDIA_LEG_A, MEDIA_DTLS_SERVER, NULL);
	browser_connect(&b, s, MEDIA_LEG_B, MEDIA_DTLS_CLIENT, NULL);
	end = g_get_monotonic_time() + 8 * G_TIME_SPAN_SECOND;
	while ((ev.count[MEDIA_SESSION_EVENT_DTLS_CONNECTED] < 2 || !a.srtp ||
		!b.srtp) &&
	       g_get_monotonic_time() < end)
		pump(5);
	assert_int_equal(ev.count[MEDIA_SESSION_EVENT_DTLS_CONNECTED], 2);
	end = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
	for (uint16_t seq = 1;
	     (!a.got || !b.got) && g_get_monotonic_time() < end; seq++) {
		browser_rtp(&a, 111, seq, "alice-says-hi");
		browser_rtp(&b, 109, seq, "bob-says-hi");
		pump(20);
	}
	assert_int_equal(b.pt, 109);
	assert_string_equal(b.payload, "alice-says-hi");
	assert_int_equal(a.pt, 111);
	assert_string_equal(a.payload, "bob-says-hi");
	assert_true(wait_event(&ev, MEDIA_SESSION_EVENT_MEDIA_FLOWING, 2000));
	assert_setup_timing(&ev, connect_at);
	session_end(s);
	browser_free(&a);
	browser_free(&b);
}

/* Two plain phones: a and b, each signalled at its real address. */
struct phones {
	struct events ev;
	struct media_session *s;
	int a, b;
	struct sockaddr_in a_addr, b_addr;
	struct media_leg_local la, lb;
	uint16_t seq;
};

static void phones_start(struct phones *p,
			 const struct media_session_config *over)
{
	p->a = test_udp_socket(&p->a_addr);
	p->b = test_udp_socket(&p->b_addr);
	p->s = session(MEDIA_LEG_RTP, MEDIA_LEG_RTP, &p->ev, over);
	media_session_local(p->s, MEDIA_LEG_A, &p->la);
	media_session_local(p->s, MEDIA_LEG_B, &p->lb);
	set_plain_remote(p->s, MEDIA_LEG_A, ntohs(p->a_addr.sin_port),
			 MEDIA_DIR_SENDRECV);
	set_plain_remote(p->s, MEDIA_LEG_B, ntohs(p->b_addr.sin_port),
			 MEDIA_DIR_SENDRECV);
}

static void phones_stop(struct phones *p)
{
	session_end(p->s);
	close(p->a);
	close(p->b);
}

/* Each phone sends one packet (if asked); what arrived where, in 150 ms. */
static void phones_exchange(struct phones *p, bool a_sends, bool b_sends,
			    bool *a_got, bool *b_got)
{
	uint8_t pkt[64];
	struct plain_rx rx;

	/* Changes reach the worker by message: let them land, drain. */
	pump(100);
	while (plain_recv(p->a, &rx) || plain_recv(p->b, &rx))
		;
	*a_got = *b_got = false;
	for (int i = 0; i < 5; i++) {
		p->seq++;
		if (a_sends)
			udp_send_to(p->a, p->la.rtp_port, pkt,
				    make_rtp(pkt, 8, p->seq, 0xa, "from-a"));
		if (b_sends)
			udp_send_to(p->b, p->lb.rtp_port, pkt,
				    make_rtp(pkt, 8, p->seq, 0xb, "from-b"));
		pump(30);
		while (plain_recv(p->a, &rx))
			*a_got |= !strcmp(rx.payload, "from-b");
		while (plain_recv(p->b, &rx))
			*b_got |= !strcmp(rx.payload, "from-a");
	}
}

static void test_hold_directions(void **state)
{
	struct phones p = {0};
	bool a_got, b_got;

	phones_start(&p, NULL);
	phones_exchange(&p, true, true, &a_got, &b_got);
	assert_true(a_got && b_got);
	/* No WebRTC leg: no ICE check to time the set-up from. */
	assert_true(wait_event(&p.ev, MEDIA_SESSION_EVENT_MEDIA_FLOWING, 2000));
	assert_int_equal(p.ev.flowing_us, -1);
	assert_int_equal(p.ev.dtls_us, -1);
	/* A puts B on hold with sendonly: A's music still goes to B. */
	media_session_set_direction(p.s, MEDIA_LEG_A, MEDIA_DIR_SENDONLY);
	media_session_set_direction(p.s, MEDIA_LEG_B, MEDIA_DIR_RECVONLY);
	phones_exchange(&p, true, true, &a_got, &b_got);
	assert_false(a_got);
	assert_true(b_got);
	/* inactive: nothing either way. */
	media_session_set_direction(p.s, MEDIA_LEG_A, MEDIA_DIR_INACTIVE);
	phones_exchange(&p, true, true, &a_got, &b_got);
	assert_false(a_got || b_got);
	/* Resumed. */
	media_session_set_direction(p.s, MEDIA_LEG_A, MEDIA_DIR_SENDRECV);
	media_session_set_direction(p.s, MEDIA_LEG_B, MEDIA_DIR_SENDRECV);
	phones_exchange(&p, true, true, &a_got, &b_got);
	assert_true(a_got && b_got);
	phones_stop(&p);
}

static void test_one_way_names_silent_side(void **state)
{
	struct media_session_config over = {.one_way_ms = 800};
	struct phones p = {0};
	bool a_got, b_got;
	gint64 end = g_get_monotonic_time() + 4 * G_TIME_SPAN_SECOND;
	g_autofree char *hint = NULL;

	phones_start(&p, &over);
	/* Only B talks; A (behind a firewall, say) sends nothing. */
	while (!p.ev.count[MEDIA_SESSION_EVENT_ONE_WAY] &&
	       g_get_monotonic_time() < end)
		phones_exchange(&p, false, true, &a_got, &b_got);
	assert_int_equal(p.ev.count[MEDIA_SESSION_EVENT_ONE_WAY], 1);
	assert_int_equal(p.ev.leg[MEDIA_SESSION_EVENT_ONE_WAY], MEDIA_LEG_A);
	hint = g_strdup_printf("the phone at 127.0.0.1:%u sends nothing: "
			       "check its firewall or NAT",
			       ntohs(p.a_addr.sin_port));
	assert_non_null(strstr(p.ev.reason[MEDIA_SESSION_EVENT_ONE_WAY], hint));
	assert_int_equal(p.ev.count[MEDIA_SESSION_EVENT_MEDIA_FLOWING], 0);
	phones_stop(&p);
}

/*
 * The browser's ClientHello beats the SIP answer to Ovoz: it is kept and
 * answered as soon as the role is known, without waiting for the
 * browser's retransmission (its first comes after 250 ms).
 */
static void test_clienthello_before_answer(void **state)
{
	struct events ev = {0};
	struct browser b = {.defer_remote = true};
	struct sockaddr_in phone_addr;
	int phone = test_udp_socket(&phone_addr);
	struct media_session *s =
		session(MEDIA_LEG_WEBRTC, MEDIA_LEG_RTP, &ev, NULL);
	g_autofree char *ufrag = NULL, *pwd = NULL;
	struct media_leg_remote r = {.dtls_role_set = true,
				     .dtls_role = MEDIA_DTLS_SERVER};
	gint64 end = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
	int sent;

	browser_init(&b, ctx);
	browser_connect(&b, s, MEDIA_LEG_A, MEDIA_DTLS_SERVER, NULL);
	while (!b.dtls_sent && g_get_monotonic_time() < end)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(500);
	sent = b.dtls_sent;
	assert_true(sent > 0); /* the ClientHello is out */
	assert_true(nice_agent_get_local_credentials(b.agent, b.sid, &ufrag,
						     &pwd));
	r.ice_ufrag = ufrag;
	r.fingerprint = media_cert_fingerprint(b.cert);
	assert_int_equal(media_session_set_remote(s, MEDIA_LEG_A, &r), 0);
	g_usleep(100 * 1000); /* the browser's clock stands still */
	assert_true(wait_event(&ev, MEDIA_SESSION_EVENT_DTLS_CONNECTED, 5000));
	/* Ovoz answered the first ClientHello, not a retransmission. */
	assert_int_equal(b.dtls_sent_at_reply, sent);
	session_end(s);
	browser_free(&b);
	close(phone);
}

/* ICE works, DTLS never does: the phone talks, the browser is named. */
static void test_one_way_browser_without_dtls(void **state)
{
	struct media_session_config over = {.one_way_ms = 800};
	struct events ev = {0};
	struct browser b = {.no_dtls = true};
	struct sockaddr_in phone_addr;
	int phone = test_udp_socket(&phone_addr);
	struct media_session *s =
		session(MEDIA_LEG_WEBRTC, MEDIA_LEG_RTP, &ev, &over);
	struct media_leg_local lb;
	uint8_t pkt[64];
	gint64 end = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;

	media_session_local(s, MEDIA_LEG_B, &lb);
	set_plain_remote(s, MEDIA_LEG_B, ntohs(phone_addr.sin_port),
			 MEDIA_DIR_SENDRECV);
	browser_init(&b, ctx);
	browser_connect(&b, s, MEDIA_LEG_A, MEDIA_DTLS_SERVER, NULL);
	for (uint16_t seq = 1; !ev.count[MEDIA_SESSION_EVENT_ONE_WAY] &&
			       g_get_monotonic_time() < end;
	     seq++) {
		udp_send_to(phone, lb.rtp_port, pkt,
			    make_rtp(pkt, 0, seq, 0x11, "hello?"));
		pump(20);
	}
	assert_int_equal(ev.count[MEDIA_SESSION_EVENT_ONE_WAY], 1);
	assert_int_equal(ev.leg[MEDIA_SESSION_EVENT_ONE_WAY], MEDIA_LEG_A);
	assert_non_null(strstr(ev.reason[MEDIA_SESSION_EVENT_ONE_WAY],
			       "never completed DTLS"));
	assert_int_equal(b.got, 0);
	session_end(s);
	browser_free(&b);
	close(phone);
}

static size_t make_rtcp_rr(uint8_t *buf, uint32_t ssrc)
{
	memset(buf, 0, 8);
	buf[0] = 0x80; /* RR, no report blocks */
	buf[1] = 201;
	buf[3] = 1;    /* length in words - 1 */
	buf[4] = ssrc >> 24;
	buf[7] = ssrc & 0xff;
	return 8;
}

/* Wait up to @ms for a datagram on @fd. */
static size_t udp_wait(int fd, uint8_t *buf, size_t cap, unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
	size_t n = 0;

	while (!(n = udp_poll(fd, buf, cap)) && g_get_monotonic_time() < end)
		pump(5);
	return n;
}

/* A plain phone (RTCP on its own port) on A, an SDES phone on B. */
static void test_plain_to_sdes_with_rtcp(void **state)
{
	struct events ev = {0};
	struct sockaddr_in a_addr, a_rtcp_addr, b_addr;
	int a = test_udp_socket(&a_addr), a_rtcp = test_udp_socket(&a_rtcp_addr);
	int b = test_udp_socket(&b_addr);
	struct media_session *s =
		session(MEDIA_LEG_RTP, MEDIA_LEG_SRTP_SDES, &ev, NULL);
	struct media_leg_local la, lb;
	struct media_leg_remote ra = {.rtp = (struct sockaddr *)&a_addr,
				      .rtp_len = sizeof(a_addr),
				      .rtcp = (struct sockaddr *)&a_rtcp_addr,
				      .rtcp_len = sizeof(a_rtcp_addr)};
	struct media_leg_remote rb = {.rtp = (struct sockaddr *)&b_addr,
				      .rtp_len = sizeof(b_addr)};
	struct media_srtp *srtp = NULL;
	struct media_rtp_header h;
	uint8_t pkt[256], rr[8];
	size_t n;

	media_session_local(s, MEDIA_LEG_A, &la);
	media_session_local(s, MEDIA_LEG_B, &lb);
	assert_int_equal(lb.sdes_key.profile, MEDIA_SRTP_AES128_CM_SHA1_80);
	assert_int_equal(media_session_ice_restart(s, MEDIA_LEG_B), EINVAL);
	assert_int_equal(media_srtp_key_random(&rb.sdes_key,
					       MEDIA_SRTP_AES128_CM_SHA1_80),
			 0);
	assert_int_equal(media_srtp_new(&srtp, &rb.sdes_key, &lb.sdes_key, 0),
			 0);
	assert_int_equal(media_session_set_remote(s, MEDIA_LEG_A, &ra), 0);
	assert_int_equal(media_session_set_remote(s, MEDIA_LEG_B, &rb), 0);
	pump(50);

	/* RTP A -> B arrives as SRTP that B's key opens, PT 8 kept. */
	udp_send_to(a, la.rtp_port, pkt, make_rtp(pkt, 8, 7, 0xa, "plain-a"));
	n = udp_wait(b, pkt, sizeof(pkt), 2000);
	assert_true(n > 0);
	assert_int_equal(media_srtp_unprotect(srtp, pkt, &n), 0);
	assert_int_equal(media_rtp_parse(pkt, n, &h), 0);
	assert_int_equal(h.pt, 8);
	assert_memory_equal(pkt + h.header_len, "plain-a", 7);
	/* SRTP B -> A arrives decrypted. */
	n = make_rtp(pkt, 8, 9, 0xb, "secret-b");
	assert_int_equal(media_srtp_protect(srtp, pkt, &n, sizeof(pkt)), 0);
	udp_send_to(b, lb.rtp_port, pkt, n);
	n = udp_wait(a, pkt, sizeof(pkt), 2000);
	assert_int_equal(n, 12 + 8);
	assert_memory_equal(pkt + 12, "secret-b", 8);

	/* RTCP from A's RTCP port reaches B as SRTCP, and back to port+1. */
	udp_send_to(a_rtcp, la.rtcp_port, rr, make_rtcp_rr(rr, 0xa));
	n = udp_wait(b, pkt, sizeof(pkt), 2000);
	assert_true(n > 8);
	assert_int_equal(media_srtp_unprotect_rtcp(srtp, pkt, &n), 0);
	assert_int_equal(n, 8);
	assert_memory_equal(pkt, rr, 8);
	n = make_rtcp_rr(pkt, 0xb);
	assert_int_equal(media_srtp_protect_rtcp(srtp, pkt, &n, sizeof(pkt)),
			 0);
	udp_send_to(b, lb.rtp_port, pkt, n);
	n = udp_wait(a_rtcp, pkt, sizeof(pkt), 2000);
	assert_int_equal(n, 8);
	assert_int_equal(pkt[1], 201);
	assert_int_equal(pkt[7], 0xb);
	assert_false(udp_poll(a, pkt, sizeof(pkt)));

	session_end(s);
	media_srtp_free(srtp);
	close(a);
	close(a_rtcp);
	close(b);
}



int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_browser_phone_ovoz_client),
		cmocka_unit_test(test_browser_phone_ovoz_server),
		cmocka_unit_test(test_fingerprint_mismatch),
		cmocka_unit_test(test_clienthello_before_answer),
		cmocka_unit_test(test_consent_then_timeout),
		cmocka_unit_test(test_browser_to_browser),
		cmocka_unit_test(test_hold_directions),
		cmocka_unit_test(test_one_way_names_silent_side),
		cmocka_unit_test(test_one_way_browser_without_dtls),
		cmocka_unit_test(test_plain_to_sdes_with_rtcp),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
