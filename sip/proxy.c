/* sip/proxy.c - routing: who may call whom, Record-Route tokens, in-dialog
 * and upstream routing. Transactions are in sip/proxy_tx.c. */
#define G_LOG_DOMAIN "ovoz-proxy"

#include "proxy_private.h"
#include "ephemeral.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/random.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>

/* ---- small helpers ---- */

char *proxy_token(struct sip_transport *tp, const struct sip_addr *src)
{
	char host[SIP_ADDR_STRLEN];

	if (tp && sip_transport_is_flow(tp))
		return g_strdup(sip_transport_id(tp));
	sip_addr_host(src, host, sizeof(host));
	return g_strdup_printf("u~%s~%u", host, sip_addr_port(src));
}

/* Resolve a token back to a transport and address. */
struct sip_transport *proxy_resolve(struct sip_proxy *px, const char *token,
				    struct sip_addr *dst)
{
	memset(dst, 0, sizeof(*dst));
	if (g_str_has_prefix(token, "u~")) {
		g_auto(GStrv) part = g_strsplit(token + 2, "~", 2);
		if (!part[0] || !part[1] || !px->udp ||
		    sip_addr_set(dst, part[0],
				 (unsigned)g_ascii_strtoull(part[1], NULL, 10)))
			return NULL;
		return px->udp;
	}
	return px->hooks.flow ? px->hooks.flow(px->ctx, token) : NULL;
}

/*
 * Tokens travel in Record-Route and come back in Route, so anyone can
 * write one. Unsigned, a forged "u~198.51.100.1~5060" would make Ovoz an
 * open relay to any address; each token therefore carries 64 bits of
 * HMAC-SHA256 under a per-process secret ("wss-12.9f1c...").
 */
static char *proxy_sign(const struct sip_proxy *px, const char *token,
			const char *call_id)
{
	g_autoptr(GHmac) h = g_hmac_new(G_CHECKSUM_SHA256, px->secret,
					sizeof(px->secret));
	const char *hex;

	/* Record-Route tokens are bound to their call; a Path token (no
	 * Call-ID) to none, and the two never verify as each other. */
	g_hmac_update(h, (const guchar *)(call_id ? "dlg\n" : "path\n"), -1);
	g_hmac_update(h, (const guchar *)token, (gssize)strlen(token));
	if (call_id) {
		g_hmac_update(h, (const guchar *)"\n", 1);
		g_hmac_update(h, (const guchar *)call_id, -1);
	}
	hex = g_hmac_get_string(h);
	return g_strdup_printf("%s.%.16s", token, hex);
}

/* The token inside a signed value, or NULL when the signature is wrong. */
static char *proxy_verify(const struct sip_proxy *px, const char *value,
			  const char *call_id)
{
	const char *dot = strrchr(value, '.');
	g_autofree char *token = NULL, *good = NULL;
	unsigned char diff = 0;
	size_t len;

	if (!dot)
		return NULL;
	token = g_strndup(value, (gsize)(dot - value));
	good = proxy_sign(px, token, call_id);
	len = strlen(good);
	if (strlen(value) != len)
		return NULL;
	for (size_t i = 0; i < len; i++)
		diff |= (unsigned char)(good[i] ^ value[i]);
	return diff ? NULL : g_steal_pointer(&token);
}

/* Our Record-Route facing the party on @tp, carrying its @token. */
static char *proxy_rr(struct sip_proxy *px, struct sip_transport *tp,
		      const char *token, const char *call_id)
{
	g_autofree char *signed_tok = proxy_sign(px, token, call_id);

	if (sip_transport_is_flow(tp))
		return g_strdup_printf("<sip:%s:%u;transport=ws;lr;ovoz=%s>",
				       px->ws_host, px->cfg.ws_port, signed_tok);
	return g_strdup_printf("<sip:%s:%u;lr;ovoz=%s>", px->udp_host,
			       px->cfg.udp_port, signed_tok);
}

/* ---- lifecycle ---- */

/* ---- responses towards the caller ---- */

/* ---- branches (client transactions) ---- */

/* ---- responses from the network ---- */

