/*
 * sip/proxy.h - the transaction-stateful, record-routing proxy core.
 *
 * Initial requests to a local extension are authenticated (407), forked to
 * every registered contact, and record-routed twice (RFC 5658): one
 * Record-Route faces each leg and carries an "ovoz" token saying how that
 * leg's party is reached - a WebSocket flow id ("wss-12") or a UDP source
 * address ("u~203.0.113.5~5060", so NATed phones are reached where their
 * packets came from). In-dialog requests come back through those Routes
 * and are sent to the other leg's token, whatever the (.invalid or private)
 * Request-URI says. One dialog runs end to end, so re-INVITE, UPDATE, INFO
 * and the rest pass through; every SDP body crosses one hook.
 *
 * Over UDP the RFC 3261 timers run: A/B/E/F for our client transactions,
 * G/H for final responses to INVITE, 100 Trying at once, request
 * retransmissions absorbed, 2xx retransmissions forwarded while the branch
 * lingers.
 *
 * Threading: signalling thread only.
 */
#ifndef OVOZ_SIP_PROXY_H
#define OVOZ_SIP_PROXY_H

#include <stdbool.h>

#include "sip/auth.h"
#include "sip/registrar.h"
#include "sip/stack.h"
#include "sip/transport.h"

enum sip_call_event_type {
	SIP_CALL_START,  /* an authenticated INVITE was forked */
	SIP_CALL_ANSWER, /* the first 2xx */
	SIP_CALL_END,    /* final failure, or BYE after answer */
};

/** A call's progress for the call log. Borrowed strings. */
struct sip_call_event {
	enum sip_call_event_type type;
	const char *call_id;
	const char *caller, *caller_transport;
	const char *callee, *callee_transport; /* answering branch, or NULL */
	/* END: "answered", "busy", "no-answer", "cancelled", "failed" */
	const char *disposition;
	int status;            /* END without answer: final status sent */
	const char *hangup_by; /* END after answer: "caller", "callee" or
				* "ovoz" */
	const char *reason;    /* END by Ovoz: why ("media timeout"), or NULL */
};

/** What an SDP body is in its offer/answer exchange (RFC 3264). */
enum sip_media_kind {
	SIP_MEDIA_OFFER,  /* INVITE, re-INVITE, UPDATE; a 1xx/2xx to a
			   * body-less INVITE (late offer) */
	SIP_MEDIA_ANSWER, /* a 1xx/2xx to an offer; ACK or PRACK after a
			   * late offer */
};

/**
 * An SDP body crossing the proxy, keyed as rtpengine's ng protocol keys
 * its offer/answer/delete: Call-ID, both tags, and the branch. Borrowed
 * strings, valid during the hook call only.
 */
struct sip_media_event {
	enum sip_media_kind kind;
	const char *call_id;
	const char *from_tag, *to_tag; /* of the message; to_tag NULL in an
					* initial INVITE */
	/* The callee-side leg this body belongs to: our Via branch of the
	 * INVITE branch towards that callee. In-dialog bodies carry the
	 * answering branch, so a call keeps one key per leg. */
	const char *branch;
	bool from_caller;     /* travels from the caller's side */
	bool is_request;
	const char *method;   /* of the request, or of the CSeq */
	int status;           /* responses */
	enum sip_transport_kind from_kind, to_kind;
	const struct sip_addr *source; /* where the message came from */
	/* A request towards a callee: where it is sent, and the host its
	 * Request-URI (the callee's registered contact) names; the two differ
	 * for a phone behind NAT. NULL otherwise. */
	const struct sip_addr *dest;
	const char *dest_host;
	/* The user part of the party the body travels toward: the To URI's
	 * for a request, the From URI's for a response (the dialled
	 * extension for an initial INVITE). NULL if none. */
	const char *toward_user;
};

