/* tests/gateway/test_config.c - defaults, INI file and flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "gateway/config.h"

static int load(struct gateway_config *cfg, char **err, ...)
{
	va_list ap;
	GPtrArray *argv = g_ptr_array_new();
	const char *a;
	int rc;

	g_ptr_array_add(argv, "ovoz");
	va_start(ap, err);
	while ((a = va_arg(ap, const char *)))
		g_ptr_array_add(argv, (char *)a);
	va_end(ap);
	rc = gateway_config_load(cfg, (int)argv->len, (char **)argv->pdata, err);
	g_ptr_array_unref(argv);
	return rc;
}

static void test_defaults(void **state)
{
	struct gateway_config cfg;
	g_autofree char *err = NULL;

	assert_int_equal(load(&cfg, &err, NULL), 0);
	assert_string_equal(cfg.sip_udp, "0.0.0.0:5060");
	assert_string_equal(cfg.https, "0.0.0.0:8443");
	assert_int_equal(cfg.min_password_len, 6);
	assert_string_equal(cfg.digest_algorithms[0], "MD5");
	assert_null(cfg.admin_token);
	assert_null(cfg.ephemeral_secret);
	gateway_config_clear(&cfg);
}

static void test_file_then_flags(void **state)
{
	struct gateway_config cfg;
	g_autofree char *err = NULL;
	g_autofree char *dir = g_dir_make_tmp("ovoz-cfg-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "ovoz.ini", NULL);

	g_file_set_contents(path,
			    "[sip]\nudp = 127.0.0.1:15060\nrealm = office\n"
			    "[http]\norigins = https://a.example, https://b.example\n"
			    "[media]\nrtp_ports = 30000-30100\n"
			    "[security]\nban_failures = 7\n"
			    "[auth]\nephemeral_secret = 0123456789abcdef-long\n",
			    -1, NULL);
	assert_int_equal(load(&cfg, &err, "--config", path, "--realm",
			      "flagrealm", NULL), 0);
	assert_string_equal(cfg.sip_udp, "127.0.0.1:15060");
	assert_string_equal(cfg.realm, "flagrealm"); /* flag wins */
	assert_string_equal(cfg.origins[0], "https://a.example");
	assert_int_equal(cfg.rtp_lo, 30000);
	assert_int_equal(cfg.rtp_hi, 30100);
	assert_int_equal(cfg.ban_failures, 7);
	assert_string_equal(cfg.ephemeral_secret, "0123456789abcdef-long");
	gateway_config_clear(&cfg);
	/* A short secret is refused at start, with the key named. */
	g_file_set_contents(path, "[auth]\nephemeral_secret = short\n", -1,
			    NULL);
	g_clear_pointer(&err, g_free);
	assert_int_not_equal(load(&cfg, &err, "--config", path, NULL), 0);
	assert_non_null(strstr(err, "[auth] ephemeral_secret must be at least"));
	g_unlink(path);
	g_rmdir(dir);
}

static void test_errors(void **state)
{
	struct {
		const char *flag, *value, *needle;
	} cases[] = {
		{"--sip-udp", "localhost", "bad SIP UDP address"},
		{"--https", "8443", "bad HTTPS address"},
		{"--rtp-ports", "9-5", "bad RTP port range"},
		{"--admin-token", "short", "at least 16"},
		{"--log-level", "loud", "bad log level"},
		{"--media-ip", "not-an-ip", "bad media IP"},
		{"--config", "/nonexistent/ovoz.ini", "cannot read config"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct gateway_config cfg;
		g_autofree char *err = NULL;
		assert_int_not_equal(load(&cfg, &err, cases[i].flag,
					  cases[i].value, NULL), 0);
		assert_non_null(err);
		assert_non_null(strstr(err, cases[i].needle));
	}
}

static void test_unknown_key(void **state)
{
	struct gateway_config cfg;
	g_autofree char *err = NULL;
	g_autofree char *dir = g_dir_make_tmp("ovoz-cfg-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "ovoz.ini", NULL);

	g_file_set_contents(path, "[sip]\nudpp = 1.2.3.4:5\n", -1, NULL);
	assert_int_not_equal(load(&cfg, &err, "--config", path, NULL), 0);
	assert_non_null(strstr(err, "unknown key [sip] udpp"));
	g_file_set_contents(path, "[sip]\nmin_expires = 0\n", -1, NULL);
	g_clear_pointer(&err, g_free);
	assert_int_not_equal(load(&cfg, &err, "--config", path, NULL), 0);
	assert_non_null(strstr(err, "min_expires"));
	g_unlink(path);
	g_rmdir(dir);
}

/* The host of a listen address, for Via, Record-Route and media. */
static void test_listen_host(void **state)
{
	char *h;

	h = gateway_config_listen_host("192.0.2.1:5060");
	assert_string_equal(h, "192.0.2.1");
	g_free(h);
	h = gateway_config_listen_host("[2001:db8::1]:8443");
	assert_string_equal(h, "2001:db8::1");
	g_free(h);
	assert_null(gateway_config_listen_host("0.0.0.0:5060"));
	assert_null(gateway_config_listen_host("[::]:5060"));
	assert_null(gateway_config_listen_host("off"));
	assert_null(gateway_config_listen_host(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_file_then_flags),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_listen_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
