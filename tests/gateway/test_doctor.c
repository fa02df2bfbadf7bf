/* tests/gateway/test_doctor.c - the registration doctor's findings and
 * words, from attempts, bindings and bans as an operator would meet them;
 * and the call log's CSV rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/calls_csv.h"
#include "gateway/doctor.h"
#include "gateway/store.h"

#define NOW 1800000000

static void add_attempt(GPtrArray *list, int64_t at, const char *ext,
			const char *source, const char *ua,
			const char *outcome)
{
	struct gateway_attempt *a = g_new0(struct gateway_attempt, 1);

	a->at = at;
	a->extension = g_strdup(ext);
	a->source = g_strdup(source);
	a->transport = g_strdup("udp");
	a->user_agent = g_strdup(ua);
	a->outcome = g_strdup(outcome);
	a->detail = g_strdup("detail of the attempt");
	g_ptr_array_add(list, a);
}

static GPtrArray *attempts(void)
{
	return g_ptr_array_new_with_free_func(
		(GDestroyNotify)gateway_attempt_free);
}

static char *text_of(GPtrArray *findings, guint i)
{
	assert_true(i < findings->len);
	return gateway_doctor_text(g_ptr_array_index(findings, i));
}

static enum gateway_doctor_code code_of(GPtrArray *findings, guint i)
{
	const struct gateway_doctor_finding *f;

	assert_true(i < findings->len);
	f = g_ptr_array_index(findings, i);
	return f->code;
}

/* MicroSIP with a wrong password: three tries, each after a challenge;
 * an older success from the same address is history. */
static void test_wrong_password(void **state)
{
	g_autoptr(GPtrArray) list = attempts();
	g_autoptr(GPtrArray) out = NULL;
	g_autofree char *t = NULL;
	struct gateway_doctor_input in = {
		.extension = "1001", .exists = true, .now = NOW,
		.silent_after = 600};

	(void)state;
	for (int i = 0; i < 3; i++) {
		add_attempt(list, NOW - 10 * i, "1001", "203.0.113.5:5060",
			    "MicroSIP 3.21", "wrong_password");
		add_attempt(list, NOW - 10 * i - 1, "1001",
			    "203.0.113.5:5060", "MicroSIP 3.21", "challenged");
	}
	add_attempt(list, NOW - 3600, "1001", "203.0.113.5:5060",
		    "MicroSIP 3.21", "registered");
	add_attempt(list, NOW - 3700, "1001", "203.0.113.5:5060",
		    "MicroSIP 3.21", "wrong_password");
	in.attempts = list;
	out = gateway_doctor_examine(&in);
	assert_int_equal(out->len, 1);
	assert_int_equal(code_of(out, 0), GATEWAY_DOCTOR_WRONG_PASSWORD);
	t = text_of(out, 0);
	assert_string_equal(t, "wrong password, 3 times from 203.0.113.5 "
			       "(MicroSIP 3.21): retype it on the phone, or "
			       "set a new one here");
	assert_string_equal(gateway_doctor_code_name(code_of(out, 0)),
			    "wrong_password");
	assert_string_equal(gateway_doctor_severity(code_of(out, 0)), "error");
}

static void test_registered_and_banned(void **state)
{
	g_autoptr(GPtrArray) list = attempts();
	g_autoptr(GPtrArray) out = NULL;
	g_autofree char *ban = NULL, *reg = NULL, *web = NULL;
	struct gateway_doctor_binding b[] = {
		{"192.0.2.7:5060", "udp", "MicroSIP 3.21"},
		{"127.0.0.1:40312", "wss", "SIP.js/0.21.2"},
	};
	/* 14:05 UTC; the test runs with TZ=UTC. */
	struct gateway_doctor_ban bans[] = {
		{"203.0.113.9", "1001", 1800000000 - 1800000000 % 86400 +
					    14 * 3600 + 5 * 60, 10},
		{"198.51.100.1", "2002", NOW + 60, 5},
	};
	struct gateway_doctor_input in = {
		.extension = "1001", .exists = true, .now = NOW,
		.silent_after = 600, .bindings = b, .n_bindings = 2,
		.bans = bans, .n_bans = 2};

	(void)state;
	add_attempt(list, NOW - 5, "1001", "192.0.2.7:5060", "MicroSIP 3.21",
		    "registered");
	in.attempts = list;
	out = gateway_doctor_examine(&in);
	/* Only the ban on this extension; then both bindings. */
	assert_int_equal(out->len, 3);
	ban = text_of(out, 0);
	reg = text_of(out, 1);
	web = text_of(out, 2);
	assert_string_equal(ban, "banned until 14:05 after 10 failures from "
				 "203.0.113.9");
	assert_string_equal(reg, "registered from 192.0.2.7:5060 over UDP "
				 "(MicroSIP 3.21)");
	assert_string_equal(web, "registered from a web phone at "
				 "127.0.0.1:40312 over WebSocket "
				 "(SIP.js/0.21.2)");
	assert_string_equal(gateway_doctor_severity(code_of(out, 1)), "ok");
}

