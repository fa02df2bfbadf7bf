/*
 * gateway/api.c - the admin REST API: routing table, token check, request
 * validation and JSON in/out (json-glib). No sockets here; gateway/http.c
 * feeds requests in and writes responses out.
 *
 * Plain passwords exist only inside one request: they are turned into HA1
 * values (MD5 and SHA-256, via sip_digest_ha1) and never logged or stored.
 */
#define G_LOG_DOMAIN "ovoz-api"

#include "gateway/api.h"
#include "gateway/api_private.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>

#include "sip/digest.h"

#define API_PASSWORD_MAX 128
#define API_DISPLAY_NAME_MAX 64
#define API_ATTEMPTS_DEFAULT 50
#define API_ATTEMPTS_MAX 500
#define API_SHA256_HEX 64

static const char api_err_token[] = "missing or invalid admin token";
static const char api_err_not_found[] = "not found";
static const char api_err_method[] = "method not allowed";
const char api_err_internal[] = "internal error (see server log)";
static const char api_err_busy[] = "database busy";
static const char api_err_ext_id[] =
	"extension must be 1-32 characters of A-Z, a-z, 0-9, '_', '.', '-',"
	" not only dots";

/* ---- responses ---- */

void api_reply(struct gateway_api_response *resp, int status,
		      JsonBuilder *b)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(b);

	json_generator_set_root(gen, root);
	resp->status = status;
	g_free(resp->body);
	resp->body = json_generator_to_data(gen, NULL);
}

void G_GNUC_PRINTF(3, 4)
	api_error(struct gateway_api_response *resp, int status,
		  const char *fmt, ...)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "error");
	json_builder_add_string_value(b, msg);
	json_builder_end_object(b);
	api_reply(resp, status, b);
}

/* A store failure: 503 while the database is locked (the request gave up
 * after GATEWAY_STORE_API_BUSY_MS rather than hold the loop), else 500. */
void api_store_fail(struct gateway_api_response *resp, int err)
{
	if (err == EBUSY)
		api_error(resp, 503, "%s", api_err_busy);
	else
		api_error(resp, 500, "%s", api_err_internal);
}

/* Map a store error that is not a client's fault. */
static void api_store_error(struct gateway_api_response *resp, int err,
			    const char *ext)
{
	if (err == ENOENT)
		api_error(resp, 404, "extension %s not found", ext);
	else
		api_store_fail(resp, err);
}

void api_add_string_or_null(JsonBuilder *b, const char *name,
				   const char *v)
{
	json_builder_set_member_name(b, name);
	if (v)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

/* The public view of an extension: never HA1 values. */
static void api_add_extension(JsonBuilder *b,
			      const struct gateway_extension *e)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "extension");
	json_builder_add_string_value(b, e->extension);
	json_builder_set_member_name(b, "displayName");
	json_builder_add_string_value(b, e->display_name ? e->display_name
							 : "");
	json_builder_set_member_name(b, "srtp");
	json_builder_add_boolean_value(b, e->srtp);
	json_builder_set_member_name(b, "createdAt");
	json_builder_add_int_value(b, e->created_at);
	json_builder_set_member_name(b, "updatedAt");
	json_builder_add_int_value(b, e->updated_at);
	json_builder_end_object(b);
}

/* Reply @status with the stored row of @ext. */
static void api_reply_extension(struct gateway_api *api, const char *ext,
				int status, struct gateway_api_response *resp)
{
	g_autoptr(JsonBuilder) b = NULL;
	struct gateway_extension e = {0};
	int err;

	err = gateway_store_extension_get(api->store, ext, &e);
	if (err) {
		api_store_error(resp, err, ext);
		return;
	}
	b = json_builder_new();
	api_add_extension(b, &e);
	api_reply(resp, status, b);
	gateway_extension_clear(&e);
}

/* ---- validation ---- */

bool api_is_ext_char(char c)
{
	return g_ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
}

/* "." and ".." are path segments, not names: one character must be
 * something else. */
