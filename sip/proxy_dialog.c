/*
 * sip/proxy_dialog.c - the proxy's dialogs: created early when an INVITE
 * is forked, confirmed by the first 2xx, ended by BYE, by a closing
 * WebSocket or after max_call. In-dialog requests are routed only inside
 * a dialog Ovoz knows and only between its two parties, each sending from
 * where the dialog saw it: a Record-Route token alone is not enough, since
 * anyone who saw one could replay it from elsewhere. The table also tells
 * the call log who answered and who hung up.
 */
#define G_LOG_DOMAIN "ovoz-proxy"

#include "proxy_private.h"

#include <string.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>

static void proxy_party_clear(struct proxy_party *p)
{
	g_free(p->token);
	g_free(p->tag);
	g_free(p->branch);
}

static void proxy_party_free(gpointer data)
{
	proxy_party_clear(data);
	g_free(data);
}

void proxy_dialog_free(struct proxy_dialog *d)
{
	/* Nothing media holds may outlive its call. */
	proxy_media_release(d->px, d->call_id, NULL,
			    d->why ? d->why : "call over");
	sip_message_unref(d->invite);
	g_free(d->callee_contact);
	g_free(d->why);
	proxy_party_clear(&d->caller);
	g_ptr_array_unref(d->callees);
	g_free(d->call_id);
	g_free(d->caller_tag);
	g_free(d->caller_flow);
	g_free(d->callee_flow);
	g_free(d->caller_name);
	g_free(d->callee_name);
	g_free(d);
}

void proxy_dialog_early(struct sip_proxy *px, struct proxy_fork *f,
			bool bound)
{
	sip_t *sip = sip_message_sip(f->req);
	const char *call_id = sip->sip_call_id->i_id;
	struct proxy_dialog *d;

	/* A second INVITE with the same Call-ID (a spiral through Ovoz) keeps
	 * the first leg's dialog. */
	if (!f->is_call || g_hash_table_contains(px->dialogs, call_id))
		return;
	d = g_new0(struct proxy_dialog, 1);
	d->px = px;
	d->call_id = g_strdup(call_id);
	d->invite = sip_message_ref(f->req);
	d->caller_cseq = sip->sip_cseq ? sip->sip_cseq->cs_seq : 1;
	d->caller_tag = g_strdup(sip->sip_from->a_tag);
	d->caller.token = proxy_token(f->tp, &f->src);
	d->callees = g_ptr_array_new_with_free_func(proxy_party_free);
	for (guint i = 0; i < f->branches->len; i++) {
		struct proxy_branch *b = g_ptr_array_index(f->branches, i);
		struct proxy_party *p = g_new0(struct proxy_party, 1);
		p->token = proxy_token(b->tp, &b->dst);
		p->branch = g_strdup(b->id);
		p->bound = bound;
		g_ptr_array_add(d->callees, p);
	}
	d->fork = f;
	d->caller_name = g_strdup(f->caller);
	d->callee_name = g_strdup(f->callee);
	d->caller_kind = f->caller_kind;
	g_hash_table_replace(px->dialogs, d->call_id, d);
}

static struct proxy_dialog *proxy_dialog_of(struct sip_proxy *px,
					    struct proxy_fork *f)
{
	sip_t *sip = sip_message_sip(f->req);
	struct proxy_dialog *d = g_hash_table_lookup(px->dialogs,
						     sip->sip_call_id->i_id);

	return d && d->fork == f ? d : NULL;
}

static struct proxy_party *proxy_dialog_callee(struct proxy_dialog *d,
					       const char *branch,
					       const char *tag)
{
	for (guint i = 0; i < d->callees->len; i++) {
		struct proxy_party *p = g_ptr_array_index(d->callees, i);
		if (branch && strcmp(p->branch, branch) == 0)
			return p;
		if (tag && p->tag && strcmp(p->tag, tag) == 0)
			return p;
	}
	return NULL;
}

void proxy_dialog_tag(struct sip_proxy *px, struct proxy_branch *b,
		      const char *tag)
{
	struct proxy_dialog *d = proxy_dialog_of(px, b->fork);
	struct proxy_party *p = d ? proxy_dialog_callee(d, b->id, NULL) : NULL;

	if (p && tag && (!p->tag || strcmp(p->tag, tag) != 0)) {
		g_free(p->tag);
		p->tag = g_strdup(tag);
	}
}

