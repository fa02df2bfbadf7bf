/*
 * tests/sip/test_proxy.c - the proxy in-process, over fake transports: a
 * caller flow and two callee flows of one extension (forking), UDP
 * retransmission timers with a 10 ms T1, CANCEL and best-response rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <string.h>

#include <sofia-sip/url.h>

#include "fake_transport.h"
#include "sip_util.h"
#include "sip/proxy.h"
#include "sip/proxy_private.h" /* PROXY_TIMER_C_T1 */

#define REALM "ovoz.test"

struct fixture {
	struct sip_stack *st;
	struct sip_auth *auth;
	struct sip_registrar *reg;
	struct sip_proxy *px;
	struct sip_transport *caller, *ws2, *udp;
	struct fake_transport *caller_f, *ws2_f, *udp_f;
	struct sip_addr caller_src, ws2_src, udp_src;
	GPtrArray *events;
	/* The media seam: what hooks.media saw and released, and how it
	 * answers (0, or a status to refuse offers). */
	const char *body;   /* SDP of the next invite(), or NULL */
	GPtrArray *media;   /* "offer|answer <branch> <caller|callee>" */
	GPtrArray *released; /* "<branch or *> <why>" */
	int refuse;
};

static int creds(void *ctx, const char *user, char *md5, char *sha)
{
	static const char *const known[] = {"1001", "2001", NULL};

	return test_creds(REALM, known, user, md5, sha);
}

static bool is_ext(void *ctx, const char *user)
{
	return creds(ctx, user, (char[65]){0}, (char[65]){0}) == 0;
}

static struct sip_transport *flow(void *ctx, const char *id)
{
	struct fixture *f = ctx;

	if (strcmp(id, sip_transport_id(f->caller)) == 0)
		return f->caller;
	if (strcmp(id, sip_transport_id(f->ws2)) == 0)
		return f->ws2;
	return NULL;
}

static void on_call(void *ctx, const struct sip_call_event *ev)
{
	struct fixture *f = ctx;
	static const char *t[] = {"start", "answer", "end"};

	g_ptr_array_add(f->events,
			g_strdup_printf("%s %s", t[ev->type],
					ev->disposition ? ev->disposition : ""));
}

static int on_media(void *ctx, const struct sip_media_event *ev,
		    const char *body, size_t len, char **out, size_t *out_len,
		    const char **reason)
{
	struct fixture *f = ctx;

	g_ptr_array_add(f->media, g_strdup_printf(
		"%s %s %s", ev->kind == SIP_MEDIA_OFFER ? "offer" : "answer",
		ev->branch ? ev->branch : "-",
		ev->from_caller ? "caller" : "callee"));
	if (f->refuse && ev->kind == SIP_MEDIA_OFFER) {
		*reason = "Not Acceptable Here - no common codec";
		return f->refuse;
	}
	/* A rewritten body, as the media relay would write. */
	*out = g_strdup_printf("v=0\r\no=ovoz 1 1 IN IP4 192.0.2.1\r\n"
			       "s=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
			       "m=audio 20000 RTP/AVP 0\r\n");
	*out_len = strlen(*out);
	(void)body;
	(void)len;
	return 0;
}

static void on_release(void *ctx, const char *call_id, const char *branch,
		       const char *why)
{
	struct fixture *f = ctx;

	g_ptr_array_add(f->released, g_strdup_printf("%s %s",
						     branch ? branch : "*", why));
}

static void feed(struct fixture *f, struct sip_transport *tp,
		 const struct sip_addr *src, const char *text)
{
	sip_stack_receive(f->st, tp, src, (const uint8_t *)text, strlen(text));
}

/* Register @contact for 1001 over @tp without authentication round trips:
 * the binding is put back as a restored one would be. */
static void bind_udp(struct fixture *f)
{
	assert_int_equal(sip_registrar_restore(f->reg, "1001",
					       "<sip:1001@192.0.2.7:5062>",
					       "192.0.2.7:5062", "Phone", "c", 1,
					       g_get_real_time() / G_USEC_PER_SEC + 600,
					       NULL),
			 0);
}

/* RFC 3261 9.1 / 17.1.1.3: a CANCEL or a non-2xx ACK repeats the
 * INVITE's Request-URI, top Via, From, Call-ID, CSeq number and Route set;
 * @to_tag is the To tag it must carry (NULL: the INVITE's To). */
