/* tests/gateway/test_api_admin.c - the admin page's routes over a real
 * sqlite store: ephemeral credentials, the registration doctor, and the
 * call log's disposition filter and CSV export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "test_util.h"
#include "gateway/api.h"
#include "gateway/store.h"
#include "sip/ephemeral.h"

#define REALM "ovoz.test"
#define TOKEN "admin-token-0123456789"
#define SECRET "ephemeral-secret-0123456789"

struct fixture {
	char *dir;
	char *token_sha256;
	struct gateway_store *store;
	struct gateway_api *api;
	struct gateway_api_response resp;
	JsonNode *json;
};

static void fake_contacts(void *ctx, const char *ext, JsonArray *array)
{
	JsonObject *o;

	if (strcmp(ext, "1001") != 0)
		return;
	o = json_object_new();
	json_object_set_string_member(o, "contact", "<sip:1001@192.0.2.7>");
	json_object_set_string_member(o, "transport", "udp");
	json_object_set_string_member(o, "source", "192.0.2.7:5060");
	json_object_set_string_member(o, "userAgent", "MicroSIP 3.21");
	json_array_add_object_element(array, o);
}

static const struct gateway_api_hooks hooks = {.contacts = fake_contacts};

static int setup_with(void **state, const char *secret)
{
	struct fixture *f = g_new0(struct fixture, 1);
	g_autofree char *path = NULL;
	struct gateway_api_config cfg = {.realm = REALM, .min_password_len = 6,
					 .ephemeral_secret = secret,
					 .sip_udp = "0.0.0.0:15060"};

	f->dir = g_dir_make_tmp("ovoz-api-admin-XXXXXX", NULL);
	path = g_build_filename(f->dir, "ovoz.db", NULL);
	f->token_sha256 =
		g_compute_checksum_for_string(G_CHECKSUM_SHA256, TOKEN, -1);
	cfg.token_sha256 = f->token_sha256;
	assert_int_equal(gateway_store_open(&f->store, path), 0);
	assert_int_equal(gateway_api_new(&f->api, f->store, &cfg, &hooks, f),
			 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, SECRET);
}

static int setup_no_secret(void **state)
{
	return setup_with(state, NULL);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gateway_api_response_clear(&f->resp);
	g_clear_pointer(&f->json, json_node_unref);
	gateway_api_free(f->api);
	gateway_store_close(f->store);
	test_remove_dir(f->dir);
	g_free(f->dir);
	g_free(f->token_sha256);
	g_free(f);
	return 0;
}

static int call_q(struct fixture *f, const char *method, const char *path,
		  const char *query, const char *body)
{
	struct gateway_api_request req = {
		.method = method, .path = path, .query = query,
		.authorization = "Bearer " TOKEN,
		.body = (const uint8_t *)body,
		.body_len = body ? strlen(body) : 0,
	};

	gateway_api_response_clear(&f->resp);
	g_clear_pointer(&f->json, json_node_unref);
	gateway_api_handle(f->api, &req, &f->resp);
	if (f->resp.body && !f->resp.content_type)
		f->json = json_from_string(f->resp.body, NULL);
	return f->resp.status;
}

static int call(struct fixture *f, const char *method, const char *path,
		const char *body)
{
	return call_q(f, method, path, NULL, body);
}

static JsonObject *obj(struct fixture *f)
{
	assert_non_null(f->json);
	return json_node_get_object(f->json);
}

static void make_ext(struct fixture *f, const char *ext)
{
	g_autofree char *body = g_strdup_printf(
		"{\"extension\":\"%s\",\"password\":\"pw-%s-long\"}", ext, ext);

	assert_int_equal(call(f, "POST", "/api/extensions", body), 201);
}

static void test_credentials(void **state)
{
	struct fixture *f = *state;
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;
	char pw[SIP_EPHEMERAL_PASSWORD_MAX];
	const char *user, *ext;
	int64_t expiry, at;

	make_ext(f, "1001");
	assert_int_equal(call(f, "POST", "/api/credentials",
			      "{\"extension\":\"1001\",\"ttl\":600}"),
			 201);
	user = json_object_get_string_member(obj(f), "username");
	at = json_object_get_int_member(obj(f), "expiresAt");
	assert_true(sip_ephemeral_parse(user, &expiry, &ext));
	assert_string_equal(ext, "1001");
	assert_int_equal(expiry, at);
	assert_true(at >= now + 600 && at <= now + 602);
	/* The password is what the registrar will compute. */
	sip_ephemeral_password(SECRET, user, pw);
	assert_string_equal(json_object_get_string_member(obj(f), "password"),
			    pw);
	/* ttl defaults to an hour. */
	assert_int_equal(call(f, "POST", "/api/credentials",
			      "{\"extension\":\"1001\"}"),
			 201);
	at = json_object_get_int_member(obj(f), "expiresAt");
	assert_true(at >= now + 3600 && at <= now + 3602);
	assert_int_equal(call(f, "POST", "/api/credentials",
			      "{\"extension\":\"9999\"}"),
			 404);
	assert_string_equal(json_object_get_string_member(obj(f), "error"),
			    "extension 9999 not found");
	assert_int_equal(call(f, "POST", "/api/credentials",
			      "{\"extension\":\"1001\",\"ttl\":86401}"),
			 400);
	assert_int_equal(call(f, "POST", "/api/credentials",
			      "{\"extension\":\"1001\",\"ttl\":\"60\"}"),
			 400);
	assert_int_equal(call(f, "POST", "/api/credentials", "{}"), 400);
	assert_int_equal(call(f, "GET", "/api/credentials", NULL), 405);
}

