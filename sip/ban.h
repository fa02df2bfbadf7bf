/*
 * sip/ban.h - throttling of authentication failures.
 *
 * Two keys are tracked:
 *  - (source IP, username): N failures within the window ban that pair;
 *    one phone with a wrong password never locks out its office.
 *  - source IP alone: N failures for usernames that do not exist, or over
 *    many usernames, ban the whole address - unless the address has
 *    authenticated successfully within the ban time. A whole office sits
 *    behind one NAT, so an address that authenticates is never throttled
 *    as a group; only its failing pairs are.
 *
 * Time is passed in (seconds, monotonic) so the module is deterministic.
 * Threading: signalling thread only.
 */
#ifndef OVOZ_SIP_BAN_H
#define OVOZ_SIP_BAN_H

#include <stdbool.h>
#include <stdint.h>

struct sip_ban_config {
	unsigned max_failures; /* N, default 5 */
	unsigned window;       /* M seconds, default 60 */
	unsigned ban_time;     /* T seconds, default 300 */
};

struct sip_ban;

int sip_ban_new(struct sip_ban **out, const struct sip_ban_config *cfg);
void sip_ban_free(struct sip_ban *b);

/** True while @ip (for @user, may be NULL) is refused. */
bool sip_ban_is_banned(struct sip_ban *b, const char *ip, const char *user,
		       int64_t now);
/**
 * sip_ban_failure() - count a failed authentication. @user_exists false
 * means the username is unknown (scanner behaviour). Returns true when this
 * failure started a ban.
 */
bool sip_ban_failure(struct sip_ban *b, const char *ip, const char *user,
		     bool user_exists, int64_t now);
/** A successful authentication from @ip: the address is not banned as a
 *  group from now until now + ban_time; the pair's failures are reset. */
void sip_ban_success(struct sip_ban *b, const char *ip, const char *user,
		     int64_t now);
/** Drop expired state. Cheap; call periodically. */
void sip_ban_prune(struct sip_ban *b, int64_t now);
/** Bans started since creation. */
uint64_t sip_ban_count(const struct sip_ban *b);
/** Bans in force now. */
unsigned sip_ban_active(struct sip_ban *b, int64_t now);

#endif
