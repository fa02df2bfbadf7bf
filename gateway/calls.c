/*
 * gateway/calls.c - live calls and the call log, driven by proxy events.
 *
 * Every event is queued to the store's writer as it happens rather than
 * once at the end: a call in progress is then already in the log if Ovoz
 * dies (unless it dies within the writer's few milliseconds, or while the
 * database is locked), and the next start closes it as cut
 * (gateway_store_call_close_cut). Nothing here waits for sqlite. The live
 * table is memory only; it answers GET /api/calls/active without a query.
 */
#define G_LOG_DOMAIN "ovoz-calls"

#include "gateway/calls.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "sip/log.h"

struct calls_entry {
	char *call_id;
	char *caller;
	char *caller_transport;
	char *callee;
	char *callee_transport; /* NULL until answered */
	enum gateway_call_state state;
	int64_t started_at;
	int64_t answered_at;
	uint64_t seq; /* arrival order, for a stable listing */
	char *media_note; /* one-way audio finding, or NULL */
};

struct gateway_calls {
	struct gateway_store *store; /* borrowed */
	GHashTable *live;            /* call_id -> struct calls_entry * */
	int64_t (*now)(void);
	uint64_t next_seq;
};

typedef void (*calls_event_h)(struct gateway_calls *c,
			      const struct gateway_call_event *ev);

static const char *const calls_state_names[] = {
	[GATEWAY_CALL_RINGING] = "ringing",
	[GATEWAY_CALL_ANSWERED] = "answered",
};

static int64_t calls_real_now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static void calls_entry_free(struct calls_entry *e)
{
	g_free(e->call_id);
	g_free(e->caller);
	g_free(e->caller_transport);
	g_free(e->callee);
	g_free(e->callee_transport);
	g_free(e->media_note);
	g_free(e);
}

/* "1001 (wss) -> 1002", the way an operator names a call. */
static char *calls_label(const struct calls_entry *e)
{
	g_autofree char *a = sip_log_escape(e->caller, SIP_LOG_FIELD_MAX);
	g_autofree char *b = sip_log_escape(e->callee, SIP_LOG_FIELD_MAX);

	return g_strdup_printf("%s (%s) -> %s", a, e->caller_transport, b);
}

static struct calls_entry *calls_live(struct gateway_calls *c,
				      const struct gateway_call_event *ev,
				      const char *what)
{
	struct calls_entry *e = g_hash_table_lookup(c->live, ev->call_id);

	if (!e) {
		g_autofree char *id = sip_log_escape(ev->call_id,
						     SIP_LOG_FIELD_MAX);

		g_warning("call %s: %s for a call that is not live, ignored",
			  id, what);
	}
	return e;
}

static void calls_on_start(struct gateway_calls *c,
			   const struct gateway_call_event *ev)
{
	struct calls_entry *e;
	g_autofree char *label = NULL;
	g_autofree char *id = sip_log_escape(ev->call_id, SIP_LOG_FIELD_MAX);

	if (!ev->caller || !ev->caller_transport || !ev->callee) {
		g_warning("call %s: start without caller, transport or callee,"
			  " ignored",
			  id);
		return;
	}
	if (g_hash_table_contains(c->live, ev->call_id)) {
		g_warning("call %s: start for a call already live, ignored",
			  id);
		return;
	}
	e = g_new0(struct calls_entry, 1);
	e->call_id = g_strdup(ev->call_id);
	e->caller = g_strdup(ev->caller);
	e->caller_transport = g_strdup(ev->caller_transport);
	e->callee = g_strdup(ev->callee);
	e->state = GATEWAY_CALL_RINGING;
	e->started_at = c->now();
	e->seq = c->next_seq++;
	g_hash_table_insert(c->live, e->call_id, e);
	label = calls_label(e);
	g_message("call %s: ringing", label);
	/* Written behind; the writer says if the row cannot be stored
	 * (a Call-ID already in the log). The call is live either way. */
	gateway_store_writer_call_start(c->store, e->call_id, e->caller,
					e->caller_transport, e->callee,
					e->started_at);
}

static void calls_on_answer(struct gateway_calls *c,
			    const struct gateway_call_event *ev)
{
	struct calls_entry *e = calls_live(c, ev, "answer");
	g_autofree char *label = NULL;

	/* Forked or retransmitted 2xx: the first answer is the answer. */
	if (!e || e->state == GATEWAY_CALL_ANSWERED)
		return;
	e->state = GATEWAY_CALL_ANSWERED;
	e->answered_at = c->now();
	e->callee_transport = g_strdup(ev->callee_transport);
	label = calls_label(e);
	g_message("call %s answered on %s", label,
		  e->callee_transport ? e->callee_transport : "?");
	gateway_store_writer_call_answer(c->store, e->call_id,
					 e->callee_transport, e->answered_at);
}

static void calls_log_end(const char *label, const char *disposition,
			  const struct gateway_call_event *ev,
			  const struct calls_entry *e, int64_t duration)
{
	if (e->state == GATEWAY_CALL_ANSWERED && ev->hangup_by)
		g_message("call %s ended: %s, %" G_GINT64_FORMAT
			  " s, hung up by %s",
			  label, disposition, duration, ev->hangup_by);
	else if (e->state == GATEWAY_CALL_ANSWERED)
		g_message("call %s ended: %s, %" G_GINT64_FORMAT " s", label,
			  disposition, duration);
	else if (ev->status > 0)
		g_message("call %s ended: %s (%d)", label, disposition,
			  ev->status);
	else
		g_message("call %s ended: %s", label, disposition);
}