static void test_silence(void **state)
{
	g_autoptr(GPtrArray) list = attempts();
	g_autoptr(GPtrArray) out = NULL, never = NULL;
	g_autofree char *t = NULL, *n = NULL;
	struct gateway_doctor_input in = {
		.extension = "1001", .exists = true, .now = NOW,
		.silent_after = 600};

	(void)state;
	in.attempts = list;
	never = gateway_doctor_examine(&in);
	assert_int_equal(never->len, 1);
	n = text_of(never, 0);
	assert_string_equal(n, "no request has reached the server yet: check "
			       "the phone's server address, DNS and firewall");
	add_attempt(list, NOW - 600, "1001", "192.0.2.7:5060", NULL,
		    "unregistered");
	out = gateway_doctor_examine(&in);
	assert_int_equal(out->len, 1);
	assert_int_equal(code_of(out, 0), GATEWAY_DOCTOR_SILENT);
	t = text_of(out, 0);
	assert_string_equal(t, "no request has reached the server in 10 "
			       "minutes: check the phone's server address, "
			       "DNS and firewall");
}

/* A phone behind a NAT that eats our replies asks again and again. */
static void test_challenge_unanswered(void **state)
{
	g_autoptr(GPtrArray) list = attempts();
	g_autoptr(GPtrArray) out = NULL;
	g_autofree char *t = NULL;
	struct gateway_doctor_input in = {
		.extension = "1001", .exists = true, .now = NOW,
		.silent_after = 600};

	(void)state;
	for (int i = 0; i < 4; i++)
		add_attempt(list, NOW - 30 * i, "1001", "198.51.100.20:5060",
			    "Zoiper rv2.10", "challenged");
	add_attempt(list, NOW - 200, "1001", "198.51.100.20:5060",
		    "Zoiper rv2.10", "wrong_password");
	in.attempts = list;
	out = gateway_doctor_examine(&in);
	assert_int_equal(out->len, 2);
	assert_int_equal(code_of(out, 0), GATEWAY_DOCTOR_WRONG_PASSWORD);
	assert_int_equal(code_of(out, 1), GATEWAY_DOCTOR_CHALLENGE_UNANSWERED);
	t = text_of(out, 1);
	assert_string_equal(t, "asked for the password but never answered, 4 "
			       "times from 198.51.100.20 (Zoiper rv2.10): the "
			       "phone may not receive the server's replies "
			       "(NAT, firewall, or STUN turned on in the "
			       "phone)");
}

static bool only_1001(void *ctx, const char *ext)
{
	(void)ctx;
	return g_strcmp0(ext, "1001") == 0;
}

