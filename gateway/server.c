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
	info.timeout_secs = 20;
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
