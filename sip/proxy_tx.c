/*
 * sip/proxy_tx.c - the proxy's transactions (RFC 3261 17): forks and their
 * branches, UDP retransmission timers (A/B, E/F, G/H), CANCEL and ACK for
 * branches, best-response selection, and message helpers.
 */
#define G_LOG_DOMAIN "ovoz-proxy"

#include "proxy_private.h"

#include <errno.h>
#include <string.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>

const char *proxy_method(const sip_t *sip)
{
	return sip->sip_request ? sip->sip_request->rq_method_name
				: (sip->sip_cseq ? sip->sip_cseq->cs_method_name
						 : "");
}

char *proxy_new_branch(void)
{
	return g_strdup_printf(PROXY_COOKIE "%08x%08x", g_random_int(),
			       g_random_int());
}

char *proxy_call_label(const char *caller, const char *callee)
{
	g_autofree char *a = sip_log_escape(caller ? caller : "?",
					    SIP_LOG_FIELD_MAX);
	g_autofree char *b = sip_log_escape(callee ? callee : "?",
					    SIP_LOG_FIELD_MAX);

	return g_strconcat(a, " -> ", b, NULL);
}

char *proxy_log_method(const sip_t *sip)
{
	return sip_log_escape(proxy_method(sip), 32);
}

int proxy_send(struct sip_transport *tp, const struct sip_addr *dst,
		      const char *bytes, size_t len)
{
	return tp ? sip_transport_send(tp, dst, bytes, len) : ENOTCONN;
}

bool proxy_is_udp(struct sip_transport *tp)
{
	return tp && !sip_transport_is_flow(tp);
}

/* Our Via for a leg on @tp. */
char *proxy_via(struct sip_proxy *px, struct sip_transport *tp,
		       const char *branch)
{
	if (sip_transport_is_flow(tp))
		return g_strdup_printf("SIP/2.0/WSS %s:%u;branch=%s",
				       px->ws_host, px->cfg.ws_port, branch);
	return g_strdup_printf("SIP/2.0/UDP %s:%u;branch=%s;rport",
			       px->udp_host, px->cfg.udp_port, branch);
}

int proxy_insert(struct sip_message *m, msg_hclass_t *hc,
			const char *value)
{
	msg_t *msg = sip_message_msg(m);
	msg_header_t *h = msg_header_make(msg_home(msg), hc, value);

	if (!h)
		return EINVAL;
	return msg_header_insert(msg, (msg_pub_t *)sip_message_sip(m), h)
		       ? EINVAL : 0;
}

/* RFC 3261 16.6 step 3: Max-Forwards, decremented or set to 70. */
void proxy_max_forwards(struct sip_message *m)
{
	sip_t *sip = sip_message_sip(m);

	if (sip->sip_max_forwards) {
		if (sip->sip_max_forwards->mf_count > 0)
			sip->sip_max_forwards->mf_count--;
		msg_fragment_clear(sip->sip_max_forwards->mf_common);
	} else {
		sip_message_add_header(m, "Max-Forwards", "70");
	}
}

void proxy_branch_free(struct proxy_branch *b)
{
	if (b->status < 200 || b->status >= 300)
		proxy_branch_release(b, "transaction over");
	if (b->retrans)
		g_source_remove(b->retrans);
	if (b->cancel_timer)
		g_source_remove(b->cancel_timer);
	g_free(b->cancel_bytes);
	sip_message_unref(b->req);
	sip_transport_unref(b->tp);
	g_free(b->bytes);
	g_free(b->id);
	g_free(b->key);
	g_free(b);
}

void proxy_fork_free(struct proxy_fork *f)
{
	guint *timers[] = {&f->g_timer, &f->h_timer, &f->noanswer};

	for (size_t i = 0; i < G_N_ELEMENTS(timers); i++)
		if (*timers[i])
			g_source_remove(*timers[i]);
	for (guint i = 0; i < f->branches->len; i++) {
		struct proxy_branch *b = g_ptr_array_index(f->branches, i);
		g_hash_table_remove(f->px->branches, b->key);
		proxy_branch_free(b);
	}
	g_ptr_array_unref(f->branches);
	sip_message_unref(f->req);
	sip_message_unref(f->best);
	sip_transport_unref(f->tp);
	g_free(f->last);
	g_free(f->caller);
	g_free(f->callee);
	g_free(f->key);
	g_free(f);
}