static void assert_derived(struct sip_message *m, struct sip_message *inv,
			   const char *method, const char *to_tag)
{
	sip_t *d = sip_message_sip(m), *i = sip_message_sip(inv);
	struct sip_verdict v;
	const sip_route_t *dr = d->sip_route, *ir = i->sip_route;

	assert_true(sip_message_check(m, &v));
	assert_string_equal(sip_message_method(m), method);
	assert_int_equal(url_cmp_all(d->sip_request->rq_url,
				     i->sip_request->rq_url), 0);
	assert_null(d->sip_via->v_next);
	assert_string_equal(d->sip_via->v_branch, i->sip_via->v_branch);
	assert_string_equal(d->sip_via->v_host, i->sip_via->v_host);
	assert_string_equal(d->sip_from->a_tag, i->sip_from->a_tag);
	assert_int_equal(url_cmp_all(d->sip_to->a_url, i->sip_to->a_url), 0);
	if (to_tag)
		assert_string_equal(d->sip_to->a_tag, to_tag);
	else
		assert_null(d->sip_to->a_tag);
	assert_string_equal(d->sip_call_id->i_id, i->sip_call_id->i_id);
	assert_int_equal(d->sip_cseq->cs_seq, i->sip_cseq->cs_seq);
	assert_string_equal(d->sip_cseq->cs_method_name, method);
	assert_int_equal(d->sip_max_forwards->mf_count, 70);
	assert_null(d->sip_payload);
	for (; dr && ir; dr = dr->r_next, ir = ir->r_next)
		assert_int_equal(url_cmp_all(dr->r_url, ir->r_url), 0);
	assert_null(dr);
	assert_null(ir);
}

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	struct sip_auth_config ac = test_auth_config(REALM, 5);
	static const char *const domains[] = {REALM, NULL};
	struct sip_registrar_config rc = {
		.min_expires = 60, .max_expires = 3600,
		.default_expires = 3600, .max_contacts = 10,
		.domains = domains};
	struct sip_proxy_config pc = {.domain = REALM, .udp_host = "192.0.2.1",
				      .udp_port = 5060, .ws_host = "192.0.2.1",
				      .ws_port = 8443, .no_answer = 60};
	static const struct sip_proxy_hooks hooks = {
		.is_extension = is_ext, .flow = flow, .call = on_call,
		.media = on_media, .media_release = on_release};

	sip_stack_new(&f->st, NULL);
	sip_auth_new(&f->auth, &ac, f->st, creds, f);
	sip_registrar_new(&f->reg, &rc, f->st, f->auth, NULL, f);
	f->caller = fake_transport_new(SIP_TRANSPORT_WSS, "wss-1", &f->caller_f);
	f->ws2 = fake_transport_new(SIP_TRANSPORT_WSS, "wss-2", &f->ws2_f);
	f->udp = fake_transport_new(SIP_TRANSPORT_UDP, "udp", &f->udp_f);
	sip_addr_parse(&f->caller_src, "198.51.100.1:40001");
	sip_addr_parse(&f->ws2_src, "198.51.100.2:40002");
	sip_addr_parse(&f->udp_src, "192.0.2.7:5062");
	assert_int_equal(sip_proxy_new(&f->px, &pc, f->st, f->auth, f->reg,
				       f->udp, &hooks, f), 0);
	sip_proxy_set_t1(f->px, 10);
	sip_stack_set_handler(f->st, "*", sip_proxy_handle_request, f->px);
	sip_stack_set_response_handler(f->st, sip_proxy_handle_response, f->px);
	f->events = g_ptr_array_new_with_free_func(g_free);
	f->media = g_ptr_array_new_with_free_func(g_free);
	f->released = g_ptr_array_new_with_free_func(g_free);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sip_proxy_free(f->px);
	sip_registrar_free(f->reg);
	sip_auth_free(f->auth);
	sip_stack_free(f->st);
	sip_transport_unref(f->caller);
	sip_transport_unref(f->ws2);
	sip_transport_unref(f->udp);
	g_ptr_array_unref(f->events);
	g_ptr_array_unref(f->media);
	g_ptr_array_unref(f->released);
	g_free(f);
	return 0;
}

static void pump(unsigned ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;

	while (g_get_monotonic_time() < end)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(1000);
}