bool api_ext_is_valid(const char *ext)
{
	size_t n = strlen(ext);
	bool only_dots = true;

	if (n < 1 || n > API_EXT_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!api_is_ext_char(ext[i]))
			return false;
		if (ext[i] != '.')
			only_dots = false;
	}
	return !only_dots;
}

static bool api_has_control(const char *s)
{
	for (const char *p = s; *p; p = g_utf8_next_char(p))
		if (g_unichar_iscntrl(g_utf8_get_char(p)))
			return true;
	return false;
}

/*
 * json-glib hands strings out as C strings, so "a\u0000b" would arrive as
 * "a": a password cut short without a word. Refuse the escape in the
 * body itself. Outside strings a backslash is a JSON syntax error anyway,
 * and skipping the character after each backslash keeps "\\u0000" (a
 * literal backslash, then "u0000") allowed.
 */
static bool api_json_has_nul_escape(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (b[i] != '\\')
			continue;
		i++;
		if (b[i] == 'u' && i + 4 < n && memcmp(b + i + 1, "0000", 4) == 0)
			return true;
	}
	return false;
}

static bool api_display_name_is_valid(const char *name)
{

	if (!g_utf8_validate(name, -1, NULL) ||
	    g_utf8_strlen(name, -1) > API_DISPLAY_NAME_MAX)
		return false;
	return !api_has_control(name);
}

/*
 * Fetch an optional string member. Returns false (reply sent) if it is
 * present with another type; *@out stays NULL when absent.
 */
bool api_member_string(JsonObject *obj, const char *name,
			      const char **out,
			      struct gateway_api_response *resp)
{
	JsonNode *n = json_object_get_member(obj, name);

	*out = NULL;
	if (!n)
		return true;
	if (!JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING) {
		api_error(resp, 400, "%s must be a string", name);
		return false;
	}
	*out = json_node_get_string(n);
	return true;
}

/* Optional boolean member: absent leaves *@set false. */
static bool api_member_bool(JsonObject *obj, const char *name, bool *set,
			    bool *out, struct gateway_api_response *resp)
{
	JsonNode *n = json_object_get_member(obj, name);

	*set = false;
	if (!n)
		return true;
	if (!JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
		api_error(resp, 400, "%s must be true or false", name);
		return false;
	}
	*set = true;
	*out = json_node_get_boolean(n);
	return true;
}

static bool api_password_check(struct gateway_api *api, const char *pw,
			       struct gateway_api_response *resp)
{
	glong n = g_utf8_strlen(pw, -1);

	if (n < (glong)api->min_password_len) {
		api_error(resp, 400, "password must be at least %u characters",
			  api->min_password_len);
		return false;
	}
	if (n > API_PASSWORD_MAX) {
		api_error(resp, 400, "password must be at most %d characters",
			  API_PASSWORD_MAX);
		return false;
	}
	/* Phones cannot type them, and some would end a C string. */
	if (api_has_control(pw)) {
		api_error(resp, 400,
			  "password must not contain control characters");
		return false;
	}
	return true;
}

static bool api_display_name_check(const char *name,
				   struct gateway_api_response *resp)
{
	if (name && !api_display_name_is_valid(name)) {
		api_error(resp, 400,
			  "displayName must be at most %d characters without"
			  " control characters",
			  API_DISPLAY_NAME_MAX);
		return false;
	}
	return true;
}

/*
 * Parse the body as a JSON object. Returns the parser (owner of *@obj) or
 * NULL with the reply sent.
 */
JsonParser *api_parse_object(const struct gateway_api_request *req,
				    JsonObject **obj,
				    struct gateway_api_response *resp)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GError) error = NULL;
	JsonNode *root;

	if (!req->body || req->body_len == 0) {
		api_error(resp, 400, "invalid JSON: empty body");
		return NULL;
	}
	if (api_json_has_nul_escape(req->body, req->body_len)) {
		api_error(resp, 400, "invalid JSON: \\u0000 is not allowed in "
			  "strings");
		return NULL;
	}
	if (!json_parser_load_from_data(parser, (const char *)req->body,
					(gssize)req->body_len, &error)) {
		api_error(resp, 400, "invalid JSON: %s", error->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		api_error(resp, 400,
			  "invalid JSON: request body must be a JSON object");
		return NULL;
	}
	*obj = json_node_get_object(root);
	return g_steal_pointer(&parser);
}

