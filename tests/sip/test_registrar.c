/* tests/sip/test_registrar.c - REGISTER processing against a fake flow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>

#include "fake_transport.h"
#include "sip_util.h"
#include "sip/ephemeral.h"
#include "sip/registrar.h"
#include "sip/stack.h"

#define REALM "ovoz.test"

struct fixture {
	struct test_registrar r;
	struct sip_transport *ws;
	struct fake_transport *ws_f;
	struct sip_addr src;
	GPtrArray *events;   /* "added 1001 <uri>" strings */
	GPtrArray *attempts; /* outcome names */
	GPtrArray *refresh;  /* the same, for attempts flagged refresh */
	unsigned cseq;
	char *call_id;
};

static int creds(void *ctx, const char *user, char *md5, char *sha)
{
	static const char *const known[] = {"1001", "1002", NULL};

	return test_creds(REALM, known, user, md5, sha);
}

static void on_binding(void *ctx, const struct sip_binding *b,
		       enum sip_binding_event ev)
{
	struct fixture *f = ctx;
	static const char *names[] = {"added", "refreshed", "removed"};

	g_ptr_array_add(f->events, g_strdup_printf("%s %s %s", names[ev],
						   b->user, b->uri));
}

static void on_attempt(void *ctx, const struct sip_reg_attempt *a)
{
	struct fixture *f = ctx;

	g_ptr_array_add(f->attempts,
			g_strdup(sip_reg_outcome_name(a->outcome)));
	if (a->refresh)
		g_ptr_array_add(f->refresh,
				g_strdup(sip_reg_outcome_name(a->outcome)));
}

static int setup_auth(void **state, const struct sip_auth_config *acfg)
{
	struct fixture *f = g_new0(struct fixture, 1);
	static const char *const domains[] = {REALM, "192.0.2.1", "[2001:db8::1]",
					      NULL};
	static const struct sip_registrar_hooks hooks = {
		.binding = on_binding, .attempt = on_attempt};

	test_registrar_open(&f->r, acfg, domains, creds, &hooks, f);
	f->ws = fake_transport_new(SIP_TRANSPORT_WSS, "wss-1", &f->ws_f);
	sip_addr_parse(&f->src, "192.0.2.10:5062");
	f->events = g_ptr_array_new_with_free_func(g_free);
	f->attempts = g_ptr_array_new_with_free_func(g_free);
	f->refresh = g_ptr_array_new_with_free_func(g_free);
	f->call_id = g_strdup("cid-1");
	*state = f;
	return 0;
}

static int setup(void **state)
{
	struct sip_auth_config acfg = test_auth_config(REALM, 3);

	return setup_auth(state, &acfg);
}

/* An operator's opt-in: both challenges, MD5 alone for one User-Agent. */
static int setup_both(void **state)
{
	static const char *const md5_only[] = {"baresip", NULL};
	struct sip_auth_config acfg = test_auth_config(REALM, 3);

	acfg.algs[0] = SIP_DIGEST_SHA256;
	acfg.algs[1] = SIP_DIGEST_MD5;
	acfg.n_algs = 2;
	acfg.md5_only_user_agents = md5_only;

	return setup_auth(state, &acfg);
}

#define SECRET "registrar-secret"

static int setup_ephemeral(void **state)
{
	struct sip_auth_config acfg = {
		.realm = REALM, .nonce_ttl = 300, .ban_failures = 3,
		.ban_window = 60, .ban_time = 300, .trust_time = 3600,
		.algs = {SIP_DIGEST_MD5}, .n_algs = 1,
		.ephemeral_secret = SECRET};

	return setup_auth(state, &acfg);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	test_registrar_close(&f->r);
	sip_transport_unref(f->ws);
	g_ptr_array_unref(f->events);
	g_ptr_array_unref(f->attempts);
	g_ptr_array_unref(f->refresh);
	g_free(f->call_id);
	g_free(f);
	return 0;
}

static char *hex_hash(enum sip_digest_alg alg, const char *s)
{
	return g_compute_checksum_for_string(
		alg == SIP_DIGEST_SHA256 ? G_CHECKSUM_SHA256 : G_CHECKSUM_MD5,
		s, -1);
}

