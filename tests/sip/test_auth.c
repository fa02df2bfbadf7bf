/* tests/sip/test_auth.c - digest checks, nonce binding and bans as attackers
 * and office phones meet them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "fake_transport.h"
#include "sip_util.h"
#include "sip/auth.h"
#include "sip/ephemeral.h"
#include "sip/stack.h"

#define REALM "ovoz.test"

struct fixture {
	struct sip_stack *st;
	struct sip_auth *auth;
	struct sip_transport *udp, *ws1, *ws2;
	struct fake_transport *udp_f, *ws1_f, *ws2_f;
	enum sip_auth_verdict last;
	char detail[256];
	unsigned cseq;
};

/* Who sends: a transport and the address it comes from. */
struct peer {
	struct sip_transport *tp;
	struct fake_transport *ft;
	struct sip_addr addr;
};

static int creds(void *ctx, const char *user, char *md5, char *sha)
{
	static const char *const known[] = {"1001", "2000", NULL};

	return test_creds(REALM, known, user, md5, sha);
}

/* A REGISTER handler doing nothing but authentication. */
static void on_register(struct sip_stack *st, const struct sip_request *req,
			void *arg)
{
	struct fixture *f = arg;
	sip_t *sip = sip_message_sip(req->msg);
	struct sip_auth_result res;

	f->last = sip_auth_check(f->auth, req, sip->sip_to->a_url->url_user,
				 false, &res);
	g_strlcpy(f->detail, res.detail, sizeof(f->detail));
	if (f->last == SIP_AUTH_OK)
		sip_stack_reply(st, req, 200, "OK", NULL);
}

#define SECRET "north-wind"

static int setup_with(void **state, const char *secret)
{
	struct fixture *f = g_new0(struct fixture, 1);
	struct sip_auth_config cfg = test_auth_config(REALM, 5);
	cfg.ephemeral_secret = secret;

	test_now = TEST_NOW_START;
	sip_stack_new(&f->st, NULL);
	assert_int_equal(sip_auth_new(&f->auth, &cfg, f->st, creds, f), 0);
	sip_auth_set_clock(f->auth, test_clock);
	sip_stack_set_handler(f->st, "REGISTER", on_register, f);
	f->udp = fake_transport_new(SIP_TRANSPORT_UDP, "udp", &f->udp_f);
	f->ws1 = fake_transport_new(SIP_TRANSPORT_WSS, "wss-1", &f->ws1_f);
	f->ws2 = fake_transport_new(SIP_TRANSPORT_WSS, "wss-2", &f->ws2_f);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, NULL);
}

static int setup_ephemeral(void **state)
{
	return setup_with(state, SECRET);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sip_auth_free(f->auth);
	sip_stack_free(f->st);
	sip_transport_unref(f->udp);
	sip_transport_unref(f->ws1);
	sip_transport_unref(f->ws2);
	g_free(f);
	return 0;
}

static struct peer udp_peer(struct fixture *f, const char *addr)
{
	struct peer p = {.tp = f->udp, .ft = f->udp_f};

	assert_int_equal(sip_addr_parse(&p.addr, addr), 0);
	return p;
}

static struct peer ws_peer(struct fixture *f, int n, const char *addr)
{
	struct peer p = {.tp = n == 1 ? f->ws1 : f->ws2,
			 .ft = n == 1 ? f->ws1_f : f->ws2_f};

	assert_int_equal(sip_addr_parse(&p.addr, addr), 0);
	return p;
}

static char *md5_hex(const char *s)
{
	return g_compute_checksum_for_string(G_CHECKSUM_MD5, s, -1);
}

static char *authorization(const char *user, const char *pw,
			   const char *nonce, unsigned nc)
{
	char ha1[SIP_DIGEST_HEX_MAX];
	g_autofree char *ha2 = md5_hex("REGISTER:sip:" REALM);
	g_autofree char *in = NULL, *resp = NULL;

	sip_digest_ha1(SIP_DIGEST_MD5, user, REALM, pw, ha1);
	in = g_strdup_printf("%s:%s:%08x:c0ffee:auth:%s", ha1, nonce, nc, ha2);
	resp = md5_hex(in);
	return g_strdup_printf(
		"Digest username=\"%s\", realm=\"" REALM "\", nonce=\"%s\", "
		"uri=\"sip:" REALM "\", response=\"%s\", algorithm=MD5, "
		"cnonce=\"c0ffee\", qop=auth, nc=%08x",
		user, nonce, resp, nc);
}

/* Send a REGISTER for @user from @p; the reply's status. *@nonce gets the
 * nonce of a 401 (may be NULL). */
static int send_reg(struct fixture *f, const struct peer *p, const char *user,
		    const char *auth, char **nonce)
{
	g_autofree char *msg = test_register_text(REALM, "10.0.0.5:5062", user,
						  f->cseq++, auth);

	return test_sip_exchange(f->st, p->tp, p->ft, &p->addr, msg, nonce);
}

