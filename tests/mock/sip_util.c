/* tests/mock/sip_util.c - digest fixtures and a REGISTER round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sip_util.h"

#include <errno.h>
#include <string.h>

#include "sip/digest.h"

int64_t test_now = TEST_NOW_START;

int64_t test_clock(void)
{
	return test_now;
}

struct sip_auth_config test_auth_config(const char *realm,
					unsigned ban_failures)
{
	struct sip_auth_config c = {
		.realm = realm, .nonce_ttl = 300, .ban_failures = ban_failures,
		.ban_window = 60, .ban_time = 300, .trust_time = 3600,
		.algs = {SIP_DIGEST_MD5}, .n_algs = 1};

	return c;
}

int test_creds(const char *realm, const char *const *known, const char *user,
	       char *md5, char *sha)
{
	g_autofree char *pw = NULL;

	while (*known && strcmp(*known, user) != 0)
		known++;
	if (!*known)
		return ENOENT;
	pw = g_strdup_printf("pw-%s", user);
	sip_digest_ha1(SIP_DIGEST_MD5, user, realm, pw, md5);
	sip_digest_ha1(SIP_DIGEST_SHA256, user, realm, pw, sha);
	return 0;
}

void test_registrar_open(struct test_registrar *t,
			 const struct sip_auth_config *acfg,
			 const char *const *domains,
			 sip_auth_credentials_h creds,
			 const struct sip_registrar_hooks *hooks, void *ctx)
{
	struct sip_registrar_config cfg = {
		.min_expires = 60, .max_expires = 3600,
		.default_expires = 3600, .max_contacts = 3,
		.domains = domains};

	assert_int_equal(sip_stack_new(&t->st, NULL), 0);
	assert_int_equal(sip_auth_new(&t->auth, acfg, t->st, creds, ctx), 0);
	assert_int_equal(sip_registrar_new(&t->reg, &cfg, t->st, t->auth,
					   hooks, ctx),
			 0);
	sip_registrar_set_clock(t->reg, test_clock);
	sip_auth_set_clock(t->auth, test_clock);
	sip_stack_set_handler(t->st, "REGISTER", sip_registrar_handle, t->reg);
	t->udp = fake_transport_new(SIP_TRANSPORT_UDP, "udp", &t->udp_f);
}

void test_registrar_close(struct test_registrar *t)
{
	sip_registrar_free(t->reg);
	sip_auth_free(t->auth);
	sip_stack_free(t->st);
	sip_transport_unref(t->udp);
	*t = (struct test_registrar){0};
}

char *test_register_text(const char *realm, const char *via,
			 const char *user, unsigned n, const char *auth)
{
	return g_strdup_printf(
		"REGISTER sip:%s SIP/2.0\r\n"
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK%u;rport\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=ft\r\n"
		"To: <sip:%s@%s>\r\nCall-ID: c-%u\r\n"
		"CSeq: 1 REGISTER\r\n%s%s%sContent-Length: 0\r\n\r\n",
		realm, via, n, user, realm, user, realm, n,
		auth ? "Authorization: " : "", auth ? auth : "",
		auth ? "\r\n" : "");
}

int test_sip_exchange(struct sip_stack *st, struct sip_transport *tp,
		      struct fake_transport *ft, const struct sip_addr *src,
		      const char *text, char **nonce)
{
	struct sip_message *r;
	int status;

	sip_stack_receive(st, tp, src, (const uint8_t *)text, strlen(text));
	r = fake_transport_pop(ft);
	if (!r)
		return 0;
	status = sip_message_status(r);
	if (nonce && status == 401) {
		g_autofree char *www = sip_message_header_text(
			r, "WWW-Authenticate");
		const char *s = www ? strstr(www, "nonce=\"") : NULL;

		*nonce = s ? g_strndup(s + 7, strcspn(s + 7, "\"")) : NULL;
	}
	sip_message_unref(r);
	return status;
}
