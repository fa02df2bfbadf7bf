/* tests/gateway/test_media.c - gateway/media.c and media_sdp.c: which
 * calls are relayed, what the SDP each side gets says, refusals (no port,
 * no codec, bad SDP), retransmitted answers, and release of the ports. The
 * relay is real (workers, sockets, certificate); the proxy is not needed:
 * the tests give gateway_media_body() the events the proxy gives. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "gateway/media.h"

/* A MicroSIP-style plain offer from 127.0.0.1. */
static const char plain_offer[] =
	"v=0\r\n"
	"o=- 3913478301 3913478301 IN IP4 127.0.0.1\r\n"
	"s=pjmedia\r\n"
	"c=IN IP4 127.0.0.1\r\n"
	"t=0 0\r\n"
	"m=audio 4000 RTP/AVP 0 8 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-16\r\n"
	"a=sendrecv\r\n";

/* The same phone behind NAT: its SDP names its private address. */
static const char natted_offer[] =
	"v=0\r\n"
	"o=- 3913478301 3913478301 IN IP4 10.0.0.5\r\n"
	"s=pjmedia\r\n"
	"c=IN IP4 10.0.0.5\r\n"
	"t=0 0\r\n"
	"m=audio 4000 RTP/AVP 0 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=sendrecv\r\n";

static const char plain_answer[] =
	"v=0\r\n"
	"o=- 1 1 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"c=IN IP4 127.0.0.1\r\n"
	"t=0 0\r\n"
	"m=audio 4100 RTP/AVP 0 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=sendrecv\r\n";

/* Only G.729: nothing Ovoz relays. */
static const char g729_offer[] =
	"v=0\r\n"
	"o=- 1 1 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"c=IN IP4 127.0.0.1\r\n"
	"t=0 0\r\n"
	"m=audio 4000 RTP/AVP 18\r\n"
	"a=rtpmap:18 G729/8000\r\n";

/* A browser's offer, trimmed: ICE, DTLS, rtcp-mux, BUNDLE, opus + PCMU. */
static const char webrtc_offer[] =
	"v=0\r\n"
	"o=- 6509051553636125549 2 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"a=group:BUNDLE 0\r\n"
	"m=audio 33340 UDP/TLS/RTP/SAVPF 111 0 126\r\n"
	"c=IN IP4 127.0.0.1\r\n"
	"a=candidate:1 1 udp 2122194687 127.0.0.1 33340 typ host\r\n"
	"a=ice-ufrag:L6Sx\r\n"
	"a=ice-pwd:oNvQje/YbhiwlS+sWuvW+8cA\r\n"
	"a=fingerprint:sha-256 2B:67:3F:FD:F3:78:94:98:75:AE:25:9A:25:E2:5B:"
	"9C:2E:8C:59:0F:F1:06:30:56:D2:53:DE:29:8B:1B:C7:92\r\n"
	"a=setup:actpass\r\n"
	"a=mid:0\r\n"
	"a=sendrecv\r\n"
	"a=rtcp-mux\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:126 telephone-event/8000\r\n";

struct fixture {
	struct gateway_media *m;
	uint16_t lo, hi;
	GPtrArray *ended; /* call ids the relay asked to end */
	char *note;       /* the last one-way audio note */
};

static void on_note(void *arg, const char *call_id, const char *note)
{
	struct fixture *f = arg;

	g_free(f->note);
	f->note = g_strdup_printf("%s: %s", call_id, note);
}

static void on_end(void *arg, const char *call_id, int status,
		   const char *reason)
{
	struct fixture *f = arg;

	g_ptr_array_add(f->ended, g_strdup(call_id));
}

static const char *public_ip; /* for the next setup */