static void api_ha1(struct gateway_api *api, const char *ext, const char *pw,
		    char md5[SIP_DIGEST_HEX_MAX],
		    char sha256[SIP_DIGEST_HEX_MAX])
{
	sip_digest_ha1(SIP_DIGEST_MD5, ext, api->realm, pw, md5);
	sip_digest_ha1(SIP_DIGEST_SHA256, ext, api->realm, pw, sha256);
}

/* ---- handlers ---- */

static void api_extension_list(struct gateway_api *api, const char *ext,
			       const struct gateway_api_request *req,
			       struct gateway_api_response *resp)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(GPtrArray) list = NULL;
	int err = gateway_store_extension_list(api->store, &list);

	if (err) {
		api_store_fail(resp, err);
		return;
	}
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "extensions");
	json_builder_begin_array(b);
	for (guint i = 0; i < list->len; i++)
		api_add_extension(b, g_ptr_array_index(list, i));
	json_builder_end_array(b);
	json_builder_end_object(b);
	api_reply(resp, 200, b);
}

static void api_extension_create(struct gateway_api *api, const char *unused,
				 const struct gateway_api_request *req,
				 struct gateway_api_response *resp)
{
	g_autoptr(JsonParser) parser = NULL;
	JsonObject *obj = NULL;
	const char *ext, *pw, *name;
	char md5[SIP_DIGEST_HEX_MAX], sha256[SIP_DIGEST_HEX_MAX];
	bool srtp_set, srtp = false;
	int err;

	parser = api_parse_object(req, &obj, resp);
	if (!parser || !api_member_string(obj, "extension", &ext, resp) ||
	    !api_member_string(obj, "password", &pw, resp) ||
	    !api_member_string(obj, "displayName", &name, resp) ||
	    !api_member_bool(obj, "srtp", &srtp_set, &srtp, resp))
		return;
	if (!ext || !api_ext_is_valid(ext)) {
		api_error(resp, 400, "%s", api_err_ext_id);
		return;
	}
	if (!pw) {
		api_error(resp, 400, "password is required");
		return;
	}
	if (!api_password_check(api, pw, resp) ||
	    !api_display_name_check(name, resp))
		return;
	api_ha1(api, ext, pw, md5, sha256);
	err = gateway_store_extension_create(api->store, ext, name ? name : "",
					     md5, sha256);
	if (err == EEXIST) {
		api_error(resp, 409, "extension %s already exists", ext);
		return;
	}
	if (!err && srtp)
		err = gateway_store_extension_set_srtp(api->store, ext, true);
	if (err) {
		api_store_fail(resp, err);
		return;
	}
	g_message("extension %s created%s", ext,
		  srtp ? ", SRTP offered to its phones" : "");
	api_reply_extension(api, ext, 201, resp);
}

static void api_extension_get(struct gateway_api *api, const char *ext,
			      const struct gateway_api_request *req,
			      struct gateway_api_response *resp)
{
	api_reply_extension(api, ext, 200, resp);
}

static void api_extension_update(struct gateway_api *api, const char *ext,
				 const struct gateway_api_request *req,
				 struct gateway_api_response *resp)
{
	g_autoptr(JsonParser) parser = NULL;
	JsonObject *obj = NULL;
	const char *pw, *name;
	char md5[SIP_DIGEST_HEX_MAX], sha256[SIP_DIGEST_HEX_MAX];
	bool srtp_set, srtp = false;
	int err = 0;