void proxy_dialog_failed(struct sip_proxy *px, struct proxy_fork *f)
{
	struct proxy_dialog *d = proxy_dialog_of(px, f);

	if (d && !d->answered)
		proxy_dialog_remove(px, d, "not answered");
}

void proxy_dialog_remove(struct sip_proxy *px, struct proxy_dialog *d,
			 const char *why)
{
	g_free(d->why);
	d->why = g_strdup(why);
	g_hash_table_remove(px->dialogs, d->call_id);
}

void proxy_answered(struct sip_proxy *px, struct proxy_fork *f,
		    struct proxy_branch *b, struct sip_message *resp)
{
	struct proxy_dialog *d;

	f->answered = true;
	f->callee_kind = sip_transport_kind(b->tp);
	proxy_fork_cancel_others(f, b);
	if (!f->is_call || !(d = proxy_dialog_of(px, f)))
		return;
	proxy_dialog_tag(px, b, sip_message_sip(resp)->sip_to->a_tag);
	d->answerer = proxy_dialog_callee(d, b->id, NULL);
	if (sip_message_sip(resp)->sip_contact) {
		su_home_t home[1] = {SU_HOME_INIT(home)};
		d->callee_contact = g_strdup(url_as_string(
			home, sip_message_sip(resp)->sip_contact->m_url));
		su_home_deinit(home);
	}
	d->fork = NULL;
	d->callee_kind = f->callee_kind;
	if (sip_transport_is_flow(f->tp))
		d->caller_flow = g_strdup(sip_transport_id(f->tp));
	if (sip_transport_is_flow(b->tp))
		d->callee_flow = g_strdup(sip_transport_id(b->tp));
	d->answered = g_get_monotonic_time() / G_USEC_PER_SEC;
	g_autofree char *label = proxy_call_label(f->caller, f->callee);

	g_debug("call %s answered on %s", label,
		sip_transport_kind_name(f->callee_kind));
	proxy_call_event(px, f, SIP_CALL_ANSWER, NULL, 0);
}

static void has_binding(const struct sip_binding *b, void *arg)
{
	const char **want = arg;
	g_autofree char *tok = proxy_token(b->flow, &b->addr);

	if (strcmp(tok, want[0]) == 0)
		want[1] = "";
}

/* A callee reached through a binding is reachable while it is bound. */
static bool proxy_party_reachable(struct sip_proxy *px,
				  const struct proxy_dialog *d,
				  const struct proxy_party *p)
{
	const char *want[2] = {p->token, NULL};

	if (!p->bound)
		return true;
	sip_registrar_foreach(px->registrar, d->callee_name, has_binding, want);
	return want[1] != NULL;
}

int proxy_dialog_route(struct sip_proxy *px, const sip_t *sip,
		       const char *self, char **peer, const char **why)
{
	const char *ftag = sip->sip_from ? sip->sip_from->a_tag : NULL;
	const char *ttag = sip->sip_to ? sip->sip_to->a_tag : NULL;
	struct proxy_dialog *d = g_hash_table_lookup(px->dialogs,
						     sip->sip_call_id->i_id);
	struct proxy_party *p;

	*why = "no such dialog";
	if (!d || !ftag || !ttag || !d->caller_tag)
		return 481;
	if (strcmp(ftag, d->caller_tag) == 0) {
		/* From the caller, to the callee that tagged the dialog. */
		p = d->answerer && d->answerer->tag &&
				    strcmp(d->answerer->tag, ttag) == 0
			    ? d->answerer
			    : (d->answered ? NULL
					   : proxy_dialog_callee(d, NULL, ttag));
		if (!p)
			return 481;
		*why = "the caller's tag from somewhere the caller is not";
		if (strcmp(self, d->caller.token) != 0)
			return 403;
		*why = "the callee's contact has unregistered";
		if (!proxy_party_reachable(px, d, p))
			return 481;
		*peer = g_strdup(p->token);
		return 0;
	}
	if (strcmp(ttag, d->caller_tag) != 0)
		return 481;
	/* From a callee, to the caller. */
	p = d->answered ? d->answerer : proxy_dialog_callee(d, NULL, ftag);
	if (!p || !p->tag || strcmp(p->tag, ftag) != 0)
		return 481;
	*why = "the callee's tag from somewhere the callee is not";
	if (strcmp(self, p->token) != 0)
		return 403;
	*peer = g_strdup(d->caller.token);
	return 0;
}

