/* tests/gateway/test_store_calls.c - the call log of gateway/store.c
 * against a real sqlite file: answered, failed and cut calls, filters and
 * limits of the list. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <glib.h>

#include "gateway/store.h"
#include "store_util.h"

static struct gateway_call *only_call(struct test_db *f, const char *call_id)
{
	g_autoptr(GPtrArray) list = NULL;

	assert_int_equal(gateway_store_call_list(f->store, NULL, &list, NULL),
			 0);
	for (guint i = 0; i < list->len; i++) {
		struct gateway_call *c = list->pdata[i];

		if (strcmp(c->call_id, call_id) == 0)
			return g_ptr_array_steal_index(list, i);
	}
	fail_msg("call %s not in the log", call_id);
	return NULL;
}

static void start_call(struct test_db *f, const char *id, const char *caller,
		       const char *callee, int64_t at)
{
	assert_int_equal(gateway_store_call_start(f->store, id, caller, "wss",
						  callee, at),
			 0);
}

static void test_call_answered(void **state)
{
	struct test_db *f = *state;
	struct gateway_call *c;

	start_call(f, "a@x", "1001", "1002", 1700000000);
	c = only_call(f, "a@x");
	assert_true(c->id > 0);
	assert_string_equal(c->caller, "1001");
	assert_string_equal(c->caller_transport, "wss");
	assert_string_equal(c->callee, "1002");
	assert_null(c->callee_transport);
	assert_int_equal(c->started_at, 1700000000);
	assert_int_equal(c->answered_at, 0);
	assert_int_equal(c->ended_at, 0);
	assert_int_equal(c->duration, 0);
	assert_null(c->disposition);
	assert_null(c->hangup_by);
	gateway_call_free(c);

	assert_int_equal(gateway_store_call_answer(f->store, "a@x", "udp",
						   1700000005),
			 0);
	/* A repeated answer (2xx retransmission) keeps the first. */
	assert_int_equal(gateway_store_call_answer(f->store, "a@x", "ws",
						   1700000009),
			 0);
	c = only_call(f, "a@x");
	assert_string_equal(c->callee_transport, "udp");
	assert_int_equal(c->answered_at, 1700000005);
	assert_int_equal(c->ended_at, 0);
	gateway_call_free(c);

	assert_int_equal(gateway_store_call_end(f->store, "a@x", 1700000047,
						"answered", 200, "callee"),
			 0);
	c = only_call(f, "a@x");
	assert_int_equal(c->ended_at, 1700000047);
	assert_int_equal(c->duration, 42);
	assert_string_equal(c->disposition, "answered");
	assert_int_equal(c->status, 200);
	assert_string_equal(c->hangup_by, "callee");
	gateway_call_free(c);

	/* A call ends once; an ended call is not answered again. */
	assert_int_equal(gateway_store_call_end(f->store, "a@x", 1700000099,
						"failed", 0, NULL),
			 ENOENT);
	assert_int_equal(gateway_store_call_answer(f->store, "a@x", "udp",
						   1700000099),
			 ENOENT);
	c = only_call(f, "a@x");
	assert_int_equal(c->duration, 42);
	assert_string_equal(c->disposition, "answered");
	gateway_call_free(c);
}

static void test_call_unanswered_and_errors(void **state)
{
	struct test_db *f = *state;
	struct gateway_call *c;

	start_call(f, "b@x", "1001", "1002", 1700000000);
	assert_int_equal(gateway_store_call_start(f->store, "b@x", "1003",
						  "udp", "1004", 1700000001),
			 EEXIST);
	assert_int_equal(gateway_store_call_start(f->store, "n@x", NULL,
						  "udp", "1004", 1700000001),
			 EINVAL);
	assert_int_equal(gateway_store_call_answer(f->store, "nope", "udp",
						   1700000001),
			 ENOENT);
	assert_int_equal(gateway_store_call_end(f->store, "nope", 1700000001,
						"busy", 486, NULL),
			 ENOENT);
	assert_int_equal(gateway_store_call_end(f->store, "b@x", 1700000001,
						NULL, 486, NULL),
			 EINVAL);

	assert_int_equal(gateway_store_call_end(f->store, "b@x", 1700000030,
						"busy", 486, NULL),
			 0);
	c = only_call(f, "b@x");
	/* The duplicate start did not overwrite the original row. */
	assert_string_equal(c->caller, "1001");
	assert_int_equal(c->answered_at, 0);
	assert_int_equal(c->ended_at, 1700000030);
	assert_int_equal(c->duration, 0);
	assert_string_equal(c->disposition, "busy");
	assert_int_equal(c->status, 486);
	assert_null(c->hangup_by);
	assert_null(c->callee_transport);
	gateway_call_free(c);
}

