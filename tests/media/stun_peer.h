/*
 * tests/media/stun_peer.h - the browser's side of ICE checks for tests,
 * written with libnice's STUN API: build Binding requests, read replies.
 */
#ifndef OVOZ_TESTS_STUN_PEER_H
#define OVOZ_TESTS_STUN_PEER_H

#include <stdbool.h>
#include <string.h>

#include <stun/stunagent.h>
#include <stun/usages/ice.h>

struct stun_peer {
	StunAgent agent;
};

static const uint16_t stun_peer_attrs[] = {
	STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
	STUN_ATTRIBUTE_ERROR_CODE, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
	STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES, 0,
};

static inline void stun_peer_init(struct stun_peer *p)
{
	stun_agent_init(&p->agent, stun_peer_attrs, STUN_COMPATIBILITY_RFC5389,
			STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
				STUN_AGENT_USAGE_USE_FINGERPRINT);
}

/* A check for "@username" signed with @pwd; returns its length. */
static inline size_t stun_peer_check(struct stun_peer *p, uint8_t *buf,
				     size_t cap, const char *username,
				     const char *pwd, bool use_candidate,
				     bool controlling)
{
	StunMessage msg;

	return stun_usage_ice_conncheck_create(
		&p->agent, &msg, buf, cap, (const uint8_t *)username,
		strlen(username), (const uint8_t *)pwd, strlen(pwd),
		use_candidate, controlling, 0x6e0001ff, 0x0123456789abcdefULL,
		NULL, STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
}

/*
 * Make the agent expect a response to transaction @tid signed with @pwd,
 * as if it had sent the request (used to check captured responses).
 */
static inline void stun_peer_expect(struct stun_peer *p, const uint8_t *tid,
				    const char *pwd)
{
	uint8_t buf[256];
	StunMessage msg;

	stun_agent_init_request(&p->agent, &msg, buf, sizeof(buf),
				STUN_BINDING);
	memcpy(buf + 8, tid, 12);
	stun_agent_finish_message(&p->agent, &msg, (const uint8_t *)pwd,
				  strlen(pwd));
}

/* Validate a reply to one of our requests: SUCCESS when it is ours and its
 * MESSAGE-INTEGRITY (if any is required) checks. */
static inline StunValidationStatus stun_peer_read(struct stun_peer *p,
						  const uint8_t *buf,
						  size_t len, StunMessage *msg)
{
	return stun_agent_validate(&p->agent, msg, buf, len, NULL, NULL);
}

/* The ERROR-CODE of an error response, or 0. */
static inline int stun_peer_error(const StunMessage *msg)
{
	int code = 0;

	if (stun_message_get_class(msg) != STUN_ERROR ||
	    stun_message_find_error(msg, &code) != STUN_MESSAGE_RETURN_SUCCESS)
		return 0;
	return code;
}

#endif
