/* tests/gateway/test_api_calls.c - GET /api/calls (paging, filters, bad
 * parameters) and GET /api/calls/active of the admin REST API, over a
 * real sqlite store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "api_util.h"
#include "gateway/api.h"
#include "gateway/store.h"
#include "test_util.h"

#define REALM TEST_API_REALM
#define TOKEN TEST_API_TOKEN
#define MIN_PW TEST_API_MIN_PW

static void seed_calls(struct api_fixture *f)
{
	struct gateway_store *s = f->db.store;

	/* c1: answered, hung up by the caller; c2: busy; c3: ringing now. */
	assert_int_equal(gateway_store_call_start(s, "c1", "1001", "wss",
						  "1002", 1000),
			 0);
	assert_int_equal(gateway_store_call_answer(s, "c1", "udp", 1004), 0);
	assert_int_equal(gateway_store_call_end(s, "c1", 1046, "answered", 200,
						"caller"),
			 0);
	assert_int_equal(gateway_store_call_start(s, "c2", "1002", "udp",
						  "1003", 2000),
			 0);
	assert_int_equal(gateway_store_call_end(s, "c2", 2005, "busy", 486,
						NULL),
			 0);
	assert_int_equal(gateway_store_call_start(s, "c3", "1003", "ws",
						  "1001", 3000),
			 0);
	assert_int_equal(gateway_store_call_start(s, "c4", "1004", "wss",
						  "+998901234567", 4000),
			 0);
	assert_int_equal(gateway_store_call_start(s, "c5", "1001", "udp",
						  "1004", 5000),
			 0);
}

static JsonArray *calls_array(struct api_fixture *f)
{
	return json_object_get_array_member(test_api_obj(&f->c), "calls");
}

static const char *call_id_at(struct api_fixture *f, guint i)
{
	return json_object_get_string_member(
		json_array_get_object_element(calls_array(f), i), "callId");
}

static int get_calls(struct api_fixture *f, const char *query)
{
	return test_api_request(&f->c, "GET", "/api/calls", query,
				"Bearer " TOKEN, NULL, 0);
}

static void assert_page(struct api_fixture *f, const char *query, int64_t total,
			int64_t limit, int64_t offset, const char *const *ids,
			guint n)
{
	assert_int_equal(get_calls(f, query), 200);
	assert_int_equal(json_object_get_size(test_api_obj(&f->c)), 4);
	assert_int_equal(
		json_object_get_int_member(test_api_obj(&f->c), "total"),
		total);
	assert_int_equal(
		json_object_get_int_member(test_api_obj(&f->c), "limit"),
		limit);
	assert_int_equal(
		json_object_get_int_member(test_api_obj(&f->c), "offset"),
		offset);
	assert_int_equal(json_array_get_length(calls_array(f)), n);
	for (guint i = 0; i < n; i++)
		assert_string_equal(call_id_at(f, i), ids[i]);
}

static void test_calls_list(void **state)
{
	struct api_fixture *f = *state;
	JsonObject *c;

	assert_page(f, NULL, 0, 50, 0, NULL, 0);
	seed_calls(f);
	assert_page(f, NULL, 5, 50, 0,
		    (const char *[]){"c5", "c4", "c3", "c2", "c1"}, 5);

	c = json_array_get_object_element(calls_array(f), 4);
	assert_int_equal(json_object_get_size(c), 14);
	assert_string_equal(json_object_get_string_member(c, "callId"), "c1");
	/* Nothing ended c1 from Ovoz's side: no reason, no media note. */
	assert_true(json_object_get_null_member(c, "reason"));
	assert_true(json_object_get_null_member(c, "mediaNote"));
	assert_string_equal(json_object_get_string_member(c, "caller"), "1001");
	assert_string_equal(
		json_object_get_string_member(c, "callerTransport"), "wss");
	assert_string_equal(json_object_get_string_member(c, "callee"), "1002");
	assert_string_equal(
		json_object_get_string_member(c, "calleeTransport"), "udp");
	assert_int_equal(json_object_get_int_member(c, "startedAt"), 1000);
	assert_int_equal(json_object_get_int_member(c, "answeredAt"), 1004);
	assert_int_equal(json_object_get_int_member(c, "endedAt"), 1046);
	assert_int_equal(json_object_get_int_member(c, "duration"), 42);
	assert_string_equal(json_object_get_string_member(c, "disposition"),
			    "answered");
	assert_int_equal(json_object_get_int_member(c, "status"), 200);
	assert_string_equal(json_object_get_string_member(c, "hangupBy"),
			    "caller");

	c = json_array_get_object_element(calls_array(f), 3);
	assert_string_equal(json_object_get_string_member(c, "disposition"),
			    "busy");
	assert_int_equal(json_object_get_int_member(c, "status"), 486);
	assert_true(test_json_is_null(c, "answeredAt"));
	assert_true(test_json_is_null(c, "calleeTransport"));
	assert_true(test_json_is_null(c, "hangupBy"));
	assert_int_equal(json_object_get_int_member(c, "duration"), 0);

	/* A call in progress: everything about its end is null. */
	c = json_array_get_object_element(calls_array(f), 2);
	assert_int_equal(json_object_get_size(c), 14);
	assert_string_equal(json_object_get_string_member(c, "callId"), "c3");
	assert_true(test_json_is_null(c, "answeredAt"));
	assert_true(test_json_is_null(c, "endedAt"));
	assert_true(test_json_is_null(c, "disposition"));
	assert_true(test_json_is_null(c, "status"));
	assert_true(test_json_is_null(c, "hangupBy"));
	assert_int_equal(json_object_get_int_member(c, "duration"), 0);
}

