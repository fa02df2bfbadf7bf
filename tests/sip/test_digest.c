/* tests/sip/test_digest.c - HA1 vectors, challenge/response round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

#include "sip/digest.h"

#define SRC "ip:192.0.2.10"
/* The source a response comes from; SRC unless a test changes it. */
static const char *answer_src = SRC;

static int64_t fake_now = 1000000;

static int64_t clock_fake(void)
{
	return fake_now;
}

static void hex_hash(enum sip_digest_alg alg, const char *text,
		     char out[SIP_DIGEST_HEX_MAX])
{
	g_autofree char *h = g_compute_checksum_for_string(
		alg == SIP_DIGEST_SHA256 ? G_CHECKSUM_SHA256 : G_CHECKSUM_MD5,
		text, -1);

	g_strlcpy(out, h, SIP_DIGEST_HEX_MAX);
}

/* What a client computes (RFC 7616 3.4.1, qop=auth). */
static void client_response(enum sip_digest_alg alg, const char *ha1,
			    const char *method, const char *uri,
			    const char *nonce, const char *nc,
			    const char *cnonce, char out[SIP_DIGEST_HEX_MAX])
{
	char ha2[SIP_DIGEST_HEX_MAX];
	g_autofree char *a2 = g_strdup_printf("%s:%s", method, uri);
	g_autofree char *all = NULL;

	hex_hash(alg, a2, ha2);
	all = g_strdup_printf("%s:%s:%s:%s:auth:%s", ha1, nonce, nc, cnonce,
			      ha2);
	hex_hash(alg, all, out);
}

static void test_ha1_vectors(void **state)
{
	char out[SIP_DIGEST_HEX_MAX];

	/* printf 'alice:example.com:secret' | md5sum / sha256sum */
	sip_digest_ha1(SIP_DIGEST_MD5, "alice", "example.com", "secret", out);
	assert_string_equal(out, "b1726872c344b6dc8365b774f8fd6412");
	sip_digest_ha1(SIP_DIGEST_SHA256, "alice", "example.com", "secret",
		       out);
	assert_string_equal(out, "ed8925b20f9a77b8f8f8d5f8e4467fe3"
				 "2b866f7208ab9e4b20595e9821a0fdee");
	/* RFC 7616 3.9.1 */
	sip_digest_ha1(SIP_DIGEST_SHA256, "Mufasa", "http-auth@example.org",
		       "Circle of Life", out);
	assert_string_equal(out, "7987c64c30e25f1b74be53f966b49b90"
				 "f2808aa92faf9a00262392d7b4794232");
}

/* The client side used below reproduces RFC 7616 3.9.1 exactly. */
static void test_rfc7616_example(void **state)
{
	const char *nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
	const char *cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
	char ha1[SIP_DIGEST_HEX_MAX], rsp[SIP_DIGEST_HEX_MAX];

	sip_digest_ha1(SIP_DIGEST_SHA256, "Mufasa", "http-auth@example.org",
		       "Circle of Life", ha1);
	client_response(SIP_DIGEST_SHA256, ha1, "GET", "/dir/index.html",
			nonce, "00000001", cnonce, rsp);
	assert_string_equal(rsp, "753927fa0e85d155564e2e272a28d180"
				 "2ca10daf4496794697cf8db5856cb6c1");
	sip_digest_ha1(SIP_DIGEST_MD5, "Mufasa", "http-auth@example.org",
		       "Circle of Life", ha1);
	client_response(SIP_DIGEST_MD5, ha1, "GET", "/dir/index.html", nonce,
			"00000001", cnonce, rsp);
	assert_string_equal(rsp, "8ca523f5e9506fed4657c9700eebdbec");
}

/* Pull nonce="..." out of a challenge. */
static char *challenge_nonce(const char *challenge)
{
	const char *p = strstr(challenge, "nonce=\"");
	const char *e;

	assert_non_null(p);
	p += 7;
	e = strchr(p, '"');
	assert_non_null(e);
	return g_strndup(p, (gsize)(e - p));
}

struct ctx {
	su_home_t home[1];
	struct sip_digest *d;
};

static int setup(void **state)
{
	struct ctx *c = g_new0(struct ctx, 1);

	su_home_init(c->home);
	fake_now = 1000000;
	answer_src = SRC;
	assert_int_equal(sip_digest_new(&c->d, "example.com", 60), 0);
	sip_digest_set_clock(c->d, clock_fake);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	sip_digest_free(c->d);
	su_home_deinit(c->home);
	g_free(c);
	return 0;
}