	parser = api_parse_object(req, &obj, resp);
	if (!parser || !api_member_string(obj, "password", &pw, resp) ||
	    !api_member_string(obj, "displayName", &name, resp) ||
	    !api_member_bool(obj, "srtp", &srtp_set, &srtp, resp))
		return;
	if (!pw && !name && !srtp_set) {
		api_error(resp, 400,
			  "nothing to update: give password, displayName"
			  " and/or srtp");
		return;
	}
	if ((pw && !api_password_check(api, pw, resp)) ||
	    !api_display_name_check(name, resp))
		return;
	if (pw)
		api_ha1(api, ext, pw, md5, sha256);
	if (pw || name)
		err = gateway_store_extension_update(api->store, ext, name,
						     pw ? md5 : NULL,
						     pw ? sha256 : NULL);
	if (!err && srtp_set)
		err = gateway_store_extension_set_srtp(api->store, ext, srtp);
	if (err) {
		api_store_error(resp, err, ext);
		return;
	}
	if (srtp_set)
		g_message("extension %s: SRTP %s its phones", ext,
			  srtp ? "offered to" : "no longer offered to");
	if (pw && name)
		g_message("extension %s password and display name changed",
			  ext);
	else if (pw)
		g_message("extension %s password changed", ext);
	else if (name)
		g_message("extension %s display name changed", ext);
	api_reply_extension(api, ext, 200, resp);
}

static void api_extension_delete(struct gateway_api *api, const char *ext,
				 const struct gateway_api_request *req,
				 struct gateway_api_response *resp)
{
	int err = gateway_store_extension_delete(api->store, ext);

	if (err) {
		api_store_error(resp, err, ext);
		return;
	}
	if (api->hooks.extension_deleted)
		api->hooks.extension_deleted(api->ctx, ext);
	g_message("extension %s deleted", ext);
	resp->status = 204;
	g_clear_pointer(&resp->body, g_free);
}

static void api_extension_status(struct gateway_api *api, const char *ext,
				 const struct gateway_api_request *req,
				 struct gateway_api_response *resp)
{
	g_autoptr(JsonBuilder) b = NULL;
	struct gateway_extension e = {0};
	JsonArray *contacts;
	int err;

	err = gateway_store_extension_get(api->store, ext, &e);
	if (err) {
		api_store_error(resp, err, ext);
		return;
	}
	gateway_extension_clear(&e);
	contacts = json_array_new();
	if (api->hooks.contacts)
		api->hooks.contacts(api->ctx, ext, contacts);
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "extension");
	json_builder_add_string_value(b, ext);
	json_builder_set_member_name(b, "registered");
	json_builder_add_boolean_value(b, json_array_get_length(contacts) > 0);
	json_builder_set_member_name(b, "contacts");
	json_builder_add_value(b, json_node_init_array(json_node_alloc(),
						       contacts));
	json_builder_end_object(b);
	json_array_unref(contacts);
	api_reply(resp, 200, b);
}

/* "limit=N" from the query string; other parameters are ignored. */
static bool api_query_limit(const char *query, unsigned *limit,
			    struct gateway_api_response *resp)
{
	g_auto(GStrv) params = NULL;
	guint64 v;

	*limit = API_ATTEMPTS_DEFAULT;
	if (!query)
		return true;
	params = g_strsplit(query, "&", -1);
	for (char **p = params; *p; p++) {
		if (!g_str_has_prefix(*p, "limit="))
			continue;
		if (!g_ascii_string_to_unsigned(*p + 6, 10, 1,
						API_ATTEMPTS_MAX, &v, NULL)) {
			api_error(resp, 400,
				  "limit must be an integer from 1 to %d",
				  API_ATTEMPTS_MAX);
			return false;
		}
		*limit = (unsigned)v;
	}
	return true;
}

static void api_add_attempt(JsonBuilder *b, const struct gateway_attempt *a)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "at");
	json_builder_add_int_value(b, a->at);
	api_add_string_or_null(b, "source", a->source);
	api_add_string_or_null(b, "transport", a->transport);
	api_add_string_or_null(b, "userAgent", a->user_agent);
	api_add_string_or_null(b, "outcome", a->outcome);
	json_builder_set_member_name(b, "status");
	json_builder_add_int_value(b, a->status);
	api_add_string_or_null(b, "detail", a->detail);
	json_builder_end_object(b);
}

/* No 404 for unknown extensions: "9999: unknown extension" is the answer
 * an operator is looking for. */
static void api_extension_attempts(struct gateway_api *api, const char *ext,
				   const struct gateway_api_request *req,
				   struct gateway_api_response *resp)
{
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(GPtrArray) list = NULL;
	unsigned limit;
	int err;

