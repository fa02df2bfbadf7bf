/*
 * sip/proxy_dialog.c - the proxy's memory of answered calls: who answered,
 * who hung up, a WebSocket that closes mid-call, calls whose BYE never
 * came. Only the call log needs it; routing is stateless (tokens).
 */
#define G_LOG_DOMAIN "ovoz-proxy"

#include "proxy_private.h"

#include <string.h>

#include <sofia-sip/sip_header.h>

void proxy_answered(struct sip_proxy *px, struct proxy_fork *f,
			   struct proxy_branch *b, struct sip_message *resp)
{
	sip_t *sip = sip_message_sip(f->req);
	struct proxy_dialog *d;

	f->answered = true;
	f->callee_kind = sip_transport_kind(b->tp);
	proxy_fork_cancel_others(f, b);
	if (!f->is_call)
		return;
	d = g_new0(struct proxy_dialog, 1);
	d->caller_tag = g_strdup(sip->sip_from->a_tag);
	d->caller = g_strdup(f->caller);
	d->callee = g_strdup(f->callee);
	d->caller_kind = f->caller_kind;
	d->callee_kind = f->callee_kind;
	if (sip_transport_is_flow(f->tp))
		d->caller_flow = g_strdup(sip_transport_id(f->tp));
	if (sip_transport_is_flow(b->tp))
		d->callee_flow = g_strdup(sip_transport_id(b->tp));
	d->answered = g_get_monotonic_time() / G_USEC_PER_SEC;
	g_hash_table_replace(px->dialogs, g_strdup(sip->sip_call_id->i_id), d);
	g_debug("call %s -> %s answered on %s", f->caller, f->callee,
		sip_transport_kind_name(f->callee_kind));
	proxy_call_event(px, f, SIP_CALL_ANSWER, NULL, 0);
}

static void proxy_dialog_report(struct sip_proxy *px, const char *call_id,
				const struct proxy_dialog *d, const char *by)
{
	struct sip_call_event ev = {
		.type = SIP_CALL_END,
		.call_id = call_id,
		.caller = d->caller,
		.caller_transport = sip_transport_kind_name(d->caller_kind),
		.callee = d->callee,
		.callee_transport = sip_transport_kind_name(d->callee_kind),
		.disposition = "answered",
		.status = 200,
		.hangup_by = by,
	};

	if (px->hooks.call)
		px->hooks.call(px->ctx, &ev);
}

void proxy_dialog_end(struct sip_proxy *px, const sip_t *sip)
{
	struct proxy_dialog *d = g_hash_table_lookup(px->dialogs,
						     sip->sip_call_id->i_id);
	const char *by;

	if (!d)
		return;
	by = sip->sip_from->a_tag && d->caller_tag &&
			     strcmp(sip->sip_from->a_tag, d->caller_tag) == 0
		     ? "caller" : "callee";
	proxy_dialog_report(px, sip->sip_call_id->i_id, d, by);
	g_hash_table_remove(px->dialogs, sip->sip_call_id->i_id);
}

/* Answered calls whose BYE never came are closed in the log after
 * cfg.max_call seconds, so the active list and the dialog table stay true. */
gboolean proxy_dialog_sweep(gpointer data)
{
	struct sip_proxy *px = data;
	gint64 now = g_get_monotonic_time() / G_USEC_PER_SEC;
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, px->dialogs);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct proxy_dialog *d = v;
		if (now - d->answered < (gint64)px->cfg.max_call)
			continue;
		g_message("call %s -> %s: no BYE after %u s, closed in the log",
			  d->caller, d->callee, px->cfg.max_call);
		proxy_dialog_report(px, k, d, NULL);
		g_hash_table_iter_remove(&it);
	}
	return G_SOURCE_CONTINUE;
}

void sip_proxy_flow_closed(struct sip_proxy *px, struct sip_transport *flow)
{
	const char *id = sip_transport_id(flow);
	GHashTableIter it;
	gpointer k, v;

	/* Answered calls with a party on this connection are over. */
	g_hash_table_iter_init(&it, px->dialogs);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct proxy_dialog *d = v;
		bool caller = d->caller_flow && strcmp(d->caller_flow, id) == 0;
		bool callee = d->callee_flow && strcmp(d->callee_flow, id) == 0;
		if (!caller && !callee)
			continue;
		g_message("call %s -> %s: %s's connection closed, call over",
			  d->caller, d->callee, caller ? "caller" : "callee");
		proxy_dialog_report(px, k, d, caller ? "caller" : "callee");
		g_hash_table_iter_remove(&it);
	}
	/* A caller that vanished while ringing cancels its call. */
	g_hash_table_iter_init(&it, px->forks);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct proxy_fork *f = v;
		if (f->tp != flow || f->done)
			continue;
		f->cancelled = true;
		proxy_fork_cancel_others(f, NULL);
		if (f->is_call)
			proxy_call_event(px, f, SIP_CALL_END, "cancelled", 487);
		proxy_fork_finish(f);
	}
}

unsigned sip_proxy_active_calls(const struct sip_proxy *px)
{
	GHashTableIter it;
	gpointer v;
	unsigned n = g_hash_table_size(px->dialogs);

	g_hash_table_iter_init(&it, px->forks);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		const struct proxy_fork *f = v;
		n += f->is_call && !f->done && !f->answered;
	}
	return n;
}
