/*
 * gateway/api_private.h - what the API's files share: the API object, the
 * handler type and the JSON reply helpers. Not for other modules.
 */
#ifndef OVOZ_GATEWAY_API_PRIVATE_H
#define OVOZ_GATEWAY_API_PRIVATE_H

#include "gateway/api.h"

#define API_EXT_MAX 32
#define API_CALLS_DEFAULT 50
#define API_CALLS_MAX 500
#define API_OFFSET_MAX G_MAXINT32

/* Error text shared by the API files, so it reads the same everywhere. */
extern const char api_err_internal[];

/* Characters allowed in an extension id. */
bool api_is_ext_char(char c);
/* 1-32 of those, not only dots. */
bool api_ext_is_valid(const char *ext);
/* The body as a JSON object: the parser (owner of *@obj), or NULL with the
 * reply sent. */
JsonParser *api_parse_object(const struct gateway_api_request *req,
			     JsonObject **obj,
			     struct gateway_api_response *resp);
/* An optional string member: false (reply sent) when of another type;
 * *@out stays NULL when absent. */
bool api_member_string(JsonObject *obj, const char *name, const char **out,
		       struct gateway_api_response *resp);

struct gateway_api {
	struct gateway_store *store;
	struct sip_auth *auth; /* borrowed; NULL: no bans listed */
	char *realm;
	unsigned min_password_len;
	char *token_sha256;
	char *ephemeral_secret; /* NULL: minting is off */
	char *sip_udp;          /* "ip:port", "off" or NULL */
	struct gateway_api_hooks hooks;
	void *ctx;
};

typedef void (*api_handler_h)(struct gateway_api *api, const char *ext,
			      const struct gateway_api_request *req,
			      struct gateway_api_response *resp);

struct api_route {
	const char *method;
	/* Segments after "/"; "{ext}" matches one non-empty segment. */
	const char *pattern;
	api_handler_h handler;
};

/* Set @resp to @status with the JSON built in @b. */
void api_reply(struct gateway_api_response *resp, int status, JsonBuilder *b);
/* Set @resp to @status with {"error": "<message>"}. */
void G_GNUC_PRINTF(3, 4) api_error(struct gateway_api_response *resp,
				   int status, const char *fmt, ...);
void api_add_string_or_null(JsonBuilder *b, const char *name, const char *v);
/* A store error: 503 "database busy" for EBUSY, else 500. */
void api_store_fail(struct gateway_api_response *resp, int err);

/* gateway/api_calls.c - the call-log routes. */
void api_calls_list(struct gateway_api *api, const char *unused,
		    const struct gateway_api_request *req,
		    struct gateway_api_response *resp);
/* gateway/api_calls_csv.c - every call matching @f (limit and offset
 * ignored) as text/csv. */
void api_calls_csv(struct gateway_api *api,
		   const struct gateway_call_filter *f,
		   struct gateway_api_response *resp);
void api_calls_active(struct gateway_api *api, const char *unused,
		      const struct gateway_api_request *req,
		      struct gateway_api_response *resp);

/* gateway/api_credentials.c - POST /api/credentials. */
void api_credentials_mint(struct gateway_api *api, const char *unused,
			  const struct gateway_api_request *req,
			  struct gateway_api_response *resp);

/* GET /api/server: what a softphone needs to know about this server. */
void api_server_info(struct gateway_api *api, const char *unused,
		     const struct gateway_api_request *req,
		     struct gateway_api_response *resp);

/* gateway/api_doctor.c - the registration doctor's routes. */
void api_doctor_extension(struct gateway_api *api, const char *ext,
			  const struct gateway_api_request *req,
			  struct gateway_api_response *resp);
void api_doctor_server(struct gateway_api *api, const char *unused,
		       const struct gateway_api_request *req,
		       struct gateway_api_response *resp);

/* gateway/api_bans.c - the authentication ban routes. */
void api_bans_list(struct gateway_api *api, const char *unused,
		   const struct gateway_api_request *req,
		   struct gateway_api_response *resp);
void api_bans_lift(struct gateway_api *api, const char *id,
		   const struct gateway_api_request *req,
		   struct gateway_api_response *resp);

#endif