static char *challenge(struct fixture *f, const struct peer *p,
		       const char *user)
{
	char *nonce = NULL;

	assert_int_equal(send_reg(f, p, user, NULL, &nonce), 401);
	return nonce;
}

/* A full REGISTER, 401, REGISTER with credentials: the final status. */
static int login(struct fixture *f, const struct peer *p, const char *user,
		 const char *pw)
{
	g_autofree char *nonce = challenge(f, p, user);
	g_autofree char *auth = authorization(user, pw, nonce, 1);

	return send_reg(f, p, user, auth, NULL);
}

static void test_nonce_bound_to_source(void **state)
{
	struct fixture *f = *state;
	struct peer a = udp_peer(f, "192.0.2.10:5060");
	struct peer a2 = udp_peer(f, "192.0.2.10:5062");
	struct peer b = udp_peer(f, "192.0.2.11:5060");
	struct peer w1 = ws_peer(f, 1, "192.0.2.10:40000");
	struct peer w2 = ws_peer(f, 2, "192.0.2.10:40001");
	g_autofree char *nonce = challenge(f, &a, "1001");
	g_autofree char *wnonce = challenge(f, &w1, "1001");
	g_autofree char *auth = authorization("1001", "pw-1001", nonce, 1);
	g_autofree char *wauth = authorization("1001", "pw-1001", wnonce, 1);

	/* Another address, or a flow, cannot use a UDP address's nonce. */
	assert_int_equal(send_reg(f, &b, "1001", auth, NULL), 401);
	assert_int_equal(f->last, SIP_AUTH_BAD_NONCE);
	assert_int_equal(send_reg(f, &w1, "1001", auth, NULL), 401);
	assert_int_equal(f->last, SIP_AUTH_BAD_NONCE);
	/* A flow's nonce is not good on another flow of the same address,
	 * nor over UDP from it. */
	assert_int_equal(send_reg(f, &w2, "1001", wauth, NULL), 401);
	assert_int_equal(f->last, SIP_AUTH_BAD_NONCE);
	assert_int_equal(send_reg(f, &a, "1001", wauth, NULL), 401);
	/* The address it was issued to (any port: NATs remap) and the flow. */
	assert_int_equal(send_reg(f, &a2, "1001", auth, NULL), 200);
	assert_int_equal(send_reg(f, &w1, "1001", wauth, NULL), 200);
	assert_int_equal(sip_auth_failures(f->auth), 0);
}

/* The blind lockout: forged datagrams with made-up, foreign, expired or
 * replayed nonces from the victim's own source never count. */
static void test_forged_nonce_does_not_count(void **state)
{
	struct fixture *f = *state;
	struct peer victim = udp_peer(f, "192.0.2.20:5060");
	struct peer attacker = udp_peer(f, "203.0.113.9:5060");
	g_autofree char *theirs = challenge(f, &attacker, "1001");
	g_autofree char *mine = challenge(f, &victim, "1001");

	for (unsigned i = 0; i < 10; i++) {
		g_autofree char *bogus = authorization("1001", "guess", "bogus",
						       1);
		g_autofree char *unknown = authorization("9999", "x", "bogus",
							 1);
		g_autofree char *foreign = authorization("1001", "guess",
							 theirs, i + 1);
		assert_int_equal(send_reg(f, &victim, "1001", bogus, NULL), 401);
		assert_int_equal(send_reg(f, &victim, "9999", unknown, NULL),
				 401);
		assert_int_equal(send_reg(f, &victim, "1001", foreign, NULL),
				 401);
		assert_int_equal(f->last, SIP_AUTH_BAD_NONCE);
	}
	/* A wrong answer counts once; sent again, it is a replay. */
	g_autofree char *wrong = authorization("1001", "guess", mine, 1);
	assert_int_equal(send_reg(f, &victim, "1001", wrong, NULL), 403);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(send_reg(f, &victim, "1001", wrong, NULL), 401);
		assert_int_equal(f->last, SIP_AUTH_NONCE_REPLAY);
	}
	/* Expired nonces are only re-challenged. */
	test_now += 301;
	for (unsigned i = 0; i < 10; i++) {
		g_autofree char *old = authorization("1001", "guess", mine,
						     i + 2);
		assert_int_equal(send_reg(f, &victim, "1001", old, NULL), 401);
		assert_int_equal(f->last, SIP_AUTH_STALE_NONCE);
	}
	assert_int_equal(sip_auth_failures(f->auth), 1);
	assert_int_equal(sip_auth_bans(f->auth), 0);
	assert_int_equal(login(f, &victim, "1001", "pw-1001"), 200);
}

