/* tests/gateway/test_api.c - the admin REST API over a real sqlite store. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "gateway/api.h"
#include "gateway/store.h"

#define REALM "ovoz.test"
#define TOKEN "admin-token-0123456789"
#define PASSWORD "Correct-Horse-9"
#define PASSWORD2 "Battery-Staple-7"
#define MIN_PW 8

/* Every log line of the process, to check what operators see (and what
 * they must never see: passwords). */

struct fixture {
	char *dir;
	char *path;
	char *token_sha256;
	struct gateway_store *store;
	struct gateway_api *api;
	struct gateway_api_response resp;
	JsonNode *json;
	char *deleted[4];
	int n_deleted;
};

static void fake_contacts(void *ctx, const char *ext, JsonArray *array)
{
	JsonObject *o;

	if (strcmp(ext, "1001") != 0)
		return;
	o = json_object_new();
	json_object_set_string_member(o, "contact",
				      "sip:1001@198.51.100.7:5060");
	json_object_set_string_member(o, "transport", "udp");
	json_object_set_string_member(o, "source", "198.51.100.7:5060");
	json_object_set_string_member(o, "userAgent", "MicroSIP/3.21.3");
	json_object_set_int_member(o, "expires", 120);
	json_object_set_int_member(o, "expiresAt", 1700000120);
	json_array_add_object_element(array, o);
}

static void fake_deleted(void *ctx, const char *ext)
{
	struct fixture *f = ctx;

	assert_true(f->n_deleted < (int)G_N_ELEMENTS(f->deleted));
	f->deleted[f->n_deleted++] = g_strdup(ext);
}

static void fake_active_calls(void *ctx, JsonArray *array)
{
	JsonObject *o = json_object_new();

	json_object_set_string_member(o, "callId", "live@ws");
	json_object_set_string_member(o, "caller", "1001");
	json_object_set_string_member(o, "callerTransport", "wss");
	json_object_set_string_member(o, "callee", "1002");
	json_object_set_string_member(o, "calleeTransport", "udp");
	json_object_set_string_member(o, "state", "answered");
	json_object_set_int_member(o, "startedAt", 1700000000);
	json_object_set_int_member(o, "answeredAt", 1700000004);
	json_object_set_int_member(o, "duration", 17);
	json_array_add_object_element(array, o);
}

static const struct gateway_api_hooks hooks = {
	.contacts = fake_contacts,
	.extension_deleted = fake_deleted,
	.active_calls = fake_active_calls,
};

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	struct gateway_api_config cfg = {.realm = REALM,
					 .min_password_len = MIN_PW};

	f->dir = g_dir_make_tmp("ovoz-api-XXXXXX", NULL);
	assert_non_null(f->dir);
	f->path = g_build_filename(f->dir, "ovoz.db", NULL);
	f->token_sha256 =
		g_compute_checksum_for_string(G_CHECKSUM_SHA256, TOKEN, -1);
	cfg.token_sha256 = f->token_sha256;
	assert_int_equal(gateway_store_open(&f->store, f->path), 0);
	assert_int_equal(gateway_api_new(&f->api, f->store, &cfg, &hooks, f),
			 0);
	test_log_clear();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gateway_api_response_clear(&f->resp);
	g_clear_pointer(&f->json, json_node_unref);
	gateway_api_free(f->api);
	gateway_store_close(f->store);
	for (int i = 0; i < f->n_deleted; i++)
		g_free(f->deleted[i]);
	test_remove_dir(f->dir);
	g_free(f->dir);
	g_free(f->path);
	g_free(f->token_sha256);
	g_free(f);
	return 0;
}

