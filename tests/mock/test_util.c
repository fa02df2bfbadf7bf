/* tests/mock/test_util.c - log capture and temporary folders for tests. */
#define _GNU_SOURCE /* memmem */
#include "test_util.h"

#include <glib/gstdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

GPtrArray *test_log_lines;
/* The store's writer thread logs too. */
static GMutex test_log_lock;

static GLogWriterOutput test_log_write(GLogLevelFlags level,
				       const GLogField *fields, gsize n,
				       gpointer data)
{
	const char *domain = "", *msg = "";

	for (gsize i = 0; i < n; i++) {
		if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
		else if (strcmp(fields[i].key, "MESSAGE") == 0)
			msg = fields[i].value;
	}
	g_mutex_lock(&test_log_lock);
	if (test_log_lines)
		g_ptr_array_add(test_log_lines,
				g_strdup_printf("%s: %s", domain, msg));
	g_mutex_unlock(&test_log_lock);
	return g_log_writer_default(level, fields, n, data);
}

void test_log_start(void)
{
	test_log_lines = g_ptr_array_new_with_free_func(g_free);
	g_log_set_writer_func(test_log_write, NULL, NULL);
}

void test_log_stop(void)
{
	g_mutex_lock(&test_log_lock);
	g_clear_pointer(&test_log_lines, g_ptr_array_unref);
	g_mutex_unlock(&test_log_lock);
}

int test_log_group_setup(void **state)
{
	test_log_start();
	return 0;
}

int test_log_group_teardown(void **state)
{
	test_log_stop();
	return 0;
}

void test_log_clear(void)
{
	g_mutex_lock(&test_log_lock);
	if (test_log_lines)
		g_ptr_array_set_size(test_log_lines, 0);
	g_mutex_unlock(&test_log_lock);
}

static bool test_log_find(const char *s, bool whole)
{
	bool found = false;

	g_mutex_lock(&test_log_lock);
	for (guint i = 0; !found && i < test_log_lines->len; i++)
		found = whole ? strcmp(test_log_lines->pdata[i], s) == 0
			      : strstr(test_log_lines->pdata[i], s) != NULL;
	g_mutex_unlock(&test_log_lock);
	return found;
}

bool test_logged(const char *line)
{
	return test_log_find(line, true);
}

bool test_logged_substring(const char *needle)
{
	return test_log_find(needle, false);
}

void test_remove_dir(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	if (d) {
		while ((name = g_dir_read_name(d))) {
			g_autofree char *p = g_build_filename(path, name, NULL);
			g_remove(p);
		}
		g_dir_close(d);
	}
	g_rmdir(path);
}

bool test_file_contains(const char *path, const char *needle)
{
	g_autofree char *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, NULL))
		return false;
	return memmem(data, len, needle, strlen(needle)) != NULL;
}

int test_udp_socket(struct sockaddr_in *self)
{
	socklen_t len = sizeof(*self);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	memset(self, 0, sizeof(*self));
	self->sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &self->sin_addr);
	g_assert_cmpint(bind(fd, (struct sockaddr *)self, sizeof(*self)), ==, 0);
	getsockname(fd, (struct sockaddr *)self, &len);
	return fd;
}