static void test_credentials_off(void **state)
{
	struct fixture *f = *state;

	make_ext(f, "1001");
	assert_int_equal(call(f, "POST", "/api/credentials",
			      "{\"extension\":\"1001\"}"),
			 503);
}

static void add_attempt(struct fixture *f, const char *ext,
			const char *source, const char *outcome)
{
	struct gateway_attempt a = {
		.at = g_get_real_time() / G_USEC_PER_SEC,
		.extension = (char *)ext, .source = (char *)source,
		.transport = "udp", .user_agent = "MicroSIP 3.21",
		.outcome = (char *)outcome, .status = 403, .detail = "x"};

	assert_int_equal(gateway_store_attempt_add(f->store, &a, 1000), 0);
}

static const char *finding(struct fixture *f, guint i, const char *member)
{
	JsonArray *list = json_object_get_array_member(obj(f), "findings");

	assert_true(i < json_array_get_length(list));
	return json_object_get_string_member(
		json_array_get_object_element(list, i), member);
}

static guint n_findings(struct fixture *f)
{
	return json_array_get_length(
		json_object_get_array_member(obj(f), "findings"));
}

static void test_doctor(void **state)
{
	struct fixture *f = *state;

	make_ext(f, "1001");
	make_ext(f, "1002");
	add_attempt(f, "1002", "203.0.113.5:5060", "wrong_password");
	add_attempt(f, "1002", "203.0.113.5:5060", "wrong_password");
	add_attempt(f, "9999", "203.0.113.6:5060", "unknown_extension");
	assert_int_equal(call(f, "GET", "/api/extensions/1002/doctor", NULL),
			 200);
	assert_true(json_object_get_boolean_member(obj(f), "exists"));
	assert_false(json_object_get_boolean_member(obj(f), "registered"));
	assert_int_equal(n_findings(f), 1);
	assert_string_equal(finding(f, 0, "code"), "wrong_password");
	assert_string_equal(finding(f, 0, "severity"), "error");
	assert_string_equal(finding(f, 0, "text"),
			    "wrong password, 2 times from 203.0.113.5 "
			    "(MicroSIP 3.21): retype it on the phone, or set "
			    "a new one here");
	assert_int_equal(call(f, "GET", "/api/extensions/1001/doctor", NULL),
			 200);
	assert_true(json_object_get_boolean_member(obj(f), "registered"));
	assert_string_equal(finding(f, 0, "text"),
			    "registered from 192.0.2.7:5060 over UDP "
			    "(MicroSIP 3.21)");
	/* Not configured: said so, with what reached us. */
	assert_int_equal(call(f, "GET", "/api/extensions/9999/doctor", NULL),
			 200);
	assert_false(json_object_get_boolean_member(obj(f), "exists"));
	assert_string_equal(finding(f, 0, "code"), "unknown_extension");
	/* Server-wide: only what names no configured extension. */
	assert_int_equal(call(f, "GET", "/api/doctor", NULL), 200);
	assert_int_equal(n_findings(f), 1);
	assert_string_equal(finding(f, 0, "extension"), "9999");
	assert_int_equal(call(f, "GET", "/api/extensions/a%20b/doctor", NULL),
			 400);
}

