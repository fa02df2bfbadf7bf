/* tests/sip/test_ban.c - failure bans by source, extension and address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "sip/ban.h"

/* Two phones behind one office NAT, a flow, and a scanner elsewhere. */
static const struct sip_ban_source phone_a = {"1.2.3.4:5060", "1.2.3.4"};
static const struct sip_ban_source phone_b = {"1.2.3.4:5062", "1.2.3.4"};
static const struct sip_ban_source flow = {"wss-7", "1.2.3.4"};
static const struct sip_ban_source scan1 = {"5.6.7.8:5060", "5.6.7.8"};
static const struct sip_ban_source scan2 = {"5.6.7.8:5061", "5.6.7.8"};

static struct sip_ban *ban_new(void)
{
	struct sip_ban_config cfg = {.max_failures = 3, .window = 60,
				     .ban_time = 300, .trust_time = 3600};
	struct sip_ban *b = NULL;

	assert_int_equal(sip_ban_new(&b, &cfg), 0);
	return b;
}

static bool wrong(struct sip_ban *b, const struct sip_ban_source *s,
		  const char *user, int64_t now)
{
	return sip_ban_failure(b, s, user, SIP_BAN_WRONG_PASSWORD, now, NULL);
}

static bool unknown(struct sip_ban *b, const struct sip_ban_source *s,
		    const char *user, int64_t now)
{
	return sip_ban_failure(b, s, user, SIP_BAN_UNKNOWN_EXTENSION, now,
			       NULL);
}

static bool banned(struct sip_ban *b, const struct sip_ban_source *s,
		   const char *user, int64_t now)
{
	return sip_ban_check(b, s, user, now, NULL);
}

static void test_source_extension_ban(void **state)
{
	struct sip_ban *b = ban_new();
	struct sip_ban_info info;

	sip_ban_success(b, &phone_b, "2000", 90);
	assert_false(wrong(b, &phone_a, "2000", 100));
	assert_false(wrong(b, &phone_a, "2000", 101));
	assert_true(sip_ban_failure(b, &phone_a, "2000",
				    SIP_BAN_WRONG_PASSWORD, 102, &info));
	assert_int_equal(info.scope, SIP_BAN_SOURCE_EXTENSION);
	assert_string_equal(info.source, "1.2.3.4:5060");
	assert_string_equal(info.extension, "2000");
	assert_int_equal(info.until, 402);
	assert_int_equal(info.failures, 3);
	assert_non_null(strstr(info.reason, "wrong passwords for 2000"));
	assert_true(banned(b, &phone_a, "2000", 103));
	/* The colleague's guesses lock out nobody else: the real 2000 on
	 * another port, the guesser's other line, the same address. */
	assert_false(banned(b, &phone_b, "2000", 103));
	assert_false(banned(b, &phone_a, "2001", 103));
	assert_false(banned(b, &phone_a, NULL, 103));
	assert_false(banned(b, &flow, "2000", 103));
	assert_false(banned(b, &phone_a, "2000", 402));
	assert_int_equal(sip_ban_count(b), 1);
	sip_ban_free(b);
}

static void test_window(void **state)
{
	struct sip_ban *b = ban_new();

	wrong(b, &phone_a, "1001", 100);
	wrong(b, &phone_a, "1001", 101);
	/* The window restarts: two old failures do not count. */
	assert_false(wrong(b, &phone_a, "1001", 200));
	assert_false(banned(b, &phone_a, "1001", 200));
	sip_ban_free(b);
}

static void test_scanner_throttled_in_office(void **state)
{
	struct sip_ban *b = ban_new();
	struct sip_ban_info info;

	/* The address authenticated; one source scans unknown extensions. */
	sip_ban_success(b, &phone_b, "1001", 10);
	unknown(b, &phone_a, "100", 11);
	unknown(b, &phone_a, "101", 12);
	assert_true(unknown(b, &phone_a, "102", 13));
	assert_true(sip_ban_check(b, &phone_a, "1001", 14, &info));
	assert_int_equal(info.scope, SIP_BAN_SOURCE);
	assert_null(info.extension);
	assert_int_equal(info.refused, 1);
	/* The office is not banned as a group. */
	assert_false(banned(b, &phone_b, "1001", 14));
	assert_int_equal(sip_ban_active(b, 14), 1);
	sip_ban_free(b);
}

