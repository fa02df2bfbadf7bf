/*
 * tests/media/test_ice.c - the ICE-lite responder: RFC 5769 vectors through
 * libnice's STUN API, checks, nomination, wrong credentials, role conflict,
 * consent timing, malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <glib.h>

#include "media/ice.h"
#include "stun_peer.h"

#define RFC_PWD "VOkJxbRl1RmTxUk/WvJxBt"
#define SEC 1000000LL

static const uint8_t rfc_tid[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
				    0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

static uint8_t *corpus(const char *name, size_t *len)
{
	const char *shared = g_getenv("OVOZ_SHARED");
	g_autofree char *path = NULL;
	char *data = NULL;
	gsize n = 0;

	assert_non_null(shared);
	path = g_build_filename(shared, "corpora", "rfc5769", name, NULL);
	assert_true(g_file_get_contents(path, &data, &n, NULL));
	*len = n;
	return (uint8_t *)data;
}

static socklen_t addr4(struct sockaddr_storage *ss, const char *ip,
		       uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
	return sizeof(*in);
}

static socklen_t addr6(struct sockaddr_storage *ss, const char *ip,
		       uint16_t port)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
	return sizeof(*in6);
}

static struct media_ice *ice_new(const char *ufrag, const char *pwd,
				 const char *remote, int64_t timeout)
{
	struct media_ice_config cfg = {.local_ufrag = ufrag,
				       .local_pwd = pwd,
				       .remote_ufrag = remote,
				       .consent_timeout_us = timeout};
	struct media_ice *ice = NULL;

	assert_int_equal(media_ice_new(&ice, &cfg, 0), 0);
	return ice;
}

/* Feed @buf from @from at @now; returns the result, reply in @reply. */
static enum media_ice_result feed(struct media_ice *ice, const uint8_t *buf,
				  size_t len, const struct sockaddr_storage *from,
				  socklen_t flen, int64_t now, uint8_t *reply,
				  size_t *reply_len)
{
	*reply_len = MEDIA_ICE_REPLY_MAX;
	return media_ice_receive(ice, buf, len, (const struct sockaddr *)from,
				 flen, now, reply, reply_len);
}

static void test_rfc5769_request_verifies(void **state)
{
	StunDefaultValidaterData creds[] = {
		{(uint8_t *)"evtj:h6vY", 9, (uint8_t *)RFC_PWD, 22},
		{NULL, 0, NULL, 0}};
	static const uint16_t known[] = {STUN_ATTRIBUTE_USERNAME,
					 STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
					 STUN_ATTRIBUTE_PRIORITY, 0};
	StunAgent agent;
	StunMessage msg;
	size_t len;
	g_autofree uint8_t *req = corpus("rfc5769-2.1-sample-request.bin", &len);

	assert_int_equal(len, 108);
	stun_agent_init(&agent, known, STUN_COMPATIBILITY_RFC5389,
			STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
				STUN_AGENT_USAGE_USE_FINGERPRINT);
	assert_int_equal(stun_agent_validate(&agent, &msg, req, len,
					     stun_agent_default_validater,
					     creds),
			 STUN_VALIDATION_SUCCESS);
	assert_int_equal(stun_message_get_class(&msg), STUN_REQUEST);
	assert_int_equal(stun_message_get_method(&msg), STUN_BINDING);
	assert_true(stun_message_has_attribute(&msg,
					       STUN_ATTRIBUTE_ICE_CONTROLLED));

	/* coturn's negative test: one flipped byte and it is rejected. */
	req[27] = 23;
	assert_int_not_equal(stun_agent_validate(&agent, &msg, req, len,
						 stun_agent_default_validater,
						 creds),
			     STUN_VALIDATION_SUCCESS);
}