/* Extract a parameter value from a challenge header. */
static char *param(const char *h, const char *name)
{
	g_autofree char *key = g_strdup_printf("%s=\"", name);
	const char *p = strstr(h, key);
	const char *e;

	if (!p)
		return NULL;
	p += strlen(key);
	e = strchr(p, '"');
	return g_strndup(p, (gsize)(e - p));
}

static char *authorization(const char *challenge, const char *user,
			   const char *pw, enum sip_digest_alg alg,
			   unsigned nc)
{
	char ha1[SIP_DIGEST_HEX_MAX];
	g_autofree char *nonce = param(challenge, "nonce");
	g_autofree char *ha2 = hex_hash(alg, "REGISTER:sip:" REALM);
	g_autofree char *ncs = g_strdup_printf("%08x", nc);
	g_autofree char *resp_in = NULL, *resp = NULL;

	sip_digest_ha1(alg, user, REALM, pw, ha1);
	resp_in = g_strdup_printf("%s:%s:%s:c0ffee:auth:%s", ha1, nonce, ncs,
				  ha2);
	resp = hex_hash(alg, resp_in);
	return g_strdup_printf(
		"Digest username=\"%s\", realm=\"" REALM "\", nonce=\"%s\", "
		"uri=\"sip:" REALM "\", response=\"%s\", algorithm=%s, "
		"cnonce=\"c0ffee\", qop=auth, nc=%s",
		user, nonce, resp, alg == SIP_DIGEST_SHA256 ? "SHA-256" : "MD5",
		ncs);
}

/* Send a REGISTER over @tp and return the reply. */
static struct sip_message *send_register(struct fixture *f,
					 struct sip_transport *tp,
					 struct fake_transport *ft,
					 const char *user, const char *contact,
					 const char *extra)
{
	unsigned branch = f->cseq++;
	g_autofree char *msg = g_strdup_printf(
		"REGISTER sip:" REALM " SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK%u;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:%s@" REALM ">;tag=ft\r\n"
		"To: <sip:%s@" REALM ">\r\n"
		"Call-ID: %s\r\n"
		"CSeq: %u REGISTER\r\n"
		"%s%s%s"
		"%s"
		"%s"
		"Content-Length: 0\r\n\r\n",
		branch, user, user, f->call_id, f->cseq,
		contact ? "Contact: " : "", contact ? contact : "",
		contact ? "\r\n" : "", extra ? extra : "",
		extra && strstr(extra, "User-Agent:") ? ""
						      : "User-Agent: UnitPhone/1\r\n");

	sip_stack_receive(f->r.st, tp, &f->src, (const uint8_t *)msg,
			  strlen(msg));
	return fake_transport_pop(ft);
}

/* REGISTER, 401, REGISTER with credentials: the final reply. */
static struct sip_message *do_register(struct fixture *f,
				       struct sip_transport *tp,
				       struct fake_transport *ft,
				       const char *user, const char *pw,
				       const char *contact, const char *extra)
{
	struct sip_message *ch = send_register(f, tp, ft, user, contact, extra);
	g_autofree char *www = NULL, *auth = NULL, *hdrs = NULL;

	assert_non_null(ch);
	assert_int_equal(sip_message_status(ch), 401);
	www = sip_message_header_text(ch, "WWW-Authenticate");
	sip_message_unref(ch);
	auth = authorization(www, user, pw, SIP_DIGEST_MD5, 1);
	hdrs = g_strdup_printf("Authorization: %s\r\n%s", auth,
			       extra ? extra : "");
	return send_register(f, tp, ft, user, contact, hdrs);
}

static unsigned count_bindings(struct fixture *f, const char *user)
{
	unsigned n = 0;
	void count(const struct sip_binding *b, void *arg)
	{
		(*(unsigned *)arg)++;
	}
	sip_registrar_foreach(f->r.reg, user, count, &n);
	return n;
}

static const char *last_attempt(struct fixture *f)
{
	return f->attempts->len
		? g_ptr_array_index(f->attempts, f->attempts->len - 1)
		: "";
}