/* One request; returns the status and keeps the parsed body in f->json. */
static int call_full(struct fixture *f, const char *method, const char *path,
		     const char *query, const char *auth, const char *body,
		     size_t body_len)
{
	struct gateway_api_request req = {
		.method = method,
		.path = path,
		.query = query,
		.authorization = auth,
		.body = (const uint8_t *)body,
		.body_len = body_len,
	};
	g_autoptr(GError) error = NULL;

	gateway_api_response_clear(&f->resp);
	g_clear_pointer(&f->json, json_node_unref);
	gateway_api_handle(f->api, &req, &f->resp);
	if (f->resp.body) {
		f->json = json_from_string(f->resp.body, &error);
		assert_null(error);
		assert_non_null(f->json);
		/* Every body the API sends is an object. */
		assert_true(JSON_NODE_HOLDS_OBJECT(f->json));
	}
	return f->resp.status;
}

static int call(struct fixture *f, const char *method, const char *path,
		const char *body)
{
	return call_full(f, method, path, NULL, "Bearer " TOKEN, body,
			 body ? strlen(body) : 0);
}

static JsonObject *obj(struct fixture *f)
{
	assert_non_null(f->json);
	return json_node_get_object(f->json);
}

static const char *error_text(struct fixture *f)
{
	return json_object_get_string_member(obj(f), "error");
}

static void assert_error(struct fixture *f, int status, int got,
			 const char *msg)
{
	assert_int_equal(got, status);
	assert_string_equal(error_text(f), msg);
	assert_int_equal(json_object_get_size(obj(f)), 1);
}

static char *expected_ha1(GChecksumType t, const char *ext, const char *pw)
{
	g_autofree char *in = g_strdup_printf("%s:%s:%s", ext, REALM, pw);

	return g_compute_checksum_for_string(t, in, -1);
}

static void assert_stored_ha1(struct fixture *f, const char *ext,
			      const char *pw)
{
	struct gateway_extension e = {0};
	g_autofree char *md5 = expected_ha1(G_CHECKSUM_MD5, ext, pw);
	g_autofree char *sha = expected_ha1(G_CHECKSUM_SHA256, ext, pw);

	assert_int_equal(gateway_store_extension_get(f->store, ext, &e), 0);
	assert_string_equal(e.ha1_md5, md5);
	assert_string_equal(e.ha1_sha256, sha);
	gateway_extension_clear(&e);
}

/* The public extension object: exactly these four members. */
static void assert_extension_object(JsonObject *o, const char *ext,
				    const char *name)
{
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;

	assert_int_equal(json_object_get_size(o), 4);
	assert_string_equal(json_object_get_string_member(o, "extension"), ext);
	assert_string_equal(json_object_get_string_member(o, "displayName"),
			    name);
	assert_true(json_object_get_int_member(o, "createdAt") > now - 60);
	assert_true(json_object_get_int_member(o, "updatedAt") >=
		    json_object_get_int_member(o, "createdAt"));
}

static void create(struct fixture *f, const char *ext, const char *name)
{
	g_autofree char *body = g_strdup_printf(
		"{\"extension\":\"%s\",\"password\":\"%s\","
		"\"displayName\":\"%s\"}",
		ext, PASSWORD, name);

	assert_int_equal(call(f, "POST", "/api/extensions", body), 201);
}

static void test_auth(void **state)
{
	struct fixture *f = *state;
	const char *bad[] = {NULL, "", "Bearer", "Bearer ",
			     "Bearer wrong-token", "Basic " TOKEN,
			     "Bearer " TOKEN "x", "Bearer" TOKEN};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		int st = call_full(f, "GET", "/api/extensions", NULL, bad[i],
				   NULL, 0);

		assert_error(f, 401, st, "missing or invalid admin token");
	}
	/* Before routing: an anonymous client learns nothing about paths. */
	assert_error(f, 401,
		     call_full(f, "GET", "/nope", NULL, NULL, NULL, 0),
		     "missing or invalid admin token");
	/* The scheme is case-insensitive; surrounding blanks are tolerated. */
	assert_int_equal(call_full(f, "GET", "/api/extensions", NULL,
				   "bearer  " TOKEN " ", NULL, 0),
			 200);

	assert_true(gateway_api_token_ok(f->token_sha256, "Bearer " TOKEN));
	assert_false(gateway_api_token_ok(NULL, "Bearer " TOKEN));
	assert_false(gateway_api_token_ok("", "Bearer " TOKEN));
	assert_false(gateway_api_token_ok(f->token_sha256, NULL));
}