void sip_proxy_handle_response(struct sip_stack *st, struct sip_message *msg,
			       struct sip_transport *tp,
			       const struct sip_addr *src, void *arg)
{
	struct sip_proxy *px = arg;
	sip_t *sip = sip_message_sip(msg);
	int status = sip_message_status(msg);
	g_autofree char *key = NULL;
	struct proxy_branch *b;
	struct proxy_fork *f;
	struct proxy_media_leg leg;
	const char *reason;

	if (!sip->sip_via || !sip->sip_via->v_branch)
		return;
	if (sip->sip_cseq && sip->sip_cseq->cs_method == sip_method_cancel) {
		/* The answer to our CANCEL: it shares the INVITE's branch. */
		key = g_strdup_printf("%s|INVITE", sip->sip_via->v_branch);
		b = g_hash_table_lookup(px->branches, key);
		if (b)
			proxy_branch_cancel_answered(b);
		return;
	}
	key = g_strdup_printf("%s|%s", sip->sip_via->v_branch,
			      proxy_method(sip));
	b = g_hash_table_lookup(px->branches, key);
	if (!b)
		return; /* not ours, or long gone: RFC 3261 16.7 drops it */
	f = b->fork;
	if (status > b->status || status >= 200)
		b->status = MAX(b->status, status);
	if (b->is_invite && status > 100 && status < 200)
		proxy_branch_timer_c_reset(b);
	if (b->is_invite && status > 100 && status < 300 && sip->sip_to)
		proxy_dialog_tag(px, b, sip->sip_to->a_tag);
	/* Any response stops INVITE retransmission (Timer A); a final one
	 * stops Timer E too. */
	if (f->is_invite || status >= 200)
		proxy_branch_stop_retransmit(b);
	if (b->cancel_wanted && !b->cancel_sent && status < 200)
		proxy_branch_cancel(b);
	if (status >= 300 && f->is_invite)
		proxy_branch_send_derived(b, "ACK", sip->sip_to); /* hop by hop */
	/* Strip our Via; the rest goes back the way the request came. */
	msg_header_remove(sip_message_msg(msg), (msg_pub_t *)sip,
			  (msg_header_t *)sip->sip_via);
	if (!sip->sip_via)
		return;
	if (status == 100)
		return;
	leg = (struct proxy_media_leg){
		.fork = f, .branch = b->id, .from_caller = false,
		.from_kind = sip_transport_kind(tp),
		.to_kind = sip_transport_kind(f->tp), .source = src,
	};
	if (!f->is_call)
		proxy_dialog_leg(px, sip, false, &leg.branch, &leg.from_caller);
	if (status < 200) {
		if (!f->done) {
			proxy_media_body(px, msg, &leg, &reason);
			proxy_fork_respond(f, msg);
		}
		return;
	}
	if (status < 300) {
		bool first = !f->answered;
		b->final = true;
		if (first && f->is_invite)
			proxy_answered(px, f, b, msg);
		/* 2xx to INVITE go to the caller every time: they are the
		 * UAS's retransmissions (RFC 6026). */
		if (first || f->is_invite) {
			proxy_media_body(px, msg, &leg, &reason);
			proxy_fork_respond(f, msg);
		}
		return;
	}
	if (!b->final)
		proxy_fork_branch_final(f, b, msg, status);
}

/* ---- requests ---- */

static bool proxy_is_local_host(struct sip_proxy *px, const char *host)
{
	static const char *const local[] = {"localhost", "127.0.0.1", "[::1]",
					    "::1", NULL};

	if (!host)
		return false;
	if (g_ascii_strcasecmp(host, px->domain) == 0 ||
	    g_ascii_strcasecmp(host, px->udp_host) == 0 ||
	    g_ascii_strcasecmp(host, px->ws_host) == 0 ||
	    sip_registrar_serves_domain(px->registrar, host))
		return true;
	return g_strv_contains(local, host);
}

static void collect_binding(const struct sip_binding *b, void *arg)
{
	g_ptr_array_add(arg, (gpointer)b);
}