static void test_challenge_order(void **state)
{
	struct fixture *f = *state;
	struct sip_message *r = send_register(f, f->r.udp, f->r.udp_f, "1001",
					      "<sip:1001@10.0.0.5:5062>", NULL);
	sip_t *sip;

	assert_non_null(r);
	assert_int_equal(sip_message_status(r), 401);
	sip = sip_message_sip(r);
	/* The default: one challenge, MD5, which every client handles. */
	assert_non_null(sip->sip_www_authenticate);
	assert_null(sip->sip_www_authenticate->au_next);
	g_autofree char *www = sip_message_header_text(r, "WWW-Authenticate");
	assert_non_null(strstr(www, "algorithm=MD5"));
	assert_string_equal(msg_params_find(sip->sip_www_authenticate->au_params,
					    "qop="), "\"auth\"");
	assert_string_equal(last_attempt(f), "challenged");
	assert_int_equal(count_bindings(f, "1001"), 0);
	sip_message_unref(r);
}

static void test_challenge_both_configured(void **state)
{
	struct fixture *f = *state;
	struct sip_message *r = send_register(f, f->r.udp, f->r.udp_f, "1001",
					      "<sip:1001@10.0.0.5:5062>", NULL);
	sip_t *sip = sip_message_sip(r);
	const char *first, *second;

	assert_int_equal(sip_message_status(r), 401);
	assert_non_null(sip->sip_www_authenticate);
	assert_non_null(sip->sip_www_authenticate->au_next);
	first = msg_params_find(sip->sip_www_authenticate->au_params,
				"algorithm=");
	second = msg_params_find(sip->sip_www_authenticate->au_next->au_params,
				 "algorithm=");
	assert_string_equal(first, "SHA-256");
	assert_string_equal(second, "MD5");
	sip_message_unref(r);
	/* A User-Agent on the opt-in list gets MD5 alone. */
	r = send_register(f, f->r.udp, f->r.udp_f, "1001",
			  "<sip:1001@10.0.0.5:5062>",
			  "User-Agent: baresip v1.0.0 (x86_64/linux)\r\n");
	sip = sip_message_sip(r);
	assert_int_equal(sip_message_status(r), 401);
	assert_null(sip->sip_www_authenticate->au_next);
	assert_string_equal(msg_params_find(sip->sip_www_authenticate->au_params,
					    "algorithm="), "MD5");
	sip_message_unref(r);
}

static void test_register_ok_and_unregister(void **state)
{
	struct fixture *f = *state;
	struct sip_message *r = do_register(f, f->r.udp, f->r.udp_f, "1001",
					    "pw-1001",
					    "<sip:1001@10.0.0.5:5062>;expires=120",
					    NULL);
	sip_t *sip = sip_message_sip(r);

	assert_int_equal(sip_message_status(r), 200);
	assert_non_null(sip->sip_contact);
	assert_string_equal(sip->sip_contact->m_expires, "120");
	assert_string_equal(last_attempt(f), "registered");
	assert_int_equal(count_bindings(f, "1001"), 1);
	assert_string_equal(g_ptr_array_index(f->events, 0),
			    "added 1001 sip:1001@10.0.0.5:5062");
	sip_message_unref(r);

	/* Expires: 0 removes it. */
	r = do_register(f, f->r.udp, f->r.udp_f, "1001", "pw-1001",
			"<sip:1001@10.0.0.5:5062>", "Expires: 0\r\n");
	assert_int_equal(sip_message_status(r), 200);
	assert_null(sip_message_sip(r)->sip_contact);
	assert_int_equal(count_bindings(f, "1001"), 0);
	assert_string_equal(last_attempt(f), "unregistered");
	sip_message_unref(r);
}