static void check_response(const char *file, int family, const char *ip)
{
	struct stun_peer peer;
	struct sockaddr_storage got;
	socklen_t got_len = sizeof(got);
	StunMessage msg;
	char text[INET6_ADDRSTRLEN];
	size_t len;
	g_autofree uint8_t *resp = corpus(file, &len);

	stun_peer_init(&peer);
	stun_peer_expect(&peer, rfc_tid, RFC_PWD);
	assert_int_equal(stun_peer_read(&peer, resp, len, &msg),
			 STUN_VALIDATION_SUCCESS);
	assert_int_equal(stun_message_get_class(&msg), STUN_RESPONSE);
	assert_int_equal(stun_usage_ice_conncheck_process(
				 &msg, &got, &got_len,
				 STUN_USAGE_ICE_COMPATIBILITY_RFC5245),
			 STUN_USAGE_ICE_RETURN_SUCCESS);
	assert_int_equal(got.ss_family, family);
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&got;

		inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
		assert_int_equal(ntohs(in->sin_port), 32853);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&got;

		inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
		assert_int_equal(ntohs(in6->sin6_port), 32853);
	}
	assert_string_equal(text, ip);

	/* A wrong password fails the MESSAGE-INTEGRITY check. */
	stun_peer_init(&peer);
	stun_peer_expect(&peer, rfc_tid, "VOkJxbRl1RmTxUk/WvJxBu");
	assert_int_equal(stun_peer_read(&peer, resp, len, &msg),
			 STUN_VALIDATION_UNAUTHORIZED);
}

static void test_rfc5769_responses_verify(void **state)
{
	check_response("rfc5769-2.2-sample-ipv4-response.bin", AF_INET,
		       "192.0.2.1");
	check_response("rfc5769-2.3-sample-ipv6-response.bin", AF_INET6,
		       "2001:db8:1234:5678:11:2233:4455:6677");
}

/* The sample request claims ICE-CONTROLLED: lite stays controlled (487). */
static void test_rfc5769_request_role_conflict(void **state)
{
	struct media_ice *ice = ice_new("evtj", RFC_PWD, "h6vY", 0);
	struct sockaddr_storage from;
	socklen_t flen = addr4(&from, "192.0.2.1", 32853);
	uint8_t reply[MEDIA_ICE_REPLY_MAX];
	size_t len, rlen;
	struct stun_peer peer;
	StunMessage msg;
	g_autofree uint8_t *req = corpus("rfc5769-2.1-sample-request.bin", &len);

	assert_int_equal(feed(ice, req, len, &from, flen, 0, reply, &rlen),
			 MEDIA_ICE_ROLE_CONFLICT);
	assert_true(rlen > 0);
	stun_peer_init(&peer);
	stun_peer_expect(&peer, rfc_tid, RFC_PWD);
	/* The 487 is signed with our password: the peer can trust it. */
	assert_int_equal(stun_peer_read(&peer, reply, rlen, &msg),
			 STUN_VALIDATION_SUCCESS);
	assert_int_equal(stun_peer_error(&msg), STUN_ERROR_ROLE_CONFLICT);
	assert_false(media_ice_selected(ice, NULL, NULL));
	assert_false(media_ice_is_validated(ice, (struct sockaddr *)&from,
					    flen));
	media_ice_free(ice);
}

/* A request with the sample's transaction ID, as a controlling browser. */
static size_t rfc_style_request(uint8_t *buf, size_t cap)
{
	StunAgent agent;
	StunMessage msg;

	stun_agent_init(&agent, stun_peer_attrs, STUN_COMPATIBILITY_RFC5389,
			STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
				STUN_AGENT_USAGE_USE_FINGERPRINT);
	stun_agent_init_request(&agent, &msg, buf, cap, STUN_BINDING);
	memcpy(buf + 8, rfc_tid, sizeof(rfc_tid));
	stun_message_append32(&msg, STUN_ATTRIBUTE_PRIORITY, 0x6e0001ff);
	stun_message_append64(&msg, STUN_ATTRIBUTE_ICE_CONTROLLING, 1);
	stun_message_append_bytes(&msg, STUN_ATTRIBUTE_USERNAME, "evtj:h6vY", 9);
	return stun_agent_finish_message(&agent, &msg, (const uint8_t *)RFC_PWD,
					 22);
}

static const uint8_t *xor_mapped(const char *file, const uint8_t *own,
				 size_t own_len, uint16_t *alen)
{
	struct stun_peer peer;
	StunMessage msg;
	size_t len;
	uint8_t *buf = own ? (uint8_t *)own : corpus(file, &len);

	if (own)
		len = own_len;
	stun_peer_init(&peer);
	stun_peer_expect(&peer, rfc_tid, RFC_PWD);
	assert_int_equal(stun_peer_read(&peer, buf, len, &msg),
			 STUN_VALIDATION_SUCCESS);
	return stun_message_find(&msg, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, alen);
}

