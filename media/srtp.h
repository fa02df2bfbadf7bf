/*
 * media/srtp.h - SRTP and SRTCP with libsrtp2: one session pair per stream
 * (outbound keyed with the local key, inbound with the remote key), keyed
 * from DTLS-SRTP (media_dtls_keys()) or from SDES (`a=crypto` inline keys).
 *
 * Packets are protected and unprotected in place in the caller's buffer;
 * nothing is allocated on the packet path. Replay protection is on for the
 * inbound direction (a sliding window of sequence numbers / SRTCP indexes).
 *
 * Threading: a media_srtp belongs to one thread at a time (its worker).
 * The library is initialised once, on first use, from any thread.
 */
#ifndef OVOZ_MEDIA_SRTP_H
#define OVOZ_MEDIA_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum media_srtp_profile {
	MEDIA_SRTP_NONE = 0,
	MEDIA_SRTP_AES128_CM_SHA1_80, /* RFC 3711 / RFC 5764 */
	MEDIA_SRTP_AEAD_AES_128_GCM,  /* RFC 7714 */
};

/* key || salt: 16 + 14 for AES-CM, 16 + 12 for AES-GCM. */
#define MEDIA_SRTP_MASTER_MAX 30
/*
 * Room a caller leaves after a packet for protect: the longest tag plus the
 * SRTCP index (no MKI is ever used).
 */
#define MEDIA_SRTP_TRAILER_MAX 20
/* Default replay window (packets), the largest libsrtp's default allows. */
#define MEDIA_SRTP_REPLAY_WINDOW 1024

struct media_srtp_key {
	enum media_srtp_profile profile;
	uint8_t master[MEDIA_SRTP_MASTER_MAX]; /* key || salt */
	size_t len;
};

struct media_srtp;

/**
 * media_srtp_new() - a session pair: outbound keyed with @tx, inbound with
 * @rx (both the same profile). @replay_window is the inbound window in
 * packets (0: MEDIA_SRTP_REPLAY_WINDOW). Returns 0, EINVAL for a bad key
 * or window, EIO if libsrtp refuses.
 */
int media_srtp_new(struct media_srtp **out, const struct media_srtp_key *tx,
		   const struct media_srtp_key *rx, unsigned replay_window);
/** Free the pair (keys are wiped by libsrtp). NULL is fine. */
void media_srtp_free(struct media_srtp *s);
enum media_srtp_profile media_srtp_profile(const struct media_srtp *s);

/**
 * media_srtp_protect() - encrypt and authenticate the RTP packet in
 * @buf[0..*len) in place; *len grows by the tag. @cap is the size of @buf:
 * it must leave room for the tag (MEDIA_SRTP_TRAILER_MAX is always enough).
 * Returns 0, ENOBUFS (no room), EINVAL (not RTP), EALREADY (this sequence
 * number was already sent), EIO.
 */
int media_srtp_protect(struct media_srtp *s, uint8_t *buf, size_t *len,
		       size_t cap);
/**
 * media_srtp_unprotect() - verify and decrypt the SRTP packet in place;
 * *len shrinks to the plain packet. Returns 0, EBADMSG (authentication
 * failed or malformed), EALREADY (a replay or too old for the window), EIO.
 * On failure @buf may hold garbage and must be dropped.
 */
int media_srtp_unprotect(struct media_srtp *s, uint8_t *buf, size_t *len);
/** The same for RTCP (SRTCP adds the E bit and index, then the tag). */
int media_srtp_protect_rtcp(struct media_srtp *s, uint8_t *buf, size_t *len,
			    size_t cap);
int media_srtp_unprotect_rtcp(struct media_srtp *s, uint8_t *buf,
			      size_t *len);

/** Key plus salt length for @p (0 for MEDIA_SRTP_NONE). */
size_t media_srtp_master_len(enum media_srtp_profile p);
/** SDP/SDES crypto-suite name ("AES_CM_128_HMAC_SHA1_80"), static. */
const char *media_srtp_profile_name(enum media_srtp_profile p);
/** The profile for an SDES crypto-suite name; MEDIA_SRTP_NONE if unknown. */
enum media_srtp_profile media_srtp_profile_from_name(const char *name,
						     size_t len);
/** Fill @k with a fresh random master key and salt for @p (SDES offers). */
int media_srtp_key_random(struct media_srtp_key *k,
			  enum media_srtp_profile p);

/**
 * media_srtp_inline_parse() - parse the key-params of an SDES `a=crypto`
 * line (RFC 4568 §6.1): "inline:<base64 key||salt>[|lifetime]". Pure.
 * The base64 must be exact (no whitespace, correct padding) and decode to
 * the profile's length. A key with an MKI ("|1:4") is refused: Ovoz never
 * sends MKIs and cannot strip them. Returns 0, EINVAL or ENOTSUP (MKI).
 */
int media_srtp_inline_parse(const char *text, size_t len,
			    enum media_srtp_profile p,
			    struct media_srtp_key *out);
/** "inline:<base64>" for @k, newly allocated (g_free). */
char *media_srtp_inline_format(const struct media_srtp_key *k);

#endif