static void calls_on_end(struct gateway_calls *c,
			 const struct gateway_call_event *ev)
{
	struct calls_entry *e = calls_live(c, ev, "end");
	const char *disposition = ev->disposition ? ev->disposition : "failed";
	g_autofree char *label = NULL;
	int64_t now, duration = 0;

	if (!e)
		return;
	now = c->now();
	if (e->state == GATEWAY_CALL_ANSWERED)
		duration = MAX(now - e->answered_at, 0);
	label = calls_label(e);
	calls_log_end(label, disposition, ev, e, duration);
	if (ev->reason)
		g_message("call %s: ended by Ovoz: %s", label, ev->reason);
	/* Before the end: the writer keeps the order. */
	gateway_store_writer_call_note(c->store, e->call_id, ev->reason,
				       e->media_note);
	gateway_store_writer_call_end(c->store, e->call_id, now, disposition,
				      ev->status, ev->hangup_by);
	g_hash_table_remove(c->live, ev->call_id);
}

static const calls_event_h calls_handlers[] = {
	[GATEWAY_CALL_EV_START] = calls_on_start,
	[GATEWAY_CALL_EV_ANSWER] = calls_on_answer,
	[GATEWAY_CALL_EV_END] = calls_on_end,
};

/**
 * gateway_calls_new() - an empty live table over @store (borrowed). Rows
 * left open by a previous run are closed first: no call survives a
 * restart, so any open row was cut by one.
 */
int gateway_calls_new(struct gateway_calls **out, struct gateway_store *store)
{
	struct gateway_calls *c;
	unsigned closed = 0;
	int err;

	if (!out || !store)
		return EINVAL;
	err = gateway_store_call_close_cut(store, calls_real_now(), &closed);
	if (err)
		return err;
	if (closed)
		g_message("closed %u call%s cut by a restart", closed,
			  closed == 1 ? "" : "s");
	c = g_new0(struct gateway_calls, 1);
	c->store = store;
	c->live = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					(GDestroyNotify)calls_entry_free);
	c->now = calls_real_now;
	*out = c;
	return 0;
}

/** gateway_calls_free() - free the live table (not the store). */
void gateway_calls_free(struct gateway_calls *c)
{
	if (!c)
		return;
	g_hash_table_unref(c->live);
	g_free(c);
}

/**
 * gateway_calls_event() - apply @ev (see calls.h). Malformed events (no
 * Call-ID, unknown type) are logged and dropped: the proxy's bug must not
 * become the gateway's crash.
 */
void gateway_calls_event(struct gateway_calls *c,
			 const struct gateway_call_event *ev)
{
	if (!c || !ev || !ev->call_id ||
	    (unsigned)ev->type >= G_N_ELEMENTS(calls_handlers)) {
		g_warning("malformed call event ignored");
		return;
	}
	calls_handlers[ev->type](c, ev);
}

static gint calls_by_seq(gconstpointer a, gconstpointer b)
{
	const struct calls_entry *x = *(const struct calls_entry *const *)a;
	const struct calls_entry *y = *(const struct calls_entry *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static JsonObject *calls_entry_json(const struct calls_entry *e, int64_t now)
{
	JsonObject *o = json_object_new();
	bool answered = e->state == GATEWAY_CALL_ANSWERED;

	json_object_set_string_member(o, "callId", e->call_id);
	json_object_set_string_member(o, "caller", e->caller);
	json_object_set_string_member(o, "callerTransport",
				      e->caller_transport);
	json_object_set_string_member(o, "callee", e->callee);
	if (e->callee_transport)
		json_object_set_string_member(o, "calleeTransport",
					      e->callee_transport);
	else
		json_object_set_null_member(o, "calleeTransport");
	json_object_set_string_member(o, "state", calls_state_names[e->state]);
	if (e->media_note)
		json_object_set_string_member(o, "mediaNote", e->media_note);
	else
		json_object_set_null_member(o, "mediaNote");
	json_object_set_int_member(o, "startedAt", e->started_at);
	if (answered)
		json_object_set_int_member(o, "answeredAt", e->answered_at);
	else
		json_object_set_null_member(o, "answeredAt");
	json_object_set_int_member(o, "duration",
				   answered ? MAX(now - e->answered_at, 0) : 0);
	return o;
}

/** gateway_calls_active_json() - append the live calls, oldest first. */
void gateway_calls_active_json(struct gateway_calls *c, JsonArray *out)
{
	g_autoptr(GPtrArray) list = g_ptr_array_sized_new(
		g_hash_table_size(c->live));
	int64_t now = c->now();
	GHashTableIter it;
	gpointer v;

	/* g_hash_table_get_values_as_ptr_array() needs GLib 2.76. */
	g_hash_table_iter_init(&it, c->live);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_ptr_array_add(list, v);
	g_ptr_array_sort(list, calls_by_seq);
	for (guint i = 0; i < list->len; i++)
		json_array_add_object_element(
			out, calls_entry_json(list->pdata[i], now));
}

void gateway_calls_note(struct gateway_calls *c, const char *call_id,
			const char *note)
{
	struct calls_entry *e = g_hash_table_lookup(c->live, call_id);
	g_autofree char *label = NULL;

	if (!e || !note || g_strcmp0(e->media_note, note) == 0)
		return;
	g_free(e->media_note);
	e->media_note = g_strdup(note);
	label = calls_label(e);
	g_warning("call %s: %s", label, note);
}

/** gateway_calls_active_count() - number of live calls. */
unsigned gateway_calls_active_count(struct gateway_calls *c)
{
	return g_hash_table_size(c->live);
}

/** gateway_calls_set_clock() - use @now (NULL: the real clock). */
void gateway_calls_set_clock(struct gateway_calls *c, int64_t (*now)(void))
{
	c->now = now ? now : calls_real_now;
}
