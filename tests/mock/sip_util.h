/*
 * tests/mock/sip_util.h - what the SIP unit tests share: the digest
 * configuration and credentials of a test realm, a settable clock, and a
 * REGISTER exchanged with a stack over a fake transport.
 */
#ifndef OVOZ_TESTS_SIP_UTIL_H
#define OVOZ_TESTS_SIP_UTIL_H

#include <stdint.h>

#include "fake_transport.h"
#include "sip/auth.h"
#include "sip/registrar.h"
#include "sip/stack.h"

/** The fake wall clock (seconds) test_clock() returns; tests move it. */
extern int64_t test_now;
#define TEST_NOW_START 1800000000
int64_t test_clock(void);

/** Digest settings of the tests: 300 s nonces, @ban_failures failures
 *  within 60 s ban for 300 s, trust for an hour, one MD5 challenge. */
struct sip_auth_config test_auth_config(const char *realm,
					unsigned ban_failures);

/**
 * test_creds() - a sip_auth_credentials_h body: the HA1s of @user in
 * @realm with the password "pw-@user" when @user is one of @known
 * (NULL-terminated); ENOENT otherwise.
 */
int test_creds(const char *realm, const char *const *known, const char *user,
	       char *md5, char *sha);

/** A registrar as the gateway runs it: a stack whose REGISTER handler is
 *  the registrar, digest auth, the test clock, and a fake UDP transport. */
struct test_registrar {
	struct sip_stack *st;
	struct sip_auth *auth;
	struct sip_registrar *reg;
	struct sip_transport *udp;
	struct fake_transport *udp_f;
};

/**
 * test_registrar_open() - set @t up (asserts success): registrations of
 * 60 s to an hour, 3 contacts per extension, in @domains (NULL-terminated),
 * authenticated with @acfg and @creds; @hooks and @ctx go to the
 * registrar (@hooks may be NULL).
 */
void test_registrar_open(struct test_registrar *t,
			 const struct sip_auth_config *acfg,
			 const char *const *domains,
			 sip_auth_credentials_h creds,
			 const struct sip_registrar_hooks *hooks, void *ctx);
void test_registrar_close(struct test_registrar *t);

/**
 * test_register_text() - a REGISTER of @user in @realm without a Contact,
 * as a phone at @via ("host:port") writes it; @n makes its branch and
 * Call-ID unique; @auth is the Authorization value, or NULL. New string.
 */
char *test_register_text(const char *realm, const char *via,
			 const char *user, unsigned n, const char *auth);

/**
 * test_sip_exchange() - give @text to @st as if @src sent it on @tp and
 * take the reply @ft recorded: its status (0 when none), and for a 401 its
 * nonce in *@nonce (new string) when @nonce is not NULL.
 */
int test_sip_exchange(struct sip_stack *st, struct sip_transport *tp,
		      struct fake_transport *ft, const struct sip_addr *src,
		      const char *text, char **nonce);

#endif