/* A copy of the request for one branch towards @b. */
static struct sip_message *proxy_branch_request(struct sip_proxy *px,
						const struct sip_request *req,
						struct sip_message *from,
						const struct sip_binding *b,
						struct sip_transport *tp,
						const struct sip_addr *dst)
{
	struct sip_message *m = NULL;
	sip_t *sip;
	msg_t *msg;
	g_autofree char *caller_tok = proxy_token(req->tp, &req->src);
	g_autofree char *callee_tok = proxy_token(tp, dst);
	g_autofree char *rr_caller = NULL, *rr_callee = NULL;

	if (sip_message_dup(&m, from))
		return NULL;
	sip = sip_message_sip(m);
	msg = sip_message_msg(m);
	/* Retarget to the registered contact (RFC 3261 16.5); requests to
	 * the upstream keep their Request-URI. */
	url_t *url = b ? url_make(msg_home(msg), b->uri) : NULL;
	if (url) {
		sip_request_t *rq = sip_request_create(
			msg_home(msg), sip->sip_request->rq_method,
			sip->sip_request->rq_method_name, (url_string_t *)url,
			NULL);
		if (rq)
			msg_header_replace(msg, (msg_pub_t *)sip,
					   (msg_header_t *)sip->sip_request,
					   (msg_header_t *)rq);
	}
	proxy_max_forwards(m);
	/* RFC 3327: a contact registered through an edge proxy is reached
	 * through the Path it registered with. */
	if (b && b->path)
		proxy_insert(m, sip_route_class, b->path);
	if (sip->sip_request->rq_method == sip_method_register) {
		/* Upstream REGISTER: our Path brings requests back here. */
		g_autofree char *path = proxy_rr(px, px->udp, caller_tok,
						 NULL);
		proxy_insert(m, sip_path_class, path);
		return m;
	}
	/* Double Record-Route (RFC 5658): the top one faces the callee. */
	rr_caller = proxy_rr(px, req->tp, caller_tok, sip->sip_call_id->i_id);
	rr_callee = proxy_rr(px, tp, callee_tok, sip->sip_call_id->i_id);
	proxy_insert(m, sip_record_route_class, rr_caller);
	proxy_insert(m, sip_record_route_class, rr_callee);
	return m;
}

static char *proxy_pop_routes(struct sip_proxy *px, struct sip_message *m,
			      const char *self, const char *call_id);

/* One branch towards @tp/@dst for a request routed without forking. */
static void proxy_relay(struct sip_proxy *px, const struct sip_request *req,
			struct sip_message *from, char *key,
			struct sip_transport *tp, const struct sip_addr *dst)
{
	sip_t *sip = sip_message_sip(req->msg);
	struct proxy_fork *f = proxy_fork_new(px, req, key);
	struct sip_message *m;
	int err;

	f->is_call = f->is_invite;
	f->caller = g_strdup(sip->sip_from->a_url->url_user
				     ? sip->sip_from->a_url->url_user : "");
	f->callee = g_strdup(sip->sip_request->rq_url->url_user
				     ? sip->sip_request->rq_url->url_user : "");
	if (f->is_invite) {
		proxy_fork_reply(f, 100, "Trying");
		proxy_call_event(px, f, SIP_CALL_START, NULL, 0);
	}
	m = proxy_branch_request(px, req, from, NULL, tp, dst);
	if (!m) {
		proxy_fork_reply(f, 500, "Server Internal Error");
		proxy_call_event(px, f, SIP_CALL_END, "failed", 500);
		return;
	}
	err = proxy_fork_add_branch(f, m, tp, dst);
	proxy_dialog_early(px, f, false);
	if (err)
		proxy_fork_branch_final(f, g_ptr_array_index(f->branches, 0),
					NULL, f->refusal_status
						? f->refusal_status : 503);
}

static void proxy_to_upstream(struct sip_proxy *px,
			      const struct sip_request *req, char *key)
{
	if (!px->udp) {
		g_free(key);
		sip_stack_reply(px->stack, req, 503, "Service Unavailable - "
				"no UDP transport for the upstream", NULL);
		return;
	}
	proxy_relay(px, req, req->msg, key, px->udp, &px->upstream);
}

bool sip_proxy_wants_register(const struct sip_proxy *px,
			      const struct sip_request *req)
{
	return px->has_upstream && sip_transport_is_flow(req->tp);
}

static bool proxy_from_upstream(const struct sip_proxy *px,
				const struct sip_request *req)
{
	return px->has_upstream && !sip_transport_is_flow(req->tp) &&
	       sip_addr_equal(&req->src, &px->upstream);
}

