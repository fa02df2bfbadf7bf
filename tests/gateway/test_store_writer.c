/*
 * tests/gateway/test_store_writer.c - the store's HA1 cache and its
 * write-behind thread, against a real sqlite file and a second connection
 * that holds the write lock the way an admin's sqlite3 shell would.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store_util.h"
#include "test_util.h"
#include <glib.h>
#include <sqlite3.h>

#include "gateway/store.h"

#define SYNC_MS 10000

struct fixture {
	struct test_db db;
	sqlite3 *locker; /* another connection, for locking */
};

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);

	test_db_open(&f->db);
	assert_int_equal(sqlite3_open(f->db.path, &f->locker), SQLITE_OK);
	test_log_clear();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sqlite3_close(f->locker);
	test_db_close(&f->db);
	g_free(f);
	return 0;
}

static void lock_db(struct fixture *f)
{
	assert_int_equal(sqlite3_exec(f->locker, "BEGIN EXCLUSIVE", NULL, NULL,
				      NULL),
			 SQLITE_OK);
}

static void unlock_db(struct fixture *f)
{
	assert_int_equal(sqlite3_exec(f->locker, "COMMIT", NULL, NULL, NULL),
			 SQLITE_OK);
}

/* An integer from @sql on a fresh read-only connection (what another
 * program reading the file sees). */