static char *hexhash(const char *s)
{
	return g_compute_checksum_for_string(G_CHECKSUM_MD5, s, -1);
}

/* An authenticated INVITE from 2001 on the caller flow (after a 407). */
static void invite(struct fixture *f, const char *branch)
{
	g_autofree char *first = g_strdup_printf(
		"INVITE sip:1001@" REALM " SIP/2.0\r\n"
		"Via: SIP/2.0/WSS a.invalid;branch=z9hG4bK%s0\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:2001@" REALM ">;tag=ct\r\n"
		"To: <sip:1001@" REALM ">\r\nCall-ID: call-%s\r\n"
		"CSeq: 1 INVITE\r\nContact: <sip:2001@a.invalid;transport=ws>\r\n"
		"Content-Length: 0\r\n\r\n", branch, branch);
	struct sip_message *ch;
	g_autofree char *www = NULL, *nonce = NULL, *ha1 = NULL, *ha2 = NULL,
			*resp = NULL, *in = NULL, *second = NULL;
	char *p, *e;

	feed(f, f->caller, &f->caller_src, first);
	ch = fake_transport_pop(f->caller_f);
	assert_non_null(ch);
	assert_int_equal(sip_message_status(ch), 407);
	www = sip_message_header_text(ch, "Proxy-Authenticate");
	sip_message_unref(ch);
	p = strstr(www, "nonce=\"") + 7;
	e = strchr(p, '"');
	nonce = g_strndup(p, (gsize)(e - p));
	ha1 = hexhash("2001:" REALM ":pw-2001");
	ha2 = hexhash("INVITE:sip:1001@" REALM);
	in = g_strdup_printf("%s:%s:00000001:cn:auth:%s", ha1, nonce, ha2);
	resp = hexhash(in);
	second = g_strdup_printf(
		"INVITE sip:1001@" REALM " SIP/2.0\r\n"
		"Via: SIP/2.0/WSS a.invalid;branch=z9hG4bK%s\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:2001@" REALM ">;tag=ct\r\n"
		"To: <sip:1001@" REALM ">\r\nCall-ID: call-%s\r\n"
		"CSeq: 2 INVITE\r\nContact: <sip:2001@a.invalid;transport=ws>\r\n"
		"Proxy-Authorization: Digest username=\"2001\", realm=\"" REALM
		"\", nonce=\"%s\", uri=\"sip:1001@" REALM "\", response=\"%s\", "
		"algorithm=MD5, cnonce=\"cn\", qop=auth, nc=00000001\r\n"
		"%s"
		"Content-Length: %zu\r\n\r\n%s",
		branch, branch, nonce, resp,
		f->body ? "Content-Type: application/sdp\r\n" : "",
		f->body ? strlen(f->body) : 0, f->body ? f->body : "");
	feed(f, f->caller, &f->caller_src, second);
}

/* The response @status to a forwarded request @req, from the callee. */
static char *answer(struct sip_message *req, int status, const char *tag)
{
	struct sip_message *r = NULL;
	char *bytes;
	size_t len;

	assert_int_equal(sip_message_new_reply(&r, req, status, NULL, tag), 0);
	bytes = sip_message_serialize(r, &len);
	sip_message_unref(r);
	return bytes;
}

/* A 2xx with a Contact and an SDP body to forwarded INVITE @req. */
static char *answer_sdp(struct sip_message *req, const char *tag)
{
	g_autofree char *plain = answer(req, 200, tag);
	const char *sdp = "v=0\r\no=- 2 2 IN IP4 192.0.2.7\r\ns=-\r\n"
			  "c=IN IP4 192.0.2.7\r\nt=0 0\r\n"
			  "m=audio 4000 RTP/AVP 0\r\n";
	char *end = strstr(plain, "Content-Length: 0\r\n\r\n");

	assert_non_null(end);
	*end = '\0';
	return g_strdup_printf("%sContact: <sip:1001@192.0.2.7:5062>\r\n"
			       "Content-Type: application/sdp\r\n"
			       "Content-Length: %zu\r\n\r\n%s",
			       plain, strlen(sdp), sdp);
}

/* Pop until a message that is not a 100 Trying. */
static struct sip_message *next(struct fake_transport *ft)
{
	struct sip_message *m;

