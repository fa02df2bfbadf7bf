/*
 * tests/bench/srtpcrypto.c - time per packet of libsrtp2's built-in AES-CM
 * and HMAC-SHA1 types (NSS on Debian 12) against Ovoz's OpenSSL types
 * (media/srtp_crypto.c), used as libsrtp uses them for one SRTP packet of
 * 12 + 160 octets, and the allocations OpenSSL makes per packet. A
 * measurement, never a test. Build and run:
 *   cc -O2 -I. -o srtpcrypto tests/bench/srtpcrypto.c media/srtp_crypto.c \
 *      -lpthread $(pkg-config --cflags --libs libsrtp2 openssl) && ./srtpcrypto
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "media/srtp_crypto.h"

/* libsrtp's own types: exported by the library, not in its headers. */
extern const srtp_cipher_type_t srtp_aes_icm_128;
extern const srtp_auth_type_t srtp_hmac;

#define ROUNDS 200000

static unsigned long allocs;

static void *count_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	allocs++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	allocs++;
	return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void measure(const char *name, const srtp_cipher_type_t *ct,
		    const srtp_auth_type_t *at)
{
	uint8_t key[30] = {1}, iv[16] = {0}, pkt[172] = {0x80}, tag[20];
	uint8_t roc[4] = {0};
	srtp_cipher_t *c = NULL;
	srtp_auth_t *a = NULL;
	unsigned long a0, a1;
	double t0, t1, t2;

	if (srtp_cipher_type_alloc(ct, &c, 30, 0) || srtp_cipher_init(c, key) ||
	    at->alloc(&a, 20, 10) || a->type->init(a->state, key, 20)) {
		fprintf(stderr, "%s: setup failed\n", name);
		exit(1);
	}
	a0 = allocs;
	t0 = now();
	for (int i = 0; i < ROUNDS; i++) {
		uint32_t len = 160;

		iv[13] = (uint8_t)i;
		srtp_cipher_set_iv(c, iv, srtp_direction_encrypt);
		srtp_cipher_encrypt(c, pkt + 12, &len);
	}
	t1 = now();
	a1 = allocs;
	for (int i = 0; i < ROUNDS; i++) {
		a->type->start(a->state);
		a->type->update(a->state, pkt, sizeof(pkt));
		a->type->compute(a->state, roc, 4, 10, tag);
	}
	t2 = now();
	printf("%-8s AES-CM %5.0f ns/packet (%.1f allocations), "
	       "HMAC-SHA1 %5.0f ns/packet (%.1f allocations)\n",
	       name, (t1 - t0) / ROUNDS * 1e9, (double)(a1 - a0) / ROUNDS,
	       (t2 - t1) / ROUNDS * 1e9, (double)(allocs - a1) / ROUNDS);
	srtp_cipher_dealloc(c);
	a->type->dealloc(a);
}

int main(void)
{
	CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
	if (srtp_init() != srtp_err_status_ok)
		return 1;
	measure("libsrtp", &srtp_aes_icm_128, &srtp_hmac);
	measure("openssl", media_srtp_crypto_cipher_type(SRTP_AES_ICM_128),
		media_srtp_crypto_auth_type());
	return 0;
}
