/*
 * gateway/calls_glue.c - wires the SIP stack's handlers (one table: which
 * method goes to the registrar, the proxy or an answer of our own) and the
 * proxy to the rest of the gateway: which users are extensions (store),
 * which WebSocket flow a token names (ws.c's flow table), and call
 * progress into the call log (calls.c).
 */
#define G_LOG_DOMAIN "ovoz"

#include "gateway/gateway.h"
#include "gateway/media.h"

#include <errno.h>
#include <string.h>

#include <sofia-sip/sip_header.h>

static bool glue_is_extension(void *ctx, const char *user)
{
	struct gateway *gw = ctx;

	return gateway_store_has_extension(gw->store, user); /* memory */
}

static struct sip_transport *glue_flow(void *ctx, const char *id)
{
	struct gateway *gw = ctx;

	return g_hash_table_lookup(gw->flows, id);
}

/* The proxy's events, in the call log's terms. */
static void glue_call(void *ctx, const struct sip_call_event *ev)
{
	struct gateway *gw = ctx;
	static const enum gateway_call_event_type types[] = {
		[SIP_CALL_START] = GATEWAY_CALL_EV_START,
		[SIP_CALL_ANSWER] = GATEWAY_CALL_EV_ANSWER,
		[SIP_CALL_END] = GATEWAY_CALL_EV_END,
	};
	struct gateway_call_event ce = {
		.type = types[ev->type],
		.call_id = ev->call_id,
		.caller = ev->caller,
		.caller_transport = ev->caller_transport,
		.callee = ev->callee,
		.callee_transport = ev->callee_transport,
		.disposition = ev->disposition,
		.status = ev->status,
		.hangup_by = ev->hangup_by,
		.reason = ev->reason,
	};

	gateway_calls_event(gw->calls, &ce);
}

static void glue_active_calls(void *ctx, JsonArray *array)
{
	struct gateway *gw = ctx;

	gateway_calls_active_json(gw->calls, array);
	for (guint i = 0; gw->media && i < json_array_get_length(array); i++) {
		JsonObject *o = json_array_get_object_element(array, i);

		gateway_media_call_json(gw->media, json_object_get_string_member(
						o, "callId"), o);
	}
}

/* OPTIONS to an extension is routed; OPTIONS to Ovoz itself (keep-alive
 * pings, monitoring) is answered here. */
static void glue_options(struct sip_stack *st, const struct sip_request *req,
			 void *arg)
{
	struct gateway *gw = arg;
	sip_t *sip = sip_message_sip(req->msg);
	static const char *const hdrs[] = {
		"Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, "
			 "PRACK, MESSAGE, REFER, NOTIFY, REGISTER",
		"Accept", "application/sdp",
		"Supported", "path, outbound",
		NULL};

	/* To an extension, or inside a dialog: the proxy's. */
	if (sip->sip_request->rq_url->url_user ||
	    (sip->sip_to && sip->sip_to->a_tag)) {
		sip_proxy_handle_request(st, req, gw->proxy);
		return;
	}
	sip_stack_reply(st, req, 200, "OK", hdrs);
}

/* In upstream mode WebSocket clients register with the upstream. */
static void glue_register(struct sip_stack *st, const struct sip_request *req,
			  void *arg)
{
	struct gateway *gw = arg;

	if (sip_proxy_wants_register(gw->proxy, req))
		sip_proxy_handle_request(st, req, gw->proxy);
	else
		sip_registrar_handle(st, req, gw->registrar);
}

/* Everything else: the proxy's (INVITE, ACK, BYE, CANCEL, MESSAGE, ...). */
static void glue_proxy(struct sip_stack *st, const struct sip_request *req,
		       void *arg)
{
	struct gateway *gw = arg;

	sip_proxy_handle_request(st, req, gw->proxy);
}

/* Responses: our keep-alive pings' answers, else the proxy's. */
static void glue_response(struct sip_stack *st, struct sip_message *msg,
			  struct sip_transport *tp, const struct sip_addr *src,
			  void *arg)
{
	struct gateway *gw = arg;

	if (gw->keepalive && sip_keepalive_handle_response(gw->keepalive, msg))
		return;
	sip_proxy_handle_response(st, msg, tp, src, gw->proxy);
}