	while ((m = fake_transport_pop(ft)) && sip_message_status(m) == 100)
		sip_message_unref(m);
	return m;
}

static void test_udp_timer_a_and_record_route(void **state)
{
	struct fixture *f = *state;
	struct sip_message *inv;
	sip_t *sip;

	bind_udp(f);
	invite(f, "a1");
	inv = fake_transport_pop(f->udp_f);
	assert_non_null(inv);
	sip = sip_message_sip(inv);
	/* Retargeted to the contact, two Record-Routes, our Via on top. */
	assert_string_equal(sip->sip_request->rq_url->url_host, "192.0.2.7");
	assert_non_null(sip->sip_record_route);
	assert_non_null(sip->sip_record_route->r_next);
	assert_non_null(strstr(sip->sip_via->v_branch, "z9hG4bKovz"));
	assert_int_equal(sip->sip_max_forwards->mf_count, 69);
	/* No answer: Timer A retransmits at T1, 2*T1, ... */
	pump(80);
	assert_true(fake_transport_pending(f->udp_f) >= 2);
	/* A provisional stops the retransmissions. */
	g_autofree char *ringing = answer(inv, 180, "cal");
	feed(f, f->udp, &f->udp_src, ringing);
	while (fake_transport_pending(f->udp_f))
		sip_message_unref(fake_transport_pop(f->udp_f));
	pump(60);
	assert_int_equal(fake_transport_pending(f->udp_f), 0);
	struct sip_message *r = next(f->caller_f);
	assert_int_equal(sip_message_status(r), 180);
	/* Our Via is gone from what the caller sees. */
	assert_null(sip_message_sip(r)->sip_via->v_next);
	sip_message_unref(r);
	sip_message_unref(inv);
	assert_string_equal(g_ptr_array_index(f->events, 0), "start ");
}

static void test_timer_b_gives_408(void **state)
{
	struct fixture *f = *state;
	struct sip_message *r;

	bind_udp(f);
	invite(f, "b1");
	pump(64 * 10 + 200);
	r = next(f->caller_f);
	assert_non_null(r);
	assert_int_equal(sip_message_status(r), 408);
	sip_message_unref(r);
	assert_string_equal(g_ptr_array_index(f->events, 1), "end no-answer");
}

static unsigned drain_count(struct fake_transport *ft, const char *method);

/* A ringing branch outlives 64*T1 (Timer B stops at the first
 * provisional) and is answered. */
static void test_ringing_past_timer_b_is_answered(void **state)
{
	struct fixture *f = *state;
	struct sip_message *inv, *r;
	g_autofree char *ring = NULL, *ok = NULL;

	bind_udp(f);
	invite(f, "c1");
	inv = fake_transport_pop(f->udp_f);
	assert_non_null(inv);
	ring = answer(inv, 180, "cr");
	feed(f, f->udp, &f->udp_src, ring);
	r = next(f->caller_f);
	assert_int_equal(sip_message_status(r), 180);
	sip_message_unref(r);
	pump(64 * 10 * 2 + 200); /* twice Timer B */
	assert_null(next(f->caller_f));
	assert_int_equal(drain_count(f->udp_f, "CANCEL"), 0);
	ok = answer(inv, 200, "cr");
	feed(f, f->udp, &f->udp_src, ok);
	r = next(f->caller_f);
	assert_non_null(r);
	assert_int_equal(sip_message_status(r), 200);
	sip_message_unref(r);
	sip_message_unref(inv);
	assert_string_equal(g_ptr_array_index(f->events, 1), "answer ");
}

/* Timer C: each provisional pushes it back; when it expires the branch
 * is cancelled and the caller gets 408. */
static void test_timer_c_cancels_a_silent_ringing_branch(void **state)
{
	struct fixture *f = *state;
	struct sip_message *inv, *r;
	g_autofree char *ring = NULL, *ring2 = NULL;
	const unsigned timer_c = PROXY_TIMER_C_T1 * 10; /* T1 = 10 ms */

	bind_udp(f);
	invite(f, "c2");
	inv = fake_transport_pop(f->udp_f);
	ring = answer(inv, 180, "cs");
	feed(f, f->udp, &f->udp_src, ring);
	sip_message_unref(next(f->caller_f)); /* 180 */
	pump(timer_c * 2 / 3);
	ring2 = answer(inv, 183, "cs");
	feed(f, f->udp, &f->udp_src, ring2);
	sip_message_unref(next(f->caller_f)); /* 183 */
	/* Past the first deadline, but the 183 reset it. */
	pump(timer_c / 2);
	assert_null(next(f->caller_f));
	assert_int_equal(drain_count(f->udp_f, "CANCEL"), 0);
	pump(timer_c / 2 + 64 * 10 + 300);
	assert_true(drain_count(f->udp_f, "CANCEL") >= 1);
	r = next(f->caller_f);
	assert_non_null(r);
	assert_int_equal(sip_message_status(r), 408);
	sip_message_unref(r);
	sip_message_unref(inv);
}