/* Our encoder writes the sample responses' XOR-MAPPED-ADDRESS exactly. */
static void encode_like(const char *file, struct sockaddr_storage *from,
			socklen_t flen)
{
	struct media_ice *ice = ice_new("evtj", RFC_PWD, "h6vY", 0);
	uint8_t req[256], reply[MEDIA_ICE_REPLY_MAX];
	size_t len = rfc_style_request(req, sizeof(req)), rlen;
	const uint8_t *ours, *theirs;
	uint16_t ours_len = 0, theirs_len = 0;
	g_autofree uint8_t *sample = NULL;
	size_t slen;

	assert_true(len > 0);
	assert_int_equal(feed(ice, req, len, from, flen, 0, reply, &rlen),
			 MEDIA_ICE_CHECK);
	ours = xor_mapped(NULL, reply, rlen, &ours_len);
	sample = corpus(file, &slen);
	theirs = xor_mapped(NULL, sample, slen, &theirs_len);
	assert_non_null(ours);
	assert_non_null(theirs);
	assert_int_equal(ours_len, theirs_len);
	assert_memory_equal(ours, theirs, ours_len);
	media_ice_free(ice);
}

static void test_xor_mapped_address_encoding(void **state)
{
	struct sockaddr_storage from;
	socklen_t flen;

	flen = addr4(&from, "192.0.2.1", 32853);
	encode_like("rfc5769-2.2-sample-ipv4-response.bin", &from, flen);
	flen = addr6(&from, "2001:db8:1234:5678:11:2233:4455:6677", 32853);
	encode_like("rfc5769-2.3-sample-ipv6-response.bin", &from, flen);
}

struct fixture {
	struct media_ice *ice;
	char username[64];
	const char *pwd;
	struct stun_peer peer;
	struct sockaddr_storage a, b;
	socklen_t alen, blen;
	uint8_t req[512], reply[MEDIA_ICE_REPLY_MAX];
	size_t req_len, reply_len;
};

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);

	f->ice = ice_new(NULL, NULL, "brws", 1 * SEC);
	f->pwd = media_ice_local_pwd(f->ice);
	g_snprintf(f->username, sizeof(f->username), "%s:brws",
		   media_ice_local_ufrag(f->ice));
	stun_peer_init(&f->peer);
	f->alen = addr4(&f->a, "127.0.0.1", 40000);
	f->blen = addr4(&f->b, "127.0.0.1", 40002);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	media_ice_free(f->ice);
	g_free(f);
	return 0;
}

static enum media_ice_result send_check(struct fixture *f, const char *user,
					const char *pwd, bool nominate,
					bool from_b, int64_t now)
{
	f->req_len = stun_peer_check(&f->peer, f->req, sizeof(f->req), user,
				     pwd, nominate, true);
	assert_true(f->req_len > 0);
	return feed(f->ice, f->req, f->req_len, from_b ? &f->b : &f->a,
		    from_b ? f->blen : f->alen, now, f->reply, &f->reply_len);
}

static bool selected_is(struct fixture *f, const struct sockaddr_storage *x,
			socklen_t xlen)
{
	struct sockaddr_storage sel;
	socklen_t len;

	return media_ice_selected(f->ice, &sel, &len) && len == xlen &&
	       memcmp(&sel, x, len) == 0;
}

