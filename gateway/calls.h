/*
 * gateway/calls.h - the live call table and the call log writer.
 *
 * The proxy reports each call's progress as events (start, answer, end);
 * this module queues the log row to the store's writer at once
 * (gateway_store_writer_call_*, never waiting for sqlite), keeps
 * the table of live calls for GET /api/calls/active, and logs one line per
 * event (domain "ovoz-calls").
 *
 * Ownership: struct gateway_calls borrows the store, which must outlive
 * it. Event strings are copied; nothing is kept after the call returns.
 * Threading: signalling thread only.
 */
#ifndef OVOZ_GATEWAY_CALLS_H
#define OVOZ_GATEWAY_CALLS_H

#include <json-glib/json-glib.h>
#include <stdint.h>

#include "gateway/store.h"

struct gateway_calls;

enum gateway_call_state {
	GATEWAY_CALL_RINGING,
	GATEWAY_CALL_ANSWERED,
};

enum gateway_call_event_type {
	GATEWAY_CALL_EV_START,
	GATEWAY_CALL_EV_ANSWER,
	GATEWAY_CALL_EV_END,
};

/** One step of a call, as the proxy sees it. Strings are borrowed. */
struct gateway_call_event {
	enum gateway_call_event_type type;
	const char *call_id;          /* all events */
	const char *caller;           /* START: extension or number */
	const char *caller_transport; /* START: "udp", "ws", "wss" */
	const char *callee;           /* START */
	const char *callee_transport; /* ANSWER: transport of the answering
					 branch */
	/* END: "answered", "busy", "no-answer", "cancelled", "failed". */
	const char *disposition;
	/* END: final SIP status when not answered (486, 480, 487, 404...). */
	int status;
	/* END after answer: "caller", "callee" or "ovoz". */
	const char *hangup_by;
	/* END by Ovoz: why ("media timeout: ..."), or NULL. */
	const char *reason;
};

/**
 * Create the table over @store and close the log rows of calls cut by a
 * restart (logged as "closed N calls cut by a restart"). Sets *@out only
 * on success; EINVAL for NULL args, EIO if the store fails.
 */
int gateway_calls_new(struct gateway_calls **out, struct gateway_store *store);
/** Free the table. Calls still live stay open in the log and are closed
 *  as cut by the next gateway_calls_new(). NULL is fine. */
void gateway_calls_free(struct gateway_calls *c);
/** Apply one event: queue the log row and update the live table (START
 *  adds, ANSWER marks answered, END removes). Events for calls that are
 *  not live are logged as warnings and change nothing. */
void gateway_calls_event(struct gateway_calls *c,
			 const struct gateway_call_event *ev);
/** Append one object per live call, oldest first: {"callId", "caller",
 *  "callerTransport", "callee", "calleeTransport" (null until answered),
 *  "state" ("ringing"|"answered"), "startedAt", "answeredAt" (null until
 *  answered), "duration" (seconds since the answer, or 0)}. */
void gateway_calls_active_json(struct gateway_calls *c, JsonArray *out);
/** A finding about live call @call_id's media (one-way audio and its
 *  hint): logged, shown in the active calls as "mediaNote", and written
 *  to the call's log row. Ignored for a call that is not live. */
void gateway_calls_note(struct gateway_calls *c, const char *call_id,
			const char *note);
/** Number of live calls. */
unsigned gateway_calls_active_count(struct gateway_calls *c);
/** Replace the clock (unix seconds) used for new events and durations;
 *  NULL restores the real one. For tests. */
void gateway_calls_set_clock(struct gateway_calls *c, int64_t (*now)(void));

#endif