static void test_star_and_interval(void **state)
{
	struct fixture *f = *state;
	struct sip_message *r;

	r = do_register(f, f->r.udp, f->r.udp_f, "1001", "pw-1001",
			"<sip:a@10.0.0.5>", NULL);
	sip_message_unref(r);
	r = do_register(f, f->r.udp, f->r.udp_f, "1001", "pw-1001",
			"<sip:b@10.0.0.6>", NULL);
	sip_message_unref(r);
	assert_int_equal(count_bindings(f, "1001"), 2);

	r = do_register(f, f->r.udp, f->r.udp_f, "1001", "pw-1001",
			"<sip:c@10.0.0.7>", "Expires: 10\r\n");
	assert_int_equal(sip_message_status(r), 423);
	assert_non_null(sip_message_sip(r)->sip_min_expires);
	assert_int_equal(sip_message_sip(r)->sip_min_expires->me_delta, 60);
	assert_string_equal(last_attempt(f), "interval_too_brief");
	assert_int_equal(count_bindings(f, "1001"), 2);
	sip_message_unref(r);

	/* '*' without Expires: 0 is refused; with it, everything goes. */
	r = do_register(f, f->r.udp, f->r.udp_f, "1001", "pw-1001", "*", NULL);
	assert_int_equal(sip_message_status(r), 400);
	sip_message_unref(r);
	r = do_register(f, f->r.udp, f->r.udp_f, "1001", "pw-1001", "*",
			"Expires: 0\r\n");
	assert_int_equal(sip_message_status(r), 200);
	assert_int_equal(count_bindings(f, "1001"), 0);
	sip_message_unref(r);
}

static void test_wrong_password_and_unknown(void **state)
{
	struct fixture *f = *state;
	struct sip_message *r;

	r = do_register(f, f->r.udp, f->r.udp_f, "1001", "nope",
			"<sip:1001@10.0.0.5>", NULL);
	assert_int_equal(sip_message_status(r), 403);
	assert_string_equal(last_attempt(f), "wrong_password");
	sip_message_unref(r);
	r = do_register(f, f->r.udp, f->r.udp_f, "9999", "pw-9999",
			"<sip:9999@10.0.0.5>", NULL);
	assert_int_equal(sip_message_status(r), 403);
	assert_string_equal(last_attempt(f), "unknown_extension");
	sip_message_unref(r);
	assert_int_equal(sip_auth_failures(f->r.auth), 2);
	assert_int_equal(count_bindings(f, NULL), 0);
}

static void test_ban_spares_other_users(void **state)
{
	struct fixture *f = *state;
	struct sip_message *r;

	/* 1002 authenticates first: the address is an office, not a scanner. */
	r = do_register(f, f->r.udp, f->r.udp_f, "1002", "pw-1002",
			"<sip:1002@10.0.0.5>", NULL);
	assert_int_equal(sip_message_status(r), 200);
	sip_message_unref(r);
	for (int i = 0; i < 3; i++) {
		r = do_register(f, f->r.udp, f->r.udp_f, "1001", "bad",
				"<sip:1001@10.0.0.5>", NULL);
		assert_int_equal(sip_message_status(r), 403);
		sip_message_unref(r);
	}
	/* Now even the right password is refused for this pair... */
	r = send_register(f, f->r.udp, f->r.udp_f, "1001", "<sip:1001@10.0.0.5>",
			  NULL);
	assert_int_equal(sip_message_status(r), 403);
	assert_string_equal(last_attempt(f), "banned");
	sip_message_unref(r);
	/* ...but another extension behind the same address still works. */
	r = do_register(f, f->r.udp, f->r.udp_f, "1002", "pw-1002",
			"<sip:1002@10.0.0.5>", NULL);
	assert_int_equal(sip_message_status(r), 200);
	sip_message_unref(r);
	assert_int_equal(sip_auth_bans(f->r.auth), 1);
	/* The ban ends. */
	test_now += 301;
	r = do_register(f, f->r.udp, f->r.udp_f, "1001", "pw-1001",
			"<sip:1001@10.0.0.5>", NULL);
	assert_int_equal(sip_message_status(r), 200);
	sip_message_unref(r);
}