static void test_check_then_nomination(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage mapped;
	socklen_t mlen = sizeof(mapped);
	StunMessage msg;

	assert_int_equal(send_check(f, f->username, f->pwd, false, false, 0),
			 MEDIA_ICE_CHECK);
	assert_int_equal(stun_peer_read(&f->peer, f->reply, f->reply_len, &msg),
			 STUN_VALIDATION_SUCCESS);
	assert_int_equal(stun_message_get_class(&msg), STUN_RESPONSE);
	assert_int_equal(stun_usage_ice_conncheck_process(
				 &msg, &mapped, &mlen,
				 STUN_USAGE_ICE_COMPATIBILITY_RFC5245),
			 STUN_USAGE_ICE_RETURN_SUCCESS);
	/* XOR-MAPPED-ADDRESS tells the browser where we saw it. */
	assert_int_equal(mlen, f->alen);
	assert_memory_equal(&mapped, &f->a, mlen);
	assert_false(media_ice_selected(f->ice, NULL, NULL));
	assert_true(media_ice_is_validated(f->ice, (struct sockaddr *)&f->a,
					   f->alen));
	assert_false(media_ice_is_validated(f->ice, (struct sockaddr *)&f->b,
					    f->blen));

	assert_int_equal(send_check(f, f->username, f->pwd, true, false, 10),
			 MEDIA_ICE_NOMINATED);
	assert_true(selected_is(f, &f->a, f->alen));
	/* A later authenticated nomination moves the pair (network change). */
	assert_int_equal(send_check(f, f->username, f->pwd, true, true, 20),
			 MEDIA_ICE_NOMINATED);
	assert_true(selected_is(f, &f->b, f->blen));
}

static void expect_401(struct fixture *f)
{
	StunMessage msg;

	assert_true(f->reply_len > 0);
	assert_int_equal(stun_peer_read(&f->peer, f->reply, f->reply_len, &msg),
			 STUN_VALIDATION_SUCCESS);
	assert_int_equal(stun_peer_error(&msg), STUN_ERROR_UNAUTHORIZED);
	assert_null(stun_message_find(&msg, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
				      &(uint16_t){0}));
}

static void test_wrong_credentials_no_hijack(void **state)
{
	struct fixture *f = *state;
	g_autofree char *other_ufrag = g_strdup_printf("zzzz:brws");
	g_autofree char *wrong_remote =
		g_strdup_printf("%s:evil", media_ice_local_ufrag(f->ice));
	g_autofree char *no_colon = g_strdup(media_ice_local_ufrag(f->ice));

	assert_int_equal(send_check(f, f->username, f->pwd, true, false, 0),
			 MEDIA_ICE_NOMINATED);
	/* An attacker at B nominates itself with a wrong password. */
	assert_int_equal(send_check(f, f->username, "wrongwrongwrongwrongwrong",
				    true, true, 1),
			 MEDIA_ICE_UNAUTHORIZED);
	expect_401(f);
	assert_int_equal(send_check(f, other_ufrag, f->pwd, true, true, 2),
			 MEDIA_ICE_UNAUTHORIZED);
	expect_401(f);
	assert_int_equal(send_check(f, wrong_remote, f->pwd, true, true, 3),
			 MEDIA_ICE_UNAUTHORIZED);
	assert_int_equal(send_check(f, no_colon, f->pwd, true, true, 4),
			 MEDIA_ICE_UNAUTHORIZED);
	assert_true(selected_is(f, &f->a, f->alen));
	assert_false(media_ice_is_validated(f->ice, (struct sockaddr *)&f->b,
					    f->blen));
}

/* The browser's ufrag can come later (its answer); until then any. */
static void test_remote_ufrag_set_later(void **state)
{
	struct fixture *f = *state;
	struct media_ice *ice = ice_new(NULL, NULL, NULL, 0);
	g_autofree char *any = g_strdup_printf("%s:whatever",
					       media_ice_local_ufrag(ice));
	g_autofree char *good = g_strdup_printf("%s:brws",
						media_ice_local_ufrag(ice));
	const char *pwd = media_ice_local_pwd(ice);

	media_ice_free(f->ice);
	f->ice = ice;
	assert_int_equal(send_check(f, any, pwd, false, false, 0),
			 MEDIA_ICE_CHECK);
	assert_int_equal(media_ice_set_remote_ufrag(ice, "brws"), 0);
	assert_int_equal(send_check(f, any, pwd, false, false, 0),
			 MEDIA_ICE_UNAUTHORIZED);
	assert_int_equal(send_check(f, good, pwd, false, false, 0),
			 MEDIA_ICE_CHECK);
	assert_int_equal(media_ice_set_remote_ufrag(ice, "b:d"), EINVAL);
	assert_int_equal(media_ice_set_remote_ufrag(ice, NULL), 0);
	assert_int_equal(send_check(f, any, pwd, false, false, 0),
			 MEDIA_ICE_CHECK);
}

