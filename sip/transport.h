/*
 * sip/transport.h - the small interface every SIP transport implements.
 *
 * A transport is a reference-counted object that can send a serialized SIP
 * message to an address. The UDP socket is one transport shared by every UDP
 * peer; each WebSocket connection is a transport of its own (a "flow"), so a
 * binding or a reply can be tied to it and dies with it.
 *
 * Threading: signalling thread (the GLib main loop) only.
 */
#ifndef OVOZ_SIP_TRANSPORT_H
#define OVOZ_SIP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum sip_transport_kind {
	SIP_TRANSPORT_UDP = 0,
	SIP_TRANSPORT_WS,
	SIP_TRANSPORT_WSS,
};

/** A peer address: what a message came from or goes to. */
struct sip_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

struct sip_transport;

struct sip_transport_ops {
	/** Send @len bytes to @dst (ignored by connection-oriented flows).
	 *  Returns 0 or an errno value. */
	int (*send)(struct sip_transport *tp, const struct sip_addr *dst,
		    const void *buf, size_t len);
	/** Free the implementation state when the last reference goes. */
	void (*free)(void *impl);
};

/**
 * sip_transport_new() - allocate a transport with one reference.
 * @id is a short stable name used in logs and Path/flow tokens
 * ("udp", "ws-12"). @impl is owned by the transport and passed to ops->free.
 */
struct sip_transport *sip_transport_new(enum sip_transport_kind kind,
					const char *id,
					const struct sip_transport_ops *ops,
					void *impl);
struct sip_transport *sip_transport_ref(struct sip_transport *tp);
void sip_transport_unref(struct sip_transport *tp);

/** Mark the transport closed: later sends fail with ENOTCONN. Idempotent. */
void sip_transport_close(struct sip_transport *tp);
bool sip_transport_is_closed(const struct sip_transport *tp);

int sip_transport_send(struct sip_transport *tp, const struct sip_addr *dst,
		       const void *buf, size_t len);

enum sip_transport_kind sip_transport_kind(const struct sip_transport *tp);
/** True for connection-bound flows (WS, WSS). */
bool sip_transport_is_flow(const struct sip_transport *tp);
const char *sip_transport_id(const struct sip_transport *tp);
/** Borrowed implementation pointer. */
void *sip_transport_impl(const struct sip_transport *tp);
/** "udp", "ws" or "wss". */
const char *sip_transport_kind_name(enum sip_transport_kind kind);

/** Format @a as "1.2.3.4:5060" or "[::1]:5060" into @buf. Returns @buf. */
char *sip_addr_format(const struct sip_addr *a, char *buf, size_t size);
/** Host part only ("1.2.3.4" / "::1"). Returns @buf. */
char *sip_addr_host(const struct sip_addr *a, char *buf, size_t size);
unsigned sip_addr_port(const struct sip_addr *a);
/** Parse "host:port" / "[v6]:port" (numeric only). 0 or EINVAL. */
int sip_addr_parse(struct sip_addr *out, const char *text);
/** Set from a numeric host and port. 0 or EINVAL. */
int sip_addr_set(struct sip_addr *out, const char *host, unsigned port);
/** Turn an IPv4-mapped IPv6 address (::ffff:a.b.c.d) into plain IPv4, so
 *  one client has one spelling in logs, bans and limits. */
void sip_addr_unmap(struct sip_addr *a);
bool sip_addr_equal(const struct sip_addr *a, const struct sip_addr *b);

/** True when @buf is only CR and LF: an RFC 5626 keep-alive ping (or
 *  CRLFCRLF), not a SIP message. */
bool sip_transport_is_keepalive(const uint8_t *buf, size_t len);

#define SIP_ADDR_STRLEN 64

#endif