static void test_address_ban_without_success(void **state)
{
	struct sip_ban *b = ban_new();
	struct sip_ban_info info;

	/* A scanner on a new port for every attempt. */
	unknown(b, &scan1, "100", 10);
	wrong(b, &scan2, "1001", 11);
	assert_true(sip_ban_failure(b, &scan1, "1002",
				    SIP_BAN_WRONG_PASSWORD, 12, &info));
	assert_int_equal(info.scope, SIP_BAN_ADDRESS);
	assert_null(info.source);
	assert_string_equal(info.address, "5.6.7.8");
	struct sip_ban_source other = {"5.6.7.8:9999", "5.6.7.8"};
	assert_true(banned(b, &other, "1001", 13));
	assert_true(banned(b, &other, NULL, 13));
	sip_ban_prune(b, 1000);
	assert_int_equal(sip_ban_active(b, 1000), 0);
	sip_ban_free(b);
}

static void test_success_resets_pair(void **state)
{
	struct sip_ban *b = ban_new();

	wrong(b, &phone_a, "1001", 100);
	wrong(b, &phone_a, "1001", 101);
	sip_ban_success(b, &phone_a, "1001", 102);
	assert_false(wrong(b, &phone_a, "1001", 103));
	assert_false(banned(b, &phone_a, "1001", 104));
	sip_ban_free(b);
}

/* Trust ends: an address silent for trust_time can be banned again. */
static void test_trust_expires(void **state)
{
	struct sip_ban *b = ban_new();

	sip_ban_success(b, &phone_a, "1001", 0);
	for (int i = 0; i < 3; i++)
		unknown(b, &scan1, "x", 1 + i); /* other address */
	for (int i = 0; i < 3; i++)
		wrong(b, &phone_b, "1002", 100 + i);
	assert_false(banned(b, &phone_a, "1001", 110));
	for (int i = 0; i < 3; i++)
		wrong(b, &phone_b, "1003", 3700 + i);
	assert_true(banned(b, &phone_a, "1001", 3710));
	sip_ban_free(b);
}

struct collected {
	unsigned n;
	uint64_t ids[8];
	enum sip_ban_scope scopes[8];
};

static void collect(const struct sip_ban_info *info, void *arg)
{
	struct collected *c = arg;

	c->ids[c->n] = info->id;
	c->scopes[c->n++] = info->scope;
}

static void test_list_and_lift(void **state)
{
	struct sip_ban *b = ban_new();
	struct collected c = {0};
	struct sip_ban_info info;

	sip_ban_success(b, &phone_b, "2000", 1);
	for (int i = 0; i < 3; i++)
		wrong(b, &phone_a, "2000", 10 + i);
	for (int i = 0; i < 3; i++)
		unknown(b, &flow, "x", 10 + i);
	sip_ban_foreach(b, 20, collect, &c);
	assert_int_equal(c.n, 2);
	assert_int_not_equal(c.ids[0], c.ids[1]);
	assert_true(sip_ban_check(b, &phone_a, "2000", 20, &info));
	assert_int_equal(sip_ban_lift(b, info.id, 21), 0);
	assert_false(banned(b, &phone_a, "2000", 22));
	assert_true(banned(b, &flow, "2000", 22));
	assert_int_equal(sip_ban_lift(b, info.id, 23), ENOENT);
	assert_int_equal(sip_ban_lift(b, 999, 23), ENOENT);
	/* Lifted means forgiven: one more failure does not re-ban. */
	assert_false(wrong(b, &phone_a, "2000", 24));
	/* A later ban of the same pair gets a new id. */
	wrong(b, &phone_a, "2000", 25);
	assert_true(sip_ban_failure(b, &phone_a, "2000",
				    SIP_BAN_WRONG_PASSWORD, 26, &info));
	assert_true(info.id > c.ids[0] && info.id > c.ids[1]);
	c.n = 0;
	sip_ban_foreach(b, 400, collect, &c);
	assert_int_equal(c.n, 0);
	sip_ban_free(b);
}

static void test_bad_config(void **state)
{
	struct sip_ban_config cfg = {0};
	struct sip_ban *b = NULL;

	assert_int_equal(sip_ban_new(&b, &cfg), EINVAL);
	cfg = (struct sip_ban_config){.max_failures = 3, .window = 60,
				      .ban_time = 300};
	assert_int_equal(sip_ban_new(&b, &cfg), EINVAL);
	assert_null(b);
	assert_string_equal(sip_ban_scope_name(SIP_BAN_SOURCE), "source");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_extension_ban),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_scanner_throttled_in_office),
		cmocka_unit_test(test_address_ban_without_success),
		cmocka_unit_test(test_success_resets_pair),
		cmocka_unit_test(test_trust_expires),
		cmocka_unit_test(test_list_and_lift),
		cmocka_unit_test(test_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
