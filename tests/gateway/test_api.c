/* tests/gateway/test_api.c - the admin REST API over a real sqlite store:
 * token, routing, extensions, status, attempts. The call log is in
 * test_api_calls.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api_util.h"
#include "test_util.h"
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "gateway/api.h"
#include "gateway/store.h"

#define REALM TEST_API_REALM
#define TOKEN TEST_API_TOKEN
#define PASSWORD "Correct-Horse-9"
#define PASSWORD2 "Battery-Staple-7"
#define MIN_PW TEST_API_MIN_PW

static char *expected_ha1(GChecksumType t, const char *ext, const char *pw)
{
	return test_ha1(t, ext, REALM, pw);
}

static void assert_stored_ha1(struct api_fixture *f, const char *ext,
			      const char *pw)
{
	struct gateway_extension e = {0};
	g_autofree char *md5 = expected_ha1(G_CHECKSUM_MD5, ext, pw);
	g_autofree char *sha = expected_ha1(G_CHECKSUM_SHA256, ext, pw);

	assert_int_equal(gateway_store_extension_get(f->db.store, ext, &e), 0);
	assert_string_equal(e.ha1_md5, md5);
	assert_string_equal(e.ha1_sha256, sha);
	gateway_extension_clear(&e);
}

/* The public extension object: exactly these five members. */
static void assert_extension_object(JsonObject *o, const char *ext,
				    const char *name)
{
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;

	assert_int_equal(json_object_get_size(o), 5);
	assert_string_equal(json_object_get_string_member(o, "extension"), ext);
	assert_string_equal(json_object_get_string_member(o, "displayName"),
			    name);
	assert_true(json_object_get_int_member(o, "createdAt") > now - 60);
	assert_true(json_object_get_int_member(o, "updatedAt") >=
		    json_object_get_int_member(o, "createdAt"));
}

static void create(struct api_fixture *f, const char *ext, const char *name)
{
	g_autofree char *body = g_strdup_printf(
		"{\"extension\":\"%s\",\"password\":\"%s\","
		"\"displayName\":\"%s\"}",
		ext, PASSWORD, name);

	assert_int_equal(test_api_call(&f->c, "POST", "/api/extensions", body),
			 201);
}

static void test_auth(void **state)
{
	struct api_fixture *f = *state;
	const char *bad[] = {NULL, "", "Bearer", "Bearer ",
			     "Bearer wrong-token", "Basic " TOKEN,
			     "Bearer " TOKEN "x", "Bearer" TOKEN};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		int st = test_api_request(&f->c, "GET", "/api/extensions", NULL,
					  bad[i], NULL, 0);

		test_api_assert_error(&f->c, 401, st,
				      "missing or invalid admin token");
	}
	/* Before routing: an anonymous client learns nothing about paths. */
	test_api_assert_error(
		&f->c, 401,
		test_api_request(&f->c, "GET", "/nope", NULL, NULL, NULL, 0),
		"missing or invalid admin token");
	/* The scheme is case-insensitive; surrounding blanks are tolerated. */
	assert_int_equal(test_api_request(&f->c, "GET", "/api/extensions", NULL,
					  "bearer  " TOKEN " ", NULL, 0),
			 200);

	assert_true(gateway_api_token_ok(f->token_sha256, "Bearer " TOKEN));
	assert_false(gateway_api_token_ok(NULL, "Bearer " TOKEN));
	assert_false(gateway_api_token_ok("", "Bearer " TOKEN));
	assert_false(gateway_api_token_ok(f->token_sha256, NULL));
}

static void test_new_rejects_bad_config(void **state)
{
	struct api_fixture *f = *state;
	struct gateway_api *api = NULL;
	g_autofree char *upper = g_ascii_strup(f->token_sha256, -1);
	struct gateway_api_config cfg = {.realm = REALM,
					 .min_password_len = MIN_PW,
					 .token_sha256 = "abc"};

	assert_int_equal(gateway_api_new(&api, f->db.store, &cfg, NULL, NULL),
			 EINVAL);
	cfg.token_sha256 = upper;
	assert_int_equal(gateway_api_new(&api, f->db.store, &cfg, NULL, NULL),
			 EINVAL);
	cfg.token_sha256 = f->token_sha256;
	cfg.realm = NULL;
	assert_int_equal(gateway_api_new(&api, f->db.store, &cfg, NULL, NULL),
			 EINVAL);
	assert_null(api);
}

