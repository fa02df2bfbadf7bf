/*
 * gateway/ws.c - SIP over WebSocket (RFC 7118) on the HTTPS port.
 *
 * Each connection is a sip_transport flow: the stack sends replies and
 * requests for a SIP.js client down the connection its REGISTER came on,
 * whatever its .invalid Via and Contact hosts say. A message is written at
 * once when nothing is waiting before it; otherwise it is queued and
 * written from the writable callback.
 * The connection object outlives the wsi when the stack still holds the
 * flow: a send after close fails with ENOTCONN instead of touching freed
 * memory.
 */
#define G_LOG_DOMAIN "ovoz-ws"

#include "gateway/gateway.h"

#include <errno.h>
#include <string.h>

#include "sip/log.h"

struct ws_conn {
	struct lws *wsi;          /* NULL once closed */
	struct gateway *gw;
	struct sip_transport *tp; /* our reference */
	struct sip_addr peer;
	char ip[SIP_ADDR_STRLEN];
	GQueue out;               /* GBytes with LWS_PRE headroom */
	GByteArray *rx;
	bool oversized;
	int close_code;           /* set: close from the writable callback */
	char close_reason[64];
};

struct ws_session {
	struct ws_conn *conn;
};

static void ws_conn_free(void *impl)
{
	struct ws_conn *c = impl;

	g_queue_clear_full(&c->out, (GDestroyNotify)g_bytes_unref);
	if (c->rx)
		g_byte_array_unref(c->rx);
	g_free(c);
}

static enum lws_write_protocol ws_frame_type(const uint8_t *buf, size_t len);

/* Messages up to this size are framed on the stack when written at once. */
#define WS_DIRECT_MAX 4096

/*
 * Write @buf now. lws keeps whatever the socket does not take (and asks
 * for POLLOUT itself); the callers make sure nothing else is pending. A
 * failed write kills the connection from the loop: we may be inside
 * another connection's callback, where closing this one is not allowed.
 */
static int ws_write_now(struct ws_conn *c, const void *buf, size_t len)
{
	uint8_t stack[LWS_PRE + WS_DIRECT_MAX];
	uint8_t *frame = len <= WS_DIRECT_MAX ? stack : g_malloc(LWS_PRE + len);
	int n;

	memcpy(frame + LWS_PRE, buf, len);
	n = lws_write(c->wsi, frame + LWS_PRE, len,
		      ws_frame_type(frame + LWS_PRE, len));
	if (frame != stack)
		g_free(frame);
	if (n < (int)len) {
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND,
				LWS_TO_KILL_ASYNC);
		return EIO;
	}
	return 0;
}

static int ws_send(struct sip_transport *tp, const struct sip_addr *dst,
		   const void *buf, size_t len)
{
	struct ws_conn *c = sip_transport_impl(tp);
	uint8_t *frame;

	if (!c->wsi)
		return ENOTCONN;
	/*
	 * Nothing queued and nothing left over in lws: write now. Waiting
	 * for the writable callback cost a poll-set change and a loop
	 * iteration per reply, for a socket that almost always has room.
	 */
	if (g_queue_is_empty(&c->out) && !lws_partial_buffered(c->wsi))
		return ws_write_now(c, buf, len);
	/* Bound what a slow reader can make us buffer. */
	if (g_queue_get_length(&c->out) > 256)
		return ENOBUFS;
	frame = g_malloc(LWS_PRE + len);
	memcpy(frame + LWS_PRE, buf, len);
	g_queue_push_tail(&c->out, g_bytes_new_take(frame, LWS_PRE + len));
	lws_callback_on_writable(c->wsi);
	return 0;
}

static const struct sip_transport_ops ws_ops = {
	.send = ws_send,
	.free = ws_conn_free,
};

/* @host as URIs and Host headers spell it, brackets and port removed. */
static char *ws_bare_host(const char *host)
{
	const char *end;

	if (host[0] == '[') {
		end = strchr(host, ']');
		return end ? g_strndup(host + 1, (gsize)(end - host - 1)) : NULL;
	}
	end = strchr(host, ':');
	return end ? g_strndup(host, (gsize)(end - host)) : g_strdup(host);
}

