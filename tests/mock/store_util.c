/* tests/mock/store_util.c - a temporary sqlite store for unit tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_util.h"

#include <sqlite3.h>

#include "test_util.h"

void test_db_open(struct test_db *db)
{
	db->dir = g_dir_make_tmp("ovoz-test-XXXXXX", NULL);
	assert_non_null(db->dir);
	db->path = g_build_filename(db->dir, "ovoz.db", NULL);
	assert_int_equal(gateway_store_open(&db->store, db->path), 0);
}

int test_db_setup(void **state)
{
	struct test_db *db = g_new0(struct test_db, 1);

	test_db_open(db);
	*state = db;
	return 0;
}

int test_db_teardown(void **state)
{
	test_db_close(*state);
	g_free(*state);
	return 0;
}

void test_db_reopen(struct test_db *db)
{
	gateway_store_close(db->store);
	db->store = NULL;
	assert_int_equal(gateway_store_open(&db->store, db->path), 0);
}

void test_db_close(struct test_db *db)
{
	gateway_store_close(db->store);
	test_remove_dir(db->dir);
	g_free(db->dir);
	g_free(db->path);
	*db = (struct test_db){0};
}

char *test_db_query(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = g_strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

char *test_ha1(GChecksumType type, const char *ext, const char *realm,
	       const char *pw)
{
	g_autofree char *in = g_strdup_printf("%s:%s:%s", ext, realm, pw);

	return g_compute_checksum_for_string(type, in, -1);
}