/* A request from the upstream to a contact that registered through us:
 * its Route is the Path we added, naming the flow (RFC 3327). */
static void proxy_by_path(struct sip_proxy *px, const struct sip_request *req,
			  char *key)
{
	g_autofree char *self = proxy_token(req->tp, &req->src);
	g_autofree char *dest = NULL;
	struct sip_message *m = NULL;
	struct sip_transport *tp;
	struct sip_addr dst;

	if (sip_message_dup(&m, req->msg)) {
		g_free(key);
		return;
	}
	dest = proxy_pop_routes(px, m, self, NULL);
	tp = dest && *dest ? proxy_resolve(px, dest, &dst) : NULL;
	if (!tp || sip_transport_is_closed(tp)) {
		g_free(key);
		sip_message_unref(m);
		sip_stack_reply(px->stack, req, 480, "Temporarily Unavailable - "
				"not connected", NULL);
		return;
	}
	proxy_relay(px, req, m, key, tp, &dst);
	sip_message_unref(m);
}

static void proxy_initial(struct sip_proxy *px, const struct sip_request *req,
			  char *key)
{
	sip_t *sip = sip_message_sip(req->msg);
	const url_t *ruri = sip->sip_request->rq_url;
	const char *caller = sip->sip_from
		? sip_ephemeral_url_user(sip->sip_from->a_url->url_user,
					 sip->sip_from->a_url->url_password)
		: "";
	const char *callee = ruri->url_user;
	struct sip_auth_result ar;
	g_autoptr(GPtrArray) targets = g_ptr_array_new();
	struct proxy_fork *f;
	unsigned sent = 0;

	if (!*caller) {
		g_free(key);
		sip_stack_reply(px->stack, req, 403, "Forbidden - From has no "
				"extension", NULL);
		return;
	}
	if (sip_auth_check(px->auth, req, caller, true, &ar) != SIP_AUTH_OK) {
		g_free(key);
		if (ar.verdict != SIP_AUTH_CHALLENGED) {
			g_autofree char *who = sip_log_escape(
				caller, SIP_LOG_FIELD_MAX);

			g_autofree char *meth = proxy_log_method(sip);

			g_autofree char *text = sip_log_escape(
				ar.detail ? ar.detail : "", SIP_LOG_TEXT_MAX);

			g_message("%s from %s: %d %s", meth, who, ar.status,
				  text);
		}
		return;
	}
	if (!callee || !proxy_is_local_host(px, ruri->url_host) ||
	    (px->has_upstream && px->hooks.is_extension &&
	     !px->hooks.is_extension(px->ctx, callee))) {
		if (px->has_upstream) {
			proxy_to_upstream(px, req, key);
			return;
		}
		g_autofree char *label = proxy_call_label(caller, callee);
		g_autofree char *host = sip_log_escape(
			ruri->url_host ? ruri->url_host : "", SIP_LOG_FIELD_MAX);

		g_free(key);
		g_autofree char *meth = proxy_log_method(sip);

		g_message("%s %s@%s: 403, not a local destination", meth,
			  label, host);
		sip_stack_reply(px->stack, req, 403, "Forbidden - no route to "
				"outside destinations", NULL);
		return;
	}
	if (!px->hooks.is_extension || !px->hooks.is_extension(px->ctx, callee)) {
		g_free(key);
		sip_stack_reply(px->stack, req, 404, "Not Found", NULL);
		return;
	}
	sip_registrar_foreach(px->registrar, callee, collect_binding, targets);
	f = proxy_fork_new(px, req, key);
	f->is_call = f->is_invite;
	f->caller = g_strdup(caller);
	f->callee = g_strdup(callee);
	if (targets->len == 0) {
		/* Still a call for the log: the caller tried and failed. */
		proxy_call_event(px, f, SIP_CALL_START, NULL, 0);
		proxy_fork_reply(f, 480, "Temporarily Unavailable - not registered");
		proxy_call_event(px, f, SIP_CALL_END, "failed", 480);
		return;
	}
	if (f->is_invite)
		proxy_fork_reply(f, 100, "Trying");
	for (guint i = 0; i < targets->len; i++) {
		const struct sip_binding *b = g_ptr_array_index(targets, i);
		struct sip_transport *tp = b->flow ? b->flow : px->udp;
		struct sip_message *m;
		if (!tp || sip_transport_is_closed(tp))
			continue;
		/* proxy_fork_add_branch() owns the copy, even when sending fails. */
		m = proxy_branch_request(px, req, req->msg, b, tp, &b->addr);
		if (m && proxy_fork_add_branch(f, m, tp, &b->addr) == 0)
			sent++;
	}
	if (f->is_call) {
		g_autofree char *who = sip_log_escape(caller,
						      SIP_LOG_FIELD_MAX);
		g_autofree char *to = sip_log_escape(callee, SIP_LOG_FIELD_MAX);

		g_message("call %s (%s) -> %s: forked to %u contact%s", who,
			  sip_transport_kind_name(f->caller_kind), to, sent,
			  sent == 1 ? "" : "s");
		proxy_call_event(px, f, SIP_CALL_START, NULL, 0);
	}
	if (sent)
		proxy_dialog_early(px, f, true);
	if (!sent) {
		int st = f->refusal_status ? f->refusal_status : 480;
		proxy_fork_reply(f, st, f->refusal_status
					 ? f->refusal_reason
					 : "Temporarily Unavailable");
		proxy_call_event(px, f, SIP_CALL_END, "failed", st);
		return;
	}
	if (f->is_invite && px->cfg.no_answer)
		f->noanswer = g_timeout_add_seconds(px->cfg.no_answer,
						    proxy_fork_no_answer, f);
}