/* Keep a finished transaction 64*T1 to absorb retransmissions. */
void proxy_fork_finish(struct proxy_fork *f)
{
	f->done = true;
	if (f->noanswer) {
		g_source_remove(f->noanswer);
		f->noanswer = 0;
	}
	if (!f->lingering) {
		f->lingering = true;
		proxy_due_push(f->px, &f->px->lingers, f->key);
	}
}

char *proxy_fork_key(const sip_t *sip, const char *method)
{
	const char *branch = sip->sip_via && sip->sip_via->v_branch
				     ? sip->sip_via->v_branch : "";

	return g_strdup_printf("%s|%s|%u|%s", branch,
			       sip->sip_call_id ? sip->sip_call_id->i_id : "",
			       sip->sip_cseq ? sip->sip_cseq->cs_seq : 0, method);
}

void proxy_call_event(struct sip_proxy *px, struct proxy_fork *f,
			     enum sip_call_event_type type,
			     const char *disposition, int status)
{
	sip_t *sip = sip_message_sip(f->req);
	struct sip_call_event ev = {
		.type = type,
		.call_id = sip->sip_call_id->i_id,
		.caller = f->caller,
		.caller_transport = sip_transport_kind_name(f->caller_kind),
		.callee = f->callee,
		.callee_transport = f->answered
			? sip_transport_kind_name(f->callee_kind) : NULL,
		.disposition = disposition,
		.status = status,
	};

	if (f->is_call && px->hooks.call)
		px->hooks.call(px->ctx, &ev);
	if (type == SIP_CALL_END && !f->answered)
		proxy_dialog_failed(px, f);
}

gboolean proxy_fork_timer_g(gpointer data)
{
	struct proxy_fork *f = data;

	proxy_send(f->tp, &f->src, f->last, f->last_len);
	f->g_interval = MIN(f->g_interval * 2, PROXY_T2);
	f->g_timer = g_timeout_add(f->g_interval, proxy_fork_timer_g, f);
	return G_SOURCE_REMOVE;
}

gboolean proxy_fork_timer_h(gpointer data)
{
	struct proxy_fork *f = data;

	f->h_timer = 0;
	if (f->g_timer) {
		g_source_remove(f->g_timer);
		f->g_timer = 0;
	}
	return G_SOURCE_REMOVE;
}

/* Send @resp (already stripped of our Via) to the caller and remember it
 * for retransmitted requests; run Timer G/H for a final non-2xx to INVITE
 * over UDP. */
void proxy_fork_respond(struct proxy_fork *f, struct sip_message *resp)
{
	int status = sip_message_status(resp);

	g_free(f->last);
	f->last = sip_message_serialize(resp, &f->last_len);
	if (!f->last)
		return;
	proxy_send(f->tp, &f->src, f->last, f->last_len);
	if (status < 200)
		return;
	if (f->is_invite && status >= 300 && proxy_is_udp(f->tp) &&
	    !f->g_timer) {
		f->g_interval = f->px->t1;
		f->g_timer = g_timeout_add(f->g_interval, proxy_fork_timer_g, f);
		f->h_timer = g_timeout_add(64 * f->px->t1, proxy_fork_timer_h, f);
	}
	proxy_fork_finish(f);
}

/* A response of our own making (100, 480, 503...). */
void proxy_fork_reply(struct proxy_fork *f, int status, const char *reason)
{
	struct sip_message *resp = NULL;

	if (sip_message_new_reply(&resp, f->req, status, reason, NULL))
		return;
	sip_message_add_header(resp, "Server",
			       sip_stack_server_name(f->px->stack));
	proxy_fork_respond(f, resp);
	sip_message_unref(resp);
}

gboolean proxy_branch_retransmit(gpointer data)
{
	struct proxy_branch *b = data;
	bool invite = b->fork->is_invite;

	proxy_send(b->tp, &b->dst, b->bytes, b->len);
	/* Timer A doubles without bound; Timer E is capped at T2. */
	b->interval = invite ? b->interval * 2 : MIN(b->interval * 2, PROXY_T2);
	b->retrans = g_timeout_add(b->interval, proxy_branch_retransmit, b);
	return G_SOURCE_REMOVE;
}

void proxy_branch_stop_retransmit(struct proxy_branch *b)
{
	if (b->retrans) {
		g_source_remove(b->retrans);
		b->retrans = 0;
	}
}

/*
 * Build a request from the headers of @b's request (RFC 3261 9.1 CANCEL,
 * 17.1.1.3 ACK for a non-2xx): same Request-URI, top Via, From, Call-ID,
 * CSeq number and Route set; To from @to (the response) or the request.
 */
