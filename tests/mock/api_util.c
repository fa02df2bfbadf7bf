/* tests/mock/api_util.c - the admin API in process, over a fresh store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api_util.h"

#include <string.h>

#include "test_util.h"

int test_api_request(struct test_api *c, const char *method,
		     const char *path, const char *query, const char *auth,
		     const char *body, size_t body_len)
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

	gateway_api_response_clear(&c->resp);
	g_clear_pointer(&c->json, json_node_unref);
	gateway_api_handle(c->api, &req, &c->resp);
	if (c->resp.body) {
		c->json = json_from_string(c->resp.body, &error);
		assert_null(error);
		assert_non_null(c->json);
		assert_true(JSON_NODE_HOLDS_OBJECT(c->json));
	}
	return c->resp.status;
}

int test_api_call(struct test_api *c, const char *method, const char *path,
		  const char *body)
{
	return test_api_request(c, method, path, NULL,
				"Bearer " TEST_API_TOKEN, body,
				body ? strlen(body) : 0);
}

JsonObject *test_api_obj(struct test_api *c)
{
	assert_non_null(c->json);
	return json_node_get_object(c->json);
}

const char *test_api_error(struct test_api *c)
{
	return json_object_get_string_member(test_api_obj(c), "error");
}

void test_api_assert_error(struct test_api *c, int status, int got,
			   const char *msg)
{
	assert_int_equal(got, status);
	assert_string_equal(test_api_error(c), msg);
	assert_int_equal(json_object_get_size(test_api_obj(c)), 1);
}

void test_api_clear(struct test_api *c)
{
	gateway_api_response_clear(&c->resp);
	g_clear_pointer(&c->json, json_node_unref);
	g_clear_pointer(&c->api, gateway_api_free);
}

bool test_json_is_null(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	assert_non_null(n);
	return JSON_NODE_HOLDS_NULL(n);
}

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
	struct api_fixture *f = ctx;

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

static const struct gateway_api_hooks fake_hooks = {
	.contacts = fake_contacts,
	.extension_deleted = fake_deleted,
	.active_calls = fake_active_calls,
};

static void api_fixture_start(struct api_fixture *f,
			      const struct gateway_api_hooks *hooks)
{
	struct gateway_api_config cfg = {.realm = TEST_API_REALM,
					 .min_password_len = TEST_API_MIN_PW,
					 .token_sha256 = f->token_sha256};

	assert_int_equal(gateway_api_new(&f->c.api, f->db.store, &cfg, hooks,
					 hooks ? f : NULL),
			 0);
}

void api_fixture_drop_hooks(struct api_fixture *f)
{
	test_api_clear(&f->c);
	api_fixture_start(f, NULL);
}

int api_fixture_setup(void **state)
{
	struct api_fixture *f = g_new0(struct api_fixture, 1);

	test_db_open(&f->db);
	f->token_sha256 = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
							TEST_API_TOKEN, -1);
	api_fixture_start(f, &fake_hooks);
	test_log_clear();
	*state = f;
	return 0;
}

int api_fixture_teardown(void **state)
{
	struct api_fixture *f = *state;

	test_api_clear(&f->c);
	test_db_close(&f->db);
	for (int i = 0; i < f->n_deleted; i++)
		g_free(f->deleted[i]);
	g_free(f->token_sha256);
	g_free(f);
	return 0;
}
