/* tests/gateway/test_http_static.c - where a static GET goes, and the CSP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "gateway/http_static.h"

/* A fake webroot "/w": folders /w/phone and /w/admin, each with index.html. */
static bool fake_dir(const char *full)
{
	return strcmp(full, "/w/phone") == 0 || strcmp(full, "/w/admin") == 0;
}

static bool fake_file(const char *full)
{
	return strcmp(full, "/w/phone/index.html") == 0 ||
	       strcmp(full, "/w/admin/index.html") == 0 ||
	       strcmp(full, "/w/embed.js") == 0;
}

static void resolve(const char *path, enum gateway_static_kind kind,
		    const char *file_or_location, bool html)
{
	struct gateway_static_target t;

	gateway_static_resolve("/w", path, fake_dir, fake_file, &t);
	assert_int_equal(t.kind, kind);
	if (kind == GATEWAY_STATIC_FILE) {
		assert_string_equal(t.file, file_or_location);
		assert_int_equal(t.html, html);
	} else if (kind == GATEWAY_STATIC_REDIRECT) {
		assert_string_equal(t.location, file_or_location);
	}
	gateway_static_target_clear(&t);
	gateway_static_target_clear(&t); /* idempotent */
}

static void test_resolve(void **state)
{
	(void)state;
	resolve("/", GATEWAY_STATIC_REDIRECT, "/phone/", false);
	resolve("/phone", GATEWAY_STATIC_REDIRECT, "/phone/", false);
	resolve("/admin", GATEWAY_STATIC_REDIRECT, "/admin/", false);
	resolve("/phone/", GATEWAY_STATIC_FILE, "/w/phone/index.html", true);
	resolve("/admin/", GATEWAY_STATIC_FILE, "/w/admin/index.html", true);
	resolve("/embed.js", GATEWAY_STATIC_FILE, "/w/embed.js", false);
	resolve("/nope/", GATEWAY_STATIC_NOT_FOUND, NULL, false);
	resolve("/nope", GATEWAY_STATIC_NOT_FOUND, NULL, false);
	resolve("/phone/../phone/index.html", GATEWAY_STATIC_NOT_FOUND, NULL, false);
	resolve("/..", GATEWAY_STATIC_NOT_FOUND, NULL, false);
	resolve("//phone/", GATEWAY_STATIC_NOT_FOUND, NULL, false);
	resolve("/phone\\..\\x.html", GATEWAY_STATIC_NOT_FOUND, NULL, false);
	resolve("phone/", GATEWAY_STATIC_NOT_FOUND, NULL, false);
	resolve("/w.db", GATEWAY_STATIC_NOT_FOUND, NULL, false);
}

static void test_csp(void **state)
{
	char *origins[] = {"https://crm.example.com", "http://127.0.0.1:15001",
			   "https://x.example; script-src *", "javascript:1",
			   NULL};
	g_autofree char *none = gateway_static_csp(NULL);
	g_autofree char *csp = gateway_static_csp(origins);

	(void)state;
	assert_true(g_str_has_suffix(none, "frame-ancestors 'self'"));
	assert_true(g_str_has_suffix(csp, "frame-ancestors 'self' "
					  "https://crm.example.com "
					  "http://127.0.0.1:15001"));
	assert_null(strstr(csp, "script-src *"));
	assert_null(strstr(csp, "javascript"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_csp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