static void test_routing(void **state)
{
	struct api_fixture *f = *state;

	test_api_assert_error(&f->c, 404,
			      test_api_call(&f->c, "GET", "/api/nope", NULL),
			      "not found");
	test_api_assert_error(
		&f->c, 404,
		test_api_call(&f->c, "GET", "/api/extensions/1001/nope", NULL),
		"not found");
	test_api_assert_error(
		&f->c, 404,
		test_api_call(&f->c, "GET", "/api/extensions/", NULL),
		"not found");
	test_api_assert_error(&f->c, 404,
			      test_api_call(&f->c, "GET", "/", NULL),
			      "not found");
	test_api_assert_error(
		&f->c, 405,
		test_api_call(&f->c, "PATCH", "/api/extensions", NULL),
		"method not allowed");
	test_api_assert_error(
		&f->c, 405,
		test_api_call(&f->c, "DELETE", "/api/extensions", NULL),
		"method not allowed");
	test_api_assert_error(
		&f->c, 405,
		test_api_call(&f->c, "POST", "/api/extensions/1001", "{}"),
		"method not allowed");
	test_api_assert_error(&f->c, 405,
			      test_api_call(&f->c, "DELETE",
					    "/api/extensions/1001/status",
					    NULL),
			      "method not allowed");
	test_api_assert_error(&f->c, 405,
			      test_api_call(&f->c, "PUT",
					    "/api/extensions/1001/attempts",
					    "{}"),
			      "method not allowed");
}

static void test_create_get_list(void **state)
{
	struct api_fixture *f = *state;
	JsonArray *arr;

	assert_int_equal(test_api_call(&f->c, "GET", "/api/extensions", NULL),
			 200);
	assert_int_equal(json_array_get_length(json_object_get_array_member(
				 test_api_obj(&f->c), "extensions")),
			 0);

	assert_int_equal(
		test_api_call(
			&f->c, "POST", "/api/extensions",
			"{\"extension\":\"1001\",\"password\":\"" PASSWORD "\","
			"\"displayName\":\"Alice\",\"unknownField\":[1,2]}"),
		201);
	assert_extension_object(test_api_obj(&f->c), "1001", "Alice");
	assert_null(strstr(f->c.resp.body, PASSWORD));
	assert_null(strstr(f->c.resp.body, "ha1"));
	assert_stored_ha1(f, "1001", PASSWORD);
	assert_true(test_logged("ovoz-api: extension 1001 created"));

	/* displayName is optional. */
	assert_int_equal(
		test_api_call(
			&f->c, "POST", "/api/extensions",
			"{\"extension\":\"a.B_c-9\",\"password\":\"" PASSWORD
			"\"}"),
		201);
	assert_extension_object(test_api_obj(&f->c), "a.B_c-9", "");

	assert_int_equal(
		test_api_call(&f->c, "GET", "/api/extensions/1001", NULL), 200);
	assert_extension_object(test_api_obj(&f->c), "1001", "Alice");

	assert_int_equal(test_api_call(&f->c, "GET", "/api/extensions", NULL),
			 200);
	assert_int_equal(json_object_get_size(test_api_obj(&f->c)), 1);
	arr = json_object_get_array_member(test_api_obj(&f->c), "extensions");
	assert_int_equal(json_array_get_length(arr), 2);
	assert_extension_object(json_array_get_object_element(arr, 0), "1001",
				"Alice");
	assert_extension_object(json_array_get_object_element(arr, 1),
				"a.B_c-9", "");

	test_api_assert_error(
		&f->c, 404,
		test_api_call(&f->c, "GET", "/api/extensions/1002", NULL),
		"extension 1002 not found");
}

