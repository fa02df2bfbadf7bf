/*
 * media/ice.h - the ICE-lite responder of one media stream (RFC 8445 lite,
 * RFC 7675 consent), built on libnice's STUN usage API over a socket that
 * Ovoz owns.
 *
 * A lite agent sends no checks: it answers the browser's Binding requests,
 * and the source address of an authenticated check carrying USE-CANDIDATE
 * becomes the selected pair (peer-reflexive learning, so a browser that
 * hides behind an mDNS ".local" name needs no resolving). Lite is always
 * controlled: a check that claims ICE-CONTROLLED gets 487 Role Conflict.
 *
 * Not thread-safe: one stream's responder is used on one thread (its
 * worker). The local credentials are fixed at creation, so reading them
 * from another thread while the object lives is fine.
 */
#ifndef OVOZ_MEDIA_ICE_H
#define OVOZ_MEDIA_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct media_ice;

/* RFC 8445 5.3: ufrag 4..256 ice-chars, password 22..256. */
#define MEDIA_ICE_UFRAG_LEN 8  /* generated ufrag: 48 random bits */
#define MEDIA_ICE_PWD_LEN 24   /* generated password: 144 random bits */
#define MEDIA_ICE_CRED_MAX 256

/* RFC 7675 5.1: consent expires 30 s after the last valid check. */
#define MEDIA_ICE_CONSENT_TIMEOUT_US (30LL * 1000000)

/* A success or error response always fits in this many bytes. */
#define MEDIA_ICE_REPLY_MAX 1280

struct media_ice_config {
	/* NULL: generated from OpenSSL's CSPRNG (the usual case). */
	const char *local_ufrag;
	const char *local_pwd;
	/* The browser's ufrag from its SDP. NULL: the part of USERNAME after
	 * the colon is not checked (the offer went out before the answer). */
	const char *remote_ufrag;
	/* 0: MEDIA_ICE_CONSENT_TIMEOUT_US. */
	int64_t consent_timeout_us;
};

/* What media_ice_receive() made of a datagram. */
enum media_ice_result {
	MEDIA_ICE_IGNORED = 0,	  /* not for us or malformed: no reply */
	MEDIA_ICE_UNAUTHORIZED,	  /* wrong ufrag or password: 401 in reply */
	MEDIA_ICE_REJECTED,	  /* authenticated, unknown mandatory attr: 420 */
	MEDIA_ICE_ROLE_CONFLICT,  /* peer claims controlled too: 487 in reply */
	MEDIA_ICE_CHECK,	  /* valid check: success response in reply */
	MEDIA_ICE_NOMINATED,	  /* valid check with USE-CANDIDATE: success
				     response, sender is the selected pair */
};

/**
 * media_ice_new() - a responder with @cfg's credentials (copied; @cfg may
 * be NULL for all defaults). @now_us (monotonic) starts the consent clock:
 * a browser that never checks loses consent after the same timeout.
 * Returns 0, EINVAL for credentials outside RFC 8445's grammar, or EIO when
 * the CSPRNG fails. *@out is set only on success; free with media_ice_free().
 */
int media_ice_new(struct media_ice **out, const struct media_ice_config *cfg,
		  int64_t now_us);
/** Free @ice. NULL is fine. */
void media_ice_free(struct media_ice *ice);

/** The local ufrag / password for the SDP (borrowed, NUL-terminated). */
const char *media_ice_local_ufrag(const struct media_ice *ice);
const char *media_ice_local_pwd(const struct media_ice *ice);

/**
 * media_ice_set_remote_ufrag() - the browser's ufrag, once its SDP is known
 * (NULL: stop checking it). Returns 0 or EINVAL. The stream's thread.
 */
int media_ice_set_remote_ufrag(struct media_ice *ice, const char *ufrag);

/**
 * media_ice_receive() - process one datagram received from @from.
 * @reply has room for *@reply_len bytes (MEDIA_ICE_REPLY_MAX is enough);
 * on return *@reply_len is the length of the response to send back to
 * @from, or 0 for none. Never allocates, never logs, never trusts @buf:
 * anything that is not an authenticated Binding request is answered at
 * most with an error and changes no state.
 */
enum media_ice_result media_ice_receive(struct media_ice *ice,
					const uint8_t *buf, size_t len,
					const struct sockaddr *from,
					socklen_t from_len, int64_t now_us,
					uint8_t *reply, size_t *reply_len);

/**
 * media_ice_selected() - the nominated pair's remote address, copied to
 * @out (with its length in *@out_len). False until a nomination.
 */
bool media_ice_selected(const struct media_ice *ice,
			struct sockaddr_storage *out, socklen_t *out_len);

/**
 * media_ice_is_validated() - whether @addr sent an authenticated check
 * lately (the few most recent addresses are kept). Media from anywhere
 * else is not the browser's.
 */
bool media_ice_is_validated(const struct media_ice *ice,
			    const struct sockaddr *addr, socklen_t addr_len);

/**
 * media_ice_consent_expired() - true when no valid check from the selected
 * pair (or, before nomination, from anywhere) came within the consent
 * timeout before @now_us (RFC 7675 5.1).
 */
bool media_ice_consent_expired(const struct media_ice *ice, int64_t now_us);

/** The configured consent timeout in microseconds. */
int64_t media_ice_consent_timeout(const struct media_ice *ice);

/** A constant name for @result ("nominated", "unauthorized", ...). */
const char *media_ice_result_name(enum media_ice_result result);

/**
 * media_ice_self_test() - validate the RFC 5769 2.1 request with libnice's
 * STUN agent, as a check from a browser is validated. Returns 0, or EIO
 * when libnice's STUN code is broken in this process: sofia-sip also
 * exports stun_message_length(), and a binary that loads sofia-sip before
 * libnice makes libnice compute every FINGERPRINT wrong, so no browser's
 * check is ever answered. Any thread.
 */
int media_ice_self_test(void);

#endif
