/*
 * sip/registrar.h - the SIP registrar (RFC 3261 10, RFC 5626 flows).
 *
 * Bindings live in memory; the gateway persists the ones that must survive
 * a restart (UDP) through the binding hook and hands them back with
 * sip_registrar_restore(). Bindings made over a WebSocket flow hold a
 * reference to that flow and are removed by sip_registrar_flow_closed().
 *
 * Every REGISTER produces one operator-readable log line and one attempt
 * event with a machine-readable outcome.
 *
 * Threading: signalling thread only.
 */
#ifndef OVOZ_SIP_REGISTRAR_H
#define OVOZ_SIP_REGISTRAR_H

#include <stdbool.h>
#include <stdint.h>

#include "sip/auth.h"
#include "sip/stack.h"
#include "sip/transport.h"

/** A registered contact. Owned by the registrar; borrowed in callbacks. */
struct sip_binding {
	char *user;       /* extension (AOR user part) */
	char *contact;    /* Contact as registered, e.g. "<sip:a@h;ob>;q=1" */
	char *uri;        /* the contact URI alone, the binding key */
	char *source;     /* "ip:port" the REGISTER came from */
	char *user_agent;
	char *call_id;
	char *instance;   /* +sip.instance or NULL */
	char *path;       /* Path of the REGISTER (RFC 3327), "<a>, <b>", or NULL */
	uint32_t cseq;
	int64_t expires_at; /* unix seconds (wall clock) */
	unsigned interval;  /* seconds granted by its last REGISTER; 0 when
			     * restored at start */
	enum sip_transport_kind transport;
	struct sip_addr addr;       /* source address (NAT-reachable) */
	struct sip_transport *flow; /* WS/WSS flow, NULL for UDP */
};

/** Outcome codes of a REGISTER attempt (stable strings for the API). */
enum sip_reg_outcome {
	SIP_REG_REGISTERED = 0,
	SIP_REG_UNREGISTERED,
	SIP_REG_QUERIED,
	SIP_REG_CHALLENGED,
	SIP_REG_STALE_NONCE,
	SIP_REG_BAD_NONCE,
	SIP_REG_NONCE_REPLAY,
	SIP_REG_WRONG_PASSWORD,
	SIP_REG_UNKNOWN_EXTENSION,
	SIP_REG_USERNAME_MISMATCH,
	SIP_REG_BAD_CREDENTIALS,
	SIP_REG_INTERVAL_TOO_BRIEF,
	SIP_REG_BAD_CONTACT,
	SIP_REG_BANNED,
	SIP_REG_OUT_OF_ORDER,
	SIP_REG_FOREIGN_DOMAIN,
	SIP_REG_ERROR,
	SIP_REG_CREDENTIAL_EXPIRED, /* ephemeral credential past its expiry */
};

/** One REGISTER attempt, for the attempts log. Borrowed strings. */
struct sip_reg_attempt {
	const char *user;       /* To user, may be "" */
	const char *source;     /* "ip:port" */
	const char *transport;  /* "udp", "ws", "wss" */
	const char *user_agent; /* may be NULL */
	enum sip_reg_outcome outcome;
	int status;             /* SIP status sent */
	const char *detail;     /* the log line's text */
	/* A plain refresh: the REGISTER only renewed bindings that a
	 * REGISTER in this process made, changing nothing but their expiry
	 * time (same contact, interval, source, transport or flow,
	 * User-Agent, Call-ID and Path). Also set on the challenge of a
	 * REGISTER that would be one. The gateway does not store these. */
	bool refresh;
};

enum sip_binding_event {
	SIP_BINDING_ADDED,
	SIP_BINDING_REFRESHED,
	SIP_BINDING_REMOVED, /* unregistered, expired, flow closed, deleted */
};

struct sip_registrar_hooks {
	void (*binding)(void *ctx, const struct sip_binding *b,
			enum sip_binding_event ev);
	void (*attempt)(void *ctx, const struct sip_reg_attempt *a);
};

/* Taken as given (defaults live in gateway/config.c): sip_registrar_new()
 * returns EINVAL for a zero max_expires, default_expires or max_contacts,
 * a default_expires outside min..max, or no domains. */
struct sip_registrar_config {
	unsigned min_expires;     /* 423 below this */
	unsigned max_expires;     /* longer requests are shortened to this */
	unsigned default_expires; /* when the REGISTER names none */
	unsigned max_contacts;    /* per extension */
	/* The domains served here, NULL-terminated: host names and addresses
	 * ("example.org", "192.0.2.1", "[2001:db8::1]" or "2001:db8::1").
	 * A REGISTER whose Request-URI or To names another host gets 403. */
	const char *const *domains;
};

struct sip_registrar;

/** @auth (borrowed, outlives the registrar) authenticates REGISTERs. */
int sip_registrar_new(struct sip_registrar **out,
		      const struct sip_registrar_config *cfg,
		      struct sip_stack *stack, struct sip_auth *auth,
		      const struct sip_registrar_hooks *hooks, void *ctx);
void sip_registrar_free(struct sip_registrar *r);

/** The REGISTER handler (install with sip_stack_set_handler). */
void sip_registrar_handle(struct sip_stack *st, const struct sip_request *req,
			  void *arg);

/** Put back a persisted binding at start. No hook event. */
int sip_registrar_restore(struct sip_registrar *r, const char *user,
			  const char *contact, const char *source,
			  const char *user_agent, const char *call_id,
			  uint32_t cseq, int64_t expires_at, const char *path);
/** Remove every binding on @flow (the connection closed). */
void sip_registrar_flow_closed(struct sip_registrar *r,
			       struct sip_transport *flow);
/** Remove the binding of @user whose contact URI is @uri. 0 or ENOENT. */
int sip_registrar_remove_contact(struct sip_registrar *r, const char *user,
				 const char *uri);
/** Remove every binding of @user (extension deleted). */
void sip_registrar_remove_user(struct sip_registrar *r, const char *user);
/** Expire bindings whose time has passed; called by a timer. */
void sip_registrar_expire(struct sip_registrar *r, int64_t now);

typedef void (*sip_binding_h)(const struct sip_binding *b, void *arg);
/** Visit the live bindings of @user (NULL: all). */
void sip_registrar_foreach(struct sip_registrar *r, const char *user,
			   sip_binding_h fn, void *arg);
unsigned sip_registrar_count(struct sip_registrar *r);
/** True when @host (may be NULL) is one of the configured domains. */
bool sip_registrar_serves_domain(const struct sip_registrar *r,
				 const char *host);
const char *sip_reg_outcome_name(enum sip_reg_outcome o);

/** Tests: replace the wall clock (seconds). NULL restores it. */
void sip_registrar_set_clock(struct sip_registrar *r, int64_t (*now)(void));

#endif
