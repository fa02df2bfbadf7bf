/*
 * sip/ban.h - throttling of authentication failures.
 *
 * A source is what one client sends from: "ip:port" for UDP, the flow id
 * ("wss-3") for a WebSocket. Three things can be banned:
 *  - a source for one extension (SIP_BAN_SOURCE_EXTENSION): N wrong
 *    passwords for that extension from that source within the window.
 *    The same extension from another port behind the same address (a
 *    colleague's phone behind the office NAT, the real phone) still works,
 *    and so do the source's other extensions (a phone with two lines).
 *  - a source (SIP_BAN_SOURCE): N attempts at unknown extensions (or with
 *    an authentication username that is not the extension) within the
 *    window: a scanner, throttled even from an address that authenticates.
 *  - an address (SIP_BAN_ADDRESS): N failures of any kind from any of its
 *    sources within the window, counted only while nothing from that
 *    address has authenticated for trust_time seconds. A whole office sits
 *    behind one NAT, so an address that authenticates is never banned as a
 *    group; a scanner that changes ports on every attempt is.
 * A ban lasts ban_time seconds, or until lifted by an operator.
 *
 * Only failures the caller has verified as real count (sip/auth.c counts
 * answers to a fresh nonce issued to that very source): a forged datagram
 * can never start a ban.
 *
 * Time is passed in (seconds) so the module is deterministic.
 * Threading: signalling thread only.
 */
#ifndef OVOZ_SIP_BAN_H
#define OVOZ_SIP_BAN_H

#include <stdbool.h>
#include <stdint.h>

struct sip_ban_config {
	unsigned max_failures; /* N */
	unsigned window;       /* seconds */
	unsigned ban_time;     /* seconds */
	unsigned trust_time;   /* seconds an address is trusted after a
				* success */
};

enum sip_ban_scope {
	SIP_BAN_SOURCE_EXTENSION = 0,
	SIP_BAN_SOURCE,
	SIP_BAN_ADDRESS,
};

enum sip_ban_failure_kind {
	SIP_BAN_WRONG_PASSWORD,    /* known extension, wrong answer */
	SIP_BAN_UNKNOWN_EXTENSION, /* unknown or mismatched username */
};

/** Who made an attempt. Borrowed strings. */
struct sip_ban_source {
	const char *source;  /* "ip:port" (UDP) or a flow id ("wss-3") */
	const char *address; /* the IP address alone */
};

/** A ban in force. Strings borrowed until the next call on the module. */
struct sip_ban_info {
	uint64_t id;           /* unique for this process, never reused */
	enum sip_ban_scope scope;
	const char *source;    /* NULL for SIP_BAN_ADDRESS */
	const char *address;
	const char *extension; /* SIP_BAN_SOURCE_EXTENSION only, else NULL */
	const char *reason;    /* "5 wrong passwords for 1001 within 60 s" */
	int64_t since, until;  /* the caller's clock */
	unsigned failures;     /* failures counted that started the ban */
	uint64_t refused;      /* attempts refused since */
};

struct sip_ban;

/** Every field must be non-zero: EINVAL otherwise. */
int sip_ban_new(struct sip_ban **out, const struct sip_ban_config *cfg);
void sip_ban_free(struct sip_ban *b);

/**
 * sip_ban_check() - true while @src (for @user, may be NULL) is refused;
 * the refusal is counted and the ban described in *@out (may be NULL).
 */
bool sip_ban_check(struct sip_ban *b, const struct sip_ban_source *src,
		   const char *user, int64_t now, struct sip_ban_info *out);
/**
 * sip_ban_failure() - count a verified failed authentication of @user from
 * @src. Returns true when it started a ban (described in *@out, may be
 * NULL).
 */
bool sip_ban_failure(struct sip_ban *b, const struct sip_ban_source *src,
		     const char *user, enum sip_ban_failure_kind kind,
		     int64_t now, struct sip_ban_info *out);
/** A successful authentication: @src's address is trusted until now +
 *  trust_time and its failures forgotten; @src's failures for @user too. */
void sip_ban_success(struct sip_ban *b, const struct sip_ban_source *src,
		     const char *user, int64_t now);

typedef void (*sip_ban_h)(const struct sip_ban_info *ban, void *arg);
/** Visit the bans in force at @now, in no particular order. */
void sip_ban_foreach(struct sip_ban *b, int64_t now, sip_ban_h fn, void *arg);
/** Lift the ban @id now (its failures are forgotten). 0 or ENOENT. */
int sip_ban_lift(struct sip_ban *b, uint64_t id, int64_t now);

/** Drop expired state. Cheap; call periodically. */
void sip_ban_prune(struct sip_ban *b, int64_t now);
/** Bans started since creation. */
uint64_t sip_ban_count(const struct sip_ban *b);
/** Bans in force now. */
unsigned sip_ban_active(struct sip_ban *b, int64_t now);
/** "source_extension", "source" or "address". */
const char *sip_ban_scope_name(enum sip_ban_scope scope);

#endif