static bool ws_host_is_local(const char *host)
{
	return g_str_equal(host, "localhost") || g_str_equal(host, "127.0.0.1") ||
	       g_str_equal(host, "::1") || g_str_has_suffix(host, ".localhost");
}

/*
 * Origin policy: browsers always send Origin, and a page from another site
 * must not drive a user's phone. Allowed: no Origin (not a browser), the
 * same host as the Host header, localhost, and the configured list.
 */
static bool ws_origin_allowed(struct gateway *gw, struct lws *wsi)
{
	g_autofree char *origin = NULL, *host = NULL, *bare = NULL;
	g_autoptr(GUri) uri = NULL;
	const char *ohost;

	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0)
		return true;
	/* Present but unreadable (or absurdly long) is not "absent". */
	origin = gateway_server_header(wsi, WSI_TOKEN_ORIGIN);
	if (!origin || strlen(origin) > 1024)
		return false;
	for (char **o = gw->cfg->origins; o && *o; o++)
		if (**o && g_ascii_strcasecmp(*o, origin) == 0)
			return true;
	uri = g_uri_parse(origin, G_URI_FLAGS_NONE, NULL);
	ohost = uri ? g_uri_get_host(uri) : NULL;
	if (!ohost)
		return false;
	if (ws_host_is_local(ohost))
		return true;
	host = gateway_server_header(wsi, WSI_TOKEN_HOST);
	bare = host ? ws_bare_host(host) : NULL;
	return bare && g_ascii_strcasecmp(bare, ohost) == 0;
}

/* The peer's address as the SIP layer will see it (IPv4-mapped undone). */
static void ws_peer(struct lws *wsi, struct sip_addr *peer)
{
	int fd = lws_get_socket_fd(wsi);

	memset(peer, 0, sizeof(*peer));
	peer->len = sizeof(peer->ss);
	if (fd < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer->ss, &peer->len) < 0)
		peer->len = 0;
	sip_addr_unmap(peer);
}

static int ws_filter(struct gateway *gw, struct lws *wsi)
{
	struct sip_addr peer;
	char path[64], ip[SIP_ADDR_STRLEN];
	guint n;

	if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) <= 0 ||
	    strcmp(path, "/ws") != 0) {
		gw->counters.ws_refused_path++;
		return -1;
	}
	ws_peer(wsi, &peer);
	sip_addr_host(&peer, ip, sizeof(ip));
	if (!ws_origin_allowed(gw, wsi)) {
		g_autofree char *origin = gateway_server_header(wsi, WSI_TOKEN_ORIGIN);
		g_autofree char *shown = sip_log_escape(origin,
							SIP_LOG_FIELD_MAX);
		g_message("WebSocket from %s refused: Origin %s not allowed",
			  ip, shown ? shown : "(unreadable)");
		gw->counters.ws_refused_origin++;
		return -1;
	}
	n = GPOINTER_TO_UINT(g_hash_table_lookup(gw->ws_per_ip, ip));
	if (n >= gw->cfg->ws_max_per_ip) {
		g_message("WebSocket from %s refused: %u connections open "
			  "(limit %u)", ip, n, gw->cfg->ws_max_per_ip);
		gw->counters.ws_refused_limit++;
		return -1;
	}
	return 0;
}

/* True if the Sec-WebSocket-Protocol list offers "sip" (case matters, as
 * lws matches it). */
static bool ws_offers_sip(const char *list)
{
	g_auto(GStrv) items = NULL;

	if (!list)
		return false;
	items = g_strsplit(list, ",", -1);
	for (char **i = items; *i; i++)
		if (strcmp(g_strstrip(*i), "sip") == 0)
			return true;
	return false;
}

/*
 * lws silently drops an upgrade whose subprotocols it does not know, and
 * binds one that names none to the HTTP protocol: both are decided here,
 * before that, so they are logged and counted like the other refusals.
 */
