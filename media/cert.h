/*
 * media/cert.h - the DTLS identity: one ECDSA P-256 self-signed certificate
 * and key made at start, its SDP fingerprint, and the DTLS 1.2 SSL_CTX every
 * media_dtls endpoint is made from.
 *
 * Peers are authenticated by the certificate fingerprint carried in SDP
 * (RFC 8122), not by a CA: the verify callback accepts self-signed
 * certificates and media_dtls compares fingerprints after the handshake.
 *
 * Threading: made on one thread, then shared read-only by every worker
 * (SSL_new() on a configured SSL_CTX is thread-safe). The reference count
 * is atomic.
 */
#ifndef OVOZ_MEDIA_CERT_H
#define OVOZ_MEDIA_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

/* Longest fingerprint text: "sha-512 " + 64 hex pairs with colons + NUL. */
#define MEDIA_CERT_FINGERPRINT_MAX 200
/* Longest digest a fingerprint carries (SHA-512). */
#define MEDIA_CERT_DIGEST_MAX 64

struct media_cert;

/**
 * media_cert_new() - make a fresh key pair, a self-signed certificate valid
 * from yesterday for 30 days, and the SSL_CTX. *out gets a new reference
 * on success; on failure *err (may be NULL) gets a newly allocated reason.
 */
int media_cert_new(struct media_cert **out, char **err);
/** A new reference to @c. Any thread. */
struct media_cert *media_cert_ref(struct media_cert *c);
/** Drop a reference; the last one frees the key, certificate and SSL_CTX. */
void media_cert_unref(struct media_cert *c);

/** The SDP fingerprint, "sha-256 AB:CD:...", borrowed for @c's lifetime. */
const char *media_cert_fingerprint(const struct media_cert *c);
/** The configured DTLS context, borrowed: SSL_new() only, never modify. */
SSL_CTX *media_cert_ssl_ctx(const struct media_cert *c);

/**
 * media_cert_fingerprint_parse() - parse an SDP fingerprint value
 * ("sha-256 AB:CD:..", hash name case-insensitive, RFC 8122) into its hash
 * name ("sha-256", static string) and raw digest. Pure. Returns 0, or
 * EINVAL for malformed text, ENOTSUP for an unknown hash function.
 */
int media_cert_fingerprint_parse(const char *text, size_t len,
				 const char **hash,
				 uint8_t digest[MEDIA_CERT_DIGEST_MAX],
				 size_t *digest_len);
/**
 * media_cert_fingerprint_of() - the digest of @x509 with the hash function
 * named @hash (as returned by media_cert_fingerprint_parse()); and, if @text
 * is not NULL, its SDP form. Returns 0, ENOTSUP or EIO.
 */
int media_cert_fingerprint_of(X509 *x509, const char *hash,
			      uint8_t digest[MEDIA_CERT_DIGEST_MAX],
			      size_t *digest_len,
			      char text[MEDIA_CERT_FINGERPRINT_MAX]);

#endif