static void test_fork_first_2xx_wins(void **state)
{
	struct fixture *f = *state;
	struct sip_message *to_udp, *to_ws, *cancel, *r;

	bind_udp(f);
	/* A second contact of 1001 (restored bindings are UDP; forking to a
	 * WebSocket and a UDP contact is in tests/integration). */
	assert_int_equal(sip_registrar_restore(f->reg, "1001",
					       "<sip:x@b.invalid;transport=ws>",
					       NULL, NULL, "c2", 1,
					       g_get_real_time() / G_USEC_PER_SEC + 600,
					       NULL),
			 0);
	invite(f, "c1");
	to_udp = fake_transport_pop(f->udp_f);
	to_ws = fake_transport_pop(f->udp_f);
	assert_non_null(to_udp);
	assert_non_null(to_ws);
	g_autofree char *ring = answer(to_ws, 180, "w");
	feed(f, f->udp, &f->udp_src, ring);
	g_autofree char *ok = answer(to_udp, 200, "u");
	feed(f, f->udp, &f->udp_src, ok);
	/* The caller gets 180 then exactly one 200; the other branch gets
	 * CANCEL (it had answered provisionally). */
	r = next(f->caller_f);
	assert_int_equal(sip_message_status(r), 180);
	sip_message_unref(r);
	r = next(f->caller_f);
	assert_int_equal(sip_message_status(r), 200);
	sip_message_unref(r);
	do {
		cancel = fake_transport_pop(f->udp_f);
		assert_non_null(cancel);
	} while (strcmp(sip_message_method(cancel), "CANCEL") != 0 &&
		 (sip_message_unref(cancel), true));
	assert_derived(cancel, to_ws, "CANCEL", NULL);
	sip_message_unref(cancel);
	sip_message_unref(to_udp);
	sip_message_unref(to_ws);
	assert_string_equal(g_ptr_array_index(f->events, 1), "answer ");
	assert_int_equal(sip_proxy_active_calls(f->px), 1);
}

static const char offer_sdp[] =
	"v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=-\r\n"
	"c=IN IP4 198.51.100.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n";

static bool has(GPtrArray *a, const char *text)
{
	for (guint i = 0; i < a->len; i++)
		if (strcmp(g_ptr_array_index(a, i), text) == 0)
			return true;
	return false;
}

/* The media seam: an offer per branch, the answer on the answering
 * branch, the losing branch released, Ovoz's hang-up BYEs both parties
 * and releases the call. */
