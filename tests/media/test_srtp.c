/*
 * tests/media/test_srtp.c - SRTP/SRTCP against published vectors (libsrtp's
 * srtp_validate packets, RFC 7714 AES-GCM), authentication and replay
 * failures, and SDES inline keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <openssl/evp.h>
#include <string.h>

#include "media/srtp.h"
#include "media/srtp_crypto.h"

struct vec {
	uint8_t *data;
	size_t len;
};

static JsonObject *vectors;
static JsonParser *parser;

static char *corpus_path(const char *name)
{
	const char *shared = g_getenv("OVOZ_SHARED");

	assert_non_null(shared);
	return g_build_filename(shared, "corpora", "srtp", name, NULL);
}

static struct vec hex_vec(const char *hex)
{
	size_t n = strlen(hex) / 2;
	struct vec v = {.data = g_malloc(n + 1), .len = n};

	for (size_t i = 0; i < n; i++) {
		int hi = g_ascii_xdigit_value(hex[2 * i]);
		int lo = g_ascii_xdigit_value(hex[2 * i + 1]);

		assert_true(hi >= 0 && lo >= 0);
		v.data[i] = (uint8_t)(hi << 4 | lo);
	}
	return v;
}

static struct vec json_vec(const char *group, const char *member)
{
	JsonObject *g = json_object_get_object_member(vectors, group);

	assert_non_null(g);
	return hex_vec(json_object_get_string_member(g, member));
}

static struct vec file_vec(const char *name)
{
	g_autofree char *path = corpus_path(name);
	gchar *data = NULL;
	gsize len = 0;

	assert_true(g_file_get_contents(path, &data, &len, NULL));
	return (struct vec){.data = (uint8_t *)data, .len = len};
}

/*
 * The hex block that follows @label in an RFC text file (the first one):
 * lines of hex groups up to the next blank line.
 */
static struct vec rfc_vec(const char *file, const char *label)
{
	g_autofree char *path = corpus_path(file);
	g_autofree char *text = NULL;
	GString *hex = g_string_new(NULL);
	char *p;
	struct vec v;

	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	p = strstr(text, label);
	assert_non_null(p);
	p = strchr(p, '\n') + 1;
	for (;;) {
		char *eol = strchr(p, '\n');
		g_autofree char *line = g_strstrip(g_strndup(p, eol - p));

		if (!*line && hex->len)
			break;
		for (char *c = line; *c; c++) {
			if (g_ascii_isxdigit(*c))
				g_string_append_c(hex, *c);
			else
				assert_true(*c == ' ');
		}
		p = eol + 1;
	}
	v = hex_vec(hex->str);
	g_string_free(hex, TRUE);
	return v;
}

static void vec_free(struct vec *v)
{
	g_free(v->data);
}

static int setup_vectors(void **state)
{
	g_autofree char *path = corpus_path("vectors.json");

	parser = json_parser_new();
	assert_true(json_parser_load_from_file(parser, path, NULL));
	vectors = json_node_get_object(json_parser_get_root(parser));
	return 0;
}

static int teardown_vectors(void **state)
{
	g_object_unref(parser);
	return 0;
}

static struct media_srtp_key key_of(enum media_srtp_profile p,
				    const char *group, const char *key,
				    const char *salt)
{
	struct vec k = json_vec(group, key), s = json_vec(group, salt);
	struct media_srtp_key out = {.profile = p, .len = k.len + s.len};

	assert_int_equal(out.len, media_srtp_master_len(p));
	memcpy(out.master, k.data, k.len);
	memcpy(out.master + k.len, s.data, s.len);
	vec_free(&k);
	vec_free(&s);
	return out;
}

static struct media_srtp *session(const struct media_srtp_key *k)
{
	struct media_srtp *s = NULL;

	assert_int_equal(media_srtp_new(&s, k, k, 0), 0);
	return s;
}

typedef int (*protect_fn)(struct media_srtp *, uint8_t *, size_t *, size_t);
typedef int (*unprotect_fn)(struct media_srtp *, uint8_t *, size_t *);

