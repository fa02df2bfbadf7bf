/*
 * tests/fuzz/fuzz_api.c - arbitrary bytes as the REST API's body, query and
 * path, against an in-memory store. The first byte picks the route.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "gateway/api.h"
#include "gateway/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TOKEN "fuzz-token-0123456789"

static struct gateway_api *fuzz_api(void)
{
	static struct gateway_api *api;
	static struct gateway_store *store;
	static char *hash;

	if (api)
		return api;
	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
	if (gateway_store_open(&store, ":memory:"))
		return NULL;
	hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, TOKEN, -1);
	struct gateway_api_config cfg = {.realm = "fuzz", .min_password_len = 6,
					 .token_sha256 = hash};
	if (gateway_api_new(&api, store, &cfg, NULL, NULL))
		return NULL;
	struct gateway_api_request req = {
		.method = "POST", .path = "/api/extensions",
		.authorization = "Bearer " TOKEN,
		.body = (const uint8_t *)"{\"extension\":\"1001\",\"password\":\"secret1\"}",
	};
	struct gateway_api_response resp = {0};
	req.body_len = strlen((const char *)req.body);
	gateway_api_handle(api, &req, &resp);
	gateway_api_response_clear(&resp);
	return api;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char *method, *path;
	} routes[] = {
		{"POST", "/api/extensions"},
		{"PUT", "/api/extensions/1001"},
		{"GET", "/api/extensions/1001/attempts"},
		{"GET", NULL}, /* path from the input */
		{"DELETE", NULL},
	};
	struct gateway_api *api = fuzz_api();
	struct gateway_api_response resp = {0};
	g_autofree char *text = NULL;

	if (!api || size == 0)
		return 0;
	unsigned pick = data[0] % G_N_ELEMENTS(routes);
	text = g_strndup((const char *)data + 1, size - 1);
	struct gateway_api_request req = {
		.method = routes[pick].method,
		.path = routes[pick].path ? routes[pick].path : text,
		.query = pick == 2 ? text : NULL,
		.authorization = (data[0] & 0x80) ? "Bearer nope" : "Bearer " TOKEN,
		.body = data + 1,
		.body_len = size - 1,
	};
	/* Never let the fuzzer delete the seed extension through DELETE. */
	if (pick == 4 && strcmp(text, "/api/extensions/1001") == 0)
		return 0;
	gateway_api_handle(api, &req, &resp);
	gateway_api_response_clear(&resp);
	return 0;
}
