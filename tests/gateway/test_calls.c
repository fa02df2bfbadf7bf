/* tests/gateway/test_calls.c - gateway/calls.c: live call table, call log
 * rows and log lines, over a real sqlite store and a fake clock. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api_util.h"
#include "store_util.h"
#include "test_util.h"
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "gateway/calls.h"
#include "gateway/store.h"

#define T0 1700000000

static int64_t fake_time;

static int64_t fake_now(void)
{
	return fake_time;
}

struct fixture {
	struct test_db db;
	struct gateway_calls *calls;
	JsonArray *active;
};

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);

	test_db_open(&f->db);
	assert_int_equal(gateway_calls_new(&f->calls, f->db.store), 0);
	fake_time = T0;
	gateway_calls_set_clock(f->calls, fake_now);
	test_log_clear();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	g_clear_pointer(&f->active, json_array_unref);
	gateway_calls_free(f->calls);
	test_db_close(&f->db);
	g_free(f);
	return 0;
}

static void ev_start(struct fixture *f, const char *id, const char *caller,
		     const char *transport, const char *callee)
{
	struct gateway_call_event ev = {
		.type = GATEWAY_CALL_EV_START,
		.call_id = id,
		.caller = caller,
		.caller_transport = transport,
		.callee = callee,
	};

	gateway_calls_event(f->calls, &ev);
}

static void ev_answer(struct fixture *f, const char *id, const char *transport)
{
	struct gateway_call_event ev = {
		.type = GATEWAY_CALL_EV_ANSWER,
		.call_id = id,
		.callee_transport = transport,
	};

	gateway_calls_event(f->calls, &ev);
}

static void ev_end(struct fixture *f, const char *id, const char *disposition,
		   int status, const char *hangup_by)
{
	struct gateway_call_event ev = {
		.type = GATEWAY_CALL_EV_END,
		.call_id = id,
		.disposition = disposition,
		.status = status,
		.hangup_by = hangup_by,
	};

	gateway_calls_event(f->calls, &ev);
}

/* The stored row of @id; the caller frees it. */
static struct gateway_call *row(struct fixture *f, const char *id)
{
	g_autoptr(GPtrArray) list = NULL;

	assert_int_equal(
		gateway_store_call_list(f->db.store, NULL, &list, NULL), 0);
	for (guint i = 0; i < list->len; i++)
		if (strcmp(((struct gateway_call *)list->pdata[i])->call_id,
			   id) == 0)
			return g_ptr_array_steal_index(list, i);
	fail_msg("call %s not in the log", id);
	return NULL;
}

static unsigned row_count(struct fixture *f)
{
	g_autoptr(GPtrArray) list = NULL;
	unsigned total = 0;

	assert_int_equal(
		gateway_store_call_list(f->db.store, NULL, &list, &total), 0);
	return total;
}

/* Refresh f->active from the live table. */
static JsonArray *active(struct fixture *f)
{
	g_clear_pointer(&f->active, json_array_unref);
	f->active = json_array_new();
	gateway_calls_active_json(f->calls, f->active);
	return f->active;
}

static JsonObject *active_call(struct fixture *f, guint i)
{
	JsonArray *a = active(f);

	assert_true(i < json_array_get_length(a));
	return json_array_get_object_element(a, i);
}

static void test_answered_call(void **state)
{
	struct fixture *f = *state;
	struct gateway_call *r;
	JsonObject *o;

	ev_start(f, "a@ws", "1001", "wss", "1002");
	assert_int_equal(gateway_calls_active_count(f->calls), 1);
	o = active_call(f, 0);
	assert_int_equal(json_object_get_size(o), 10);
	assert_string_equal(json_object_get_string_member(o, "callId"), "a@ws");
	assert_true(json_object_get_null_member(o, "mediaNote"));
	gateway_calls_note(f->calls, "a@ws", "one-way audio: leg B is silent");
	o = active_call(f, 0);
	assert_string_equal(json_object_get_string_member(o, "mediaNote"),
			    "one-way audio: leg B is silent");
	assert_string_equal(json_object_get_string_member(o, "caller"), "1001");
	assert_string_equal(
		json_object_get_string_member(o, "callerTransport"), "wss");
	assert_string_equal(json_object_get_string_member(o, "callee"), "1002");
	assert_true(test_json_is_null(o, "calleeTransport"));
	assert_string_equal(json_object_get_string_member(o, "state"),
			    "ringing");
	assert_int_equal(json_object_get_int_member(o, "startedAt"), T0);
	assert_true(test_json_is_null(o, "answeredAt"));
	assert_int_equal(json_object_get_int_member(o, "duration"), 0);
	assert_true(
		test_logged("ovoz-calls: call 1001 (wss) -> 1002: ringing"));
	/* Written at once, not at the end. */
	r = row(f, "a@ws");
	assert_int_equal(r->started_at, T0);
	assert_int_equal(r->ended_at, 0);
	gateway_call_free(r);

	fake_time = T0 + 5;
	ev_answer(f, "a@ws", "udp");
	assert_true(
		test_logged("ovoz-calls: call 1001 (wss) -> 1002 answered on"
			    " udp"));
	fake_time = T0 + 35;
	o = active_call(f, 0);
	assert_string_equal(json_object_get_string_member(o, "state"),
			    "answered");
	assert_string_equal(
		json_object_get_string_member(o, "calleeTransport"), "udp");
	assert_int_equal(json_object_get_int_member(o, "answeredAt"), T0 + 5);
	assert_int_equal(json_object_get_int_member(o, "duration"), 30);
	r = row(f, "a@ws");
	assert_int_equal(r->answered_at, T0 + 5);
	assert_string_equal(r->callee_transport, "udp");
	assert_int_equal(r->ended_at, 0);
	gateway_call_free(r);

	fake_time = T0 + 47;
	ev_end(f, "a@ws", "answered", 0, "callee");
	assert_int_equal(gateway_calls_active_count(f->calls), 0);
	assert_int_equal(json_array_get_length(active(f)), 0);
	assert_true(test_logged("ovoz-calls: call 1001 (wss) -> 1002 ended:"
			   " answered, 42 s, hung up by callee"));
	r = row(f, "a@ws");
	assert_int_equal(r->ended_at, T0 + 47);
	assert_int_equal(r->duration, 42);
	assert_string_equal(r->disposition, "answered");
	assert_string_equal(r->hangup_by, "callee");
	gateway_call_free(r);
}