struct sip_message *proxy_branch_derive(struct proxy_branch *b,
					 const char *method,
					 const sip_to_t *to)
{
	sip_t *sip = sip_message_sip(b->req);
	struct sip_message *m = NULL;
	sip_cseq_t *cseq;
	msg_t *msg;

	if (sip_message_new_request(&m, method,
				    (url_string_t *)sip->sip_request->rq_url))
		return NULL;
	msg = sip_message_msg(m);
	cseq = sip_cseq_create(msg_home(msg), sip->sip_cseq->cs_seq,
			       sip_message_sip(m)->sip_request->rq_method,
			       method);
	if (!cseq ||
	    sip_message_add_copy(m, sip->sip_via, false) ||
	    sip_message_add_header(m, "Max-Forwards", "70") ||
	    sip_message_add_copy(m, sip->sip_from, false) ||
	    sip_message_add_copy(m, to ? to : sip->sip_to, false) ||
	    sip_message_add_copy(m, sip->sip_call_id, false) ||
	    sip_message_add_copy(m, cseq, false) ||
	    sip_message_add_copy(m, sip->sip_route, true)) {
		sip_message_unref(m);
		return NULL;
	}
	return m;
}

void proxy_branch_send_derived(struct proxy_branch *b, const char *method,
				const sip_to_t *to)
{
	struct sip_message *m = proxy_branch_derive(b, method, to);

	sip_message_send(m, b->tp, &b->dst);
	sip_message_unref(m);
}

/* Timer E for our CANCEL (a non-INVITE transaction), 11 sends at most
 * (64*T1, as Timer F). */
static gboolean proxy_branch_cancel_retransmit(gpointer data)
{
	struct proxy_branch *b = data;

	b->cancel_timer = 0;
	if (b->final || ++b->cancel_sends > 10)
		return G_SOURCE_REMOVE;
	proxy_send(b->tp, &b->dst, b->cancel_bytes, b->cancel_len);
	b->cancel_interval = MIN(b->cancel_interval * 2, PROXY_T2);
	b->cancel_timer = g_timeout_add(b->cancel_interval,
					proxy_branch_cancel_retransmit, b);
	return G_SOURCE_REMOVE;
}

void proxy_branch_cancel_answered(struct proxy_branch *b)
{
	if (b->cancel_timer) {
		g_source_remove(b->cancel_timer);
		b->cancel_timer = 0;
	}
}

/* RFC 3261 9.1: CANCEL only once the branch has answered provisionally. */
void proxy_branch_cancel(struct proxy_branch *b)
{
	struct sip_message *m;

	if (b->final || b->cancel_sent)
		return;
	b->cancel_wanted = true;
	if (b->status < 100)
		return;
	b->cancel_sent = true;
	m = proxy_branch_derive(b, "CANCEL", NULL);
	b->cancel_bytes = m ? sip_message_serialize(m, &b->cancel_len) : NULL;
	sip_message_unref(m);
	if (!b->cancel_bytes)
		return;
	proxy_send(b->tp, &b->dst, b->cancel_bytes, b->cancel_len);
	if (proxy_is_udp(b->tp)) {
		b->cancel_interval = b->fork->px->t1;
		b->cancel_timer = g_timeout_add(b->cancel_interval,
						proxy_branch_cancel_retransmit, b);
	}
}

void proxy_fork_cancel_others(struct proxy_fork *f, struct proxy_branch *keep)
{
	for (guint i = 0; i < f->branches->len; i++) {
		struct proxy_branch *b = g_ptr_array_index(f->branches, i);
		if (b != keep)
			proxy_branch_cancel(b);
	}
}

void proxy_branch_timer_c_reset(struct proxy_branch *b)
{
	b->timer_c = g_get_monotonic_time() +
		     (gint64)PROXY_TIMER_C_T1 * b->fork->px->t1 * 1000;
}

/*
 * A branch's 64*T1 deadline is due. For a non-INVITE branch, or an INVITE
 * branch that has heard nothing, it is Timer F or B: the branch failed
 * (408). An INVITE branch that answered provisionally is ringing: Timer B
 * no longer applies (RFC 3261 17.1.1.2) and Timer C does (16.6 step 11),
 * so the deadline is pushed back and checked again until Timer C expires;
 * then the branch is cancelled and counts as 408 (16.8). How long a phone
 * may ring is the no-answer timer's business, not the transaction layer's.
 */