static void test_create_errors(void **state)
{
	struct api_fixture *f = *state;
	static const char ext_msg[] =
		"extension must be 1-32 characters of "
		"A-Z, a-z, 0-9, '_', '.', '-', not only dots";
	static const struct {
		const char *body;
		const char *error;
	} cases[] = {
		{"{\"extension\":\"1001\",\"password\":\"short\"}",
		 "password must be at least 8 characters"},
		{"{\"extension\":\"1001\"}", "password is required"},
		{"{\"extension\":\"1001\",\"password\":12345678}",
		 "password must be a string"},
		{"{\"extension\":1001,\"password\":\"" PASSWORD "\"}",
		 "extension must be a string"},
		{"{\"extension\":\"1001\",\"password\":\"" PASSWORD "\","
		 "\"displayName\":7}",
		 "displayName must be a string"},
		{"{\"extension\":\"1001\",\"password\":\"" PASSWORD "\","
		 "\"displayName\":\"a\\u0007b\"}",
		 "displayName must be at most 64 characters without control "
		 "characters"},
		{"{\"password\":\"" PASSWORD "\"}", ext_msg},
		{"{\"extension\":\"\",\"password\":\"" PASSWORD "\"}", ext_msg},
		{"{\"extension\":\"10 01\",\"password\":\"" PASSWORD "\"}",
		 ext_msg},
		{"{\"extension\":\"10/01\",\"password\":\"" PASSWORD "\"}",
		 ext_msg},
		{"{\"extension\":\"123456789012345678901234567890123\","
		 "\"password\":\"" PASSWORD "\"}",
		 ext_msg},
		{"{\"extension\":\".\",\"password\":\"" PASSWORD "\"}",
		 ext_msg},
		{"{\"extension\":\"..\",\"password\":\"" PASSWORD "\"}",
		 ext_msg},
		{"{\"extension\":\"...\",\"password\":\"" PASSWORD "\"}",
		 ext_msg},
		{"{\"extension\":\"10\\u000001\",\"password\":\"" PASSWORD
		 "\"}",
		 "invalid JSON: \\u0000 is not allowed in strings"},
		{"{\"extension\":\"1001\",\"password\":\"Correct\\u0000x\"}",
		 "invalid JSON: \\u0000 is not allowed in strings"},
		{"{\"extension\":\"1001\",\"password\":\"" PASSWORD "\","
		 "\"displayName\":\"Al\\u0000\\u0007\"}",
		 "invalid JSON: \\u0000 is not allowed in strings"},
		{"{\"extension\":\"1001\",\"password\":"
		 "\"Correct\\u0001Horse\"}",
		 "password must not contain control characters"},
		{"{\"extension\":\"1001\",\"password\":\"Correct\\tHorse\"}",
		 "password must not contain control characters"},
		{"{\"extension\":\"1001\",\"password\":"
		 "\"Correct\\u007fHorse\"}",
		 "password must not contain control characters"},
		{"{\"extension\":\"1001\",\"password\":"
		 "\"Correct\\u0085Horse\"}",
		 "password must not contain control characters"},
		{"{\"extension\":\"1001\",\"password\":\"Correct\x1bHorse\"}",
		 "password must not contain control characters"},
		{"[1,2]", "invalid JSON: request body must be a JSON object"},
		{"\"1001\"",
		 "invalid JSON: request body must be a JSON object"},
	};
	g_autofree char *long_pw = g_strnfill(129, 'p');
	g_autofree char *long_name = g_strnfill(65, 'n');
	g_autofree char *body = NULL;
	g_autofree char *big = NULL;
	g_autoptr(GPtrArray) list = NULL;
	int st;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		st = test_api_call(&f->c, "POST", "/api/extensions",
				   cases[i].body);
		test_api_assert_error(&f->c, 400, st, cases[i].error);
	}

	st = test_api_call(&f->c, "POST", "/api/extensions",
			   "{\"extension\": \"1001\",");
	assert_int_equal(st, 400);
	assert_true(g_str_has_prefix(test_api_error(&f->c), "invalid JSON: "));
	assert_true(strlen(test_api_error(&f->c)) > strlen("invalid JSON: "));
	st = test_api_call(&f->c, "POST", "/api/extensions", NULL);
	test_api_assert_error(&f->c, 400, st, "invalid JSON: empty body");

	body = g_strdup_printf("{\"extension\":\"1001\",\"password\":\"%s\"}",
			       long_pw);
	test_api_assert_error(
		&f->c, 400,
		test_api_call(&f->c, "POST", "/api/extensions", body),
		"password must be at most 128 characters");
	g_free(body);
	body = g_strdup_printf("{\"extension\":\"1001\",\"password\":\"%s\","
			       "\"displayName\":\"%s\"}",
			       PASSWORD, long_name);
	test_api_assert_error(
		&f->c, 400,
		test_api_call(&f->c, "POST", "/api/extensions", body),
		"displayName must be at most 64 characters without "
		"control characters");

	/* 64 KiB + 1 of otherwise valid JSON. */
	big = g_strnfill(64 * 1024 + 1, ' ');
	big[0] = '{';
	big[64 * 1024] = '}';
	test_api_assert_error(
		&f->c, 413,
		test_api_call(&f->c, "POST", "/api/extensions", big),
		"request body too large (limit 65536 bytes)");

	/* A body the HTTP server stopped reading: 413 once the token is
	 * right, whatever the path; 401 without it. */
	struct gateway_api_request dropped = {
		.method = "POST", .path = "/api/nowhere",
		.authorization = "Bearer " TOKEN, .body_too_large = true};
	gateway_api_response_clear(&f->c.resp);
	gateway_api_handle(f->c.api, &dropped, &f->c.resp);
	assert_int_equal(f->c.resp.status, 413);
	dropped.authorization = "Bearer wrong";
	gateway_api_response_clear(&f->c.resp);
	gateway_api_handle(f->c.api, &dropped, &f->c.resp);
	assert_int_equal(f->c.resp.status, 401);

	/* Nothing above may have created a row. */
	assert_int_equal(gateway_store_extension_list(f->db.store, &list), 0);
	assert_int_equal(list->len, 0);

	create(f, "1001", "Alice");
	st = test_api_call(&f->c, "POST", "/api/extensions",
			   "{\"extension\":\"1001\",\"password\":\"" PASSWORD2
			   "\"}");
	test_api_assert_error(&f->c, 409, st, "extension 1001 already exists");
	/* The duplicate did not overwrite the original's password. */
	assert_stored_ha1(f, "1001", PASSWORD);
}

