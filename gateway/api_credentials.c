/*
 * gateway/api_credentials.c - POST /api/credentials: an ephemeral
 * credential for one extension (sip/ephemeral.h), for a web phone that
 * must sign in without its password. The password is returned once and
 * never logged or stored; the secret that signs it stays here.
 */
#define G_LOG_DOMAIN "ovoz-api"

#include "gateway/api_private.h"

#include <errno.h>
#include <string.h>

#include "sip/ephemeral.h"

#define API_TTL_DEFAULT 3600
#define API_TTL_MAX 86400

/* "ttl": an optional integer from 1 to API_TTL_MAX. False with the reply
 * sent for anything else. */
static bool api_credentials_ttl(JsonObject *obj, int64_t *ttl,
				struct gateway_api_response *resp)
{
	JsonNode *n = json_object_get_member(obj, "ttl");
	int64_t v;

	*ttl = API_TTL_DEFAULT;
	if (!n)
		return true;
	if (!JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_INT64 ||
	    (v = json_node_get_int(n)) < 1 || v > API_TTL_MAX) {
		api_error(resp, 400, "ttl must be an integer from 1 to %d "
			  "(seconds)", API_TTL_MAX);
		return false;
	}
	*ttl = v;
	return true;
}

static void api_credentials_reply(const char *ext, const char *user,
				  const char *pw, int64_t expires_at,
				  struct gateway_api_response *resp)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "extension");
	json_builder_add_string_value(b, ext);
	json_builder_set_member_name(b, "username");
	json_builder_add_string_value(b, user);
	json_builder_set_member_name(b, "password");
	json_builder_add_string_value(b, pw);
	json_builder_set_member_name(b, "expiresAt");
	json_builder_add_int_value(b, expires_at);
	json_builder_end_object(b);
	api_reply(resp, 201, b);
}

void api_credentials_mint(struct gateway_api *api, const char *unused,
			  const struct gateway_api_request *req,
			  struct gateway_api_response *resp)
{
	g_autoptr(JsonParser) parser = NULL;
	g_autofree char *user = NULL;
	struct gateway_extension e = {0};
	char pw[SIP_EPHEMERAL_PASSWORD_MAX];
	JsonObject *obj = NULL;
	const char *ext;
	int64_t ttl, expires_at;
	int err;

	parser = api_parse_object(req, &obj, resp);
	if (!parser || !api_member_string(obj, "extension", &ext, resp) ||
	    !api_credentials_ttl(obj, &ttl, resp))
		return;
	if (!ext || !api_ext_is_valid(ext)) {
		api_error(resp, 400, "extension must be 1-32 characters of "
			  "A-Z, a-z, 0-9, '_', '.', '-', not only dots");
		return;
	}
	if (!api->ephemeral_secret) {
		api_error(resp, 503, "ephemeral credentials are not set up");
		return;
	}
	err = gateway_store_extension_get(api->store, ext, &e);
	if (err == ENOENT) {
		api_error(resp, 404, "extension %s not found", ext);
		return;
	}
	if (err) {
		api_store_fail(resp, err);
		return;
	}
	gateway_extension_clear(&e);
	expires_at = g_get_real_time() / G_USEC_PER_SEC + ttl;
	user = sip_ephemeral_mint(api->ephemeral_secret, ext, expires_at, pw);
	g_message("ephemeral credential for extension %s minted, valid for "
		  "%" G_GINT64_FORMAT " s", ext, ttl);
	api_credentials_reply(ext, user, pw, expires_at, resp);
	memset(pw, 0, sizeof(pw));
}

/* Host and port of "ip:port" / "[v6]:port"; false for "off" or junk. */
static bool api_split_listen(const char *listen, char **host, guint64 *port)
{
	const char *colon = listen ? strrchr(listen, ':') : NULL;

	if (!colon || !g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535,
						   port, NULL))
		return false;
	if (listen[0] == '[' && colon > listen + 1 && colon[-1] == ']')
		*host = g_strndup(listen + 1, (gsize)(colon - listen - 2));
	else
		*host = g_strndup(listen, (gsize)(colon - listen));
	return true;
}

void api_server_info(struct gateway_api *api, const char *unused,
		     const struct gateway_api_request *req,
		     struct gateway_api_response *resp)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree char *host = NULL;
	guint64 port = 0;
	bool udp = api_split_listen(api->sip_udp, &host, &port);

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "realm");
	json_builder_add_string_value(b, api->realm);
	json_builder_set_member_name(b, "sipUdp");
	if (udp) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "host");
		json_builder_add_string_value(b, host);
		json_builder_set_member_name(b, "port");
		json_builder_add_int_value(b, (gint64)port);
		json_builder_end_object(b);
	} else {
		json_builder_add_null_value(b);
	}
	json_builder_set_member_name(b, "ephemeralCredentials");
	json_builder_add_boolean_value(b, api->ephemeral_secret != NULL);
	json_builder_end_object(b);
	api_reply(resp, 200, b);
}
