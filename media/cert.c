/* media/cert.c - the DTLS certificate, its fingerprint and the SSL_CTX. */
#define G_LOG_DOMAIN "ovoz-dtls"

#include "cert.h"

#include <errno.h>
#include <string.h>

#include <glib.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

/*
 * Forward secrecy only, ECDSA first (our own key) and RSA for peers whose
 * certificate is RSA. Chromium, Firefox and Safari all offer
 * ECDHE-ECDSA-AES128-GCM-SHA256.
 */
#define CERT_CIPHERS                                                         \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"        \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"          \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:"            \
	"ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"                        \
	"ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA"
#define CERT_GROUPS "X25519:P-256:P-384"
/* GCM first: it costs less per packet and its tag covers the header. */
#define CERT_SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
#define CERT_DAYS 30

struct media_cert {
	EVP_PKEY *key;
	X509 *x509;
	SSL_CTX *ctx;
	char fingerprint[MEDIA_CERT_FINGERPRINT_MAX];
};

/* RFC 8122 hash names; md5 and md2 are not accepted any more. */
static const struct {
	const char *name;
	const EVP_MD *(*md)(void);
} cert_hashes[] = {
	{"sha-1", EVP_sha1},     {"sha-224", EVP_sha224},
	{"sha-256", EVP_sha256}, {"sha-384", EVP_sha384},
	{"sha-512", EVP_sha512},
};

static void cert_free(struct media_cert *c)
{
	SSL_CTX_free(c->ctx);
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
}

static char *cert_ssl_error(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "unknown error";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return g_strdup_printf("%s: %s", what, buf);
}

/*
 * Verification is by fingerprint (media_dtls compares the peer's
 * certificate with SDP after the handshake): a self-signed or expired
 * certificate is what WebRTC peers send, so the chain is accepted here.
 */
static int cert_verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
	return 1;
}

static int cert_make_x509(struct media_cert *c)
{
	X509_NAME *name;
	ASN1_INTEGER *serial;
	uint8_t rnd[8];

	c->x509 = X509_new();
	if (!c->x509 || !X509_set_version(c->x509, 2) ||
	    RAND_bytes(rnd, sizeof(rnd)) != 1)
		return EIO;
	rnd[0] &= 0x7f; /* a positive serial */
	serial = X509_get_serialNumber(c->x509);
	if (!ASN1_INTEGER_set_uint64(serial, ((uint64_t)rnd[0] << 56) |
					     ((uint64_t)rnd[1] << 48) |
					     ((uint64_t)rnd[2] << 40) |
					     ((uint64_t)rnd[3] << 32) |
					     ((uint64_t)rnd[4] << 24) |
					     ((uint64_t)rnd[5] << 16) |
					     ((uint64_t)rnd[6] << 8) | rnd[7]))
		return EIO;
	/* From yesterday: peers with a clock a little behind still accept. */
	if (!X509_gmtime_adj(X509_getm_notBefore(c->x509), -86400) ||
	    !X509_gmtime_adj(X509_getm_notAfter(c->x509),
			     (long)CERT_DAYS * 86400))
		return EIO;
	name = X509_get_subject_name(c->x509);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)"ovoz", -1, -1,
					0) ||
	    !X509_set_issuer_name(c->x509, name) ||
	    !X509_set_pubkey(c->x509, c->key) ||
	    !X509_sign(c->x509, c->key, EVP_sha256()))
		return EIO;
	return 0;
}