static int setup_with(void **state, enum gateway_media_relay_udp relay,
		      unsigned pairs)
{
	struct fixture *f = g_new0(struct fixture, 1);
	g_autofree char *err = NULL;
	struct gateway_media_config c = {
		.ip = "127.0.0.1",
		.public_ip = public_ip,
		.relay_udp = relay,
		.workers = 1,
		.end_h = on_end,
		.note_h = on_note,
		.arg = f,
	};

	/* Ports of our own, apart from other tests running at once. */
	f->lo = (uint16_t)(30000 + (getpid() % 1000) * 16);
	f->hi = (uint16_t)(f->lo + pairs * 2 - 1);
	c.rtp_lo = f->lo;
	c.rtp_hi = f->hi;
	f->ended = g_ptr_array_new_with_free_func(g_free);
	assert_int_equal(gateway_media_new(&f->m, &c, &err), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, GATEWAY_MEDIA_RELAY_AUTO, 8);
}

static int setup_always(void **state)
{
	return setup_with(state, GATEWAY_MEDIA_RELAY_ALWAYS, 8);
}

static int setup_never(void **state)
{
	return setup_with(state, GATEWAY_MEDIA_RELAY_NEVER, 8);
}

/* Behind 1:1 NAT: 203.0.113.7 is announced (nothing is sent there). */
static int setup_public(void **state)
{
	int rc;

	public_ip = "203.0.113.7";
	rc = setup_with(state, GATEWAY_MEDIA_RELAY_AUTO, 8);
	public_ip = NULL;
	return rc;
}

/* Two pairs: one browser-to-phone call (a pair per leg) fills them. */
static int setup_small(void **state)
{
	return setup_with(state, GATEWAY_MEDIA_RELAY_AUTO, 2);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gateway_media_free(f->m);
	g_ptr_array_unref(f->ended);
	g_free(f->note);
	g_free(f);
	return 0;
}

struct call {
	struct sip_addr caller, callee;
	struct sip_media_event ev;
};

/* An INVITE's offer from the caller at @src over @from to a callee over
 * @to, branch "z9hG4bK-1". */
static void call_init(struct call *c, const char *call_id,
		      enum sip_transport_kind from, enum sip_transport_kind to,
		      const char *src)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(sip_addr_parse(&c->caller, src), 0);
	assert_int_equal(sip_addr_parse(&c->callee, "127.0.0.1:5070"), 0);
	c->ev = (struct sip_media_event){
		.kind = SIP_MEDIA_OFFER,
		.call_id = call_id,
		.from_tag = "ft",
		.branch = "z9hG4bK-1",
		.from_caller = true,
		.is_request = true,
		.method = "INVITE",
		.from_kind = from,
		.to_kind = to,
		.source = &c->caller,
		.dest = &c->callee,
		.dest_host = "127.0.0.1",
	};
}

/* The callee's 200 answer to that INVITE. */
static struct sip_media_event call_answer_ev(struct call *c)
{
	struct sip_media_event ev = c->ev;

	ev.kind = SIP_MEDIA_ANSWER;
	ev.from_caller = false;
	ev.is_request = false;
	ev.status = 200;
	ev.to_tag = "tt";
	ev.from_kind = c->ev.to_kind;
	ev.to_kind = c->ev.from_kind;
	ev.source = &c->callee;
	ev.dest = NULL;
	ev.dest_host = NULL;
	return ev;
}

static int body(struct fixture *f, const struct sip_media_event *ev,
		const char *sdp, char **out, const char **reason)
{
	size_t len = 0;

	*out = NULL;
	*reason = NULL;
	return gateway_media_body(f->m, ev, sdp, strlen(sdp), out, &len,
				  reason);
}

/* The m=audio port of @sdp, 0 if none. */
static unsigned audio_port(const char *sdp)
{
	const char *m = strstr(sdp, "m=audio ");

	return m ? (unsigned)strtoul(m + 8, NULL, 10) : 0;
}

static bool metric_has(struct fixture *f, const char *line)
{
	g_autoptr(GString) s = g_string_new(NULL);

	gateway_media_metrics(f->m, s);
	return strstr(s->str, line) != NULL;
}

/* Ports come back on the worker, just after the release. */
static void wait_ports_free(struct fixture *f)
{
	for (int i = 0; i < 200 && !metric_has(f, "ovoz_media_ports_used 0\n");
	     i++)
		g_usleep(5000);
	assert_true(metric_has(f, "ovoz_media_ports_used 0\n"));
}