struct sip_proxy_hooks {
	/** True if @user is a local extension (registered or not). */
	bool (*is_extension)(void *ctx, const char *user);
	/** The live WebSocket flow called @id ("wss-12"), borrowed, or NULL. */
	struct sip_transport *(*flow)(void *ctx, const char *id);
	void (*call)(void *ctx, const struct sip_call_event *ev);
	/**
	 * An SDP body (offer or answer) crossing the proxy. Return 0 and set
	 * *@out to a new body (g_malloc'd, *@out_len its length) or leave it
	 * NULL to pass the body unchanged; or refuse it with a SIP status
	 * (488 no common codec, 503 no media ports...) and *@reason (a static
	 * reason phrase). A refused offer in a request fails that branch with
	 * the status (the caller sees it when every branch has failed); a
	 * refused body in a response or an ACK is logged and passed as it is,
	 * since the other side already considers it sent. Called again with
	 * the same body for retransmitted 2xx. May be NULL.
	 */
	int (*media)(void *ctx, const struct sip_media_event *ev,
		     const char *body, size_t len, char **out, size_t *out_len,
		     const char **reason);
	/**
	 * Nothing of call @call_id that belongs to @branch (a callee leg that
	 * will never be answered: it failed, was cancelled or lost the fork)
	 * or, with @branch NULL, to the whole call (its dialog ended: BYE,
	 * closed flow, no answer, Timer C, max_call, hang-up by Ovoz) may
	 * outlive this call. @why is static text. May be called for a call
	 * that never had a body. May be NULL.
	 */
	void (*media_release)(void *ctx, const char *call_id,
			      const char *branch, const char *why);
};

struct sip_proxy_config {
	const char *domain;   /* our SIP domain (the realm) */
	const char *udp_host; /* our address as UDP peers reach it */
	unsigned udp_port;
	const char *ws_host;  /* our host as browsers reach it */
	unsigned ws_port;
	unsigned no_answer;   /* seconds before 480, default 60 */
	/* Seconds after which an answered call whose BYE never came (a phone
	 * that crashed, a lost datagram) is closed in the call log; the
	 * parties are not touched. Default 43200 (12 h). */
	unsigned max_call;
	/* Upstream mode (edge proxy): a UDP registrar/PBX as "ip:port", or
	 * NULL. WebSocket clients' out-of-dialog requests (REGISTER with a
	 * Path, calls) go there; local callers' calls to non-local numbers
	 * too; requests from it that carry our Path come back down the flow. */
	const char *upstream;
};

struct sip_proxy;

/** @udp is the UDP transport (borrowed; may be NULL if UDP is off). */
int sip_proxy_new(struct sip_proxy **out, const struct sip_proxy_config *cfg,
		  struct sip_stack *stack, struct sip_auth *auth,
		  struct sip_registrar *registrar, struct sip_transport *udp,
		  const struct sip_proxy_hooks *hooks, void *ctx);
void sip_proxy_free(struct sip_proxy *px);

/** Request handler for every method the proxy routes. */
void sip_proxy_handle_request(struct sip_stack *st,
			      const struct sip_request *req, void *arg);
/** Response handler (sip_stack_set_response_handler). */
void sip_proxy_handle_response(struct sip_stack *st, struct sip_message *msg,
			       struct sip_transport *tp,
			       const struct sip_addr *src, void *arg);

/** True when @req should be relayed to the upstream instead of the local
 *  registrar (a REGISTER over a WebSocket in upstream mode). */
bool sip_proxy_wants_register(const struct sip_proxy *px,
			      const struct sip_request *req);

/** A WebSocket flow closed: its answered calls end (hung up by that
 *  side) and calls it was placing are cancelled. */
void sip_proxy_flow_closed(struct sip_proxy *px, struct sip_transport *flow);

/** Calls being set up or talking. */
unsigned sip_proxy_active_calls(const struct sip_proxy *px);

/**
 * sip_proxy_hangup() - end call @call_id from Ovoz itself (media timeout,
 * DTLS failure): an answered call gets a BYE to each party, carrying
 * "Reason: SIP;cause=...;text=@reason"; a ringing one is cancelled and its
 * caller answered @status (or 480). The call log records @reason and
 * hang-up by "ovoz". Returns 0, or ENOENT for an unknown call.
 */
int sip_proxy_hangup(struct sip_proxy *px, const char *call_id, int status,
		     const char *reason);

/** Tests: timer base T1 in ms (default 500). */
void sip_proxy_set_t1(struct sip_proxy *px, unsigned t1_ms);

#endif