	if (!api_query_limit(req->query, &limit, resp))
		return;
	err = gateway_store_attempt_list(api->store, ext, limit, &list);
	if (err) {
		api_store_fail(resp, err);
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "extension");
	json_builder_add_string_value(b, ext);
	json_builder_set_member_name(b, "attempts");
	json_builder_begin_array(b);
	for (guint i = 0; i < list->len; i++)
		api_add_attempt(b, g_ptr_array_index(list, i));
	json_builder_end_array(b);
	json_builder_end_object(b);
	api_reply(resp, 200, b);
}

/* ---- routing ---- */

static const struct api_route api_routes[] = {
	{"GET", "api/extensions", api_extension_list},
	{"POST", "api/extensions", api_extension_create},
	{"GET", "api/extensions/{ext}", api_extension_get},
	{"PUT", "api/extensions/{ext}", api_extension_update},
	{"DELETE", "api/extensions/{ext}", api_extension_delete},
	{"GET", "api/extensions/{ext}/status", api_extension_status},
	{"GET", "api/extensions/{ext}/attempts", api_extension_attempts},
	{"GET", "api/calls", api_calls_list},
	{"GET", "api/calls/active", api_calls_active},
	{"POST", "api/credentials", api_credentials_mint},
	{"GET", "api/server", api_server_info},
	{"GET", "api/extensions/{ext}/doctor", api_doctor_extension},
	{"GET", "api/doctor", api_doctor_server},
	{"GET", "api/bans", api_bans_list},
	{"DELETE", "api/bans/{ext}", api_bans_lift},
};

/*
 * Match @path ("/a/b/c") against @pattern ("a/{ext}/c"). On a match *@ext
 * is the captured segment (g_malloc'd) or NULL if the pattern has none.
 */
static bool api_path_match(const char *pattern, const char *path, char **ext)
{
	g_auto(GStrv) pat = g_strsplit(pattern, "/", -1);
	g_auto(GStrv) seg = NULL;
	const char *capture = NULL;

	if (path[0] != '/')
		return false;
	seg = g_strsplit(path + 1, "/", -1);
	if (g_strv_length(pat) != g_strv_length(seg))
		return false;
	for (guint i = 0; pat[i]; i++) {
		if (strcmp(pat[i], "{ext}") == 0) {
			if (seg[i][0] == '\0')
				return false;
			capture = seg[i];
		} else if (strcmp(pat[i], seg[i]) != 0) {
			return false;
		}
	}
	*ext = g_strdup(capture);
	return true;
}

/* The route for @req; *@path_known tells 405 from 404 when NULL. */
static const struct api_route *
api_route_find(const struct gateway_api_request *req, bool *path_known,
	       char **ext)
{
	*path_known = false;
	for (size_t i = 0; i < G_N_ELEMENTS(api_routes); i++) {
		g_autofree char *capture = NULL;

		if (!api_path_match(api_routes[i].pattern, req->path,
				    &capture))
			continue;
		*path_known = true;
		if (g_strcmp0(api_routes[i].method, req->method) == 0) {
			*ext = g_steal_pointer(&capture);
			return &api_routes[i];
		}
	}
	return NULL;
}

/* ---- public ---- */

static bool api_is_lower_hex(const char *s, size_t len)
{
	if (!s || strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isdigit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return true;
}

/**
 * gateway_api_token_ok() - true if @authorization is "Bearer <token>" and
 * SHA-256(token) in lowercase hex equals @token_sha256. The hashes are
 * compared in constant time; hashing first also hides the token length.
 */
bool gateway_api_token_ok(const char *token_sha256, const char *authorization)
{
	g_autofree char *token = NULL;
	g_autofree char *hash = NULL;
	const char *p;

	if (!api_is_lower_hex(token_sha256, API_SHA256_HEX) || !authorization)
		return false;
	p = authorization;
	while (*p == ' ' || *p == '\t')
		p++;
	/* The auth scheme is case-insensitive (RFC 9110 11.1). */
	if (g_ascii_strncasecmp(p, "Bearer", 6) != 0 ||
	    (p[6] != ' ' && p[6] != '\t'))
		return false;
	p += 6;
	while (*p == ' ' || *p == '\t')
		p++;
	token = g_strchomp(g_strdup(p));
	if (token[0] == '\0')
		return false;
	hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, token, -1);
	return CRYPTO_memcmp(hash, token_sha256, API_SHA256_HEX) == 0;
}