static void test_udp_without_nat_passes(void **state)
{
	struct fixture *f = *state;
	struct call c;
	const char *reason;
	char *out;

	call_init(&c, "c1", SIP_TRANSPORT_UDP, SIP_TRANSPORT_UDP,
		  "127.0.0.1:5062");
	assert_int_equal(body(f, &c.ev, plain_offer, &out, &reason), 0);
	assert_null(out); /* the body goes unchanged */
	assert_int_equal(gateway_media_sessions(f->m), 0);
	/* The answer of a pass-through call passes too. */
	struct sip_media_event a = call_answer_ev(&c);
	assert_int_equal(body(f, &a, plain_answer, &out, &reason), 0);
	assert_null(out);
	gateway_media_release(f->m, "c1", NULL, "BYE");
}

static void test_natted_caller_is_relayed(void **state)
{
	struct fixture *f = *state;
	struct call c;
	const char *reason;
	char *out, *ans;
	struct sip_media_event a;

	call_init(&c, "c2", SIP_TRANSPORT_UDP, SIP_TRANSPORT_UDP,
		  "127.0.0.1:5062");
	assert_int_equal(body(f, &c.ev, natted_offer, &out, &reason), 0);
	assert_non_null(out);
	assert_non_null(strstr(out, "c=IN IP4 127.0.0.1\r\n"));
	assert_null(strstr(out, "10.0.0.5"));
	assert_in_range(audio_port(out), f->lo, f->hi);
	assert_non_null(strstr(out, "RTP/AVP"));
	assert_int_equal(gateway_media_sessions(f->m), 1);

	a = call_answer_ev(&c);
	assert_int_equal(body(f, &a, plain_answer, &ans, &reason), 0);
	assert_non_null(ans);
	/* The caller is told Ovoz's other port, not the callee's 4100. */
	assert_in_range(audio_port(ans), f->lo, f->hi);
	assert_int_not_equal(audio_port(ans), audio_port(out));
	assert_non_null(strstr(ans, "a=rtpmap:0 PCMU/8000"));
	g_free(out);
	g_free(ans);

	gateway_media_release(f->m, "c2", NULL, "BYE");
	assert_int_equal(gateway_media_sessions(f->m), 0);
	wait_ports_free(f);
}

static void test_natted_callee_is_relayed(void **state)
{
	struct fixture *f = *state;
	struct call c;
	const char *reason;
	char *out;

	call_init(&c, "c3", SIP_TRANSPORT_UDP, SIP_TRANSPORT_UDP,
		  "127.0.0.1:5062");
	c.ev.dest_host = "10.1.1.1"; /* its contact, not where we send */
	assert_int_equal(body(f, &c.ev, plain_offer, &out, &reason), 0);
	assert_non_null(out);
	assert_int_equal(gateway_media_sessions(f->m), 1);
	g_free(out);
	gateway_media_release(f->m, "c3", "z9hG4bK-1", "cancelled");
	assert_int_equal(gateway_media_sessions(f->m), 0);
	wait_ports_free(f);
}

/* "always": even a phone on the same network is relayed. */
static void test_relay_always(void **state)
{
	struct fixture *f = *state;
	struct call c;
	const char *reason;
	char *out;

	call_init(&c, "c4", SIP_TRANSPORT_UDP, SIP_TRANSPORT_UDP,
		  "127.0.0.1:5062");
	assert_int_equal(body(f, &c.ev, plain_offer, &out, &reason), 0);
	assert_non_null(out);
	assert_int_equal(gateway_media_sessions(f->m), 1);
	g_free(out);
	gateway_media_release(f->m, "c4", NULL, "BYE");
	wait_ports_free(f);
}

/* "never": even a NATed phone's SDP passes unchanged. */
static void test_relay_never(void **state)
{
	struct fixture *f = *state;
	struct call c;
	const char *reason;
	char *out;

	call_init(&c, "c5", SIP_TRANSPORT_UDP, SIP_TRANSPORT_UDP,
		  "127.0.0.1:5062");
	c.ev.dest_host = "10.1.1.1";
	assert_int_equal(body(f, &c.ev, natted_offer, &out, &reason), 0);
	assert_null(out);
	assert_int_equal(gateway_media_sessions(f->m), 0);
	gateway_media_release(f->m, "c5", NULL, "BYE");
}