static void test_new_rejects_bad_config(void **state)
{
	struct fixture *f = *state;
	struct gateway_api *api = NULL;
	g_autofree char *upper = g_ascii_strup(f->token_sha256, -1);
	struct gateway_api_config cfg = {.realm = REALM,
					 .min_password_len = MIN_PW,
					 .token_sha256 = "abc"};

	assert_int_equal(gateway_api_new(&api, f->store, &cfg, NULL, NULL),
			 EINVAL);
	cfg.token_sha256 = upper;
	assert_int_equal(gateway_api_new(&api, f->store, &cfg, NULL, NULL),
			 EINVAL);
	cfg.token_sha256 = f->token_sha256;
	cfg.realm = NULL;
	assert_int_equal(gateway_api_new(&api, f->store, &cfg, NULL, NULL),
			 EINVAL);
	assert_null(api);
}

static void test_routing(void **state)
{
	struct fixture *f = *state;

	assert_error(f, 404, call(f, "GET", "/api/nope", NULL), "not found");
	assert_error(f, 404, call(f, "GET", "/api/extensions/1001/nope", NULL),
		     "not found");
	assert_error(f, 404, call(f, "GET", "/api/extensions/", NULL),
		     "not found");
	assert_error(f, 404, call(f, "GET", "/", NULL), "not found");
	assert_error(f, 405, call(f, "PATCH", "/api/extensions", NULL),
		     "method not allowed");
	assert_error(f, 405, call(f, "DELETE", "/api/extensions", NULL),
		     "method not allowed");
	assert_error(f, 405, call(f, "POST", "/api/extensions/1001", "{}"),
		     "method not allowed");
	assert_error(f, 405, call(f, "DELETE", "/api/extensions/1001/status",
				  NULL),
		     "method not allowed");
	assert_error(f, 405, call(f, "PUT", "/api/extensions/1001/attempts",
				  "{}"),
		     "method not allowed");
}

static void test_create_get_list(void **state)
{
	struct fixture *f = *state;
	JsonArray *arr;

	assert_int_equal(call(f, "GET", "/api/extensions", NULL), 200);
	assert_int_equal(json_array_get_length(json_object_get_array_member(
				 obj(f), "extensions")),
			 0);

	assert_int_equal(
		call(f, "POST", "/api/extensions",
		     "{\"extension\":\"1001\",\"password\":\"" PASSWORD "\","
		     "\"displayName\":\"Alice\",\"unknownField\":[1,2]}"),
		201);
	assert_extension_object(obj(f), "1001", "Alice");
	assert_null(strstr(f->resp.body, PASSWORD));
	assert_null(strstr(f->resp.body, "ha1"));
	assert_stored_ha1(f, "1001", PASSWORD);
	assert_true(test_logged("ovoz-api: extension 1001 created"));

	/* displayName is optional. */
	assert_int_equal(call(f, "POST", "/api/extensions",
			      "{\"extension\":\"a.B_c-9\",\"password\":\"" PASSWORD
			      "\"}"),
			 201);
	assert_extension_object(obj(f), "a.B_c-9", "");

	assert_int_equal(call(f, "GET", "/api/extensions/1001", NULL), 200);
	assert_extension_object(obj(f), "1001", "Alice");

	assert_int_equal(call(f, "GET", "/api/extensions", NULL), 200);
	assert_int_equal(json_object_get_size(obj(f)), 1);
	arr = json_object_get_array_member(obj(f), "extensions");
	assert_int_equal(json_array_get_length(arr), 2);
	assert_extension_object(json_array_get_object_element(arr, 0), "1001",
				"Alice");
	assert_extension_object(json_array_get_object_element(arr, 1),
				"a.B_c-9", "");

	assert_error(f, 404, call(f, "GET", "/api/extensions/1002", NULL),
		     "extension 1002 not found");
}

