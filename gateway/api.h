/*
 * gateway/api.h - the admin REST API as a function of a request: method,
 * path, query, Authorization header and body in; status and JSON out.
 * The HTTP server (gateway/http.c) only moves bytes; everything an API
 * user sees is decided here, so it is unit-tested without sockets.
 *
 * Routes (all JSON, all behind "Authorization: Bearer <token>"):
 *   GET    /api/extensions
 *   POST   /api/extensions                {"extension","password","displayName"}
 *   GET    /api/extensions/{ext}
 *   PUT    /api/extensions/{ext}          {"password"?, "displayName"?}
 *   DELETE /api/extensions/{ext}
 *   GET    /api/extensions/{ext}/status   registered contacts
 *   GET    /api/extensions/{ext}/attempts recent REGISTER attempts (?limit=)
 *   GET    /api/calls                     the call log, newest first
 *          (?extension=&from=&to=&disposition=&limit=&offset=&format=csv)
 *   GET    /api/calls/active              live calls
 *   POST   /api/credentials               {"extension","ttl"?}: an ephemeral
 *                                         credential (sip/ephemeral.h)
 *   GET    /api/server                    realm and SIP UDP listener, for
 *                                         softphone settings
 *   GET    /api/extensions/{ext}/doctor   findings in plain words
 *   GET    /api/doctor                    server-wide findings
 *   GET    /api/bans                      authentication bans in force
 *   DELETE /api/bans/{id}                 lift one
 * Errors: {"error": "<message>"} with 400, 401, 404, 405, 409, 413, 500,
 * and 503 {"error": "database busy"} when the database stays locked for
 * GATEWAY_STORE_API_BUSY_MS (the request is not done; retry it).
 *
 * Threading: signalling thread only.
 */
#ifndef OVOZ_GATEWAY_API_H
#define OVOZ_GATEWAY_API_H

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/store.h"
#include "sip/auth.h"

struct gateway_api;

/** Largest request body the API reads; the HTTP server stops buffering
 *  there and sets body_too_large. */
#define GATEWAY_API_BODY_MAX (64 * 1024)

struct gateway_api_request {
	const char *method;        /* "GET", "POST", ... */
	const char *path;          /* "/api/extensions/1001" (no query) */
	const char *query;         /* "limit=10" or NULL */
	const char *authorization; /* Authorization header value or NULL */
	const uint8_t *body;
	size_t body_len;
	bool body_too_large; /* the server dropped a body over the limit */
};

struct gateway_api_response {
	int status;
	char *body; /* g_malloc'd JSON text; free with gateway_api_response_clear */
	/* Static Content-Type of @body; NULL: application/json. */
	const char *content_type;
};

/** Hooks into the live registrar and call table, installed by the
 *  gateway. */
struct gateway_api_hooks {
	/** Append one JSON object per live contact of @ext to @array:
	 *  {"contact","transport","source","userAgent","expires"(seconds left),
	 *   "expiresAt"(unix)}. */
	void (*contacts)(void *ctx, const char *ext, JsonArray *array);
	/** The extension was deleted: drop its live bindings. */
	void (*extension_deleted)(void *ctx, const char *ext);
	/** Append one JSON object per live call to @array (the format of
	 *  gateway_calls_active_json()). NULL: no calls are listed. */
	void (*active_calls)(void *ctx, JsonArray *array);
};

struct gateway_api_config {
	struct sip_auth *auth;      /* borrowed, outlives the API; NULL: no bans */
	const char *realm;          /* digest realm used for HA1 */
	unsigned min_password_len;  /* default 6 */
	const char *token_sha256;   /* lowercase hex SHA-256 of the admin token */
	/* Signs ephemeral credentials (sip/ephemeral.h); NULL: POST
	 * /api/credentials answers 503. */
	const char *ephemeral_secret;
	/* "[sip] udp" as configured ("0.0.0.0:5060" or "off"), for
	 * GET /api/server; NULL: not shown. */
	const char *sip_udp;
};

int gateway_api_new(struct gateway_api **out, struct gateway_store *store,
		    const struct gateway_api_config *cfg,
		    const struct gateway_api_hooks *hooks, void *ctx);
void gateway_api_free(struct gateway_api *api);

/** Handle one request. Always fills @resp. */
void gateway_api_handle(struct gateway_api *api,
			const struct gateway_api_request *req,
			struct gateway_api_response *resp);
void gateway_api_response_clear(struct gateway_api_response *resp);

/** Constant-time check of a "Bearer <token>" header against the hash. */
bool gateway_api_token_ok(const char *token_sha256, const char *authorization);

#endif
