/*
 * tests/media/test_sdp.c - SDP translation: golden pairs and the values the
 * relay reads from a translation.
 *
 * Every tests/media/sdp/<case>.params names a case: its [case] group says
 * what to run over <case>.in.sdp (side A's SDP) and what to expect, its
 * [local] group holds Ovoz's parameters; the result must equal
 * <case>.out.sdp byte for byte. OVOZ_SDP_WRITE=1 writes missing .out.sdp
 * files instead (review them before committing).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "media/sdp.h"

static char *dir;

static struct media_sdp *load(const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autofree char *text = NULL;
	struct media_sdp *sdp = NULL;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, NULL))
		fail_msg("cannot read %s", path);
	assert_int_equal(media_sdp_parse(&sdp, (const uint8_t *)text, len), 0);
	return sdp;
}

static enum media_sdp_profile profile_named(const char *name)
{
	if (g_strcmp0(name, "webrtc") == 0)
		return MEDIA_SDP_WEBRTC;
	if (g_strcmp0(name, "savp") == 0)
		return MEDIA_SDP_SAVP;
	return MEDIA_SDP_AVP;
}

static enum media_sdp_setup setup_named(const char *name)
{
	for (int i = MEDIA_SDP_SETUP_ACTPASS; i <= MEDIA_SDP_SETUP_HOLDCONN; i++)
		if (g_strcmp0(name, media_sdp_setup_name(i)) == 0)
			return i;
	return MEDIA_SDP_SETUP_NONE;
}

/* [local] strings; owned by @keep. */
static char *local_str(GKeyFile *kf, const char *key, GPtrArray *keep)
{
	char *v = g_key_file_get_string(kf, "local", key, NULL);

	if (v)
		g_ptr_array_add(keep, v);
	return v;
}

static void fill_local(GKeyFile *kf, struct media_sdp_local *l, GPtrArray *keep)
{
	memset(l, 0, sizeof(*l));
	l->profile = profile_named(local_str(kf, "profile", keep));
	l->addr = local_str(kf, "addr", keep);
	l->port = g_key_file_get_integer(kf, "local", "port", NULL);
	l->rtcp_port = g_key_file_get_integer(kf, "local", "rtcp_port", NULL);
	l->public_addr = local_str(kf, "public_addr", keep);
	l->ice_ufrag = local_str(kf, "ice_ufrag", keep);
	l->ice_pwd = local_str(kf, "ice_pwd", keep);
	l->ice_lite = g_key_file_get_boolean(kf, "local", "ice_lite", NULL);
	l->fingerprint = local_str(kf, "fingerprint", keep);
	l->setup = setup_named(local_str(kf, "setup", keep));
	l->crypto_key = local_str(kf, "crypto_key", keep);
	l->sess_id = g_key_file_get_uint64(kf, "local", "sess_id", NULL);
	l->sess_version = g_key_file_get_uint64(kf, "local", "sess_version", NULL);
}

static struct media_sdp *load_opt(GKeyFile *kf, const char *key)
{
	g_autofree char *name = g_key_file_get_string(kf, "case", key, NULL);

	return name ? load(name) : NULL;
}

static void compare(const char *name, const char *got)
{
	g_autofree char *path = g_strdup_printf("%s/%s.out.sdp", dir, name);
	g_autofree char *want = NULL;

	if (!g_file_get_contents(path, &want, NULL, NULL)) {
		if (g_getenv("OVOZ_SDP_WRITE"))
			assert_true(g_file_set_contents(path, got, -1, NULL));
		fail_msg("%s: no golden output", path);
	}
	if (strcmp(want, got) != 0) {
		print_error("%s: got\n%s\nwanted\n%s\n", name, got, want);
		fail();
	}
}

static void run_case(const char *name)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *path = g_strdup_printf("%s/%s.params", dir, name);
	g_autofree char *in = g_strdup_printf("%s.in.sdp", name);
	g_autofree char *kind = NULL, *error = NULL;
	struct media_sdp *a, *prev, *b;
	struct media_sdp_local local;
	struct media_sdp_plan plan;
	char *out = NULL;
	int rc;

	assert_true(g_key_file_load_from_file(kf, path, 0, NULL));
	kind = g_key_file_get_string(kf, "case", "kind", NULL);
	error = g_key_file_get_string(kf, "case", "error", NULL);
	fill_local(kf, &local, keep);
	a = load(in);
	prev = load_opt(kf, "prev");
	b = load_opt(kf, "answer");
	local.prev_b = load_opt(kf, "prev_b");
	if (g_strcmp0(kind, "answer") == 0)
		rc = media_sdp_answer(a, b, &local, &plan, &out);
	else
		rc = media_sdp_offer(a, prev, &local, &plan, &out);
	if (error) {
		assert_int_equal(rc, g_strcmp0(error, "ENOTSUP") == 0 ?
					     ENOTSUP : EINVAL);
		assert_null(out);
	} else {
		assert_int_equal(rc, 0);
		compare(name, out);
		assert_int_equal(plan.ice_restart,
				 g_key_file_get_boolean(kf, "case",
							"ice_restart", NULL));
	}
	g_free(out);
	media_sdp_free((struct media_sdp *)local.prev_b);
	media_sdp_free(a);
	media_sdp_free(prev);
	media_sdp_free(b);
}

/* Every golden pair under tests/media/sdp, and at least the known ones. */
static void test_golden(void **state)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *file;
	unsigned n = 0;

	assert_non_null(d);
	while ((file = g_dir_read_name(d))) {
		g_autofree char *name = NULL;

		if (!g_str_has_suffix(file, ".params"))
			continue;
		name = g_strndup(file, strlen(file) - strlen(".params"));
		print_message("case %s\n", name);
		run_case(name);
		n++;
	}
	assert_true(n >= 10);
}

int main(void)
{
	const char *root = g_getenv("OVOZ_SOURCE_ROOT");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
	};
	int rc;

	dir = g_build_filename(root ? root : ".", "tests", "media", "sdp", NULL);
	rc = cmocka_run_group_tests_name("sdp", tests, NULL, NULL);
	g_free(dir);
	return rc;
}