static void test_create_errors(void **state)
{
	struct fixture *f = *state;
	static const char ext_msg[] = "extension must be 1-32 characters of "
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
		{"{\"extension\":\".\",\"password\":\"" PASSWORD "\"}", ext_msg},
		{"{\"extension\":\"..\",\"password\":\"" PASSWORD "\"}", ext_msg},
		{"{\"extension\":\"...\",\"password\":\"" PASSWORD "\"}", ext_msg},
		{"{\"extension\":\"10\\u000001\",\"password\":\"" PASSWORD "\"}",
		 "invalid JSON: \\u0000 is not allowed in strings"},
		{"{\"extension\":\"1001\",\"password\":\"Correct\\u0000x\"}",
		 "invalid JSON: \\u0000 is not allowed in strings"},
		{"{\"extension\":\"1001\",\"password\":\"" PASSWORD "\","
		 "\"displayName\":\"Al\\u0000\\u0007\"}",
		 "invalid JSON: \\u0000 is not allowed in strings"},
		{"{\"extension\":\"1001\",\"password\":\"Correct\\u0001Horse\"}",
		 "password must not contain control characters"},
		{"{\"extension\":\"1001\",\"password\":\"Correct\\tHorse\"}",
		 "password must not contain control characters"},
		{"{\"extension\":\"1001\",\"password\":\"Correct\\u007fHorse\"}",
		 "password must not contain control characters"},
		{"{\"extension\":\"1001\",\"password\":\"Correct\\u0085Horse\"}",
		 "password must not contain control characters"},
		{"{\"extension\":\"1001\",\"password\":\"Correct\x1bHorse\"}",
		 "password must not contain control characters"},
		{"[1,2]", "invalid JSON: request body must be a JSON object"},
		{"\"1001\"", "invalid JSON: request body must be a JSON object"},
	};
	g_autofree char *long_pw = g_strnfill(129, 'p');
	g_autofree char *long_name = g_strnfill(65, 'n');
	g_autofree char *body = NULL;
	g_autofree char *big = NULL;
	g_autoptr(GPtrArray) list = NULL;
	int st;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		st = call(f, "POST", "/api/extensions", cases[i].body);
		assert_error(f, 400, st, cases[i].error);
	}

	st = call(f, "POST", "/api/extensions", "{\"extension\": \"1001\",");
	assert_int_equal(st, 400);
	assert_true(g_str_has_prefix(error_text(f), "invalid JSON: "));
	assert_true(strlen(error_text(f)) > strlen("invalid JSON: "));
	st = call(f, "POST", "/api/extensions", NULL);
	assert_error(f, 400, st, "invalid JSON: empty body");

	body = g_strdup_printf("{\"extension\":\"1001\",\"password\":\"%s\"}",
			       long_pw);
	assert_error(f, 400, call(f, "POST", "/api/extensions", body),
		     "password must be at most 128 characters");
	g_free(body);
	body = g_strdup_printf("{\"extension\":\"1001\",\"password\":\"%s\","
			       "\"displayName\":\"%s\"}",
			       PASSWORD, long_name);
	assert_error(f, 400, call(f, "POST", "/api/extensions", body),
		     "displayName must be at most 64 characters without "
		     "control characters");

	/* 64 KiB + 1 of otherwise valid JSON. */
	big = g_strnfill(64 * 1024 + 1, ' ');
	big[0] = '{';
	big[64 * 1024] = '}';
	assert_error(f, 413, call(f, "POST", "/api/extensions", big),
		     "request body too large (limit 65536 bytes)");

	/* A body the HTTP server stopped reading: 413 once the token is
	 * right, whatever the path; 401 without it. */
	struct gateway_api_request dropped = {
		.method = "POST", .path = "/api/nowhere",
		.authorization = "Bearer " TOKEN, .body_too_large = true};
	gateway_api_response_clear(&f->resp);
	gateway_api_handle(f->api, &dropped, &f->resp);
	assert_int_equal(f->resp.status, 413);
	dropped.authorization = "Bearer wrong";
	gateway_api_response_clear(&f->resp);
	gateway_api_handle(f->api, &dropped, &f->resp);
	assert_int_equal(f->resp.status, 401);

	/* Nothing above may have created a row. */
	assert_int_equal(gateway_store_extension_list(f->store, &list), 0);
	assert_int_equal(list->len, 0);

	create(f, "1001", "Alice");
	st = call(f, "POST", "/api/extensions",
		  "{\"extension\":\"1001\",\"password\":\"" PASSWORD2 "\"}");
	assert_error(f, 409, st, "extension 1001 already exists");
	/* The duplicate did not overwrite the original's password. */
	assert_stored_ha1(f, "1001", PASSWORD);
}

