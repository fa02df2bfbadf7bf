/* tests/gateway/test_store.c - gateway/store.c against a real sqlite file:
 * migrations, extensions, locations, attempts, settings. The call log is
 * in test_store_calls.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "store_util.h"
#include "test_util.h"
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "gateway/store.h"

#define REALM "ovoz.test"
#define PASSWORD "Plain-S3cret-Passw0rd"

static char *ha1(GChecksumType type, const char *ext, const char *pw)
{
	return test_ha1(type, ext, REALM, pw);
}

static void create_ext(struct test_db *f, const char *ext, const char *name)
{
	g_autofree char *md5 = ha1(G_CHECKSUM_MD5, ext, PASSWORD);
	g_autofree char *sha = ha1(G_CHECKSUM_SHA256, ext, PASSWORD);

	assert_int_equal(gateway_store_extension_create(f->store, ext, name,
							md5, sha),
			 0);
}

static void put_location(struct test_db *f, const char *ext,
			 const char *contact, uint32_t cseq, int64_t expires)
{
	struct gateway_location l = {
		.extension = (char *)ext,
		.contact = (char *)contact,
		.transport = "udp",
		.source = "203.0.113.5:48355",
		.user_agent = "MicroSIP/3.21.3",
		.call_id = "abc@203.0.113.5",
		.cseq = cseq,
		.expires_at = expires,
	};

	assert_int_equal(gateway_store_location_put(f->store, &l), 0);
}

static void add_attempt(struct test_db *f, const char *ext, const char *detail,
			unsigned keep)
{
	struct gateway_attempt a = {
		.at = 1700000000,
		.extension = (char *)ext,
		.source = "203.0.113.5:48355",
		.transport = "udp",
		.user_agent = "MicroSIP/3.21.3",
		.outcome = "wrong_password",
		.status = 403,
		.detail = (char *)detail,
	};

	assert_int_equal(gateway_store_attempt_add(f->store, &a, keep), 0);
}

static void test_migrations_idempotent(void **state)
{
	struct test_db *f = *state;
	g_autofree char *rows = NULL;
	g_autofree char *tables = NULL;

	assert_int_equal(gateway_store_schema_version(f->store), 5);
	test_db_reopen(f);
	test_db_reopen(f);
	assert_int_equal(gateway_store_schema_version(f->store), 5);
	/* One bookkeeping row per step, not one per open. */
	rows = test_db_query(f->path, "SELECT COUNT(*) FROM schema_migrations");
	assert_string_equal(rows, "5");
	tables = test_db_query(
		f->path, "SELECT group_concat(name, ',') FROM (SELECT name"
			 " FROM sqlite_master WHERE type = 'table' AND name"
			 " NOT LIKE 'sqlite_%' ORDER BY name)");
	assert_string_equal(tables, "calls,extensions,locations,"
				    "register_attempts,schema_migrations,"
				    "settings");
}

/* A database written by the first release (migration 1 only) gains the
 * call log and the locations' path at open, and keeps its rows. */
static void test_migration_2_on_v1_database(void **state)
{
	struct test_db *f = *state;
	g_autofree char *indexes = NULL;
	struct gateway_extension e = {0};
	sqlite3 *db = NULL;

	create_ext(f, "1001", "Alice");
	gateway_store_close(f->store);
	f->store = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TABLE calls;"
				      " ALTER TABLE locations DROP COLUMN path;"
				      " ALTER TABLE extensions DROP COLUMN srtp;"
				      " DELETE FROM schema_migrations"
				      " WHERE version >= 2",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(gateway_store_open(&f->store, f->path), 0);
	assert_int_equal(gateway_store_schema_version(f->store), 5);
	assert_int_equal(gateway_store_extension_get(f->store, "1001", &e), 0);
	gateway_extension_clear(&e);
	assert_int_equal(gateway_store_call_start(f->store, "c1", "1001", "wss",
						  "1002", 1700000000),
			 0);
	indexes = test_db_query(
		f->path, "SELECT group_concat(name, ',') FROM (SELECT name"
			 " FROM sqlite_master WHERE type = 'index' AND"
			 " tbl_name = 'calls' AND name NOT LIKE"
			 " 'sqlite_%' ORDER BY name)");
	assert_string_equal(indexes, "calls_callee,calls_caller,calls_started");
}