static int64_t count(struct fixture *f, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	assert_int_equal(
		sqlite3_open_v2(f->db.path, &db, SQLITE_OPEN_READONLY, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Wait until everything queued is written: the writer may still think
 * the database is locked for a moment after it was freed. */
static int sync_all(struct fixture *f)
{
	gint64 end = g_get_monotonic_time() + SYNC_MS * 1000;
	int err;

	while ((err = gateway_store_writer_sync(f->db.store, SYNC_MS)) ==
		       EBUSY &&
	       g_get_monotonic_time() < end)
		g_usleep(10000);
	return err;
}

static char *ha1(GChecksumType t, const char *ext, const char *pw)
{
	g_autofree char *in = g_strdup_printf("%s:ovoz.test:%s", ext, pw);

	return g_compute_checksum_for_string(t, in, -1);
}

static int create(struct fixture *f, const char *ext, const char *pw)
{
	g_autofree char *md5 = ha1(G_CHECKSUM_MD5, ext, pw);
	g_autofree char *sha = ha1(G_CHECKSUM_SHA256, ext, pw);

	return gateway_store_extension_create(f->db.store, ext, "", md5, sha);
}

static int set_password(struct fixture *f, const char *ext, const char *pw)
{
	g_autofree char *md5 = ha1(G_CHECKSUM_MD5, ext, pw);
	g_autofree char *sha = ha1(G_CHECKSUM_SHA256, ext, pw);

	return gateway_store_extension_update(f->db.store, ext, NULL, md5, sha);
}

/* The cache answers exactly what the table holds for @ext. */
static void assert_cache_matches_db(struct fixture *f, const char *ext)
{
	struct gateway_extension e = {0};
	const char *md5 = NULL, *sha = NULL;
	int db = gateway_store_extension_get(f->db.store, ext, &e);
	int mem = gateway_store_credentials(f->db.store, ext, &md5, &sha);

	assert_int_equal(mem, db);
	assert_int_equal(gateway_store_has_extension(f->db.store, ext),
			 db == 0);
	if (db == 0) {
		assert_string_equal(md5, e.ha1_md5);
		assert_string_equal(sha, e.ha1_sha256);
	}
	gateway_extension_clear(&e);
}

/* The cache holds @pw's HA1 values for @ext. */
static void assert_cache_password(struct fixture *f, const char *ext,
				  const char *pw)
{
	g_autofree char *want = ha1(G_CHECKSUM_MD5, ext, pw);
	g_autofree char *want_sha = ha1(G_CHECKSUM_SHA256, ext, pw);
	const char *md5 = NULL, *sha = NULL;

	assert_int_equal(
		gateway_store_credentials(f->db.store, ext, &md5, &sha), 0);
	assert_string_equal(md5, want);
	assert_string_equal(sha, want_sha);
}

static void test_cache_follows_writes(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(create(f, "1001", "first-pw"), 0);
	assert_int_equal(create(f, "1002", "other-pw"), 0);
	assert_cache_matches_db(f, "1001");
	assert_cache_password(f, "1001", "first-pw");
	assert_int_equal(set_password(f, "1001", "second-pw"), 0);
	assert_cache_matches_db(f, "1001");
	assert_cache_password(f, "1001", "second-pw");
	/* A display name change keeps the HA1 values. */
	assert_int_equal(gateway_store_extension_update(f->db.store, "1001",
							"Alice", NULL, NULL),
			 0);
	assert_cache_password(f, "1001", "second-pw");
	assert_int_equal(gateway_store_extension_delete(f->db.store, "1002"),
			 0);
	assert_cache_matches_db(f, "1002");
	assert_false(gateway_store_has_extension(f->db.store, "1002"));
	assert_cache_matches_db(f, "9999");
	/* Loaded from the file at open. */
	gateway_store_close(f->db.store);
	assert_int_equal(gateway_store_open(&f->db.store, f->db.path), 0);
	assert_cache_password(f, "1001", "second-pw");
	assert_cache_matches_db(f, "1002");
}

/* A write the database refuses changes neither the table nor the cache,
 * and gives up after the busy timeout instead of waiting for the lock. */
static void test_cache_unchanged_on_failed_write(void **state)
{
	struct fixture *f = *state;
	gint64 t0;

	assert_int_equal(create(f, "1001", "first-pw"), 0);
	assert_int_equal(create(f, "1001", "another-pw"), EEXIST);
	assert_cache_password(f, "1001", "first-pw");

	gateway_store_set_busy_timeout(f->db.store, 50);
	lock_db(f);
	t0 = g_get_monotonic_time();
	assert_int_equal(set_password(f, "1001", "locked-pw"), EBUSY);
	assert_int_equal(create(f, "1003", "new-pw"), EBUSY);
	assert_int_equal(gateway_store_extension_delete(f->db.store, "1001"),
			 EBUSY);
	assert_true(g_get_monotonic_time() - t0 < 2 * G_USEC_PER_SEC);
	assert_cache_password(f, "1001", "first-pw");
	assert_false(gateway_store_has_extension(f->db.store, "1003"));
	unlock_db(f);
	assert_cache_matches_db(f, "1001");
	assert_cache_matches_db(f, "1003");
	assert_cache_password(f, "1001", "first-pw");
}

static void queue_attempt(struct fixture *f, const char *ext, int i)
{
	g_autofree char *detail = g_strdup_printf("n%d", i);
	struct gateway_attempt a = {
		.extension = (char *)ext,
		.source = "127.0.0.1:5062",
		.transport = "udp",
		.outcome = "registered",
		.status = 200,
		.detail = detail,
	};

	gateway_store_writer_attempt(f->db.store, &a, 100000);
}

static void queue_location(struct fixture *f, const char *ext,
			   const char *contact)
{
	struct gateway_location l = {
		.extension = (char *)ext,
		.contact = (char *)contact,
		.transport = "udp",
		.source = "127.0.0.1:5062",
		.expires_at = 4000000000,
	};

	gateway_store_writer_location_put(f->db.store, &l);
}

/* While the file is locked, queuing costs the caller nothing and the rows
 * wait; once it is free they land, in a few large transactions. */
static void test_writer_batches_land_after_lock(void **state)
{
	struct fixture *f = *state;
	struct gateway_store_writer_stats st;
	gint64 t0;

	assert_int_equal(create(f, "1001", "pw-1001"), 0);
	lock_db(f);
	t0 = g_get_monotonic_time();
	for (int i = 0; i < 1000; i++)
		queue_attempt(f, "1001", i);
	queue_location(f, "1001", "<sip:1001@127.0.0.1:5062>");
	assert_true(g_get_monotonic_time() - t0 < G_USEC_PER_SEC / 2);
	/* The writer reports the lock instead of making readers wait. */
	assert_int_equal(gateway_store_writer_sync(f->db.store, SYNC_MS),
			 EBUSY);
	gateway_store_writer_stats(f->db.store, &st);
	assert_true(st.busy);
	assert_int_equal(st.queued, 1001);
	assert_true(test_logged_substring("database locked by another"
					  " connection"));
	assert_int_equal(count(f, "SELECT count(*) FROM register_attempts"), 0);
	unlock_db(f);

	assert_int_equal(sync_all(f), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM register_attempts"),
			 1000);
	assert_int_equal(count(f, "SELECT count(*) FROM locations"), 1);
	/* In order: the last queued is the newest row. */
	assert_int_equal(count(f, "SELECT max(id) FROM register_attempts"
				  " WHERE detail = 'n999'"),
			 count(f, "SELECT max(id) FROM register_attempts"));
	gateway_store_writer_stats(f->db.store, &st);
	assert_false(st.busy);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.written, 1001);
	assert_int_equal(st.dropped, 0);
	/* The first row alone (taken before the lock was seen), then
	 * batches of up to 512. */
	assert_true(st.batches <= 3);
	assert_true(test_logged_substring("database free again"));
}

/* Calls land in order; a bad row is logged and skipped, not the batch. */
static void test_writer_calls_and_row_errors(void **state)
{
	struct fixture *f = *state;
	g_autoptr(GPtrArray) calls = NULL;
	struct gateway_store_writer_stats st;
	const struct gateway_call *c;

	assert_int_equal(create(f, "1001", "pw-1001"), 0);
	gateway_store_writer_call_start(f->db.store, "c1", "1001", "wss",
					"1002", 1700000000);
	gateway_store_writer_call_answer(f->db.store, "c1", "udp", 1700000003);
	queue_location(f, "9999", "<sip:9999@127.0.0.1:5064>"); /* unknown */
	gateway_store_writer_call_start(f->db.store, "c1", "1003", "udp",
					"1001",
					1700000004); /* duplicate Call-ID */
	gateway_store_writer_call_end(f->db.store, "c1", 1700000010, "answered",
				      200, "caller");
	gateway_store_writer_call_end(f->db.store, "nope", 1700000010, "failed",
				      0, NULL);
	queue_location(f, "1001", "<sip:1001@127.0.0.1:5062>");
	gateway_store_writer_location_delete(f->db.store, "1001", "<sip:none>");
	assert_int_equal(sync_all(f), 0);

	assert_int_equal(
		gateway_store_call_list(f->db.store, NULL, &calls, NULL), 0);
	assert_int_equal(calls->len, 1);
	c = calls->pdata[0];
	assert_string_equal(c->caller, "1001");
	assert_string_equal(c->callee_transport, "udp");
	assert_int_equal(c->duration, 7);
	assert_string_equal(c->disposition, "answered");
	assert_string_equal(c->hangup_by, "caller");
	assert_int_equal(count(f, "SELECT count(*) FROM locations"), 1);
	assert_true(test_logged_substring("Call-ID c1 is already in the call"
					  " log"));
	assert_true(test_logged_substring("call nope: end not written"));
	gateway_store_writer_stats(f->db.store, &st);
	assert_int_equal(st.written, 5);
	assert_int_equal(st.dropped, 3);
}

struct unlocker {
	struct fixture *f;
	unsigned after_ms;
};

static gpointer unlock_later(gpointer data)
{
	struct unlocker *u = data;

	g_usleep(u->after_ms * 1000);
	unlock_db(u->f);
	return NULL;
}

/* Close writes everything queued, even if the file is locked for a while
 * when it is asked to stop. */
static void test_writer_close_flushes(void **state)
{
	struct fixture *f = *state;
	struct unlocker u = {f, 300};
	GThread *t;

	assert_int_equal(create(f, "1001", "pw-1001"), 0);
	for (int i = 0; i < 200; i++)
		queue_attempt(f, "1001", i);
	gateway_store_close(f->db.store);
	f->db.store = NULL;
	assert_int_equal(count(f, "SELECT count(*) FROM register_attempts"),
			 200);

	assert_int_equal(gateway_store_open(&f->db.store, f->db.path), 0);
	lock_db(f);
	for (int i = 0; i < 50; i++)
		queue_attempt(f, "1001", i);
	queue_location(f, "1001", "<sip:1001@127.0.0.1:5062>");
	t = g_thread_new("unlocker", unlock_later, &u);
	gateway_store_close(f->db.store);
	f->db.store = NULL;
	g_thread_join(t);
	assert_int_equal(count(f, "SELECT count(*) FROM register_attempts"),
			 250);
	assert_int_equal(count(f, "SELECT count(*) FROM locations"), 1);
}

/* Deleting an extension takes its queued attempts with it. */
static void test_writer_delete_takes_queued(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(create(f, "1001", "pw-1001"), 0);
	for (int i = 0; i < 20; i++)
		queue_attempt(f, "1001", i);
	queue_location(f, "1001", "<sip:1001@127.0.0.1:5062>");
	assert_int_equal(gateway_store_extension_delete(f->db.store, "1001"),
			 0);
	assert_int_equal(sync_all(f), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM register_attempts"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM locations"), 0);
}

/* An in-memory store has no second connection: queued rows are written
 * at once on the caller's. */
static void test_writer_inline_in_memory(void **state)
{
	struct gateway_store *s = NULL;
	g_autoptr(GPtrArray) list = NULL;
	struct gateway_location l = {
		.extension = "1001",
		.contact = "<sip:1001@127.0.0.1:5062>",
		.expires_at = 4000000000,
	};

	(void)state;
	assert_int_equal(gateway_store_open(&s, ":memory:"), 0);
	assert_int_equal(gateway_store_extension_create(s, "1001", "", "a",
							"b"),
			 0);
	gateway_store_writer_location_put(s, &l);
	assert_int_equal(gateway_store_location_list(s, &list), 0);
	assert_int_equal(list->len, 1);
	assert_int_equal(gateway_store_writer_sync(s, 0), 0);
	gateway_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_cache_follows_writes),
		T(test_cache_unchanged_on_failed_write),
		T(test_writer_batches_land_after_lock),
		T(test_writer_calls_and_row_errors),
		T(test_writer_close_flushes),
		T(test_writer_delete_takes_queued),
		cmocka_unit_test(test_writer_inline_in_memory),
#undef T
	};
	return cmocka_run_group_tests(tests, test_log_group_setup,
				      test_log_group_teardown);
}
