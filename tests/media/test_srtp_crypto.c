/*
 * tests/media/test_srtp_crypto.c - the OpenSSL cipher and auth types for
 * libsrtp2: libsrtp's self-tests, byte equality with libsrtp's built-in
 * (NSS) types on random keys and packets, and sessions that use them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <openssl/rand.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "media/srtp.h"
#include "media/srtp_crypto.h"

/*
 * libsrtp's own types. Not in its installed headers, but exported by the
 * library; the only way to compare ours with the ones they replace.
 */
extern const srtp_cipher_type_t srtp_aes_icm_128;
extern const srtp_cipher_type_t srtp_aes_gcm_128;
extern const srtp_auth_type_t srtp_hmac;

#define ROUNDS 200
#define MAX_PACKET 1500

static int setup(void **state)
{
	struct media_srtp_key k;
	struct media_srtp *s = NULL;

	(void)state;
	/* Installs our types once, as Ovoz does on its first session. */
	if (media_srtp_key_random(&k, MEDIA_SRTP_AES128_CM_SHA1_80) != 0 ||
	    media_srtp_new(&s, &k, &k, 0) != 0)
		return -1;
	media_srtp_free(s);
	return 0;
}

static unsigned rand_below(unsigned n)
{
	uint32_t r;

	assert_int_equal(RAND_bytes((uint8_t *)&r, sizeof(r)), 1);
	return r % n;
}

static void rand_fill(uint8_t *buf, size_t len)
{
	if (len)
		assert_int_equal(RAND_bytes(buf, (int)len), 1);
}

static void test_self_tests(void **state)
{
	const srtp_cipher_type_t *icm =
		media_srtp_crypto_cipher_type(SRTP_AES_ICM_128);
	const srtp_cipher_type_t *gcm =
		media_srtp_crypto_cipher_type(SRTP_AES_GCM_128);
	const srtp_auth_type_t *hmac = media_srtp_crypto_auth_type();

	(void)state;
	assert_non_null(icm);
	assert_non_null(gcm);
	assert_null(media_srtp_crypto_cipher_type(SRTP_AES_ICM_256));
	/* Our vectors (RFC 3711 B.2, GCM test case 4, RFC 2202)... */
	assert_int_equal(srtp_cipher_type_self_test(icm), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_type_self_test(gcm), srtp_err_status_ok);
	assert_int_equal(srtp_auth_type_self_test(hmac), srtp_err_status_ok);
	/* ...and libsrtp's own for the types they replace. */
	assert_int_equal(srtp_cipher_type_test(icm, srtp_aes_icm_128.test_data),
			 srtp_err_status_ok);
	assert_int_equal(srtp_cipher_type_test(gcm, srtp_aes_gcm_128.test_data),
			 srtp_err_status_ok);
	assert_int_equal(srtp_auth_type_test(hmac, srtp_hmac.test_data),
			 srtp_err_status_ok);
}

/* A vector with one wrong octet is refused: the self-tests can fail. */
static void test_wrong_vectors_fail(void **state)
{
	srtp_cipher_test_case_t c = *srtp_aes_icm_128.test_data;
	srtp_auth_test_case_t a = *srtp_hmac.test_data;
	uint8_t ct[64], tag[20];

	(void)state;
	assert_true(c.ciphertext_length_octets <= sizeof(ct));
	memcpy(ct, c.ciphertext, c.ciphertext_length_octets);
	ct[5] ^= 1;
	c.ciphertext = ct;
	c.next_test_case = NULL;
	assert_int_not_equal(
		srtp_cipher_type_test(
			media_srtp_crypto_cipher_type(SRTP_AES_ICM_128), &c),
		srtp_err_status_ok);

	assert_true((size_t)a.tag_length_octets <= sizeof(tag));
	memcpy(tag, a.tag, (size_t)a.tag_length_octets);
	tag[0] ^= 0x80;
	a.tag = tag;
	a.next_test_case = NULL;
	assert_int_not_equal(
		srtp_auth_type_test(media_srtp_crypto_auth_type(), &a),
		srtp_err_status_ok);
}

static srtp_cipher_t *cipher(const srtp_cipher_type_t *t, const uint8_t *key,
			     int key_len, int tag_len)
{
	srtp_cipher_t *c = NULL;

	assert_int_equal(srtp_cipher_type_alloc(t, &c, key_len, tag_len),
			 srtp_err_status_ok);
	assert_int_equal(srtp_cipher_init(c, key), srtp_err_status_ok);
	return c;
}