/* A literal backslash before "u0000" is text, not the escape. */
static void test_password_backslash_is_text(void **state)
{
	struct api_fixture *f = *state;

	assert_int_equal(test_api_call(&f->c, "POST", "/api/extensions",
				       "{\"extension\":\"1001\","
				       "\"password\":\"back\\\\u0000slash\"}"),
			 201);
	assert_stored_ha1(f, "1001", "back\\u0000slash");
}

static void test_update(void **state)
{
	struct api_fixture *f = *state;
	struct gateway_extension before = {0};
	int st;

	create(f, "1001", "Alice");
	assert_int_equal(
		gateway_store_extension_get(f->db.store, "1001", &before), 0);

	st = test_api_call(&f->c, "PUT", "/api/extensions/1001",
			   "{\"password\":\"" PASSWORD2 "\"}");
	assert_int_equal(st, 200);
	assert_extension_object(test_api_obj(&f->c), "1001", "Alice");
	assert_stored_ha1(f, "1001", PASSWORD2);
	assert_true(test_logged("ovoz-api: extension 1001 password changed"));

	st = test_api_call(&f->c, "PUT", "/api/extensions/1001",
			   "{\"displayName\":\"Alice Smith\"}");
	assert_int_equal(st, 200);
	assert_extension_object(test_api_obj(&f->c), "1001", "Alice Smith");
	assert_int_equal(
		json_object_get_int_member(test_api_obj(&f->c), "createdAt"),
		before.created_at);
	assert_stored_ha1(f, "1001", PASSWORD2);

	test_api_assert_error(
		&f->c, 400,
		test_api_call(&f->c, "PUT", "/api/extensions/1001",
			      "{\"other\":1}"),
		"nothing to update: give password, displayName and/or srtp");
	test_api_assert_error(&f->c, 400,
			      test_api_call(&f->c, "PUT",
					    "/api/extensions/1001",
					    "{\"password\":\"short\"}"),
			      "password must be at least 8 characters");
	test_api_assert_error(&f->c, 400,
			      test_api_call(&f->c, "PUT",
					    "/api/extensions/1001",
					    "{\"password\":true}"),
			      "password must be a string");
	test_api_assert_error(
		&f->c, 400,
		test_api_call(&f->c, "PUT", "/api/extensions/1001",
			      "{\"password\":\"Battery\\u0000\"}"),
		"invalid JSON: \\u0000 is not allowed in strings");
	test_api_assert_error(
		&f->c, 400,
		test_api_call(&f->c, "PUT", "/api/extensions/1001",
			      "{\"password\":\"Battery\\nStaple\"}"),
		"password must not contain control characters");
	st = test_api_call(&f->c, "PUT", "/api/extensions/1001", "{oops");
	assert_int_equal(st, 400);
	assert_true(g_str_has_prefix(test_api_error(&f->c), "invalid JSON: "));
	assert_stored_ha1(f, "1001", PASSWORD2);

	test_api_assert_error(&f->c, 404,
			      test_api_call(&f->c, "PUT",
					    "/api/extensions/1002",
					    "{\"password\":\"" PASSWORD "\"}"),
			      "extension 1002 not found");
	test_api_assert_error(
		&f->c, 400,
		test_api_call(&f->c, "PUT", "/api/extensions/bad%20id",
			      "{\"password\":\"" PASSWORD "\"}"),
		"extension must be 1-32 characters of A-Z, a-z, 0-9, "
		"'_', '.', '-', not only dots");
	gateway_extension_clear(&before);
}

