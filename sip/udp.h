/*
 * sip/udp.h - the SIP UDP listener: one socket, one sip_transport shared by
 * every UDP peer, driven by a GSource on the signalling GMainContext.
 *
 * The socket is bound exclusively (no SO_REUSEADDR/SO_REUSEPORT), so a port
 * clash fails loudly at start instead of silently sharing traffic.
 * Datagrams up to 65535 bytes are read whole (RFC 3261 18.1.1: large
 * messages arrive fragmented at the IP layer and must still be accepted).
 */
#ifndef OVOZ_SIP_UDP_H
#define OVOZ_SIP_UDP_H

#include <glib.h>

#include "sip/transport.h"

struct sip_udp;

/** Called for every datagram that is not a keep-alive. Borrowed args. */
typedef void (*sip_udp_recv_h)(struct sip_transport *tp,
			       const struct sip_addr *src, const uint8_t *buf,
			       size_t len, void *arg);

/**
 * sip_udp_open() - bind @addr ("127.0.0.1:5060", "[::]:5060") and start
 * receiving on @ctx (NULL: the default context). Returns 0, or an errno
 * value (EADDRINUSE, EINVAL, ...) with a message in *@err_text (g_free).
 */
int sip_udp_open(struct sip_udp **out, const char *addr, GMainContext *ctx,
		 sip_udp_recv_h recv_h, void *arg, char **err_text);
/** Stop receiving, close the transport and free. NULL is fine. */
void sip_udp_free(struct sip_udp *u);
/** Borrowed transport handle (take a ref to keep it). */
struct sip_transport *sip_udp_transport(const struct sip_udp *u);
/** The bound address (useful with port 0). */
const struct sip_addr *sip_udp_local(const struct sip_udp *u);

#endif