static void test_calls_filters(void **state)
{
	struct api_fixture *f = *state;

	seed_calls(f);
	/* Caller or callee; unknown parameters are ignored. */
	assert_page(f, "extension=1001&foo=bar", 3, 50, 0,
		    (const char *[]){"c5", "c3", "c1"}, 3);
	assert_page(f, "extension=1001&from=1000&to=3000", 2, 50, 0,
		    (const char *[]){"c3", "c1"}, 2);
	assert_page(f, "from=2000&to=4000", 3, 50, 0,
		    (const char *[]){"c4", "c3", "c2"}, 3);
	assert_page(f, "from=4001", 1, 50, 0, (const char *[]){"c5"}, 1);
	assert_page(f, "to=1999", 1, 50, 0, (const char *[]){"c1"}, 1);
	/* Outside numbers, percent-encoded or not. */
	assert_page(f, "extension=%2B998901234567", 1, 50, 0,
		    (const char *[]){"c4"}, 1);
	assert_page(f, "extension=+998901234567", 1, 50, 0,
		    (const char *[]){"c4"}, 1);
	assert_page(f, "extension=7777", 0, 50, 0, NULL, 0);

	/* Paging: total is the whole match. */
	assert_page(f, "limit=2", 5, 2, 0, (const char *[]){"c5", "c4"}, 2);
	assert_page(f, "limit=2&offset=2", 5, 2, 2,
		    (const char *[]){"c3", "c2"}, 2);
	assert_page(f, "limit=2&offset=4", 5, 2, 4, (const char *[]){"c1"}, 1);
	assert_page(f, "limit=2&offset=6", 5, 2, 6, NULL, 0);
	assert_page(f, "extension=1001&limit=1&offset=1", 3, 1, 1,
		    (const char *[]){"c3"}, 1);
}

static void test_calls_bad_params(void **state)
{
	struct api_fixture *f = *state;
	static const char ext_msg[] = "extension must be 1-32 characters of "
				      "A-Z, a-z, 0-9, '_', '.', '-', '+'";
	static const struct {
		const char *query, *error;
	} cases[] = {
		{"limit=0", "limit must be an integer from 1 to 500"},
		{"limit=501", "limit must be an integer from 1 to 500"},
		{"limit=ten", "limit must be an integer from 1 to 500"},
		{"limit=", "limit must be an integer from 1 to 500"},
		{"offset=-1", "offset must be an integer from 0 to 2147483647"},
		{"offset=1e3",
		 "offset must be an integer from 0 to 2147483647"},
		{"offset=2147483648",
		 "offset must be an integer from 0 to 2147483647"},
		{"from=yesterday", "from must be a unix time in seconds"},
		{"from=-5", "from must be a unix time in seconds"},
		{"to=1.5", "to must be a unix time in seconds"},
		{"from=3000&to=1000", "to must not be before from"},
		{"extension=", ext_msg},
		{"extension=10%2001", ext_msg},
		{"extension=1001;drop", ext_msg},
		{"extension=123456789012345678901234567890123", ext_msg},
		{"extension=%ZZ", "extension is not valid percent-encoding"},
		{"extension=10%0001",
		 "extension is not valid percent-encoding"},
		{"limit=5&offset=x", "offset must be an integer from 0 to "
				     "2147483647"},
	};

	seed_calls(f);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		test_api_assert_error(&f->c, 400, get_calls(f, cases[i].query),
				      cases[i].error);
}

static void test_calls_auth_and_routes(void **state)
{
	struct api_fixture *f = *state;

	seed_calls(f);
	test_api_assert_error(&f->c, 401,
			      test_api_request(&f->c, "GET", "/api/calls", NULL,
					       NULL, NULL, 0),
			      "missing or invalid admin token");
	test_api_assert_error(&f->c, 401,
			      test_api_request(&f->c, "GET", "/api/calls",
					       "limit=5", "Bearer wrong", NULL,
					       0),
			      "missing or invalid admin token");
	test_api_assert_error(&f->c, 401,
			      test_api_request(&f->c, "GET",
					       "/api/calls/active", NULL, NULL,
					       NULL, 0),
			      "missing or invalid admin token");
	test_api_assert_error(&f->c, 405,
			      test_api_call(&f->c, "POST", "/api/calls", "{}"),
			      "method not allowed");
	test_api_assert_error(
		&f->c, 405,
		test_api_call(&f->c, "DELETE", "/api/calls/active", NULL),
		"method not allowed");
	test_api_assert_error(
		&f->c, 404, test_api_call(&f->c, "GET", "/api/calls/c1", NULL),
		"not found");
}

static void test_calls_active(void **state)
{
	struct api_fixture *f = *state;
	JsonObject *c;

	assert_int_equal(test_api_call(&f->c, "GET", "/api/calls/active", NULL),
			 200);
	assert_int_equal(json_object_get_size(test_api_obj(&f->c)), 1);
	assert_int_equal(json_array_get_length(calls_array(f)), 1);
	c = json_array_get_object_element(calls_array(f), 0);
	assert_string_equal(json_object_get_string_member(c, "callId"),
			    "live@ws");
	assert_string_equal(json_object_get_string_member(c, "state"),
			    "answered");
	assert_int_equal(json_object_get_int_member(c, "duration"), 17);

	/* No hook installed: an empty list, not an error. */
	api_fixture_drop_hooks(f);
	assert_int_equal(test_api_call(&f->c, "GET", "/api/calls/active", NULL),
			 200);
	assert_int_equal(json_array_get_length(calls_array(f)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, api_fixture_setup, \
						 api_fixture_teardown)
		T(test_calls_list),
		T(test_calls_filters),
		T(test_calls_bad_params),
		T(test_calls_auth_and_routes),
		T(test_calls_active),
#undef T
	};
	return cmocka_run_group_tests(tests, test_log_group_setup,
				      test_log_group_teardown);
}