int gateway_ws_confirm_upgrade(struct gateway *gw, struct lws *wsi,
			       const char *upgrade)
{
	g_autofree char *list = NULL, *shown = NULL;
	struct sip_addr peer;
	char ip[SIP_ADDR_STRLEN];

	if (!upgrade || g_ascii_strcasecmp(upgrade, "websocket") != 0)
		return -1; /* h2c or anything else: HTTP/1.1 only here */
	list = gateway_server_header(wsi, WSI_TOKEN_PROTOCOL);
	if (ws_offers_sip(list))
		return 0;
	ws_peer(wsi, &peer);
	sip_addr_host(&peer, ip, sizeof(ip));
	shown = list ? sip_log_escape(list, 64) : NULL;
	if (shown)
		g_message("WebSocket from %s refused: subprotocol %s, not sip",
			  ip, shown);
	else
		g_message("WebSocket from %s refused: no subprotocol (want "
			  "sip)", ip);
	gw->counters.ws_refused_subprotocol++;
	return -1;
}

static void ws_ip_count(struct gateway *gw, const char *ip, int delta)
{
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(gw->ws_per_ip, ip));

	n = delta > 0 ? n + 1 : (n ? n - 1 : 0);
	if (n)
		g_hash_table_replace(gw->ws_per_ip, g_strdup(ip),
				     GUINT_TO_POINTER(n));
	else
		g_hash_table_remove(gw->ws_per_ip, ip);
}

static void ws_established(struct gateway *gw, struct lws *wsi,
			   struct ws_session *s)
{
	struct ws_conn *c = g_new0(struct ws_conn, 1);
	char id[32];

	c->wsi = wsi;
	c->gw = gw;
	c->rx = g_byte_array_new();
	g_queue_init(&c->out);
	ws_peer(wsi, &c->peer);
	sip_addr_host(&c->peer, c->ip, sizeof(c->ip));
	g_snprintf(id, sizeof(id), "wss-%u", ++gw->ws_next_id);
	c->tp = sip_transport_new(SIP_TRANSPORT_WSS, id, &ws_ops, c);
	s->conn = c;
	g_hash_table_insert(gw->flows, (gpointer)sip_transport_id(c->tp), c->tp);
	gw->ws_open++;
	gw->counters.ws_accepted++;
	ws_ip_count(gw, c->ip, +1);
	{
		char a[SIP_ADDR_STRLEN];
		g_info("%s: WebSocket from %s opened", id,
		       sip_addr_format(&c->peer, a, sizeof(a)));
	}
}

static void ws_closed(struct gateway *gw, struct ws_session *s)
{
	struct ws_conn *c = s->conn;

	if (!c)
		return;
	s->conn = NULL;
	c->wsi = NULL;
	gw->ws_open--;
	ws_ip_count(gw, c->ip, -1);
	g_info("%s: WebSocket closed", sip_transport_id(c->tp));
	sip_transport_close(c->tp);
	g_hash_table_remove(gw->flows, sip_transport_id(c->tp));
	sip_registrar_flow_closed(gw->registrar, c->tp);
	if (gw->proxy)
		sip_proxy_flow_closed(gw->proxy, c->tp);
	sip_transport_unref(c->tp);
}

static int ws_receive(struct gateway *gw, struct lws *wsi, struct ws_conn *c,
		      const void *in, size_t len)
{
	if (c->rx->len + len > gw->cfg->ws_max_message) {
		/* RFC 6455 1009: the peer learns why, and nothing of the
		 * message reaches the SIP stack. */
		gw->counters.ws_oversized++;
		g_message("%s: message over %u bytes from %s, closing",
			  sip_transport_id(c->tp), gw->cfg->ws_max_message,
			  c->ip);
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
				 (unsigned char *)"message too large", 17);
		return -1;
	}
	g_byte_array_append(c->rx, in, (guint)len);
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	if (sip_transport_is_keepalive(c->rx->data, c->rx->len)) {
		/* RFC 5626 4.4.1: a double CRLF ping gets a CRLF pong. */
		if (c->rx->len >= 4)
			ws_send(c->tp, NULL, "\r\n", 2);
	} else {
		sip_stack_receive(gw->stack, c->tp, &c->peer, c->rx->data,
				  c->rx->len);
	}
	g_byte_array_set_size(c->rx, 0);
	return 0;
}