/* Build an Authorization header like a client would, and verify it. */
static enum sip_digest_result
try_auth(struct ctx *c, enum sip_digest_alg alg, const char *realm,
	 const char *password, const char *nonce, const char *nc,
	 const char *server_ha1)
{
	char ha1[SIP_DIGEST_HEX_MAX], rsp[SIP_DIGEST_HEX_MAX];
	const char *uri = "sip:example.com";
	struct sip_digest_credentials cr;
	enum sip_digest_result r;
	sip_authorization_t *au;
	g_autofree char *text = NULL;

	sip_digest_ha1(alg, "alice", realm, password, ha1);
	client_response(alg, ha1, "REGISTER", uri, nonce, nc, "0a4f113b",
			rsp);
	text = g_strdup_printf(
		"Digest username=\"alice\", realm=\"%s\", nonce=\"%s\", "
		"uri=\"%s\", response=\"%s\", algorithm=%s, cnonce=\"0a4f113b\", "
		"qop=auth, nc=%s",
		realm, nonce, uri, rsp,
		alg == SIP_DIGEST_SHA256 ? "SHA-256" : "MD5", nc);
	au = sip_authorization_make(c->home, text);
	assert_non_null(au);
	r = sip_digest_find(c->d, au, &cr);
	if (r != SIP_DIGEST_OK)
		return r;
	assert_string_equal(cr.username, "alice");
	assert_int_equal(cr.alg, alg);
	return sip_digest_verify(c->d, &cr, "REGISTER", server_ha1, answer_src);
}

static void round_trip(void **state, enum sip_digest_alg alg)
{
	struct ctx *c = *state;
	g_autofree char *chal = sip_digest_challenge(c->d, alg, false, SRC);
	g_autofree char *nonce = challenge_nonce(chal);
	g_autofree char *tampered = g_strdup(nonce);
	char ha1[SIP_DIGEST_HEX_MAX];

	assert_true(g_str_has_prefix(chal, "Digest realm=\"example.com\", "));
	assert_non_null(strstr(chal, "qop=\"auth\""));
	assert_non_null(strstr(chal, alg == SIP_DIGEST_SHA256
					     ? "algorithm=SHA-256"
					     : "algorithm=MD5"));
	assert_null(strstr(chal, "stale"));
	sip_digest_ha1(alg, "alice", "example.com", "secret", ha1);

	assert_int_equal(try_auth(c, alg, "example.com", "secret", nonce,
				  "00000001", ha1),
			 SIP_DIGEST_OK);
	/* Same nc again: replay. Higher nc: fine. */
	assert_int_equal(try_auth(c, alg, "example.com", "secret", nonce,
				  "00000001", ha1),
			 SIP_DIGEST_REPLAY);
	assert_int_equal(try_auth(c, alg, "example.com", "secret", nonce,
				  "00000002", ha1),
			 SIP_DIGEST_OK);
	assert_int_equal(try_auth(c, alg, "example.com", "wrong", nonce,
				  "00000003", ha1),
			 SIP_DIGEST_MISMATCH);
	assert_int_equal(try_auth(c, alg, "other.org", "secret", nonce,
				  "00000003", ha1),
			 SIP_DIGEST_MISSING);
	/* Flip one character of the nonce: HMAC fails. */
	tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
	assert_int_equal(try_auth(c, alg, "example.com", "secret", tampered,
				  "00000001", ha1),
			 SIP_DIGEST_BAD_NONCE);
	assert_int_equal(try_auth(c, alg, "example.com", "secret", "abc",
				  "00000001", ha1),
			 SIP_DIGEST_BAD_NONCE);
	/* Past the TTL: stale. */
	fake_now += 61;
	assert_int_equal(try_auth(c, alg, "example.com", "secret", nonce,
				  "00000004", ha1),
			 SIP_DIGEST_STALE);
}

static void test_round_trip_sha256(void **state)
{
	round_trip(state, SIP_DIGEST_SHA256);
}

static void test_round_trip_md5(void **state)
{
	round_trip(state, SIP_DIGEST_MD5);
}