/* A literal backslash before "u0000" is text, not the escape. */
static void test_password_backslash_is_text(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(call(f, "POST", "/api/extensions",
			      "{\"extension\":\"1001\","
			      "\"password\":\"back\\\\u0000slash\"}"),
			 201);
	assert_stored_ha1(f, "1001", "back\\u0000slash");
}

static void test_update(void **state)
{
	struct fixture *f = *state;
	struct gateway_extension before = {0};
	int st;

	create(f, "1001", "Alice");
	assert_int_equal(
		gateway_store_extension_get(f->store, "1001", &before), 0);

	st = call(f, "PUT", "/api/extensions/1001",
		  "{\"password\":\"" PASSWORD2 "\"}");
	assert_int_equal(st, 200);
	assert_extension_object(obj(f), "1001", "Alice");
	assert_stored_ha1(f, "1001", PASSWORD2);
	assert_true(test_logged("ovoz-api: extension 1001 password changed"));

	st = call(f, "PUT", "/api/extensions/1001",
		  "{\"displayName\":\"Alice Smith\"}");
	assert_int_equal(st, 200);
	assert_extension_object(obj(f), "1001", "Alice Smith");
	assert_int_equal(json_object_get_int_member(obj(f), "createdAt"),
			 before.created_at);
	assert_stored_ha1(f, "1001", PASSWORD2);

	assert_error(f, 400,
		     call(f, "PUT", "/api/extensions/1001",
			  "{\"other\":1}"),
		     "nothing to update: give password and/or displayName");
	assert_error(f, 400,
		     call(f, "PUT", "/api/extensions/1001",
			  "{\"password\":\"short\"}"),
		     "password must be at least 8 characters");
	assert_error(f, 400,
		     call(f, "PUT", "/api/extensions/1001",
			  "{\"password\":true}"),
		     "password must be a string");
	assert_error(f, 400,
		     call(f, "PUT", "/api/extensions/1001",
			  "{\"password\":\"Battery\\u0000\"}"),
		     "invalid JSON: \\u0000 is not allowed in strings");
	assert_error(f, 400,
		     call(f, "PUT", "/api/extensions/1001",
			  "{\"password\":\"Battery\\nStaple\"}"),
		     "password must not contain control characters");
	st = call(f, "PUT", "/api/extensions/1001", "{oops");
	assert_int_equal(st, 400);
	assert_true(g_str_has_prefix(error_text(f), "invalid JSON: "));
	assert_stored_ha1(f, "1001", PASSWORD2);

	assert_error(f, 404,
		     call(f, "PUT", "/api/extensions/1002",
			  "{\"password\":\"" PASSWORD "\"}"),
		     "extension 1002 not found");
	assert_error(f, 400,
		     call(f, "PUT", "/api/extensions/bad%20id",
			  "{\"password\":\"" PASSWORD "\"}"),
		     "extension must be 1-32 characters of A-Z, a-z, 0-9, "
		     "'_', '.', '-', not only dots");
	gateway_extension_clear(&before);
}