static void test_media_offer_answer_release_hangup(void **state)
{
	struct fixture *f = *state;
	struct sip_message *to_udp, *to_ws, *r, *m;
	g_autofree char *b_udp = NULL, *b_ws = NULL, *ok = NULL, *ring = NULL,
			*t = NULL, *term = NULL;
	unsigned byes = 0;

	bind_udp(f);
	assert_int_equal(sip_registrar_restore(f->reg, "1001",
					       "<sip:x@b.invalid;transport=ws>",
					       NULL, NULL, "c2", 1,
					       g_get_real_time() / G_USEC_PER_SEC + 600,
					       NULL),
			 0);
	f->body = offer_sdp;
	invite(f, "m1");
	to_udp = fake_transport_pop(f->udp_f);
	to_ws = fake_transport_pop(f->udp_f);
	assert_non_null(to_ws);
	b_udp = g_strdup(sip_message_sip(to_udp)->sip_via->v_branch);
	b_ws = g_strdup(sip_message_sip(to_ws)->sip_via->v_branch);
	/* Each branch carries the hook's body, and was offered apart. */
	assert_non_null(strstr(sip_message_sip(to_udp)->sip_payload->pl_data,
			       "m=audio 20000"));
	t = g_strdup_printf("offer %s caller", b_udp);
	assert_true(has(f->media, t));
	g_clear_pointer(&t, g_free);
	t = g_strdup_printf("offer %s caller", b_ws);
	assert_true(has(f->media, t));
	g_clear_pointer(&t, g_free);
	ring = answer(to_ws, 180, "w");
	feed(f, f->udp, &f->udp_src, ring);
	ok = answer_sdp(to_udp, "u");
	feed(f, f->udp, &f->udp_src, ok);
	t = g_strdup_printf("answer %s callee", b_udp);
	assert_true(has(f->media, t));
	g_clear_pointer(&t, g_free);
	sip_message_unref(next(f->caller_f)); /* 180 */
	r = next(f->caller_f);
	assert_int_equal(sip_message_status(r), 200);
	assert_non_null(strstr(sip_message_sip(r)->sip_payload->pl_data,
			       "m=audio 20000"));
	sip_message_unref(r);
	/* The losing branch answers our CANCEL with 487: released. */
	term = answer(to_ws, 487, "w");
	feed(f, f->udp, &f->udp_src, term);
	t = g_strdup_printf("%s cancelled", b_ws);
	assert_true(has(f->released, t));
	g_clear_pointer(&t, g_free);
	assert_false(has(f->released, "* BYE"));
	/* Ovoz ends the call: a BYE to each party, with the Reason. */
	while ((m = fake_transport_pop(f->udp_f)))
		sip_message_unref(m);
	assert_int_equal(sip_proxy_hangup(f->px, "call-m1", 408,
					  "media timeout"), 0);
	while ((m = fake_transport_pop(f->udp_f)) ||
	       (m = fake_transport_pop(f->caller_f))) {
		sip_t *sip = sip_message_sip(m);
		if (sip_message_is_request(m) &&
		    strcmp(sip_message_method(m), "BYE") == 0) {
			assert_non_null(sip->sip_reason);
			assert_string_equal(sip->sip_reason->re_protocol, "SIP");
			assert_string_equal(sip->sip_reason->re_cause, "408");
			assert_string_equal(sip->sip_reason->re_text,
					    "\"media timeout\"");
			assert_non_null(sip->sip_to->a_tag);
			assert_non_null(sip->sip_from->a_tag);
			byes++;
		}
		sip_message_unref(m);
	}
	assert_int_equal(byes, 2);
	assert_true(has(f->released, "* media timeout"));
	assert_int_equal(sip_proxy_hangup(f->px, "call-m1", 408, "again"),
			 ENOENT);
	assert_int_equal(sip_proxy_active_calls(f->px), 0);
	sip_message_unref(to_udp);
	sip_message_unref(to_ws);
}

/* A refused offer fails the branch: the caller gets the hook's 488 and
 * the callee nothing. */
static void test_media_refused_offer_gives_488(void **state)
{
	struct fixture *f = *state;
	struct sip_message *r;

	bind_udp(f);
	f->body = offer_sdp;
	f->refuse = 488;
	invite(f, "m2");
	assert_null(fake_transport_pop(f->udp_f));
	r = next(f->caller_f);
	assert_non_null(r);
	assert_int_equal(sip_message_status(r), 488);
	assert_string_equal(sip_message_sip(r)->sip_status->st_phrase,
			    "Not Acceptable Here - no common codec");
	sip_message_unref(r);
	assert_string_equal(g_ptr_array_index(f->events, 1), "end failed");
}

static void test_best_response_and_ack(void **state)
{
	struct fixture *f = *state;
	struct sip_message *inv, *ack, *r;

	/* A binding registered through an edge proxy: its Path becomes the
	 * INVITE's Route set, which the ACK repeats. */
	assert_int_equal(sip_registrar_restore(f->reg, "1001",
					       "<sip:1001@192.0.2.7:5062>",
					       "192.0.2.7:5062", "Phone", "c", 1,
					       g_get_real_time() / G_USEC_PER_SEC + 600,
					       "<sip:192.0.2.7:5062;lr>, <sip:edge.example;lr>"),
			 0);
	invite(f, "d1");
	inv = fake_transport_pop(f->udp_f);
	g_autofree char *busy = answer(inv, 486, "bz");
	feed(f, f->udp, &f->udp_src, busy);
	/* Ovoz ACKs the 486 hop by hop, with the branch of its INVITE. */
	do {
		ack = fake_transport_pop(f->udp_f);
		assert_non_null(ack);
	} while (strcmp(sip_message_method(ack), "ACK") != 0 &&
		 (sip_message_unref(ack), true));
	assert_non_null(sip_message_sip(inv)->sip_route);
	assert_derived(ack, inv, "ACK", "bz");
	r = next(f->caller_f);
	assert_int_equal(sip_message_status(r), 486);
	sip_message_unref(r);
	sip_message_unref(ack);
	sip_message_unref(inv);
	assert_string_equal(g_ptr_array_index(f->events, 1), "end busy");
}