static void test_browser_offer_to_phone(void **state)
{
	struct fixture *f = *state;
	struct call c;
	const char *reason;
	char *out, *ans;
	struct sip_media_event a;

	call_init(&c, "c6", SIP_TRANSPORT_WSS, SIP_TRANSPORT_UDP,
		  "127.0.0.1:40000");
	assert_int_equal(body(f, &c.ev, webrtc_offer, &out, &reason), 0);
	assert_non_null(out);
	/* The phone gets plain RTP with the codecs it can take. */
	assert_non_null(strstr(out, "RTP/AVP"));
	assert_null(strstr(out, "SAVPF"));
	assert_null(strstr(out, "a=ice-ufrag"));
	assert_null(strstr(out, "a=fingerprint"));
	assert_non_null(strstr(out, "a=rtpmap:0 PCMU/8000"));
	g_free(out);

	a = call_answer_ev(&c);
	assert_int_equal(body(f, &a, plain_answer, &ans, &reason), 0);
	assert_non_null(ans);
	/* The browser gets ICE-lite, our fingerprint, the role we play
	 * (passive: it sends the ClientHello), BUNDLE echoed, its PTs. */
	assert_non_null(strstr(ans, "UDP/TLS/RTP/SAVPF 0 126"));
	assert_non_null(strstr(ans, "a=ice-lite"));
	assert_non_null(strstr(ans, "a=group:BUNDLE 0"));
	assert_non_null(strstr(ans, "a=setup:passive"));
	assert_non_null(strstr(ans, "a=fingerprint:sha-256 "));
	assert_non_null(strstr(ans, "a=rtcp-mux"));
	assert_non_null(strstr(ans, " 127.0.0.1 "));
	/* A retransmitted 2xx gets the very same answer. */
	char *again;
	assert_int_equal(body(f, &a, plain_answer, &again, &reason), 0);
	assert_string_equal(again, ans);
	g_free(again);
	g_free(ans);
	gateway_media_release(f->m, "c6", NULL, "BYE");
	wait_ports_free(f);
}

/* The value of attribute line @name ("a=ice-ufrag:") in @sdp (new). */
static char *attr(const char *sdp, const char *name)
{
	const char *a = strstr(sdp, name);

	return a ? g_strndup(a + strlen(name), strcspn(a + strlen(name), "\r\n"))
		 : NULL;
}

/* @sdp with every @from replaced by @to (new). */
static char *replaced(const char *sdp, const char *from, const char *to)
{
	g_auto(GStrv) parts = g_strsplit(sdp, from, -1);

	return g_strjoinv(to, parts);
}

/* Re-INVITEs from the browser: hold reaches the phone as sendonly, and new
 * ICE credentials make Ovoz answer with new ones of its own (a restart on
 * that leg only: the phone's side keeps its port). */
