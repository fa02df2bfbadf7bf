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

/* What the other side will read from Ovoz's SDP: its address and port,
 * and for WebRTC its ICE credentials and fingerprint. */
static void check_output(const char *out, const struct media_sdp_local *l)
{
	struct media_sdp *sdp = NULL;
	const struct media_sdp_stream *s;

	assert_int_equal(media_sdp_parse(&sdp, (const uint8_t *)out,
					 strlen(out)), 0);
	s = media_sdp_audio(sdp, NULL);
	assert_non_null(s);
	assert_string_equal(s->addr, l->addr);
	assert_int_equal(s->port, l->port);
	if (s->profile == MEDIA_SDP_WEBRTC) {
		assert_string_equal(s->ice_ufrag, l->ice_ufrag);
		assert_string_equal(s->fingerprint, l->fingerprint);
		assert_int_equal(s->setup, l->setup);
		assert_true(s->rtcp_mux);
	}
	media_sdp_free(sdp);
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
		check_output(out, &local);
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

static struct media_sdp *parse_str(const char *text)
{
	struct media_sdp *sdp = NULL;

	assert_int_equal(media_sdp_parse(&sdp, (const uint8_t *)text,
					 strlen(text)), 0);
	return sdp;
}

static const struct media_sdp_local webrtc_local = {
	.profile = MEDIA_SDP_WEBRTC,
	.addr = "127.0.0.1",
	.port = 16100,
	.ice_ufrag = "ovzu",
	.ice_pwd = "ovozovozovozovozovozovoz",
	.fingerprint = "AA:BB",
	.setup = MEDIA_SDP_SETUP_PASSIVE,
};

static const struct media_sdp_local plain_local = {
	.profile = MEDIA_SDP_AVP,
	.addr = "127.0.0.1",
	.port = 16102,
};

/* The model of a real Chromium offer holds what ICE and DTLS need. */
static void test_parse_chrome(void **state)
{
	struct media_sdp *sdp = load("chrome_to_plain.in.sdp");
	const struct media_sdp_stream *s = media_sdp_audio(sdp, NULL);

	assert_non_null(s);
	assert_true(sdp->bundle);
	assert_string_equal(sdp->bundle_mids, "0");
	assert_int_equal(s->profile, MEDIA_SDP_WEBRTC);
	assert_string_equal(s->mid, "0");
	assert_string_equal(s->ice_ufrag, "6lZF");
	assert_string_equal(s->ice_pwd, "thyBQ3Nkxu6/fPqxbzSeZiN5");
	assert_true(s->ice_trickle);
	assert_string_equal(s->fingerprint, "4A:03:60:9A:02:70:FC:02:4A:77:7A:9D:"
			    "DA:25:FD:41:20:33:42:95:D5:81:5D:1E:DE:02:F5:36:"
			    "C6:8E:9D:DE");
	assert_int_equal(s->setup, MEDIA_SDP_SETUP_ACTPASS);
	assert_true(s->rtcp_mux);
	assert_int_equal(s->dir, MEDIA_SDP_SENDRECV);
	assert_int_equal(s->codecs[0].pt, 111);
	assert_string_equal(s->codecs[0].name, "opus");
	assert_int_equal(s->codecs[0].rate, 48000);
	assert_int_equal(s->codecs[0].channels, 2);
	assert_string_equal(s->codecs[0].fmtp, "minptime=10;useinbandfec=1");
	/* 8 candidates, of which 4 TCP ones are dropped. */
	assert_int_equal(s->n_candidates, 4);
	assert_string_equal(s->candidates[0].addr, "127.0.0.1");
	assert_int_equal(s->candidates[0].port, 58141);
	assert_int_equal(s->candidates[0].priority, 2122194687);
	assert_string_equal(s->candidates[0].type, "host");
	media_sdp_free(sdp);
}

/* mDNS names are never resolved; TCP candidates are not used.
 * chrome_mdns.sdp is the Chromium offer with two host addresses replaced by
 * mDNS names, as Chromium writes them for a page without media permission. */
static void test_candidates_dropped(void **state)
{
	struct media_sdp *sdp = load("chrome_mdns.sdp");
	const struct media_sdp_stream *s = media_sdp_audio(sdp, NULL);

	assert_int_equal(s->n_candidates, 2);
	assert_string_equal(s->candidates[0].addr, "127.0.0.1");
	assert_string_equal(s->candidates[1].addr, "::1");
	media_sdp_free(sdp);
}

/* The relay's view of a Chromium <-> softphone call: payload types per
 * side, where to send plain RTP, RTCP multiplexing. */
static void test_answer_plan(void **state)
{
	struct media_sdp *a = load("plain_answer_to_chrome.in.sdp");
	struct media_sdp *b = load("plain_answer_to_chrome.answer.sdp");
	const struct media_sdp_stream *sb = media_sdp_audio(b, NULL);
	struct media_sdp_plan plan;
	char *out = NULL;

	assert_int_equal(media_sdp_answer(a, b, &webrtc_local, &plan, &out), 0);
	assert_int_equal(plan.n_pts, 2);
	assert_string_equal(plan.pts[0].name, "PCMU");
	assert_int_equal(plan.pts[0].pt_a, 0);
	assert_int_equal(plan.pts[0].pt_b, 0);
	assert_string_equal(plan.pts[1].name, "telephone-event");
	assert_int_equal(plan.pts[1].rate, 8000);
	assert_int_equal(plan.pts[1].pt_a, 126);
	assert_int_equal(plan.pts[1].pt_b, 101);
	assert_true(plan.rtcp_mux_a);
	assert_false(plan.rtcp_mux_b);
	assert_int_equal(plan.dir, MEDIA_SDP_SENDRECV);
	assert_string_equal(sb->addr, "127.0.0.1");
	assert_int_equal(sb->port, 4002);
	assert_int_equal(sb->rtcp_port, 4003);
	assert_non_null(strstr(out, "a=setup:passive"));
	g_free(out);
	media_sdp_free(a);
	media_sdp_free(b);
}

/* The offer to a softphone keeps Chromium's numbers: identity map. */
static void test_offer_plan(void **state)
{
	struct media_sdp *a = load("chrome_to_plain.in.sdp");
	struct media_sdp_plan plan;
	char *out = NULL;

	assert_int_equal(media_sdp_offer(a, NULL, &plain_local, &plan, &out), 0);
	/* opus, G722, PCMU, PCMA, telephone-event/48000 and /8000. */
	assert_int_equal(plan.n_pts, 6);
	for (unsigned i = 0; i < plan.n_pts; i++)
		assert_int_equal(plan.pts[i].pt_a, plan.pts[i].pt_b);
	assert_false(plan.ice_restart);
	assert_null(strstr(out, "red/"));
	assert_null(strstr(out, "CN/"));
	assert_null(strstr(out, "a=extmap"));
	assert_null(strstr(out, "a=rtcp-fb"));
	/* The SSRC and its cname cross (the relay keeps SSRCs); msid and
	 * the other ssrc attributes do not. */
	assert_non_null(strstr(out, "a=ssrc:"));
	assert_non_null(strstr(out, " cname:"));
	assert_null(strstr(out, "msid"));
	g_free(out);
	media_sdp_free(a);
}

static const char plain_offer[] =
	"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	"m=audio 4000 RTP/AVP 0 8 101\r\nc=IN IP4 127.0.0.1\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n";

/* A softphone answering with a codec that was never offered, or
 * rejecting the stream: nothing to relay. */
static void test_answer_refused(void **state)
{
	struct media_sdp *a = parse_str(plain_offer);
	struct media_sdp *g729 = parse_str(
		"v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
		"m=audio 4002 RTP/AVP 18\r\nc=IN IP4 127.0.0.1\r\n");
	struct media_sdp *zero = parse_str(
		"v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
		"m=audio 0 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\n");
	struct media_sdp_plan plan;
	char *out = NULL;

	assert_int_equal(media_sdp_answer(a, g729, &plain_local, &plan, &out),
			 ENOTSUP);
	assert_int_equal(media_sdp_answer(a, zero, &plain_local, &plan, &out),
			 ENOTSUP);
	assert_null(out);
	media_sdp_free(a);
	media_sdp_free(g729);
	media_sdp_free(zero);
}

/* Without its ICE and DTLS parameters Ovoz cannot write WebRTC SDP, and
 * an answer never says actpass. */
static void test_local_checked(void **state)
{
	struct media_sdp *a = parse_str(plain_offer);
	struct media_sdp *chrome = load("chrome_to_plain.in.sdp");
	struct media_sdp_local l = webrtc_local;
	struct media_sdp_plan plan;
	char *out = NULL;

	l.fingerprint = NULL;
	assert_int_equal(media_sdp_offer(a, NULL, &l, &plan, &out), EINVAL);
	l = webrtc_local;
	l.setup = MEDIA_SDP_SETUP_ACTPASS;
	assert_int_equal(media_sdp_answer(chrome, a, &l, &plan, &out), EINVAL);
	assert_null(out);
	media_sdp_free(a);
	media_sdp_free(chrome);
}

/* The SDES key the relay decrypts A's SRTP with. */
static void test_sdes_plan(void **state)
{
	struct media_sdp *a = load("sdes_answer.in.sdp");
	struct media_sdp *b = load("sdes_answer.answer.sdp");
	struct media_sdp_local l = plain_local;
	struct media_sdp_plan plan;
	char *out = NULL;

	l.crypto_key = "T3Zvek92b3pPdm96T3Zvek92b3pPdm96T3Zvek92";
	assert_int_equal(media_sdp_answer(a, b, &l, &plan, &out), 0);
	assert_int_equal(plan.crypto_a.tag, 2);
	assert_string_equal(plan.crypto_a.suite, "AES_CM_128_HMAC_SHA1_80");
	assert_string_equal(plan.crypto_a.key,
			    "inline:Qm9vWnp3eFdvRjJ0T2pQd0ZyYU1hV1RkRmtYeU1u");
	g_free(out);
	media_sdp_free(a);
	media_sdp_free(b);
}

/* a=ssrc: only "<number> cname:<token>" is kept, once, at most four. */
static void test_ssrc_kept(void **state)
{
	static const char body[] =
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
		"t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
		"a=ssrc:11 cname:alpha\r\n"
		"a=ssrc:11 cname:alpha\r\n"
		"a=ssrc:11 msid:s t\r\n"
		"a=ssrc:4294967296 cname:too-big\r\n"
		"a=ssrc:x cname:nan\r\n"
		"a=ssrc:12 cname:\r\n"
		"a=ssrc:13 cname:has\x01ctl\r\n"
		"a=ssrc:14 cname:b\r\na=ssrc:15 cname:c\r\na=ssrc:16 cname:d\r\n"
		"a=ssrc:17 cname:e\r\n";
	struct media_sdp *sdp = NULL;
	const struct media_sdp_stream *st;

	assert_int_equal(media_sdp_parse(&sdp, (const uint8_t *)body,
					 strlen(body)),
			 0);
	st = media_sdp_audio(sdp, NULL);
	assert_non_null(st);
	assert_int_equal(st->n_ssrc, 4);
	assert_string_equal(st->ssrc[0], "11 cname:alpha");
	assert_string_equal(st->ssrc[1], "14 cname:b");
	assert_string_equal(st->ssrc[3], "16 cname:d");
	media_sdp_free(sdp);
}

static void test_parse_refused(void **state)
{
	struct media_sdp *sdp = NULL;
	GString *many = g_string_new("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"
				     "s=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n");
	g_autofree char *big = g_malloc0(MEDIA_SDP_MAX_BODY + 1);

	static const char nul[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
		"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\0\r\n";
	static const char loop[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
		"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 7 a:/\r\n";

	assert_int_equal(media_sdp_parse(&sdp, (const uint8_t *)"hello", 5),
			 EINVAL);
	/* Each would hurt sofia-sip 1.12.11: gigabytes, endless loops. */
	assert_int_equal(media_sdp_parse(&sdp, (const uint8_t *)nul,
					 sizeof(nul) - 1), EINVAL);
	static const char slashes[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"
		"s=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\tm=audio 0 x 1//1\r\n";

	assert_int_equal(media_sdp_parse(&sdp, (const uint8_t *)loop,
					 sizeof(loop) - 1), EINVAL);
	assert_int_equal(media_sdp_parse(&sdp, (const uint8_t *)slashes,
					 sizeof(slashes) - 1), EINVAL);
	assert_int_equal(media_sdp_parse(&sdp, (const uint8_t *)big,
					 MEDIA_SDP_MAX_BODY + 1), E2BIG);
	for (int i = 0; i <= MEDIA_SDP_MAX_STREAMS; i++)
		g_string_append(many, "m=audio 4000 RTP/AVP 0\r\n");
	assert_int_equal(media_sdp_parse(&sdp, (const uint8_t *)many->str,
					 many->len), EINVAL);
	assert_null(sdp);
	g_string_free(many, TRUE);
}

int main(void)
{
	const char *root = g_getenv("OVOZ_SOURCE_ROOT");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_parse_chrome),
		cmocka_unit_test(test_candidates_dropped),
		cmocka_unit_test(test_answer_plan),
		cmocka_unit_test(test_offer_plan),
		cmocka_unit_test(test_answer_refused),
		cmocka_unit_test(test_local_checked),
		cmocka_unit_test(test_sdes_plan),
		cmocka_unit_test(test_ssrc_kept),
		cmocka_unit_test(test_parse_refused),
	};
	int rc;

	dir = g_build_filename(root ? root : ".", "tests", "media", "sdp", NULL);
	rc = cmocka_run_group_tests_name("sdp", tests, NULL, NULL);
	g_free(dir);
	return rc;
}