/* A database from a newer build must not be opened (and misread). */
static void test_newer_schema_refused(void **state)
{
	struct test_db *f = *state;
	struct gateway_store *s = NULL;
	g_autofree char *applied = NULL;
	sqlite3 *db = NULL;

	applied = test_db_query(f->path,
				"SELECT applied_at FROM schema_migrations"
				" WHERE version = 1");
	assert_non_null(applied);
	assert_true(g_ascii_strtoll(applied, NULL, 10) > 1600000000);
	gateway_store_close(f->store);
	f->store = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "INSERT INTO schema_migrations"
				      " VALUES (99, 0)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(gateway_store_open(&s, f->path), EIO);
	assert_null(s);
}

static void test_wal_and_private_file(void **state)
{
	struct test_db *f = *state;
	g_autofree char *mode = test_db_query(f->path, "PRAGMA journal_mode");
	GStatBuf st;

	assert_string_equal(mode, "wal");
	/* HA1 values are password-equivalent: owner-only file. */
	assert_int_equal(g_stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
}

static void test_open_bad_path(void **state)
{
	struct test_db *f = *state;
	struct gateway_store *s = (struct gateway_store *)0x1;
	g_autofree char *bad =
		g_build_filename(f->dir, "missing", "x.db", NULL);

	assert_int_equal(gateway_store_open(&s, bad), EIO);
	assert_ptr_equal(s, (struct gateway_store *)0x1);
}

static void test_extension_crud(void **state)
{
	struct test_db *f = *state;
	struct gateway_extension e = {0};
	g_autoptr(GPtrArray) list = NULL;
	g_autofree char *md5 = ha1(G_CHECKSUM_MD5, "1001", PASSWORD);
	g_autofree char *sha = ha1(G_CHECKSUM_SHA256, "1001", PASSWORD);
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;

	create_ext(f, "1002", NULL);
	create_ext(f, "1001", "Alice");
	assert_int_equal(gateway_store_extension_create(f->store, "1001", "X",
							md5, sha),
			 EEXIST);
	assert_int_equal(gateway_store_extension_create(f->store, NULL, "X",
							md5, sha),
			 EINVAL);

	assert_int_equal(gateway_store_extension_get(f->store, "1001", &e), 0);
	assert_string_equal(e.extension, "1001");
	assert_string_equal(e.display_name, "Alice");
	assert_string_equal(e.ha1_md5, md5);
	assert_string_equal(e.ha1_sha256, sha);
	assert_true(e.created_at >= now - 5 && e.created_at <= now + 5);
	assert_int_equal(e.updated_at, e.created_at);
	gateway_extension_clear(&e);
	assert_null(e.extension);

	assert_int_equal(gateway_store_extension_get(f->store, "1002", &e), 0);
	assert_string_equal(e.display_name, "");
	gateway_extension_clear(&e);

	/* NULL keeps the stored value. */
	assert_int_equal(gateway_store_extension_update(f->store, "1001", "Bob",
							NULL, NULL),
			 0);
	assert_int_equal(gateway_store_extension_get(f->store, "1001", &e), 0);
	assert_string_equal(e.display_name, "Bob");
	assert_string_equal(e.ha1_md5, md5);
	assert_string_equal(e.ha1_sha256, sha);
	gateway_extension_clear(&e);
	assert_int_equal(gateway_store_extension_update(f->store, "1001", NULL,
							"m", "s"),
			 0);
	assert_int_equal(gateway_store_extension_get(f->store, "1001", &e), 0);
	assert_string_equal(e.display_name, "Bob");
	assert_string_equal(e.ha1_md5, "m");
	assert_string_equal(e.ha1_sha256, "s");
	gateway_extension_clear(&e);
	assert_int_equal(gateway_store_extension_update(f->store, "9999", "x",
							NULL, NULL),
			 ENOENT);

	assert_int_equal(gateway_store_extension_list(f->store, &list), 0);
	assert_int_equal(list->len, 2);
	assert_string_equal(((struct gateway_extension *)list->pdata[0])
				    ->extension,
			    "1001");
	assert_string_equal(((struct gateway_extension *)list->pdata[1])
				    ->extension,
			    "1002");

	assert_int_equal(gateway_store_extension_delete(f->store, "1001"), 0);
	assert_int_equal(gateway_store_extension_get(f->store, "1001", &e),
			 ENOENT);
	assert_null(e.extension);
	assert_int_equal(gateway_store_extension_delete(f->store, "1001"),
			 ENOENT);
	g_clear_pointer(&list, g_ptr_array_unref);
	assert_int_equal(gateway_store_extension_list(f->store, &list), 0);
	assert_int_equal(list->len, 1);
}

static struct gateway_location *find_loc(GPtrArray *list, const char *contact)
{
	for (guint i = 0; i < list->len; i++) {
		struct gateway_location *l = list->pdata[i];

		if (strcmp(l->contact, contact) == 0)
			return l;
	}
	return NULL;
}

static void test_locations(void **state)
{
	struct test_db *f = *state;
	g_autoptr(GPtrArray) list = NULL;
	struct gateway_location *l;
	struct gateway_location ghost = {.extension = "9999",
					 .contact = "sip:9999@x",
					 .expires_at = 100};

	create_ext(f, "1001", "Alice");
	put_location(f, "1001", "sip:1001@198.51.100.7:5060", 1, 1000);
	put_location(f, "1001", "sip:1001@198.51.100.8:5060", 5, 2000);
	/* Same (extension, contact): replaced, not added. */
	put_location(f, "1001", "sip:1001@198.51.100.7:5060", 2, 3000);
	assert_int_equal(gateway_store_location_put(f->store, &ghost), ENOENT);

	assert_int_equal(gateway_store_location_list(f->store, &list), 0);
	assert_int_equal(list->len, 2);
	l = find_loc(list, "sip:1001@198.51.100.7:5060");
	assert_non_null(l);
	assert_string_equal(l->extension, "1001");
	assert_string_equal(l->transport, "udp");
	assert_string_equal(l->source, "203.0.113.5:48355");
	assert_string_equal(l->user_agent, "MicroSIP/3.21.3");
	assert_string_equal(l->call_id, "abc@203.0.113.5");
	assert_int_equal(l->cseq, 2);
	assert_int_equal(l->expires_at, 3000);
	assert_true(l->updated_at > 0);
	assert_null(l->path);
	g_clear_pointer(&list, g_ptr_array_unref);

	/* A contact registered through an edge proxy keeps its Path. */
	struct gateway_location via_edge = {
		.extension = "1001", .contact = "sip:1001@198.51.100.7:5060",
		.cseq = 3, .expires_at = 3000,
		.path = "<sip:192.0.2.1:5060;lr;ovoz=wss-3.0123456789abcdef>"};
	assert_int_equal(gateway_store_location_put(f->store, &via_edge), 0);
	assert_int_equal(gateway_store_location_list(f->store, &list), 0);
	l = find_loc(list, "sip:1001@198.51.100.7:5060");
	assert_string_equal(l->path, via_edge.path);
	g_clear_pointer(&list, g_ptr_array_unref);

	/* Purge is inclusive of @now and keeps the later binding. */
	assert_int_equal(gateway_store_location_purge(f->store, 2000), 0);
	assert_int_equal(gateway_store_location_list(f->store, &list), 0);
	assert_int_equal(list->len, 1);
	assert_non_null(find_loc(list, "sip:1001@198.51.100.7:5060"));
	g_clear_pointer(&list, g_ptr_array_unref);

	assert_int_equal(
		gateway_store_location_delete(f->store, "1001",
					      "sip:1001@198.51.100.7:5060"),
		0);
	assert_int_equal(
		gateway_store_location_delete(f->store, "1001",
					      "sip:1001@198.51.100.7:5060"),
		ENOENT);
	assert_int_equal(gateway_store_location_list(f->store, &list), 0);
	assert_int_equal(list->len, 0);
}

static void test_delete_cascades(void **state)
{
	struct test_db *f = *state;
	g_autoptr(GPtrArray) locs = NULL;
	g_autoptr(GPtrArray) atts = NULL;

	create_ext(f, "1001", "Alice");
	create_ext(f, "1002", "Bob");
	put_location(f, "1001", "sip:1001@a", 1, 5000);
	put_location(f, "1001", "sip:1001@b", 1, 5000);
	put_location(f, "1002", "sip:1002@a", 1, 5000);
	add_attempt(f, "1001", "a1", 100);
	add_attempt(f, "1002", "b1", 100);

	assert_int_equal(gateway_store_extension_delete(f->store, "1001"), 0);
	assert_int_equal(gateway_store_location_list(f->store, &locs), 0);
	assert_int_equal(locs->len, 1);
	assert_string_equal(((struct gateway_location *)locs->pdata[0])
				    ->extension,
			    "1002");
	assert_int_equal(gateway_store_attempt_list(f->store, NULL, 100, &atts),
			 0);
	assert_int_equal(atts->len, 1);
	assert_string_equal(((struct gateway_attempt *)atts->pdata[0])->detail,
			    "b1");
}

static void test_attempts_bounded(void **state)
{
	struct test_db *f = *state;
	g_autoptr(GPtrArray) list = NULL;
	struct gateway_attempt bad = {.outcome = "x"};

	for (int i = 0; i < 12; i++) {
		g_autofree char *d = g_strdup_printf("n%d", i);

		add_attempt(f, i % 2 ? "1001" : "9999", d, 5);
	}
	assert_int_equal(gateway_store_attempt_add(f->store, &bad, 0), EINVAL);
	assert_int_equal(gateway_store_attempt_list(f->store, NULL, 100, &list),
			 0);
	assert_int_equal(list->len, 5);
	for (int i = 0; i < 5; i++) {
		g_autofree char *d = g_strdup_printf("n%d", 11 - i);

		assert_string_equal(
			((struct gateway_attempt *)list->pdata[i])->detail, d);
	}
}

static void test_attempts_per_extension(void **state)
{
	struct test_db *f = *state;
	g_autoptr(GPtrArray) list = NULL;
	struct gateway_attempt *a;

	create_ext(f, "1001", "Alice");
	add_attempt(f, "1001", "first", 100);
	/* Unknown extension: no foreign key, it must be storable. */
	add_attempt(f, "9999", "unknown extension", 100);
	add_attempt(f, "1001", "second", 100);
	add_attempt(f, "1001", "third", 100);

	assert_int_equal(gateway_store_attempt_list(f->store, "1001", 2, &list),
			 0);
	assert_int_equal(list->len, 2);
	a = list->pdata[0];
	assert_string_equal(a->detail, "third");
	assert_string_equal(a->extension, "1001");
	assert_string_equal(a->source, "203.0.113.5:48355");
	assert_string_equal(a->transport, "udp");
	assert_string_equal(a->user_agent, "MicroSIP/3.21.3");
	assert_string_equal(a->outcome, "wrong_password");
	assert_int_equal(a->status, 403);
	assert_int_equal(a->at, 1700000000);
	assert_string_equal(((struct gateway_attempt *)list->pdata[1])->detail,
			    "second");
	g_clear_pointer(&list, g_ptr_array_unref);

	assert_int_equal(
		gateway_store_attempt_list(f->store, "9999", 50, &list), 0);
	assert_int_equal(list->len, 1);
	assert_string_equal(((struct gateway_attempt *)list->pdata[0])->detail,
			    "unknown extension");
	g_clear_pointer(&list, g_ptr_array_unref);

	assert_int_equal(
		gateway_store_attempt_list(f->store, "1002", 50, &list), 0);
	assert_int_equal(list->len, 0);
}

static void test_settings(void **state)
{
	struct test_db *f = *state;
	char *v = NULL;

	assert_int_equal(gateway_store_setting_get(f->store, "k", &v), ENOENT);
	assert_null(v);
	assert_int_equal(gateway_store_setting_set(f->store, "k", "one"), 0);
	assert_int_equal(gateway_store_setting_get(f->store, "k", &v), 0);
	assert_string_equal(v, "one");
	g_free(v);
	assert_int_equal(gateway_store_setting_set(f->store, "k", "two"), 0);
	assert_int_equal(gateway_store_setting_get(f->store, "k", &v), 0);
	assert_string_equal(v, "two");
	g_free(v);
	assert_int_equal(gateway_store_setting_set(f->store, "k", NULL),
			 EINVAL);
}

static void test_survives_reopen(void **state)
{
	struct test_db *f = *state;
	g_autoptr(GPtrArray) locs = NULL;
	g_autoptr(GPtrArray) atts = NULL;
	struct gateway_extension e = {0};
	g_autofree char *md5 = ha1(G_CHECKSUM_MD5, "1001", PASSWORD);
	char *v = NULL;

	create_ext(f, "1001", "Alice");
	put_location(f, "1001", "sip:1001@198.51.100.7:5060", 7, 4000000000);
	add_attempt(f, "1001", "registered", 100);
	assert_int_equal(gateway_store_setting_set(f->store, "k", "v"), 0);
	test_db_reopen(f);

	assert_int_equal(gateway_store_extension_get(f->store, "1001", &e), 0);
	assert_string_equal(e.display_name, "Alice");
	assert_string_equal(e.ha1_md5, md5);
	gateway_extension_clear(&e);
	assert_int_equal(gateway_store_location_list(f->store, &locs), 0);
	assert_int_equal(locs->len, 1);
	assert_int_equal(((struct gateway_location *)locs->pdata[0])->cseq, 7);
	assert_int_equal(
		((struct gateway_location *)locs->pdata[0])->expires_at,
		4000000000);
	assert_int_equal(
		gateway_store_attempt_list(f->store, "1001", 10, &atts), 0);
	assert_int_equal(atts->len, 1);
	assert_int_equal(gateway_store_setting_get(f->store, "k", &v), 0);
	assert_string_equal(v, "v");
	g_free(v);
}

static void test_no_plain_password(void **state)
{
	struct test_db *f = *state;
	g_autofree char *wal = g_strconcat(f->path, "-wal", NULL);
	g_autofree char *row = NULL;
	g_autofree char *md5 = ha1(G_CHECKSUM_MD5, "1001", PASSWORD);

	create_ext(f, "1001", "Alice");
	row = test_db_query(f->path,
			    "SELECT extension || '|' || display_name || '|' ||"
			    " ha1_md5 || '|' || ha1_sha256 FROM extensions");
	assert_non_null(row);
	assert_null(strstr(row, PASSWORD));
	/* The check would be vacuous if the row were not there at all. */
	assert_non_null(strstr(row, md5));
	assert_true(test_file_contains(f->path, md5) ||
		    test_file_contains(wal, md5));
	assert_false(test_file_contains(f->path, PASSWORD));
	assert_false(test_file_contains(wal, PASSWORD));
}

/* A direct add is in the file at once; the daemon's queued path is
 * tested in test_store_writer.c. */
static int count_attempt_rows(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM "
						"register_attempts", -1, &st,
					    NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void test_attempt_add_is_direct(void **state)
{
	struct test_db *f = *state;

	for (int i = 0; i < 10; i++)
		add_attempt(f, "1001", "direct", 100);
	/* Another reader sees them without any flush or close. */
	assert_int_equal(count_attempt_rows(f->path), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, test_db_setup, \
						 test_db_teardown)
		T(test_migrations_idempotent),
		T(test_migration_2_on_v1_database),
		T(test_newer_schema_refused),
		T(test_wal_and_private_file),
		T(test_open_bad_path),
		T(test_extension_crud),
		T(test_locations),
		T(test_delete_cascades),
		T(test_attempts_bounded),
		T(test_attempts_per_extension),
		T(test_attempt_add_is_direct),
		T(test_settings),
		T(test_survives_reopen),
		T(test_no_plain_password),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