static void test_reinvite_hold_and_ice_restart(void **state)
{
	struct fixture *f = *state;
	struct call c;
	struct sip_media_event a, re, re_a;
	const char *reason;
	char *out, *ans, *out2, *ans2;
	g_autofree char *hold = NULL, *restart = NULL;
	g_autofree char *ufrag1 = NULL, *ufrag2 = NULL;

	call_init(&c, "c13", SIP_TRANSPORT_WSS, SIP_TRANSPORT_UDP,
		  "127.0.0.1:40000");
	assert_int_equal(body(f, &c.ev, webrtc_offer, &out, &reason), 0);
	a = call_answer_ev(&c);
	assert_int_equal(body(f, &a, plain_answer, &ans, &reason), 0);
	ufrag1 = attr(ans, "a=ice-ufrag:");
	assert_non_null(ufrag1);

	re = c.ev;
	re.to_tag = "tt";
	hold = replaced(webrtc_offer, "a=sendrecv", "a=sendonly");
	assert_int_equal(body(f, &re, hold, &out2, &reason), 0);
	assert_non_null(strstr(out2, "a=sendonly"));
	assert_int_equal(audio_port(out2), audio_port(out));
	re_a = a;
	g_autofree char *held_answer =
		replaced(plain_answer, "a=sendrecv", "a=recvonly");
	assert_int_equal(body(f, &re_a, held_answer, &ans2, &reason), 0);
	assert_non_null(strstr(ans2, "a=recvonly"));
	g_free(out2);
	g_free(ans2);

	restart = replaced(webrtc_offer, "a=ice-ufrag:L6Sx", "a=ice-ufrag:R9Zq");
	{
		char *tmp = replaced(restart, "oNvQje/YbhiwlS+sWuvW+8cA",
				     "NewPwd/YbhiwlS+sWuvW+8cA");
		g_free(restart);
		restart = tmp;
	}
	assert_int_equal(body(f, &re, restart, &out2, &reason), 0);
	assert_int_equal(audio_port(out2), audio_port(out));
	assert_int_equal(body(f, &re_a, plain_answer, &ans2, &reason), 0);
	ufrag2 = attr(ans2, "a=ice-ufrag:");
	assert_non_null(ufrag2);
	assert_string_not_equal(ufrag1, ufrag2);
	assert_int_equal(audio_port(ans2), audio_port(ans));
	g_free(out);
	g_free(ans);
	g_free(out2);
	g_free(ans2);
	gateway_media_release(f->m, "c13", NULL, "BYE");
	wait_ports_free(f);
}

/* A phone that sends while the other stays silent for 5 s: the call gets
 * a one-way audio note naming the silent phone, in plain words. */
static void test_one_way_note(void **state)
{
	struct fixture *f = *state;
	struct call c;
	struct sip_media_event a;
	const char *reason;
	char *out, *ans;
	struct sockaddr_in to = {.sin_family = AF_INET};
	uint8_t rtp[172] = {0x80, 0x00};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	call_init(&c, "c14", SIP_TRANSPORT_UDP, SIP_TRANSPORT_UDP,
		  "127.0.0.1:5062");
	assert_int_equal(body(f, &c.ev, plain_offer, &out, &reason), 0);
	a = call_answer_ev(&c);
	assert_int_equal(body(f, &a, plain_answer, &ans, &reason), 0);
	/* The caller sends PCMU to the port Ovoz answered it with. */
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	to.sin_port = htons((uint16_t)audio_port(ans));
	for (unsigned i = 0; i < 400 && !f->note; i++) {
		rtp[2] = (uint8_t)(i >> 8);
		rtp[3] = (uint8_t)i;
		rtp[11] = 7; /* SSRC */
		sendto(fd, rtp, sizeof(rtp), 0, (struct sockaddr *)&to,
		       sizeof(to));
		while (g_main_context_iteration(NULL, FALSE))
			;
		g_usleep(20000);
	}
	close(fd);
	assert_non_null(f->note);
	assert_non_null(strstr(f->note, "c14: "));
	assert_non_null(strstr(f->note, "leg B is silent"));
	assert_non_null(strstr(f->note, "check its firewall or NAT"));
	assert_true(metric_has(f, "ovoz_media_one_way_total 1\n"));
	assert_int_equal(f->ended->len, 0); /* one-way is noted, not ended */
	g_free(out);
	g_free(ans);
	gateway_media_release(f->m, "c14", NULL, "BYE");
	wait_ports_free(f);
}

/* With [media] public_ip, a phone is told the public address, and a
 * browser gets it as a second host candidate beside the local one. */
static void test_public_address(void **state)
{
	struct fixture *f = *state;
	struct call c;
	struct sip_media_event a;
	const char *reason;
	char *out, *ans;

	call_init(&c, "c15", SIP_TRANSPORT_WSS, SIP_TRANSPORT_UDP,
		  "127.0.0.1:40000");
	assert_int_equal(body(f, &c.ev, webrtc_offer, &out, &reason), 0);
	assert_non_null(strstr(out, "c=IN IP4 203.0.113.7\r\n"));
	a = call_answer_ev(&c);
	assert_int_equal(body(f, &a, plain_answer, &ans, &reason), 0);
	assert_non_null(strstr(ans, " 127.0.0.1 "));
	assert_non_null(strstr(ans, " 203.0.113.7 "));
	g_free(out);
	g_free(ans);
	gateway_media_release(f->m, "c15", NULL, "BYE");
	wait_ports_free(f);
}