/* Protect @plain into an exactly sized heap buffer: ASan sees overruns. */
static void check_protect(const struct media_srtp_key *k, protect_fn fn,
			  const struct vec *plain, const struct vec *want)
{
	struct media_srtp *s = session(k);
	size_t cap = want->len, len = plain->len;
	uint8_t *buf = g_malloc(cap);

	/* The vectors go through the OpenSSL types, not libsrtp's own. */
	assert_true(media_srtp_crypto_live() > 0);
	memcpy(buf, plain->data, len);
	/* One byte short of the tag: refused, buffer untouched. */
	assert_int_equal(fn(s, buf, &len, cap - 1), ENOBUFS);
	assert_int_equal(len, plain->len);
	assert_int_equal(fn(s, buf, &len, cap), 0);
	assert_int_equal(len, want->len);
	assert_memory_equal(buf, want->data, want->len);
	g_free(buf);
	media_srtp_free(s);
}

/* Unprotect gives @plain back; the same packet again is a replay; every
 * single flipped bit fails authentication. */
static void check_unprotect(const struct media_srtp_key *k, unprotect_fn fn,
			    const struct vec *prot, const struct vec *plain)
{
	struct media_srtp *s = session(k);
	uint8_t *buf = g_malloc(prot->len);
	size_t len;

	for (size_t bit = 0; bit < prot->len * 8; bit++) {
		memcpy(buf, prot->data, prot->len);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		len = prot->len;
		assert_int_equal(fn(s, buf, &len), EBADMSG);
	}
	memcpy(buf, prot->data, prot->len);
	len = prot->len;
	assert_int_equal(fn(s, buf, &len), 0);
	assert_int_equal(len, plain->len);
	assert_memory_equal(buf, plain->data, plain->len);

	memcpy(buf, prot->data, prot->len);
	len = prot->len;
	assert_int_equal(fn(s, buf, &len), EALREADY);
	g_free(buf);
	media_srtp_free(s);
}

static void test_libsrtp_validate_rtp(void **state)
{
	struct media_srtp_key k = key_of(MEDIA_SRTP_AES128_CM_SHA1_80,
					 "libsrtp_srtp_validate", "master_key",
					 "master_salt");
	struct vec plain = file_vec("libsrtp-validate-rtp-plain.bin");
	struct vec prot = file_vec("libsrtp-validate-srtp-protected.bin");
	struct vec jplain = json_vec("libsrtp_srtp_validate", "rtp_plain");
	struct vec jprot = json_vec("libsrtp_srtp_validate", "srtp_protected");

	/* The binary files and vectors.json agree. */
	assert_int_equal(plain.len, jplain.len);
	assert_memory_equal(plain.data, jplain.data, plain.len);
	assert_int_equal(prot.len, jprot.len);
	assert_memory_equal(prot.data, jprot.data, prot.len);

	check_protect(&k, media_srtp_protect, &plain, &prot);
	check_unprotect(&k, media_srtp_unprotect, &prot, &plain);
	vec_free(&plain);
	vec_free(&prot);
	vec_free(&jplain);
	vec_free(&jprot);
}

static void test_libsrtp_validate_rtcp(void **state)
{
	struct media_srtp_key k = key_of(MEDIA_SRTP_AES128_CM_SHA1_80,
					 "libsrtp_srtp_validate", "master_key",
					 "master_salt");
	struct vec plain = file_vec("libsrtp-validate-rtcp-plain.bin");
	struct vec prot = file_vec("libsrtp-validate-srtcp-protected.bin");

	check_protect(&k, media_srtp_protect_rtcp, &plain, &prot);
	check_unprotect(&k, media_srtp_unprotect_rtcp, &prot, &plain);
	vec_free(&plain);
	vec_free(&prot);
}

static void test_rfc7714_vectors_agree(void **state)
{
	const char *g = "rfc7714_16_1_1_aead_aes_128_gcm";
	struct vec plain = json_vec(g, "rtp_plain");
	struct vec prot = json_vec(g, "srtp_protected");
	struct vec rplain = rfc_vec("rfc7714/rtp-vectors.txt",
				    "Encrypting the following packet:");
	struct vec rprot = rfc_vec("rfc7714/rtp-vectors.txt",
				   "Encrypted and tagged packet:");

	/* vectors.json carries the RFC's own numbers. */
	assert_int_equal(rprot.len, prot.len);
	assert_memory_equal(rprot.data, prot.data, prot.len);
	assert_int_equal(rplain.len, plain.len);
	assert_memory_equal(rplain.data, plain.data, plain.len);
	vec_free(&plain);
	vec_free(&prot);
	vec_free(&rplain);
	vec_free(&rprot);
}