/* Server-wide: failures naming extensions that do not exist, and bans. */
static void test_server_wide(void **state)
{
	g_autoptr(GPtrArray) list = attempts();
	g_autoptr(GPtrArray) out = NULL;
	g_autofree char *t = NULL, *exp = NULL;
	struct gateway_doctor_ban bans[] = {{"203.0.113.9", NULL, NOW + 60, 5}};
	struct gateway_doctor_input in = {
		.now = NOW, .silent_after = 600, .is_extension = only_1001,
		.bans = bans, .n_bans = 1};

	(void)state;
	add_attempt(list, NOW - 1, "9999", "[2001:db8::5]:5060", NULL,
		    "unknown_extension");
	add_attempt(list, NOW - 2, "9999", "[2001:db8::5]:5060", NULL,
		    "unknown_extension");
	add_attempt(list, NOW - 3, "1001", "192.0.2.7:5060", NULL,
		    "wrong_password");
	add_attempt(list, NOW - 4, "1001", "192.0.2.8:5060", NULL,
		    "credential_expired");
	in.attempts = list;
	out = gateway_doctor_examine(&in);
	assert_int_equal(out->len, 2);
	assert_int_equal(code_of(out, 0), GATEWAY_DOCTOR_BANNED);
	t = text_of(out, 1);
	assert_string_equal(t, "unknown extension 9999, 2 times from "
			       "[2001:db8::5]: no such extension here; check "
			       "the user name set on the phone");
	{
		struct gateway_doctor_finding f = {
			.code = GATEWAY_DOCTOR_CREDENTIAL_EXPIRED, .count = 1,
			.source = "192.0.2.8"};
		exp = gateway_doctor_text(&f);
		assert_string_equal(exp, "expired web phone sign-in from "
					 "192.0.2.8: open the web phone again "
					 "to get a fresh one");
	}
}

static void test_outcome_codes(void **state)
{
	enum gateway_doctor_code c;
	g_autofree char *v6 = gateway_doctor_host("[2001:db8::1]:5060");
	g_autofree char *v4 = gateway_doctor_host("192.0.2.1:5060");

	(void)state;
	assert_true(gateway_doctor_code_of_outcome("wrong_password", &c));
	assert_int_equal(c, GATEWAY_DOCTOR_WRONG_PASSWORD);
	assert_true(gateway_doctor_code_of_outcome("credential_expired", &c));
	assert_int_equal(c, GATEWAY_DOCTOR_CREDENTIAL_EXPIRED);
	assert_false(gateway_doctor_code_of_outcome("registered", &c));
	assert_false(gateway_doctor_code_of_outcome("challenged", &c));
	assert_false(gateway_doctor_code_of_outcome(NULL, &c));
	assert_string_equal(v6, "[2001:db8::1]");
	assert_string_equal(v4, "192.0.2.1");
	for (int i = 0; i < GATEWAY_DOCTOR_CODE_COUNT; i++) {
		assert_non_null(gateway_doctor_code_name(i));
		assert_non_null(gateway_doctor_severity(i));
	}
}

static void test_csv(void **state)
{
	g_autoptr(GString) s = g_string_new(NULL);
	struct gateway_call c = {
		.call_id = "a,b\"c", .caller = "+998901234567",
		.caller_transport = "wss", .callee = "=HYPERLINK(1)",
		.callee_transport = "udp", .started_at = 1795350521,
		.answered_at = 1795350523, .ended_at = 1795350581,
		.duration = 58, .disposition = "answered", .status = 200,
		.hangup_by = "ovoz", .reason = "media timeout: no RTP",
		.media_note = "leg B is silent, \"phone\""};
	struct gateway_call ringing = {.call_id = "x", .caller = "1001",
				       .callee = "1002",
				       .started_at = 1795350521};

	(void)state;
	gateway_calls_csv_header(s);
	gateway_calls_csv_row(s, &c);
	gateway_calls_csv_row(s, &ringing);
	assert_string_equal(
		s->str,
		"callId,caller,callerTransport,callee,calleeTransport,"
		"startedAt,answeredAt,endedAt,duration,disposition,status,"
		"hangupBy,reason,mediaNote\r\n"
		"\"a,b\"\"c\",+998901234567,wss,\"'=HYPERLINK(1)\",udp,"
		"2026-11-22T12:28:41Z,2026-11-22T12:28:43Z,"
		"2026-11-22T12:29:41Z,58,answered,200,ovoz,"
		"media timeout: no RTP,\"leg B is silent, \"\"phone\"\"\"\r\n"
		"x,1001,,1002,,2026-11-22T12:28:41Z,,,0,,,,,\r\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_registered_and_banned),
		cmocka_unit_test(test_silence),
		cmocka_unit_test(test_challenge_unanswered),
		cmocka_unit_test(test_server_wide),
		cmocka_unit_test(test_outcome_codes),
		cmocka_unit_test(test_csv),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
