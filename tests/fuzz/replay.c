/*
 * tests/fuzz/replay.c - run a fuzz target over corpus files when libFuzzer
 * is absent. Each argument is a file or a directory (not recursive). Fails
 * when an argument is missing, a directory is empty or a file unreadable.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, &err)) {
		fprintf(stderr, "replay: %s\n", err->message);
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	return 0;
}

static long replay_dir(const char *path)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GDir) dir = g_dir_open(path, 0, &err);
	const char *name;
	long n = 0;

	if (!dir) {
		fprintf(stderr, "replay: %s\n", err->message);
		return -1;
	}
	while ((name = g_dir_read_name(dir))) {
		g_autofree char *file = g_build_filename(path, name, NULL);

		if (g_file_test(file, G_FILE_TEST_IS_DIR))
			continue;
		if (replay_file(file) < 0)
			return -1;
		n++;
	}
	if (n == 0)
		fprintf(stderr, "replay: %s: empty corpus\n", path);
	return n ? n : -1;
}

int main(int argc, char **argv)
{
	long total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		long n;

		if (g_file_test(argv[i], G_FILE_TEST_IS_DIR))
			n = replay_dir(argv[i]);
		else
			n = replay_file(argv[i]) < 0 ? -1 : 1;
		if (n < 0)
			return 1;
		total += n;
	}
	printf("replayed %ld inputs\n", total);
	return 0;
}
