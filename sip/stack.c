/* sip/stack.c - parse, check, stamp and dispatch incoming SIP messages. */
#define G_LOG_DOMAIN "ovoz-sip"

#include "stack.h"
#include "log.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_alloc.h>

struct stack_handler {
	sip_stack_request_h h;
	void *arg;
};

struct sip_stack {
	char *server_name;
	GHashTable *handlers; /* method -> struct stack_handler */
	struct stack_handler fallback;
	sip_stack_response_h response_h;
	void *response_arg;
	GHashTable *stats; /* method -> struct sip_stack_method_stats */
	uint64_t rejected;
};

int sip_stack_new(struct sip_stack **out, const struct sip_stack_config *cfg)
{
	struct sip_stack *st = g_new0(struct sip_stack, 1);

	st->server_name = g_strdup(cfg && cfg->server_name ? cfg->server_name
							    : "Ovoz");
	st->handlers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     g_free);
	st->stats = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					  g_free);
	*out = st;
	return 0;
}

void sip_stack_free(struct sip_stack *st)
{
	if (!st)
		return;
	g_hash_table_destroy(st->handlers);
	g_hash_table_destroy(st->stats);
	g_free(st->server_name);
	g_free(st);
}

void sip_stack_set_handler(struct sip_stack *st, const char *method,
			   sip_stack_request_h h, void *arg)
{
	struct stack_handler *sh;

	if (strcmp(method, "*") == 0) {
		st->fallback.h = h;
		st->fallback.arg = arg;
		return;
	}
	sh = g_new0(struct stack_handler, 1);
	sh->h = h;
	sh->arg = arg;
	g_hash_table_replace(st->handlers, g_strdup(method), sh);
}

void sip_stack_set_response_handler(struct sip_stack *st,
				    sip_stack_response_h h, void *arg)
{
	st->response_h = h;
	st->response_arg = arg;
}

/* Per-method counters; unknown methods share one bucket so a flood of
 * invented method names cannot grow the table without bound. */
static struct sip_stack_method_stats *stack_stats(struct sip_stack *st,
						  const char *method)
{
	struct sip_stack_method_stats *s;
	sip_method_t known = sip_method_code(method ? method : "");

	if (known == sip_method_unknown || known == sip_method_invalid)
		method = "OTHER";
	s = g_hash_table_lookup(st->stats, method);
	if (!s) {
		s = g_new0(struct sip_stack_method_stats, 1);
		g_hash_table_insert(st->stats, g_strdup(method), s);
	}
	return s;
}

static unsigned stack_class(int status)
{
	return status >= 100 && status < 700 ? (unsigned)status / 100 : 0;
}

void sip_stack_stats_foreach(struct sip_stack *st, sip_stack_stats_h fn,
			     void *arg)
{
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, st->stats);
	while (g_hash_table_iter_next(&it, &k, &v))
		fn(k, v, arg);
}

uint64_t sip_stack_rejected(const struct sip_stack *st)
{
	return st->rejected;
}

/*
 * Responses go back where the request came from: on a WebSocket flow that
 * is the connection itself; on UDP it is the source address and port
 * (RFC 3581 symmetric response routing, applied whether or not the client
 * asked with rport, since almost every softphone sits behind a NAT).
 */
int sip_stack_send_reply(struct sip_stack *st, const struct sip_request *req,
			 struct sip_message *resp)
{
	size_t len;
	char *bytes;
	int err;
	sip_t *sip = sip_message_sip(resp);

	if (!sip->sip_server)
		sip_message_add_header(resp, "Server", st->server_name);
	bytes = sip_message_serialize(resp, &len);
	if (!bytes)
		return ENOMEM;
	err = sip_transport_send(req->tp, &req->src, bytes, len);
	if (!err) {
		int status = sip_message_status(resp);
		stack_stats(st, sip_message_method(req->msg))
			->responses_out[stack_class(status)]++;
	} else {
		char a[SIP_ADDR_STRLEN];
		g_debug("reply to %s (%s) not sent: %s",
			sip_addr_format(&req->src, a, sizeof(a)),
			sip_transport_id(req->tp), g_strerror(err));
	}
	g_free(bytes);
	return err;
}