/* "srtp": offered to the extension's UDP phones; stored, in memory for
 * the relay, and kept over a reopen; a wrong type changes nothing. */
static void test_srtp(void **state)
{
	struct api_fixture *f = *state;
	struct gateway_extension e = {0};
	int st;

	create(f, "1001", "Alice");
	assert_false(json_object_get_boolean_member(test_api_obj(&f->c),
						    "srtp"));
	assert_false(gateway_store_extension_srtp(f->db.store, "1001"));
	st = test_api_call(&f->c, "PUT", "/api/extensions/1001",
			   "{\"srtp\":true}");
	assert_int_equal(st, 200);
	assert_true(json_object_get_boolean_member(test_api_obj(&f->c),
						   "srtp"));
	assert_true(gateway_store_extension_srtp(f->db.store, "1001"));
	assert_true(test_logged("ovoz-api: extension 1001: SRTP offered to its phones"));
	assert_stored_ha1(f, "1001", PASSWORD);
	test_api_assert_error(&f->c, 400,
			      test_api_call(&f->c, "PUT",
					    "/api/extensions/1001",
					    "{\"srtp\":\"yes\"}"),
			      "srtp must be true or false");
	assert_true(gateway_store_extension_srtp(f->db.store, "1001"));
	st = test_api_call(&f->c, "POST", "/api/extensions",
			   "{\"extension\":\"1002\",\"password\":\"" PASSWORD
			   "\",\"srtp\":true}");
	assert_int_equal(st, 201);
	assert_true(json_object_get_boolean_member(test_api_obj(&f->c),
						   "srtp"));
	test_api_assert_error(&f->c, 400,
			      test_api_call(&f->c, "POST", "/api/extensions",
					    "{\"extension\":\"1003\","
					    "\"password\":\"" PASSWORD "\","
					    "\"srtp\":1}"),
			      "srtp must be true or false");
	assert_int_equal(gateway_store_extension_get(f->db.store, "1003", &e),
			 ENOENT);
	test_api_assert_error(&f->c, 404,
			      test_api_call(&f->c, "PUT",
					    "/api/extensions/1009",
					    "{\"srtp\":true}"),
			      "extension 1009 not found");
	st = test_api_call(&f->c, "PUT", "/api/extensions/1002",
			   "{\"srtp\":false}");
	assert_int_equal(st, 200);
	assert_false(gateway_store_extension_srtp(f->db.store, "1002"));
	/* The row is the truth after a restart (the API is not used after
	 * this: it holds the store that was closed). */
	test_db_reopen(&f->db);
	assert_true(gateway_store_extension_srtp(f->db.store, "1001"));
	assert_false(gateway_store_extension_srtp(f->db.store, "1002"));
	assert_int_equal(gateway_store_extension_get(f->db.store, "1001", &e), 0);
	assert_true(e.srtp);
	gateway_extension_clear(&e);
}