static void test_other_verifier_nonce(void **state)
{
	struct ctx *c = *state;
	struct sip_digest *other = NULL;
	g_autofree char *chal = NULL, *nonce = NULL;
	char ha1[SIP_DIGEST_HEX_MAX];

	/* A nonce of another process run (another secret) is not ours. */
	assert_int_equal(sip_digest_new(&other, "example.com", 60), 0);
	sip_digest_set_clock(other, clock_fake);
	chal = sip_digest_challenge(other, SIP_DIGEST_SHA256, true, SRC);
	assert_non_null(strstr(chal, ", stale=true"));
	nonce = challenge_nonce(chal);
	sip_digest_ha1(SIP_DIGEST_SHA256, "alice", "example.com", "secret",
		       ha1);
	assert_int_equal(try_auth(c, SIP_DIGEST_SHA256, "example.com",
				  "secret", nonce, "00000001", ha1),
			 SIP_DIGEST_BAD_NONCE);
	sip_digest_free(other);
}

/* A nonce answered from a source it was not issued to is not ours; a
 * wrong answer sent twice (a retransmission) is a replay the second time. */
static void test_nonce_bound_to_source(void **state)
{
	struct ctx *c = *state;
	g_autofree char *chal = sip_digest_challenge(c->d, SIP_DIGEST_MD5,
						     false, SRC);
	g_autofree char *nonce = challenge_nonce(chal);
	char ha1[SIP_DIGEST_HEX_MAX];

	sip_digest_ha1(SIP_DIGEST_MD5, "alice", "example.com", "secret", ha1);
	answer_src = "ip:192.0.2.11";
	assert_int_equal(try_auth(c, SIP_DIGEST_MD5, "example.com", "secret",
				  nonce, "00000001", ha1),
			 SIP_DIGEST_BAD_NONCE);
	answer_src = "flow:wss-1";
	assert_int_equal(try_auth(c, SIP_DIGEST_MD5, "example.com", "secret",
				  nonce, "00000001", ha1),
			 SIP_DIGEST_BAD_NONCE);
	answer_src = SRC;
	assert_int_equal(try_auth(c, SIP_DIGEST_MD5, "example.com", "wrong",
				  nonce, "00000001", ha1),
			 SIP_DIGEST_MISMATCH);
	assert_int_equal(try_auth(c, SIP_DIGEST_MD5, "example.com", "wrong",
				  nonce, "00000001", ha1),
			 SIP_DIGEST_REPLAY);
	assert_int_equal(try_auth(c, SIP_DIGEST_MD5, "example.com", "secret",
				  nonce, "00000002", ha1),
			 SIP_DIGEST_OK);
}

static void test_malformed(void **state)
{
	struct ctx *c = *state;
	struct sip_digest_credentials cr;
	static const struct {
		const char *text;
		enum sip_digest_result expect;
	} cases[] = {
		{ "Basic YWxpY2U6c2VjcmV0", SIP_DIGEST_MISSING },
		{ "Digest username=\"a\", realm=\"other\", nonce=\"n\"",
		  SIP_DIGEST_MISSING },
		{ "Digest username=\"a\", realm=\"example.com\", nonce=\"n\", "
		  "uri=\"sip:x\", response=\"r\", algorithm=SHA-512-256, "
		  "cnonce=\"c\", qop=auth, nc=00000001",
		  SIP_DIGEST_MALFORMED },
		/* RFC 2069 style: no qop. */
		{ "Digest username=\"a\", realm=\"example.com\", nonce=\"n\", "
		  "uri=\"sip:x\", response=\"r\"",
		  SIP_DIGEST_MALFORMED },
		{ "Digest username=\"a\", realm=\"example.com\", nonce=\"n\", "
		  "uri=\"sip:x\", response=\"r\", cnonce=\"c\", qop=auth-int, "
		  "nc=00000001",
		  SIP_DIGEST_MALFORMED },
		{ "Digest username=\"a\", realm=\"example.com\", nonce=\"n\", "
		  "uri=\"sip:x\", response=\"r\", cnonce=\"c\", qop=auth, "
		  "nc=1",
		  SIP_DIGEST_MALFORMED },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		sip_authorization_t *au =
			sip_authorization_make(c->home, cases[i].text);

		assert_non_null(au);
		assert_int_equal(sip_digest_find(c->d, au, &cr),
				 cases[i].expect);
	}
	assert_int_equal(sip_digest_find(c->d, NULL, &cr), SIP_DIGEST_MISSING);
	assert_string_equal(sip_digest_result_text(SIP_DIGEST_MISMATCH),
			    "wrong password (digest mismatch)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ha1_vectors),
		cmocka_unit_test(test_rfc7616_example),
		cmocka_unit_test_setup_teardown(test_round_trip_sha256, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_md5, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_verifier_nonce,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonce_bound_to_source,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
