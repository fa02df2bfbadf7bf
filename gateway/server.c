/*
 * gateway/server.c - the libwebsockets context: one TLS vhost that serves
 * HTTPS (API, metrics, web phone) and WSS (SIP) on one port, driven by the
 * GLib main loop through lws's glib event library. No threads.
 */
#define G_LOG_DOMAIN "ovoz-server"

#include "gateway/gateway.h"

#include <errno.h>
#include <string.h>

/* Ping idle WebSockets every 30 s; hang up after 75 s without a pong. */
static const lws_retry_bo_t server_idle_policy = {
	.secs_since_valid_ping = 30,
	.secs_since_valid_hangup = 75,
};

static void server_lws_log(int level, const char *line)
{
	g_autofree char *msg = g_strchomp(g_strdup(line));

	if (level & LLL_ERR)
		g_warning("lws: %s", msg);
	else
		g_debug("lws: %s", msg);
}

int gateway_server_start(struct gateway *gw, char **err)
{
	static struct lws_protocols protocols[3];
	struct lws_context_creation_info info;
	struct sip_addr addr;
	char host[SIP_ADDR_STRLEN];
	void *loops[1] = {gw->loop};

	protocols[0] = gateway_http_protocol;
	protocols[1] = gateway_ws_protocol;
	memset(&protocols[2], 0, sizeof(protocols[2]));

	if (sip_addr_parse(&addr, gw->cfg->https)) {
		*err = g_strdup_printf("bad HTTPS address '%s'", gw->cfg->https);
		return EINVAL;
	}
	if (!g_file_test(gw->cfg->cert, G_FILE_TEST_IS_REGULAR) ||
	    !g_file_test(gw->cfg->key, G_FILE_TEST_IS_REGULAR)) {
		*err = g_strdup_printf("TLS certificate %s or key %s not found "
				       "(run certs/make-dev-certs.sh, or see "
				       "docs/certificates.md)",
				       gw->cfg->cert, gw->cfg->key);
		return ENOENT;
	}
	lws_set_log_level(LLL_ERR | LLL_WARN, server_lws_log);

	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_GLIB |
		       LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = loops;
	info.port = (int)sip_addr_port(&addr);
	sip_addr_host(&addr, host, sizeof(host));
	if (strcmp(host, "0.0.0.0") == 0)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	else if (strcmp(host, "::") != 0)
		info.iface = host;
	info.protocols = protocols;
	info.ssl_cert_filepath = gw->cfg->cert;
	info.ssl_private_key_filepath = gw->cfg->key;
	/* WebSocket over HTTP/2 (RFC 8441) buys nothing for SIP and is not
	 * what SIP.js expects: keep the vhost on HTTP/1.1. */
	info.alpn = "http/1.1";
	info.retry_and_idle_policy = &server_idle_policy;
	info.user = gw;
	/* One limit for every stage a client can stall: the TLS handshake
	 * (PENDING_TIMEOUT_SSL_ACCEPT), headers (HOLDING_AH) and each wait for
	 * body bytes (HTTP_CONTENT). An idle keep-alive gets no longer. */
	info.timeout_secs = gw->cfg->http_idle_timeout;
	info.timeout_secs_ah_idle = gw->cfg->http_idle_timeout;
	info.keepalive_timeout = (int)MIN(5u, gw->cfg->http_idle_timeout);
	info.vhost_name = "ovoz";
	info.server_string = OVOZ_SERVER_NAME;
	info.pt_serv_buf_size = 32 * 1024;

	gw->lws = lws_create_context(&info);
	if (!gw->lws) {
		*err = g_strdup_printf("cannot start HTTPS/WSS on %s (port in "
				       "use, or bad certificate?)",
				       gw->cfg->https);
		return EADDRINUSE;
	}
	g_message("HTTPS + WSS listening on %s (SIP at wss://%s/ws)",
		  gw->cfg->https, gw->cfg->https);
	return 0;
}

void gateway_server_stop(struct gateway *gw)
{
	if (gw->lws) {
		lws_context_destroy(gw->lws);
		gw->lws = NULL;
	}
}

/* ---- connections per address ---- */

