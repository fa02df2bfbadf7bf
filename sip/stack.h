/*
 * sip/stack.h - the entry point for SIP bytes from any transport.
 *
 * sip_stack_receive() parses, checks and stamps a message (Via received /
 * rport, RFC 3581), answers malformed requests itself with a clear status,
 * drops malformed responses, and dispatches requests by method through a
 * table of handlers. Responses to requests go back the way the request came:
 * down the same WebSocket flow, or over UDP to the real source address.
 *
 * Threading: signalling thread only.
 */
#ifndef OVOZ_SIP_STACK_H
#define OVOZ_SIP_STACK_H

#include <stdint.h>

#include "sip/message.h"
#include "sip/transport.h"

struct sip_stack;

/** An incoming request; everything borrowed for the handler's duration. */
struct sip_request {
	struct sip_message *msg;
	struct sip_transport *tp;
	struct sip_addr src;
};

typedef void (*sip_stack_request_h)(struct sip_stack *st,
				    const struct sip_request *req, void *arg);
/** Responses arriving (for the proxy core). Borrowed. */
typedef void (*sip_stack_response_h)(struct sip_stack *st,
				     struct sip_message *msg,
				     struct sip_transport *tp,
				     const struct sip_addr *src, void *arg);

struct sip_stack_config {
	const char *server_name; /* Server/User-Agent header, "Ovoz/0.1.0" */
};

int sip_stack_new(struct sip_stack **out, const struct sip_stack_config *cfg);
void sip_stack_free(struct sip_stack *st);

/** Route requests of @method ("REGISTER"; "*" for any other) to @h. */
void sip_stack_set_handler(struct sip_stack *st, const char *method,
			   sip_stack_request_h h, void *arg);
void sip_stack_set_response_handler(struct sip_stack *st,
				    sip_stack_response_h h, void *arg);

/** Feed one datagram / WebSocket message. Never fails: bad input is
 *  answered or dropped and counted. */
void sip_stack_receive(struct sip_stack *st, struct sip_transport *tp,
		       const struct sip_addr *src, const uint8_t *buf,
		       size_t len);

/**
 * sip_stack_reply() - answer @req with @status. @headers is NULL or a
 * NULL-terminated list of name, value pairs added to the response.
 * Returns 0 or an errno value.
 */
int sip_stack_reply(struct sip_stack *st, const struct sip_request *req,
		    int status, const char *reason,
		    const char *const *headers);
/** Send an already built response for @req (adds Server). */
int sip_stack_send_reply(struct sip_stack *st, const struct sip_request *req,
			 struct sip_message *resp);

/** The Server / User-Agent value this stack writes. Borrowed. */
const char *sip_stack_server_name(const struct sip_stack *st);

/** Counters for metrics. @fn is called once per method seen. */
struct sip_stack_method_stats {
	uint64_t requests_in;
	uint64_t responses_out[7]; /* index: status / 100 (0 unused) */
	uint64_t responses_in[7];
};
typedef void (*sip_stack_stats_h)(const char *method,
				  const struct sip_stack_method_stats *s,
				  void *arg);
void sip_stack_stats_foreach(struct sip_stack *st, sip_stack_stats_h fn,
			     void *arg);
/** Messages refused before dispatch (malformed, oversized). */
uint64_t sip_stack_rejected(const struct sip_stack *st);

#endif