static void test_delete(void **state)
{
	struct api_fixture *f = *state;

	create(f, "1001", "Alice");
	assert_int_equal(
		test_api_call(&f->c, "DELETE", "/api/extensions/1001", NULL),
		204);
	assert_null(f->c.resp.body);
	assert_int_equal(f->n_deleted, 1);
	assert_string_equal(f->deleted[0], "1001");
	assert_true(test_logged("ovoz-api: extension 1001 deleted"));
	test_api_assert_error(
		&f->c, 404,
		test_api_call(&f->c, "GET", "/api/extensions/1001", NULL),
		"extension 1001 not found");

	test_api_assert_error(
		&f->c, 404,
		test_api_call(&f->c, "DELETE", "/api/extensions/1001", NULL),
		"extension 1001 not found");
	assert_int_equal(f->n_deleted, 1);
	test_api_assert_error(
		&f->c, 400,
		test_api_call(&f->c, "DELETE", "/api/extensions/a:b", NULL),
		"extension must be 1-32 characters of A-Z, a-z, 0-9, "
		"'_', '.', '-', not only dots");
}

static void test_status(void **state)
{
	struct api_fixture *f = *state;
	JsonArray *contacts;
	JsonObject *c;

	test_api_assert_error(&f->c, 404,
			      test_api_call(&f->c, "GET",
					    "/api/extensions/1001/status",
					    NULL),
			      "extension 1001 not found");
	create(f, "1001", "Alice");
	create(f, "1002", "Bob");

	assert_int_equal(test_api_call(&f->c, "GET",
				       "/api/extensions/1001/status", NULL),
			 200);
	assert_string_equal(
		json_object_get_string_member(test_api_obj(&f->c), "extension"),
		"1001");
	assert_true(json_object_get_boolean_member(test_api_obj(&f->c),
						   "registered"));
	contacts =
		json_object_get_array_member(test_api_obj(&f->c), "contacts");
	assert_int_equal(json_array_get_length(contacts), 1);
	c = json_array_get_object_element(contacts, 0);
	assert_string_equal(json_object_get_string_member(c, "contact"),
			    "sip:1001@198.51.100.7:5060");
	assert_int_equal(json_object_get_int_member(c, "expires"), 120);

	assert_int_equal(test_api_call(&f->c, "GET",
				       "/api/extensions/1002/status", NULL),
			 200);
	assert_false(json_object_get_boolean_member(test_api_obj(&f->c),
						    "registered"));
	assert_int_equal(json_array_get_length(json_object_get_array_member(
				 test_api_obj(&f->c), "contacts")),
			 0);

	/* No hooks installed: still a well-formed answer. */
	api_fixture_drop_hooks(f);
	assert_int_equal(test_api_call(&f->c, "GET",
				       "/api/extensions/1001/status", NULL),
			 200);
	assert_false(json_object_get_boolean_member(test_api_obj(&f->c),
						    "registered"));
	assert_int_equal(
		test_api_call(&f->c, "DELETE", "/api/extensions/1001", NULL),
		204);
}

static void add_attempt(struct api_fixture *f, const char *ext, int n)
{
	g_autofree char *detail = g_strdup_printf("attempt %d", n);
	struct gateway_attempt a = {
		.at = 1700000000 + n,
		.extension = (char *)ext,
		.source = "203.0.113.5:48355",
		.transport = "udp",
		.user_agent = "MicroSIP/3.21.3",
		.outcome = "wrong_password",
		.status = 403,
		.detail = detail,
	};

	assert_int_equal(gateway_store_attempt_add(f->db.store, &a, 1000), 0);
}

