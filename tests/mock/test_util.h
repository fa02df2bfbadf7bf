/*
 * tests/mock/test_util.h - helpers the unit tests share: capture GLib log
 * lines ("domain: message") to assert what an operator would read, and
 * remove a temporary directory.
 */
#ifndef OVOZ_TESTS_TEST_UTIL_H
#define OVOZ_TESTS_TEST_UTIL_H

#include <glib.h>
#include <stdbool.h>
#include <netinet/in.h>

/** The captured lines; valid between start and stop. */
extern GPtrArray *test_log_lines;

/** Install the capturing writer (lines still go to stderr too). */
void test_log_start(void);
void test_log_stop(void);
void test_log_clear(void);
/** test_log_start()/stop() as cmocka group set-up and tear-down. */
int test_log_group_setup(void **state);
int test_log_group_teardown(void **state);
/** True if a captured line equals @line / contains @needle. */
bool test_logged(const char *line);
bool test_logged_substring(const char *needle);

/** Delete the files in @path (not recursive) and the folder itself. */
void test_remove_dir(const char *path);

/** True when the file at @path holds the bytes of @needle (false when it
 *  cannot be read). */
bool test_file_contains(const char *path, const char *needle);

/** A UDP socket bound to 127.0.0.1 on a free port (asserts success);
 *  @self gets its address. Close it yourself. */
int test_udp_socket(struct sockaddr_in *self);

#endif
