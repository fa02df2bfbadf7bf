/*
 * tests/mock/store_util.h - what the gateway unit tests share: a real
 * sqlite store in a temporary folder, raw reads on a second connection,
 * and the digest HA1 the API and the store keep.
 */
#ifndef OVOZ_TESTS_STORE_UTIL_H
#define OVOZ_TESTS_STORE_UTIL_H

#include <glib.h>

#include "gateway/store.h"

struct test_db {
	char *dir;  /* temporary folder, removed by test_db_close() */
	char *path; /* dir/ovoz.db */
	struct gateway_store *store;
};

/** Create the folder and open a fresh store in it (asserts success). */
void test_db_open(struct test_db *db);
/** cmocka set-up and tear-down whose state is a new struct test_db. */
int test_db_setup(void **state);
int test_db_teardown(void **state);
/** Close and open the store again, as a restart does. */
void test_db_reopen(struct test_db *db);
/** Close the store, delete its files and the folder; clears @db. */
void test_db_close(struct test_db *db);

/** First column of the first row of @sql, read on a separate read-only
 *  connection to @path; NULL when there is no row. New string. */
char *test_db_query(const char *path, const char *sql);

/** Hex HA1 of @ext:@realm:@pw with @type (MD5 or SHA-256). New string. */
char *test_ha1(GChecksumType type, const char *ext, const char *realm,
	       const char *pw);

#endif