static void add_call(struct fixture *f, const char *id, const char *caller,
		     const char *callee, int64_t at, const char *disposition)
{
	assert_int_equal(gateway_store_call_start(f->store, id, caller, "udp",
						  callee, at),
			 0);
	assert_int_equal(gateway_store_call_end(f->store, id, at + 5,
						disposition,
						strcmp(disposition, "busy")
							? 487 : 486,
						NULL),
			 0);
}

static void test_calls_filter_csv(void **state)
{
	struct fixture *f = *state;

	add_call(f, "c1", "1001", "1002", 1795350000, "busy");
	add_call(f, "c2", "1001", "1003", 1795350100, "cancelled");
	add_call(f, "c3", "1004", "1002", 1795350200, "busy");
	assert_int_equal(call_q(f, "GET", "/api/calls",
				"disposition=busy&extension=1002", NULL),
			 200);
	assert_int_equal(json_object_get_int_member(obj(f), "total"), 2);
	assert_int_equal(call_q(f, "GET", "/api/calls",
				"disposition=busy&from=1795350100", NULL),
			 200);
	assert_int_equal(json_object_get_int_member(obj(f), "total"), 1);
	assert_int_equal(call_q(f, "GET", "/api/calls", "disposition=lost",
				NULL),
			 400);
	assert_int_equal(call_q(f, "GET", "/api/calls", "format=xml", NULL),
			 400);
	assert_int_equal(call_q(f, "GET", "/api/calls",
				"format=csv&disposition=busy&limit=1", NULL),
			 200);
	assert_string_equal(f->resp.content_type, "text/csv; charset=utf-8");
	/* Every matching row, not one page; newest first. */
	assert_true(g_str_has_prefix(f->resp.body, "callId,caller,"));
	assert_non_null(strstr(f->resp.body, "\r\nc3,1004,udp,1002,"));
	assert_non_null(strstr(f->resp.body, "\r\nc1,1001,udp,1002,"));
	assert_null(strstr(f->resp.body, "c2"));
	assert_true(strstr(f->resp.body, "c3") < strstr(f->resp.body, "c1"));
}

static void test_server_info(void **state)
{
	struct fixture *f = *state;
	JsonObject *udp;

	assert_int_equal(call(f, "GET", "/api/server", NULL), 200);
	assert_string_equal(json_object_get_string_member(obj(f), "realm"),
			    REALM);
	udp = json_object_get_object_member(obj(f), "sipUdp");
	assert_string_equal(json_object_get_string_member(udp, "host"),
			    "0.0.0.0");
	assert_int_equal(json_object_get_int_member(udp, "port"), 15060);
	assert_true(json_object_get_boolean_member(obj(f),
						   "ephemeralCredentials"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_credentials, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_credentials_off,
						setup_no_secret, teardown),
		cmocka_unit_test_setup_teardown(test_doctor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calls_filter_csv, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_server_info, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
