/*
 * tests/mock/api_util.h - the admin REST API driven in process: requests
 * with or without the token, the parsed JSON body, and a fixture of the
 * API over a fresh store with fake gateway hooks (one UDP contact of 1001,
 * one live call, deleted extensions recorded).
 */
#ifndef OVOZ_TESTS_API_UTIL_H
#define OVOZ_TESTS_API_UTIL_H

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "gateway/api.h"
#include "store_util.h"

#define TEST_API_REALM "ovoz.test"
#define TEST_API_TOKEN "admin-token-0123456789"
#define TEST_API_MIN_PW 8

/** An API and its last answer. */
struct test_api {
	struct gateway_api *api;
	struct gateway_api_response resp;
	JsonNode *json; /* the last body, parsed; NULL when none */
};

/**
 * test_api_request() - one request to @c->api; returns the status and
 * keeps the body in @c->json, asserting it is a JSON object (every body
 * the API sends is one). @auth is the Authorization header or NULL.
 */
int test_api_request(struct test_api *c, const char *method,
		     const char *path, const char *query, const char *auth,
		     const char *body, size_t body_len);
/** The same with the TEST_API_TOKEN bearer token and no query. */
int test_api_call(struct test_api *c, const char *method, const char *path,
		  const char *body);
/** The last body as an object (asserts there was one). Borrowed. */
JsonObject *test_api_obj(struct test_api *c);
/** The "error" member of the last body. Borrowed. */
const char *test_api_error(struct test_api *c);
/** Assert @got is @status and the body is exactly {"error": @msg}. */
void test_api_assert_error(struct test_api *c, int status, int got,
			   const char *msg);
/** Drop the last answer and free the API. */
void test_api_clear(struct test_api *c);

struct api_fixture {
	struct test_db db;
	char *token_sha256;
	struct test_api c;
	char *deleted[4]; /* extensions the API reported deleted */
	int n_deleted;
};

/** cmocka set-up and tear-down of a struct api_fixture. */
int api_fixture_setup(void **state);
int api_fixture_teardown(void **state);
/** Replace the fixture's API by one without hooks, as a gateway that
 *  installed none would run it. */
void api_fixture_drop_hooks(struct api_fixture *f);

/** True when member @name of @o is present and null (asserts presence). */
bool test_json_is_null(JsonObject *o, const char *name);

#endif
