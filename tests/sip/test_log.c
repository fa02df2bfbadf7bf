/* tests/sip/test_log.c - escaping peer-chosen text for log lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include "sip/log.h"

static void check(const char *in, size_t len, size_t max, const char *want)
{
	g_autofree char *out = sip_log_escape_len(in, len, max);
	g_autofree char *again = sip_log_escape(out, max + 1);

	assert_string_equal(out, want);
	/* Escaped text is printable UTF-8 that a second pass leaves alone. */
	assert_true(g_utf8_validate(out, -1, NULL));
	assert_string_equal(again, out);
}

#define CHECK(in, want) check(in, sizeof(in) - 1, SIP_LOG_FIELD_MAX, want)

static void test_plain_text_unchanged(void **state)
{
	CHECK("", "");
	CHECK("MicroSIP/3.21.3", "MicroSIP/3.21.3");
	CHECK("a \\x1b b", "a \\x1b b"); /* backslashes are kept */
	CHECK("Jos\xc3\xa9 \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd",
	      "Jos\xc3\xa9 \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd");
	CHECK("\xf0\x9f\x93\x9e phone", "\xf0\x9f\x93\x9e phone");
}

static void test_controls_escaped(void **state)
{
	CHECK("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
	CHECK("ua\r\n2026-01-01 NOTICE forged",
	      "ua\\x0d\\x0a2026-01-01 NOTICE forged");
	CHECK("a\tb\x7f", "a\\x09b\\x7f");
	CHECK("nul\0here", "nul\\x00here");
	/* C1 controls, a bidi override and the line separator. */
	CHECK("\xc2\x85\xc2\x9b", "\\xc2\\x85\\xc2\\x9b");
	CHECK("evil\xe2\x80\xae" "gpj.exe", "evil\\xe2\\x80\\xaegpj.exe");
	CHECK("x\xe2\x80\xa8y", "x\\xe2\\x80\\xa8y");
}

static void test_invalid_utf8_escaped(void **state)
{
	CHECK("Jos\xe9", "Jos\\xe9");              /* Latin-1 */
	CHECK("\xc7\xf0\xe0", "\\xc7\\xf0\\xe0");   /* cp1251 */
	CHECK("cut\xc3", "cut\\xc3");              /* truncated sequence */
	CHECK("\xc0\xaf", "\\xc0\\xaf");           /* overlong '/' */
	CHECK("\xed\xa0\x80", "\\xed\\xa0\\x80");  /* surrogate */
	CHECK("\x80\xbf", "\\x80\\xbf");           /* lone continuations */
	CHECK("\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80");
}

static void test_cut_with_ellipsis(void **state)
{
	g_autofree char *a200 = g_strnfill(200, 'a');
	g_autofree char *a128 = g_strnfill(128, 'a');
	g_autofree char *a126 = g_strnfill(126, 'a');
	g_autofree char *want = g_strconcat(a128, "\u2026", NULL);
	g_autofree char *esc = g_strconcat(a126, "\x1b", NULL);
	g_autofree char *want_esc = g_strconcat(a126, "\u2026", NULL);
	GString *e128 = g_string_new(NULL);
	g_autofree char *out = NULL;

	check(a200, 200, 128, want);
	check(a128, 128, 128, a128); /* exactly the limit: not cut */
	/* An escape is never split: 126 + 4 > 128. */
	check(esc, strlen(esc), 128, want_esc);
	/* A character of several bytes counts once and is never split. */
	for (int i = 0; i < 128; i++)
		g_string_append(e128, "\xc3\xa9");
	check(e128->str, e128->len, 128, e128->str);
	g_string_append(e128, "\xc3\xa9");
	out = sip_log_escape_len(e128->str, e128->len, 128);
	assert_int_equal(g_utf8_strlen(out, -1), 129);
	assert_true(g_str_has_suffix(out, "\xc3\xa9\u2026"));
	g_string_free(e128, TRUE);
}

static void test_huge_hostile_field_is_bounded(void **state)
{
	size_t n = 70 * 1024;
	char *in = g_malloc(n);
	g_autofree char *out = NULL;

	for (size_t i = 0; i < n; i++)
		in[i] = (char)(i % 7 == 0 ? 0x1b : (i % 5 == 0 ? 0xe9 : 'x'));
	out = sip_log_escape_len(in, n, SIP_LOG_FIELD_MAX);
	assert_true(g_utf8_strlen(out, -1) <= SIP_LOG_FIELD_MAX + 1);
	assert_true(g_str_has_suffix(out, "\u2026"));
	for (const char *p = out; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
	g_free(in);
}

static void test_null(void **state)
{
	assert_null(sip_log_escape(NULL, 10));
	g_autofree char *z = sip_log_escape("abc", 0);
	assert_string_equal(z, "\u2026");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_unchanged),
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_invalid_utf8_escaped),
		cmocka_unit_test(test_cut_with_ellipsis),
		cmocka_unit_test(test_huge_hostile_field_is_bounded),
		cmocka_unit_test(test_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
