/* tests/mock/fake_transport.h - a sip_transport that records what it sends. */
#ifndef OVOZ_TESTS_FAKE_TRANSPORT_H
#define OVOZ_TESTS_FAKE_TRANSPORT_H

#include <glib.h>

#include "sip/message.h"
#include "sip/transport.h"

struct fake_transport {
	GPtrArray *sent; /* GBytes of every message sent */
	GPtrArray *dst;  /* struct sip_addr * of each */
};

/** New transport of @kind; *@out_impl borrowed, lives with the transport. */
struct sip_transport *fake_transport_new(enum sip_transport_kind kind,
					 const char *id,
					 struct fake_transport **out_impl);
/** Pop the oldest sent message, parsed (new reference), or NULL. */
struct sip_message *fake_transport_pop(struct fake_transport *f);
unsigned fake_transport_pending(const struct fake_transport *f);

#endif
