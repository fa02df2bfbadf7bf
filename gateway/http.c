/*
 * gateway/http.c - the HTTPS side: the admin REST API (gateway/api.c),
 * /metrics, and the web phone's static files. This file only moves bytes
 * between libwebsockets and the API handler.
 */
#define G_LOG_DOMAIN "ovoz-http"

#include "gateway/gateway.h"
#include "gateway/http_static.h"

#include <string.h>

#include "sip/log.h"


struct http_session {
	char method[8];
	char *path;
	char *query;
	char *auth;
	char *location; /* a redirect's target */
	GByteArray *body;
	bool too_large;
	/* the response, written in two steps: headers, then body */
	int status;
	char *resp;
	const char *ctype;
	int stage;
	gint64 started; /* monotonic us: bounds a body sent a byte at a time */
};

static void http_session_clear(struct http_session *s)
{
	g_clear_pointer(&s->path, g_free);
	g_clear_pointer(&s->query, g_free);
	g_clear_pointer(&s->auth, g_free);
	g_clear_pointer(&s->location, g_free);
	g_clear_pointer(&s->resp, g_free);
	if (s->body)
		g_byte_array_unref(g_steal_pointer(&s->body));
	s->too_large = false;
	s->stage = 0;
}

static const struct {
	enum lws_token_indexes token;
	const char *name;
} http_methods[] = {
	{WSI_TOKEN_GET_URI, "GET"},       {WSI_TOKEN_POST_URI, "POST"},
	{WSI_TOKEN_PUT_URI, "PUT"},       {WSI_TOKEN_DELETE_URI, "DELETE"},
	{WSI_TOKEN_PATCH_URI, "PATCH"},   {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
	{WSI_TOKEN_HEAD_URI, "HEAD"},
};

static void http_respond(struct lws *wsi, struct http_session *s, int status,
			 char *body, const char *ctype)
{
	s->status = status;
	g_free(s->resp);
	s->resp = body;
	s->ctype = ctype;
	s->stage = 1;
	lws_callback_on_writable(wsi);
}

static char *http_error_json(const char *msg)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) g = json_generator_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "error");
	json_builder_add_string_value(b, msg);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(g, root);
	return json_generator_to_data(g, NULL);
}

static void http_handle_api(struct gateway *gw, struct lws *wsi,
			    struct http_session *s)
{
	struct gateway_api_request req = {
		.method = s->method,
		.path = s->path,
		.query = s->query,
		.authorization = s->auth,
		.body = s->body ? s->body->data : NULL,
		.body_len = s->body ? s->body->len : 0,
		.body_too_large = s->too_large,
	};
	struct gateway_api_response resp = {0};

	gateway_api_handle(gw->api, &req, &resp);
	if (resp.status == 401)
		gw->counters.http_unauthorized++;
	http_respond(wsi, s, resp.status, g_steal_pointer(&resp.body),
		     resp.content_type ? resp.content_type : "application/json");
	gateway_api_response_clear(&resp);
}

static void http_handle_metrics(struct gateway *gw, struct lws *wsi,
				struct http_session *s)
{
	if (!g_str_equal(s->method, "GET")) {
		http_respond(wsi, s, 405, http_error_json("method not allowed"),
			     "application/json");
		return;
	}
	if (!gateway_api_token_ok(gw->token_sha256, s->auth)) {
		gw->counters.http_unauthorized++;
		http_respond(wsi, s, 401,
			     http_error_json("missing or invalid admin token"),
			     "application/json");
		return;
	}
	http_respond(wsi, s, 200, gateway_metrics_render(gw),
		     "text/plain; version=0.0.4; charset=utf-8");
}

static bool http_is_dir(const char *full)
{
	return g_file_test(full, G_FILE_TEST_IS_DIR);
}

static bool http_is_file(const char *full)
{
	return g_file_test(full, G_FILE_TEST_IS_REGULAR);
}

/* The security headers of a page (gateway/http_static.h), formatted for
 * this connection so lws_serve_http_file() can append them. */
