/*
 * gateway/gateway.h - private header of the gateway folder: the one object
 * that owns every part of a running Ovoz and the counters they share.
 *
 * Ownership: struct gateway owns store, stack, registrar, UDP listener, API
 * and the libwebsockets server; it is created by gateway_new() in main()
 * and lives until the main loop returns. Everything runs on the signalling
 * thread (the default GMainContext).
 */
#ifndef OVOZ_GATEWAY_GATEWAY_H
#define OVOZ_GATEWAY_GATEWAY_H

#include <glib.h>
#include <libwebsockets.h>
#include <stdint.h>

#include "gateway/api.h"
#include "gateway/config.h"
#include "gateway/store.h"
#include "gateway/calls.h"
#include "sip/keepalive.h"
#include "sip/proxy.h"
#include "sip/registrar.h"
#include "sip/stack.h"
#include "sip/udp.h"

#define OVOZ_SERVER_NAME "Ovoz/" OVOZ_VERSION

struct gateway_counters {
	uint64_t ws_accepted;
	uint64_t ws_refused_origin;
	uint64_t ws_refused_limit;
	uint64_t ws_refused_path;
	uint64_t ws_refused_subprotocol;
	uint64_t ws_oversized;
	uint64_t http_requests;
	uint64_t http_unauthorized;
	uint64_t http_refused_limit; /* connections over max_connections_per_ip */
	uint64_t http_refused_method; /* CONNECT: never a tunnel here */
};

struct gateway_media;

struct gateway {
	struct gateway_config *cfg;
	GMainLoop *loop;
	struct gateway_store *store;
	struct sip_stack *stack;
	struct sip_auth *auth; /* shared by registrar and proxy */
	struct sip_registrar *registrar;
	struct sip_proxy *proxy;
	struct sip_keepalive *keepalive; /* NULL when off */
	struct gateway_calls *calls;
	struct gateway_media *media; /* the RTP relay (gateway/media.c) */
	GHashTable *flows; /* "wss-12" -> struct sip_transport (borrowed) */
	struct sip_udp *udp;
	struct gateway_api *api;
	struct lws_context *lws;
	char *token_sha256;
	char *ephemeral_secret; /* signs ephemeral credentials */
	GHashTable *ws_per_ip; /* ip -> GUINT count of open WS connections */
	unsigned ws_open;
	unsigned ws_next_id;
	/* Every TCP connection on the HTTPS port, counted from accept(),
	 * before TLS (gateway/server.c). */
	GHashTable *conn_per_ip; /* ip -> GUINT count */
	GHashTable *conn_ip;     /* struct lws * -> ip (g_free) */
	char *conn_pending_ip;   /* accepted, its wsi not yet created */
	unsigned conn_open;
	gint64 conn_refused_logged; /* monotonic us of the last refusal line */
	uint64_t conn_refused_unlogged;
	struct gateway_counters counters;
};

/** Build and start everything @cfg asks for. On failure returns an errno
 *  value and an operator-readable message in *@err. */
int gateway_new(struct gateway **out, struct gateway_config *cfg,
		GMainLoop *loop, char **err);
void gateway_free(struct gateway *gw);

/* gateway/server.c - the libwebsockets context (HTTPS + WSS). */
int gateway_server_start(struct gateway *gw, char **err);
void gateway_server_stop(struct gateway *gw);
/** A request header's whole value (g_free), or NULL if absent. */
char *gateway_server_header(struct lws *wsi, enum lws_token_indexes t);
/** The query string as sent ("a=1&b=2", g_free), or NULL if none. */
char *gateway_server_query(struct lws *wsi);
/** LWS_CALLBACK_FILTER_NETWORK_CONNECTION: -1 to refuse a connection from
 *  an address already at [http] max_connections_per_ip, before any TLS. */
int gateway_server_conn_filter(struct gateway *gw,
			       const struct lws_filter_network_conn_args *f);
/** LWS_CALLBACK_WSI_CREATE / _DESTROY: count the connection just accepted
 *  against its address, and release it. Other wsis are ignored. */
void gateway_server_conn_created(struct gateway *gw, struct lws *wsi);
void gateway_server_conn_destroyed(struct gateway *gw, struct lws *wsi);

/* gateway/ws.c - the "sip" WebSocket protocol (RFC 7118). */
extern const struct lws_protocols gateway_ws_protocol;
/** LWS_CALLBACK_HTTP_CONFIRM_UPGRADE (on the HTTP protocol, before a
 *  subprotocol is chosen): -1 to refuse a WebSocket upgrade that does not
 *  offer the "sip" subprotocol (counted), 0 to let it go on. */
int gateway_ws_confirm_upgrade(struct gateway *gw, struct lws *wsi,
			       const char *upgrade);
/** WebSocket close code sent to the flows of a deleted extension (a
 *  private-use code, RFC 6455 7.4.2; 4410 as in HTTP 410 Gone). */
#define GATEWAY_WS_CLOSE_EXTENSION_DELETED 4410
/** Close the WebSocket flow @tp (borrowed; ignored unless it is an open
 *  WS/WSS flow) with @code and @reason (at most 63 bytes kept) in the
 *  close frame. The close happens from the connection's writable callback,
 *  so this is safe from any signalling-thread callback. */
void gateway_ws_close_flow(struct sip_transport *tp, int code,
			   const char *reason);

/* gateway/http.c - the HTTP protocol: REST API, /metrics, static files. */
extern const struct lws_protocols gateway_http_protocol;

/* gateway/calls_glue.c - the proxy and the call log. */
int gateway_calls_start(struct gateway *gw, char **err);
void gateway_calls_stop(struct gateway *gw);
void gateway_calls_api_hooks(struct gateway_api_hooks *hooks);

/* gateway/media_glue.c - the media relay, its proxy hooks and events. */
int gateway_media_start(struct gateway *gw, char **err);
void gateway_media_stop(struct gateway *gw);
int gateway_media_hook_body(void *ctx, const struct sip_media_event *ev,
			    const char *body, size_t len, char **out,
			    size_t *out_len, const char **reason);
void gateway_media_hook_release(void *ctx, const char *call_id,
				const char *branch, const char *why);

/* gateway/metrics.c - Prometheus text exposition. */
char *gateway_metrics_render(struct gateway *gw);

/* gateway/log.c - structured logging with a level threshold. */
void gateway_log_setup(const char *level);

#endif