/* Count queued messages of @method on @ft, dropping them. */
static unsigned drain_count(struct fake_transport *ft, const char *method)
{
	struct sip_message *m;
	unsigned n = 0;

	while ((m = fake_transport_pop(ft))) {
		if (sip_message_is_request(m) &&
		    strcmp(sip_message_method(m), method) == 0)
			n++;
		sip_message_unref(m);
	}
	return n;
}

static void test_cancel_retransmitted_until_answered(void **state)
{
	struct fixture *f = *state;
	struct sip_message *inv, *r;
	g_autofree char *ring = NULL, *cancel = NULL, *ok = NULL;

	bind_udp(f);
	invite(f, "f1");
	inv = fake_transport_pop(f->udp_f);
	ring = answer(inv, 180, "fr");
	feed(f, f->udp, &f->udp_src, ring);
	cancel = g_strdup_printf(
		"CANCEL sip:1001@" REALM " SIP/2.0\r\n"
		"Via: SIP/2.0/WSS a.invalid;branch=z9hG4bKf1\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:2001@" REALM ">;tag=ct\r\n"
		"To: <sip:1001@" REALM ">\r\nCall-ID: call-f1\r\n"
		"CSeq: 2 CANCEL\r\nContent-Length: 0\r\n\r\n");
	feed(f, f->caller, &f->caller_src, cancel);
	r = next(f->caller_f); /* 180 */
	sip_message_unref(r);
	r = next(f->caller_f);
	assert_int_equal(sip_message_status(r), 200); /* for the CANCEL */
	sip_message_unref(r);
	/* Unanswered, our CANCEL goes out again (Timer E). */
	pump(60);
	assert_true(drain_count(f->udp_f, "CANCEL") >= 3);
	/* Answered: it stops. */
	struct sip_message *c = NULL;
	g_autofree char *cancel_out = g_strdup_printf(
		"CANCEL %s SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=%s\r\n"
		"From: <sip:2001@" REALM ">;tag=ct\r\nTo: <sip:1001@" REALM ">\r\n"
		"Call-ID: call-f1\r\nCSeq: 2 CANCEL\r\nContent-Length: 0\r\n\r\n",
		"sip:1001@192.0.2.7:5062", sip_message_sip(inv)->sip_via->v_branch);
	assert_int_equal(sip_message_parse(&c, (const uint8_t *)cancel_out,
					   strlen(cancel_out)), 0);
	ok = answer(c, 200, NULL);
	sip_message_unref(c);
	feed(f, f->udp, &f->udp_src, ok);
	drain_count(f->udp_f, "CANCEL");
	pump(60);
	assert_int_equal(drain_count(f->udp_f, "CANCEL"), 0);
	sip_message_unref(inv);
}

static void test_unknown_and_unregistered(void **state)
{
	struct fixture *f = *state;
	struct sip_message *r;

	invite(f, "e1"); /* 1001 exists, registered nowhere */
	r = next(f->caller_f);
	assert_int_equal(sip_message_status(r), 480);
	sip_message_unref(r);
	assert_string_equal(g_ptr_array_index(f->events, 1), "end failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_udp_timer_a_and_record_route),
		T(test_timer_b_gives_408),
		T(test_ringing_past_timer_b_is_answered),
		T(test_timer_c_cancels_a_silent_ringing_branch),
		T(test_fork_first_2xx_wins),
		T(test_best_response_and_ack),
		T(test_media_offer_answer_release_hangup),
		T(test_media_refused_offer_gives_488),
		T(test_unknown_and_unregistered),
		T(test_cancel_retransmitted_until_answered),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
