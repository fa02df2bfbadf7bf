/* sip/udp.c - SIP over UDP: exclusive bind, whole-datagram reads. */
#define G_LOG_DOMAIN "ovoz-udp"

#include "udp.h"

#include <errno.h>
#include <glib-unix.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define UDP_MAX_DATAGRAM 65535

struct sip_udp {
	int fd;
	GSource *source;
	struct sip_transport *tp;
	struct sip_addr local;
	sip_udp_recv_h recv_h;
	void *arg;
	uint8_t *buf;
};

static int udp_send(struct sip_transport *tp, const struct sip_addr *dst,
		    const void *buf, size_t len)
{
	struct sip_udp *u = sip_transport_impl(tp);
	ssize_t n;

	if (!dst || !dst->len)
		return EDESTADDRREQ;
	n = sendto(u->fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)&dst->ss,
		   dst->len);
	if (n < 0)
		return errno;
	return (size_t)n == len ? 0 : EMSGSIZE;
}

/* The transport does not own the socket: sip_udp_free() does. */
static const struct sip_transport_ops udp_ops = {
	.send = udp_send,
	.free = NULL,
};

static gboolean udp_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct sip_udp *u = data;

	/* Drain a bounded batch so one busy peer cannot starve the loop. */
	for (int i = 0; i < 64; i++) {
		struct sip_addr src = {.len = sizeof(src.ss)};
		ssize_t n = recvfrom(fd, u->buf, UDP_MAX_DATAGRAM, MSG_DONTWAIT,
				     (struct sockaddr *)&src.ss, &src.len);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				g_debug("recvfrom: %s", g_strerror(errno));
			break;
		}
		if (n == 0 || sip_transport_is_keepalive(u->buf, (size_t)n))
			continue;
		u->recv_h(u->tp, &src, u->buf, (size_t)n, u->arg);
	}
	return G_SOURCE_CONTINUE;
}

int sip_udp_open(struct sip_udp **out, const char *addr, GMainContext *ctx,
		 sip_udp_recv_h recv_h, void *arg, char **err_text)
{
	struct sip_addr local;
	struct sip_udp *u;
	int fd, err;
	char id[SIP_ADDR_STRLEN + 8];

	if (sip_addr_parse(&local, addr)) {
		*err_text = g_strdup_printf("bad SIP UDP address '%s' "
					    "(want IP:PORT)", addr);
		return EINVAL;
	}
	fd = socket(local.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		err = errno;
		*err_text = g_strdup_printf("socket: %s", g_strerror(err));
		return err;
	}
	if (local.ss.ss_family == AF_INET6) {
		int off = 0;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	}
	int rcvbuf = 4 * 1024 * 1024;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&local.ss, local.len) < 0) {
		err = errno;
		*err_text = g_strdup_printf("cannot bind SIP UDP %s: %s", addr,
					    g_strerror(err));
		close(fd);
		return err;
	}
	local.len = sizeof(local.ss);
	getsockname(fd, (struct sockaddr *)&local.ss, &local.len);

	u = g_new0(struct sip_udp, 1);
	u->fd = fd;
	u->local = local;
	u->recv_h = recv_h;
	u->arg = arg;
	u->buf = g_malloc(UDP_MAX_DATAGRAM + 1);
	g_snprintf(id, sizeof(id), "udp");
	u->tp = sip_transport_new(SIP_TRANSPORT_UDP, id, &udp_ops, u);
	u->source = g_unix_fd_source_new(fd, G_IO_IN);
	g_source_set_callback(u->source, (GSourceFunc)(void (*)(void))udp_readable,
			      u, NULL);
	g_source_attach(u->source, ctx);
	*out = u;
	return 0;
}

void sip_udp_free(struct sip_udp *u)
{
	if (!u)
		return;
	g_source_destroy(u->source);
	g_source_unref(u->source);
	sip_transport_close(u->tp);
	sip_transport_unref(u->tp);
	close(u->fd);
	g_free(u->buf);
	g_free(u);
}

struct sip_transport *sip_udp_transport(const struct sip_udp *u)
{
	return u->tp;
}

const struct sip_addr *sip_udp_local(const struct sip_udp *u)
{
	return &u->local;
}