static void proxy_dialog_report(struct sip_proxy *px, const char *call_id,
				const struct proxy_dialog *d, const char *by,
				const char *reason)
{
	struct sip_call_event ev = {
		.type = SIP_CALL_END,
		.call_id = call_id,
		.caller = d->caller_name,
		.caller_transport = sip_transport_kind_name(d->caller_kind),
		.callee = d->callee_name,
		.callee_transport = sip_transport_kind_name(d->callee_kind),
		.disposition = "answered",
		.status = 200,
		.hangup_by = by,
		.reason = reason,
	};

	if (px->hooks.call)
		px->hooks.call(px->ctx, &ev);
}

void proxy_dialog_report_end(struct sip_proxy *px, struct proxy_dialog *d,
			     const char *by, const char *reason)
{
	proxy_dialog_report(px, d->call_id, d, by, reason);
}

bool proxy_dialog_leg(struct sip_proxy *px, const sip_t *sip,
		      bool is_request, const char **branch, bool *from_caller)
{
	struct proxy_dialog *d = sip->sip_call_id
		? g_hash_table_lookup(px->dialogs, sip->sip_call_id->i_id)
		: NULL;
	bool caller_sent;

	if (!d || !d->answerer || !sip->sip_from || !d->caller_tag)
		return false;
	/* A request from the caller carries its tag in From; a response
	 * travels against its request. */
	caller_sent = sip->sip_from->a_tag &&
		      strcmp(sip->sip_from->a_tag, d->caller_tag) == 0;
	*branch = d->answerer->branch;
	*from_caller = is_request ? caller_sent : !caller_sent;
	return true;
}

void proxy_dialog_cseq(struct sip_proxy *px, const sip_t *sip)
{
	struct proxy_dialog *d = g_hash_table_lookup(px->dialogs,
						     sip->sip_call_id->i_id);
	uint32_t *mine;

	if (!d || !sip->sip_cseq || !sip->sip_from || !sip->sip_from->a_tag ||
	    !d->caller_tag)
		return;
	mine = strcmp(sip->sip_from->a_tag, d->caller_tag) == 0
		       ? &d->caller_cseq : &d->callee_cseq;
	*mine = MAX(*mine, sip->sip_cseq->cs_seq);
}

void proxy_dialog_end(struct sip_proxy *px, const sip_t *sip)
{
	struct proxy_dialog *d = g_hash_table_lookup(px->dialogs,
						     sip->sip_call_id->i_id);
	const char *by;

	if (!d || !d->answered)
		return;
	by = sip->sip_from->a_tag && d->caller_tag &&
			     strcmp(sip->sip_from->a_tag, d->caller_tag) == 0
		     ? "caller" : "callee";
	proxy_dialog_report(px, sip->sip_call_id->i_id, d, by, NULL);
	proxy_dialog_remove(px, d, "BYE");
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
		if (!d->answered ||
		    now - d->answered < (gint64)px->cfg.max_call)
			continue;
		g_autofree char *label = proxy_call_label(d->caller_name,
							  d->callee_name);

		g_message("call %s: no BYE after %u s, closed in the log",
			  label, px->cfg.max_call);
		proxy_dialog_report(px, k, d, NULL, NULL);
		g_free(d->why);
		d->why = g_strdup("no BYE within max_call_duration");
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
		if (!d->answered)
			continue; /* early: the fork below, or no answer */
		bool callee = d->callee_flow && strcmp(d->callee_flow, id) == 0;
		if (!caller && !callee)
			continue;
		g_autofree char *label = proxy_call_label(d->caller_name,
							  d->callee_name);

		g_message("call %s: %s's connection closed, call over", label,
			  caller ? "caller" : "callee");
		proxy_dialog_report(px, k, d, caller ? "caller" : "callee",
				    NULL);
		g_free(d->why);
		d->why = g_strdup("connection closed");
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
	unsigned n = 0;

	g_hash_table_iter_init(&it, px->dialogs);
	while (g_hash_table_iter_next(&it, NULL, &v))
		n += ((const struct proxy_dialog *)v)->answered != 0;
	g_hash_table_iter_init(&it, px->forks);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		const struct proxy_fork *f = v;
		n += f->is_call && !f->done && !f->answered;
	}
	return n;
}