static int http_page_headers(struct gateway *gw, struct lws *wsi, bool html,
			     uint8_t *buf, size_t size)
{
	g_autofree char *csp = gateway_static_csp(gw->cfg->origins);
	uint8_t *p = buf, *end = buf + size;
	const struct {
		const char *name, *value;
	} h[] = {
		{"x-content-type-options:", "nosniff"},
		{"content-security-policy:", csp},
		{"permissions-policy:", GATEWAY_STATIC_PERMISSIONS},
		{"referrer-policy:", "same-origin"},
		{"cache-control:", "no-cache"},
	};

	/* Scripts and styles get nosniff alone; pages everything. */
	for (size_t i = 0; i < (html ? G_N_ELEMENTS(h) : 1); i++)
		if (lws_add_http_header_by_name(
			    wsi, (const unsigned char *)h[i].name,
			    (const unsigned char *)h[i].value,
			    (int)strlen(h[i].value), &p, end))
			return -1;
	return (int)(p - buf);
}

static int http_serve_file(struct gateway *gw, struct lws *wsi,
			   struct http_session *s)
{
	struct gateway_static_target t;
	uint8_t extra[4096];
	int n = 0;

	if (strcmp(s->method, "GET") != 0) {
		http_respond(wsi, s, 404, http_error_json("not found"),
			     "application/json");
		return 0;
	}
	gateway_static_resolve(gw->cfg->webroot, s->path, http_is_dir,
			       http_is_file, &t);
	if (t.kind == GATEWAY_STATIC_REDIRECT) {
		s->location = g_steal_pointer(&t.location);
		http_respond(wsi, s, 302, NULL, "text/plain");
	} else if (t.kind == GATEWAY_STATIC_NOT_FOUND) {
		http_respond(wsi, s, 404, http_error_json("not found"),
			     "application/json");
	} else {
		n = http_page_headers(gw, wsi, t.html, extra, sizeof(extra));
		n = n < 0 ? -1
			  : lws_serve_http_file(wsi, t.file, t.mime,
						n ? (char *)extra : NULL, n);
	}
	gateway_static_target_clear(&t);
	if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi)))
		return -1;
	return 0;
}

static bool http_is_dynamic(const char *path)
{
	return g_str_has_prefix(path, "/api/") || strcmp(path, "/api") == 0 ||
	       strcmp(path, "/metrics") == 0;
}

static int http_dispatch(struct gateway *gw, struct lws *wsi,
			 struct http_session *s)
{
	if (strcmp(s->path, "/metrics") == 0) {
		http_handle_metrics(gw, wsi, s);
		return 0;
	}
	if (http_is_dynamic(s->path)) {
		http_handle_api(gw, wsi, s);
		return 0;
	}
	return http_serve_file(gw, wsi, s);
}

