/*
 * media/srtp_crypto.c - OpenSSL (EVP) backends for libsrtp2's AES-CM-128,
 * AES-GCM-128 and HMAC-SHA1 cipher and auth types.
 */
#include "srtp_crypto.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

/* libsrtp's key lengths: key || salt, as its policies pass them. */
#define ICM_KEY_LEN 16
#define ICM_SALT_LEN 14
#define GCM_KEY_LEN 16
#define GCM_SALT_LEN 12
#define GCM_TAG_MAX 16
#define HMAC_SHA1_LEN 20

/* Fetched once: an implicit fetch per key set-up would take a lock. */
static struct {
	pthread_once_t once;
	EVP_CIPHER *ctr;
	EVP_CIPHER *gcm;
	EVP_MAC *hmac;
} algs = {.once = PTHREAD_ONCE_INIT};

static atomic_uint live;

static void algs_fetch(void)
{
	algs.ctr = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
	algs.gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	algs.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static bool algs_ready(void)
{
	pthread_once(&algs.once, algs_fetch);
	return algs.ctr && algs.gcm && algs.hmac;
}

/*
 * Every cipher state starts with the libsrtp handle and one OpenSSL
 * context, keyed once; the rest is the cipher's own.
 */
struct cipher_head {
	srtp_cipher_t c;
	EVP_CIPHER_CTX *ctx;
};

static srtp_err_status_t cipher_new(size_t size, const srtp_cipher_type_t *type,
				    int key_len, int algorithm,
				    struct cipher_head **out)
{
	struct cipher_head *h = calloc(1, size);

	if (!h)
		return srtp_err_status_alloc_fail;
	h->ctx = EVP_CIPHER_CTX_new();
	if (!h->ctx) {
		free(h);
		return srtp_err_status_alloc_fail;
	}
	h->c.type = type;
	h->c.state = h;
	h->c.key_len = key_len;
	h->c.algorithm = algorithm;
	atomic_fetch_add(&live, 1);
	*out = h;
	return srtp_err_status_ok;
}

static srtp_err_status_t cipher_free(srtp_cipher_t *c, size_t size)
{
	struct cipher_head *h = c->state;

	EVP_CIPHER_CTX_free(h->ctx);
	OPENSSL_cleanse(h, size);
	free(h);
	atomic_fetch_sub(&live, 1);
	return srtp_err_status_ok;
}

/* ---- AES-CM-128 (RFC 3711 §4.1.1) as AES-128-CTR ---- */

struct icm {
	struct cipher_head h; /* first: cipher_new() and cipher_free() */
	uint8_t offset[16]; /* salt, low 16 bits zero for the block counter */
};

static const srtp_cipher_type_t icm_type;

static srtp_err_status_t icm_dealloc(srtp_cipher_t *c)
{
	return cipher_free(c, sizeof(struct icm));
}

static srtp_err_status_t icm_alloc(srtp_cipher_t **out, int key_len,
				   int tag_len)
{
	struct cipher_head *head = NULL;
	struct icm *s;
	srtp_err_status_t rc;

	(void)tag_len;
	if (key_len != ICM_KEY_LEN + ICM_SALT_LEN || !algs_ready())
		return srtp_err_status_bad_param;
	rc = cipher_new(sizeof(*s), &icm_type, key_len, SRTP_AES_ICM_128,
			&head);
	if (rc == srtp_err_status_ok)
		*out = &head->c;
	return rc;
}

static srtp_err_status_t icm_init(void *state, const uint8_t *key)
{
	struct icm *s = state;

	memset(s->offset, 0, sizeof(s->offset));
	memcpy(s->offset, key + ICM_KEY_LEN, ICM_SALT_LEN);
	if (EVP_EncryptInit_ex(s->h.ctx, algs.ctr, NULL, key, NULL) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

/* Per packet: only the counter block changes, the key schedule stays. */
static srtp_err_status_t icm_set_iv(void *state, uint8_t *iv,
				    srtp_cipher_direction_t dir)
{
	struct icm *s = state;
	uint8_t counter[16];

	(void)dir;
	for (size_t i = 0; i < sizeof(counter); i++)
		counter[i] = s->offset[i] ^ iv[i];
	if (EVP_EncryptInit_ex(s->h.ctx, NULL, NULL, NULL, counter) != 1)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* Keystream XOR in place; the same for both directions. */
static srtp_err_status_t icm_crypt(void *state, uint8_t *buf,
				   unsigned int *len)
{
	struct icm *s = state;
	int n = 0;

	if (*len > INT_MAX)
		return srtp_err_status_bad_param;
	if (EVP_EncryptUpdate(s->h.ctx, buf, &n, buf, (int)*len) != 1)
		return srtp_err_status_cipher_fail;
	*len = (unsigned int)n;
	return srtp_err_status_ok;
}

/* RFC 3711 B.2: the first 32 octets of keystream. */
static const uint8_t icm_key[30] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7,
	0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c, 0xf0, 0xf1, 0xf2, 0xf3,
	0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static uint8_t icm_iv[16];
static const uint8_t icm_plain[32];
static const uint8_t icm_cipher[32] = {
	0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1,
	0x6d, 0xd9, 0x2b, 0x4e, 0xb4, 0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02,
	0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
};
static const srtp_cipher_test_case_t icm_test = {
	.key_length_octets = sizeof(icm_key),
	.key = icm_key,
	.idx = icm_iv,
	.plaintext_length_octets = sizeof(icm_plain),
	.plaintext = icm_plain,
	.ciphertext_length_octets = sizeof(icm_cipher),
	.ciphertext = icm_cipher,
};

static const srtp_cipher_type_t icm_type = {
	.alloc = icm_alloc,
	.dealloc = icm_dealloc,
	.init = icm_init,
	.encrypt = icm_crypt,
	.decrypt = icm_crypt,
	.set_iv = icm_set_iv,
	.description = "AES-128 counter mode (OpenSSL EVP)",
	.test_data = &icm_test,
	.id = SRTP_AES_ICM_128,
};

/* ---- AEAD_AES_128_GCM (RFC 7714) ---- */

struct gcm {
	struct cipher_head h; /* first: cipher_new() and cipher_free() */
	int tag_len;
	srtp_cipher_direction_t dir;
};

static const srtp_cipher_type_t gcm_type;

static srtp_err_status_t gcm_dealloc(srtp_cipher_t *c)
{
	return cipher_free(c, sizeof(struct gcm));
}

static srtp_err_status_t gcm_alloc(srtp_cipher_t **out, int key_len,
				   int tag_len)
{
	struct cipher_head *head = NULL;
	struct gcm *s;
	srtp_err_status_t rc;

	if (key_len != GCM_KEY_LEN + GCM_SALT_LEN ||
	    (tag_len != 8 && tag_len != GCM_TAG_MAX) || !algs_ready())
		return srtp_err_status_bad_param;
	rc = cipher_new(sizeof(*s), &gcm_type, key_len, SRTP_AES_GCM_128,
			&head);
	if (rc != srtp_err_status_ok)
		return rc;
	s = (struct gcm *)head;
	s->tag_len = tag_len;
	*out = &head->c;
	return rc;
}

/* The salt is libsrtp's business: it folds it into each packet's IV. */
static srtp_err_status_t gcm_init(void *state, const uint8_t *key)
{
	struct gcm *s = state;

	s->dir = srtp_direction_any;
	if (EVP_CipherInit_ex(s->h.ctx, algs.gcm, NULL, key, NULL, 1) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_set_iv(void *state, uint8_t *iv,
				    srtp_cipher_direction_t dir)
{
	struct gcm *s = state;

	if (dir != srtp_direction_encrypt && dir != srtp_direction_decrypt)
		return srtp_err_status_bad_param;
	s->dir = dir;
	/* The default GCM IV length is RFC 7714's 12 octets. */
	if (EVP_CipherInit_ex(s->h.ctx, NULL, NULL, NULL, iv,
			      dir == srtp_direction_encrypt) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

/* Called once or twice (SRTCP: header, then E bit and index). */
static srtp_err_status_t gcm_set_aad(void *state, const uint8_t *aad,
				     uint32_t len)
{
	struct gcm *s = state;
	int n;

	if (len > INT_MAX ||
	    EVP_CipherUpdate(s->h.ctx, NULL, &n, aad, (int)len) != 1)
		return srtp_err_status_algo_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_encrypt(void *state, uint8_t *buf,
				     unsigned int *len)
{
	struct gcm *s = state;
	int n = 0;

	if (s->dir != srtp_direction_encrypt || *len > INT_MAX)
		return srtp_err_status_bad_param;
	if (EVP_CipherUpdate(s->h.ctx, buf, &n, buf, (int)*len) != 1)
		return srtp_err_status_algo_fail;
	*len = (unsigned int)n;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_get_tag(void *state, uint8_t *tag,
				     uint32_t *len)
{
	struct gcm *s = state;
	uint8_t none[GCM_TAG_MAX];
	int n = 0;

	if (s->dir != srtp_direction_encrypt)
		return srtp_err_status_bad_param;
	if (EVP_CipherFinal_ex(s->h.ctx, none, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(s->h.ctx, EVP_CTRL_GCM_GET_TAG, s->tag_len,
				tag) != 1)
		return srtp_err_status_algo_fail;
	*len = (uint32_t)s->tag_len;
	return srtp_err_status_ok;
}

/* @buf holds ciphertext || tag; *len shrinks by the tag when it verifies. */
static srtp_err_status_t gcm_decrypt(void *state, uint8_t *buf,
				     unsigned int *len)
{
	struct gcm *s = state;
	uint8_t none[GCM_TAG_MAX];
	unsigned int body;
	int n = 0;

	if (s->dir != srtp_direction_decrypt || *len > INT_MAX ||
	    *len < (unsigned int)s->tag_len)
		return srtp_err_status_bad_param;
	body = *len - (unsigned int)s->tag_len;
	if (EVP_CIPHER_CTX_ctrl(s->h.ctx, EVP_CTRL_GCM_SET_TAG, s->tag_len,
				buf + body) != 1 ||
	    EVP_CipherUpdate(s->h.ctx, buf, &n, buf, (int)body) != 1)
		return srtp_err_status_algo_fail;
	if (EVP_CipherFinal_ex(s->h.ctx, none, &n) != 1)
		return srtp_err_status_auth_fail;
	*len = body;
	return srtp_err_status_ok;
}

/* The GCM specification's test case 4 (AES-128, 60 octets, 20 of AAD). */
static const uint8_t gcm_key[28] = {
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a,
	0x8f, 0x94, 0x67, 0x30, 0x83, 0x08, 0xca, 0xfe, 0xba, 0xbe,
	0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88,
};
static uint8_t gcm_iv[12] = {
	0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88,
};
static const uint8_t gcm_aad[20] = {
	0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed,
	0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2,
};
static const uint8_t gcm_plain[60] = {
	0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5,
	0xaf, 0xf5, 0x26, 0x9a, 0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda,
	0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72, 0x1c, 0x3c, 0x0c, 0x95,
	0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
	0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39,
};
static const uint8_t gcm_cipher[76] = {
	0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24, 0x4b, 0x72, 0x21, 0xb7,
	0x84, 0xd0, 0xd4, 0x9c, 0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0,
	0x35, 0xc1, 0x7e, 0x23, 0x29, 0xac, 0xa1, 0x2e, 0x21, 0xd5, 0x14, 0xb2,
	0x54, 0x66, 0x93, 0x1c, 0x7d, 0x8f, 0x6a, 0x5a, 0xac, 0x84, 0xaa, 0x05,
	0x1b, 0xa3, 0x0b, 0x39, 0x6a, 0x0a, 0xac, 0x97, 0x3d, 0x58, 0xe0, 0x91,
	/* tag */
	0x5b, 0xc9, 0x4f, 0xbc, 0x32, 0x21, 0xa5, 0xdb, 0x94, 0xfa, 0xe9, 0x5a,
	0xe7, 0x12, 0x1a, 0x47,
};
/* The same with the tag truncated to 8 octets. */
static const srtp_cipher_test_case_t gcm_test_8 = {
	.key_length_octets = sizeof(gcm_key),
	.key = gcm_key,
	.idx = gcm_iv,
	.plaintext_length_octets = sizeof(gcm_plain),
	.plaintext = gcm_plain,
	.ciphertext_length_octets = sizeof(gcm_plain) + 8,
	.ciphertext = gcm_cipher,
	.aad_length_octets = sizeof(gcm_aad),
	.aad = gcm_aad,
	.tag_length_octets = 8,
};
static const srtp_cipher_test_case_t gcm_test = {
	.key_length_octets = sizeof(gcm_key),
	.key = gcm_key,
	.idx = gcm_iv,
	.plaintext_length_octets = sizeof(gcm_plain),
	.plaintext = gcm_plain,
	.ciphertext_length_octets = sizeof(gcm_cipher),
	.ciphertext = gcm_cipher,
	.aad_length_octets = sizeof(gcm_aad),
	.aad = gcm_aad,
	.tag_length_octets = GCM_TAG_MAX,
	.next_test_case = &gcm_test_8,
};

static const srtp_cipher_type_t gcm_type = {
	.alloc = gcm_alloc,
	.dealloc = gcm_dealloc,
	.init = gcm_init,
	.set_aad = gcm_set_aad,
	.encrypt = gcm_encrypt,
	.decrypt = gcm_decrypt,
	.set_iv = gcm_set_iv,
	.get_tag = gcm_get_tag,
	.description = "AES-128 GCM (OpenSSL EVP)",
	.test_data = &gcm_test,
	.id = SRTP_AES_GCM_128,
};

/* ---- HMAC-SHA1 (RFC 2104), tag truncated by libsrtp's out_len ---- */

struct hmac {
	srtp_auth_t a;
	EVP_MAC_CTX *ctx;
};

static const srtp_auth_type_t hmac_type;

static srtp_err_status_t hmac_dealloc(srtp_auth_t *a)
{
	struct hmac *s = a->state;

	EVP_MAC_CTX_free(s->ctx);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
	atomic_fetch_sub(&live, 1);
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_alloc(srtp_auth_t **out, int key_len,
				    int out_len)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0),
		OSSL_PARAM_END,
	};
	struct hmac *s;

	if (key_len < 1 || key_len > HMAC_SHA1_LEN || out_len < 0 ||
	    out_len > HMAC_SHA1_LEN || !algs_ready())
		return srtp_err_status_bad_param;
	s = calloc(1, sizeof(*s));
	if (!s)
		return srtp_err_status_alloc_fail;
	s->ctx = EVP_MAC_CTX_new(algs.hmac);
	if (!s->ctx || EVP_MAC_CTX_set_params(s->ctx, params) != 1) {
		EVP_MAC_CTX_free(s->ctx);
		free(s);
		return srtp_err_status_alloc_fail;
	}
	s->a.type = &hmac_type;
	s->a.state = s;
	s->a.out_len = out_len;
	s->a.key_len = key_len;
	atomic_fetch_add(&live, 1);
	*out = &s->a;
	return srtp_err_status_ok;
}

/*
 * Keyed once: OpenSSL keeps the inner and outer SHA-1 states of the padded
 * key and copies them at each start, so no packet hashes the key again.
 */
static srtp_err_status_t hmac_init(void *state, const uint8_t *key,
				   int key_len)
{
	struct hmac *s = state;

	if (key_len < 1 ||
	    EVP_MAC_init(s->ctx, key, (size_t)key_len, NULL) != 1)
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_start(void *state)
{
	struct hmac *s = state;

	if (EVP_MAC_init(s->ctx, NULL, 0, NULL) != 1)
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *state, const uint8_t *buf,
				     int len)
{
	struct hmac *s = state;

	if (len < 0 || EVP_MAC_update(s->ctx, buf, (size_t)len) != 1)
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_compute(void *state, const uint8_t *buf,
				      int len, int tag_len, uint8_t *tag)
{
	struct hmac *s = state;
	uint8_t md[HMAC_SHA1_LEN];
	size_t n = 0;

	if (tag_len < 0 || tag_len > HMAC_SHA1_LEN ||
	    hmac_update(state, buf, len) != srtp_err_status_ok ||
	    EVP_MAC_final(s->ctx, md, &n, sizeof(md)) != 1 ||
	    n != sizeof(md))
		return srtp_err_status_auth_fail;
	memcpy(tag, md, (size_t)tag_len);
	return srtp_err_status_ok;
}

/* RFC 2202 §3, test cases 1 and 2. */
static const uint8_t hmac_key_1[20] = {
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};
static const uint8_t hmac_tag_1[20] = {
	0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
	0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
};
static const uint8_t hmac_tag_2[20] = {
	0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
	0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
};
static const srtp_auth_test_case_t hmac_test_2 = {
	.key_length_octets = 4,
	.key = (const uint8_t *)"Jefe",
	.data_length_octets = 28,
	.data = (const uint8_t *)"what do ya want for nothing?",
	.tag_length_octets = sizeof(hmac_tag_2),
	.tag = hmac_tag_2,
};
static const srtp_auth_test_case_t hmac_test = {
	.key_length_octets = sizeof(hmac_key_1),
	.key = hmac_key_1,
	.data_length_octets = 8,
	.data = (const uint8_t *)"Hi There",
	.tag_length_octets = sizeof(hmac_tag_1),
	.tag = hmac_tag_1,
	.next_test_case = &hmac_test_2,
};

static const srtp_auth_type_t hmac_type = {
	.alloc = hmac_alloc,
	.dealloc = hmac_dealloc,
	.init = hmac_init,
	.compute = hmac_compute,
	.update = hmac_update,
	.start = hmac_start,
	.description = "HMAC-SHA1 (OpenSSL EVP_MAC)",
	.test_data = &hmac_test,
	.id = SRTP_HMAC_SHA1,
};

/* ---- installation ---- */

int media_srtp_crypto_install(void)
{
	int rc = 0;

	if (!algs_ready())
		return EIO;
	/* Each runs our vectors, then the replaced type's, against ours. */
	if (srtp_replace_cipher_type(&icm_type, SRTP_AES_ICM_128) !=
	    srtp_err_status_ok)
		rc = EIO;
	if (srtp_replace_cipher_type(&gcm_type, SRTP_AES_GCM_128) !=
	    srtp_err_status_ok)
		rc = EIO;
	if (srtp_replace_auth_type(&hmac_type, SRTP_HMAC_SHA1) !=
	    srtp_err_status_ok)
		rc = EIO;
	return rc;
}

const srtp_cipher_type_t *media_srtp_crypto_cipher_type(
	srtp_cipher_type_id_t id)
{
	switch (id) {
	case SRTP_AES_ICM_128:
		return &icm_type;
	case SRTP_AES_GCM_128:
		return &gcm_type;
	default:
		return NULL;
	}
}

const srtp_auth_type_t *media_srtp_crypto_auth_type(void)
{
	return &hmac_type;
}

unsigned media_srtp_crypto_live(void)
{
	return atomic_load(&live);
}