/* AES-CM: the same keystream as libsrtp's, as SRTP uses it (the IV's
 * low 16 bits are the block counter, zero at the start of a packet). */
static void test_icm_matches_libsrtp(void **state)
{
	(void)state;
	for (int r = 0; r < ROUNDS; r++) {
		uint8_t key[30], iv[16], a[MAX_PACKET], b[MAX_PACKET];
		uint32_t len = rand_below(MAX_PACKET + 1), la = len, lb = len;
		srtp_cipher_t *ours, *theirs;

		rand_fill(key, sizeof(key));
		rand_fill(iv, sizeof(iv));
		iv[14] = iv[15] = 0;
		rand_fill(a, len);
		memcpy(b, a, len);
		ours = cipher(media_srtp_crypto_cipher_type(SRTP_AES_ICM_128),
			      key, 30, 0);
		theirs = cipher(&srtp_aes_icm_128, key, 30, 0);
		assert_int_equal(srtp_cipher_set_iv(ours, iv, 0), 0);
		assert_int_equal(srtp_cipher_set_iv(theirs, iv, 0), 0);
		assert_int_equal(srtp_cipher_encrypt(ours, a, &la), 0);
		assert_int_equal(srtp_cipher_encrypt(theirs, b, &lb), 0);
		assert_int_equal(la, len);
		assert_int_equal(lb, len);
		assert_memory_equal(a, b, len);
		srtp_cipher_dealloc(ours);
		srtp_cipher_dealloc(theirs);
	}
}

static void gcm_seal(srtp_cipher_t *c, uint8_t *iv, const uint8_t *aad,
		     uint32_t aad_len, uint8_t *buf, uint32_t *len)
{
	uint32_t tag_len = 0;

	assert_int_equal(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), 0);
	assert_int_equal(srtp_cipher_set_aad(c, aad, aad_len), 0);
	assert_int_equal(srtp_cipher_encrypt(c, buf, len), 0);
	assert_int_equal(srtp_cipher_get_tag(c, buf + *len, &tag_len), 0);
	*len += tag_len;
}

static int gcm_open(srtp_cipher_t *c, uint8_t *iv, const uint8_t *aad,
		    uint32_t aad_len, uint8_t *buf, uint32_t *len)
{
	assert_int_equal(srtp_cipher_set_iv(c, iv, srtp_direction_decrypt), 0);
	assert_int_equal(srtp_cipher_set_aad(c, aad, aad_len), 0);
	return srtp_cipher_decrypt(c, buf, len);
}

/* AES-GCM, 16- and 8-octet tags: the same ciphertext and tag as
 * libsrtp's; ours opens theirs; a flipped bit fails authentication. */
static void test_gcm_matches_libsrtp(void **state)
{
	(void)state;
	for (int r = 0; r < ROUNDS; r++) {
		uint8_t key[28], iv[16], aad[64], a[MAX_PACKET + 16],
			b[MAX_PACKET + 16], plain[MAX_PACKET];
		int tag = r % 2 ? 8 : 16;
		uint32_t len = rand_below(MAX_PACKET + 1), la = len, lb = len;
		uint32_t aad_len = 12 + rand_below(sizeof(aad) - 11);
		srtp_cipher_t *ours, *theirs;

		rand_fill(key, sizeof(key));
		rand_fill(iv, sizeof(iv));
		rand_fill(aad, aad_len);
		rand_fill(plain, len);
		memcpy(a, plain, len);
		memcpy(b, plain, len);
		ours = cipher(media_srtp_crypto_cipher_type(SRTP_AES_GCM_128),
			      key, 28, tag);
		theirs = cipher(&srtp_aes_gcm_128, key, 28, tag);
		gcm_seal(ours, iv, aad, aad_len, a, &la);
		gcm_seal(theirs, iv, aad, aad_len, b, &lb);
		assert_int_equal(la, len + (uint32_t)tag);
		assert_int_equal(lb, la);
		assert_memory_equal(a, b, la);

		assert_int_equal(gcm_open(ours, iv, aad, aad_len, b, &lb), 0);
		assert_int_equal(lb, len);
		assert_memory_equal(b, plain, len);
		a[rand_below(la)] ^= (uint8_t)(1u << rand_below(8));
		assert_int_equal(gcm_open(ours, iv, aad, aad_len, a, &la),
				 srtp_err_status_auth_fail);
		srtp_cipher_dealloc(ours);
		srtp_cipher_dealloc(theirs);
	}
}

