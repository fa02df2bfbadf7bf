/* sip/transport.c - reference-counted transport handles and addresses. */
#include "transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

struct sip_transport {
	enum sip_transport_kind kind;
	char *id;
	const struct sip_transport_ops *ops;
	void *impl;
	bool closed;
};

static void transport_destroy(struct sip_transport *tp)
{
	if (tp->ops && tp->ops->free)
		tp->ops->free(tp->impl);
	g_free(tp->id);
}

struct sip_transport *sip_transport_new(enum sip_transport_kind kind,
					const char *id,
					const struct sip_transport_ops *ops,
					void *impl)
{
	struct sip_transport *tp = g_rc_box_new0(struct sip_transport);

	tp->kind = kind;
	tp->id = g_strdup(id);
	tp->ops = ops;
	tp->impl = impl;
	return tp;
}

struct sip_transport *sip_transport_ref(struct sip_transport *tp)
{
	return tp ? g_rc_box_acquire(tp) : NULL;
}

void sip_transport_unref(struct sip_transport *tp)
{
	if (tp)
		g_rc_box_release_full(tp, (GDestroyNotify)transport_destroy);
}

void sip_transport_close(struct sip_transport *tp)
{
	tp->closed = true;
}

bool sip_transport_is_closed(const struct sip_transport *tp)
{
	return tp->closed;
}

int sip_transport_send(struct sip_transport *tp, const struct sip_addr *dst,
		       const void *buf, size_t len)
{
	if (tp->closed)
		return ENOTCONN;
	return tp->ops->send(tp, dst, buf, len);
}

enum sip_transport_kind sip_transport_kind(const struct sip_transport *tp)
{
	return tp->kind;
}

bool sip_transport_is_flow(const struct sip_transport *tp)
{
	return tp->kind != SIP_TRANSPORT_UDP;
}

const char *sip_transport_id(const struct sip_transport *tp)
{
	return tp->id;
}

void *sip_transport_impl(const struct sip_transport *tp)
{
	return tp->impl;
}

const char *sip_transport_kind_name(enum sip_transport_kind kind)
{
	static const char *const names[] = {
		[SIP_TRANSPORT_UDP] = "udp",
		[SIP_TRANSPORT_WS] = "ws",
		[SIP_TRANSPORT_WSS] = "wss",
	};

	if ((unsigned)kind >= G_N_ELEMENTS(names))
		return "?";
	return names[kind];
}

char *sip_addr_host(const struct sip_addr *a, char *buf, size_t size)
{
	const void *src = NULL;

	buf[0] = '\0';
	if (a->ss.ss_family == AF_INET)
		src = &((const struct sockaddr_in *)&a->ss)->sin_addr;
	else if (a->ss.ss_family == AF_INET6)
		src = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
	if (src && !inet_ntop(a->ss.ss_family, src, buf, size))
		buf[0] = '\0';
	return buf;
}

unsigned sip_addr_port(const struct sip_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return 0;
}

char *sip_addr_format(const struct sip_addr *a, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	sip_addr_host(a, host, sizeof(host));
	if (a->ss.ss_family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", host, sip_addr_port(a));
	else
		snprintf(buf, size, "%s:%u", host, sip_addr_port(a));
	return buf;
}

int sip_addr_set(struct sip_addr *out, const char *host, unsigned port)
{
	struct sip_addr a;

	if (port > 65535)
		return EINVAL;
	memset(&a, 0, sizeof(a));
	struct sockaddr_in *v4 = (struct sockaddr_in *)&a.ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a.ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		a.len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		a.len = sizeof(*v6);
	} else {
		return EINVAL;
	}
	*out = a;
	return 0;
}

int sip_addr_parse(struct sip_addr *out, const char *text)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	size_t hlen;
	char *end;
	unsigned long port;

	if (!text)
		return EINVAL;
	if (text[0] == '[') {
		const char *rb = strchr(text, ']');
		if (!rb || rb[1] != ':')
			return EINVAL;
		hlen = (size_t)(rb - text - 1);
		if (hlen >= sizeof(host))
			return EINVAL;
		memcpy(host, text + 1, hlen);
		colon = rb + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon)
			return EINVAL;
		hlen = (size_t)(colon - text);
		if (hlen >= sizeof(host))
			return EINVAL;
		memcpy(host, text, hlen);
	}
	host[hlen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port > 65535)
		return EINVAL;
	return sip_addr_set(out, host, (unsigned)port);
}

bool sip_addr_equal(const struct sip_addr *a, const struct sip_addr *b)
{
	char ha[INET6_ADDRSTRLEN], hb[INET6_ADDRSTRLEN];

	if (a->ss.ss_family != b->ss.ss_family ||
	    sip_addr_port(a) != sip_addr_port(b))
		return false;
	return strcmp(sip_addr_host(a, ha, sizeof(ha)),
		      sip_addr_host(b, hb, sizeof(hb))) == 0;
}

void sip_addr_unmap(struct sip_addr *a)
{
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->ss;
	struct sockaddr_in v4;

	if (a->ss.ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
		return;
	memset(&v4, 0, sizeof(v4));
	v4.sin_family = AF_INET;
	v4.sin_port = v6->sin6_port;
	memcpy(&v4.sin_addr, &v6->sin6_addr.s6_addr[12], 4);
	memset(&a->ss, 0, sizeof(a->ss));
	memcpy(&a->ss, &v4, sizeof(v4));
	a->len = sizeof(v4);
}

bool sip_transport_is_keepalive(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != '\r' && buf[i] != '\n')
			return false;
	return true;
}