/*
 * RFC 6455 8.1: a client fails the connection on a text frame that is not
 * UTF-8, and SIP from UDP phones often is not (Latin-1 or cp1251 display
 * names). RFC 7118 allows binary frames, and SIP.js and JsSIP decode them,
 * so such a message goes as binary; everything else stays text.
 * (g_utf8_validate_len() also refuses NUL bytes: binary for those too.)
 */
static enum lws_write_protocol ws_frame_type(const uint8_t *buf, size_t len)
{
	return g_utf8_validate_len((const char *)buf, len, NULL)
		       ? LWS_WRITE_TEXT
		       : LWS_WRITE_BINARY;
}

static int ws_writable(struct lws *wsi, struct ws_conn *c)
{
	GBytes *b;
	size_t size;
	uint8_t *data;
	int n;

	if (c->close_code) {
		lws_close_reason(wsi, (enum lws_close_status)c->close_code,
				 (unsigned char *)c->close_reason,
				 strlen(c->close_reason));
		return -1;
	}
	b = g_queue_pop_head(&c->out);
	if (!b)
		return 0;
	data = (uint8_t *)g_bytes_get_data(b, &size);
	n = lws_write(wsi, data + LWS_PRE, size - LWS_PRE,
		      ws_frame_type(data + LWS_PRE, size - LWS_PRE));
	g_bytes_unref(b);
	if (n < (int)(size - LWS_PRE))
		return -1;
	if (!g_queue_is_empty(&c->out))
		lws_callback_on_writable(wsi);
	return 0;
}

/*
 * GLib blocks a source while it dispatches, unless it may recurse: it takes
 * the source's fd out of the poll set and puts it back afterwards, and each
 * change signals the context's wake-up eventfd. For the lws source of a
 * WebSocket that was two eventfd writes and one wasted loop iteration per
 * message received. Nothing runs the main loop from inside a callback, so
 * the source never actually recurses. (lws dispatches a connection's
 * callbacks from that connection's source; at worst this reaches another
 * lws source, to the same effect.)
 */
static void ws_source_unblocked(void)
{
	GSource *src = g_main_current_source();

	if (src && !g_source_get_can_recurse(src))
		g_source_set_can_recurse(src, TRUE);
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason,
		       void *user, void *in, size_t len)
{
	struct gateway *gw = lws_context_user(lws_get_context(wsi));
	struct ws_session *s = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return ws_filter(gw, wsi);
	case LWS_CALLBACK_ESTABLISHED:
		ws_established(gw, wsi, s);
		ws_source_unblocked();
		return 0;
	case LWS_CALLBACK_RECEIVE:
		ws_source_unblocked();
		return s->conn ? ws_receive(gw, wsi, s->conn, in, len) : -1;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return s->conn ? ws_writable(wsi, s->conn) : -1;
	case LWS_CALLBACK_CLOSED:
		if (s)
			ws_closed(gw, s);
		return 0;
	default:
		return 0;
	}
}

/*
 * A connection may only be closed from its own callback: ask for the
 * writable one and close there, with @code and @reason in the close frame
 * (what the browser's WebSocket "close" event reports). Messages still
 * queued are dropped: the flow is going away.
 */
void gateway_ws_close_flow(struct sip_transport *tp, int code,
			   const char *reason)
{
	struct ws_conn *c;

	if (!tp || !sip_transport_is_flow(tp) || sip_transport_is_closed(tp))
		return;
	c = sip_transport_impl(tp);
	if (!c->wsi || c->close_code)
		return;
	c->close_code = code;
	g_strlcpy(c->close_reason, reason ? reason : "",
		  sizeof(c->close_reason));
	g_info("%s: closing WebSocket (%d %s)", sip_transport_id(tp), code,
	       c->close_reason);
	lws_callback_on_writable(c->wsi);
}

const struct lws_protocols gateway_ws_protocol = {
	.name = "sip",
	.callback = ws_callback,
	.per_session_data_size = sizeof(struct ws_session),
	.rx_buffer_size = 0,
};