/* A REGISTER to @ruri_host for @to_host: the status of the reply. */
static int register_for(struct fixture *f, const char *ruri_host,
			const char *to_host)
{
	g_autofree char *msg = g_strdup_printf(
		"REGISTER sip:%s SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKd%u;rport\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:1001@%s>;tag=ft\r\n"
		"To: <sip:1001@%s>\r\nCall-ID: dom-%u\r\n"
		"CSeq: 1 REGISTER\r\nContact: <sip:1001@10.0.0.5>\r\n"
		"Content-Length: 0\r\n\r\n",
		ruri_host, f->cseq, to_host, to_host, f->cseq);
	struct sip_message *r;
	int status;

	f->cseq++;
	sip_stack_receive(f->r.st, f->r.udp, &f->src, (const uint8_t *)msg,
			  strlen(msg));
	r = fake_transport_pop(f->r.udp_f);
	assert_non_null(r);
	status = sip_message_status(r);
	if (status == 403)
		assert_string_equal(sip_message_sip(r)->sip_status->st_phrase,
				    "Forbidden - domain not served here");
	sip_message_unref(r);
	return status;
}

static void test_foreign_domain(void **state)
{
	struct fixture *f = *state;

	/* The local 1001 is not 1001@example.org. */
	assert_int_equal(register_for(f, "example.org", "example.org"), 403);
	assert_string_equal(last_attempt(f), "foreign_domain");
	assert_int_equal(register_for(f, REALM, "example.org"), 403);
	assert_int_equal(register_for(f, "example.org", REALM), 403);
	assert_int_equal(count_bindings(f, NULL), 0);
	/* The realm, configured hosts and addresses, any case, IPv6 with or
	 * without brackets: challenged as usual. */
	assert_int_equal(register_for(f, "OVOZ.test", REALM), 401);
	assert_int_equal(register_for(f, "192.0.2.1", "192.0.2.1"), 401);
	assert_int_equal(register_for(f, "[2001:db8::1]", REALM), 401);
	assert_string_equal(last_attempt(f), "challenged");
	assert_true(sip_registrar_serves_domain(f->r.reg, "[2001:DB8::1]"));
	assert_false(sip_registrar_serves_domain(f->r.reg, "example.org"));
	assert_false(sip_registrar_serves_domain(f->r.reg, NULL));
	/* Domains are checked before credentials: nothing counts. */
	assert_int_equal(sip_auth_failures(f->r.auth), 0);
}

static void test_config_taken_as_given(void **state)
{
	struct fixture *f = *state;
	struct sip_registrar *r = NULL;
	static const char *const none[] = {NULL};
	static const char *const domains[] = {REALM, NULL};
	struct sip_registrar_config ok = {
		.min_expires = 60, .max_expires = 3600,
		.default_expires = 3600, .max_contacts = 3,
		.domains = domains};
	struct sip_registrar_config bad;

	bad = ok;
	bad.max_expires = 0;
	assert_int_equal(sip_registrar_new(&r, &bad, f->r.st, f->r.auth, NULL,
					   NULL), EINVAL);
	bad = ok;
	bad.max_contacts = 0;
	assert_int_equal(sip_registrar_new(&r, &bad, f->r.st, f->r.auth, NULL,
					   NULL), EINVAL);
	bad = ok;
	bad.domains = none;
	assert_int_equal(sip_registrar_new(&r, &bad, f->r.st, f->r.auth, NULL,
					   NULL), EINVAL);
	bad = ok;
	bad.default_expires = 30;
	assert_int_equal(sip_registrar_new(&r, &bad, f->r.st, f->r.auth, NULL,
					   NULL), EINVAL);
	assert_null(r);
}

static void test_flow_bindings_die_with_flow(void **state)
{
	struct fixture *f = *state;
	struct sip_message *r;

	r = do_register(f, f->ws, f->ws_f, "1001", "pw-1001",
			"<sip:x@abc.invalid;transport=ws>;+sip.instance="
			"\"<urn:uuid:1>\";reg-id=1",
			NULL);
	assert_int_equal(sip_message_status(r), 200);
	sip_message_unref(r);
	r = do_register(f, f->r.udp, f->r.udp_f, "1001", "pw-1001",
			"<sip:1001@10.0.0.5>", NULL);
	sip_message_unref(r);
	assert_int_equal(count_bindings(f, "1001"), 2);
	/* Same instance, new contact URI (SIP.js reconnect): replaced. */
	r = do_register(f, f->ws, f->ws_f, "1001", "pw-1001",
			"<sip:y@def.invalid;transport=ws>;+sip.instance="
			"\"<urn:uuid:1>\";reg-id=1",
			NULL);
	sip_message_unref(r);
	assert_int_equal(count_bindings(f, "1001"), 2);
	sip_registrar_flow_closed(f->r.reg, f->ws);
	assert_int_equal(count_bindings(f, "1001"), 1);
}

