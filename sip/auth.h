/*
 * sip/auth.h - digest authentication of SIP requests, shared by the
 * registrar (401/WWW-Authenticate) and the proxy (407/Proxy-Authenticate):
 * challenges in the configured algorithm order, HA1 lookup through a hook,
 * nonce checks (sip/digest.c) and failure bans (sip/ban.c).
 *
 * Nonces are bound to the challenged source: the client's IP address for
 * UDP, the flow for a WebSocket. A failure counts toward a ban only when it
 * answers a fresh nonce issued to that very source; forged, foreign,
 * expired and replayed nonces are re-challenged and never count, so a
 * spoofed datagram cannot lock anybody out. What is banned and when is
 * described in sip/ban.h.
 *
 * Threading: signalling thread only.
 */
#ifndef OVOZ_SIP_AUTH_H
#define OVOZ_SIP_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "sip/ban.h"
#include "sip/digest.h"
#include "sip/stack.h"

enum sip_auth_verdict {
	SIP_AUTH_OK = 0,
	SIP_AUTH_CHALLENGED,        /* no credentials: challenge sent */
	SIP_AUTH_STALE_NONCE,       /* re-challenged with stale=true */
	SIP_AUTH_BAD_NONCE,         /* not our nonce: re-challenged */
	SIP_AUTH_NONCE_REPLAY,      /* nonce count reused: re-challenged */
	SIP_AUTH_WRONG_PASSWORD,    /* 403 */
	SIP_AUTH_UNKNOWN_USER,      /* 403, same text as a wrong password */
	SIP_AUTH_USERNAME_MISMATCH, /* 403 */
	SIP_AUTH_BAD_CREDENTIALS,   /* 400 */
	SIP_AUTH_BANNED,            /* 403 */
	SIP_AUTH_ERROR,             /* 500 */
	SIP_AUTH_CREDENTIAL_EXPIRED, /* 403: ephemeral credential too old */
};

/** What happened, for the caller's log line. */
struct sip_auth_result {
	enum sip_auth_verdict verdict;
	int status;         /* SIP status sent (0 when OK: nothing sent) */
	/* "wrong password (digest mismatch)"; static or pointing into
	 * text: valid as long as the result. */
	const char *detail;
	char text[256];
};

/** Copy the HA1s of @user (65 bytes each); 0, ENOENT or another errno. */
typedef int (*sip_auth_credentials_h)(void *ctx, const char *user,
				      char *ha1_md5, char *ha1_sha256);

/* Taken as given (defaults live in gateway/config.c): every number must be
 * non-zero, n_algs 1 or 2; sip_auth_new() returns EINVAL otherwise. */
struct sip_auth_config {
	const char *realm;
	unsigned nonce_ttl;    /* seconds a nonce is fresh */
	unsigned ban_failures; /* failures within ban_window that ban */
	unsigned ban_window;   /* seconds */
	unsigned ban_time;     /* seconds a ban lasts */
	/* Seconds an address that authenticated is not banned as a whole
	 * (the gateway passes max_expires: a registered phone proves itself
	 * at least this often). */
	unsigned trust_time;
	/* Challenges offered, in this order. */
	enum sip_digest_alg algs[2];
	unsigned n_algs;
	/* Opt-in, for n_algs 2: User-Agent prefixes offered MD5 alone (a
	 * client that gives up on a set naming SHA-256). NULL-terminated or
	 * NULL. */
	const char *const *md5_only_user_agents;
	/* Secret of ephemeral credentials (sip/ephemeral.h): a digest
	 * username "<expiry>:<user>" is checked against the password minted
	 * from it. NULL or "": ephemeral credentials are refused. */
	const char *ephemeral_secret;
};

struct sip_auth;

int sip_auth_new(struct sip_auth **out, const struct sip_auth_config *cfg,
		 struct sip_stack *stack, sip_auth_credentials_h credentials,
		 void *ctx);
void sip_auth_free(struct sip_auth *a);

/**
 * sip_auth_check() - authenticate @req as @user. @proxy selects 407 and
 * Proxy-Authorization instead of 401 and Authorization. On any verdict but
 * SIP_AUTH_OK the answer (challenge, 403, 400 or 500) has been sent.
 */
enum sip_auth_verdict sip_auth_check(struct sip_auth *a,
				     const struct sip_request *req,
				     const char *user, bool proxy,
				     struct sip_auth_result *res);

/** Visit the bans in force (times are unix seconds). */
void sip_auth_bans_foreach(struct sip_auth *a, sip_ban_h fn, void *arg);
/** Lift ban @id (sip_ban_info.id). 0 or ENOENT. */
int sip_auth_ban_lift(struct sip_auth *a, uint64_t id);

/** Failures counted, bans started, bans in force. */
uint64_t sip_auth_failures(const struct sip_auth *a);
uint64_t sip_auth_bans(const struct sip_auth *a);
unsigned sip_auth_bans_active(struct sip_auth *a);
/** Drop expired ban state; called by a timer. */
void sip_auth_prune(struct sip_auth *a);
/** Tests: replace the clock (seconds) of bans and nonces. NULL restores
 *  the real ones. */
void sip_auth_set_clock(struct sip_auth *a, int64_t (*now)(void));

#endif