static void test_delete(void **state)
{
	struct fixture *f = *state;

	create(f, "1001", "Alice");
	assert_int_equal(call(f, "DELETE", "/api/extensions/1001", NULL), 204);
	assert_null(f->resp.body);
	assert_int_equal(f->n_deleted, 1);
	assert_string_equal(f->deleted[0], "1001");
	assert_true(test_logged("ovoz-api: extension 1001 deleted"));
	assert_error(f, 404, call(f, "GET", "/api/extensions/1001", NULL),
		     "extension 1001 not found");

	assert_error(f, 404, call(f, "DELETE", "/api/extensions/1001", NULL),
		     "extension 1001 not found");
	assert_int_equal(f->n_deleted, 1);
	assert_error(f, 400, call(f, "DELETE", "/api/extensions/a:b", NULL),
		     "extension must be 1-32 characters of A-Z, a-z, 0-9, "
		     "'_', '.', '-', not only dots");
}

static void test_status(void **state)
{
	struct fixture *f = *state;
	struct gateway_api *bare = NULL;
	struct gateway_api_config cfg = {.realm = REALM,
					 .min_password_len = MIN_PW,
					 .token_sha256 = f->token_sha256};
	JsonArray *contacts;
	JsonObject *c;

	assert_error(f, 404, call(f, "GET", "/api/extensions/1001/status", NULL),
		     "extension 1001 not found");
	create(f, "1001", "Alice");
	create(f, "1002", "Bob");

	assert_int_equal(call(f, "GET", "/api/extensions/1001/status", NULL),
			 200);
	assert_string_equal(json_object_get_string_member(obj(f), "extension"),
			    "1001");
	assert_true(json_object_get_boolean_member(obj(f), "registered"));
	contacts = json_object_get_array_member(obj(f), "contacts");
	assert_int_equal(json_array_get_length(contacts), 1);
	c = json_array_get_object_element(contacts, 0);
	assert_string_equal(json_object_get_string_member(c, "contact"),
			    "sip:1001@198.51.100.7:5060");
	assert_int_equal(json_object_get_int_member(c, "expires"), 120);

	assert_int_equal(call(f, "GET", "/api/extensions/1002/status", NULL),
			 200);
	assert_false(json_object_get_boolean_member(obj(f), "registered"));
	assert_int_equal(json_array_get_length(json_object_get_array_member(
				 obj(f), "contacts")),
			 0);

	/* No hooks installed: still a well-formed answer. */
	assert_int_equal(gateway_api_new(&bare, f->store, &cfg, NULL, NULL), 0);
	gateway_api_free(f->api);
	f->api = bare;
	assert_int_equal(call(f, "GET", "/api/extensions/1001/status", NULL),
			 200);
	assert_false(json_object_get_boolean_member(obj(f), "registered"));
	assert_int_equal(call(f, "DELETE", "/api/extensions/1001", NULL), 204);
}

static void add_attempt(struct fixture *f, const char *ext, int n)
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

	assert_int_equal(gateway_store_attempt_add(f->store, &a, 1000), 0);
}