/**
 * gateway_api_new() - an API over @store (borrowed; must outlive the API).
 * @cfg strings are copied; @hooks is copied and may be NULL, as may each
 * hook. EINVAL if the realm is missing or token_sha256 is not 64 lowercase
 * hex characters.
 */
int gateway_api_new(struct gateway_api **out, struct gateway_store *store,
		    const struct gateway_api_config *cfg,
		    const struct gateway_api_hooks *hooks, void *ctx)
{
	struct gateway_api *api;

	if (!out || !store || !cfg || !cfg->realm || !cfg->realm[0])
		return EINVAL;
	if (!api_is_lower_hex(cfg->token_sha256, API_SHA256_HEX)) {
		g_warning("admin token hash must be 64 lowercase hex"
			  " characters (SHA-256)");
		return EINVAL;
	}
	api = g_new0(struct gateway_api, 1);
	api->store = store;
	api->auth = cfg->auth;
	api->realm = g_strdup(cfg->realm);
	api->min_password_len = cfg->min_password_len;
	api->token_sha256 = g_strdup(cfg->token_sha256);
	api->ephemeral_secret = g_strdup(cfg->ephemeral_secret);
	api->sip_udp = g_strdup(cfg->sip_udp);
	if (hooks)
		api->hooks = *hooks;
	api->ctx = ctx;
	*out = api;
	return 0;
}

/** gateway_api_free() - free the API (not the store). NULL is fine. */
void gateway_api_free(struct gateway_api *api)
{
	if (!api)
		return;
	g_free(api->realm);
	g_free(api->token_sha256);
	if (api->ephemeral_secret)
		memset(api->ephemeral_secret, 0, strlen(api->ephemeral_secret));
	g_free(api->ephemeral_secret);
	g_free(api->sip_udp);
	g_free(api);
}

/**
 * gateway_api_handle() - answer @req into @resp (which must be zeroed or
 * cleared). Order: token (401) before routing (404/405) so an anonymous
 * client learns nothing about routes (a body the server stopped reading
 * gets 413 right after the token), then body size (413), then the
 * extension id in the path (400), then the handler.
 */
void gateway_api_handle(struct gateway_api *api,
			const struct gateway_api_request *req,
			struct gateway_api_response *resp)
{
	const struct api_route *route;
	g_autofree char *ext = NULL;
	bool path_known;

	resp->status = 0;
	resp->body = NULL;
	resp->content_type = NULL;
	if (!gateway_api_token_ok(api->token_sha256, req->authorization)) {
		api_error(resp, 401, "%s", api_err_token);
		return;
	}
	/* A body the server stopped reading: too large, whatever the path. */
	if (req->body_too_large) {
		api_error(resp, 413, "request body too large (limit %d bytes)",
			  GATEWAY_API_BODY_MAX);
		return;
	}
	if (!req->method || !req->path) {
		api_error(resp, 400, "bad request");
		return;
	}
	route = api_route_find(req, &path_known, &ext);
	if (!route) {
		if (path_known)
			api_error(resp, 405, "%s", api_err_method);
		else
			api_error(resp, 404, "%s", api_err_not_found);
		return;
	}
	if (req->body_len > GATEWAY_API_BODY_MAX) {
		api_error(resp, 413, "request body too large (limit %d bytes)",
			  GATEWAY_API_BODY_MAX);
		return;
	}
	if (ext && !api_ext_is_valid(ext)) {
		api_error(resp, 400, "%s", api_err_ext_id);
		return;
	}
	route->handler(api, ext, req, resp);
}

/** gateway_api_response_clear() - free the body, zero the response. */
void gateway_api_response_clear(struct gateway_api_response *resp)
{
	if (!resp)
		return;
	g_clear_pointer(&resp->body, g_free);
	resp->status = 0;
	resp->content_type = NULL;
}
