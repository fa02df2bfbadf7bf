/* tests/mock/test_util.c - log capture and temporary folders for tests. */
#include "test_util.h"

#include <glib/gstdio.h>
#include <string.h>

GPtrArray *test_log_lines;

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
	g_ptr_array_add(test_log_lines, g_strdup_printf("%s: %s", domain, msg));
	return g_log_writer_default(level, fields, n, data);
}

void test_log_start(void)
{
	test_log_lines = g_ptr_array_new_with_free_func(g_free);
	g_log_set_writer_func(test_log_write, NULL, NULL);
}

void test_log_stop(void)
{
	g_clear_pointer(&test_log_lines, g_ptr_array_unref);
}

void test_log_clear(void)
{
	g_ptr_array_set_size(test_log_lines, 0);
}

bool test_logged(const char *line)
{
	for (guint i = 0; i < test_log_lines->len; i++)
		if (strcmp(test_log_lines->pdata[i], line) == 0)
			return true;
	return false;
}

bool test_logged_substring(const char *needle)
{
	for (guint i = 0; i < test_log_lines->len; i++)
		if (strstr(test_log_lines->pdata[i], needle))
			return true;
	return false;
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
