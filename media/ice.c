/*
 * media/ice.c - ICE-lite responder: libnice's StunAgent validates USERNAME,
 * MESSAGE-INTEGRITY and FINGERPRINT; stun_usage_ice_conncheck_create_reply()
 * writes the success response with XOR-MAPPED-ADDRESS. This file only
 * decides what a valid check means for the stream.
 */
#include "ice.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <glib.h>
#include <openssl/rand.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>

#include "demux.h"

/* How many recent check sources are remembered as validated. */
#define ICE_VALIDATED_MAX 4

struct ice_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

struct media_ice {
	char ufrag[MEDIA_ICE_CRED_MAX + 1];
	char pwd[MEDIA_ICE_CRED_MAX + 1];
	char remote_ufrag[MEDIA_ICE_CRED_MAX + 1]; /* "" when unknown */
	size_t ufrag_len, remote_ufrag_len;
	struct ice_addr selected; /* len 0 until nominated */
	struct ice_addr validated[ICE_VALIDATED_MAX];
	unsigned validated_next;
	int64_t last_consent_us;
	int64_t consent_timeout_us;
};

/*
 * Comprehension-required attributes a Binding request may carry (RFC 8445
 * 7.1.1, RFC 5389 15); any other one below 0x8000 gets 420. The optional
 * range (ICE-CONTROLLING, FINGERPRINT, Chrome's GOOG-NETWORK-INFO) never
 * needs listing.
 */
static const uint16_t known_attributes[] = {
	STUN_ATTRIBUTE_USERNAME,     STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
	STUN_ATTRIBUTE_ERROR_CODE,   STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
	STUN_ATTRIBUTE_PRIORITY,     STUN_ATTRIBUTE_USE_CANDIDATE,
	STUN_ATTRIBUTE_ICE_CONTROLLED, STUN_ATTRIBUTE_ICE_CONTROLLING,
	STUN_ATTRIBUTE_FINGERPRINT,  0,
};

/* RFC 8445 15.4: ice-char = ALPHA / DIGIT / "+" / "/" (64 symbols). */
/*
 * A responder's StunAgent keeps no per-stream state (its table of sent
 * transactions is for requests, and a lite agent sends none), yet the
 * table makes it 11 KiB. One per thread serves every stream on a worker.
 */
static _Thread_local StunAgent thread_agent;
static _Thread_local bool thread_agent_ready;

static StunAgent *stun_agent(void)
{
	if (!thread_agent_ready) {
		stun_agent_init(&thread_agent, known_attributes,
				STUN_COMPATIBILITY_RFC5389,
				STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
					STUN_AGENT_USAGE_USE_FINGERPRINT);
		thread_agent_ready = true;
	}
	return &thread_agent;
}

/*
 * RFC 5769 2.1: a Binding request with USERNAME "evtj:h6vY", password
 * "VOkJxbRl1RmTxUk/WvJxBt", MESSAGE-INTEGRITY and FINGERPRINT.
 */
static const uint8_t self_test_request[108] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10,
	0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c,
	0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
	0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
	0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
	0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
	0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
	0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

static bool self_test_validater(StunAgent *agent, StunMessage *msg,
				uint8_t *username, uint16_t username_len,
				uint8_t **password, size_t *password_len,
				void *arg)
{
	static const char pwd[] = "VOkJxbRl1RmTxUk/WvJxBt";

	*password = (uint8_t *)pwd;
	*password_len = strlen(pwd);
	return true;
}

int media_ice_self_test(void)
{
	StunAgent agent;
	StunMessage msg;

	stun_agent_init(&agent, known_attributes, STUN_COMPATIBILITY_RFC5389,
			STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
				STUN_AGENT_USAGE_USE_FINGERPRINT);
	return stun_agent_validate(&agent, &msg, self_test_request,
				   sizeof(self_test_request),
				   self_test_validater, NULL) ==
			       STUN_VALIDATION_SUCCESS
		       ? 0 : EIO;
}

static const char ice_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static bool is_ice_string(const char *s, size_t min)
{
	size_t n = strlen(s);

	if (n < min || n > MEDIA_ICE_CRED_MAX)
		return false;
	return strspn(s, ice_chars) == n;
}