static void test_role_conflict_keeps_state(void **state)
{
	struct fixture *f = *state;
	StunMessage msg;

	f->req_len = stun_peer_check(&f->peer, f->req, sizeof(f->req),
				     f->username, f->pwd, true, false);
	assert_int_equal(feed(f->ice, f->req, f->req_len, &f->a, f->alen, 0,
			      f->reply, &f->reply_len),
			 MEDIA_ICE_ROLE_CONFLICT);
	assert_int_equal(stun_peer_read(&f->peer, f->reply, f->reply_len, &msg),
			 STUN_VALIDATION_SUCCESS);
	assert_int_equal(stun_peer_error(&msg), STUN_ERROR_ROLE_CONFLICT);
	assert_false(media_ice_selected(f->ice, NULL, NULL));
}

/* An authenticated check with a comprehension-required attribute we do
 * not know gets 420 (RFC 5389 7.3.1) and changes nothing. */
static void test_unknown_mandatory_attribute(void **state)
{
	struct fixture *f = *state;
	StunMessage msg;

	stun_agent_init_request(&f->peer.agent, &msg, f->req, sizeof(f->req),
				STUN_BINDING);
	stun_message_append32(&msg, 0x7f01, 1);
	stun_message_append_flag(&msg, STUN_ATTRIBUTE_USE_CANDIDATE);
	stun_message_append64(&msg, STUN_ATTRIBUTE_ICE_CONTROLLING, 1);
	stun_message_append_bytes(&msg, STUN_ATTRIBUTE_USERNAME, f->username,
				  strlen(f->username));
	f->req_len = stun_agent_finish_message(&f->peer.agent, &msg,
					       (const uint8_t *)f->pwd,
					       strlen(f->pwd));
	assert_true(f->req_len > 0);
	assert_int_equal(feed(f->ice, f->req, f->req_len, &f->a, f->alen, 0,
			      f->reply, &f->reply_len),
			 MEDIA_ICE_REJECTED);
	assert_int_equal(stun_peer_read(&f->peer, f->reply, f->reply_len, &msg),
			 STUN_VALIDATION_SUCCESS);
	assert_int_equal(stun_peer_error(&msg), STUN_ERROR_UNKNOWN_ATTRIBUTE);
	assert_false(media_ice_selected(f->ice, NULL, NULL));
}

static void test_malformed_never_accepted(void **state)
{
	struct fixture *f = *state;
	uint8_t copy[512];

	assert_int_equal(send_check(f, f->username, f->pwd, true, false, 0),
			 MEDIA_ICE_NOMINATED);
	/* Every truncation and every flipped byte of a valid check. */
	for (size_t n = 0; n < f->req_len; n++) {
		enum media_ice_result r = feed(f->ice, f->req, n, &f->b,
					       f->blen, 1, f->reply,
					       &f->reply_len);
		assert_true(r == MEDIA_ICE_IGNORED);
		assert_int_equal(f->reply_len, 0);
	}
	for (size_t i = 0; i < f->req_len; i++) {
		enum media_ice_result r;

		memcpy(copy, f->req, f->req_len);
		copy[i] ^= 0x41;
		r = feed(f->ice, copy, f->req_len, &f->b, f->blen, 1, f->reply,
			 &f->reply_len);
		assert_true(r != MEDIA_ICE_CHECK && r != MEDIA_ICE_NOMINATED);
	}
	/* Our own success response fed back is not a request. */
	assert_int_equal(send_check(f, f->username, f->pwd, false, false, 2),
			 MEDIA_ICE_CHECK);
	memcpy(copy, f->reply, f->reply_len);
	assert_int_equal(feed(f->ice, copy, f->reply_len, &f->b, f->blen, 3,
			      f->reply, &f->reply_len),
			 MEDIA_ICE_IGNORED);
	/* A source address family STUN cannot carry is ignored. */
	assert_int_equal(media_ice_receive(f->ice, f->req, f->req_len,
					   (struct sockaddr *)&f->a, 2, 4,
					   f->reply, &f->reply_len),
			 MEDIA_ICE_IGNORED);
	assert_true(selected_is(f, &f->a, f->alen));
}