/*
 * Pop our Routes (RFC 3261 16.4) and pick the other leg's token. NULL when
 * the request has none of ours (a forged token is not ours); "" when every
 * token names the sender itself.
 */
static char *proxy_pop_routes(struct sip_proxy *px, struct sip_message *m,
			      const char *self, const char *call_id)
{
	sip_t *sip = sip_message_sip(m);
	msg_t *msg = sip_message_msg(m);
	char *dest = NULL;
	bool ours = false;
	char value[160];

	/* Another Ovoz's Route (upstream mode) has a token we cannot verify:
	 * ours end there, and the rest are the next hop's. */
	while (sip->sip_route &&
	       url_param(sip->sip_route->r_url->url_params, "ovoz", value,
			 sizeof(value)) > 0) {
		g_autofree char *tok = proxy_verify(px, value, call_id);
		if (!tok)
			break;
		ours = true;
		if (!dest && strcmp(tok, self) != 0)
			dest = g_steal_pointer(&tok);
		msg_header_remove(msg, (msg_pub_t *)sip,
				  (msg_header_t *)sip->sip_route);
	}
	if (!ours) {
		g_free(dest);
		return NULL;
	}
	return dest ? dest : g_strdup("");
}

static void proxy_in_dialog(struct sip_proxy *px,
			    const struct sip_request *req, char *key)
{
	sip_t *sip = sip_message_sip(req->msg);
	g_autofree char *self = proxy_token(req->tp, &req->src);
	g_autofree char *dest = NULL, *peer = NULL;
	struct sip_message *m = NULL;
	struct sip_transport *tp;
	struct sip_addr dst;
	bool ack = sip->sip_request->rq_method == sip_method_ack;
	const char *why = NULL;
	int status;

	if (sip_message_dup(&m, req->msg)) {
		g_free(key);
		return;
	}
	/* Our signed Route proves the request passed through us for this
	 * call; the dialog decides who sends and who receives it. */
	dest = proxy_pop_routes(px, m, self, sip->sip_call_id->i_id);
	status = dest ? proxy_dialog_route(px, sip, self, &peer, &why) : 403;
	if (status) {
		g_autofree char *call_id = sip_log_escape(
			sip->sip_call_id->i_id, SIP_LOG_FIELD_MAX);

		g_free(key);
		sip_message_unref(m);
		g_autofree char *meth = proxy_log_method(sip);

		g_message("%s in dialog %s from %s: %d, %s", meth,
			  call_id, self, status,
			  dest ? why : "no Route of ours for this call");
		if (!ack)
			sip_stack_reply(px->stack, req, status, status == 481
					? "Call/Transaction Does Not Exist"
					: "Forbidden - not a dialog of this "
					  "proxy", NULL);
		return;
	}
	tp = proxy_resolve(px, peer, &dst);
	if (!tp || sip_transport_is_closed(tp)) {
		g_free(key);
		sip_message_unref(m);
		if (sip->sip_request->rq_method == sip_method_bye)
			proxy_dialog_end(px, sip);
		if (!ack)
			sip_stack_reply(px->stack, req, 480,
					"Temporarily Unavailable - the other "
					"party's connection is gone", NULL);
		return;
	}
	proxy_max_forwards(m);
	if (sip->sip_request->rq_method == sip_method_bye)
		proxy_dialog_end(px, sip);
	if (ack) {
		/* ACK for 2xx is end to end and has no transaction. */
		g_autofree char *branch = proxy_new_branch();
		g_autofree char *via = proxy_via(px, tp, branch);
		struct proxy_media_leg leg = {
			.from_kind = sip_transport_kind(req->tp),
			.to_kind = sip_transport_kind(tp), .source = &req->src,
		};
		const char *reason;
		proxy_insert(m, sip_via_class, via);
		proxy_dialog_leg(px, sip, true, &leg.branch, &leg.from_caller);
		proxy_media_body(px, m, &leg, &reason);
		sip_message_send(m, tp, &dst);
		sip_message_unref(m);
		g_free(key);
		return;
	}
	proxy_dialog_cseq(px, sip);
	struct proxy_fork *f = proxy_fork_new(px, req, key);
	if (f->is_invite)
		proxy_fork_reply(f, 100, "Trying");
	if (proxy_fork_add_branch(f, m, tp, &dst))
		proxy_fork_branch_final(f, g_ptr_array_index(f->branches, 0),
					NULL, f->refusal_status
						? f->refusal_status : 503);
}