static void proxy_branch_due(struct proxy_branch *b, gint64 now)
{
	struct sip_proxy *px = b->fork->px;

	if (b->final)
		return;
	if (b->is_invite && b->status >= 100 && now < b->timer_c) {
		proxy_due_push(px, &px->timeouts, b->key);
		return;
	}
	proxy_branch_stop_retransmit(b);
	if (b->is_invite && b->status >= 100) {
		g_autofree char *label = proxy_call_label(b->fork->caller,
							  b->fork->callee);

		g_message("call %s: Timer C expired on a ringing branch, "
			  "cancelled", label);
		proxy_branch_cancel(b);
	}
	proxy_fork_branch_final(b->fork, b, NULL, 408);
}

/* Send @req (owned copy, ready but for Via) down @tp to @dst. */
int proxy_fork_add_branch(struct proxy_fork *f, struct sip_message *req,
			   struct sip_transport *tp, const struct sip_addr *dst)
{
	struct sip_proxy *px = f->px;
	struct proxy_branch *b = g_new0(struct proxy_branch, 1);
	g_autofree char *via = NULL;
	const char *method = proxy_method(sip_message_sip(req));
	struct proxy_media_leg leg = {
		.fork = f, .from_caller = true, .source = &f->src,
		.from_kind = sip_transport_kind(f->tp),
		.to_kind = sip_transport_kind(tp),
	};
	const char *reason = NULL;
	int refused;

	b->fork = f;
	b->is_invite = strcmp(method, "INVITE") == 0;
	if (b->is_invite)
		proxy_branch_timer_c_reset(b);
	b->id = proxy_new_branch();
	b->key = g_strdup_printf("%s|%s", b->id, method);
	b->tp = sip_transport_ref(tp);
	if (dst)
		b->dst = *dst;
	via = proxy_via(px, tp, b->id);
	proxy_insert(req, sip_via_class, via);
	/* A new call's branch is its own media leg; a request inside a
	 * dialog belongs to the leg that answered. */
	leg.branch = b->id;
	leg.dest = dst ? &b->dst : NULL;
	if (!f->is_call)
		proxy_dialog_leg(px, sip_message_sip(req), true, &leg.branch,
				 &leg.from_caller);
	refused = proxy_media_body(px, req, &leg, &reason);
	b->req = req;
	g_ptr_array_add(f->branches, b);
	g_hash_table_insert(px->branches, b->key, b);
	if (refused) {
		b->final = true;
		b->status = refused;
		f->refusal_status = refused;
		f->refusal_reason = reason;
		return EPROTO;
	}
	b->bytes = sip_message_serialize(req, &b->len);
	if (!b->bytes || proxy_send(tp, &b->dst, b->bytes, b->len)) {
		b->final = true;
		b->status = 503;
		return EIO;
	}
	if (proxy_is_udp(tp)) {
		b->interval = px->t1;
		b->retrans = g_timeout_add(b->interval, proxy_branch_retransmit, b);
	}
	proxy_due_push(px, &px->timeouts, b->key);
	return 0;
}

/* RFC 3261 16.7 step 6: the best of the final responses. 6xx beat all,
 * then the lowest class; 401/407 would need merging and are not special. */
bool proxy_better(int candidate, int best)
{
	if (best == 0)
		return true;
	if (best / 100 == 6)
		return false;
	if (candidate / 100 == 6)
		return true;
	return candidate / 100 < best / 100;
}

const char *proxy_disposition(struct proxy_fork *f, int status)
{
	if (f->cancelled && status == 487)
		return "cancelled";
	if (status == 486 || status == 600 || status == 603)
		return "busy";
	if (f->no_answer || status == 408 || status == 480)
		return "no-answer";
	return "failed";
}

/* A branch ended without success; when all have, answer the caller. */
void proxy_fork_branch_final(struct proxy_fork *f, struct proxy_branch *b,
			      struct sip_message *resp, int status)
{
	b->final = true;
	b->status = status;
	proxy_branch_stop_retransmit(b);
	proxy_branch_release(b, status == 487 ? "cancelled" : "failed");
	if (f->done)
		return;
	if (proxy_better(status, f->best_status)) {
		sip_message_unref(f->best);
		f->best = resp ? sip_message_ref(resp) : NULL;
		f->best_status = status;
	}
	if (status / 100 == 6)
		proxy_fork_cancel_others(f, b);
	for (guint i = 0; i < f->branches->len; i++)
		if (!((struct proxy_branch *)g_ptr_array_index(f->branches, i))->final)
			return;
	if (f->best)
		proxy_fork_respond(f, f->best);
	else
		proxy_fork_reply(f, f->best_status ? f->best_status : 408,
				 f->best_status == f->refusal_status
					 ? f->refusal_reason : NULL);
	if (f->is_call) {
		g_autofree char *label = proxy_call_label(f->caller,
							  f->callee);

		g_debug("call %s: %d (%s)", label, f->best_status,
			proxy_disposition(f, f->best_status));
	}
	proxy_call_event(f->px, f, SIP_CALL_END,
			 proxy_disposition(f, f->best_status), f->best_status);
}