/*
 * A test-side reference for AEAD_AES_128_GCM, written from the RFCs with
 * OpenSSL's AES: the RFC 3711 §4.3 key derivation (AES-CM PRF, kdr 0) and
 * the RFC 7714 §8.1 IV and AAD. RFC 7714's vectors start from session keys,
 * which libsrtp never takes (it derives them from a master key), so the
 * reference is first checked against RFC 3711 B.3 and RFC 7714 §16.1.1,
 * then compared with what libsrtp produces from a master key.
 */
static void ref_prf(const uint8_t *master, size_t master_len, uint8_t label,
		    uint8_t *out, size_t n)
{
	uint8_t iv[16] = {0}, zero[32] = {0};
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l = 0;

	/* key_id XOR master salt; a 12-byte salt is padded to 14 with 0s. */
	memcpy(iv, master + 16, master_len - 16);
	iv[7] ^= label;
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, master,
					    iv), 1);
	assert_int_equal(EVP_EncryptUpdate(c, out, &l, zero, (int)n), 1);
	EVP_CIPHER_CTX_free(c);
}

static size_t ref_gcm_rtp(const uint8_t key[16], const uint8_t salt[12],
			  const uint8_t *pkt, size_t len, uint8_t *out)
{
	uint8_t iv[12] = {0};
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l = 0;

	memcpy(iv + 2, pkt + 8, 4); /* SSRC; ROC 0 */
	memcpy(iv + 10, pkt + 2, 2);
	for (int i = 0; i < 12; i++)
		iv[i] ^= salt[i];
	memcpy(out, pkt, 12);
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key,
					    iv), 1);
	assert_int_equal(EVP_EncryptUpdate(c, NULL, &l, pkt, 12), 1);
	assert_int_equal(EVP_EncryptUpdate(c, out + 12, &l, pkt + 12,
					   (int)len - 12), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, out + 12 + l, &l), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16,
					     out + len), 1);
	EVP_CIPHER_CTX_free(c);
	return len + 16;
}

static void test_reference_matches_rfcs(void **state)
{
	const char *g = "rfc7714_16_1_1_aead_aes_128_gcm";
	struct media_srtp_key m = key_of(MEDIA_SRTP_AES128_CM_SHA1_80,
					 "rfc3711_B3_kdf", "master_key",
					 "master_salt");
	struct vec ck = json_vec("rfc3711_B3_kdf", "cipher_key");
	struct vec cs = json_vec("rfc3711_B3_kdf", "cipher_salt");
	struct vec key = json_vec(g, "key"), salt = json_vec(g, "salt");
	struct vec plain = json_vec(g, "rtp_plain");
	struct vec prot = json_vec(g, "srtp_protected");
	uint8_t out[128];

	ref_prf(m.master, m.len, 0, out, 16);
	assert_memory_equal(out, ck.data, 16);
	ref_prf(m.master, m.len, 2, out, 14);
	assert_memory_equal(out, cs.data, 14);
	assert_int_equal(ref_gcm_rtp(key.data, salt.data, plain.data,
				     plain.len, out),
			 prot.len);
	assert_memory_equal(out, prot.data, prot.len);
	vec_free(&ck);
	vec_free(&cs);
	vec_free(&key);
	vec_free(&salt);
	vec_free(&plain);
	vec_free(&prot);
}

/* libsrtp's GCM, keyed with the RFC 7714 key||salt as master key, equals
 * the reference fed with the session keys derived from it. */