static void proxy_cancel(struct sip_proxy *px, const struct sip_request *req)
{
	sip_t *sip = sip_message_sip(req->msg);
	g_autofree char *key = proxy_fork_key(sip, "INVITE");
	struct proxy_fork *f = g_hash_table_lookup(px->forks, key);

	if (!f) {
		sip_stack_reply(px->stack, req, 481, "Call/Transaction Does "
				"Not Exist", NULL);
		return;
	}
	sip_stack_reply(px->stack, req, 200, "OK", NULL);
	if (f->done)
		return;
	f->cancelled = true;
	proxy_fork_cancel_others(f, NULL);
}

/* RFC 3261 16.3 step 4: a request that already passed through us more
 * than a spiral would explain is looping (Max-Forwards stops the rest). */
static bool proxy_is_looping(const struct sip_proxy *px, const sip_t *sip)
{
	unsigned ours = 0;
	g_autofree char *udp_port = g_strdup_printf("%u", px->cfg.udp_port);
	g_autofree char *ws_port = g_strdup_printf("%u", px->cfg.ws_port);

	for (const sip_via_t *v = sip->sip_via; v; v = v->v_next) {
		const char *port = v->v_port ? v->v_port : "5060";
		if (!v->v_host || !v->v_branch ||
		    !g_str_has_prefix(v->v_branch, PROXY_COOKIE))
			continue;
		if ((strcmp(v->v_host, px->udp_host) == 0 &&
		     strcmp(port, udp_port) == 0) ||
		    (strcmp(v->v_host, px->ws_host) == 0 &&
		     strcmp(port, ws_port) == 0))
			ours++;
	}
	return ours >= 3;
}