struct proxy_fork *proxy_fork_new(struct sip_proxy *px,
				   const struct sip_request *req, char *key)
{
	struct proxy_fork *f = g_new0(struct proxy_fork, 1);
	sip_t *sip = sip_message_sip(req->msg);

	f->px = px;
	f->key = key;
	f->req = sip_message_ref(req->msg);
	f->tp = sip_transport_ref(req->tp);
	f->src = req->src;
	f->branches = g_ptr_array_new();
	f->is_invite = sip->sip_request->rq_method == sip_method_invite;
	f->caller_kind = sip_transport_kind(req->tp);
	g_hash_table_insert(px->forks, key, f);
	return f;
}

gboolean proxy_fork_no_answer(gpointer data)
{
	struct proxy_fork *f = data;

	f->noanswer = 0;
	if (f->done || f->answered)
		return G_SOURCE_REMOVE;
	f->no_answer = true;
	proxy_fork_cancel_others(f, NULL);
	proxy_fork_reply(f, 480, "Temporarily Unavailable - no answer");
	g_autofree char *label = proxy_call_label(f->caller, f->callee);

	g_debug("call %s: no answer", label);
	proxy_call_event(f->px, f, SIP_CALL_END, "no-answer", 480);
	return G_SOURCE_REMOVE;
}

/* ---- the 64*T1 queues ---- */

static gboolean proxy_due_fire(gpointer data);

static void proxy_due_arm(struct sip_proxy *px)
{
	struct proxy_due *a = g_queue_peek_head(&px->lingers);
	struct proxy_due *b = g_queue_peek_head(&px->timeouts);
	gint64 next, wait;

	if (px->due_timer || (!a && !b))
		return;
	next = a && b ? MIN(a->due, b->due) : (a ? a->due : b->due);
	wait = (next - g_get_monotonic_time()) / 1000 + 1;
	px->due_timer = g_timeout_add((guint)CLAMP(wait, 1, G_MAXINT),
				      proxy_due_fire, px);
}

void proxy_due_push(struct sip_proxy *px, GQueue *q, const char *key)
{
	struct proxy_due *e = g_new(struct proxy_due, 1);

	e->due = g_get_monotonic_time() + (gint64)64 * px->t1 * 1000;
	e->key = g_strdup(key);
	g_queue_push_tail(q, e);
	proxy_due_arm(px);
}

static void proxy_due_free(struct proxy_due *e)
{
	g_free(e->key);
	g_free(e);
}

/* Pop the next due entry of @q, or NULL. */
static struct proxy_due *proxy_due_pop(GQueue *q, gint64 now)
{
	struct proxy_due *e = g_queue_peek_head(q);

	return e && e->due <= now ? g_queue_pop_head(q) : NULL;
}

static gboolean proxy_due_fire(gpointer data)
{
	struct sip_proxy *px = data;
	gint64 now = g_get_monotonic_time();
	struct proxy_due *e;

	px->due_timer = 0;
	/* Timer B / F / C (or no answer on a WebSocket). An entry pushed
	 * back by proxy_branch_due() is due 64*T1 from now, so it never pops in
	 * this same loop. */
	while ((e = proxy_due_pop(&px->timeouts, now))) {
		struct proxy_branch *b = g_hash_table_lookup(px->branches,
							     e->key);
		if (b)
			proxy_branch_due(b, now);
		proxy_due_free(e);
	}
	/* Finished transactions have absorbed their retransmissions. */
	while ((e = proxy_due_pop(&px->lingers, now))) {
		struct proxy_fork *f = g_hash_table_lookup(px->forks, e->key);
		if (f && f->done)
			g_hash_table_remove(px->forks, e->key); /* frees f */
		proxy_due_free(e);
	}
	proxy_due_arm(px);
	return G_SOURCE_REMOVE;
}

void proxy_due_clear(struct sip_proxy *px)
{
	if (px->due_timer)
		g_source_remove(px->due_timer);
	px->due_timer = 0;
	g_queue_clear_full(&px->lingers, (GDestroyNotify)proxy_due_free);
	g_queue_clear_full(&px->timeouts, (GDestroyNotify)proxy_due_free);
}