static void test_gcm_against_reference(void **state)
{
	const char *g = "rfc7714_16_1_1_aead_aes_128_gcm";
	struct media_srtp_key k =
		key_of(MEDIA_SRTP_AEAD_AES_128_GCM, g, "key", "salt");
	struct vec plain = json_vec(g, "rtp_plain");
	uint8_t skey[16], ssalt[12], want[128];
	struct vec prot;

	ref_prf(k.master, k.len, 0, skey, sizeof(skey));
	ref_prf(k.master, k.len, 2, ssalt, sizeof(ssalt));
	prot.len = ref_gcm_rtp(skey, ssalt, plain.data, plain.len, want);
	prot.data = want;
	check_protect(&k, media_srtp_protect, &plain, &prot);
	check_unprotect(&k, media_srtp_unprotect, &prot, &plain);
	vec_free(&plain);
}

/* Two ends with swapped keys talk, in both profiles. */
static void test_round_trip(void **state)
{
	enum media_srtp_profile ps[] = {MEDIA_SRTP_AES128_CM_SHA1_80,
					MEDIA_SRTP_AEAD_AES_128_GCM};

	for (size_t i = 0; i < G_N_ELEMENTS(ps); i++) {
		struct media_srtp_key ka, kb;
		struct media_srtp *a = NULL, *b = NULL;
		uint8_t pkt[12 + 160 + MEDIA_SRTP_TRAILER_MAX], want[172];
		size_t len;

		assert_int_equal(media_srtp_key_random(&ka, ps[i]), 0);
		assert_int_equal(media_srtp_key_random(&kb, ps[i]), 0);
		assert_int_equal(media_srtp_new(&a, &ka, &kb, 128), 0);
		assert_int_equal(media_srtp_new(&b, &kb, &ka, 128), 0);
		for (uint16_t seq = 1; seq < 40; seq++) {
			memset(want, 0xd5, sizeof(want));
			want[0] = 0x80;
			want[2] = seq >> 8;
			want[3] = seq & 0xff;
			memcpy(want + 8, "\x11\x22\x33\x44", 4);
			memcpy(pkt, want, sizeof(want));
			len = sizeof(want);
			assert_int_equal(media_srtp_protect(a, pkt, &len,
							    sizeof(pkt)), 0);
			assert_true(len > sizeof(want));
			assert_memory_not_equal(pkt + 12, want + 12, 160);
			assert_int_equal(media_srtp_unprotect(b, pkt, &len), 0);
			assert_int_equal(len, sizeof(want));
			assert_memory_equal(pkt, want, len);
		}
		/* An RTCP sender report both ways through SRTCP. */
		for (int n = 0; n < 3; n++) {
			static const uint8_t sr[28] = {0x80, 200, 0, 6,
						       0x11, 0x22, 0x33, 0x44};

			memcpy(pkt, sr, sizeof(sr));
			len = sizeof(sr);
			assert_int_equal(media_srtp_protect_rtcp(a, pkt, &len,
								 sizeof(pkt)),
					 0);
			assert_int_equal(len, sizeof(sr) + 4 +
						      (i ? 16 : 10));
			assert_int_equal(media_srtp_unprotect_rtcp(b, pkt,
								   &len),
					 0);
			assert_int_equal(len, sizeof(sr));
			assert_memory_equal(pkt, sr, sizeof(sr));
		}
		/* The same sequence number sent twice is refused. */
		memcpy(pkt, want, sizeof(want));
		len = sizeof(want);
		assert_int_equal(media_srtp_protect(a, pkt, &len, sizeof(pkt)),
				 EALREADY);
		/* b's own packets do not decrypt with b's receive key. */
		len = sizeof(want);
		want[3] = 99;
		memcpy(pkt, want, len);
		assert_int_equal(media_srtp_protect(b, pkt, &len, sizeof(pkt)),
				 0);
		assert_int_equal(media_srtp_unprotect(b, pkt, &len), EBADMSG);
		media_srtp_free(a);
		media_srtp_free(b);
	}
}

static void test_bad_input(void **state)
{
	struct media_srtp_key k, other;
	struct media_srtp *s = NULL;
	uint8_t buf[64] = {0x80};
	size_t len;

	assert_int_equal(media_srtp_key_random(&k, MEDIA_SRTP_AEAD_AES_128_GCM),
			 0);
	assert_int_equal(media_srtp_key_random(&other,
					       MEDIA_SRTP_AES128_CM_SHA1_80),
			 0);
	assert_int_equal(media_srtp_new(&s, &k, &other, 0), EINVAL);
	assert_null(s);
	assert_int_equal(media_srtp_new(&s, &k, &k, 10), EINVAL);
	assert_int_equal(media_srtp_new(&s, &k, &k, 0), 0);
	len = 11;
	assert_int_equal(media_srtp_protect(s, buf, &len, sizeof(buf)), EINVAL);
	for (len = 0; len < 30; len++)
		assert_int_equal(media_srtp_unprotect(s, buf, &len), EBADMSG);
	buf[0] = 0x00; /* version 0 */
	len = 40;
	assert_int_equal(media_srtp_unprotect(s, buf, &len), EBADMSG);
	media_srtp_free(s);
}