/* What srtp_protect() does: start, the packet, then the ROC and tag. */
static void mac(srtp_auth_t *a, const uint8_t *pkt, int len,
		const uint8_t roc[4], uint8_t *tag)
{
	assert_int_equal(a->type->start(a->state), 0);
	assert_int_equal(a->type->update(a->state, pkt, len), 0);
	assert_int_equal(a->type->compute(a->state, roc, 4, a->out_len, tag),
			 0);
}

static srtp_auth_t *auth(const srtp_auth_type_t *t, const uint8_t *key,
			 int out_len)
{
	srtp_auth_t *a = NULL;

	assert_int_equal(t->alloc(&a, 20, out_len), srtp_err_status_ok);
	assert_int_equal(a->type->init(a->state, key, 20), srtp_err_status_ok);
	return a;
}

/* HMAC-SHA1: the same tags as libsrtp's, 80 and 32 bits, key reused
 * across packets as a session does. */
static void test_hmac_matches_libsrtp(void **state)
{
	(void)state;
	for (int r = 0; r < ROUNDS / 10; r++) {
		uint8_t key[20];
		int out_len = r % 2 ? 4 : 10;
		srtp_auth_t *ours, *theirs;

		rand_fill(key, sizeof(key));
		ours = auth(media_srtp_crypto_auth_type(), key, out_len);
		theirs = auth(&srtp_hmac, key, out_len);
		for (int p = 0; p < 10; p++) {
			uint8_t pkt[MAX_PACKET], roc[4], ta[20], tb[20];
			int len = (int)rand_below(MAX_PACKET + 1);

			rand_fill(pkt, (size_t)len);
			rand_fill(roc, sizeof(roc));
			mac(ours, pkt, len, roc, ta);
			mac(theirs, pkt, len, roc, tb);
			assert_memory_equal(ta, tb, (size_t)out_len);
		}
		ours->type->dealloc(ours);
		theirs->type->dealloc(theirs);
	}
}

/* Sessions get our types (libsrtp allocates them), and free them all. */
static void test_sessions_use_openssl(void **state)
{
	static const enum media_srtp_profile profiles[] = {
		MEDIA_SRTP_AES128_CM_SHA1_80,
		MEDIA_SRTP_AEAD_AES_128_GCM,
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(profiles); i++) {
		unsigned before = media_srtp_crypto_live();
		struct media_srtp_key k;
		struct media_srtp *tx = NULL, *rx = NULL;
		uint8_t pkt[12 + 160 + MEDIA_SRTP_TRAILER_MAX] = {0x80, 0};
		uint8_t want[12 + 160];
		size_t len = 12 + 160;

		assert_int_equal(media_srtp_key_random(&k, profiles[i]), 0);
		assert_int_equal(media_srtp_new(&tx, &k, &k, 0), 0);
		assert_int_equal(media_srtp_new(&rx, &k, &k, 0), 0);
		/* RTP and RTCP ciphers (and HMACs for AES-CM), both ways. */
		assert_int_equal(media_srtp_crypto_live() - before,
				 i == 0 ? 16 : 8);
		rand_fill(pkt + 12, 160);
		memcpy(want, pkt, sizeof(want));
		assert_int_equal(media_srtp_protect(tx, pkt, &len, sizeof(pkt)),
				 0);
		assert_memory_not_equal(pkt + 12, want + 12, 160);
		assert_int_equal(media_srtp_unprotect(rx, pkt, &len), 0);
		assert_int_equal(len, sizeof(want));
		assert_memory_equal(pkt, want, sizeof(want));
		media_srtp_free(tx);
		media_srtp_free(rx);
		assert_int_equal(media_srtp_crypto_live(), before);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_tests),
		cmocka_unit_test(test_wrong_vectors_fail),
		cmocka_unit_test(test_icm_matches_libsrtp),
		cmocka_unit_test(test_gcm_matches_libsrtp),
		cmocka_unit_test(test_hmac_matches_libsrtp),
		cmocka_unit_test(test_sessions_use_openssl),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