int sip_stack_reply(struct sip_stack *st, const struct sip_request *req,
		    int status, const char *reason,
		    const char *const *headers)
{
	struct sip_message *resp = NULL;
	int err;

	err = sip_message_new_reply(&resp, req->msg, status,
				    reason ? reason : sip_status_phrase(status),
				    NULL);
	if (err)
		return err;
	for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2)
		sip_message_add_header(resp, headers[i], headers[i + 1]);
	err = sip_stack_send_reply(st, req, resp);
	sip_message_unref(resp);
	return err;
}

/* RFC 3261 18.2.1 / RFC 3581: record where the request really came from. */
static void stack_stamp_via(struct sip_message *m, const struct sip_addr *src)
{
	sip_t *sip = sip_message_sip(m);
	msg_t *msg = sip_message_msg(m);
	sip_via_t *via = sip->sip_via;
	su_home_t *home = msg_home(msg);
	char host[SIP_ADDR_STRLEN];

	if (!via || !src->len)
		return;
	sip_addr_host(src, host, sizeof(host));
	if (!via->v_host || strcmp(via->v_host, host) != 0 || via->v_received) {
		/* sofia keeps the pointer: the text must live in the msg. */
		msg_header_replace_param(home, via->v_common,
					 su_sprintf(home, "received=%s", host));
	}
	if (via->v_rport) {
		msg_header_replace_param(home, via->v_common,
					 su_sprintf(home, "rport=%u",
						    sip_addr_port(src)));
	}
	msg_fragment_clear(via->v_common);
}

static void stack_reject(struct sip_stack *st, struct sip_message *m,
			 struct sip_transport *tp, const struct sip_addr *src,
			 const struct sip_verdict *v)
{
	char a[SIP_ADDR_STRLEN];
	const char *method = sip_message_method(m);

	st->rejected++;
	sip_addr_format(src, a, sizeof(a));
	if (!sip_message_is_request(m) || v->status <= 0 ||
	    (method && strcmp(method, "ACK") == 0)) {
		g_info("dropped malformed %s from %s (%s): %s",
		       sip_message_is_request(m) ? "request" : "response", a,
		       sip_transport_id(tp), v->reason ? v->reason : "invalid");
		return;
	}
	struct sip_request req = {.msg = m, .tp = tp, .src = *src};
	const char *hdrs[] = {"Unsupported", v->unsupported, NULL};
	g_autofree char *shown = sip_log_escape(method, SIP_LOG_FIELD_MAX);

	g_message("%s from %s (%s) refused: %d %s", shown ? shown : "request",
		  a, sip_transport_id(tp), v->status, v->reason);
	stack_stats(st, method)->requests_in++;
	sip_stack_reply(st, &req, v->status, v->reason,
			v->unsupported ? hdrs : NULL);
}

void sip_stack_receive(struct sip_stack *st, struct sip_transport *tp,
		       const struct sip_addr *src, const uint8_t *buf,
		       size_t len)
{
	struct sip_message *m = NULL;
	struct sip_verdict v = {0};
	char a[SIP_ADDR_STRLEN];
	int err;

	err = sip_message_parse(&m, buf, len);
	if (err) {
		st->rejected++;
		g_info("dropped %zu unparsable bytes from %s (%s): %s", len,
		       sip_addr_format(src, a, sizeof(a)), sip_transport_id(tp),
		       err == EMSGSIZE ? "message too large" : "not SIP");
		return;
	}
	if (!sip_message_check(m, &v)) {
		stack_reject(st, m, tp, src, &v);
		sip_message_unref(m);
		return;
	}
	if (!sip_message_is_request(m)) {
		stack_stats(st, sip_message_method(m))
			->responses_in[stack_class(sip_message_status(m))]++;
		if (st->response_h)
			st->response_h(st, m, tp, src, st->response_arg);
		sip_message_unref(m);
		return;
	}

	const char *method = sip_message_method(m);
	struct stack_handler *sh = g_hash_table_lookup(st->handlers, method);
	struct sip_request req = {.msg = m, .tp = tp, .src = *src};

	stack_stats(st, method)->requests_in++;
	stack_stamp_via(m, src);
	if (!sh || !sh->h)
		sh = &st->fallback;
	if (sh->h)
		sh->h(st, &req, sh->arg);
	else if (strcmp(method, "ACK") != 0)
		sip_stack_reply(st, &req, 501, "Not Implemented", NULL);
	sip_message_unref(m);
}

const char *sip_stack_server_name(const struct sip_stack *st)
{
	return st->server_name;
}