static void test_attempts(void **state)
{
	struct api_fixture *f = *state;
	const char *bad[] = {"limit=0", "limit=501", "limit=abc", "limit=",
			     "limit=-1", "limit=5x"};
	JsonArray *arr;
	JsonObject *a;

	create(f, "1001", "Alice");
	for (int i = 0; i < 60; i++)
		add_attempt(f, "1001", i);
	add_attempt(f, "9999", 100);

	assert_int_equal(test_api_call(&f->c, "GET",
				       "/api/extensions/1001/attempts", NULL),
			 200);
	assert_string_equal(
		json_object_get_string_member(test_api_obj(&f->c), "extension"),
		"1001");
	arr = json_object_get_array_member(test_api_obj(&f->c), "attempts");
	assert_int_equal(json_array_get_length(arr), 50);
	a = json_array_get_object_element(arr, 0);
	assert_int_equal(json_object_get_size(a), 7);
	assert_int_equal(json_object_get_int_member(a, "at"), 1700000059);
	assert_string_equal(json_object_get_string_member(a, "source"),
			    "203.0.113.5:48355");
	assert_string_equal(json_object_get_string_member(a, "transport"),
			    "udp");
	assert_string_equal(json_object_get_string_member(a, "userAgent"),
			    "MicroSIP/3.21.3");
	assert_string_equal(json_object_get_string_member(a, "outcome"),
			    "wrong_password");
	assert_int_equal(json_object_get_int_member(a, "status"), 403);
	assert_string_equal(json_object_get_string_member(a, "detail"),
			    "attempt 59");

	assert_int_equal(
		test_api_request(&f->c, "GET", "/api/extensions/1001/attempts",
				 "foo=1&limit=3", "Bearer " TOKEN, NULL, 0),
		200);
	arr = json_object_get_array_member(test_api_obj(&f->c), "attempts");
	assert_int_equal(json_array_get_length(arr), 3);
	assert_string_equal(json_object_get_string_member(
				    json_array_get_object_element(arr, 2),
				    "detail"),
			    "attempt 57");

	/* Unknown extensions are listed: that is the diagnosis. */
	assert_int_equal(test_api_call(&f->c, "GET",
				       "/api/extensions/9999/attempts", NULL),
			 200);
	arr = json_object_get_array_member(test_api_obj(&f->c), "attempts");
	assert_int_equal(json_array_get_length(arr), 1);
	assert_int_equal(test_api_call(&f->c, "GET",
				       "/api/extensions/7777/attempts", NULL),
			 200);
	arr = json_object_get_array_member(test_api_obj(&f->c), "attempts");
	assert_int_equal(json_array_get_length(arr), 0);

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		int st = test_api_request(&f->c, "GET",
					  "/api/extensions/1001/attempts",
					  bad[i], "Bearer " TOKEN, NULL, 0);

		test_api_assert_error(&f->c, 400, st,
				      "limit must be an integer from 1 to 500");
	}
}

static void test_password_never_stored_or_logged(void **state)
{
	struct api_fixture *f = *state;
	g_autofree char *wal = g_strconcat(f->db.path, "-wal", NULL);
	g_autofree char *md5 = expected_ha1(G_CHECKSUM_MD5, "1001", PASSWORD2);

	create(f, "1001", "Alice");
	assert_int_equal(test_api_call(&f->c, "PUT", "/api/extensions/1001",
				       "{\"password\":\"" PASSWORD2 "\"}"),
			 200);
	/* The HA1 is on disk (so the scan below looks at the right bytes)... */
	assert_true(test_file_contains(f->db.path, md5) ||
		    test_file_contains(wal, md5));
	/* ...and neither password is, nor in any log line. */
	assert_false(test_file_contains(f->db.path, PASSWORD));
	assert_false(test_file_contains(wal, PASSWORD));
	assert_false(test_file_contains(f->db.path, PASSWORD2));
	assert_false(test_file_contains(wal, PASSWORD2));
	assert_true(test_log_lines->len > 0);
	assert_false(test_logged_substring(PASSWORD));
	assert_false(test_logged_substring(PASSWORD2));
	assert_false(test_logged_substring(TOKEN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, api_fixture_setup, \
						 api_fixture_teardown)
		T(test_auth),
		T(test_new_rejects_bad_config),
		T(test_routing),
		T(test_create_get_list),
		T(test_create_errors),
		T(test_update),
		T(test_srtp),
		T(test_password_backslash_is_text),
		T(test_delete),
		T(test_status),
		T(test_attempts),
		T(test_password_never_stored_or_logged),
#undef T
	};
	return cmocka_run_group_tests(tests, test_log_group_setup,
				      test_log_group_teardown);
}