static void test_consent_timing(void **state)
{
	struct fixture *f = *state;

	/* A browser that never checks loses consent too. */
	assert_false(media_ice_consent_expired(f->ice, SEC - 1));
	assert_true(media_ice_consent_expired(f->ice, SEC));

	assert_int_equal(send_check(f, f->username, f->pwd, true, false,
				    SEC / 2),
			 MEDIA_ICE_NOMINATED);
	assert_false(media_ice_consent_expired(f->ice, SEC + SEC / 2 - 1));
	assert_true(media_ice_consent_expired(f->ice, SEC + SEC / 2));

	/* Refreshed by the selected pair only, and only by valid checks. */
	assert_int_equal(send_check(f, f->username, f->pwd, false, true,
				    SEC + SEC / 4),
			 MEDIA_ICE_CHECK);
	assert_int_equal(send_check(f, f->username, "badbadbadbadbadbadbadbad",
				    false, false, SEC + SEC / 4),
			 MEDIA_ICE_UNAUTHORIZED);
	assert_true(media_ice_consent_expired(f->ice, SEC + SEC / 2));
	assert_int_equal(send_check(f, f->username, f->pwd, false, false,
				    SEC + SEC / 4),
			 MEDIA_ICE_CHECK);
	assert_false(media_ice_consent_expired(f->ice, SEC + SEC / 2));
	assert_true(media_ice_consent_expired(f->ice, 2 * SEC + SEC / 4));
	assert_int_equal(media_ice_consent_timeout(f->ice), SEC);
}

static void test_credentials(void **state)
{
	struct media_ice *a = NULL, *b = NULL, *x = NULL;
	const char *ok = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789+/";
	struct media_ice_config bad_pwd = {.local_pwd = "tooshort"};
	struct media_ice_config bad_ufrag = {.local_ufrag = "ab:cd"};
	struct media_ice_config bad_remote = {.remote_ufrag = "a b c"};

	assert_int_equal(media_ice_new(&a, NULL, 0), 0);
	assert_int_equal(media_ice_new(&b, NULL, 0), 0);
	assert_int_equal(strlen(media_ice_local_ufrag(a)), MEDIA_ICE_UFRAG_LEN);
	assert_int_equal(strlen(media_ice_local_pwd(a)), MEDIA_ICE_PWD_LEN);
	assert_true(strlen(media_ice_local_ufrag(a)) >= 4);
	assert_true(strlen(media_ice_local_pwd(a)) >= 22);
	assert_int_equal(strspn(media_ice_local_ufrag(a), ok),
			 MEDIA_ICE_UFRAG_LEN);
	assert_int_equal(strspn(media_ice_local_pwd(a), ok), MEDIA_ICE_PWD_LEN);
	assert_string_not_equal(media_ice_local_ufrag(a),
				media_ice_local_ufrag(b));
	assert_string_not_equal(media_ice_local_pwd(a), media_ice_local_pwd(b));
	assert_int_equal(media_ice_consent_timeout(a),
			 MEDIA_ICE_CONSENT_TIMEOUT_US);
	assert_int_equal(media_ice_new(&x, &bad_pwd, 0), EINVAL);
	assert_int_equal(media_ice_new(&x, &bad_ufrag, 0), EINVAL);
	assert_int_equal(media_ice_new(&x, &bad_remote, 0), EINVAL);
	assert_null(x);
	assert_string_equal(media_ice_result_name(MEDIA_ICE_NOMINATED),
			    "nominated");
	media_ice_free(a);
	media_ice_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5769_request_verifies),
		cmocka_unit_test(test_rfc5769_responses_verify),
		cmocka_unit_test(test_rfc5769_request_role_conflict),
		cmocka_unit_test(test_xor_mapped_address_encoding),
		cmocka_unit_test_setup_teardown(test_check_then_nomination,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_wrong_credentials_no_hijack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_ufrag_set_later,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_role_conflict_keeps_state,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_unknown_mandatory_attribute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_never_accepted,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_consent_timing, setup,
						teardown),
		cmocka_unit_test(test_credentials),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
