/* gateway/metrics.c - Prometheus text format (version 0.0.4). */
#include "gateway/gateway.h"
#include "gateway/media.h"

static void metric(GString *s, const char *name, const char *type,
		   const char *help, uint64_t value)
{
	g_string_append_printf(s, "# HELP %s %s\n# TYPE %s %s\n%s %" G_GUINT64_FORMAT "\n",
			       name, help, name, type, name, value);
}

static void metrics_sip(const char *method,
			const struct sip_stack_method_stats *st, void *arg)
{
	GString *s = arg;

	g_string_append_printf(s, "ovoz_sip_requests_received_total{method=\"%s\"} %"
			       G_GUINT64_FORMAT "\n", method, st->requests_in);
	for (unsigned c = 1; c <= 6; c++) {
		if (st->responses_out[c])
			g_string_append_printf(
				s, "ovoz_sip_responses_sent_total{method=\"%s\",class=\"%uxx\"} %"
				G_GUINT64_FORMAT "\n", method, c, st->responses_out[c]);
		if (st->responses_in[c])
			g_string_append_printf(
				s, "ovoz_sip_responses_received_total{method=\"%s\",class=\"%uxx\"} %"
				G_GUINT64_FORMAT "\n", method, c, st->responses_in[c]);
	}
}

static void metrics_transport(const struct sip_binding *b, void *arg)
{
	unsigned *n = arg;

	n[b->transport]++;
}

char *gateway_metrics_render(struct gateway *gw)
{
	GString *s = g_string_new(NULL);
	unsigned by_tp[3] = {0};

	metric(s, "ovoz_ws_connections", "gauge",
	       "Open SIP WebSocket connections.", gw->ws_open);
	metric(s, "ovoz_ws_connections_total", "counter",
	       "SIP WebSocket connections accepted.", gw->counters.ws_accepted);
	g_string_append(s, "# HELP ovoz_ws_refused_total WebSocket upgrades refused, by reason.\n"
			   "# TYPE ovoz_ws_refused_total counter\n");
	g_string_append_printf(s, "ovoz_ws_refused_total{reason=\"origin\"} %" G_GUINT64_FORMAT "\n"
			       "ovoz_ws_refused_total{reason=\"per_ip_limit\"} %" G_GUINT64_FORMAT "\n"
			       "ovoz_ws_refused_total{reason=\"path\"} %" G_GUINT64_FORMAT "\n"
			       "ovoz_ws_refused_total{reason=\"subprotocol\"} %" G_GUINT64_FORMAT "\n",
			       gw->counters.ws_refused_origin,
			       gw->counters.ws_refused_limit,
			       gw->counters.ws_refused_path,
			       gw->counters.ws_refused_subprotocol);
	metric(s, "ovoz_ws_oversized_messages_total", "counter",
	       "WebSocket messages over the size limit (connection closed).",
	       gw->counters.ws_oversized);

	sip_registrar_foreach(gw->registrar, NULL, metrics_transport, by_tp);
	g_string_append(s, "# HELP ovoz_registered_contacts Registered contacts, by transport.\n"
			   "# TYPE ovoz_registered_contacts gauge\n");
	for (unsigned t = 0; t < 3; t++)
		g_string_append_printf(s, "ovoz_registered_contacts{transport=\"%s\"} %u\n",
				       sip_transport_kind_name(t), by_tp[t]);

	g_string_append(s, "# HELP ovoz_sip_requests_received_total SIP requests received, by method.\n"
			   "# TYPE ovoz_sip_requests_received_total counter\n"
			   "# HELP ovoz_sip_responses_sent_total SIP responses sent, by method and class.\n"
			   "# TYPE ovoz_sip_responses_sent_total counter\n"
			   "# HELP ovoz_sip_responses_received_total SIP responses received, by method and class.\n"
			   "# TYPE ovoz_sip_responses_received_total counter\n");
	sip_stack_stats_foreach(gw->stack, metrics_sip, s);
	metric(s, "ovoz_sip_rejected_total", "counter",
	       "SIP messages refused as malformed or oversized.",
	       sip_stack_rejected(gw->stack));
	metric(s, "ovoz_auth_failures_total", "counter",
	       "Failed digest authentications.",
	       sip_auth_failures(gw->auth));
	metric(s, "ovoz_bans_total", "counter",
	       "Sources banned for repeated authentication failures.",
	       sip_auth_bans(gw->auth));
	metric(s, "ovoz_bans_active", "gauge", "Bans in force now.",
	       sip_auth_bans_active(gw->auth));
	metric(s, "ovoz_calls_active", "gauge", "Calls ringing or talking.",
	       gw->proxy ? sip_proxy_active_calls(gw->proxy) : 0);
	metric(s, "ovoz_keepalive_dropped_total", "counter",
	       "UDP contacts dropped for not answering keep-alive pings.",
	       gw->keepalive ? sip_keepalive_dropped(gw->keepalive) : 0);
	gateway_media_metrics(gw->media, s);
	struct gateway_store_writer_stats ws;

	gateway_store_writer_stats(gw->store, &ws);
	metric(s, "ovoz_db_queued_writes", "gauge",
	       "Rows (bindings, attempts, call log) waiting to be written.",
	       ws.queued);
	metric(s, "ovoz_db_dropped_writes_total", "counter",
	       "Queued rows never written (queue full, failing database).",
	       ws.dropped);
	metric(s, "ovoz_db_busy", "gauge",
	       "1 while the database is locked by another program.",
	       ws.busy ? 1 : 0);
	metric(s, "ovoz_http_requests_total", "counter", "HTTP requests.",
	       gw->counters.http_requests);
	metric(s, "ovoz_http_unauthorized_total", "counter",
	       "HTTP requests refused for a missing or wrong admin token.",
	       gw->counters.http_unauthorized);
	metric(s, "ovoz_http_connections", "gauge",
	       "Open TCP connections on the HTTPS/WSS port (any stage).",
	       gw->conn_open);
	g_string_append(s, "# HELP ovoz_http_connections_refused_total Connections on the HTTPS/WSS port refused, by reason.\n"
			   "# TYPE ovoz_http_connections_refused_total counter\n");
	g_string_append_printf(s, "ovoz_http_connections_refused_total{reason=\"per_ip_limit\"} %" G_GUINT64_FORMAT "\n"
			       "ovoz_http_connections_refused_total{reason=\"connect\"} %" G_GUINT64_FORMAT "\n",
			       gw->counters.http_refused_limit,
			       gw->counters.http_refused_method);
	return g_string_free(s, FALSE);
}