static void test_expiry_restore_and_limit(void **state)
{
	struct fixture *f = *state;
	struct sip_message *r;

	assert_int_equal(sip_registrar_restore(f->r.reg, "1001",
					       "<sip:1001@10.0.0.9:5060>",
					       "10.0.0.9:5060", "MicroSIP",
					       "cid", 5, test_now + 100, NULL),
			 0);
	assert_int_equal(sip_registrar_restore(f->r.reg, "1001", "<sip:old@x>",
					       NULL, NULL, NULL, 1,
					       test_now - 1, NULL),
			 EINVAL);
	assert_int_equal(count_bindings(f, "1001"), 1);
	/* max_contacts is 3: the fourth evicts the one closest to expiry. */
	for (int i = 0; i < 3; i++) {
		g_autofree char *c = g_strdup_printf("<sip:n%d@10.0.0.5>", i);
		r = do_register(f, f->r.udp, f->r.udp_f, "1001", "pw-1001", c,
				NULL);
		assert_int_equal(sip_message_status(r), 200);
		sip_message_unref(r);
	}
	assert_int_equal(count_bindings(f, "1001"), 3);
	bool evicted = false;
	for (guint i = 0; i < f->events->len; i++)
		evicted |= strcmp(g_ptr_array_index(f->events, i),
				  "removed 1001 sip:1001@10.0.0.9:5060") == 0;
	assert_true(evicted);
	test_now += 3601;
	sip_registrar_expire(f->r.reg, test_now);
	assert_int_equal(count_bindings(f, "1001"), 0);
	assert_string_equal(g_ptr_array_index(f->events, f->events->len - 1),
			    "removed 1001 sip:n0@10.0.0.5");
}

static void test_out_of_order_cseq(void **state)
{
	struct fixture *f = *state;
	struct sip_message *r;

	f->cseq = 100;
	r = do_register(f, f->r.udp, f->r.udp_f, "1001", "pw-1001",
			"<sip:1001@10.0.0.5>", NULL);
	assert_int_equal(sip_message_status(r), 200);
	sip_message_unref(r);
	f->cseq = 10; /* same Call-ID, older CSeq */
	r = do_register(f, f->r.udp, f->r.udp_f, "1001", "pw-1001",
			"<sip:1001@10.0.0.5>", "Expires: 0\r\n");
	assert_int_equal(sip_message_status(r), 500);
	assert_string_equal(last_attempt(f), "out_of_order");
	assert_int_equal(count_bindings(f, "1001"), 1);
	sip_message_unref(r);
}

/* A REGISTER that changes nothing but the expiry time, and its challenge,
 * are flagged as a plain refresh; any change, or a binding restored at
 * start, is not one. */