static void server_count(GHashTable *per_ip, const char *ip, int delta)
{
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(per_ip, ip));

	n = delta > 0 ? n + 1 : (n ? n - 1 : 0);
	if (n)
		g_hash_table_replace(per_ip, g_strdup(ip), GUINT_TO_POINTER(n));
	else
		g_hash_table_remove(per_ip, ip);
}

/* A flood at the limit must not become a flood of log lines: one line a
 * second at most, with the number refused since the last one. */
static void server_log_refused(struct gateway *gw, const char *ip, guint n)
{
	gint64 now = g_get_monotonic_time();

	if (gw->conn_refused_logged &&
	    now - gw->conn_refused_logged < G_USEC_PER_SEC) {
		gw->conn_refused_unlogged++;
		return;
	}
	if (gw->conn_refused_unlogged)
		g_message("connection from %s refused: %u connections open "
			  "(limit %u); %" G_GUINT64_FORMAT " more refused "
			  "since the last such line", ip, n,
			  gw->cfg->http_max_per_ip,
			  gw->conn_refused_unlogged);
	else
		g_message("connection from %s refused: %u connections open "
			  "(limit %u)", ip, n, gw->cfg->http_max_per_ip);
	gw->conn_refused_logged = now;
	gw->conn_refused_unlogged = 0;
}

/*
 * Runs right after accept(), before any TLS byte is read: an address that
 * already holds its share of connections gets no handshake and no memory.
 * The address is kept until LWS_CALLBACK_WSI_CREATE, which lws issues for
 * the new connection before it returns to the loop.
 */
int gateway_server_conn_filter(struct gateway *gw,
			       const struct lws_filter_network_conn_args *f)
{
	struct sip_addr a;
	char ip[SIP_ADDR_STRLEN];
	guint n;

	memset(&a, 0, sizeof(a));
	a.len = MIN((socklen_t)sizeof(a.ss), f->clilen);
	memcpy(&a.ss, &f->cli_addr, a.len);
	sip_addr_unmap(&a);
	sip_addr_host(&a, ip, sizeof(ip));
	n = GPOINTER_TO_UINT(g_hash_table_lookup(gw->conn_per_ip, ip));
	g_clear_pointer(&gw->conn_pending_ip, g_free);
	if (n >= gw->cfg->http_max_per_ip) {
		gw->counters.http_refused_limit++;
		server_log_refused(gw, ip, n);
		return -1;
	}
	gw->conn_pending_ip = g_strdup(ip);
	return 0;
}

void gateway_server_conn_created(struct gateway *gw, struct lws *wsi)
{
	char *ip = g_steal_pointer(&gw->conn_pending_ip);

	if (!ip)
		return;
	server_count(gw->conn_per_ip, ip, +1);
	g_hash_table_replace(gw->conn_ip, wsi, ip);
	gw->conn_open++;
}

void gateway_server_conn_destroyed(struct gateway *gw, struct lws *wsi)
{
	gpointer ip;

	if (!g_hash_table_steal_extended(gw->conn_ip, wsi, NULL, &ip))
		return;
	server_count(gw->conn_per_ip, ip, -1);
	gw->conn_open--;
	g_free(ip);
}

/* libwebsockets keeps each "name=value" of a query as its own fragment,
 * and lws_hdr_copy() does not put the '&' back between them. */
char *gateway_server_query(struct lws *wsi)
{
	GString *q = NULL;
	char frag[1024];

	for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
					      WSI_TOKEN_HTTP_URI_ARGS, i) >= 0;
	     i++) {
		if (!q)
			q = g_string_new(NULL);
		else
			g_string_append_c(q, '&');
		g_string_append(q, frag);
	}
	return q ? g_string_free(q, FALSE) : NULL;
}

char *gateway_server_header(struct lws *wsi, enum lws_token_indexes t)
{
	int n = lws_hdr_total_length(wsi, t);
	char *v;

	if (n <= 0)
		return NULL;
	v = g_malloc((size_t)n + 1);
	if (lws_hdr_copy(wsi, v, n + 1, t) < 0)
		g_clear_pointer(&v, g_free);
	return v;
}