/* Two live calls: listed oldest first, each with its own duration. */
static void test_active_durations(void **state)
{
	struct fixture *f = *state;
	JsonObject *o;

	ev_start(f, "first", "1001", "wss", "1002");
	fake_time = T0 + 10;
	ev_start(f, "second", "1003", "udp", "1004");
	fake_time = T0 + 12;
	ev_answer(f, "second", "ws");
	fake_time = T0 + 20;
	ev_answer(f, "first", "udp");
	/* A forked call's second 200 OK does not restart the clock. */
	fake_time = T0 + 25;
	ev_answer(f, "first", "wss");

	fake_time = T0 + 100;
	assert_int_equal(gateway_calls_active_count(f->calls), 2);
	assert_int_equal(json_array_get_length(active(f)), 2);
	o = active_call(f, 0);
	assert_string_equal(json_object_get_string_member(o, "callId"),
			    "first");
	assert_int_equal(json_object_get_int_member(o, "duration"), 80);
	assert_string_equal(
		json_object_get_string_member(o, "calleeTransport"), "udp");
	o = active_call(f, 1);
	assert_string_equal(json_object_get_string_member(o, "callId"),
			    "second");
	assert_int_equal(json_object_get_int_member(o, "duration"), 88);
	assert_int_equal(json_object_get_int_member(o, "startedAt"), T0 + 10);

	/* The clock stepping back must not show negative durations. */
	fake_time = T0;
	o = active_call(f, 0);
	assert_int_equal(json_object_get_int_member(o, "duration"), 0);

	fake_time = T0 + 130;
	ev_end(f, "first", "answered", 0, "caller");
	assert_int_equal(gateway_calls_active_count(f->calls), 1);
	o = active_call(f, 0);
	assert_string_equal(json_object_get_string_member(o, "callId"),
			    "second");
	assert_true(test_logged("ovoz-calls: call 1001 (wss) -> 1002 ended:"
			   " answered, 110 s, hung up by caller"));
}

static void test_unanswered_endings(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *id, *disposition;
		int status;
		const char *line;
	} cases[] = {
		{"busy@x", "busy", 486,
		 "ovoz-calls: call 1001 (wss) -> 1002 ended: busy (486)"},
		{"noans@x", "no-answer", 480,
		 "ovoz-calls: call 1001 (wss) -> 1002 ended: no-answer (480)"},
		{"cancel@x", "cancelled", 487,
		 "ovoz-calls: call 1001 (wss) -> 1002 ended: cancelled (487)"},
		{"nf@x", "failed", 404,
		 "ovoz-calls: call 1001 (wss) -> 1002 ended: failed (404)"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct gateway_call *r;

		fake_time = T0 + (int64_t)i * 100;
		ev_start(f, cases[i].id, "1001", "wss", "1002");
		assert_int_equal(gateway_calls_active_count(f->calls), 1);
		fake_time += 20;
		ev_end(f, cases[i].id, cases[i].disposition, cases[i].status,
		       NULL);
		assert_int_equal(gateway_calls_active_count(f->calls), 0);
		assert_true(test_logged(cases[i].line));
		r = row(f, cases[i].id);
		assert_string_equal(r->disposition, cases[i].disposition);
		assert_int_equal(r->status, cases[i].status);
		assert_int_equal(r->started_at, fake_time - 20);
		assert_int_equal(r->ended_at, fake_time);
		assert_int_equal(r->answered_at, 0);
		assert_int_equal(r->duration, 0);
		assert_null(r->hangup_by);
		assert_null(r->callee_transport);
		gateway_call_free(r);
	}
	assert_int_equal(row_count(f), G_N_ELEMENTS(cases));
}