/* 256 is a multiple of 64, so masking a random byte keeps it uniform. */
static int random_ice_string(char *out, size_t n)
{
	unsigned char raw[MEDIA_ICE_CRED_MAX];

	if (RAND_bytes(raw, (int)n) != 1)
		return EIO;
	for (size_t i = 0; i < n; i++)
		out[i] = ice_chars[raw[i] & 63];
	out[n] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

static int set_credential(char *dst, const char *given, size_t min,
			  size_t generated_len)
{
	if (!given)
		return random_ice_string(dst, generated_len);
	if (!is_ice_string(given, min))
		return EINVAL;
	strcpy(dst, given);
	return 0;
}

int media_ice_new(struct media_ice **out, const struct media_ice_config *cfg,
		  int64_t now_us)
{
	static const struct media_ice_config defaults = {0};
	struct media_ice *ice;
	int err;

	if (!cfg)
		cfg = &defaults;
	if (cfg->remote_ufrag && !is_ice_string(cfg->remote_ufrag, 4))
		return EINVAL;
	if (cfg->consent_timeout_us < 0)
		return EINVAL;
	ice = g_new0(struct media_ice, 1);
	err = set_credential(ice->ufrag, cfg->local_ufrag, 4,
			     MEDIA_ICE_UFRAG_LEN);
	if (!err)
		err = set_credential(ice->pwd, cfg->local_pwd, 22,
				     MEDIA_ICE_PWD_LEN);
	if (err) {
		media_ice_free(ice);
		return err;
	}
	ice->ufrag_len = strlen(ice->ufrag);
	media_ice_set_remote_ufrag(ice, cfg->remote_ufrag);
	ice->consent_timeout_us = cfg->consent_timeout_us
					  ? cfg->consent_timeout_us
					  : MEDIA_ICE_CONSENT_TIMEOUT_US;
	ice->last_consent_us = now_us;
	*out = ice;
	return 0;
}

void media_ice_free(struct media_ice *ice)
{
	if (!ice)
		return;
	OPENSSL_cleanse(ice->pwd, sizeof(ice->pwd));
	g_free(ice);
}

int media_ice_set_remote_ufrag(struct media_ice *ice, const char *ufrag)
{
	if (ufrag && !is_ice_string(ufrag, 4))
		return EINVAL;
	strcpy(ice->remote_ufrag, ufrag ? ufrag : "");
	ice->remote_ufrag_len = strlen(ice->remote_ufrag);
	return 0;
}

const char *media_ice_local_ufrag(const struct media_ice *ice)
{
	return ice->ufrag;
}

const char *media_ice_local_pwd(const struct media_ice *ice)
{
	return ice->pwd;
}

int64_t media_ice_consent_timeout(const struct media_ice *ice)
{
	return ice->consent_timeout_us;
}

/*
 * RFC 8445 7.3: USERNAME is "<our ufrag>:<their ufrag>". A match hands
 * libnice our password, which then checks MESSAGE-INTEGRITY; anything else
 * makes stun_agent_validate() answer UNAUTHORIZED.
 */
static bool ice_validater(StunAgent *agent, StunMessage *msg,
			  uint8_t *username, uint16_t username_len,
			  uint8_t **password, size_t *password_len, void *arg)
{
	struct media_ice *ice = arg;
	size_t n = ice->ufrag_len;

	if (!username || username_len < n + 1 ||
	    memcmp(username, ice->ufrag, n) != 0 || username[n] != ':')
		return false;
	if (ice->remote_ufrag_len &&
	    (username_len - n - 1 != ice->remote_ufrag_len ||
	     memcmp(username + n + 1, ice->remote_ufrag,
		    ice->remote_ufrag_len) != 0))
		return false;
	*password = (uint8_t *)ice->pwd;
	*password_len = strlen(ice->pwd);
	return true;
}

static bool addr_equal(const struct sockaddr *a, socklen_t alen,
		       const struct sockaddr *b, socklen_t blen)
{
	if (alen == 0 || blen == 0 || a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a,
					  *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return false;
}

static bool usable_source(const struct sockaddr *from, socklen_t len)
{
	if (!from)
		return false;
	if (from->sa_family == AF_INET)
		return len >= (socklen_t)sizeof(struct sockaddr_in);
	if (from->sa_family == AF_INET6)
		return len >= (socklen_t)sizeof(struct sockaddr_in6);
	return false;
}

static void addr_copy(struct ice_addr *dst, const struct sockaddr *src,
		      socklen_t len)
{
	if (len > (socklen_t)sizeof(dst->ss))
		len = sizeof(dst->ss);
	memset(&dst->ss, 0, sizeof(dst->ss));
	memcpy(&dst->ss, src, len);
	dst->len = len;
}

static void remember_validated(struct media_ice *ice,
			       const struct sockaddr *from, socklen_t len)
{
	if (media_ice_is_validated(ice, from, len))
		return;
	addr_copy(&ice->validated[ice->validated_next], from, len);
	ice->validated_next = (ice->validated_next + 1) % ICE_VALIDATED_MAX;
}

/* An error response to @req, signed with its key when it had a valid one. */
static size_t error_reply(struct media_ice *ice, StunMessage *req,
			  StunError code, uint8_t *reply, size_t cap)
{
	StunMessage msg;

	if (!stun_agent_init_error(stun_agent(), &msg, reply, cap, req, code))
		return 0;
	return stun_agent_finish_message(stun_agent(), &msg, NULL, 0);
}

/* The authenticated Binding request @req from @from: answer and learn. */
static enum media_ice_result valid_request(struct media_ice *ice,
					   StunMessage *req,
					   const struct sockaddr *from,
					   socklen_t from_len, int64_t now_us,
					   uint8_t *reply, size_t *reply_len)
{
	struct sockaddr_storage src = {0};
	StunMessage msg;
	StunUsageIceReturn r;
	bool control = false;
	bool nominated;

	/* Lite is always controlled (RFC 8445 6.1.1): never switch role. */
	if (stun_message_has_attribute(req, STUN_ATTRIBUTE_ICE_CONTROLLED)) {
		*reply_len = error_reply(ice, req, STUN_ERROR_ROLE_CONFLICT,
					 reply, *reply_len);
		return MEDIA_ICE_ROLE_CONFLICT;
	}
	memcpy(&src, from, from_len);
	r = stun_usage_ice_conncheck_create_reply(
		stun_agent(), req, &msg, reply, reply_len, &src, from_len,
		&control, 0, STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
	if (r != STUN_USAGE_ICE_RETURN_SUCCESS || *reply_len == 0) {
		*reply_len = 0;
		return MEDIA_ICE_IGNORED;
	}
	remember_validated(ice, from, from_len);
	nominated = stun_usage_ice_conncheck_use_candidate(req);
	if (nominated)
		addr_copy(&ice->selected, from, from_len);
	/* RFC 7675: consent is per pair; before nomination any check counts. */
	if (ice->selected.len == 0 ||
	    addr_equal((const struct sockaddr *)&ice->selected.ss,
		       ice->selected.len, from, from_len))
		ice->last_consent_us = now_us;
	return nominated ? MEDIA_ICE_NOMINATED : MEDIA_ICE_CHECK;
}

enum media_ice_result media_ice_receive(struct media_ice *ice,
					const uint8_t *buf, size_t len,
					const struct sockaddr *from,
					socklen_t from_len, int64_t now_us,
					uint8_t *reply, size_t *reply_len)
{
	StunMessage req;
	StunValidationStatus v;
	size_t cap = *reply_len;

	*reply_len = 0;
	if (media_demux_classify(buf, len) != MEDIA_DEMUX_STUN ||
	    !usable_source(from, from_len) ||
	    from_len > (socklen_t)sizeof(struct sockaddr_storage))
		return MEDIA_ICE_IGNORED;
	v = stun_agent_validate(stun_agent(), &req, buf, len, ice_validater,
				ice);
	/* Only requests are answered; we send no requests of our own. */
	if (v == STUN_VALIDATION_NOT_STUN ||
	    v == STUN_VALIDATION_INCOMPLETE_STUN ||
	    stun_message_get_class(&req) != STUN_REQUEST ||
	    stun_message_get_method(&req) != STUN_BINDING)
		return MEDIA_ICE_IGNORED;
	switch (v) {
	case STUN_VALIDATION_SUCCESS:
		*reply_len = cap;
		return valid_request(ice, &req, from, from_len, now_us, reply,
				     reply_len);
	case STUN_VALIDATION_UNAUTHORIZED:
		/* RFC 5389 10.1.2: 401, unsigned (we do not know the key). */
		*reply_len = error_reply(ice, &req, STUN_ERROR_UNAUTHORIZED,
					 reply, cap);
		return MEDIA_ICE_UNAUTHORIZED;
	case STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE:
		*reply_len = stun_agent_build_unknown_attributes_error(
			stun_agent(), &(StunMessage){0}, reply, cap, &req);
		return MEDIA_ICE_REJECTED;
	default:
		/* No FINGERPRINT or credentials at all: not an ICE check. */
		return MEDIA_ICE_IGNORED;
	}
}

bool media_ice_selected(const struct media_ice *ice,
			struct sockaddr_storage *out, socklen_t *out_len)
{
	if (ice->selected.len == 0)
		return false;
	if (out)
		*out = ice->selected.ss;
	if (out_len)
		*out_len = ice->selected.len;
	return true;
}

bool media_ice_is_validated(const struct media_ice *ice,
			    const struct sockaddr *addr, socklen_t addr_len)
{
	if (!usable_source(addr, addr_len))
		return false;
	for (unsigned i = 0; i < ICE_VALIDATED_MAX; i++)
		if (addr_equal((const struct sockaddr *)&ice->validated[i].ss,
			       ice->validated[i].len, addr, addr_len))
			return true;
	return false;
}

bool media_ice_consent_expired(const struct media_ice *ice, int64_t now_us)
{
	return now_us - ice->last_consent_us >= ice->consent_timeout_us;
}

const char *media_ice_result_name(enum media_ice_result result)
{
	static const char *const names[] = {
		[MEDIA_ICE_IGNORED] = "ignored",
		[MEDIA_ICE_UNAUTHORIZED] = "unauthorized",
		[MEDIA_ICE_REJECTED] = "rejected",
		[MEDIA_ICE_ROLE_CONFLICT] = "role-conflict",
		[MEDIA_ICE_CHECK] = "check",
		[MEDIA_ICE_NOMINATED] = "nominated",
	};

	if ((unsigned)result >= G_N_ELEMENTS(names))
		return "ignored";
	return names[result];
}