static int http_begin(struct gateway *gw, struct lws *wsi,
		      struct http_session *s, const char *path)
{
	http_session_clear(s);
	gw->counters.http_requests++;
	s->started = g_get_monotonic_time();
	s->method[0] = '\0';
	for (size_t i = 0; i < G_N_ELEMENTS(http_methods); i++)
		if (lws_hdr_total_length(wsi, http_methods[i].token) > 0)
			g_strlcpy(s->method, http_methods[i].name,
				  sizeof(s->method));
	s->path = g_strdup(path && *path ? path : "/");
	s->query = gateway_server_query(wsi);
	s->auth = gateway_server_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (!s->method[0]) {
		http_respond(wsi, s, 405, http_error_json("method not allowed"),
			     "application/json");
		return 0;
	}
	if (http_is_dynamic(s->path) &&
	    (g_str_equal(s->method, "POST") || g_str_equal(s->method, "PUT") ||
	     g_str_equal(s->method, "PATCH"))) {
		g_autofree char *cl = gateway_server_header(
			wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
		s->body = g_byte_array_new();
		/* The header's value, not its length: "0" means no body. */
		if (cl && g_ascii_strtoull(cl, NULL, 10) > 0)
			return 0; /* wait for the body */
	}
	return http_dispatch(gw, wsi, s);
}

static int http_write(struct lws *wsi, struct http_session *s)
{
	uint8_t hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start,
				     *end = hdr + sizeof(hdr) - 1;
	size_t len = s->resp ? strlen(s->resp) : 0;

	if (s->stage == 1) {
		if (lws_add_http_common_headers(wsi, (unsigned)s->status,
						s->ctype, len, &p, end) ||
		    lws_add_http_header_by_token(
			    wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
			    (const unsigned char *)"no-store", 8, &p, end) ||
		    lws_add_http_header_by_name(
			    wsi, (const unsigned char *)"x-content-type-options:",
			    (const unsigned char *)"nosniff", 7, &p, end))
			return -1;
		if (s->location &&
		    lws_add_http_header_by_token(
			    wsi, WSI_TOKEN_HTTP_LOCATION,
			    (const unsigned char *)s->location,
			    (int)strlen(s->location), &p, end))
			return -1;
		if (s->status == 401 &&
		    lws_add_http_header_by_token(
			    wsi, WSI_TOKEN_HTTP_WWW_AUTHENTICATE,
			    (const unsigned char *)"Bearer", 6, &p, end))
			return -1;
		if (lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		s->stage = 2;
		if (len) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else if (s->stage == 2) {
		uint8_t *buf = g_malloc(LWS_PRE + len);
		int n;
		memcpy(buf + LWS_PRE, s->resp, len);
		n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
		g_free(buf);
		if (n < (int)len)
			return -1;
	} else {
		return 0;
	}
	s->stage = 0;
	http_session_clear(s);
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/*
 * A body that keeps coming, a byte just before each per-read timeout, would
 * hold the connection for ever: the whole body gets the idle limit too.
 */
static int http_body(struct gateway *gw, struct http_session *s,
		     const void *in, size_t len)
{
	if (!s->body)
		return 0;
	if (g_get_monotonic_time() - s->started >
	    (gint64)gw->cfg->http_idle_timeout * G_USEC_PER_SEC) {
		g_autofree char *path = sip_log_escape(s->path, 64);
		g_info("HTTP %s %s: body not complete after %u s, closing",
		       s->method, path, gw->cfg->http_idle_timeout);
		return -1;
	}
	if (s->body->len + len > GATEWAY_API_BODY_MAX)
		s->too_large = true;
	else
		g_byte_array_append(s->body, in, (guint)len);
	return 0;
}

/* Connection-level events, issued to this first protocol whatever the
 * connection becomes. Returns 1 when @reason is not one of them. */
static int http_connection_event(struct gateway *gw, struct lws *wsi,
				 enum lws_callback_reasons reason,
				 void *user, void *in, int *ret)
{
	*ret = 0;
	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		*ret = gateway_server_conn_filter(gw, user);
		return 0;
	case LWS_CALLBACK_WSI_CREATE:
		gateway_server_conn_created(gw, wsi);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		gateway_server_conn_destroyed(gw, wsi);
		return 0;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		*ret = gateway_ws_confirm_upgrade(gw, wsi, in);
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* An upgrade bound to this protocol ("http, sip": lws takes
		 * the first name it knows) must not dodge the Origin and
		 * per-address checks of the "sip" protocol. Upgrades with no
		 * "sip" at all never get here (CONFIRM_UPGRADE). */
		g_message("WebSocket refused: it chose the http subprotocol "
			  "(want sip first)");
		gw->counters.ws_refused_subprotocol++;
		*ret = -1;
		return 0;
	case LWS_CALLBACK_RAW_ADOPT:
	case LWS_CALLBACK_RAW_RX:
		/* lws turns a CONNECT request into a raw socket with no
		 * timeout at all. Ovoz is no tunnel: hang up. */
		gw->counters.http_refused_method++;
		g_info("HTTP CONNECT refused, connection closed");
		*ret = -1;
		return 0;
	default:
		return 1;
	}
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason,
			 void *user, void *in, size_t len)
{
	struct gateway *gw = lws_context_user(lws_get_context(wsi));
	struct http_session *s = user;
	int ret;

	if (http_connection_event(gw, wsi, reason, user, in, &ret) == 0)
		return ret;
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return http_begin(gw, wsi, s, in);
	case LWS_CALLBACK_HTTP_BODY:
		return http_body(gw, s, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return s->path ? http_dispatch(gw, wsi, s) : -1;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_write(wsi, s);
	case LWS_CALLBACK_HTTP_FILE_COMPLETION:
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (s)
			http_session_clear(s);
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

const struct lws_protocols gateway_http_protocol = {
	.name = "http",
	.callback = http_callback,
	.per_session_data_size = sizeof(struct http_session),
};