/* One colleague behind the office NAT guesses 2000's password: that source
 * is refused for 2000, the real 2000 on another port is not. */
static void test_nat_colleague(void **state)
{
	struct fixture *f = *state;
	struct peer real = udp_peer(f, "198.51.100.7:5060");
	struct peer colleague = udp_peer(f, "198.51.100.7:5070");

	assert_int_equal(login(f, &real, "2000", "pw-2000"), 200);
	for (int i = 0; i < 5; i++)
		assert_int_equal(login(f, &colleague, "2000", "guess"), 403);
	assert_int_equal(f->last, SIP_AUTH_WRONG_PASSWORD);
	assert_non_null(strstr(f->detail, "ban #1"));
	assert_int_equal(send_reg(f, &colleague, "2000", NULL, NULL), 403);
	assert_int_equal(f->last, SIP_AUTH_BANNED);
	assert_non_null(strstr(f->detail, "5 wrong passwords for 2000"));
	/* Still refused with the right password, but only that source. */
	assert_int_equal(send_reg(f, &colleague, "2000", NULL, NULL), 403);
	assert_int_equal(login(f, &real, "2000", "pw-2000"), 200);
	assert_int_equal(login(f, &colleague, "1001", "pw-1001"), 200);
	assert_int_equal(sip_auth_bans_active(f->auth), 1);
	test_now += 301;
	assert_int_equal(login(f, &colleague, "2000", "pw-2000"), 200);
}

/* Scanning unknown extensions is throttled per source even from an address
 * that authenticates; the office's other phones carry on. */
static void test_scanning_throttled(void **state)
{
	struct fixture *f = *state;
	struct peer phone = udp_peer(f, "198.51.100.8:5060");
	struct peer scanner = udp_peer(f, "198.51.100.8:5080");
	struct peer flow = ws_peer(f, 1, "198.51.100.8:40000");

	assert_int_equal(login(f, &phone, "1001", "pw-1001"), 200);
	for (int i = 0; i < 5; i++) {
		g_autofree char *ext = g_strdup_printf("90%02d", i);
		assert_int_equal(login(f, &scanner, ext, "x"), 403);
		assert_int_equal(f->last, SIP_AUTH_UNKNOWN_USER);
	}
	assert_int_equal(send_reg(f, &scanner, "9100", NULL, NULL), 403);
	assert_int_equal(f->last, SIP_AUTH_BANNED);
	assert_int_equal(send_reg(f, &scanner, "1001", NULL, NULL), 403);
	assert_int_equal(login(f, &phone, "1001", "pw-1001"), 200);
	/* A WebSocket flow is a source of its own. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(login(f, &flow, "9000", "x"), 403);
	assert_int_equal(send_reg(f, &flow, "1001", NULL, NULL), 403);
	assert_int_equal(login(f, &phone, "1001", "pw-1001"), 200);
	assert_int_equal(sip_auth_bans_active(f->auth), 2);
}

/* An address where nothing authenticated is banned as a whole, whatever
 * port each attempt comes from. */
static void test_address_ban(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 5; i++) {
		g_autofree char *a = g_strdup_printf("203.0.113.5:%d", 6000 + i);
		struct peer p = udp_peer(f, a);
		assert_int_equal(login(f, &p, "1001", "guess"), 403);
	}
	struct peer fresh = udp_peer(f, "203.0.113.5:7000");
	assert_int_equal(send_reg(f, &fresh, "2000", NULL, NULL), 403);
	assert_int_equal(f->last, SIP_AUTH_BANNED);
	assert_non_null(strstr(f->detail, "this address"));
}

struct ban_list {
	unsigned n;
	struct sip_ban_info info[4];
	char source[4][64];
};

static void collect(const struct sip_ban_info *b, void *arg)
{
	struct ban_list *l = arg;

	if (l->n >= 4)
		return;
	l->info[l->n] = *b;
	g_strlcpy(l->source[l->n], b->source ? b->source : "",
		  sizeof(l->source[0]));
	l->n++;
}

static void test_ban_listing_and_lifting(void **state)
{
	struct fixture *f = *state;
	struct peer real = udp_peer(f, "198.51.100.9:5060");
	struct peer colleague = udp_peer(f, "198.51.100.9:5070");
	struct ban_list l = {0};

	assert_int_equal(login(f, &real, "1001", "pw-1001"), 200);
	for (int i = 0; i < 5; i++)
		login(f, &colleague, "2000", "guess");
	sip_auth_bans_foreach(f->auth, collect, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.info[0].scope, SIP_BAN_SOURCE_EXTENSION);
	assert_string_equal(l.source[0], "198.51.100.9:5070");
	assert_int_equal(l.info[0].until, test_now + 300);
	assert_int_equal(l.info[0].failures, 5);
	assert_int_equal(send_reg(f, &colleague, "2000", NULL, NULL), 403);
	assert_int_equal(sip_auth_ban_lift(f->auth, l.info[0].id), 0);
	assert_int_equal(sip_auth_ban_lift(f->auth, l.info[0].id), ENOENT);
	assert_int_equal(login(f, &colleague, "2000", "pw-2000"), 200);
	l.n = 0;
	sip_auth_bans_foreach(f->auth, collect, &l);
	assert_int_equal(l.n, 0);
}

