/* tests/sip/test_ephemeral.c - minting and reading ephemeral credentials
 * (TURN REST API / Kamailio auth_ephemeral convention). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "sip/ephemeral.h"

/* The password is what coturn or Kamailio would compute for the same
 * secret and username (checked with Python's hmac module). */
static void test_password_vector(void **state)
{
	char pw[SIP_EPHEMERAL_PASSWORD_MAX];

	(void)state;
	sip_ephemeral_password("north-wind", "1790000000:1001", pw);
	assert_string_equal(pw, "hxYeFbWqhSs3rd8EpcayxNLlBng=");
	sip_ephemeral_password("1234", "1366389600:alice", pw);
	assert_string_equal(pw, "iGBea4RYm5SUlrbql9Q4YZ1ydXQ=");
}

static void test_mint_round_trip(void **state)
{
	char pw[SIP_EPHEMERAL_PASSWORD_MAX], again[SIP_EPHEMERAL_PASSWORD_MAX];
	g_autofree char *user = sip_ephemeral_mint("north-wind", "1001",
						   1790000000, pw);
	int64_t expiry = 0;
	const char *ext = NULL;

	(void)state;
	assert_string_equal(user, "1790000000:1001");
	assert_string_equal(pw, "hxYeFbWqhSs3rd8EpcayxNLlBng=");
	assert_true(sip_ephemeral_parse(user, &expiry, &ext));
	assert_int_equal(expiry, 1790000000);
	assert_string_equal(ext, "1001");
	/* Another secret gives another password. */
	sip_ephemeral_password("south-wind", user, again);
	assert_string_not_equal(pw, again);
}

static void test_parse_refuses(void **state)
{
	static const char *const bad[] = {
		"1001", ":1001", "1790000000:", "17900x0000:1001",
		"1790000000:10:01", "99999999999999999999:1001",
		"9223372036854775808:1001", "", "a:b",
	};
	int64_t expiry = 7;
	const char *ext = NULL;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_false(sip_ephemeral_parse(bad[i], &expiry, &ext));
	assert_false(sip_ephemeral_parse(NULL, &expiry, &ext));
	assert_int_equal(expiry, 7);
	assert_null(ext);
	assert_true(sip_ephemeral_parse("9223372036854775807:x", &expiry,
					&ext));
	assert_int_equal(expiry, G_MAXINT64);
}

/* "sip:1790000000:1001@host" reads as user "1790000000", password
 * "1001": the address of record is still extension 1001. */
static void test_url_user(void **state)
{
	(void)state;
	assert_string_equal(sip_ephemeral_url_user("1790000000", "1001"),
			    "1001");
	assert_string_equal(sip_ephemeral_url_user("1001", NULL), "1001");
	assert_string_equal(sip_ephemeral_url_user("alice", "secret"),
			    "alice");
	assert_string_equal(sip_ephemeral_url_user(NULL, NULL), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_vector),
		cmocka_unit_test(test_mint_round_trip),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_url_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