static void test_attempts(void **state)
{
	struct fixture *f = *state;
	const char *bad[] = {"limit=0", "limit=501", "limit=abc", "limit=",
			     "limit=-1", "limit=5x"};
	JsonArray *arr;
	JsonObject *a;

	create(f, "1001", "Alice");
	for (int i = 0; i < 60; i++)
		add_attempt(f, "1001", i);
	add_attempt(f, "9999", 100);

	assert_int_equal(call(f, "GET", "/api/extensions/1001/attempts", NULL),
			 200);
	assert_string_equal(json_object_get_string_member(obj(f), "extension"),
			    "1001");
	arr = json_object_get_array_member(obj(f), "attempts");
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

	assert_int_equal(call_full(f, "GET", "/api/extensions/1001/attempts",
				   "foo=1&limit=3", "Bearer " TOKEN, NULL, 0),
			 200);
	arr = json_object_get_array_member(obj(f), "attempts");
	assert_int_equal(json_array_get_length(arr), 3);
	assert_string_equal(json_object_get_string_member(
				    json_array_get_object_element(arr, 2),
				    "detail"),
			    "attempt 57");

	/* Unknown extensions are listed: that is the diagnosis. */
	assert_int_equal(call(f, "GET", "/api/extensions/9999/attempts", NULL),
			 200);
	arr = json_object_get_array_member(obj(f), "attempts");
	assert_int_equal(json_array_get_length(arr), 1);
	assert_int_equal(call(f, "GET", "/api/extensions/7777/attempts", NULL),
			 200);
	arr = json_object_get_array_member(obj(f), "attempts");
	assert_int_equal(json_array_get_length(arr), 0);

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		int st = call_full(f, "GET", "/api/extensions/1001/attempts",
				   bad[i], "Bearer " TOKEN, NULL, 0);

		assert_error(f, 400, st, "limit must be an integer from 1 to 500");
	}
}

/* ---- call log ---- */

static void seed_calls(struct fixture *f)
{
	struct gateway_store *s = f->store;

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

static JsonArray *calls_array(struct fixture *f)
{
	return json_object_get_array_member(obj(f), "calls");
}

static const char *call_id_at(struct fixture *f, guint i)
{
	return json_object_get_string_member(
		json_array_get_object_element(calls_array(f), i), "callId");
}

static int get_calls(struct fixture *f, const char *query)
{
	return call_full(f, "GET", "/api/calls", query, "Bearer " TOKEN, NULL,
			 0);
}

static void assert_page(struct fixture *f, const char *query, int64_t total,
			int64_t limit, int64_t offset, const char *const *ids,
			guint n)
{
	assert_int_equal(get_calls(f, query), 200);
	assert_int_equal(json_object_get_size(obj(f)), 4);
	assert_int_equal(json_object_get_int_member(obj(f), "total"), total);
	assert_int_equal(json_object_get_int_member(obj(f), "limit"), limit);
	assert_int_equal(json_object_get_int_member(obj(f), "offset"), offset);
	assert_int_equal(json_array_get_length(calls_array(f)), n);
	for (guint i = 0; i < n; i++)
		assert_string_equal(call_id_at(f, i), ids[i]);
}

static bool is_null_member(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	assert_non_null(n);
	return JSON_NODE_HOLDS_NULL(n);
}

static void test_calls_list(void **state)
{
	struct fixture *f = *state;
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
	assert_true(is_null_member(c, "answeredAt"));
	assert_true(is_null_member(c, "calleeTransport"));
	assert_true(is_null_member(c, "hangupBy"));
	assert_int_equal(json_object_get_int_member(c, "duration"), 0);

	/* A call in progress: everything about its end is null. */
	c = json_array_get_object_element(calls_array(f), 2);
	assert_int_equal(json_object_get_size(c), 14);
	assert_string_equal(json_object_get_string_member(c, "callId"), "c3");
	assert_true(is_null_member(c, "answeredAt"));
	assert_true(is_null_member(c, "endedAt"));
	assert_true(is_null_member(c, "disposition"));
	assert_true(is_null_member(c, "status"));
	assert_true(is_null_member(c, "hangupBy"));
	assert_int_equal(json_object_get_int_member(c, "duration"), 0);
}

static void test_calls_filters(void **state)
{
	struct fixture *f = *state;

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
	struct fixture *f = *state;
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
		{"offset=1e3", "offset must be an integer from 0 to 2147483647"},
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
		{"extension=10%0001", "extension is not valid percent-encoding"},
		{"limit=5&offset=x", "offset must be an integer from 0 to "
				     "2147483647"},
	};

	seed_calls(f);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		assert_error(f, 400, get_calls(f, cases[i].query),
			     cases[i].error);
}

