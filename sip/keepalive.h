/*
 * sip/keepalive.h - keeps the NAT bindings of UDP contacts open with
 * OPTIONS pings (RFC 3261 11; the de-facto NAT keep-alive of SIP servers)
 * and drops a contact that stops answering. Any response counts as alive:
 * a phone that answers 405 or 404 to OPTIONS is still there.
 *
 * Threading: signalling thread only.
 */
#ifndef OVOZ_SIP_KEEPALIVE_H
#define OVOZ_SIP_KEEPALIVE_H

#include <stdbool.h>

#include "sip/message.h"
#include "sip/registrar.h"
#include "sip/transport.h"

struct sip_keepalive_config {
	unsigned interval;   /* seconds between pings; 0 disables */
	unsigned max_missed; /* unanswered pings before the drop, default 3 */
	const char *domain;  /* From: sip:ovoz@domain */
	const char *host;    /* our UDP address for Via */
	unsigned port;
};

struct sip_keepalive;

/** @udp and @registrar are borrowed and outlive the keepalive. */
int sip_keepalive_new(struct sip_keepalive **out,
		      const struct sip_keepalive_config *cfg,
		      struct sip_registrar *registrar,
		      struct sip_transport *udp);
void sip_keepalive_free(struct sip_keepalive *ka);
/** Consume @msg if it answers one of our pings. */
bool sip_keepalive_handle_response(struct sip_keepalive *ka,
				   const struct sip_message *msg);
/** Send one round of pings now (the timer calls this). */
void sip_keepalive_run(struct sip_keepalive *ka);
/** Contacts dropped since start. */
unsigned sip_keepalive_dropped(const struct sip_keepalive *ka);

#endif