static void test_plain_refresh(void **state)
{
	struct fixture *f = *state;
	const char *contact = "<sip:1001@10.0.0.5:5062>;expires=120";
	struct sip_message *r;

	r = do_register(f, f->r.udp, f->r.udp_f, "1001", "pw-1001", contact, NULL);
	assert_int_equal(sip_message_status(r), 200);
	sip_message_unref(r);
	assert_int_equal(f->refresh->len, 0);

	test_now += 60;
	r = do_register(f, f->r.udp, f->r.udp_f, "1001", "pw-1001", contact, NULL);
	assert_int_equal(sip_message_status(r), 200);
	assert_string_equal(sip_message_sip(r)->sip_contact->m_expires, "120");
	sip_message_unref(r);
	assert_int_equal(f->refresh->len, 2);
	assert_string_equal(g_ptr_array_index(f->refresh, 0), "challenged");
	assert_string_equal(g_ptr_array_index(f->refresh, 1), "registered");

	/* Another User-Agent, interval or contact is a change. */
	const char *changes[][2] = {
		{contact, "User-Agent: UnitPhone/2\r\n"},
		{"<sip:1001@10.0.0.5:5062>;expires=300", NULL},
		{"<sip:1001@10.0.0.5:5062;ob>;expires=300", NULL},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(changes); i++) {
		r = do_register(f, f->r.udp, f->r.udp_f, "1001", "pw-1001",
				changes[i][0], changes[i][1]);
		assert_int_equal(sip_message_status(r), 200);
		sip_message_unref(r);
		assert_string_equal(last_attempt(f), "registered");
		assert_int_equal(f->refresh->len, 2);
	}
	/* The same from another source, or over a flow, is a change too. */
	sip_addr_parse(&f->src, "192.0.2.11:5062");
	r = do_register(f, f->r.udp, f->r.udp_f, "1001", "pw-1001",
			changes[2][0], NULL);
	sip_message_unref(r);
	r = do_register(f, f->ws, f->ws_f, "1001", "pw-1001", changes[2][0],
			NULL);
	sip_message_unref(r);
	assert_int_equal(f->refresh->len, 2);
	r = do_register(f, f->ws, f->ws_f, "1001", "pw-1001", changes[2][0],
			NULL);
	sip_message_unref(r);
	assert_int_equal(f->refresh->len, 4);

	/* A binding restored at start: its first REGISTER is logged. */
	assert_int_equal(sip_registrar_restore(f->r.reg, "1002",
					       "<sip:1002@10.0.0.6>",
					       "192.0.2.11:5062", "UnitPhone/1",
					       f->call_id, 1, test_now + 100,
					       NULL),
			 0);
	r = do_register(f, f->r.udp, f->r.udp_f, "1002", "pw-1002",
			"<sip:1002@10.0.0.6>;expires=100", NULL);
	assert_int_equal(sip_message_status(r), 200);
	sip_message_unref(r);
	assert_int_equal(f->refresh->len, 4);
	r = do_register(f, f->r.udp, f->r.udp_f, "1002", "pw-1002",
			"<sip:1002@10.0.0.6>;expires=100", NULL);
	sip_message_unref(r);
	assert_int_equal(f->refresh->len, 6);
}

/* A client that writes its ephemeral username into its address of record
 * ("sip:1800003600:1001@host", read as user and password) still binds to
 * extension 1001; an expired one is refused as credential_expired. */
static void test_ephemeral_aor(void **state)
{
	struct fixture *f = *state;
	char pw[SIP_EPHEMERAL_PASSWORD_MAX];
	g_autofree char *user = sip_ephemeral_mint(SECRET, "1001",
						   test_now + 3600, pw);
	g_autofree char *old = NULL;
	struct sip_message *r;

	r = do_register(f, f->r.udp, f->r.udp_f, user, pw,
			"<sip:1001@192.0.2.10:5062>", NULL);
	assert_int_equal(sip_message_status(r), 200);
	sip_message_unref(r);
	assert_string_equal(last_attempt(f), "registered");
	assert_int_equal(count_bindings(f, "1001"), 1);
	assert_int_equal(count_bindings(f, user), 0);
	old = sip_ephemeral_mint(SECRET, "1002", test_now - 1, pw);
	r = do_register(f, f->r.udp, f->r.udp_f, old, pw,
			"<sip:1002@192.0.2.10:5062>", NULL);
	assert_int_equal(sip_message_status(r), 403);
	sip_message_unref(r);
	assert_string_equal(last_attempt(f), "credential_expired");
	assert_int_equal(count_bindings(f, "1002"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_challenge_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_challenge_both_configured, setup_both, teardown),
		cmocka_unit_test_setup_teardown(test_register_ok_and_unregister, setup, teardown),
		cmocka_unit_test_setup_teardown(test_star_and_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password_and_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ban_spares_other_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_domain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_taken_as_given, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flow_bindings_die_with_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_restore_and_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order_cseq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ephemeral_aor, setup_ephemeral,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