/* Events the proxy should not send change nothing and say so. */
static void test_stray_events(void **state)
{
	struct fixture *f = *state;
	struct gateway_call_event bad = {.type = GATEWAY_CALL_EV_START};
	struct gateway_call *r;

	ev_answer(f, "ghost", "udp");
	ev_end(f, "ghost", "busy", 486, NULL);
	assert_int_equal(row_count(f), 0);
	assert_true(
		test_logged("ovoz-calls: call ghost: answer for a call that is"
			    " not live, ignored"));
	assert_true(
		test_logged("ovoz-calls: call ghost: end for a call that is not"
			    " live, ignored"));

	gateway_calls_event(f->calls, &bad); /* no Call-ID */
	bad.call_id = "x";
	bad.type = (enum gateway_call_event_type)7;
	gateway_calls_event(f->calls, &bad);
	bad.type = GATEWAY_CALL_EV_START; /* no caller or callee */
	gateway_calls_event(f->calls, &bad);
	assert_int_equal(gateway_calls_active_count(f->calls), 0);
	assert_int_equal(row_count(f), 0);

	ev_start(f, "dup", "1001", "wss", "1002");
	ev_start(f, "dup", "1009", "udp", "1008");
	assert_int_equal(gateway_calls_active_count(f->calls), 1);
	assert_string_equal(json_object_get_string_member(active_call(f, 0),
							  "caller"),
			    "1001");
	r = row(f, "dup");
	assert_string_equal(r->caller, "1001");
	gateway_call_free(r);
	ev_end(f, "dup", NULL, 0, NULL);
	r = row(f, "dup");
	assert_string_equal(r->disposition, "failed");
	gateway_call_free(r);

	/* A Call-ID reused after its call ended: live, but not re-logged
	 * (the writer says so once it has tried; row_count waits for it). */
	ev_start(f, "dup", "1001", "wss", "1002");
	assert_int_equal(gateway_calls_active_count(f->calls), 1);
	assert_int_equal(row_count(f), 1);
	assert_true(test_logged_substring(
		"Call-ID dup is already in the call log"));
}

/* After a crash, the next gateway_calls_new() closes what was open. */
static void test_new_closes_cut_calls(void **state)
{
	struct fixture *f = *state;
	struct gateway_call *r;
	int64_t before = g_get_real_time() / G_USEC_PER_SEC;

	ev_start(f, "cut1", "1001", "wss", "1002");
	fake_time = T0 + 3;
	ev_answer(f, "cut1", "udp");
	ev_start(f, "cut2", "1003", "udp", "1004");
	ev_start(f, "done", "1005", "udp", "1006");
	ev_end(f, "done", "busy", 486, NULL);
	/* Ovoz dies: nothing ends the live calls. */
	gateway_calls_free(f->calls);
	f->calls = NULL;
	gateway_store_close(f->db.store);
	f->db.store = NULL;

	test_log_clear();
	assert_int_equal(gateway_store_open(&f->db.store, f->db.path), 0);
	assert_int_equal(gateway_calls_new(&f->calls, f->db.store), 0);
	assert_true(test_logged("ovoz-calls: closed 2 calls cut by a restart"));
	assert_int_equal(gateway_calls_active_count(f->calls), 0);

	r = row(f, "cut1");
	assert_string_equal(r->disposition, "failed");
	assert_int_equal(r->status, 0);
	assert_null(r->hangup_by);
	/* gateway_calls_new() closes with the real clock. */
	assert_true(r->ended_at >= before);
	assert_int_equal(r->duration, r->ended_at - (T0 + 3));
	gateway_call_free(r);
	r = row(f, "cut2");
	assert_string_equal(r->disposition, "failed");
	assert_int_equal(r->duration, 0);
	gateway_call_free(r);
	r = row(f, "done");
	assert_string_equal(r->disposition, "busy");
	gateway_call_free(r);

	/* A clean start says nothing about cut calls. */
	gateway_calls_free(f->calls);
	f->calls = NULL;
	test_log_clear();
	assert_int_equal(gateway_calls_new(&f->calls, f->db.store), 0);
	assert_false(test_logged_substring("cut by a restart"));
}

static void test_new_rejects_null(void **state)
{
	struct fixture *f = *state;
	struct gateway_calls *c = (struct gateway_calls *)0x1;

	assert_int_equal(gateway_calls_new(&c, NULL), EINVAL);
	assert_ptr_equal(c, (struct gateway_calls *)0x1);
	assert_int_equal(gateway_calls_new(NULL, f->db.store), EINVAL);
	gateway_calls_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_answered_call),
		T(test_active_durations),
		T(test_unanswered_endings),
		T(test_stray_events),
		T(test_new_closes_cut_calls),
		T(test_new_rejects_null),
#undef T
	};
	return cmocka_run_group_tests(tests, test_log_group_setup,
				      test_log_group_teardown);
}