/* REGISTER for @to answering with the ephemeral credential of @ext minted
 * under @secret, valid until @expiry. */
static int eph_login(struct fixture *f, const struct peer *p, const char *to,
		     const char *secret, const char *ext, int64_t expiry)
{
	char pw[SIP_EPHEMERAL_PASSWORD_MAX];
	g_autofree char *user = sip_ephemeral_mint(secret, ext, expiry, pw);
	g_autofree char *nonce = challenge(f, p, to);
	g_autofree char *auth = authorization(user, pw, nonce, 1);

	return send_reg(f, p, to, auth, NULL);
}

static void test_ephemeral_credentials(void **state)
{
	struct fixture *f = *state;
	struct peer p = udp_peer(f, "192.0.2.30:5060");
	int64_t later = test_now + 3600;

	assert_int_equal(eph_login(f, &p, "1001", SECRET, "1001", later), 200);
	assert_int_equal(f->last, SIP_AUTH_OK);
	/* The plain password still works beside it. */
	assert_int_equal(login(f, &p, "1001", "pw-1001"), 200);
	/* Expired: refused with its own reason, and not counted toward a
	 * ban (an old web phone tab is no guess). */
	assert_int_equal(eph_login(f, &p, "1001", SECRET, "1001", test_now),
			 403);
	assert_int_equal(f->last, SIP_AUTH_CREDENTIAL_EXPIRED);
	assert_non_null(strstr(f->detail, "credential_expired"));
	assert_int_equal(sip_auth_failures(f->auth), 0);
	/* Minted under another secret: a wrong password. */
	assert_int_equal(eph_login(f, &p, "1001", "guess", "1001", later), 403);
	assert_int_equal(f->last, SIP_AUTH_WRONG_PASSWORD);
	/* Minted for 1001, used for 2000. */
	assert_int_equal(eph_login(f, &p, "2000", SECRET, "1001", later), 403);
	assert_int_equal(f->last, SIP_AUTH_USERNAME_MISMATCH);
	/* A well-minted credential for an extension that does not exist. */
	assert_int_equal(eph_login(f, &p, "9999", SECRET, "9999", later), 403);
	assert_int_equal(f->last, SIP_AUTH_UNKNOWN_USER);
	assert_int_equal(sip_auth_failures(f->auth), 3);
}

/* Without a secret nobody can mint: the username is simply not 1001. */
static void test_ephemeral_off(void **state)
{
	struct fixture *f = *state;
	struct peer p = udp_peer(f, "192.0.2.31:5060");

	assert_int_equal(eph_login(f, &p, "1001", SECRET, "1001",
				   test_now + 60),
			 403);
	assert_int_equal(f->last, SIP_AUTH_USERNAME_MISMATCH);
}

static void test_config_taken_as_given(void **state)
{
	struct sip_stack *st = NULL;
	struct sip_auth *a = NULL;
	struct sip_auth_config ok = {
		.realm = REALM, .nonce_ttl = 300, .ban_failures = 5,
		.ban_window = 60, .ban_time = 300, .trust_time = 3600,
		.algs = {SIP_DIGEST_MD5}, .n_algs = 1};
	struct sip_auth_config bad;

	sip_stack_new(&st, NULL);
	bad = ok;
	bad.n_algs = 0;
	assert_int_equal(sip_auth_new(&a, &bad, st, creds, NULL), EINVAL);
	bad = ok;
	bad.nonce_ttl = 0;
	assert_int_equal(sip_auth_new(&a, &bad, st, creds, NULL), EINVAL);
	bad = ok;
	bad.ban_time = 0;
	assert_int_equal(sip_auth_new(&a, &bad, st, creds, NULL), EINVAL);
	bad = ok;
	bad.trust_time = 0;
	assert_int_equal(sip_auth_new(&a, &bad, st, creds, NULL), EINVAL);
	assert_null(a);
	assert_int_equal(sip_auth_new(&a, &ok, st, creds, NULL), 0);
	sip_auth_free(a);
	sip_stack_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nonce_bound_to_source,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_nonce_does_not_count,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_colleague, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scanning_throttled, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_address_ban, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ban_listing_and_lifting,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ephemeral_credentials,
						setup_ephemeral, teardown),
		cmocka_unit_test_setup_teardown(test_ephemeral_off, setup,
						teardown),
		cmocka_unit_test(test_config_taken_as_given),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