/* Who answers which SIP method: the one place handlers are registered.
 * Every handler gets the gateway and picks registrar or proxy itself. */
static const struct {
	const char *method;
	sip_stack_request_h handler;
} glue_handlers[] = {
	{"REGISTER", glue_register},
	{"OPTIONS", glue_options},
	{"*", glue_proxy},
};

static void glue_install_handlers(struct gateway *gw)
{
	for (size_t i = 0; i < G_N_ELEMENTS(glue_handlers); i++)
		sip_stack_set_handler(gw->stack, glue_handlers[i].method,
				      glue_handlers[i].handler, gw);
	sip_stack_set_response_handler(gw->stack, glue_response, gw);
}

/* Our address as peers should write it in Via and Record-Route. */
static char *glue_host(const char *listen, const char *fallback)
{
	g_autofree char *host = gateway_config_listen_host(listen);

	if (!host)
		return g_strdup(fallback);
	return strchr(host, ':') ? g_strdup_printf("[%s]", host)
				 : g_steal_pointer(&host);
}

int gateway_calls_start(struct gateway *gw, char **err)
{
	struct gateway_config *cfg = gw->cfg;
	static const struct sip_proxy_hooks hooks = {
		.is_extension = glue_is_extension,
		.flow = glue_flow,
		.call = glue_call,
		.media = gateway_media_hook_body,
		.media_release = gateway_media_hook_release,
	};
	const char *advertise = cfg->media_ip && *cfg->media_ip ? cfg->media_ip
								 : cfg->realm;
	g_autofree char *udp_host = glue_host(cfg->sip_udp, advertise);
	g_autofree char *ws_host = glue_host(cfg->https, advertise);
	struct sip_addr a;
	struct sip_proxy_config pc = {
		.domain = cfg->realm,
		.udp_host = udp_host,
		.ws_host = ws_host,
		.no_answer = cfg->no_answer,
		.max_call = cfg->max_call,
		.upstream = cfg->upstream,
	};
	int rc;

	if (gw->udp)
		pc.udp_port = sip_addr_port(sip_udp_local(gw->udp));
	if (sip_addr_parse(&a, cfg->https) == 0)
		pc.ws_port = sip_addr_port(&a);
	rc = gateway_calls_new(&gw->calls, gw->store);
	if (rc) {
		*err = g_strdup("cannot open the call log");
		return rc;
	}
	rc = gateway_media_start(gw, err);
	if (rc)
		return rc;
	rc = sip_proxy_new(&gw->proxy, &pc, gw->stack, gw->auth,
			   gw->registrar,
			   gw->udp ? sip_udp_transport(gw->udp) : NULL, &hooks,
			   gw);
	if (rc) {
		*err = g_strdup("cannot start the proxy");
		return rc;
	}
	glue_install_handlers(gw);
	if (cfg->upstream && *cfg->upstream)
		g_message("upstream mode: WebSocket clients register with %s",
			  cfg->upstream);
	if (gw->udp && cfg->keepalive_interval) {
		struct sip_keepalive_config kc = {
			.interval = cfg->keepalive_interval,
			.max_missed = cfg->keepalive_max_missed,
			.domain = cfg->realm,
			.host = udp_host,
			.port = pc.udp_port,
		};
		rc = sip_keepalive_new(&gw->keepalive, &kc, gw->registrar,
				       sip_udp_transport(gw->udp));
		if (rc) {
			*err = g_strdup("cannot start UDP keep-alives");
			return rc;
		}
	}
	return 0;
}

void gateway_calls_stop(struct gateway *gw)
{
	sip_keepalive_free(gw->keepalive);
	gw->keepalive = NULL;
	sip_proxy_free(gw->proxy);
	gw->proxy = NULL;
	gateway_media_stop(gw);
	gateway_calls_free(gw->calls);
	gw->calls = NULL;
}

void gateway_calls_api_hooks(struct gateway_api_hooks *hooks)
{
	hooks->active_calls = glue_active_calls;
}