void sip_proxy_handle_request(struct sip_stack *st,
			      const struct sip_request *req, void *arg)
{
	struct sip_proxy *px = arg;
	sip_t *sip = sip_message_sip(req->msg);
	sip_method_t method = sip->sip_request->rq_method;
	char *key;
	struct proxy_fork *f;

	if (method == sip_method_cancel) {
		proxy_cancel(px, req);
		return;
	}
	if (method != sip_method_ack && proxy_is_looping(px, sip)) {
		g_autofree char *who = sip_log_escape(
			sip->sip_from && sip->sip_from->a_url->url_user
				? sip->sip_from->a_url->url_user : "?",
			SIP_LOG_FIELD_MAX);

		g_autofree char *meth = proxy_log_method(sip);

		g_message("%s from %s: loop detected (482)", meth, who);
		sip_stack_reply(st, req, 482, "Loop Detected", NULL);
		return;
	}
	key = proxy_fork_key(sip, method == sip_method_ack ? "INVITE"
						     : proxy_method(sip));
	f = g_hash_table_lookup(px->forks, key);
	if (f && method == sip_method_ack) {
		/* ACK for our non-2xx final: the transaction is complete. */
		g_free(key);
		if (f->g_timer) {
			g_source_remove(f->g_timer);
			f->g_timer = 0;
		}
		return;
	}
	if (f) {
		/* A retransmission: repeat what we last said, if anything. */
		g_free(key);
		if (f->last)
			proxy_send(f->tp, &f->src, f->last, f->last_len);
		return;
	}
	if (sip->sip_to && sip->sip_to->a_tag) {
		proxy_in_dialog(px, req, key);
		return;
	}
	if (method != sip_method_ack && px->has_upstream) {
		if (sip_transport_is_flow(req->tp)) {
			/* Edge mode: the upstream registers and authenticates
			 * WebSocket clients. */
			proxy_to_upstream(px, req, key);
			return;
		}
		if (proxy_from_upstream(px, req) && sip->sip_route) {
			proxy_by_path(px, req, key);
			return;
		}
	}
	if (method == sip_method_ack) {
		g_free(key); /* stray ACK: nothing to do */
		return;
	}
	proxy_initial(px, req, key);
}

/* ---- object ---- */

int sip_proxy_new(struct sip_proxy **out, const struct sip_proxy_config *cfg,
		  struct sip_stack *stack, struct sip_auth *auth,
		  struct sip_registrar *registrar, struct sip_transport *udp,
		  const struct sip_proxy_hooks *hooks, void *ctx)
{
	struct sip_proxy *px;

	if (!cfg || !cfg->domain || !stack || !auth || !registrar)
		return EINVAL;
	px = g_new0(struct sip_proxy, 1);
	px->cfg = *cfg;
	px->domain = g_strdup(cfg->domain);
	px->udp_host = g_strdup(cfg->udp_host ? cfg->udp_host : cfg->domain);
	px->ws_host = g_strdup(cfg->ws_host ? cfg->ws_host : cfg->domain);
	px->stack = stack;
	px->auth = auth;
	px->registrar = registrar;
	px->udp = udp;
	if (hooks)
		px->hooks = *hooks;
	px->ctx = ctx;
	px->t1 = 500;
	if (!px->cfg.no_answer)
		px->cfg.no_answer = 60;
	if (!px->cfg.max_call)
		px->cfg.max_call = 43200;
	px->cfg.upstream = NULL;
	if (cfg->upstream && *cfg->upstream) {
		if (sip_addr_parse(&px->upstream, cfg->upstream)) {
			g_free(px->domain);
			g_free(px->udp_host);
			g_free(px->ws_host);
			g_free(px);
			return EINVAL;
		}
		px->has_upstream = true;
	}
	px->forks = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					  (GDestroyNotify)proxy_fork_free);
	px->branches = g_hash_table_new(g_str_hash, g_str_equal);
	px->dialogs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					    (GDestroyNotify)proxy_dialog_free);
	px->dialog_sweep = g_timeout_add_seconds(MIN(px->cfg.max_call, 60),
						 proxy_dialog_sweep, px);
	/* Kernel randomness: the secret must not be guessable. */
	if (getrandom(px->secret, sizeof(px->secret), 0) !=
	    (ssize_t)sizeof(px->secret)) {
		sip_proxy_free(px);
		return EIO;
	}
	*out = px;
	return 0;
}

void sip_proxy_free(struct sip_proxy *px)
{
	if (!px)
		return;
	/* Teardown releases nothing: the media side goes with the proxy. */
	px->hooks.media_release = NULL;
	proxy_due_clear(px);
	if (px->dialog_sweep)
		g_source_remove(px->dialog_sweep);
	g_hash_table_destroy(px->forks);
	g_hash_table_destroy(px->branches);
	g_hash_table_destroy(px->dialogs);
	g_free(px->domain);
	g_free(px->udp_host);
	g_free(px->ws_host);
	g_free(px);
}

void sip_proxy_set_t1(struct sip_proxy *px, unsigned t1_ms)
{
	px->t1 = t1_ms ? t1_ms : 500;
}
