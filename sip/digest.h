/*
 * sip/digest.h - HTTP digest authentication for SIP (RFC 3261 22.4,
 * RFC 7616, RFC 8760): HA1 arithmetic for MD5 and SHA-256, self-validating
 * nonces that expire, and nonce-count replay protection.
 *
 * Nonces carry their own timestamp and an HMAC under a per-process secret
 * over the timestamp, a random part and the source they were issued to
 * (the client's IP address for UDP, the flow id for a WebSocket), so no
 * state is kept per challenge and a nonce answered from another source is
 * not ours. Only nonces that were actually used with qop=auth get a small
 * entry remembering the highest nonce count, pruned when they expire.
 *
 * Threading: signalling thread only.
 */
#ifndef OVOZ_SIP_DIGEST_H
#define OVOZ_SIP_DIGEST_H

#include <stdbool.h>
#include <stdint.h>

#include <sofia-sip/msg_types.h>

enum sip_digest_alg {
	SIP_DIGEST_MD5 = 0,
	SIP_DIGEST_SHA256,
};

/** Lowercase hex; 32 chars for MD5, 64 for SHA-256, plus NUL. */
#define SIP_DIGEST_HEX_MAX 65

enum sip_digest_result {
	SIP_DIGEST_OK = 0,
	SIP_DIGEST_MISSING,     /* no Digest credentials for our realm */
	SIP_DIGEST_MALFORMED,   /* missing or bad parameters */
	SIP_DIGEST_STALE,       /* nonce expired (or from a previous run) */
	SIP_DIGEST_BAD_NONCE,   /* nonce not ours */
	SIP_DIGEST_REPLAY,      /* nonce count reused */
	SIP_DIGEST_MISMATCH,    /* wrong password */
};

/** Parsed credentials; strings are unquoted copies owned by the verifier,
 *  valid until the next sip_digest_find() on it or sip_digest_free(). */
struct sip_digest_credentials {
	const char *username;
	const char *realm;
	const char *nonce;
	const char *uri;
	const char *response;
	const char *cnonce;
	const char *qop;
	const char *nc;
	enum sip_digest_alg alg;
};

struct sip_digest;

/** Create a verifier for @realm; nonces live @nonce_ttl seconds. */
int sip_digest_new(struct sip_digest **out, const char *realm,
		   unsigned nonce_ttl);
void sip_digest_free(struct sip_digest *d);

/** HA1 = H(user:realm:password) in lowercase hex into @out. */
void sip_digest_ha1(enum sip_digest_alg alg, const char *user,
		    const char *realm, const char *password,
		    char out[SIP_DIGEST_HEX_MAX]);

/**
 * sip_digest_challenge() - a WWW-/Proxy-Authenticate value:
 * Digest realm="...", nonce="...", algorithm=SHA-256, qop="auth"[, stale=true]
 * The nonce is bound to @source (any text naming the challenged client,
 * may be NULL). Free with g_free.
 */
char *sip_digest_challenge(struct sip_digest *d, enum sip_digest_alg alg,
			   bool stale, const char *source);

/**
 * sip_digest_find() - pick the Digest credentials for our realm from an
 * Authorization / Proxy-Authorization list. Returns SIP_DIGEST_OK,
 * SIP_DIGEST_MISSING or SIP_DIGEST_MALFORMED. Pure.
 */
enum sip_digest_result sip_digest_find(const struct sip_digest *d,
				       const msg_auth_t *list,
				       struct sip_digest_credentials *out);

/**
 * sip_digest_nonce_use() - check that c->nonce was issued by us to
 * @source, is fresh, and that c->nc was not used before with it; on
 * SIP_DIGEST_OK the nonce count is recorded (a second use of it is a
 * REPLAY). Returns OK, MALFORMED, BAD_NONCE, STALE or REPLAY.
 */
enum sip_digest_result sip_digest_nonce_use(struct sip_digest *d,
					    const struct sip_digest_credentials *c,
					    const char *source);

/** True when c->response is right for @method and @ha1. Pure. */
bool sip_digest_response_ok(const struct sip_digest_credentials *c,
			    const char *method, const char *ha1);

/**
 * sip_digest_verify() - sip_digest_nonce_use() then
 * sip_digest_response_ok(): OK, MISMATCH or the nonce's verdict. The
 * nonce count is recorded whenever the nonce itself was good, so a
 * retransmitted wrong answer is a REPLAY, not a second MISMATCH.
 */
enum sip_digest_result sip_digest_verify(struct sip_digest *d,
					 const struct sip_digest_credentials *c,
					 const char *method, const char *ha1,
					 const char *source);

/** Short operator-readable text ("wrong password (digest mismatch)"). */
const char *sip_digest_result_text(enum sip_digest_result r);

/** Tests: replace the clock (seconds). NULL restores the real one. */
void sip_digest_set_clock(struct sip_digest *d, int64_t (*now)(void));

#endif