static void test_sdes_inline(void **state)
{
	/* RFC 4568 §6.1's example key, without and with lifetime / MKI. */
	static const char *b64 = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
	struct vec want = hex_vec("3d2d6e40255e7821426a75667239293f2c2335685c"
				  "603d265d7b71695051");
	enum media_srtp_profile cm = MEDIA_SRTP_AES128_CM_SHA1_80;
	struct media_srtp_key k;
	g_autofree char *plain = g_strconcat("inline:", b64, NULL);
	g_autofree char *life = g_strconcat(plain, "|2^20", NULL);
	g_autofree char *mki = g_strconcat(plain, "|2^20|1:32", NULL);
	g_autofree char *formatted = NULL;
	static const char *bad[] = {
		"inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB",   /* short */
		"inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBRA", /* long */
		"inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxa BR", /* space */
		"inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxa*BR", /* char */
		"inlin:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
		"inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|",
		"inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^x",
		"inline:", "",
	};

	assert_int_equal(media_srtp_inline_parse(plain, strlen(plain), cm, &k),
			 0);
	assert_int_equal(k.profile, cm);
	assert_int_equal(k.len, 30);
	assert_memory_equal(k.master, want.data, 30);
	assert_int_equal(media_srtp_inline_parse(life, strlen(life), cm, &k),
			 0);
	assert_memory_equal(k.master, want.data, 30);
	assert_int_equal(media_srtp_inline_parse(mki, strlen(mki), cm, &k),
			 ENOTSUP);
	/* 30 bytes is not a GCM key (28). */
	assert_int_equal(media_srtp_inline_parse(plain, strlen(plain),
						 MEDIA_SRTP_AEAD_AES_128_GCM,
						 &k),
			 EINVAL);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_int_equal(media_srtp_inline_parse(bad[i], strlen(bad[i]),
							 cm, &k),
				 EINVAL);
	/* Bounded: a prefix of the valid text is not read past its length. */
	assert_int_equal(media_srtp_inline_parse(plain, strlen(plain) - 1, cm,
						 &k),
			 EINVAL);

	assert_int_equal(media_srtp_inline_parse(plain, strlen(plain), cm, &k),
			 0);
	formatted = media_srtp_inline_format(&k);
	assert_string_equal(formatted, plain);

	/* A GCM key formats with padding and parses back. */
	struct media_srtp_key g, g2;
	assert_int_equal(media_srtp_key_random(&g, MEDIA_SRTP_AEAD_AES_128_GCM),
			 0);
	g_autofree char *gtext = media_srtp_inline_format(&g);
	assert_int_equal(strlen(gtext), strlen("inline:") + 40);
	assert_int_equal(media_srtp_inline_parse(gtext, strlen(gtext),
						 MEDIA_SRTP_AEAD_AES_128_GCM,
						 &g2),
			 0);
	assert_memory_equal(g.master, g2.master, 28);

	assert_int_equal(media_srtp_profile_from_name("AES_CM_128_HMAC_SHA1_80",
						      23),
			 cm);
	assert_int_equal(media_srtp_profile_from_name("AES_CM_128_HMAC_SHA1_32",
						      23),
			 MEDIA_SRTP_NONE);
	vec_free(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libsrtp_validate_rtp),
		cmocka_unit_test(test_libsrtp_validate_rtcp),
		cmocka_unit_test(test_rfc7714_vectors_agree),
		cmocka_unit_test(test_reference_matches_rfcs),
		cmocka_unit_test(test_gcm_against_reference),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_sdes_inline),
	};

	return cmocka_run_group_tests(tests, setup_vectors, teardown_vectors);
}
