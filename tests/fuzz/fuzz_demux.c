/*
 * tests/fuzz/fuzz_demux.c - a media port's datagram through the
 * demultiplexer and the ICE-lite responder. The responder uses the RFC 5769
 * credentials, so the seed checks reach past MESSAGE-INTEGRITY.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "media/demux.h"
#include "media/ice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct media_ice_config cfg = {
		.local_ufrag = "evtj",
		.local_pwd = "VOkJxbRl1RmTxUk/WvJxBt",
		.remote_ufrag = "h6vY",
		.consent_timeout_us = 1000000,
	};
	static struct media_ice *ice;
	static int64_t now;
	struct sockaddr_in in = {.sin_family = AF_INET,
				 .sin_port = htons(32853)};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6,
				   .sin6_port = htons(32853)};
	const struct sockaddr *from = (const struct sockaddr *)&in;
	socklen_t from_len = sizeof(in);
	uint8_t reply[MEDIA_ICE_REPLY_MAX];
	size_t reply_len = sizeof(reply);
	enum media_demux_kind kind;
	enum media_ice_result r;

	if (!ice && media_ice_new(&ice, &cfg, 0) != 0)
		abort();
	inet_pton(AF_INET, "192.0.2.1", &in.sin_addr);
	inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
	if (size & 1) {
		from = (const struct sockaddr *)&in6;
		from_len = sizeof(in6);
	}
	kind = media_demux_classify(data, size);
	if (strcmp(media_demux_kind_name(kind), "") == 0)
		abort();
	r = media_ice_receive(ice, data, size, from, from_len, now += 1000,
			      reply, &reply_len);
	/* Only STUN is ever answered, and never past the buffer. */
	if (reply_len > sizeof(reply) ||
	    (kind != MEDIA_DEMUX_STUN && (reply_len || r != MEDIA_ICE_IGNORED)))
		abort();
	(void)media_ice_consent_expired(ice, now);
	(void)media_ice_is_validated(ice, from, from_len);
	(void)media_ice_selected(ice, NULL, NULL);
	return 0;
}
