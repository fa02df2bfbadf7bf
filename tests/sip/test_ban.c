/* tests/sip/test_ban.c - failure bans by pair and by address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sip/ban.h"

static struct sip_ban *ban_new(void)
{
	struct sip_ban_config cfg = {.max_failures = 3, .window = 60,
				     .ban_time = 300};
	struct sip_ban *b = NULL;

	assert_int_equal(sip_ban_new(&b, &cfg), 0);
	return b;
}

static void test_pair_ban(void **state)
{
	struct sip_ban *b = ban_new();

	assert_false(sip_ban_failure(b, "1.2.3.4", "1001", true, 100));
	assert_false(sip_ban_failure(b, "1.2.3.4", "1001", true, 101));
	assert_true(sip_ban_failure(b, "1.2.3.4", "1001", true, 102));
	assert_true(sip_ban_is_banned(b, "1.2.3.4", "1001", 103));
	/* Other users behind the same address are not affected. */
	assert_false(sip_ban_is_banned(b, "1.2.3.4", "1002", 103));
	assert_false(sip_ban_is_banned(b, "1.2.3.4", NULL, 103));
	assert_false(sip_ban_is_banned(b, "1.2.3.4", "1001", 402));
	assert_int_equal(sip_ban_count(b), 1);
	sip_ban_free(b);
}

static void test_window(void **state)
{
	struct sip_ban *b = ban_new();

	sip_ban_failure(b, "1.2.3.4", "1001", true, 100);
	sip_ban_failure(b, "1.2.3.4", "1001", true, 101);
	/* The window restarts: two old failures do not count. */
	assert_false(sip_ban_failure(b, "1.2.3.4", "1001", true, 200));
	assert_false(sip_ban_is_banned(b, "1.2.3.4", "1001", 200));
	sip_ban_free(b);
}

static void test_scanner_vs_office(void **state)
{
	struct sip_ban *b = ban_new();

	/* Unknown users from an address that never authenticated: banned. */
	sip_ban_failure(b, "5.6.7.8", "100", false, 10);
	sip_ban_failure(b, "5.6.7.8", "101", false, 11);
	assert_true(sip_ban_failure(b, "5.6.7.8", "102", false, 12));
	assert_true(sip_ban_is_banned(b, "5.6.7.8", "1001", 13));
	assert_true(sip_ban_is_banned(b, "5.6.7.8", NULL, 13));
	assert_int_equal(sip_ban_active(b, 13), 1);

	/* An office NAT that authenticates is never banned as a group. */
	sip_ban_success(b, "9.9.9.9", "1001", 10);
	for (int i = 0; i < 10; i++)
		sip_ban_failure(b, "9.9.9.9", "typo", false, 11 + i);
	assert_false(sip_ban_is_banned(b, "9.9.9.9", "1001", 30));
	sip_ban_prune(b, 1000);
	assert_int_equal(sip_ban_active(b, 1000), 0);
	sip_ban_free(b);
}

static void test_success_resets_pair(void **state)
{
	struct sip_ban *b = ban_new();

	sip_ban_failure(b, "1.2.3.4", "1001", true, 100);
	sip_ban_failure(b, "1.2.3.4", "1001", true, 101);
	sip_ban_success(b, "1.2.3.4", "1001", 102);
	assert_false(sip_ban_failure(b, "1.2.3.4", "1001", true, 103));
	assert_false(sip_ban_is_banned(b, "1.2.3.4", "1001", 104));
	sip_ban_free(b);
}

static void test_bad_config(void **state)
{
	struct sip_ban_config cfg = {0};
	struct sip_ban *b = NULL;

	assert_int_not_equal(sip_ban_new(&b, &cfg), 0);
	assert_null(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_ban),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_scanner_vs_office),
		cmocka_unit_test(test_success_resets_pair),
		cmocka_unit_test(test_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