/* The "answered" flag of call @id's first relayed leg in the API view. */
static bool leg_answered(struct fixture *f, const char *id)
{
	g_autoptr(JsonObject) o = json_object_new();
	JsonArray *media;

	gateway_media_call_json(f->m, id, o);
	media = json_object_get_array_member(o, "media");
	assert_non_null(media);
	return json_object_get_boolean_member(
		json_array_get_object_element(media, 0), "answered");
}

/* Early media: a 183 with SDP answers the offer for media; the 200 that
 * repeats it (Asterisk does) answers the call; a 200 with another SDP
 * than the 183's is translated again, never passed raw to the browser. */
static void early_then_200(struct fixture *f, const char *id,
			   const char *final_sdp)
{
	struct call c;
	struct sip_media_event a;
	const char *reason;
	char *out, *early, *ok;

	call_init(&c, id, SIP_TRANSPORT_WSS, SIP_TRANSPORT_UDP,
		  "127.0.0.1:40000");
	assert_int_equal(body(f, &c.ev, webrtc_offer, &out, &reason), 0);
	a = call_answer_ev(&c);
	a.status = 183;
	assert_int_equal(body(f, &a, plain_answer, &early, &reason), 0);
	assert_non_null(strstr(early, "UDP/TLS/RTP/SAVPF"));
	assert_false(leg_answered(f, id));
	a.status = 200;
	assert_int_equal(body(f, &a, final_sdp, &ok, &reason), 0);
	assert_non_null(ok);
	assert_non_null(strstr(ok, "UDP/TLS/RTP/SAVPF"));
	assert_non_null(strstr(ok, "a=ice-ufrag:"));
	if (final_sdp == plain_answer)
		assert_string_equal(ok, early);
	assert_true(leg_answered(f, id));
	g_free(out);
	g_free(early);
	g_free(ok);
	gateway_media_release(f->m, id, NULL, "BYE");
	wait_ports_free(f);
}

static void test_early_media_then_200(void **state)
{
	struct fixture *f = *state;
	g_autofree char *moved = replaced(plain_answer, "m=audio 4100",
					  "m=audio 4200");

	early_then_200(f, "c16", plain_answer);
	early_then_200(f, "c17", moved);
}

/* A phone calls a browser that answers setup:passive (Ovoz is the DTLS
 * client); the browser's re-INVITE offers actpass again, and Ovoz keeps
 * its role (setup:active) instead of restarting DTLS. */
static void test_reoffer_keeps_dtls_role(void **state)
{
	struct fixture *f = *state;
	struct call c;
	struct sip_media_event a, re, re_a;
	const char *reason;
	char *out, *ans, *out2, *ans2;
	g_autofree char *passive = replaced(webrtc_offer, "a=setup:actpass",
					    "a=setup:passive");

	call_init(&c, "c18", SIP_TRANSPORT_UDP, SIP_TRANSPORT_WSS,
		  "127.0.0.1:5062");
	assert_int_equal(body(f, &c.ev, plain_offer, &out, &reason), 0);
	assert_non_null(strstr(out, "a=setup:actpass"));
	a = call_answer_ev(&c);
	assert_int_equal(body(f, &a, passive, &ans, &reason), 0);
	assert_non_null(strstr(ans, "RTP/AVP"));
	/* The browser re-offers (a request from the callee's side)... */
	re = a;
	re.kind = SIP_MEDIA_OFFER;
	re.is_request = true;
	re.status = 0;
	assert_int_equal(body(f, &re, webrtc_offer, &out2, &reason), 0);
	/* ...and the phone's 200 answers it. */
	re_a = c.ev;
	re_a.kind = SIP_MEDIA_ANSWER;
	re_a.is_request = false;
	re_a.status = 200;
	re_a.to_tag = "tt";
	assert_int_equal(body(f, &re_a, plain_answer, &ans2, &reason), 0);
	assert_non_null(strstr(ans2, "a=setup:active"));
	g_free(out);
	g_free(ans);
	g_free(out2);
	g_free(ans2);
	gateway_media_release(f->m, "c18", NULL, "BYE");
	wait_ports_free(f);
}