static int count_open_calls(const char *path)
{
	g_autofree char *n = test_db_query(path, "SELECT COUNT(*) FROM calls"
						 " WHERE ended_at IS NULL");

	return atoi(n);
}

/* Rows are written through: another reader sees a call in progress, and
 * after the process is gone the next start closes it as failed. */
static void test_call_close_cut(void **state)
{
	struct test_db *f = *state;
	struct gateway_call *c;
	unsigned closed = 99;

	start_call(f, "ringing@x", "1001", "1002", 1700000000);
	start_call(f, "talking@x", "1003", "998901234567", 1700000010);
	assert_int_equal(gateway_store_call_answer(f->store, "talking@x",
						   "udp", 1700000020),
			 0);
	start_call(f, "done@x", "1004", "1005", 1700000000);
	assert_int_equal(gateway_store_call_end(f->store, "done@x", 1700000003,
						"no-answer", 480, NULL),
			 0);
	assert_int_equal(count_open_calls(f->path), 2);
	/* The "crash": the store goes away without ending the calls. */
	test_db_reopen(f);
	assert_int_equal(count_open_calls(f->path), 2);

	assert_int_equal(gateway_store_call_close_cut(f->store, 1700000100,
						      &closed),
			 0);
	assert_int_equal(closed, 2);
	assert_int_equal(count_open_calls(f->path), 0);

	c = only_call(f, "talking@x");
	assert_string_equal(c->disposition, "failed");
	assert_int_equal(c->status, 0);
	assert_null(c->hangup_by);
	assert_int_equal(c->ended_at, 1700000100);
	assert_int_equal(c->duration, 80);
	assert_int_equal(c->answered_at, 1700000020);
	gateway_call_free(c);
	c = only_call(f, "ringing@x");
	assert_string_equal(c->disposition, "failed");
	assert_int_equal(c->ended_at, 1700000100);
	assert_int_equal(c->duration, 0);
	gateway_call_free(c);
	/* Calls that had ended are left alone. */
	c = only_call(f, "done@x");
	assert_string_equal(c->disposition, "no-answer");
	assert_int_equal(c->status, 480);
	assert_int_equal(c->ended_at, 1700000003);
	gateway_call_free(c);

	assert_int_equal(gateway_store_call_close_cut(f->store, 1700000200,
						      &closed),
			 0);
	assert_int_equal(closed, 0);
}