static void test_calls_auth_and_routes(void **state)
{
	struct fixture *f = *state;

	seed_calls(f);
	assert_error(f, 401,
		     call_full(f, "GET", "/api/calls", NULL, NULL, NULL, 0),
		     "missing or invalid admin token");
	assert_error(f, 401,
		     call_full(f, "GET", "/api/calls", "limit=5",
			       "Bearer wrong", NULL, 0),
		     "missing or invalid admin token");
	assert_error(f, 401,
		     call_full(f, "GET", "/api/calls/active", NULL, NULL, NULL,
			       0),
		     "missing or invalid admin token");
	assert_error(f, 405, call(f, "POST", "/api/calls", "{}"),
		     "method not allowed");
	assert_error(f, 405, call(f, "DELETE", "/api/calls/active", NULL),
		     "method not allowed");
	assert_error(f, 404, call(f, "GET", "/api/calls/c1", NULL),
		     "not found");
}

static void test_calls_active(void **state)
{
	struct fixture *f = *state;
	struct gateway_api *bare = NULL;
	struct gateway_api_config cfg = {.realm = REALM,
					 .min_password_len = MIN_PW,
					 .token_sha256 = f->token_sha256};
	JsonObject *c;

	assert_int_equal(call(f, "GET", "/api/calls/active", NULL), 200);
	assert_int_equal(json_object_get_size(obj(f)), 1);
	assert_int_equal(json_array_get_length(calls_array(f)), 1);
	c = json_array_get_object_element(calls_array(f), 0);
	assert_string_equal(json_object_get_string_member(c, "callId"),
			    "live@ws");
	assert_string_equal(json_object_get_string_member(c, "state"),
			    "answered");
	assert_int_equal(json_object_get_int_member(c, "duration"), 17);

	/* No hook installed: an empty list, not an error. */
	assert_int_equal(gateway_api_new(&bare, f->store, &cfg, NULL, NULL), 0);
	gateway_api_free(f->api);
	f->api = bare;
	assert_int_equal(call(f, "GET", "/api/calls/active", NULL), 200);
	assert_int_equal(json_array_get_length(calls_array(f)), 0);
}

static bool file_contains(const char *path, const char *needle)
{
	g_autofree char *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, NULL))
		return false;
	return memmem(data, len, needle, strlen(needle)) != NULL;
}

static void test_password_never_stored_or_logged(void **state)
{
	struct fixture *f = *state;
	g_autofree char *wal = g_strconcat(f->path, "-wal", NULL);
	g_autofree char *md5 = expected_ha1(G_CHECKSUM_MD5, "1001", PASSWORD2);

	create(f, "1001", "Alice");
	assert_int_equal(call(f, "PUT", "/api/extensions/1001",
			      "{\"password\":\"" PASSWORD2 "\"}"),
			 200);
	/* The HA1 is on disk (so the scan below looks at the right bytes)... */
	assert_true(file_contains(f->path, md5) || file_contains(wal, md5));
	/* ...and neither password is, nor in any log line. */
	assert_false(file_contains(f->path, PASSWORD));
	assert_false(file_contains(wal, PASSWORD));
	assert_false(file_contains(f->path, PASSWORD2));
	assert_false(file_contains(wal, PASSWORD2));
	assert_true(test_log_lines->len > 0);
	assert_false(test_logged_substring(PASSWORD));
	assert_false(test_logged_substring(PASSWORD2));
	assert_false(test_logged_substring(TOKEN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_auth),
		T(test_new_rejects_bad_config),
		T(test_routing),
		T(test_create_get_list),
		T(test_create_errors),
		T(test_update),
		T(test_password_backslash_is_text),
		T(test_delete),
		T(test_status),
		T(test_attempts),
		T(test_password_never_stored_or_logged),
		T(test_calls_list),
		T(test_calls_filters),
		T(test_calls_bad_params),
		T(test_calls_auth_and_routes),
		T(test_calls_active),
#undef T
	};
	int rc;

	test_log_start();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	test_log_stop();
	return rc;
}