static void test_ports_exhausted_503(void **state)
{
	struct fixture *f = *state;
	struct call c1, c2;
	const char *reason;
	char *out;

	call_init(&c1, "c7", SIP_TRANSPORT_WSS, SIP_TRANSPORT_UDP,
		  "127.0.0.1:40000");
	assert_int_equal(body(f, &c1.ev, webrtc_offer, &out, &reason), 0);
	assert_non_null(out);
	g_free(out);
	/* Both pairs are taken: the next call is refused, not crashed. */
	call_init(&c2, "c8", SIP_TRANSPORT_WSS, SIP_TRANSPORT_UDP,
		  "127.0.0.1:40002");
	assert_int_equal(body(f, &c2.ev, webrtc_offer, &out, &reason), 503);
	assert_null(out);
	assert_string_equal(reason, "No Media Ports Available");
	assert_true(metric_has(
		f, "ovoz_media_refused_total{reason=\"no_ports\"} 1\n"));
	assert_int_equal(gateway_media_sessions(f->m), 1);
	gateway_media_release(f->m, "c8", NULL, "failed");
	gateway_media_release(f->m, "c7", NULL, "BYE");
	wait_ports_free(f);
	/* Once released, the ports serve a new call. */
	call_init(&c2, "c9", SIP_TRANSPORT_WSS, SIP_TRANSPORT_UDP,
		  "127.0.0.1:40002");
	assert_int_equal(body(f, &c2.ev, webrtc_offer, &out, &reason), 0);
	g_free(out);
	gateway_media_release(f->m, "c9", NULL, "BYE");
	wait_ports_free(f);
}

static void test_no_codec_and_bad_sdp_488(void **state)
{
	struct fixture *f = *state;
	struct call c;
	const char *reason;
	char *out;

	call_init(&c, "c10", SIP_TRANSPORT_WSS, SIP_TRANSPORT_UDP,
		  "127.0.0.1:40000");
	assert_int_equal(body(f, &c.ev, g729_offer, &out, &reason), 488);
	assert_null(out);
	assert_string_equal(reason, "No common codec");
	gateway_media_release(f->m, "c10", NULL, "failed");
	call_init(&c, "c11", SIP_TRANSPORT_WSS, SIP_TRANSPORT_UDP,
		  "127.0.0.1:40000");
	assert_int_equal(body(f, &c.ev, "v=0\r\nm=garbage\0x", &out, &reason),
			 488);
	assert_null(out);
	gateway_media_release(f->m, "c11", NULL, "failed");
	assert_int_equal(gateway_media_sessions(f->m), 0);
	wait_ports_free(f);
	assert_int_equal(f->ended->len, 0);
}

static void test_answer_without_offer_passes(void **state)
{
	struct fixture *f = *state;
	struct call c;
	struct sip_media_event a;
	const char *reason;
	char *out;

	/* An answer for a call the relay never saw changes nothing. */
	call_init(&c, "c12", SIP_TRANSPORT_UDP, SIP_TRANSPORT_WSS,
		  "127.0.0.1:5062");
	a = call_answer_ev(&c);
	assert_int_equal(body(f, &a, plain_answer, &out, &reason), 0);
	assert_null(out);
	assert_int_equal(gateway_media_sessions(f->m), 0);
	gateway_media_release(f->m, "nobody", NULL, "BYE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_udp_without_nat_passes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_natted_caller_is_relayed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_natted_callee_is_relayed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_always,
						setup_always, teardown),
		cmocka_unit_test_setup_teardown(test_relay_never,
						setup_never, teardown),
		cmocka_unit_test_setup_teardown(test_browser_offer_to_phone,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reinvite_hold_and_ice_restart,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_way_note, setup_always,
						teardown),
		cmocka_unit_test_setup_teardown(test_public_address, setup_public,
						teardown),
		cmocka_unit_test_setup_teardown(test_early_media_then_200, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reoffer_keeps_dtls_role,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports_exhausted_503,
						setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_no_codec_and_bad_sdp_488,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_without_offer_passes,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