static int cert_make_ctx(struct media_cert *c, char **err)
{
	c->ctx = SSL_CTX_new(DTLS_method());
	if (!c->ctx) {
		*err = cert_ssl_error("SSL_CTX_new");
		return EIO;
	}
	if (!SSL_CTX_set_min_proto_version(c->ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(c->ctx, DTLS1_2_VERSION) ||
	    SSL_CTX_use_certificate(c->ctx, c->x509) != 1 ||
	    SSL_CTX_use_PrivateKey(c->ctx, c->key) != 1 ||
	    SSL_CTX_check_private_key(c->ctx) != 1 ||
	    SSL_CTX_set_cipher_list(c->ctx, CERT_CIPHERS) != 1 ||
	    SSL_CTX_set1_groups_list(c->ctx, CERT_GROUPS) != 1) {
		*err = cert_ssl_error("DTLS context");
		return EIO;
	}
	/* Unlike the other setters, this one returns 0 on success. */
	if (SSL_CTX_set_tlsext_use_srtp(c->ctx, CERT_SRTP_PROFILES) != 0) {
		*err = cert_ssl_error("use_srtp");
		return EIO;
	}
	SSL_CTX_set_verify(c->ctx,
			   SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			   cert_verify_cb);
	/*
	 * ICE already proved the peer's address, so no HelloVerifyRequest
	 * round trip (cookie exchange stays off). Datagrams arrive whole
	 * through media_dtls's BIO, hence read-ahead, and MTU is set per
	 * endpoint rather than queried from a socket.
	 */
	SSL_CTX_set_read_ahead(c->ctx, 1);
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET |
					    SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
	return 0;
}

int media_cert_new(struct media_cert **out, char **err)
{
	struct media_cert *c;
	g_autofree char *why = NULL;
	size_t n;
	uint8_t d[MEDIA_CERT_DIGEST_MAX];

	c = g_atomic_rc_box_new0(struct media_cert);
	c->key = EVP_EC_gen("P-256");
	if (!c->key)
		why = cert_ssl_error("ECDSA P-256 key");
	else if (cert_make_x509(c) != 0)
		why = cert_ssl_error("self-signed certificate");
	else if (cert_make_ctx(c, &why) == 0 &&
		 media_cert_fingerprint_of(c->x509, "sha-256", d, &n,
					   c->fingerprint) != 0)
		why = g_strdup("certificate fingerprint");
	if (why) {
		if (err)
			*err = g_steal_pointer(&why);
		g_atomic_rc_box_release_full(c, (GDestroyNotify)cert_free);
		return EIO;
	}
	*out = c;
	return 0;
}

struct media_cert *media_cert_ref(struct media_cert *c)
{
	return g_atomic_rc_box_acquire(c);
}

void media_cert_unref(struct media_cert *c)
{
	if (c)
		g_atomic_rc_box_release_full(c, (GDestroyNotify)cert_free);
}

const char *media_cert_fingerprint(const struct media_cert *c)
{
	return c->fingerprint;
}

SSL_CTX *media_cert_ssl_ctx(const struct media_cert *c)
{
	return c->ctx;
}

static int cert_hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int cert_hash_index(const char *name, size_t len)
{
	for (size_t i = 0; i < G_N_ELEMENTS(cert_hashes); i++) {
		if (strlen(cert_hashes[i].name) == len &&
		    g_ascii_strncasecmp(cert_hashes[i].name, name, len) == 0)
			return (int)i;
	}
	return -1;
}

int media_cert_fingerprint_parse(const char *text, size_t len,
				 const char **hash,
				 uint8_t digest[MEDIA_CERT_DIGEST_MAX],
				 size_t *digest_len)
{
	size_t i = 0, name_len, n = 0;
	int h;

	while (i < len && text[i] != ' ')
		i++;
	name_len = i;
	if (name_len == 0 || i == len)
		return EINVAL;
	while (i < len && text[i] == ' ')
		i++;
	while (i + 1 < len && n < MEDIA_CERT_DIGEST_MAX) {
		int hi = cert_hex(text[i]), lo = cert_hex(text[i + 1]);

		if (hi < 0 || lo < 0)
			return EINVAL;
		digest[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
		if (i == len)
			break;
		if (text[i] != ':' || i + 1 == len)
			return EINVAL;
		i++;
	}
	if (i != len || n == 0)
		return EINVAL;
	h = cert_hash_index(text, name_len);
	if (h < 0)
		return ENOTSUP;
	if ((size_t)EVP_MD_get_size(cert_hashes[h].md()) != n)
		return EINVAL;
	*hash = cert_hashes[h].name;
	*digest_len = n;
	return 0;
}

int media_cert_fingerprint_of(X509 *x509, const char *hash,
			      uint8_t digest[MEDIA_CERT_DIGEST_MAX],
			      size_t *digest_len,
			      char text[MEDIA_CERT_FINGERPRINT_MAX])
{
	int h = cert_hash_index(hash, strlen(hash));
	unsigned n = 0;
	char *p;

	if (h < 0)
		return ENOTSUP;
	if (!X509_digest(x509, cert_hashes[h].md(), digest, &n))
		return EIO;
	*digest_len = n;
	if (!text)
		return 0;
	p = text + g_snprintf(text, MEDIA_CERT_FINGERPRINT_MAX, "%s ",
			      cert_hashes[h].name);
	for (unsigned i = 0; i < n; i++)
		p += g_snprintf(p, 4, i ? ":%02X" : "%02X", digest[i]);
	return 0;
}