static void assert_call_ids(GPtrArray *list, const char *const *ids,
			    size_t n)
{
	assert_int_equal(list->len, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(
			((struct gateway_call *)list->pdata[i])->call_id,
			ids[i]);
}

static void test_call_list_filters(void **state)
{
	struct test_db *f = *state;
	g_autoptr(GPtrArray) list = NULL;
	struct gateway_call_filter flt = {0};
	unsigned total = 0;

	/* No foreign keys: nothing here is a stored extension. */
	start_call(f, "c1", "1001", "1002", 1000);
	start_call(f, "c2", "1002", "1003", 2000);
	start_call(f, "c3", "1003", "1001", 3000);
	start_call(f, "c4", "1004", "998901234567", 4000);
	start_call(f, "c5", "1001", "1004", 5000);
	start_call(f, "c6", "1005", "1006", 5000); /* same second as c5 */

	/* Newest first; equal start times in insertion order, newest first. */
	assert_int_equal(gateway_store_call_list(f->store, &flt, &list,
						 &total),
			 0);
	assert_int_equal(total, 6);
	assert_call_ids(list, (const char *[]){"c6", "c5", "c4", "c3", "c2",
					       "c1"},
			6);
	g_clear_pointer(&list, g_ptr_array_unref);

	/* The extension matches caller or callee. */
	flt.extension = "1001";
	assert_int_equal(gateway_store_call_list(f->store, &flt, &list,
						 &total),
			 0);
	assert_int_equal(total, 3);
	assert_call_ids(list, (const char *[]){"c5", "c3", "c1"}, 3);
	g_clear_pointer(&list, g_ptr_array_unref);

	/* The time range is inclusive at both ends. */
	flt.from = 1000;
	flt.to = 3000;
	assert_int_equal(gateway_store_call_list(f->store, &flt, &list,
						 &total),
			 0);
	assert_int_equal(total, 2);
	assert_call_ids(list, (const char *[]){"c3", "c1"}, 2);
	g_clear_pointer(&list, g_ptr_array_unref);

	flt.extension = NULL;
	flt.from = 2000;
	flt.to = 0; /* open end */
	assert_int_equal(gateway_store_call_list(f->store, &flt, &list,
						 &total),
			 0);
	assert_int_equal(total, 5);
	g_clear_pointer(&list, g_ptr_array_unref);
	flt.from = 0;
	flt.to = 3999;
	assert_int_equal(gateway_store_call_list(f->store, &flt, &list,
						 &total),
			 0);
	assert_int_equal(total, 3);
	assert_call_ids(list, (const char *[]){"c3", "c2", "c1"}, 3);
	g_clear_pointer(&list, g_ptr_array_unref);

	/* Paging: total counts the whole match, not the page. */
	flt = (struct gateway_call_filter){.limit = 2, .offset = 2};
	assert_int_equal(gateway_store_call_list(f->store, &flt, &list,
						 &total),
			 0);
	assert_int_equal(total, 6);
	assert_call_ids(list, (const char *[]){"c4", "c3"}, 2);
	g_clear_pointer(&list, g_ptr_array_unref);
	flt.offset = 5;
	assert_int_equal(gateway_store_call_list(f->store, &flt, &list,
						 &total),
			 0);
	assert_call_ids(list, (const char *[]){"c1"}, 1);
	g_clear_pointer(&list, g_ptr_array_unref);
	flt.offset = 6;
	assert_int_equal(gateway_store_call_list(f->store, &flt, &list,
						 &total),
			 0);
	assert_int_equal(total, 6);
	assert_int_equal(list->len, 0);
	g_clear_pointer(&list, g_ptr_array_unref);

	flt = (struct gateway_call_filter){.extension = "7777"};
	assert_int_equal(gateway_store_call_list(f->store, &flt, &list,
						 &total),
			 0);
	assert_int_equal(total, 0);
	assert_int_equal(list->len, 0);
	g_clear_pointer(&list, g_ptr_array_unref);
	assert_int_equal(gateway_store_call_list(f->store, NULL, NULL, NULL),
			 EINVAL);
}

/* limit 0 means the default page (50); more than 500 is capped. */
static void test_call_list_limits(void **state)
{
	struct test_db *f = *state;
	g_autoptr(GPtrArray) list = NULL;
	struct gateway_call_filter flt = {0};
	unsigned total = 0;

	for (int i = 0; i < 520; i++) {
		g_autofree char *id = g_strdup_printf("call-%d", i);

		start_call(f, id, "1001", "1002", 1700000000 + i);
	}
	assert_int_equal(gateway_store_call_list(f->store, &flt, &list,
						 &total),
			 0);
	assert_int_equal(list->len, 50);
	assert_int_equal(total, 520);
	assert_string_equal(((struct gateway_call *)list->pdata[0])->call_id,
			    "call-519");
	g_clear_pointer(&list, g_ptr_array_unref);
	flt.limit = 10000;
	assert_int_equal(gateway_store_call_list(f->store, &flt, &list, NULL),
			 0);
	assert_int_equal(list->len, 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, test_db_setup, \
						 test_db_teardown)
		T(test_call_answered),
		T(test_call_unanswered_and_errors),
		T(test_call_close_cut),
		T(test_call_list_filters),
		T(test_call_list_limits),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
