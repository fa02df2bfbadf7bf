/*
 * media/srtp_crypto.h - libsrtp2's AES-CM-128, AES-GCM-128 and HMAC-SHA1
 * backends on OpenSSL's libcrypto (EVP), installed through libsrtp's own
 * extension API (srtp_replace_cipher_type(), srtp_replace_auth_type()).
 *
 * libsrtp keeps the protocol: key derivation, replay windows, packet
 * formats. Only the block cipher and MAC underneath change. Debian's
 * libsrtp2 does them through NSS's PKCS#11 layer, which costs a context
 * operation per packet and about 64 KiB per session pair; these keep one
 * EVP context per libsrtp cipher or auth instance, keyed once, and only
 * reset the IV (or the HMAC state) per packet.
 *
 * No GLib: the benchmark generator compiles this file on its own.
 */
#ifndef OVOZ_MEDIA_SRTP_CRYPTO_H
#define OVOZ_MEDIA_SRTP_CRYPTO_H

#include <srtp2/auth.h>
#include <srtp2/cipher.h>

/**
 * media_srtp_crypto_install() - replace libsrtp's SRTP_AES_ICM_128,
 * SRTP_AES_GCM_128 and SRTP_HMAC_SHA1 with the OpenSSL ones. Call once,
 * after srtp_init() and before any srtp_create(), from one thread (the
 * crypto kernel is not locked). libsrtp runs each type's self-test and the
 * replaced type's test vectors first; if one fails, that type is left as
 * it was. Returns 0, or EIO if a type was refused (the rest still apply).
 */
int media_srtp_crypto_install(void);

/**
 * media_srtp_crypto_cipher_type() - the OpenSSL cipher type for @id
 * (SRTP_AES_ICM_128 or SRTP_AES_GCM_128), static; NULL for other ids.
 * For tests: srtp_cipher_type_self_test() and srtp_cipher_type_test().
 */
const srtp_cipher_type_t *media_srtp_crypto_cipher_type(
	srtp_cipher_type_id_t id);
/** The OpenSSL SRTP_HMAC_SHA1 type, static. */
const srtp_auth_type_t *media_srtp_crypto_auth_type(void);

/**
 * media_srtp_crypto_live() - cipher and auth instances of these types
 * currently allocated (any thread). Shows that libsrtp sessions use them.
 */
unsigned media_srtp_crypto_live(void);

#endif
